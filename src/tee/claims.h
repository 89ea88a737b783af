/*
 * claims.h - what a verifier learns from TEE evidence.
 *
 * Every verifier (DCAP for SGX and TDX, SEV-SNP, simulated) fills one
 * struct tee_claims; a policy (policy.h) decides whether the claims are
 * acceptable. Verifiers judge authenticity (signatures, chains, collateral
 * validity at a given time) and compute the TCB status; they never apply a
 * policy of their own. The struct holds no pointers: it is a plain value
 * that may be copied, and it does not point into the evidence.
 */
#ifndef CUSTOS_TEE_CLAIMS_H
#define CUSTOS_TEE_CLAIMS_H

#include <stddef.h>
#include <stdint.h>

enum tee_type { TEE_NONE = 0, TEE_SGX, TEE_TDX, TEE_SEV_SNP, TEE_SIM };

enum tee_tcb_status {
	TEE_TCB_UNKNOWN = 0, /* no collateral was given: the status was not evaluated */
	TEE_TCB_UP_TO_DATE,
	TEE_TCB_SW_HARDENING_NEEDED,
	TEE_TCB_CONFIGURATION_NEEDED,
	TEE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
	TEE_TCB_OUT_OF_DATE,
	TEE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
	TEE_TCB_REVOKED,
	TEE_TCB_NOT_APPLICABLE, /* simulated evidence, or a TEE without TCB levels */
};

#define TEE_MEASUREMENT_MAX 48 /* MRENCLAVE 32, MRTD 48, SNP 48, sim 48 */
#define TEE_SIGNER_MAX      48
#define TEE_REPORT_DATA_LEN 64
#define TEE_MAX_ADVISORIES  32
#define TEE_ADVISORY_LEN    32 /* "INTEL-SA-00615" and the like, NUL-terminated */
#define TEE_RTMR_COUNT      4

struct tee_claims {
	enum tee_type type;
	int simulated; /* always 1 for TEE_SIM: insecure, test only */
	int debug;     /* the TEE allows a debugger */

	uint8_t measurement[TEE_MEASUREMENT_MAX];
	size_t measurement_len;
	uint8_t signer[TEE_SIGNER_MAX]; /* MRSIGNER (SGX), MRSIGNERSEAM/MROWNER (TDX), author key
	                                   digest (SNP) */
	size_t signer_len;              /* 0 when the TEE has no signer */
	uint16_t product_id;            /* ISVPRODID (SGX) */
	uint32_t security_version;      /* ISVSVN (SGX), guest SVN (SNP), TEE TCB SVN[0] (TDX) */
	uint8_t report_data[TEE_REPORT_DATA_LEN];

	/* TDX only: the runtime measurement registers. */
	uint8_t rtmr[TEE_RTMR_COUNT][48];

	/* SEV-SNP only: the guest policy word and platform info. */
	uint64_t snp_policy;
	uint8_t chip_id[64];
	uint64_t reported_tcb;

	/* Platform identity: FMSPC for Intel, empty otherwise. */
	uint8_t fmspc[6];
	int has_fmspc;

	enum tee_tcb_status tcb_status;
	char advisories[TEE_MAX_ADVISORIES][TEE_ADVISORY_LEN];
	size_t advisory_count;
	int64_t tcb_date; /* tcbDate of the matched level (seconds since epoch), 0 if none */
};

const char *tee_type_name(enum tee_type t);             /* "sgx", "tdx", "sev-snp", "sim", "none" */
const char *tee_tcb_status_name(enum tee_tcb_status s); /* "UpToDate", ... ; "Unknown" */
/* Parse a TCB status string as Intel writes it; TEE_TCB_UNKNOWN if not one. */
enum tee_tcb_status tee_tcb_status_from_name(const char *s);

#endif

/*
 * snp.h - AMD SEV-SNP attestation report verification.
 *
 * A report (ATTESTATION_REPORT of the SEV-SNP firmware ABI, versions 2 to
 * 5) is signed with ECDSA P-384 over its first SNP_SIGNED_LEN bytes by a
 * VCEK (a key per chip and TCB) or a VLEK (a key per cloud provider). The
 * caller supplies that certificate and the AMD chain above it (ASK or ASVK,
 * then ARK). The verifier accepts only a chain that ends in an ARK whose
 * SHA-256 (of the whole DER) is compiled in (Milan, Genoa, Turin): a root is
 * never trusted because it is self-signed. "now" is a parameter.
 *
 * The verifier checks authenticity only (see docs/attestation.md for the
 * list of checks); it fills a struct tee_claims and a policy (policy.h)
 * decides. SEV-SNP has no TCB levels to match, so the claims carry
 * TEE_TCB_NOT_APPLICABLE and the reported TCB itself (claims.reported_tcb,
 * which the VCEK certifies).
 *
 * Nothing returned points into the caller's buffers.
 */
#ifndef CUSTOS_TEE_SNP_H
#define CUSTOS_TEE_SNP_H

#include <stddef.h>
#include <stdint.h>

#include "tee/claims.h"

#define SNP_REPORT_LEN         0x4A0 /* every version */
#define SNP_SIGNED_LEN         0x2A0 /* bytes the signature covers */
#define SNP_REPORT_VERSION_MIN 2
#define SNP_REPORT_VERSION_MAX 5           /* later layouts are refused (CU_EUNSUPPORTED) */
#define SNP_CERT_MAX           (16 * 1024) /* one VCEK/VLEK, DER or PEM */
#define SNP_CHAIN_MAX          (64 * 1024) /* the PEM chain file */
#define SNP_CHAIN_CERTS_MAX    4           /* certificates in the chain file */
#define SNP_REASON_LEN         256 /* a reason buffer of this size is never truncated in practice */

/* Guest policy bits (claims.snp_policy). */
#define SNP_POLICY_ABI_MINOR(p)    ((unsigned)((p)&0xff))
#define SNP_POLICY_ABI_MAJOR(p)    ((unsigned)(((p) >> 8) & 0xff))
#define SNP_POLICY_SMT             (1ULL << 16)
#define SNP_POLICY_RESERVED_1      (1ULL << 17) /* must be 1 */
#define SNP_POLICY_MIGRATE_MA      (1ULL << 18)
#define SNP_POLICY_DEBUG           (1ULL << 19)
#define SNP_POLICY_SINGLE_SOCKET   (1ULL << 20)
#define SNP_POLICY_CXL_ALLOW       (1ULL << 21)
#define SNP_POLICY_MEM_AES_256_XTS (1ULL << 22)
#define SNP_POLICY_RAPL_DIS        (1ULL << 23)
#define SNP_POLICY_CIPHERTEXT_HIDE (1ULL << 24)
#define SNP_POLICY_PAGE_SWAP_DIS   (1ULL << 25)

/* KEY_INFO (offset 0x48) bits. */
#define SNP_KEYINFO_AUTHOR_KEY_EN  (1u << 0)
#define SNP_KEYINFO_MASK_CHIP_KEY  (1u << 1)
#define SNP_KEYINFO_SIGNING_KEY(k) (((k) >> 2) & 7u)

enum snp_signing_key { SNP_KEY_VCEK = 0, SNP_KEY_VLEK = 1, SNP_KEY_NONE = 7 };

enum snp_product {
	SNP_PRODUCT_UNKNOWN = 0,
	SNP_PRODUCT_MILAN,
	SNP_PRODUCT_GENOA,
	SNP_PRODUCT_TURIN
};

/* A TCB_VERSION decoded (its layout differs on Turin, which adds FMC). */
struct snp_tcb {
	uint8_t fmc; /* Turin only, 0 otherwise */
	uint8_t bootloader;
	uint8_t tee;
	uint8_t snp;
	uint8_t microcode;
};

/*
 * A parsed report: every field, copied. Fields a version does not have are
 * zero (has_cpuid, has_mit_vector say which). r and s are big-endian.
 */
struct snp_report {
	uint32_t version;
	uint32_t guest_svn;
	uint64_t policy;
	uint8_t family_id[16];
	uint8_t image_id[16];
	uint32_t vmpl;
	uint32_t sig_algo; /* 1: ECDSA P-384 with SHA-384 */
	uint64_t current_tcb;
	uint64_t platform_info;
	uint32_t key_info;
	uint8_t report_data[64];
	uint8_t measurement[48];
	uint8_t host_data[32];
	uint8_t id_key_digest[48];
	uint8_t author_key_digest[48];
	uint8_t report_id[32];
	uint8_t report_id_ma[32];
	uint64_t reported_tcb;
	int has_cpuid; /* version 3 and later */
	uint8_t cpuid_fam_id;
	uint8_t cpuid_mod_id;
	uint8_t cpuid_step;
	uint8_t chip_id[64];
	uint64_t committed_tcb;
	uint8_t current_build, current_minor, current_major;
	uint8_t committed_build, committed_minor, committed_major;
	uint64_t launch_tcb;
	int has_mit_vector; /* version 5 and later */
	uint64_t launch_mit_vector;
	uint64_t current_mit_vector;
	uint8_t sig_r[48];
	uint8_t sig_s[48];
};

/*
 * Parse len bytes into *out (zeroed on failure). Structure only: nothing is
 * authentic until snp_verify() says so. Refuses a length other than
 * SNP_REPORT_LEN (CU_ETRUNC if shorter, CU_EFORMAT if longer), versions
 * outside [SNP_REPORT_VERSION_MIN, SNP_REPORT_VERSION_MAX]
 * (CU_EUNSUPPORTED), another signature algorithm, an unsigned report
 * (MASK_CHIP_KEY or signing key "none"), a signing key other than VCEK or
 * VLEK, and non-zero bytes where the signature is zero-extended or
 * reserved (CU_EFORMAT). reason (may be NULL) says which.
 */
int snp_report_parse(const uint8_t *buf, size_t len, struct snp_report *out, char *reason,
                     size_t reasonsz) __attribute__((warn_unused_result));

/* The processor line a report announces (CPUID family in v3+; chip_id shape in v2), or UNKNOWN. */
enum snp_product snp_report_product_hint(const struct snp_report *r);

/* Decode a TCB_VERSION for a product line (Turin's layout for TURIN, the older one otherwise). */
void snp_tcb_decode(uint64_t raw, enum snp_product p, struct snp_tcb *out);

const char *snp_product_name(enum snp_product p); /* "Milan", "Genoa", "Turin", "unknown" */

/*
 * Certificates that vouch for a report. leaf is the VCEK or VLEK (DER or
 * PEM); chain is PEM holding the ASK (for a VCEK) or ASVK (for a VLEK) and
 * the ARK, in any order. The buffers are borrowed for the call only.
 */
struct snp_certs {
	const uint8_t *leaf;
	size_t leaf_len;
	const uint8_t *chain;
	size_t chain_len;
};

/*
 * Verify a report at time now (seconds since the epoch). On success fills
 * claims (and *report_out when not NULL) and returns 0. On failure claims
 * and *report_out are zeroed, reason (may be NULL) says why, and the error
 * is one of:
 *   CU_ETRUNC, CU_EFORMAT, CU_EUNSUPPORTED, CU_ELIMIT  malformed report or certificates
 *   CU_EKEY        the leaf certificate is not a P-384 VCEK/VLEK of the kind the report names
 *   CU_EAUTH       the report signature does not verify with the leaf key
 *   CU_EUNTRUSTED  the chain does not end in a pinned ARK, or a chain signature fails
 *   CU_EEXPIRED    a certificate is outside its validity at now
 *   CU_ETCB        the VCEK's hwID or TCB extensions differ from the report, or the
 *                  report's CPU family is not the chain's product line
 */
int snp_verify(const uint8_t *report, size_t len, const struct snp_certs *certs, int64_t now,
               struct tee_claims *claims, struct snp_report *report_out, char *reason,
               size_t reasonsz) __attribute__((warn_unused_result));

/*
 * The binding checks on their own: cert (a VCEK or VLEK, DER or PEM) must
 * carry the report's REPORTED_TCB in its SPL extensions (fmcSPL too on
 * Turin) and, for a VCEK-signed report, the report's chip_id as hwID.
 * product is the line of the chain (it fixes the TCB layout). Returns 0,
 * CU_ETCB on a mismatch or a missing extension, CU_EFORMAT / CU_ELIMIT for a
 * malformed certificate. snp_verify() runs these after the chain checks.
 */
int snp_check_cert_binding(const uint8_t *cert, size_t len, const struct snp_report *r,
                           enum snp_product product, char *reason, size_t reasonsz)
    __attribute__((warn_unused_result));

/*
 * Human-readable decode: fn is called once per field in wire order with a
 * name ("version", "policy.debug", "reported_tcb.snp", ...) and its value as
 * text. product selects the TCB layout (UNKNOWN: from the report's hint).
 * A non-zero return from fn stops the walk and is returned.
 */
typedef int (*snp_field_fn)(void *arg, const char *name, const char *value);
int snp_report_show(const struct snp_report *r, enum snp_product product, snp_field_fn fn,
                    void *arg);

#endif

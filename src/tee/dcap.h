/*
 * dcap.h - Intel DCAP (ECDSA) quote verification for SGX and TDX.
 *
 * Quotes of versions 3, 4 and 5 are parsed (SGX enclave reports, TD 1.0 and
 * TD 1.5 reports) and verified against the Intel SGX Root CA, whose SHA-256
 * (of the whole DER) is compiled in: a chain is accepted only when it ends
 * in that exact certificate, never because a root is self-signed.
 *
 * Two kinds of verification:
 *
 * - with collateral (TCB info, QE identity, CRLs and their issuer chains,
 *   the fields of Intel's sgx_ql_qve_collateral_t as JSON): every signature,
 *   chain, CRL and validity window is checked at "now", the QE identity and
 *   the TCB level are matched, and the TCB status with its advisories goes
 *   into the claims;
 * - without collateral: signatures and the PCK chain up to the pinned root
 *   (certificate validity at "now", no revocation), TCB status
 *   TEE_TCB_UNKNOWN. This is what an RA-TLS verifier that holds no collateral
 *   can say; a policy decides whether it suffices.
 *
 * Every function that verifies fills a struct dcap_result whose reason
 * string says, in English, what failed (or, on success, what was matched).
 * Results and claims never point into the caller's buffers.
 */
#ifndef CUSTOS_TEE_DCAP_H
#define CUSTOS_TEE_DCAP_H

#include <stddef.h>
#include <stdint.h>

#include "tee/claims.h"

/* Named maxima of everything a quote or its collateral may announce. */
#define DCAP_QUOTE_MAX          (64 * 1024)  /* whole quote, trailing bytes included */
#define DCAP_CERT_DATA_MAX      (16 * 1024)  /* PEM PCK chain inside a quote */
#define DCAP_QE_AUTH_MAX        1024         /* QE authentication data */
#define DCAP_CHAIN_MAX          4            /* certificates in any chain */
#define DCAP_COLLATERAL_MAX     (4u << 20)   /* the collateral JSON document */
#define DCAP_CRL_MAX            (1u << 20)   /* one DER CRL */
#define DCAP_COLLATERAL_DOC_MAX (256 * 1024) /* raw TCB info or QE identity JSON */
#define DCAP_TCB_LEVELS_MAX     64
#define DCAP_QE_LEVELS_MAX      32
#define DCAP_TDX_MODULES_MAX    8
#define DCAP_MODULE_LEVELS_MAX  16
#define DCAP_REASON_LEN         256

#define DCAP_REPORT_LEN    384 /* SGX enclave report body, also the QE report */
#define DCAP_TD10_LEN      584
#define DCAP_TD15_LEN      648
#define DCAP_HEADER_LEN    48
#define DCAP_SIGNED_MAX    (DCAP_HEADER_LEN + 6 + DCAP_TD15_LEN)
#define DCAP_ECDSA_SIG_LEN 64
#define DCAP_ECDSA_KEY_LEN 64

/* Pass as "now" to use the system clock. */
#define DCAP_NOW_SYSTEM INT64_MIN

/* SHA-256 of the DER of the Intel SGX Root CA (the pin). */
extern const uint8_t dcap_intel_root_sha256[32];

enum dcap_tee_type { DCAP_TEE_SGX = 0x00000000, DCAP_TEE_TDX = 0x00000081 };
enum dcap_body_type { DCAP_BODY_SGX = 1, DCAP_BODY_TD10 = 2, DCAP_BODY_TD15 = 3 };

struct dcap_header {
	uint16_t version;      /* 3, 4 or 5 */
	uint16_t att_key_type; /* 2: ECDSA-256 with P-256 */
	uint32_t tee_type;     /* enum dcap_tee_type (reserved, zero, in v3) */
	uint16_t qe_svn;       /* v3 only; reserved in v4/v5 */
	uint16_t pce_svn;      /* v3 only; reserved in v4/v5 */
	uint8_t qe_vendor_id[16];
	uint8_t user_data[20];
};

/* An SGX REPORTBODY: the enclave's (SGX quotes) or the QE's. */
struct dcap_sgx_report {
	uint8_t cpusvn[16];
	uint32_t miscselect;
	uint8_t isv_ext_prod_id[16];
	uint8_t attributes[16];
	uint8_t mrenclave[32];
	uint8_t mrsigner[32];
	uint8_t config_id[64];
	uint16_t isv_prod_id;
	uint16_t isv_svn;
	uint16_t config_svn;
	uint8_t isv_family_id[16];
	uint8_t report_data[64];
};

/* A TD quote body, 1.0 or 1.5 (the last two fields are zero for 1.0). */
struct dcap_td_report {
	uint8_t tee_tcb_svn[16];
	uint8_t mrseam[48];
	uint8_t mrsignerseam[48];
	uint8_t seam_attributes[8];
	uint8_t td_attributes[8];
	uint8_t xfam[8];
	uint8_t mrtd[48];
	uint8_t mrconfigid[48];
	uint8_t mrowner[48];
	uint8_t mrownerconfig[48];
	uint8_t rtmr[4][48];
	uint8_t report_data[64];
	uint8_t tee_tcb_svn2[16]; /* TD 1.5 */
	uint8_t mrservicetd[48];  /* TD 1.5 */
};

/*
 * A parsed quote. It owns everything it holds (copies, never pointers into
 * the input); free it with dcap_quote_free(). Parsing checks structure
 * only: nothing in it is authentic until dcap_verify_quote() says so.
 */
struct dcap_quote {
	struct dcap_header hdr;
	enum dcap_body_type body_type;
	struct dcap_sgx_report sgx; /* body_type DCAP_BODY_SGX */
	struct dcap_td_report td;   /* body_type DCAP_BODY_TD10 / TD15 */

	uint8_t signed_bytes[DCAP_SIGNED_MAX]; /* header and body, as signed */
	size_t signed_len;

	uint8_t sig[DCAP_ECDSA_SIG_LEN];     /* attestation key over signed_bytes, r||s */
	uint8_t att_key[DCAP_ECDSA_KEY_LEN]; /* attestation public key, x||y */
	uint16_t outer_cert_type;            /* 6 in v4/v5; 0 in v3 (no wrapper) */
	uint8_t qe_report_raw[DCAP_REPORT_LEN];
	struct dcap_sgx_report qe_report;
	uint8_t qe_report_sig[DCAP_ECDSA_SIG_LEN]; /* PCK over qe_report_raw */
	uint8_t *qe_auth;
	size_t qe_auth_len;
	uint16_t cert_type; /* 5: PEM PCK chain */
	char *pck_pem;      /* NUL-terminated copy of the certification data */
	size_t pck_pem_len;

	size_t sig_data_len; /* as announced */
	size_t trailing;     /* bytes after the signature data (tolerated) */
};

/*
 * Parse len bytes of quote into *out (NULL on failure). CU_ETRUNC when the
 * quote ends early, CU_EFORMAT / CU_EUNSUPPORTED for bad or unknown fields,
 * CU_ELIMIT when a length exceeds its maximum. The buffer is not retained.
 */
int dcap_quote_parse(const uint8_t *buf, size_t len, struct dcap_quote **out)
    __attribute__((warn_unused_result));
void dcap_quote_free(struct dcap_quote *q);

/*
 * Human-readable decode: fn is called once per field, in wire order, with a
 * dotted name ("header.version", "body.mrenclave", "sig.qe_report.isv_svn",
 * "sig.pck_chain") and its value as text (decimal, hex, or the PEM). A
 * non-zero return from fn stops the walk and is returned.
 */
typedef int (*dcap_field_fn)(void *arg, const char *name, const char *value);
int dcap_quote_show(const struct dcap_quote *q, dcap_field_fn fn, void *arg);

/* Details of a verification, for logs and error messages. */
struct dcap_result {
	int err;                        /* what the function returned */
	char reason[DCAP_REASON_LEN];   /* why it failed, or what matched */
	enum tee_tcb_status platform;   /* status of the matched TCB level */
	enum tee_tcb_status qe;         /* status of the matched QE identity level */
	enum tee_tcb_status tdx_module; /* TDX module identity level, UNKNOWN if none */
	char tdx_module_id[16];         /* "TDX_01", or "" */
	uint8_t fmspc[6];               /* from the PCK certificate */
	uint8_t pce_id[2];
	uint16_t pcesvn;
	uint8_t tcb_svn[16]; /* PCK certificate TCB component SVNs */
	uint8_t cpusvn[16];
	int tcb_level; /* index of the matched platform TCB level, -1 if none */
};

/*
 * Collateral: Intel's sgx_ql_qve_collateral_t as one JSON object (see
 * docs/attestation.md). Parsing checks structure only. A parsed collateral
 * is immutable but for its verification cache: dcap_collateral_verify()
 * checks everything that does not depend on a quote (signatures of TCB info
 * and QE identity, their issuer chains to the pinned root, both CRLs, every
 * validity window) and records the interval of time over which that result
 * holds; dcap_verify*() then skip that work for any "now" inside it. One
 * collateral may serve many quotes of the same platform (FMSPC). Not safe for
 * concurrent dcap_collateral_verify() calls; concurrent dcap_verify*() calls
 * on a verified collateral are safe.
 */
struct dcap_collateral;

int dcap_collateral_parse(const void *json, size_t len, struct dcap_collateral **out,
                          struct dcap_result *res) __attribute__((warn_unused_result));
int dcap_collateral_verify(struct dcap_collateral *col, int64_t now, struct dcap_result *res)
    __attribute__((warn_unused_result));
void dcap_collateral_free(struct dcap_collateral *col);

/*
 * Verify a quote at time now (seconds since the epoch, or DCAP_NOW_SYSTEM).
 * col may be NULL: then the TCB status is TEE_TCB_UNKNOWN (see above).
 * On success claims and res are filled and 0 is returned. On failure claims
 * are zeroed, res->reason says why, and the error is one of:
 *   CU_ETRUNC, CU_EFORMAT, CU_EUNSUPPORTED, CU_ELIMIT  malformed quote or collateral
 *   CU_EAUTH       a signature or the QE report binding does not verify, or
 *                  the QE is not Intel's (QE identity mismatch)
 *   CU_EUNTRUSTED  a chain does not lead to the pinned Intel root, or a CRL
 *                  is missing for a certificate of the chain
 *   CU_EEXPIRED    a certificate, CRL, TCB info or QE identity is outside its
 *                  validity window at now
 *   CU_EREVOKED    a certificate is on a CRL, or the TCB level is Revoked
 *   CU_ETCB        the collateral does not describe this platform (FMSPC, PCE
 *                  ID, TEE type) or no TCB level matches (reason names the
 *                  component that falls short)
 * res may be NULL.
 */
int dcap_verify(const uint8_t *quote, size_t len, const struct dcap_collateral *col, int64_t now,
                struct tee_claims *claims, struct dcap_result *res)
    __attribute__((warn_unused_result));

/* The same for a quote parsed already. */
int dcap_verify_quote(const struct dcap_quote *q, const struct dcap_collateral *col, int64_t now,
                      struct tee_claims *claims, struct dcap_result *res)
    __attribute__((warn_unused_result));

/*
 * A verifier context, for callers that verify many quotes: it owns a
 * bounded cache of verified PCK chains (the certification data inside a
 * quote), so that a quote whose chain was verified before skips the PEM
 * decoding, the chain building and its two signatures. The caller allocates
 * and frees it; there is no global state. Not safe for concurrent use: give
 * each thread its own.
 *
 * An entry is keyed by the SHA-256 of the certification data bytes and
 * keeps the PCK's public key, the values of its SGX extension, the interval
 * of time over which every certificate of the verified path is valid, and,
 * when collateral was given, the identity of the CRL set it was checked
 * against (SHA-256 over both CRLs and the PCK CRL issuer chain) with the
 * CRLs' common window. It is used only for a "now" inside those windows and,
 * with collateral, only for the same CRL set; anything else is a miss that
 * runs the full verification (docs/attestation.md, "The PCK chain cache",
 * says why this never accepts what the full verification refuses). Only
 * successes are cached; entries beyond the capacity evict the least
 * recently used.
 */
#define DCAP_PCK_CACHE_DEFAULT 64
#define DCAP_PCK_CACHE_MAX     1024 /* lookups are a linear scan */

struct dcap_verifier;

struct dcap_cache_stats {
	uint64_t hits;      /* quotes whose PCK chain came from the cache */
	uint64_t misses;    /* full chain verifications (cache empty, expired, other CRLs) */
	uint64_t evictions; /* entries replaced to make room */
	size_t entries;     /* entries held now */
	size_t capacity;
};

/*
 * A new verifier whose cache holds at most cache_entries chains (0: no
 * cache, every quote is verified in full; at most DCAP_PCK_CACHE_MAX, else
 * CU_EINVAL). Free with dcap_verifier_free() (NULL is fine).
 */
int dcap_verifier_new(size_t cache_entries, struct dcap_verifier **out)
    __attribute__((warn_unused_result));
void dcap_verifier_free(struct dcap_verifier *v);

/* dcap_verify() and dcap_verify_quote() with v's cache; same contract and results. */
int dcap_verifier_verify(struct dcap_verifier *v, const uint8_t *quote, size_t len,
                         const struct dcap_collateral *col, int64_t now, struct tee_claims *claims,
                         struct dcap_result *res) __attribute__((warn_unused_result));
int dcap_verifier_verify_quote(struct dcap_verifier *v, const struct dcap_quote *q,
                               const struct dcap_collateral *col, int64_t now,
                               struct tee_claims *claims, struct dcap_result *res)
    __attribute__((warn_unused_result));

/* Counters of v's cache since it was made. */
void dcap_verifier_stats(const struct dcap_verifier *v, struct dcap_cache_stats *out);

#endif

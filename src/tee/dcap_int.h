/*
 * dcap_int.h - what the DCAP files share among themselves (not an API).
 */
#ifndef CUSTOS_TEE_DCAP_INT_H
#define CUSTOS_TEE_DCAP_INT_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "tee/claims.h"
#include "tee/dcap.h"
#include "tee/x509.h"

#define DCAP_ID_LEN 16

struct dcap_advisories {
	char id[TEE_MAX_ADVISORIES][TEE_ADVISORY_LEN];
	size_t n;
};

/* A platform TCB level of TCB info. */
struct dcap_tcb_level {
	uint8_t sgx[16];
	uint16_t pcesvn;
	uint8_t tdx[16];
	int has_tdx;
	enum tee_tcb_status status;
	int64_t date;
	struct dcap_advisories adv;
};

/* A level keyed by one ISV SVN (QE identity, TDX module identity). */
struct dcap_isv_level {
	uint16_t isvsvn;
	enum tee_tcb_status status;
	int64_t date;
	struct dcap_advisories adv;
};

struct dcap_tdx_module {
	char id[DCAP_ID_LEN];
	uint8_t mrsigner[48];
	uint8_t attributes[8];
	uint8_t attributes_mask[8];
	struct dcap_isv_level levels[DCAP_MODULE_LEVELS_MAX];
	size_t nlevels;
};

struct dcap_tcb_info {
	int is_tdx;
	int64_t version;
	int64_t issue_date, next_update;
	uint8_t fmspc[6];
	uint8_t pce_id[2];
	int has_module; /* tdxModule */
	struct dcap_tdx_module module;
	struct dcap_tdx_module ids[DCAP_TDX_MODULES_MAX]; /* tdxModuleIdentities */
	size_t nids;
	struct dcap_tcb_level levels[DCAP_TCB_LEVELS_MAX];
	size_t nlevels;
};

struct dcap_qe_identity {
	char id[DCAP_ID_LEN]; /* "QE", "TD_QE" */
	int64_t version;
	int64_t issue_date, next_update;
	uint32_t miscselect, miscselect_mask;
	uint8_t attributes[16], attributes_mask[16];
	uint8_t mrsigner[32];
	uint16_t isvprodid;
	struct dcap_isv_level levels[DCAP_QE_LEVELS_MAX];
	size_t nlevels;
};

struct dcap_collateral {
	STACK_OF(X509) * pck_crl_chain;
	STACK_OF(X509) * tcb_chain;
	STACK_OF(X509) * qe_chain;
	X509_CRL *root_crl;
	X509_CRL *pck_crl;
	uint8_t *tcb_raw; /* the signed bytes of TCB info */
	size_t tcb_raw_len;
	uint8_t tcb_sig[DCAP_ECDSA_SIG_LEN];
	uint8_t *qe_raw; /* the signed bytes of QE identity */
	size_t qe_raw_len;
	uint8_t qe_sig[DCAP_ECDSA_SIG_LEN];
	struct dcap_tcb_info tcb;
	struct dcap_qe_identity qe;

	/* Identity of the revocation inputs: SHA-256 over both CRLs and the PCK CRL issuer chain.
	 */
	uint8_t crl_id[32];

	/* Cache of dcap_collateral_verify(): the result holds for now in [from, until], for the
	 * root pinned by verified_pin. */
	int verified;
	int64_t valid_from, valid_until;
	uint8_t verified_pin[TEE_X509_PIN_LEN];
};

/* One verified PCK chain of the verifier's cache (dcap_cache.c). */
struct dcap_pck_entry {
	int used;
	uint8_t key[32];                 /* SHA-256 of the certification data bytes */
	uint64_t last_use;               /* for least-recently-used eviction */
	EVP_PKEY *pck_key;               /* the PCK's public key (a reference of its own) */
	struct tee_sgx_ext ext;          /* the PCK's SGX extension */
	int64_t chain_from, chain_until; /* every certificate of the path is valid in between */
	int has_crl;                     /* revocation was checked against crl_id: */
	uint8_t crl_id[32];
	int64_t crl_from, crl_until; /* both CRLs are valid in between */
	/* The attestation key of the last quote with this chain that verified: making an
	 * EVP_PKEY from x||y costs about as much as checking a signature. */
	uint8_t att_xy[DCAP_ECDSA_KEY_LEN];
	EVP_PKEY *att_key;
};

struct dcap_verifier {
	uint8_t root_pin[TEE_X509_PIN_LEN]; /* dcap_intel_root_sha256 but in tests */
	struct dcap_pck_entry *entries;
	size_t capacity;
	uint64_t clock;
	struct dcap_cache_stats stats;
};

/* What the rest of a verification needs of a verified PCK chain (borrowed references). */
struct dcap_pck {
	EVP_PKEY *key;
	struct tee_sgx_ext ext;
};

/* The entry for key usable at now with col (NULL: none); counts a hit or a miss. */
struct dcap_pck_entry *dcap_cache_lookup(struct dcap_verifier *v, const uint8_t key[static 32],
                                         const struct dcap_collateral *col, int64_t now);

/*
 * Record a chain that a full verification accepted at now: path is the
 * verified path (leaf first), ext its leaf's extension, col the collateral
 * it was checked against (NULL: none). Returns the entry, or NULL when it
 * was not cached (failures only mean no caching).
 */
struct dcap_pck_entry *dcap_cache_store(struct dcap_verifier *v, const uint8_t key[static 32],
                                        STACK_OF(X509) * path, const struct tee_sgx_ext *ext,
                                        const struct dcap_collateral *col);

/*
 * Test seam: pin another root (tests build whole hierarchies of their own).
 * Empties the cache. Never used outside the tests.
 */
void dcap_verifier_set_root_pin(struct dcap_verifier *v,
                                const uint8_t pin[static TEE_X509_PIN_LEN]);

/* Record err and, unless a reason is there already, the formatted reason; return err. */
int dcap_fail(struct dcap_result *res, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Check everything of col that does not depend on a quote, at now, under
 * the root pinned by pin (dcap_intel_root_sha256 but in tests); on
 * success [*from, *until] is the interval over which the result holds.
 */
int dcap_collateral_check(const struct dcap_collateral *col, const uint8_t pin[static 32],
                          int64_t now, struct dcap_result *res, int64_t *from, int64_t *until);

/*
 * Match the QE identity, the platform TCB level and (TDX) the module
 * identity of an authentic quote q whose PCK certificate carries ext.
 * Fills the TCB status, advisories and tcb_date of claims.
 */
int dcap_tcb_evaluate(const struct dcap_quote *q, const struct tee_sgx_ext *ext,
                      const struct dcap_collateral *col, struct tee_claims *claims,
                      struct dcap_result *res);

#endif

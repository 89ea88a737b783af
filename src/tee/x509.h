/*
 * x509.h - certificate chains and CRLs for the TEE verifiers (OpenSSL).
 *
 * Chains are verified with an X509_STORE at a given time whose only trust
 * anchor is the certificate of the chain whose DER hashes (SHA-256) to the
 * caller's pin: a self-signed certificate is never trusted for being one.
 * Functions that can fail for a reason a person should read take why/whysz
 * and write an English sentence there (never NULL-terminated garbage; why
 * may be NULL when whysz is 0).
 *
 * The SGX extension (OID 1.2.840.113741.1.13.1) of an Intel PCK certificate
 * is walked with OpenSSL's DER parser.
 */
#ifndef CUSTOS_TEE_X509_H
#define CUSTOS_TEE_X509_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#define TEE_X509_PIN_LEN   32
#define TEE_X509_DEPTH_MAX 4 /* intermediates between a leaf and its root */

/*
 * Parse the PEM certificates of pem[0..len) (trailing NULs allowed) into a
 * new stack, leaf first. CU_ELIMIT above max certificates, CU_EFORMAT for
 * bad PEM or DER or no certificate at all. Free with tee_x509_chain_free().
 */
int tee_x509_chain_from_pem(const char *pem, size_t len, size_t max, STACK_OF(X509) * *out);

/* Free a stack and its certificates; NULL is fine. */
void tee_x509_chain_free(STACK_OF(X509) * sk);

/* Parse one DER CRL (exactly len bytes). */
int tee_x509_crl_from_der(const uint8_t *der, size_t len, X509_CRL **out);

/* 1 if SHA-256 of cert's DER equals pin, else 0. */
int tee_x509_matches_pin(X509 *cert, const uint8_t pin[static TEE_X509_PIN_LEN]);

/*
 * Verify chain[0] (the leaf) up to the certificate of chain whose DER hashes
 * to pin, every certificate valid at now. With crls (ncrls > 0) every
 * certificate of the path, the root included, must be covered by a CRL of
 * its issuer that is valid at now and does not list it. On success *path
 * (if path is not NULL) gets the verified path, leaf first and pinned root
 * last (free with tee_x509_chain_free()). 0, or: CU_EUNTRUSTED (no pinned
 * root, a bad signature, no path, no CRL), CU_EEXPIRED (a certificate or CRL
 * outside its window), CU_EREVOKED.
 */
int tee_x509_verify_chain(STACK_OF(X509) * chain, const uint8_t pin[static TEE_X509_PIN_LEN],
                          X509_CRL *const *crls, size_t ncrls, int64_t now, STACK_OF(X509) * *path,
                          char *why, size_t whysz) __attribute__((warn_unused_result));

/* 1 if the subject common name of cert is exactly cn, else 0. */
int tee_x509_cn_is(X509 *cert, const char *cn);

/*
 * Check that crl is signed by issuer (whose name it must carry) and valid
 * at now. CU_EUNTRUSTED or CU_EEXPIRED.
 */
int tee_x509_check_crl(X509_CRL *crl, X509 *issuer, int64_t now, char *why, size_t whysz)
    __attribute__((warn_unused_result));

/* CU_EREVOKED if crl lists cert (crl must name cert's issuer: else CU_EUNTRUSTED). */
int tee_x509_check_revoked(X509_CRL *crl, X509 *cert, char *why, size_t whysz)
    __attribute__((warn_unused_result));

/* Validity windows as seconds since the epoch. */
int tee_x509_cert_window(const X509 *cert, int64_t *not_before, int64_t *not_after);
int tee_x509_crl_window(const X509_CRL *crl, int64_t *this_update, int64_t *next_update);

/*
 * The seconds at which tee_x509_verify_chain() accepts cert, or a CRL given
 * to it: OpenSSL's X509_verify_cert() counts notAfter and nextUpdate as past
 * already (a time equal to them is "expired"), so these are [notBefore,
 * notAfter - 1] and [thisUpdate, nextUpdate - 1]. tee_x509_check_crl()
 * accepts [thisUpdate, nextUpdate]. Caches of verification results use
 * these, so that they never accept at a second the full check refuses.
 */
int tee_x509_cert_accept_window(const X509 *cert, int64_t *from, int64_t *until);
int tee_x509_crl_accept_window(const X509_CRL *crl, int64_t *from, int64_t *until);

/* The SGX extension of a PCK certificate. */
struct tee_sgx_ext {
	uint8_t ppid[16];
	uint8_t tcb_svn[16]; /* sgxTcbComp01Svn .. sgxTcbComp16Svn */
	uint16_t pcesvn;
	uint8_t cpusvn[16];
	uint8_t pce_id[2];
	uint8_t fmspc[6];
	int sgx_type; /* 0 standard, 1 scalable, 2 scalable with integrity */
};

/* Extract it; CU_ENOTFOUND without the extension, CU_EFORMAT if malformed. */
int tee_x509_sgx_ext(X509 *cert, struct tee_sgx_ext *out);

#endif

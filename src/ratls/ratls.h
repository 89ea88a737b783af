/*
 * ratls.h - attested TLS (RA-TLS) certificates: inspection and verification.
 *
 * An RA-TLS certificate carries TEE evidence that binds the certificate's
 * public key. ratls_cert_inspect*() parse a certificate with OpenSSL and
 * look for the evidence extensions Custos understands:
 *
 * - the TCG DICE tagged-evidence extension (OID 2.23.133.5.4.9) in the CCC
 *   interoperable RA-TLS format: CBOR tag 60000 (Intel SGX/TDX quote) over
 *   [quote: bstr, claims: bstr]. The claims are a CBOR map whose
 *   "pubkey-hash" (a bstr holding the CBOR [alg, hash], or that array
 *   itself) hashes the certificate's SubjectPublicKeyInfo DER (alg 1
 *   SHA-256, 7 SHA-384, 8 SHA-512); report_data[0:32] of the quote is
 *   SHA-256 of the claims bytes exactly as carried in the bstr;
 * - Gramine's legacy quote extension, under its mis-encoded OID (content
 *   bytes 06 09 2A 86 48 86 F8 4D 8A 39 06) or the correct
 *   1.2.840.113741.1337.6, and the Intel SGX SDK's 1.2.840.113741.1.13.1:
 *   a raw quote whose report_data[0:32] is SHA-256 of the SPKI DER, or the
 *   hash of the DICE claims of the same certificate when those bind the key.
 *
 * Every quote found is verified with dcap_verify() without collateral (the
 * TCB status stays TEE_TCB_UNKNOWN: no collateral ships with a certificate)
 * and every one must bind the key; when there are several, they must agree
 * on the measurement. A self-issued certificate must carry a signature made
 * with its own key, and the certificate must be valid at "now".
 *
 * No policy is applied here: whether the measurement, debug flag or TCB are
 * acceptable is the caller's decision (tee/policy.h).
 */
#ifndef CUSTOS_RATLS_RATLS_H
#define CUSTOS_RATLS_RATLS_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "tee/claims.h"

#define RATLS_CERT_MAX   (128 * 1024) /* a whole certificate, DER */
#define RATLS_EXT_MAX    (80 * 1024)  /* one evidence extension's value */
#define RATLS_CLAIMS_MAX 4096         /* the DICE claims CBOR */
#define RATLS_CLAIMS_N   64           /* entries of the claims map */
#define RATLS_REASON_LEN 256

/* The CBOR tag of an Intel SGX or TDX quote in the DICE extension. */
#define RATLS_TAG_INTEL_QUOTE 60000

/* Bits of struct ratls_info.extensions. */
enum ratls_ext {
	RATLS_EXT_DICE = 1u << 0,           /* 2.23.133.5.4.9 */
	RATLS_EXT_GRAMINE_LEGACY = 1u << 1, /* Gramine's mis-encoded OID */
	RATLS_EXT_GRAMINE = 1u << 2,        /* 1.2.840.113741.1337.6 */
	RATLS_EXT_SGXSDK = 1u << 3,         /* 1.2.840.113741.1.13.1 */
};
#define RATLS_EXT_COUNT 4

/*
 * What an inspection learnt. A plain value: no pointers, nothing refers to
 * the certificate after return.
 */
struct ratls_info {
	unsigned extensions;           /* enum ratls_ext bits of the extensions present */
	int authentic;                 /* every quote verifies to the Intel root */
	int key_bound;                 /* every quote binds the certificate's key */
	int time_valid;                /* now lies inside notBefore..notAfter */
	int64_t not_before;            /* seconds since the epoch */
	int64_t not_after;             /* seconds since the epoch */
	uint8_t spki_sha256[32];       /* SHA-256 of the SubjectPublicKeyInfo DER */
	struct tee_claims claims;      /* of the DICE quote, else the first quote; zero
	                                  unless authentic */
	char reason[RATLS_REASON_LEN]; /* why it was refused, "" on success */
};

/* "dice", "gramine-legacy", "gramine", "sgx-sdk" for one bit; NULL otherwise. */
const char *ratls_ext_name(enum ratls_ext bit);

/*
 * Inspect and verify cert at now (seconds since the epoch). out is cleared
 * on entry and filled as far as the certificate allows, also on failure.
 * Returns 0 only when the evidence is authentic, binds the key and the
 * certificate is valid at now. Otherwise, with out->reason saying why:
 *   CU_EINVAL      NULL argument
 *   CU_ELIMIT      the certificate or an extension exceeds its maximum
 *   CU_EFORMAT     the certificate, an extension or its CBOR is malformed
 *   CU_ENOTFOUND   no evidence extension
 *   CU_EUNSUPPORTED evidence of a kind (CBOR tag, hash algorithm) not handled
 *   CU_EAUTH       a quote does not verify (dcap_verify's error is in the
 *                  reason), quotes disagree, or the certificate's signature
 *                  does not verify with its own key
 *   CU_EKEY        the evidence does not bind the certificate's key
 *   CU_EEXPIRED    the certificate is not valid at now
 * The first of these that applies, in the order above, is returned.
 */
int ratls_cert_inspect(const X509 *cert, int64_t now, struct ratls_info *out)
    __attribute__((warn_unused_result));

/* The same for len bytes of DER (exactly one certificate, no trailing bytes). */
int ratls_cert_inspect_der(const uint8_t *der, size_t len, int64_t now, struct ratls_info *out)
    __attribute__((warn_unused_result));

#endif

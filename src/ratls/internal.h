/*
 * internal.h - what the files of src/ratls share (not installed).
 */
#ifndef CUSTOS_RATLS_INTERNAL_H
#define CUSTOS_RATLS_INTERNAL_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/ratls.h"

/* Kinds of evidence, whatever tag or extension they came under. */
enum ratls_kind { RATLS_KIND_INTEL = 1, RATLS_KIND_SNP, RATLS_KIND_SIM };

/* One piece of evidence found in a certificate: copies, owned by the inspection. */
struct ratls_item {
	enum ratls_ext from;
	enum ratls_kind kind;
	uint8_t *ev;
	size_t evlen;
	uint8_t *endorsement; /* NULL when none came with it */
	size_t endlen;
};

/*
 * Verify one piece of evidence at now: claims on success; *from and
 * *until narrowed to the window in which every certificate it chains
 * through is valid. CU_EAUTH (does not verify), CU_EUNTRUSTED (an unpinned
 * or absent root), CU_ENOMEM; reason says why.
 */
int ratls_item_verify(const struct ratls_item *it, const struct ratls_trust *trust, int64_t now,
                      struct tee_claims *claims, int64_t *from, int64_t *until, char *reason,
                      size_t reasonsz);

/*
 * ratls_cert_inspect() on a certificate OpenSSL parsed already (the
 * verifier's, in a handshake): out is expected cleared, x is not copied.
 */
int ratls_inspect_x509(X509 *x, int64_t now, const struct ratls_trust *trust,
                       struct ratls_info *out);

/* The kind for a DICE CBOR tag, 0 when unknown. */
enum ratls_kind ratls_kind_of_tag(uint64_t tag);

/* Narrow [*from, *until] to x's validity. CU_EFORMAT when its times do not parse. */
int ratls_window_x509(const X509 *x, int64_t *from, int64_t *until);

/* Seconds since the epoch of an ASN1_TIME; *ok 0 when it does not parse. */
int64_t ratls_asn1_time(const ASN1_TIME *t, int *ok);

/* The DER SubjectPublicKeyInfo of key, OPENSSL_malloc'd; length or <= 0. */
int ratls_spki_der(const EVP_PKEY *key, uint8_t **der);

#endif

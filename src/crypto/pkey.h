/*
 * pkey.h - signature keys: Ed25519, ECDSA P-256 and P-384.
 *
 * Keys are OpenSSL EVP_PKEYs owned by the caller (EVP_PKEY_free).
 * Signatures are in raw form: 64 bytes for Ed25519; r||s, each zero-padded
 * to the curve size, for ECDSA (the form Intel's quotes and AMD's reports
 * use). ECDSA hashes with SHA-256 on P-256 and SHA-384 on P-384.
 */
#ifndef CUSTOS_CRYPTO_PKEY_H
#define CUSTOS_CRYPTO_PKEY_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

enum cr_key_type { CR_KEY_NONE, CR_KEY_ED25519, CR_KEY_P256, CR_KEY_P384 };

#define CR_SIG_MAX_LEN 96

/* Name ("ed25519", "ecdsa-p256", "ecdsa-p384") and back. */
const char *cr_key_type_name(enum cr_key_type t);
enum cr_key_type cr_key_type_from_name(const char *name);

/* The type of k, CR_KEY_NONE for anything else (RSA, other curves). */
enum cr_key_type cr_pkey_type(const EVP_PKEY *k);

/* Raw signature length of a key type. */
size_t cr_sig_len(enum cr_key_type t);

int cr_pkey_generate(enum cr_key_type t, EVP_PKEY **out);

/* Parse a PEM private key (PKCS#8 or traditional) or public key (SubjectPublicKeyInfo). */
int cr_pkey_from_pem(const void *pem, size_t len, int is_private, EVP_PKEY **out);

/* PEM of the private key (unencrypted PKCS#8) or of the public key; *out is a NUL-terminated
 * malloc'd string. */
int cr_pkey_to_pem(EVP_PKEY *k, int is_private, char **out, size_t *len);

/* DER SubjectPublicKeyInfo, malloc'd. */
int cr_pkey_spki_der(EVP_PKEY *k, uint8_t **out, size_t *len);

/* An EC public key from its raw coordinates x||y (64 bytes for P-256, 96 for P-384). */
int cr_pkey_from_ec_xy(enum cr_key_type t, const uint8_t *xy, size_t len, EVP_PKEY **out);

/* Sign msg; sig must hold cr_sig_len bytes, *siglen gets the length. */
int cr_sign(EVP_PKEY *k, const void *msg, size_t n, uint8_t *sig, size_t *siglen);

/* Verify a raw signature; CU_EAUTH when it does not verify. */
int cr_verify(EVP_PKEY *k, const void *msg, size_t n, const uint8_t *sig, size_t siglen)
    __attribute__((warn_unused_result));

/* Convert between raw r||s (2 * coordlen bytes) and DER ECDSA-Sig-Value. */
int cr_ecdsa_raw_to_der(const uint8_t *raw, size_t rawlen, uint8_t **der, size_t *derlen);
int cr_ecdsa_der_to_raw(const uint8_t *der, size_t derlen, size_t coordlen, uint8_t *raw);

#endif

/* hkdf.h - HKDF (RFC 5869) over SHA-256/384. */
#ifndef CUSTOS_CRYPTO_HKDF_H
#define CUSTOS_CRYPTO_HKDF_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/hash.h"

/* Extract-then-expand: outlen bytes of key material into out. salt may be NULL. */
int cr_hkdf(enum cr_hash_alg alg, const uint8_t *ikm, size_t ikmlen, const uint8_t *salt,
            size_t saltlen, const void *info, size_t infolen, uint8_t *out, size_t outlen);

#endif

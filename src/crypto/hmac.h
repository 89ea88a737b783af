/* hmac.h - HMAC over SHA-256/384/512. */
#ifndef CUSTOS_CRYPTO_HMAC_H
#define CUSTOS_CRYPTO_HMAC_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/hash.h"

/* out receives cr_hash_len(alg) bytes. */
int cr_hmac(enum cr_hash_alg alg, const uint8_t *key, size_t keylen, const void *data, size_t n,
            uint8_t *out);

/* Constant-time check of an HMAC tag; CU_EAUTH when it does not match. */
int cr_hmac_verify(enum cr_hash_alg alg, const uint8_t *key, size_t keylen, const void *data,
                   size_t n, const uint8_t *tag, size_t taglen) __attribute__((warn_unused_result));

#endif

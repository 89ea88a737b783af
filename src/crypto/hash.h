/*
 * hash.h - SHA-256 and SHA-384, one-shot and incremental.
 */
#ifndef CUSTOS_CRYPTO_HASH_H
#define CUSTOS_CRYPTO_HASH_H

#include <stddef.h>
#include <stdint.h>

#define CR_SHA256_LEN   32
#define CR_SHA384_LEN   48
#define CR_HASH_MAX_LEN 64

enum cr_hash_alg { CR_SHA256, CR_SHA384, CR_SHA512 };

/* Digest length of alg in bytes. */
size_t cr_hash_len(enum cr_hash_alg alg);

int cr_sha256(const void *data, size_t n, uint8_t out[static CR_SHA256_LEN]);
int cr_sha384(const void *data, size_t n, uint8_t out[static CR_SHA384_LEN]);

/* Incremental hashing. cr_hash_free accepts NULL. */
struct cr_hash;
int cr_hash_new(enum cr_hash_alg alg, struct cr_hash **out);
int cr_hash_update(struct cr_hash *h, const void *data, size_t n);
/* Write the digest (cr_hash_len bytes) to out; h may be reused after cr_hash_reset. */
int cr_hash_final(struct cr_hash *h, uint8_t *out);
int cr_hash_reset(struct cr_hash *h);
void cr_hash_free(struct cr_hash *h);

/* Hash a whole file by path (streaming). */
int cr_hash_file(enum cr_hash_alg alg, const char *path, uint8_t *out);

#endif

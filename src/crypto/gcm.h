/*
 * gcm.h - AES-GCM with 128- or 256-bit keys, 96-bit IVs and 128-bit tags.
 *
 * A cr_gcm holds one key schedule for one direction and may seal or open
 * many messages, each under its own IV (the caller guarantees IVs never
 * repeat under one key). Messages may be processed in one call or streamed:
 * begin, update any number of times, then finish. Open only reports success
 * after the tag checks: callers of the streaming form must discard what
 * update produced when finish fails. The key is wiped by cr_gcm_free.
 */
#ifndef CUSTOS_CRYPTO_GCM_H
#define CUSTOS_CRYPTO_GCM_H

#include <stddef.h>
#include <stdint.h>

#define CR_GCM_IV_LEN  12
#define CR_GCM_TAG_LEN 16

enum cr_dir { CR_DECRYPT = 0, CR_ENCRYPT = 1 };

struct cr_gcm;

/* keylen is 16 or 32. */
int cr_gcm_new(const uint8_t *key, size_t keylen, enum cr_dir dir, struct cr_gcm **out);
void cr_gcm_free(struct cr_gcm *g);

int cr_gcm_seal(struct cr_gcm *g, const uint8_t iv[static CR_GCM_IV_LEN], const void *aad,
                size_t aadlen, const uint8_t *in, size_t n, uint8_t *out,
                uint8_t tag[static CR_GCM_TAG_LEN]);

/* CU_EAUTH when the tag does not match; out is wiped then. */
int cr_gcm_open(struct cr_gcm *g, const uint8_t iv[static CR_GCM_IV_LEN], const void *aad,
                size_t aadlen, const uint8_t *in, size_t n, uint8_t *out,
                const uint8_t tag[static CR_GCM_TAG_LEN]) __attribute__((warn_unused_result));

/* Streaming. out of update must hold n bytes (in may equal out). */
int cr_gcm_begin(struct cr_gcm *g, const uint8_t iv[static CR_GCM_IV_LEN], const void *aad,
                 size_t aadlen);
int cr_gcm_update(struct cr_gcm *g, const uint8_t *in, size_t n, uint8_t *out);
int cr_gcm_finish_seal(struct cr_gcm *g, uint8_t tag[static CR_GCM_TAG_LEN]);
int cr_gcm_finish_open(struct cr_gcm *g, const uint8_t tag[static CR_GCM_TAG_LEN])
    __attribute__((warn_unused_result));

/* One-shot helpers that set up and free a context. */
int cr_aead_seal(const uint8_t *key, size_t keylen, const uint8_t iv[static CR_GCM_IV_LEN],
                 const void *aad, size_t aadlen, const uint8_t *in, size_t n, uint8_t *out,
                 uint8_t tag[static CR_GCM_TAG_LEN]);
int cr_aead_open(const uint8_t *key, size_t keylen, const uint8_t iv[static CR_GCM_IV_LEN],
                 const void *aad, size_t aadlen, const uint8_t *in, size_t n, uint8_t *out,
                 const uint8_t tag[static CR_GCM_TAG_LEN]) __attribute__((warn_unused_result));

#endif

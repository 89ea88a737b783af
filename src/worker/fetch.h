/*
 * fetch.h - the worker's file agent: bring a task's encrypted inputs in
 * from untrusted storage, check them, decrypt them inside the TEE; encrypt
 * its outputs for their owners and put them out (DESIGN.md §8).
 *
 * Locations: file:///ABS/PATH, http://, https:// (libcurl GET and PUT,
 * bounded size and time, retries on transient failures), data:[...][;base64],DATA
 * (RFC 2397), and fusion://ID (platform-internal: kept by the caller, not
 * here: fa_get/fa_put refuse it with CU_EUNSUPPORTED).
 *
 * Integrity: the SHA-256 of the bytes fetched (the ciphertext) must equal
 * the digest registered with the file, compared in constant time, before
 * any decryption: a file swapped on the host is refused (CU_EAUTH). Then
 * the registered crypto decrypts it (src/efile: the Custos format or
 * Teaclave's aes-gcm-128/256), which authenticates every byte again.
 * Outputs are encrypted under their owner's key with a fresh random nonce
 * (Custos format) or a fresh random IV (aes-gcm), never a reused one; the
 * SHA-256 of the ciphertext written is returned for the task's result.
 */
#ifndef CUSTOS_WORKER_FETCH_H
#define CUSTOS_WORKER_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "efile/efile.h"

#define FA_REASON_MAX   512
#define FA_SIZE_DEFAULT (1024ull * 1024 * 1024) /* 1 GiB */

struct fa_crypto {
	enum ef_format format;
	uint8_t key[32];
	size_t key_len; /* 32, or 16 for aes-gcm-128 */
	uint8_t iv[12]; /* aes-gcm only; for outputs, made fresh by fa_put_encrypted */
};

struct fa_options {
	uint64_t max_size; /* bytes of a file, got or put; 0: FA_SIZE_DEFAULT */
	long timeout_ms;   /* per transfer; 0: 60 s */
	int retries;       /* on connection errors and 5xx; 0: 2; < 0: none */
};

/* Raw bytes of url (malloc'd). CU_ELIMIT over max_size; CU_ENOTFOUND; CU_EIO/CU_ENET. */
int fa_get(const char *url, const struct fa_options *o, uint8_t **out, size_t *len, char *why,
           size_t whysz) __attribute__((warn_unused_result));

/* Put len bytes at url (file:// written atomically; http(s) PUT). */
int fa_put(const char *url, const struct fa_options *o, const uint8_t *data, size_t len, char *why,
           size_t whysz) __attribute__((warn_unused_result));

/*
 * Fetch url, check SHA-256(ciphertext) == digest, decrypt with c into
 * *plain (malloc'd; the caller wipes it with cu_free_secret). CU_EAUTH for
 * a digest mismatch or a failed decryption, with why saying which.
 */
int fa_get_decrypted(const char *url, const uint8_t digest[32], const struct fa_crypto *c,
                     const struct fa_options *o, uint8_t **plain, size_t *len, char *why,
                     size_t whysz) __attribute__((warn_unused_result));

/*
 * The checks of fa_get_decrypted on ciphertext ct[0..n) already in memory
 * (a fusion file the platform keeps): SHA-256 equal to digest, then
 * decryption into *plain (at most max bytes; 0: FA_SIZE_DEFAULT). what
 * names the file in why.
 */
int fa_open(const char *what, const uint8_t *ct, size_t n, const uint8_t digest[32],
            const struct fa_crypto *c, uint64_t max, uint8_t **plain, size_t *len, char *why,
            size_t whysz) __attribute__((warn_unused_result));

/*
 * Encrypt plain as fa_put_encrypted does (a fresh nonce or IV) into *ct
 * (malloc'd, the caller's), with its SHA-256 in digest, and put it nowhere.
 */
int fa_seal(struct fa_crypto *c, const uint8_t *plain, size_t len, uint8_t **ct, size_t *n,
            uint8_t digest[32], char *why, size_t whysz) __attribute__((warn_unused_result));

/*
 * Encrypt plain under c's key with a fresh nonce (Custos format: a random
 * nonce prefix in the header) or a fresh random IV written into c->iv
 * (aes-gcm: the owner learns it from the task's result, since Teaclave's
 * format does not carry it), and put it at url; digest gets the SHA-256 of
 * the ciphertext written.
 */
int fa_put_encrypted(const char *url, struct fa_crypto *c, const struct fa_options *o,
                     const uint8_t *plain, size_t len, uint8_t digest[32], char *why, size_t whysz)
    __attribute__((warn_unused_result));

#endif

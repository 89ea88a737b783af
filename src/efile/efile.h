/*
 * efile.h - the Custos encrypted file format, and Teaclave's formats.
 *
 * Custos format, version 1 (docs/file-format.md is the byte-level spec):
 *
 *   header (40 bytes): "CUSTOSEF" | version 1 | algorithm 1 | flags 0 (2) |
 *                      chunk size (4, big endian) | salt (24, random)
 *   chunks:            ciphertext of one plaintext chunk | GCM tag (16)
 *
 * The file key is never used directly: each file gets its own AES-256 key
 * from HKDF-SHA256(key, salt, "custos-efile-v1" | header[0..16)), so that
 * nonces never repeat across files. Chunk i is sealed with the nonce
 * 0x00000000 | i (8 bytes, big endian) and the associated data
 * header | final flag (1 byte), where the flag is 1 on the last chunk only
 * (the STREAM construction). Every chunk but the last holds exactly
 * `chunk size` bytes of plaintext; the last holds 1..chunk size (0 only
 * when the whole file is empty, which is a header and one 16-byte tag), so
 * that every plaintext has exactly one encoding. This detects truncation,
 * extension, reordering, splicing of chunks between files, and any change of
 * the header. The content digest of an encrypted file is the SHA-256 of all
 * its bytes.
 *
 * Teaclave formats (migration): the whole file is AES-GCM ciphertext
 * followed by its 16-byte tag, with the associated data eight zero bytes; the
 * 12-byte IV is kept outside the file. They need the whole file to check the
 * tag: the streaming decryptor writes plaintext before it knows whether the
 * tag matches, so callers must discard output when it fails.
 *
 * Streaming uses constant memory whatever the file size. On failure,
 * decryption reports CU_EAUTH (wrong key or tampered data), CU_ETRUNC
 * (truncated), CU_EFORMAT / CU_EUNSUPPORTED (not a file we read).
 */
#ifndef CUSTOS_EFILE_EFILE_H
#define CUSTOS_EFILE_EFILE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/gcm.h"
#include "crypto/hash.h"

#define EF_MAGIC           "CUSTOSEF"
#define EF_MAGIC_LEN       8
#define EF_VERSION         1
#define EF_ALG_AES256GCM   1
#define EF_HEADER_LEN      40
#define EF_SALT_LEN        24
#define EF_TAG_LEN         CR_GCM_TAG_LEN
#define EF_KEY_LEN         32
#define EF_DEFAULT_CHUNK   (64u * 1024)
#define EF_MIN_CHUNK       1024u
#define EF_MAX_CHUNK       (16u * 1024 * 1024)
#define EF_DIGEST_LEN      CR_SHA256_LEN
#define EF_TEACLAVE_IV_LEN CR_GCM_IV_LEN

enum ef_format {
	EF_FORMAT_CUSTOS = 1,
	EF_FORMAT_AES_GCM_128, /* Teaclave "aes-gcm-128" */
	EF_FORMAT_AES_GCM_256, /* Teaclave "aes-gcm-256" */
};

/* "custos", "aes-gcm-128", "aes-gcm-256"; and back (0 if unknown). */
const char *ef_format_name(enum ef_format f);
enum ef_format ef_format_from_name(const char *name);
/* Key length of a format: 32, 16 or 32. */
size_t ef_format_key_len(enum ef_format f);

/* A parsed Custos header. */
struct ef_header {
	uint8_t version;
	uint8_t algorithm;
	uint32_t chunk_size;
	uint8_t salt[EF_SALT_LEN];
	uint8_t raw[EF_HEADER_LEN];
};

/* Parse and check a header. CU_EFORMAT (not a Custos file), CU_EUNSUPPORTED (newer version or
 * algorithm). */
int ef_header_parse(const uint8_t *buf, size_t len, struct ef_header *h);

/*
 * Chunk-level sealing. A stream is bound to one file: its header and its
 * derived key. ef_stream_new_encrypt makes a fresh random salt; the caller
 * writes ef_stream_header() first, then every chunk in order. Chunk
 * indexes are tracked internally; after a final chunk the stream refuses
 * more (CU_ESTATE).
 */
struct ef_stream;
int ef_stream_new_encrypt(const uint8_t key[static EF_KEY_LEN], uint32_t chunk_size,
                          struct ef_stream **out);
int ef_stream_new_decrypt(const uint8_t key[static EF_KEY_LEN], const struct ef_header *h,
                          struct ef_stream **out);
const uint8_t *ef_stream_header(const struct ef_stream *s);
uint32_t ef_stream_chunk_size(const struct ef_stream *s);
/* in has n <= chunk size bytes (n == chunk size unless final); out receives n + EF_TAG_LEN bytes.
 */
int ef_stream_seal(struct ef_stream *s, const uint8_t *in, size_t n, int final, uint8_t *out);
/* in has n >= EF_TAG_LEN bytes (ciphertext then tag); out receives n - EF_TAG_LEN bytes. */
int ef_stream_open(struct ef_stream *s, const uint8_t *in, size_t n, int final, uint8_t *out)
    __attribute__((warn_unused_result));
void ef_stream_free(struct ef_stream *s);

/* Progress callback: bytes of input consumed so far. May be NULL. */
typedef void (*ef_progress_fn)(void *arg, uint64_t done);

struct ef_io_opts {
	uint32_t chunk_size; /* Custos format; 0 means EF_DEFAULT_CHUNK */
	ef_progress_fn progress;
	void *progress_arg;
};

/*
 * Encrypt everything readable from in_fd to out_fd. digest (may be NULL)
 * receives the SHA-256 of the bytes written. For the Teaclave formats, iv
 * is the 12-byte IV and tag (may be NULL) receives the tag.
 */
int ef_encrypt_fd(enum ef_format f, const uint8_t *key, size_t keylen, const uint8_t *iv, int in_fd,
                  int out_fd, const struct ef_io_opts *opts, uint8_t digest[EF_DIGEST_LEN],
                  uint8_t tag[EF_TAG_LEN]);

/* Decrypt in_fd to out_fd; see the header comment for what failure means for the output. */
int ef_decrypt_fd(enum ef_format f, const uint8_t *key, size_t keylen, const uint8_t *iv, int in_fd,
                  int out_fd, const struct ef_io_opts *opts) __attribute__((warn_unused_result));

/*
 * In-memory forms. *out is malloc'd (wiped and freed by the caller with
 * cu_free_secret for plaintext); max bounds the plaintext accepted.
 */
int ef_encrypt_buf(enum ef_format f, const uint8_t *key, size_t keylen, const uint8_t *iv,
                   const uint8_t *in, size_t n, uint8_t **out, size_t *outlen);
int ef_decrypt_buf(enum ef_format f, const uint8_t *key, size_t keylen, const uint8_t *iv,
                   const uint8_t *in, size_t n, size_t max, uint8_t **out, size_t *outlen)
    __attribute__((warn_unused_result));

/* Recognise a file from its first bytes: EF_FORMAT_CUSTOS or 0 (Teaclave files have no header). */
enum ef_format ef_detect(const uint8_t *buf, size_t len);

#endif

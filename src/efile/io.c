/* Streaming encryption and decryption between file descriptors and buffers. */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"
#include "efile/efile.h"
#include "efile/pipeline.h"

const char *ef_format_name(enum ef_format f)
{
	switch (f) {
	case EF_FORMAT_CUSTOS:
		return "custos";
	case EF_FORMAT_AES_GCM_128:
		return "aes-gcm-128";
	case EF_FORMAT_AES_GCM_256:
		return "aes-gcm-256";
	}
	return "unknown";
}

enum ef_format ef_format_from_name(const char *name)
{
	if (!name)
		return 0;
	if (!strcmp(name, "custos"))
		return EF_FORMAT_CUSTOS;
	if (!strcmp(name, "aes-gcm-128"))
		return EF_FORMAT_AES_GCM_128;
	if (!strcmp(name, "aes-gcm-256"))
		return EF_FORMAT_AES_GCM_256;
	return 0;
}

size_t ef_format_key_len(enum ef_format f)
{
	return f == EF_FORMAT_AES_GCM_128 ? 16 : f ? 32 : 0;
}

/* Output side of a stream: writes to fd, hashes what it writes. */
struct sink {
	int fd;
	struct cr_hash *hash;
};

static int sink_write(struct sink *k, const uint8_t *p, size_t n)
{
	int rc = 0;

	if (k->hash)
		rc = cr_hash_update(k->hash, p, n);
	if (!rc)
		rc = cu_write_full(k->fd, p, n);
	return rc;
}

static void progress(const struct ef_io_opts *o, uint64_t done)
{
	if (o && o->progress)
		o->progress(o->progress_arg, done);
}

/*
 * The Custos format streams in batches of whole chunks: one read() and one
 * write() per batch, and a second thread beside the calling one. Decryption
 * reads ahead on the helper (ciphertext only) while the calling thread
 * authenticates, decrypts and writes; nothing is written before its chunk
 * authenticates. Encryption reads, seals and writes on the calling thread
 * while the helper hashes the ciphertext for the content digest. Memory is
 * EF_PL_SLOTS batches plus one, whatever the file size.
 */
#define EF_BATCH (512u * 1024)

/* Chunks per batch: as many as fit in EF_BATCH, at least one. */
static size_t batch_chunks(uint32_t cs)
{
	return cs >= EF_BATCH ? 1 : EF_BATCH / cs;
}

/* Fewer slots for huge chunks, so that memory stays near three chunks. */
static int ring_slots(size_t slot)
{
	return slot <= 2 * (size_t)EF_BATCH ? EF_PL_SLOTS : 2;
}

/*
 * Seal got bytes of plaintext (whole chunks, then the final one when final)
 * into ct; *clen gets the bytes of ciphertext.
 */
static int seal_batch(struct ef_stream *s, const uint8_t *pt, size_t got, int final, size_t cs,
                      uint8_t *ct, size_t *clen)
{
	size_t off = 0, n;
	int last, rc;

	*clen = 0;
	do {
		n = got - off;
		last = final && n <= cs;
		if (!last)
			n = cs;
		if ((rc = ef_stream_seal(s, pt + off, n, last, ct + *clen)))
			return rc;
		off += n;
		*clen += n + EF_TAG_LEN;
	} while (off < got);
	return 0;
}

/* Read, seal and write on this thread; hash the ciphertext on the helper when hash is set. */
static int custos_encrypt(const uint8_t *key, int in_fd, struct sink *out,
                          const struct ef_io_opts *o)
{
	uint32_t cs = o && o->chunk_size ? o->chunk_size : EF_DEFAULT_CHUNK;
	size_t k = batch_chunks(cs), ptlen = k * cs, ctlen = k * (cs + EF_TAG_LEN), got, clen;
	struct ef_pl_input in;
	struct ef_pl *hasher = NULL;
	struct ef_pl_slot *slot;
	struct ef_stream *s = NULL;
	uint8_t *pt = NULL, *ctbuf = NULL, *ct;
	uint64_t done = 0;
	int final = 0, rc;

	ef_pl_input_init(&in, in_fd);
	if ((rc = ef_stream_new_encrypt(key, cs, &s)))
		return rc;
	rc = CU_ENOMEM;
	if (!(pt = malloc(ptlen)))
		goto out;
	if (out->hash ? (rc = ef_pl_new(ctlen, ring_slots(ctlen), 0, &hasher)) != 0
	              : (ctbuf = malloc(ctlen)) == NULL)
		goto out;
	if ((rc = sink_write(out, ef_stream_header(s), EF_HEADER_LEN)) ||
	    (hasher && (rc = ef_pl_start_hasher(hasher, out->hash))))
		goto out;
	while (!final) {
		if ((rc = ef_pl_read_block(&in, pt, ptlen, &got, &final)))
			goto out;
		slot = hasher ? ef_pl_get_free(hasher) : NULL;
		if (hasher && !slot) {
			rc = CU_ESTATE; /* cannot happen: only this thread stops the ring */
			goto out;
		}
		ct = slot ? slot->buf : ctbuf;
		if ((rc = seal_batch(s, pt, got, final, cs, ct, &clen)))
			goto out;
		if (slot) {
			slot->len = clen;
			ef_pl_put_full(hasher); /* hashed while we write it */
		}
		if ((rc = cu_write_full(out->fd, ct, clen)))
			goto out;
		progress(o, done += got);
	}
	if (hasher)
		rc = ef_pl_finish(hasher, 1);
out:
	if (hasher)
		ef_pl_finish(hasher, 0);
	ef_pl_free(hasher);
	cu_free_secret(pt, ptlen);
	free(ctbuf);
	ef_stream_free(s);
	return rc;
}

/*
 * Open the records of one batch (whole records, then the final one when the
 * input ends) into pt, then write the plaintext of every record that
 * authenticated, also when a later one does not.
 */
static int open_batch(struct ef_stream *s, const struct ef_pl_slot *b, size_t rec, uint8_t *pt,
                      struct sink *out, uint64_t *done)
{
	size_t off = 0, w = 0, n;
	int last, rc = 0, wrc;

	do {
		n = b->len - off;
		last = b->final && n <= rec;
		if (!last)
			n = rec;
		if (n < EF_TAG_LEN) {
			rc = CU_ETRUNC;
			break;
		}
		if ((rc = ef_stream_open(s, b->buf + off, n, last, pt + w)))
			break;
		off += n;
		w += n - EF_TAG_LEN;
	} while (off < b->len);
	*done += off;
	if (w && (wrc = sink_write(out, pt, w)))
		return wrc;
	return rc;
}

/* Read ahead on the helper; authenticate, decrypt and write on this thread. */
static int custos_decrypt(const uint8_t *key, int in_fd, struct sink *out,
                          const struct ef_io_opts *o)
{
	struct ef_header h;
	struct ef_stream *s = NULL;
	struct ef_pl *reader = NULL;
	const struct ef_pl_slot *b;
	uint8_t hdr[EF_HEADER_LEN], *pt = NULL;
	uint64_t done = EF_HEADER_LEN;
	size_t got, rec, k, ptlen = 0;
	int final = 0, rc;

	if ((rc = cu_read_full(in_fd, hdr, sizeof(hdr), &got)))
		return rc;
	if ((rc = ef_header_parse(hdr, got, &h)))
		return rc;
	if ((rc = ef_stream_new_decrypt(key, &h, &s)))
		return rc;
	rec = (size_t)h.chunk_size + EF_TAG_LEN;
	k = batch_chunks(h.chunk_size);
	ptlen = k * h.chunk_size;
	rc = CU_ENOMEM;
	if (!(pt = malloc(ptlen)) || (rc = ef_pl_new(k * rec, ring_slots(k * rec), 0, &reader)) ||
	    (rc = ef_pl_start_reader(reader, in_fd)))
		goto out;
	while (!final) {
		if (!(b = ef_pl_get_full(reader))) {
			rc = CU_ESTATE; /* cannot happen: only this thread stops the ring */
			break;
		}
		rc = b->rc ? b->rc : open_batch(s, b, rec, pt, out, &done);
		final = b->final;
		ef_pl_put_free(reader);
		if (rc)
			break;
		progress(o, done);
	}
out:
	if (reader)
		ef_pl_finish(reader, 0);
	ef_pl_free(reader);
	cu_free_secret(pt, ptlen);
	ef_stream_free(s);
	return rc;
}

#define TC_BLOCK (64u * 1024)

static int teaclave_encrypt(const uint8_t *key, size_t keylen, const uint8_t *iv, int in_fd,
                            struct sink *out, const struct ef_io_opts *o, uint8_t *tag_out)
{
	static const uint8_t aad[8] = {0};
	struct cr_gcm *g = NULL;
	uint8_t *buf = NULL, tag[EF_TAG_LEN];
	uint64_t done = 0;
	size_t got;
	int rc;

	if ((rc = cr_gcm_new(key, keylen, CR_ENCRYPT, &g)) ||
	    (rc = cr_gcm_begin(g, iv, aad, sizeof(aad))))
		goto out;
	rc = CU_ENOMEM;
	if (!(buf = malloc(TC_BLOCK)))
		goto out;
	do {
		if ((rc = cu_read_full(in_fd, buf, TC_BLOCK, &got)) ||
		    (rc = cr_gcm_update(g, buf, got, buf)) || (rc = sink_write(out, buf, got)))
			goto out;
		progress(o, done += got);
	} while (got == TC_BLOCK);
	if ((rc = cr_gcm_finish_seal(g, tag)) || (rc = sink_write(out, tag, sizeof(tag))))
		goto out;
	if (tag_out)
		memcpy(tag_out, tag, sizeof(tag));
out:
	cu_free_secret(buf, TC_BLOCK);
	cr_gcm_free(g);
	return rc;
}

static int teaclave_decrypt(const uint8_t *key, size_t keylen, const uint8_t *iv, int in_fd,
                            struct sink *out, const struct ef_io_opts *o)
{
	static const uint8_t aad[8] = {0};
	struct cr_gcm *g = NULL;
	uint8_t *buf = NULL;
	size_t got, held = 0, avail;
	uint64_t done = 0;
	int rc;

	if ((rc = cr_gcm_new(key, keylen, CR_DECRYPT, &g)) ||
	    (rc = cr_gcm_begin(g, iv, aad, sizeof(aad))))
		goto out;
	rc = CU_ENOMEM;
	/* buf[0..held) holds the last bytes seen, which may be the tag. */
	if (!(buf = malloc(EF_TAG_LEN + TC_BLOCK)))
		goto out;
	do {
		if ((rc = cu_read_full(in_fd, buf + held, TC_BLOCK, &got)))
			goto out;
		avail = held + got;
		if (avail > EF_TAG_LEN) {
			size_t n = avail - EF_TAG_LEN;
			if ((rc = cr_gcm_update(g, buf, n, buf)) || (rc = sink_write(out, buf, n)))
				goto out;
			memmove(buf, buf + n, EF_TAG_LEN);
			held = EF_TAG_LEN;
		} else {
			held = avail;
		}
		progress(o, done += got);
	} while (got == TC_BLOCK);
	if (held < EF_TAG_LEN) {
		rc = CU_ETRUNC;
		goto out;
	}
	rc = cr_gcm_finish_open(g, buf);
out:
	cu_free_secret(buf, EF_TAG_LEN + TC_BLOCK);
	cr_gcm_free(g);
	return rc;
}

static int key_ok(enum ef_format f, size_t keylen, const uint8_t *iv)
{
	if (!ef_format_key_len(f) || keylen != ef_format_key_len(f))
		return CU_EKEY;
	if (f != EF_FORMAT_CUSTOS && !iv)
		return CU_EINVAL;
	return 0;
}

int ef_encrypt_fd(enum ef_format f, const uint8_t *key, size_t keylen, const uint8_t *iv, int in_fd,
                  int out_fd, const struct ef_io_opts *opts, uint8_t digest[EF_DIGEST_LEN],
                  uint8_t tag[EF_TAG_LEN])
{
	struct sink out = {out_fd, NULL};
	int rc = key_ok(f, keylen, iv);

	if (rc)
		return rc;
	if (digest && (rc = cr_hash_new(CR_SHA256, &out.hash)))
		return rc;
	if (f == EF_FORMAT_CUSTOS)
		rc = custos_encrypt(key, in_fd, &out, opts);
	else
		rc = teaclave_encrypt(key, keylen, iv, in_fd, &out, opts, tag);
	if (!rc && digest)
		rc = cr_hash_final(out.hash, digest);
	cr_hash_free(out.hash);
	return rc;
}

int ef_decrypt_fd(enum ef_format f, const uint8_t *key, size_t keylen, const uint8_t *iv, int in_fd,
                  int out_fd, const struct ef_io_opts *opts)
{
	struct sink out = {out_fd, NULL};
	int rc = key_ok(f, keylen, iv);

	if (rc)
		return rc;
	if (f == EF_FORMAT_CUSTOS)
		return custos_decrypt(key, in_fd, &out, opts);
	return teaclave_decrypt(key, keylen, iv, in_fd, &out, opts);
}

/* Streaming encryption and decryption between file descriptors and buffers. */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"
#include "efile/efile.h"

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
 * Read up to n bytes, then tell whether the input ends right after them
 * (*final): a full read is final only when a one-byte look-ahead finds EOF.
 * The look-ahead byte, if any, is returned in *peek for the next call.
 */
struct reader_la {
	int fd;
	int have_peek;
	uint8_t peek;
};

static int read_block(struct reader_la *r, uint8_t *buf, size_t n, size_t *got, int *final)
{
	size_t off = 0, g;
	int rc;

	*got = 0;
	*final = 0;
	if (r->have_peek) {
		buf[0] = r->peek;
		off = 1;
		r->have_peek = 0;
	}
	rc = cu_read_full(r->fd, buf + off, n - off, &g);
	if (rc)
		return rc;
	*got = off + g;
	if (*got < n) {
		*final = 1;
		return 0;
	}
	rc = cu_read_full(r->fd, &r->peek, 1, &g);
	if (rc)
		return rc;
	r->have_peek = g == 1;
	*final = g == 0;
	return 0;
}

static int custos_encrypt(const uint8_t *key, int in_fd, struct sink *out,
                          const struct ef_io_opts *o)
{
	uint32_t cs = o && o->chunk_size ? o->chunk_size : EF_DEFAULT_CHUNK;
	struct reader_la in = {in_fd, 0, 0};
	struct ef_stream *s = NULL;
	uint8_t *pt = NULL, *ct = NULL;
	uint64_t done = 0;
	size_t got;
	int final = 0, rc;

	if ((rc = ef_stream_new_encrypt(key, cs, &s)))
		return rc;
	rc = CU_ENOMEM;
	if (!(pt = malloc(cs)) || !(ct = malloc((size_t)cs + EF_TAG_LEN)))
		goto out;
	if ((rc = sink_write(out, ef_stream_header(s), EF_HEADER_LEN)))
		goto out;
	while (!final) {
		if ((rc = read_block(&in, pt, cs, &got, &final)))
			goto out;
		if ((rc = ef_stream_seal(s, pt, got, final, ct)) ||
		    (rc = sink_write(out, ct, got + EF_TAG_LEN)))
			goto out;
		progress(o, done += got);
	}
out:
	cu_free_secret(pt, cs);
	free(ct);
	ef_stream_free(s);
	return rc;
}

static int custos_decrypt(const uint8_t *key, int in_fd, struct sink *out,
                          const struct ef_io_opts *o)
{
	struct reader_la in = {in_fd, 0, 0};
	struct ef_header h;
	struct ef_stream *s = NULL;
	uint8_t hdr[EF_HEADER_LEN], *pt = NULL, *ct = NULL;
	uint64_t done = EF_HEADER_LEN;
	size_t got, rec;
	int final = 0, rc;

	if ((rc = cu_read_full(in_fd, hdr, sizeof(hdr), &got)))
		return rc;
	if ((rc = ef_header_parse(hdr, got, &h)))
		return rc;
	if ((rc = ef_stream_new_decrypt(key, &h, &s)))
		return rc;
	rec = (size_t)h.chunk_size + EF_TAG_LEN;
	rc = CU_ENOMEM;
	if (!(pt = malloc(h.chunk_size)) || !(ct = malloc(rec)))
		goto out;
	while (!final) {
		if ((rc = read_block(&in, ct, rec, &got, &final)))
			goto out;
		if (got < EF_TAG_LEN) {
			rc = CU_ETRUNC;
			goto out;
		}
		if ((rc = ef_stream_open(s, ct, got, final, pt)) ||
		    (rc = sink_write(out, pt, got - EF_TAG_LEN)))
			goto out;
		progress(o, done += got);
	}
out:
	cu_free_secret(pt, h.chunk_size);
	free(ct);
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

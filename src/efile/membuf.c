/* In-memory encryption and decryption (the worker's inputs and outputs). */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "efile/efile.h"

static const uint8_t teaclave_aad[8];

/* Size of the Custos encoding of n plaintext bytes in chunks of cs, or 0 on overflow. */
static size_t custos_size(size_t n, uint32_t cs)
{
	size_t chunks = n ? n / cs + (n % cs != 0) : 1, tags, total;

	if (__builtin_mul_overflow(chunks, (size_t)EF_TAG_LEN, &tags) ||
	    __builtin_add_overflow(n, tags, &total) ||
	    __builtin_add_overflow(total, (size_t)EF_HEADER_LEN, &total))
		return 0;
	return total;
}

static int custos_seal_buf(const uint8_t *key, const uint8_t *in, size_t n, uint8_t **out,
                           size_t *outlen)
{
	struct ef_stream *s = NULL;
	size_t total = custos_size(n, EF_DEFAULT_CHUNK), off = 0, o = EF_HEADER_LEN;
	uint8_t *buf;
	int rc, final = 0;

	if (!total)
		return CU_ELIMIT;
	if ((rc = ef_stream_new_encrypt(key, EF_DEFAULT_CHUNK, &s)))
		return rc;
	if (!(buf = malloc(total))) {
		ef_stream_free(s);
		return CU_ENOMEM;
	}
	memcpy(buf, ef_stream_header(s), EF_HEADER_LEN);
	while (!final) {
		size_t m = n - off < EF_DEFAULT_CHUNK ? n - off : EF_DEFAULT_CHUNK;
		final = n - off <= EF_DEFAULT_CHUNK;
		if ((rc = ef_stream_seal(s, in + off, m, final, buf + o)))
			break;
		off += m;
		o += m + EF_TAG_LEN;
	}
	ef_stream_free(s);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	*outlen = o;
	return 0;
}

static int custos_open_buf(const uint8_t *key, const uint8_t *in, size_t n, size_t max,
                           uint8_t **out, size_t *outlen)
{
	struct ef_header h;
	struct ef_stream *s = NULL;
	size_t off = EF_HEADER_LEN, o = 0, rec, cap;
	uint8_t *buf = NULL;
	int rc, final = 0;

	if ((rc = ef_header_parse(in, n, &h)))
		return rc;
	/* The plaintext is shorter than the chunks that carry it. */
	cap = n - EF_HEADER_LEN;
	if ((rc = ef_stream_new_decrypt(key, &h, &s)))
		return rc;
	rec = (size_t)h.chunk_size + EF_TAG_LEN;
	rc = CU_ENOMEM;
	if (!(buf = malloc(cap ? cap : 1)))
		goto out;
	while (!final) {
		size_t m = n - off <= rec ? n - off : rec;
		final = n - off <= rec;
		if (m >= EF_TAG_LEN && m - EF_TAG_LEN > max - o) {
			rc = CU_ELIMIT;
			goto out;
		}
		if ((rc = ef_stream_open(s, in + off, m, final, buf + o)))
			goto out;
		off += m;
		o += m - EF_TAG_LEN;
	}
	*out = buf;
	*outlen = o;
	buf = NULL;
out:
	cu_free_secret(buf, cap);
	ef_stream_free(s);
	return rc;
}

int ef_encrypt_buf(enum ef_format f, const uint8_t *key, size_t keylen, const uint8_t *iv,
                   const uint8_t *in, size_t n, uint8_t **out, size_t *outlen)
{
	uint8_t *buf;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (!ef_format_key_len(f) || keylen != ef_format_key_len(f))
		return CU_EKEY;
	if (f == EF_FORMAT_CUSTOS)
		return custos_seal_buf(key, in, n, out, outlen);
	if (!iv)
		return CU_EINVAL;
	if (n > SIZE_MAX - EF_TAG_LEN || !(buf = malloc(n + EF_TAG_LEN)))
		return CU_ENOMEM;
	rc = cr_aead_seal(key, keylen, iv, teaclave_aad, sizeof(teaclave_aad), in, n, buf, buf + n);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	*outlen = n + EF_TAG_LEN;
	return 0;
}

int ef_decrypt_buf(enum ef_format f, const uint8_t *key, size_t keylen, const uint8_t *iv,
                   const uint8_t *in, size_t n, size_t max, uint8_t **out, size_t *outlen)
{
	uint8_t *buf;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (!ef_format_key_len(f) || keylen != ef_format_key_len(f))
		return CU_EKEY;
	if (f == EF_FORMAT_CUSTOS)
		return custos_open_buf(key, in, n, max, out, outlen);
	if (!iv)
		return CU_EINVAL;
	if (n < EF_TAG_LEN)
		return CU_ETRUNC;
	if (n - EF_TAG_LEN > max)
		return CU_ELIMIT;
	if (!(buf = malloc(n - EF_TAG_LEN + 1)))
		return CU_ENOMEM;
	rc = cr_aead_open(key, keylen, iv, teaclave_aad, sizeof(teaclave_aad), in, n - EF_TAG_LEN,
	                  buf, in + n - EF_TAG_LEN);
	if (rc) {
		cu_free_secret(buf, n - EF_TAG_LEN + 1);
		return rc;
	}
	*out = buf;
	*outlen = n - EF_TAG_LEN;
	return 0;
}

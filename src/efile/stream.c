/* The Custos format's header and chunk sealing (the STREAM construction). */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/reader.h"
#include "crypto/hkdf.h"
#include "crypto/rand.h"
#include "efile/efile.h"

#define EF_KDF_LABEL "custos-efile-v1"

struct ef_stream {
	struct cr_gcm *gcm;
	uint8_t header[EF_HEADER_LEN];
	uint8_t aad[EF_HEADER_LEN + 1];
	uint32_t chunk_size;
	uint64_t index;
	int finished;
};

int ef_header_parse(const uint8_t *buf, size_t len, struct ef_header *h)
{
	struct cu_reader r;
	uint8_t magic[EF_MAGIC_LEN];
	uint16_t flags;
	int rc;

	memset(h, 0, sizeof(*h));
	cu_reader_init(&r, buf, len);
	/* Too short for the magic, or another magic: not a Custos file at all. */
	if (cu_read_bytes(&r, magic, sizeof(magic)) || memcmp(magic, EF_MAGIC, EF_MAGIC_LEN) != 0)
		return CU_EFORMAT;
	if ((rc = cu_read_u8(&r, &h->version)) || (rc = cu_read_u8(&r, &h->algorithm)) ||
	    (rc = cu_read_u16be(&r, &flags)) || (rc = cu_read_u32be(&r, &h->chunk_size)) ||
	    (rc = cu_read_bytes(&r, h->salt, sizeof(h->salt))))
		return rc;
	if (h->version != EF_VERSION || h->algorithm != EF_ALG_AES256GCM)
		return CU_EUNSUPPORTED;
	if (flags != 0 || h->chunk_size < EF_MIN_CHUNK || h->chunk_size > EF_MAX_CHUNK)
		return CU_EFORMAT;
	memcpy(h->raw, buf, EF_HEADER_LEN);
	return 0;
}

enum ef_format ef_detect(const uint8_t *buf, size_t len)
{
	if (len >= EF_MAGIC_LEN && memcmp(buf, EF_MAGIC, EF_MAGIC_LEN) == 0)
		return EF_FORMAT_CUSTOS;
	return 0;
}

/* Derive the file key and set up the AEAD for the stream's direction. */
static int stream_init(struct ef_stream *s, const uint8_t key[static EF_KEY_LEN], enum cr_dir dir)
{
	uint8_t info[sizeof(EF_KDF_LABEL) - 1 + 16], fkey[EF_KEY_LEN];
	const uint8_t *salt = s->header + EF_HEADER_LEN - EF_SALT_LEN;
	int rc;

	memcpy(info, EF_KDF_LABEL, sizeof(EF_KDF_LABEL) - 1);
	memcpy(info + sizeof(EF_KDF_LABEL) - 1, s->header, 16);
	rc = cr_hkdf(CR_SHA256, key, EF_KEY_LEN, salt, EF_SALT_LEN, info, sizeof(info), fkey,
	             sizeof(fkey));
	if (!rc)
		rc = cr_gcm_new(fkey, sizeof(fkey), dir, &s->gcm);
	cu_wipe(fkey, sizeof(fkey));
	memcpy(s->aad, s->header, EF_HEADER_LEN);
	return rc;
}

int ef_stream_new_encrypt(const uint8_t key[static EF_KEY_LEN], uint32_t chunk_size,
                          struct ef_stream **out)
{
	struct ef_stream *s;
	uint8_t *p;
	int rc;

	*out = NULL;
	if (chunk_size < EF_MIN_CHUNK || chunk_size > EF_MAX_CHUNK)
		return CU_EINVAL;
	if (!(s = calloc(1, sizeof(*s))))
		return CU_ENOMEM;
	p = s->header;
	memcpy(p, EF_MAGIC, EF_MAGIC_LEN);
	p[8] = EF_VERSION;
	p[9] = EF_ALG_AES256GCM;
	p[10] = p[11] = 0;
	p[12] = (uint8_t)(chunk_size >> 24);
	p[13] = (uint8_t)(chunk_size >> 16);
	p[14] = (uint8_t)(chunk_size >> 8);
	p[15] = (uint8_t)chunk_size;
	s->chunk_size = chunk_size;
	rc = cr_random(p + 16, EF_SALT_LEN);
	if (!rc)
		rc = stream_init(s, key, CR_ENCRYPT);
	if (rc) {
		ef_stream_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int ef_stream_new_decrypt(const uint8_t key[static EF_KEY_LEN], const struct ef_header *h,
                          struct ef_stream **out)
{
	struct ef_stream *s;
	int rc;

	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return CU_ENOMEM;
	memcpy(s->header, h->raw, EF_HEADER_LEN);
	s->chunk_size = h->chunk_size;
	rc = stream_init(s, key, CR_DECRYPT);
	if (rc) {
		ef_stream_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

const uint8_t *ef_stream_header(const struct ef_stream *s)
{
	return s->header;
}

uint32_t ef_stream_chunk_size(const struct ef_stream *s)
{
	return s->chunk_size;
}

static void chunk_nonce(uint64_t index, uint8_t iv[static CR_GCM_IV_LEN])
{
	memset(iv, 0, 4);
	for (int i = 0; i < 8; i++)
		iv[4 + i] = (uint8_t)(index >> (56 - 8 * i));
}

/* Check the chunk's place in the stream before touching its bytes. */
static int chunk_check(struct ef_stream *s, size_t n, int final)
{
	if (s->finished)
		return CU_ESTATE;
	if (n > s->chunk_size || (!final && n != s->chunk_size))
		return CU_EINVAL;
	if (s->index == UINT64_MAX)
		return CU_ELIMIT;
	return 0;
}

int ef_stream_seal(struct ef_stream *s, const uint8_t *in, size_t n, int final, uint8_t *out)
{
	uint8_t iv[CR_GCM_IV_LEN];
	int rc = chunk_check(s, n, final);

	if (rc)
		return rc;
	chunk_nonce(s->index, iv);
	s->aad[EF_HEADER_LEN] = final ? 1 : 0;
	rc = cr_gcm_seal(s->gcm, iv, s->aad, sizeof(s->aad), in, n, out, out + n);
	if (rc)
		return rc;
	s->index++;
	s->finished = final;
	return 0;
}

int ef_stream_open(struct ef_stream *s, const uint8_t *in, size_t n, int final, uint8_t *out)
{
	uint8_t iv[CR_GCM_IV_LEN];
	size_t m;
	int rc;

	if (n < EF_TAG_LEN)
		return CU_ETRUNC;
	m = n - EF_TAG_LEN;
	if (m > s->chunk_size || (!final && m != s->chunk_size))
		return CU_EFORMAT;
	if ((rc = chunk_check(s, m, final)))
		return rc;
	chunk_nonce(s->index, iv);
	s->aad[EF_HEADER_LEN] = final ? 1 : 0;
	rc = cr_gcm_open(s->gcm, iv, s->aad, sizeof(s->aad), in, m, out, in + m);
	if (rc)
		return rc;
	/* Only an empty file has an empty chunk: one encoding per plaintext. */
	if (final && !m && s->index)
		return CU_EFORMAT;
	s->index++;
	s->finished = final;
	return 0;
}

void ef_stream_free(struct ef_stream *s)
{
	if (!s)
		return;
	cr_gcm_free(s->gcm);
	cu_wipe(s, sizeof(*s));
	free(s);
}

#include "crypto/hash.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"

struct cr_hash {
	EVP_MD_CTX *ctx;
	const EVP_MD *md;
};

static const EVP_MD *md_of(enum cr_hash_alg alg)
{
	switch (alg) {
	case CR_SHA256:
		return EVP_sha256();
	case CR_SHA384:
		return EVP_sha384();
	case CR_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

size_t cr_hash_len(enum cr_hash_alg alg)
{
	const EVP_MD *md = md_of(alg);

	return md ? (size_t)EVP_MD_get_size(md) : 0;
}

static int digest(const EVP_MD *md, const void *data, size_t n, uint8_t *out)
{
	return EVP_Digest(data, n, out, NULL, md, NULL) == 1 ? 0 : CU_ECRYPTO;
}

int cr_sha256(const void *data, size_t n, uint8_t out[static CR_SHA256_LEN])
{
	return digest(EVP_sha256(), data, n, out);
}

int cr_sha384(const void *data, size_t n, uint8_t out[static CR_SHA384_LEN])
{
	return digest(EVP_sha384(), data, n, out);
}

int cr_hash_new(enum cr_hash_alg alg, struct cr_hash **out)
{
	struct cr_hash *h;

	*out = NULL;
	if (!md_of(alg))
		return CU_EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return CU_ENOMEM;
	h->md = md_of(alg);
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, h->md, NULL) != 1) {
		cr_hash_free(h);
		return CU_ECRYPTO;
	}
	*out = h;
	return 0;
}

int cr_hash_update(struct cr_hash *h, const void *data, size_t n)
{
	return EVP_DigestUpdate(h->ctx, data, n) == 1 ? 0 : CU_ECRYPTO;
}

int cr_hash_final(struct cr_hash *h, uint8_t *out)
{
	return EVP_DigestFinal_ex(h->ctx, out, NULL) == 1 ? 0 : CU_ECRYPTO;
}

int cr_hash_reset(struct cr_hash *h)
{
	return EVP_DigestInit_ex(h->ctx, h->md, NULL) == 1 ? 0 : CU_ECRYPTO;
}

void cr_hash_free(struct cr_hash *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int cr_hash_file(enum cr_hash_alg alg, const char *path, uint8_t *out)
{
	static const size_t chunk = 1 << 16;
	struct cr_hash *h = NULL;
	uint8_t *buf = NULL;
	size_t got;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return CU_EIO;
	rc = cr_hash_new(alg, &h);
	if (rc)
		goto out;
	rc = CU_ENOMEM;
	if (!(buf = malloc(chunk)))
		goto out;
	do {
		rc = cu_read_full(fd, buf, chunk, &got);
		if (!rc && got)
			rc = cr_hash_update(h, buf, got);
	} while (!rc && got == chunk);
	if (!rc)
		rc = cr_hash_final(h, out);
out:
	free(buf);
	cr_hash_free(h);
	close(fd);
	return rc;
}

#include "crypto/gcm.h"

#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include "common/err.h"
#include "common/mem.h"

struct cr_gcm {
	EVP_CIPHER_CTX *ctx;
	enum cr_dir dir;
};

int cr_gcm_new(const uint8_t *key, size_t keylen, enum cr_dir dir, struct cr_gcm **out)
{
	const EVP_CIPHER *c = keylen == 16   ? EVP_aes_128_gcm()
	                      : keylen == 32 ? EVP_aes_256_gcm()
	                                     : NULL;
	struct cr_gcm *g;

	*out = NULL;
	if (!c)
		return CU_EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return CU_ENOMEM;
	g->dir = dir;
	g->ctx = EVP_CIPHER_CTX_new();
	if (!g->ctx || EVP_CipherInit_ex(g->ctx, c, NULL, key, NULL, (int)dir) != 1) {
		cr_gcm_free(g);
		return CU_ECRYPTO;
	}
	*out = g;
	return 0;
}

void cr_gcm_free(struct cr_gcm *g)
{
	if (!g)
		return;
	EVP_CIPHER_CTX_free(g->ctx); /* cleanses the key schedule */
	free(g);
}

int cr_gcm_begin(struct cr_gcm *g, const uint8_t iv[static CR_GCM_IV_LEN], const void *aad,
                 size_t aadlen)
{
	int outl;

	if (EVP_CipherInit_ex(g->ctx, NULL, NULL, NULL, iv, (int)g->dir) != 1)
		return CU_ECRYPTO;
	if (aadlen > INT_MAX)
		return CU_ELIMIT;
	if (aadlen && EVP_CipherUpdate(g->ctx, NULL, &outl, aad, (int)aadlen) != 1)
		return CU_ECRYPTO;
	return 0;
}

int cr_gcm_update(struct cr_gcm *g, const uint8_t *in, size_t n, uint8_t *out)
{
	while (n) {
		int k = n > (1 << 30) ? (1 << 30) : (int)n, outl;
		if (EVP_CipherUpdate(g->ctx, out, &outl, in, k) != 1 || outl != k)
			return CU_ECRYPTO;
		in += k;
		out += k;
		n -= (size_t)k;
	}
	return 0;
}

int cr_gcm_finish_seal(struct cr_gcm *g, uint8_t tag[static CR_GCM_TAG_LEN])
{
	uint8_t dummy[16];
	int outl;

	if (g->dir != CR_ENCRYPT)
		return CU_EINVAL;
	if (EVP_CipherFinal_ex(g->ctx, dummy, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_GET_TAG, CR_GCM_TAG_LEN, tag) != 1)
		return CU_ECRYPTO;
	return 0;
}

int cr_gcm_finish_open(struct cr_gcm *g, const uint8_t tag[static CR_GCM_TAG_LEN])
{
	uint8_t dummy[16], t[CR_GCM_TAG_LEN];
	int outl;

	if (g->dir != CR_DECRYPT)
		return CU_EINVAL;
	for (int i = 0; i < CR_GCM_TAG_LEN; i++)
		t[i] = tag[i];
	if (EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_SET_TAG, CR_GCM_TAG_LEN, t) != 1)
		return CU_ECRYPTO;
	/* OpenSSL compares the tag in constant time. */
	return EVP_CipherFinal_ex(g->ctx, dummy, &outl) == 1 ? 0 : CU_EAUTH;
}

int cr_gcm_seal(struct cr_gcm *g, const uint8_t iv[static CR_GCM_IV_LEN], const void *aad,
                size_t aadlen, const uint8_t *in, size_t n, uint8_t *out,
                uint8_t tag[static CR_GCM_TAG_LEN])
{
	int rc = cr_gcm_begin(g, iv, aad, aadlen);

	if (!rc)
		rc = cr_gcm_update(g, in, n, out);
	if (!rc)
		rc = cr_gcm_finish_seal(g, tag);
	return rc;
}

int cr_gcm_open(struct cr_gcm *g, const uint8_t iv[static CR_GCM_IV_LEN], const void *aad,
                size_t aadlen, const uint8_t *in, size_t n, uint8_t *out,
                const uint8_t tag[static CR_GCM_TAG_LEN])
{
	int rc = cr_gcm_begin(g, iv, aad, aadlen);

	if (!rc)
		rc = cr_gcm_update(g, in, n, out);
	if (!rc)
		rc = cr_gcm_finish_open(g, tag);
	if (rc)
		cu_wipe(out, n);
	return rc;
}

int cr_aead_seal(const uint8_t *key, size_t keylen, const uint8_t iv[static CR_GCM_IV_LEN],
                 const void *aad, size_t aadlen, const uint8_t *in, size_t n, uint8_t *out,
                 uint8_t tag[static CR_GCM_TAG_LEN])
{
	struct cr_gcm *g;
	int rc = cr_gcm_new(key, keylen, CR_ENCRYPT, &g);

	if (!rc)
		rc = cr_gcm_seal(g, iv, aad, aadlen, in, n, out, tag);
	cr_gcm_free(g);
	return rc;
}

int cr_aead_open(const uint8_t *key, size_t keylen, const uint8_t iv[static CR_GCM_IV_LEN],
                 const void *aad, size_t aadlen, const uint8_t *in, size_t n, uint8_t *out,
                 const uint8_t tag[static CR_GCM_TAG_LEN])
{
	struct cr_gcm *g;
	int rc = cr_gcm_new(key, keylen, CR_DECRYPT, &g);

	if (!rc)
		rc = cr_gcm_open(g, iv, aad, aadlen, in, n, out, tag);
	else
		cu_wipe(out, n);
	cr_gcm_free(g);
	return rc;
}

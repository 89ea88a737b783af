#include "crypto/hmac.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "common/err.h"
#include "common/mem.h"

static const char *digest_name(enum cr_hash_alg alg)
{
	switch (alg) {
	case CR_SHA256:
		return "SHA256";
	case CR_SHA384:
		return "SHA384";
	case CR_SHA512:
		return "SHA512";
	}
	return NULL;
}

int cr_hmac(enum cr_hash_alg alg, const uint8_t *key, size_t keylen, const void *data, size_t n,
            uint8_t *out)
{
	const char *name = digest_name(alg);
	size_t outlen = 0;

	if (!name)
		return CU_EINVAL;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, name, NULL, key, keylen, data, n, out, cr_hash_len(alg),
	               &outlen))
		return CU_ECRYPTO;
	return 0;
}

int cr_hmac_verify(enum cr_hash_alg alg, const uint8_t *key, size_t keylen, const void *data,
                   size_t n, const uint8_t *tag, size_t taglen)
{
	uint8_t mac[CR_HASH_MAX_LEN];
	int rc = cr_hmac(alg, key, keylen, data, n, mac);

	if (!rc && (taglen != cr_hash_len(alg) || !cu_ct_eq(mac, tag, taglen)))
		rc = CU_EAUTH;
	cu_wipe(mac, sizeof(mac));
	return rc;
}

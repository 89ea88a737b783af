#include "crypto/pkey.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"

const char *cr_key_type_name(enum cr_key_type t)
{
	switch (t) {
	case CR_KEY_ED25519:
		return "ed25519";
	case CR_KEY_P256:
		return "ecdsa-p256";
	case CR_KEY_P384:
		return "ecdsa-p384";
	case CR_KEY_NONE:
		break;
	}
	return "none";
}

enum cr_key_type cr_key_type_from_name(const char *name)
{
	if (!name)
		return CR_KEY_NONE;
	if (!strcmp(name, "ed25519"))
		return CR_KEY_ED25519;
	if (!strcmp(name, "ecdsa-p256"))
		return CR_KEY_P256;
	if (!strcmp(name, "ecdsa-p384"))
		return CR_KEY_P384;
	return CR_KEY_NONE;
}

enum cr_key_type cr_pkey_type(const EVP_PKEY *k)
{
	char group[32];
	size_t glen = 0;

	if (!k)
		return CR_KEY_NONE;
	if (EVP_PKEY_is_a(k, "ED25519"))
		return CR_KEY_ED25519;
	if (!EVP_PKEY_is_a(k, "EC") ||
	    !EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                    &glen))
		return CR_KEY_NONE;
	if (!strcmp(group, "prime256v1") || !strcmp(group, "P-256"))
		return CR_KEY_P256;
	if (!strcmp(group, "secp384r1") || !strcmp(group, "P-384"))
		return CR_KEY_P384;
	return CR_KEY_NONE;
}

size_t cr_sig_len(enum cr_key_type t)
{
	return t == CR_KEY_ED25519 ? 64 : t == CR_KEY_P256 ? 64 : t == CR_KEY_P384 ? 96 : 0;
}

static size_t coord_len(enum cr_key_type t)
{
	return t == CR_KEY_P256 ? 32 : t == CR_KEY_P384 ? 48 : 0;
}

int cr_pkey_generate(enum cr_key_type t, EVP_PKEY **out)
{
	*out = NULL;
	switch (t) {
	case CR_KEY_ED25519:
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	case CR_KEY_P256:
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case CR_KEY_P384:
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		break;
	case CR_KEY_NONE:
		return CU_EINVAL;
	}
	return *out ? 0 : CU_ECRYPTO;
}

int cr_pkey_from_pem(const void *pem, size_t len, int is_private, EVP_PKEY **out)
{
	BIO *bio;

	*out = NULL;
	if (len > INT32_MAX)
		return CU_ELIMIT;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return CU_ENOMEM;
	if (is_private)
		*out = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	else
		*out = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!*out)
		return CU_EFORMAT;
	if (cr_pkey_type(*out) == CR_KEY_NONE) {
		EVP_PKEY_free(*out);
		*out = NULL;
		return CU_EUNSUPPORTED;
	}
	return 0;
}

int cr_pkey_to_pem(EVP_PKEY *k, int is_private, char **out, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int ok, rc = CU_ECRYPTO;

	*out = NULL;
	*len = 0;
	if (!bio)
		return CU_ENOMEM;
	ok = is_private ? PEM_write_bio_PKCS8PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL)
	                : PEM_write_bio_PUBKEY(bio, k);
	n = BIO_get_mem_data(bio, &data);
	if (ok && n > 0) {
		rc = CU_ENOMEM;
		*out = malloc((size_t)n + 1);
		if (*out) {
			memcpy(*out, data, (size_t)n);
			(*out)[n] = 0;
			*len = (size_t)n;
			rc = 0;
		}
	}
	if (n > 0)
		cu_wipe(data, (size_t)n);
	BIO_free(bio);
	return rc;
}

int cr_pkey_spki_der(EVP_PKEY *k, uint8_t **out, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k, &der);

	*out = NULL;
	*len = 0;
	if (n <= 0)
		return CU_ECRYPTO;
	*out = cu_memdup(der, (size_t)n);
	OPENSSL_free(der);
	if (!*out)
		return CU_ENOMEM;
	*len = (size_t)n;
	return 0;
}

int cr_pkey_from_ec_xy(enum cr_key_type t, const uint8_t *xy, size_t len, EVP_PKEY **out)
{
	uint8_t point[1 + 96];
	size_t cl = coord_len(t);
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL;
	int rc = CU_EFORMAT;

	*out = NULL;
	if (!cl || len != 2 * cl)
		return CU_EINVAL;
	point[0] = 0x04;
	memcpy(point + 1, xy, len);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	                                             t == CR_KEY_P256 ? "P-256" : "P-384", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, len + 1);
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) == 1)
		rc = 0;
	EVP_PKEY_CTX_free(ctx);
	if (!rc) {
		/* fromdata does not check that the point is on the curve. */
		EVP_PKEY_CTX *chk = EVP_PKEY_CTX_new_from_pkey(NULL, *out, NULL);
		if (!chk || EVP_PKEY_public_check(chk) != 1)
			rc = CU_EFORMAT;
		EVP_PKEY_CTX_free(chk);
		if (rc) {
			EVP_PKEY_free(*out);
			*out = NULL;
		}
	}
	return rc;
}

static const EVP_MD *md_for(enum cr_key_type t)
{
	return t == CR_KEY_P256 ? EVP_sha256() : t == CR_KEY_P384 ? EVP_sha384() : NULL;
}

int cr_sign(EVP_PKEY *k, const void *msg, size_t n, uint8_t *sig, size_t *siglen)
{
	enum cr_key_type t = cr_pkey_type(k);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[160];
	size_t derlen = sizeof(der);
	int rc = CU_ECRYPTO;

	*siglen = 0;
	if (!ctx)
		return CU_ENOMEM;
	if (t == CR_KEY_NONE) {
		rc = CU_EUNSUPPORTED;
		goto out;
	}
	if (EVP_DigestSignInit(ctx, NULL, md_for(t), NULL, k) != 1 ||
	    EVP_DigestSign(ctx, der, &derlen, msg, n) != 1)
		goto out;
	if (t == CR_KEY_ED25519) {
		memcpy(sig, der, derlen);
		*siglen = derlen;
		rc = 0;
	} else if ((rc = cr_ecdsa_der_to_raw(der, derlen, coord_len(t), sig)) == 0) {
		*siglen = 2 * coord_len(t);
	}
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int cr_verify(EVP_PKEY *k, const void *msg, size_t n, const uint8_t *sig, size_t siglen)
{
	enum cr_key_type t = cr_pkey_type(k);
	EVP_MD_CTX *ctx = NULL;
	uint8_t *der = NULL;
	size_t derlen = siglen;
	const uint8_t *s = sig;
	int rc = CU_EAUTH;

	if (t == CR_KEY_NONE)
		return CU_EUNSUPPORTED;
	if (siglen != cr_sig_len(t))
		return CU_EAUTH;
	if (t != CR_KEY_ED25519) {
		if (cr_ecdsa_raw_to_der(sig, siglen, &der, &derlen))
			return CU_EAUTH;
		s = der;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx) {
		rc = CU_ENOMEM;
		goto out;
	}
	if (EVP_DigestVerifyInit(ctx, NULL, md_for(t), NULL, k) == 1 &&
	    EVP_DigestVerify(ctx, s, derlen, msg, n) == 1)
		rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(der);
	return rc;
}

int cr_ecdsa_raw_to_der(const uint8_t *raw, size_t rawlen, uint8_t **der, size_t *derlen)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = NULL, *sv = NULL;
	unsigned char *p = NULL;
	int n, rc = CU_EFORMAT;

	*der = NULL;
	*derlen = 0;
	if (!s)
		return CU_ENOMEM;
	if (rawlen == 0 || rawlen % 2 || rawlen > 2 * 66)
		goto out;
	r = BN_bin2bn(raw, (int)(rawlen / 2), NULL);
	sv = BN_bin2bn(raw + rawlen / 2, (int)(rawlen / 2), NULL);
	if (!r || !sv || ECDSA_SIG_set0(s, r, sv) != 1) {
		BN_free(r);
		BN_free(sv);
		goto out;
	}
	n = i2d_ECDSA_SIG(s, &p);
	if (n <= 0)
		goto out;
	*der = cu_memdup(p, (size_t)n);
	*derlen = (size_t)n;
	rc = *der ? 0 : CU_ENOMEM;
	OPENSSL_free(p);
out:
	ECDSA_SIG_free(s);
	return rc;
}

int cr_ecdsa_der_to_raw(const uint8_t *der, size_t derlen, size_t coordlen, uint8_t *raw)
{
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	const BIGNUM *r, *sv;
	int rc = CU_EFORMAT;

	if (!s)
		return CU_EFORMAT;
	ECDSA_SIG_get0(s, &r, &sv);
	if (p == der + derlen && BN_bn2binpad(r, raw, (int)coordlen) == (int)coordlen &&
	    BN_bn2binpad(sv, raw + coordlen, (int)coordlen) == (int)coordlen)
		rc = 0;
	ECDSA_SIG_free(s);
	return rc;
}

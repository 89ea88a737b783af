/*
 * rsa_sign.c - sign the argument "data" with an RSA private key given as an
 * input (Teaclave's builtin-rsa-sign).
 *
 * Input "rsa_key": an RSA private key of 2048 to 4096 bits, in PEM
 * ("PRIVATE KEY", PKCS#8, or "RSA PRIVATE KEY", PKCS#1; not encrypted) or
 * in DER (PKCS#1, as Teaclave takes it, or PKCS#8). Argument "data": the
 * bytes to sign. Result: the standard base64 (with padding) of the RSASSA-
 * PKCS1-v1_5 signature with SHA-256, which is deterministic.
 */
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/mem.h"
#include "functions/builtins_int.h"

#define FN_RSA_MIN_BITS 2048
#define FN_RSA_MAX_BITS 4096
#define FN_RSA_KEY_MAX  (64 * 1024) /* bytes of the key file */
#define FN_RSA_SIG_MAX  (FN_RSA_MAX_BITS / 8)

/* Refuse to prompt for a passphrase: an encrypted key fails to load. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

static int has_pem_header(const uint8_t *p, size_t n)
{
	static const char tag[] = "-----BEGIN ";

	for (size_t i = 0; i + sizeof(tag) - 1 <= n; i++)
		if (!memcmp(p + i, tag, sizeof(tag) - 1))
			return 1;
	return 0;
}

static EVP_PKEY *load_key(const struct fn_input *in)
{
	EVP_PKEY *k = NULL;

	if (has_pem_header(in->data, in->len)) {
		BIO *bio = BIO_new_mem_buf(in->data, (int)in->len);
		if (bio)
			k = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
		BIO_free(bio);
	} else {
		const unsigned char *p = in->data;
		k = d2i_AutoPrivateKey(NULL, &p, (long)in->len);
		if (k && p != in->data + in->len) {
			EVP_PKEY_free(k);
			k = NULL;
		}
	}
	ERR_clear_error();
	return k;
}

static int check_key(struct fn_ctx *c, EVP_PKEY *k)
{
	EVP_PKEY_CTX *pc;
	int bits, ok;

	if (!EVP_PKEY_is_a(k, "RSA"))
		return fn_fail(c, CU_EKEY, "the input \"rsa_key\" is not an RSA key");
	bits = EVP_PKEY_get_bits(k);
	if (bits < FN_RSA_MIN_BITS || bits > FN_RSA_MAX_BITS)
		return fn_fail(c, CU_EKEY, "the RSA key has %d bits; rsa-sign takes %d to %d", bits,
		               FN_RSA_MIN_BITS, FN_RSA_MAX_BITS);
	/* The private and public halves must agree: a faulty key could leak its primes. */
	if (!(pc = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL)))
		return fn_fail(c, CU_ENOMEM, "out of memory checking the RSA key");
	ok = EVP_PKEY_pairwise_check(pc) == 1;
	EVP_PKEY_CTX_free(pc);
	ERR_clear_error();
	if (!ok)
		return fn_fail(c, CU_EKEY, "the RSA key is inconsistent");
	return 0;
}

static int sign(struct fn_ctx *c, EVP_PKEY *k, const char *data)
{
	uint8_t sig[FN_RSA_SIG_MAX];
	char b64[((FN_RSA_SIG_MAX + 2) / 3) * 4 + 1];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	int ok;

	ok = md && EVP_DigestSignInit_ex(md, &pc, "SHA256", NULL, NULL, k, NULL) == 1 &&
	     EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
	     EVP_DigestSign(md, sig, &siglen, (const uint8_t *)data, strlen(data)) == 1;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	if (!ok)
		return fn_fail(c, CU_ECRYPTO, "the RSA signature failed");
	if (cu_b64_encode(sig, siglen, b64, sizeof(b64), CU_B64_STD))
		return fn_fail(c, CU_ECRYPTO, "encoding the signature failed");
	fn_result(c, "%s", b64);
	return 0;
}

int fn_rsa_sign(struct fn_ctx *c)
{
	const struct fn_input *in = fn_input(c, "rsa_key");
	const char *data = fn_arg(c, "data");
	EVP_PKEY *k = NULL;
	int rc;

	if (!in)
		return fn_fail(c, CU_EINVAL, "rsa-sign needs the input \"rsa_key\"");
	if (!data)
		return fn_fail(c, CU_EINVAL, "rsa-sign needs the argument \"data\"");
	if (!in->len || in->len > FN_RSA_KEY_MAX)
		return fn_fail(c, CU_EFORMAT, "the input \"rsa_key\" is not a key (%zu bytes)",
		               in->len);
	if (!(k = load_key(in)))
		return fn_fail(c, CU_EFORMAT,
		               "the input \"rsa_key\" is not an unencrypted private "
		               "key in PEM or DER");
	if (!(rc = check_key(c, k)))
		rc = sign(c, k, data);
	EVP_PKEY_free(k);
	return rc;
}

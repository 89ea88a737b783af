/*
 * Unit tests: rsa-sign. A fixed 2048-bit test key (generated for this test
 * only) in PKCS#8 PEM, PKCS#1 PEM and DER gives the known signature of
 * "test data"; weak, non-RSA, encrypted and malformed keys are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "functions_test_util.h"

static const char key_pem[] = "-----BEGIN PRIVATE KEY-----\n"
                              "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCK/worHnT94IKW\n"
                              "FsxjrTra9Gk1feZz1zASb8AyRwbkfRojqM7v39Efq1t/Q61znmM3PkIMatieT//U\n"
                              "2il1o1jpnHQ/IXqSigTvItX7QDMAuhmWZ3hfC/T0CqEqmgMJbsF9KEubFcwwTKzz\n"
                              "dXPHwhC+J52IgExvyLJx/5MqiLpQ5yQTRrgGFDA09KRNmqrPtHnhdyIKuZzEgdtn\n"
                              "/hEjY8BxujBrtWI9DlY4T07gjJZ+xZYC7+WUANR+lXAgNYrEdBkC6qT8FapQ5ofL\n"
                              "nwu8Ifulj5HwDUKXmYl/xQ3aHCP9d9WtrDfAAG4hypENapMO+TFc6e2VjZrft1a7\n"
                              "E4mQH5oVAgMBAAECggEAA6GP4BXH0aJXDdlsMVhsP9TJKfimF8fotF8qkGpAdFgO\n"
                              "T6++DVl1s+YqmfXfJuuUjhiKxZqzh9oV4VvXqQBKpNX7R7xaYJk3KH9GHslnWWgD\n"
                              "MGWcBHp9s1hlK+Dz+ckJSEKr3mRgvh6PPdAZnEjTy9vqprO9C3P4aEohlN6FG4Uz\n"
                              "S1H4YkNkaYrigUdu/7nnGEE8/mLBM+1JodJRdcUCeFcDjmOuBaOP5SzeM9ZOU2Ac\n"
                              "1U3O8PwK49YCkDRjCpzr9x0a7sSwrKxA7d9G56wtlBz9qCXGicz2VLeigcmQ0ONu\n"
                              "75g4u3BU79ULSu+Vb+WgF3rjVmQLUqzxUJihZUENmwKBgQDDbKIJlAayKXk7t1bM\n"
                              "Up8kWWBLiq9GagfmImnNN5a77bFwVsi/IZrKXKSmESCUOZYvRJg8EZPxXIYHqETc\n"
                              "bEuaUYUZu+XjNl4KumE2Ke4lWxreE+EOUL0ltZ19AnLfbPDYW69BGdNStwx3LvvR\n"
                              "UR7VZL2Rcewb9LoiIn8XWJLOewKBgQC2FLVol6j5QPUa9U8d5V8T0r0S/IbY+vkf\n"
                              "HLkfzB3PwWKZZqBshm+GfjdJNfa5RjLG9zHZQsA2ruAsOwwwa/cbf4pXhdZAgfED\n"
                              "foO6fjT5cH1CjTuZWGXsfn0VL1u5EC+FffJcwHDJUuKhg4SFbpK/mjWoaM31Z/mQ\n"
                              "mjYjj90crwKBgQC8qI71eDXOoUMsZx4gOlLwIGhaBRSYgZwGi4pgVx3pZto5fU5n\n"
                              "VeW9HhrFRxuQfNeD4lClDMMp6wxpMATqVpHV9ITuBvszkjTPXoaiZ3BEF+OkKMTH\n"
                              "sSIo2V+kY0zKbL1F4Z0a1/eujpA2LuFjfVCq6YooczZg9q0KbwsKWrO/KQKBgErD\n"
                              "ihGeZHWkZIBjRc9CxZ2AJL7NDhm+Q9iwlJsn1v3drDzM1QZ61QRmgxD+pYZB+suT\n"
                              "6NYLAJ3zhHzk6gZf7qFN52I0xFrMgEgtBK3o8JuTwvs2vsgicgd/kKDIR2Nf8ANi\n"
                              "ScgoBKfF7uTe+eVIF92w1mOGVTt1LBZiG+TSR7plAoGAV1OeO/utuUJ9BEmIbkMB\n"
                              "3RZHlia67zTLjn4uLtESl8NNusk+RgcBwWsVI/0jXgGdHNkRWT1C6S5aR9h+Ccbk\n"
                              "EtHRIS4BrSXYB7mUFNv8hCE6QAix7bLVuiltNFvEA+vcFyCY3G+D8nz7YBpIeyDE\n"
                              "qWM0CwNQbYF0VQvvu8Yth0w=\n"
                              "-----END PRIVATE KEY-----\n";

/* openssl dgst -sha256 -sign key.pem <<< "test data" (without the newline) | base64 */
static const char want_sig[] =
    "gGRxbCCeHb5dJ3DpFRknMFnBRVLDaUUKwq80U+qSE04w5Yiw+aGN+1Mrtpd9vjPSRrXvrBoMjKKfzW/"
    "XqjIjkw6ygzjQxgabTQw1efsTVg49SX/"
    "3hTGAux+"
    "dRfytXBYR3MCFVPwZSAiuYJ83jkWhfThmb7nmHY2zvdbgjRkM79MOpDuxY4WLi599pWVlKGNJgS9kekWBzHzDOESZcePGd"
    "WR2T0Umul8E8R9G7/k6Pt3HonzyGuOqPtFD7V/kR/AV9CED60zMAxos5uupQGrYECx/"
    "Ml8IrFMw5ZplivPlZaUTEe5s8LZIUelpy6itQm8hWeP8c5DM7K64k8wKY9tBWQ==";

static EVP_PKEY *test_key(void)
{
	BIO *b = BIO_new_mem_buf(key_pem, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);

	BIO_free(b);
	assert_non_null(k);
	return k;
}

/* The PEM or DER of k: PKCS#8 when pkcs8, else PKCS#1 ("traditional"); malloc'd. */
static uint8_t *encode(EVP_PKEY *k, int pem, int pkcs8, const EVP_CIPHER *enc, size_t *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	uint8_t *out;
	int ok;

	if (pem && pkcs8)
		ok = PEM_write_bio_PrivateKey(b, k, enc, (unsigned char *)"pass", enc ? 4 : 0, NULL,
		                              NULL);
	else if (pem)
		ok = PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL, NULL);
	else if (pkcs8)
		ok = i2d_PKCS8PrivateKey_bio(b, k, NULL, NULL, 0, NULL, NULL);
	else
		ok = i2d_PrivateKey_bio(b, k);
	assert_int_equal(ok, 1);
	*n = (size_t)BIO_get_mem_data(b, &p);
	out = malloc(*n);
	memcpy(out, p, *n);
	BIO_free(b);
	return out;
}

static int sign(struct tctx *t, const void *key, size_t n, const char *data)
{
	t_init(t);
	t_in_n(t, "rsa_key", key, n);
	if (data)
		t_arg(t, "data", data);
	return t_run(t, "rsa-sign");
}

static void test_known_answer(void **state)
{
	EVP_PKEY *k = test_key();
	struct tctx t;

	(void)state;
	for (int form = 0; form < 4; form++) {
		size_t n;
		uint8_t *key = encode(k, form & 1, form & 2, NULL, &n);
		assert_int_equal(sign(&t, key, n, "test data"), 0);
		assert_string_equal(t.c.result, want_sig);
		free(key);
	}
	EVP_PKEY_free(k);
}

static void test_verifies(void **state)
{
	EVP_PKEY *k = test_key();
	struct tctx t;
	uint8_t sig[512];
	size_t siglen;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	(void)state;
	assert_int_equal(sign(&t, key_pem, strlen(key_pem), "another message"), 0);
	assert_int_equal(
	    cu_b64_decode(t.c.result, strlen(t.c.result), sig, sizeof(sig), &siglen, CU_B64_STD),
	    0);
	assert_int_equal(siglen, 256);
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k), 1);
	assert_int_equal(EVP_DigestVerify(md, sig, siglen, (const uint8_t *)"another message", 15),
	                 1);
	EVP_MD_CTX_free(md);
	/* The empty string is data too. */
	assert_int_equal(sign(&t, key_pem, strlen(key_pem), ""), 0);
	EVP_PKEY_free(k);
}

static void test_refused(void **state)
{
	EVP_PKEY *weak = EVP_RSA_gen(1024), *ec = EVP_EC_gen("P-256"), *k = test_key();
	struct tctx t;
	uint8_t *key;
	size_t n;

	(void)state;
	key = encode(weak, 1, 1, NULL, &n);
	assert_int_equal(sign(&t, key, n, "x"), CU_EKEY);
	assert_string_equal(t.c.reason, "the RSA key has 1024 bits; rsa-sign takes 2048 to 4096");
	free(key);

	key = encode(ec, 1, 1, NULL, &n);
	assert_int_equal(sign(&t, key, n, "x"), CU_EKEY);
	assert_string_equal(t.c.reason, "the input \"rsa_key\" is not an RSA key");
	free(key);

	key = encode(k, 1, 1, EVP_aes_256_cbc(), &n);
	assert_int_equal(sign(&t, key, n, "x"), CU_EFORMAT);
	assert_string_equal(
	    t.c.reason, "the input \"rsa_key\" is not an unencrypted private key in PEM or DER");
	free(key);

	/* Truncated, bit-flipped, or trailing garbage after DER. */
	key = encode(k, 0, 0, NULL, &n);
	assert_int_equal(sign(&t, key, n / 2, "x"), CU_EFORMAT);
	key[n / 3] ^= 0x40;
	assert_true(sign(&t, key, n, "x") < 0);
	key[n / 3] ^= 0x40;
	uint8_t *longer = malloc(n + 1);
	memcpy(longer, key, n);
	longer[n] = 0;
	assert_int_equal(sign(&t, longer, n + 1, "x"), CU_EFORMAT);
	free(longer);
	free(key);

	assert_int_equal(
	    sign(&t, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 60, "x"),
	    CU_EFORMAT);
	assert_int_equal(sign(&t, "", 0, "x"), CU_EFORMAT);
	assert_int_equal(sign(&t, key_pem, strlen(key_pem), NULL), CU_EINVAL);
	assert_string_equal(t.c.reason, "rsa-sign needs the argument \"data\"");
	EVP_PKEY_free(weak);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_answer),
	    cmocka_unit_test(test_verifies),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

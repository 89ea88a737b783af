/*
 * Unit tests of online-decrypt: AES-128-GCM and AES-256-GCM messages made
 * with Python's cryptography (AESGCM, ciphertext || tag, no associated
 * data), and every way the arguments can be wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/err.h"
#include "functions_test_util.h"

/* AESGCM(b"K" * 16).encrypt(b"N" * 12, b"Hello, Custos!", None) */
#define K128 "S0tLS0tLS0tLS0tLS0tLSw=="
#define N12  "Tk5OTk5OTk5OTk5O"
#define C128 "YYiw1hSnsj8aLbgfZzt9j3VsbTzqFCXKTnifk8w3"
/* AESGCM(b"L" * 32).encrypt(b"N" * 12, b"secret result", None) */
#define K256 "TExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTEw="
#define C256 "jVHl9f9k3dQzdexZIlNB8liDW5Xl0+aWX/7gtsw="

static int run(const char *alg, const char *key, const char *nonce, const char *data,
               struct tctx *t)
{
	t_init(t);
	if (alg)
		t_arg(t, "algorithm", alg);
	if (key)
		t_arg(t, "key", key);
	if (nonce)
		t_arg(t, "nonce", nonce);
	if (data)
		t_arg(t, "encrypted_data", data);
	return t_run(t, "online-decrypt");
}

static void expect_fail(const char *alg, const char *key, const char *nonce, const char *data,
                        int rc, const char *why)
{
	struct tctx t;

	assert_int_equal(run(alg, key, nonce, data, &t), rc);
	if (!strstr(t.c.reason, why))
		fail_msg("reason \"%s\" lacks \"%s\"", t.c.reason, why);
	t_free(&t);
}

static void test_good(void **state)
{
	struct tctx t;

	(void)state;
	assert_int_equal(run("aes128gcm", K128, N12, C128, &t), 0);
	assert_string_equal(t.c.result, "Hello, Custos!");
	t_free(&t);
	assert_int_equal(run("aes256gcm", K256, N12, C256, &t), 0);
	assert_string_equal(t.c.result, "secret result");
	t_free(&t);
}

static void test_refused(void **state)
{
	(void)state;
	expect_fail(NULL, K128, N12, C128, CU_EINVAL, "argument \"algorithm\"");
	expect_fail("aes192gcm", K128, N12, C128, CU_EUNSUPPORTED, "must be \"aes128gcm\"");
	expect_fail("aes128gcm", NULL, N12, C128, CU_EINVAL, "argument \"key\"");
	expect_fail("aes128gcm", K128, NULL, C128, CU_EINVAL, "argument \"nonce\"");
	expect_fail("aes128gcm", K128, N12, NULL, CU_EINVAL, "argument \"encrypted_data\"");
	expect_fail("aes256gcm", K128, N12, C128, CU_EINVAL, "the key has 16 bytes");
	expect_fail("aes128gcm", K128, "Tk5OTk5O", C128, CU_EINVAL, "the nonce has 6 bytes");
	expect_fail("aes128gcm", "not*base64", N12, C128, CU_EFORMAT, "not base64");
	expect_fail("aes128gcm", K128, N12, "AAAA", CU_EFORMAT, "shorter than its 16-byte tag");
	/* Another key, another nonce, a flipped byte, a cut tag: not authentic. */
	expect_fail("aes128gcm", "TExMTExMTExMTExMTExMTA==", N12, C128, CU_EAUTH,
	            "does not decrypt");
	expect_fail("aes128gcm", K128, "TU1NTU1NTU1NTU1N", C128, CU_EAUTH, "does not decrypt");
	expect_fail("aes128gcm", K128, N12, "ZYiw1hSnsj8aLbgfZzt9j3VsbTzqFCXKTnifk8w3", CU_EAUTH,
	            "does not decrypt");
	expect_fail("aes128gcm", K128, N12, "YYiw1hSnsj8aLbgfZzt9j3VsbTzqFCXKTnif", CU_EAUTH,
	            "does not decrypt");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

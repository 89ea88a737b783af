/* Unit tests: hex, base64, constant-time helpers, buffers, time, JSON, atomic files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/file.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/time.h"

static void test_hex(void **state)
{
	static const uint8_t bin[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
	char hex[13];
	uint8_t out[6];
	size_t n;

	(void)state;
	assert_int_equal(cu_hex_encode(bin, sizeof(bin), hex, sizeof(hex)), 0);
	assert_string_equal(hex, "00017f80abff");
	assert_int_equal(cu_hex_encode(bin, sizeof(bin), hex, 12), CU_ELIMIT);
	assert_int_equal(cu_hex_decode("00017F80ABff", 12, out, sizeof(out), &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(out, bin, 6);
	assert_int_equal(cu_hex_decode("0g", 2, out, sizeof(out), &n), CU_EFORMAT);
	assert_int_equal(cu_hex_decode("abc", 3, out, sizeof(out), &n), CU_EFORMAT);
	assert_int_equal(cu_hex_decode(" 0", 2, out, sizeof(out), &n), CU_EFORMAT);
	assert_int_equal(cu_hex_decode("00112233445566", 14, out, sizeof(out), &n), CU_ELIMIT);
	assert_int_equal(cu_hex_decode_exact("0001", out, 2), 0);
	assert_int_equal(cu_hex_decode_exact("000102", out, 2), CU_EFORMAT);
	assert_int_equal(cu_hex_decode_exact("00", out, 2), CU_EFORMAT);
	/* Every byte value round-trips; every non-hex character is refused. */
	for (int c = 0; c < 256; c++) {
		char s[3] = {'0', (char)c, 0};
		int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		assert_int_equal(cu_hex_decode(s, 2, out, 1, &n) == 0, ok);
	}
}

/* RFC 4648 section 10 vectors. */
static const struct {
	const char *plain, *std, *url;
} b64_cases[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
    {"\xfb\xff", "+/8=", "-_8"},
};

static void test_base64(void **state)
{
	char enc[32];
	uint8_t dec[32];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(b64_cases) / sizeof(b64_cases[0]); i++) {
		const char *p = b64_cases[i].plain;
		assert_int_equal(
		    cu_b64_encode((const uint8_t *)p, strlen(p), enc, sizeof(enc), CU_B64_STD), 0);
		assert_string_equal(enc, b64_cases[i].std);
		assert_int_equal(
		    cu_b64_encode((const uint8_t *)p, strlen(p), enc, sizeof(enc), CU_B64_URL), 0);
		assert_string_equal(enc, b64_cases[i].url);
		assert_int_equal(cu_b64_decode(b64_cases[i].std, strlen(b64_cases[i].std), dec,
		                               sizeof(dec), &n, CU_B64_STD),
		                 0);
		assert_int_equal(n, strlen(p));
		assert_memory_equal(dec, p, n);
		assert_int_equal(cu_b64_decode(b64_cases[i].url, strlen(b64_cases[i].url), dec,
		                               sizeof(dec), &n, CU_B64_URL),
		                 0);
		assert_int_equal(n, strlen(p));
	}
	/* Malformed: bad length, bad character, non-canonical bits, misplaced padding. */
	assert_int_equal(cu_b64_decode("Zm9", 3, dec, sizeof(dec), &n, CU_B64_STD), CU_EFORMAT);
	assert_int_equal(cu_b64_decode("Zm9*", 4, dec, sizeof(dec), &n, CU_B64_STD), CU_EFORMAT);
	assert_int_equal(cu_b64_decode("Zh==", 4, dec, sizeof(dec), &n, CU_B64_STD), CU_EFORMAT);
	assert_int_equal(cu_b64_decode("Z===", 4, dec, sizeof(dec), &n, CU_B64_STD), CU_EFORMAT);
	assert_int_equal(cu_b64_decode("=Zm9", 4, dec, sizeof(dec), &n, CU_B64_STD), CU_EFORMAT);
	assert_int_equal(cu_b64_decode("+/8=", 4, dec, sizeof(dec), &n, CU_B64_URL), CU_EFORMAT);
	assert_int_equal(cu_b64_decode("Z", 1, dec, sizeof(dec), &n, CU_B64_URL), CU_EFORMAT);
	assert_int_equal(cu_b64_decode("Zm9vYmFy", 8, dec, 5, &n, CU_B64_STD), CU_ELIMIT);
}

static void test_ct_and_wipe(void **state)
{
	uint8_t a[33], b[33];

	(void)state;
	memset(a, 0x5a, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_true(cu_ct_eq(a, b, sizeof(a)));
	for (size_t i = 0; i < sizeof(a); i++) {
		for (int bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1 << bit);
			assert_false(cu_ct_eq(a, b, sizeof(a)));
			b[i] ^= (uint8_t)(1 << bit);
		}
	}
	assert_true(cu_ct_eq(a, b, 0));
	assert_false(cu_ct_is_zero(a, sizeof(a)));
	cu_wipe(a, sizeof(a));
	assert_true(cu_ct_is_zero(a, sizeof(a)));
	size_t out;
	assert_int_equal(cu_mul_size(SIZE_MAX / 2 + 1, 2, &out), CU_ELIMIT);
	assert_null(cu_calloc(SIZE_MAX / 2 + 1, 2));
}

static void test_buf(void **state)
{
	struct cu_buf b;

	(void)state;
	cu_buf_init(&b, 10);
	assert_int_equal(cu_buf_append(&b, "hello", 5), 0);
	assert_int_equal(cu_buf_printf(&b, "%d", 1234), 0);
	assert_string_equal((char *)b.data, "hello1234");
	assert_int_equal(cu_buf_append(&b, "xy", 2), CU_ELIMIT);
	assert_int_equal(b.len, 9);
	assert_int_equal(cu_buf_append_str(&b, "z"), 0);
	assert_int_equal(cu_buf_printf(&b, "%s", "more"), CU_ELIMIT);
	assert_string_equal((char *)b.data, "hello1234z");
	cu_buf_free_secret(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static const struct {
	const char *text;
	int rc;
	int64_t t;
} time_cases[] = {
    {"1970-01-01T00:00:00Z", 0, 0},
    {"2025-07-01T00:00:00Z", 0, 1751328000},
    {"2025-07-01T02:00:00+02:00", 0, 1751328000},
    {"2024-02-29T12:30:45.123Z", 0, 1709209845},
    {"2100-12-31T23:59:59Z", 0, 4133980799},
    {"2023-02-29T00:00:00Z", CU_EFORMAT, 0},
    {"2025-13-01T00:00:00Z", CU_EFORMAT, 0},
    {"2025-07-01T24:00:00Z", CU_EFORMAT, 0},
    {"2025-07-01T00:00:00", CU_EFORMAT, 0},
    {"2025-07-01T00:00:00Zjunk", CU_EFORMAT, 0},
    {"2025-07-01", CU_EFORMAT, 0},
    {"", CU_EFORMAT, 0},
    {"2025-07-01T00:00:00.Z", CU_EFORMAT, 0},
};

static void test_time(void **state)
{
	char s[32];
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(time_cases) / sizeof(time_cases[0]); i++) {
		int rc = cu_time_parse(time_cases[i].text, &t);
		if (rc != time_cases[i].rc || t != time_cases[i].t)
			fail_msg("'%s': rc %d t %lld", time_cases[i].text, rc, (long long)t);
	}
	assert_int_equal(cu_time_format(1751328000, s, sizeof(s)), 0);
	assert_string_equal(s, "2025-07-01T00:00:00Z");
	assert_true(cu_time_now() > 1700000000);
}

static void test_json(void **state)
{
	static const char deep[] =
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]";
	json_t *j;
	const char *s;
	int64_t i;
	int b;
	uint8_t hex[2];

	(void)state;
	assert_int_equal(cu_json_parse("{\"a\":1,\"a\":2}", 13, 100, &j), CU_EFORMAT);
	assert_null(j);
	assert_int_equal(cu_json_parse("{\"a\":1} x", 9, 100, &j), CU_EFORMAT);
	assert_int_equal(cu_json_parse("{\"a\":1}", 7, 6, &j), CU_ELIMIT);
	assert_int_equal(cu_json_parse(deep, strlen(deep), 1000, &j), CU_ELIMIT);
	static const char nul[] = "{\"s\":\"x\\u0000y\"}";
	static const char doc[] = "{\"s\":\"xy\",\"i\":5,\"b\":true,\"h\":\"0aff\"}";
	/* An embedded NUL would make C strings lie about their content. */
	assert_int_equal(cu_json_parse(nul, sizeof(nul) - 1, 100, &j), CU_EFORMAT);
	assert_int_equal(cu_json_parse(doc, sizeof(doc) - 1, 100, &j), 0);
	assert_int_equal(cu_json_get_str(j, "s", &s), 0);
	assert_string_equal(s, "xy");
	assert_int_equal(cu_json_get_str(j, "i", &s), CU_EFORMAT);
	assert_int_equal(cu_json_get_str(j, "zz", &s), CU_ENOTFOUND);
	assert_int_equal(cu_json_get_int(j, "i", 0, 10, &i), 0);
	assert_int_equal(i, 5);
	assert_int_equal(cu_json_get_int(j, "i", 6, 10, &i), CU_ELIMIT);
	assert_int_equal(cu_json_get_bool(j, "b", &b), 0);
	assert_true(b);
	assert_int_equal(cu_json_get_hex(j, "h", hex, 2), 0);
	assert_int_equal(hex[1], 0xff);
	assert_int_equal(cu_json_get_hex(j, "h", hex, 3), CU_EFORMAT);
	json_decref(j);
}

static void test_atomic_file(void **state)
{
	char dir[] = "/tmp/custos-test-XXXXXX", path[64];
	struct cu_afile af;
	uint8_t *data;
	size_t len;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out", dir);
	/* Aborted: nothing remains. */
	assert_int_equal(cu_afile_open(&af, path, 0600), 0);
	assert_int_equal(cu_write_full(af.fd, "partial", 7), 0);
	cu_afile_abort(&af);
	assert_int_equal(access(path, F_OK), -1);
	/* Committed: the file appears whole with its mode. */
	assert_int_equal(cu_file_write_atomic(path, "whole", 5, 0600), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(cu_file_read(path, 100, &data, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(data, "whole", 5);
	free(data);
	assert_int_equal(cu_file_read(path, 4, &data, &len), CU_ELIMIT);
	assert_null(data);
	unlink(path);
	assert_int_equal(cu_file_read(path, 4, &data, &len), CU_ENOTFOUND);
	snprintf(path, sizeof(path), "%s/no/such/dir", dir);
	assert_int_equal(cu_afile_open(&af, path, 0600), CU_EIO);
	rmdir(dir);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int e = 0; e > CU_ELAST; e--) {
		assert_non_null(cu_strerror(e));
		assert_string_not_equal(cu_strerror(e), "unknown error");
		assert_string_not_equal(cu_errname(e), "EUNKNOWN");
	}
	assert_string_equal(cu_strerror(CU_ELAST), "unknown error");
	assert_string_equal(cu_strerror(5), "unknown error");
	assert_string_equal(cu_errname(CU_EAUTH), "EAUTH");
}

/*
 * cu_json_free_secret overwrites every string it frees, and no string held
 * elsewhere: jansson's allocator is swapped for one that looks for the
 * secret's bytes in every block jansson frees.
 */
static int freed_with_secret;

static void *sized_malloc(size_t n)
{
	size_t *p = malloc(sizeof(size_t) + n);

	if (!p)
		return NULL;
	*p = n;
	return p + 1;
}

static void sized_free(void *q)
{
	size_t *p = q ? (size_t *)q - 1 : NULL;

	if (!p)
		return;
	if (memmem(q, *p, "secret-", 7))
		freed_with_secret++;
	free(p);
}

static void test_json_free_secret(void **state)
{
	json_malloc_t old_malloc;
	json_free_t old_free;
	json_t *v, *shared;

	(void)state;
	json_get_alloc_funcs(&old_malloc, &old_free);
	json_set_alloc_funcs(sized_malloc, sized_free);
	/* The allocator sees the secrets when an ordinary decref frees them... */
	v = json_pack("{s:s, s:[s, {s:s}]}", "password", "secret-one", "list", "secret-two", "key",
	              "secret-three");
	assert_non_null(v);
	freed_with_secret = 0;
	json_decref(v);
	assert_int_equal(freed_with_secret, 3);
	/* ...and none when cu_json_free_secret does. */
	v = json_pack("{s:s, s:[s, {s:s}]}", "password", "secret-one", "list", "secret-two", "key",
	              "secret-three");
	shared = json_string("secret-shared");
	assert_int_equal(json_object_set(v, "shared", shared), 0);
	freed_with_secret = 0;
	cu_json_free_secret(v);
	assert_int_equal(freed_with_secret, 0);
	/* A string still held elsewhere is left as it was. */
	assert_string_equal(json_string_value(shared), "secret-shared");
	json_decref(shared);
	assert_int_equal(freed_with_secret, 1);
	cu_json_free_secret(NULL);
	json_set_alloc_funcs(old_malloc, old_free);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hex),
	    cmocka_unit_test(test_base64),
	    cmocka_unit_test(test_ct_and_wipe),
	    cmocka_unit_test(test_buf),
	    cmocka_unit_test(test_time),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_json_free_secret),
	    cmocka_unit_test(test_atomic_file),
	    cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

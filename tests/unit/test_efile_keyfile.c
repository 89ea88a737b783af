/* Unit tests: key files (a table of malformed ones), generation, import, save. */
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

#include "common/err.h"
#include "common/mem.h"
#include "efile/keyfile.h"

#define K32 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define K16 "000102030405060708090a0b0c0d0e0f"

static const struct {
	const char *text;
	int rc;
} cases[] = {
    {"{\"custos_key\":1,\"algorithm\":\"custos\",\"key\":\"" K32 "\"}", 0},
    {"{\"custos_key\":1,\"algorithm\":\"aes-gcm-128\",\"key\":\"" K16 "\",\"id\":\"b\"}", 0},
    {"{\"custos_key\":1,\"algorithm\":\"aes-gcm-256\",\"key\":\"" K32 "\"}", 0},
    {"{\"custos_key\":1,\"algorithm\":\"aes-gcm-128\",\"key\":\"" K32 "\"}", CU_EKEY},
    {"{\"custos_key\":1,\"algorithm\":\"custos\",\"key\":\"" K16 "\"}", CU_EKEY},
    {"{\"custos_key\":1,\"algorithm\":\"custos\",\"key\":\"" K32 "0\"}", CU_EKEY},
    {"{\"custos_key\":1,\"algorithm\":\"des\",\"key\":\"" K32 "\"}", CU_EUNSUPPORTED},
    {"{\"custos_key\":2,\"algorithm\":\"custos\",\"key\":\"" K32 "\"}", CU_EFORMAT},
    {"{\"algorithm\":\"custos\",\"key\":\"" K32 "\"}", CU_EFORMAT},
    {"{\"custos_key\":1,\"key\":\"" K32 "\"}", CU_EFORMAT},
    {"{\"custos_key\":1,\"algorithm\":\"custos\"}", CU_EFORMAT},
    {"{\"custos_key\":1,\"algorithm\":\"custos\",\"key\":\"" K32 "\",\"extra\":1}", CU_EFORMAT},
    {"{\"custos_key\":1,\"algorithm\":\"custos\",\"key\":\"" K32 "\",\"key\":\"" K32 "\"}",
     CU_EFORMAT},
    {"{\"custos_key\":1,\"algorithm\":\"custos\",\"key\":"
     "\"zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"}",
     CU_EFORMAT},
    {"{\"custos_key\":1,\"algorithm\":\"custos\",\"key\":42}", CU_EFORMAT},
    {"{\"custos_key\":\"1\",\"algorithm\":\"custos\",\"key\":\"" K32 "\"}", CU_EFORMAT},
    {"{\"custos_key\":1,\"algorithm\":\"custos\",\"key\":\"" K32 "\",\"id\":7}", CU_EFORMAT},
    {"{\"custos_key\":1,\"algorithm\":\"custos\",\"key\":\"" K32 "\",\"id\":\"a\\nb\"}",
     CU_EFORMAT},
    {"[1,2]", CU_EFORMAT},
    {"", CU_EFORMAT},
    {"{\"custos_key\":1,\"algorithm\":\"custos\",\"key\":\"" K32 "\"", CU_EFORMAT},
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ef_key k;
		int rc = ef_key_parse((const uint8_t *)cases[i].text, strlen(cases[i].text), &k);
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d, want %d: %s", i, rc, cases[i].rc, cases[i].text);
		if (rc)
			assert_true(cu_ct_is_zero(&k, sizeof(k))); /* wiped on failure */
		ef_key_wipe(&k);
	}
}

static void test_too_large(void **state)
{
	char *big = malloc(EF_KEYFILE_MAX + 2);
	struct ef_key k;

	(void)state;
	memset(big, ' ', EF_KEYFILE_MAX + 1);
	big[EF_KEYFILE_MAX + 1] = 0;
	assert_int_equal(ef_key_parse((uint8_t *)big, EF_KEYFILE_MAX + 1, &k), CU_ELIMIT);
	free(big);
}

static void test_generate_save_load(void **state)
{
	char dir[] = "/tmp/custos-key-XXXXXX", path[64];
	struct ef_key a, b, c;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k.json", dir);
	assert_int_equal(ef_key_generate(EF_FORMAT_AES_GCM_128, "bank-a", &a), 0);
	assert_int_equal(a.key_len, 16);
	assert_int_equal(ef_key_save(&a, path, 0), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(ef_key_save(&a, path, 0), CU_EEXISTS);
	assert_int_equal(ef_key_load(path, &b), 0);
	assert_int_equal(b.format, EF_FORMAT_AES_GCM_128);
	assert_memory_equal(a.key, b.key, 16);
	assert_string_equal(b.id, "bank-a");
	assert_int_equal(ef_key_generate(EF_FORMAT_CUSTOS, NULL, &c), 0);
	assert_memory_not_equal(a.key, c.key, 16);
	assert_int_equal(ef_key_save(&c, path, 1), 0);
	assert_int_equal(ef_key_load(path, &b), 0);
	assert_memory_equal(b.key, c.key, 32);
	assert_int_equal(ef_key_from_hex(EF_FORMAT_CUSTOS, K16, NULL, &b), CU_EKEY);
	assert_int_equal(ef_key_from_hex(EF_FORMAT_AES_GCM_128, K16, NULL, &b), 0);
	assert_int_equal(b.key[15], 0x0f);
	unlink(path);
	assert_int_equal(ef_key_load(path, &b), CU_ENOTFOUND);
	rmdir(dir);
	ef_key_wipe(&a);
	ef_key_wipe(&b);
	ef_key_wipe(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_table),
	    cmocka_unit_test(test_too_large),
	    cmocka_unit_test(test_generate_save_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

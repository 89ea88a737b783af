/*
 * Unit tests: the platform's error replies mapped to CUSTOS_E* codes,
 * custos_last_error, and every argument the library refuses before
 * anything goes out (a client that is not connected answers CUSTOS_ESTATE
 * once the arguments pass: that is how the tests see they did).
 */
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

#include "client/client_int.h"
#include "common/err.h"
#include "common/file.h"
#include "efile/keyfile.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF"

static const struct {
	long status;
	const char *code;
	int err;
} http_cases[] = {
    {400, "invalid_request", CUSTOS_EINVAL},
    {400, "bad_json", CUSTOS_EINVAL},
    {400, NULL, CUSTOS_EINVAL},
    {401, "unauthenticated", CUSTOS_EUNAUTHENTICATED},
    {401, NULL, CUSTOS_EUNAUTHENTICATED},
    {403, "forbidden", CUSTOS_EFORBIDDEN},
    {404, "not_found", CUSTOS_ENOTFOUND},
    {404, NULL, CUSTOS_ENOTFOUND},
    {409, "exists", CUSTOS_EEXISTS},
    {409, "invalid_state", CUSTOS_ESTATE},
    {409, NULL, CUSTOS_ESTATE},
    {429, "quota_exceeded", CUSTOS_EQUOTA},
    {413, "too_large", CUSTOS_ETOOLARGE},
    {413, NULL, CUSTOS_ETOOLARGE},
    {500, "internal", CUSTOS_ESERVER},
    {502, NULL, CUSTOS_ESERVER},
    {503, "certificate_expired", CUSTOS_ESERVER},
    {504, "timeout", CUSTOS_ETIMEOUT},
    {504, NULL, CUSTOS_ETIMEOUT},
    {405, "method_not_allowed", CUSTOS_EPROTO},
    {302, NULL, CUSTOS_EPROTO},
    /* The code word wins over the status... */
    {400, "not_found", CUSTOS_ENOTFOUND},
    /* ...but only the contract's words: ours never come from a server. */
    {400, "io", CUSTOS_EINVAL},
    {500, "attestation", CUSTOS_ESERVER},
    {500, "protocol", CUSTOS_ESERVER},
    {500, "no_memory", CUSTOS_ESERVER},
    {404, "ok", CUSTOS_ENOTFOUND},
};

static void test_http_mapping(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(http_cases) / sizeof(http_cases[0]); i++) {
		int err = cl_map_http(http_cases[i].status, http_cases[i].code);
		if (err != http_cases[i].err)
			fail_msg("case %zu (%ld %s): %d, want %d", i, http_cases[i].status,
			         http_cases[i].code ? http_cases[i].code : "-", err,
			         http_cases[i].err);
	}
}

static void test_cu_mapping(void **state)
{
	(void)state;
	assert_int_equal(cl_map_cu(0), CUSTOS_OK);
	assert_int_equal(cl_map_cu(CU_ETLS), CUSTOS_EATTEST);
	assert_int_equal(cl_map_cu(CU_EPOLICY), CUSTOS_EATTEST);
	assert_int_equal(cl_map_cu(CU_EUNTRUSTED), CUSTOS_EATTEST);
	assert_int_equal(cl_map_cu(CU_EAUTH), CUSTOS_EATTEST);
	assert_int_equal(cl_map_cu(CU_EIO), CUSTOS_EIO);
	assert_int_equal(cl_map_cu(CU_ENET), CUSTOS_EIO);
	assert_int_equal(cl_map_cu(CU_ETIMEOUT), CUSTOS_ETIMEOUT);
	assert_int_equal(cl_map_cu(CU_ENOMEM), CUSTOS_ENOMEM);
	assert_int_equal(cl_map_cu(CU_ELIMIT), CUSTOS_ETOOLARGE);
	assert_int_equal(cl_map_cu(CU_EFORMAT), CUSTOS_EINVAL);
	assert_int_equal(cl_map_cu(CU_ETRAP), CUSTOS_ESERVER);
	assert_string_equal(custos_error_code(CUSTOS_EATTEST), "attestation");
	assert_string_equal(custos_error_code(CUSTOS_ESTATE), "invalid_state");
	assert_string_equal(custos_error_code(CUSTOS_EQUOTA), "quota_exceeded");
}

static void test_last_error_format(void **state)
{
	struct custos_client *c = custos_client_new();

	(void)state;
	assert_int_equal(cl_fail(c, CUSTOS_ENOTFOUND, "no user %s\n(second line)", "bob"),
	                 CUSTOS_ENOTFOUND);
	/* "code: message", one line. */
	assert_string_equal(custos_last_error(c), "not_found: no user bob (second line)");
	assert_string_equal(custos_last_error(NULL), "no client");
	custos_client_free(c);
}

/* Each call with bad arguments: CUSTOS_EINVAL with a reason; good ones reach ESTATE. */
static void test_arguments_refused(void **state)
{
	struct custos_client *c = custos_client_new();
	char id[CUSTOS_ID_MAX], *json = NULL;
	const char *owners[] = {"alice", "bob"}, *one[] = {"alice"}, *empty[] = {""};
	struct custos_function_arg fa[] = {{"message", "hi", 0}, {NULL, NULL, 0}};
	struct custos_function_spec f = {.name = "f", .executor = "builtin", .builtin = "echo"};
	struct custos_task_slot slots[] = {{"in", owners, 2}, {"in", one, 1}};
	struct custos_task_slot noowner[] = {{"in", owners, 0}};
	struct custos_task_spec t = {.function = "function-1"};
	struct custos_task_file files[] = {{"in", "file-1"}, {"in", "file-2"}};

	(void)state;
	assert_int_equal(custos_user_get(c, NULL, &json), CUSTOS_EINVAL);
	assert_string_equal(custos_last_error(c), "invalid_request: user is required");
	assert_int_equal(custos_user_get(c, "", &json), CUSTOS_EINVAL);
	assert_int_equal(custos_user_get(c, "alice", &json), CUSTOS_ESTATE);
	assert_null(json);
	assert_int_equal(custos_user_register(c, "u", "data-owner", NULL, NULL, id), CUSTOS_EINVAL);
	assert_int_equal(custos_user_update(c, "u", NULL, NULL), CUSTOS_EINVAL);
	assert_int_equal(custos_user_update(c, "u", "data-owner", NULL), CUSTOS_ESTATE);
	assert_int_equal(custos_user_password(c, "u", "old", ""), CUSTOS_EINVAL);
	assert_int_equal(custos_login(c, "u", NULL), CUSTOS_EINVAL);
	assert_int_equal(custos_login(c, "u", "pw"), CUSTOS_ESTATE);

	assert_int_equal(custos_function_register(c, NULL, id), CUSTOS_EINVAL);
	f.args = fa;
	f.nargs = 2; /* the second has no name */
	assert_int_equal(custos_function_register(c, &f, id), CUSTOS_EINVAL);
	assert_non_null(strstr(custos_last_error(c), "arguments"));
	f.nargs = 1;
	assert_int_equal(custos_function_register(c, &f, id), CUSTOS_ESTATE);
	f.allow = empty;
	f.nallow = 1;
	assert_int_equal(custos_function_register(c, &f, id), CUSTOS_EINVAL);
	f.nallow = 0;
	f.payload = (const uint8_t *)"x";
	f.payload_len = (8u << 20) + 1;
	assert_int_equal(custos_function_register(c, &f, id), CUSTOS_ETOOLARGE);
	memset(&f, 0, sizeof(f));
	assert_int_equal(custos_function_update(c, "function-1", &f), CUSTOS_EINVAL);
	f.set = CUSTOS_FN_QUOTA;
	assert_int_equal(custos_function_update(c, "function-1", &f), CUSTOS_ESTATE);

	assert_int_equal(custos_file_register_fusion(c, one, 1, id), CUSTOS_EINVAL);
	assert_int_equal(custos_file_register_fusion(c, owners, 2, id), CUSTOS_ESTATE);
	assert_int_equal(custos_file_register_from_output(c, NULL, id), CUSTOS_EINVAL);

	t.inputs = slots;
	t.ninputs = 2; /* one slot twice */
	assert_int_equal(custos_task_create(c, &t, id), CUSTOS_EINVAL);
	assert_non_null(strstr(custos_last_error(c), "twice"));
	t.inputs = noowner;
	t.ninputs = 1;
	assert_int_equal(custos_task_create(c, &t, id), CUSTOS_EINVAL);
	t.inputs = slots;
	assert_int_equal(custos_task_create(c, &t, id), CUSTOS_ESTATE);
	t.function = NULL;
	assert_int_equal(custos_task_create(c, &t, id), CUSTOS_EINVAL);
	assert_int_equal(custos_task_get(c, "task-1", CUSTOS_WAIT_MAX + 1, &json), CUSTOS_EINVAL);
	assert_int_equal(custos_task_get(c, "task-1", CUSTOS_WAIT_MAX, &json), CUSTOS_ESTATE);
	assert_int_equal(custos_task_assign(c, "task-1", NULL, 0, NULL, 0, NULL), CUSTOS_EINVAL);
	assert_int_equal(custos_task_assign(c, "task-1", files, 2, NULL, 0, NULL), CUSTOS_EINVAL);
	assert_int_equal(custos_task_assign(c, "task-1", files, 1, files + 1, 1, NULL),
	                 CUSTOS_ESTATE);
	assert_int_equal(custos_task_approve(c, "", NULL, NULL), CUSTOS_EINVAL);
	assert_int_equal(custos_task_approve(c, "task-1", NULL, NULL), CUSTOS_ESTATE);
	assert_int_equal(custos_task_wait(c, "task-1", 1, NULL), CUSTOS_EINVAL);

	assert_int_equal(custos_audit_query(c, 0, "", &json), CUSTOS_EINVAL);
	assert_int_equal(custos_audit_query(c, 5, "carol@org", &json), CUSTOS_ESTATE);
	assert_int_equal(custos_set_token(c, ""), CUSTOS_EINVAL);
	custos_client_free(c);
}

struct kfx {
	char dir[64], custos[128], gcm[128], bad[128], dest[128];
};

static int key_setup(void **state)
{
	struct kfx *f = calloc(1, sizeof(*f));
	struct ef_key k;

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/custos-test-keys-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->custos, sizeof(f->custos), "%s/custos.key", f->dir);
	snprintf(f->gcm, sizeof(f->gcm), "%s/gcm.key", f->dir);
	snprintf(f->bad, sizeof(f->bad), "%s/bad.key", f->dir);
	snprintf(f->dest, sizeof(f->dest), "%s/out.enc", f->dir);
	if (ef_key_generate(EF_FORMAT_CUSTOS, NULL, &k) || ef_key_save(&k, f->custos, 0))
		return -1;
	ef_key_wipe(&k);
	if (ef_key_generate(EF_FORMAT_AES_GCM_128, NULL, &k) || ef_key_save(&k, f->gcm, 0))
		return -1;
	ef_key_wipe(&k);
	if (cu_file_write_atomic(f->bad, "{\"custos_key\":1}", 16, 0600))
		return -1;
	*state = f;
	return 0;
}

static int key_teardown(void **state)
{
	struct kfx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void test_keyfiles(void **state)
{
	struct kfx *f = *state;
	struct custos_client *c = custos_client_new();
	char id[CUSTOS_ID_MAX], missing[160];

	snprintf(missing, sizeof(missing), "%s/none.key", f->dir);
	assert_int_equal(
	    custos_file_register_input_keyfile(c, "file:///x", f->custos, NULL, D64, id),
	    CUSTOS_ESTATE);
	assert_int_equal(custos_file_register_input_keyfile(c, "file:///x", f->custos,
	                                                    "000102030405060708090a0b", D64, id),
	                 CUSTOS_EINVAL);
	assert_int_equal(custos_file_register_input_keyfile(c, "file:///x", f->gcm, NULL, D64, id),
	                 CUSTOS_EINVAL);
	assert_non_null(strstr(custos_last_error(c), "IV"));
	assert_int_equal(
	    custos_file_register_input_keyfile(c, "file:///x", f->gcm, "0011", D64, id),
	    CUSTOS_EINVAL);
	assert_int_equal(custos_file_register_input_keyfile(c, "file:///x", f->gcm,
	                                                    "000102030405060708090a0b", D64, id),
	                 CUSTOS_ESTATE);
	assert_int_equal(
	    custos_file_register_input_keyfile(c, "file:///x", f->custos, NULL, D64 "0", id),
	    CUSTOS_EINVAL);
	assert_int_equal(custos_file_register_input_keyfile(
	                     c, "file:///x", f->custos, NULL,
	                     "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	                     id),
	                 CUSTOS_EINVAL);
	assert_non_null(strstr(custos_last_error(c), "digest"));
	assert_int_equal(
	    custos_file_register_input_keyfile(c, "file:///x", f->custos, NULL, NULL, id),
	    CUSTOS_EINVAL);
	assert_int_equal(custos_file_register_input_keyfile(c, "file:///x", missing, NULL, D64, id),
	                 CUSTOS_EIO);
	assert_int_equal(custos_file_register_input_keyfile(c, "file:///x", f->bad, NULL, D64, id),
	                 CUSTOS_EINVAL);
	assert_int_equal(custos_file_register_input_keyfile(c, NULL, f->custos, NULL, D64, id),
	                 CUSTOS_EINVAL);
	assert_int_equal(custos_file_register_output_keyfile(c, "file:///y", f->custos, id),
	                 CUSTOS_ESTATE);
	assert_int_equal(custos_file_register_output_keyfile(c, "file:///y", f->bad, id),
	                 CUSTOS_EINVAL);
	custos_client_free(c);
}

static void test_crypto_struct(void **state)
{
	struct custos_client *c = custos_client_new();
	uint8_t key[32] = {1}, iv[CUSTOS_IV_LEN] = {2};
	struct custos_crypto k = {.schema = "custos", .key = key, .key_len = 32};
	char id[CUSTOS_ID_MAX];

	(void)state;
	assert_int_equal(custos_file_register_output(c, "file:///o", &k, id), CUSTOS_ESTATE);
	k.key_len = 16;
	assert_int_equal(custos_file_register_output(c, "file:///o", &k, id), CUSTOS_EINVAL);
	k.schema = "aes-gcm-128";
	k.iv = iv;
	assert_int_equal(custos_file_register_input(c, "file:///o", &k, D64, id), CUSTOS_ESTATE);
	k.schema = "rot13";
	assert_int_equal(custos_file_register_input(c, "file:///o", &k, D64, id), CUSTOS_EINVAL);
	k.schema = "custos";
	k.key_len = 32;
	assert_int_equal(custos_file_register_input(c, "file:///o", &k, D64, id), CUSTOS_EINVAL);
	assert_int_equal(custos_file_register_input(c, "file:///o", NULL, D64, id), CUSTOS_EINVAL);
	custos_client_free(c);
}

static void test_upload_destination(void **state)
{
	struct kfx *f = *state;
	struct custos_client *c = custos_client_new();
	char id[CUSTOS_ID_MAX], url[200], odd[200];

	/* An existing destination is never overwritten. */
	assert_int_equal(custos_file_upload_input(c, f->custos, f->custos, id), CUSTOS_EEXISTS);
	snprintf(url, sizeof(url), "file://%s", f->custos);
	assert_int_equal(custos_file_upload_input(c, f->custos, url, id), CUSTOS_EEXISTS);
	assert_int_equal(custos_file_upload_input(c, f->custos, "file://relative/x", id),
	                 CUSTOS_EINVAL);
	assert_int_equal(custos_file_upload_input(c, f->custos, "/nonexistent-dir/x", id),
	                 CUSTOS_EIO);
	snprintf(odd, sizeof(odd), "%s/a%%20b", f->dir);
	assert_int_equal(custos_file_upload_input(c, f->custos, odd, id), CUSTOS_EINVAL);
	/* A fine destination, but no platform: nothing is written. */
	assert_int_equal(custos_file_upload_input(c, f->custos, f->dest, id), CUSTOS_ESTATE);
	assert_int_not_equal(access(f->dest, F_OK), 0);
	assert_string_equal(id, "");
	custos_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_http_mapping),
	    cmocka_unit_test(test_cu_mapping),
	    cmocka_unit_test(test_last_error_format),
	    cmocka_unit_test(test_arguments_refused),
	    cmocka_unit_test_setup_teardown(test_keyfiles, key_setup, key_teardown),
	    cmocka_unit_test(test_crypto_struct),
	    cmocka_unit_test_setup_teardown(test_upload_destination, key_setup, key_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

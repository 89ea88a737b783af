/*
 * Unit tests: wasm functions in the platform, run for real (plat_open,
 * plat_worker_run_one, plat_execute): a function owner registers a module
 * with its limits; a data owner's input, encrypted at a data: URL, is
 * fetched and decrypted; the module runs in the sandbox; its output is
 * encrypted to a file; the task's result holds its return value and log.
 * Then the limits and a module swapped in the store. The modules are the
 * .wat files of tests/unit/wasm/worker (wasm/wasm_worker_mods.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"
#include "crypto/hash.h"
#include "efile/efile.h"
#include "platform/platform.h"
#include "platform/platform_int.h"
#include "store/store.h"
#include "test_platform_calls.h"
#include "test_store_fixture.h"

#include "wasm/wasm_worker_mods.h"

static const uint8_t store_key[ST_KEY_LEN] = {43};
static const uint8_t key_a[32] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";          /* no NUL */
static const char key_a64[] = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="; /* 32 x 'A' */

static int64_t fake_now(void)
{
	return 1800000000;
}

struct fx {
	struct st_tmp tmp;
	struct st_store *st;
	struct platform *p;
	struct plat_caller fo, alice;
	char out_path[128], out_url[160];
};

static int setup(void **state)
{
	struct plat_options o = {.admin_password = "admin-password-1", .now = fake_now};
	struct fx *f = calloc(1, sizeof(*f));
	struct plat_caller admin;
	char gen[128];

	assert_non_null(f);
	st_tmp_make(&f->tmp);
	assert_int_equal(st_open(f->tmp.path, store_key, &f->st), 0);
	assert_int_equal(plat_open(f->st, &o, &f->p, gen, sizeof(gen)), 0);
	admin = tp_login(f->p, "admin", "admin-password-1");
	json_decref(tp_call(f->p, "user.register", &admin, 0,
	                    json_pack("{s:s,s:s,s:s}", "user", "fo", "role", "function-owner",
	                              "password", "password-of-user")));
	json_decref(tp_call(f->p, "user.register", &admin, 0,
	                    json_pack("{s:s,s:s,s:s}", "user", "alice", "role", "data-owner",
	                              "password", "password-of-user")));
	f->fo = tp_login(f->p, "fo", "password-of-user");
	f->alice = tp_login(f->p, "alice", "password-of-user");
	snprintf(f->out_path, sizeof(f->out_path), "%s/out.enc", f->tmp.dir);
	snprintf(f->out_url, sizeof(f->out_url), "file://%s", f->out_path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	plat_close(f->p);
	st_close(f->st);
	unlink(f->out_path);
	st_tmp_remove(&f->tmp);
	free(f);
	return 0;
}

/* Register a wasm function of module m: arguments b (default "2") and a, input in, output out. */
static void reg_wasm(struct fx *f, const unsigned char *m, size_t n, json_t *limits, char *id)
{
	char *b64 = malloc(cu_b64_encoded_size(n, CU_B64_STD));

	assert_non_null(b64);
	assert_int_equal(cu_b64_encode(m, n, b64, cu_b64_encoded_size(n, CU_B64_STD), CU_B64_STD),
	                 0);
	tp_id_of(tp_call(f->p, "function.register", &f->fo, 0,
	                 json_pack("{s:s,s:s,s:s,s:[{s:s,s:s},{s:s}],s:[{s:s}],s:[{s:s}],s:b,s:o?}",
	                           "name", "copy", "executor", "wasm", "payload", b64, "arguments",
	                           "name", "b", "default", "2", "name", "a", "inputs", "name", "in",
	                           "outputs", "name", "out", "public", 1, "limits", limits)),
	         id);
	free(b64);
}

/* Alice's input (plain encrypted under key_a at a data: URL), an output, a task run: its record. */
static json_t *run_task(struct fx *f, const char *fn, const char *plain)
{
	char in[PLAT_ID_MAX + 1], out[PLAT_ID_MAX + 1], task[PLAT_ID_MAX + 1];
	char url[1024] = "data:;base64,", dig[65];
	uint8_t *ct = NULL, md[32];
	size_t n = 0;
	json_t *r;

	assert_int_equal(ef_encrypt_buf(EF_FORMAT_CUSTOS, key_a, 32, NULL, (const uint8_t *)plain,
	                                strlen(plain), &ct, &n),
	                 0);
	assert_int_equal(cr_sha256(ct, n, md), 0);
	assert_int_equal(cu_hex_encode(md, 32, dig, sizeof(dig)), 0);
	assert_int_equal(
	    cu_b64_encode(ct, n, url + strlen(url), sizeof(url) - strlen(url), CU_B64_STD), 0);
	free(ct);
	tp_id_of(tp_call(f->p, "file.register_input", &f->alice, 0,
	                 json_pack("{s:s,s:{s:s,s:s},s:s}", "url", url, "crypto", "schema",
	                           "custos", "key", key_a64, "digest", dig)),
	         in);
	tp_id_of(tp_call(f->p, "file.register_output", &f->alice, 0,
	                 json_pack("{s:s,s:{s:s,s:s}}", "url", f->out_url, "crypto", "schema",
	                           "custos", "key", key_a64)),
	         out);
	tp_id_of(tp_call(f->p, "task.create", &f->alice, 0,
	                 json_pack("{s:s,s:{s:s},s:{s:[s]},s:{s:[s]}}", "function", fn, "arguments",
	                           "a", "1", "inputs", "in", "alice", "outputs", "out", "alice")),
	         task);
	json_decref(tp_call(f->p, "task.assign", &f->alice, 0,
	                    json_pack("{s:s,s:{s:s},s:{s:s}}", "id", task, "inputs", "in", in,
	                              "outputs", "out", out)));
	r = tp_call(f->p, "task.get", &f->alice, 0, json_pack("{s:s}", "id", task));
	json_decref(tp_call(f->p, "task.approve", &f->alice, 0,
	                    json_pack("{s:s,s:s}", "id", task, "digest", tp_sget(r, "digest"))));
	json_decref(r);
	json_decref(tp_call(f->p, "task.invoke", &f->alice, 0, json_pack("{s:s}", "id", task)));
	assert_int_equal(plat_worker_run_one(f->p), 0);
	return tp_call(f->p, "task.get", &f->alice, 0, json_pack("{s:s}", "id", task));
}

static void expect_failed(json_t *t, const char *why)
{
	if (strcmp(tp_sget(t, "status"), "failed") || !strstr(tp_sget(t, "error"), why))
		fail_msg("the task is %s (%s), expected failed with \"%s\"", tp_sget(t, "status"),
		         json_string_value(json_object_get(t, "error")), why);
	json_decref(t);
}

/* The module copies its input to its output; the result is argc and the arguments logged. */
static void test_run(void **state)
{
	struct fx *f = *state;
	char fn[PLAT_ID_MAX + 1];
	uint8_t *ct = NULL, *pt = NULL;
	size_t n = 0, m = 0;
	json_t *t;

	reg_wasm(f, wat_copy, sizeof(wat_copy), NULL, fn);
	t = run_task(f, fn, "secret lines\n");
	if (strcmp(tp_sget(t, "status"), "finished"))
		fail_msg("the task is %s: %s", tp_sget(t, "status"),
		         json_string_value(json_object_get(t, "error")));
	/* Teaclave's flattening, in the function's declared order: b, 2, a, 1. */
	assert_string_equal(tp_sget(t, "result"), "4\nb\n2\na\n1\n");
	json_decref(t);
	assert_int_equal(cu_file_read(f->out_path, 1 << 20, &ct, &n), 0);
	assert_int_equal(ef_decrypt_buf(EF_FORMAT_CUSTOS, key_a, 32, NULL, ct, n, 1 << 20, &pt, &m),
	                 0);
	assert_int_equal(m, 13);
	assert_memory_equal(pt, "secret lines\n", 13);
	free(ct);
	cu_free_secret(pt, m);
}

/* The function's limits reach the executor. */
static void test_limits(void **state)
{
	struct fx *f = *state;
	char fn[PLAT_ID_MAX + 1];

	reg_wasm(f, wat_loop, sizeof(wat_loop), json_pack("{s:I}", "fuel", (json_int_t)1000000),
	         fn);
	expect_failed(run_task(f, fn, "x"), "the wasm function trapped: fuel exhausted");
	/* 1 MiB of memory: 100 more pages are refused, the function says -1. */
	reg_wasm(f, wat_grow, sizeof(wat_grow), json_pack("{s:I}", "memory", (json_int_t)(1 << 20)),
	         fn);
	{
		json_t *t = run_task(f, fn, "x");

		assert_string_equal(tp_sget(t, "status"), "finished");
		assert_string_equal(tp_sget(t, "result"), "-1");
		json_decref(t);
	}
	reg_wasm(f, wat_foo, sizeof(wat_foo), NULL, fn);
	expect_failed(run_task(f, fn, "x"), "unknown import: env.foo");
}

/* A module changed in the store behind the record's back is refused. */
static void test_swapped_module(void **state)
{
	struct fx *f = *state;
	char fn[PLAT_ID_MAX + 1];

	reg_wasm(f, wat_copy, sizeof(wat_copy), NULL, fn);
	assert_int_equal(st_put(f->st, PLAT_T_PAYLOADS, fn, wat_loop, sizeof(wat_loop)), 0);
	expect_failed(run_task(f, fn, "x"), "not the one registered");
	assert_int_equal(st_delete(f->st, PLAT_T_PAYLOADS, fn), 0);
	expect_failed(run_task(f, fn, "x"), "module cannot be read");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_run, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_swapped_module, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests of functions.c: who may register, see, change, disable and
 * delete a function (every role, each case with its code); public and
 * allowlisted visibility; plat_function_for for tasks; wasm payloads kept
 * beside the record; updates; malformed requests; a restart.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "crypto/hash.h"
#include "platform/platform_int.h"
#include "store/store.h"
#include "test_platform_fixture.h"

/* "\0asm" version 1: the smallest wasm module, in base64, and its bytes. */
#define WASM_B64 "AGFzbQEAAAA="
static const uint8_t wasm_bytes[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

struct tfx {
	struct plat_fx f;
	struct plat_caller admin, fo1, fo2, do1, do2, mgr;
};

static int setup(void **state)
{
	struct tfx *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	plat_fx_open(&t->f);
	plat_fx_put_user(&t->f, "admin", "platform-admin", NULL);
	plat_fx_put_user(&t->f, "fo1", "function-owner", NULL);
	plat_fx_put_user(&t->f, "fo2", "function-owner", NULL);
	plat_fx_put_user(&t->f, "do1", "data-owner", NULL);
	plat_fx_put_user(&t->f, "do2", "data-owner", NULL);
	plat_fx_put_user(&t->f, "mgr", "data-owner-manager", "acme");
	t->admin = plat_fx_caller("admin", PLAT_ROLE_ADMIN, NULL);
	t->fo1 = plat_fx_caller("fo1", PLAT_ROLE_FUNCTION_OWNER, NULL);
	t->fo2 = plat_fx_caller("fo2", PLAT_ROLE_FUNCTION_OWNER, NULL);
	t->do1 = plat_fx_caller("do1", PLAT_ROLE_DATA_OWNER, NULL);
	t->do2 = plat_fx_caller("do2", PLAT_ROLE_DATA_OWNER, NULL);
	t->mgr = plat_fx_caller("mgr", PLAT_ROLE_DATA_OWNER_MANAGER, "acme");
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tfx *t = *state;

	plat_fx_close(&t->f);
	free(t);
	return 0;
}

/* The "id" of a response, copied; the response is freed. */
static char *take_id(json_t *r)
{
	char *id;

	assert_non_null(r);
	assert_true(json_is_string(json_object_get(r, "id")));
	id = strdup(json_string_value(json_object_get(r, "id")));
	assert_non_null(id);
	json_decref(r);
	return id;
}

/* A builtin echo function of who: public or not, with an allowlist of one (or none). */
static char *reg_echo(struct tfx *t, const struct plat_caller *who, int public_,
                      const char *allowed)
{
	json_t *r = NULL;

	PLAT_FX_CALL(&t->f, op_function_register, who, 0, &r,
	             "{s:s, s:s, s:s, s:b, s:[s*], s:[{s:s}]}", "name", "echo fn", "executor",
	             "builtin", "builtin", "echo", "public", public_, "allow", allowed, "arguments",
	             "name", "message");
	return take_id(r);
}

static char *reg_wasm(struct tfx *t, const struct plat_caller *who)
{
	json_t *r = NULL;

	PLAT_FX_CALL(&t->f, op_function_register, who, 0, &r, "{s:s, s:s, s:s}", "name", "w",
	             "executor", "wasm", "payload", WASM_B64);
	return take_id(r);
}

static json_t *get_fn(struct tfx *t, const struct plat_caller *who, const char *id)
{
	json_t *r = NULL;

	PLAT_FX_CALL(&t->f, op_function_get, who, 0, &r, "{s:s}", "id", id);
	return r;
}

static int payload_exists(struct tfx *t, const char *id)
{
	uint8_t *v = NULL;
	size_t n = 0;
	int rc = st_get(t->f.st, PLAT_T_PAYLOADS, id, &v, &n, NULL);

	free(v);
	assert_true(rc == 0 || rc == CU_ENOTFOUND);
	return rc == 0;
}

static void test_register_roles(void **state)
{
	struct tfx *t = *state;
	json_t *r = NULL, *v;
	char *a, *b;

	a = reg_echo(t, &t->admin, 0, NULL);
	b = reg_echo(t, &t->fo1, 0, NULL);
	PLAT_FX_CALL(&t->f, op_function_register, &t->do1, CU_EPERM, NULL, "{s:s, s:s, s:s}",
	             "name", "x", "executor", "builtin", "builtin", "echo");
	PLAT_FX_CALL(&t->f, op_function_register, &t->mgr, CU_EPERM, NULL, "{s:s, s:s, s:s}",
	             "name", "x", "executor", "builtin", "builtin", "echo");
	PLAT_FX_CALL(&t->f, op_function_register, NULL, CU_EAUTH, NULL, "{s:s, s:s, s:s}", "name",
	             "x", "executor", "builtin", "builtin", "echo");
	assert_int_equal(strncmp(a, "function-", 9), 0);
	assert_int_equal(strlen(b), strlen("function-") + 36);

	/* The view: every field of the record, defaults filled in. */
	v = get_fn(t, &t->fo1, b);
	assert_string_equal(json_string_value(json_object_get(v, "id")), b);
	assert_string_equal(json_string_value(json_object_get(v, "name")), "echo fn");
	assert_string_equal(json_string_value(json_object_get(v, "description")), "");
	assert_string_equal(json_string_value(json_object_get(v, "owner")), "fo1");
	assert_string_equal(json_string_value(json_object_get(v, "executor")), "builtin");
	assert_string_equal(json_string_value(json_object_get(v, "builtin")), "echo");
	assert_null(json_object_get(v, "payload_sha256"));
	assert_null(json_object_get(v, "payload"));
	r = json_pack("[{s:s, s:n, s:b}]", "name", "message", "default", "overridable", 1);
	assert_true(json_equal(json_object_get(v, "arguments"), r));
	json_decref(r);
	assert_int_equal(json_array_size(json_object_get(v, "inputs")), 0);
	assert_int_equal(json_array_size(json_object_get(v, "outputs")), 0);
	assert_true(json_is_false(json_object_get(v, "public")));
	assert_int_equal(json_array_size(json_object_get(v, "allow")), 0);
	assert_int_equal(json_integer_value(json_object_get(v, "quota")), 0);
	assert_int_equal(json_integer_value(json_object_get(v, "uses")), 0);
	assert_true(json_is_false(json_object_get(v, "disabled")));
	assert_int_equal(json_integer_value(json_object_get(v, "revision")), 1);
	assert_int_equal(json_integer_value(json_object_get(v, "created")), plat_fx_clock);
	assert_int_equal(json_integer_value(json_object_get(v, "updated")), plat_fx_clock);
	assert_int_equal(json_object_size(v), 17);
	json_decref(v);
	free(a);
	free(b);
}

/* A private function of fo1 allowlisting do1: who sees it. */
static void test_get_matrix(void **state)
{
	struct tfx *t = *state;
	char *id = reg_echo(t, &t->fo1, 0, "do1");

	json_decref(get_fn(t, &t->admin, id));
	json_decref(get_fn(t, &t->fo1, id));
	json_decref(get_fn(t, &t->do1, id));
	PLAT_FX_CALL(&t->f, op_function_get, &t->fo2, CU_ENOTFOUND, NULL, "{s:s}", "id", id);
	PLAT_FX_CALL(&t->f, op_function_get, &t->do2, CU_ENOTFOUND, NULL, "{s:s}", "id", id);
	PLAT_FX_CALL(&t->f, op_function_get, &t->mgr, CU_ENOTFOUND, NULL, "{s:s}", "id", id);
	PLAT_FX_CALL(&t->f, op_function_get, &t->admin, CU_ENOTFOUND, NULL, "{s:s}", "id",
	             "function-00000000-0000-4000-8000-000000000000");
	PLAT_FX_CALL(&t->f, op_function_get, &t->fo1, CU_EINVAL, NULL, "{}");
	PLAT_FX_CALL(&t->f, op_function_get, &t->fo1, CU_EFORMAT, NULL, "{s:i}", "id", 5);
	PLAT_FX_CALL(&t->f, op_function_get, &t->fo1, CU_EINVAL, NULL, "{s:s, s:s}", "id", id, "x",
	             "y");
	free(id);
}

/* A public function: everyone sees it; only its owner and the admin change it. */
static void test_public_visibility(void **state)
{
	struct tfx *t = *state;
	const struct plat_caller *all[] = {&t->admin, &t->fo1, &t->fo2, &t->do1, &t->do2, &t->mgr};
	char *id = reg_echo(t, &t->fo1, 1, NULL);

	for (size_t i = 0; i < 6; i++)
		json_decref(get_fn(t, all[i], id));
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo2, CU_EPERM, NULL, "{s:s, s:s}", "id", id,
	             "name", "n");
	PLAT_FX_CALL(&t->f, op_function_update, &t->do1, CU_EPERM, NULL, "{s:s, s:s}", "id", id,
	             "name", "n");
	PLAT_FX_CALL(&t->f, op_function_update, &t->mgr, CU_EPERM, NULL, "{s:s, s:s}", "id", id,
	             "name", "n");
	PLAT_FX_CALL(&t->f, op_function_disable, &t->do2, CU_EPERM, NULL, "{s:s}", "id", id);
	PLAT_FX_CALL(&t->f, op_function_delete, &t->fo2, CU_EPERM, NULL, "{s:s}", "id", id);

	/* Made private again: the others lose sight of it. */
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, 0, NULL, "{s:s, s:b}", "id", id, "public",
	             0);
	PLAT_FX_CALL(&t->f, op_function_get, &t->do1, CU_ENOTFOUND, NULL, "{s:s}", "id", id);
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo2, CU_ENOTFOUND, NULL, "{s:s, s:s}", "id", id,
	             "name", "n");
	json_decref(get_fn(t, &t->admin, id));
	free(id);
}

static void test_update_matrix(void **state)
{
	struct tfx *t = *state;
	char *id = reg_echo(t, &t->fo1, 0, "do1");
	json_t *v;

	PLAT_FX_CALL(&t->f, op_function_update, &t->fo2, CU_ENOTFOUND, NULL, "{s:s, s:s}", "id", id,
	             "name", "x");
	PLAT_FX_CALL(&t->f, op_function_update, &t->do2, CU_ENOTFOUND, NULL, "{s:s, s:s}", "id", id,
	             "name", "x");
	PLAT_FX_CALL(&t->f, op_function_update, &t->mgr, CU_ENOTFOUND, NULL, "{s:s, s:s}", "id", id,
	             "name", "x");
	PLAT_FX_CALL(&t->f, op_function_update, &t->do1, CU_EPERM, NULL, "{s:s, s:s}", "id", id,
	             "name", "x");
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, 0, NULL, "{s:s, s:s}", "id", id, "name",
	             "by owner");
	PLAT_FX_CALL(&t->f, op_function_update, &t->admin, 0, NULL, "{s:s, s:s}", "id", id,
	             "description", "by admin");
	v = get_fn(t, &t->fo1, id);
	assert_string_equal(json_string_value(json_object_get(v, "name")), "by owner");
	assert_string_equal(json_string_value(json_object_get(v, "description")), "by admin");
	assert_int_equal(json_integer_value(json_object_get(v, "revision")), 3);
	json_decref(v);
	free(id);
}

static void test_disable_matrix(void **state)
{
	struct tfx *t = *state;
	char *a = reg_echo(t, &t->fo1, 0, "do1"), *b = reg_echo(t, &t->fo1, 0, "do1");
	struct plat_error err;
	json_t *rec = NULL, *v;

	PLAT_FX_CALL(&t->f, op_function_disable, &t->fo2, CU_ENOTFOUND, NULL, "{s:s}", "id", a);
	PLAT_FX_CALL(&t->f, op_function_disable, &t->do2, CU_ENOTFOUND, NULL, "{s:s}", "id", a);
	PLAT_FX_CALL(&t->f, op_function_disable, &t->mgr, CU_ENOTFOUND, NULL, "{s:s}", "id", a);
	PLAT_FX_CALL(&t->f, op_function_disable, &t->do1, CU_EPERM, NULL, "{s:s}", "id", a);
	assert_int_equal(plat_function_for(&t->f.p, "do1", a, &rec, NULL, &err), 0);
	json_decref(rec);
	PLAT_FX_CALL(&t->f, op_function_disable, &t->fo1, 0, NULL, "{s:s}", "id", a);
	PLAT_FX_CALL(&t->f, op_function_disable, &t->fo1, 0, NULL, "{s:s}", "id", a);
	PLAT_FX_CALL(&t->f, op_function_disable, &t->admin, 0, NULL, "{s:s}", "id", b);
	PLAT_FX_CALL(&t->f, op_function_disable, &t->admin, CU_EINVAL, NULL, "{s:s, s:b}", "id", b,
	             "disabled", 0);

	/* Still visible, marked disabled, and refused to tasks. */
	v = get_fn(t, &t->do1, a);
	assert_true(json_is_true(json_object_get(v, "disabled")));
	assert_int_equal(json_integer_value(json_object_get(v, "revision")), 1);
	json_decref(v);
	memset(&err, 0, sizeof(err));
	assert_int_equal(plat_function_for(&t->f.p, "do1", a, &rec, NULL, &err), CU_ESTATE);
	assert_null(rec);
	assert_string_equal(err.message, "the function is disabled");
	assert_int_equal(plat_function_for(&t->f.p, "fo1", b, &rec, NULL, &err), CU_ESTATE);
	/* One who may not use it learns nothing, disabled or not. */
	assert_int_equal(plat_function_for(&t->f.p, "do2", a, &rec, NULL, &err), CU_ENOTFOUND);
	free(a);
	free(b);
}

static void test_delete_matrix(void **state)
{
	struct tfx *t = *state;
	char *a = reg_echo(t, &t->fo1, 0, "do1"), *w = reg_wasm(t, &t->fo1);

	PLAT_FX_CALL(&t->f, op_function_delete, &t->fo2, CU_ENOTFOUND, NULL, "{s:s}", "id", a);
	PLAT_FX_CALL(&t->f, op_function_delete, &t->do2, CU_ENOTFOUND, NULL, "{s:s}", "id", a);
	PLAT_FX_CALL(&t->f, op_function_delete, &t->mgr, CU_ENOTFOUND, NULL, "{s:s}", "id", a);
	PLAT_FX_CALL(&t->f, op_function_delete, &t->do1, CU_EPERM, NULL, "{s:s}", "id", a);
	PLAT_FX_CALL(&t->f, op_function_delete, &t->fo1, 0, NULL, "{s:s}", "id", a);
	PLAT_FX_CALL(&t->f, op_function_get, &t->fo1, CU_ENOTFOUND, NULL, "{s:s}", "id", a);
	PLAT_FX_CALL(&t->f, op_function_delete, &t->fo1, CU_ENOTFOUND, NULL, "{s:s}", "id", a);

	/* The admin deletes a wasm function: its payload goes with it. */
	assert_true(payload_exists(t, w));
	PLAT_FX_CALL(&t->f, op_function_delete, &t->admin, 0, NULL, "{s:s}", "id", w);
	assert_false(payload_exists(t, w));
	PLAT_FX_CALL(&t->f, op_function_get, &t->admin, CU_ENOTFOUND, NULL, "{s:s}", "id", w);
	free(a);
	free(w);
}

static void test_list(void **state)
{
	struct tfx *t = *state;
	char *ids[3];
	json_t *r = NULL, *l;
	size_t i;

	ids[0] = reg_echo(t, &t->fo1, 1, NULL);
	ids[1] = reg_echo(t, &t->fo2, 0, "fo1");
	ids[2] = reg_echo(t, &t->fo1, 0, NULL);

	PLAT_FX_CALL(&t->f, op_function_list, &t->fo1, 0, &r, "{}");
	l = json_object_get(r, "functions");
	assert_int_equal(json_array_size(l), 2);
	for (i = 0; i < 2; i++)
		assert_string_equal(
		    json_string_value(json_object_get(json_array_get(l, i), "owner")), "fo1");
	assert_true(strcmp(json_string_value(json_object_get(json_array_get(l, 0), "id")),
	                   json_string_value(json_object_get(json_array_get(l, 1), "id"))) < 0);
	json_decref(r);

	PLAT_FX_CALL(&t->f, op_function_list, &t->admin, 0, &r, "{}");
	l = json_object_get(r, "functions");
	assert_int_equal(json_array_size(l), 3);
	for (i = 1; i < 3; i++)
		assert_true(
		    strcmp(json_string_value(json_object_get(json_array_get(l, i - 1), "id")),
		           json_string_value(json_object_get(json_array_get(l, i), "id"))) < 0);
	json_decref(r);

	PLAT_FX_CALL(&t->f, op_function_list, &t->fo2, 0, &r, "{}");
	l = json_object_get(r, "functions");
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(l, 0), "id")), ids[1]);
	json_decref(r);

	/* Data owners and managers own no function, public or allowlisted ones included. */
	PLAT_FX_CALL(&t->f, op_function_list, &t->do1, 0, &r, "{}");
	assert_int_equal(json_array_size(json_object_get(r, "functions")), 0);
	json_decref(r);
	PLAT_FX_CALL(&t->f, op_function_list, &t->mgr, 0, &r, "{}");
	assert_int_equal(json_array_size(json_object_get(r, "functions")), 0);
	json_decref(r);
	PLAT_FX_CALL(&t->f, op_function_list, &t->do1, CU_EINVAL, NULL, "{s:s}", "id", ids[0]);
	for (i = 0; i < 3; i++)
		free(ids[i]);
}

static void test_function_for(void **state)
{
	struct tfx *t = *state;
	char *priv = reg_echo(t, &t->fo1, 0, "do1"), *pub = reg_echo(t, &t->fo2, 1, NULL);
	struct plat_error err;
	uint64_t version = 0;
	json_t *rec = NULL;

	memset(&err, 0, sizeof(err));
	assert_int_equal(plat_function_for(&t->f.p, "fo1", priv, &rec, &version, &err), 0);
	assert_string_equal(json_string_value(json_object_get(rec, "id")), priv);
	assert_true(version > 0);
	json_decref(rec);
	assert_int_equal(plat_function_for(&t->f.p, "do1", priv, &rec, NULL, &err), 0);
	json_decref(rec);
	assert_int_equal(plat_function_for(&t->f.p, "do2", priv, &rec, NULL, &err), CU_ENOTFOUND);
	assert_null(rec);
	assert_int_equal(plat_function_for(&t->f.p, "fo2", priv, &rec, NULL, &err), CU_ENOTFOUND);
	assert_int_equal(plat_function_for(&t->f.p, "mgr", priv, &rec, NULL, &err), CU_ENOTFOUND);
	/* The admin sees every function but uses only what anyone may. */
	assert_int_equal(plat_function_for(&t->f.p, "admin", priv, &rec, NULL, &err), CU_ENOTFOUND);
	assert_int_equal(plat_function_for(&t->f.p, "do2", pub, &rec, NULL, &err), 0);
	json_decref(rec);
	assert_int_equal(plat_function_for(&t->f.p, "mgr", pub, &rec, NULL, &err), 0);
	json_decref(rec);
	assert_int_equal(plat_function_for(&t->f.p, "do1", "function-none", &rec, NULL, &err),
	                 CU_ENOTFOUND);
	assert_int_equal(plat_function_for(&t->f.p, "do1", "", &rec, NULL, &err), CU_ENOTFOUND);

	/* Removed from the allowlist: no longer usable. */
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, 0, NULL, "{s:s, s:[]}", "id", priv,
	             "allow");
	assert_int_equal(plat_function_for(&t->f.p, "do1", priv, &rec, NULL, &err), CU_ENOTFOUND);
	free(priv);
	free(pub);
}

static void test_wasm_payload(void **state)
{
	struct tfx *t = *state;
	char *id = reg_wasm(t, &t->fo1), hex[2 * CR_SHA256_LEN + 1];
	uint8_t h[CR_SHA256_LEN], *v = NULL;
	size_t n = 0;
	json_t *f;

	assert_int_equal(st_get(t->f.st, PLAT_T_PAYLOADS, id, &v, &n, NULL), 0);
	assert_int_equal(n, sizeof(wasm_bytes));
	assert_memory_equal(v, wasm_bytes, n);
	free(v);
	assert_int_equal(cr_sha256(wasm_bytes, sizeof(wasm_bytes), h), 0);
	assert_int_equal(cu_hex_encode(h, sizeof(h), hex, sizeof(hex)), 0);
	f = get_fn(t, &t->fo1, id);
	assert_string_equal(json_string_value(json_object_get(f, "executor")), "wasm");
	assert_string_equal(json_string_value(json_object_get(f, "payload_sha256")), hex);
	assert_null(json_object_get(f, "builtin"));
	assert_null(json_object_get(f, "payload"));
	json_decref(f);

	/* A new payload: new bytes, new hash. */
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, 0, NULL, "{s:s, s:s}", "id", id, "payload",
	             "AGFzbQEAAAAA");
	assert_int_equal(st_get(t->f.st, PLAT_T_PAYLOADS, id, &v, &n, NULL), 0);
	assert_int_equal(n, 9);
	free(v);
	f = get_fn(t, &t->fo1, id);
	assert_string_not_equal(json_string_value(json_object_get(f, "payload_sha256")), hex);
	assert_int_equal(json_integer_value(json_object_get(f, "revision")), 2);
	json_decref(f);

	/* Turned into a builtin: the payload is dropped. */
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, CU_EINVAL, NULL, "{s:s, s:s}", "id", id,
	             "executor", "builtin");
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, CU_EINVAL, NULL, "{s:s, s:s}", "id", id,
	             "builtin", "echo");
	assert_true(payload_exists(t, id));
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, 0, NULL, "{s:s, s:s, s:s}", "id", id,
	             "executor", "builtin", "builtin", "echo");
	assert_false(payload_exists(t, id));
	f = get_fn(t, &t->fo1, id);
	assert_string_equal(json_string_value(json_object_get(f, "builtin")), "echo");
	assert_null(json_object_get(f, "payload_sha256"));
	json_decref(f);

	/* And back to wasm, which needs a payload. */
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, CU_EINVAL, NULL, "{s:s, s:s}", "id", id,
	             "executor", "wasm");
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, CU_EINVAL, NULL, "{s:s, s:s}", "id", id,
	             "payload", WASM_B64);
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, 0, NULL, "{s:s, s:s, s:s}", "id", id,
	             "executor", "wasm", "payload", WASM_B64);
	assert_true(payload_exists(t, id));
	f = get_fn(t, &t->fo1, id);
	assert_string_equal(json_string_value(json_object_get(f, "payload_sha256")), hex);
	assert_null(json_object_get(f, "builtin"));
	json_decref(f);
	free(id);
}

/* "limits" of a wasm function: kept on the record, replaced whole, dropped with the wasm executor.
 */
static void test_wasm_limits(void **state)
{
	struct tfx *t = *state;
	char *id;
	json_t *out = NULL, *f, *l;

	PLAT_FX_CALL(&t->f, op_function_register, &t->fo1, 0, &out, "{s:s, s:s, s:s, s:{s:I, s:I}}",
	             "name", "w", "executor", "wasm", "payload", WASM_B64, "limits", "fuel",
	             (json_int_t)PLAT_FUEL_MAX, "memory", (json_int_t)PLAT_MEMORY_MAX);
	id = strdup(json_string_value(json_object_get(out, "id")));
	json_decref(out);
	f = get_fn(t, &t->fo1, id);
	l = json_object_get(f, "limits");
	assert_int_equal(json_integer_value(json_object_get(l, "fuel")), PLAT_FUEL_MAX);
	assert_int_equal(json_integer_value(json_object_get(l, "memory")), PLAT_MEMORY_MAX);
	json_decref(f);

	/* Given again: replaced whole (an absent member takes the default again). */
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, 0, NULL, "{s:s, s:{s:I}}", "id", id,
	             "limits", "memory", (json_int_t)PLAT_MEMORY_MIN);
	f = get_fn(t, &t->fo1, id);
	l = json_object_get(f, "limits");
	assert_null(json_object_get(l, "fuel"));
	assert_int_equal(json_integer_value(json_object_get(l, "memory")), PLAT_MEMORY_MIN);
	json_decref(f);

	/* Out of range in an update: refused, the record unchanged. */
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, CU_ELIMIT, NULL, "{s:s, s:{s:I}}", "id",
	             id, "limits", "memory", (json_int_t)PLAT_MEMORY_MAX + 1);
	/* Not for a builtin; turned into one, they go. */
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, CU_EINVAL, NULL,
	             "{s:s, s:s, s:s, s:{s:I}}", "id", id, "executor", "builtin", "builtin", "echo",
	             "limits", "fuel", (json_int_t)5);
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, 0, NULL, "{s:s, s:s, s:s}", "id", id,
	             "executor", "builtin", "builtin", "echo");
	f = get_fn(t, &t->fo1, id);
	assert_null(json_object_get(f, "limits"));
	json_decref(f);
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, CU_EINVAL, NULL, "{s:s, s:{s:I}}", "id",
	             id, "limits", "fuel", (json_int_t)5);
	free(id);
}

static void test_update_fields(void **state)
{
	struct tfx *t = *state;
	char *id = reg_echo(t, &t->fo1, 0, NULL);
	json_t *f, *want;

	plat_fx_clock += 10;
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, 0, NULL,
	             "{s:s, s:[{s:s, s:s, s:b}], s:[{s:s, s:b}], s:[{s:s, s:s}], s:b, s:[s, s], "
	             "s:I}",
	             "id", id, "arguments", "name", "message", "default", "hi", "overridable", 0,
	             "inputs", "name", "in", "optional", 1, "outputs", "name", "out", "description",
	             "result", "public", 1, "allow", "do1", "do2", "quota", (json_int_t)5);
	f = get_fn(t, &t->fo1, id);
	want = json_pack("[{s:s, s:s, s:b}]", "name", "message", "default", "hi", "overridable", 0);
	assert_true(json_equal(json_object_get(f, "arguments"), want));
	json_decref(want);
	want = json_pack("[{s:s, s:s, s:b}]", "name", "in", "description", "", "optional", 1);
	assert_true(json_equal(json_object_get(f, "inputs"), want));
	json_decref(want);
	want =
	    json_pack("[{s:s, s:s, s:b}]", "name", "out", "description", "result", "optional", 0);
	assert_true(json_equal(json_object_get(f, "outputs"), want));
	json_decref(want);
	want = json_pack("[s, s]", "do1", "do2");
	assert_true(json_equal(json_object_get(f, "allow"), want));
	json_decref(want);
	assert_true(json_is_true(json_object_get(f, "public")));
	assert_int_equal(json_integer_value(json_object_get(f, "quota")), 5);
	assert_int_equal(json_integer_value(json_object_get(f, "revision")), 2);
	assert_int_equal(json_integer_value(json_object_get(f, "updated")), plat_fx_clock);
	assert_int_equal(json_integer_value(json_object_get(f, "created")), plat_fx_clock - 10);
	assert_string_equal(json_string_value(json_object_get(f, "owner")), "fo1");
	assert_string_equal(json_string_value(json_object_get(f, "name")), "echo fn");
	json_decref(f);

	/* Refused updates change nothing. */
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, CU_EINVAL, NULL, "{s:s}", "id", id);
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, CU_EINVAL, NULL, "{s:s}", "name", "x");
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, CU_EINVAL, NULL, "{s:s, s:s, s:s}", "id",
	             id, "name", "x", "owner", "fo2");
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, CU_EINVAL, NULL, "{s:s, s:s, s:[s]}", "id",
	             id, "name", "x", "allow", "ghost");
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, CU_EFORMAT, NULL, "{s:s, s:s, s:s}", "id",
	             id, "name", "x", "public", "yes");
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, CU_EINVAL, NULL, "{s:s, s:s}", "id", id,
	             "builtin", "nope");
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, CU_EINVAL, NULL, "{s:s, s:s}", "id", id,
	             "payload", WASM_B64);
	PLAT_FX_CALL(&t->f, op_function_update, &t->fo1, CU_ENOTFOUND, NULL, "{s:s, s:s}", "id",
	             "function-x", "name", "x");
	f = get_fn(t, &t->fo1, id);
	assert_int_equal(json_integer_value(json_object_get(f, "revision")), 2);
	assert_string_equal(json_string_value(json_object_get(f, "name")), "echo fn");
	json_decref(f);
	free(id);
}

struct bad {
	const char *json;
	int want;
};

static const struct bad bad_register[] = {
    {"[]", CU_EFORMAT},
    {"{}", CU_EINVAL},
    {"{\"executor\":\"builtin\",\"builtin\":\"echo\"}", CU_EINVAL},
    {"{\"name\":5,\"executor\":\"builtin\",\"builtin\":\"echo\"}", CU_EFORMAT},
    {"{\"name\":\"\",\"executor\":\"builtin\",\"builtin\":\"echo\"}", CU_EINVAL},
    {"{\"name\":\"a\\u0001b\",\"executor\":\"builtin\",\"builtin\":\"echo\"}", CU_EINVAL},
    {"{\"name\":\"a\\u0000b\",\"executor\":\"builtin\",\"builtin\":\"echo\"}", CU_EFORMAT},
    {"{\"name\":\"f\"}", CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"python\"}", CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":1}", CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"builtin\"}", CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"nope\"}", CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":[]}", CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"payload\":\"" WASM_B64 "\"}",
     CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"wasm\"}", CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"wasm\",\"builtin\":\"echo\",\"payload\":\"" WASM_B64 "\"}",
     CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"wasm\",\"payload\":\"!!!!\"}", CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"wasm\",\"payload\":\"abc\"}", CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"wasm\",\"payload\":\"AGFzbQEAAAA\"}", CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"wasm\",\"payload\":5}", CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"wasm\",\"payload\":\"\"}", CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"foo\":1}", CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"id\":\"x\"}", CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"owner\":\"fo2\"}", CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"description\":5}",
     CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"arguments\":{}}", CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"arguments\":[\"a\"]}",
     CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"arguments\":[{}]}",
     CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"arguments\":"
     "[{\"name\":\"a b\"}]}",
     CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"arguments\":"
     "[{\"name\":\"a/b\"}]}",
     CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"arguments\":"
     "[{\"name\":\"a\"},{\"name\":\"a\"}]}",
     CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"arguments\":"
     "[{\"name\":\"a\",\"optional\":true}]}",
     CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"arguments\":"
     "[{\"name\":\"a\",\"default\":5}]}",
     CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"arguments\":"
     "[{\"name\":\"a\",\"overridable\":\"yes\"}]}",
     CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"inputs\":"
     "[{\"name\":\"i\"},{\"name\":\"i\"}]}",
     CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"outputs\":"
     "[{\"name\":\"o\"},{\"name\":\"o\"}]}",
     CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"inputs\":"
     "[{\"name\":\"i\",\"optional\":1}]}",
     CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"inputs\":"
     "[{\"name\":\"i\",\"default\":\"x\"}]}",
     CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"outputs\":"
     "[{\"name\":\"\"}]}",
     CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"outputs\":"
     "[{\"name\":\"o\",\"description\":[]}]}",
     CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"inputs\":5}", CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"public\":\"yes\"}",
     CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"public\":1}", CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"allow\":\"do1\"}",
     CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"allow\":[5]}", CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"allow\":[\"ghost\"]}",
     CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"allow\":[\"-do1\"]}",
     CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"allow\":"
     "[\"do1\",\"do1\"]}",
     CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"quota\":-1}", CU_EINVAL},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"quota\":\"1\"}", CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"quota\":1.5}", CU_EFORMAT},
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"quota\":true}", CU_EFORMAT},
#define WASM_FN "{\"name\":\"f\",\"executor\":\"wasm\",\"payload\":\"" WASM_B64 "\","
    {"{\"name\":\"f\",\"executor\":\"builtin\",\"builtin\":\"echo\",\"limits\":{\"fuel\":5}}",
     CU_EINVAL},
    {WASM_FN "\"limits\":5}", CU_EFORMAT},
    {WASM_FN "\"limits\":[]}", CU_EFORMAT},
    {WASM_FN "\"limits\":{\"time\":5}}", CU_EINVAL},
    {WASM_FN "\"limits\":{\"fuel\":0}}", CU_ELIMIT},
    {WASM_FN "\"limits\":{\"fuel\":-1}}", CU_ELIMIT},
    {WASM_FN "\"limits\":{\"fuel\":1000000000001}}", CU_ELIMIT},
    {WASM_FN "\"limits\":{\"fuel\":\"5\"}}", CU_EFORMAT},
    {WASM_FN "\"limits\":{\"fuel\":1.5}}", CU_EFORMAT},
    {WASM_FN "\"limits\":{\"memory\":65535}}", CU_ELIMIT},
    {WASM_FN "\"limits\":{\"memory\":4294967297}}", CU_ELIMIT},
    {WASM_FN "\"limits\":{\"memory\":null}}", CU_EFORMAT},
#undef WASM_FN
};

static void test_malformed_register(void **state)
{
	struct tfx *t = *state;
	json_t *r = NULL;

	for (size_t i = 0; i < sizeof(bad_register) / sizeof(bad_register[0]); i++) {
		print_message("case %zu: %s\n", i, bad_register[i].json);
		PLAT_FX_CALL(&t->f, op_function_register, &t->fo1, bad_register[i].want, NULL, "o",
		             json_loads(bad_register[i].json, JSON_ALLOW_NUL, NULL));
	}
	/* Nothing was registered. */
	PLAT_FX_CALL(&t->f, op_function_list, &t->admin, 0, &r, "{}");
	assert_int_equal(json_array_size(json_object_get(r, "functions")), 0);
	json_decref(r);
}

/* A string of n copies of c. */
static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_limits(void **state)
{
	struct tfx *t = *state;
	char *name = repeat('n', PLAT_NAME_MAX), *longer = repeat('n', PLAT_NAME_MAX + 1);
	char *text = repeat('t', PLAT_TEXT_MAX), *ltext = repeat('t', PLAT_TEXT_MAX + 1);
	json_t *args = json_array(), *r = NULL;
	char *huge;
	size_t n;

	/* At the limits: accepted. */
	for (int i = 0; i < PLAT_LIST_MAX; i++) {
		char an[16];

		snprintf(an, sizeof(an), "arg.%d", i);
		json_array_append_new(args, json_pack("{s:s}", "name", an));
	}
	assert_int_equal(json_array_size(args), PLAT_LIST_MAX);
	PLAT_FX_CALL(&t->f, op_function_register, &t->fo1, 0, &r,
	             "{s:s, s:s, s:s, s:s, s:O, s:[{s:s, s:s}]}", "name", name, "description", text,
	             "executor", "builtin", "builtin", "echo", "arguments", args, "inputs", "name",
	             name, "description", text);
	free(take_id(r));

	/* One past: refused with CU_ELIMIT. */
	PLAT_FX_CALL(&t->f, op_function_register, &t->fo1, CU_ELIMIT, NULL, "{s:s, s:s, s:s}",
	             "name", longer, "executor", "builtin", "builtin", "echo");
	PLAT_FX_CALL(&t->f, op_function_register, &t->fo1, CU_ELIMIT, NULL, "{s:s, s:s, s:s, s:s}",
	             "name", "f", "description", ltext, "executor", "builtin", "builtin", "echo");
	PLAT_FX_CALL(&t->f, op_function_register, &t->fo1, CU_ELIMIT, NULL,
	             "{s:s, s:s, s:s, s:[{s:s}]}", "name", "f", "executor", "builtin", "builtin",
	             "echo", "outputs", "name", longer);
	PLAT_FX_CALL(&t->f, op_function_register, &t->fo1, CU_ELIMIT, NULL,
	             "{s:s, s:s, s:s, s:[{s:s, s:s}]}", "name", "f", "executor", "builtin",
	             "builtin", "echo", "arguments", "name", "a", "default", ltext);
	PLAT_FX_CALL(&t->f, op_function_register, &t->fo1, CU_ELIMIT, NULL,
	             "{s:s, s:s, s:s, s:[{s:s, s:s}]}", "name", "f", "executor", "builtin",
	             "builtin", "echo", "inputs", "name", "i", "description", ltext);
	json_array_append_new(args, json_pack("{s:s}", "name", "one-more"));
	PLAT_FX_CALL(&t->f, op_function_register, &t->fo1, CU_ELIMIT, NULL, "{s:s, s:s, s:s, s:O}",
	             "name", "f", "executor", "builtin", "builtin", "echo", "arguments", args);
	json_array_clear(args);
	for (int i = 0; i <= PLAT_LIST_MAX; i++)
		json_array_append_new(args, json_string("do1"));
	PLAT_FX_CALL(&t->f, op_function_register, &t->fo1, CU_ELIMIT, NULL, "{s:s, s:s, s:s, s:O}",
	             "name", "f", "executor", "builtin", "builtin", "echo", "allow", args);

	/* Payloads: one byte over 8 MiB once decoded, and a text longer than any. */
	n = cu_b64_encoded_size(PLAT_PAYLOAD_MAX + 1, CU_B64_STD);
	huge = repeat('A', n - 1);
	PLAT_FX_CALL(&t->f, op_function_register, &t->fo1, CU_ELIMIT, NULL, "{s:s, s:s, s:s}",
	             "name", "f", "executor", "wasm", "payload", huge);
	free(huge);
	huge = repeat('A', n + 3);
	PLAT_FX_CALL(&t->f, op_function_register, &t->fo1, CU_ELIMIT, NULL, "{s:s, s:s, s:s}",
	             "name", "f", "executor", "wasm", "payload", huge);
	free(huge);
	json_decref(args);
	free(name);
	free(longer);
	free(text);
	free(ltext);
}

static void test_reopen(void **state)
{
	struct tfx *t = *state;
	char *a = reg_echo(t, &t->fo1, 0, "do1"), *w = reg_wasm(t, &t->fo2);
	json_t *before_a = get_fn(t, &t->fo1, a), *before_w = get_fn(t, &t->fo2, w), *after;

	PLAT_FX_CALL(&t->f, op_function_disable, &t->fo2, 0, NULL, "{s:s}", "id", w);
	json_decref(before_w);
	before_w = get_fn(t, &t->fo2, w);
	plat_fx_reopen(&t->f);
	after = get_fn(t, &t->do1, a);
	assert_true(json_equal(before_a, after));
	json_decref(after);
	after = get_fn(t, &t->admin, w);
	assert_true(json_equal(before_w, after));
	assert_true(json_is_true(json_object_get(after, "disabled")));
	json_decref(after);
	assert_true(payload_exists(t, w));
	json_decref(before_a);
	json_decref(before_w);
	free(a);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_register_roles, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_get_matrix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_public_visibility, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_matrix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disable_matrix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete_matrix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_function_for, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wasm_payload, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wasm_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_register, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

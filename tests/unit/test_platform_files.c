/*
 * Unit tests of files.c: who may register and see files (every role, each
 * case with its code); the crypto schemas, URLs and digests accepted and
 * refused; fusion files; inputs made from written outputs; keys never in a
 * response; a canary key and a canary description never in the database
 * file; a restart.
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

#include "common/encoding.h"
#include "common/err.h"
#include "common/mem.h"
#include "platform/platform_int.h"
#include "store/store.h"
#include "test_platform_fixture.h"

/* base64 of 32 and 16 bytes; an iv; a digest (upper case: stored lower-cased). */
#define KEY32  "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
#define KEY16  "MDEyMzQ1Njc4OWFiY2RlZg=="
#define IV     "000102030405060708090A0B"
#define DIGEST "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff"
#define URL    "https://example.org/data.enc"

struct tfx {
	struct plat_fx f;
	struct plat_caller admin, fo1, do1, do2, mgr;
};

static int setup(void **state)
{
	struct tfx *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	plat_fx_open(&t->f);
	plat_fx_put_user(&t->f, "admin", "platform-admin", NULL);
	plat_fx_put_user(&t->f, "fo1", "function-owner", NULL);
	plat_fx_put_user(&t->f, "do1", "data-owner", NULL);
	plat_fx_put_user(&t->f, "do2", "data-owner", NULL);
	plat_fx_put_user(&t->f, "mgr", "data-owner-manager", "acme");
	t->admin = plat_fx_caller("admin", PLAT_ROLE_ADMIN, NULL);
	t->fo1 = plat_fx_caller("fo1", PLAT_ROLE_FUNCTION_OWNER, NULL);
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

/* Neither "key" nor "iv" anywhere in j. */
static void assert_no_key(const json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach((json_t *)(uintptr_t)j, k, v)
		{
			assert_string_not_equal(k, "key");
			assert_string_not_equal(k, "iv");
			assert_no_key(v);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) assert_no_key(v);
	}
}

static char *take_id(json_t *r)
{
	char *id;

	assert_non_null(r);
	assert_no_key(r);
	assert_int_equal(json_object_size(r), 1);
	id = strdup(json_string_value(json_object_get(r, "id")));
	assert_non_null(id);
	assert_int_equal(strncmp(id, "file-", 5), 0);
	json_decref(r);
	return id;
}

static char *reg_input(struct tfx *t, const struct plat_caller *who)
{
	json_t *r = NULL;

	PLAT_FX_CALL(&t->f, op_file_register_input, who, 0, &r, "{s:s, s:{s:s, s:s}, s:s}", "url",
	             URL, "crypto", "schema", "custos", "key", KEY32, "digest", DIGEST);
	return take_id(r);
}

static char *reg_output(struct tfx *t, const struct plat_caller *who)
{
	json_t *r = NULL;

	PLAT_FX_CALL(&t->f, op_file_register_output, who, 0, &r, "{s:s, s:{s:s, s:s, s:s}}", "url",
	             "file:///out/x", "crypto", "schema", "aes-gcm-128", "key", KEY16, "iv", IV);
	return take_id(r);
}

static char *reg_fusion(struct tfx *t, const struct plat_caller *who, const char *a, const char *b)
{
	json_t *r = NULL;

	PLAT_FX_CALL(&t->f, op_file_register_fusion, who, 0, &r, "{s:[s, s]}", "owners", a, b);
	return take_id(r);
}

static json_t *get_file(struct tfx *t, const struct plat_caller *who, const char *id)
{
	json_t *r = NULL;

	PLAT_FX_CALL(&t->f, op_file_get, who, 0, &r, "{s:s}", "id", id);
	assert_no_key(r);
	return r;
}

/* Mark an output written, as the worker does: digest and task set. */
static void write_output(struct tfx *t, const char *id)
{
	json_t *rec = NULL;

	assert_int_equal(plat_file_get(&t->f.p, id, &rec, NULL), 0);
	json_object_set_new(rec, "digest", json_string(DIGEST));
	json_object_set_new(rec, "task", json_string("task-1"));
	assert_int_equal(plat_put(&t->f.p, PLAT_T_FILES, id, rec), 0);
	json_decref(rec);
}

static void test_register_roles(void **state)
{
	struct tfx *t = *state;
	const struct plat_caller *no[] = {&t->admin, &t->fo1};
	char *ids[8], *out;
	size_t n = 0;

	ids[n++] = reg_input(t, &t->do1);
	ids[n++] = reg_input(t, &t->mgr);
	ids[n++] = reg_output(t, &t->do1);
	ids[n++] = reg_output(t, &t->mgr);
	ids[n++] = reg_fusion(t, &t->do1, "do1", "do2");
	ids[n++] = reg_fusion(t, &t->mgr, "do1", "mgr");
	out = ids[2];
	write_output(t, out);
	{
		json_t *r = NULL;

		PLAT_FX_CALL(&t->f, op_file_register_from_output, &t->do1, 0, &r, "{s:s}", "output",
		             out);
		ids[n++] = take_id(r);
	}
	for (size_t i = 0; i < 2; i++) {
		PLAT_FX_CALL(&t->f, op_file_register_input, no[i], CU_EPERM, NULL,
		             "{s:s, s:{s:s, s:s}, s:s}", "url", URL, "crypto", "schema", "custos",
		             "key", KEY32, "digest", DIGEST);
		PLAT_FX_CALL(&t->f, op_file_register_output, no[i], CU_EPERM, NULL,
		             "{s:s, s:{s:s, s:s}}", "url", URL, "crypto", "schema", "custos", "key",
		             KEY32);
		PLAT_FX_CALL(&t->f, op_file_register_fusion, no[i], CU_EPERM, NULL, "{s:[s, s]}",
		             "owners", no[i]->user, "do1");
		PLAT_FX_CALL(&t->f, op_file_register_from_output, no[i], CU_EPERM, NULL, "{s:s}",
		             "output", out);
	}
	PLAT_FX_CALL(&t->f, op_file_register_input, NULL, CU_EAUTH, NULL, "{}");
	PLAT_FX_CALL(&t->f, op_file_get, NULL, CU_EAUTH, NULL, "{s:s}", "id", out);
	PLAT_FX_CALL(&t->f, op_file_list, NULL, CU_EAUTH, NULL, "{}");
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
}

/* Only owners see a file: everyone else, the admin too, gets "not found". */
static void test_get_matrix(void **state)
{
	struct tfx *t = *state;
	const struct plat_caller *others[] = {&t->admin, &t->fo1, &t->do2, &t->mgr};
	char *in = reg_input(t, &t->do1), *fu = reg_fusion(t, &t->do1, "do1", "mgr");
	json_t *v;

	v = get_file(t, &t->do1, in);
	assert_string_equal(json_string_value(json_object_get(v, "id")), in);
	assert_string_equal(json_string_value(json_object_get(v, "kind")), "input");
	assert_string_equal(json_string_value(json_object_get(v, "url")), URL);
	assert_string_equal(json_string_value(json_object_get(v, "schema")), "custos");
	assert_string_equal(json_string_value(json_object_get(v, "digest")),
	                    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	assert_int_equal(json_array_size(json_object_get(v, "owners")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "owners"), 0)),
	                    "do1");
	assert_true(json_is_null(json_object_get(v, "from")));
	assert_true(json_is_null(json_object_get(v, "task")));
	assert_int_equal(json_integer_value(json_object_get(v, "created")), plat_fx_clock);
	assert_int_equal(json_object_size(v), 9);
	json_decref(v);
	for (size_t i = 0; i < 4; i++)
		PLAT_FX_CALL(&t->f, op_file_get, others[i], CU_ENOTFOUND, NULL, "{s:s}", "id", in);

	/* A fusion file: both owners see it, no one else. */
	json_decref(get_file(t, &t->do1, fu));
	json_decref(get_file(t, &t->mgr, fu));
	PLAT_FX_CALL(&t->f, op_file_get, &t->do2, CU_ENOTFOUND, NULL, "{s:s}", "id", fu);
	PLAT_FX_CALL(&t->f, op_file_get, &t->admin, CU_ENOTFOUND, NULL, "{s:s}", "id", fu);

	PLAT_FX_CALL(&t->f, op_file_get, &t->do1, CU_ENOTFOUND, NULL, "{s:s}", "id", "file-none");
	PLAT_FX_CALL(&t->f, op_file_get, &t->do1, CU_EINVAL, NULL, "{}");
	PLAT_FX_CALL(&t->f, op_file_get, &t->do1, CU_EFORMAT, NULL, "{s:b}", "id", 1);
	PLAT_FX_CALL(&t->f, op_file_get, &t->do1, CU_EINVAL, NULL, "{s:s, s:s}", "id", in, "key",
	             "x");
	free(in);
	free(fu);
}

static void assert_sorted_ids(const json_t *l)
{
	for (size_t i = 1; i < json_array_size(l); i++)
		assert_true(
		    strcmp(json_string_value(json_object_get(json_array_get(l, i - 1), "id")),
		           json_string_value(json_object_get(json_array_get(l, i), "id"))) < 0);
}

static void test_list(void **state)
{
	struct tfx *t = *state;
	char *ids[5];
	json_t *r = NULL, *l;

	ids[0] = reg_input(t, &t->do1);
	ids[1] = reg_output(t, &t->do1);
	ids[2] = reg_input(t, &t->do2);
	ids[3] = reg_fusion(t, &t->do2, "do2", "do1");
	ids[4] = reg_input(t, &t->mgr);

	PLAT_FX_CALL(&t->f, op_file_list, &t->do1, 0, &r, "{}");
	assert_no_key(r);
	l = json_object_get(r, "files");
	assert_int_equal(json_array_size(l), 3);
	assert_sorted_ids(l);
	for (size_t i = 0; i < 3; i++) {
		const json_t *e = json_array_get(l, i);
		const char *id = json_string_value(json_object_get(e, "id"));

		assert_true(!strcmp(id, ids[0]) || !strcmp(id, ids[1]) || !strcmp(id, ids[3]));
		assert_int_equal(json_object_size(e), 9);
	}
	json_decref(r);
	PLAT_FX_CALL(&t->f, op_file_list, &t->do2, 0, &r, "{}");
	assert_int_equal(json_array_size(json_object_get(r, "files")), 2);
	json_decref(r);
	PLAT_FX_CALL(&t->f, op_file_list, &t->mgr, 0, &r, "{}");
	assert_int_equal(json_array_size(json_object_get(r, "files")), 1);
	json_decref(r);
	PLAT_FX_CALL(&t->f, op_file_list, &t->admin, 0, &r, "{}");
	assert_int_equal(json_array_size(json_object_get(r, "files")), 0);
	json_decref(r);
	PLAT_FX_CALL(&t->f, op_file_list, &t->fo1, 0, &r, "{}");
	assert_int_equal(json_array_size(json_object_get(r, "files")), 0);
	json_decref(r);
	PLAT_FX_CALL(&t->f, op_file_list, &t->do1, CU_EINVAL, NULL, "{s:s}", "owner", "do2");
	for (size_t i = 0; i < 5; i++)
		free(ids[i]);
}

/* Each schema with its key length and iv; what the record keeps. */
static void test_crypto_schemas(void **state)
{
	struct tfx *t = *state;
	json_t *r = NULL, *rec = NULL, *c;
	char *a, *b, *d;

	PLAT_FX_CALL(&t->f, op_file_register_input, &t->do1, 0, &r, "{s:s, s:{s:s, s:s}, s:s}",
	             "url", "data:,abc", "crypto", "schema", "custos", "key", KEY32, "digest",
	             DIGEST);
	a = take_id(r);
	PLAT_FX_CALL(&t->f, op_file_register_input, &t->do1, 0, &r, "{s:s, s:{s:s, s:s, s:s}, s:s}",
	             "url", "http://h/x", "crypto", "schema", "aes-gcm-128", "key", KEY16, "iv", IV,
	             "digest", DIGEST);
	b = take_id(r);
	PLAT_FX_CALL(&t->f, op_file_register_output, &t->do1, 0, &r, "{s:s, s:{s:s, s:s, s:s}}",
	             "url", "FILE:///o", "crypto", "schema", "aes-gcm-256", "key", KEY32, "iv", IV);
	d = take_id(r);

	assert_int_equal(plat_file_get(&t->f.p, a, &rec, NULL), 0);
	c = json_object_get(rec, "crypto");
	assert_string_equal(json_string_value(json_object_get(c, "schema")), "custos");
	assert_string_equal(json_string_value(json_object_get(c, "key")), KEY32);
	assert_null(json_object_get(c, "iv"));
	assert_string_equal(json_string_value(json_object_get(rec, "kind")), "input");
	json_decref(rec);
	assert_int_equal(plat_file_get(&t->f.p, b, &rec, NULL), 0);
	c = json_object_get(rec, "crypto");
	assert_string_equal(json_string_value(json_object_get(c, "key")), KEY16);
	assert_string_equal(json_string_value(json_object_get(c, "iv")),
	                    "000102030405060708090a0b");
	json_decref(rec);
	assert_int_equal(plat_file_get(&t->f.p, d, &rec, NULL), 0);
	c = json_object_get(rec, "crypto");
	assert_string_equal(json_string_value(json_object_get(c, "schema")), "aes-gcm-256");
	assert_true(json_is_null(json_object_get(rec, "digest")));
	assert_string_equal(json_string_value(json_object_get(rec, "kind")), "output");
	json_decref(rec);
	rec = get_file(t, &t->do1, d);
	assert_true(json_is_null(json_object_get(rec, "digest")));
	assert_string_equal(json_string_value(json_object_get(rec, "schema")), "aes-gcm-256");
	json_decref(rec);
	assert_int_equal(plat_file_get(&t->f.p, "file-none", &rec, NULL), CU_ENOTFOUND);
	assert_null(rec);
	free(a);
	free(b);
	free(d);
}

static void test_fusion(void **state)
{
	struct tfx *t = *state;
	char *id = reg_fusion(t, &t->do1, "do1", "do2"), url[96], *id2;
	uint8_t key[64];
	size_t n = 0;
	json_t *rec = NULL, *v, *c;

	assert_int_equal(plat_file_get(&t->f.p, id, &rec, NULL), 0);
	c = json_object_get(rec, "crypto");
	assert_string_equal(json_string_value(json_object_get(c, "schema")), "custos");
	assert_null(json_object_get(c, "iv"));
	assert_int_equal(cu_b64_decode(json_string_value(json_object_get(c, "key")),
	                               json_string_length(json_object_get(c, "key")), key,
	                               sizeof(key), &n, CU_B64_STD),
	                 0);
	assert_int_equal(n, 32);
	assert_false(cu_ct_is_zero(key, n));
	json_decref(rec);

	v = get_file(t, &t->do2, id);
	snprintf(url, sizeof(url), "fusion://%s", id);
	assert_string_equal(json_string_value(json_object_get(v, "url")), url);
	assert_string_equal(json_string_value(json_object_get(v, "kind")), "fusion");
	assert_true(json_is_null(json_object_get(v, "digest")));
	json_decref(v);

	/* Each fusion file has its own key. */
	id2 = reg_fusion(t, &t->do2, "do1", "do2");
	{
		json_t *r1 = NULL, *r2 = NULL;

		assert_int_equal(plat_file_get(&t->f.p, id, &r1, NULL), 0);
		assert_int_equal(plat_file_get(&t->f.p, id2, &r2, NULL), 0);
		assert_string_not_equal(
		    json_string_value(json_object_get(json_object_get(r1, "crypto"), "key")),
		    json_string_value(json_object_get(json_object_get(r2, "crypto"), "key")));
		json_decref(r1);
		json_decref(r2);
	}

	PLAT_FX_CALL(&t->f, op_file_register_fusion, &t->do1, CU_EINVAL, NULL, "{s:[s]}", "owners",
	             "do1");
	PLAT_FX_CALL(&t->f, op_file_register_fusion, &t->do1, CU_EINVAL, NULL, "{s:[s, s]}",
	             "owners", "do2", "mgr");
	PLAT_FX_CALL(&t->f, op_file_register_fusion, &t->do1, CU_EINVAL, NULL, "{s:[s, s]}",
	             "owners", "do1", "do1");
	PLAT_FX_CALL(&t->f, op_file_register_fusion, &t->do1, CU_EINVAL, NULL, "{s:[s, s]}",
	             "owners", "do1", "ghost");
	PLAT_FX_CALL(&t->f, op_file_register_fusion, &t->do1, CU_EINVAL, NULL, "{s:[s, s]}",
	             "owners", "do1", "bad user");
	PLAT_FX_CALL(&t->f, op_file_register_fusion, &t->do1, CU_EFORMAT, NULL, "{s:[s, i]}",
	             "owners", "do1", 5);
	PLAT_FX_CALL(&t->f, op_file_register_fusion, &t->do1, CU_EFORMAT, NULL, "{s:s}", "owners",
	             "do1");
	PLAT_FX_CALL(&t->f, op_file_register_fusion, &t->do1, CU_EINVAL, NULL, "{}");
	PLAT_FX_CALL(&t->f, op_file_register_fusion, &t->do1, CU_EINVAL, NULL, "{s:[s, s], s:s}",
	             "owners", "do1", "do2", "url", "fusion://x");
	PLAT_FX_CALL(&t->f, op_file_register_fusion, &t->do1, CU_EINVAL, NULL,
	             "{s:[s, s], s:{s:s, s:s}}", "owners", "do1", "do2", "crypto", "schema",
	             "custos", "key", KEY32);
	{
		json_t *many = json_array();

		for (int i = 0; i <= PLAT_LIST_MAX; i++) {
			char u[16];

			snprintf(u, sizeof(u), "u%d", i);
			json_array_append_new(many, json_string(u));
		}
		PLAT_FX_CALL(&t->f, op_file_register_fusion, &t->do1, CU_ELIMIT, NULL, "{s:o}",
		             "owners", many);
	}
	free(id);
	free(id2);
}

static void test_from_output(void **state)
{
	struct tfx *t = *state;
	char *out = reg_output(t, &t->do1), *in = reg_input(t, &t->do1);
	char *fu = reg_fusion(t, &t->do1, "do1", "do2"), *a, *b;
	json_t *r = NULL, *src = NULL, *rec = NULL;

	/* Not written yet. */
	PLAT_FX_CALL(&t->f, op_file_register_from_output, &t->do1, CU_ESTATE, NULL, "{s:s}",
	             "output", out);
	PLAT_FX_CALL(&t->f, op_file_register_from_output, &t->do2, CU_ESTATE, NULL, "{s:s}",
	             "output", fu);
	write_output(t, out);
	write_output(t, fu);

	/* Not the caller's, not an output, absent: refused. */
	PLAT_FX_CALL(&t->f, op_file_register_from_output, &t->do2, CU_ENOTFOUND, NULL, "{s:s}",
	             "output", out);
	PLAT_FX_CALL(&t->f, op_file_register_from_output, &t->mgr, CU_ENOTFOUND, NULL, "{s:s}",
	             "output", fu);
	PLAT_FX_CALL(&t->f, op_file_register_from_output, &t->do1, CU_EINVAL, NULL, "{s:s}",
	             "output", in);
	PLAT_FX_CALL(&t->f, op_file_register_from_output, &t->do1, CU_ENOTFOUND, NULL, "{s:s}",
	             "output", "file-none");
	PLAT_FX_CALL(&t->f, op_file_register_from_output, &t->do1, CU_EINVAL, NULL, "{}");
	PLAT_FX_CALL(&t->f, op_file_register_from_output, &t->do1, CU_EFORMAT, NULL, "{s:i}",
	             "output", 1);
	PLAT_FX_CALL(&t->f, op_file_register_from_output, &t->do1, CU_EINVAL, NULL, "{s:s, s:s}",
	             "output", out, "url", URL);

	PLAT_FX_CALL(&t->f, op_file_register_from_output, &t->do1, 0, &r, "{s:s}", "output", out);
	a = take_id(r);
	assert_int_equal(plat_file_get(&t->f.p, out, &src, NULL), 0);
	assert_int_equal(plat_file_get(&t->f.p, a, &rec, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(rec, "kind")), "input");
	assert_string_equal(json_string_value(json_object_get(rec, "from")), out);
	assert_true(json_is_null(json_object_get(rec, "task")));
	assert_true(json_equal(json_object_get(rec, "url"), json_object_get(src, "url")));
	assert_true(json_equal(json_object_get(rec, "crypto"), json_object_get(src, "crypto")));
	assert_true(json_equal(json_object_get(rec, "digest"), json_object_get(src, "digest")));
	assert_true(json_equal(json_object_get(rec, "owners"), json_object_get(src, "owners")));
	json_decref(rec);
	json_decref(src);

	/* From a fusion output, by its other owner: both own the input. */
	PLAT_FX_CALL(&t->f, op_file_register_from_output, &t->do2, 0, &r, "{s:s}", "output", fu);
	b = take_id(r);
	r = get_file(t, &t->do1, b);
	assert_string_equal(json_string_value(json_object_get(r, "from")), fu);
	assert_string_equal(json_string_value(json_object_get(r, "kind")), "input");
	assert_int_equal(json_array_size(json_object_get(r, "owners")), 2);
	assert_int_equal(strncmp(json_string_value(json_object_get(r, "url")), "fusion://", 9), 0);
	assert_string_equal(json_string_value(json_object_get(r, "url")) + 9, fu);
	json_decref(r);
	PLAT_FX_CALL(&t->f, op_file_get, &t->mgr, CU_ENOTFOUND, NULL, "{s:s}", "id", b);
	free(out);
	free(in);
	free(fu);
	free(a);
	free(b);
}

struct bad {
	const char *json;
	int want;
};

#define CRYPTO "\"crypto\":{\"schema\":\"custos\",\"key\":\"" KEY32 "\"}"
#define DIG    "\"digest\":\"" DIGEST "\""
#define U      "\"url\":\"" URL "\""

static const struct bad bad_input[] = {
    {"[]", CU_EFORMAT},
    {"{" CRYPTO "," DIG "}", CU_EINVAL},
    {"{\"url\":5," CRYPTO "," DIG "}", CU_EFORMAT},
    {"{\"url\":\"\"," CRYPTO "," DIG "}", CU_EINVAL},
    {"{\"url\":\"ftp://h/x\"," CRYPTO "," DIG "}", CU_EINVAL},
    {"{\"url\":\"fusion://file-x\"," CRYPTO "," DIG "}", CU_EINVAL},
    {"{\"url\":\"/etc/passwd\"," CRYPTO "," DIG "}", CU_EINVAL},
    {"{\"url\":\"https://\"," CRYPTO "," DIG "}", CU_EINVAL},
    {"{\"url\":\"https://h/a\\nb\"," CRYPTO "," DIG "}", CU_EINVAL},
    {"{\"url\":\"https://h/a\\u007fb\"," CRYPTO "," DIG "}", CU_EINVAL},
    {"{\"url\":\"https://h/a\\u0000b\"," CRYPTO "," DIG "}", CU_EFORMAT},
    {"{" U "," DIG "}", CU_EINVAL},
    {"{" U ",\"crypto\":\"custos\"," DIG "}", CU_EFORMAT},
    {"{" U ",\"crypto\":{\"key\":\"" KEY32 "\"}," DIG "}", CU_EINVAL},
    {"{" U ",\"crypto\":{\"schema\":\"rot13\",\"key\":\"" KEY32 "\"}," DIG "}", CU_EINVAL},
    {"{" U ",\"crypto\":{\"schema\":\"teaclave-file-128\",\"key\":\"" KEY32 "\"}," DIG "}",
     CU_EINVAL},
    {"{" U ",\"crypto\":{\"schema\":1,\"key\":\"" KEY32 "\"}," DIG "}", CU_EFORMAT},
    {"{" U ",\"crypto\":{\"schema\":\"custos\"}," DIG "}", CU_EINVAL},
    {"{" U ",\"crypto\":{\"schema\":\"custos\",\"key\":32}," DIG "}", CU_EFORMAT},
    {"{" U ",\"crypto\":{\"schema\":\"custos\",\"key\":\"not base64!\"}," DIG "}", CU_EFORMAT},
    {"{" U ",\"crypto\":{\"schema\":\"custos\",\"key\":"
     "\"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY\"}," DIG "}",
     CU_EFORMAT},
    {"{" U ",\"crypto\":{\"schema\":\"custos\",\"key\":\"" KEY16 "\"}," DIG "}", CU_EINVAL},
    {"{" U ",\"crypto\":{\"schema\":\"aes-gcm-128\",\"key\":\"" KEY32 "\",\"iv\":\"" IV "\"}," DIG
     "}",
     CU_EINVAL},
    {"{" U ",\"crypto\":{\"schema\":\"aes-gcm-256\",\"key\":\"" KEY16 "\",\"iv\":\"" IV "\"}," DIG
     "}",
     CU_EINVAL},
    {"{" U ",\"crypto\":{\"schema\":\"custos\",\"key\":\"" KEY32
     "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\"}," DIG "}",
     CU_ELIMIT},
    {"{" U ",\"crypto\":{\"schema\":\"custos\",\"key\":\"" KEY32 "\",\"iv\":\"" IV "\"}," DIG "}",
     CU_EINVAL},
    {"{" U ",\"crypto\":{\"schema\":\"aes-gcm-128\",\"key\":\"" KEY16 "\"}," DIG "}", CU_EINVAL},
    {"{" U ",\"crypto\":{\"schema\":\"aes-gcm-128\",\"key\":\"" KEY16
     "\",\"iv\":\"000102030405060708090a0g\"}," DIG "}",
     CU_EFORMAT},
    {"{" U ",\"crypto\":{\"schema\":\"aes-gcm-128\",\"key\":\"" KEY16
     "\",\"iv\":\"0001020304050607\"}," DIG "}",
     CU_EINVAL},
    {"{" U ",\"crypto\":{\"schema\":\"aes-gcm-128\",\"key\":\"" KEY16 "\",\"iv\":\"" IV "00\"}," DIG
     "}",
     CU_ELIMIT},
    {"{" U ",\"crypto\":{\"schema\":\"aes-gcm-128\",\"key\":\"" KEY16 "\",\"iv\":12}," DIG "}",
     CU_EFORMAT},
    {"{" U ",\"crypto\":{\"schema\":\"custos\",\"key\":\"" KEY32 "\",\"mode\":\"x\"}," DIG "}",
     CU_EINVAL},
    {"{" U "," CRYPTO "}", CU_EINVAL},
    {"{" U "," CRYPTO ",\"digest\":5}", CU_EFORMAT},
    {"{" U "," CRYPTO ",\"digest\":\"0011\"}", CU_EINVAL},
    {"{" U "," CRYPTO ",\"digest\":\"" DIGEST "00\"}", CU_ELIMIT},
    {"{" U "," CRYPTO
     ",\"digest\":\"zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"}",
     CU_EFORMAT},
    {"{" U "," CRYPTO "," DIG ",\"owners\":[\"do2\"]}", CU_EINVAL},
    {"{" U "," CRYPTO "," DIG ",\"id\":\"file-x\"}", CU_EINVAL},
};

static const struct bad bad_output[] = {
    {"{" CRYPTO "}", CU_EINVAL},
    {"{\"url\":\"fusion://file-x\"," CRYPTO "}", CU_EINVAL},
    {"{\"url\":\"gopher://h\"," CRYPTO "}", CU_EINVAL},
    {"{" U "}", CU_EINVAL},
    {"{" U ",\"crypto\":{\"schema\":\"custos\",\"key\":\"" KEY16 "\"}}", CU_EINVAL},
    {"{" U "," CRYPTO "," DIG "}", CU_EINVAL},
    {"{" U "," CRYPTO ",\"task\":\"task-1\"}", CU_EINVAL},
};

static void run_bad(struct tfx *t, plat_op_fn op, const struct bad *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		print_message("case %zu: %s\n", i, b[i].json);
		PLAT_FX_CALL(&t->f, op, &t->do1, b[i].want, NULL, "o",
		             json_loads(b[i].json, JSON_ALLOW_NUL, NULL));
	}
}

static void test_malformed(void **state)
{
	struct tfx *t = *state;
	char *url = malloc(PLAT_URL_MAX + 2);
	json_t *r = NULL;

	run_bad(t, op_file_register_input, bad_input, sizeof(bad_input) / sizeof(bad_input[0]));
	run_bad(t, op_file_register_output, bad_output, sizeof(bad_output) / sizeof(bad_output[0]));

	/* A URL at its limit is taken, one byte more is not. */
	assert_non_null(url);
	memcpy(url, "https://h/", 10);
	memset(url + 10, 'a', PLAT_URL_MAX - 10);
	url[PLAT_URL_MAX] = '\0';
	PLAT_FX_CALL(&t->f, op_file_register_output, &t->do1, 0, &r, "{s:s, s:{s:s, s:s}}", "url",
	             url, "crypto", "schema", "custos", "key", KEY32);
	free(take_id(r));
	url[PLAT_URL_MAX] = 'a';
	url[PLAT_URL_MAX + 1] = '\0';
	PLAT_FX_CALL(&t->f, op_file_register_output, &t->do1, CU_ELIMIT, NULL,
	             "{s:s, s:{s:s, s:s}}", "url", url, "crypto", "schema", "custos", "key", KEY32);
	free(url);

	/* Only that one output was registered. */
	PLAT_FX_CALL(&t->f, op_file_list, &t->do1, 0, &r, "{}");
	assert_int_equal(json_array_size(json_object_get(r, "files")), 1);
	json_decref(r);
}

/* Every response of every file operation, for each kind of file: no key, no iv. */
static void test_no_key_in_responses(void **state)
{
	struct tfx *t = *state;
	char *ids[4];
	json_t *r = NULL;

	ids[0] = reg_input(t, &t->do1);
	ids[1] = reg_output(t, &t->do1);
	ids[2] = reg_fusion(t, &t->do1, "do1", "do2");
	write_output(t, ids[1]);
	PLAT_FX_CALL(&t->f, op_file_register_from_output, &t->do1, 0, &r, "{s:s}", "output",
	             ids[1]);
	ids[3] = take_id(r);
	for (size_t i = 0; i < 4; i++)
		json_decref(get_file(t, &t->do1, ids[i]));
	PLAT_FX_CALL(&t->f, op_file_list, &t->do1, 0, &r, "{}");
	assert_int_equal(json_array_size(json_object_get(r, "files")), 4);
	assert_no_key(r);
	json_decref(r);
	for (size_t i = 0; i < 4; i++)
		free(ids[i]);
}

/* Whether the file at path (if it exists) holds needle. */
static int file_holds(const char *path, const char *needle)
{
	FILE *fp = fopen(path, "rb");
	struct stat sb;
	char *buf;
	int found;

	if (!fp)
		return 0;
	assert_int_equal(fstat(fileno(fp), &sb), 0);
	buf = malloc((size_t)sb.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)sb.st_size, fp), (size_t)sb.st_size);
	fclose(fp);
	found = memmem(buf, (size_t)sb.st_size, needle, strlen(needle)) != NULL;
	free(buf);
	return found;
}

static void test_canary(void **state)
{
	static const char canary_key[] = "CANARY-KEY-CANARY-KEY-CANARY-KEY";
	struct tfx *t = *state;
	struct plat_caller fo = plat_fx_caller("fo1", PLAT_ROLE_FUNCTION_OWNER, NULL);
	char b64[64], wal[160], *id, *fn;
	json_t *r = NULL, *rec = NULL;

	assert_int_equal(sizeof(canary_key) - 1, 32);
	assert_int_equal(
	    cu_b64_encode((const uint8_t *)canary_key, 32, b64, sizeof(b64), CU_B64_STD), 0);
	PLAT_FX_CALL(&t->f, op_file_register_input, &t->do1, 0, &r, "{s:s, s:{s:s, s:s}, s:s}",
	             "url", URL, "crypto", "schema", "custos", "key", b64, "digest", DIGEST);
	id = take_id(r);
	PLAT_FX_CALL(&t->f, op_function_register, &fo, 0, &r, "{s:s, s:s, s:s, s:s}", "name", "c",
	             "description", "CANARY-desc", "executor", "builtin", "builtin", "echo");
	fn = strdup(json_string_value(json_object_get(r, "id")));
	json_decref(r);

	plat_fx_reopen(&t->f);
	snprintf(wal, sizeof(wal), "%s-wal", t->f.tmp.path);
	assert_false(file_holds(t->f.tmp.path, "CANARY"));
	assert_false(file_holds(wal, "CANARY"));

	/* And both are still there, the key as given. */
	assert_int_equal(plat_file_get(&t->f.p, id, &rec, NULL), 0);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(rec, "crypto"), "key")), b64);
	json_decref(rec);
	PLAT_FX_CALL(&t->f, op_function_get, &fo, 0, &r, "{s:s}", "id", fn);
	assert_string_equal(json_string_value(json_object_get(r, "description")), "CANARY-desc");
	json_decref(r);
	free(id);
	free(fn);
}

static void test_reopen(void **state)
{
	struct tfx *t = *state;
	char *ids[3];
	json_t *before[3], *r = NULL, *l;

	ids[0] = reg_input(t, &t->do1);
	ids[1] = reg_output(t, &t->do1);
	ids[2] = reg_fusion(t, &t->do1, "do1", "do2");
	for (size_t i = 0; i < 3; i++)
		before[i] = get_file(t, &t->do1, ids[i]);
	plat_fx_reopen(&t->f);
	for (size_t i = 0; i < 3; i++) {
		json_t *after = get_file(t, &t->do1, ids[i]);

		assert_true(json_equal(before[i], after));
		json_decref(after);
		json_decref(before[i]);
	}
	PLAT_FX_CALL(&t->f, op_file_list, &t->do2, 0, &r, "{}");
	l = json_object_get(r, "files");
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(l, 0), "id")), ids[2]);
	json_decref(r);
	/* The registered output can still become an input after the restart. */
	write_output(t, ids[1]);
	PLAT_FX_CALL(&t->f, op_file_register_from_output, &t->do1, 0, &r, "{s:s}", "output",
	             ids[1]);
	json_decref(r);
	for (size_t i = 0; i < 3; i++)
		free(ids[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_register_roles, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_get_matrix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crypto_schemas, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fusion, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_from_output, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_key_in_responses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_canary, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

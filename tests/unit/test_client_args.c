/* Unit tests: the CLI's NAME=VALUE and NAME=OWNER[,OWNER...] forms, ids in paths. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "client/args.h"
#include "client/client_int.h"
#include "common/err.h"

static const struct {
	const char *in;
	int value_required;
	int rc;
	const char *name, *value;
} kv_cases[] = {
    {"message=hello", 1, 0, "message", "hello"},
    {"a=b=c", 1, 0, "a", "b=c"},
    {"empty=", 1, 0, "empty", ""},
    {"spaces=a b c", 1, 0, "spaces", "a b c"},
    {"nodefault", 0, 0, "nodefault", NULL},
    {"nodefault", 1, CU_EFORMAT, NULL, NULL},
    {"=value", 1, CU_EFORMAT, NULL, NULL},
    {"", 0, CU_EFORMAT, NULL, NULL},
    {"=", 0, CU_EFORMAT, NULL, NULL},
    {"na me=x", 1, CU_EFORMAT, NULL, NULL},
    {"a,b=x", 1, CU_EFORMAT, NULL, NULL},
    {"tab\t=x", 1, CU_EFORMAT, NULL, NULL},
    {"n=line\nbreak", 1, CU_EFORMAT, NULL, NULL},
    {"n=\x7f", 1, CU_EFORMAT, NULL, NULL},
    {"caf\xc3\xa9=x", 1, CU_EFORMAT, NULL, NULL},
};

static void test_kv_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(kv_cases) / sizeof(kv_cases[0]); i++) {
		char *name = (char *)1, *value = (char *)1;
		int rc = cl_parse_kv(kv_cases[i].in, kv_cases[i].value_required, &name, &value);
		if (rc != kv_cases[i].rc)
			fail_msg("case %zu '%s': rc %d, want %d", i, kv_cases[i].in, rc,
			         kv_cases[i].rc);
		if (rc) {
			assert_null(name);
			assert_null(value);
			continue;
		}
		assert_string_equal(name, kv_cases[i].name);
		if (kv_cases[i].value)
			assert_string_equal(value, kv_cases[i].value);
		else
			assert_null(value);
		free(name);
		free(value);
	}
}

static void test_kv_limits(void **state)
{
	char name[CL_ARG_NAME_MAX + 4], *buf, *n, *v;
	size_t len = CL_ARG_VALUE_MAX + 3;

	(void)state;
	memset(name, 'n', CL_ARG_NAME_MAX);
	strcpy(name + CL_ARG_NAME_MAX, "=v");
	assert_int_equal(cl_parse_kv(name, 1, &n, &v), 0); /* exactly the maximum */
	free(n);
	free(v);
	memset(name, 'n', CL_ARG_NAME_MAX + 1);
	strcpy(name + CL_ARG_NAME_MAX + 1, "=v");
	assert_int_equal(cl_parse_kv(name, 1, &n, &v), CU_ELIMIT);
	buf = malloc(len + 1);
	assert_non_null(buf);
	memcpy(buf, "a=", 2);
	memset(buf + 2, 'v', len - 2);
	buf[len] = 0;
	assert_int_equal(cl_parse_kv(buf, 1, &n, &v), CU_ELIMIT);
	buf[len - 1] = 0; /* CL_ARG_VALUE_MAX bytes of value */
	assert_int_equal(cl_parse_kv(buf, 1, &n, &v), 0);
	assert_int_equal(strlen(v), CL_ARG_VALUE_MAX);
	free(n);
	free(v);
	free(buf);
}

static const struct {
	const char *in;
	int rc;
	const char *name;
	size_t n;
	const char *first, *last;
} owner_cases[] = {
    {"data=alice", 0, "data", 1, "alice", "alice"},
    {"model=alice,bob,carol@org.example", 0, "model", 3, "alice", "carol@org.example"},
    {"x=a_b.c-d", 0, "x", 1, "a_b.c-d", "a_b.c-d"},
    {"data", CU_EFORMAT, NULL, 0, NULL, NULL},
    {"data=", CU_EFORMAT, NULL, 0, NULL, NULL},
    {"=alice", CU_EFORMAT, NULL, 0, NULL, NULL},
    {"data=alice,", CU_EFORMAT, NULL, 0, NULL, NULL},
    {"data=,alice", CU_EFORMAT, NULL, 0, NULL, NULL},
    {"data=alice,,bob", CU_EFORMAT, NULL, 0, NULL, NULL},
    {"data=alice,alice", CU_EFORMAT, NULL, 0, NULL, NULL},
    {"data=al ice", CU_EFORMAT, NULL, 0, NULL, NULL},
    {"data=-alice", CU_EFORMAT, NULL, 0, NULL, NULL},
    {"data=.alice", CU_EFORMAT, NULL, 0, NULL, NULL},
    {"data=alice/bob", CU_EFORMAT, NULL, 0, NULL, NULL},
    {"data=alice=bob", CU_EFORMAT, NULL, 0, NULL, NULL},
};

static void test_owners_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(owner_cases) / sizeof(owner_cases[0]); i++) {
		char *name = (char *)1, **owners = (char **)1;
		size_t n = 99;
		int rc = cl_parse_owners(owner_cases[i].in, &name, &owners, &n);
		if (rc != owner_cases[i].rc)
			fail_msg("case %zu '%s': rc %d, want %d", i, owner_cases[i].in, rc,
			         owner_cases[i].rc);
		if (rc) {
			assert_null(name);
			assert_null(owners);
			assert_int_equal(n, 0);
			continue;
		}
		assert_string_equal(name, owner_cases[i].name);
		assert_int_equal(n, owner_cases[i].n);
		assert_string_equal(owners[0], owner_cases[i].first);
		assert_string_equal(owners[n - 1], owner_cases[i].last);
		free(name);
		cl_owners_free(owners, n);
	}
}

static void test_owners_limits(void **state)
{
	char buf[8 * (CL_OWNERS_MAX + 2)], *name, **owners, user[CL_USER_MAX + 8];
	size_t n, o;

	(void)state;
	o = (size_t)snprintf(buf, sizeof(buf), "s=");
	for (int i = 0; i < CL_OWNERS_MAX; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%su%d", i ? "," : "", i);
	assert_int_equal(cl_parse_owners(buf, &name, &owners, &n), 0);
	assert_int_equal(n, CL_OWNERS_MAX);
	free(name);
	cl_owners_free(owners, n);
	snprintf(buf + o, sizeof(buf) - o, ",extra");
	assert_int_equal(cl_parse_owners(buf, &name, &owners, &n), CU_ELIMIT);
	memset(user, 'u', CL_USER_MAX);
	user[CL_USER_MAX] = 0;
	snprintf(buf, sizeof(buf), "s=%s", user);
	assert_int_equal(cl_parse_owners(buf, &name, &owners, &n), 0);
	free(name);
	cl_owners_free(owners, n);
	snprintf(buf, sizeof(buf), "s=%su", user);
	assert_int_equal(cl_parse_owners(buf, &name, &owners, &n), CU_EFORMAT);
}

static void test_pct_encode(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(cl_pct_encode("task-1234_a.b~c", out, sizeof(out)), 0);
	assert_string_equal(out, "task-1234_a.b~c");
	assert_int_equal(cl_pct_encode("a/b?c#d e%", out, sizeof(out)), 0);
	assert_string_equal(out, "a%2Fb%3Fc%23d%20e%25");
	assert_int_equal(cl_pct_encode("carol@org", out, sizeof(out)), 0);
	assert_string_equal(out, "carol%40org");
	assert_int_equal(cl_pct_encode("//////", out, 10), CU_ELIMIT);
}

static void test_paths(void **state)
{
	struct custos_client *c = custos_client_new();
	char path[CL_PATH_MAX], id[CUSTOS_ID_MAX + 1];

	(void)state;
	assert_int_equal(cl_path(c, path, sizeof(path), "tasks", "task-1", "/approve"), 0);
	assert_string_equal(path, "/v1/tasks/task-1/approve");
	assert_int_equal(cl_path(c, path, sizeof(path), "users", "../admin", NULL), 0);
	assert_string_equal(path, "/v1/users/..%2Fadmin");
	assert_int_equal(cl_path(c, path, sizeof(path), "users", "..", NULL), CUSTOS_EINVAL);
	assert_int_equal(cl_path(c, path, sizeof(path), "users", ".", NULL), CUSTOS_EINVAL);
	assert_int_equal(cl_path(c, path, sizeof(path), "users", "", NULL), CUSTOS_EINVAL);
	memset(id, 'a', CUSTOS_ID_MAX);
	id[CUSTOS_ID_MAX] = 0;
	assert_int_equal(cl_path(c, path, sizeof(path), "users", id, NULL), CUSTOS_EINVAL);
	assert_non_null(strstr(custos_last_error(c), "invalid_request: "));
	id[CUSTOS_ID_MAX - 1] = 0;
	assert_int_equal(cl_path(c, path, sizeof(path), "users", id, NULL), 0);
	custos_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kv_table),     cmocka_unit_test(test_kv_limits),
	    cmocka_unit_test(test_owners_table), cmocka_unit_test(test_owners_limits),
	    cmocka_unit_test(test_pct_encode),   cmocka_unit_test(test_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

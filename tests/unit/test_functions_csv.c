/* Unit tests: the CSV reader and writer of the builtins, and the task context. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "functions/csv.h"
#include "functions_test_util.h"

static int parse(const char *s, size_t max_cols, struct csv_table *t, char *why)
{
	return csv_parse((const uint8_t *)s, strlen(s), max_cols, t, why, CSV_REASON_MAX);
}

static void test_good(void **state)
{
	static const struct {
		const char *in;
		size_t rows, cols;
		const char *cells[8];
	} cases[] = {
	    {"", 0, 0, {NULL}},
	    {"a", 1, 1, {"a"}},
	    {"a,b\n", 1, 2, {"a", "b"}},
	    {"a,b\r\nc,d", 2, 2, {"a", "b", "c", "d"}},
	    {"a,\n,", 2, 2, {"a", "", "", ""}},
	    {"\"x,y\",\"he said \"\"hi\"\"\"\n", 1, 2, {"x,y", "he said \"hi\""}},
	    {"\"multi\nline\",2\n\"\",\"\"\n", 2, 2, {"multi\nline", "2", "", ""}},
	    {"\xef\xbb\xbfid,n\n1,2\n", 2, 2, {"id", "n", "1", "2"}},
	    {"one\n\ntwo\n", 3, 1, {"one", "", "two"}},
	};
	char why[CSV_REASON_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct csv_table t;
		assert_int_equal(parse(cases[i].in, 8, &t, why), 0);
		assert_int_equal(t.nrows, cases[i].rows);
		if (t.nrows)
			assert_int_equal(t.ncols, cases[i].cols);
		for (size_t k = 0; k < t.nrows * t.ncols; k++) {
			assert_string_equal(t.cell[k], cases[i].cells[k]);
			assert_int_equal(t.len[k], strlen(cases[i].cells[k]));
		}
		csv_free(&t);
	}
}

static void test_malformed(void **state)
{
	static const struct {
		const char *in;
		int rc;
		const char *why;
	} cases[] = {
	    {"a,\"b\n", CU_EFORMAT, "record 1: a quoted field is not terminated"},
	    {"a,b\nc\n", CU_EFORMAT, "record 2: 1 fields where the first record has 2"},
	    {"a,b\nc,d,e\n", CU_EFORMAT, "record 2: 3 fields where the first record has 2"},
	    {"a,b\"c\n", CU_EFORMAT, "record 1: a quote appears inside an unquoted field"},
	    {"\"a\"b\n", CU_EFORMAT, "record 1: a character follows the closing quote of a field"},
	    {"a\rb\n", CU_EFORMAT, "record 1: a carriage return is not followed by a line feed"},
	    {"a,b,c,d,e\n", CU_ELIMIT, "record 1: more than 4 fields"},
	    {"a,b\n\n", CU_EFORMAT, "record 2: 1 fields where the first record has 2"},
	};
	char why[CSV_REASON_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct csv_table t;
		assert_int_equal(parse(cases[i].in, 4, &t, why), cases[i].rc);
		assert_string_equal(why, cases[i].why);
		csv_free(&t);
	}
	/* A NUL byte anywhere is refused. */
	struct csv_table t;
	assert_int_equal(csv_parse((const uint8_t *)"a,b\0c\n", 6, 4, &t, why, sizeof(why)),
	                 CU_EFORMAT);
	assert_string_equal(why, "record 1: a field contains a NUL byte");
	csv_free(&t);
	assert_int_equal(csv_parse((const uint8_t *)"\"a\0\"", 4, 4, &t, why, sizeof(why)),
	                 CU_EFORMAT);
	csv_free(&t);
}

/* Every prefix of a valid file parses or fails cleanly (truncation). */
static void test_truncation(void **state)
{
	static const char doc[] = "id,\"name, full\",n\r\n1,\"a \"\"b\"\"\",2\n3,,\"x\ny\"\n";
	char why[CSV_REASON_MAX];

	(void)state;
	for (size_t n = 0; n <= strlen(doc); n++) {
		struct csv_table t;
		int rc = csv_parse((const uint8_t *)doc, n, 8, &t, why, sizeof(why));
		assert_true(rc == 0 || rc == CU_EFORMAT);
		csv_free(&t);
	}
}

static void test_write(void **state)
{
	struct fn_output o = {.name = "o", .max = 1024};
	static const char want[] = "plain,\"a,b\",\"q\"\"q\",\"l\nf\",\n";

	(void)state;
	assert_int_equal(csv_write_field(&o, "plain", 5, 0), 0);
	assert_int_equal(csv_write_field(&o, "a,b", 3, 0), 0);
	assert_int_equal(csv_write_field(&o, "q\"q", 3, 0), 0);
	assert_int_equal(csv_write_field(&o, "l\nf", 3, 0), 0);
	assert_int_equal(csv_write_field(&o, "", 0, 1), 0);
	assert_int_equal(o.len, strlen(want));
	assert_memory_equal(o.data, want, o.len);
	/* What the writer writes, the reader reads back. */
	struct csv_table t;
	char why[CSV_REASON_MAX];
	assert_int_equal(csv_parse(o.data, o.len, 8, &t, why, sizeof(why)), 0);
	assert_int_equal(t.ncols, 5);
	assert_string_equal(t.cell[2], "q\"q");
	assert_string_equal(t.cell[3], "l\nf");
	csv_free(&t);
	free(o.data);
}

static void test_ctx(void **state)
{
	struct tctx t;
	char big[FN_RESULT_MAX + 10];

	(void)state;
	t_init(&t);
	t_arg(&t, "a", "1");
	t_in(&t, "x", "data");
	t_out(&t, "o", 10);
	assert_string_equal(fn_arg(&t.c, "a"), "1");
	assert_null(fn_arg(&t.c, "b"));
	assert_int_equal(fn_input(&t.c, "x")->len, 4);
	assert_null(fn_input(&t.c, "y"));
	struct fn_output *o = fn_output(&t.c, "o");
	assert_non_null(o);
	assert_null(fn_output(&t.c, "p"));
	assert_int_equal(fn_output_write(o, "0123456789", 10), 0);
	assert_int_equal(fn_output_write(o, "x", 1), CU_ELIMIT);
	assert_int_equal(o->len, 10);
	assert_true(o->written);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	fn_result(&t.c, "%s", big);
	assert_int_equal(strlen(t.c.result), FN_RESULT_MAX);
	assert_int_equal(fn_fail(&t.c, CU_EFORMAT, "bad %d", 7), CU_EFORMAT);
	assert_string_equal(t.c.reason, "bad 7");
	t_free(&t);
}

static void test_table(void **state)
{
	size_t n;
	const struct fn_builtin *all = fn_all(&n);
	static const char *const names[] = {"echo",
	                                    "gbdt-predict",
	                                    "gbdt-train",
	                                    "image-classification",
	                                    "logistic-regression-predict",
	                                    "logistic-regression-train",
	                                    "online-decrypt",
	                                    "ordered-set-intersect",
	                                    "ordered-set-join",
	                                    "password-check",
	                                    "principal-components-analysis",
	                                    "private-join-and-compute",
	                                    "rsa-sign",
	                                    "sql"};

	(void)state;
	assert_int_equal(n, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < n; i++) {
		assert_ptr_equal(fn_find(names[i]), fn_find(all[i].name));
		assert_non_null(fn_find(names[i]));
	}
	assert_null(fn_find("face-detection"));
	assert_null(fn_find("builtin-echo"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),       cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_truncation), cmocka_unit_test(test_write),
	    cmocka_unit_test(test_ctx),        cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

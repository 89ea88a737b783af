/*
 * Unit tests: the sql clean room. Good queries give exact CSV; everything
 * but one read-only SELECT over the input tables is refused with its
 * reason; bad tables are refused; a runaway query is stopped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/err.h"
#include "functions_test_util.h"

static const char purchases[] = "customer,campaign,amount\n"
                                "c1,summer,10\n"
                                "c2,summer,5.5\n"
                                "c3,winter,7\n";
static const char impressions[] = "customer,campaign\r\n"
                                  "c1,summer\r\n"
                                  "c2,summer\r\n"
                                  "c3,spring\r\n"
                                  "c4,winter\r\n";

/* A task over purchases and impressions (and extra, as table t, when not NULL). */
static void sql_ctx(struct tctx *t, const char *query, const char *extra)
{
	t_init(t);
	t_in(t, "purchases", purchases);
	t_in(t, "impressions", impressions);
	if (extra)
		t_in(t, "t", extra);
	t_out(t, "output", 1 << 20);
	if (query)
		t_arg(t, "query", query);
}

static int sql(struct tctx *t, const char *query, const char *extra)
{
	sql_ctx(t, query, extra);
	return t_run(t, "sql");
}

static void test_queries(void **state)
{
	static const struct {
		const char *query, *extra, *want, *result;
	} cases[] = {
	    {"SELECT i.campaign, count(*) AS conversions, sum(p.amount) AS revenue "
	     "FROM impressions i JOIN purchases p "
	     "ON p.customer = i.customer AND p.campaign = i.campaign "
	     "GROUP BY i.campaign ORDER BY i.campaign",
	     NULL, "campaign,conversions,revenue\nsummer,2,15.5\n", "1 rows"},
	    {"SELECT typeof(a), typeof(b), typeof(c), typeof(d), typeof(e), typeof(f) FROM t",
	     "a,b,c,d,e,f\n12,1.5e3,007,,99999999999999999999,-3.25\n",
	     "typeof(a),typeof(b),typeof(c),typeof(d),typeof(e),typeof(f)\n"
	     "integer,real,text,null,text,real\n",
	     "1 rows"},
	    {"SELECT 'x,y' AS \"a b\", NULL AS n, 'say \"hi\"' AS q", NULL,
	     "a b,n,q\n\"x,y\",,\"say \"\"hi\"\"\"\n", "1 rows"},
	    {"WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5) "
	     "SELECT sum(x) AS s FROM n;  -- the sum\n",
	     NULL, "s\n15\n", "1 rows"},
	    {"SELECT customer FROM purchases WHERE amount > 100", NULL, "customer\n", "0 rows"},
	    {"SELECT upper(campaign) AS c, row_number() OVER (ORDER BY customer) AS r "
	     "FROM impressions ORDER BY r DESC LIMIT 2",
	     NULL, "c,r\nWINTER,4\nSPRING,3\n", "2 rows"},
	    {"select \"select\" from t", "select\n1\n", "select\n1\n", "1 rows"},
	    {"SELECT '{\"a\":[1,2]}' ->> '$.a[1]' AS v, abs(-2) AS w, x'41' AS b", NULL,
	     "v,w,b\n2,2,A\n", "1 rows"},
	};
	struct tctx t;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = sql(&t, cases[i].query, cases[i].extra);
		if (rc)
			fprintf(stderr, "case %zu: %s\n", i, t.c.reason);
		assert_int_equal(rc, 0);
		struct fn_output *o = fn_output(&t.c, "output");
		if (!t_out_is(&t, "output", cases[i].want))
			fprintf(stderr, "case %zu: got [%.*s]\n", i, (int)o->len, (char *)o->data);
		assert_true(t_out_is(&t, "output", cases[i].want));
		assert_string_equal(t.c.result, cases[i].result);
		t_free(&t);
	}
}

static void test_refused(void **state)
{
	static const struct {
		const char *query;
		int rc;
		const char *why;
	} cases[] = {
	    {"SELECT 1; SELECT 2", CU_EPERM, "the query must be a single statement"},
	    {"SELECT * FROM purchases; DROP TABLE purchases", CU_EPERM,
	     "the query must be a single statement"},
	    {"INSERT INTO purchases VALUES ('c9', 'x', 1)", CU_EPERM,
	     "the query is refused: the query may only read (SELECT), not INSERT"},
	    {"DELETE FROM purchases", CU_EPERM,
	     "the query is refused: the query may only read (SELECT), not DELETE"},
	    {"UPDATE purchases SET amount = 0", CU_EPERM,
	     "the query is refused: the query may only read (SELECT), not UPDATE"},
	    {"CREATE TABLE x (a)", CU_EPERM,
	     "the query is refused: the query may only read the input tables: no change "
	     "of the schema, no table-valued function"},
	    {"ATTACH DATABASE '/tmp/x.db' AS x", CU_EPERM,
	     "the query is refused: ATTACH is not allowed"},
	    {"PRAGMA table_info(purchases)", CU_EPERM,
	     "the query is refused: PRAGMA table_info is not allowed"},
	    {"SELECT * FROM pragma_table_info('purchases')", CU_EPERM,
	     "the query is refused: the query may only read the input tables: no change "
	     "of the schema, no table-valued function"},
	    {"SELECT * FROM json_each('[1,2]')", CU_EPERM,
	     "the query is refused: the query may only read the input tables: no change "
	     "of the schema, no table-valued function"},
	    {"SELECT * FROM (SELECT * FROM sqlite_master)", CU_EPERM,
	     "the query is refused: the query may read only the input tables, not "
	     "\"sqlite_master\""},
	    {"WITH s AS (SELECT * FROM sqlite_temp_master) SELECT * FROM s", CU_EPERM,
	     "the query is refused: the query may read only the input tables, not "
	     "\"sqlite_temp_master\""},
	    {"SELECT * FROM sqlite_schema", CU_EPERM,
	     "the query is refused: the query may read only the input tables, not "
	     "\"sqlite_master\""},
	    {"SELECT random()", CU_EPERM,
	     "the query is refused: the function random() is not "
	     "allowed"},
	    {"SELECT load_extension('/tmp/x.so')", CU_EPERM,
	     "the query is refused: the function load_extension() is not allowed"},
	    {"SELECT date('now')", CU_EPERM,
	     "the query is refused: the function date() is not allowed"},
	    {"SELECT CURRENT_TIMESTAMP", CU_EPERM,
	     "the query is refused: the function current_timestamp() is not allowed"},
	    {"BEGIN", CU_EPERM,
	     "the query is refused: the query may only read (SELECT), not BEGIN, COMMIT or "
	     "ROLLBACK"},
	    {"EXPLAIN SELECT 1", CU_EPERM, "the query may only read: one SELECT statement"},
	    {"SELEC 1", CU_EINVAL, "the query is not valid SQL: near \"SELEC\": syntax error"},
	    {"SELECT nope FROM purchases", CU_EINVAL,
	     "the query is not valid SQL: no such column: nope"},
	    {"  -- nothing\n", CU_EINVAL, "the query is empty"},
	    {NULL, CU_EINVAL, "sql needs the argument \"query\""},
	};
	struct tctx t;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = sql(&t, cases[i].query, NULL);
		if (rc != cases[i].rc)
			fprintf(stderr, "case %zu: %d %s\n", i, rc, t.c.reason);
		assert_int_equal(rc, cases[i].rc);
		assert_string_equal(t.c.reason, cases[i].why);
		assert_false(fn_output(&t.c, "output")->written);
		t_free(&t);
	}
}

static void test_runaway(void **state)
{
	struct tctx t;

	(void)state;
	sql_ctx(&t, NULL, NULL);
	t_arg(&t, "query",
	      "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) "
	      "SELECT count(*) FROM r");
	t_arg(&t, "max_steps", "1000000");
	assert_int_equal(t_run(&t, "sql"), CU_ELIMIT);
	assert_string_equal(t.c.reason, "the query was stopped after 1000000 steps (the argument "
	                                "\"max_steps\" allows more)");
	t_free(&t);
	/* A cross join that explodes (4^14 rows) is stopped the same way. */
	sql_ctx(&t,
	        "SELECT count(*) FROM impressions a, impressions b, impressions c, impressions d, "
	        "impressions e, impressions f, impressions g, impressions h, impressions i, "
	        "impressions j, impressions k, impressions l, impressions m, impressions n",
	        NULL);
	t_arg(&t, "max_steps", "100000");
	assert_int_equal(t_run(&t, "sql"), CU_ELIMIT);
	t_free(&t);
	sql_ctx(&t, "SELECT 1", NULL);
	t_arg(&t, "max_steps", "lots");
	assert_int_equal(t_run(&t, "sql"), CU_EINVAL);
	t_free(&t);
}

static void test_bad_tables(void **state)
{
	char wide[1024];
	size_t n = 0;
	static const struct {
		const char *table;
		int rc;
		const char *why;
	} cases[] = {
	    {"a,b\n1\n", CU_EFORMAT,
	     "\"t\" is not valid CSV: record 2: 1 fields where the first record has 2"},
	    {"a,b\n\"1,2\n", CU_EFORMAT,
	     "\"t\" is not valid CSV: record 2: a quoted field is not "
	     "terminated"},
	    {"", CU_EFORMAT, "\"t\" is empty: its first row must name its columns"},
	    {"a,1b\n", CU_EFORMAT,
	     "column 2 of \"t\" has no valid name ([A-Za-z_][A-Za-z0-9_]*, "
	     "at most 64 bytes, not sqlite_...)"},
	    {"a,\"b c\"\n", CU_EFORMAT, NULL},
	    {"a,A\n", CU_EFORMAT, "\"t\" has two columns named \"A\""},
	    {"a,sqlite_x\n", CU_EFORMAT, NULL},
	};
	struct tctx t;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(sql(&t, "SELECT 1", cases[i].table), cases[i].rc);
		if (cases[i].why)
			assert_string_equal(t.c.reason, cases[i].why);
		t_free(&t);
	}
	/* 65 columns: one too many. */
	for (int k = 0; k < 65; k++)
		n += (size_t)snprintf(wide + n, sizeof(wide) - n, "c%d%s", k, k < 64 ? "," : "\n");
	assert_int_equal(sql(&t, "SELECT 1", wide), CU_ELIMIT);
	assert_string_equal(t.c.reason, "\"t\" is not valid CSV: record 1: more than 64 fields");
	t_free(&t);
	/* 64 are fine. */
	strcpy(strrchr(wide, ','), "\n");
	assert_int_equal(sql(&t, "SELECT c63 FROM t", wide), 0);
	assert_true(t_out_is(&t, "output", "c63\n"));
	t_free(&t);
	/* Table names come from the inputs' names. */
	t_init(&t);
	t_in(&t, "my-table", "a\n1\n");
	t_out(&t, "result", 100);
	t_arg(&t, "query", "SELECT 1");
	assert_int_equal(t_run(&t, "sql"), CU_EINVAL);
	assert_string_equal(t.c.reason,
	                    "the input \"my-table\" cannot name a table "
	                    "([A-Za-z_][A-Za-z0-9_]*, at most 64 bytes, not sqlite_...)");
	t_init(&t);
	t_in(&t, "x", "a\n1\n");
	t_in(&t, "X", "a\n1\n");
	t_out(&t, "result", 100);
	t_arg(&t, "query", "SELECT 1");
	assert_int_equal(t_run(&t, "sql"), CU_EINVAL);
}

static void test_outputs(void **state)
{
	struct tctx t;

	(void)state;
	/* The only output, whatever its name. */
	t_init(&t);
	t_in(&t, "x", "a\n1\n2\n");
	t_out(&t, "result", 100);
	t_arg(&t, "query", "SELECT a * 10 AS b FROM x ORDER BY a");
	assert_int_equal(t_run(&t, "sql"), 0);
	assert_true(t_out_is(&t, "result", "b\n10\n20\n"));
	t_free(&t);
	/* SQLite's heap limit, a per-process setting, is as it was. */
	assert_int_equal(sqlite3_hard_heap_limit64(-1), 0);
	/* Two outputs and none named "output": both get the result; one too small fails. */
	t_init(&t);
	t_out(&t, "r1", 100);
	t_out(&t, "r2", 100);
	t_arg(&t, "query", "SELECT 1 AS one");
	assert_int_equal(t_run(&t, "sql"), 0);
	assert_true(t_out_is(&t, "r1", "one\n1\n"));
	assert_true(t_out_is(&t, "r2", "one\n1\n"));
	t_free(&t);
	t_init(&t);
	t_out(&t, "r1", 100);
	t_out(&t, "r2", 3);
	t_arg(&t, "query", "SELECT 1 AS one");
	assert_int_equal(t_run(&t, "sql"), CU_ELIMIT);
	assert_string_equal(t.c.reason, "the result exceeds the size limit of the output \"r2\"");
	t_free(&t);
	/* No output at all. */
	t_init(&t);
	t_arg(&t, "query", "SELECT 1");
	assert_int_equal(t_run(&t, "sql"), CU_EINVAL);
	assert_string_equal(t.c.reason, "sql needs an output for its result");
	t_free(&t);
	/* A result larger than the output may hold. */
	t_init(&t);
	t_out(&t, "output", 64);
	t_arg(&t, "query",
	      "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
	      "WHERE x < 1000) SELECT x FROM n");
	assert_int_equal(t_run(&t, "sql"), CU_ELIMIT);
	assert_string_equal(t.c.reason, "the result exceeds the size limit of the output "
	                                "\"output\"");
	t_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_queries), cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_runaway), cmocka_unit_test(test_bad_tables),
	    cmocka_unit_test(test_outputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * sql.c - the data clean room: the task's CSV inputs become the tables of
 * an in-memory SQLite database, and one read-only query, given as the
 * argument "query" (which every approver saw), writes its result as CSV.
 * docs/functions.md describes what a query may do.
 *
 * Confinement, beside the sandbox's own: the database is ":memory:" with
 * temporary storage in memory too, extensions off, defensive mode, no
 * triggers or views, tight sqlite3_limit()s; the query is prepared alone
 * (trailing statements refused), must be read-only, and an authorizer
 * allows only SELECT, reading the input tables, and an allow-list of
 * deterministic functions (no random(), no date and time, no
 * load_extension(), no pragmas, no ATTACH). A progress handler stops it
 * after "max_steps" virtual-machine steps. SQLite's heap is capped with
 * sqlite3_hard_heap_limit64() and its PRNG seeded with a constant: both
 * per-process settings, restored at the end (the worker runs each task in a
 * child process of its own).
 */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "functions/builtins_int.h"
#include "functions/csv.h"

#define SQL_MAX_COLS      64                 /* columns of an input table */
#define SQL_NAME_MAX      64                 /* bytes of a table or column name */
#define SQL_QUERY_MAX     65536              /* bytes of the query */
#define SQL_VALUE_MAX     (16 * 1024 * 1024) /* bytes of one value */
#define SQL_RESULT_COLS   256                /* columns of a result */
#define SQL_HEAP_MAX      (512LL << 20)      /* bytes of SQLite's heap */
#define SQL_STEPS_DEFAULT 1000000000ULL      /* virtual-machine steps of the query */
#define SQL_STEPS_MAX     100000000000ULL
#define SQL_STEP_GRAIN    1000 /* steps between progress calls */
#define SQL_WHY_MAX       200
#define SQL_PRNG_SEED     0x43757374

struct room {
	struct fn_ctx *c;
	sqlite3 *db;
	const struct fn_input **tables; /* the inputs, by table */
	size_t ntables;
	unsigned long long steps, max_steps;
	char denied[SQL_WHY_MAX]; /* the authorizer's first refusal */
};

/* The functions a query may call: deterministic, and touching nothing outside. */
static const char *const allowed_functions[] = {
    "abs", "avg", "char", "coalesce", "concat", "concat_ws", "count", "format", "glob",
    "group_concat", "hex", "ifnull", "iif", "instr", "length", "like", "likelihood", "likely",
    "lower", "ltrim", "max", "min", "nullif", "octet_length", "printf", "quote", "replace", "round",
    "rtrim", "sign", "string_agg", "substr", "substring", "sum", "total", "trim", "typeof", "unhex",
    "unicode", "unlikely", "upper", "zeroblob",
    /* math */
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "ceil", "ceiling", "cos", "cosh",
    "degrees", "exp", "floor", "ln", "log", "log10", "log2", "mod", "pi", "pow", "power", "radians",
    "sin", "sinh", "sqrt", "tan", "tanh", "trunc",
    /* window */
    "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead",
    "first_value", "last_value", "nth_value",
    /* JSON values (not the table-valued json_each and json_tree) */
    "json", "json_array", "json_array_length", "json_extract", "json_group_array",
    "json_group_object", "json_object", "json_quote", "json_type", "json_valid", "->", "->>", NULL};

static int function_allowed(const char *name)
{
	for (size_t i = 0; name && allowed_functions[i]; i++)
		if (!strcasecmp(allowed_functions[i], name))
			return 1;
	return 0;
}

static int is_table(const struct room *r, const char *name)
{
	for (size_t i = 0; name && i < r->ntables; i++)
		if (!strcasecmp(r->tables[i]->name, name))
			return 1;
	return 0;
}

static int deny(struct room *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int deny(struct room *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->denied[0]) {
		va_start(ap, fmt);
		vsnprintf(r->denied, sizeof(r->denied), fmt, ap);
		va_end(ap);
	}
	return SQLITE_DENY;
}

/* What an authorizer action code does, for the reason of a refusal. */
static const char *action_name(int action)
{
	static const struct {
		int code;
		const char *name;
	} names[] = {
	    {SQLITE_INSERT, "INSERT"},
	    {SQLITE_UPDATE, "UPDATE"},
	    {SQLITE_DELETE, "DELETE"},
	    {SQLITE_TRANSACTION, "BEGIN, COMMIT or ROLLBACK"},
	    {SQLITE_SAVEPOINT, "SAVEPOINT"},
	    {SQLITE_DETACH, "DETACH"},
	    {SQLITE_ALTER_TABLE, "ALTER TABLE"},
	    {SQLITE_REINDEX, "REINDEX"},
	    {SQLITE_ANALYZE, "ANALYZE"},
	    {SQLITE_CREATE_TABLE, "CREATE TABLE"},
	    {SQLITE_CREATE_TEMP_TABLE, "CREATE TABLE"},
	    {SQLITE_CREATE_INDEX, "CREATE INDEX"},
	    {SQLITE_CREATE_TEMP_INDEX, "CREATE INDEX"},
	    {SQLITE_CREATE_VIEW, "CREATE VIEW"},
	    {SQLITE_CREATE_TEMP_VIEW, "CREATE VIEW"},
	    {SQLITE_CREATE_TRIGGER, "CREATE TRIGGER"},
	    {SQLITE_CREATE_TEMP_TRIGGER, "CREATE TRIGGER"},
	    {SQLITE_CREATE_VTABLE, "CREATE VIRTUAL TABLE"},
	    {SQLITE_DROP_TABLE, "DROP TABLE"},
	    {SQLITE_DROP_TEMP_TABLE, "DROP TABLE"},
	    {SQLITE_DROP_INDEX, "DROP INDEX"},
	    {SQLITE_DROP_TEMP_INDEX, "DROP INDEX"},
	    {SQLITE_DROP_VIEW, "DROP VIEW"},
	    {SQLITE_DROP_TEMP_VIEW, "DROP VIEW"},
	    {SQLITE_DROP_TRIGGER, "DROP TRIGGER"},
	    {SQLITE_DROP_TEMP_TRIGGER, "DROP TRIGGER"},
	    {SQLITE_DROP_VTABLE, "DROP VIRTUAL TABLE"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == action)
			return names[i].name;
	return "this statement";
}

static int authorize(void *u, int action, const char *a, const char *b, const char *db,
                     const char *trigger)
{
	struct room *r = u;

	(void)trigger;
	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_RECURSIVE:
		return SQLITE_OK;
	case SQLITE_READ:
		/* No database: a common table expression or a subquery of this query. */
		if (!db || (!strcmp(db, "main") && is_table(r, a)))
			return SQLITE_OK;
		return deny(r, "the query may read only the input tables, not \"%.64s\"",
		            a ? a : "");
	case SQLITE_FUNCTION:
		if (function_allowed(b))
			return SQLITE_OK;
		return deny(r, "the function %.64s() is not allowed", b ? b : "");
	case SQLITE_PRAGMA:
		return deny(r, "PRAGMA %.64s is not allowed", a ? a : "");
	case SQLITE_ATTACH:
		return deny(r, "ATTACH is not allowed");
	default:
		/* CREATE, DROP and table-valued functions (pragma_..., json_each) first ask
		 * to write SQLite's own table of the schema. */
		if (a && !strncasecmp(a, "sqlite_", 7))
			return deny(r, "the query may only read the input tables: no change of the "
			               "schema, no table-valued function");
		return deny(r, "the query may only read (SELECT), not %s", action_name(action));
	}
}

static int progress(void *u)
{
	struct room *r = u;

	r->steps += SQL_STEP_GRAIN;
	return r->steps > r->max_steps;
}

/* [A-Za-z_][A-Za-z0-9_]*, at most SQL_NAME_MAX bytes, not SQLite's own "sqlite_...". */
static int valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > SQL_NAME_MAX || !strncasecmp(s, "sqlite_", 7))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		int alpha = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
		if (!alpha && (i == 0 || ch < '0' || ch > '9'))
			return 0;
	}
	return 1;
}

/* -?(0|[1-9][0-9]*): the digits after the sign, or 0 when s[0..n) is not that. */
static size_t int_digits(const char *s, size_t n, size_t *i)
{
	size_t start;

	*i = s[0] == '-';
	start = *i;
	if (*i >= n || s[*i] < '0' || s[*i] > '9')
		return 0;
	if (s[*i] == '0' && *i + 1 < n && s[*i + 1] >= '0' && s[*i + 1] <= '9')
		return 0;
	while (*i < n && s[*i] >= '0' && s[*i] <= '9')
		++*i;
	return *i - start;
}

static size_t digits(const char *s, size_t n, size_t i)
{
	size_t k = i;

	while (k < n && s[k] >= '0' && s[k] <= '9')
		k++;
	return k - i;
}

/* Whether s[0..n) is a decimal number with a fraction or an exponent. */
static int is_real(const char *s, size_t n, size_t i)
{
	size_t d;

	if (i < n && s[i] == '.') {
		if (!(d = digits(s, n, i + 1)))
			return 0;
		i += 1 + d;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (!(d = digits(s, n, i)))
			return 0;
		i += d;
	}
	return i == n;
}

/* Bind one cell: empty as NULL, an integer or a real when it parses fully, else text. */
static int bind_cell(sqlite3_stmt *st, int k, const char *s, size_t n)
{
	size_t i;

	if (!n)
		return sqlite3_bind_null(st, k);
	if (int_digits(s, n, &i) && i < n && is_real(s, n, i)) {
		double v;
		errno = 0;
		v = strtod(s, NULL);
		if (!errno && isfinite(v))
			return sqlite3_bind_double(st, k, v);
	} else if (int_digits(s, n, &i) && i == n && n <= 20) {
		long long v;
		errno = 0;
		v = strtoll(s, NULL, 10);
		if (!errno)
			return sqlite3_bind_int64(st, k, v);
	}
	if (n > SQL_VALUE_MAX)
		return SQLITE_TOOBIG;
	return sqlite3_bind_text(st, k, s, (int)n, SQLITE_STATIC);
}

static int check_header(struct room *r, const char *table, const struct csv_table *t)
{
	for (size_t k = 0; k < t->ncols; k++) {
		const char *name = csv_cell(t, 0, k);
		if (!valid_name(name))
			return fn_fail(r->c, CU_EFORMAT,
			               "column %zu of \"%s\" has no valid name "
			               "([A-Za-z_][A-Za-z0-9_]*, at most %d bytes, not sqlite_...)",
			               k + 1, table, SQL_NAME_MAX);
		for (size_t j = 0; j < k; j++)
			if (!strcasecmp(csv_cell(t, 0, j), name))
				return fn_fail(r->c, CU_EFORMAT,
				               "\"%s\" has two columns named \"%s\"", table, name);
	}
	return 0;
}

/* CREATE TABLE and its INSERT statement for t, into buffers of sz bytes. */
static void table_sql(const char *table, const struct csv_table *t, char *create, char *insert,
                      size_t sz)
{
	size_t a = (size_t)snprintf(create, sz, "CREATE TABLE \"%s\" (", table);
	size_t b = (size_t)snprintf(insert, sz, "INSERT INTO \"%s\" VALUES (", table);

	for (size_t k = 0; k < t->ncols; k++) {
		const char *sep = k + 1 < t->ncols ? ", " : ")";
		a += (size_t)snprintf(create + a, sz - a, "\"%s\"%s", csv_cell(t, 0, k), sep);
		b += (size_t)snprintf(insert + b, sz - b, "?%s", sep);
	}
}

static int sqlite_fail(struct room *r, int rc, const char *table)
{
	if (rc == SQLITE_TOOBIG)
		return fn_fail(r->c, CU_ELIMIT, "a value of \"%s\" is longer than %d bytes", table,
		               SQL_VALUE_MAX);
	if (rc == SQLITE_NOMEM)
		return fn_fail(r->c, CU_ENOMEM,
		               "the tables exceed the memory of the clean room "
		               "(%lld MiB)",
		               SQL_HEAP_MAX >> 20);
	return fn_fail(r->c, CU_EIO, "loading \"%s\" failed: %s", table, sqlite3_errmsg(r->db));
}

static int insert_rows(struct room *r, const char *table, const struct csv_table *t,
                       const char *insert)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(r->db, insert, -1, &st, NULL);

	for (size_t row = 1; rc == SQLITE_OK && row < t->nrows; row++) {
		for (size_t k = 0; rc == SQLITE_OK && k < t->ncols; k++)
			rc =
			    bind_cell(st, (int)k + 1, csv_cell(t, row, k), csv_cell_len(t, row, k));
		if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_DONE)
			rc = sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : sqlite_fail(r, rc, table);
}

static int load_table(struct room *r, const struct fn_input *in)
{
	char why[CSV_REASON_MAX], create[8192], insert[8192];
	struct csv_table t;
	int rc;

	if ((rc = csv_parse(in->data, in->len, SQL_MAX_COLS, &t, why, sizeof(why)))) {
		rc = fn_fail(r->c, rc, "\"%s\" is not valid CSV: %s", in->name, why);
		goto out;
	}
	if (!t.nrows) {
		rc = fn_fail(r->c, CU_EFORMAT,
		             "\"%s\" is empty: its first row must name its "
		             "columns",
		             in->name);
		goto out;
	}
	if ((rc = check_header(r, in->name, &t)))
		goto out;
	table_sql(in->name, &t, create, insert, sizeof(create));
	if ((rc = sqlite3_exec(r->db, create, NULL, NULL, NULL))) {
		rc = sqlite_fail(r, rc, in->name);
		goto out;
	}
	rc = insert_rows(r, in->name, &t, insert);
out:
	csv_free(&t);
	return rc;
}

static int check_inputs(struct room *r)
{
	for (size_t i = 0; i < r->c->ninputs; i++) {
		const char *name = r->c->inputs[i].name;
		if (!name || !valid_name(name))
			return fn_fail(r->c, CU_EINVAL,
			               "the input \"%.64s\" cannot name a table "
			               "([A-Za-z_][A-Za-z0-9_]*, at most %d bytes, not sqlite_...)",
			               name ? name : "", SQL_NAME_MAX);
		for (size_t j = 0; j < i; j++)
			if (!strcasecmp(r->c->inputs[j].name, name))
				return fn_fail(r->c, CU_EINVAL,
				               "two inputs are named \"%s\" (SQL names "
				               "ignore case)",
				               name);
		r->tables[r->ntables++] = &r->c->inputs[i];
	}
	return 0;
}

static void set_limits(sqlite3 *db)
{
	static const int limits[][2] = {
	    {SQLITE_LIMIT_LENGTH, SQL_VALUE_MAX},     {SQLITE_LIMIT_SQL_LENGTH, SQL_QUERY_MAX},
	    {SQLITE_LIMIT_COLUMN, SQL_RESULT_COLS},   {SQLITE_LIMIT_EXPR_DEPTH, 100},
	    {SQLITE_LIMIT_COMPOUND_SELECT, 50},       {SQLITE_LIMIT_VDBE_OP, 100000},
	    {SQLITE_LIMIT_FUNCTION_ARG, 32},          {SQLITE_LIMIT_ATTACHED, 0},
	    {SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 1000}, {SQLITE_LIMIT_VARIABLE_NUMBER, SQL_MAX_COLS},
	    {SQLITE_LIMIT_TRIGGER_DEPTH, 1},          {SQLITE_LIMIT_WORKER_THREADS, 0},
	};

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		sqlite3_limit(db, limits[i][0], limits[i][1]);
}

static int open_room(struct room *r)
{
	static const int off[] = {SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION,
	                          SQLITE_DBCONFIG_TRUSTED_SCHEMA,
	                          SQLITE_DBCONFIG_ENABLE_TRIGGER,
	                          SQLITE_DBCONFIG_ENABLE_VIEW,
	                          SQLITE_DBCONFIG_DQS_DML,
	                          SQLITE_DBCONFIG_DQS_DDL};
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY |
	            SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
	int rc = sqlite3_open_v2(":memory:", &r->db, flags, NULL);

	if (rc != SQLITE_OK)
		return fn_fail(r->c, CU_ENOMEM, "the clean room's database could not be opened");
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++)
		sqlite3_db_config(r->db, off[i], 0, (int *)NULL);
	sqlite3_db_config(r->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	set_limits(r->db);
	if (sqlite3_exec(r->db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL))
		return fn_fail(r->c, CU_EIO, "the clean room's database could not be set up");
	return 0;
}

static int load_tables(struct room *r)
{
	int rc;

	if ((rc = sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL)))
		return sqlite_fail(r, rc, "the tables");
	for (size_t i = 0; i < r->ntables; i++)
		if ((rc = load_table(r, r->tables[i])))
			return rc;
	if ((rc = sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL)))
		return sqlite_fail(r, rc, "the tables");
	return 0;
}

/* Whether only blanks and comments follow: prepare what is left, expecting nothing. */
static int single_statement(struct room *r, const char *tail)
{
	sqlite3_stmt *st = NULL;
	const char *rest = NULL;
	int rc;

	while (*tail == ' ' || *tail == '\t' || *tail == '\n' || *tail == '\r' || *tail == ';')
		tail++;
	if (!*tail)
		return 1;
	rc = sqlite3_prepare_v2(r->db, tail, -1, &st, &rest);
	sqlite3_finalize(st);
	return rc == SQLITE_OK && !st && rest && !*rest;
}

static int prepare_query(struct room *r, sqlite3_stmt **st)
{
	const char *q = fn_arg(r->c, "query"), *tail = NULL;
	size_t n;
	int rc;

	*st = NULL;
	if (!q)
		return fn_fail(r->c, CU_EINVAL, "sql needs the argument \"query\"");
	if ((n = strlen(q)) > SQL_QUERY_MAX)
		return fn_fail(r->c, CU_ELIMIT, "the query is longer than %d bytes", SQL_QUERY_MAX);
	rc = sqlite3_prepare_v2(r->db, q, (int)n + 1, st, &tail);
	if (rc != SQLITE_OK && (rc == SQLITE_AUTH || r->denied[0]))
		return fn_fail(r->c, CU_EPERM, "the query is refused: %s",
		               r->denied[0] ? r->denied : sqlite3_errmsg(r->db));
	if (rc != SQLITE_OK)
		return fn_fail(r->c, CU_EINVAL, "the query is not valid SQL: %s",
		               sqlite3_errmsg(r->db));
	if (!*st)
		return fn_fail(r->c, CU_EINVAL, "the query is empty");
	if (!single_statement(r, tail))
		return fn_fail(r->c, CU_EPERM, "the query must be a single statement");
	if (!sqlite3_stmt_readonly(*st) || sqlite3_stmt_isexplain(*st) ||
	    !sqlite3_column_count(*st))
		return fn_fail(r->c, CU_EPERM, "the query may only read: one SELECT statement");
	return 0;
}

static int write_value(sqlite3_stmt *st, int k, int last, struct fn_output *o)
{
	const char *s = "";
	size_t n = 0;

	switch (sqlite3_column_type(st, k)) {
	case SQLITE_NULL:
		break;
	case SQLITE_BLOB:
		s = sqlite3_column_blob(st, k);
		n = (size_t)sqlite3_column_bytes(st, k);
		break;
	default:
		s = (const char *)sqlite3_column_text(st, k);
		n = (size_t)sqlite3_column_bytes(st, k);
	}
	if (!s && n)
		return CU_ENOMEM;
	return csv_write_field(o, s ? s : "", n, last);
}

static int write_failed(struct room *r, int rc, struct fn_output *o)
{
	if (rc == CU_ELIMIT)
		return fn_fail(r->c, rc, "the result exceeds the size limit of the output \"%s\"",
		               o->name);
	return fn_fail(r->c, rc, "out of memory writing the result");
}

static int step_failed(struct room *r, int rc)
{
	if (rc == SQLITE_INTERRUPT)
		return fn_fail(r->c, CU_ELIMIT,
		               "the query was stopped after %llu steps (the "
		               "argument \"max_steps\" allows more)",
		               r->max_steps);
	if (rc == SQLITE_NOMEM)
		return fn_fail(r->c, CU_ENOMEM,
		               "the query exceeds the memory of the clean room "
		               "(%lld MiB)",
		               SQL_HEAP_MAX >> 20);
	if (rc == SQLITE_TOOBIG)
		return fn_fail(r->c, CU_ELIMIT, "the query makes a value longer than %d bytes",
		               SQL_VALUE_MAX);
	return fn_fail(r->c, CU_EINVAL, "the query failed: %s", sqlite3_errmsg(r->db));
}

static int run_query(struct room *r, sqlite3_stmt *st, struct fn_output *o)
{
	int cols = sqlite3_column_count(st), rc = 0, s;
	size_t rows = 0;

	for (int k = 0; !rc && k < cols; k++) {
		const char *name = sqlite3_column_name(st, k);
		rc = name ? csv_write_field(o, name, strlen(name), k == cols - 1) : CU_ENOMEM;
	}
	while (!rc && (s = sqlite3_step(st)) == SQLITE_ROW) {
		for (int k = 0; !rc && k < cols; k++)
			rc = write_value(st, k, k == cols - 1, o);
		rows++;
	}
	if (rc)
		return write_failed(r, rc, o);
	if (s != SQLITE_DONE)
		return step_failed(r, s);
	fn_result(r->c, "%zu rows", rows);
	return 0;
}

/*
 * The output the query writes: the one named "output", else the first.
 * Without one named "output", every output receives the result (one copy
 * for each party, each encrypted for its own owners).
 */
static struct fn_output *pick_output(struct fn_ctx *c)
{
	struct fn_output *o = fn_output(c, "output");

	return o ? o : c->noutputs ? &c->outputs[0] : NULL;
}

/* The result written to o, copied to every other output. */
static int copy_result(struct fn_ctx *c, const struct fn_output *o)
{
	for (size_t i = 0; i < c->noutputs; i++) {
		struct fn_output *d = &c->outputs[i];

		if (d != o && fn_output_write(d, o->data, o->len))
			return fn_fail(c, CU_ELIMIT,
			               "the result exceeds the size limit of the output \"%s\"",
			               d->name);
	}
	return 0;
}

int fn_sql(struct fn_ctx *c)
{
	struct room r = {.c = c};
	struct fn_output *o = pick_output(c);
	sqlite3_stmt *st = NULL;
	sqlite3_int64 heap = sqlite3_hard_heap_limit64(SQL_HEAP_MAX);
	/* A fixed seed for SQLite's PRNG (journal nonces): deterministic, and SQLite never
	 * opens /dev/urandom, which the sandbox forbids. Per process, reset at the end. */
	sqlite3_test_control(SQLITE_TESTCTRL_PRNG_SEED, SQL_PRNG_SEED, (sqlite3 *)NULL);
	size_t steps;
	int rc;

	if (!o) {
		rc = fn_fail(c, CU_EINVAL, "sql needs an output for its result");
		goto out;
	}
	if ((rc = fn_arg_size(c, "max_steps", SQL_STEPS_DEFAULT, SQL_STEPS_MAX, &steps)))
		goto out;
	r.max_steps = steps;
	if (!(r.tables = calloc(c->ninputs + 1, sizeof(*r.tables)))) {
		rc = fn_fail(c, CU_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = check_inputs(&r)) || (rc = open_room(&r)) || (rc = load_tables(&r)))
		goto out;
	sqlite3_set_authorizer(r.db, authorize, &r);
	sqlite3_progress_handler(r.db, SQL_STEP_GRAIN, progress, &r);
	if ((rc = prepare_query(&r, &st)))
		goto out;
	rc = run_query(&r, st, o);
	if (!rc && !fn_output(c, "output"))
		rc = copy_result(c, o);
out:
	sqlite3_finalize(st);
	sqlite3_close(r.db);
	free(r.tables);
	sqlite3_test_control(SQLITE_TESTCTRL_PRNG_SEED, 0, (sqlite3 *)NULL);
	sqlite3_hard_heap_limit64(heap);
	return rc;
}

/*
 * Unit tests of the sealed store against a hostile database host: the tests
 * edit the SQLite file with the sqlite3 API, either while the store is
 * closed or, through the backend's connection, while it is open, and check
 * that every change is refused (CU_EAUTH), every malformed row is reported
 * (CU_EFORMAT) without a crash, and that what is documented as undetectable
 * (a rollback of the whole file) is indeed what the store cannot see.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "store/internal.h"
#include "store/store.h"
#include "test_store_fixture.h"

static const uint8_t K[ST_KEY_LEN] = {
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
    0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf};

struct fx {
	struct st_tmp t;
	struct st_store *s;
	uint64_t va, vb, vc,
	    vq; /* versions of users/alice, users/bob, files/carol, a queue entry */
};

/* A store with users/alice, users/bob, files/carol and one queued entry, closed. */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t *v = NULL;
	size_t len;

	assert_non_null(f);
	st_tmp_make(&f->t);
	assert_int_equal(st_open(f->t.path, K, &f->s), 0);
	assert_int_equal(st_put(f->s, "users", "alice", "alice-record", 12), 0);
	assert_int_equal(st_put(f->s, "users", "bob", "bob-record", 10), 0);
	assert_int_equal(st_put(f->s, "files", "carol", "carol-record", 12), 0);
	assert_int_equal(st_queue_push(f->s, "jobs", "job-1", 5), 0);
	assert_int_equal(st_get(f->s, "users", "alice", &v, &len, &f->va), 0);
	free(v);
	assert_int_equal(st_get(f->s, "users", "bob", &v, &len, &f->vb), 0);
	free(v);
	assert_int_equal(st_get(f->s, "files", "carol", &v, &len, &f->vc), 0);
	free(v);
	f->vq = f->vc + 1; /* the push wrote the entry, then the queue's state */
	st_close(f->s);
	f->s = NULL;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	st_close(f->s);
	st_tmp_remove(&f->t);
	free(f);
	return 0;
}

/* The host: run SQL on the closed file. */
static void host_sql(const char *path, const char *fmt, ...)
{
	char text[1024];
	sqlite3 *db = NULL;
	va_list ap;
	char *err = NULL;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, text, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", text, err);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* The host, while the store is open: run SQL on its own connection. */
static void live_sql(struct st_store *s, const char *fmt, ...)
{
	sqlite3 *db = s->be->native(s->db);
	char text[1024];
	va_list ap;
	char *err = NULL;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (sqlite3_exec(db, text, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", text, err);
}

/* Flip one bit of a blob (at offset off, or its middle when off < 0). */
static void host_flip(const char *path, const char *table, const char *col, const char *where,
                      int off)
{
	char text[256];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	uint8_t buf[256];
	int n;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(text, sizeof(text), "SELECT %s FROM %s WHERE %s", col, table, where);
	assert_int_equal(sqlite3_prepare_v2(db, text, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_bytes(st, 0);
	assert_true(n > 0 && n <= (int)sizeof(buf));
	memcpy(buf, sqlite3_column_blob(st, 0), (size_t)n);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	buf[off < 0 ? n / 2 : off] ^= 0x01;
	snprintf(text, sizeof(text), "UPDATE %s SET %s = ?1 WHERE %s", table, col, where);
	assert_int_equal(sqlite3_prepare_v2(db, text, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_bind_blob(st, 1, buf, n, SQLITE_TRANSIENT), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static int get_rc(struct st_store *s, const char *table, const char *key)
{
	uint8_t *v = NULL;
	size_t len = 0;
	int rc = st_get(s, table, key, &v, &len, NULL);

	if (rc)
		assert_null(v);
	free(v);
	return rc;
}

static int scan_cb(void *arg, const char *key, const uint8_t *val, size_t len, uint64_t ver)
{
	(void)key;
	(void)val;
	(void)len;
	(void)ver;
	(*(int *)arg)++;
	return 0;
}

static int scan_rc(struct st_store *s, const char *table)
{
	int n = 0;

	return st_scan(s, table, NULL, scan_cb, &n);
}

static int open_rc(struct fx *f)
{
	int rc = st_open(f->t.path, K, &f->s);

	if (rc)
		assert_null(f->s);
	return rc;
}

/* Untampered, everything reads back: the baseline of every test below. */
static void test_baseline(void **state)
{
	struct fx *f = *state;
	uint8_t *v = NULL;
	size_t len;

	assert_int_equal(open_rc(f), 0);
	assert_int_equal(get_rc(f->s, "users", "alice"), 0);
	assert_int_equal(get_rc(f->s, "users", "bob"), 0);
	assert_int_equal(get_rc(f->s, "files", "carol"), 0);
	assert_int_equal(scan_rc(f->s, "users"), 0);
	assert_int_equal(st_queue_pop(f->s, "jobs", &v, &len), 0);
	free(v);
}

/* The value ciphertexts of two rows swapped: each fails to open under its own (table, key). */
static void test_swap_values(void **state)
{
	struct fx *f = *state;

	host_sql(f->t.path,
	         "CREATE TEMP TABLE t AS SELECT ver, val FROM kv;"
	         "UPDATE kv SET val = (SELECT val FROM t WHERE ver = %llu) WHERE ver = %llu;"
	         "UPDATE kv SET val = (SELECT val FROM t WHERE ver = %llu) WHERE ver = %llu;",
	         (unsigned long long)f->vb, (unsigned long long)f->va, (unsigned long long)f->va,
	         (unsigned long long)f->vb);
	assert_int_equal(open_rc(f), 0); /* values are not in the digest: found on read */
	assert_int_equal(get_rc(f->s, "users", "alice"), CU_EAUTH);
	assert_int_equal(get_rc(f->s, "users", "bob"), CU_EAUTH);
	assert_int_equal(get_rc(f->s, "files", "carol"), 0);
}

/* Whole rows swapped under each other's row id (also across tables): refused at open. */
static void test_swap_rows(void **state)
{
	struct fx *f = *state;
	const char *sql = "CREATE TEMP TABLE t AS SELECT * FROM kv;"
	                  "UPDATE kv SET (tid, ver, nonce, name, val) = (SELECT tid, ver, nonce, "
	                  "name, val FROM t WHERE ver = %llu) WHERE rid = (SELECT rid FROM t WHERE "
	                  "ver = %llu);"
	                  "UPDATE kv SET (tid, ver, nonce, name, val) = (SELECT tid, ver, nonce, "
	                  "name, val FROM t WHERE ver = %llu) WHERE rid = (SELECT rid FROM t WHERE "
	                  "ver = %llu);";

	host_sql(f->t.path, sql, (unsigned long long)f->vc, (unsigned long long)f->va,
	         (unsigned long long)f->va, (unsigned long long)f->vc);
	assert_int_equal(open_rc(f), CU_EAUTH);
}

/* A row, and the state record, each put back to an older version. */
static void test_old_version(void **state)
{
	struct fx *f = *state;
	char old[128];

	snprintf(old, sizeof(old), "%s.old", f->t.path);
	host_sql(f->t.path, "VACUUM INTO '%s'", old);
	assert_int_equal(open_rc(f), 0);
	assert_int_equal(st_put(f->s, "users", "alice", "alice-v2", 8), 0);
	assert_int_equal(st_put(f->s, "users", "bob", "bob-v2", 6), 0);
	st_close(f->s);
	f->s = NULL;
	/* one row back */
	host_sql(f->t.path,
	         "ATTACH '%s' AS o; INSERT OR REPLACE INTO kv SELECT * FROM o.kv WHERE ver = %llu",
	         old, (unsigned long long)f->va);
	assert_int_equal(open_rc(f), CU_EAUTH);
	/* both rows and the state record back, but not carol's later change */
	host_sql(f->t.path,
	         "ATTACH '%s' AS o; INSERT OR REPLACE INTO kv SELECT * FROM o.kv WHERE ver = %llu;"
	         "INSERT OR REPLACE INTO meta SELECT * FROM o.meta",
	         old, (unsigned long long)f->vb);
	assert_int_equal(open_rc(f), 0); /* now the whole file is the old state: undetectable */
	st_close(f->s);
	f->s = NULL;
	assert_int_equal(open_rc(f), 0);
	assert_int_equal(st_put(f->s, "files", "carol", "carol-v2", 8), 0);
	st_close(f->s);
	f->s = NULL;
	host_sql(f->t.path, "ATTACH '%s' AS o; INSERT OR REPLACE INTO meta SELECT * FROM o.meta",
	         old);
	assert_int_equal(open_rc(f), CU_EAUTH); /* old state record, newer row */
}

/* A rollback of the whole file between close and open is not detected; st_counter shows it. */
static void test_whole_rollback(void **state)
{
	struct fx *f = *state;
	uint64_t c_old, c_new, c;
	char old[128];

	snprintf(old, sizeof(old), "%s.old", f->t.path);
	assert_int_equal(open_rc(f), 0);
	assert_int_equal(st_counter(f->s, &c_old), 0);
	st_close(f->s);
	f->s = NULL;
	host_sql(f->t.path, "VACUUM INTO '%s'", old);
	assert_int_equal(open_rc(f), 0);
	assert_int_equal(st_delete(f->s, "users", "alice"), 0);
	assert_int_equal(st_counter(f->s, &c_new), 0);
	assert_true(c_new > c_old);
	st_close(f->s);
	f->s = NULL;
	assert_int_equal(rename(old, f->t.path), 0);
	assert_int_equal(open_rc(f), 0);
	assert_int_equal(get_rc(f->s, "users", "alice"), 0); /* the deleted user is back */
	assert_int_equal(st_counter(f->s, &c), 0);
	assert_int_equal(c, c_old); /* ... and only a trusted counter can tell */
}

static void test_delete_rows(void **state)
{
	struct fx *f = *state;

	host_sql(f->t.path, "DELETE FROM kv WHERE ver = %llu", (unsigned long long)f->vb);
	assert_int_equal(open_rc(f), CU_EAUTH);
	host_sql(f->t.path, "DELETE FROM kv");
	assert_int_equal(open_rc(f), CU_EAUTH);
}

static void test_delete_queue_entry(void **state)
{
	struct fx *f = *state;

	host_sql(f->t.path, "DELETE FROM kv WHERE ver = %llu", (unsigned long long)f->vq);
	assert_int_equal(open_rc(f), CU_EAUTH);
}

static void test_insert_row(void **state)
{
	struct fx *f = *state;

	host_sql(f->t.path,
	         "INSERT INTO kv SELECT randomblob(32), tid, ver, nonce, name, val FROM kv "
	         "WHERE ver = %llu",
	         (unsigned long long)f->va);
	assert_int_equal(open_rc(f), CU_EAUTH);
}

/* One bit flipped in each stored field; where the store must notice it. */
enum stage { AT_OPEN, AT_GET, AT_SCAN };

static const struct {
	const char *table, *col;
	int off;
	enum stage stage;
} flips[] = {
    {"kv", "val", -1, AT_GET},      {"kv", "val", 0, AT_GET},      {"kv", "name", -1, AT_SCAN},
    {"kv", "name", 0, AT_SCAN},     {"kv", "nonce", 0, AT_OPEN},   {"kv", "tid", 3, AT_OPEN},
    {"kv", "rid", 31, AT_OPEN},     {"meta", "salt", 0, AT_OPEN},  {"meta", "nonce", 11, AT_OPEN},
    {"meta", "state", -1, AT_OPEN}, {"meta", "state", 0, AT_OPEN},
};

static void test_flip_bits(void **state)
{
	struct fx *f = *state;
	char where[64];

	snprintf(where, sizeof(where), "%s", "1");
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		int rc;
		if (!strcmp(flips[i].table, "kv"))
			snprintf(where, sizeof(where), "ver = %llu", (unsigned long long)f->va);
		else
			snprintf(where, sizeof(where), "id = 1");
		host_flip(f->t.path, flips[i].table, flips[i].col, where, flips[i].off);
		rc = open_rc(f);
		if (!rc)
			rc = flips[i].stage == AT_GET ? get_rc(f->s, "users", "alice")
			                              : scan_rc(f->s, "users");
		if (rc != CU_EAUTH)
			fail_msg("flip %s.%s: rc %d, want CU_EAUTH", flips[i].table, flips[i].col,
			         rc);
		if (flips[i].stage == AT_OPEN)
			assert_null(f->s);
		else
			assert_int_equal(get_rc(f->s, "users", "bob"),
			                 0); /* the others still read */
		st_close(f->s);
		f->s = NULL;
		/* flip it back: the store is whole again */
		host_flip(f->t.path, flips[i].table, flips[i].col, where, flips[i].off);
		assert_int_equal(open_rc(f), 0);
		assert_int_equal(get_rc(f->s, "users", "alice"), 0);
		assert_int_equal(scan_rc(f->s, "users"), 0);
		st_close(f->s);
		f->s = NULL;
	}
	/* the version and the counter are in the associated data */
	host_sql(f->t.path, "UPDATE kv SET ver = ver + 1 WHERE ver = %llu",
	         (unsigned long long)f->va);
	assert_int_equal(open_rc(f), CU_EAUTH);
	host_sql(f->t.path,
	         "UPDATE kv SET ver = ver - 1 WHERE ver = %llu; UPDATE meta SET counter = "
	         "counter + 1",
	         (unsigned long long)f->va + 1);
	assert_int_equal(open_rc(f), CU_EAUTH);
}

/* Malformed rows and files: CU_EFORMAT (or CU_EUNSUPPORTED), never a crash. */
static const struct {
	const char *sql; /* %1$llu: alice's version */
	enum stage stage;
	int rc;
} malformed[] = {
    {"UPDATE kv SET rid = substr(rid, 1, 31) WHERE ver = %llu", AT_OPEN, CU_EFORMAT},
    {"UPDATE kv SET rid = rid || x'00' WHERE ver = %llu", AT_OPEN, CU_EFORMAT},
    {"UPDATE kv SET tid = substr(tid, 1, 15) WHERE ver = %llu", AT_OPEN, CU_EFORMAT},
    {"UPDATE kv SET nonce = x'00' WHERE ver = %llu", AT_OPEN, CU_EFORMAT},
    {"UPDATE kv SET nonce = 'abcdefghijkl' WHERE ver = %llu", AT_OPEN, CU_EFORMAT},
    {"UPDATE kv SET ver = 'seven' WHERE ver = %llu", AT_OPEN, CU_EFORMAT},
    {"UPDATE kv SET ver = 0 WHERE ver = %llu", AT_OPEN, CU_EFORMAT},
    {"UPDATE kv SET ver = -5 WHERE ver = %llu", AT_OPEN, CU_EFORMAT},
    {"UPDATE kv SET ver = 1.5 WHERE ver = %llu", AT_OPEN, CU_EFORMAT},
    {"UPDATE kv SET val = x'0102' WHERE ver = %llu", AT_GET, CU_EFORMAT},
    {"UPDATE kv SET val = 'text' WHERE ver = %llu", AT_GET, CU_EFORMAT},
    {"UPDATE kv SET val = 42 WHERE ver = %llu", AT_GET, CU_EFORMAT},
    {"UPDATE kv SET val = zeroblob(16777233) WHERE ver = %llu", AT_GET, CU_EFORMAT},
    {"UPDATE kv SET name = x'0102' WHERE ver = %llu", AT_SCAN, CU_EFORMAT},
    {"UPDATE kv SET name = name || x'00' WHERE ver = %llu", AT_SCAN, CU_EFORMAT},
    {"UPDATE kv SET name = zeroblob(2000) WHERE ver = %llu", AT_SCAN, CU_EFORMAT},
    {"UPDATE kv SET name = 'x' WHERE ver = %llu", AT_SCAN, CU_EFORMAT},
    {"UPDATE meta SET salt = x'00' WHERE %llu", AT_OPEN, CU_EFORMAT},
    {"UPDATE meta SET counter = 'x' WHERE %llu", AT_OPEN, CU_EFORMAT},
    {"UPDATE meta SET counter = -1 WHERE %llu", AT_OPEN, CU_EFORMAT},
    {"UPDATE meta SET nonce = x'00' WHERE %llu", AT_OPEN, CU_EFORMAT},
    {"UPDATE meta SET state = substr(state, 2) WHERE %llu", AT_OPEN, CU_EFORMAT},
    {"DELETE FROM meta WHERE %llu", AT_OPEN, CU_EFORMAT},
    {"UPDATE meta SET id = 2 WHERE %llu", AT_OPEN, CU_EFORMAT},
    {"CREATE TABLE evil(x) -- %llu", AT_OPEN, CU_EFORMAT},
    {"CREATE INDEX evil ON kv(ver) -- %llu", AT_OPEN, CU_EFORMAT},
    {"CREATE TRIGGER evil AFTER INSERT ON kv BEGIN DELETE FROM kv; END -- %llu", AT_OPEN,
     CU_EFORMAT},
    {"CREATE VIEW evil AS SELECT 1 -- %llu", AT_OPEN, CU_EFORMAT},
    {"DROP INDEX kv_tid -- %llu", AT_OPEN, CU_EFORMAT},
    {"PRAGMA user_version = 0 -- %llu", AT_OPEN, CU_EFORMAT},
    {"PRAGMA user_version = 2 -- %llu", AT_OPEN, CU_EUNSUPPORTED},
};

static void test_malformed(void **state)
{
	struct fx *f = *state;
	char old[128];

	snprintf(old, sizeof(old), "%s.old", f->t.path);
	host_sql(f->t.path, "VACUUM INTO '%s'", old);
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		int rc;
		host_sql(f->t.path, malformed[i].sql, (unsigned long long)f->va);
		rc = open_rc(f);
		if (!rc && malformed[i].stage == AT_OPEN)
			fail_msg("case %zu opened: %s", i, malformed[i].sql);
		if (!rc)
			rc = malformed[i].stage == AT_GET ? get_rc(f->s, "users", "alice")
			                                  : scan_rc(f->s, "users");
		if (rc != malformed[i].rc)
			fail_msg("case %zu: rc %d, want %d: %s", i, rc, malformed[i].rc,
			         malformed[i].sql);
		st_close(f->s);
		f->s = NULL;
		/* back to the intact copy for the next case */
		unlink(f->t.path);
		host_sql(old, "VACUUM INTO '%s'", f->t.path);
	}
	assert_int_equal(open_rc(f), 0);
	assert_int_equal(get_rc(f->s, "users", "alice"), 0);
}

/* Not a database, or a truncated one. */
static void test_not_a_database(void **state)
{
	struct fx *f = *state;
	char junk[4096];
	FILE *fp;

	memset(junk, 'J', sizeof(junk));
	unlink(f->t.path);
	fp = fopen(f->t.path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(junk, 1, sizeof(junk), fp), sizeof(junk));
	fclose(fp);
	assert_int_equal(open_rc(f), CU_EFORMAT);
	assert_int_equal(truncate(f->t.path, 100), 0);
	assert_int_not_equal(open_rc(f), 0);
}

/* While the store is open, the host's changes are caught by the index on the next read. */
static void test_live(void **state)
{
	struct fx *f = *state;
	uint8_t *v = NULL;
	size_t len;
	uint64_t va2 = 0;

	assert_int_equal(open_rc(f), 0);
	/* an older version of alice put back */
	live_sql(f->s, "CREATE TEMP TABLE old AS SELECT * FROM kv WHERE ver = %llu",
	         (unsigned long long)f->va);
	assert_int_equal(st_put(f->s, "users", "alice", "alice-v2", 8), 0);
	assert_int_equal(st_get(f->s, "users", "alice", &v, &len, &va2), 0);
	free(v);
	live_sql(f->s, "INSERT OR REPLACE INTO kv SELECT * FROM temp.old");
	assert_int_equal(get_rc(f->s, "users", "alice"), CU_EAUTH);
	assert_int_equal(scan_rc(f->s, "users"), CU_EAUTH);
	/* writing over it heals the row */
	assert_int_equal(st_put(f->s, "users", "alice", "alice-v3", 8), 0);
	assert_int_equal(get_rc(f->s, "users", "alice"), 0);
	assert_int_equal(scan_rc(f->s, "users"), 0);
	/* bob's value swapped with carol's */
	live_sql(f->s, "UPDATE kv SET val = (SELECT val FROM kv WHERE ver = %llu) WHERE ver = %llu",
	         (unsigned long long)f->vc, (unsigned long long)f->vb);
	assert_int_equal(get_rc(f->s, "users", "bob"), CU_EAUTH);
	assert_int_equal(get_rc(f->s, "files", "carol"), 0);
	/* carol moved out of her table's scan */
	assert_int_equal(scan_rc(f->s, "files"), 0);
	live_sql(f->s, "UPDATE kv SET tid = randomblob(16) WHERE ver = %llu",
	         (unsigned long long)f->vc);
	assert_int_equal(scan_rc(f->s, "files"), CU_EAUTH);
	assert_int_equal(get_rc(f->s, "files", "carol"), CU_EAUTH);
	/* a row of another table moved into users */
	assert_int_equal(st_put(f->s, "files", "carol", "carol-v2", 8), 0);
	assert_int_equal(st_put(f->s, "users", "bob", "bob-v2", 6), 0);
	assert_int_equal(scan_rc(f->s, "users"), 0);
	assert_int_equal(scan_rc(f->s, "files"), 0);
	/* versions since: alice-v3 = va2 + 1, carol-v2 = va2 + 2, bob-v2 = va2 + 3 */
	live_sql(
	    f->s,
	    "INSERT INTO kv SELECT randomblob(32), (SELECT tid FROM kv WHERE ver = %llu), ver, "
	    "nonce, name, val FROM kv WHERE ver = %llu",
	    (unsigned long long)va2 + 1, (unsigned long long)va2 + 2);
	assert_int_equal(scan_rc(f->s, "users"), CU_EAUTH);
	assert_int_equal(scan_rc(f->s, "files"), 0);
	assert_int_equal(get_rc(f->s, "files", "carol"), 0);
	/* a row deleted */
	live_sql(f->s, "DELETE FROM kv WHERE ver = %llu", (unsigned long long)f->vq);
	assert_int_equal(st_queue_pop(f->s, "jobs", &v, &len), CU_EAUTH);
	assert_null(v);
	/* a deletion of a row the host removed is refused too */
	live_sql(f->s, "DELETE FROM kv");
	assert_int_equal(st_delete(f->s, "users", "bob"), CU_EAUTH);
	assert_int_equal(get_rc(f->s, "users", "bob"), CU_EAUTH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_baseline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_swap_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_swap_rows, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_old_version, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_whole_rollback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete_rows, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete_queue_entry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_insert_row, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flip_bits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_live, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

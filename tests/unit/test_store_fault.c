/*
 * Fault injection, as SQLite tests itself: the store runs on a backend that
 * fails its Nth call, for every N until a scenario runs through. After each
 * failure the store must show exactly the state before the call, in memory
 * and (after a reopen, which checks the sealed digest) on disk; after a
 * success, exactly the state after it. Also: the index across an epoch
 * boundary of the sealing keys, and the version limit.
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

#include "common/err.h"
#include "store/internal.h"
#include "store/store.h"
#include "test_store_fixture.h"

static const uint8_t K[ST_KEY_LEN] = {
    0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x41, 0x42,
    0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52};

/* The faulty backend: calls counted, call number fail_at fails with CU_EIO. */
static const struct st_backend *real = &st_sqlite_backend;
static int calls, fail_at, fail_rollback;

static int hit(void)
{
	return ++calls == fail_at;
}

#define WRAP0(op)                                                                                  \
	static int f_##op(void *db)                                                                \
	{                                                                                          \
		return hit() ? CU_EIO : real->op(db);                                              \
	}
WRAP0(begin)
WRAP0(commit)
WRAP0(savepoint)
WRAP0(release)

static int f_rollback(void *db)
{
	return fail_rollback ? CU_EIO : real->rollback(db);
}

static int f_meta_put(void *db, const struct st_meta *m)
{
	return hit() ? CU_EIO : real->meta_put(db, m);
}

static int f_row_get(void *db, const uint8_t rid[static ST_RID_LEN], st_row_fn fn, void *arg)
{
	return hit() ? CU_EIO : real->row_get(db, rid, fn, arg);
}

static int f_row_each(void *db, const uint8_t *tid, st_row_fn fn, void *arg)
{
	return hit() ? CU_EIO : real->row_each(db, tid, fn, arg);
}

static int f_row_put(void *db, const struct st_row *r)
{
	return hit() ? CU_EIO : real->row_put(db, r);
}

static int f_row_del(void *db, const uint8_t rid[static ST_RID_LEN])
{
	return hit() ? CU_EIO : real->row_del(db, rid);
}

static void f_close(void *db)
{
	real->close(db);
}

static int f_rollback_to(void *db)
{
	return real->rollback_to(db);
}

static int f_meta_get(void *db, struct st_meta *m)
{
	return real->meta_get(db, m);
}

static void *f_native(void *db)
{
	return real->native(db);
}

static const struct st_backend faulty = {
    .name = "faulty",
    .open = NULL, /* installed on an open store */
    .close = f_close,
    .create = NULL,
    .begin = f_begin,
    .commit = f_commit,
    .rollback = f_rollback,
    .savepoint = f_savepoint,
    .release = f_release,
    .rollback_to = f_rollback_to,
    .meta_get = f_meta_get,
    .meta_put = f_meta_put,
    .row_get = f_row_get,
    .row_each = f_row_each,
    .row_put = f_row_put,
    .row_del = f_row_del,
    .native = f_native,
};

struct fx {
	struct st_tmp t;
	struct st_store *s;
};

static void fresh(struct fx *f)
{
	st_close(f->s);
	f->s = NULL;
	st_tmp_remove(&f->t);
	assert_int_equal(mkdir(f->t.dir, 0700), 0);
	assert_int_equal(st_open(f->t.path, K, &f->s), 0);
	/* the seed every scenario starts from */
	for (int i = 0; i < 5; i++) {
		char k[8], v[8];
		snprintf(k, sizeof(k), "k%d", i);
		snprintf(v, sizeof(v), "v%d", i);
		assert_int_equal(st_put(f->s, "t", k, v, strlen(v)), 0);
	}
	assert_int_equal(st_queue_push(f->s, "q", "e0", 2), 0);
	assert_int_equal(st_queue_push(f->s, "q", "e1", 2), 0);
	assert_int_equal(st_queue_push(f->s, "r", "r0", 2), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	st_tmp_make(&f->t);
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

static int snap_cb(void *arg, const char *key, const uint8_t *val, size_t len, uint64_t ver)
{
	char *out = arg;

	(void)ver;
	strcat(out, key);
	strcat(out, "=");
	strncat(out, (const char *)val, len);
	strcat(out, ";");
	return 0;
}

/* The whole visible state as text: table t, then queues q and r (popped, then rolled back). */
static void snapshot(struct st_store *s, char out[static 512])
{
	static const char *queues[] = {"q", "r"};
	uint8_t *v;
	size_t len;
	int rc;

	out[0] = 0;
	assert_int_equal(st_scan(s, "t", NULL, snap_cb, out), 0);
	assert_int_equal(st_begin(s), 0);
	for (size_t i = 0; i < 2; i++) {
		strcat(out, "|");
		while ((rc = st_queue_pop(s, queues[i], &v, &len)) == 0) {
			strncat(out, (const char *)v, len);
			strcat(out, ",");
			free(v);
		}
		assert_int_equal(rc, CU_ENOTFOUND);
	}
	assert_int_equal(st_rollback(s), 0);
}

static int sc_put(struct st_store *s)
{
	return st_put(s, "t", "k1", "new", 3);
}

static int sc_insert(struct st_store *s)
{
	return st_put(s, "t", "k9", "nine", 4);
}

static int sc_delete(struct st_store *s)
{
	return st_delete(s, "t", "k2");
}

static int sc_cas(struct st_store *s)
{
	return st_cas(s, "t", "k7", 0, "seven", 5, NULL);
}

static int sc_push(struct st_store *s)
{
	return st_queue_push(s, "q", "e2", 2);
}

static int sc_pop(struct st_store *s)
{
	uint8_t *v = NULL;
	size_t len;
	int rc = st_queue_pop(s, "q", &v, &len);

	free(v);
	return rc;
}

/* The last entry of a queue: its state row goes too. */
static int sc_pop_last(struct st_store *s)
{
	uint8_t *v = NULL;
	size_t len;
	int rc = st_queue_pop(s, "r", &v, &len);

	free(v);
	return rc;
}

/* A transaction of many kinds of write; any failure rolls it all back. */
static int sc_tx(struct st_store *s)
{
	int rc = st_begin(s);

	if (rc)
		return rc;
	if ((rc = sc_put(s)) || (rc = sc_delete(s)) || (rc = sc_insert(s)) || (rc = sc_push(s)) ||
	    (rc = sc_pop(s)) || (rc = st_delete(s, "t", "k9"))) {
		assert_int_equal(st_rollback(s), 0);
		return rc;
	}
	return st_commit(s);
}

/* A transaction in which one call fails and the others go on. */
static int sc_tx_partial(struct st_store *s)
{
	int rc = st_begin(s);

	if (rc)
		return rc;
	sc_put(s);
	sc_push(s);
	sc_delete(s);
	return st_commit(s);
}

static void run_scenario(struct fx *f, int (*sc)(struct st_store *), int partial)
{
	char before[512], after[512], now[512], again[512];
	int n;

	fresh(f);
	snapshot(f->s, before);
	assert_int_equal(sc(f->s), 0);
	snapshot(f->s, after);
	assert_string_not_equal(before, after);
	for (n = 1;; n++) {
		int rc;
		fresh(f);
		calls = 0;
		fail_at = n;
		f->s->be = &faulty;
		rc = sc(f->s);
		fail_at = 0;
		f->s->be = real;
		snapshot(f->s, now);
		if (!partial) {
			if (rc == 0)
				assert_string_equal(now, after);
			else
				assert_string_equal(now, before);
		}
		/* what memory shows is what the sealed file holds */
		st_close(f->s);
		f->s = NULL;
		assert_int_equal(st_open(f->t.path, K, &f->s), 0);
		snapshot(f->s, again);
		assert_string_equal(again, now);
		if (calls < n)
			break; /* the fault was not reached: the scenario ran through */
		assert_true(rc != 0 || partial);
	}
	assert_true(n > 2);
}

static void test_faults(void **state)
{
	struct fx *f = *state;
	int (*scenarios[])(struct st_store *) = {sc_put,  sc_insert,   sc_delete, sc_cas,
	                                         sc_push, sc_pop_last, sc_tx};

	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		run_scenario(f, scenarios[i], 0);
	run_scenario(f, sc_tx_partial, 1);
}

/* A rollback that fails leaves the store unusable (CU_EIO), and the file as it was. */
static void test_failed_rollback(void **state)
{
	struct fx *f = *state;
	char before[512], now[512];
	uint8_t *v = NULL;
	size_t len;

	fresh(f);
	snapshot(f->s, before);
	f->s->be = &faulty;
	calls = 0;
	fail_at = 3; /* begin, row_put, then meta_put fails */
	fail_rollback = 1;
	assert_int_equal(st_put(f->s, "t", "k1", "new", 3), CU_EIO);
	assert_int_equal(calls, 3);
	fail_rollback = 0;
	fail_at = 0;
	f->s->be = real;
	assert_int_equal(st_get(f->s, "t", "k1", &v, &len, NULL), CU_EIO);
	assert_int_equal(st_put(f->s, "t", "k1", "x", 1), CU_EIO);
	assert_int_equal(st_begin(f->s), CU_EIO);
	st_close(f->s); /* closing rolls back what the failed rollback left */
	f->s = NULL;
	assert_int_equal(st_open(f->t.path, K, &f->s), 0);
	snapshot(f->s, now);
	assert_string_equal(now, before);
}

/* Rows sealed under the keys of two epochs read back, before and after a reopen. */
static void test_epochs(void **state)
{
	struct fx *f = *state;
	char key[16], want[16];
	uint64_t ver;
	uint8_t *v;
	size_t len;

	fresh(f);
	f->s->seq = ((uint64_t)1 << ST_EPOCH_BITS) - 3;
	for (int i = 0; i < 6; i++) {
		snprintf(key, sizeof(key), "e%d", i);
		assert_int_equal(st_put(f->s, "t", key, key, strlen(key)), 0);
	}
	assert_int_equal(st_get(f->s, "t", "e0", &v, &len, &ver), 0);
	assert_int_equal(ver >> ST_EPOCH_BITS, 0);
	free(v);
	assert_int_equal(st_get(f->s, "t", "e5", &v, &len, &ver), 0);
	assert_int_equal(ver >> ST_EPOCH_BITS, 1);
	free(v);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 6; i++) {
			snprintf(key, sizeof(key), "e%d", i);
			snprintf(want, sizeof(want), "e%d", i);
			assert_int_equal(st_get(f->s, "t", key, &v, &len, NULL), 0);
			assert_memory_equal(v, want, len);
			free(v);
		}
		assert_int_equal(st_queue_len(f->s, "q", &ver), 0);
		assert_int_equal(ver, 2);
		st_close(f->s);
		f->s = NULL;
		assert_int_equal(st_open(f->t.path, K, &f->s), 0);
	}
}

/* The version counter refuses to wrap. */
static void test_version_limit(void **state)
{
	struct fx *f = *state;

	fresh(f);
	f->s->seq = ST_VER_MAX - 1;
	assert_int_equal(st_put(f->s, "t", "last", "x", 1), 0);
	assert_int_equal(st_put(f->s, "t", "over", "x", 1), CU_ELIMIT);
	assert_int_equal(st_delete(f->s, "t", "k1"), CU_ELIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_faults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_rollback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_epochs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_version_limit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

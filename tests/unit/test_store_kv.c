/*
 * Unit tests of the sealed store's table calls: round trips, versions, CAS,
 * scans, transactions, persistence, wrong key, limits, threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/mem.h"
#include "store/store.h"
#include "test_store_fixture.h"

static const uint8_t K[ST_KEY_LEN] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f};

struct fx {
	struct st_tmp t;
	struct st_store *s;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	st_tmp_make(&f->t);
	assert_int_equal(st_open(f->t.path, K, &f->s), 0);
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

static void reopen(struct fx *f)
{
	st_close(f->s);
	f->s = NULL;
	assert_int_equal(st_open(f->t.path, K, &f->s), 0);
}

/* Get table/key and compare it with want (NULL: must be absent). */
static void expect(struct st_store *s, const char *table, const char *key, const char *want)
{
	uint8_t *v = NULL;
	size_t len = 0;
	uint64_t ver = 0;
	int rc = st_get(s, table, key, &v, &len, &ver);

	if (!want) {
		assert_int_equal(rc, CU_ENOTFOUND);
		assert_null(v);
		return;
	}
	assert_int_equal(rc, 0);
	assert_true(ver > 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(v, want, len);
	assert_int_equal(v[len], 0);
	free(v);
}

static void put_str(struct st_store *s, const char *table, const char *key, const char *v)
{
	assert_int_equal(st_put(s, table, key, v, strlen(v)), 0);
}

static uint64_t version_of(struct st_store *s, const char *table, const char *key)
{
	uint8_t *v = NULL;
	size_t len;
	uint64_t ver = 0;

	assert_int_equal(st_get(s, table, key, &v, &len, &ver), 0);
	free(v);
	return ver;
}

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	uint8_t bin[256], *v = NULL;
	size_t len = 1;

	for (int i = 0; i < 256; i++)
		bin[i] = (uint8_t)i;
	expect(f->s, "users", "alice", NULL);
	put_str(f->s, "users", "alice", "{\"role\":\"admin\"}");
	expect(f->s, "users", "alice", "{\"role\":\"admin\"}");
	put_str(f->s, "users", "alice", "replaced");
	expect(f->s, "users", "alice", "replaced");
	/* same key, other table: another record */
	expect(f->s, "files", "alice", NULL);
	assert_int_equal(st_put(f->s, "files", "alice", bin, sizeof(bin)), 0);
	assert_int_equal(st_get(f->s, "files", "alice", &v, &len, NULL), 0);
	assert_int_equal(len, sizeof(bin));
	assert_memory_equal(v, bin, sizeof(bin));
	cu_free_secret(v, len);
	/* empty value */
	assert_int_equal(st_put(f->s, "users", "empty", NULL, 0), 0);
	assert_int_equal(st_get(f->s, "users", "empty", &v, &len, NULL), 0);
	assert_int_equal(len, 0);
	assert_non_null(v);
	assert_int_equal(v[0], 0);
	free(v);
	/* delete */
	assert_int_equal(st_delete(f->s, "users", "alice"), 0);
	expect(f->s, "users", "alice", NULL);
	assert_int_equal(st_delete(f->s, "users", "alice"), CU_ENOTFOUND);
	assert_int_equal(st_get(f->s, "files", "alice", &v, &len, NULL), 0); /* untouched */
	assert_int_equal(len, sizeof(bin));
	free(v);
}

static void test_versions(void **state)
{
	struct fx *f = *state;
	uint64_t v1, v2, v3, v4, c0, c1;

	assert_int_equal(st_counter(f->s, &c0), 0);
	put_str(f->s, "t", "k", "1");
	v1 = version_of(f->s, "t", "k");
	put_str(f->s, "t", "k", "2");
	v2 = version_of(f->s, "t", "k");
	assert_true(v1 > 0 && v2 > v1);
	put_str(f->s, "t", "other", "x");
	assert_int_equal(st_delete(f->s, "t", "k"), 0);
	put_str(f->s, "t", "k", "3");
	v3 = version_of(f->s, "t", "k");
	assert_true(v3 > v2); /* never reused, even after delete and re-create */
	reopen(f);
	assert_int_equal(version_of(f->s, "t", "k"), v3);
	put_str(f->s, "t", "k", "4");
	v4 = version_of(f->s, "t", "k");
	assert_true(v4 > v3);
	assert_int_equal(st_counter(f->s, &c1), 0);
	assert_true(c1 >= v4 && c1 > c0);
}

static void test_cas(void **state)
{
	struct fx *f = *state;
	uint64_t v1 = 0, v2 = 0, v3 = 0, nv = 7;

	/* create-only */
	assert_int_equal(st_cas(f->s, "tasks", "t1", 0, "a", 1, &v1), 0);
	assert_true(v1 > 0);
	assert_int_equal(version_of(f->s, "tasks", "t1"), v1);
	assert_int_equal(st_cas(f->s, "tasks", "t1", 0, "b", 1, &nv), CU_ESTATE);
	assert_int_equal(nv, 0);
	expect(f->s, "tasks", "t1", "a");
	/* mismatch */
	assert_int_equal(st_cas(f->s, "tasks", "t1", v1 + 1000, "c", 1, NULL), CU_ESTATE);
	expect(f->s, "tasks", "t1", "a");
	/* success */
	assert_int_equal(st_cas(f->s, "tasks", "t1", v1, "d", 1, &v2), 0);
	assert_true(v2 > v1);
	expect(f->s, "tasks", "t1", "d");
	/* stale version */
	assert_int_equal(st_cas(f->s, "tasks", "t1", v1, "e", 1, NULL), CU_ESTATE);
	expect(f->s, "tasks", "t1", "d");
	/* expected version on an absent key */
	assert_int_equal(st_cas(f->s, "tasks", "t2", v2, "f", 1, NULL), CU_ESTATE);
	expect(f->s, "tasks", "t2", NULL);
	/* after delete, only create-only succeeds */
	assert_int_equal(st_delete(f->s, "tasks", "t1"), 0);
	assert_int_equal(st_cas(f->s, "tasks", "t1", v2, "g", 1, NULL), CU_ESTATE);
	assert_int_equal(st_cas(f->s, "tasks", "t1", 0, "h", 1, &v3), 0);
	assert_true(v3 > v2);
	expect(f->s, "tasks", "t1", "h");
}

struct seen {
	char keys[32][64];
	char vals[32][64];
	size_t n;
	int stop_after; /* 0: never */
	int ret;
	struct st_store *s;
	const char *del; /* deleted by the callback on its first call */
};

static int collect(void *arg, const char *key, const uint8_t *val, size_t len, uint64_t ver)
{
	struct seen *c = arg;

	assert_true(ver > 0);
	assert_true(c->n < 32 && strlen(key) < 64 && len < 64);
	assert_int_equal(val[len], 0);
	strcpy(c->keys[c->n], key);
	memcpy(c->vals[c->n], val, len + 1);
	c->n++;
	if (c->del && c->n == 1)
		assert_int_equal(st_delete(c->s, "idx", c->del), 0);
	if (c->stop_after && (int)c->n == c->stop_after)
		return c->ret;
	return 0;
}

static void fill_scan(struct st_store *s)
{
	static const char *keys[] = {"b", "abc", "a", "ab", "aa", "z", "b\xc3\xa9", "ba", "A"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char v[16];
		snprintf(v, sizeof(v), "v-%s", keys[i]);
		put_str(s, "idx", keys[i], v);
	}
	put_str(s, "other", "a0", "not in idx");
	put_str(s, "idx2", "a1", "not in idx");
}

static void test_scan(void **state)
{
	static const char *all[] = {"A", "a", "aa", "ab", "abc", "b", "ba", "b\xc3\xa9", "z"};
	struct fx *f = *state;
	struct seen c;

	fill_scan(f->s);
	memset(&c, 0, sizeof(c));
	assert_int_equal(st_scan(f->s, "idx", NULL, collect, &c), 0);
	assert_int_equal(c.n, 9);
	for (size_t i = 0; i < c.n; i++) {
		char v[16];
		snprintf(v, sizeof(v), "v-%s", all[i]);
		assert_string_equal(c.keys[i], all[i]);
		assert_string_equal(c.vals[i], v);
	}
	/* prefix */
	memset(&c, 0, sizeof(c));
	assert_int_equal(st_scan(f->s, "idx", "a", collect, &c), 0);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.keys[0], "a");
	assert_string_equal(c.keys[1], "aa");
	assert_string_equal(c.keys[2], "ab");
	assert_string_equal(c.keys[3], "abc");
	memset(&c, 0, sizeof(c));
	assert_int_equal(st_scan(f->s, "idx", "ab", collect, &c), 0);
	assert_int_equal(c.n, 2);
	memset(&c, 0, sizeof(c));
	assert_int_equal(st_scan(f->s, "idx", "q", collect, &c), 0);
	assert_int_equal(c.n, 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(st_scan(f->s, "empty", "", collect, &c), 0);
	assert_int_equal(c.n, 0);
	/* stop early */
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	c.ret = 1;
	assert_int_equal(st_scan(f->s, "idx", NULL, collect, &c), 0);
	assert_int_equal(c.n, 2);
	memset(&c, 0, sizeof(c));
	c.stop_after = 3;
	c.ret = CU_EPERM;
	assert_int_equal(st_scan(f->s, "idx", NULL, collect, &c), CU_EPERM);
	assert_int_equal(c.n, 3);
	/* the callback may call the store: a key deleted before its turn is skipped */
	memset(&c, 0, sizeof(c));
	c.s = f->s;
	c.del = "aa";
	assert_int_equal(st_scan(f->s, "idx", "a", collect, &c), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.keys[1], "ab");
	/* order and contents survive reopen */
	reopen(f);
	memset(&c, 0, sizeof(c));
	assert_int_equal(st_scan(f->s, "idx", NULL, collect, &c), 0);
	assert_int_equal(c.n, 8);
	assert_string_equal(c.keys[8 - 1], "z");
}

static void test_transactions(void **state)
{
	struct fx *f = *state;
	uint64_t c0, c1, c2;
	struct seen c;

	put_str(f->s, "t", "keep", "old");
	put_str(f->s, "t", "gone", "here");
	assert_int_equal(st_counter(f->s, &c0), 0);
	/* rollback undoes puts, replaces and deletes */
	assert_int_equal(st_begin(f->s), 0);
	assert_int_equal(st_begin(f->s), CU_ESTATE);
	put_str(f->s, "t", "new", "1");
	put_str(f->s, "t", "keep", "changed");
	assert_int_equal(st_delete(f->s, "t", "gone"), 0);
	expect(f->s, "t", "new", "1"); /* a transaction sees its own writes */
	memset(&c, 0, sizeof(c));
	assert_int_equal(st_scan(f->s, "t", NULL, collect, &c), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(st_rollback(f->s), 0);
	expect(f->s, "t", "new", NULL);
	expect(f->s, "t", "keep", "old");
	expect(f->s, "t", "gone", "here");
	assert_int_equal(st_counter(f->s, &c1), 0);
	assert_int_equal(c1, c0);
	assert_int_equal(st_commit(f->s), CU_ESTATE);
	assert_int_equal(st_rollback(f->s), CU_ESTATE);
	/* the store is consistent after the rollback */
	reopen(f);
	expect(f->s, "t", "keep", "old");
	/* commit applies all; a failed call inside leaves the transaction going */
	assert_int_equal(st_begin(f->s), 0);
	put_str(f->s, "t", "a", "1");
	assert_int_equal(st_cas(f->s, "t", "a", 0, "x", 1, NULL), CU_ESTATE);
	assert_int_equal(st_delete(f->s, "t", "nope"), CU_ENOTFOUND);
	assert_int_equal(st_put(f->s, "t", "", "x", 1), CU_EINVAL);
	put_str(f->s, "t", "b", "2");
	assert_int_equal(st_delete(f->s, "t", "gone"), 0);
	assert_int_equal(st_commit(f->s), 0);
	assert_int_equal(st_counter(f->s, &c2), 0);
	assert_true(c2 > c1);
	reopen(f);
	expect(f->s, "t", "a", "1");
	expect(f->s, "t", "b", "2");
	expect(f->s, "t", "gone", NULL);
	/* an empty transaction commits */
	assert_int_equal(st_begin(f->s), 0);
	assert_int_equal(st_commit(f->s), 0);
	/* close with an open transaction rolls it back */
	assert_int_equal(st_begin(f->s), 0);
	put_str(f->s, "t", "lost", "1");
	reopen(f);
	expect(f->s, "t", "lost", NULL);
}

/* Many inserts, replaces and deletes in random order, checked against a model, across reopen. */
static void test_many(void **state)
{
	enum { N = 600 };
	struct fx *f = *state;
	static int model[N];
	char key[16], val[32];
	unsigned seed = 12345;

	memset(model, 0, sizeof(model));
	for (int round = 0; round < 3; round++) {
		assert_int_equal(st_begin(f->s), 0);
		for (int i = 0; i < 2000; i++) {
			int k = (int)(rand_r(&seed) % N), op = (int)(rand_r(&seed) % 3);
			snprintf(key, sizeof(key), "k%d", k);
			if (op < 2) {
				model[k] = i + 1 + round * 10000;
				snprintf(val, sizeof(val), "%d", model[k]);
				put_str(f->s, "many", key, val);
			} else {
				assert_int_equal(st_delete(f->s, "many", key),
				                 model[k] ? 0 : CU_ENOTFOUND);
				model[k] = 0;
			}
		}
		assert_int_equal(st_commit(f->s), 0);
		reopen(f);
		for (int k = 0; k < N; k++) {
			snprintf(key, sizeof(key), "k%d", k);
			snprintf(val, sizeof(val), "%d", model[k]);
			expect(f->s, "many", key, model[k] ? val : NULL);
		}
	}
}

static void test_wrong_key(void **state)
{
	struct fx *f = *state;
	struct st_store *s2 = (struct st_store *)1;
	uint8_t k2[ST_KEY_LEN];

	put_str(f->s, "users", "bob", "secret");
	st_close(f->s);
	f->s = NULL;
	memcpy(k2, K, sizeof(k2));
	k2[31] ^= 1;
	assert_int_equal(st_open(f->t.path, k2, &s2), CU_EAUTH);
	assert_null(s2);
	/* the refused open changed nothing */
	assert_int_equal(st_open(f->t.path, K, &f->s), 0);
	expect(f->s, "users", "bob", "secret");
}

static void test_second_open(void **state)
{
	struct fx *f = *state;
	struct st_store *s2 = NULL;

	assert_int_equal(st_open(f->t.path, K, &s2), CU_ESTATE);
	assert_null(s2);
	put_str(f->s, "t", "k", "v");
	expect(f->s, "t", "k", "v");
}

static int count(void *arg, const char *key, const uint8_t *val, size_t len, uint64_t ver)
{
	(void)key;
	(void)val;
	(void)len;
	(void)ver;
	(*(uint64_t *)arg)++;
	return 0;
}

static void test_limits(void **state)
{
	struct fx *f = *state;
	char table[ST_TABLE_MAX + 2], *key = malloc(ST_KEY_MAX + 2);
	uint8_t *big = malloc(ST_VALUE_MAX), *v = NULL;
	size_t len = 0;
	struct seen c;
	uint64_t n;
	struct st_store *other = (struct st_store *)&c;

	assert_non_null(key);
	assert_non_null(big);
	memset(table, 't', sizeof(table));
	table[ST_TABLE_MAX] = 0;
	put_str(f->s, table, "k", "max table");
	expect(f->s, table, "k", "max table");
	table[ST_TABLE_MAX] = 't';
	table[ST_TABLE_MAX + 1] = 0;
	assert_int_equal(st_put(f->s, table, "k", "x", 1), CU_ELIMIT);
	assert_int_equal(st_get(f->s, table, "k", &v, &len, NULL), CU_ELIMIT);
	assert_int_equal(st_queue_push(f->s, table, "x", 1), CU_ELIMIT);
	assert_int_equal(st_put(f->s, "", "k", "x", 1), CU_EINVAL);
	assert_int_equal(st_put(f->s, "bad table", "k", "x", 1), CU_EINVAL);
	assert_int_equal(st_put(f->s, "bad/table", "k", "x", 1), CU_EINVAL);
	assert_int_equal(st_put(f->s, NULL, "k", "x", 1), CU_EINVAL);
	assert_int_equal(st_scan(f->s, "bad table", NULL, collect, &c), CU_EINVAL);
	assert_int_equal(st_queue_len(f->s, "bad:q", &n), CU_EINVAL);

	memset(key, 'k', ST_KEY_MAX + 1);
	key[ST_KEY_MAX] = 0;
	put_str(f->s, "t", key, "max key");
	expect(f->s, "t", key, "max key");
	n = 0;
	assert_int_equal(st_scan(f->s, "t", key, count, &n), 0); /* a prefix of maximum length */
	assert_int_equal(n, 1);
	key[ST_KEY_MAX] = 'k';
	key[ST_KEY_MAX + 1] = 0;
	assert_int_equal(st_put(f->s, "t", key, "x", 1), CU_ELIMIT);
	assert_int_equal(st_get(f->s, "t", key, &v, &len, NULL), CU_ELIMIT);
	assert_int_equal(st_delete(f->s, "t", key), CU_ELIMIT);
	assert_int_equal(st_scan(f->s, "t", key, collect, &c), CU_ELIMIT);
	assert_int_equal(st_put(f->s, "t", "", "x", 1), CU_EINVAL);
	assert_int_equal(st_put(f->s, "t", NULL, "x", 1), CU_EINVAL);

	/* values: the maximum round-trips, one more byte is refused */
	for (size_t i = 0; i < ST_VALUE_MAX; i++)
		big[i] = (uint8_t)(i * 7);
	assert_int_equal(st_put(f->s, "t", "big", big, ST_VALUE_MAX), 0);
	assert_int_equal(st_get(f->s, "t", "big", &v, &len, NULL), 0);
	assert_int_equal(len, ST_VALUE_MAX);
	assert_memory_equal(v, big, ST_VALUE_MAX);
	free(v);
	assert_int_equal(st_put(f->s, "t", "big", big, (size_t)ST_VALUE_MAX + 1), CU_ELIMIT);
	assert_int_equal(st_cas(f->s, "t", "big2", 0, big, (size_t)ST_VALUE_MAX + 1, NULL),
	                 CU_ELIMIT);
	assert_int_equal(st_queue_push(f->s, "q", big, (size_t)ST_VALUE_MAX + 1), CU_ELIMIT);
	assert_int_equal(st_put(f->s, "t", "k", NULL, 1), CU_EINVAL);

	/* NULL store and out-parameters */
	assert_int_equal(st_get(NULL, "t", "k", &v, &len, NULL), CU_EINVAL);
	assert_int_equal(st_get(f->s, "t", "k", NULL, &len, NULL), CU_EINVAL);
	assert_int_equal(st_put(NULL, "t", "k", "x", 1), CU_EINVAL);
	assert_int_equal(st_begin(NULL), CU_EINVAL);
	assert_int_equal(st_commit(NULL), CU_EINVAL);
	assert_int_equal(st_counter(f->s, NULL), CU_EINVAL);
	assert_int_equal(st_scan(f->s, "t", NULL, NULL, NULL), CU_EINVAL);
	assert_int_equal(st_open(NULL, K, &other), CU_EINVAL);
	assert_null(other);
	assert_int_equal(st_open(f->t.path, K, NULL), CU_EINVAL);
	st_close(NULL);
	free(big);
	free(key);
}

/* Threads: CAS increments from many threads, and transactions that exclude the others. */
struct worker {
	struct st_store *s;
	int n;
};

static void *cas_worker(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < w->n; i++) {
		for (;;) {
			uint8_t *v = NULL;
			size_t len;
			uint64_t ver = 0;
			char buf[32];
			long x = 0;
			int rc = st_get(w->s, "ctr", "n", &v, &len, &ver);
			if (rc == 0)
				x = strtol((char *)v, NULL, 10);
			else if (rc != CU_ENOTFOUND)
				return (void *)1;
			free(v);
			snprintf(buf, sizeof(buf), "%ld", x + 1);
			rc = st_cas(w->s, "ctr", "n", ver, buf, strlen(buf), NULL);
			if (rc == 0)
				break;
			if (rc != CU_ESTATE)
				return (void *)1;
		}
	}
	return NULL;
}

static void *tx_worker(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < w->n; i++) {
		uint8_t *a = NULL, *b = NULL;
		size_t la, lb;
		char buf[32];
		if (st_begin(w->s))
			return (void *)1;
		/* a == b holds at every commit; another thread never sees them apart */
		if (st_get(w->s, "tx", "a", &a, &la, NULL) ||
		    st_get(w->s, "tx", "b", &b, &lb, NULL) || strcmp((char *)a, (char *)b)) {
			st_rollback(w->s);
			free(a);
			free(b);
			return (void *)1;
		}
		snprintf(buf, sizeof(buf), "%ld", strtol((char *)a, NULL, 10) + 1);
		free(a);
		free(b);
		if (st_put(w->s, "tx", "a", buf, strlen(buf)) ||
		    st_put(w->s, "tx", "b", buf, strlen(buf)))
			return (void *)1;
		if (st_commit(w->s))
			return (void *)1;
	}
	return NULL;
}

static void test_threads(void **state)
{
	enum { T = 4, N = 25 };
	struct fx *f = *state;
	pthread_t th[2 * T];
	struct worker w = {f->s, N};
	void *ret;

	put_str(f->s, "tx", "a", "0");
	put_str(f->s, "tx", "b", "0");
	for (int i = 0; i < T; i++) {
		assert_int_equal(pthread_create(&th[i], NULL, cas_worker, &w), 0);
		assert_int_equal(pthread_create(&th[T + i], NULL, tx_worker, &w), 0);
	}
	for (int i = 0; i < 2 * T; i++) {
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
	expect(f->s, "ctr", "n", "100");
	expect(f->s, "tx", "a", "100");
	expect(f->s, "tx", "b", "100");
	reopen(f);
	expect(f->s, "ctr", "n", "100");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_versions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cas, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_second_open, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

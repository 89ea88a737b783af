/*
 * Unit tests of the audit log: append and verify, query order and filter,
 * tampering through the public store API (rewrite, delete, insert), field
 * validation, the record format (known answer, truncation, bit flips).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "platform/audit.h"
#include "store/store.h"
#include "test_store_fixture.h"

static const uint8_t K[ST_KEY_LEN] = {
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
    0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f};

static const char *const users[] = {"alice", "bob", "carol"};
#define T0 1700000000

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

/* Append count records: user i % 3, target "t<i>", time T0 + i. */
static void append_n(struct st_store *s, uint64_t count)
{
	char target[32];

	for (uint64_t i = 1; i <= count; i++) {
		uint64_t n = 0;

		snprintf(target, sizeof(target), "t%" PRIu64, i);
		assert_int_equal(audit_append(s, T0 + (int64_t)i, users[i % 3], "task.approve",
		                              target, i % 7 ? "ok" : "EPERM", &n),
		                 0);
		assert_int_equal(n, i);
	}
}

static void key_of(uint64_t n, char key[static AUDIT_KEY_DIGITS + 1])
{
	snprintf(key, AUDIT_KEY_DIGITS + 1, "%020" PRIu64, n);
}

static void get_record(struct st_store *s, uint64_t n, struct audit_record *r)
{
	char key[AUDIT_KEY_DIGITS + 1];
	uint8_t *v = NULL;
	size_t len = 0;

	key_of(n, key);
	assert_int_equal(st_get(s, AUDIT_TABLE, key, &v, &len, NULL), 0);
	assert_int_equal(audit_record_decode(v, len, r), 0);
	free(v);
}

static void put_record(struct st_store *s, uint64_t key_n, const struct audit_record *r)
{
	char key[AUDIT_KEY_DIGITS + 1];
	uint8_t buf[AUDIT_RECORD_MAX];
	size_t len = 0;

	key_of(key_n, key);
	assert_int_equal(audit_record_encode(r, buf, &len), 0);
	assert_int_equal(st_put(s, AUDIT_TABLE, key, buf, len), 0);
}

static void delete_record(struct st_store *s, uint64_t n)
{
	char key[AUDIT_KEY_DIGITS + 1];

	key_of(n, key);
	assert_int_equal(st_delete(s, AUDIT_TABLE, key), 0);
}

/* audit_verify must fail with CU_EAUTH naming want, with a reason containing word. */
static void expect_bad(struct st_store *s, uint64_t want, const char *word)
{
	uint64_t count = 99, first = 0;
	char reason[256];

	assert_int_equal(audit_verify(s, &count, &first, reason, sizeof(reason)), CU_EAUTH);
	assert_int_equal(first, want);
	assert_int_equal(count, want - 1);
	if (!strstr(reason, word))
		fail_msg("reason \"%s\" lacks \"%s\"", reason, word);
}

static void expect_good(struct st_store *s, uint64_t want)
{
	uint64_t count = 0, first = 99;
	char reason[256];

	assert_int_equal(audit_verify(s, &count, &first, reason, sizeof(reason)), 0);
	assert_int_equal(count, want);
	assert_int_equal(first, 0);
	assert_string_equal(reason, "");
}

static void test_empty(void **state)
{
	struct fx *f = *state;

	expect_good(f->s, 0);
}

static void test_append_verify_1000(void **state)
{
	struct fx *f = *state;
	struct audit_record a, b;

	append_n(f->s, 1000);
	expect_good(f->s, 1000);
	/* The chain links: record 1's prev is zero, each prev is the hash of the one before. */
	get_record(f->s, 1, &a);
	for (size_t i = 0; i < AUDIT_HASH_LEN; i++)
		assert_int_equal(a.prev[i], 0);
	get_record(f->s, 2, &b);
	assert_memory_equal(b.prev, a.hash, AUDIT_HASH_LEN);
	/* Persisted: the chain and its head survive a reopen and go on growing. */
	st_close(f->s);
	f->s = NULL;
	assert_int_equal(st_open(f->t.path, K, &f->s), 0);
	expect_good(f->s, 1000);
	assert_int_equal(audit_append(f->s, T0, "dave", "user.create", "", "ok", NULL), 0);
	expect_good(f->s, 1001);
}

struct seen {
	uint64_t n[64];
	size_t count;
	uint64_t stop_at;
};

static int collect(void *arg, const struct audit_record *r)
{
	struct seen *s = arg;
	char target[32];

	snprintf(target, sizeof(target), "t%" PRIu64, r->n);
	assert_true(s->count < 64);
	assert_int_equal(r->time, T0 + (int64_t)r->n);
	assert_string_equal(r->user, users[r->n % 3]);
	assert_string_equal(r->action, "task.approve");
	assert_string_equal(r->target, target);
	assert_string_equal(r->result, r->n % 7 ? "ok" : "EPERM");
	s->n[s->count++] = r->n;
	return r->n == s->stop_at ? 1 : 0;
}

static int fail_at_3(void *arg, const struct audit_record *r)
{
	(void)arg;
	return r->n == 3 ? CU_EPERM : 0;
}

static void test_query(void **state)
{
	struct fx *f = *state;
	struct seen s;

	append_n(f->s, 30);
	memset(&s, 0, sizeof(s));
	assert_int_equal(audit_query(f->s, 0, NULL, collect, &s), 0);
	assert_int_equal(s.count, 30);
	for (size_t i = 0; i < 30; i++)
		assert_int_equal(s.n[i], i + 1);

	memset(&s, 0, sizeof(s));
	assert_int_equal(audit_query(f->s, 1, "bob", collect, &s), 0);
	assert_int_equal(s.count, 10);
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(s.n[i], 3 * i + 1); /* users[n % 3] == "bob" */

	memset(&s, 0, sizeof(s));
	assert_int_equal(audit_query(f->s, 25, "carol", collect, &s), 0);
	assert_int_equal(s.count, 2);
	assert_int_equal(s.n[0], 26);
	assert_int_equal(s.n[1], 29);

	memset(&s, 0, sizeof(s));
	assert_int_equal(audit_query(f->s, 31, NULL, collect, &s), 0);
	assert_int_equal(s.count, 0);
	assert_int_equal(audit_query(f->s, 1, "nobody", collect, &s), 0);
	assert_int_equal(s.count, 0);

	memset(&s, 0, sizeof(s));
	s.stop_at = 5;
	assert_int_equal(audit_query(f->s, 1, NULL, collect, &s), 0);
	assert_int_equal(s.count, 5);
	assert_int_equal(audit_query(f->s, 1, NULL, fail_at_3, NULL), CU_EPERM);
	assert_int_equal(audit_query(f->s, 1, NULL, NULL, NULL), CU_EINVAL);
}

/* A middle record's content rewritten with a valid serialisation: that n. */
static void test_tamper_rewrite_middle(void **state)
{
	struct fx *f = *state;
	struct audit_record r;
	struct seen s;

	append_n(f->s, 1000);
	get_record(f->s, 500, &r);
	snprintf(r.result, sizeof(r.result), "%s", "EPERM");
	snprintf(r.user, sizeof(r.user), "%s", "mallory");
	put_record(f->s, 500, &r);
	expect_bad(f->s, 500, "changed");
	/* Query crosses the broken link too. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(audit_query(f->s, 490, "nobody", collect, &s), CU_EAUTH);
}

/* A middle record's prev rewritten: that n, not its predecessor. */
static void test_tamper_rewrite_prev(void **state)
{
	struct fx *f = *state;
	struct audit_record r;

	append_n(f->s, 1000);
	get_record(f->s, 300, &r);
	r.prev[7] ^= 0x01;
	put_record(f->s, 300, &r);
	expect_bad(f->s, 300, "prev");
}

/* Record 1's prev must be zero. */
static void test_tamper_first(void **state)
{
	struct fx *f = *state;
	struct audit_record r;

	append_n(f->s, 5);
	get_record(f->s, 1, &r);
	r.prev[0] = 1;
	put_record(f->s, 1, &r);
	expect_bad(f->s, 1, "prev");
}

/* The last record rewritten: only the head can tell. */
static void test_tamper_rewrite_last(void **state)
{
	struct fx *f = *state;
	struct audit_record r;

	append_n(f->s, 10);
	get_record(f->s, 10, &r);
	r.time++;
	put_record(f->s, 10, &r);
	expect_bad(f->s, 10, "head");
	/* And append refuses to extend it. */
	assert_int_equal(audit_append(f->s, T0, "alice", "x", "", "ok", NULL), CU_EAUTH);
	expect_bad(f->s, 10, "head");
}

/* A record whose n field differs from its key (record 6 copied to key 5). */
static void test_tamper_wrong_n(void **state)
{
	struct fx *f = *state;
	struct audit_record r;

	append_n(f->s, 10);
	get_record(f->s, 6, &r);
	put_record(f->s, 5, &r);
	expect_bad(f->s, 5, "n differs");
}

static void test_tamper_delete_middle(void **state)
{
	struct fx *f = *state;

	append_n(f->s, 100);
	delete_record(f->s, 40);
	expect_bad(f->s, 40, "missing");
	assert_int_equal(audit_query(f->s, 1, NULL, fail_at_3, NULL), CU_EPERM);
	assert_int_equal(audit_query(f->s, 35, NULL, fail_at_3, NULL), CU_EAUTH);
}

static void test_tamper_delete_last(void **state)
{
	struct fx *f = *state;

	append_n(f->s, 100);
	delete_record(f->s, 100);
	expect_bad(f->s, 100, "head");
	assert_int_equal(audit_append(f->s, T0, "alice", "x", "", "ok", NULL), CU_EAUTH);
}

static void test_tamper_delete_head(void **state)
{
	struct fx *f = *state;

	append_n(f->s, 3);
	assert_int_equal(st_delete(f->s, AUDIT_HEAD_TABLE, AUDIT_HEAD_KEY), 0);
	expect_bad(f->s, 1, "beyond");
}

/* A well-linked record put beyond the head: reported, and append does not overwrite it. */
static void test_tamper_beyond_head(void **state)
{
	struct fx *f = *state;
	struct audit_record r;

	append_n(f->s, 10);
	get_record(f->s, 10, &r);
	memcpy(r.prev, r.hash, AUDIT_HASH_LEN);
	r.n = 11;
	put_record(f->s, 11, &r);
	expect_bad(f->s, 11, "beyond");
	assert_int_equal(audit_append(f->s, T0, "alice", "x", "", "ok", NULL), CU_ESTATE);
}

static void test_tamper_bad_key(void **state)
{
	struct fx *f = *state;

	append_n(f->s, 4);
	assert_int_equal(st_put(f->s, AUDIT_TABLE, "00000000000000000002x", "junk", 4), 0);
	expect_bad(f->s, 3, "unexpected key");
}

static void test_tamper_malformed(void **state)
{
	struct fx *f = *state;
	char key[AUDIT_KEY_DIGITS + 1];

	append_n(f->s, 4);
	key_of(2, key);
	assert_int_equal(st_put(f->s, AUDIT_TABLE, key, "junk", 4), 0);
	expect_bad(f->s, 2, "malformed");
	assert_int_equal(audit_query(f->s, 1, NULL, fail_at_3, NULL), CU_ETRUNC);
}

static void test_fields(void **state)
{
	struct fx *f = *state;
	char user_max[AUDIT_USER_MAX + 2], target_max[AUDIT_TARGET_MAX + 2];
	char action_max[AUDIT_ACTION_MAX + 2], result_max[AUDIT_RESULT_MAX + 2];
	uint64_t n = 99;

	memset(user_max, 'u', AUDIT_USER_MAX + 1);
	user_max[AUDIT_USER_MAX + 1] = '\0';
	memset(action_max, 'a', AUDIT_ACTION_MAX + 1);
	action_max[AUDIT_ACTION_MAX + 1] = '\0';
	memset(target_max, 't', AUDIT_TARGET_MAX + 1);
	target_max[AUDIT_TARGET_MAX + 1] = '\0';
	memset(result_max, 'r', AUDIT_RESULT_MAX + 1);
	result_max[AUDIT_RESULT_MAX + 1] = '\0';

	const struct {
		int64_t time;
		const char *user, *action, *target, *result;
		int rc;
	} cases[] = {
	    {T0, "alice", "task.approve", "t1", "ok", 0},
	    {0, "alice", "task.approve", "", "ok", 0},
	    {T0, user_max + 1, action_max + 1, target_max + 1, result_max + 1, 0},
	    {T0, user_max, "a", "", "ok", CU_EFORMAT},
	    {T0, "u", action_max, "", "ok", CU_EFORMAT},
	    {T0, "u", "a", target_max, "ok", CU_EFORMAT},
	    {T0, "u", "a", "", result_max, CU_EFORMAT},
	    {T0, "", "a", "", "ok", CU_EFORMAT},
	    {T0, "u", "", "", "ok", CU_EFORMAT},
	    {T0, "u", "a", "", "", CU_EFORMAT},
	    {T0, "al\nice", "a", "", "ok", CU_EFORMAT},
	    {T0, "u", "a\t", "", "ok", CU_EFORMAT},
	    {T0, "u", "a", "t\x7f", "ok", CU_EFORMAT},
	    {T0, "u", "a", "", "o\x1b", CU_EFORMAT},
	    {T0, "j\xc3\xbcrg", "a", "", "ok", CU_EFORMAT},
	    {-1, "u", "a", "", "ok", CU_EFORMAT},
	    {T0, NULL, "a", "", "ok", CU_EINVAL},
	    {T0, "u", NULL, "", "ok", CU_EINVAL},
	    {T0, "u", "a", NULL, "ok", CU_EINVAL},
	    {T0, "u", "a", "", NULL, CU_EINVAL},
	};
	uint64_t accepted = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = audit_append(f->s, cases[i].time, cases[i].user, cases[i].action,
		                      cases[i].target, cases[i].result, &n);

		if (rc != cases[i].rc)
			fail_msg("case %zu: %d, want %d", i, rc, cases[i].rc);
		if (rc == 0)
			assert_int_equal(n, ++accepted);
		else
			assert_int_equal(n, 0);
	}
	assert_int_equal(audit_append(NULL, T0, "u", "a", "", "ok", NULL), CU_EINVAL);
	/* Nothing refused was written. */
	expect_good(f->s, accepted);
}

static void test_in_transaction(void **state)
{
	struct fx *f = *state;

	assert_int_equal(st_begin(f->s), 0);
	assert_int_equal(audit_append(f->s, T0, "u", "a", "", "ok", NULL), CU_ESTATE);
	assert_int_equal(st_rollback(f->s), 0);
	expect_good(f->s, 0);
}

/* Known answer: the serialisation and hash an external verifier must reproduce. */
static const char kat_hex[] = "43415544010000000000000001000000006553f1000002616c0003782e7900000002"
                              "6f6b000000000000000000000000000000000000000000000000000000000000"
                              "0000";
static const char kat_hash[] = "4644af351da8b490be4877d432d707e3966804995e495f86fd4ab1b66bfaf8d9";

static void test_format_kat(void **state)
{
	struct audit_record r, d;
	uint8_t buf[AUDIT_RECORD_MAX], want[128], hash[AUDIT_HASH_LEN];
	size_t len = 0, wantlen = 0;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.n = 1;
	r.time = T0;
	strcpy(r.user, "al");
	strcpy(r.action, "x.y");
	strcpy(r.result, "ok");
	assert_int_equal(audit_record_encode(&r, buf, &len), 0);
	assert_int_equal(cu_hex_decode(kat_hex, strlen(kat_hex), want, sizeof(want), &wantlen), 0);
	assert_int_equal(len, wantlen);
	assert_memory_equal(buf, want, len);
	assert_int_equal(audit_record_decode(buf, len, &d), 0);
	assert_int_equal(cu_hex_decode_exact(kat_hash, hash, sizeof(hash)), 0);
	assert_memory_equal(d.hash, hash, AUDIT_HASH_LEN);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.time, T0);
	assert_string_equal(d.user, "al");
	assert_string_equal(d.target, "");
}

/* Every truncation and trailing byte refused; bit flips in the framing refused. */
static void test_format_strict(void **state)
{
	struct audit_record r, d;
	uint8_t buf[AUDIT_RECORD_MAX + 1], m[AUDIT_RECORD_MAX + 1];
	size_t len = 0;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.n = 7;
	r.time = T0;
	strcpy(r.user, "alice");
	strcpy(r.action, "file.register");
	strcpy(r.target, "f-1");
	strcpy(r.result, "ok");
	assert_int_equal(audit_record_encode(&r, buf, &len), 0);
	for (size_t i = 0; i < len; i++) {
		assert_int_not_equal(audit_record_decode(buf, i, &d), 0);
		assert_int_equal(d.n, 0);
	}
	buf[len] = 0;
	assert_int_equal(audit_record_decode(buf, len + 1, &d), CU_EFORMAT);
	/* Magic, version, a zero n, a negative time, a length, a control character. */
	const struct {
		size_t off;
		uint8_t x;
		int rc;
	} flips[] = {
	    {0, 0x01, CU_EFORMAT},  {4, 0x03, CU_EUNSUPPORTED}, {12, 0x07, CU_EFORMAT},
	    {13, 0x80, CU_EFORMAT}, {21, 0x01, CU_ETRUNC},      {23, 0x61, CU_EFORMAT},
	};
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		memcpy(m, buf, len);
		m[flips[i].off] ^= flips[i].x;
		if (audit_record_decode(m, len, &d) != flips[i].rc)
			fail_msg("flip %zu", i);
	}
	r.n = 0;
	assert_int_equal(audit_record_encode(&r, buf, &len), CU_EFORMAT);
	assert_int_equal(len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_append_verify_1000, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_query, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tamper_rewrite_middle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tamper_rewrite_prev, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tamper_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tamper_rewrite_last, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tamper_wrong_n, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tamper_delete_middle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tamper_delete_last, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tamper_delete_head, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tamper_beyond_head, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tamper_bad_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tamper_malformed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_in_transaction, setup, teardown),
	    cmocka_unit_test(test_format_kat),
	    cmocka_unit_test(test_format_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

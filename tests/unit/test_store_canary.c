/*
 * The canary test: names and contents written to the store (user names as
 * keys, table and queue names, arguments, file keys, payloads, queue
 * entries) must never appear in the bytes of the database file or its WAL,
 * while the store is open or after it is closed. The scanner is shown to
 * find a canary that the host does plant in the file, so the test can fail.
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
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "store/store.h"

static const uint8_t K[ST_KEY_LEN] = {
    0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
    0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79};

#define USER     "canary-user-Zq8wLr"
#define USER2    "canary-user2-Bx7p"
#define TABLE    "canarytblXk9f"
#define QUEUE    "canaryqueueVd4s"
#define ARG      "canary-argument-Pk3vQ"
#define FILEKEY  "canary-filekey-Hh5t-0123456789ab" /* 32 bytes, as a file key */
#define PAYLOAD  "canary-payload-Yt6rW"
#define QENTRY   "canary-queue-entry-Mn2b"
#define DELETED  "canary-deleted-Ju8c"
#define REPLACED "canary-replaced-Ee1o"

static const char *const canaries[] = {USER,    USER2,   TABLE,  QUEUE,   ARG,
                                       FILEKEY, PAYLOAD, QENTRY, DELETED, REPLACED};

/* Read a whole file (empty when it does not exist). */
static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *p;
	FILE *f;

	*len = 0;
	if (stat(path, &st) != 0)
		return calloc(1, 1);
	p = malloc((size_t)st.st_size + 1);
	assert_non_null(p);
	f = fopen(path, "rb");
	assert_non_null(f);
	*len = fread(p, 1, (size_t)st.st_size, f);
	fclose(f);
	return p;
}

/* The first canary found in the file, or NULL. */
static const char *find_canary(const char *path)
{
	size_t len;
	uint8_t *p = slurp(path, &len);
	const char *found = NULL;

	for (size_t i = 0; !found && i < sizeof(canaries) / sizeof(canaries[0]); i++)
		if (memmem(p, len, canaries[i], strlen(canaries[i])))
			found = canaries[i];
	free(p);
	return found;
}

static void no_canary(const char *path, int must_exist)
{
	struct stat st;
	const char *c;

	if (must_exist) {
		assert_int_equal(stat(path, &st), 0);
		assert_true(st.st_size > 0);
	}
	c = find_canary(path);
	if (c)
		fail_msg("canary \"%s\" in %s", c, path);
}

static void write_canaries(struct st_store *s)
{
	char big[200000];
	char arg[128];
	uint8_t *v = NULL;
	size_t len;

	/* user names as keys, in a plain and a canary-named table */
	assert_int_equal(st_put(s, "users", USER, "{\"role\":\"data_owner\"}", 21), 0);
	assert_int_equal(st_put(s, "users", USER2, USER, strlen(USER)), 0);
	assert_int_equal(st_put(s, TABLE, USER, "x", 1), 0);
	/* arguments and a file key inside values */
	snprintf(arg, sizeof(arg), "{\"args\":{\"threshold\":\"%s\"}}", ARG);
	assert_int_equal(st_put(s, "tasks", "task-1", arg, strlen(arg)), 0);
	assert_int_equal(st_cas(s, "files", "file-1", 0, FILEKEY, 32, NULL), 0);
	/* a payload larger than a page (overflow pages) */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = PAYLOAD[i % strlen(PAYLOAD)];
	assert_int_equal(st_put(s, "functions", "fn-1", big, sizeof(big)), 0);
	/* queue entries, one of them popped */
	assert_int_equal(st_queue_push(s, QUEUE, QENTRY, strlen(QENTRY)), 0);
	assert_int_equal(st_queue_push(s, "tasks", QENTRY, strlen(QENTRY)), 0);
	assert_int_equal(st_queue_pop(s, "tasks", &v, &len), 0);
	free(v);
	/* deleted and replaced records leave no plaintext behind */
	assert_int_equal(st_put(s, "users", DELETED, DELETED, strlen(DELETED)), 0);
	assert_int_equal(st_delete(s, "users", DELETED), 0);
	assert_int_equal(st_put(s, "users", "carol", REPLACED, strlen(REPLACED)), 0);
	assert_int_equal(st_put(s, "users", "carol", "new", 3), 0);
	/* a transaction rolled back */
	assert_int_equal(st_begin(s), 0);
	assert_int_equal(st_put(s, "users", "rolled-" USER, ARG, strlen(ARG)), 0);
	assert_int_equal(st_rollback(s), 0);
}

static void test_canary(void **state)
{
	char dir[] = "/tmp/custos-storec-XXXXXX", path[96], wal[112];
	struct st_store *s = NULL;
	uint8_t *v = NULL;
	size_t len;
	sqlite3 *db;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/store.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	assert_int_equal(st_open(path, K, &s), 0);
	write_canaries(s);
	/* open: the records are in the WAL */
	no_canary(path, 1);
	no_canary(wal, 1);
	st_close(s);
	/* closed: checkpointed into the database file */
	no_canary(path, 1);
	no_canary(wal, 0);
	/* and everything reads back */
	assert_int_equal(st_open(path, K, &s), 0);
	assert_int_equal(st_get(s, "users", USER, &v, &len, NULL), 0);
	free(v);
	assert_int_equal(st_get(s, "files", "file-1", &v, &len, NULL), 0);
	assert_memory_equal(v, FILEKEY, 32);
	free(v);
	assert_int_equal(st_queue_pop(s, QUEUE, &v, &len), 0);
	assert_memory_equal(v, QENTRY, len);
	free(v);
	st_close(s);
	no_canary(path, 1);

	/* the scanner does find a canary that is there */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                              "CREATE TABLE leak(x); INSERT INTO leak VALUES('" ARG "')",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_non_null(find_canary(path));
	assert_string_equal(find_canary(path), ARG);

	unlink(path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path);
	unlink(wal);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_canary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

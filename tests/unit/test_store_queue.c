/* Unit tests of the sealed store's FIFO queues. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/mem.h"
#include "store/store.h"
#include "test_store_fixture.h"

static const uint8_t K[ST_KEY_LEN] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
                                      1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6};

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

static void push(struct st_store *s, const char *q, const char *v)
{
	assert_int_equal(st_queue_push(s, q, v, strlen(v)), 0);
}

static void pop(struct st_store *s, const char *q, const char *want)
{
	uint8_t *v = NULL;
	size_t len = 0;
	int rc = st_queue_pop(s, q, &v, &len);

	if (!want) {
		assert_int_equal(rc, CU_ENOTFOUND);
		assert_null(v);
		assert_int_equal(len, 0);
		return;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(v, want, len);
	assert_int_equal(v[len], 0);
	cu_free_secret(v, len);
}

static uint64_t qlen(struct st_store *s, const char *q)
{
	uint64_t n = 99;

	assert_int_equal(st_queue_len(s, q, &n), 0);
	return n;
}

static void test_fifo(void **state)
{
	struct fx *f = *state;

	assert_int_equal(qlen(f->s, "jobs"), 0);
	pop(f->s, "jobs", NULL);
	push(f->s, "jobs", "one");
	push(f->s, "jobs", "two");
	push(f->s, "jobs", "");
	push(f->s, "jobs", "four");
	assert_int_equal(qlen(f->s, "jobs"), 4);
	pop(f->s, "jobs", "one");
	pop(f->s, "jobs", "two");
	push(f->s, "jobs", "five");
	pop(f->s, "jobs", "");
	pop(f->s, "jobs", "four");
	pop(f->s, "jobs", "five");
	pop(f->s, "jobs", NULL);
	assert_int_equal(qlen(f->s, "jobs"), 0);
	/* reusable after it emptied */
	push(f->s, "jobs", "six");
	pop(f->s, "jobs", "six");
}

static void test_separate_names(void **state)
{
	struct fx *f = *state;
	uint8_t *v = NULL;
	size_t len;

	push(f->s, "a", "a1");
	push(f->s, "b", "b1");
	push(f->s, "a", "a2");
	/* a table of the same name is another namespace */
	assert_int_equal(st_put(f->s, "a", "k", "t", 1), 0);
	assert_int_equal(st_get(f->s, "a", "k", &v, &len, NULL), 0);
	free(v);
	pop(f->s, "b", "b1");
	pop(f->s, "b", NULL);
	pop(f->s, "a", "a1");
	pop(f->s, "a", "a2");
	assert_int_equal(st_get(f->s, "a", "k", &v, &len, NULL), 0);
	free(v);
}

static void test_reopen(void **state)
{
	struct fx *f = *state;
	char v[32];

	for (int i = 0; i < 50; i++) {
		snprintf(v, sizeof(v), "entry %d", i);
		push(f->s, "work", v);
	}
	for (int i = 0; i < 20; i++) {
		snprintf(v, sizeof(v), "entry %d", i);
		pop(f->s, "work", v);
	}
	reopen(f);
	assert_int_equal(qlen(f->s, "work"), 30);
	push(f->s, "work", "entry 50");
	reopen(f);
	for (int i = 20; i <= 50; i++) {
		snprintf(v, sizeof(v), "entry %d", i);
		pop(f->s, "work", v);
	}
	pop(f->s, "work", NULL);
	reopen(f);
	assert_int_equal(qlen(f->s, "work"), 0);
}

static void test_transactions(void **state)
{
	struct fx *f = *state;

	push(f->s, "q", "first");
	/* rolled back: the push and the pop both undone */
	assert_int_equal(st_begin(f->s), 0);
	push(f->s, "q", "second");
	pop(f->s, "q", "first");
	assert_int_equal(qlen(f->s, "q"), 1);
	assert_int_equal(st_rollback(f->s), 0);
	assert_int_equal(qlen(f->s, "q"), 1);
	/* committed: a pop and a record written together */
	assert_int_equal(st_begin(f->s), 0);
	pop(f->s, "q", "first");
	assert_int_equal(st_put(f->s, "tasks", "t1", "staged", 6), 0);
	assert_int_equal(st_commit(f->s), 0);
	reopen(f);
	pop(f->s, "q", NULL);
}

static void test_args(void **state)
{
	struct fx *f = *state;
	uint8_t *v = (uint8_t *)1;
	size_t len = 5;
	uint64_t n = 5;

	assert_int_equal(st_queue_push(NULL, "q", "x", 1), CU_EINVAL);
	assert_int_equal(st_queue_push(f->s, "q", NULL, 1), CU_EINVAL);
	assert_int_equal(st_queue_push(f->s, "", "x", 1), CU_EINVAL);
	assert_int_equal(st_queue_push(f->s, "q q", "x", 1), CU_EINVAL);
	assert_int_equal(st_queue_pop(f->s, "q", NULL, &len), CU_EINVAL);
	assert_int_equal(len, 0);
	assert_int_equal(st_queue_pop(f->s, NULL, &v, &len), CU_EINVAL);
	assert_null(v);
	assert_int_equal(st_queue_len(f->s, "q", NULL), CU_EINVAL);
	assert_int_equal(st_queue_len(NULL, "q", &n), CU_EINVAL);
	assert_int_equal(n, 0);
	assert_int_equal(st_queue_push(f->s, "q", NULL, 0), 0);
	pop(f->s, "q", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fifo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_separate_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_args, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

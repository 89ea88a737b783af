/*
 * Unit tests: the sandbox (src/worker/sandbox.c). Each test entry below is
 * a function that misbehaves in one way; the sandbox must stop it with the
 * right outcome and reason while this process lives on, without zombies,
 * leaked descriptors or leaked memory. Then the parser of the child's
 * frames on malformed streams, and the functions' context helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "common/err.h"
#include "functions/functions.h"
#include "worker/sandbox.h"
#include "worker/sandbox_int.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1 /* clang */
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) /* gcc */
#define TEST_ASAN 1
#endif
#if defined(TEST_ASAN)
#define SANITIZED 1
/* Under AddressSanitizer, let malloc fail as glibc's does rather than abort. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}
#else
#define SANITIZED 0
#endif

/* ---- Test entries: run in the sandboxed child ---- */

/* Result: the argument "message"; output 0: input "x"; output 1: it reversed. */
static int fn_echo(struct fn_ctx *c)
{
	const struct fn_input *in = fn_input(c, "x");
	const char *msg = fn_arg(c, "message");
	struct fn_output *a = fn_output(c, "a"), *b = fn_output(c, "b");
	size_t i;
	int rc;

	if (!in || !msg || !a || !b)
		return fn_fail(c, CU_EINVAL, "echo needs message, x, a and b");
	if ((rc = fn_output_write(a, in->data, in->len)))
		return fn_fail(c, rc, "cannot write a");
	for (i = in->len; i > 0 && in->len <= 4096; i--)
		if ((rc = fn_output_write(b, &in->data[i - 1], 1)))
			return fn_fail(c, rc, "cannot write b");
	if (in->len > 4096 && (rc = fn_output_write(b, "big", 3)))
		return rc;
	fn_result(c, "%s", msg);
	return 0;
}

static int fn_fails(struct fn_ctx *c)
{
	return fn_fail(c, CU_EFORMAT, "line 3 has 2 fields\nnot 3");
}

static int fn_fails_silently(struct fn_ctx *c)
{
	(void)c;
	return CU_EFORMAT;
}

static int fn_socket(struct fn_ctx *c)
{
	(void)c;
	return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : CU_EIO;
}

static int fn_fork(struct fn_ctx *c)
{
	pid_t p = fork();

	(void)c;
	if (p == 0)
		_exit(0);
	return p > 0 ? 0 : CU_EIO;
}

static int fn_open(struct fn_ctx *c)
{
	int fd = open("/etc/passwd", O_RDONLY);

	(void)c;
	return fd >= 0 ? 0 : CU_EIO;
}

static int fn_execve(struct fn_ctx *c)
{
	char *const argv[] = {(char *)(uintptr_t) "/bin/true", NULL};

	(void)c;
	execve("/bin/true", argv, NULL);
	return CU_EIO;
}

static int fn_mmap_exec(struct fn_ctx *c)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)c;
	return p != MAP_FAILED ? 0 : CU_EIO;
}

/* Advice outside the allowed few (harmless itself, but not on the list). */
static int fn_madvise_merge(struct fn_ctx *c)
{
	static uint8_t page[8192] __attribute__((aligned(4096)));

	(void)c;
	return madvise(page, 4096, MADV_MERGEABLE) == 0 ? 0 : CU_EIO;
}

/* Blocks SIGSYS first: the kernel then kills it with SIGSYS. */
static int fn_socket_sigsys_blocked(struct fn_ctx *c)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGSYS);
	sigprocmask(SIG_BLOCK, &s, NULL);
	return fn_socket(c);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* glibc's qsort asks sysinfo for the memory size before a large sort. */
static int fn_qsort(struct fn_ctx *c)
{
	enum { N = 200000 };
	int *v = malloc(N * sizeof(*v));

	if (!v)
		return fn_fail(c, CU_ENOMEM, "no memory");
	for (int i = 0; i < N; i++)
		v[i] = (int)((i * 2654435761u) % 1000003u);
	qsort(v, N, sizeof(*v), cmp_int);
	for (int i = 1; i < N; i++)
		if (v[i - 1] > v[i])
			return fn_fail(c, CU_EINVAL, "not sorted");
	free(v);
	fn_result(c, "sorted");
	return 0;
}

static int fn_loop(struct fn_ctx *c)
{
	volatile unsigned long n = 0;

	(void)c;
	for (;;)
		n++;
	return 0;
}

/* Closes its stream, then loops: the parent sees the end of the stream first. */
static int fn_close_and_loop(struct fn_ctx *c)
{
	(void)close(3);
	return fn_loop(c);
}

/* Allocates without bound; checks malloc and reports the failure. */
static int fn_alloc_checked(struct fn_ctx *c)
{
	char *p;

	for (;;) {
		p = malloc(8u << 20);
		if (!p)
			return fn_fail(c, CU_ENOMEM, "cannot allocate 8 MiB more");
		memset(p, 1, 8u << 20);
		__asm__ volatile("" : : "r"(p) : "memory"); /* or clang drops the allocation */
	}
}

/* Allocates without bound and does not check: crashes on NULL. */
static int fn_alloc_unchecked(struct fn_ctx *c)
{
	char *p;

	(void)c;
	for (;;) {
		p = malloc(8u << 20);
		memset(p, 1, 8u << 20);
		__asm__ volatile("" : : "r"(p) : "memory");
	}
	return 0;
}

/* Writes 4 MiB to output "a". */
static int fn_big_output(struct fn_ctx *c)
{
	static const uint8_t block[4096];
	struct fn_output *o = fn_output(c, "a");
	int i, rc;

	for (i = 0; i < 1024; i++)
		if ((rc = fn_output_write(o, block, sizeof(block))))
			return rc;
	return 0;
}

/* A write into the page at NULL (not at 0 itself, which UBSan would report first). */
static int fn_null(struct fn_ctx *c)
{
	volatile uintptr_t a = 8;

	(void)c;
	*(volatile int *)a = 1;
	return 0;
}

static int fn_abort(struct fn_ctx *c)
{
	(void)c;
	abort();
}

/* Writes to the closed descriptors 0, 1, 2 and through stdio: harmless. */
static int fn_garbage(struct fn_ctx *c)
{
	(void)!write(1, "garbage\n", 8);
	(void)!write(2, "garbage\n", 8);
	(void)!write(0, "garbage\n", 8);
	printf("garbage %d\n", 42);
	fflush(stdout);
	fprintf(stderr, "garbage %d\n", 43);
	fn_result(c, "still fine");
	return 0;
}

/* Writes bytes that are no frame into its stream. */
static int fn_garbage_frames(struct fn_ctx *c)
{
	(void)c;
	(void)!write(3, "\xff\xff\xff\xff\xff\xff", 6);
	return 0;
}

static int fn_exit_early(struct fn_ctx *c)
{
	(void)c;
	_exit(0);
}

/* What computing may use: the clock, randomness, memory. */
static int fn_allowed(struct fn_ctx *c)
{
	struct timespec ts;
	uint8_t r[16];
	char *p = malloc(50u << 20);

	if (!p || clock_gettime(CLOCK_MONOTONIC, &ts) || getrandom(r, sizeof(r), 0) != 16)
		return fn_fail(c, CU_EIO, "a call that should work failed");
	memset(p, 7, 50u << 20);
	p = realloc(p, 100u << 20);
	if (!p)
		return fn_fail(c, CU_ENOMEM, "realloc failed");
	free(p);
	fn_result(c, "%zu %zu %zu", c->nargs, c->ninputs, c->noutputs);
	return 0;
}

static int fn_long_result(struct fn_ctx *c)
{
	memset(c->result, 'r', sizeof(c->result)); /* no terminator: the sandbox adds it */
	return 0;
}

/* Allocates and frees blocks of many sizes, large ones included. */
static int fn_allocates(struct fn_ctx *c)
{
	for (size_t i = 0; i < 64; i++) {
		void *p = malloc((size_t)1 << (4 + i % 20));
		if (!p)
			return fn_fail(c, CU_ENOMEM, "no memory");
		memset(p, (int)i, 16);
		free(p);
	}
	return 0;
}

/* Set by the test after the spawner started: a child of the spawner never sees it. */
static int later_value;

static int fn_later_value(struct fn_ctx *c)
{
	snprintf(c->result, sizeof(c->result), "%d", later_value);
	return 0;
}

/* ---- Helpers ---- */

/*
 * Limits no test function reaches, even sanitized on a loaded machine (under
 * ASan, fn_allowed's 150 MiB of page faults take 0.4-0.7 s of CPU here):
 * the tests of the limits set their own.
 */
static const struct sb_limits lim1 = {.memory = 256u << 20, .cpu_s = 30, .wall_ms = 30000};

static struct sb_result res;

static enum sb_outcome run(fn_entry e, struct fn_ctx *c, const struct sb_limits *l)
{
	assert_int_equal(sb_run(e, c, l, NULL, &res), 0);
	assert_non_null(memchr(res.reason, '\0', sizeof(res.reason)));
	assert_null(strchr(res.reason, '\n'));
	return res.outcome;
}

/* The outcome, with the reason in the message when it is not the one expected. */
static void expect_outcome(enum sb_outcome got, enum sb_outcome want)
{
	if (got != want)
		fail_msg("outcome %s (%s), expected %s", sb_outcome_name(got), res.reason,
		         sb_outcome_name(want));
}

static enum sb_outcome run_plain(fn_entry e)
{
	struct fn_ctx c;

	memset(&c, 0, sizeof(c));
	return run(e, &c, &lim1);
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* No child of this process is left, nor of the spawner when there is one. */
static void no_children(void)
{
	pid_t sp = sb_spawner_pid();

	if (sp < 0) {
		assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
		assert_int_equal(errno, ECHILD);
		return;
	}
	/* the spawner, alive; its reaped children gone from its list */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), 0);
	char path[64], buf[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)sp, (int)sp);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(n, 0);
}

struct echo_io {
	struct fn_arg args[1];
	struct fn_input inputs[1];
	struct fn_output outputs[2];
	struct fn_ctx c;
};

static void echo_setup(struct echo_io *e, const uint8_t *data, size_t len)
{
	memset(e, 0, sizeof(*e));
	e->args[0] = (struct fn_arg){"message", "hello, sandbox"};
	e->inputs[0] = (struct fn_input){"x", data, len};
	e->outputs[0].name = "a";
	e->outputs[1].name = "b";
	e->c.args = e->args;
	e->c.nargs = 1;
	e->c.inputs = e->inputs;
	e->c.ninputs = 1;
	e->c.outputs = e->outputs;
	e->c.noutputs = 2;
}

static void echo_free(struct echo_io *e)
{
	free(e->outputs[0].data);
	free(e->outputs[1].data);
}

/* ---- Outcomes ---- */

static void test_echo(void **state)
{
	struct echo_io e;

	(void)state;
	echo_setup(&e, (const uint8_t *)"abc", 3);
	expect_outcome(run(fn_echo, &e.c, &lim1), SB_OK);
	assert_string_equal(res.result, "hello, sandbox");
	assert_string_equal(e.c.result, "hello, sandbox");
	assert_int_equal(e.outputs[0].written, 1);
	assert_int_equal(e.outputs[0].len, 3);
	assert_memory_equal(e.outputs[0].data, "abc", 3);
	assert_int_equal(e.outputs[1].len, 3);
	assert_memory_equal(e.outputs[1].data, "cba", 3);
	echo_free(&e);

	/* An empty input gives written, empty outputs. */
	echo_setup(&e, NULL, 0);
	expect_outcome(run(fn_echo, &e.c, NULL), SB_OK);
	assert_int_equal(e.outputs[0].written, 1);
	assert_int_equal(e.outputs[0].len, 0);
	echo_free(&e);
}

static void test_allowed_calls(void **state)
{
	struct echo_io e;

	(void)state;
	echo_setup(&e, (const uint8_t *)"abc", 3);
	expect_outcome(run(fn_allowed, &e.c, &lim1), SB_OK);
	assert_string_equal(res.result, "1 1 2");
	assert_int_equal(e.outputs[0].written, 0);
	assert_null(e.outputs[0].data);
	echo_free(&e);
	expect_outcome(run_plain(fn_long_result), SB_OK);
	assert_int_equal(strlen(res.result), FN_RESULT_MAX);
	expect_outcome(run_plain(fn_qsort), SB_OK);
	assert_string_equal(res.result, "sorted");
}

static void test_failed(void **state)
{
	struct echo_io e;

	(void)state;
	echo_setup(&e, (const uint8_t *)"abc", 3);
	expect_outcome(run(fn_fails, &e.c, &lim1), SB_FAILED);
	assert_string_equal(res.reason, "line 3 has 2 fields not 3");
	assert_string_equal(e.c.reason, "line 3 has 2 fields not 3");
	assert_int_equal(e.outputs[0].written, 0);
	echo_free(&e);
	expect_outcome(run_plain(fn_fails_silently), SB_FAILED);
	assert_non_null(strstr(res.reason, "the function failed"));
}

static void expect_forbidden(fn_entry e, const char *call)
{
	expect_outcome(run_plain(e), SB_FORBIDDEN);
	if (call)
		assert_non_null(strstr(res.reason, call));
	else
		assert_non_null(strstr(res.reason, "forbidden"));
}

static void test_forbidden(void **state)
{
	(void)state;
	expect_forbidden(fn_socket, "(socket)");
	expect_forbidden(fn_fork, "(clone");
	expect_forbidden(fn_open, "(open");
	expect_forbidden(fn_execve, "(execve)");
	expect_forbidden(fn_mmap_exec, "(mmap)");
	expect_forbidden(fn_madvise_merge, "(madvise)");
	expect_forbidden(fn_socket_sigsys_blocked, NULL);
}

/* An endless loop: 1 s of CPU (the wall clock leaves room for a loaded machine), then 1 s of wall
 * clock. */
static void test_cpu_and_timeout(void **state)
{
	struct sb_limits l = {.memory = 64u << 20, .cpu_s = 1, .wall_ms = 10000};
	struct fn_ctx c;
	uint64_t t0 = ms_now();

	(void)state;
	memset(&c, 0, sizeof(c));
	expect_outcome(run(fn_loop, &c, &l), SB_CPU);
	assert_non_null(strstr(res.reason, "1 s of CPU"));
	assert_true(ms_now() - t0 >= 800); /* RLIMIT_CPU is checked at clock ticks */
	l.cpu_s = 30;
	l.wall_ms = 1000;
	t0 = ms_now();
	expect_outcome(run(fn_loop, &c, &l), SB_TIMEOUT);
	assert_non_null(strstr(res.reason, "1000 ms"));
	assert_true(ms_now() - t0 < 10000); /* well before the 30 s of CPU */
	/* The stream ends first (the function closed it): the wait is bounded too. */
	t0 = ms_now();
	expect_outcome(run(fn_close_and_loop, &c, &l), SB_TIMEOUT);
	assert_true(ms_now() - t0 < 10000); /* well before the 30 s of CPU */
}

static void test_memory(void **state)
{
	struct echo_io e;
	struct sb_limits l = lim1;
	uint8_t *big;

	(void)state;
	l.memory = 64u << 20;
	l.cpu_s = 5;
	echo_setup(&e, NULL, 0);
	expect_outcome(run(fn_alloc_checked, &e.c, &l), SB_MEMORY);
	assert_non_null(strstr(res.reason, "out of memory (limit 64 MiB): cannot allocate"));
	if (SANITIZED) {
		/* The sanitizer reports memset(NULL) itself, with calls the sandbox refuses. */
		assert_int_equal(sb_run(fn_alloc_unchecked, &e.c, &l, NULL, &res), 0);
		assert_true(res.outcome == SB_CRASHED || res.outcome == SB_FORBIDDEN);
	} else {
		expect_outcome(run(fn_alloc_unchecked, &e.c, &l), SB_CRASHED);
		assert_non_null(strstr(res.reason, "SIGSEGV"));
	}
	/* Inputs larger than the limit: the child says so before the function runs. */
	big = calloc(1, 64u << 20);
	assert_non_null(big);
	echo_setup(&e, big, 64u << 20);
	l.memory = 16u << 20;
	expect_outcome(run(fn_echo, &e.c, &l), SB_MEMORY);
	assert_non_null(strstr(res.reason, "inputs do not fit"));
	echo_free(&e);
	free(big);
}

static void test_output_limits(void **state)
{
	struct echo_io e;
	struct sb_limits l = lim1;

	(void)state;
	echo_setup(&e, (const uint8_t *)"abc", 3);
	l.output = 1u << 20;
	expect_outcome(run(fn_big_output, &e.c, &l), SB_OUTPUT);
	assert_non_null(strstr(res.reason, "1048576 bytes of outputs in all"));
	assert_int_equal(e.outputs[0].written, 0);
	/* An output's own limit. */
	e.outputs[0].max = 10;
	expect_outcome(run(fn_big_output, &e.c, NULL), SB_OUTPUT);
	assert_non_null(strstr(res.reason, "more than 10 bytes in output 0"));
	/* Exactly at the limits is fine. */
	e.outputs[0].max = 4u << 20;
	l.output = 4u << 20;
	expect_outcome(run(fn_big_output, &e.c, &l), SB_OK);
	assert_int_equal(e.outputs[0].len, 4u << 20);
	echo_free(&e);
}

static volatile int cancel_flag;

static void *cancel_after_200ms(void *arg)
{
	(void)arg;
	usleep(200 * 1000);
	cancel_flag = 1;
	return NULL;
}

static void test_cancel(void **state)
{
	struct sb_limits l = {.cpu_s = 30, .wall_ms = 30000};
	struct fn_ctx c;
	pthread_t t;
	uint64_t t0 = ms_now();

	(void)state;
	memset(&c, 0, sizeof(c));
	cancel_flag = 0;
	assert_int_equal(pthread_create(&t, NULL, cancel_after_200ms, NULL), 0);
	assert_int_equal(sb_run(fn_loop, &c, &l, &cancel_flag, &res), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(res.outcome, SB_CANCELED);
	assert_true(ms_now() - t0 < 10000); /* long before the 30 s wall clock */
	assert_true(ms_now() - t0 >= 200);
}

static void test_crashes(void **state)
{
	(void)state;
	expect_outcome(run_plain(fn_null), SB_CRASHED);
	assert_non_null(strstr(res.reason, "SIGSEGV"));
	expect_outcome(run_plain(fn_abort), SB_CRASHED);
	assert_non_null(strstr(res.reason, "SIGABRT"));
	expect_outcome(run_plain(fn_garbage), SB_OK);
	assert_string_equal(res.result, "still fine");
	expect_outcome(run_plain(fn_garbage_frames), SB_PROTOCOL);
	assert_non_null(strstr(res.reason, "unknown type 255"));
	expect_outcome(run_plain(fn_exit_early), SB_PROTOCOL);
	assert_non_null(strstr(res.reason, "without its result"));
}

static void test_large_input(void **state)
{
	const size_t n = 50u << 20;
	uint8_t *big = malloc(n);
	struct echo_io e;
	size_t i;

	(void)state;
	assert_non_null(big);
	for (i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 2654435761u >> 13);
	echo_setup(&e, big, n);
	expect_outcome(run(fn_echo, &e.c, NULL), SB_OK);
	assert_int_equal(e.outputs[0].len, n);
	assert_memory_equal(e.outputs[0].data, big, n);
	assert_int_equal(e.outputs[1].len, 3);
	echo_free(&e);
	free(big);
}

static void test_no_leaks(void **state)
{
	static const fn_entry mix[] = {fn_echo, fn_fails, fn_socket, fn_null, fn_garbage_frames};
	int before, i;
	struct echo_io e;

	(void)state;
	no_children();
	before = count_fds();
	for (i = 0; i < 100; i++) {
		echo_setup(&e, (const uint8_t *)"abc", 3);
		(void)run(mix[i % 5], &e.c, &lim1);
		echo_free(&e);
	}
	assert_int_equal(count_fds(), before);
	no_children();
}

static void test_bad_requests(void **state)
{
	struct fn_arg a = {"name", NULL};
	struct fn_ctx c;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(sb_run(fn_echo, &c, NULL, NULL, NULL), CU_EINVAL);
	assert_int_equal(sb_run(NULL, &c, NULL, NULL, &res), CU_EINVAL);
	c.args = &a;
	c.nargs = 1;
	assert_int_equal(sb_run(fn_echo, &c, NULL, NULL, &res), CU_EINVAL);
	assert_non_null(strstr(res.reason, "argument 0"));
	c.nargs = SB_COUNT_MAX + 1;
	assert_int_equal(sb_run(fn_echo, &c, NULL, NULL, &res), CU_ELIMIT);
	no_children();
}

/*
 * Other threads of the worker allocate while it starts children: a child
 * must never inherit a lock one of them held at that moment (an allocator's
 * lock: the sanitizers' allocators keep theirs across fork).
 */
static volatile int churn_stop;

static void *churn(void *arg)
{
	size_t seed = (size_t)(uintptr_t)arg;

	while (!__atomic_load_n(&churn_stop, __ATOMIC_RELAXED)) {
		void *p[16];
		for (size_t i = 0; i < 16; i++) {
			seed = seed * 6364136223846793005u + 1442695040888963407u;
			p[i] = malloc((size_t)1 << (4 + (seed >> 33) % 19));
		}
		for (size_t i = 0; i < 16; i++)
			free(p[i]);
	}
	return NULL;
}

static void test_threads_allocating(void **state)
{
	const struct sb_limits lim = {.memory = 512u << 20, .cpu_s = 30, .wall_ms = 30000};
	pthread_t t[3];

	(void)state;
	churn_stop = 0;
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)(i + 1)), 0);
	for (int n = 0; n < 100; n++) {
		struct fn_ctx c;
		memset(&c, 0, sizeof(c));
		enum sb_outcome o = run(fn_allocates, &c, &lim);
		if (o != SB_OK) {
			churn_stop = 1;
			fail_msg("run %d: outcome %s (%s)", n, sb_outcome_name(o), res.reason);
		}
	}
	__atomic_store_n(&churn_stop, 1, __ATOMIC_RELAXED);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	no_children();
}

/* The spawner's children are forked from its memory, not from the worker's. */
static void test_spawner_memory(void **state)
{
	(void)state;
	later_value = 42;
	expect_outcome(run_plain(fn_later_value), SB_OK);
	assert_string_equal(res.result, "0");
	later_value = 0;
}

/* A spawner that died: sb_run fails with a reason, and nothing hangs. */
static void test_spawner_gone(void **state)
{
	struct fn_ctx c;

	(void)state;
	assert_int_equal(kill(sb_spawner_pid(), SIGKILL), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(sb_run(fn_echo, &c, &lim1, NULL, &res), CU_EIO);
	assert_non_null(strstr(res.reason, "spawner"));
	sb_spawner_stop();
	assert_int_equal(sb_spawner_pid(), -1);
	/* forked from this process again */
	later_value = 7;
	expect_outcome(run_plain(fn_later_value), SB_OK);
	assert_string_equal(res.result, "7");
	later_value = 0;
	no_children();
}

static void test_outcome_names(void **state)
{
	(void)state;
	assert_string_equal(sb_outcome_name(SB_OK), "ok");
	assert_string_equal(sb_outcome_name(SB_FORBIDDEN), "forbidden");
	assert_string_equal(sb_outcome_name(SB_PROTOCOL), "protocol");
	assert_string_equal(sb_outcome_name((enum sb_outcome)99), "unknown");
}

/* ---- The parser of the child's frames ---- */

static size_t frame(uint8_t *b, uint8_t type, const void *p, uint32_t n)
{
	b[0] = type;
	b[1] = (uint8_t)n;
	b[2] = (uint8_t)(n >> 8);
	b[3] = (uint8_t)(n >> 16);
	b[4] = (uint8_t)(n >> 24);
	if (n)
		memcpy(b + 5, p, n);
	return 5 + n;
}

/* A valid stream: output 1 "hello" in two frames, a result, END 0. */
static size_t valid_stream(uint8_t *b)
{
	size_t n = 0;

	n += frame(b + n, SB_F_OUT, "\x01\x00\x00\x00hel", 7);
	n += frame(b + n, SB_F_OUT, "\x01\x00\x00\x00lo", 6);
	n += frame(b + n, SB_F_RESULT, "done", 4);
	n += frame(b + n, SB_F_END, "\0\0\0\0", 4);
	return n;
}

static int parse(const uint8_t *b, size_t n, size_t step, struct sb_parser *p)
{
	static const uint64_t max[3] = {0, 100, 5};
	size_t off, k;
	int rc;

	assert_int_equal(sb_parser_init(p, 3, max, 1000), 0);
	for (off = 0; off < n; off += k) {
		k = n - off < step ? n - off : step;
		if ((rc = sb_parser_feed(p, b + off, k)))
			return rc;
	}
	return sb_parser_finish(p);
}

static void test_parser_valid(void **state)
{
	uint8_t b[128];
	size_t n = valid_stream(b), step;
	struct sb_parser p;

	(void)state;
	for (step = 1; step <= n; step++) {
		assert_int_equal(parse(b, n, step, &p), 0);
		assert_int_equal(p.end, SB_END_RC);
		assert_int_equal(p.rc, 0);
		assert_string_equal(p.result, "done");
		assert_int_equal(p.outs[1].len, 5);
		assert_memory_equal(p.outs[1].data, "hello", 5);
		assert_int_equal(p.outs[0].written, 0);
		sb_parser_free(&p);
	}
	/* Every truncation fails at the end. */
	for (step = 0; step < n; step++) {
		assert_int_equal(parse(b, step, 7, &p), CU_EFORMAT);
		sb_parser_free(&p);
	}
}

static void test_parser_malformed(void **state)
{
	static const char longtext[FN_RESULT_MAX + 1] = {[0 ... FN_RESULT_MAX - 1] = 'x'};
	struct {
		uint8_t type;
		const char *p;
		uint32_t n;
		int rc;
		const char *err;
	} t[] = {
	    {0, "", 0, CU_EFORMAT, "unknown type 0"},
	    {0x11, "", 0, CU_EFORMAT, "unknown type 17"},
	    {SB_F_OUT, "\x01\0\0", 3, CU_EFORMAT, "without its index"},
	    {SB_F_OUT, "\x03\0\0\0", 4, CU_EFORMAT, "output index 3 of 3"},
	    {SB_F_OUT, "\xff\xff\xff\xffx", 5, CU_EFORMAT, "output index 4294967295"},
	    {SB_F_OUT,
	     "\x02\0\0\0"
	     "123456",
	     10, CU_ELIMIT, "more than 5 bytes in output 2"},
	    {SB_F_RESULT, longtext, FN_RESULT_MAX + 1, CU_EFORMAT, "announces 4097"},
	    {SB_F_RESULT, "a\0b", 3, CU_EFORMAT, "NUL byte in the result"},
	    {SB_F_REASON, longtext, FN_REASON_MAX, CU_EFORMAT, "announces 512"},
	    {SB_F_END, "\0\0\0", 3, CU_EFORMAT, "3 bytes instead of 4"},
	    {SB_F_FORBIDDEN, "\0\0\0\0\0", 5, CU_EFORMAT, "announces 5"},
	};
	uint8_t b[8192];
	struct sb_parser p;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = frame(b, t[i].type, t[i].p, t[i].n);
		n += frame(b + n, SB_F_END, "\0\0\0\0", 4);
		assert_int_equal(parse(b, n, n, &p), t[i].rc);
		if (!strstr(p.err, t[i].err))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, p.err, t[i].err);
		/* Once failed, it stays failed. */
		assert_int_equal(sb_parser_feed(&p, b, 1), t[i].rc);
		sb_parser_free(&p);
	}
	/* A length over the frame maximum, checked before any payload. */
	n = frame(b, SB_F_OUT, NULL, 0);
	b[1] = b[2] = b[3] = b[4] = 0xff;
	assert_int_equal(parse(b, 5, 5, &p), CU_EFORMAT);
	sb_parser_free(&p);
	/* Outputs over the limit in all (1000), announced in a header. */
	n = frame(b, SB_F_OUT, NULL, 0);
	b[1] = 0xee, b[2] = 0x03; /* 1006 bytes: index and 1002 */
	assert_int_equal(parse(b, 5, 5, &p), CU_ELIMIT);
	assert_non_null(strstr(p.err, "1000 bytes of outputs in all"));
	sb_parser_free(&p);
	/* Two results; bytes after END; a stream without END. */
	n = frame(b, SB_F_RESULT, "a", 1);
	n += frame(b + n, SB_F_RESULT, "b", 1);
	assert_int_equal(parse(b, n, n, &p), CU_EFORMAT);
	assert_non_null(strstr(p.err, "a second result"));
	sb_parser_free(&p);
	n = frame(b, SB_F_END, "\0\0\0\0", 4);
	b[n++] = 1;
	assert_int_equal(parse(b, n, 3, &p), CU_EFORMAT);
	assert_non_null(strstr(p.err, "after the last frame"));
	sb_parser_free(&p);
	n = frame(b, SB_F_RESULT, "a", 1);
	assert_int_equal(parse(b, n, n, &p), CU_EFORMAT);
	assert_non_null(strstr(p.err, "before the last frame"));
	sb_parser_free(&p);
}

/* Every single bit flipped: never a crash, never more than the limits. */
static void test_parser_bitflips(void **state)
{
	uint8_t b[128], c[128];
	size_t n = valid_stream(b), i;
	struct sb_parser p;
	int bit, rc;

	(void)state;
	for (i = 0; i < n; i++)
		for (bit = 0; bit < 8; bit++) {
			memcpy(c, b, n);
			c[i] ^= (uint8_t)(1u << bit);
			rc = parse(c, n, 3, &p);
			assert_true(rc == 0 || rc == CU_EFORMAT || rc == CU_ELIMIT);
			assert_true(p.total <= 1000);
			assert_true(!p.outs[2].written || p.outs[2].len <= 5);
			sb_parser_free(&p);
		}
}

static int spawner_on(void **state)
{
	(void)state;
	return sb_spawner_start();
}

static int spawner_off(void **state)
{
	(void)state;
	sb_spawner_stop();
	return 0;
}

/* The outcomes twice: children forked from this process, then from the spawner. */
#define OUTCOME_TESTS                                                                              \
	cmocka_unit_test(test_echo), cmocka_unit_test(test_allowed_calls),                         \
	    cmocka_unit_test(test_failed), cmocka_unit_test(test_forbidden),                       \
	    cmocka_unit_test(test_cpu_and_timeout), cmocka_unit_test(test_memory),                 \
	    cmocka_unit_test(test_output_limits), cmocka_unit_test(test_cancel),                   \
	    cmocka_unit_test(test_crashes), cmocka_unit_test(test_large_input),                    \
	    cmocka_unit_test(test_no_leaks), cmocka_unit_test(test_bad_requests)

int main(void)
{
	const struct CMUnitTest forked[] = {OUTCOME_TESTS};
	const struct CMUnitTest spawned[] = {
	    OUTCOME_TESTS,
	    cmocka_unit_test(test_threads_allocating),
	    cmocka_unit_test(test_spawner_memory),
	    cmocka_unit_test(test_spawner_gone),
	};
	const struct CMUnitTest other[] = {
	    cmocka_unit_test(test_outcome_names),
	    cmocka_unit_test(test_parser_valid),
	    cmocka_unit_test(test_parser_malformed),
	    cmocka_unit_test(test_parser_bitflips),
	};
	int failed = cmocka_run_group_tests_name("forked from this process", forked, NULL, NULL);

	failed +=
	    cmocka_run_group_tests_name("through the spawner", spawned, spawner_on, spawner_off);
	return failed + cmocka_run_group_tests_name("the parser", other, NULL, NULL);
}

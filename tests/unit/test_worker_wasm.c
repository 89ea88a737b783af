/*
 * Unit tests: the wasm executor (src/worker/wasm_exec.c), through the
 * sandbox as the platform runs it (the module travels in the request, the
 * child runs it confined) and directly in this process (so that the
 * sanitizers see the executor itself). The modules are the .wat files of
 * tests/unit/wasm/worker, converted by tests/unit/wasm/gen.sh into
 * wasm/wasm_worker_mods.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "functions/functions.h"
#include "worker/sandbox.h"
#include "worker/wasm_exec.h"

#include "wasm/wasm_worker_mods.h"

#define MOD(m) m, sizeof(m)

/* One run: a module, its limits, two arguments, one input "in", one output "out". */
struct env {
	struct fn_arg args[2];
	struct fn_input in;
	struct fn_output out;
	struct fn_ctx c;
	struct sb_result res;
};

static void env_init(struct env *e, const unsigned char *mod, size_t len, const char *in_name,
                     const char *in)
{
	memset(e, 0, sizeof(*e));
	e->args[0] = (struct fn_arg){"b", "2"};
	e->args[1] = (struct fn_arg){"a", "1"};
	e->in = (struct fn_input){in_name, (const uint8_t *)in, strlen(in)};
	e->out = (struct fn_output){.name = "out", .max = 1u << 20};
	e->c.args = e->args;
	e->c.nargs = 2;
	e->c.inputs = &e->in;
	e->c.ninputs = 1;
	e->c.outputs = &e->out;
	e->c.noutputs = 1;
	e->c.code = mod;
	e->c.code_len = len;
	e->c.fuel = 100000000;
	e->c.max_memory = 16u << 20;
}

static void env_free(struct env *e)
{
	free(e->out.data);
	e->out.data = NULL;
}

/* Through the sandbox: the outcome, with the reason in res. */
static enum sb_outcome sandboxed(struct env *e)
{
	struct sb_limits lim = {.memory = 512u << 20, .wall_ms = 60000};

	assert_int_equal(sb_run(wx_run, &e->c, &lim, NULL, &e->res), 0);
	return e->res.outcome;
}

static void expect_ok(struct env *e, const char *result)
{
	enum sb_outcome got = sandboxed(e);

	if (got != SB_OK)
		fail_msg("outcome %s \"%s\", wanted ok", sb_outcome_name(got), e->res.reason);
	assert_string_equal(e->res.result, result);
}

static void expect_failure(struct env *e, enum sb_outcome o, const char *reason)
{
	enum sb_outcome got = sandboxed(e);

	if (got != o || !strstr(e->res.reason, reason))
		fail_msg("outcome %s \"%s\", wanted %s with \"%s\"", sb_outcome_name(got),
		         e->res.reason, sb_outcome_name(o), reason);
}

/* Arguments flattened in the task's order, the input copied, the log in the result. */
static void test_copy(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, MOD(wat_copy), "in", "hello wasm");
	expect_ok(&e, "4\nb\n2\na\n1\n");
	assert_int_equal(e.out.written, 1);
	assert_int_equal(e.out.len, 10);
	assert_memory_equal(e.out.data, "hello wasm", 10);
	env_free(&e);

	/* No arguments, an empty input: an empty output, written. */
	env_init(&e, MOD(wat_copy), "in", "");
	e.c.nargs = 0;
	expect_ok(&e, "0");
	assert_int_equal(e.out.written, 1);
	assert_int_equal(e.out.len, 0);
	env_free(&e);
}

/* teaclave_open_input of a name the task does not have: -1 to the function, no failure. */
static void test_missing_input(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, MOD(wat_copy), "other", "x");
	e.c.nargs = 0;
	expect_ok(&e, "-1");
	assert_int_equal(e.out.written, 0);
	env_free(&e);
}

/* Teaclave's file functions: every check of files.wat holds (0), the output started over. */
static void test_files(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, MOD(wat_files), "in", "hello");
	e.c.nargs = 0;
	expect_ok(&e, "0");
	assert_int_equal(e.out.len, 2);
	assert_memory_equal(e.out.data, "xy", 2);
	env_free(&e);
}

/* A module over one request chunk (1 MiB) arrives whole: a 1.5 MiB custom section. */
static void test_large_module(void **state)
{
	size_t pad = 3u << 19, n = sizeof(wat_copy) + 1 + 3 + 1 + 1 + pad;
	size_t body = 1 + 1 + pad;
	unsigned char *m = malloc(n);
	struct env e;

	(void)state;
	assert_non_null(m);
	memcpy(m, wat_copy, sizeof(wat_copy));
	n = sizeof(wat_copy);
	m[n++] = 0; /* custom section, size as a 3-byte LEB128 */
	m[n++] = (unsigned char)(0x80 | (body & 0x7f));
	m[n++] = (unsigned char)(0x80 | ((body >> 7) & 0x7f));
	m[n++] = (unsigned char)(body >> 14);
	m[n++] = 1; /* name "x" */
	m[n++] = 'x';
	memset(m + n, 0xa5, pad);
	n += pad;
	env_init(&e, m, n, "in", "big");
	e.c.nargs = 0;
	expect_ok(&e, "0");
	assert_int_equal(e.out.len, 3);
	env_free(&e);
	free(m);
}

static void test_fuel(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, MOD(wat_loop), "in", "");
	e.c.fuel = 1000000;
	expect_failure(&e, SB_FAILED, "the wasm function trapped: fuel exhausted");
}

static void test_memory_limit(void **state)
{
	struct env e;

	(void)state;
	/* 100 more pages fit in 16 MiB, not in 1 MiB: memory.grow says -1. */
	env_init(&e, MOD(wat_grow), "in", "");
	expect_ok(&e, "0");
	e.c.max_memory = 1u << 20;
	expect_ok(&e, "-1");
	/* A module that starts above the limit is refused at instantiation. */
	env_init(&e, MOD(wat_bigmem), "in", "");
	e.c.max_memory = 1u << 20;
	expect_failure(&e, SB_FAILED, "cannot be instantiated");
	e.c.max_memory = 32u << 20;
	expect_ok(&e, "0");
	/* Limits outside the executor's range. */
	e.c.max_memory = 1000;
	expect_failure(&e, SB_FAILED, "memory limit must be");
	e.c.max_memory = WX_MAX_MEMORY + 1;
	expect_failure(&e, SB_FAILED, "memory limit must be");
}

static void test_traps(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, MOD(wat_oob), "in", "");
	expect_failure(&e, SB_FAILED, "the wasm function trapped: out of bounds memory access");
}

static void test_bad_modules(void **state)
{
	static const unsigned char trunc[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1};
	static const char text[] = "(module)";
	struct env e;

	(void)state;
	env_init(&e, MOD(wat_foo), "in", "");
	expect_failure(&e, SB_FAILED, "cannot be instantiated: unknown import: env.foo");
	env_init(&e, trunc, sizeof(trunc), "in", "");
	expect_failure(&e, SB_FAILED, "the wasm module is invalid");
	env_init(&e, (const unsigned char *)text, strlen(text), "in", "");
	expect_failure(&e, SB_FAILED, "the wasm module is invalid");
	/* A module without entrypoint or _start. */
	env_init(&e, wat_copy, 8, "in", "");
	expect_failure(&e, SB_FAILED, "exports neither entrypoint nor _start");
	env_init(&e, NULL, 0, "in", "");
	expect_failure(&e, SB_FAILED, "has no module");
	env_init(&e, MOD(wat_badentry), "in", "");
	expect_failure(&e, SB_FAILED, "entrypoint is not int entrypoint(int, char **)");
}

/* The output's max is the sandbox's to enforce: the child is stopped. */
static void test_output_max(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, MOD(wat_bigout), "in", "");
	expect_ok(&e, "0");
	assert_int_equal(e.out.len, 4 * 65536);
	env_free(&e);
	env_init(&e, MOD(wat_bigout), "in", "");
	e.out.max = 1000;
	expect_failure(&e, SB_OUTPUT, "more than 1000 bytes in output 0");
	env_free(&e);
}

/* A WASI command: `_start`; exit status 0 succeeds, any other fails with the log. */
static void test_command(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, MOD(wat_command), "in", "");
	e.c.nargs = 0;
	expect_ok(&e, "0\nok");
	e.c.nargs = 1;
	expect_failure(&e, SB_FAILED, "the wasm function exited with status 3 (its log: bye)");
}

/* exit() inside entrypoint: status 0 is a success, any other fails with the log. */
static void test_exit(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, MOD(wat_exit), "in", "");
	e.c.nargs = 0;
	expect_ok(&e, "0\nwhy");
	e.c.nargs = 1;
	expect_failure(&e, SB_FAILED, "the wasm function exited with status 2 (its log: why)");
}

/* The log is capped, and made valid UTF-8 without control characters. */
static void test_log(void **state)
{
	static char big[5000];
	struct env e;
	size_t n;

	(void)state;
	memset(big, 'z', sizeof(big) - 1);
	env_init(&e, MOD(wat_copy), "in", "");
	e.args[0] = (struct fn_arg){"k", "\xff\x01ok\xc3\xa9\t"};
	e.c.nargs = 1;
	expect_ok(&e, "2\nk\n? ok\xc3\xa9\t\n");
	env_free(&e);
	env_init(&e, MOD(wat_copy), "in", "");
	e.args[0] = (struct fn_arg){"k", big};
	e.c.nargs = 1;
	assert_int_equal(sandboxed(&e), SB_OK);
	n = strlen(e.res.result);
	assert_true(n <= FN_RESULT_MAX);
	assert_true(n > WX_LOG_MAX);
	assert_string_equal(e.res.result + n - strlen("\n[log truncated]"), "\n[log truncated]");
	assert_memory_equal(e.res.result, "2\nk\nzzz", 7);
	env_free(&e);
}

/* Directly in this process: the executor alone, under the sanitizers. */
static void test_direct(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, MOD(wat_copy), "in", "abc");
	assert_int_equal(wx_run(&e.c), 0);
	assert_string_equal(e.c.result, "4\nb\n2\na\n1\n");
	assert_int_equal(e.out.len, 3);
	assert_memory_equal(e.out.data, "abc", 3);
	env_free(&e);

	env_init(&e, MOD(wat_files), "in", "hello");
	assert_int_equal(wx_run(&e.c), 0);
	assert_string_equal(e.c.result, "0");
	assert_int_equal(e.out.len, 2);
	env_free(&e);

	/* Here the output's max reaches the function: its write fails with -1. */
	env_init(&e, MOD(wat_bigout), "in", "");
	e.out.max = 1000;
	assert_int_equal(wx_run(&e.c), 0);
	assert_string_equal(e.c.result, "-1");
	env_free(&e);

	env_init(&e, MOD(wat_loop), "in", "");
	e.c.fuel = 10000;
	assert_int_equal(wx_run(&e.c), CU_ETRAP);
	assert_non_null(strstr(e.c.reason, "fuel exhausted"));

	env_init(&e, MOD(wat_foo), "in", "");
	assert_int_equal(wx_run(&e.c), CU_EINVAL);
	assert_non_null(strstr(e.c.reason, "unknown import: env.foo"));

	env_init(&e, MOD(wat_command), "in", "");
	assert_int_equal(wx_run(&e.c), CU_EINVAL);
	assert_non_null(strstr(e.c.reason, "status 3"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_copy),       cmocka_unit_test(test_missing_input),
	    cmocka_unit_test(test_files),      cmocka_unit_test(test_large_module),
	    cmocka_unit_test(test_fuel),       cmocka_unit_test(test_memory_limit),
	    cmocka_unit_test(test_traps),      cmocka_unit_test(test_bad_modules),
	    cmocka_unit_test(test_output_max), cmocka_unit_test(test_command),
	    cmocka_unit_test(test_exit),       cmocka_unit_test(test_log),
	    cmocka_unit_test(test_direct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

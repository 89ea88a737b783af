/*
 * Unit tests: the platform host API (wasm_platform_resolve): the WASI
 * subset (fd_write into the capped log, args, clock, random, proc_exit) and
 * Teaclave's env.teaclave_* file functions over a struct wasm_files held in
 * memory here. The modules are the .wat files of tests/unit/wasm, converted by gen.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "wasm/wasm.h"

#include "wasm/wasm_host_mods.h"

#define WASI_EBADF  8
#define WASI_EFAULT 21
#define WASI_EINVAL 28
#define PAGE        65536u

/* In-memory files: one input, one output; handle 1 is the input, 2 the output. */
struct mfiles {
	const char *in_name;
	const uint8_t *in;
	size_t in_len, in_pos;
	int in_open, out_open;
	uint8_t out[256];
	size_t out_len;
	char out_name[64];
};

static int m_open_input(void *arg, const char *name, int32_t *h)
{
	struct mfiles *m = arg;

	if (strcmp(name, m->in_name) != 0)
		return CU_ENOTFOUND;
	m->in_open = 1;
	m->in_pos = 0;
	*h = 1;
	return 0;
}

static int m_create_output(void *arg, const char *name, int32_t *h)
{
	struct mfiles *m = arg;

	if (strlen(name) >= sizeof(m->out_name))
		return CU_EINVAL;
	strcpy(m->out_name, name);
	m->out_open = 1;
	*h = 2;
	return 0;
}

static int m_read(void *arg, int32_t h, uint8_t *buf, size_t len, size_t *got)
{
	struct mfiles *m = arg;
	size_t n = m->in_len - m->in_pos;

	if (h != 1 || !m->in_open)
		return CU_EINVAL;
	if (n > len)
		n = len;
	memcpy(buf, m->in + m->in_pos, n);
	m->in_pos += n;
	*got = n;
	return 0;
}

static int m_write(void *arg, int32_t h, const uint8_t *buf, size_t len)
{
	struct mfiles *m = arg;

	if (h != 2 || !m->out_open || len > sizeof(m->out) - m->out_len)
		return CU_EINVAL;
	memcpy(m->out + m->out_len, buf, len);
	m->out_len += len;
	return 0;
}

static int m_close(void *arg, int32_t h)
{
	struct mfiles *m = arg;

	if (h == 1 && m->in_open)
		m->in_open = 0;
	else if (h == 2 && m->out_open)
		m->out_open = 0;
	else
		return CU_EINVAL;
	return 0;
}

struct fixture {
	struct mfiles mf;
	struct wasm_files files;
	struct wasm_platform plat;
	struct wasm_module *mod;
	struct wasm_store *store;
	struct wasm_instance *inst;
	struct wasm_memory *mem;
};

static const char *const test_argv[] = {"prog", "a", "bc"};

static int setup_with(void **state, size_t log_max, int with_files)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[128];

	assert_non_null(f);
	f->mf.in_name = "in.txt";
	f->mf.in = (const uint8_t *)"0123456789";
	f->mf.in_len = 10;
	f->files =
	    (struct wasm_files){&f->mf, m_open_input, m_create_output, m_read, m_write, m_close};
	f->plat.files = with_files ? &f->files : NULL;
	f->plat.argv = test_argv;
	f->plat.argc = 3;
	f->plat.log_max = log_max;
	assert_int_equal(wasm_module_load(wat_host, sizeof(wat_host), &f->mod, err, sizeof(err)),
	                 0);
	assert_int_equal(wasm_store_new(NULL, &f->store), 0);
	assert_int_equal(
	    wasm_instantiate(f->store, f->mod, wasm_platform_resolve, &f->plat, &f->inst), 0);
	assert_non_null(f->mem = wasm_instance_memory(f->inst, 0));
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, 1024, 1);
}

static int setup_small_log(void **state)
{
	return setup_with(state, 4, 1);
}

static int setup_no_files(void **state)
{
	return setup_with(state, 1024, 0);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	wasm_store_free(f->store);
	wasm_module_free(f->mod);
	wasm_platform_release(&f->plat);
	free(f);
	return 0;
}

/* Call export name with up to four i32 arguments; returns the wasm_invoke code. */
static int call(struct fixture *f, const char *name, int32_t *ret, size_t n, ...)
{
	struct wasm_value args[4], res;
	struct wasm_extern ex;
	size_t i, nres;
	va_list ap;
	int rc;

	assert_true(n <= 4);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		args[i].type = WASM_I32;
		args[i].of.i32 = (uint32_t)va_arg(ap, int);
	}
	va_end(ap);
	assert_int_equal(wasm_instance_export(f->inst, name, &ex), 0);
	assert_int_equal(ex.kind, WASM_EXTERN_FUNC);
	nres = wasm_func_type(ex.of.func)->nresults;
	rc = wasm_invoke(f->store, ex.of.func, args, n, &res, nres);
	if (rc == 0 && nres == 1 && ret != NULL)
		*ret = (int32_t)res.of.i32;
	return rc;
}

/* call() that must succeed; its i32 result. */
static int32_t call_ok(struct fixture *f, const char *name, size_t n, int32_t a, int32_t b,
                       int32_t c, int32_t d)
{
	int32_t r = -12345;

	assert_int_equal(call(f, name, &r, n, a, b, c, d), 0);
	return r;
}

static void put(struct fixture *f, uint32_t addr, const void *buf, size_t len)
{
	assert_int_equal(wasm_memory_write(f->mem, addr, buf, len), 0);
}

static uint32_t get32(struct fixture *f, uint32_t addr)
{
	uint32_t v;

	assert_int_equal(wasm_memory_read(f->mem, addr, &v, 4), 0);
	return v;
}

/* An iovec at iov pointing at len bytes at base. */
static void put_iov(struct fixture *f, uint32_t iov, uint32_t base, uint32_t len)
{
	uint32_t v[2] = {base, len};

	put(f, iov, v, sizeof(v));
}

static void test_fd_write(void **state)
{
	struct fixture *f = *state;

	put(f, 100, "hello", 5);
	put(f, 200, "err", 3);
	put_iov(f, 0, 100, 5);
	put_iov(f, 8, 200, 3);
	assert_int_equal(call_ok(f, "fd_write", 4, 1, 0, 1, 16), 0);
	assert_int_equal(get32(f, 16), 5);
	assert_int_equal(call_ok(f, "fd_write", 4, 2, 8, 1, 16), 0);
	assert_int_equal(get32(f, 16), 3);
	/* Two iovecs in one call. */
	assert_int_equal(call_ok(f, "fd_write", 4, 1, 0, 2, 16), 0);
	assert_int_equal(get32(f, 16), 8);
	assert_string_equal(f->plat.log, "helloerrhelloerr");
	assert_int_equal(f->plat.log_len, 16);
	assert_false(f->plat.log_truncated);
}

static void test_fd_write_errors(void **state)
{
	struct fixture *f = *state;

	put(f, 100, "hello", 5);
	put_iov(f, 0, 100, 5);
	/* Only stdout and stderr. */
	assert_int_equal(call_ok(f, "fd_write", 4, 0, 0, 1, 16), WASI_EBADF);
	assert_int_equal(call_ok(f, "fd_write", 4, 3, 0, 1, 16), WASI_EBADF);
	/* The iovec array, a buffer and the result pointer out of bounds. */
	assert_int_equal(call_ok(f, "fd_write", 4, 1, PAGE - 4, 1, 16), WASI_EFAULT);
	assert_int_equal(call_ok(f, "fd_write", 4, 1, -8, 1, 16), WASI_EFAULT);
	put_iov(f, 32, PAGE - 2, 5);
	assert_int_equal(call_ok(f, "fd_write", 4, 1, 32, 1, 16), WASI_EFAULT);
	put_iov(f, 32, 100, 0xffffffffu);
	assert_int_equal(call_ok(f, "fd_write", 4, 1, 32, 1, 16), WASI_EFAULT);
	assert_int_equal(call_ok(f, "fd_write", 4, 1, 0, 1, PAGE - 3), WASI_EFAULT);
	/* Absurd iovec counts are refused before any access. */
	assert_int_equal(call_ok(f, "fd_write", 4, 1, 0, 0x7fffffff, 16), WASI_EINVAL);
}

static void test_log_cap(void **state)
{
	struct fixture *f = *state;

	put(f, 100, "hello", 5);
	put_iov(f, 0, 100, 5);
	assert_int_equal(call_ok(f, "fd_write", 4, 1, 0, 1, 16), 0);
	assert_string_equal(f->plat.log, "hell");
	assert_true(f->plat.log_truncated);
	assert_int_equal(call_ok(f, "fd_write", 4, 2, 0, 1, 16), 0);
	assert_int_equal(f->plat.log_len, 4);
}

static void test_args(void **state)
{
	struct fixture *f = *state;
	char buf[16];
	uint32_t p;

	assert_int_equal(call_ok(f, "args_sizes_get", 2, 0, 4, 0, 0), 0);
	assert_int_equal(get32(f, 0), 3);
	assert_int_equal(get32(f, 4), 10); /* "prog\0a\0bc\0" */
	assert_int_equal(call_ok(f, "args_get", 2, 16, 64, 0, 0), 0);
	assert_int_equal(p = get32(f, 16), 64);
	assert_int_equal(wasm_memory_read(f->mem, p, buf, 10), 0);
	assert_memory_equal(buf, "prog\0a\0bc\0", 10);
	assert_int_equal(get32(f, 20), 69);
	assert_int_equal(get32(f, 24), 71);
	/* Pointers out of bounds. */
	assert_int_equal(call_ok(f, "args_sizes_get", 2, PAGE - 2, 4, 0, 0), WASI_EFAULT);
	assert_int_equal(call_ok(f, "args_get", 2, PAGE - 4, 64, 0, 0), WASI_EFAULT);
	assert_int_equal(call_ok(f, "args_get", 2, 16, PAGE - 3, 0, 0), WASI_EFAULT);
}

static void test_clock(void **state)
{
	struct fixture *f = *state;
	uint64_t t0, t1;

	assert_int_equal(call_ok(f, "clock_time_get", 2, 1, 8, 0, 0), 0);
	assert_int_equal(wasm_memory_read(f->mem, 8, &t0, 8), 0);
	assert_int_equal(call_ok(f, "clock_time_get", 2, 1, 8, 0, 0), 0);
	assert_int_equal(wasm_memory_read(f->mem, 8, &t1, 8), 0);
	assert_true(t0 > 0 && t1 >= t0);
	assert_int_equal(call_ok(f, "clock_time_get", 2, 0, 8, 0, 0), 0);
	assert_int_equal(wasm_memory_read(f->mem, 8, &t0, 8), 0);
	assert_true(t0 > 1500000000ull * 1000000000ull); /* realtime: after 2017 */
	assert_int_equal(call_ok(f, "clock_time_get", 2, 4, 8, 0, 0), WASI_EINVAL);
	assert_int_equal(call_ok(f, "clock_time_get", 2, 1, PAGE - 7, 0, 0), WASI_EFAULT);
}

static void test_random(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[32], zero[32] = {0};

	assert_int_equal(call_ok(f, "random_get", 2, 0, 32, 0, 0), 0);
	assert_int_equal(wasm_memory_read(f->mem, 0, buf, 32), 0);
	assert_memory_not_equal(buf, zero, 32);
	assert_int_equal(call_ok(f, "random_get", 2, 0, 0, 0, 0), 0);
	assert_int_equal(call_ok(f, "random_get", 2, PAGE - 16, 32, 0, 0), WASI_EFAULT);
	assert_int_equal(call_ok(f, "random_get", 2, 0, -1, 0, 0), WASI_EFAULT);
}

static void test_proc_exit(void **state)
{
	struct fixture *f = *state;
	int status = -1;

	/* The invocation ends (the unreachable after the call is not reached). */
	assert_int_equal(call(f, "proc_exit", NULL, 1, 3), CU_ETRAP);
	assert_int_equal(wasm_store_exited(f->store, &status), 1);
	assert_int_equal(status, 3);
}

static void test_teaclave_files(void **state)
{
	struct fixture *f = *state;
	int32_t in, out;
	char buf[16];

	put(f, 0, "in.txt", 7);
	put(f, 8, "out.txt", 8);
	assert_true((in = call_ok(f, "open_input", 1, 0, 0, 0, 0)) >= 0);
	assert_int_equal(call_ok(f, "read_file", 3, in, 100, 4, 0), 4);
	assert_int_equal(call_ok(f, "read_file", 3, in, 104, 100, 0), 6); /* end of file */
	assert_int_equal(call_ok(f, "read_file", 3, in, 110, 100, 0), 0);
	assert_int_equal(wasm_memory_read(f->mem, 100, buf, 10), 0);
	assert_memory_equal(buf, "0123456789", 10);
	assert_true((out = call_ok(f, "create_output", 1, 8, 0, 0, 0)) >= 0);
	assert_string_equal(f->mf.out_name, "out.txt");
	assert_int_equal(call_ok(f, "write_file", 3, out, 102, 5, 0), 5);
	assert_int_equal(call_ok(f, "write_file", 3, out, 100, 0, 0), 0);
	assert_int_equal(f->mf.out_len, 5);
	assert_memory_equal(f->mf.out, "23456", 5);
	assert_int_equal(call_ok(f, "close_file", 1, in, 0, 0, 0), 0);
	assert_int_equal(call_ok(f, "close_file", 1, out, 0, 0, 0), 0);
	/* Closed handles are bad handles now. */
	assert_int_equal(call_ok(f, "close_file", 1, in, 0, 0, 0), -1);
	assert_int_equal(call_ok(f, "read_file", 3, in, 100, 4, 0), -1);
	assert_int_equal(call_ok(f, "write_file", 3, out, 100, 4, 0), -1);
}

static void test_teaclave_errors(void **state)
{
	struct fixture *f = *state;
	char buf_fill[16];
	int32_t in;

	put(f, 0, "in.txt", 7);
	put(f, 8, "missing", 8);
	assert_int_equal(call_ok(f, "open_input", 1, 8, 0, 0, 0), -1);
	/* Bad handles. */
	assert_int_equal(call_ok(f, "read_file", 3, 77, 100, 4, 0), -1);
	assert_int_equal(call_ok(f, "read_file", 3, -1, 100, 4, 0), -1);
	assert_int_equal(call_ok(f, "write_file", 3, 77, 100, 4, 0), -1);
	assert_int_equal(call_ok(f, "close_file", 1, 77, 0, 0, 0), -1);
	/* Names out of bounds or not terminated before the end of memory. */
	assert_int_equal(call_ok(f, "open_input", 1, PAGE, 0, 0, 0), -1);
	assert_int_equal(call_ok(f, "open_input", 1, -1, 0, 0, 0), -1);
	memset(buf_fill, 'x', sizeof(buf_fill));
	put(f, PAGE - sizeof(buf_fill), buf_fill, sizeof(buf_fill));
	assert_int_equal(call_ok(f, "open_input", 1, PAGE - 16, 0, 0, 0), -1);
	assert_int_equal(call_ok(f, "create_output", 1, PAGE - 16, 0, 0, 0), -1);
	/* Buffers out of bounds, oversized and negative lengths fail cleanly. */
	assert_true((in = call_ok(f, "open_input", 1, 0, 0, 0, 0)) >= 0);
	assert_int_equal(call_ok(f, "read_file", 3, in, PAGE - 2, 4, 0), -1);
	assert_int_equal(call_ok(f, "read_file", 3, in, 0, PAGE + 1, 0), -1);
	assert_int_equal(call_ok(f, "read_file", 3, in, 0, 0x7fffffff, 0), -1);
	assert_int_equal(call_ok(f, "read_file", 3, in, 0, -1, 0), -1);
	assert_int_equal(call_ok(f, "write_file", 3, in, PAGE - 2, 4, 0), -1);
	assert_int_equal(call_ok(f, "write_file", 3, in, 0, -5, 0), -1);
	/* Nothing was consumed by the failed reads. */
	assert_int_equal(f->mf.in_pos, 0);
	assert_int_equal(call_ok(f, "read_file", 3, in, 100, 3, 0), 3);
}

static void test_teaclave_no_files(void **state)
{
	struct fixture *f = *state;

	put(f, 0, "in.txt", 7);
	assert_int_equal(call_ok(f, "open_input", 1, 0, 0, 0, 0), -1);
	assert_int_equal(call_ok(f, "create_output", 1, 0, 0, 0, 0), -1);
	assert_int_equal(call_ok(f, "read_file", 3, 1, 100, 4, 0), -1);
	assert_int_equal(call_ok(f, "write_file", 3, 2, 100, 4, 0), -1);
	assert_int_equal(call_ok(f, "close_file", 1, 1, 0, 0, 0), -1);
}

static void test_unknown_import(void **state)
{
	struct wasm_platform plat = {0};
	struct wasm_module *m;
	struct wasm_store *s;
	struct wasm_instance *inst = (void *)1;

	(void)state;
	assert_int_equal(wasm_module_load(wat_unknown, sizeof(wat_unknown), &m, NULL, 0), 0);
	assert_int_equal(wasm_store_new(NULL, &s), 0);
	assert_int_not_equal(wasm_instantiate(s, m, wasm_platform_resolve, &plat, &inst), 0);
	assert_null(inst);
	assert_string_equal(wasm_store_error(s), "unknown import: wasi_snapshot_preview1.fd_read");
	wasm_store_free(s);
	wasm_module_free(m);
}

static void test_start(void **state)
{
	struct wasm_platform plat = {.log_max = 64};
	struct wasm_module *m;
	struct wasm_store *s;
	struct wasm_instance *inst;
	int status = -1;

	(void)state;
	assert_int_equal(wasm_module_load(wat_start, sizeof(wat_start), &m, NULL, 0), 0);
	assert_int_equal(wasm_store_new(NULL, &s), 0);
	assert_int_equal(wasm_instantiate(s, m, wasm_platform_resolve, &plat, &inst), 0);
	assert_int_equal(wasm_platform_start(s, inst, &status), 0);
	assert_int_equal(status, 7);
	assert_string_equal(plat.log, "hi\n");
	wasm_platform_release(&plat);
	wasm_store_free(s);
	wasm_module_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fd_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fd_write_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_log_cap, setup_small_log, teardown),
	    cmocka_unit_test_setup_teardown(test_args, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_proc_exit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_teaclave_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_teaclave_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_teaclave_no_files, setup_no_files, teardown),
	    cmocka_unit_test(test_unknown_import),
	    cmocka_unit_test(test_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

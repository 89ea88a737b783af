/*
 * wasi.c - the WASI preview1 subset of the platform: output goes to a
 * capped log, arguments come from struct wasm_platform, the environment is
 * empty, and there is no filesystem.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/err.h"
#include "wasm/platform.h"

enum {
	WASI_ESUCCESS = 0,
	WASI_EBADF = 8,
	WASI_EFAULT = 21,
	WASI_EINVAL = 28,
	WASI_EIO = 29,
	WASI_ESPIPE = 70,
};

#define WASI_MAX_IOVS 1024u

static void ret(struct wasm_value *res, uint32_t errno_)
{
	res->of.i32 = errno_;
}

static int put_u32(struct wasm_host_call *call, uint32_t addr, uint32_t v)
{
	uint8_t *p;

	if (wasm_host_mem(call, addr, 4, &p) != 0)
		return -1;
	memcpy(p, &v, 4); /* little-endian host, as exec.c */
	return 0;
}

static void log_append(struct wasm_platform *p, const uint8_t *buf, size_t n)
{
	size_t room;
	char *q;

	if (p->log == NULL) {
		if (p->log_max == 0 || (q = malloc(p->log_max + 1)) == NULL) {
			p->log_truncated = 1;
			return;
		}
		p->log = q;
		p->log_len = 0;
		p->log[0] = '\0';
	}
	room = p->log_max - p->log_len;
	if (n > room) {
		n = room;
		p->log_truncated = 1;
	}
	memcpy(p->log + p->log_len, buf, n);
	p->log_len += n;
	p->log[p->log_len] = '\0';
}

static int fd_write(struct wasm_host_call *call, void *user, const struct wasm_value *a,
                    struct wasm_value *res)
{
	uint32_t fd = a[0].of.i32, iovs = a[1].of.i32, n = a[2].of.i32, i, total = 0;
	uint8_t *iov, *buf;

	if (fd != 1 && fd != 2)
		return ret(res, WASI_EBADF), 0;
	if (n > WASI_MAX_IOVS)
		return ret(res, WASI_EINVAL), 0;
	for (i = 0; i < n; i++) {
		uint32_t base, len;
		if (wasm_host_mem(call, (uint64_t)iovs + 8 * (uint64_t)i, 8, &iov) != 0)
			return ret(res, WASI_EFAULT), 0;
		memcpy(&base, iov, 4);
		memcpy(&len, iov + 4, 4);
		if (wasm_host_mem(call, base, len, &buf) != 0)
			return ret(res, WASI_EFAULT), 0;
		log_append(user, buf, len);
		total += len;
	}
	ret(res, put_u32(call, a[3].of.i32, total) ? WASI_EFAULT : WASI_ESUCCESS);
	return 0;
}

static int args_sizes_get(struct wasm_host_call *call, void *user, const struct wasm_value *a,
                          struct wasm_value *res)
{
	struct wasm_platform *p = user;
	size_t i, size = 0;

	for (i = 0; i < p->argc; i++)
		size += strlen(p->argv[i]) + 1;
	if (size > WASM_MAX_ARG_BYTES || p->argc > WASM_MAX_ARGS)
		return ret(res, WASI_EINVAL), 0;
	if (put_u32(call, a[0].of.i32, (uint32_t)p->argc) ||
	    put_u32(call, a[1].of.i32, (uint32_t)size))
		return ret(res, WASI_EFAULT), 0;
	return ret(res, WASI_ESUCCESS), 0;
}

static int args_get(struct wasm_host_call *call, void *user, const struct wasm_value *a,
                    struct wasm_value *res)
{
	struct wasm_platform *p = user;
	uint32_t argv = a[0].of.i32, buf = a[1].of.i32;
	uint8_t *dst;
	size_t i, len;

	if (p->argc > WASM_MAX_ARGS)
		return ret(res, WASI_EINVAL), 0;
	for (i = 0; i < p->argc; i++) {
		len = strlen(p->argv[i]) + 1;
		if (len > WASM_MAX_ARG_BYTES || put_u32(call, argv + 4 * (uint32_t)i, buf) ||
		    wasm_host_mem(call, buf, len, &dst) != 0)
			return ret(res, WASI_EFAULT), 0;
		memcpy(dst, p->argv[i], len);
		buf += (uint32_t)len;
	}
	return ret(res, WASI_ESUCCESS), 0;
}

static int environ_sizes_get(struct wasm_host_call *call, void *user, const struct wasm_value *a,
                             struct wasm_value *res)
{
	(void)user;
	if (put_u32(call, a[0].of.i32, 0) || put_u32(call, a[1].of.i32, 0))
		return ret(res, WASI_EFAULT), 0;
	return ret(res, WASI_ESUCCESS), 0;
}

static int environ_get(struct wasm_host_call *call, void *user, const struct wasm_value *a,
                       struct wasm_value *res)
{
	(void)call;
	(void)user;
	(void)a;
	return ret(res, WASI_ESUCCESS), 0;
}

static int clock_time_get(struct wasm_host_call *call, void *user, const struct wasm_value *a,
                          struct wasm_value *res)
{
	struct timespec ts;
	uint64_t ns;
	uint8_t *p;

	(void)user;
	/* 0 realtime, 1 monotonic, 2 and 3 process and thread CPU time. */
	static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
	                                CLOCK_THREAD_CPUTIME_ID};
	if (a[0].of.i32 > 3)
		return ret(res, WASI_EINVAL), 0;
	if (clock_gettime(ids[a[0].of.i32], &ts) != 0)
		return ret(res, WASI_EIO), 0;
	ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (wasm_host_mem(call, a[2].of.i32, 8, &p) != 0)
		return ret(res, WASI_EFAULT), 0;
	memcpy(p, &ns, 8);
	return ret(res, WASI_ESUCCESS), 0;
}

static int random_get(struct wasm_host_call *call, void *user, const struct wasm_value *a,
                      struct wasm_value *res)
{
	uint8_t *p;
	size_t done = 0, n = a[1].of.i32;
	ssize_t k;

	(void)user;
	if (wasm_host_mem(call, a[0].of.i32, n, &p) != 0)
		return ret(res, WASI_EFAULT), 0;
	while (done < n) {
		k = getrandom(p + done, n - done, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return ret(res, WASI_EIO), 0;
		done += (size_t)k;
	}
	return ret(res, WASI_ESUCCESS), 0;
}

static int proc_exit(struct wasm_host_call *call, void *user, const struct wasm_value *a,
                     struct wasm_value *res)
{
	(void)user;
	(void)res;
	return wasm_host_exit(call, (int)a[0].of.i32);
}

static int fd_close(struct wasm_host_call *call, void *user, const struct wasm_value *a,
                    struct wasm_value *res)
{
	(void)call;
	(void)user;
	return ret(res, a[0].of.i32 <= 2 ? WASI_ESUCCESS : WASI_EBADF), 0;
}

static int fd_seek(struct wasm_host_call *call, void *user, const struct wasm_value *a,
                   struct wasm_value *res)
{
	(void)call;
	(void)user;
	return ret(res, a[0].of.i32 <= 2 ? WASI_ESPIPE : WASI_EBADF), 0;
}

/* fdstat: filetype u8, flags u16, rights_base u64, rights_inheriting u64 (24 bytes). */
static int fd_fdstat_get(struct wasm_host_call *call, void *user, const struct wasm_value *a,
                         struct wasm_value *res)
{
	uint8_t *p;

	(void)user;
	if (a[0].of.i32 > 2)
		return ret(res, WASI_EBADF), 0;
	if (wasm_host_mem(call, a[1].of.i32, 24, &p) != 0)
		return ret(res, WASI_EFAULT), 0;
	memset(p, 0, 24);
	p[0] = 2;    /* character device */
	p[8] = 0x40; /* rights: fd_write only (bit 6) */
	return ret(res, WASI_ESUCCESS), 0;
}

static const uint8_t t_i[] = {WASM_I32};
static const uint8_t t_ii[] = {WASM_I32, WASM_I32};
static const uint8_t t_iiii[] = {WASM_I32, WASM_I32, WASM_I32, WASM_I32};
static const uint8_t t_iIi[] = {WASM_I32, WASM_I64, WASM_I32};
static const uint8_t t_iIii[] = {WASM_I32, WASM_I64, WASM_I32, WASM_I32};

static const struct wasm_host_def wasi_defs[] = {
    {"fd_write", {4, 1, t_iiii, t_i}, fd_write},
    {"args_sizes_get", {2, 1, t_ii, t_i}, args_sizes_get},
    {"args_get", {2, 1, t_ii, t_i}, args_get},
    {"environ_sizes_get", {2, 1, t_ii, t_i}, environ_sizes_get},
    {"environ_get", {2, 1, t_ii, t_i}, environ_get},
    {"clock_time_get", {3, 1, t_iIi, t_i}, clock_time_get},
    {"random_get", {2, 1, t_ii, t_i}, random_get},
    {"proc_exit", {1, 0, t_i, NULL}, proc_exit},
    {"fd_close", {1, 1, t_i, t_i}, fd_close},
    {"fd_seek", {4, 1, t_iIii, t_i}, fd_seek},
    {"fd_fdstat_get", {2, 1, t_ii, t_i}, fd_fdstat_get},
};

void wasm_wasi_defs(const struct wasm_host_def **defs, size_t *n)
{
	*defs = wasi_defs;
	*n = sizeof(wasi_defs) / sizeof(wasi_defs[0]);
}

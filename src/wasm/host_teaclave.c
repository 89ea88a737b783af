/*
 * host_teaclave.c - Teaclave's file functions of module "env", over the
 * worker's abstract file interface (struct wasm_files), and the platform
 * resolver that serves them and WASI (wasi.c).
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "wasm/internal.h"
#include "wasm/platform.h"

#define TEACLAVE_ERR ((uint32_t)-1)

/* A NUL-terminated name in linear memory, copied out (at most WASM_MAX_FILE_NAME). */
static int read_cstr(struct wasm_host_call *call, uint32_t addr, char *out, size_t max)
{
	struct wasm_memory *mem = wasm_instance_memory(wasm_host_instance(call), 0);
	uint64_t size;
	size_t i;
	uint8_t c;

	if (mem == NULL)
		return CU_EINVAL;
	size = wasm_memory_size(mem);
	for (i = 0; i < max; i++) {
		if (addr + (uint64_t)i >= size || wasm_memory_read(mem, addr + i, &c, 1) != 0)
			return CU_EINVAL;
		out[i] = (char)c;
		if (c == 0)
			return 0;
	}
	return CU_ELIMIT;
}

static int t_open(struct wasm_host_call *call, struct wasm_platform *p, uint32_t name_ptr,
                  int output, struct wasm_value *res)
{
	char name[WASM_MAX_FILE_NAME];
	int32_t h = -1;
	int rc;

	res->of.i32 = TEACLAVE_ERR;
	if (p->files == NULL || read_cstr(call, name_ptr, name, sizeof(name)) != 0)
		return 0;
	if (output)
		rc = p->files->create_output(p->files->arg, name, &h);
	else
		rc = p->files->open_input(p->files->arg, name, &h);
	if (rc == 0 && h >= 0)
		res->of.i32 = (uint32_t)h;
	return 0;
}

static int t_open_input(struct wasm_host_call *call, void *user, const struct wasm_value *args,
                        struct wasm_value *res)
{
	return t_open(call, user, args[0].of.i32, 0, res);
}

static int t_create_output(struct wasm_host_call *call, void *user, const struct wasm_value *args,
                           struct wasm_value *res)
{
	return t_open(call, user, args[0].of.i32, 1, res);
}

static int t_read(struct wasm_host_call *call, void *user, const struct wasm_value *args,
                  struct wasm_value *res)
{
	struct wasm_platform *p = user;
	int32_t n = (int32_t)args[2].of.i32;
	uint8_t *buf;
	size_t got = 0;

	res->of.i32 = TEACLAVE_ERR;
	if (p->files == NULL || n < 0 ||
	    wasm_host_mem(call, args[1].of.i32, (uint64_t)n, &buf) != 0)
		return 0;
	if (p->files->read(p->files->arg, (int32_t)args[0].of.i32, buf, (size_t)n, &got) == 0 &&
	    got <= (size_t)n)
		res->of.i32 = (uint32_t)got;
	return 0;
}

static int t_write(struct wasm_host_call *call, void *user, const struct wasm_value *args,
                   struct wasm_value *res)
{
	struct wasm_platform *p = user;
	int32_t n = (int32_t)args[2].of.i32;
	uint8_t *buf;

	res->of.i32 = TEACLAVE_ERR;
	if (p->files == NULL || n < 0 ||
	    wasm_host_mem(call, args[1].of.i32, (uint64_t)n, &buf) != 0)
		return 0;
	if (p->files->write(p->files->arg, (int32_t)args[0].of.i32, buf, (size_t)n) == 0)
		res->of.i32 = (uint32_t)n;
	return 0;
}

static int t_close(struct wasm_host_call *call, void *user, const struct wasm_value *args,
                   struct wasm_value *res)
{
	struct wasm_platform *p = user;

	(void)call;
	res->of.i32 = TEACLAVE_ERR;
	if (p->files != NULL && p->files->close(p->files->arg, (int32_t)args[0].of.i32) == 0)
		res->of.i32 = 0;
	return 0;
}

static const uint8_t sig_i[] = {WASM_I32};
static const uint8_t sig_iii[] = {WASM_I32, WASM_I32, WASM_I32};

static const struct wasm_host_def teaclave_defs[] = {
    {"teaclave_open_input", {1, 1, sig_i, sig_i}, t_open_input},
    {"teaclave_create_output", {1, 1, sig_i, sig_i}, t_create_output},
    {"teaclave_read_file", {3, 1, sig_iii, sig_i}, t_read},
    {"teaclave_write_file", {3, 1, sig_iii, sig_i}, t_write},
    {"teaclave_close_file", {1, 1, sig_i, sig_i}, t_close},
};

static int resolve_in(const struct wasm_host_def *defs, size_t n, struct wasm_platform *p,
                      struct wasm_store *s, const struct wasm_import_info *imp,
                      struct wasm_extern *out)
{
	size_t i;

	if (imp->kind != WASM_EXTERN_FUNC)
		return CU_ENOTFOUND;
	for (i = 0; i < n; i++) {
		if (strlen(defs[i].name) != imp->name_len || strcmp(defs[i].name, imp->name) != 0)
			continue;
		out->kind = WASM_EXTERN_FUNC;
		return wasm_host_func_new(s, &defs[i].type, defs[i].fn, p, &out->of.func);
	}
	return CU_ENOTFOUND;
}

int wasm_platform_resolve(void *arg, struct wasm_store *s, const struct wasm_import_info *imp,
                          struct wasm_extern *out)
{
	const struct wasm_host_def *defs;
	size_t n;

	if (strcmp(imp->module, "env") == 0 && imp->module_len == 3)
		return resolve_in(teaclave_defs, sizeof(teaclave_defs) / sizeof(teaclave_defs[0]),
		                  arg, s, imp, out);
	if (strcmp(imp->module, "wasi_snapshot_preview1") == 0 &&
	    imp->module_len == strlen("wasi_snapshot_preview1")) {
		wasm_wasi_defs(&defs, &n);
		return resolve_in(defs, n, arg, s, imp, out);
	}
	return CU_ENOTFOUND;
}

void wasm_platform_release(struct wasm_platform *p)
{
	if (p == NULL)
		return;
	free(p->log);
	p->log = NULL;
	p->log_len = 0;
}

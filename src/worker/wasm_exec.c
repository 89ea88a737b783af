/*
 * wasm_exec.c - the `wasm` executor, run in the sandbox's child
 * (wasm_exec.h): the task's inputs and outputs as Teaclave's files, the
 * task's arguments as Teaclave's flattened argv, and the result text.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "wasm/wasm.h"
#include "worker/wasm_exec.h"

#define WX_PROGRAM    "function" /* argv[0] of a WASI command */
#define WX_TRUNCATED  "\n[log truncated]"
#define WX_REASON_LOG 160 /* bytes of the log quoted in a failure's reason */

/* ---- Teaclave's files over the task's inputs and outputs ---- */

struct wx_handle {
	int used;
	int output;
	size_t idx; /* into ctx->inputs or ctx->outputs */
	size_t pos; /* inputs: bytes read so far */
};

struct wx_files {
	struct fn_ctx *c;
	struct wx_handle h[WX_MAX_HANDLES];
};

static int handle_new(struct wx_files *f, int output, size_t idx, int32_t *handle)
{
	for (int32_t i = 0; i < WX_MAX_HANDLES; i++) {
		if (f->h[i].used)
			continue;
		f->h[i] = (struct wx_handle){1, output, idx, 0};
		*handle = i;
		return 0;
	}
	return CU_ELIMIT;
}

static struct wx_handle *handle_get(struct wx_files *f, int32_t handle, int output)
{
	if (handle < 0 || handle >= WX_MAX_HANDLES || !f->h[handle].used ||
	    f->h[handle].output != output)
		return NULL;
	return &f->h[handle];
}

static int files_open_input(void *arg, const char *name, int32_t *handle)
{
	struct wx_files *f = arg;

	for (size_t i = 0; i < f->c->ninputs; i++)
		if (f->c->inputs[i].name && !strcmp(f->c->inputs[i].name, name))
			return handle_new(f, 0, i, handle);
	return CU_ENOTFOUND;
}

/*
 * An output is created empty: creating it again (after closing it) starts
 * it over, as creating a file would. It may be open only once at a time.
 */
static int files_create_output(void *arg, const char *name, int32_t *handle)
{
	struct wx_files *f = arg;
	struct fn_output *o;
	size_t i;

	for (i = 0; i < f->c->noutputs; i++)
		if (f->c->outputs[i].name && !strcmp(f->c->outputs[i].name, name))
			break;
	if (i == f->c->noutputs)
		return CU_ENOTFOUND;
	for (int32_t k = 0; k < WX_MAX_HANDLES; k++)
		if (f->h[k].used && f->h[k].output && f->h[k].idx == i)
			return CU_ESTATE;
	o = &f->c->outputs[i];
	if (o->len)
		cu_wipe(o->data, o->len);
	o->len = 0;
	o->written = 1;
	return handle_new(f, 1, i, handle);
}

static int files_read(void *arg, int32_t handle, uint8_t *buf, size_t len, size_t *got)
{
	struct wx_files *f = arg;
	struct wx_handle *h = handle_get(f, handle, 0);
	const struct fn_input *in;
	size_t n;

	*got = 0;
	if (!h)
		return CU_EINVAL;
	in = &f->c->inputs[h->idx];
	n = in->len - h->pos < len ? in->len - h->pos : len;
	if (n)
		memcpy(buf, in->data + h->pos, n);
	h->pos += n;
	*got = n;
	return 0;
}

static int files_write(void *arg, int32_t handle, const uint8_t *buf, size_t len)
{
	struct wx_files *f = arg;
	struct wx_handle *h = handle_get(f, handle, 1);

	if (!h)
		return CU_EINVAL;
	return fn_output_write(&f->c->outputs[h->idx], buf, len);
}

static int files_close(void *arg, int32_t handle)
{
	struct wx_files *f = arg;

	if (handle < 0 || handle >= WX_MAX_HANDLES || !f->h[handle].used)
		return CU_EINVAL;
	f->h[handle].used = 0;
	return 0;
}

/* ---- arguments ---- */

/*
 * argv = WX_PROGRAM, name, value, name, value, ...: a WASI command gets all
 * of it, Teaclave's entrypoint the part after WX_PROGRAM.
 */
static int flatten_args(const struct fn_ctx *c, const char ***out, size_t *n)
{
	const char **v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (c->nargs > (WASM_MAX_ARGS - 1) / 2)
		return CU_ELIMIT;
	if (!(v = cu_calloc(2 * c->nargs + 2, sizeof(*v))))
		return CU_ENOMEM;
	v[0] = WX_PROGRAM;
	for (i = 0; i < c->nargs; i++) {
		v[1 + 2 * i] = c->args[i].name;
		v[2 + 2 * i] = c->args[i].value;
	}
	*out = v;
	*n = 1 + 2 * c->nargs;
	return 0;
}

/* ---- the result text ---- */

/* Bytes of the valid UTF-8 sequence at s[0..n), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0; /* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f; /* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90; /* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f; /* beyond U+10FFFF */
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * Append the log s[0..n) to out (which holds *at bytes of cap) as text:
 * valid UTF-8, control characters but newline and tab as spaces, invalid
 * bytes as '?'. Stops before a sequence that does not fit; returns how many
 * bytes of s it took.
 */
static size_t append_clean(char *out, size_t cap, size_t *at, const char *s, size_t n, int one_line)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n && *at + 1 < cap) {
		k = utf8_len(u + i, n - i);
		if (k == 0) {
			out[(*at)++] = '?';
			i++;
			continue;
		}
		if (k == 1) {
			int keep = !one_line && (u[i] == '\n' || u[i] == '\t');

			out[(*at)++] = u[i] < 0x20 && !keep ? ' ' : u[i] == 0x7f ? ' ' : (char)u[i];
			i++;
			continue;
		}
		if (*at + k + 1 > cap)
			break;
		memcpy(out + *at, s + i, k);
		*at += k;
		i += k;
	}
	out[*at] = '\0';
	return i;
}

static void set_result(struct fn_ctx *c, int32_t value, const struct wasm_platform *plat)
{
	size_t at, took;
	int n;

	n = snprintf(c->result, sizeof(c->result), "%" PRId32, value);
	at = n > 0 ? (size_t)n : 0;
	if (!plat->log_len)
		return;
	c->result[at++] = '\n';
	took = append_clean(c->result, sizeof(c->result) - sizeof(WX_TRUNCATED) + 1, &at, plat->log,
	                    plat->log_len, 0);
	if (plat->log_truncated || took < plat->log_len)
		memcpy(c->result + at, WX_TRUNCATED, sizeof(WX_TRUNCATED));
}

/* A failure's reason, with the start of the log when there is one. */
static int fail_with_log(struct fn_ctx *c, int rc, const char *what,
                         const struct wasm_platform *plat)
{
	char log[WX_REASON_LOG + 1];
	size_t at = 0, took;

	if (!plat->log_len)
		return fn_fail(c, rc, "%s", what);
	took = append_clean(log, sizeof(log), &at, plat->log, plat->log_len, 1);
	return fn_fail(c, rc, "%s (its log: %s%s)", what, log,
	               took < plat->log_len || plat->log_truncated ? "..." : "");
}

/* ---- running ---- */

static int has_export(const struct wasm_instance *inst, const char *name, struct wasm_func **f)
{
	struct wasm_extern e;

	*f = NULL;
	if (wasm_instance_export(inst, name, &e) || e.kind != WASM_EXTERN_FUNC)
		return 0;
	*f = e.of.func;
	return 1;
}

/* The WASI reactor initialiser (wasi-libc's constructors), when the module has one. */
static int run_initialize(struct wasm_store *s, struct wasm_instance *inst)
{
	const struct wasm_functype *t;
	struct wasm_func *f;

	if (!has_export(inst, "_initialize", &f))
		return 0;
	t = wasm_func_type(f);
	if (t->nparams || t->nresults)
		return CU_EINVAL;
	return wasm_invoke(s, f, NULL, 0, NULL, 0);
}

/*
 * Teaclave's entrypoint, after the WASI reactor initialiser. exit() (WASI
 * proc_exit) inside it ends it as it ends a command: *status says how.
 */
static int call_entrypoint(struct wasm_store *s, struct wasm_instance *inst,
                           const struct wasm_platform *plat, int32_t *ret, int *status)
{
	int rc = run_initialize(s, inst);

	if (!rc)
		rc = wasm_platform_entrypoint(s, inst, plat->argv + 1, plat->argc - 1, ret);
	if (rc == CU_ETRAP && wasm_store_exited(s, status)) {
		*ret = *status;
		return 0;
	}
	return rc;
}

/* Entry point, then the result or the failure. */
static int run_entry(struct fn_ctx *c, struct wasm_store *s, struct wasm_instance *inst,
                     struct wasm_platform *plat)
{
	char what[FN_REASON_MAX];
	struct wasm_func *f;
	int32_t ret = 0;
	int status = 0, rc;

	if (has_export(inst, "entrypoint", &f) && !wasm_instance_memory(inst, 0))
		return fn_fail(c, CU_EINVAL, "the wasm module has no memory to pass argv in");
	if (f)
		rc = call_entrypoint(s, inst, plat, &ret, &status);
	else if (has_export(inst, "_start", &f))
		ret = (rc = wasm_platform_start(s, inst, &status)) ? 0 : status;
	else
		return fn_fail(c, CU_ENOTFOUND,
		               "the wasm module exports neither entrypoint nor _start");
	if (rc == CU_ETRAP) {
		snprintf(what, sizeof(what), "the wasm function trapped: %s", wasm_store_error(s));
		return fail_with_log(c, rc, what, plat);
	}
	if (rc == CU_ELIMIT)
		return fn_fail(c, rc,
		               "the task's arguments do not fit in the wasm function's memory");
	if (rc == CU_ENOTFOUND || rc == CU_EINVAL)
		return fn_fail(c, rc,
		               "the wasm module's entrypoint is not int entrypoint(int, char **), "
		               "or its _initialize is not void _initialize(void)");
	if (rc)
		return fn_fail(c, rc, "the wasm function could not run: %s", cu_strerror(rc));
	if (status) {
		snprintf(what, sizeof(what), "the wasm function exited with status %d", status);
		return fail_with_log(c, CU_EINVAL, what, plat);
	}
	set_result(c, ret, plat);
	return 0;
}

static int config_of(struct fn_ctx *c, struct wasm_config *cfg)
{
	uint64_t mem = c->max_memory ? c->max_memory : WX_DEF_MEMORY;

	memset(cfg, 0, sizeof(*cfg));
	if (mem < WASM_PAGE_SIZE || mem > WX_MAX_MEMORY)
		return fn_fail(c, CU_ELIMIT, "the wasm memory limit must be %u bytes to 4 GiB",
		               WASM_PAGE_SIZE);
	cfg->fuel = c->fuel ? c->fuel : WX_DEF_FUEL;
	cfg->max_memory_pages = (uint32_t)(mem / WASM_PAGE_SIZE);
	return 0;
}

int wx_run(struct fn_ctx *c)
{
	struct wasm_platform plat;
	struct wasm_files files;
	struct wx_files wf;
	struct wasm_config cfg;
	struct wasm_module *m = NULL;
	struct wasm_store *s = NULL;
	struct wasm_instance *inst = NULL;
	char err[WASM_MAX_ERROR];
	const char **argv = NULL;
	int rc;

	memset(&plat, 0, sizeof(plat));
	memset(&wf, 0, sizeof(wf));
	err[0] = '\0';
	if (!c->code || !c->code_len)
		return fn_fail(c, CU_EINVAL, "the wasm function has no module");
	if ((rc = config_of(c, &cfg)))
		return rc;
	if ((rc = flatten_args(c, &argv, &plat.argc)))
		return fn_fail(c, rc, "the task has too many arguments for a wasm function");
	if ((rc = wasm_module_load(c->code, c->code_len, &m, err, sizeof(err)))) {
		rc = fn_fail(c, rc == CU_ENOMEM ? rc : CU_EFORMAT, "the wasm module is invalid: %s",
		             err);
		goto out;
	}
	if ((rc = wasm_store_new(&cfg, &s))) {
		rc = fn_fail(c, rc, "no wasm store: %s", cu_strerror(rc));
		goto out;
	}
	wf.c = c;
	files = (struct wasm_files){&wf,        files_open_input, files_create_output,
	                            files_read, files_write,      files_close};
	plat.files = &files;
	plat.argv = argv;
	plat.log_max = WX_LOG_MAX;
	if ((rc = wasm_instantiate(s, m, wasm_platform_resolve, &plat, &inst))) {
		rc = fn_fail(c, rc == CU_ENOMEM ? rc : CU_EINVAL,
		             "the wasm module cannot be instantiated: %s", wasm_store_error(s));
		goto out;
	}
	rc = run_entry(c, s, inst, &plat);
out:
	if (plat.log)
		cu_wipe(plat.log, plat.log_len);
	wasm_platform_release(&plat);
	wasm_store_free(s);
	wasm_module_free(m);
	free(argv);
	return rc;
}

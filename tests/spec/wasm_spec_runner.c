/*
 * wasm_spec_runner - runs one WebAssembly specification script, converted
 * by wabt's wast2json, against the Custos interpreter.
 *
 * Usage: wasm_spec_runner FILE.json
 *
 * Every command is run: module, register, action, assert_return (with
 * nan:canonical / nan:arithmetic and references), assert_trap,
 * assert_exhaustion, assert_invalid, assert_malformed, assert_unlinkable and
 * assert_uninstantiable, with the "spectest" host module. Modules in the
 * text format (assert_malformed/assert_invalid of .wat files) are skipped
 * and counted as such: we have no text parser. Prints passed/total and exits
 * non-zero on any failure.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/file.h"
#include "common/json.h"
#include "wasm/wasm.h"

#define MAX_JSON    (512u << 20)
#define MAX_NAMES   256
#define MAX_VALUES  WASM_MAX_PARAMS
#define RUNNER_FUEL (1ull << 40)

struct named {
	char *name;
	size_t len;
	struct wasm_instance *inst;
};

struct spectest {
	struct wasm_func *print[7];
	struct wasm_global *g_i32, *g_i64, *g_f32, *g_f64;
	struct wasm_table *table;
	struct wasm_memory *memory;
};

struct runner {
	const char *dir;
	const char *file;
	struct wasm_store *store;
	struct spectest st;
	struct wasm_instance *current;
	struct named mods[MAX_NAMES]; /* $name -> instance */
	struct named regs[MAX_NAMES]; /* register "as" -> instance */
	size_t nmods, nregs;
	struct wasm_module *modules[4096]; /* kept until the end */
	size_t nmodules;
	unsigned passed, failed, skipped;
	int verbose;
};

static int print_fn(struct wasm_host_call *call, void *user, const struct wasm_value *args,
                    struct wasm_value *results)
{
	(void)call;
	(void)user;
	(void)args;
	(void)results;
	return 0;
}

static int spectest_init(struct runner *r)
{
	static const uint8_t i32[] = {WASM_I32}, i64[] = {WASM_I64}, f32[] = {WASM_F32},
	                     f64[] = {WASM_F64}, i32f32[] = {WASM_I32, WASM_F32},
	                     f64f64[] = {WASM_F64, WASM_F64};
	const struct wasm_functype types[7] = {
	    {0, 0, NULL, NULL}, {1, 0, i32, NULL},    {1, 0, i64, NULL},    {1, 0, f32, NULL},
	    {1, 0, f64, NULL},  {2, 0, i32f32, NULL}, {2, 0, f64f64, NULL},
	};
	struct wasm_limits tl = {10, 20, 1}, ml = {1, 2, 1};
	struct wasm_value v;
	int i, rc;

	for (i = 0; i < 7; i++)
		if ((rc = wasm_host_func_new(r->store, &types[i], print_fn, NULL,
		                             &r->st.print[i])) != 0)
			return rc;
	v.type = WASM_I32;
	v.of.i64 = 0;
	v.of.i32 = 666;
	if ((rc = wasm_global_new(r->store, &v, 0, &r->st.g_i32)) != 0)
		return rc;
	v.type = WASM_I64;
	v.of.i64 = 666;
	if ((rc = wasm_global_new(r->store, &v, 0, &r->st.g_i64)) != 0)
		return rc;
	v.type = WASM_F32;
	v.of.i64 = 0;
	v.of.f32 = 0x4426a666; /* 666.6f */
	if ((rc = wasm_global_new(r->store, &v, 0, &r->st.g_f32)) != 0)
		return rc;
	v.type = WASM_F64;
	v.of.f64 = 0x4084d4cccccccccdull; /* 666.6 */
	if ((rc = wasm_global_new(r->store, &v, 0, &r->st.g_f64)) != 0)
		return rc;
	if ((rc = wasm_table_new(r->store, WASM_FUNCREF, &tl, &r->st.table)) != 0)
		return rc;
	return wasm_memory_new(r->store, &ml, &r->st.memory);
}

static int spectest_resolve(struct runner *r, const char *name, struct wasm_extern *out)
{
	static const char *const prints[7] = {"print",        "print_i32", "print_i64",
	                                      "print_f32",    "print_f64", "print_i32_f32",
	                                      "print_f64_f64"};
	int i;

	for (i = 0; i < 7; i++) {
		if (strcmp(name, prints[i]) == 0) {
			out->kind = WASM_EXTERN_FUNC;
			out->of.func = r->st.print[i];
			return 0;
		}
	}
	out->kind = WASM_EXTERN_GLOBAL;
	if (strcmp(name, "global_i32") == 0)
		out->of.global = r->st.g_i32;
	else if (strcmp(name, "global_i64") == 0)
		out->of.global = r->st.g_i64;
	else if (strcmp(name, "global_f32") == 0)
		out->of.global = r->st.g_f32;
	else if (strcmp(name, "global_f64") == 0)
		out->of.global = r->st.g_f64;
	else if (strcmp(name, "table") == 0) {
		out->kind = WASM_EXTERN_TABLE;
		out->of.table = r->st.table;
	} else if (strcmp(name, "memory") == 0) {
		out->kind = WASM_EXTERN_MEMORY;
		out->of.memory = r->st.memory;
	} else
		return CU_ENOTFOUND;
	return 0;
}

static struct wasm_instance *lookup(const struct named *tab, size_t n, const char *name, size_t len)
{
	size_t i;

	for (i = n; i-- > 0;)
		if (tab[i].len == len && memcmp(tab[i].name, name, len) == 0)
			return tab[i].inst;
	return NULL;
}

static int resolve(void *arg, struct wasm_store *s, const struct wasm_import_info *imp,
                   struct wasm_extern *out)
{
	struct runner *r = arg;
	struct wasm_instance *inst;

	(void)s;
	if (strcmp(imp->module, "spectest") == 0)
		return spectest_resolve(r, imp->name, out);
	if ((inst = lookup(r->regs, r->nregs, imp->module, imp->module_len)) == NULL)
		return CU_ENOTFOUND;
	return wasm_instance_export_n(inst, imp->name, imp->name_len, out);
}

static int add_name(struct named *tab, size_t *n, const char *name, struct wasm_instance *inst)
{
	if (*n == MAX_NAMES)
		return CU_ELIMIT;
	if ((tab[*n].name = strdup(name)) == NULL)
		return CU_ENOMEM;
	tab[*n].len = strlen(name);
	tab[*n].inst = inst;
	(*n)++;
	return 0;
}

static int load(struct runner *r, const char *filename, struct wasm_module **m, char *err,
                size_t errlen)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	*m = NULL;
	snprintf(path, sizeof(path), "%s/%s", r->dir, filename);
	if ((rc = cu_file_read(path, WASM_MAX_MODULE_SIZE, &buf, &len)) != 0) {
		snprintf(err, errlen, "cannot read %.100s: %s", filename, cu_strerror(rc));
		return rc;
	}
	rc = wasm_module_load(buf, len, m, err, errlen);
	free(buf);
	if (rc == 0 && r->nmodules < sizeof(r->modules) / sizeof(r->modules[0]))
		r->modules[r->nmodules++] = *m;
	else if (rc == 0) {
		wasm_module_free(*m);
		*m = NULL;
		snprintf(err, errlen, "too many modules");
		return CU_ELIMIT;
	}
	return rc;
}

static void fail(struct runner *r, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct runner *r, int line, const char *fmt, ...)
{
	va_list ap;

	r->failed++;
	printf("%s:%d: FAIL: ", r->file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int parse_value(const json_t *j, struct wasm_value *v, int *nan)
{
	const char *type, *val;
	static const struct {
		const char *name;
		uint8_t t;
	} types[] = {{"i32", WASM_I32}, {"i64", WASM_I64},         {"f32", WASM_F32},
	             {"f64", WASM_F64}, {"funcref", WASM_FUNCREF}, {"externref", WASM_EXTERNREF}};
	size_t i;

	memset(v, 0, sizeof(*v));
	*nan = 0;
	if (cu_json_get_str(j, "type", &type) != 0 || cu_json_get_str(j, "value", &val) != 0)
		return CU_EFORMAT;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i].name) == 0)
			v->type = types[i].t;
	if (v->type == 0)
		return CU_EUNSUPPORTED;
	if (strcmp(val, "nan:canonical") == 0) {
		*nan = 1;
		return 0;
	}
	if (strcmp(val, "nan:arithmetic") == 0) {
		*nan = 2;
		return 0;
	}
	if (v->type == WASM_FUNCREF || v->type == WASM_EXTERNREF) {
		if (strcmp(val, "null") == 0)
			return 0;
		/* ref.extern N is the host pointer value N + 1 (never NULL). */
		v->of.ext = (void *)(uintptr_t)(strtoull(val, NULL, 10) + 1);
		return 0;
	}
	v->of.i64 = strtoull(val, NULL, 10);
	if (v->type == WASM_I32 || v->type == WASM_F32)
		v->of.i64 &= 0xffffffffu;
	return 0;
}

static int value_matches(const struct wasm_value *got, const struct wasm_value *want, int nan)
{
	if (got->type != want->type)
		return 0;
	if (nan && got->type == WASM_F32) {
		uint32_t b = got->of.f32;
		if ((b & 0x7f800000u) != 0x7f800000u || (b & 0x007fffffu) == 0)
			return 0;
		return nan == 1 ? (b & 0x7fffffffu) == 0x7fc00000u : (b & 0x00400000u) != 0;
	}
	if (nan && got->type == WASM_F64) {
		uint64_t b = got->of.f64;
		if ((b & 0x7ff0000000000000ull) != 0x7ff0000000000000ull ||
		    (b & 0x000fffffffffffffull) == 0)
			return 0;
		return nan == 1 ? (b & 0x7fffffffffffffffull) == 0x7ff8000000000000ull
		                : (b & 0x0008000000000000ull) != 0;
	}
	switch (got->type) {
	case WASM_I32:
	case WASM_F32:
		return got->of.i32 == want->of.i32;
	case WASM_FUNCREF:
		return (got->of.func == NULL) == (want->of.func == NULL);
	case WASM_EXTERNREF:
		return got->of.ext == want->of.ext;
	default:
		return got->of.i64 == want->of.i64;
	}
}

static void show(const struct wasm_value *v, char *buf, size_t n)
{
	switch (v->type) {
	case WASM_I32:
		snprintf(buf, n, "i32:%" PRIu32, v->of.i32);
		break;
	case WASM_F32:
		snprintf(buf, n, "f32:0x%08" PRIx32, v->of.f32);
		break;
	case WASM_I64:
		snprintf(buf, n, "i64:%" PRIu64, v->of.i64);
		break;
	case WASM_F64:
		snprintf(buf, n, "f64:0x%016" PRIx64, v->of.f64);
		break;
	default:
		snprintf(buf, n, "ref:%p", v->of.ext);
		break;
	}
}

/* Run an action; results[] gets its values. Returns 0, CU_ETRAP or another error. */
static int action(struct runner *r, const json_t *act, struct wasm_value *results, size_t *nres,
                  const char **why)
{
	struct wasm_value args[MAX_VALUES];
	struct wasm_instance *inst = r->current;
	const char *type, *field, *modname;
	struct wasm_extern e;
	const json_t *jargs;
	size_t i, nargs;
	int nan, rc;

	*nres = 0;
	*why = "bad action";
	field = json_string_value(json_object_get(act, "field"));
	if (cu_json_get_str(act, "type", &type) != 0 || field == NULL)
		return CU_EFORMAT;
	if (cu_json_get_str(act, "module", &modname) == 0)
		inst = lookup(r->mods, r->nmods, modname, strlen(modname));
	if (inst == NULL) {
		*why = "no such module";
		return CU_ENOTFOUND;
	}
	if (wasm_instance_export_n(inst, field, json_string_length(json_object_get(act, "field")),
	                           &e) != 0) {
		*why = "no such export";
		return CU_ENOTFOUND;
	}
	if (strcmp(type, "get") == 0) {
		if (e.kind != WASM_EXTERN_GLOBAL)
			return CU_EFORMAT;
		wasm_global_get(e.of.global, &results[0]);
		*nres = 1;
		return 0;
	}
	if (e.kind != WASM_EXTERN_FUNC)
		return CU_EFORMAT;
	jargs = json_object_get(act, "args");
	nargs = json_array_size(jargs);
	if (nargs > MAX_VALUES)
		return CU_ELIMIT;
	for (i = 0; i < nargs; i++)
		if ((rc = parse_value(json_array_get(jargs, i), &args[i], &nan)) != 0)
			return rc;
	*nres = wasm_func_type(e.of.func)->nresults;
	wasm_store_set_fuel(r->store, RUNNER_FUEL);
	rc = wasm_invoke(r->store, e.of.func, args, nargs, results, *nres);
	*why = rc == CU_ETRAP ? wasm_store_error(r->store) : cu_strerror(rc);
	return rc;
}

static void cmd_assert_return(struct runner *r, const json_t *c, int line)
{
	struct wasm_value got[MAX_VALUES], want;
	const json_t *exp = json_object_get(c, "expected");
	char a[64], b[64];
	const char *why;
	size_t i, n;
	int nan, rc;

	rc = action(r, json_object_get(c, "action"), got, &n, &why);
	if (rc != 0) {
		fail(r, line, "action failed: %s", why);
		return;
	}
	if (json_array_size(exp) != n) {
		fail(r, line, "%zu results, expected %zu", n, json_array_size(exp));
		return;
	}
	for (i = 0; i < n; i++) {
		if (parse_value(json_array_get(exp, i), &want, &nan) != 0) {
			fail(r, line, "bad expected value");
			return;
		}
		if (!value_matches(&got[i], &want, nan)) {
			show(&got[i], a, sizeof(a));
			show(&want, b, sizeof(b));
			fail(r, line, "result %zu is %s, expected %s%s", i, a, b,
			     nan ? (nan == 1 ? " (nan:canonical)" : " (nan:arithmetic)") : "");
			return;
		}
	}
	r->passed++;
}

static int trap_text_matches(const char *got, const char *want)
{
	size_t n = strlen(got);

	return n > 0 && strncmp(got, want, n) == 0;
}

static void cmd_assert_trap(struct runner *r, const json_t *c, int line, int exhaustion)
{
	struct wasm_value got[MAX_VALUES];
	const char *why, *text = "";
	size_t n;
	int rc;

	(void)cu_json_get_str(c, "text", &text);
	rc = action(r, json_object_get(c, "action"), got, &n, &why);
	if (rc != CU_ETRAP) {
		fail(r, line, "expected trap \"%s\", got %s", text, rc ? why : "success");
		return;
	}
	if (!trap_text_matches(why, text) &&
	    !(exhaustion && strcmp(why, "call stack exhausted") == 0)) {
		fail(r, line, "trapped with \"%s\", expected \"%s\"", why, text);
		return;
	}
	r->passed++;
}

static void cmd_module(struct runner *r, const json_t *c, int line)
{
	struct wasm_module *m;
	struct wasm_instance *inst;
	const char *filename, *name;
	char err[WASM_MAX_ERROR];
	int rc;

	r->current = NULL;
	if (cu_json_get_str(c, "filename", &filename) != 0) {
		fail(r, line, "module without filename");
		return;
	}
	if ((rc = load(r, filename, &m, err, sizeof(err))) != 0) {
		fail(r, line, "cannot load %s: %s", filename, err);
		return;
	}
	if ((rc = wasm_instantiate(r->store, m, resolve, r, &inst)) != 0) {
		fail(r, line, "cannot instantiate %s: %s", filename, wasm_store_error(r->store));
		return;
	}
	r->current = inst;
	if (cu_json_get_str(c, "name", &name) == 0 &&
	    add_name(r->mods, &r->nmods, name, inst) != 0) {
		fail(r, line, "too many names");
		return;
	}
	r->passed++;
}

static void cmd_register(struct runner *r, const json_t *c, int line)
{
	struct wasm_instance *inst = r->current;
	const char *as, *name;

	if (cu_json_get_str(c, "name", &name) == 0)
		inst = lookup(r->mods, r->nmods, name, strlen(name));
	if (inst == NULL || cu_json_get_str(c, "as", &as) != 0 ||
	    add_name(r->regs, &r->nregs, as, inst) != 0) {
		fail(r, line, "cannot register");
		return;
	}
	r->passed++;
}

/* assert_invalid / assert_malformed: the binary must not load. */
static void cmd_bad_module(struct runner *r, const json_t *c, int line)
{
	struct wasm_module *m;
	const char *filename, *mtype = "binary", *text = "";
	char err[WASM_MAX_ERROR];

	(void)cu_json_get_str(c, "module_type", &mtype);
	(void)cu_json_get_str(c, "text", &text);
	if (strcmp(mtype, "binary") != 0) {
		r->skipped++;
		return;
	}
	if (cu_json_get_str(c, "filename", &filename) != 0) {
		fail(r, line, "no filename");
		return;
	}
	if (load(r, filename, &m, err, sizeof(err)) == 0) {
		fail(r, line, "%s loaded, expected \"%s\"", filename, text);
		return;
	}
	if (r->verbose)
		printf("%s:%d: rejected: %s (expected \"%s\")\n", r->file, line, err, text);
	r->passed++;
}

/* assert_unlinkable / assert_uninstantiable: loads, fails to instantiate. */
static void cmd_no_instance(struct runner *r, const json_t *c, int line, int trap)
{
	struct wasm_module *m;
	struct wasm_instance *inst;
	const char *filename, *text = "";
	char err[WASM_MAX_ERROR];
	int rc;

	(void)cu_json_get_str(c, "text", &text);
	if (cu_json_get_str(c, "filename", &filename) != 0 ||
	    load(r, filename, &m, err, sizeof(err)) != 0) {
		fail(r, line, "cannot load module: %s", err);
		return;
	}
	rc = wasm_instantiate(r->store, m, resolve, r, &inst);
	if (rc == 0) {
		fail(r, line, "instantiated, expected \"%s\"", text);
		return;
	}
	if ((rc == CU_ETRAP) != trap) {
		fail(r, line, "failed with \"%s\", expected \"%s\"", wasm_store_error(r->store),
		     text);
		return;
	}
	r->passed++;
}

static void command(struct runner *r, const json_t *c)
{
	struct wasm_value got[MAX_VALUES];
	const char *type, *why;
	int64_t line = 0;
	size_t n;

	(void)cu_json_get_int(c, "line", 0, INT32_MAX, &line);
	if (cu_json_get_str(c, "type", &type) != 0) {
		fail(r, (int)line, "command without type");
		return;
	}
	if (strcmp(type, "module") == 0)
		cmd_module(r, c, (int)line);
	else if (strcmp(type, "register") == 0)
		cmd_register(r, c, (int)line);
	else if (strcmp(type, "action") == 0) {
		if (action(r, json_object_get(c, "action"), got, &n, &why) != 0)
			fail(r, (int)line, "action failed: %s", why);
		else
			r->passed++;
	} else if (strcmp(type, "assert_return") == 0)
		cmd_assert_return(r, c, (int)line);
	else if (strcmp(type, "assert_trap") == 0)
		cmd_assert_trap(r, c, (int)line, 0);
	else if (strcmp(type, "assert_exhaustion") == 0)
		cmd_assert_trap(r, c, (int)line, 1);
	else if (strcmp(type, "assert_invalid") == 0 || strcmp(type, "assert_malformed") == 0)
		cmd_bad_module(r, c, (int)line);
	else if (strcmp(type, "assert_unlinkable") == 0)
		cmd_no_instance(r, c, (int)line, 0);
	else if (strcmp(type, "assert_uninstantiable") == 0)
		cmd_no_instance(r, c, (int)line, 1);
	else
		fail(r, (int)line, "unknown command %s", type);
}

static int run_file(struct runner *r, const char *path)
{
	struct wasm_config cfg = {.fuel = RUNNER_FUEL, .max_memory_pages = WASM_MAX_PAGES};
	const json_t *cmds;
	json_t *root = NULL;
	uint8_t *buf = NULL;
	size_t len, i;
	int rc;

	/* Not cu_json_parse: export names of the suite hold NUL characters. */
	if ((rc = cu_file_read(path, MAX_JSON, &buf, &len)) != 0 ||
	    (root = json_loadb((const char *)buf, len, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES,
	                       NULL)) == NULL) {
		rc = rc ? rc : CU_EFORMAT;
		fprintf(stderr, "%s: cannot read: %s\n", path, cu_strerror(rc));
		goto out;
	}
	if ((rc = wasm_store_new(&cfg, &r->store)) != 0 || (rc = spectest_init(r)) != 0) {
		fprintf(stderr, "cannot create the store: %s\n", cu_strerror(rc));
		goto out;
	}
	cmds = json_object_get(root, "commands");
	for (i = 0; i < json_array_size(cmds); i++)
		command(r, json_array_get(cmds, i));
out:
	json_decref(root);
	free(buf);
	return rc;
}

int main(int argc, char **argv)
{
	static struct runner r;
	const char *slash, *base;
	char dir[4096];
	size_t i;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE.json [-v]\n", argv[0]);
		return 2;
	}
	r.verbose = argc > 2 && strcmp(argv[2], "-v") == 0;
	slash = strrchr(argv[1], '/');
	base = slash ? slash + 1 : argv[1];
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - argv[1]) : 1,
	         slash ? argv[1] : ".");
	r.dir = dir;
	r.file = base;
	rc = run_file(&r, argv[1]);
	if (rc != 0)
		r.failed++;
	printf("%s: %u/%u passed", base, r.passed, r.passed + r.failed);
	if (r.skipped)
		printf(", %u text-format modules skipped (no text parser)", r.skipped);
	printf("\n");
	wasm_store_free(r.store);
	for (i = 0; i < r.nmodules; i++)
		wasm_module_free(r.modules[i]);
	for (i = 0; i < r.nmods; i++)
		free(r.mods[i].name);
	for (i = 0; i < r.nregs; i++)
		free(r.regs[i].name);
	return rc != 0 || r.failed > 0 ? 1 : 0;
}

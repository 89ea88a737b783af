/* Unit tests: the WebAssembly interpreter's decoder, validator, traps, limits and host calls. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "wasm/wasm.h"

/*
 * A module (from wat2wasm) importing env.double (i32) -> i32, with memory 1,
 * data "\2a\0\0\0" at 16 and the exports div, unreach, spin (an endless
 * loop), rec (endless recursion), load, grow, callhost and sum (1 + ... + n).
 */
static const uint8_t mod_t[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0f, 0x03, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x02, 0x0e, 0x01, 0x03, 0x65, 0x6e, 0x76,
    0x06, 0x64, 0x6f, 0x75, 0x62, 0x6c, 0x65, 0x00, 0x00, 0x03, 0x09, 0x08, 0x01, 0x02, 0x02, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x3d, 0x08, 0x03, 0x64, 0x69, 0x76,
    0x00, 0x01, 0x07, 0x75, 0x6e, 0x72, 0x65, 0x61, 0x63, 0x68, 0x00, 0x02, 0x04, 0x73, 0x70, 0x69,
    0x6e, 0x00, 0x03, 0x03, 0x72, 0x65, 0x63, 0x00, 0x04, 0x04, 0x6c, 0x6f, 0x61, 0x64, 0x00, 0x05,
    0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x06, 0x08, 0x63, 0x61, 0x6c, 0x6c, 0x68, 0x6f, 0x73, 0x74,
    0x00, 0x07, 0x03, 0x73, 0x75, 0x6d, 0x00, 0x08, 0x0a, 0x57, 0x08, 0x07, 0x00, 0x20, 0x00, 0x20,
    0x01, 0x6d, 0x0b, 0x03, 0x00, 0x00, 0x0b, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, 0x09,
    0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x10, 0x04, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x28, 0x02, 0x00,
    0x0b, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x10, 0x00, 0x0b, 0x21,
    0x01, 0x01, 0x7f, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00, 0x45, 0x0d, 0x01, 0x20, 0x01, 0x20, 0x00,
    0x6a, 0x21, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x01,
    0x0b, 0x0b, 0x0a, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x04, 0x2a, 0x00, 0x00, 0x00};

/* (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add) */
static const uint8_t mod_add[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01,
                                  0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07,
                                  0x07, 0x01, 0x03, 'a',  'd',  'd',  0x00, 0x00, 0x0a, 0x09, 0x01,
                                  0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b};

static int host_double(struct wasm_host_call *call, void *user, const struct wasm_value *args,
                       struct wasm_value *res)
{
	uint8_t *p;

	(*(int *)user)++;
	/* The calling instance's memory is reachable, bounds-checked. */
	assert_int_equal(wasm_host_mem(call, 16, 4, &p), 0);
	assert_int_equal(p[0], 0x2a);
	assert_int_not_equal(wasm_host_mem(call, 65534, 4, &p), 0);
	if (args[0].of.i32 == 13)
		return wasm_host_trap(call, "host says no");
	res->of.i32 = args[0].of.i32 * 2;
	return 0;
}

static int resolve_env(void *arg, struct wasm_store *s, const struct wasm_import_info *imp,
                       struct wasm_extern *out)
{
	static const uint8_t i32[] = {WASM_I32};
	const struct wasm_functype t = {1, 1, i32, i32};

	if (strcmp(imp->module, "env") != 0 || strcmp(imp->name, "double") != 0)
		return CU_ENOTFOUND;
	out->kind = WASM_EXTERN_FUNC;
	return wasm_host_func_new(s, &t, host_double, arg, &out->of.func);
}

/* Imports that exist but trap: lets arbitrary modules instantiate. */
static int stub_trap(struct wasm_host_call *call, void *user, const struct wasm_value *args,
                     struct wasm_value *res)
{
	(void)user;
	(void)args;
	(void)res;
	return wasm_host_trap(call, "stub");
}

static int resolve_stub(void *arg, struct wasm_store *s, const struct wasm_import_info *imp,
                        struct wasm_extern *out)
{
	(void)arg;
	if (imp->kind != WASM_EXTERN_FUNC)
		return CU_ENOTFOUND;
	out->kind = WASM_EXTERN_FUNC;
	return wasm_host_func_new(s, imp->func, stub_trap, NULL, &out->of.func);
}

struct fixture {
	struct wasm_module *m;
	struct wasm_store *s;
	struct wasm_instance *inst;
	int calls;
};

static int setup_cfg(struct fixture *f, const struct wasm_config *cfg)
{
	char err[WASM_MAX_ERROR];

	memset(f, 0, sizeof(*f));
	if (wasm_module_load(mod_t, sizeof(mod_t), &f->m, err, sizeof(err)) != 0)
		fail_msg("load: %s", err);
	if (wasm_store_new(cfg, &f->s) != 0)
		return -1;
	return wasm_instantiate(f->s, f->m, resolve_env, &f->calls, &f->inst);
}

static void teardown_fx(struct fixture *f)
{
	wasm_store_free(f->s);
	wasm_module_free(f->m);
}

static int call1(struct fixture *f, const char *name, uint32_t arg, uint32_t *out)
{
	struct wasm_extern e;
	struct wasm_value a[2] = {{.type = WASM_I32}, {.type = WASM_I32}}, r;
	const struct wasm_functype *t;
	int rc;

	a[0].of.i32 = arg; /* a second argument (div) is 0 */
	if (wasm_instance_export(f->inst, name, &e) != 0)
		return CU_ENOTFOUND;
	t = wasm_func_type(e.of.func);
	rc = wasm_invoke(f->s, e.of.func, a, t->nparams, &r, t->nresults);
	if (out != NULL && rc == 0 && t->nresults == 1)
		*out = r.of.i32;
	return rc;
}

static void test_add(void **state)
{
	struct wasm_module *m;
	struct wasm_store *s;
	struct wasm_instance *inst;
	struct wasm_extern e;
	struct wasm_value a[2] = {{.type = WASM_I32}, {.type = WASM_I32}}, r;

	(void)state;
	a[0].of.i32 = 2;
	a[1].of.i32 = 40;
	assert_int_equal(wasm_module_load(mod_add, sizeof(mod_add), &m, NULL, 0), 0);
	assert_int_equal(wasm_store_new(NULL, &s), 0);
	assert_int_equal(wasm_instantiate(s, m, NULL, NULL, &inst), 0);
	assert_int_equal(wasm_instance_export(inst, "add", &e), 0);
	assert_int_equal(wasm_invoke(s, e.of.func, a, 2, &r, 1), 0);
	assert_int_equal(r.of.i32, 42);
	/* Wrong arity and wrong types are refused before running. */
	assert_int_equal(wasm_invoke(s, e.of.func, a, 1, &r, 1), CU_EINVAL);
	a[1].type = WASM_I64;
	assert_int_equal(wasm_invoke(s, e.of.func, a, 2, &r, 1), CU_EINVAL);
	assert_int_equal(wasm_instance_export(inst, "nope", &e), CU_ENOTFOUND);
	wasm_store_free(s);
	wasm_module_free(m);
	wasm_store_free(NULL);
	wasm_module_free(NULL);
}

/* Truncation at every byte: never loads, never crashes. */
static void test_truncation(void **state)
{
	struct wasm_module *m;
	char err[WASM_MAX_ERROR];
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(mod_t); n++) {
		uint8_t *copy = malloc(n + 1);
		memcpy(copy, mod_t, n);
		err[0] = '\0';
		if (wasm_module_load(copy, n, &m, err, sizeof(err)) == 0) {
			/* Only a cut at a section boundary can still be a module. */
			size_t pos = 8;
			wasm_module_free(m);
			while (pos < n)
				pos += 2 + mod_t[pos + 1]; /* every section size here is one byte */
			assert_int_equal(pos, n);
		} else {
			assert_null(m);
			assert_true(err[0] != '\0');
		}
		free(copy);
	}
}

static void run_exports(struct wasm_store *s, struct wasm_instance *inst,
                        const struct wasm_module *m, const char *const *names, size_t n)
{
	struct wasm_value args[8], res[8];
	struct wasm_extern e;
	const struct wasm_functype *t;
	size_t i;

	(void)m;
	memset(args, 0, sizeof(args));
	for (i = 0; i < n; i++) {
		if (wasm_instance_export(inst, names[i], &e) != 0 || e.kind != WASM_EXTERN_FUNC)
			continue;
		t = wasm_func_type(e.of.func);
		if (t->nparams > 8 || t->nresults > 8)
			continue;
		for (uint32_t k = 0; k < t->nparams; k++)
			args[k].type = t->params[k];
		wasm_store_set_fuel(s, 100000);
		(void)wasm_invoke(s, e.of.func, args, t->nparams, res, t->nresults);
	}
}

/* Every single-bit flip: loads or not, and if it loads it runs safely. */
static void test_bit_flips(void **state)
{
	static const char *const names[] = {"div",  "unreach", "spin",     "rec",
	                                    "load", "grow",    "callhost", "sum"};
	struct wasm_config cfg = {.max_memory_pages = 4, .max_call_depth = 200};
	uint8_t copy[sizeof(mod_t)];
	size_t i;
	int bit, loaded = 0;

	(void)state;
	for (i = 0; i < sizeof(mod_t); i++) {
		for (bit = 0; bit < 8; bit++) {
			struct wasm_module *m;
			struct wasm_store *s;
			struct wasm_instance *inst;
			memcpy(copy, mod_t, sizeof(copy));
			copy[i] ^= (uint8_t)(1u << bit);
			if (wasm_module_load(copy, sizeof(copy), &m, NULL, 0) != 0)
				continue;
			loaded++;
			assert_int_equal(wasm_store_new(&cfg, &s), 0);
			if (wasm_instantiate(s, m, resolve_stub, NULL, &inst) == 0)
				run_exports(s, inst, m, names, 8);
			wasm_store_free(s);
			wasm_module_free(m);
		}
	}
	assert_true(loaded > 0);
}

struct bad_case {
	const char *name;
	const uint8_t *bytes;
	size_t len;
	const char *msg;
};

#define HDR 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00
/* A module of type () -> i32 and one function with body BODY (locals count included). */
#define FUNC_I32(...)                                                                              \
	HDR, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x0a,               \
	    (uint8_t)(2 + sizeof((uint8_t[]){__VA_ARGS__})), 0x01,                                 \
	    (uint8_t)sizeof((uint8_t[]){__VA_ARGS__}), __VA_ARGS__

static const uint8_t bad_magic[] = {0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00};
static const uint8_t bad_version[] = {0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00};
/* Type section (1) after the function section (3). */
static const uint8_t bad_order[] = {HDR,  0x03, 0x02, 0x01, 0x00, 0x01,
                                    0x04, 0x01, 0x60, 0x00, 0x00};
/* Type count as a 6-byte LEB. */
static const uint8_t bad_leb[] = {HDR, 0x01, 0x06, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
/* Type count 0xffffffff in a tiny section. */
static const uint8_t huge_count[] = {HDR, 0x01, 0x05, 0xff, 0xff, 0xff, 0xff, 0x0f};
static const uint8_t bad_section_id[] = {HDR, 0x0d, 0x00};
static const uint8_t size_mismatch[] = {HDR, 0x01, 0x05, 0x01, 0x60, 0x00, 0x00, 0x00};
static const uint8_t no_code[] = {HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00};
/* Validation failures. */
static const uint8_t v_underflow[] = {FUNC_I32(0x00, 0x41, 0x01, 0x6a, 0x0b)};
static const uint8_t v_wrong_type[] = {FUNC_I32(0x00, 0x42, 0x01, 0x0b)};
static const uint8_t v_unknown_local[] = {FUNC_I32(0x00, 0x20, 0x03, 0x0b)};
static const uint8_t v_unknown_label[] = {FUNC_I32(0x00, 0x0c, 0x05, 0x0b)};
static const uint8_t v_no_memory[] = {FUNC_I32(0x00, 0x41, 0x00, 0x28, 0x02, 0x00, 0x0b)};
static const uint8_t v_unknown_func[] = {FUNC_I32(0x00, 0x10, 0x09, 0x0b)};
static const uint8_t v_no_end[] = {FUNC_I32(0x00, 0x41, 0x01)};
static const uint8_t v_extra[] = {FUNC_I32(0x00, 0x41, 0x01, 0x41, 0x02, 0x0b)};
static const uint8_t v_else[] = {FUNC_I32(0x00, 0x41, 0x01, 0x05, 0x0b)};
static const uint8_t v_global[] = {FUNC_I32(0x00, 0x41, 0x01, 0x24, 0x00, 0x0b)};
static const uint8_t v_opcode[] = {FUNC_I32(0x00, 0xff, 0x0b)};

static const struct bad_case bad_cases[] = {
    {"magic", bad_magic, sizeof(bad_magic), "magic header not detected"},
    {"version", bad_version, sizeof(bad_version), "unknown binary version"},
    {"order", bad_order, sizeof(bad_order), "unexpected content after last section"},
    {"leb", bad_leb, sizeof(bad_leb), "integer representation too long"},
    {"huge count", huge_count, sizeof(huge_count), NULL},
    {"section id", bad_section_id, sizeof(bad_section_id), "malformed section id"},
    {"size mismatch", size_mismatch, sizeof(size_mismatch), "section size mismatch"},
    {"no code", no_code, sizeof(no_code), "function and code section have inconsistent lengths"},
    {"underflow", v_underflow, sizeof(v_underflow), "type mismatch"},
    {"wrong type", v_wrong_type, sizeof(v_wrong_type), "type mismatch"},
    {"unknown local", v_unknown_local, sizeof(v_unknown_local), "unknown local"},
    {"unknown label", v_unknown_label, sizeof(v_unknown_label), "unknown label"},
    {"no memory", v_no_memory, sizeof(v_no_memory), "unknown memory"},
    {"unknown func", v_unknown_func, sizeof(v_unknown_func), "unknown function"},
    {"no end", v_no_end, sizeof(v_no_end), NULL},
    {"extra value", v_extra, sizeof(v_extra), "type mismatch"},
    {"else without if", v_else, sizeof(v_else), NULL},
    {"unknown global", v_global, sizeof(v_global), "unknown global"},
    {"illegal opcode", v_opcode, sizeof(v_opcode), "illegal opcode"},
};

static void test_rejections(void **state)
{
	static const uint8_t ok[] = {FUNC_I32(0x00, 0x41, 0x07, 0x0b)};
	struct wasm_module *m;
	char err[WASM_MAX_ERROR];
	size_t i;

	(void)state;
	assert_int_equal(wasm_module_load(ok, sizeof(ok), &m, err, sizeof(err)), 0);
	wasm_module_free(m);
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		err[0] = '\0';
		if (wasm_module_load(c->bytes, c->len, &m, err, sizeof(err)) == 0)
			fail_msg("case '%s' loaded", c->name);
		assert_null(m);
		if (c->msg != NULL && strcmp(err, c->msg) != 0)
			fail_msg("case '%s': \"%s\", expected \"%s\"", c->name, err, c->msg);
	}
}

static void test_traps(void **state)
{
	struct fixture f;
	uint32_t v = 0;

	(void)state;
	assert_int_equal(setup_cfg(&f, NULL), 0);
	assert_int_equal(call1(&f, "sum", 100, &v), 0);
	assert_int_equal(v, 5050);
	assert_int_equal(call1(&f, "div", 7, NULL), CU_ETRAP);
	assert_string_equal(wasm_store_error(f.s), "integer divide by zero");
	assert_int_equal(call1(&f, "unreach", 0, NULL), CU_ETRAP);
	assert_string_equal(wasm_store_error(f.s), "unreachable");
	assert_int_equal(call1(&f, "load", 16, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(call1(&f, "load", 65533, NULL), CU_ETRAP);
	assert_string_equal(wasm_store_error(f.s), "out of bounds memory access");
	assert_int_equal(call1(&f, "load", 0xffffffffu, NULL), CU_ETRAP);
	assert_int_equal(call1(&f, "rec", 0, NULL), CU_ETRAP);
	assert_string_equal(wasm_store_error(f.s), "call stack exhausted");
	/* The store is still usable after a trap. */
	assert_int_equal(call1(&f, "sum", 3, &v), 0);
	assert_int_equal(v, 6);
	teardown_fx(&f);
}

static void test_fuel(void **state)
{
	struct wasm_config cfg = {.fuel = 1000};
	struct fixture f;
	uint32_t v;

	(void)state;
	assert_int_equal(setup_cfg(&f, &cfg), 0);
	assert_int_equal(call1(&f, "spin", 0, NULL), CU_ETRAP);
	assert_string_equal(wasm_store_error(f.s), "fuel exhausted");
	assert_int_equal(wasm_store_fuel(f.s), 0);
	wasm_store_set_fuel(f.s, 1000000);
	assert_int_equal(call1(&f, "sum", 10, &v), 0);
	assert_int_equal(v, 55);
	assert_true(wasm_store_fuel(f.s) < 1000000);
	teardown_fx(&f);
}

static void test_memory_limit(void **state)
{
	struct wasm_config cfg = {.max_memory_pages = 3};
	struct fixture f;
	uint32_t v;

	(void)state;
	assert_int_equal(setup_cfg(&f, &cfg), 0);
	assert_int_equal(call1(&f, "grow", 2, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(call1(&f, "grow", 1, &v), 0);
	assert_int_equal(v, 0xffffffffu); /* beyond the limit: -1, no trap */
	assert_int_equal(call1(&f, "load", 3 * 65536 - 4, &v), 0);
	assert_int_equal(call1(&f, "load", 3 * 65536 - 3, NULL), CU_ETRAP);
	teardown_fx(&f);
}

static void test_stack_limit(void **state)
{
	struct wasm_config cfg = {.max_stack_slots = 4096};
	struct fixture f;

	(void)state;
	assert_int_equal(setup_cfg(&f, &cfg), 0);
	assert_int_equal(call1(&f, "rec", 0, NULL), CU_ETRAP);
	assert_string_equal(wasm_store_error(f.s), "call stack exhausted");
	teardown_fx(&f);
}

static void test_host_calls(void **state)
{
	struct fixture f;
	uint32_t v;

	(void)state;
	assert_int_equal(setup_cfg(&f, NULL), 0);
	assert_int_equal(call1(&f, "callhost", 21, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(f.calls, 1);
	assert_int_equal(call1(&f, "callhost", 13, NULL), CU_ETRAP);
	assert_string_equal(wasm_store_error(f.s), "host says no");
	teardown_fx(&f);
}

static void test_unknown_import(void **state)
{
	struct wasm_module *m;
	struct wasm_store *s;
	struct wasm_instance *inst;

	(void)state;
	assert_int_equal(wasm_module_load(mod_t, sizeof(mod_t), &m, NULL, 0), 0);
	assert_int_equal(wasm_store_new(NULL, &s), 0);
	assert_int_equal(wasm_instantiate(s, m, NULL, NULL, &inst), CU_ENOTFOUND);
	assert_null(inst);
	assert_string_equal(wasm_store_error(s), "unknown import: env.double");
	/* The platform API refuses it too, naming it. */
	struct wasm_platform p = {0};
	assert_int_equal(wasm_instantiate(s, m, wasm_platform_resolve, &p, &inst), CU_ENOTFOUND);
	assert_string_equal(wasm_store_error(s), "unknown import: env.double");
	wasm_store_free(s);
	wasm_module_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add),          cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_bit_flips),    cmocka_unit_test(test_rejections),
	    cmocka_unit_test(test_traps),        cmocka_unit_test(test_fuel),
	    cmocka_unit_test(test_memory_limit), cmocka_unit_test(test_stack_limit),
	    cmocka_unit_test(test_host_calls),   cmocka_unit_test(test_unknown_import),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

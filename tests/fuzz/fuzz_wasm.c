/*
 * fuzz_wasm.c - libFuzzer target for the WebAssembly interpreter: decode,
 * validate, instantiate (every function import is a stub that traps; other
 * imports are refused) and run every exported function with zero arguments
 * and a small fuel budget, under small memory, table and stack limits.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/err.h"
#include "wasm/wasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int stub(struct wasm_host_call *call, void *user, const struct wasm_value *args,
                struct wasm_value *res)
{
	(void)user;
	(void)args;
	(void)res;
	return wasm_host_trap(call, "stub import");
}

static int resolve(void *arg, struct wasm_store *s, const struct wasm_import_info *imp,
                   struct wasm_extern *out)
{
	(void)arg;
	if (imp->kind != WASM_EXTERN_FUNC)
		return CU_ENOTFOUND;
	out->kind = WASM_EXTERN_FUNC;
	return wasm_host_func_new(s, imp->func, stub, NULL, &out->of.func);
}

static void run_exports(struct wasm_store *s, struct wasm_instance *inst, const uint8_t *data,
                        size_t size)
{
	struct wasm_value args[16], res[16];
	struct wasm_extern e;
	const struct wasm_functype *t;
	char name[64];
	size_t i, k, n;

	/* Export names are not enumerable through the API: try the common ones. */
	static const char *const names[] = {"",  "_start", "main",       "run",  "f", "g", "a",
	                                    "b", "c",      "entrypoint", "test", "0", "1"};
	(void)data;
	(void)size;
	memset(args, 0, sizeof(args));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = strlen(names[i]);
		memcpy(name, names[i], n + 1);
		if (wasm_instance_export(inst, name, &e) != 0 || e.kind != WASM_EXTERN_FUNC)
			continue;
		t = wasm_func_type(e.of.func);
		if (t->nparams > 16 || t->nresults > 16)
			continue;
		for (k = 0; k < t->nparams; k++)
			args[k].type = t->params[k];
		wasm_store_set_fuel(s, 20000);
		(void)wasm_invoke(s, e.of.func, args, t->nparams, res, t->nresults);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wasm_config cfg = {.fuel = 20000,
	                          .max_memory_pages = 16,
	                          .max_call_depth = 256,
	                          .max_stack_slots = 1u << 14,
	                          .max_table_elems = 4096,
	                          .max_instances = 2};
	struct wasm_module *m = NULL;
	struct wasm_store *s = NULL;
	struct wasm_instance *inst;

	if (wasm_module_load(data, size, &m, NULL, 0) != 0)
		return 0;
	if (wasm_store_new(&cfg, &s) == 0 && wasm_instantiate(s, m, resolve, NULL, &inst) == 0)
		run_exports(s, inst, data, size);
	wasm_store_free(s);
	wasm_module_free(m);
	return 0;
}

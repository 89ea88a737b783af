/*
 * entry.c - running a platform function: Teaclave's `entrypoint(argc, argv)`
 * and the WASI command `_start`.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "wasm/wasm.h"

static int export_func(struct wasm_instance *inst, const char *name, struct wasm_func **f)
{
	struct wasm_extern e;

	*f = NULL;
	if (wasm_instance_export(inst, name, &e) != 0 || e.kind != WASM_EXTERN_FUNC)
		return CU_ENOTFOUND;
	*f = e.of.func;
	return 0;
}

/* Reserve n bytes of linear memory: the module's malloc, else fresh pages. */
static int reserve(struct wasm_store *s, struct wasm_instance *inst, uint32_t n, uint32_t *addr)
{
	struct wasm_memory *mem = wasm_instance_memory(inst, 0);
	const struct wasm_functype *t;
	struct wasm_value arg, res;
	struct wasm_func *f;
	int rc;

	if (mem == NULL)
		return CU_EINVAL;
	if (export_func(inst, "malloc", &f) == 0 && (t = wasm_func_type(f))->nparams == 1 &&
	    t->nresults == 1 && t->params[0] == WASM_I32 && t->results[0] == WASM_I32) {
		arg.type = WASM_I32;
		arg.of.i64 = 0;
		arg.of.i32 = n;
		if ((rc = wasm_invoke(s, f, &arg, 1, &res, 1)) != 0)
			return rc;
		if (res.of.i32 == 0 || (uint64_t)res.of.i32 + n > wasm_memory_size(mem))
			return CU_ENOMEM;
		*addr = res.of.i32;
		return 0;
	}
	return wasm_platform_grow(inst, n, addr);
}

int wasm_platform_entrypoint(struct wasm_store *s, struct wasm_instance *inst,
                             const char *const *args, size_t nargs, int32_t *ret)
{
	struct wasm_memory *mem = wasm_instance_memory(inst, 0);
	struct wasm_value av[2], rv;
	struct wasm_func *f;
	uint32_t *ptrs = NULL, base, vec, off = 0;
	size_t i, total = 0;
	int rc;

	*ret = 0;
	if (nargs > WASM_MAX_ARGS || mem == NULL)
		return CU_ELIMIT;
	if ((rc = export_func(inst, "entrypoint", &f)) != 0)
		return rc;
	for (i = 0; i < nargs; i++) {
		total += strlen(args[i]) + 1;
		if (total > WASM_MAX_ARG_BYTES)
			return CU_ELIMIT;
	}
	if ((ptrs = calloc(nargs + 1, sizeof(*ptrs))) == NULL)
		return CU_ENOMEM;
	if ((rc = reserve(s, inst, (uint32_t)total + 1, &base)) != 0 ||
	    (rc = reserve(s, inst, (uint32_t)(4 * nargs) + 4, &vec)) != 0)
		goto out;
	mem = wasm_instance_memory(inst, 0);
	for (i = 0; i < nargs; i++) {
		size_t len = strlen(args[i]) + 1;
		ptrs[i] = base + off;
		if ((rc = wasm_memory_write(mem, base + off, args[i], len)) != 0)
			goto out;
		off += (uint32_t)len;
	}
	/* The pointer array, little-endian like all of linear memory. */
	if ((rc = wasm_memory_write(mem, vec, ptrs, 4 * nargs)) != 0)
		goto out;
	av[0].type = av[1].type = WASM_I32;
	av[0].of.i64 = av[1].of.i64 = 0;
	av[0].of.i32 = (uint32_t)nargs;
	av[1].of.i32 = vec;
	if ((rc = wasm_invoke(s, f, av, 2, &rv, 1)) == 0)
		*ret = (int32_t)rv.of.i32;
out:
	free(ptrs);
	return rc;
}

int wasm_platform_start(struct wasm_store *s, struct wasm_instance *inst, int *status)
{
	struct wasm_func *f;
	int rc;

	*status = 0;
	if ((rc = export_func(inst, "_start", &f)) != 0)
		return rc;
	rc = wasm_invoke(s, f, NULL, 0, NULL, 0);
	if (rc == CU_ETRAP && wasm_store_exited(s, status))
		return 0;
	return rc;
}

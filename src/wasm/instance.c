/*
 * instance.c - loading a module and instantiating it: imports, functions,
 * tables, memories, globals, element and data segments, start function.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "wasm/internal.h"

int wasm_module_load(const uint8_t *buf, size_t len, struct wasm_module **out, char *err,
                     size_t errlen)
{
	struct wasm_module *m;
	int rc;

	*out = NULL;
	if (buf == NULL && len > 0)
		return CU_EINVAL;
	if ((rc = wasm_decode(buf, len, &m, err, errlen)) != 0)
		return rc;
	if ((rc = wasm_validate(m, err, errlen)) != 0 || (rc = wasm_prepare(m, err, errlen)) != 0) {
		wasm_module_release(m);
		return rc;
	}
	*out = m;
	return 0;
}

void wasm_module_free(struct wasm_module *m)
{
	wasm_module_release(m);
}

static int fail(struct wasm_store *s, int rc, const char *what, const struct wasm_import *im)
{
	if (im != NULL)
		wasm_seterr(s->error, sizeof(s->error), "%s: %s.%s", what, im->module, im->name);
	else if (what != NULL)
		wasm_seterr(s->error, sizeof(s->error), "%s", what);
	return rc;
}

static int limits_match(uint32_t cur, uint8_t has_max, uint32_t max, const struct wasm_limits *want)
{
	if (cur < want->min)
		return 0;
	if (want->has_max && (!has_max || max > want->max))
		return 0;
	return 1;
}

static int check_import(const struct wasm_module *m, const struct wasm_import *im,
                        const struct wasm_extern *e)
{
	if (e->kind != im->kind)
		return 0;
	switch (im->kind) {
	case WASM_EXTERN_FUNC:
		return wasm_ftype_eq(&e->of.func->type, &m->types[m->func_types[im->index]]);
	case WASM_EXTERN_TABLE:
		return e->of.table->reftype == m->tables[im->index].reftype &&
		       limits_match(e->of.table->size, e->of.table->has_max, e->of.table->decl_max,
		                    &m->tables[im->index].lim);
	case WASM_EXTERN_MEMORY:
		return limits_match(e->of.memory->pages, e->of.memory->has_max,
		                    e->of.memory->decl_max, &m->mems[im->index]);
	default:
		return e->of.global->type == m->globals[im->index].type &&
		       e->of.global->mut == m->globals[im->index].mut;
	}
}

static void import_info(const struct wasm_module *m, const struct wasm_import *im,
                        struct wasm_import_info *info, struct wasm_functype *ft)
{
	memset(info, 0, sizeof(*info));
	info->module = im->module;
	info->name = im->name;
	info->module_len = im->module_len;
	info->name_len = im->name_len;
	info->kind = im->kind;
	switch (im->kind) {
	case WASM_EXTERN_FUNC: {
		const struct wasm_ftype *t = &m->types[m->func_types[im->index]];
		ft->nparams = t->nparams;
		ft->nresults = t->nresults;
		ft->params = t->types;
		ft->results = t->types + t->nparams;
		info->func = ft;
		break;
	}
	case WASM_EXTERN_TABLE:
		info->type = m->tables[im->index].reftype;
		info->limits = m->tables[im->index].lim;
		break;
	case WASM_EXTERN_MEMORY:
		info->limits = m->mems[im->index];
		break;
	default:
		info->type = m->globals[im->index].type;
		info->mut = m->globals[im->index].mut;
	}
}

static int link_imports(struct wasm_store *s, struct wasm_instance *inst, wasm_resolve_fn resolve,
                        void *arg)
{
	const struct wasm_module *m = inst->mod;
	struct wasm_import_info info;
	struct wasm_functype ft;
	struct wasm_extern e;
	uint32_t i;

	for (i = 0; i < m->nimports; i++) {
		const struct wasm_import *im = &m->imports[i];
		import_info(m, im, &info, &ft);
		memset(&e, 0, sizeof(e));
		if (resolve == NULL || resolve(arg, s, &info, &e) != 0 || e.of.func == NULL)
			return fail(s, CU_ENOTFOUND, "unknown import", im);
		if (!check_import(m, im, &e))
			return fail(s, CU_EINVAL, "incompatible import type", im);
		switch (im->kind) {
		case WASM_EXTERN_FUNC:
			inst->funcs[im->index] = e.of.func;
			break;
		case WASM_EXTERN_TABLE:
			inst->tables[im->index] = e.of.table;
			break;
		case WASM_EXTERN_MEMORY:
			inst->mems[im->index] = e.of.memory;
			break;
		default:
			inst->globals[im->index] = e.of.global;
		}
	}
	return 0;
}

/* Evaluate a validated constant expression. */
static uint64_t eval(const struct wasm_instance *inst, const struct wasm_cexpr *e)
{
	const struct wasm_cinsn *c = &e->insn[0];

	switch (c->op) {
	case 0x23:
		return inst->globals[c->imm]->val;
	case 0xd2:
		return (uintptr_t)inst->funcs[c->imm];
	case 0xd0:
		return 0;
	default:
		return c->imm;
	}
}

static int create_objects(struct wasm_store *s, struct wasm_instance *inst)
{
	const struct wasm_module *m = inst->mod;
	uint32_t i;
	int rc;

	for (i = m->nfunc_imports; i < m->nfuncs; i++) {
		if ((rc = wasm_func_add(s, &m->types[m->func_types[i]], 0, &inst->funcs[i])) != 0)
			return rc;
		inst->funcs[i]->inst = inst;
		inst->funcs[i]->code = &m->pfuncs[i - m->nfunc_imports];
	}
	for (i = m->ntable_imports; i < m->ntables; i++)
		if ((rc = wasm_table_add(s, m->tables[i].reftype, &m->tables[i].lim,
		                         &inst->tables[i])) != 0)
			return fail(s, rc, rc == CU_ENOMEM ? "out of memory" : NULL, NULL);
	for (i = m->nmem_imports; i < m->nmems; i++)
		if ((rc = wasm_memory_add(s, &m->mems[i], &inst->mems[i])) != 0)
			return fail(s, rc, rc == CU_ENOMEM ? "out of memory" : NULL, NULL);
	for (i = m->nglobal_imports; i < m->nglobals; i++)
		if ((rc = wasm_global_add(s, m->globals[i].type, m->globals[i].mut,
		                          eval(inst, &m->globals[i].init), &inst->globals[i])) != 0)
			return rc;
	return 0;
}

static int init_elems(struct wasm_store *s, struct wasm_instance *inst)
{
	const struct wasm_module *m = inst->mod;
	uint32_t i, k;

	for (i = 0; i < m->nelems; i++) {
		const struct wasm_elem *e = &m->elems[i];
		if ((inst->elem_refs[i] = cu_calloc((size_t)e->n + 1, sizeof(void *))) == NULL)
			return CU_ENOMEM;
		for (k = 0; k < e->n; k++)
			inst->elem_refs[i][k] = (void *)(uintptr_t)eval(inst, &e->items[k]);
		inst->elem_len[i] = e->n;
	}
	for (i = 0; i < m->nelems; i++) {
		const struct wasm_elem *e = &m->elems[i];
		struct wasm_table *t;
		uint32_t off;
		if (e->mode == WASM_SEG_PASSIVE)
			continue;
		if (e->mode == WASM_SEG_ACTIVE) {
			t = inst->tables[e->table];
			off = (uint32_t)eval(inst, &e->offset);
			if ((uint64_t)off + e->n > t->size)
				return wasm_trap(s, "out of bounds table access");
			if (e->n)
				memcpy(t->elems + off, inst->elem_refs[i], e->n * sizeof(void *));
		}
		inst->elem_len[i] = 0;
	}
	return 0;
}

static int init_datas(struct wasm_store *s, struct wasm_instance *inst)
{
	const struct wasm_module *m = inst->mod;
	uint32_t i;

	for (i = 0; i < m->ndatas; i++) {
		const struct wasm_data *d = &m->datas[i];
		struct wasm_memory *mem;
		uint32_t off;
		if (d->mode != WASM_SEG_ACTIVE)
			continue;
		mem = inst->mems[d->mem];
		off = (uint32_t)eval(inst, &d->offset);
		if ((uint64_t)off + d->len > mem->size)
			return wasm_trap(s, "out of bounds memory access");
		if (d->len)
			memcpy(mem->data + off, d->bytes, d->len);
		inst->data_dropped[i] = 1;
	}
	return 0;
}

static int alloc_instance(struct wasm_store *s, const struct wasm_module *m,
                          struct wasm_instance **out)
{
	struct wasm_instance *inst;

	if (s->ninstances >= s->cfg.max_instances)
		return fail(s, CU_ELIMIT, "too many instances", NULL);
	if ((inst = calloc(1, sizeof(*inst))) == NULL)
		return CU_ENOMEM;
	/* Linked at once: a failed instance may still be referenced from tables. */
	inst->next = s->instances;
	s->instances = inst;
	s->ninstances++;
	inst->store = s;
	inst->mod = m;
	inst->funcs = cu_calloc((size_t)m->nfuncs + 1, sizeof(*inst->funcs));
	inst->tables = cu_calloc((size_t)m->ntables + 1, sizeof(*inst->tables));
	inst->mems = cu_calloc((size_t)m->nmems + 1, sizeof(*inst->mems));
	inst->globals = cu_calloc((size_t)m->nglobals + 1, sizeof(*inst->globals));
	inst->elem_refs = cu_calloc((size_t)m->nelems + 1, sizeof(*inst->elem_refs));
	inst->elem_len = cu_calloc((size_t)m->nelems + 1, sizeof(*inst->elem_len));
	inst->data_dropped = cu_calloc((size_t)m->ndatas + 1, 1);
	if (!inst->funcs || !inst->tables || !inst->mems || !inst->globals || !inst->elem_refs ||
	    !inst->elem_len || !inst->data_dropped)
		return CU_ENOMEM;
	*out = inst;
	return 0;
}

int wasm_instantiate(struct wasm_store *s, const struct wasm_module *m, wasm_resolve_fn resolve,
                     void *arg, struct wasm_instance **out)
{
	struct wasm_instance *inst = NULL;
	int rc;

	*out = NULL;
	s->error[0] = '\0';
	if (s->running)
		return CU_ESTATE;
	if ((rc = alloc_instance(s, m, &inst)) != 0 ||
	    (rc = link_imports(s, inst, resolve, arg)) != 0 ||
	    (rc = create_objects(s, inst)) != 0 || (rc = init_elems(s, inst)) != 0 ||
	    (rc = init_datas(s, inst)) != 0)
		goto out;
	if (m->has_start && (rc = wasm_invoke(s, inst->funcs[m->start], NULL, 0, NULL, 0)) != 0)
		goto out;
	*out = inst;
out:
	if (rc == CU_ENOMEM && s->error[0] == '\0')
		fail(s, rc, "out of memory", NULL);
	return rc;
}

int wasm_instance_export(const struct wasm_instance *inst, const char *name,
                         struct wasm_extern *out)
{
	return wasm_instance_export_n(inst, name, strlen(name), out);
}

int wasm_instance_export_n(const struct wasm_instance *inst, const char *name, size_t len,
                           struct wasm_extern *out)
{
	const struct wasm_module *m = inst->mod;
	uint32_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < m->nexports; i++) {
		const struct wasm_export *e = &m->exports[i];
		if (e->name_len != len || memcmp(e->name, name, len) != 0)
			continue;
		out->kind = e->kind;
		switch (e->kind) {
		case WASM_EXTERN_FUNC:
			out->of.func = inst->funcs[e->index];
			break;
		case WASM_EXTERN_TABLE:
			out->of.table = inst->tables[e->index];
			break;
		case WASM_EXTERN_MEMORY:
			out->of.memory = inst->mems[e->index];
			break;
		default:
			out->of.global = inst->globals[e->index];
		}
		return 0;
	}
	return CU_ENOTFOUND;
}

struct wasm_memory *wasm_instance_memory(const struct wasm_instance *inst, uint32_t idx)
{
	if (idx >= inst->mod->nmems)
		return NULL;
	return inst->mems[idx];
}

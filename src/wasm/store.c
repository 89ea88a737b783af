/*
 * store.c - stores, the runtime objects they own, and wasm_invoke().
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "wasm/internal.h"

static const struct wasm_config defaults = {
    .fuel = 10000000000ull,
    .max_memory_pages = 16384,
    .max_call_depth = 10000,
    .max_stack_slots = 1u << 20,
    .max_table_elems = 1u << 20,
    .max_instances = 1024,
};

int wasm_store_new(const struct wasm_config *cfg, struct wasm_store **out)
{
	struct wasm_store *s;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CU_ENOMEM;
	s->cfg = cfg ? *cfg : defaults;
	if (s->cfg.fuel == 0)
		s->cfg.fuel = defaults.fuel;
	if (s->cfg.max_memory_pages == 0)
		s->cfg.max_memory_pages = defaults.max_memory_pages;
	if (s->cfg.max_memory_pages > WASM_MAX_PAGES)
		s->cfg.max_memory_pages = WASM_MAX_PAGES;
	if (s->cfg.max_call_depth == 0)
		s->cfg.max_call_depth = defaults.max_call_depth;
	if (s->cfg.max_stack_slots == 0)
		s->cfg.max_stack_slots = defaults.max_stack_slots;
	if (s->cfg.max_table_elems == 0)
		s->cfg.max_table_elems = defaults.max_table_elems;
	if (s->cfg.max_table_elems > WASM_MAX_TABLE_ELEMS)
		s->cfg.max_table_elems = WASM_MAX_TABLE_ELEMS;
	if (s->cfg.max_instances == 0)
		s->cfg.max_instances = defaults.max_instances;
	s->fuel = s->cfg.fuel;
	*out = s;
	return 0;
}

static void instance_release(struct wasm_instance *inst)
{
	uint32_t i;

	if (inst->elem_refs != NULL)
		for (i = 0; i < inst->mod->nelems; i++)
			free(inst->elem_refs[i]);
	free(inst->elem_refs);
	free(inst->elem_len);
	free(inst->data_dropped);
	free(inst->funcs);
	free(inst->tables);
	free(inst->mems);
	free(inst->globals);
	free(inst);
}

void wasm_store_free(struct wasm_store *s)
{
	if (s == NULL)
		return;
	while (s->instances != NULL) {
		struct wasm_instance *n = s->instances->next;
		instance_release(s->instances);
		s->instances = n;
	}
	while (s->funcs != NULL) {
		struct wasm_func *n = s->funcs->next;
		if (s->funcs->owns_type)
			free(s->funcs->type.types);
		free(s->funcs);
		s->funcs = n;
	}
	while (s->tables != NULL) {
		struct wasm_table *n = s->tables->next;
		free(s->tables->elems);
		free(s->tables);
		s->tables = n;
	}
	while (s->mems != NULL) {
		struct wasm_memory *n = s->mems->next;
		free(s->mems->data);
		free(s->mems);
		s->mems = n;
	}
	while (s->globals != NULL) {
		struct wasm_global *n = s->globals->next;
		free(s->globals);
		s->globals = n;
	}
	free(s->stack);
	free(s->frames);
	free(s);
}

const char *wasm_store_error(const struct wasm_store *s)
{
	return s->error;
}

uint64_t wasm_store_fuel(const struct wasm_store *s)
{
	return s->fuel;
}

void wasm_store_set_fuel(struct wasm_store *s, uint64_t fuel)
{
	s->fuel = fuel;
}

int wasm_store_exited(const struct wasm_store *s, int *status)
{
	if (!s->exited)
		return 0;
	*status = s->exit_status;
	return 1;
}

int wasm_ftype_eq(const struct wasm_ftype *a, const struct wasm_ftype *b)
{
	return a->nparams == b->nparams && a->nresults == b->nresults &&
	       memcmp(a->types, b->types, (size_t)a->nparams + a->nresults) == 0;
}

const struct wasm_functype *wasm_func_type(const struct wasm_func *f)
{
	return &f->pub;
}

int wasm_func_add(struct wasm_store *s, const struct wasm_ftype *type, int copy,
                  struct wasm_func **out)
{
	struct wasm_func *f;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return CU_ENOMEM;
	f->type = *type;
	if (copy) {
		f->type.types = cu_memdup(type->types, (size_t)type->nparams + type->nresults + 1);
		if (f->type.types == NULL) {
			free(f);
			return CU_ENOMEM;
		}
		f->owns_type = 1;
	}
	f->pub.nparams = f->type.nparams;
	f->pub.nresults = f->type.nresults;
	f->pub.params = f->type.types;
	f->pub.results = f->type.types + f->type.nparams;
	f->next = s->funcs;
	s->funcs = f;
	*out = f;
	return 0;
}

static uint32_t effective_max(const struct wasm_limits *lim, uint32_t limit)
{
	if (lim->has_max && lim->max < limit)
		return lim->max;
	return limit;
}

int wasm_memory_add(struct wasm_store *s, const struct wasm_limits *lim, struct wasm_memory **out)
{
	struct wasm_memory *m;

	*out = NULL;
	if (lim->min > s->cfg.max_memory_pages) {
		wasm_seterr(s->error, sizeof(s->error), "memory of %u pages exceeds the limit",
		            lim->min);
		return CU_ELIMIT;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return CU_ENOMEM;
	if (lim->min > 0 && (m->data = calloc(lim->min, WASM_PAGE_SIZE)) == NULL) {
		free(m);
		return CU_ENOMEM;
	}
	m->pages = lim->min;
	m->size = (uint64_t)lim->min * WASM_PAGE_SIZE;
	m->has_max = lim->has_max;
	m->decl_max = lim->max;
	m->max = effective_max(lim, s->cfg.max_memory_pages);
	m->next = s->mems;
	s->mems = m;
	*out = m;
	return 0;
}

int wasm_memory_grow(struct wasm_memory *mem, uint32_t delta, uint32_t *old)
{
	uint64_t pages = (uint64_t)mem->pages + delta;
	uint8_t *p;

	*old = mem->pages;
	if (pages > mem->max)
		return CU_ELIMIT;
	if (delta == 0)
		return 0;
	if ((p = realloc(mem->data, (size_t)pages * WASM_PAGE_SIZE)) == NULL)
		return CU_ENOMEM;
	memset(p + mem->size, 0, (size_t)delta * WASM_PAGE_SIZE);
	mem->data = p;
	mem->pages = (uint32_t)pages;
	mem->size = pages * WASM_PAGE_SIZE;
	return 0;
}

int wasm_table_add(struct wasm_store *s, uint8_t reftype, const struct wasm_limits *lim,
                   struct wasm_table **out)
{
	struct wasm_table *t;

	*out = NULL;
	if (lim->min > s->cfg.max_table_elems) {
		wasm_seterr(s->error, sizeof(s->error), "table of %u elements exceeds the limit",
		            lim->min);
		return CU_ELIMIT;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return CU_ENOMEM;
	if ((t->elems = calloc((size_t)lim->min + 1, sizeof(void *))) == NULL) {
		free(t);
		return CU_ENOMEM;
	}
	t->reftype = reftype;
	t->size = lim->min;
	t->has_max = lim->has_max;
	t->decl_max = lim->max;
	t->max = effective_max(lim, s->cfg.max_table_elems);
	t->next = s->tables;
	s->tables = t;
	*out = t;
	return 0;
}

int wasm_table_grow(struct wasm_table *t, uint32_t delta, void *init, uint32_t *old)
{
	uint64_t n = (uint64_t)t->size + delta;
	void **p;
	uint64_t i;

	*old = t->size;
	if (n > t->max)
		return CU_ELIMIT;
	if (delta == 0)
		return 0;
	if ((p = realloc(t->elems, (size_t)(n + 1) * sizeof(void *))) == NULL)
		return CU_ENOMEM;
	for (i = t->size; i < n; i++)
		p[i] = init;
	t->elems = p;
	t->size = (uint32_t)n;
	return 0;
}

int wasm_global_add(struct wasm_store *s, uint8_t type, int mut, uint64_t val,
                    struct wasm_global **out)
{
	struct wasm_global *g;

	*out = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return CU_ENOMEM;
	g->type = type;
	g->mut = (uint8_t)mut;
	g->val = val;
	g->next = s->globals;
	s->globals = g;
	*out = g;
	return 0;
}

/* Public constructors. */
int wasm_host_func_new(struct wasm_store *s, const struct wasm_functype *type, wasm_host_fn fn,
                       void *user, struct wasm_func **out)
{
	uint8_t types[2 * WASM_MAX_PARAMS + 1];
	struct wasm_ftype ft;
	uint32_t i;
	int rc;

	*out = NULL;
	if (type->nparams > WASM_MAX_PARAMS || type->nresults > WASM_MAX_PARAMS || fn == NULL)
		return CU_EINVAL;
	for (i = 0; i < type->nparams; i++)
		if (!wasm_is_valtype(types[i] = type->params[i]))
			return CU_EINVAL;
	for (i = 0; i < type->nresults; i++)
		if (!wasm_is_valtype(types[type->nparams + i] = type->results[i]))
			return CU_EINVAL;
	ft.nparams = type->nparams;
	ft.nresults = type->nresults;
	ft.types = types;
	if ((rc = wasm_func_add(s, &ft, 1, out)) != 0)
		return rc;
	(*out)->host = fn;
	(*out)->user = user;
	return 0;
}

int wasm_memory_new(struct wasm_store *s, const struct wasm_limits *lim, struct wasm_memory **out)
{
	if (lim->min > WASM_MAX_PAGES || (lim->has_max && lim->max < lim->min)) {
		*out = NULL;
		return CU_EINVAL;
	}
	return wasm_memory_add(s, lim, out);
}

int wasm_table_new(struct wasm_store *s, uint8_t reftype, const struct wasm_limits *lim,
                   struct wasm_table **out)
{
	if (!wasm_is_reftype(reftype) || (lim->has_max && lim->max < lim->min)) {
		*out = NULL;
		return CU_EINVAL;
	}
	return wasm_table_add(s, reftype, lim, out);
}

static uint64_t value_bits(const struct wasm_value *v)
{
	switch (v->type) {
	case WASM_I32:
	case WASM_F32:
		return v->of.i32;
	case WASM_FUNCREF:
		return (uintptr_t)v->of.func;
	case WASM_EXTERNREF:
		return (uintptr_t)v->of.ext;
	default:
		return v->of.i64;
	}
}

static void value_set(struct wasm_value *v, uint8_t type, uint64_t bits)
{
	memset(v, 0, sizeof(*v));
	v->type = type;
	switch (type) {
	case WASM_I32:
	case WASM_F32:
		v->of.i32 = (uint32_t)bits;
		break;
	case WASM_FUNCREF:
		v->of.func = (struct wasm_func *)(uintptr_t)bits;
		break;
	case WASM_EXTERNREF:
		v->of.ext = (void *)(uintptr_t)bits;
		break;
	default:
		v->of.i64 = bits;
	}
}

int wasm_global_new(struct wasm_store *s, const struct wasm_value *v, int mut,
                    struct wasm_global **out)
{
	if (!wasm_is_valtype(v->type)) {
		*out = NULL;
		return CU_EINVAL;
	}
	return wasm_global_add(s, v->type, mut, value_bits(v), out);
}

void wasm_global_get(const struct wasm_global *g, struct wasm_value *v)
{
	value_set(v, g->type, g->val);
}

int wasm_global_set(struct wasm_global *g, const struct wasm_value *v)
{
	if (!g->mut)
		return CU_EPERM;
	if (v->type != g->type)
		return CU_EINVAL;
	g->val = value_bits(v);
	return 0;
}

uint64_t wasm_memory_size(const struct wasm_memory *mem)
{
	return mem->size;
}

int wasm_memory_read(const struct wasm_memory *mem, uint64_t addr, void *buf, size_t len)
{
	if (addr > mem->size || len > mem->size - addr)
		return CU_EINVAL;
	if (len)
		memcpy(buf, mem->data + addr, len);
	return 0;
}

int wasm_memory_write(struct wasm_memory *mem, uint64_t addr, const void *buf, size_t len)
{
	if (addr > mem->size || len > mem->size - addr)
		return CU_EINVAL;
	if (len)
		memcpy(mem->data + addr, buf, len);
	return 0;
}

int wasm_store_stacks(struct wasm_store *s)
{
	if (s->stack == NULL &&
	    (s->stack = cu_calloc(s->cfg.max_stack_slots, sizeof(*s->stack))) == NULL)
		return CU_ENOMEM;
	if (s->frames == NULL &&
	    (s->frames = cu_calloc(s->cfg.max_call_depth, sizeof(*s->frames))) == NULL)
		return CU_ENOMEM;
	return 0;
}

int wasm_invoke(struct wasm_store *s, struct wasm_func *f, const struct wasm_value *args,
                size_t nargs, struct wasm_value *results, size_t nresults)
{
	const struct wasm_ftype *t = &f->type;
	uint32_t i;
	int rc;

	if (s->running)
		return CU_ESTATE;
	if (nargs != t->nparams || nresults != t->nresults)
		return CU_EINVAL;
	if ((size_t)t->nparams + t->nresults >= s->cfg.max_stack_slots)
		return CU_ELIMIT;
	for (i = 0; i < nargs; i++)
		if (args[i].type != t->types[i])
			return CU_EINVAL;
	if ((rc = wasm_store_stacks(s)) != 0)
		return rc;
	for (i = 0; i < nargs; i++)
		s->stack[i] = value_bits(&args[i]);
	s->error[0] = '\0';
	s->exited = 0;
	s->running = 1;
	rc = wasm_exec(s, f, s->stack);
	s->running = 0;
	if (rc != 0)
		return rc;
	for (i = 0; i < nresults; i++)
		value_set(&results[i], t->types[t->nparams + i], s->stack[i]);
	return 0;
}

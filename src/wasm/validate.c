/*
 * validate.c - the type checker of the specification (its appendix
 * algorithm): an operand stack of value types, where 0 stands for the
 * unknown type of unreachable code, and a control stack of blocks.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "wasm/internal.h"

#define UNKNOWN 0

struct vctl {
	uint16_t op;
	uint32_t np, nr;
	const uint8_t *params, *results;
	uint32_t height;
	uint8_t unreachable;
};

struct val {
	const struct wasm_module *m;
	const uint8_t *declared;
	const char *msg;
	uint8_t *opds;
	uint32_t nopds, capopds;
	struct vctl *ctls;
	uint32_t nctls, capctls;
	uint8_t *locals;
	uint32_t nlocals;
	uint8_t tmp[2 * WASM_MAX_PARAMS];
};

/* One-byte storage for block types that name a single value type. */
static const uint8_t single[256] = {
    [WASM_I32] = WASM_I32, [WASM_I64] = WASM_I64,         [WASM_F32] = WASM_F32,
    [WASM_F64] = WASM_F64, [WASM_FUNCREF] = WASM_FUNCREF, [WASM_EXTERNREF] = WASM_EXTERNREF,
};

static int bad(struct val *v, const char *msg)
{
	if (v->msg == NULL)
		v->msg = msg;
	return CU_EINVAL;
}

static int push(struct val *v, uint8_t t)
{
	if (v->nopds == v->capopds) {
		uint32_t cap = v->capopds ? v->capopds * 2 : 64;
		uint8_t *p;
		if (cap > (1u << 24))
			return bad(v, "operand stack too deep");
		if ((p = realloc(v->opds, cap)) == NULL)
			return CU_ENOMEM;
		v->opds = p;
		v->capopds = cap;
	}
	v->opds[v->nopds++] = t;
	return 0;
}

static int pop(struct val *v, uint8_t *t)
{
	struct vctl *c = &v->ctls[v->nctls - 1];

	if (v->nopds == c->height) {
		if (c->unreachable) {
			*t = UNKNOWN;
			return 0;
		}
		return bad(v, "type mismatch");
	}
	*t = v->opds[--v->nopds];
	return 0;
}

static int pop_expect(struct val *v, uint8_t want)
{
	uint8_t t;
	int rc;

	if ((rc = pop(v, &t)) != 0)
		return rc;
	if (t != want && t != UNKNOWN && want != UNKNOWN)
		return bad(v, "type mismatch");
	return 0;
}

static int pop_vals(struct val *v, const uint8_t *types, uint32_t n)
{
	int rc;

	while (n-- > 0)
		if ((rc = pop_expect(v, types[n])) != 0)
			return rc;
	return 0;
}

static int push_vals(struct val *v, const uint8_t *types, uint32_t n)
{
	uint32_t i;
	int rc;

	for (i = 0; i < n; i++)
		if ((rc = push(v, types[i])) != 0)
			return rc;
	return 0;
}

static int push_ctl(struct val *v, uint16_t op, uint32_t np, const uint8_t *params, uint32_t nr,
                    const uint8_t *results)
{
	struct vctl *c;

	if (v->nctls == v->capctls) {
		uint32_t cap = v->capctls ? v->capctls * 2 : 16;
		if (cap > WASM_MAX_CTL_DEPTH)
			return bad(v, "blocks nested too deeply");
		if ((c = realloc(v->ctls, cap * sizeof(*c))) == NULL)
			return CU_ENOMEM;
		v->ctls = c;
		v->capctls = cap;
	}
	c = &v->ctls[v->nctls++];
	c->op = op;
	c->np = np;
	c->params = params;
	c->nr = nr;
	c->results = results;
	c->height = v->nopds;
	c->unreachable = 0;
	return push_vals(v, params, np);
}

static int pop_ctl(struct val *v, struct vctl *out)
{
	struct vctl *c;
	int rc;

	if (v->nctls == 0)
		return bad(v, "unexpected end");
	c = &v->ctls[v->nctls - 1];
	if ((rc = pop_vals(v, c->results, c->nr)) != 0)
		return rc;
	if (v->nopds != c->height)
		return bad(v, "type mismatch");
	*out = *c;
	v->nctls--;
	return 0;
}

static void set_unreachable(struct val *v)
{
	struct vctl *c = &v->ctls[v->nctls - 1];

	v->nopds = c->height;
	c->unreachable = 1;
}

static int label(struct val *v, uint32_t l, const uint8_t **types, uint32_t *n)
{
	struct vctl *c;

	if (l >= v->nctls)
		return bad(v, "unknown label");
	c = &v->ctls[v->nctls - 1 - l];
	if (c->op == 0x03) {
		*types = c->params;
		*n = c->np;
	} else {
		*types = c->results;
		*n = c->nr;
	}
	return 0;
}

static int blocktype(struct val *v, uint64_t bt, uint32_t *np, const uint8_t **p, uint32_t *nr,
                     const uint8_t **r)
{
	int64_t s = (int64_t)bt;
	const struct wasm_ftype *ft;

	*np = 0;
	*p = NULL;
	if (s < 0) {
		uint8_t t = (uint8_t)(s & 0x7f);
		*nr = t == 0x40 ? 0 : 1;
		*r = t == 0x40 ? NULL : &single[t];
		return 0;
	}
	if ((uint64_t)s >= v->m->ntypes)
		return bad(v, "unknown type");
	ft = &v->m->types[s];
	*np = ft->nparams;
	*p = ft->types;
	*nr = ft->nresults;
	*r = ft->types + ft->nparams;
	return 0;
}

static int v_block(struct val *v, const struct wasm_insn *in)
{
	uint32_t np, nr;
	const uint8_t *p, *r;
	int rc;

	if ((rc = blocktype(v, in->imm, &np, &p, &nr, &r)) != 0)
		return rc;
	if (in->op == 0x04 && (rc = pop_expect(v, WASM_I32)) != 0)
		return rc;
	if ((rc = pop_vals(v, p, np)) != 0)
		return rc;
	return push_ctl(v, in->op, np, p, nr, r);
}

static int v_else(struct val *v)
{
	struct vctl c;
	int rc;

	if (v->nctls == 0 || v->ctls[v->nctls - 1].op != 0x04)
		return bad(v, "else without if");
	if ((rc = pop_ctl(v, &c)) != 0)
		return rc;
	return push_ctl(v, 0x05, c.np, c.params, c.nr, c.results);
}

static int v_end(struct val *v)
{
	struct vctl c;
	int rc;

	if ((rc = pop_ctl(v, &c)) != 0)
		return rc;
	if (c.op == 0x04 && (c.np != c.nr || (c.np > 0 && memcmp(c.params, c.results, c.np) != 0)))
		return bad(v, "type mismatch");
	return push_vals(v, c.results, c.nr);
}

static int v_br_table(struct val *v, const struct wasm_insn *in)
{
	struct cu_reader r = in->targets;
	const uint8_t *types;
	uint32_t i, l, arity, n;
	int rc;

	if ((rc = pop_expect(v, WASM_I32)) != 0)
		return rc;
	for (i = 0; i <= in->a; i++) {
		(void)cu_read_uleb32(&r, &l);
		if ((rc = label(v, l, &types, &n)) != 0)
			return rc;
		if (i == 0)
			arity = n;
		else if (n != arity)
			return bad(v, "type mismatch");
		if (i == in->a)
			break;
		/* Pop with this label's types, push back what was there. */
		uint32_t k, base = v->nopds;
		for (k = n; k-- > 0;) {
			uint8_t t;
			if ((rc = pop(v, &t)) != 0)
				return rc;
			if (t != types[k] && t != UNKNOWN)
				return bad(v, "type mismatch");
			v->tmp[k] = t;
		}
		(void)base;
		if ((rc = push_vals(v, v->tmp, n)) != 0)
			return rc;
	}
	if ((rc = pop_vals(v, types, n)) != 0)
		return rc;
	set_unreachable(v);
	return 0;
}

static int v_call(struct val *v, uint32_t ti)
{
	const struct wasm_ftype *ft = &v->m->types[ti];
	int rc;

	if ((rc = pop_vals(v, ft->types, ft->nparams)) != 0)
		return rc;
	return push_vals(v, ft->types + ft->nparams, ft->nresults);
}

static int v_select(struct val *v, const struct wasm_insn *in)
{
	uint8_t t1, t2;
	int rc;

	if (in->op == 0x1c) {
		if (in->a != 1)
			return bad(v, "invalid result arity");
		if ((rc = pop_expect(v, WASM_I32)) != 0 || (rc = pop_expect(v, in->vt)) != 0 ||
		    (rc = pop_expect(v, in->vt)) != 0)
			return rc;
		return push(v, in->vt);
	}
	if ((rc = pop_expect(v, WASM_I32)) != 0 || (rc = pop(v, &t1)) != 0 ||
	    (rc = pop(v, &t2)) != 0)
		return rc;
	if (wasm_is_reftype(t1) || wasm_is_reftype(t2))
		return bad(v, "type mismatch");
	if (t1 != t2 && t1 != UNKNOWN && t2 != UNKNOWN)
		return bad(v, "type mismatch");
	return push(v, t1 == UNKNOWN ? t2 : t1);
}

static int v_sig(struct val *v, const char *sig)
{
	static const uint8_t map[128] = {
	    ['i'] = WASM_I32, ['I'] = WASM_I64, ['f'] = WASM_F32, ['F'] = WASM_F64};
	const char *colon = strchr(sig, ':');
	const char *p;
	int rc;

	for (p = colon; p-- > sig;)
		if ((rc = pop_expect(v, map[(unsigned char)*p])) != 0)
			return rc;
	for (p = colon + 1; *p; p++)
		if ((rc = push(v, map[(unsigned char)*p])) != 0)
			return rc;
	return 0;
}

static int need_mem(struct val *v)
{
	return v->m->nmems == 0 ? bad(v, "unknown memory") : 0;
}

static int need_table(struct val *v, uint32_t x)
{
	return x >= v->m->ntables ? bad(v, "unknown table") : 0;
}

static int v_memop(struct val *v, const struct wasm_insn *in)
{
	int rc;

	if ((rc = need_mem(v)) != 0)
		return rc;
	if (in->a > (uint32_t)wasm_mem_align(in->op))
		return bad(v, "alignment must not be larger than natural");
	return v_sig(v, wasm_numeric_sig(in->op));
}

static int v_local(struct val *v, const struct wasm_insn *in)
{
	uint8_t t;
	int rc;

	if (in->a >= v->nlocals)
		return bad(v, "unknown local");
	t = v->locals[in->a];
	if (in->op == 0x20)
		return push(v, t);
	if ((rc = pop_expect(v, t)) != 0)
		return rc;
	return in->op == 0x22 ? push(v, t) : 0;
}

static int v_global(struct val *v, const struct wasm_insn *in)
{
	const struct wasm_globaltype *g;

	if (in->a >= v->m->nglobals)
		return bad(v, "unknown global");
	g = &v->m->globals[in->a];
	if (in->op == 0x23)
		return push(v, g->type);
	if (!g->mut)
		return bad(v, "global is immutable");
	return pop_expect(v, g->type);
}

static int v_table(struct val *v, const struct wasm_insn *in)
{
	uint8_t t;
	int rc;

	if ((rc = need_table(v, in->a)) != 0)
		return rc;
	t = v->m->tables[in->a].reftype;
	if (in->op == 0x25) {
		if ((rc = pop_expect(v, WASM_I32)) != 0)
			return rc;
		return push(v, t);
	}
	if ((rc = pop_expect(v, t)) != 0)
		return rc;
	return pop_expect(v, WASM_I32);
}

static int pop3_i32(struct val *v)
{
	int rc;

	if ((rc = pop_expect(v, WASM_I32)) != 0 || (rc = pop_expect(v, WASM_I32)) != 0)
		return rc;
	return pop_expect(v, WASM_I32);
}

static int need_data(struct val *v, uint32_t x)
{
	if (!v->m->has_datacount)
		return bad(v, "data count section required");
	return x >= v->m->datacount ? bad(v, "unknown data segment") : 0;
}

static int need_elem(struct val *v, uint32_t x)
{
	return x >= v->m->nelems ? bad(v, "unknown elem segment") : 0;
}

static int v_fc(struct val *v, const struct wasm_insn *in)
{
	const struct wasm_module *m = v->m;
	int rc;

	switch (in->op - WASM_OP_FC) {
	case 8:
		if ((rc = need_mem(v)) != 0 || (rc = need_data(v, in->a)) != 0)
			return rc;
		return pop3_i32(v);
	case 9:
		return need_data(v, in->a);
	case 10:
	case 11:
		if ((rc = need_mem(v)) != 0)
			return rc;
		return pop3_i32(v);
	case 12:
		if ((rc = need_table(v, in->b)) != 0 || (rc = need_elem(v, in->a)) != 0)
			return rc;
		if (m->tables[in->b].reftype != m->elems[in->a].reftype)
			return bad(v, "type mismatch");
		return pop3_i32(v);
	case 13:
		return need_elem(v, in->a);
	case 14:
		if ((rc = need_table(v, in->a)) != 0 || (rc = need_table(v, in->b)) != 0)
			return rc;
		if (m->tables[in->a].reftype != m->tables[in->b].reftype)
			return bad(v, "type mismatch");
		return pop3_i32(v);
	case 15:
		if ((rc = need_table(v, in->a)) != 0 || (rc = pop_expect(v, WASM_I32)) != 0 ||
		    (rc = pop_expect(v, m->tables[in->a].reftype)) != 0)
			return rc;
		return push(v, WASM_I32);
	case 16:
		if ((rc = need_table(v, in->a)) != 0)
			return rc;
		return push(v, WASM_I32);
	case 17:
		if ((rc = need_table(v, in->a)) != 0 || (rc = pop_expect(v, WASM_I32)) != 0 ||
		    (rc = pop_expect(v, m->tables[in->a].reftype)) != 0)
			return rc;
		return pop_expect(v, WASM_I32);
	default:
		return v_sig(v, wasm_numeric_sig(in->op));
	}
}

static int v_ref(struct val *v, const struct wasm_insn *in)
{
	uint8_t t;
	int rc;

	switch (in->op) {
	case 0xd0:
		return push(v, in->vt);
	case 0xd1:
		if ((rc = pop(v, &t)) != 0)
			return rc;
		if (t != UNKNOWN && !wasm_is_reftype(t))
			return bad(v, "type mismatch");
		return push(v, WASM_I32);
	default:
		if (in->a >= v->m->nfuncs)
			return bad(v, "unknown function");
		if (!v->declared[in->a])
			return bad(v, "undeclared function reference");
		return push(v, WASM_FUNCREF);
	}
}

static int v_control(struct val *v, const struct wasm_insn *in)
{
	const uint8_t *types;
	uint32_t n;
	int rc;

	switch (in->op) {
	case 0x00:
		set_unreachable(v);
		return 0;
	case 0x0c:
	case 0x0d:
		if (in->op == 0x0d && (rc = pop_expect(v, WASM_I32)) != 0)
			return rc;
		if ((rc = label(v, in->a, &types, &n)) != 0 || (rc = pop_vals(v, types, n)) != 0)
			return rc;
		if (in->op == 0x0d)
			return push_vals(v, types, n);
		set_unreachable(v);
		return 0;
	case 0x0e:
		return v_br_table(v, in);
	case 0x0f:
		if ((rc = label(v, v->nctls - 1, &types, &n)) != 0 ||
		    (rc = pop_vals(v, types, n)) != 0)
			return rc;
		set_unreachable(v);
		return 0;
	case 0x10:
		if (in->a >= v->m->nfuncs)
			return bad(v, "unknown function");
		return v_call(v, v->m->func_types[in->a]);
	default: /* 0x11 call_indirect */
		if ((rc = need_table(v, in->b)) != 0)
			return rc;
		if (in->a >= v->m->ntypes)
			return bad(v, "unknown type");
		if (v->m->tables[in->b].reftype != WASM_FUNCREF)
			return bad(v, "type mismatch");
		if ((rc = pop_expect(v, WASM_I32)) != 0)
			return rc;
		return v_call(v, in->a);
	}
}

static int v_insn(struct val *v, const struct wasm_insn *in)
{
	uint8_t t;

	switch (in->op) {
	case 0x01:
		return 0;
	case 0x02:
	case 0x03:
	case 0x04:
		return v_block(v, in);
	case 0x05:
		return v_else(v);
	case 0x0b:
		return v_end(v);
	case 0x00:
	case 0x0c:
	case 0x0d:
	case 0x0e:
	case 0x0f:
	case 0x10:
	case 0x11:
		return v_control(v, in);
	case 0x1a:
		return pop(v, &t);
	case 0x1b:
	case 0x1c:
		return v_select(v, in);
	case 0x20:
	case 0x21:
	case 0x22:
		return v_local(v, in);
	case 0x23:
	case 0x24:
		return v_global(v, in);
	case 0x25:
	case 0x26:
		return v_table(v, in);
	case 0x3f:
	case 0x40: {
		int rc = need_mem(v);
		if (rc == 0 && in->op == 0x40)
			rc = pop_expect(v, WASM_I32);
		return rc ? rc : push(v, WASM_I32);
	}
	case 0x41:
		return push(v, WASM_I32);
	case 0x42:
		return push(v, WASM_I64);
	case 0x43:
		return push(v, WASM_F32);
	case 0x44:
		return push(v, WASM_F64);
	case 0xd0:
	case 0xd1:
	case 0xd2:
		return v_ref(v, in);
	default:
		if (in->op >= WASM_OP_FC)
			return v_fc(v, in);
		if (in->op >= 0x28 && in->op <= 0x3e)
			return v_memop(v, in);
		if (wasm_numeric_sig(in->op) != NULL)
			return v_sig(v, wasm_numeric_sig(in->op));
		return bad(v, "illegal opcode");
	}
}

static int v_func(struct val *v, uint32_t fi)
{
	const struct wasm_module *m = v->m;
	const struct wasm_code *c = &m->codes[fi - m->nfunc_imports];
	const struct wasm_ftype *ft = &m->types[m->func_types[fi]];
	struct cu_reader r;
	struct wasm_insn in;
	const char *msg = NULL;
	int rc;

	free(v->locals);
	v->nlocals = ft->nparams + c->nlocals;
	if ((v->locals = malloc(v->nlocals + 1)) == NULL)
		return CU_ENOMEM;
	memcpy(v->locals, ft->types, ft->nparams);
	memcpy(v->locals + ft->nparams, c->locals, c->nlocals);
	v->nopds = 0;
	v->nctls = 0;
	if ((rc = push_ctl(v, 0x02, 0, NULL, ft->nresults, ft->types + ft->nparams)) != 0)
		return rc;
	cu_reader_init(&r, c->body, c->len);
	while (v->nctls > 0) {
		if ((rc = wasm_read_insn(&r, &in, &msg)) != 0) {
			if (v->msg == NULL)
				v->msg = msg               ? msg
				         : rc == CU_ETRUNC ? "unexpected end"
				                           : "integer representation too long";
			return rc;
		}
		if ((rc = v_insn(v, &in)) != 0)
			return rc;
	}
	if (cu_reader_left(&r) != 0)
		return bad(v, "section size mismatch");
	return 0;
}

/* A constant expression of type want. */
static int v_cexpr(struct val *v, const struct wasm_cexpr *e, uint8_t want)
{
	const struct wasm_module *m = v->m;
	uint8_t stack[WASM_MAX_CONST_INSNS];
	uint32_t i, n = 0;

	for (i = 0; i < e->n; i++) {
		const struct wasm_cinsn *c = &e->insn[i];
		uint8_t t;
		switch (c->op) {
		case 0x41:
			t = WASM_I32;
			break;
		case 0x42:
			t = WASM_I64;
			break;
		case 0x43:
			t = WASM_F32;
			break;
		case 0x44:
			t = WASM_F64;
			break;
		case 0xd0:
			t = (uint8_t)c->imm;
			break;
		case 0xd2:
			if (c->imm >= m->nfuncs)
				return bad(v, "unknown function");
			t = WASM_FUNCREF;
			break;
		case 0x23:
			if (c->imm >= m->nglobal_imports)
				return bad(v, "unknown global");
			if (m->globals[c->imm].mut)
				return bad(v, "constant expression required");
			t = m->globals[c->imm].type;
			break;
		default:
			return bad(v, "constant expression required");
		}
		stack[n++] = t;
	}
	if (n != 1 || stack[0] != want)
		return bad(v, "type mismatch");
	return 0;
}

static int v_limits(struct val *v, const struct wasm_limits *l, uint32_t max, const char *msg)
{
	if (l->min > max || (l->has_max && l->max > max))
		return bad(v, msg);
	if (l->has_max && l->min > l->max)
		return bad(v, "size minimum must not be greater than maximum");
	return 0;
}

static void mark_declared(const struct wasm_module *m, uint8_t *decl, const struct wasm_cexpr *e)
{
	uint32_t i;

	for (i = 0; i < e->n; i++)
		if (e->insn[i].op == 0xd2 && e->insn[i].imm < m->nfuncs)
			decl[e->insn[i].imm] = 1;
}

static int v_imports_types(struct val *v)
{
	const struct wasm_module *m = v->m;
	uint32_t i;
	int rc;

	for (i = 0; i < m->nfuncs; i++)
		if (m->func_types[i] >= m->ntypes)
			return bad(v, "unknown type");
	for (i = 0; i < m->ntables; i++)
		if ((rc = v_limits(v, &m->tables[i].lim, UINT32_MAX, "table size")) != 0)
			return rc;
	for (i = 0; i < m->nmems; i++)
		if ((rc = v_limits(v, &m->mems[i], WASM_MAX_PAGES,
		                   "memory size must be at most 65536 pages (4GiB)")) != 0)
			return rc;
	if (m->nmems > 1)
		return bad(v, "multiple memories");
	return 0;
}

static int export_cmp(const void *a, const void *b)
{
	const struct wasm_export *x = *(const struct wasm_export *const *)a;
	const struct wasm_export *y = *(const struct wasm_export *const *)b;

	if (x->name_len != y->name_len)
		return x->name_len < y->name_len ? -1 : 1;
	return memcmp(x->name, y->name, x->name_len);
}

static int v_exports(struct val *v)
{
	const struct wasm_module *m = v->m;
	static const char *const unknown[] = {"unknown function", "unknown table", "unknown memory",
	                                      "unknown global"};
	const uint32_t counts[] = {m->nfuncs, m->ntables, m->nmems, m->nglobals};
	const struct wasm_export **sorted;
	uint32_t i;
	int rc = 0;

	for (i = 0; i < m->nexports; i++)
		if (m->exports[i].index >= counts[m->exports[i].kind])
			return bad(v, unknown[m->exports[i].kind]);
	if ((sorted = cu_calloc((size_t)m->nexports + 1, sizeof(*sorted))) == NULL)
		return CU_ENOMEM;
	for (i = 0; i < m->nexports; i++)
		sorted[i] = &m->exports[i];
	qsort(sorted, m->nexports, sizeof(*sorted), export_cmp);
	for (i = 1; i < m->nexports && rc == 0; i++)
		if (export_cmp(&sorted[i - 1], &sorted[i]) == 0)
			rc = bad(v, "duplicate export name");
	free(sorted);
	return rc;
}

static int v_segments(struct val *v)
{
	const struct wasm_module *m = v->m;
	uint32_t i, k;
	int rc;

	for (i = 0; i < m->nelems; i++) {
		const struct wasm_elem *e = &m->elems[i];
		for (k = 0; k < e->n; k++)
			if ((rc = v_cexpr(v, &e->items[k], e->reftype)) != 0)
				return rc;
		if (e->mode != WASM_SEG_ACTIVE)
			continue;
		if ((rc = need_table(v, e->table)) != 0)
			return rc;
		if (m->tables[e->table].reftype != e->reftype)
			return bad(v, "type mismatch");
		if ((rc = v_cexpr(v, &e->offset, WASM_I32)) != 0)
			return rc;
	}
	for (i = 0; i < m->ndatas; i++) {
		const struct wasm_data *d = &m->datas[i];
		if (d->mode != WASM_SEG_ACTIVE)
			continue;
		if (d->mem >= m->nmems)
			return bad(v, "unknown memory");
		if ((rc = v_cexpr(v, &d->offset, WASM_I32)) != 0)
			return rc;
	}
	return 0;
}

static int v_module(struct val *v, uint8_t *decl)
{
	const struct wasm_module *m = v->m;
	uint32_t i;
	int rc;

	if ((rc = v_imports_types(v)) != 0)
		return rc;
	for (i = m->nglobal_imports; i < m->nglobals; i++) {
		mark_declared(m, decl, &m->globals[i].init);
		if ((rc = v_cexpr(v, &m->globals[i].init, m->globals[i].type)) != 0)
			return rc;
	}
	for (i = 0; i < m->nelems; i++)
		for (uint32_t k = 0; k < m->elems[i].n; k++)
			mark_declared(m, decl, &m->elems[i].items[k]);
	for (i = 0; i < m->nexports; i++)
		if (m->exports[i].kind == WASM_EXTERN_FUNC && m->exports[i].index < m->nfuncs)
			decl[m->exports[i].index] = 1;
	if ((rc = v_exports(v)) != 0 || (rc = v_segments(v)) != 0)
		return rc;
	if (m->has_start) {
		const struct wasm_ftype *ft;
		if (m->start >= m->nfuncs)
			return bad(v, "unknown function");
		ft = &m->types[m->func_types[m->start]];
		if (ft->nparams != 0 || ft->nresults != 0)
			return bad(v, "start function");
	}
	for (i = m->nfunc_imports; i < m->nfuncs; i++)
		if ((rc = v_func(v, i)) != 0)
			return rc;
	return 0;
}

int wasm_validate(const struct wasm_module *m, char *err, size_t n)
{
	struct val *v;
	uint8_t *decl;
	int rc;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return CU_ENOMEM;
	if ((decl = calloc((size_t)m->nfuncs + 1, 1)) == NULL) {
		free(v);
		return CU_ENOMEM;
	}
	v->m = m;
	v->declared = decl;
	rc = v_module(v, decl);
	if (rc != 0)
		wasm_seterr(err, n, "%s", v->msg ? v->msg : cu_strerror(rc));
	free(v->opds);
	free(v->ctls);
	free(v->locals);
	free(v);
	free(decl);
	return rc;
}

/*
 * prepare.c - translate validated function bodies into the internal form
 * that exec.c runs (see ops.h and docs/wasm.md): operations become label
 * addresses (direct threading), immediates are decoded once, branch targets
 * are resolved to relative offsets, and the operand stack height of every
 * point is known, so a branch carries the slot it moves its results to.
 * Unreachable code is not emitted.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "wasm/internal.h"
#include "wasm/ops.h"

#define NO_POS ((size_t)-1)

struct pctl {
	uint16_t op;
	uint32_t base; /* height below the block's parameters */
	uint32_t np, nr;
	size_t start;    /* loop: first cell */
	size_t fixups;   /* forward branches to the end: cell index + 1, linked */
	size_t else_fix; /* if: the JZ offset cell + 1 */
	uint8_t unreachable;
};

struct prep {
	const struct wasm_module *m;
	const void *const *labels;
	union wasm_cell *code;
	size_t n, cap;
	uint32_t h, maxh;
	struct pctl *ctls;
	uint32_t nctls, capctls;
	size_t fuel_cell; /* immediate of the open OP_FUEL */
	uint64_t fuel_count;
	size_t last; /* cell of the last operation, or NO_POS after a label */
	size_t prev; /* the one before it */
	const char *msg;
};

static int emit(struct prep *p, uint64_t u)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		union wasm_cell *c;
		if (cap > WASM_MAX_CODE_CELLS)
			return CU_ELIMIT;
		if ((c = realloc(p->code, cap * sizeof(*c))) == NULL)
			return CU_ENOMEM;
		p->code = c;
		p->cap = cap;
	}
	p->code[p->n++].u = u;
	return 0;
}

static int emit_op(struct prep *p, uint16_t op)
{
	int rc;

	p->prev = p->last;
	p->last = p->n;
	if ((rc = emit(p, op)) != 0)
		return rc;
	if (p->labels != NULL)
		p->code[p->n - 1].op = p->labels[op];
	return 0;
}

/* A branch target here: no fusion across it. */
static void place_label(struct prep *p)
{
	p->last = NO_POS;
	p->prev = NO_POS;
}

static int emit2(struct prep *p, uint16_t op, uint64_t a)
{
	int rc;

	if ((rc = emit_op(p, op)) != 0)
		return rc;
	return emit(p, a);
}

static void height(struct prep *p, int32_t delta)
{
	p->h = (uint32_t)((int64_t)p->h + delta);
	if (p->h > p->maxh)
		p->maxh = p->h;
}

static struct pctl *top(struct prep *p);

static int close_fuel(struct prep *p)
{
	if (p->fuel_cell != NO_POS)
		p->code[p->fuel_cell].u = p->fuel_count ? p->fuel_count : 1;
	p->fuel_count = 0;
	p->fuel_cell = NO_POS;
	return 0;
}

static int open_fuel(struct prep *p)
{
	int rc;

	close_fuel(p);
	if ((rc = emit2(p, OP_FUEL, 0)) != 0)
		return rc;
	p->fuel_cell = p->n - 1;
	return 0;
}

static int push_ctl(struct prep *p, uint16_t op, uint32_t np, uint32_t nr)
{
	struct pctl *c;

	if (p->nctls == p->capctls) {
		uint32_t cap = p->capctls ? p->capctls * 2 : 16;
		if ((c = realloc(p->ctls, cap * sizeof(*c))) == NULL)
			return CU_ENOMEM;
		p->ctls = c;
		p->capctls = cap;
	}
	c = &p->ctls[p->nctls++];
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->np = np;
	c->nr = nr;
	c->base = p->h - np;
	c->start = p->n;
	c->unreachable = p->nctls > 1 && p->ctls[p->nctls - 2].unreachable;
	return 0;
}

static struct pctl *top(struct prep *p)
{
	return &p->ctls[p->nctls - 1];
}

static void blocktype(const struct wasm_module *m, uint64_t bt, uint32_t *np, uint32_t *nr)
{
	int64_t s = (int64_t)bt;

	if (s < 0) {
		*np = 0;
		*nr = (s & 0x7f) == 0x40 ? 0 : 1;
		return;
	}
	*np = m->types[s].nparams;
	*nr = m->types[s].nresults;
}

/* Emit a jump whose target is the label of control frame depth l. */
static int emit_target(struct prep *p, uint32_t l)
{
	struct pctl *c = &p->ctls[p->nctls - 1 - l];
	size_t cell = p->n;
	int rc;

	if (c->op == 0x03)
		return emit(p, (uint64_t)((int64_t)c->start - (int64_t)cell));
	if ((rc = emit(p, c->fixups)) != 0)
		return rc;
	c->fixups = cell + 1;
	return 0;
}

static void branch_shape(struct prep *p, uint32_t l, uint32_t *n, uint32_t *dst)
{
	struct pctl *c = &p->ctls[p->nctls - 1 - l];

	*n = c->op == 0x03 ? c->np : c->nr;
	*dst = c->base;
}

static int p_br(struct prep *p, uint32_t l, int cond)
{
	uint32_t n, dst;
	int rc;

	if (cond)
		height(p, -1);
	if (l == p->nctls - 1) { /* the function's own label: return */
		size_t skip = 0;
		if (cond) {
			if ((rc = emit2(p, OP_JZ, 0)) != 0)
				return rc;
			skip = p->n - 1;
		}
		if ((rc = emit2(p, OP_RETURN, p->ctls[0].nr)) != 0)
			return rc;
		if (cond) {
			p->code[skip].s = (int64_t)(p->n - skip);
			place_label(p);
		}
		return 0;
	}
	branch_shape(p, l, &n, &dst);
	if (p->h - n == dst) {
		if ((rc = emit_op(p, cond ? OP_JNZ : OP_JMP)) != 0)
			return rc;
		return emit_target(p, l);
	}
	if ((rc = emit_op(p, cond ? OP_BR_IF : OP_BR)) != 0 || (rc = emit_target(p, l)) != 0)
		return rc;
	return emit(p, n | (uint64_t)dst << 32);
}

static int p_br_table(struct prep *p, const struct wasm_insn *in)
{
	struct cu_reader r = in->targets;
	uint32_t i, l, n, dst;
	int rc;

	height(p, -1);
	if ((rc = emit2(p, OP_BR_TABLE, in->a)) != 0)
		return rc;
	for (i = 0; i <= in->a; i++) {
		(void)cu_read_uleb32(&r, &l);
		if (l == p->nctls - 1) {
			if ((rc = emit(p, 0)) != 0 ||
			    (rc = emit(p, p->ctls[0].nr | (uint64_t)UINT32_MAX << 32)) != 0)
				return rc;
			continue;
		}
		branch_shape(p, l, &n, &dst);
		if ((rc = emit_target(p, l)) != 0 || (rc = emit(p, n | (uint64_t)dst << 32)) != 0)
			return rc;
	}
	return 0;
}

static void patch_fixups(struct prep *p, size_t list, size_t pos)
{
	while (list != 0) {
		size_t cell = list - 1;
		list = (size_t)p->code[cell].u;
		p->code[cell].s = (int64_t)pos - (int64_t)cell;
	}
}

static int p_block(struct prep *p, const struct wasm_insn *in)
{
	uint32_t np, nr;
	int rc;

	blocktype(p->m, in->imm, &np, &nr);
	if (in->op == 0x04 && !top(p)->unreachable)
		height(p, -1);
	if ((rc = push_ctl(p, in->op, np, nr)) != 0)
		return rc;
	if (top(p)->unreachable)
		return 0;
	if (in->op == 0x03) {
		top(p)->start = p->n;
		if ((rc = open_fuel(p)) != 0)
			return rc;
		place_label(p);
	} else if (in->op == 0x04) {
		if ((rc = emit2(p, OP_JZ, 0)) != 0)
			return rc;
		top(p)->else_fix = p->n;
	}
	return 0;
}

static int p_else(struct prep *p)
{
	struct pctl *c = top(p);
	int parent_dead = p->nctls > 1 && p->ctls[p->nctls - 2].unreachable;
	int rc;

	if (!c->unreachable) {
		if ((rc = emit_op(p, OP_JMP)) != 0 || (rc = emit_target(p, 0)) != 0)
			return rc;
	}
	if (c->else_fix) {
		size_t cell = c->else_fix - 1;
		p->code[cell].s = (int64_t)p->n - (int64_t)cell;
		c->else_fix = 0;
	}
	place_label(p);
	c->op = 0x05;
	c->unreachable = (uint8_t)parent_dead;
	p->h = c->base + c->np;
	return 0;
}

static int p_end(struct prep *p)
{
	struct pctl c = *top(p);
	int rc;

	if (p->nctls == 1) {
		p->h = c.base + c.nr;
		if (!c.unreachable && (rc = emit2(p, OP_RETURN, c.nr)) != 0)
			return rc;
		p->nctls--;
		return 0;
	}
	p->nctls--;
	if (c.else_fix) {
		size_t cell = c.else_fix - 1;
		p->code[cell].s = (int64_t)p->n - (int64_t)cell;
	}
	patch_fixups(p, c.fixups, p->n);
	place_label(p);
	p->h = c.base + c.nr;
	if (!top(p)->unreachable && p->h > p->maxh)
		p->maxh = p->h;
	return 0;
}

/* Stack effect of a plain operation that keeps its WebAssembly number. */
static int32_t sig_delta(const char *sig)
{
	const char *colon = strchr(sig, ':');

	return (int32_t)strlen(colon + 1) - (int32_t)(colon - sig);
}

static int p_fc(struct prep *p, const struct wasm_insn *in)
{
	static const int8_t delta[WASM_OP_FC_COUNT] = {0, 0,  0,  0,  0, 0,  0,  0, -3,
	                                               0, -3, -3, -3, 0, -3, -1, 1, -3};
	uint32_t sub = in->op - WASM_OP_FC;
	int rc;

	if ((rc = emit_op(p, in->op)) != 0)
		return rc;
	if (sub == 8 || sub == 9 || sub == 13 || sub >= 15)
		rc = emit(p, in->a);
	else if (sub == 12 || sub == 14)
		rc = emit(p, in->a | (uint64_t)in->b << 32);
	height(p, delta[sub]);
	return rc;
}

static uint32_t slot_of(uint32_t local)
{
	return local;
}

static int p_var(struct prep *p, const struct wasm_insn *in)
{
	static const uint16_t iop[] = {OP_LOCAL_GET,  OP_LOCAL_SET, OP_LOCAL_TEE, OP_GLOBAL_GET,
	                               OP_GLOBAL_SET, OP_TABLE_GET, OP_TABLE_SET};
	static const int8_t delta[] = {1, -1, 0, 1, -1, 0, -2};
	uint32_t k = in->op - 0x20;
	uint64_t imm = k < 3 ? slot_of(in->a) : in->a;

	height(p, delta[k]);
	return emit2(p, iop[k], imm);
}

static int p_plain(struct prep *p, const struct wasm_insn *in)
{
	const char *sig = wasm_numeric_sig(in->op);
	int rc;

	if ((rc = emit_op(p, in->op)) != 0)
		return rc;
	if (in->op >= 0x28 && in->op <= 0x3e)
		rc = emit(p, in->b);
	height(p, sig_delta(sig));
	return rc;
}

static int p_misc(struct prep *p, const struct wasm_insn *in)
{
	const struct wasm_module *m = p->m;
	const struct wasm_ftype *ft;
	int rc;

	switch (in->op) {
	case 0x00:
		top(p)->unreachable = 1;
		return emit_op(p, 0x00);
	case 0x1a:
		height(p, -1);
		return emit_op(p, 0x1a);
	case 0x1b:
	case 0x1c:
		height(p, -2);
		return emit_op(p, 0x1b);
	case 0x10:
		ft = &m->types[m->func_types[in->a]];
		height(p, (int32_t)ft->nresults - (int32_t)ft->nparams);
		if (in->a < m->nfunc_imports)
			return emit2(p, OP_CALL_IMPORT, in->a);
		if ((rc = emit_op(p, OP_CALL)) != 0 || (rc = emit(p, 0)) != 0)
			return rc;
		p->code[p->n - 1].fn = &m->pfuncs[in->a - m->nfunc_imports];
		return 0;
	case 0x11:
		ft = &m->types[in->a];
		height(p, (int32_t)ft->nresults - (int32_t)ft->nparams - 1);
		return emit2(p, OP_CALL_INDIRECT, in->a | (uint64_t)in->b << 32);
	case 0x3f:
		height(p, 1);
		return emit_op(p, 0x3f);
	case 0x40:
		return emit_op(p, 0x40);
	case 0x41:
	case 0x42:
	case 0x43:
	case 0x44:
		height(p, 1);
		return emit2(p, OP_CONST, in->imm);
	case 0xd0:
		height(p, 1);
		return emit2(p, OP_CONST, 0);
	case 0xd1:
		return emit_op(p, 0xd1);
	default: /* 0xd2 */
		height(p, 1);
		return emit2(p, OP_REF_FUNC, in->a);
	}
}

static int p_insn(struct prep *p, const struct wasm_insn *in)
{
	switch (in->op) {
	case 0x02:
	case 0x03:
	case 0x04:
		return p_block(p, in);
	case 0x05:
		return p_else(p);
	case 0x0b:
		return p_end(p);
	default:
		break;
	}
	if (top(p)->unreachable)
		return 0;
	p->fuel_count++;
	switch (in->op) {
	case 0x01:
		return 0;
	case 0x0c:
		top(p)->unreachable = 1;
		return p_br(p, in->a, 0);
	case 0x0d:
		return p_br(p, in->a, 1);
	case 0x0e:
		top(p)->unreachable = 1;
		return p_br_table(p, in);
	case 0x0f:
		top(p)->unreachable = 1;
		return emit2(p, OP_RETURN, p->ctls[0].nr);
	default:
		break;
	}
	if (in->op >= 0x20 && in->op <= 0x26)
		return p_var(p, in);
	if (in->op >= WASM_OP_FC + 8)
		return p_fc(p, in);
	if (wasm_numeric_sig(in->op) != NULL)
		return p_plain(p, in);
	return p_misc(p, in);
}

static int p_func(struct prep *p, uint32_t fi, struct wasm_pfunc *pf)
{
	const struct wasm_module *m = p->m;
	const struct wasm_code *c = &m->codes[fi - m->nfunc_imports];
	const struct wasm_ftype *ft = &m->types[m->func_types[fi]];
	struct cu_reader r;
	struct wasm_insn in;
	const char *msg = NULL;
	int rc;

	p->code = NULL;
	p->n = p->cap = 0;
	p->nctls = 0;
	p->h = p->maxh = ft->nparams + c->nlocals;
	p->fuel_cell = NO_POS;
	place_label(p);
	if ((rc = push_ctl(p, 0x02, 0, ft->nresults)) != 0 || (rc = open_fuel(p)) != 0)
		goto out;
	cu_reader_init(&r, c->body, c->len);
	while (p->nctls > 0) {
		if ((rc = wasm_read_insn(&r, &in, &msg)) != 0 || (rc = p_insn(p, &in)) != 0)
			goto out;
	}
	close_fuel(p);
	pf->nparams = ft->nparams;
	pf->nresults = ft->nresults;
	pf->nlocals = c->nlocals;
	/* Results may be written past the operands (a call with more results). */
	pf->max_height = p->maxh + ft->nresults + 1;
	pf->index = fi;
	pf->ncells = (uint32_t)p->n;
	pf->code = p->code;
	p->code = NULL;
out:
	free(p->code);
	return rc;
}

int wasm_prepare(struct wasm_module *m, char *err, size_t n)
{
	struct prep p;
	uint32_t i, ndef = m->nfuncs - m->nfunc_imports;
	int rc = 0;

	memset(&p, 0, sizeof(p));
	p.m = m;
	p.labels = wasm_exec_labels();
	if ((m->pfuncs = cu_calloc(ndef ? ndef : 1, sizeof(*m->pfuncs))) == NULL)
		return CU_ENOMEM;
	for (i = 0; i < ndef; i++)
		if ((rc = p_func(&p, m->nfunc_imports + i, &m->pfuncs[i])) != 0)
			break;
	free(p.ctls);
	if (rc != 0)
		wasm_seterr(err, n, "cannot prepare function %u: %s", m->nfunc_imports + i,
		            cu_strerror(rc));
	return rc;
}

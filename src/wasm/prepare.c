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

/* An operation already emitted that a following one may absorb. */
#define HIST 3
struct hop {
	size_t pos; /* its operation cell */
	uint16_t op;
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
	struct hop hist[HIST]; /* the last operations since a label, newest last */
	uint32_t nhist;
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

	if (p->nhist == HIST) {
		memmove(p->hist, p->hist + 1, (HIST - 1) * sizeof(p->hist[0]));
		p->nhist--;
	}
	p->hist[p->nhist].pos = p->n;
	p->hist[p->nhist].op = op;
	p->nhist++;
	if ((rc = emit(p, op)) != 0)
		return rc;
	if (p->labels != NULL)
		p->code[p->n - 1].op = p->labels[op];
	return 0;
}

/* A branch target here: no fusion across it. */
static void place_label(struct prep *p)
{
	p->nhist = 0;
}

static int emit2(struct prep *p, uint16_t op, uint64_t a)
{
	int rc;

	if ((rc = emit_op(p, op)) != 0)
		return rc;
	return emit(p, a);
}

/*
 * Superinstructions (ops.h). The last few operations emitted since the last
 * label are kept in p->hist; an operation that can absorb them removes
 * their cells and emits its fused form. Nothing is fused across a label, so
 * no branch lands inside a fused sequence, and the operands are read in the
 * order the original sequence would read them.
 */
#define OPC(n, o, ...) o,
static const uint16_t bin_opc[] = {WASM_BIN_ALL(OPC)};
static const uint16_t load_opc[] = {WASM_LOADS(OPC)};
static const uint16_t store_opc[] = {WASM_STORES(OPC)};
#undef OPC
#define COUNT(...) +1
enum { NBIN = 0 WASM_BIN_ALL(COUNT), NCOND = 0 WASM_BIN_COND(COUNT) };
enum { NLOAD = 0 WASM_LOADS(COUNT), NSTORE = 0 WASM_STORES(COUNT) };
#undef COUNT

/* Source variants of a binary operation, and their D and C?Z forms. */
enum { FV_SS, FV_SI, FV_SL, FV_LI, FV_LL, FV_N };
static const uint16_t fv_base[FV_N] = {0, OP_SI_I32_EQ, OP_SL_I32_EQ, OP_LI_I32_EQ, OP_LL_I32_EQ};
static const uint16_t fv_dest[FV_N] = {OP_SSD_I32_EQ, OP_SID_I32_EQ, OP_SLD_I32_EQ, OP_LID_I32_EQ,
                                       OP_LLD_I32_EQ};
static const uint16_t fv_cz[FV_N] = {OP_CZ_SS_I32_EQ, OP_CZ_SI_I32_EQ, OP_CZ_SL_I32_EQ,
                                     OP_CZ_LI_I32_EQ, OP_CZ_LL_I32_EQ};
static const uint16_t fv_cnz[FV_N] = {OP_CNZ_SS_I32_EQ, OP_CNZ_SI_I32_EQ, OP_CNZ_SL_I32_EQ,
                                      OP_CNZ_LI_I32_EQ, OP_CNZ_LL_I32_EQ};

static int index_of(const uint16_t *tab, int n, uint16_t op)
{
	int i;

	for (i = 0; i < n; i++)
		if (tab[i] == op)
			return i;
	return -1;
}

/* The source variant of a binary operation (FV_*) and its list index, or -1. */
static int bin_variant(uint16_t op, int *k)
{
	int v;

	if ((*k = index_of(bin_opc, NBIN, op)) >= 0)
		return FV_SS;
	for (v = FV_SI; v < FV_N; v++) {
		if (op >= fv_base[v] && op < fv_base[v] + NBIN) {
			*k = op - fv_base[v];
			return v;
		}
	}
	return -1;
}

/* The k-th last operation (0: the last), or NULL. */
static const struct hop *back(const struct prep *p, uint32_t k)
{
	return k < p->nhist ? &p->hist[p->nhist - 1 - k] : NULL;
}

static uint64_t imm_of(const struct prep *p, const struct hop *h, uint32_t i)
{
	return p->code[h->pos + 1 + i].u;
}

/* Remove the last k operations. */
static void drop_ops(struct prep *p, uint32_t k)
{
	p->nhist -= k;
	p->n = p->hist[p->nhist].pos;
}

/* Replace the last operation's code, keeping its immediates. */
static void set_last_op(struct prep *p, uint16_t op)
{
	struct hop *h = &p->hist[p->nhist - 1];

	h->op = op;
	p->code[h->pos].u = op;
	if (p->labels != NULL)
		p->code[h->pos].op = p->labels[op];
}

static int is_op(const struct hop *h, uint16_t op)
{
	return h != NULL && h->op == op;
}

/* A binary operation: absorb the local.get/const operands before it. */
static int fuse_bin(struct prep *p, int k)
{
	const struct hop *l = back(p, 0), *m = back(p, 1);
	uint64_t a, b;
	int rc;

	if (is_op(l, OP_CONST) && is_op(m, OP_LOCAL_GET)) {
		a = imm_of(p, m, 0);
		b = imm_of(p, l, 0);
		drop_ops(p, 2);
		if ((rc = emit2(p, (uint16_t)(OP_LI_I32_EQ + k), a)) != 0)
			return rc;
		return emit(p, b);
	}
	if (is_op(l, OP_LOCAL_GET) && is_op(m, OP_LOCAL_GET)) {
		a = imm_of(p, m, 0);
		b = imm_of(p, l, 0);
		drop_ops(p, 2);
		return emit2(p, (uint16_t)(OP_LL_I32_EQ + k), a | b << 32);
	}
	if (is_op(l, OP_CONST) || is_op(l, OP_LOCAL_GET)) {
		uint16_t op = l->op == OP_CONST ? OP_SI_I32_EQ : OP_SL_I32_EQ;
		b = imm_of(p, l, 0);
		drop_ops(p, 1);
		return emit2(p, (uint16_t)(op + k), b);
	}
	return emit_op(p, bin_opc[k]);
}

static int fuse_load(struct prep *p, int k, uint32_t off)
{
	const struct hop *l = back(p, 0);
	uint64_t a;
	int rc;

	if (is_op(l, OP_LOCAL_GET)) {
		a = imm_of(p, l, 0);
		drop_ops(p, 1);
		if ((rc = emit2(p, (uint16_t)(OP_L_I32_LOAD + k), a)) != 0)
			return rc;
		return emit(p, off);
	}
	return emit2(p, load_opc[k], off);
}

static int fuse_store(struct prep *p, int k, uint32_t off)
{
	const struct hop *l = back(p, 0), *m = back(p, 1);
	uint64_t a, v;
	uint16_t op;
	int rc;

	if (is_op(l, OP_LOCAL_GET) && is_op(m, OP_LOCAL_GET)) {
		a = imm_of(p, m, 0);
		v = imm_of(p, l, 0);
		drop_ops(p, 2);
		if ((rc = emit2(p, (uint16_t)(OP_LL_I32_STORE + k), a | v << 32)) != 0)
			return rc;
		return emit(p, off);
	}
	if (is_op(l, OP_LOCAL_GET) || is_op(l, OP_CONST)) {
		op = l->op == OP_CONST ? OP_SI_I32_STORE : OP_SL_I32_STORE;
		v = imm_of(p, l, 0);
		drop_ops(p, 1);
		if ((rc = emit2(p, (uint16_t)(op + k), v)) != 0)
			return rc;
		return emit(p, off);
	}
	return emit2(p, store_opc[k], off);
}

/*
 * local.set d: make the last operation write its result to d instead of
 * pushing it (the D variants take one more cell, d, after the same
 * immediates). Returns 1 when done.
 */
static int fuse_set(struct prep *p, uint32_t d, int *rc)
{
	const struct hop *l = back(p, 0);
	uint64_t a;
	int v, k;

	if (l == NULL)
		return 0;
	if (l->op == OP_LOCAL_GET || l->op == OP_CONST) {
		uint16_t op = l->op;
		a = imm_of(p, l, 0);
		drop_ops(p, 1);
		if (op == OP_LOCAL_GET)
			*rc = emit2(p, OP_COPY, a | (uint64_t)d << 32);
		else if ((*rc = emit2(p, OP_SETI, d)) == 0)
			*rc = emit(p, a);
		return 1;
	}
	if ((v = bin_variant(l->op, &k)) >= 0) {
		set_last_op(p, (uint16_t)(fv_dest[v] + k));
	} else if ((k = index_of(load_opc, NLOAD, l->op)) >= 0) {
		set_last_op(p, (uint16_t)(OP_D_I32_LOAD + k));
	} else if (l->op >= OP_L_I32_LOAD && l->op < OP_L_I32_LOAD + NLOAD) {
		set_last_op(p, (uint16_t)(OP_LD_I32_LOAD + (l->op - OP_L_I32_LOAD)));
	} else {
		return 0;
	}
	*rc = emit(p, d);
	return 1;
}

/*
 * A conditional jump (jnz: jump if the condition is not zero) on the value
 * the last operation computes. The caller emits the offset cell.
 */
static int emit_cond(struct prep *p, int jnz)
{
	const struct hop *l;
	int v, k;

	while (is_op(l = back(p, 0), 0x45)) { /* i32.eqz: invert the jump */
		drop_ops(p, 1);
		jnz = !jnz;
	}
	if (is_op(l, OP_LOCAL_GET)) {
		uint64_t a = imm_of(p, l, 0);
		drop_ops(p, 1);
		return emit2(p, jnz ? OP_JNZ_L : OP_JZ_L, a);
	}
	if (l != NULL && (v = bin_variant(l->op, &k)) >= 0 && k < NCOND) {
		set_last_op(p, (uint16_t)((jnz ? fv_cnz[v] : fv_cz[v]) + k));
		return 0;
	}
	return emit_op(p, jnz ? OP_JNZ : OP_JZ);
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
			if ((rc = emit_cond(p, 0)) != 0 || (rc = emit(p, 0)) != 0)
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
		rc = cond ? emit_cond(p, 1) : emit_op(p, OP_JMP);
		if (rc != 0)
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
		if ((rc = emit_cond(p, 0)) != 0 || (rc = emit(p, 0)) != 0)
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
	int rc = 0;

	height(p, delta[k]);
	if (k == 1 && fuse_set(p, (uint32_t)imm, &rc))
		return rc;
	if (k == 2 && fuse_set(p, (uint32_t)imm, &rc)) /* tee: set, then get */
		return rc != 0 ? rc : emit2(p, OP_LOCAL_GET, imm);
	return emit2(p, iop[k], imm);
}

static int p_plain(struct prep *p, const struct wasm_insn *in)
{
	const char *sig = wasm_numeric_sig(in->op);
	int rc, k;

	height(p, sig_delta(sig));
	if ((k = index_of(bin_opc, NBIN, in->op)) >= 0)
		return fuse_bin(p, k);
	if ((k = index_of(load_opc, NLOAD, in->op)) >= 0)
		return fuse_load(p, k, in->b);
	if ((k = index_of(store_opc, NSTORE, in->op)) >= 0)
		return fuse_store(p, k, in->b);
	if ((rc = emit_op(p, in->op)) != 0)
		return rc;
	if (in->op >= 0x28 && in->op <= 0x3e)
		rc = emit(p, in->b);
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

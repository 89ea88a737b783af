/*
 * decode.c - the binary format into a struct wasm_module.
 *
 * Every read goes through a cu_reader; every count is checked against its
 * named maximum before anything is allocated for it; everything kept is
 * copied, so the module never points into the input buffer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "wasm/internal.h"

struct dec {
	struct wasm_module *m;
	const char *msg;      /* reason of the first failure, if not the default */
	uint32_t nfunc_decls; /* entries of the function section */
	uint8_t has_funcs, has_code;
};

void wasm_seterr(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || n == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

static int fail(struct dec *d, const char *msg, int rc)
{
	if (d->msg == NULL)
		d->msg = msg;
	return rc;
}

static int read_count(struct dec *d, struct cu_reader *r, uint32_t max, uint32_t *n)
{
	int rc;

	if ((rc = cu_read_uleb32(r, n)) != 0)
		return rc;
	if (*n > max)
		return fail(d, "count exceeds its maximum", CU_ELIMIT);
	/* Each element takes at least one byte: a cheap early truncation check. */
	if (*n > cu_reader_left(r))
		return fail(d, "unexpected end", CU_ETRUNC);
	return 0;
}

static int utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		size_t k, len;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += len;
	}
	return 1;
}

static int read_name(struct dec *d, struct cu_reader *r, char **out, uint32_t *len)
{
	const uint8_t *p;
	uint32_t n;
	int rc;

	*out = NULL;
	if ((rc = cu_read_uleb32(r, &n)) != 0)
		return rc;
	if (n > WASM_MAX_NAME)
		return fail(d, "name too long", CU_ELIMIT);
	if ((rc = cu_read_ptr(r, &p, n)) != 0)
		return rc;
	if (!utf8_valid(p, n))
		return fail(d, "malformed UTF-8 encoding", CU_EFORMAT);
	if ((*out = malloc((size_t)n + 1)) == NULL)
		return CU_ENOMEM;
	memcpy(*out, p, n);
	(*out)[n] = '\0';
	*len = n;
	return 0;
}

static int read_valtype(struct dec *d, struct cu_reader *r, uint8_t *t)
{
	int rc;

	if ((rc = cu_read_u8(r, t)) != 0)
		return rc;
	if (!wasm_is_valtype(*t))
		return fail(d, "malformed value type", CU_EFORMAT);
	return 0;
}

static int read_reftype(struct dec *d, struct cu_reader *r, uint8_t *t)
{
	int rc;

	if ((rc = cu_read_u8(r, t)) != 0)
		return rc;
	if (!wasm_is_reftype(*t))
		return fail(d, "malformed reference type", CU_EFORMAT);
	return 0;
}

static int read_limits(struct dec *d, struct cu_reader *r, struct wasm_limits *l)
{
	uint8_t flag;
	int rc;

	memset(l, 0, sizeof(*l));
	if ((rc = cu_read_u8(r, &flag)) != 0)
		return rc;
	if (flag > 1)
		return fail(d, "integer too large", CU_EFORMAT);
	if ((rc = cu_read_uleb32(r, &l->min)) != 0)
		return rc;
	l->has_max = flag;
	if (flag)
		return cu_read_uleb32(r, &l->max);
	return 0;
}

static int read_cexpr(struct dec *d, struct cu_reader *r, struct wasm_cexpr *e)
{
	struct wasm_insn in;
	const char *msg = NULL;
	int rc;

	memset(e, 0, sizeof(*e));
	for (;;) {
		if ((rc = wasm_read_insn(r, &in, &msg)) != 0)
			return msg ? fail(d, msg, rc) : rc;
		if (in.op == 0x0b)
			return 0;
		if (e->n == WASM_MAX_CONST_INSNS)
			return fail(d, "constant expression required", CU_EINVAL);
		e->insn[e->n].op = in.op;
		if (in.op == 0x23 || in.op == 0xd2)
			e->insn[e->n].imm = in.a;
		else if (in.op == 0xd0)
			e->insn[e->n].imm = in.vt;
		else
			e->insn[e->n].imm = in.imm;
		e->n++;
	}
}

static int read_functype(struct dec *d, struct cu_reader *r, struct wasm_ftype *t)
{
	uint8_t tmp[2 * WASM_MAX_PARAMS];
	uint32_t np, nr, i;
	uint8_t form;
	int rc;

	if ((rc = cu_read_u8(r, &form)) != 0)
		return rc;
	if (form != 0x60)
		return fail(d, "integer representation too long", CU_EFORMAT);
	if ((rc = read_count(d, r, WASM_MAX_PARAMS, &np)) != 0)
		return rc;
	for (i = 0; i < np; i++)
		if ((rc = read_valtype(d, r, &tmp[i])) != 0)
			return rc;
	if ((rc = read_count(d, r, WASM_MAX_PARAMS, &nr)) != 0)
		return rc;
	for (i = 0; i < nr; i++)
		if ((rc = read_valtype(d, r, &tmp[np + i])) != 0)
			return rc;
	if ((t->types = cu_memdup(tmp, (size_t)np + nr + 1)) == NULL)
		return CU_ENOMEM;
	t->nparams = np;
	t->nresults = nr;
	return 0;
}

static int sec_type(struct dec *d, struct cu_reader *r)
{
	struct wasm_module *m = d->m;
	uint32_t n, i;
	int rc;

	if ((rc = read_count(d, r, WASM_MAX_TYPES, &n)) != 0)
		return rc;
	if ((m->types = cu_calloc(n, sizeof(*m->types))) == NULL)
		return CU_ENOMEM;
	for (i = 0; i < n; i++) {
		m->ntypes = i + 1;
		if ((rc = read_functype(d, r, &m->types[i])) != 0)
			return rc;
	}
	return 0;
}

/* Grow an array of n elements of size sz to n + 1 (imports come one by one). */
static int grow(void **p, uint32_t n, size_t sz)
{
	void *q = realloc(*p, ((size_t)n + 1) * sz);

	if (q == NULL)
		return CU_ENOMEM;
	memset((uint8_t *)q + (size_t)n * sz, 0, sz);
	*p = q;
	return 0;
}

static int import_desc(struct dec *d, struct cu_reader *r, struct wasm_import *im)
{
	struct wasm_module *m = d->m;
	uint32_t ti;
	uint8_t mut;
	int rc;

	switch (im->kind) {
	case WASM_EXTERN_FUNC:
		if ((rc = cu_read_uleb32(r, &ti)) != 0)
			return rc;
		if ((rc = grow((void **)&m->func_types, m->nfuncs, sizeof(uint32_t))) != 0)
			return rc;
		m->func_types[m->nfuncs] = ti;
		im->index = m->nfuncs++;
		m->nfunc_imports++;
		return 0;
	case WASM_EXTERN_TABLE:
		if ((rc = grow((void **)&m->tables, m->ntables, sizeof(*m->tables))) != 0)
			return rc;
		if ((rc = read_reftype(d, r, &m->tables[m->ntables].reftype)) != 0)
			return rc;
		if ((rc = read_limits(d, r, &m->tables[m->ntables].lim)) != 0)
			return rc;
		im->index = m->ntables++;
		m->ntable_imports++;
		return 0;
	case WASM_EXTERN_MEMORY:
		if ((rc = grow((void **)&m->mems, m->nmems, sizeof(*m->mems))) != 0)
			return rc;
		if ((rc = read_limits(d, r, &m->mems[m->nmems])) != 0)
			return rc;
		im->index = m->nmems++;
		m->nmem_imports++;
		return 0;
	default:
		if ((rc = grow((void **)&m->globals, m->nglobals, sizeof(*m->globals))) != 0)
			return rc;
		if ((rc = read_valtype(d, r, &m->globals[m->nglobals].type)) != 0)
			return rc;
		if ((rc = cu_read_u8(r, &mut)) != 0)
			return rc;
		if (mut > 1)
			return fail(d, "malformed mutability", CU_EFORMAT);
		m->globals[m->nglobals].mut = mut;
		im->index = m->nglobals++;
		m->nglobal_imports++;
		return 0;
	}
}

static int sec_import(struct dec *d, struct cu_reader *r)
{
	struct wasm_module *m = d->m;
	struct wasm_import *im;
	uint32_t n, i;
	int rc;

	if ((rc = read_count(d, r, WASM_MAX_IMPORTS, &n)) != 0)
		return rc;
	if ((m->imports = cu_calloc(n, sizeof(*m->imports))) == NULL)
		return CU_ENOMEM;
	for (i = 0; i < n; i++) {
		im = &m->imports[i];
		m->nimports = i + 1;
		if ((rc = read_name(d, r, &im->module, &im->module_len)) != 0 ||
		    (rc = read_name(d, r, &im->name, &im->name_len)) != 0 ||
		    (rc = cu_read_u8(r, &im->kind)) != 0)
			return rc;
		if (im->kind > WASM_EXTERN_GLOBAL)
			return fail(d, "malformed import kind", CU_EFORMAT);
		if ((rc = import_desc(d, r, im)) != 0)
			return rc;
	}
	return 0;
}

static int sec_func(struct dec *d, struct cu_reader *r)
{
	struct wasm_module *m = d->m;
	uint32_t n, i;
	uint32_t *p;
	int rc;

	if ((rc = read_count(d, r, WASM_MAX_FUNCS - m->nfuncs, &n)) != 0)
		return rc;
	if ((p = realloc(m->func_types, ((size_t)m->nfuncs + n + 1) * sizeof(*p))) == NULL)
		return CU_ENOMEM;
	m->func_types = p;
	for (i = 0; i < n; i++)
		if ((rc = cu_read_uleb32(r, &m->func_types[m->nfuncs + i])) != 0)
			return rc;
	m->nfuncs += n;
	d->nfunc_decls = n;
	d->has_funcs = 1;
	return 0;
}

static int sec_table(struct dec *d, struct cu_reader *r)
{
	struct wasm_module *m = d->m;
	uint32_t n, i;
	int rc;

	if ((rc = read_count(d, r, WASM_MAX_TABLES, &n)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if ((rc = grow((void **)&m->tables, m->ntables, sizeof(*m->tables))) != 0)
			return rc;
		m->ntables++;
		if ((rc = read_reftype(d, r, &m->tables[m->ntables - 1].reftype)) != 0 ||
		    (rc = read_limits(d, r, &m->tables[m->ntables - 1].lim)) != 0)
			return rc;
	}
	return 0;
}

static int sec_memory(struct dec *d, struct cu_reader *r)
{
	struct wasm_module *m = d->m;
	uint32_t n, i;
	int rc;

	if ((rc = read_count(d, r, WASM_MAX_TABLES, &n)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if ((rc = grow((void **)&m->mems, m->nmems, sizeof(*m->mems))) != 0)
			return rc;
		m->nmems++;
		if ((rc = read_limits(d, r, &m->mems[m->nmems - 1])) != 0)
			return rc;
	}
	return 0;
}

static int sec_global(struct dec *d, struct cu_reader *r)
{
	struct wasm_module *m = d->m;
	struct wasm_globaltype *g;
	uint32_t n, i;
	int rc;

	if ((rc = read_count(d, r, WASM_MAX_GLOBALS - m->nglobals, &n)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if ((rc = grow((void **)&m->globals, m->nglobals, sizeof(*m->globals))) != 0)
			return rc;
		g = &m->globals[m->nglobals++];
		if ((rc = read_valtype(d, r, &g->type)) != 0 || (rc = cu_read_u8(r, &g->mut)) != 0)
			return rc;
		if (g->mut > 1)
			return fail(d, "malformed mutability", CU_EFORMAT);
		if ((rc = read_cexpr(d, r, &g->init)) != 0)
			return rc;
	}
	return 0;
}

static int sec_export(struct dec *d, struct cu_reader *r)
{
	struct wasm_module *m = d->m;
	struct wasm_export *e;
	uint32_t n, i;
	int rc;

	if ((rc = read_count(d, r, WASM_MAX_EXPORTS, &n)) != 0)
		return rc;
	if ((m->exports = cu_calloc(n, sizeof(*m->exports))) == NULL)
		return CU_ENOMEM;
	for (i = 0; i < n; i++) {
		e = &m->exports[i];
		m->nexports = i + 1;
		if ((rc = read_name(d, r, &e->name, &e->name_len)) != 0 ||
		    (rc = cu_read_u8(r, &e->kind)) != 0)
			return rc;
		if (e->kind > WASM_EXTERN_GLOBAL)
			return fail(d, "malformed export kind", CU_EFORMAT);
		if ((rc = cu_read_uleb32(r, &e->index)) != 0)
			return rc;
	}
	return 0;
}

static int sec_start(struct dec *d, struct cu_reader *r)
{
	d->m->has_start = 1;
	return cu_read_uleb32(r, &d->m->start);
}

/* Element items: function indices (as ref.func) or expressions. */
static int elem_items(struct dec *d, struct cu_reader *r, struct wasm_elem *e, int exprs)
{
	uint32_t n, i, fi;
	int rc;

	if ((rc = read_count(d, r, WASM_MAX_SEG_ELEMS, &n)) != 0)
		return rc;
	if ((e->items = cu_calloc(n ? n : 1, sizeof(*e->items))) == NULL)
		return CU_ENOMEM;
	for (i = 0; i < n; i++) {
		e->n = i + 1;
		if (exprs) {
			if ((rc = read_cexpr(d, r, &e->items[i])) != 0)
				return rc;
			continue;
		}
		if ((rc = cu_read_uleb32(r, &fi)) != 0)
			return rc;
		e->items[i].n = 1;
		e->items[i].insn[0].op = 0xd2;
		e->items[i].insn[0].imm = fi;
	}
	return 0;
}

static int elem_kind(struct dec *d, struct cu_reader *r)
{
	uint8_t k;
	int rc;

	if ((rc = cu_read_u8(r, &k)) != 0)
		return rc;
	if (k != 0)
		return fail(d, "malformed element kind", CU_EFORMAT);
	return 0;
}

static int read_elem(struct dec *d, struct cu_reader *r, struct wasm_elem *e)
{
	uint32_t flags;
	int rc, exprs;

	if ((rc = cu_read_uleb32(r, &flags)) != 0)
		return rc;
	if (flags > 7)
		return fail(d, "malformed elements segment kind", CU_EFORMAT);
	exprs = (flags & 4) != 0;
	e->reftype = WASM_FUNCREF;
	if (flags & 1)
		e->mode = (flags & 2) ? WASM_SEG_DECLARATIVE : WASM_SEG_PASSIVE;
	else
		e->mode = WASM_SEG_ACTIVE;
	if ((flags & 3) == 2 && (rc = cu_read_uleb32(r, &e->table)) != 0)
		return rc;
	if (!(flags & 1) && (rc = read_cexpr(d, r, &e->offset)) != 0)
		return rc;
	if (flags & 3) {
		rc = exprs ? read_reftype(d, r, &e->reftype) : elem_kind(d, r);
		if (rc != 0)
			return rc;
	}
	return elem_items(d, r, e, exprs);
}

static int sec_elem(struct dec *d, struct cu_reader *r)
{
	struct wasm_module *m = d->m;
	uint32_t n, i;
	int rc;

	if ((rc = read_count(d, r, WASM_MAX_SEGMENTS, &n)) != 0)
		return rc;
	if ((m->elems = cu_calloc(n ? n : 1, sizeof(*m->elems))) == NULL)
		return CU_ENOMEM;
	for (i = 0; i < n; i++) {
		m->nelems = i + 1;
		if ((rc = read_elem(d, r, &m->elems[i])) != 0)
			return rc;
	}
	return 0;
}

static int sec_datacount(struct dec *d, struct cu_reader *r)
{
	int rc;

	if ((rc = cu_read_uleb32(r, &d->m->datacount)) != 0)
		return rc;
	if (d->m->datacount > WASM_MAX_SEGMENTS)
		return fail(d, "count exceeds its maximum", CU_ELIMIT);
	d->m->has_datacount = 1;
	return 0;
}

static int read_locals(struct dec *d, struct cu_reader *r, struct wasm_code *c)
{
	struct cu_reader save = *r;
	uint32_t n, i, cnt, k;
	uint64_t total = 0;
	uint8_t t;
	int rc;

	if ((rc = read_count(d, r, WASM_MAX_LOCALS, &n)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if ((rc = cu_read_uleb32(r, &cnt)) != 0 || (rc = read_valtype(d, r, &t)) != 0)
			return rc;
		total += cnt;
		if (total > WASM_MAX_LOCALS)
			return fail(d, "too many locals", CU_ELIMIT);
	}
	if ((c->locals = malloc(total ? total : 1)) == NULL)
		return CU_ENOMEM;
	*r = save;
	(void)cu_read_uleb32(r, &n);
	for (i = 0; i < n; i++) {
		(void)cu_read_uleb32(r, &cnt);
		(void)cu_read_u8(r, &t);
		for (k = 0; k < cnt; k++)
			c->locals[c->nlocals++] = t;
	}
	return 0;
}

static int read_code(struct dec *d, struct cu_reader *r, struct wasm_code *c)
{
	struct cu_reader body;
	uint32_t size;
	int rc;

	if ((rc = cu_read_uleb32(r, &size)) != 0)
		return rc;
	if (size > WASM_MAX_BODY)
		return fail(d, "function body too large", CU_ELIMIT);
	if ((rc = cu_read_sub(r, &body, size)) != 0)
		return rc;
	if ((rc = read_locals(d, &body, c)) != 0)
		return rc;
	c->len = (uint32_t)cu_reader_left(&body);
	if (c->len == 0)
		return fail(d, "unexpected end of section or function", CU_ETRUNC);
	if ((c->body = cu_memdup(cu_reader_cur(&body), c->len)) == NULL)
		return CU_ENOMEM;
	return 0;
}

static int sec_code(struct dec *d, struct cu_reader *r)
{
	struct wasm_module *m = d->m;
	uint32_t n, i;
	int rc;

	if ((rc = read_count(d, r, WASM_MAX_FUNCS, &n)) != 0)
		return rc;
	if (n != d->nfunc_decls)
		return fail(d, "function and code section have inconsistent lengths", CU_EFORMAT);
	d->has_code = 1;
	if ((m->codes = cu_calloc(n ? n : 1, sizeof(*m->codes))) == NULL)
		return CU_ENOMEM;
	for (i = 0; i < n; i++) {
		m->ncodes = i + 1;
		if ((rc = read_code(d, r, &m->codes[i])) != 0)
			return rc;
	}
	return 0;
}

static int read_data(struct dec *d, struct cu_reader *r, struct wasm_data *s)
{
	const uint8_t *p;
	uint32_t flags;
	int rc;

	if ((rc = cu_read_uleb32(r, &flags)) != 0)
		return rc;
	if (flags > 2)
		return fail(d, "malformed data segment kind", CU_EFORMAT);
	s->mode = flags == 1 ? WASM_SEG_PASSIVE : WASM_SEG_ACTIVE;
	if (flags == 2 && (rc = cu_read_uleb32(r, &s->mem)) != 0)
		return rc;
	if (flags != 1 && (rc = read_cexpr(d, r, &s->offset)) != 0)
		return rc;
	if ((rc = cu_read_uleb32(r, &s->len)) != 0)
		return rc;
	if ((rc = cu_read_ptr(r, &p, s->len)) != 0)
		return fail(d, "unexpected end of section or function", rc);
	if ((s->bytes = malloc((size_t)s->len + 1)) == NULL)
		return CU_ENOMEM;
	if (s->len > 0)
		memcpy(s->bytes, p, s->len);
	return 0;
}

static int sec_data(struct dec *d, struct cu_reader *r)
{
	struct wasm_module *m = d->m;
	uint32_t n, i;
	int rc;

	if ((rc = read_count(d, r, WASM_MAX_SEGMENTS, &n)) != 0)
		return rc;
	if (m->has_datacount && n != m->datacount)
		return fail(d, "data count and data section have inconsistent lengths", CU_EFORMAT);
	if ((m->datas = cu_calloc(n ? n : 1, sizeof(*m->datas))) == NULL)
		return CU_ENOMEM;
	for (i = 0; i < n; i++) {
		m->ndatas = i + 1;
		if ((rc = read_data(d, r, &m->datas[i])) != 0)
			return rc;
	}
	return 0;
}

static int sec_custom(struct dec *d, struct cu_reader *r)
{
	char *name;
	uint32_t len;
	int rc;

	if ((rc = read_name(d, r, &name, &len)) != 0)
		return rc;
	free(name);
	return cu_read_skip(r, cu_reader_left(r));
}

/* The position of each section id in the required order (0: custom). */
static const uint8_t section_order[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};

static int section(struct dec *d, uint8_t id, struct cu_reader *r)
{
	switch (id) {
	case 0:
		return sec_custom(d, r);
	case 1:
		return sec_type(d, r);
	case 2:
		return sec_import(d, r);
	case 3:
		return sec_func(d, r);
	case 4:
		return sec_table(d, r);
	case 5:
		return sec_memory(d, r);
	case 6:
		return sec_global(d, r);
	case 7:
		return sec_export(d, r);
	case 8:
		return sec_start(d, r);
	case 9:
		return sec_elem(d, r);
	case 10:
		return sec_code(d, r);
	case 11:
		return sec_data(d, r);
	default:
		return sec_datacount(d, r);
	}
}

static int sections(struct dec *d, struct cu_reader *r)
{
	struct cu_reader sub;
	uint8_t id, last = 0;
	uint32_t size;
	int rc;

	while (cu_reader_left(r) > 0) {
		if ((rc = cu_read_u8(r, &id)) != 0)
			return rc;
		if (id > 12)
			return fail(d, "malformed section id", CU_EFORMAT);
		if ((rc = cu_read_uleb32(r, &size)) != 0)
			return rc;
		if ((rc = cu_read_sub(r, &sub, size)) != 0)
			return fail(d, "length out of bounds", rc);
		if (id != 0) {
			if (section_order[id] <= last)
				return fail(d, "unexpected content after last section", CU_EFORMAT);
			last = section_order[id];
		}
		if ((rc = section(d, id, &sub)) != 0)
			return rc;
		if (cu_reader_left(&sub) != 0)
			return fail(d, "section size mismatch", CU_EFORMAT);
	}
	if (d->nfunc_decls > 0 && !d->has_code)
		return fail(d, "function and code section have inconsistent lengths", CU_EFORMAT);
	if (d->m->has_datacount && d->m->datacount != d->m->ndatas)
		return fail(d, "data count and data section have inconsistent lengths", CU_EFORMAT);
	return 0;
}

static int header(struct dec *d, struct cu_reader *r)
{
	static const uint8_t magic[4] = {0, 'a', 's', 'm'};
	uint8_t b[4];
	uint32_t version;

	if (cu_read_bytes(r, b, 4) != 0 || memcmp(b, magic, 4) != 0)
		return fail(d, "magic header not detected", CU_EFORMAT);
	if (cu_read_u32le(r, &version) != 0 || version != 1)
		return fail(d, "unknown binary version", CU_EFORMAT);
	return 0;
}

static const char *default_msg(int rc)
{
	switch (rc) {
	case CU_ETRUNC:
		return "unexpected end";
	case CU_EFORMAT:
		return "integer representation too long";
	case CU_ENOMEM:
		return "out of memory";
	default:
		return cu_strerror(rc);
	}
}

int wasm_decode(const uint8_t *buf, size_t len, struct wasm_module **out, char *err, size_t n)
{
	struct dec d;
	struct cu_reader r;
	int rc;

	*out = NULL;
	memset(&d, 0, sizeof(d));
	if (len > WASM_MAX_MODULE_SIZE) {
		wasm_seterr(err, n, "module too large");
		return CU_ELIMIT;
	}
	if ((d.m = calloc(1, sizeof(*d.m))) == NULL)
		return CU_ENOMEM;
	cu_reader_init(&r, buf, len);
	if ((rc = header(&d, &r)) == 0)
		rc = sections(&d, &r);
	if (rc != 0) {
		wasm_seterr(err, n, "%s", d.msg ? d.msg : default_msg(rc));
		wasm_module_release(d.m);
		return rc;
	}
	*out = d.m;
	return 0;
}

void wasm_module_release(struct wasm_module *m)
{
	uint32_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->ntypes; i++)
		free(m->types[i].types);
	for (i = 0; i < m->nimports; i++) {
		free(m->imports[i].module);
		free(m->imports[i].name);
	}
	for (i = 0; i < m->nexports; i++)
		free(m->exports[i].name);
	for (i = 0; i < m->nelems; i++)
		free(m->elems[i].items);
	for (i = 0; i < m->ndatas; i++)
		free(m->datas[i].bytes);
	for (i = 0; i < m->ncodes; i++) {
		free(m->codes[i].locals);
		free(m->codes[i].body);
	}
	if (m->pfuncs != NULL)
		for (i = 0; i < m->nfuncs - m->nfunc_imports; i++)
			free(m->pfuncs[i].code);
	free(m->pfuncs);
	free(m->declared);
	free(m->types);
	free(m->imports);
	free(m->func_types);
	free(m->tables);
	free(m->mems);
	free(m->globals);
	free(m->exports);
	free(m->elems);
	free(m->datas);
	free(m->codes);
	free(m);
}

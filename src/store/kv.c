/*
 * kv.c - the table calls: get, put, delete, compare-and-swap, scan.
 *
 * The database knows rows only by HMAC ids, so a scan cannot ask it for a
 * range of keys: it reads every row of the table (by table id), opens each
 * sealed key name, keeps those with the prefix and sorts them; the values
 * are then read one by one as the callback asks for them. The rows read are
 * checked against the index, and their number against the index's count
 * for the table, so the host can neither add, hide nor move rows.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "store/internal.h"

static int check_key(const char *key, size_t *len)
{
	*len = 0;
	if (!key)
		return CU_EINVAL;
	*len = strnlen(key, ST_KEY_MAX + 1);
	if (*len == 0)
		return CU_EINVAL;
	return *len > ST_KEY_MAX ? CU_ELIMIT : 0;
}

static int check_val(const void *val, size_t len)
{
	if (!val && len)
		return CU_EINVAL;
	return len > ST_VALUE_MAX ? CU_ELIMIT : 0;
}

/* The name of a table record, after checking the key. */
static int kv_name(struct st_store *s, const char *table, const char *key, struct st_name *n)
{
	size_t klen;
	int rc;

	memset(n, 0, sizeof(*n));
	if (!s)
		return CU_EINVAL;
	rc = check_key(key, &klen);
	return rc ? rc : sti_name(s, ST_KIND_KV, table, key, klen, n);
}

int st_get(struct st_store *s, const char *table, const char *key, uint8_t **val, size_t *len,
           uint64_t *version)
{
	struct st_name n;
	int rc;

	if (val)
		*val = NULL;
	if (len)
		*len = 0;
	if (version)
		*version = 0;
	if (!val || !len)
		return CU_EINVAL;
	rc = kv_name(s, table, key, &n);
	if (!rc)
		rc = sti_lock(s);
	if (rc)
		return rc;
	rc = sti_read(s, &n, val, len, version);
	sti_unlock(s);
	return rc;
}

int st_cas(struct st_store *s, const char *table, const char *key, uint64_t expected,
           const void *val, size_t len, uint64_t *new_version)
{
	const struct st_entry *e;
	struct st_mark m;
	struct st_name n;
	int rc;

	if (new_version)
		*new_version = 0;
	rc = check_val(val, len);
	if (!rc)
		rc = kv_name(s, table, key, &n);
	if (!rc)
		rc = sti_op_begin(s, &m);
	if (rc)
		return rc;
	e = sti_ix_find(&s->ix, n.rid);
	if ((e ? e->ver : 0) != expected)
		rc = CU_ESTATE;
	else
		rc = sti_write(s, &n, val, len, new_version);
	rc = sti_op_end(s, &m, rc);
	if (rc && new_version)
		*new_version = 0;
	return rc;
}

int st_put(struct st_store *s, const char *table, const char *key, const void *val, size_t len)
{
	struct st_mark m;
	struct st_name n;
	int rc;

	rc = check_val(val, len);
	if (!rc)
		rc = kv_name(s, table, key, &n);
	if (!rc)
		rc = sti_op_begin(s, &m);
	if (rc)
		return rc;
	return sti_op_end(s, &m, sti_write(s, &n, val, len, NULL));
}

int st_delete(struct st_store *s, const char *table, const char *key)
{
	struct st_mark m;
	struct st_name n;
	int rc;

	rc = kv_name(s, table, key, &n);
	if (!rc)
		rc = sti_op_begin(s, &m);
	if (rc)
		return rc;
	return sti_op_end(s, &m, sti_remove(s, &n));
}

/* A matching key found by the first pass of a scan. */
struct hit {
	char *key;
	size_t klen;
};

struct scan_ctx {
	struct st_store *s;
	const struct st_name *table;
	const char *prefix;
	size_t plen;
	struct hit *v;
	size_t n, cap;
	size_t rows;
	uint8_t key[ST_KEY_MAX + 1];
};

static int add_hit(struct scan_ctx *c, const uint8_t *key, size_t klen)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct hit *v = cu_calloc(cap, sizeof(*v));
		if (!v)
			return CU_ENOMEM;
		if (c->n)
			memcpy(v, c->v, c->n * sizeof(*v));
		free(c->v);
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n].key = cu_memdup(key, klen + 1);
	if (!c->v[c->n].key)
		return CU_ENOMEM;
	c->v[c->n++].klen = klen;
	return 0;
}

static int scan_row(void *arg, const struct st_row *r)
{
	struct scan_ctx *c = arg;
	const struct st_entry *e = sti_ix_find(&c->s->ix, r->rid);
	size_t klen;
	int rc;

	if (!e || e->ver != r->ver || memcmp(e->tid, r->tid, ST_TID_LEN) ||
	    memcmp(e->nonce, r->nonce, ST_NONCE_LEN))
		return CU_EAUTH;
	c->rows++;
	rc = sti_open_name(c->s, c->table, r, c->key, &klen);
	if (!rc && klen >= c->plen && !memcmp(c->key, c->prefix, c->plen))
		rc = add_hit(c, c->key, klen);
	cu_wipe(c->key, sizeof(c->key));
	return rc;
}

static int hit_cmp(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	int d = memcmp(x->key, y->key, x->klen < y->klen ? x->klen : y->klen);

	return d ? d : (x->klen > y->klen) - (x->klen < y->klen);
}

/* First pass: the sorted keys of the table that start with the prefix. */
static int scan_keys(struct scan_ctx *c)
{
	size_t want;
	int rc = sti_lock(c->s);

	if (rc)
		return rc;
	want = sti_ix_count_tid(&c->s->ix, c->table->tid);
	rc = c->s->be->row_each(c->s->db, c->table->tid, scan_row, c);
	if (!rc && c->rows != want)
		rc = CU_EAUTH; /* the host hid rows of the table */
	sti_unlock(c->s);
	if (!rc && c->n > 1)
		qsort(c->v, c->n, sizeof(*c->v), hit_cmp);
	return rc;
}

/* Second pass, for one key: read its value (skipped when deleted meanwhile) and call fn. */
static int scan_visit(struct scan_ctx *c, const struct hit *h, st_scan_fn fn, void *arg)
{
	struct st_name n;
	uint8_t *val = NULL;
	size_t len = 0;
	uint64_t ver = 0;
	int rc;

	rc = sti_name(c->s, ST_KIND_KV, c->table->table, h->key, h->klen, &n);
	if (!rc)
		rc = sti_lock(c->s);
	if (rc)
		return rc;
	rc = sti_read(c->s, &n, &val, &len, &ver);
	sti_unlock(c->s);
	if (rc == CU_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	rc = fn(arg, h->key, val, len, ver);
	cu_free_secret(val, len + 1);
	return rc;
}

int st_scan(struct st_store *s, const char *table, const char *prefix, st_scan_fn fn, void *arg)
{
	struct scan_ctx c = {.s = s, .prefix = prefix ? prefix : ""};
	struct st_name t;
	int rc;

	if (!s || !fn)
		return CU_EINVAL;
	c.plen = strnlen(c.prefix, ST_KEY_MAX + 1);
	if (c.plen > ST_KEY_MAX)
		return CU_ELIMIT;
	rc = sti_name(s, ST_KIND_KV, table, NULL, 0, &t);
	if (rc)
		return rc;
	c.table = &t;
	rc = scan_keys(&c);
	for (size_t i = 0; !rc && i < c.n; i++)
		rc = scan_visit(&c, &c.v[i], fn, arg);
	for (size_t i = 0; i < c.n; i++)
		cu_free_secret(c.v[i].key, c.v[i].klen + 1);
	free(c.v);
	return rc > 0 ? 0 : rc;
}

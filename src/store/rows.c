/*
 * rows.c - reading and writing one sealed row, checked against the index.
 *
 * A read is accepted only when the row the database returns has exactly the
 * version, table id and nonce that the trusted index holds for its row id,
 * and its value opens under associated data (kind, table, key, version).
 * A row the index has and the database lacks was deleted by the host. Every
 * write updates the index and the digest (XOR of one HMAC element per row)
 * and logs the old entry, so that a failed call or a rolled-back transaction
 * restores both exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "store/internal.h"

struct read_ctx {
	struct st_store *s;
	const struct st_name *n;
	struct st_entry e;
	uint8_t **val;
	size_t *len;
};

static int read_cb(void *arg, const struct st_row *r)
{
	struct read_ctx *c = arg;

	if (r->ver != c->e.ver || memcmp(r->rid, c->e.rid, ST_RID_LEN) ||
	    memcmp(r->tid, c->e.tid, ST_TID_LEN) || memcmp(r->nonce, c->e.nonce, ST_NONCE_LEN))
		return CU_EAUTH;
	return sti_open_val(c->s, c->n, r, c->val, c->len);
}

int sti_read(struct st_store *s, const struct st_name *n, uint8_t **val, size_t *len, uint64_t *ver)
{
	const struct st_entry *e = sti_ix_find(&s->ix, n->rid);
	struct read_ctx c = {.s = s, .n = n, .val = val, .len = len};
	int rc;

	*val = NULL;
	*len = 0;
	if (!e)
		return CU_ENOTFOUND;
	c.e = *e;
	rc = s->be->row_get(s->db, n->rid, read_cb, &c);
	if (rc == CU_ENOTFOUND)
		rc = CU_EAUTH; /* indexed, so the host removed it */
	if (!rc && ver)
		*ver = c.e.ver;
	return rc;
}

int sti_track(struct st_store *s, const uint8_t rid[static ST_RID_LEN], const struct st_entry *e)
{
	const struct st_entry *old = sti_ix_find(&s->ix, rid);
	uint8_t out[ST_DIGEST_LEN] = {0}, in[ST_DIGEST_LEN] = {0};
	struct st_undo *u;
	int rc;

	rc = sti_log_reserve(&s->log, 1);
	if (!rc && e && !old) /* only when old is NULL: growing moves the entries */
		rc = sti_ix_reserve(&s->ix, 1);
	if (!rc && old)
		rc = sti_element(s, old, out);
	if (!rc && e)
		rc = sti_element(s, e, in);
	if (rc)
		return rc;
	/* Nothing fails from here on. */
	u = &s->log.v[s->log.n++];
	memcpy(u->rid, rid, ST_RID_LEN);
	u->existed = old != NULL;
	if (old)
		u->old = *old;
	for (size_t i = 0; i < ST_DIGEST_LEN; i++)
		s->digest[i] ^= out[i] ^ in[i];
	if (e)
		sti_ix_set(&s->ix, e);
	else
		sti_ix_del(&s->ix, rid);
	s->dirty = 1;
	return 0;
}

void sti_undo_to(struct st_store *s, const struct st_mark *m)
{
	while (s->log.n > m->logn) {
		const struct st_undo *u = &s->log.v[--s->log.n];
		if (u->existed)
			sti_ix_set(&s->ix, &u->old);
		else
			sti_ix_del(&s->ix, u->rid);
	}
	memcpy(s->digest, m->digest, ST_DIGEST_LEN);
}

/* The next version; it is never handed out twice while the store is open. */
static int next_version(struct st_store *s, uint64_t *ver)
{
	if (s->seq >= ST_VER_MAX)
		return CU_ELIMIT;
	*ver = ++s->seq;
	return 0;
}

int sti_write(struct st_store *s, const struct st_name *n, const void *val, size_t len,
              uint64_t *ver)
{
	struct st_entry e;
	struct st_row r;
	uint8_t *buf = NULL;
	uint64_t v;
	int rc;

	rc = next_version(s, &v);
	if (!rc)
		rc = sti_seal_row(s, n, v, val, len, &r, &buf);
	if (!rc)
		rc = s->be->row_put(s->db, &r);
	if (!rc) {
		memset(&e, 0, sizeof(e));
		memcpy(e.rid, r.rid, ST_RID_LEN);
		memcpy(e.tid, r.tid, ST_TID_LEN);
		memcpy(e.nonce, r.nonce, ST_NONCE_LEN);
		e.ver = v;
		rc = sti_track(s, n->rid, &e);
	}
	free(buf);
	if (!rc && ver)
		*ver = v;
	return rc;
}

int sti_remove(struct st_store *s, const struct st_name *n)
{
	uint64_t v;
	int rc;

	if (!sti_ix_find(&s->ix, n->rid))
		return CU_ENOTFOUND;
	rc = next_version(s, &v); /* a deletion is a write: the counter moves */
	(void)v;
	if (!rc)
		rc = s->be->row_del(s->db, n->rid);
	if (rc == CU_ENOTFOUND)
		rc = CU_EAUTH;
	if (!rc)
		rc = sti_track(s, n->rid, NULL);
	return rc;
}

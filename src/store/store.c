/*
 * store.c - opening and closing a store, locking, transactions and the
 * sealed state record that carries the write counter and the row digest.
 *
 * Every write call runs as one unit: outside a transaction in a database
 * transaction of its own, which also rewrites the state record; inside one
 * under a savepoint. A failed unit is rolled back in the database and in
 * memory (index, digest) alike. The version counter in memory never goes
 * back, even when a unit is rolled back, so that no two writes of one
 * process share a version.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "crypto/rand.h"
#include "store/internal.h"

int sti_check_name(const char *name, size_t *len)
{
	size_t n;

	*len = 0;
	if (!name)
		return CU_EINVAL;
	n = strnlen(name, ST_TABLE_MAX + 1);
	if (n == 0)
		return CU_EINVAL;
	if (n > ST_TABLE_MAX)
		return CU_ELIMIT;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return CU_EINVAL;
	}
	*len = n;
	return 0;
}

int sti_lock(struct st_store *s)
{
	if (!s)
		return CU_EINVAL;
	pthread_mutex_lock(&s->lock);
	if (s->broken) {
		pthread_mutex_unlock(&s->lock);
		return CU_EIO;
	}
	return 0;
}

void sti_unlock(struct st_store *s)
{
	pthread_mutex_unlock(&s->lock);
}

/* Rewrite the state record when the transaction wrote, then commit. */
static int commit_db(struct st_store *s)
{
	struct st_meta m;
	int rc = 0;

	if (s->dirty) {
		rc = sti_seal_state(s, s->ix.n, s->digest, &m);
		if (!rc)
			rc = s->be->meta_put(s->db, &m);
	}
	if (!rc)
		rc = s->be->commit(s->db);
	if (!rc) {
		s->committed = s->seq;
		s->log.n = 0;
		s->dirty = 0;
	}
	return rc;
}

/* Roll the database back and memory with it. */
static void abort_db(struct st_store *s, const struct st_mark *m, int whole)
{
	if ((whole ? s->be->rollback(s->db) : s->be->rollback_to(s->db)) != 0)
		s->broken = 1; /* the database may hold what memory forgets */
	sti_undo_to(s, m);
	if (whole)
		s->dirty = 0;
}

int sti_op_begin(struct st_store *s, struct st_mark *m)
{
	int rc = sti_lock(s);

	if (rc)
		return rc;
	m->logn = s->log.n;
	memcpy(m->digest, s->digest, ST_DIGEST_LEN);
	rc = s->in_tx ? s->be->savepoint(s->db) : s->be->begin(s->db);
	if (rc)
		sti_unlock(s);
	return rc;
}

int sti_op_end(struct st_store *s, const struct st_mark *m, int rc)
{
	if (s->in_tx) {
		if (rc)
			abort_db(s, m, 0);
		else if ((rc = s->be->release(s->db)) != 0)
			abort_db(s, m, 0);
	} else {
		if (!rc)
			rc = commit_db(s);
		if (rc)
			abort_db(s, m, 1);
	}
	sti_unlock(s);
	return rc;
}

int st_begin(struct st_store *s)
{
	int rc = sti_lock(s);

	if (rc)
		return rc;
	if (s->in_tx) {
		sti_unlock(s);
		return CU_ESTATE;
	}
	rc = s->be->begin(s->db);
	if (rc) {
		sti_unlock(s);
		return rc;
	}
	s->in_tx = 1;
	s->dirty = 0;
	s->txmark.logn = s->log.n;
	memcpy(s->txmark.digest, s->digest, ST_DIGEST_LEN);
	return 0; /* the lock stays held until st_commit or st_rollback */
}

/* End the calling thread's transaction: commit (or roll back), then drop both holds. */
static int end_tx(struct st_store *s, int commit)
{
	int rc;

	if (!s)
		return CU_EINVAL;
	pthread_mutex_lock(&s->lock);
	if (!s->in_tx) {
		pthread_mutex_unlock(&s->lock);
		return CU_ESTATE;
	}
	if (commit && s->broken)
		rc = CU_EIO;
	else
		rc = commit ? commit_db(s) : 0;
	if (rc || !commit)
		abort_db(s, &s->txmark, 1);
	if (!rc && s->broken)
		rc = CU_EIO; /* the rollback failed: the database may keep the writes */
	s->in_tx = 0;
	s->log.n = 0;
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int st_commit(struct st_store *s)
{
	return end_tx(s, 1);
}

int st_rollback(struct st_store *s)
{
	return end_tx(s, 0);
}

int st_counter(struct st_store *s, uint64_t *counter)
{
	int rc;

	if (counter)
		*counter = 0;
	if (!counter)
		return CU_EINVAL;
	rc = sti_lock(s);
	if (rc)
		return rc;
	*counter = s->committed;
	sti_unlock(s);
	return 0;
}

/* A new store: a random salt, the schema and a state record of no rows. */
static int create(struct st_store *s)
{
	struct st_meta m;
	int rc;

	rc = cr_random(s->salt, sizeof(s->salt));
	if (!rc)
		rc = sti_keys_init(s);
	if (!rc)
		rc = s->be->begin(s->db);
	if (rc)
		return rc;
	rc = s->be->create(s->db);
	if (!rc)
		rc = sti_seal_state(s, 0, s->digest, &m);
	if (!rc)
		rc = s->be->meta_put(s->db, &m);
	if (!rc)
		rc = s->be->commit(s->db);
	if (rc)
		s->be->rollback(s->db);
	return rc;
}

/* Index one row read at open; a row id seen twice cannot be ours. */
static int load_row(void *arg, const struct st_row *r)
{
	struct st_store *s = arg;
	struct st_entry e;
	uint8_t el[ST_DIGEST_LEN];
	int rc;

	if (r->ver > s->seq || sti_ix_find(&s->ix, r->rid))
		return CU_EAUTH;
	memcpy(e.rid, r->rid, ST_RID_LEN);
	memcpy(e.tid, r->tid, ST_TID_LEN);
	memcpy(e.nonce, r->nonce, ST_NONCE_LEN);
	e.ver = r->ver;
	rc = sti_ix_reserve(&s->ix, 1);
	if (!rc)
		rc = sti_element(s, &e, el);
	if (rc)
		return rc;
	sti_ix_set(&s->ix, &e);
	for (size_t i = 0; i < ST_DIGEST_LEN; i++)
		s->digest[i] ^= el[i];
	return 0;
}

/* An existing store: open the state record, index every row, compare. */
static int load(struct st_store *s)
{
	uint8_t want[ST_DIGEST_LEN];
	struct st_meta m;
	uint64_t rows;
	int rc;

	rc = s->be->meta_get(s->db, &m);
	if (rc)
		return rc;
	memcpy(s->salt, m.salt, ST_SALT_LEN);
	s->seq = m.counter;
	rc = sti_keys_init(s);
	if (!rc)
		rc = sti_open_state(s, &m, &rows, want);
	if (!rc)
		rc = s->be->row_each(s->db, NULL, load_row, s);
	if (!rc && (rows != s->ix.n || !cu_ct_eq(want, s->digest, ST_DIGEST_LEN)))
		rc = CU_EAUTH;
	s->committed = s->seq;
	cu_wipe(want, sizeof(want));
	return rc;
}

int st_open(const char *path, const uint8_t key[static ST_KEY_LEN], struct st_store **out)
{
	pthread_mutexattr_t attr;
	struct st_store *s;
	int rc, fresh = 0;

	if (out)
		*out = NULL;
	if (!path || !key || !out)
		return CU_EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return CU_ENOMEM;
	if (pthread_mutexattr_init(&attr)) {
		free(s);
		return CU_ENOMEM;
	}
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	rc = pthread_mutex_init(&s->lock, &attr) ? CU_ENOMEM : 0;
	pthread_mutexattr_destroy(&attr);
	if (rc) {
		free(s);
		return rc;
	}
	memcpy(s->key, key, ST_KEY_LEN);
	s->be = &st_sqlite_backend;
	rc = s->be->open(path, &s->db, &fresh);
	if (!rc)
		rc = fresh ? create(s) : load(s);
	if (rc) {
		st_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void st_close(struct st_store *s)
{
	if (!s)
		return;
	if (s->in_tx) {
		s->be->rollback(s->db);
		pthread_mutex_unlock(&s->lock); /* the transaction's hold */
	}
	if (s->db)
		s->be->close(s->db);
	sti_ix_free(&s->ix);
	sti_log_free(&s->log);
	sti_keys_wipe(s);
	cu_wipe(s->digest, sizeof(s->digest));
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/*
 * sqlite.c - the SQLite backend of the store.
 *
 * One file, WAL journal, synchronous=FULL (a commit is durable when it
 * returns), exclusive locking (one process at a time: the store's index in
 * memory must be the only writer's), a busy timeout for that lock. The file
 * is untrusted, so the connection is opened defensively (SQLite's "defense
 * against the dark arts": DEFENSIVE, no triggers, no views, untrusted
 * schema, cell size checks, no mmap) and the schema must be exactly ours.
 *
 * Schema version 1 (PRAGMA user_version = 1):
 *   meta(id = 1, salt, counter, nonce, state)   the sealed state record
 *   kv(rid PRIMARY KEY, tid, ver, nonce, name, val) WITHOUT ROWID, index on tid
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "store/backend.h"

#define SCHEMA_VERSION 1

#define SQL_META                                                                                   \
	"CREATE TABLE meta(id INTEGER PRIMARY KEY, salt BLOB NOT NULL, counter INTEGER NOT NULL, " \
	"nonce BLOB NOT NULL, state BLOB NOT NULL)"
#define SQL_KV                                                                                     \
	"CREATE TABLE kv(rid BLOB PRIMARY KEY, tid BLOB NOT NULL, ver INTEGER NOT NULL, "          \
	"nonce BLOB NOT NULL, name BLOB NOT NULL, val BLOB NOT NULL) WITHOUT ROWID"
#define SQL_KV_TID "CREATE INDEX kv_tid ON kv(tid)"

/* sqlite_schema as SQLite stores our schema, ordered by name (WITHOUT ROWID: no autoindex). */
static const struct {
	const char *type, *name, *sql;
} schema[] = {
    {"table", "kv", SQL_KV},
    {"index", "kv_tid", SQL_KV_TID},
    {"table", "meta", SQL_META},
};

enum {
	Q_BEGIN,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_SAVEPOINT,
	Q_RELEASE,
	Q_ROLLBACK_TO,
	Q_META_GET,
	Q_META_PUT,
	Q_ROW_GET,
	Q_ROW_ALL,
	Q_ROW_TID,
	Q_ROW_PUT,
	Q_ROW_DEL,
	Q_N,
	Q_FIRST_DATA = Q_META_GET, /* statements that need the schema */
};

static const char *const sql[Q_N] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_SAVEPOINT] = "SAVEPOINT st_op",
    [Q_RELEASE] = "RELEASE st_op",
    [Q_ROLLBACK_TO] = "ROLLBACK TO st_op",
    [Q_META_GET] = "SELECT salt, counter, nonce, state FROM meta WHERE id = 1",
    [Q_META_PUT] = "INSERT OR REPLACE INTO meta(id, salt, counter, nonce, state) "
                   "VALUES(1, ?1, ?2, ?3, ?4)",
    [Q_ROW_GET] = "SELECT rid, tid, ver, nonce, val FROM kv WHERE rid = ?1",
    [Q_ROW_ALL] = "SELECT rid, tid, ver, nonce FROM kv",
    [Q_ROW_TID] = "SELECT rid, tid, ver, nonce, name FROM kv WHERE tid = ?1",
    [Q_ROW_PUT] = "INSERT OR REPLACE INTO kv(rid, tid, ver, nonce, name, val) "
                  "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_ROW_DEL] = "DELETE FROM kv WHERE rid = ?1",
};

struct sq {
	sqlite3 *db;
	sqlite3_stmt *st[Q_N];
};

static int map_err(int e)
{
	switch (e & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOMEM:
		return CU_ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return CU_ESTATE;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_FORMAT:
	case SQLITE_MISMATCH:
		return CU_EFORMAT;
	case SQLITE_TOOBIG:
		return CU_ELIMIT;
	default:
		return CU_EIO;
	}
}

static int prepare(struct sq *q, int from, int to)
{
	for (int i = from; i < to; i++) {
		int e = sqlite3_prepare_v3(q->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &q->st[i],
		                           NULL);
		if (e != SQLITE_OK)
			return map_err(e);
	}
	return 0;
}

/* Run a statement that returns no rows. */
static int run(struct sq *q, int i)
{
	int e = sqlite3_step(q->st[i]);

	sqlite3_reset(q->st[i]);
	return e == SQLITE_DONE ? 0 : map_err(e);
}

/* One integer from a pragma or query. */
static int query_int(sqlite3 *db, const char *text, int64_t *v)
{
	sqlite3_stmt *st = NULL;
	int e = sqlite3_prepare_v2(db, text, -1, &st, NULL);

	*v = 0;
	if (e == SQLITE_OK && (e = sqlite3_step(st)) == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return e == SQLITE_ROW ? 0 : map_err(e);
}

static int column_is(sqlite3_stmt *st, int col, const char *want)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	if (!want)
		return sqlite3_column_type(st, col) == SQLITE_NULL;
	return t && !strcmp((const char *)t, want);
}

/* 1 when the file holds nothing yet, 0 when it holds exactly our schema. */
static int check_schema(sqlite3 *db, int *fresh)
{
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int64_t uv;
	int e, rc;

	*fresh = 0;
	rc = query_int(db, "PRAGMA user_version", &uv);
	if (rc)
		return rc;
	e = sqlite3_prepare_v2(db, "SELECT type, name, sql FROM sqlite_schema ORDER BY name", -1,
	                       &st, NULL);
	if (e != SQLITE_OK)
		return map_err(e);
	while ((e = sqlite3_step(st)) == SQLITE_ROW) {
		if (n >= sizeof(schema) / sizeof(schema[0]) || !column_is(st, 0, schema[n].type) ||
		    !column_is(st, 1, schema[n].name) || !column_is(st, 2, schema[n].sql)) {
			sqlite3_finalize(st);
			return uv > SCHEMA_VERSION ? CU_EUNSUPPORTED : CU_EFORMAT;
		}
		n++;
	}
	sqlite3_finalize(st);
	if (e != SQLITE_DONE)
		return map_err(e);
	if (n == 0 && uv == 0) {
		*fresh = 1;
		return 0;
	}
	if (uv > SCHEMA_VERSION)
		return CU_EUNSUPPORTED;
	return uv == SCHEMA_VERSION && n == sizeof(schema) / sizeof(schema[0]) ? 0 : CU_EFORMAT;
}

/* Connection settings for a file that the host may have crafted. */
static int harden(sqlite3 *db)
{
	static const int off[] = {
	    SQLITE_DBCONFIG_TRUSTED_SCHEMA, SQLITE_DBCONFIG_ENABLE_TRIGGER,
	    SQLITE_DBCONFIG_ENABLE_VIEW,    SQLITE_DBCONFIG_DQS_DDL,
	    SQLITE_DBCONFIG_DQS_DML,        SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION};
	int e = sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);

	for (size_t i = 0; e == SQLITE_OK && i < sizeof(off) / sizeof(off[0]); i++)
		e = sqlite3_db_config(db, off[i], 0, (int *)NULL);
	if (e == SQLITE_OK)
		e = sqlite3_busy_timeout(db, ST_SQLITE_BUSY_MS);
	if (e == SQLITE_OK)
		e = sqlite3_exec(
		    db,
		    "PRAGMA locking_mode = EXCLUSIVE; PRAGMA cell_size_check = ON; "
		    "PRAGMA mmap_size = 0; PRAGMA secure_delete = ON; PRAGMA cache_size = -16384",
		    NULL, NULL, NULL);
	return map_err(e);
}

/* WAL, durable commits, and the exclusive lock taken now rather than at first write. */
static int setup(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int e = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	int wal = 0;

	if (e == SQLITE_OK && (e = sqlite3_step(st)) == SQLITE_ROW)
		wal = column_is(st, 0, "wal");
	sqlite3_finalize(st);
	if (e != SQLITE_ROW)
		return map_err(e);
	if (!wal)
		return CU_EUNSUPPORTED;
	e = sqlite3_exec(db, "PRAGMA synchronous = FULL; BEGIN EXCLUSIVE; COMMIT", NULL, NULL,
	                 NULL);
	return map_err(e);
}

static void sq_close(void *db)
{
	struct sq *q = db;

	if (!q)
		return;
	for (int i = 0; i < Q_N; i++)
		sqlite3_finalize(q->st[i]);
	sqlite3_close(q->db);
	free(q);
}

static int sq_open(const char *path, void **db, int *fresh)
{
	struct sq *q = calloc(1, sizeof(*q));
	int rc;

	*db = NULL;
	*fresh = 0;
	if (!q)
		return CU_ENOMEM;
	rc = map_err(sqlite3_open_v2(path, &q->db,
	                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                                 SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
	                             NULL));
	if (!rc && !q->db)
		rc = CU_ENOMEM;
	if (!rc)
		rc = harden(q->db);
	if (!rc)
		rc = setup(q->db);
	if (!rc)
		rc = check_schema(q->db, fresh);
	if (!rc)
		rc = prepare(q, 0, *fresh ? Q_FIRST_DATA : Q_N);
	if (rc) {
		sq_close(q);
		return rc;
	}
	*db = q;
	return 0;
}

static int sq_create(void *db)
{
	struct sq *q = db;
	int e =
	    sqlite3_exec(q->db, SQL_META "; " SQL_KV "; " SQL_KV_TID "; PRAGMA user_version = 1",
	                 NULL, NULL, NULL);

	if (e != SQLITE_OK)
		return map_err(e);
	return prepare(q, Q_FIRST_DATA, Q_N);
}

static int sq_begin(void *db)
{
	return run(db, Q_BEGIN);
}

static int sq_commit(void *db)
{
	return run(db, Q_COMMIT);
}

static int sq_rollback(void *db)
{
	struct sq *q = db;

	/* SQLite may have rolled back already (some I/O errors do). */
	return sqlite3_get_autocommit(q->db) ? 0 : run(q, Q_ROLLBACK);
}

static int sq_savepoint(void *db)
{
	return run(db, Q_SAVEPOINT);
}

static int sq_release(void *db)
{
	return run(db, Q_RELEASE);
}

static int sq_rollback_to(void *db)
{
	int rc = run(db, Q_ROLLBACK_TO);

	return rc ? rc : run(db, Q_RELEASE);
}

/* A blob column of exactly n bytes, copied to out. */
static int fixed_blob(sqlite3_stmt *st, int col, uint8_t *out, size_t n)
{
	const void *p;

	if (sqlite3_column_type(st, col) != SQLITE_BLOB)
		return CU_EFORMAT;
	p = sqlite3_column_blob(st, col);
	if (!p || (size_t)sqlite3_column_bytes(st, col) != n)
		return CU_EFORMAT;
	memcpy(out, p, n);
	return 0;
}

/* A blob column of min..max bytes, borrowed. */
static int var_blob(sqlite3_stmt *st, int col, size_t min, size_t max, const uint8_t **p, size_t *n)
{
	if (sqlite3_column_type(st, col) != SQLITE_BLOB)
		return CU_EFORMAT;
	*p = sqlite3_column_blob(st, col);
	*n = (size_t)sqlite3_column_bytes(st, col);
	return *p && *n >= min && *n <= max ? 0 : CU_EFORMAT;
}

static int positive_int(sqlite3_stmt *st, int col, uint64_t *v)
{
	int64_t x;

	if (sqlite3_column_type(st, col) != SQLITE_INTEGER)
		return CU_EFORMAT;
	x = sqlite3_column_int64(st, col);
	*v = (uint64_t)x;
	return x > 0 ? 0 : CU_EFORMAT;
}

static int sq_meta_get(void *db, struct st_meta *m)
{
	struct sq *q = db;
	sqlite3_stmt *st = q->st[Q_META_GET];
	int e = sqlite3_step(st), rc;
	int64_t c;

	memset(m, 0, sizeof(*m));
	if (e != SQLITE_ROW) {
		sqlite3_reset(st);
		return e == SQLITE_DONE ? CU_EFORMAT : map_err(e);
	}
	rc = fixed_blob(st, 0, m->salt, ST_SALT_LEN);
	if (!rc && sqlite3_column_type(st, 1) != SQLITE_INTEGER)
		rc = CU_EFORMAT;
	c = rc ? 0 : sqlite3_column_int64(st, 1);
	if (c < 0)
		rc = CU_EFORMAT;
	m->counter = (uint64_t)c;
	if (!rc)
		rc = fixed_blob(st, 2, m->nonce, ST_NONCE_LEN);
	if (!rc)
		rc = fixed_blob(st, 3, m->state, ST_STATE_SEALED_LEN);
	sqlite3_reset(st);
	return rc;
}

static int sq_meta_put(void *db, const struct st_meta *m)
{
	struct sq *q = db;
	sqlite3_stmt *st = q->st[Q_META_PUT];
	int e;

	if (m->counter > (uint64_t)INT64_MAX)
		return CU_ELIMIT;
	e = sqlite3_bind_blob(st, 1, m->salt, ST_SALT_LEN, SQLITE_STATIC);
	if (e == SQLITE_OK)
		e = sqlite3_bind_int64(st, 2, (int64_t)m->counter);
	if (e == SQLITE_OK)
		e = sqlite3_bind_blob(st, 3, m->nonce, ST_NONCE_LEN, SQLITE_STATIC);
	if (e == SQLITE_OK)
		e = sqlite3_bind_blob(st, 4, m->state, ST_STATE_SEALED_LEN, SQLITE_STATIC);
	if (e == SQLITE_OK)
		e = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return e == SQLITE_DONE ? 0 : map_err(e);
}

/* Columns rid, tid, ver, nonce and, when blob is 'n' or 'v', the name or value. */
static int read_row(sqlite3_stmt *st, char blob, struct st_row *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = fixed_blob(st, 0, r->rid, ST_RID_LEN);
	if (!rc)
		rc = fixed_blob(st, 1, r->tid, ST_TID_LEN);
	if (!rc)
		rc = positive_int(st, 2, &r->ver);
	if (!rc)
		rc = fixed_blob(st, 3, r->nonce, ST_NONCE_LEN);
	if (!rc && blob == 'n')
		rc = var_blob(st, 4, ST_TAG_LEN, ST_NAME_SEALED_MAX, &r->name, &r->namelen);
	if (!rc && blob == 'v')
		rc = var_blob(st, 4, ST_TAG_LEN, ST_VAL_SEALED_MAX, &r->val, &r->vallen);
	return rc;
}

/* Step through st, calling fn on each row. */
static int each(sqlite3_stmt *st, char blob, st_row_fn fn, void *arg)
{
	struct st_row r;
	int e = SQLITE_DONE, rc = 0;

	while (!rc && (e = sqlite3_step(st)) == SQLITE_ROW) {
		rc = read_row(st, blob, &r);
		if (!rc)
			rc = fn(arg, &r);
	}
	if (!rc && e != SQLITE_DONE)
		rc = map_err(e);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int sq_row_get(void *db, const uint8_t rid[static ST_RID_LEN], st_row_fn fn, void *arg)
{
	struct sq *q = db;
	sqlite3_stmt *st = q->st[Q_ROW_GET];
	struct st_row r;
	int e = sqlite3_bind_blob(st, 1, rid, ST_RID_LEN, SQLITE_STATIC), rc;

	if (e == SQLITE_OK)
		e = sqlite3_step(st);
	if (e == SQLITE_ROW) {
		rc = read_row(st, 'v', &r);
		if (!rc)
			rc = fn(arg, &r);
	} else {
		rc = e == SQLITE_DONE ? CU_ENOTFOUND : map_err(e);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int sq_row_each(void *db, const uint8_t *tid, st_row_fn fn, void *arg)
{
	struct sq *q = db;
	sqlite3_stmt *st = q->st[tid ? Q_ROW_TID : Q_ROW_ALL];

	if (tid && sqlite3_bind_blob(st, 1, tid, ST_TID_LEN, SQLITE_STATIC) != SQLITE_OK)
		return CU_EIO;
	return each(st, tid ? 'n' : 0, fn, arg);
}

static int sq_row_put(void *db, const struct st_row *r)
{
	struct sq *q = db;
	sqlite3_stmt *st = q->st[Q_ROW_PUT];
	int e;

	if (r->ver == 0 || r->ver > (uint64_t)INT64_MAX || r->namelen > ST_NAME_SEALED_MAX ||
	    r->vallen > ST_VAL_SEALED_MAX)
		return CU_EINVAL;
	e = sqlite3_bind_blob(st, 1, r->rid, ST_RID_LEN, SQLITE_STATIC);
	if (e == SQLITE_OK)
		e = sqlite3_bind_blob(st, 2, r->tid, ST_TID_LEN, SQLITE_STATIC);
	if (e == SQLITE_OK)
		e = sqlite3_bind_int64(st, 3, (int64_t)r->ver);
	if (e == SQLITE_OK)
		e = sqlite3_bind_blob(st, 4, r->nonce, ST_NONCE_LEN, SQLITE_STATIC);
	if (e == SQLITE_OK)
		e = sqlite3_bind_blob(st, 5, r->name, (int)r->namelen, SQLITE_STATIC);
	if (e == SQLITE_OK)
		e = sqlite3_bind_blob(st, 6, r->val, (int)r->vallen, SQLITE_STATIC);
	if (e == SQLITE_OK)
		e = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return e == SQLITE_DONE ? 0 : map_err(e);
}

static int sq_row_del(void *db, const uint8_t rid[static ST_RID_LEN])
{
	struct sq *q = db;
	sqlite3_stmt *st = q->st[Q_ROW_DEL];
	int e = sqlite3_bind_blob(st, 1, rid, ST_RID_LEN, SQLITE_STATIC);

	if (e == SQLITE_OK)
		e = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (e != SQLITE_DONE)
		return map_err(e);
	return sqlite3_changes(q->db) == 1 ? 0 : CU_ENOTFOUND;
}

static void *sq_native(void *db)
{
	return ((struct sq *)db)->db;
}

const struct st_backend st_sqlite_backend = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .create = sq_create,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .savepoint = sq_savepoint,
    .release = sq_release,
    .rollback_to = sq_rollback_to,
    .meta_get = sq_meta_get,
    .meta_put = sq_meta_put,
    .row_get = sq_row_get,
    .row_each = sq_row_each,
    .row_put = sq_row_put,
    .row_del = sq_row_del,
    .native = sq_native,
};

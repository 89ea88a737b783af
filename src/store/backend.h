/*
 * backend.h - the database behind a store, as a table of operations (internal).
 *
 * A backend stores opaque rows and one state record; it knows nothing of
 * keys, sealing or versions' meaning. It checks the shape of what it reads
 * (fixed lengths, column types, blob bounds) and reports CU_EFORMAT for a
 * malformed row, so the sealing layer gets only well-sized fields. All that
 * it returns is untrusted. sqlite.c is the SQLite backend; a PostgreSQL
 * backend implements the same table.
 *
 * Write operations run inside begin .. commit; savepoint .. release or
 * rollback_to nest one level inside it, so that a failed call inside a
 * caller's transaction undoes only itself.
 */
#ifndef CUSTOS_STORE_BACKEND_H
#define CUSTOS_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/gcm.h"
#include "store/store.h"

#define ST_RID_LEN   32 /* row id: HMAC-SHA256 */
#define ST_TID_LEN   16 /* table id: truncated HMAC-SHA256 */
#define ST_NONCE_LEN CR_GCM_IV_LEN
#define ST_SALT_LEN  16
#define ST_TAG_LEN   CR_GCM_TAG_LEN
#define ST_NAME_PAD  32 /* sealed key names are padded to a multiple of this */
/* Sealed key name: u16 length | key | zero padding, then the tag. */
#define ST_NAME_PLAIN_MAX  (((2 + ST_KEY_MAX + ST_NAME_PAD - 1) / ST_NAME_PAD) * ST_NAME_PAD)
#define ST_NAME_SEALED_MAX (ST_NAME_PLAIN_MAX + ST_TAG_LEN)
#define ST_VAL_SEALED_MAX  ((size_t)ST_VALUE_MAX + ST_TAG_LEN)
/* Sealed state: u32 format | u64 counter | u64 rows | digest (32), then the tag. */
#define ST_STATE_PLAIN_LEN  (4 + 8 + 8 + 32)
#define ST_STATE_SEALED_LEN (ST_STATE_PLAIN_LEN + ST_TAG_LEN)
#define ST_VER_MAX          ((uint64_t)INT64_MAX) /* versions are SQL INTEGERs */

/* A row as stored. Blobs are borrowed: valid during a callback, or owned by the writer. */
struct st_row {
	uint8_t rid[ST_RID_LEN];
	uint8_t tid[ST_TID_LEN];
	uint64_t ver;
	uint8_t nonce[ST_NONCE_LEN];
	const uint8_t *name; /* sealed key name; NULL when not read */
	size_t namelen;
	const uint8_t *val; /* sealed value; NULL when not read */
	size_t vallen;
};

/* The one state record. */
struct st_meta {
	uint8_t salt[ST_SALT_LEN];
	uint64_t counter;
	uint8_t nonce[ST_NONCE_LEN];
	uint8_t state[ST_STATE_SEALED_LEN];
};

/* Called for each row read; a non-zero return stops the read and is returned. */
typedef int (*st_row_fn)(void *arg, const struct st_row *r);

struct st_backend {
	const char *name;
	/* Open or create the database; *fresh is 1 when it holds no schema yet. */
	int (*open)(const char *path, void **db, int *fresh);
	void (*close)(void *db);
	/* Create the schema (inside a transaction). */
	int (*create)(void *db);
	int (*begin)(void *db);
	int (*commit)(void *db);
	int (*rollback)(void *db);
	int (*savepoint)(void *db);
	int (*release)(void *db);
	int (*rollback_to)(void *db);
	/* The state record; CU_EFORMAT when missing or malformed. */
	int (*meta_get)(void *db, struct st_meta *m);
	int (*meta_put)(void *db, const struct st_meta *m);
	/* One row with its value (not its name); CU_ENOTFOUND when absent. */
	int (*row_get)(void *db, const uint8_t rid[static ST_RID_LEN], st_row_fn fn, void *arg);
	/* Every row without blobs (tid NULL), or every row of tid with its name, in no order. */
	int (*row_each)(void *db, const uint8_t *tid, st_row_fn fn, void *arg);
	/* Insert or replace by rid. */
	int (*row_put)(void *db, const struct st_row *r);
	/* Delete by rid; CU_ENOTFOUND when no row was there. */
	int (*row_del)(void *db, const uint8_t rid[static ST_RID_LEN]);
	/* The native connection (sqlite3 *): for tests that play the hostile host. */
	void *(*native)(void *db);
};

extern const struct st_backend st_sqlite_backend;

#endif

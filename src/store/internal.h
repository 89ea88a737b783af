/*
 * internal.h - what the files of src/store share (not part of the API).
 *
 *   store.c   open, close, locking, transactions, the sealed state record
 *   rows.c    reading and writing one sealed row against the trusted index
 *   kv.c      the table calls and the scan
 *   queue.c   the queues
 *   seal.c    subkeys, row and table ids, associated data, sealing
 *   index.c   the trusted in-memory index of rows and its undo log
 *   sqlite.c  the SQLite backend (backend.h)
 */
#ifndef CUSTOS_STORE_INTERNAL_H
#define CUSTOS_STORE_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/hash.h"
#include "store/backend.h"
#include "store/store.h"

#define ST_FORMAT     1  /* version of the sealed formats (in the state record) */
#define ST_EPOCH_BITS 28 /* a value key seals at most 2^28 rows: see seal.c */
#define ST_DIGEST_LEN CR_SHA256_LEN

/* Namespaces of rows: the kind is bound into row ids and associated data. */
enum st_kind {
	ST_KIND_KV = 1,     /* a table record */
	ST_KIND_QENTRY = 2, /* a queue entry; key = index, 8 bytes big endian */
	ST_KIND_QSTATE = 3, /* a queue's head and tail; key empty */
};

/* A row's name: kind, table and key, and the ids derived from them. */
struct st_name {
	uint8_t kind;
	const char *table;
	size_t tlen;
	const uint8_t *key; /* may be NULL when klen is 0 */
	size_t klen;
	uint8_t rid[ST_RID_LEN];
	uint8_t tid[ST_TID_LEN];
};

/* What the store trusts about a row: it is in the index, with these fields. */
struct st_entry {
	uint8_t rid[ST_RID_LEN];
	uint8_t tid[ST_TID_LEN];
	uint8_t nonce[ST_NONCE_LEN];
	uint64_t ver; /* 0 marks a free slot */
};

/* Open addressing (linear probing) on the row id, which is already uniform. */
struct st_index {
	struct st_entry *slot;
	size_t cap; /* 0 or a power of two */
	size_t n;
};

/* One undo record: the entry of rid before a change (existed 0: it had none). */
struct st_undo {
	uint8_t rid[ST_RID_LEN];
	int existed;
	struct st_entry old;
};

struct st_log {
	struct st_undo *v;
	size_t n, cap;
};

/* Where to undo to: the log length and the digest then. */
struct st_mark {
	size_t logn;
	uint8_t digest[ST_DIGEST_LEN];
};

struct st_store {
	pthread_mutex_t lock; /* recursive; a transaction holds it once more */
	const struct st_backend *be;
	void *db;
	uint8_t key[ST_KEY_LEN];
	uint8_t salt[ST_SALT_LEN];
	uint8_t k_id[32];  /* row and table ids */
	uint8_t k_set[32]; /* elements of the row-set digest */
	uint64_t ek_epoch; /* epoch of ek, when ek_valid */
	int ek_valid;
	uint8_t ek[3][32];  /* name, value and state keys of that epoch */
	uint64_t seq;       /* last version handed out; never decreases while open */
	uint64_t committed; /* write counter of the last committed state */
	struct st_index ix;
	uint8_t digest[ST_DIGEST_LEN]; /* XOR of the elements of all indexed rows */
	struct st_log log;
	struct st_mark txmark;
	int in_tx;
	int dirty;  /* the current transaction wrote something */
	int broken; /* a failed rollback left memory and database apart */
};

/* seal.c */
int sti_keys_init(struct st_store *s);
void sti_keys_wipe(struct st_store *s);
int sti_name(const struct st_store *s, uint8_t kind, const char *table, const void *key,
             size_t klen, struct st_name *n);
int sti_element(const struct st_store *s, const struct st_entry *e,
                uint8_t out[static ST_DIGEST_LEN]);
/* Seal into r (fresh nonce); r's blobs point into *buf (malloc'd, for the caller to free). */
int sti_seal_row(struct st_store *s, const struct st_name *n, uint64_t ver, const void *val,
                 size_t len, struct st_row *r, uint8_t **buf);
/* Open a row's name; key receives klen bytes and a NUL; checks that it names r->rid. */
int sti_open_name(struct st_store *s, const struct st_name *table, const struct st_row *r,
                  uint8_t key[static ST_KEY_MAX + 1], size_t *klen);
/* Open a row's value (malloc'd, NUL-terminated). */
int sti_open_val(struct st_store *s, const struct st_name *n, const struct st_row *r, uint8_t **val,
                 size_t *len);
int sti_seal_state(struct st_store *s, uint64_t rows, const uint8_t digest[static ST_DIGEST_LEN],
                   struct st_meta *m);
int sti_open_state(struct st_store *s, const struct st_meta *m, uint64_t *rows,
                   uint8_t digest[static ST_DIGEST_LEN]);

/* index.c */
int sti_ix_reserve(struct st_index *ix, size_t more);
const struct st_entry *sti_ix_find(const struct st_index *ix, const uint8_t rid[static ST_RID_LEN]);
/* Insert or replace; needs room from sti_ix_reserve when inserting. */
void sti_ix_set(struct st_index *ix, const struct st_entry *e);
void sti_ix_del(struct st_index *ix, const uint8_t rid[static ST_RID_LEN]);
size_t sti_ix_count_tid(const struct st_index *ix, const uint8_t tid[static ST_TID_LEN]);
void sti_ix_free(struct st_index *ix);
int sti_log_reserve(struct st_log *l, size_t more);
void sti_log_free(struct st_log *l);

/* rows.c: all under the lock; the writes inside sti_op_begin .. sti_op_end. */
int sti_read(struct st_store *s, const struct st_name *n, uint8_t **val, size_t *len,
             uint64_t *ver);
int sti_write(struct st_store *s, const struct st_name *n, const void *val, size_t len,
              uint64_t *ver);
int sti_remove(struct st_store *s, const struct st_name *n);
/* Set the entry of rid to e (NULL: remove it), logging the old one and updating the digest. */
int sti_track(struct st_store *s, const uint8_t rid[static ST_RID_LEN], const struct st_entry *e);
void sti_undo_to(struct st_store *s, const struct st_mark *m);

/* store.c */
int sti_lock(struct st_store *s);
void sti_unlock(struct st_store *s);
int sti_op_begin(struct st_store *s, struct st_mark *m);
int sti_op_end(struct st_store *s, const struct st_mark *m, int rc);
int sti_check_name(const char *name, size_t *len);

#endif

/*
 * store.h - the sealed key-value store of the control plane.
 *
 * A store holds tables of key -> value records and FIFO queues, in a database
 * on an untrusted host (SQLite by default; docs/store.md is the full design).
 * The host sees neither table names, nor keys, nor values: every record is
 * sealed with AES-256-GCM under subkeys of the 32-byte storage key, under a
 * fresh random nonce per write, with associated data naming its table, key
 * and version; rows are addressed by an HMAC of (table, key).
 *
 * What the host can and cannot do:
 *   - It learns no table name, key or value; it does see how many rows each
 *     (unnamed) table has, value sizes, key sizes rounded up to 32 bytes,
 *     and which rows are read and written when (docs/store.md).
 *   - Moving a row to another key or table, putting back an older version of
 *     a row, deleting, inserting or changing a row: refused with CU_EAUTH,
 *     by st_open() (a digest of all rows' ids, versions and nonces is sealed
 *     with the write counter) or by the call that reads the row (the store
 *     keeps a trusted index of every row's version and nonce in memory). A
 *     changed value or key ciphertext is found when it is read, not before.
 *   - Rolling the whole database back to an earlier committed state of its
 *     own, between a close and the next open, is NOT detected: no sealed state
 *     can prove its own freshness. st_counter() gives the authenticated write
 *     counter so that a caller holding a trusted monotonic counter can check.
 *   - Deleting the database file makes a new, empty store at the next open.
 *
 * Names and sizes: table and queue names are 1..ST_TABLE_MAX bytes of
 * [A-Za-z0-9_.-] (CU_EINVAL otherwise, CU_ELIMIT when too long); keys are
 * non-empty C strings of at most ST_KEY_MAX bytes; values are 0..ST_VALUE_MAX
 * bytes. Tables and queues are separate namespaces and need no creation.
 *
 * Versions: every write (put, cas, delete, queue push or pop) takes the next
 * value of one store-wide write counter; a record's version is the counter at
 * its last write. Versions are positive, strictly increase with each write
 * of a key, and are never given to two writes in one process, even across a
 * delete and re-create; they are not consecutive. (The version of a write
 * that was rolled back may be given again after a reopen.)
 *
 * Ownership: strings and buffers passed in stay the caller's. Values handed
 * out are malloc'd, owned by the caller, and followed by one NUL byte not
 * counted in the length (so text can be used as a C string); records that
 * hold secrets (keys, tokens) should be released with cu_free_secret(p, len).
 * Out-parameters are cleared on entry and set only on success.
 *
 * Threads: a store may be used from many threads; an internal recursive mutex
 * serialises calls. A transaction (st_begin .. st_commit / st_rollback)
 * belongs to the thread that began it and holds the mutex until it ends, so
 * other threads' calls wait for it: keep transactions short. One process may
 * open a database at a time (SQLite exclusive locking; a second st_open waits
 * ST_SQLITE_BUSY_MS then fails with CU_ESTATE).
 *
 * Memory and time: the store keeps a trusted index of every row (150 to 300
 * bytes a row) and reads every row's id, version and nonce at st_open().
 *
 * Errors: besides those named per call, CU_EINVAL for NULL or bad arguments,
 * CU_ELIMIT (a name or size over its maximum), CU_ENOMEM, CU_EAUTH (the
 * database was tampered with, or the key is wrong), CU_EFORMAT (a malformed
 * row or schema), CU_EIO (the database failed; when a rollback failed too,
 * every later call returns CU_EIO and the store must be closed and reopened).
 */
#ifndef CUSTOS_STORE_STORE_H
#define CUSTOS_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#define ST_KEY_LEN        32                  /* storage key */
#define ST_TABLE_MAX      64                  /* bytes of a table or queue name */
#define ST_KEY_MAX        1024                /* bytes of a record key */
#define ST_VALUE_MAX      (16u * 1024 * 1024) /* bytes of a value or queue entry */
#define ST_SQLITE_BUSY_MS 2000                /* wait for a database lock */

struct st_store;

/*
 * Open the store in the SQLite file at path, creating it (and a fresh store)
 * when it does not exist or is empty. key is copied; the copy and every
 * subkey are wiped by st_close(). Opening checks the schema, the sealed
 * state record (CU_EAUTH: wrong key, or tampered state) and the digest of
 * all rows against it (CU_EAUTH: a row was added, removed, replaced or moved
 * while the store was closed). CU_EUNSUPPORTED for a newer schema version.
 */
int st_open(const char *path, const uint8_t key[static ST_KEY_LEN], struct st_store **out)
    __attribute__((warn_unused_result));

/*
 * Close the database and wipe all keys. An open transaction is rolled back.
 * s may be NULL. No other call on s may be running or follow.
 */
void st_close(struct st_store *s);

/*
 * Read a record: *val (malloc'd, NUL-terminated, see above) and *len, and
 * *version when version is not NULL. CU_ENOTFOUND when the key has no record.
 */
int st_get(struct st_store *s, const char *table, const char *key, uint8_t **val, size_t *len,
           uint64_t *version) __attribute__((warn_unused_result));

/* Insert or replace a record. val may be NULL when len is 0. */
int st_put(struct st_store *s, const char *table, const char *key, const void *val, size_t len);

/* Delete a record. CU_ENOTFOUND when there is none. */
int st_delete(struct st_store *s, const char *table, const char *key);

/*
 * Compare and swap: write val only when the record's version is expected
 * (expected 0: only when the key has no record). CU_ESTATE when it is not,
 * and nothing is written. *new_version (may be NULL) receives the version
 * written.
 */
int st_cas(struct st_store *s, const char *table, const char *key, uint64_t expected,
           const void *val, size_t len, uint64_t *new_version);

/*
 * Called by st_scan for each record, in byte order of keys. key, val (NUL-
 * terminated) and len are valid only during the call and are wiped after it.
 * Return 0 to go on, > 0 to stop (st_scan returns 0), < 0 to stop with that
 * error. The callback may call the store, from the same thread.
 */
typedef int (*st_scan_fn)(void *arg, const char *key, const uint8_t *val, size_t len,
                          uint64_t version);

/*
 * Visit the records of table whose key starts with prefix (NULL or "" for
 * all), in key order. Cost: every key of the table is decrypted to find and
 * sort the matches, then each match's value as it is visited; memory holds
 * the matching keys. The set of keys is read at the start of the call; a
 * record deleted before its turn is skipped, one replaced is visited with
 * its new value. Inside a transaction the scan sees that transaction's
 * writes and no other thread's.
 */
int st_scan(struct st_store *s, const char *table, const char *prefix, st_scan_fn fn, void *arg);

/*
 * Transactions: the writes between st_begin and st_commit are applied all or
 * none. No nesting (CU_ESTATE). A call that fails inside a transaction has no
 * effect, and the transaction goes on. When st_commit fails, the transaction
 * is rolled back. st_commit and st_rollback without a transaction of the
 * calling thread: CU_ESTATE.
 */
int st_begin(struct st_store *s);
int st_commit(struct st_store *s);
int st_rollback(struct st_store *s);

/* Append an entry to the named queue (created on first push). */
int st_queue_push(struct st_store *s, const char *queue, const void *val, size_t len);

/*
 * Remove the oldest entry of the queue and hand it out as st_get does.
 * CU_ENOTFOUND when the queue is empty.
 */
int st_queue_pop(struct st_store *s, const char *queue, uint8_t **val, size_t *len)
    __attribute__((warn_unused_result));

/* Number of entries in the queue (0 for a queue never pushed to). */
int st_queue_len(struct st_store *s, const char *queue, uint64_t *n);

/*
 * The write counter of the last committed state: authenticated, strictly
 * increasing with every commit that wrote something. A caller that keeps a
 * trusted monotonic counter can compare it after st_open() to detect a
 * rollback of the whole database.
 */
int st_counter(struct st_store *s, uint64_t *counter);

#endif

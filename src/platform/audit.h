/*
 * audit.h - the control plane's audit log: a SHA-256 hash chain of records
 * in the sealed store (DESIGN.md §7; docs/audit.md is the full format).
 *
 * Every state-changing call appends one record: who (user), what (action,
 * target), when (seconds since the epoch) and the result ("ok" or an error
 * code word). Record n (n = 1, 2, ...) is kept in store table AUDIT_TABLE
 * under the 20-digit zero-padded decimal n, so that st_scan() visits the
 * chain in order. Its value is the canonical binary serialisation below;
 * prev is the SHA-256 of record n-1's serialisation (32 zero bytes for n = 1).
 * The head (last n and the SHA-256 of its record) is kept in table
 * AUDIT_HEAD_TABLE under AUDIT_HEAD_KEY and written in the same transaction
 * as the record it names. An empty log has no head.
 *
 * Record, all integers big-endian, no padding, nothing after prev:
 *   "CAUD" | u8 version (1) | u64 n | u64 time (int64, >= 0)
 *   | u16 len + user | u16 len + action | u16 len + target | u16 len + result
 *   | prev[32]
 * Head: "CAUH" | u8 version (1) | u64 n | hash[32].
 *
 * Why a chain when the store already seals and authenticates every row: the
 * store stops the untrusted host; the chain is defence in depth against a
 * holder of the storage key rewriting history through the store API (a
 * changed, deleted or inserted record breaks a link), and the format in which
 * the log can be exported and verified outside the TEE. It does not stop a
 * key holder from rewriting the whole chain from some record on, nor from
 * truncating it together with the head, unless the head hash is anchored
 * elsewhere (docs/audit.md).
 *
 * Fields: user 1..AUDIT_USER_MAX, action 1..AUDIT_ACTION_MAX, target
 * 0..AUDIT_TARGET_MAX, result 1..AUDIT_RESULT_MAX bytes of printable ASCII
 * (0x20..0x7e); time >= 0. Anything else is refused with CU_EFORMAT, on
 * append and on decode alike.
 *
 * Locking: audit_append() runs in its own store transaction, which holds the
 * store's mutex, so appenders in one process are serialised; the head is
 * written with st_cas() on the version read, so that a second writer could
 * never fork the chain. Because store transactions do not nest, the audit
 * calls must not be made inside a transaction of the calling thread
 * (CU_ESTATE).
 *
 * Errors: besides those named per call, CU_EINVAL for NULL arguments and any
 * error of the store (CU_EIO, CU_ENOMEM, CU_EAUTH for a row the store itself
 * refuses).
 */
#ifndef CUSTOS_PLATFORM_AUDIT_H
#define CUSTOS_PLATFORM_AUDIT_H

#include <stddef.h>
#include <stdint.h>

struct st_store;

#define AUDIT_TABLE      "audit"
#define AUDIT_HEAD_TABLE "audit-head"
#define AUDIT_HEAD_KEY   "head"
#define AUDIT_KEY_DIGITS 20 /* decimal digits of a record key */

#define AUDIT_USER_MAX   128 /* bytes of a user id */
#define AUDIT_ACTION_MAX 64  /* bytes of an action name ("task.approve") */
#define AUDIT_TARGET_MAX 256 /* bytes of a target id */
#define AUDIT_RESULT_MAX 32  /* bytes of a result ("ok", "EPERM") */
#define AUDIT_HASH_LEN   32  /* SHA-256 */
#define AUDIT_VERSION    1

/* Bytes of the largest serialised record. */
#define AUDIT_RECORD_MAX                                                                           \
	(4 + 1 + 8 + 8 + 4 * 2 + AUDIT_USER_MAX + AUDIT_ACTION_MAX + AUDIT_TARGET_MAX +            \
	 AUDIT_RESULT_MAX + AUDIT_HASH_LEN)
/* Bytes of the serialised head. */
#define AUDIT_HEAD_LEN (4 + 1 + 8 + AUDIT_HASH_LEN)

/* One decoded record; strings are NUL-terminated copies, not pointers into a buffer. */
struct audit_record {
	uint64_t n;
	int64_t time;
	char user[AUDIT_USER_MAX + 1];
	char action[AUDIT_ACTION_MAX + 1];
	char target[AUDIT_TARGET_MAX + 1];
	char result[AUDIT_RESULT_MAX + 1];
	uint8_t prev[AUDIT_HASH_LEN];
	uint8_t hash[AUDIT_HASH_LEN]; /* SHA-256 of this record's serialisation (decode sets it) */
};

/*
 * Serialise r (hash is ignored) into out; *outlen gets the length. CU_EFORMAT
 * when a field is out of bounds or not printable, or n is 0.
 */
int audit_record_encode(const struct audit_record *r, uint8_t out[static AUDIT_RECORD_MAX],
                        size_t *outlen) __attribute__((warn_unused_result));

/*
 * Parse buf[0..len) (untrusted) strictly into *r, and set r->hash. CU_EFORMAT
 * for a bad magic, field or trailing bytes, CU_ETRUNC when it ends early,
 * CU_EUNSUPPORTED for another version. *r is zeroed on failure.
 */
int audit_record_decode(const uint8_t *buf, size_t len, struct audit_record *r)
    __attribute__((warn_unused_result));

/*
 * Append a record and move the head to it, in one store transaction. target
 * may be "" but not NULL. *n_out (may be NULL) receives the record's n.
 * CU_EFORMAT for a bad field; CU_EAUTH when the head does not match the last
 * record (a broken chain is not extended); CU_ELIMIT when n would overflow;
 * CU_ESTATE when the calling thread is in a store transaction, or another
 * writer moved the head. On failure nothing is written.
 */
int audit_append(struct st_store *s, int64_t time, const char *user, const char *action,
                 const char *target, const char *result, uint64_t *n_out)
    __attribute__((warn_unused_result));

/*
 * Recompute the whole chain and compare it with the head, inside one store
 * transaction (rolled back; it holds the store's mutex while it reads every
 * record). Returns 0 with *count the number of records, or CU_EAUTH with
 * *first_bad the n of the first broken record, *count = *first_bad - 1, and
 * a reason in reason[0..reasonsz) (reason may be NULL). The first bad record
 * is:
 *   - a missing record n (a gap), or a key that is not the next n;
 *   - a record that does not decode, or whose n differs from its key;
 *   - a record whose content was changed: its successor's prev (or the head)
 *     no longer matches it, while the successor is consistent with the next;
 *   - a record whose prev does not match its predecessor, and that does not
 *     match its own successor either;
 *   - for the head: last n + 1 when the head names a later record than the
 *     last one (records deleted at the end), head n + 1 when records follow
 *     the one it names (or there is no head), the last n when the hash of
 *     the last record differs from the head's.
 * Other errors (a store error, including CU_EAUTH from the store) leave
 * *first_bad 0. count, first_bad may be NULL.
 */
int audit_verify(struct st_store *s, uint64_t *count, uint64_t *first_bad, char *reason,
                 size_t reasonsz) __attribute__((warn_unused_result));

/*
 * Called by audit_query for each record, in order; r is valid during the
 * call only. Return 0 to go on, > 0 to stop (audit_query returns 0), < 0 to
 * stop with that error.
 */
typedef int (*audit_query_fn)(void *arg, const struct audit_record *r);

/*
 * Visit the records from from_n (0 is taken as 1) to the head's n, those of
 * user only when user is not NULL. Records appended during the call are not
 * visited. Each record is decoded and its n and its link to the record read
 * before it are checked (CU_EAUTH for a gap, a wrong n or a broken link,
 * audit_record_decode()'s error for a record that does not decode); the
 * record at from_n and the head are not checked: use audit_verify() for that.
 */
int audit_query(struct st_store *s, uint64_t from_n, const char *user, audit_query_fn fn,
                void *arg);

#endif

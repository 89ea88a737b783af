/* The audit log: a SHA-256 hash chain of records in the sealed store. */
#include "platform/audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/reader.h"
#include "crypto/hash.h"
#include "store/store.h"

static const uint8_t rec_magic[4] = {'C', 'A', 'U', 'D'};
static const uint8_t head_magic[4] = {'C', 'A', 'U', 'H'};

/* 1 when s[0..n) is min..max bytes of printable ASCII. */
static int field_ok(const char *s, size_t n, size_t min, size_t max)
{
	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* 1 when the NUL-terminated s (at most max bytes) passes field_ok(). */
static int cstr_ok(const char *s, size_t min, size_t max)
{
	size_t n = strnlen(s, max + 1);

	return field_ok(s, n, min, max);
}

static uint8_t *put_be(uint8_t *p, uint64_t v, size_t bytes)
{
	for (size_t i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	return p + bytes;
}

static uint8_t *put_str(uint8_t *p, const char *s)
{
	size_t n = strlen(s);

	p = put_be(p, n, 2);
	memcpy(p, s, n);
	return p + n;
}

static int record_ok(const struct audit_record *r)
{
	return r->n > 0 && r->time >= 0 && cstr_ok(r->user, 1, AUDIT_USER_MAX) &&
	       cstr_ok(r->action, 1, AUDIT_ACTION_MAX) && cstr_ok(r->target, 0, AUDIT_TARGET_MAX) &&
	       cstr_ok(r->result, 1, AUDIT_RESULT_MAX);
}

int audit_record_encode(const struct audit_record *r, uint8_t out[static AUDIT_RECORD_MAX],
                        size_t *outlen)
{
	uint8_t *p = out;

	if (!r || !outlen)
		return CU_EINVAL;
	*outlen = 0;
	if (!record_ok(r))
		return CU_EFORMAT;
	memcpy(p, rec_magic, sizeof(rec_magic));
	p += sizeof(rec_magic);
	*p++ = AUDIT_VERSION;
	p = put_be(p, r->n, 8);
	p = put_be(p, (uint64_t)r->time, 8);
	p = put_str(p, r->user);
	p = put_str(p, r->action);
	p = put_str(p, r->target);
	p = put_str(p, r->result);
	memcpy(p, r->prev, AUDIT_HASH_LEN);
	p += AUDIT_HASH_LEN;
	*outlen = (size_t)(p - out);
	return 0;
}

/* Read a u16-length-prefixed field of min..max printable bytes into out[max + 1]. */
static int read_field(struct cu_reader *rd, char *out, size_t min, size_t max)
{
	uint16_t n;
	const uint8_t *p;
	int rc;

	if ((rc = cu_read_u16be(rd, &n)) != 0 || (rc = cu_read_ptr(rd, &p, n)) != 0)
		return rc;
	if (!field_ok((const char *)p, n, min, max))
		return CU_EFORMAT;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

static int decode_body(struct cu_reader *rd, struct audit_record *r)
{
	uint8_t magic[4], ver;
	uint64_t t;
	int rc;

	if ((rc = cu_read_bytes(rd, magic, sizeof(magic))) != 0 || (rc = cu_read_u8(rd, &ver)) != 0)
		return rc;
	if (memcmp(magic, rec_magic, sizeof(magic)) != 0)
		return CU_EFORMAT;
	if (ver != AUDIT_VERSION)
		return CU_EUNSUPPORTED;
	if ((rc = cu_read_u64be(rd, &r->n)) != 0 || (rc = cu_read_u64be(rd, &t)) != 0)
		return rc;
	if (r->n == 0 || t > INT64_MAX)
		return CU_EFORMAT;
	r->time = (int64_t)t;
	if ((rc = read_field(rd, r->user, 1, AUDIT_USER_MAX)) != 0 ||
	    (rc = read_field(rd, r->action, 1, AUDIT_ACTION_MAX)) != 0 ||
	    (rc = read_field(rd, r->target, 0, AUDIT_TARGET_MAX)) != 0 ||
	    (rc = read_field(rd, r->result, 1, AUDIT_RESULT_MAX)) != 0 ||
	    (rc = cu_read_bytes(rd, r->prev, AUDIT_HASH_LEN)) != 0)
		return rc;
	return cu_reader_left(rd) == 0 ? 0 : CU_EFORMAT;
}

int audit_record_decode(const uint8_t *buf, size_t len, struct audit_record *r)
{
	struct cu_reader rd;
	int rc;

	if (!r)
		return CU_EINVAL;
	memset(r, 0, sizeof(*r));
	if (!buf && len)
		return CU_EINVAL;
	if (len > AUDIT_RECORD_MAX)
		return CU_EFORMAT;
	cu_reader_init(&rd, buf, len);
	rc = decode_body(&rd, r);
	if (rc == 0)
		rc = cr_sha256(buf, len, r->hash);
	if (rc != 0)
		memset(r, 0, sizeof(*r));
	return rc;
}

static void record_key(uint64_t n, char key[static AUDIT_KEY_DIGITS + 1])
{
	snprintf(key, AUDIT_KEY_DIGITS + 1, "%020" PRIu64, n);
}

/* The n of a record key, or 0 when key is not AUDIT_KEY_DIGITS decimal digits. */
static uint64_t key_number(const char *key)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < AUDIT_KEY_DIGITS; i++) {
		unsigned d = (unsigned char)key[i] - '0';

		if (d > 9 || n > (UINT64_MAX - d) / 10)
			return 0;
		n = n * 10 + d;
	}
	return key[i] == '\0' ? n : 0;
}

/* The head: n (0 for an empty log), the hash of record n, and the row's version (0: none). */
struct head {
	uint64_t n;
	uint8_t hash[AUDIT_HASH_LEN];
	uint64_t version;
};

static int read_head(struct st_store *s, struct head *h)
{
	struct cu_reader rd;
	uint8_t *v = NULL, magic[4], ver;
	size_t len = 0;
	int rc;

	memset(h, 0, sizeof(*h));
	rc = st_get(s, AUDIT_HEAD_TABLE, AUDIT_HEAD_KEY, &v, &len, &h->version);
	if (rc == CU_ENOTFOUND) {
		h->version = 0;
		return 0;
	}
	if (rc != 0)
		return rc;
	cu_reader_init(&rd, v, len);
	if (len != AUDIT_HEAD_LEN || cu_read_bytes(&rd, magic, 4) != 0 ||
	    memcmp(magic, head_magic, 4) != 0 || cu_read_u8(&rd, &ver) != 0 ||
	    ver != AUDIT_VERSION || cu_read_u64be(&rd, &h->n) != 0 || h->n == 0 ||
	    cu_read_bytes(&rd, h->hash, AUDIT_HASH_LEN) != 0)
		rc = CU_EFORMAT;
	free(v);
	return rc;
}

/* Read and decode record n: CU_ENOTFOUND when absent, CU_EAUTH when its n differs. */
static int read_record(struct st_store *s, uint64_t n, struct audit_record *r)
{
	char key[AUDIT_KEY_DIGITS + 1];
	uint8_t *v = NULL;
	size_t len = 0;
	int rc;

	record_key(n, key);
	if ((rc = st_get(s, AUDIT_TABLE, key, &v, &len, NULL)) != 0)
		return rc;
	rc = audit_record_decode(v, len, r);
	if (rc == 0 && r->n != n)
		rc = CU_EAUTH;
	free(v);
	return rc;
}

/* Inside the append transaction: check the head against the last record, then write. */
static int append_locked(struct st_store *s, struct audit_record *r, uint64_t *n_out)
{
	struct audit_record last;
	struct head h;
	uint8_t buf[AUDIT_RECORD_MAX], hv[AUDIT_HEAD_LEN], *p;
	char key[AUDIT_KEY_DIGITS + 1];
	size_t len;
	int rc;

	if ((rc = read_head(s, &h)) != 0)
		return rc;
	if (h.n == UINT64_MAX)
		return CU_ELIMIT;
	if (h.n > 0) {
		rc = read_record(s, h.n, &last);
		if (rc == CU_ENOTFOUND || rc == CU_EFORMAT ||
		    (rc == 0 && !cu_ct_eq(last.hash, h.hash, AUDIT_HASH_LEN)))
			rc = CU_EAUTH;
		if (rc != 0)
			return rc;
	}
	r->n = h.n + 1;
	memcpy(r->prev, h.hash, AUDIT_HASH_LEN);
	if ((rc = audit_record_encode(r, buf, &len)) != 0)
		return rc;
	record_key(r->n, key);
	/* Expected version 0: a record n + 1 left beyond the head is not overwritten. */
	if ((rc = st_cas(s, AUDIT_TABLE, key, 0, buf, len, NULL)) != 0)
		return rc;
	memcpy(hv, head_magic, 4);
	hv[4] = AUDIT_VERSION;
	p = put_be(hv + 5, r->n, 8);
	if ((rc = cr_sha256(buf, len, p)) != 0)
		return rc;
	if ((rc = st_cas(s, AUDIT_HEAD_TABLE, AUDIT_HEAD_KEY, h.version, hv, sizeof(hv), NULL)) !=
	    0)
		return rc;
	*n_out = r->n;
	return 0;
}

int audit_append(struct st_store *s, int64_t time, const char *user, const char *action,
                 const char *target, const char *result, uint64_t *n_out)
{
	struct audit_record r;
	uint64_t n = 0;
	int rc;

	if (n_out)
		*n_out = 0;
	if (!s || !user || !action || !target || !result)
		return CU_EINVAL;
	memset(&r, 0, sizeof(r));
	r.n = 1; /* placeholder for the check; append_locked() sets it */
	r.time = time;
	if (!cstr_ok(user, 1, AUDIT_USER_MAX) || !cstr_ok(action, 1, AUDIT_ACTION_MAX) ||
	    !cstr_ok(target, 0, AUDIT_TARGET_MAX) || !cstr_ok(result, 1, AUDIT_RESULT_MAX) ||
	    time < 0)
		return CU_EFORMAT;
	memcpy(r.user, user, strlen(user) + 1);
	memcpy(r.action, action, strlen(action) + 1);
	memcpy(r.target, target, strlen(target) + 1);
	memcpy(r.result, result, strlen(result) + 1);
	if ((rc = st_begin(s)) != 0)
		return rc;
	rc = append_locked(s, &r, &n);
	if (rc == 0)
		rc = st_commit(s);
	else
		(void)st_rollback(s);
	if (rc == 0 && n_out)
		*n_out = n;
	return rc;
}

/* State of a verification scan. */
struct verify {
	uint64_t next;                     /* n expected next */
	uint8_t last_hash[AUDIT_HASH_LEN]; /* hash of record next - 1 (zeros before record 1) */
	uint64_t pending; /* a record whose prev mismatched; judged by its successor */
	uint64_t first_bad;
	char *reason;
	size_t reasonsz;
};

static int bad(struct verify *v, uint64_t n, const char *why)
{
	v->first_bad = n;
	cu_reason(v->reason, v->reasonsz, CU_EAUTH, "audit record %" PRIu64 ": %s", n, why);
	return 1; /* stop the scan */
}

/*
 * Record `pending` (= next - 1) had a prev that did not match its predecessor.
 * When pending itself still matches what follows it (successor_ok), its
 * predecessor was changed after being linked; otherwise pending was.
 */
static int judge_pending(struct verify *v, int successor_ok)
{
	if (successor_ok && v->pending > 1)
		return bad(v, v->pending - 1, "changed: its successor's prev no longer matches it");
	return bad(v, v->pending, "prev does not match the record before it");
}

static int verify_one(void *arg, const char *key, const uint8_t *val, size_t len, uint64_t version)
{
	struct verify *v = arg;
	struct audit_record r;
	uint64_t n = key_number(key);
	int link_ok;

	(void)version;
	if (n != v->next) {
		if (v->pending)
			return judge_pending(v, 0);
		return bad(v, v->next, n > v->next ? "missing" : "unexpected key in its place");
	}
	if (audit_record_decode(val, len, &r) != 0 || r.n != n) {
		if (v->pending)
			return judge_pending(v, 0);
		return bad(v, n, "malformed, or its n differs from its key");
	}
	link_ok = cu_ct_eq(r.prev, v->last_hash, AUDIT_HASH_LEN);
	if (v->pending)
		return judge_pending(v, link_ok);
	if (!link_ok)
		v->pending = n;
	memcpy(v->last_hash, r.hash, AUDIT_HASH_LEN);
	v->next++;
	return 0;
}

/* After the scan: the head must name the last record and its hash. */
static int verify_head(struct st_store *s, struct verify *v)
{
	uint64_t last = v->next - 1;
	struct head h;
	int rc;

	if ((rc = read_head(s, &h)) == CU_EFORMAT)
		return bad(v, last ? last : 1, "the head is malformed");
	if (rc != 0)
		return rc;
	if (v->pending)
		return judge_pending(v,
		                     h.n == last && cu_ct_eq(h.hash, v->last_hash, AUDIT_HASH_LEN));
	if (h.n > last)
		return bad(v, last + 1, "missing: the head names a later record");
	if (h.n < last)
		return bad(v, h.n + 1, "beyond the record the head names");
	if (last > 0 && !cu_ct_eq(h.hash, v->last_hash, AUDIT_HASH_LEN))
		return bad(v, last, "does not match the hash in the head");
	return 0;
}

static int verify_locked(struct st_store *s, struct verify *v)
{
	int rc = st_scan(s, AUDIT_TABLE, NULL, verify_one, v);

	if (rc != 0 || v->first_bad)
		return rc;
	return verify_head(s, v);
}

int audit_verify(struct st_store *s, uint64_t *count, uint64_t *first_bad, char *reason,
                 size_t reasonsz)
{
	struct verify v = {.next = 1, .reason = reason, .reasonsz = reasonsz};
	int rc;

	if (count)
		*count = 0;
	if (first_bad)
		*first_bad = 0;
	if (reason && reasonsz)
		reason[0] = '\0';
	if (!s)
		return CU_EINVAL;
	if ((rc = st_begin(s)) != 0)
		return rc;
	rc = verify_locked(s, &v);
	(void)st_rollback(s);
	if (rc < 0)
		return rc;
	if (v.first_bad) {
		if (first_bad)
			*first_bad = v.first_bad;
		if (count)
			*count = v.first_bad - 1;
		return CU_EAUTH;
	}
	if (count)
		*count = v.next - 1;
	return 0;
}

int audit_query(struct st_store *s, uint64_t from_n, const char *user, audit_query_fn fn, void *arg)
{
	struct audit_record *r;
	uint8_t prev_hash[AUDIT_HASH_LEN];
	struct head h;
	int rc;

	if (!s || !fn)
		return CU_EINVAL;
	if ((rc = read_head(s, &h)) != 0)
		return rc;
	if (!(r = malloc(sizeof(*r))))
		return CU_ENOMEM;
	for (uint64_t n = from_n ? from_n : 1; n <= h.n && n != 0; n++) {
		rc = read_record(s, n, r);
		if (rc == CU_ENOTFOUND)
			rc = CU_EAUTH;
		if (rc == 0 && n > (from_n ? from_n : 1) &&
		    !cu_ct_eq(r->prev, prev_hash, AUDIT_HASH_LEN))
			rc = CU_EAUTH;
		if (rc != 0)
			goto out;
		memcpy(prev_hash, r->hash, AUDIT_HASH_LEN);
		if (user && strcmp(user, r->user) != 0)
			continue;
		if ((rc = fn(arg, r)) != 0) {
			rc = rc > 0 ? 0 : rc;
			goto out;
		}
	}
	rc = 0;
out:
	free(r);
	return rc;
}

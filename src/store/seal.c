/*
 * seal.c - subkeys, row and table ids, associated data and sealing of rows.
 *
 * Keys, all HKDF-SHA256 of the storage key with the store's random salt:
 *   k_id  = info "custos-store-v1 id"        row ids and table ids (HMAC-SHA256)
 *   k_set = info "custos-store-v1 set"       elements of the row-set digest
 *   epoch e (96 bytes) = info "custos-store-v1 epoch" | e (8, big endian):
 *           name key | value key | state key
 * A row of version v is sealed under the keys of epoch v >> ST_EPOCH_BITS,
 * so one key seals at most 2^28 rows (and states) under random 96-bit
 * nonces: the chance of a repeated nonce stays below 2^-40 per key however
 * long the store lives.
 *
 * Every encoding below is a concatenation of fixed-width fields and
 * length-prefixed (u32, big endian) strings, led by a label: no two
 * different inputs encode alike. docs/store.md has the byte layouts.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "crypto/gcm.h"
#include "crypto/hkdf.h"
#include "crypto/hmac.h"
#include "crypto/rand.h"
#include "store/internal.h"

#define LABEL_ID    "custos-store-v1 id"
#define LABEL_SET   "custos-store-v1 set"
#define LABEL_EPOCH "custos-store-v1 epoch"
#define LABEL_RID   "custos-store-v1 row"
#define LABEL_TID   "custos-store-v1 table"
#define LABEL_NAME  "custos-store-v1 name"
#define LABEL_VALUE "custos-store-v1 value"
#define LABEL_STATE "custos-store-v1 state"
#define ENC_MAX     (4 + 32 + 1 + 4 + ST_TABLE_MAX + 4 + ST_KEY_MAX + 8 + ST_RID_LEN)

enum { EK_NAME, EK_VALUE, EK_STATE };

/* A fixed buffer that encodings are appended to; sizes are bounded, so it never fills. */
struct enc {
	uint8_t b[ENC_MAX];
	size_t n;
	int over;
};

static void put(struct enc *e, const void *p, size_t n)
{
	if (n > sizeof(e->b) - e->n) {
		e->over = 1;
		return;
	}
	if (n)
		memcpy(e->b + e->n, p, n);
	e->n += n;
}

static void put_u64(struct enc *e, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	put(e, b, 8);
}

static void put_lp(struct enc *e, const void *p, size_t n)
{
	uint8_t b[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};

	put(e, b, 4);
	put(e, p, n);
}

static void put_label(struct enc *e, const char *label)
{
	put_lp(e, label, strlen(label));
}

int sti_keys_init(struct st_store *s)
{
	int rc;

	rc = cr_hkdf(CR_SHA256, s->key, ST_KEY_LEN, s->salt, ST_SALT_LEN, LABEL_ID,
	             strlen(LABEL_ID), s->k_id, sizeof(s->k_id));
	if (!rc)
		rc = cr_hkdf(CR_SHA256, s->key, ST_KEY_LEN, s->salt, ST_SALT_LEN, LABEL_SET,
		             strlen(LABEL_SET), s->k_set, sizeof(s->k_set));
	s->ek_valid = 0;
	return rc;
}

void sti_keys_wipe(struct st_store *s)
{
	cu_wipe(s->key, sizeof(s->key));
	cu_wipe(s->k_id, sizeof(s->k_id));
	cu_wipe(s->k_set, sizeof(s->k_set));
	cu_wipe(s->ek, sizeof(s->ek));
	s->ek_valid = 0;
}

/*
 * The key `which` of the epoch of ver, into out. The epoch of the newest
 * version is cached; older epochs (reads of old rows) are derived each time.
 */
static int epoch_key(struct st_store *s, int which, uint64_t ver, uint8_t out[static 32])
{
	uint64_t epoch = ver >> ST_EPOCH_BITS;
	uint8_t all[3][32];
	struct enc e = {.n = 0};
	int rc;

	if (s->ek_valid && s->ek_epoch == epoch) {
		memcpy(out, s->ek[which], 32);
		return 0;
	}
	put(&e, LABEL_EPOCH, strlen(LABEL_EPOCH));
	put_u64(&e, epoch);
	rc = cr_hkdf(CR_SHA256, s->key, ST_KEY_LEN, s->salt, ST_SALT_LEN, e.b, e.n, &all[0][0],
	             sizeof(all));
	if (!rc) {
		memcpy(out, all[which], 32);
		if (epoch == s->seq >> ST_EPOCH_BITS) {
			memcpy(s->ek, all, sizeof(all));
			s->ek_epoch = epoch;
			s->ek_valid = 1;
		}
	}
	cu_wipe(all, sizeof(all));
	return rc;
}

int sti_name(const struct st_store *s, uint8_t kind, const char *table, const void *key,
             size_t klen, struct st_name *n)
{
	uint8_t mac[CR_SHA256_LEN];
	struct enc e = {.n = 0};
	int rc;

	memset(n, 0, sizeof(*n));
	rc = sti_check_name(table, &n->tlen);
	if (rc)
		return rc;
	if (klen > ST_KEY_MAX)
		return CU_ELIMIT;
	n->kind = kind;
	n->table = table;
	n->key = key;
	n->klen = klen;
	put_label(&e, LABEL_TID);
	put(&e, &kind, 1);
	put_lp(&e, table, n->tlen);
	rc = cr_hmac(CR_SHA256, s->k_id, sizeof(s->k_id), e.b, e.n, mac);
	if (rc)
		return rc;
	memcpy(n->tid, mac, ST_TID_LEN);
	e.n = 0;
	put_label(&e, LABEL_RID);
	put(&e, &kind, 1);
	put_lp(&e, table, n->tlen);
	put_lp(&e, key, klen);
	if (e.over)
		return CU_ELIMIT;
	return cr_hmac(CR_SHA256, s->k_id, sizeof(s->k_id), e.b, e.n, n->rid);
}

int sti_element(const struct st_store *s, const struct st_entry *en,
                uint8_t out[static ST_DIGEST_LEN])
{
	struct enc e = {.n = 0};

	put(&e, en->rid, ST_RID_LEN);
	put(&e, en->tid, ST_TID_LEN);
	put_u64(&e, en->ver);
	put(&e, en->nonce, ST_NONCE_LEN);
	return cr_hmac(CR_SHA256, s->k_set, sizeof(s->k_set), e.b, e.n, out);
}

/* Associated data of a row's sealed name: (kind, table, row id, version). */
static void ad_name(struct enc *e, const struct st_name *n, const uint8_t *rid, uint64_t ver)
{
	put_label(e, LABEL_NAME);
	put(e, &n->kind, 1);
	put_lp(e, n->table, n->tlen);
	put(e, rid, ST_RID_LEN);
	put_u64(e, ver);
}

/* Associated data of a row's sealed value: (kind, table, key, version). */
static void ad_value(struct enc *e, const struct st_name *n, uint64_t ver)
{
	put_label(e, LABEL_VALUE);
	put(e, &n->kind, 1);
	put_lp(e, n->table, n->tlen);
	put_lp(e, n->key, n->klen);
	put_u64(e, ver);
}

static size_t name_plain_len(size_t klen)
{
	return (2 + klen + ST_NAME_PAD - 1) / ST_NAME_PAD * ST_NAME_PAD;
}

static int seal_name(struct st_store *s, const struct st_name *n, const struct st_row *r,
                     uint8_t *out)
{
	uint8_t plain[ST_NAME_PLAIN_MAX], k[32];
	size_t pl = name_plain_len(n->klen);
	struct enc e = {.n = 0};
	int rc;

	memset(plain, 0, pl);
	plain[0] = (uint8_t)(n->klen >> 8);
	plain[1] = (uint8_t)n->klen;
	if (n->klen)
		memcpy(plain + 2, n->key, n->klen);
	ad_name(&e, n, r->rid, r->ver);
	rc = epoch_key(s, EK_NAME, r->ver, k);
	if (!rc)
		rc = cr_aead_seal(k, sizeof(k), r->nonce, e.b, e.n, plain, pl, out, out + pl);
	cu_wipe(plain, sizeof(plain));
	cu_wipe(k, sizeof(k));
	return rc;
}

int sti_seal_row(struct st_store *s, const struct st_name *n, uint64_t ver, const void *val,
                 size_t len, struct st_row *r, uint8_t **buf)
{
	size_t nl = name_plain_len(n->klen) + ST_TAG_LEN;
	struct enc e = {.n = 0};
	uint8_t k[32], *b;
	int rc;

	*buf = NULL;
	if (len > ST_VALUE_MAX || n->klen > ST_KEY_MAX)
		return CU_ELIMIT;
	memset(r, 0, sizeof(*r));
	memcpy(r->rid, n->rid, ST_RID_LEN);
	memcpy(r->tid, n->tid, ST_TID_LEN);
	r->ver = ver;
	b = malloc(nl + len + ST_TAG_LEN);
	if (!b)
		return CU_ENOMEM;
	rc = cr_random(r->nonce, ST_NONCE_LEN);
	if (!rc)
		rc = seal_name(s, n, r, b);
	if (!rc)
		rc = epoch_key(s, EK_VALUE, ver, k);
	ad_value(&e, n, ver);
	if (!rc)
		rc = cr_aead_seal(k, sizeof(k), r->nonce, e.b, e.n, val, len, b + nl, b + nl + len);
	cu_wipe(k, sizeof(k));
	if (rc) {
		free(b);
		return rc;
	}
	r->name = b;
	r->namelen = nl;
	r->val = b + nl;
	r->vallen = len + ST_TAG_LEN;
	*buf = b;
	return 0;
}

int sti_open_name(struct st_store *s, const struct st_name *table, const struct st_row *r,
                  uint8_t key[static ST_KEY_MAX + 1], size_t *klen)
{
	uint8_t plain[ST_NAME_PLAIN_MAX], k[32], rid[ST_RID_LEN];
	struct st_name n = {0};
	struct enc e = {.n = 0};
	size_t pl, kl = 0;
	int rc;

	*klen = 0;
	if (!r->name || r->namelen < ST_NAME_PAD + ST_TAG_LEN || r->namelen > ST_NAME_SEALED_MAX ||
	    (r->namelen - ST_TAG_LEN) % ST_NAME_PAD)
		return CU_EFORMAT;
	pl = r->namelen - ST_TAG_LEN;
	ad_name(&e, table, r->rid, r->ver);
	rc = epoch_key(s, EK_NAME, r->ver, k);
	if (!rc)
		rc = cr_aead_open(k, sizeof(k), r->nonce, e.b, e.n, r->name, pl, plain,
		                  r->name + pl);
	cu_wipe(k, sizeof(k));
	if (rc)
		goto out;
	kl = (size_t)plain[0] << 8 | plain[1];
	/* Authentic, so written by us: only a bug could make it malformed. */
	rc = CU_EFORMAT;
	if (kl > ST_KEY_MAX || name_plain_len(kl) != pl ||
	    !cu_ct_is_zero(plain + 2 + kl, pl - 2 - kl))
		goto out;
	rc = sti_name(s, table->kind, table->table, plain + 2, kl, &n);
	if (!rc)
		memcpy(rid, n.rid, sizeof(rid));
	if (!rc && !cu_ct_eq(rid, r->rid, ST_RID_LEN))
		rc = CU_EAUTH;
	if (!rc) {
		memcpy(key, plain + 2, kl);
		key[kl] = 0;
		*klen = kl;
	}
out:
	cu_wipe(plain, sizeof(plain));
	cu_wipe(&n, sizeof(n));
	return rc;
}

int sti_open_val(struct st_store *s, const struct st_name *n, const struct st_row *r, uint8_t **val,
                 size_t *len)
{
	struct enc e = {.n = 0};
	uint8_t k[32], *p;
	size_t l;
	int rc;

	*val = NULL;
	*len = 0;
	if (!r->val || r->vallen < ST_TAG_LEN || r->vallen > ST_VAL_SEALED_MAX)
		return CU_EFORMAT;
	l = r->vallen - ST_TAG_LEN;
	p = malloc(l + 1);
	if (!p)
		return CU_ENOMEM;
	ad_value(&e, n, r->ver);
	rc = epoch_key(s, EK_VALUE, r->ver, k);
	if (!rc)
		rc = cr_aead_open(k, sizeof(k), r->nonce, e.b, e.n, r->val, l, p, r->val + l);
	cu_wipe(k, sizeof(k));
	if (rc) {
		cu_free_secret(p, l + 1);
		return rc;
	}
	p[l] = 0;
	*val = p;
	*len = l;
	return 0;
}

/* Associated data of the state record: (salt, counter). */
static void ad_state(struct enc *e, const struct st_meta *m)
{
	put_label(e, LABEL_STATE);
	put(e, m->salt, ST_SALT_LEN);
	put_u64(e, m->counter);
}

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int sti_seal_state(struct st_store *s, uint64_t rows, const uint8_t digest[static ST_DIGEST_LEN],
                   struct st_meta *m)
{
	uint8_t plain[ST_STATE_PLAIN_LEN], k[32];
	struct enc e = {.n = 0};
	int rc;

	memcpy(m->salt, s->salt, ST_SALT_LEN);
	m->counter = s->seq;
	plain[0] = plain[1] = plain[2] = 0;
	plain[3] = ST_FORMAT;
	be64(plain + 4, s->seq);
	be64(plain + 12, rows);
	memcpy(plain + 20, digest, ST_DIGEST_LEN);
	ad_state(&e, m);
	rc = cr_random(m->nonce, ST_NONCE_LEN);
	if (!rc)
		rc = epoch_key(s, EK_STATE, m->counter, k);
	if (!rc)
		rc = cr_aead_seal(k, sizeof(k), m->nonce, e.b, e.n, plain, sizeof(plain), m->state,
		                  m->state + sizeof(plain));
	cu_wipe(k, sizeof(k));
	return rc;
}

int sti_open_state(struct st_store *s, const struct st_meta *m, uint64_t *rows,
                   uint8_t digest[static ST_DIGEST_LEN])
{
	uint8_t plain[ST_STATE_PLAIN_LEN], k[32];
	struct enc e = {.n = 0};
	int rc;

	*rows = 0;
	if (m->counter > ST_VER_MAX)
		return CU_EFORMAT;
	ad_state(&e, m);
	rc = epoch_key(s, EK_STATE, m->counter, k);
	if (!rc)
		rc = cr_aead_open(k, sizeof(k), m->nonce, e.b, e.n, m->state, sizeof(plain), plain,
		                  m->state + sizeof(plain));
	cu_wipe(k, sizeof(k));
	if (rc)
		return rc;
	if (plain[0] || plain[1] || plain[2] || plain[3] != ST_FORMAT)
		return CU_EUNSUPPORTED;
	if (rd64(plain + 4) != m->counter)
		return CU_EFORMAT;
	*rows = rd64(plain + 12);
	memcpy(digest, plain + 20, ST_DIGEST_LEN);
	return 0;
}

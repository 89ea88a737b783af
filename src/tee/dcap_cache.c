/*
 * dcap_cache.c - the verifier context and its bounded cache of verified PCK
 * chains (dcap.h, "A verifier context"; docs/attestation.md, "The PCK chain
 * cache", gives the argument that a hit never accepts what the full
 * verification would refuse).
 *
 * A hit needs all of:
 *   - the same certification data bytes (the key is their SHA-256), so the
 *     same certificates, parsed the same way, with the same signatures; the
 *     chain was cached only when the verified path was exactly those
 *     certificates in order, so no other path can be built from them;
 *   - the same pinned root (the cache is per verifier, and emptied when the
 *     pin changes);
 *   - now inside every certificate's window (the path's intersection);
 *   - with collateral: the same CRL set (both CRLs and the PCK CRL issuer
 *     chain, by hash) as the entry's revocation result, and now inside both
 *     CRLs' windows. Without collateral no revocation is checked, by the
 *     full verification either.
 * Everything else the full verification of the chain looks at is a
 * function of those inputs alone.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "tee/dcap_int.h"

static void entry_clear(struct dcap_pck_entry *e)
{
	EVP_PKEY_free(e->pck_key);
	EVP_PKEY_free(e->att_key);
	memset(e, 0, sizeof(*e));
}

int dcap_verifier_new(size_t cache_entries, struct dcap_verifier **out)
{
	struct dcap_verifier *v;

	*out = NULL;
	if (cache_entries > DCAP_PCK_CACHE_MAX)
		return CU_EINVAL;
	if (!(v = calloc(1, sizeof(*v))))
		return CU_ENOMEM;
	if (cache_entries && !(v->entries = calloc(cache_entries, sizeof(*v->entries)))) {
		free(v);
		return CU_ENOMEM;
	}
	v->capacity = cache_entries;
	v->stats.capacity = cache_entries;
	memcpy(v->root_pin, dcap_intel_root_sha256, sizeof(v->root_pin));
	*out = v;
	return 0;
}

void dcap_verifier_free(struct dcap_verifier *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->capacity; i++)
		entry_clear(&v->entries[i]);
	free(v->entries);
	free(v);
}

void dcap_verifier_stats(const struct dcap_verifier *v, struct dcap_cache_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (v)
		*out = v->stats;
}

void dcap_verifier_set_root_pin(struct dcap_verifier *v, const uint8_t pin[static TEE_X509_PIN_LEN])
{
	for (size_t i = 0; i < v->capacity; i++)
		entry_clear(&v->entries[i]);
	v->stats.entries = 0;
	memcpy(v->root_pin, pin, sizeof(v->root_pin));
}

static struct dcap_pck_entry *find(struct dcap_verifier *v, const uint8_t key[static 32])
{
	for (size_t i = 0; i < v->capacity; i++)
		if (v->entries[i].used && !memcmp(v->entries[i].key, key, 32))
			return &v->entries[i];
	return NULL;
}

/* Does e say, for now and col, what the full verification of its chain would? */
static int usable(const struct dcap_pck_entry *e, const struct dcap_collateral *col, int64_t now)
{
	if (now < e->chain_from || now > e->chain_until)
		return 0;
	if (!col)
		return 1;
	return e->has_crl && !memcmp(e->crl_id, col->crl_id, sizeof(e->crl_id)) &&
	       now >= e->crl_from && now <= e->crl_until;
}

struct dcap_pck_entry *dcap_cache_lookup(struct dcap_verifier *v, const uint8_t key[static 32],
                                         const struct dcap_collateral *col, int64_t now)
{
	struct dcap_pck_entry *e = find(v, key);

	if (!e || !usable(e, col, now)) {
		v->stats.misses++;
		return NULL;
	}
	e->last_use = ++v->clock;
	v->stats.hits++;
	return e;
}

/* The entry for key, a free one, or the least recently used one. */
static struct dcap_pck_entry *slot_for(struct dcap_verifier *v, const uint8_t key[static 32])
{
	struct dcap_pck_entry *e = find(v, key), *lru = NULL;

	for (size_t i = 0; !e && i < v->capacity; i++) {
		if (!v->entries[i].used)
			return &v->entries[i];
		if (!lru || v->entries[i].last_use < lru->last_use)
			lru = &v->entries[i];
	}
	if (!e) {
		v->stats.evictions++;
		v->stats.entries--;
		entry_clear(lru);
		return lru;
	}
	v->stats.entries--;
	entry_clear(e);
	return e;
}

/* The intersection of the validity windows of the path's certificates. */
static int path_window(STACK_OF(X509) * path, int64_t *from, int64_t *until)
{
	int64_t a, b;

	*from = INT64_MIN;
	*until = INT64_MAX;
	for (int i = 0; i < sk_X509_num(path); i++) {
		if (tee_x509_cert_accept_window(sk_X509_value(path, i), &a, &b) != 0)
			return CU_EFORMAT;
		*from = a > *from ? a : *from;
		*until = b < *until ? b : *until;
	}
	return 0;
}

static int crl_window(const struct dcap_collateral *col, int64_t *from, int64_t *until)
{
	int64_t a, b, c, d;

	/* The root CRL is checked by X509_verify_cert, the PCK CRL by tee_x509_check_crl. */
	if (tee_x509_crl_accept_window(col->root_crl, &a, &b) != 0 ||
	    tee_x509_crl_window(col->pck_crl, &c, &d) != 0)
		return CU_EFORMAT;
	*from = a > c ? a : c;
	*until = b < d ? b : d;
	return 0;
}

struct dcap_pck_entry *dcap_cache_store(struct dcap_verifier *v, const uint8_t key[static 32],
                                        STACK_OF(X509) * path, const struct tee_sgx_ext *ext,
                                        const struct dcap_collateral *col)
{
	struct dcap_pck_entry n = {0}, *e;
	EVP_PKEY *pk = X509_get0_pubkey(sk_X509_value(path, 0));

	if (!v->capacity || !pk || path_window(path, &n.chain_from, &n.chain_until) != 0)
		return NULL;
	if (col) {
		if (crl_window(col, &n.crl_from, &n.crl_until) != 0)
			return NULL;
		n.has_crl = 1;
		memcpy(n.crl_id, col->crl_id, sizeof(n.crl_id));
	}
	if (!EVP_PKEY_up_ref(pk))
		return NULL;
	n.used = 1;
	n.pck_key = pk;
	n.ext = *ext;
	memcpy(n.key, key, sizeof(n.key));
	n.last_use = ++v->clock;
	e = slot_for(v, key);
	*e = n;
	v->stats.entries++;
	return e;
}

/*
 * verify.c - a verifier: inspection, the policy of a manifest for a peer's
 * roles, and a bounded cache of accepted certificates.
 *
 * Why the cache never accepts what a full verification would refuse: an
 * entry is keyed by the SHA-256 of the certificate's whole DER, so the
 * bytes are those that were verified; it is made only after a success;
 * the policy and trust are the verifier's own and never change; and it is
 * used only for a "now" inside the window in which the certificate and
 * every certificate its evidence chains through are valid
 * (ratls_info.valid_from .. valid_until), which is the only thing in a full
 * verification that depends on time.
 */
#include <openssl/err.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/time.h"
#include "crypto/hash.h"
#include "ratls/internal.h"

struct entry {
	uint8_t key[32]; /* SHA-256 of the certificate DER */
	struct ratls_peer peer;
	int64_t from, until;
	uint64_t used; /* LRU clock; 0: empty */
};

struct ratls_verifier {
	struct tee_policy policy;
	char roles[RATLS_ROLES_MAX][TEE_POLICY_ROLE_NAME_MAX + 1];
	size_t nroles;
	struct ratls_trust trust;
	uint8_t *snp_chain;
	ratls_clock_fn clock;
	void *clock_arg;

	pthread_mutex_t lock;
	struct entry *cache;
	size_t capacity;
	uint64_t tick;
	struct ratls_cache_stats stats;
	int last_rc; /* CU_ESTATE until a verification */
	struct ratls_peer last_peer;
	char last_reason[RATLS_REASON_LEN];
};

static int64_t system_clock(void *arg)
{
	(void)arg;
	return cu_time_now();
}

int ratls_verifier_new(const struct ratls_verifier_options *o, struct ratls_verifier **out)
{
	struct ratls_verifier *v;

	*out = NULL;
	if (!o || !o->policy || !o->nroles || o->nroles > RATLS_ROLES_MAX ||
	    o->cache_entries > RATLS_CACHE_MAX)
		return CU_EINVAL;
	for (size_t i = 0; i < o->nroles; i++)
		if (!o->roles[i] || !tee_policy_find_role(o->policy, o->roles[i]))
			return CU_ENOTFOUND;
	if (!(v = calloc(1, sizeof(*v))))
		return CU_ENOMEM;
	v->policy = *o->policy;
	for (size_t i = 0; i < o->nroles; i++)
		snprintf(v->roles[i], sizeof(v->roles[i]), "%s", o->roles[i]);
	v->nroles = o->nroles;
	v->trust = o->trust;
	v->trust.snp_chain = NULL;
	v->trust.snp_chain_len = 0;
	if (o->trust.snp_chain && o->trust.snp_chain_len) {
		if (!(v->snp_chain = malloc(o->trust.snp_chain_len)))
			goto nomem;
		memcpy(v->snp_chain, o->trust.snp_chain, o->trust.snp_chain_len);
		v->trust.snp_chain = v->snp_chain;
		v->trust.snp_chain_len = o->trust.snp_chain_len;
	}
	v->clock = o->clock ? o->clock : system_clock;
	v->clock_arg = o->clock_arg;
	v->capacity = o->cache_entries;
	if (v->capacity && !(v->cache = calloc(v->capacity, sizeof(*v->cache))))
		goto nomem;
	v->stats.capacity = v->capacity;
	v->last_rc = CU_ESTATE;
	pthread_mutex_init(&v->lock, NULL);
	*out = v;
	return 0;
nomem:
	free(v->snp_chain);
	free(v);
	return CU_ENOMEM;
}

void ratls_verifier_free(struct ratls_verifier *v)
{
	if (!v)
		return;
	pthread_mutex_destroy(&v->lock);
	free(v->cache);
	free(v->snp_chain);
	free(v);
}

/* Under the lock: a hit for key at now, copied to *peer. */
static int cache_get(struct ratls_verifier *v, const uint8_t key[32], int64_t now,
                     struct ratls_peer *peer)
{
	for (size_t i = 0; i < v->capacity; i++) {
		struct entry *e = &v->cache[i];

		if (e->used && !memcmp(e->key, key, 32) && now >= e->from && now <= e->until) {
			e->used = ++v->tick;
			*peer = e->peer;
			peer->from_cache = 1;
			return 1;
		}
	}
	return 0;
}

/* Under the lock: remember an accepted certificate, evicting the least recently used. */
static void cache_put(struct ratls_verifier *v, const uint8_t key[32], const struct ratls_peer *p,
                      int64_t from, int64_t until)
{
	struct entry *victim = NULL;

	for (size_t i = 0; i < v->capacity; i++) {
		struct entry *e = &v->cache[i];

		if (e->used && !memcmp(e->key, key, 32)) {
			victim = e;
			break;
		}
		if (!victim || e->used < victim->used)
			victim = e;
	}
	if (!victim)
		return;
	if (victim->used && memcmp(victim->key, key, 32))
		v->stats.evictions++;
	else if (!victim->used)
		v->stats.entries++;
	memcpy(victim->key, key, 32);
	victim->peer = *p;
	victim->from = from;
	victim->until = until;
	victim->used = ++v->tick;
}

/* The first of the verifier's roles whose policy accepts the claims. */
static int check_roles(const struct ratls_verifier *v, const struct tee_claims *c,
                       struct ratls_peer *peer, char *reason, size_t sz)
{
	char why[TEE_POLICY_REASON_LEN] = "";

	for (size_t i = 0; i < v->nroles; i++) {
		if (!tee_policy_check(&v->policy, v->roles[i], c, why, sizeof(why))) {
			snprintf(peer->role, sizeof(peer->role), "%s", v->roles[i]);
			return 0;
		}
	}
	return cu_reason(reason, sz, CU_EPOLICY, "the manifest's policy refuses the peer: %s", why);
}

static void record(struct ratls_verifier *v, int rc, const struct ratls_peer *p, const char *why)
{
	v->last_rc = rc;
	if (p)
		v->last_peer = *p;
	snprintf(v->last_reason, sizeof(v->last_reason), "%s", why ? why : "");
}

static int full_verify(struct ratls_verifier *v, X509 *cert, int64_t now, const uint8_t key[32],
                       struct ratls_peer *peer, char *reason, size_t sz)
{
	struct ratls_info *info = calloc(1, sizeof(*info));
	int rc;

	if (!info)
		return CU_ENOMEM;
	if ((rc = ratls_inspect_x509(cert, now, &v->trust, info))) {
		cu_reason(reason, sz, rc, "%s", info->reason);
		goto out;
	}
	peer->claims = info->claims;
	memcpy(peer->cert_sha256, key, 32);
	memcpy(peer->spki_sha256, info->spki_sha256, 32);
	peer->not_after = info->not_after;
	if ((rc = check_roles(v, &info->claims, peer, reason, sz)))
		goto out;
	pthread_mutex_lock(&v->lock);
	if (v->capacity)
		cache_put(v, key, peer, info->valid_from, info->valid_until);
	pthread_mutex_unlock(&v->lock);
out:
	free(info);
	return rc;
}

int ratls_verify_cert(struct ratls_verifier *v, X509 *cert, struct ratls_peer *peer, char *reason,
                      size_t reasonsz)
{
	unsigned char *der = NULL;
	uint8_t key[32];
	char why[RATLS_REASON_LEN] = "";
	int64_t now;
	int n, rc, hit = 0;

	memset(peer, 0, sizeof(*peer));
	if (reason && reasonsz)
		reason[0] = 0;
	if (!v || !cert)
		return CU_EINVAL;
	if ((n = i2d_X509(cert, &der)) <= 0 || n > RATLS_CERT_MAX) {
		OPENSSL_free(der);
		ERR_clear_error();
		return cu_reason(reason, reasonsz, n <= 0 ? CU_EFORMAT : CU_ELIMIT,
		                 "the certificate does not encode within %d bytes", RATLS_CERT_MAX);
	}
	now = v->clock(v->clock_arg);
	if ((rc = cr_sha256(der, (size_t)n, key)))
		goto out;
	pthread_mutex_lock(&v->lock);
	if (v->capacity && (hit = cache_get(v, key, now, peer)))
		v->stats.hits++;
	else
		v->stats.misses++;
	pthread_mutex_unlock(&v->lock);
	if (!hit)
		rc = full_verify(v, cert, now, key, peer, why, sizeof(why));
out:
	OPENSSL_free(der);
	if (rc)
		memset(peer, 0, sizeof(*peer));
	pthread_mutex_lock(&v->lock);
	record(v, rc, rc ? NULL : peer, why);
	pthread_mutex_unlock(&v->lock);
	if (rc && reason && reasonsz)
		snprintf(reason, reasonsz, "%s", why[0] ? why : cu_strerror(rc));
	return rc;
}

void ratls_verifier_stats(struct ratls_verifier *v, struct ratls_cache_stats *st)
{
	pthread_mutex_lock(&v->lock);
	*st = v->stats;
	pthread_mutex_unlock(&v->lock);
}

int ratls_verifier_last(struct ratls_verifier *v, struct ratls_peer *peer, char *reason,
                        size_t reasonsz)
{
	int rc;

	pthread_mutex_lock(&v->lock);
	rc = v->last_rc;
	if (peer)
		*peer = rc ? (struct ratls_peer){0} : v->last_peer;
	if (reason && reasonsz)
		snprintf(reason, reasonsz, "%s", v->last_reason);
	pthread_mutex_unlock(&v->lock);
	return rc;
}

/*
 * test_ratls_tls.c - RA-TLS certificates made by Custos (simulated
 * evidence, made in process), the verifier with its policy and cache, and
 * TLS 1.3 handshakes between contexts that use them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/time.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "ratls/ratls.h"
#include "tee/sim.h"

#define DAY 86400

/* A simulated platform: root, attestation key and its certificate. */
struct platform {
	EVP_PKEY *root_key, *attest_key;
	X509 *root;
	uint8_t *root_der, *attest_der;
	size_t root_len, attest_len;
	uint8_t pin[32];
	uint8_t id[SIM_PLATFORM_ID_LEN];
};

static struct platform P, Q; /* Q: another simtee */
static const uint8_t M1[SIM_MEASUREMENT_LEN] = {1, 2, 3};
static const uint8_t M2[SIM_MEASUREMENT_LEN] = {9, 9, 9};
static int64_t T0;

static void platform_make(struct platform *p, int64_t attest_until)
{
	unsigned char *der = NULL;
	int n;

	assert_int_equal(cr_pkey_generate(CR_KEY_P256, &p->root_key), 0);
	assert_int_equal(cr_pkey_generate(CR_KEY_P256, &p->attest_key), 0);
	assert_int_equal(sim_root_cert_new(p->root_key, T0 - DAY, T0 + 30 * DAY, &p->root), 0);
	assert_int_equal(sim_attest_cert_new(p->root_key, p->root, p->attest_key, T0 - DAY,
	                                     attest_until, &p->attest_der, &p->attest_len),
	                 0);
	n = i2d_X509(p->root, &der);
	assert_true(n > 0);
	p->root_der = malloc((size_t)n);
	memcpy(p->root_der, der, (size_t)n);
	p->root_len = (size_t)n;
	OPENSSL_free(der);
	assert_int_equal(cr_sha256(p->root_der, p->root_len, p->pin), 0);
	assert_int_equal(sim_platform_id(p->root, p->id), 0);
}

static void platform_free(struct platform *p)
{
	EVP_PKEY_free(p->root_key);
	EVP_PKEY_free(p->attest_key);
	X509_free(p->root);
	free(p->root_der);
	free(p->attest_der);
	memset(p, 0, sizeof(*p));
}

/*
 * A certificate for key, valid [nb, na], with evidence of measurement m
 * from platform p that binds bind_key (NULL: key).
 */
static X509 *cert_for(const struct platform *p, EVP_PKEY *key, EVP_PKEY *bind_key, const uint8_t *m,
                      int64_t nb, int64_t na)
{
	uint8_t *claims = NULL, rd[TEE_REPORT_DATA_LEN], *ev = NULL;
	size_t clen, evlen;
	X509 *x = NULL;

	assert_int_equal(ratls_report_data(bind_key ? bind_key : key, &claims, &clen, rd), 0);
	assert_int_equal(sim_evidence_build(m, p->id, rd, p->attest_key, p->attest_der,
	                                    p->attest_len, &ev, &evlen),
	                 0);
	/* The certificate's claims bind bind_key too: key_for_evidence. */
	assert_int_equal(ratls_cert_build(key, bind_key, RATLS_TAG_CUSTOS_SIM, ev, evlen,
	                                  p->root_der, p->root_len, nb, na, &x),
	                 0);
	free(claims);
	free(ev);
	return x;
}

static EVP_PKEY *new_key(void)
{
	EVP_PKEY *k = NULL;

	assert_int_equal(cr_pkey_generate(CR_KEY_P256, &k), 0);
	return k;
}

static struct ratls_trust trust_of(const struct platform *p)
{
	struct ratls_trust t = {.has_sim_root = 1};

	memcpy(t.sim_root_sha256, p->pin, 32);
	return t;
}

static void policy_for(struct tee_policy *pol, const uint8_t *m, int allow_sim)
{
	struct tee_policy_role *r;

	memset(pol, 0, sizeof(*pol));
	assert_int_equal(tee_policy_add_role(pol, "control", &r), 0);
	r->tee_types = TEE_TYPE_BIT(TEE_SIM);
	r->rules.allow_simulation = allow_sim;
	assert_int_equal(tee_policy_add_measurement(r, m, SIM_MEASUREMENT_LEN), 0);
}

static int setup(void **state)
{
	(void)state;
	T0 = cu_time_now();
	platform_make(&P, T0 + 10 * DAY);
	platform_make(&Q, T0 + 10 * DAY);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	platform_free(&P);
	platform_free(&Q);
	return 0;
}

static void test_made_cert_verifies(void **state)
{
	EVP_PKEY *k = new_key();
	X509 *x = cert_for(&P, k, NULL, M1, T0 - 60, T0 + DAY);
	struct ratls_trust t = trust_of(&P);
	struct ratls_info info;

	(void)state;
	assert_int_equal(ratls_cert_inspect(x, T0, &t, &info), 0);
	assert_int_equal(info.extensions, RATLS_EXT_DICE);
	assert_true(info.authentic && info.key_bound && info.time_valid);
	assert_int_equal(info.claims.type, TEE_SIM);
	assert_int_equal(info.claims.simulated, 1);
	assert_memory_equal(info.claims.measurement, M1, sizeof(M1));
	/* The verdict's window: the certificate's, inside the chain's. */
	assert_int_equal(info.valid_from, T0 - 60);
	assert_int_equal(info.valid_until, T0 + DAY);
	/* Before and after its lifetime. */
	assert_int_equal(ratls_cert_inspect(x, T0 - 61, &t, &info), CU_EEXPIRED);
	assert_int_equal(ratls_cert_inspect(x, T0 + DAY + 1, &t, &info), CU_EEXPIRED);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void test_sim_root_must_be_pinned(void **state)
{
	EVP_PKEY *k = new_key();
	X509 *x = cert_for(&P, k, NULL, M1, T0 - 60, T0 + DAY);
	struct ratls_trust t = trust_of(&Q);
	struct ratls_info info;

	(void)state;
	assert_int_equal(ratls_cert_inspect(x, T0, NULL, &info), CU_EUNTRUSTED);
	assert_false(info.authentic);
	assert_non_null(strstr(info.reason, "no simulation root is pinned"));
	assert_int_equal(ratls_cert_inspect(x, T0, &t, &info), CU_EUNTRUSTED);
	assert_non_null(strstr(info.reason, "not the pinned one"));
	X509_free(x);
	EVP_PKEY_free(k);
}

static void test_key_not_bound(void **state)
{
	EVP_PKEY *k = new_key(), *other = new_key();
	X509 *x = cert_for(&P, k, other, M1, T0 - 60, T0 + DAY);
	struct ratls_trust t = trust_of(&P);
	struct ratls_info info;

	(void)state;
	assert_int_equal(ratls_cert_inspect(x, T0, &t, &info), CU_EKEY);
	assert_true(info.authentic);
	assert_false(info.key_bound);
	X509_free(x);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

/* One byte of the evidence changed: the simulated signature refuses it. */
static void test_tampered_evidence(void **state)
{
	EVP_PKEY *k = new_key();
	X509 *x = cert_for(&P, k, NULL, M1, T0 - 60, T0 + DAY), *y;
	struct ratls_trust t = trust_of(&P);
	struct ratls_info info;
	unsigned char *der = NULL;
	const unsigned char *p;
	int n = i2d_X509(x, &der);

	(void)state;
	for (int i = 0; i + 4 < n; i++) {
		if (!memcmp(der + i, SIM_MAGIC, SIM_MAGIC_LEN)) {
			der[i + 12] ^= 1; /* the measurement */
			break;
		}
	}
	p = der;
	y = d2i_X509(NULL, &p, n);
	assert_non_null(y);
	/* The signature of the certificate still covers the old bytes: either check refuses. */
	assert_true(ratls_cert_inspect(y, T0, &t, &info) == CU_EAUTH);
	assert_false(info.authentic);
	X509_free(y);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(k);
}

struct clock {
	int64_t now;
};

static int64_t fake_clock(void *arg)
{
	return ((struct clock *)arg)->now;
}

static struct ratls_verifier *verifier(const struct tee_policy *pol, const struct platform *p,
                                       size_t cache, struct clock *clk)
{
	struct ratls_verifier_options o = {
	    .policy = pol, .roles = {"control"}, .nroles = 1, .cache_entries = cache};
	struct ratls_verifier *v = NULL;

	o.trust = trust_of(p);
	if (clk) {
		o.clock = fake_clock;
		o.clock_arg = clk;
	}
	assert_int_equal(ratls_verifier_new(&o, &v), 0);
	return v;
}

static void test_verifier_policy(void **state)
{
	struct tee_policy pol;
	EVP_PKEY *k = new_key();
	X509 *x = cert_for(&P, k, NULL, M1, T0 - 60, T0 + DAY);
	struct ratls_verifier *v;
	struct ratls_peer peer;
	char why[256];

	(void)state;
	policy_for(&pol, M1, 1);
	v = verifier(&pol, &P, 16, NULL);
	assert_int_equal(ratls_verify_cert(v, x, &peer, why, sizeof(why)), 0);
	assert_string_equal(peer.role, "control");
	assert_int_equal(peer.from_cache, 0);
	assert_int_equal(ratls_verifier_last(v, &peer, why, sizeof(why)), 0);
	ratls_verifier_free(v);

	/* Another measurement. */
	policy_for(&pol, M2, 1);
	v = verifier(&pol, &P, 16, NULL);
	assert_int_equal(ratls_verify_cert(v, x, &peer, why, sizeof(why)), CU_EPOLICY);
	assert_non_null(strstr(why, "measurement"));
	assert_int_equal(ratls_verifier_last(v, &peer, why, sizeof(why)), CU_EPOLICY);
	ratls_verifier_free(v);

	/* Simulation not allowed. */
	policy_for(&pol, M1, 0);
	v = verifier(&pol, &P, 16, NULL);
	assert_int_equal(ratls_verify_cert(v, x, &peer, why, sizeof(why)), CU_EPOLICY);
	assert_non_null(strstr(why, "simulated"));
	ratls_verifier_free(v);

	/* A role the policy does not have. */
	{
		struct ratls_verifier_options o = {
		    .policy = &pol, .roles = {"worker"}, .nroles = 1};
		assert_int_equal(ratls_verifier_new(&o, &v), CU_ENOTFOUND);
		o.nroles = 0;
		assert_int_equal(ratls_verifier_new(&o, &v), CU_EINVAL);
	}
	X509_free(x);
	EVP_PKEY_free(k);
}

static void test_cache(void **state)
{
	struct tee_policy pol;
	struct clock clk = {T0};
	EVP_PKEY *k = new_key(), *other = new_key();
	X509 *good = cert_for(&P, k, NULL, M1, T0 - 60, T0 + DAY);
	X509 *unbound = cert_for(&P, k, other, M1, T0 - 60, T0 + DAY);
	struct ratls_verifier *v;
	struct ratls_peer peer;
	struct ratls_cache_stats st;

	(void)state;
	policy_for(&pol, M1, 1);
	v = verifier(&pol, &P, 2, &clk);
	assert_int_equal(ratls_verify_cert(v, good, &peer, NULL, 0), 0);
	assert_int_equal(peer.from_cache, 0);
	assert_int_equal(ratls_verify_cert(v, good, &peer, NULL, 0), 0);
	assert_int_equal(peer.from_cache, 1);
	assert_string_equal(peer.role, "control");
	/* Refusals are never cached, and never served. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(ratls_verify_cert(v, unbound, &peer, NULL, 0), CU_EKEY);
	ratls_verifier_stats(v, &st);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.misses, 4);
	assert_int_equal(st.entries, 1);
	/* Past the certificate's end, the entry no longer serves: full verification refuses. */
	clk.now = T0 + DAY + 1;
	assert_int_equal(ratls_verify_cert(v, good, &peer, NULL, 0), CU_EEXPIRED);
	ratls_verifier_free(v);
	X509_free(good);
	X509_free(unbound);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

/* The attestation key's certificate ends before the RA-TLS certificate: so does the entry. */
static void test_cache_window_of_the_chain(void **state)
{
	struct platform short_lived;
	struct tee_policy pol;
	struct clock clk = {T0};
	EVP_PKEY *k = new_key();
	X509 *x;
	struct ratls_verifier *v;
	struct ratls_peer peer;
	struct ratls_info info;
	struct ratls_trust t;

	(void)state;
	platform_make(&short_lived, T0 + 3600);
	x = cert_for(&short_lived, k, NULL, M1, T0 - 60, T0 + DAY);
	t = trust_of(&short_lived);
	assert_int_equal(ratls_cert_inspect(x, T0, &t, &info), 0);
	assert_int_equal(info.valid_until, T0 + 3600);
	policy_for(&pol, M1, 1);
	v = verifier(&pol, &short_lived, 8, &clk);
	assert_int_equal(ratls_verify_cert(v, x, &peer, NULL, 0), 0);
	clk.now = T0 + 3599;
	assert_int_equal(ratls_verify_cert(v, x, &peer, NULL, 0), 0);
	assert_int_equal(peer.from_cache, 1);
	clk.now = T0 + 3601; /* the certificate is still valid; its evidence's chain is not */
	assert_int_not_equal(ratls_verify_cert(v, x, &peer, NULL, 0), 0);
	ratls_verifier_free(v);
	X509_free(x);
	EVP_PKEY_free(k);
	platform_free(&short_lived);
}

static void test_lru_eviction(void **state)
{
	struct tee_policy pol;
	EVP_PKEY *k[3];
	X509 *x[3];
	struct ratls_verifier *v;
	struct ratls_peer peer;
	struct ratls_cache_stats st;

	(void)state;
	policy_for(&pol, M1, 1);
	v = verifier(&pol, &P, 2, NULL);
	for (int i = 0; i < 3; i++) {
		k[i] = new_key();
		x[i] = cert_for(&P, k[i], NULL, M1, T0 - 60, T0 + DAY);
		assert_int_equal(ratls_verify_cert(v, x[i], &peer, NULL, 0), 0);
	}
	ratls_verifier_stats(v, &st);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(ratls_verify_cert(v, x[2], &peer, NULL, 0), 0);
	assert_int_equal(peer.from_cache, 1);
	assert_int_equal(ratls_verify_cert(v, x[0], &peer, NULL, 0), 0);
	assert_int_equal(peer.from_cache, 0); /* evicted first */
	for (int i = 0; i < 3; i++) {
		X509_free(x[i]);
		EVP_PKEY_free(k[i]);
	}
	ratls_verifier_free(v);
}

/* Run a handshake between two SSL objects over a BIO pair; 1 when both finish. */
static int handshake(SSL *c, SSL *s)
{
	BIO *bc = NULL, *bs = NULL;
	int cdone = 0, sdone = 0, r;

	assert_int_equal(BIO_new_bio_pair(&bc, 0, &bs, 0), 1);
	SSL_set_bio(c, bc, bc);
	SSL_set_bio(s, bs, bs);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	for (int i = 0; i < 64 && !(cdone && sdone); i++) {
		if (!cdone) {
			r = SSL_do_handshake(c);
			if (r == 1)
				cdone = 1;
			else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
				return 0;
		}
		if (!sdone) {
			r = SSL_do_handshake(s);
			if (r == 1)
				sdone = 1;
			else if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
				return 0;
		}
	}
	return cdone && sdone;
}

static struct ratls_identity *identity(const struct platform *p, const uint8_t *m)
{
	EVP_PKEY *k = new_key();
	X509 *x = cert_for(p, k, NULL, m, T0 - 60, T0 + DAY);
	struct ratls_identity *id = NULL;

	assert_int_equal(ratls_identity_wrap(k, x, &id), 0);
	EVP_PKEY_free(k);
	X509_free(x);
	return id;
}

static void test_mutual_handshake(void **state)
{
	struct tee_policy pol;
	struct ratls_identity *sid = identity(&P, M1), *cid = identity(&P, M1);
	struct ratls_verifier *sv, *cv;
	SSL_CTX *sctx = NULL, *cctx = SSL_CTX_new(TLS_client_method());
	SSL *s, *c;
	struct ratls_peer peer;

	(void)state;
	policy_for(&pol, M1, 1);
	sv = verifier(&pol, &P, 8, NULL);
	cv = verifier(&pol, &P, 8, NULL);
	assert_int_equal(ratls_server_ctx_new(sid, sv, 1, &sctx), 0);
	assert_int_equal(ratls_client_ctx_setup(cctx, cv, cid), 0);
	s = SSL_new(sctx);
	c = SSL_new(cctx);
	assert_true(handshake(c, s));
	assert_int_equal(SSL_version(c), TLS1_3_VERSION);
	assert_int_equal(ratls_peer_of(c, &peer), 0);
	assert_string_equal(peer.role, "control");
	assert_memory_equal(peer.claims.measurement, M1, sizeof(M1));
	assert_int_equal(ratls_peer_of(s, &peer), 0);
	assert_string_equal(peer.role, "control");
	SSL_free(s);
	SSL_free(c);

	/* A client without a certificate: refused where a peer is required. */
	{
		SSL_CTX *plain = SSL_CTX_new(TLS_client_method());
		assert_int_equal(ratls_client_ctx_setup(plain, cv, NULL), 0);
		s = SSL_new(sctx);
		c = SSL_new(plain);
		assert_false(handshake(c, s));
		SSL_free(s);
		SSL_free(c);
		SSL_CTX_free(plain);
	}
	SSL_CTX_free(sctx);
	/* One-way: a user without a certificate gets in; ratls_peer_of says so. */
	assert_int_equal(ratls_server_ctx_new(sid, sv, 0, &sctx), 0);
	{
		SSL_CTX *user = SSL_CTX_new(TLS_client_method());
		assert_int_equal(ratls_client_ctx_setup(user, cv, NULL), 0);
		s = SSL_new(sctx);
		c = SSL_new(user);
		assert_true(handshake(c, s));
		assert_int_equal(ratls_peer_of(s, &peer), CU_ENOTFOUND);
		assert_int_equal(ratls_peer_of(c, &peer), 0);
		SSL_free(s);
		SSL_free(c);
		SSL_CTX_free(user);
	}
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	ratls_verifier_free(sv);
	ratls_verifier_free(cv);
	ratls_identity_free(sid);
	ratls_identity_free(cid);
}

/* A server with another measurement, or an ordinary certificate: the client refuses. */
static void test_client_refuses(void **state)
{
	struct tee_policy pol;
	struct ratls_identity *bad = identity(&P, M2);
	struct ratls_verifier *cv;
	SSL_CTX *sctx = NULL, *cctx = SSL_CTX_new(TLS_client_method());
	SSL *s, *c;
	char why[256];
	EVP_PKEY *k = new_key();
	X509 *plain = X509_new();

	(void)state;
	policy_for(&pol, M1, 1);
	cv = verifier(&pol, &P, 8, NULL);
	assert_int_equal(ratls_client_ctx_setup(cctx, cv, NULL), 0);
	assert_int_equal(ratls_server_ctx_new(bad, NULL, 0, &sctx), 0);
	s = SSL_new(sctx);
	c = SSL_new(cctx);
	assert_false(handshake(c, s));
	assert_int_equal(ratls_verifier_last(cv, NULL, why, sizeof(why)), CU_EPOLICY);
	SSL_free(s);
	SSL_free(c);
	SSL_CTX_free(sctx);

	/* A man in the middle with an ordinary self-signed certificate. */
	X509_set_version(plain, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(plain), 7);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(plain), "CN", MBSTRING_ASC,
	                           (const unsigned char *)"custos", -1, -1, 0);
	X509_set_issuer_name(plain, X509_get_subject_name(plain));
	ASN1_TIME_set(X509_getm_notBefore(plain), (time_t)(T0 - 60));
	ASN1_TIME_set(X509_getm_notAfter(plain), (time_t)(T0 + DAY));
	X509_set_pubkey(plain, k);
	assert_true(X509_sign(plain, k, EVP_sha256()) > 0);
	sctx = SSL_CTX_new(TLS_server_method());
	assert_int_equal(SSL_CTX_use_certificate(sctx, plain), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(sctx, k), 1);
	s = SSL_new(sctx);
	c = SSL_new(cctx);
	assert_false(handshake(c, s));
	assert_int_equal(ratls_verifier_last(cv, NULL, why, sizeof(why)), CU_ENOTFOUND);
	assert_non_null(strstr(why, "no RA-TLS evidence"));
	SSL_free(s);
	SSL_free(c);
	SSL_CTX_free(sctx);
	X509_free(plain);
	EVP_PKEY_free(k);
	SSL_CTX_free(cctx);
	ratls_verifier_free(cv);
	ratls_identity_free(bad);
}

static void test_build_and_wrap_errors(void **state)
{
	EVP_PKEY *k = new_key(), *other = new_key();
	X509 *x = cert_for(&P, k, NULL, M1, T0 - 60, T0 + DAY), *y = NULL;
	struct ratls_identity *id = NULL;
	static const uint8_t ev[4] = {1, 2, 3, 4};

	(void)state;
	assert_int_equal(ratls_identity_wrap(other, x, &id), CU_EKEY);
	assert_null(id);
	assert_int_equal(ratls_cert_build(k, NULL, 12345, ev, 4, NULL, 0, T0, T0 + 1, &y),
	                 CU_EINVAL);
	assert_int_equal(
	    ratls_cert_build(k, NULL, RATLS_TAG_CUSTOS_SIM, ev, 4, NULL, 0, T0 + 1, T0, &y),
	    CU_EINVAL);
	assert_int_equal(ratls_identity_new(NULL, T0, DAY, &id), CU_EINVAL);
	assert_null(y);
	X509_free(x);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_made_cert_verifies),
	    cmocka_unit_test(test_sim_root_must_be_pinned),
	    cmocka_unit_test(test_key_not_bound),
	    cmocka_unit_test(test_tampered_evidence),
	    cmocka_unit_test(test_verifier_policy),
	    cmocka_unit_test(test_cache),
	    cmocka_unit_test(test_cache_window_of_the_chain),
	    cmocka_unit_test(test_lru_eviction),
	    cmocka_unit_test(test_mutual_handshake),
	    cmocka_unit_test(test_client_refuses),
	    cmocka_unit_test(test_build_and_wrap_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

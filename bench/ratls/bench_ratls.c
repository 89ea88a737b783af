/*
 * bench_ratls.c - attested TLS against plain TLS, side by side in one run.
 *
 * 1. Handshakes per second: a fresh loopback TCP connection per handshake,
 *    mutual TLS 1.3, full handshakes (no tickets, no session cache), the
 *    server on one thread and the client on another:
 *      plain       P-256 self-signed certificates, each side pins the
 *                  other's SHA-256 in a cert_verify_callback;
 *      ratls_warm  RA-TLS certificates with simulated evidence, contexts
 *                  from ratls_server_ctx_new / ratls_client_ctx_setup,
 *                  verifiers with a cache, warmed by one handshake;
 *      ratls_cold  the same with cache_entries = 0: the evidence is
 *                  verified in full in every handshake, on both sides.
 * 2. One keep-alive connection through rpc_server (evhttp) and rpc_client
 *    (libcurl): GET /v1/health returning {"status":"ok"}, server
 *    authentication only, plain (pinned) and RA-TLS.
 *
 * The variants run in interleaved rounds, each round starting with the
 * next variant, so that the noise of a shared machine falls on all of them
 * alike; besides the ratio of the totals, the median over rounds of the
 * ratio within a round is printed (the figure least moved by a burst of
 * another job). CPU time is the whole process's (client and server
 * threads) per operation. Each side of a mutual RA-TLS handshake has its
 * own verifier, as two processes would.
 *
 * usage: bench_ratls SECONDS_PER_VARIANT_AND_ROUND ROUNDS
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/err.h"
#include "common/time.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "ratls/ratls.h"
#include "rpc/rpc.h"
#include "tee/policy.h"
#include "tee/sim.h"

#define CERT_LIFETIME 3600
#define ROUNDS_MAX    100

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_ratls: %s failed (%s)\n", what, rc ? cu_strerror(rc) : "OpenSSL");
	ERR_print_errors_fp(stderr);
	exit(1);
}

static double seconds(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- identities ---- */

/* The simulated TEE: a root, an attestation key and its certificate. */
struct sim {
	EVP_PKEY *root_key, *attest_key;
	X509 *root;
	uint8_t *root_der, *attest_der;
	size_t root_len, attest_len;
	uint8_t root_sha256[32];
	uint8_t platform_id[SIM_PLATFORM_ID_LEN];
	uint8_t measurement[SIM_MEASUREMENT_LEN];
};

/* A key and its certificate; id and the pin (SHA-256 of the DER) go with them. */
struct ident {
	EVP_PKEY *key;
	X509 *cert;
	struct ratls_identity *id; /* RA-TLS only */
	uint8_t sha256[32];
};

static void sim_make(struct sim *s, int64_t now)
{
	unsigned char *der = NULL;
	int n, rc;

	memset(s, 0, sizeof(*s));
	if ((rc = cr_pkey_generate(CR_KEY_P256, &s->root_key)) ||
	    (rc = cr_pkey_generate(CR_KEY_P256, &s->attest_key)) ||
	    (rc = sim_root_cert_new(s->root_key, now - 3600, now + 86400, &s->root)) ||
	    (rc = sim_attest_cert_new(s->root_key, s->root, s->attest_key, now - 3600, now + 86400,
	                              &s->attest_der, &s->attest_len)) ||
	    (rc = sim_platform_id(s->root, s->platform_id)))
		die("the simulated TEE", rc);
	if ((n = i2d_X509(s->root, &der)) <= 0)
		die("i2d_X509", 0);
	s->root_der = der;
	s->root_len = (size_t)n;
	if ((rc = cr_sha256(s->root_der, s->root_len, s->root_sha256)) ||
	    (rc = cr_sha384("custos bench_ratls", 18, s->measurement)))
		die("SHA-2", rc);
}

static void sim_free(struct sim *s)
{
	EVP_PKEY_free(s->root_key);
	EVP_PKEY_free(s->attest_key);
	X509_free(s->root);
	OPENSSL_free(s->root_der);
	free(s->attest_der);
}

static void pin_of(struct ident *d)
{
	unsigned int n = 0;

	if (!X509_digest(d->cert, EVP_sha256(), d->sha256, &n) || n != 32)
		die("X509_digest", 0);
}

/* A fresh key, simulated evidence binding it, and its RA-TLS certificate. */
static void ident_ratls(const struct sim *s, int64_t now, struct ident *d)
{
	uint8_t *claims = NULL, *ev = NULL, rd[TEE_REPORT_DATA_LEN];
	size_t clen = 0, evlen = 0;
	int rc;

	memset(d, 0, sizeof(*d));
	if ((rc = cr_pkey_generate(CR_KEY_P256, &d->key)) ||
	    (rc = ratls_report_data(d->key, &claims, &clen, rd)) ||
	    (rc = sim_evidence_build(s->measurement, s->platform_id, rd, s->attest_key,
	                             s->attest_der, s->attest_len, &ev, &evlen)) ||
	    (rc = ratls_cert_build(d->key, NULL, RATLS_TAG_CUSTOS_SIM, ev, evlen, s->root_der,
	                           s->root_len, now - 60, now + CERT_LIFETIME, &d->cert)) ||
	    (rc = ratls_identity_wrap(d->key, d->cert, &d->id)))
		die("an RA-TLS identity", rc);
	free(claims);
	free(ev);
	pin_of(d);
}

/* A fresh P-256 key and a self-signed certificate, as plain TLS peers would have. */
static void ident_plain(int64_t now, struct ident *d)
{
	X509_NAME *name;
	int rc;

	memset(d, 0, sizeof(*d));
	if ((rc = cr_pkey_generate(CR_KEY_P256, &d->key)))
		die("cr_pkey_generate", rc);
	if (!(d->cert = X509_new()) || !X509_set_version(d->cert, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(d->cert), 1) ||
	    !ASN1_TIME_set(X509_getm_notBefore(d->cert), (time_t)(now - 60)) ||
	    !ASN1_TIME_set(X509_getm_notAfter(d->cert), (time_t)(now + CERT_LIFETIME)) ||
	    !(name = X509_get_subject_name(d->cert)) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"plain",
	                                -1, -1, 0) ||
	    !X509_set_issuer_name(d->cert, name) || !X509_set_pubkey(d->cert, d->key) ||
	    !X509_sign(d->cert, d->key, EVP_sha256()))
		die("a self-signed certificate", 0);
	pin_of(d);
}

static void ident_free(struct ident *d)
{
	ratls_identity_free(d->id);
	X509_free(d->cert);
	EVP_PKEY_free(d->key);
}

/* Role "peer": simulated evidence of our measurement. */
static void verifier_new(const struct sim *s, size_t cache_entries, struct ratls_verifier **out)
{
	struct tee_policy policy;
	struct tee_policy_role *r;
	struct ratls_verifier_options o = {
	    .policy = &policy,
	    .roles = {"peer"},
	    .nroles = 1,
	    .trust = {.has_sim_root = 1},
	    .cache_entries = cache_entries,
	};
	int rc;

	memset(&policy, 0, sizeof(policy));
	memcpy(o.trust.sim_root_sha256, s->root_sha256, 32);
	if ((rc = tee_policy_add_role(&policy, "peer", &r)) ||
	    (rc = tee_policy_add_measurement(r, s->measurement, SIM_MEASUREMENT_LEN)))
		die("the policy", rc);
	r->tee_types = TEE_TYPE_BIT(TEE_SIM);
	r->rules.allow_simulation = 1;
	r->rules.tcb_statuses |= TEE_STATUS_BIT(TEE_TCB_NOT_APPLICABLE);
	if ((rc = ratls_verifier_new(&o, out)))
		die("ratls_verifier_new", rc);
}

/* ---- plain TLS: the peer ---- */

/* Pin the leaf by the SHA-256 of its DER; no chain, as RA-TLS has none either. */
static int pin_verify_cb(X509_STORE_CTX *xs, void *arg)
{
	const uint8_t *want = arg;
	X509 *leaf = X509_STORE_CTX_get0_cert(xs);
	uint8_t md[32];
	unsigned int n = 0;

	if (!leaf || !X509_digest(leaf, EVP_sha256(), md, &n) || n != 32 ||
	    CRYPTO_memcmp(md, want, 32)) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	X509_STORE_CTX_set_error(xs, X509_V_OK);
	return 1;
}

/* What ratls's contexts set, with the pin instead of the verifier: TLS 1.3, no resumption. */
static void plain_setup(SSL_CTX *ctx, const struct ident *self, const uint8_t *peer_pin,
                        int verify_flags)
{
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION))
		die("SSL_CTX_set_min_proto_version", 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (self && (SSL_CTX_use_certificate(ctx, self->cert) != 1 ||
	             SSL_CTX_use_PrivateKey(ctx, self->key) != 1))
		die("SSL_CTX_use_certificate", 0);
	if (peer_pin) {
		SSL_CTX_set_verify(ctx, verify_flags, NULL);
		SSL_CTX_set_cert_verify_callback(ctx, pin_verify_cb, (void *)(uintptr_t)peer_pin);
	}
}

static SSL_CTX *ctx_new(const SSL_METHOD *m)
{
	SSL_CTX *ctx = SSL_CTX_new(m);

	if (!ctx)
		die("SSL_CTX_new", 0);
	return ctx;
}

/* ---- handshakes ---- */

enum { HS_PLAIN, HS_WARM, HS_COLD, HS_N };
static const char *const hs_name[HS_N] = {"plain", "ratls_warm", "ratls_cold"};

struct hs_server {
	int lfd;
	int port;
	_Atomic(SSL_CTX *) ctx; /* of the variant being measured */
	atomic_int stop;
	atomic_long failures;
	pthread_t thread;
};

static void nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("TCP_NODELAY", CU_EIO);
}

/* One connection: full handshake, one byte so the client knows the server is done, close. */
static void hs_serve(struct hs_server *s, int fd)
{
	SSL *ssl = SSL_new(atomic_load(&s->ctx));
	char byte = 'k';

	if (!ssl || !SSL_set_fd(ssl, fd) || SSL_accept(ssl) != 1 || SSL_write(ssl, &byte, 1) != 1)
		atomic_fetch_add(&s->failures, 1);
	SSL_free(ssl);
	ERR_clear_error();
	close(fd);
}

static void *hs_server_main(void *arg)
{
	struct hs_server *s = arg;
	int fd;

	for (;;) {
		fd = accept(s->lfd, NULL, NULL);
		if (atomic_load(&s->stop)) {
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		if (fd < 0)
			continue;
		nodelay(fd);
		hs_serve(s, fd);
	}
}

static void hs_server_start(struct hs_server *s)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s->lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(s->lfd, 64) ||
	    getsockname(s->lfd, (struct sockaddr *)&sa, &len))
		die("listen", CU_EIO);
	s->port = ntohs(sa.sin_port);
	if (pthread_create(&s->thread, NULL, hs_server_main, s))
		die("pthread_create", CU_ENOMEM);
}

static int tcp_connect(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	/* Reset on close: no TIME_WAIT, so thousands of connections do not exhaust the ports. */
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect", CU_EIO);
	nodelay(fd);
	return fd;
}

static void hs_server_stop(struct hs_server *s)
{
	atomic_store(&s->stop, 1);
	close(tcp_connect(s->port));
	pthread_join(s->thread, NULL);
	close(s->lfd);
}

/* One client handshake; 0 when it completed and the server's byte arrived. */
static int hs_once(SSL_CTX *cctx, int port)
{
	int fd = tcp_connect(port), ok;
	SSL *ssl = SSL_new(cctx);
	char byte;

	ok = ssl && SSL_set_fd(ssl, fd) && SSL_connect(ssl) == 1 && SSL_read(ssl, &byte, 1) == 1;
	SSL_free(ssl);
	ERR_clear_error();
	close(fd);
	return ok ? 0 : -1;
}

struct tally {
	long count;
	double wall, cpu; /* seconds, summed over rounds */
	double round_rate[ROUNDS_MAX];
};

static void hs_round(struct hs_server *s, SSL_CTX *sctx, SSL_CTX *cctx, double secs,
                     struct tally *t, int round)
{
	double w0, c0, w;
	long n = 0;

	atomic_store(&s->ctx, sctx);
	w0 = seconds(CLOCK_MONOTONIC);
	c0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
	do {
		if (hs_once(cctx, s->port))
			die("a handshake", CU_ETLS);
		n++;
	} while ((w = seconds(CLOCK_MONOTONIC) - w0) < secs);
	t->cpu += seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
	t->wall += w;
	t->count += n;
	t->round_rate[round] = (double)n / w;
}

/* ---- RPC over one keep-alive connection ---- */

enum { RPC_PLAIN, RPC_RATLS, RPC_N };
static const char *const rpc_name[RPC_N] = {"plain", "ratls"};

static atomic_long rpc_handshakes[RPC_N];

static void count_plain(const SSL *ssl, int where, int ret)
{
	(void)ssl, (void)ret;
	if (where & SSL_CB_HANDSHAKE_DONE)
		atomic_fetch_add(&rpc_handshakes[RPC_PLAIN], 1);
}

static void count_ratls(const SSL *ssl, int where, int ret)
{
	(void)ssl, (void)ret;
	if (where & SSL_CB_HANDSHAKE_DONE)
		atomic_fetch_add(&rpc_handshakes[RPC_RATLS], 1);
}

static void health(void *arg, struct rpc_request *req)
{
	(void)arg;
	rpc_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

struct rpc_side {
	struct event_base *base;
	pthread_t thread;
	struct rpc_server *srv[RPC_N];
	char url[RPC_N][16 + RPC_ADDR_LEN];
	struct rpc_client *cli[RPC_N];
	double *lat[RPC_N]; /* seconds per call, every round */
	size_t nlat[RPC_N], caplat[RPC_N];
};

static void *rpc_loop(void *arg)
{
	struct rpc_side *r = arg;

	event_base_loop(r->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static void rpc_serve(struct rpc_side *r, int v, SSL_CTX *ctx)
{
	char bound[RPC_ADDR_LEN];
	int rc;

	if ((rc = rpc_server_new(r->base, ctx, NULL, &r->srv[v])) ||
	    (rc = rpc_server_route(r->srv[v], "GET", "/v1/health", health, NULL)) ||
	    (rc = rpc_server_listen(r->srv[v], "127.0.0.1:0", bound, sizeof(bound))))
		die("an rpc server", rc);
	snprintf(r->url[v], sizeof(r->url[v]), "https://%s", bound);
}

static int ssl_setup_plain(void *arg, SSL_CTX *ctx)
{
	plain_setup(ctx, NULL, arg, SSL_VERIFY_PEER);
	return 0;
}

static int ssl_setup_ratls(void *arg, SSL_CTX *ctx)
{
	return ratls_client_ctx_setup(ctx, arg, NULL);
}

static void rpc_client_make(struct rpc_side *r, int v, rpc_ssl_setup_fn fn, void *arg)
{
	struct rpc_client_options o = {.base_url = r->url[v], .ssl_setup = fn, .ssl_arg = arg};
	int rc;

	if ((rc = rpc_client_new(&o, &r->cli[v])))
		die("rpc_client_new", rc);
}

/* One call, checked; its latency in seconds. */
static double rpc_once(struct rpc_client *c)
{
	char reason[RPC_REASON_LEN];
	json_t *resp = NULL;
	long status = 0;
	double t0 = seconds(CLOCK_MONOTONIC), dt;
	int rc = rpc_call(c, "GET", "/v1/health", NULL, &status, &resp, reason, sizeof(reason));

	dt = seconds(CLOCK_MONOTONIC) - t0;
	if (rc || status != 200 || !json_is_string(json_object_get(resp, "status"))) {
		fprintf(stderr, "bench_ratls: rpc_call: %s (status %ld)\n",
		        rc ? reason : "bad reply", status);
		exit(1);
	}
	json_decref(resp);
	return dt;
}

static void lat_push(struct rpc_side *r, int v, double dt)
{
	if (r->nlat[v] == r->caplat[v]) {
		r->caplat[v] = r->caplat[v] ? 2 * r->caplat[v] : 65536;
		if (!(r->lat[v] = realloc(r->lat[v], r->caplat[v] * sizeof(double))))
			die("realloc", CU_ENOMEM);
	}
	r->lat[v][r->nlat[v]++] = dt;
}

static void rpc_round(struct rpc_side *r, int v, double secs, struct tally *t, int round)
{
	double w0 = seconds(CLOCK_MONOTONIC), c0 = seconds(CLOCK_PROCESS_CPUTIME_ID), w;
	long n = 0;

	do {
		lat_push(r, v, rpc_once(r->cli[v]));
		n++;
	} while ((w = seconds(CLOCK_MONOTONIC) - w0) < secs);
	t->cpu += seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
	t->wall += w;
	t->count += n;
	t->round_rate[round] = (double)n / w;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile (0..1) of sorted values, nearest rank. */
static double quantile(const double *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)n);

	return n ? v[i < n ? i : n - 1] : 0;
}

/* ---- report ---- */

static double rate(const struct tally *t)
{
	return t->wall > 0 ? (double)t->count / t->wall : 0;
}

static void range(const struct tally *t, int rounds, double *lo, double *hi)
{
	*lo = *hi = t->round_rate[0];
	for (int i = 1; i < rounds; i++) {
		if (t->round_rate[i] < *lo)
			*lo = t->round_rate[i];
		if (t->round_rate[i] > *hi)
			*hi = t->round_rate[i];
	}
}

/*
 * The median over rounds of t's rate to base's in the same round: variants
 * measured a few seconds apart see the same load, so a burst of another
 * job's work moves this less than the ratio of the totals.
 */
static double median_ratio(const struct tally *t, const struct tally *base, int rounds)
{
	double r[ROUNDS_MAX];

	for (int i = 0; i < rounds; i++)
		r[i] = base->round_rate[i] > 0 ? t->round_rate[i] / base->round_rate[i] : 0;
	qsort(r, (size_t)rounds, sizeof(double), cmp_double);
	return rounds % 2 ? r[rounds / 2] : (r[rounds / 2 - 1] + r[rounds / 2]) / 2;
}

static double cpu_us(const struct tally *t)
{
	return t->count ? 1e6 * t->cpu / (double)t->count : 0;
}

/* ---- the two benchmarks ---- */

struct peers {
	struct sim sim;
	struct ident plain_srv, plain_cli, ratls_srv, ratls_cli;
};

struct hs_variant {
	SSL_CTX *sctx, *cctx;
	struct ratls_verifier *vs, *vc; /* NULL for plain */
	struct tally t;
};

static void hs_variant_ratls(const struct peers *p, size_t cache, struct hs_variant *h)
{
	int rc;

	verifier_new(&p->sim, cache, &h->vs);
	verifier_new(&p->sim, cache, &h->vc);
	h->cctx = ctx_new(TLS_client_method());
	if ((rc = ratls_server_ctx_new(p->ratls_srv.id, h->vs, 1, &h->sctx)) ||
	    (rc = ratls_client_ctx_setup(h->cctx, h->vc, p->ratls_cli.id)))
		die("an RA-TLS context", rc);
}

static void hs_variants(const struct peers *p, struct hs_variant h[HS_N])
{
	memset(h, 0, HS_N * sizeof(*h));
	h[HS_PLAIN].sctx = ctx_new(TLS_server_method());
	h[HS_PLAIN].cctx = ctx_new(TLS_client_method());
	plain_setup(h[HS_PLAIN].sctx, &p->plain_srv, p->plain_cli.sha256,
	            SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
	plain_setup(h[HS_PLAIN].cctx, &p->plain_cli, p->plain_srv.sha256, SSL_VERIFY_PEER);
	hs_variant_ratls(p, RATLS_CACHE_DEFAULT, &h[HS_WARM]);
	hs_variant_ratls(p, 0, &h[HS_COLD]);
}

static void hs_report(struct hs_variant h[HS_N], int rounds, double secs)
{
	double base = rate(&h[HS_PLAIN].t), lo, hi;
	struct ratls_cache_stats ss, cs;

	printf("== handshakes/s: mutual TLS 1.3, a new loopback TCP connection each, "
	       "%d rounds of %.1f s\n",
	       rounds, secs);
	printf("%-12s %10s %10s %10s %12s %9s %13s\n", "variant", "per_s", "round_min", "round_max",
	       "cpu_us/hs", "to_plain", "median_round");
	for (int v = 0; v < HS_N; v++) {
		range(&h[v].t, rounds, &lo, &hi);
		printf("%-12s %10.1f %10.1f %10.1f %12.1f %9.3f %13.3f\n", hs_name[v],
		       rate(&h[v].t), lo, hi, cpu_us(&h[v].t), base > 0 ? rate(&h[v].t) / base : 0,
		       median_ratio(&h[v].t, &h[HS_PLAIN].t, rounds));
	}
	for (int v = 0; v < HS_N; v++)
		printf("handshake_%s_per_s %.1f\nhandshake_%s_cpu_us %.1f\n", hs_name[v],
		       rate(&h[v].t), hs_name[v], cpu_us(&h[v].t));
	printf("handshake_ratio_warm_to_plain %.3f\nhandshake_ratio_cold_to_plain %.3f\n",
	       rate(&h[HS_WARM].t) / base, rate(&h[HS_COLD].t) / base);
	printf("handshake_median_round_ratio_warm_to_plain %.3f\n"
	       "handshake_median_round_ratio_cold_to_plain %.3f\n",
	       median_ratio(&h[HS_WARM].t, &h[HS_PLAIN].t, rounds),
	       median_ratio(&h[HS_COLD].t, &h[HS_PLAIN].t, rounds));
	printf("handshake_cpu_ratio_plain_to_warm %.3f\nhandshake_cpu_ratio_plain_to_cold %.3f\n",
	       cpu_us(&h[HS_PLAIN].t) / cpu_us(&h[HS_WARM].t),
	       cpu_us(&h[HS_PLAIN].t) / cpu_us(&h[HS_COLD].t));
	for (int v = HS_WARM; v <= HS_COLD; v++) {
		ratls_verifier_stats(h[v].vs, &ss);
		ratls_verifier_stats(h[v].vc, &cs);
		printf("%s_cache server_hits %llu server_misses %llu client_hits %llu "
		       "client_misses %llu\n",
		       hs_name[v], (unsigned long long)ss.hits, (unsigned long long)ss.misses,
		       (unsigned long long)cs.hits, (unsigned long long)cs.misses);
	}
}

static void hs_bench(const struct peers *p, double secs, int rounds)
{
	struct hs_server s = {0};
	struct hs_variant h[HS_N];

	hs_variants(p, h);
	hs_server_start(&s);
	for (int v = 0; v < HS_N; v++) { /* warm-up: the caches, OpenSSL's fetches */
		atomic_store(&s.ctx, h[v].sctx);
		if (hs_once(h[v].cctx, s.port))
			die("the warm-up handshake", CU_ETLS);
	}
	for (int r = 0; r < rounds; r++) /* each round starts with another variant */
		for (int k = 0, v; k < HS_N; k++) {
			v = (r + k) % HS_N;
			hs_round(&s, h[v].sctx, h[v].cctx, secs, &h[v].t, r);
		}
	hs_server_stop(&s);
	if (atomic_load(&s.failures))
		die("a server handshake", CU_ETLS);
	hs_report(h, rounds, secs);
	for (int v = 0; v < HS_N; v++) {
		SSL_CTX_free(h[v].sctx);
		SSL_CTX_free(h[v].cctx);
		ratls_verifier_free(h[v].vs);
		ratls_verifier_free(h[v].vc);
	}
}

static void rpc_start(const struct peers *p, struct rpc_side *r, struct ratls_verifier *vc)
{
	SSL_CTX *ctx[RPC_N];
	int rc;

	memset(r, 0, sizeof(*r));
	if (!(r->base = event_base_new()))
		die("event_base_new", CU_ENOMEM);
	ctx[RPC_PLAIN] = ctx_new(TLS_server_method());
	plain_setup(ctx[RPC_PLAIN], &p->plain_srv, NULL, 0);
	if ((rc = ratls_server_ctx_new(p->ratls_srv.id, NULL, 0, &ctx[RPC_RATLS])))
		die("ratls_server_ctx_new", rc);
	SSL_CTX_set_info_callback(ctx[RPC_PLAIN], count_plain);
	SSL_CTX_set_info_callback(ctx[RPC_RATLS], count_ratls);
	for (int v = 0; v < RPC_N; v++) {
		rpc_serve(r, v, ctx[v]);
		SSL_CTX_free(ctx[v]); /* the server holds a reference */
	}
	if (pthread_create(&r->thread, NULL, rpc_loop, r))
		die("pthread_create", CU_ENOMEM);
	rpc_client_make(r, RPC_PLAIN, ssl_setup_plain, (void *)(uintptr_t)p->plain_srv.sha256);
	rpc_client_make(r, RPC_RATLS, ssl_setup_ratls, vc);
}

static void rpc_stop(struct rpc_side *r)
{
	for (int v = 0; v < RPC_N; v++)
		rpc_client_free(r->cli[v]);
	event_base_loopexit(r->base, NULL);
	pthread_join(r->thread, NULL);
	for (int v = 0; v < RPC_N; v++) {
		rpc_server_free(r->srv[v]);
		free(r->lat[v]);
	}
	event_base_free(r->base);
}

static void rpc_report(struct rpc_side *r, struct tally t[RPC_N], int rounds, double secs)
{
	double base = rate(&t[RPC_PLAIN]), p50[RPC_N], p99[RPC_N], lo, hi;

	printf("== rpc calls/s: GET /v1/health over one keep-alive connection (rpc_client to "
	       "rpc_server), %d rounds of %.1f s\n",
	       rounds, secs);
	printf("%-12s %10s %10s %10s %9s %9s %12s %9s %13s\n", "variant", "per_s", "round_min",
	       "round_max", "p50_us", "p99_us", "cpu_us/call", "to_plain", "median_round");
	for (int v = 0; v < RPC_N; v++) {
		qsort(r->lat[v], r->nlat[v], sizeof(double), cmp_double);
		p50[v] = 1e6 * quantile(r->lat[v], r->nlat[v], 0.50);
		p99[v] = 1e6 * quantile(r->lat[v], r->nlat[v], 0.99);
		range(&t[v], rounds, &lo, &hi);
		printf("%-12s %10.1f %10.1f %10.1f %9.1f %9.1f %12.1f %9.3f %13.3f\n", rpc_name[v],
		       rate(&t[v]), lo, hi, p50[v], p99[v], cpu_us(&t[v]),
		       base > 0 ? rate(&t[v]) / base : 0,
		       median_ratio(&t[v], &t[RPC_PLAIN], rounds));
	}
	for (int v = 0; v < RPC_N; v++)
		printf("rpc_%s_per_s %.1f\nrpc_%s_p50_us %.1f\nrpc_%s_p99_us %.1f\n"
		       "rpc_%s_cpu_us %.1f\nrpc_%s_handshakes %ld\n",
		       rpc_name[v], rate(&t[v]), rpc_name[v], p50[v], rpc_name[v], p99[v],
		       rpc_name[v], cpu_us(&t[v]), rpc_name[v], atomic_load(&rpc_handshakes[v]));
	printf("rpc_ratio_ratls_to_plain %.3f\nrpc_median_round_ratio_ratls_to_plain %.3f\n",
	       rate(&t[RPC_RATLS]) / base, median_ratio(&t[RPC_RATLS], &t[RPC_PLAIN], rounds));
}

static void rpc_bench(const struct peers *p, double secs, int rounds)
{
	struct rpc_side r;
	struct tally t[RPC_N];
	struct ratls_verifier *vc;

	memset(t, 0, sizeof(t));
	verifier_new(&p->sim, RATLS_CACHE_DEFAULT, &vc);
	rpc_start(p, &r, vc);
	for (int v = 0; v < RPC_N; v++) /* warm-up: the connection's handshake */
		(void)rpc_once(r.cli[v]);
	for (int i = 0; i < rounds; i++)
		for (int k = 0, v; k < RPC_N; k++) {
			v = (i + k) % RPC_N;
			rpc_round(&r, v, secs, &t[v], i);
		}
	rpc_report(&r, t, rounds, secs);
	rpc_stop(&r);
	ratls_verifier_free(vc);
}

int main(int argc, char **argv)
{
	struct peers p;
	double secs;
	int64_t now;
	int rounds;

	if (argc != 3 || (secs = strtod(argv[1], NULL)) <= 0 ||
	    (rounds = (int)strtol(argv[2], NULL, 10)) < 1 || rounds > ROUNDS_MAX) {
		fprintf(stderr, "usage: %s SECONDS_PER_VARIANT_AND_ROUND ROUNDS(1..%d)\n", argv[0],
		        ROUNDS_MAX);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN); /* as the daemons do: see src/rpc/server.c */
	if (evthread_use_pthreads())
		die("evthread_use_pthreads", CU_ENOMEM);
	now = cu_time_now();
	sim_make(&p.sim, now);
	ident_plain(now, &p.plain_srv);
	ident_plain(now, &p.plain_cli);
	ident_ratls(&p.sim, now, &p.ratls_srv);
	ident_ratls(&p.sim, now, &p.ratls_cli);
	printf("certificate_der_bytes plain %d ratls %d\n", i2d_X509(p.plain_srv.cert, NULL),
	       i2d_X509(p.ratls_srv.cert, NULL));
	hs_bench(&p, secs, rounds);
	rpc_bench(&p, secs, rounds);
	ident_free(&p.plain_srv);
	ident_free(&p.plain_cli);
	ident_free(&p.ratls_srv);
	ident_free(&p.ratls_cli);
	sim_free(&p.sim);
	return 0;
}

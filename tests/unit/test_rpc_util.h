/*
 * test_rpc_util.h - what the rpc tests share: a self-signed P-256
 * certificate made at run time, a server whose event loop runs in its own
 * thread, a pinning verifier for the client, and raw TCP/TLS peers for
 * what the client library would never send. Include after cmocka.h.
 */
#ifndef CUSTOS_TEST_RPC_UTIL_H
#define CUSTOS_TEST_RPC_UTIL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/err.h"
#include "rpc/rpc.h"

/* ---- certificates ---- */

struct tcert {
	EVP_PKEY *key;
	X509 *x509;
	unsigned char sha256[32];
};

static inline void tcert_make(struct tcert *c, const char *cn)
{
	X509_NAME *name;
	unsigned int n = 0;

	c->key = EVP_EC_gen("P-256");
	c->x509 = X509_new();
	assert_non_null(c->key);
	assert_non_null(c->x509);
	assert_int_equal(X509_set_version(c->x509, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(c->x509), 1), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(c->x509), -60));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(c->x509), 3600));
	name = X509_get_subject_name(c->x509);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                                            (const unsigned char *)cn, -1, -1, 0),
	                 1);
	assert_int_equal(X509_set_issuer_name(c->x509, name), 1);
	assert_int_equal(X509_set_pubkey(c->x509, c->key), 1);
	assert_true(X509_sign(c->x509, c->key, EVP_sha256()) > 0);
	assert_int_equal(X509_digest(c->x509, EVP_sha256(), c->sha256, &n), 1);
	assert_int_equal(n, 32);
}

static inline void tcert_free(struct tcert *c)
{
	X509_free(c->x509);
	EVP_PKEY_free(c->key);
}

/* Handshakes the server completed (all contexts of a test share it). */
static atomic_int g_handshakes;

static inline void count_handshake(const SSL *ssl, int where, int ret)
{
	(void)ssl;
	(void)ret;
	if (where & SSL_CB_HANDSHAKE_DONE)
		atomic_fetch_add(&g_handshakes, 1);
}

static inline SSL_CTX *server_ctx(const struct tcert *c)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION), 1);
	assert_int_equal(SSL_CTX_use_certificate(ctx, c->x509), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, c->key), 1);
	/* No tickets, so that one handshake is one HANDSHAKE_DONE. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	assert_int_equal(SSL_CTX_set_num_tickets(ctx, 0), 1);
	SSL_CTX_set_info_callback(ctx, count_handshake);
	return ctx;
}

/* ---- the client's verifier: pins certificates by SHA-256 ---- */

struct pin {
	unsigned char want[2][32];
	int nwant;
	int refuse_setup; /* ssl_setup returns non-zero */
	int no_verify;    /* ssl_setup forgets SSL_VERIFY_PEER */
	int setup_calls;  /* client thread only */
	int verify_calls; /* client thread only */
	unsigned char seen[32];
};

static int pin_index = -1;

static inline int pin_verify(int preverify, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct pin *p = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), pin_index);
	X509 *cert = X509_STORE_CTX_get_current_cert(store);
	unsigned int n = 0;

	(void)preverify; /* self-signed: the pin decides, not a CA */
	p->verify_calls++;
	if (X509_STORE_CTX_get_error_depth(store) != 0 || !cert ||
	    !X509_digest(cert, EVP_sha256(), p->seen, &n))
		return 0;
	for (int i = 0; i < p->nwant; i++)
		if (!memcmp(p->seen, p->want[i], 32)) {
			X509_STORE_CTX_set_error(store, X509_V_OK);
			return 1;
		}
	return 0;
}

static inline int pin_setup(void *arg, SSL_CTX *ctx)
{
	struct pin *p = arg;

	p->setup_calls++;
	if (p->refuse_setup)
		return -1;
	if (pin_index < 0)
		pin_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (pin_index < 0 || !SSL_CTX_set_ex_data(ctx, pin_index, p) ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION))
		return -1;
	SSL_CTX_set_verify(ctx, p->no_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, pin_verify);
	return 0;
}

/* ---- a server on its own thread ---- */

struct fx {
	struct event_base *base;
	pthread_t thread;
	int running;
	struct tcert cert;
	SSL_CTX *ctx;
	struct rpc_server *srv;
	char bound[RPC_ADDR_LEN];
	char url[128];
	int port;
	struct pin pin;
};

static inline void *fx_loop(void *arg)
{
	struct fx *f = arg;

	event_base_loop(f->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

/* Once per process: a base must be notifiable from the test thread. */
static inline void fx_global(void)
{
	signal(SIGPIPE, SIG_IGN); /* as daemons do: see server.c */
	assert_int_equal(evthread_use_pthreads(), 0);
}

static inline void fx_init(struct fx *f, const struct rpc_server_options *o)
{
	memset(f, 0, sizeof(*f));
	atomic_store(&g_handshakes, 0);
	f->base = event_base_new();
	assert_non_null(f->base);
	tcert_make(&f->cert, "rpc-test");
	f->ctx = server_ctx(&f->cert);
	assert_int_equal(rpc_server_new(f->base, f->ctx, o, &f->srv), 0);
	memcpy(f->pin.want[0], f->cert.sha256, 32);
	f->pin.nwant = 1;
}

static inline void fx_listen(struct fx *f)
{
	const char *colon;

	assert_int_equal(rpc_server_listen(f->srv, "127.0.0.1:0", f->bound, sizeof(f->bound)), 0);
	colon = strrchr(f->bound, ':');
	assert_non_null(colon);
	f->port = atoi(colon + 1);
	assert_true(f->port > 0);
	snprintf(f->url, sizeof(f->url), "https://%s", f->bound);
	assert_int_equal(pthread_create(&f->thread, NULL, fx_loop, f), 0);
	f->running = 1;
}

/* Stop the loop; the server stays (for tests that free it themselves). */
static inline void fx_halt(struct fx *f)
{
	if (!f->running)
		return;
	/* loopexit, not loopbreak: it holds even if the loop has not started yet. */
	assert_int_equal(event_base_loopexit(f->base, NULL), 0);
	assert_int_equal(pthread_join(f->thread, NULL), 0);
	f->running = 0;
}

static inline void fx_done(struct fx *f)
{
	fx_halt(f);
	rpc_server_free(f->srv);
	event_base_free(f->base);
	SSL_CTX_free(f->ctx);
	tcert_free(&f->cert);
}

static inline struct rpc_client *fx_client(struct fx *f, long timeout_ms, size_t max_response)
{
	struct rpc_client_options o = {
	    .base_url = f->url,
	    .ssl_setup = pin_setup,
	    .ssl_arg = &f->pin,
	    .timeout_ms = timeout_ms,
	    .connect_timeout_ms = 2000,
	    .max_response = max_response,
	};
	struct rpc_client *c = NULL;

	assert_int_equal(rpc_client_new(&o, &c), 0);
	assert_non_null(c);
	return c;
}

/* ---- raw peers ---- */

/* A TCP connection to 127.0.0.1:port whose reads give up after 5 s. */
static inline int tcp_connect(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timeval tv = {.tv_sec = 5};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Send req (len bytes) over TLS, without verification, and read the reply
 * until the server closes; the caller frees it. For bytes rpc_call would
 * never send (malformed JSON, raw headers).
 */
static inline char *tls_exchange(int port, const char *req, size_t len)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;
	size_t cap = 65536, got = 0;
	char *out = calloc(1, cap + 1);
	int fd = tcp_connect(port), n;

	assert_non_null(ctx);
	assert_non_null(out);
	ssl = SSL_new(ctx);
	assert_non_null(ssl);
	assert_int_equal(SSL_set_fd(ssl, fd), 1);
	assert_int_equal(SSL_connect(ssl), 1);
	assert_int_equal(SSL_write(ssl, req, (int)len), (int)len);
	while (got < cap && (n = SSL_read(ssl, out + got, (int)(cap - got))) > 0)
		got += (size_t)n;
	out[got] = '\0';
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return out;
}

#endif

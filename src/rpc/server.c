/*
 * server.c - an evhttp server whose every connection is a TLS session of
 * the server's current SSL_CTX.
 *
 * The process must ignore SIGPIPE (daemons do): OpenSSL writes to the
 * socket with write(2), which raises it when the peer has gone.
 */
#include <stdlib.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>

#include "common/err.h"
#include "rpc/server_int.h"

/*
 * evhttp asks for a bufferevent per accepted connection. On failure we
 * return NULL and evhttp falls back to a plain socket: rpc_dispatch()
 * refuses every request that did not come over TLS.
 */
static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
	struct rpc_server *s = arg;
	SSL *ssl = SSL_new(s->ssl_ctx);

	if (!ssl)
		return NULL;
	/* Frees ssl itself on failure (BEV_OPT_CLOSE_ON_FREE). */
	return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
	                                      BEV_OPT_CLOSE_ON_FREE);
}

static int check_options(const struct rpc_server_options *o, size_t *body, size_t *headers,
                         int *timeout)
{
	*body = o && o->max_body ? o->max_body : RPC_BODY_MAX_DEFAULT;
	*headers = o && o->max_headers ? o->max_headers : RPC_HEADERS_MAX_DEFAULT;
	*timeout = o && o->timeout_s ? o->timeout_s : RPC_TIMEOUT_DEFAULT_S;
	/* evhttp takes ev_ssize_t sizes; a negative one would mean "no limit". */
	if (*body > (size_t)EV_SSIZE_MAX || *headers > (size_t)EV_SSIZE_MAX || *timeout < 0)
		return CU_EINVAL;
	return 0;
}

static int configure(struct rpc_server *s, size_t body, size_t headers, int timeout)
{
	ev_uint16_t all = EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
	                  EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	                  EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH;

	evhttp_set_bevcb(s->http, make_bev, s);
	evhttp_set_gencb(s->http, rpc_dispatch, s);
	evhttp_set_max_body_size(s->http, (ev_ssize_t)body);
	evhttp_set_max_headers_size(s->http, (ev_ssize_t)headers);
	evhttp_set_timeout(s->http, timeout);
	/* Every method reaches rpc_dispatch, which answers 405 in JSON. */
	evhttp_set_allowed_methods(s->http, all);
	evhttp_set_default_content_type(s->http, "application/json");
	/*
	 * Read (and drop) an oversized body before answering 413, so that a
	 * client still sending it reads the 413 rather than a reset.
	 */
	return evhttp_set_flags(s->http, EVHTTP_SERVER_LINGERING_CLOSE) ? CU_EINVAL : 0;
}

int rpc_server_new(struct event_base *base, SSL_CTX *ssl_ctx,
                   const struct rpc_server_options *options, struct rpc_server **out)
{
	struct rpc_server *s = NULL;
	size_t body, headers;
	int timeout, rc;

	*out = NULL;
	if (!base || !ssl_ctx)
		return CU_EINVAL;
	if ((rc = check_options(options, &body, &headers, &timeout)))
		return rc;
	if (!(s = calloc(1, sizeof(*s))))
		return CU_ENOMEM;
	s->base = base;
	s->max_body = body;
	if (!(s->http = evhttp_new(base))) {
		rc = CU_ENOMEM;
		goto out;
	}
	if ((rc = configure(s, body, headers, timeout)))
		goto out;
	if (!SSL_CTX_up_ref(ssl_ctx)) {
		rc = CU_ECRYPTO;
		goto out;
	}
	s->ssl_ctx = ssl_ctx;
	*out = s;
	s = NULL;
out:
	rpc_server_free(s);
	return rc;
}

void rpc_server_set_ssl_ctx(struct rpc_server *s, SSL_CTX *ssl_ctx)
{
	/* Each SSL holds its own reference: live sessions keep the old context. */
	if (!s || !ssl_ctx || !SSL_CTX_up_ref(ssl_ctx))
		return;
	SSL_CTX_free(s->ssl_ctx);
	s->ssl_ctx = ssl_ctx;
}

void rpc_server_free(struct rpc_server *s)
{
	if (!s)
		return;
	/* Closes every connection; their close callbacks detach pending requests. */
	if (s->http)
		evhttp_free(s->http);
	rpc_detach_all(s);
	rpc_routes_free(s);
	SSL_CTX_free(s->ssl_ctx);
	free(s);
}

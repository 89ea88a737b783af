/*
 * dispatch.c - from a complete request to a handler, and what happens to
 * a handler's request when its connection goes away.
 *
 * Lifetime: libevent owns its evhttp_request and frees it with the
 * connection. While a handler holds a request (a deferred reply), evhttp
 * does not read from that connection, so only rpc_server_free() (or an
 * error while writing) can close it. The connection's close callback runs
 * before libevent frees its requests: it detaches ours (ev = NULL), so a
 * late reply is dropped and nothing touches freed memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>

#include "common/err.h"
#include "common/mem.h"
#include "rpc/server_int.h"

static const char plain_body[] =
    "{\"error\":{\"code\":\"tls_required\",\"message\":\"the connection is not TLS\"}}";
static const char internal_body[] =
    "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";

static void detach(struct rpc_request *r)
{
	/*
	 * evhttp unlinks a request from a connection that failed while the
	 * handler held it (and sets its connection to NULL); then it is ours
	 * to free. Otherwise evhttp frees it right after this callback.
	 */
	if (r->ev && !evhttp_request_get_connection(r->ev))
		evhttp_request_free(r->ev);
	r->ev = NULL;
	r->evcon = NULL;
	r->server = NULL;
	r->prev = r->next = NULL;
}

void rpc_pending_unlink(struct rpc_request *req)
{
	struct rpc_server *s = req->server;

	if (!s)
		return;
	if (req->prev)
		req->prev->next = req->next;
	else
		s->pending = req->next;
	if (req->next)
		req->next->prev = req->prev;
	req->prev = req->next = NULL;
	req->server = NULL;
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
	struct rpc_server *s = arg;
	struct rpc_request *r = s->pending, *next;

	for (; r; r = next) {
		next = r->next;
		if (r->evcon != evcon)
			continue;
		rpc_pending_unlink(r);
		detach(r);
	}
}

void rpc_detach_all(struct rpc_server *s)
{
	struct rpc_request *r, *next;

	/*
	 * Called after evhttp_free(): the close callbacks have detached every
	 * request already, and libevent's requests are gone; never touch ev.
	 */
	for (r = s->pending; r; r = next) {
		next = r->next;
		r->ev = NULL;
		r->evcon = NULL;
		r->server = NULL;
		r->prev = r->next = NULL;
	}
	s->pending = NULL;
}

/* 1 when the request came over TLS (a failed SSL_new would leave evhttp a plain socket). */
static int over_tls(struct evhttp_request *ev)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;

	return bev && bufferevent_openssl_get_ssl(bev);
}

static void no_route(struct rpc_request *req, int path_known, const char *allow)
{
	if (path_known) {
		evhttp_add_header(evhttp_request_get_output_headers(req->ev), "Allow", allow);
		rpc_reply_error(req, 405, "method_not_allowed", "%s does not take %s", req->path,
		                req->method);
	} else {
		rpc_reply_error(req, 404, "not_found", "no route for %s %s", req->method,
		                req->path);
	}
}

void rpc_dispatch(struct evhttp_request *ev, void *arg)
{
	struct rpc_server *s = arg;
	const struct rpc_route *route;
	struct rpc_request *req;
	char allow[64];
	int rc, path_known;

	if (!over_tls(ev)) {
		evhttp_add_header(evhttp_request_get_output_headers(ev), "Connection", "close");
		rpc_reply_ev_error(ev, 400, plain_body);
		return;
	}
	if (!(req = calloc(1, sizeof(*req)))) {
		rpc_reply_ev_error(ev, 500, internal_body);
		return;
	}
	req->max_body = s->max_body;
	if ((rc = rpc_request_fill(req, ev))) {
		if (rc == CU_ENOMEM)
			rpc_reply_raw(req, 500, "application/json", internal_body,
			              strlen(internal_body));
		else
			rpc_reply_error(req, 400, "bad_request", "malformed request (%s)",
			                cu_strerror(rc));
		return;
	}
	route = rpc_route_find(s, req->method, req->path, &req->param, &path_known, allow,
	                       sizeof(allow));
	if (!route) {
		no_route(req, path_known, allow);
		return;
	}
	if (route->wildcard && !req->param) {
		rpc_reply_raw(req, 500, "application/json", internal_body, strlen(internal_body));
		return;
	}
	req->server = s;
	req->next = s->pending;
	if (s->pending)
		s->pending->prev = req;
	s->pending = req;
	evhttp_connection_set_closecb(req->evcon, on_close, s);
	route->fn(route->arg, req);
}

/*
 * server_int.h - what the server's files share: the server, a route, and
 * the request a handler holds. Not installed; only src/rpc includes it.
 */
#ifndef CUSTOS_RPC_SERVER_INT_H
#define CUSTOS_RPC_SERVER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rpc/rpc.h"

struct evhttp;
struct evhttp_connection;
struct evhttp_request;

#define RPC_ROUTES_MAX       256 /* routes of one server */
#define RPC_ROUTE_PATH_MAX   256 /* bytes of a route's path */
#define RPC_METHOD_LEN       8   /* "DELETE" and a NUL fit */
#define RPC_QUERY_PARAMS_MAX 64  /* query pairs of one request */

struct rpc_route {
	char method[RPC_METHOD_LEN];
	char *path;   /* as routed, star segment and all */
	int wildcard; /* the route has a star segment */
	rpc_handler_fn fn;
	void *arg;
};

struct rpc_server {
	struct event_base *base;
	struct evhttp *http;
	SSL_CTX *ssl_ctx; /* our reference; new connections use it */
	struct rpc_route *routes;
	size_t nroutes;
	size_t max_body;
	int listening; /* routes are fixed once set */
	/* Requests handed to a handler and not yet replied to. */
	struct rpc_request *pending;
};

struct rpc_kv {
	char *key;
	char *value;
};

/*
 * Everything a handler reads is copied out of libevent's request when it
 * arrives, so that it outlives the connection (see dispatch.c).
 */
struct rpc_request {
	struct rpc_server *server;       /* NULL once detached */
	struct evhttp_request *ev;       /* NULL once the connection has closed */
	struct evhttp_connection *evcon; /* the connection ev arrived on */
	struct rpc_request *prev, *next; /* in server->pending */
	char method[RPC_METHOD_LEN];
	char *path;  /* decoded */
	char *param; /* the star segment (malloc'd), or NULL */
	char *query; /* raw, or NULL */
	struct rpc_kv *params;
	size_t nparams;
	int query_state; /* 0: not parsed yet, 1: parsed, -1: malformed */
	struct rpc_kv *headers;
	size_t nheaders;
	uint8_t *body; /* NUL-terminated */
	size_t body_len;
	size_t max_body;
	char peer[RPC_ADDR_LEN];
};

/* route.c */
int rpc_route_check(const char *method, const char *path);
/*
 * The handler for method and the decoded path, or NULL. *param gets the
 * wildcard segment (malloc'd; left NULL for a wildcard route when the copy
 * fails: the caller checks). *path_known is 1 when some route matches
 * the path with another method (405 rather than 404); allow (when not
 * NULL) receives the methods that would match, comma-separated.
 */
const struct rpc_route *rpc_route_find(const struct rpc_server *s, const char *method,
                                       const char *path, char **param, int *path_known, char *allow,
                                       size_t allowsz);
void rpc_routes_free(struct rpc_server *s);

/* dispatch.c: evhttp's callback for every complete request. */
void rpc_dispatch(struct evhttp_request *ev, void *arg);
/* Take req off its server's pending list (a no-op when it is on none). */
void rpc_pending_unlink(struct rpc_request *req);
/* Forget every pending request, after evhttp_free() (the server goes away). */
void rpc_detach_all(struct rpc_server *s);

/* request.c */
int rpc_request_fill(struct rpc_request *req, struct evhttp_request *ev);
void rpc_request_free(struct rpc_request *req);

/* reply.c: a JSON error straight on libevent's request, for when we have no rpc_request. */
void rpc_reply_ev_error(struct evhttp_request *ev, int status, const char *body_json);

#endif

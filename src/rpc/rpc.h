/*
 * rpc.h - HTTP/1.1 with JSON bodies over TLS: the server (libevent evhttp
 * with bufferevent_openssl) and the client (libcurl).
 *
 * The module knows nothing of attestation. Its callers hand it an SSL_CTX
 * (server) or a hook that configures curl's SSL_CTX (client); src/ratls
 * makes those contexts verify RA-TLS certificates. A handler that needs to
 * know who is on the other end asks rpc_request_ssl() for the connection's
 * SSL and reads what the verifier attached to it.
 *
 * Errors are JSON, as DESIGN.md section 6 says:
 *   {"error": {"code": "not_found", "message": "no route for GET /v2/x"}}
 * The server produces them itself for what never reaches a handler (no
 * route: 404 not_found; a method the route does not take: 405
 * method_not_allowed; a path that decodes to a NUL: 400 bad_request; a
 * body that is not one JSON value for a handler that asked for one: 400
 * bad_json). What evhttp refuses while reading a request gets evhttp's own
 * status and HTML body, as libevent 2.1 has no hook for it: a body over
 * the limit, 413; a malformed request or headers over the limit, 400.
 *
 * Threads: a server runs on the event_base its caller gives and is used
 * from that base's thread only. A client is used by one thread at a time.
 * The process ignores SIGPIPE (daemons do): a server writing to a peer
 * that has gone would otherwise be killed.
 */
#ifndef CUSTOS_RPC_RPC_H
#define CUSTOS_RPC_RPC_H

#include <jansson.h>
#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

#define RPC_BODY_MAX_DEFAULT    (1u << 20) /* request and response bodies */
#define RPC_HEADERS_MAX_DEFAULT (16 * 1024)
#define RPC_TIMEOUT_DEFAULT_S   30 /* idle/read/write timeout of a connection */
#define RPC_REASON_LEN          256
#define RPC_ADDR_LEN            64 /* "[ipv6]:port" */

/* ---- server ---- */

struct rpc_server;
struct rpc_request;

struct rpc_server_options {
	size_t max_body;    /* bytes of a request body; 0: RPC_BODY_MAX_DEFAULT */
	size_t max_headers; /* bytes of the request line and headers; 0: default */
	int timeout_s;      /* per connection; 0: RPC_TIMEOUT_DEFAULT_S */
};

/*
 * A handler owns req until it replies: exactly one rpc_reply_*() call, now
 * or later from the same event loop (a deferred reply, e.g. a long poll).
 * If the connection closes first, req stays valid until the reply, which is
 * then dropped.
 */
typedef void (*rpc_handler_fn)(void *arg, struct rpc_request *req);

/*
 * A new server on base that wraps every accepted connection in a TLS
 * session of ssl_ctx (borrowed: the server takes a reference with
 * SSL_CTX_up_ref). options may be NULL for the defaults.
 */
int rpc_server_new(struct event_base *base, SSL_CTX *ssl_ctx,
                   const struct rpc_server_options *options, struct rpc_server **out)
    __attribute__((warn_unused_result));

/*
 * Use ssl_ctx for connections accepted from now on (certificate renewal);
 * established connections keep theirs. Takes a reference, drops the old one.
 */
void rpc_server_set_ssl_ctx(struct rpc_server *s, SSL_CTX *ssl_ctx);

// Route method ("GET", "POST", "PUT", "DELETE") and path to fn. path is
// exact ("/v1/health") or has one segment that is "*", which matches any
// one non-empty segment but "." and ".." ("/v1/tasks/*" takes
// "/v1/tasks/abc", not "/v1/tasks/abc/def"; "/v1/tasks/*/approve" takes
// "/v1/tasks/abc/approve"); the segment is rpc_request_param(). An exact
// route wins over a wildcard one. CU_EEXISTS for a duplicate route,
// CU_EINVAL for a malformed one. Routes are fixed before rpc_server_listen.
// (Line comments: "/*" inside a block comment trips -Wcomment.)
int rpc_server_route(struct rpc_server *s, const char *method, const char *path, rpc_handler_fn fn,
                     void *arg);

/*
 * Listen on "HOST:PORT" ("[::1]:PORT" for IPv6; PORT 0 picks a free one).
 * bound (may be NULL) receives the address actually bound, "HOST:PORT".
 * CU_EIO with the system's reason when the address cannot be bound.
 */
int rpc_server_listen(struct rpc_server *s, const char *host_port, char *bound, size_t boundsz)
    __attribute__((warn_unused_result));

/* Stop listening and close every connection; NULL is fine. */
void rpc_server_free(struct rpc_server *s);

/* Request accessors. Strings live as long as req. */
const char *rpc_request_method(const struct rpc_request *req);
const char *rpc_request_path(const struct rpc_request *req);  /* decoded, no query */
const char *rpc_request_param(const struct rpc_request *req); /* the "*" segment, or NULL */
/* A query parameter, percent-decoded, or NULL when absent. */
const char *rpc_request_query(struct rpc_request *req, const char *name);
/* A request header, or NULL. */
const char *rpc_request_header(const struct rpc_request *req, const char *name);
/* The body (may be empty; body[len] is a NUL byte, not counted). */
const uint8_t *rpc_request_body(const struct rpc_request *req, size_t *len);
/*
 * The body as one JSON value (cu_json_parse: size, depth, duplicate keys).
 * On failure the server has replied 400 bad_json: the handler returns.
 * *out is the caller's (json_decref).
 */
int rpc_request_json(struct rpc_request *req, json_t **out) __attribute__((warn_unused_result));
/* The TLS session of the connection, or NULL if it has closed. */
SSL *rpc_request_ssl(const struct rpc_request *req);
/* "HOST:PORT" of the peer. */
const char *rpc_request_peer(const struct rpc_request *req);

/* Reply with status and body (stolen; NULL for an empty object). */
void rpc_reply_json(struct rpc_request *req, int status, json_t *body);
/* Reply with the error object; code is a stable machine word ("not_found"). */
void rpc_reply_error(struct rpc_request *req, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Reply with raw bytes of content_type (copied). */
void rpc_reply_raw(struct rpc_request *req, int status, const char *content_type, const void *data,
                   size_t len);

/* ---- client ---- */

struct rpc_client;

/*
 * Called for each SSL_CTX curl makes, after curl's own settings: install
 * the verification (and a client certificate) here. curl's own CA and
 * host checks are off (an attested peer has no CA), so ssl_setup sets
 * SSL_VERIFY_PEER with its verify callback; a context left without
 * SSL_VERIFY_PEER is refused (CU_ETLS). Returns 0 to go on; anything else
 * aborts the connection before a byte of request is sent.
 */
typedef int (*rpc_ssl_setup_fn)(void *arg, SSL_CTX *ctx);

struct rpc_client_options {
	const char *base_url; /* "https://HOST:PORT"; paths are appended */
	rpc_ssl_setup_fn ssl_setup;
	void *ssl_arg;
	long timeout_ms;         /* whole call; 0: RPC_TIMEOUT_DEFAULT_S seconds */
	long connect_timeout_ms; /* 0: 10 s */
	size_t max_response;     /* bytes; 0: RPC_BODY_MAX_DEFAULT */
};

/*
 * A client holding one keep-alive connection (re-made when it drops). The
 * options' strings are copied. TLS session resumption is off, so that every
 * new connection is verified in full by ssl_setup's verifier. A client with
 * no ssl_setup is refused (CU_EINVAL): nothing goes out unverified.
 */
int rpc_client_new(const struct rpc_client_options *options, struct rpc_client **out)
    __attribute__((warn_unused_result));
void rpc_client_free(struct rpc_client *c);

/* Send "Authorization: Bearer TOKEN" with every call from now on (NULL: none). */
int rpc_client_set_token(struct rpc_client *c, const char *token);

/*
 * One call: method and path (with any query, already encoded), body sent
 * as JSON when not NULL (borrowed). On a reply, *status gets the HTTP
 * status and *response the parsed JSON body (NULL when empty; the caller's).
 * Returns 0 when a reply came, whatever its status. Otherwise:
 *   CU_ETLS    the TLS handshake failed, notably when the server was not
 *              verified (reason says why, from the verifier when it spoke)
 *   CU_EIO     connection refused, reset, or timed out
 *   CU_ELIMIT  the response exceeds max_response
 *   CU_EFORMAT the response body is not JSON (an error status, >= 400,
 *              with a body that is not JSON, such as evhttp's own 413,
 *              is a reply: 0 with *response NULL)
 */
int rpc_call(struct rpc_client *c, const char *method, const char *path, const json_t *body,
             long *status, json_t **response, char *reason, size_t reasonsz)
    __attribute__((warn_unused_result));

/*
 * For an error reply: "CODE: MESSAGE" from {"error": {...}}, or "HTTP
 * STATUS" when the body has no error object. Writes into buf.
 */
const char *rpc_error_text(long status, const json_t *response, char *buf, size_t bufsz);

#endif

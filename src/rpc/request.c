/*
 * request.c - a request as a handler sees it: copied out of libevent's
 * request on arrival (so it outlives the connection), and its accessors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "rpc/server_int.h"

static const char *method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	case EVHTTP_REQ_OPTIONS:
		return "OPTIONS";
	default:
		return "OTHER";
	}
}

/* The decoded path; CU_EFORMAT when it is not absolute or decodes to a NUL. */
static int fill_path(struct rpc_request *req, const struct evhttp_uri *uri)
{
	const char *raw = evhttp_uri_get_path(uri);
	const char *query = evhttp_uri_get_query(uri);
	size_t n = 0;

	if (!raw || !*raw)
		raw = "/";
	if (raw[0] != '/')
		return CU_EFORMAT;
	if (!(req->path = evhttp_uridecode(raw, 0, &n)))
		return CU_ENOMEM;
	if (strlen(req->path) != n)
		return CU_EFORMAT;
	if (query && !(req->query = cu_strdup(query)))
		return CU_ENOMEM;
	return 0;
}

/* Copy the headers into one block, so that they live as long as req. */
static int fill_headers(struct rpc_request *req, const struct evkeyvalq *h)
{
	const struct evkeyval *kv;
	size_t n = 0, bytes = 0;
	char *p;

	for (kv = h->tqh_first; kv; kv = kv->next.tqe_next) {
		n++;
		bytes += strlen(kv->key) + strlen(kv->value) + 2;
	}
	if (!n)
		return 0;
	/* evhttp bounded the headers by max_headers: no overflow here. */
	if (!(req->headers = malloc(n * sizeof(*req->headers) + bytes)))
		return CU_ENOMEM;
	p = (char *)(req->headers + n);
	for (kv = h->tqh_first; kv; kv = kv->next.tqe_next) {
		struct rpc_kv *out = &req->headers[req->nheaders++];
		size_t kl = strlen(kv->key) + 1, vl = strlen(kv->value) + 1;
		out->key = memcpy(p, kv->key, kl);
		out->value = memcpy(p + kl, kv->value, vl);
		p += kl + vl;
	}
	return 0;
}

static int fill_body(struct rpc_request *req, struct evbuffer *in)
{
	size_t len = evbuffer_get_length(in);

	if (len > req->max_body)
		return CU_ELIMIT; /* evhttp enforces it; this is a second check */
	if (!(req->body = malloc(len + 1)))
		return CU_ENOMEM;
	if (len && evbuffer_copyout(in, req->body, len) != (ev_ssize_t)len)
		return CU_EIO;
	req->body[len] = '\0';
	req->body_len = len;
	return 0;
}

static void fill_peer(struct rpc_request *req, struct evhttp_connection *evcon)
{
	char *host = NULL;
	ev_uint16_t port = 0;

	evhttp_connection_get_peer(evcon, &host, &port);
	if (!host)
		snprintf(req->peer, sizeof(req->peer), "?");
	else if (strchr(host, ':'))
		snprintf(req->peer, sizeof(req->peer), "[%s]:%u", host, (unsigned)port);
	else
		snprintf(req->peer, sizeof(req->peer), "%s:%u", host, (unsigned)port);
}

int rpc_request_fill(struct rpc_request *req, struct evhttp_request *ev)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
	const char *m = method_name(evhttp_request_get_command(ev));
	int rc;

	req->ev = ev;
	req->evcon = evhttp_request_get_connection(ev);
	memcpy(req->method, m, strlen(m) + 1);
	if (!uri)
		return CU_EFORMAT;
	fill_peer(req, req->evcon);
	if ((rc = fill_path(req, uri)) ||
	    (rc = fill_headers(req, evhttp_request_get_input_headers(ev))))
		return rc;
	return fill_body(req, evhttp_request_get_input_buffer(ev));
}

static void params_free(struct rpc_request *req)
{
	for (size_t i = 0; i < req->nparams; i++) {
		free(req->params[i].key);
		free(req->params[i].value);
	}
	free(req->params);
	req->params = NULL;
	req->nparams = 0;
}

void rpc_request_free(struct rpc_request *req)
{
	if (!req)
		return;
	params_free(req);
	free(req->path);
	free(req->param);
	free(req->query);
	free(req->headers);
	cu_free_secret(req->body, req->body_len); /* passwords, keys */
	free(req);
}

/* A decoded component ('+' is a space) without embedded NULs, or NULL. */
static char *decode(const char *s)
{
	size_t n = 0;
	char *d = evhttp_uridecode(s, 1, &n);

	if (d && strlen(d) != n) {
		free(d);
		d = NULL;
	}
	return d;
}

/* Split the query into decoded pairs; a pair without '=' has the value "". */
static int parse_query(struct rpc_request *req)
{
	char *copy, *save = NULL, *pair;
	int rc = 0;

	if (!req->query)
		return 0;
	if (!(copy = cu_strdup(req->query)) ||
	    !(req->params = calloc(RPC_QUERY_PARAMS_MAX, sizeof(*req->params)))) {
		free(copy);
		return CU_ENOMEM;
	}
	for (pair = strtok_r(copy, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(pair, '=');
		struct rpc_kv *kv;
		if (req->nparams == RPC_QUERY_PARAMS_MAX) {
			rc = CU_ELIMIT;
			break;
		}
		if (eq)
			*eq = '\0';
		kv = &req->params[req->nparams];
		kv->key = decode(pair);
		kv->value = decode(eq ? eq + 1 : "");
		req->nparams++;
		if (!kv->key || !kv->value) {
			rc = CU_EFORMAT;
			break;
		}
	}
	free(copy);
	if (rc)
		params_free(req);
	return rc;
}

const char *rpc_request_query(struct rpc_request *req, const char *name)
{
	if (!req || !name)
		return NULL;
	if (!req->query_state)
		req->query_state = parse_query(req) ? -1 : 1;
	for (size_t i = 0; req->query_state > 0 && i < req->nparams; i++)
		if (!strcmp(req->params[i].key, name))
			return req->params[i].value;
	return NULL;
}

const char *rpc_request_method(const struct rpc_request *req)
{
	return req->method;
}

const char *rpc_request_path(const struct rpc_request *req)
{
	return req->path;
}

const char *rpc_request_param(const struct rpc_request *req)
{
	return req->param;
}

const char *rpc_request_peer(const struct rpc_request *req)
{
	return req->peer;
}

const char *rpc_request_header(const struct rpc_request *req, const char *name)
{
	if (!req || !name)
		return NULL;
	for (size_t i = 0; i < req->nheaders; i++)
		if (!strcasecmp(req->headers[i].key, name))
			return req->headers[i].value;
	return NULL;
}

const uint8_t *rpc_request_body(const struct rpc_request *req, size_t *len)
{
	*len = req->body_len;
	return req->body;
}

int rpc_request_json(struct rpc_request *req, json_t **out)
{
	int rc;

	*out = NULL;
	rc = cu_json_parse(req->body, req->body_len, req->max_body, out);
	if (rc) {
		rpc_reply_error(req, 400, "bad_json", "the body is not one JSON value (%s)",
		                cu_strerror(rc));
		return rc;
	}
	return 0;
}

SSL *rpc_request_ssl(const struct rpc_request *req)
{
	struct bufferevent *bev;

	if (!req || !req->ev || !req->evcon)
		return NULL;
	bev = evhttp_connection_get_bufferevent(req->evcon);
	return bev ? bufferevent_openssl_get_ssl(bev) : NULL;
}

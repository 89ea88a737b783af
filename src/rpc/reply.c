/*
 * reply.c - the one reply a handler makes, and the JSON error bodies.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "common/json.h"
#include "common/mem.h"
#include "rpc/server_int.h"

#define RPC_MESSAGE_MAX 256 /* bytes of an error message */

static const char oom_body[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";

/* Send on libevent's request; from here on libevent owns ev. */
static void send_ev(struct evhttp_request *ev, int status, const char *ctype, const void *data,
                    size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(ev);
	struct evbuffer *b = evbuffer_new();

	if (status < 100 || status > 599)
		status = 500;
	if (evhttp_add_header(h, "Content-Type", ctype) < 0)
		evhttp_add_header(h, "Content-Type", "application/octet-stream");
	/* Replies may carry secrets: no cache anywhere may keep them. */
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (b && len && evbuffer_add(b, data, len) < 0) {
		evbuffer_free(b);
		b = NULL;
	}
	if (!b) {
		evhttp_send_reply(ev, 500, NULL, NULL);
		return;
	}
	evhttp_send_reply(ev, status, NULL, b);
	evbuffer_free(b);
}

void rpc_reply_ev_error(struct evhttp_request *ev, int status, const char *body_json)
{
	send_ev(ev, status, "application/json", body_json, strlen(body_json));
}

/*
 * Take req off the server's pending list (before libevent can call back
 * into dispatch.c about its connection) and return libevent's request, or
 * NULL when the connection has gone.
 */
static struct evhttp_request *release(struct rpc_request *req)
{
	struct evhttp_request *ev = req->ev;

	rpc_pending_unlink(req);
	req->ev = NULL;
	return ev;
}

void rpc_reply_raw(struct rpc_request *req, int status, const char *content_type, const void *data,
                   size_t len)
{
	struct evhttp_request *ev;

	if (!req)
		return;
	ev = release(req);
	if (ev)
		send_ev(ev, status, content_type ? content_type : "application/octet-stream", data,
		        len);
	rpc_request_free(req);
}

void rpc_reply_json(struct rpc_request *req, int status, json_t *body)
{
	char *text = NULL;

	if (!body)
		body = json_object();
	if (!body || cu_json_dump(body, JSON_COMPACT, &text))
		rpc_reply_raw(req, 500, "application/json", oom_body, strlen(oom_body));
	else
		rpc_reply_raw(req, status, "application/json", text, strlen(text));
	/* A reply may carry a token or a password: no copy of ours outlives it. */
	if (text)
		cu_free_secret(text, strlen(text));
	cu_json_free_secret(body);
}

/* Keep printable ASCII only: messages quote paths and must stay valid JSON strings. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

void rpc_reply_error(struct rpc_request *req, int status, const char *code, const char *fmt, ...)
{
	char msg[RPC_MESSAGE_MAX], word[64];
	json_t *err, *body = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(word, sizeof(word), "%s", code ? code : "error");
	printable(msg);
	printable(word);
	err = json_pack("{s:s, s:s}", "code", word, "message", msg);
	if (err)
		body = json_pack("{s:o}", "error", err);
	if (!body) {
		rpc_reply_raw(req, 500, "application/json", oom_body, strlen(oom_body));
		return;
	}
	rpc_reply_json(req, status, body);
}

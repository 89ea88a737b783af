/*
 * test_rpc_server.c - the rpc server through its public API and a real
 * client: routes, JSON errors, limits, parameters, deferred replies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>

#include "test_rpc_util.h"

/* ---- handlers (they run on the server's thread) ---- */

/* Echo what the handler saw as JSON. */
static void h_echo(void *arg, struct rpc_request *req)
{
	json_t *body = NULL, *out;
	const char *param = rpc_request_param(req);
	const char *auth = rpc_request_header(req, "authorization");
	size_t len = 0;

	(void)arg;
	if (rpc_request_body(req, &len) && len && rpc_request_json(req, &body))
		return; /* replied 400 */
	out = json_pack("{s:s, s:s, s:s?, s:s?, s:s, s:o?}", "method", rpc_request_method(req),
	                "path", rpc_request_path(req), "param", param, "auth", auth, "peer",
	                rpc_request_peer(req), "body", body);
	/* No cmocka assertion off the test thread: a wrong reply fails the test. */
	if (!out || !rpc_request_ssl(req)) {
		json_decref(out);
		rpc_reply_error(req, 500, "test", "echo failed");
		return;
	}
	rpc_reply_json(req, 200, out);
}

static void h_query(void *arg, struct rpc_request *req)
{
	static const char *const names[] = {"name", "plus", "empty", "flag", "missing", "dup"};
	json_t *out = json_object();

	(void)arg;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = rpc_request_query(req, names[i]);
		json_object_set_new(out, names[i], v ? json_string(v) : json_null());
	}
	rpc_reply_json(req, 200, out);
}

static void h_special(void *arg, struct rpc_request *req)
{
	(void)arg;
	rpc_reply_json(req, 200, json_pack("{s:s}", "special", "yes"));
}

/* A route with a star segment in the middle: the segment, and the last one. */
static void h_action(void *arg, struct rpc_request *req)
{
	const char *path = rpc_request_path(req);

	(void)arg;
	rpc_reply_json(req, 200,
	               json_pack("{s:s, s:s}", "param", rpc_request_param(req), "special",
	                         strrchr(path, '/') + 1));
}

/* Must parse its body: a malformed one is answered 400 by the server. */
static void h_needs_json(void *arg, struct rpc_request *req)
{
	json_t *body;

	(void)arg;
	if (rpc_request_json(req, &body))
		return;
	rpc_reply_json(req, 201, body);
}

/* ---- deferred replies ---- */

struct deferred {
	struct event_base *base;
	int delay_ms; /* < 0: keep the request, the test replies */
	struct rpc_request *held;
	atomic_int calls;
};

static void reply_later(evutil_socket_t fd, short what, void *arg)
{
	struct rpc_request *req = arg;

	(void)fd;
	(void)what;
	rpc_reply_json(req, 200, json_pack("{s:b}", "deferred", 1));
}

static void h_deferred(void *arg, struct rpc_request *req)
{
	struct deferred *d = arg;
	struct timeval tv = {.tv_sec = d->delay_ms / 1000, .tv_usec = (d->delay_ms % 1000) * 1000};

	atomic_fetch_add(&d->calls, 1);
	if (d->delay_ms < 0) {
		d->held = req;
		return;
	}
	if (event_base_once(d->base, -1, EV_TIMEOUT, reply_later, req, &tv))
		rpc_reply_error(req, 500, "test", "event_base_once failed");
}

/* ---- tests ---- */

static int call(struct rpc_client *c, const char *method, const char *path, json_t *body,
                long *status, json_t **resp)
{
	char reason[RPC_REASON_LEN];
	int rc = rpc_call(c, method, path, body, status, resp, reason, sizeof(reason));

	if (rc)
		print_message("rpc_call %s %s: %s (%s)\n", method, path, cu_strerror(rc), reason);
	return rc;
}

static const char *str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	assert_non_null(s);
	return s;
}

struct route_case {
	const char *method, *path;
	int rc;
};

static void test_routes(void **state)
{
	static const struct route_case cases[] = {
	    {"GET", "/v1/health", 0},
	    {"GET", "/v1/health", CU_EEXISTS},
	    {"POST", "/v1/health", 0},
	    {"GET", "/v1/tasks/*", 0},
	    {"GET", "/v1/tasks/*", CU_EEXISTS},
	    {"GET", "/v1/tasks/x", 0},
	    {"GET", "/", 0},
	    {"GET", "/*", 0},
	    {"POST", "/v1/tasks/*/approve", 0},
	    {"POST", "/v1/tasks/*/approve", CU_EEXISTS},
	    {"POST", "/v1/tasks/*/*", CU_EINVAL},
	    {"POST", "/v1/tasks/*x/approve", CU_EINVAL},
	    {"POST", "/v1/*/x/", CU_EINVAL},
	    {"PATCH", "/v1/a", CU_EINVAL},
	    {"get", "/v1/a", CU_EINVAL},
	    {"GET", "v1/a", CU_EINVAL},
	    {"GET", "", CU_EINVAL},
	    {"GET", "/v1/a/", CU_EINVAL},
	    {"GET", "/v1//a", CU_EINVAL},
	    {"GET", "/v1/*/a", 0},
	    {"GET", "/v1/**/b", CU_EINVAL},
	    {"GET", "/v1/a*", CU_EINVAL},
	    {"GET", "/v1/a?b", CU_EINVAL},
	    {"GET", "/v1/a b", CU_EINVAL},
	    {"GET", "/v1/%61", CU_EINVAL},
	    {NULL, "/v1/a", CU_EINVAL},
	    {"GET", NULL, CU_EINVAL},
	};
	struct fx f;

	(void)state;
	fx_init(&f, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = rpc_server_route(f.srv, cases[i].method, cases[i].path, h_echo, NULL);
		if (rc != cases[i].rc)
			fail_msg("route %s %s: %d, expected %d", cases[i].method, cases[i].path, rc,
			         cases[i].rc);
	}
	assert_int_equal(rpc_server_route(f.srv, "GET", "/v1/b", NULL, NULL), CU_EINVAL);
	assert_int_equal(rpc_server_listen(f.srv, "127.0.0.1", NULL, 0), CU_EINVAL);
	assert_int_equal(rpc_server_listen(f.srv, "127.0.0.1:70000", NULL, 0), CU_EINVAL);
	assert_int_equal(rpc_server_listen(f.srv, "[::1:0", NULL, 0), CU_EINVAL);
	assert_int_equal(rpc_server_listen(f.srv, "::1:0", NULL, 0), CU_EINVAL);
	assert_int_equal(rpc_server_listen(f.srv, "192.0.2.1:0", NULL, 0), CU_EIO);
	fx_listen(&f);
	assert_int_equal(strncmp(f.bound, "127.0.0.1:", 10), 0);
	/* Routes are fixed once the server listens. */
	assert_int_equal(rpc_server_route(f.srv, "GET", "/v1/late", h_echo, NULL), CU_ESTATE);
	fx_done(&f);
}

static void test_json_round_trip(void **state)
{
	struct fx f;
	struct rpc_client *c;
	json_t *resp = NULL,
	       *body = json_pack("{s:i, s:s, s:[i,i]}", "a", 1, "s", "x\u00e9", "l", 2, 3);
	long status = 0;

	(void)state;
	fx_init(&f, NULL);
	assert_int_equal(rpc_server_route(f.srv, "POST", "/v1/echo", h_echo, NULL), 0);
	assert_int_equal(rpc_server_route(f.srv, "PUT", "/v1/echo", h_echo, NULL), 0);
	fx_listen(&f);
	c = fx_client(&f, 5000, 0);
	assert_int_equal(rpc_client_set_token(c, "tok.en-1"), 0);
	assert_int_equal(call(c, "POST", "/v1/echo", body, &status, &resp), 0);
	assert_int_equal(status, 200);
	assert_string_equal(str_of(resp, "method"), "POST");
	assert_string_equal(str_of(resp, "path"), "/v1/echo");
	assert_string_equal(str_of(resp, "auth"), "Bearer tok.en-1");
	assert_true(json_equal(json_object_get(resp, "body"), body));
	assert_int_equal(strncmp(str_of(resp, "peer"), "127.0.0.1:", 10), 0);
	assert_true(json_is_null(json_object_get(resp, "param")));
	json_decref(resp);

	/* PUT with the token removed. */
	assert_int_equal(rpc_client_set_token(c, NULL), 0);
	assert_int_equal(call(c, "PUT", "/v1/echo", body, &status, &resp), 0);
	assert_int_equal(status, 200);
	assert_string_equal(str_of(resp, "method"), "PUT");
	assert_true(json_is_null(json_object_get(resp, "auth")));
	json_decref(resp);
	json_decref(body);
	rpc_client_free(c);
	fx_done(&f);
}

static void test_content_type(void **state)
{
	static const char req[] = "GET /v1/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	struct fx f;
	char *out;

	(void)state;
	fx_init(&f, NULL);
	assert_int_equal(rpc_server_route(f.srv, "GET", "/v1/echo", h_echo, NULL), 0);
	fx_listen(&f);
	out = tls_exchange(f.port, req, strlen(req));
	assert_non_null(strstr(out, "HTTP/1.1 200"));
	assert_non_null(strstr(out, "Content-Type: application/json\r\n"));
	assert_non_null(strstr(out, "Cache-Control: no-store\r\n"));
	free(out);
	fx_done(&f);
}

static void test_keepalive(void **state)
{
	struct fx f;
	struct rpc_client *c;
	json_t *resp = NULL;
	long status = 0;
	char peer[RPC_ADDR_LEN];

	(void)state;
	fx_init(&f, NULL);
	assert_int_equal(rpc_server_route(f.srv, "GET", "/v1/echo", h_echo, NULL), 0);
	fx_listen(&f);
	c = fx_client(&f, 5000, 0);
	assert_int_equal(call(c, "GET", "/v1/echo", NULL, &status, &resp), 0);
	assert_int_equal(status, 200);
	snprintf(peer, sizeof(peer), "%s", str_of(resp, "peer"));
	json_decref(resp);
	assert_int_equal(call(c, "GET", "/v1/echo", NULL, &status, &resp), 0);
	assert_int_equal(status, 200);
	/* Same source port, one handshake, one verification: one connection. */
	assert_string_equal(str_of(resp, "peer"), peer);
	assert_int_equal(atomic_load(&g_handshakes), 1);
	assert_int_equal(f.pin.setup_calls, 1);
	json_decref(resp);
	rpc_client_free(c);
	fx_done(&f);
}

static void test_not_found_and_method(void **state)
{
	struct fx f;
	struct rpc_client *c;
	json_t *resp = NULL;
	long status = 0;
	char text[RPC_REASON_LEN];

	(void)state;
	fx_init(&f, NULL);
	assert_int_equal(rpc_server_route(f.srv, "POST", "/v1/echo", h_echo, NULL), 0);
	fx_listen(&f);
	c = fx_client(&f, 5000, 0);

	assert_int_equal(call(c, "GET", "/v2/x", NULL, &status, &resp), 0);
	assert_int_equal(status, 404);
	rpc_error_text(status, resp, text, sizeof(text));
	assert_string_equal(text, "not_found: no route for GET /v2/x");
	json_decref(resp);

	assert_int_equal(call(c, "DELETE", "/v1/echo", NULL, &status, &resp), 0);
	assert_int_equal(status, 405);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(resp, "error"), "code")),
	    "method_not_allowed");
	json_decref(resp);

	/* The connection survives error replies. */
	assert_int_equal(call(c, "POST", "/v1/echo", NULL, &status, &resp), 0);
	assert_int_equal(status, 200);
	assert_int_equal(atomic_load(&g_handshakes), 1);
	json_decref(resp);
	rpc_client_free(c);
	fx_done(&f);
}

/* A JSON string value of n bytes: {"s":"xxx..."} is n + 8 bytes. */
static json_t *body_of(size_t n)
{
	char *s = malloc(n + 1);
	json_t *j;

	assert_non_null(s);
	memset(s, 'x', n);
	s[n] = '\0';
	j = json_pack("{s:s}", "s", s);
	free(s);
	assert_non_null(j);
	return j;
}

static void test_body_limit(void **state)
{
	struct rpc_server_options o = {.max_body = 1024};
	struct fx f;
	struct rpc_client *c;
	json_t *resp = NULL, *body;
	long status = 0;

	(void)state;
	fx_init(&f, &o);
	assert_int_equal(rpc_server_route(f.srv, "POST", "/v1/echo", h_echo, NULL), 0);
	fx_listen(&f);
	c = fx_client(&f, 5000, 0);

	body = body_of(1024 - 8); /* exactly the limit */
	assert_int_equal(call(c, "POST", "/v1/echo", body, &status, &resp), 0);
	assert_int_equal(status, 200);
	json_decref(resp);
	json_decref(body);

	body = body_of(1024 - 7);
	assert_int_equal(call(c, "POST", "/v1/echo", body, &status, &resp), 0);
	assert_int_equal(status, 413);
	json_decref(resp);
	json_decref(body);

	body = body_of(64 * 1024);
	assert_int_equal(call(c, "POST", "/v1/echo", body, &status, &resp), 0);
	assert_int_equal(status, 413);
	json_decref(resp);
	json_decref(body);
	rpc_client_free(c);
	fx_done(&f);
}

static void test_headers_limit(void **state)
{
	struct rpc_server_options o = {.max_headers = 512};
	struct fx f;
	char req[2048], *out;
	int n;

	(void)state;
	fx_init(&f, &o);
	assert_int_equal(rpc_server_route(f.srv, "GET", "/v1/echo", h_echo, NULL), 0);
	fx_listen(&f);
	n = snprintf(req, sizeof(req), "GET /v1/echo HTTP/1.1\r\nHost: x\r\nX-Pad: %01000d\r\n\r\n",
	             0);
	out = tls_exchange(f.port, req, (size_t)n);
	/* evhttp's own refusal (see rpc.h): a 400 and no handler. */
	assert_non_null(strstr(out, "HTTP/1.1 400"));
	assert_null(strstr(out, "\"peer\""));
	free(out);
	fx_done(&f);
}

struct bad_case {
	const char *body;
	int status;
};

static void test_bad_json(void **state)
{
	static const struct bad_case cases[] = {
	    {"{\"a\":1}", 201},
	    {"{\"a\":", 400},
	    {"{\"a\":1} x", 400},
	    {"{\"a\":1,\"a\":2}", 400},
	    {"", 400},
	    {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", 400},
	    {"\"\\u0000\"", 400},
	};
	struct fx f;
	char req[1024], status[32];

	(void)state;
	fx_init(&f, NULL);
	assert_int_equal(rpc_server_route(f.srv, "POST", "/v1/j", h_needs_json, NULL), 0);
	fx_listen(&f);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = snprintf(req, sizeof(req),
		                 "POST /v1/j HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		                 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		                 strlen(cases[i].body), cases[i].body);
		char *out = tls_exchange(f.port, req, (size_t)n);
		snprintf(status, sizeof(status), "HTTP/1.1 %d", cases[i].status);
		if (!strstr(out, status))
			fail_msg("body %s: %s", cases[i].body, out);
		if (cases[i].status == 400 && !strstr(out, "{\"error\":{\"code\":\"bad_json\""))
			fail_msg("body %s: %s", cases[i].body, out);
		free(out);
	}
	fx_done(&f);
}

struct wild_case {
	const char *path;
	long status;
	const char *param; /* NULL: no param expected */
	const char *special;
};

static void test_wildcard(void **state)
{
	static const struct wild_case cases[] = {
	    {"/v1/tasks/abc", 200, "abc", NULL},
	    {"/v1/tasks/a%20b", 200, "a b", NULL},
	    {"/v1/tasks/%C3%A9", 200, "\xc3\xa9", NULL},
	    {"/v1/tasks/abc?x=1", 200, "abc", NULL},
	    {"/v1/tasks/special", 200, NULL, "yes"},
	    {"/v1/tasks/abc/def", 404, NULL, NULL},
	    {"/v1/tasks/a%2Fb", 404, NULL, NULL},
	    {"/v1/tasks/", 404, NULL, NULL},
	    {"/v1/tasks", 404, NULL, NULL},
	    {"/v1/tasks/..", 404, NULL, NULL},
	    {"/v1/tasks/%2E%2E", 404, NULL, NULL},
	    {"/v1/tasks/.x", 200, ".x", NULL},
	    {"/v1/tasks/%00", 400, NULL, NULL},
	    {"/v1/tasksx/abc", 404, NULL, NULL},
	    {"/v1/tasks/abc/approve", 200, "abc", "approve"},
	    {"/v1/tasks/a%2Fb/approve", 404, NULL, NULL},
	    {"/v1/tasks/../approve", 404, NULL, NULL},
	    {"/v1/tasks//approve", 404, NULL, NULL},
	    {"/v1/tasks/abc/approvex", 404, NULL, NULL},
	    {"/v1/tasks/abc/approve/x", 404, NULL, NULL},
	};
	struct fx f;
	struct rpc_client *c;
	json_t *resp;
	long status;

	(void)state;
	fx_init(&f, NULL);
	assert_int_equal(rpc_server_route(f.srv, "GET", "/v1/tasks/*", h_echo, NULL), 0);
	assert_int_equal(rpc_server_route(f.srv, "GET", "/v1/tasks/special", h_special, NULL), 0);
	assert_int_equal(rpc_server_route(f.srv, "GET", "/v1/tasks/*/approve", h_action, NULL), 0);
	fx_listen(&f);
	c = fx_client(&f, 5000, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct wild_case *w = &cases[i];
		resp = NULL;
		assert_int_equal(call(c, "GET", w->path, NULL, &status, &resp), 0);
		if (status != w->status)
			fail_msg("%s: status %ld, expected %ld", w->path, status, w->status);
		if (w->param)
			assert_string_equal(str_of(resp, "param"), w->param);
		if (w->special)
			assert_string_equal(str_of(resp, "special"), w->special);
		json_decref(resp);
	}
	rpc_client_free(c);
	fx_done(&f);
}

static void test_query(void **state)
{
	struct fx f;
	struct rpc_client *c;
	json_t *resp = NULL;
	long status = 0;

	(void)state;
	fx_init(&f, NULL);
	assert_int_equal(rpc_server_route(f.srv, "GET", "/v1/q", h_query, NULL), 0);
	fx_listen(&f);
	c = fx_client(&f, 5000, 0);
	assert_int_equal(call(c, "GET", "/v1/q?name=a%20b%26c&plus=1+2&empty=&flag&dup=1&dup=2",
	                      NULL, &status, &resp),
	                 0);
	assert_int_equal(status, 200);
	assert_string_equal(str_of(resp, "name"), "a b&c");
	assert_string_equal(str_of(resp, "plus"), "1 2");
	assert_string_equal(str_of(resp, "empty"), "");
	assert_string_equal(str_of(resp, "flag"), "");
	assert_string_equal(str_of(resp, "dup"), "1");
	assert_true(json_is_null(json_object_get(resp, "missing")));
	json_decref(resp);

	/* A decoded NUL is refused: no parameter at all. */
	assert_int_equal(call(c, "GET", "/v1/q?name=a%00b", NULL, &status, &resp), 0);
	assert_int_equal(status, 200);
	assert_true(json_is_null(json_object_get(resp, "name")));
	json_decref(resp);
	rpc_client_free(c);
	fx_done(&f);
}

static void test_deferred_reply(void **state)
{
	struct fx f;
	struct deferred d = {.delay_ms = 100};
	struct rpc_client *c;
	json_t *resp = NULL;
	long status = 0;
	double t0;

	(void)state;
	fx_init(&f, NULL);
	d.base = f.base;
	assert_int_equal(rpc_server_route(f.srv, "GET", "/v1/wait", h_deferred, &d), 0);
	fx_listen(&f);
	c = fx_client(&f, 5000, 0);
	t0 = now_s();
	assert_int_equal(call(c, "GET", "/v1/wait", NULL, &status, &resp), 0);
	assert_true(now_s() - t0 >= 0.09);
	assert_int_equal(status, 200);
	assert_true(json_is_true(json_object_get(resp, "deferred")));
	json_decref(resp);
	/* And again on the same connection. */
	assert_int_equal(call(c, "GET", "/v1/wait", NULL, &status, &resp), 0);
	assert_int_equal(status, 200);
	assert_int_equal(atomic_load(&g_handshakes), 1);
	json_decref(resp);
	rpc_client_free(c);
	fx_done(&f);
}

/* The client gives up while the reply is deferred; the late reply is dropped. */
static void test_deferred_client_gone(void **state)
{
	struct fx f;
	struct deferred d = {.delay_ms = 600};
	struct rpc_client *c;
	json_t *resp = NULL;
	long status = 0;
	struct timespec pause = {.tv_sec = 1};

	(void)state;
	fx_init(&f, NULL);
	d.base = f.base;
	assert_int_equal(rpc_server_route(f.srv, "GET", "/v1/wait", h_deferred, &d), 0);
	assert_int_equal(rpc_server_route(f.srv, "GET", "/v1/echo", h_echo, NULL), 0);
	fx_listen(&f);
	c = fx_client(&f, 200, 0);
	assert_int_equal(rpc_call(c, "GET", "/v1/wait", NULL, &status, &resp, NULL, 0), CU_EIO);
	rpc_client_free(c);
	nanosleep(&pause, NULL); /* the reply goes to a closed socket */
	assert_int_equal(atomic_load(&d.calls), 1);
	c = fx_client(&f, 5000, 0);
	assert_int_equal(call(c, "GET", "/v1/echo", NULL, &status, &resp), 0);
	assert_int_equal(status, 200);
	json_decref(resp);
	rpc_client_free(c);
	fx_done(&f);
}

/* The server goes away while a handler holds a request. */
static void test_deferred_server_gone(void **state)
{
	struct fx f;
	struct deferred d = {.delay_ms = -1};
	struct rpc_client *c;
	json_t *resp = NULL;
	long status = 0;

	(void)state;
	fx_init(&f, NULL);
	d.base = f.base;
	assert_int_equal(rpc_server_route(f.srv, "GET", "/v1/hold/*", h_deferred, &d), 0);
	fx_listen(&f);
	c = fx_client(&f, 300, 0);
	assert_int_equal(rpc_call(c, "GET", "/v1/hold/x?k=v", NULL, &status, &resp, NULL, 0),
	                 CU_EIO);
	fx_halt(&f);
	assert_non_null(d.held);
	assert_non_null(rpc_request_ssl(d.held));
	rpc_server_free(f.srv);
	f.srv = NULL;
	/* Still readable, no longer connected; the reply is dropped. */
	assert_null(rpc_request_ssl(d.held));
	assert_string_equal(rpc_request_path(d.held), "/v1/hold/x");
	assert_string_equal(rpc_request_param(d.held), "x");
	assert_string_equal(rpc_request_query(d.held, "k"), "v");
	assert_non_null(rpc_request_header(d.held, "Host"));
	rpc_reply_error(d.held, 503, "gone", "late");
	rpc_client_free(c);
	fx_done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_routes),
	    cmocka_unit_test(test_json_round_trip),
	    cmocka_unit_test(test_content_type),
	    cmocka_unit_test(test_keepalive),
	    cmocka_unit_test(test_not_found_and_method),
	    cmocka_unit_test(test_body_limit),
	    cmocka_unit_test(test_headers_limit),
	    cmocka_unit_test(test_bad_json),
	    cmocka_unit_test(test_wildcard),
	    cmocka_unit_test(test_query),
	    cmocka_unit_test(test_deferred_reply),
	    cmocka_unit_test(test_deferred_client_gone),
	    cmocka_unit_test(test_deferred_server_gone),
	};

	fx_global();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_rpc_client.c - the rpc client against the rpc server: TLS refusals,
 * limits, network failures, certificate renewal, hostile peers, timeouts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>

#include "test_rpc_util.h"

static atomic_int g_handled;

static void h_ok(void *arg, struct rpc_request *req)
{
	(void)arg;
	atomic_fetch_add(&g_handled, 1);
	rpc_reply_json(req, 200, json_pack("{s:s}", "ok", "yes"));
}

/* A reply of n bytes: {"s":"xxx..."} */
static void h_big(void *arg, struct rpc_request *req)
{
	size_t n = *(const size_t *)arg;
	char *s = malloc(n + 1);

	atomic_fetch_add(&g_handled, 1);
	if (!s) {
		rpc_reply_error(req, 500, "test", "oom");
		return;
	}
	memset(s, 'x', n);
	s[n] = '\0';
	rpc_reply_json(req, 200, json_pack("{s:s}", "s", s));
	free(s);
}

static void h_text(void *arg, struct rpc_request *req)
{
	const int *status = arg;

	atomic_fetch_add(&g_handled, 1);
	rpc_reply_raw(req, *status, "text/plain", "hello", 5);
}

/* Switch the server's certificate from its own thread, as the API asks. */
struct switcher {
	struct rpc_server *srv;
	SSL_CTX *next;
};

static void h_switch(void *arg, struct rpc_request *req)
{
	struct switcher *sw = arg;

	rpc_server_set_ssl_ctx(sw->srv, sw->next);
	rpc_reply_json(req, 200, NULL);
}

static void start(struct fx *f, const struct rpc_server_options *o)
{
	atomic_store(&g_handled, 0);
	fx_init(f, o);
	assert_int_equal(rpc_server_route(f->srv, "GET", "/v1/ok", h_ok, NULL), 0);
}

static void test_options(void **state)
{
	struct rpc_client_options o = {.base_url = "https://127.0.0.1:1", .ssl_setup = pin_setup};
	struct rpc_client *c = (struct rpc_client *)1;
	json_t *resp = NULL;
	long status = 0;
	struct pin pin = {0};

	(void)state;
	o.ssl_arg = &pin;
	o.ssl_setup = NULL;
	assert_int_equal(rpc_client_new(&o, &c), CU_EINVAL);
	assert_null(c);
	o.ssl_setup = pin_setup;
	o.base_url = "http://127.0.0.1:1";
	assert_int_equal(rpc_client_new(&o, &c), CU_EINVAL);
	o.base_url = "https://";
	assert_int_equal(rpc_client_new(&o, &c), CU_EINVAL);
	o.base_url = "https://a b";
	assert_int_equal(rpc_client_new(&o, &c), CU_EINVAL);
	o.base_url = "https://127.0.0.1:1/";
	assert_int_equal(rpc_client_new(&o, &c), 0);

	assert_int_equal(rpc_client_set_token(c, "a\r\nX-Evil: 1"), CU_EINVAL);
	assert_int_equal(rpc_client_set_token(c, "a b"), CU_EINVAL);
	assert_int_equal(rpc_client_set_token(c, ""), CU_EINVAL);
	assert_int_equal(rpc_client_set_token(c, "ok"), 0);
	assert_int_equal(rpc_call(c, "GET", "v1/x", NULL, &status, &resp, NULL, 0), CU_EINVAL);
	assert_int_equal(rpc_call(c, "GET", "/v1/x y", NULL, &status, &resp, NULL, 0), CU_EINVAL);
	assert_int_equal(rpc_call(c, "GET", "/v1/x\r\nX: y", NULL, &status, &resp, NULL, 0),
	                 CU_EINVAL);
	assert_int_equal(rpc_call(c, "HEAD", "/v1/x", NULL, &status, &resp, NULL, 0), CU_EINVAL);
	assert_int_equal(rpc_call(c, "get", "/v1/x", NULL, &status, &resp, NULL, 0), CU_EINVAL);
	assert_int_equal(pin.setup_calls, 0);
	rpc_client_free(c);
	rpc_client_free(NULL);
}

static void test_setup_refuses(void **state)
{
	struct fx f;
	struct rpc_client *c;
	json_t *resp = NULL;
	long status = -1;
	char reason[RPC_REASON_LEN] = "";

	(void)state;
	start(&f, NULL);
	fx_listen(&f);
	f.pin.refuse_setup = 1;
	c = fx_client(&f, 5000, 0);
	assert_int_equal(rpc_call(c, "GET", "/v1/ok", NULL, &status, &resp, reason, sizeof(reason)),
	                 CU_ETLS);
	assert_non_null(strstr(reason, "ssl_setup"));
	assert_int_equal(f.pin.setup_calls, 1);
	assert_int_equal(status, 0);
	assert_null(resp);
	/* A setup that leaves the peer unverified is refused too. */
	f.pin.refuse_setup = 0;
	f.pin.no_verify = 1;
	assert_int_equal(rpc_call(c, "GET", "/v1/ok", NULL, &status, &resp, reason, sizeof(reason)),
	                 CU_ETLS);
	assert_int_equal(f.pin.setup_calls, 2);
	assert_non_null(strstr(reason, "SSL_VERIFY_PEER"));
	/* Not a byte of TLS, so no handshake and no request. */
	fx_halt(&f);
	assert_int_equal(atomic_load(&g_handled), 0);
	assert_int_equal(atomic_load(&g_handshakes), 0);
	rpc_client_free(c);
	fx_done(&f);
}

static void test_verify_refuses(void **state)
{
	struct fx f;
	struct rpc_client *c;
	json_t *resp = NULL;
	long status = -1;
	char reason[RPC_REASON_LEN] = "";

	(void)state;
	start(&f, NULL);
	fx_listen(&f);
	f.pin.want[0][0] ^= 1; /* pin another certificate */
	c = fx_client(&f, 5000, 0);
	assert_int_equal(rpc_call(c, "GET", "/v1/ok", NULL, &status, &resp, reason, sizeof(reason)),
	                 CU_ETLS);
	print_message("refused: %s\n", reason);
	assert_true(reason[0] != '\0');
	assert_true(f.pin.verify_calls > 0);
	assert_memory_equal(f.pin.seen, f.cert.sha256, 32);
	assert_null(resp);
	/* Again: a fresh connection is verified (and refused) again. */
	f.pin.verify_calls = 0;
	assert_int_equal(rpc_call(c, "GET", "/v1/ok", NULL, &status, &resp, NULL, 0), CU_ETLS);
	assert_true(f.pin.verify_calls > 0);
	fx_halt(&f);
	assert_int_equal(atomic_load(&g_handled), 0);
	rpc_client_free(c);
	fx_done(&f);
}

static void test_response_limit(void **state)
{
	struct fx f;
	struct rpc_client *c;
	json_t *resp = NULL;
	long status = 0;
	size_t n = 4096;

	(void)state;
	start(&f, NULL);
	assert_int_equal(rpc_server_route(f.srv, "GET", "/v1/big", h_big, &n), 0);
	fx_listen(&f);
	c = fx_client(&f, 5000, 1024);
	assert_int_equal(rpc_call(c, "GET", "/v1/big", NULL, &status, &resp, NULL, 0), CU_ELIMIT);
	assert_null(resp);
	/* A reply within the limit still comes through (on a new connection). */
	n = 1024 - 8;
	assert_int_equal(rpc_call(c, "GET", "/v1/big", NULL, &status, &resp, NULL, 0), 0);
	assert_int_equal(status, 200);
	assert_int_equal(json_string_length(json_object_get(resp, "s")), n);
	json_decref(resp);
	n = 1024 - 7;
	assert_int_equal(rpc_call(c, "GET", "/v1/big", NULL, &status, &resp, NULL, 0), CU_ELIMIT);
	rpc_client_free(c);
	fx_done(&f);
}

static void test_non_json_reply(void **state)
{
	struct fx f;
	struct rpc_client *c;
	json_t *resp = NULL;
	long status = 0;
	int ok = 200, bad = 502;
	char text[64];

	(void)state;
	start(&f, NULL);
	assert_int_equal(rpc_server_route(f.srv, "GET", "/v1/text", h_text, &ok), 0);
	assert_int_equal(rpc_server_route(f.srv, "GET", "/v1/oops", h_text, &bad), 0);
	fx_listen(&f);
	c = fx_client(&f, 5000, 0);
	assert_int_equal(rpc_call(c, "GET", "/v1/text", NULL, &status, &resp, NULL, 0), CU_EFORMAT);
	assert_null(resp);
	/* An error status whose body is not JSON is still a reply. */
	assert_int_equal(rpc_call(c, "GET", "/v1/oops", NULL, &status, &resp, NULL, 0), 0);
	assert_int_equal(status, 502);
	assert_null(resp);
	assert_string_equal(rpc_error_text(status, resp, text, sizeof(text)), "HTTP 502");
	rpc_client_free(c);
	fx_done(&f);
}

static void test_refused(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	struct rpc_client_options o = {.ssl_setup = pin_setup, .connect_timeout_ms = 2000};
	struct rpc_client *c;
	struct pin pin = {0};
	json_t *resp = NULL;
	long status = 0;
	char url[64], reason[RPC_REASON_LEN] = "";
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	/* A port that was free a moment ago and has no listener. */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u", ntohs(sa.sin_port));
	o.base_url = url;
	o.ssl_arg = &pin;
	assert_int_equal(rpc_client_new(&o, &c), 0);
	assert_int_equal(rpc_call(c, "GET", "/v1/ok", NULL, &status, &resp, reason, sizeof(reason)),
	                 CU_EIO);
	assert_true(reason[0] != '\0');
	assert_int_equal(pin.setup_calls, 0);
	rpc_client_free(c);
}

static void test_switch_ctx(void **state)
{
	struct fx f;
	struct tcert next;
	struct switcher sw;
	struct rpc_client *c1, *c2;
	json_t *resp = NULL;
	long status = 0;

	(void)state;
	start(&f, NULL);
	tcert_make(&next, "rpc-test-renewed");
	sw.srv = f.srv;
	sw.next = server_ctx(&next);
	assert_int_equal(rpc_server_route(f.srv, "POST", "/v1/switch", h_switch, &sw), 0);
	fx_listen(&f);
	memcpy(f.pin.want[1], next.sha256, 32);
	f.pin.nwant = 2;

	c1 = fx_client(&f, 5000, 0);
	assert_int_equal(rpc_call(c1, "GET", "/v1/ok", NULL, &status, &resp, NULL, 0), 0);
	assert_memory_equal(f.pin.seen, f.cert.sha256, 32);
	json_decref(resp);
	assert_int_equal(rpc_call(c1, "POST", "/v1/switch", NULL, &status, &resp, NULL, 0), 0);
	assert_int_equal(status, 200);
	json_decref(resp);
	/* The server holds its own reference now. */
	SSL_CTX_free(sw.next);

	/* The established connection keeps its session. */
	f.pin.verify_calls = 0;
	assert_int_equal(rpc_call(c1, "GET", "/v1/ok", NULL, &status, &resp, NULL, 0), 0);
	assert_int_equal(f.pin.verify_calls, 0);
	json_decref(resp);

	/* A new one sees the new certificate. */
	c2 = fx_client(&f, 5000, 0);
	assert_int_equal(rpc_call(c2, "GET", "/v1/ok", NULL, &status, &resp, NULL, 0), 0);
	assert_true(f.pin.verify_calls > 0);
	assert_memory_equal(f.pin.seen, next.sha256, 32);
	json_decref(resp);

	/* Pinning only the old certificate now fails. */
	f.pin.nwant = 1;
	rpc_client_free(c2);
	c2 = fx_client(&f, 5000, 0);
	assert_int_equal(rpc_call(c2, "GET", "/v1/ok", NULL, &status, &resp, NULL, 0), CU_ETLS);
	rpc_client_free(c2);
	rpc_client_free(c1);
	fx_done(&f);
	tcert_free(&next);
}

/* Read until the server closes (0) or 5 s pass (-1); *got counts the bytes. */
static int read_to_close(int fd, char *buf, size_t cap, size_t *got)
{
	ssize_t n;

	*got = 0;
	while (*got < cap && (n = recv(fd, buf + *got, cap - *got, 0)) > 0)
		*got += (size_t)n;
	return *got < cap && n == 0 ? 0 : -1;
}

static void test_plain_http(void **state)
{
	static const char req[] = "GET /v1/ok HTTP/1.1\r\nHost: x\r\n\r\n";
	struct fx f;
	struct rpc_client *c;
	json_t *resp = NULL;
	long status = 0;
	char buf[4096];
	size_t got = 0;
	int fd;

	(void)state;
	start(&f, NULL);
	fx_listen(&f);
	fd = tcp_connect(f.port);
	assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
	assert_int_equal(read_to_close(fd, buf, sizeof(buf) - 1, &got), 0);
	buf[got] = '\0';
	assert_null(strstr(buf, "HTTP/1.1"));
	close(fd);
	assert_int_equal(atomic_load(&g_handled), 0);

	/* The server is still serving. */
	c = fx_client(&f, 5000, 0);
	assert_int_equal(rpc_call(c, "GET", "/v1/ok", NULL, &status, &resp, NULL, 0), 0);
	assert_int_equal(status, 200);
	json_decref(resp);
	rpc_client_free(c);
	fx_done(&f);
}

static void test_timeouts(void **state)
{
	struct rpc_server_options o = {.timeout_s = 1};
	struct fx f;
	struct rpc_client *c;
	json_t *resp = NULL;
	long status = 0;
	char buf[256];
	size_t got;
	double t0;
	int fd;

	(void)state;
	start(&f, &o);
	fx_listen(&f);

	/* A silent peer is dropped after the server's timeout. */
	t0 = now_s();
	fd = tcp_connect(f.port);
	assert_int_equal(read_to_close(fd, buf, sizeof(buf), &got), 0);
	assert_true(now_s() - t0 >= 0.9);
	assert_true(now_s() - t0 < 10.0); /* a loaded machine is slow, not 10 s slow */
	close(fd);

	/* A half-sent request too. */
	fd = tcp_connect(f.port);
	assert_int_equal(send(fd, "\x16\x03\x01", 3, 0), 3);
	assert_int_equal(read_to_close(fd, buf, sizeof(buf), &got), 0);
	close(fd);

	/* A client whose server is silent gives up on its own deadline. */
	{
		int lfd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET};
		socklen_t len = sizeof(sa);
		struct rpc_client_options co = {.ssl_setup = pin_setup, .timeout_ms = 300};
		char url[64];

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(listen(lfd, 4), 0); /* accepts in the kernel, never answers */
		assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
		snprintf(url, sizeof(url), "https://127.0.0.1:%u", ntohs(sa.sin_port));
		co.base_url = url;
		co.ssl_arg = &f.pin;
		assert_int_equal(rpc_client_new(&co, &c), 0);
		t0 = now_s();
		assert_int_equal(rpc_call(c, "GET", "/v1/ok", NULL, &status, &resp, NULL, 0),
		                 CU_EIO);
		assert_true(now_s() - t0 < 10.0); /* not stuck on a silent server */
		rpc_client_free(c);
		close(lfd);
	}

	/* The server still serves after all that. */
	c = fx_client(&f, 5000, 0);
	assert_int_equal(rpc_call(c, "GET", "/v1/ok", NULL, &status, &resp, NULL, 0), 0);
	assert_int_equal(status, 200);
	json_decref(resp);
	rpc_client_free(c);
	fx_done(&f);
}

static void test_ipv6(void **state)
{
	struct fx f;
	struct rpc_client *c;
	json_t *resp = NULL;
	long status = 0;
	char bound[RPC_ADDR_LEN];

	(void)state;
	start(&f, NULL);
	if (rpc_server_listen(f.srv, "[::1]:0", bound, sizeof(bound))) {
		fx_done(&f);
		skip(); /* no IPv6 loopback here */
	}
	assert_int_equal(strncmp(bound, "[::1]:", 6), 0);
	snprintf(f.url, sizeof(f.url), "https://%s", bound);
	assert_int_equal(pthread_create(&f.thread, NULL, fx_loop, &f), 0);
	f.running = 1;
	c = fx_client(&f, 5000, 0);
	assert_int_equal(rpc_call(c, "GET", "/v1/ok", NULL, &status, &resp, NULL, 0), 0);
	assert_int_equal(status, 200);
	json_decref(resp);
	rpc_client_free(c);
	fx_done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_options),        cmocka_unit_test(test_setup_refuses),
	    cmocka_unit_test(test_verify_refuses), cmocka_unit_test(test_response_limit),
	    cmocka_unit_test(test_non_json_reply), cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_switch_ctx),     cmocka_unit_test(test_plain_http),
	    cmocka_unit_test(test_timeouts),       cmocka_unit_test(test_ipv6),
	};

	fx_global();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * client.c - a libcurl easy handle set up so that nothing goes out before
 * the caller's ssl_setup has configured (and so verified) the TLS session.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "rpc/client_int.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

/* curl_global_init is not thread-safe; it runs once per process. */
static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* curl's hook for each SSL_CTX it makes, after its own settings. */
static CURLcode ssl_ctx_cb(CURL *curl, void *ssl_ctx, void *arg)
{
	struct rpc_client *c = arg;

	(void)curl;
	/* No tickets: every connection is verified in full (see rpc.h). */
	SSL_CTX_set_options(ssl_ctx, SSL_OP_NO_TICKET);
	/* Without SSL_VERIFY_PEER nothing would check the peer at all. */
	if (c->ssl_setup(c->ssl_arg, ssl_ctx) ||
	    !(SSL_CTX_get_verify_mode(ssl_ctx) & SSL_VERIFY_PEER)) {
		c->setup_failed = 1;
		return CURLE_ABORTED_BY_CALLBACK;
	}
	return CURLE_OK;
}

static size_t write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct rpc_client *c = arg;

	/* curl guarantees size * n fits; a short count makes it stop. */
	if (cu_buf_append(&c->response, data, size * n)) {
		c->too_big = 1;
		return 0;
	}
	return size * n;
}

static int set_options(struct rpc_client *c, const struct rpc_client_options *o)
{
	long timeout = o->timeout_ms ? o->timeout_ms : RPC_TIMEOUT_DEFAULT_S * 1000L;
	long connect =
	    o->connect_timeout_ms ? o->connect_timeout_ms : RPC_CONNECT_TIMEOUT_DEFAULT_MS;
	CURL *h = c->curl;
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (rc == CURLE_OK)                                                                \
			rc = curl_easy_setopt(h, opt, val);                                        \
	} while (0)
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	/*
	 * curl's own verification is off on purpose: there is no CA for an
	 * attested peer. Identity is decided by the verify callback that
	 * ssl_setup installs with SSL_VERIFY_PEER; a refusal there fails the
	 * handshake. ssl_setup is mandatory (rpc_client_new), so no connection
	 * goes unverified.
	 */
	SET(CURLOPT_SSL_VERIFYPEER, 0L);
	SET(CURLOPT_SSL_VERIFYHOST, 0L);
	SET(CURLOPT_SSL_SESSIONID_CACHE, 0L);
	SET(CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
	SET(CURLOPT_SSL_CTX_DATA, c);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, c);
	SET(CURLOPT_ERRORBUFFER, c->errbuf);
	SET(CURLOPT_TIMEOUT_MS, timeout);
	SET(CURLOPT_CONNECTTIMEOUT_MS, connect);
#undef SET
	if (rc == CURLE_OUT_OF_MEMORY)
		return CU_ENOMEM;
	return rc == CURLE_OK ? 0 : CU_EUNSUPPORTED;
}

static int check_options(const struct rpc_client_options *o)
{
	size_t n;

	if (!o || !o->base_url || !o->ssl_setup || o->timeout_ms < 0 || o->connect_timeout_ms < 0)
		return CU_EINVAL;
	n = strlen(o->base_url);
	if (n >= RPC_URL_MAX || strncmp(o->base_url, "https://", 8) || n == 8)
		return CU_EINVAL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)o->base_url[i] <= 0x20 || (unsigned char)o->base_url[i] >= 0x7f)
			return CU_EINVAL;
	return 0;
}

int rpc_client_new(const struct rpc_client_options *options, struct rpc_client **out)
{
	struct rpc_client *c = NULL;
	int rc;

	*out = NULL;
	if ((rc = check_options(options)))
		return rc;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return CU_ENOMEM;
	if (!(c = calloc(1, sizeof(*c))))
		return CU_ENOMEM;
	c->ssl_setup = options->ssl_setup;
	c->ssl_arg = options->ssl_arg;
	c->max_response = options->max_response ? options->max_response : RPC_BODY_MAX_DEFAULT;
	cu_buf_init(&c->response, c->max_response);
	if (!(c->base_url = cu_strdup(options->base_url)) || !(c->curl = curl_easy_init())) {
		rc = CU_ENOMEM;
		goto out;
	}
	/* A trailing '/' would double the one each path starts with. */
	if (c->base_url[strlen(c->base_url) - 1] == '/')
		c->base_url[strlen(c->base_url) - 1] = '\0';
	if ((rc = set_options(c, options)))
		goto out;
	*out = c;
	c = NULL;
out:
	rpc_client_free(c);
	return rc;
}

void rpc_client_free(struct rpc_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->base_url);
	if (c->token)
		cu_free_secret(c->token, strlen(c->token));
	cu_buf_free_secret(&c->response);
	free(c);
}

int rpc_client_set_token(struct rpc_client *c, const char *token)
{
	char *copy = NULL;
	size_t n;

	if (!c)
		return CU_EINVAL;
	if (token) {
		n = strlen(token);
		if (n == 0 || n > RPC_TOKEN_MAX)
			return CU_EINVAL;
		/* Printable ASCII without spaces: no header can be injected. */
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)token[i] <= 0x20 || (unsigned char)token[i] >= 0x7f)
				return CU_EINVAL;
		if (!(copy = cu_strdup(token)))
			return CU_ENOMEM;
	}
	if (c->token)
		cu_free_secret(c->token, strlen(c->token));
	c->token = copy;
	return 0;
}

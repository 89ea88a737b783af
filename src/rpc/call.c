/*
 * call.c - one request and its reply, and how curl's failures map onto
 * Custos errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "rpc/client_int.h"

static const char *const call_methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH"};

static int method_ok(const char *m)
{
	for (size_t i = 0; m && i < sizeof(call_methods) / sizeof(call_methods[0]); i++)
		if (!strcmp(m, call_methods[i]))
			return 1;
	return 0;
}

/* A path starts with '/' and holds no space or control byte (no request splitting). */
static int path_ok(const char *p)
{
	if (!p || p[0] != '/')
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

static void free_headers(struct curl_slist *h)
{
	/* The Authorization line holds the token. */
	for (struct curl_slist *i = h; i; i = i->next)
		cu_wipe(i->data, strlen(i->data));
	curl_slist_free_all(h);
}

static int add_header(struct curl_slist **h, const char *line)
{
	struct curl_slist *n = curl_slist_append(*h, line);

	if (!n)
		return CU_ENOMEM;
	*h = n;
	return 0;
}

static int make_headers(const struct rpc_client *c, int has_body, struct curl_slist **out)
{
	struct cu_buf auth;
	int rc;

	*out = NULL;
	if ((rc = add_header(out, "Accept: application/json")) ||
	    (has_body && (rc = add_header(out, "Content-Type: application/json"))))
		return rc;
	if (!c->token)
		return 0;
	cu_buf_init(&auth, RPC_TOKEN_MAX + 64);
	rc = cu_buf_printf(&auth, "Authorization: Bearer %s", c->token);
	if (!rc)
		rc = add_header(out, (const char *)auth.data);
	cu_buf_free_secret(&auth);
	return rc;
}

/* Set what changes from call to call; GET and POST need no custom verb. */
static int set_request(struct rpc_client *c, const char *method, const char *url,
                       const char *payload, struct curl_slist *headers)
{
	CURL *h = c->curl;
	int custom;
	CURLcode rc;

	/* A bodiless POST, PUT or PATCH still says "Content-Length: 0". */
	if (!payload && strcmp(method, "GET") && strcmp(method, "DELETE"))
		payload = "";
	custom = strcmp(method, payload ? "POST" : "GET") != 0;

	rc = curl_easy_setopt(h, CURLOPT_URL, url);
	if (rc == CURLE_OK && payload) {
		rc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(payload));
		if (rc == CURLE_OK)
			rc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
	} else if (rc == CURLE_OK) {
		rc = curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, custom ? method : NULL);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	if (rc == CURLE_URL_MALFORMAT)
		return CU_EINVAL;
	return rc == CURLE_OK ? 0 : CU_ENOMEM;
}

static int is_tls_error(CURLcode e)
{
	switch (e) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_USE_SSL_FAILED:
		return 1;
	default:
		return 0;
	}
}

static int map_error(struct rpc_client *c, CURLcode e, char *reason, size_t reasonsz)
{
	const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(e);

	if (c->setup_failed)
		return cu_reason(reason, reasonsz, CU_ETLS,
		                 "ssl_setup refused the connection or set no SSL_VERIFY_PEER");
	if (is_tls_error(e) || e == CURLE_ABORTED_BY_CALLBACK)
		return cu_reason(reason, reasonsz, CU_ETLS, "TLS: %s", why);
	if (c->too_big || e == CURLE_FILESIZE_EXCEEDED)
		return cu_reason(reason, reasonsz, CU_ELIMIT, "response over %zu bytes",
		                 c->max_response);
	if (e == CURLE_OUT_OF_MEMORY)
		return cu_reason(reason, reasonsz, CU_ENOMEM, "%s", why);
	if (e == CURLE_URL_MALFORMAT)
		return cu_reason(reason, reasonsz, CU_EINVAL, "%s", why);
	/* Refused, reset, timed out, unresolved, cut short. */
	return cu_reason(reason, reasonsz, CU_EIO, "%s", why);
}

/* The reply's body as JSON; an error status may come with a body that is not. */
static int parse_reply(struct rpc_client *c, long status, json_t **response, char *reason,
                       size_t reasonsz)
{
	int rc;

	if (!c->response.len)
		return 0;
	rc = cu_json_parse(c->response.data, c->response.len, c->max_response, response);
	if (!rc)
		return 0;
	if (status >= 400)
		return 0;
	return cu_reason(reason, reasonsz, CU_EFORMAT, "HTTP %ld: the body is not JSON (%s)",
	                 status, cu_strerror(rc));
}

static int perform(struct rpc_client *c, long *status, json_t **response, char *reason,
                   size_t reasonsz)
{
	CURLcode e;

	cu_buf_free_secret(&c->response);
	cu_buf_init(&c->response, c->max_response);
	c->too_big = 0;
	c->setup_failed = 0;
	c->errbuf[0] = '\0';
	e = curl_easy_perform(c->curl);
	if (e != CURLE_OK)
		return map_error(c, e, reason, reasonsz);
	if (curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status) != CURLE_OK)
		return cu_reason(reason, reasonsz, CU_EIO, "no HTTP status");
	return parse_reply(c, *status, response, reason, reasonsz);
}

int rpc_call(struct rpc_client *c, const char *method, const char *path, const json_t *body,
             long *status, json_t **response, char *reason, size_t reasonsz)
{
	struct curl_slist *headers = NULL;
	char *payload = NULL;
	struct cu_buf url;
	int rc;

	*status = 0;
	*response = NULL;
	if (reason && reasonsz)
		reason[0] = '\0';
	if (!c || !method_ok(method) || !path_ok(path))
		return cu_reason(reason, reasonsz, CU_EINVAL, "bad method or path");
	cu_buf_init(&url, RPC_URL_MAX);
	if (cu_buf_printf(&url, "%s%s", c->base_url, path)) {
		rc = cu_reason(reason, reasonsz, CU_EINVAL, "URL over %d bytes", RPC_URL_MAX);
		goto out;
	}
	if (body && (rc = cu_json_dump(body, JSON_COMPACT, &payload)))
		goto out;
	if ((rc = make_headers(c, body != NULL, &headers)) ||
	    (rc = set_request(c, method, (const char *)url.data, payload, headers)))
		goto out;
	rc = perform(c, status, response, reason, reasonsz);
out:
	/* curl keeps these pointers; clear them before they are freed. */
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, NULL);
	free_headers(headers);
	/* The body may hold a password, file keys or a task's result. */
	cu_free_secret(payload, payload ? strlen(payload) : 0);
	cu_buf_free(&url);
	if (rc) {
		json_decref(*response);
		*response = NULL;
	}
	return rc;
}

const char *rpc_error_text(long status, const json_t *response, char *buf, size_t bufsz)
{
	const json_t *err = json_object_get(response, "error");
	const char *code = NULL, *msg = NULL;

	if (!buf || !bufsz)
		return "";
	if (json_is_object(err)) {
		(void)cu_json_get_str(err, "code", &code);
		(void)cu_json_get_str(err, "message", &msg);
	}
	if (code && msg)
		snprintf(buf, bufsz, "%s: %s", code, msg);
	else if (code)
		snprintf(buf, bufsz, "%s", code);
	else
		snprintf(buf, bufsz, "HTTP %ld", status);
	return buf;
}

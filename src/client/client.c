/*
 * client.c - a client of one platform: attested connection, token, and
 * one call with the platform's error replies mapped to CUSTOS_E* codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "client/trust.h"
#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "rpc/rpc.h"

struct custos_client *custos_client_new(void)
{
	return calloc(1, sizeof(struct custos_client));
}

void custos_client_free(struct custos_client *c)
{
	if (!c)
		return;
	rpc_client_free(c->rpc);
	cl_trust_free(c->trust);
	if (c->token)
		cu_free_secret(c->token, strlen(c->token));
	free(c->url);
	free(c);
}

void custos_free(char *p)
{
	if (p)
		cu_free_secret(p, strlen(p));
}

static int url_ok(const char *url)
{
	size_t n = url ? strlen(url) : 0;

	if (n <= 8 || n >= CL_URL_MAX || strncmp(url, "https://", 8))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return 0;
	return 1;
}

static int trust_from_public(struct custos_client *c, const struct custos_trust *t)
{
	struct cl_trust_config cfg = {.manifest = t->manifest,
	                              .signatures = t->signatures,
	                              .nsignatures = t->nsignatures,
	                              .auditors = t->auditors,
	                              .nauditors = t->nauditors,
	                              .threshold = t->threshold,
	                              .role = t->role,
	                              .allow_simulation = t->allow_simulation};
	char msg[CL_TRUST_MSG_MAX];
	int rc = cl_trust_load(&cfg, &c->trust, msg, sizeof(msg));

	if (!rc)
		return 0;
	switch (rc) {
	case CU_EIO:
	case CU_ENOTFOUND:
		return cl_fail(c, rc == CU_EIO ? CUSTOS_EIO : CUSTOS_EATTEST, "%s", msg);
	case CU_EINVAL:
	case CU_ELIMIT:
		return cl_fail(c, CUSTOS_EINVAL, "%s", msg);
	case CU_ENOMEM:
		return cl_fail(c, CUSTOS_ENOMEM, "%s", msg);
	default:
		return cl_fail(c, CUSTOS_EATTEST, "%s", msg);
	}
}

/* Undo a connection that failed half-way, so that the client may try again. */
static int connect_failed(struct custos_client *c, int rc)
{
	rpc_client_free(c->rpc);
	c->rpc = NULL;
	cl_trust_free(c->trust);
	c->trust = NULL;
	free(c->url);
	c->url = NULL;
	return rc;
}

int custos_connect(struct custos_client *c, const struct custos_trust *t)
{
	struct rpc_client_options o = {.ssl_setup = cl_trust_ssl_setup,
	                               .timeout_ms = CL_CALL_MS,
	                               .connect_timeout_ms = CL_CONNECT_MS,
	                               .max_response = CL_RESPONSE_MAX};
	int rc;

	if (!c)
		return CUSTOS_EINVAL;
	c->error[0] = 0;
	c->err = 0;
	if (!t)
		return cl_fail(c, CUSTOS_EINVAL, "no trust settings");
	if (c->rpc)
		return cl_fail(c, CUSTOS_ESTATE, "the client is connected already");
	if (!url_ok(t->url))
		return cl_fail(c, CUSTOS_EINVAL, "the platform's URL must be https://HOST:PORT");
	if ((rc = trust_from_public(c, t)))
		return connect_failed(c, rc);
	if (!(c->url = cu_strdup(t->url)))
		return connect_failed(c, cl_fail(c, CUSTOS_ENOMEM, "out of memory"));
	o.base_url = c->url;
	o.ssl_arg = c->trust;
	if ((rc = rpc_client_new(&o, &c->rpc)))
		return connect_failed(
		    c, cl_fail(c, cl_map_cu(rc), "cannot make the client: %s", cu_strerror(rc)));
	if (c->token && (rc = rpc_client_set_token(c->rpc, c->token)))
		return connect_failed(
		    c, cl_fail(c, cl_map_cu(rc), "cannot use the token: %s", cu_strerror(rc)));
	if ((rc = cl_call(c, "GET", "/v1/health", NULL, NULL)))
		return connect_failed(c, rc);
	return 0;
}

int custos_health(struct custos_client *c, char **json)
{
	if (json)
		*json = NULL;
	if (!c)
		return CUSTOS_EINVAL;
	return cl_call_text(c, "GET", "/v1/health", NULL, json);
}

int custos_set_token(struct custos_client *c, const char *token)
{
	char *copy = NULL;
	int rc;

	if (!c)
		return CUSTOS_EINVAL;
	if (token && (!*token || strlen(token) >= CL_TOKEN_MAX))
		return cl_fail(c, CUSTOS_EINVAL, "a token is 1..%d bytes", CL_TOKEN_MAX - 1);
	if (token && !(copy = cu_strdup(token)))
		return cl_fail(c, CUSTOS_ENOMEM, "out of memory");
	if (c->rpc && (rc = rpc_client_set_token(c->rpc, token))) {
		custos_free(copy);
		return cl_fail(c, cl_map_cu(rc), "cannot use the token: %s", cu_strerror(rc));
	}
	custos_free(c->token);
	c->token = copy;
	return 0;
}

const char *custos_token(const struct custos_client *c)
{
	return c ? c->token : NULL;
}

int custos_login(struct custos_client *c, const char *user, const char *password)
{
	json_t *req = NULL, *resp = NULL;
	const char *token;
	int rc;

	if ((rc = cl_need(c, "user", user)) || (rc = cl_need(c, "password", password)))
		return rc;
	if (!(req = cl_obj(c)))
		return CUSTOS_ENOMEM;
	if ((rc = cl_set_str(c, req, "user", user)) ||
	    (rc = cl_set_str(c, req, "password", password)))
		goto out;
	/* Log in afresh: a stale token must not go with the request. */
	if ((rc = custos_set_token(c, NULL)) || (rc = cl_call(c, "POST", "/v1/login", req, &resp)))
		goto out;
	if (cu_json_get_str(resp, "token", &token)) {
		rc = cl_fail(c, CUSTOS_EPROTO, "the login reply has no token");
		goto out;
	}
	rc = custos_set_token(c, token);
out:
	cu_json_free_secret(req);
	cu_json_free_secret(resp);
	return rc;
}

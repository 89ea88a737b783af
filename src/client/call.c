/* call.c - one call to the platform, and the helpers that build requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "client/trust.h"
#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "rpc/rpc.h"

/* An error reply: its code word and message. */
static int reply_error(struct custos_client *c, long status, const json_t *resp)
{
	const json_t *e = json_object_get(resp, "error");
	const char *code = NULL, *message = NULL;
	int err;

	if (json_is_object(e)) {
		(void)cu_json_get_str(e, "code", &code);
		(void)cu_json_get_str(e, "message", &message);
	}
	err = cl_map_http(status, code);
	if (message)
		return cl_fail(c, err, "%s", message);
	return cl_fail(c, err, "the platform answered HTTP %ld", status);
}

int cl_call(struct custos_client *c, const char *method, const char *path, const json_t *body,
            json_t **response)
{
	char reason[RPC_REASON_LEN], msg[CL_TRUST_MSG_MAX];
	json_t *resp = NULL;
	long status = 0;
	int rc;

	if (response)
		*response = NULL;
	if (!c->rpc)
		return cl_fail(c, CUSTOS_ESTATE, "not connected (custos_connect first)");
	c->error[0] = 0;
	c->err = 0;
	rc = rpc_call(c->rpc, method, path, body, &status, &resp, reason, sizeof(reason));
	if (rc == CU_ELIMIT)
		return cl_fail(c, CUSTOS_ETOOLARGE, "the platform's answer is too large");
	if (rc == CU_EFORMAT)
		return cl_fail(c, CUSTOS_EPROTO, "the platform's answer is not JSON");
	if (rc == CU_ETLS) {
		(void)cl_trust_explain(c->trust, c->url, rc, reason, msg, sizeof(msg));
		return cl_fail(c, CUSTOS_EATTEST, "%s", msg);
	}
	if (rc) {
		(void)cl_trust_explain(c->trust, c->url, rc, reason, msg, sizeof(msg));
		return cl_fail(c, rc == CU_ETIMEOUT ? CUSTOS_ETIMEOUT : cl_map_cu(rc), "%s", msg);
	}
	if (status < 200 || status > 299) {
		rc = reply_error(c, status, resp);
		json_decref(resp);
		return rc;
	}
	if (!json_is_object(resp)) {
		json_decref(resp);
		return cl_fail(c, CUSTOS_EPROTO, "the platform's answer to %s %s is not an object",
		               method, path);
	}
	if (response)
		*response = resp;
	else
		json_decref(resp);
	return 0;
}

int cl_dump(struct custos_client *c, const json_t *v, char **out)
{
	*out = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	return *out ? 0 : cl_fail(c, CUSTOS_ENOMEM, "out of memory");
}

int cl_call_text(struct custos_client *c, const char *method, const char *path, const json_t *body,
                 char **json)
{
	json_t *resp = NULL;
	int rc;

	if (!json)
		return cl_fail(c, CUSTOS_EINVAL, "no place for the response");
	*json = NULL;
	if (!(rc = cl_call(c, method, path, body, &resp)))
		rc = cl_dump(c, resp, json);
	cu_json_free_secret(resp);
	return rc;
}

int cl_call_id(struct custos_client *c, const char *method, const char *path, const json_t *body,
               char id[CUSTOS_ID_MAX], char **json)
{
	json_t *resp = NULL;
	const char *s;
	int rc;

	if (json)
		*json = NULL;
	if (!id)
		return cl_fail(c, CUSTOS_EINVAL, "no place for the id");
	memset(id, 0, CUSTOS_ID_MAX);
	if ((rc = cl_call(c, method, path, body, &resp)))
		return rc;
	if (cu_json_get_str(resp, "id", &s) || !*s || strlen(s) >= CUSTOS_ID_MAX)
		rc = cl_fail(c, CUSTOS_EPROTO, "the answer to %s %s has no valid id", method, path);
	else
		memcpy(id, s, strlen(s) + 1);
	if (!rc && json)
		rc = cl_dump(c, resp, json);
	if (rc)
		memset(id, 0, CUSTOS_ID_MAX);
	json_decref(resp);
	return rc;
}

/* RFC 3986 unreserved characters pass; everything else is %XX. */
int cl_pct_encode(const char *s, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		            (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ||
		            ch == '~';
		if (o + (plain ? 1 : 3) >= outsz)
			return CU_ELIMIT;
		if (plain) {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = 0;
	return 0;
}

int cl_path(struct custos_client *c, char *out, size_t outsz, const char *prefix, const char *id,
            const char *suffix)
{
	char seg[3 * CUSTOS_ID_MAX];
	int n;

	if (!id || !*id || strlen(id) >= CUSTOS_ID_MAX)
		return cl_fail(c, CUSTOS_EINVAL, "an id is 1..%d characters", CUSTOS_ID_MAX - 1);
	if (!strcmp(id, ".") || !strcmp(id, ".."))
		return cl_fail(c, CUSTOS_EINVAL, "'%s' is not an id", id);
	if (cl_pct_encode(id, seg, sizeof(seg)))
		return cl_fail(c, CUSTOS_EINVAL, "id too long");
	n = snprintf(out, outsz, "/v1/%s/%s%s", prefix, seg, suffix ? suffix : "");
	if (n < 0 || (size_t)n >= outsz)
		return cl_fail(c, CUSTOS_EINVAL, "request path too long");
	return 0;
}

int cl_need(struct custos_client *c, const char *what, const char *s)
{
	if (!c)
		return CUSTOS_EINVAL;
	if (!s || !*s)
		return cl_fail(c, CUSTOS_EINVAL, "%s is required", what);
	c->err = 0;
	return 0;
}

json_t *cl_obj(struct custos_client *c)
{
	json_t *o = json_object();

	if (!o)
		cl_fail(c, CUSTOS_ENOMEM, "out of memory");
	return o;
}

int cl_set_new(struct custos_client *c, json_t *o, const char *key, json_t *val)
{
	if (!val)
		return c->err ? c->err : cl_fail(c, CUSTOS_ENOMEM, "out of memory");
	if (json_object_set_new(o, key, val))
		return cl_fail(c, CUSTOS_ENOMEM, "out of memory");
	return 0;
}

int cl_set_str(struct custos_client *c, json_t *o, const char *key, const char *val)
{
	json_t *s;

	if (!val)
		return cl_fail(c, CUSTOS_EINVAL, "%s is required", key);
	if (!(s = json_string(val)))
		return cl_fail(c, CUSTOS_EINVAL, "%s is not UTF-8 text", key);
	if (json_object_set_new(o, key, s))
		return cl_fail(c, CUSTOS_ENOMEM, "out of memory");
	return 0;
}

json_t *cl_str_array(struct custos_client *c, const char *const *v, size_t n)
{
	json_t *a = json_array();

	if (n && !v) {
		json_decref(a);
		cl_fail(c, CUSTOS_EINVAL, "a list is missing");
		return NULL;
	}
	for (size_t i = 0; a && i < n; i++) {
		json_t *s = v[i] && *v[i] ? json_string(v[i]) : NULL;
		if (!s || json_array_append_new(a, s)) {
			json_decref(a);
			cl_fail(c, CUSTOS_EINVAL, "list entry %zu is empty or not UTF-8 text",
			        i + 1);
			return NULL;
		}
	}
	if (!a)
		cl_fail(c, CUSTOS_ENOMEM, "out of memory");
	return a;
}

int cl_get_one(struct custos_client *c, const char *collection, const char *what, const char *id,
               char **json)
{
	char path[CL_PATH_MAX];
	int rc;

	if (json)
		*json = NULL;
	if ((rc = cl_need(c, what, id)) ||
	    (rc = cl_path(c, path, sizeof(path), collection, id, NULL)))
		return rc;
	return cl_call_text(c, "GET", path, NULL, json);
}

int cl_get_list(struct custos_client *c, const char *path, char **json)
{
	if (json)
		*json = NULL;
	if (!c)
		return CUSTOS_EINVAL;
	return cl_call_text(c, "GET", path, NULL, json);
}

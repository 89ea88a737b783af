/*
 * platform.c - the helpers the operations of the control plane share:
 * errors, ids, names, records as JSON, request fields, roles.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/time.h"
#include "crypto/rand.h"
#include "platform/platform_int.h"
#include "store/store.h"

int plat_fail(struct plat_error *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return rc;
}

int plat_new_id(const char *prefix, char *out)
{
	uint8_t u[16];
	int rc;

	if (!prefix || !out || strlen(prefix) > PLAT_ID_MAX - 37)
		return CU_EINVAL;
	if ((rc = cr_random(u, sizeof(u))))
		return rc;
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* variant 10 */
	snprintf(out, PLAT_ID_MAX + 1,
	         "%s-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", prefix,
	         u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
	         u[13], u[14], u[15]);
	return 0;
}

int plat_valid_name(const char *s, size_t max)
{
	size_t n;

	if (!s || !(n = strlen(s)) || n > max || s[0] == '-' || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '@' || c == '-'))
			return 0;
	}
	return 1;
}

int plat_get(struct platform *p, const char *table, const char *key, json_t **out,
             uint64_t *version)
{
	uint8_t *v = NULL;
	size_t n = 0;
	json_t *j = NULL;
	int rc;

	*out = NULL;
	if ((rc = st_get(p->st, table, key, &v, &n, version)))
		return rc;
	rc = cu_json_parse(v, n, ST_VALUE_MAX, &j);
	cu_free_secret(v, n);
	if (rc)
		return CU_EFORMAT;
	if (!json_is_object(j)) {
		json_decref(j);
		return CU_EFORMAT;
	}
	*out = j;
	return 0;
}

/* Serialise rec; the bytes may hold secrets (file keys): wiped after use. */
static int dump(const json_t *rec, char **s, size_t *n)
{
	int rc;

	if (!json_is_object(rec))
		return CU_EINVAL;
	if ((rc = cu_json_dump(rec, JSON_COMPACT, s)))
		return rc;
	*n = strlen(*s);
	return 0;
}

int plat_put(struct platform *p, const char *table, const char *key, const json_t *rec)
{
	char *s = NULL;
	size_t n = 0;
	int rc;

	if ((rc = dump(rec, &s, &n)))
		return rc;
	rc = st_put(p->st, table, key, s, n);
	cu_free_secret(s, n);
	return rc;
}

int plat_cas(struct platform *p, const char *table, const char *key, uint64_t version,
             const json_t *rec)
{
	char *s = NULL;
	size_t n = 0;
	int rc;

	if ((rc = dump(rec, &s, &n)))
		return rc;
	rc = st_cas(p->st, table, key, version, s, n, NULL);
	cu_free_secret(s, n);
	return rc;
}

int plat_req_str(const json_t *in, const char *key, size_t max, const char **out,
                 struct plat_error *err)
{
	const json_t *v = json_object_get(in, key);
	size_t n;

	*out = NULL;
	if (!v || json_is_null(v))
		return plat_fail(err, CU_EINVAL, "\"%s\" is missing", key);
	if (!json_is_string(v))
		return plat_fail(err, CU_EFORMAT, "\"%s\" is not a string", key);
	n = json_string_length(v);
	if (n == 0)
		return plat_fail(err, CU_EINVAL, "\"%s\" is empty", key);
	if (n > max)
		return plat_fail(err, CU_ELIMIT, "\"%s\" is longer than %zu bytes", key, max);
	if (memchr(json_string_value(v), '\0', n))
		return plat_fail(err, CU_EFORMAT, "\"%s\" holds a NUL character", key);
	*out = json_string_value(v);
	return 0;
}

int plat_opt_str(const json_t *in, const char *key, size_t max, const char **out,
                 struct plat_error *err)
{
	const json_t *v = json_object_get(in, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	return plat_req_str(in, key, max, out, err);
}

int plat_req_str_list(const json_t *in, const char *key, size_t max, json_t **out,
                      struct plat_error *err)
{
	const json_t *v = json_object_get(in, key), *e;
	json_t *l;
	size_t i;

	*out = NULL;
	if (!v)
		return plat_fail(err, CU_EINVAL, "\"%s\" is missing", key);
	if (!json_is_array(v))
		return plat_fail(err, CU_EFORMAT, "\"%s\" is not a list", key);
	if (json_array_size(v) > PLAT_LIST_MAX)
		return plat_fail(err, CU_ELIMIT, "\"%s\" has more than %d entries", key,
		                 PLAT_LIST_MAX);
	if (!(l = json_array()))
		return CU_ENOMEM;
	json_array_foreach(v, i, e)
	{
		size_t n = json_is_string(e) ? json_string_length(e) : 0;

		if (!json_is_string(e) || !n || n > max || memchr(json_string_value(e), '\0', n)) {
			json_decref(l);
			return plat_fail(err, CU_EFORMAT,
			                 "\"%s\" entry %zu is not a string of 1 to %zu bytes", key,
			                 i, max);
		}
		if (plat_list_has(l, json_string_value(e))) {
			json_decref(l);
			return plat_fail(err, CU_EINVAL, "\"%s\" names \"%s\" twice", key,
			                 json_string_value(e));
		}
		if (json_array_append_new(l, json_string(json_string_value(e)))) {
			json_decref(l);
			return CU_ENOMEM;
		}
	}
	*out = l;
	return 0;
}

int plat_only_keys(const json_t *in, const char *const *allowed, struct plat_error *err)
{
	if (!json_is_object(in))
		return plat_fail(err, CU_EFORMAT, "the request is not a JSON object");
	for (void *it = json_object_iter((json_t *)(uintptr_t)in); it;
	     it = json_object_iter_next((json_t *)(uintptr_t)in, it)) {
		const char *k = json_object_iter_key(it);
		size_t i;

		for (i = 0; allowed[i] && strcmp(allowed[i], k); i++)
			;
		if (!allowed[i])
			return plat_fail(err, CU_EINVAL, "unknown field \"%.64s\"", k);
	}
	return 0;
}

int plat_list_has(const json_t *list, const char *s)
{
	const json_t *e;
	size_t i;

	json_array_foreach(list, i,
	                   e) if (json_is_string(e) && !strcmp(json_string_value(e), s)) return 1;
	return 0;
}

static const char *const role_names[] = {
    [PLAT_ROLE_ADMIN] = "platform-admin",
    [PLAT_ROLE_FUNCTION_OWNER] = "function-owner",
    [PLAT_ROLE_DATA_OWNER] = "data-owner",
    [PLAT_ROLE_DATA_OWNER_MANAGER] = "data-owner-manager",
};

const char *plat_role_name(enum plat_role r)
{
	return r > PLAT_ROLE_NONE && r <= PLAT_ROLE_DATA_OWNER_MANAGER ? role_names[r] : NULL;
}

enum plat_role plat_role_from_name(const char *s)
{
	for (int r = PLAT_ROLE_ADMIN; s && r <= PLAT_ROLE_DATA_OWNER_MANAGER; r++)
		if (!strcmp(s, role_names[r]))
			return (enum plat_role)r;
	return PLAT_ROLE_NONE;
}

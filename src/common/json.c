#include "common/json.h"

#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/mem.h"

/* 1 if brackets outside strings never nest deeper than CU_JSON_MAX_DEPTH. */
static int json_depth_ok(const char *p, size_t len)
{
	int depth = 0, in_str = 0;

	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '[' || c == '{') {
			if (++depth > CU_JSON_MAX_DEPTH)
				return 0;
		} else if (c == ']' || c == '}')
			depth--;
	}
	return 1;
}

int cu_json_parse(const void *buf, size_t len, size_t max, json_t **out)
{
	json_error_t jerr;

	*out = NULL;
	if (len > max)
		return CU_ELIMIT;
	if (!json_depth_ok(buf, len))
		return CU_ELIMIT;
	*out = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	return *out ? 0 : CU_EFORMAT;
}

int cu_json_get_str(const json_t *obj, const char *key, const char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v)
		return CU_ENOTFOUND;
	if (!json_is_string(v))
		return CU_EFORMAT;
	/* Embedded NULs would make C strings lie about their content. */
	if (strlen(json_string_value(v)) != json_string_length(v))
		return CU_EFORMAT;
	*out = json_string_value(v);
	return 0;
}

int cu_json_get_int(const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out)
{
	json_t *v = json_object_get(obj, key);
	json_int_t x;

	*out = 0;
	if (!v)
		return CU_ENOTFOUND;
	if (!json_is_integer(v))
		return CU_EFORMAT;
	x = json_integer_value(v);
	if (x < min || x > max)
		return CU_ELIMIT;
	*out = x;
	return 0;
}

int cu_json_get_bool(const json_t *obj, const char *key, int *out)
{
	json_t *v = json_object_get(obj, key);

	*out = 0;
	if (!v)
		return CU_ENOTFOUND;
	if (!json_is_boolean(v))
		return CU_EFORMAT;
	*out = json_is_true(v);
	return 0;
}

int cu_json_get_hex(const json_t *obj, const char *key, uint8_t *out, size_t n)
{
	const char *s;
	int rc = cu_json_get_str(obj, key, &s);

	if (rc) {
		cu_wipe(out, n);
		return rc;
	}
	return cu_hex_decode_exact(s, out, n);
}

int cu_json_dump(const json_t *v, size_t flags, char **out)
{
	*out = json_dumps(v, flags | JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	return *out ? 0 : CU_ENOMEM;
}

static int set_new(json_t *obj, const char *key, json_t *val)
{
	if (!val)
		return CU_ENOMEM;
	return json_object_set_new(obj, key, val) ? CU_ENOMEM : 0;
}

int cu_json_set_str(json_t *obj, const char *key, const char *val)
{
	return set_new(obj, key, json_string(val));
}

int cu_json_set_int(json_t *obj, const char *key, int64_t val)
{
	return set_new(obj, key, json_integer(val));
}

int cu_json_set_bool(json_t *obj, const char *key, int val)
{
	return set_new(obj, key, json_boolean(val));
}

int cu_json_set_hex(json_t *obj, const char *key, const uint8_t *buf, size_t n)
{
	size_t sz = 2 * n + 1;
	char *hex = malloc(sz);
	int rc;

	if (!hex)
		return CU_ENOMEM;
	cu_hex_encode(buf, n, hex, sz);
	rc = cu_json_set_str(obj, key, hex);
	cu_free_secret(hex, sz);
	return rc;
}

int cu_json_set_b64(json_t *obj, const char *key, const uint8_t *buf, size_t n)
{
	size_t sz = cu_b64_encoded_size(n, CU_B64_STD);
	char *b64;
	int rc;

	if (!sz || !(b64 = malloc(sz)))
		return CU_ENOMEM;
	if (!(rc = cu_b64_encode(buf ? buf : (const uint8_t *)"", n, b64, sz, CU_B64_STD)))
		rc = cu_json_set_str(obj, key, b64);
	cu_free_secret(b64, sz);
	return rc;
}

int cu_json_get_b64(const json_t *obj, const char *key, size_t max, uint8_t **out, size_t *n)
{
	const char *s;
	size_t len, cap, got = 0;
	uint8_t *buf;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = cu_json_get_str(obj, key, &s)))
		return rc;
	len = strlen(s);
	if (len / 4 > max / 3 + 1)
		return CU_ELIMIT;
	if (!len)
		return 0;
	cap = len / 4 * 3 + 3;
	if (!(buf = malloc(cap)))
		return CU_ENOMEM;
	if (cu_b64_decode(s, len, buf, cap, &got, CU_B64_STD)) {
		cu_free_secret(buf, cap);
		return CU_EFORMAT;
	}
	if (got > max) {
		cu_free_secret(buf, cap);
		return CU_ELIMIT;
	}
	*out = buf;
	*n = got;
	return 0;
}

int cu_json_only_keys(const json_t *obj, const char *const *allowed, const char *where,
                      char *reason, size_t sz)
{
	const char *key;
	json_t *v;

	/* jansson's iterator takes a non-const object; it does not modify it. */
	json_object_foreach((json_t *)(uintptr_t)obj, key, v)
	{
		size_t i = 0;
		while (allowed[i] && strcmp(allowed[i], key))
			i++;
		if (!allowed[i])
			return cu_reason(reason, sz, CU_EFORMAT, "unknown key '%.40s' in %s", key,
			                 where);
	}
	return 0;
}

static void wipe_strings(json_t *v, int depth)
{
	const char *k;
	json_t *e;
	size_t i;

	if (!v || v->refcount > 1 || depth > CU_JSON_MAX_DEPTH + 1)
		return;
	if (json_is_string(v)) {
		cu_wipe((char *)(uintptr_t)json_string_value(v), json_string_length(v));
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) wipe_strings(e, depth + 1);
	} else if (json_is_object(v)) {
		json_object_foreach(v, k, e) wipe_strings(e, depth + 1);
	}
}

void cu_json_free_secret(json_t *v)
{
	wipe_strings(v, 0);
	json_decref(v);
}

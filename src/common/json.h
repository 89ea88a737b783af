/*
 * json.h - helpers over jansson for untrusted JSON.
 *
 * cu_json_parse() bounds the input size and nesting depth and rejects
 * duplicate keys and trailing bytes. The getters look up one member of an
 * object, check its type and range, and return CU_ENOTFOUND when it is
 * absent, CU_EFORMAT when it has the wrong type. Returned strings point into
 * the json_t and live as long as it does.
 */
#ifndef CUSTOS_COMMON_JSON_H
#define CUSTOS_COMMON_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define CU_JSON_MAX_DEPTH 32

/* Parse len bytes (at most max) into *out, which the caller frees with json_decref. */
int cu_json_parse(const void *buf, size_t len, size_t max, json_t **out);

int cu_json_get_str(const json_t *obj, const char *key, const char **out);
int cu_json_get_int(const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out);
int cu_json_get_bool(const json_t *obj, const char *key, int *out);

/* A hex member of exactly n bytes into out (wiped on failure). */
int cu_json_get_hex(const json_t *obj, const char *key, uint8_t *out, size_t n);

/*
 * CU_EFORMAT, with a reason naming the key and `where`, when obj has a member
 * whose name is not in the NULL-terminated list allowed.
 */
int cu_json_only_keys(const json_t *obj, const char *const *allowed, const char *where,
                      char *reason, size_t sz);

/*
 * Serialise v compactly (keys in insertion order) into a malloc'd string;
 * *out is NULL on failure. Flags are jansson's, or 0.
 */
int cu_json_dump(const json_t *v, size_t flags, char **out);

/* Set obj[key] to a new string / integer / bool, stealing nothing on failure. */
int cu_json_set_str(json_t *obj, const char *key, const char *val);
int cu_json_set_int(json_t *obj, const char *key, int64_t val);
int cu_json_set_bool(json_t *obj, const char *key, int val);
/* Set obj[key] to the lower-case hex of buf[0..n). */
int cu_json_set_hex(json_t *obj, const char *key, const uint8_t *buf, size_t n);

/* Set obj[key] to the standard base64 of buf[0..n) (buf may be NULL when n is 0). */
int cu_json_set_b64(json_t *obj, const char *key, const uint8_t *buf, size_t n);
/*
 * A standard-base64 member decoded into *out (malloc'd, the caller's; NULL
 * when empty) of at most max bytes: CU_ENOTFOUND, CU_EFORMAT (not a string,
 * not base64), CU_ELIMIT (over max), CU_ENOMEM.
 */
int cu_json_get_b64(const json_t *obj, const char *key, size_t max, uint8_t **out, size_t *n);

/*
 * Release v after overwriting every string it holds (arrays and objects
 * walked; parts still referenced elsewhere are left alone): for requests
 * and responses that may carry passwords or keys. NULL is fine.
 */
void cu_json_free_secret(json_t *v);

#endif

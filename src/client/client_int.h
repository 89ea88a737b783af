/*
 * client_int.h - what the files of libcustos share: the client, one call
 * to the platform with its errors mapped, and request-building helpers.
 */
#ifndef CUSTOS_CLIENT_CLIENT_INT_H
#define CUSTOS_CLIENT_CLIENT_INT_H

#include <jansson.h>
#include <stddef.h>

#include "custos/custos.h"

#define CL_TOKEN_MAX    8192 /* bytes of a token */
#define CL_URL_MAX      2048
#define CL_PATH_MAX     1024                             /* a request path with its query */
#define CL_CALL_MS      ((CUSTOS_WAIT_MAX + 30) * 1000L) /* longer than the longest poll */
#define CL_CONNECT_MS   10000L
#define CL_RESPONSE_MAX (8u << 20) /* a response (lists of many objects) */

struct cl_trust;
struct rpc_client;

struct custos_client {
	struct cl_trust *trust;
	struct rpc_client *rpc;
	char *url;
	char *token;
	char error[CUSTOS_ERROR_MAX];
	int err; /* the code of error */
};

/* Record "code: message" as c's last error and return err (a CUSTOS_E* code). */
int cl_fail(struct custos_client *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The CUSTOS_E* code of an error reply: by the contract's code word, else by HTTP status. */
int cl_map_http(long status, const char *code);

/* The CUSTOS_E* code of an internal CU_E* error. */
int cl_map_cu(int cu_err);

/*
 * One call. body (may be NULL) is borrowed. On a 2xx reply *response (may
 * be NULL: then dropped) receives the JSON object; any other reply, or no
 * reply, is an error recorded in c. Needs a connected client.
 */
int cl_call(struct custos_client *c, const char *method, const char *path, const json_t *body,
            json_t **response);

/* cl_call, then the response as text into *json. */
int cl_call_text(struct custos_client *c, const char *method, const char *path, const json_t *body,
                 char **json);

/* cl_call, then the response's "id" into id (CUSTOS_ID_MAX); json (may be NULL) the text. */
int cl_call_id(struct custos_client *c, const char *method, const char *path, const json_t *body,
               char id[CUSTOS_ID_MAX], char **json);

/*
 * "/v1/PREFIX/ID[SUFFIX]" with ID percent-encoded (one path segment; it
 * must be non-empty and no longer than CUSTOS_ID_MAX - 1).
 */
int cl_path(struct custos_client *c, char *out, size_t outsz, const char *prefix, const char *id,
            const char *suffix);

/* Percent-encode s (RFC 3986: all but unreserved characters); CU_ELIMIT when out is short. */
int cl_pct_encode(const char *s, char *out, size_t outsz);

/* Checks for arguments: non-NULL, non-empty strings. */
int cl_need(struct custos_client *c, const char *what, const char *s);

/*
 * JSON building that records ENOMEM in c. cl_set_new with val NULL (a
 * builder failed, after cl_fail) returns that failure's code.
 */
json_t *cl_obj(struct custos_client *c);
int cl_set_str(struct custos_client *c, json_t *o, const char *key, const char *val);
int cl_set_new(struct custos_client *c, json_t *o, const char *key, json_t *val);
json_t *cl_str_array(struct custos_client *c, const char *const *v, size_t n);

/* GET /v1/COLLECTION/ID (what names the id in errors), or GET path: the reply's text. */
int cl_get_one(struct custos_client *c, const char *collection, const char *what, const char *id,
               char **json);
int cl_get_list(struct custos_client *c, const char *path, char **json);

/* The text of a response (malloc'd) into *out. */
int cl_dump(struct custos_client *c, const json_t *v, char **out);

#endif

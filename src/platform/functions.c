/*
 * functions.c - functions: register, get, list, update, delete, disable;
 * and the check tasks.c makes before a task uses one.
 *
 * Who: function owners and the admin register; the owner and the admin
 * update, delete and disable; the owner, the admin, the allowlisted users
 * and, for a public function, everyone see it. A function the caller may
 * not see is "not found"; one the caller sees but may not change is
 * "forbidden". A wasm payload is kept beside the record (table
 * "function-payloads", same key) with its SHA-256 in the record, so that
 * reading or listing functions never reads payloads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "crypto/hash.h"
#include "functions/functions.h"
#include "platform/objects_int.h"
#include "platform/platform_int.h"
#include "store/store.h"

static const char *const fn_fields[] = {
    "name",    "description", "executor", "builtin", "payload",    "arguments", "inputs",
    "outputs", "public",      "allow",    "quota",   "idempotent", "limits",    NULL};
static const char *const fn_update_fields[] = {
    "id",      "name",   "description", "executor", "builtin",    "payload", "arguments", "inputs",
    "outputs", "public", "allow",       "quota",    "idempotent", "limits",  NULL};
static const char *const id_only[] = {"id", NULL};
static const char *const no_fields[] = {NULL};

/* ---- users named in requests (files.c uses these too: objects_int.h) ---- */

int plat_obj_check_users(struct platform *p, const json_t *list, const char *field,
                         struct plat_error *err)
{
	const json_t *e;
	size_t i;
	int rc;

	json_array_foreach(list, i, e)
	{
		const char *u = json_string_value(e);

		if (!u || !plat_valid_name(u, PLAT_USER_MAX))
			return plat_fail(err, CU_EINVAL, "\"%s\" entry %zu is not a user id", field,
			                 i);
		if ((rc = plat_user_exists(p, u)) < 0)
			return plat_fail(err, rc, "could not read the users: %s", cu_strerror(rc));
		if (!rc)
			return plat_fail(err, CU_EINVAL, "\"%s\": user \"%s\" does not exist",
			                 field, u);
	}
	return 0;
}

void plat_obj_wipe_string(json_t *v)
{
	if (json_is_string(v))
		cu_wipe((char *)(uintptr_t)json_string_value(v), json_string_length(v));
}

/* ---- request fields ---- */

static int nomem(struct plat_error *err)
{
	return plat_fail(err, CU_ENOMEM, "out of memory");
}

/* An optional string of 0..max bytes (empty allowed), NULL when absent or null. */
static int opt_text(const json_t *obj, const char *key, size_t max, const char **out,
                    struct plat_error *err)
{
	const json_t *v = json_object_get(obj, key);
	size_t n;

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return plat_fail(err, CU_EFORMAT, "\"%s\" is not a string", key);
	n = json_string_length(v);
	if (n > max)
		return plat_fail(err, CU_ELIMIT, "\"%s\" is longer than %zu bytes", key, max);
	if (memchr(json_string_value(v), '\0', n))
		return plat_fail(err, CU_EFORMAT, "\"%s\" holds a NUL character", key);
	*out = json_string_value(v);
	return 0;
}

/* An optional boolean: dflt when absent or null. */
static int opt_bool(const json_t *obj, const char *key, int dflt, int *out, struct plat_error *err)
{
	const json_t *v = json_object_get(obj, key);

	*out = dflt;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return plat_fail(err, CU_EFORMAT, "\"%s\" is not true or false", key);
	*out = json_is_true(v);
	return 0;
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Argument, input and output names: [A-Za-z0-9_.-] (the length is checked before). */
static int valid_param_name(const char *s)
{
	for (; *s; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

/* The builtins a record may name: the table of src/functions, which the worker runs. */
static int builtin_known(const char *name)
{
	return fn_find(name) != NULL;
}

/* Put "<key> entry <i>: " before the message err holds, and return rc. */
static int in_entry(struct plat_error *err, int rc, const char *key, size_t i)
{
	char m[PLAT_MESSAGE_MAX];

	if (!err)
		return rc;
	memcpy(m, err->message, sizeof(m));
	m[sizeof(m) - 1] = '\0';
	return plat_fail(err, rc, "\"%s\" entry %zu: %s", key, i, m);
}

static int names_has(const json_t *l, const char *name)
{
	const json_t *e;
	size_t i;

	json_array_foreach(l, i, e)
	{
		if (!strcmp(json_string_value(json_object_get(e, "name")), name))
			return 1;
	}
	return 0;
}

/* One entry of "arguments" (args set) or of "inputs"/"outputs", appended to l normalised. */
static int parse_param(const json_t *e, int args, json_t *l, struct plat_error *err)
{
	static const char *const arg_keys[] = {"name", "default", "overridable", NULL};
	static const char *const io_keys[] = {"name", "description", "optional", NULL};
	const char *name, *text;
	json_t *o;
	int rc, flag;

	if (!json_is_object(e))
		return plat_fail(err, CU_EFORMAT, "not an object");
	if ((rc = plat_only_keys(e, args ? arg_keys : io_keys, err)) ||
	    (rc = plat_req_str(e, "name", PLAT_NAME_MAX, &name, err)))
		return rc;
	if (!valid_param_name(name))
		return plat_fail(err, CU_EINVAL, "\"name\" may hold only A-Z a-z 0-9 _ . -");
	if (names_has(l, name))
		return plat_fail(err, CU_EINVAL, "\"%s\" is named twice", name);
	if (args) {
		if ((rc = opt_text(e, "default", PLAT_TEXT_MAX, &text, err)) ||
		    (rc = opt_bool(e, "overridable", 1, &flag, err)))
			return rc;
		o = json_pack("{s:s, s:s?, s:b}", "name", name, "default", text, "overridable",
		              flag);
	} else {
		if ((rc = opt_text(e, "description", PLAT_TEXT_MAX, &text, err)) ||
		    (rc = opt_bool(e, "optional", 0, &flag, err)))
			return rc;
		o = json_pack("{s:s, s:s, s:b}", "name", name, "description", text ? text : "",
		              "optional", flag);
	}
	if (!o || json_array_append_new(l, o))
		return nomem(err);
	return 0;
}

/* "arguments", "inputs" or "outputs" normalised into *out; NULL when absent or null. */
static int parse_params(const json_t *in, const char *key, int args, json_t **out,
                        struct plat_error *err)
{
	const json_t *v = json_object_get(in, key), *e;
	json_t *l;
	size_t i;
	int rc;

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return plat_fail(err, CU_EFORMAT, "\"%s\" is not a list", key);
	if (json_array_size(v) > PLAT_LIST_MAX)
		return plat_fail(err, CU_ELIMIT, "\"%s\" has more than %d entries", key,
		                 PLAT_LIST_MAX);
	if (!(l = json_array()))
		return nomem(err);
	json_array_foreach(v, i, e)
	{
		if ((rc = parse_param(e, args, l, err))) {
			json_decref(l);
			return in_entry(err, rc, key, i);
		}
	}
	*out = l;
	return 0;
}

/* "payload": base64 of 1..PLAT_PAYLOAD_MAX bytes, decoded into *out (malloc'd). */
static int parse_payload(const json_t *in, uint8_t **out, size_t *outlen, struct plat_error *err)
{
	size_t max = cu_b64_encoded_size(PLAT_PAYLOAD_MAX, CU_B64_STD) - 1, n, cap, got = 0;
	const char *b64;
	uint8_t *buf;
	int rc;

	*out = NULL;
	*outlen = 0;
	rc = plat_opt_str(in, "payload", max, &b64, err);
	if (rc == CU_ELIMIT)
		return plat_fail(err, rc, "\"payload\" is larger than %u bytes", PLAT_PAYLOAD_MAX);
	if (rc || !b64)
		return rc;
	n = strlen(b64);
	cap = n / 4 * 3 + 3;
	if (!(buf = malloc(cap)))
		return nomem(err);
	if (cu_b64_decode(b64, n, buf, cap, &got, CU_B64_STD)) {
		free(buf);
		return plat_fail(err, CU_EFORMAT, "\"payload\" is not base64");
	}
	if (!got || got > PLAT_PAYLOAD_MAX) {
		free(buf);
		return plat_fail(err, got ? CU_ELIMIT : CU_EINVAL,
		                 "\"payload\" must hold 1 to %u bytes", PLAT_PAYLOAD_MAX);
	}
	*out = buf;
	*outlen = got;
	return 0;
}

/* One member of "limits": an integer in min..max, left out when absent. */
static int limit_member(const json_t *lim, const char *key, uint64_t min, uint64_t max, json_t *out,
                        struct plat_error *err)
{
	const json_t *v = json_object_get(lim, key);
	json_int_t n;

	if (!v)
		return 0;
	if (!json_is_integer(v))
		return plat_fail(err, CU_EFORMAT, "\"limits\".\"%s\" is not an integer", key);
	n = json_integer_value(v);
	if (n < 0 || (uint64_t)n < min || (uint64_t)n > max)
		return plat_fail(err, CU_ELIMIT, "\"limits\".\"%s\" must be %llu to %llu", key,
		                 (unsigned long long)min, (unsigned long long)max);
	return json_object_set_new(out, key, json_integer(n)) ? nomem(err) : 0;
}

/*
 * "limits" of a wasm function: {"fuel": instructions, "memory": bytes of
 * linear memory}, each optional (absent: the executor's default), copied
 * into *out; NULL when absent or null.
 */
static int parse_limits(const json_t *in, json_t **out, struct plat_error *err)
{
	static const char *const keys[] = {"fuel", "memory", NULL};
	const json_t *v = json_object_get(in, "limits");
	json_t *l;
	int rc;

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return plat_fail(err, CU_EFORMAT, "\"limits\" is not an object");
	if ((rc = plat_only_keys(v, keys, err)))
		return rc;
	if (!(l = json_object()))
		return nomem(err);
	if ((rc = limit_member(v, "fuel", 1, PLAT_FUEL_MAX, l, err)) ||
	    (rc = limit_member(v, "memory", PLAT_MEMORY_MIN, PLAT_MEMORY_MAX, l, err))) {
		json_decref(l);
		return rc;
	}
	*out = l;
	return 0;
}

/* A function as a request gives it; each member NULL (or unset) when absent. */
struct fn_spec {
	const char *name, *description, *executor, *builtin;
	uint8_t *payload; /* decoded, malloc'd */
	size_t payload_len;
	json_t *arguments, *inputs, *outputs, *allow, *limits; /* normalised, owned */
	int has_public, public_, has_quota;
	int has_idempotent, idempotent;
	int64_t quota;
	int given; /* how many members were given */
};

static void spec_free(struct fn_spec *s)
{
	free(s->payload);
	json_decref(s->arguments);
	json_decref(s->inputs);
	json_decref(s->outputs);
	json_decref(s->allow);
	json_decref(s->limits);
	memset(s, 0, sizeof(*s));
}

static int parse_scalars(const json_t *in, struct fn_spec *s, struct plat_error *err)
{
	const json_t *v;
	int rc;

	if ((rc = plat_opt_str(in, "name", PLAT_NAME_MAX, &s->name, err)) ||
	    (rc = opt_text(in, "description", PLAT_TEXT_MAX, &s->description, err)) ||
	    (rc = plat_opt_str(in, "executor", 16, &s->executor, err)) ||
	    (rc = plat_opt_str(in, "builtin", PLAT_NAME_MAX, &s->builtin, err)))
		return rc;
	if (s->name && has_control(s->name))
		return plat_fail(err, CU_EINVAL, "\"name\" holds a control character");
	if (s->executor && strcmp(s->executor, "builtin") && strcmp(s->executor, "wasm"))
		return plat_fail(err, CU_EINVAL, "\"executor\" must be \"builtin\" or \"wasm\"");
	if (s->builtin && !builtin_known(s->builtin))
		return plat_fail(err, CU_EINVAL, "there is no builtin function \"%.64s\"",
		                 s->builtin);
	if ((v = json_object_get(in, "public")) && !json_is_null(v)) {
		if ((rc = opt_bool(in, "public", 0, &s->public_, err)))
			return rc;
		s->has_public = 1;
	}
	if ((v = json_object_get(in, "idempotent")) && !json_is_null(v)) {
		if ((rc = opt_bool(in, "idempotent", 0, &s->idempotent, err)))
			return rc;
		s->has_idempotent = 1;
	}
	if ((v = json_object_get(in, "quota")) && !json_is_null(v)) {
		if (!json_is_integer(v))
			return plat_fail(err, CU_EFORMAT, "\"quota\" is not an integer");
		if ((s->quota = json_integer_value(v)) < 0)
			return plat_fail(err, CU_EINVAL, "\"quota\" is negative");
		s->has_quota = 1;
	}
	return 0;
}

/* Parse and check every member of a register or update request into s. */
static int parse_spec(struct platform *p, const json_t *in, struct fn_spec *s,
                      struct plat_error *err)
{
	const json_t *v;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = parse_scalars(in, s, err)) ||
	    (rc = parse_payload(in, &s->payload, &s->payload_len, err)) ||
	    (rc = parse_params(in, "arguments", 1, &s->arguments, err)) ||
	    (rc = parse_params(in, "inputs", 0, &s->inputs, err)) ||
	    (rc = parse_params(in, "outputs", 0, &s->outputs, err)) ||
	    (rc = parse_limits(in, &s->limits, err)))
		return rc;
	if ((v = json_object_get(in, "allow")) && !json_is_null(v) &&
	    ((rc = plat_req_str_list(in, "allow", PLAT_USER_MAX, &s->allow, err)) ||
	     (rc = plat_obj_check_users(p, s->allow, "allow", err))))
		return rc;
	s->given = !!s->name + !!s->description + !!s->executor + !!s->builtin + !!s->payload +
	           !!s->arguments + !!s->inputs + !!s->outputs + !!s->allow + !!s->limits +
	           s->has_public + s->has_quota + s->has_idempotent;
	return 0;
}

/* The members of s other than the executor's, set in rec. */
static int spec_apply(json_t *rec, const struct fn_spec *s)
{
	int rc = 0;

	if (s->name)
		rc |= cu_json_set_str(rec, "name", s->name);
	if (s->description)
		rc |= cu_json_set_str(rec, "description", s->description);
	if (s->arguments)
		rc |= json_object_set(rec, "arguments", s->arguments) ? CU_ENOMEM : 0;
	if (s->inputs)
		rc |= json_object_set(rec, "inputs", s->inputs) ? CU_ENOMEM : 0;
	if (s->outputs)
		rc |= json_object_set(rec, "outputs", s->outputs) ? CU_ENOMEM : 0;
	if (s->allow)
		rc |= json_object_set(rec, "allow", s->allow) ? CU_ENOMEM : 0;
	if (s->limits)
		rc |= json_object_set(rec, "limits", s->limits) ? CU_ENOMEM : 0;
	if (s->has_public)
		rc |= cu_json_set_bool(rec, "public", s->public_);
	if (s->has_quota)
		rc |= cu_json_set_int(rec, "quota", s->quota);
	if (s->has_idempotent)
		rc |= cu_json_set_bool(rec, "idempotent", s->idempotent);
	return rc ? CU_ENOMEM : 0;
}

/* Set the executor of rec: a builtin's name, or the SHA-256 of a wasm payload. */
static int set_executor(json_t *rec, const char *builtin, const uint8_t *payload, size_t n)
{
	uint8_t h[CR_SHA256_LEN];
	int rc;

	json_object_del(rec, "builtin");
	json_object_del(rec, "payload_sha256");
	if (builtin) {
		if ((rc = cu_json_set_str(rec, "executor", "builtin")))
			return rc;
		return cu_json_set_str(rec, "builtin", builtin);
	}
	if ((rc = cr_sha256(payload, n, h)) || (rc = cu_json_set_str(rec, "executor", "wasm")))
		return rc;
	return cu_json_set_hex(rec, "payload_sha256", h, sizeof(h));
}

/* ---- records and who may do what ---- */

static const char *rec_str(const json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));

	return s ? s : "";
}

static int is_owner(const json_t *rec, const char *user)
{
	return !strcmp(rec_str(rec, "owner"), user);
}

/* Whether user may name the function in a task: owner, public, allowlisted. */
int plat_function_usable(const json_t *rec, const char *user)
{
	return is_owner(rec, user) || json_is_true(json_object_get(rec, "public")) ||
	       plat_list_has(json_object_get(rec, "allow"), user);
}

static int may_see(const json_t *rec, const struct plat_caller *who)
{
	return who->role == PLAT_ROLE_ADMIN || plat_function_usable(rec, who->user);
}

/*
 * The function id names, when who may see it (CU_ENOTFOUND otherwise) and,
 * with manage set, change it (CU_EPERM otherwise).
 */
static int load(struct platform *p, const struct plat_caller *who, const char *id, int manage,
                json_t **rec, uint64_t *version, struct plat_error *err)
{
	int rc = plat_get(p, PLAT_T_FUNCS, id, rec, version);

	if (rc == CU_ENOTFOUND)
		return plat_fail(err, rc, "function \"%.64s\" not found", id);
	if (rc)
		return plat_fail(err, rc, "could not read function \"%.64s\": %s", id,
		                 cu_strerror(rc));
	if (!may_see(*rec, who))
		rc = plat_fail(err, CU_ENOTFOUND, "function \"%.64s\" not found", id);
	else if (manage && who->role != PLAT_ROLE_ADMIN && !is_owner(*rec, who->user))
		rc = plat_fail(err, CU_EPERM,
		               "only the owner of function \"%.64s\" or the admin may change it",
		               id);
	if (rc) {
		json_decref(*rec);
		*rec = NULL;
	}
	return rc;
}

/* Commit the transaction when rc is 0, else roll it back; the result. */
static int tx_end(struct platform *p, int rc, struct plat_error *err)
{
	if (rc) {
		(void)st_rollback(p->st);
		return rc;
	}
	if ((rc = st_commit(p->st)))
		return plat_fail(err, rc, "could not save the change: %s", cu_strerror(rc));
	return 0;
}

static int tx_begin(struct platform *p, struct plat_error *err)
{
	int rc = st_begin(p->st);

	return rc ? plat_fail(err, rc, "could not start a transaction: %s", cu_strerror(rc)) : 0;
}

static int store_fail(struct plat_error *err, int rc)
{
	return plat_fail(err, rc, "could not write the function: %s", cu_strerror(rc));
}

static int reply_id(const char *id, json_t **out, struct plat_error *err)
{
	return (*out = json_pack("{s:s}", "id", id)) ? 0 : nomem(err);
}

static int check_caller(const struct plat_caller *who, struct plat_error *err)
{
	return who ? 0 : plat_fail(err, CU_EAUTH, "this operation needs a token");
}

/* ---- operations ---- */

/* A new record for s (executor checked) by who under id. */
static int new_record(struct platform *p, const struct plat_caller *who, const char *id,
                      const struct fn_spec *s, json_t **out, struct plat_error *err)
{
	json_int_t now = (json_int_t)p->now();
	json_t *rec;

	*out = NULL;
	rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[], s:[], s:[], s:b, s:[], s:I, s:I, s:b, "
	                "s:I, s:I, s:I}",
	                "id", id, "name", s->name, "description", "", "owner", who->user,
	                "executor", s->executor, "arguments", "inputs", "outputs", "public", 0,
	                "allow", "quota", (json_int_t)0, "uses", (json_int_t)0, "disabled", 0,
	                "revision", (json_int_t)1, "created", now, "updated", now);
	if (!rec || set_executor(rec, s->builtin, s->payload, s->payload_len) ||
	    spec_apply(rec, s)) {
		json_decref(rec);
		return nomem(err);
	}
	*out = rec;
	return 0;
}

/* The executor members agree: a known builtin, or a wasm payload, never both. */
static int check_executor(const struct fn_spec *s, struct plat_error *err)
{
	if (!strcmp(s->executor, "builtin")) {
		if (s->payload)
			return plat_fail(err, CU_EINVAL, "\"payload\" is for wasm functions");
		if (s->limits)
			return plat_fail(err, CU_EINVAL, "\"limits\" are for wasm functions");
		if (!s->builtin)
			return plat_fail(err, CU_EINVAL, "\"builtin\" is missing");
	} else {
		if (s->builtin)
			return plat_fail(err, CU_EINVAL, "\"builtin\" is for builtin functions");
		if (!s->payload)
			return plat_fail(err, CU_EINVAL, "\"payload\" is missing");
	}
	return 0;
}

int op_function_register(struct platform *p, const struct plat_caller *who, const json_t *in,
                         json_t **out, struct plat_error *err)
{
	char id[PLAT_ID_MAX + 1];
	struct fn_spec s;
	json_t *rec = NULL;
	int rc;

	*out = NULL;
	memset(&s, 0, sizeof(s));
	if ((rc = check_caller(who, err)))
		return rc;
	if (who->role != PLAT_ROLE_ADMIN && who->role != PLAT_ROLE_FUNCTION_OWNER)
		return plat_fail(err, CU_EPERM,
		                 "only function owners and the admin may register functions");
	if ((rc = plat_only_keys(in, fn_fields, err)) || (rc = parse_spec(p, in, &s, err)))
		goto out;
	if (!s.name || !s.executor) {
		rc = plat_fail(err, CU_EINVAL, "\"%s\" is missing", s.name ? "executor" : "name");
		goto out;
	}
	if ((rc = check_executor(&s, err)))
		goto out;
	if ((rc = plat_new_id("function", id))) {
		rc = plat_fail(err, rc, "could not make an id: %s", cu_strerror(rc));
		goto out;
	}
	if ((rc = new_record(p, who, id, &s, &rec, err)) || (rc = tx_begin(p, err)))
		goto out;
	if (s.payload && (rc = st_put(p->st, PLAT_T_PAYLOADS, id, s.payload, s.payload_len)))
		rc = store_fail(err, rc);
	else if ((rc = plat_cas(p, PLAT_T_FUNCS, id, 0, rec)))
		rc = store_fail(err, rc);
	if (!(rc = tx_end(p, rc, err)))
		rc = reply_id(id, out, err);
out:
	spec_free(&s);
	json_decref(rec);
	return rc;
}

int op_function_get(struct platform *p, const struct plat_caller *who, const json_t *in,
                    json_t **out, struct plat_error *err)
{
	const char *id;
	int rc;

	*out = NULL;
	if ((rc = check_caller(who, err)) || (rc = plat_only_keys(in, id_only, err)) ||
	    (rc = plat_req_str(in, "id", PLAT_ID_MAX, &id, err)))
		return rc;
	/* The record holds nothing secret: it is the view. */
	return load(p, who, id, 0, out, NULL, err);
}

struct list_ctx {
	const struct plat_caller *who;
	json_t *list;
};

static int list_one(void *arg, const char *key, const uint8_t *val, size_t len, uint64_t version)
{
	struct list_ctx *c = arg;
	json_t *rec = NULL;

	(void)key;
	(void)version;
	if (cu_json_parse(val, len, ST_VALUE_MAX, &rec) || !json_is_object(rec)) {
		json_decref(rec);
		return CU_EFORMAT;
	}
	if (c->who->role != PLAT_ROLE_ADMIN && !is_owner(rec, c->who->user)) {
		json_decref(rec);
		return 0;
	}
	return json_array_append_new(c->list, rec) ? CU_ENOMEM : 0;
}

int op_function_list(struct platform *p, const struct plat_caller *who, const json_t *in,
                     json_t **out, struct plat_error *err)
{
	struct list_ctx c;
	int rc;

	*out = NULL;
	if ((rc = check_caller(who, err)) || (rc = plat_only_keys(in, no_fields, err)))
		return rc;
	c.who = who;
	if (!(c.list = json_array()))
		return nomem(err);
	if ((rc = st_scan(p->st, PLAT_T_FUNCS, NULL, list_one, &c))) {
		json_decref(c.list);
		return plat_fail(err, rc, "could not read the functions: %s", cu_strerror(rc));
	}
	if (!(*out = json_pack("{s:o}", "functions", c.list)))
		return nomem(err);
	return 0;
}

/*
 * The executor of rec after an update by s: the builtin named (or kept),
 * or the payload given (or kept when rec was wasm already). *drop is set
 * when a payload stored before is no longer used.
 */
static int update_executor(json_t *rec, const struct fn_spec *s, int *drop, struct plat_error *err)
{
	const char *was = rec_str(rec, "executor");
	const char *exec = s->executor ? s->executor : was;
	const char *builtin = s->builtin;
	int to_builtin = !strcmp(exec, "builtin"), was_wasm = !strcmp(was, "wasm");

	*drop = 0;
	if (to_builtin) {
		if (s->payload)
			return plat_fail(err, CU_EINVAL, "\"payload\" is for wasm functions");
		if (s->limits)
			return plat_fail(err, CU_EINVAL, "\"limits\" are for wasm functions");
		if (was_wasm)
			json_object_del(rec, "limits");
		if (!builtin && !was_wasm)
			return 0; /* the builtin it names stays */
		if (!builtin)
			return plat_fail(err, CU_EINVAL, "\"builtin\" is missing");
		*drop = was_wasm;
	} else {
		if (builtin)
			return plat_fail(err, CU_EINVAL, "\"builtin\" is for builtin functions");
		if (!s->payload)
			return was_wasm ? 0 : plat_fail(err, CU_EINVAL, "\"payload\" is missing");
	}
	if (set_executor(rec, builtin, s->payload, s->payload_len))
		return nomem(err);
	return 0;
}

int op_function_update(struct platform *p, const struct plat_caller *who, const json_t *in,
                       json_t **out, struct plat_error *err)
{
	const char *id;
	struct fn_spec s;
	json_t *rec = NULL;
	uint64_t version = 0;
	int rc, drop = 0;

	*out = NULL;
	memset(&s, 0, sizeof(s));
	if ((rc = check_caller(who, err)) || (rc = plat_only_keys(in, fn_update_fields, err)) ||
	    (rc = plat_req_str(in, "id", PLAT_ID_MAX, &id, err)) || (rc = tx_begin(p, err)))
		return rc;
	if ((rc = load(p, who, id, 1, &rec, &version, err)) || (rc = parse_spec(p, in, &s, err)))
		goto out;
	if (!s.given) {
		rc = plat_fail(err, CU_EINVAL, "the request changes nothing");
		goto out;
	}
	if ((rc = update_executor(rec, &s, &drop, err)))
		goto out;
	if (spec_apply(rec, &s) ||
	    cu_json_set_int(rec, "revision",
	                    json_integer_value(json_object_get(rec, "revision")) + 1) ||
	    cu_json_set_int(rec, "updated", p->now())) {
		rc = nomem(err);
		goto out;
	}
	if (s.payload && (rc = st_put(p->st, PLAT_T_PAYLOADS, id, s.payload, s.payload_len)))
		rc = store_fail(err, rc);
	else if (drop && (rc = st_delete(p->st, PLAT_T_PAYLOADS, id)) && rc != CU_ENOTFOUND)
		rc = store_fail(err, rc);
	else if ((rc = plat_cas(p, PLAT_T_FUNCS, id, version, rec)))
		rc = store_fail(err, rc);
out:
	if (!(rc = tx_end(p, rc, err)))
		rc = reply_id(id, out, err);
	spec_free(&s);
	json_decref(rec);
	return rc;
}

int op_function_delete(struct platform *p, const struct plat_caller *who, const json_t *in,
                       json_t **out, struct plat_error *err)
{
	const char *id;
	json_t *rec = NULL;
	int rc;

	*out = NULL;
	if ((rc = check_caller(who, err)) || (rc = plat_only_keys(in, id_only, err)) ||
	    (rc = plat_req_str(in, "id", PLAT_ID_MAX, &id, err)) || (rc = tx_begin(p, err)))
		return rc;
	if (!(rc = load(p, who, id, 1, &rec, NULL, err))) {
		if ((rc = st_delete(p->st, PLAT_T_FUNCS, id)))
			rc = store_fail(err, rc);
		else if ((rc = st_delete(p->st, PLAT_T_PAYLOADS, id)) == CU_ENOTFOUND)
			rc = 0;
		else if (rc)
			rc = store_fail(err, rc);
	}
	json_decref(rec);
	if (!(rc = tx_end(p, rc, err)))
		rc = reply_id(id, out, err);
	return rc;
}

int op_function_disable(struct platform *p, const struct plat_caller *who, const json_t *in,
                        json_t **out, struct plat_error *err)
{
	const char *id;
	json_t *rec = NULL;
	uint64_t version = 0;
	int rc;

	*out = NULL;
	if ((rc = check_caller(who, err)) || (rc = plat_only_keys(in, id_only, err)) ||
	    (rc = plat_req_str(in, "id", PLAT_ID_MAX, &id, err)) || (rc = tx_begin(p, err)))
		return rc;
	/* Disabling again is no error: the function stays disabled. */
	if (!(rc = load(p, who, id, 1, &rec, &version, err))) {
		if (cu_json_set_bool(rec, "disabled", 1) ||
		    cu_json_set_int(rec, "updated", p->now()))
			rc = nomem(err);
		else if ((rc = plat_cas(p, PLAT_T_FUNCS, id, version, rec)))
			rc = store_fail(err, rc);
	}
	json_decref(rec);
	if (!(rc = tx_end(p, rc, err)))
		rc = reply_id(id, out, err);
	return rc;
}

int plat_function_for(struct platform *p, const char *user, const char *id, json_t **out,
                      uint64_t *version, struct plat_error *err)
{
	json_t *rec = NULL;
	int rc;

	*out = NULL;
	if (!user || !id || !*id || strlen(id) > PLAT_ID_MAX)
		return plat_fail(err, CU_ENOTFOUND, "function not found");
	if ((rc = plat_get(p, PLAT_T_FUNCS, id, &rec, version)) == CU_ENOTFOUND)
		return plat_fail(err, rc, "function \"%s\" not found", id);
	if (rc)
		return plat_fail(err, rc, "could not read function \"%s\": %s", id,
		                 cu_strerror(rc));
	if (!plat_function_usable(rec, user))
		rc = plat_fail(err, CU_ENOTFOUND, "function \"%s\" not found", id);
	else if (json_is_true(json_object_get(rec, "disabled")))
		rc = plat_fail(err, CU_ESTATE, "the function is disabled");
	if (rc) {
		json_decref(rec);
		return rc;
	}
	*out = rec;
	return 0;
}

/*
 * files.c - files: inputs and outputs registered by their owners, fusion
 * outputs owned by several users with a key made inside the platform, and
 * inputs made from outputs once written.
 *
 * A file is registered by its location and its crypto: the schema, the key
 * (kept in the sealed record, never handed out again) and for the
 * aes-gcm schemas the iv; an input also by the SHA-256 of its (encrypted)
 * content. Only the owners of a file see it; to anyone else it does not
 * exist. Every record read here has its key wiped before it is released.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "crypto/rand.h"
#include "platform/objects_int.h"
#include "platform/platform_int.h"
#include "store/store.h"

#define FILE_KEY_MAX     32 /* bytes of the longest key */
#define FILE_KEY_B64_MAX 64 /* characters of a key's base64 we read at all */
#define FILE_IV_LEN      12
#define FILE_DIGEST_LEN  32 /* SHA-256 */
#define FUSION_SCHEME    "fusion://"

/* URL schemes users may register; fusion:// is the platform's own. */
static const char *const user_schemes[] = {"file://", "http://", "https://", "data:", NULL};

struct schema {
	const char *name;
	size_t key_len;
	int has_iv;
};

static const struct schema schemas[] = {
    {"custos", 32, 0},
    {"aes-gcm-128", 16, 1},
    {"aes-gcm-256", 32, 1},
};

static int nomem(struct plat_error *err)
{
	return plat_fail(err, CU_ENOMEM, "out of memory");
}

static const char *rec_str(const json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));

	return s ? s : "";
}

/* Wipe the key a record holds (unless shared), then release it. rec may be NULL. */
void plat_file_release(json_t *rec)
{
	json_t *crypto = json_object_get(rec, "crypto");

	if (rec && rec->refcount == 1)
		plat_obj_wipe_string(json_object_get(crypto, "key"));
	json_decref(rec);
}

static int may_register(const struct plat_caller *who, struct plat_error *err)
{
	if (!who)
		return plat_fail(err, CU_EAUTH, "this operation needs a token");
	if (who->role != PLAT_ROLE_DATA_OWNER && who->role != PLAT_ROLE_DATA_OWNER_MANAGER)
		return plat_fail(err, CU_EPERM,
		                 "only data owners and data-owner managers may register files");
	return 0;
}

static int is_owner(const json_t *rec, const char *user)
{
	return plat_list_has(json_object_get(rec, "owners"), user);
}

/* ---- request fields ---- */

/* "url": 1..PLAT_URL_MAX bytes, no control character, a scheme users may name. */
static int parse_url(const json_t *in, const char **url, struct plat_error *err)
{
	const char *u;
	int rc;

	if ((rc = plat_req_str(in, "url", PLAT_URL_MAX, url, err)))
		return rc;
	for (u = *url; *u; u++)
		if ((unsigned char)*u < 0x20 || *u == 0x7f)
			return plat_fail(err, CU_EINVAL, "\"url\" holds a control character");
	for (size_t i = 0; user_schemes[i]; i++) {
		size_t n = strlen(user_schemes[i]);

		if (!strncasecmp(*url, user_schemes[i], n) && (*url)[n])
			return 0;
	}
	return plat_fail(err, CU_EINVAL,
	                 "\"url\" must start with file://, http://, https:// or data:");
}

/* Put "crypto: " before the message err holds, and return rc. */
static int in_crypto(struct plat_error *err, int rc)
{
	char m[PLAT_MESSAGE_MAX];

	if (!err)
		return rc;
	memcpy(m, err->message, sizeof(m));
	m[sizeof(m) - 1] = '\0';
	return plat_fail(err, rc, "\"crypto\": %s", m);
}

/* The key: base64 of exactly sc->key_len bytes. The decoded bytes are wiped. */
static int check_key(const json_t *c, const struct schema *sc, const char **key,
                     struct plat_error *err)
{
	uint8_t raw[FILE_KEY_B64_MAX / 4 * 3];
	size_t n = 0;
	int rc;

	if ((rc = plat_req_str(c, "key", FILE_KEY_B64_MAX, key, err)))
		return rc;
	rc = cu_b64_decode(*key, strlen(*key), raw, sizeof(raw), &n, CU_B64_STD);
	cu_wipe(raw, sizeof(raw));
	if (rc)
		return plat_fail(err, CU_EFORMAT, "\"key\" is not base64");
	if (n != sc->key_len)
		return plat_fail(err, CU_EINVAL, "\"key\" of schema %s must be %zu bytes", sc->name,
		                 sc->key_len);
	return 0;
}

/* The iv: 12 bytes in hex for the aes-gcm schemas, absent for custos; lower-cased. */
static int check_iv(const json_t *c, const struct schema *sc, char iv[2 * FILE_IV_LEN + 1],
                    struct plat_error *err)
{
	uint8_t raw[FILE_IV_LEN];
	const char *s;
	int rc;

	iv[0] = '\0';
	if ((rc = plat_opt_str(c, "iv", 2 * FILE_IV_LEN, &s, err)))
		return rc;
	if (!sc->has_iv)
		return s ? plat_fail(err, CU_EINVAL, "schema %s takes no \"iv\"", sc->name) : 0;
	if (!s)
		return plat_fail(err, CU_EINVAL, "\"iv\" is missing");
	if (strlen(s) != 2 * FILE_IV_LEN)
		return plat_fail(err, CU_EINVAL, "\"iv\" must be %d bytes", FILE_IV_LEN);
	if (cu_hex_decode_exact(s, raw, sizeof(raw)))
		return plat_fail(err, CU_EFORMAT, "\"iv\" is not hex");
	return cu_hex_encode(raw, sizeof(raw), iv, 2 * FILE_IV_LEN + 1);
}

/* "crypto": {"schema","key","iv"?} checked into a new object *out. */
static int crypto_fields(const json_t *c, json_t **out, struct plat_error *err)
{
	static const char *const keys[] = {"schema", "key", "iv", NULL};
	char iv[2 * FILE_IV_LEN + 1];
	const struct schema *sc = NULL;
	const char *name, *key;
	int rc;

	if ((rc = plat_only_keys(c, keys, err)) ||
	    (rc = plat_req_str(c, "schema", PLAT_NAME_MAX, &name, err)))
		return rc;
	for (size_t i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++)
		if (!strcmp(schemas[i].name, name))
			sc = &schemas[i];
	if (!sc)
		return plat_fail(err, CU_EINVAL,
		                 "\"schema\" must be custos, aes-gcm-128 or aes-gcm-256");
	if ((rc = check_key(c, sc, &key, err)) || (rc = check_iv(c, sc, iv, err)))
		return rc;
	*out = json_pack("{s:s, s:s}", "schema", sc->name, "key", key);
	if (*out && sc->has_iv && cu_json_set_str(*out, "iv", iv)) {
		plat_file_release(*out);
		*out = NULL;
	}
	return *out ? 0 : nomem(err);
}

static int parse_crypto(const json_t *in, json_t **out, struct plat_error *err)
{
	const json_t *c = json_object_get(in, "crypto");
	int rc;

	*out = NULL;
	if (!c || json_is_null(c))
		return plat_fail(err, CU_EINVAL, "\"crypto\" is missing");
	if (!json_is_object(c))
		return plat_fail(err, CU_EFORMAT, "\"crypto\" is not an object");
	if ((rc = crypto_fields(c, out, err)))
		return rc == CU_ENOMEM ? rc : in_crypto(err, rc);
	return 0;
}

/* "digest": the SHA-256 in hex (64 digits), lower-cased into hex. */
static int parse_digest(const json_t *in, char hex[2 * FILE_DIGEST_LEN + 1], struct plat_error *err)
{
	uint8_t raw[FILE_DIGEST_LEN];
	const char *s;
	int rc;

	if ((rc = plat_req_str(in, "digest", 2 * FILE_DIGEST_LEN, &s, err)))
		return rc;
	if (strlen(s) != 2 * FILE_DIGEST_LEN)
		return plat_fail(err, CU_EINVAL, "\"digest\" must be %d hex digits",
		                 2 * FILE_DIGEST_LEN);
	if (cu_hex_decode_exact(s, raw, sizeof(raw)))
		return plat_fail(err, CU_EFORMAT, "\"digest\" is not hex");
	return cu_hex_encode(raw, sizeof(raw), hex, 2 * FILE_DIGEST_LEN + 1);
}

/* ---- records ---- */

/* A new file record under id, written only when the id is new; *out = {"id"}. */
static int store_file(struct platform *p, const char *id, const char *kind, const char *url,
                      const json_t *crypto, const char *digest, const json_t *owners,
                      const char *from, json_t **out, struct plat_error *err)
{
	json_int_t now = (json_int_t)p->now();
	json_t *rec;
	int rc;

	rec = json_pack("{s:s, s:s, s:s, s:O, s:O, s:s?, s:s?, s:n, s:I, s:I}", "id", id, "kind",
	                kind, "url", url, "owners", owners, "crypto", crypto, "digest", digest,
	                "from", from, "task", "created", now, "updated", now);
	if (!rec)
		return nomem(err);
	rc = plat_cas(p, PLAT_T_FILES, id, 0, rec);
	/* The crypto object is shared with the caller's: the caller wipes it. */
	json_decref(rec);
	if (rc)
		return plat_fail(err, rc, "could not write the file: %s", cu_strerror(rc));
	return (*out = json_pack("{s:s}", "id", id)) ? 0 : nomem(err);
}

static int new_id(char id[PLAT_ID_MAX + 1], struct plat_error *err)
{
	int rc = plat_new_id("file", id);

	return rc ? plat_fail(err, rc, "could not make an id: %s", cu_strerror(rc)) : 0;
}

/* An input (digest set) or an output (digest NULL) registered by its one owner. */
static int register_own(struct platform *p, const struct plat_caller *who, const json_t *in,
                        int input, json_t **out, struct plat_error *err)
{
	static const char *const in_keys[] = {"url", "crypto", "digest", NULL};
	static const char *const out_keys[] = {"url", "crypto", NULL};
	char id[PLAT_ID_MAX + 1], digest[2 * FILE_DIGEST_LEN + 1];
	json_t *crypto = NULL, *owners = NULL;
	const char *url;
	int rc;

	*out = NULL;
	if ((rc = may_register(who, err)) ||
	    (rc = plat_only_keys(in, input ? in_keys : out_keys, err)) ||
	    (rc = parse_url(in, &url, err)) || (rc = parse_crypto(in, &crypto, err)) ||
	    (input && (rc = parse_digest(in, digest, err))) || (rc = new_id(id, err)))
		goto out;
	if (!(owners = json_pack("[s]", who->user))) {
		rc = nomem(err);
		goto out;
	}
	rc = store_file(p, id, input ? "input" : "output", url, crypto, input ? digest : NULL,
	                owners, NULL, out, err);
out:
	json_decref(owners);
	plat_obj_wipe_string(json_object_get(crypto, "key"));
	json_decref(crypto);
	return rc;
}

int op_file_register_input(struct platform *p, const struct plat_caller *who, const json_t *in,
                           json_t **out, struct plat_error *err)
{
	return register_own(p, who, in, 1, out, err);
}

int op_file_register_output(struct platform *p, const struct plat_caller *who, const json_t *in,
                            json_t **out, struct plat_error *err)
{
	return register_own(p, who, in, 0, out, err);
}

/* A custos crypto object with a fresh random key. */
static int fusion_crypto(json_t **out, struct plat_error *err)
{
	uint8_t key[FILE_KEY_MAX];
	char b64[FILE_KEY_B64_MAX + 1];
	int rc;

	*out = NULL;
	if ((rc = cr_random(key, sizeof(key))))
		return plat_fail(err, rc, "could not make a key: %s", cu_strerror(rc));
	rc = cu_b64_encode(key, sizeof(key), b64, sizeof(b64), CU_B64_STD);
	cu_wipe(key, sizeof(key));
	if (!rc && !(*out = json_pack("{s:s, s:s}", "schema", "custos", "key", b64)))
		rc = CU_ENOMEM;
	cu_wipe(b64, sizeof(b64));
	return rc ? plat_fail(err, rc, "could not make a key: %s", cu_strerror(rc)) : 0;
}

int op_file_register_fusion(struct platform *p, const struct plat_caller *who, const json_t *in,
                            json_t **out, struct plat_error *err)
{
	static const char *const keys[] = {"owners", NULL};
	char id[PLAT_ID_MAX + 1], url[sizeof(FUSION_SCHEME) + PLAT_ID_MAX];
	json_t *owners = NULL, *crypto = NULL;
	int rc;

	*out = NULL;
	if ((rc = may_register(who, err)) || (rc = plat_only_keys(in, keys, err)) ||
	    (rc = plat_req_str_list(in, "owners", PLAT_USER_MAX, &owners, err)))
		goto out;
	if (json_array_size(owners) < 2)
		rc = plat_fail(err, CU_EINVAL, "a fusion file has at least two \"owners\"");
	else if (!plat_list_has(owners, who->user))
		rc = plat_fail(err, CU_EINVAL, "\"owners\" must include the caller");
	if (rc || (rc = plat_obj_check_users(p, owners, "owners", err)) || (rc = new_id(id, err)) ||
	    (rc = fusion_crypto(&crypto, err)))
		goto out;
	snprintf(url, sizeof(url), "%s%s", FUSION_SCHEME, id);
	rc = store_file(p, id, "fusion", url, crypto, NULL, owners, NULL, out, err);
out:
	json_decref(owners);
	plat_obj_wipe_string(json_object_get(crypto, "key"));
	json_decref(crypto);
	return rc;
}

/* The file id names when user owns it; CU_ENOTFOUND otherwise. */
static int load_owned(struct platform *p, const char *user, const char *id, json_t **rec,
                      struct plat_error *err)
{
	int rc = plat_file_get(p, id, rec, NULL);

	if (rc && rc != CU_ENOTFOUND)
		return plat_fail(err, rc, "could not read file \"%.64s\": %s", id, cu_strerror(rc));
	if (!rc && !is_owner(*rec, user)) {
		plat_file_release(*rec);
		*rec = NULL;
		rc = CU_ENOTFOUND;
	}
	return rc ? plat_fail(err, rc, "file \"%.64s\" not found", id) : 0;
}

int op_file_register_from_output(struct platform *p, const struct plat_caller *who,
                                 const json_t *in, json_t **out, struct plat_error *err)
{
	static const char *const keys[] = {"output", NULL};
	char id[PLAT_ID_MAX + 1];
	const char *src, *kind;
	json_t *rec = NULL;
	int rc;

	*out = NULL;
	if ((rc = may_register(who, err)) || (rc = plat_only_keys(in, keys, err)) ||
	    (rc = plat_req_str(in, "output", PLAT_ID_MAX, &src, err)) ||
	    (rc = load_owned(p, who->user, src, &rec, err)))
		goto out;
	kind = rec_str(rec, "kind");
	if (strcmp(kind, "output") && strcmp(kind, "fusion"))
		rc = plat_fail(err, CU_EINVAL, "file \"%s\" is not an output", src);
	else if (!json_is_string(json_object_get(rec, "digest")))
		rc = plat_fail(err, CU_ESTATE, "the output has not been written");
	if (rc || (rc = new_id(id, err)))
		goto out;
	rc = store_file(p, id, "input", rec_str(rec, "url"), json_object_get(rec, "crypto"),
	                rec_str(rec, "digest"), json_object_get(rec, "owners"), src, out, err);
out:
	plat_file_release(rec);
	return rc;
}

/* What file.get shows of a record: never the key nor the iv. */
static json_t *file_view(const json_t *rec)
{
	return json_pack("{s:s, s:s, s:s, s:O?, s:s, s:O?, s:O?, s:O?, s:O?}", "id",
	                 rec_str(rec, "id"), "kind", rec_str(rec, "kind"), "url",
	                 rec_str(rec, "url"), "owners", json_object_get(rec, "owners"), "schema",
	                 rec_str(json_object_get(rec, "crypto"), "schema"), "digest",
	                 json_object_get(rec, "digest"), "from", json_object_get(rec, "from"),
	                 "task", json_object_get(rec, "task"), "created",
	                 json_object_get(rec, "created"));
}

int op_file_get(struct platform *p, const struct plat_caller *who, const json_t *in, json_t **out,
                struct plat_error *err)
{
	static const char *const keys[] = {"id", NULL};
	const char *id;
	json_t *rec = NULL;
	int rc;

	*out = NULL;
	if (!who)
		return plat_fail(err, CU_EAUTH, "this operation needs a token");
	if ((rc = plat_only_keys(in, keys, err)) ||
	    (rc = plat_req_str(in, "id", PLAT_ID_MAX, &id, err)) ||
	    (rc = load_owned(p, who->user, id, &rec, err)))
		return rc;
	if (!(*out = file_view(rec)))
		rc = nomem(err);
	plat_file_release(rec);
	return rc;
}

struct list_ctx {
	const char *user;
	json_t *list;
};

static int list_one(void *arg, const char *key, const uint8_t *val, size_t len, uint64_t version)
{
	struct list_ctx *c = arg;
	json_t *rec = NULL, *view;
	int rc = 0;

	(void)key;
	(void)version;
	if (cu_json_parse(val, len, ST_VALUE_MAX, &rec) || !json_is_object(rec))
		rc = CU_EFORMAT;
	else if (is_owner(rec, c->user) &&
	         (!(view = file_view(rec)) || json_array_append_new(c->list, view)))
		rc = CU_ENOMEM;
	plat_file_release(rec);
	return rc;
}

int op_file_list(struct platform *p, const struct plat_caller *who, const json_t *in, json_t **out,
                 struct plat_error *err)
{
	static const char *const keys[] = {NULL};
	struct list_ctx c;
	int rc;

	*out = NULL;
	if (!who)
		return plat_fail(err, CU_EAUTH, "this operation needs a token");
	if ((rc = plat_only_keys(in, keys, err)))
		return rc;
	c.user = who->user;
	if (!(c.list = json_array()))
		return nomem(err);
	/* Keys are ids: the scan visits them in order. */
	if ((rc = st_scan(p->st, PLAT_T_FILES, NULL, list_one, &c))) {
		json_decref(c.list);
		return plat_fail(err, rc, "could not read the files: %s", cu_strerror(rc));
	}
	return (*out = json_pack("{s:o}", "files", c.list)) ? 0 : nomem(err);
}

int plat_file_get(struct platform *p, const char *id, json_t **out, uint64_t *version)
{
	*out = NULL;
	if (!p || !id || !*id || strlen(id) > PLAT_ID_MAX)
		return CU_ENOTFOUND;
	return plat_get(p, PLAT_T_FILES, id, out, version);
}

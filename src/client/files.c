/* files.c - the files calls of the API. */
#include <ctype.h>
#include <string.h>

#include "client/client_int.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "efile/efile.h"
#include "efile/keyfile.h"

/* {"schema","key": base64,"iv"?: hex}; the key's text is wiped with the request. */
static json_t *crypto_json(struct custos_client *c, const struct custos_crypto *k)
{
	char b64[64], ivhex[2 * CUSTOS_IV_LEN + 1];
	enum ef_format f = k && k->schema ? ef_format_from_name(k->schema) : 0;
	json_t *o;

	if (!f)
		return cl_fail(c, CUSTOS_EINVAL,
		               "the schema is custos, aes-gcm-128 or aes-gcm-256"),
		       NULL;
	if (!k->key || k->key_len != ef_format_key_len(f))
		return cl_fail(c, CUSTOS_EINVAL, "a %s key is %zu bytes", k->schema,
		               ef_format_key_len(f)),
		       NULL;
	if (f == EF_FORMAT_CUSTOS && k->iv)
		return cl_fail(c, CUSTOS_EINVAL, "the custos schema takes no IV"), NULL;
	if (!(o = cl_obj(c)))
		return NULL;
	if (cu_b64_encode(k->key, k->key_len, b64, sizeof(b64), CU_B64_STD) ||
	    cl_set_str(c, o, "schema", k->schema) || cl_set_str(c, o, "key", b64) ||
	    (k->iv && (cu_hex_encode(k->iv, CUSTOS_IV_LEN, ivhex, sizeof(ivhex)) ||
	               cl_set_str(c, o, "iv", ivhex)))) {
		cu_wipe(b64, sizeof(b64));
		cu_json_free_secret(o);
		return c->err ? NULL : (cl_fail(c, CUSTOS_ENOMEM, "out of memory"), NULL);
	}
	cu_wipe(b64, sizeof(b64));
	return o;
}

/* A hex SHA-256 (either case), sent in lower case. */
static int digest_ok(struct custos_client *c, const char *d, char out[CUSTOS_DIGEST_HEXLEN + 1])
{
	if (!d || strlen(d) != CUSTOS_DIGEST_HEXLEN)
		return cl_fail(c, CUSTOS_EINVAL, "the digest is %d hex digits (SHA-256)",
		               CUSTOS_DIGEST_HEXLEN);
	for (size_t i = 0; i < CUSTOS_DIGEST_HEXLEN; i++) {
		if (!isxdigit((unsigned char)d[i]))
			return cl_fail(c, CUSTOS_EINVAL, "the digest is %d hex digits (SHA-256)",
			               CUSTOS_DIGEST_HEXLEN);
		out[i] = (char)tolower((unsigned char)d[i]);
	}
	out[CUSTOS_DIGEST_HEXLEN] = 0;
	return 0;
}

static int register_file(struct custos_client *c, const char *path, const char *url,
                         const struct custos_crypto *k, const char *digest, char id[CUSTOS_ID_MAX])
{
	char d[CUSTOS_DIGEST_HEXLEN + 1];
	json_t *req;
	int rc;

	if (id)
		memset(id, 0, CUSTOS_ID_MAX);
	if ((rc = cl_need(c, "url", url)) || (digest && (rc = digest_ok(c, digest, d))))
		return rc;
	if (!(req = cl_obj(c)))
		return CUSTOS_ENOMEM;
	if (!(rc = cl_set_str(c, req, "url", url)) &&
	    !(rc = cl_set_new(c, req, "crypto", crypto_json(c, k))) &&
	    !(rc = digest ? cl_set_str(c, req, "digest", d) : 0))
		rc = cl_call_id(c, "POST", path, req, id, NULL);
	cu_json_free_secret(req);
	return rc;
}

int custos_file_register_input(struct custos_client *c, const char *url,
                               const struct custos_crypto *crypto, const char *digest,
                               char id[CUSTOS_ID_MAX])
{
	int rc;

	if ((rc = cl_need(c, "digest", digest)))
		return rc;
	return register_file(c, "/v1/files/input", url, crypto, digest, id);
}

int custos_file_register_output(struct custos_client *c, const char *url,
                                const struct custos_crypto *crypto, char id[CUSTOS_ID_MAX])
{
	return register_file(c, "/v1/files/output", url, crypto, NULL, id);
}

int custos_file_register_fusion(struct custos_client *c, const char *const *owners, size_t nowners,
                                char id[CUSTOS_ID_MAX])
{
	json_t *req;
	int rc;

	if (id)
		memset(id, 0, CUSTOS_ID_MAX);
	if (!c)
		return CUSTOS_EINVAL;
	if (nowners < 2)
		return cl_fail(c, CUSTOS_EINVAL, "a fusion file has at least two owners");
	if (!(req = cl_obj(c)))
		return CUSTOS_ENOMEM;
	if (!(rc = cl_set_new(c, req, "owners", cl_str_array(c, owners, nowners))))
		rc = cl_call_id(c, "POST", "/v1/files/fusion", req, id, NULL);
	json_decref(req);
	return rc;
}

int custos_file_register_from_output(struct custos_client *c, const char *output_id,
                                     char id[CUSTOS_ID_MAX])
{
	json_t *req;
	int rc;

	if (id)
		memset(id, 0, CUSTOS_ID_MAX);
	if ((rc = cl_need(c, "output id", output_id)))
		return rc;
	if (!(req = cl_obj(c)))
		return CUSTOS_ENOMEM;
	if (!(rc = cl_set_str(c, req, "output", output_id)))
		rc = cl_call_id(c, "POST", "/v1/files/input-from-output", req, id, NULL);
	json_decref(req);
	return rc;
}

int custos_file_get(struct custos_client *c, const char *id, char **json)
{
	return cl_get_one(c, "files", "file id", id, json);
}

int custos_file_list(struct custos_client *c, char **json)
{
	return cl_get_list(c, "/v1/files", json);
}

/* Load a key file into k (wiped by the caller). */
static int load_key(struct custos_client *c, const char *keyfile, struct ef_key *k)
{
	int rc;

	if ((rc = cl_need(c, "key file", keyfile)))
		return rc;
	rc = ef_key_load(keyfile, k);
	if (rc == CU_ENOTFOUND || rc == CU_EIO || rc == CU_ELIMIT)
		return cl_fail(c, CUSTOS_EIO, "cannot read key file %s: %s", keyfile,
		               rc == CU_ENOTFOUND ? "no such file" : cu_strerror(rc));
	if (rc)
		return cl_fail(c, CUSTOS_EINVAL, "%s is not a valid key file: %s", keyfile,
		               cu_strerror(rc));
	return 0;
}

int custos_file_register_input_keyfile(struct custos_client *c, const char *url,
                                       const char *keyfile, const char *iv_hex, const char *digest,
                                       char id[CUSTOS_ID_MAX])
{
	uint8_t iv[CUSTOS_IV_LEN];
	struct custos_crypto k = {0};
	struct ef_key key;
	int rc;

	if (id)
		memset(id, 0, CUSTOS_ID_MAX);
	if ((rc = load_key(c, keyfile, &key)))
		return rc;
	k = (struct custos_crypto){
	    .schema = ef_format_name(key.format), .key = key.key, .key_len = key.key_len};
	if (key.format == EF_FORMAT_CUSTOS && iv_hex)
		rc = cl_fail(c, CUSTOS_EINVAL, "an IV applies to aes-gcm keys only");
	else if (key.format != EF_FORMAT_CUSTOS &&
	         (!iv_hex || cu_hex_decode_exact(iv_hex, iv, sizeof(iv))))
		rc = cl_fail(c, CUSTOS_EINVAL, "an %s file needs its IV: %d hex digits",
		             ef_format_name(key.format), 2 * CUSTOS_IV_LEN);
	else if (key.format != EF_FORMAT_CUSTOS)
		k.iv = iv;
	if (!rc)
		rc = custos_file_register_input(c, url, &k, digest, id);
	ef_key_wipe(&key);
	return rc;
}

int custos_file_register_output_keyfile(struct custos_client *c, const char *url,
                                        const char *keyfile, char id[CUSTOS_ID_MAX])
{
	struct custos_crypto k;
	struct ef_key key;
	int rc;

	if (id)
		memset(id, 0, CUSTOS_ID_MAX);
	if ((rc = load_key(c, keyfile, &key)))
		return rc;
	k = (struct custos_crypto){
	    .schema = ef_format_name(key.format), .key = key.key, .key_len = key.key_len};
	rc = custos_file_register_output(c, url, &k, id);
	ef_key_wipe(&key);
	return rc;
}

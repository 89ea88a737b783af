/* Data-file keys in JSON key files. */
#include "efile/keyfile.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/file.h"
#include "common/json.h"
#include "common/mem.h"
#include "crypto/rand.h"

static int set_id(struct ef_key *k, const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n > EF_KEY_ID_MAX)
		return CU_ELIMIT;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f)
			return CU_EFORMAT;
	memcpy(k->id, id ? id : "", n);
	k->id[n] = 0;
	return 0;
}

int ef_key_parse(const uint8_t *buf, size_t len, struct ef_key *k)
{
	json_t *root = NULL;
	const char *alg, *hex, *id = NULL, *name;
	json_t *v;
	int64_t ver;
	size_t got;
	int rc;

	memset(k, 0, sizeof(*k));
	if ((rc = cu_json_parse(buf, len, EF_KEYFILE_MAX, &root)))
		return rc;
	rc = CU_EFORMAT;
	if (!json_is_object(root))
		goto out;
	json_object_foreach(root, name, v)
	{
		if (strcmp(name, "custos_key") && strcmp(name, "algorithm") &&
		    strcmp(name, "key") && strcmp(name, "id"))
			goto out;
	}
	if (cu_json_get_int(root, "custos_key", 1, 1, &ver) ||
	    cu_json_get_str(root, "algorithm", &alg) || cu_json_get_str(root, "key", &hex))
		goto out;
	if (json_object_get(root, "id") && cu_json_get_str(root, "id", &id))
		goto out;
	k->format = ef_format_from_name(alg);
	if (!k->format) {
		rc = CU_EUNSUPPORTED;
		goto out;
	}
	k->key_len = ef_format_key_len(k->format);
	if (strlen(hex) != 2 * k->key_len) {
		rc = CU_EKEY;
		goto out;
	}
	if ((rc = cu_hex_decode(hex, strlen(hex), k->key, sizeof(k->key), &got)) ||
	    (rc = set_id(k, id)))
		goto out;
	rc = 0;
out:
	if (root) {
		/* The key's hex lives in jansson's string until freed: wipe it. */
		json_t *kv = json_object_get(root, "key");
		if (json_is_string(kv))
			cu_wipe((void *)(uintptr_t)json_string_value(kv), json_string_length(kv));
		json_decref(root);
	}
	if (rc)
		ef_key_wipe(k);
	return rc;
}

int ef_key_load(const char *path, struct ef_key *k)
{
	uint8_t *buf;
	size_t len;
	int rc = cu_file_read(path, EF_KEYFILE_MAX, &buf, &len);

	memset(k, 0, sizeof(*k));
	if (rc)
		return rc;
	rc = ef_key_parse(buf, len, k);
	cu_free_secret(buf, len);
	return rc;
}

int ef_key_generate(enum ef_format f, const char *id, struct ef_key *k)
{
	int rc;

	memset(k, 0, sizeof(*k));
	if (!ef_format_key_len(f))
		return CU_EINVAL;
	k->format = f;
	k->key_len = ef_format_key_len(f);
	if ((rc = set_id(k, id)) || (rc = cr_random(k->key, k->key_len)))
		ef_key_wipe(k);
	return rc;
}

int ef_key_from_hex(enum ef_format f, const char *hex, const char *id, struct ef_key *k)
{
	size_t got;
	int rc;

	memset(k, 0, sizeof(*k));
	if (!ef_format_key_len(f))
		return CU_EINVAL;
	k->format = f;
	k->key_len = ef_format_key_len(f);
	if (strlen(hex) != 2 * k->key_len)
		rc = CU_EKEY;
	else if (!(rc = cu_hex_decode(hex, strlen(hex), k->key, k->key_len, &got)))
		rc = set_id(k, id);
	if (rc)
		ef_key_wipe(k);
	return rc;
}

int ef_key_serialize(const struct ef_key *k, char **out)
{
	char hex[65];
	json_t *o = json_object();
	int rc = CU_ENOMEM;

	*out = NULL;
	if (!o)
		return rc;
	cu_hex_encode(k->key, k->key_len, hex, sizeof(hex));
	if (!cu_json_set_int(o, "custos_key", 1) &&
	    !cu_json_set_str(o, "algorithm", ef_format_name(k->format)) &&
	    !cu_json_set_str(o, "key", hex) && (!k->id[0] || !cu_json_set_str(o, "id", k->id))) {
		*out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		rc = *out ? 0 : CU_ENOMEM;
	}
	cu_wipe(hex, sizeof(hex));
	{
		json_t *kv = json_object_get(o, "key");
		if (json_is_string(kv))
			cu_wipe((void *)(uintptr_t)json_string_value(kv), json_string_length(kv));
	}
	json_decref(o);
	return rc;
}

int ef_key_save(const struct ef_key *k, const char *path, int overwrite)
{
	char *text;
	size_t n;
	int rc;

	if (!overwrite && access(path, F_OK) == 0)
		return CU_EEXISTS;
	if ((rc = ef_key_serialize(k, &text)))
		return rc;
	n = strlen(text);
	text[n] = '\n'; /* json_dumps leaves room: replace NUL by newline, write n+1 */
	rc = cu_file_write_atomic(path, text, n + 1, 0600);
	cu_free_secret(text, n + 1);
	return rc;
}

void ef_key_wipe(struct ef_key *k)
{
	cu_wipe(k, sizeof(*k));
}

/* manifest.c - the platform manifest document: parsing and writing. */
#include "tee/manifest.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "common/time.h"
#include "crypto/hash.h"

static int parse_name(const json_t *doc, struct tee_manifest *m, char *reason, size_t sz)
{
	const char *s;
	size_t n;

	if (cu_json_get_str(doc, "name", &s))
		return cu_reason(reason, sz, CU_EFORMAT,
		                 "manifest name is missing or not a string");
	n = strlen(s);
	if (n == 0 || n > TEE_MANIFEST_NAME_MAX)
		return cu_reason(reason, sz, CU_EFORMAT, "manifest name must have 1..%d characters",
		                 TEE_MANIFEST_NAME_MAX);
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return cu_reason(reason, sz, CU_EFORMAT,
			                 "manifest name must be printable ASCII");
	memcpy(m->name, s, n + 1);
	return 0;
}

/* SHA-256 of the DER inside one PEM block (a certificate or a public key). */
int tee_manifest_sim_root_digest(const char *pem, size_t n, uint8_t out[static 32])
{
	BIO *bio;
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long derlen = 0;
	int rc = CU_EFORMAT;

	if (n == 0 || n > TEE_MANIFEST_SIM_ROOT_MAX)
		return CU_EFORMAT;
	if (!(bio = BIO_new_mem_buf(pem, (int)n)))
		return CU_ENOMEM;
	if (PEM_read_bio(bio, &name, &header, &der, &derlen) == 1 && derlen > 0 &&
	    (!strcmp(name, "CERTIFICATE") || !strcmp(name, "PUBLIC KEY")))
		rc = cr_sha256(der, (size_t)derlen, out);
	ERR_clear_error();
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	return rc;
}

static int parse_sim_root(const json_t *v, struct tee_manifest *m, char *reason, size_t sz)
{
	static const char *const keys[] = {"sha256", "pem", NULL};
	const char *pem;
	int rc;

	if (!json_is_object(v) || json_object_size(v) != 1)
		return cu_reason(reason, sz, CU_EFORMAT,
		                 "simulation_root must be an object with one of sha256 or pem");
	if ((rc = cu_json_only_keys(v, keys, "simulation_root", reason, sz)))
		return rc;
	if (json_object_get(v, "sha256")) {
		if (cu_json_get_hex(v, "sha256", m->sim_root_sha256, 32))
			return cu_reason(reason, sz, CU_EFORMAT,
			                 "simulation_root.sha256 must be the hex of 32 bytes");
	} else if (cu_json_get_str(v, "pem", &pem) ||
	           tee_manifest_sim_root_digest(pem, strlen(pem), m->sim_root_sha256)) {
		return cu_reason(reason, sz, CU_EFORMAT,
		                 "simulation_root.pem must be one PEM certificate or public key");
	}
	m->has_sim_root = 1;
	return 0;
}

static int any_simulation(const struct tee_policy *p)
{
	for (size_t i = 0; i < p->role_count; i++)
		if (p->roles[i].rules.allow_simulation)
			return 1;
	return 0;
}

static int parse_doc(const json_t *doc, struct tee_manifest *m, char *reason, size_t sz)
{
	static const char *const keys[] = {"version",         "name", "created", "roles",
	                                   "simulation_root", NULL};
	const json_t *sim;
	const char *created;
	int64_t version;
	int rc;

	if (!json_is_object(doc))
		return cu_reason(reason, sz, CU_EFORMAT, "manifest is not a JSON object");
	if ((rc = cu_json_only_keys(doc, keys, "the manifest", reason, sz)))
		return rc;
	if (cu_json_get_int(doc, "version", 0, INT32_MAX, &version))
		return cu_reason(reason, sz, CU_EFORMAT,
		                 "manifest version is missing or not an integer");
	if (version != TEE_MANIFEST_VERSION)
		return cu_reason(reason, sz, CU_EUNSUPPORTED,
		                 "manifest version %lld is not supported", (long long)version);
	m->version = (unsigned)version;
	if ((rc = parse_name(doc, m, reason, sz)))
		return rc;
	if (cu_json_get_str(doc, "created", &created) || cu_time_parse(created, &m->created))
		return cu_reason(reason, sz, CU_EFORMAT,
		                 "manifest created is not an RFC 3339 time");
	if ((rc =
	         tee_policy_roles_from_json(json_object_get(doc, "roles"), &m->policy, reason, sz)))
		return rc;
	sim = json_object_get(doc, "simulation_root");
	if (!sim != !any_simulation(&m->policy))
		return cu_reason(
		    reason, sz, CU_EFORMAT,
		    "simulation_root is required exactly when a role allows simulation");
	return sim ? parse_sim_root(sim, m, reason, sz) : 0;
}

int tee_manifest_parse(const void *buf, size_t len, struct tee_manifest *out, char *reason,
                       size_t reasonsz)
{
	json_t *doc = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (reason && reasonsz)
		reason[0] = '\0';
	if ((rc = cu_json_parse(buf, len, TEE_MANIFEST_MAX_LEN, &doc))) {
		cu_reason(reason, reasonsz, rc, "manifest is not valid JSON (or exceeds %d bytes)",
		          TEE_MANIFEST_MAX_LEN);
		goto out;
	}
	rc = parse_doc(doc, out, reason, reasonsz);
out:
	json_decref(doc);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

static json_t *manifest_json(const struct tee_manifest *m)
{
	json_t *doc = json_object(), *sim = NULL;
	char created[32];

	if (!doc || cu_time_format(m->created, created, sizeof(created)))
		goto fail;
	if (cu_json_set_int(doc, "version", m->version) || cu_json_set_str(doc, "name", m->name) ||
	    cu_json_set_str(doc, "created", created) ||
	    json_object_set_new(doc, "roles", tee_policy_roles_to_json(&m->policy)))
		goto fail;
	if (m->has_sim_root) {
		/* json_object_set_new steals sim even when it fails. */
		if (!(sim = json_object()) || json_object_set_new(doc, "simulation_root", sim) ||
		    cu_json_set_hex(sim, "sha256", m->sim_root_sha256, 32))
			goto fail;
	}
	return doc;
fail:
	json_decref(doc);
	return NULL;
}

int tee_manifest_to_json(const struct tee_manifest *m, char **out, size_t *len)
{
	json_t *doc = manifest_json(m);
	char *s;
	size_t n;

	*out = NULL;
	*len = 0;
	if (!doc)
		return CU_ENOMEM;
	s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!s)
		return CU_ENOMEM;
	n = strlen(s);
	*out = malloc(n + 2);
	if (*out)
		memcpy(*out, s, n);
	free(s);
	if (!*out)
		return CU_ENOMEM;
	(*out)[n] = '\n';
	(*out)[n + 1] = '\0';
	*len = n + 1;
	return 0;
}

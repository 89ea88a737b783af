/*
 * manifest_sig.c - detached auditor signatures over a manifest's exact
 * bytes, and the k-of-n decision (docs/manifest.md, "Signatures").
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "tee/manifest.h"

#define NOTE_LEN 256
#define B64_MAX  (((CR_SIG_MAX_LEN + 2) / 3) * 4)

struct sigfile {
	enum cr_key_type alg;
	uint8_t key_id[TEE_MANIFEST_KEY_ID_LEN];
	uint8_t sig[CR_SIG_MAX_LEN];
	size_t siglen;
};

struct auditor {
	uint8_t id[TEE_MANIFEST_KEY_ID_LEN];
	EVP_PKEY *key; /* borrowed from the caller's list */
	size_t first_index;
	int signed_it;
};

static int alg_ok(enum cr_key_type t)
{
	return t == CR_KEY_ED25519 || t == CR_KEY_P256;
}

int tee_manifest_key_id(EVP_PKEY *k, uint8_t id[static TEE_MANIFEST_KEY_ID_LEN])
{
	uint8_t *der = NULL;
	size_t n = 0;
	int rc = cr_pkey_spki_der(k, &der, &n);

	if (!rc)
		rc = cr_sha256(der, n, id);
	free(der);
	return rc;
}

/* The signer's key id, from "key_id" or from the PEM in "public_key". */
static int sigfile_key(const json_t *o, struct sigfile *sf, char *why, size_t wsz)
{
	const char *pem;
	EVP_PKEY *k = NULL;
	int has_pub = json_object_get(o, "public_key") != NULL;
	int rc;

	if (has_pub == (json_object_get(o, "key_id") != NULL))
		return cu_reason(why, wsz, CU_EFORMAT,
		                 "needs exactly one of public_key and key_id");
	if (!has_pub) {
		if (cu_json_get_hex(o, "key_id", sf->key_id, sizeof(sf->key_id)))
			return cu_reason(why, wsz, CU_EFORMAT, "key_id is not the hex of 32 bytes");
		return 0;
	}
	if (cu_json_get_str(o, "public_key", &pem) || cr_pkey_from_pem(pem, strlen(pem), 0, &k))
		return cu_reason(why, wsz, CU_EFORMAT, "public_key is not a PEM public key");
	if (cr_pkey_type(k) != sf->alg)
		rc = cu_reason(why, wsz, CU_EKEY, "public_key is not an %s key",
		               cr_key_type_name(sf->alg));
	else
		rc = tee_manifest_key_id(k, sf->key_id);
	EVP_PKEY_free(k);
	return rc;
}

static int parse_sigfile(const uint8_t *data, size_t len, struct sigfile *sf, char *why, size_t wsz)
{
	json_t *o = NULL;
	const char *s;
	const char *key;
	json_t *v;
	int rc;

	memset(sf, 0, sizeof(*sf));
	if ((rc = cu_json_parse(data, len, TEE_MANIFEST_SIG_MAX_LEN, &o)) || !json_is_object(o)) {
		rc = cu_reason(why, wsz, CU_EFORMAT, "not a JSON object");
		goto out;
	}
	json_object_foreach(o, key, v)
	{
		if (strcmp(key, "algorithm") && strcmp(key, "public_key") &&
		    strcmp(key, "key_id") && strcmp(key, "signature")) {
			rc = cu_reason(why, wsz, CU_EFORMAT, "unknown key '%.40s'", key);
			goto out;
		}
	}
	if (cu_json_get_str(o, "algorithm", &s) || !alg_ok(sf->alg = cr_key_type_from_name(s))) {
		rc = cu_reason(why, wsz, CU_EUNSUPPORTED, "algorithm is not ed25519 or ecdsa-p256");
		goto out;
	}
	if ((rc = sigfile_key(o, sf, why, wsz)))
		goto out;
	if (cu_json_get_str(o, "signature", &s) || strlen(s) > B64_MAX ||
	    cu_b64_decode(s, strlen(s), sf->sig, sizeof(sf->sig), &sf->siglen, CU_B64_STD) ||
	    sf->siglen != cr_sig_len(sf->alg)) {
		rc = cu_reason(why, wsz, CU_EFORMAT, "signature is not base64 of %zu bytes",
		               cr_sig_len(sf->alg));
		goto out;
	}
out:
	json_decref(o);
	return rc;
}

/* The distinct trusted auditors; a key listed twice is one auditor. */
static int load_auditors(EVP_PKEY *const *trusted, size_t ntrusted, struct auditor *a, size_t *na,
                         char *reason, size_t sz)
{
	uint8_t id[TEE_MANIFEST_KEY_ID_LEN];
	size_t j;
	int rc;

	*na = 0;
	if (ntrusted > TEE_MANIFEST_MAX_AUDITORS)
		return cu_reason(reason, sz, CU_ELIMIT, "more than %d trusted auditor keys",
		                 TEE_MANIFEST_MAX_AUDITORS);
	for (size_t i = 0; i < ntrusted; i++) {
		if (!trusted[i] || !alg_ok(cr_pkey_type(trusted[i])))
			return cu_reason(reason, sz, CU_EKEY,
			                 "trusted auditor key %zu is not Ed25519 or ECDSA P-256",
			                 i);
		if ((rc = tee_manifest_key_id(trusted[i], id)))
			return cu_reason(reason, sz, rc,
			                 "trusted auditor key %zu cannot be encoded", i);
		for (j = 0; j < *na && memcmp(a[j].id, id, sizeof(id)); j++)
			;
		if (j < *na)
			continue;
		memcpy(a[j].id, id, sizeof(id));
		a[j].key = trusted[i];
		a[j].first_index = i;
		a[j].signed_it = 0;
		(*na)++;
	}
	return 0;
}

/* Does signature file i count? *why says why not. */
static void count_one(const uint8_t *manifest, size_t len, const struct tee_manifest_sig *sig,
                      struct auditor *a, size_t na, char *why, size_t wsz)
{
	struct sigfile sf;
	size_t j;

	if (!sig->data || sig->len > TEE_MANIFEST_SIG_MAX_LEN) {
		cu_reason(why, wsz, CU_ELIMIT, "empty or larger than %d bytes",
		          TEE_MANIFEST_SIG_MAX_LEN);
		return;
	}
	if (parse_sigfile(sig->data, sig->len, &sf, why, wsz))
		return;
	for (j = 0; j < na && memcmp(a[j].id, sf.key_id, sizeof(sf.key_id)); j++)
		;
	if (j == na)
		cu_reason(why, wsz, CU_EUNTRUSTED, "signed by a key that is not a trusted auditor");
	else if (cr_pkey_type(a[j].key) != sf.alg)
		cu_reason(why, wsz, CU_EKEY, "algorithm %s does not match the auditor's %s key",
		          cr_key_type_name(sf.alg), cr_key_type_name(cr_pkey_type(a[j].key)));
	else if (cr_verify(a[j].key, manifest, len, sf.sig, sf.siglen))
		cu_reason(why, wsz, CU_EAUTH, "does not verify over these manifest bytes");
	else
		a[j].signed_it = 1;
}

static void fill_signers(const struct auditor *a, size_t na, struct tee_manifest_signers *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t j = 0; j < na; j++)
		if (a[j].signed_it) {
			memcpy(s->key_id[s->count], a[j].id, TEE_MANIFEST_KEY_ID_LEN);
			s->trusted_index[s->count++] = a[j].first_index;
		}
}

int tee_manifest_check_signatures(const uint8_t *manifest, size_t len,
                                  const struct tee_manifest_sig *sigs, size_t nsigs,
                                  EVP_PKEY *const *trusted, size_t ntrusted, size_t k,
                                  struct tee_manifest_signers *signers, char *reason,
                                  size_t reasonsz)
{
	struct auditor a[TEE_MANIFEST_MAX_AUDITORS];
	struct tee_manifest_signers local;
	char why[NOTE_LEN], first[NOTE_LEN + 32] = "";
	size_t na;
	int rc;

	signers = signers ? signers : &local;
	memset(signers, 0, sizeof(*signers));
	if (reason && reasonsz)
		reason[0] = '\0';
	if (k == 0)
		return cu_reason(reason, reasonsz, CU_EINVAL, "the threshold must be at least 1");
	if (nsigs > TEE_MANIFEST_MAX_SIGS)
		return cu_reason(reason, reasonsz, CU_ELIMIT, "more than %d signatures",
		                 TEE_MANIFEST_MAX_SIGS);
	if ((!manifest && len) || (!sigs && nsigs) || (!trusted && ntrusted))
		return cu_reason(reason, reasonsz, CU_EINVAL,
		                 "missing manifest, signatures or keys");
	if ((rc = load_auditors(trusted, ntrusted, a, &na, reason, reasonsz)))
		return rc;
	if (k > na)
		return cu_reason(reason, reasonsz, CU_EINVAL,
		                 "threshold %zu exceeds the %zu distinct trusted auditors", k, na);
	if (nsigs == 0)
		snprintf(first, sizeof(first), "no signatures were given");
	for (size_t i = 0; i < nsigs; i++) {
		why[0] = '\0';
		count_one(manifest, len, &sigs[i], a, na, why, sizeof(why));
		if (why[0] && !first[0]) /* the first reason a signature did not count */
			snprintf(first, sizeof(first), "signature %zu: %s", i + 1, why);
	}
	fill_signers(a, na, signers);
	if (signers->count >= k)
		return cu_reason(reason, reasonsz, 0,
		                 "%zu distinct trusted auditors signed (%zu needed)",
		                 signers->count, k);
	return cu_reason(reason, reasonsz, CU_EAUTH,
	                 "%zu of the %zu required distinct trusted auditors signed%s%s",
	                 signers->count, k, first[0] ? "; " : "", first);
}

int tee_manifest_verify(const uint8_t *manifest, size_t len, const struct tee_manifest_sig *sigs,
                        size_t nsigs, EVP_PKEY *const *trusted, size_t ntrusted, size_t k,
                        struct tee_manifest *out, struct tee_manifest_signers *signers,
                        char *reason, size_t reasonsz)
{
	int rc = tee_manifest_check_signatures(manifest, len, sigs, nsigs, trusted, ntrusted, k,
	                                       signers, reason, reasonsz);

	memset(out, 0, sizeof(*out));
	if (rc)
		return rc;
	return tee_manifest_parse(manifest, len, out, reason, reasonsz);
}

static int sigfile_json(EVP_PKEY *key, const uint8_t *sig, size_t siglen, char **out,
                        size_t *outlen)
{
	char b64[B64_MAX + 1], *pem = NULL, *s = NULL;
	size_t pemlen;
	json_t *o = json_object();
	int rc = CU_ENOMEM;

	if (!o || (rc = cr_pkey_to_pem(key, 0, &pem, &pemlen)) ||
	    (rc = cu_b64_encode(sig, siglen, b64, sizeof(b64), CU_B64_STD)))
		goto out;
	rc = CU_ENOMEM;
	if (cu_json_set_str(o, "algorithm", cr_key_type_name(cr_pkey_type(key))) ||
	    cu_json_set_str(o, "public_key", pem) || cu_json_set_str(o, "signature", b64) ||
	    !(s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER)))
		goto out;
	*outlen = strlen(s) + 1;
	if (!(*out = realloc(s, *outlen + 1)))
		goto out;
	s = NULL;
	(*out)[*outlen - 1] = '\n';
	(*out)[*outlen] = '\0';
	rc = 0;
out:
	free(s);
	free(pem);
	json_decref(o);
	return rc;
}

int tee_manifest_sign(const uint8_t *manifest, size_t len, EVP_PKEY *key, char **out,
                      size_t *outlen)
{
	uint8_t sig[CR_SIG_MAX_LEN];
	size_t siglen;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (!key || !alg_ok(cr_pkey_type(key)))
		return CU_EKEY;
	if ((rc = cr_sign(key, manifest, len, sig, &siglen)))
		return rc;
	return sigfile_json(key, sig, siglen, out, outlen);
}

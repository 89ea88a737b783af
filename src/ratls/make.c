/*
 * make.c - make RA-TLS certificates: a fresh P-256 key, the DICE claims
 * that bind it, evidence from the TEE over their hash, and a self-signed
 * X.509 certificate carrying both (see ratls.h and docs/ratls.md).
 */
#include <cbor.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "ratls/internal.h"
#include "tee/tee.h"

#define DICE_OID      "2.23.133.5.4.9"
#define SUBJECT_CN    "custos"
#define CLOCK_SKEW    60 /* seconds of notBefore in the past */
#define SERIAL_LEN    16
#define HASH_ALG_SHA2 1 /* named-information hash algorithm sha-256 */

struct ratls_identity {
	EVP_PKEY *key;
	X509 *cert;
	int64_t not_before;
	int64_t not_after;
	int64_t made; /* when the lifetime started: renewal counts from here */
};

/* CBOR bytes of item into a malloc'd buffer. */
static int serialize(cbor_item_t *item, uint8_t **out, size_t *len)
{
	unsigned char *buf = NULL;
	size_t cap = 0;

	*len = item ? cbor_serialize_alloc(item, &buf, &cap) : 0;
	if (!*len) {
		free(buf);
		return CU_ENOMEM;
	}
	*out = buf;
	return 0;
}

/* {"pubkey-hash": bstr(CBOR [1, SHA-256(SPKI)])}, as Gramine and the CCC format write it. */
int ratls_report_data(const EVP_PKEY *key, uint8_t **claims, size_t *claims_len,
                      uint8_t report_data[static TEE_REPORT_DATA_LEN])
{
	cbor_item_t *arr = NULL, *map = NULL, *k = NULL, *v = NULL, *alg = NULL, *h = NULL;
	uint8_t md[32], *spki = NULL, *inner = NULL;
	size_t inner_len = 0;
	int n, rc = CU_ENOMEM;

	*claims = NULL;
	*claims_len = 0;
	memset(report_data, 0, TEE_REPORT_DATA_LEN);
	if ((n = ratls_spki_der(key, &spki)) <= 0) {
		OPENSSL_free(spki);
		ERR_clear_error();
		return CU_EKEY;
	}
	if ((rc = cr_sha256(spki, (size_t)n, md)))
		goto out;
	rc = CU_ENOMEM;
	if (!(arr = cbor_new_definite_array(2)) || !(alg = cbor_build_uint8(HASH_ALG_SHA2)) ||
	    !(h = cbor_build_bytestring(md, sizeof(md))) || !cbor_array_push(arr, alg) ||
	    !cbor_array_push(arr, h) || serialize(arr, &inner, &inner_len))
		goto out;
	if (!(map = cbor_new_definite_map(1)) || !(k = cbor_build_string("pubkey-hash")) ||
	    !(v = cbor_build_bytestring(inner, inner_len)) ||
	    !cbor_map_add(map, (struct cbor_pair){.key = k, .value = v}) ||
	    serialize(map, claims, claims_len))
		goto out;
	rc = cr_sha256(*claims, *claims_len, report_data);
out:
	if (rc) {
		free(*claims);
		*claims = NULL;
		*claims_len = 0;
	}
	free(inner);
	OPENSSL_free(spki);
	for (cbor_item_t **it = (cbor_item_t *[]){arr, map, k, v, alg, h}, **e = it + 6; it < e;
	     it++)
		if (*it)
			cbor_decref(it);
	return rc;
}

/* The DICE extension's value: tag(kind) [evidence, claims(, endorsement)]. */
static int dice_value(uint64_t kind, const uint8_t *ev, size_t evlen, const uint8_t *claims,
                      size_t clen, const uint8_t *end, size_t endlen, uint8_t **out, size_t *len)
{
	cbor_item_t *arr = cbor_new_definite_array(end ? 3 : 2), *tag = NULL, *a = NULL, *b = NULL,
	            *c = NULL;
	int rc = CU_ENOMEM;

	if (arr && (a = cbor_build_bytestring(ev, evlen)) &&
	    (b = cbor_build_bytestring(claims, clen)) && cbor_array_push(arr, a) &&
	    cbor_array_push(arr, b) &&
	    (!end || ((c = cbor_build_bytestring(end, endlen)) && cbor_array_push(arr, c))) &&
	    (tag = cbor_build_tag(kind, arr)))
		rc = serialize(tag, out, len);
	for (cbor_item_t **it = (cbor_item_t *[]){arr, tag, a, b, c}, **e = it + 5; it < e; it++)
		if (*it)
			cbor_decref(it);
	return rc;
}

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (!(e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)))
		return CU_ECRYPTO;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : CU_ECRYPTO;
}

static int add_dice(X509 *x, const uint8_t *val, size_t len)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(DICE_OID, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e = NULL;
	int rc = CU_ECRYPTO;

	if (obj && os && ASN1_OCTET_STRING_set(os, val, (int)len) &&
	    (e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) && X509_add_ext(x, e, -1))
		rc = 0;
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	return rc;
}

static int set_names_and_serial(X509 *x)
{
	uint8_t serial[SERIAL_LEN];
	X509_NAME *name = X509_get_subject_name(x);
	BIGNUM *bn = NULL;
	int ok;

	if (RAND_bytes(serial, sizeof(serial)) != 1)
		return CU_ECRYPTO;
	serial[0] &= 0x7f; /* positive */
	serial[0] |= 0x40; /* and of full length */
	ok = (bn = BN_bin2bn(serial, sizeof(serial), NULL)) &&
	     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)SUBJECT_CN,
	                                -1, -1, 0) &&
	     X509_set_issuer_name(x, name);
	BN_free(bn);
	return ok ? 0 : CU_ECRYPTO;
}

int ratls_cert_build(EVP_PKEY *key, const EVP_PKEY *key_for_evidence, uint64_t kind,
                     const uint8_t *evidence, size_t evlen, const uint8_t *endorsement,
                     size_t endlen, int64_t not_before, int64_t not_after, X509 **out)
{
	uint8_t *claims = NULL, *val = NULL, rd[TEE_REPORT_DATA_LEN];
	size_t clen = 0, vlen = 0;
	X509 *x = NULL;
	int rc;

	*out = NULL;
	if (!key || !evidence || !evlen || !ratls_kind_of_tag(kind) || not_after < not_before ||
	    (endorsement && (!endlen || endlen > RATLS_ENDORSEMENT_MAX)))
		return CU_EINVAL;
	if ((rc = ratls_report_data(key_for_evidence ? key_for_evidence : key, &claims, &clen,
	                            rd)) ||
	    (rc =
	         dice_value(kind, evidence, evlen, claims, clen, endorsement, endlen, &val, &vlen)))
		goto out;
	rc = CU_ECRYPTO;
	if (!(x = X509_new()) || !X509_set_version(x, 2) || set_names_and_serial(x) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after) || !X509_set_pubkey(x, key) ||
	    add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext(x, NID_key_usage, "critical,digitalSignature") ||
	    add_ext(x, NID_ext_key_usage, "serverAuth,clientAuth") || add_dice(x, val, vlen) ||
	    !X509_sign(x, key, EVP_sha256()))
		goto out;
	*out = x;
	x = NULL;
	rc = 0;
out:
	X509_free(x);
	free(claims);
	free(val);
	ERR_clear_error();
	return rc;
}

int ratls_identity_new(struct tee *tee, int64_t now, int64_t lifetime, struct ratls_identity **out)
{
	struct ratls_identity *id;
	uint8_t *claims = NULL, *ev = NULL, *end = NULL, rd[TEE_REPORT_DATA_LEN];
	size_t clen = 0, evlen = 0, endlen = 0;
	uint64_t kind;
	int rc;

	*out = NULL;
	if (!tee || lifetime <= 0 || lifetime > RATLS_LIFETIME_MAX)
		return CU_EINVAL;
	switch (tee_get_type(tee)) {
	case TEE_SGX:
	case TEE_TDX:
		kind = RATLS_TAG_INTEL_QUOTE;
		break;
	case TEE_SEV_SNP:
		kind = RATLS_TAG_SEV_SNP;
		break;
	case TEE_SIM:
		kind = RATLS_TAG_CUSTOS_SIM;
		break;
	default:
		return CU_EUNSUPPORTED;
	}
	if (!(id = calloc(1, sizeof(*id))))
		return CU_ENOMEM;
	id->not_before = now - CLOCK_SKEW;
	id->not_after = now + lifetime;
	id->made = now;
	if ((rc = cr_pkey_generate(CR_KEY_P256, &id->key)) ||
	    (rc = ratls_report_data(id->key, &claims, &clen, rd)) ||
	    (rc = tee_get_evidence(tee, rd, &ev, &evlen)))
		goto out;
	rc = tee_get_endorsement(tee, &end, &endlen);
	if (rc && rc != CU_ENOTFOUND)
		goto out;
	rc = ratls_cert_build(id->key, NULL, kind, ev, evlen, end, endlen, id->not_before,
	                      id->not_after, &id->cert);
out:
	free(claims);
	free(ev);
	free(end);
	if (rc)
		ratls_identity_free(id);
	else
		*out = id;
	return rc;
}

int ratls_identity_wrap(EVP_PKEY *key, X509 *cert, struct ratls_identity **out)
{
	struct ratls_identity *id;
	int ok1, ok2;

	*out = NULL;
	if (!key || !cert)
		return CU_EINVAL;
	if (X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		return CU_EKEY;
	}
	if (!(id = calloc(1, sizeof(*id))))
		return CU_ENOMEM;
	id->not_before = ratls_asn1_time(X509_get0_notBefore(cert), &ok1);
	id->not_after = ratls_asn1_time(X509_get0_notAfter(cert), &ok2);
	id->made = id->not_before;
	if (!ok1 || !ok2) {
		free(id);
		return CU_EFORMAT;
	}
	EVP_PKEY_up_ref(key);
	X509_up_ref(cert);
	id->key = key;
	id->cert = cert;
	*out = id;
	return 0;
}

void ratls_identity_free(struct ratls_identity *id)
{
	if (!id)
		return;
	EVP_PKEY_free(id->key);
	X509_free(id->cert);
	free(id);
}

X509 *ratls_identity_cert(const struct ratls_identity *id)
{
	return id->cert;
}

EVP_PKEY *ratls_identity_key(const struct ratls_identity *id)
{
	return id->key;
}

int64_t ratls_identity_not_after(const struct ratls_identity *id)
{
	return id->not_after;
}

int64_t ratls_identity_renew_at(const struct ratls_identity *id)
{
	return id->made + (id->not_after - id->made) * 2 / 3;
}

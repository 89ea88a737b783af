/*
 * sim_issue.c - the issuer side of simulated evidence: the simulated root
 * and attestation certificates, and signed evidence. Used by custos-simtee
 * and by tests; a verifier never needs it.
 */
#include <openssl/core_names.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "crypto/rand.h"
#include "tee/sim.h"

#define SIM_SERIAL_LEN 16

static int set_serial(X509 *x)
{
	uint8_t s[SIM_SERIAL_LEN];
	BIGNUM *bn;
	int ok;

	if (cr_random(s, sizeof(s)))
		return CU_ECRYPTO;
	s[0] = (uint8_t)((s[0] & 0x7f) | 0x40); /* positive, full length */
	if (!(bn = BN_bin2bn(s, sizeof(s), NULL)))
		return CU_ENOMEM;
	ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok ? 0 : CU_ECRYPTO;
}

static int set_name(X509 *x, const char *cn, int is_issuer_too)
{
	X509_NAME *n = X509_get_subject_name(x);

	if (!X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Custos", -1,
	                                -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
	                                0))
		return CU_ECRYPTO;
	if (is_issuer_too && !X509_set_issuer_name(x, n))
		return CU_ECRYPTO;
	return 0;
}

static int set_window(X509 *x, int64_t not_before, int64_t not_after)
{
	if (not_before > not_after)
		return CU_EINVAL;
	if (!ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after))
		return CU_ECRYPTO;
	return 0;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if (!(ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)))
		return CU_ECRYPTO;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : CU_ECRYPTO;
}

/* A v3 certificate for key's public half, with serial, names and validity, not yet signed. */
static int cert_skeleton(EVP_PKEY *key, const char *cn, X509 *issuer, int64_t not_before,
                         int64_t not_after, X509 **out)
{
	X509 *x = X509_new();
	int rc = CU_ENOMEM;

	*out = NULL;
	if (!x)
		return rc;
	rc = CU_ECRYPTO;
	if (!X509_set_version(x, X509_VERSION_3) || !X509_set_pubkey(x, key))
		goto out;
	if ((rc = set_serial(x)) || (rc = set_window(x, not_before, not_after)) ||
	    (rc = set_name(x, cn, issuer == NULL)))
		goto out;
	rc = CU_ECRYPTO;
	if (issuer && !X509_set_issuer_name(x, X509_get_subject_name(issuer)))
		goto out;
	rc = 0;
out:
	if (rc)
		X509_free(x);
	else
		*out = x;
	return rc;
}

int sim_root_cert_new(EVP_PKEY *key, int64_t not_before, int64_t not_after, X509 **out)
{
	X509 *x = NULL;
	int rc;

	*out = NULL;
	if (cr_pkey_type(key) != CR_KEY_P256)
		return CU_EINVAL;
	if ((rc = cert_skeleton(key, SIM_ROOT_CN, NULL, not_before, not_after, &x)))
		return rc;
	if ((rc = add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0")) ||
	    (rc = add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign")) ||
	    (rc = add_ext(x, x, NID_subject_key_identifier, "hash")) ||
	    (rc = add_ext(x, x, NID_authority_key_identifier, "keyid:always")))
		goto out;
	rc = X509_sign(x, key, EVP_sha256()) > 0 ? 0 : CU_ECRYPTO;
out:
	if (rc)
		X509_free(x);
	else
		*out = x;
	return rc;
}

int sim_attest_cert_new(EVP_PKEY *root_key, X509 *root, EVP_PKEY *attest_key, int64_t not_before,
                        int64_t not_after, uint8_t **der, size_t *derlen)
{
	unsigned char *d = NULL;
	X509 *x = NULL;
	int n, rc;

	*der = NULL;
	*derlen = 0;
	if (cr_pkey_type(attest_key) != CR_KEY_P256 || !root || !root_key)
		return CU_EINVAL;
	if ((rc = cert_skeleton(attest_key, SIM_ATTEST_CN, root, not_before, not_after, &x)))
		return rc;
	if ((rc = add_ext(x, root, NID_basic_constraints, "critical,CA:FALSE")) ||
	    (rc = add_ext(x, root, NID_key_usage, "critical,digitalSignature")) ||
	    (rc = add_ext(x, root, NID_subject_key_identifier, "hash")) ||
	    (rc = add_ext(x, root, NID_authority_key_identifier, "keyid:always")))
		goto out;
	rc = CU_ECRYPTO;
	if (X509_sign(x, root_key, EVP_sha256()) <= 0 || (n = i2d_X509(x, &d)) <= 0)
		goto out;
	rc = CU_ELIMIT;
	if ((size_t)n > SIM_CERT_MAX)
		goto out;
	rc = CU_ENOMEM;
	if (!(*der = cu_memdup(d, (size_t)n)))
		goto out;
	*derlen = (size_t)n;
	rc = 0;
out:
	OPENSSL_free(d);
	X509_free(x);
	return rc;
}

/* x||y of a P-256 key. */
static int pub_xy(EVP_PKEY *k, uint8_t xy[static SIM_PUBKEY_LEN])
{
	uint8_t point[1 + SIM_PUBKEY_LEN];
	size_t n = 0;

	if (cr_pkey_type(k) != CR_KEY_P256 ||
	    EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &n) !=
	        1 ||
	    n != sizeof(point) || point[0] != 0x04)
		return CU_EINVAL;
	memcpy(xy, point + 1, SIM_PUBKEY_LEN);
	return 0;
}

static void put_u16le(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32le(uint8_t *p, uint32_t v)
{
	put_u16le(p, (uint16_t)v);
	put_u16le(p + 2, (uint16_t)(v >> 16));
}

int sim_evidence_build(const uint8_t measurement[static SIM_MEASUREMENT_LEN],
                       const uint8_t platform_id[static SIM_PLATFORM_ID_LEN],
                       const uint8_t report_data[static SIM_REPORT_DATA_LEN], EVP_PKEY *attest_key,
                       const uint8_t *cert_der, size_t cert_len, uint8_t **out, size_t *outlen)
{
	size_t total = SIM_FIXED_LEN + cert_len + SIM_SIG_LEN, siglen = 0;
	uint8_t *b, *p;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (!cert_der || cert_len == 0 || cert_len > SIM_CERT_MAX)
		return CU_EINVAL;
	if (!(b = calloc(1, total)))
		return CU_ENOMEM;
	memcpy(b, SIM_MAGIC, SIM_MAGIC_LEN);
	put_u16le(b + 4, SIM_VERSION);
	put_u32le(b + 8, SIM_FLAG_INSECURE_SIMULATION);
	memcpy(b + 12, measurement, SIM_MEASUREMENT_LEN);
	memcpy(b + 60, platform_id, SIM_PLATFORM_ID_LEN);
	memcpy(b + 76, report_data, SIM_REPORT_DATA_LEN);
	if ((rc = pub_xy(attest_key, b + 140)))
		goto out;
	put_u16le(b + 204, (uint16_t)cert_len);
	memcpy(b + SIM_FIXED_LEN, cert_der, cert_len);
	p = b + SIM_FIXED_LEN + cert_len;
	if ((rc = cr_sign(attest_key, b, SIM_FIXED_LEN + cert_len, p, &siglen)))
		goto out;
	if (siglen != SIM_SIG_LEN) {
		rc = CU_ECRYPTO;
		goto out;
	}
	*out = b;
	*outlen = total;
	b = NULL;
out:
	free(b);
	return rc;
}

int sim_platform_id(X509 *root, uint8_t id[static SIM_PLATFORM_ID_LEN])
{
	uint8_t h[CR_SHA256_LEN];
	unsigned char *der = NULL;
	int n, rc;

	if ((n = i2d_PUBKEY(X509_get0_pubkey(root), &der)) <= 0)
		return CU_EINVAL;
	rc = cr_sha256(der, (size_t)n, h);
	OPENSSL_free(der);
	if (!rc)
		memcpy(id, h, SIM_PLATFORM_ID_LEN);
	return rc;
}

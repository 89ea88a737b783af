/*
 * test_ratls_cert.c - RA-TLS certificate inspection against the certificates
 * of the CCC interoperability tests (shared/testdata/attestation/README.md),
 * and certificates derived from them that must be refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/err.h"
#include "common/file.h"
#include "common/time.h"
#include "crypto/pkey.h"
#include "ratls/ratls.h"

#define RATLS_DIR CUSTOS_SHARED_DIR "/testdata/attestation/ratls/"

static int64_t t_of(const char *s)
{
	int64_t t = 0;

	assert_int_equal(cu_time_parse(s, &t), 0);
	return t;
}

static X509 *load_pem(const char *name)
{
	char path[512];
	FILE *f;
	X509 *x;

	snprintf(path, sizeof(path), "%s%s", RATLS_DIR, name);
	f = fopen(path, "r");
	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

static size_t to_der(const X509 *x, uint8_t **der)
{
	int n;

	*der = NULL;
	n = i2d_X509(x, der);
	assert_true(n > 0);
	return (size_t)n;
}

/* A copy of x with a fresh P-256 key, signed by it: the extensions stay. */
static X509 *resign(const X509 *x)
{
	X509 *y = X509_dup(x);
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(y);
	assert_non_null(k);
	assert_int_equal(X509_set_pubkey(y, k), 1);
	assert_true(X509_sign(y, k, EVP_sha256()) > 0);
	EVP_PKEY_free(k);
	return y;
}

struct good {
	const char *file;
	const char *at;
	unsigned exts;
};

static void test_good_certs(void **state)
{
	static const struct good vecs[] = {
	    {"gramine-cert.pem", "2025-07-01T00:00:00Z", RATLS_EXT_DICE | RATLS_EXT_GRAMINE_LEGACY},
	    {"intel-sgxsdk-cert.pem", "2025-07-01T00:00:00Z", RATLS_EXT_DICE | RATLS_EXT_SGXSDK},
	    {"rats-tls-cert.pem", "2023-06-01T00:00:00Z", RATLS_EXT_DICE},
	};
	struct ratls_info info;

	(void)state;
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		X509 *x = load_pem(vecs[i].file);
		uint8_t *der;
		size_t n = to_der(x, &der);

		assert_int_equal(ratls_cert_inspect(x, t_of(vecs[i].at), NULL, &info), 0);
		assert_int_equal(info.extensions, vecs[i].exts);
		assert_true(info.authentic);
		assert_true(info.key_bound);
		assert_true(info.time_valid);
		assert_int_equal(info.claims.type, TEE_SGX);
		assert_true(info.claims.debug);
		assert_int_equal(info.claims.measurement_len, 32);
		assert_int_equal(info.claims.tcb_status, TEE_TCB_UNKNOWN);
		assert_string_equal(info.reason, "");
		/* The DER entry point says the same. */
		assert_int_equal(ratls_cert_inspect_der(der, n, t_of(vecs[i].at), NULL, &info), 0);
		assert_true(info.key_bound);
		OPENSSL_free(der);
		X509_free(x);
	}
}

static void test_rats_tls_expired_today(void **state)
{
	X509 *x = load_pem("rats-tls-cert.pem");
	struct ratls_info info;

	(void)state;
	assert_int_equal(ratls_cert_inspect(x, cu_time_now(), NULL, &info), CU_EEXPIRED);
	assert_true(info.authentic);
	assert_true(info.key_bound);
	assert_false(info.time_valid);
	assert_non_null(strstr(info.reason, "not valid"));
	/* Just before notBefore as well. */
	assert_int_equal(ratls_cert_inspect(x, t_of("2023-02-22T16:10:21Z"), NULL, &info),
	                 CU_EEXPIRED);
	X509_free(x);
}

static void test_wrong_key(void **state)
{
	static const char *files[] = {"gramine-cert.pem", "intel-sgxsdk-cert.pem",
	                              "rats-tls-cert.pem"};
	struct ratls_info info;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		X509 *x = load_pem(files[i]), *y = resign(x);

		/* Inside the certificates' and every PCK chain's validity. */
		assert_int_equal(ratls_cert_inspect(y, t_of("2024-01-15T00:00:00Z"), NULL, &info),
		                 CU_EKEY);
		assert_true(info.authentic);
		assert_false(info.key_bound);
		assert_non_null(strstr(info.reason, "key"));
		X509_free(y);
		X509_free(x);
	}
}

/* Offset of the first occurrence of needle in hay, or abort. */
static size_t find(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp(hay + i, needle, m))
			return i;
	fail_msg("pattern not found");
	return 0;
}

static void test_bit_flips(void **state)
{
	/* Tag 60000, array of 2, bstr: the start of the DICE evidence. */
	static const uint8_t dice[] = {0xD9, 0xEA, 0x60, 0x82, 0x59};
	/* Offsets into the DICE value: CBOR header, quote header, enclave report, signature. */
	static const size_t offs[] = {0, 3, 8, 7 + 48 + 64, 7 + 48 + 320, 7 + 440, 7 + 1000};
	X509 *x = load_pem("gramine-cert.pem");
	struct ratls_info info;
	uint8_t *der;
	size_t n = to_der(x, &der), at = find(der, n, dice, sizeof(dice));

	(void)state;
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		der[at + offs[i]] ^= 0x01;
		assert_int_not_equal(
		    ratls_cert_inspect_der(der, n, t_of("2025-07-01T00:00:00Z"), NULL, &info), 0);
		assert_false(info.authentic);
		assert_false(info.key_bound);
		assert_true(info.reason[0] != 0);
		der[at + offs[i]] ^= 0x01;
	}
	/* A bit inside the enclave report: the quote no longer verifies. */
	der[at + 7 + 48 + 64] ^= 0x80;
	assert_int_equal(ratls_cert_inspect_der(der, n, t_of("2025-07-01T00:00:00Z"), NULL, &info),
	                 CU_EAUTH);
	assert_false(info.authentic);
	assert_false(info.key_bound);
	assert_int_equal(info.claims.type, TEE_NONE);
	der[at + 7 + 48 + 64] ^= 0x80;
	assert_int_equal(ratls_cert_inspect_der(der, n, t_of("2025-07-01T00:00:00Z"), NULL, &info),
	                 0);
	OPENSSL_free(der);
	X509_free(x);
}

static void test_truncated(void **state)
{
	X509 *x = load_pem("intel-sgxsdk-cert.pem");
	struct ratls_info info;
	uint8_t *der;
	size_t n = to_der(x, &der);

	(void)state;
	for (size_t len = 0; len < n; len += 97)
		assert_int_equal(ratls_cert_inspect_der(der, len, 0, NULL, &info), CU_EFORMAT);
	assert_int_equal(ratls_cert_inspect_der(der, n - 1, 0, NULL, &info), CU_EFORMAT);
	assert_int_equal(ratls_cert_inspect_der(NULL, 0, 0, NULL, &info), CU_EINVAL);
	assert_int_equal(ratls_cert_inspect(NULL, 0, NULL, &info), CU_EINVAL);
	assert_int_equal(ratls_cert_inspect_der(der, RATLS_CERT_MAX + 1, 0, NULL, &info),
	                 CU_ELIMIT);
	OPENSSL_free(der);
	X509_free(x);
}

/* A self-signed P-256 certificate, with a DICE extension of dice[0..n) when dice. */
static X509 *make_cert(const uint8_t *dice, size_t n)
{
	X509 *x = X509_new();
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509_NAME *nm = X509_NAME_new();

	assert_non_null(x);
	assert_non_null(k);
	assert_non_null(nm);
	assert_int_equal(X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	                                            (const unsigned char *)"plain", -1, -1, 0),
	                 1);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	assert_int_equal(X509_set_subject_name(x, nm), 1);
	assert_int_equal(X509_set_issuer_name(x, nm), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_int_equal(X509_set_pubkey(x, k), 1);
	if (dice) {
		ASN1_OBJECT *oid = OBJ_txt2obj("2.23.133.5.4.9", 1);
		ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
		X509_EXTENSION *e;

		assert_non_null(oid);
		assert_non_null(v);
		assert_int_equal(ASN1_OCTET_STRING_set(v, dice, (int)n), 1);
		assert_non_null(e = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, v));
		assert_int_equal(X509_add_ext(x, e, -1), 1);
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(v);
		ASN1_OBJECT_free(oid);
	}
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	X509_NAME_free(nm);
	EVP_PKEY_free(k);
	return x;
}

static void test_plain_cert(void **state)
{
	X509 *x = make_cert(NULL, 0);
	struct ratls_info info;

	(void)state;
	assert_int_equal(ratls_cert_inspect(x, cu_time_now(), NULL, &info), CU_ENOTFOUND);
	assert_int_equal(info.extensions, 0);
	assert_false(info.authentic);
	assert_false(info.key_bound);
	assert_non_null(strstr(info.reason, "no RA-TLS evidence extension"));
	X509_free(x);
}

/* A DICE extension of these bytes is refused as malformed CBOR. */
static void expect_bad_cbor(const uint8_t *dice, size_t n, const char *why)
{
	X509 *x = make_cert(dice, n);
	struct ratls_info info;

	assert_int_equal(ratls_cert_inspect(x, cu_time_now(), NULL, &info), CU_EFORMAT);
	assert_non_null(strstr(info.reason, why));
	X509_free(x);
}

/*
 * CBOR whose declared counts exceed its bytes, nests too deep or breaks
 * where it may not: refused before libcbor would allocate for the counts
 * (an array of 2^60 elements in 13 bytes once asked malloc for 8 EiB).
 */
static void test_dice_cbor_bounds(void **state)
{
	/* tag 60000 */
#define TAG 0xd9, 0xea, 0x60
	static const uint8_t huge_array[] = {TAG, 0x9b, 0x10, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t huge_map[] = {TAG, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x01};
	static const uint8_t huge_bstr[] = {TAG, 0x82, 0x5a, 0xff, 0xff, 0xff, 0xff, 0x41, 0x00};
	/* [h'00', claims] with claims = {"pubkey-hash": array(2^32 - 1)} */
	static const uint8_t huge_claims[] = {TAG, 0x82, 0x41, 0x00, 0x52, 0xa1, 0x6b, 'p',
	                                      'u', 'b',  'k',  'e',  'y',  '-',  'h',  'a',
	                                      's', 'h',  0x9a, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t odd_map[] = {TAG, 0xbf, 0x01, 0xff};
	static const uint8_t stray_break[] = {TAG, 0xff};
	static const uint8_t reserved[] = {TAG, 0x1c};
	static const uint8_t mixed_chunks[] = {TAG, 0x5f, 0x61, 'a', 0xff};
	uint8_t deep[3 + 40];

	(void)state;
	expect_bad_cbor(huge_array, sizeof(huge_array), "not tagged CBOR");
	expect_bad_cbor(huge_map, sizeof(huge_map), "not tagged CBOR");
	expect_bad_cbor(huge_bstr, sizeof(huge_bstr), "not tagged CBOR");
	expect_bad_cbor(huge_claims, sizeof(huge_claims), "claims are not a CBOR map");
	expect_bad_cbor(odd_map, sizeof(odd_map), "not tagged CBOR");
	expect_bad_cbor(stray_break, sizeof(stray_break), "not tagged CBOR");
	expect_bad_cbor(reserved, sizeof(reserved), "not tagged CBOR");
	expect_bad_cbor(mixed_chunks, sizeof(mixed_chunks), "not tagged CBOR");
	memcpy(deep, (const uint8_t[]){TAG}, 3);
	memset(deep + 3, 0x81, sizeof(deep) - 4); /* [[[[...0]]]] */
	deep[sizeof(deep) - 1] = 0x00;
	expect_bad_cbor(deep, sizeof(deep), "not tagged CBOR");
#undef TAG
}

/*
 * SEV-SNP evidence under rats-tls' tag, with its VCEK as endorsement: a real
 * report verifies to the AMD root, but its report data binds no key of ours.
 */
static void test_snp_evidence(void **state)
{
	const char *dir = CUSTOS_SHARED_DIR "/testdata/attestation/";
	char path[512];
	uint8_t *report = NULL, *vcek = NULL, *chain = NULL;
	size_t rlen = 0, vlen = 0, clen = 0;
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	struct ratls_trust t = {0};
	struct ratls_info info;
	int64_t now = t_of("2025-07-01T00:00:00Z");

	(void)state;
	snprintf(path, sizeof(path), "%ssnp/report-a.bin", dir);
	assert_int_equal(cu_file_read(path, 1 << 20, &report, &rlen), 0);
	snprintf(path, sizeof(path), "%ssnp/report-a.vcek.der", dir);
	assert_int_equal(cu_file_read(path, 1 << 20, &vcek, &vlen), 0);
	snprintf(path, sizeof(path), "%sroots/amd-milan-ask-ark.pem", dir);
	assert_int_equal(cu_file_read(path, 1 << 20, &chain, &clen), 0);
	assert_int_equal(cr_pkey_generate(CR_KEY_P256, &k), 0);
	assert_int_equal(ratls_cert_build(k, NULL, RATLS_TAG_SEV_SNP, report, rlen, vcek, vlen,
	                                  now - 60, now + 3600, &x),
	                 0);
	/* Without the AMD chain nothing vouches for the VCEK. */
	assert_int_equal(ratls_cert_inspect(x, now, NULL, &info), CU_EUNTRUSTED);
	t.snp_chain = chain;
	t.snp_chain_len = clen;
	assert_int_equal(ratls_cert_inspect(x, now, &t, &info), CU_EKEY);
	assert_true(info.authentic);
	assert_false(info.key_bound);
	assert_int_equal(info.claims.type, TEE_SEV_SNP);
	X509_free(x);
	/* Without its VCEK the report cannot be verified at all. */
	assert_int_equal(ratls_cert_build(k, NULL, RATLS_TAG_SEV_SNP, report, rlen, NULL, 0,
	                                  now - 60, now + 3600, &x),
	                 0);
	assert_int_equal(ratls_cert_inspect(x, now, &t, &info), CU_EUNTRUSTED);
	assert_false(info.authentic);
	X509_free(x);
	EVP_PKEY_free(k);
	free(report);
	free(vcek);
	free(chain);
}

static void test_ext_names(void **state)
{
	(void)state;
	assert_string_equal(ratls_ext_name(RATLS_EXT_DICE), "dice");
	assert_string_equal(ratls_ext_name(RATLS_EXT_GRAMINE_LEGACY), "gramine-legacy");
	assert_string_equal(ratls_ext_name(RATLS_EXT_GRAMINE), "gramine");
	assert_string_equal(ratls_ext_name(RATLS_EXT_SGXSDK), "sgx-sdk");
	assert_null(ratls_ext_name((enum ratls_ext)0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_certs),       cmocka_unit_test(test_rats_tls_expired_today),
	    cmocka_unit_test(test_wrong_key),        cmocka_unit_test(test_bit_flips),
	    cmocka_unit_test(test_truncated),        cmocka_unit_test(test_plain_cert),
	    cmocka_unit_test(test_ext_names),        cmocka_unit_test(test_snp_evidence),
	    cmocka_unit_test(test_dice_cbor_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

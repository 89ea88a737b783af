/*
 * Unit tests: forgeries against the SEV-SNP verifier. Certificates and keys
 * made here (RSA "ARKs" and "ASKs", P-384 "VCEKs") must never pass: the
 * chain has to end in a pinned AMD ARK, and a VCEK must carry the report's
 * chip id and TCB.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "common/file.h"
#include "common/time.h"
#include "crypto/pkey.h"
#include "tee/snp.h"

#define DATA  CUSTOS_SHARED_DIR "/testdata/attestation/"
#define MILAN DATA "roots/amd-milan-ask-ark.pem"

struct blob {
	uint8_t *p;
	size_t n;
};

static struct blob load(const char *path)
{
	struct blob b = {NULL, 0};

	if (cu_file_read(path, 1 << 20, &b.p, &b.n))
		fail_msg("cannot read %s", path);
	return b;
}

static int64_t t_2025(void)
{
	return cu_time_from_civil(2025, 1, 1, 0, 0, 0);
}

static X509_NAME *amd_name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	assert_non_null(n);
	X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8, (const unsigned char *)"Engineering", -1,
	                           -1, 0);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)"US", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
	                           (const unsigned char *)"Advanced Micro Devices", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	return n;
}

static void add_ext_nid(X509 *c, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, c, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(c, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A CA certificate named like AMD's; self-signed when issuer is NULL. */
static X509 *make_ca(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *c = X509_new();
	X509_NAME *n = amd_name(cn);

	assert_non_null(c);
	X509_set_version(c, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(c), 1);
	ASN1_TIME_set(X509_getm_notBefore(c), 1577836800);  /* 2020 */
	ASN1_TIME_set(X509_getm_notAfter(c), 2208988800LL); /* 2040 */
	X509_set_subject_name(c, n);
	X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : n);
	X509_set_pubkey(c, key);
	add_ext_nid(c, issuer ? issuer : c, NID_basic_constraints, "critical,CA:TRUE");
	add_ext_nid(c, issuer ? issuer : c, NID_key_usage, "critical,keyCertSign");
	assert_true(X509_sign(c, issuer_key ? issuer_key : key, EVP_sha384()) > 0);
	X509_NAME_free(n);
	return c;
}

static X509 *load_der(const char *path)
{
	struct blob b = load(path);
	const unsigned char *p = b.p;
	X509 *c = d2i_X509(NULL, &p, (long)b.n);

	assert_non_null(c);
	free(b.p);
	return c;
}

/* Replace (or with der NULL, delete) every extension with this OID; dup adds a second copy. */
static void set_ext(X509 *c, const char *oid, const uint8_t *der, size_t n, int dup)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	int idx;

	assert_non_null(obj);
	while (!dup && (idx = X509_get_ext_by_OBJ(c, obj, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(c, idx));
	if (der) {
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		X509_EXTENSION *e;
		assert_non_null(os);
		assert_int_equal(ASN1_OCTET_STRING_set(os, der, (int)n), 1);
		e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
		assert_non_null(e);
		assert_int_equal(X509_add_ext(c, e, -1), 1);
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(os);
	}
	ASN1_OBJECT_free(obj);
}

/* Re-issue cert under issuer (with pubkey replaced when key is not NULL). */
static void reissue(X509 *c, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509_set_issuer_name(c, X509_get_subject_name(issuer));
	if (key)
		X509_set_pubkey(c, key);
	assert_true(X509_sign(c, issuer_key, EVP_sha384()) > 0);
}

static struct blob der_of(X509 *c)
{
	struct blob b = {NULL, 0};
	unsigned char *p = NULL;
	int n = i2d_X509(c, &p);

	assert_true(n > 0);
	b.p = malloc((size_t)n);
	assert_non_null(b.p);
	memcpy(b.p, p, (size_t)n);
	b.n = (size_t)n;
	OPENSSL_free(p);
	return b;
}

/* PEM of the certificates, concatenated. */
static struct blob pem_of(X509 *a, X509 *b)
{
	BIO *bio = BIO_new(BIO_s_mem());
	struct blob out = {NULL, 0};
	char *p;
	long n;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_X509(bio, a), 1);
	if (b)
		assert_int_equal(PEM_write_bio_X509(bio, b), 1);
	n = BIO_get_mem_data(bio, &p);
	out.p = malloc((size_t)n);
	assert_non_null(out.p);
	memcpy(out.p, p, (size_t)n);
	out.n = (size_t)n;
	BIO_free(bio);
	return out;
}

/* Sign the report's first 0x2A0 bytes with key, writing r and s little-endian. */
static void resign(uint8_t *report, EVP_PKEY *key)
{
	uint8_t sig[CR_SIG_MAX_LEN];
	size_t n;

	assert_int_equal(cr_sign(key, report, SNP_SIGNED_LEN, sig, &n), 0);
	assert_int_equal(n, 96);
	for (size_t i = 0; i < 48; i++) {
		report[0x2a0 + i] = sig[47 - i];
		report[0x2e8 + i] = sig[95 - i];
	}
}

struct forge {
	EVP_PKEY *ark_key, *ask_key, *vcek_key;
	X509 *ark, *ask, *real_vcek;
	struct blob report, real_chain;
};

static int setup(void **state)
{
	struct forge *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->ark_key = EVP_RSA_gen(2048);
	f->ask_key = EVP_RSA_gen(2048);
	assert_non_null(f->ark_key);
	assert_non_null(f->ask_key);
	assert_int_equal(cr_pkey_generate(CR_KEY_P384, &f->vcek_key), 0);
	f->ark = make_ca("ARK-Milan", f->ark_key, NULL, NULL);
	f->ask = make_ca("SEV-Milan", f->ask_key, f->ark, f->ark_key);
	f->real_vcek = load_der(DATA "snp/report-a.vcek.der");
	f->report = load(DATA "snp/report-a.bin");
	f->real_chain = load(MILAN);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct forge *f = *state;

	EVP_PKEY_free(f->ark_key);
	EVP_PKEY_free(f->ask_key);
	EVP_PKEY_free(f->vcek_key);
	X509_free(f->ark);
	X509_free(f->ask);
	X509_free(f->real_vcek);
	free(f->report.p);
	free(f->real_chain.p);
	free(f);
	return 0;
}

static int run(const struct blob *report, const struct blob *leaf, const struct blob *chain,
               char *reason, size_t rsz)
{
	struct snp_certs certs = {leaf->p, leaf->n, chain->p, chain->n};
	struct tee_claims c;
	int rc = snp_verify(report->p, report->n, &certs, t_2025(), &c, NULL, reason, rsz);

	if (rc)
		assert_int_equal(c.type, TEE_NONE);
	return rc;
}

/* The real VCEK re-issued by a self-made ASK under a self-made ARK: the pin refuses it. */
static void test_fake_ark(void **state)
{
	struct forge *f = *state;
	X509 *vcek = X509_dup(f->real_vcek);
	struct blob leaf, chain, mixed;
	char reason[SNP_REASON_LEN];

	reissue(vcek, NULL, f->ask, f->ask_key);
	leaf = der_of(vcek);
	chain = pem_of(f->ask, f->ark);
	assert_int_equal(run(&f->report, &leaf, &chain, reason, sizeof(reason)), CU_EUNTRUSTED);
	assert_non_null(strstr(reason, "pinned"));
	/* The fake ASK beside the real ARK: its signature does not verify. */
	mixed.n = chain.n;
	mixed.p = malloc(f->real_chain.n + chain.n);
	assert_non_null(mixed.p);
	free(chain.p);
	chain = pem_of(f->ask, NULL);
	memcpy(mixed.p, chain.p, chain.n);
	memcpy(mixed.p + chain.n, f->real_chain.p, f->real_chain.n);
	mixed.n = chain.n + f->real_chain.n;
	assert_int_equal(run(&f->report, &leaf, &mixed, reason, sizeof(reason)), CU_EUNTRUSTED);
	free(mixed.p);
	free(chain.p);
	free(leaf.p);
	X509_free(vcek);
}

/* A report re-signed with our own P-384 key and a self-made VCEK for it. */
static void test_own_vcek(void **state)
{
	struct forge *f = *state;
	X509 *vcek = X509_dup(f->real_vcek);
	struct blob report = {malloc(f->report.n), f->report.n}, leaf, chain;
	char reason[SNP_REASON_LEN];

	assert_non_null(report.p);
	memcpy(report.p, f->report.p, report.n);
	report.p[0x90] ^= 0xff; /* a measurement of our choosing */
	resign(report.p, f->vcek_key);
	reissue(vcek, f->vcek_key, f->ask, f->ask_key);
	leaf = der_of(vcek);
	chain = pem_of(f->ask, f->ark);
	/* The signature verifies; the chain does not lead to a pinned ARK. */
	assert_int_equal(run(&report, &leaf, &chain, reason, sizeof(reason)), CU_EUNTRUSTED);
	assert_null(strstr(reason, "signature does not verify"));
	free(chain.p);
	/* The same VCEK against AMD's real chain: the ASK did not sign it. */
	assert_int_equal(run(&report, &leaf, &f->real_chain, reason, sizeof(reason)),
	                 CU_EUNTRUSTED);
	/* The real VCEK for the re-signed report: wrong key. */
	free(leaf.p);
	leaf = load(DATA "snp/report-a.vcek.der");
	assert_int_equal(run(&report, &leaf, &f->real_chain, reason, sizeof(reason)), CU_EAUTH);
	free(leaf.p);
	free(report.p);
	X509_free(vcek);
}

/* Leaves that are not P-384 VCEKs. */
static void test_wrong_leaf_kind(void **state)
{
	struct forge *f = *state;
	EVP_PKEY *p256 = NULL;
	X509 *vcek = X509_dup(f->real_vcek);
	struct blob leaf, chain = pem_of(f->ask, f->ark);

	assert_int_equal(cr_pkey_generate(CR_KEY_P256, &p256), 0);
	reissue(vcek, p256, f->ask, f->ask_key);
	leaf = der_of(vcek);
	assert_int_equal(run(&f->report, &leaf, &chain, NULL, 0), CU_EKEY);
	free(leaf.p);
	/* An ASK (RSA, CN SEV-Milan) given as the leaf. */
	leaf = der_of(f->ask);
	assert_int_equal(run(&f->report, &leaf, &chain, NULL, 0), CU_EKEY);
	free(leaf.p);
	free(chain.p);
	EVP_PKEY_free(p256);
	X509_free(vcek);
}

struct binding_case {
	const char *name;
	const char *oid;
	uint8_t der[70];
	size_t len; /* 0: delete the extension */
	int dup;
	int rc;
};

/* Self-made VCEKs whose extensions differ from the report: the binding check refuses them. */
static void test_binding(void **state)
{
	static const struct binding_case cases[] = {
	    {"unchanged", NULL, {0}, 0, 0, 0},
	    {"blSPL 3", "1.3.6.1.4.1.3704.1.3.1", {2, 1, 3}, 3, 0, CU_ETCB},
	    {"teeSPL 1", "1.3.6.1.4.1.3704.1.3.2", {2, 1, 1}, 3, 0, CU_ETCB},
	    {"snpSPL 4", "1.3.6.1.4.1.3704.1.3.3", {2, 1, 4}, 3, 0, CU_ETCB},
	    {"ucodeSPL 0x45", "1.3.6.1.4.1.3704.1.3.8", {2, 1, 0x45}, 3, 0, CU_ETCB},
	    {"snpSPL missing", "1.3.6.1.4.1.3704.1.3.3", {0}, 0, 0, CU_ETCB},
	    {"snpSPL repeated", "1.3.6.1.4.1.3704.1.3.3", {2, 1, 5}, 3, 1, CU_ETCB},
	    {"snpSPL not an integer", "1.3.6.1.4.1.3704.1.3.3", {4, 1, 5}, 3, 0, CU_EFORMAT},
	    {"snpSPL trailing byte", "1.3.6.1.4.1.3704.1.3.3", {2, 1, 5, 0}, 4, 0, CU_EFORMAT},
	    {"snpSPL 256", "1.3.6.1.4.1.3704.1.3.3", {2, 2, 1, 0}, 4, 0, CU_EFORMAT},
	    {"snpSPL negative", "1.3.6.1.4.1.3704.1.3.3", {2, 1, 0xff}, 3, 0, CU_EFORMAT},
	    {"hwID missing", "1.3.6.1.4.1.3704.1.4", {0}, 0, 0, CU_ETCB},
	    {"hwID short", "1.3.6.1.4.1.3704.1.4", {0x3a, 0xc3, 0xfe, 0x21}, 4, 0, CU_ETCB},
	    {"hwID 8 bytes (Turin only)",
	     "1.3.6.1.4.1.3704.1.4",
	     {0x3a, 0xc3, 0xfe, 0x21, 0xe1, 0x3f, 0xb0, 0x99},
	     8,
	     0,
	     CU_ETCB},
	    {"hwID of another chip", "1.3.6.1.4.1.3704.1.4", {1}, 64, 0, CU_ETCB},
	};
	struct forge *f = *state;
	struct snp_report rep;

	assert_int_equal(snp_report_parse(f->report.p, f->report.n, &rep, NULL, 0), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct binding_case *k = &cases[i];
		X509 *vcek = X509_dup(f->real_vcek);
		char reason[SNP_REASON_LEN];
		struct blob leaf;
		int rc;

		if (k->oid)
			set_ext(vcek, k->oid, k->len ? k->der : NULL, k->len, k->dup);
		reissue(vcek, NULL, f->ask, f->ask_key);
		leaf = der_of(vcek);
		rc = snp_check_cert_binding(leaf.p, leaf.n, &rep, SNP_PRODUCT_MILAN, reason,
		                            sizeof(reason));
		if (rc != k->rc)
			fail_msg("case '%s': rc %d (%s), want %d", k->name, rc, reason, k->rc);
		free(leaf.p);
		X509_free(vcek);
	}
}

/* Turin: FMC in the TCB, an 8-byte hwID. */
static void test_binding_turin(void **state)
{
	static const uint8_t hwid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	static const struct {
		const char *oid;
		uint8_t v;
	} spl[] = {
	    {"1.3.6.1.4.1.3704.1.3.9", 1}, {"1.3.6.1.4.1.3704.1.3.1", 2},
	    {"1.3.6.1.4.1.3704.1.3.2", 3}, {"1.3.6.1.4.1.3704.1.3.3", 4},
	    {"1.3.6.1.4.1.3704.1.3.8", 5},
	};
	struct forge *f = *state;
	X509 *vcek = X509_dup(f->real_vcek);
	struct snp_report rep;
	struct blob leaf;

	memset(&rep, 0, sizeof(rep));
	rep.version = 3;
	memcpy(rep.chip_id, hwid, sizeof(hwid));
	rep.reported_tcb = 1 | 2u << 8 | 3u << 16 | 4u << 24 | 5ULL << 56;
	for (size_t i = 0; i < 5; i++) {
		uint8_t der[3] = {2, 1, spl[i].v};
		set_ext(vcek, spl[i].oid, der, 3, 0);
	}
	set_ext(vcek, "1.3.6.1.4.1.3704.1.4", hwid, sizeof(hwid), 0);
	reissue(vcek, NULL, f->ask, f->ask_key);
	leaf = der_of(vcek);
	assert_int_equal(snp_check_cert_binding(leaf.p, leaf.n, &rep, SNP_PRODUCT_TURIN, NULL, 0),
	                 0);
	/* The same as Milan: layout differs, and an 8-byte hwID is not Milan's. */
	assert_int_equal(snp_check_cert_binding(leaf.p, leaf.n, &rep, SNP_PRODUCT_MILAN, NULL, 0),
	                 CU_ETCB);
	/* FMC differs. */
	rep.reported_tcb ^= 1;
	assert_int_equal(snp_check_cert_binding(leaf.p, leaf.n, &rep, SNP_PRODUCT_TURIN, NULL, 0),
	                 CU_ETCB);
	free(leaf.p);
	X509_free(vcek);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fake_ark),        cmocka_unit_test(test_own_vcek),
	    cmocka_unit_test(test_wrong_leaf_kind), cmocka_unit_test(test_binding),
	    cmocka_unit_test(test_binding_turin),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

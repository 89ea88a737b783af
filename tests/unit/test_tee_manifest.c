/* Unit tests: the platform manifest, its signature files and the k-of-n auditor rule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/file.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "tee/manifest.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

enum { ED1, ED2, P1, ED3, P384, NKEYS };

struct fx {
	EVP_PKEY *key[NKEYS];
	char *manifest;
	size_t len;
	char *sig[NKEYS];
	size_t siglen[NKEYS];
};

static void make_manifest(struct tee_manifest *m, int sim)
{
	struct tee_policy_role *r;
	uint8_t meas[48];

	memset(m, 0, sizeof(*m));
	m->version = TEE_MANIFEST_VERSION;
	snprintf(m->name, sizeof(m->name), "demo platform");
	m->created = 1735689600;
	memset(meas, 0xab, sizeof(meas));
	assert_int_equal(tee_policy_add_role(&m->policy, "control", &r), 0);
	r->tee_types = TEE_TYPE_BIT(TEE_SEV_SNP) | TEE_TYPE_BIT(TEE_TDX);
	assert_int_equal(tee_policy_add_measurement(r, meas, 48), 0);
	assert_int_equal(tee_policy_add_role(&m->policy, "worker", &r), 0);
	r->tee_types = TEE_TYPE_BIT(TEE_SGX) | (sim ? TEE_TYPE_BIT(TEE_SIM) : 0);
	r->rules.allow_simulation = sim;
	r->rules.min_security_version[TEE_SGX] = 3;
	assert_int_equal(tee_policy_add_measurement(r, meas, 32), 0);
	if (sim) {
		m->has_sim_root = 1;
		memset(m->sim_root_sha256, 0x11, 32);
	}
}

static int setup(void **state)
{
	static const enum cr_key_type types[NKEYS] = {CR_KEY_ED25519, CR_KEY_ED25519, CR_KEY_P256,
	                                              CR_KEY_ED25519, CR_KEY_P384};
	struct fx *f = calloc(1, sizeof(*f));
	struct tee_manifest m;

	assert_non_null(f);
	for (int i = 0; i < NKEYS; i++)
		assert_int_equal(cr_pkey_generate(types[i], &f->key[i]), 0);
	make_manifest(&m, 0);
	assert_int_equal(tee_manifest_to_json(&m, &f->manifest, &f->len), 0);
	for (int i = 0; i < P384; i++)
		assert_int_equal(tee_manifest_sign((uint8_t *)f->manifest, f->len, f->key[i],
		                                   &f->sig[i], &f->siglen[i]),
		                 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < NKEYS; i++) {
		EVP_PKEY_free(f->key[i]);
		free(f->sig[i]);
	}
	free(f->manifest);
	free(f);
	return 0;
}

/* A signature file by hand: algorithm, key as "key_id" hex or "public_key", signature. */
static char *sigfile(struct fx *f, int key, const char *alg, int by_id, const uint8_t *sig,
                     size_t siglen)
{
	char *out = malloc(8192), b64[200], *pem = NULL;
	uint8_t id[32];
	char idhex[65];
	size_t pemlen;

	assert_non_null(out);
	assert_int_equal(cu_b64_encode(sig, siglen, b64, sizeof(b64), CU_B64_STD), 0);
	if (by_id) {
		assert_int_equal(tee_manifest_key_id(f->key[key], id), 0);
		cu_hex_encode(id, 32, idhex, sizeof(idhex));
		snprintf(out, 8192, "{\"algorithm\":\"%s\",\"key_id\":\"%s\",\"signature\":\"%s\"}",
		         alg, idhex, b64);
	} else {
		assert_int_equal(cr_pkey_to_pem(f->key[key], 0, &pem, &pemlen), 0);
		json_t *s = json_string(pem);
		char *js = json_dumps(s, JSON_ENCODE_ANY);
		snprintf(out, 8192, "{\"algorithm\":\"%s\",\"public_key\":%s,\"signature\":\"%s\"}",
		         alg, js, b64);
		free(js);
		json_decref(s);
		free(pem);
	}
	return out;
}

/* The raw signature of key over the manifest. */
static size_t raw_sig(struct fx *f, int key, const void *msg, size_t len, uint8_t *sig)
{
	size_t n;

	assert_int_equal(cr_sign(f->key[key], msg, len, sig, &n), 0);
	return n;
}

#define MAXS 4

struct k_case {
	const char *name;
	int sigs[MAXS]; /* key indices of the signature files given; -1 ends */
	int trusted[MAXS + 2];
	size_t k;
	int rc;
	size_t count; /* signers that counted */
};

static void test_threshold_rules(void **state)
{
	static const struct k_case cases[] = {
	    {"1 of 1", {ED1, -1}, {ED1, -1}, 1, 0, 1},
	    {"k = 0 refused", {ED1, -1}, {ED1, -1}, 0, CU_EINVAL, 0},
	    {"k = 0 with no signatures", {-1}, {ED1, -1}, 0, CU_EINVAL, 0},
	    {"zero signatures never pass", {-1}, {ED1, -1}, 1, CU_EAUTH, 0},
	    {"no trusted keys", {ED1, -1}, {-1}, 1, CU_EINVAL, 0},
	    {"2 of 3", {ED1, P1, -1}, {ED1, ED2, P1, -1}, 2, 0, 2},
	    {"3 of 3", {P1, ED2, ED1, -1}, {ED1, ED2, P1, -1}, 3, 0, 3},
	    {"same auditor twice counts once", {ED1, ED1, -1}, {ED1, ED2, -1}, 2, CU_EAUTH, 1},
	    {"key listed twice is one auditor", {ED1, -1}, {ED1, ED1, -1}, 2, CU_EINVAL, 0},
	    {"key listed twice, 1 of 1", {ED1, ED1, -1}, {ED1, ED1, ED2, -1}, 1, 0, 1},
	    {"key listed twice, 2 needed", {ED1, ED1, -1}, {ED1, ED1, ED2, -1}, 2, CU_EAUTH, 1},
	    {"untrusted signer ignored", {ED3, ED1, -1}, {ED1, ED2, -1}, 1, 0, 1},
	    {"untrusted signer does not count", {ED3, ED1, -1}, {ED1, ED2, -1}, 2, CU_EAUTH, 1},
	    {"only untrusted signers", {ED3, -1}, {ED1, -1}, 1, CU_EAUTH, 0},
	    {"k above trusted count", {ED1, ED2, -1}, {ED1, ED2, -1}, 3, CU_EINVAL, 0},
	    {"P-384 trusted key refused", {ED1, -1}, {ED1, P384, -1}, 1, CU_EKEY, 0},
	};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct k_case *c = &cases[i];
		struct tee_manifest_sig sigs[MAXS];
		EVP_PKEY *trusted[MAXS + 2];
		struct tee_manifest_signers who;
		char reason[TEE_MANIFEST_REASON_LEN];
		size_t ns = 0, nt = 0;
		int rc;

		for (; ns < MAXS && c->sigs[ns] >= 0; ns++) {
			sigs[ns].data = (uint8_t *)f->sig[c->sigs[ns]];
			sigs[ns].len = f->siglen[c->sigs[ns]];
		}
		for (; nt < MAXS + 2 && c->trusted[nt] >= 0; nt++)
			trusted[nt] = f->key[c->trusted[nt]];
		rc = tee_manifest_check_signatures((uint8_t *)f->manifest, f->len, sigs, ns,
		                                   trusted, nt, c->k, &who, reason, sizeof(reason));
		if (rc != c->rc || who.count != c->count)
			fail_msg("case '%s': rc %d count %zu (%s), want %d %zu", c->name, rc,
			         who.count, reason, c->rc, c->count);
		assert_true(reason[0] != '\0');
	}
}

/* The API says which auditors signed: key ids and positions in the trusted list. */
static void test_signers_reported(void **state)
{
	struct fx *f = *state;
	struct tee_manifest_sig sigs[2] = {{(uint8_t *)f->sig[P1], f->siglen[P1]},
	                                   {(uint8_t *)f->sig[ED2], f->siglen[ED2]}};
	EVP_PKEY *trusted[3] = {f->key[ED1], f->key[ED2], f->key[P1]};
	struct tee_manifest_signers who;
	struct tee_manifest m;
	uint8_t id[32];

	assert_int_equal(tee_manifest_verify((uint8_t *)f->manifest, f->len, sigs, 2, trusted, 3, 2,
	                                     &m, &who, NULL, 0),
	                 0);
	assert_int_equal(who.count, 2);
	assert_int_equal(who.trusted_index[0], 1);
	assert_int_equal(who.trusted_index[1], 2);
	assert_int_equal(tee_manifest_key_id(f->key[ED2], id), 0);
	assert_memory_equal(who.key_id[0], id, 32);
	assert_int_equal(tee_manifest_key_id(f->key[P1], id), 0);
	assert_memory_equal(who.key_id[1], id, 32);
	assert_string_equal(m.name, "demo platform");
	assert_int_equal(m.policy.role_count, 2);
}

/* Any change to the manifest bytes voids every signature. */
static void test_tampered_manifest(void **state)
{
	struct fx *f = *state;
	struct tee_manifest_sig sigs[2] = {{(uint8_t *)f->sig[ED1], f->siglen[ED1]},
	                                   {(uint8_t *)f->sig[P1], f->siglen[P1]}};
	EVP_PKEY *trusted[2] = {f->key[ED1], f->key[P1]};
	char *copy = malloc(f->len + 1);

	assert_non_null(copy);
	for (size_t i = 0; i < f->len; i += 7) {
		memcpy(copy, f->manifest, f->len);
		copy[i] ^= 0x20;
		assert_int_equal(tee_manifest_check_signatures((uint8_t *)copy, f->len, sigs, 2,
		                                               trusted, 2, 1, NULL, NULL, 0),
		                 CU_EAUTH);
	}
	/* One byte more, one byte less. */
	memcpy(copy, f->manifest, f->len);
	copy[f->len] = ' ';
	assert_int_equal(tee_manifest_check_signatures((uint8_t *)copy, f->len + 1, sigs, 2,
	                                               trusted, 2, 1, NULL, NULL, 0),
	                 CU_EAUTH);
	assert_int_equal(tee_manifest_check_signatures((uint8_t *)copy, f->len - 1, sigs, 2,
	                                               trusted, 2, 1, NULL, NULL, 0),
	                 CU_EAUTH);
	free(copy);
}

struct sigfile_case {
	const char *name;
	int key;
	const char *alg;
	int by_id;
	int damage; /* 0 none, 1 flip a signature bit, 2 drop a byte */
	int counts;
};

/* Signature files: forms that count and forms that do not. */
static void test_sigfile_forms(void **state)
{
	static const struct sigfile_case cases[] = {
	    {"ed25519 by key id", ED1, "ed25519", 1, 0, 1},
	    {"ed25519 by public key", ED1, "ed25519", 0, 0, 1},
	    {"p256 by key id", P1, "ecdsa-p256", 1, 0, 1},
	    {"ed25519 key, p256 algorithm (id)", ED1, "ecdsa-p256", 1, 0, 0},
	    {"ed25519 key, p256 algorithm (pem)", ED1, "ecdsa-p256", 0, 0, 0},
	    {"p256 key, ed25519 algorithm", P1, "ed25519", 1, 0, 0},
	    {"p384 algorithm", P1, "ecdsa-p384", 1, 0, 0},
	    {"unknown algorithm", ED1, "rsa", 1, 0, 0},
	    {"flipped signature bit", ED1, "ed25519", 1, 1, 0},
	    {"short signature", P1, "ecdsa-p256", 1, 2, 0},
	};
	struct fx *f = *state;
	EVP_PKEY *trusted[2] = {f->key[ED1], f->key[P1]};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sigfile_case *c = &cases[i];
		uint8_t sig[CR_SIG_MAX_LEN];
		size_t n = raw_sig(f, c->key, f->manifest, f->len, sig);
		char *sf, reason[TEE_MANIFEST_REASON_LEN];
		struct tee_manifest_sig s;
		int rc;

		if (c->damage == 1)
			sig[5] ^= 1;
		if (c->damage == 2)
			n--;
		sf = sigfile(f, c->key, c->alg, c->by_id, sig, n);
		s.data = (uint8_t *)sf;
		s.len = strlen(sf);
		rc = tee_manifest_check_signatures((uint8_t *)f->manifest, f->len, &s, 1, trusted,
		                                   2, 1, NULL, reason, sizeof(reason));
		if (rc != (c->counts ? 0 : CU_EAUTH))
			fail_msg("case '%s': rc %d (%s)", c->name, rc, reason);
		free(sf);
	}
}

/* Malformed signature files do not count, and do not stop good ones from counting. */
static void test_malformed_sigfiles(void **state)
{
	static const char *const bad[] = {
	    "",
	    "{",
	    "[]",
	    "null",
	    "{\"algorithm\":\"ed25519\"}",
	    "{\"algorithm\":\"ed25519\",\"key_id\":\"00\",\"signature\":\"AA==\"}",
	    "{\"algorithm\":1,\"key_id\":\"00\",\"signature\":\"AA==\"}",
	    "{\"algorithm\":\"ed25519\",\"key_id\":\"0000000000000000000000000000000000000000000"
	    "000000000000000000000\",\"public_key\":\"x\",\"signature\":\"AA==\"}",
	    "{\"algorithm\":\"ed25519\",\"public_key\":\"not pem\",\"signature\":\"AA==\"}",
	    "{\"algorithm\":\"ed25519\",\"key_id\":\"0000000000000000000000000000000000000000000"
	    "000000000000000000000\",\"signature\":\"!!!\"}",
	    "{\"algorithm\":\"ed25519\",\"key_id\":\"0000000000000000000000000000000000000000000"
	    "000000000000000000000\",\"signature\":\"AA==\",\"extra\":1}",
	};
	struct fx *f = *state;
	EVP_PKEY *trusted[1] = {f->key[ED1]};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tee_manifest_sig s[2] = {{(const uint8_t *)bad[i], strlen(bad[i])},
		                                {(uint8_t *)f->sig[ED1], f->siglen[ED1]}};
		char reason[TEE_MANIFEST_REASON_LEN];

		assert_int_equal(tee_manifest_check_signatures((uint8_t *)f->manifest, f->len, s, 1,
		                                               trusted, 1, 1, NULL, reason,
		                                               sizeof(reason)),
		                 CU_EAUTH);
		assert_non_null(strstr(reason, "signature 1:"));
		assert_int_equal(tee_manifest_check_signatures((uint8_t *)f->manifest, f->len, s, 2,
		                                               trusted, 1, 1, NULL, NULL, 0),
		                 0);
	}
}

static void test_limits_and_keys(void **state)
{
	struct fx *f = *state;
	struct tee_manifest_sig sigs[TEE_MANIFEST_MAX_SIGS + 1];
	EVP_PKEY *trusted[1] = {f->key[ED1]};
	char *out;
	size_t n;

	for (size_t i = 0; i <= TEE_MANIFEST_MAX_SIGS; i++) {
		sigs[i].data = (uint8_t *)f->sig[ED1];
		sigs[i].len = f->siglen[ED1];
	}
	assert_int_equal(tee_manifest_check_signatures((uint8_t *)f->manifest, f->len, sigs,
	                                               TEE_MANIFEST_MAX_SIGS + 1, trusted, 1, 1,
	                                               NULL, NULL, 0),
	                 CU_ELIMIT);
	assert_int_equal(tee_manifest_sign((uint8_t *)f->manifest, f->len, f->key[P384], &out, &n),
	                 CU_EKEY);
	assert_null(out);
}

struct parse_case {
	const char *name;
	const char *doc;
	int rc;
};

#define MHEX                                                                                       \
	"abababababababababababababababababababababababababababababababababababababababababababab" \
	"abababab"
#define ROLES                                                                                      \
	"\"roles\":{\"control\":{\"tee_types\":[\"sev-snp\"],\"measurements\":[\"" MHEX "\"]}}"
#define SIMROLES                                                                                   \
	"\"roles\":{\"control\":{\"tee_types\":[\"sim\"],\"measurements\":[\"" MHEX "\"],"         \
	"\"policy\":{\"allow_simulation\":true}}}"
#define HEAD "\"version\":1,\"name\":\"x\",\"created\":\"2025-01-01T00:00:00Z\","
#define SHA  "\"sha256\":\"1111111111111111111111111111111111111111111111111111111111111111\""

static void test_parse_cases(void **state)
{
	static const struct parse_case cases[] = {
	    {"minimal", "{" HEAD ROLES "}", 0},
	    {"with simulation", "{" HEAD SIMROLES ",\"simulation_root\":{" SHA "}}", 0},
	    {"not JSON", "{" HEAD, CU_EFORMAT},
	    {"not an object", "[1]", CU_EFORMAT},
	    {"duplicate key", "{" HEAD "\"name\":\"y\"," ROLES "}", CU_EFORMAT},
	    {"unknown key", "{" HEAD ROLES ",\"extra\":true}", CU_EFORMAT},
	    {"version 2",
	     "{\"version\":2,\"name\":\"x\",\"created\":\"2025-01-01T00:00:00Z\"," ROLES "}",
	     CU_EUNSUPPORTED},
	    {"version string",
	     "{\"version\":\"1\",\"name\":\"x\",\"created\":\"2025-01-01T00:00:00Z\"," ROLES "}",
	     CU_EFORMAT},
	    {"no name", "{\"version\":1,\"created\":\"2025-01-01T00:00:00Z\"," ROLES "}",
	     CU_EFORMAT},
	    {"empty name",
	     "{\"version\":1,\"name\":\"\",\"created\":\"2025-01-01T00:00:00Z\"," ROLES "}",
	     CU_EFORMAT},
	    {"control character in name",
	     "{\"version\":1,\"name\":\"a\\nb\",\"created\":\"2025-01-01T00:00:00Z\"," ROLES "}",
	     CU_EFORMAT},
	    {"bad created", "{\"version\":1,\"name\":\"x\",\"created\":\"yesterday\"," ROLES "}",
	     CU_EFORMAT},
	    {"created number", "{\"version\":1,\"name\":\"x\",\"created\":1," ROLES "}",
	     CU_EFORMAT},
	    {"no roles", "{\"version\":1,\"name\":\"x\",\"created\":\"2025-01-01T00:00:00Z\"}",
	     CU_EFORMAT},
	    {"bad role", "{" HEAD "\"roles\":{\"control\":{\"tee_types\":[\"sgx\"]}}}", CU_EFORMAT},
	    {"simulation without root", "{" HEAD SIMROLES "}", CU_EFORMAT},
	    {"root without simulation", "{" HEAD ROLES ",\"simulation_root\":{" SHA "}}",
	     CU_EFORMAT},
	    {"root sha256 short", "{" HEAD SIMROLES ",\"simulation_root\":{\"sha256\":\"1111\"}}",
	     CU_EFORMAT},
	    {"root both forms", "{" HEAD SIMROLES ",\"simulation_root\":{" SHA ",\"pem\":\"x\"}}",
	     CU_EFORMAT},
	    {"root pem garbage", "{" HEAD SIMROLES ",\"simulation_root\":{\"pem\":\"x\"}}",
	     CU_EFORMAT},
	    {"root unknown key", "{" HEAD SIMROLES ",\"simulation_root\":{\"der\":\"00\"}}",
	     CU_EFORMAT},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tee_manifest m;
		char reason[TEE_MANIFEST_REASON_LEN] = "";
		int rc = tee_manifest_parse(cases[i].doc, strlen(cases[i].doc), &m, reason,
		                            sizeof(reason));
		if (rc != cases[i].rc)
			fail_msg("case '%s': rc %d (%s), want %d", cases[i].name, rc, reason,
			         cases[i].rc);
		if (rc)
			assert_true(reason[0] != '\0');
	}
}

/* A simulation root given as PEM is pinned by the SHA-256 of its DER. */
static void test_sim_root_pem(void **state)
{
	uint8_t *pem, want[32];
	size_t n;
	json_t *doc;
	char *s;
	struct tee_manifest m;
	BIO *bio;
	X509 *c;
	unsigned char *der = NULL;
	int dlen;

	(void)state;
	assert_int_equal(cu_file_read(CUSTOS_SHARED_DIR "/testdata/attestation/roots/"
	                                                "amd-milan-ask-ark.pem",
	                              1 << 16, &pem, &n),
	                 0);
	bio = BIO_new_mem_buf(pem, (int)n);
	c = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_non_null(c);
	dlen = i2d_X509(c, &der);
	assert_int_equal(cr_sha256(der, (size_t)dlen, want), 0);
	/* Only the first certificate of the file: cut after its END line. */
	*(strstr((char *)pem, "-----END CERTIFICATE-----") + 25) = '\0';
	doc = json_pack("{s:i,s:s,s:s,s:o,s:{s:s}}", "version", 1, "name", "x", "created",
	                "2025-01-01T00:00:00Z", "roles",
	                json_loads("{\"r\":{\"tee_types\":[\"sim\"],\"measurements\":[\"" MHEX
	                           "\"],\"policy\":{\"allow_simulation\":true}}}",
	                           0, NULL),
	                "simulation_root", "pem", (char *)pem);
	assert_non_null(doc);
	s = json_dumps(doc, 0);
	assert_int_equal(tee_manifest_parse(s, strlen(s), &m, NULL, 0), 0);
	assert_int_equal(m.has_sim_root, 1);
	assert_memory_equal(m.sim_root_sha256, want, 32);
	free(s);
	json_decref(doc);
	OPENSSL_free(der);
	X509_free(c);
	BIO_free(bio);
	free(pem);
}

static void test_round_trip(void **state)
{
	struct tee_manifest a, b;
	char *s;
	size_t n;

	(void)state;
	for (int sim = 0; sim < 2; sim++) {
		make_manifest(&a, sim);
		assert_int_equal(tee_manifest_to_json(&a, &s, &n), 0);
		assert_int_equal(s[n - 1], '\n');
		assert_int_equal(tee_manifest_parse(s, n, &b, NULL, 0), 0);
		assert_memory_equal(&a, &b, sizeof(a));
		free(s);
	}
}

/* Authentic signatures over a document that is not a valid manifest: refused. */
static void test_signed_garbage(void **state)
{
	struct fx *f = *state;
	static const char doc[] = "{\"version\":1,\"name\":\"x\"";
	char *sig;
	size_t n;
	struct tee_manifest m;
	struct tee_manifest_sig s;
	EVP_PKEY *trusted[1] = {f->key[ED1]};

	assert_int_equal(
	    tee_manifest_sign((const uint8_t *)doc, strlen(doc), f->key[ED1], &sig, &n), 0);
	s.data = (uint8_t *)sig;
	s.len = n;
	assert_int_equal(tee_manifest_verify((const uint8_t *)doc, strlen(doc), &s, 1, trusted, 1,
	                                     1, &m, NULL, NULL, 0),
	                 CU_EFORMAT);
	free(sig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_threshold_rules),    cmocka_unit_test(test_signers_reported),
	    cmocka_unit_test(test_tampered_manifest),  cmocka_unit_test(test_sigfile_forms),
	    cmocka_unit_test(test_malformed_sigfiles), cmocka_unit_test(test_limits_and_keys),
	    cmocka_unit_test(test_signed_garbage),
	};
	const struct CMUnitTest plain[] = {
	    cmocka_unit_test(test_parse_cases),
	    cmocka_unit_test(test_sim_root_pem),
	    cmocka_unit_test(test_round_trip),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);

	return rc | cmocka_run_group_tests(plain, NULL, NULL);
}

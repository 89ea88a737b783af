/*
 * Unit tests: simulated evidence (tee/sim.h) made in-process by the issuer
 * functions, then verified: round trip, wrong root, every bit flipped,
 * every truncation, missing insecure flag, validity windows, key binding.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "crypto/pkey.h"
#include "tee/sim.h"

#define T0  1700000000LL /* "now" of the tests */
#define DAY 86400

struct fixture {
	EVP_PKEY *root_key, *attest_key;
	X509 *root;
	uint8_t *root_der;
	size_t root_der_len;
	uint8_t *cert;
	size_t cert_len;
	uint8_t m[SIM_MEASUREMENT_LEN], pid[SIM_PLATFORM_ID_LEN], rd[SIM_REPORT_DATA_LEN];
	uint8_t *ev;
	size_t evlen;
};

static void make_root(EVP_PKEY **key, X509 **root, uint8_t **der, size_t *len)
{
	unsigned char *d = NULL;
	int n;

	assert_int_equal(cr_pkey_generate(CR_KEY_P256, key), 0);
	assert_int_equal(sim_root_cert_new(*key, T0 - DAY, T0 + 365 * DAY, root), 0);
	n = i2d_X509(*root, &d);
	assert_true(n > 0);
	*der = malloc((size_t)n);
	assert_non_null(*der);
	memcpy(*der, d, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(d);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	make_root(&f->root_key, &f->root, &f->root_der, &f->root_der_len);
	assert_int_equal(cr_pkey_generate(CR_KEY_P256, &f->attest_key), 0);
	assert_int_equal(sim_attest_cert_new(f->root_key, f->root, f->attest_key, T0 - 60, T0 + DAY,
	                                     &f->cert, &f->cert_len),
	                 0);
	for (size_t i = 0; i < sizeof(f->m); i++)
		f->m[i] = (uint8_t)(0xa0 + i);
	memset(f->pid, 0x11, sizeof(f->pid));
	for (size_t i = 0; i < sizeof(f->rd); i++)
		f->rd[i] = (uint8_t)i;
	assert_int_equal(sim_evidence_build(f->m, f->pid, f->rd, f->attest_key, f->cert,
	                                    f->cert_len, &f->ev, &f->evlen),
	                 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	EVP_PKEY_free(f->root_key);
	EVP_PKEY_free(f->attest_key);
	X509_free(f->root);
	free(f->root_der);
	free(f->cert);
	free(f->ev);
	free(f);
	return 0;
}

static int verify(const struct fixture *f, const uint8_t *ev, size_t len, int64_t now,
                  struct tee_claims *c)
{
	char why[256];

	return sim_verify(ev, len, f->root_der, f->root_der_len, now, c, why, sizeof(why));
}

/* Sign ev again with key, as a forger holding the attestation key would. */
static void resign(uint8_t *ev, size_t len, EVP_PKEY *key)
{
	size_t siglen;

	assert_int_equal(cr_sign(key, ev, len - SIM_SIG_LEN, ev + len - SIM_SIG_LEN, &siglen), 0);
	assert_int_equal(siglen, SIM_SIG_LEN);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct tee_claims c;
	char why[256];
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;
	long n;

	assert_int_equal(verify(f, f->ev, f->evlen, T0, &c), 0);
	assert_int_equal(c.type, TEE_SIM);
	assert_int_equal(c.simulated, 1);
	assert_int_equal(c.debug, 0);
	assert_int_equal(c.measurement_len, SIM_MEASUREMENT_LEN);
	assert_memory_equal(c.measurement, f->m, SIM_MEASUREMENT_LEN);
	assert_memory_equal(c.report_data, f->rd, SIM_REPORT_DATA_LEN);
	assert_int_equal(c.tcb_status, TEE_TCB_NOT_APPLICABLE);
	assert_int_equal(c.signer_len, 0);

	/* The same root as PEM. */
	assert_non_null(bio);
	assert_true(PEM_write_bio_X509(bio, f->root));
	n = BIO_get_mem_data(bio, &pem);
	assert_int_equal(
	    sim_verify(f->ev, f->evlen, (const uint8_t *)pem, (size_t)n, T0, &c, why, sizeof(why)),
	    0);
	/* Two certificates: not one root. */
	assert_true(PEM_write_bio_X509(bio, f->root));
	n = BIO_get_mem_data(bio, &pem);
	assert_int_equal(
	    sim_verify(f->ev, f->evlen, (const uint8_t *)pem, (size_t)n, T0, &c, why, sizeof(why)),
	    CU_EINVAL);
	BIO_free(bio);
}

static void test_other_root(void **state)
{
	struct fixture *f = *state;
	struct tee_claims c;
	EVP_PKEY *k;
	X509 *r;
	uint8_t *der;
	size_t len;
	char why[256];

	make_root(&k, &r, &der, &len);
	/* Same subject name, another key: the chain must not verify. */
	assert_int_equal(sim_verify(f->ev, f->evlen, der, len, T0, &c, why, sizeof(why)),
	                 CU_EUNTRUSTED);
	assert_int_equal(c.type, TEE_NONE);
	/* No root, or garbage as root. */
	assert_int_equal(sim_verify(f->ev, f->evlen, NULL, 0, T0, &c, why, sizeof(why)), CU_EINVAL);
	assert_int_equal(sim_verify(f->ev, f->evlen, f->ev, f->evlen, T0, &c, why, sizeof(why)),
	                 CU_EINVAL);
	/* The attestation certificate is no root either, even if a caller passes it. */
	assert_int_not_equal(
	    sim_verify(f->ev, f->evlen, f->cert, f->cert_len, T0, &c, why, sizeof(why)), 0);
	EVP_PKEY_free(k);
	X509_free(r);
	free(der);
}

static void test_bit_flips(void **state)
{
	struct fixture *f = *state;
	struct tee_claims c;
	uint8_t *copy = malloc(f->evlen);

	assert_non_null(copy);
	for (size_t i = 0; i < f->evlen; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			memcpy(copy, f->ev, f->evlen);
			copy[i] ^= (uint8_t)(1u << bit);
			if (verify(f, copy, f->evlen, T0, &c) == 0)
				fail_msg("flip of bit %d in byte %zu verified", bit, i);
			assert_int_equal(c.type, TEE_NONE);
		}
	}
	free(copy);
}

static void test_truncation(void **state)
{
	struct fixture *f = *state;
	struct tee_claims c;
	uint8_t *longer = calloc(1, f->evlen + 1);

	for (size_t n = 0; n < f->evlen; n++)
		if (verify(f, f->ev, n, T0, &c) == 0)
			fail_msg("truncation to %zu bytes verified", n);
	/* A trailing byte is refused as well. */
	assert_non_null(longer);
	memcpy(longer, f->ev, f->evlen);
	assert_int_equal(verify(f, longer, f->evlen + 1, T0, &c), CU_EFORMAT);
	free(longer);
}

static void test_insecure_flag(void **state)
{
	struct fixture *f = *state;
	struct tee_claims c;
	struct sim_evidence e;
	uint8_t *copy = malloc(f->evlen);

	assert_non_null(copy);
	/* Without the flag, properly signed: malformed. */
	memcpy(copy, f->ev, f->evlen);
	copy[8] &= (uint8_t)~SIM_FLAG_INSECURE_SIMULATION;
	resign(copy, f->evlen, f->attest_key);
	assert_int_equal(verify(f, copy, f->evlen, T0, &c), CU_EFORMAT);
	assert_int_equal(sim_evidence_parse(copy, f->evlen, &e), CU_EFORMAT);
	/* An unknown flag beside it: malformed too. */
	memcpy(copy, f->ev, f->evlen);
	copy[9] |= 0x01;
	resign(copy, f->evlen, f->attest_key);
	assert_int_equal(verify(f, copy, f->evlen, T0, &c), CU_EFORMAT);
	/* Another version: unsupported. */
	memcpy(copy, f->ev, f->evlen);
	copy[4] = 2;
	resign(copy, f->evlen, f->attest_key);
	assert_int_equal(verify(f, copy, f->evlen, T0, &c), CU_EUNSUPPORTED);
	/* Re-signing itself is sound: the untouched evidence still verifies. */
	memcpy(copy, f->ev, f->evlen);
	resign(copy, f->evlen, f->attest_key);
	assert_int_equal(verify(f, copy, f->evlen, T0, &c), 0);
	free(copy);
}

static void test_validity(void **state)
{
	struct fixture *f = *state;
	struct tee_claims c;

	assert_int_equal(verify(f, f->ev, f->evlen, T0 + DAY - 1, &c), 0);
	assert_int_equal(verify(f, f->ev, f->evlen, T0 + 2 * DAY, &c), CU_EEXPIRED);
	assert_int_equal(verify(f, f->ev, f->evlen, T0 - 3600, &c), CU_EEXPIRED);
	/* The root itself expires after a year. */
	assert_int_equal(verify(f, f->ev, f->evlen, T0 + 400 * DAY, &c), CU_EEXPIRED);
}

static void test_key_binding(void **state)
{
	struct fixture *f = *state;
	struct tee_claims c;
	EVP_PKEY *other;
	uint8_t *ev;
	size_t len;

	/*
	 * A forger with its own key but the genuine certificate of another
	 * key: the evidence carries the forger's public key, which the
	 * certificate does not certify.
	 */
	assert_int_equal(cr_pkey_generate(CR_KEY_P256, &other), 0);
	assert_int_equal(
	    sim_evidence_build(f->m, f->pid, f->rd, other, f->cert, f->cert_len, &ev, &len), 0);
	assert_int_equal(verify(f, ev, len, T0, &c), CU_EUNTRUSTED);
	free(ev);
	/* The forger puts the genuine public key in: then the signature fails. */
	assert_int_equal(
	    sim_evidence_build(f->m, f->pid, f->rd, other, f->cert, f->cert_len, &ev, &len), 0);
	memcpy(ev + 140, f->ev + 140, SIM_PUBKEY_LEN);
	resign(ev, len, other);
	assert_int_equal(verify(f, ev, len, T0, &c), CU_EAUTH);
	free(ev);
	EVP_PKEY_free(other);
}

static void test_ca_as_attestation_key(void **state)
{
	struct fixture *f = *state;
	struct tee_claims c;
	uint8_t *ev;
	size_t len;

	/* Evidence signed with the root key and the root certificate as "attestation cert". */
	assert_int_equal(sim_evidence_build(f->m, f->pid, f->rd, f->root_key, f->root_der,
	                                    f->root_der_len, &ev, &len),
	                 0);
	assert_int_equal(verify(f, ev, len, T0, &c), CU_EUNTRUSTED);
	free(ev);
}

struct shown {
	int count;
	int saw_insecure;
	char measurement[2 * SIM_MEASUREMENT_LEN + 1];
};

static int on_field(void *arg, const char *name, const char *value)
{
	struct shown *s = arg;

	s->count++;
	if (!strcmp(name, "flags") && strstr(value, "INSECURE_SIMULATION"))
		s->saw_insecure = 1;
	if (!strcmp(name, "measurement"))
		snprintf(s->measurement, sizeof(s->measurement), "%s", value);
	return 0;
}

static int stop_at_third(void *arg, const char *name, const char *value)
{
	(void)name;
	(void)value;
	return ++*(int *)arg == 3 ? CU_ESTATE : 0;
}

static void test_show(void **state)
{
	struct fixture *f = *state;
	struct sim_evidence *e = malloc(sizeof(*e));
	struct shown s = {0};
	int n = 0;

	assert_non_null(e);
	assert_int_equal(sim_evidence_parse(f->ev, f->evlen, e), 0);
	assert_int_equal(e->cert_len, f->cert_len);
	assert_int_equal(e->signed_len, f->evlen - SIM_SIG_LEN);
	assert_int_equal(sim_evidence_show(e, on_field, &s), 0);
	assert_int_equal(s.count, 10);
	assert_true(s.saw_insecure);
	assert_string_equal(s.measurement, "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9bab"
	                                   "bbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf");
	assert_int_equal(sim_evidence_show(e, stop_at_third, &n), CU_ESTATE);
	assert_int_equal(n, 3);
	free(e);
}

static void test_parse_limits(void **state)
{
	struct fixture *f = *state;
	struct sim_evidence *e = malloc(sizeof(*e));
	uint8_t *copy = malloc(f->evlen);

	assert_non_null(e);
	assert_non_null(copy);
	assert_int_equal(sim_evidence_parse(f->ev, SIM_EVIDENCE_MAX + 1, e), CU_ELIMIT);
	/* A certificate length of 0, and one beyond SIM_CERT_MAX. */
	memcpy(copy, f->ev, f->evlen);
	copy[204] = 0;
	copy[205] = 0;
	assert_int_equal(sim_evidence_parse(copy, f->evlen, e), CU_EFORMAT);
	copy[204] = 0x01;
	copy[205] = 0x08; /* 2049 */
	assert_int_equal(sim_evidence_parse(copy, f->evlen, e), CU_EFORMAT);
	/* Bad magic, non-zero reserved bytes. */
	memcpy(copy, f->ev, f->evlen);
	copy[0] = 'X';
	assert_int_equal(sim_evidence_parse(copy, f->evlen, e), CU_EFORMAT);
	memcpy(copy, f->ev, f->evlen);
	copy[7] = 1;
	assert_int_equal(sim_evidence_parse(copy, f->evlen, e), CU_EFORMAT);
	free(copy);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_other_root, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bit_flips, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_insecure_flag, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_validity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_binding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ca_as_attestation_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_show, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parse_limits, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests: custos_connect accepts a manifest only with k of n trusted
 * auditor signatures (the logic custos attest shares, src/client/trust.c),
 * and reaches nothing before; a refused connection leaves the client ready
 * for another try. No platform runs here: the accepted cases end at a port
 * where nothing listens.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/trust.h"
#include "common/file.h"
#include "crypto/pkey.h"
#include "custos/custos.h"
#include "tee/manifest.h"

struct fx {
	char dir[64];
	char manifest[128], sig[3][128], pub[3][128], notpem[128];
};

static void write_file(const char *path, const void *buf, size_t len)
{
	assert_int_equal(cu_file_write_atomic(path, buf, len, 0600), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct tee_manifest m;
	struct tee_policy_role *r;
	uint8_t meas[48];
	char *doc, *sig, *pub;
	size_t len, siglen, publen;

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/custos-test-connect-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	memset(&m, 0, sizeof(m));
	m.version = TEE_MANIFEST_VERSION;
	snprintf(m.name, sizeof(m.name), "test platform");
	m.created = 1735689600;
	memset(meas, 0xab, sizeof(meas));
	if (tee_policy_add_role(&m.policy, "control", &r))
		return -1;
	r->tee_types = TEE_TYPE_BIT(TEE_TDX);
	if (tee_policy_add_measurement(r, meas, 48) || tee_manifest_to_json(&m, &doc, &len))
		return -1;
	snprintf(f->manifest, sizeof(f->manifest), "%s/m.json", f->dir);
	write_file(f->manifest, doc, len);
	for (int i = 0; i < 3; i++) {
		EVP_PKEY *k = NULL;
		if (cr_pkey_generate(CR_KEY_ED25519, &k) ||
		    tee_manifest_sign((uint8_t *)doc, len, k, &sig, &siglen) ||
		    cr_pkey_to_pem(k, 0, &pub, &publen))
			return -1;
		snprintf(f->sig[i], sizeof(f->sig[i]), "%s/m.a%d.sig", f->dir, i);
		snprintf(f->pub[i], sizeof(f->pub[i]), "%s/a%d.pub", f->dir, i);
		write_file(f->sig[i], sig, siglen);
		write_file(f->pub[i], pub, publen);
		free(sig);
		free(pub);
		EVP_PKEY_free(k);
	}
	snprintf(f->notpem, sizeof(f->notpem), "%s/not.pub", f->dir);
	write_file(f->notpem, "hello", 5);
	free(doc);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Connect with signatures sigs[] and auditors a0, a1 (k of them); the error and message. */
static int try_connect(struct fx *f, struct custos_client *c, const char *url, int nsigs,
                       const int *sigs, unsigned k, const char *role, const char *expect)
{
	const char *s[3], *a[2] = {f->pub[0], f->pub[1]};
	struct custos_trust t = {.url = url,
	                         .manifest = f->manifest,
	                         .signatures = s,
	                         .nsignatures = (size_t)nsigs,
	                         .auditors = a,
	                         .nauditors = 2,
	                         .threshold = k,
	                         .role = role};
	int rc;

	for (int i = 0; i < nsigs; i++)
		s[i] = f->sig[sigs[i]];
	rc = custos_connect(c, &t);
	if (expect && !strstr(custos_last_error(c), expect))
		fail_msg("'%s' does not say '%s'", custos_last_error(c), expect);
	return rc;
}

#define NOWHERE "https://127.0.0.1:1"

static void test_k_of_n(void **state)
{
	struct fx *f = *state;
	struct custos_client *c = custos_client_new();
	const int both[] = {0, 1}, one[] = {0}, stranger[] = {0, 2}, twice[] = {0, 0};

	/* Two trusted auditors signed, k = 2: accepted, then nothing listens. */
	assert_int_equal(try_connect(f, c, NOWHERE, 2, both, 2, NULL, "cannot reach"), CUSTOS_EIO);
	/* The client is ready for another try after any failure. */
	assert_int_equal(try_connect(f, c, NOWHERE, 1, one, 1, NULL, "cannot reach"), CUSTOS_EIO);
	assert_int_equal(try_connect(f, c, NOWHERE, 1, one, 2, NULL, "1 of the 2 required"),
	                 CUSTOS_EATTEST);
	assert_int_equal(try_connect(f, c, NOWHERE, 0, NULL, 1, NULL, "0 of the 1 required"),
	                 CUSTOS_EATTEST);
	/* A signature by an auditor the client does not trust does not count. */
	assert_int_equal(try_connect(f, c, NOWHERE, 2, stranger, 2, NULL, "refused"),
	                 CUSTOS_EATTEST);
	/* Nor does one auditor twice. */
	assert_int_equal(try_connect(f, c, NOWHERE, 2, twice, 2, NULL, "refused"), CUSTOS_EATTEST);
	/* k = 0 never: a manifest is never accepted unsigned; k beyond n neither. */
	assert_int_equal(try_connect(f, c, NOWHERE, 2, both, 0, NULL, "threshold"), CUSTOS_EINVAL);
	assert_int_equal(try_connect(f, c, NOWHERE, 2, both, 3, NULL, "threshold"), CUSTOS_EINVAL);
	assert_int_equal(try_connect(f, c, NOWHERE, 2, both, 2, "worker", "no role 'worker'"),
	                 CUSTOS_EATTEST);
	assert_int_equal(try_connect(f, c, "http://127.0.0.1:1", 2, both, 2, NULL, "https://"),
	                 CUSTOS_EINVAL);
	assert_int_equal(try_connect(f, c, "https://127.0.0.1:1 x", 2, both, 2, NULL, "https://"),
	                 CUSTOS_EINVAL);
	custos_client_free(c);
}

static void test_files(void **state)
{
	struct fx *f = *state;
	struct custos_client *c = custos_client_new();
	const char *a[1] = {f->notpem}, *s[1] = {f->sig[0]};
	struct custos_trust t = {.url = NOWHERE,
	                         .manifest = f->manifest,
	                         .signatures = s,
	                         .nsignatures = 1,
	                         .auditors = a,
	                         .nauditors = 1,
	                         .threshold = 1};
	char missing[160];

	assert_int_equal(custos_connect(c, &t), CUSTOS_EINVAL);
	assert_non_null(strstr(custos_last_error(c), "not a PEM public key"));
	a[0] = f->pub[0];
	snprintf(missing, sizeof(missing), "%s/none.json", f->dir);
	t.manifest = missing;
	assert_int_equal(custos_connect(c, &t), CUSTOS_EIO);
	assert_non_null(strstr(custos_last_error(c), "no such file"));
	t.manifest = f->manifest;
	t.nauditors = 0;
	assert_int_equal(custos_connect(c, &t), CUSTOS_EINVAL);
	t.nauditors = 1;
	/* A tampered manifest: the signatures no longer verify. */
	write_file(f->manifest, "{}", 2);
	assert_int_equal(custos_connect(c, &t), CUSTOS_EATTEST);
	assert_int_equal(custos_connect(c, NULL), CUSTOS_EINVAL);
	assert_int_equal(custos_connect(NULL, &t), CUSTOS_EINVAL);
	custos_client_free(c);
}

/* The shared loader as custos attest uses it: the signers and the verifier. */
static void test_trust_loader(void **state)
{
	struct fx *f = *state;
	const char *s[2] = {f->sig[1], f->sig[0]}, *a[3] = {f->pub[0], f->pub[1], f->pub[2]};
	struct cl_trust_config cfg = {.manifest = f->manifest,
	                              .signatures = s,
	                              .nsignatures = 2,
	                              .auditors = a,
	                              .nauditors = 3,
	                              .threshold = 2};
	struct cl_trust *t = NULL;
	char msg[CL_TRUST_MSG_MAX];

	assert_int_equal(cl_trust_load(&cfg, &t, msg, sizeof(msg)), 0);
	assert_non_null(t->verifier);
	assert_string_equal(t->role, "control");
	assert_int_equal(t->signers.count, 2);
	assert_string_equal(t->manifest.name, "test platform");
	assert_int_equal(t->manifest_allows_sim, 0);
	cl_trust_free(t);
	cfg.threshold = 3;
	assert_int_not_equal(cl_trust_load(&cfg, &t, msg, sizeof(msg)), 0);
	assert_null(t);
	assert_non_null(strstr(msg, "2 of the 3 required"));
	cl_trust_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_k_of_n, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trust_loader, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests: the SEV-SNP verifier against real reports (shared test data):
 * acceptance, bit flips in every byte, truncation, wrong certificates and
 * chains, "now" outside the certificates' validity.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/file.h"
#include "common/time.h"
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

static int verify_files(const char *report, const char *vcek, const char *chain, int64_t now,
                        struct tee_claims *c, char *reason, size_t rsz)
{
	struct blob r = load(report), v = load(vcek), ch = load(chain);
	struct snp_certs certs = {v.p, v.n, ch.p, ch.n};
	int rc = snp_verify(r.p, r.n, &certs, now, c, NULL, reason, rsz);

	free(r.p);
	free(v.p);
	free(ch.p);
	return rc;
}

struct verify_case {
	const char *name;
	const char *report, *vcek, *chain;
	int64_t now; /* 0: 2025-01-01 */
	int rc;
	int debug;
	uint64_t policy;
};

static void test_real_reports(void **state)
{
	static const struct verify_case cases[] = {
	    {"report-a", DATA "snp/report-a.bin", DATA "snp/report-a.vcek.der", MILAN, 0, 0, 1,
	     0xb0000},
	    {"report-b", DATA "snp/report-b.bin", DATA "snp/report-b.vcek.der", MILAN, 0, 0, 0,
	     0x30000},
	    {"a just before VCEK expiry", DATA "snp/report-a.bin", DATA "snp/report-a.vcek.der",
	     MILAN, 1884905727 /* 2029-09-24T00:55:27Z */, 0, 1, 0xb0000},
	    {"a with b's VCEK", DATA "snp/report-a.bin", DATA "snp/report-b.vcek.der", MILAN, 0,
	     CU_EAUTH, 0, 0},
	    {"b with a's VCEK", DATA "snp/report-b.bin", DATA "snp/report-a.vcek.der", MILAN, 0,
	     CU_EAUTH, 0, 0},
	    {"a with the Genoa chain", DATA "snp/report-a.bin", DATA "snp/report-a.vcek.der",
	     DATA "roots/amd-genoa-ask-ark.pem", 0, CU_EUNTRUSTED, 0, 0},
	    {"a with the Turin chain", DATA "snp/report-a.bin", DATA "snp/report-a.vcek.der",
	     DATA "roots/amd-turin-ask-ark.pem", 0, CU_EUNTRUSTED, 0, 0},
	    {"a with the Milan VLEK chain", DATA "snp/report-a.bin", DATA "snp/report-a.vcek.der",
	     DATA "roots/amd-milan-vlek-ask-ark.pem", 0, CU_EUNTRUSTED, 0, 0},
	    {"a with the Intel root as chain", DATA "snp/report-a.bin",
	     DATA "snp/report-a.vcek.der", DATA "roots/intel-sgx-root-ca.der", 0, CU_EFORMAT, 0, 0},
	    {"a after VCEK expiry", DATA "snp/report-a.bin", DATA "snp/report-a.vcek.der", MILAN,
	     1884905729 /* 2029-09-24T00:55:29Z */, CU_EEXPIRED, 0, 0},
	    {"a in 2040", DATA "snp/report-a.bin", DATA "snp/report-a.vcek.der", MILAN, 2208988800,
	     CU_EEXPIRED, 0, 0},
	    {"a before VCEK issue", DATA "snp/report-a.bin", DATA "snp/report-a.vcek.der", MILAN,
	     1640995200 /* 2022-01-01 */, CU_EEXPIRED, 0, 0},
	    {"b after VCEK expiry", DATA "snp/report-b.bin", DATA "snp/report-b.vcek.der", MILAN,
	     1901474624 /* 2030-04-03T19:23:44Z */, CU_EEXPIRED, 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct verify_case *k = &cases[i];
		struct tee_claims c;
		char reason[SNP_REASON_LEN];
		int rc = verify_files(k->report, k->vcek, k->chain, k->now ? k->now : t_2025(), &c,
		                      reason, sizeof(reason));

		if (rc != k->rc)
			fail_msg("case '%s': rc %d (%s), want %d", k->name, rc, reason, k->rc);
		assert_true(reason[0] != '\0');
		if (rc) {
			assert_int_equal(c.type, TEE_NONE);
			continue;
		}
		assert_int_equal(c.type, TEE_SEV_SNP);
		assert_int_equal(c.debug, k->debug);
		assert_int_equal(c.snp_policy, k->policy);
		assert_int_equal(c.measurement_len, 48);
		assert_int_equal(c.tcb_status, TEE_TCB_NOT_APPLICABLE);
		assert_int_equal(c.simulated, 0);
	}
}

/* Every claim comes from its offset in the report. */
static void test_claims_fields(void **state)
{
	struct blob r = load(DATA "snp/report-a.bin"), v = load(DATA "snp/report-a.vcek.der"),
	            ch = load(MILAN);
	struct snp_certs certs = {v.p, v.n, ch.p, ch.n};
	struct snp_report rep;
	struct tee_claims c;

	(void)state;
	assert_int_equal(snp_verify(r.p, r.n, &certs, t_2025(), &c, &rep, NULL, 0), 0);
	assert_memory_equal(c.measurement, r.p + 0x90, 48);
	assert_memory_equal(c.report_data, r.p + 0x50, 64);
	assert_memory_equal(c.chip_id, r.p + 0x1a0, 64);
	assert_int_equal(c.reported_tcb, 0x4405000000000002ULL);
	assert_int_equal(c.security_version, 0);
	assert_int_equal(c.signer_len, 0); /* AUTHOR_KEY_EN is clear */
	assert_int_equal(rep.version, 2);
	assert_int_equal(rep.has_cpuid, 0);
	assert_int_equal(rep.vmpl, 0);
	free(r.p);
	free(v.p);
	free(ch.p);
}

struct region {
	const char *name;
	size_t off;
	int rc;
};

/* One flip per named region, with the error each must give. */
static void test_flip_regions(void **state)
{
	static const struct region regions[] = {
	    {"version 2 -> 3", 0x00, CU_EAUTH},
	    {"version high byte", 0x03, CU_EUNSUPPORTED},
	    {"guest_svn", 0x04, CU_EAUTH},
	    {"policy", 0x08, CU_EAUTH},
	    {"policy debug bit", 0x0a, CU_EAUTH},
	    {"family_id", 0x10, CU_EAUTH},
	    {"image_id", 0x20, CU_EAUTH},
	    {"vmpl", 0x30, CU_EAUTH},
	    {"signature_algo", 0x34, CU_EUNSUPPORTED},
	    {"current_tcb", 0x38, CU_EAUTH},
	    {"platform_info", 0x40, CU_EAUTH},
	    {"key_info author_key_en", 0x48, CU_EAUTH},
	    {"reserved 0x4c", 0x4c, CU_EAUTH},
	    {"report_data", 0x50, CU_EAUTH},
	    {"measurement", 0x90, CU_EAUTH},
	    {"host_data", 0xc0, CU_EAUTH},
	    {"id_key_digest", 0xe0, CU_EAUTH},
	    {"author_key_digest", 0x110, CU_EAUTH},
	    {"report_id", 0x140, CU_EAUTH},
	    {"report_id_ma", 0x160, CU_EAUTH},
	    {"reported_tcb", 0x180, CU_EAUTH},
	    {"cpuid / reserved", 0x188, CU_EAUTH},
	    {"chip_id", 0x1a0, CU_EAUTH},
	    {"committed_tcb", 0x1e0, CU_EAUTH},
	    {"firmware versions", 0x1e8, CU_EAUTH},
	    {"launch_tcb", 0x1f0, CU_EAUTH},
	    {"mitigation vectors", 0x1f8, CU_EAUTH},
	    {"reserved 0x208", 0x208, CU_EAUTH},
	    {"last signed byte", 0x29f, CU_EAUTH},
	    {"signature r", 0x2a0, CU_EAUTH},
	    {"signature r zero extension", 0x2a0 + 50, CU_EFORMAT},
	    {"signature s", 0x2e8, CU_EAUTH},
	    {"signature s zero extension", 0x2e8 + 60, CU_EFORMAT},
	    {"signature reserved", 0x330, CU_EFORMAT},
	    {"last byte", 0x49f, CU_EFORMAT},
	};
	struct blob r = load(DATA "snp/report-a.bin"), v = load(DATA "snp/report-a.vcek.der"),
	            ch = load(MILAN);
	struct snp_certs certs = {v.p, v.n, ch.p, ch.n};
	struct tee_claims claims;

	(void)state;
	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
		struct tee_claims c;
		char reason[SNP_REASON_LEN];
		int rc;

		r.p[regions[i].off] ^= 0x01;
		rc = snp_verify(r.p, r.n, &certs, t_2025(), &c, NULL, reason, sizeof(reason));
		r.p[regions[i].off] ^= 0x01;
		if (rc != regions[i].rc)
			fail_msg("region '%s': rc %d (%s), want %d", regions[i].name, rc, reason,
			         regions[i].rc);
		assert_int_equal(c.type, TEE_NONE);
	}
	/* The signing key field says VLEK: the VCEK certificate is the wrong kind. */
	r.p[0x48] ^= 0x04;
	assert_int_equal(snp_verify(r.p, r.n, &certs, t_2025(), &claims, NULL, NULL, 0), CU_EKEY);
	r.p[0x48] ^= 0x04;
	free(r.p);
	free(v.p);
	free(ch.p);
}

/* Flip one bit of every byte of both reports: nothing verifies. */
static void test_flip_every_byte(void **state)
{
	static const char *const files[][2] = {
	    {DATA "snp/report-a.bin", DATA "snp/report-a.vcek.der"},
	    {DATA "snp/report-b.bin", DATA "snp/report-b.vcek.der"},
	};
	struct blob ch = load(MILAN);

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		struct blob r = load(files[f][0]), v = load(files[f][1]);
		struct snp_certs certs = {v.p, v.n, ch.p, ch.n};

		for (size_t i = 0; i < r.n; i++) {
			struct tee_claims c;
			uint8_t bit = (uint8_t)(1u << (i % 8));
			int rc;

			r.p[i] ^= bit;
			rc = snp_verify(r.p, r.n, &certs, t_2025(), &c, NULL, NULL, 0);
			r.p[i] ^= bit;
			if (rc == 0)
				fail_msg("%s: flip at 0x%zx verifies", files[f][0], i);
		}
		free(r.p);
		free(v.p);
	}
	free(ch.p);
}

static void test_truncation(void **state)
{
	struct blob r = load(DATA "snp/report-a.bin");
	struct snp_report rep;
	uint8_t *longer = calloc(1, r.n + 1);

	(void)state;
	assert_non_null(longer);
	for (size_t n = 0; n < r.n; n++)
		assert_int_equal(snp_report_parse(r.p, n, &rep, NULL, 0), CU_ETRUNC);
	memcpy(longer, r.p, r.n);
	assert_int_equal(snp_report_parse(longer, r.n + 1, &rep, NULL, 0), CU_EFORMAT);
	assert_int_equal(snp_report_parse(r.p, r.n, &rep, NULL, 0), 0);
	free(longer);
	free(r.p);
}

/* Versions outside 2..5 and signing keys that are not VCEK/VLEK are refused by the parser. */
static void test_versions_and_keys(void **state)
{
	static const struct {
		const char *name;
		size_t off;
		uint8_t val;
		int rc;
	} cases[] = {
	    {"version 0", 0x00, 0, CU_EUNSUPPORTED},
	    {"version 1", 0x00, 1, CU_EUNSUPPORTED},
	    {"version 3", 0x00, 3, 0},
	    {"version 4", 0x00, 4, 0},
	    {"version 5", 0x00, 5, 0},
	    {"version 6", 0x00, 6, CU_EUNSUPPORTED},
	    {"version 255", 0x00, 255, CU_EUNSUPPORTED},
	    {"sig algo 0", 0x34, 0, CU_EUNSUPPORTED},
	    {"sig algo 2", 0x34, 2, CU_EUNSUPPORTED},
	    {"key VLEK", 0x48, 1u << 2, 0},
	    {"key 2", 0x48, 2u << 2, CU_EFORMAT},
	    {"key none", 0x48, 7u << 2, CU_EFORMAT},
	    {"mask chip key", 0x48, 2, CU_EFORMAT},
	};
	struct blob r = load(DATA "snp/report-a.bin");

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct snp_report rep;
		char reason[SNP_REASON_LEN];
		uint8_t saved = r.p[cases[i].off];
		int rc;

		r.p[cases[i].off] = cases[i].val;
		rc = snp_report_parse(r.p, r.n, &rep, reason, sizeof(reason));
		r.p[cases[i].off] = saved;
		if (rc != cases[i].rc)
			fail_msg("case '%s': rc %d (%s), want %d", cases[i].name, rc, reason,
			         cases[i].rc);
		if (!rc && cases[i].off == 0) {
			assert_int_equal(rep.has_cpuid, cases[i].val >= 3);
			assert_int_equal(rep.has_mit_vector, cases[i].val >= 5);
		}
	}
	free(r.p);
}

static void test_bad_certificate_inputs(void **state)
{
	struct blob r = load(DATA "snp/report-a.bin"), v = load(DATA "snp/report-a.vcek.der"),
	            ch = load(MILAN);
	struct tee_claims c;
	struct snp_certs certs = {v.p, v.n, ch.p, ch.n};

	(void)state;
	/* No certificates at all, no chain, a truncated VCEK, trailing bytes after it. */
	assert_int_equal(snp_verify(r.p, r.n, NULL, t_2025(), &c, NULL, NULL, 0), CU_EINVAL);
	certs.chain_len = 0;
	assert_int_equal(snp_verify(r.p, r.n, &certs, t_2025(), &c, NULL, NULL, 0), CU_EINVAL);
	certs.chain_len = ch.n;
	certs.leaf_len = v.n - 1;
	assert_int_equal(snp_verify(r.p, r.n, &certs, t_2025(), &c, NULL, NULL, 0), CU_EFORMAT);
	certs.leaf_len = v.n;
	/* The chain without its ARK: no pinned root. */
	certs.chain_len =
	    (size_t)(strstr((char *)ch.p, "-----END CERTIFICATE-----") - (char *)ch.p) + 26;
	assert_int_equal(snp_verify(r.p, r.n, &certs, t_2025(), &c, NULL, NULL, 0), CU_EUNTRUSTED);
	/* The ARK alone: the ASK is missing. */
	certs.chain = ch.p + certs.chain_len;
	certs.chain_len = ch.n - certs.chain_len;
	assert_int_equal(snp_verify(r.p, r.n, &certs, t_2025(), &c, NULL, NULL, 0), CU_EUNTRUSTED);
	free(r.p);
	free(v.p);
	free(ch.p);
}

/* The VCEK of report b is bound to another chip and TCB than report a. */
static void test_binding_real(void **state)
{
	struct blob r = load(DATA "snp/report-a.bin"), va = load(DATA "snp/report-a.vcek.der"),
	            vb = load(DATA "snp/report-b.vcek.der");
	struct snp_report rep;
	char reason[SNP_REASON_LEN];

	(void)state;
	assert_int_equal(snp_report_parse(r.p, r.n, &rep, NULL, 0), 0);
	assert_int_equal(
	    snp_check_cert_binding(va.p, va.n, &rep, SNP_PRODUCT_MILAN, reason, sizeof(reason)), 0);
	assert_int_equal(
	    snp_check_cert_binding(vb.p, vb.n, &rep, SNP_PRODUCT_MILAN, reason, sizeof(reason)),
	    CU_ETCB);
	assert_non_null(strstr(reason, "hwID"));
	/* As a VLEK-signed report, no hwID check: the TCB still differs. */
	rep.key_info |= 1u << 2;
	assert_int_equal(
	    snp_check_cert_binding(vb.p, vb.n, &rep, SNP_PRODUCT_MILAN, reason, sizeof(reason)),
	    CU_ETCB);
	assert_non_null(strstr(reason, "SPL"));
	/* Masked chip id. */
	rep.key_info &= ~(1u << 2);
	memset(rep.chip_id, 0, sizeof(rep.chip_id));
	assert_int_equal(snp_check_cert_binding(va.p, va.n, &rep, SNP_PRODUCT_MILAN, NULL, 0),
	                 CU_ETCB);
	/* As a Turin report the layout differs and fmcSPL is missing. */
	assert_int_equal(snp_report_parse(r.p, r.n, &rep, NULL, 0), 0);
	assert_int_equal(
	    snp_check_cert_binding(va.p, va.n, &rep, SNP_PRODUCT_TURIN, reason, sizeof(reason)),
	    CU_ETCB);
	free(r.p);
	free(va.p);
	free(vb.p);
}

static int count_field(void *arg, const char *name, const char *value)
{
	(void)name;
	assert_non_null(value);
	(*(int *)arg)++;
	return 0;
}

static void test_show(void **state)
{
	struct blob r = load(DATA "snp/report-b.bin");
	struct snp_report rep;
	int n = 0;

	(void)state;
	assert_int_equal(snp_report_parse(r.p, r.n, &rep, NULL, 0), 0);
	assert_int_equal(snp_report_show(&rep, SNP_PRODUCT_UNKNOWN, count_field, &n), 0);
	assert_true(n > 50);
	free(r.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_real_reports),
	    cmocka_unit_test(test_claims_fields),
	    cmocka_unit_test(test_flip_regions),
	    cmocka_unit_test(test_flip_every_byte),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_versions_and_keys),
	    cmocka_unit_test(test_bad_certificate_inputs),
	    cmocka_unit_test(test_binding_real),
	    cmocka_unit_test(test_show),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

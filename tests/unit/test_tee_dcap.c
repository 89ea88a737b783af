/* Unit tests: DCAP quote verification against the real vectors (expected results). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tee_dcap_util.h"

static int has_advisory(const struct tee_claims *c, const char *id)
{
	for (size_t i = 0; i < c->advisory_count; i++)
		if (!strcmp(c->advisories[i], id))
			return 1;
	return 0;
}

static void test_sgx_v3(void **state)
{
	struct vec v = SGX_V3;
	struct dcap_collateral *col;
	struct dcap_result res;
	struct tee_claims c;
	int rc;
	static const uint8_t fmspc[6] = {0x00, 0xa0, 0x67, 0x11, 0x00, 0x00};

	(void)state;
	vec_load(&v);
	col = col_parse(v.c, v.clen);
	rc = dcap_verify(v.q, v.qlen, col, v.now, &c, &res);
	print_message("sgx v3: %s\n", res.reason);
	assert_int_equal(rc, 0);
	assert_int_equal(c.type, TEE_SGX);
	assert_int_equal(c.tcb_status, TEE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED);
	assert_int_equal(res.platform, TEE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED);
	assert_int_equal(res.qe, TEE_TCB_UP_TO_DATE);
	assert_int_equal(c.advisory_count, 2);
	assert_true(has_advisory(&c, "INTEL-SA-00289"));
	assert_true(has_advisory(&c, "INTEL-SA-00615"));
	assert_true(c.has_fmspc);
	assert_memory_equal(c.fmspc, fmspc, 6);
	assert_int_equal(c.measurement_len, 32);
	assert_int_equal(c.signer_len, 32);
	assert_int_not_equal(c.tcb_date, 0);
	dcap_collateral_free(col);
	vec_free(&v);
}

static void test_tdx_v4(void **state)
{
	struct vec v = TDX_V4;
	struct dcap_collateral *col;
	struct dcap_result res;
	struct tee_claims c;
	int rc;
	static const uint8_t fmspc[6] = {0xb0, 0xc0, 0x6f, 0x00, 0x00, 0x00};

	(void)state;
	vec_load(&v);
	col = col_parse(v.c, v.clen);
	rc = dcap_verify(v.q, v.qlen, col, v.now, &c, &res);
	print_message("tdx v4: %s\n", res.reason);
	assert_int_equal(rc, 0);
	assert_int_equal(c.type, TEE_TDX);
	assert_int_equal(c.tcb_status, TEE_TCB_UP_TO_DATE);
	assert_string_equal(res.tdx_module_id, "TDX_01");
	assert_int_equal(res.tdx_module, TEE_TCB_UP_TO_DATE);
	assert_memory_equal(c.fmspc, fmspc, 6);
	assert_int_equal(c.measurement_len, 48);
	dcap_collateral_free(col);
	vec_free(&v);
}

static void test_tdx_v5_notcb(void **state)
{
	struct vec v = TDX_V5;
	struct dcap_collateral *col;
	struct dcap_result res;
	struct tee_claims c;

	(void)state;
	vec_load(&v);
	col = col_parse(v.c, v.clen);
	/* Authentic without collateral... */
	assert_int_equal(dcap_verify(v.q, v.qlen, NULL, v.now, &c, &res), 0);
	assert_int_equal(c.tcb_status, TEE_TCB_UNKNOWN);
	/* ...but no TCB level matches, and the reason names the component. */
	assert_int_equal(dcap_verify(v.q, v.qlen, col, v.now, &c, &res), CU_ETCB);
	print_message("tdx v5: %s\n", res.reason);
	assert_non_null(strstr(res.reason, "component 8"));
	assert_non_null(strstr(res.reason, "is 3"));
	assert_non_null(strstr(res.reason, "needs 5"));
	assert_int_equal(c.type, TEE_NONE);
	dcap_collateral_free(col);
	vec_free(&v);
}

/* Without collateral: authentic up to the root, status Unknown. */
static void test_no_collateral(void **state)
{
	struct vec vs[] = {SGX_V3, TDX_V4, TDX_V5};
	struct dcap_result res;
	struct tee_claims c;

	(void)state;
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		vec_load(&vs[i]);
		assert_int_equal(dcap_verify(vs[i].q, vs[i].qlen, NULL, vs[i].now, &c, &res), 0);
		assert_int_equal(c.tcb_status, TEE_TCB_UNKNOWN);
		assert_int_equal(c.advisory_count, 0);
		/* PCK certificates are valid for years, but not forever. */
		assert_int_equal(
		    dcap_verify(vs[i].q, vs[i].qlen, NULL, t_of("2060-01-01T00:00:00Z"), &c, &res),
		    CU_EEXPIRED);
		assert_int_equal(
		    dcap_verify(vs[i].q, vs[i].qlen, NULL, t_of("2015-01-01T00:00:00Z"), &c, &res),
		    CU_EEXPIRED);
		vec_free(&vs[i]);
	}
}

/* Collateral verified once and cached gives the same answers as uncached. */
static void test_cached_collateral(void **state)
{
	struct vec v = SGX_V3;
	struct dcap_collateral *col;
	struct dcap_result res;
	struct tee_claims c;

	(void)state;
	vec_load(&v);
	col = col_parse(v.c, v.clen);
	assert_int_equal(dcap_collateral_verify(col, v.now, &res), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(dcap_verify(v.q, v.qlen, col, v.now + i, &c, &res), 0);
		assert_int_equal(c.tcb_status, TEE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED);
	}
	/* Outside the cached window the full check runs again and fails. */
	assert_int_equal(dcap_verify(v.q, v.qlen, col, t_of("2025-08-01T00:00:00Z"), &c, &res),
	                 CU_EEXPIRED);
	assert_int_equal(dcap_collateral_verify(col, t_of("2025-08-01T00:00:00Z"), &res),
	                 CU_EEXPIRED);
	dcap_collateral_free(col);
	vec_free(&v);
}

static int count_field(void *arg, const char *name, const char *value)
{
	size_t *n = arg;

	assert_non_null(name);
	assert_non_null(value);
	(*n)++;
	return 0;
}

static void test_show(void **state)
{
	struct vec vs[] = {SGX_V3, TDX_V4, TDX_V5};
	struct dcap_quote *q;

	(void)state;
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		size_t n = 0;
		vec_load(&vs[i]);
		assert_int_equal(dcap_quote_parse(vs[i].q, vs[i].qlen, &q), 0);
		assert_int_equal(dcap_quote_show(q, count_field, &n), 0);
		assert_true(n > 30);
		assert_int_equal(q->trailing, i == 1 ? 70 : 0);
		dcap_quote_free(q);
		vec_free(&vs[i]);
	}
	dcap_quote_free(NULL);
	dcap_collateral_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sgx_v3),
	    cmocka_unit_test(test_tdx_v4),
	    cmocka_unit_test(test_tdx_v5_notcb),
	    cmocka_unit_test(test_no_collateral),
	    cmocka_unit_test(test_cached_collateral),
	    cmocka_unit_test(test_show),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

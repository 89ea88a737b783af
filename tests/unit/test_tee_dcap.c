/* Unit tests: DCAP quote verification against the real vectors (expected results). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tee/dcap_int.h"
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

/*
 * A verifier with a PCK chain cache gives, on the real quotes, exactly the
 * answers of the full verification: at the edges of the collateral's
 * window, outside it, and without collateral far outside the certificates'
 * windows; with a cache of one entry, alternating quotes evict each other.
 */
static void test_verifier_cache(void **state)
{
	struct vec vs[] = {SGX_V3, TDX_V4, TDX_V5};
	struct dcap_collateral *cols[3];
	struct dcap_verifier *v, *tiny;
	struct dcap_cache_stats st;
	struct dcap_result res, res2;
	struct tee_claims c, c2;

	(void)state;
	assert_int_equal(dcap_verifier_new(DCAP_PCK_CACHE_MAX + 1, &v), CU_EINVAL);
	assert_null(v);
	assert_int_equal(dcap_verifier_new(DCAP_PCK_CACHE_DEFAULT, &v), 0);
	assert_int_equal(dcap_verifier_new(1, &tiny), 0);
	for (size_t i = 0; i < 3; i++) {
		vec_load(&vs[i]);
		cols[i] = col_parse(vs[i].c, vs[i].clen);
	}
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < 3; i++) {
			struct dcap_collateral *col = cols[i];
			int64_t lo, hi;
			assert_int_equal(dcap_collateral_verify(col, vs[i].now, &res), 0);
			lo = col->valid_from; /* (test_tee_dcap_neg pins these to every window) */
			hi = col->valid_until;
			const struct {
				const struct dcap_collateral *col;
				int64_t now;
			} at[] = {
			    {col, vs[i].now},
			    {col, lo},
			    {col, hi},
			    {col, lo - 1},
			    {col, hi + 1},
			    {NULL, vs[i].now},
			    {NULL, t_of("2060-01-01T00:00:00Z")},
			    {NULL, t_of("2015-01-01T00:00:00Z")},
			};
			for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
				int rc = dcap_verify(vs[i].q, vs[i].qlen, at[k].col, at[k].now, &c,
				                     &res);
				int rc2 = dcap_verifier_verify(v, vs[i].q, vs[i].qlen, at[k].col,
				                               at[k].now, &c2, &res2);
				assert_int_equal(rc, rc2);
				assert_string_equal(res.reason, res2.reason);
				assert_memory_equal(&c, &c2, sizeof(c));
				rc2 = dcap_verifier_verify(tiny, vs[i].q, vs[i].qlen, at[k].col,
				                           at[k].now, &c2, &res2);
				assert_int_equal(rc, rc2);
				assert_memory_equal(&c, &c2, sizeof(c));
			}
		}
	/* With the chain and the attestation key remembered, a changed body, signature or
	 * attestation key is still refused, as without the cache (v3: signature at 436, key at
	 * 500).
	 */
	for (size_t k = 0; k < 3; k++) {
		static const size_t at[] = {100, 440, 510};
		uint8_t *fq = malloc(vs[0].qlen);
		int rc;
		memcpy(fq, vs[0].q, vs[0].qlen);
		fq[at[k]] ^= 0x01;
		rc = dcap_verify(fq, vs[0].qlen, cols[0], vs[0].now, &c, &res);
		assert_int_not_equal(rc, 0);
		assert_int_equal(
		    dcap_verifier_verify(v, fq, vs[0].qlen, cols[0], vs[0].now, &c2, &res2), rc);
		assert_string_equal(res.reason, res2.reason);
		assert_int_equal(
		    dcap_verifier_verify(v, vs[0].q, vs[0].qlen, cols[0], vs[0].now, &c2, &res2),
		    0);
		free(fq);
	}
	dcap_verifier_stats(v, &st);
	print_message("cache: %llu hits, %llu misses, %zu entries\n", (unsigned long long)st.hits,
	              (unsigned long long)st.misses, st.entries);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.capacity, DCAP_PCK_CACHE_DEFAULT);
	assert_true(st.hits > st.misses);
	assert_int_equal(st.evictions, 0);
	dcap_verifier_stats(tiny, &st);
	assert_int_equal(st.entries, 1);
	assert_true(st.evictions >= 4);
	for (size_t i = 0; i < 3; i++) {
		dcap_collateral_free(cols[i]);
		vec_free(&vs[i]);
	}
	dcap_verifier_free(v);
	dcap_verifier_free(tiny);
	dcap_verifier_free(NULL);
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
	    cmocka_unit_test(test_verifier_cache),
	    cmocka_unit_test(test_show),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests: policy decisions over claims, and the JSON form of a policy. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/json.h"
#include "tee/policy.h"

#define M_A                                                                                        \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaa"
#define M_S "5555555555555555555555555555555555555555555555555555555555555555"
#define SIG "0101010101010101010101010101010101010101010101010101010101010101"

static const char base_json[] =
    "{\"roles\":{"
    "\"control\":{\"tee_types\":[\"sev-snp\",\"sgx\"],\"measurements\":[\"" M_A "\",\"" M_S "\"]},"
    "\"worker\":{\"tee_types\":[\"sev-snp\",\"sim\"],\"measurements\":[\"" M_A "\"],"
    "\"policy\":{\"tcb_statuses\":[\"UpToDate\",\"NotApplicable\"],\"allow_debug\":true,"
    "\"allow_simulation\":true,\"min_security_version\":{\"sev-snp\":2}}},"
    "\"signed\":{\"tee_types\":[\"sgx\"],\"measurements\":[],"
    "\"policy\":{\"signer\":\"" SIG "\",\"product_id\":7,"
    "\"tcb_statuses\":[\"UpToDate\",\"SWHardeningNeeded\"]}}"
    "}}";

enum meas { MEAS_A, MEAS_S, MEAS_OTHER, MEAS_A_SHORT };

struct check_case {
	const char *name;
	const char *role;
	enum tee_type type;
	int simulated, debug;
	enum meas meas;
	enum tee_tcb_status tcb;
	uint32_t svn;
	int signer_ok;
	uint16_t product_id;
	int rc;
	const char *why; /* substring of the reason */
};

static const struct check_case check_cases[] = {
    {"snp up to date", "control", TEE_SEV_SNP, 0, 0, MEAS_A, TEE_TCB_UP_TO_DATE, 0, 0, 0, 0,
     "accepted"},
    {"snp status n/a needs allowing", "control", TEE_SEV_SNP, 0, 0, MEAS_A, TEE_TCB_NOT_APPLICABLE,
     0, 0, 0, CU_EPOLICY, "TCB status NotApplicable"},
    {"out of date", "control", TEE_SEV_SNP, 0, 0, MEAS_A, TEE_TCB_OUT_OF_DATE, 0, 0, 0, CU_EPOLICY,
     "TCB status"},
    {"no collateral: Unknown", "control", TEE_SGX, 0, 0, MEAS_S, TEE_TCB_UNKNOWN, 0, 0, 0,
     CU_EPOLICY, "TCB status Unknown"},
    {"debug refused by default", "control", TEE_SEV_SNP, 0, 1, MEAS_A, TEE_TCB_UP_TO_DATE, 0, 0, 0,
     CU_EPOLICY, "debuggable"},
    {"type not accepted", "control", TEE_TDX, 0, 0, MEAS_A, TEE_TCB_UP_TO_DATE, 0, 0, 0, CU_EPOLICY,
     "TEE type tdx"},
    {"simulation refused by default", "control", TEE_SIM, 1, 0, MEAS_A, TEE_TCB_NOT_APPLICABLE, 0,
     0, 0, CU_EPOLICY, "TEE type sim"},
    {"simulated flag on another type", "control", TEE_SEV_SNP, 1, 0, MEAS_A, TEE_TCB_UP_TO_DATE, 0,
     0, 0, CU_EPOLICY, "simulated"},
    {"measurement not listed", "control", TEE_SEV_SNP, 0, 0, MEAS_OTHER, TEE_TCB_UP_TO_DATE, 0, 0,
     0, CU_EPOLICY, "measurement"},
    {"sgx 32-byte measurement", "control", TEE_SGX, 0, 0, MEAS_S, TEE_TCB_UP_TO_DATE, 0, 0, 0, 0,
     "accepted"},
    {"measurement prefix only", "control", TEE_SGX, 0, 0, MEAS_A_SHORT, TEE_TCB_UP_TO_DATE, 0, 0, 0,
     CU_EPOLICY, "measurement"},
    {"no TEE", "control", TEE_NONE, 0, 0, MEAS_A, TEE_TCB_UP_TO_DATE, 0, 0, 0, CU_EPOLICY,
     "TEE type"},
    {"worker snp debug n/a", "worker", TEE_SEV_SNP, 0, 1, MEAS_A, TEE_TCB_NOT_APPLICABLE, 2, 0, 0,
     0, "accepted"},
    {"worker svn too low", "worker", TEE_SEV_SNP, 0, 0, MEAS_A, TEE_TCB_NOT_APPLICABLE, 1, 0, 0,
     CU_EPOLICY, "security version 2"},
    {"worker simulation allowed", "worker", TEE_SIM, 1, 0, MEAS_A, TEE_TCB_NOT_APPLICABLE, 0, 0, 0,
     0, "accepted"},
    {"worker sim measurement", "worker", TEE_SIM, 1, 0, MEAS_OTHER, TEE_TCB_NOT_APPLICABLE, 0, 0, 0,
     CU_EPOLICY, "measurement"},
    {"no such role", "auditor", TEE_SEV_SNP, 0, 0, MEAS_A, TEE_TCB_UP_TO_DATE, 0, 0, 0, CU_EPOLICY,
     "no role"},
    {"signer, any measurement", "signed", TEE_SGX, 0, 0, MEAS_OTHER, TEE_TCB_SW_HARDENING_NEEDED, 0,
     1, 7, 0, "accepted"},
    {"wrong signer", "signed", TEE_SGX, 0, 0, MEAS_OTHER, TEE_TCB_UP_TO_DATE, 0, 0, 7, CU_EPOLICY,
     "signer"},
    {"wrong product", "signed", TEE_SGX, 0, 0, MEAS_OTHER, TEE_TCB_UP_TO_DATE, 0, 1, 8, CU_EPOLICY,
     "product id 7"},
    {"status not listed", "signed", TEE_SGX, 0, 0, MEAS_OTHER, TEE_TCB_CONFIGURATION_NEEDED, 0, 1,
     7, CU_EPOLICY, "ConfigurationNeeded"},
    {"revoked", "signed", TEE_SGX, 0, 0, MEAS_OTHER, TEE_TCB_REVOKED, 0, 1, 7, CU_EPOLICY,
     "Revoked"},
};

static void load_base(struct tee_policy *p)
{
	char reason[TEE_POLICY_REASON_LEN];

	if (tee_policy_from_json(base_json, strlen(base_json), p, reason, sizeof(reason)))
		fail_msg("base policy: %s", reason);
}

static void make_claims(const struct check_case *k, struct tee_claims *c)
{
	memset(c, 0, sizeof(*c));
	c->type = k->type;
	c->simulated = k->simulated;
	c->debug = k->debug;
	c->measurement_len = 48;
	memset(c->measurement, 0xaa, 48);
	if (k->meas == MEAS_S) {
		memset(c->measurement, 0x55, 32);
		c->measurement_len = 32;
	} else if (k->meas == MEAS_A_SHORT) {
		c->measurement_len = 32;
	} else if (k->meas == MEAS_OTHER) {
		c->measurement[47] = 0;
	}
	c->tcb_status = k->tcb;
	c->security_version = k->svn;
	c->signer_len = 32;
	memset(c->signer, k->signer_ok ? 0x01 : 0x02, 32);
	c->product_id = k->product_id;
}

static void test_check(void **state)
{
	struct tee_policy *p = malloc(sizeof(*p));

	(void)state;
	assert_non_null(p);
	load_base(p);
	for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		const struct check_case *k = &check_cases[i];
		struct tee_claims c;
		char reason[TEE_POLICY_REASON_LEN];
		int rc;

		make_claims(k, &c);
		rc = tee_policy_check(p, k->role, &c, reason, sizeof(reason));
		if (rc != k->rc || !strstr(reason, k->why))
			fail_msg("case '%s': rc %d reason '%s', want %d '%s'", k->name, rc, reason,
			         k->rc, k->why);
	}
	/* Out-of-range enum values from a buggy caller are refused, not indexed. */
	{
		struct tee_claims c;
		make_claims(&check_cases[0], &c);
		c.type = (enum tee_type)99;
		assert_int_equal(tee_policy_check(p, "control", &c, NULL, 0), CU_EPOLICY);
		c.type = TEE_SEV_SNP;
		c.tcb_status = (enum tee_tcb_status)40;
		assert_int_equal(tee_policy_check(p, "control", &c, NULL, 0), CU_EPOLICY);
		assert_int_equal(tee_policy_check(NULL, "control", &c, NULL, 0), CU_EINVAL);
		assert_int_equal(tee_policy_check(p, NULL, &c, NULL, 0), CU_EINVAL);
	}
	free(p);
}

struct json_case {
	const char *name;
	const char *json;
	int rc;
};

#define ROLE(body)   "{\"roles\":{\"r\":" body "}}"
#define SNP_M        "\"tee_types\":[\"sev-snp\"],\"measurements\":[\"" M_A "\"]"
#define WITH(policy) ROLE("{" SNP_M ",\"policy\":" policy "}")

static const struct json_case json_cases[] = {
    {"minimal", ROLE("{" SNP_M "}"), 0},
    {"not JSON", "{\"roles\":", CU_EFORMAT},
    {"trailing bytes", ROLE("{" SNP_M "}") "x", CU_EFORMAT},
    {"array", "[]", CU_EFORMAT},
    {"duplicate key", "{\"roles\":{\"r\":{" SNP_M "},\"r\":{" SNP_M "}}}", CU_EFORMAT},
    {"unknown top key", "{\"roles\":{\"r\":{" SNP_M "}},\"x\":1}", CU_EFORMAT},
    {"no roles", "{}", CU_EFORMAT},
    {"empty roles", "{\"roles\":{}}", CU_EFORMAT},
    {"roles not object", "{\"roles\":[]}", CU_EFORMAT},
    {"role not object", ROLE("[]"), CU_EFORMAT},
    {"unknown role key", ROLE("{" SNP_M ",\"x\":1}"), CU_EFORMAT},
    {"bad role name", "{\"roles\":{\"Control\":{" SNP_M "}}}", CU_EFORMAT},
    {"long role name", "{\"roles\":{\"abcdefghijabcdefghijabcdefghijabc\":{" SNP_M "}}}",
     CU_EFORMAT},
    {"empty role name", "{\"roles\":{\"\":{" SNP_M "}}}", CU_EFORMAT},
    {"types missing", ROLE("{\"measurements\":[\"" M_A "\"]}"), CU_EFORMAT},
    {"types empty", ROLE("{\"tee_types\":[],\"measurements\":[\"" M_A "\"]}"), CU_EFORMAT},
    {"types string", ROLE("{\"tee_types\":\"sgx\",\"measurements\":[\"" M_A "\"]}"), CU_EFORMAT},
    {"unknown type", ROLE("{\"tee_types\":[\"sev\"],\"measurements\":[\"" M_A "\"]}"), CU_EFORMAT},
    {"type number", ROLE("{\"tee_types\":[1],\"measurements\":[\"" M_A "\"]}"), CU_EFORMAT},
    {"measurements missing", ROLE("{\"tee_types\":[\"sgx\"]}"), CU_EFORMAT},
    {"measurements empty, no signer", ROLE("{\"tee_types\":[\"sgx\"],\"measurements\":[]}"),
     CU_EFORMAT},
    {"measurement 20 bytes",
     ROLE("{\"tee_types\":[\"sgx\"],\"measurements\":[\"0102030405060708091011121314151617181920\"]"
          "}"),
     CU_EFORMAT},
    {"measurement odd hex", ROLE("{\"tee_types\":[\"sgx\"],\"measurements\":[\"" M_S "0\"]}"),
     CU_EFORMAT},
    {"measurement not hex",
     ROLE("{\"tee_types\":[\"sgx\"],\"measurements\":["
          "\"zz55555555555555555555555555555555555555555555555555555555555555\"]}"),
     CU_EFORMAT},
    {"measurement number", ROLE("{\"tee_types\":[\"sgx\"],\"measurements\":[5]}"), CU_EFORMAT},
    {"policy not object", WITH("[]"), CU_EFORMAT},
    {"unknown policy key", WITH("{\"allow_everything\":true}"), CU_EFORMAT},
    {"allow_debug string", WITH("{\"allow_debug\":\"yes\"}"), CU_EFORMAT},
    {"allow_debug true", WITH("{\"allow_debug\":true}"), 0},
    {"tcb status unknown name", WITH("{\"tcb_statuses\":[\"Fine\"]}"), CU_EFORMAT},
    {"tcb status lower case", WITH("{\"tcb_statuses\":[\"uptodate\"]}"), CU_EFORMAT},
    {"tcb statuses object", WITH("{\"tcb_statuses\":{}}"), CU_EFORMAT},
    {"tcb statuses all", WITH("{\"tcb_statuses\":[\"Unknown\",\"OutOfDate\",\"Revoked\"]}"), 0},
    {"min svn", WITH("{\"min_security_version\":{\"sev-snp\":3,\"sgx\":4294967295}}"), 0},
    {"min svn negative", WITH("{\"min_security_version\":{\"sev-snp\":-1}}"), CU_EFORMAT},
    {"min svn too big", WITH("{\"min_security_version\":{\"sev-snp\":4294967296}}"), CU_EFORMAT},
    {"min svn string", WITH("{\"min_security_version\":{\"sev-snp\":\"3\"}}"), CU_EFORMAT},
    {"min svn unknown type", WITH("{\"min_security_version\":{\"sev\":3}}"), CU_EFORMAT},
    {"min svn number", WITH("{\"min_security_version\":3}"), CU_EFORMAT},
    {"signer not hex", WITH("{\"signer\":\"xyz\"}"), CU_EFORMAT},
    {"signer empty", WITH("{\"signer\":\"\"}"), CU_EFORMAT},
    {"signer too long", WITH("{\"signer\":\"" M_A "00\"}"), CU_EFORMAT},
    {"signer number", WITH("{\"signer\":1}"), CU_EFORMAT},
    {"product id too big", WITH("{\"product_id\":65536}"), CU_EFORMAT},
    {"product id float", WITH("{\"product_id\":1.5}"), CU_EFORMAT},
    {"sim without allow_simulation",
     ROLE("{\"tee_types\":[\"sim\"],\"measurements\":[\"" M_A "\"]}"), CU_EFORMAT},
    {"allow_simulation without sim", WITH("{\"allow_simulation\":true}"), CU_EFORMAT},
    {"sim with allow_simulation",
     ROLE("{\"tee_types\":[\"sim\"],\"measurements\":[\"" M_A "\"],"
          "\"policy\":{\"allow_simulation\":true}}"),
     0},
};

static void test_json_cases(void **state)
{
	struct tee_policy *p = malloc(sizeof(*p));

	(void)state;
	assert_non_null(p);
	for (size_t i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		char reason[TEE_POLICY_REASON_LEN] = "";
		int rc = tee_policy_from_json(json_cases[i].json, strlen(json_cases[i].json), p,
		                              reason, sizeof(reason));
		if (rc != json_cases[i].rc)
			fail_msg("case '%s': rc %d (%s), want %d", json_cases[i].name, rc, reason,
			         json_cases[i].rc);
		if (rc) {
			assert_true(reason[0] != '\0');
			assert_int_equal(p->role_count, 0);
		}
	}
	free(p);
}

/* Counts over the maxima. */
static void test_json_limits(void **state)
{
	char *doc = malloc(64 * 1024);
	struct tee_policy *p = malloc(sizeof(*p));
	size_t n = 0;

	(void)state;
	assert_non_null(doc);
	assert_non_null(p);
	n += (size_t)sprintf(doc + n, "{\"roles\":{");
	for (int i = 0; i <= TEE_POLICY_MAX_ROLES; i++)
		n += (size_t)sprintf(doc + n, "%s\"r%d\":{" SNP_M "}", i ? "," : "", i);
	sprintf(doc + n, "}}");
	assert_int_equal(tee_policy_from_json(doc, strlen(doc), p, NULL, 0), CU_ELIMIT);
	n = (size_t)sprintf(doc, "{\"roles\":{\"r\":{\"tee_types\":[\"sgx\"],\"measurements\":[");
	for (int i = 0; i <= TEE_POLICY_MAX_MEASUREMENTS; i++)
		n += (size_t)sprintf(doc + n, "%s\"" M_S "\"", i ? "," : "");
	sprintf(doc + n, "]}}}");
	assert_int_equal(tee_policy_from_json(doc, strlen(doc), p, NULL, 0), CU_ELIMIT);
	free(doc);
	free(p);
}

static void test_round_trip(void **state)
{
	struct tee_policy *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	json_t *j;
	char *s;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	load_base(a);
	j = tee_policy_to_json(a);
	assert_non_null(j);
	assert_int_equal(cu_json_dump(j, 0, &s), 0);
	json_decref(j);
	assert_int_equal(tee_policy_from_json(s, strlen(s), b, NULL, 0), 0);
	assert_memory_equal(a, b, sizeof(*a));
	free(s);
	free(a);
	free(b);
}

static void test_builder(void **state)
{
	struct tee_policy *p = calloc(1, sizeof(*p));
	struct tee_policy_role *r;
	uint8_t m[48] = {1};

	(void)state;
	assert_non_null(p);
	assert_int_equal(tee_policy_add_role(p, "control", &r), 0);
	assert_int_equal(r->rules.tcb_statuses, TEE_STATUS_BIT(TEE_TCB_UP_TO_DATE));
	assert_int_equal(r->rules.allow_debug, 0);
	assert_int_equal(r->rules.allow_simulation, 0);
	assert_int_equal(tee_policy_add_role(p, "control", &r), CU_EEXISTS);
	assert_int_equal(tee_policy_add_role(p, "a b", &r), CU_EFORMAT);
	assert_int_equal(tee_policy_add_role(p, "worker", &r), 0);
	assert_int_equal(tee_policy_add_measurement(r, m, 47), CU_EFORMAT);
	assert_int_equal(tee_policy_add_measurement(r, m, 48), 0);
	assert_ptr_equal(tee_policy_find_role(p, "worker"), r);
	assert_null(tee_policy_find_role(p, "auditor"));
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check),       cmocka_unit_test(test_json_cases),
	    cmocka_unit_test(test_json_limits), cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_builder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

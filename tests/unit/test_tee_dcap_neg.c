/*
 * Unit tests: DCAP rejections. Bit flips in every region of each quote,
 * truncation, swapped collateral, "now" outside every validity window,
 * tampered collateral, and the TCB matching rules (on verified collateral
 * whose parsed fields are then altered, standing in for other signed
 * collateral).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "tee/dcap_int.h"
#include "tee_dcap_util.h"

/* Offsets of the regions of a parsed quote. */
struct regions {
	size_t body, body_end, sig, key, qe, qe_sig, auth, cert, cert_end, sig_end;
};

static void regions_of(const struct dcap_quote *q, struct regions *r)
{
	r->body = DCAP_HEADER_LEN + (q->hdr.version == 5 ? 6 : 0);
	r->body_end = q->signed_len;
	r->sig = q->signed_len + 4;
	r->key = r->sig + DCAP_ECDSA_SIG_LEN;
	r->qe = r->key + DCAP_ECDSA_KEY_LEN + (q->hdr.version == 3 ? 0 : 6);
	r->qe_sig = r->qe + DCAP_REPORT_LEN;
	r->auth = r->qe_sig + DCAP_ECDSA_SIG_LEN + 2;
	r->cert = r->auth + q->qe_auth_len + 6;
	r->sig_end = q->signed_len + 4 + q->sig_data_len;
	/* PEM bytes up to the end of the last END line; a trailing NUL is not PEM. */
	r->cert_end = r->cert + q->pck_pem_len;
	while (r->cert_end > r->cert && q->pck_pem[r->cert_end - r->cert - 1] != '-')
		r->cert_end--;
}

struct region_case {
	const char *name;
	size_t from_off, to_off; /* offsetof(struct regions, ...) */
	int rc;                  /* the error expected, or 1 for "any error" */
	size_t stride;
};

#define R(f)     offsetof(struct regions, f)
#define R_HEADER SIZE_MAX /* offset 0 */

static size_t region_at(const struct regions *r, size_t off)
{
	return off == R_HEADER ? 0 : *(const size_t *)((const char *)r + off);
}

static const struct region_case region_cases[] = {
    {"header", R_HEADER, R(body), 1, 1},
    {"body", R(body), R(body_end), CU_EAUTH, 3},
    {"signature data length", R(body_end), R(sig), 1, 1},
    {"signature", R(sig), R(key), CU_EAUTH, 1},
    {"attestation key", R(key), R(key) + 0, CU_EAUTH, 1}, /* to key+64, see below */
    {"QE report", R(qe), R(qe_sig), CU_EAUTH, 3},
    {"QE report signature", R(qe_sig), R(auth), 1, 1},
    {"QE auth data", R(auth), R(cert), 1, 1},
    {"cert data", R(cert), R(cert_end), 1, 13},
};

static void flip_region(const struct vec *v, const struct dcap_collateral *col,
                        const struct region_case *rc, const struct regions *r)
{
	size_t from = region_at(r, rc->from_off), to = region_at(r, rc->to_off);
	uint8_t *q = cu_memdup(v->q, v->qlen);
	struct dcap_result res;
	struct tee_claims c;
	size_t n = 0;

	if (!strcmp(rc->name, "attestation key"))
		to = from + DCAP_ECDSA_KEY_LEN;
	if (!strcmp(rc->name, "QE auth data"))
		to = r->cert - 6;
	if (!strcmp(rc->name, "QE report signature"))
		to = r->auth - 2;
	assert_non_null(q);
	assert_true(from < to && to <= v->qlen);
	for (size_t i = from; i < to; i += rc->stride, n++) {
		int got;
		q[i] ^= (uint8_t)(1u << (i % 8));
		got = dcap_verify(q, v->qlen, col, v->now, &c, &res);
		if (got == 0 || (rc->rc != 1 && got != rc->rc))
			fail_msg("%s: %s byte %zu: rc %d (%s)", v->quote, rc->name, i, got,
			         res.reason);
		assert_int_equal(c.type, TEE_NONE);
		q[i] ^= (uint8_t)(1u << (i % 8));
	}
	assert_true(n > 0);
	assert_int_equal(dcap_verify(q, v->qlen, col, v->now, &c, &res),
	                 col ? (strstr(v->quote, "notcb") ? CU_ETCB : 0) : 0);
	free(q);
}

static void test_bit_flips(void **state)
{
	struct vec vs[] = {SGX_V3, TDX_V4, TDX_V5};

	(void)state;
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		struct dcap_collateral *col;
		struct dcap_result res;
		struct dcap_quote *q;
		struct regions r;

		vec_load(&vs[i]);
		col = col_parse(vs[i].c, vs[i].clen);
		assert_int_equal(dcap_collateral_verify(col, vs[i].now, &res), 0);
		assert_int_equal(dcap_quote_parse(vs[i].q, vs[i].qlen, &q), 0);
		regions_of(q, &r);
		for (size_t k = 0; k < sizeof(region_cases) / sizeof(region_cases[0]); k++) {
			flip_region(&vs[i], col, &region_cases[k], &r);
			flip_region(&vs[i], NULL, &region_cases[k], &r);
		}
		dcap_quote_free(q);
		dcap_collateral_free(col);
		vec_free(&vs[i]);
	}
}

/* Every cut before the end of the signature data is CU_ETRUNC; padding after it may go. */
static void test_truncation(void **state)
{
	struct vec vs[] = {SGX_V3, TDX_V4, TDX_V5};
	struct dcap_result res;
	struct tee_claims c;

	(void)state;
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		struct dcap_quote *q;
		struct regions r;

		vec_load(&vs[i]);
		assert_int_equal(dcap_quote_parse(vs[i].q, vs[i].qlen, &q), 0);
		regions_of(q, &r);
		for (size_t len = 0; len < r.sig_end; len += (len < 700 ? 1 : 17))
			assert_int_equal(dcap_verify(vs[i].q, len, NULL, vs[i].now, &c, &res),
			                 CU_ETRUNC);
		for (size_t len = r.sig_end - 8; len < r.sig_end; len++)
			assert_int_equal(dcap_quote_parse(vs[i].q, len, &(struct dcap_quote *){0}),
			                 CU_ETRUNC);
		for (size_t len = r.sig_end; len <= vs[i].qlen; len++)
			assert_int_equal(dcap_verify(vs[i].q, len, NULL, vs[i].now, &c, &res), 0);
		dcap_quote_free(q);
		vec_free(&vs[i]);
	}
}

/* SGX collateral for TDX quotes and the reverse; and TDX collateral of another time. */
static void test_swapped_collateral(void **state)
{
	struct vec sgx = SGX_V3, tdx = TDX_V4, tdx5 = TDX_V5;
	struct dcap_collateral *csgx, *ctdx, *ctdx5;
	struct dcap_result res;
	struct tee_claims c;
	int rc;

	(void)state;
	vec_load(&sgx);
	vec_load(&tdx);
	vec_load(&tdx5);
	csgx = col_parse(sgx.c, sgx.clen);
	ctdx = col_parse(tdx.c, tdx.clen);
	ctdx5 = col_parse(tdx5.c, tdx5.clen);
	rc = dcap_verify(tdx.q, tdx.qlen, csgx, tdx.now, &c, &res);
	print_message("TDX quote, SGX collateral: %s\n", res.reason);
	assert_true(rc == CU_EUNTRUSTED || rc == CU_ETCB);
	rc = dcap_verify(sgx.q, sgx.qlen, ctdx, sgx.now, &c, &res);
	print_message("SGX quote, TDX collateral: %s\n", res.reason);
	assert_true(rc == CU_EUNTRUSTED || rc == CU_ETCB);
	rc = dcap_verify(tdx5.q, tdx5.qlen, csgx, tdx5.now, &c, &res);
	assert_int_not_equal(rc, 0);
	/* The v5 collateral is not valid yet in July 2025. */
	assert_int_equal(dcap_verify(tdx.q, tdx.qlen, ctdx5, tdx.now, &c, &res), CU_EEXPIRED);
	dcap_collateral_free(csgx);
	dcap_collateral_free(ctdx);
	dcap_collateral_free(ctdx5);
	vec_free(&sgx);
	vec_free(&tdx);
	vec_free(&tdx5);
}

/* --- validity windows -------------------------------------------------------- */

struct win {
	const char *what;
	int64_t from, until;
};

static size_t windows_of(const struct dcap_collateral *col, struct win *w, size_t max)
{
	STACK_OF(X509) * chains[] = {col->pck_crl_chain, col->tcb_chain, col->qe_chain};
	size_t n = 0;

	w[n++] = (struct win){"TCB info", col->tcb.issue_date, col->tcb.next_update};
	w[n++] = (struct win){"QE identity", col->qe.issue_date, col->qe.next_update};
	assert_int_equal(tee_x509_crl_window(col->root_crl, &w[n].from, &w[n].until), 0);
	w[n++].what = "root CA CRL";
	assert_int_equal(tee_x509_crl_window(col->pck_crl, &w[n].from, &w[n].until), 0);
	w[n++].what = "PCK CRL";
	for (size_t k = 0; k < 3; k++)
		for (int i = 0; i < sk_X509_num(chains[k]) && n < max; i++) {
			X509 *x = sk_X509_value(chains[k], i);
			assert_int_equal(tee_x509_cert_window(x, &w[n].from, &w[n].until), 0);
			w[n++].what = "issuer chain certificate";
		}
	return n;
}

static void test_windows(void **state)
{
	struct vec vs[] = {SGX_V3, TDX_V4};
	struct dcap_result res;
	struct tee_claims c;
	struct win w[16];

	(void)state;
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		struct dcap_collateral *col;
		int64_t lo = INT64_MIN, hi = INT64_MAX;
		size_t n;

		vec_load(&vs[i]);
		col = col_parse(vs[i].c, vs[i].clen);
		n = windows_of(col, w, 16);
		for (size_t k = 0; k < n; k++) {
			lo = w[k].from > lo ? w[k].from : lo;
			hi = w[k].until < hi ? w[k].until : hi;
			/* Just outside each window: expired, cached or not. */
			assert_int_equal(
			    dcap_verify(vs[i].q, vs[i].qlen, col, w[k].from - 1, &c, &res),
			    CU_EEXPIRED);
			assert_int_equal(
			    dcap_verify(vs[i].q, vs[i].qlen, col, w[k].until + 1, &c, &res),
			    CU_EEXPIRED);
			assert_int_equal(dcap_collateral_verify(col, w[k].until + 1, &res),
			                 CU_EEXPIRED);
		}
		/* The edges of the intersection are inside. */
		assert_true(lo <= vs[i].now && vs[i].now <= hi);
		assert_int_equal(dcap_verify(vs[i].q, vs[i].qlen, col, lo, &c, &res), 0);
		assert_int_equal(dcap_verify(vs[i].q, vs[i].qlen, col, hi, &c, &res), 0);
		assert_int_equal(dcap_collateral_verify(col, lo, &res), 0);
		assert_int_equal(col->valid_from, lo);
		assert_int_equal(col->valid_until, hi);
		dcap_collateral_free(col);
		vec_free(&vs[i]);
	}
}

/* --- tampered collateral ---------------------------------------------------- */

struct tamper_case {
	const char *name;
	const char *key;
	const char *from, *to; /* replace the first "from" in the member by "to" */
	int rc;
};

static const struct tamper_case tamper_cases[] = {
    {"TCB status", "tcb_info", "\"OutOfDate\"", "\"UpToDate\"", CU_EAUTH},
    {"TCB nextUpdate", "tcb_info", "\"nextUpdate\":\"2025-07-", "\"nextUpdate\":\"2029-07-",
     CU_EAUTH},
    {"QE isvsvn", "qe_identity", "\"isvsvn\":8", "\"isvsvn\":2", CU_EAUTH},
    {"TCB signature", "tcb_info_signature", "9a", "9b", CU_EAUTH},
    {"QE signature", "qe_identity_signature", "f1", "f2", CU_EAUTH},
    {"root CRL", "root_ca_crl", "3082", "3083", CU_EFORMAT},
    {"TCB issuer chain", "tcb_info_issuer_chain", "MIIC", "MIID", CU_EFORMAT},
    {"PCK CRL issuer chain swapped for the TCB one", "pck_crl_issuer_chain", "", "", CU_EUNTRUSTED},
};

static char *tamper(const struct vec *v, const struct tamper_case *t)
{
	json_t *j = json_loadb((const char *)v->c, v->clen, 0, NULL);
	const char *s, *p;
	char *out, *dump;
	size_t n;

	assert_non_null(j);
	if (!*t->from) {
		/* The TCB signing chain in place of the PCK CRL issuer chain. */
		json_object_set(j, t->key, json_object_get(j, "tcb_info_issuer_chain"));
	} else {
		s = json_string_value(json_object_get(j, t->key));
		assert_non_null(s);
		assert_non_null(p = strstr(s, t->from));
		n = strlen(s) - strlen(t->from) + strlen(t->to) + 1;
		out = malloc(n);
		snprintf(out, n, "%.*s%s%s", (int)(p - s), s, t->to, p + strlen(t->from));
		json_object_set_new(j, t->key, json_string(out));
		free(out);
	}
	dump = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return dump;
}

static void test_tampered_collateral(void **state)
{
	struct vec v = SGX_V3;
	struct dcap_result res;
	struct tee_claims c;

	(void)state;
	vec_load(&v);
	for (size_t i = 0; i < sizeof(tamper_cases) / sizeof(tamper_cases[0]); i++) {
		const struct tamper_case *t = &tamper_cases[i];
		struct dcap_collateral *col = NULL;
		char *doc = tamper(&v, t);
		int rc = dcap_collateral_parse(doc, strlen(doc), &col, &res);
		if (rc == 0)
			rc = dcap_verify(v.q, v.qlen, col, v.now, &c, &res);
		if (rc != t->rc)
			fail_msg("%s: rc %d (%s)", t->name, rc, res.reason);
		dcap_collateral_free(col);
		free(doc);
	}
	vec_free(&v);
}

/* --- TCB matching on altered (but "verified") collateral ------------------------- */

struct tcb_case {
	const char *name;
	int tdx;
	void (*mutate)(struct dcap_collateral *c);
	int rc;
	enum tee_tcb_status status;
	const char *reason; /* a substring of the reason */
};

static void m_none(struct dcap_collateral *c)
{
	(void)c;
}
static void m_qe_mrsigner(struct dcap_collateral *c)
{
	c->qe.mrsigner[5] ^= 1;
}
static void m_qe_prodid(struct dcap_collateral *c)
{
	c->qe.isvprodid++;
}
static void m_qe_misc(struct dcap_collateral *c)
{
	c->qe.miscselect ^= 1;
}
static void m_qe_attr(struct dcap_collateral *c)
{
	c->qe.attributes[0] ^= 0x01;
}
static void m_qe_attr_masked(struct dcap_collateral *c)
{
	/* Bit 2 is outside the mask (FB): a difference there does not matter. */
	c->qe.attributes[0] ^= 0x04;
}
static void m_qe_svn(struct dcap_collateral *c)
{
	for (size_t i = 0; i < c->qe.nlevels; i++)
		c->qe.levels[i].isvsvn += 100;
}
static void m_qe_outofdate(struct dcap_collateral *c)
{
	c->qe.levels[0].status = TEE_TCB_OUT_OF_DATE;
	snprintf(c->qe.levels[0].adv.id[0], TEE_ADVISORY_LEN, "INTEL-SA-99999");
	c->qe.levels[0].adv.n = 1;
}
static void m_qe_revoked(struct dcap_collateral *c)
{
	c->qe.levels[0].status = TEE_TCB_REVOKED;
}
static void m_fmspc(struct dcap_collateral *c)
{
	c->tcb.fmspc[5] ^= 1;
}
static void m_pceid(struct dcap_collateral *c)
{
	c->tcb.pce_id[1] ^= 1;
}
static void m_platform_revoked(struct dcap_collateral *c)
{
	for (size_t i = 0; i < c->tcb.nlevels; i++)
		c->tcb.levels[i].status = TEE_TCB_REVOKED;
}
static void m_pcesvn(struct dcap_collateral *c)
{
	for (size_t i = 0; i < c->tcb.nlevels; i++)
		c->tcb.levels[i].pcesvn = 60000;
}
static void m_tdx_comp(struct dcap_collateral *c)
{
	for (size_t i = 0; i < c->tcb.nlevels; i++)
		c->tcb.levels[i].tdx[2] = 200;
}
static void m_tdx_comp_module(struct dcap_collateral *c)
{
	/* Bytes 0-1 belong to the module identity when its major version is > 0. */
	for (size_t i = 0; i < c->tcb.nlevels; i++)
		c->tcb.levels[i].tdx[0] = 200;
}
static void m_module_missing(struct dcap_collateral *c)
{
	for (size_t i = 0; i < c->tcb.nids; i++)
		c->tcb.ids[i].id[4] = 'X';
}
static void m_module_signer(struct dcap_collateral *c)
{
	for (size_t i = 0; i < c->tcb.nids; i++)
		c->tcb.ids[i].mrsigner[0] ^= 1;
}
static void m_module_svn(struct dcap_collateral *c)
{
	for (size_t i = 0; i < c->tcb.nids; i++)
		for (size_t k = 0; k < c->tcb.ids[i].nlevels; k++)
			c->tcb.ids[i].levels[k].isvsvn = 100;
}
static void m_module_outofdate(struct dcap_collateral *c)
{
	for (size_t i = 0; i < c->tcb.nids; i++)
		c->tcb.ids[i].levels[0].status = TEE_TCB_OUT_OF_DATE;
}
static void m_sgx_to_tdx(struct dcap_collateral *c)
{
	c->tcb.is_tdx = 1;
}

static const struct tcb_case tcb_cases[] = {
    {"sgx as is", 0, m_none, 0, TEE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED, "QE UpToDate"},
    {"QE MRSIGNER", 0, m_qe_mrsigner, CU_EAUTH, 0, "MRSIGNER"},
    {"QE ISVPRODID", 0, m_qe_prodid, CU_EAUTH, 0, "ISVPRODID"},
    {"QE MISCSELECT", 0, m_qe_misc, CU_EAUTH, 0, "MISCSELECT"},
    {"QE ATTRIBUTES", 0, m_qe_attr, CU_EAUTH, 0, "ATTRIBUTES"},
    {"QE ATTRIBUTES masked", 0, m_qe_attr_masked, 0, TEE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
     ""},
    {"QE ISVSVN low", 0, m_qe_svn, CU_ETCB, 0, "QE ISVSVN"},
    {"QE OutOfDate", 0, m_qe_outofdate, 0, TEE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
     "QE OutOfDate"},
    {"QE Revoked", 0, m_qe_revoked, CU_EREVOKED, 0, "revoked"},
    {"FMSPC", 0, m_fmspc, CU_ETCB, 0, "FMSPC"},
    {"PCE ID", 0, m_pceid, CU_ETCB, 0, "PCE ID"},
    {"platform Revoked", 0, m_platform_revoked, CU_EREVOKED, 0, "revoked"},
    {"PCESVN", 0, m_pcesvn, CU_ETCB, 0, "PCESVN is 13"},
    {"SGX collateral says TDX", 0, m_sgx_to_tdx, CU_ETCB, 0, "TCB info is for TDX"},
    {"tdx as is", 1, m_none, 0, TEE_TCB_UP_TO_DATE, "TDX_01 UpToDate"},
    {"TEE TCB SVN", 1, m_tdx_comp, CU_ETCB, 0, "TEE TCB SVN[2] is 3"},
    {"TEE TCB SVN module bytes", 1, m_tdx_comp_module, 0, TEE_TCB_UP_TO_DATE, ""},
    {"TDX module identity missing", 1, m_module_missing, CU_ETCB, 0, "TDX_01"},
    {"TDX module signer", 1, m_module_signer, CU_EAUTH, 0, "TDX module"},
    {"TDX module SVN", 1, m_module_svn, CU_ETCB, 0, "TDX module SVN"},
    {"TDX module OutOfDate", 1, m_module_outofdate, 0, TEE_TCB_OUT_OF_DATE, "TDX_01 OutOfDate"},
    {"tdx QE ISVSVN low", 1, m_qe_svn, CU_ETCB, 0, "QE ISVSVN"},
};

static void test_tcb_matching(void **state)
{
	struct vec vs[] = {SGX_V3, TDX_V4};

	(void)state;
	vec_load(&vs[0]);
	vec_load(&vs[1]);
	for (size_t i = 0; i < sizeof(tcb_cases) / sizeof(tcb_cases[0]); i++) {
		const struct tcb_case *t = &tcb_cases[i];
		struct vec *v = &vs[t->tdx];
		struct dcap_collateral *col = col_parse(v->c, v->clen);
		struct dcap_result res;
		struct tee_claims c;
		int rc;

		assert_int_equal(dcap_collateral_verify(col, v->now, &res), 0);
		t->mutate(col);
		rc = dcap_verify(v->q, v->qlen, col, v->now, &c, &res);
		if (rc != t->rc || (rc == 0 && c.tcb_status != t->status) ||
		    !strstr(res.reason, t->reason))
			fail_msg("%s: rc %d status %s (%s)", t->name, rc,
			         tee_tcb_status_name(c.tcb_status), res.reason);
		dcap_collateral_free(col);
	}
	vec_free(&vs[0]);
	vec_free(&vs[1]);
}

/* Malformed collateral documents are rejected at parse time. */
static void test_collateral_parse(void **state)
{
	static const char *const bad[] = {
	    "", "[]", "{}", "{\"pck_crl_issuer_chain\":1}", "{\"a\":1,\"a\":2}",
	};
	struct dcap_collateral *col;
	struct dcap_result res;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_not_equal(dcap_collateral_parse(bad[i], strlen(bad[i]), &col, &res), 0);
		assert_null(col);
		assert_true(res.reason[0] != '\0');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bit_flips),           cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_swapped_collateral),  cmocka_unit_test(test_windows),
	    cmocka_unit_test(test_tampered_collateral), cmocka_unit_test(test_tcb_matching),
	    cmocka_unit_test(test_collateral_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

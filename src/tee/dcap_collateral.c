/*
 * dcap_collateral.c - Intel collateral: parse the JSON form of
 * sgx_ql_qve_collateral_t (TCB info v2/v3 for SGX and TDX, QE identity v2)
 * and verify what does not depend on a quote.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/time.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "tee/dcap_int.h"

#define TCB_SIGNING_CN "Intel SGX TCB Signing"
#define SVN_COMPONENTS 16
#define SVN_KEY_LEN    24

/* --- JSON helpers ---------------------------------------------------------- */

static int get_time(const json_t *o, const char *key, int64_t *out)
{
	const char *s;
	int rc;

	if ((rc = cu_json_get_str(o, key, &s)) != 0)
		return rc;
	return cu_time_parse(s, out) == 0 ? 0 : CU_EFORMAT;
}

static int get_array(const json_t *o, const char *key, size_t min, size_t max, json_t **out)
{
	json_t *a = json_object_get(o, key);

	*out = NULL;
	if (!a)
		return CU_ENOTFOUND;
	if (!json_is_array(a))
		return CU_EFORMAT;
	if (json_array_size(a) < min)
		return CU_EFORMAT;
	if (json_array_size(a) > max)
		return CU_ELIMIT;
	*out = a;
	return 0;
}

static int get_object(const json_t *o, const char *key, json_t **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v)
		return CU_ENOTFOUND;
	if (!json_is_object(v))
		return CU_EFORMAT;
	*out = v;
	return 0;
}

static int get_status(const json_t *o, enum tee_tcb_status *out)
{
	const char *s;
	int rc;

	if ((rc = cu_json_get_str(o, "tcbStatus", &s)) != 0)
		return rc;
	*out = tee_tcb_status_from_name(s);
	if (*out == TEE_TCB_UNKNOWN || *out == TEE_TCB_NOT_APPLICABLE)
		return CU_EFORMAT;
	return 0;
}

static int get_advisories(const json_t *o, struct dcap_advisories *adv)
{
	json_t *a;
	size_t i;
	int rc;

	adv->n = 0;
	if ((rc = get_array(o, "advisoryIDs", 0, TEE_MAX_ADVISORIES, &a)) == CU_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	for (i = 0; i < json_array_size(a); i++) {
		json_t *v = json_array_get(a, i);
		if (!json_is_string(v) || json_string_length(v) >= TEE_ADVISORY_LEN ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return CU_EFORMAT;
		memcpy(adv->id[i], json_string_value(v), json_string_length(v) + 1);
	}
	adv->n = i;
	return 0;
}

static int get_id(const json_t *o, char *out)
{
	const char *s;
	int rc;

	if ((rc = cu_json_get_str(o, "id", &s)) != 0)
		return rc;
	if (strlen(s) >= DCAP_ID_LEN)
		return CU_EFORMAT;
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* --- levels ---------------------------------------------------------------- */

static int get_isv_level(const json_t *lv, struct dcap_isv_level *l)
{
	json_t *tcb;
	int64_t v;
	int rc;

	if (!json_is_object(lv))
		return CU_EFORMAT;
	if ((rc = get_object(lv, "tcb", &tcb)) ||
	    (rc = cu_json_get_int(tcb, "isvsvn", 0, UINT16_MAX, &v)) ||
	    (rc = get_time(lv, "tcbDate", &l->date)) || (rc = get_status(lv, &l->status)) ||
	    (rc = get_advisories(lv, &l->adv)))
		return rc == CU_ENOTFOUND ? CU_EFORMAT : rc;
	l->isvsvn = (uint16_t)v;
	return 0;
}

static int get_isv_levels(const json_t *o, size_t max, struct dcap_isv_level *l, size_t *n)
{
	json_t *a;
	int rc;

	*n = 0;
	if ((rc = get_array(o, "tcbLevels", 1, max, &a)) != 0)
		return rc == CU_ENOTFOUND ? CU_EFORMAT : rc;
	for (size_t i = 0; i < json_array_size(a); i++)
		if ((rc = get_isv_level(json_array_get(a, i), &l[i])) != 0)
			return rc;
	*n = json_array_size(a);
	return 0;
}

/* v3: an array of 16 {"svn": n, ...}. */
static int get_components(const json_t *tcb, const char *key, uint8_t out[SVN_COMPONENTS])
{
	json_t *a;
	int64_t v;
	int rc;

	if ((rc = get_array(tcb, key, SVN_COMPONENTS, SVN_COMPONENTS, &a)) != 0)
		return rc;
	for (size_t i = 0; i < SVN_COMPONENTS; i++) {
		json_t *c = json_array_get(a, i);
		if (!json_is_object(c) || (rc = cu_json_get_int(c, "svn", 0, UINT8_MAX, &v)) != 0)
			return CU_EFORMAT;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* v2: "sgxtcbcomp01svn" .. "sgxtcbcomp16svn". */
static int get_components_v2(const json_t *tcb, uint8_t out[SVN_COMPONENTS])
{
	char key[SVN_KEY_LEN];
	int64_t v;

	for (int i = 0; i < SVN_COMPONENTS; i++) {
		snprintf(key, sizeof(key), "sgxtcbcomp%02dsvn", i + 1);
		if (cu_json_get_int(tcb, key, 0, UINT8_MAX, &v) != 0)
			return CU_EFORMAT;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int get_tcb_level(const json_t *lv, const struct dcap_tcb_info *t, struct dcap_tcb_level *l)
{
	json_t *tcb;
	int64_t v;
	int rc;

	if (!json_is_object(lv) || get_object(lv, "tcb", &tcb) != 0)
		return CU_EFORMAT;
	rc = t->version >= 3 ? get_components(tcb, "sgxtcbcomponents", l->sgx)
	                     : get_components_v2(tcb, l->sgx);
	if (rc != 0)
		return CU_EFORMAT;
	if (t->is_tdx) {
		if (get_components(tcb, "tdxtcbcomponents", l->tdx) != 0)
			return CU_EFORMAT;
		l->has_tdx = 1;
	}
	if ((rc = cu_json_get_int(tcb, "pcesvn", 0, UINT16_MAX, &v)) ||
	    (rc = get_time(lv, "tcbDate", &l->date)) || (rc = get_status(lv, &l->status)) ||
	    (rc = get_advisories(lv, &l->adv)))
		return rc == CU_ENOTFOUND ? CU_EFORMAT : rc;
	l->pcesvn = (uint16_t)v;
	return 0;
}

/* mrsigner, attributes, attributesMask of tdxModule or of a module identity. */
static int get_module(const json_t *o, struct dcap_tdx_module *m)
{
	if (cu_json_get_hex(o, "mrsigner", m->mrsigner, sizeof(m->mrsigner)) ||
	    cu_json_get_hex(o, "attributes", m->attributes, sizeof(m->attributes)) ||
	    cu_json_get_hex(o, "attributesMask", m->attributes_mask, sizeof(m->attributes_mask)))
		return CU_EFORMAT;
	return 0;
}

static int get_module_ids(const json_t *o, struct dcap_tcb_info *t)
{
	json_t *a;
	int rc;

	if ((rc = get_array(o, "tdxModuleIdentities", 0, DCAP_TDX_MODULES_MAX, &a)) == CU_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < json_array_size(a); i++) {
		const json_t *m = json_array_get(a, i);
		struct dcap_tdx_module *id = &t->ids[i];
		if (!json_is_object(m) || get_id(m, id->id) || get_module(m, id))
			return CU_EFORMAT;
		if ((rc = get_isv_levels(m, DCAP_MODULE_LEVELS_MAX, id->levels, &id->nlevels)) != 0)
			return rc;
	}
	t->nids = json_array_size(a);
	return 0;
}

static int tcb_info_header(const json_t *j, struct dcap_tcb_info *t)
{
	char id[DCAP_ID_LEN] = "SGX"; /* v2 has no id */
	json_t *m;
	int rc;

	if ((rc = get_id(j, id)) != 0 && rc != CU_ENOTFOUND)
		return rc;
	if (strcmp(id, "SGX") != 0 && strcmp(id, "TDX") != 0)
		return CU_EUNSUPPORTED;
	t->is_tdx = !strcmp(id, "TDX");
	if (cu_json_get_int(j, "version", 2, 3, &t->version) != 0)
		return CU_EUNSUPPORTED;
	if (t->is_tdx && t->version < 3)
		return CU_EUNSUPPORTED;
	if (get_time(j, "issueDate", &t->issue_date) ||
	    get_time(j, "nextUpdate", &t->next_update) ||
	    cu_json_get_hex(j, "fmspc", t->fmspc, sizeof(t->fmspc)) ||
	    cu_json_get_hex(j, "pceId", t->pce_id, sizeof(t->pce_id)))
		return CU_EFORMAT;
	if ((rc = get_object(j, "tdxModule", &m)) == 0) {
		if (get_module(m, &t->module) != 0)
			return CU_EFORMAT;
		t->has_module = 1;
	} else if (rc != CU_ENOTFOUND) {
		return rc;
	}
	return get_module_ids(j, t);
}

static int parse_tcb_info(const uint8_t *raw, size_t len, struct dcap_tcb_info *t)
{
	json_t *j = NULL, *a;
	int rc;

	if ((rc = cu_json_parse(raw, len, DCAP_COLLATERAL_DOC_MAX, &j)) != 0)
		goto out;
	rc = CU_EFORMAT;
	if (!json_is_object(j) || (rc = tcb_info_header(j, t)) != 0)
		goto out;
	if ((rc = get_array(j, "tcbLevels", 1, DCAP_TCB_LEVELS_MAX, &a)) != 0)
		goto out;
	for (size_t i = 0; i < json_array_size(a); i++)
		if ((rc = get_tcb_level(json_array_get(a, i), t, &t->levels[i])) != 0)
			goto out;
	t->nlevels = json_array_size(a);
out:
	json_decref(j);
	return rc == CU_ENOTFOUND ? CU_EFORMAT : rc;
}

static int qe_identity_fields(const json_t *j, struct dcap_qe_identity *q)
{
	uint8_t b[4];
	int64_t v;

	if (get_id(j, q->id) || cu_json_get_int(j, "version", 2, 2, &q->version) ||
	    get_time(j, "issueDate", &q->issue_date) || get_time(j, "nextUpdate", &q->next_update))
		return CU_EFORMAT;
	/* MISCSELECT is written as the hex of the 32-bit number, most significant first. */
	if (cu_json_get_hex(j, "miscselect", b, 4))
		return CU_EFORMAT;
	q->miscselect = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	if (cu_json_get_hex(j, "miscselectMask", b, 4))
		return CU_EFORMAT;
	q->miscselect_mask =
	    (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	if (cu_json_get_hex(j, "attributes", q->attributes, 16) ||
	    cu_json_get_hex(j, "attributesMask", q->attributes_mask, 16) ||
	    cu_json_get_hex(j, "mrsigner", q->mrsigner, 32) ||
	    cu_json_get_int(j, "isvprodid", 0, UINT16_MAX, &v))
		return CU_EFORMAT;
	q->isvprodid = (uint16_t)v;
	return 0;
}

static int parse_qe_identity(const uint8_t *raw, size_t len, struct dcap_qe_identity *q)
{
	json_t *j = NULL;
	int rc;

	if ((rc = cu_json_parse(raw, len, DCAP_COLLATERAL_DOC_MAX, &j)) != 0)
		goto out;
	rc = CU_EFORMAT;
	if (!json_is_object(j) || (rc = qe_identity_fields(j, q)) != 0)
		goto out;
	rc = get_isv_levels(j, DCAP_QE_LEVELS_MAX, q->levels, &q->nlevels);
out:
	json_decref(j);
	return rc == CU_ENOTFOUND ? CU_EFORMAT : rc;
}

/* --- the collateral document -------------------------------------------------- */

static int get_chain(const json_t *o, const char *key, STACK_OF(X509) * *out)
{
	const char *s;

	if (cu_json_get_str(o, key, &s) != 0)
		return CU_EFORMAT;
	return tee_x509_chain_from_pem(s, strlen(s), DCAP_CHAIN_MAX, out);
}

static int get_crl(const json_t *o, const char *key, X509_CRL **out)
{
	const char *s;
	uint8_t *der = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	if (cu_json_get_str(o, key, &s) != 0)
		return CU_EFORMAT;
	if (strlen(s) / 2 > DCAP_CRL_MAX)
		return CU_ELIMIT;
	if (!(der = malloc(strlen(s) / 2 + 1)))
		return CU_ENOMEM;
	if ((rc = cu_hex_decode(s, strlen(s), der, strlen(s) / 2 + 1, &n)) == 0)
		rc = tee_x509_crl_from_der(der, n, out);
	free(der);
	return rc;
}

/* A signed document: its raw text (copied) and its hex r||s signature. */
static int get_signed(const json_t *o, const char *key, const char *sigkey, uint8_t **raw,
                      size_t *len, uint8_t sig[DCAP_ECDSA_SIG_LEN])
{
	const char *s;

	if (cu_json_get_str(o, key, &s) != 0 || cu_json_get_hex(o, sigkey, sig, DCAP_ECDSA_SIG_LEN))
		return CU_EFORMAT;
	if (strlen(s) > DCAP_COLLATERAL_DOC_MAX)
		return CU_ELIMIT;
	if (!(*raw = (uint8_t *)cu_strdup(s)))
		return CU_ENOMEM;
	*len = strlen(s);
	return 0;
}

/*
 * The identity of what revocation is checked against: SHA-256 over the two
 * CRLs and the PCK CRL issuer chain, each as its JSON string with its
 * length in front. The PCK chain cache reuses a revocation result only for
 * the same identity.
 */
static int crl_identity(const json_t *j, uint8_t id[static 32])
{
	static const char *const keys[] = {"root_ca_crl", "pck_crl", "pck_crl_issuer_chain"};
	struct cr_hash *h = NULL;
	const char *s;
	uint8_t len[8];
	int rc;

	if ((rc = cr_hash_new(CR_SHA256, &h)) != 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < sizeof(keys) / sizeof(keys[0]); i++) {
		if ((rc = cu_json_get_str(j, keys[i], &s)) != 0)
			break;
		for (size_t k = 0; k < sizeof(len); k++)
			len[k] = (uint8_t)((uint64_t)strlen(s) >> (8 * k));
		if ((rc = cr_hash_update(h, len, sizeof(len))) == 0)
			rc = cr_hash_update(h, s, strlen(s));
	}
	if (rc == 0)
		rc = cr_hash_final(h, id);
	cr_hash_free(h);
	return rc;
}

static int collateral_fields(const json_t *j, struct dcap_collateral *c, struct dcap_result *res)
{
	int rc;

	if ((rc = get_chain(j, "pck_crl_issuer_chain", &c->pck_crl_chain)) ||
	    (rc = get_chain(j, "tcb_info_issuer_chain", &c->tcb_chain)) ||
	    (rc = get_chain(j, "qe_identity_issuer_chain", &c->qe_chain)))
		return dcap_fail(res, rc, "collateral: an issuer chain is missing or malformed");
	if ((rc = get_crl(j, "root_ca_crl", &c->root_crl)) ||
	    (rc = get_crl(j, "pck_crl", &c->pck_crl)))
		return dcap_fail(res, rc, "collateral: a CRL is missing or malformed");
	if ((rc = crl_identity(j, c->crl_id)) != 0)
		return dcap_fail(res, rc, "collateral: cannot hash its CRLs");
	if ((rc = get_signed(j, "tcb_info", "tcb_info_signature", &c->tcb_raw, &c->tcb_raw_len,
	                     c->tcb_sig)) ||
	    (rc = parse_tcb_info(c->tcb_raw, c->tcb_raw_len, &c->tcb)))
		return dcap_fail(res, rc, "collateral: TCB info is missing or malformed (%s)",
		                 cu_strerror(rc));
	if ((rc = get_signed(j, "qe_identity", "qe_identity_signature", &c->qe_raw, &c->qe_raw_len,
	                     c->qe_sig)) ||
	    (rc = parse_qe_identity(c->qe_raw, c->qe_raw_len, &c->qe)))
		return dcap_fail(res, rc, "collateral: QE identity is missing or malformed (%s)",
		                 cu_strerror(rc));
	return 0;
}

int dcap_collateral_parse(const void *json, size_t len, struct dcap_collateral **out,
                          struct dcap_result *res)
{
	struct dcap_collateral *c = NULL;
	json_t *j = NULL;
	int rc;

	*out = NULL;
	if (res)
		memset(res, 0, sizeof(*res));
	if ((rc = cu_json_parse(json, len, DCAP_COLLATERAL_MAX, &j)) != 0 || !json_is_object(j)) {
		rc = dcap_fail(res, rc ? rc : CU_EFORMAT, "collateral is not a JSON object");
		goto out;
	}
	if (!(c = calloc(1, sizeof(*c)))) {
		rc = dcap_fail(res, CU_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = collateral_fields(j, c, res)) != 0)
		goto out;
	*out = c;
	c = NULL;
out:
	dcap_collateral_free(c);
	json_decref(j);
	return rc;
}

void dcap_collateral_free(struct dcap_collateral *c)
{
	if (!c)
		return;
	tee_x509_chain_free(c->pck_crl_chain);
	tee_x509_chain_free(c->tcb_chain);
	tee_x509_chain_free(c->qe_chain);
	X509_CRL_free(c->root_crl);
	X509_CRL_free(c->pck_crl);
	free(c->tcb_raw);
	free(c->qe_raw);
	free(c);
}

/* --- verification -------------------------------------------------------------- */

struct window {
	int64_t from, until;
};

static void window_narrow(struct window *w, int64_t from, int64_t until)
{
	if (from > w->from)
		w->from = from;
	if (until < w->until)
		w->until = until;
}

static int window_chain(struct window *w, STACK_OF(X509) * sk)
{
	int64_t a, b;

	for (int i = 0; i < sk_X509_num(sk); i++) {
		if (tee_x509_cert_accept_window(sk_X509_value(sk, i), &a, &b) != 0)
			return CU_EFORMAT;
		window_narrow(w, a, b);
	}
	return 0;
}

/*
 * A signed document: its issuer chain (TCB signing certificate directly
 * under the pinned root, root CRL checked) and its signature.
 */
static int check_signed_doc(STACK_OF(X509) * chain, X509_CRL *root_crl, const uint8_t *raw,
                            size_t len, const uint8_t *sig, const char *what, const uint8_t *pin,
                            int64_t now, struct dcap_result *res)
{
	STACK_OF(X509) *path = NULL;
	char why[DCAP_REASON_LEN] = "";
	X509 *leaf;
	int rc;

	rc = tee_x509_verify_chain(chain, pin, &root_crl, 1, now, &path, why, sizeof(why));
	if (rc != 0) {
		rc = dcap_fail(res, rc, "%s issuer chain: %s", what, why);
		goto out;
	}
	leaf = sk_X509_value(path, 0);
	if (sk_X509_num(path) != 2 || !tee_x509_cn_is(leaf, TCB_SIGNING_CN)) {
		rc = dcap_fail(res, CU_EUNTRUSTED, "%s is not signed by the Intel TCB signing key",
		               what);
		goto out;
	}
	if (cr_verify(X509_get0_pubkey(leaf), raw, len, sig, DCAP_ECDSA_SIG_LEN) != 0) {
		rc = dcap_fail(res, CU_EAUTH, "%s signature does not verify", what);
		goto out;
	}
out:
	tee_x509_chain_free(path);
	return rc;
}

/* The PCK CRL: its issuer chain to the root (root CRL checked), its signature and window. */
static int check_pck_crl(const struct dcap_collateral *c, const uint8_t *pin, int64_t now,
                         struct dcap_result *res)
{
	STACK_OF(X509) *path = NULL;
	char why[DCAP_REASON_LEN] = "";
	X509_CRL *root_crl = c->root_crl;
	int rc;

	rc = tee_x509_verify_chain(c->pck_crl_chain, pin, &root_crl, 1, now, &path, why,
	                           sizeof(why));
	if (rc != 0) {
		rc = dcap_fail(res, rc, "PCK CRL issuer chain: %s", why);
		goto out;
	}
	rc = tee_x509_check_crl(c->pck_crl, sk_X509_value(path, 0), now, why, sizeof(why));
	if (rc != 0)
		rc = dcap_fail(res, rc, "PCK CRL: %s", why);
out:
	tee_x509_chain_free(path);
	return rc;
}

static int check_doc_window(int64_t issue, int64_t next, int64_t now, const char *what,
                            struct dcap_result *res)
{
	char a[32], b[32];

	if (now >= issue && now <= next)
		return 0;
	cu_time_format(issue, a, sizeof(a));
	cu_time_format(next, b, sizeof(b));
	return dcap_fail(res, CU_EEXPIRED, "%s is valid from %s to %s only", what, a, b);
}

static int collateral_window(const struct dcap_collateral *c, struct window *w)
{
	int64_t a, b;

	*w = (struct window){INT64_MIN, INT64_MAX};
	window_narrow(w, c->tcb.issue_date, c->tcb.next_update);
	window_narrow(w, c->qe.issue_date, c->qe.next_update);
	/* The root CRL is checked by X509_verify_cert, the PCK CRL by tee_x509_check_crl. */
	if (tee_x509_crl_accept_window(c->root_crl, &a, &b) != 0)
		return CU_EFORMAT;
	window_narrow(w, a, b);
	if (tee_x509_crl_window(c->pck_crl, &a, &b) != 0)
		return CU_EFORMAT;
	window_narrow(w, a, b);
	if (window_chain(w, c->pck_crl_chain) || window_chain(w, c->tcb_chain) ||
	    window_chain(w, c->qe_chain))
		return CU_EFORMAT;
	return 0;
}

int dcap_collateral_check(const struct dcap_collateral *c, const uint8_t pin[static 32],
                          int64_t now, struct dcap_result *res, int64_t *from, int64_t *until)
{
	struct window w;
	int rc;

	*from = *until = 0;
	if ((rc = check_doc_window(c->tcb.issue_date, c->tcb.next_update, now, "TCB info", res)) ||
	    (rc = check_doc_window(c->qe.issue_date, c->qe.next_update, now, "QE identity", res)))
		return rc;
	if ((rc = check_signed_doc(c->tcb_chain, c->root_crl, c->tcb_raw, c->tcb_raw_len,
	                           c->tcb_sig, "TCB info", pin, now, res)) ||
	    (rc = check_signed_doc(c->qe_chain, c->root_crl, c->qe_raw, c->qe_raw_len, c->qe_sig,
	                           "QE identity", pin, now, res)) ||
	    (rc = check_pck_crl(c, pin, now, res)))
		return rc;
	if ((rc = collateral_window(c, &w)) != 0)
		return dcap_fail(res, rc, "collateral: a validity date is malformed");
	*from = w.from;
	*until = w.until;
	return 0;
}

int dcap_collateral_verify(struct dcap_collateral *c, int64_t now, struct dcap_result *res)
{
	int64_t from, until;
	int rc;

	if (res)
		memset(res, 0, sizeof(*res));
	if (!c)
		return dcap_fail(res, CU_EINVAL, "no collateral");
	if (now == DCAP_NOW_SYSTEM)
		now = cu_time_now();
	c->verified = 0;
	if ((rc = dcap_collateral_check(c, dcap_intel_root_sha256, now, res, &from, &until)) != 0)
		return rc;
	memcpy(c->verified_pin, dcap_intel_root_sha256, sizeof(c->verified_pin));
	c->valid_from = from;
	c->valid_until = until;
	c->verified = 1;
	if (res)
		snprintf(res->reason, sizeof(res->reason), "collateral verified");
	return 0;
}

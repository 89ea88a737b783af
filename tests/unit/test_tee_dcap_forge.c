/*
 * Unit tests: evidence re-signed with keys of our own. A complete, internally
 * consistent quote under a self-made "Intel root" must fail the pin; a quote
 * re-signed with a new attestation key must fail the QE report binding; the
 * chain and CRL helpers reject revoked and expired certificates (shown on a
 * self-made hierarchy, since no real Intel CRL lists our vectors' chains).
 * Also: the quotes inside the RA-TLS certificates verify up to the Intel root
 * with TCB status Unknown; and the PCK chain cache of a verifier refuses
 * what the full verification refuses, shown on a whole self-made hierarchy
 * (quote, PCK chain, collateral, CRLs) pinned through the test seam of
 * dcap_int.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/buf.h"
#include "crypto/hash.h"
#include "common/encoding.h"
#include "crypto/pkey.h"
#include "tee/dcap_int.h"
#include "tee/x509.h"
#include "tee_dcap_util.h"

#define T0   1735689600 /* 2025-01-01 */
#define YEAR (365 * 86400)

static X509 *mk_cert(const char *cn, X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *key, int ca,
                     long serial, X509_EXTENSION *extra)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509_EXTENSION *e;

	assert_non_null(x);
	assert_true(X509_set_version(x, 2));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), serial));
	assert_true(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1,
	                                       -1, 0));
	assert_true(X509_set_subject_name(x, n));
	assert_true(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n));
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), T0 - YEAR));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), T0 + YEAR));
	assert_true(X509_set_pubkey(x, key));
	if (ca) {
		e = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, "critical,CA:TRUE");
		assert_true(X509_add_ext(x, e, -1));
		X509_EXTENSION_free(e);
		e = X509V3_EXT_conf_nid(NULL, NULL, NID_key_usage, "critical,keyCertSign,cRLSign");
		assert_true(X509_add_ext(x, e, -1));
		X509_EXTENSION_free(e);
	}
	if (extra)
		assert_true(X509_add_ext(x, extra, -1));
	assert_true(X509_sign(x, issuer_key, EVP_sha256()) > 0);
	X509_NAME_free(n);
	return x;
}

static X509_CRL *mk_crl(X509 *issuer, EVP_PKEY *key, X509 *revoked, int64_t from, int64_t until)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *a = ASN1_TIME_set(NULL, from), *b = ASN1_TIME_set(NULL, until);

	assert_true(X509_CRL_set_version(crl, 1));
	assert_true(X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)));
	assert_true(X509_CRL_set1_lastUpdate(crl, a));
	assert_true(X509_CRL_set1_nextUpdate(crl, b));
	if (revoked) {
		X509_REVOKED *r = X509_REVOKED_new();
		assert_true(X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(revoked)));
		assert_true(X509_REVOKED_set_revocationDate(r, a));
		assert_true(X509_CRL_add0_revoked(crl, r));
	}
	assert_true(X509_CRL_sort(crl));
	assert_true(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
	ASN1_TIME_free(a);
	ASN1_TIME_free(b);
	return crl;
}

static void pin_of(X509 *x, uint8_t pin[32])
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);

	assert_true(n > 0);
	assert_int_equal(cr_sha256(der, (size_t)n, pin), 0);
	OPENSSL_free(der);
}

struct pki {
	EVP_PKEY *kroot, *kca, *kleaf;
	X509 *root, *ca, *leaf;
	STACK_OF(X509) * chain;
	uint8_t pin[32];
};

static void pki_make(struct pki *p, X509_EXTENSION *leaf_ext)
{
	assert_int_equal(cr_pkey_generate(CR_KEY_P256, &p->kroot), 0);
	assert_int_equal(cr_pkey_generate(CR_KEY_P256, &p->kca), 0);
	assert_int_equal(cr_pkey_generate(CR_KEY_P256, &p->kleaf), 0);
	p->root = mk_cert("Intel SGX Root CA", NULL, p->kroot, p->kroot, 1, 1, NULL);
	p->ca = mk_cert("Intel SGX PCK Processor CA", p->root, p->kroot, p->kca, 1, 2, NULL);
	p->leaf = mk_cert("Intel SGX PCK Certificate", p->ca, p->kca, p->kleaf, 0, 3, leaf_ext);
	p->chain = sk_X509_new_null();
	assert_true(sk_X509_push(p->chain, p->leaf) && sk_X509_push(p->chain, p->ca) &&
	            sk_X509_push(p->chain, p->root));
	pin_of(p->root, p->pin);
}

static void pki_free(struct pki *p)
{
	tee_x509_chain_free(p->chain);
	EVP_PKEY_free(p->kroot);
	EVP_PKEY_free(p->kca);
	EVP_PKEY_free(p->kleaf);
}

/* --- chains and CRLs -------------------------------------------------------------- */

struct crl_case {
	const char *name;
	int revoke_leaf, revoke_ca, with_ca_crl;
	int64_t crl_until, now;
	int rc;
};

static const struct crl_case crl_cases[] = {
    {"clean", 0, 0, 1, T0 + 86400, T0, 0},
    {"leaf revoked", 1, 0, 1, T0 + 86400, T0, CU_EREVOKED},
    {"CA revoked", 0, 1, 1, T0 + 86400, T0, CU_EREVOKED},
    {"CRL of the CA missing", 0, 0, 0, T0 + 86400, T0, CU_EUNTRUSTED},
    {"CRL expired", 0, 0, 1, T0 - 1, T0, CU_EEXPIRED},
    {"certificate expired", 0, 0, 1, T0 + 2 * YEAR, T0 + YEAR + 1, CU_EEXPIRED},
    {"certificate not yet valid", 0, 0, 1, T0 + 86400, T0 - YEAR - 1, CU_EEXPIRED},
};

static void test_chain_crls(void **state)
{
	struct pki p = {0};
	char why[256];

	(void)state;
	pki_make(&p, NULL);
	for (size_t i = 0; i < sizeof(crl_cases) / sizeof(crl_cases[0]); i++) {
		const struct crl_case *t = &crl_cases[i];
		int64_t from = t->now < T0 - 86400 ? t->now - 86400 : T0 - 86400;
		X509_CRL *crls[2];
		size_t n = 1;
		int rc;

		crls[0] = mk_crl(p.root, p.kroot, t->revoke_ca ? p.ca : NULL, from, t->crl_until);
		if (t->with_ca_crl)
			crls[n++] =
			    mk_crl(p.ca, p.kca, t->revoke_leaf ? p.leaf : NULL, from, t->crl_until);
		why[0] = '\0';
		rc = tee_x509_verify_chain(p.chain, p.pin, crls, n, t->now, NULL, why, sizeof(why));
		if (rc != t->rc)
			fail_msg("%s: rc %d (%s)", t->name, rc, why);
		/* The per-quote path: cached CRLs, looked up by hand. */
		if (t->with_ca_crl && t->crl_until > t->now && t->now >= T0 - YEAR)
			assert_int_equal(tee_x509_check_revoked(crls[1], p.leaf, why, sizeof(why)),
			                 t->revoke_leaf ? CU_EREVOKED : 0);
		for (size_t k = 0; k < n; k++)
			X509_CRL_free(crls[k]);
	}
	/* A CRL of the wrong issuer, and a CRL checked against the wrong key. */
	{
		X509_CRL *crl = mk_crl(p.root, p.kroot, NULL, T0 - 86400, T0 + 86400);
		assert_int_equal(tee_x509_check_revoked(crl, p.leaf, why, sizeof(why)),
		                 CU_EUNTRUSTED);
		assert_int_equal(tee_x509_check_crl(crl, p.root, T0, why, sizeof(why)), 0);
		assert_int_equal(tee_x509_check_crl(crl, p.ca, T0, why, sizeof(why)),
		                 CU_EUNTRUSTED);
		assert_int_equal(tee_x509_check_crl(crl, p.root, T0 + 2 * 86400, why, sizeof(why)),
		                 CU_EEXPIRED);
		X509_CRL_free(crl);
	}
	/* Without the pinned root in the chain, or with the pin of another root. */
	assert_int_equal(tee_x509_verify_chain(p.chain, dcap_intel_root_sha256, NULL, 0, T0, NULL,
	                                       why, sizeof(why)),
	                 CU_EUNTRUSTED);
	pki_free(&p);
}

/* --- forged quotes ---------------------------------------------------------------- */

static void put16(struct cu_buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	assert_int_equal(cu_buf_append(b, x, 2), 0);
}

static void put32(struct cu_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	assert_int_equal(cu_buf_append(b, x, 4), 0);
}

/* A v3 quote from q's header and body with the given key, QE report and chain. */
static void build_v3(const struct dcap_quote *q, EVP_PKEY *att, const uint8_t *qe_report,
                     EVP_PKEY *pck_key, const uint8_t *qe_sig, const char *pem, struct cu_buf *out)
{
	uint8_t sig[64], qsig[64], xy[65];
	size_t n, xylen = sizeof(xy);
	struct cu_buf sd;

	assert_int_equal(cr_sign(att, q->signed_bytes, q->signed_len, sig, &n), 0);
	assert_true(
	    EVP_PKEY_get_octet_string_param(att, "encoded-pub-key", xy, sizeof(xy), &xylen));
	assert_int_equal(xylen, 65);
	if (pck_key)
		assert_int_equal(cr_sign(pck_key, qe_report, DCAP_REPORT_LEN, qsig, &n), 0);
	else
		memcpy(qsig, qe_sig, 64);
	cu_buf_init(&sd, DCAP_QUOTE_MAX);
	assert_int_equal(cu_buf_append(&sd, sig, 64), 0);
	assert_int_equal(cu_buf_append(&sd, xy + 1, 64), 0);
	assert_int_equal(cu_buf_append(&sd, qe_report, DCAP_REPORT_LEN), 0);
	assert_int_equal(cu_buf_append(&sd, qsig, 64), 0);
	put16(&sd, (uint16_t)q->qe_auth_len);
	assert_int_equal(cu_buf_append(&sd, q->qe_auth, q->qe_auth_len), 0);
	put16(&sd, 5);
	put32(&sd, (uint32_t)strlen(pem));
	assert_int_equal(cu_buf_append(&sd, pem, strlen(pem)), 0);
	cu_buf_init(out, DCAP_QUOTE_MAX);
	assert_int_equal(cu_buf_append(out, q->signed_bytes, q->signed_len), 0);
	put32(out, (uint32_t)sd.len);
	assert_int_equal(cu_buf_append(out, sd.data, sd.len), 0);
	cu_buf_free(&sd);
}

/* The QE report of q with report_data binding att. */
static void bind_report(const struct dcap_quote *q, EVP_PKEY *att, uint8_t rep[DCAP_REPORT_LEN])
{
	uint8_t xy[65], buf[64 + DCAP_QE_AUTH_MAX];
	size_t xylen = sizeof(xy);

	assert_true(
	    EVP_PKEY_get_octet_string_param(att, "encoded-pub-key", xy, sizeof(xy), &xylen));
	memcpy(buf, xy + 1, 64);
	memcpy(buf + 64, q->qe_auth, q->qe_auth_len);
	memcpy(rep, q->qe_report_raw, DCAP_REPORT_LEN);
	assert_int_equal(cr_sha256(buf, 64 + q->qe_auth_len, rep + 320), 0);
	memset(rep + 352, 0, 32);
}

static char *chain_pem(STACK_OF(X509) * sk)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long n;

	for (int i = 0; i < sk_X509_num(sk); i++)
		assert_true(PEM_write_bio_X509(b, sk_X509_value(sk, i)));
	n = BIO_get_mem_data(b, &p);
	out = calloc(1, (size_t)n + 1);
	memcpy(out, p, (size_t)n);
	BIO_free(b);
	return out;
}

static X509_EXTENSION *real_sgx_ext(const struct dcap_quote *q)
{
	STACK_OF(X509) *sk = NULL;
	ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
	X509_EXTENSION *e;

	assert_int_equal(tee_x509_chain_from_pem(q->pck_pem, q->pck_pem_len, 4, &sk), 0);
	e = X509_EXTENSION_dup(
	    X509_get_ext(sk_X509_value(sk, 0), X509_get_ext_by_OBJ(sk_X509_value(sk, 0), obj, -1)));
	ASN1_OBJECT_free(obj);
	tee_x509_chain_free(sk);
	return e;
}

static void test_fake_root(void **state)
{
	struct vec v = SGX_V3;
	struct dcap_quote *q;
	struct dcap_result res;
	struct tee_claims c;
	uint8_t rep[DCAP_REPORT_LEN];
	EVP_PKEY *att;
	struct cu_buf fq;
	struct pki p = {0};
	X509_EXTENSION *ext;
	char *pem, why[256];

	(void)state;
	vec_load(&v);
	assert_int_equal(dcap_quote_parse(v.q, v.qlen, &q), 0);
	ext = real_sgx_ext(q);
	pki_make(&p, ext);
	assert_int_equal(cr_pkey_generate(CR_KEY_P256, &att), 0);
	bind_report(q, att, rep);
	pem = chain_pem(p.chain);
	build_v3(q, att, rep, p.kleaf, NULL, pem, &fq);
	/* Well-formed, and its chain verifies under its own root... */
	assert_int_equal(tee_x509_verify_chain(p.chain, p.pin, NULL, 0, T0, NULL, why, sizeof(why)),
	                 0);
	/* ...but that root is not the pinned Intel root. */
	assert_int_equal(dcap_verify(fq.data, fq.len, NULL, T0, &c, &res), CU_EUNTRUSTED);
	print_message("fake root: %s\n", res.reason);
	assert_non_null(strstr(res.reason, "pinned root"));
	assert_int_equal(c.type, TEE_NONE);
	/* Even with the real root appended to the forged chain. */
	{
		uint8_t *der;
		size_t n;
		char *both;
		X509 *intel;
		const unsigned char *pp;
		load("roots/intel-sgx-root-ca.der", &der, &n);
		pp = der;
		intel = d2i_X509(NULL, &pp, (long)n);
		assert_true(sk_X509_push(p.chain, intel));
		both = chain_pem(p.chain);
		cu_buf_free(&fq);
		build_v3(q, att, rep, p.kleaf, NULL, both, &fq);
		assert_int_equal(dcap_verify(fq.data, fq.len, NULL, T0, &c, &res), CU_EUNTRUSTED);
		free(both);
		free(der);
	}
	cu_buf_free(&fq);
	free(pem);
	X509_EXTENSION_free(ext);
	EVP_PKEY_free(att);
	pki_free(&p);
	dcap_quote_free(q);
	vec_free(&v);
}

/* A new attestation key without a QE report that binds it. */
static void test_new_attestation_key(void **state)
{
	struct vec vs[] = {SGX_V3};
	struct dcap_result res;
	struct tee_claims c;

	(void)state;
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		struct dcap_quote *q;
		EVP_PKEY *att;
		struct cu_buf fq;

		vec_load(&vs[i]);
		assert_int_equal(dcap_quote_parse(vs[i].q, vs[i].qlen, &q), 0);
		/* Rebuilt unchanged with the real key, it would verify: check the builder. */
		assert_int_equal(cr_pkey_generate(CR_KEY_P256, &att), 0);
		build_v3(q, att, q->qe_report_raw, NULL, q->qe_report_sig, q->pck_pem, &fq);
		assert_int_equal(dcap_verify(fq.data, fq.len, NULL, vs[i].now, &c, &res), CU_EAUTH);
		print_message("new key: %s\n", res.reason);
		assert_non_null(strstr(res.reason, "bind"));
		/* And a QE report changed to bind it loses the PCK signature. */
		{
			uint8_t rep[DCAP_REPORT_LEN];
			bind_report(q, att, rep);
			cu_buf_free(&fq);
			build_v3(q, att, rep, NULL, q->qe_report_sig, q->pck_pem, &fq);
			assert_int_equal(dcap_verify(fq.data, fq.len, NULL, vs[i].now, &c, &res),
			                 CU_EAUTH);
			assert_non_null(strstr(res.reason, "QE report signature"));
		}
		cu_buf_free(&fq);
		EVP_PKEY_free(att);
		dcap_quote_free(q);
		vec_free(&vs[i]);
	}
}

/* --- RA-TLS certificates: their quotes, without collateral -------------------------- */

static int quote_in_cert(const char *rel, uint8_t **quote, size_t *len)
{
	uint8_t *pem;
	size_t n;
	BIO *b;
	X509 *x;
	static const uint8_t hdr[] = {0x03, 0x00, 0x02, 0x00};

	load(rel, &pem, &n);
	b = BIO_new_mem_buf(pem, (int)n);
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	free(pem);
	assert_non_null(x);
	*quote = NULL;
	for (int i = 0; i < X509_get_ext_count(x) && !*quote; i++) {
		ASN1_OCTET_STRING *d = X509_EXTENSION_get_data(X509_get_ext(x, i));
		const uint8_t *p = ASN1_STRING_get0_data(d);
		size_t dl = (size_t)ASN1_STRING_length(d);
		for (size_t k = 0; k + 48 < dl; k++)
			if (!memcmp(p + k, hdr, 4) && p[k + 4] == 0 && p[k + 5] == 0) {
				*quote = cu_memdup(p + k, dl - k);
				*len = dl - k;
				break;
			}
	}
	X509_free(x);
	return *quote ? 0 : -1;
}

static void test_ratls_quotes(void **state)
{
	/* Each at a time inside its PCK certificate's window (the SDK's PCK is from 2023-12). */
	static const char *const certs[][2] = {
	    {"ratls/gramine-cert.pem", "2023-06-01T00:00:00Z"},
	    {"ratls/intel-sgxsdk-cert.pem", "2025-06-01T00:00:00Z"},
	    {"ratls/rats-tls-cert.pem", "2023-06-01T00:00:00Z"},
	};
	struct dcap_result res;
	struct tee_claims c;

	(void)state;
	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++) {
		int64_t now = t_of(certs[i][1]);
		uint8_t *q;
		size_t n = 0;
		assert_int_equal(quote_in_cert(certs[i][0], &q, &n), 0);
		int rc = dcap_verify(q, n, NULL, now, &c, &res);
		print_message("%s: %s\n", certs[i][0], res.reason);
		assert_int_equal(rc, 0);
		assert_int_equal(c.type, TEE_SGX);
		assert_int_equal(c.tcb_status, TEE_TCB_UNKNOWN);
		assert_int_equal(c.debug, 1);
		assert_true(c.has_fmspc);
		/* The PCK certificate's window still counts. */
		assert_int_equal(dcap_verify(q, n, NULL, t_of("2031-01-01T00:00:00Z"), &c, &res),
		                 CU_EEXPIRED);
		/* One flipped bit in the body is caught. */
		q[100] ^= 1;
		assert_int_equal(dcap_verify(q, n, NULL, now, &c, &res), CU_EAUTH);
		free(q);
	}
}

/* --- the PCK chain cache on a self-made hierarchy ----------------------------------- */

#define NOW_25 1751328000 /* 2025-07-01T00:00:00Z, inside the real TCB info's window */

struct world {
	struct pki p;
	EVP_PKEY *ktcb, *att;
	X509 *tcb;
	struct cu_buf quote;
	json_t *real; /* the real SGX collateral: its TCB info and QE identity are re-signed */
};

static char *crl_hex(X509_CRL *crl)
{
	unsigned char *der = NULL;
	int n = i2d_X509_CRL(crl, &der);
	char *hex;

	assert_true(n > 0);
	hex = malloc(2 * (size_t)n + 1);
	assert_int_equal(cu_hex_encode(der, (size_t)n, hex, 2 * (size_t)n + 1), 0);
	OPENSSL_free(der);
	X509_CRL_free(crl);
	return hex;
}

static void set_signed(json_t *j, const struct world *w, const char *key, const char *sigkey)
{
	const char *raw = json_string_value(json_object_get(w->real, key));
	uint8_t sig[64];
	char hex[129];
	size_t n = sizeof(sig);

	assert_non_null(raw);
	assert_int_equal(cr_sign(w->ktcb, raw, strlen(raw), sig, &n), 0);
	assert_int_equal(n, 64);
	assert_int_equal(cu_hex_encode(sig, 64, hex, sizeof(hex)), 0);
	json_object_set_new(j, key, json_string(raw));
	json_object_set_new(j, sigkey, json_string(hex));
}

static void set_chain(json_t *j, const char *key, X509 *a, X509 *b)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	char *pem;

	assert_true(sk_X509_push(sk, a) && sk_X509_push(sk, b));
	pem = chain_pem(sk);
	json_object_set_new(j, key, json_string(pem));
	free(pem);
	sk_X509_free(sk);
}

/* Collateral of the world whose PCK CRL revokes pck_revoked and root CRL ca_revoked (or none). */
static struct dcap_collateral *world_collateral(const struct world *w, X509 *pck_revoked,
                                                X509 *ca_revoked, int64_t crl_until)
{
	json_t *j = json_object();
	char *doc, *h;
	struct dcap_collateral *col;

	set_chain(j, "pck_crl_issuer_chain", w->p.ca, w->p.root);
	set_chain(j, "tcb_info_issuer_chain", w->tcb, w->p.root);
	set_chain(j, "qe_identity_issuer_chain", w->tcb, w->p.root);
	h = crl_hex(mk_crl(w->p.root, w->p.kroot, ca_revoked, NOW_25 - 86400, crl_until));
	json_object_set_new(j, "root_ca_crl", json_string(h));
	free(h);
	h = crl_hex(mk_crl(w->p.ca, w->p.kca, pck_revoked, NOW_25 - 86400, crl_until));
	json_object_set_new(j, "pck_crl", json_string(h));
	free(h);
	set_signed(j, w, "tcb_info", "tcb_info_signature");
	set_signed(j, w, "qe_identity", "qe_identity_signature");
	doc = json_dumps(j, JSON_COMPACT);
	col = col_parse((const uint8_t *)doc, strlen(doc));
	free(doc);
	json_decref(j);
	return col;
}

/* A complete SGX v3 quote under a self-made root, with the real PCK SGX extension. */
static void world_make(struct world *w)
{
	struct vec v = SGX_V3;
	struct dcap_quote *q;
	uint8_t rep[DCAP_REPORT_LEN];
	X509_EXTENSION *ext;
	char *pem;

	vec_load(&v);
	assert_int_equal(dcap_quote_parse(v.q, v.qlen, &q), 0);
	ext = real_sgx_ext(q);
	pki_make(&w->p, ext);
	assert_int_equal(cr_pkey_generate(CR_KEY_P256, &w->ktcb), 0);
	w->tcb = mk_cert("Intel SGX TCB Signing", w->p.root, w->p.kroot, w->ktcb, 0, 4, NULL);
	assert_int_equal(cr_pkey_generate(CR_KEY_P256, &w->att), 0);
	bind_report(q, w->att, rep);
	pem = chain_pem(w->p.chain);
	build_v3(q, w->att, rep, w->p.kleaf, NULL, pem, &w->quote);
	w->real = json_loadb((const char *)v.c, v.clen, 0, NULL);
	assert_non_null(w->real);
	free(pem);
	X509_EXTENSION_free(ext);
	dcap_quote_free(q);
	vec_free(&v);
}

static void world_free(struct world *w)
{
	cu_buf_free(&w->quote);
	json_decref(w->real);
	X509_free(w->tcb);
	EVP_PKEY_free(w->ktcb);
	EVP_PKEY_free(w->att);
	pki_free(&w->p);
}

/* Verify with the cached verifier v and with a verifier without cache: both must agree. */
static int both(struct dcap_verifier *v, struct dcap_verifier *full, const struct world *w,
                const struct dcap_collateral *col, int64_t now)
{
	struct dcap_result res, res_full;
	struct tee_claims c, c_full;
	int rc = dcap_verifier_verify(v, w->quote.data, w->quote.len, col, now, &c, &res);
	int rc_full =
	    dcap_verifier_verify(full, w->quote.data, w->quote.len, col, now, &c_full, &res_full);

	print_message("cached: %d %s | full: %d %s\n", rc, res.reason, rc_full, res_full.reason);
	assert_int_equal(rc, rc_full);
	assert_string_equal(res.reason, res_full.reason);
	assert_memory_equal(&c, &c_full, sizeof(c));
	return rc;
}

static void test_cache_refuses(void **state)
{
	struct world w = {0};
	struct dcap_verifier *v, *full;
	struct dcap_collateral *clean, *clean2, *pck_revoked, *ca_revoked, *crl_old;
	struct dcap_cache_stats st;

	(void)state;
	world_make(&w);
	assert_int_equal(dcap_verifier_new(8, &v), 0);
	assert_int_equal(dcap_verifier_new(0, &full), 0);
	dcap_verifier_set_root_pin(v, w.p.pin);
	dcap_verifier_set_root_pin(full, w.p.pin);
	clean = world_collateral(&w, NULL, NULL, NOW_25 + 86400);
	clean2 = world_collateral(&w, NULL, NULL, NOW_25 + 2 * 86400);
	pck_revoked = world_collateral(&w, w.p.leaf, NULL, NOW_25 + 86400);
	ca_revoked = world_collateral(&w, NULL, w.p.ca, NOW_25 + 86400);
	crl_old = world_collateral(&w, NULL, NULL, NOW_25 - 3600);

	/* The forged world verifies under its own pin (and only under it), then comes from the
	 * cache. */
	assert_int_equal(both(v, full, &w, clean, NOW_25), 0);
	{
		struct tee_claims c;
		assert_int_equal(dcap_verify(w.quote.data, w.quote.len, clean, NOW_25, &c, NULL),
		                 CU_EUNTRUSTED);
	}
	assert_int_equal(both(v, full, &w, clean, NOW_25 + 60), 0);
	dcap_verifier_stats(v, &st);
	assert_int_equal(st.misses, 1);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.entries, 1);

	/* The PCK revoked by a different PCK CRL: the cached chain is not taken for it. */
	assert_int_equal(both(v, full, &w, pck_revoked, NOW_25), CU_EREVOKED);
	/* The CA revoked by a different root CRL (caught with the collateral's own chain). */
	assert_int_equal(both(v, full, &w, ca_revoked, NOW_25), CU_EREVOKED);
	/* CRLs that expired before now. */
	assert_int_equal(both(v, full, &w, crl_old, NOW_25), CU_EEXPIRED);
	dcap_verifier_stats(v, &st);
	assert_int_equal(st.hits, 1);

	/* The entry still serves its own CRL set; another clean set is a miss, then a hit. */
	assert_int_equal(both(v, full, &w, clean, NOW_25 + 120), 0);
	assert_int_equal(both(v, full, &w, clean2, NOW_25 + 86400 + 60), 0);
	assert_int_equal(both(v, full, &w, clean2, NOW_25 + 86400 + 120), 0);
	dcap_verifier_stats(v, &st);
	assert_int_equal(st.hits, 3);
	assert_int_equal(st.misses, 3); /* clean (first), pck_revoked, clean2; ca_revoked and
	                                   crl_old fail before the chain */
	/* At and past the clean CRLs' nextUpdate (OpenSSL counts nextUpdate as past already):
	 * refused, cached or not. */
	/* (A miss: the entry holds the CRL set it was last verified with, clean2's.) */
	assert_int_equal(both(v, full, &w, clean, NOW_25 + 86400 - 1), 0);
	assert_int_equal(both(v, full, &w, clean, NOW_25 + 86400), CU_EEXPIRED);
	assert_int_equal(both(v, full, &w, clean, NOW_25 + 86400 + 1), CU_EEXPIRED);

	/* Without collateral the cached chain serves inside the certificates' windows only:
	 * [notBefore, notAfter - 1], as OpenSSL counts notAfter as past already. */
	assert_int_equal(both(v, full, &w, NULL, NOW_25), 0);
	assert_int_equal(both(v, full, &w, NULL, T0 + YEAR - 1), 0);
	assert_int_equal(both(v, full, &w, NULL, T0 - YEAR), 0);
	assert_int_equal(both(v, full, &w, NULL, T0 + YEAR), CU_EEXPIRED);
	assert_int_equal(both(v, full, &w, NULL, T0 + YEAR + 1), CU_EEXPIRED);
	assert_int_equal(both(v, full, &w, NULL, T0 - YEAR - 1), CU_EEXPIRED);
	dcap_verifier_stats(v, &st);
	assert_int_equal(st.hits, 6);

	/* Changing the pin empties the cache; the Intel pin refuses the forged root. */
	dcap_verifier_set_root_pin(v, dcap_intel_root_sha256);
	dcap_verifier_set_root_pin(full, dcap_intel_root_sha256);
	dcap_verifier_stats(v, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(both(v, full, &w, NULL, NOW_25), CU_EUNTRUSTED);

	dcap_collateral_free(clean);
	dcap_collateral_free(clean2);
	dcap_collateral_free(pck_revoked);
	dcap_collateral_free(ca_revoked);
	dcap_collateral_free(crl_old);
	dcap_verifier_free(v);
	dcap_verifier_free(full);
	world_free(&w);
}

/* A chain with more certificates than the verified path is verified every time, never cached. */
static void test_cache_only_exact_paths(void **state)
{
	struct world w = {0};
	struct dcap_verifier *v;
	struct dcap_cache_stats st;
	struct dcap_quote *q;
	struct tee_claims c;
	struct dcap_result res;
	struct cu_buf fq;
	uint8_t rep[DCAP_REPORT_LEN];
	char *pem;

	(void)state;
	world_make(&w);
	assert_int_equal(dcap_verifier_new(4, &v), 0);
	dcap_verifier_set_root_pin(v, w.p.pin);
	assert_int_equal(dcap_quote_parse(w.quote.data, w.quote.len, &q), 0);
	assert_true(sk_X509_push(w.p.chain, X509_dup(w.tcb)));
	pem = chain_pem(w.p.chain);
	memcpy(rep, q->qe_report_raw, sizeof(rep));
	build_v3(q, w.att, rep, w.p.kleaf, NULL, pem, &fq);
	for (int i = 0; i < 2; i++)
		assert_int_equal(dcap_verifier_verify(v, fq.data, fq.len, NULL, NOW_25, &c, &res),
		                 0);
	dcap_verifier_stats(v, &st);
	assert_int_equal(st.hits, 0);
	assert_int_equal(st.misses, 2);
	assert_int_equal(st.entries, 0);
	cu_buf_free(&fq);
	free(pem);
	dcap_quote_free(q);
	dcap_verifier_free(v);
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chain_crls),
	    cmocka_unit_test(test_fake_root),
	    cmocka_unit_test(test_new_attestation_key),
	    cmocka_unit_test(test_ratls_quotes),
	    cmocka_unit_test(test_cache_refuses),
	    cmocka_unit_test(test_cache_only_exact_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

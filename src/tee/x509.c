/*
 * x509.c - chains, CRLs and the SGX PCK extension, over OpenSSL.
 */
#include "tee/x509.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/time.h"
#include "crypto/hash.h"

#define SGX_EXT_OID     "1.2.840.113741.1.13.1"
#define SGX_OID_TEXT    64
#define SGX_TCB_COMPS   16
#define SGX_EXT_ENTRIES 32 /* entries of the extension and of its TCB sequence (18) */

static void subject_of(X509 *cert, char *buf, size_t n)
{
	if (!X509_NAME_oneline(X509_get_subject_name(cert), buf, (int)n))
		snprintf(buf, n, "?");
}

int tee_x509_chain_from_pem(const char *pem, size_t len, size_t max, STACK_OF(X509) * *out)
{
	STACK_OF(X509) *sk = NULL;
	BIO *bio = NULL;
	X509 *c;
	unsigned long e;
	int rc = CU_EFORMAT;

	*out = NULL;
	if (len > INT_MAX)
		return CU_ELIMIT;
	if (!(bio = BIO_new_mem_buf(pem, (int)len)) || !(sk = sk_X509_new_null())) {
		rc = CU_ENOMEM;
		goto out;
	}
	ERR_clear_error();
	while ((c = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		if ((size_t)sk_X509_num(sk) >= max || !sk_X509_push(sk, c)) {
			X509_free(c);
			rc = CU_ELIMIT;
			goto out;
		}
	}
	/* The loop ends at the first read that finds no more PEM: anything else is an error. */
	e = ERR_peek_last_error();
	if (ERR_GET_LIB(e) != ERR_LIB_PEM || ERR_GET_REASON(e) != PEM_R_NO_START_LINE)
		goto out;
	if (sk_X509_num(sk) == 0)
		goto out;
	*out = sk;
	sk = NULL;
	rc = 0;
out:
	ERR_clear_error();
	tee_x509_chain_free(sk);
	BIO_free(bio);
	return rc;
}

void tee_x509_chain_free(STACK_OF(X509) * sk)
{
	sk_X509_pop_free(sk, X509_free);
}

int tee_x509_crl_from_der(const uint8_t *der, size_t len, X509_CRL **out)
{
	const unsigned char *p = der;

	*out = NULL;
	if (len == 0 || len > LONG_MAX)
		return CU_EFORMAT;
	*out = d2i_X509_CRL(NULL, &p, (long)len);
	if (*out && p != der + len) {
		X509_CRL_free(*out);
		*out = NULL;
	}
	ERR_clear_error();
	return *out ? 0 : CU_EFORMAT;
}

int tee_x509_matches_pin(X509 *cert, const uint8_t pin[static TEE_X509_PIN_LEN])
{
	unsigned char *der = NULL;
	uint8_t h[CR_SHA256_LEN];
	int n, ok = 0;

	n = i2d_X509(cert, &der);
	if (n > 0 && cr_sha256(der, (size_t)n, h) == 0)
		ok = cu_ct_eq(h, pin, sizeof(h));
	OPENSSL_free(der);
	return ok;
}

static int asn1_time_secs(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	*out = 0;
	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return CU_EFORMAT;
	*out = cu_time_from_civil((int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
	                          (unsigned)tm.tm_mday, (unsigned)tm.tm_hour, (unsigned)tm.tm_min,
	                          (unsigned)tm.tm_sec);
	return 0;
}

int tee_x509_cert_window(const X509 *cert, int64_t *not_before, int64_t *not_after)
{
	int rc;

	if ((rc = asn1_time_secs(X509_get0_notBefore(cert), not_before)) != 0)
		return rc;
	return asn1_time_secs(X509_get0_notAfter(cert), not_after);
}

int tee_x509_crl_window(const X509_CRL *crl, int64_t *this_update, int64_t *next_update)
{
	int rc;

	if ((rc = asn1_time_secs(X509_CRL_get0_lastUpdate(crl), this_update)) != 0)
		return rc;
	return asn1_time_secs(X509_CRL_get0_nextUpdate(crl), next_update);
}

int tee_x509_cert_accept_window(const X509 *cert, int64_t *from, int64_t *until)
{
	int rc = tee_x509_cert_window(cert, from, until);

	if (rc == 0 && *until > INT64_MIN)
		(*until)--;
	return rc;
}

int tee_x509_crl_accept_window(const X509_CRL *crl, int64_t *from, int64_t *until)
{
	int rc = tee_x509_crl_window(crl, from, until);

	if (rc == 0 && *until > INT64_MIN)
		(*until)--;
	return rc;
}

static int map_verify_error(int e)
{
	switch (e) {
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_CRL_HAS_EXPIRED:
		return CU_EEXPIRED;
	case X509_V_ERR_CERT_REVOKED:
		return CU_EREVOKED;
	default:
		return CU_EUNTRUSTED;
	}
}

static X509 *find_pinned(STACK_OF(X509) * chain, const uint8_t *pin)
{
	for (int i = 0; i < sk_X509_num(chain); i++)
		if (tee_x509_matches_pin(sk_X509_value(chain, i), pin))
			return sk_X509_value(chain, i);
	return NULL;
}

static int store_ctx_setup(X509_STORE_CTX *ctx, X509_STORE *store, STACK_OF(X509) * chain,
                           STACK_OF(X509_CRL) * crlsk, int64_t now)
{
	X509_VERIFY_PARAM *param;

	if (!X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0), chain))
		return CU_ECRYPTO;
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, (time_t)now);
	X509_VERIFY_PARAM_set_depth(param, TEE_X509_DEPTH_MAX);
	if (crlsk) {
		X509_VERIFY_PARAM_set_flags(param,
		                            X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
		X509_STORE_CTX_set0_crls(ctx, crlsk);
	}
	return 0;
}

int tee_x509_verify_chain(STACK_OF(X509) * chain, const uint8_t pin[static TEE_X509_PIN_LEN],
                          X509_CRL *const *crls, size_t ncrls, int64_t now, STACK_OF(X509) * *path,
                          char *why, size_t whysz)
{
	STACK_OF(X509_CRL) *crlsk = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *store = NULL;
	STACK_OF(X509) * built;
	X509 *root, *leaf;
	char name[256];
	int rc = CU_EUNTRUSTED, e;

	if (path)
		*path = NULL;
	if (!chain || sk_X509_num(chain) < 1) {
		(void)cu_reason(why, whysz, 0, "empty certificate chain");
		return CU_EUNTRUSTED;
	}
	leaf = sk_X509_value(chain, 0);
	if (!(root = find_pinned(chain, pin)) || root == leaf) {
		subject_of(leaf, name, sizeof(name));
		(void)cu_reason(why, whysz, 0, "chain of %s does not lead to the pinned root CA",
		                name);
		return CU_EUNTRUSTED;
	}
	if (!(store = X509_STORE_new()) || !X509_STORE_add_cert(store, root) ||
	    !(ctx = X509_STORE_CTX_new())) {
		rc = CU_ENOMEM;
		goto out;
	}
	if (ncrls > 0) {
		if (!(crlsk = sk_X509_CRL_new_null())) {
			rc = CU_ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < ncrls; i++)
			if (!sk_X509_CRL_push(crlsk, crls[i])) {
				rc = CU_ENOMEM;
				goto out;
			}
	}
	if ((rc = store_ctx_setup(ctx, store, chain, crlsk, now)) != 0)
		goto out;
	if (X509_verify_cert(ctx) != 1) {
		e = X509_STORE_CTX_get_error(ctx);
		X509 *bad = X509_STORE_CTX_get_current_cert(ctx);
		subject_of(bad ? bad : leaf, name, sizeof(name));
		(void)cu_reason(why, whysz, 0, "certificate %s: %s", name,
		                X509_verify_cert_error_string(e));
		rc = map_verify_error(e);
		goto out;
	}
	built = X509_STORE_CTX_get0_chain(ctx);
	if (!built || X509_cmp(sk_X509_value(built, sk_X509_num(built) - 1), root) != 0) {
		(void)cu_reason(why, whysz, 0, "chain does not end at the pinned root CA");
		rc = CU_EUNTRUSTED;
		goto out;
	}
	if (path && !(*path = X509_STORE_CTX_get1_chain(ctx))) {
		rc = CU_ENOMEM;
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_CRL_free(crlsk); /* the CRLs themselves are the caller's */
	return rc;
}

int tee_x509_cn_is(X509 *cert, const char *cn)
{
	X509_NAME *name = X509_get_subject_name(cert);
	const ASN1_STRING *v;
	int i;

	i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (i < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
		return 0;
	v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	return v && (size_t)ASN1_STRING_length(v) == strlen(cn) &&
	       memcmp(ASN1_STRING_get0_data(v), cn, strlen(cn)) == 0;
}

int tee_x509_check_crl(X509_CRL *crl, X509 *issuer, int64_t now, char *why, size_t whysz)
{
	int64_t from, until;
	char name[256];

	subject_of(issuer, name, sizeof(name));
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
		(void)cu_reason(why, whysz, 0, "CRL is not issued by %s", name);
		return CU_EUNTRUSTED;
	}
	if (X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1) {
		ERR_clear_error();
		(void)cu_reason(why, whysz, 0, "CRL signature of %s does not verify", name);
		return CU_EUNTRUSTED;
	}
	if (tee_x509_crl_window(crl, &from, &until) != 0) {
		(void)cu_reason(why, whysz, 0, "CRL of %s lacks thisUpdate or nextUpdate", name);
		return CU_EFORMAT;
	}
	if (now < from || now > until) {
		(void)cu_reason(why, whysz, 0, "CRL of %s is outside its validity window", name);
		return CU_EEXPIRED;
	}
	return 0;
}

int tee_x509_check_revoked(X509_CRL *crl, X509 *cert, char *why, size_t whysz)
{
	X509_REVOKED *rev = NULL;
	char name[256];

	subject_of(cert, name, sizeof(name));
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) != 0) {
		(void)cu_reason(why, whysz, 0, "no CRL of the issuer of %s", name);
		return CU_EUNTRUSTED;
	}
	if (X509_CRL_get0_by_cert(crl, &rev, cert) == 1) {
		(void)cu_reason(why, whysz, 0, "certificate %s is revoked", name);
		return CU_EREVOKED;
	}
	return 0;
}

/* --- the SGX extension ---------------------------------------------------- */

struct sgx_seen {
	uint32_t tcb; /* bit i: component i+1 */
	int pcesvn, cpusvn, ppid, pce_id, fmspc, type;
};

static STACK_OF(ASN1_TYPE) * seq_parse(const unsigned char *der, long len)
{
	const unsigned char *p = der;
	STACK_OF(ASN1_TYPE) *sk = d2i_ASN1_SEQUENCE_ANY(NULL, &p, len);

	if (sk && (p != der + len || sk_ASN1_TYPE_num(sk) > SGX_EXT_ENTRIES)) {
		sk_ASN1_TYPE_pop_free(sk, ASN1_TYPE_free);
		sk = NULL;
	}
	return sk;
}

/* An entry SEQUENCE { OID, value }: the OID's text after prefix, and the value. */
static int entry_split(const ASN1_TYPE *t, const char *prefix, STACK_OF(ASN1_TYPE) * *pair,
                       const char **suffix, char *oid, size_t oidsz, ASN1_TYPE **val)
{
	const ASN1_TYPE *o;
	size_t n = strlen(prefix);

	*pair = NULL;
	if (t->type != V_ASN1_SEQUENCE)
		return CU_EFORMAT;
	*pair = seq_parse(t->value.sequence->data, t->value.sequence->length);
	if (!*pair || sk_ASN1_TYPE_num(*pair) != 2)
		return CU_EFORMAT;
	o = sk_ASN1_TYPE_value(*pair, 0);
	if (o->type != V_ASN1_OBJECT)
		return CU_EFORMAT;
	if (OBJ_obj2txt(oid, (int)oidsz, o->value.object, 1) <= 0 || strlen(oid) >= oidsz - 1)
		return CU_EFORMAT;
	if (strncmp(oid, prefix, n) != 0 || oid[n] != '.')
		return CU_EFORMAT;
	*suffix = oid + n + 1;
	*val = sk_ASN1_TYPE_value(*pair, 1);
	return 0;
}

static int get_octets(const ASN1_TYPE *v, uint8_t *out, size_t n)
{
	if (v->type != V_ASN1_OCTET_STRING || (size_t)v->value.octet_string->length != n)
		return CU_EFORMAT;
	memcpy(out, v->value.octet_string->data, n);
	return 0;
}

static int get_uint(const ASN1_TYPE *v, int type, int64_t max, int64_t *out)
{
	int ok;

	*out = 0;
	if (v->type != type)
		return CU_EFORMAT;
	if (type == V_ASN1_ENUMERATED)
		ok = ASN1_ENUMERATED_get_int64(out, v->value.enumerated);
	else
		ok = ASN1_INTEGER_get_int64(out, v->value.integer);
	if (!ok || *out < 0 || *out > max)
		return CU_EFORMAT;
	return 0;
}

static int mark(int *seen)
{
	if (*seen)
		return CU_EFORMAT;
	*seen = 1;
	return 0;
}

/* "1".."99" as a number, else -1. */
static int small_index(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 2 || s[0] < '1' || s[0] > '9' || (n == 2 && (s[1] < '0' || s[1] > '9')))
		return -1;
	return n == 1 ? s[0] - '0' : (s[0] - '0') * 10 + (s[1] - '0');
}

static int tcb_entry(const ASN1_TYPE *t, struct tee_sgx_ext *out, struct sgx_seen *seen)
{
	STACK_OF(ASN1_TYPE) *pair = NULL;
	char oid[SGX_OID_TEXT];
	const char *sfx;
	ASN1_TYPE *v;
	int64_t x;
	int rc, n;

	if ((rc = entry_split(t, SGX_EXT_OID ".2", &pair, &sfx, oid, sizeof(oid), &v)) != 0)
		goto out;
	rc = CU_EFORMAT;
	if (!strcmp(sfx, "17")) {
		if (mark(&seen->pcesvn) || get_uint(v, V_ASN1_INTEGER, UINT16_MAX, &x))
			goto out;
		out->pcesvn = (uint16_t)x;
	} else if (!strcmp(sfx, "18")) {
		if (mark(&seen->cpusvn) || get_octets(v, out->cpusvn, sizeof(out->cpusvn)))
			goto out;
	} else {
		if ((n = small_index(sfx)) < 1 || n > SGX_TCB_COMPS)
			goto out;
		if ((seen->tcb & (1u << (n - 1))) || get_uint(v, V_ASN1_INTEGER, UINT8_MAX, &x))
			goto out;
		seen->tcb |= 1u << (n - 1);
		out->tcb_svn[n - 1] = (uint8_t)x;
	}
	rc = 0;
out:
	sk_ASN1_TYPE_pop_free(pair, ASN1_TYPE_free);
	return rc;
}

static int tcb_seq(const ASN1_TYPE *v, struct tee_sgx_ext *out, struct sgx_seen *seen)
{
	STACK_OF(ASN1_TYPE) * sk;
	int rc = 0;

	if (v->type != V_ASN1_SEQUENCE)
		return CU_EFORMAT;
	if (!(sk = seq_parse(v->value.sequence->data, v->value.sequence->length)))
		return CU_EFORMAT;
	for (int i = 0; rc == 0 && i < sk_ASN1_TYPE_num(sk); i++)
		rc = tcb_entry(sk_ASN1_TYPE_value(sk, i), out, seen);
	sk_ASN1_TYPE_pop_free(sk, ASN1_TYPE_free);
	return rc;
}

static int top_entry(const ASN1_TYPE *t, struct tee_sgx_ext *out, struct sgx_seen *seen)
{
	STACK_OF(ASN1_TYPE) *pair = NULL;
	char oid[SGX_OID_TEXT];
	const char *sfx;
	ASN1_TYPE *v;
	int64_t x;
	int rc;

	if ((rc = entry_split(t, SGX_EXT_OID, &pair, &sfx, oid, sizeof(oid), &v)) != 0)
		goto out;
	rc = CU_EFORMAT;
	if (!strcmp(sfx, "1")) {
		if (mark(&seen->ppid) || get_octets(v, out->ppid, sizeof(out->ppid)))
			goto out;
	} else if (!strcmp(sfx, "2")) {
		if ((rc = tcb_seq(v, out, seen)) != 0)
			goto out;
	} else if (!strcmp(sfx, "3")) {
		if (mark(&seen->pce_id) || get_octets(v, out->pce_id, sizeof(out->pce_id)))
			goto out;
	} else if (!strcmp(sfx, "4")) {
		if (mark(&seen->fmspc) || get_octets(v, out->fmspc, sizeof(out->fmspc)))
			goto out;
	} else if (!strcmp(sfx, "5")) {
		if (mark(&seen->type) || get_uint(v, V_ASN1_ENUMERATED, 2, &x))
			goto out;
		out->sgx_type = (int)x;
	}
	/* Other entries (platform instance id, configuration) are not needed here. */
	rc = 0;
out:
	sk_ASN1_TYPE_pop_free(pair, ASN1_TYPE_free);
	return rc;
}

static int find_sgx_ext(X509 *cert, ASN1_OCTET_STRING **data)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(SGX_EXT_OID, 1);
	int idx, rc = CU_ENOTFOUND;

	*data = NULL;
	if (!obj)
		return CU_ENOMEM;
	idx = X509_get_ext_by_OBJ(cert, obj, -1);
	if (idx >= 0) {
		rc = CU_EFORMAT;
		if (X509_get_ext_by_OBJ(cert, obj, idx) < 0) {
			*data = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
			rc = *data ? 0 : CU_EFORMAT;
		}
	}
	ASN1_OBJECT_free(obj);
	return rc;
}

int tee_x509_sgx_ext(X509 *cert, struct tee_sgx_ext *out)
{
	STACK_OF(ASN1_TYPE) *sk = NULL;
	struct sgx_seen seen = {0};
	ASN1_OCTET_STRING *data;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = find_sgx_ext(cert, &data)) != 0)
		return rc;
	rc = CU_EFORMAT;
	if (!(sk = seq_parse(ASN1_STRING_get0_data(data), ASN1_STRING_length(data))))
		goto out;
	for (int i = 0; i < sk_ASN1_TYPE_num(sk); i++)
		if ((rc = top_entry(sk_ASN1_TYPE_value(sk, i), out, &seen)) != 0)
			goto out;
	rc = CU_EFORMAT;
	if (seen.tcb != 0xffffu || !seen.pcesvn || !seen.cpusvn || !seen.pce_id || !seen.fmspc)
		goto out;
	rc = 0;
out:
	ERR_clear_error();
	sk_ASN1_TYPE_pop_free(sk, ASN1_TYPE_free);
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

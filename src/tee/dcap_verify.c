/*
 * dcap_verify.c - the signatures of a DCAP quote, its PCK chain, and the
 * claims it makes.
 *
 * The chain of trust, from the pinned root down:
 *   Intel SGX Root CA -> PCK Platform/Processor CA -> PCK certificate
 *   PCK key  signs the QE report (384 bytes)
 *   QE report binds the attestation key: report_data = SHA-256(key || QE auth data) || 0^32
 *   attestation key signs the header and body
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/time.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "tee/dcap_int.h"

#define PCK_PATH_LEN   3 /* PCK, Platform/Processor CA, root */
#define SGX_ATTR_DEBUG 0x02
#define TD_ATTR_DEBUG  0x01

/* SHA-256 of the DER of the Intel SGX Root CA. */
const uint8_t dcap_intel_root_sha256[32] = {
    0x44, 0xa0, 0x19, 0x6b, 0x2b, 0x99, 0xf8, 0x89, 0xb8, 0xe1, 0x49, 0xe9, 0x5b, 0x80, 0x7a, 0x35,
    0x0e, 0x74, 0x24, 0x96, 0x43, 0x99, 0xe8, 0x85, 0xa7, 0xcb, 0xb8, 0xcc, 0xfa, 0xb6, 0x74, 0xd3,
};

/* Intel's QE vendor ID, 939a7233-f79c-4ca9-940a-0db3957f0607. */
static const uint8_t intel_qe_vendor[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                            0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

int dcap_fail(struct dcap_result *res, int err, const char *fmt, ...)
{
	va_list ap;

	if (!res)
		return err;
	res->err = err;
	if (res->reason[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
		va_end(ap);
	}
	return err;
}

/*
 * 1 when the verified path is exactly the chain of the quote, in order: then
 * no other path could have been built from it, at any time, and the result
 * may be cached.
 */
static int path_is_chain(STACK_OF(X509) * chain, STACK_OF(X509) * path)
{
	if (sk_X509_num(chain) != sk_X509_num(path))
		return 0;
	for (int i = 0; i < sk_X509_num(chain); i++)
		if (X509_cmp(sk_X509_value(chain, i), sk_X509_value(path, i)) != 0)
			return 0;
	return 1;
}

/* The PCK chain to the pinned root at now; with collateral, not revoked. */
static int check_pck_chain(const struct dcap_quote *q, const struct dcap_collateral *col,
                           const uint8_t *pin, int64_t now, STACK_OF(X509) * *path, int *cacheable,
                           struct dcap_result *res)
{
	STACK_OF(X509) *chain = NULL;
	char why[DCAP_REASON_LEN] = "";
	X509 *pck, *ca;
	int rc;

	*path = NULL;
	*cacheable = 0;
	rc = tee_x509_chain_from_pem(q->pck_pem, q->pck_pem_len, DCAP_CHAIN_MAX, &chain);
	if (rc != 0)
		return dcap_fail(res, rc, "PCK certificate chain in the quote is malformed");
	rc = tee_x509_verify_chain(chain, pin, NULL, 0, now, path, why, sizeof(why));
	if (rc != 0) {
		rc = dcap_fail(res, rc, "PCK chain: %s", why);
		goto out;
	}
	if (sk_X509_num(*path) != PCK_PATH_LEN) {
		rc = dcap_fail(res, CU_EUNTRUSTED, "PCK chain has %d certificates, not %d",
		               sk_X509_num(*path), PCK_PATH_LEN);
		goto out;
	}
	*cacheable = path_is_chain(chain, *path);
	if (!col)
		goto out;
	pck = sk_X509_value(*path, 0);
	ca = sk_X509_value(*path, 1);
	/* The PCK CRL was verified against the collateral's issuer; a different CA must sign it
	 * too. */
	if (X509_cmp(ca, sk_X509_value(col->pck_crl_chain, 0)) != 0 &&
	    (rc = tee_x509_check_crl(col->pck_crl, ca, now, why, sizeof(why))) != 0) {
		rc = dcap_fail(res, rc, "PCK CRL: %s", why);
		goto out;
	}
	if ((rc = tee_x509_check_revoked(col->pck_crl, pck, why, sizeof(why))) ||
	    (rc = tee_x509_check_revoked(col->root_crl, ca, why, sizeof(why))))
		rc = dcap_fail(res, rc, "PCK chain: %s", why);
out:
	if (rc != 0) {
		tee_x509_chain_free(*path);
		*path = NULL;
		*cacheable = 0;
	}
	tee_x509_chain_free(chain);
	return rc;
}

/* The QE report: signed by the PCK, and binding the attestation key. */
static int check_qe_report(const struct dcap_quote *q, EVP_PKEY *pck, struct dcap_result *res)
{
	uint8_t h[CR_SHA256_LEN];
	struct cr_hash *ctx = NULL;
	int rc;

	if (cr_verify(pck, q->qe_report_raw, DCAP_REPORT_LEN, q->qe_report_sig,
	              DCAP_ECDSA_SIG_LEN) != 0)
		return dcap_fail(res, CU_EAUTH, "QE report signature by the PCK does not verify");
	if ((rc = cr_hash_new(CR_SHA256, &ctx)) || (rc = cr_hash_update(ctx, q->att_key, 64)) ||
	    (rc = cr_hash_update(ctx, q->qe_auth, q->qe_auth_len)) || (rc = cr_hash_final(ctx, h)))
		goto out;
	if (!cu_ct_eq(h, q->qe_report.report_data, 32) ||
	    !cu_ct_is_zero(q->qe_report.report_data + 32, 32))
		rc = dcap_fail(res, CU_EAUTH,
		               "QE report does not bind the attestation key and QE auth data");
out:
	cr_hash_free(ctx);
	return rc;
}

/*
 * The attestation key's signature over header and body. e (a cache entry of
 * the quote's PCK chain, or NULL) remembers the key of its platform's last
 * verified quote: a key made from the same 64 bytes is the same key.
 */
static int check_quote_sig(const struct dcap_quote *q, struct dcap_pck_entry *e,
                           struct dcap_result *res)
{
	EVP_PKEY *key = NULL;
	int rc;

	if (e && e->att_key && !memcmp(e->att_xy, q->att_key, DCAP_ECDSA_KEY_LEN) &&
	    EVP_PKEY_up_ref(e->att_key))
		key = e->att_key;
	else if (cr_pkey_from_ec_xy(CR_KEY_P256, q->att_key, DCAP_ECDSA_KEY_LEN, &key) != 0)
		return dcap_fail(res, CU_EAUTH, "attestation key is not a P-256 point");
	rc = cr_verify(key, q->signed_bytes, q->signed_len, q->sig, DCAP_ECDSA_SIG_LEN);
	if (rc != 0) {
		rc = dcap_fail(res, CU_EAUTH,
		               "quote signature by the attestation key does not verify");
	} else if (e && key != e->att_key && EVP_PKEY_up_ref(key)) {
		EVP_PKEY_free(e->att_key);
		e->att_key = key;
		memcpy(e->att_xy, q->att_key, DCAP_ECDSA_KEY_LEN);
	}
	EVP_PKEY_free(key);
	return rc;
}

static void fill_claims(const struct dcap_quote *q, const struct tee_sgx_ext *ext,
                        struct tee_claims *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->fmspc, ext->fmspc, sizeof(c->fmspc));
	c->has_fmspc = 1;
	c->tcb_status = TEE_TCB_UNKNOWN;
	if (q->body_type == DCAP_BODY_SGX) {
		c->type = TEE_SGX;
		c->debug = (q->sgx.attributes[0] & SGX_ATTR_DEBUG) != 0;
		memcpy(c->measurement, q->sgx.mrenclave, 32);
		c->measurement_len = 32;
		memcpy(c->signer, q->sgx.mrsigner, 32);
		c->signer_len = 32;
		c->product_id = q->sgx.isv_prod_id;
		c->security_version = q->sgx.isv_svn;
		memcpy(c->report_data, q->sgx.report_data, TEE_REPORT_DATA_LEN);
		return;
	}
	c->type = TEE_TDX;
	c->debug = (q->td.td_attributes[0] & TD_ATTR_DEBUG) != 0;
	memcpy(c->measurement, q->td.mrtd, 48);
	c->measurement_len = 48;
	memcpy(c->signer, q->td.mrsignerseam, 48);
	c->signer_len = 48;
	c->security_version = q->td.tee_tcb_svn[0];
	memcpy(c->report_data, q->td.report_data, TEE_REPORT_DATA_LEN);
	memcpy(c->rtmr, q->td.rtmr, sizeof(c->rtmr));
}

static int collateral_ok(const struct dcap_collateral *col, const uint8_t *pin, int64_t now,
                         struct dcap_result *res)
{
	int64_t from, until;

	if (col->verified && now >= col->valid_from && now <= col->valid_until &&
	    !memcmp(col->verified_pin, pin, TEE_X509_PIN_LEN))
		return 0;
	return dcap_collateral_check(col, pin, now, res, &from, &until);
}

/*
 * The PCK's key and extension: from v's cache when it holds this chain for
 * now and col, else from the full check (then offered to the cache).
 */
static int get_pck(struct dcap_verifier *v, const struct dcap_quote *q,
                   const struct dcap_collateral *col, const uint8_t *pin, int64_t now,
                   STACK_OF(X509) * *path, struct dcap_pck *pck, struct dcap_pck_entry **entry,
                   struct dcap_result *res)
{
	struct dcap_pck_entry *e;
	uint8_t key[CR_SHA256_LEN];
	int rc, cacheable, use_cache = v && v->capacity;

	if (use_cache && cr_sha256(q->pck_pem, q->pck_pem_len, key) != 0)
		use_cache = 0;
	*entry = NULL;
	if (use_cache && (e = dcap_cache_lookup(v, key, col, now))) {
		pck->key = e->pck_key;
		pck->ext = e->ext;
		*entry = e;
		return 0;
	}
	if ((rc = check_pck_chain(q, col, pin, now, path, &cacheable, res)) != 0)
		return rc;
	if ((rc = tee_x509_sgx_ext(sk_X509_value(*path, 0), &pck->ext)) != 0)
		return dcap_fail(res, rc, "PCK certificate lacks a valid SGX extension");
	pck->key = X509_get0_pubkey(sk_X509_value(*path, 0));
	if (use_cache && cacheable)
		*entry = dcap_cache_store(v, key, *path, &pck->ext, col);
	return 0;
}

static int verify(struct dcap_verifier *v, const struct dcap_quote *q,
                  const struct dcap_collateral *col, int64_t now, struct tee_claims *claims,
                  struct dcap_result *res)
{
	const uint8_t *pin = v ? v->root_pin : dcap_intel_root_sha256;
	STACK_OF(X509) *path = NULL;
	struct dcap_pck_entry *entry = NULL;
	struct dcap_pck pck;
	int rc;

	if (!cu_ct_eq(q->hdr.qe_vendor_id, intel_qe_vendor, sizeof(intel_qe_vendor)))
		return dcap_fail(res, CU_EUNSUPPORTED, "quote is not from Intel's quoting enclave");
	if (col && (rc = collateral_ok(col, pin, now, res)) != 0)
		return rc;
	if ((rc = get_pck(v, q, col, pin, now, &path, &pck, &entry, res)) != 0)
		goto out;
	memcpy(res->fmspc, pck.ext.fmspc, 6);
	memcpy(res->pce_id, pck.ext.pce_id, 2);
	memcpy(res->tcb_svn, pck.ext.tcb_svn, 16);
	memcpy(res->cpusvn, pck.ext.cpusvn, 16);
	res->pcesvn = pck.ext.pcesvn;
	if ((rc = check_qe_report(q, pck.key, res)) || (rc = check_quote_sig(q, entry, res)))
		goto out;
	fill_claims(q, &pck.ext, claims);
	if (col)
		rc = dcap_tcb_evaluate(q, &pck.ext, col, claims, res);
	else
		snprintf(res->reason, sizeof(res->reason),
		         "authentic up to the Intel root; TCB status unknown (no collateral)");
out:
	tee_x509_chain_free(path);
	return rc;
}

int dcap_verifier_verify_quote(struct dcap_verifier *v, const struct dcap_quote *q,
                               const struct dcap_collateral *col, int64_t now,
                               struct tee_claims *claims, struct dcap_result *res)
{
	struct dcap_result local;
	int rc;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	res->tcb_level = -1;
	memset(claims, 0, sizeof(*claims));
	if (!q)
		return dcap_fail(res, CU_EINVAL, "no quote");
	if (now == DCAP_NOW_SYSTEM)
		now = cu_time_now();
	rc = verify(v, q, col, now, claims, res);
	res->err = rc;
	if (rc != 0)
		memset(claims, 0, sizeof(*claims));
	return rc;
}

int dcap_verify_quote(const struct dcap_quote *q, const struct dcap_collateral *col, int64_t now,
                      struct tee_claims *claims, struct dcap_result *res)
{
	return dcap_verifier_verify_quote(NULL, q, col, now, claims, res);
}

int dcap_verifier_verify(struct dcap_verifier *v, const uint8_t *quote, size_t len,
                         const struct dcap_collateral *col, int64_t now, struct tee_claims *claims,
                         struct dcap_result *res)
{
	struct dcap_quote *q = NULL;
	int rc;

	memset(claims, 0, sizeof(*claims));
	if ((rc = dcap_quote_parse(quote, len, &q)) != 0) {
		if (res) {
			memset(res, 0, sizeof(*res));
			res->tcb_level = -1;
		}
		return dcap_fail(res, rc, "quote is malformed: %s", cu_strerror(rc));
	}
	rc = dcap_verifier_verify_quote(v, q, col, now, claims, res);
	dcap_quote_free(q);
	return rc;
}

int dcap_verify(const uint8_t *quote, size_t len, const struct dcap_collateral *col, int64_t now,
                struct tee_claims *claims, struct dcap_result *res)
{
	return dcap_verifier_verify(NULL, quote, len, col, now, claims, res);
}

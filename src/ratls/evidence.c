/*
 * evidence.c - verify one piece of evidence found in an RA-TLS certificate,
 * and the window of time over which that verdict holds.
 *
 * The window matters to the verifier's cache: a verdict may be reused only
 * while every certificate the evidence chains through (the PCK chain of a
 * quote, the VCEK and AMD chain of a report, the simulated attestation key
 * and root) is still valid, so that the cache never accepts what a full
 * verification would refuse.
 */
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/time.h"
#include "crypto/hash.h"
#include "ratls/internal.h"
#include "tee/dcap.h"
#include "tee/sim.h"
#include "tee/snp.h"

enum ratls_kind ratls_kind_of_tag(uint64_t tag)
{
	switch (tag) {
	case RATLS_TAG_INTEL_QUOTE:
	case RATLS_TAG_RATS_INTEL_QUOTE:
		return RATLS_KIND_INTEL;
	case RATLS_TAG_SEV_SNP:
		return RATLS_KIND_SNP;
	case RATLS_TAG_CUSTOS_SIM:
		return RATLS_KIND_SIM;
	default:
		return 0;
	}
}

int64_t ratls_asn1_time(const ASN1_TIME *t, int *ok)
{
	struct tm tm;

	*ok = t && ASN1_TIME_to_tm(t, &tm) == 1;
	if (!*ok)
		return 0;
	return cu_time_from_civil((int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
	                          (unsigned)tm.tm_mday, (unsigned)tm.tm_hour, (unsigned)tm.tm_min,
	                          (unsigned)tm.tm_sec);
}

int ratls_window_x509(const X509 *x, int64_t *from, int64_t *until)
{
	int ok1, ok2;
	int64_t nb = ratls_asn1_time(X509_get0_notBefore(x), &ok1);
	int64_t na = ratls_asn1_time(X509_get0_notAfter(x), &ok2);

	if (!ok1 || !ok2)
		return CU_EFORMAT;
	if (nb > *from)
		*from = nb;
	if (na < *until)
		*until = na;
	return 0;
}

int ratls_spki_der(const EVP_PKEY *key, uint8_t **der)
{
	*der = NULL;
	return i2d_PUBKEY(key, der);
}

static int window_der(const uint8_t *der, size_t len, int64_t *from, int64_t *until)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	int rc = x ? ratls_window_x509(x, from, until) : CU_EFORMAT;

	X509_free(x);
	return rc;
}

/* Every certificate of a PEM (or one DER) buffer; at least one. */
static int window_certs(const uint8_t *buf, size_t len, int64_t *from, int64_t *until)
{
	BIO *b;
	X509 *x;
	int n = 0, rc = 0;

	if (len && buf[0] == 0x30)
		return window_der(buf, len, from, until);
	if (!(b = BIO_new_mem_buf(buf, (int)len)))
		return CU_ENOMEM;
	while (!rc && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		rc = ratls_window_x509(x, from, until);
		X509_free(x);
		n++;
	}
	BIO_free(b);
	ERR_clear_error();
	return rc ? rc : n ? 0 : CU_EFORMAT;
}

/* A failed verification: EUNTRUSTED stays, anything else is EAUTH. */
static int refused(int rc, char *reason, size_t sz, const char *what, const char *why)
{
	return cu_reason(reason, sz, rc == CU_EUNTRUSTED ? CU_EUNTRUSTED : CU_EAUTH,
	                 "the %s does not verify: %s (%s)", what, why, cu_strerror(rc));
}

static int verify_intel(const struct ratls_item *it, int64_t now, struct tee_claims *c,
                        int64_t *from, int64_t *until, char *reason, size_t sz)
{
	struct dcap_result res = {0};
	struct dcap_quote *q = NULL;
	int rc;

	if ((rc = dcap_verify(it->ev, it->evlen, NULL, now, c, &res)))
		return refused(rc, reason, sz, "quote", res.reason);
	if ((rc = dcap_quote_parse(it->ev, it->evlen, &q)) ||
	    (rc = window_certs((const uint8_t *)q->pck_pem, q->pck_pem_len, from, until)))
		rc =
		    cu_reason(reason, sz, CU_EAUTH, "the quote's PCK chain has no validity window");
	dcap_quote_free(q);
	return rc;
}

/* The first PEM certificate of buf: its length, so that the rest is the chain. */
static size_t first_pem_len(const uint8_t *buf, size_t len)
{
	static const char end[] = "-----END CERTIFICATE-----";
	const uint8_t *p = memmem(buf, len, end, sizeof(end) - 1);

	return p ? (size_t)(p - buf) + sizeof(end) - 1 : len;
}

static int verify_snp(const struct ratls_item *it, const struct ratls_trust *t, int64_t now,
                      struct tee_claims *c, int64_t *from, int64_t *until, char *reason, size_t sz)
{
	struct snp_certs certs = {0};
	char why[SNP_REASON_LEN] = "";
	int rc;

	if (!it->endorsement)
		return cu_reason(reason, sz, CU_EUNTRUSTED,
		                 "the SEV-SNP report came without its VCEK or VLEK");
	certs.leaf = it->endorsement;
	certs.leaf_len = it->endlen;
	if (it->endorsement[0] != 0x30)
		certs.leaf_len = first_pem_len(it->endorsement, it->endlen);
	if (certs.leaf_len < it->endlen) {
		certs.chain = it->endorsement + certs.leaf_len;
		certs.chain_len = it->endlen - certs.leaf_len;
	} else if (t && t->snp_chain) {
		certs.chain = t->snp_chain;
		certs.chain_len = t->snp_chain_len;
	} else {
		return cu_reason(reason, sz, CU_EUNTRUSTED,
		                 "no AMD chain (ASK and ARK) for the SEV-SNP report");
	}
	if ((rc = snp_verify(it->ev, it->evlen, &certs, now, c, NULL, why, sizeof(why))))
		return refused(rc, reason, sz, "SEV-SNP report", why);
	if ((rc = window_certs(certs.leaf, certs.leaf_len, from, until)) ||
	    (rc = window_certs(certs.chain, certs.chain_len, from, until)))
		return cu_reason(reason, sz, CU_EAUTH,
		                 "the AMD certificates have no validity window");
	return 0;
}

/* The root a certificate carries is trusted only when pinned, by DER or SPKI. */
static int sim_root_pinned(const struct ratls_item *it, const struct ratls_trust *t)
{
	const unsigned char *p = it->endorsement;
	uint8_t md[32], *spki = NULL;
	X509 *x;
	int n, ok;

	if (cr_sha256(it->endorsement, it->endlen, md))
		return 0;
	if (!memcmp(md, t->sim_root_sha256, 32))
		return 1;
	if (!(x = d2i_X509(NULL, &p, (long)it->endlen)))
		return 0;
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
	ok = n > 0 && !cr_sha256(spki, (size_t)n, md) && !memcmp(md, t->sim_root_sha256, 32);
	OPENSSL_free(spki);
	X509_free(x);
	return ok;
}

static int verify_sim(const struct ratls_item *it, const struct ratls_trust *t, int64_t now,
                      struct tee_claims *c, int64_t *from, int64_t *until, char *reason, size_t sz)
{
	struct sim_evidence *ev;
	char why[256] = "";
	int rc;

	if (!t || !t->has_sim_root)
		return cu_reason(reason, sz, CU_EUNTRUSTED,
		                 "simulated evidence, and no simulation root is pinned");
	if (!it->endorsement || it->endlen > SIM_ROOT_MAX || !sim_root_pinned(it, t))
		return cu_reason(
		    reason, sz, CU_EUNTRUSTED,
		    "the simulated evidence comes with a root that is not the pinned one");
	if ((rc = sim_verify(it->ev, it->evlen, it->endorsement, it->endlen, now, c, why,
	                     sizeof(why))))
		return refused(rc, reason, sz, "simulated evidence", why);
	if (!(ev = malloc(sizeof(*ev))))
		return CU_ENOMEM;
	if ((rc = sim_evidence_parse(it->ev, it->evlen, ev)) ||
	    (rc = window_der(ev->cert, ev->cert_len, from, until)) ||
	    (rc = window_der(it->endorsement, it->endlen, from, until)))
		rc = cu_reason(reason, sz, CU_EAUTH, "the simulated chain has no validity window");
	free(ev);
	return rc;
}

int ratls_item_verify(const struct ratls_item *it, const struct ratls_trust *trust, int64_t now,
                      struct tee_claims *claims, int64_t *from, int64_t *until, char *reason,
                      size_t reasonsz)
{
	int rc;

	switch (it->kind) {
	case RATLS_KIND_INTEL:
		rc = verify_intel(it, now, claims, from, until, reason, reasonsz);
		break;
	case RATLS_KIND_SNP:
		rc = verify_snp(it, trust, now, claims, from, until, reason, reasonsz);
		break;
	case RATLS_KIND_SIM:
		rc = verify_sim(it, trust, now, claims, from, until, reason, reasonsz);
		break;
	default:
		rc = cu_reason(reason, reasonsz, CU_EUNSUPPORTED, "unknown kind of evidence");
	}
	if (rc)
		memset(claims, 0, sizeof(*claims));
	ERR_clear_error();
	return rc;
}

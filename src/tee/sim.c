/*
 * sim.c - simulated evidence: parse, verify, show. The issuer side is in
 * sim_issue.c.
 */
#include "tee/sim.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/reader.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "tee/x509.h"

static int parse_header(struct cu_reader *r, struct sim_evidence *e)
{
	uint8_t magic[SIM_MAGIC_LEN];
	uint16_t reserved;
	int rc;

	if ((rc = cu_read_bytes(r, magic, sizeof(magic))) || (rc = cu_read_u16le(r, &e->version)) ||
	    (rc = cu_read_u16le(r, &reserved)) || (rc = cu_read_u32le(r, &e->flags)))
		return rc;
	if (memcmp(magic, SIM_MAGIC, SIM_MAGIC_LEN) != 0 || reserved != 0)
		return CU_EFORMAT;
	if (e->version != SIM_VERSION)
		return CU_EUNSUPPORTED;
	/* Evidence without the insecure flag is not simulated evidence. */
	if (!(e->flags & SIM_FLAG_INSECURE_SIMULATION) || (e->flags & ~SIM_FLAGS_KNOWN))
		return CU_EFORMAT;
	return 0;
}

int sim_evidence_parse(const uint8_t *ev, size_t len, struct sim_evidence *out)
{
	struct cu_reader r;
	uint16_t certlen;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > SIM_EVIDENCE_MAX)
		return CU_ELIMIT;
	cu_reader_init(&r, ev, len);
	if ((rc = parse_header(&r, out)) ||
	    (rc = cu_read_bytes(&r, out->measurement, SIM_MEASUREMENT_LEN)) ||
	    (rc = cu_read_bytes(&r, out->platform_id, SIM_PLATFORM_ID_LEN)) ||
	    (rc = cu_read_bytes(&r, out->report_data, SIM_REPORT_DATA_LEN)) ||
	    (rc = cu_read_bytes(&r, out->attest_pub, SIM_PUBKEY_LEN)) ||
	    (rc = cu_read_u16le(&r, &certlen)))
		goto out;
	rc = CU_EFORMAT;
	if (certlen == 0 || certlen > SIM_CERT_MAX)
		goto out;
	if ((rc = cu_read_bytes(&r, out->cert, certlen)))
		goto out;
	out->cert_len = certlen;
	out->signed_len = r.off;
	if ((rc = cu_read_bytes(&r, out->sig, SIM_SIG_LEN)))
		goto out;
	rc = cu_reader_left(&r) ? CU_EFORMAT : 0;
out:
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* The caller's root: PEM when it looks like PEM, DER otherwise; exactly one certificate. */
static int load_root(const uint8_t *root, size_t len, X509 **out)
{
	static const char pem_tag[] = "-----BEGIN CERTIFICATE-----";
	const unsigned char *p = root;
	X509 *extra;
	BIO *bio;

	*out = NULL;
	if (!root || !len)
		return CU_EINVAL;
	if (len > SIM_ROOT_MAX)
		return CU_ELIMIT;
	if (len >= sizeof(pem_tag) - 1 && memmem(root, len, pem_tag, sizeof(pem_tag) - 1)) {
		if (!(bio = BIO_new_mem_buf(root, (int)len)))
			return CU_ENOMEM;
		*out = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		/* One root, not a bundle: which of several would be meant? */
		if (*out && (extra = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
			X509_free(extra);
			X509_free(*out);
			*out = NULL;
		}
		BIO_free(bio);
		return *out ? 0 : CU_EINVAL;
	}
	*out = d2i_X509(NULL, &p, (long)len);
	if (*out && p != root + len) {
		X509_free(*out);
		*out = NULL;
	}
	return *out ? 0 : CU_EINVAL;
}

static int load_cert(const struct sim_evidence *e, X509 **out)
{
	const unsigned char *p = e->cert;

	*out = d2i_X509(NULL, &p, (long)e->cert_len);
	if (*out && p == e->cert + e->cert_len)
		return 0;
	X509_free(*out);
	*out = NULL;
	return CU_EFORMAT;
}

/* The chain [leaf, root] must lead to root, pinned by the SHA-256 of its DER. */
static int check_chain(X509 *leaf, X509 *root, int64_t now, char *reason, size_t reasonsz)
{
	uint8_t pin[TEE_X509_PIN_LEN];
	unsigned char *der = NULL;
	STACK_OF(X509) *chain = NULL;
	int n, rc = CU_ENOMEM;

	if ((n = i2d_X509(root, &der)) <= 0)
		return CU_EINVAL;
	rc = cr_sha256(der, (size_t)n, pin);
	OPENSSL_free(der);
	if (rc)
		return rc;
	if (!(chain = sk_X509_new_null()) || !sk_X509_push(chain, leaf)) {
		rc = CU_ENOMEM;
		goto out;
	}
	if (!sk_X509_push(chain, root)) {
		rc = CU_ENOMEM;
		goto out;
	}
	rc = tee_x509_verify_chain(chain, pin, NULL, 0, now, NULL, reason, reasonsz);
out:
	sk_X509_free(chain); /* the certificates are the caller's */
	return rc;
}

/* The leaf must be an end-entity certificate for exactly the key of the evidence. */
static int check_leaf_key(X509 *leaf, const struct sim_evidence *e, char *reason, size_t reasonsz)
{
	EVP_PKEY *k = NULL;
	int rc;

	if (X509_get_extension_flags(leaf) & EXFLAG_CA) {
		(void)cu_reason(reason, reasonsz, 0,
		                "the attestation certificate is a CA certificate");
		return CU_EUNTRUSTED;
	}
	if ((rc = cr_pkey_from_ec_xy(CR_KEY_P256, e->attest_pub, SIM_PUBKEY_LEN, &k))) {
		(void)cu_reason(reason, reasonsz, 0,
		                "the attestation public key is not a P-256 point");
		return CU_EFORMAT;
	}
	rc = 0;
	if (EVP_PKEY_eq(k, X509_get0_pubkey(leaf)) != 1) {
		(void)cu_reason(reason, reasonsz, 0,
		                "the attestation certificate is for another key");
		rc = CU_EUNTRUSTED;
	}
	EVP_PKEY_free(k);
	return rc;
}

static int check_signature(const uint8_t *ev, const struct sim_evidence *e, X509 *leaf,
                           char *reason, size_t reasonsz)
{
	EVP_PKEY *k = X509_get0_pubkey(leaf);

	if (!k || cr_pkey_type(k) != CR_KEY_P256) {
		(void)cu_reason(reason, reasonsz, 0, "the attestation key is not ECDSA P-256");
		return CU_EUNTRUSTED;
	}
	if (cr_verify(k, ev, e->signed_len, e->sig, SIM_SIG_LEN) != 0) {
		(void)cu_reason(reason, reasonsz, 0, "the evidence signature does not verify");
		return CU_EAUTH;
	}
	return 0;
}

static void fill_claims(const struct sim_evidence *e, struct tee_claims *c)
{
	memset(c, 0, sizeof(*c));
	c->type = TEE_SIM;
	c->simulated = 1;
	c->debug = 0;
	memcpy(c->measurement, e->measurement, SIM_MEASUREMENT_LEN);
	c->measurement_len = SIM_MEASUREMENT_LEN;
	memcpy(c->report_data, e->report_data, SIM_REPORT_DATA_LEN);
	c->tcb_status = TEE_TCB_NOT_APPLICABLE;
}

int sim_verify(const uint8_t *ev, size_t len, const uint8_t *root, size_t rootlen, int64_t now,
               struct tee_claims *claims, char *reason, size_t reasonsz)
{
	struct sim_evidence *e = NULL;
	X509 *rootcert = NULL, *leaf = NULL;
	int rc;

	memset(claims, 0, sizeof(*claims));
	(void)cu_reason(reason, reasonsz, 0, "ok");
	if ((rc = load_root(root, rootlen, &rootcert))) {
		(void)cu_reason(reason, reasonsz, 0,
		                "the simulated root certificate does not parse");
		goto out;
	}
	if (!(e = malloc(sizeof(*e)))) {
		rc = CU_ENOMEM;
		goto out;
	}
	if ((rc = sim_evidence_parse(ev, len, e))) {
		(void)cu_reason(reason, reasonsz, 0, "malformed simulated evidence: %s",
		                cu_strerror(rc));
		goto out;
	}
	if ((rc = load_cert(e, &leaf))) {
		(void)cu_reason(reason, reasonsz, 0, "the attestation certificate does not parse");
		goto out;
	}
	if ((rc = check_leaf_key(leaf, e, reason, reasonsz)) ||
	    (rc = check_chain(leaf, rootcert, now, reason, reasonsz)) ||
	    (rc = check_signature(ev, e, leaf, reason, reasonsz)))
		goto out;
	fill_claims(e, claims);
out:
	ERR_clear_error();
	X509_free(leaf);
	X509_free(rootcert);
	free(e);
	return rc;
}

static int show_hex(sim_field_fn fn, void *arg, const char *name, const uint8_t *p, size_t n)
{
	char hex[2 * SIM_CERT_MAX + 1];
	int rc;

	if ((rc = cu_hex_encode(p, n, hex, sizeof(hex))))
		return rc;
	return fn(arg, name, hex);
}

static int show_fmt(sim_field_fn fn, void *arg, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int show_fmt(sim_field_fn fn, void *arg, const char *name, const char *fmt, ...)
{
	char v[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	return fn(arg, name, v);
}

int sim_evidence_show(const struct sim_evidence *e, sim_field_fn fn, void *arg)
{
	int rc;

	if ((rc = fn(arg, "magic", SIM_MAGIC)) ||
	    (rc = show_fmt(fn, arg, "version", "%u", (unsigned)e->version)) ||
	    (rc = show_fmt(fn, arg, "flags", "0x%08x%s", (unsigned)e->flags,
	                   (e->flags & SIM_FLAG_INSECURE_SIMULATION) ? " (INSECURE_SIMULATION)"
	                                                             : "")) ||
	    (rc = show_hex(fn, arg, "measurement", e->measurement, SIM_MEASUREMENT_LEN)) ||
	    (rc = show_hex(fn, arg, "platform_id", e->platform_id, SIM_PLATFORM_ID_LEN)) ||
	    (rc = show_hex(fn, arg, "report_data", e->report_data, SIM_REPORT_DATA_LEN)) ||
	    (rc = show_hex(fn, arg, "attestation_key", e->attest_pub, SIM_PUBKEY_LEN)) ||
	    (rc = show_fmt(fn, arg, "certificate_length", "%zu", e->cert_len)) ||
	    (rc = show_hex(fn, arg, "certificate", e->cert, e->cert_len)))
		return rc;
	return show_hex(fn, arg, "signature", e->sig, SIM_SIG_LEN);
}

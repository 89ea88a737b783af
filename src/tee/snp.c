/*
 * snp.c - AMD SEV-SNP attestation report parsing and verification.
 *
 * Layout: AMD SEV Secure Nested Paging Firmware ABI Specification, table
 * ATTESTATION_REPORT; the VCEK extensions: AMD's "Versioned Chip
 * Endorsement Key (VCEK) Certificate and KDS Interface Specification".
 */
#include "tee/snp.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/reader.h"
#include "common/time.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"

#define SNP_SIG_ALGO_ECDSA_P384 1
#define SNP_SIG_COMPONENT_LEN   72 /* r and s, little-endian, zero-extended */
#define SNP_P384_LEN            48
#define SNP_SIG_AREA_LEN        (SNP_REPORT_LEN - SNP_SIGNED_LEN)
#define SNP_HWID_LEN            64
#define SNP_HWID_TURIN_LEN      8

/* The AMD Root Keys, pinned by SHA-256 of their DER. */
struct ark_pin {
	enum snp_product product;
	uint8_t sha256[CR_SHA256_LEN];
};

static const struct ark_pin ark_pins[] = {
    {SNP_PRODUCT_MILAN, {0x69, 0xd0, 0x63, 0xb4, 0x53, 0x44, 0xd2, 0x6a, 0x2e, 0x94, 0xe1,
                         0xf4, 0x21, 0x0d, 0xe4, 0x9e, 0xf5, 0x55, 0x30, 0x82, 0x87, 0xd4,
                         0xc1, 0x74, 0x44, 0x5c, 0x95, 0x63, 0x9a, 0x54, 0x0b, 0xcd}},
    {SNP_PRODUCT_GENOA, {0x4c, 0x65, 0x98, 0xd1, 0x9c, 0x18, 0x71, 0x9c, 0x5d, 0xfd, 0x4a,
                         0x7d, 0x33, 0x5f, 0x67, 0x4e, 0x5b, 0xfd, 0x1f, 0x8f, 0x80, 0x0c,
                         0xea, 0x2c, 0xf2, 0x70, 0xc1, 0x0d, 0x10, 0x3d, 0xb2, 0xf1}},
    {SNP_PRODUCT_TURIN, {0x1f, 0x08, 0x41, 0x61, 0xa4, 0x4b, 0xb6, 0xd9, 0x37, 0x78, 0xa9,
                         0x04, 0x87, 0x7d, 0x48, 0x19, 0xca, 0xfa, 0x5d, 0x05, 0xef, 0x41,
                         0x93, 0xb2, 0xde, 0xd9, 0xdd, 0x9c, 0x73, 0xdd, 0x3f, 0x6a}},
};

/* VCEK/VLEK extension OIDs (AMD's arc 1.3.6.1.4.1.3704.1). */
#define OID_BL_SPL    "1.3.6.1.4.1.3704.1.3.1"
#define OID_TEE_SPL   "1.3.6.1.4.1.3704.1.3.2"
#define OID_SNP_SPL   "1.3.6.1.4.1.3704.1.3.3"
#define OID_UCODE_SPL "1.3.6.1.4.1.3704.1.3.8"
#define OID_FMC_SPL   "1.3.6.1.4.1.3704.1.3.9"
#define OID_HWID      "1.3.6.1.4.1.3704.1.4"

const char *snp_product_name(enum snp_product p)
{
	switch (p) {
	case SNP_PRODUCT_MILAN:
		return "Milan";
	case SNP_PRODUCT_GENOA:
		return "Genoa";
	case SNP_PRODUCT_TURIN:
		return "Turin";
	case SNP_PRODUCT_UNKNOWN:
		break;
	}
	return "unknown";
}

void snp_tcb_decode(uint64_t raw, enum snp_product p, struct snp_tcb *out)
{
	memset(out, 0, sizeof(*out));
	out->microcode = (uint8_t)(raw >> 56);
	if (p == SNP_PRODUCT_TURIN) {
		out->fmc = (uint8_t)raw;
		out->bootloader = (uint8_t)(raw >> 8);
		out->tee = (uint8_t)(raw >> 16);
		out->snp = (uint8_t)(raw >> 24);
	} else {
		out->bootloader = (uint8_t)raw;
		out->tee = (uint8_t)(raw >> 8);
		out->snp = (uint8_t)(raw >> 48);
	}
}

enum snp_product snp_report_product_hint(const struct snp_report *r)
{
	if (r->has_cpuid) {
		if (r->cpuid_fam_id == 0x1a)
			return SNP_PRODUCT_TURIN;
		if (r->cpuid_fam_id == 0x19)
			return r->cpuid_mod_id < 0x10 ? SNP_PRODUCT_MILAN : SNP_PRODUCT_GENOA;
		return SNP_PRODUCT_UNKNOWN;
	}
	/* Before v3 only the shape of chip_id tells: Turin's is 8 bytes, zero-extended. */
	if (!cu_ct_is_zero(r->chip_id, SNP_HWID_TURIN_LEN) &&
	    cu_ct_is_zero(r->chip_id + SNP_HWID_TURIN_LEN, sizeof(r->chip_id) - SNP_HWID_TURIN_LEN))
		return SNP_PRODUCT_TURIN;
	return SNP_PRODUCT_UNKNOWN;
}

/* A little-endian, zero-extended signature component into 48 big-endian bytes. */
static int read_sig_component(struct cu_reader *r, uint8_t out[static SNP_P384_LEN])
{
	const uint8_t *le;
	int rc = cu_read_ptr(r, &le, SNP_SIG_COMPONENT_LEN);

	if (rc)
		return rc;
	if (!cu_ct_is_zero(le + SNP_P384_LEN, SNP_SIG_COMPONENT_LEN - SNP_P384_LEN))
		return CU_EFORMAT;
	for (size_t i = 0; i < SNP_P384_LEN; i++)
		out[i] = le[SNP_P384_LEN - 1 - i];
	return 0;
}

/* 0x00..0x50: version to key info. */
static int parse_head(struct cu_reader *r, struct snp_report *o)
{
	int rc;

	if ((rc = cu_read_u32le(r, &o->guest_svn)) || (rc = cu_read_u64le(r, &o->policy)) ||
	    (rc = cu_read_bytes(r, o->family_id, sizeof(o->family_id))) ||
	    (rc = cu_read_bytes(r, o->image_id, sizeof(o->image_id))) ||
	    (rc = cu_read_u32le(r, &o->vmpl)) || (rc = cu_read_u32le(r, &o->sig_algo)) ||
	    (rc = cu_read_u64le(r, &o->current_tcb)) ||
	    (rc = cu_read_u64le(r, &o->platform_info)) || (rc = cu_read_u32le(r, &o->key_info)) ||
	    (rc = cu_read_skip(r, 4)))
		return rc;
	return 0;
}

/* 0x50..0x1A0: report data to the CPUID fields. */
static int parse_body(struct cu_reader *r, struct snp_report *o)
{
	int rc;

	if ((rc = cu_read_bytes(r, o->report_data, sizeof(o->report_data))) ||
	    (rc = cu_read_bytes(r, o->measurement, sizeof(o->measurement))) ||
	    (rc = cu_read_bytes(r, o->host_data, sizeof(o->host_data))) ||
	    (rc = cu_read_bytes(r, o->id_key_digest, sizeof(o->id_key_digest))) ||
	    (rc = cu_read_bytes(r, o->author_key_digest, sizeof(o->author_key_digest))) ||
	    (rc = cu_read_bytes(r, o->report_id, sizeof(o->report_id))) ||
	    (rc = cu_read_bytes(r, o->report_id_ma, sizeof(o->report_id_ma))) ||
	    (rc = cu_read_u64le(r, &o->reported_tcb)) || (rc = cu_read_u8(r, &o->cpuid_fam_id)) ||
	    (rc = cu_read_u8(r, &o->cpuid_mod_id)) || (rc = cu_read_u8(r, &o->cpuid_step)) ||
	    (rc = cu_read_skip(r, 0x1a0 - 0x18b)))
		return rc;
	o->has_cpuid = o->version >= 3;
	if (!o->has_cpuid)
		o->cpuid_fam_id = o->cpuid_mod_id = o->cpuid_step = 0;
	return 0;
}

/* 0x1A0..0x2A0: chip id to the end of the signed part. */
static int parse_platform(struct cu_reader *r, struct snp_report *o)
{
	int rc;

	if ((rc = cu_read_bytes(r, o->chip_id, sizeof(o->chip_id))) ||
	    (rc = cu_read_u64le(r, &o->committed_tcb)) || (rc = cu_read_u8(r, &o->current_build)) ||
	    (rc = cu_read_u8(r, &o->current_minor)) || (rc = cu_read_u8(r, &o->current_major)) ||
	    (rc = cu_read_skip(r, 1)) || (rc = cu_read_u8(r, &o->committed_build)) ||
	    (rc = cu_read_u8(r, &o->committed_minor)) ||
	    (rc = cu_read_u8(r, &o->committed_major)) || (rc = cu_read_skip(r, 1)) ||
	    (rc = cu_read_u64le(r, &o->launch_tcb)) ||
	    (rc = cu_read_u64le(r, &o->launch_mit_vector)) ||
	    (rc = cu_read_u64le(r, &o->current_mit_vector)) ||
	    (rc = cu_read_skip(r, SNP_SIGNED_LEN - 0x208)))
		return rc;
	o->has_mit_vector = o->version >= 5;
	if (!o->has_mit_vector)
		o->launch_mit_vector = o->current_mit_vector = 0;
	return 0;
}

/* 0x2A0..0x4A0: the signature, whose unused bytes must be zero (they are not signed). */
static int parse_signature(struct cu_reader *r, struct snp_report *o, char *reason, size_t sz)
{
	const uint8_t *rest;
	size_t restlen = SNP_SIG_AREA_LEN - 2 * SNP_SIG_COMPONENT_LEN;
	int rc;

	if ((rc = read_sig_component(r, o->sig_r)) || (rc = read_sig_component(r, o->sig_s)))
		return cu_reason(reason, sz, rc,
		                 "signature r or s has non-zero bytes above 384 bits");
	if ((rc = cu_read_ptr(r, &rest, restlen)))
		return cu_reason(reason, sz, rc, "report truncated in its signature");
	if (!cu_ct_is_zero(rest, restlen))
		return cu_reason(reason, sz, CU_EFORMAT,
		                 "reserved bytes after the signature are not zero");
	return 0;
}

static int check_header(const struct snp_report *o, char *reason, size_t sz)
{
	unsigned key = SNP_KEYINFO_SIGNING_KEY(o->key_info);

	if (o->sig_algo != SNP_SIG_ALGO_ECDSA_P384)
		return cu_reason(reason, sz, CU_EUNSUPPORTED,
		                 "signature algorithm %u is not ECDSA P-384 with SHA-384 (1)",
		                 o->sig_algo);
	if (o->key_info & SNP_KEYINFO_MASK_CHIP_KEY)
		return cu_reason(reason, sz, CU_EFORMAT,
		                 "report is unsigned (MASK_CHIP_KEY set: the signature is zero)");
	if (key != SNP_KEY_VCEK && key != SNP_KEY_VLEK)
		return cu_reason(
		    reason, sz, CU_EFORMAT,
		    "signing key %u is neither VCEK (0) nor VLEK (1): report is unsigned", key);
	return 0;
}

int snp_report_parse(const uint8_t *buf, size_t len, struct snp_report *out, char *reason,
                     size_t reasonsz)
{
	struct cu_reader r;
	int rc;

	memset(out, 0, sizeof(*out));
	if (reason && reasonsz)
		reason[0] = '\0';
	if (len < SNP_REPORT_LEN) {
		rc = cu_reason(reason, reasonsz, CU_ETRUNC, "report has %zu bytes, needs %d", len,
		               SNP_REPORT_LEN);
		goto out;
	}
	if (len > SNP_REPORT_LEN) {
		rc = cu_reason(reason, reasonsz, CU_EFORMAT,
		               "report has %zu bytes: %zu trailing bytes after the %d of a report",
		               len, len - SNP_REPORT_LEN, SNP_REPORT_LEN);
		goto out;
	}
	cu_reader_init(&r, buf, len);
	if ((rc = cu_read_u32le(&r, &out->version)))
		goto out;
	if (out->version < SNP_REPORT_VERSION_MIN || out->version > SNP_REPORT_VERSION_MAX) {
		rc = cu_reason(reason, reasonsz, CU_EUNSUPPORTED,
		               "report version %u is not supported (versions %d to %d are)",
		               out->version, SNP_REPORT_VERSION_MIN, SNP_REPORT_VERSION_MAX);
		goto out;
	}
	if ((rc = parse_head(&r, out)) || (rc = parse_body(&r, out)) ||
	    (rc = parse_platform(&r, out))) {
		cu_reason(reason, reasonsz, rc, "report truncated");
		goto out;
	}
	if ((rc = parse_signature(&r, out, reason, reasonsz)) ||
	    (rc = check_header(out, reason, reasonsz)))
		goto out;
out:
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* The report signature over its first SNP_SIGNED_LEN bytes, with the leaf key. */
static int check_report_sig(const uint8_t *report, const struct snp_report *rep, X509 *leaf,
                            char *reason, size_t sz)
{
	EVP_PKEY *key = X509_get0_pubkey(leaf);
	uint8_t sig[2 * SNP_P384_LEN];

	if (!key || cr_pkey_type(key) != CR_KEY_P384)
		return cu_reason(reason, sz, CU_EKEY,
		                 "the VCEK/VLEK key is not an ECDSA P-384 key");
	memcpy(sig, rep->sig_r, SNP_P384_LEN);
	memcpy(sig + SNP_P384_LEN, rep->sig_s, SNP_P384_LEN);
	if (cr_verify(key, report, SNP_SIGNED_LEN, sig, sizeof(sig)))
		return cu_reason(
		    reason, sz, CU_EAUTH,
		    "the report signature does not verify with the %s certificate's key",
		    SNP_KEYINFO_SIGNING_KEY(rep->key_info) == SNP_KEY_VLEK ? "VLEK" : "VCEK");
	return 0;
}

static int load_leaf(const uint8_t *buf, size_t len, X509 **out, char *reason, size_t sz)
{
	static const char pem_tag[] = "-----BEGIN";
	const unsigned char *p = buf;
	BIO *bio;

	*out = NULL;
	if (!buf || !len)
		return cu_reason(reason, sz, CU_EINVAL, "no VCEK/VLEK certificate was given");
	if (len > SNP_CERT_MAX)
		return cu_reason(reason, sz, CU_ELIMIT, "VCEK/VLEK certificate exceeds %d bytes",
		                 SNP_CERT_MAX);
	if (len >= sizeof(pem_tag) - 1 && !memcmp(buf, pem_tag, sizeof(pem_tag) - 1)) {
		bio = BIO_new_mem_buf(buf, (int)len);
		if (!bio)
			return cu_reason(reason, sz, CU_ENOMEM, "out of memory");
		*out = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else {
		*out = d2i_X509(NULL, &p, (long)len);
		if (*out && p != buf + len) {
			X509_free(*out);
			*out = NULL;
		}
	}
	ERR_clear_error();
	if (!*out)
		return cu_reason(reason, sz, CU_EFORMAT, "VCEK/VLEK certificate does not parse");
	return 0;
}

static int load_chain(const uint8_t *buf, size_t len, STACK_OF(X509) * *out, char *reason,
                      size_t sz)
{
	STACK_OF(X509) *sk = NULL;
	BIO *bio = NULL;
	X509 *c;
	int rc = CU_ENOMEM;

	*out = NULL;
	if (!buf || !len)
		return cu_reason(reason, sz, CU_EINVAL, "no ASK/ARK chain was given");
	if (len > SNP_CHAIN_MAX)
		return cu_reason(reason, sz, CU_ELIMIT, "certificate chain exceeds %d bytes",
		                 SNP_CHAIN_MAX);
	if (!(bio = BIO_new_mem_buf(buf, (int)len)) || !(sk = sk_X509_new_null()))
		goto out;
	while ((c = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		if (sk_X509_num(sk) >= SNP_CHAIN_CERTS_MAX || !sk_X509_push(sk, c)) {
			X509_free(c);
			rc =
			    cu_reason(reason, sz, CU_ELIMIT,
			              "chain holds more than %d certificates", SNP_CHAIN_CERTS_MAX);
			goto out;
		}
	}
	if (sk_X509_num(sk) == 0) {
		rc = cu_reason(reason, sz, CU_EFORMAT, "chain holds no PEM certificate");
		goto out;
	}
	*out = sk;
	sk = NULL;
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

/* The product line of c when it is a pinned ARK, else UNKNOWN. */
static enum snp_product ark_product(X509 *c)
{
	unsigned char *der = NULL;
	uint8_t h[CR_SHA256_LEN];
	enum snp_product p = SNP_PRODUCT_UNKNOWN;
	int n = i2d_X509(c, &der);

	if (n > 0 && cr_sha256(der, (size_t)n, h) == 0) {
		for (size_t i = 0; i < sizeof(ark_pins) / sizeof(ark_pins[0]); i++)
			if (!memcmp(h, ark_pins[i].sha256, sizeof(h)))
				p = ark_pins[i].product;
	}
	OPENSSL_free(der);
	return p;
}

static int chain_error(X509_STORE_CTX *ctx, int64_t now, char *reason, size_t sz)
{
	int err = X509_STORE_CTX_get_error(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);
	static const char *const names[] = {"VCEK/VLEK", "ASK/ASVK", "ARK"};
	const char *who = depth >= 0 && depth < 3 ? names[depth] : "certificate";
	char when[32] = "?";

	cu_time_format(now, when, sizeof(when));
	if (err == X509_V_ERR_CERT_HAS_EXPIRED || err == X509_V_ERR_CERT_NOT_YET_VALID)
		return cu_reason(reason, sz, CU_EEXPIRED, "%s certificate: %s at %s", who,
		                 X509_verify_cert_error_string(err), when);
	return cu_reason(reason, sz, CU_EUNTRUSTED, "%s certificate: %s", who,
	                 X509_verify_cert_error_string(err));
}

/* Build and verify leaf -> ASK/ASVK -> pinned ARK at now; *prod gets the ARK's product line. */
static int verify_chain(X509 *leaf, STACK_OF(X509) * certs, int64_t now, enum snp_product *prod,
                        char *reason, size_t sz)
{
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509 *ark = NULL;
	int rc = CU_ENOMEM;

	*prod = SNP_PRODUCT_UNKNOWN;
	if (!untrusted || !store || !ctx)
		goto out;
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *c = sk_X509_value(certs, i);
		enum snp_product p = ark_product(c);
		if (p != SNP_PRODUCT_UNKNOWN && !ark) {
			ark = c;
			*prod = p;
		} else if (!sk_X509_push(untrusted, c)) {
			goto out;
		}
	}
	if (!ark) {
		rc = cu_reason(
		    reason, sz, CU_EUNTRUSTED,
		    "no certificate of the chain is a pinned AMD ARK (Milan, Genoa, Turin)");
		goto out;
	}
	if (!X509_STORE_add_cert(store, ark) || !X509_STORE_CTX_init(ctx, store, leaf, untrusted))
		goto out;
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)now);
	X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx), X509_V_FLAG_CHECK_SS_SIGNATURE);
	if (X509_verify_cert(ctx) != 1) {
		rc = chain_error(ctx, now, reason, sz);
		goto out;
	}
	if (sk_X509_num(X509_STORE_CTX_get0_chain(ctx)) != 3) {
		rc = cu_reason(reason, sz, CU_EUNTRUSTED,
		               "chain is not VCEK/VLEK -> ASK/ASVK -> ARK (%d certificates)",
		               sk_X509_num(X509_STORE_CTX_get0_chain(ctx)));
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_free(untrusted); /* the certificates belong to certs */
	return rc;
}

/* The extnValue of the one extension with this OID; NULL when absent or repeated. */
static const ASN1_OCTET_STRING *ext_value(X509 *c, const char *oid, int *dup)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	int idx;

	*dup = 0;
	if (!obj)
		return NULL;
	idx = X509_get_ext_by_OBJ(c, obj, -1);
	if (idx >= 0 && X509_get_ext_by_OBJ(c, obj, idx) >= 0)
		*dup = 1;
	ASN1_OBJECT_free(obj);
	if (idx < 0 || *dup)
		return NULL;
	return X509_EXTENSION_get_data(X509_get_ext(c, idx));
}

/* An SPL extension: a DER INTEGER in [0, 255]. */
static int ext_spl(X509 *c, const char *oid, const char *name, unsigned *out, char *reason,
                   size_t sz)
{
	int dup;
	const ASN1_OCTET_STRING *os = ext_value(c, oid, &dup);
	const unsigned char *p, *end;
	ASN1_INTEGER *ai;
	int64_t v = -1;

	*out = 0;
	if (!os)
		return cu_reason(reason, sz, CU_ETCB, "VCEK/VLEK %s extension (%s) is %s", name,
		                 oid, dup ? "repeated" : "missing");
	p = ASN1_STRING_get0_data(os);
	end = p + ASN1_STRING_length(os);
	ai = d2i_ASN1_INTEGER(NULL, &p, end - p);
	if (!ai || p != end || !ASN1_INTEGER_get_int64(&v, ai) || v < 0 || v > 255) {
		ASN1_INTEGER_free(ai);
		ERR_clear_error();
		return cu_reason(reason, sz, CU_EFORMAT,
		                 "VCEK/VLEK %s extension is not an integer 0..255", name);
	}
	ASN1_INTEGER_free(ai);
	*out = (unsigned)v;
	return 0;
}

/* The certificate's TCB extensions must equal the report's REPORTED_TCB. */
static int check_tcb(X509 *leaf, const struct snp_report *rep, enum snp_product prod, char *reason,
                     size_t sz)
{
	struct snp_tcb t;
	const struct {
		const char *oid, *name;
		const uint8_t *reported;
		int turin_only;
	} comps[] = {
	    {OID_BL_SPL, "blSPL", &t.bootloader, 0}, {OID_TEE_SPL, "teeSPL", &t.tee, 0},
	    {OID_SNP_SPL, "snpSPL", &t.snp, 0},      {OID_UCODE_SPL, "ucodeSPL", &t.microcode, 0},
	    {OID_FMC_SPL, "fmcSPL", &t.fmc, 1},
	};
	unsigned v;
	int rc;

	snp_tcb_decode(rep->reported_tcb, prod, &t);
	for (size_t i = 0; i < sizeof(comps) / sizeof(comps[0]); i++) {
		if (comps[i].turin_only && prod != SNP_PRODUCT_TURIN)
			continue;
		if ((rc = ext_spl(leaf, comps[i].oid, comps[i].name, &v, reason, sz)))
			return rc;
		if (v != *comps[i].reported)
			return cu_reason(reason, sz, CU_ETCB,
			                 "VCEK/VLEK %s is %u but the report's reported TCB says %u",
			                 comps[i].name, v, *comps[i].reported);
	}
	return 0;
}

/* A VCEK's hwID must equal the report's chip_id (Turin's hwID is its first 8 bytes). */
static int check_hwid(X509 *leaf, const struct snp_report *rep, enum snp_product prod, char *reason,
                      size_t sz)
{
	int dup;
	const ASN1_OCTET_STRING *os = ext_value(leaf, OID_HWID, &dup);
	size_t n;

	if (!os)
		return cu_reason(reason, sz, CU_ETCB, "VCEK hwID extension is %s",
		                 dup ? "repeated" : "missing");
	n = (size_t)ASN1_STRING_length(os);
	if (n != SNP_HWID_LEN && !(prod == SNP_PRODUCT_TURIN && n == SNP_HWID_TURIN_LEN))
		return cu_reason(reason, sz, CU_ETCB, "VCEK hwID has %zu bytes", n);
	if (cu_ct_is_zero(rep->chip_id, sizeof(rep->chip_id)))
		return cu_reason(reason, sz, CU_ETCB,
		                 "report chip_id is zero (MASK_CHIP_ID): cannot bind it to a VCEK");
	if (memcmp(ASN1_STRING_get0_data(os), rep->chip_id, n))
		return cu_reason(reason, sz, CU_ETCB,
		                 "VCEK hwID differs from the report's chip_id");
	return 0;
}

/* The leaf's subject CN names the kind of key the report says signed it. */
static int check_leaf_kind(X509 *leaf, const struct snp_report *rep, char *reason, size_t sz)
{
	const char *want =
	    SNP_KEYINFO_SIGNING_KEY(rep->key_info) == SNP_KEY_VLEK ? "SEV-VLEK" : "SEV-VCEK";
	char cn[64] = "";
	int n =
	    X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn, sizeof(cn));

	ERR_clear_error();
	if (n < 0 || strcmp(cn, want))
		return cu_reason(reason, sz, CU_EKEY,
		                 "report is signed by a %s but the certificate's subject is \"%s\"",
		                 want + 4, n < 0 ? "" : cn);
	return 0;
}

/* The report's CPU family must belong to the product line of the chain. */
static int check_product(const struct snp_report *rep, enum snp_product prod, char *reason,
                         size_t sz)
{
	enum snp_product hint = snp_report_product_hint(rep);

	if (hint == SNP_PRODUCT_UNKNOWN && !rep->has_cpuid)
		return 0;
	if ((hint == SNP_PRODUCT_TURIN) != (prod == SNP_PRODUCT_TURIN) ||
	    hint == SNP_PRODUCT_UNKNOWN)
		return cu_reason(
		    reason, sz, CU_ETCB,
		    "report comes from a %s processor (CPUID family 0x%02x) but the chain "
		    "is AMD's %s chain",
		    snp_product_name(hint), rep->cpuid_fam_id, snp_product_name(prod));
	return 0;
}

static int check_binding(X509 *leaf, const struct snp_report *rep, enum snp_product prod,
                         char *reason, size_t sz)
{
	int rc;

	if (SNP_KEYINFO_SIGNING_KEY(rep->key_info) == SNP_KEY_VCEK &&
	    (rc = check_hwid(leaf, rep, prod, reason, sz)))
		return rc;
	return check_tcb(leaf, rep, prod, reason, sz);
}

int snp_check_cert_binding(const uint8_t *cert, size_t len, const struct snp_report *r,
                           enum snp_product product, char *reason, size_t reasonsz)
{
	X509 *leaf = NULL;
	int rc;

	if (reason && reasonsz)
		reason[0] = '\0';
	if (!(rc = load_leaf(cert, len, &leaf, reason, reasonsz)))
		rc = check_binding(leaf, r, product, reason, reasonsz);
	X509_free(leaf);
	return rc;
}

static void fill_claims(const struct snp_report *r, struct tee_claims *c)
{
	memset(c, 0, sizeof(*c));
	c->type = TEE_SEV_SNP;
	c->debug = (r->policy & SNP_POLICY_DEBUG) != 0;
	memcpy(c->measurement, r->measurement, sizeof(r->measurement));
	c->measurement_len = sizeof(r->measurement);
	if (r->key_info & SNP_KEYINFO_AUTHOR_KEY_EN) {
		memcpy(c->signer, r->author_key_digest, sizeof(r->author_key_digest));
		c->signer_len = sizeof(r->author_key_digest);
	}
	c->security_version = r->guest_svn;
	memcpy(c->report_data, r->report_data, sizeof(r->report_data));
	c->snp_policy = r->policy;
	memcpy(c->chip_id, r->chip_id, sizeof(r->chip_id));
	c->reported_tcb = r->reported_tcb;
	c->tcb_status = TEE_TCB_NOT_APPLICABLE;
}

static int verify_certs(const uint8_t *report, const struct snp_report *rep,
                        const struct snp_certs *certs, int64_t now, char *reason, size_t sz)
{
	X509 *leaf = NULL;
	STACK_OF(X509) *chain = NULL;
	enum snp_product prod;
	int rc;

	if (!certs) {
		rc = cu_reason(reason, sz, CU_EINVAL, "no certificates were given");
		goto out;
	}
	if ((rc = load_leaf(certs->leaf, certs->leaf_len, &leaf, reason, sz)) ||
	    (rc = check_leaf_kind(leaf, rep, reason, sz)) ||
	    (rc = check_report_sig(report, rep, leaf, reason, sz)) ||
	    (rc = load_chain(certs->chain, certs->chain_len, &chain, reason, sz)) ||
	    (rc = verify_chain(leaf, chain, now, &prod, reason, sz)) ||
	    (rc = check_product(rep, prod, reason, sz)))
		goto out;
	rc = check_binding(leaf, rep, prod, reason, sz);
out:
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

int snp_verify(const uint8_t *report, size_t len, const struct snp_certs *certs, int64_t now,
               struct tee_claims *claims, struct snp_report *report_out, char *reason,
               size_t reasonsz)
{
	struct snp_report rep;
	int rc;

	memset(claims, 0, sizeof(*claims));
	if (report_out)
		memset(report_out, 0, sizeof(*report_out));
	if (reason && reasonsz)
		reason[0] = '\0';
	if (!report && len) {
		rc = cu_reason(reason, reasonsz, CU_EINVAL, "no report");
		goto out;
	}
	if ((rc = snp_report_parse(report, len, &rep, reason, reasonsz)) ||
	    (rc = verify_certs(report, &rep, certs, now, reason, reasonsz)))
		goto out;
	fill_claims(&rep, claims);
	if (report_out)
		*report_out = rep;
	cu_reason(reason, reasonsz, 0, "authentic SEV-SNP report v%u signed by the %s", rep.version,
	          SNP_KEYINFO_SIGNING_KEY(rep.key_info) == SNP_KEY_VLEK ? "VLEK" : "VCEK");
out:
	return rc;
}

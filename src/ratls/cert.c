/*
 * cert.c - inspect and verify RA-TLS certificates (see ratls.h).
 *
 * The certificate is parsed by OpenSSL, the DICE evidence by libcbor; every
 * value taken from either is copied (bounded by a named maximum) before use,
 * so nothing refers to the input after return. All checks run even after
 * one has failed, so that the info says as much as can be known; the error
 * returned is the most fundamental one (see ratls.h for the order).
 */
#include <cbor.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/time.h"
#include "ratls/internal.h"
#include "tee/dcap.h"
#include "tee/sim.h"
#include "tee/snp.h"

#define ITEMS_MAX RATLS_EXT_COUNT

/* OID content bytes (without tag and length) of each extension we know. */
struct ext_oid {
	enum ratls_ext bit;
	const char *name;
	uint8_t oid[11];
	size_t oid_len;
};

static const struct ext_oid ext_oids[RATLS_EXT_COUNT] = {
    {RATLS_EXT_DICE, "dice", {0x67, 0x81, 0x05, 0x05, 0x04, 0x09}, 6},
    {RATLS_EXT_GRAMINE_LEGACY,
     "gramine-legacy",
     {0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF8, 0x4D, 0x8A, 0x39, 0x06},
     11},
    {RATLS_EXT_GRAMINE, "gramine", {0x2A, 0x86, 0x48, 0x86, 0xF8, 0x4D, 0x8A, 0x39, 0x06}, 9},
    {RATLS_EXT_SGXSDK, "sgx-sdk", {0x2A, 0x86, 0x48, 0x86, 0xF8, 0x4D, 0x01, 0x0D, 0x01}, 9},
};

struct inspect {
	X509 *x;
	struct ratls_info *out;
	int rc; /* the most fundamental error so far */
	uint8_t *spki;
	int spki_len;
	const struct ratls_trust *trust;
	struct ratls_item items[ITEMS_MAX];
	size_t nitems;
	uint8_t claims_hash[32]; /* SHA-256 of the DICE claims */
	int dice_key_ok;         /* the DICE pubkey-hash matches the SPKI */
};

/* Errors from the most fundamental to the least (ratls.h). */
static int err_rank(int rc)
{
	static const int order[] = {CU_EINVAL,     CU_ELIMIT,       CU_EFORMAT,
	                            CU_ENOTFOUND,  CU_EUNSUPPORTED, CU_EAUTH,
	                            CU_EUNTRUSTED, CU_EKEY,         CU_EEXPIRED};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (order[i] == rc)
			return (int)i + 1;
	return 0; /* ENOMEM, ECRYPTO: first of all */
}

/* Record a failure; the reason kept is that of the error returned. */
__attribute__((format(printf, 3, 4))) static void fail(struct inspect *s, int rc, const char *fmt,
                                                       ...)
{
	va_list ap;

	if (s->rc && err_rank(s->rc) <= err_rank(rc))
		return;
	s->rc = rc;
	va_start(ap, fmt);
	vsnprintf(s->out->reason, sizeof(s->out->reason), fmt, ap);
	va_end(ap);
}

const char *ratls_ext_name(enum ratls_ext bit)
{
	for (size_t i = 0; i < RATLS_EXT_COUNT; i++)
		if (ext_oids[i].bit == bit)
			return ext_oids[i].name;
	return NULL;
}

static void check_time(struct inspect *s, int64_t now)
{
	struct ratls_info *o = s->out;
	int ok1, ok2;

	o->not_before = ratls_asn1_time(X509_get0_notBefore(s->x), &ok1);
	o->not_after = ratls_asn1_time(X509_get0_notAfter(s->x), &ok2);
	if (!ok1 || !ok2) {
		fail(s, CU_EFORMAT, "the certificate's validity does not parse");
		return;
	}
	o->time_valid = now >= o->not_before && now <= o->not_after;
	if (!o->time_valid) {
		char nb[32], na[32];

		if (cu_time_format(o->not_before, nb, sizeof(nb)))
			nb[0] = 0;
		if (cu_time_format(o->not_after, na, sizeof(na)))
			na[0] = 0;
		fail(s, CU_EEXPIRED, "the certificate is not valid at that time (valid %s .. %s)",
		     nb, na);
	}
}

/* A self-issued certificate must be signed by its own key. */
static void check_self_signature(struct inspect *s)
{
	EVP_PKEY *k = X509_get0_pubkey(s->x);

	if (X509_NAME_cmp(X509_get_issuer_name(s->x), X509_get_subject_name(s->x)) != 0)
		return;
	if (!k || X509_verify(s->x, k) != 1)
		fail(s, CU_EAUTH, "the certificate's signature does not verify with its own key");
	ERR_clear_error();
}

static const struct ext_oid *classify(const ASN1_OBJECT *obj)
{
	const unsigned char *d = OBJ_get0_data(obj);
	size_t n = obj ? OBJ_length(obj) : 0;

	for (size_t i = 0; d && i < RATLS_EXT_COUNT; i++)
		if (n == ext_oids[i].oid_len && !memcmp(d, ext_oids[i].oid, n))
			return &ext_oids[i];
	return NULL;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);

	if (d && n)
		memcpy(d, p, n);
	return d;
}

static size_t evidence_max(enum ratls_kind k)
{
	return k == RATLS_KIND_INTEL ? DCAP_QUOTE_MAX
	       : k == RATLS_KIND_SNP ? SNP_REPORT_LEN
	                             : SIM_EVIDENCE_MAX;
}

/* Copy one piece of evidence (and its endorsement) for verification. */
static int add_item(struct inspect *s, enum ratls_ext from, enum ratls_kind kind, const uint8_t *p,
                    size_t n, const uint8_t *e, size_t en)
{
	struct ratls_item *it = &s->items[s->nitems];

	if (s->nitems >= ITEMS_MAX)
		return CU_ELIMIT;
	if (!n || n > evidence_max(kind) || en > RATLS_ENDORSEMENT_MAX) {
		fail(s, CU_ELIMIT, "the evidence of the %s extension has %zu bytes",
		     ratls_ext_name(from), n);
		return CU_ELIMIT;
	}
	if (!(it->ev = dup_bytes(p, n)) || (e && !(it->endorsement = dup_bytes(e, en)))) {
		free(it->ev);
		it->ev = NULL;
		return CU_ENOMEM;
	}
	it->evlen = n;
	it->endlen = e ? en : 0;
	it->from = from;
	it->kind = kind;
	s->nitems++;
	return 0;
}

/* A definite byte string, or NULL. */
static const uint8_t *bstr(const cbor_item_t *it, size_t *n)
{
	if (!it || !cbor_isa_bytestring(it) || !cbor_bytestring_is_definite(it))
		return NULL;
	*n = cbor_bytestring_length(it);
	return cbor_bytestring_handle(it);
}

/*
 * Walk one CBOR item at p[*off..n) without building it: 0 when it is well
 * formed, every definite length fits in the bytes left (an array element or
 * a map entry takes at least one byte each), and nesting stays within
 * CBOR_DEPTH_MAX. libcbor's cbor_load allocates an array's or a map's slots
 * from its declared count before it reads one element, so a few bytes
 * claiming 2^60 elements would make it ask for exabytes: this walk runs
 * first. Indefinite lengths are accepted (libcbor grows those as it reads).
 */
#define CBOR_DEPTH_MAX 16

static int cbor_walk(const uint8_t *p, size_t n, size_t *off, int depth)
{
	uint8_t ib, mt, ai;
	uint64_t arg = 0;

	if (depth > CBOR_DEPTH_MAX || *off >= n)
		return -1;
	ib = p[(*off)++];
	mt = ib >> 5;
	ai = ib & 31;
	if (ai >= 24 && ai <= 27) {
		size_t w = (size_t)1 << (ai - 24);

		if (w > n - *off)
			return -1;
		for (size_t i = 0; i < w; i++)
			arg = arg << 8 | p[(*off)++];
	} else if (ai >= 28 && ai <= 30) {
		return -1;
	} else if (ai < 24) {
		arg = ai;
	}
	if (ai == 31) { /* indefinite: strings of chunks, arrays and maps to a break */
		if (mt < 2 || mt > 5) /* a break outside a container, or no such form */
			return -1;
		for (uint64_t i = 0;; i++) {
			if (*off >= n)
				return -1;
			if (p[*off] == 0xff) {
				(*off)++;
				return mt == 5 && (i & 1) ? -1 : 0;
			}
			if ((mt == 2 || mt == 3) && (p[*off] >> 5 != mt || (p[*off] & 31) == 31))
				return -1;
			if (cbor_walk(p, n, off, depth + 1))
				return -1;
		}
	}
	switch (mt) {
	case 2:
	case 3:
		if (arg > n - *off)
			return -1;
		*off += (size_t)arg;
		return 0;
	case 4:
	case 5:
		if (arg > (n - *off) / (mt == 5 ? 2 : 1))
			return -1;
		for (uint64_t i = 0; i < arg * (mt == 5 ? 2 : 1); i++)
			if (cbor_walk(p, n, off, depth + 1))
				return -1;
		return 0;
	case 6:
		return cbor_walk(p, n, off, depth + 1);
	default: /* integers, simple values and floats: done */
		return 0;
	}
}

/* Load exactly n bytes of CBOR; NULL if malformed or followed by more. */
static cbor_item_t *load_exact(const uint8_t *p, size_t n)
{
	struct cbor_load_result res;
	size_t off = 0;
	cbor_item_t *it;

	if (cbor_walk(p, n, &off, 0) || off != n)
		return NULL;
	it = cbor_load(p, n, &res);
	if (it && (res.error.code != CBOR_ERR_NONE || res.read != n))
		cbor_decref(&it);
	return it;
}

static int is_text(const cbor_item_t *it, const char *s)
{
	size_t n = strlen(s);

	return cbor_isa_string(it) && cbor_string_is_definite(it) && cbor_string_length(it) == n &&
	       !memcmp(cbor_string_handle(it), s, n);
}

/* The SPKI digest under a named-information hash algorithm (1, 7, 8). */
static int spki_digest(const struct inspect *s, uint64_t alg, uint8_t *md, unsigned *mdlen)
{
	const EVP_MD *t = alg == 1   ? EVP_sha256()
	                  : alg == 7 ? EVP_sha384()
	                  : alg == 8 ? EVP_sha512()
	                             : NULL;

	if (!t)
		return CU_EUNSUPPORTED;
	if (EVP_Digest(s->spki, (size_t)s->spki_len, md, mdlen, t, NULL) != 1)
		return CU_ECRYPTO;
	return 0;
}

/* pubkey-hash: [alg, hash], possibly wrapped in a byte string. */
static void check_pubkey_hash(struct inspect *s, const cbor_item_t *v)
{
	cbor_item_t *inner = NULL, **h;
	const uint8_t *p, *hv;
	size_t n, hn;
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int rc;

	if ((p = bstr(v, &n)) && !(v = inner = load_exact(p, n))) {
		fail(s, CU_EFORMAT, "the DICE pubkey-hash is not CBOR");
		return;
	}
	if (!cbor_isa_array(v) || cbor_array_size(v) != 2 || !(h = cbor_array_handle(v)) ||
	    !cbor_isa_uint(h[0]) || !(hv = bstr(h[1], &hn))) {
		fail(s, CU_EFORMAT, "the DICE pubkey-hash is not [alg, hash]");
	} else if ((rc = spki_digest(s, cbor_get_int(h[0]), md, &mdlen))) {
		fail(s, rc, "the DICE pubkey-hash uses hash algorithm %llu",
		     (unsigned long long)cbor_get_int(h[0]));
	} else if (hn != mdlen || memcmp(hv, md, mdlen)) {
		fail(s, CU_EKEY, "the DICE pubkey-hash does not match the certificate's key");
	} else {
		s->dice_key_ok = 1;
	}
	if (inner)
		cbor_decref(&inner);
}

static void parse_claims(struct inspect *s, const uint8_t *p, size_t n)
{
	cbor_item_t *m;
	struct cbor_pair *kv;
	const cbor_item_t *pk = NULL;
	size_t cnt;

	if (n > RATLS_CLAIMS_MAX) {
		fail(s, CU_ELIMIT, "the DICE claims have %zu bytes (at most %d)", n,
		     RATLS_CLAIMS_MAX);
		return;
	}
	if (EVP_Digest(p, n, s->claims_hash, NULL, EVP_sha256(), NULL) != 1) {
		fail(s, CU_ECRYPTO, "SHA-256 failed");
		return;
	}
	if (!(m = load_exact(p, n)) || !cbor_isa_map(m) || !(kv = cbor_map_handle(m))) {
		fail(s, CU_EFORMAT, "the DICE claims are not a CBOR map");
		goto out;
	}
	if ((cnt = cbor_map_size(m)) > RATLS_CLAIMS_N) {
		fail(s, CU_ELIMIT, "the DICE claims have %zu entries", cnt);
		goto out;
	}
	for (size_t i = 0; i < cnt; i++) {
		if (!is_text(kv[i].key, "pubkey-hash"))
			continue;
		if (pk) {
			fail(s, CU_EFORMAT, "the DICE claims name pubkey-hash twice");
			goto out;
		}
		pk = kv[i].value;
	}
	if (!pk)
		fail(s, CU_EFORMAT, "the DICE claims have no pubkey-hash");
	else
		check_pubkey_hash(s, pk);
out:
	if (m)
		cbor_decref(&m);
}

/* A tag naming the evidence over [evidence, claims] or [evidence, claims, endorsement]. */
static int parse_dice(struct inspect *s, const uint8_t *v, size_t n)
{
	cbor_item_t *top = load_exact(v, n), *arr = NULL, **h;
	const uint8_t *q, *c, *e = NULL;
	size_t qn, cn, en = 0, cnt = 0;
	enum ratls_kind kind = 0;
	int rc = 0;

	if (top && cbor_isa_tag(top))
		kind = ratls_kind_of_tag(cbor_tag_value(top));
	if (top && cbor_isa_tag(top) && (arr = cbor_tag_item(top)) && cbor_isa_array(arr))
		cnt = cbor_array_size(arr);
	if (!top || !cbor_isa_tag(top)) {
		fail(s, CU_EFORMAT, "the DICE extension is not tagged CBOR");
	} else if (!kind) {
		fail(s, CU_EUNSUPPORTED, "the DICE extension has CBOR tag %llu (no known evidence)",
		     (unsigned long long)cbor_tag_value(top));
	} else if ((cnt != 2 && cnt != 3) || !(h = cbor_array_handle(arr)) ||
	           !(q = bstr(h[0], &qn)) || !(c = bstr(h[1], &cn)) ||
	           (cnt == 3 && !(e = bstr(h[2], &en)))) {
		fail(s, CU_EFORMAT,
		     "the DICE evidence is not [evidence: bstr, claims: bstr, endorsement: bstr]");
	} else if (!(rc = add_item(s, RATLS_EXT_DICE, kind, q, qn, e, en))) {
		parse_claims(s, c, cn);
	}
	if (arr)
		cbor_decref(&arr);
	if (top)
		cbor_decref(&top);
	return rc == CU_ELIMIT ? 0 : rc;
}

/* Find the evidence extensions; copy their quotes. */
static int collect(struct inspect *s)
{
	int n = X509_get_ext_count(s->x);

	for (int i = 0; i < n; i++) {
		X509_EXTENSION *e = X509_get_ext(s->x, i);
		const struct ext_oid *k = e ? classify(X509_EXTENSION_get_object(e)) : NULL;
		const ASN1_OCTET_STRING *v = k ? X509_EXTENSION_get_data(e) : NULL;
		size_t len;
		int rc;

		if (!k)
			continue;
		if (s->out->extensions & k->bit) {
			fail(s, CU_EFORMAT, "the %s extension appears twice", k->name);
			return 0;
		}
		s->out->extensions |= k->bit;
		len = v ? (size_t)ASN1_STRING_length(v) : 0;
		if (!v || len > RATLS_EXT_MAX) {
			fail(s, CU_ELIMIT, "the %s extension has %zu bytes", k->name, len);
			continue;
		}
		if (k->bit == RATLS_EXT_DICE)
			rc = parse_dice(s, ASN1_STRING_get0_data(v), len);
		else
			rc = add_item(s, k->bit, RATLS_KIND_INTEL, ASN1_STRING_get0_data(v), len,
			              NULL, 0);
		if (rc && rc != CU_ELIMIT)
			return rc;
	}
	if (!s->out->extensions)
		fail(s, CU_ENOTFOUND,
		     "no RA-TLS evidence extension (DICE 2.23.133.5.4.9, Gramine or SGX SDK)");
	return 0;
}

static int same_enclave(const struct tee_claims *a, const struct tee_claims *b)
{
	return a->type == b->type && a->measurement_len == b->measurement_len &&
	       !memcmp(a->measurement, b->measurement, a->measurement_len) &&
	       !memcmp(a->signer, b->signer, sizeof(a->signer)) && a->debug == b->debug;
}

/* report_data[0:32] binds the SPKI, or DICE claims that bind it. */
static int item_binds(const struct inspect *s, const struct ratls_item *q,
                      const struct tee_claims *c)
{
	if (q->from == RATLS_EXT_DICE)
		return s->dice_key_ok && !memcmp(c->report_data, s->claims_hash, 32);
	return !memcmp(c->report_data, s->out->spki_sha256, 32) ||
	       (s->dice_key_ok && !memcmp(c->report_data, s->claims_hash, 32));
}

static void verify_items(struct inspect *s, int64_t now)
{
	struct tee_claims c;
	char why[RATLS_REASON_LEN];
	int authentic = s->nitems > 0, bound = s->nitems > 0, rc;

	for (size_t i = 0; i < s->nitems; i++) {
		const struct ratls_item *q = &s->items[i];
		const char *name = ratls_ext_name(q->from);

		if ((rc = ratls_item_verify(q, s->trust, now, &c, &s->out->valid_from,
		                            &s->out->valid_until, why, sizeof(why)))) {
			fail(s, rc, "%s extension: %s", name, why);
			authentic = bound = 0;
			continue;
		}
		if (i == 0)
			s->out->claims = c;
		else if (!same_enclave(&s->out->claims, &c)) {
			fail(s, CU_EAUTH, "the evidence of the certificate names different TEEs");
			authentic = 0;
		}
		if (!item_binds(s, q, &c)) {
			fail(s, CU_EKEY,
			     "the evidence of the %s extension does not bind the certificate's key",
			     name);
			bound = 0;
		}
	}
	s->out->authentic = authentic;
	s->out->key_bound = authentic && bound;
	if (!authentic)
		memset(&s->out->claims, 0, sizeof(s->out->claims));
}

static int spki_of(struct inspect *s)
{
	const X509_PUBKEY *pk = X509_get_X509_PUBKEY(s->x);

	s->spki_len = pk ? i2d_X509_PUBKEY(pk, &s->spki) : -1;
	if (s->spki_len <= 0) {
		s->spki = NULL;
		fail(s, CU_EFORMAT, "the certificate's public key does not encode");
		return CU_EFORMAT;
	}
	if (EVP_Digest(s->spki, (size_t)s->spki_len, s->out->spki_sha256, NULL, EVP_sha256(),
	               NULL) != 1)
		return CU_ECRYPTO;
	return 0;
}

/* The DICE evidence first: its claims are the ones reported. */
static void dice_first(struct inspect *s)
{
	for (size_t i = 1; i < s->nitems; i++) {
		if (s->items[i].from == RATLS_EXT_DICE) {
			struct ratls_item t = s->items[0];

			s->items[0] = s->items[i];
			s->items[i] = t;
		}
	}
}

int ratls_inspect_x509(X509 *x, int64_t now, const struct ratls_trust *trust,
                       struct ratls_info *out)
{
	struct inspect s = {.x = x, .out = out, .trust = trust};
	int rc;

	out->valid_from = INT64_MIN;
	out->valid_until = INT64_MAX;
	if ((rc = spki_of(&s)) || (rc = collect(&s)))
		goto out;
	dice_first(&s);
	verify_items(&s, now);
	check_self_signature(&s);
	check_time(&s, now);
	if (!s.rc && (rc = ratls_window_x509(x, &out->valid_from, &out->valid_until)))
		fail(&s, rc, "the certificate's validity does not parse");
out:
	if (rc)
		fail(&s, rc, "%s", cu_strerror(rc));
	for (size_t i = 0; i < s.nitems; i++) {
		free(s.items[i].ev);
		free(s.items[i].endorsement);
	}
	OPENSSL_free(s.spki);
	/* Anything wrong with the evidence or the signature: nothing is vouched for. */
	if (s.rc && err_rank(s.rc) <= err_rank(CU_EAUTH)) {
		out->authentic = out->key_bound = 0;
		memset(&out->claims, 0, sizeof(out->claims));
	} else if (s.rc == CU_EKEY) {
		out->key_bound = 0;
	}
	return s.rc;
}

int ratls_cert_inspect_der(const uint8_t *der, size_t len, int64_t now,
                           const struct ratls_trust *trust, struct ratls_info *out)
{
	const unsigned char *p = der;
	X509 *x;
	int rc;

	if (!out)
		return CU_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!der)
		return cu_reason(out->reason, sizeof(out->reason), CU_EINVAL, "no certificate");
	if (len > RATLS_CERT_MAX)
		return cu_reason(out->reason, sizeof(out->reason), CU_ELIMIT,
		                 "the certificate has %zu bytes (at most %d)", len, RATLS_CERT_MAX);
	x = d2i_X509(NULL, &p, (long)len);
	if (!x || p != der + len) {
		X509_free(x);
		ERR_clear_error();
		return cu_reason(out->reason, sizeof(out->reason), CU_EFORMAT,
		                 "not one DER X.509 certificate");
	}
	rc = ratls_inspect_x509(x, now, trust, out);
	X509_free(x);
	ERR_clear_error();
	return rc;
}

int ratls_cert_inspect(const X509 *cert, int64_t now, const struct ratls_trust *trust,
                       struct ratls_info *out)
{
	unsigned char *der = NULL;
	int n, rc;

	if (!out)
		return CU_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!cert)
		return cu_reason(out->reason, sizeof(out->reason), CU_EINVAL, "no certificate");
	/* Work on our own copy, re-parsed from the DER OpenSSL kept. */
	if ((n = i2d_X509(cert, &der)) <= 0) {
		ERR_clear_error();
		return cu_reason(out->reason, sizeof(out->reason), CU_EFORMAT,
		                 "the certificate does not encode");
	}
	rc = ratls_cert_inspect_der(der, (size_t)n, now, trust, out);
	OPENSSL_free(der);
	return rc;
}

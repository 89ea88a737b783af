/*
 * dcap_quote.c - parse Intel DCAP quotes v3, v4 and v5 (SGX, TD 1.0, TD 1.5).
 *
 * Layout (little endian throughout):
 *   header (48) | body | u32 signature data length | signature data | [tolerated tail]
 * The body is an SGX report (384) in v3 and for SGX v4, a TD 1.0 report (584)
 * for TDX v4, and in v5 a descriptor (u16 type, u32 size) then the report
 * (SGX 384, TD 1.0 584, TD 1.5 648). The signature data holds the
 * attestation key's signature and key, then the QE report certification data
 * (QE report, its PCK signature, QE authentication data, PCK chain); v4 and
 * v5 wrap the latter in certification data of type 6.
 */
#include "tee/dcap.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/mem.h"
#include "common/reader.h"

#define ATT_KEY_ECDSA_P256  2
#define CERT_TYPE_PCK_CHAIN 5
#define CERT_TYPE_QE_REPORT 6
#define SGX_ATTR_DEBUG      0x02 /* ATTRIBUTES.FLAGS bit 1 */

static int read_header(struct cu_reader *r, struct dcap_header *h)
{
	int rc;

	if ((rc = cu_read_u16le(r, &h->version)) || (rc = cu_read_u16le(r, &h->att_key_type)) ||
	    (rc = cu_read_u32le(r, &h->tee_type)) || (rc = cu_read_u16le(r, &h->qe_svn)) ||
	    (rc = cu_read_u16le(r, &h->pce_svn)) ||
	    (rc = cu_read_bytes(r, h->qe_vendor_id, sizeof(h->qe_vendor_id))) ||
	    (rc = cu_read_bytes(r, h->user_data, sizeof(h->user_data))))
		return rc;
	if (h->version < 3 || h->version > 5)
		return CU_EUNSUPPORTED;
	if (h->att_key_type != ATT_KEY_ECDSA_P256)
		return CU_EUNSUPPORTED;
	if (h->version == 3 && h->tee_type != DCAP_TEE_SGX)
		return CU_EFORMAT; /* reserved in v3: v3 quotes are SGX only */
	if (h->tee_type != DCAP_TEE_SGX && h->tee_type != DCAP_TEE_TDX)
		return CU_EUNSUPPORTED;
	return 0;
}

/* The 384-byte SGX REPORTBODY; reserved fields are skipped. */
static int read_sgx_report(struct cu_reader *r, struct dcap_sgx_report *s)
{
	int rc;

	if ((rc = cu_read_bytes(r, s->cpusvn, 16)) || (rc = cu_read_u32le(r, &s->miscselect)) ||
	    (rc = cu_read_skip(r, 12)) || (rc = cu_read_bytes(r, s->isv_ext_prod_id, 16)) ||
	    (rc = cu_read_bytes(r, s->attributes, 16)) ||
	    (rc = cu_read_bytes(r, s->mrenclave, 32)) || (rc = cu_read_skip(r, 32)) ||
	    (rc = cu_read_bytes(r, s->mrsigner, 32)) || (rc = cu_read_skip(r, 32)) ||
	    (rc = cu_read_bytes(r, s->config_id, 64)) || (rc = cu_read_u16le(r, &s->isv_prod_id)) ||
	    (rc = cu_read_u16le(r, &s->isv_svn)) || (rc = cu_read_u16le(r, &s->config_svn)) ||
	    (rc = cu_read_skip(r, 42)) || (rc = cu_read_bytes(r, s->isv_family_id, 16)) ||
	    (rc = cu_read_bytes(r, s->report_data, 64)))
		return rc;
	return 0;
}

static int read_td_report(struct cu_reader *r, struct dcap_td_report *t, int td15)
{
	int rc;

	if ((rc = cu_read_bytes(r, t->tee_tcb_svn, 16)) || (rc = cu_read_bytes(r, t->mrseam, 48)) ||
	    (rc = cu_read_bytes(r, t->mrsignerseam, 48)) ||
	    (rc = cu_read_bytes(r, t->seam_attributes, 8)) ||
	    (rc = cu_read_bytes(r, t->td_attributes, 8)) || (rc = cu_read_bytes(r, t->xfam, 8)) ||
	    (rc = cu_read_bytes(r, t->mrtd, 48)) || (rc = cu_read_bytes(r, t->mrconfigid, 48)) ||
	    (rc = cu_read_bytes(r, t->mrowner, 48)) ||
	    (rc = cu_read_bytes(r, t->mrownerconfig, 48)) ||
	    (rc = cu_read_bytes(r, t->rtmr, sizeof(t->rtmr))) ||
	    (rc = cu_read_bytes(r, t->report_data, 64)))
		return rc;
	if (td15 && ((rc = cu_read_bytes(r, t->tee_tcb_svn2, 16)) ||
	             (rc = cu_read_bytes(r, t->mrservicetd, 48))))
		return rc;
	return 0;
}

static int read_body_v5(struct cu_reader *r, struct dcap_quote *q)
{
	uint16_t type;
	uint32_t size;
	int rc;

	if ((rc = cu_read_u16le(r, &type)) || (rc = cu_read_u32le(r, &size)))
		return rc;
	switch (type) {
	case DCAP_BODY_SGX:
		if (size != DCAP_REPORT_LEN || q->hdr.tee_type != DCAP_TEE_SGX)
			return CU_EFORMAT;
		break;
	case DCAP_BODY_TD10:
	case DCAP_BODY_TD15:
		if (size != (type == DCAP_BODY_TD10 ? DCAP_TD10_LEN : DCAP_TD15_LEN) ||
		    q->hdr.tee_type != DCAP_TEE_TDX)
			return CU_EFORMAT;
		break;
	default:
		return CU_EUNSUPPORTED;
	}
	q->body_type = (enum dcap_body_type)type;
	if (type == DCAP_BODY_SGX)
		return read_sgx_report(r, &q->sgx);
	return read_td_report(r, &q->td, type == DCAP_BODY_TD15);
}

static int read_body(struct cu_reader *r, struct dcap_quote *q)
{
	if (q->hdr.version == 5)
		return read_body_v5(r, q);
	if (q->hdr.tee_type == DCAP_TEE_SGX) {
		q->body_type = DCAP_BODY_SGX;
		return read_sgx_report(r, &q->sgx);
	}
	q->body_type = DCAP_BODY_TD10;
	return read_td_report(r, &q->td, 0);
}

/* QE report, its signature, QE authentication data, then the PCK chain (type 5). */
static int read_qe_cert_data(struct cu_reader *r, struct dcap_quote *q)
{
	struct cu_reader rep;
	uint16_t n16;
	uint32_t n32;
	int rc;

	if ((rc = cu_read_bytes(r, q->qe_report_raw, DCAP_REPORT_LEN)) ||
	    (rc = cu_read_bytes(r, q->qe_report_sig, DCAP_ECDSA_SIG_LEN)) ||
	    (rc = cu_read_u16le(r, &n16)))
		return rc;
	cu_reader_init(&rep, q->qe_report_raw, DCAP_REPORT_LEN);
	if ((rc = read_sgx_report(&rep, &q->qe_report)) != 0)
		return rc;
	if (n16 > DCAP_QE_AUTH_MAX)
		return CU_ELIMIT;
	if (n16 > 0 && !(q->qe_auth = malloc(n16)))
		return CU_ENOMEM;
	if ((rc = cu_read_bytes(r, q->qe_auth, n16)) != 0)
		return rc;
	q->qe_auth_len = n16;
	if ((rc = cu_read_u16le(r, &q->cert_type)) || (rc = cu_read_u32le(r, &n32)))
		return rc;
	if (q->cert_type != CERT_TYPE_PCK_CHAIN)
		return CU_EUNSUPPORTED;
	if (n32 > DCAP_CERT_DATA_MAX)
		return CU_ELIMIT;
	if (n32 > cu_reader_left(r))
		return CU_ETRUNC;
	if (!(q->pck_pem = calloc(1, (size_t)n32 + 1)))
		return CU_ENOMEM;
	if ((rc = cu_read_bytes(r, q->pck_pem, n32)) != 0)
		return rc;
	q->pck_pem_len = n32;
	return 0;
}

static int read_sig_data(struct cu_reader *r, struct dcap_quote *q)
{
	struct cu_reader sd, inner;
	uint32_t n;
	int rc;

	if ((rc = cu_read_u32le(r, &n)) != 0)
		return rc;
	if (n > DCAP_QUOTE_MAX)
		return CU_ELIMIT;
	if ((rc = cu_read_sub(r, &sd, n)) != 0)
		return rc;
	q->sig_data_len = n;
	if ((rc = cu_read_bytes(&sd, q->sig, DCAP_ECDSA_SIG_LEN)) ||
	    (rc = cu_read_bytes(&sd, q->att_key, DCAP_ECDSA_KEY_LEN)))
		return rc;
	if (q->hdr.version == 3) {
		if ((rc = read_qe_cert_data(&sd, q)) != 0)
			return rc;
	} else {
		if ((rc = cu_read_u16le(&sd, &q->outer_cert_type)) || (rc = cu_read_u32le(&sd, &n)))
			return rc;
		if (q->outer_cert_type != CERT_TYPE_QE_REPORT)
			return CU_EUNSUPPORTED;
		if ((rc = cu_read_sub(&sd, &inner, n)) || (rc = read_qe_cert_data(&inner, q)))
			return rc;
		if (cu_reader_left(&inner) != 0)
			return CU_EFORMAT;
	}
	/* The signature data must hold exactly what it announces. */
	return cu_reader_left(&sd) == 0 ? 0 : CU_EFORMAT;
}

static int parse(const uint8_t *buf, size_t len, struct dcap_quote *q)
{
	struct cu_reader r, whole;
	size_t body_end;
	int rc;

	if (len > DCAP_QUOTE_MAX)
		return CU_ELIMIT;
	cu_reader_init(&r, buf, len);
	if ((rc = read_header(&r, &q->hdr)) || (rc = read_body(&r, q)))
		return rc;
	body_end = r.off;
	cu_reader_init(&whole, buf, len);
	if ((rc = cu_read_bytes(&whole, q->signed_bytes, body_end)) != 0)
		return rc;
	q->signed_len = body_end;
	if ((rc = read_sig_data(&r, q)) != 0)
		return rc;
	q->trailing = cu_reader_left(&r);
	return 0;
}

int dcap_quote_parse(const uint8_t *buf, size_t len, struct dcap_quote **out)
{
	struct dcap_quote *q;
	int rc;

	*out = NULL;
	if (!buf && len)
		return CU_EINVAL;
	if (!(q = calloc(1, sizeof(*q))))
		return CU_ENOMEM;
	if ((rc = parse(buf, len, q)) != 0) {
		dcap_quote_free(q);
		return rc;
	}
	*out = q;
	return 0;
}

void dcap_quote_free(struct dcap_quote *q)
{
	if (!q)
		return;
	free(q->qe_auth);
	free(q->pck_pem);
	free(q);
}

/* --- human-readable decode ------------------------------------------------ */

struct show {
	dcap_field_fn fn;
	void *arg;
	const char *prefix;
	int rc;
};

static void emit(struct show *s, const char *name, const char *value)
{
	char full[96];

	if (s->rc)
		return;
	snprintf(full, sizeof(full), "%s.%s", s->prefix, name);
	s->rc = s->fn(s->arg, full, value);
}

static void emit_hex(struct show *s, const char *name, const uint8_t *p, size_t n)
{
	char hex[2 * DCAP_QE_AUTH_MAX + 1];

	if (n > DCAP_QE_AUTH_MAX || cu_hex_encode(p, n, hex, sizeof(hex)) != 0)
		snprintf(hex, sizeof(hex), "(%zu bytes)", n);
	emit(s, name, hex);
}

static void emit_u(struct show *s, const char *name, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	emit(s, name, num);
}

static void show_sgx(struct show *s, const struct dcap_sgx_report *r)
{
	emit_hex(s, "cpusvn", r->cpusvn, 16);
	emit_u(s, "miscselect", r->miscselect);
	emit_hex(s, "isv_ext_prod_id", r->isv_ext_prod_id, 16);
	emit_hex(s, "attributes", r->attributes, 16);
	emit(s, "debug", (r->attributes[0] & SGX_ATTR_DEBUG) ? "yes" : "no");
	emit_hex(s, "mrenclave", r->mrenclave, 32);
	emit_hex(s, "mrsigner", r->mrsigner, 32);
	emit_hex(s, "config_id", r->config_id, 64);
	emit_u(s, "isv_prod_id", r->isv_prod_id);
	emit_u(s, "isv_svn", r->isv_svn);
	emit_u(s, "config_svn", r->config_svn);
	emit_hex(s, "isv_family_id", r->isv_family_id, 16);
	emit_hex(s, "report_data", r->report_data, 64);
}

static void show_td(struct show *s, const struct dcap_td_report *t, int td15)
{
	static const char *const rtmr[] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};

	emit_hex(s, "tee_tcb_svn", t->tee_tcb_svn, 16);
	emit_hex(s, "mrseam", t->mrseam, 48);
	emit_hex(s, "mrsignerseam", t->mrsignerseam, 48);
	emit_hex(s, "seam_attributes", t->seam_attributes, 8);
	emit_hex(s, "td_attributes", t->td_attributes, 8);
	emit(s, "debug", (t->td_attributes[0] & 1) ? "yes" : "no");
	emit_hex(s, "xfam", t->xfam, 8);
	emit_hex(s, "mrtd", t->mrtd, 48);
	emit_hex(s, "mrconfigid", t->mrconfigid, 48);
	emit_hex(s, "mrowner", t->mrowner, 48);
	emit_hex(s, "mrownerconfig", t->mrownerconfig, 48);
	for (size_t i = 0; i < 4; i++)
		emit_hex(s, rtmr[i], t->rtmr[i], 48);
	emit_hex(s, "report_data", t->report_data, 64);
	if (td15) {
		emit_hex(s, "tee_tcb_svn2", t->tee_tcb_svn2, 16);
		emit_hex(s, "mrservicetd", t->mrservicetd, 48);
	}
}

static void show_header(struct show *s, const struct dcap_header *h)
{
	emit_u(s, "version", h->version);
	emit_u(s, "att_key_type", h->att_key_type);
	emit(s, "tee_type", h->tee_type == DCAP_TEE_TDX ? "tdx" : "sgx");
	emit_u(s, "qe_svn", h->qe_svn);
	emit_u(s, "pce_svn", h->pce_svn);
	emit_hex(s, "qe_vendor_id", h->qe_vendor_id, 16);
	emit_hex(s, "user_data", h->user_data, 20);
}

static void show_sig(struct show *s, const struct dcap_quote *q)
{
	emit_u(s, "length", q->sig_data_len);
	emit_hex(s, "signature", q->sig, DCAP_ECDSA_SIG_LEN);
	emit_hex(s, "attestation_key", q->att_key, DCAP_ECDSA_KEY_LEN);
	if (q->hdr.version > 3)
		emit_u(s, "cert_type", q->outer_cert_type);
	s->prefix = "sig.qe_report";
	show_sgx(s, &q->qe_report);
	s->prefix = "sig";
	emit_hex(s, "qe_report_signature", q->qe_report_sig, DCAP_ECDSA_SIG_LEN);
	emit_hex(s, "qe_auth_data", q->qe_auth, q->qe_auth_len);
	emit_u(s, "pck_cert_type", q->cert_type);
	emit(s, "pck_chain", q->pck_pem ? q->pck_pem : "");
}

int dcap_quote_show(const struct dcap_quote *q, dcap_field_fn fn, void *arg)
{
	static const char *const body_names[] = {"?", "sgx", "td10", "td15"};
	struct show s = {fn, arg, "header", 0};

	if (!q || !fn)
		return CU_EINVAL;
	show_header(&s, &q->hdr);
	s.prefix = "body";
	emit(&s, "type", body_names[q->body_type <= DCAP_BODY_TD15 ? q->body_type : 0]);
	if (q->body_type == DCAP_BODY_SGX)
		show_sgx(&s, &q->sgx);
	else
		show_td(&s, &q->td, q->body_type == DCAP_BODY_TD15);
	s.prefix = "sig";
	show_sig(&s, q);
	s.prefix = "quote";
	emit_u(&s, "trailing_bytes", q->trailing);
	return s.rc;
}

/*
 * dcap_tcb.c - TCB evaluation of an authentic DCAP quote against verified
 * collateral: QE identity, platform TCB level, TDX module identity, and how
 * their statuses combine (as Intel's QVL does; see docs/attestation.md).
 */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/time.h"
#include "tee/dcap_int.h"

#define TDX_MODULE_ID_FMT "TDX_%02X"

static const char *status_name(enum tee_tcb_status s)
{
	return tee_tcb_status_name(s);
}

static int check_platform_identity(const struct dcap_quote *q, const struct tee_sgx_ext *ext,
                                   const struct dcap_collateral *col, struct dcap_result *res)
{
	int tdx = q->hdr.tee_type == DCAP_TEE_TDX;
	const char *want_qe = tdx ? "TD_QE" : "QE";

	if (col->tcb.is_tdx != tdx)
		return dcap_fail(res, CU_ETCB, "TCB info is for %s but the quote is %s",
		                 col->tcb.is_tdx ? "TDX" : "SGX", tdx ? "TDX" : "SGX");
	if (strcmp(col->qe.id, want_qe) != 0)
		return dcap_fail(res, CU_ETCB, "QE identity is %s but the quote needs %s",
		                 col->qe.id, want_qe);
	if (memcmp(ext->fmspc, col->tcb.fmspc, sizeof(ext->fmspc)) != 0)
		return dcap_fail(res, CU_ETCB,
		                 "FMSPC %02X%02X%02X%02X%02X%02X of the PCK certificate is not "
		                 "the FMSPC of the TCB info",
		                 ext->fmspc[0], ext->fmspc[1], ext->fmspc[2], ext->fmspc[3],
		                 ext->fmspc[4], ext->fmspc[5]);
	if (memcmp(ext->pce_id, col->tcb.pce_id, sizeof(ext->pce_id)) != 0)
		return dcap_fail(res, CU_ETCB,
		                 "PCE ID of the PCK certificate is not that of the TCB info");
	return 0;
}

/* The first level whose ISV SVN the given one reaches (levels are in descending order). */
static const struct dcap_isv_level *isv_level(const struct dcap_isv_level *l, size_t n,
                                              uint16_t svn)
{
	for (size_t i = 0; i < n; i++)
		if (svn >= l[i].isvsvn)
			return &l[i];
	return NULL;
}

static int masked_eq(const uint8_t *a, const uint8_t *b, const uint8_t *mask, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((a[i] & mask[i]) != (b[i] & mask[i]))
			return 0;
	return 1;
}

static int check_qe(const struct dcap_quote *q, const struct dcap_qe_identity *id,
                    const struct dcap_isv_level **lvl, struct dcap_result *res)
{
	const struct dcap_sgx_report *r = &q->qe_report;

	*lvl = NULL;
	if (memcmp(r->mrsigner, id->mrsigner, 32) != 0)
		return dcap_fail(res, CU_EAUTH, "QE MRSIGNER is not that of the QE identity");
	if (r->isv_prod_id != id->isvprodid)
		return dcap_fail(res, CU_EAUTH, "QE ISVPRODID %u is not %u", r->isv_prod_id,
		                 id->isvprodid);
	if ((r->miscselect & id->miscselect_mask) != (id->miscselect & id->miscselect_mask))
		return dcap_fail(res, CU_EAUTH, "QE MISCSELECT does not match the QE identity");
	if (!masked_eq(r->attributes, id->attributes, id->attributes_mask, 16))
		return dcap_fail(res, CU_EAUTH, "QE ATTRIBUTES do not match the QE identity");
	if (!(*lvl = isv_level(id->levels, id->nlevels, r->isv_svn)))
		return dcap_fail(res, CU_ETCB,
		                 "QE ISVSVN %u is below every level of the QE identity",
		                 r->isv_svn);
	res->qe = (*lvl)->status;
	return 0;
}

/*
 * TEE TCB SVN bytes compared with tdxtcbcomponents: all 16, except that for
 * a TDX module of major version > 0 (byte 1) bytes 0 and 1 are judged by the
 * module identity instead.
 */
static size_t tdx_first_component(const struct dcap_quote *q)
{
	return q->td.tee_tcb_svn[1] > 0 ? 2 : 0;
}

/* -1 if l matches; else the index of the first short component (16: PCESVN, 32+i: TDX i). */
static int level_shortfall(const struct dcap_quote *q, const struct tee_sgx_ext *ext,
                           const struct dcap_tcb_level *l)
{
	for (int i = 0; i < 16; i++)
		if (ext->tcb_svn[i] < l->sgx[i])
			return i;
	if (ext->pcesvn < l->pcesvn)
		return 16;
	if (q->hdr.tee_type != DCAP_TEE_TDX)
		return -1;
	for (size_t i = tdx_first_component(q); i < 16; i++)
		if (q->td.tee_tcb_svn[i] < l->tdx[i])
			return 32 + (int)i;
	return -1;
}

static int no_level(const struct dcap_quote *q, const struct tee_sgx_ext *ext,
                    const struct dcap_tcb_info *t, struct dcap_result *res)
{
	const struct dcap_tcb_level *low = &t->levels[t->nlevels - 1];
	int c = level_shortfall(q, ext, low);
	char date[32] = "?";

	cu_time_format(low->date, date, sizeof(date));
	if (c == 16)
		return dcap_fail(
		    res, CU_ETCB,
		    "no TCB level matches: PCESVN is %u, even the lowest level (%s, %s) "
		    "needs %u",
		    ext->pcesvn, date, status_name(low->status), low->pcesvn);
	if (c >= 32)
		return dcap_fail(
		    res, CU_ETCB,
		    "no TCB level matches: TEE TCB SVN[%d] is %u, even the lowest level "
		    "(%s, %s) needs %u",
		    c - 32, q->td.tee_tcb_svn[c - 32], date, status_name(low->status),
		    low->tdx[c - 32]);
	if (c >= 0)
		return dcap_fail(
		    res, CU_ETCB,
		    "no TCB level matches: PCK TCB component %d (sgxtcbcomp%02dsvn) is "
		    "%u, even the lowest level (%s, %s) needs %u",
		    c + 1, c + 1, ext->tcb_svn[c], date, status_name(low->status), low->sgx[c]);
	return dcap_fail(res, CU_ETCB, "no TCB level matches");
}

static int match_level(const struct dcap_quote *q, const struct tee_sgx_ext *ext,
                       const struct dcap_tcb_info *t, const struct dcap_tcb_level **lvl,
                       struct dcap_result *res)
{
	*lvl = NULL;
	for (size_t i = 0; i < t->nlevels; i++) {
		if (level_shortfall(q, ext, &t->levels[i]) < 0) {
			*lvl = &t->levels[i];
			res->tcb_level = (int)i;
			res->platform = (*lvl)->status;
			return 0;
		}
	}
	return no_level(q, ext, t, res);
}

static int seam_matches(const struct dcap_quote *q, const struct dcap_tdx_module *m)
{
	return memcmp(q->td.mrsignerseam, m->mrsigner, 48) == 0 &&
	       masked_eq(q->td.seam_attributes, m->attributes, m->attributes_mask, 8);
}

/* The TDX module: its identity TDX_xx (major version > 0) or tdxModule. */
static int check_module(const struct dcap_quote *q, const struct dcap_tcb_info *t,
                        const struct dcap_isv_level **lvl, struct dcap_result *res)
{
	const struct dcap_tdx_module *m = NULL;
	char id[DCAP_ID_LEN];

	*lvl = NULL;
	if (q->td.tee_tcb_svn[1] == 0 || t->nids == 0) {
		if (t->has_module && !seam_matches(q, &t->module))
			return dcap_fail(res, CU_EAUTH,
			                 "TDX module signer or attributes do not match tdxModule");
		return 0;
	}
	snprintf(id, sizeof(id), TDX_MODULE_ID_FMT, q->td.tee_tcb_svn[1]);
	for (size_t i = 0; i < t->nids && !m; i++)
		if (!strcmp(t->ids[i].id, id))
			m = &t->ids[i];
	if (!m)
		return dcap_fail(res, CU_ETCB, "TDX module identity %s is not in the TCB info", id);
	if (!seam_matches(q, m))
		return dcap_fail(res, CU_EAUTH, "TDX module signer or attributes do not match %s",
		                 id);
	if (!(*lvl = isv_level(m->levels, m->nlevels, q->td.tee_tcb_svn[0])))
		return dcap_fail(res, CU_ETCB, "TDX module SVN %u is below every level of %s",
		                 q->td.tee_tcb_svn[0], id);
	memcpy(res->tdx_module_id, id, sizeof(id));
	res->tdx_module = (*lvl)->status;
	return 0;
}

/*
 * Intel's convergence: a QE or TDX module that is OutOfDate makes an
 * UpToDate or SWHardeningNeeded platform OutOfDate, and a platform that
 * needs configuration OutOfDateConfigurationNeeded; Revoked wins over all.
 */
static enum tee_tcb_status converge(enum tee_tcb_status platform, enum tee_tcb_status other)
{
	if (other == TEE_TCB_REVOKED)
		return TEE_TCB_REVOKED;
	if (other != TEE_TCB_OUT_OF_DATE && other != TEE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED)
		return platform;
	switch (platform) {
	case TEE_TCB_UP_TO_DATE:
	case TEE_TCB_SW_HARDENING_NEEDED:
		return TEE_TCB_OUT_OF_DATE;
	case TEE_TCB_CONFIGURATION_NEEDED:
	case TEE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED:
		return TEE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
	default:
		return platform;
	}
}

static void add_advisories(struct tee_claims *c, const struct dcap_advisories *a)
{
	for (size_t i = 0; i < a->n; i++) {
		size_t j;
		for (j = 0; j < c->advisory_count; j++)
			if (!strcmp(c->advisories[j], a->id[i]))
				break;
		if (j == c->advisory_count && c->advisory_count < TEE_MAX_ADVISORIES)
			memcpy(c->advisories[c->advisory_count++], a->id[i], TEE_ADVISORY_LEN);
	}
}

int dcap_tcb_evaluate(const struct dcap_quote *q, const struct tee_sgx_ext *ext,
                      const struct dcap_collateral *col, struct tee_claims *claims,
                      struct dcap_result *res)
{
	const struct dcap_isv_level *qe, *mod = NULL;
	const struct dcap_tcb_level *lvl;
	enum tee_tcb_status st;
	int rc;

	if ((rc = check_platform_identity(q, ext, col, res)) ||
	    (rc = check_qe(q, &col->qe, &qe, res)))
		return rc;
	if ((rc = match_level(q, ext, &col->tcb, &lvl, res)) != 0)
		return rc;
	if (q->hdr.tee_type == DCAP_TEE_TDX && (rc = check_module(q, &col->tcb, &mod, res)) != 0)
		return rc;
	st = lvl->status;
	add_advisories(claims, &lvl->adv);
	if (mod) {
		st = converge(st, mod->status);
		add_advisories(claims, &mod->adv);
	}
	st = converge(st, qe->status);
	add_advisories(claims, &qe->adv);
	claims->tcb_status = st;
	claims->tcb_date = lvl->date;
	if (st == TEE_TCB_REVOKED)
		return dcap_fail(res, CU_EREVOKED, "TCB is revoked (platform %s, QE %s%s%s)",
		                 status_name(lvl->status), status_name(qe->status),
		                 mod ? ", module " : "", mod ? status_name(mod->status) : "");
	if (mod)
		snprintf(res->reason, sizeof(res->reason), "TCB %s (platform %s, %s %s, QE %s)",
		         status_name(st), status_name(lvl->status), res->tdx_module_id,
		         status_name(mod->status), status_name(qe->status));
	else
		snprintf(res->reason, sizeof(res->reason), "TCB %s (platform %s, QE %s)",
		         status_name(st), status_name(lvl->status), status_name(qe->status));
	return 0;
}

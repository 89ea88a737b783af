/* errors.c - the error codes of libcustos and how the platform's replies map onto them. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "client/client_int.h"
#include "common/err.h"

struct err_row {
	int err;
	const char *code;
	const char *text;
};

static const struct err_row err_rows[] = {
    {CUSTOS_OK, "ok", "success"},
    {CUSTOS_EINVAL, "invalid_request", "invalid request"},
    {CUSTOS_EUNAUTHENTICATED, "unauthenticated", "not authenticated (log in)"},
    {CUSTOS_EFORBIDDEN, "forbidden", "forbidden"},
    {CUSTOS_ENOTFOUND, "not_found", "not found"},
    {CUSTOS_EEXISTS, "exists", "already exists"},
    {CUSTOS_ESTATE, "invalid_state", "not allowed in the current state"},
    {CUSTOS_EQUOTA, "quota_exceeded", "quota exceeded"},
    {CUSTOS_ETIMEOUT, "timeout", "timed out"},
    {CUSTOS_EATTEST, "attestation", "the manifest or the platform's attestation was refused"},
    {CUSTOS_EIO, "io", "input/output or network failure"},
    {CUSTOS_ENOMEM, "no_memory", "out of memory"},
    {CUSTOS_ETOOLARGE, "too_large", "too large"},
    {CUSTOS_ESERVER, "internal", "the platform failed"},
    {CUSTOS_EPROTO, "protocol", "unexpected answer from the platform"},
};

static const struct err_row *err_find(int err)
{
	for (size_t i = 0; i < sizeof(err_rows) / sizeof(err_rows[0]); i++)
		if (err_rows[i].err == err)
			return &err_rows[i];
	return NULL;
}

const char *custos_strerror(int err)
{
	const struct err_row *r = err_find(err);

	return r ? r->text : "unknown error";
}

const char *custos_error_code(int err)
{
	const struct err_row *r = err_find(err);

	return r ? r->code : "unknown";
}

/* The contract's words; "io", "attestation" and the like are ours, never the server's. */
static const struct err_row *code_find(const char *code)
{
	for (size_t i = 1; code && i <= (size_t)-CUSTOS_EPROTO; i++)
		if (!strcmp(err_rows[i].code, code) && err_rows[i].err != CUSTOS_EIO &&
		    err_rows[i].err != CUSTOS_EATTEST && err_rows[i].err != CUSTOS_ENOMEM &&
		    err_rows[i].err != CUSTOS_EPROTO)
			return &err_rows[i];
	return NULL;
}

int cl_map_http(long status, const char *code)
{
	const struct err_row *r = code_find(code);

	if (r)
		return r->err;
	switch (status) {
	case 400:
		return CUSTOS_EINVAL;
	case 401:
		return CUSTOS_EUNAUTHENTICATED;
	case 403:
		return CUSTOS_EFORBIDDEN;
	case 404:
		return CUSTOS_ENOTFOUND;
	case 409:
		return CUSTOS_ESTATE;
	case 413:
		return CUSTOS_ETOOLARGE;
	case 429:
		return CUSTOS_EQUOTA;
	case 504:
		return CUSTOS_ETIMEOUT;
	default:
		return status >= 500 && status <= 599 ? CUSTOS_ESERVER : CUSTOS_EPROTO;
	}
}

int cl_map_cu(int cu_err)
{
	switch (cu_err) {
	case 0:
		return CUSTOS_OK;
	case CU_ENOMEM:
		return CUSTOS_ENOMEM;
	case CU_EIO:
	case CU_ENET:
		return CUSTOS_EIO;
	case CU_ETIMEOUT:
		return CUSTOS_ETIMEOUT;
	case CU_ELIMIT:
		return CUSTOS_ETOOLARGE;
	case CU_ENOTFOUND:
		return CUSTOS_ENOTFOUND;
	case CU_EEXISTS:
		return CUSTOS_EEXISTS;
	case CU_EPERM:
		return CUSTOS_EFORBIDDEN;
	case CU_ESTATE:
		return CUSTOS_ESTATE;
	case CU_EAUTH:
	case CU_EEXPIRED:
	case CU_EREVOKED:
	case CU_EPOLICY:
	case CU_EUNTRUSTED:
	case CU_ETCB:
	case CU_ETLS:
		return CUSTOS_EATTEST;
	case CU_EFORMAT:
	case CU_ETRUNC:
	case CU_EUNSUPPORTED:
	case CU_EKEY:
	case CU_EINVAL:
		return CUSTOS_EINVAL;
	default:
		return CUSTOS_ESERVER;
	}
}

int cl_fail(struct custos_client *c, int err, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (!c)
		return err;
	c->err = err;
	n = (size_t)snprintf(c->error, sizeof(c->error), "%s: ", custos_error_code(err));
	if (n < sizeof(c->error)) {
		va_start(ap, fmt);
		vsnprintf(c->error + n, sizeof(c->error) - n, fmt, ap);
		va_end(ap);
	}
	for (char *p = c->error; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return err;
}

const char *custos_last_error(const struct custos_client *c)
{
	return c ? c->error : "no client";
}

#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>

struct err_entry {
	const char *name;
	const char *text;
};

static const struct err_entry err_table[] = {
    [0] = {"OK", "success"},
    [-CU_ENOMEM] = {"ENOMEM", "out of memory"},
    [-CU_EINVAL] = {"EINVAL", "invalid argument"},
    [-CU_ETRUNC] = {"ETRUNC", "input is truncated"},
    [-CU_EFORMAT] = {"EFORMAT", "input is malformed"},
    [-CU_EAUTH] = {"EAUTH", "authentication failed (wrong key or tampered data)"},
    [-CU_EIO] = {"EIO", "input/output error"},
    [-CU_ECRYPTO] = {"ECRYPTO", "cryptographic library failure"},
    [-CU_ELIMIT] = {"ELIMIT", "size or count exceeds its limit"},
    [-CU_EUNSUPPORTED] = {"EUNSUPPORTED", "unsupported version, algorithm or feature"},
    [-CU_ENOTFOUND] = {"ENOTFOUND", "not found"},
    [-CU_EEXPIRED] = {"EEXPIRED", "outside its validity period"},
    [-CU_EREVOKED] = {"EREVOKED", "revoked"},
    [-CU_EPOLICY] = {"EPOLICY", "refused by policy"},
    [-CU_EPERM] = {"EPERM", "permission denied"},
    [-CU_EEXISTS] = {"EEXISTS", "already exists"},
    [-CU_ESTATE] = {"ESTATE", "not allowed in the current state"},
    [-CU_ETIMEOUT] = {"ETIMEOUT", "timed out"},
    [-CU_ETRAP] = {"ETRAP", "trap in sandboxed code"},
    [-CU_EUNTRUSTED] = {"EUNTRUSTED", "does not chain to a trusted root"},
    [-CU_ETCB] = {"ETCB", "no TCB level matches the platform"},
    [-CU_ENET] = {"ENET", "network error"},
    [-CU_EKEY] = {"EKEY", "wrong or unusable key"},
    [-CU_ETLS] = {"ETLS", "TLS handshake failed or peer not verified"},
};

static const struct err_entry *err_lookup(int err)
{
	if (err > 0 || err <= CU_ELAST)
		return 0;
	return &err_table[-err];
}

const char *cu_strerror(int err)
{
	const struct err_entry *e = err_lookup(err);
	return e && e->text ? e->text : "unknown error";
}

const char *cu_errname(int err)
{
	const struct err_entry *e = err_lookup(err);
	return e && e->name ? e->name : "EUNKNOWN";
}

int cu_reason(char *buf, size_t sz, int rc, const char *fmt, ...)
{
	va_list ap;

	if (buf && sz) {
		va_start(ap, fmt);
		vsnprintf(buf, sz, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/*
 * err.h - the one error enum of Custos.
 *
 * Every function that can fail returns int: 0 on success, or one of the
 * negative CU_E* values below. cu_strerror() names each; it never returns
 * NULL and never allocates.
 */
#ifndef CUSTOS_COMMON_ERR_H
#define CUSTOS_COMMON_ERR_H

#include <stddef.h>

enum cu_err {
	CU_OK = 0,
	CU_ENOMEM = -1,       /* allocation failed */
	CU_EINVAL = -2,       /* invalid argument from the caller */
	CU_ETRUNC = -3,       /* input ends before a field it announces */
	CU_EFORMAT = -4,      /* input is malformed */
	CU_EAUTH = -5,        /* authentication failed: tag, signature or MAC */
	CU_EIO = -6,          /* an operating-system I/O call failed */
	CU_ECRYPTO = -7,      /* the crypto library failed unexpectedly */
	CU_ELIMIT = -8,       /* a size or count exceeds its named maximum */
	CU_EUNSUPPORTED = -9, /* a version, algorithm or feature we do not handle */
	CU_ENOTFOUND = -10,   /* the named object does not exist */
	CU_EEXPIRED = -11,    /* outside a validity window at the given time */
	CU_EREVOKED = -12,    /* a certificate or TCB level is revoked */
	CU_EPOLICY = -13,     /* authentic, but the policy refuses it */
	CU_EPERM = -14,       /* the caller may not do this */
	CU_EEXISTS = -15,     /* the object exists already */
	CU_ESTATE = -16,      /* not allowed in the current state */
	CU_ETIMEOUT = -17,    /* a deadline passed */
	CU_ETRAP = -18,       /* sandboxed code trapped */
	CU_EUNTRUSTED = -19,  /* a chain does not lead to a pinned root */
	CU_ETCB = -20,        /* no TCB level matches the platform */
	CU_ENET = -21,        /* a network peer failed or refused */
	CU_EKEY = -22,        /* wrong or unusable key */
	CU_ETLS = -23,        /* a TLS handshake failed or the peer was not verified */
	CU_ELAST = -24
};

/* A fixed English description of err (0 or a CU_E* value). */
const char *cu_strerror(int err);

/* The enum identifier without its prefix ("ENOMEM", ...), for JSON error codes. */
const char *cu_errname(int err);

/*
 * Write a human-readable reason (printf-style) into buf[0..sz) when buf is
 * not NULL, and return rc: `return cu_reason(why, whysz, CU_EAUTH, "...")`.
 */
int cu_reason(char *buf, size_t sz, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif

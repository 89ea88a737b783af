/*
 * password_check.c - is a password in a list of exposed passwords?
 * (Teaclave's builtin-password-check.)
 *
 * Input "password": the password on its first line (surrounding blanks
 * trimmed; nothing else but blank lines may follow). Input
 * "exposed_passwords": one password a line, each trimmed, blank lines
 * skipped. Result: "true" or "false".
 *
 * Neither party sees the other's data. The password is compared with every
 * entry, each through its SHA-256 and a constant-time comparison, with no
 * early exit: the time taken depends on the list's size, not on where or
 * whether the password appears. The password's copies are wiped.
 */
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "crypto/hash.h"
#include "functions/builtins_int.h"

#define FN_PASSWORD_MAX 1024

static int is_blank(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

/* Trim p[0..*n) of blanks on both sides; returns the new start. */
static const uint8_t *trim(const uint8_t *p, size_t *n)
{
	while (*n && is_blank(p[0])) {
		p++;
		--*n;
	}
	while (*n && is_blank(p[*n - 1]))
		--*n;
	return p;
}

/* The next line of in from *pos (without its LF), trimmed. */
static const uint8_t *next_line(const struct fn_input *in, size_t *pos, size_t *n)
{
	const uint8_t *p = in->data + *pos;
	const uint8_t *nl = memchr(p, '\n', in->len - *pos);

	*n = nl ? (size_t)(nl - p) : in->len - *pos;
	*pos += *n + (nl != NULL);
	return trim(p, n);
}

static int password_digest(struct fn_ctx *c, const struct fn_input *in,
                           uint8_t d[static CR_SHA256_LEN])
{
	size_t pos = 0, n, rest;
	const uint8_t *p;

	if (!in->len)
		return fn_fail(c, CU_EFORMAT, "the input \"password\" is empty");
	p = next_line(in, &pos, &n);
	if (!n)
		return fn_fail(c, CU_EFORMAT, "the first line of the input \"password\" is empty");
	if (n > FN_PASSWORD_MAX)
		return fn_fail(c, CU_ELIMIT, "the password is longer than %d bytes",
		               FN_PASSWORD_MAX);
	rest = in->len - pos;
	trim(in->data + pos, &rest);
	if (rest)
		return fn_fail(c, CU_EFORMAT, "the input \"password\" must hold one line");
	if (cr_sha256(p, n, d))
		return fn_fail(c, CU_ECRYPTO, "SHA-256 failed");
	return 0;
}

int fn_password_check(struct fn_ctx *c)
{
	const struct fn_input *pw = fn_input(c, "password");
	const struct fn_input *list = fn_input(c, "exposed_passwords");
	uint8_t want[CR_SHA256_LEN], got[CR_SHA256_LEN];
	size_t pos = 0, n;
	int found = 0, rc;

	if (!pw || !list)
		return fn_fail(c, CU_EINVAL,
		               "password-check needs the inputs \"password\" and "
		               "\"exposed_passwords\"");
	if ((rc = password_digest(c, pw, want)))
		goto out;
	while (pos < list->len) {
		const uint8_t *p = next_line(list, &pos, &n);
		if (!n)
			continue;
		if (cr_sha256(p, n, got)) {
			rc = fn_fail(c, CU_ECRYPTO, "SHA-256 failed");
			goto out;
		}
		found |= cu_ct_eq(want, got, sizeof(want));
	}
	fn_result(c, "%s", found ? "true" : "false");
out:
	cu_wipe(want, sizeof(want));
	cu_wipe(got, sizeof(got));
	return rc;
}

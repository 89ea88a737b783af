/* args.c - NAME=VALUE and NAME=OWNER,OWNER forms of the command line. */
#include <stdlib.h>
#include <string.h>

#include "client/args.h"
#include "common/err.h"
#include "common/mem.h"

int cl_arg_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n > CL_ARG_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '=' ||
		    s[i] == ',')
			return 0;
	return 1;
}

int cl_user_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n > CL_USER_MAX || s[0] == '-' || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '@' || c == '-'))
			return 0;
	}
	return 1;
}

static int value_ok(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return 0;
	return 1;
}

/* The name before the first '=' (malloc'd) and where the rest starts (NULL: no '='). */
static int split(const char *s, char **name, const char **rest)
{
	const char *eq = s ? strchr(s, '=') : NULL;
	size_t n = eq ? (size_t)(eq - s) : (s ? strlen(s) : 0);

	*name = NULL;
	*rest = NULL;
	if (!s || !n)
		return CU_EFORMAT;
	if (n > CL_ARG_NAME_MAX)
		return CU_ELIMIT;
	if (!(*name = malloc(n + 1)))
		return CU_ENOMEM;
	memcpy(*name, s, n);
	(*name)[n] = 0;
	if (!cl_arg_name_ok(*name)) {
		free(*name);
		*name = NULL;
		return CU_EFORMAT;
	}
	*rest = eq ? eq + 1 : NULL;
	return 0;
}

int cl_parse_kv(const char *s, int value_required, char **name, char **value)
{
	const char *rest;
	int rc;

	*value = NULL;
	if ((rc = split(s, name, &rest)))
		return rc;
	if (!rest)
		rc = value_required ? CU_EFORMAT : 0;
	else if (strlen(rest) > CL_ARG_VALUE_MAX)
		rc = CU_ELIMIT;
	else if (!value_ok(rest))
		rc = CU_EFORMAT;
	else if (!(*value = cu_strdup(rest)))
		rc = CU_ENOMEM;
	if (rc) {
		free(*name);
		*name = NULL;
	}
	return rc;
}

void cl_owners_free(char **owners, size_t n)
{
	for (size_t i = 0; owners && i < n; i++)
		free(owners[i]);
	free(owners);
}

/* Append the owner s[0..len) unless malformed or already there. */
static int add_owner(char **v, size_t *n, const char *s, size_t len)
{
	char *o;

	if (!len || len > CL_USER_MAX)
		return CU_EFORMAT;
	if (*n >= CL_OWNERS_MAX)
		return CU_ELIMIT;
	if (!(o = malloc(len + 1)))
		return CU_ENOMEM;
	memcpy(o, s, len);
	o[len] = 0;
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(v[i], o))
			goto bad;
	if (!cl_user_ok(o))
		goto bad;
	v[(*n)++] = o;
	return 0;
bad:
	free(o);
	return CU_EFORMAT;
}

int cl_parse_owners(const char *s, char **name, char ***owners, size_t *n)
{
	const char *rest, *p;
	char **v = NULL;
	size_t len;
	int rc;

	*owners = NULL;
	*n = 0;
	if ((rc = split(s, name, &rest)))
		return rc;
	if (!rest || !*rest) {
		rc = CU_EFORMAT;
		goto out;
	}
	if (!(v = cu_calloc(CL_OWNERS_MAX, sizeof(*v)))) {
		rc = CU_ENOMEM;
		goto out;
	}
	for (p = rest;; p += len + 1) {
		len = strcspn(p, ",");
		if ((rc = add_owner(v, n, p, len)) || !p[len])
			break;
	}
out:
	if (rc) {
		cl_owners_free(v, *n);
		*n = 0;
		free(*name);
		*name = NULL;
		return rc;
	}
	*owners = v;
	return 0;
}

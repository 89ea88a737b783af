/* audit.c - the audit calls of the API (platform-admin). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "client/client_int.h"

int custos_audit_query(struct custos_client *c, uint64_t from, const char *user, char **json)
{
	char path[CL_PATH_MAX], u[3 * CUSTOS_ID_MAX];
	int n;

	if (json)
		*json = NULL;
	if (!c)
		return CUSTOS_EINVAL;
	if (user && (!*user || strlen(user) >= CUSTOS_ID_MAX || cl_pct_encode(user, u, sizeof(u))))
		return cl_fail(c, CUSTOS_EINVAL, "a user id is 1..%d characters",
		               CUSTOS_ID_MAX - 1);
	if (user)
		n = snprintf(path, sizeof(path), "/v1/audit?from=%" PRIu64 "&user=%s", from, u);
	else
		n = snprintf(path, sizeof(path), "/v1/audit?from=%" PRIu64, from);
	if (n < 0 || (size_t)n >= sizeof(path))
		return cl_fail(c, CUSTOS_EINVAL, "request path too long");
	return cl_call_text(c, "GET", path, NULL, json);
}

int custos_audit_verify(struct custos_client *c, char **json)
{
	if (json)
		*json = NULL;
	if (!c)
		return CUSTOS_EINVAL;
	return cl_call_text(c, "GET", "/v1/audit/verify", NULL, json);
}

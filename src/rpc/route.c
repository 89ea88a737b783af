/*
 * route.c - the route table: exact paths, and wildcard routes with one star
 * segment (a segment that is exactly "*", last or not) that takes any one
 * non-empty segment. Matching runs on the decoded path, so that an encoded
 * '/' ("%2F") cannot smuggle a second segment into a parameter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "rpc/server_int.h"

static const char *const methods[] = {"GET", "POST", "PUT", "DELETE"};

static int method_known(const char *m)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(m, methods[i]))
			return 1;
	return 0;
}

/* A byte a route path may hold in a literal segment. */
static int path_byte_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '?' && c != '#' && c != '%' && c != '*';
}

/* Segments are non-empty and literal, except at most one that is exactly "*". */
int rpc_route_check(const char *method, const char *path)
{
	size_t len;
	int stars = 0;

	if (!method || !path || !method_known(method))
		return CU_EINVAL;
	len = strlen(path);
	if (len == 0 || len > RPC_ROUTE_PATH_MAX || path[0] != '/')
		return CU_EINVAL;
	if (len == 1)
		return 0;
	for (const char *seg = path + 1;;) {
		size_t n = strcspn(seg, "/");

		if (n == 0)
			return CU_EINVAL; /* an empty segment, or a trailing '/' */
		if (n == 1 && seg[0] == '*') {
			if (++stars > 1)
				return CU_EINVAL;
		} else {
			for (size_t i = 0; i < n; i++)
				if (!path_byte_ok((unsigned char)seg[i]))
					return CU_EINVAL;
		}
		if (!seg[n])
			return 0;
		seg += n + 1;
	}
}

int rpc_server_route(struct rpc_server *s, const char *method, const char *path, rpc_handler_fn fn,
                     void *arg)
{
	struct rpc_route *r, *grown;

	if (!s || !fn || rpc_route_check(method, path))
		return CU_EINVAL;
	if (s->listening)
		return CU_ESTATE;
	for (size_t i = 0; i < s->nroutes; i++) {
		r = &s->routes[i];
		if (!strcmp(r->method, method) && !strcmp(r->path, path))
			return CU_EEXISTS;
	}
	if (s->nroutes == RPC_ROUTES_MAX)
		return CU_ELIMIT;
	grown = realloc(s->routes, (s->nroutes + 1) * sizeof(*grown));
	if (!grown)
		return CU_ENOMEM;
	s->routes = grown;
	r = &s->routes[s->nroutes];
	memset(r, 0, sizeof(*r));
	if (!(r->path = cu_strdup(path)))
		return CU_ENOMEM;
	r->wildcard = strstr(path, "/*") != NULL;
	memcpy(r->method, method, strlen(method) + 1); /* method_known() bounded it */
	r->fn = fn;
	r->arg = arg;
	s->nroutes++;
	return 0;
}

/*
 * Whether r matches path, segment by segment; the star segment matches one
 * non-empty segment other than "." and "..", whose place and length go to
 * *seg and *seglen.
 */
static int match(const struct rpc_route *r, const char *path, const char **seg, size_t *seglen)
{
	const char *a = r->path, *b = path;

	*seg = NULL;
	*seglen = 0;
	if (!r->wildcard)
		return !strcmp(a, b);
	while (*a == '/' && *b == '/') {
		size_t na = strcspn(++a, "/"), nb = strcspn(++b, "/");

		if (na == 1 && *a == '*') {
			if (!nb || (nb == 1 && *b == '.') || (nb == 2 && !strncmp(b, "..", 2)))
				return 0;
			*seg = b;
			*seglen = nb;
		} else if (na != nb || strncmp(a, b, na)) {
			return 0;
		}
		a += na;
		b += nb;
	}
	return !*a && !*b;
}

static void allow_add(char *allow, size_t allowsz, const char *method)
{
	size_t n;

	if (!allow || !allowsz || strstr(allow, method))
		return;
	n = strlen(allow);
	snprintf(allow + n, allowsz - n, "%s%s", n ? ", " : "", method);
}

const struct rpc_route *rpc_route_find(const struct rpc_server *s, const char *method,
                                       const char *path, char **param, int *path_known, char *allow,
                                       size_t allowsz)
{
	const struct rpc_route *best = NULL;
	const char *seg, *best_seg = NULL;
	size_t seglen, best_len = 0;

	*param = NULL;
	*path_known = 0;
	if (allow && allowsz)
		allow[0] = '\0';
	for (size_t i = 0; i < s->nroutes; i++) {
		const struct rpc_route *r = &s->routes[i];
		if (!match(r, path, &seg, &seglen))
			continue;
		*path_known = 1;
		allow_add(allow, allowsz, r->method);
		if (strcmp(r->method, method))
			continue;
		/* An exact route wins over a wildcard one. */
		if (!best || (best->wildcard && !r->wildcard)) {
			best = r;
			best_seg = seg;
			best_len = seglen;
		}
	}
	if (best && best->wildcard)
		*param = strndup(best_seg, best_len);
	return best;
}

void rpc_routes_free(struct rpc_server *s)
{
	for (size_t i = 0; i < s->nroutes; i++)
		free(s->routes[i].path);
	free(s->routes);
	s->routes = NULL;
	s->nroutes = 0;
}

/*
 * route.c - the route table: exact paths, and wildcard routes (ending in a
 * star segment) that take one more non-empty segment. Matching runs on the
 * decoded path, so that an encoded '/' ("%2F") cannot smuggle a second
 * segment into a parameter.
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

/* A byte a route path may hold outside its final star segment. */
static int path_byte_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '?' && c != '#' && c != '%' && c != '*';
}

int rpc_route_check(const char *method, const char *path)
{
	size_t len, end;

	if (!method || !path || !method_known(method))
		return CU_EINVAL;
	len = strlen(path);
	if (len == 0 || len > RPC_ROUTE_PATH_MAX || path[0] != '/')
		return CU_EINVAL;
	end = len >= 2 && !strcmp(path + len - 2, "/*") ? len - 1 : len;
	for (size_t i = 0; i < end; i++) {
		if (!path_byte_ok((unsigned char)path[i]))
			return CU_EINVAL;
		/* No empty segment, but "/" alone and the wildcard's own '/' are fine. */
		if (path[i] == '/' && i + 1 < len && path[i + 1] == '/')
			return CU_EINVAL;
	}
	if (end == len && len > 1 && path[len - 1] == '/')
		return CU_EINVAL;
	return 0;
}

int rpc_server_route(struct rpc_server *s, const char *method, const char *path, rpc_handler_fn fn,
                     void *arg)
{
	struct rpc_route *r, *grown;
	size_t len;

	if (!s || !fn || rpc_route_check(method, path))
		return CU_EINVAL;
	if (s->listening)
		return CU_ESTATE;
	for (size_t i = 0; i < s->nroutes; i++) {
		r = &s->routes[i];
		len = strlen(r->path);
		if (!strcmp(r->method, method) && !strncmp(r->path, path, len) &&
		    !strcmp(path + len, r->wildcard ? "*" : ""))
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
	len = strlen(path);
	r->wildcard = path[len - 1] == '*';
	if (r->wildcard)
		r->path[len - 1] = '\0';
	memcpy(r->method, method, strlen(method) + 1); /* method_known() bounded it */
	r->fn = fn;
	r->arg = arg;
	s->nroutes++;
	return 0;
}

/* The wildcard segment of path for r, or NULL when r does not match path. */
static const char *match(const struct rpc_route *r, const char *path)
{
	size_t len = strlen(r->path);
	const char *seg;

	if (!r->wildcard)
		return strcmp(r->path, path) ? NULL : path + strlen(path);
	if (strncmp(r->path, path, len))
		return NULL;
	seg = path + len;
	if (!*seg || strchr(seg, '/') || !strcmp(seg, ".") || !strcmp(seg, ".."))
		return NULL;
	return seg;
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
                                       const char *path, const char **param, int *path_known,
                                       char *allow, size_t allowsz)
{
	const struct rpc_route *best = NULL;
	const char *seg, *best_seg = NULL;

	*param = NULL;
	*path_known = 0;
	if (allow && allowsz)
		allow[0] = '\0';
	for (size_t i = 0; i < s->nroutes; i++) {
		const struct rpc_route *r = &s->routes[i];
		if (!(seg = match(r, path)))
			continue;
		*path_known = 1;
		allow_add(allow, allowsz, r->method);
		if (strcmp(r->method, method))
			continue;
		/* An exact route wins over a wildcard one. */
		if (!best || (best->wildcard && !r->wildcard)) {
			best = r;
			best_seg = seg;
		}
	}
	if (best && best->wildcard)
		*param = best_seg;
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

/*
 * listen.c - binding the server to "HOST:PORT" and naming what was bound.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/http.h>

#include "common/err.h"
#include "rpc/server_int.h"

/* Split "HOST:PORT" or "[V6]:PORT" into host (without brackets) and port. */
static int split(const char *hp, char host[static RPC_ADDR_LEN], unsigned *port)
{
	const char *colon, *h = hp;
	size_t hl;
	char *end;
	unsigned long p;

	if (!hp)
		return CU_EINVAL;
	if (hp[0] == '[') {
		const char *close = strchr(hp, ']');
		if (!close || close[1] != ':')
			return CU_EINVAL;
		h = hp + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(hp, ':');
		if (!colon || memchr(hp, ':', (size_t)(colon - hp)))
			return CU_EINVAL;
		hl = (size_t)(colon - hp);
	}
	if (hl == 0 || hl >= RPC_ADDR_LEN || colon[1] < '0' || colon[1] > '9')
		return CU_EINVAL;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || *end || p > 65535)
		return CU_EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (unsigned)p;
	return 0;
}

static int name_bound(struct evhttp_bound_socket *b, char *bound, size_t boundsz)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	int n;

	if (getsockname(evhttp_bound_socket_get_fd(b), (struct sockaddr *)&ss, &len) ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), serv, sizeof(serv),
	                NI_NUMERICHOST | NI_NUMERICSERV))
		return CU_EIO;
	n = snprintf(bound, boundsz, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
	return n < 0 || (size_t)n >= boundsz ? CU_ELIMIT : 0;
}

int rpc_server_listen(struct rpc_server *s, const char *host_port, char *bound, size_t boundsz)
{
	char host[RPC_ADDR_LEN];
	unsigned port;
	struct evhttp_bound_socket *b;
	int rc, one = 1;

	if (bound && boundsz)
		bound[0] = '\0';
	if (!s || (rc = split(host_port, host, &port)))
		return CU_EINVAL;
	if (!(b = evhttp_bind_socket_with_handle(s->http, host, (ev_uint16_t)port)))
		return CU_EIO; /* errno says why */
	s->listening = 1;
	/*
	 * Replies go out as two TLS records (headers, body): without NODELAY
	 * the second waits for the client's delayed ACK, some 40 ms a call.
	 * Linux hands the option on to every accepted socket.
	 */
	if (setsockopt(evhttp_bound_socket_get_fd(b), IPPROTO_TCP, TCP_NODELAY, &one,
	               sizeof(one))) {
		evhttp_del_accept_socket(s->http, b);
		return CU_EIO;
	}
	if (bound && boundsz && (rc = name_bound(b, bound, boundsz))) {
		evhttp_del_accept_socket(s->http, b);
		return rc;
	}
	return 0;
}

/*
 * client_int.h - the client's state, shared by client.c and call.c.
 */
#ifndef CUSTOS_RPC_CLIENT_INT_H
#define CUSTOS_RPC_CLIENT_INT_H

#include <curl/curl.h>

#include "common/buf.h"
#include "rpc/rpc.h"

#define RPC_URL_MAX                    2048 /* bytes of base URL and path together */
#define RPC_TOKEN_MAX                  4096 /* bytes of a bearer token */
#define RPC_CONNECT_TIMEOUT_DEFAULT_MS 10000L

struct rpc_client {
	CURL *curl; /* one easy handle: its connection cache keeps the connection alive */
	char *base_url;
	rpc_ssl_setup_fn ssl_setup;
	void *ssl_arg;
	size_t max_response;
	char *token; /* secret: wiped when replaced or freed */
	struct cu_buf response;
	int too_big;      /* the response passed max_response */
	int setup_failed; /* ssl_setup refused the connection */
	char errbuf[CURL_ERROR_SIZE];
};

#endif

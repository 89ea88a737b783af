/*
 * custosd_api.c - the routes of the daemon's HTTP API (DESIGN.md section 6).
 *
 *   GET /v1/health       {"status": "ok", "version": "..."}
 *   GET /v1/attestation  what a verifier learns from the certificate this
 *                        connection presented: TEE type, measurement, TCB
 *                        status, the certificate (PEM) and its notAfter.
 *
 * /v1/attestation answers for the certificate of the connection that asks,
 * not for the newest one: a client compares it with the certificate it
 * verified in the handshake, and a renewal between the two must not make
 * them differ.
 */
#include <openssl/ssl.h>
#include <stdlib.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "daemon/custosd.h"

static void health(void *arg, struct rpc_request *req)
{
	(void)arg;
	rpc_reply_json(req, 200, json_pack("{s:s,s:s}", "status", "ok", "version", CUSTOS_VERSION));
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
	char hex[2 * TEE_MEASUREMENT_MAX + 1];

	if (!n || cu_hex_encode(p, n, hex, sizeof(hex)))
		return json_null();
	return json_string(hex);
}

static json_t *attestation_json(const struct tee_claims *c, int64_t not_after, const char *pem)
{
	char until[32];

	if (cu_time_format(not_after, until, sizeof(until)))
		return NULL;
	return json_pack("{s:s,s:b,s:b,s:o,s:o,s:I,s:s,s:s,s:s}", "tee", tee_type_name(c->type),
	                 "simulated", c->simulated, "debug", c->debug, "measurement",
	                 hex_json(c->measurement, c->measurement_len), "signer",
	                 hex_json(c->signer, c->signer_len), "security_version",
	                 (json_int_t)c->security_version, "tcb_status",
	                 tee_tcb_status_name(c->tcb_status), "certificate", pem, "not_after",
	                 until);
}

/* A connection still on an older certificate: inspect that one. */
static void reply_older(struct custosd *d, struct rpc_request *req, X509 *cert)
{
	struct tee_claims claims;
	char why[RATLS_REASON_LEN], *pem = NULL;
	int64_t not_after;
	json_t *body;

	if (custosd_inspect(d, cert, cu_time_now(), &claims, &not_after, why, sizeof(why))) {
		rpc_reply_error(req, 503, "certificate_expired",
		                "this connection's certificate no longer verifies (%s); reconnect",
		                why);
		return;
	}
	if (!(pem = custosd_cert_pem(cert)) || !(body = attestation_json(&claims, not_after, pem)))
		rpc_reply_error(req, 500, "internal", "out of memory");
	else
		rpc_reply_json(req, 200, body);
	free(pem);
}

static void attestation(void *arg, struct rpc_request *req)
{
	struct custosd *d = arg;
	SSL *ssl = rpc_request_ssl(req);
	X509 *presented = ssl ? SSL_get_certificate(ssl) : NULL;
	json_t *body;

	if (presented && presented != ratls_identity_cert(d->cur.id)) {
		reply_older(d, req, presented);
		return;
	}
	if (!(body = attestation_json(&d->cur.claims, d->cur.not_after, d->cur.pem)))
		rpc_reply_error(req, 500, "internal", "out of memory");
	else
		rpc_reply_json(req, 200, body);
}

int custosd_api_routes(struct custosd *d)
{
	int rc;

	if ((rc = rpc_server_route(d->server, "GET", "/v1/health", health, d)) ||
	    (rc = rpc_server_route(d->server, "GET", "/v1/attestation", attestation, d)))
		cu_error("cannot add the API's routes: %s", cu_strerror(rc));
	return rc;
}

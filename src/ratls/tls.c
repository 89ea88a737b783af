/*
 * tls.c - OpenSSL contexts that speak RA-TLS: a server presenting an
 * identity and, for mutual attestation, verifying its clients; a client
 * setup (for curl's SSL_CTX) that verifies the server.
 *
 * The verification replaces OpenSSL's chain building
 * (SSL_CTX_set_cert_verify_callback): an RA-TLS certificate is self-signed
 * and vouched for by its evidence, not by a CA. What the verifier accepted
 * is attached to the SSL, for ratls_peer_of(). TLS 1.3 only, and no
 * session resumption: every connection presents and verifies a
 * certificate, so a peer's claims are always those of a full handshake.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "ratls/internal.h"

static int peer_index = -1;
static pthread_once_t peer_once = PTHREAD_ONCE_INIT;

static void peer_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	free(ptr);
}

static void peer_index_init(void)
{
	peer_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, peer_free);
}

static int get_peer_index(void)
{
	pthread_once(&peer_once, peer_index_init);
	return peer_index;
}

/* OpenSSL's hook: verify the leaf as RA-TLS; the rest of the chain is ignored. */
static int verify_cb(X509_STORE_CTX *xs, void *arg)
{
	struct ratls_verifier *v = arg;
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	X509 *leaf = X509_STORE_CTX_get0_cert(xs);
	struct ratls_peer *p;
	int idx = get_peer_index();

	if (idx < 0 || !ssl || !leaf || !(p = malloc(sizeof(*p)))) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_OUT_OF_MEM);
		return 0;
	}
	if (ratls_verify_cert(v, leaf, p, NULL, 0)) {
		free(p);
		X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	free(SSL_get_ex_data(ssl, idx));
	if (!SSL_set_ex_data(ssl, idx, p)) {
		free(p);
		X509_STORE_CTX_set_error(xs, X509_V_ERR_OUT_OF_MEM);
		return 0;
	}
	X509_STORE_CTX_set_error(xs, X509_V_OK);
	return 1;
}

/* TLS 1.3 only, no tickets, no session cache. */
static int harden(SSL_CTX *ctx)
{
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION))
		return CU_ECRYPTO;
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return 0;
}

static int use_identity(SSL_CTX *ctx, const struct ratls_identity *id)
{
	if (SSL_CTX_use_certificate(ctx, ratls_identity_cert(id)) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, ratls_identity_key(id)) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		return CU_EKEY;
	return 0;
}

int ratls_server_ctx_new(const struct ratls_identity *id, struct ratls_verifier *verifier,
                         int require_peer, SSL_CTX **out)
{
	SSL_CTX *ctx;
	int rc;

	*out = NULL;
	if (!id)
		return CU_EINVAL;
	if (!(ctx = SSL_CTX_new(TLS_server_method())))
		return CU_ENOMEM;
	if ((rc = harden(ctx)) || (rc = use_identity(ctx, id)))
		goto out;
	if (verifier) {
		SSL_CTX_set_verify(
		    ctx, SSL_VERIFY_PEER | (require_peer ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
		    NULL);
		SSL_CTX_set_cert_verify_callback(ctx, verify_cb, verifier);
	}
	*out = ctx;
	ctx = NULL;
out:
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

int ratls_client_ctx_setup(SSL_CTX *ctx, struct ratls_verifier *verifier,
                           const struct ratls_identity *id)
{
	int rc;

	if (!ctx || !verifier)
		return CU_EINVAL;
	if ((rc = harden(ctx)) || (id && (rc = use_identity(ctx, id)))) {
		ERR_clear_error();
		return rc;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, verify_cb, verifier);
	return 0;
}

int ratls_peer_of(SSL *ssl, struct ratls_peer *out)
{
	const struct ratls_peer *p;
	int idx = get_peer_index();

	memset(out, 0, sizeof(*out));
	if (!ssl || idx < 0)
		return CU_EINVAL;
	if (!(p = SSL_get_ex_data(ssl, idx)))
		return CU_ENOTFOUND;
	*out = *p;
	return 0;
}

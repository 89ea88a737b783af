/*
 * custosd_identity.c - the daemon's RA-TLS identity and its renewal.
 *
 * A certificate is short-lived (ratls.h). Before it expires a timer makes
 * a new identity and server context and hands the context to the server:
 * connections accepted from then on present the new certificate, those
 * established keep theirs (rpc_server_set_ssl_ctx). A failed renewal is
 * retried with a growing backoff that always fires before the current
 * certificate's notAfter.
 *
 * Every certificate is inspected by the daemon itself before it is used,
 * with its own TEE's endorsement pinned: what /v1/attestation reports are
 * the claims a verifier gets from that certificate, not what the daemon
 * believes about itself.
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "crypto/hash.h"
#include "daemon/custosd.h"

char *custosd_cert_pem(X509 *cert)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (b && PEM_write_bio_X509(b, cert) == 1 && (n = BIO_get_mem_data(b, &data)) > 0 &&
	    (out = malloc((size_t)n + 1))) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(b);
	ERR_clear_error();
	return out;
}

int custosd_inspect(const struct custosd *d, X509 *cert, int64_t now, struct tee_claims *claims,
                    int64_t *not_after, char *reason, size_t reasonsz)
{
	struct ratls_info *info = malloc(sizeof(*info));
	int rc;

	memset(claims, 0, sizeof(*claims));
	*not_after = 0;
	if (!info)
		return cu_reason(reason, reasonsz, CU_ENOMEM, "out of memory");
	rc = ratls_cert_inspect(cert, now, &d->trust, info);
	if (rc) {
		cu_reason(reason, reasonsz, rc, "%s", info->reason);
	} else {
		*claims = info->claims;
		*not_after = info->not_after;
	}
	free(info);
	return rc;
}

static void cert_clear(struct custosd_cert *c)
{
	SSL_CTX_free(c->ctx);
	SSL_CTX_free(c->wctx);
	ratls_identity_free(c->id);
	free(c->pem);
	memset(c, 0, sizeof(*c));
}

/* A new identity and context at now, checked by inspection. Logs why on failure. */
static int cert_make(struct custosd *d, int64_t now, struct custosd_cert *out)
{
	char why[RATLS_REASON_LEN];
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = ratls_identity_new(d->tee, now, d->lifetime, &out->id))) {
		cu_error("cannot make an RA-TLS certificate with %s: %s", d->tee_name,
		         cu_strerror(rc));
		goto out;
	}
	if ((rc = custosd_inspect(d, ratls_identity_cert(out->id), now, &out->claims,
	                          &out->not_after, why, sizeof(why)))) {
		cu_error("the RA-TLS certificate just made does not verify: %s", why);
		goto out;
	}
	if ((rc = ratls_server_ctx_new(out->id, NULL, 0, &out->ctx)) ||
	    (d->peer_trust && d->role != CUSTOSD_WORKER &&
	     (rc = ratls_server_ctx_new(out->id, d->peer_trust->verifier, 1, &out->wctx)))) {
		cu_error("cannot make a TLS context: %s", cu_strerror(rc));
		goto out;
	}
	if (!(out->pem = custosd_cert_pem(ratls_identity_cert(out->id)))) {
		rc = CU_ENOMEM;
		cu_error("cannot encode the certificate: %s", cu_strerror(rc));
	}
out:
	if (rc)
		cert_clear(out);
	return rc;
}

/*
 * Pin the simulation root that our own TEE hands out, so that our own
 * certificates verify. The other backends have no endorsement to give.
 */
static int pin_own_root(struct custosd *d)
{
	uint8_t *der = NULL;
	size_t len = 0;
	int rc = tee_get_endorsement(d->tee, &der, &len);

	if (rc == CU_ENOTFOUND && tee_get_type(d->tee) != TEE_SIM)
		return 0;
	if (!rc) {
		rc = cr_sha256(der, len, d->trust.sim_root_sha256);
		d->trust.has_sim_root = !rc;
	}
	free(der);
	return rc;
}

static void log_cert(const char *what, const struct custosd_cert *c)
{
	char until[32] = "?", m[2 * TEE_MEASUREMENT_MAX + 1] = "";

	(void)cu_time_format(c->not_after, until, sizeof(until));
	(void)cu_hex_encode(c->claims.measurement, c->claims.measurement_len, m, sizeof(m));
	cu_info("%s: %s%s measurement %.16s..., valid until %s", what,
	        tee_type_name(c->claims.type), c->claims.simulated ? " (SIMULATED)" : "", m, until);
}

int custosd_identity_start(struct custosd *d)
{
	int rc;

	if ((rc = pin_own_root(d))) {
		if (rc == CU_ENOTFOUND)
			cu_error("cannot reach %s: nothing listens there (is it running?)",
			         d->tee_name);
		else
			cu_error("cannot get the endorsement of %s: %s", d->tee_name,
			         cu_strerror(rc));
		return rc;
	}
	if ((rc = cert_make(d, cu_time_now(), &d->cur)))
		return rc;
	log_cert("certificate", &d->cur);
	return 0;
}

/* Seconds from now until the renewal of c, never less than the minimum. */
static int64_t renew_delay(const struct custosd_cert *c, int64_t now)
{
	int64_t at = ratls_identity_renew_at(c->id);

	return at - now < CUSTOSD_RENEW_MIN_S ? CUSTOSD_RENEW_MIN_S : at - now;
}

/*
 * After a failure: double the backoff, but fire before the certificate
 * expires; once it has, retry often (no new client can connect meanwhile).
 */
static int64_t retry_delay(struct custosd *d, int64_t now)
{
	int64_t left = d->cur.not_after - now, cap;

	d->retry_s = d->retry_s ? d->retry_s * 2 : CUSTOSD_RENEW_MIN_S;
	if (d->retry_s > CUSTOSD_RETRY_MAX_S)
		d->retry_s = CUSTOSD_RETRY_MAX_S;
	cap = left > 0 ? left / 2 : CUSTOSD_RETRY_EXPIRED_S;
	if (cap < CUSTOSD_RENEW_MIN_S)
		cap = CUSTOSD_RENEW_MIN_S;
	return d->retry_s < cap ? d->retry_s : cap;
}

static int arm(struct custosd *d, int64_t seconds)
{
	struct timeval tv = {.tv_sec = (time_t)seconds};

	return evtimer_add(d->renew_ev, &tv) ? CU_ENOMEM : 0;
}

static void on_renew(evutil_socket_t fd, short what, void *arg)
{
	struct custosd *d = arg;
	struct custosd_cert next;
	int64_t now = cu_time_now(), delay;
	char until[32] = "?";

	(void)fd, (void)what;
	if (cert_make(d, now, &next)) {
		delay = retry_delay(d, now);
		(void)cu_time_format(d->cur.not_after, until, sizeof(until));
		cu_warn("certificate renewal failed; retrying in %lld s (the current certificate "
		        "%s %s)",
		        (long long)delay, d->cur.not_after > now ? "expires" : "EXPIRED", until);
	} else {
		rpc_server_set_ssl_ctx(d->server, next.ctx);
		if (d->wserver)
			rpc_server_set_ssl_ctx(d->wserver, next.wctx);
		cert_clear(&d->cur);
		d->cur = next;
		d->retry_s = 0;
		delay = renew_delay(&d->cur, now);
		log_cert("renewed the certificate", &d->cur);
	}
	if (arm(d, delay))
		cu_error("cannot arm the renewal timer: certificates will expire");
}

int custosd_identity_renew(struct custosd *d)
{
	struct custosd_cert next;
	int rc;

	if ((rc = cert_make(d, cu_time_now(), &next)))
		return rc;
	cert_clear(&d->cur);
	d->cur = next;
	log_cert("renewed the certificate", &d->cur);
	return 0;
}

int custosd_identity_schedule(struct custosd *d)
{
	if (!(d->renew_ev = evtimer_new(d->base, on_renew, d)))
		return CU_ENOMEM;
	return arm(d, renew_delay(&d->cur, cu_time_now()));
}

void custosd_identity_stop(struct custosd *d)
{
	if (d->renew_ev)
		event_free(d->renew_ev);
	d->renew_ev = NULL;
	cert_clear(&d->cur);
}

/*
 * custosd.h - the Custos daemon (internal).
 *
 * custosd.c          options, the data directory, start-up, signals, the loop
 * custosd_identity.c the RA-TLS identity: made from the TEE, checked against
 *                    itself, renewed on a timer without dropping service
 * custosd_api.c      the HTTP routes: /v1/health, /v1/attestation
 * custosd_platform.c the control plane: store, platform, its routes, long
 *                    polls, the worker thread
 * custosd_workers.c  the control plane's side of remote workers: their own
 *                    listener (mutual RA-TLS), registration, tasks pushed to
 *                    their long polls, heartbeats, lost workers
 * custosd_worker.c   --role worker: attest the control plane, register, run
 *                    the jobs it pushes, heartbeat
 *
 * Everything runs on one libevent loop in one thread, but the in-process
 * worker, which runs tasks on a thread of its own: the TEE (struct tee is
 * used by one thread at a time) is only touched from the loop.
 */
#ifndef CUSTOS_DAEMON_CUSTOSD_H
#define CUSTOS_DAEMON_CUSTOSD_H

#include <openssl/ssl.h>
#include <stdint.h>

#include "client/trust.h"
#include "ratls/ratls.h"
#include "rpc/rpc.h"
#include "tee/claims.h"
#include "tee/manifest.h"
#include "tee/tee.h"

#define CUSTOSD_LIFETIME_DEFAULT RATLS_LIFETIME_MAX /* seconds a certificate lives */
#define CUSTOSD_RENEW_MIN_S      1                  /* never re-arm sooner than this */
#define CUSTOSD_RETRY_MAX_S      60                 /* longest backoff after a failed renewal */
#define CUSTOSD_RETRY_EXPIRED_S  5    /* longest backoff once the certificate has expired */
#define CUSTOSD_TEE_TIMEOUT_MS   5000 /* one request to the TEE: the loop waits on it */

#define CUSTOSD_HEARTBEAT_MS 500          /* a worker's heartbeat while it runs a task */
#define CUSTOSD_LEASE_MS     3000         /* silence after which a worker is lost */
#define CUSTOSD_POLL_S       5            /* a worker's long poll for work */
#define CUSTOSD_WORKER_BODY  (256u << 20) /* bytes of a job or a reply between workers */

enum custosd_role { CUSTOSD_ALL = 0, CUSTOSD_CONTROL, CUSTOSD_WORKER };

/* Whom to trust at the other end of a worker link: a manifest k of n auditors signed. */
struct custosd_peers {
	const char *manifest;
	const char *signatures[TEE_MANIFEST_MAX_SIGS];
	size_t nsignatures;
	const char *auditors[TEE_MANIFEST_MAX_AUDITORS];
	size_t nauditors;
	uint64_t threshold; /* 0: all the auditors given */
	int allow_simulation;
};

/*
 * One generation of the identity: the key and certificate, the server
 * context presenting them, and what an inspection of that certificate
 * verified (the claims /v1/attestation reports).
 */
struct custosd_cert {
	struct ratls_identity *id;
	SSL_CTX *ctx;  /* users: no client certificate */
	SSL_CTX *wctx; /* workers: mutual, when d->peer_trust is set */
	struct tee_claims claims;
	int64_t not_after;
	char *pem; /* the certificate, PEM, NUL-terminated */
};

struct custosd {
	struct event_base *base;
	struct tee *tee;
	char tee_name[160]; /* for messages: "custos-simtee at PATH", "the sgx TEE" */
	struct rpc_server *server;
	struct event *renew_ev;
	/* Pins the simulation root this daemon's TEE gave it, so that it can
	   verify its own certificates (a client pins the manifest's). */
	struct ratls_trust trust;
	int64_t lifetime; /* --cert-lifetime: seconds from now to notAfter */
	int64_t retry_s;  /* the backoff after failed renewals; 0 after a success */
	struct custosd_cert cur;
	struct custosd_plat *plat;
	enum custosd_role role;
	/* Remote workers (control side): the verifier of their certificates
	   (the manifest's "worker" role), their listener, their registry. */
	struct cl_trust *peer_trust;
	struct rpc_server *wserver;
	struct custosd_workers *workers;
};

/*
 * Pin the TEE's own endorsement (sim: custos-simtee's root), make the first
 * certificate and its context into d->cur. Logs why on failure, in one
 * line.
 */
int custosd_identity_start(struct custosd *d);

/* Arm the renewal timer for d->cur (after rpc_server_new: it swaps contexts). */
int custosd_identity_schedule(struct custosd *d);

/* --role worker: make a new identity into d->cur now (no server to swap). */
int custosd_identity_renew(struct custosd *d);

/* Free the timer and d->cur. */
void custosd_identity_stop(struct custosd *d);

/*
 * Inspect cert (one of ours, maybe an older generation still used by a
 * connection) at now with d's trust into claims. Returns 0 or the error of
 * ratls_cert_inspect, with reason.
 */
int custosd_inspect(const struct custosd *d, X509 *cert, int64_t now, struct tee_claims *claims,
                    int64_t *not_after, char *reason, size_t reasonsz);

/* PEM of cert as a malloc'd NUL-terminated string, or NULL. */
char *custosd_cert_pem(X509 *cert);

/* Add the routes of the API to d->server. */
int custosd_api_routes(struct custosd *d);

/*
 * Open the store in data_dir under the TEE's sealing key, and the platform
 * (the admin from admin_pw_file, or a random password printed once).
 */
int custosd_platform_start(struct custosd *d, const char *data_dir, const char *admin_pw_file);
/* Add the platform's routes to d->server and start the worker. */
int custosd_platform_serve(struct custosd *d);
/* Stop the worker, answer waiting clients, close the platform and store. */
void custosd_platform_stop(struct custosd *d);
/* The platform of d (after custosd_platform_start). */
struct platform *custosd_platform(struct custosd *d);

/*
 * Control side: listen for remote workers on host_port (mutual RA-TLS:
 * a worker must attest against the manifest's "worker" role of peers),
 * and push them staged tasks. After custosd_platform_serve.
 */
int custosd_workers_start(struct custosd *d, const struct custosd_peers *peers,
                          const char *host_port);
/* Wake the dispatcher: a task was staged (any thread). */
void custosd_workers_kick(struct custosd *d);
/* Answer parked polls; free the registry and the listener. */
void custosd_workers_stop(struct custosd *d);

/*
 * --role worker: attest the control plane at url against the manifest's
 * "control" role of peers, present our own RA-TLS certificate, register,
 * and run what it pushes until SIGTERM or SIGINT. Returns 0 after a signal.
 */
int custosd_worker_run(struct custosd *d, const struct custosd_peers *peers, const char *url,
                       const char *name);

#endif

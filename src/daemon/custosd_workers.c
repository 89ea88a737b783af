/*
 * custosd_workers.c - the control plane's side of remote workers
 * (custosd --worker-listen; docs/workers.md).
 *
 * Workers connect to a listener of their own, where TLS is mutual and
 * required: a worker presents an RA-TLS certificate that must match the
 * manifest's "worker" role, so only attested workers reach these routes,
 * and only they ever receive a job (which carries file keys). Users keep
 * the main listener, which asks them for no certificate.
 *
 *   POST /v1/workers                {"name"}  -> {"worker", "heartbeat_ms", "lease_ms", "poll_s"}
 *   POST /v1/workers/ID/poll?wait=S           -> {"task", "job"} or {} after S seconds
 *   POST /v1/workers/ID/heartbeat   {"task"}  -> {"cancel": bool}
 *   POST /v1/workers/ID/done        {"task", "reply"} | {"task", "error"} | {"task", "abandon"}
 *
 * A worker is bound to the key of the certificate it registered with: a
 * call from another key gets 404 and the worker registers again (as it
 * does after renewing its certificate). A staged task goes at once to a
 * worker whose poll is parked (the platform's on_staged wakes the
 * dispatcher), else to the next poll. Every call counts as a sign of
 * life; a worker that holds a task and is silent for CUSTOSD_LEASE_MS is
 * lost: plat_remote_lost() queues the task again or fails it.
 *
 * Everything here runs on the event loop's thread, but custosd_workers_kick.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/mem.h"
#include "crypto/rand.h"
#include "daemon/custosd.h"
#include "platform/platform.h"

#define WORKERS_MAX     1024
#define WORKER_NAME_MAX 64
#define REAP_MS         250

struct rworker {
	char id[PLAT_ID_MAX + 1];
	char name[WORKER_NAME_MAX + 1];
	uint8_t spki[32]; /* the key it registered with */
	int64_t last_ms;  /* its last call */
	struct rpc_request *poll;
	struct event *poll_timer;
	char task[PLAT_ID_MAX + 1]; /* the task it holds, or "" */
	int started;                /* it acknowledged the task */
	struct custosd_workers *ws;
	struct rworker *next;
};

enum route { R_REGISTER, R_POLL, R_HEARTBEAT, R_DONE, R_COUNT };

struct wroute {
	struct custosd_workers *ws;
	enum route r;
};

struct custosd_workers {
	struct custosd *d;
	struct platform *p;
	struct rworker *list;
	size_t n;
	struct event *kick_ev, *reap_ev;
	struct wroute routes[R_COUNT];
};

/* A fresh worker id: "worker-" and 16 random hex digits. */
static int new_id(char id[PLAT_ID_MAX + 1])
{
	uint8_t r[8];
	char hex[17];

	if (cr_random(r, sizeof(r)) || cu_hex_encode(r, sizeof(r), hex, sizeof(hex)))
		return CU_ECRYPTO;
	snprintf(id, PLAT_ID_MAX + 1, "worker-%s", hex);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The key of the connection's peer (its RA-TLS certificate, verified at the handshake). */
static int peer_key(struct rpc_request *req, uint8_t spki[32])
{
	struct ratls_peer peer;
	SSL *ssl = rpc_request_ssl(req);

	if (!ssl || ratls_peer_of(ssl, &peer))
		return CU_EAUTH;
	memcpy(spki, peer.spki_sha256, 32);
	return 0;
}

/* The worker of the path's id, called from its own key; else replied 404 and NULL. */
static struct rworker *caller(struct custosd_workers *ws, struct rpc_request *req)
{
	const char *id = rpc_request_param(req);
	uint8_t spki[32];
	struct rworker *w;

	if (!peer_key(req, spki))
		for (w = ws->list; w; w = w->next)
			if (id && !strcmp(w->id, id) && !memcmp(w->spki, spki, 32)) {
				w->last_ms = now_ms();
				return w;
			}
	rpc_reply_error(req, 404, "not_found", "no such worker: register again");
	return NULL;
}

/* Answer w's parked poll; its lease runs from now, as from any call. */
static void poll_end(struct rworker *w, json_t *body)
{
	if (!w->poll) {
		cu_json_free_secret(body);
		return;
	}
	w->last_ms = now_ms();
	evtimer_del(w->poll_timer);
	rpc_reply_json(w->poll, 200, body);
	w->poll = NULL;
}

/* The worker holds no task any more, or is gone: what it held is lost. */
static void drop_task(struct rworker *w, const char *why)
{
	int rc;

	if (!w->task[0])
		return;
	cu_warn("worker %s (%s) %s while it %s task %s", w->id, w->name, why,
	        w->started ? "ran" : "was given", w->task);
	if ((rc = plat_remote_lost(w->ws->p, w->id, w->task, w->started)))
		cu_error("cannot end task %s of a lost worker: %s", w->task, cu_strerror(rc));
	w->task[0] = '\0';
	w->started = 0;
}

static void worker_free(struct rworker *w)
{
	poll_end(w, NULL);
	if (w->poll_timer)
		event_free(w->poll_timer);
	free(w);
}

static void unlink_worker(struct custosd_workers *ws, struct rworker *w)
{
	for (struct rworker **pp = &ws->list; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			ws->n--;
			return;
		}
}

/* Give w the next staged task, if there is one: 1 when given, 0 when none. */
static int give(struct rworker *w, struct rpc_request *req)
{
	char tid[PLAT_ID_MAX + 1];
	json_t *job = NULL, *body;
	int rc = plat_remote_take(w->ws->p, w->id, tid, &job);

	if (rc) {
		if (rc != CU_ENOTFOUND)
			cu_error("cannot take a task for worker %s: %s", w->id, cu_strerror(rc));
		return 0;
	}
	snprintf(w->task, sizeof(w->task), "%s", tid);
	w->started = 0;
	w->last_ms = now_ms(); /* the lease of the task runs from now */
	if (!(body = json_pack("{s:s, s:o}", "task", tid, "job", job))) {
		cu_json_free_secret(job);
		drop_task(w, "could not be sent its job");
		rpc_reply_error(req, 500, "internal", "out of memory");
		return 1;
	}
	cu_debug("task %s goes to worker %s (%s)", tid, w->id, w->name);
	rpc_reply_json(req, 200, body);
	return 1;
}

/* ---- dispatch: staged tasks to parked polls ---- */

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct custosd_workers *ws = arg;
	struct rworker *w, *next, *served = NULL;

	(void)fd, (void)what;
	for (w = ws->list; w; w = next) {
		struct rpc_request *req = w->poll;

		next = w->next;
		if (!req)
			continue;
		if (!rpc_request_ssl(
		        req)) { /* its connection is gone: it will poll again or be reaped */
			poll_end(w, NULL);
			continue;
		}
		evtimer_del(w->poll_timer);
		w->poll = NULL;
		if (!give(w, req)) {
			w->poll = req; /* nothing to give: park it again */
			evtimer_add(w->poll_timer, &(struct timeval){.tv_sec = CUSTOSD_POLL_S});
			break;
		}
		served = w;
	}
	/* The worker served last goes to the back: the next task goes to another one. */
	if (served && served->next) {
		unlink_worker(ws, served);
		ws->n++;
		for (w = ws->list; w->next; w = w->next)
			;
		w->next = served;
		served->next = NULL;
	}
}

void custosd_workers_kick(struct custosd *d)
{
	if (d->workers && d->workers->kick_ev)
		event_active(d->workers->kick_ev, EV_READ, 0);
}

static void on_poll_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct rworker *w = arg;

	(void)fd, (void)what;
	poll_end(w, json_object());
}

/* ---- the lost ---- */

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct custosd_workers *ws = arg;
	struct rworker *w, *next;
	int64_t now = now_ms();

	(void)fd, (void)what;
	for (w = ws->list; w; w = next) {
		int parked = w->poll && rpc_request_ssl(w->poll);

		next = w->next;
		if (parked || now - w->last_ms <= CUSTOSD_LEASE_MS)
			continue;
		if (w->task[0])
			drop_task(w, "was lost (no heartbeat)");
		else
			cu_info("worker %s (%s) is gone", w->id, w->name);
		unlink_worker(ws, w);
		worker_free(w);
	}
	evtimer_add(ws->reap_ev, &(struct timeval){.tv_usec = REAP_MS * 1000});
}

/* ---- the routes ---- */

static void do_register(struct custosd_workers *ws, struct rpc_request *req)
{
	const char *name = NULL;
	struct rworker *w;
	json_t *in = NULL;

	if (ws->n >= WORKERS_MAX) {
		rpc_reply_error(req, 503, "unavailable", "too many workers");
		return;
	}
	if (rpc_request_json(req, &in))
		return;
	if (cu_json_get_str(in, "name", &name) || !*name || strlen(name) > WORKER_NAME_MAX) {
		json_decref(in);
		rpc_reply_error(req, 400, "invalid_request", "\"name\" wants 1..%d bytes",
		                WORKER_NAME_MAX);
		return;
	}
	if (!(w = calloc(1, sizeof(*w))) || new_id(w->id) || peer_key(req, w->spki) ||
	    !(w->poll_timer = evtimer_new(ws->d->base, on_poll_timeout, w))) {
		json_decref(in);
		free(w);
		rpc_reply_error(req, 500, "internal", "cannot register the worker");
		return;
	}
	snprintf(w->name, sizeof(w->name), "%s", name);
	json_decref(in);
	w->ws = ws;
	w->last_ms = now_ms();
	w->next = ws->list;
	ws->list = w;
	ws->n++;
	cu_info("worker %s (%s) registered from %s", w->id, w->name, rpc_request_peer(req));
	rpc_reply_json(req, 200,
	               json_pack("{s:s, s:i, s:i, s:i}", "worker", w->id, "heartbeat_ms",
	                         CUSTOSD_HEARTBEAT_MS, "lease_ms", CUSTOSD_LEASE_MS, "poll_s",
	                         CUSTOSD_POLL_S));
}

static void do_poll(struct rworker *w, struct rpc_request *req)
{
	const char *ws = rpc_request_query(req, "wait");
	char *end;
	long secs = 0;

	if (ws) {
		errno = 0;
		secs = strtol(ws, &end, 10);
		if (errno || *end || ws[0] < '0' || ws[0] > '9' || secs > 60) {
			rpc_reply_error(req, 400, "invalid_request", "wait wants 0 to 60 seconds");
			return;
		}
	}
	/* A worker asks for work only when it holds none: what it held is lost. */
	drop_task(w, "asked for work");
	poll_end(w, json_object()); /* an older poll of the same worker */
	if (give(w, req))
		return;
	if (!secs) {
		rpc_reply_json(req, 200, json_object());
		return;
	}
	w->poll = req;
	evtimer_add(w->poll_timer, &(struct timeval){.tv_sec = secs});
}

static const char *task_of(struct rworker *w, const json_t *in, struct rpc_request *req)
{
	const char *task = NULL;

	if (cu_json_get_str(in, "task", &task)) {
		rpc_reply_error(req, 400, "invalid_request", "\"task\" is missing");
		return NULL;
	}
	if (strcmp(task, w->task)) {
		rpc_reply_json(req, 409,
		               json_pack("{s:b, s:{s:s, s:s}}", "cancel", 1, "error", "code",
		                         "invalid_state", "message",
		                         "the task is not this worker's"));
		return NULL;
	}
	return task;
}

static void do_heartbeat(struct rworker *w, struct rpc_request *req)
{
	json_t *in = NULL;

	if (rpc_request_json(req, &in))
		return;
	if (task_of(w, in, req)) {
		w->started = 1;
		rpc_reply_json(
		    req, 200,
		    json_pack("{s:b}", "cancel", plat_remote_check(w->ws->p, w->id, w->task) != 0));
	}
	json_decref(in);
}

static void do_done(struct rworker *w, struct rpc_request *req)
{
	const json_t *reply;
	const char *error = NULL;
	json_t *in = NULL;
	int rc;

	if (rpc_request_json(req, &in))
		return;
	if (!task_of(w, in, req))
		goto out;
	w->started = 1;
	reply = json_object_get(in, "reply");
	if (json_is_true(json_object_get(in, "abandon"))) {
		drop_task(w, "abandoned its task");
		rpc_reply_json(req, 200, json_object());
		goto out;
	}
	if (!json_is_object(reply) && cu_json_get_str(in, "error", &error)) {
		rpc_reply_error(req, 400, "invalid_request", "\"reply\" or \"error\" is missing");
		goto out;
	}
	rc =
	    plat_remote_done(w->ws->p, w->id, w->task, json_is_object(reply) ? reply : NULL, error);
	w->task[0] = '\0';
	w->started = 0;
	if (rc && rc != CU_ESTATE)
		cu_error("cannot end the task of worker %s: %s", w->id, cu_strerror(rc));
	rpc_reply_json(req, 200, json_object());
out:
	cu_json_free_secret(in); /* the reply holds the task's result */
}

static void handle(void *arg, struct rpc_request *req)
{
	struct wroute *r = arg;
	struct rworker *w;

	if (r->r == R_REGISTER) {
		do_register(r->ws, req);
		return;
	}
	if (!(w = caller(r->ws, req)))
		return;
	if (r->r == R_POLL)
		do_poll(w, req);
	else if (r->r == R_HEARTBEAT)
		do_heartbeat(w, req);
	else
		do_done(w, req);
}

int custosd_workers_start(struct custosd *d, const struct custosd_peers *peers,
                          const char *host_port)
{
	static const char *const paths[] = {"/v1/workers", "/v1/workers/*/poll",
	                                    "/v1/workers/*/heartbeat", "/v1/workers/*/done"};
	struct rpc_server_options o = {.max_body = CUSTOSD_WORKER_BODY};
	struct custosd_workers *ws;
	char bound[RPC_ADDR_LEN];
	int rc;

	(void)peers; /* d->peer_trust was made of them */
	if (!d->peer_trust || !d->cur.wctx)
		return CU_EINVAL;
	if (!(ws = calloc(1, sizeof(*ws))))
		return CU_ENOMEM;
	d->workers = ws;
	ws->d = d;
	ws->p = custosd_platform(d);
	if (!(ws->kick_ev = event_new(d->base, -1, 0, on_kick, ws)) ||
	    !(ws->reap_ev = evtimer_new(d->base, on_reap, ws)) ||
	    evtimer_add(ws->reap_ev, &(struct timeval){.tv_usec = REAP_MS * 1000}))
		return CU_ENOMEM;
	if ((rc = rpc_server_new(d->base, d->cur.wctx, &o, &d->wserver))) {
		cu_error("cannot make the workers' server: %s", cu_strerror(rc));
		return rc;
	}
	for (size_t i = 0; i < R_COUNT; i++) {
		ws->routes[i] = (struct wroute){ws, (enum route)i};
		if ((rc = rpc_server_route(d->wserver, "POST", paths[i], handle, &ws->routes[i])))
			return rc;
	}
	errno = 0;
	if ((rc = rpc_server_listen(d->wserver, host_port, bound, sizeof(bound)))) {
		cu_error("cannot listen for workers on %s: %s", host_port,
		         errno ? strerror(errno) : cu_strerror(rc));
		return rc;
	}
	cu_info("listening for workers on %s", bound);
	return 0;
}

void custosd_workers_stop(struct custosd *d)
{
	struct custosd_workers *ws = d->workers;
	struct rworker *w;

	if (!ws)
		return;
	while ((w = ws->list)) {
		ws->list = w->next;
		if (w->poll)
			rpc_reply_error(w->poll, 503, "unavailable", "the platform is stopping");
		w->poll = NULL;
		worker_free(w);
	}
	if (ws->kick_ev)
		event_free(ws->kick_ev);
	if (ws->reap_ev)
		event_free(ws->reap_ev);
	rpc_server_free(d->wserver);
	d->wserver = NULL;
	free(ws);
	d->workers = NULL;
}

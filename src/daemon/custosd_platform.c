/*
 * custosd_platform.c - the control plane in the daemon: the sealed store
 * under the TEE's sealing key, the platform, its HTTP routes, long polls on
 * tasks, and the in-process worker thread.
 *
 * Threads: the event loop serves every request; the worker thread runs
 * staged tasks. The platform and the store are thread-safe. The worker is
 * woken by a condition variable the moment a task is staged (no polling);
 * when a task ends, its id is put on a list and an event on the loop
 * answers the clients waiting on it (libevent made thread-aware with
 * evthread_use_pthreads, so that event_active may be called from the
 * worker).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/err.h"
#include "common/file.h"
#include "common/json.h"
#include "common/log.h"
#include "common/mem.h"
#include "daemon/custosd.h"
#include "platform/platform.h"
#include "store/store.h"

#define STORE_FILE      "store.db"
#define STORE_KEY_LABEL "custos-store-v1"
#define WAIT_MAX_S      60
#define DONE_MAX        1024 /* ended task ids not yet handed to waiters */

struct route_def {
	const char *method, *path, *op;
};

/* The API (docs/api.yaml). A star segment goes to the operation as "id". */
static const struct route_def routes[] = {
    {"POST", "/v1/login", "user.login"},
    {"POST", "/v1/users", "user.register"},
    {"GET", "/v1/users", "user.list"},
    {"GET", "/v1/users/*", "user.get"},
    {"PUT", "/v1/users/*", "user.update"},
    {"DELETE", "/v1/users/*", "user.delete"},
    {"POST", "/v1/users/*/password", "user.password"},
    {"POST", "/v1/users/*/reset", "user.reset"},
    {"POST", "/v1/functions", "function.register"},
    {"GET", "/v1/functions", "function.list"},
    {"GET", "/v1/functions/*", "function.get"},
    {"PUT", "/v1/functions/*", "function.update"},
    {"DELETE", "/v1/functions/*", "function.delete"},
    {"POST", "/v1/functions/*/disable", "function.disable"},
    {"POST", "/v1/files/input", "file.register_input"},
    {"POST", "/v1/files/output", "file.register_output"},
    {"POST", "/v1/files/fusion", "file.register_fusion"},
    {"POST", "/v1/files/input-from-output", "file.register_from_output"},
    {"GET", "/v1/files", "file.list"},
    {"GET", "/v1/files/*", "file.get"},
    {"POST", "/v1/tasks", "task.create"},
    {"GET", "/v1/tasks", "task.list"},
    {"GET", "/v1/tasks/*", "task.get"},
    {"POST", "/v1/tasks/*/assign", "task.assign"},
    {"POST", "/v1/tasks/*/approve", "task.approve"},
    {"POST", "/v1/tasks/*/invoke", "task.invoke"},
    {"POST", "/v1/tasks/*/cancel", "task.cancel"},
    {"GET", "/v1/audit", "audit.query"},
    {"GET", "/v1/audit/verify", "audit.verify"},
};

struct route_ctx {
	struct custosd *d;
	const struct plat_op *op;
};

/* A client waiting for a task to end (GET /v1/tasks/ID?wait=S). */
struct waiter {
	struct custosd_plat *cp;
	struct rpc_request *req;
	struct plat_caller who;
	char task[PLAT_ID_MAX + 1];
	struct event *timer;
	struct waiter *prev, *next;
};

struct custosd_plat {
	struct custosd *d;
	struct st_store *st;
	struct platform *p;
	struct route_ctx ctx[sizeof(routes) / sizeof(routes[0])];
	const struct plat_op *task_get;
	/* the worker */
	pthread_t worker;
	int worker_started;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int staged; /* tasks staged since the worker last looked */
	int stopping;
	/* ended tasks, handed from the worker to the loop */
	char (*done)[PLAT_ID_MAX + 1];
	size_t ndone;
	int done_overflow;
	struct event *done_ev;
	struct waiter *waiters; /* loop thread only */
};

/* ---- replies ---- */

static void reply_result(struct rpc_request *req, int rc, const struct plat_error *err, json_t *out)
{
	if (rc == 0) {
		rpc_reply_json(req, 200, out);
		return;
	}
	cu_json_free_secret(out);
	rpc_reply_error(req, plat_http_status(rc, err), plat_error_code(rc, err), "%s",
	                err->message[0] ? err->message : cu_strerror(rc));
}

/* The caller from "Authorization: Bearer TOKEN"; replies 401 itself when there is none. */
static int authenticate(struct custosd_plat *cp, struct rpc_request *req, struct plat_caller *who)
{
	const char *h = rpc_request_header(req, "Authorization");
	struct plat_error err = {{0}};
	int rc;

	if (!h || strncmp(h, "Bearer ", 7) || !h[7]) {
		rpc_reply_error(req, 401, "unauthenticated",
		                "this call needs \"Authorization: Bearer TOKEN\" (log in first)");
		return CU_EAUTH;
	}
	if ((rc = plat_authenticate(cp->p, h + 7, who, &err)))
		reply_result(req, rc, &err, NULL);
	return rc;
}

/*
 * The request object: the JSON body of a POST or PUT (an empty body is
 * {}), the query of a GET, and the path parameter as "id". Replies itself
 * on failure.
 */
static json_t *request_object(struct rpc_request *req, const struct route_def *rd)
{
	const char *m = rpc_request_method(req), *param = rpc_request_param(req);
	json_t *in = NULL;
	size_t len = 0;

	if (!strcmp(m, "POST") || !strcmp(m, "PUT")) {
		rpc_request_body(req, &len);
		if (len && rpc_request_json(req, &in))
			return NULL; /* replied 400 */
		if (in && !json_is_object(in)) {
			json_decref(in);
			rpc_reply_error(req, 400, "invalid_request",
			                "the body is not a JSON object");
			return NULL;
		}
	}
	if (!in && !(in = json_object()))
		goto nomem;
	if (!strcmp(rd->op, "audit.query")) {
		const char *from = rpc_request_query(req, "from"), *user;
		char *end;
		long long n;

		if (from) {
			errno = 0;
			n = strtoll(from, &end, 10);
			if (errno || *end || n < 0 || from[0] < '0' || from[0] > '9') {
				json_decref(in);
				rpc_reply_error(req, 400, "invalid_request",
				                "from wants a record number (0 or 1: the first)");
				return NULL;
			}
			if (json_object_set_new(in, "from", json_integer(n)))
				goto nomem;
		}
		if ((user = rpc_request_query(req, "user")) &&
		    json_object_set_new(in, "user", json_string(user)))
			goto nomem;
	}
	if (param) {
		if (json_object_get(in, "id")) {
			json_decref(in);
			rpc_reply_error(req, 400, "invalid_request",
			                "the id is in the path; the body may not name one");
			return NULL;
		}
		if (json_object_set_new(in, "id", json_string(param)))
			goto nomem;
	}
	return in;
nomem:
	json_decref(in);
	rpc_reply_error(req, 500, "internal", "out of memory");
	return NULL;
}

static int run(struct custosd_plat *cp, const struct plat_op *op, const struct plat_caller *who,
               const json_t *in, json_t **out, struct plat_error *err)
{
	int rc = plat_call(cp->p, op, who, in, out, err);

	if (rc && plat_http_status(rc, err) == 500)
		cu_error("%s by %s: %s", op->name, who ? who->user : "(none)", err->message);
	return rc;
}

/* ---- long polls ---- */

static void waiter_free(struct waiter *w)
{
	struct custosd_plat *cp = w->cp;

	if (w->prev)
		w->prev->next = w->next;
	else
		cp->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	if (w->timer)
		event_free(w->timer);
	free(w);
}

/* Answer w with the task as it is now. */
static void waiter_answer(struct waiter *w)
{
	struct plat_error err = {{0}};
	json_t *in = json_pack("{s:s}", "id", w->task), *out = NULL;
	int rc = in ? run(w->cp, w->cp->task_get, &w->who, in, &out, &err) : CU_ENOMEM;

	json_decref(in);
	reply_result(w->req, rc, &err, out);
	waiter_free(w);
}

static void on_wait_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	waiter_answer(arg);
}

/* The worker said tasks ended: answer whoever waits on them. */
static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct custosd_plat *cp = arg;
	char(*done)[PLAT_ID_MAX + 1] = NULL;
	size_t n;
	int overflow;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&cp->mu);
	n = cp->ndone;
	overflow = cp->done_overflow;
	if (n && (done = malloc(n * sizeof(*done))))
		memcpy(done, cp->done, n * sizeof(*done));
	else if (n)
		overflow = 1;
	cp->ndone = 0;
	cp->done_overflow = 0;
	pthread_mutex_unlock(&cp->mu);
	for (struct waiter *w = cp->waiters, *next; w; w = next) {
		int hit = overflow;

		next = w->next;
		for (size_t i = 0; !hit && i < n; i++)
			hit = !strcmp(done[i], w->task);
		if (hit) /* overflow: answer all; a waiter that sees a live task may poll again */
			waiter_answer(w);
	}
	free(done);
}

/* Called by the platform (any thread) when a task ends. */
static void notify_done(void *arg, const char *task)
{
	struct custosd_plat *cp = arg;

	pthread_mutex_lock(&cp->mu);
	if (cp->ndone < DONE_MAX)
		snprintf(cp->done[cp->ndone++], PLAT_ID_MAX + 1, "%s", task);
	else
		cp->done_overflow = 1;
	pthread_mutex_unlock(&cp->mu);
	if (cp->done_ev)
		event_active(cp->done_ev, EV_READ, 0);
}

/* Called by the platform when a task is staged: wake the worker now. */
static void notify_staged(void *arg, const char *task)
{
	struct custosd_plat *cp = arg;

	(void)task;
	pthread_mutex_lock(&cp->mu);
	cp->staged++;
	pthread_cond_signal(&cp->cond);
	pthread_mutex_unlock(&cp->mu);
	custosd_workers_kick(cp->d);
}

/*
 * GET /v1/tasks/ID?wait=S: when the task the caller sees has not ended,
 * hold the request until it ends or S seconds pass, and return 1. Return 0
 * to answer at once (no wait, an ended task, or an error the operation
 * reports), -1 when replied here.
 */
static int task_wait(struct custosd_plat *cp, struct rpc_request *req,
                     const struct plat_caller *who)
{
	const char *ws = rpc_request_query(req, "wait"), *id = rpc_request_param(req);
	char status[32];
	int terminal = 0;
	struct waiter *w;
	char *end;
	long secs;

	if (!ws)
		return 0;
	errno = 0;
	secs = strtol(ws, &end, 10);
	if (errno || *end || ws[0] < '0' || ws[0] > '9' || secs > WAIT_MAX_S) {
		rpc_reply_error(req, 400, "invalid_request", "wait wants 0 to %d seconds",
		                WAIT_MAX_S);
		return -1;
	}
	if (!secs || plat_task_status(cp->p, who, id, status, &terminal) || terminal)
		return 0;
	if (!(w = calloc(1, sizeof(*w))) ||
	    !(w->timer = evtimer_new(cp->d->base, on_wait_timeout, w)) ||
	    evtimer_add(w->timer, &(struct timeval){.tv_sec = secs})) {
		if (w && w->timer)
			event_free(w->timer);
		free(w);
		rpc_reply_error(req, 500, "internal", "out of memory");
		return -1;
	}
	w->cp = cp;
	w->req = req;
	w->who = *who;
	snprintf(w->task, sizeof(w->task), "%s", id);
	/* An end after the look above reaches on_done, on this loop, after this
	   handler: the waiter is registered by then. */
	w->next = cp->waiters;
	if (cp->waiters)
		cp->waiters->prev = w;
	cp->waiters = w;
	return 1;
}

/* ---- the routes ---- */

static void handle(void *arg, struct rpc_request *req)
{
	struct route_ctx *rc_ = arg;
	struct custosd_plat *cp = rc_->d->plat;
	const struct route_def *rd = &routes[rc_ - cp->ctx];
	struct plat_caller who, *whop = NULL;
	struct plat_error err = {{0}};
	json_t *in, *out = NULL;
	int rc;

	if (!rc_->op->public_op) {
		if (authenticate(cp, req, &who))
			return;
		whop = &who;
	}
	if (rc_->op == cp->task_get && task_wait(cp, req, whop))
		return;
	if (!(in = request_object(req, rd)))
		return;
	rc = run(cp, rc_->op, whop, in, &out, &err);
	cu_json_free_secret(in); /* passwords, file keys */
	reply_result(req, rc, &err, out);
}

static int add_routes(struct custosd_plat *cp)
{
	int rc;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		cp->ctx[i].d = cp->d;
		if (!(cp->ctx[i].op = plat_op_find(routes[i].op))) {
			cu_error("no operation %s", routes[i].op);
			return CU_EINVAL;
		}
		if ((rc = rpc_server_route(cp->d->server, routes[i].method, routes[i].path, handle,
		                           &cp->ctx[i]))) {
			cu_error("cannot route %s %s: %s", routes[i].method, routes[i].path,
			         cu_strerror(rc));
			return rc;
		}
	}
	cp->task_get = plat_op_find("task.get");
	return 0;
}

/* ---- the worker ---- */

static void *worker_main(void *arg)
{
	struct custosd_plat *cp = arg;

	for (;;) {
		int rc;

		pthread_mutex_lock(&cp->mu);
		while (!cp->stopping && !cp->staged)
			pthread_cond_wait(&cp->cond, &cp->mu);
		if (cp->stopping) {
			pthread_mutex_unlock(&cp->mu);
			return NULL;
		}
		cp->staged = 0;
		pthread_mutex_unlock(&cp->mu);
		/* Run until the queue is empty: one wake-up may stand for many tasks. */
		while ((rc = plat_worker_run_one(cp->p)) == 0) {
			pthread_mutex_lock(&cp->mu);
			rc = cp->stopping;
			pthread_mutex_unlock(&cp->mu);
			if (rc)
				return NULL;
		}
		if (rc != CU_ENOTFOUND)
			cu_error("the worker failed: %s", cu_strerror(rc));
	}
}

/* ---- start and stop ---- */

static int read_admin_password(const char *path, char **out, size_t *len)
{
	uint8_t *buf = NULL;
	size_t n = 0;
	int rc;

	if ((rc = cu_file_read(path, 4096, &buf, &n))) {
		cu_error("cannot read --admin-password-file %s: %s", path, cu_strerror(rc));
		return rc;
	}
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (!n || memchr(buf, '\0', n)) {
		cu_free_secret(buf, n);
		cu_error("--admin-password-file %s holds no password on its first line", path);
		return CU_EINVAL;
	}
	*out = (char *)buf;
	*len = n;
	return 0;
}

int custosd_platform_start(struct custosd *d, const char *data_dir, const char *admin_pw_file)
{
	struct custosd_plat *cp;
	uint8_t key[TEE_SEALING_KEY_LEN];
	char path[4096], generated[128];
	char *pw = NULL;
	size_t pwlen = 0;
	int rc;

	if (!(cp = calloc(1, sizeof(*cp))) || !(cp->done = calloc(DONE_MAX, sizeof(*cp->done)))) {
		free(cp);
		return CU_ENOMEM;
	}
	d->plat = cp;
	cp->d = d;
	pthread_mutex_init(&cp->mu, NULL);
	pthread_cond_init(&cp->cond, NULL);
	if ((rc = tee_get_sealing_key(d->tee, STORE_KEY_LABEL, key))) {
		cu_error("cannot get the storage key from %s: %s", d->tee_name, cu_strerror(rc));
		return rc;
	}
	snprintf(path, sizeof(path), "%s/%s", data_dir, STORE_FILE);
	rc = st_open(path, key, &cp->st);
	cu_wipe(key, sizeof(key));
	if (rc) {
		cu_error("cannot open the store %s: %s%s", path, cu_strerror(rc),
		         rc == CU_EAUTH ? " (another TEE's store, or tampered with)" : "");
		return rc;
	}
	if (admin_pw_file && (rc = read_admin_password(admin_pw_file, &pw, &pwlen)))
		return rc;
	struct plat_options o = {.admin_password = pw,
	                         .on_staged = notify_staged,
	                         .on_done = notify_done,
	                         .notify_arg = cp};
	rc = plat_open(cp->st, &o, &cp->p, generated, sizeof(generated));
	cu_free_secret(pw, pwlen);
	if (rc) {
		cu_error("cannot open the platform: %s", cu_strerror(rc));
		return rc;
	}
	if (generated[0]) {
		/* Shown once: it is nowhere else in clear. */
		printf("custosd: the admin account is \"admin\" with password %s (shown once; "
		       "change it)\n",
		       generated);
		fflush(stdout);
		cu_wipe(generated, sizeof(generated));
	}
	return 0;
}

int custosd_platform_serve(struct custosd *d)
{
	struct custosd_plat *cp = d->plat;
	int rc;

	if ((rc = add_routes(cp)))
		return rc;
	if (!(cp->done_ev = event_new(d->base, -1, 0, on_done, cp)))
		return CU_ENOMEM;
	if (d->role == CUSTOSD_ALL) {
		if (pthread_create(&cp->worker, NULL, worker_main, cp)) {
			cu_error("cannot start the worker thread");
			return CU_ENOMEM;
		}
		cp->worker_started = 1;
	}
	notify_staged(cp, ""); /* tasks recovered at open */
	return 0;
}

struct platform *custosd_platform(struct custosd *d)
{
	return d->plat ? d->plat->p : NULL;
}

void custosd_platform_stop(struct custosd *d)
{
	struct custosd_plat *cp = d->plat;

	if (!cp)
		return;
	if (cp->worker_started) {
		plat_worker_stop(cp->p); /* a running task is stopped, and runs again next time */
		pthread_mutex_lock(&cp->mu);
		cp->stopping = 1;
		pthread_cond_signal(&cp->cond);
		pthread_mutex_unlock(&cp->mu);
		pthread_join(cp->worker, NULL);
	}
	while (cp->waiters) {
		rpc_reply_error(cp->waiters->req, 503, "unavailable", "the platform is stopping");
		waiter_free(cp->waiters);
	}
	if (cp->done_ev)
		event_free(cp->done_ev);
	plat_close(cp->p);
	st_close(cp->st);
	pthread_cond_destroy(&cp->cond);
	pthread_mutex_destroy(&cp->mu);
	free(cp->done);
	free(cp);
	d->plat = NULL;
}

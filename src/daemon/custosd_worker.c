/*
 * custosd_worker.c - custosd --role worker: a remote worker of a control
 * plane (docs/workers.md).
 *
 * It verifies the control plane's RA-TLS certificate against the
 * manifest's "control" role and presents its own, which the control plane
 * verifies against the "worker" role: neither sends a byte of a job to an
 * unattested peer. Then it registers and long-polls for work; a job pushed
 * to it runs on a thread of its own (src/worker/job.c: inputs fetched and
 * checked, the function in the sandbox, outputs encrypted and put) while
 * the main thread sends heartbeats, whose answer may cancel the task. The
 * reply goes back to the control plane, which records it.
 *
 * A control plane that does not answer is retried every second; one that
 * no longer knows this worker (it restarted, or judged it lost) gets a new
 * registration. A task whose heartbeats cannot get through for the lease
 * is stopped: the control plane has given it up by then. SIGTERM or
 * SIGINT stops the running task and hands it back (abandoned: queued again
 * if its function is idempotent), then exits.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/time.h"
#include "daemon/custosd.h"
#include "platform/platform.h"
#include "worker/job.h"

#define WK_CALL_TIMEOUT_MS (120 * 1000)
#define WK_RETRY_MS        1000

struct wk {
	struct custosd *d;
	char url[1024];
	char name[65];
	struct rpc_client *c;    /* register, poll, done */
	struct rpc_client *beat; /* heartbeats: short timeout */
	char id[PLAT_ID_MAX + 1];
	long heartbeat_ms, lease_ms, poll_s;
	int complained; /* the control plane's failure was logged */
	/* the running job */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int finished, rc;
	const json_t *job;
	json_t *reply;
	char why[WK_REASON_MAX];
};

static volatile sig_atomic_t stop_flag;
static volatile int cancel_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
	cancel_flag = 1;
}

static void nap(long ms)
{
	for (long left = ms; left > 0 && !stop_flag; left -= 50)
		nanosleep(&(struct timespec){.tv_nsec = (left < 50 ? left : 50) * 1000000L}, NULL);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ssl_setup(void *arg, SSL_CTX *ctx)
{
	struct wk *w = arg;

	return ratls_client_ctx_setup(ctx, w->d->peer_trust->verifier, w->d->cur.id);
}

static int clients_new(struct wk *w)
{
	struct rpc_client_options o = {.base_url = w->url,
	                               .ssl_setup = ssl_setup,
	                               .ssl_arg = w,
	                               .timeout_ms = WK_CALL_TIMEOUT_MS,
	                               .max_response = CUSTOSD_WORKER_BODY};
	int rc;

	rpc_client_free(w->c);
	rpc_client_free(w->beat);
	w->c = w->beat = NULL;
	if ((rc = rpc_client_new(&o, &w->c)))
		return rc;
	o.timeout_ms = CUSTOSD_LEASE_MS;
	o.max_response = 0;
	return rpc_client_new(&o, &w->beat);
}

/*
 * POST path with body (borrowed) on c. 0 with *resp for a 200; CU_ENOTFOUND
 * for a 404 (this worker is unknown there); other failures logged once
 * until the next success.
 */
static int call(struct wk *w, struct rpc_client *c, const char *path, const json_t *body,
                json_t **resp)
{
	char reason[RPC_REASON_LEN], text[RPC_REASON_LEN];
	json_t *r = NULL;
	long status = 0;
	int rc = rpc_call(c, "POST", path, body, &status, &r, reason, sizeof(reason));

	*resp = NULL;
	if (rc == 0 && status == 200) {
		if (w->complained)
			cu_info("the control plane at %s answers again", w->url);
		w->complained = 0;
		*resp = r;
		return 0;
	}
	if (rc == 0 && status == 404) {
		json_decref(r);
		return CU_ENOTFOUND;
	}
	if (!w->complained)
		cu_warn("the control plane at %s: %s", w->url,
		        rc ? reason : rpc_error_text(status, r, text, sizeof(text)));
	w->complained = 1;
	json_decref(r);
	return rc ? rc : CU_ESTATE;
}

static int do_register(struct wk *w)
{
	json_t *body = json_pack("{s:s}", "name", w->name), *r = NULL;
	const char *id = NULL;
	int64_t v;
	int rc = body ? call(w, w->c, "/v1/workers", body, &r) : CU_ENOMEM;

	json_decref(body);
	if (rc)
		return rc;
	if (cu_json_get_str(r, "worker", &id) || strlen(id) > PLAT_ID_MAX) {
		json_decref(r);
		cu_warn("the control plane's registration answer is malformed");
		return CU_EFORMAT;
	}
	snprintf(w->id, sizeof(w->id), "%s", id);
	w->heartbeat_ms = cu_json_get_int(r, "heartbeat_ms", 50, 60000, &v) ? 500 : v;
	w->lease_ms = cu_json_get_int(r, "lease_ms", 100, 600000, &v) ? 3000 : v;
	w->poll_s = cu_json_get_int(r, "poll_s", 1, 60, &v) ? 5 : v;
	json_decref(r);
	cu_info("registered with the control plane at %s as %s", w->url, w->id);
	return 0;
}

static void *runner(void *arg)
{
	struct wk *w = arg;
	json_t *reply = NULL;
	int rc = wk_job_run(w->job, &cancel_flag, &reply, w->why, sizeof(w->why));

	pthread_mutex_lock(&w->mu);
	w->rc = rc;
	w->reply = reply;
	w->finished = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Wait up to ms for the runner; 1 when it has finished. */
static int wait_runner(struct wk *w, long ms)
{
	struct timespec ts;
	int done;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->mu);
	while (!w->finished && pthread_cond_timedwait(&w->cond, &w->mu, &ts) == 0)
		;
	done = w->finished;
	pthread_mutex_unlock(&w->mu);
	return done;
}

/* One heartbeat for task: 0, or CU_ENOTFOUND and friends. Sets cancel_flag when told. */
static int beat(struct wk *w, const json_t *body, const char *task, const char *path)
{
	json_t *r = NULL;
	int rc = call(w, w->beat, path, body, &r);

	if (rc == 0 && json_is_true(json_object_get(r, "cancel"))) {
		cu_info("task %s was canceled", task);
		cancel_flag = 1;
	}
	json_decref(r);
	return rc;
}

/*
 * While the job runs: heartbeats (the first, before it starts, tells the
 * control plane that the job arrived); their answer, or their silence, may
 * stop it.
 */
static void heartbeats(struct wk *w, const char *task, const char *path, const json_t *body)
{
	int64_t ok_at = now_ms();
	int rc;

	while (!wait_runner(w, w->heartbeat_ms)) {
		if (cancel_flag)
			continue;
		rc = body ? beat(w, body, task, path) : CU_ENOMEM;
		if (rc == 0)
			ok_at = now_ms();
		else if (rc == CU_ENOTFOUND || now_ms() - ok_at > w->lease_ms) {
			cu_warn("task %s is stopped: the control plane %s", task,
			        rc == CU_ENOTFOUND ? "no longer knows this worker"
			                           : "cannot be reached");
			cancel_flag = 1;
		}
	}
}

/* Tell the control plane how the task ended. */
static void report(struct wk *w, const char *task, char *path)
{
	json_t *body, *r = NULL;

	if (stop_flag)
		body = json_pack("{s:s, s:b}", "task", task, "abandon", 1);
	else if (w->rc == 0)
		body = json_pack("{s:s, s:O}", "task", task, "reply", w->reply);
	else
		body = json_pack("{s:s, s:s}", "task", task, "error", w->why);
	snprintf(path, 256, "/v1/workers/%s/done", w->id);
	if (!body || call(w, w->c, path, body, &r))
		cu_warn("the end of task %s did not reach the control plane", task);
	cu_json_free_secret(body);
	json_decref(r);
}

/* Run the job of task: heartbeats meanwhile, then the report. */
static void run_job(struct wk *w, const char *task, const json_t *job)
{
	json_t *body = json_pack("{s:s}", "task", task);
	char path[256];
	pthread_t t;

	snprintf(path, sizeof(path), "/v1/workers/%s/heartbeat", w->id);
	w->job = job;
	w->finished = 0;
	w->reply = NULL;
	w->why[0] = '\0';
	if (!stop_flag)
		cancel_flag = 0;
	cu_info("running task %s", task);
	if (!body || beat(w, body, task, path)) {
		/* the job came, but the control plane cannot hear that: it gives it up */
		cu_warn("task %s is not run: the control plane did not take its receipt", task);
		json_decref(body);
		return;
	}
	if (pthread_create(&t, NULL, runner, w)) {
		w->rc = CU_ENOMEM;
		snprintf(w->why, sizeof(w->why), "the worker could not start a thread");
	} else {
		heartbeats(w, task, path, body);
		pthread_join(t, NULL);
	}
	json_decref(body);
	report(w, task, path);
	cu_info("task %s %s%s%s", task, w->rc ? "failed: " : "finished", w->rc ? w->why : "",
	        stop_flag ? " (handed back: the worker stops)" : "");
	cu_json_free_secret(w->reply);
	w->reply = NULL;
	cu_wipe(w->why, sizeof(w->why));
}

/* One long poll: a job runs, or nothing came. CU_ENOTFOUND: register again. */
static int poll_once(struct wk *w)
{
	char path[256];
	const char *task;
	json_t *r = NULL;
	int rc;

	snprintf(path, sizeof(path), "/v1/workers/%s/poll?wait=%ld", w->id, w->poll_s);
	if ((rc = call(w, w->c, path, NULL, &r)))
		return rc;
	if ((task = json_string_value(json_object_get(r, "task"))) &&
	    json_is_object(json_object_get(r, "job")))
		run_job(w, task, json_object_get(r, "job"));
	cu_json_free_secret(r); /* the job holds file keys */
	return 0;
}

/* Renew our certificate when it is due; the control plane then knows us anew. */
static int renew_if_due(struct wk *w)
{
	int rc;

	if (cu_time_now() < ratls_identity_renew_at(w->d->cur.id))
		return 0;
	if ((rc = custosd_identity_renew(w->d)) || (rc = clients_new(w)))
		return rc;
	w->id[0] = '\0';
	return 0;
}

int custosd_worker_run(struct custosd *d, const struct custosd_peers *peers, const char *url,
                       const char *name)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct wk *w;
	int rc;

	(void)peers; /* d->peer_trust was made of them */
	if (!d->peer_trust || !(w = calloc(1, sizeof(*w))))
		return CU_EINVAL;
	w->d = d;
	snprintf(w->url, sizeof(w->url), "%s", url);
	if (name)
		snprintf(w->name, sizeof(w->name), "%s", name);
	else if (gethostname(w->name, sizeof(w->name) - 1))
		snprintf(w->name, sizeof(w->name), "worker");
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cond, NULL);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if ((rc = clients_new(w)))
		cu_error("cannot make a client for %s: %s", url, cu_strerror(rc));
	while (!rc && !stop_flag) {
		if ((rc = renew_if_due(w))) {
			cu_error("cannot renew the certificate: %s", cu_strerror(rc));
			rc = 0;
			nap(WK_RETRY_MS);
		} else if (!w->id[0]) {
			if (do_register(w))
				nap(WK_RETRY_MS);
		} else if ((rc = poll_once(w))) {
			if (rc == CU_ENOTFOUND) {
				cu_info("the control plane no longer knows this worker: "
				        "registering again");
				w->id[0] = '\0';
			} else {
				nap(WK_RETRY_MS);
			}
			rc = 0;
		}
	}
	cu_info("stopping");
	rpc_client_free(w->c);
	rpc_client_free(w->beat);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->mu);
	free(w);
	return rc;
}

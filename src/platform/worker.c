/*
 * worker.c - the in-process worker: take the oldest staged task, set it
 * running, run its function outside any store transaction (execute.c), and
 * end it as finished (with the result and its outputs' digests) or failed
 * (with the reason).
 *
 * Each step that changes the task is one store transaction, so a crash
 * leaves the task staged (still queued) or running; plat_tasks_recover()
 * queues both again at the next open.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "functions/functions.h"
#include "platform/execute_int.h"
#include "platform/platform_int.h"
#include "platform/tasks_int.h"
#include "store/store.h"

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Why a staged task may not run: its function or what its approvers signed changed. */
static const char *cannot_run(const struct plat_task *t)
{
	if (!t->fn)
		return "the task's function is gone";
	if (json_is_true(json_object_get(t->fn, "disabled")))
		return "the task's function was disabled";
	if (!plat_task_all_approved(t))
		return "the task changed after it was approved";
	return NULL;
}

/* Set the text (UTF-8, else a fixed one) under key: "result" or "error". */
static int set_text(json_t *rec, const char *key, const char *text)
{
	json_t *s = json_string(text);

	if (!s)
		s = json_string("the function's text is not valid UTF-8");
	return json_object_set_new(rec, key, s) ? CU_ENOMEM : 0;
}

#define TAKE_SKIPPED 1 /* the entry named no task to run: take the next one */
#define TAKE_ENDED   2 /* the task failed at once (it changed since approval) */

/* Whether task t's record says it runs on wid (NULL: the in-process worker). */
static int runs_on(const struct plat_task *t, const char *wid)
{
	const char *w = jstr(t->rec, "worker");

	return !strcmp(t->status, "running") && (wid ? w && !strcmp(w, wid) : !w);
}

/*
 * Inside a transaction: pop the oldest entry; when it names a staged task,
 * load it into t and set it running on wid (NULL: in this process).
 */
static int take_locked(struct platform *p, const char *wid, struct plat_task *t)
{
	uint8_t *v = NULL;
	size_t n = 0;
	const char *why;
	int rc;

	if ((rc = st_queue_pop(p->st, PLAT_Q_STAGED, &v, &n)))
		return rc;
	if (!n || n > PLAT_ID_MAX || memchr(v, 0, n))
		rc = CU_ENOTFOUND;
	else
		rc = plat_task_load(p, (const char *)v, t);
	free(v);
	/* a duplicate, a task canceled meanwhile, or an unreadable record: consumed */
	if (rc == CU_ENOTFOUND || rc == CU_EFORMAT || (rc == 0 && strcmp(t->status, "staged")))
		return TAKE_SKIPPED;
	if (rc)
		return rc;
	if (!(why = cannot_run(t))) {
		json_object_del(t->rec, "worker");
		if (wid && (rc = cu_json_set_str(t->rec, "worker", wid)))
			return rc;
		return plat_task_save(p, t, "running");
	}
	if ((rc = set_text(t->rec, "error", why)) || (rc = plat_task_save(p, t, "failed")))
		return rc;
	return TAKE_ENDED;
}

/* Record an output written by task id: its digest (and iv) on the task and on its file. */
static int record_output(struct platform *p, json_t *task, const char *id, const json_t *w)
{
	const char *name = jstr(w, "name"), *fid = jstr(w, "file"), *digest = jstr(w, "digest");
	const json_t *iv = json_object_get(w, "iv");
	json_t *file = NULL, *dig = json_object_get(task, "output_digests");
	int rc;

	if (!json_is_object(dig)) {
		if (json_object_set_new(task, "output_digests", json_object()))
			return CU_ENOMEM;
		dig = json_object_get(task, "output_digests");
	}
	if (json_object_set_new((json_t *)(uintptr_t)dig, name, json_string(digest)))
		return CU_ENOMEM;
	if (iv) {
		json_t *ivs = json_object_get(task, "output_ivs");

		if (!json_is_object(ivs) && json_object_set_new(task, "output_ivs", json_object()))
			return CU_ENOMEM;
		if (json_object_set(json_object_get(task, "output_ivs"), name,
		                    (json_t *)(uintptr_t)iv))
			return CU_ENOMEM;
	}
	if ((rc = plat_file_get(p, fid, &file, NULL)))
		return rc;
	rc = cu_json_set_str(file, "digest", digest);
	rc = rc ? rc : cu_json_set_str(file, "task", id);
	rc = rc ? rc : cu_json_set_int(file, "updated", p->now());
	if (!rc && iv &&
	    json_object_set(json_object_get(file, "crypto"), "iv", (json_t *)(uintptr_t)iv))
		rc = CU_ENOMEM;
	rc = rc ? rc : plat_put(p, PLAT_T_FILES, fid, file);
	plat_file_release(file);
	return rc;
}

/*
 * End the running task id as finished with result and the outputs written,
 * or failed with error.
 */
static int finish(struct platform *p, const char *id, const char *wid, const char *result,
                  const json_t *written, const char *error)
{
	struct plat_task t;
	const json_t *w;
	size_t i;
	int rc;

	if ((rc = st_begin(p->st)))
		return rc;
	rc = plat_task_load(p, id, &t);
	if (rc == 0 && !strcmp(t.status, "canceled")) {
		/* canceled while it ran: it stays canceled, its result is dropped */
		st_rollback(p->st);
		plat_task_release(&t);
		return 0;
	}
	if (rc == 0 && !runs_on(&t, wid))
		rc = CU_ESTATE;
	if (rc == 0)
		rc = set_text(t.rec, result ? "result" : "error", result ? result : error);
	json_array_foreach(written, i, w) if (rc == 0) rc = record_output(p, t.rec, id, w);
	if (rc == 0)
		rc = plat_task_save(p, &t, result ? "finished" : "failed");
	rc = plat_task_tx_end(p, rc, NULL);
	plat_task_release(&t);
	if (rc == 0 && p->on_done)
		p->on_done(p->notify_arg, id);
	return rc;
}

/*
 * End task id, which ran on wid, from the outcome rc of its function: the
 * result and outputs written, or err's reason.
 */
static int end_task(struct platform *p, const char *id, const char *wid, int rc, char *result,
                    const json_t *written, struct plat_error *err)
{
	size_t n = rc == 0 ? strlen(result) : 0;

	if (rc == 0 && n > PLAT_TEXT_MAX)
		rc = plat_fail(err, CU_ELIMIT, "the result is longer than %d bytes", PLAT_TEXT_MAX);
	if (rc && !err->message[0])
		plat_fail(err, rc, "the function failed: %s", cu_strerror(rc));
	rc = finish(p, id, wid, rc ? NULL : result, rc ? NULL : written, err->message);
	cu_free_secret(result, n); /* the result is the data owners' */
	return rc;
}

/* Run the task t (running, committed) outside any transaction, then end it. */
static int run_task(struct platform *p, const struct plat_task *t)
{
	struct plat_error err = {{0}};
	char id[PLAT_ID_MAX + 1], *result = NULL;
	json_t *written = NULL;
	int rc;

	snprintf(id, sizeof(id), "%s", jstr(t->rec, "id"));
	pthread_mutex_lock(&p->run_mu);
	snprintf(p->running, sizeof(p->running), "%s", id);
	p->cancel = 0;
	pthread_mutex_unlock(&p->run_mu);
	rc = (p->execute ? p->execute : plat_execute)(p, t->rec, t->fn, &result, &written, &err);
	pthread_mutex_lock(&p->run_mu);
	p->running[0] = '\0';
	pthread_mutex_unlock(&p->run_mu);
	if (p->stopping) { /* left running: the next start queues it again */
		cu_free_secret(result, result ? strlen(result) : 0);
		json_decref(written);
		return 0;
	}
	rc = end_task(p, id, NULL, rc, result, written, &err);
	json_decref(written);
	return rc;
}

void plat_worker_stop(struct platform *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->run_mu);
	p->stopping = 1;
	p->cancel = 1;
	pthread_mutex_unlock(&p->run_mu);
}

/*
 * Take the next runnable staged task into t, committed as running on wid
 * (NULL: this process), and return 0; or end the next one failed, when it
 * cannot run any more, and return TAKE_ENDED. CU_ENOTFOUND when the queue
 * is empty.
 */
static int take(struct platform *p, const char *wid, struct plat_task *t)
{
	char id[PLAT_ID_MAX + 1];
	int rc, taken;

	for (;;) {
		if (p->stopping)
			return CU_ENOTFOUND;
		memset(t, 0, sizeof(*t));
		if ((rc = st_begin(p->st)))
			return rc;
		if ((taken = take_locked(p, wid, t)) < 0) {
			st_rollback(p->st); /* CU_ENOTFOUND: the queue is empty */
			plat_task_release(t);
			return taken;
		}
		if ((rc = st_commit(p->st))) {
			plat_task_release(t);
			return rc;
		}
		if (taken == 0)
			return 0;
		if (taken == TAKE_ENDED) {
			snprintf(id, sizeof(id), "%s", jstr(t->rec, "id"));
			plat_task_release(t);
			if (p->on_done)
				p->on_done(p->notify_arg, id);
			return TAKE_ENDED;
		}
		plat_task_release(t);
	}
}

int plat_worker_run_one(struct platform *p)
{
	struct plat_task t;
	int rc;

	if (!p)
		return CU_EINVAL;
	if ((rc = take(p, NULL, &t)))
		return rc == TAKE_ENDED ? 0 : rc;
	rc = run_task(p, &t);
	plat_task_release(&t);
	return rc;
}

/* ---- remote workers ---- */

static int wid_ok(const char *wid)
{
	return wid && *wid && strlen(wid) <= PLAT_ID_MAX;
}

int plat_remote_take(struct platform *p, const char *wid, char task_id[PLAT_ID_MAX + 1],
                     json_t **job)
{
	struct plat_error err;
	struct plat_task t;
	int rc;

	if (job)
		*job = NULL;
	if (task_id)
		task_id[0] = '\0';
	if (!p || !wid_ok(wid) || !task_id || !job)
		return CU_EINVAL;
	for (;;) {
		if ((rc = take(p, wid, &t)) == TAKE_ENDED)
			continue;
		if (rc)
			return rc;
		snprintf(task_id, PLAT_ID_MAX + 1, "%s", jstr(t.rec, "id"));
		memset(&err, 0, sizeof(err));
		rc = plat_job_build(p, t.rec, t.fn, job, &err);
		plat_task_release(&t);
		if (rc == 0)
			return 0;
		/* an input gone or unreadable: the task fails as it would here */
		if ((rc = end_task(p, task_id, wid, rc, NULL, NULL, &err)))
			return rc;
		task_id[0] = '\0';
	}
}

int plat_remote_check(struct platform *p, const char *wid, const char *task_id)
{
	struct plat_task t;
	int rc;

	if (!p || !wid_ok(wid) || !task_id)
		return CU_EINVAL;
	if ((rc = plat_task_load(p, task_id, &t)))
		return rc == CU_ENOTFOUND ? CU_ESTATE : rc;
	rc = runs_on(&t, wid) ? 0 : CU_ESTATE;
	plat_task_release(&t);
	return rc;
}

int plat_remote_done(struct platform *p, const char *wid, const char *task_id, const json_t *reply,
                     const char *error)
{
	struct plat_error err = {{0}};
	struct plat_task t;
	json_t *written = NULL;
	char *result = NULL;
	int rc;

	if (!p || !wid_ok(wid) || !task_id || (!reply && !error))
		return CU_EINVAL;
	if ((rc = plat_task_load(p, task_id, &t)))
		return rc == CU_ENOTFOUND ? CU_ESTATE : rc;
	if (!runs_on(&t, wid)) {
		plat_task_release(&t);
		return CU_ESTATE;
	}
	if (reply)
		rc = plat_job_complete(p, t.rec, reply, &result, &written, &err);
	else
		rc = plat_fail(&err, CU_EINVAL, "%s", error);
	plat_task_release(&t);
	rc = end_task(p, task_id, wid, rc, result, written, &err);
	json_decref(written);
	return rc;
}

/* Whether fn (a record) may run twice: its own flag, else its builtin's. */
static int idempotent(const json_t *fn)
{
	const json_t *flag = json_object_get(fn, "idempotent");
	const struct fn_builtin *b;

	if (json_is_boolean(flag))
		return json_is_true(flag);
	b = jstr(fn, "builtin") ? fn_find(jstr(fn, "builtin")) : NULL;
	return b && b->idempotent;
}

int plat_remote_lost(struct platform *p, const char *wid, const char *task_id, int started)
{
	struct plat_task t;
	int rc, again = 0;

	if (!p || !wid_ok(wid) || !task_id)
		return CU_EINVAL;
	if ((rc = st_begin(p->st)))
		return rc;
	if ((rc = plat_task_load(p, task_id, &t)) || !runs_on(&t, wid)) {
		st_rollback(p->st);
		plat_task_release(&t);
		return rc == CU_ENOTFOUND ? 0 : rc;
	}
	again = !started ||
	        (t.fn && idempotent(t.fn) && !json_is_true(json_object_get(t.rec, "requeued")));
	json_object_del(t.rec, "worker");
	if (again && started)
		rc = cu_json_set_bool(t.rec, "requeued", 1);
	if (rc == 0 && again && !(rc = plat_task_save(p, &t, "staged")))
		rc = st_queue_push(p->st, PLAT_Q_STAGED, task_id, strlen(task_id));
	if (rc == 0 && !again && !(rc = set_text(t.rec, "error", "the worker running it was lost")))
		rc = plat_task_save(p, &t, "failed");
	rc = plat_task_tx_end(p, rc, NULL);
	plat_task_release(&t);
	if (rc == 0 && again && p->on_staged)
		p->on_staged(p->notify_arg, task_id);
	else if (rc == 0 && !again && p->on_done)
		p->on_done(p->notify_arg, task_id);
	return rc;
}

/*
 * worker.c - the in-process worker: take the oldest staged task, set it
 * running, run its function outside any store transaction, and end it as
 * finished (with the result) or failed (with the reason); and the builtin
 * functions it runs.
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
#include "common/mem.h"
#include "platform/platform_int.h"
#include "platform/tasks_int.h"
#include "store/store.h"

/* A builtin: the result (malloc'd text) from the task's arguments, or an error with a reason. */
typedef int (*builtin_fn)(const json_t *arguments, char **result, struct plat_error *err);

struct builtin {
	const char *name;
	builtin_fn run;
};

/* "echo": the result is the "message" argument. */
static int builtin_echo(const json_t *arguments, char **result, struct plat_error *err)
{
	const char *m = json_string_value(json_object_get(arguments, "message"));

	if (!m)
		return plat_fail(err, CU_EINVAL, "echo needs a \"message\" argument");
	*result = cu_strdup(m);
	return *result ? 0 : plat_fail(err, CU_ENOMEM, "out of memory");
}

static const struct builtin builtins[] = {
    {"echo", builtin_echo},
};

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Run t's function: *result (malloc'd), or an error with its reason in err. */
static int execute(const struct plat_task *t, char **result, struct plat_error *err)
{
	const char *ex = jstr(t->fn, "executor"), *name = jstr(t->fn, "builtin");

	*result = NULL;
	if (ex && !strcmp(ex, "wasm"))
		return plat_fail(err, CU_EUNSUPPORTED, "the wasm executor is not available yet");
	if (!ex || strcmp(ex, "builtin"))
		return plat_fail(err, CU_EUNSUPPORTED, "unknown executor \"%.32s\"", ex ? ex : "");
	for (size_t i = 0; name && i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (!strcmp(name, builtins[i].name))
			return builtins[i].run(json_object_get(t->rec, "arguments"), result, err);
	return plat_fail(err, CU_EUNSUPPORTED, "unknown builtin \"%.64s\"", name ? name : "");
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

/* Inside a transaction: pop the oldest entry; when it names a staged task, load it into t. */
static int take_locked(struct platform *p, struct plat_task *t)
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
	if (!(why = cannot_run(t)))
		return plat_task_save(p, t, "running");
	if ((rc = set_text(t->rec, "error", why)) || (rc = plat_task_save(p, t, "failed")))
		return rc;
	return TAKE_ENDED;
}

/* End the running task id as finished with result, or failed with error. */
static int finish(struct platform *p, const char *id, const char *result, const char *error)
{
	struct plat_task t;
	int rc;

	if ((rc = st_begin(p->st)))
		return rc;
	rc = plat_task_load(p, id, &t);
	if (rc == 0 && strcmp(t.status, "running"))
		rc = CU_ESTATE;
	if (rc == 0)
		rc = set_text(t.rec, result ? "result" : "error", result ? result : error);
	if (rc == 0)
		rc = plat_task_save(p, &t, result ? "finished" : "failed");
	rc = plat_task_tx_end(p, rc, NULL);
	plat_task_release(&t);
	if (rc == 0 && p->on_done)
		p->on_done(p->notify_arg, id);
	return rc;
}

/* Run the task t (running, committed) outside any transaction, then end it. */
static int run_task(struct platform *p, const struct plat_task *t)
{
	struct plat_error err = {{0}};
	char id[PLAT_ID_MAX + 1], *result = NULL;
	size_t n = 0;
	int rc;

	snprintf(id, sizeof(id), "%s", jstr(t->rec, "id"));
	rc = execute(t, &result, &err);
	if (rc == 0 && (n = strlen(result)) > PLAT_TEXT_MAX)
		rc =
		    plat_fail(&err, CU_ELIMIT, "the result is longer than %d bytes", PLAT_TEXT_MAX);
	if (rc && !err.message[0])
		plat_fail(&err, rc, "the function failed: %s", cu_strerror(rc));
	rc = finish(p, id, rc ? NULL : result, err.message);
	cu_free_secret(result, n); /* the result is the data owners' */
	return rc;
}

int plat_worker_run_one(struct platform *p)
{
	struct plat_task t;
	char id[PLAT_ID_MAX + 1];
	int rc, taken;

	if (!p)
		return CU_EINVAL;
	for (;;) {
		memset(&t, 0, sizeof(t));
		if ((rc = st_begin(p->st)))
			return rc;
		if ((taken = take_locked(p, &t)) < 0) {
			st_rollback(p->st); /* CU_ENOTFOUND: the queue is empty */
			plat_task_release(&t);
			return taken;
		}
		if ((rc = st_commit(p->st))) {
			plat_task_release(&t);
			return rc;
		}
		if (taken == 0)
			rc = run_task(p, &t);
		if (taken == TAKE_ENDED && p->on_done) {
			snprintf(id, sizeof(id), "%s", jstr(t.rec, "id"));
			p->on_done(p->notify_arg, id);
		}
		plat_task_release(&t);
		if (taken != TAKE_SKIPPED)
			return rc;
	}
}

/* tasks.c - the tasks calls of the API, the approval of what one saw, and waiting. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client/client_int.h"
#include "common/json.h"

/* {name: value, ...}; a name given twice is refused. */
static json_t *args_json(struct custos_client *c, const struct custos_task_arg *v, size_t n)
{
	json_t *o = cl_obj(c), *s;

	for (size_t i = 0; o && i < n; i++) {
		if (!v || !v[i].name || !*v[i].name || !v[i].value)
			goto bad;
		if (json_object_get(o, v[i].name)) {
			cl_fail(c, CUSTOS_EINVAL, "argument '%s' given twice", v[i].name);
			json_decref(o);
			return NULL;
		}
		if (!(s = json_string(v[i].value)) || json_object_set_new(o, v[i].name, s))
			goto bad;
	}
	return o;
bad:
	json_decref(o);
	cl_fail(c, CUSTOS_EINVAL, "malformed task argument (a name and a UTF-8 value)");
	return NULL;
}

/* {name: [owner, ...], ...}. */
static json_t *slots_json(struct custos_client *c, const struct custos_task_slot *v, size_t n)
{
	json_t *o = cl_obj(c), *a;

	for (size_t i = 0; o && i < n; i++) {
		if (!v || !v[i].name || !*v[i].name || !v[i].nowners)
			goto bad;
		if (json_object_get(o, v[i].name)) {
			cl_fail(c, CUSTOS_EINVAL, "slot '%s' given twice", v[i].name);
			json_decref(o);
			return NULL;
		}
		if (!(a = cl_str_array(c, v[i].owners, v[i].nowners)) ||
		    json_object_set_new(o, v[i].name, a))
			goto bad;
	}
	return o;
bad:
	json_decref(o);
	cl_fail(c, CUSTOS_EINVAL, "malformed task slot (a name and at least one owner)");
	return NULL;
}

/* {name: file id, ...}. */
static json_t *files_json(struct custos_client *c, const struct custos_task_file *v, size_t n)
{
	json_t *o = cl_obj(c);

	for (size_t i = 0; o && i < n; i++) {
		if (!v || !v[i].name || !*v[i].name || !v[i].file || !*v[i].file ||
		    json_object_get(o, v[i].name) || cl_set_str(c, o, v[i].name, v[i].file)) {
			json_decref(o);
			cl_fail(c, CUSTOS_EINVAL, "malformed or repeated slot assignment");
			return NULL;
		}
	}
	return o;
}

int custos_task_create(struct custos_client *c, const struct custos_task_spec *t,
                       char id[CUSTOS_ID_MAX])
{
	json_t *req;
	int rc;

	if (id)
		memset(id, 0, CUSTOS_ID_MAX);
	if (!c)
		return CUSTOS_EINVAL;
	if (!t)
		return cl_fail(c, CUSTOS_EINVAL, "no task given");
	if ((rc = cl_need(c, "function id", t->function)))
		return rc;
	if (!(req = cl_obj(c)))
		return CUSTOS_ENOMEM;
	if (!(rc = cl_set_str(c, req, "function", t->function)) &&
	    !(rc = t->nargs ? cl_set_new(c, req, "arguments", args_json(c, t->args, t->nargs))
	                    : 0) &&
	    !(rc = t->ninputs ? cl_set_new(c, req, "inputs", slots_json(c, t->inputs, t->ninputs))
	                      : 0) &&
	    !(rc = t->noutputs
	               ? cl_set_new(c, req, "outputs", slots_json(c, t->outputs, t->noutputs))
	               : 0))
		rc = cl_call_id(c, "POST", "/v1/tasks", req, id, NULL);
	json_decref(req);
	return rc;
}

int custos_task_get(struct custos_client *c, const char *id, unsigned wait_seconds, char **json)
{
	char path[CL_PATH_MAX], q[32] = "";
	int rc;

	if (json)
		*json = NULL;
	if ((rc = cl_need(c, "task id", id)))
		return rc;
	if (wait_seconds > CUSTOS_WAIT_MAX)
		return cl_fail(c, CUSTOS_EINVAL, "a wait is 0..%d seconds", CUSTOS_WAIT_MAX);
	if (wait_seconds)
		snprintf(q, sizeof(q), "?wait=%u", wait_seconds);
	if ((rc = cl_path(c, path, sizeof(path), "tasks", id, q)))
		return rc;
	return cl_call_text(c, "GET", path, NULL, json);
}

static int ended(const char *status)
{
	return !strcmp(status, "finished") || !strcmp(status, "failed") ||
	       !strcmp(status, "canceled");
}

static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The "status" of a task view. */
static int view_status(struct custos_client *c, const char *text, char *out, size_t outsz)
{
	json_t *v = NULL;
	const char *s;
	int rc = 0;

	if (cu_json_parse(text, strlen(text), strlen(text) + 1, &v) ||
	    cu_json_get_str(v, "status", &s) || strlen(s) >= outsz)
		rc = cl_fail(c, CUSTOS_EPROTO, "the task view has no status");
	else
		memcpy(out, s, strlen(s) + 1);
	json_decref(v);
	return rc;
}

int custos_task_wait(struct custos_client *c, const char *id, unsigned timeout_seconds, char **json)
{
	time_t start = mono_now(), left;
	unsigned wait;
	char status[32];
	char *view = NULL;
	int rc;

	if (json)
		*json = NULL;
	if (!json)
		return cl_need(c, "a place for the view", NULL);
	for (;;) {
		wait = CUSTOS_WAIT_MAX;
		if (timeout_seconds) {
			left = (time_t)timeout_seconds - (mono_now() - start);
			wait = left <= 0                ? 0
			       : left < CUSTOS_WAIT_MAX ? (unsigned)left
			                                : CUSTOS_WAIT_MAX;
		}
		custos_free(view);
		view = NULL;
		if ((rc = custos_task_get(c, id, wait, &view)) ||
		    (rc = view_status(c, view, status, sizeof(status))))
			break;
		if (ended(status))
			break;
		if (timeout_seconds && mono_now() - start >= (time_t)timeout_seconds) {
			rc = cl_fail(c, CUSTOS_ETIMEOUT, "task %s is still %s after %u seconds", id,
			             status, timeout_seconds);
			break;
		}
	}
	if (rc && rc != CUSTOS_ETIMEOUT) {
		custos_free(view);
		view = NULL;
	}
	*json = view;
	return rc;
}

int custos_task_list(struct custos_client *c, char **json)
{
	return cl_get_list(c, "/v1/tasks", json);
}

/* POST /v1/tasks/ID/ACTION with body (NULL: {}); json gets the reply's text when not NULL. */
static int task_post(struct custos_client *c, const char *id, const char *action, json_t *body,
                     char **json)
{
	char path[CL_PATH_MAX];
	json_t *resp = NULL, *empty = NULL;
	int rc;

	if (json)
		*json = NULL;
	if ((rc = cl_need(c, "task id", id)) ||
	    (rc = cl_path(c, path, sizeof(path), "tasks", id, action)))
		return rc;
	if (!body && !(body = empty = cl_obj(c)))
		return CUSTOS_ENOMEM;
	if (!(rc = cl_call(c, "POST", path, body, &resp)) && json)
		rc = cl_dump(c, resp, json);
	json_decref(resp);
	json_decref(empty);
	return rc;
}

int custos_task_assign(struct custos_client *c, const char *id,
                       const struct custos_task_file *inputs, size_t ninputs,
                       const struct custos_task_file *outputs, size_t noutputs, char **json)
{
	json_t *req;
	int rc;

	if (json)
		*json = NULL;
	if ((rc = cl_need(c, "task id", id)))
		return rc;
	if (!ninputs && !noutputs)
		return cl_fail(c, CUSTOS_EINVAL, "nothing to assign");
	if (!(req = cl_obj(c)))
		return CUSTOS_ENOMEM;
	if (!(rc = ninputs ? cl_set_new(c, req, "inputs", files_json(c, inputs, ninputs)) : 0) &&
	    !(rc = noutputs ? cl_set_new(c, req, "outputs", files_json(c, outputs, noutputs)) : 0))
		rc = task_post(c, id, "/assign", req, json);
	json_decref(req);
	return rc;
}

/* The digest of the task as the platform shows it now. */
static int current_digest(struct custos_client *c, const char *id,
                          char out[CUSTOS_DIGEST_HEXLEN + 1])
{
	char path[CL_PATH_MAX];
	json_t *view = NULL;
	const char *d;
	int rc;

	if ((rc = cl_path(c, path, sizeof(path), "tasks", id, NULL)) ||
	    (rc = cl_call(c, "GET", path, NULL, &view)))
		return rc;
	if (cu_json_get_str(view, "digest", &d) || strlen(d) != CUSTOS_DIGEST_HEXLEN)
		rc = cl_fail(c, CUSTOS_EPROTO, "the task view has no digest");
	else
		memcpy(out, d, CUSTOS_DIGEST_HEXLEN + 1);
	json_decref(view);
	return rc;
}

int custos_task_approve(struct custos_client *c, const char *id, char *digest_out, char **json)
{
	char d[CUSTOS_DIGEST_HEXLEN + 1];
	json_t *req;
	int rc;

	if (json)
		*json = NULL;
	if (digest_out)
		digest_out[0] = 0;
	if ((rc = cl_need(c, "task id", id)) || (rc = current_digest(c, id, d)))
		return rc;
	if (!(req = cl_obj(c)))
		return CUSTOS_ENOMEM;
	if (!(rc = cl_set_str(c, req, "digest", d)))
		rc = task_post(c, id, "/approve", req, json);
	json_decref(req);
	if (!rc && digest_out)
		memcpy(digest_out, d, sizeof(d));
	return rc;
}

int custos_task_invoke(struct custos_client *c, const char *id, char **json)
{
	return task_post(c, id, "/invoke", NULL, json);
}

int custos_task_cancel(struct custos_client *c, const char *id, char **json)
{
	return task_post(c, id, "/cancel", NULL, json);
}

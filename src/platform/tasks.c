/*
 * tasks.c - tasks: create, get, list, assign, approve, invoke, cancel; the
 * task digest that approvals sign; the recovery of staged and running tasks
 * at open (DESIGN.md §7; docs/platform.md, "Tasks").
 *
 * The status of an open task (created, data_assigned, approved) is derived
 * each time a task is read: from whether every slot has a file, and from
 * whether every approver's approval equals the digest as the function and
 * the files are now. So a change of the function or of a file voids the
 * approvals even though the task record itself did not change.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "crypto/hash.h"
#include "platform/platform_int.h"
#include "platform/tasks_int.h"
#include "store/store.h"

static const char *const status_words[] = {
    "created", "data_assigned", "approved", "staged", "running", "finished", "failed", "canceled",
};

static json_t *mut(const json_t *j)
{
	return (json_t *)(uintptr_t)j;
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* The static word equal to s, or NULL. */
static const char *status_word(const char *s)
{
	for (size_t i = 0; s && i < sizeof(status_words) / sizeof(status_words[0]); i++)
		if (!strcmp(s, status_words[i]))
			return status_words[i];
	return NULL;
}

static int status_open(const char *s)
{
	return streq(s, "created") || streq(s, "data_assigned") || streq(s, "approved");
}

int plat_task_terminal(const char *s)
{
	return streq(s, "finished") || streq(s, "failed") || streq(s, "canceled");
}

/* The function a task names, whatever the caller may do with it. */
static int fn_read(struct platform *p, const char *id, json_t **out)
{
	return plat_get(p, PLAT_T_FUNCS, id, out, NULL);
}

/* ---- the shape of a task record ---- */

static int slots_valid(const json_t *slots)
{
	const json_t *s, *o;
	size_t i, j;

	if (!json_is_array(slots))
		return 0;
	json_array_foreach(slots, i, s)
	{
		if (!jstr(s, "name") || !json_is_array(json_object_get(s, "owners")))
			return 0;
		if (!json_is_string(json_object_get(s, "file")) &&
		    !json_is_null(json_object_get(s, "file")))
			return 0;
		json_array_foreach(json_object_get(s, "owners"), j, o)
		{
			if (!json_is_string(o))
				return 0;
		}
	}
	return 1;
}

/* Whether rec has the fields the code below relies on (the store seals it,
   so this guards against our own mistakes more than against the host). */
static int task_valid(const json_t *rec)
{
	return json_is_object(rec) && jstr(rec, "id") && jstr(rec, "creator") &&
	       jstr(rec, "function") && status_word(jstr(rec, "status")) &&
	       json_is_object(json_object_get(rec, "arguments")) &&
	       json_is_object(json_object_get(rec, "approvals")) &&
	       slots_valid(json_object_get(rec, "inputs")) &&
	       slots_valid(json_object_get(rec, "outputs"));
}

static int slots_have_owner(const json_t *slots, const char *user)
{
	const json_t *s;
	size_t i;

	json_array_foreach(slots, i, s)
	{
		if (plat_list_has(json_object_get(s, "owners"), user))
			return 1;
	}
	return 0;
}

static int is_approver(const json_t *rec, const char *user)
{
	return slots_have_owner(json_object_get(rec, "inputs"), user) ||
	       slots_have_owner(json_object_get(rec, "outputs"), user);
}

static int is_participant(const json_t *rec, const char *user)
{
	return streq(jstr(rec, "creator"), user) || is_approver(rec, user);
}

static int slots_filled(const json_t *slots)
{
	const json_t *s;
	size_t i;

	json_array_foreach(slots, i, s)
	{
		if (!json_is_string(json_object_get(s, "file")))
			return 0;
	}
	return 1;
}

static const json_t *find_named(const json_t *list, const char *name)
{
	const json_t *e;
	size_t i;

	json_array_foreach(list, i, e)
	{
		if (streq(jstr(e, "name"), name))
			return e;
	}
	return NULL;
}

/* ---- sorting JSON arrays ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	              json_string_value(*(json_t *const *)b));
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(jstr(*(json_t *const *)a, "name"), jstr(*(json_t *const *)b, "name"));
}

/* Sort arr in place (every element must have what cmp compares). */
static int sort_array(json_t *arr, int (*cmp)(const void *, const void *))
{
	size_t n = json_array_size(arr);
	json_t **v;
	int rc = 0;

	if (n < 2)
		return 0;
	if (!(v = cu_calloc(n, sizeof(*v))))
		return CU_ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), cmp);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(arr, v[i]))
			rc = CU_ENOMEM;
	free(v);
	return rc;
}

/* Add the owners of every slot to l, once each. */
static int add_owners(json_t *l, const json_t *slots)
{
	const json_t *s, *o;
	size_t i, j;

	json_array_foreach(slots, i, s)
	{
		json_array_foreach(json_object_get(s, "owners"), j, o)
		{
			if (plat_list_has(l, json_string_value(o)))
				continue;
			if (json_array_append_new(l, json_string(json_string_value(o))))
				return CU_ENOMEM;
		}
	}
	return 0;
}

/* The sorted, duplicate-free union of the owners of every slot (NULL: no memory). */
static json_t *approvers_of(const json_t *rec)
{
	json_t *l = json_array();

	if (!l || add_owners(l, json_object_get(rec, "inputs")) ||
	    add_owners(l, json_object_get(rec, "outputs")) || sort_array(l, cmp_str)) {
		json_decref(l);
		return NULL;
	}
	return l;
}

/* ---- the digest ---- */

static int set_copy(json_t *o, const char *key, const json_t *v)
{
	return json_object_set_new(o, key, v ? json_deep_copy(v) : json_null()) ? CU_ENOMEM : 0;
}

/* {"id","revision","executor","builtin" | "payload_sha256"}; fn may be NULL (gone). */
static json_t *digest_function(const char *id, const json_t *fn)
{
	json_t *o = json_object();
	const char *ex = jstr(fn, "executor");
	int rc;

	if (!o)
		return NULL;
	rc = cu_json_set_str(o, "id", id);
	rc = rc ? rc : set_copy(o, "revision", json_object_get(fn, "revision"));
	rc = rc ? rc : set_copy(o, "executor", json_object_get(fn, "executor"));
	if (!rc && streq(ex, "builtin"))
		rc = set_copy(o, "builtin", json_object_get(fn, "builtin"));
	else if (!rc && streq(ex, "wasm"))
		rc = set_copy(o, "payload_sha256", json_object_get(fn, "payload_sha256"));
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* One slot as the digest covers it: {"name","owners" (sorted),"file","digest"}. */
static int digest_slot(struct platform *p, const json_t *slot, json_t **out)
{
	const char *fid = jstr(slot, "file");
	json_t *o = json_object(), *owners = json_deep_copy(json_object_get(slot, "owners"));
	json_t *file = NULL;
	int rc = o && owners ? 0 : CU_ENOMEM;

	if (!rc && fid && (rc = plat_file_get(p, fid, &file, NULL)) == CU_ENOTFOUND)
		rc = 0; /* a file gone: its digest is null */
	rc = rc ? rc : sort_array(owners, cmp_str);
	rc = rc ? rc : set_copy(o, "name", json_object_get(slot, "name"));
	rc = rc ? rc : json_object_set(o, "owners", owners) ? CU_ENOMEM : 0;
	rc = rc ? rc : set_copy(o, "file", json_object_get(slot, "file"));
	rc = rc ? rc : set_copy(o, "digest", json_object_get(file, "digest"));
	json_decref(owners);
	plat_file_release(file);
	if (rc)
		json_decref(o);
	else
		*out = o;
	return rc;
}

static int digest_slots(struct platform *p, const json_t *slots, json_t **out)
{
	json_t *l = json_array(), *e;
	const json_t *s;
	size_t i;
	int rc = l ? 0 : CU_ENOMEM;

	json_array_foreach(slots, i, s)
	{
		if (rc || (rc = digest_slot(p, s, &e)))
			break;
		if (json_array_append_new(l, e))
			rc = CU_ENOMEM;
	}
	rc = rc ? rc : sort_array(l, cmp_name);
	if (rc)
		json_decref(l);
	else
		*out = l;
	return rc;
}

/* hex[65] = SHA-256 of the compact JSON (keys sorted) the contract defines. */
static int task_digest(struct platform *p, const json_t *rec, const json_t *fn, char *hex)
{
	json_t *doc = json_object(), *ins = NULL, *outs = NULL;
	uint8_t d[CR_SHA256_LEN];
	char *s = NULL;
	int rc = doc ? 0 : CU_ENOMEM;

	rc = rc ? rc : digest_slots(p, json_object_get(rec, "inputs"), &ins);
	if (!rc && json_object_set_new(doc, "inputs", ins)) /* steals ins, even on failure */
		rc = CU_ENOMEM;
	rc = rc ? rc : digest_slots(p, json_object_get(rec, "outputs"), &outs);
	if (!rc && json_object_set_new(doc, "outputs", outs))
		rc = CU_ENOMEM;
	if (!rc && json_object_set_new(doc, "function", digest_function(jstr(rec, "function"), fn)))
		rc = CU_ENOMEM;
	rc = rc ? rc : set_copy(doc, "arguments", json_object_get(rec, "arguments"));
	if (!rc && !(s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS)))
		rc = CU_ENOMEM;
	rc = rc ? rc : cr_sha256(s, strlen(s), d);
	rc = rc ? rc : cu_hex_encode(d, sizeof(d), hex, PLAT_DIGEST_HEX + 1);
	if (s)
		cu_free_secret(s, strlen(s)); /* it holds the arguments */
	json_decref(doc);
	return rc;
}

/* ---- a loaded task ---- */

int plat_task_all_approved(const struct plat_task *t)
{
	const json_t *apv = json_object_get(t->rec, "approvals");
	json_t *who = approvers_of(t->rec), *u;
	size_t i;
	int ok = who != NULL;

	json_array_foreach(who, i, u)
	{
		if (!streq(jstr(apv, json_string_value(u)), t->digest))
			ok = 0;
	}
	json_decref(who);
	return ok;
}

/* Compute t's digest and status from t->rec and t->fn. */
static int task_settle(struct platform *p, struct plat_task *t)
{
	int rc = task_digest(p, t->rec, t->fn, t->digest);

	if (rc)
		return rc;
	t->status = status_word(jstr(t->rec, "status"));
	if (!status_open(t->status))
		return 0;
	if (!slots_filled(json_object_get(t->rec, "inputs")) ||
	    !slots_filled(json_object_get(t->rec, "outputs")))
		t->status = "created";
	else
		t->status = plat_task_all_approved(t) ? "approved" : "data_assigned";
	return 0;
}

/* Take rec (stolen) as t, with its function, digest and status. */
static int task_from_rec(struct platform *p, json_t *rec, uint64_t version, struct plat_task *t)
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->rec = rec;
	t->version = version;
	if (!task_valid(rec))
		return CU_EFORMAT;
	rc = fn_read(p, jstr(rec, "function"), &t->fn);
	if (rc && rc != CU_ENOTFOUND)
		return rc;
	return task_settle(p, t);
}

int plat_task_load(struct platform *p, const char *id, struct plat_task *t)
{
	json_t *rec = NULL;
	uint64_t version = 0;
	int rc;

	memset(t, 0, sizeof(*t));
	if ((rc = plat_get(p, PLAT_T_TASKS, id, &rec, &version)))
		return rc;
	if ((rc = task_from_rec(p, rec, version, t)))
		plat_task_release(t);
	return rc;
}

void plat_task_release(struct plat_task *t)
{
	json_decref(t->rec);
	json_decref(t->fn);
	memset(t, 0, sizeof(*t));
}

int plat_task_save(struct platform *p, struct plat_task *t, const char *status)
{
	int rc;

	if ((rc = cu_json_set_str(t->rec, "status", status)) ||
	    (rc = cu_json_set_int(t->rec, "updated", p->now())))
		return rc;
	t->status = status_word(status);
	return plat_put(p, PLAT_T_TASKS, jstr(t->rec, "id"), t->rec);
}

int plat_task_tx_begin(struct platform *p, struct plat_error *err)
{
	int rc = st_begin(p->st);

	return rc ? plat_fail(err, rc, "the store could not begin a transaction: %s",
	                      cu_strerror(rc))
	          : 0;
}

int plat_task_tx_end(struct platform *p, int rc, struct plat_error *err)
{
	if (rc) {
		st_rollback(p->st);
		return rc;
	}
	if ((rc = st_commit(p->st)))
		return plat_fail(err, rc, "the store could not commit: %s", cu_strerror(rc));
	return 0;
}

/* ---- what every operation shares ---- */

static int need_caller(const struct plat_caller *who, json_t **out, struct plat_error *err)
{
	if (out)
		*out = NULL;
	if (err)
		err->message[0] = '\0';
	return who ? 0 : plat_fail(err, CU_EAUTH, "this operation needs a token");
}

/* An error without a message gets one naming the error. */
static int internal(int rc, struct plat_error *err)
{
	if (rc && err && !err->message[0])
		plat_fail(err, rc, "the task operation failed: %s", cu_strerror(rc));
	return rc;
}

/* Load the task in["id"] for who, who must be a participant (else not found). */
static int load_visible(struct platform *p, const struct plat_caller *who, const json_t *in,
                        struct plat_task *t, struct plat_error *err)
{
	const char *id;
	int rc;

	memset(t, 0, sizeof(*t));
	if ((rc = plat_req_str(in, "id", PLAT_ID_MAX, &id, err)))
		return rc;
	rc = plat_task_load(p, id, t);
	if (rc == 0 && !is_participant(t->rec, who->user)) {
		plat_task_release(t);
		rc = CU_ENOTFOUND;
	}
	if (rc == CU_ENOTFOUND)
		return plat_fail(err, rc, "no task \"%.80s\"", id);
	return rc ? plat_fail(err, rc, "cannot read task \"%.80s\": %s", id, cu_strerror(rc)) : 0;
}

static int reply_status(const struct plat_task *t, json_t **out)
{
	*out = json_pack("{s:s, s:s}", "id", jstr(t->rec, "id"), "status", t->status);
	return *out ? 0 : CU_ENOMEM;
}

/* ---- task.create ---- */

/* The arguments the task runs with: those given, and the defaults of the others. */
static int build_arguments(const json_t *fn, const json_t *given, json_t **out,
                           struct plat_error *err)
{
	const json_t *decl = json_object_get(fn, "arguments"), *spec, *v;
	const char *name;
	size_t i;

	if (given && !json_is_null(given) && !json_is_object(given))
		return plat_fail(err, CU_EFORMAT, "\"arguments\" is not an object");
	json_object_foreach(mut(given), name, v)
	{
		if (!(spec = find_named(decl, name)))
			return plat_fail(err, CU_EINVAL, "the function has no argument \"%.64s\"",
			                 name);
		if (json_is_false(json_object_get(spec, "overridable")))
			return plat_fail(err, CU_EINVAL, "argument \"%.64s\" may not be given",
			                 name);
		if (!json_is_string(v) || memchr(json_string_value(v), 0, json_string_length(v)))
			return plat_fail(err, CU_EFORMAT, "argument \"%.64s\" is not a string",
			                 name);
		if (json_string_length(v) > PLAT_TEXT_MAX)
			return plat_fail(err, CU_ELIMIT,
			                 "argument \"%.64s\" is longer than %d bytes", name,
			                 PLAT_TEXT_MAX);
	}
	if (!(*out = json_object()))
		return CU_ENOMEM;
	json_array_foreach(decl, i, spec)
	{
		name = jstr(spec, "name");
		if (!(v = json_object_get(given, name)))
			v = json_object_get(spec, "default");
		if (!json_is_string(v))
			return plat_fail(err, CU_EINVAL, "argument \"%.64s\" is required", name);
		if (!name || json_object_set_new(*out, name, json_deep_copy(v)))
			return CU_EFORMAT;
	}
	return 0;
}

/* The owners named for one slot: 1..PLAT_LIST_MAX existing users. */
static int slot_owners(struct platform *p, const json_t *given, const char *name, const char *what,
                       json_t **owners, struct plat_error *err)
{
	const json_t *o;
	size_t i;
	int rc;

	if ((rc = plat_req_str_list(given, name, PLAT_USER_MAX, owners, err)))
		return rc;
	if (!json_array_size(*owners))
		return plat_fail(err, CU_EINVAL, "%s \"%.64s\" needs at least one owner", what,
		                 name);
	json_array_foreach(*owners, i, o)
	{
		if (!plat_valid_name(json_string_value(o), PLAT_USER_MAX))
			return plat_fail(err, CU_EINVAL, "\"%.64s\" is not a valid user id",
			                 json_string_value(o));
		if ((rc = plat_user_exists(p, json_string_value(o))) < 0)
			return rc;
		if (!rc)
			return plat_fail(err, CU_EINVAL, "user \"%.64s\" does not exist",
			                 json_string_value(o));
	}
	return 0;
}

/* The slots of one kind ("inputs"), in the function's order: {"name","owners","file":null}. */
static int build_slots(struct platform *p, const json_t *fn, const char *key, const char *what,
                       const json_t *given, json_t *slots, struct plat_error *err)
{
	const json_t *decl = json_object_get(fn, key), *spec, *v;
	json_t *owners = NULL;
	const char *name;
	size_t i;
	int rc;

	if (given && !json_is_null(given) && !json_is_object(given))
		return plat_fail(err, CU_EFORMAT, "\"%s\" is not an object", key);
	json_object_foreach(mut(given), name, v)
	{
		if (!find_named(decl, name))
			return plat_fail(err, CU_EINVAL, "the function has no %s \"%.64s\"", what,
			                 name);
	}
	json_array_foreach(decl, i, spec)
	{
		name = jstr(spec, "name");
		if (!name)
			return CU_EFORMAT;
		if (!json_object_get(given, name)) {
			if (json_is_true(json_object_get(spec, "optional")))
				continue;
			return plat_fail(err, CU_EINVAL,
			                 "%s \"%.64s\" is required: name its owners", what, name);
		}
		if ((rc = slot_owners(p, given, name, what, &owners, err))) {
			json_decref(owners);
			return rc;
		}
		if (json_array_append_new(slots, json_pack("{s:s, s:o, s:n}", "name", name,
		                                           "owners", owners, "file")))
			return CU_ENOMEM;
	}
	return 0;
}

static int create_record(struct platform *p, const struct plat_caller *who, const json_t *in,
                         const json_t *fn, struct plat_task *t, struct plat_error *err)
{
	char id[PLAT_ID_MAX + 1];
	json_t *args = NULL, *ins = json_array(), *outs = json_array();
	int rc;

	if ((rc = build_arguments(fn, json_object_get(in, "arguments"), &args, err)) ||
	    (rc = build_slots(p, fn, "inputs", "input", json_object_get(in, "inputs"), ins, err)) ||
	    (rc = build_slots(p, fn, "outputs", "output", json_object_get(in, "outputs"), outs,
	                      err)) ||
	    (rc = plat_new_id("task", id))) {
		json_decref(args);
		json_decref(ins);
		json_decref(outs);
		return rc;
	}
	t->rec =
	    json_pack("{s:s, s:s, s:s, s:s?, s:o, s:o, s:o, s:{}, s:s, s:n, s:n, s:{}, s:I, s:I}",
	              "id", id, "creator", who->user, "function", jstr(fn, "id"), "function_owner",
	              jstr(fn, "owner"), "arguments", args, "inputs", ins, "outputs", outs,
	              "approvals", "status", "created", "result", "error", "output_digests",
	              "created", (json_int_t)p->now(), "updated", (json_int_t)p->now());
	return t->rec ? 0 : CU_ENOMEM;
}

int op_task_create(struct platform *p, const struct plat_caller *who, const json_t *in,
                   json_t **out, struct plat_error *err)
{
	static const char *const keys[] = {"function", "arguments", "inputs", "outputs", NULL};
	struct plat_task t = {0};
	const char *fid;
	int rc;

	if ((rc = need_caller(who, out, err)) || (rc = plat_only_keys(in, keys, err)))
		return rc;
	if (who->role == PLAT_ROLE_ADMIN)
		return plat_fail(err, CU_EPERM, "the platform admin does not create tasks");
	if ((rc = plat_req_str(in, "function", PLAT_ID_MAX, &fid, err)))
		return rc;
	rc = plat_function_for(p, who->user, fid, &t.fn, NULL, err);
	rc = rc ? rc : create_record(p, who, in, t.fn, &t, err);
	rc = rc ? rc : task_settle(p, &t);
	rc = rc ? rc : cu_json_set_str(t.rec, "status", t.status);
	rc = rc ? rc : plat_cas(p, PLAT_T_TASKS, jstr(t.rec, "id"), 0, t.rec);
	rc = rc ? rc : reply_status(&t, out);
	plat_task_release(&t);
	return internal(rc, err);
}

/* ---- task.get, task.list, plat_task_status ---- */

static int view_approvals(const struct plat_task *t, json_t *view)
{
	json_t *who = approvers_of(t->rec), *ok = json_array(), *u;
	const json_t *apv = json_object_get(t->rec, "approvals");
	size_t i;
	int rc = who && ok ? 0 : CU_ENOMEM;

	json_array_foreach(who, i, u)
	{
		if (!rc && streq(jstr(apv, json_string_value(u)), t->digest) &&
		    json_array_append(ok, u))
			rc = CU_ENOMEM;
	}
	if (!rc && (json_object_set_new(view, "approvals", ok) ||
	            json_object_set_new(view, "approvers", who)))
		return CU_ENOMEM;
	if (rc) {
		json_decref(who);
		json_decref(ok);
	}
	return rc;
}

static int task_view(const struct plat_task *t, json_t **out)
{
	static const char *const copied[] = {
	    "id",      "creator", "function",   "function_owner", "arguments",
	    "inputs",  "outputs", "result",     "output_digests", "created",
	    "updated", "error",   "output_ivs", "worker",         "requeued",
	};
	json_t *v = json_object();
	int rc = v ? 0 : CU_ENOMEM;

	for (size_t i = 0; !rc && i < sizeof(copied) / sizeof(copied[0]); i++)
		rc = set_copy(v, copied[i], json_object_get(t->rec, copied[i]));
	rc = rc ? rc : view_approvals(t, v);
	rc = rc ? rc : cu_json_set_str(v, "digest", t->digest);
	rc = rc ? rc : cu_json_set_str(v, "status", t->status);
	if (rc)
		json_decref(v);
	else
		*out = v;
	return rc;
}

int op_task_get(struct platform *p, const struct plat_caller *who, const json_t *in, json_t **out,
                struct plat_error *err)
{
	static const char *const keys[] = {"id", NULL};
	struct plat_task t = {0};
	int rc;

	if ((rc = need_caller(who, out, err)) || (rc = plat_only_keys(in, keys, err)) ||
	    (rc = load_visible(p, who, in, &t, err)))
		return internal(rc, err);
	rc = task_view(&t, out);
	plat_task_release(&t);
	return internal(rc, err);
}

struct list_scan {
	struct platform *p;
	const char *user;
	json_t *tasks;
};

static int list_visit(void *arg, const char *key, const uint8_t *val, size_t len, uint64_t version)
{
	struct list_scan *ls = arg;
	struct plat_task t;
	json_t *rec = NULL;
	int rc;

	(void)key;
	if (cu_json_parse(val, len, ST_VALUE_MAX, &rec))
		return CU_EFORMAT;
	if (!task_valid(rec) || !is_participant(rec, ls->user)) {
		rc = task_valid(rec) ? 0 : CU_EFORMAT;
		json_decref(rec);
		return rc;
	}
	if ((rc = task_from_rec(ls->p, rec, version, &t)) == 0 &&
	    json_array_append_new(ls->tasks,
	                          json_pack("{s:s, s:s, s:s, s:O?}", "id", jstr(t.rec, "id"),
	                                    "status", t.status, "function", jstr(t.rec, "function"),
	                                    "created", json_object_get(t.rec, "created"))))
		rc = CU_ENOMEM;
	plat_task_release(&t);
	return rc;
}

int op_task_list(struct platform *p, const struct plat_caller *who, const json_t *in, json_t **out,
                 struct plat_error *err)
{
	static const char *const keys[] = {NULL};
	struct list_scan ls = {p, NULL, NULL};
	int rc;

	if ((rc = need_caller(who, out, err)) || (rc = plat_only_keys(in, keys, err)))
		return rc;
	ls.user = who->user;
	if (!(ls.tasks = json_array()))
		return internal(CU_ENOMEM, err);
	/* st_scan visits keys in byte order: the list comes sorted by id */
	if ((rc = st_scan(p->st, PLAT_T_TASKS, NULL, list_visit, &ls)) ||
	    !(*out = json_pack("{s:o}", "tasks", ls.tasks))) {
		if (!rc)
			rc = CU_ENOMEM;
		else
			json_decref(ls.tasks);
		return internal(rc, err);
	}
	return 0;
}

int plat_task_status(struct platform *p, const struct plat_caller *who, const char *task_id,
                     char status[32], int *terminal)
{
	struct plat_task t;
	int rc;

	if (!p || !who || !task_id || !status || !terminal)
		return CU_EINVAL;
	status[0] = '\0';
	*terminal = 0;
	if ((rc = plat_task_load(p, task_id, &t)))
		return rc;
	if (!is_participant(t.rec, who->user)) {
		plat_task_release(&t);
		return CU_ENOTFOUND;
	}
	snprintf(status, 32, "%s", t.status); /* a status word: at most 13 bytes */
	*terminal = plat_task_terminal(t.status);
	plat_task_release(&t);
	return 0;
}

/* ---- task.assign ---- */

static int owners_equal(const json_t *a, const json_t *b)
{
	const json_t *e;
	size_t i;

	if (json_array_size(a) != json_array_size(b))
		return 0;
	json_array_foreach(a, i, e)
	{
		if (!plat_list_has(b, json_string_value(e)))
			return 0;
	}
	return 1;
}

/* Whether file (the record fid) may fill slot of kind what for who. */
static int check_file(const json_t *file, const char *fid, const json_t *slot, const char *what,
                      const struct plat_caller *who, struct plat_error *err)
{
	const char *kind = jstr(file, "kind");
	int input = !strcmp(what, "input");

	if (!plat_list_has(json_object_get(file, "owners"), who->user))
		return plat_fail(err, CU_ENOTFOUND, "no file \"%.80s\"", fid);
	if (input ? !streq(kind, "input") : !(streq(kind, "output") || streq(kind, "fusion")))
		return plat_fail(err, CU_EINVAL, "file \"%.80s\" is not an %s file", fid,
		                 input ? "input" : "output or fusion");
	if (!owners_equal(json_object_get(file, "owners"), json_object_get(slot, "owners")))
		return plat_fail(err, CU_EINVAL,
		                 "the owners of file \"%.80s\" are not those the task names for "
		                 "%s \"%.64s\"",
		                 fid, what, jstr(slot, "name"));
	if (!input && json_is_string(json_object_get(file, "digest")))
		return plat_fail(err, CU_EINVAL, "output file \"%.80s\" has been written already",
		                 fid);
	return 0;
}

/* Put the files of given ({slot: file id}) in the slots of kind key; *changed when any moved. */
static int assign_slots(struct platform *p, const struct plat_caller *who, json_t *rec,
                        const char *key, const char *what, const json_t *given, int *changed,
                        struct plat_error *err)
{
	json_t *slot, *file = NULL, *v;
	const char *name;
	int rc = 0;

	if (given && !json_is_object(given))
		return plat_fail(err, CU_EFORMAT, "\"%s\" is not an object", key);
	json_object_foreach(mut(given), name, v)
	{
		if (!(slot = mut(find_named(json_object_get(rec, key), name))))
			return plat_fail(err, CU_EINVAL, "the task has no %s \"%.64s\"", what,
			                 name);
		if (!json_is_string(v) || !json_string_length(v) ||
		    json_string_length(v) > PLAT_ID_MAX ||
		    memchr(json_string_value(v), 0, json_string_length(v)))
			return plat_fail(err, CU_EFORMAT, "%s \"%.64s\": not a file id", what,
			                 name);
		rc = plat_file_get(p, json_string_value(v), &file, NULL);
		if (rc == CU_ENOTFOUND)
			return plat_fail(err, rc, "no file \"%.80s\"", json_string_value(v));
		rc = rc ? rc : check_file(file, json_string_value(v), slot, what, who, err);
		plat_file_release(file);
		file = NULL;
		if (rc)
			return rc;
		if (!streq(jstr(slot, "file"), json_string_value(v))) {
			if (json_object_set_new(slot, "file", json_string(json_string_value(v))))
				return CU_ENOMEM;
			*changed = 1;
		}
	}
	return 0;
}

/* Two output slots may not share a file: the task would write it twice. */
static int outputs_distinct(const json_t *rec, struct plat_error *err)
{
	const json_t *outs = json_object_get(rec, "outputs"), *a, *b;
	size_t i, j;

	json_array_foreach(outs, i, a)
	{
		json_array_foreach(outs, j, b)
		{
			if (j > i && streq(jstr(a, "file"), jstr(b, "file")))
				return plat_fail(err, CU_EINVAL, "file \"%.80s\" fills two outputs",
				                 jstr(a, "file"));
		}
	}
	return 0;
}

static int assign_locked(struct platform *p, const struct plat_caller *who, const json_t *in,
                         struct plat_task *t, struct plat_error *err)
{
	int rc, changed = 0;

	if ((rc = load_visible(p, who, in, t, err)))
		return rc;
	if (!status_open(t->status))
		return plat_fail(err, CU_ESTATE, "the task is %s: its files can no longer change",
		                 t->status);
	if ((rc = assign_slots(p, who, t->rec, "inputs", "input", json_object_get(in, "inputs"),
	                       &changed, err)) ||
	    (rc = assign_slots(p, who, t->rec, "outputs", "output", json_object_get(in, "outputs"),
	                       &changed, err)) ||
	    (rc = outputs_distinct(t->rec, err)))
		return rc;
	if (!changed)
		return 0;
	if (json_object_set_new(t->rec, "approvals", json_object()))
		return CU_ENOMEM;
	if ((rc = task_settle(p, t)))
		return rc;
	return plat_task_save(p, t, t->status);
}

int op_task_assign(struct platform *p, const struct plat_caller *who, const json_t *in,
                   json_t **out, struct plat_error *err)
{
	static const char *const keys[] = {"id", "inputs", "outputs", NULL};
	struct plat_task t = {0};
	int rc;

	if ((rc = need_caller(who, out, err)) || (rc = plat_only_keys(in, keys, err)))
		return rc;
	for (size_t i = 1; i < 3; i++)
		if (json_object_get(in, keys[i]) && !json_is_object(json_object_get(in, keys[i])))
			return plat_fail(err, CU_EFORMAT, "\"%s\" is not an object", keys[i]);
	if (!json_object_size(json_object_get(in, "inputs")) &&
	    !json_object_size(json_object_get(in, "outputs")))
		return plat_fail(err, CU_EINVAL,
		                 "nothing to assign: give \"inputs\" or \"outputs\"");
	if ((rc = plat_task_tx_begin(p, err)))
		return rc;
	rc = plat_task_tx_end(p, assign_locked(p, who, in, &t, err), err);
	rc = rc ? rc : reply_status(&t, out);
	plat_task_release(&t);
	return internal(rc, err);
}

/* ---- task.approve ---- */

/* The digest of the request, lower-cased, into hex[65]. */
static int request_digest(const json_t *in, char *hex, struct plat_error *err)
{
	uint8_t d[CR_SHA256_LEN];
	const char *s;
	int rc;

	if ((rc = plat_req_str(in, "digest", PLAT_TEXT_MAX, &s, err)))
		return rc;
	if (strlen(s) != PLAT_DIGEST_HEX || cu_hex_decode_exact(s, d, sizeof(d)))
		return plat_fail(err, CU_EFORMAT, "\"digest\" is not the hex of a SHA-256 digest");
	return cu_hex_encode(d, sizeof(d), hex, PLAT_DIGEST_HEX + 1);
}

static int approve_locked(struct platform *p, const struct plat_caller *who, const json_t *in,
                          const char *digest, struct plat_task *t, struct plat_error *err)
{
	int rc;

	if ((rc = load_visible(p, who, in, t, err)))
		return rc;
	if (!is_approver(t->rec, who->user))
		return plat_fail(err, CU_EPERM, "only the owners of the task's data approve it");
	if (strcmp(t->status, "data_assigned"))
		return plat_fail(err, CU_ESTATE,
		                 "the task is %s: only a task in data_assigned is approved",
		                 t->status);
	if (strcmp(digest, t->digest))
		return plat_fail(err, CU_ESTATE,
		                 "the task changed since that digest: read it again and review it");
	if (json_object_set_new(json_object_get(t->rec, "approvals"), who->user,
	                        json_string(digest)))
		return CU_ENOMEM;
	if ((rc = task_settle(p, t)))
		return rc;
	return plat_task_save(p, t, t->status);
}

int op_task_approve(struct platform *p, const struct plat_caller *who, const json_t *in,
                    json_t **out, struct plat_error *err)
{
	static const char *const keys[] = {"id", "digest", NULL};
	struct plat_task t = {0};
	char digest[PLAT_DIGEST_HEX + 1];
	int rc;

	if ((rc = need_caller(who, out, err)) || (rc = plat_only_keys(in, keys, err)) ||
	    (rc = request_digest(in, digest, err)) || (rc = plat_task_tx_begin(p, err)))
		return internal(rc, err);
	rc = plat_task_tx_end(p, approve_locked(p, who, in, digest, &t, err), err);
	rc = rc ? rc : reply_status(&t, out);
	plat_task_release(&t);
	return internal(rc, err);
}

/* ---- task.invoke ---- */

/* Count one use of the task's function, refusing when its quota is used up. */
static int count_use(struct platform *p, struct plat_task *t, struct plat_error *err)
{
	json_int_t uses = json_integer_value(json_object_get(t->fn, "uses"));
	json_int_t quota = json_integer_value(json_object_get(t->fn, "quota"));

	if (quota > 0 && uses >= quota)
		return plat_fail(err, CU_ELIMIT, "the function's usage quota is used up");
	if (json_object_set_new(t->fn, "uses", json_integer(uses + 1)))
		return CU_ENOMEM;
	return plat_put(p, PLAT_T_FUNCS, jstr(t->rec, "function"), t->fn);
}

static int invoke_locked(struct platform *p, const struct plat_caller *who, const json_t *in,
                         struct plat_task *t, struct plat_error *err)
{
	const char *id;
	int rc;

	if ((rc = load_visible(p, who, in, t, err)))
		return rc;
	if (!streq(jstr(t->rec, "creator"), who->user))
		return plat_fail(err, CU_EPERM, "only the task's creator invokes it");
	if (strcmp(t->status, "approved"))
		return plat_fail(err, CU_ESTATE, "the task is %s: only an approved task is invoked",
		                 t->status);
	if (!t->fn || !plat_function_usable(t->fn, who->user))
		return plat_fail(err, CU_ESTATE, "the task's function is no longer available");
	if (json_is_true(json_object_get(t->fn, "disabled")))
		return plat_fail(err, CU_ESTATE, "the task's function is disabled");
	if ((rc = count_use(p, t, err)) || (rc = plat_task_save(p, t, "staged")))
		return rc;
	id = jstr(t->rec, "id");
	return st_queue_push(p->st, PLAT_Q_STAGED, id, strlen(id));
}

int op_task_invoke(struct platform *p, const struct plat_caller *who, const json_t *in,
                   json_t **out, struct plat_error *err)
{
	static const char *const keys[] = {"id", NULL};
	struct plat_task t = {0};
	int rc;

	if ((rc = need_caller(who, out, err)) || (rc = plat_only_keys(in, keys, err)) ||
	    (rc = plat_task_tx_begin(p, err)))
		return rc;
	rc = plat_task_tx_end(p, invoke_locked(p, who, in, &t, err), err);
	if (!rc && p->on_staged)
		p->on_staged(p->notify_arg, jstr(t.rec, "id"));
	rc = rc ? rc : reply_status(&t, out);
	plat_task_release(&t);
	return internal(rc, err);
}

/* ---- task.cancel ---- */

static int cancel_locked(struct platform *p, const struct plat_caller *who, const json_t *in,
                         struct plat_task *t, struct plat_error *err)
{
	int rc;

	/* every participant (the creator or an approver) may cancel */
	if ((rc = load_visible(p, who, in, t, err)))
		return rc;
	if (!status_open(t->status) && strcmp(t->status, "staged") && strcmp(t->status, "running"))
		return plat_fail(err, CU_ESTATE, "the task is %s: it can no longer be canceled",
		                 t->status);
	/* A staged task stays in the queue: the worker skips it. A running one is
	   stopped after the commit (op_task_cancel); the worker drops its result. */
	return plat_task_save(p, t, "canceled");
}

int op_task_cancel(struct platform *p, const struct plat_caller *who, const json_t *in,
                   json_t **out, struct plat_error *err)
{
	static const char *const keys[] = {"id", NULL};
	struct plat_task t = {0};
	int rc;

	if ((rc = need_caller(who, out, err)) || (rc = plat_only_keys(in, keys, err)) ||
	    (rc = plat_task_tx_begin(p, err)))
		return rc;
	rc = plat_task_tx_end(p, cancel_locked(p, who, in, &t, err), err);
	if (!rc) { /* stop it if the worker runs it now */
		pthread_mutex_lock(&p->run_mu);
		if (!strcmp(p->running, jstr(t.rec, "id")))
			p->cancel = 1;
		pthread_mutex_unlock(&p->run_mu);
	}
	if (!rc && p->on_done)
		p->on_done(p->notify_arg, jstr(t.rec, "id"));
	rc = rc ? rc : reply_status(&t, out);
	plat_task_release(&t);
	return internal(rc, err);
}

/* ---- recovery at open ---- */

struct recover_scan {
	json_t *running; /* ids, key order */
	json_t *staged;  /* set: {id: true} */
};

static int recover_visit(void *arg, const char *key, const uint8_t *val, size_t len,
                         uint64_t version)
{
	struct recover_scan *rs = arg;
	json_t *rec = NULL;
	const char *s;
	int rc = 0;

	(void)version;
	if (cu_json_parse(val, len, ST_VALUE_MAX, &rec))
		return CU_EFORMAT;
	s = jstr(rec, "status");
	if (streq(s, "running") && json_array_append_new(rs->running, json_string(key)))
		rc = CU_ENOMEM;
	else if (streq(s, "staged") && json_object_set_new(rs->staged, key, json_true()))
		rc = CU_ENOMEM;
	json_decref(rec);
	return rc;
}

/* Pop the whole queue into ids (a list of strings; entries that are no id are dropped). */
static int drain_queue(struct platform *p, json_t *ids)
{
	uint8_t *v;
	size_t n;
	int rc;

	while ((rc = st_queue_pop(p->st, PLAT_Q_STAGED, &v, &n)) == 0) {
		if (n && n <= PLAT_ID_MAX && !memchr(v, 0, n) &&
		    json_array_append_new(ids, json_string((const char *)v)))
			rc = CU_ENOMEM;
		free(v);
		if (rc)
			return rc;
	}
	return rc == CU_ENOTFOUND ? 0 : rc;
}

static int push_once(struct platform *p, json_t *seen, const char *id)
{
	int rc;

	if (json_object_get(seen, id))
		return 0;
	if ((rc = st_queue_push(p->st, PLAT_Q_STAGED, id, strlen(id))))
		return rc;
	return json_object_set_new(seen, id, json_true()) ? CU_ENOMEM : 0;
}

static int requeue_running(struct platform *p, const char *id)
{
	json_t *rec = NULL;
	int rc;

	if ((rc = plat_get(p, PLAT_T_TASKS, id, &rec, NULL)) == 0 &&
	    !(rc = cu_json_set_str(rec, "status", "staged")) &&
	    !(rc = cu_json_set_int(rec, "updated", p->now())))
		rc = plat_put(p, PLAT_T_TASKS, id, rec);
	json_decref(rec);
	return rc;
}

/* The queue again: tasks that were running first, then the staged ones queued, then the
   staged ones that were not; each once. */
static int recover_locked(struct platform *p, struct recover_scan *rs, json_t *queued, json_t *seen)
{
	json_t *e;
	const char *id;
	size_t i;
	int rc;

	if ((rc = st_scan(p->st, PLAT_T_TASKS, NULL, recover_visit, rs)) ||
	    (rc = drain_queue(p, queued)))
		return rc;
	json_array_foreach(rs->running, i, e)
	{
		if ((rc = requeue_running(p, json_string_value(e))) ||
		    (rc = push_once(p, seen, json_string_value(e))))
			return rc;
	}
	json_array_foreach(queued, i, e)
	{
		if (!json_object_get(rs->staged, json_string_value(e)))
			continue; /* a task canceled, ended or gone */
		if ((rc = push_once(p, seen, json_string_value(e))))
			return rc;
	}
	json_object_foreach(rs->staged, id, e)
	{
		if ((rc = push_once(p, seen, id)))
			return rc;
	}
	return 0;
}

int plat_tasks_recover(struct platform *p)
{
	struct recover_scan rs = {json_array(), json_object()};
	json_t *queued = json_array(), *seen = json_object();
	int rc = rs.running && rs.staged && queued && seen ? 0 : CU_ENOMEM;

	if (!rc && !(rc = st_begin(p->st)))
		rc = plat_task_tx_end(p, recover_locked(p, &rs, queued, seen), NULL);
	json_decref(rs.running);
	json_decref(rs.staged);
	json_decref(queued);
	json_decref(seen);
	return rc;
}

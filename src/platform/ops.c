/*
 * ops.c - the table of operations, plat_call (which appends every
 * state-changing call to the audit log), the mapping of errors to the API,
 * and the admin's view of the audit log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "platform/audit.h"
#include "platform/platform_int.h"
#include "store/store.h"

#define AUDIT_QUERY_MAX 1000 /* records per audit.query reply */

static const struct plat_op ops[] = {
    {"user.login", op_user_login, 1, 1},
    {"user.register", op_user_register, 0, 1},
    {"user.get", op_user_get, 0, 0},
    {"user.list", op_user_list, 0, 0},
    {"user.update", op_user_update, 0, 1},
    {"user.password", op_user_password, 0, 1},
    {"user.reset", op_user_reset, 0, 1},
    {"user.delete", op_user_delete, 0, 1},
    {"function.register", op_function_register, 0, 1},
    {"function.get", op_function_get, 0, 0},
    {"function.list", op_function_list, 0, 0},
    {"function.update", op_function_update, 0, 1},
    {"function.delete", op_function_delete, 0, 1},
    {"function.disable", op_function_disable, 0, 1},
    {"file.register_input", op_file_register_input, 0, 1},
    {"file.register_output", op_file_register_output, 0, 1},
    {"file.register_fusion", op_file_register_fusion, 0, 1},
    {"file.register_from_output", op_file_register_from_output, 0, 1},
    {"file.get", op_file_get, 0, 0},
    {"file.list", op_file_list, 0, 0},
    {"task.create", op_task_create, 0, 1},
    {"task.get", op_task_get, 0, 0},
    {"task.list", op_task_list, 0, 0},
    {"task.assign", op_task_assign, 0, 1},
    {"task.approve", op_task_approve, 0, 1},
    {"task.invoke", op_task_invoke, 0, 1},
    {"task.cancel", op_task_cancel, 0, 1},
    {"audit.query", op_audit_query, 0, 0},
    {"audit.verify", op_audit_verify, 0, 0},
};

const struct plat_op *plat_ops(size_t *n)
{
	*n = sizeof(ops) / sizeof(ops[0]);
	return ops;
}

const struct plat_op *plat_op_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(ops[i].name, name))
			return &ops[i];
	return NULL;
}

/* A field of the audit record: printable ASCII within max, else a stand-in. */
static const char *printable(const char *s, size_t max, const char *instead)
{
	size_t n = s ? strlen(s) : 0;

	if (!s || n > max)
		return instead;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return instead;
	return s;
}

static int audit(struct platform *p, const struct plat_op *op, const struct plat_caller *who,
                 const json_t *in, const json_t *out, int rc)
{
	const char *user = who ? who->user : NULL, *target;

	if (!user) /* login: the name tried */
		user = json_string_value(json_object_get(in, "user"));
	user = printable(user, AUDIT_USER_MAX, "(invalid)");
	if (!*user)
		user = "(none)";
	target = json_string_value(json_object_get(in, "id"));
	if (!target && rc == 0)
		target = json_string_value(json_object_get(out, "id"));
	target = printable(target ? target : "", AUDIT_TARGET_MAX, "(invalid)");
	return audit_append(p->st, p->now(), user, op->name, target, rc ? cu_errname(rc) : "ok",
	                    NULL);
}

int plat_call(struct platform *p, const struct plat_op *op, const struct plat_caller *who,
              const json_t *in, json_t **out, struct plat_error *err)
{
	struct plat_error local;
	int rc, arc;

	if (!out)
		return CU_EINVAL;
	*out = NULL;
	if (!err)
		err = &local;
	err->message[0] = '\0';
	if (!p || !op || !in)
		return plat_fail(err, CU_EINVAL, "no operation");
	if (!json_is_object(in))
		return plat_fail(err, CU_EINVAL, "the request is not a JSON object");
	if (!who && !op->public_op)
		return plat_fail(err, CU_EAUTH, "this call needs a token (log in first)");
	rc = op->fn(p, op->public_op ? NULL : who, in, out, err);
	if (rc == 0 && !*out && !(*out = json_object()))
		rc = CU_ENOMEM;
	if (rc && !err->message[0])
		plat_fail(err, rc, "%s", cu_strerror(rc));
	if (!op->changes)
		return rc;
	if ((arc = audit(p, op, who, in, *out, rc)) && rc == 0) {
		json_decref(*out);
		*out = NULL;
		return plat_fail(err, arc, "the call was made but the audit log refused it: %s",
		                 cu_strerror(arc));
	}
	return rc;
}

int plat_http_status(int rc, const struct plat_error *err)
{
	switch (rc) {
	case 0:
		return 200;
	case CU_EINVAL:
	case CU_EFORMAT:
	case CU_ETRUNC:
	case CU_EUNSUPPORTED:
		return 400;
	case CU_EAUTH:
		return 401;
	case CU_EPERM:
		return 403;
	case CU_ENOTFOUND:
		return 404;
	case CU_EEXISTS:
	case CU_ESTATE:
		return 409;
	case CU_ELIMIT:
		return err && strstr(err->message, "quota") ? 429 : 413;
	case CU_ETIMEOUT:
		return 504;
	default:
		return 500;
	}
}

const char *plat_error_code(int rc, const struct plat_error *err)
{
	switch (plat_http_status(rc, err)) {
	case 200:
		return "ok";
	case 400:
		return "invalid_request";
	case 401:
		return "unauthenticated";
	case 403:
		return "forbidden";
	case 404:
		return "not_found";
	case 409:
		return rc == CU_EEXISTS ? "exists" : "invalid_state";
	case 413:
		return "too_large";
	case 429:
		return "quota_exceeded";
	case 504:
		return "timeout";
	default:
		return "internal";
	}
}

static int admin_only(const struct plat_caller *who, struct plat_error *err)
{
	if (!who || who->role != PLAT_ROLE_ADMIN)
		return plat_fail(err, CU_EPERM, "only the platform admin reads the audit log");
	return 0;
}

struct query {
	json_t *list;
	size_t n;
};

static int add_record(void *arg, const struct audit_record *r)
{
	struct query *q = arg;
	char prev[2 * AUDIT_HASH_LEN + 1], hash[2 * AUDIT_HASH_LEN + 1];
	json_t *o;

	if (q->n == AUDIT_QUERY_MAX)
		return 1;
	for (size_t i = 0; i < AUDIT_HASH_LEN; i++) {
		snprintf(prev + 2 * i, 3, "%02x", r->prev[i]);
		snprintf(hash + 2 * i, 3, "%02x", r->hash[i]);
	}
	o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "n", (json_int_t)r->n, "time",
	              (json_int_t)r->time, "user", r->user, "action", r->action, "target",
	              r->target, "result", r->result, "prev", prev, "hash", hash);
	if (!o || json_array_append_new(q->list, o))
		return CU_ENOMEM;
	q->n++;
	return 0;
}

int op_audit_query(struct platform *p, const struct plat_caller *who, const json_t *in,
                   json_t **out, struct plat_error *err)
{
	static const char *const keys[] = {"from", "user", NULL};
	struct query q = {0};
	const char *user = NULL;
	int64_t from = 1;
	int rc;

	if ((rc = admin_only(who, err)) || (rc = plat_only_keys(in, keys, err)) ||
	    (rc = plat_opt_str(in, "user", PLAT_USER_MAX, &user, err)))
		return rc;
	rc = cu_json_get_int(in, "from", 0, INT64_MAX, &from);
	if (rc && rc != CU_ENOTFOUND)
		return plat_fail(err, CU_EINVAL, "\"from\" is not a record number (0 or more)");
	if (!(q.list = json_array()))
		return CU_ENOMEM;
	if ((rc = audit_query(p->st, (uint64_t)from, user, add_record, &q))) {
		json_decref(q.list);
		return plat_fail(err, rc, "the audit log could not be read: %s", cu_strerror(rc));
	}
	if (!(*out = json_pack("{s:o}", "records", q.list)))
		return CU_ENOMEM;
	return 0;
}

int op_audit_verify(struct platform *p, const struct plat_caller *who, const json_t *in,
                    json_t **out, struct plat_error *err)
{
	static const char *const keys[] = {NULL};
	char reason[256] = "";
	uint64_t count = 0, first_bad = 0;
	int rc;

	if ((rc = admin_only(who, err)) || (rc = plat_only_keys(in, keys, err)))
		return rc;
	rc = audit_verify(p->st, &count, &first_bad, reason, sizeof(reason));
	if (rc && !(rc == CU_EAUTH && first_bad))
		return plat_fail(err, rc, "the audit log could not be read: %s", cu_strerror(rc));
	*out = json_pack("{s:I, s:b, s:o, s:s}", "count", (json_int_t)count, "ok", rc == 0,
	                 "first_bad", first_bad ? json_integer((json_int_t)first_bad) : json_null(),
	                 "reason", reason);
	return *out ? 0 : CU_ENOMEM;
}

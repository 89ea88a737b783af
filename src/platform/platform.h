/*
 * platform.h - the control plane: users, functions, files, tasks with
 * approvals, the in-process worker and the audit log, over the sealed store
 * (DESIGN.md §7; docs/platform.md is the model, docs/api.yaml the wire).
 *
 * The transport (custosd's HTTP routes) is kept out of here: an operation
 * takes its request as a JSON object and gives its response as one, so
 * that the same code serves the API, the tests and the benchmarks. Every
 * operation is named ("task.approve"), found with plat_op_find(), run with
 * plat_call(), which authenticates nothing itself: the caller is what
 * plat_authenticate() made of a bearer token (or no one, for "user.login").
 *
 * Errors: an operation returns 0 or a CU_E* code, with a one-line message
 * for the user in err. plat_http_status() and plat_error_code() turn the
 * code into the HTTP status and the stable code word of the API:
 *   CU_EINVAL, CU_EFORMAT  400 invalid_request  (a malformed or missing field)
 *   CU_EAUTH               401 unauthenticated  (no, bad or stale token, bad password)
 *   CU_EPERM               403 forbidden        (the role or the object forbids it)
 *   CU_ENOTFOUND           404 not_found        (absent, or not visible to the caller)
 *   CU_EEXISTS             409 exists
 *   CU_ESTATE              409 invalid_state    (not in this state of the task)
 *   CU_ELIMIT              429 quota_exceeded / 413 too_large (by message)
 *   CU_ETIMEOUT            504 timeout
 *   anything else          500 internal
 * Objects the caller may not see are reported as not found, so that ids do
 * not leak what exists; an object the caller sees but may not change is
 * forbidden.
 *
 * Threads: any thread may call plat_call(); the store serialises writes
 * and every read-modify-write runs in one store transaction.
 */
#ifndef CUSTOS_PLATFORM_PLATFORM_H
#define CUSTOS_PLATFORM_PLATFORM_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct st_store;
struct platform;

#define PLAT_USER_MAX               64 /* bytes of a user id: [A-Za-z0-9_.@-], not starting with '-' */
#define PLAT_ORG_MAX                64  /* bytes of an organisation name, same alphabet */
#define PLAT_ID_MAX                 64  /* bytes of an object id ("task-" and a UUID) */
#define PLAT_MESSAGE_MAX            256 /* bytes of an error message */
#define PLAT_TOKEN_LIFETIME_DEFAULT (8 * 3600)

enum plat_role {
	PLAT_ROLE_NONE = 0,
	PLAT_ROLE_ADMIN,              /* "platform-admin" */
	PLAT_ROLE_FUNCTION_OWNER,     /* "function-owner" */
	PLAT_ROLE_DATA_OWNER,         /* "data-owner" */
	PLAT_ROLE_DATA_OWNER_MANAGER, /* "data-owner-manager", with an org */
};

/* Who calls: filled by plat_authenticate() from a valid token. */
struct plat_caller {
	char user[PLAT_USER_MAX + 1];
	enum plat_role role;
	char org[PLAT_ORG_MAX + 1]; /* "" when none */
};

struct plat_error {
	char message[PLAT_MESSAGE_MAX];
};

/*
 * Called when a task becomes Staged (to wake a worker) and when one ends
 * (Finished, Failed, Canceled: to answer waiting clients). Called from the
 * thread that made the change, after the change is committed; must not
 * block or call back into the platform.
 */
typedef void (*plat_notify_fn)(void *arg, const char *task_id);

struct plat_options {
	/* The admin's password when the store has no admin yet; NULL: a random
	   one is made and handed out once in plat_open's admin_password. */
	const char *admin_password;
	const char *admin_user; /* NULL: "admin" */
	int64_t token_lifetime; /* seconds; 0: PLAT_TOKEN_LIFETIME_DEFAULT */
	int64_t (*now)(void);   /* NULL: cu_time_now */
	plat_notify_fn on_staged, on_done;
	void *notify_arg;
};

/*
 * Open the platform on an open store (borrowed; it must outlive the
 * platform). On the first start it makes the token-signing key (Ed25519,
 * kept sealed in the store) and the admin account. When it made the admin
 * with a random password, that password is written to admin_password
 * (NUL-terminated, at least 64 bytes; the caller shows it once and wipes
 * it); otherwise admin_password[0] is NUL. Tasks left Staged or Running by
 * an earlier process are queued again.
 */
int plat_open(struct st_store *st, const struct plat_options *o, struct platform **out,
              char *admin_password, size_t admin_password_sz) __attribute__((warn_unused_result));
void plat_close(struct platform *p);

/*
 * Verify a bearer token: signature, expiry, and that its user still exists
 * with the same role and token generation (a password change, reset,
 * update or delete ends the user's tokens). CU_EAUTH otherwise.
 */
int plat_authenticate(struct platform *p, const char *token, struct plat_caller *who,
                      struct plat_error *err) __attribute__((warn_unused_result));

/*
 * An operation: in is the request object (never NULL; the transport puts a
 * path parameter under "id"), *out the response object (the caller's). who
 * is NULL only for operations that need no token.
 */
typedef int (*plat_op_fn)(struct platform *p, const struct plat_caller *who, const json_t *in,
                          json_t **out, struct plat_error *err);

struct plat_op {
	const char *name; /* "task.approve" */
	plat_op_fn fn;
	int public_op; /* may run without a token (login) */
	int changes;   /* changes state: audited */
};

/* The operation of that name, or NULL. */
const struct plat_op *plat_op_find(const char *name);
/* All operations: *n of them. */
const struct plat_op *plat_ops(size_t *n);

/*
 * Run op for who on in. A state-changing operation is appended to the
 * audit log with its result, whether it succeeded or not (the audit write
 * failing makes a successful call fail with its error, after the change).
 */
int plat_call(struct platform *p, const struct plat_op *op, const struct plat_caller *who,
              const json_t *in, json_t **out, struct plat_error *err)
    __attribute__((warn_unused_result));

int plat_http_status(int rc, const struct plat_error *err);
const char *plat_error_code(int rc, const struct plat_error *err);

/* "platform-admin", ... or NULL; and back (PLAT_ROLE_NONE when unknown). */
const char *plat_role_name(enum plat_role r);
enum plat_role plat_role_from_name(const char *s);

/*
 * The in-process worker: take the oldest Staged task, if any, run it to
 * Finished or Failed, and return 0 (CU_ENOTFOUND when none was staged).
 * Runs the function outside any store transaction.
 */
int plat_worker_run_one(struct platform *p) __attribute__((warn_unused_result));

/*
 * Stop the worker for a shutdown: the task it runs, if any, is stopped
 * within about 100 ms and left running in the store, so that the next
 * plat_open() queues it again; plat_worker_run_one() then returns at once.
 * Any thread may call it.
 */
void plat_worker_stop(struct platform *p);

/*
 * Remote workers (DESIGN.md §2; custosd --role worker). The daemon keeps
 * who its workers are (attested over mutual RA-TLS) and calls these with
 * its own name for each, wid (1..PLAT_ID_MAX bytes). A task taken by wid
 * records it, and only wid may then end it.
 *
 * plat_remote_take: set the oldest runnable staged task running on wid;
 * task_id gets its id and *job the job to send (src/worker/job.h; it holds
 * file keys: free it with cu_json_free_secret). CU_ENOTFOUND when none.
 */
int plat_remote_take(struct platform *p, const char *wid, char task_id[PLAT_ID_MAX + 1],
                     json_t **job) __attribute__((warn_unused_result));

/*
 * 0 while task_id runs on wid; CU_ESTATE when it does not any more
 * (canceled, ended, given to another worker): the worker should stop it.
 */
int plat_remote_check(struct platform *p, const char *wid, const char *task_id)
    __attribute__((warn_unused_result));

/*
 * wid ended task_id: with the job's reply (checked against the task as
 * plat_job_complete does; a malformed one fails the task), or, when reply
 * is NULL, failed with error (one line). CU_ESTATE when the task is not
 * running on wid (its result is dropped).
 */
int plat_remote_done(struct platform *p, const char *wid, const char *task_id, const json_t *reply,
                     const char *error) __attribute__((warn_unused_result));

/*
 * wid is lost (no heartbeat within its lease) while it had task_id. A task
 * it never acknowledged (started 0) is queued again; one it started is
 * queued again once if its function is idempotent, else it fails with
 * "the worker running it was lost".
 */
int plat_remote_lost(struct platform *p, const char *wid, const char *task_id, int started)
    __attribute__((warn_unused_result));

/*
 * A task's status word for who ("finished", ...), for long polls; CU_ENOTFOUND
 * when who may not see it. terminal is set when the task has ended.
 */
int plat_task_status(struct platform *p, const struct plat_caller *who, const char *task_id,
                     char status[32], int *terminal) __attribute__((warn_unused_result));

#endif

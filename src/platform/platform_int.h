/*
 * platform_int.h - what the files of the control plane share (internal).
 *
 * open.c       plat_open/plat_close: the token key, admin bootstrap, recovery
 * platform.c   the helpers below
 * ops.c        the operation table, plat_call (audit), error mapping
 * users.c      users: register, login, update, password, reset, delete, list
 * functions.c  functions: register, get, list, update, delete, disable
 * files.c      files: inputs, outputs, fusion outputs, inputs from outputs
 * tasks.c      tasks: create, assign, approve, invoke, get, list, cancel; digest
 * worker.c     the in-process worker: takes staged tasks, ends them
 * execute.c    runs a task: inputs fetched and decrypted, the builtin in the
 *              sandbox, outputs encrypted and put
 *
 * Records are JSON objects sealed in the store, one table per kind, keyed
 * by id (docs/platform.md gives every field):
 *
 *   "users"      key user id:
 *     {"id","role","org","password" (Argon2id PHC),"gen" (token generation),
 *      "created","updated","created_by"}
 *   "functions"  key function id ("function-UUID"):
 *     {"id","name","description","owner","executor" ("builtin"|"wasm"),
 *      "builtin" (name, builtin only),"payload_sha256" (hex, wasm only),
 *      "arguments":[{"name","default" (string or null),"overridable"}],
 *      "inputs":[{"name","description","optional"}],"outputs":[same],
 *      "public","allow":[user ids],"quota" (0: none),"uses","disabled",
 *      "revision" (1, +1 on each update),"created","updated"}
 *   "function-payloads" key function id: the payload bytes (wasm)
 *   "files"      key file id ("file-UUID"):
 *     {"id","kind" ("input"|"output"|"fusion"),"url","owners":[user ids],
 *      "crypto":{"schema" ("custos"|"aes-gcm-128"|"aes-gcm-256"),
 *                "key" (base64),"iv" (hex, aes-gcm only)},
 *      "digest" (hex SHA-256 of the file; null for an output not yet
 *      written),"from" (output id, for an input made from an output),
 *      "task" (id of the task that wrote an output, or null),
 *      "created","updated"}
 *   "tasks"      key task id ("task-UUID"):
 *     {"id","creator","function","function_owner","arguments":{name: value},
 *      "inputs":[{"name","owners":[...],"file" (id or null)}],
 *      "outputs":[same],"approvals":{user: digest hex},"status",
 *      "result" (string or null),"error" (string or null),
 *      "output_digests":{name: hex},"created","updated"}
 *   queue "staged": task ids, oldest first
 *   "fusion-data" key file id: a fusion output's ciphertext (sealed again)
 *   "secrets"    key "token-key": the Ed25519 private key (raw 32 bytes)
 *
 * A record's key never holds a secret; values do (file keys, password
 * hashes) and the store seals them. File keys never leave the platform:
 * responses carry the crypto schema, never the key.
 */
#ifndef CUSTOS_PLATFORM_PLATFORM_INT_H
#define CUSTOS_PLATFORM_PLATFORM_INT_H

#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>

#include "platform/platform.h"
#include "platform/token.h"

#define PLAT_T_USERS    "users"
#define PLAT_T_FUNCS    "functions"
#define PLAT_T_PAYLOADS "function-payloads"
#define PLAT_T_FILES    "files"
#define PLAT_T_TASKS    "tasks"
#define PLAT_T_SECRETS  "secrets"
#define PLAT_Q_STAGED   "staged"
#define PLAT_T_FUSION   "fusion-data" /* key file id: a fusion output's ciphertext */

#define PLAT_NAME_MAX     128  /* function, argument, input and output names */
#define PLAT_TEXT_MAX     4096 /* descriptions, argument values, results */
#define PLAT_URL_MAX      2048
#define PLAT_LIST_MAX     64 /* arguments, inputs, outputs, owners, allowlist entries */
#define PLAT_PAYLOAD_MAX  (8u * 1024 * 1024)
#define PLAT_FUEL_MAX     1000000000000ull /* a wasm function's "limits"."fuel" */
#define PLAT_MEMORY_MIN   65536ull         /* its "limits"."memory": one page ... */
#define PLAT_MEMORY_MAX   (4096ull << 20)  /* ... to the 32-bit address space */
#define PLAT_PASSWORD_GEN 24               /* characters of a generated password */

/*
 * Tokens whose signature verified, by SHA-256 of the token: a request with
 * a token seen before costs a hash instead of an Ed25519 verification
 * (about 76 us here). Expiry and the user's record are checked every time.
 * Direct-mapped; a collision just evicts.
 */
#define PLAT_TOKEN_CACHE 256

struct plat_tok_entry {
	uint8_t hash[32];
	int used;
	struct tok_claims c;
};

struct platform {
	struct st_store *st;
	EVP_PKEY *tok_key;                /* Ed25519 */
	struct plat_tok_entry *tok_cache; /* NULL: no cache */
	pthread_mutex_t tok_mu;
	int64_t token_lifetime;
	int64_t (*now)(void);
	plat_notify_fn on_staged, on_done;
	void *notify_arg;
	/* The task the worker runs now ("" when none), and its cancel flag,
	   which the sandbox polls: task.cancel sets it for a running task. */
	pthread_mutex_t run_mu;
	char running[PLAT_ID_MAX + 1];
	volatile int cancel;
	volatile int stopping; /* plat_worker_stop() */
	/* How the worker runs a task: plat_execute (execute_int.h) when NULL;
	   tests of the task machinery put a plain in-process runner here. */
	int (*execute)(struct platform *p, const json_t *task, const json_t *fn, char **result,
	               json_t **written, struct plat_error *err);
};

/* Set err's message (printf-style) and return rc. err may be NULL. */
int plat_fail(struct plat_error *err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A fresh id: prefix "-" and a random UUID (version 4), into out[PLAT_ID_MAX + 1]. */
int plat_new_id(const char *prefix, char *out);

/* Whether s is a valid user id (or org name): 1..PLAT_USER_MAX of [A-Za-z0-9_.@-]. */
int plat_valid_name(const char *s, size_t max);

/*
 * Records as JSON: read (CU_ENOTFOUND when absent; *version may be NULL),
 * write (replace), compare-and-swap on a version read before (CU_ESTATE
 * when it moved on). Parsing a stored record that is not an object is
 * CU_EFORMAT.
 */
int plat_get(struct platform *p, const char *table, const char *key, json_t **out,
             uint64_t *version) __attribute__((warn_unused_result));
int plat_put(struct platform *p, const char *table, const char *key, const json_t *rec);
int plat_cas(struct platform *p, const char *table, const char *key, uint64_t version,
             const json_t *rec);

/*
 * Request field helpers, each setting err with the field's name:
 * a required string of 1..max bytes, an optional one (NULL when absent or
 * null), a list of strings (each 1..max bytes, at most PLAT_LIST_MAX, no
 * duplicates). CU_EFORMAT / CU_ELIMIT / CU_EINVAL (missing).
 */
int plat_req_str(const json_t *in, const char *key, size_t max, const char **out,
                 struct plat_error *err);
int plat_opt_str(const json_t *in, const char *key, size_t max, const char **out,
                 struct plat_error *err);
int plat_req_str_list(const json_t *in, const char *key, size_t max, json_t **out,
                      struct plat_error *err);
/* CU_EINVAL naming the first member of in not in the NULL-terminated allowed. */
int plat_only_keys(const json_t *in, const char *const *allowed, struct plat_error *err);

/* Whether list (a JSON array of strings) holds s. */
int plat_list_has(const json_t *list, const char *s);

/* ---- users.c ---- */
/* Make the admin on first start (see plat_open). */
int plat_users_bootstrap(struct platform *p, const char *user, const char *password,
                         char *generated, size_t generatedsz);
/* Whether a user of that id exists (0/1), or a negative error. */
int plat_user_exists(struct platform *p, const char *user);
int plat_users_authenticate(struct platform *p, const char *token, struct plat_caller *who,
                            struct plat_error *err);
int op_user_login(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                  struct plat_error *);
int op_user_register(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                     struct plat_error *);
int op_user_get(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                struct plat_error *);
int op_user_list(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                 struct plat_error *);
int op_user_update(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                   struct plat_error *);
int op_user_password(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                     struct plat_error *);
int op_user_reset(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                  struct plat_error *);
int op_user_delete(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                   struct plat_error *);

/* ---- functions.c ---- */
/*
 * A function record for use by a task (tasks.c): CU_ENOTFOUND when absent
 * or when user may not use it (not the owner, not public, not allowed);
 * CU_ESTATE when it is disabled.
 */
int plat_function_for(struct platform *p, const char *user, const char *id, json_t **out,
                      uint64_t *version, struct plat_error *err);
/* Whether user may use the function rec in a task: its owner, public, or allowed. */
int plat_function_usable(const json_t *rec, const char *user);
int op_function_register(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                         struct plat_error *);
int op_function_get(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                    struct plat_error *);
int op_function_list(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                     struct plat_error *);
int op_function_update(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                       struct plat_error *);
int op_function_delete(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                       struct plat_error *);
int op_function_disable(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                        struct plat_error *);

/* ---- files.c ---- */
/*
 * A file record, or CU_ENOTFOUND. No access check: the caller makes it.
 * The record holds the file's key ("crypto"."key"): release it with
 * plat_file_release(), which wipes the key.
 */
int plat_file_get(struct platform *p, const char *id, json_t **out, uint64_t *version);
void plat_file_release(json_t *rec);
int op_file_register_input(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                           struct plat_error *);
int op_file_register_output(struct platform *, const struct plat_caller *, const json_t *,
                            json_t **, struct plat_error *);
int op_file_register_fusion(struct platform *, const struct plat_caller *, const json_t *,
                            json_t **, struct plat_error *);
int op_file_register_from_output(struct platform *, const struct plat_caller *, const json_t *,
                                 json_t **, struct plat_error *);
int op_file_get(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                struct plat_error *);
int op_file_list(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                 struct plat_error *);

/* ---- tasks.c ---- */
/* Re-queue tasks left Staged or Running (plat_open). */
int plat_tasks_recover(struct platform *p);
int op_task_create(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                   struct plat_error *);
int op_task_get(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                struct plat_error *);
int op_task_list(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                 struct plat_error *);
int op_task_assign(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                   struct plat_error *);
int op_task_approve(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                    struct plat_error *);
int op_task_invoke(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                   struct plat_error *);
int op_task_cancel(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                   struct plat_error *);

/* ---- ops.c: the audit log for the admin ---- */
int op_audit_query(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                   struct plat_error *);
int op_audit_verify(struct platform *, const struct plat_caller *, const json_t *, json_t **,
                    struct plat_error *);

#endif

/*
 * Unit tests of tasks and the in-process worker: a whole echo task with two
 * data owners; who may do what (exact codes); every illegal transition;
 * approvals voided by any change of the task, the function or a file; the
 * digest (known answer, what changes it and what does not); the quota;
 * restarts with staged and running tasks; the callbacks; malformed
 * requests; a canary that must not reach the store file in the clear.
 *
 * Users, functions and files are put into the store directly in the
 * formats of platform_int.h, so that these tests need neither users.c nor
 * functions.c nor files.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/encoding.h"
#include "common/err.h"
#include "crypto/hash.h"
#include "platform/platform_int.h"
#include "store/store.h"
#include "test_platform_fixture.h"

#define FN       "function-11111111-1111-4111-8111-111111111111"
#define FN_OTHER "function-22222222-2222-4222-8222-222222222222"
#define FN_BARE  "function-33333333-3333-4333-8333-333333333333" /* no arguments, no data */

#define F_A    "file-aaaaaaaa-0000-4000-8000-000000000001" /* input, alice */
#define F_A2   "file-aaaaaaaa-0000-4000-8000-000000000002" /* input, alice */
#define F_B    "file-bbbbbbbb-0000-4000-8000-000000000001" /* input, bob */
#define F_OUT  "file-cccccccc-0000-4000-8000-000000000001" /* fusion, alice and bob */
#define F_OUTW "file-cccccccc-0000-4000-8000-000000000002" /* fusion, written already */
#define F_XOUT "file-dddddddd-0000-4000-8000-000000000001" /* output, alice */
#define F_AB   "file-eeeeeeee-0000-4000-8000-000000000001" /* input, alice and bob */

#define DIG_A  "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define DIG_A2 "a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2"
#define DIG_B  "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1"
#define DIG_C  "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"

#define CANARY "CANARY-arg"
#define DLEN   64 /* hex characters of a task digest */

static struct plat_caller alice, bob, carol, erin, frank, fo, admin;

struct calls {
	int staged, done;
	char last[PLAT_ID_MAX + 1];
};

static void on_staged(void *arg, const char *id)
{
	struct calls *c = arg;

	c->staged++;
	snprintf(c->last, sizeof(c->last), "%s", id);
}

static void on_done(void *arg, const char *id)
{
	struct calls *c = arg;

	c->done++;
	snprintf(c->last, sizeof(c->last), "%s", id);
}

/* ---- records put straight into the store ---- */

static void put(struct plat_fx *f, const char *table, const char *key, json_t *rec)
{
	assert_non_null(rec);
	assert_int_equal(plat_put(&f->p, table, key, rec), 0);
	json_decref(rec);
}

/* The echo function: message (required), mode (fixed default); inputs a, b and
   the optional extra; output out. Owned by fo, allowlisted for some. */
static void put_function(struct plat_fx *f, const char *id, int quota)
{
	put(f, PLAT_T_FUNCS, id,
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s,"
	              " s:[{s:s, s:n, s:b}, {s:s, s:s, s:b}],"
	              " s:[{s:s, s:s, s:b}, {s:s, s:s, s:b}, {s:s, s:s, s:b}],"
	              " s:[{s:s, s:s, s:b}],"
	              " s:b, s:[s, s, s, s], s:i, s:i, s:b, s:i, s:i, s:i}",
	              "id", id, "name", "echo", "description", "says it back", "owner", "fo",
	              "executor", "builtin", "builtin", "echo", "arguments", "name", "message",
	              "default", "overridable", 1, "name", "mode", "default", "plain",
	              "overridable", 0, "inputs", "name", "a", "description", "", "optional", 0,
	              "name", "b", "description", "", "optional", 0, "name", "extra", "description",
	              "", "optional", 1, "outputs", "name", "out", "description", "", "optional", 0,
	              "public", 0, "allow", "alice", "bob", "carol", "erin", "quota", quota, "uses",
	              0, "disabled", 0, "revision", 1, "created", 1, "updated", 1));
}

/* A public function without arguments, inputs or outputs. */
static void put_bare_function(struct plat_fx *f, const char *executor, const char *builtin)
{
	json_t *fn =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:[], s:[], s:[], s:b, s:[], s:i, s:i,"
	              " s:b, s:i, s:i, s:i}",
	              "id", FN_BARE, "name", "bare", "description", "", "owner", "fo", "executor",
	              executor, "arguments", "inputs", "outputs", "public", 1, "allow", "quota", 0,
	              "uses", 0, "disabled", 0, "revision", 1, "created", 1, "updated", 1);

	assert_non_null(fn);
	if (!strcmp(executor, "wasm"))
		json_object_set_new(fn, "payload_sha256", json_string(DIG_C));
	else
		json_object_set_new(fn, "builtin", json_string(builtin));
	put(f, PLAT_T_FUNCS, FN_BARE, fn);
}

static void put_file(struct plat_fx *f, const char *id, const char *kind, const char *digest,
                     const char *owner1, const char *owner2)
{
	json_t *owners = owner2 ? json_pack("[s, s]", owner1, owner2) : json_pack("[s]", owner1);

	put(f, PLAT_T_FILES, id,
	    json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:s}, s:s?, s:n, s:n, s:i, s:i}", "id", id,
	              "kind", kind, "url", "https://example.org/data", "owners", owners, "crypto",
	              "schema", "custos", "key", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	              "digest", digest, "from", "task", "created", 1, "updated", 1));
}

/* Set one field of a stored record. */
static void edit(struct plat_fx *f, const char *table, const char *key, const char *field,
                 json_t *value)
{
	json_t *rec = NULL;

	assert_int_equal(plat_get(&f->p, table, key, &rec, NULL), 0);
	assert_int_equal(json_object_set_new(rec, field, value), 0);
	put(f, table, key, rec);
}

static json_int_t stored_int(struct plat_fx *f, const char *table, const char *key,
                             const char *field)
{
	json_t *rec = NULL;
	json_int_t v;

	assert_int_equal(plat_get(&f->p, table, key, &rec, NULL), 0);
	v = json_integer_value(json_object_get(rec, field));
	json_decref(rec);
	return v;
}

static uint64_t queue_len(struct plat_fx *f)
{
	uint64_t n = 0;

	assert_int_equal(st_queue_len(f->st, PLAT_Q_STAGED, &n), 0);
	return n;
}

static int setup(void **state)
{
	struct plat_fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	plat_fx_open(f);
	alice = plat_fx_caller("alice", PLAT_ROLE_DATA_OWNER, NULL);
	bob = plat_fx_caller("bob", PLAT_ROLE_DATA_OWNER, NULL);
	carol = plat_fx_caller("carol", PLAT_ROLE_DATA_OWNER, NULL);
	erin = plat_fx_caller("erin", PLAT_ROLE_DATA_OWNER, NULL);
	frank = plat_fx_caller("frank", PLAT_ROLE_DATA_OWNER, NULL);
	fo = plat_fx_caller("fo", PLAT_ROLE_FUNCTION_OWNER, NULL);
	admin = plat_fx_caller("admin", PLAT_ROLE_ADMIN, NULL);
	plat_fx_put_user(f, "alice", "data-owner", NULL);
	plat_fx_put_user(f, "bob", "data-owner", NULL);
	plat_fx_put_user(f, "carol", "data-owner", NULL);
	plat_fx_put_user(f, "erin", "data-owner", NULL);
	plat_fx_put_user(f, "frank", "data-owner", NULL);
	plat_fx_put_user(f, "fo", "function-owner", NULL);
	plat_fx_put_user(f, "admin", "platform-admin", NULL);
	put_function(f, FN, 0);
	put_file(f, F_A, "input", DIG_A, "alice", NULL);
	put_file(f, F_A2, "input", DIG_A2, "alice", NULL);
	put_file(f, F_B, "input", DIG_B, "bob", NULL);
	put_file(f, F_OUT, "fusion", NULL, "alice", "bob");
	put_file(f, F_OUTW, "fusion", DIG_C, "alice", "bob");
	put_file(f, F_XOUT, "output", NULL, "alice", NULL);
	put_file(f, F_AB, "input", DIG_A, "alice", "bob");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct plat_fx *f = *state;

	plat_fx_close(f);
	free(f);
	return 0;
}

/* ---- task steps ---- */

static void create_task(struct plat_fx *f, const char *msg, char *id)
{
	json_t *r = NULL;

	PLAT_FX_CALL(f, op_task_create, &erin, 0, &r,
	             "{s:s, s:{s:s}, s:{s:[s], s:[s]}, s:{s:[s, s]}}", "function", FN, "arguments",
	             "message", msg, "inputs", "a", "alice", "b", "bob", "outputs", "out", "alice",
	             "bob");
	assert_string_equal(json_string_value(json_object_get(r, "status")), "created");
	assert_int_equal(strncmp(json_string_value(json_object_get(r, "id")), "task-", 5), 0);
	snprintf(id, PLAT_ID_MAX + 1, "%s", json_string_value(json_object_get(r, "id")));
	json_decref(r);
}

static json_t *view(struct plat_fx *f, const char *id)
{
	json_t *r = NULL;

	PLAT_FX_CALL(f, op_task_get, &erin, 0, &r, "{s:s}", "id", id);
	return r;
}

static void view_str(struct plat_fx *f, const char *id, const char *field, char *out, size_t n)
{
	json_t *v = view(f, id);

	snprintf(out, n, "%s", json_string_value(json_object_get(v, field)));
	json_decref(v);
}

static void assert_status(struct plat_fx *f, const char *id, const char *want)
{
	char s[32];

	view_str(f, id, "status", s, sizeof(s));
	assert_string_equal(s, want);
}

static void digest_of(struct plat_fx *f, const char *id, char *hex)
{
	view_str(f, id, "digest", hex, DLEN + 1);
	assert_int_equal(strlen(hex), 64);
}

static void assign_all(struct plat_fx *f, const char *id)
{
	PLAT_FX_CALL(f, op_task_assign, &alice, 0, NULL, "{s:s, s:{s:s}, s:{s:s}}", "id", id,
	             "inputs", "a", F_A, "outputs", "out", F_OUT);
	PLAT_FX_CALL(f, op_task_assign, &bob, 0, NULL, "{s:s, s:{s:s}}", "id", id, "inputs", "b",
	             F_B);
	assert_status(f, id, "data_assigned");
}

static void approve_all(struct plat_fx *f, const char *id)
{
	char d[DLEN + 1];

	digest_of(f, id, d);
	PLAT_FX_CALL(f, op_task_approve, &alice, 0, NULL, "{s:s, s:s}", "id", id, "digest", d);
	PLAT_FX_CALL(f, op_task_approve, &bob, 0, NULL, "{s:s, s:s}", "id", id, "digest", d);
	assert_status(f, id, "approved");
}

static void ready_task(struct plat_fx *f, const char *msg, char *id)
{
	create_task(f, msg, id);
	assign_all(f, id);
	approve_all(f, id);
}

static void invoke(struct plat_fx *f, const char *id)
{
	PLAT_FX_CALL(f, op_task_invoke, &erin, 0, NULL, "{s:s}", "id", id);
	assert_status(f, id, "staged");
}

/* An op's code and message, for checking the message too. */
static int call(struct plat_fx *f, plat_op_fn op, const struct plat_caller *who, json_t *in,
                char *msg)
{
	struct plat_error err = {{0}};
	json_t *out = NULL;
	int rc;

	assert_non_null(in);
	rc = op(&f->p, who, in, &out, &err);
	json_decref(in);
	json_decref(out);
	snprintf(msg, PLAT_MESSAGE_MAX, "%s", err.message);
	return rc;
}

/* ---- the whole echo task ---- */

static void test_echo_flow(void **state)
{
	struct plat_fx *f = *state;
	struct calls c = {0};
	char id[PLAT_ID_MAX + 1], st[32];
	json_t *v, *r;
	int terminal = -1;

	f->p.on_staged = on_staged;
	f->p.on_done = on_done;
	f->p.notify_arg = &c;
	create_task(f, "hello", id);
	PLAT_FX_CALL(f, op_task_assign, &alice, 0, &r, "{s:s, s:{s:s}, s:{s:s}}", "id", id,
	             "inputs", "a", F_A, "outputs", "out", F_OUT);
	assert_string_equal(json_string_value(json_object_get(r, "status")), "created");
	json_decref(r);
	PLAT_FX_CALL(f, op_task_assign, &bob, 0, &r, "{s:s, s:{s:s}}", "id", id, "inputs", "b",
	             F_B);
	assert_string_equal(json_string_value(json_object_get(r, "status")), "data_assigned");
	json_decref(r);

	v = view(f, id);
	assert_string_equal(json_string_value(json_object_get(v, "creator")), "erin");
	assert_string_equal(json_string_value(json_object_get(v, "function")), FN);
	assert_string_equal(json_string_value(json_object_get(v, "function_owner")), "fo");
	r = json_pack("{s:s, s:s}", "message", "hello", "mode", "plain");
	assert_true(json_equal(json_object_get(v, "arguments"), r));
	json_decref(r);
	assert_int_equal(json_array_size(json_object_get(v, "approvers")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "approvers"), 0)),
	                    "alice");
	assert_int_equal(json_array_size(json_object_get(v, "approvals")), 0);
	assert_int_equal(json_array_size(json_object_get(v, "inputs")), 2);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(v, "inputs"), 1), "file")),
	                    F_B);
	assert_true(json_is_null(json_object_get(v, "result")));
	assert_true(json_is_null(json_object_get(v, "error")));
	assert_true(json_is_object(json_object_get(v, "output_digests")));
	assert_int_equal(json_integer_value(json_object_get(v, "created")), plat_fx_clock);
	json_decref(v);

	approve_all(f, id);
	v = view(f, id);
	assert_int_equal(json_array_size(json_object_get(v, "approvals")), 2);
	json_decref(v);

	PLAT_FX_CALL(f, op_task_invoke, &erin, 0, &r, "{s:s}", "id", id);
	assert_string_equal(json_string_value(json_object_get(r, "status")), "staged");
	json_decref(r);
	assert_int_equal(c.staged, 1);
	assert_int_equal(c.done, 0);
	assert_string_equal(c.last, id);
	assert_int_equal(queue_len(f), 1);
	assert_int_equal(stored_int(f, PLAT_T_FUNCS, FN, "uses"), 1);

	assert_int_equal(plat_worker_run_one(&f->p), 0);
	assert_int_equal(c.done, 1);
	assert_int_equal(c.staged, 1);
	v = view(f, id);
	assert_string_equal(json_string_value(json_object_get(v, "status")), "finished");
	assert_string_equal(json_string_value(json_object_get(v, "result")), "hello");
	assert_true(json_is_null(json_object_get(v, "error")));
	json_decref(v);
	assert_int_equal(plat_worker_run_one(&f->p), CU_ENOTFOUND);
	assert_int_equal(c.done, 1);

	assert_int_equal(plat_task_status(&f->p, &alice, id, st, &terminal), 0);
	assert_string_equal(st, "finished");
	assert_int_equal(terminal, 1);
	PLAT_FX_CALL(f, op_task_list, &bob, 0, &r, "{}");
	v = json_array_get(json_object_get(r, "tasks"), 0);
	assert_int_equal(json_array_size(json_object_get(r, "tasks")), 1);
	assert_string_equal(json_string_value(json_object_get(v, "id")), id);
	assert_string_equal(json_string_value(json_object_get(v, "status")), "finished");
	assert_string_equal(json_string_value(json_object_get(v, "function")), FN);
	json_decref(r);
}

/* ---- who may do what ---- */

static void test_access_get_list(void **state)
{
	struct plat_fx *f = *state;
	const struct plat_caller *seeing[] = {&erin, &alice, &bob};
	const struct plat_caller *blind[] = {&carol, &fo, &admin, &frank};
	char id[PLAT_ID_MAX + 1], id2[PLAT_ID_MAX + 1], st[32];
	json_t *r = NULL;
	int terminal;

	create_task(f, "m", id);
	create_task(f, "m", id2);
	for (size_t i = 0; i < 3; i++) {
		PLAT_FX_CALL(f, op_task_get, seeing[i], 0, NULL, "{s:s}", "id", id);
		PLAT_FX_CALL(f, op_task_list, seeing[i], 0, &r, "{}");
		assert_int_equal(json_array_size(json_object_get(r, "tasks")), 2);
		/* sorted by id */
		assert_true(strcmp(json_string_value(json_object_get(
		                       json_array_get(json_object_get(r, "tasks"), 0), "id")),
		                   json_string_value(json_object_get(
		                       json_array_get(json_object_get(r, "tasks"), 1), "id"))) < 0);
		json_decref(r);
		assert_int_equal(plat_task_status(&f->p, seeing[i], id, st, &terminal), 0);
		assert_string_equal(st, "created");
		assert_int_equal(terminal, 0);
	}
	for (size_t i = 0; i < 4; i++) {
		PLAT_FX_CALL(f, op_task_get, blind[i], CU_ENOTFOUND, NULL, "{s:s}", "id", id);
		PLAT_FX_CALL(f, op_task_list, blind[i], 0, &r, "{}");
		assert_int_equal(json_array_size(json_object_get(r, "tasks")), 0);
		json_decref(r);
		assert_int_equal(plat_task_status(&f->p, blind[i], id, st, &terminal),
		                 CU_ENOTFOUND);
	}
	PLAT_FX_CALL(f, op_task_get, &erin, CU_ENOTFOUND, NULL, "{s:s}", "id", "task-nope");
	assert_int_equal(plat_task_status(&f->p, &erin, "task-nope", st, &terminal), CU_ENOTFOUND);
}

static void test_access_create(void **state)
{
	struct plat_fx *f = *state;
	const char *fmt = "{s:s, s:{s:s}, s:{s:[s], s:[s]}, s:{s:[s, s]}}";

#define CREATE(who, want)                                                                          \
	PLAT_FX_CALL(f, op_task_create, who, want, NULL, fmt, "function", FN, "arguments",         \
	             "message", "m", "inputs", "a", "alice", "b", "bob", "outputs", "out",         \
	             "alice", "bob")
	CREATE(&erin, 0);
	CREATE(&carol, 0);            /* allowlisted */
	CREATE(&fo, 0);               /* the owner */
	CREATE(&frank, CU_ENOTFOUND); /* neither: the function is not visible to him */
	CREATE(&admin, CU_EPERM);
	edit(f, PLAT_T_FUNCS, FN, "public", json_true());
	CREATE(&frank, 0);
	edit(f, PLAT_T_FUNCS, FN, "disabled", json_true());
	CREATE(&erin, CU_ESTATE);
	CREATE(&fo, CU_ESTATE);
#undef CREATE
	PLAT_FX_CALL(f, op_task_create, NULL, CU_EAUTH, NULL, "{s:s}", "function", FN);
}

static void test_access_assign(void **state)
{
	struct plat_fx *f = *state;
	const struct plat_caller *blind[] = {&carol, &fo, &admin};
	char id[PLAT_ID_MAX + 1];

	create_task(f, "m", id);
	for (size_t i = 0; i < 3; i++)
		PLAT_FX_CALL(f, op_task_assign, blind[i], CU_ENOTFOUND, NULL, "{s:s, s:{s:s}}",
		             "id", id, "inputs", "a", F_A);
	/* the creator owns no file; bob does not own alice's */
	PLAT_FX_CALL(f, op_task_assign, &erin, CU_ENOTFOUND, NULL, "{s:s, s:{s:s}}", "id", id,
	             "inputs", "a", F_A);
	PLAT_FX_CALL(f, op_task_assign, &bob, CU_ENOTFOUND, NULL, "{s:s, s:{s:s}}", "id", id,
	             "inputs", "a", F_A);
	/* bob's own file, but slot a is alice's */
	PLAT_FX_CALL(f, op_task_assign, &bob, CU_EINVAL, NULL, "{s:s, s:{s:s}}", "id", id, "inputs",
	             "a", F_B);
	assert_status(f, id, "created");
	assign_all(f, id);
}

static void test_access_approve_invoke(void **state)
{
	struct plat_fx *f = *state;
	const struct plat_caller *blind[] = {&carol, &fo, &admin};
	char id[PLAT_ID_MAX + 1], d[DLEN + 1];

	create_task(f, "m", id);
	assign_all(f, id);
	digest_of(f, id, d);
	for (size_t i = 0; i < 3; i++)
		PLAT_FX_CALL(f, op_task_approve, blind[i], CU_ENOTFOUND, NULL, "{s:s, s:s}", "id",
		             id, "digest", d);
	PLAT_FX_CALL(f, op_task_approve, &erin, CU_EPERM, NULL, "{s:s, s:s}", "id", id, "digest",
	             d);
	PLAT_FX_CALL(f, op_task_approve, &alice, 0, NULL, "{s:s, s:s}", "id", id, "digest", d);
	/* approving again with the same digest changes nothing */
	PLAT_FX_CALL(f, op_task_approve, &alice, 0, NULL, "{s:s, s:s}", "id", id, "digest", d);
	assert_status(f, id, "data_assigned");
	PLAT_FX_CALL(f, op_task_approve, &bob, 0, NULL, "{s:s, s:s}", "id", id, "digest", d);
	assert_status(f, id, "approved");

	for (size_t i = 0; i < 3; i++)
		PLAT_FX_CALL(f, op_task_invoke, blind[i], CU_ENOTFOUND, NULL, "{s:s}", "id", id);
	PLAT_FX_CALL(f, op_task_invoke, &alice, CU_EPERM, NULL, "{s:s}", "id", id);
	PLAT_FX_CALL(f, op_task_invoke, &bob, CU_EPERM, NULL, "{s:s}", "id", id);
	assert_int_equal(queue_len(f), 0);
	invoke(f, id);
}

static void test_access_cancel(void **state)
{
	struct plat_fx *f = *state;
	const struct plat_caller *blind[] = {&carol, &fo, &admin};
	const struct plat_caller *may[] = {&erin, &alice, &bob};
	char id[PLAT_ID_MAX + 1];

	for (size_t k = 0; k < 3; k++) {
		create_task(f, "m", id);
		for (size_t i = 0; i < 3; i++)
			PLAT_FX_CALL(f, op_task_cancel, blind[i], CU_ENOTFOUND, NULL, "{s:s}", "id",
			             id);
		PLAT_FX_CALL(f, op_task_cancel, may[k], 0, NULL, "{s:s}", "id", id);
		assert_status(f, id, "canceled");
	}
}

/* ---- states ---- */

static void test_illegal_transitions(void **state)
{
	struct plat_fx *f = *state;
	char id[PLAT_ID_MAX + 1], d[DLEN + 1];

	create_task(f, "m", id);
	digest_of(f, id, d);
	PLAT_FX_CALL(f, op_task_approve, &alice, CU_ESTATE, NULL, "{s:s, s:s}", "id", id, "digest",
	             d);
	PLAT_FX_CALL(f, op_task_invoke, &erin, CU_ESTATE, NULL, "{s:s}", "id", id);
	assign_all(f, id);
	PLAT_FX_CALL(f, op_task_invoke, &erin, CU_ESTATE, NULL, "{s:s}", "id", id);
	approve_all(f, id);
	digest_of(f, id, d);
	PLAT_FX_CALL(f, op_task_approve, &alice, CU_ESTATE, NULL, "{s:s, s:s}", "id", id, "digest",
	             d);
	invoke(f, id);
	PLAT_FX_CALL(f, op_task_invoke, &erin, CU_ESTATE, NULL, "{s:s}", "id", id);
	PLAT_FX_CALL(f, op_task_assign, &alice, CU_ESTATE, NULL, "{s:s, s:{s:s}}", "id", id,
	             "inputs", "a", F_A2);
	PLAT_FX_CALL(f, op_task_approve, &alice, CU_ESTATE, NULL, "{s:s, s:s}", "id", id, "digest",
	             d);
	assert_int_equal(queue_len(f), 1);
	assert_int_equal(stored_int(f, PLAT_T_FUNCS, FN, "uses"), 1);

	/* running: nothing but a cancel (test_platform_ops stops a running task) */
	edit(f, PLAT_T_TASKS, id, "status", json_string("running"));
	PLAT_FX_CALL(f, op_task_invoke, &erin, CU_ESTATE, NULL, "{s:s}", "id", id);
	PLAT_FX_CALL(f, op_task_assign, &alice, CU_ESTATE, NULL, "{s:s, s:{s:s}}", "id", id,
	             "inputs", "a", F_A2);
	edit(f, PLAT_T_TASKS, id, "status", json_string("staged"));

	assert_int_equal(plat_worker_run_one(&f->p), 0);
	assert_status(f, id, "finished");
	PLAT_FX_CALL(f, op_task_cancel, &erin, CU_ESTATE, NULL, "{s:s}", "id", id);
	PLAT_FX_CALL(f, op_task_cancel, &alice, CU_ESTATE, NULL, "{s:s}", "id", id);
	PLAT_FX_CALL(f, op_task_invoke, &erin, CU_ESTATE, NULL, "{s:s}", "id", id);
	PLAT_FX_CALL(f, op_task_assign, &alice, CU_ESTATE, NULL, "{s:s, s:{s:s}}", "id", id,
	             "inputs", "a", F_A2);
	PLAT_FX_CALL(f, op_task_approve, &alice, CU_ESTATE, NULL, "{s:s, s:s}", "id", id, "digest",
	             d);

	/* canceled: nothing at all */
	create_task(f, "m", id);
	assign_all(f, id);
	PLAT_FX_CALL(f, op_task_cancel, &bob, 0, NULL, "{s:s}", "id", id);
	digest_of(f, id, d);
	PLAT_FX_CALL(f, op_task_cancel, &erin, CU_ESTATE, NULL, "{s:s}", "id", id);
	PLAT_FX_CALL(f, op_task_approve, &alice, CU_ESTATE, NULL, "{s:s, s:s}", "id", id, "digest",
	             d);
	PLAT_FX_CALL(f, op_task_invoke, &erin, CU_ESTATE, NULL, "{s:s}", "id", id);
	PLAT_FX_CALL(f, op_task_assign, &alice, CU_ESTATE, NULL, "{s:s, s:{s:s}}", "id", id,
	             "inputs", "a", F_A2);
	assert_status(f, id, "canceled");

	/* a staged task canceled is skipped by the worker */
	ready_task(f, "m", id);
	invoke(f, id);
	PLAT_FX_CALL(f, op_task_cancel, &alice, 0, NULL, "{s:s}", "id", id);
	assert_int_equal(plat_worker_run_one(&f->p), CU_ENOTFOUND);
	assert_status(f, id, "canceled");
	assert_int_equal(queue_len(f), 0);

	/* failed: nothing at all */
	ready_task(f, "m", id);
	invoke(f, id);
	edit(f, PLAT_T_TASKS, id, "status", json_string("failed"));
	assert_int_equal(plat_worker_run_one(&f->p), CU_ENOTFOUND);
	assert_status(f, id, "failed");
	PLAT_FX_CALL(f, op_task_cancel, &erin, CU_ESTATE, NULL, "{s:s}", "id", id);
	PLAT_FX_CALL(f, op_task_invoke, &erin, CU_ESTATE, NULL, "{s:s}", "id", id);
}

/* ---- approvals voided ---- */

static void assert_voided(struct plat_fx *f, const char *id, const char *old)
{
	char d[DLEN + 1], msg[PLAT_MESSAGE_MAX];
	json_t *v = view(f, id);

	assert_string_equal(json_string_value(json_object_get(v, "status")), "data_assigned");
	assert_int_equal(json_array_size(json_object_get(v, "approvals")), 0);
	json_decref(v);
	digest_of(f, id, d);
	assert_string_not_equal(d, old);
	assert_int_equal(
	    call(f, op_task_approve, &alice, json_pack("{s:s, s:s}", "id", id, "digest", old), msg),
	    CU_ESTATE);
	assert_non_null(strstr(msg, "changed"));
	PLAT_FX_CALL(f, op_task_invoke, &erin, CU_ESTATE, NULL, "{s:s}", "id", id);
	approve_all(f, id);
}

static void test_approvals_voided(void **state)
{
	struct plat_fx *f = *state;
	char id[PLAT_ID_MAX + 1], d[DLEN + 1], d2[DLEN + 1];

	ready_task(f, "m", id);
	digest_of(f, id, d);
	/* the same file again: nothing changed, the approvals stand */
	PLAT_FX_CALL(f, op_task_assign, &alice, 0, NULL, "{s:s, s:{s:s}}", "id", id, "inputs", "a",
	             F_A);
	assert_status(f, id, "approved");

	PLAT_FX_CALL(f, op_task_assign, &alice, 0, NULL, "{s:s, s:{s:s}}", "id", id, "inputs", "a",
	             F_A2);
	assert_voided(f, id, d);

	digest_of(f, id, d);
	edit(f, PLAT_T_FUNCS, FN, "revision", json_integer(2));
	assert_voided(f, id, d);

	digest_of(f, id, d);
	edit(f, PLAT_T_FILES, F_A2, "digest", json_string(DIG_C));
	assert_voided(f, id, d);

	/* one approval only counts while its digest is the task's */
	digest_of(f, id, d);
	edit(f, PLAT_T_FILES, F_B, "digest", json_string(DIG_C));
	digest_of(f, id, d2);
	PLAT_FX_CALL(f, op_task_approve, &alice, 0, NULL, "{s:s, s:s}", "id", id, "digest", d2);
	edit(f, PLAT_T_FILES, F_B, "digest", json_string(DIG_B)); /* back: bob's approval counts */
	assert_status(f, id, "data_assigned");
	PLAT_FX_CALL(f, op_task_approve, &alice, 0, NULL, "{s:s, s:s}", "id", id, "digest", d);
	assert_status(f, id, "approved");
	invoke(f, id);

	/* changed while staged: the worker refuses to run it */
	edit(f, PLAT_T_FUNCS, FN, "revision", json_integer(3));
	assert_int_equal(plat_worker_run_one(&f->p), 0);
	view_str(f, id, "error", d, sizeof(d));
	assert_string_equal(d, "the task changed after it was approved");
	assert_status(f, id, "failed");
}

/* ---- the digest ---- */

static void expect_digest(struct plat_fx *f, const char *id, const char *doc)
{
	uint8_t h[CR_SHA256_LEN];
	char want[65], got[65];

	assert_int_equal(cr_sha256(doc, strlen(doc), h), 0);
	assert_int_equal(cu_hex_encode(h, sizeof(h), want, sizeof(want)), 0);
	digest_of(f, id, got);
	assert_string_equal(got, want);
}

static void test_digest_known_answer(void **state)
{
	struct plat_fx *f = *state;
	char id[PLAT_ID_MAX + 1];

	create_task(f, "hi", id);
	expect_digest(f, id,
	              "{\"arguments\":{\"message\":\"hi\",\"mode\":\"plain\"},\"function\":{"
	              "\"builtin\":\"echo\",\"executor\":\"builtin\",\"id\":\"" FN "\","
	              "\"revision\":1},\"inputs\":[{\"digest\":null,\"file\":null,\"name\":\"a\","
	              "\"owners\":[\"alice\"]},{\"digest\":null,\"file\":null,\"name\":\"b\","
	              "\"owners\":[\"bob\"]}],\"outputs\":[{\"digest\":null,\"file\":null,"
	              "\"name\":\"out\",\"owners\":[\"alice\",\"bob\"]}]}");
	assign_all(f, id);
	expect_digest(f, id,
	              "{\"arguments\":{\"message\":\"hi\",\"mode\":\"plain\"},\"function\":{"
	              "\"builtin\":\"echo\",\"executor\":\"builtin\",\"id\":\"" FN "\","
	              "\"revision\":1},\"inputs\":[{\"digest\":\"" DIG_A "\",\"file\":\"" F_A
	              "\",\"name\":\"a\",\"owners\":[\"alice\"]},{\"digest\":\"" DIG_B
	              "\",\"file\":\"" F_B "\",\"name\":\"b\",\"owners\":[\"bob\"]}],"
	              "\"outputs\":[{\"digest\":null,\"file\":\"" F_OUT "\",\"name\":\"out\","
	              "\"owners\":[\"alice\",\"bob\"]}]}");
	/* a wasm function is covered by its payload's hash */
	edit(f, PLAT_T_FUNCS, FN, "executor", json_string("wasm"));
	edit(f, PLAT_T_FUNCS, FN, "payload_sha256", json_string(DIG_C));
	expect_digest(f, id,
	              "{\"arguments\":{\"message\":\"hi\",\"mode\":\"plain\"},\"function\":{"
	              "\"executor\":\"wasm\",\"id\":\"" FN "\",\"payload_sha256\":\"" DIG_C "\","
	              "\"revision\":1},\"inputs\":[{\"digest\":\"" DIG_A "\",\"file\":\"" F_A
	              "\",\"name\":\"a\",\"owners\":[\"alice\"]},{\"digest\":\"" DIG_B
	              "\",\"file\":\"" F_B "\",\"name\":\"b\",\"owners\":[\"bob\"]}],"
	              "\"outputs\":[{\"digest\":null,\"file\":\"" F_OUT "\",\"name\":\"out\","
	              "\"owners\":[\"alice\",\"bob\"]}]}");
}

#define NSEEN 16

struct seen {
	char d[NSEEN][DLEN + 1];
	size_t n;
};

/* The digest now must differ from every one seen. */
static void changed(struct plat_fx *f, const char *id, struct seen *s, const char *what)
{
	assert_true(s->n < NSEEN);
	digest_of(f, id, s->d[s->n]);
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->d[i], s->d[s->n]))
			fail_msg("the digest did not change with %s", what);
	s->n++;
}

static void same(struct plat_fx *f, const char *id, struct seen *s, const char *what)
{
	char d[DLEN + 1];

	digest_of(f, id, d);
	if (strcmp(d, s->d[s->n - 1]))
		fail_msg("the digest changed with %s", what);
}

static void test_digest_coverage(void **state)
{
	struct plat_fx *f = *state;
	struct seen s = {.n = 0};
	char id[PLAT_ID_MAX + 1];
	json_t *rec = NULL, *slot;

	create_task(f, "m", id);
	assign_all(f, id);
	changed(f, id, &s, "the start");
	same(f, id, &s, "nothing");
	plat_fx_clock += 100;
	edit(f, PLAT_T_FUNCS, FN, "description", json_string("another"));
	edit(f, PLAT_T_FUNCS, FN, "uses", json_integer(7));
	edit(f, PLAT_T_FUNCS, FN, "allow", json_pack("[s, s, s]", "alice", "bob", "erin"));
	edit(f, PLAT_T_FILES, F_A, "url", json_string("https://example.org/moved"));
	edit(f, PLAT_T_FILES, F_A, "updated", json_integer(99));
	edit(f, PLAT_T_TASKS, id, "updated", json_integer(99));
	edit(f, PLAT_T_TASKS, id, "result", json_string("x"));
	same(f, id, &s, "fields the digest does not cover");
	/* owners are sorted: their order in the record does not matter */
	assert_int_equal(plat_get(&f->p, PLAT_T_TASKS, id, &rec, NULL), 0);
	slot = json_array_get(json_object_get(rec, "outputs"), 0);
	json_object_set_new(slot, "owners", json_pack("[s, s]", "bob", "alice"));
	put(f, PLAT_T_TASKS, id, rec);
	same(f, id, &s, "the order of owners");

	edit(f, PLAT_T_FUNCS, FN, "revision", json_integer(2));
	changed(f, id, &s, "the revision");
	edit(f, PLAT_T_FUNCS, FN, "builtin", json_string("echo2"));
	changed(f, id, &s, "the builtin");
	edit(f, PLAT_T_FUNCS, FN, "payload_sha256", json_string(DIG_C));
	same(f, id, &s, "a payload hash of a builtin");
	edit(f, PLAT_T_FUNCS, FN, "executor", json_string("wasm"));
	changed(f, id, &s, "the executor");
	edit(f, PLAT_T_FUNCS, FN, "payload_sha256", json_string(DIG_A));
	changed(f, id, &s, "the payload hash");
	edit(f, PLAT_T_TASKS, id, "arguments",
	     json_pack("{s:s, s:s}", "message", "n", "mode", "plain"));
	changed(f, id, &s, "an argument");
	put_function(f, FN_OTHER, 0);
	edit(f, PLAT_T_TASKS, id, "function", json_string(FN_OTHER));
	changed(f, id, &s, "the function id");
	PLAT_FX_CALL(f, op_task_assign, &alice, 0, NULL, "{s:s, s:{s:s}}", "id", id, "inputs", "a",
	             F_A2);
	changed(f, id, &s, "an input file");
	edit(f, PLAT_T_FILES, F_B, "digest", json_string(DIG_C));
	changed(f, id, &s, "an input's digest");
	edit(f, PLAT_T_FILES, F_OUT, "digest", json_string(DIG_C));
	changed(f, id, &s, "an output's digest");
	assert_int_equal(plat_get(&f->p, PLAT_T_TASKS, id, &rec, NULL), 0);
	slot = json_array_get(json_object_get(rec, "inputs"), 0);
	json_object_set_new(slot, "owners", json_pack("[s, s]", "alice", "carol"));
	put(f, PLAT_T_TASKS, id, rec);
	changed(f, id, &s, "an input's owners");
	edit(f, PLAT_T_FILES, F_B, "digest", json_null());
	changed(f, id, &s, "an input's digest gone");
}

/* ---- quota ---- */

static void test_quota(void **state)
{
	struct plat_fx *f = *state;
	char t1[PLAT_ID_MAX + 1], t2[PLAT_ID_MAX + 1], msg[PLAT_MESSAGE_MAX];
	struct calls c = {0};

	put_function(f, FN, 1);
	f->p.on_staged = on_staged;
	f->p.notify_arg = &c;
	ready_task(f, "one", t1);
	ready_task(f, "two", t2);
	invoke(f, t1);
	assert_int_equal(call(f, op_task_invoke, &erin, json_pack("{s:s}", "id", t2), msg),
	                 CU_ELIMIT);
	assert_string_equal(msg, "the function's usage quota is used up");
	assert_status(f, t2, "approved");
	assert_int_equal(stored_int(f, PLAT_T_FUNCS, FN, "uses"), 1);
	assert_int_equal(queue_len(f), 1);
	assert_int_equal(c.staged, 1);
	/* 0: no quota */
	edit(f, PLAT_T_FUNCS, FN, "quota", json_integer(0));
	invoke(f, t2);
	assert_int_equal(stored_int(f, PLAT_T_FUNCS, FN, "uses"), 2);
	assert_int_equal(c.staged, 2);
}

/* ---- restarts ---- */

static void test_restart_staged(void **state)
{
	struct plat_fx *f = *state;
	char id[PLAT_ID_MAX + 1], r[64];
	uint8_t *v = NULL;
	size_t n = 0;

	ready_task(f, "again", id);
	invoke(f, id);
	plat_fx_reopen(f);
	assert_int_equal(plat_tasks_recover(&f->p), 0);
	assert_int_equal(queue_len(f), 1);
	assert_int_equal(plat_tasks_recover(&f->p), 0);
	assert_int_equal(queue_len(f), 1); /* not queued twice */
	/* lost from the queue: queued again */
	assert_int_equal(st_queue_pop(f->st, PLAT_Q_STAGED, &v, &n), 0);
	free(v);
	assert_int_equal(queue_len(f), 0);
	plat_fx_reopen(f);
	assert_int_equal(plat_tasks_recover(&f->p), 0);
	assert_int_equal(queue_len(f), 1);
	/* queued twice, and junk: once */
	assert_int_equal(st_queue_push(f->st, PLAT_Q_STAGED, id, strlen(id)), 0);
	assert_int_equal(st_queue_push(f->st, PLAT_Q_STAGED, "task-gone", 9), 0);
	assert_int_equal(plat_tasks_recover(&f->p), 0);
	assert_int_equal(queue_len(f), 1);
	assert_int_equal(plat_worker_run_one(&f->p), 0);
	assert_status(f, id, "finished");
	view_str(f, id, "result", r, sizeof(r));
	assert_string_equal(r, "again");
	assert_int_equal(plat_worker_run_one(&f->p), CU_ENOTFOUND);
}

static void test_restart_running(void **state)
{
	struct plat_fx *f = *state;
	char t1[PLAT_ID_MAX + 1], t2[PLAT_ID_MAX + 1], r[64], st[32];
	uint8_t *v = NULL;
	size_t n = 0;
	int terminal;

	ready_task(f, "first", t1);
	ready_task(f, "second", t2);
	invoke(f, t1);
	invoke(f, t2);
	/* a worker took t1 and died while running it */
	assert_int_equal(st_queue_pop(f->st, PLAT_Q_STAGED, &v, &n), 0);
	assert_int_equal(n, strlen(t1));
	assert_memory_equal(v, t1, n);
	free(v);
	edit(f, PLAT_T_TASKS, t1, "status", json_string("running"));
	assert_int_equal(plat_task_status(&f->p, &erin, t1, st, &terminal), 0);
	assert_string_equal(st, "running");
	assert_int_equal(terminal, 0);
	plat_fx_reopen(f);
	assert_int_equal(plat_tasks_recover(&f->p), 0);
	assert_status(f, t1, "staged");
	assert_int_equal(queue_len(f), 2);
	/* the task that was running goes first */
	assert_int_equal(plat_worker_run_one(&f->p), 0);
	assert_status(f, t1, "finished");
	assert_status(f, t2, "staged");
	assert_int_equal(plat_worker_run_one(&f->p), 0);
	view_str(f, t1, "result", r, sizeof(r));
	assert_string_equal(r, "first");
	view_str(f, t2, "result", r, sizeof(r));
	assert_string_equal(r, "second");
}

/* ---- the worker ---- */

static void run_bare(struct plat_fx *f, const char *want_status, const char *want_error)
{
	char id[PLAT_ID_MAX + 1], e[PLAT_MESSAGE_MAX];
	json_t *r = NULL;

	/* no data: no approvers, so the task is approved as it is made */
	PLAT_FX_CALL(f, op_task_create, &erin, 0, &r, "{s:s}", "function", FN_BARE);
	assert_string_equal(json_string_value(json_object_get(r, "status")), "approved");
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(r, "id")));
	json_decref(r);
	invoke(f, id);
	assert_int_equal(plat_worker_run_one(&f->p), 0);
	assert_status(f, id, want_status);
	view_str(f, id, "error", e, sizeof(e));
	assert_string_equal(e, want_error);
}

static void test_worker_failures(void **state)
{
	struct plat_fx *f = *state;
	struct calls c = {0};
	char id[PLAT_ID_MAX + 1], e[PLAT_MESSAGE_MAX];

	f->p.on_done = on_done;
	f->p.notify_arg = &c;
	assert_int_equal(plat_worker_run_one(&f->p), CU_ENOTFOUND);
	put_bare_function(f, "builtin", "echo");
	run_bare(f, "failed", "echo needs the argument \"message\"");
	put_bare_function(f, "wasm", NULL);
	run_bare(f, "failed", "the in-process test runner runs no wasm (test_platform_wasm does)");
	put_bare_function(f, "builtin", "nope");
	run_bare(f, "failed", "unknown builtin \"nope\"");
	assert_int_equal(c.done, 3);

	/* disabled or gone while staged */
	ready_task(f, "m", id);
	invoke(f, id);
	edit(f, PLAT_T_FUNCS, FN, "disabled", json_true());
	assert_int_equal(plat_worker_run_one(&f->p), 0);
	view_str(f, id, "error", e, sizeof(e));
	assert_string_equal(e, "the task's function was disabled");
	PLAT_FX_CALL(f, op_task_create, &erin, CU_ESTATE, NULL, "{s:s}", "function", FN);
	edit(f, PLAT_T_FUNCS, FN, "disabled", json_false());
	ready_task(f, "m", id);
	edit(f, PLAT_T_FUNCS, FN, "disabled", json_true());
	PLAT_FX_CALL(f, op_task_invoke, &erin, CU_ESTATE, NULL, "{s:s}", "id", id);
	edit(f, PLAT_T_FUNCS, FN, "disabled", json_false());
	invoke(f, id);
	assert_int_equal(st_delete(f->st, PLAT_T_FUNCS, FN), 0);
	assert_int_equal(plat_worker_run_one(&f->p), 0);
	view_str(f, id, "error", e, sizeof(e));
	assert_string_equal(e, "the task's function is gone");
	assert_int_equal(c.done, 5);
}

/* ---- callbacks ---- */

static void test_callbacks(void **state)
{
	struct plat_fx *f = *state;
	struct calls c = {0};
	char t1[PLAT_ID_MAX + 1], t2[PLAT_ID_MAX + 1];

	f->p.on_staged = on_staged;
	f->p.on_done = on_done;
	f->p.notify_arg = &c;
	ready_task(f, "m", t1);
	ready_task(f, "m", t2);
	assert_int_equal(c.staged + c.done, 0);
	invoke(f, t1);
	assert_int_equal(c.staged, 1);
	assert_string_equal(c.last, t1);
	PLAT_FX_CALL(f, op_task_invoke, &erin, CU_ESTATE, NULL, "{s:s}", "id", t1);
	assert_int_equal(c.staged, 1);
	PLAT_FX_CALL(f, op_task_cancel, &bob, 0, NULL, "{s:s}", "id", t2);
	assert_int_equal(c.done, 1);
	assert_string_equal(c.last, t2);
	PLAT_FX_CALL(f, op_task_cancel, &bob, CU_ESTATE, NULL, "{s:s}", "id", t2);
	assert_int_equal(plat_worker_run_one(&f->p), 0);
	assert_int_equal(c.done, 2);
	assert_string_equal(c.last, t1);
	assert_int_equal(plat_worker_run_one(&f->p), CU_ENOTFOUND);
	assert_int_equal(c.staged, 1);
	assert_int_equal(c.done, 2);
}

/* ---- malformed requests ---- */

static void test_malformed_create(void **state)
{
	struct plat_fx *f = *state;
	char longarg[PLAT_TEXT_MAX + 2], longid[PLAT_ID_MAX + 2];
	json_t *many = json_array(), *r = NULL;
	const char *io = "{s:s, s:{s:s}, s:{s:[s], s:[s]}, s:{s:[s, s]}}";

	memset(longarg, 'x', sizeof(longarg) - 1);
	longarg[sizeof(longarg) - 1] = '\0';
	memset(longid, 'f', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
#define C(want, ...) PLAT_FX_CALL(f, op_task_create, &erin, want, NULL, __VA_ARGS__)
	C(CU_EFORMAT, "[]");
	C(CU_EINVAL, "{}");
	C(CU_EFORMAT, "{s:i}", "function", 1);
	C(CU_ELIMIT, "{s:s}", "function", longid);
	C(CU_ENOTFOUND, "{s:s}", "function", "function-nope");
	C(CU_EINVAL, "{s:s, s:b}", "function", FN, "bogus", 1);
	/* arguments */
	C(CU_EFORMAT, "{s:s, s:[]}", "function", FN, "arguments");
	C(CU_EINVAL, "{s:s, s:{s:s, s:s}, s:{s:[s], s:[s]}, s:{s:[s, s]}}", "function", FN,
	  "arguments", "message", "m", "nope", "x", "inputs", "a", "alice", "b", "bob", "outputs",
	  "out", "alice", "bob");
	C(CU_EINVAL, "{s:s, s:{s:s, s:s}, s:{s:[s], s:[s]}, s:{s:[s, s]}}", "function", FN,
	  "arguments", "message", "m", "mode", "loud", "inputs", "a", "alice", "b", "bob",
	  "outputs", "out", "alice", "bob");
	C(CU_EINVAL, "{s:s, s:{}, s:{s:[s], s:[s]}, s:{s:[s, s]}}", "function", FN, "arguments",
	  "inputs", "a", "alice", "b", "bob", "outputs", "out", "alice", "bob");
	C(CU_EFORMAT, "{s:s, s:{s:i}, s:{s:[s], s:[s]}, s:{s:[s, s]}}", "function", FN, "arguments",
	  "message", 5, "inputs", "a", "alice", "b", "bob", "outputs", "out", "alice", "bob");
	C(CU_ELIMIT, io, "function", FN, "arguments", "message", longarg, "inputs", "a", "alice",
	  "b", "bob", "outputs", "out", "alice", "bob");
	longarg[PLAT_TEXT_MAX] = '\0'; /* the longest allowed */
	C(0, io, "function", FN, "arguments", "message", longarg, "inputs", "a", "alice", "b",
	  "bob", "outputs", "out", "alice", "bob");
	/* inputs and outputs */
	C(CU_EFORMAT, "{s:s, s:{s:s}, s:[], s:{s:[s, s]}}", "function", FN, "arguments", "message",
	  "m", "inputs", "outputs", "out", "alice", "bob");
	C(CU_EINVAL, "{s:s, s:{s:s}, s:{s:[s], s:[s], s:[s]}, s:{s:[s, s]}}", "function", FN,
	  "arguments", "message", "m", "inputs", "a", "alice", "b", "bob", "zzz", "alice",
	  "outputs", "out", "alice", "bob");
	C(CU_EINVAL, "{s:s, s:{s:s}, s:{s:[s]}, s:{s:[s, s]}}", "function", FN, "arguments",
	  "message", "m", "inputs", "a", "alice", "outputs", "out", "alice", "bob");
	C(CU_EINVAL, "{s:s, s:{s:s}, s:{s:[s], s:[s]}}", "function", FN, "arguments", "message",
	  "m", "inputs", "a", "alice", "b", "bob");
	C(CU_EINVAL, io, "function", FN, "arguments", "message", "m", "inputs", "a", "nobody", "b",
	  "bob", "outputs", "out", "alice", "bob");
	C(CU_EINVAL, io, "function", FN, "arguments", "message", "m", "inputs", "a", "-bad", "b",
	  "bob", "outputs", "out", "alice", "bob");
	C(CU_EINVAL, io, "function", FN, "arguments", "message", "m", "inputs", "a", "alice", "b",
	  "bob", "outputs", "out", "alice", "alice");
	C(CU_EINVAL, "{s:s, s:{s:s}, s:{s:[], s:[s]}, s:{s:[s, s]}}", "function", FN, "arguments",
	  "message", "m", "inputs", "a", "b", "bob", "outputs", "out", "alice", "bob");
	C(CU_EFORMAT, "{s:s, s:{s:s}, s:{s:s, s:[s]}, s:{s:[s, s]}}", "function", FN, "arguments",
	  "message", "m", "inputs", "a", "alice", "b", "bob", "outputs", "out", "alice", "bob");
	C(CU_EFORMAT, "{s:s, s:{s:s}, s:{s:[i], s:[s]}, s:{s:[s, s]}}", "function", FN, "arguments",
	  "message", "m", "inputs", "a", 7, "b", "bob", "outputs", "out", "alice", "bob");
	for (int i = 0; i <= PLAT_LIST_MAX; i++)
		json_array_append_new(many, json_string("alice"));
	C(CU_ELIMIT, "{s:s, s:{s:s}, s:{s:O, s:[s]}, s:{s:[s, s]}}", "function", FN, "arguments",
	  "message", "m", "inputs", "a", many, "b", "bob", "outputs", "out", "alice", "bob");
	json_decref(many);
	/* the optional input may be named */
	PLAT_FX_CALL(f, op_task_create, &erin, 0, &r,
	             "{s:s, s:{s:s}, s:{s:[s], s:[s], s:[s]}, s:{s:[s, s]}}", "function", FN,
	             "arguments", "message", "m", "inputs", "a", "alice", "b", "bob", "extra",
	             "carol", "outputs", "out", "alice", "bob");
	PLAT_FX_CALL(f, op_task_get, &carol, 0, NULL, "{s:s}", "id",
	             json_string_value(json_object_get(r, "id")));
	json_decref(r);
#undef C
}

static void test_malformed_other(void **state)
{
	struct plat_fx *f = *state;
	char id[PLAT_ID_MAX + 1], d[DLEN + 1], up[DLEN + 1];

	create_task(f, "m", id);
#define A(want, ...) PLAT_FX_CALL(f, op_task_assign, &alice, want, NULL, __VA_ARGS__)
	A(CU_EINVAL, "{s:s, s:{s:s}, s:b}", "id", id, "inputs", "a", F_A, "bogus", 1);
	A(CU_EINVAL, "{s:{s:s}}", "inputs", "a", F_A);
	A(CU_EINVAL, "{s:s}", "id", id);
	A(CU_EINVAL, "{s:s, s:{}}", "id", id, "inputs");
	A(CU_EFORMAT, "{s:s, s:[s]}", "id", id, "inputs", F_A);
	A(CU_EFORMAT, "{s:s, s:s}", "id", id, "outputs", F_A);
	A(CU_EINVAL, "{s:s, s:{s:s}}", "id", id, "inputs", "zzz", F_A);
	A(CU_EINVAL, "{s:s, s:{s:s}}", "id", id, "outputs", "a", F_OUT);
	A(CU_EFORMAT, "{s:s, s:{s:i}}", "id", id, "inputs", "a", 3);
	A(CU_EFORMAT, "{s:s, s:{s:s}}", "id", id, "inputs", "a", "");
	A(CU_ENOTFOUND, "{s:s, s:{s:s}}", "id", id, "inputs", "a", "file-nope");
	A(CU_ENOTFOUND, "{s:s, s:{s:s}}", "id", "task-nope", "inputs", "a", F_A);
	A(CU_EINVAL, "{s:s, s:{s:s}}", "id", id, "inputs", "a", F_XOUT);    /* an output */
	A(CU_EINVAL, "{s:s, s:{s:s}}", "id", id, "outputs", "out", F_AB);   /* an input */
	A(CU_EINVAL, "{s:s, s:{s:s}}", "id", id, "inputs", "a", F_AB);      /* owners differ */
	A(CU_EINVAL, "{s:s, s:{s:s}}", "id", id, "outputs", "out", F_XOUT); /* owners differ */
	A(CU_EINVAL, "{s:s, s:{s:s}}", "id", id, "outputs", "out", F_OUTW); /* written */
	/* a refused request changes nothing, even its valid part */
	A(CU_EINVAL, "{s:s, s:{s:s}, s:{s:s}}", "id", id, "inputs", "a", F_A, "outputs", "out",
	  F_OUTW);
#undef A
	{
		json_t *v = view(f, id);

		assert_true(json_is_null(
		    json_object_get(json_array_get(json_object_get(v, "inputs"), 0), "file")));
		json_decref(v);
	}
	assign_all(f, id);
	digest_of(f, id, d);
#define P(want, ...) PLAT_FX_CALL(f, op_task_approve, &alice, want, NULL, __VA_ARGS__)
	P(CU_EINVAL, "{s:s}", "id", id);
	P(CU_EFORMAT, "{s:s, s:i}", "id", id, "digest", 1);
	P(CU_EFORMAT, "{s:s, s:s}", "id", id, "digest", "abcd");
	P(CU_EFORMAT, "{s:s, s:s}", "id", id, "digest",
	  "zz00000000000000000000000000000000000000000000000000000000000000");
	P(CU_EINVAL, "{s:s, s:s, s:b}", "id", id, "digest", d, "bogus", 1);
	P(CU_EINVAL, "{s:s}", "digest", d);
	for (size_t i = 0; i <= DLEN; i++)
		up[i] = (char)(d[i] >= 'a' && d[i] <= 'f' ? d[i] - 32 : d[i]);
	P(0, "{s:s, s:s}", "id", id, "digest", up); /* hex in capitals is the same digest */
#undef P
	PLAT_FX_CALL(f, op_task_get, &erin, CU_EINVAL, NULL, "{s:s, s:b}", "id", id, "x", 1);
	PLAT_FX_CALL(f, op_task_get, &erin, CU_EINVAL, NULL, "{}");
	PLAT_FX_CALL(f, op_task_get, &erin, CU_EFORMAT, NULL, "{s:i}", "id", 1);
	PLAT_FX_CALL(f, op_task_invoke, &erin, CU_EINVAL, NULL, "{s:s, s:b}", "id", id, "x", 1);
	PLAT_FX_CALL(f, op_task_cancel, &erin, CU_EINVAL, NULL, "{s:s, s:b}", "id", id, "x", 1);
	PLAT_FX_CALL(f, op_task_list, &erin, CU_EINVAL, NULL, "{s:b}", "x", 1);
	PLAT_FX_CALL(f, op_task_get, NULL, CU_EAUTH, NULL, "{s:s}", "id", id);
	PLAT_FX_CALL(f, op_task_list, NULL, CU_EAUTH, NULL, "{}");
	PLAT_FX_CALL(f, op_task_assign, NULL, CU_EAUTH, NULL, "{s:s, s:{s:s}}", "id", id, "inputs",
	             "a", F_A);
	PLAT_FX_CALL(f, op_task_approve, NULL, CU_EAUTH, NULL, "{s:s, s:s}", "id", id, "digest", d);
	PLAT_FX_CALL(f, op_task_invoke, NULL, CU_EAUTH, NULL, "{s:s}", "id", id);
	PLAT_FX_CALL(f, op_task_cancel, NULL, CU_EAUTH, NULL, "{s:s}", "id", id);
}

/* ---- the canary ---- */

static int file_has(const char *path, const char *needle)
{
	struct stat sb;
	uint8_t *buf;
	size_t n;
	FILE *fp;
	int found;

	if (stat(path, &sb) != 0)
		return 0;
	buf = malloc((size_t)sb.st_size + 1);
	assert_non_null(buf);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	n = fread(buf, 1, (size_t)sb.st_size, fp);
	fclose(fp);
	found = memmem(buf, n, needle, strlen(needle)) != NULL;
	free(buf);
	return found;
}

static void test_canary(void **state)
{
	struct plat_fx *f = *state;
	char id[PLAT_ID_MAX + 1], r[64], wal[128];
	struct stat sb;

	ready_task(f, CANARY, id);
	invoke(f, id);
	assert_int_equal(plat_worker_run_one(&f->p), 0);
	view_str(f, id, "result", r, sizeof(r));
	assert_string_equal(r, CANARY);
	plat_fx_reopen(f);
	view_str(f, id, "result", r, sizeof(r));
	assert_string_equal(r, CANARY); /* still there, sealed */
	assert_int_equal(stat(f->tmp.path, &sb), 0);
	assert_false(file_has(f->tmp.path, CANARY));
	assert_false(file_has(f->tmp.path, "alice"));
	snprintf(wal, sizeof(wal), "%s-wal", f->tmp.path);
	assert_false(file_has(wal, CANARY));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_echo_flow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_access_get_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_access_create, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_access_assign, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_access_approve_invoke, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_access_cancel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_illegal_transitions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_approvals_voided, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_digest_known_answer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_digest_coverage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_quota, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_staged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_running, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_worker_failures, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_callbacks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_create, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_other, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_canary, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

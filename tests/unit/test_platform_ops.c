/*
 * Unit tests of the platform as custosd uses it: plat_open (admin from a
 * given or a random password, the token key made once and kept), the
 * operations through plat_call with real users, functions, files and tasks
 * (every state-changing call audited, refused ones included; the audit
 * chain verifies), the error mapping of the API, and a restart in the
 * middle of a multi-party task: tokens still valid, approvals kept, a
 * staged task recovered and run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/file.h"
#include "common/json.h"
#include "common/mem.h"
#include "crypto/hash.h"
#include "efile/efile.h"
#include "platform/platform.h"
#include "platform/platform_int.h"
#include "store/store.h"
#include "test_platform_calls.h"
#include "test_store_fixture.h"
#include "worker/job.h"

static const uint8_t store_key[ST_KEY_LEN] = {42};
static int64_t clock_now = 1800000000;

static int64_t fake_now(void)
{
	return clock_now;
}

struct fx {
	struct st_tmp tmp;
	struct st_store *st;
	struct platform *p;
	int staged, done;
};

static void on_staged(void *arg, const char *id)
{
	(void)id;
	((struct fx *)arg)->staged++;
}

static void on_done(void *arg, const char *id)
{
	(void)id;
	((struct fx *)arg)->done++;
}

static void fx_open(struct fx *f, const char *admin_pw, char *generated)
{
	struct plat_options o = {.admin_password = admin_pw,
	                         .now = fake_now,
	                         .on_staged = on_staged,
	                         .on_done = on_done,
	                         .notify_arg = f};
	char local[128];

	assert_int_equal(st_open(f->tmp.path, store_key, &f->st), 0);
	assert_int_equal(plat_open(f->st, &o, &f->p, generated ? generated : local, 128), 0);
}

static void fx_close(struct fx *f)
{
	plat_close(f->p);
	st_close(f->st);
	f->p = NULL;
	f->st = NULL;
}

/*
 * An input as its owner makes it: plaintext encrypted under key (32 bytes,
 * Custos format) and put at a data: URL; url and digest (hex) out.
 */
static void make_input(const char *plain, const uint8_t key[32], char *url, size_t urlsz,
                       char digest[65])
{
	uint8_t *ct = NULL, md[32];
	size_t n = 0;

	assert_int_equal(ef_encrypt_buf(EF_FORMAT_CUSTOS, key, 32, NULL, (const uint8_t *)plain,
	                                strlen(plain), &ct, &n),
	                 0);
	assert_int_equal(cr_sha256(ct, n, md), 0);
	assert_int_equal(cu_hex_encode(md, 32, digest, 65), 0);
	strcpy(url, "data:;base64,");
	assert_int_equal(cu_b64_encode(ct, n, url + strlen(url), urlsz - strlen(url), CU_B64_STD),
	                 0);
	free(ct);
}

static void test_open_admin(void **state)
{
	struct fx f = {0};
	char gen[128];
	json_t *out;

	(void)state;
	st_tmp_make(&f.tmp);
	/* A random password, handed out once. */
	fx_open(&f, NULL, gen);
	assert_int_equal(strlen(gen), PLAT_PASSWORD_GEN);
	tp_login(f.p, "admin", gen);
	fx_close(&f);
	/* Opened again: no new password, the given one is ignored, the old one works. */
	fx_open(&f, "another-password-1", gen);
	assert_int_equal(gen[0], '\0');
	out = tp_call(f.p, "user.login", NULL, CU_EAUTH,
	              json_pack("{s:s,s:s}", "user", "admin", "password", "another-password-1"));
	assert_null(out);
	fx_close(&f);
	st_tmp_remove(&f.tmp);
}

static void test_errors_map(void **state)
{
	struct plat_error quota = {"the function's usage quota is used up"}, big = {"too long"};

	(void)state;
	assert_int_equal(plat_http_status(CU_EINVAL, NULL), 400);
	assert_string_equal(plat_error_code(CU_EFORMAT, NULL), "invalid_request");
	assert_int_equal(plat_http_status(CU_EAUTH, NULL), 401);
	assert_string_equal(plat_error_code(CU_EPERM, NULL), "forbidden");
	assert_int_equal(plat_http_status(CU_ENOTFOUND, NULL), 404);
	assert_string_equal(plat_error_code(CU_EEXISTS, NULL), "exists");
	assert_string_equal(plat_error_code(CU_ESTATE, NULL), "invalid_state");
	assert_int_equal(plat_http_status(CU_ESTATE, NULL), 409);
	assert_int_equal(plat_http_status(CU_ELIMIT, &quota), 429);
	assert_string_equal(plat_error_code(CU_ELIMIT, &quota), "quota_exceeded");
	assert_int_equal(plat_http_status(CU_ELIMIT, &big), 413);
	assert_string_equal(plat_error_code(CU_ELIMIT, &big), "too_large");
	assert_int_equal(plat_http_status(CU_EIO, NULL), 500);
	assert_string_equal(plat_error_code(CU_ENOMEM, NULL), "internal");
	assert_null(plat_op_find("no.such"));
	assert_null(plat_op_find(NULL));
	assert_non_null(plat_op_find("task.approve"));
}

/* Every operation of the API has a name in the table; only login runs without a token. */
static void test_op_table(void **state)
{
	static const char *const names[] = {"user.login",
	                                    "user.register",
	                                    "user.get",
	                                    "user.list",
	                                    "user.update",
	                                    "user.password",
	                                    "user.reset",
	                                    "user.delete",
	                                    "function.register",
	                                    "function.get",
	                                    "function.list",
	                                    "function.update",
	                                    "function.delete",
	                                    "function.disable",
	                                    "file.register_input",
	                                    "file.register_output",
	                                    "file.register_fusion",
	                                    "file.register_from_output",
	                                    "file.get",
	                                    "file.list",
	                                    "task.create",
	                                    "task.get",
	                                    "task.list",
	                                    "task.assign",
	                                    "task.approve",
	                                    "task.invoke",
	                                    "task.cancel",
	                                    "audit.query",
	                                    "audit.verify"};
	struct fx f = {0};
	struct plat_error err;
	json_t *in = json_object(), *out = NULL;

	(void)state;
	size_t nops;
	const struct plat_op *all = plat_ops(&nops);

	assert_int_equal(nops, sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < nops; i++)
		assert_ptr_equal(plat_op_find(all[i].name), &all[i]);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct plat_op *o = plat_op_find(names[i]);

		assert_non_null(o);
		assert_int_equal(o->public_op, !strcmp(names[i], "user.login"));
	}
	st_tmp_make(&f.tmp);
	fx_open(&f, "admin-password-1", NULL);
	/* No token: refused before the operation runs. */
	assert_int_equal(plat_call(f.p, plat_op_find("task.create"), NULL, in, &out, &err),
	                 CU_EAUTH);
	assert_null(out);
	assert_non_null(strstr(err.message, "token"));
	json_decref(in);
	fx_close(&f);
	st_tmp_remove(&f.tmp);
}

/* A multi-party task through plat_call, restarted in the middle. */
static void test_flow_restart_audit(void **state)
{
	struct fx f = {0};
	struct plat_caller admin, fo, alice, bob, eve;
	char task[PLAT_ID_MAX + 1], fn[PLAT_ID_MAX + 1], fa[PLAT_ID_MAX + 1], fb[PLAT_ID_MAX + 1];
	char tok_alice[1024], status[32], url[512], digest_a[65], digest_b[65];
	struct plat_error err;
	json_t *out;
	int terminal = 0;
	const char *digest;

	(void)state;
	st_tmp_make(&f.tmp);
	fx_open(&f, "admin-password-1", NULL);
	admin = tp_login(f.p, "admin", "admin-password-1");
	for (size_t i = 0; i < 4; i++) {
		static const char *const u[] = {"fo", "alice", "bob", "eve"};
		json_decref(tp_call(f.p, "user.register", &admin, 0,
		                    json_pack("{s:s,s:s,s:s}", "user", u[i], "role",
		                              i ? "data-owner" : "function-owner", "password",
		                              "password-of-user")));
	}
	fo = tp_login(f.p, "fo", "password-of-user");
	bob = tp_login(f.p, "bob", "password-of-user");
	eve = tp_login(f.p, "eve", "password-of-user");
	out = tp_call(f.p, "user.login", NULL, 0,
	              json_pack("{s:s,s:s}", "user", "alice", "password", "password-of-user"));
	snprintf(tok_alice, sizeof(tok_alice), "%s", tp_sget(out, "token"));
	json_decref(out);
	assert_int_equal(plat_authenticate(f.p, tok_alice, &alice, &err), 0);

	out = tp_call(f.p, "function.register", &fo, 0,
	              json_pack("{s:s,s:s,s:s,s:[{s:s}],s:[{s:s},{s:s}],s:[s,s]}", "name", "echo",
	                        "executor", "builtin", "builtin", "echo", "arguments", "name",
	                        "message", "inputs", "name", "a", "name", "b", "allow", "alice",
	                        "bob"));
	snprintf(fn, sizeof(fn), "%s", tp_sget(out, "id"));
	json_decref(out);
	make_input("alpha\n", (const uint8_t *)"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", url, sizeof(url),
	           digest_a);
	out = tp_call(f.p, "file.register_input", &alice, 0,
	              json_pack("{s:s,s:{s:s,s:s},s:s}", "url", url, "crypto", "schema", "custos",
	                        "key", "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=", "digest",
	                        digest_a));
	snprintf(fa, sizeof(fa), "%s", tp_sget(out, "id"));
	json_decref(out);
	make_input("beta\n", (const uint8_t *)"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", url, sizeof(url),
	           digest_b);
	out = tp_call(f.p, "file.register_input", &bob, 0,
	              json_pack("{s:s,s:{s:s,s:s},s:s}", "url", url, "crypto", "schema", "custos",
	                        "key", "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=", "digest",
	                        digest_b));
	snprintf(fb, sizeof(fb), "%s", tp_sget(out, "id"));
	json_decref(out);

	out = tp_call(f.p, "task.create", &alice, 0,
	              json_pack("{s:s,s:{s:s},s:{s:[s],s:[s]}}", "function", fn, "arguments",
	                        "message", "hi", "inputs", "a", "alice", "b", "bob"));
	snprintf(task, sizeof(task), "%s", tp_sget(out, "id"));
	json_decref(out);
	/* Refused calls are audited too. */
	tp_call(f.p, "task.get", &eve, CU_ENOTFOUND, json_pack("{s:s}", "id", task));
	tp_call(f.p, "task.assign", &alice, CU_ENOTFOUND,
	        json_pack("{s:s,s:{s:s}}", "id", task, "inputs", "b", fb));
	json_decref(tp_call(f.p, "task.assign", &alice, 0,
	                    json_pack("{s:s,s:{s:s}}", "id", task, "inputs", "a", fa)));
	json_decref(tp_call(f.p, "task.assign", &bob, 0,
	                    json_pack("{s:s,s:{s:s}}", "id", task, "inputs", "b", fb)));
	out = tp_call(f.p, "task.get", &alice, 0, json_pack("{s:s}", "id", task));
	digest = tp_sget(out, "digest");
	json_decref(tp_call(f.p, "task.approve", &alice, 0,
	                    json_pack("{s:s,s:s}", "id", task, "digest", digest)));
	json_decref(out);

	/* Restart: the token survives, so does alice's approval. */
	fx_close(&f);
	fx_open(&f, NULL, NULL);
	assert_int_equal(plat_authenticate(f.p, tok_alice, &alice, &err), 0);
	out = tp_call(f.p, "task.get", &bob, 0, json_pack("{s:s}", "id", task));
	assert_string_equal(tp_sget(out, "status"), "data_assigned");
	assert_int_equal(json_array_size(json_object_get(out, "approvals")), 1);
	json_decref(tp_call(f.p, "task.approve", &bob, 0,
	                    json_pack("{s:s,s:s}", "id", task, "digest", tp_sget(out, "digest"))));
	json_decref(out);
	json_decref(tp_call(f.p, "task.invoke", &alice, 0, json_pack("{s:s}", "id", task)));
	assert_int_equal(f.staged, 1);

	/* Restart with the task staged: it is recovered and runs. */
	fx_close(&f);
	f.staged = f.done = 0;
	fx_open(&f, NULL, NULL);
	assert_int_equal(plat_task_status(f.p, &alice, task, status, &terminal), 0);
	assert_string_equal(status, "staged");
	assert_int_equal(plat_worker_run_one(f.p), 0);
	assert_int_equal(plat_worker_run_one(f.p), CU_ENOTFOUND);
	assert_int_equal(f.done, 1);
	out = tp_call(f.p, "task.get", &bob, 0, json_pack("{s:s}", "id", task));
	assert_string_equal(tp_sget(out, "status"), "finished");
	assert_string_equal(tp_sget(out, "result"), "hi");
	json_decref(out);
	assert_int_equal(plat_task_status(f.p, &eve, task, status, &terminal), CU_ENOTFOUND);

	/* The audit log: the admin alone reads it; it holds every change and refusal. */
	tp_call(f.p, "audit.verify", &alice, CU_EPERM, json_object());
	out = tp_call(f.p, "audit.verify", &admin, 0, json_object());
	assert_true(json_is_true(json_object_get(out, "ok")));
	assert_true(json_integer_value(json_object_get(out, "count")) >= 14);
	json_decref(out);
	out = tp_call(f.p, "audit.query", &admin, 0, json_pack("{s:s}", "user", "alice"));
	{
		json_t *recs = json_object_get(out, "records"), *r;
		size_t i;
		int refused = 0, approved = 0;

		json_array_foreach(recs, i, r)
		{
			if (!strcmp(tp_sget(r, "action"), "task.assign") &&
			    !strcmp(tp_sget(r, "result"), "ENOTFOUND"))
				refused = 1;
			if (!strcmp(tp_sget(r, "action"), "task.approve") &&
			    !strcmp(tp_sget(r, "result"), "ok") &&
			    !strcmp(tp_sget(r, "target"), task))
				approved = 1;
			assert_string_equal(tp_sget(r, "user"), "alice");
		}
		assert_true(refused);
		assert_true(approved);
	}
	json_decref(out);
	tp_call(f.p, "audit.query", &admin, CU_EINVAL, json_pack("{s:s}", "bogus", "x"));
	fx_close(&f);
	st_tmp_remove(&f.tmp);
}

/*
 * The cache of verified tokens skips the signature only: an expired token,
 * or one of a user whose password changed, is refused also when cached; a
 * token that differs in one byte is verified (and refused) in full.
 */
static void test_token_cache(void **state)
{
	struct fx f = {0};
	struct plat_caller admin, who;
	struct plat_error err;
	char tok[1024];
	json_t *out;
	int64_t t0 = clock_now;

	(void)state;
	st_tmp_make(&f.tmp);
	fx_open(&f, "admin-password-1", NULL);
	admin = tp_login(f.p, "admin", "admin-password-1");
	json_decref(tp_call(f.p, "user.register", &admin, 0,
	                    json_pack("{s:s,s:s,s:s}", "user", "ann", "role", "data-owner",
	                              "password", "password-of-ann")));
	out = tp_call(f.p, "user.login", NULL, 0,
	              json_pack("{s:s,s:s}", "user", "ann", "password", "password-of-ann"));
	snprintf(tok, sizeof(tok), "%s", tp_sget(out, "token"));
	json_decref(out);
	for (int i = 0; i < 3; i++) /* the first verifies, the others hit */
		assert_int_equal(plat_authenticate(f.p, tok, &who, &err), 0);
	tok[strlen(tok) - 2] ^= 1; /* the signature: not the cached token */
	assert_int_equal(plat_authenticate(f.p, tok, &who, &err), CU_EAUTH);
	tok[strlen(tok) - 2] ^= 1;
	assert_int_equal(plat_authenticate(f.p, tok, &who, &err), 0);
	clock_now = t0 + PLAT_TOKEN_LIFETIME_DEFAULT; /* expired: exp <= now */
	assert_int_equal(plat_authenticate(f.p, tok, &who, &err), CU_EAUTH);
	assert_non_null(strstr(err.message, "expired"));
	clock_now = t0;
	assert_int_equal(plat_authenticate(f.p, tok, &who, &err), 0);
	json_decref(tp_call(f.p, "user.password", &who, 0,
	                    json_pack("{s:s,s:s,s:s}", "id", "ann", "old", "password-of-ann", "new",
	                              "another-password-of-ann")));
	assert_int_equal(plat_authenticate(f.p, tok, &who, &err), CU_EAUTH);
	assert_non_null(strstr(err.message, "no longer valid"));
	fx_close(&f);
	st_tmp_remove(&f.tmp);
}

/* Register function, inputs, outputs and a task of ordered-set-intersect; approve; invoke. */
struct psi {
	struct fx *f;
	struct plat_caller fo, alice, bob;
	char fn[PLAT_ID_MAX + 1], in1[PLAT_ID_MAX + 1], in2[PLAT_ID_MAX + 1];
	char task[PLAT_ID_MAX + 1];
	char u1[160], u2[160];
	int remote; /* psi_task leaves the task staged, for a remote worker */
};

static const char key_a64[] = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="; /* 32 x 'A' */
static const char key_b64[] = "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="; /* 32 x 'B' */

static void psi_task(struct psi *s)
{
	char o1[PLAT_ID_MAX + 1], o2[PLAT_ID_MAX + 1];
	json_t *out;

	tp_id_of(tp_call(s->f->p, "file.register_output", &s->alice, 0,
	                 json_pack("{s:s,s:{s:s,s:s}}", "url", s->u1, "crypto", "schema", "custos",
	                           "key", key_a64)),
	         o1);
	tp_id_of(tp_call(s->f->p, "file.register_output", &s->bob, 0,
	                 json_pack("{s:s,s:{s:s,s:s}}", "url", s->u2, "crypto", "schema", "custos",
	                           "key", key_b64)),
	         o2);
	tp_id_of(tp_call(s->f->p, "task.create", &s->alice, 0,
	                 json_pack("{s:s,s:{s:[s],s:[s]},s:{s:[s],s:[s]}}", "function", s->fn,
	                           "inputs", "input_data1", "alice", "input_data2", "bob",
	                           "outputs", "output_result1", "alice", "output_result2", "bob")),
	         s->task);
	json_decref(tp_call(s->f->p, "task.assign", &s->alice, 0,
	                    json_pack("{s:s,s:{s:s},s:{s:s}}", "id", s->task, "inputs",
	                              "input_data1", s->in1, "outputs", "output_result1", o1)));
	json_decref(tp_call(s->f->p, "task.assign", &s->bob, 0,
	                    json_pack("{s:s,s:{s:s},s:{s:s}}", "id", s->task, "inputs",
	                              "input_data2", s->in2, "outputs", "output_result2", o2)));
	for (int i = 0; i < 2; i++) {
		const struct plat_caller *who = i ? &s->bob : &s->alice;

		out = tp_call(s->f->p, "task.get", who, 0, json_pack("{s:s}", "id", s->task));
		json_decref(tp_call(
		    s->f->p, "task.approve", who, 0,
		    json_pack("{s:s,s:s}", "id", s->task, "digest", tp_sget(out, "digest"))));
		json_decref(out);
	}
	json_decref(
	    tp_call(s->f->p, "task.invoke", &s->alice, 0, json_pack("{s:s}", "id", s->task)));
	if (!s->remote)
		assert_int_equal(plat_worker_run_one(s->f->p), 0);
}

/* The output file at path: its digest matches want, it decrypts under key to plain only. */
static void check_output(const char *path, const uint8_t *key, const uint8_t *other,
                         const char *plain, const char *want_digest)
{
	uint8_t *ct = NULL, *pt = NULL, md[32];
	char hex[65];
	size_t n = 0, m = 0;

	assert_int_equal(cu_file_read(path, 1 << 20, &ct, &n), 0);
	assert_int_equal(cr_sha256(ct, n, md), 0);
	assert_int_equal(cu_hex_encode(md, 32, hex, sizeof(hex)), 0);
	assert_string_equal(hex, want_digest);
	assert_int_not_equal(
	    ef_decrypt_buf(EF_FORMAT_CUSTOS, other, 32, NULL, ct, n, 1 << 20, &pt, &m), 0);
	assert_int_equal(ef_decrypt_buf(EF_FORMAT_CUSTOS, key, 32, NULL, ct, n, 1 << 20, &pt, &m),
	                 0);
	assert_int_equal(m, strlen(plain));
	assert_memory_equal(pt, plain, m);
	free(ct);
	cu_free_secret(pt, m);
}

/*
 * A task run for real: two owners' encrypted inputs fetched from data:
 * URLs, checked and decrypted; ordered-set-intersect in the sandbox; each
 * output encrypted under its owner's key and written to a file; the
 * digests recorded on the task and the files. Then an input swapped on the
 * host: the task fails naming the digest, and nothing is written.
 */
/* Users fo, alice, bob; the psi function; alice's and bob's inputs; outputs into f's dir. */
static void psi_setup(struct fx *f, struct psi *s, char *path1, char *path2)
{
	struct plat_caller admin;
	char url[1024], dig[65];

	memset(s, 0, sizeof(*s));
	s->f = f;
	st_tmp_make(&f->tmp);
	snprintf(path1, 128, "%s/out1.enc", f->tmp.dir);
	snprintf(path2, 128, "%s/out2.enc", f->tmp.dir);
	snprintf(s->u1, sizeof(s->u1), "file://%s", path1);
	snprintf(s->u2, sizeof(s->u2), "file://%s", path2);
	fx_open(f, "admin-password-1", NULL);
	admin = tp_login(f->p, "admin", "admin-password-1");
	for (int i = 0; i < 3; i++) {
		static const char *const u[] = {"fo", "alice", "bob"};
		json_decref(tp_call(f->p, "user.register", &admin, 0,
		                    json_pack("{s:s,s:s,s:s}", "user", u[i], "role",
		                              i ? "data-owner" : "function-owner", "password",
		                              "password-of-user")));
	}
	s->fo = tp_login(f->p, "fo", "password-of-user");
	s->alice = tp_login(f->p, "alice", "password-of-user");
	s->bob = tp_login(f->p, "bob", "password-of-user");
	tp_id_of(
	    tp_call(f->p, "function.register", &s->fo, 0,
	            json_pack("{s:s,s:s,s:s,s:[{s:s},{s:s}],s:[{s:s},{s:s}],s:b}", "name", "psi",
	                      "executor", "builtin", "builtin", "ordered-set-intersect", "inputs",
	                      "name", "input_data1", "name", "input_data2", "outputs", "name",
	                      "output_result1", "name", "output_result2", "public", 1)),
	    s->fn);
	make_input("apple\nbanana\ncherry\n", (const uint8_t *)"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	           url, sizeof(url), dig);
	tp_id_of(tp_call(f->p, "file.register_input", &s->alice, 0,
	                 json_pack("{s:s,s:{s:s,s:s},s:s}", "url", url, "crypto", "schema",
	                           "custos", "key", key_a64, "digest", dig)),
	         s->in1);
	make_input("banana\ncherry\ndate\n", (const uint8_t *)"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
	           url, sizeof(url), dig);
	tp_id_of(tp_call(f->p, "file.register_input", &s->bob, 0,
	                 json_pack("{s:s,s:{s:s,s:s},s:s}", "url", url, "crypto", "schema",
	                           "custos", "key", key_b64, "digest", dig)),
	         s->in2);
}

static void test_real_execution(void **state)
{
	struct fx f = {0};
	struct psi s;
	char url[1024], dig[65], path1[128], path2[128];
	json_t *out, *rec = NULL;

	(void)state;
	psi_setup(&f, &s, path1, path2);
	psi_task(&s);
	out = tp_call(f.p, "task.get", &s.bob, 0, json_pack("{s:s}", "id", s.task));
	if (strcmp(tp_sget(out, "status"), "finished"))
		fail_msg("the task is %s: %s", tp_sget(out, "status"),
		         json_string_value(json_object_get(out, "error")));
	assert_string_equal(tp_sget(out, "result"), "2 common items");
	/* Each output decrypts under its owner's key only; its digest is on the task. */
	check_output(path1, (const uint8_t *)"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	             (const uint8_t *)"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", "011",
	             tp_sget(json_object_get(out, "output_digests"), "output_result1"));
	check_output(path2, (const uint8_t *)"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
	             (const uint8_t *)"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "110",
	             tp_sget(json_object_get(out, "output_digests"), "output_result2"));
	json_decref(out);

	/* Alice's input swapped on the host (same plaintext, other bytes): refused. */
	make_input("apple\nbanana\ncherry\n", (const uint8_t *)"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	           url, sizeof(url), dig);
	assert_int_equal(plat_get(f.p, PLAT_T_FILES, s.in1, &rec, NULL), 0);
	assert_int_equal(cu_json_set_str(rec, "url", url), 0);
	assert_int_equal(plat_put(f.p, PLAT_T_FILES, s.in1, rec), 0);
	cu_json_free_secret(rec);
	unlink(path1);
	unlink(path2);
	psi_task(&s);
	out = tp_call(f.p, "task.get", &s.alice, 0, json_pack("{s:s}", "id", s.task));
	assert_string_equal(tp_sget(out, "status"), "failed");
	assert_non_null(strstr(tp_sget(out, "error"), "not the one registered"));
	json_decref(out);
	assert_int_equal(access(path1, F_OK), -1); /* nothing was written */
	assert_int_equal(access(path2, F_OK), -1);
	fx_close(&f);
	st_tmp_remove(&f.tmp);
}

/* The status and error of task id, as alice sees it (the caller frees *out). */
static const char *task_status(struct psi *s, json_t **out)
{
	*out = tp_call(s->f->p, "task.get", &s->alice, 0, json_pack("{s:s}", "id", s->task));
	return tp_sget(*out, "status");
}

/* Remote workers: take, run elsewhere, report; checks of who may end what; lost workers. */
static void test_remote_worker(void **state)
{
	struct fx f = {0};
	struct psi s;
	char path1[128], path2[128], tid[PLAT_ID_MAX + 1], why[WK_REASON_MAX];
	json_t *job = NULL, *reply = NULL, *none = NULL, *out, *bad;

	(void)state;
	psi_setup(&f, &s, path1, path2);
	s.remote = 1;
	psi_task(&s);
	assert_int_equal(plat_remote_take(f.p, "", tid, &job), CU_EINVAL);
	assert_int_equal(plat_remote_take(f.p, "w1", tid, &job), 0);
	assert_string_equal(tid, s.task);
	/* The job carries what the worker needs: the inputs' keys and digests. */
	assert_non_null(
	    json_object_get(json_array_get(json_object_get(job, "inputs"), 0), "crypto"));
	assert_int_equal(plat_remote_take(f.p, "w2", tid, &none), CU_ENOTFOUND);
	assert_null(none);
	assert_int_equal(plat_remote_check(f.p, "w1", s.task), 0);
	assert_int_equal(plat_remote_check(f.p, "w2", s.task), CU_ESTATE);
	assert_string_equal(task_status(&s, &out), "running");
	json_decref(out);
	/* The worker's side: the job runs anywhere (here), with the keys it carries. */
	assert_int_equal(wk_job_run(job, NULL, &reply, why, sizeof(why)), 0);
	/* A reply that leaves an output out, or names one twice, is refused. */
	bad = json_deep_copy(reply);
	json_array_remove(json_object_get(bad, "outputs"), 1);
	assert_int_equal(plat_remote_done(f.p, "w2", s.task, reply, NULL), CU_ESTATE);
	assert_int_equal(plat_remote_done(f.p, "w1", s.task, reply, NULL), 0);
	assert_string_equal(task_status(&s, &out), "finished");
	assert_string_equal(tp_sget(out, "result"), "2 common items");
	check_output(path1, (const uint8_t *)"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	             (const uint8_t *)"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", "011",
	             tp_sget(json_object_get(out, "output_digests"), "output_result1"));
	json_decref(out);
	/* Done twice: the task is not running on w1 any more. */
	assert_int_equal(plat_remote_done(f.p, "w1", s.task, reply, NULL), CU_ESTATE);

	/* A malformed reply fails the task, and says so. */
	psi_task(&s);
	assert_int_equal(plat_remote_take(f.p, "w1", tid, &none), 0);
	cu_json_free_secret(none);
	assert_int_equal(plat_remote_done(f.p, "w1", s.task, bad, NULL), 0);
	assert_string_equal(task_status(&s, &out), "failed");
	assert_non_null(strstr(tp_sget(out, "error"), "reply is malformed"));
	json_decref(out);
	json_decref(bad);

	/* Lost after it started: an idempotent function runs again once, then fails. */
	psi_task(&s);
	assert_int_equal(plat_remote_take(f.p, "w1", tid, &none), 0);
	cu_json_free_secret(none);
	assert_int_equal(plat_remote_lost(f.p, "w2", s.task, 1), 0); /* not w2's: no change */
	assert_string_equal(task_status(&s, &out), "running");
	json_decref(out);
	assert_int_equal(plat_remote_lost(f.p, "w1", s.task, 1), 0);
	assert_string_equal(task_status(&s, &out), "staged");
	json_decref(out);
	assert_int_equal(plat_remote_take(f.p, "w2", tid, &none), 0);
	assert_string_equal(tid, s.task);
	cu_json_free_secret(none);
	assert_int_equal(plat_remote_lost(f.p, "w2", s.task, 1), 0);
	assert_string_equal(task_status(&s, &out), "failed");
	assert_string_equal(tp_sget(out, "error"), "the worker running it was lost");
	json_decref(out);

	/* Lost before it acknowledged the task: queued again, whatever the function. */
	psi_task(&s);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(plat_remote_take(f.p, "w1", tid, &none), 0);
		cu_json_free_secret(none);
		assert_int_equal(plat_remote_lost(f.p, "w1", s.task, 0), 0);
	}
	assert_int_equal(plat_remote_take(f.p, "w3", tid, &none), 0);
	cu_json_free_secret(none);
	/* The worker reports a failure of its own. */
	assert_int_equal(plat_remote_done(f.p, "w3", s.task, NULL, "input x: connection refused"),
	                 0);
	assert_string_equal(task_status(&s, &out), "failed");
	assert_string_equal(tp_sget(out, "error"), "input x: connection refused");
	json_decref(out);

	/* Canceled while a worker runs it: the worker learns it, its result is dropped. */
	psi_task(&s);
	assert_int_equal(plat_remote_take(f.p, "w1", tid, &none), 0);
	cu_json_free_secret(none);
	json_decref(tp_call(f.p, "task.cancel", &s.alice, 0, json_pack("{s:s}", "id", s.task)));
	assert_int_equal(plat_remote_check(f.p, "w1", s.task), CU_ESTATE);
	assert_int_equal(plat_remote_done(f.p, "w1", s.task, reply, NULL), CU_ESTATE);
	assert_string_equal(task_status(&s, &out), "canceled");
	json_decref(out);

	cu_json_free_secret(job);
	cu_json_free_secret(reply);
	fx_close(&f);
	st_tmp_remove(&f.tmp);
}

static void *worker_thread(void *arg)
{
	struct fx *f = arg;
	static int rc;

	rc = plat_worker_run_one(f->p);
	return &rc;
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * A running task is stopped by task.cancel within a second: sql with an
 * endless query runs in the sandbox; the worker returns, the task stays
 * canceled, its waiters are told.
 */
static void running_task(int stop)
{
	struct fx f = {0};
	struct plat_caller admin, fo, ann;
	char fn[PLAT_ID_MAX + 1], task[PLAT_ID_MAX + 1], out_id[PLAT_ID_MAX + 1], status[32];
	char url[160];
	json_t *out;
	pthread_t th;
	void *ret;
	int terminal = 0;
	int64_t t0;

	st_tmp_make(&f.tmp);
	fx_open(&f, "admin-password-1", NULL);
	admin = tp_login(f.p, "admin", "admin-password-1");
	json_decref(tp_call(f.p, "user.register", &admin, 0,
	                    json_pack("{s:s,s:s,s:s}", "user", "fo", "role", "function-owner",
	                              "password", "password-of-user")));
	json_decref(tp_call(f.p, "user.register", &admin, 0,
	                    json_pack("{s:s,s:s,s:s}", "user", "ann", "role", "data-owner",
	                              "password", "password-of-user")));
	fo = tp_login(f.p, "fo", "password-of-user");
	ann = tp_login(f.p, "ann", "password-of-user");
	tp_id_of(tp_call(f.p, "function.register", &fo, 0,
	                 json_pack("{s:s,s:s,s:s,s:[{s:s},{s:s,s:s}],s:[{s:s}],s:b}", "name",
	                           "forever", "executor", "builtin", "builtin", "sql", "arguments",
	                           "name", "query", "name", "max_steps", "default", "100000000000",
	                           "outputs", "name", "output", "public", 1)),
	         fn);
	/* An output the task never gets to write. */
	snprintf(url, sizeof(url), "file://%s/never.enc", f.tmp.dir);
	tp_id_of(tp_call(f.p, "file.register_output", &ann, 0,
	                 json_pack("{s:s,s:{s:s,s:s}}", "url", url, "crypto", "schema", "custos",
	                           "key", key_a64)),
	         out_id);
	tp_id_of(
	    tp_call(f.p, "task.create", &ann, 0,
	            json_pack("{s:s,s:{s:s},s:{s:[s]}}", "function", fn, "arguments", "query",
	                      "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) "
	                      "SELECT count(*) FROM n",
	                      "outputs", "output", "ann")),
	    task);
	json_decref(tp_call(f.p, "task.assign", &ann, 0,
	                    json_pack("{s:s,s:{s:s}}", "id", task, "outputs", "output", out_id)));
	out = tp_call(f.p, "task.get", &ann, 0, json_pack("{s:s}", "id", task));
	json_decref(tp_call(f.p, "task.approve", &ann, 0,
	                    json_pack("{s:s,s:s}", "id", task, "digest", tp_sget(out, "digest"))));
	json_decref(out);
	json_decref(tp_call(f.p, "task.invoke", &ann, 0, json_pack("{s:s}", "id", task)));
	assert_int_equal(pthread_create(&th, NULL, worker_thread, &f), 0);
	for (int i = 0; i < 500; i++) {
		assert_int_equal(plat_task_status(f.p, &ann, task, status, &terminal), 0);
		if (!strcmp(status, "running"))
			break;
		usleep(10000);
	}
	assert_string_equal(status, "running");
	usleep(200000);
	f.done = 0;
	t0 = now_ms();
	if (stop) {
		plat_worker_stop(f.p);
	} else {
		out = tp_call(f.p, "task.cancel", &ann, 0, json_pack("{s:s}", "id", task));
		assert_string_equal(tp_sget(out, "status"), "canceled");
		json_decref(out);
	}
	assert_int_equal(pthread_join(th, &ret), 0);
	if (now_ms() - t0 > 1000)
		fail_msg("the running task took %lld ms to stop", (long long)(now_ms() - t0));
	assert_int_equal(*(int *)ret, 0);
	assert_int_equal(plat_task_status(f.p, &ann, task, status, &terminal), 0);
	if (stop) {
		/* Left running for the next start, which queues it again. */
		assert_string_equal(status, "running");
		assert_int_equal(f.done, 0);
		assert_int_equal(plat_worker_run_one(f.p), CU_ENOTFOUND);
		fx_close(&f);
		fx_open(&f, NULL, NULL);
		assert_int_equal(plat_task_status(f.p, &ann, task, status, &terminal), 0);
		assert_string_equal(status, "staged");
	} else {
		assert_string_equal(status, "canceled");
		assert_true(terminal);
		assert_int_equal(f.done, 1); /* told once, by the cancel */
	}
	fx_close(&f);
	st_tmp_remove(&f.tmp);
}

static void test_cancel_running(void **state)
{
	(void)state;
	running_task(0);
}

/* A shutdown stops the running task within a second and leaves it to the next start. */
static void test_stop_running(void **state)
{
	(void)state;
	running_task(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_admin),     cmocka_unit_test(test_errors_map),
	    cmocka_unit_test(test_op_table),       cmocka_unit_test(test_flow_restart_audit),
	    cmocka_unit_test(test_token_cache),    cmocka_unit_test(test_real_execution),
	    cmocka_unit_test(test_cancel_running), cmocka_unit_test(test_stop_running),
	    cmocka_unit_test(test_remote_worker),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

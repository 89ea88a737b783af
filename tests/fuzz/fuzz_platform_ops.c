/*
 * fuzz_platform_ops.c - libFuzzer target: sequences of control-plane
 * operations with arbitrary JSON requests, by callers of every role, on a
 * platform that already holds users, a function, files and a task.
 *
 * Input: up to MAX_STEPS steps, each
 *   u8 operation (below 0xF0: an index into the API's operations, modulo
 *   their number; 0xF0-0xF7: a remote worker's heartbeat; 0xF8-0xFF: its
 *   reply, the JSON below, to the task it runs)
 *   | u8 caller (modulo NCALLERS) | u16le length | that many bytes of JSON
 * In the JSON, the placeholders $FN, $FA, $FB, $OUT, $TASK, $RUN become the
 * ids of the prepared function, alice's and bob's inputs, the fusion
 * output, a created task and an approved, invoked one, so that inputs reach
 * past "not found" and stay reproducible. Each input starts with the
 * invoked task taken by the remote worker "fz" (plat_remote_take), so that
 * its reply goes through plat_job_complete's checks.
 *
 * Every input starts from the same state: a store prepared once, copied
 * fresh for each input, so that a crash replays from its input alone. What
 * is checked besides memory safety: a call returns 0 or a CU_E* code, an
 * error always has a message, a success always has a response object, no
 * response holds a key or a password hash, and the audit chain still
 * verifies after the sequence.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/json.h"
#include "platform/audit.h"
#include "platform/platform.h"
#include "store/store.h"

#define MAX_STEPS 8
#define NCALLERS  6

static const uint8_t key[ST_KEY_LEN] = {3};

static char template_path[64], work_path[96];
static char id_fn[PLAT_ID_MAX + 1], id_fa[PLAT_ID_MAX + 1], id_fb[PLAT_ID_MAX + 1];
static char id_out[PLAT_ID_MAX + 1], id_task[PLAT_ID_MAX + 1], id_run[PLAT_ID_MAX + 1];
static struct plat_caller callers[NCALLERS];

static int64_t fixed_now(void)
{
	return 1800000000;
}

static json_t *must(struct platform *p, const char *op, const struct plat_caller *who, json_t *in)
{
	struct plat_error err;
	json_t *out = NULL;

	if (!in || plat_call(p, plat_op_find(op), who, in, &out, &err)) {
		fprintf(stderr, "fuzz_platform_ops: setting up, %s: %s\n", op, err.message);
		abort();
	}
	json_decref(in);
	return out;
}

static void take_id(json_t *out, char *id)
{
	snprintf(id, PLAT_ID_MAX + 1, "%s", json_string_value(json_object_get(out, "id")));
	json_decref(out);
}

static struct plat_caller caller(const char *user, enum plat_role role, const char *org)
{
	struct plat_caller c;

	memset(&c, 0, sizeof(c));
	snprintf(c.user, sizeof(c.user), "%s", user);
	c.role = role;
	snprintf(c.org, sizeof(c.org), "%s", org);
	return c;
}

/* The state every input starts from, made once per process. */
static void prepare(void)
{
	static const char *const users[][3] = {{"fo", "function-owner", ""},
	                                       {"alice", "data-owner", "acme"},
	                                       {"bob", "data-owner", "beta"},
	                                       {"mgr", "data-owner-manager", "acme"},
	                                       {"eve", "data-owner", "acme"}};
	struct plat_options o = {.admin_password = "admin-password-1", .now = fixed_now};
	struct st_store *st;
	struct platform *p;
	char gen[128], dir[] = "/tmp/custos-fuzz-plat-XXXXXX";

	if (!mkdtemp(dir))
		abort();
	snprintf(template_path, sizeof(template_path), "%s/template.db", dir);
	snprintf(work_path, sizeof(work_path), "%s/work.db", dir);
	if (st_open(template_path, key, &st) || plat_open(st, &o, &p, gen, sizeof(gen)))
		abort();
	callers[0] = caller("admin", PLAT_ROLE_ADMIN, "");
	for (size_t i = 0; i < 5; i++) {
		json_decref(must(p, "user.register", &callers[0],
		                 json_pack("{s:s,s:s,s:s*,s:s}", "user", users[i][0], "role",
		                           users[i][1], "org", *users[i][2] ? users[i][2] : NULL,
		                           "password", "password-of-user")));
		callers[i + 1] = caller(users[i][0], plat_role_from_name(users[i][1]), users[i][2]);
	}
	take_id(must(p, "function.register", &callers[1],
	             json_pack("{s:s,s:s,s:s,s:[{s:s}],s:[{s:s},{s:s}],s:[{s:s}],s:[s,s],s:i}",
	                       "name", "echo", "executor", "builtin", "builtin", "echo",
	                       "arguments", "name", "message", "inputs", "name", "a", "name", "b",
	                       "outputs", "name", "out", "allow", "alice", "bob", "quota", 3)),
	        id_fn);
	take_id(must(p, "file.register_input", &callers[2],
	             json_pack("{s:s,s:{s:s,s:s},s:s}", "url", "file:///a", "crypto", "schema",
	                       "custos", "key",
	                       "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=", "digest",
	                       "1111111111111111111111111111111111111111111111111111111111111111")),
	        id_fa);
	take_id(must(p, "file.register_input", &callers[3],
	             json_pack("{s:s,s:{s:s,s:s,s:s},s:s}", "url", "https://h/b", "crypto",
	                       "schema", "aes-gcm-128", "key", "QkJCQkJCQkJCQkJCQkJCQg==", "iv",
	                       "000102030405060708090a0b", "digest",
	                       "2222222222222222222222222222222222222222222222222222222222222222")),
	        id_fb);
	take_id(must(p, "file.register_fusion", &callers[2],
	             json_pack("{s:[s,s]}", "owners", "alice", "bob")),
	        id_out);
	take_id(must(p, "task.create", &callers[2],
	             json_pack("{s:s,s:{s:s},s:{s:[s],s:[s]},s:{s:[s,s]}}", "function", id_fn,
	                       "arguments", "message", "hi", "inputs", "a", "alice", "b", "bob",
	                       "outputs", "out", "alice", "bob")),
	        id_task);
	/* a second task, approved by both data owners and invoked: staged */
	take_id(must(p, "task.create", &callers[2],
	             json_pack("{s:s,s:{s:s},s:{s:[s],s:[s]},s:{s:[s,s]}}", "function", id_fn,
	                       "arguments", "message", "hi", "inputs", "a", "alice", "b", "bob",
	                       "outputs", "out", "alice", "bob")),
	        id_run);
	json_decref(must(p, "task.assign", &callers[2],
	                 json_pack("{s:s,s:{s:s},s:{s:s}}", "id", id_run, "inputs", "a", id_fa,
	                           "outputs", "out", id_out)));
	json_decref(must(p, "task.assign", &callers[3],
	                 json_pack("{s:s,s:{s:s}}", "id", id_run, "inputs", "b", id_fb)));
	json_t *t = must(p, "task.get", &callers[2], json_pack("{s:s}", "id", id_run));
	for (size_t i = 2; i <= 3; i++)
		json_decref(must(p, "task.approve", &callers[i],
		                 json_pack("{s:s,s:s}", "id", id_run, "digest",
		                           json_string_value(json_object_get(t, "digest")))));
	json_decref(t);
	json_decref(must(p, "task.invoke", &callers[2], json_pack("{s:s}", "id", id_run)));
	plat_close(p);
	st_close(st);
}

/* Copy the template to the work file (the template was closed cleanly: one file). */
static void fresh_copy(void)
{
	static const char *const side[] = {"", "-wal", "-shm"};
	char buf[65536], path[128];
	FILE *in, *out;
	size_t n;

	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s%s", work_path, side[i]);
		unlink(path);
	}
	if (!(in = fopen(template_path, "rb")) || !(out = fopen(work_path, "wb")))
		abort();
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			abort();
	fclose(in);
	if (fclose(out))
		abort();
}

/* The JSON text with the placeholders replaced; NULL when it grows too big. */
static char *expand(const uint8_t *p, size_t n)
{
	const struct {
		const char *name, *value;
	} ph[] = {{"$TASK", id_task}, {"$OUT", id_out}, {"$FN", id_fn},
	          {"$FA", id_fa},     {"$FB", id_fb},   {"$RUN", id_run}};
	size_t cap = n * 16 + 1, len = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t j, k;

		for (j = 0; j < sizeof(ph) / sizeof(ph[0]); j++) {
			k = strlen(ph[j].name);
			if (n - i >= k && !memcmp(p + i, ph[j].name, k))
				break;
		}
		if (j < sizeof(ph) / sizeof(ph[0])) {
			memcpy(s + len, ph[j].value, strlen(ph[j].value));
			len += strlen(ph[j].value);
			i += strlen(ph[j].name);
		} else {
			s[len++] = (char)p[i++];
		}
	}
	s[len] = '\0';
	return s;
}

/* No response may carry a file key, an iv or a password hash. */
static void check_no_secret(const json_t *v)
{
	const char *k;
	json_t *e;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)(uintptr_t)v, k, e)
		{
			if (!strcmp(k, "key") || !strcmp(k, "iv") || !strcmp(k, "gen"))
				abort();
			if (json_is_string(e) && !strncmp(json_string_value(e), "$argon2", 7))
				abort();
			check_no_secret(e);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) check_no_secret(e);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plat_options o = {.now = fixed_now};
	struct st_store *st;
	struct platform *p;
	char gen[128];
	uint64_t count = 0, bad = 0;
	size_t off = 0;

	if (!template_path[0])
		prepare();
	fresh_copy();
	if (st_open(work_path, key, &st) || plat_open(st, &o, &p, gen, sizeof(gen)))
		abort();
	char taken[PLAT_ID_MAX + 1];
	json_t *job = NULL;
	if (plat_remote_take(p, "fz", taken, &job) || strcmp(taken, id_run))
		abort();
	cu_json_free_secret(job);
	for (int step = 0; step < MAX_STEPS && size - off >= 4; step++) {
		size_t nops;
		const struct plat_op *ops = plat_ops(&nops);
		const struct plat_op *op = &ops[data[off] % nops];
		const struct plat_caller *who = &callers[data[off + 1] % NCALLERS];
		size_t n = (size_t)data[off + 2] | (size_t)data[off + 3] << 8;
		uint8_t kind = data[off];
		struct plat_error err;
		json_t *in = NULL, *out = NULL;
		char *text;
		int rc;

		off += 4;
		if (n > size - off)
			n = size - off;
		text = expand(data + off, n);
		off += n;
		if (!text)
			break;
		rc = cu_json_parse(text, strlen(text), 1 << 16, &in);
		free(text);
		if (rc || !json_is_object(in)) {
			json_decref(in);
			continue;
		}
		if (kind >= 0xF0) {
			/* the remote worker: a heartbeat, or its reply */
			rc = kind >= 0xF8 ? plat_remote_done(p, "fz", id_run, in, NULL)
			                  : plat_remote_check(p, "fz", id_run);
			if (rc > 0 || rc <= CU_ELAST)
				abort();
			/* a reply taken ends the task: finished, or failed for its flaw */
			char status[32];
			int ended = 0;
			if (kind >= 0xF8 && !rc &&
			    (plat_task_status(p, &callers[2], id_run, status, &ended) || !ended))
				abort();
			json_decref(in);
			continue;
		}
		rc = plat_call(p, op, op->public_op ? NULL : who, in, &out, &err);
		if (rc > 0 || rc <= CU_ELAST || (rc && !err.message[0]) ||
		    (!rc && !json_is_object(out)))
			abort();
		if (!rc && strcmp(op->name, "user.reset") && strcmp(op->name, "user.login"))
			check_no_secret(out);
		json_decref(in);
		json_decref(out);
		while (plat_worker_run_one(p) == 0)
			;
	}
	if (audit_verify(st, &count, &bad, NULL, 0))
		abort();
	plat_close(p);
	st_close(st);
	return 0;
}

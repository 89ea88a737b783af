/*
 * test_platform_fixture.h - a struct platform over a scratch store, made
 * without plat_open() so that each part of the control plane can be tested
 * on its own; a clock the test moves; callers of each role; calling an
 * operation and checking its result in one line.
 *
 * Include after <cmocka.h>.
 */
#ifndef CUSTOS_TEST_PLATFORM_FIXTURE_H
#define CUSTOS_TEST_PLATFORM_FIXTURE_H

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "functions/functions.h"
#include "platform/platform_int.h"
#include "store/store.h"
#include "test_store_fixture.h"

static int64_t plat_fx_clock = 1800000000; /* 2027-01-15 */

static inline int64_t plat_fx_now(void)
{
	return plat_fx_clock;
}

/*
 * The task runner of these tests: the builtin on the task's arguments, in
 * this process, without files or sandbox (test_platform_ops and the
 * integration tests run tasks for real).
 */
static inline int plat_fx_execute(struct platform *p, const json_t *task, const json_t *fn,
                                  char **result, json_t **written, struct plat_error *err)
{
	const char *name = json_string_value(json_object_get(fn, "builtin"));
	const char *ex = json_string_value(json_object_get(fn, "executor"));
	const struct fn_builtin *b = fn_find(name ? name : "");
	struct fn_arg args[PLAT_LIST_MAX];
	struct fn_ctx *c;
	const char *k;
	json_t *v;
	int rc;

	(void)p;
	*result = NULL;
	*written = NULL;
	if (ex && !strcmp(ex, "wasm"))
		return plat_fail(
		    err, CU_EUNSUPPORTED,
		    "the in-process test runner runs no wasm (test_platform_wasm does)");
	if (!ex || strcmp(ex, "builtin"))
		return plat_fail(err, CU_EUNSUPPORTED, "unknown executor \"%.32s\"", ex ? ex : "");
	if (!b) /* the messages of plat_execute */
		return plat_fail(err, CU_EUNSUPPORTED, "unknown builtin \"%.64s\"",
		                 name ? name : "");
	if (!(c = calloc(1, sizeof(*c))))
		return CU_ENOMEM;
	c->args = args;
	json_object_foreach(json_object_get(task, "arguments"), k, v)
	{
		if (c->nargs < PLAT_LIST_MAX)
			args[c->nargs++] = (struct fn_arg){k, json_string_value(v)};
	}
	if ((rc = b->run(c)))
		plat_fail(err, rc, "%s", c->reason);
	else if (!(*result = strdup(c->result)) || !(*written = json_array()))
		rc = CU_ENOMEM;
	free(c);
	return rc;
}

struct plat_fx {
	struct st_tmp tmp;
	struct st_store *st;
	struct platform p;
};

static inline void plat_fx_open(struct plat_fx *f)
{
	static const uint8_t key[ST_KEY_LEN] = {7};
	static const uint8_t tok[32] = {9};

	memset(f, 0, sizeof(*f));
	st_tmp_make(&f->tmp);
	assert_int_equal(st_open(f->tmp.path, key, &f->st), 0);
	f->p.st = f->st;
	f->p.now = plat_fx_now;
	f->p.token_lifetime = 3600;
	f->p.execute = plat_fx_execute;
	f->p.tok_key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, tok, sizeof(tok));
	assert_non_null(f->p.tok_key);
}

/* Close and open the store again, as a restart would. */
static inline void plat_fx_reopen(struct plat_fx *f)
{
	static const uint8_t key[ST_KEY_LEN] = {7};

	st_close(f->st);
	assert_int_equal(st_open(f->tmp.path, key, &f->st), 0);
	f->p.st = f->st;
}

static inline void plat_fx_close(struct plat_fx *f)
{
	EVP_PKEY_free(f->p.tok_key);
	st_close(f->st);
	st_tmp_remove(&f->tmp);
}

static inline struct plat_caller plat_fx_caller(const char *user, enum plat_role role,
                                                const char *org)
{
	struct plat_caller c;

	memset(&c, 0, sizeof(c));
	snprintf(c.user, sizeof(c.user), "%s", user);
	c.role = role;
	snprintf(c.org, sizeof(c.org), "%s", org ? org : "");
	return c;
}

/*
 * A user record put straight into the store (the format of users.c, with
 * a password hash nothing matches): for tests of the parts that only need
 * users to exist. org may be NULL.
 */
static inline void plat_fx_put_user(struct plat_fx *f, const char *id, const char *role,
                                    const char *org)
{
	json_t *u = json_pack("{s:s, s:s, s:s?, s:s, s:i, s:i, s:i, s:s}", "id", id, "role", role,
	                      "org", org, "password", "$argon2id$x", "gen", 0, "created", 1,
	                      "updated", 1, "created_by", "admin");

	assert_non_null(u);
	assert_int_equal(plat_put(&f->p, PLAT_T_USERS, id, u), 0);
	json_decref(u);
}

/*
 * Run op with the request given as jansson pack format and arguments
 * (json_pack); assert it returns want; hand out the response (or NULL when
 * out is NULL: it is freed).
 */
#define PLAT_FX_CALL(f, op, who, want, out, ...)                                                   \
	plat_fx_call_((f), (op), #op, (who), (want), (out), json_pack(__VA_ARGS__), __FILE__,      \
	              __LINE__)

static inline void plat_fx_call_(struct plat_fx *f, plat_op_fn op, const char *name,
                                 const struct plat_caller *who, int want, json_t **out, json_t *in,
                                 const char *file, int line)
{
	struct plat_error err;
	json_t *resp = NULL;
	int rc;

	memset(&err, 0, sizeof(err));
	if (!in)
		fail_msg("%s:%d: %s: bad json_pack format", file, line, name);
	rc = op(&f->p, who, in, &resp, &err);
	json_decref(in);
	if (rc != want)
		fail_msg("%s:%d: %s by %s: %s (%s), expected %s", file, line, name,
		         who ? who->user : "(nobody)", cu_errname(rc), err.message,
		         cu_errname(want));
	if (rc == 0 && !json_is_object(resp))
		fail_msg("%s:%d: %s: success without a response object", file, line, name);
	if (rc != 0 && !err.message[0])
		fail_msg("%s:%d: %s: %s without a message", file, line, name, cu_errname(rc));
	if (out)
		*out = resp;
	else
		json_decref(resp);
}

#endif

/*
 * Unit tests of the users of the control plane (src/platform/users.c): the
 * first admin, login, tokens and their revocation, the access matrix of
 * every role on every user operation, malformed requests, restarts, and a
 * password canary in the store file.
 *
 * Users the tests put straight into the store get a cheap Argon2id hash
 * (8 KiB, 1 pass) so that the matrix stays fast; every hash users.c makes
 * has the default cost, and login replaces a cheap one by such a hash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/mem.h"
#include "platform/password.h"
#include "platform/token.h"
#include "test_platform_fixture.h"

#define NEW_PW "new-password-123"

/* ---- helpers ---- */

/* The password put_user gives id: "<id>-password". */
static void pw_of(const char *id, char out[static 96])
{
	snprintf(out, 96, "%s-password", id);
}

/* Put a user record straight into the store, with a cheap hash of "<id>-password". */
static void put_user(struct plat_fx *f, const char *id, enum plat_role role, const char *org)
{
	const struct pw_params cheap = {8, 1, 1};
	char hash[PW_ENCODED_MAX], pw[96];
	json_t *rec;

	pw_of(id, pw);
	assert_int_equal(pw_hash_params(pw, strlen(pw), &cheap, hash, sizeof(hash)), 0);
	rec = json_pack("{s:s,s:s,s:s?,s:s,s:I,s:I,s:I,s:n}", "id", id, "role",
	                plat_role_name(role), "org", org, "password", hash, "gen", (json_int_t)5,
	                "created", (json_int_t)plat_fx_clock, "updated", (json_int_t)plat_fx_clock,
	                "created_by");
	assert_non_null(rec);
	assert_int_equal(plat_put(&f->p, PLAT_T_USERS, id, rec), 0);
	json_decref(rec);
}

static json_t *record(struct plat_fx *f, const char *id)
{
	json_t *j = NULL;

	assert_int_equal(plat_get(&f->p, PLAT_T_USERS, id, &j, NULL), 0);
	return j;
}

static int64_t rec_gen(struct plat_fx *f, const char *id)
{
	json_t *j = record(f, id);
	int64_t g = json_integer_value(json_object_get(j, "gen"));

	json_decref(j);
	return g;
}

/* A token for id as login would issue it now (without the cost of a login). */
static char *mint(struct plat_fx *f, const char *id)
{
	json_t *j = record(f, id);
	const char *org = json_string_value(json_object_get(j, "org"));
	struct tok_claims c;
	char *tok = NULL;

	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "%s", id);
	snprintf(c.role, sizeof(c.role), "%s", json_string_value(json_object_get(j, "role")));
	snprintf(c.org, sizeof(c.org), "%s", org ? org : "");
	c.gen = (uint64_t)json_integer_value(json_object_get(j, "gen"));
	c.iat = plat_fx_clock;
	c.exp = plat_fx_clock + f->p.token_lifetime;
	assert_int_equal(tok_issue(f->p.tok_key, &c, &tok), 0);
	json_decref(j);
	return tok;
}

/* Log in (asserting want); the token (malloc'd) on success. */
static char *login(struct plat_fx *f, const char *user, const char *pw, int want)
{
	json_t *r = NULL;
	char *tok = NULL;

	PLAT_FX_CALL(f, op_user_login, NULL, want, &r, "{s:s,s:s}", "user", user, "password", pw);
	if (want == 0) {
		tok = strdup(json_string_value(json_object_get(r, "token")));
		assert_non_null(tok);
	}
	json_decref(r);
	return tok;
}

static void auth(struct plat_fx *f, const char *tok, int want, const char *msg)
{
	struct plat_caller who;
	struct plat_error err;

	memset(&err, 0, sizeof(err));
	assert_int_equal(plat_users_authenticate(&f->p, tok, &who, &err), want);
	if (msg)
		assert_string_equal(err.message, msg);
	if (want)
		assert_string_equal(who.user, "");
}

/* ---- bootstrap ---- */

static void test_bootstrap_random(void **state)
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	struct plat_fx f;
	char gen[64], again[64];
	json_t *r = NULL;
	char *tok;

	(void)state;
	plat_fx_open(&f);
	assert_int_equal(plat_users_bootstrap(&f.p, "admin", NULL, gen, 10), CU_EINVAL);
	assert_int_equal(plat_user_exists(&f.p, "admin"), 0);
	assert_int_equal(plat_users_bootstrap(&f.p, "admin", NULL, gen, sizeof(gen)), 0);
	assert_int_equal(strlen(gen), PLAT_PASSWORD_GEN);
	assert_int_equal(strspn(gen, alphabet), PLAT_PASSWORD_GEN);
	assert_int_equal(plat_user_exists(&f.p, "admin"), 1);

	PLAT_FX_CALL(&f, op_user_login, NULL, 0, &r, "{s:s,s:s}", "user", "admin", "password", gen);
	assert_string_equal(json_string_value(json_object_get(r, "role")), "platform-admin");
	assert_true(json_is_null(json_object_get(r, "org")));
	assert_int_equal(json_integer_value(json_object_get(r, "expires")), plat_fx_clock + 3600);
	tok = strdup(json_string_value(json_object_get(r, "token")));
	json_decref(r);
	auth(&f, tok, 0, NULL);

	/* An admin exists: nothing happens, whatever the password or name. */
	memset(again, 'x', sizeof(again));
	assert_int_equal(
	    plat_users_bootstrap(&f.p, "admin", "another-password", again, sizeof(again)), 0);
	assert_int_equal(again[0], 0);
	assert_int_equal(plat_users_bootstrap(&f.p, "root", NULL, again, sizeof(again)), 0);
	assert_int_equal(again[0], 0);
	assert_int_equal(plat_user_exists(&f.p, "root"), 0);
	free(login(&f, "admin", "another-password", CU_EAUTH));
	auth(&f, tok, 0, NULL);
	free(tok);
	cu_wipe(gen, sizeof(gen));
	plat_fx_close(&f);
}

static void test_bootstrap_given(void **state)
{
	struct plat_fx f;
	char gen[64];

	(void)state;
	plat_fx_open(&f);
	assert_int_equal(plat_users_bootstrap(&f.p, "-bad", "root-password-1", gen, sizeof(gen)),
	                 CU_EINVAL);
	assert_int_equal(plat_users_bootstrap(&f.p, "root", "short", gen, sizeof(gen)), CU_EPOLICY);
	assert_int_equal(plat_user_exists(&f.p, "root"), 0);
	/* Users that are no admin do not count; one of the admin's name is in the way. */
	put_user(&f, "root", PLAT_ROLE_DATA_OWNER, NULL);
	assert_int_equal(plat_users_bootstrap(&f.p, "root", "root-password-1", gen, sizeof(gen)),
	                 CU_EEXISTS);
	assert_int_equal(plat_users_bootstrap(&f.p, "boss", "root-password-1", gen, sizeof(gen)),
	                 0);
	assert_int_equal(gen[0], 0);
	free(login(&f, "boss", "root-password-1", 0));
	plat_fx_close(&f);
}

/* ---- login ---- */

/* CPU seconds of a failed login of user (wrong password). */
static double cpu_login(struct plat_fx *f, const char *user)
{
	struct timespec a, b;

	assert_int_equal(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a), 0);
	free(login(f, user, "wrong-password", CU_EAUTH));
	assert_int_equal(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b), 0);
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

static void test_login(void **state)
{
	struct plat_fx f;
	struct plat_error e1, e2;
	json_t *in, *r = NULL, *rec;
	char big[PW_LEN_MAX + 2], *tok, *minted;
	double known, unknown;
	int64_t g;

	(void)state;
	plat_fx_open(&f);
	put_user(&f, "alice", PLAT_ROLE_DATA_OWNER, "A");
	g = rec_gen(&f, "alice");
	minted = mint(&f, "alice");

	PLAT_FX_CALL(&f, op_user_login, NULL, 0, &r, "{s:s,s:s}", "user", "alice", "password",
	             "alice-password");
	assert_string_equal(json_string_value(json_object_get(r, "user")), "alice");
	assert_string_equal(json_string_value(json_object_get(r, "role")), "data-owner");
	assert_string_equal(json_string_value(json_object_get(r, "org")), "A");
	assert_int_equal(json_object_size(r), 5);
	tok = strdup(json_string_value(json_object_get(r, "token")));
	json_decref(r);
	auth(&f, tok, 0, NULL);
	free(tok);

	/* The cheap hash was replaced by one of the current cost; tokens live on. */
	rec = record(&f, "alice");
	assert_int_equal(pw_needs_rehash(json_string_value(json_object_get(rec, "password")), NULL),
	                 0);
	json_decref(rec);
	assert_int_equal(rec_gen(&f, "alice"), g);
	auth(&f, minted, 0, NULL);
	free(minted);
	free(login(&f, "alice", "alice-password", 0));

	/* A wrong password and an unknown user: the same answer. */
	memset(&e1, 0, sizeof(e1));
	memset(&e2, 0, sizeof(e2));
	in = json_pack("{s:s,s:s}", "user", "alice", "password", "wrong-password");
	assert_int_equal(op_user_login(&f.p, NULL, in, &r, &e1), CU_EAUTH);
	assert_null(r);
	json_decref(in);
	in = json_pack("{s:s,s:s}", "user", "nobody", "password", "wrong-password");
	assert_int_equal(op_user_login(&f.p, NULL, in, &r, &e2), CU_EAUTH);
	assert_null(r);
	json_decref(in);
	assert_string_equal(e1.message, "invalid user or password");
	assert_string_equal(e1.message, e2.message);
	/* And the same work: one Argon2id run of the default cost either way (CPU time,
	   which other processes on the machine do not inflate). */
	known = cpu_login(&f, "alice");
	unknown = cpu_login(&f, "nobody");
	print_message("login CPU time: wrong password %.1f ms, unknown user %.1f ms\n", known * 1e3,
	              unknown * 1e3);
	assert_true(unknown > known / 3 && known > unknown / 3);

	/* Malformed requests. */
	memset(big, 'p', sizeof(big));
	big[PW_LEN_MAX + 1] = 0;
	PLAT_FX_CALL(&f, op_user_login, NULL, CU_EINVAL, NULL, "{s:s}", "user", "alice");
	PLAT_FX_CALL(&f, op_user_login, NULL, CU_EINVAL, NULL, "{s:s}", "password", "x");
	PLAT_FX_CALL(&f, op_user_login, NULL, CU_EINVAL, NULL, "{s:s,s:s,s:i}", "user", "alice",
	             "password", "alice-password", "extra", 1);
	PLAT_FX_CALL(&f, op_user_login, NULL, CU_EFORMAT, NULL, "{s:i,s:s}", "user", 7, "password",
	             "alice-password");
	PLAT_FX_CALL(&f, op_user_login, NULL, CU_EFORMAT, NULL, "{s:s,s:b}", "user", "alice",
	             "password", 1);
	PLAT_FX_CALL(&f, op_user_login, NULL, CU_EINVAL, NULL, "{s:s,s:s}", "user", "alice",
	             "password", "");
	PLAT_FX_CALL(&f, op_user_login, NULL, CU_ELIMIT, NULL, "{s:s,s:s}", "user", "alice",
	             "password", big);
	PLAT_FX_CALL(&f, op_user_login, NULL, CU_EINVAL, NULL, "{s:s,s:s}", "user", "al/ice",
	             "password", "alice-password");
	PLAT_FX_CALL(&f, op_user_login, NULL, CU_EFORMAT, NULL, "[]");
	plat_fx_close(&f);
}

/* ---- tokens ---- */

static void test_token(void **state)
{
	const struct plat_caller admin = plat_fx_caller("admin", PLAT_ROLE_ADMIN, NULL);
	const struct plat_caller alice = plat_fx_caller("alice", PLAT_ROLE_DATA_OWNER, "A");
	static const uint8_t other_key[32] = {1};
	struct plat_fx f;
	struct plat_caller who;
	struct plat_error err;
	struct tok_claims c;
	EVP_PKEY *k;
	char *tok, *t2, *bad;
	size_t n;

	(void)state;
	plat_fx_open(&f);
	put_user(&f, "admin", PLAT_ROLE_ADMIN, NULL);
	put_user(&f, "alice", PLAT_ROLE_DATA_OWNER, "A");

	/* A round trip: login, then the token names alice with her role and org. */
	tok = login(&f, "alice", "alice-password", 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(plat_users_authenticate(&f.p, tok, &who, &err), 0);
	assert_string_equal(who.user, "alice");
	assert_int_equal(who.role, PLAT_ROLE_DATA_OWNER);
	assert_string_equal(who.org, "A");

	/* Expiry: valid until exp, refused from then on. */
	plat_fx_clock += 3599;
	auth(&f, tok, 0, NULL);
	plat_fx_clock += 1;
	auth(&f, tok, CU_EAUTH, "the token has expired");
	plat_fx_clock -= 3600;

	/* Tampering: a flipped byte anywhere, truncation, garbage, another key. */
	n = strlen(tok);
	bad = strdup(tok);
	for (size_t i = 0; i < n; i += 7) {
		memcpy(bad, tok, n);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		auth(&f, bad, CU_EAUTH, NULL);
	}
	bad[0] = 0;
	auth(&f, bad, CU_EAUTH, "the token is not valid");
	memcpy(bad, tok, n);
	bad[n - 5] = 0;
	auth(&f, bad, CU_EAUTH, "the token is not valid");
	free(bad);
	auth(&f, "not.a.token", CU_EAUTH, "the token is not valid");
	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "alice");
	snprintf(c.role, sizeof(c.role), "data-owner");
	snprintf(c.org, sizeof(c.org), "A");
	c.gen = (uint64_t)rec_gen(&f, "alice");
	c.iat = plat_fx_clock;
	c.exp = plat_fx_clock + 60;
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, other_key, sizeof(other_key));
	assert_int_equal(tok_issue(k, &c, &bad), 0);
	EVP_PKEY_free(k);
	auth(&f, bad, CU_EAUTH, "the token is not valid");
	free(bad);
	/* Our key, but a role or org the user does not have. */
	snprintf(c.role, sizeof(c.role), "platform-admin");
	assert_int_equal(tok_issue(f.p.tok_key, &c, &bad), 0);
	auth(&f, bad, CU_EAUTH, "the token is no longer valid");
	free(bad);
	snprintf(c.role, sizeof(c.role), "data-owner");
	snprintf(c.org, sizeof(c.org), "B");
	assert_int_equal(tok_issue(f.p.tok_key, &c, &bad), 0);
	auth(&f, bad, CU_EAUTH, "the token is no longer valid");
	free(bad);
	auth(&f, tok, 0, NULL);

	/* A password change ends the tokens issued before it, not those after. */
	PLAT_FX_CALL(&f, op_user_password, &alice, 0, NULL, "{s:s,s:s,s:s}", "id", "alice", "old",
	             "alice-password", "new", NEW_PW);
	auth(&f, tok, CU_EAUTH, "the token is no longer valid");
	free(tok);
	free(login(&f, "alice", "alice-password", CU_EAUTH));
	tok = login(&f, "alice", NEW_PW, 0);
	auth(&f, tok, 0, NULL);

	/* So do a reset, an update and a delete. */
	PLAT_FX_CALL(&f, op_user_reset, &admin, 0, NULL, "{s:s}", "id", "alice");
	auth(&f, tok, CU_EAUTH, "the token is no longer valid");
	free(tok);
	tok = mint(&f, "alice");
	auth(&f, tok, 0, NULL);
	PLAT_FX_CALL(&f, op_user_update, &admin, 0, NULL, "{s:s}", "id", "alice");
	auth(&f, tok, CU_EAUTH, "the token is no longer valid");
	free(tok);
	tok = mint(&f, "alice");
	t2 = mint(&f, "admin");
	auth(&f, tok, 0, NULL);
	PLAT_FX_CALL(&f, op_user_delete, &admin, 0, NULL, "{s:s}", "id", "alice");
	auth(&f, tok, CU_EAUTH, "the token is no longer valid");
	/* A new user of the same id does not inherit the old one's tokens. */
	PLAT_FX_CALL(&f, op_user_register, &admin, 0, NULL, "{s:s,s:s,s:s,s:s}", "user", "alice",
	             "role", "data-owner", "org", "A", "password", NEW_PW);
	auth(&f, tok, CU_EAUTH, "the token is no longer valid");
	free(tok);
	/* Even when the old one's tokens were never revoked before its delete. */
	put_user(&f, "bob", PLAT_ROLE_FUNCTION_OWNER, NULL);
	tok = mint(&f, "bob");
	PLAT_FX_CALL(&f, op_user_delete, &admin, 0, NULL, "{s:s}", "id", "bob");
	PLAT_FX_CALL(&f, op_user_register, &admin, 0, NULL, "{s:s,s:s,s:s}", "user", "bob", "role",
	             "function-owner", "password", NEW_PW);
	auth(&f, tok, CU_EAUTH, "the token is no longer valid");
	free(tok);
	/* Others' tokens live on. */
	auth(&f, t2, 0, NULL);
	free(t2);

	memset(&err, 0, sizeof(err));
	assert_int_equal(plat_users_authenticate(&f.p, NULL, &who, &err), CU_EINVAL);
	plat_fx_close(&f);
}

/* ---- the access matrix ---- */

enum { ADM, MGA, MGB, FO, DOA, NACTORS };
enum { T_SELF, T_DOA2, T_DOB, T_FO2, T_ADMIN, NTARGETS };

static const struct {
	const char *id;
	enum plat_role role;
	const char *org;
} actors[NACTORS] = {
    [ADM] = {"admin", PLAT_ROLE_ADMIN, NULL},
    [MGA] = {"mgr-a", PLAT_ROLE_DATA_OWNER_MANAGER, "A"},
    [MGB] = {"mgr-b", PLAT_ROLE_DATA_OWNER_MANAGER, "B"},
    [FO] = {"fo", PLAT_ROLE_FUNCTION_OWNER, NULL},
    [DOA] = {"do-a", PLAT_ROLE_DATA_OWNER, "A"},
};

static const char *const target_ids[NTARGETS] = {NULL, "do-a2", "do-b", "fo2", "admin"};

static struct plat_caller caller(int a)
{
	return plat_fx_caller(actors[a].id, actors[a].role, actors[a].org);
}

/* The users of every matrix test: the actors and the targets. */
static void matrix_open(struct plat_fx *f)
{
	plat_fx_open(f);
	for (int a = 0; a < NACTORS; a++)
		put_user(f, actors[a].id, actors[a].role, actors[a].org);
	put_user(f, "do-a2", PLAT_ROLE_DATA_OWNER, "A");
	put_user(f, "do-b", PLAT_ROLE_DATA_OWNER, "B");
	put_user(f, "fo2", PLAT_ROLE_FUNCTION_OWNER, NULL);
}

#define NF   CU_ENOTFOUND
#define PERM CU_EPERM

static const struct mcase {
	int actor, target;
	int get, update, password, reset, del;
} matrix[] = {
    {ADM, T_SELF, 0, 0, 0, 0, CU_ESTATE},  {ADM, T_DOA2, 0, 0, PERM, 0, 0},
    {ADM, T_DOB, 0, 0, PERM, 0, 0},        {ADM, T_FO2, 0, 0, PERM, 0, 0},
    {ADM, T_ADMIN, 0, 0, 0, 0, CU_ESTATE}, {MGA, T_SELF, 0, PERM, 0, PERM, PERM},
    {MGA, T_DOA2, 0, 0, PERM, 0, 0},       {MGA, T_DOB, NF, NF, NF, NF, NF},
    {MGA, T_FO2, NF, NF, NF, NF, NF},      {MGA, T_ADMIN, NF, NF, NF, NF, NF},
    {MGB, T_SELF, 0, PERM, 0, PERM, PERM}, {MGB, T_DOA2, NF, NF, NF, NF, NF},
    {MGB, T_DOB, 0, 0, PERM, 0, 0},        {MGB, T_FO2, NF, NF, NF, NF, NF},
    {MGB, T_ADMIN, NF, NF, NF, NF, NF},    {FO, T_SELF, 0, PERM, 0, PERM, PERM},
    {FO, T_DOA2, NF, NF, NF, NF, NF},      {FO, T_DOB, NF, NF, NF, NF, NF},
    {FO, T_FO2, NF, NF, NF, NF, NF},       {FO, T_ADMIN, NF, NF, NF, NF, NF},
    {DOA, T_SELF, 0, PERM, 0, PERM, PERM}, {DOA, T_DOA2, NF, NF, NF, NF, NF},
    {DOA, T_DOB, NF, NF, NF, NF, NF},      {DOA, T_FO2, NF, NF, NF, NF, NF},
    {DOA, T_ADMIN, NF, NF, NF, NF, NF},
};

static void matrix_case(const struct mcase *m)
{
	const struct plat_caller who = caller(m->actor);
	const char *t = m->target == T_SELF ? actors[m->actor].id : target_ids[m->target];
	struct plat_fx f;
	char pw[96];
	json_t *r = NULL;

	print_message("%s on %s\n", who.user, t);
	matrix_open(&f);
	pw_of(t, pw);
	PLAT_FX_CALL(&f, op_user_get, &who, m->get, &r, "{s:s}", "id", t);
	if (m->get == 0)
		assert_string_equal(json_string_value(json_object_get(r, "id")), t);
	json_decref(r);
	PLAT_FX_CALL(&f, op_user_update, &who, m->update, NULL, "{s:s}", "id", t);
	PLAT_FX_CALL(&f, op_user_password, &who, m->password, NULL, "{s:s,s:s,s:s}", "id", t, "old",
	             pw, "new", NEW_PW);
	PLAT_FX_CALL(&f, op_user_reset, &who, m->reset, &r, "{s:s}", "id", t);
	if (m->reset == 0)
		assert_int_equal(strlen(json_string_value(json_object_get(r, "password"))),
		                 PLAT_PASSWORD_GEN);
	json_decref(r);
	PLAT_FX_CALL(&f, op_user_delete, &who, m->del, NULL, "{s:s}", "id", t);
	assert_int_equal(plat_user_exists(&f.p, t), m->del == 0 ? 0 : 1);
	plat_fx_close(&f);
}

static void test_matrix(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++)
		matrix_case(&matrix[i]);
}

/* Register: who may register which role in which org. */
static void test_matrix_register(void **state)
{
	static const struct {
		const char *user, *role, *org;
		int want[NACTORS];
		const char *org_made[NACTORS]; /* the org of the new user, when made */
	} rows[] = {
	    {"n1", "data-owner", "A", {0, 0, PERM, PERM, PERM}, {"A", "A"}},
	    {"n2", "data-owner", NULL, {0, 0, 0, PERM, PERM}, {NULL, "A", "B"}},
	    {"n3", "function-owner", NULL, {0, PERM, PERM, PERM, PERM}, {NULL}},
	    {"n4", "data-owner-manager", "A", {0, PERM, PERM, PERM, PERM}, {"A"}},
	    {"n5", "platform-admin", NULL, {0, PERM, PERM, PERM, PERM}, {NULL}},
	    {"n6", "data-owner", "B", {0, PERM, 0, PERM, PERM}, {"B", NULL, "B"}},
	};

	(void)state;
	for (int a = 0; a < NACTORS; a++) {
		const struct plat_caller who = caller(a);
		struct plat_fx f;

		matrix_open(&f);
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			json_t *rec;
			const char *org;

			PLAT_FX_CALL(&f, op_user_register, &who, rows[i].want[a], NULL,
			             "{s:s,s:s,s:s?,s:s}", "user", rows[i].user, "role",
			             rows[i].role, "org", rows[i].org, "password", NEW_PW);
			assert_int_equal(plat_user_exists(&f.p, rows[i].user),
			                 rows[i].want[a] == 0);
			if (rows[i].want[a])
				continue;
			rec = record(&f, rows[i].user);
			org = json_string_value(json_object_get(rec, "org"));
			if (rows[i].org_made[a])
				assert_string_equal(org, rows[i].org_made[a]);
			else
				assert_true(json_is_null(json_object_get(rec, "org")));
			assert_string_equal(json_string_value(json_object_get(rec, "role")),
			                    rows[i].role);
			assert_string_equal(json_string_value(json_object_get(rec, "created_by")),
			                    who.user);
			json_decref(rec);
		}
		plat_fx_close(&f);
	}
}

static void check_list(struct plat_fx *f, int a, int want, const char *const *ids)
{
	const struct plat_caller who = caller(a);
	json_t *r = NULL, *users, *e;
	size_t i;

	PLAT_FX_CALL(f, op_user_list, &who, want, &r, "{}");
	if (want) {
		assert_null(r);
		return;
	}
	users = json_object_get(r, "users");
	json_array_foreach(users, i, e)
	{
		assert_non_null(ids[i]);
		assert_string_equal(json_string_value(json_object_get(e, "id")), ids[i]);
		assert_int_equal(json_object_size(e), 5);
		assert_null(json_object_get(e, "password"));
	}
	assert_null(ids[json_array_size(users)]);
	json_decref(r);
}

static void test_matrix_list(void **state)
{
	static const char *const all[] = {"admin", "do-a",  "do-a2", "do-b", "fo",
	                                  "fo2",   "mgr-a", "mgr-b", NULL};
	static const char *const org_a[] = {"do-a", "do-a2", "mgr-a", NULL};
	static const char *const org_b[] = {"do-b", "mgr-b", NULL};
	static const char *const none[] = {NULL};
	const struct plat_caller adm = caller(ADM);
	struct plat_fx f;

	(void)state;
	matrix_open(&f);
	check_list(&f, ADM, 0, all);
	check_list(&f, MGA, 0, org_a);
	check_list(&f, MGB, 0, org_b);
	check_list(&f, FO, PERM, none);
	check_list(&f, DOA, PERM, none);
	PLAT_FX_CALL(&f, op_user_list, &adm, CU_EINVAL, NULL, "{s:s}", "org", "A");
	PLAT_FX_CALL(&f, op_user_list, NULL, CU_EAUTH, NULL, "{}");
	plat_fx_close(&f);
}

/* A manager sees the other managers of its org (as its list does) but manages none. */
static void test_manager_peers(void **state)
{
	const struct plat_caller mga = caller(MGA);
	struct plat_fx f;

	(void)state;
	matrix_open(&f);
	put_user(&f, "mgr-a2", PLAT_ROLE_DATA_OWNER_MANAGER, "A");
	put_user(&f, "do-none", PLAT_ROLE_DATA_OWNER, NULL);
	PLAT_FX_CALL(&f, op_user_get, &mga, 0, NULL, "{s:s}", "id", "mgr-a2");
	PLAT_FX_CALL(&f, op_user_update, &mga, PERM, NULL, "{s:s}", "id", "mgr-a2");
	PLAT_FX_CALL(&f, op_user_reset, &mga, PERM, NULL, "{s:s}", "id", "mgr-a2");
	PLAT_FX_CALL(&f, op_user_delete, &mga, PERM, NULL, "{s:s}", "id", "mgr-a2");
	/* A data-owner without an org belongs to no manager. */
	PLAT_FX_CALL(&f, op_user_get, &mga, NF, NULL, "{s:s}", "id", "do-none");
	PLAT_FX_CALL(&f, op_user_delete, &mga, NF, NULL, "{s:s}", "id", "do-none");
	/* Absent and hidden look the same. */
	PLAT_FX_CALL(&f, op_user_get, &mga, NF, NULL, "{s:s}", "id", "ghost");
	PLAT_FX_CALL(&f, op_user_delete, &mga, NF, NULL, "{s:s}", "id", "ghost");
	plat_fx_close(&f);
}

/* ---- update ---- */

static const char *rec_str(struct plat_fx *f, const char *id, const char *key, char *buf)
{
	json_t *j = record(f, id);
	const char *s = json_string_value(json_object_get(j, key));

	snprintf(buf, 80, "%s", s ? s : "(null)");
	json_decref(j);
	return buf;
}

static void test_update(void **state)
{
	const struct plat_caller adm = caller(ADM), mga = caller(MGA);
	struct plat_fx f;
	json_t *r = NULL;
	char b[80];
	int64_t g;

	(void)state;
	matrix_open(&f);
	g = rec_gen(&f, "do-a2");
	/* The manager: no role or org change, even within its org. */
	PLAT_FX_CALL(&f, op_user_update, &mga, PERM, NULL, "{s:s,s:s}", "id", "do-a2", "role",
	             "data-owner-manager");
	PLAT_FX_CALL(&f, op_user_update, &mga, PERM, NULL, "{s:s,s:s}", "id", "do-a2", "org", "B");
	PLAT_FX_CALL(&f, op_user_update, &mga, PERM, NULL, "{s:s,s:n}", "id", "do-a2", "org");
	assert_int_equal(rec_gen(&f, "do-a2"), g);
	PLAT_FX_CALL(&f, op_user_update, &mga, 0, NULL, "{s:s,s:s,s:s}", "id", "do-a2", "role",
	             "data-owner", "org", "A");
	assert_int_equal(rec_gen(&f, "do-a2"), g + 1);

	/* The admin: the org follows the role when not given. */
	plat_fx_clock += 10;
	PLAT_FX_CALL(&f, op_user_update, &adm, 0, NULL, "{s:s,s:s}", "id", "do-a2", "role",
	             "data-owner-manager");
	assert_string_equal(rec_str(&f, "do-a2", "role", b), "data-owner-manager");
	assert_string_equal(rec_str(&f, "do-a2", "org", b), "A");
	PLAT_FX_CALL(&f, op_user_get, &adm, 0, &r, "{s:s}", "id", "do-a2");
	assert_int_equal(json_integer_value(json_object_get(r, "updated")), plat_fx_clock);
	assert_int_equal(json_integer_value(json_object_get(r, "created")), plat_fx_clock - 10);
	json_decref(r);
	PLAT_FX_CALL(&f, op_user_update, &adm, 0, NULL, "{s:s,s:s}", "id", "do-a2", "role",
	             "function-owner");
	assert_string_equal(rec_str(&f, "do-a2", "org", b), "(null)");
	PLAT_FX_CALL(&f, op_user_update, &adm, CU_EINVAL, NULL, "{s:s,s:s}", "id", "do-a2", "org",
	             "A");
	PLAT_FX_CALL(&f, op_user_update, &adm, CU_EINVAL, NULL, "{s:s,s:s}", "id", "do-a2", "role",
	             "data-owner-manager");
	PLAT_FX_CALL(&f, op_user_update, &adm, 0, NULL, "{s:s,s:s,s:s}", "id", "do-a2", "role",
	             "data-owner", "org", "C");
	assert_string_equal(rec_str(&f, "do-a2", "org", b), "C");
	PLAT_FX_CALL(&f, op_user_update, &adm, 0, NULL, "{s:s,s:n}", "id", "do-a2", "org");
	assert_string_equal(rec_str(&f, "do-a2", "org", b), "(null)");
	PLAT_FX_CALL(&f, op_user_update, &adm, CU_EINVAL, NULL, "{s:s,s:s,s:n}", "id", "mgr-a",
	             "role", "data-owner-manager", "org");
	PLAT_FX_CALL(&f, op_user_update, &adm, 0, NULL, "{s:s,s:s}", "id", "fo2", "role",
	             "platform-admin");
	/* The admin keeps its own role; another admin may be demoted. */
	PLAT_FX_CALL(&f, op_user_update, &adm, CU_ESTATE, NULL, "{s:s,s:s}", "id", "admin", "role",
	             "function-owner");
	PLAT_FX_CALL(&f, op_user_update, &adm, 0, NULL, "{s:s,s:s}", "id", "admin", "role",
	             "platform-admin");
	PLAT_FX_CALL(&f, op_user_update, &adm, 0, NULL, "{s:s,s:s}", "id", "fo2", "role",
	             "function-owner");

	/* Malformed. */
	PLAT_FX_CALL(&f, op_user_update, &adm, CU_EINVAL, NULL, "{s:s}", "role", "data-owner");
	PLAT_FX_CALL(&f, op_user_update, &adm, CU_EINVAL, NULL, "{s:s,s:s}", "id", "do-b", "role",
	             "superuser");
	PLAT_FX_CALL(&f, op_user_update, &adm, CU_EFORMAT, NULL, "{s:s,s:i}", "id", "do-b", "role",
	             3);
	PLAT_FX_CALL(&f, op_user_update, &adm, CU_EINVAL, NULL, "{s:s,s:s}", "id", "do-b",
	             "password", NEW_PW);
	PLAT_FX_CALL(&f, op_user_update, &adm, CU_EINVAL, NULL, "{s:s,s:s}", "id", "do-b", "org",
	             "a b");
	PLAT_FX_CALL(&f, op_user_update, &adm, CU_EINVAL, NULL, "{s:s}", "id", "do b");
	PLAT_FX_CALL(&f, op_user_update, &adm, NF, NULL, "{s:s}", "id", "ghost");
	PLAT_FX_CALL(&f, op_user_update, NULL, CU_EAUTH, NULL, "{s:s}", "id", "do-b");
	plat_fx_close(&f);
}

/* ---- malformed requests to register, get, password, reset, delete ---- */

static void test_malformed(void **state)
{
	const struct plat_caller adm = caller(ADM), doa = caller(DOA);
	char long_id[PLAT_USER_MAX + 2], big[PW_LEN_MAX + 2];
	struct plat_fx f;

	(void)state;
	matrix_open(&f);
	memset(long_id, 'u', sizeof(long_id));
	long_id[PLAT_USER_MAX + 1] = 0;
	memset(big, 'p', sizeof(big));
	big[PW_LEN_MAX + 1] = 0;

#define REG(want, ...) PLAT_FX_CALL(&f, op_user_register, &adm, want, NULL, __VA_ARGS__)
	REG(CU_EINVAL, "{s:s,s:s}", "role", "data-owner", "password", NEW_PW);
	REG(CU_EINVAL, "{s:s,s:s}", "user", "x", "password", NEW_PW);
	REG(CU_EINVAL, "{s:s,s:s}", "user", "x", "role", "data-owner");
	REG(CU_EINVAL, "{s:s,s:s,s:s,s:b}", "user", "x", "role", "data-owner", "password", NEW_PW,
	    "admin", 1);
	REG(CU_EINVAL, "{s:s,s:s,s:s}", "user", "x", "role", "admin", "password", NEW_PW);
	REG(CU_EINVAL, "{s:s,s:s,s:s}", "user", "x", "role", "", "password", NEW_PW);
	REG(CU_EFORMAT, "{s:s,s:[],s:s}", "user", "x", "role", "password", NEW_PW);
	REG(CU_EFORMAT, "{s:i,s:s,s:s}", "user", 1, "role", "data-owner", "password", NEW_PW);
	REG(CU_EINVAL, "{s:s,s:s,s:s}", "user", "x/y", "role", "data-owner", "password", NEW_PW);
	REG(CU_EINVAL, "{s:s,s:s,s:s}", "user", "-x", "role", "data-owner", "password", NEW_PW);
	REG(CU_EINVAL, "{s:s,s:s,s:s}", "user", ".x", "role", "data-owner", "password", NEW_PW);
	REG(CU_EINVAL, "{s:s,s:s,s:s}", "user", "x\xc3\xa9", "role", "data-owner", "password",
	    NEW_PW);
	REG(CU_ELIMIT, "{s:s,s:s,s:s}", "user", long_id, "role", "data-owner", "password", NEW_PW);
	REG(CU_EINVAL, "{s:s,s:s,s:s}", "user", "x", "role", "data-owner", "password", "short");
	REG(CU_EINVAL, "{s:s,s:s,s:s}", "user", "x", "role", "data-owner", "password",
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	REG(CU_ELIMIT, "{s:s,s:s,s:s}", "user", "x", "role", "data-owner", "password", big);
	/* Org rules. */
	REG(CU_EINVAL, "{s:s,s:s,s:s}", "user", "x", "role", "data-owner-manager", "password",
	    NEW_PW);
	REG(CU_EINVAL, "{s:s,s:s,s:s,s:s}", "user", "x", "role", "function-owner", "org", "A",
	    "password", NEW_PW);
	REG(CU_EINVAL, "{s:s,s:s,s:s,s:s}", "user", "x", "role", "platform-admin", "org", "A",
	    "password", NEW_PW);
	REG(CU_EINVAL, "{s:s,s:s,s:s,s:s}", "user", "x", "role", "data-owner", "org", "A B",
	    "password", NEW_PW);
	REG(CU_ELIMIT, "{s:s,s:s,s:s,s:s}", "user", "x", "role", "data-owner", "org", long_id,
	    "password", NEW_PW);
	assert_int_equal(plat_user_exists(&f.p, "x"), 0);
	/* The longest id, and one that exists already. */
	long_id[PLAT_USER_MAX] = 0;
	REG(0, "{s:s,s:s,s:s}", "user", long_id, "role", "function-owner", "password", NEW_PW);
	REG(CU_EEXISTS, "{s:s,s:s,s:s}", "user", "do-b", "role", "data-owner", "password", NEW_PW);
#undef REG
	PLAT_FX_CALL(&f, op_user_register, NULL, CU_EAUTH, NULL, "{s:s,s:s,s:s}", "user", "x",
	             "role", "data-owner", "password", NEW_PW);

	PLAT_FX_CALL(&f, op_user_get, &adm, CU_EINVAL, NULL, "{}");
	PLAT_FX_CALL(&f, op_user_get, &adm, CU_EINVAL, NULL, "{s:s,s:s}", "id", "do-b", "x", "y");
	PLAT_FX_CALL(&f, op_user_get, &adm, CU_EINVAL, NULL, "{s:s}", "id", "do\nb");
	long_id[PLAT_USER_MAX] = 'u';
	PLAT_FX_CALL(&f, op_user_get, &adm, CU_ELIMIT, NULL, "{s:s}", "id", long_id);
	PLAT_FX_CALL(&f, op_user_get, NULL, CU_EAUTH, NULL, "{s:s}", "id", "do-b");

	/* Password: the old one checked, the new one must be good. */
	PLAT_FX_CALL(&f, op_user_password, &doa, CU_EAUTH, NULL, "{s:s,s:s,s:s}", "id", "do-a",
	             "old", "wrong-password", "new", NEW_PW);
	PLAT_FX_CALL(&f, op_user_password, &doa, CU_EINVAL, NULL, "{s:s,s:s,s:s}", "id", "do-a",
	             "old", "do-a-password", "new", "short");
	PLAT_FX_CALL(&f, op_user_password, &doa, CU_ELIMIT, NULL, "{s:s,s:s,s:s}", "id", "do-a",
	             "old", "do-a-password", "new", big);
	PLAT_FX_CALL(&f, op_user_password, &doa, CU_EINVAL, NULL, "{s:s,s:s}", "id", "do-a", "new",
	             NEW_PW);
	PLAT_FX_CALL(&f, op_user_password, &doa, CU_EINVAL, NULL, "{s:s,s:s}", "id", "do-a", "old",
	             "do-a-password");
	PLAT_FX_CALL(&f, op_user_password, &doa, CU_EINVAL, NULL, "{s:s,s:s,s:s,s:s}", "id", "do-a",
	             "old", "do-a-password", "new", NEW_PW, "role", "platform-admin");
	PLAT_FX_CALL(&f, op_user_password, NULL, CU_EAUTH, NULL, "{s:s,s:s,s:s}", "id", "do-a",
	             "old", "do-a-password", "new", NEW_PW);

	PLAT_FX_CALL(&f, op_user_reset, &adm, CU_EINVAL, NULL, "{s:s,s:s}", "id", "do-b",
	             "password", NEW_PW);
	PLAT_FX_CALL(&f, op_user_reset, &adm, CU_EINVAL, NULL, "{}");
	PLAT_FX_CALL(&f, op_user_reset, &adm, NF, NULL, "{s:s}", "id", "ghost");
	PLAT_FX_CALL(&f, op_user_reset, NULL, CU_EAUTH, NULL, "{s:s}", "id", "do-b");
	PLAT_FX_CALL(&f, op_user_delete, &adm, CU_EINVAL, NULL, "{s:s,s:b}", "id", "do-b", "force",
	             1);
	PLAT_FX_CALL(&f, op_user_delete, &adm, CU_EFORMAT, NULL, "{s:i}", "id", 5);
	PLAT_FX_CALL(&f, op_user_delete, &adm, NF, NULL, "{s:s}", "id", "ghost");
	PLAT_FX_CALL(&f, op_user_delete, NULL, CU_EAUTH, NULL, "{s:s}", "id", "do-b");
	assert_int_equal(plat_user_exists(&f.p, "do-b"), 1);
	assert_int_equal(plat_user_exists(&f.p, "bad/name"), 0);
	plat_fx_close(&f);
}

/* The view of get: no password, no generation. */
static void test_get_view(void **state)
{
	const struct plat_caller adm = caller(ADM);
	struct plat_fx f;
	json_t *r = NULL;

	(void)state;
	matrix_open(&f);
	PLAT_FX_CALL(&f, op_user_get, &adm, 0, &r, "{s:s}", "id", "do-a2");
	assert_int_equal(json_object_size(r), 6);
	assert_string_equal(json_string_value(json_object_get(r, "role")), "data-owner");
	assert_string_equal(json_string_value(json_object_get(r, "org")), "A");
	assert_int_equal(json_integer_value(json_object_get(r, "created")), plat_fx_clock);
	assert_true(json_is_null(json_object_get(r, "created_by")));
	assert_null(json_object_get(r, "password"));
	assert_null(json_object_get(r, "gen"));
	json_decref(r);
	plat_fx_close(&f);
}

/* ---- restarts, and no password in the file ---- */

static void test_reopen(void **state)
{
	const struct plat_caller mga = caller(MGA);
	struct plat_fx f;
	json_t *r = NULL;
	char *tok;

	(void)state;
	matrix_open(&f);
	PLAT_FX_CALL(&f, op_user_register, &mga, 0, NULL, "{s:s,s:s,s:s}", "user", "kept", "role",
	             "data-owner", "password", NEW_PW);
	tok = mint(&f, "kept");
	plat_fx_reopen(&f);
	auth(&f, tok, 0, NULL);
	free(tok);
	PLAT_FX_CALL(&f, op_user_get, &mga, 0, &r, "{s:s}", "id", "kept");
	assert_string_equal(json_string_value(json_object_get(r, "org")), "A");
	assert_string_equal(json_string_value(json_object_get(r, "created_by")), "mgr-a");
	json_decref(r);
	free(login(&f, "kept", NEW_PW, 0));
	PLAT_FX_CALL(&f, op_user_delete, &mga, 0, NULL, "{s:s}", "id", "kept");
	plat_fx_reopen(&f);
	assert_int_equal(plat_user_exists(&f.p, "kept"), 0);
	assert_int_equal(plat_user_exists(&f.p, "do-a2"), 1);
	plat_fx_close(&f);
}

static void assert_no_canary(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!fp)
		return; /* no such side file */
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	assert_null(memmem(buf, (size_t)n, "CANARY", 6));
	free(buf);
}

static void test_canary(void **state)
{
	const struct plat_caller adm = caller(ADM);
	struct plat_fx f;
	char wal[128];

	(void)state;
	matrix_open(&f);
	PLAT_FX_CALL(&f, op_user_register, &adm, 0, NULL, "{s:s,s:s,s:s}", "user", "carol", "role",
	             "function-owner", "password", "CANARY-pw-1234567");
	plat_fx_reopen(&f);
	free(login(&f, "carol", "CANARY-pw-1234567", 0));
	assert_no_canary(f.tmp.path);
	snprintf(wal, sizeof(wal), "%s-wal", f.tmp.path);
	assert_no_canary(wal);
	plat_fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bootstrap_random),
	    cmocka_unit_test(test_bootstrap_given),
	    cmocka_unit_test(test_login),
	    cmocka_unit_test(test_token),
	    cmocka_unit_test(test_matrix),
	    cmocka_unit_test(test_matrix_register),
	    cmocka_unit_test(test_matrix_list),
	    cmocka_unit_test(test_manager_peers),
	    cmocka_unit_test(test_update),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_get_view),
	    cmocka_unit_test(test_reopen),
	    cmocka_unit_test(test_canary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

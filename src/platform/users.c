/*
 * users.c - the accounts of the control plane: the first admin, login and
 * tokens, and who may register, see, change, reset and delete whom.
 *
 * A user record lives in table "users" under its id (platform_int.h):
 *   {"id","role","org" (string or null),"password" (Argon2id PHC),
 *    "gen","created","updated","created_by" (null for the first admin)}
 * "gen" is the token generation: every token carries the value it had at
 * login, and a password change, reset or update bumps it so that older
 * tokens stop working. It starts at a random 48-bit value, so that a token
 * of a deleted user never fits a later user of the same id.
 *
 * Who may do what (docs/platform-users.md): the platform-admin manages
 * everyone but may neither delete itself nor give up its role; a
 * data-owner-manager sees the users of its org and manages its org's
 * data-owners; everyone sees itself and changes its own password. A user
 * the caller may not see is "not found"; one it sees but may not manage is
 * "forbidden".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "crypto/hash.h"
#include "crypto/rand.h"
#include "platform/password.h"
#include "platform/platform_int.h"
#include "platform/token.h"
#include "store/store.h"

/* Generated passwords: no 0/O/o, 1/l/I, so that they can be read aloud or typed from paper. */
static const char pw_alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
#define PW_ALPHABET_LEN (sizeof(pw_alphabet) - 1)

/* Bits of the random first token generation of a user. */
#define GEN_START_BITS 48

/* Base64 of 16 and 32 zero bytes: the salt and hash of the dummy verification. */
#define DUMMY_SALT "AAAAAAAAAAAAAAAAAAAAAA"
#define DUMMY_HASH "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

#define LOGIN_FAILED "invalid user or password"
#define NAME_RULE    "may hold only letters, digits and _ . @ - and may not start with - or ."

/* A user record read from the store; the strings point into j. */
struct urec {
	json_t *j;
	uint64_t version;
	enum plat_role role;
	const char *org; /* NULL when none */
	const char *hash;
	int64_t gen;
};

static void urec_free(struct urec *u)
{
	json_decref(u->j);
	memset(u, 0, sizeof(*u));
}

static int urec_parse(struct urec *u)
{
	const json_t *org = json_object_get(u->j, "org");
	const char *role = NULL;

	if (cu_json_get_str(u->j, "role", &role) ||
	    (u->role = plat_role_from_name(role)) == PLAT_ROLE_NONE ||
	    cu_json_get_str(u->j, "password", &u->hash) ||
	    cu_json_get_int(u->j, "gen", 0, TOK_INT_MAX, &u->gen))
		return CU_EFORMAT;
	if (org && !json_is_null(org) &&
	    (cu_json_get_str(u->j, "org", &u->org) || !plat_valid_name(u->org, PLAT_ORG_MAX)))
		return CU_EFORMAT;
	return 0;
}

/* Read user id into u (to be freed with urec_free). CU_ENOTFOUND when absent. */
static int urec_load(struct platform *p, const char *id, struct urec *u, struct plat_error *err)
{
	int rc;

	memset(u, 0, sizeof(*u));
	rc = plat_get(p, PLAT_T_USERS, id, &u->j, &u->version);
	if (rc == CU_ENOTFOUND)
		return plat_fail(err, rc, "no user \"%s\"", id);
	if (rc)
		return plat_fail(err, rc, "could not read user \"%s\": %s", id, cu_strerror(rc));
	if ((rc = urec_parse(u))) {
		urec_free(u);
		return plat_fail(err, rc, "the record of user \"%s\" is malformed", id);
	}
	return 0;
}

/* ---- request fields ---- */

static int need_caller(const struct plat_caller *who, struct plat_error *err)
{
	return who ? 0 : plat_fail(err, CU_EAUTH, "this operation needs a token");
}

static int req_name(const json_t *in, const char *key, size_t max, const char **out,
                    struct plat_error *err)
{
	int rc = plat_req_str(in, key, max, out, err);

	if (rc == 0 && !plat_valid_name(*out, max))
		rc = plat_fail(err, CU_EINVAL, "\"%s\" %s", key, NAME_RULE);
	return rc;
}

/* An optional org: *given tells whether the member is there at all (null included). */
static int opt_org(const json_t *in, const char **org, int *given, struct plat_error *err)
{
	int rc = plat_opt_str(in, "org", PLAT_ORG_MAX, org, err);

	*given = json_object_get(in, "org") != NULL;
	if (rc == 0 && *org && !plat_valid_name(*org, PLAT_ORG_MAX))
		rc = plat_fail(err, CU_EINVAL, "\"org\" %s", NAME_RULE);
	return rc;
}

/* The role under "role": PLAT_ROLE_NONE when absent and not required. */
static int get_role(const json_t *in, int required, enum plat_role *role, struct plat_error *err)
{
	const char *s = NULL;
	int rc = required ? plat_req_str(in, "role", PLAT_NAME_MAX, &s, err)
	                  : plat_opt_str(in, "role", PLAT_NAME_MAX, &s, err);

	*role = PLAT_ROLE_NONE;
	if (rc || !s)
		return rc;
	if ((*role = plat_role_from_name(s)) == PLAT_ROLE_NONE)
		return plat_fail(err, CU_EINVAL,
		                 "unknown role \"%s\" (platform-admin, function-owner, data-owner, "
		                 "data-owner-manager)",
		                 s);
	return 0;
}

/* A password member; a new one must pass the quality rule. */
static int get_password(const json_t *in, const char *key, int is_new, const char **pw, size_t *len,
                        struct plat_error *err)
{
	int rc = plat_req_str(in, key, PW_LEN_MAX, pw, err);

	*len = rc ? 0 : strlen(*pw);
	if (rc == 0 && is_new && pw_check_quality(*pw, *len))
		rc =
		    plat_fail(err, CU_EINVAL, "\"%s\" is too weak: it needs at least %d characters",
		              key, PW_CHARS_MIN);
	return rc;
}

/* "org" is required for a data-owner-manager, optional for a data-owner, refused otherwise. */
static int org_rule(enum plat_role role, const char *org, struct plat_error *err)
{
	if (role == PLAT_ROLE_DATA_OWNER_MANAGER && !org)
		return plat_fail(err, CU_EINVAL, "a data-owner-manager needs an \"org\"");
	if (org && role != PLAT_ROLE_DATA_OWNER_MANAGER && role != PLAT_ROLE_DATA_OWNER)
		return plat_fail(err, CU_EINVAL, "a %s has no \"org\"", plat_role_name(role));
	return 0;
}

/* ---- who may see and manage whom ---- */

static int same_org(const struct plat_caller *who, const struct urec *u)
{
	return who->org[0] && u->org && !strcmp(who->org, u->org);
}

static int sees(const struct plat_caller *who, const char *id, const struct urec *u)
{
	return !strcmp(who->user, id) || who->role == PLAT_ROLE_ADMIN ||
	       (who->role == PLAT_ROLE_DATA_OWNER_MANAGER && same_org(who, u));
}

static int manages(const struct plat_caller *who, const struct urec *u)
{
	return who->role == PLAT_ROLE_ADMIN ||
	       (who->role == PLAT_ROLE_DATA_OWNER_MANAGER && u->role == PLAT_ROLE_DATA_OWNER &&
	        same_org(who, u));
}

/*
 * Read user id for who to look at (manage 0) or act on (manage 1): the
 * same "not found" whether it is absent or hidden from who; forbidden when
 * who sees it but may not act on it.
 */
static int target_load(struct platform *p, const struct plat_caller *who, const char *id,
                       int manage, struct urec *u, struct plat_error *err)
{
	int rc = urec_load(p, id, u, err);

	if (rc)
		return rc;
	if (!sees(who, id, u))
		rc = plat_fail(err, CU_ENOTFOUND, "no user \"%s\"", id);
	else if (manage && !manages(who, u))
		rc = plat_fail(err, CU_EPERM, "%s may not manage user \"%s\"",
		               plat_role_name(who->role), id);
	if (rc)
		urec_free(u);
	return rc;
}

/* ---- passwords and generations ---- */

/* PLAT_PASSWORD_GEN characters of pw_alphabet, by rejection sampling (no modulo bias). */
static int random_password(char *out, size_t outsz)
{
	const unsigned limit = 256 - 256 % PW_ALPHABET_LEN;
	uint8_t buf[64];
	size_t n = 0, used = sizeof(buf);
	int rc = 0;

	if (!out || outsz < PLAT_PASSWORD_GEN + 1)
		return CU_EINVAL;
	while (n < PLAT_PASSWORD_GEN) {
		if (used == sizeof(buf)) {
			if ((rc = cr_random(buf, sizeof(buf))))
				break;
			used = 0;
		}
		if (buf[used] < limit)
			out[n++] = pw_alphabet[buf[used] % PW_ALPHABET_LEN];
		used++;
	}
	out[rc ? 0 : n] = '\0';
	if (rc)
		cu_wipe(out, outsz);
	cu_wipe(buf, sizeof(buf));
	return rc;
}

static int random_gen(int64_t *gen)
{
	uint8_t b[8];
	uint64_t v = 0;
	int rc = cr_random(b, sizeof(b));

	for (size_t i = 0; i < sizeof(b); i++)
		v = v << 8 | b[i];
	*gen = (int64_t)(v & ((UINT64_C(1) << GEN_START_BITS) - 1));
	return rc;
}

/* Set a user's password hash (may be NULL: unchanged), bump gen, set "updated". */
static int urec_touch(struct platform *p, struct urec *u, const char *hash)
{
	if (u->gen >= TOK_INT_MAX)
		return CU_ELIMIT;
	if ((hash && json_object_set_new(u->j, "password", json_string(hash))) ||
	    cu_json_set_int(u->j, "gen", u->gen + 1) || cu_json_set_int(u->j, "updated", p->now()))
		return CU_ENOMEM;
	return 0;
}

/* A new record with the hash of pw, into *rec. */
static int urec_make(struct platform *p, const char *id, enum plat_role role, const char *org,
                     const char *pw, size_t len, const char *created_by, json_t **rec)
{
	char hash[PW_ENCODED_MAX];
	int64_t gen = 0, now = p->now();
	int rc;

	*rec = NULL;
	if ((rc = random_gen(&gen)) || (rc = pw_hash(pw, len, hash, sizeof(hash))))
		return rc;
	*rec =
	    json_pack("{s:s,s:s,s:s?,s:s,s:I,s:I,s:I,s:s?}", "id", id, "role", plat_role_name(role),
	              "org", org, "password", hash, "gen", (json_int_t)gen, "created",
	              (json_int_t)now, "updated", (json_int_t)now, "created_by", created_by);
	cu_wipe(hash, sizeof(hash));
	return *rec ? 0 : CU_ENOMEM;
}

static int urec_insert(struct platform *p, const char *id, const json_t *rec,
                       struct plat_error *err)
{
	int rc = plat_cas(p, PLAT_T_USERS, id, 0, rec);

	if (rc == CU_ESTATE)
		return plat_fail(err, CU_EEXISTS, "user \"%s\" exists", id);
	if (rc)
		return plat_fail(err, rc, "could not write user \"%s\": %s", id, cu_strerror(rc));
	return 0;
}

/* Write back a record read at u->version: CU_ESTATE when it changed in between. */
static int urec_store(struct platform *p, const char *id, const struct urec *u,
                      struct plat_error *err)
{
	int rc = plat_cas(p, PLAT_T_USERS, id, u->version, u->j);

	if (rc == CU_ESTATE)
		return plat_fail(err, rc, "user \"%s\" changed meanwhile; try again", id);
	if (rc)
		return plat_fail(err, rc, "could not write user \"%s\": %s", id, cu_strerror(rc));
	return 0;
}

/* Run fn(p, arg, err) in one store transaction, rolled back when it fails. */
static int in_transaction(struct platform *p,
                          int (*fn)(struct platform *, void *, struct plat_error *), void *arg,
                          struct plat_error *err)
{
	int rc = st_begin(p->st);

	if (rc)
		return plat_fail(err, rc, "could not begin a transaction: %s", cu_strerror(rc));
	if ((rc = fn(p, arg, err))) {
		(void)st_rollback(p->st);
		return rc;
	}
	if ((rc = st_commit(p->st)))
		return plat_fail(err, rc, "could not commit: %s", cu_strerror(rc));
	return 0;
}

/* ---- bootstrap ---- */

static int find_admin(void *arg, const char *key, const uint8_t *val, size_t len, uint64_t version)
{
	struct urec u = {0};
	int *found = arg, rc;

	(void)key;
	(void)version;
	if (cu_json_parse(val, len, ST_VALUE_MAX, &u.j) || !json_is_object(u.j) || urec_parse(&u)) {
		urec_free(&u);
		return CU_EFORMAT;
	}
	rc = u.role == PLAT_ROLE_ADMIN;
	urec_free(&u);
	*found = rc;
	return rc;
}

/* 1 when table "users" holds a platform-admin, 0 when not, or an error. */
static int admin_exists(struct platform *p)
{
	int found = 0, rc = st_scan(p->st, PLAT_T_USERS, NULL, find_admin, &found);

	return rc ? rc : found;
}

struct boot {
	const char *user;
	json_t *rec;
};

static int boot_insert(struct platform *p, void *arg, struct plat_error *err)
{
	struct boot *b = arg;
	int rc = admin_exists(p);

	if (rc < 0)
		return rc;
	if (rc == 1) /* made by another process meanwhile */
		return 1;
	return urec_insert(p, b->user, b->rec, err);
}

int plat_users_bootstrap(struct platform *p, const char *user, const char *password,
                         char *generated, size_t generatedsz)
{
	struct boot b = {user, NULL};
	const char *pw = password;
	int rc;

	if (generated && generatedsz)
		generated[0] = '\0';
	if (!p || !plat_valid_name(user, PLAT_USER_MAX) ||
	    (!password && (!generated || generatedsz < PLAT_PASSWORD_GEN + 1)))
		return CU_EINVAL;
	if ((rc = admin_exists(p)))
		return rc < 0 ? rc : 0;
	if (!pw) {
		if ((rc = random_password(generated, generatedsz)))
			return rc;
		pw = generated;
	}
	if ((rc = urec_make(p, user, PLAT_ROLE_ADMIN, NULL, pw, strlen(pw), NULL, &b.rec)) == 0)
		rc = in_transaction(p, boot_insert, &b, NULL);
	json_decref(b.rec);
	if (rc && generated)
		cu_wipe(generated, generatedsz);
	return rc > 0 ? 0 : rc;
}

int plat_user_exists(struct platform *p, const char *user)
{
	uint8_t *v = NULL;
	size_t n = 0;
	int rc;

	if (!p || !user)
		return CU_EINVAL;
	if (!plat_valid_name(user, PLAT_USER_MAX))
		return 0;
	rc = st_get(p->st, PLAT_T_USERS, user, &v, &n, NULL);
	cu_free_secret(v, n);
	if (rc == CU_ENOTFOUND)
		return 0;
	return rc ? rc : 1;
}

/* ---- tokens ---- */

/*
 * tok_verify, through the cache of verified tokens: a hit skips the
 * signature, never the times (the same rule as tok_verify's).
 */
static int verify_cached(struct platform *p, const char *token, int64_t now, struct tok_claims *c)
{
	size_t len = strnlen(token, TOK_MAX_LEN + 1);
	uint8_t h[32];
	struct plat_tok_entry *e;
	int rc, hit = 0;

	if (!p->tok_cache || len > TOK_MAX_LEN || cr_sha256(token, len, h))
		return tok_verify(p->tok_key, token, len, now, c);
	e = &p->tok_cache[(h[0] | (size_t)h[1] << 8) % PLAT_TOKEN_CACHE];
	pthread_mutex_lock(&p->tok_mu);
	if (e->used && cu_ct_eq(e->hash, h, sizeof(h))) {
		*c = e->c;
		hit = 1;
	}
	pthread_mutex_unlock(&p->tok_mu);
	if (hit)
		return c->exp <= now || c->iat - TOK_SKEW > now ? CU_EEXPIRED : 0;
	if ((rc = tok_verify(p->tok_key, token, len, now, c)))
		return rc;
	pthread_mutex_lock(&p->tok_mu);
	memcpy(e->hash, h, sizeof(h));
	e->c = *c;
	e->used = 1;
	pthread_mutex_unlock(&p->tok_mu);
	return 0;
}

int plat_users_authenticate(struct platform *p, const char *token, struct plat_caller *who,
                            struct plat_error *err)
{
	struct tok_claims c;
	struct urec u = {0};
	int rc;

	if (who)
		memset(who, 0, sizeof(*who));
	if (!p || !token || !who)
		return plat_fail(err, CU_EINVAL, "no token");
	rc = verify_cached(p, token, p->now(), &c);
	if (rc == CU_EEXPIRED)
		return plat_fail(err, CU_EAUTH, "the token has expired");
	if (rc || !plat_valid_name(c.sub, PLAT_USER_MAX))
		return plat_fail(err, CU_EAUTH, "the token is not valid");
	rc = urec_load(p, c.sub, &u, NULL);
	if (rc == CU_ENOMEM || rc == CU_EIO)
		return plat_fail(err, rc, "could not read the token's user: %s", cu_strerror(rc));
	if (rc)
		return plat_fail(err, CU_EAUTH, "the token is no longer valid");
	if (plat_role_from_name(c.role) != u.role || strcmp(c.org, u.org ? u.org : "") ||
	    c.gen != (uint64_t)u.gen) {
		urec_free(&u);
		return plat_fail(err, CU_EAUTH, "the token is no longer valid");
	}
	/* Both were checked against their bounds: the name rule and the record's org. */
	snprintf(who->user, sizeof(who->user), "%.*s", PLAT_USER_MAX, c.sub);
	who->role = u.role;
	snprintf(who->org, sizeof(who->org), "%s", u.org ? u.org : "");
	urec_free(&u);
	return 0;
}

static int issue(struct platform *p, const char *id, const struct urec *u, char **tok, int64_t *exp,
                 struct plat_error *err)
{
	struct tok_claims c;
	int rc;

	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "%s", id);
	snprintf(c.role, sizeof(c.role), "%s", plat_role_name(u->role));
	snprintf(c.org, sizeof(c.org), "%s", u->org ? u->org : "");
	c.gen = (uint64_t)u->gen;
	c.iat = p->now();
	c.exp = *exp = c.iat + p->token_lifetime;
	if ((rc = tok_issue(p->tok_key, &c, tok)))
		return plat_fail(err, rc, "could not issue a token: %s", cu_strerror(rc));
	return 0;
}

/* ---- login ---- */

/*
 * Check pw for user id into u. An absent user costs one Argon2id run, as a
 * present one does, against a hash of the current cost that nothing
 * matches, so that the time taken does not tell which users exist.
 */
static int check_login(struct platform *p, const char *id, const char *pw, size_t len,
                       struct urec *u, struct plat_error *err)
{
	struct pw_params c;
	char dummy[PW_ENCODED_MAX];
	int rc = urec_load(p, id, u, err);

	if (rc == CU_ENOTFOUND) {
		pw_params_default(&c);
		snprintf(dummy, sizeof(dummy),
		         "$argon2id$v=19$m=%" PRIu32 ",t=%" PRIu32 ",p=%" PRIu32 "$%s$%s", c.m_kib,
		         c.t, c.p, DUMMY_SALT, DUMMY_HASH);
		if (pw_verify(dummy, pw, len) == CU_EFORMAT)
			return plat_fail(err, CU_ECRYPTO, "the dummy password hash is malformed");
		return plat_fail(err, CU_EAUTH, LOGIN_FAILED);
	}
	if (rc)
		return rc;
	rc = pw_verify(u->hash, pw, len);
	if (rc == CU_EAUTH || rc == CU_EFORMAT)
		rc = plat_fail(err, CU_EAUTH, LOGIN_FAILED);
	else if (rc)
		rc = plat_fail(err, rc, "could not check the password: %s", cu_strerror(rc));
	if (rc)
		urec_free(u);
	return rc;
}

/*
 * Hash pw again when the stored hash has an old cost. The old hash still
 * works: a password the quality rule refuses now, or a record changed since
 * it was read, leaves it in place. gen stays: the password is the same.
 */
static int maybe_rehash(struct platform *p, const char *id, struct urec *u, const char *pw,
                        size_t len, struct plat_error *err)
{
	char hash[PW_ENCODED_MAX];
	int rc;

	if (pw_needs_rehash(u->hash, NULL) != 1 || pw_check_quality(pw, len))
		return 0;
	if ((rc = pw_hash(pw, len, hash, sizeof(hash))))
		return plat_fail(err, rc, "could not hash the password: %s", cu_strerror(rc));
	rc = json_object_set_new(u->j, "password", json_string(hash)) ? CU_ENOMEM : 0;
	cu_wipe(hash, sizeof(hash));
	if (rc == 0 && (rc = plat_cas(p, PLAT_T_USERS, id, u->version, u->j)) == CU_ESTATE)
		rc = 0;
	if (rc)
		return plat_fail(err, rc, "could not store the new hash: %s", cu_strerror(rc));
	return 0;
}

int op_user_login(struct platform *p, const struct plat_caller *who, const json_t *in, json_t **out,
                  struct plat_error *err)
{
	static const char *const keys[] = {"user", "password", NULL};
	struct urec u = {0};
	const char *id, *pw;
	char *tok = NULL;
	int64_t exp = 0;
	size_t len;
	int rc;

	(void)who;
	*out = NULL;
	if ((rc = plat_only_keys(in, keys, err)) ||
	    (rc = req_name(in, "user", PLAT_USER_MAX, &id, err)) ||
	    (rc = get_password(in, "password", 0, &pw, &len, err)) ||
	    (rc = check_login(p, id, pw, len, &u, err)))
		return rc;
	if ((rc = maybe_rehash(p, id, &u, pw, len, err)) ||
	    (rc = issue(p, id, &u, &tok, &exp, err)))
		goto out;
	*out = json_pack("{s:s,s:I,s:s,s:s,s:s?}", "token", tok, "expires", (json_int_t)exp, "user",
	                 id, "role", plat_role_name(u.role), "org", u.org);
	if (!*out)
		rc = plat_fail(err, CU_ENOMEM, "out of memory");
out:
	if (tok)
		cu_free_secret(tok, strlen(tok));
	urec_free(&u);
	return rc;
}

/* ---- register ---- */

/* A data-owner-manager registers data-owners of its own org (given or implied). */
static int manager_register(const struct plat_caller *who, enum plat_role role, const char **org,
                            struct plat_error *err)
{
	if (role != PLAT_ROLE_DATA_OWNER)
		return plat_fail(err, CU_EPERM, "a data-owner-manager registers only data-owners");
	if (!*org)
		*org = who->org;
	else if (strcmp(*org, who->org))
		return plat_fail(err, CU_EPERM,
		                 "a data-owner-manager registers users of its own org only");
	return 0;
}

int op_user_register(struct platform *p, const struct plat_caller *who, const json_t *in,
                     json_t **out, struct plat_error *err)
{
	static const char *const keys[] = {"user", "role", "org", "password", NULL};
	const char *id, *org, *pw;
	enum plat_role role;
	json_t *rec = NULL;
	size_t len;
	int given, rc;

	*out = NULL;
	if ((rc = need_caller(who, err)))
		return rc;
	if (who->role != PLAT_ROLE_ADMIN && who->role != PLAT_ROLE_DATA_OWNER_MANAGER)
		return plat_fail(err, CU_EPERM, "a %s may not register users",
		                 plat_role_name(who->role));
	if ((rc = plat_only_keys(in, keys, err)) ||
	    (rc = req_name(in, "user", PLAT_USER_MAX, &id, err)) ||
	    (rc = get_role(in, 1, &role, err)) || (rc = opt_org(in, &org, &given, err)) ||
	    (rc = get_password(in, "password", 1, &pw, &len, err)))
		return rc;
	if ((who->role == PLAT_ROLE_DATA_OWNER_MANAGER &&
	     (rc = manager_register(who, role, &org, err))) ||
	    (rc = org_rule(role, org, err)))
		return rc;
	if ((rc = urec_make(p, id, role, org, pw, len, who->user, &rec)))
		return plat_fail(err, rc, "could not make the user: %s", cu_strerror(rc));
	if ((rc = urec_insert(p, id, rec, err)) == 0 && !(*out = json_pack("{s:s}", "id", id)))
		rc = plat_fail(err, CU_ENOMEM, "out of memory");
	json_decref(rec);
	return rc;
}

/* ---- get, list ---- */

int op_user_get(struct platform *p, const struct plat_caller *who, const json_t *in, json_t **out,
                struct plat_error *err)
{
	static const char *const keys[] = {"id", NULL};
	struct urec u = {0};
	const char *id;
	int rc;

	*out = NULL;
	if ((rc = need_caller(who, err)) || (rc = plat_only_keys(in, keys, err)) ||
	    (rc = req_name(in, "id", PLAT_USER_MAX, &id, err)) ||
	    (rc = target_load(p, who, id, 0, &u, err)))
		return rc;
	*out = json_pack("{s:s,s:s,s:s?,s:O?,s:O?,s:O?}", "id", id, "role", plat_role_name(u.role),
	                 "org", u.org, "created", json_object_get(u.j, "created"), "created_by",
	                 json_object_get(u.j, "created_by"), "updated",
	                 json_object_get(u.j, "updated"));
	if (!*out)
		rc = plat_fail(err, CU_ENOMEM, "out of memory");
	urec_free(&u);
	return rc;
}

struct lister {
	const struct plat_caller *who;
	json_t *users;
};

static int list_one(void *arg, const char *key, const uint8_t *val, size_t len, uint64_t version)
{
	struct lister *l = arg;
	struct urec u = {0};
	json_t *e;
	int rc = 0;

	(void)version;
	if (cu_json_parse(val, len, ST_VALUE_MAX, &u.j) || !json_is_object(u.j) || urec_parse(&u)) {
		urec_free(&u);
		return CU_EFORMAT;
	}
	if (sees(l->who, key, &u)) {
		e = json_pack("{s:s,s:s,s:s?,s:O?,s:O?}", "id", key, "role", plat_role_name(u.role),
		              "org", u.org, "created", json_object_get(u.j, "created"),
		              "created_by", json_object_get(u.j, "created_by"));
		rc = !e || json_array_append_new(l->users, e) ? CU_ENOMEM : 0;
	}
	urec_free(&u);
	return rc;
}

int op_user_list(struct platform *p, const struct plat_caller *who, const json_t *in, json_t **out,
                 struct plat_error *err)
{
	static const char *const keys[] = {NULL};
	struct lister l = {who, NULL};
	int rc;

	*out = NULL;
	if ((rc = need_caller(who, err)))
		return rc;
	if (who->role != PLAT_ROLE_ADMIN && who->role != PLAT_ROLE_DATA_OWNER_MANAGER)
		return plat_fail(err, CU_EPERM, "a %s may not list users",
		                 plat_role_name(who->role));
	if ((rc = plat_only_keys(in, keys, err)))
		return rc;
	if (!(l.users = json_array()))
		return plat_fail(err, CU_ENOMEM, "out of memory");
	/* st_scan visits keys in byte order: the list comes sorted by id. */
	if ((rc = st_scan(p->st, PLAT_T_USERS, NULL, list_one, &l))) {
		json_decref(l.users);
		return plat_fail(err, rc, "could not list users: %s", cu_strerror(rc));
	}
	if (!(*out = json_pack("{s:o}", "users", l.users)))
		return plat_fail(err, CU_ENOMEM, "out of memory");
	return 0;
}

/* ---- update ---- */

struct update {
	const struct plat_caller *who;
	const char *id;
	enum plat_role role; /* PLAT_ROLE_NONE: unchanged */
	const char *org;
	int org_given;
};

static int streq_null(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/*
 * The new role and org of u: an absent "org" keeps the old one when the
 * new role takes one, and drops it otherwise. Only the admin changes either,
 * and not its own role (the last admin must remain).
 */
static int update_apply(struct platform *p, const struct update *up, struct urec *u,
                        struct plat_error *err)
{
	enum plat_role role = up->role ? up->role : u->role;
	const char *org = up->org_given ? up->org
	                  : role == PLAT_ROLE_DATA_OWNER || role == PLAT_ROLE_DATA_OWNER_MANAGER
	                      ? u->org
	                      : NULL;
	int rc;

	if (up->who->role != PLAT_ROLE_ADMIN && (role != u->role || !streq_null(org, u->org)))
		return plat_fail(err, CU_EPERM,
		                 "only the platform-admin changes a user's role or org");
	if (!strcmp(up->who->user, up->id) && role != u->role)
		return plat_fail(err, CU_ESTATE, "the platform-admin may not give up its own role");
	if ((rc = org_rule(role, org, err)))
		return rc;
	if (json_object_set_new(u->j, "role", json_string(plat_role_name(role))) ||
	    json_object_set_new(u->j, "org", org ? json_string(org) : json_null()))
		return plat_fail(err, CU_ENOMEM, "out of memory");
	if ((rc = urec_touch(p, u, NULL)))
		return plat_fail(err, rc, "could not update user \"%s\"", up->id);
	return 0;
}

static int update_txn(struct platform *p, void *arg, struct plat_error *err)
{
	const struct update *up = arg;
	struct urec u = {0};
	int rc;

	if ((rc = target_load(p, up->who, up->id, 1, &u, err)))
		return rc;
	if ((rc = update_apply(p, up, &u, err)) == 0)
		rc = urec_store(p, up->id, &u, err);
	urec_free(&u);
	return rc;
}

int op_user_update(struct platform *p, const struct plat_caller *who, const json_t *in,
                   json_t **out, struct plat_error *err)
{
	static const char *const keys[] = {"id", "role", "org", NULL};
	struct update up = {who, NULL, PLAT_ROLE_NONE, NULL, 0};
	int rc;

	*out = NULL;
	if ((rc = need_caller(who, err)) || (rc = plat_only_keys(in, keys, err)) ||
	    (rc = req_name(in, "id", PLAT_USER_MAX, &up.id, err)) ||
	    (rc = get_role(in, 0, &up.role, err)) ||
	    (rc = opt_org(in, &up.org, &up.org_given, err)) ||
	    (rc = in_transaction(p, update_txn, &up, err)))
		return rc;
	if (!(*out = json_pack("{s:s}", "id", up.id)))
		return plat_fail(err, CU_ENOMEM, "out of memory");
	return 0;
}

/* ---- password, reset ---- */

/* Give u the hash of pw, bump its generation and write it back (CAS on its version). */
static int set_password(struct platform *p, const char *id, struct urec *u, const char *pw,
                        size_t len, struct plat_error *err)
{
	char hash[PW_ENCODED_MAX];
	int rc;

	if ((rc = pw_hash(pw, len, hash, sizeof(hash))))
		return plat_fail(err, rc, "could not hash the password: %s", cu_strerror(rc));
	rc = urec_touch(p, u, hash);
	cu_wipe(hash, sizeof(hash));
	if (rc)
		return plat_fail(err, rc, "could not update user \"%s\"", id);
	return urec_store(p, id, u, err);
}

int op_user_password(struct platform *p, const struct plat_caller *who, const json_t *in,
                     json_t **out, struct plat_error *err)
{
	static const char *const keys[] = {"id", "old", "new", NULL};
	struct urec u = {0};
	const char *id, *old, *new;
	size_t oldlen, newlen;
	int rc;

	*out = NULL;
	if ((rc = need_caller(who, err)) || (rc = plat_only_keys(in, keys, err)) ||
	    (rc = req_name(in, "id", PLAT_USER_MAX, &id, err)) ||
	    (rc = get_password(in, "old", 0, &old, &oldlen, err)) ||
	    (rc = get_password(in, "new", 1, &new, &newlen, err)))
		return rc;
	if (strcmp(id, who->user)) {
		if ((rc = target_load(p, who, id, 0, &u, err)) == 0)
			rc = plat_fail(err, CU_EPERM, "only the user itself changes its password");
		urec_free(&u);
		return rc;
	}
	if ((rc = urec_load(p, id, &u, err)))
		return rc;
	rc = pw_verify(u.hash, old, oldlen);
	if (rc == CU_EAUTH || rc == CU_EFORMAT)
		rc = plat_fail(err, CU_EAUTH, "the old password is wrong");
	else if (rc)
		rc = plat_fail(err, rc, "could not check the password: %s", cu_strerror(rc));
	if (rc == 0 && (rc = set_password(p, id, &u, new, newlen, err)) == 0 &&
	    !(*out = json_pack("{s:s}", "id", id)))
		rc = plat_fail(err, CU_ENOMEM, "out of memory");
	urec_free(&u);
	return rc;
}

int op_user_reset(struct platform *p, const struct plat_caller *who, const json_t *in, json_t **out,
                  struct plat_error *err)
{
	static const char *const keys[] = {"id", NULL};
	char pw[PLAT_PASSWORD_GEN + 1];
	struct urec u = {0};
	const char *id;
	int rc;

	*out = NULL;
	if ((rc = need_caller(who, err)) || (rc = plat_only_keys(in, keys, err)) ||
	    (rc = req_name(in, "id", PLAT_USER_MAX, &id, err)) ||
	    (rc = target_load(p, who, id, 1, &u, err)))
		return rc;
	if ((rc = random_password(pw, sizeof(pw))))
		rc = plat_fail(err, rc, "could not make a password: %s", cu_strerror(rc));
	else if ((rc = set_password(p, id, &u, pw, strlen(pw), err)) == 0 &&
	         !(*out = json_pack("{s:s,s:s}", "id", id, "password", pw)))
		rc = plat_fail(err, CU_ENOMEM, "out of memory");
	cu_wipe(pw, sizeof(pw));
	urec_free(&u);
	return rc;
}

/* ---- delete ---- */

struct deletion {
	const struct plat_caller *who;
	const char *id;
};

static int delete_txn(struct platform *p, void *arg, struct plat_error *err)
{
	const struct deletion *d = arg;
	struct urec u = {0};
	int rc;

	if ((rc = target_load(p, d->who, d->id, 1, &u, err)))
		return rc;
	urec_free(&u);
	if (!strcmp(d->who->user, d->id))
		return plat_fail(err, CU_ESTATE, "the platform-admin may not delete itself");
	if ((rc = st_delete(p->st, PLAT_T_USERS, d->id)))
		return plat_fail(err, rc, "could not delete user \"%s\": %s", d->id,
		                 cu_strerror(rc));
	return 0;
}

int op_user_delete(struct platform *p, const struct plat_caller *who, const json_t *in,
                   json_t **out, struct plat_error *err)
{
	static const char *const keys[] = {"id", NULL};
	struct deletion d = {who, NULL};
	int rc;

	*out = NULL;
	if ((rc = need_caller(who, err)) || (rc = plat_only_keys(in, keys, err)) ||
	    (rc = req_name(in, "id", PLAT_USER_MAX, &d.id, err)) ||
	    (rc = in_transaction(p, delete_txn, &d, err)))
		return rc;
	if (!(*out = json_pack("{s:s}", "id", d.id)))
		return plat_fail(err, CU_ENOMEM, "out of memory");
	return 0;
}

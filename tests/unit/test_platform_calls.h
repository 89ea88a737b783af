/*
 * test_platform_calls.h - for tests of a platform opened with plat_open():
 * run an operation by name as its caller and check its result in one line,
 * read a string member, log in as custosd does.
 *
 * Include after <cmocka.h>.
 */
#ifndef CUSTOS_TEST_PLATFORM_CALLS_H
#define CUSTOS_TEST_PLATFORM_CALLS_H

#include <jansson.h>
#include <stdio.h>

#include "common/err.h"
#include "platform/platform.h"

/* Run the named operation for who (NULL: no token); assert rc; return the response. */
static inline json_t *tp_call(struct platform *p, const char *op, const struct plat_caller *who,
                              int want, json_t *in)
{
	const struct plat_op *o = plat_op_find(op);
	struct plat_error err = {{0}};
	json_t *out = NULL;
	int rc;

	assert_non_null(o);
	assert_non_null(in);
	rc = plat_call(p, o, who, in, &out, &err);
	json_decref(in);
	if (rc != want)
		fail_msg("%s by %s: %s (%s), expected %s", op, who ? who->user : "-",
		         cu_errname(rc), err.message, cu_errname(want));
	if (rc)
		assert_true(err.message[0] != '\0');
	return out;
}

/* The string member k of o, which must be there. */
static inline const char *tp_sget(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	assert_non_null(s);
	return s;
}

/* The "id" of a response, which is freed. */
static inline void tp_id_of(json_t *out, char *id)
{
	snprintf(id, PLAT_ID_MAX + 1, "%s", tp_sget(out, "id"));
	json_decref(out);
}

/* Log in through the operation and authenticate the token as custosd does. */
static inline struct plat_caller tp_login(struct platform *p, const char *user, const char *pw)
{
	json_t *out =
	    tp_call(p, "user.login", NULL, 0, json_pack("{s:s,s:s}", "user", user, "password", pw));
	struct plat_caller who;
	struct plat_error err;

	assert_int_equal(plat_authenticate(p, tp_sget(out, "token"), &who, &err), 0);
	assert_string_equal(who.user, user);
	json_decref(out);
	return who;
}

#endif

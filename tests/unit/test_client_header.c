/*
 * Unit test: the public header stands by itself. It is included first,
 * before any system header, and the test uses only what it declares (the
 * custos-client-example program, built as pedantic C99 against
 * libcustos.so, proves the same for the shared library).
 */
#include <custos/custos.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

static void test_types_and_constants(void **state)
{
	struct custos_trust t;
	struct custos_function_spec f;
	struct custos_task_spec ts;
	struct custos_crypto cr;
	char id[CUSTOS_ID_MAX];

	(void)state;
	memset(&t, 0, sizeof(t));
	memset(&f, 0, sizeof(f));
	memset(&ts, 0, sizeof(ts));
	memset(&cr, 0, sizeof(cr));
	memset(id, 'x', sizeof(id));
	assert_int_equal(CUSTOS_ID_MAX, 128);
	assert_int_equal(CUSTOS_DIGEST_HEXLEN, 64);
	assert_string_equal(CUSTOS_DEFAULT_ROLE, "control");
	assert_true(CUSTOS_FN_QUOTA != CUSTOS_FN_ALLOW);
	/* Every error code is negative and distinct, with a name and a sentence. */
	for (int e = CUSTOS_EPROTO; e < 0; e++) {
		assert_non_null(custos_strerror(e));
		assert_string_not_equal(custos_error_code(e), "unknown");
		for (int g = e + 1; g < 0; g++)
			assert_string_not_equal(custos_error_code(e), custos_error_code(g));
	}
	assert_string_equal(custos_error_code(-99), "unknown");
}

static void test_client_lifecycle(void **state)
{
	struct custos_client *c = custos_client_new();
	char id[CUSTOS_ID_MAX], *json = (char *)1;

	(void)state;
	assert_non_null(c);
	assert_string_equal(custos_last_error(c), "");
	assert_null(custos_token(c));
	assert_int_equal(custos_set_token(c, "abc"), 0);
	assert_string_equal(custos_token(c), "abc");
	assert_int_equal(custos_set_token(c, NULL), 0);
	assert_null(custos_token(c));
	/* Nothing goes out before custos_connect. */
	assert_int_equal(custos_user_list(c, &json), CUSTOS_ESTATE);
	assert_null(json);
	assert_int_equal(custos_user_register(c, "u", "data-owner", NULL, "pw", id), CUSTOS_ESTATE);
	assert_string_equal(id, "");
	custos_client_free(c);
	custos_client_free(NULL);
	custos_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_types_and_constants),
	    cmocka_unit_test(test_client_lifecycle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests: echo, ordered-set-intersect, ordered-set-join, password-check
 * and private-join-and-compute: exact outputs for good inputs, a clear
 * reason for each kind of bad input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/err.h"
#include "functions_test_util.h"

static void test_echo(void **state)
{
	struct tctx t;

	(void)state;
	t_init(&t);
	t_arg(&t, "message", "Hello Custos!");
	assert_int_equal(t_run(&t, "echo"), 0);
	assert_string_equal(t.c.result, "Hello Custos!");
	t_init(&t);
	assert_int_equal(t_run(&t, "echo"), CU_EINVAL);
	assert_string_equal(t.c.reason, "echo needs the argument \"message\"");
}

/* Run ordered-set-intersect on two lists; 0 or the error. */
static int osi(struct tctx *t, const char *a, const char *b, const char *order)
{
	t_init(t);
	t_in(t, "input_data1", a);
	t_in(t, "input_data2", b);
	t_out(t, "output_result1", 1 << 20);
	t_out(t, "output_result2", 1 << 20);
	if (order)
		t_arg(t, "order", order);
	return t_run(t, "ordered-set-intersect");
}

static void test_intersect(void **state)
{
	struct tctx t;

	(void)state;
	assert_int_equal(osi(&t, "01\n03\n05\n07\n09\n0b\n0d\n", "02\n03\n07\n08\n0b\n", NULL), 0);
	assert_true(t_out_is(&t, "output_result1", "0101010"));
	assert_true(t_out_is(&t, "output_result2", "01101"));
	assert_string_equal(t.c.result, "3 common items");
	t_free(&t);
	/* CRLF, no final line break, explicit order. */
	assert_int_equal(osi(&t, "apple\r\nbanana\r\ncherry", "banana\ncherry\n", "ascending"), 0);
	assert_true(t_out_is(&t, "output_result1", "011"));
	assert_true(t_out_is(&t, "output_result2", "11"));
	t_free(&t);
	/* Descending, and Teaclave's spelling of it. */
	assert_int_equal(
	    osi(&t, "0d\n0b\n09\n07\n05\n03\n01\n", "0b\n08\n07\n03\n02\n", "descending"), 0);
	assert_true(t_out_is(&t, "output_result1", "0101010"));
	assert_true(t_out_is(&t, "output_result2", "10110"));
	t_free(&t);
	assert_int_equal(osi(&t, "b\na\n", "b\n", "desending"), 0);
	assert_true(t_out_is(&t, "output_result1", "10"));
	t_free(&t);
	/* Empty lists: empty outputs, still written. */
	assert_int_equal(osi(&t, "", "a\n", NULL), 0);
	assert_true(t_out_is(&t, "output_result1", ""));
	assert_true(t_out_is(&t, "output_result2", "0"));
	assert_string_equal(t.c.result, "0 common items");
	t_free(&t);
}

static void test_intersect_bad(void **state)
{
	static const struct {
		const char *a, *b, *order;
		int rc;
		const char *why;
	} cases[] = {
	    {"03\n01\n", "01\n", NULL, CU_EFORMAT,
	     "\"input_data1\" is not sorted in ascending order (line 2)"},
	    {"01\n", "01\n03\n02\n", NULL, CU_EFORMAT,
	     "\"input_data2\" is not sorted in ascending order (line 3)"},
	    {"01\n03\n", "01\n", "descending", CU_EFORMAT,
	     "\"input_data1\" is not sorted in descending order (line 2)"},
	    {"01\n01\n", "01\n", NULL, CU_EFORMAT,
	     "line 2 of \"input_data1\" repeats the line before it"},
	    {"01\n\n03\n", "01\n", NULL, CU_EFORMAT, "line 2 of \"input_data1\" is empty"},
	    {"01\n", "01\n", "random", CU_EINVAL,
	     "the argument \"order\" must be \"ascending\" or \"descending\""},
	};
	struct tctx t;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(osi(&t, cases[i].a, cases[i].b, cases[i].order), cases[i].rc);
		assert_string_equal(t.c.reason, cases[i].why);
		t_free(&t);
	}
	t_init(&t);
	t_in(&t, "input_data1", "a\n");
	assert_int_equal(t_run(&t, "ordered-set-intersect"), CU_EINVAL);
	/* An output over its limit. */
	t_init(&t);
	t_in(&t, "input_data1", "a\nb\nc\n");
	t_in(&t, "input_data2", "a\n");
	t_out(&t, "output_result1", 2);
	t_out(&t, "output_result2", 2);
	assert_int_equal(t_run(&t, "ordered-set-intersect"), CU_ELIMIT);
	t_free(&t);
}

static int join(struct tctx *t, const char *a, const char *b, const char *l, const char *r,
                const char *asc, const char *drop)
{
	t_init(t);
	t_in(t, "input_data1", a);
	t_in(t, "input_data2", b);
	t_out(t, "output_result", 1 << 20);
	if (l)
		t_arg(t, "left_column", l);
	if (r)
		t_arg(t, "right_column", r);
	if (asc)
		t_arg(t, "ascending", asc);
	if (drop)
		t_arg(t, "drop", drop);
	return t_run(t, "ordered-set-join");
}

static void test_join(void **state)
{
	static const char a[] = "1,alice,x\n2,bob,y\n4,\"dan, jr\",z\n";
	static const char b[] = "b1,2\nb2,3\nb3,4\n";
	struct tctx t;

	(void)state;
	assert_int_equal(join(&t, a, b, "0", "1", NULL, NULL), 0);
	assert_true(t_out_is(&t, "output_result", "2,bob,y,b1\n4,\"dan, jr\",z,b3\n"));
	assert_string_equal(t.c.result, "2 records");
	t_free(&t);
	assert_int_equal(join(&t, a, b, "0", "1", "true", "true"), 0);
	assert_true(t_out_is(&t, "output_result", "bob,y,b1\n\"dan, jr\",z,b3\n"));
	t_free(&t);
	/* Keys in the last column, descending. */
	assert_int_equal(join(&t, "z,9\ny,5\nx,1\n", "9,p\n7,q\n1,r\n", "1", "0", "false", NULL),
	                 0);
	assert_true(t_out_is(&t, "output_result", "z,9,p\nx,1,r\n"));
	t_free(&t);
	/* Single-column files: the key alone, or nothing left but an empty field. */
	assert_int_equal(join(&t, "a\nb\n", "b\nc\n", "0", "0", NULL, NULL), 0);
	assert_true(t_out_is(&t, "output_result", "b\n"));
	t_free(&t);
	assert_int_equal(join(&t, "a\nb\n", "b\nc\n", "0", "0", NULL, "true"), 0);
	assert_true(t_out_is(&t, "output_result", "\"\"\n"));
	t_free(&t);
	/* No common key. */
	assert_int_equal(join(&t, "a,1\n", "b,2\n", "0", "0", NULL, NULL), 0);
	assert_true(t_out_is(&t, "output_result", ""));
	assert_string_equal(t.c.result, "0 records");
	t_free(&t);
}

static void test_join_bad(void **state)
{
	static const struct {
		const char *a, *b, *l, *r;
		int rc;
		const char *why;
	} cases[] = {
	    {"2,a\n1,b\n", "1,x\n", "0", "0", CU_EFORMAT,
	     "\"input_data1\" is not sorted by column 0 in ascending order (record 2)"},
	    {"1,a\n1,b\n", "1,x\n", "0", "0", CU_EFORMAT,
	     "record 2 of \"input_data1\" repeats the key before it"},
	    {"1,a\n2\n", "1,x\n", "0", "0", CU_EFORMAT,
	     "\"input_data1\" is not valid CSV: record 2: 1 fields where the first record has 2"},
	    {"1,a\n", "\"1,x\n", "0", "0", CU_EFORMAT,
	     "\"input_data2\" is not valid CSV: record 1: a quoted field is not terminated"},
	    {"1,a\n", "1,x\n", "2", "0", CU_EINVAL, "\"input_data1\" has no column 2 (it has 2)"},
	    {"1,a\n", "1,x\n", "-1", "0", CU_EINVAL,
	     "the argument \"left_column\" must be a decimal number"},
	    {"1,a\n", "1,x\n", "0", NULL, CU_EINVAL,
	     "ordered-set-join needs the arguments \"left_column\" and \"right_column\""},
	    {"", "1,x\n", "0", "0", CU_EFORMAT, "\"input_data1\" is empty"},
	};
	struct tctx t;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    join(&t, cases[i].a, cases[i].b, cases[i].l, cases[i].r, NULL, NULL),
		    cases[i].rc);
		assert_string_equal(t.c.reason, cases[i].why);
		t_free(&t);
	}
	assert_int_equal(join(&t, "1\n", "1\n", "0", "0", "yes", NULL), CU_EINVAL);
	assert_string_equal(t.c.reason, "the argument \"ascending\" must be \"true\" or \"false\"");
	t_free(&t);
}

static int pwcheck(struct tctx *t, const char *pw, const char *list)
{
	t_init(t);
	if (pw)
		t_in(t, "password", pw);
	if (list)
		t_in(t, "exposed_passwords", list);
	return t_run(t, "password-check");
}

static void test_password(void **state)
{
	static const char list[] = "123456\r\npassword\n  qwerty  \n\nletmein";
	struct tctx t;

	(void)state;
	assert_int_equal(pwcheck(&t, "qwerty\n", list), 0);
	assert_string_equal(t.c.result, "true");
	assert_int_equal(pwcheck(&t, " letmein \n\n", list), 0);
	assert_string_equal(t.c.result, "true");
	assert_int_equal(pwcheck(&t, "123456", list), 0);
	assert_string_equal(t.c.result, "true");
	assert_int_equal(pwcheck(&t, "Qwerty", list), 0);
	assert_string_equal(t.c.result, "false");
	assert_int_equal(pwcheck(&t, "qwert", list), 0);
	assert_string_equal(t.c.result, "false");
	assert_int_equal(pwcheck(&t, "x", ""), 0);
	assert_string_equal(t.c.result, "false");

	assert_int_equal(pwcheck(&t, "", list), CU_EFORMAT);
	assert_string_equal(t.c.reason, "the input \"password\" is empty");
	assert_int_equal(pwcheck(&t, "  \nabc", list), CU_EFORMAT);
	assert_string_equal(t.c.reason, "the first line of the input \"password\" is empty");
	assert_int_equal(pwcheck(&t, "abc\ndef\n", list), CU_EFORMAT);
	assert_string_equal(t.c.reason, "the input \"password\" must hold one line");
	assert_int_equal(pwcheck(&t, "abc", NULL), CU_EINVAL);
	assert_string_equal(t.c.reason, "password-check needs the inputs \"password\" and "
	                                "\"exposed_passwords\"");
}

static int pjc(struct tctx *t, const char *const *in, size_t n, const char *num)
{
	static const char *const ins[] = {"input_data0", "input_data1", "input_data2",
	                                  "input_data3"};
	static const char *const outs[] = {"output_data0", "output_data1", "output_data2",
	                                   "output_data3"};

	t_init(t);
	for (size_t i = 0; i < n; i++) {
		t_in(t, ins[i], in[i]);
		t_out(t, outs[i], 1 << 20);
	}
	if (num)
		t_arg(t, "num_user", num);
	return t_run(t, "private-join-and-compute");
}

static void test_pjc(void **state)
{
	static const char *const banks[] = {"alice:10\nbob:20\ncarol:30\n",
	                                    "bob : 5\r\ncarol: 7\ndave:1\n", "carol,100\n\nbob,1"};
	static const char want[] = "bob, 26\ncarol, 137\n";
	struct tctx t;

	(void)state;
	assert_int_equal(pjc(&t, banks, 3, NULL), 0);
	assert_true(t_out_is(&t, "output_data0", want));
	assert_true(t_out_is(&t, "output_data1", want));
	assert_true(t_out_is(&t, "output_data2", want));
	assert_string_equal(t.c.result, "2 common identifiers");
	t_free(&t);
	/* num_user 2: only the first two banks. */
	assert_int_equal(pjc(&t, banks, 3, "2"), 0);
	assert_true(t_out_is(&t, "output_data0", "bob, 25\ncarol, 37\n"));
	t_free(&t);
}

static void test_pjc_bad(void **state)
{
	static const struct {
		const char *in[3];
		const char *num;
		int rc;
		const char *why;
	} cases[] = {
	    {{"a:1\n", "b\n", "a:1\n"},
	     NULL,
	     CU_EFORMAT,
	     "line 1 of \"input_data1\" is not \"id:amount\""},
	    {{"a:1\n", "a:x\n", "a:1\n"},
	     NULL,
	     CU_EFORMAT,
	     "line 1 of \"input_data1\" has no valid amount (an unsigned decimal number)"},
	    {{"a:1\n", "a:-1\n", "a:1\n"},
	     NULL,
	     CU_EFORMAT,
	     "line 1 of \"input_data1\" has no valid amount (an unsigned decimal number)"},
	    {{"a:1\na:2\n", "a:1\n", "a:1\n"},
	     NULL,
	     CU_EFORMAT,
	     "an identifier appears twice in \"input_data0\""},
	    {{"a:18446744073709551615\n", "a:1\n", "a:1\n"},
	     NULL,
	     CU_ELIMIT,
	     "a sum exceeds 2^64 - 1"},
	    {{"a:1\n", "a:1\n", "a:1\n"}, "4", CU_EINVAL, "the input \"input_data3\" is missing"},
	    {{"a:1\n", "a:1\n", "a:1\n"},
	     "1",
	     CU_EINVAL,
	     "private-join-and-compute needs at least two parties (inputs input_data0 and "
	     "input_data1)"},
	};
	struct tctx t;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(pjc(&t, cases[i].in, 3, cases[i].num), cases[i].rc);
		assert_string_equal(t.c.reason, cases[i].why);
		t_free(&t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_echo),          cmocka_unit_test(test_intersect),
	    cmocka_unit_test(test_intersect_bad), cmocka_unit_test(test_join),
	    cmocka_unit_test(test_join_bad),      cmocka_unit_test(test_password),
	    cmocka_unit_test(test_pjc),           cmocka_unit_test(test_pjc_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

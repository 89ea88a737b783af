/*
 * test_worker_image.c - the builtin image-classification: a hand-built
 * model (Flatten, Gemm: class j scores pixel j) with its metadata, IDX
 * batches, the CSV it writes, each malformed input refused with its
 * reason, and a run in the sandbox (the ONNX engine under seccomp).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "functions_test_util.h"
#include "onnx/onnx.h"
#include "onnx_test_util.h"
#include "worker/sandbox.h"

/* An IDX3 file of n 2x2 images, image i brightest at pixel i % 4 (pixel 3: no class). */
static size_t make_idx(uint8_t *buf, uint32_t n)
{
	static const uint8_t hdr[] = {0, 0, 8, 3};
	size_t off = 0;

	memcpy(buf, hdr, 4);
	off = 4;
	for (int d = 0; d < 3; d++) {
		uint32_t v = d ? 2 : n;

		buf[off++] = (uint8_t)(v >> 24), buf[off++] = (uint8_t)(v >> 16);
		buf[off++] = (uint8_t)(v >> 8), buf[off++] = (uint8_t)v;
	}
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t p = 0; p < 4; p++)
			buf[off++] = p == i % 3 ? 200 : (uint8_t)(10 + p);
	return off;
}

static int classify(struct tctx *t, const struct pb *model, const uint8_t *idx, size_t len,
                    const char *top_k)
{
	t_init(t);
	t_in_n(t, "model", model->b, model->n);
	t_in_n(t, "images", idx, len);
	if (top_k)
		t_arg(t, "top_k", top_k);
	t_out(t, "labels", 1 << 20);
	return t_run(t, "image-classification");
}

static void test_classify(void **state)
{
	struct pb *m = pb_pixel_classifier("scale=0.5;mean=1;std=2", "tee,shirt,coat");
	uint8_t idx[4 + 12 + 40 * 4];
	size_t n = make_idx(idx, 40);
	struct tctx t;
	struct fn_output *o;

	(void)state;
	assert_int_equal(classify(&t, m, idx, n, NULL), 0);
	assert_string_equal(t.c.result, "40 images classified");
	o = fn_output(&t.c, "labels");
	/* (200 * 0.5 - 1) / 2 = 49.5; the others (b * 0.5 - 1) / 2 */
	assert_true(o->len > 20 && !memcmp(o->data,
	                                   "image,label1,score1\n0,tee,49.5\n1,shirt,49.5\n"
	                                   "2,coat,49.5\n3,tee,49.5\n",
	                                   56));
	t_free(&t);
	/* top 2, and names from indices when the model has none */
	free(m);
	m = pb_pixel_classifier("scale=1", NULL);
	assert_int_equal(classify(&t, m, idx, n, "2"), 0);
	o = fn_output(&t.c, "labels");
	assert_true(!memcmp(o->data, "image,label1,score1,label2,score2\n0,0,200,2,12\n", 46));
	t_free(&t);
	free(m);
}

static void test_refused(void **state)
{
	static const struct {
		const char *preprocess, *labels, *top_k;
		int idx_case; /* 0 fine, 1 bad magic, 2 truncated, 3 wrong size, 4 wrong dims */
		const char *reason;
	} cases[] = {
	    {NULL, NULL, NULL, 0, "no custos.preprocess"},
	    {"scale=1;gamma=2", NULL, NULL, 0, "unknown or repeated field"},
	    {"scale=1;scale=2", NULL, NULL, 0, "unknown or repeated field"},
	    {"std=0", NULL, NULL, 0, "zero std"},
	    {"mean=1,2", NULL, NULL, 0, "wants a number or 1 numbers"},
	    {"scale=abc", NULL, NULL, 0, "scale wants"},
	    {"scale=1e999", NULL, NULL, 0, "scale wants"},
	    {"scale=1", "a,b", NULL, 0, "names 2 classes for 3 scores"},
	    {"scale=1", "a,\"b\",c", NULL, 0, "holds a quote"},
	    {"scale=1", NULL, "4", 0, "top_k is 4 but the model knows 3 classes"},
	    {"scale=1", NULL, "0", 0, "top_k must be at least 1"},
	    {"scale=1", NULL, "x", 0, "top_k"},
	    {"scale=1", NULL, NULL, 1, "not an IDX file"},
	    {"scale=1", NULL, NULL, 2, "ends inside its header"},
	    {"scale=1", NULL, NULL, 3, "its header says"},
	    {"scale=1", NULL, NULL, 4, "the model takes 2x2"},
	};
	uint8_t idx[64] = {0};
	struct tctx t;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pb *m = pb_pixel_classifier(cases[i].preprocess, cases[i].labels);
		size_t n = make_idx(idx, 5);

		if (cases[i].idx_case == 1)
			idx[3] = 9;
		else if (cases[i].idx_case == 2)
			n = 10;
		else if (cases[i].idx_case == 3)
			n--;
		else if (cases[i].idx_case == 4)
			idx[11] = 3, n = 4 + 12 + 5 * 6; /* 2x3 images */
		if (!classify(&t, m, idx, n, cases[i].top_k) ||
		    !strstr(t.c.reason, cases[i].reason))
			fail_msg("case %zu: \"%s\", not \"%s\"", i, t.c.reason, cases[i].reason);
		t_free(&t);
		free(m);
	}
	/* the model itself malformed: every truncation refused, never a crash */
	struct pb *m = pb_pixel_classifier("scale=1", NULL);
	size_t n = make_idx(idx, 5);

	for (size_t cut = 0; cut < m->n; cut += 7) {
		size_t full = m->n;

		m->n = cut;
		assert_int_not_equal(classify(&t, m, idx, n, NULL), 0);
		assert_true(t.c.reason[0]);
		t_free(&t);
		m->n = full;
	}
	free(m);
}

/* The engine under the sandbox's seccomp and limits. */
static void test_sandboxed(void **state)
{
	struct pb *m = pb_pixel_classifier("scale=1", "a,b,c");
	uint8_t idx[4 + 12 + 100 * 4];
	size_t n = make_idx(idx, 100);
	struct sb_limits lim = {0};
	struct sb_result res;
	struct tctx t;

	(void)state;
	t_init(&t);
	t_in_n(&t, "model", m->b, m->n);
	t_in_n(&t, "images", idx, n);
	t_out(&t, "labels", 1 << 20);
	assert_int_equal(sb_run(fn_find("image-classification")->run, &t.c, &lim, NULL, &res), 0);
	if (res.outcome != SB_OK)
		fail_msg("%s: %s", sb_outcome_name(res.outcome), res.reason);
	assert_string_equal(res.result, "100 images classified");
	assert_true(fn_output(&t.c, "labels")->len > 100);
	t_free(&t);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_classify),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_sandboxed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests: operators on small graphs with hand-computed answers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "onnx/onnx.h"
#include "onnx_test_util.h"

struct init {
	const char *name;
	int32_t dtype;
	uint32_t rank;
	int64_t dims[4];
	const void *data;
	size_t bytes;
};

static const float seq9[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const float ones[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
static const float mones[4] = {-1, -1, -1, -1};

/*
 * Run the graph of nodes (NodeProtos appended in g) on input x with the
 * initializers; compare output y with want (n values) and its dims.
 */
static void run(int64_t opset, struct pb *g, const struct init *inits, size_t ni,
                const struct onnx_tensor *x, const float *want, uint64_t n, uint32_t rank,
                const int64_t *dims)
{
	struct pb *m = pb_new();
	struct onnx_model *model = NULL;
	struct onnx_session *s = NULL;
	struct onnx_tensor out[1];
	char why[512] = "";

	for (size_t i = 0; i < ni; i++)
		pb_tensor(g, 5, inits[i].name, inits[i].dtype, inits[i].dims, inits[i].rank,
		          inits[i].data, inits[i].bytes);
	pb_value_info(g, 11, "x", x->dtype, x->dims, (int)x->rank);
	pb_value_info(g, 12, "y", ONNX_FLOAT, NULL, -1);
	pb_model(m, opset, g);
	if (onnx_model_load(m->b, m->n, NULL, &model, why, sizeof(why)) != 0)
		fail_msg("load: %s", why);
	assert_int_equal(onnx_session_new(model, 1, &s), 0);
	if (onnx_session_run(s, x, 1, out, 1, why, sizeof(why)) != 0)
		fail_msg("run: %s", why);
	assert_int_equal(out[0].rank, rank);
	for (uint32_t i = 0; i < rank; i++)
		assert_int_equal(out[0].dims[i], dims[i]);
	assert_int_equal(onnx_tensor_count(&out[0]), n);
	for (uint64_t i = 0; i < n; i++)
		if (!(((const float *)out[0].data)[i] - want[i] < 1e-5f &&
		      want[i] - ((const float *)out[0].data)[i] < 1e-5f))
			fail_msg("y[%llu] = %g, want %g", (unsigned long long)i,
			         ((const float *)out[0].data)[i], want[i]);
	onnx_session_free(s);
	onnx_model_free(model);
	free(m);
}

static struct onnx_tensor img(const float *d, int64_t c)
{
	struct onnx_tensor t = {ONNX_FLOAT, 4, {1, c, 3, 3}, (void *)(uintptr_t)d};
	return t;
}

static void test_conv(void **state)
{
	struct pb *g = pb_new(), *n = pb_new();
	struct init w = {"W", ONNX_FLOAT, 4, {1, 1, 2, 2}, ones, 16};
	struct init w3 = {"W", ONNX_FLOAT, 4, {1, 1, 3, 3}, ones, 36};
	struct onnx_tensor x = img(seq9, 1);
	const float want[4] = {12, 16, 24, 28};
	const int64_t d[4] = {1, 1, 2, 2}, pads[4] = {1, 1, 1, 1}, strides[2] = {2, 2};

	(void)state;
	pb_node_begin(n, "Conv", "x W", "y");
	pb_sub(g, 1, n);
	run(13, g, &w, 1, &x, want, 4, 4, d);
	/* 3x3 kernel, pads 1, stride 2 reads the same windows */
	g->n = 0;
	pb_node_begin(n, "Conv", "x W", "y");
	pb_attr_ints(n, "pads", pads, 4);
	pb_attr_ints(n, "strides", strides, 2);
	pb_sub(g, 1, n);
	run(13, g, &w3, 1, &x, want, 4, 4, d);
	/* auto_pad SAME_UPPER, 2x2 kernel, stride 1: the padding goes at the end */
	g->n = 0;
	pb_node_begin(n, "Conv", "x W", "y");
	pb_attr_str(n, "auto_pad", "SAME_UPPER");
	pb_sub(g, 1, n);
	const float want_su[9] = {12, 16, 9, 24, 28, 15, 15, 17, 9};
	const int64_t d3[4] = {1, 1, 3, 3};
	run(13, g, &w, 1, &x, want_su, 9, 4, d3);
	free(g);
	free(n);
}

static void test_depthwise_and_groups(void **state)
{
	struct pb *g = pb_new(), *n = pb_new();
	float in[18];
	const float bias[2] = {0, 100};
	struct init inits[2] = {{"W", ONNX_FLOAT, 4, {2, 1, 2, 2}, ones, 32},
	                        {"B", ONNX_FLOAT, 1, {2}, bias, 8}};
	const float want[8] = {12, 16, 24, 28, 104, 104, 104, 104};
	const int64_t d[4] = {1, 2, 2, 2};

	(void)state;
	memcpy(in, seq9, sizeof(seq9));
	for (int i = 9; i < 18; i++)
		in[i] = 1;
	struct onnx_tensor x = img(in, 2);
	pb_node_begin(n, "Conv", "x W B", "y");
	pb_attr_int(n, "group", 2);
	pb_sub(g, 1, n);
	run(13, g, inits, 2, &x, want, 8, 4, d);
	free(g);
	free(n);
}

static void test_conv_fused_activation(void **state)
{
	struct pb *g = pb_new(), *n = pb_new();
	const float lo = -20, hi = -13;
	struct init inits[3] = {{"W", ONNX_FLOAT, 4, {1, 1, 2, 2}, mones, 16},
	                        {"lo", ONNX_FLOAT, 0, {0}, &lo, 4},
	                        {"hi", ONNX_FLOAT, 0, {0}, &hi, 4}};
	struct onnx_tensor x = img(seq9, 1);
	const float zeros[4] = {0}, clipped[4] = {-13, -16, -20, -20};
	const int64_t d[4] = {1, 1, 2, 2};

	(void)state;
	pb_node_begin(n, "Conv", "x W", "c");
	pb_sub(g, 1, n);
	pb_node_begin(n, "Relu", "c", "y");
	pb_sub(g, 1, n);
	run(13, g, inits, 1, &x, zeros, 4, 4, d);
	g->n = 0;
	pb_node_begin(n, "Conv", "x W", "c");
	pb_sub(g, 1, n);
	pb_node_begin(n, "Clip", "c lo hi", "y");
	pb_sub(g, 1, n);
	run(13, g, inits, 3, &x, clipped, 4, 4, d);
	free(g);
	free(n);
}

static void test_pools(void **state)
{
	struct pb *g = pb_new(), *n = pb_new();
	struct onnx_tensor x = img(seq9, 1);
	const int64_t k2[2] = {2, 2}, s2[2] = {2, 2}, s1[2] = {1, 1}, p1[4] = {1, 1, 1, 1};
	const int64_t d[4] = {1, 1, 2, 2}, d1[4] = {1, 1, 1, 1};
	const float wmax[4] = {5, 6, 8, 9}, winc[4] = {0.25f, 1.25f, 2.75f, 7};
	const float wexc[4] = {1, 2.5f, 5.5f, 7}, wgap[1] = {5};

	(void)state;
	pb_node_begin(n, "MaxPool", "x", "y");
	pb_attr_ints(n, "kernel_shape", k2, 2);
	pb_attr_ints(n, "strides", s1, 2);
	pb_sub(g, 1, n);
	run(13, g, NULL, 0, &x, wmax, 4, 4, d);
	for (int inc = 0; inc < 2; inc++) {
		g->n = 0;
		pb_node_begin(n, "AveragePool", "x", "y");
		pb_attr_ints(n, "kernel_shape", k2, 2);
		pb_attr_ints(n, "strides", s2, 2);
		pb_attr_ints(n, "pads", p1, 4);
		pb_attr_int(n, "count_include_pad", inc);
		pb_sub(g, 1, n);
		run(13, g, NULL, 0, &x, inc ? winc : wexc, 4, 4, d);
	}
	g->n = 0;
	pb_node_begin(n, "GlobalAveragePool", "x", "y");
	pb_sub(g, 1, n);
	run(13, g, NULL, 0, &x, wgap, 1, 4, d1);
	free(g);
	free(n);
}

static void test_softmax_opsets(void **state)
{
	struct pb *g = pb_new(), *n = pb_new();
	const float z[4] = {0}, q[4] = {0.25f, 0.25f, 0.25f, 0.25f},
	            h[4] = {0.5f, 0.5f, 0.5f, 0.5f};
	struct onnx_tensor x = {ONNX_FLOAT, 3, {1, 2, 2}, (void *)(uintptr_t)z};
	const int64_t d[3] = {1, 2, 2};

	(void)state;
	pb_node_begin(n, "Softmax", "x", "y");
	pb_sub(g, 1, n);
	run(11, g, NULL, 0, &x, q, 4, 3, d); /* axis 1: the last two dims together */
	g->n = 0;
	pb_node_begin(n, "Softmax", "x", "y");
	pb_sub(g, 1, n);
	run(13, g, NULL, 0, &x, h, 4, 3, d); /* axis -1 alone */
	free(g);
	free(n);
}

static void test_gemm_matmul_add(void **state)
{
	struct pb *g = pb_new(), *n = pb_new();
	const float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {10, 20, 30}, eye[4] = {1, 0, 0, 2};
	struct init ib = {"B", ONNX_FLOAT, 1, {3}, b, 12},
	            ie = {"E", ONNX_FLOAT, 2, {2, 2}, eye, 16};
	struct init ig[2] = {{"W", ONNX_FLOAT, 2, {3, 3}, ones, 36},
	                     {"C", ONNX_FLOAT, 1, {3}, b, 12}};
	struct onnx_tensor x = {ONNX_FLOAT, 2, {2, 3}, (void *)(uintptr_t)a};
	struct onnx_tensor x4 = {ONNX_FLOAT, 4, {1, 1, 3, 2}, (void *)(uintptr_t)a};
	const float wadd[6] = {11, 22, 33, 14, 25, 36}, wmm[6] = {1, 4, 3, 8, 5, 12};
	const float wg[6] = {2 * 6 + 10,  2 * 6 + 20,  2 * 6 + 30,
	                     2 * 15 + 10, 2 * 15 + 20, 2 * 15 + 30};
	const int64_t d[2] = {2, 3}, d4[4] = {1, 1, 3, 2};

	(void)state;
	pb_node_begin(n, "Add", "x B", "y");
	pb_sub(g, 1, n);
	run(13, g, &ib, 1, &x, wadd, 6, 2, d);
	g->n = 0;
	pb_node_begin(n, "MatMul", "x E", "y");
	pb_sub(g, 1, n);
	run(13, g, &ie, 1, &x4, wmm, 6, 4, d4);
	g->n = 0;
	pb_node_begin(n, "Gemm", "x W C", "y");
	pb_attr_float(n, "alpha", 2.0f);
	pb_attr_int(n, "transB", 1);
	pb_sub(g, 1, n);
	run(13, g, ig, 2, &x, wg, 6, 2, d);
	free(g);
	free(n);
}

static void test_shape_arithmetic(void **state)
{
	/* x[2,3] -> Shape -> Gather(0) -> Unsqueeze -> Concat(-1) -> Reshape(x): torch's flatten */
	struct pb *g = pb_new(), *n = pb_new();
	const float a[6] = {1, 2, 3, 4, 5, 6};
	const int64_t zero = 0, minus1 = -1, ax0 = 0;
	struct init inits[3] = {{"i0", ONNX_INT64, 0, {0}, &zero, 8},
	                        {"m1", ONNX_INT64, 1, {1}, &minus1, 8},
	                        {"ax", ONNX_INT64, 1, {1}, &ax0, 8}};
	struct onnx_tensor x = {ONNX_FLOAT, 2, {2, 3}, (void *)(uintptr_t)a};
	const int64_t d[2] = {2, 3};

	(void)state;
	pb_node_begin(n, "Shape", "x", "s");
	pb_sub(g, 1, n);
	pb_node_begin(n, "Gather", "s i0", "b");
	pb_sub(g, 1, n);
	pb_node_begin(n, "Unsqueeze", "b ax", "bu");
	pb_sub(g, 1, n);
	pb_node_begin(n, "Concat", "bu m1", "shape");
	pb_attr_int(n, "axis", 0);
	pb_sub(g, 1, n);
	pb_node_begin(n, "Reshape", "x shape", "y");
	pb_sub(g, 1, n);
	run(13, g, inits, 3, &x, a, 6, 2, d);
	free(g);
	free(n);
}

static void test_data_movement(void **state)
{
	struct pb *g = pb_new(), *n = pb_new();
	const float a[6] = {1, 2, 3, 4, 5, 6}, three[3] = {1, 2, 3};
	const int64_t pads[4] = {0, 2, 0, 1}, idx[2] = {2, -3}, sq[1] = {0};
	struct init ip = {"p", ONNX_INT64, 1, {4}, pads, 32},
	            ii = {"i", ONNX_INT64, 1, {2}, idx, 16};
	struct onnx_tensor x = {ONNX_FLOAT, 2, {2, 3}, (void *)(uintptr_t)a};
	struct onnx_tensor x3 = {ONNX_FLOAT, 2, {1, 3}, (void *)(uintptr_t)three};
	const float wt[6] = {1, 4, 2, 5, 3, 6}, wp[6] = {3, 2, 1, 2, 3, 2}, wg[4] = {3, 1, 6, 4};
	const int64_t dt[2] = {3, 2}, dp[2] = {1, 6}, dg[2] = {2, 2}, ds[1] = {3};

	(void)state;
	pb_node_begin(n, "Transpose", "x", "y");
	pb_sub(g, 1, n);
	run(13, g, NULL, 0, &x, wt, 6, 2, dt);
	g->n = 0;
	pb_node_begin(n, "Pad", "x p", "y");
	pb_attr_str(n, "mode", "reflect");
	pb_sub(g, 1, n);
	run(13, g, &ip, 1, &x3, wp, 6, 2, dp);
	g->n = 0;
	pb_node_begin(n, "Gather", "x i", "y");
	pb_attr_int(n, "axis", 1);
	pb_sub(g, 1, n);
	run(13, g, &ii, 1, &x, wg, 4, 2, dg);
	g->n = 0;
	pb_node_begin(n, "Squeeze", "x", "y");
	pb_attr_ints(n, "axes", sq, 1);
	pb_sub(g, 1, n);
	run(11, g, NULL, 0, &x3, three, 3, 1, ds);
	free(g);
	free(n);
}

static void test_clip_opsets(void **state)
{
	struct pb *g = pb_new(), *n = pb_new();
	const float a[5] = {1, 2, 3, 4, 5}, want[5] = {2, 2, 3, 4, 4};
	struct onnx_tensor x = {ONNX_FLOAT, 1, {5}, (void *)(uintptr_t)a};
	const int64_t d[1] = {5};

	(void)state;
	pb_node_begin(n, "Clip", "x", "y");
	pb_attr_float(n, "min", 2);
	pb_attr_float(n, "max", 4);
	pb_sub(g, 1, n);
	run(6, g, NULL, 0, &x, want, 5, 1, d);
	free(g);
	free(n);
}

static void test_runtime_errors(void **state)
{
	/* Gather with an index out of range fails the run, not the process. */
	struct pb *m = pb_new(), *g = pb_new(), *n = pb_new();
	const float a[3] = {1, 2, 3};
	int64_t bad[1] = {7};
	struct onnx_tensor in[2] = {{ONNX_FLOAT, 1, {3}, (void *)(uintptr_t)a},
	                            {ONNX_INT64, 1, {1}, bad}};
	struct onnx_tensor out[1];
	struct onnx_model *model = NULL;
	struct onnx_session *s = NULL;
	char why[256];
	const int64_t d1[1] = {3}, d2[1] = {1};

	(void)state;
	pb_node_begin(n, "Gather", "x i", "y");
	pb_sub(g, 1, n);
	pb_value_info(g, 11, "x", ONNX_FLOAT, d1, 1);
	pb_value_info(g, 11, "i", ONNX_INT64, d2, 1);
	pb_value_info(g, 12, "y", ONNX_FLOAT, d2, 1);
	pb_model(m, 13, g);
	assert_int_equal(onnx_model_load(m->b, m->n, NULL, &model, why, sizeof(why)), 0);
	assert_int_equal(onnx_session_new(model, 1, &s), 0);
	assert_int_not_equal(onnx_session_run(s, in, 2, out, 1, why, sizeof(why)), 0);
	bad[0] = -1;
	assert_int_equal(onnx_session_run(s, in, 2, out, 1, why, sizeof(why)), 0);
	assert_float_equal(((float *)out[0].data)[0], 3.0f, 0);
	onnx_session_free(s);
	onnx_model_free(model);
	free(m);
	free(g);
	free(n);
}

/* A batch split across threads by images computes exactly what one thread does. */
static void test_batch_threads_agree(void **state)
{
	enum { N = 4, C = 3, M = 5, H = 9, NX = N * C * H * H, NY = N * M * 7 * 7 };
	struct pb *m = pb_new(), *g = pb_new(), *n = pb_new();
	static float x[NX], w[M * C * 9], y1[NY];
	const int64_t xd[4] = {N, C, H, H}, wd[4] = {M, C, 3, 3};
	struct onnx_tensor in = {ONNX_FLOAT, 4, {N, C, H, H}, x}, out[1];
	struct onnx_model *model = NULL;
	char why[256];

	(void)state;
	for (int i = 0; i < NX; i++)
		x[i] = (float)((i * 31) % 17) / 8.0f - 1.0f;
	for (int i = 0; i < M * C * 9; i++)
		w[i] = (float)(i % 7) / 3.0f - 1.0f;
	pb_node_begin(n, "Conv", "x W", "c");
	pb_sub(g, 1, n);
	pb_node_begin(n, "Relu", "c", "y");
	pb_sub(g, 1, n);
	pb_tensor(g, 5, "W", ONNX_FLOAT, wd, 4, w, sizeof(w));
	pb_value_info(g, 11, "x", ONNX_FLOAT, xd, 4);
	pb_value_info(g, 12, "y", ONNX_FLOAT, NULL, -1);
	pb_model(m, 13, g);
	assert_int_equal(onnx_model_load(m->b, m->n, NULL, &model, why, sizeof(why)), 0);
	for (unsigned t = 1; t <= 2; t++) {
		struct onnx_session *s = NULL;
		assert_int_equal(onnx_session_new(model, t, &s), 0);
		assert_int_equal(onnx_session_run(s, &in, 1, out, 1, why, sizeof(why)), 0);
		assert_int_equal(onnx_tensor_count(&out[0]), NY);
		if (t == 1)
			memcpy(y1, out[0].data, sizeof(y1));
		else
			assert_memory_equal(y1, out[0].data, sizeof(y1));
		onnx_session_free(s);
	}
	/* image 3, channel 4, output (2, 5): relu of the 3x3 window sum */
	float want = 0;
	for (int c = 0; c < C; c++)
		for (int a = 0; a < 3; a++)
			for (int b = 0; b < 3; b++)
				want += x[((3 * C + c) * H + 2 + a) * H + 5 + b] *
				        w[((4 * C + c) * 3 + a) * 3 + b];
	assert_float_equal(y1[((3 * M + 4) * 7 + 2) * 7 + 5], want > 0 ? want : 0, 1e-4);
	onnx_model_free(model);
	free(m);
	free(g);
	free(n);
}

/* The threaded depthwise path computes exactly what one thread does. */
static void test_threads_agree(void **state)
{
	enum { C = 8, H = 64, NX = C * H * H };
	struct pb *m = pb_new(), *g = pb_new(), *n = pb_new();
	static float x[NX], w[C * 9], y1[NX];
	const int64_t xd[4] = {1, C, H, H}, wd[4] = {C, 1, 3, 3}, pads[4] = {1, 1, 1, 1};
	struct onnx_tensor in = {ONNX_FLOAT, 4, {1, C, H, H}, x}, out[1];
	struct onnx_model *model = NULL;
	char why[256];

	(void)state;
	for (int i = 0; i < NX; i++)
		x[i] = (float)((i * 7919) % 101) / 50.0f - 1.0f;
	for (int i = 0; i < C * 9; i++)
		w[i] = (float)(i % 5) - 2.0f;
	pb_node_begin(n, "Conv", "x W", "y");
	pb_attr_int(n, "group", C);
	pb_attr_ints(n, "pads", pads, 4);
	pb_sub(g, 1, n);
	pb_tensor(g, 5, "W", ONNX_FLOAT, wd, 4, w, sizeof(w));
	pb_value_info(g, 11, "x", ONNX_FLOAT, xd, 4);
	pb_value_info(g, 12, "y", ONNX_FLOAT, xd, 4);
	pb_model(m, 13, g);
	assert_int_equal(onnx_model_load(m->b, m->n, NULL, &model, why, sizeof(why)), 0);
	for (unsigned t = 1; t <= 2; t++) {
		struct onnx_session *s = NULL;
		assert_int_equal(onnx_session_new(model, t, &s), 0);
		assert_int_equal(onnx_session_run(s, &in, 1, out, 1, why, sizeof(why)), 0);
		if (t == 1)
			memcpy(y1, out[0].data, sizeof(y1));
		else
			assert_memory_equal(y1, out[0].data, sizeof(y1));
		onnx_session_free(s);
	}
	/* an interior output: the 3x3 sum of x times w for channel 0 */
	float want = 0;
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 3; b++)
			want += x[(9 + a) * H + 9 + b] * w[a * 3 + b];
	assert_float_equal(y1[10 * H + 10], want, 1e-4);
	onnx_model_free(model);
	free(m);
	free(g);
	free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conv),
	    cmocka_unit_test(test_depthwise_and_groups),
	    cmocka_unit_test(test_conv_fused_activation),
	    cmocka_unit_test(test_pools),
	    cmocka_unit_test(test_softmax_opsets),
	    cmocka_unit_test(test_gemm_matmul_add),
	    cmocka_unit_test(test_shape_arithmetic),
	    cmocka_unit_test(test_data_movement),
	    cmocka_unit_test(test_clip_opsets),
	    cmocka_unit_test(test_runtime_errors),
	    cmocka_unit_test(test_threads_agree),
	    cmocka_unit_test(test_batch_threads_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

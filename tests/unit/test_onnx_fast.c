/*
 * Unit tests of the engine's fast paths: its own matrix product (sgemm.c)
 * against a plain triple loop, for each kernel this CPU has, over shapes
 * that end inside a tile, a K-block and a column block; the Conv paths
 * built on it (im2col packed from the padded input, strides, dilations,
 * groups, depthwise planes, fused Relu and Clip) against a direct
 * convolution, on one and two threads; MaxPool 2x2 stride 2.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/internal.h"
#include "onnx/onnx.h"
#include "onnx_test_util.h"

static uint32_t rng = 12345;

static float rnd(void)
{
	rng = rng * 1664525u + 1013904223u;
	return (float)(rng >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
}

static void fill(float *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		v[i] = rnd();
}

static bool isa_available(int isa)
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (isa == OX_ISA_AVX512)
		return __builtin_cpu_supports("avx512f");
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
	(void)isa;
	return false;
#endif
}

static float act(float v, enum ox_act a)
{
	if (a == OX_ACT_RELU)
		return v > 0.0f ? v : 0.0f;
	if (a == OX_ACT_CLIP)
		return v < -0.5f ? -0.5f : v > 0.5f ? 0.5f : v;
	return v;
}

/* One product, whole and split in two by row panels and by columns, against the loop. */
static void check_product(int isa, int64_t m, int64_t k, int64_t n, enum ox_act a, bool bias)
{
	float *am = malloc((size_t)(m * k + 1) * sizeof(float));
	float *b = malloc((size_t)(k * n + 1) * sizeof(float));
	float *bv = malloc((size_t)m * sizeof(float));
	float *c = malloc((size_t)(m * n) * sizeof(float));
	float *pa = malloc((ox_gemm_pack_a_floats(isa, m, k) + 1) * sizeof(float));
	float *buf = malloc(ox_gemm_pack_b_floats(isa) * sizeof(float));
	int64_t mr = ox_gemm_mr(isa), panels = (m + mr - 1) / mr;

	assert_non_null(am);
	assert_non_null(b);
	assert_non_null(bv);
	assert_non_null(c);
	assert_non_null(pa);
	assert_non_null(buf);
	fill(am, (size_t)(m * k));
	fill(b, (size_t)(k * n));
	fill(bv, (size_t)m);
	ox_gemm_pack_a(isa, am, m, k, pa);
	struct ox_gemm g = {.isa = isa,
	                    .m = m,
	                    .k = k,
	                    .n = n,
	                    .a = pa,
	                    .b = b,
	                    .ldb = n,
	                    .c = c,
	                    .ldc = n,
	                    .bias = bias ? bv : NULL,
	                    .act = a,
	                    .lo = -0.5f,
	                    .hi = 0.5f};
	for (int split = 0; split < 3; split++) {
		for (int64_t i = 0; i < m * n; i++)
			c[i] = NAN;
		if (split == 0) {
			ox_gemm_run(&g, 0, panels, 0, n, buf);
		} else if (split == 1) {
			ox_gemm_run(&g, 0, panels / 2, 0, n, buf);
			ox_gemm_run(&g, panels / 2, panels, 0, n, buf);
		} else {
			int64_t half = n / 2 / ox_gemm_nr(isa) * ox_gemm_nr(isa);
			ox_gemm_run(&g, 0, panels, 0, half, buf);
			ox_gemm_run(&g, 0, panels, half, n, buf);
		}
		for (int64_t i = 0; i < m; i++)
			for (int64_t j = 0; j < n; j++) {
				double want = bias ? bv[i] : 0.0;
				for (int64_t q = 0; q < k; q++)
					want += (double)am[i * k + q] * b[q * n + j];
				float w = act((float)want, a), got = c[i * n + j];
				if (!(fabsf(got - w) <= 1e-4f * (1.0f + fabsf(w))))
					fail_msg(
					    "isa %d m %lld k %lld n %lld split %d: c[%lld][%lld] = "
					    "%g, want %g",
					    isa, (long long)m, (long long)k, (long long)n, split,
					    (long long)i, (long long)j, got, w);
			}
	}
	free(am);
	free(b);
	free(bv);
	free(c);
	free(pa);
	free(buf);
}

static void test_kernels(void **state)
{
	/* edges of a tile (12 or 6 rows, 32 or 16 columns), a K-block (256) and NC (384) */
	const int64_t ms[] = {1, 5, 6, 12, 13, 31}, ks[] = {0, 1, 9, 256, 300};
	const int64_t ns[] = {1, 15, 16, 17, 33, 49, 400};
	int tested = 0;

	(void)state;
	for (int isa = OX_ISA_AVX2; isa <= OX_ISA_AVX512; isa++) {
		if (!isa_available(isa))
			continue;
		tested++;
		for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++)
			for (size_t j = 0; j < sizeof(ks) / sizeof(ks[0]); j++)
				for (size_t l = 0; l < sizeof(ns) / sizeof(ns[0]); l++)
					check_product(isa, ms[i], ks[j], ns[l],
					              (enum ox_act)((i + j + l) % 3), (i + l) % 2);
	}
	if (tested == 0)
		skip();
}

/* NaN through the fused activations: Relu gives 0, Clip keeps it (as the scalar epilogue). */
static void test_kernel_nan(void **state)
{
	(void)state;
	for (int isa = OX_ISA_AVX2; isa <= OX_ISA_AVX512; isa++) {
		if (!isa_available(isa))
			continue;
		for (int a = OX_ACT_RELU; a <= OX_ACT_CLIP; a++) {
			float am[1] = {NAN}, b[1] = {1.0f}, c[1] = {0}, pa[16] = {0};
			float *buf = malloc(ox_gemm_pack_b_floats(isa) * sizeof(float));
			assert_non_null(buf);
			ox_gemm_pack_a(isa, am, 1, 1, pa);
			struct ox_gemm g = {.isa = isa,
			                    .m = 1,
			                    .k = 1,
			                    .n = 1,
			                    .a = pa,
			                    .b = b,
			                    .ldb = 1,
			                    .c = c,
			                    .ldc = 1,
			                    .act = (enum ox_act)a,
			                    .lo = -1,
			                    .hi = 1};
			ox_gemm_run(&g, 0, 1, 0, 1, buf);
			if (a == OX_ACT_RELU)
				assert_true(c[0] == 0.0f);
			else
				assert_true(isnan(c[0]));
			free(buf);
		}
	}
}

struct conv_case {
	int64_t n, c, m, group, h, w, k, s, d;
	int64_t pads[4]; /* top, left, bottom, right */
	const char *act; /* NULL, "Relu" or "Clip" */
};

/* Direct convolution of one output, in double. */
static double conv_one(const struct conv_case *cc, const float *x, const float *wt, const float *b,
                       int64_t img, int64_t oc, int64_t oy, int64_t ox)
{
	int64_t cg = cc->c / cc->group, mg = cc->m / cc->group, g = oc / mg;
	double acc = b[oc];

	for (int64_t ic = 0; ic < cg; ic++)
		for (int64_t a = 0; a < cc->k; a++)
			for (int64_t e = 0; e < cc->k; e++) {
				int64_t iy = oy * cc->s - cc->pads[0] + a * cc->d;
				int64_t ix = ox * cc->s - cc->pads[1] + e * cc->d;
				if (iy < 0 || iy >= cc->h || ix < 0 || ix >= cc->w)
					continue;
				acc +=
				    (double)
				        x[((img * cc->c + g * cg + ic) * cc->h + iy) * cc->w + ix] *
				    wt[((oc * cg + ic) * cc->k + a) * cc->k + e];
			}
	return acc;
}

static void check_conv(const struct conv_case *cc)
{
	int64_t cg = cc->c / cc->group, ext = (cc->k - 1) * cc->d + 1;
	int64_t oh = (cc->h + cc->pads[0] + cc->pads[2] - ext) / cc->s + 1;
	int64_t ow = (cc->w + cc->pads[1] + cc->pads[3] - ext) / cc->s + 1;
	size_t nx = (size_t)(cc->n * cc->c * cc->h * cc->w),
	       nw = (size_t)(cc->m * cg * cc->k * cc->k);
	float *x = malloc(nx * sizeof(float)), *wt = malloc(nw * sizeof(float));
	float *b = malloc((size_t)cc->m * sizeof(float)), *y1 = NULL;
	const int64_t xd[4] = {cc->n, cc->c, cc->h, cc->w}, wd[4] = {cc->m, cg, cc->k, cc->k};
	const int64_t bd[1] = {cc->m}, st[2] = {cc->s, cc->s}, dl[2] = {cc->d, cc->d};
	struct pb *m = pb_new(), *g = pb_new(), *nd = pb_new();
	struct onnx_model *model = NULL;
	char why[256];

	assert_non_null(x);
	assert_non_null(wt);
	assert_non_null(b);
	fill(x, nx);
	fill(wt, nw);
	fill(b, (size_t)cc->m);
	pb_node_begin(nd, "Conv", "x W B", cc->act ? "c" : "y");
	pb_attr_int(nd, "group", cc->group);
	pb_attr_ints(nd, "strides", st, 2);
	pb_attr_ints(nd, "dilations", dl, 2);
	pb_attr_ints(nd, "pads", cc->pads, 4);
	pb_sub(g, 1, nd);
	if (cc->act != NULL) {
		pb_node_begin(nd, cc->act, "c", "y");
		if (!strcmp(cc->act, "Clip")) {
			pb_attr_float(nd, "min", -0.5f);
			pb_attr_float(nd, "max", 0.5f);
		}
		pb_sub(g, 1, nd);
	}
	pb_tensor(g, 5, "W", ONNX_FLOAT, wd, 4, wt, nw * sizeof(float));
	pb_tensor(g, 5, "B", ONNX_FLOAT, bd, 1, b, (size_t)cc->m * sizeof(float));
	pb_value_info(g, 11, "x", ONNX_FLOAT, xd, 4);
	pb_value_info(g, 12, "y", ONNX_FLOAT, NULL, -1);
	pb_model(m, 6, g); /* opset 6: Clip's bounds are attributes */
	if (onnx_model_load(m->b, m->n, NULL, &model, why, sizeof(why)) != 0)
		fail_msg("load: %s", why);
	struct onnx_tensor in = {ONNX_FLOAT, 4, {cc->n, cc->c, cc->h, cc->w}, x}, out[1];
	size_t ny = (size_t)(cc->n * cc->m * oh * ow);
	for (unsigned t = 1; t <= 2; t++) {
		struct onnx_session *s = NULL;
		assert_int_equal(onnx_session_new(model, t, &s), 0);
		if (onnx_session_run(s, &in, 1, out, 1, why, sizeof(why)) != 0)
			fail_msg("run: %s", why);
		assert_int_equal(onnx_tensor_count(&out[0]), ny);
		assert_int_equal(out[0].dims[2], oh);
		assert_int_equal(out[0].dims[3], ow);
		const float *y = out[0].data;
		if (t == 1) {
			y1 = malloc(ny * sizeof(float));
			assert_non_null(y1);
			memcpy(y1, y, ny * sizeof(float));
		}
		for (int64_t i = 0; i < cc->n; i++)
			for (int64_t oc = 0; oc < cc->m; oc++)
				for (int64_t oy = 0; oy < oh; oy++)
					for (int64_t ox = 0; ox < ow; ox++) {
						float want =
						    (float)conv_one(cc, x, wt, b, i, oc, oy, ox);
						if (cc->act != NULL)
							want = act(want, !strcmp(cc->act, "Relu")
							                     ? OX_ACT_RELU
							                     : OX_ACT_CLIP);
						float got =
						    y[((i * cc->m + oc) * oh + oy) * ow + ox];
						if (!(fabsf(got - want) <=
						      1e-4f * (1.0f + fabsf(want))))
							fail_msg("conv c%lld m%lld g%lld k%lld "
							         "s%lld d%lld "
							         "%lldx%lld t%u: "
							         "y[%lld][%lld][%lld][%lld] "
							         "= %g, want %g",
							         (long long)cc->c, (long long)cc->m,
							         (long long)cc->group,
							         (long long)cc->k, (long long)cc->s,
							         (long long)cc->d, (long long)cc->h,
							         (long long)cc->w, t, (long long)i,
							         (long long)oc, (long long)oy,
							         (long long)ox, got, want);
					}
		/* two threads split the same sums the same way */
		if (t == 2)
			assert_memory_equal(y1, y, ny * sizeof(float));
		onnx_session_free(s);
	}
	onnx_model_free(model);
	free(y1);
	free(x);
	free(wt);
	free(b);
	free(m);
	free(g);
	free(nd);
}

static void test_conv_paths(void **state)
{
	static const struct conv_case cases[] = {
	    /* 3x3, pads 1: output rows shorter than a tile, several runs per panel */
	    {1, 3, 8, 1, 10, 9, 3, 1, 1, {1, 1, 1, 1}, NULL},
	    /* K = 288 over two K-blocks, 576 columns over two column blocks, Relu fused */
	    {1, 32, 20, 1, 24, 24, 3, 1, 1, {1, 1, 1, 1}, "Relu"},
	    /* 7x7 stride 2 pads 3 (resnet's first layer, smaller) */
	    {2, 3, 10, 1, 20, 20, 7, 2, 1, {3, 3, 3, 3}, NULL},
	    /* dilation 2, stride 2, asymmetric pads, Clip fused */
	    {1, 8, 12, 1, 15, 13, 3, 2, 2, {1, 0, 2, 1}, "Clip"},
	    /* stride 3, no pads, output rows of 3 */
	    {1, 4, 5, 1, 11, 11, 2, 3, 1, {0, 0, 0, 0}, NULL},
	    /* groups (not depthwise) */
	    {2, 6, 9, 3, 8, 7, 3, 1, 1, {1, 1, 1, 1}, "Relu"},
	    /* pointwise: the input is B itself; a batch split across threads */
	    {5, 16, 24, 1, 9, 7, 1, 1, 1, {0, 0, 0, 0}, NULL},
	    /* 1x1 stride 2 (resnet's downsampling) */
	    {1, 16, 8, 1, 14, 14, 1, 2, 1, {0, 0, 0, 0}, NULL},
	    /* depthwise: stride 1 on the padded width, stride 2 and 3 by column phase */
	    {2, 5, 5, 5, 12, 11, 3, 1, 1, {1, 1, 1, 1}, "Clip"},
	    {1, 7, 7, 7, 13, 12, 3, 2, 1, {1, 1, 1, 1}, "Relu"},
	    {1, 4, 4, 4, 17, 16, 5, 3, 2, {2, 1, 0, 3}, NULL},
	    {1, 6, 6, 6, 9, 10, 4, 1, 2, {3, 0, 1, 2}, NULL},
	    /* one output, larger than its input by the pads */
	    {1, 2, 3, 1, 1, 1, 3, 1, 1, {1, 1, 1, 1}, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_conv(&cases[i]);
}

/* MaxPool 2x2 stride 2 on odd sizes, with NaN and -inf: the general path's answers. */
static void test_maxpool_2x2(void **state)
{
	enum { N = 2, C = 3, H = 7, W = 9, OH = 3, OW = 4 };
	static float x[N * C * H * W];
	const int64_t xd[4] = {N, C, H, W}, k[2] = {2, 2};
	struct pb *m = pb_new(), *g = pb_new(), *nd = pb_new();
	struct onnx_model *model = NULL;
	char why[256];

	(void)state;
	fill(x, sizeof(x) / sizeof(x[0]));
	x[0] = NAN;     /* first tap: the others win */
	x[W + 1] = NAN; /* last tap of the same window */
	x[2 * W + 2] = -INFINITY;
	x[2 * W + 3] = -INFINITY;
	x[3 * W + 2] = -INFINITY;
	x[3 * W + 3] = -INFINITY; /* a window of -inf only: -FLT_MAX, as the general path */
	pb_node_begin(nd, "MaxPool", "x", "y");
	pb_attr_ints(nd, "kernel_shape", k, 2);
	pb_attr_ints(nd, "strides", k, 2);
	pb_sub(g, 1, nd);
	pb_value_info(g, 11, "x", ONNX_FLOAT, xd, 4);
	pb_value_info(g, 12, "y", ONNX_FLOAT, NULL, -1);
	pb_model(m, 13, g);
	assert_int_equal(onnx_model_load(m->b, m->n, NULL, &model, why, sizeof(why)), 0);
	struct onnx_tensor in = {ONNX_FLOAT, 4, {N, C, H, W}, x}, out[1];
	for (unsigned t = 1; t <= 2; t++) {
		struct onnx_session *s = NULL;
		assert_int_equal(onnx_session_new(model, t, &s), 0);
		assert_int_equal(onnx_session_run(s, &in, 1, out, 1, why, sizeof(why)), 0);
		assert_int_equal(onnx_tensor_count(&out[0]), N * C * OH * OW);
		const float *y = out[0].data;
		for (int p = 0; p < N * C; p++)
			for (int i = 0; i < OH; i++)
				for (int j = 0; j < OW; j++) {
					float want = -3.4028235e38f;
					for (int a = 0; a < 2; a++)
						for (int b = 0; b < 2; b++) {
							float v =
							    x[(p * H + 2 * i + a) * W + 2 * j + b];
							want = v > want ? v : want;
						}
					float got = y[(p * OH + i) * OW + j];
					assert_true(got == want);
				}
		onnx_session_free(s);
	}
	onnx_model_free(model);
	free(m);
	free(g);
	free(nd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kernels),
	    cmocka_unit_test(test_kernel_nan),
	    cmocka_unit_test(test_conv_paths),
	    cmocka_unit_test(test_maxpool_2x2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

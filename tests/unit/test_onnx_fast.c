/*
 * Unit tests of the engine's fast paths: its own matrix product (sgemm.c)
 * against a plain triple loop, for each kernel this CPU has, over shapes
 * that end inside a tile, a K-block and a column block; the Conv paths
 * built on it (im2col packed from the padded input, strides, dilations,
 * groups, depthwise, fused Relu and Clip; 1-d, 2-d and 3-d) against a
 * direct convolution, on one and two threads; MaxPool 2x2 stride 2; Gemm
 * of one or two rows against a loop.
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

#include "common/err.h"
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

/*
 * One product, with a residual sum or not, against the loop: whole and
 * split in two by row panels and by columns.
 */
static void check_product(int isa, int64_t m, int64_t k, int64_t n, enum ox_act a, bool bias,
                          bool sum)
{
	float *am = malloc((size_t)(m * k + 1) * sizeof(float));
	float *b = malloc((size_t)(k * n + 1) * sizeof(float));
	float *bv = malloc((size_t)m * sizeof(float));
	float *s = malloc((size_t)(m * n) * sizeof(float));
	float *c = malloc((size_t)(m * n) * sizeof(float));
	float *pa = malloc((ox_gemm_pack_a_floats(isa, m, k) + 1) * sizeof(float));
	float *buf = malloc(ox_gemm_pack_b_floats(isa) * sizeof(float));
	int64_t mr = ox_gemm_mr(isa), panels = (m + mr - 1) / mr;

	assert_non_null(am);
	assert_non_null(b);
	assert_non_null(bv);
	assert_non_null(s);
	assert_non_null(c);
	assert_non_null(pa);
	assert_non_null(buf);
	fill(am, (size_t)(m * k));
	fill(b, (size_t)(k * n));
	fill(bv, (size_t)m);
	fill(s, (size_t)(m * n));
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
	                    .sum = sum ? s : NULL,
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
				if (sum)
					want += s[i * n + j];
				float w = act((float)want, a), got = c[i * n + j];
				if (!(fabsf(got - w) <= 1e-4f * (1.0f + fabsf(w))))
					fail_msg("isa %d m %lld k %lld n %lld split %d sum %d: "
					         "c[%lld][%lld] = %g, want %g",
					         isa, (long long)m, (long long)k, (long long)n,
					         split, sum, (long long)i, (long long)j, got, w);
			}
	}
	free(am);
	free(b);
	free(bv);
	free(s);
	free(c);
	free(pa);
	free(buf);
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

/*
 * One direct product against the loop: A read through offsets (rows
 * starting anywhere in x, one by one or in runs of 7 rows 3 apart; rows
 * of K at offsets that overlap, as a Conv's taps do), B packed from its
 * transpose, C stored transposed with a column of C a row of y, ldy = m +
 * 1 (the value past each row must stay untouched); whole, split in two by
 * row tiles and by column panels.
 */
static void check_direct(int isa, int64_t m, int64_t k, int64_t n, enum ox_act a, bool bias,
                         bool sum, bool runs)
{
	enum { XN = 4096 };
	int64_t ldy = m + 1, mr = ox_gemm_mr(isa), nr = ox_gemm_nr(isa);
	int64_t run = runs ? 7 : 1, step = runs ? 3 : 0;
	int64_t tiles = (m + mr - 1) / mr, panels = (n + nr - 1) / nr;
	float *x = malloc(XN * sizeof(float)), *bt = malloc((size_t)(n * k) * sizeof(float));
	float *pb = malloc(ox_gemm_pack_bt_floats(isa, n, k) * sizeof(float));
	float *bv = malloc((size_t)n * sizeof(float));
	float *s = malloc((size_t)(n * ldy) * sizeof(float));
	float *y = malloc((size_t)(n * ldy) * sizeof(float));
	int32_t *roff = malloc((size_t)m * sizeof(int32_t));
	int32_t *koff = malloc((size_t)k * sizeof(int32_t));

	assert_non_null(x);
	assert_non_null(bt);
	assert_non_null(pb);
	assert_non_null(bv);
	assert_non_null(s);
	assert_non_null(y);
	assert_non_null(roff);
	assert_non_null(koff);
	fill(x, XN);
	fill(bt, (size_t)(n * k));
	fill(bv, (size_t)n);
	fill(s, (size_t)(n * ldy));
	/* below XN: 2 * 1000 + 2 * 1000 + (7 - 1) * 3 */
	for (int64_t i = 0; i < m; i++)
		roff[i] = (int32_t)((rnd() + 1.0f) * 1000);
	for (int64_t q = 0; q < k; q++)
		koff[q] = (int32_t)((rnd() + 1.0f) * 1000);
	ox_gemm_pack_bt(isa, bt, n, k, pb);
	struct ox_direct d = {.isa = isa,
	                      .m = m,
	                      .n = n,
	                      .k = k,
	                      .x = x,
	                      .roff = roff,
	                      .koff = koff,
	                      .run = run,
	                      .step = step,
	                      .bp = pb,
	                      .y = y,
	                      .ldy = ldy,
	                      .bias = bias ? bv : NULL,
	                      .sum = sum ? s : NULL,
	                      .act = a,
	                      .lo = -0.5f,
	                      .hi = 0.5f};
	for (int split = 0; split < 3; split++) {
		for (int64_t i = 0; i < n * ldy; i++)
			y[i] = NAN;
		if (split == 0) {
			ox_direct_run(&d, 0, tiles, 0, panels);
		} else if (split == 1) {
			ox_direct_run(&d, 0, tiles / 2, 0, panels);
			ox_direct_run(&d, tiles / 2, tiles, 0, panels);
		} else {
			ox_direct_run(&d, 0, tiles, 0, panels / 2);
			ox_direct_run(&d, 0, tiles, panels / 2, panels);
		}
		for (int64_t j = 0; j < n; j++) {
			assert_true(isnan(y[j * ldy + m]));
			for (int64_t i = 0; i < m; i++) {
				double want = bias ? bv[j] : 0.0;
				for (int64_t q = 0; q < k; q++)
					want +=
					    (double)x[roff[i / run] + i % run * step + koff[q]] *
					    bt[j * k + q];
				if (sum)
					want += s[j * ldy + i];
				float w = act((float)want, a), got = y[j * ldy + i];
				if (!(fabsf(got - w) <= 1e-4f * (1.0f + fabsf(w))))
					fail_msg("isa %d m %lld k %lld n %lld split %d: "
					         "C[%lld][%lld] = %g, want %g",
					         isa, (long long)m, (long long)k, (long long)n,
					         split, (long long)i, (long long)j, got, w);
			}
		}
	}
	free(x);
	free(bt);
	free(pb);
	free(bv);
	free(s);
	free(y);
	free(roff);
	free(koff);
}

/*
 * Both products, for each kernel this CPU has, over the edges of a tile
 * (12 or 6 rows, 32 or 16 columns), a K-block (256) and NC (384); the
 * direct one's B panels that stay in L2 (rows first) and that do not (400
 * x 300: panels first), and rows in runs over several tiles (44). The
 * direct product takes K >= 1.
 */
static void test_kernels(void **state)
{
	const int64_t ms[] = {1, 5, 6, 12, 13, 31, 44}, ks[] = {0, 1, 9, 256, 300};
	const int64_t ns[] = {1, 15, 16, 17, 33, 49, 400};
	int tested = 0;

	(void)state;
	for (int isa = OX_ISA_AVX2; isa <= OX_ISA_AVX512; isa++) {
		if (!isa_available(isa))
			continue;
		tested++;
		for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++)
			for (size_t j = 0; j < sizeof(ks) / sizeof(ks[0]); j++)
				for (size_t l = 0; l < sizeof(ns) / sizeof(ns[0]); l++) {
					enum ox_act a = (enum ox_act)((i + j + l) % 3);
					check_product(isa, ms[i], ks[j], ns[l], a, (i + l) % 2,
					              (i + j) % 2 == 1);
					if (ks[j] > 0)
						check_direct(isa, ms[i], ks[j], ns[l], a,
						             (j + l) % 2, (i + l) % 2 == 1,
						             (i + j) % 2 == 0);
				}
	}
	if (tested == 0)
		skip();
}

struct conv_case {
	int64_t n, c, m, group, h, w, k, s, d;
	int64_t pads[4]; /* top, left, bottom, right */
	const char *act; /* NULL, "Relu" or "Clip" */
	int64_t depth;   /* 0: a 2-d Conv; -1: 1-d (h must be 1); else 3-d of this depth */
	/*
	 * An Add between the Conv and its activation: 0 none; SUM_CONST of a
	 * constant S (the Conv's output shape); SUM_BEFORE, Sigmoid(x) + the
	 * Conv's output (a residual: the output has x's shape), Sigmoid placed
	 * before the Conv; SUM_AFTER the same with Sigmoid after the Conv.
	 */
	int sum;
};

enum { SUM_CONST = 1, SUM_BEFORE, SUM_AFTER };

/* Spatial geometry of a case along (depth, height, width): 1-d and 2-d padded with 1. */
struct geo {
	int64_t in[3], k[3], s[3], d[3], pb[3], pe[3], out[3];
	uint32_t sp; /* spatial dims of the Conv */
};

static struct geo geometry(const struct conv_case *cc)
{
	struct geo g = {.sp = cc->depth < 0 ? 1 : cc->depth == 0 ? 2 : 3};
	const int64_t in[3] = {cc->depth > 0 ? cc->depth : 1, cc->h, cc->w};

	for (int i = 0; i < 3; i++) {
		bool used = i >= 3 - (int)g.sp;
		g.in[i] = in[i];
		g.k[i] = used ? cc->k : 1;
		g.s[i] = used ? cc->s : 1;
		g.d[i] = used ? cc->d : 1;
		/* depth takes the height's pads */
		g.pb[i] = used ? cc->pads[i == 2 ? 1 : 0] : 0;
		g.pe[i] = used ? cc->pads[i == 2 ? 3 : 2] : 0;
		g.out[i] = (g.in[i] + g.pb[i] + g.pe[i] - (g.k[i] - 1) * g.d[i] - 1) / g.s[i] + 1;
	}
	return g;
}

/* Direct convolution of one output o (depth, row, column), in double. */
static double conv_one(const struct conv_case *cc, const struct geo *g, const float *x,
                       const float *wt, const float *b, int64_t img, int64_t oc, const int64_t *o)
{
	int64_t cg = cc->c / cc->group, mg = cc->m / cc->group, grp = oc / mg;
	int64_t kv = g->k[0] * g->k[1] * g->k[2], plane = g->in[0] * g->in[1] * g->in[2];
	double acc = b[oc];

	for (int64_t ic = 0; ic < cg; ic++)
		for (int64_t t = 0; t < kv; t++) {
			int64_t tap[3] = {t / (g->k[1] * g->k[2]), t / g->k[2] % g->k[1],
			                  t % g->k[2]};
			int64_t off = 0;
			bool inside = true;
			for (int i = 0; i < 3; i++) {
				int64_t at = o[i] * g->s[i] - g->pb[i] + tap[i] * g->d[i];
				inside = inside && at >= 0 && at < g->in[i];
				off = off * g->in[i] + at;
			}
			if (inside)
				acc += (double)x[(img * cc->c + grp * cg + ic) * plane + off] *
				       wt[(oc * cg + ic) * kv + t];
		}
	return acc;
}

/*
 * The graph g (its nodes and initializers so far) with float input in of
 * dims d and output out, as a model of the opset, loaded; g is freed.
 */
static struct onnx_model *load_graph(struct pb *g, const char *in, const int64_t *d, int rank,
                                     const char *out, int64_t opset)
{
	struct pb *m = pb_new();
	struct onnx_model *model = NULL;
	char why[256];

	pb_value_info(g, 11, in, ONNX_FLOAT, d, rank);
	pb_value_info(g, 12, out, ONNX_FLOAT, NULL, -1);
	pb_model(m, opset, g);
	if (onnx_model_load(m->b, m->n, NULL, &model, why, sizeof(why)) != 0)
		fail_msg("load: %s", why);
	free(m);
	free(g);
	return model;
}

/* A session of t threads that ran model on in: out[0] is its output until the session is freed. */
static struct onnx_session *run_model(const struct onnx_model *model, unsigned t,
                                      const struct onnx_tensor *in, struct onnx_tensor *out)
{
	struct onnx_session *s = NULL;
	char why[256];

	assert_int_equal(onnx_session_new(model, t, &s), 0);
	if (onnx_session_run(s, in, 1, out, 1, why, sizeof(why)) != 0)
		fail_msg("run: %s", why);
	return s;
}

static void check_conv(const struct conv_case *cc)
{
	struct geo g = geometry(cc);
	int64_t cg = cc->c / cc->group, kv = g.k[0] * g.k[1] * g.k[2];
	int64_t plane = g.in[0] * g.in[1] * g.in[2], ov = g.out[0] * g.out[1] * g.out[2];
	uint32_t rank = 2 + g.sp, first = 3 - g.sp;
	size_t nx = (size_t)(cc->n * cc->c * plane), nw = (size_t)(cc->m * cg * kv);
	float *x = malloc(nx * sizeof(float)), *wt = malloc(nw * sizeof(float));
	float *b = malloc((size_t)cc->m * sizeof(float)), *y1 = NULL;
	int64_t xd[5] = {cc->n, cc->c}, wd[5] = {cc->m, cg}, st[3], dl[3], pads[6];
	const int64_t bd[1] = {cc->m};
	struct pb *gr = pb_new(), *nd = pb_new();
	struct onnx_model *model = NULL;
	size_t ny = (size_t)(cc->n * cc->m * ov);
	float *sv = malloc(ny * sizeof(float));
	const char *conv_out = cc->act || cc->sum ? "c0" : "y", *add_out = cc->act ? "c" : "y";

	assert_non_null(x);
	assert_non_null(wt);
	assert_non_null(b);
	for (uint32_t i = 0; i < g.sp; i++) {
		xd[2 + i] = g.in[first + i];
		wd[2 + i] = g.k[first + i];
		st[i] = g.s[first + i];
		dl[i] = g.d[first + i];
		pads[i] = g.pb[first + i];
		pads[g.sp + i] = g.pe[first + i];
	}
	fill(x, nx);
	fill(wt, nw);
	fill(b, (size_t)cc->m);
	assert_non_null(sv);
	if (cc->sum == SUM_CONST)
		fill(sv, ny);
	else if (cc->sum != 0) {
		assert_int_equal(ny, nx);
		for (size_t i = 0; i < ny; i++)
			sv[i] = 1.0f / (1.0f + expf(-x[i]));
	}
	if (cc->sum == SUM_BEFORE) {
		pb_node_begin(nd, "Sigmoid", "x", "T");
		pb_sub(gr, 1, nd);
	}
	pb_node_begin(nd, "Conv", "x W B", conv_out);
	pb_attr_int(nd, "group", cc->group);
	pb_attr_ints(nd, "strides", st, g.sp);
	pb_attr_ints(nd, "dilations", dl, g.sp);
	pb_attr_ints(nd, "pads", pads, 2 * g.sp);
	pb_sub(gr, 1, nd);
	if (cc->sum == SUM_AFTER) {
		pb_node_begin(nd, "Sigmoid", "x", "T");
		pb_sub(gr, 1, nd);
	}
	if (cc->sum == SUM_CONST)
		pb_node_begin(nd, "Add", "c0 S", add_out);
	else if (cc->sum != 0)
		pb_node_begin(nd, "Add", "T c0", add_out);
	if (cc->sum != 0)
		pb_sub(gr, 1, nd);
	if (cc->act != NULL) {
		pb_node_begin(nd, cc->act, cc->sum ? "c" : "c0", "y");
		if (!strcmp(cc->act, "Clip")) {
			pb_attr_float(nd, "min", -0.5f);
			pb_attr_float(nd, "max", 0.5f);
		}
		pb_sub(gr, 1, nd);
	}
	pb_tensor(gr, 5, "W", ONNX_FLOAT, wd, rank, wt, nw * sizeof(float));
	pb_tensor(gr, 5, "B", ONNX_FLOAT, bd, 1, b, (size_t)cc->m * sizeof(float));
	if (cc->sum == SUM_CONST) {
		int64_t sd[5] = {cc->n, cc->m};
		for (uint32_t i = 0; i < g.sp; i++)
			sd[2 + i] = g.out[first + i];
		pb_tensor(gr, 5, "S", ONNX_FLOAT, sd, rank, sv, ny * sizeof(float));
	}
	/* opset 6: Clip's bounds are attributes */
	model = load_graph(gr, "x", xd, (int)rank, "y", 6);
	struct onnx_tensor in = {ONNX_FLOAT, rank, {0}, x}, out[1];
	memcpy(in.dims, xd, rank * sizeof(int64_t));
	for (unsigned t = 1; t <= 2; t++) {
		struct onnx_session *s = run_model(model, t, &in, out);
		assert_int_equal(onnx_tensor_count(&out[0]), ny);
		assert_int_equal(out[0].rank, rank);
		for (uint32_t i = 0; i < g.sp; i++)
			assert_int_equal(out[0].dims[2 + i], g.out[first + i]);
		const float *y = out[0].data;
		if (t == 1) {
			y1 = malloc(ny * sizeof(float));
			assert_non_null(y1);
			memcpy(y1, y, ny * sizeof(float));
		}
		for (int64_t i = 0; i < cc->n; i++)
			for (int64_t oc = 0; oc < cc->m; oc++)
				for (int64_t q = 0; q < ov; q++) {
					int64_t o[3] = {q / (g.out[1] * g.out[2]),
					                q / g.out[2] % g.out[1], q % g.out[2]};
					float want = (float)conv_one(cc, &g, x, wt, b, i, oc, o);
					if (cc->sum != 0)
						want += sv[(i * cc->m + oc) * ov + q];
					if (cc->act != NULL)
						want = act(want, !strcmp(cc->act, "Relu")
						                     ? OX_ACT_RELU
						                     : OX_ACT_CLIP);
					float got = y[(i * cc->m + oc) * ov + q];
					if (!(fabsf(got - want) <= 1e-4f * (1.0f + fabsf(want))))
						fail_msg(
						    "conv %ud c%lld m%lld g%lld k%lld s%lld d%lld "
						    "t%u: y[%lld][%lld][%lld] = %g, want %g",
						    g.sp, (long long)cc->c, (long long)cc->m,
						    (long long)cc->group, (long long)cc->k,
						    (long long)cc->s, (long long)cc->d, t,
						    (long long)i, (long long)oc, (long long)q, got,
						    want);
				}
		/* two threads split our kernels' sums the same way (not BLAS's) */
		if (t == 2 && ox_gemm_isa() != OX_ISA_NONE)
			assert_memory_equal(y1, y, ny * sizeof(float));
		onnx_session_free(s);
	}
	onnx_model_free(model);
	free(y1);
	free(x);
	free(wt);
	free(b);
	free(sv);
	free(nd);
}

static void test_conv_paths(void **state)
{
	static const struct conv_case cases[] = {
	    /* 3x3, pads 1: output rows shorter than a tile, several runs per panel */
	    {1, 3, 8, 1, 10, 9, 3, 1, 1, {1, 1, 1, 1}, NULL, 0, 0},
	    /* K = 288 over two K-blocks, 576 columns over two column blocks, Relu fused */
	    {1, 32, 20, 1, 24, 24, 3, 1, 1, {1, 1, 1, 1}, "Relu", 0, 0},
	    /* 7x7 stride 2 pads 3 (resnet's first layer, smaller) */
	    {2, 3, 10, 1, 20, 20, 7, 2, 1, {3, 3, 3, 3}, NULL, 0, 0},
	    /* dilation 2, stride 2, asymmetric pads, Clip fused */
	    {1, 8, 12, 1, 15, 13, 3, 2, 2, {1, 0, 2, 1}, "Clip", 0, 0},
	    /* stride 3, no pads, output rows of 3 */
	    {1, 4, 5, 1, 11, 11, 2, 3, 1, {0, 0, 0, 0}, NULL, 0, 0},
	    /* groups (not depthwise) */
	    {2, 6, 9, 3, 8, 7, 3, 1, 1, {1, 1, 1, 1}, "Relu", 0, 0},
	    /* few columns, many rows: two threads split the product by row panels */
	    {1, 32, 64, 1, 7, 7, 3, 1, 1, {1, 1, 1, 1}, "Relu", 0, 0},
	    {1, 16, 192, 1, 14, 14, 3, 1, 1, {1, 1, 1, 1}, NULL, 0, 0},
	    /* pointwise: the input is B itself; a batch split across threads */
	    {5, 16, 24, 1, 9, 7, 1, 1, 1, {0, 0, 0, 0}, NULL, 0, 0},
	    /* 1x1 stride 2 (resnet's downsampling) */
	    {1, 16, 8, 1, 14, 14, 1, 2, 1, {0, 0, 0, 0}, NULL, 0, 0},
	    /* depthwise: stride 1 on the padded width, stride 2 and 3 by column phase */
	    {2, 5, 5, 5, 12, 11, 3, 1, 1, {1, 1, 1, 1}, "Clip", 0, 0},
	    {1, 7, 7, 7, 13, 12, 3, 2, 1, {1, 1, 1, 1}, "Relu", 0, 0},
	    {1, 4, 4, 4, 17, 16, 5, 3, 2, {2, 1, 0, 3}, NULL, 0, 0},
	    {1, 6, 6, 6, 9, 10, 4, 1, 2, {3, 0, 1, 2}, NULL, 0, 0},
	    /* depthwise: pads larger than the stride; one output per axis (no phases);
	     * a single tap */
	    {1, 3, 3, 3, 10, 9, 5, 2, 1, {3, 4, 2, 0}, "Relu", 0, 0},
	    {2, 2, 2, 2, 3, 3, 3, 5, 1, {1, 1, 1, 1}, NULL, 0, 0},
	    {1, 4, 4, 4, 6, 7, 1, 2, 1, {0, 0, 0, 0}, "Clip", 0, 0},
	    /* one output, larger than its input by the pads */
	    {1, 2, 3, 1, 1, 1, 3, 1, 1, {1, 1, 1, 1}, NULL, 0, 0},
	    /* 1-d and 3-d: dense and depthwise, unit and other strides */
	    {2, 4, 6, 1, 1, 19, 3, 1, 1, {0, 1, 0, 1}, "Relu", -1, 0},
	    {1, 5, 5, 5, 1, 23, 5, 2, 2, {0, 2, 0, 1}, NULL, -1, 0},
	    {1, 3, 4, 1, 6, 7, 3, 1, 1, {1, 1, 1, 1}, NULL, 5, 0},
	    {1, 3, 5, 1, 7, 6, 2, 2, 1, {0, 1, 1, 0}, "Clip", 6, 0},
	    {2, 4, 4, 4, 6, 7, 3, 1, 1, {1, 1, 1, 1}, NULL, 5, 0},
	    {1, 3, 3, 3, 9, 8, 3, 2, 2, {2, 1, 1, 2}, "Relu", 7, 0},
	    {1, 2, 2, 2, 9, 8, 3, 1, 2, {2, 2, 2, 2}, NULL, 7, 0},
	    /*
	     * Direct products (positions by channels, the input read in place):
	     * 7x7 and 5x5 planes, one image and a batch, a stride, every
	     * residual sum; pointwise ones stay with the usual product
	     */
	    {1, 64, 64, 1, 7, 7, 3, 1, 1, {1, 1, 1, 1}, "Relu", 0, SUM_BEFORE},
	    {4, 8, 64, 1, 5, 5, 3, 1, 1, {1, 1, 1, 1}, "Clip", 0, SUM_CONST},
	    {1, 40, 48, 1, 6, 6, 1, 1, 1, {0, 0, 0, 0}, NULL, 0, SUM_CONST},
	    {2, 24, 48, 1, 9, 9, 3, 2, 1, {1, 1, 1, 1}, "Relu", 0, 0},
	    {1, 32, 32, 1, 5, 5, 1, 1, 1, {0, 0, 0, 0}, NULL, 0, SUM_AFTER},
	    /*
	     * Direct products split by channels (weights outweigh the input)
	     * and by positions (tiles across output rows); dilation, stride
	     * and asymmetric pads; 1-d and 3-d
	     */
	    {1, 32, 128, 1, 6, 6, 3, 1, 1, {1, 1, 1, 1}, "Relu", 0, SUM_CONST},
	    {1, 16, 32, 1, 24, 23, 3, 1, 1, {1, 1, 1, 1}, "Clip", 0, 0},
	    {1, 8, 32, 1, 23, 21, 3, 2, 2, {2, 1, 0, 3}, NULL, 0, SUM_CONST},
	    {2, 6, 32, 1, 1, 40, 5, 2, 1, {0, 2, 0, 1}, "Relu", -1, 0},
	    {1, 4, 32, 1, 6, 7, 3, 1, 2, {2, 2, 2, 2}, NULL, 4, 0},
	    /* residual sums on the usual product, batches split by image, BLAS-free depthwise */
	    {1, 8, 8, 1, 20, 20, 3, 1, 1, {1, 1, 1, 1}, NULL, 0, SUM_BEFORE},
	    {1, 8, 8, 1, 18, 17, 3, 1, 1, {1, 1, 1, 1}, "Clip", 0, SUM_AFTER},
	    {4, 5, 12, 1, 9, 9, 3, 2, 1, {1, 1, 1, 1}, "Relu", 0, SUM_CONST},
	    {1, 6, 6, 6, 9, 9, 3, 1, 1, {1, 1, 1, 1}, "Relu", 0, SUM_BEFORE},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_conv(&cases[i]);
}

/*
 * MaxPool windows of at most 3x3 (max_small: every tap of an output at
 * once, the edges one by one) against a loop with the general path's
 * comparison, NaN and -inf among the inputs: ResNet's 3x3 stride 2 pads
 * 1, stride 1, a 2x3 window with asymmetric pads and strides, 1-d, an
 * input narrower than the window (no interior), and pads of a whole
 * window (an output row with no input row).
 */
static void test_maxpool_small(void **state)
{
	static const struct {
		int64_t h, w, kh, kw, sh, sw, pads[4]; /* top, left, bottom, right */
		int rank;
	} cases[] = {
	    {12, 13, 3, 3, 2, 2, {1, 1, 1, 1}, 4}, {7, 9, 3, 3, 1, 1, {1, 1, 1, 1}, 4},
	    {9, 11, 2, 3, 1, 2, {0, 2, 1, 0}, 4},  {1, 17, 1, 3, 1, 2, {0, 1, 0, 1}, 3},
	    {5, 2, 3, 3, 1, 1, {1, 1, 1, 1}, 4},   {4, 6, 3, 2, 2, 1, {3, 0, 0, 1}, 4},
	};

	(void)state;
	for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
		int64_t h = cases[ci].h, wd = cases[ci].w, kh = cases[ci].kh, kw = cases[ci].kw;
		int64_t sh = cases[ci].sh, sw = cases[ci].sw, rank = cases[ci].rank;
		const int64_t *pd = cases[ci].pads;
		int64_t oh = (h + pd[0] + pd[2] - kh) / sh + 1,
		        ow = (wd + pd[1] + pd[3] - kw) / sw + 1;
		enum { N = 2, C = 3 };
		float *x = malloc((size_t)(N * C * h * wd) * sizeof(float));
		struct pb *g = pb_new(), *nd = pb_new();
		int64_t xd[4] = {N, C, h, wd}, k[2] = {kh, kw}, st[2] = {sh, sw};
		int64_t pads2[4] = {pd[0], pd[1], pd[2], pd[3]}, pads1[2] = {pd[1], pd[3]};

		assert_non_null(x);
		fill(x, (size_t)(N * C * h * wd));
		x[0] = NAN;
		x[1] = -INFINITY;
		x[wd + 1] = NAN;
		x[N * C * h * wd - 1] = -INFINITY;
		if (rank == 3)
			xd[2] = wd;
		pb_node_begin(nd, "MaxPool", "x", "y");
		pb_attr_ints(nd, "kernel_shape", rank == 3 ? k + 1 : k, rank - 2);
		pb_attr_ints(nd, "strides", rank == 3 ? st + 1 : st, rank - 2);
		pb_attr_ints(nd, "pads", rank == 3 ? pads1 : pads2, 2 * (rank - 2));
		pb_sub(g, 1, nd);
		struct onnx_model *model = load_graph(g, "x", xd, (int)rank, "y", 13);
		struct onnx_tensor in = {ONNX_FLOAT, (uint32_t)rank, {0}, x}, out[1];
		memcpy(in.dims, xd, (size_t)rank * sizeof(int64_t));
		for (unsigned t = 1; t <= 2; t++) {
			struct onnx_session *s = run_model(model, t, &in, out);
			assert_int_equal(onnx_tensor_count(&out[0]), N * C * oh * ow);
			const float *y = out[0].data;
			for (int64_t p = 0; p < N * C; p++)
				for (int64_t i = 0; i < oh; i++)
					for (int64_t j = 0; j < ow; j++) {
						float want = -3.4028235e38f;
						for (int64_t a = 0; a < kh; a++)
							for (int64_t b = 0; b < kw; b++) {
								int64_t r = i * sh - pd[0] + a;
								int64_t c = j * sw - pd[1] + b;
								if (r < 0 || r >= h || c < 0 ||
								    c >= wd)
									continue;
								float v = x[(p * h + r) * wd + c];
								want = v > want ? v : want;
							}
						float got = y[(p * oh + i) * ow + j];
						if (!(got == want))
							fail_msg(
							    "case %zu t%u: y[%lld][%lld][%lld] = "
							    "%g, want %g",
							    ci, t, (long long)p, (long long)i,
							    (long long)j, got, want);
					}
			onnx_session_free(s);
		}
		onnx_model_free(model);
		free(nd);
		free(x);
	}
}

/* MaxPool 2x2 stride 2 on odd sizes, with NaN and -inf: the general path's answers. */
static void test_maxpool_2x2(void **state)
{
	enum { N = 2, C = 3, H = 7, W = 9, OH = 3, OW = 4 };
	static float x[N * C * H * W];
	const int64_t xd[4] = {N, C, H, W}, k[2] = {2, 2};
	struct pb *g = pb_new(), *nd = pb_new();
	struct onnx_model *model = NULL;

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
	model = load_graph(g, "x", xd, 4, "y", 13);
	struct onnx_tensor in = {ONNX_FLOAT, 4, {N, C, H, W}, x}, out[1];
	for (unsigned t = 1; t <= 2; t++) {
		struct onnx_session *s = run_model(model, t, &in, out);
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
	free(nd);
}

/*
 * A 3-d Conv on one position, padded by 2^24 on every side with strides of
 * 2^24: three outputs per axis, a padded volume past 2^64. Refused as too
 * large, dense and depthwise, not overflowed into a small buffer.
 */
static void test_conv_huge_pads(void **state)
{
	const int64_t big = (int64_t)1 << 24, xd[5] = {1, 2, 1, 1, 1}, st[3] = {big, big, big};
	const int64_t pads[6] = {big, big, big, big, big, big};
	const float wt[4] = {1, 2, 3, 4};

	(void)state;
	for (int64_t group = 1; group <= 2; group++) {
		const int64_t wd[5] = {2, 2 / group, 1, 1, 1};
		struct pb *m = pb_new(), *g = pb_new(), *nd = pb_new();
		struct onnx_model *model = NULL;
		char why[256];

		pb_node_begin(nd, "Conv", "x W", "y");
		pb_attr_int(nd, "group", group);
		pb_attr_ints(nd, "strides", st, 3);
		pb_attr_ints(nd, "pads", pads, 6);
		pb_sub(g, 1, nd);
		pb_tensor(g, 5, "W", ONNX_FLOAT, wd, 5, wt, (size_t)(4 / group) * sizeof(float));
		pb_value_info(g, 11, "x", ONNX_FLOAT, xd, 5);
		pb_value_info(g, 12, "y", ONNX_FLOAT, NULL, -1);
		pb_model(m, 13, g);
		/*
		 * The shapes are known: the model is planned, and refused, as it
		 * loads. Through BLAS, a dense Conv makes im2col rows from the
		 * input without a padded copy: that one loads.
		 */
		int rc = onnx_model_load(m->b, m->n, NULL, &model, why, sizeof(why));
		if (group == 1 && ox_gemm_isa() == OX_ISA_NONE) {
			assert_int_equal(rc, 0);
			onnx_model_free(model);
		} else {
			assert_int_equal(rc, CU_ELIMIT);
			assert_null(model);
			if (strstr(why, "too large") == NULL)
				fail_msg("reason '%s'", why);
		}
		free(m);
		free(g);
		free(nd);
	}
}

/*
 * Add, Sub, Mul and Div with a Relu or Clip after them (fused by the
 * planner), on the fast paths (equal shapes, a scalar B, large enough to
 * split across threads) and the broadcasting one, against a loop.
 */
static void test_binary_act(void **state)
{
	static const struct {
		const char *op, *act;
		int64_t bdims[4];
		uint32_t brank;
	} cases[] = {
	    {"Add", "Relu", {2, 24, 40, 40}, 4},
	    {"Sub", "Clip", {1}, 1},
	    {"Mul", "Relu", {24, 1, 1}, 3},
	    {"Div", "Clip", {2, 24, 40, 40}, 4},
	    {"Add", "Clip", {40}, 1},
	};
	enum { N = 2 * 24 * 40 * 40 };
	static float x[N], b[N];
	const int64_t xd[4] = {2, 24, 40, 40}, one = 1;
	const float lo = -0.25f, hi = 0.5f;

	(void)state;
	fill(x, N);
	fill(b, N);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct pb *g = pb_new(), *nd = pb_new();
		struct onnx_model *model = NULL;
		size_t nb = 1;
		bool clip = !strcmp(cases[c].act, "Clip");

		for (uint32_t i = 0; i < cases[c].brank; i++)
			nb *= (size_t)cases[c].bdims[i];
		for (size_t i = 0; i < nb; i++)
			b[i] = b[i] == 0.0f ? 0.5f : b[i]; /* no division by zero */
		pb_node_begin(nd, cases[c].op, "x B", "t");
		pb_sub(g, 1, nd);
		pb_node_begin(nd, cases[c].act, clip ? "t lo hi" : "t", "y");
		pb_sub(g, 1, nd);
		pb_tensor(g, 5, "B", ONNX_FLOAT, cases[c].bdims, cases[c].brank, b,
		          nb * sizeof(float));
		pb_tensor(g, 5, "lo", ONNX_FLOAT, &one, 0, &lo, sizeof(lo));
		pb_tensor(g, 5, "hi", ONNX_FLOAT, &one, 0, &hi, sizeof(hi));
		model = load_graph(g, "x", xd, 4, "y", 13);
		struct onnx_tensor in = {ONNX_FLOAT, 4, {2, 24, 40, 40}, x}, out[1];
		for (unsigned t = 1; t <= 2; t++) {
			struct onnx_session *s = run_model(model, t, &in, out);
			assert_int_equal(onnx_tensor_count(&out[0]), N);
			const float *y = out[0].data;
			for (size_t i = 0; i < N; i++) {
				/* B's index: its dims right-aligned against x's, 1 broadcast */
				size_t bi = 0, rest = i, mul = 1;
				for (int d = 3; d >= 0; d--) {
					size_t xi = rest % (size_t)xd[d];
					int bd = d - (4 - (int)cases[c].brank);
					rest /= (size_t)xd[d];
					if (bd >= 0 && cases[c].bdims[bd] != 1) {
						bi += xi * mul;
						mul *= (size_t)cases[c].bdims[bd];
					}
				}
				float bv =
				    b[cases[c].brank == 1 && cases[c].bdims[0] == 1 ? 0 : bi];
				float v = !strcmp(cases[c].op, "Add")   ? x[i] + bv
				          : !strcmp(cases[c].op, "Sub") ? x[i] - bv
				          : !strcmp(cases[c].op, "Mul") ? x[i] * bv
				                                        : x[i] / bv;
				v = clip ? (v < lo ? lo : v > hi ? hi : v) : (v > 0.0f ? v : 0.0f);
				if (y[i] != v)
					fail_msg("%s then %s, t%u: y[%zu] = %g, want %g",
					         cases[c].op, cases[c].act, t, i, y[i], v);
			}
			onnx_session_free(s);
		}
		onnx_model_free(model);
		free(nd);
	}
}

/*
 * A Relu fused into an Add two steps back (a Mul between them, as an
 * exported residual block puts its branch), and an Add whose output two
 * nodes read, which keeps its own Relu: z = relu(x + b) + x * b + relu(w).
 */
static void test_fuse_back(void **state)
{
	enum { N = 3 * 50 * 50 };
	static float x[N], b[N];
	const int64_t xd[3] = {3, 50, 50};
	struct pb *g = pb_new(), *nd = pb_new();
	struct onnx_model *model = NULL;
	static const char *const nodes[][3] = {
	    {"Add", "x B", "t"}, {"Mul", "x B", "u"}, {"Relu", "t", "r"},  {"Add", "r u", "v"},
	    {"Sub", "x B", "w"}, {"Relu", "w", "q"},  {"Add", "v q", "s"}, {"Add", "s w", "z"},
	};

	(void)state;
	fill(x, N);
	fill(b, N);
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		pb_node_begin(nd, nodes[i][0], nodes[i][1], nodes[i][2]);
		pb_sub(g, 1, nd);
	}
	pb_tensor(g, 5, "B", ONNX_FLOAT, xd, 3, b, sizeof(b));
	model = load_graph(g, "x", xd, 3, "z", 13);
	struct onnx_tensor in = {ONNX_FLOAT, 3, {3, 50, 50}, x}, out[1];
	for (unsigned t = 1; t <= 2; t++) {
		struct onnx_session *s = run_model(model, t, &in, out);
		const float *z = out[0].data;
		for (size_t i = 0; i < N; i++) {
			float tv = x[i] + b[i], w = x[i] - b[i];
			float v = (tv > 0.0f ? tv : 0.0f) + x[i] * b[i];
			float want = (v + (w > 0.0f ? w : 0.0f)) + w;
			if (z[i] != want)
				fail_msg("t%u: z[%zu] = %g, want %g", t, i, z[i], want);
		}
		onnx_session_free(s);
	}
	onnx_model_free(model);
	free(nd);
}

/*
 * A Conv's output read by its Add and again later: the Add must not fuse
 * into the Conv (the Conv's memory would then hold the sum), and z =
 * (2x + S) + 2x.
 */
static void test_fuse_sum_shared(void **state)
{
	enum { N = 2 * 9 * 11 };
	static float x[N], sv[N];
	const int64_t xd[4] = {1, 2, 9, 11}, wd[4] = {2, 2, 1, 1};
	const float wt[4] = {2, 0, 0, 2};
	struct pb *g = pb_new(), *nd = pb_new();

	(void)state;
	fill(x, N);
	fill(sv, N);
	pb_node_begin(nd, "Conv", "x W", "c0");
	pb_sub(g, 1, nd);
	pb_node_begin(nd, "Add", "c0 S", "a");
	pb_sub(g, 1, nd);
	pb_node_begin(nd, "Add", "a c0", "z");
	pb_sub(g, 1, nd);
	pb_tensor(g, 5, "W", ONNX_FLOAT, wd, 4, wt, sizeof(wt));
	pb_tensor(g, 5, "S", ONNX_FLOAT, xd, 4, sv, sizeof(sv));
	struct onnx_model *model = load_graph(g, "x", xd, 4, "z", 13);
	struct onnx_tensor in = {ONNX_FLOAT, 4, {1, 2, 9, 11}, x}, out[1];
	for (unsigned t = 1; t <= 2; t++) {
		struct onnx_session *s = run_model(model, t, &in, out);
		const float *z = out[0].data;
		for (size_t i = 0; i < N; i++) {
			float c = 2.0f * x[i], want = (c + sv[i]) + c;
			if (fabsf(z[i] - want) > 1e-5f * (1.0f + fabsf(want)))
				fail_msg("t%u: z[%zu] = %g, want %g", t, i, z[i], want);
		}
		onnx_session_free(s);
	}
	onnx_model_free(model);
	free(nd);
}

struct gemm_case {
	int64_t m, n, k;
	int trans_b;
	float alpha, beta;
	int c_rank; /* 0: no C; 1: C of [n]; 2: C of [m, n] */
};

/* A Gemm with constant B and C, against a loop in double. */
static void check_gemm(const struct gemm_case *gc)
{
	size_t na = (size_t)(gc->m * gc->k), nb = (size_t)(gc->k * gc->n),
	       nc = (size_t)(gc->c_rank == 2 ? gc->m * gc->n : gc->n);
	float *a = malloc(na * sizeof(float)), *b = malloc(nb * sizeof(float)),
	      *c = malloc(nc * sizeof(float));
	int64_t ad[2] = {gc->m, gc->k},
	        bd[2] = {gc->trans_b ? gc->n : gc->k, gc->trans_b ? gc->k : gc->n};
	int64_t cd[2] = {gc->c_rank == 2 ? gc->m : gc->n, gc->n};
	struct pb *g = pb_new(), *nd = pb_new();
	struct onnx_model *model = NULL;

	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	fill(a, na);
	fill(b, nb);
	fill(c, nc);
	pb_node_begin(nd, "Gemm", gc->c_rank ? "a B C" : "a B", "y");
	pb_attr_int(nd, "transB", gc->trans_b);
	pb_attr_float(nd, "alpha", gc->alpha);
	pb_attr_float(nd, "beta", gc->beta);
	pb_sub(g, 1, nd);
	pb_tensor(g, 5, "B", ONNX_FLOAT, bd, 2, b, nb * sizeof(float));
	if (gc->c_rank)
		pb_tensor(g, 5, "C", ONNX_FLOAT, gc->c_rank == 2 ? cd : cd + 1,
		          (uint32_t)gc->c_rank, c, nc * sizeof(float));
	model = load_graph(g, "a", ad, 2, "y", 13);
	struct onnx_tensor in = {ONNX_FLOAT, 2, {gc->m, gc->k}, a}, out[1];
	for (unsigned t = 1; t <= 2; t++) {
		struct onnx_session *s = run_model(model, t, &in, out);
		assert_int_equal(onnx_tensor_count(&out[0]), (size_t)(gc->m * gc->n));
		const float *y = out[0].data;
		for (int64_t i = 0; i < gc->m; i++)
			for (int64_t j = 0; j < gc->n; j++) {
				double want = 0;
				for (int64_t q = 0; q < gc->k; q++)
					want += (double)a[i * gc->k + q] *
					        b[gc->trans_b ? j * gc->k + q : q * gc->n + j];
				want *= gc->alpha;
				if (gc->c_rank)
					want += (double)gc->beta *
					        c[gc->c_rank == 2 ? i * gc->n + j : j];
				float got = y[i * gc->n + j];
				if (!(fabs(got - want) <= 1e-4 * (1.0 + fabs(want))))
					fail_msg(
					    "gemm m%lld n%lld k%lld transB %d t%u: y[%lld][%lld] "
					    "= %g, want %g",
					    (long long)gc->m, (long long)gc->n, (long long)gc->k,
					    gc->trans_b, t, (long long)i, (long long)j, got, want);
			}
		onnx_session_free(s);
	}
	onnx_model_free(model);
	free(a);
	free(b);
	free(c);
	free(nd);
}

/* Gemm of one or two rows (its own dot products and row sums), and of three (BLAS). */
static void test_gemm_rows(void **state)
{
	static const struct gemm_case cases[] = {
	    /* columns past a block of 64 and past a group of 4; K past a block of 16 */
	    {1, 70, 37, 1, 1.0f, 1.0f, 1},
	    {2, 70, 37, 0, 0.5f, 2.0f, 2},
	    {1, 3, 5, 0, 1.0f, 0.0f, 0},
	    {2, 1, 1, 1, -1.0f, 0.0f, 1},
	    /* large enough to split across the threads */
	    {1, 1000, 520, 1, 1.0f, 1.0f, 1},
	    {2, 333, 300, 0, 1.0f, 1.0f, 1},
	    {3, 50, 40, 1, 1.5f, 0.5f, 2},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_gemm(&cases[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kernels),       cmocka_unit_test(test_kernel_nan),
	    cmocka_unit_test(test_maxpool_small), cmocka_unit_test(test_conv_paths),
	    cmocka_unit_test(test_maxpool_2x2),   cmocka_unit_test(test_conv_huge_pads),
	    cmocka_unit_test(test_gemm_rows),     cmocka_unit_test(test_binary_act),
	    cmocka_unit_test(test_fuse_back),     cmocka_unit_test(test_fuse_sum_shared),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

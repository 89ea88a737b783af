/*
 * internal.h - the structures shared by the stages of the ONNX engine:
 * model (load and validate), plan (shape inference, constant folding,
 * memory plan), exec (run) and the kernels. Not part of the API.
 */
#ifndef CUSTOS_ONNX_INTERNAL_H
#define CUSTOS_ONNX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnx/onnx.h"

/*
 * Hot loops are compiled three times, for x86-64-v4 (AVX-512), x86-64-v3
 * (AVX2 with FMA) and the baseline, and the loader picks one (GCC and
 * clang function multiversioning).
 */
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define OX_HOT __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define OX_HOT
#endif

/* Dimensions of a spatial window, always three (1-d and 2-d padded with 1). */
#define OX_SP 3

/* Inputs of one node (Concat has the most). */
#define OX_MAX_IN 255

enum ox_op {
	OX_CONV,
	OX_RELU,
	OX_CLIP,
	OX_SIGMOID,
	OX_LEAKYRELU,
	OX_MAXPOOL,
	OX_AVGPOOL,
	OX_GAP,
	OX_BATCHNORM,
	OX_GEMM,
	OX_MATMUL,
	OX_ADD,
	OX_MUL,
	OX_SUB,
	OX_DIV,
	OX_CONCAT,
	OX_RESHAPE,
	OX_FLATTEN,
	OX_TRANSPOSE,
	OX_SOFTMAX,
	OX_DROPOUT,
	OX_PAD,
	OX_CONSTANT,
	OX_SHAPE,
	OX_GATHER,
	OX_UNSQUEEZE,
	OX_SQUEEZE,
	OX_IDENTITY,
	OX_OP_COUNT
};

/* AttributeProto.AttributeType values we keep. */
enum ox_attr_type {
	OX_A_FLOAT = 1,
	OX_A_INT = 2,
	OX_A_STRING = 3,
	OX_A_TENSOR = 4,
	OX_A_FLOATS = 6,
	OX_A_INTS = 7,
};

struct ox_attr {
	char *name;
	int type;
	float f;
	int64_t i;
	char *s;
	uint32_t n; /* elements of floats or ints */
	float *floats;
	int64_t *ints;
	struct onnx_tensor t; /* owns its data */
};

struct ox_node {
	enum ox_op op;
	char *name;
	uint32_t n_in, n_out;
	int32_t *in, *out; /* value indices; -1 for an absent optional */
	uint32_t n_attr;
	struct ox_attr *attr;
};

enum ox_kind { OX_V_INPUT, OX_V_INIT, OX_V_NODE };

struct ox_value {
	char *name;
	enum ox_kind kind;
	struct onnx_tensor init; /* OX_V_INIT: owns its data */
};

struct onnx_model {
	struct onnx_limits lim;
	int64_t opset;
	uint32_t n_values;
	struct ox_value *values;
	uint32_t n_nodes;
	struct ox_node *nodes; /* in topological order */
	uint32_t n_inputs, n_outputs;
	int32_t *inputs, *outputs;
	struct onnx_io_info *in_info, *out_info; /* names point into values */
	uint32_t n_meta;                         /* metadata_props kept (ONNX_META_MAX) */
	char *meta_key[ONNX_META_MAX], *meta_value[ONNX_META_MAX];
	uint32_t hcap; /* name table, during load only */
	int32_t *htab;
};

/* Operator table (ops.c). */
struct ox_opdef {
	const char *name;
	uint8_t min_in, max_in, min_out, max_out;
};
const struct ox_opdef *ox_opdef(enum ox_op op);
int ox_op_lookup(const char *name, enum ox_op *op);

/* Attribute helpers: the attribute of node n called name, or NULL. */
const struct ox_attr *ox_attr_get(const struct ox_node *n, const char *name);
int64_t ox_attr_int(const struct ox_node *n, const char *name, int64_t dflt);
float ox_attr_float(const struct ox_node *n, const char *name, float dflt);

/* ---- plan ---- */

/* Geometry of a Conv or pooling node, spatial dims padded to OX_SP. */
struct ox_window {
	int64_t n, c, m;               /* batch, input channels, output channels */
	int64_t in[OX_SP], out[OX_SP]; /* spatial sizes */
	int64_t k[OX_SP], s[OX_SP], d[OX_SP];
	int64_t pb[OX_SP], pe[OX_SP]; /* pads at begin and end */
	int64_t group;
	int count_include_pad;
	int col_major; /* MaxPool indices in column-major order (storage_order 1) */
};

enum ox_act { OX_ACT_NONE, OX_ACT_RELU, OX_ACT_CLIP };

/* Per-step parameters computed by the planner. */
struct ox_params {
	struct ox_window w;
	enum ox_act act;
	float a, b; /* clip bounds, leaky alpha, gemm alpha/beta, bn epsilon */
	int64_t axis;
	int64_t outer, mid, inner; /* softmax, concat, gather, flatten geometry */
	int trans_a, trans_b;
	int64_t perm[ONNX_MAX_RANK];
	int64_t pads[2 * ONNX_MAX_RANK];
	int pad_mode; /* 0 constant, 1 reflect, 2 edge */
	int64_t shp_start, shp_end;
	/* MatMul: batch dims of the output and of A and B (broadcast, right-aligned). */
	uint32_t mm_rank;
	int64_t mm_out[ONNX_MAX_RANK], mm_a[ONNX_MAX_RANK], mm_b[ONNX_MAX_RANK];
	int64_t rows, cols; /* Gemm's C broadcast, binary ops' fast path */
	/*
	 * Conv through sgemm.c: the weights packed for kernel isa (owned by the
	 * plan), or NULL. direct: by the direct product, with offs (in pack's
	 * allocation) its koff (K values), then its roff (one per run of output
	 * positions along the last axis).
	 */
	float *pack;
	int32_t *offs;
	int isa;
	bool direct;
};

/* One value's state in a plan: shape and, once bound, data. */
struct ox_pval {
	struct onnx_tensor t;
	bool known;    /* shape computed */
	bool is_const; /* data known at plan time (t.data set) */
	bool owned;    /* t.data malloc'd by the plan */
	int32_t alias; /* value whose memory this one shares, or -1 */
	int32_t def, last;
	uint64_t bytes;
	uint64_t off;  /* arena offset of an arena value */
	int32_t input; /* graph input index, or -1 */
};

struct ox_step {
	uint32_t node;
	struct ox_params p;
	bool view; /* output 0 shares input 0's memory */
	/*
	 * A Conv's fused residual: the value (of the output's shape) an Add
	 * that followed it summed in, added after the bias and before the
	 * activation; -1 for none (plan.c). sum_out is that Add's output,
	 * which shares output 0's memory and now holds the step's result.
	 */
	int32_t sum, sum_out;
	uint64_t ws_bytes, ws_off;
};

struct ox_plan {
	uint32_t n_values;
	struct ox_pval *v;
	uint32_t n_steps;
	struct ox_step *steps;
	uint64_t arena_bytes;
	uint64_t const_bytes;
	struct onnx_tensor *in_shapes; /* the input shapes planned for (no data) */
	uint32_t n_inputs;
	unsigned threads; /* the session's: workspaces are sized for it */
};

/* Build a plan of m for the input shapes (data ignored). */
int ox_plan_build(const struct onnx_model *m, const struct onnx_tensor *inputs, uint32_t n,
                  unsigned threads, struct ox_plan **out, char *why, size_t whysz);
void ox_plan_free(struct ox_plan *p);
/* Whether p was planned for exactly these input shapes and dtypes. */
bool ox_plan_matches(const struct ox_plan *p, const struct onnx_tensor *inputs, uint32_t n);

/* Node kernels: prepare computes output shapes, params and workspace. */
struct ox_kctx {
	const struct onnx_model *m;
	const struct ox_node *n;
	struct ox_plan *plan;
	struct ox_step *st;
	char *why;
	size_t whysz;
};

/* Input i of the node being prepared (NULL when absent); output i. */
struct ox_pval *ox_in(struct ox_kctx *k, uint32_t i);
struct ox_pval *ox_out(struct ox_kctx *k, uint32_t i);
/* A failure naming the node: returns rc. */
int ox_fail(struct ox_kctx *k, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Set output i's shape (and element count check against the limits). */
int ox_set_out(struct ox_kctx *k, uint32_t i, int32_t dtype, uint32_t rank, const int64_t *dims);
/* Elements of a shape with overflow and limit check; CU_ELIMIT on excess. */
int ox_shape_count(const int64_t *dims, uint32_t rank, uint64_t max, uint64_t *count);
/* Read a constant int64 or float input as int64 values (at most max). */
int ox_const_ints(struct ox_kctx *k, uint32_t i, int64_t *out, uint32_t max, uint32_t *n);
/* Normalize an axis in [-rank, rank) into [0, rank). */
int ox_axis(struct ox_kctx *k, int64_t axis, uint32_t rank, int64_t *out);

struct ox_run {
	struct onnx_tensor *in[OX_MAX_IN];
	struct onnx_tensor *out[4];
	const struct ox_params *p;
	const struct onnx_tensor *sum; /* the step's fused residual, or NULL */
	void *ws;
	unsigned threads;
	struct ox_pool *pool; /* NULL: run on the caller's thread only */
};

typedef int (*ox_prepare_fn)(struct ox_kctx *k);
typedef int (*ox_kernel_fn)(const struct ox_run *r);

ox_prepare_fn ox_prepare_of(enum ox_op op);
ox_kernel_fn ox_kernel_of(enum ox_op op);

/* Kernels and their planners, by file. */
int ox_prep_conv(struct ox_kctx *k);
int ox_run_conv(const struct ox_run *r);
/* Whether a Conv planned with p can add a residual (ox_step.sum) itself. */
bool ox_conv_takes_sum(const struct ox_params *p);
int ox_prep_pool(struct ox_kctx *k);
int ox_run_maxpool(const struct ox_run *r);
int ox_run_avgpool(const struct ox_run *r);
int ox_prep_gap(struct ox_kctx *k);
int ox_run_gap(const struct ox_run *r);
int ox_prep_gemm(struct ox_kctx *k);
int ox_run_gemm(const struct ox_run *r);
int ox_prep_matmul(struct ox_kctx *k);
int ox_run_matmul(const struct ox_run *r);
int ox_prep_unary(struct ox_kctx *k);
int ox_run_relu(const struct ox_run *r);
int ox_run_clip(const struct ox_run *r);
int ox_run_sigmoid(const struct ox_run *r);
int ox_run_leakyrelu(const struct ox_run *r);
int ox_prep_binary(struct ox_kctx *k);
int ox_run_binary(const struct ox_run *r);
int ox_prep_batchnorm(struct ox_kctx *k);
int ox_run_batchnorm(const struct ox_run *r);
int ox_prep_softmax(struct ox_kctx *k);
int ox_run_softmax(const struct ox_run *r);
int ox_prep_concat(struct ox_kctx *k);
int ox_run_concat(const struct ox_run *r);
int ox_prep_reshape(struct ox_kctx *k);
int ox_prep_flatten(struct ox_kctx *k);
int ox_prep_squeeze(struct ox_kctx *k);
int ox_prep_unsqueeze(struct ox_kctx *k);
int ox_prep_dropout(struct ox_kctx *k);
int ox_prep_identity(struct ox_kctx *k);
int ox_run_view(const struct ox_run *r);
int ox_prep_transpose(struct ox_kctx *k);
int ox_run_transpose(const struct ox_run *r);
int ox_prep_pad(struct ox_kctx *k);
int ox_run_pad(const struct ox_run *r);
int ox_prep_constant(struct ox_kctx *k);
int ox_prep_shape(struct ox_kctx *k);
int ox_prep_gather(struct ox_kctx *k);
int ox_run_gather(const struct ox_run *r);

/*
 * Window geometry of Conv (is_conv, kernel from W) or a pooling node: input
 * x of rank 3..5, attributes auto_pad, kernel_shape, strides, dilations,
 * pads and (pooling) ceil_mode.
 */
int ox_window_init(struct ox_kctx *k, const struct onnx_tensor *x, const int64_t *kernel,
                   int ceil_mode, struct ox_window *w);
/*
 * The outputs o in [*lo, *hi) (clamped to [0, out)) whose tap at offset
 * base + o * s lands inside [0, in): one kernel tap along one axis.
 */
void ox_tap_range(int64_t base, int64_t s, int64_t in, int64_t out, int64_t *lo, int64_t *hi);
/* Output dims [n, m, out...] of a window, of the input's rank. */
void ox_window_dims(const struct ox_window *w, uint32_t rank, int64_t *dims);

/* Threads of a session, at most. */
#define OX_MAX_THREADS 64u

/*
 * Worker threads of a session (parallel.c): none for threads <= 1 (*out is
 * then NULL). ox_parallel_for runs fn(ctx, begin, end, slice) over [0, n)
 * split in equal slices, slice < ox_pool_threads(p) numbering each (e.g. to
 * pick a workspace); with p NULL it runs all of [0, n) on the caller.
 */
struct ox_pool;
typedef void (*ox_range_fn)(void *ctx, uint64_t begin, uint64_t end, unsigned slice);
int ox_pool_new(unsigned threads, struct ox_pool **out);
void ox_pool_free(struct ox_pool *p);
unsigned ox_pool_threads(const struct ox_pool *p);
void ox_parallel_for(struct ox_pool *p, uint64_t n, ox_range_fn fn, void *ctx);

/*
 * The engine's own matrix product (sgemm.c), for convolutions: C[m, n] =
 * A[m, k] B[k, n] with A packed beforehand, then per row r: + bias[r], +
 * a residual sum[r, :] and the activation. Kernels by instruction set;
 * OX_ISA_NONE means none (use BLAS).
 */
enum { OX_ISA_NONE, OX_ISA_AVX2, OX_ISA_AVX512 };
#define OX_GEMM_KC     256 /* rows of B per block */
#define OX_GEMM_NC     384 /* columns of B per block */
#define OX_GEMM_NR_MAX 32  /* the widest kernel's columns */
struct ox_gemm {
	int isa;
	int64_t m, k, n;
	const float *a; /* packed by ox_gemm_pack_a */
	/*
	 * B: row-major b with leading dimension ldb, or, with pack set, made by
	 * it: rows [k0, k0 + kc) and columns [n0, n0 + nc) of B into panels of
	 * ox_gemm_nr columns, [k][nr] each, zero-padded (e.g. im2col on the fly).
	 */
	const float *b;
	int64_t ldb;
	void (*pack)(const struct ox_gemm *g, int64_t k0, int64_t kc, int64_t n0, int64_t nc,
	             float *dst);
	const void *src; /* for pack */
	float *c;
	int64_t ldc;
	const float *bias; /* m values, or NULL */
	const float *sum;  /* added to C after the bias, leading dimension ldc; or NULL */
	enum ox_act act;
	float lo, hi; /* Clip's bounds */
};
/* The kernel for this CPU, narrowed by CUSTOS_ONNX_GEMM=blas|avx2|avx512. */
int ox_gemm_isa(void);
/* Rows of A and columns of B per micro-kernel tile; 0 for OX_ISA_NONE. */
int ox_gemm_mr(int isa);
int ox_gemm_nr(int isa);
/* Floats of packed A for an m x k matrix; of one thread's B buffer. */
uint64_t ox_gemm_pack_a_floats(int isa, int64_t m, int64_t k);
uint64_t ox_gemm_pack_b_floats(int isa);
/* Pack row-major a[m][k] for kernel isa. */
void ox_gemm_pack_a(int isa, const float *a, int64_t m, int64_t k, float *dst);
/*
 * B given transposed, as row-major w[n][k], packed whole for kernel isa:
 * panels of ox_gemm_nr columns over all of K, [n / nr][k][nr], zero-padded;
 * ox_gemm_pack_bt_floats(isa, n, k) floats.
 */
uint64_t ox_gemm_pack_bt_floats(int isa, int64_t n, int64_t k);
void ox_gemm_pack_bt(int isa, const float *w, int64_t n, int64_t k, float *dst);
/*
 * Rows of C in micro-panels [p0, p1) (of ox_gemm_mr rows each), columns
 * [n0, n1), with bbuf (ox_gemm_pack_b_floats) as this thread's B buffer.
 * n0 is a multiple of ox_gemm_nr.
 */
void ox_gemm_run(const struct ox_gemm *g, int64_t p0, int64_t p1, int64_t n0, int64_t n1,
                 float *bbuf);

/*
 * The direct product (sgemm.c), for convolutions without im2col: C[m, n]
 * = A[m, k] B[k, n] with A read in place from x, A[i][kk] = x[start(i) +
 * koff[kk]], where row i starts at start(i) = roff[i / run] + (i % run) *
 * step (for a Conv: rows are output positions, in runs along the output's
 * last axis; start(i) is where a position's window starts in the padded
 * input, koff where each input channel and kernel tap lies from there),
 * and B packed by ox_gemm_pack_bt. C is stored transposed, C[i][j] at
 * y[j * ldy + i] (a Conv's NCHW output), after + bias[j], + a residual sum
 * (laid out as y) and the activation. Each micro-tile runs over all of K
 * in registers: B's panels, K x nr floats each, should fit the L2 cache
 * (OX_DIRECT_KMAX).
 */
#define OX_DIRECT_KMAX 8192
struct ox_direct {
	int isa;
	int64_t m, n, k;
	const float *x;
	const int32_t *roff, *koff;
	int64_t run, step;
	const float *bp;
	float *y;
	int64_t ldy;
	const float *bias; /* n values, or NULL */
	const float *sum;  /* or NULL */
	enum ox_act act;
	float lo, hi;
};
/*
 * Rows of C in tiles [r0, r1) (of ox_gemm_mr rows each) and columns in
 * panels [j0, j1) (of ox_gemm_nr columns each). k >= 1.
 */
void ox_direct_run(const struct ox_direct *d, int64_t r0, int64_t r1, int64_t j0, int64_t j1);

/* Set the BLAS thread count (gemm.c). */
void ox_blas_threads(unsigned threads);
/* C[m,n] (+)= A[m,k] B[k,n] with leading dims, through BLAS (gemm.c). */
void ox_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
              const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
              int64_t ldc);

#endif

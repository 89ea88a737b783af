/*
 * elementwise.c - Relu, Clip, Sigmoid, LeakyRelu, BatchNormalization
 * (inference), Softmax, and Add, Sub, Mul, Div with numpy broadcasting
 * (float, and int64 for exported shape arithmetic).
 */
#include <math.h>
#include <string.h>

#include "common/err.h"
#include "onnx/internal.h"

/* A scalar float input of Clip (absent: keep dflt). */
static int clip_bound(struct ox_kctx *k, uint32_t i, float *v)
{
	struct ox_pval *b = ox_in(k, i);

	if (b == NULL)
		return 0;
	if (b->t.dtype != ONNX_FLOAT || onnx_tensor_count(&b->t) != 1)
		return ox_fail(k, CU_EFORMAT, "min and max must be float scalars");
	if (b->is_const)
		*v = *(const float *)b->t.data;
	else
		k->st->p.axis = 1; /* read at run time; not fused */
	return 0;
}

int ox_prep_unary(struct ox_kctx *k)
{
	struct ox_pval *x = ox_in(k, 0);
	struct ox_params *p = &k->st->p;
	int rc;

	if (x->t.dtype != ONNX_FLOAT)
		return ox_fail(k, CU_EUNSUPPORTED, "only float tensors are supported");
	if (k->n->op == OX_CLIP) {
		p->a = -INFINITY;
		p->b = INFINITY;
		if (k->m->opset < 11) {
			p->a = ox_attr_float(k->n, "min", -INFINITY);
			p->b = ox_attr_float(k->n, "max", INFINITY);
		} else if ((rc = clip_bound(k, 1, &p->a)) != 0 ||
		           (rc = clip_bound(k, 2, &p->b)) != 0) {
			return rc;
		}
	} else if (k->n->op == OX_LEAKYRELU) {
		p->a = ox_attr_float(k->n, "alpha", 0.01f);
	}
	if (k->n->op != OX_CLIP && k->n->n_in > 1)
		return ox_fail(k, CU_EFORMAT, "too many inputs");
	return ox_set_out(k, 0, ONNX_FLOAT, x->t.rank, x->t.dims);
}

int ox_run_relu(const struct ox_run *r)
{
	const float *x = r->in[0]->data;
	float *y = r->out[0]->data;
	uint64_t n = onnx_tensor_count(r->in[0]);

	for (uint64_t i = 0; i < n; i++)
		y[i] = x[i] > 0.0f ? x[i] : 0.0f;
	return 0;
}

int ox_run_clip(const struct ox_run *r)
{
	const float *x = r->in[0]->data;
	float *y = r->out[0]->data, lo = r->p->a, hi = r->p->b;
	uint64_t n = onnx_tensor_count(r->in[0]);

	if (r->in[1] != NULL)
		lo = *(const float *)r->in[1]->data;
	if (r->in[2] != NULL)
		hi = *(const float *)r->in[2]->data;

	for (uint64_t i = 0; i < n; i++) {
		float v = x[i] < lo ? lo : x[i];
		y[i] = v > hi ? hi : v;
	}
	return 0;
}

int ox_run_sigmoid(const struct ox_run *r)
{
	const float *x = r->in[0]->data;
	float *y = r->out[0]->data;
	uint64_t n = onnx_tensor_count(r->in[0]);

	for (uint64_t i = 0; i < n; i++)
		y[i] =
		    x[i] >= 0.0f ? 1.0f / (1.0f + expf(-x[i])) : expf(x[i]) / (1.0f + expf(x[i]));
	return 0;
}

int ox_run_leakyrelu(const struct ox_run *r)
{
	const float *x = r->in[0]->data;
	float *y = r->out[0]->data, a = r->p->a;
	uint64_t n = onnx_tensor_count(r->in[0]);

	for (uint64_t i = 0; i < n; i++)
		y[i] = x[i] >= 0.0f ? x[i] : a * x[i];
	return 0;
}

/*
 * Broadcasting: mm_out holds the output dims, mm_a and mm_b the element
 * strides of A and B along them (0 where a dimension is broadcast).
 */
static void strides_of(const struct onnx_tensor *t, uint32_t r, int64_t *st)
{
	int64_t s = 1;

	for (int32_t i = (int32_t)r - 1; i >= 0; i--) {
		int32_t j = i - (int32_t)(r - t->rank);
		int64_t d = j >= 0 ? t->dims[j] : 1;
		st[i] = d == 1 ? 0 : s;
		s *= d;
	}
}

int ox_prep_binary(struct ox_kctx *k)
{
	struct ox_pval *a = ox_in(k, 0), *b = ox_in(k, 1);
	struct ox_params *p = &k->st->p;
	uint32_t r = a->t.rank > b->t.rank ? a->t.rank : b->t.rank;

	if (a->t.dtype != b->t.dtype || (a->t.dtype != ONNX_FLOAT && a->t.dtype != ONNX_INT64))
		return ox_fail(k, CU_EUNSUPPORTED, "inputs must both be float or both int64");
	for (uint32_t i = 0; i < r; i++) {
		int32_t ia = (int32_t)i - (int32_t)(r - a->t.rank),
		        ib = (int32_t)i - (int32_t)(r - b->t.rank);
		int64_t da = ia >= 0 ? a->t.dims[ia] : 1, db = ib >= 0 ? b->t.dims[ib] : 1;
		if (da != db && da != 1 && db != 1)
			return ox_fail(k, CU_EFORMAT,
			               "shapes do not broadcast (dimension %u: %lld vs %lld)", i,
			               (long long)da, (long long)db);
		p->mm_out[i] = da == 1 ? db : da;
	}
	p->mm_rank = r;
	p->axis = k->n->op;
	strides_of(&a->t, r, p->mm_a);
	strides_of(&b->t, r, p->mm_b);
	p->rows = (int64_t)onnx_tensor_count(&a->t);
	p->cols = (int64_t)onnx_tensor_count(&b->t);
	return ox_set_out(k, 0, a->t.dtype, r, p->mm_out);
}

static float fop(enum ox_op op, float x, float y)
{
	switch (op) {
	case OX_ADD:
		return x + y;
	case OX_SUB:
		return x - y;
	case OX_MUL:
		return x * y;
	default:
		return x / y;
	}
}

static int iop(enum ox_op op, int64_t x, int64_t y, int64_t *z)
{
	switch (op) {
	case OX_ADD:
		*z = (int64_t)((uint64_t)x + (uint64_t)y);
		return 0;
	case OX_SUB:
		*z = (int64_t)((uint64_t)x - (uint64_t)y);
		return 0;
	case OX_MUL:
		*z = (int64_t)((uint64_t)x * (uint64_t)y);
		return 0;
	default:
		if (y == 0 || (x == INT64_MIN && y == -1))
			return CU_EFORMAT;
		*z = x / y;
		return 0;
	}
}

static int binary(const struct ox_run *r, enum ox_op op)
{
	const struct ox_params *p = r->p;
	uint64_t n = onnx_tensor_count(r->out[0]), ia = 0, ib = 0;
	int64_t idx[ONNX_MAX_RANK] = {0};
	bool fl = r->out[0]->dtype == ONNX_FLOAT;
	uint32_t rk = p->mm_rank;
	int rc;

	for (uint64_t i = 0; i < n; i++) {
		if (fl) {
			((float *)r->out[0]->data)[i] = fop(op, ((const float *)r->in[0]->data)[ia],
			                                    ((const float *)r->in[1]->data)[ib]);
		} else if ((rc = iop(op, ((const int64_t *)r->in[0]->data)[ia],
		                     ((const int64_t *)r->in[1]->data)[ib],
		                     &((int64_t *)r->out[0]->data)[i])) != 0) {
			return rc;
		}
		for (int32_t d = (int32_t)rk - 1; d >= 0; d--) {
			ia += (uint64_t)p->mm_a[d];
			ib += (uint64_t)p->mm_b[d];
			if (++idx[d] < p->mm_out[d])
				break;
			ia -= (uint64_t)(p->mm_a[d] * p->mm_out[d]);
			ib -= (uint64_t)(p->mm_b[d] * p->mm_out[d]);
			idx[d] = 0;
		}
	}
	return 0;
}

/* A Relu or Clip fused into the step (plan.c), on y[0..n): as ox_run_relu and ox_run_clip. */
static void fused_act(const struct ox_params *p, float *y, uint64_t n)
{
	float lo = p->a, hi = p->b;

	switch (p->act) {
	case OX_ACT_RELU:
		for (uint64_t i = 0; i < n; i++)
			y[i] = y[i] > 0.0f ? y[i] : 0.0f;
		break;
	case OX_ACT_CLIP:
		for (uint64_t i = 0; i < n; i++) {
			float v = y[i] < lo ? lo : y[i];
			y[i] = v > hi ? hi : v;
		}
		break;
	default:
		break;
	}
}

/* Elements per piece of the fast paths: the activation runs on each while it is in L1. */
#define OX_EW_PIECE 2048

struct ew_job {
	const struct ox_run *r;
	enum ox_op op;
	bool scalar_b;
};

/* Pieces [begin, end) of a fast path: A and B of y's shape, or B a scalar. */
static void binary_pieces(void *arg, uint64_t begin, uint64_t end, unsigned slice)
{
	const struct ew_job *j = arg;
	const float *a = j->r->in[0]->data, *b = j->r->in[1]->data;
	float *y = j->r->out[0]->data;
	uint64_t n = onnx_tensor_count(j->r->out[0]);

	(void)slice;
	for (uint64_t piece = begin; piece < end; piece++) {
		uint64_t i0 = piece * OX_EW_PIECE, i1 = i0 + OX_EW_PIECE < n ? i0 + OX_EW_PIECE : n;
		if (j->scalar_b)
			for (uint64_t i = i0; i < i1; i++)
				y[i] = fop(j->op, a[i], b[0]);
		else
			for (uint64_t i = i0; i < i1; i++)
				y[i] = fop(j->op, a[i], b[i]);
		fused_act(j->r->p, y + i0, i1 - i0);
	}
}

/* Fast float paths: equal shapes, or B a scalar; on the pool when large. */
static bool binary_fast(const struct ox_run *r, enum ox_op op)
{
	const struct ox_params *p = r->p;
	uint64_t n = onnx_tensor_count(r->out[0]);
	struct ew_job j = {r, op, p->cols == 1};

	if (r->out[0]->dtype != ONNX_FLOAT || (uint64_t)p->rows != n ||
	    ((uint64_t)p->cols != n && p->cols != 1))
		return false;
	uint64_t pieces = (n + OX_EW_PIECE - 1) / OX_EW_PIECE;
	ox_parallel_for(pieces >= 16 ? r->pool : NULL, pieces, binary_pieces, &j);
	return true;
}

int ox_run_binary(const struct ox_run *r)
{
	enum ox_op op = (enum ox_op)r->p->axis;
	int rc;

	if (binary_fast(r, op))
		return 0;
	if ((rc = binary(r, op)) == 0 && r->out[0]->dtype == ONNX_FLOAT)
		fused_act(r->p, r->out[0]->data, onnx_tensor_count(r->out[0]));
	return rc;
}

int ox_prep_batchnorm(struct ox_kctx *k)
{
	struct ox_pval *x = ox_in(k, 0);

	if (ox_attr_int(k->n, "training_mode", 0) != 0)
		return ox_fail(k, CU_EUNSUPPORTED, "training mode is not supported");
	if (x->t.dtype != ONNX_FLOAT || x->t.rank < 2)
		return ox_fail(k, CU_EFORMAT, "input must be float of rank 2 or more");
	for (uint32_t i = 1; i < 5; i++) {
		struct ox_pval *v = ox_in(k, i);
		if (v == NULL || v->t.dtype != ONNX_FLOAT || v->t.rank != 1 ||
		    v->t.dims[0] != x->t.dims[1])
			return ox_fail(k, CU_EFORMAT, "input %u must hold %lld floats", i,
			               (long long)x->t.dims[1]);
	}
	k->st->p.a = ox_attr_float(k->n, "epsilon", 1e-5f);
	k->st->p.outer = x->t.dims[0];
	k->st->p.mid = x->t.dims[1];
	k->st->p.inner = 1;
	for (uint32_t i = 2; i < x->t.rank; i++)
		k->st->p.inner *= x->t.dims[i];
	return ox_set_out(k, 0, ONNX_FLOAT, x->t.rank, x->t.dims);
}

int ox_run_batchnorm(const struct ox_run *r)
{
	const struct ox_params *p = r->p;
	const float *x = r->in[0]->data, *sc = r->in[1]->data, *bi = r->in[2]->data;
	const float *mean = r->in[3]->data, *var = r->in[4]->data;
	float *y = r->out[0]->data;

	for (int64_t n = 0; n < p->outer; n++)
		for (int64_t c = 0; c < p->mid; c++) {
			float s = sc[c] / sqrtf(var[c] + p->a), b = bi[c] - mean[c] * s;
			uint64_t base = (uint64_t)(n * p->mid + c) * (uint64_t)p->inner;
			for (int64_t i = 0; i < p->inner; i++)
				y[base + i] = x[base + i] * s + b;
		}
	return 0;
}

int ox_prep_softmax(struct ox_kctx *k)
{
	struct ox_pval *x = ox_in(k, 0);
	struct ox_params *p = &k->st->p;
	uint32_t r = x->t.rank;
	int64_t axis;
	int rc;

	if (x->t.dtype != ONNX_FLOAT)
		return ox_fail(k, CU_EUNSUPPORTED, "only float tensors are supported");
	if (r == 0)
		return ox_fail(k, CU_EFORMAT, "input is a scalar");
	if ((rc = ox_axis(k, ox_attr_int(k->n, "axis", k->m->opset < 13 ? 1 : -1), r, &axis)) != 0)
		return rc;
	p->outer = p->mid = p->inner = 1;
	for (uint32_t i = 0; i < r; i++) {
		if ((int64_t)i < axis)
			p->outer *= x->t.dims[i];
		else if ((int64_t)i == axis || k->m->opset < 13)
			p->mid *= x->t.dims[i]; /* before opset 13: everything from axis on */
		else
			p->inner *= x->t.dims[i];
	}
	return ox_set_out(k, 0, ONNX_FLOAT, r, x->t.dims);
}

int ox_run_softmax(const struct ox_run *r)
{
	const struct ox_params *p = r->p;
	const float *x = r->in[0]->data;
	float *y = r->out[0]->data;
	int64_t mid = p->mid, inner = p->inner;

	for (int64_t o = 0; o < p->outer; o++)
		for (int64_t in = 0; in < inner; in++) {
			const float *xs = x + o * mid * inner + in;
			float *ys = y + o * mid * inner + in, mx = -INFINITY, sum = 0.0f;
			for (int64_t i = 0; i < mid; i++)
				mx = xs[i * inner] > mx ? xs[i * inner] : mx;
			for (int64_t i = 0; i < mid; i++) {
				ys[i * inner] = expf(xs[i * inner] - mx);
				sum += ys[i * inner];
			}
			for (int64_t i = 0; i < mid; i++)
				ys[i * inner] /= sum;
		}
	return 0;
}

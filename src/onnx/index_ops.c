/*
 * index_ops.c - Pad and Gather (indexed copies), and Constant and Shape,
 * whose outputs are known at plan time.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "onnx/internal.h"

static int pad_mode(struct ox_kctx *k, int *mode)
{
	const struct ox_attr *a = ox_attr_get(k->n, "mode");

	*mode = 0;
	if (a == NULL || a->type != OX_A_STRING || strcmp(a->s, "constant") == 0)
		return 0;
	if (strcmp(a->s, "reflect") == 0)
		*mode = 1;
	else if (strcmp(a->s, "edge") == 0)
		*mode = 2;
	else
		return ox_fail(k, CU_EUNSUPPORTED, "mode '%.32s' is not supported", a->s);
	return 0;
}

/* Pads and the constant: attributes before opset 11, inputs from it. */
static int pad_args(struct ox_kctx *k, uint32_t r)
{
	struct ox_params *p = &k->st->p;
	uint32_t n = 0;
	int rc;

	p->a = 0.0f;
	if (k->m->opset < 11) {
		const struct ox_attr *a = ox_attr_get(k->n, "pads");
		if (a == NULL || a->type != OX_A_INTS || a->n > 2 * ONNX_MAX_RANK)
			return ox_fail(k, CU_EFORMAT, "pads are required");
		memcpy(p->pads, a->ints, a->n * sizeof(int64_t));
		n = a->n;
		p->a = ox_attr_float(k->n, "value", 0.0f);
	} else {
		if ((rc = ox_const_ints(k, 1, p->pads, 2 * ONNX_MAX_RANK, &n)) != 0)
			return rc;
		struct ox_pval *c = ox_in(k, 2);
		if (c != NULL && (c->t.dtype != ONNX_FLOAT || onnx_tensor_count(&c->t) != 1))
			return ox_fail(k, CU_EFORMAT, "constant_value must be a float scalar");
	}
	if (n != 2 * r)
		return ox_fail(k, CU_EFORMAT, "%u pads for rank %u", n, r);
	return 0;
}

int ox_prep_pad(struct ox_kctx *k)
{
	struct ox_pval *x = ox_in(k, 0);
	struct ox_params *p = &k->st->p;
	uint32_t r = x->t.rank;
	int64_t dims[ONNX_MAX_RANK];
	int rc;

	if (x->t.dtype != ONNX_FLOAT)
		return ox_fail(k, CU_EUNSUPPORTED, "only float tensors are supported");
	if ((rc = pad_mode(k, &p->pad_mode)) != 0 || (rc = pad_args(k, r)) != 0)
		return rc;
	for (uint32_t i = 0; i < r; i++) {
		int64_t pb = p->pads[i], pe = p->pads[r + i], lim = (int64_t)k->m->lim.max_elements;
		if (pb < -lim || pb > lim || pe < -lim || pe > lim)
			return ox_fail(k, CU_ELIMIT, "pads are too large");
		dims[i] = x->t.dims[i] + pb + pe;
		if (dims[i] < 0)
			return ox_fail(k, CU_EFORMAT, "pads remove more than dimension %u holds",
			               i);
		if (p->pad_mode != 0 && x->t.dims[i] == 0 && dims[i] > 0)
			return ox_fail(k, CU_EFORMAT, "cannot %s-pad an empty dimension",
			               p->pad_mode == 1 ? "reflect" : "edge");
		if (p->pad_mode == 1 && (pb >= x->t.dims[i] || pe >= x->t.dims[i]) &&
		    x->t.dims[i] > 1)
			return ox_fail(k, CU_EFORMAT,
			               "reflect pads must be smaller than the dimension");
	}
	return ox_set_out(k, 0, ONNX_FLOAT, r, dims);
}

/* Input coordinate for output coordinate o along a dim of size n, or -1 for the constant. */
static int64_t pad_src(int mode, int64_t o, int64_t pb, int64_t n)
{
	int64_t c = o - pb;

	if (c >= 0 && c < n)
		return c;
	if (mode == 0)
		return -1;
	if (mode == 2 || n == 1)
		return c < 0 ? 0 : n - 1;
	while (c < 0 || c >= n)
		c = c < 0 ? -c : 2 * (n - 1) - c;
	return c;
}

int ox_run_pad(const struct ox_run *r)
{
	const struct ox_params *p = r->p;
	const struct onnx_tensor *x = r->in[0];
	const float *xs = x->data;
	float *y = r->out[0]->data;
	uint32_t rk = x->rank;
	uint64_t n = onnx_tensor_count(r->out[0]);
	int64_t idx[ONNX_MAX_RANK] = {0};
	float value = r->in[2] != NULL ? *(const float *)r->in[2]->data : p->a;

	for (uint64_t i = 0; i < n; i++) {
		int64_t off = 0;
		for (uint32_t d = 0; d < rk && off >= 0; d++) {
			int64_t c = pad_src(p->pad_mode, idx[d], p->pads[d], x->dims[d]);
			off = c < 0 ? -1 : off * x->dims[d] + c;
		}
		y[i] = off < 0 ? value : xs[off];
		for (int32_t d = (int32_t)rk - 1; d >= 0; d--) {
			if (++idx[d] < r->out[0]->dims[d])
				break;
			idx[d] = 0;
		}
	}
	return 0;
}

int ox_prep_gather(struct ox_kctx *k)
{
	struct ox_pval *x = ox_in(k, 0), *ix = ox_in(k, 1);
	struct ox_params *p = &k->st->p;
	int64_t dims[ONNX_MAX_RANK], axis;
	uint32_t r = 0;
	int rc;

	if (ix->t.dtype != ONNX_INT64)
		return ox_fail(k, CU_EUNSUPPORTED, "indices must be int64 or int32");
	if (x->t.rank == 0)
		return ox_fail(k, CU_EFORMAT, "data is a scalar");
	if ((rc = ox_axis(k, ox_attr_int(k->n, "axis", 0), x->t.rank, &axis)) != 0)
		return rc;
	if (x->t.rank - 1 + ix->t.rank > ONNX_MAX_RANK)
		return ox_fail(k, CU_ELIMIT, "the result has more than %d dimensions",
		               ONNX_MAX_RANK);
	p->outer = p->inner = 1;
	p->mid = x->t.dims[axis];
	for (uint32_t i = 0; i < x->t.rank; i++) {
		if ((int64_t)i == axis)
			for (uint32_t j = 0; j < ix->t.rank; j++)
				dims[r++] = ix->t.dims[j];
		else
			dims[r++] = x->t.dims[i];
		if ((int64_t)i < axis)
			p->outer *= x->t.dims[i];
		else if ((int64_t)i > axis)
			p->inner *= x->t.dims[i];
	}
	return ox_set_out(k, 0, x->t.dtype, r, dims);
}

int ox_run_gather(const struct ox_run *r)
{
	const struct ox_params *p = r->p;
	const int64_t *ix = r->in[1]->data;
	uint64_t ni = onnx_tensor_count(r->in[1]);
	size_t es = onnx_dtype_size(r->in[0]->dtype), row = (size_t)p->inner * es;
	const uint8_t *x = r->in[0]->data;
	uint8_t *y = r->out[0]->data;

	for (uint64_t i = 0; i < ni; i++)
		if (ix[i] < -p->mid || ix[i] >= p->mid)
			return CU_EFORMAT;
	for (int64_t o = 0; o < p->outer; o++)
		for (uint64_t i = 0; i < ni; i++) {
			int64_t j = ix[i] < 0 ? ix[i] + p->mid : ix[i];
			if (row > 0)
				memcpy(y, x + ((size_t)o * (size_t)p->mid + (size_t)j) * row, row);
			y += row;
		}
	return 0;
}

/* Make output 0 a constant viewing data the model owns. */
static int const_view(struct ox_kctx *k, int32_t dtype, uint32_t rank, const int64_t *dims,
                      const void *data)
{
	int rc = ox_set_out(k, 0, dtype, rank, dims);

	if (rc != 0)
		return rc;
	ox_out(k, 0)->t.data = (void *)(uintptr_t)data;
	ox_out(k, 0)->is_const = true;
	return 0;
}

int ox_prep_constant(struct ox_kctx *k)
{
	const struct ox_attr *a;
	int64_t one = 1;

	if ((a = ox_attr_get(k->n, "value")) != NULL && a->type == OX_A_TENSOR)
		return const_view(k, a->t.dtype, a->t.rank, a->t.dims, a->t.data);
	if ((a = ox_attr_get(k->n, "value_float")) != NULL && a->type == OX_A_FLOAT)
		return const_view(k, ONNX_FLOAT, 0, NULL, &a->f);
	if ((a = ox_attr_get(k->n, "value_int")) != NULL && a->type == OX_A_INT)
		return const_view(k, ONNX_INT64, 0, NULL, &a->i);
	if ((a = ox_attr_get(k->n, "value_floats")) != NULL && a->type == OX_A_FLOATS) {
		one = a->n;
		return const_view(k, ONNX_FLOAT, 1, &one, a->floats);
	}
	if ((a = ox_attr_get(k->n, "value_ints")) != NULL && a->type == OX_A_INTS) {
		one = a->n;
		return const_view(k, ONNX_INT64, 1, &one, a->ints);
	}
	return ox_fail(k, CU_EUNSUPPORTED, "no supported value attribute");
}

int ox_prep_shape(struct ox_kctx *k)
{
	struct ox_pval *x = ox_in(k, 0), *o = ox_out(k, 0);
	int64_t r = x->t.rank, start = ox_attr_int(k->n, "start", 0),
	        end = ox_attr_int(k->n, "end", r);
	int rc;

	start = start < 0 ? start + r : start;
	end = end < 0 ? end + r : end;
	start = start < 0 ? 0 : start > r ? r : start;
	end = end < 0 ? 0 : end > r ? r : end;
	int64_t n = end > start ? end - start : 0;
	if ((rc = ox_set_out(k, 0, ONNX_INT64, 1, &n)) != 0)
		return rc;
	if ((o->t.data = malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1))) == NULL)
		return CU_ENOMEM;
	o->owned = o->is_const = true;
	k->plan->const_bytes += (uint64_t)n * sizeof(int64_t);
	if (n > 0)
		memcpy(o->t.data, x->t.dims + start, (size_t)n * sizeof(int64_t));
	return 0;
}

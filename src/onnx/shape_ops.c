/*
 * shape_ops.c - operators that move or relabel data: Reshape, Flatten,
 * Squeeze, Unsqueeze and Dropout (views of their input), Concat,
 * Transpose, Pad, Gather, and Constant and Shape (constants at plan time).
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "onnx/internal.h"

int ox_run_view(const struct ox_run *r)
{
	/* Only reached when folding constants: copy what a view would share. */
	size_t n = (size_t)onnx_tensor_count(r->out[0]) * onnx_dtype_size(r->out[0]->dtype);

	if (n > 0 && r->out[0]->data != r->in[0]->data)
		memcpy(r->out[0]->data, r->in[0]->data, n);
	return 0;
}

static int view_out(struct ox_kctx *k, uint32_t rank, const int64_t *dims)
{
	struct ox_pval *x = ox_in(k, 0);
	uint64_t a = 0, b = 0;

	if (ox_shape_count(dims, rank, UINT64_MAX, &a) != 0 ||
	    ox_shape_count(x->t.dims, x->t.rank, UINT64_MAX, &b) != 0 || a != b)
		return ox_fail(k, CU_EFORMAT, "the new shape has %llu elements, the input %llu",
		               (unsigned long long)a, (unsigned long long)b);
	k->st->view = true;
	return ox_set_out(k, 0, x->t.dtype, rank, dims);
}

int ox_prep_reshape(struct ox_kctx *k)
{
	struct ox_pval *x = ox_in(k, 0);
	int64_t shape[ONNX_MAX_RANK], known = 1;
	uint32_t n, infer = UINT32_MAX;
	int rc = ox_const_ints(k, 1, shape, ONNX_MAX_RANK, &n);
	bool allowzero = ox_attr_int(k->n, "allowzero", 0) != 0;

	if (rc != 0)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		if (shape[i] == 0 && !allowzero) {
			if (i >= x->t.rank)
				return ox_fail(k, CU_EFORMAT,
				               "0 at %u copies a dimension the input lacks", i);
			shape[i] = x->t.dims[i];
		}
		if (shape[i] == -1) {
			if (infer != UINT32_MAX)
				return ox_fail(k, CU_EFORMAT, "more than one -1 in the shape");
			infer = i;
			continue;
		}
		if (shape[i] < 0 || shape[i] > (int64_t)k->m->lim.max_elements)
			return ox_fail(k, CU_EFORMAT, "bad dimension %lld", (long long)shape[i]);
		known *= shape[i] == 0 ? 1 : shape[i];
		if (known > (int64_t)k->m->lim.max_elements)
			return ox_fail(k, CU_ELIMIT, "the shape is too large");
	}
	if (infer != UINT32_MAX) {
		uint64_t total;
		if (ox_shape_count(x->t.dims, x->t.rank, UINT64_MAX, &total) != 0 ||
		    total % (uint64_t)known != 0)
			return ox_fail(k, CU_EFORMAT, "cannot infer the -1 dimension");
		shape[infer] = (int64_t)(total / (uint64_t)known);
	}
	return view_out(k, n, shape);
}

int ox_prep_flatten(struct ox_kctx *k)
{
	struct ox_pval *x = ox_in(k, 0);
	int64_t axis = ox_attr_int(k->n, "axis", 1), dims[2] = {1, 1};
	uint32_t r = x->t.rank;

	if (axis < -(int64_t)r || axis > (int64_t)r)
		return ox_fail(k, CU_EFORMAT, "axis %lld is out of range", (long long)axis);
	if (axis < 0)
		axis += r;
	for (uint32_t i = 0; i < r; i++)
		dims[(int64_t)i < axis ? 0 : 1] *= x->t.dims[i];
	return view_out(k, 2, dims);
}

/* Axes of Squeeze or Unsqueeze: attribute before opset 13, input 1 after. */
static int axes_of(struct ox_kctx *k, int64_t *axes, uint32_t *n, bool *given)
{
	*n = 0;
	*given = false;
	if (k->m->opset < 13) {
		const struct ox_attr *a = ox_attr_get(k->n, "axes");
		if (a == NULL)
			return 0;
		if (a->type != OX_A_INTS || a->n > ONNX_MAX_RANK)
			return ox_fail(k, CU_EFORMAT, "bad axes");
		memcpy(axes, a->ints, a->n * sizeof(int64_t));
		*n = a->n;
		*given = true;
		return 0;
	}
	if (ox_in(k, 1) == NULL)
		return 0;
	*given = true;
	return ox_const_ints(k, 1, axes, ONNX_MAX_RANK, n);
}

int ox_prep_squeeze(struct ox_kctx *k)
{
	struct ox_pval *x = ox_in(k, 0);
	int64_t axes[ONNX_MAX_RANK], dims[ONNX_MAX_RANK], ax;
	bool drop[ONNX_MAX_RANK] = {false}, given;
	uint32_t n, r = 0;
	int rc = axes_of(k, axes, &n, &given);

	if (rc != 0)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		if ((rc = ox_axis(k, axes[i], x->t.rank, &ax)) != 0)
			return rc;
		if (x->t.dims[ax] != 1)
			return ox_fail(k, CU_EFORMAT, "dimension %lld is not 1", (long long)ax);
		drop[ax] = true;
	}
	for (uint32_t i = 0; i < x->t.rank; i++)
		if (!(given ? drop[i] : x->t.dims[i] == 1))
			dims[r++] = x->t.dims[i];
	return view_out(k, r, dims);
}

int ox_prep_unsqueeze(struct ox_kctx *k)
{
	struct ox_pval *x = ox_in(k, 0);
	int64_t axes[ONNX_MAX_RANK], dims[ONNX_MAX_RANK], ax;
	bool ins[ONNX_MAX_RANK] = {false}, given;
	uint32_t n, r, j = 0;
	int rc = axes_of(k, axes, &n, &given);

	if (rc != 0)
		return rc;
	if (!given || n == 0)
		return ox_fail(k, CU_EFORMAT, "axes are required");
	r = x->t.rank + n;
	if (r > ONNX_MAX_RANK)
		return ox_fail(k, CU_ELIMIT, "the result has more than %d dimensions",
		               ONNX_MAX_RANK);
	for (uint32_t i = 0; i < n; i++) {
		if ((rc = ox_axis(k, axes[i], r, &ax)) != 0)
			return rc;
		if (ins[ax])
			return ox_fail(k, CU_EFORMAT, "axis %lld is repeated", (long long)ax);
		ins[ax] = true;
	}
	for (uint32_t i = 0; i < r; i++)
		dims[i] = ins[i] ? 1 : x->t.dims[j++];
	return view_out(k, r, dims);
}

int ox_prep_dropout(struct ox_kctx *k)
{
	struct ox_pval *x = ox_in(k, 0), *tm = ox_in(k, 2);

	if (tm != NULL) {
		if (!tm->is_const || onnx_tensor_count(&tm->t) != 1)
			return ox_fail(k, CU_EUNSUPPORTED, "training_mode must be a constant");
		/* any non-zero bytes mean training */
		const uint8_t *b = tm->t.data;
		for (size_t i = 0; i < onnx_dtype_size(tm->t.dtype); i++)
			if (b[i] != 0)
				return ox_fail(k, CU_EUNSUPPORTED,
				               "training mode is not supported");
	}
	return view_out(k, x->t.rank, x->t.dims);
}

int ox_prep_identity(struct ox_kctx *k)
{
	struct ox_pval *x = ox_in(k, 0);

	return view_out(k, x->t.rank, x->t.dims);
}

int ox_prep_concat(struct ox_kctx *k)
{
	struct ox_pval *x = ox_in(k, 0);
	struct ox_params *p = &k->st->p;
	int64_t dims[ONNX_MAX_RANK], axis;
	const struct ox_attr *a = ox_attr_get(k->n, "axis");
	int rc;

	if (x == NULL || x->t.rank == 0)
		return ox_fail(k, CU_EFORMAT, "inputs must be present and not scalars");
	if (a == NULL || a->type != OX_A_INT)
		return ox_fail(k, CU_EFORMAT, "axis is required");
	if ((rc = ox_axis(k, a->i, x->t.rank, &axis)) != 0)
		return rc;
	memcpy(dims, x->t.dims, sizeof(dims));
	dims[axis] = 0;
	for (uint32_t i = 0; i < k->n->n_in; i++) {
		struct ox_pval *v = ox_in(k, i);
		if (v == NULL || v->t.dtype != x->t.dtype || v->t.rank != x->t.rank)
			return ox_fail(k, CU_EFORMAT, "input %u differs in type or rank", i);
		for (uint32_t d = 0; d < x->t.rank; d++)
			if ((int64_t)d != axis && v->t.dims[d] != x->t.dims[d])
				return ox_fail(k, CU_EFORMAT, "input %u differs in dimension %u", i,
				               d);
		dims[axis] += v->t.dims[axis];
		if (dims[axis] > (int64_t)k->m->lim.max_elements)
			return ox_fail(k, CU_ELIMIT, "the result is too large");
	}
	p->axis = axis;
	p->outer = 1;
	p->inner = 1;
	for (uint32_t d = 0; d < x->t.rank; d++) {
		if ((int64_t)d < axis)
			p->outer *= x->t.dims[d];
		else if ((int64_t)d > axis)
			p->inner *= x->t.dims[d];
	}
	return ox_set_out(k, 0, x->t.dtype, x->t.rank, dims);
}

int ox_run_concat(const struct ox_run *r)
{
	const struct ox_params *p = r->p;
	size_t es = onnx_dtype_size(r->out[0]->dtype);
	uint8_t *y = r->out[0]->data;

	for (int64_t o = 0; o < p->outer; o++)
		for (uint32_t i = 0; i < OX_MAX_IN && r->in[i] != NULL; i++) {
			size_t n = (size_t)(r->in[i]->dims[p->axis] * p->inner) * es;
			if (n > 0)
				memcpy(y, (const uint8_t *)r->in[i]->data + (size_t)o * n, n);
			y += n;
		}
	return 0;
}

int ox_prep_transpose(struct ox_kctx *k)
{
	struct ox_pval *x = ox_in(k, 0);
	struct ox_params *p = &k->st->p;
	const struct ox_attr *a = ox_attr_get(k->n, "perm");
	uint32_t r = x->t.rank;
	int64_t dims[ONNX_MAX_RANK];
	bool seen[ONNX_MAX_RANK] = {false};

	for (uint32_t i = 0; i < r; i++)
		p->perm[i] = r - 1 - i;
	if (a != NULL) {
		if (a->type != OX_A_INTS || a->n != r)
			return ox_fail(k, CU_EFORMAT, "perm must hold %u axes", r);
		for (uint32_t i = 0; i < r; i++) {
			if (a->ints[i] < 0 || a->ints[i] >= (int64_t)r || seen[a->ints[i]])
				return ox_fail(k, CU_EFORMAT, "perm is not a permutation");
			seen[a->ints[i]] = true;
			p->perm[i] = a->ints[i];
		}
	}
	for (uint32_t i = 0; i < r; i++)
		dims[i] = x->t.dims[p->perm[i]];
	return ox_set_out(k, 0, x->t.dtype, r, dims);
}

int ox_run_transpose(const struct ox_run *r)
{
	const struct onnx_tensor *x = r->in[0];
	uint32_t rk = x->rank;
	size_t es = onnx_dtype_size(x->dtype);
	int64_t st[ONNX_MAX_RANK], src[ONNX_MAX_RANK], idx[ONNX_MAX_RANK] = {0}, s = 1;
	uint64_t n = onnx_tensor_count(x), off = 0;
	uint8_t *y = r->out[0]->data;

	for (int32_t i = (int32_t)rk - 1; i >= 0; i--) {
		st[i] = s;
		s *= x->dims[i];
	}
	for (uint32_t i = 0; i < rk; i++)
		src[i] = st[r->p->perm[i]]; /* input stride of output dim i */
	for (uint64_t i = 0; i < n; i++) {
		memcpy(y + i * es, (const uint8_t *)x->data + off * es, es);
		for (int32_t d = (int32_t)rk - 1; d >= 0; d--) {
			off += (uint64_t)src[d];
			if (++idx[d] < r->out[0]->dims[d])
				break;
			off -= (uint64_t)(src[d] * r->out[0]->dims[d]);
			idx[d] = 0;
		}
	}
	return 0;
}

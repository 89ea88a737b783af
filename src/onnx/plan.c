/*
 * plan.c - shape inference, constant folding and the memory plan for one
 * set of input shapes.
 *
 * Nodes are visited in topological order. Each operator's prepare function
 * checks its inputs and computes its outputs' shapes; a node whose inputs
 * are all known at plan time (initializers, Constant, Shape and what they
 * feed) is evaluated now and becomes a constant; Reshape, Flatten,
 * Squeeze, Unsqueeze and Dropout are views sharing their input's memory;
 * an Add of a Conv's output (read by nothing else) and a value of the same
 * shape computed before the Conv joins the Conv, and a Relu or Clip that
 * alone consumes a Conv, Add, Sub, Mul or Div is fused into it. What
 * remains are the steps of a run. Their outputs and workspaces live in one
 * arena: each buffer is live from the step that writes it to the last step
 * that reads it, and buffers whose lives do not overlap share memory
 * (greedy, largest first, lowest free offset).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "onnx/internal.h"

#define OX_ALIGN 64u

struct ox_pval *ox_in(struct ox_kctx *k, uint32_t i)
{
	if (i >= k->n->n_in || k->n->in[i] < 0)
		return NULL;
	return &k->plan->v[k->n->in[i]];
}

struct ox_pval *ox_out(struct ox_kctx *k, uint32_t i)
{
	if (i >= k->n->n_out || k->n->out[i] < 0)
		return NULL;
	return &k->plan->v[k->n->out[i]];
}

int ox_fail(struct ox_kctx *k, int rc, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cu_reason(k->why, k->whysz, rc, "%s node '%.64s': %s", ox_opdef(k->n->op)->name,
	                 k->n->name, msg);
}

int ox_shape_count(const int64_t *dims, uint32_t rank, uint64_t max, uint64_t *count)
{
	uint64_t n = 1;

	*count = 0;
	if (rank > ONNX_MAX_RANK)
		return CU_ELIMIT;
	for (uint32_t i = 0; i < rank; i++) {
		if (dims[i] < 0)
			return CU_EFORMAT;
		if (dims[i] > 0 && n > max / (uint64_t)dims[i])
			return CU_ELIMIT;
		n *= (uint64_t)dims[i];
	}
	if (n > max)
		return CU_ELIMIT;
	*count = n;
	return 0;
}

int ox_set_out(struct ox_kctx *k, uint32_t i, int32_t dtype, uint32_t rank, const int64_t *dims)
{
	struct ox_pval *o = ox_out(k, i);
	uint64_t count;

	if (o == NULL)
		return 0;
	if (rank > ONNX_MAX_RANK)
		return ox_fail(k, CU_ELIMIT, "output has more than %d dimensions", ONNX_MAX_RANK);
	int rc = ox_shape_count(dims, rank, k->m->lim.max_elements, &count);
	if (rc != 0)
		return ox_fail(k, rc, "output shape is invalid or exceeds %llu elements",
		               (unsigned long long)k->m->lim.max_elements);
	o->t.dtype = dtype;
	o->t.rank = rank;
	memset(o->t.dims, 0, sizeof(o->t.dims));
	if (rank > 0)
		memcpy(o->t.dims, dims, rank * sizeof(int64_t));
	o->bytes = count * onnx_dtype_size(dtype);
	o->known = true;
	return 0;
}

int ox_const_ints(struct ox_kctx *k, uint32_t i, int64_t *out, uint32_t max, uint32_t *n)
{
	struct ox_pval *v = ox_in(k, i);

	*n = 0;
	if (v == NULL)
		return ox_fail(k, CU_EFORMAT, "input %u is missing", i);
	if (!v->is_const)
		return ox_fail(k, CU_EUNSUPPORTED, "input %u must be computable before the run", i);
	if (v->t.dtype != ONNX_INT64 || v->t.rank > 1)
		return ox_fail(k, CU_EFORMAT, "input %u must be a 1-d int64 tensor", i);
	uint64_t c = onnx_tensor_count(&v->t);
	if (c > max)
		return ox_fail(k, CU_ELIMIT, "input %u has more than %u values", i, max);
	if (c > 0)
		memcpy(out, v->t.data, c * sizeof(int64_t));
	*n = (uint32_t)c;
	return 0;
}

int ox_axis(struct ox_kctx *k, int64_t axis, uint32_t rank, int64_t *out)
{
	if (axis < -(int64_t)rank || axis >= (int64_t)rank)
		return ox_fail(k, CU_EFORMAT, "axis %lld is out of range for rank %u",
		               (long long)axis, rank);
	*out = axis < 0 ? axis + rank : axis;
	return 0;
}

static int bind_inputs(const struct onnx_model *m, struct ox_plan *p, const struct onnx_tensor *in,
                       uint32_t n, char *why, size_t whysz)
{
	uint64_t count;

	if (n != m->n_inputs)
		return cu_reason(why, whysz, CU_EINVAL, "the model takes %u inputs, not %u",
		                 m->n_inputs, n);
	for (uint32_t i = 0; i < n; i++) {
		const struct onnx_io_info *d = &m->in_info[i];
		struct ox_pval *v = &p->v[m->inputs[i]];
		if (in[i].dtype != d->dtype || in[i].rank > ONNX_MAX_RANK ||
		    (d->rank_known && in[i].rank != d->rank))
			return cu_reason(why, whysz, CU_EINVAL,
			                 "input '%.64s' has the wrong type or rank", d->name);
		for (uint32_t j = 0; d->rank_known && j < d->rank; j++)
			if (d->dims[j] >= 0 && d->dims[j] != in[i].dims[j])
				return cu_reason(
				    why, whysz, CU_EINVAL,
				    "input '%.64s' dimension %u is %lld, the model wants %lld",
				    d->name, j, (long long)in[i].dims[j], (long long)d->dims[j]);
		if (ox_shape_count(in[i].dims, in[i].rank, m->lim.max_elements, &count) != 0)
			return cu_reason(why, whysz, CU_ELIMIT,
			                 "input '%.64s' is too large or has a bad shape", d->name);
		v->t = in[i];
		v->t.data = NULL;
		v->known = true;
		v->input = (int32_t)i;
		v->bytes = count * onnx_dtype_size(in[i].dtype);
		if (in[i].dtype == ONNX_INT64) {
			/* int64 inputs feed shape arithmetic: plan with their values. */
			if (in[i].data == NULL && count > 0)
				return cu_reason(why, whysz, CU_EINVAL, "input '%.64s' has no data",
				                 d->name);
			if ((v->t.data = malloc(v->bytes > 0 ? v->bytes : 1)) == NULL)
				return CU_ENOMEM;
			if (v->bytes > 0)
				memcpy(v->t.data, in[i].data, v->bytes);
			v->owned = v->is_const = true;
			p->const_bytes += v->bytes;
		}
	}
	return 0;
}

static int init_values(const struct onnx_model *m, struct ox_plan *p)
{
	p->n_values = m->n_values;
	if ((p->v = calloc(m->n_values + 1, sizeof(*p->v))) == NULL)
		return CU_ENOMEM;
	for (uint32_t i = 0; i < m->n_values; i++) {
		struct ox_pval *v = &p->v[i];
		v->alias = -1;
		v->def = -1;
		v->last = -1;
		v->input = -1;
		if (m->values[i].kind == OX_V_INIT) {
			v->t = m->values[i].init;
			v->known = v->is_const = true;
		}
	}
	return 0;
}

/* Evaluate a node whose inputs are all constant; its outputs become constants. */
static int fold(struct ox_kctx *k)
{
	struct ox_run r;
	void *ws = NULL;
	int rc;

	memset(&r, 0, sizeof(r));
	r.p = &k->st->p;
	r.threads = 1;
	for (uint32_t i = 0; i < k->n->n_in && i < OX_MAX_IN; i++)
		r.in[i] = ox_in(k, i) != NULL ? &ox_in(k, i)->t : NULL;
	for (uint32_t i = 0; i < k->n->n_out && i < 4; i++) {
		struct ox_pval *o = ox_out(k, i);
		if (o == NULL)
			continue;
		k->plan->const_bytes += o->bytes + k->st->ws_bytes;
		if (k->plan->const_bytes > k->m->lim.max_memory)
			return ox_fail(k, CU_ELIMIT, "constants exceed the memory limit");
		if ((o->t.data = malloc(o->bytes > 0 ? o->bytes : 1)) == NULL)
			return CU_ENOMEM;
		o->owned = o->is_const = true;
		r.out[i] = &o->t;
	}
	if (k->st->ws_bytes > 0 && (ws = malloc(k->st->ws_bytes)) == NULL)
		return CU_ENOMEM;
	r.ws = ws;
	rc = ox_kernel_of(k->n->op)(&r);
	free(ws);
	if (rc != 0)
		return ox_fail(k, rc, "failed while folding constants");
	return 0;
}

static bool all_inputs_const(struct ox_kctx *k)
{
	for (uint32_t i = 0; i < k->n->n_in; i++)
		if (ox_in(k, i) != NULL && !ox_in(k, i)->is_const)
			return false;
	return true;
}

static int32_t root_of(const struct ox_plan *p, int32_t v)
{
	return p->v[v].alias >= 0 ? p->v[v].alias : v;
}

/*
 * The producer fusions look for: one of the last few steps (an exported
 * graph may put a branch's step between them), whose output only the
 * fusing node reads, so no step in between reads it.
 */
#define OX_FUSE_BACK 4

/*
 * The step among the last OX_FUSE_BACK whose result is v: its output 0, or
 * the output of the Add fused into it. NULL if none.
 */
static struct ox_step *producer(struct ox_kctx *k, int32_t v, uint32_t *at)
{
	struct ox_plan *p = k->plan;

	for (uint32_t back = 1; back <= OX_FUSE_BACK && back <= p->n_steps; back++) {
		struct ox_step *prev = &p->steps[p->n_steps - back];
		if (prev->sum >= 0 ? prev->sum_out == v : k->m->nodes[prev->node].out[0] == v) {
			*at = p->n_steps - back;
			return prev;
		}
	}
	return NULL;
}

/* Whether a and b have the same dtype and dims. */
static bool same_shape(const struct onnx_tensor *a, const struct onnx_tensor *b)
{
	return a->dtype == b->dtype && a->rank == b->rank &&
	       memcmp(a->dims, b->dims, a->rank * sizeof(a->dims[0])) == 0;
}

/*
 * An Add of a float Conv's output, which nothing else reads, and a value
 * of exactly its shape (a residual connection) joins the Conv: the Conv
 * adds the value after its bias and before any activation fused later.
 * The value must exist when the Conv runs: a graph input, a constant, or
 * a step's output from before it. Returns the Conv's output, which the
 * Add's output then shares, or -1.
 */
static int32_t fuse_sum(struct ox_kctx *k, const uint32_t *uses)
{
	struct ox_plan *p = k->plan;
	const struct ox_node *n = k->n;
	uint32_t at;

	if (n->op != OX_ADD || n->n_in != 2 || n->in[0] < 0 || n->in[1] < 0)
		return -1;
	for (int side = 0; side < 2; side++) {
		int32_t mine = n->in[side], other = n->in[1 - side];
		struct ox_step *prev = producer(k, mine, &at);
		if (prev == NULL || k->m->nodes[prev->node].op != OX_CONV || uses[mine] != 1 ||
		    mine == other || !ox_conv_takes_sum(&prev->p) || prev->p.act != OX_ACT_NONE ||
		    prev->sum >= 0)
			continue;
		const struct ox_pval *ov = &p->v[other], *cv = &p->v[mine];
		if (cv->t.dtype != ONNX_FLOAT || !same_shape(&ov->t, &cv->t) ||
		    !same_shape(&ov->t, &ox_out(k, 0)->t) ||
		    (!ov->is_const && ov->input < 0 && p->v[root_of(p, other)].def >= (int32_t)at))
			continue;
		prev->sum = other;
		prev->sum_out = n->out[0];
		return mine;
	}
	return -1;
}

/*
 * A Relu or Clip that alone reads the float output of a Conv or an Add,
 * Sub, Mul or Div joins it.
 */
static bool try_fuse(struct ox_kctx *k, const uint32_t *uses)
{
	struct ox_plan *p = k->plan;
	const struct ox_node *n = k->n;
	uint32_t at;

	if ((n->op != OX_RELU && n->op != OX_CLIP) || (n->op == OX_CLIP && k->st->p.axis != 0) ||
	    uses[n->in[0]] != 1 || p->v[n->in[0]].t.dtype != ONNX_FLOAT)
		return false;
	struct ox_step *prev = producer(k, n->in[0], &at);
	if (prev == NULL)
		return false;
	enum ox_op op = k->m->nodes[prev->node].op;
	if ((op != OX_CONV && op != OX_ADD && op != OX_SUB && op != OX_MUL && op != OX_DIV) ||
	    prev->p.act != OX_ACT_NONE)
		return false;
	prev->p.act = n->op == OX_RELU ? OX_ACT_RELU : OX_ACT_CLIP;
	prev->p.a = k->st->p.a;
	prev->p.b = k->st->p.b;
	return true;
}

static int plan_node(const struct onnx_model *m, struct ox_plan *p, uint32_t ni,
                     const uint32_t *uses, char *why, size_t whysz)
{
	const struct ox_node *n = &m->nodes[ni];
	struct ox_step *st = &p->steps[p->n_steps];
	struct ox_kctx k = {m, n, p, st, why, whysz};
	int rc;

	free(st->p.pack); /* a slot left by a node that did not become a step */
	memset(st, 0, sizeof(*st));
	st->node = ni;
	st->sum = -1;
	for (uint32_t i = 0; i < n->n_in; i++) {
		if (ox_in(&k, i) == NULL && i < ox_opdef(n->op)->min_in)
			return ox_fail(&k, CU_EFORMAT, "input %u is required", i);
		if (ox_in(&k, i) != NULL && !ox_in(&k, i)->known)
			return ox_fail(&k, CU_EFORMAT, "input %u has no shape", i);
	}
	if ((rc = ox_prepare_of(n->op)(&k)) != 0)
		return rc;
	for (uint32_t i = 0; i < n->n_out; i++)
		if (ox_out(&k, i) != NULL && !ox_out(&k, i)->known)
			return ox_fail(&k, CU_EUNSUPPORTED, "optional output %u is not supported",
			               i);
	struct ox_pval *o = ox_out(&k, 0), *i0 = ox_in(&k, 0);
	if (o->is_const)
		return 0;
	int32_t shared = st->view ? -1 : fuse_sum(&k, uses);
	if (shared >= 0) {
		o->alias = root_of(p, shared);
		return 0;
	}
	if (!st->view && try_fuse(&k, uses))
		st->view = true;
	if (st->view) {
		if (i0->is_const) {
			o->is_const = true;
			o->t.data = i0->t.data;
		} else {
			o->alias = i0->alias >= 0 ? i0->alias : n->in[0];
		}
		return 0;
	}
	if (all_inputs_const(&k))
		return fold(&k);
	for (uint32_t i = 0; i < n->n_out; i++)
		if (ox_out(&k, i) != NULL)
			ox_out(&k, i)->def = (int32_t)p->n_steps;
	p->n_steps++;
	return 0;
}

static uint32_t *count_uses(const struct onnx_model *m)
{
	uint32_t *uses = calloc(m->n_values + 1, sizeof(uint32_t));

	if (uses == NULL)
		return NULL;
	for (uint32_t i = 0; i < m->n_nodes; i++)
		for (uint32_t j = 0; j < m->nodes[i].n_in; j++)
			if (m->nodes[i].in[j] >= 0)
				uses[m->nodes[i].in[j]]++;
	for (uint32_t i = 0; i < m->n_outputs; i++)
		uses[m->outputs[i]] += 2; /* never fused away */
	return uses;
}

/* Value v is read at step s. */
static void read_at(struct ox_plan *p, int32_t v, uint32_t s)
{
	struct ox_pval *r = &p->v[root_of(p, v)];

	if ((int32_t)s > r->last)
		r->last = (int32_t)s;
}

static void liveness(const struct onnx_model *m, struct ox_plan *p)
{
	for (uint32_t s = 0; s < p->n_steps; s++) {
		const struct ox_node *n = &m->nodes[p->steps[s].node];
		for (uint32_t j = 0; j < n->n_in; j++)
			if (n->in[j] >= 0)
				read_at(p, n->in[j], s);
		if (p->steps[s].sum >= 0)
			read_at(p, p->steps[s].sum, s);
	}
	for (uint32_t i = 0; i < m->n_outputs; i++)
		p->v[root_of(p, m->outputs[i])].last = INT32_MAX;
}

struct ox_buf {
	uint64_t size;
	int32_t start, end;
	uint64_t *off;
};

static int cmp_buf(const void *a, const void *b)
{
	const struct ox_buf *x = a, *y = b;

	return x->size < y->size ? 1 : x->size > y->size ? -1 : 0;
}

static uint64_t round_up(uint64_t v)
{
	return (v + OX_ALIGN - 1) / OX_ALIGN * OX_ALIGN;
}

/* Lowest offset where b fits beside the placed buffers that live at the same time. */
static uint64_t place(const struct ox_buf *bufs, uint32_t placed, const struct ox_buf *b)
{
	uint64_t off = 0;
	bool moved = true;

	while (moved) {
		moved = false;
		for (uint32_t i = 0; i < placed; i++) {
			const struct ox_buf *o = &bufs[i];
			if (o->end < b->start || b->end < o->start)
				continue;
			if (off < *o->off + o->size && *o->off < off + b->size) {
				off = round_up(*o->off + o->size);
				moved = true;
			}
		}
	}
	return off;
}

static int assign_memory(const struct onnx_model *m, struct ox_plan *p, char *why, size_t whysz)
{
	struct ox_buf *bufs = calloc(p->n_values + p->n_steps + 1, sizeof(*bufs));
	uint32_t nb = 0;

	if (bufs == NULL)
		return CU_ENOMEM;
	for (uint32_t i = 0; i < p->n_values; i++) {
		struct ox_pval *v = &p->v[i];
		if (v->is_const || v->input >= 0 || v->alias >= 0 || v->def < 0)
			continue;
		if (v->last < v->def)
			v->last = v->def;
		bufs[nb++] = (struct ox_buf){round_up(v->bytes), v->def, v->last, &v->off};
	}
	for (uint32_t s = 0; s < p->n_steps; s++)
		if (p->steps[s].ws_bytes > 0)
			bufs[nb++] = (struct ox_buf){round_up(p->steps[s].ws_bytes), (int32_t)s,
			                             (int32_t)s, &p->steps[s].ws_off};
	qsort(bufs, nb, sizeof(*bufs), cmp_buf);
	p->arena_bytes = 0;
	for (uint32_t i = 0; i < nb; i++) {
		*bufs[i].off = place(bufs, i, &bufs[i]);
		if (*bufs[i].off + bufs[i].size > p->arena_bytes)
			p->arena_bytes = *bufs[i].off + bufs[i].size;
	}
	free(bufs);
	if (p->arena_bytes > m->lim.max_memory ||
	    p->const_bytes > m->lim.max_memory - p->arena_bytes)
		return cu_reason(why, whysz, CU_ELIMIT,
		                 "the run needs %llu bytes, more than the limit",
		                 (unsigned long long)(p->arena_bytes + p->const_bytes));
	return 0;
}

int ox_plan_build(const struct onnx_model *m, const struct onnx_tensor *inputs, uint32_t n,
                  unsigned threads, struct ox_plan **out, char *why, size_t whysz)
{
	struct ox_plan *p = calloc(1, sizeof(*p));
	uint32_t *uses = count_uses(m);
	int rc = CU_ENOMEM;

	*out = NULL;
	if (p == NULL || uses == NULL)
		goto out;
	if ((p->steps = calloc(m->n_nodes + 1, sizeof(*p->steps))) == NULL ||
	    (p->in_shapes = calloc(n + 1, sizeof(*p->in_shapes))) == NULL)
		goto out;
	if ((rc = init_values(m, p)) != 0 || (rc = bind_inputs(m, p, inputs, n, why, whysz)) != 0)
		goto out;
	p->n_inputs = n;
	p->threads = threads;
	for (uint32_t i = 0; i < n; i++) {
		p->in_shapes[i] = inputs[i];
		p->in_shapes[i].data =
		    p->v[m->inputs[i]].is_const ? p->v[m->inputs[i]].t.data : NULL;
	}
	for (uint32_t i = 0; i < m->n_nodes; i++)
		if ((rc = plan_node(m, p, i, uses, why, whysz)) != 0)
			goto out;
	liveness(m, p);
	if ((rc = assign_memory(m, p, why, whysz)) != 0)
		goto out;
	*out = p;
	p = NULL;
out:
	free(uses);
	ox_plan_free(p);
	return rc;
}

void ox_plan_free(struct ox_plan *p)
{
	if (p == NULL)
		return;
	for (uint32_t i = 0; p->v != NULL && i < p->n_values; i++)
		if (p->v[i].owned)
			free(p->v[i].t.data);
	free(p->v);
	/* The slot after the last step may hold a failed node's packed weights. */
	for (uint32_t i = 0; p->steps != NULL && i <= p->n_steps; i++)
		free(p->steps[i].p.pack);
	free(p->steps);
	free(p->in_shapes);
	free(p);
}

bool ox_plan_matches(const struct ox_plan *p, const struct onnx_tensor *inputs, uint32_t n)
{
	if (p == NULL || n != p->n_inputs)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		const struct onnx_tensor *a = &p->in_shapes[i], *b = &inputs[i];
		if (a->dtype != b->dtype || a->rank != b->rank || b->rank > ONNX_MAX_RANK ||
		    memcmp(a->dims, b->dims, b->rank * sizeof(int64_t)) != 0)
			return false;
		if (a->dtype == ONNX_INT64 && onnx_tensor_count(a) > 0 &&
		    memcmp(a->data, b->data, onnx_tensor_count(a) * sizeof(int64_t)) != 0)
			return false;
	}
	return true;
}

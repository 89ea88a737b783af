/*
 * exec.c - sessions: keep the plan for the last input shapes and its
 * arena, bind the data pointers and run the steps.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "onnx/internal.h"

struct onnx_session {
	const struct onnx_model *m;
	unsigned threads;
	struct ox_plan *plan;
	uint8_t *arena;
	struct ox_pool *pool;
};

int onnx_session_new(const struct onnx_model *m, unsigned threads, struct onnx_session **out)
{
	struct onnx_session *s;

	*out = NULL;
	if (m == NULL || threads == 0 || threads > OX_MAX_THREADS)
		return CU_EINVAL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CU_ENOMEM;
	s->m = m;
	s->threads = threads;
	int rc = ox_pool_new(threads, &s->pool);
	if (rc != 0) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void onnx_session_free(struct onnx_session *s)
{
	if (s == NULL)
		return;
	ox_pool_free(s->pool);
	ox_plan_free(s->plan);
	free(s->arena);
	free(s);
}

static int replan(struct onnx_session *s, const struct onnx_tensor *in, uint32_t n, char *why,
                  size_t whysz)
{
	struct ox_plan *p = NULL;
	int rc;

	ox_plan_free(s->plan);
	free(s->arena);
	s->plan = NULL;
	s->arena = NULL;
	if ((rc = ox_plan_build(s->m, in, n, s->threads, &p, why, whysz)) != 0)
		return rc;
	s->arena = aligned_alloc(64, p->arena_bytes > 0 ? p->arena_bytes : 64);
	if (s->arena == NULL) {
		ox_plan_free(p);
		return cu_reason(why, whysz, CU_ENOMEM, "cannot allocate %llu bytes",
		                 (unsigned long long)p->arena_bytes);
	}
	s->plan = p;
	return 0;
}

/* Point every non-constant value at its memory for this run. */
static void bind(struct onnx_session *s, const struct onnx_tensor *in)
{
	struct ox_plan *p = s->plan;

	for (uint32_t i = 0; i < p->n_values; i++) {
		struct ox_pval *v = &p->v[i];
		if (v->is_const || v->alias >= 0)
			continue;
		if (v->input >= 0)
			v->t.data = in[v->input].data;
		else if (v->def >= 0)
			v->t.data = s->arena + v->off;
	}
	for (uint32_t i = 0; i < p->n_values; i++)
		if (!p->v[i].is_const && p->v[i].alias >= 0)
			p->v[i].t.data = p->v[p->v[i].alias].t.data;
}

static int run_steps(struct onnx_session *s, char *why, size_t whysz)
{
	struct ox_plan *p = s->plan;
	struct ox_run r;

	for (uint32_t i = 0; i < p->n_steps; i++) {
		const struct ox_step *st = &p->steps[i];
		const struct ox_node *n = &s->m->nodes[st->node];
		memset(&r, 0, sizeof(r));
		r.p = &st->p;
		r.sum = st->sum >= 0 ? &p->v[st->sum].t : NULL;
		r.threads = s->threads;
		r.pool = s->pool;
		r.ws = st->ws_bytes > 0 ? s->arena + st->ws_off : NULL;
		for (uint32_t j = 0; j < n->n_in && j < OX_MAX_IN; j++)
			r.in[j] = n->in[j] >= 0 ? &p->v[n->in[j]].t : NULL;
		for (uint32_t j = 0; j < n->n_out && j < 4; j++)
			r.out[j] = n->out[j] >= 0 ? &p->v[n->out[j]].t : NULL;
		int rc = ox_kernel_of(n->op)(&r);
		if (rc != 0)
			return cu_reason(why, whysz, rc, "%s node '%.64s' failed",
			                 ox_opdef(n->op)->name, n->name);
	}
	return 0;
}

int onnx_session_run(struct onnx_session *s, const struct onnx_tensor *inputs, size_t n_inputs,
                     struct onnx_tensor *outputs, size_t n_outputs, char *why, size_t whysz)
{
	const struct onnx_model *m = s->m;
	int rc;

	if (n_outputs < m->n_outputs)
		return cu_reason(why, whysz, CU_EINVAL, "room for %zu outputs, the model has %u",
		                 n_outputs, m->n_outputs);
	memset(outputs, 0, n_outputs * sizeof(*outputs));
	if (n_inputs != m->n_inputs)
		return cu_reason(why, whysz, CU_EINVAL, "the model takes %u inputs, not %zu",
		                 m->n_inputs, n_inputs);
	for (size_t i = 0; i < n_inputs; i++)
		if (inputs[i].data == NULL && onnx_tensor_count(&inputs[i]) > 0)
			return cu_reason(why, whysz, CU_EINVAL, "input %zu has no data", i);
	if (!ox_plan_matches(s->plan, inputs, (uint32_t)n_inputs) &&
	    (rc = replan(s, inputs, (uint32_t)n_inputs, why, whysz)) != 0)
		return rc;
	/* Products thread through the session's pool; BLAS runs on one thread. */
	ox_blas_threads(1);
	bind(s, inputs);
	if ((rc = run_steps(s, why, whysz)) != 0)
		return rc;
	for (uint32_t i = 0; i < m->n_outputs; i++)
		outputs[i] = s->plan->v[m->outputs[i]].t;
	return 0;
}

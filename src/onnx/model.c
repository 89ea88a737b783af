/*
 * model.c - load a ModelProto: bounded unpack, copy into our own graph,
 * check names, edges and order. Shapes are checked by a trial plan.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "onnx.pb-c.h"
#include "onnx/internal.h"
#include "onnx/pbutil.h"

#define OX_IR_MIN 3

void onnx_limits_default(struct onnx_limits *l)
{
	l->max_model_bytes = (size_t)1 << 30;
	l->max_nodes = 20000;
	l->max_tensors = 100000;
	l->max_attributes = 4096;
	l->max_string = 4096;
	l->max_elements = (uint64_t)1 << 31;
	l->max_memory = (uint64_t)16 << 30;
}

static int check_name(const struct onnx_limits *lim, const char *s, char *why, size_t whysz)
{
	if (s == NULL)
		return cu_reason(why, whysz, CU_EFORMAT, "missing name");
	if (strnlen(s, lim->max_string + 1) > lim->max_string)
		return cu_reason(why, whysz, CU_ELIMIT, "a name is longer than %u bytes",
		                 lim->max_string);
	return 0;
}

/* Value lookup by name through an open-addressing hash table built at load. */
static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static int32_t find_value(const struct onnx_model *m, const char *name)
{
	uint32_t mask = m->hcap - 1;

	for (uint32_t i = name_hash(name) & mask;; i = (i + 1) & mask) {
		int32_t v = m->htab[i];
		if (v < 0 || strcmp(m->values[v].name, name) == 0)
			return v;
	}
}

static int add_value(struct onnx_model *m, const char *name, enum ox_kind kind, int32_t *idx,
                     char *why, size_t whysz)
{
	int rc = check_name(&m->lim, name, why, whysz);

	*idx = -1;
	if (rc != 0)
		return rc;
	if (name[0] == '\0')
		return cu_reason(why, whysz, CU_EFORMAT, "a value has an empty name");
	if (find_value(m, name) >= 0)
		return cu_reason(why, whysz, CU_EFORMAT, "value '%.64s' is defined twice", name);
	if (m->n_values >= m->lim.max_tensors || 2 * (m->n_values + 1) > m->hcap)
		return cu_reason(why, whysz, CU_ELIMIT, "more than %u values", m->lim.max_tensors);
	struct ox_value *v = &m->values[m->n_values];
	memset(v, 0, sizeof(*v));
	v->name = strdup(name);
	if (v->name == NULL)
		return CU_ENOMEM;
	v->kind = kind;
	*idx = (int32_t)m->n_values++;
	uint32_t mask = m->hcap - 1, i = name_hash(name) & mask;
	while (m->htab[i] >= 0)
		i = (i + 1) & mask;
	m->htab[i] = *idx;
	return 0;
}

static int copy_io_info(const struct onnx_model *m, const Onnx__ValueInfoProto *vi,
                        struct onnx_io_info *info, char *why, size_t whysz)
{
	memset(info, 0, sizeof(*info));
	info->name = vi->name;
	info->dtype = ONNX_FLOAT;
	if (vi->type == NULL || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
		return cu_reason(why, whysz, CU_EUNSUPPORTED, "'%s' is not a tensor", vi->name);
	const Onnx__TypeProto__Tensor *tt = vi->type->tensor_type;
	if (tt->has_elem_type)
		info->dtype = tt->elem_type;
	if (onnx_dtype_size(info->dtype) == 0)
		return cu_reason(why, whysz, CU_EUNSUPPORTED,
		                 "'%s' has element type %d (not float or int64)", vi->name,
		                 info->dtype);
	if (tt->shape == NULL)
		return 0;
	if (tt->shape->n_dim > ONNX_MAX_RANK)
		return cu_reason(why, whysz, CU_ELIMIT, "'%s' has more than %d dimensions",
		                 vi->name, ONNX_MAX_RANK);
	info->rank_known = 1;
	info->rank = (uint32_t)tt->shape->n_dim;
	for (uint32_t i = 0; i < info->rank; i++) {
		const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
		info->dims[i] = -1;
		if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
			if (d->dim_value < 0 || (uint64_t)d->dim_value > m->lim.max_elements)
				return cu_reason(why, whysz, CU_ELIMIT, "'%s' has a bad dimension",
				                 vi->name);
			info->dims[i] = d->dim_value;
		}
	}
	return 0;
}

static int copy_attr(const struct onnx_model *m, const Onnx__AttributeProto *a, struct ox_attr *o,
                     char *why, size_t whysz)
{
	int rc = check_name(&m->lim, a->name, why, whysz);

	if (rc != 0)
		return rc;
	if ((o->name = strdup(a->name)) == NULL)
		return CU_ENOMEM;
	o->type = a->has_type ? (int)a->type : 0;
	if (a->ref_attr_name != NULL && a->ref_attr_name[0] != '\0')
		return cu_reason(why, whysz, CU_EUNSUPPORTED,
		                 "attribute references are not supported");
	switch (o->type) {
	case OX_A_FLOAT:
		o->f = a->f;
		return 0;
	case OX_A_INT:
		o->i = a->i;
		return 0;
	case OX_A_STRING:
		if (a->s.len > m->lim.max_string)
			return cu_reason(why, whysz, CU_ELIMIT, "attribute '%s' is too long",
			                 a->name);
		if ((o->s = calloc(1, a->s.len + 1)) == NULL)
			return CU_ENOMEM;
		if (a->s.len > 0)
			memcpy(o->s, a->s.data, a->s.len);
		return 0;
	case OX_A_FLOATS:
	case OX_A_INTS: {
		size_t n = o->type == OX_A_INTS ? a->n_ints : a->n_floats;
		if (n > m->lim.max_attributes)
			return cu_reason(why, whysz, CU_ELIMIT,
			                 "attribute '%s' has too many values", a->name);
		o->n = (uint32_t)n;
		if (o->type == OX_A_INTS) {
			if ((o->ints = calloc(n + 1, sizeof(int64_t))) == NULL)
				return CU_ENOMEM;
			if (n > 0)
				memcpy(o->ints, a->ints, n * sizeof(int64_t));
		} else {
			if ((o->floats = calloc(n + 1, sizeof(float))) == NULL)
				return CU_ENOMEM;
			if (n > 0)
				memcpy(o->floats, a->floats, n * sizeof(float));
		}
		return 0;
	}
	case OX_A_TENSOR:
		if (a->t == NULL)
			return cu_reason(why, whysz, CU_EFORMAT, "attribute '%s' has no tensor",
			                 a->name);
		return ox_tensor_from_proto(a->t, &m->lim, &o->t, why, whysz);
	default:
		/* Graphs, sparse tensors and lists of strings or tensors: no supported op uses
		 * them. */
		o->type = 0;
		return 0;
	}
}

static int copy_node(struct onnx_model *m, const Onnx__NodeProto *np, struct ox_node *n, char *why,
                     size_t whysz)
{
	const char *nm = np->name != NULL && np->name[0] != '\0' ? np->name : "(unnamed)";
	int rc;

	if ((rc = check_name(&m->lim, np->op_type, why, whysz)) != 0 ||
	    (rc = check_name(&m->lim, nm, why, whysz)) != 0)
		return rc;
	if ((n->name = strdup(nm)) == NULL)
		return CU_ENOMEM;
	if (np->domain != NULL && np->domain[0] != '\0' && strcmp(np->domain, "ai.onnx") != 0)
		return cu_reason(why, whysz, CU_EUNSUPPORTED,
		                 "unsupported operator '%.64s' of domain '%.64s' (node '%.64s')",
		                 np->op_type, np->domain, nm);
	if (ox_op_lookup(np->op_type, &n->op) != 0)
		return cu_reason(why, whysz, CU_EUNSUPPORTED,
		                 "unsupported operator '%.64s' (node '%.64s')", np->op_type, nm);
	const struct ox_opdef *d = ox_opdef(n->op);
	if (np->n_input < d->min_in || np->n_input > d->max_in || np->n_output < d->min_out ||
	    np->n_output > d->max_out)
		return cu_reason(why, whysz, CU_EFORMAT,
		                 "node '%.64s' (%s) has %zu inputs and %zu outputs", nm, d->name,
		                 np->n_input, np->n_output);
	if (np->n_attribute > m->lim.max_attributes)
		return cu_reason(why, whysz, CU_ELIMIT, "node '%.64s' has too many attributes", nm);
	n->n_in = (uint32_t)np->n_input;
	n->n_out = (uint32_t)np->n_output;
	n->in = calloc(n->n_in + 1, sizeof(int32_t));
	n->out = calloc(n->n_out + 1, sizeof(int32_t));
	n->attr = calloc(np->n_attribute + 1, sizeof(struct ox_attr));
	if (n->in == NULL || n->out == NULL || n->attr == NULL)
		return CU_ENOMEM;
	for (size_t i = 0; i < np->n_attribute; i++) {
		n->n_attr++;
		if ((rc = copy_attr(m, np->attribute[i], &n->attr[i], why, whysz)) != 0)
			return rc;
	}
	for (uint32_t i = 0; i < n->n_in; i++) {
		if ((rc = check_name(&m->lim, np->input[i], why, whysz)) != 0)
			return rc;
		n->in[i] = -1;
		if (np->input[i][0] == '\0')
			continue;
		if ((n->in[i] = find_value(m, np->input[i])) < 0)
			return cu_reason(why, whysz, CU_EFORMAT,
			                 "node '%.64s' reads '%.64s', which nothing defines", nm,
			                 np->input[i]);
	}
	for (uint32_t i = 0; i < n->n_out; i++) {
		n->out[i] = -1;
		if (np->output[i] == NULL || np->output[i][0] == '\0')
			continue;
		n->out[i] = find_value(m, np->output[i]);
	}
	if (n->out[0] < 0)
		return cu_reason(why, whysz, CU_EFORMAT, "node '%.64s' has no first output", nm);
	return 0;
}

/* Define every node output, so that edges resolve whatever the node order. */
static int define_outputs(struct onnx_model *m, const Onnx__GraphProto *g, int32_t *prod, char *why,
                          size_t whysz)
{
	int32_t idx;
	int rc;

	for (size_t i = 0; i < g->n_node; i++)
		for (size_t j = 0; j < g->node[i]->n_output; j++) {
			const char *o = g->node[i]->output[j];
			if ((rc = check_name(&m->lim, o, why, whysz)) != 0)
				return rc;
			if (o[0] == '\0')
				continue;
			if ((rc = add_value(m, o, OX_V_NODE, &idx, why, whysz)) != 0)
				return rc;
			prod[idx] = (int32_t)i;
		}
	return 0;
}

/* Edges between nodes as a CSR list: succ[first[i]..first[i+1]) follow node i. */
static int build_edges(struct onnx_model *m, const Onnx__GraphProto *g, const int32_t *prod,
                       uint32_t *first, uint32_t *succ, uint32_t *indeg, char *why, size_t whysz)
{
	size_t nn = g->n_node;
	int rc;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < nn; i++) {
			const Onnx__NodeProto *np = g->node[i];
			for (size_t j = 0; j < np->n_input; j++) {
				if ((rc = check_name(&m->lim, np->input[j], why, whysz)) != 0)
					return rc;
				if (np->input[j][0] == '\0')
					continue;
				int32_t v = find_value(m, np->input[j]);
				if (v < 0)
					return cu_reason(
					    why, whysz, CU_EFORMAT,
					    "node '%.64s' reads '%.64s', which nothing defines",
					    np->name ? np->name : "", np->input[j]);
				if (prod[v] < 0)
					continue;
				if (pass == 0) {
					first[prod[v] + 1]++;
					indeg[i]++;
				} else {
					succ[first[prod[v]]++] = (uint32_t)i;
				}
			}
		}
		if (pass == 0)
			for (size_t i = 0; i < nn; i++)
				first[i + 1] += first[i];
		else
			for (size_t i = nn; i > 0; i--)
				first[i] = first[i - 1];
		first[0] = 0;
	}
	return 0;
}

/* Copy the nodes in topological order (Kahn); a node never ready is on a cycle. */
static int copy_nodes(struct onnx_model *m, const Onnx__GraphProto *g, char *why, size_t whysz)
{
	size_t nn = g->n_node, nedge = 0, head = 0, tail = 0;
	int32_t *prod = malloc(m->hcap * sizeof(int32_t));
	uint32_t *first = calloc(nn + 2, sizeof(uint32_t)),
	         *indeg = calloc(nn + 1, sizeof(uint32_t));
	uint32_t *queue = calloc(nn + 1, sizeof(uint32_t)), *succ = NULL;
	int rc = CU_ENOMEM;

	for (size_t i = 0; i < nn; i++)
		nedge += g->node[i]->n_input;
	if (prod == NULL || first == NULL || indeg == NULL || queue == NULL ||
	    (succ = calloc(nedge + 1, sizeof(uint32_t))) == NULL)
		goto out;
	for (uint32_t i = 0; i < m->hcap; i++)
		prod[i] = -1;
	if ((rc = define_outputs(m, g, prod, why, whysz)) != 0 ||
	    (rc = build_edges(m, g, prod, first, succ, indeg, why, whysz)) != 0)
		goto out;
	for (size_t i = 0; i < nn; i++)
		if (indeg[i] == 0)
			queue[tail++] = (uint32_t)i;
	while (head < tail) {
		uint32_t i = queue[head++];
		if ((rc = copy_node(m, g->node[i], &m->nodes[m->n_nodes++], why, whysz)) != 0)
			goto out;
		for (uint32_t e = first[i]; e < first[i + 1]; e++)
			if (--indeg[succ[e]] == 0)
				queue[tail++] = succ[e];
	}
	rc = 0;
	if (m->n_nodes < nn)
		for (size_t i = 0; i < nn; i++)
			if (indeg[i] > 0) {
				rc = cu_reason(why, whysz, CU_EFORMAT, "node '%.64s' is on a cycle",
				               g->node[i]->name ? g->node[i]->name : "");
				break;
			}
out:
	free(prod);
	free(first);
	free(indeg);
	free(queue);
	free(succ);
	return rc;
}

static int copy_io(struct onnx_model *m, const Onnx__GraphProto *g, char *why, size_t whysz)
{
	int rc;

	m->inputs = calloc(g->n_input + 1, sizeof(int32_t));
	m->in_info = calloc(g->n_input + 1, sizeof(*m->in_info));
	m->outputs = calloc(g->n_output + 1, sizeof(int32_t));
	m->out_info = calloc(g->n_output + 1, sizeof(*m->out_info));
	if (m->inputs == NULL || m->in_info == NULL || m->outputs == NULL || m->out_info == NULL)
		return CU_ENOMEM;
	for (size_t i = 0; i < g->n_input; i++) {
		const Onnx__ValueInfoProto *vi = g->input[i];
		int32_t idx;
		if ((rc = check_name(&m->lim, vi->name, why, whysz)) != 0)
			return rc;
		int32_t have = find_value(m, vi->name);
		if (have >= 0 && m->values[have].kind == OX_V_INIT)
			continue; /* an initializer listed as an input (IR < 4): its default stands
			           */
		if ((rc = add_value(m, vi->name, OX_V_INPUT, &idx, why, whysz)) != 0)
			return rc;
		if ((rc = copy_io_info(m, vi, &m->in_info[m->n_inputs], why, whysz)) != 0)
			return rc;
		m->in_info[m->n_inputs].name = m->values[idx].name;
		m->inputs[m->n_inputs++] = idx;
	}
	return 0;
}

static int copy_outputs(struct onnx_model *m, const Onnx__GraphProto *g, char *why, size_t whysz)
{
	int rc;

	if (g->n_output == 0)
		return cu_reason(why, whysz, CU_EFORMAT, "the graph has no outputs");
	for (size_t i = 0; i < g->n_output; i++) {
		const Onnx__ValueInfoProto *vi = g->output[i];
		if ((rc = check_name(&m->lim, vi->name, why, whysz)) != 0)
			return rc;
		int32_t idx = find_value(m, vi->name);
		if (idx < 0)
			return cu_reason(why, whysz, CU_EFORMAT,
			                 "graph output '%.64s' is never defined", vi->name);
		if ((rc = copy_io_info(m, vi, &m->out_info[i], why, whysz)) != 0)
			return rc;
		m->out_info[i].name = m->values[idx].name;
		m->outputs[m->n_outputs++] = idx;
	}
	return 0;
}

static int copy_graph(struct onnx_model *m, const Onnx__GraphProto *g, char *why, size_t whysz)
{
	int rc;
	size_t nvals = g->n_initializer + g->n_input;

	if (g->n_node > m->lim.max_nodes)
		return cu_reason(why, whysz, CU_ELIMIT, "more than %u nodes", m->lim.max_nodes);
	if (nvals > m->lim.max_tensors || g->n_output > m->lim.max_tensors)
		return cu_reason(why, whysz, CU_ELIMIT, "more than %u values", m->lim.max_tensors);
	if (g->n_sparse_initializer > 0)
		return cu_reason(why, whysz, CU_EUNSUPPORTED,
		                 "sparse initializers are not supported");
	for (size_t i = 0; i < g->n_node; i++)
		nvals += g->node[i]->n_output;
	if (nvals > m->lim.max_tensors)
		return cu_reason(why, whysz, CU_ELIMIT, "more than %u values", m->lim.max_tensors);
	for (m->hcap = 16; m->hcap < 2 * (nvals + 1); m->hcap *= 2)
		;
	if ((m->htab = malloc(m->hcap * sizeof(int32_t))) == NULL)
		return CU_ENOMEM;
	memset(m->htab, 0xff, m->hcap * sizeof(int32_t));
	m->values = calloc(nvals + 1, sizeof(*m->values));
	m->nodes = calloc(g->n_node + 1, sizeof(*m->nodes));
	if (m->values == NULL || m->nodes == NULL)
		return CU_ENOMEM;
	for (size_t i = 0; i < g->n_initializer; i++) {
		const Onnx__TensorProto *tp = g->initializer[i];
		int32_t idx;
		if ((rc = add_value(m, tp->name, OX_V_INIT, &idx, why, whysz)) != 0)
			return rc;
		if ((rc = ox_tensor_from_proto(tp, &m->lim, &m->values[idx].init, why, whysz)) != 0)
			return rc;
	}
	if ((rc = copy_io(m, g, why, whysz)) != 0 || (rc = copy_nodes(m, g, why, whysz)) != 0)
		return rc;
	return copy_outputs(m, g, why, whysz);
}

static int check_opset(struct onnx_model *m, const Onnx__ModelProto *mp, char *why, size_t whysz)
{
	if (!mp->has_ir_version || mp->ir_version < OX_IR_MIN)
		return cu_reason(why, whysz, CU_EUNSUPPORTED, "IR version missing or below %d",
		                 OX_IR_MIN);
	m->opset = 0;
	for (size_t i = 0; i < mp->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
		if (o->domain == NULL || o->domain[0] == '\0' || strcmp(o->domain, "ai.onnx") == 0)
			m->opset = o->has_version ? o->version : 0;
	}
	if (m->opset < 1 || m->opset > 21)
		return cu_reason(why, whysz, CU_EUNSUPPORTED,
		                 "default-domain opset %lld (need 1..21)", (long long)m->opset);
	if (mp->graph == NULL)
		return cu_reason(why, whysz, CU_EFORMAT, "the model has no graph");
	return 0;
}

/* metadata_props: bounded, keys unique, copied. */
static int copy_metadata(struct onnx_model *m, const Onnx__ModelProto *mp, char *why, size_t whysz)
{
	if (mp->n_metadata_props > ONNX_META_MAX)
		return cu_reason(why, whysz, CU_ELIMIT, "more than %d metadata entries",
		                 ONNX_META_MAX);
	for (size_t i = 0; i < mp->n_metadata_props; i++) {
		const Onnx__StringStringEntryProto *e = mp->metadata_props[i];
		const char *k = e->key ? e->key : "", *v = e->value ? e->value : "";

		if (strlen(k) > m->lim.max_string || strlen(v) > m->lim.max_string)
			return cu_reason(why, whysz, CU_ELIMIT, "a metadata entry exceeds %u bytes",
			                 m->lim.max_string);
		if (onnx_model_metadata(m, k))
			return cu_reason(why, whysz, CU_EFORMAT, "metadata key '%.64s' given twice",
			                 k);
		if (!(m->meta_key[m->n_meta] = strdup(k)) ||
		    !(m->meta_value[m->n_meta] = strdup(v))) {
			free(m->meta_key[m->n_meta]);
			m->meta_key[m->n_meta] = NULL;
			return CU_ENOMEM;
		}
		m->n_meta++;
	}
	return 0;
}

const char *onnx_model_metadata(const struct onnx_model *m, const char *key)
{
	for (uint32_t i = 0; m && key && i < m->n_meta; i++)
		if (!strcmp(m->meta_key[i], key))
			return m->meta_value[i];
	return NULL;
}

static int trial_plan(const struct onnx_model *m, char *why, size_t whysz)
{
	struct onnx_tensor *in = calloc(m->n_inputs + 1, sizeof(*in));
	struct ox_plan *p = NULL;
	int rc;

	if (in == NULL)
		return CU_ENOMEM;
	for (uint32_t i = 0; i < m->n_inputs; i++) {
		const struct onnx_io_info *info = &m->in_info[i];
		if (!info->rank_known) {
			free(in);
			return 0; /* shapes known only at run time */
		}
		if (info->dtype != ONNX_FLOAT) {
			free(in);
			return 0; /* int64 inputs are planned with their values, at run time */
		}
		in[i].dtype = info->dtype;
		in[i].rank = info->rank;
		for (uint32_t d = 0; d < info->rank; d++)
			in[i].dims[d] = info->dims[d] < 0 ? 1 : info->dims[d];
	}
	rc = ox_plan_build(m, in, m->n_inputs, 1, &p, why, whysz);
	ox_plan_free(p);
	free(in);
	return rc;
}

int onnx_model_load(const void *bytes, size_t len, const struct onnx_limits *lim,
                    struct onnx_model **out, char *why, size_t whysz)
{
	struct onnx_limits dl;
	Onnx__ModelProto *mp = NULL;
	struct onnx_model *m = NULL;
	int rc;

	*out = NULL;
	if (lim == NULL) {
		onnx_limits_default(&dl);
		lim = &dl;
	}
	if (bytes == NULL && len > 0)
		return cu_reason(why, whysz, CU_EINVAL, "no model bytes");
	if (len > lim->max_model_bytes)
		return cu_reason(why, whysz, CU_ELIMIT, "the model is larger than %zu bytes",
		                 lim->max_model_bytes);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return CU_ENOMEM;
	m->lim = *lim;
	rc = ox_pb_unpack(&onnx__model_proto__descriptor, bytes, len, (ProtobufCMessage **)&mp);
	if (rc != 0) {
		rc = cu_reason(why, whysz, rc, "the model is not a valid ModelProto");
		goto out;
	}
	if ((rc = check_opset(m, mp, why, whysz)) != 0 ||
	    (rc = copy_metadata(m, mp, why, whysz)) != 0 ||
	    (rc = copy_graph(m, mp->graph, why, whysz)) != 0)
		goto out;
	free(m->htab);
	m->htab = NULL;
	if ((rc = trial_plan(m, why, whysz)) != 0)
		goto out;
	*out = m;
	m = NULL;
out:
	ox_pb_free((ProtobufCMessage *)mp);
	onnx_model_free(m);
	return rc;
}

void onnx_model_free(struct onnx_model *m)
{
	if (m == NULL)
		return;
	for (uint32_t i = 0; i < m->n_meta; i++) {
		free(m->meta_key[i]);
		free(m->meta_value[i]);
	}
	for (uint32_t i = 0; i < m->n_values; i++) {
		free(m->values[i].name);
		onnx_tensor_release(&m->values[i].init);
	}
	for (uint32_t i = 0; i < m->n_nodes; i++) {
		struct ox_node *n = &m->nodes[i];
		for (uint32_t j = 0; j < n->n_attr; j++) {
			free(n->attr[j].name);
			free(n->attr[j].s);
			free(n->attr[j].ints);
			free(n->attr[j].floats);
			onnx_tensor_release(&n->attr[j].t);
		}
		free(n->attr);
		free(n->in);
		free(n->out);
		free(n->name);
	}
	free(m->values);
	free(m->nodes);
	free(m->inputs);
	free(m->outputs);
	free(m->in_info);
	free(m->out_info);
	free(m->htab);
	free(m);
}

size_t onnx_model_num_inputs(const struct onnx_model *m)
{
	return m->n_inputs;
}

size_t onnx_model_num_outputs(const struct onnx_model *m)
{
	return m->n_outputs;
}

int onnx_model_input(const struct onnx_model *m, size_t i, struct onnx_io_info *info)
{
	memset(info, 0, sizeof(*info));
	if (i >= m->n_inputs)
		return CU_EINVAL;
	*info = m->in_info[i];
	return 0;
}

int onnx_model_output(const struct onnx_model *m, size_t i, struct onnx_io_info *info)
{
	memset(info, 0, sizeof(*info));
	if (i >= m->n_outputs)
		return CU_EINVAL;
	*info = m->out_info[i];
	return 0;
}

int64_t onnx_model_opset(const struct onnx_model *m)
{
	return m->opset;
}

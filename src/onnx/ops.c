/* ops.c - the operator table and attribute lookups. */
#include <string.h>

#include "common/err.h"
#include "onnx/internal.h"

struct ox_opent {
	struct ox_opdef def;
	ox_prepare_fn prepare;
	ox_kernel_fn kernel;
};

static const struct ox_opent ops[OX_OP_COUNT] = {
    [OX_CONV] = {{"Conv", 2, 3, 1, 1}, ox_prep_conv, ox_run_conv},
    [OX_RELU] = {{"Relu", 1, 1, 1, 1}, ox_prep_unary, ox_run_relu},
    [OX_CLIP] = {{"Clip", 1, 3, 1, 1}, ox_prep_unary, ox_run_clip},
    [OX_SIGMOID] = {{"Sigmoid", 1, 1, 1, 1}, ox_prep_unary, ox_run_sigmoid},
    [OX_LEAKYRELU] = {{"LeakyRelu", 1, 1, 1, 1}, ox_prep_unary, ox_run_leakyrelu},
    [OX_MAXPOOL] = {{"MaxPool", 1, 1, 1, 2}, ox_prep_pool, ox_run_maxpool},
    [OX_AVGPOOL] = {{"AveragePool", 1, 1, 1, 1}, ox_prep_pool, ox_run_avgpool},
    [OX_GAP] = {{"GlobalAveragePool", 1, 1, 1, 1}, ox_prep_gap, ox_run_gap},
    [OX_BATCHNORM] = {{"BatchNormalization", 5, 5, 1, 1}, ox_prep_batchnorm, ox_run_batchnorm},
    [OX_GEMM] = {{"Gemm", 2, 3, 1, 1}, ox_prep_gemm, ox_run_gemm},
    [OX_MATMUL] = {{"MatMul", 2, 2, 1, 1}, ox_prep_matmul, ox_run_matmul},
    [OX_ADD] = {{"Add", 2, 2, 1, 1}, ox_prep_binary, ox_run_binary},
    [OX_MUL] = {{"Mul", 2, 2, 1, 1}, ox_prep_binary, ox_run_binary},
    [OX_SUB] = {{"Sub", 2, 2, 1, 1}, ox_prep_binary, ox_run_binary},
    [OX_DIV] = {{"Div", 2, 2, 1, 1}, ox_prep_binary, ox_run_binary},
    [OX_CONCAT] = {{"Concat", 1, OX_MAX_IN, 1, 1}, ox_prep_concat, ox_run_concat},
    [OX_RESHAPE] = {{"Reshape", 2, 2, 1, 1}, ox_prep_reshape, ox_run_view},
    [OX_FLATTEN] = {{"Flatten", 1, 1, 1, 1}, ox_prep_flatten, ox_run_view},
    [OX_TRANSPOSE] = {{"Transpose", 1, 1, 1, 1}, ox_prep_transpose, ox_run_transpose},
    [OX_SOFTMAX] = {{"Softmax", 1, 1, 1, 1}, ox_prep_softmax, ox_run_softmax},
    [OX_DROPOUT] = {{"Dropout", 1, 3, 1, 1}, ox_prep_dropout, ox_run_view},
    [OX_PAD] = {{"Pad", 1, 3, 1, 1}, ox_prep_pad, ox_run_pad},
    [OX_CONSTANT] = {{"Constant", 0, 0, 1, 1}, ox_prep_constant, NULL},
    [OX_SHAPE] = {{"Shape", 1, 1, 1, 1}, ox_prep_shape, NULL},
    [OX_GATHER] = {{"Gather", 2, 2, 1, 1}, ox_prep_gather, ox_run_gather},
    [OX_UNSQUEEZE] = {{"Unsqueeze", 1, 2, 1, 1}, ox_prep_unsqueeze, ox_run_view},
    [OX_SQUEEZE] = {{"Squeeze", 1, 2, 1, 1}, ox_prep_squeeze, ox_run_view},
    [OX_IDENTITY] = {{"Identity", 1, 1, 1, 1}, ox_prep_identity, ox_run_view},
};

const struct ox_opdef *ox_opdef(enum ox_op op)
{
	return &ops[op].def;
}

ox_prepare_fn ox_prepare_of(enum ox_op op)
{
	return ops[op].prepare;
}

ox_kernel_fn ox_kernel_of(enum ox_op op)
{
	return ops[op].kernel;
}

int ox_op_lookup(const char *name, enum ox_op *op)
{
	for (int i = 0; i < OX_OP_COUNT; i++)
		if (strcmp(ops[i].def.name, name) == 0) {
			*op = (enum ox_op)i;
			return 0;
		}
	return CU_ENOTFOUND;
}

const struct ox_attr *ox_attr_get(const struct ox_node *n, const char *name)
{
	for (uint32_t i = 0; i < n->n_attr; i++)
		if (strcmp(n->attr[i].name, name) == 0)
			return &n->attr[i];
	return NULL;
}

int64_t ox_attr_int(const struct ox_node *n, const char *name, int64_t dflt)
{
	const struct ox_attr *a = ox_attr_get(n, name);

	return a != NULL && a->type == OX_A_INT ? a->i : dflt;
}

float ox_attr_float(const struct ox_node *n, const char *name, float dflt)
{
	const struct ox_attr *a = ox_attr_get(n, name);

	return a != NULL && a->type == OX_A_FLOAT ? a->f : dflt;
}

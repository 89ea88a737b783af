/*
 * onnx_test_util.h - a minimal protobuf writer for building ONNX models
 * and tensors by hand in the ONNX unit tests (valid ones and broken ones).
 */
#ifndef CUSTOS_TESTS_ONNX_TEST_UTIL_H
#define CUSTOS_TESTS_ONNX_TEST_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx.h"

#define PB_MAX (1u << 22)

struct pb {
	uint8_t b[PB_MAX];
	size_t n;
};

static inline struct pb *pb_new(void)
{
	struct pb *p = calloc(1, sizeof(*p));
	if (p == NULL)
		abort();
	return p;
}

static inline void pb_raw(struct pb *p, const void *d, size_t n)
{
	if (p->n + n > PB_MAX)
		abort();
	if (n > 0)
		memcpy(p->b + p->n, d, n);
	p->n += n;
}

static inline void pb_varint(struct pb *p, uint64_t v)
{
	do {
		uint8_t c = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v != 0)
			c |= 0x80;
		pb_raw(p, &c, 1);
	} while (v != 0);
}

static inline void pb_key(struct pb *p, uint32_t field, uint32_t wt)
{
	pb_varint(p, ((uint64_t)field << 3) | wt);
}

static inline void pb_int(struct pb *p, uint32_t field, int64_t v)
{
	pb_key(p, field, 0);
	pb_varint(p, (uint64_t)v);
}

static inline void pb_float(struct pb *p, uint32_t field, float v)
{
	pb_key(p, field, 5);
	pb_raw(p, &v, 4);
}

static inline void pb_bytes(struct pb *p, uint32_t field, const void *d, size_t n)
{
	pb_key(p, field, 2);
	pb_varint(p, n);
	pb_raw(p, d, n);
}

static inline void pb_str(struct pb *p, uint32_t field, const char *s)
{
	pb_bytes(p, field, s, strlen(s));
}

static inline void pb_sub(struct pb *p, uint32_t field, const struct pb *sub)
{
	pb_bytes(p, field, sub->b, sub->n);
}

/* TensorProto with raw_data: name, dtype, dims, count elements of data. */
static inline void pb_tensor(struct pb *out, uint32_t field, const char *name, int32_t dtype,
                             const int64_t *dims, uint32_t rank, const void *data, size_t bytes)
{
	struct pb *t = pb_new();
	for (uint32_t i = 0; i < rank; i++)
		pb_int(t, 1, dims[i]);
	pb_int(t, 2, dtype);
	if (name != NULL)
		pb_str(t, 8, name);
	pb_bytes(t, 9, data, bytes);
	if (field == 0)
		pb_raw(out, t->b, t->n);
	else
		pb_sub(out, field, t);
	free(t);
}

/* ValueInfoProto; a dim of -1 is written as dim_param "N"; rank -1 means no shape. */
static inline void pb_value_info(struct pb *out, uint32_t field, const char *name, int32_t dtype,
                                 const int64_t *dims, int rank)
{
	struct pb *vi = pb_new(), *ty = pb_new(), *tt = pb_new(), *sh = pb_new();
	pb_str(vi, 1, name);
	pb_int(tt, 1, dtype);
	for (int i = 0; i < rank; i++) {
		struct pb *d = pb_new();
		if (dims[i] < 0)
			pb_str(d, 2, "N");
		else
			pb_int(d, 1, dims[i]);
		pb_sub(sh, 1, d);
		free(d);
	}
	if (rank >= 0)
		pb_sub(tt, 2, sh);
	pb_sub(ty, 1, tt);
	pb_sub(vi, 2, ty);
	pb_sub(out, field, vi);
	free(vi);
	free(ty);
	free(tt);
	free(sh);
}

/* Attributes, appended to a node under construction. */
static inline void pb_attr_int(struct pb *node, const char *name, int64_t v)
{
	struct pb *a = pb_new();
	pb_str(a, 1, name);
	pb_int(a, 3, v);
	pb_int(a, 20, 2);
	pb_sub(node, 5, a);
	free(a);
}

static inline void pb_attr_float(struct pb *node, const char *name, float v)
{
	struct pb *a = pb_new();
	pb_str(a, 1, name);
	pb_float(a, 2, v);
	pb_int(a, 20, 1);
	pb_sub(node, 5, a);
	free(a);
}

static inline void pb_attr_str(struct pb *node, const char *name, const char *v)
{
	struct pb *a = pb_new();
	pb_str(a, 1, name);
	pb_str(a, 4, v);
	pb_int(a, 20, 3);
	pb_sub(node, 5, a);
	free(a);
}

static inline void pb_attr_ints(struct pb *node, const char *name, const int64_t *v, uint32_t n)
{
	struct pb *a = pb_new();
	pb_str(a, 1, name);
	for (uint32_t i = 0; i < n; i++)
		pb_int(a, 8, v[i]);
	pb_int(a, 20, 7);
	pb_sub(node, 5, a);
	free(a);
}

/* Start a NodeProto: op type, inputs and outputs as space-separated names ("-" for absent). */
static inline void pb_node_begin(struct pb *node, const char *op, const char *ins, const char *outs)
{
	char buf[256];
	const char *lists[2] = {ins, outs};

	node->n = 0;
	for (int l = 0; l < 2; l++) {
		strncpy(buf, lists[l], sizeof(buf) - 1);
		buf[sizeof(buf) - 1] = '\0';
		char *save = NULL;
		for (char *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save))
			pb_str(node, (uint32_t)(l + 1), strcmp(t, "-") == 0 ? "" : t);
	}
	pb_str(node, 3, op);
	pb_str(node, 4, op);
}

/* ModelProto: ir_version 8, the default-domain opset, then the graph. */
static inline void pb_model(struct pb *out, int64_t opset, const struct pb *graph)
{
	struct pb *o = pb_new();
	out->n = 0;
	pb_int(out, 1, 8);
	pb_int(o, 2, opset);
	pb_sub(out, 8, o);
	pb_sub(out, 7, graph);
	free(o);
}

/*
 * A small classifier of 2x2 one-channel images: x [N,1,2,2] -> Flatten ->
 * Gemm(W [3,4], transB) -> y [N,3], where class j scores pixel j; with the
 * metadata custos.preprocess and custos.labels when they are not NULL.
 */
static inline struct pb *pb_pixel_classifier(const char *preprocess, const char *labels)
{
	static const float w[12] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0};
	const int64_t xd[4] = {-1, 1, 2, 2}, yd[2] = {-1, 3}, wd[2] = {3, 4};
	struct pb *g = pb_new(), *node = pb_new(), *model = pb_new();
	const char *meta[2][2] = {{"custos.preprocess", preprocess}, {"custos.labels", labels}};

	pb_node_begin(node, "Flatten", "x", "f");
	pb_attr_int(node, "axis", 1);
	pb_sub(g, 1, node);
	pb_node_begin(node, "Gemm", "f w", "y");
	pb_attr_int(node, "transB", 1);
	pb_sub(g, 1, node);
	pb_str(g, 2, "g");
	pb_tensor(g, 5, "w", ONNX_FLOAT, wd, 2, w, sizeof(w));
	pb_value_info(g, 11, "x", ONNX_FLOAT, xd, 4);
	pb_value_info(g, 12, "y", ONNX_FLOAT, yd, 2);
	pb_model(model, 13, g);
	for (int i = 0; i < 2; i++) {
		struct pb *e;

		if (!meta[i][1])
			continue;
		e = pb_new();
		pb_str(e, 1, meta[i][0]);
		pb_str(e, 2, meta[i][1]);
		pb_sub(model, 14, e);
		free(e);
	}
	free(g);
	free(node);
	return model;
}

#endif

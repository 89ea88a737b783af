/*
 * tensor.c - TensorProto: bounded unpack, conversion to and from our
 * dense tensors (raw_data little-endian or the typed repeated fields).
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "onnx/internal.h"
#include "onnx/pbutil.h"

/* protobuf-c may allocate this many bytes per input byte, plus a constant. */
#define OX_PB_BUDGET_FACTOR 16u
#define OX_PB_BUDGET_BASE   ((size_t)1 << 20)

struct pb_budget {
	size_t left;
};

static void *budget_alloc(void *data, size_t size)
{
	struct pb_budget *b = data;

	if (size > b->left)
		return NULL;
	b->left -= size;
	return malloc(size);
}

static void budget_free(void *data, void *p)
{
	(void)data;
	free(p);
}

int ox_pb_unpack(const ProtobufCMessageDescriptor *desc, const void *buf, size_t len,
                 ProtobufCMessage **out)
{
	struct pb_budget b;
	ProtobufCAllocator a = {budget_alloc, budget_free, &b};

	*out = NULL;
	if (len > (SIZE_MAX - OX_PB_BUDGET_BASE) / OX_PB_BUDGET_FACTOR)
		return CU_ELIMIT;
	b.left = len * OX_PB_BUDGET_FACTOR + OX_PB_BUDGET_BASE;
	*out = protobuf_c_message_unpack(desc, &a, len, buf);
	return *out == NULL ? CU_EFORMAT : 0;
}

void ox_pb_free(ProtobufCMessage *msg)
{
	if (msg != NULL)
		protobuf_c_message_free_unpacked(msg, NULL);
}

size_t onnx_dtype_size(int32_t dtype)
{
	switch (dtype) {
	case ONNX_FLOAT:
		return 4;
	case ONNX_INT64:
		return 8;
	default:
		return 0;
	}
}

uint64_t onnx_tensor_count(const struct onnx_tensor *t)
{
	uint64_t n = 1;

	for (uint32_t i = 0; i < t->rank && i < ONNX_MAX_RANK; i++)
		n *= (uint64_t)t->dims[i];
	return n;
}

static int tensor_shape(const Onnx__TensorProto *tp, const struct onnx_limits *lim,
                        struct onnx_tensor *t, uint64_t *count, char *why, size_t whysz)
{
	const char *nm = tp->name != NULL ? tp->name : "";

	if (tp->n_dims > ONNX_MAX_RANK)
		return cu_reason(why, whysz, CU_ELIMIT,
		                 "tensor '%.64s' has more than %d dimensions", nm, ONNX_MAX_RANK);
	t->rank = (uint32_t)tp->n_dims;
	for (uint32_t i = 0; i < t->rank; i++) {
		if (tp->dims[i] < 0)
			return cu_reason(why, whysz, CU_EFORMAT,
			                 "tensor '%.64s' has a negative dimension", nm);
		t->dims[i] = tp->dims[i];
	}
	if (ox_shape_count(t->dims, t->rank, lim->max_elements, count) != 0)
		return cu_reason(why, whysz, CU_ELIMIT,
		                 "tensor '%.64s' has more than %llu elements", nm,
		                 (unsigned long long)lim->max_elements);
	if (tp->segment != NULL)
		return cu_reason(why, whysz, CU_EUNSUPPORTED, "tensor '%.64s' is segmented", nm);
	if (tp->has_data_location &&
	    tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
		return cu_reason(why, whysz, CU_EUNSUPPORTED, "tensor '%.64s' has external data",
		                 nm);
	return 0;
}

/* Little-endian raw bytes into host floats or int64s (x86 and arm64 are little-endian). */
static void copy_raw(void *dst, const uint8_t *src, size_t bytes)
{
	memcpy(dst, src, bytes);
}

static int tensor_data(const Onnx__TensorProto *tp, struct onnx_tensor *t, uint64_t count,
                       char *why, size_t whysz)
{
	const char *nm = tp->name != NULL ? tp->name : "";
	size_t es = onnx_dtype_size(t->dtype);
	size_t bytes = (size_t)count * es;

	if ((t->data = malloc(bytes > 0 ? bytes : 1)) == NULL)
		return CU_ENOMEM;
	if (tp->has_raw_data) {
		if (tp->raw_data.len != bytes)
			return cu_reason(why, whysz, CU_EFORMAT,
			                 "tensor '%.64s' has %zu raw bytes, not %zu", nm,
			                 tp->raw_data.len, bytes);
		if (bytes > 0)
			copy_raw(t->data, tp->raw_data.data, bytes);
		return 0;
	}
	size_t have = t->dtype == ONNX_FLOAT                    ? tp->n_float_data
	              : tp->has_data_type && tp->data_type == 6 ? tp->n_int32_data
	                                                        : tp->n_int64_data;
	if (have != count)
		return cu_reason(why, whysz, CU_EFORMAT, "tensor '%.64s' has %zu values, not %llu",
		                 nm, have, (unsigned long long)count);
	if (t->dtype == ONNX_FLOAT) {
		if (count > 0)
			memcpy(t->data, tp->float_data, bytes);
	} else if (tp->data_type == 6) {
		for (size_t i = 0; i < count; i++)
			((int64_t *)t->data)[i] = tp->int32_data[i];
	} else if (count > 0) {
		memcpy(t->data, tp->int64_data, bytes);
	}
	return 0;
}

/* INT32 tensors (raw) become INT64. */
static int widen_int32(struct onnx_tensor *t, uint64_t count)
{
	int64_t *w = malloc(count > 0 ? (size_t)count * 8 : 1);

	if (w == NULL)
		return CU_ENOMEM;
	for (uint64_t i = 0; i < count; i++) {
		int32_t v;
		memcpy(&v, (const uint8_t *)t->data + i * 4, 4);
		w[i] = v;
	}
	free(t->data);
	t->data = w;
	return 0;
}

int ox_tensor_from_proto(const Onnx__TensorProto *tp, const struct onnx_limits *lim,
                         struct onnx_tensor *t, char *why, size_t whysz)
{
	int32_t dt = tp->has_data_type ? tp->data_type : 0;
	uint64_t count = 0;
	int rc;

	memset(t, 0, sizeof(*t));
	if ((rc = tensor_shape(tp, lim, t, &count, why, whysz)) != 0)
		goto out;
	if (dt != ONNX_FLOAT && dt != ONNX_INT64 && dt != 6) {
		rc = cu_reason(
		    why, whysz, CU_EUNSUPPORTED,
		    "tensor '%.64s' has element type %d (float, int64 and int32 are supported)",
		    tp->name != NULL ? tp->name : "", dt);
		goto out;
	}
	t->dtype = dt == 6 && tp->has_raw_data ? ONNX_FLOAT : dt == 6 ? ONNX_INT64 : dt;
	if ((rc = tensor_data(tp, t, count, why, whysz)) != 0)
		goto out;
	if (dt == 6 && tp->has_raw_data) {
		t->dtype = ONNX_INT64;
		rc = widen_int32(t, count);
	}
out:
	if (rc != 0)
		onnx_tensor_release(t);
	return rc;
}

int onnx_tensor_parse(const void *bytes, size_t len, const struct onnx_limits *lim,
                      struct onnx_tensor *t, char **name, char *why, size_t whysz)
{
	struct onnx_limits dl;
	Onnx__TensorProto *tp = NULL;
	int rc;

	memset(t, 0, sizeof(*t));
	if (name != NULL)
		*name = NULL;
	if (lim == NULL) {
		onnx_limits_default(&dl);
		lim = &dl;
	}
	if (bytes == NULL && len > 0)
		return CU_EINVAL;
	if (len > lim->max_model_bytes)
		return cu_reason(why, whysz, CU_ELIMIT, "the tensor is larger than %zu bytes",
		                 lim->max_model_bytes);
	if ((rc = ox_pb_unpack(&onnx__tensor_proto__descriptor, bytes, len,
	                       (ProtobufCMessage **)&tp)) != 0) {
		rc = cu_reason(why, whysz, rc, "not a valid TensorProto");
		goto out;
	}
	if ((rc = ox_tensor_from_proto(tp, lim, t, why, whysz)) != 0)
		goto out;
	if (name != NULL) {
		if (tp->name != NULL && strnlen(tp->name, lim->max_string + 1) > lim->max_string) {
			rc = cu_reason(why, whysz, CU_ELIMIT, "the tensor's name is too long");
			goto out;
		}
		if ((*name = strdup(tp->name != NULL ? tp->name : "")) == NULL)
			rc = CU_ENOMEM;
	}
out:
	if (rc != 0)
		onnx_tensor_release(t);
	ox_pb_free((ProtobufCMessage *)tp);
	return rc;
}

void onnx_tensor_release(struct onnx_tensor *t)
{
	if (t == NULL)
		return;
	free(t->data);
	memset(t, 0, sizeof(*t));
}

int onnx_tensor_serialize(const struct onnx_tensor *t, const char *name, uint8_t **out, size_t *len)
{
	Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
	size_t es = onnx_dtype_size(t->dtype);

	*out = NULL;
	*len = 0;
	if (es == 0 || t->rank > ONNX_MAX_RANK || (t->data == NULL && onnx_tensor_count(t) > 0))
		return CU_EINVAL;
	tp.n_dims = t->rank;
	tp.dims = (int64_t *)(uintptr_t)t->dims;
	tp.has_data_type = 1;
	tp.data_type = t->dtype;
	tp.name = (char *)(uintptr_t)(name != NULL ? name : "");
	tp.has_raw_data = 1;
	tp.raw_data.len = (size_t)onnx_tensor_count(t) * es;
	tp.raw_data.data = t->data;
	size_t n = protobuf_c_message_get_packed_size(&tp.base);
	if ((*out = malloc(n > 0 ? n : 1)) == NULL)
		return CU_ENOMEM;
	*len = protobuf_c_message_pack(&tp.base, *out);
	return 0;
}

/*
 * pbutil.h - protobuf-c with an allocation budget, and TensorProto
 * conversion, shared by model.c and tensor.c. Not part of the API.
 */
#ifndef CUSTOS_ONNX_PBUTIL_H
#define CUSTOS_ONNX_PBUTIL_H

#include <protobuf-c/protobuf-c.h>

#include "onnx.pb-c.h"
#include "onnx/onnx.h"

/*
 * Unpack len bytes as a message of desc. protobuf-c allocates from what the
 * input announces, so the unpack runs under an allocator whose total is
 * bounded by a multiple of len. Free the result with ox_pb_free().
 */
int ox_pb_unpack(const ProtobufCMessageDescriptor *desc, const void *buf, size_t len,
                 ProtobufCMessage **out);
void ox_pb_free(ProtobufCMessage *msg);

/* Convert an unpacked TensorProto into t (owning a copy of the data), checking the limits. */
int ox_tensor_from_proto(const Onnx__TensorProto *tp, const struct onnx_limits *lim,
                         struct onnx_tensor *t, char *why, size_t whysz);

#endif

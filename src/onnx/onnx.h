/*
 * onnx.h - a float32 ONNX inference engine for CNN classifiers.
 *
 * A model is untrusted input. onnx_model_load() parses ModelProto bytes from
 * memory (the engine never opens files), checks every count and size against
 * struct onnx_limits, checks that the graph is well formed (every edge has
 * one producer, no cycles, every operator supported) and runs shape
 * inference once with the declared input shapes (symbolic dimensions taken
 * as 1) so that inconsistent models are refused at load.
 *
 * A session runs a model. It plans shapes and memory for the input shapes
 * it sees: the first run with new input shapes plans (shape inference,
 * constant folding of shape arithmetic, liveness-based buffer reuse in one
 * arena) and allocates; later runs with the same shapes allocate nothing.
 *
 * Threads: a session with threads == 1 creates no thread at all. With
 * threads > 1 it starts threads - 1 worker pthreads at onnx_session_new()
 * that split convolutions by images, channels or output rows, and lets
 * OpenBLAS use that many threads for Gemm and MatMul. Debian's
 * libopenblas0-pthread also starts its own pool when the library loads
 * unless OPENBLAS_NUM_THREADS=1 is set; its thread setting is process-wide
 * and set at every run. A sandbox that runs with threads > 1 must allow
 * clone(CLONE_THREAD), futex and the mmap of thread stacks.
 *
 * Not thread-safe: one thread uses a session at a time. A model may be
 * shared by several sessions; it must outlive them.
 */
#ifndef CUSTOS_ONNX_ONNX_H
#define CUSTOS_ONNX_ONNX_H

#include <stddef.h>
#include <stdint.h>

#define ONNX_MAX_RANK 8

/* Element types (TensorProto.DataType values). */
enum onnx_dtype {
	ONNX_FLOAT = 1,
	ONNX_INT64 = 7,
};

/*
 * Bounds applied to a model and to tensors read with onnx_tensor_parse().
 * Every field must be nonzero; onnx_limits_default() gives values fit for
 * classifiers up to a few hundred MiB of weights.
 */
struct onnx_limits {
	size_t max_model_bytes;  /* serialized ModelProto or TensorProto */
	uint32_t max_nodes;      /* nodes in the graph */
	uint32_t max_tensors;    /* named values: inputs, initializers, node outputs */
	uint32_t max_attributes; /* attributes per node, and ints/floats per attribute */
	uint32_t max_string;     /* bytes of a name, op type or string attribute */
	uint64_t max_elements;   /* elements of one tensor */
	uint64_t max_memory;     /* bytes planned for one run: arena + folded constants */
};

/* Fill *l with the default limits. */
void onnx_limits_default(struct onnx_limits *l);

/*
 * A tensor: dims[0..rank) and a dense row-major buffer of
 * product(dims) elements of dtype. A tensor filled by onnx_tensor_parse()
 * owns data (release it with onnx_tensor_release()); tensors given to or
 * returned by onnx_session_run() do not.
 */
struct onnx_tensor {
	int32_t dtype;
	uint32_t rank;
	int64_t dims[ONNX_MAX_RANK];
	void *data;
};

/* Elements of t (1 for rank 0); 0 when a dimension is 0. */
uint64_t onnx_tensor_count(const struct onnx_tensor *t);

/* Bytes of one element of dtype, 0 when the type is not supported. */
size_t onnx_dtype_size(int32_t dtype);

/*
 * Parse a serialized TensorProto (as in the ONNX test data) into *t, which
 * owns a malloc'd copy of the data. Supported: FLOAT and INT64 in raw_data
 * or the typed fields, INT32 converted to INT64. If name is not NULL it
 * receives a malloc'd copy of the tensor's name ("" when absent), which the
 * caller frees. lim may be NULL for the defaults. On failure *t is zeroed,
 * *name is NULL, and why (if not NULL) holds a reason.
 */
int onnx_tensor_parse(const void *bytes, size_t len, const struct onnx_limits *lim,
                      struct onnx_tensor *t, char **name, char *why, size_t whysz);

/* Free the data of a tensor filled by onnx_tensor_parse() and zero it. NULL is fine. */
void onnx_tensor_release(struct onnx_tensor *t);

/*
 * Serialize t as a TensorProto named name (may be NULL) with raw_data into
 * a malloc'd buffer *out of *len bytes, which the caller frees.
 */
int onnx_tensor_serialize(const struct onnx_tensor *t, const char *name, uint8_t **out,
                          size_t *len);

struct onnx_model;

/*
 * Parse and validate a ModelProto from bytes[0..len) (not kept: the model
 * copies what it needs). lim may be NULL for the defaults; it is copied.
 * Returns 0 and *out, or a negative CU_E* with a reason in why (if not
 * NULL), e.g. "unsupported operator 'LSTM' (node 'lstm_1')".
 */
int onnx_model_load(const void *bytes, size_t len, const struct onnx_limits *lim,
                    struct onnx_model **out, char *why, size_t whysz);

/* Free a model (NULL is fine). No session of it may remain. */
void onnx_model_free(struct onnx_model *m);

/*
 * A graph input or output as declared: its name (owned by the model), its
 * element type, and its dims, -1 for a symbolic or unknown dimension.
 * rank_known is 0 when the model declares no shape.
 */
struct onnx_io_info {
	const char *name;
	int32_t dtype;
	int rank_known;
	uint32_t rank;
	int64_t dims[ONNX_MAX_RANK];
};

/* Graph inputs the caller must supply (initializers listed as inputs excluded). */
size_t onnx_model_num_inputs(const struct onnx_model *m);
size_t onnx_model_num_outputs(const struct onnx_model *m);

/* Describe input or output i; CU_EINVAL when i is out of range. */
int onnx_model_input(const struct onnx_model *m, size_t i, struct onnx_io_info *info);
int onnx_model_output(const struct onnx_model *m, size_t i, struct onnx_io_info *info);

/*
 * The value of the model's metadata_props entry key (owned by the model),
 * or NULL. At most ONNX_META_MAX entries are kept, each key and value at
 * most max_string bytes; a model with more, or with a key twice, is refused.
 */
#define ONNX_META_MAX 32
const char *onnx_model_metadata(const struct onnx_model *m, const char *key);

/* The opset version of the default domain the model imports. */
int64_t onnx_model_opset(const struct onnx_model *m);

/*
 * Set in the environment what OpenBLAS must see when it loads: its AVX-512
 * kernels on CPUs it would take for Haswell (unless OPENBLAS_CORETYPE is
 * set), and, with single_thread, OPENBLAS_NUM_THREADS=1 (no pool of its
 * own: the engine threads its products itself, and a process that forks
 * sandboxes must have none). Returns 1 when it changed something (the
 * caller runs itself again, execv, for it to take effect), 0 when nothing
 * was to change, -1 when setenv failed.
 */
int onnx_blas_env(int single_thread);

struct onnx_session;

/*
 * A session of m using threads (1..64) threads; starts threads - 1 workers.
 * CU_ENOMEM when they cannot be started.
 */
int onnx_session_new(const struct onnx_model *m, unsigned threads, struct onnx_session **out);

/* Free a session (NULL is fine); output tensors it returned become invalid. */
void onnx_session_free(struct onnx_session *s);

/*
 * Run the model. inputs[i] is the value of graph input i (the order of
 * onnx_model_input()); its data is borrowed for the call. outputs must have
 * room for onnx_model_num_outputs() tensors, filled in output order; their
 * data points into session memory, valid until the next run or
 * onnx_session_free(). Returns a negative CU_E* with a reason in why when
 * the shapes do not fit the model or exceed the limits.
 */
int onnx_session_run(struct onnx_session *s, const struct onnx_tensor *inputs, size_t n_inputs,
                     struct onnx_tensor *outputs, size_t n_outputs, char *why, size_t whysz);

#endif

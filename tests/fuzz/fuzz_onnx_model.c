/*
 * fuzz_onnx_model.c - libFuzzer target for the ONNX engine: load a model
 * under small limits and, when it loads, run it once on zero-filled inputs
 * of its declared shapes (symbolic dimensions taken as 1).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "onnx/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_IO 8

static void run_once(const struct onnx_model *m)
{
	struct onnx_tensor in[FUZZ_MAX_IO], out[FUZZ_MAX_IO];
	struct onnx_session *s = NULL;
	size_t ni = onnx_model_num_inputs(m);
	char why[256];

	memset(in, 0, sizeof(in));
	if (ni > FUZZ_MAX_IO || onnx_model_num_outputs(m) > FUZZ_MAX_IO)
		return;
	for (size_t i = 0; i < ni; i++) {
		struct onnx_io_info info;
		onnx_model_input(m, i, &info);
		in[i].dtype = info.dtype;
		in[i].rank = info.rank_known ? info.rank : 1;
		for (uint32_t d = 0; d < in[i].rank; d++)
			in[i].dims[d] = info.rank_known && info.dims[d] >= 0 ? info.dims[d] : 1;
		uint64_t n = onnx_tensor_count(&in[i]);
		if (n > (1u << 16))
			goto out;
		in[i].data = calloc(n + 1, onnx_dtype_size(info.dtype));
		if (in[i].data == NULL)
			goto out;
	}
	if (onnx_session_new(m, 1, &s) == 0)
		(void)onnx_session_run(s, in, ni, out, FUZZ_MAX_IO, why, sizeof(why));
out:
	onnx_session_free(s);
	for (size_t i = 0; i < ni; i++)
		free(in[i].data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct onnx_limits lim;
	struct onnx_model *m = NULL;
	char why[256];

	onnx_limits_default(&lim);
	lim.max_model_bytes = 1u << 20;
	lim.max_nodes = 256;
	lim.max_tensors = 1024;
	lim.max_attributes = 64;
	lim.max_string = 256;
	lim.max_elements = 1u << 16;
	lim.max_memory = 16u << 20;
	if (onnx_model_load(data, size, &lim, &m, why, sizeof(why)) == 0)
		run_once(m);
	onnx_model_free(m);
	return 0;
}

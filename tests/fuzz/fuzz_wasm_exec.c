/*
 * fuzz_wasm_exec.c - libFuzzer target for the wasm executor
 * (src/worker/wasm_exec.c) run in-process, without the sandbox: the input
 * is the module, and also the content of its one input file "in"; it has
 * one output "out" of at most 4096 bytes and two arguments, a small fuel
 * budget and 1 MiB of memory. Exercises Teaclave's file functions over a
 * task's files, the argument flattening, and the result text built from
 * the log.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "functions/functions.h"
#include "worker/wasm_exec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fn_arg args[] = {{"name", "value"}, {"empty", ""}};
	struct fn_input in = {"in", data, size};
	struct fn_output out = {.name = "out", .max = 4096};
	struct fn_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return 0;
	c->args = args;
	c->nargs = 2;
	c->inputs = &in;
	c->ninputs = 1;
	c->outputs = &out;
	c->noutputs = 1;
	c->code = data;
	c->code_len = size;
	c->fuel = 100000;
	c->max_memory = 1u << 20;
	if (wx_run(c) == 0 && strlen(c->result) > FN_RESULT_MAX)
		abort();
	if (out.len > out.max)
		abort();
	free(out.data);
	free(c);
	return 0;
}

/*
 * functions.h - the builtin functions: native code compiled into the
 * measured build, run by a worker inside a task's sandbox (DESIGN.md §9;
 * docs/functions.md documents each one).
 *
 * A builtin sees only what its task was given: string arguments, inputs as
 * plaintext byte buffers (decrypted by the worker, inside the TEE), and
 * outputs it fills. It runs in a sandboxed child process (src/worker
 * /sandbox.h): no files, no network, no clock beyond CLOCK_MONOTONIC, no
 * new processes; memory and time are limited. It must validate its inputs
 * and fail with one clear sentence on bad data, never crash: a crash is
 * caught by the sandbox but reported only as "the function crashed".
 *
 * Names, arguments and file conventions follow Teaclave's builtins, so that
 * its users find them (docs/functions.md).
 */
#ifndef CUSTOS_FUNCTIONS_FUNCTIONS_H
#define CUSTOS_FUNCTIONS_FUNCTIONS_H

#include <stddef.h>
#include <stdint.h>

#define FN_NAME_MAX   128
#define FN_REASON_MAX 512
#define FN_RESULT_MAX 4096 /* bytes of a task's result text */

struct fn_arg {
	const char *name;
	const char *value;
};

struct fn_input {
	const char *name;
	const uint8_t *data; /* plaintext; the function must not keep pointers past its return */
	size_t len;
};

/* An output the function writes with fn_output_write(). */
struct fn_output {
	const char *name;
	uint8_t *data; /* malloc'd, grown by fn_output_write */
	size_t len, cap;
	size_t max; /* bytes the task may write to it; over: CU_ELIMIT */
	int written;
};

struct fn_ctx {
	const struct fn_arg *args;
	size_t nargs;
	const struct fn_input *inputs;
	size_t ninputs;
	struct fn_output *outputs;
	size_t noutputs;
	char result[FN_RESULT_MAX + 1]; /* the task's result text (NUL-terminated) */
	char reason[FN_REASON_MAX];     /* why it failed, one sentence */
	/*
	 * The executor's code and its limits, for a function that is not a
	 * builtin (a wasm module: src/worker/wasm_exec.h); NULL and 0 for a
	 * builtin. The sandbox carries them into its child like the inputs.
	 */
	const uint8_t *code;
	size_t code_len;
	uint64_t fuel;       /* instruction budget; 0: the executor's default */
	uint64_t max_memory; /* bytes of the code's own memory; 0: the executor's default */
};

/* The value of argument name, or NULL. */
const char *fn_arg(const struct fn_ctx *c, const char *name);
/* The input called name, or NULL. */
const struct fn_input *fn_input(const struct fn_ctx *c, const char *name);
/* The output called name, or NULL. */
struct fn_output *fn_output(struct fn_ctx *c, const char *name);
/* Append n bytes to o: 0, CU_ELIMIT over o->max, CU_ENOMEM. */
int fn_output_write(struct fn_output *o, const void *p, size_t n);
/* Set the result text (printf-style; truncated at FN_RESULT_MAX). */
void fn_result(struct fn_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Set the reason and return rc (a CU_E* code): `return fn_fail(c, CU_EFORMAT, "...")`. */
int fn_fail(struct fn_ctx *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * A builtin: 0 on success (result and outputs set), or a CU_E* code with
 * c->reason set. Must be deterministic given its inputs unless its
 * documentation says otherwise.
 */
typedef int (*fn_entry)(struct fn_ctx *c);

struct fn_builtin {
	const char *name; /* "echo", "ordered-set-intersect", ... */
	fn_entry run;
	int idempotent; /* may be run again after a lost worker */
};

/* The builtin of that name, or NULL. */
const struct fn_builtin *fn_find(const char *name);
/* The table, for listing: *n entries. */
const struct fn_builtin *fn_all(size_t *n);

#endif

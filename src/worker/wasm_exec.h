/*
 * wasm_exec.h - the `wasm` executor: run a task's WebAssembly function in
 * the sandbox's child (DESIGN.md §9, docs/wasm.md "In the platform").
 *
 * wx_run is an fn_entry: the worker passes it to sb_run() with the module
 * in ctx->code (carried into the child after it has confined itself, like
 * the inputs) and its limits in ctx->fuel and ctx->max_memory. In the
 * child it loads the module, instantiates it with the platform's host API
 * (src/wasm/wasm.h: Teaclave's env.teaclave_* file functions over the
 * task's inputs and outputs, and the WASI preview1 subset) and runs it:
 *
 *  - `entrypoint(argc, argv)` when the module exports it (Teaclave's
 *    convention), after the WASI reactor initialiser `_initialize` when
 *    there is one; argv holds the task's arguments flattened as Teaclave
 *    does: name, value, name, value, ... in the task's order (the order
 *    the function declares them). Any return value is a success: it is
 *    the function's answer, as in Teaclave. To fail its task, the function
 *    calls exit() (WASI proc_exit) with a status other than 0, after
 *    writing why to stderr; exit(0) is a success with the value 0.
 *  - otherwise the WASI command `_start`, with argv[0] = "function" and
 *    the same flattened arguments after it. Exit status 0 (or returning)
 *    is a success; any other status fails the task.
 *
 * The result text is the return value (or exit status) in decimal; when
 * the function wrote to stdout or stderr, a newline and that log follow,
 * at most WX_LOG_MAX bytes of it (then "\n[log truncated]"), with invalid
 * UTF-8 and control characters other than newline and tab replaced.
 *
 * A trap (fuel exhausted, out-of-bounds access, unreachable, ...) fails the
 * task with "the wasm function trapped: REASON"; a malformed module, an
 * unknown import or a missing entry point fail it with a reason that says
 * so. Output sizes are enforced by the sandbox's parent.
 */
#ifndef CUSTOS_WORKER_WASM_EXEC_H
#define CUSTOS_WORKER_WASM_EXEC_H

#include <stdint.h>

#include "functions/functions.h"

#define WX_DEF_FUEL    10000000000ull       /* instructions, when ctx->fuel is 0 */
#define WX_DEF_MEMORY  (256ull << 20)       /* bytes of linear memory, when ctx->max_memory is 0 */
#define WX_MAX_MEMORY  (4096ull << 20)      /* the 32-bit address space */
#define WX_LOG_MAX     (FN_RESULT_MAX - 64) /* bytes of the log kept in the result */
#define WX_MAX_HANDLES 64                   /* files open at once */

/*
 * Run the wasm module ctx->code[0..code_len) on ctx (see above): 0 with
 * ctx->result set and the outputs written, or a CU_E* code with
 * ctx->reason set (CU_ETRAP for a trap, CU_ENOMEM when the interpreter
 * itself ran out of memory). Meant for the sandbox's child; it touches no
 * file and no network, and needs no executable memory.
 */
int wx_run(struct fn_ctx *ctx);

#endif

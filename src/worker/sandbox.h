/*
 * sandbox.h - run one task's function in a fresh child process, confined
 * (DESIGN.md §9).
 *
 * A child per task (forked by the spawner, below). Before it reads a byte of
 * input it: closes every descriptor but the ones it needs, sets its
 * resource limits (address space, CPU seconds, file size, no core dumps,
 * no new processes), sets no_new_privs, and loads a seccomp filter
 * (libseccomp) that allows only what computing needs: read and write on
 * the descriptors it was given, memory (brk, mmap without PROT_EXEC,
 * munmap, mremap, mprotect without PROT_EXEC), futex, clock_gettime,
 * exit, rt_sigreturn... No open, no socket, no fork or clone of
 * processes, no exec, no ptrace: any other system call kills the child
 * (SECCOMP_RET_KILL_PROCESS). Then it reads its inputs from a pipe (or a
 * memfd), runs the entry, and writes its outputs back over another pipe in
 * a framed, length-checked format that the parent parses as untrusted.
 *
 * The parent enforces the wall-clock limit and the output size, and kills
 * the child (SIGKILL to the process) on a timeout, on cancellation, or when
 * it sends more than allowed. Whatever the child does, the parent lives on
 * and reports one of the outcomes below with a one-line reason.
 *
 * Children: a process with threads calls sb_spawner_start() first, while
 * it has one thread (custosd does, at start): a spawner process then forks
 * every child, so that no child inherits a lock another thread held (a
 * child forked from a busy thread could wait on one forever: glibc resets
 * its malloc's locks at fork, the sanitizers' allocators and other
 * libraries do not) nor the worker's later memory (other tasks' keys).
 * Without it, sb_run forks the calling thread.
 */
#ifndef CUSTOS_WORKER_SANDBOX_H
#define CUSTOS_WORKER_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include "functions/functions.h"

#define SB_REASON_MAX 512

struct sb_limits {
	uint64_t memory;  /* bytes of address space; 0: 1 GiB */
	uint32_t cpu_s;   /* CPU seconds; 0: 60 */
	uint32_t wall_ms; /* wall-clock milliseconds; 0: 120000 */
	uint64_t output;  /* bytes of all outputs together; 0: 1 GiB */
};

enum sb_outcome {
	SB_OK = 0,    /* the function returned 0 */
	SB_FAILED,    /* the function returned an error (reason is its own) */
	SB_CRASHED,   /* killed by a signal it caused (SIGSEGV, SIGABRT, ...) */
	SB_FORBIDDEN, /* killed by seccomp: a system call outside the allow-list */
	SB_MEMORY,    /* over the memory limit */
	SB_CPU,       /* over the CPU limit */
	SB_TIMEOUT,   /* over the wall-clock limit */
	SB_OUTPUT,    /* wrote more than the output limit */
	SB_CANCELED,  /* stopped because *cancel became non-zero */
	SB_PROTOCOL,  /* the child's messages were malformed */
};

struct sb_result {
	enum sb_outcome outcome;
	char reason[SB_REASON_MAX]; /* one line for the task's error */
	char result[FN_RESULT_MAX + 1];
	/* outputs: filled into ctx->outputs (data, len, written) on SB_OK */
};

/*
 * Run entry on ctx (arguments, inputs, outputs with their max) in a
 * sandboxed child under limits (NULL: the defaults). cancel (may be NULL)
 * is polled at least every 100 ms: non-zero stops the child. Returns 0 when
 * an outcome was reached (see res->outcome; the function's own failure is
 * SB_FAILED with 0 returned), or a CU_E* code when the sandbox itself could
 * not be set up (fork, pipes).
 */
int sb_run(fn_entry entry, struct fn_ctx *ctx, const struct sb_limits *limits,
           const volatile int *cancel, struct sb_result *res) __attribute__((warn_unused_result));

/*
 * Start the spawner: call while this process has a single thread, before
 * it holds any secret. 0, or CU_EUNSUPPORTED (a kernel without pidfds),
 * CU_EIO. Once started, every sb_run of this process, from any thread,
 * goes through it.
 */
int sb_spawner_start(void);

/* Stop the spawner (its running children are killed) and reap it. */
void sb_spawner_stop(void);

/* "ok", "failed", "crashed", ... */
const char *sb_outcome_name(enum sb_outcome o);

#endif

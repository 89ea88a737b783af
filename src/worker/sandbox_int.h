/*
 * sandbox_int.h - the sandbox's wire format and the parent's parser of the
 * child's frames, exposed for the unit tests and the fuzzer (not an API).
 *
 * One AF_UNIX stream joins the worker (parent) and the child. Every message
 * is a frame: type (u8), payload length (u32 little endian, at most
 * SB_FRAME_MAX), payload. docs/sandbox.md describes each frame.
 */
#ifndef CUSTOS_WORKER_SANDBOX_INT_H
#define CUSTOS_WORKER_SANDBOX_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "functions/functions.h"

#define SB_HDR_LEN   5
#define SB_CHUNK     (1u << 20)       /* data bytes in one OUT or DATA frame */
#define SB_FRAME_MAX (SB_CHUNK + 64u) /* payload bytes of any frame */
#define SB_COUNT_MAX 256              /* arguments, inputs, outputs: each */
#define SB_NAME_MAX  4096             /* bytes of a name */
#define SB_ERR_MAX   160
#define SB_CODE_MAX  (256u << 20) /* bytes of the executor's code (a wasm module) */

/* Child to parent. */
enum {
	SB_F_OUT = 1,       /* u32 output index, data bytes (appended) */
	SB_F_RESULT = 2,    /* the result text, at most FN_RESULT_MAX bytes, no NUL */
	SB_F_REASON = 3,    /* the reason text, below FN_REASON_MAX bytes, no NUL */
	SB_F_END = 4,       /* u32: the function's return code (int32); last frame */
	SB_F_FORBIDDEN = 5, /* u32: the system call refused by seccomp; last frame */
	SB_F_SETUP = 6,     /* text: the child could not confine itself; last frame */
};

/* Parent to child. */
enum {
	SB_F_ARG = 0x11,    /* u32 name length, name, value */
	SB_F_INPUT = 0x12,  /* u64 length, name; then DATA frames up to length */
	SB_F_DATA = 0x13,   /* bytes of the last INPUT */
	SB_F_OUTPUT = 0x14, /* name (an output the function may write) */
	SB_F_GO = 0x15,     /* empty: run the function */
	SB_F_CODE = 0x16,   /* u64 length, u64 fuel, u64 max_memory; then DATA frames */
};

/* What the parser saw last: nothing yet, or one of the final frames. */
enum sb_end { SB_END_NONE = 0, SB_END_RC, SB_END_FORBIDDEN, SB_END_SETUP };

struct sb_pout {
	uint8_t *data;
	size_t len, cap;
	int written;
};

/*
 * The parent's push parser of the child's frames: untrusted bytes. It owns
 * outs[] and their buffers (sb_parser_free releases them). Feeding
 * after an error or after the last frame fails again.
 */
struct sb_parser {
	size_t noutputs;
	const uint64_t *max; /* max[i]: bytes output i may hold; 0: no own limit */
	uint64_t limit;      /* bytes of all outputs together */
	uint64_t total;      /* bytes received so far */
	struct sb_pout *outs;
	uint8_t hdr[SB_HDR_LEN];
	size_t hdr_got;
	uint8_t small[FN_RESULT_MAX]; /* payload of a text or final frame, an output's index */
	uint8_t type;                 /* of the frame being read */
	uint32_t flen;                /* its payload length */
	size_t fgot;                  /* payload bytes read */
	uint32_t oidx;                /* the output an OUT frame appends to */
	int in_frame;
	enum sb_end end;
	int32_t rc;
	uint32_t sysno;
	int has_result, has_reason;
	char result[FN_RESULT_MAX + 1];
	char reason[FN_REASON_MAX]; /* the function's reason, or the SETUP text */
	int failed;                 /* CU_EFORMAT or CU_ELIMIT once an error was seen */
	char err[SB_ERR_MAX];       /* why, one line */
};

/* 0, or CU_ENOMEM; limit and max[0..noutputs) as above (max may be NULL). */
int sb_parser_init(struct sb_parser *p, size_t noutputs, const uint64_t *max, uint64_t limit)
    __attribute__((warn_unused_result));

/*
 * Consume n bytes. 0; CU_EFORMAT for a malformed stream (p->err says why);
 * CU_ELIMIT when the outputs exceed their limits (p->err says which);
 * CU_ENOMEM.
 */
int sb_parser_feed(struct sb_parser *p, const uint8_t *b, size_t n)
    __attribute__((warn_unused_result));

/* At the end of the stream: 0 when it ended after a complete last frame. */
int sb_parser_finish(struct sb_parser *p) __attribute__((warn_unused_result));

void sb_parser_free(struct sb_parser *p);

/* The spawner's process id, or -1 when none runs (sandbox.h: sb_spawner_start). */
pid_t sb_spawner_pid(void);

#endif

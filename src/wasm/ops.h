/*
 * ops.h - operations of the prepared (internal) code.
 *
 * Loads, stores, numeric operations, select, drop, memory.size/grow,
 * ref.is_null and the 0xfc group keep their WebAssembly numbers
 * (0xfc xx is WASM_OP_FC + xx). The control and variable operations get
 * internal numbers with resolved immediates. Every operation is one cell
 * followed by its immediate cells; jump offsets are relative to the cell
 * that holds them.
 */
#ifndef CUSTOS_WASM_OPS_H
#define CUSTOS_WASM_OPS_H

#include "wasm/internal.h"

enum wasm_iop {
	OP_JMP = 0x120,   /* off */
	OP_JZ,            /* off: pop i32, jump if zero */
	OP_JNZ,           /* off: pop i32, jump if not zero */
	OP_BR,            /* off, n|dst<<32: move n results to fp+dst, jump */
	OP_BR_IF,         /* off, n|dst<<32 */
	OP_BR_TABLE,      /* count, then count+1 pairs (off, n|dst<<32); dst ~0: return */
	OP_RETURN,        /* n */
	OP_CALL,          /* pfunc: a function of the same module */
	OP_CALL_IMPORT,   /* function index */
	OP_CALL_INDIRECT, /* type index, table index */
	OP_LOCAL_GET,     /* slot */
	OP_LOCAL_SET,     /* slot */
	OP_LOCAL_TEE,     /* slot */
	OP_GLOBAL_GET,    /* index */
	OP_GLOBAL_SET,    /* index */
	OP_TABLE_GET,     /* index */
	OP_TABLE_SET,     /* index */
	OP_CONST,         /* 64-bit value */
	OP_REF_FUNC,      /* function index */
	OP_FUEL,          /* instructions of the segment that starts here */
	/* Fused operations (superinstructions). */
	OP_LL_I32_ADD,    /* slot a | slot b << 32: push a + b */
	OP_L_I32_ADDI,    /* slot, imm: push local + imm */
	OP_I32_ADDI,      /* imm: top += imm */
	OP_LOCAL_SET_GET, /* set a | get b << 32 */
	OP_I32_LT_S_JZ,   /* off: pop b, a; jump unless a < b (signed) */
	OP_I32_LT_U_JZ,
	OP_I32_EQZ_JZ, /* off */
	OP_I32_NE_JZ,
	OP_I32_EQ_JZ,
	OP_I32_GE_S_JZ,
	OP_I32_GT_S_JZ,
	OP_I32_LE_S_JZ,
	OP_I32_LT_S_JNZ, /* off: pop b, a; jump if a < b (signed) */
	OP_I32_LT_U_JNZ,
	OP_I32_EQZ_JNZ,
	OP_I32_NE_JNZ,
	OP_I32_EQ_JNZ,
	OP_I32_GE_S_JNZ,
	OP_I32_GT_S_JNZ,
	OP_I32_LE_S_JNZ,
	OP_LOCAL_GET_LOAD_I32, /* slot | offset << 32: push i32.load(local + offset) */
	OP_COUNT
};

#endif

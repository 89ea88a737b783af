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

/*
 * Superinstructions. prepare.c replaces short sequences by one operation
 * whose operands come from locals (L, a slot), an immediate (I, a cell), the
 * operand stack (S) and whose result goes to a local (suffix D, the last
 * cell before a jump offset) or, for the compare-and-branch variants (CZ:
 * jump if the result is zero, CNZ: if not), decides a jump (the offset is
 * the last cell). Immediates, in cell order:
 *
 *   SI imm | SL slot | LI slot, imm | LL a|b<<32 |
 *   SSD d | SID imm, d | SLD slot, d | LID slot, imm, d | LLD a|b<<32, d |
 *   C?Z_SS off | C?Z_SI imm, off | C?Z_SL slot, off | C?Z_LI slot, imm, off |
 *   C?Z_LL a|b<<32, off
 *
 * X(name, opcode, operand type, result type, expression of a and b)
 */
#define WASM_BIN_COND(X)                                                                           \
	X(I32_EQ, 0x46, I32, I32, a == b)                                                          \
	X(I32_NE, 0x47, I32, I32, a != b)                                                          \
	X(I32_LT_S, 0x48, I32, I32, (int32_t)a < (int32_t)b)                                       \
	X(I32_LT_U, 0x49, I32, I32, a < b)                                                         \
	X(I32_GT_S, 0x4a, I32, I32, (int32_t)a > (int32_t)b)                                       \
	X(I32_GT_U, 0x4b, I32, I32, a > b)                                                         \
	X(I32_LE_S, 0x4c, I32, I32, (int32_t)a <= (int32_t)b)                                      \
	X(I32_LE_U, 0x4d, I32, I32, a <= b)                                                        \
	X(I32_GE_S, 0x4e, I32, I32, (int32_t)a >= (int32_t)b)                                      \
	X(I32_GE_U, 0x4f, I32, I32, a >= b)                                                        \
	X(I64_EQ, 0x51, I64, I32, a == b)                                                          \
	X(I64_NE, 0x52, I64, I32, a != b)                                                          \
	X(I64_LT_S, 0x53, I64, I32, (int64_t)a < (int64_t)b)                                       \
	X(I64_LT_U, 0x54, I64, I32, a < b)                                                         \
	X(I64_GT_S, 0x55, I64, I32, (int64_t)a > (int64_t)b)                                       \
	X(I64_GT_U, 0x56, I64, I32, a > b)                                                         \
	X(I64_LE_S, 0x57, I64, I32, (int64_t)a <= (int64_t)b)                                      \
	X(I64_LE_U, 0x58, I64, I32, a <= b)                                                        \
	X(I64_GE_S, 0x59, I64, I32, (int64_t)a >= (int64_t)b)                                      \
	X(I64_GE_U, 0x5a, I64, I32, a >= b)                                                        \
	X(F64_EQ, 0x61, F64, I32, a == b)                                                          \
	X(F64_NE, 0x62, F64, I32, a != b)                                                          \
	X(F64_LT, 0x63, F64, I32, a < b)                                                           \
	X(F64_GT, 0x64, F64, I32, a > b)                                                           \
	X(F64_LE, 0x65, F64, I32, a <= b)                                                          \
	X(F64_GE, 0x66, F64, I32, a >= b)                                                          \
	X(I32_ADD, 0x6a, I32, I32, a + b)                                                          \
	X(I32_SUB, 0x6b, I32, I32, a - b)                                                          \
	X(I32_MUL, 0x6c, I32, I32, a *b)                                                           \
	X(I32_AND, 0x71, I32, I32, a &b)                                                           \
	X(I32_OR, 0x72, I32, I32, a | b)                                                           \
	X(I32_XOR, 0x73, I32, I32, a ^ b)                                                          \
	X(I32_SHL, 0x74, I32, I32, a << (b & 31))                                                  \
	X(I32_SHR_S, 0x75, I32, I32, (int32_t)a >> (b & 31))                                       \
	X(I32_SHR_U, 0x76, I32, I32, a >> (b & 31))

#define WASM_BIN_OTHER(X)                                                                          \
	X(I64_ADD, 0x7c, I64, I64, a + b)                                                          \
	X(I64_SUB, 0x7d, I64, I64, a - b)                                                          \
	X(I64_MUL, 0x7e, I64, I64, a *b)                                                           \
	X(I64_AND, 0x83, I64, I64, a &b)                                                           \
	X(I64_OR, 0x84, I64, I64, a | b)                                                           \
	X(I64_XOR, 0x85, I64, I64, a ^ b)                                                          \
	X(I64_SHL, 0x86, I64, I64, a << (b & 63))                                                  \
	X(I64_SHR_S, 0x87, I64, I64, (int64_t)a >> (b & 63))                                       \
	X(I64_SHR_U, 0x88, I64, I64, a >> (b & 63))                                                \
	X(I64_ROTL, 0x89, I64, I64, rotl64(a, b))                                                  \
	X(F64_ADD, 0xa0, F64, F64, a + b)                                                          \
	X(F64_SUB, 0xa1, F64, F64, a - b)                                                          \
	X(F64_MUL, 0xa2, F64, F64, a *b)                                                           \
	X(F64_DIV, 0xa3, F64, F64, a / b)                                                          \
	X(F32_ADD, 0x92, F32, F32, a + b)                                                          \
	X(F32_MUL, 0x94, F32, F32, a *b)

#define WASM_BIN_ALL(X) WASM_BIN_COND(X) WASM_BIN_OTHER(X)

/* Variants of every binary operation, and of those with an i32 result. */
#define WASM_FUSED_VARIANTS(V) V(SI) V(SL) V(LI) V(LL) V(SSD) V(SID) V(SLD) V(LID) V(LLD)
#define WASM_COND_VARIANTS(V)                                                                      \
	V(CZ_SS)                                                                                   \
	V(CZ_SI) V(CZ_SL) V(CZ_LI) V(CZ_LL) V(CNZ_SS) V(CNZ_SI) V(CNZ_SL) V(CNZ_LI) V(CNZ_LL)

/*
 * Loads and stores: X(name, opcode, C type, bytes, conversion of v).
 * Load variants: L slot, off (address from a local) | D off, d (result to a
 * local) | LD slot, off, d. Store variants (value from a local or an
 * immediate): SL slot, off | SI imm, off | LL a|v<<32, off.
 */
#define WASM_LOADS(X)                                                                              \
	X(I32_LOAD, 0x28, uint32_t, 4, v)                                                          \
	X(I64_LOAD, 0x29, uint64_t, 8, v)                                                          \
	X(F32_LOAD, 0x2a, uint32_t, 4, v)                                                          \
	X(F64_LOAD, 0x2b, uint64_t, 8, v)                                                          \
	X(I32_LOAD8_S, 0x2c, int8_t, 1, (uint32_t)(int32_t)v)                                      \
	X(I32_LOAD8_U, 0x2d, uint8_t, 1, v)                                                        \
	X(I32_LOAD16_S, 0x2e, int16_t, 2, (uint32_t)(int32_t)v)                                    \
	X(I32_LOAD16_U, 0x2f, uint16_t, 2, v)                                                      \
	X(I64_LOAD32_U, 0x35, uint32_t, 4, v)
#define WASM_STORES(X)                                                                             \
	X(I32_STORE, 0x36, uint32_t, 4, v)                                                         \
	X(I64_STORE, 0x37, uint64_t, 8, v)                                                         \
	X(F32_STORE, 0x38, uint32_t, 4, v)                                                         \
	X(F64_STORE, 0x39, uint64_t, 8, v)                                                         \
	X(I32_STORE8, 0x3a, uint8_t, 1, v)                                                         \
	X(I32_STORE16, 0x3b, uint16_t, 2, v)
#define WASM_LOAD_VARIANTS(V)  V(L) V(D) V(LD)
#define WASM_STORE_VARIANTS(V) V(SL) V(SI) V(LL)

/* Enumerators: OP_<variant>_<name>, in list order within each variant. */
#define WASM_E_BIN(v)                     WASM_BIN_ALL(WASM_E_BIN_##v)
#define WASM_E_COND(v)                    WASM_BIN_COND(WASM_E_COND_##v)
#define WASM_E_LOAD(v)                    WASM_LOADS(WASM_E_LOAD_##v)
#define WASM_E_STORE(v)                   WASM_STORES(WASM_E_STORE_##v)
#define WASM_E_BIN_SI(n, o, t, r, e)      OP_SI_##n,
#define WASM_E_BIN_SL(n, o, t, r, e)      OP_SL_##n,
#define WASM_E_BIN_LI(n, o, t, r, e)      OP_LI_##n,
#define WASM_E_BIN_LL(n, o, t, r, e)      OP_LL_##n,
#define WASM_E_BIN_SSD(n, o, t, r, e)     OP_SSD_##n,
#define WASM_E_BIN_SID(n, o, t, r, e)     OP_SID_##n,
#define WASM_E_BIN_SLD(n, o, t, r, e)     OP_SLD_##n,
#define WASM_E_BIN_LID(n, o, t, r, e)     OP_LID_##n,
#define WASM_E_BIN_LLD(n, o, t, r, e)     OP_LLD_##n,
#define WASM_E_COND_CZ_SS(n, o, t, r, e)  OP_CZ_SS_##n,
#define WASM_E_COND_CZ_SI(n, o, t, r, e)  OP_CZ_SI_##n,
#define WASM_E_COND_CZ_SL(n, o, t, r, e)  OP_CZ_SL_##n,
#define WASM_E_COND_CZ_LI(n, o, t, r, e)  OP_CZ_LI_##n,
#define WASM_E_COND_CZ_LL(n, o, t, r, e)  OP_CZ_LL_##n,
#define WASM_E_COND_CNZ_SS(n, o, t, r, e) OP_CNZ_SS_##n,
#define WASM_E_COND_CNZ_SI(n, o, t, r, e) OP_CNZ_SI_##n,
#define WASM_E_COND_CNZ_SL(n, o, t, r, e) OP_CNZ_SL_##n,
#define WASM_E_COND_CNZ_LI(n, o, t, r, e) OP_CNZ_LI_##n,
#define WASM_E_COND_CNZ_LL(n, o, t, r, e) OP_CNZ_LL_##n,
#define WASM_E_LOAD_L(n, o, t, w, c)      OP_L_##n,
#define WASM_E_LOAD_D(n, o, t, w, c)      OP_D_##n,
#define WASM_E_LOAD_LD(n, o, t, w, c)     OP_LD_##n,
#define WASM_E_STORE_SL(n, o, t, w, c)    OP_SL_##n,
#define WASM_E_STORE_SI(n, o, t, w, c)    OP_SI_##n,
#define WASM_E_STORE_LL(n, o, t, w, c)    OP_LL_##n,
#define WASM_FUSED_ENUM                   WASM_FUSED_VARIANTS(WASM_E_BIN) WASM_COND_VARIANTS(WASM_E_COND)
#define WASM_MEM_ENUM                     WASM_LOAD_VARIANTS(WASM_E_LOAD) WASM_STORE_VARIANTS(WASM_E_STORE)

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
	OP_JZ_L,          /* slot, off: jump if local is zero */
	OP_JNZ_L,         /* slot, off */
	OP_COPY,          /* src | dst << 32: local.get src; local.set dst */
	OP_SETI,          /* dst, value: const; local.set dst */
	/* Fused binary operations, one block per variant (WASM_FUSED_VARIANTS). */
	WASM_FUSED_ENUM
	    /* Fused loads and stores, one block per variant. */
	    WASM_MEM_ENUM OP_COUNT
};

#endif

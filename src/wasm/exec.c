/*
 * exec.c - the interpreter loop.
 *
 * Dispatch is direct threading: each operation cell holds the address of
 * its handler (GCC's labels as values) and every handler ends with an
 * indirect jump to the next one. Building with -DWASM_SWITCH_DISPATCH gives
 * a plain switch loop instead, to measure the difference (docs/wasm.md).
 *
 * The operand stack and the locals share one array of 64-bit slots; a frame
 * is [params, locals, operands]. Every load and store compares the effective
 * address with the memory size (no guard pages, no signals); every call
 * checks the call depth and that the callee's precomputed maximum height fits
 * the value stack; fuel is charged per segment (OP_FUEL).
 *
 * This is deliberately one long function: the handlers must share the
 * registers ip, sp, fp and the memory base for the dispatch to be fast.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "wasm/internal.h"
#include "wasm/ops.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the interpreter assumes a little-endian host (memory is accessed with memcpy)"
#endif

#define OOB  "out of bounds memory access"
#define TOOB "out of bounds table access"

int wasm_trap(struct wasm_store *s, const char *msg)
{
	size_t n = strlen(msg);

	if (n >= sizeof(s->error))
		n = sizeof(s->error) - 1;
	memcpy(s->error, msg, n);
	s->error[n] = '\0';
	return CU_ETRAP;
}

static inline float f32_of(uint64_t v)
{
	uint32_t u = (uint32_t)v;
	float f;

	memcpy(&f, &u, 4);
	return f;
}

static inline uint64_t of_f32(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

static inline double f64_of(uint64_t v)
{
	double d;

	memcpy(&d, &v, 8);
	return d;
}

static inline uint64_t of_f64(double d)
{
	uint64_t u;

	memcpy(&u, &d, 8);
	return u;
}

static float f32_min(float a, float b)
{
	if (isnan(a) || isnan(b))
		return a + b;
	if (a == b)
		return signbit(a) ? a : b;
	return a < b ? a : b;
}

static float f32_max(float a, float b)
{
	if (isnan(a) || isnan(b))
		return a + b;
	if (a == b)
		return signbit(a) ? b : a;
	return a > b ? a : b;
}

static double f64_min(double a, double b)
{
	if (isnan(a) || isnan(b))
		return a + b;
	if (a == b)
		return signbit(a) ? a : b;
	return a < b ? a : b;
}

static double f64_max(double a, double b)
{
	if (isnan(a) || isnan(b))
		return a + b;
	if (a == b)
		return signbit(a) ? b : a;
	return a > b ? a : b;
}

/* Float to integer: 0 and the value, or the trap message. */
static const char *trunc_check(double x, double lo, double hi)
{
	if (isnan(x))
		return "invalid conversion to integer";
	if (!(x > lo && x < hi))
		return "integer overflow";
	return NULL;
}

static uint64_t sat_s(double x, double lo, double hi, int64_t min, int64_t max)
{
	if (isnan(x))
		return 0;
	if (x <= lo)
		return (uint64_t)min;
	if (x >= hi)
		return (uint64_t)max;
	return (uint64_t)(int64_t)x;
}

static uint64_t sat_u(double x, double hi, uint64_t max)
{
	if (isnan(x) || x <= -1.0)
		return 0;
	if (x >= hi)
		return max;
	return (uint64_t)x;
}

static uint64_t sat_s32f(float x)
{
	if (isnan(x))
		return 0;
	if (x < -2147483648.0f)
		return (uint32_t)INT32_MIN;
	if (x >= 2147483648.0f)
		return (uint32_t)INT32_MAX;
	return (uint32_t)(int32_t)x;
}

static uint64_t sat_s64f(float x)
{
	if (isnan(x))
		return 0;
	if (x < -9223372036854775808.0f)
		return (uint64_t)INT64_MIN;
	if (x >= 9223372036854775808.0f)
		return (uint64_t)INT64_MAX;
	return (uint64_t)(int64_t)x;
}

static uint64_t sat_u64f(float x)
{
	if (isnan(x) || x <= -1.0f)
		return 0;
	if (x >= 18446744073709551616.0f)
		return UINT64_MAX;
	return (uint64_t)x;
}

static uint32_t rotl32(uint32_t a, uint32_t b)
{
	b &= 31;
	return (a << b) | (a >> ((32 - b) & 31));
}

static uint32_t rotr32(uint32_t a, uint32_t b)
{
	b &= 31;
	return (a >> b) | (a << ((32 - b) & 31));
}

static uint64_t rotl64(uint64_t a, uint64_t b)
{
	b &= 63;
	return (a << b) | (a >> ((64 - b) & 63));
}

static uint64_t rotr64(uint64_t a, uint64_t b)
{
	b &= 63;
	return (a >> b) | (a << ((64 - b) & 63));
}

/* Parameters and results of a host call held on the C stack. */
#define HOST_SMALL 16

static int host_call(struct wasm_store *s, struct wasm_instance *caller, struct wasm_func *f,
                     uint64_t *args)
{
	struct wasm_value av_small[HOST_SMALL], rv_small[HOST_SMALL], *av = av_small,
	                                                              *rv = rv_small;
	struct wasm_host_call call;
	const uint8_t *t = f->type.types;
	uint32_t i, np = f->type.nparams, nr = f->type.nresults;
	int rc = CU_ENOMEM;

	/* No allocation for the usual small signatures. */
	if (np > HOST_SMALL)
		av = calloc(np, sizeof(*av));
	if (nr > HOST_SMALL)
		rv = calloc(nr, sizeof(*rv));
	if (av == NULL || rv == NULL)
		goto out;
	memset(rv, 0, (nr > HOST_SMALL ? nr : HOST_SMALL) * sizeof(*rv));
	for (i = 0; i < np; i++) {
		av[i].type = t[i];
		av[i].of.i64 = args[i];
		if (t[i] == WASM_I32 || t[i] == WASM_F32)
			av[i].of.i64 = (uint32_t)args[i];
		else if (wasm_is_reftype(t[i]))
			av[i].of.ext = (void *)(uintptr_t)args[i];
	}
	for (i = 0; i < nr; i++)
		rv[i].type = t[np + i];
	call.store = s;
	call.inst = caller;
	s->error[0] = '\0';
	rc = f->host(&call, f->user, av, rv);
	if (rc != 0) {
		if (rc != CU_ETRAP || s->error[0] == '\0')
			rc = wasm_trap(s, "host function failed");
		goto out;
	}
	for (i = 0; i < nr; i++) {
		if (t[np + i] == WASM_I32 || t[np + i] == WASM_F32)
			args[i] = rv[i].of.i32;
		else if (wasm_is_reftype(t[np + i]))
			args[i] = (uintptr_t)rv[i].of.ext;
		else
			args[i] = rv[i].of.i64;
	}
out:
	if (av != av_small)
		free(av);
	if (rv != rv_small)
		free(rv);
	return rc;
}

/* The operations with a handler of their own (fused ones: below). */
// clang-format off
#define WASM_OPS(X) \
	X(0x00) X(0x1a) X(0x1b) X(0x28) X(0x29) X(0x2a) X(0x2b) X(0x2c) \
	X(0x2d) X(0x2e) X(0x2f) X(0x30) X(0x31) X(0x32) X(0x33) X(0x34) \
	X(0x35) X(0x36) X(0x37) X(0x38) X(0x39) X(0x3a) X(0x3b) X(0x3c) \
	X(0x3d) X(0x3e) X(0x3f) X(0x40) X(0x45) X(0x46) X(0x47) X(0x48) \
	X(0x49) X(0x4a) X(0x4b) X(0x4c) X(0x4d) X(0x4e) X(0x4f) X(0x50) \
	X(0x51) X(0x52) X(0x53) X(0x54) X(0x55) X(0x56) X(0x57) X(0x58) \
	X(0x59) X(0x5a) X(0x5b) X(0x5c) X(0x5d) X(0x5e) X(0x5f) X(0x60) \
	X(0x61) X(0x62) X(0x63) X(0x64) X(0x65) X(0x66) X(0x67) X(0x68) \
	X(0x69) X(0x6a) X(0x6b) X(0x6c) X(0x6d) X(0x6e) X(0x6f) X(0x70) \
	X(0x71) X(0x72) X(0x73) X(0x74) X(0x75) X(0x76) X(0x77) X(0x78) \
	X(0x79) X(0x7a) X(0x7b) X(0x7c) X(0x7d) X(0x7e) X(0x7f) X(0x80) \
	X(0x81) X(0x82) X(0x83) X(0x84) X(0x85) X(0x86) X(0x87) X(0x88) \
	X(0x89) X(0x8a) X(0x8b) X(0x8c) X(0x8d) X(0x8e) X(0x8f) X(0x90) \
	X(0x91) X(0x92) X(0x93) X(0x94) X(0x95) X(0x96) X(0x97) X(0x98) \
	X(0x99) X(0x9a) X(0x9b) X(0x9c) X(0x9d) X(0x9e) X(0x9f) X(0xa0) \
	X(0xa1) X(0xa2) X(0xa3) X(0xa4) X(0xa5) X(0xa6) X(0xa7) X(0xa8) \
	X(0xa9) X(0xaa) X(0xab) X(0xac) X(0xad) X(0xae) X(0xaf) X(0xb0) \
	X(0xb1) X(0xb2) X(0xb3) X(0xb4) X(0xb5) X(0xb6) X(0xb7) X(0xb8) \
	X(0xb9) X(0xba) X(0xbb) X(0xbc) X(0xbd) X(0xbe) X(0xbf) X(0xc0) \
	X(0xc1) X(0xc2) X(0xc3) X(0xc4) X(0xd1) X(0x100) X(0x101) X(0x102) \
	X(0x103) X(0x104) X(0x105) X(0x106) X(0x107) X(0x108) X(0x109) X(0x10a) \
	X(0x10b) X(0x10c) X(0x10d) X(0x10e) X(0x10f) X(0x110) X(0x111) X(OP_JMP) \
	X(OP_JZ) X(OP_JNZ) X(OP_BR) X(OP_BR_IF) X(OP_BR_TABLE) X(OP_RETURN) X(OP_CALL) X(OP_CALL_IMPORT) \
	X(OP_CALL_INDIRECT) X(OP_LOCAL_GET) X(OP_LOCAL_SET) X(OP_LOCAL_TEE) X(OP_GLOBAL_GET) X(OP_GLOBAL_SET) X(OP_TABLE_GET) X(OP_TABLE_SET) \
	X(OP_CONST) X(OP_REF_FUNC) X(OP_FUEL) X(OP_JZ_L) X(OP_JNZ_L) X(OP_COPY) X(OP_SETI)
// clang-format on

#ifdef WASM_SWITCH_DISPATCH
#define H(o)   case o:
#define NEXT() goto dispatch
#else
#define H(o)   l_##o:
#define NEXT() goto *(ip++)->op
#endif

#define TRAP(m)                                                                                    \
	do {                                                                                       \
		msg = (m);                                                                         \
		goto trap;                                                                         \
	} while (0)

#define LOAD_MEM()                                                                                 \
	do {                                                                                       \
		if (inst->mems != NULL && inst->mod->nmems > 0) {                                  \
			mem = inst->mems[0]->data;                                                 \
			memsize = inst->mems[0]->size;                                             \
		} else {                                                                           \
			mem = NULL;                                                                \
			memsize = 0;                                                               \
		}                                                                                  \
	} while (0)

#define LOAD(T, N, CONV)                                                                           \
	{                                                                                          \
		uint64_t ea = (uint64_t)(uint32_t)sp[-1] + ip->u;                                  \
		T v;                                                                               \
		if (ea + N > memsize)                                                              \
			TRAP(OOB);                                                                 \
		memcpy(&v, mem + ea, N);                                                           \
		sp[-1] = (CONV);                                                                   \
		ip++;                                                                              \
		NEXT();                                                                            \
	}

#define STORE(T, N)                                                                                \
	{                                                                                          \
		uint64_t ea = (uint64_t)(uint32_t)sp[-2] + ip->u;                                  \
		T v = (T)sp[-1];                                                                   \
		if (ea + N > memsize)                                                              \
			TRAP(OOB);                                                                 \
		memcpy(mem + ea, &v, N);                                                           \
		sp -= 2;                                                                           \
		ip++;                                                                              \
		NEXT();                                                                            \
	}

/* Binary and unary operations on the top of the stack. */
#define BIN32(expr)                                                                                \
	{                                                                                          \
		uint32_t b = (uint32_t)sp[-1], a = (uint32_t)sp[-2];                               \
		sp--;                                                                              \
		sp[-1] = (uint32_t)(expr);                                                         \
		NEXT();                                                                            \
	}
#define BIN64(expr)                                                                                \
	{                                                                                          \
		uint64_t b = sp[-1], a = sp[-2];                                                   \
		sp--;                                                                              \
		sp[-1] = (uint64_t)(expr);                                                         \
		NEXT();                                                                            \
	}
#define CMP64(expr) BIN64(expr)
#define UN32(expr)                                                                                 \
	{                                                                                          \
		uint32_t a = (uint32_t)sp[-1];                                                     \
		sp[-1] = (uint32_t)(expr);                                                         \
		NEXT();                                                                            \
	}
#define UN64(expr)                                                                                 \
	{                                                                                          \
		uint64_t a = sp[-1];                                                               \
		sp[-1] = (uint64_t)(expr);                                                         \
		NEXT();                                                                            \
	}
#define FBIN32(expr)                                                                               \
	{                                                                                          \
		float b = f32_of(sp[-1]), a = f32_of(sp[-2]);                                      \
		sp--;                                                                              \
		sp[-1] = of_f32(expr);                                                             \
		NEXT();                                                                            \
	}
#define FCMP32(expr)                                                                               \
	{                                                                                          \
		float b = f32_of(sp[-1]), a = f32_of(sp[-2]);                                      \
		sp--;                                                                              \
		sp[-1] = (expr);                                                                   \
		NEXT();                                                                            \
	}
#define FUN32(expr)                                                                                \
	{                                                                                          \
		float a = f32_of(sp[-1]);                                                          \
		sp[-1] = of_f32(expr);                                                             \
		NEXT();                                                                            \
	}
#define FBIN64(expr)                                                                               \
	{                                                                                          \
		double b = f64_of(sp[-1]), a = f64_of(sp[-2]);                                     \
		sp--;                                                                              \
		sp[-1] = of_f64(expr);                                                             \
		NEXT();                                                                            \
	}
#define FCMP64(expr)                                                                               \
	{                                                                                          \
		double b = f64_of(sp[-1]), a = f64_of(sp[-2]);                                     \
		sp--;                                                                              \
		sp[-1] = (expr);                                                                   \
		NEXT();                                                                            \
	}
#define FUN64(expr)                                                                                \
	{                                                                                          \
		double a = f64_of(sp[-1]);                                                         \
		sp[-1] = of_f64(expr);                                                             \
		NEXT();                                                                            \
	}
/* Trapping float-to-int: x is the operand as double, lo/hi exclusive bounds. */
#define TRUNC(x, lo, hi, conv)                                                                     \
	{                                                                                          \
		const char *why = trunc_check((x), (lo), (hi));                                    \
		if (why != NULL)                                                                   \
			TRAP(why);                                                                 \
		sp[-1] = (conv);                                                                   \
		NEXT();                                                                            \
	}
#include "wasm/exec_fused.h"

static int run(struct wasm_store *s, struct wasm_func *entry, uint64_t *args,
               const void *const **table)
{
#ifndef WASM_SWITCH_DISPATCH
#define LBL(o) [o] = &&l_##o,
	static const void *const labels[OP_COUNT] = {WASM_OPS(LBL) FUSED_LABELS};
#undef LBL
#endif
	const union wasm_cell *ip;
	uint64_t *sp, *fp, *stack_end;
	struct wasm_instance *inst;
	struct wasm_frame *frames;
	struct wasm_func *f;
	const struct wasm_pfunc *fn;
	uint8_t *mem;
	uint64_t memsize, fuel;
	uint32_t nframes = 0, max_frames;
	const char *msg;
	int rc;

	if (table != NULL) {
#ifdef WASM_SWITCH_DISPATCH
		*table = NULL;
#else
		*table = labels;
#endif
		return 0;
	}
	frames = s->frames;
	max_frames = s->cfg.max_call_depth;
	stack_end = s->stack + s->cfg.max_stack_slots;
	fuel = s->fuel;
	inst = entry->inst;
	fn = entry->code;
	fp = args;
	if (fp + fn->max_height > stack_end)
		return wasm_trap(s, "call stack exhausted");
	memset(fp + fn->nparams, 0, fn->nlocals * sizeof(*fp));
	sp = fp + fn->nparams + fn->nlocals;
	ip = fn->code;
	LOAD_MEM();
#ifdef WASM_SWITCH_DISPATCH
dispatch:
	switch ((ip++)->u) {
#else
	NEXT();
#endif
		// clang-format off
		H(0x00) TRAP("unreachable");
		H(0x1a) sp--;
		NEXT();
		H(0x1b)
		{
			uint32_t c = (uint32_t)sp[-1];
			sp -= 2;
			if (!c)
				sp[-1] = sp[0];
			NEXT();
		}
		H(0x28) LOAD(uint32_t, 4, v)
		H(0x29) LOAD(uint64_t, 8, v)
		H(0x2a) LOAD(uint32_t, 4, v)
		H(0x2b) LOAD(uint64_t, 8, v)
		H(0x2c) LOAD(int8_t, 1, (uint32_t)(int32_t)v)
		H(0x2d) LOAD(uint8_t, 1, v)
		H(0x2e) LOAD(int16_t, 2, (uint32_t)(int32_t)v)
		H(0x2f) LOAD(uint16_t, 2, v)
		H(0x30) LOAD(int8_t, 1, (uint64_t)(int64_t)v)
		H(0x31) LOAD(uint8_t, 1, v)
		H(0x32) LOAD(int16_t, 2, (uint64_t)(int64_t)v)
		H(0x33) LOAD(uint16_t, 2, v)
		H(0x34) LOAD(int32_t, 4, (uint64_t)(int64_t)v)
		H(0x35) LOAD(uint32_t, 4, v)
		H(0x36) STORE(uint32_t, 4)
		H(0x37) STORE(uint64_t, 8)
		H(0x38) STORE(uint32_t, 4)
		H(0x39) STORE(uint64_t, 8)
		H(0x3a) STORE(uint8_t, 1)
		H(0x3b) STORE(uint16_t, 2)
		H(0x3c) STORE(uint8_t, 1)
		H(0x3d) STORE(uint16_t, 2)
		H(0x3e) STORE(uint32_t, 4)
		                                        H(0x3f) *sp++ = inst->mems[0]->pages;
		NEXT();
		H(0x40)
		{
			uint32_t old;
			if (wasm_memory_grow(inst->mems[0], (uint32_t)sp[-1], &old) != 0)
				old = UINT32_MAX;
			sp[-1] = old;
			LOAD_MEM();
			NEXT();
		}
		H(0x45) UN32(a == 0)
		H(0x46) BIN32(a == b)
		H(0x47) BIN32(a != b)
		H(0x48) BIN32((int32_t)a < (int32_t)b)
		H(0x49) BIN32(a < b)
		H(0x4a) BIN32((int32_t)a > (int32_t)b)
		H(0x4b) BIN32(a > b)
		H(0x4c) BIN32((int32_t)a <= (int32_t)b)
		H(0x4d) BIN32(a <= b)
		H(0x4e) BIN32((int32_t)a >= (int32_t)b)
		H(0x4f) BIN32(a >= b)
		H(0x50) UN64(a == 0)
		H(0x51) CMP64(a == b)
		H(0x52) CMP64(a != b)
		H(0x53) CMP64((int64_t)a < (int64_t)b)
		H(0x54) CMP64(a < b)
		H(0x55) CMP64((int64_t)a > (int64_t)b)
		H(0x56) CMP64(a > b)
		H(0x57) CMP64((int64_t)a <= (int64_t)b)
		H(0x58) CMP64(a <= b)
		H(0x59) CMP64((int64_t)a >= (int64_t)b)
		H(0x5a) CMP64(a >= b)
		H(0x5b) FCMP32(a == b)
		H(0x5c) FCMP32(a != b)
		H(0x5d) FCMP32(a < b)
		H(0x5e) FCMP32(a > b)
		H(0x5f) FCMP32(a <= b)
		H(0x60) FCMP32(a >= b)
		H(0x61) FCMP64(a == b)
		H(0x62) FCMP64(a != b)
		H(0x63) FCMP64(a < b)
		H(0x64) FCMP64(a > b)
		H(0x65) FCMP64(a <= b)
		H(0x66) FCMP64(a >= b)
		H(0x67) UN32(a ? __builtin_clz(a) : 32)
		H(0x68) UN32(a ? __builtin_ctz(a) : 32)
		H(0x69) UN32(__builtin_popcount(a))
		                                                            H(0x6a) BIN32(a + b)
		                                                                H(0x6b) BIN32(a - b)
		                                                                    H(0x6c) BIN32(a * b)
		                                                                            H(0x6d)
		{
			uint32_t b = (uint32_t)sp[-1], a = (uint32_t)sp[-2];
			if (b == 0)
				TRAP("integer divide by zero");
			if (a == 0x80000000u && b == 0xffffffffu)
				TRAP("integer overflow");
			sp--;
			sp[-1] = (uint32_t)((int32_t)a / (int32_t)b);
			NEXT();
		}
		H(0x6e)
		{
			uint32_t b = (uint32_t)sp[-1], a = (uint32_t)sp[-2];
			if (b == 0)
				TRAP("integer divide by zero");
			sp--;
			sp[-1] = a / b;
			NEXT();
		}
		H(0x6f)
		{
			uint32_t b = (uint32_t)sp[-1], a = (uint32_t)sp[-2];
			if (b == 0)
				TRAP("integer divide by zero");
			sp--;
			sp[-1] = b == 0xffffffffu ? 0 : (uint32_t)((int32_t)a % (int32_t)b);
			NEXT();
		}
		H(0x70)
		{
			uint32_t b = (uint32_t)sp[-1], a = (uint32_t)sp[-2];
			if (b == 0)
				TRAP("integer divide by zero");
			sp--;
			sp[-1] = a % b;
			NEXT();
		}
		H(0x71) BIN32(a & b)
		H(0x72) BIN32(a | b)
		H(0x73) BIN32(a ^ b)
		H(0x74) BIN32(a << (b & 31))
		H(0x75) BIN32((uint32_t)((int32_t)a >> (b & 31)))
		H(0x76) BIN32(a >> (b & 31))
		H(0x77) BIN32(rotl32(a, b))
		H(0x78) BIN32(rotr32(a, b))
		H(0x79) UN64(a ? __builtin_clzll(a) : 64)
		H(0x7a) UN64(a ? __builtin_ctzll(a) : 64)
		H(0x7b) UN64(__builtin_popcountll(a))
		H(0x7c) BIN64(a + b)
		H(0x7d) BIN64(a - b)
		H(0x7e) BIN64(a * b)
		H(0x7f)
		{
			uint64_t b = sp[-1], a = sp[-2];
			if (b == 0)
				TRAP("integer divide by zero");
			if (a == 0x8000000000000000ull && b == UINT64_MAX)
				TRAP("integer overflow");
			sp--;
			sp[-1] = (uint64_t)((int64_t)a / (int64_t)b);
			NEXT();
		}
		H(0x80)
		{
			uint64_t b = sp[-1], a = sp[-2];
			if (b == 0)
				TRAP("integer divide by zero");
			sp--;
			sp[-1] = a / b;
			NEXT();
		}
		H(0x81)
		{
			uint64_t b = sp[-1], a = sp[-2];
			if (b == 0)
				TRAP("integer divide by zero");
			sp--;
			sp[-1] = b == UINT64_MAX ? 0 : (uint64_t)((int64_t)a % (int64_t)b);
			NEXT();
		}
		H(0x82)
		{
			uint64_t b = sp[-1], a = sp[-2];
			if (b == 0)
				TRAP("integer divide by zero");
			sp--;
			sp[-1] = a % b;
			NEXT();
		}
		H(0x83) BIN64(a & b)
		H(0x84) BIN64(a | b)
		H(0x85) BIN64(a ^ b)
		H(0x86) BIN64(a << (b & 63))
		H(0x87) BIN64((uint64_t)((int64_t)a >> (b & 63)))
		H(0x88) BIN64(a >> (b & 63))
		H(0x89) BIN64(rotl64(a, b))
		H(0x8a) BIN64(rotr64(a, b))
		H(0x8b) UN32(a & 0x7fffffffu)
		H(0x8c) UN32(a ^ 0x80000000u)
		H(0x8d) FUN32(isnan(a) ? a + a : ceilf(a))
		H(0x8e) FUN32(isnan(a) ? a + a : floorf(a))
		H(0x8f) FUN32(isnan(a) ? a + a : truncf(a))
		H(0x90) FUN32(nearbyintf(a))
		H(0x91) FUN32(sqrtf(a))
		H(0x92) FBIN32(a + b)
		H(0x93) FBIN32(a - b)
		H(0x94) FBIN32(a * b)
		H(0x95) FBIN32(a / b)
		H(0x96) FBIN32(f32_min(a, b))
		H(0x97) FBIN32(f32_max(a, b))
		H(0x98) BIN32((a & 0x7fffffffu) | (b & 0x80000000u))
		H(0x99) UN64(a & 0x7fffffffffffffffull)
		H(0x9a) UN64(a ^ 0x8000000000000000ull)
		H(0x9b) FUN64(isnan(a) ? a + a : ceil(a))
		H(0x9c) FUN64(isnan(a) ? a + a : floor(a))
		H(0x9d) FUN64(isnan(a) ? a + a : trunc(a))
		H(0x9e) FUN64(nearbyint(a))
		H(0x9f) FUN64(sqrt(a))
		H(0xa0) FBIN64(a + b)
		H(0xa1) FBIN64(a - b)
		H(0xa2) FBIN64(a * b)
		H(0xa3) FBIN64(a / b)
		H(0xa4) FBIN64(f64_min(a, b))
		H(0xa5) FBIN64(f64_max(a, b))
		H(0xa6) BIN64((a & 0x7fffffffffffffffull) | (b & 0x8000000000000000ull))
		H(0xa7) UN64((uint32_t)a)
		H(0xa8) TRUNC(f32_of(sp[-1]), -2147483904.0, 2147483648.0, (uint32_t)(int32_t)f32_of(sp[-1]))
		H(0xa9) TRUNC(f32_of(sp[-1]), -1.0, 4294967296.0, (uint32_t) f32_of(sp[-1]))
		H(0xaa) TRUNC(f64_of(sp[-1]), -2147483649.0, 2147483648.0, (uint32_t)(int32_t)f64_of(sp[-1]))
		H(0xab) TRUNC(f64_of(sp[-1]), -1.0, 4294967296.0, (uint32_t) f64_of(sp[-1]))
		H(0xac) UN64((uint64_t)(int64_t)(int32_t)a)
		H(0xad) UN64((uint32_t)a)
		H(0xae) TRUNC(f32_of(sp[-1]), -9223373136366403584.0, 9223372036854775808.0, (uint64_t)(int64_t)f32_of(sp[-1]))
		H(0xaf) TRUNC(f32_of(sp[-1]), -1.0, 18446744073709551616.0, (uint64_t) f32_of(sp[-1]))
		H(0xb0) TRUNC(f64_of(sp[-1]), -9223372036854777856.0, 9223372036854775808.0, (uint64_t)(int64_t)f64_of(sp[-1]))
		H(0xb1) TRUNC(f64_of(sp[-1]), -1.0, 18446744073709551616.0, (uint64_t) f64_of(sp[-1]))
		H(0xb2) UN64(of_f32((float)(int32_t) a))
		H(0xb3) UN64(of_f32((float)(uint32_t)a))
		H(0xb4) UN64(of_f32((float)(int64_t) a))
		H(0xb5) UN64(of_f32((float)a))
		H(0xb6) UN64(of_f32((float)f64_of(a)))
		H(0xb7) UN64(of_f64((double)(int32_t) a))
		H(0xb8) UN64(of_f64((double)(uint32_t) a))
		H(0xb9) UN64(of_f64((double)(int64_t) a))
		H(0xba) UN64(of_f64((double) a))
		H(0xbb) UN64(of_f64((double)f32_of(a)))
		                                                                                H(0xbc) NEXT();
		H(0xbd) NEXT();
		H(0xbe) NEXT();
		H(0xbf) NEXT();
		H(0xc0) UN32((int32_t)(int8_t)a)
		H(0xc1) UN32((int32_t)(int16_t)a)
		H(0xc2) UN64((int64_t)(int8_t)a)
		H(0xc3) UN64((int64_t)(int16_t)a)
		H(0xc4) UN64((int64_t)(int32_t)a)
		H(0xd1) sp[-1] = sp[-1] == 0;
		NEXT();
		H(0x100) UN64(sat_s32f(f32_of(a)))
		H(0x101) UN64((uint32_t)sat_u(f32_of(a), 4294967296.0, UINT32_MAX))
		H(0x102) UN64((uint32_t)sat_s(f64_of(a), -2147483648.0, 2147483647.0, INT32_MIN, INT32_MAX))
		H(0x103) UN64((uint32_t)sat_u(f64_of(a), 4294967296.0, UINT32_MAX))
		H(0x104) UN64(sat_s64f(f32_of(a)))
		H(0x105) UN64(sat_u64f(f32_of(a)))
		H(0x106) UN64(sat_s(f64_of(a), -9223372036854775808.0, 9223372036854775808.0, INT64_MIN, INT64_MAX))
		H(0x107) UN64(sat_u(f64_of(a), 18446744073709551616.0, UINT64_MAX))
		H(0x108)
		{ /* memory.init */
			uint32_t n = (uint32_t)sp[-1], src = (uint32_t)sp[-2],
			         dst = (uint32_t)sp[-3];
			uint32_t x = (uint32_t)ip->u;
			const struct wasm_data *d = &inst->mod->datas[x];
			uint64_t len = inst->data_dropped[x] ? 0 : d->len;
			sp -= 3;
			ip++;
			if ((uint64_t)src + n > len || (uint64_t)dst + n > memsize)
				TRAP(OOB);
			if (n)
				memcpy(mem + dst, d->bytes + src, n);
			NEXT();
		}
		H(0x109) inst->data_dropped[ip->u] = 1;
		ip++;
		NEXT();
		H(0x10a)
		{ /* memory.copy */
			uint32_t n = (uint32_t)sp[-1], src = (uint32_t)sp[-2],
			         dst = (uint32_t)sp[-3];
			sp -= 3;
			if ((uint64_t)src + n > memsize || (uint64_t)dst + n > memsize)
				TRAP(OOB);
			if (n)
				memmove(mem + dst, mem + src, n);
			NEXT();
		}
		H(0x10b)
		{ /* memory.fill */
			uint32_t n = (uint32_t)sp[-1], val = (uint32_t)sp[-2],
			         dst = (uint32_t)sp[-3];
			sp -= 3;
			if ((uint64_t)dst + n > memsize)
				TRAP(OOB);
			if (n)
				memset(mem + dst, (int)(val & 0xff), n);
			NEXT();
		}
		H(0x10c)
		{ /* table.init elem table */
			uint32_t n = (uint32_t)sp[-1], src = (uint32_t)sp[-2],
			         dst = (uint32_t)sp[-3];
			uint32_t x = ip->p.lo;
			struct wasm_table *t = inst->tables[ip->p.hi];
			sp -= 3;
			ip++;
			if ((uint64_t)src + n > inst->elem_len[x] || (uint64_t)dst + n > t->size)
				TRAP(TOOB);
			if (n)
				memcpy(t->elems + dst, inst->elem_refs[x] + src, n * sizeof(void *));
			NEXT();
		}
		H(0x10d) inst->elem_len[ip->u] = 0;
		ip++;
		NEXT();
		H(0x10e)
		{ /* table.copy dst src */
			uint32_t n = (uint32_t)sp[-1], src = (uint32_t)sp[-2],
			         dst = (uint32_t)sp[-3];
			struct wasm_table *td = inst->tables[ip->p.lo],
			                  *ts = inst->tables[ip->p.hi];
			sp -= 3;
			ip++;
			if ((uint64_t)src + n > ts->size || (uint64_t)dst + n > td->size)
				TRAP(TOOB);
			if (n)
				memmove(td->elems + dst, ts->elems + src, n * sizeof(void *));
			NEXT();
		}
		H(0x10f)
		{ /* table.grow */
			uint32_t old;
			if (wasm_table_grow(inst->tables[ip->u], (uint32_t)sp[-1], (void *)(uintptr_t)sp[-2], &old) != 0)
				old = UINT32_MAX;
			sp--;
			sp[-1] = old;
			ip++;
			NEXT();
		}
		H(0x110) *sp++ = inst->tables[ip->u]->size;
		ip++;
		NEXT();
		H(0x111)
		// clang-format on
		{ /* table.fill */
			uint32_t n = (uint32_t)sp[-1], i = (uint32_t)sp[-3], k;
			void *val = (void *)(uintptr_t)sp[-2];
			struct wasm_table *t = inst->tables[ip->u];
			sp -= 3;
			ip++;
			if ((uint64_t)i + n > t->size)
				TRAP(TOOB);
			for (k = 0; k < n; k++)
				t->elems[i + k] = val;
			NEXT();
		}
		H(OP_JMP) ip += ip->s;
		NEXT();
		H(OP_JZ)
		{
			if ((uint32_t) * --sp == 0)
				ip += ip->s;
			else
				ip++;
			NEXT();
		}
		H(OP_JNZ)
		{
			if ((uint32_t) * --sp != 0)
				ip += ip->s;
			else
				ip++;
			NEXT();
		}
		H(OP_BR_IF)
		{
			if ((uint32_t) * --sp == 0) {
				ip += 2;
				NEXT();
			}
		}
		/* fall through */
		H(OP_BR)
		{
			uint32_t n = ip[1].p.lo, k;
			uint64_t *dst = fp + ip[1].p.hi, *src = sp - n;
			for (k = 0; k < n; k++)
				dst[k] = src[k];
			sp = dst + n;
			ip += ip->s;
			NEXT();
		}
		H(OP_BR_TABLE)
		{
			uint32_t i = (uint32_t) * --sp, n, k;
			const union wasm_cell *e;
			uint64_t *dst, *src;
			if (i > ip->p.lo)
				i = ip->p.lo;
			e = ip + 1 + 2 * (size_t)i;
			n = e[1].p.lo;
			if (e[1].p.hi == UINT32_MAX) {
				ip = e + 1; /* OP_RETURN reads its count at ip */
				goto do_return;
			}
			dst = fp + e[1].p.hi;
			src = sp - n;
			for (k = 0; k < n; k++)
				dst[k] = src[k];
			sp = dst + n;
			ip = e + e->s;
			NEXT();
		}
		H(OP_RETURN)
	do_return : {
		uint32_t n = ip->p.lo, k;
		uint64_t *src = sp - n;
		for (k = 0; k < n; k++)
			fp[k] = src[k];
		sp = fp + n;
		if (nframes == 0)
			goto done;
		nframes--;
		ip = frames[nframes].ip;
		fp = frames[nframes].fp;
		inst = frames[nframes].inst;
		LOAD_MEM();
		NEXT();
	}
		H(OP_CALL)
		{
			fn = ip->fn;
			ip++;
		call_wasm : {
			uint64_t *nfp = sp - fn->nparams;
			if (nframes == max_frames || nfp + fn->max_height > stack_end)
				TRAP("call stack exhausted");
			frames[nframes].ip = ip;
			frames[nframes].fp = fp;
			frames[nframes].inst = inst;
			nframes++;
			fp = nfp;
			memset(fp + fn->nparams, 0, fn->nlocals * sizeof(*fp));
			sp = fp + fn->nparams + fn->nlocals;
			ip = fn->code;
			NEXT();
		}
		}
		H(OP_CALL_IMPORT)
		{
			f = inst->funcs[ip->u];
			ip++;
		call_any:
			if (f->code != NULL) {
				if (f->inst != inst) {
					/* The frame records the caller's instance; switch after. */
					fn = f->code;
					{
						uint64_t *nfp = sp - fn->nparams;
						if (nframes == max_frames ||
						    nfp + fn->max_height > stack_end)
							TRAP("call stack exhausted");
						frames[nframes].ip = ip;
						frames[nframes].fp = fp;
						frames[nframes].inst = inst;
						nframes++;
						fp = nfp;
						memset(fp + fn->nparams, 0,
						       fn->nlocals * sizeof(*fp));
						sp = fp + fn->nparams + fn->nlocals;
						ip = fn->code;
						inst = f->inst;
						LOAD_MEM();
						NEXT();
					}
				}
				fn = f->code;
				goto call_wasm;
			}
			if (nframes == max_frames || sp + f->type.nresults > stack_end)
				TRAP("call stack exhausted");
			s->fuel = fuel;
			rc = host_call(s, inst, f, sp - f->type.nparams);
			fuel = s->fuel;
			if (rc != 0)
				goto out;
			sp += (int64_t)f->type.nresults - (int64_t)f->type.nparams;
			LOAD_MEM();
			NEXT();
		}
		H(OP_CALL_INDIRECT)
		{
			uint32_t i = (uint32_t) * --sp;
			struct wasm_table *t = inst->tables[ip->p.hi];
			const struct wasm_ftype *want = &inst->mod->types[ip->p.lo];
			if (i >= t->size)
				TRAP("undefined element");
			f = t->elems[i];
			if (f == NULL)
				TRAP("uninitialized element");
			if (&f->type != want && !wasm_ftype_eq(&f->type, want))
				TRAP("indirect call type mismatch");
			ip++;
			goto call_any;
		}
		H(OP_LOCAL_GET) *sp++ = fp[ip->u];
		ip++;
		NEXT();
		H(OP_LOCAL_SET) fp[ip->u] = *--sp;
		ip++;
		NEXT();
		H(OP_LOCAL_TEE) fp[ip->u] = sp[-1];
		ip++;
		NEXT();
		H(OP_GLOBAL_GET) *sp++ = inst->globals[ip->u]->val;
		ip++;
		NEXT();
		H(OP_GLOBAL_SET) inst->globals[ip->u]->val = *--sp;
		ip++;
		NEXT();
		H(OP_TABLE_GET)
		{
			struct wasm_table *t = inst->tables[ip->u];
			uint32_t i = (uint32_t)sp[-1];
			if (i >= t->size)
				TRAP(TOOB);
			sp[-1] = (uintptr_t)t->elems[i];
			ip++;
			NEXT();
		}
		H(OP_TABLE_SET)
		{
			struct wasm_table *t = inst->tables[ip->u];
			uint32_t i = (uint32_t)sp[-2];
			if (i >= t->size)
				TRAP(TOOB);
			t->elems[i] = (void *)(uintptr_t)sp[-1];
			sp -= 2;
			ip++;
			NEXT();
		}
		H(OP_CONST) *sp++ = ip->u;
		ip++;
		NEXT();
		H(OP_REF_FUNC) *sp++ = (uintptr_t)inst->funcs[ip->u];
		ip++;
		NEXT();
		H(OP_FUEL)
		{
			if (fuel < ip->u) {
				fuel = 0;
				TRAP("fuel exhausted");
			}
			fuel -= ip->u;
			ip++;
			NEXT();
		}
		H(OP_JZ_L)
		{
			uint32_t c = (uint32_t)fp[ip->u];
			ip++;
			JUMP_IF(c == 0);
		}
		H(OP_JNZ_L)
		{
			uint32_t c = (uint32_t)fp[ip->u];
			ip++;
			JUMP_IF(c != 0);
		}
		H(OP_COPY) fp[ip->p.hi] = fp[ip->p.lo];
		ip++;
		NEXT();
		H(OP_SETI) fp[ip[0].u] = ip[1].u;
		ip += 2;
		NEXT();
		FUSED_HANDLERS
#ifdef WASM_SWITCH_DISPATCH
	default:
		TRAP("internal error: bad operation");
	}
#endif
done:
	s->fuel = fuel;
	return 0;
trap:
	s->fuel = fuel;
	rc = wasm_trap(s, msg);
out:
	return rc;
}

const void *const *wasm_exec_labels(void)
{
	const void *const *t = NULL;

	(void)run(NULL, NULL, NULL, &t);
	return t;
}

int wasm_exec(struct wasm_store *s, struct wasm_func *f, uint64_t *args)
{
	if (f->code == NULL) {
		if (f->type.nresults > s->cfg.max_stack_slots)
			return wasm_trap(s, "call stack exhausted");
		return host_call(s, NULL, f, args);
	}
	return run(s, f, args, NULL);
}

/* interp: a small stack bytecode machine running a counting loop with arithmetic. */
#include "bench.h"

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, XOR, SHR, JNZ, HALT };

static const int32_t prog[] = {
    PUSH,
    3000000,
    STORE,
    0, /* i = n */
    PUSH,
    1,
    STORE,
    1, /* acc = 1 */
    /* loop (pc 8): acc = (acc * 31 + i) ^ (acc >> 3); i = i - 1; if i goto loop */
    LOAD,
    1,
    PUSH,
    31,
    MUL,
    LOAD,
    0,
    ADD,
    LOAD,
    1,
    PUSH,
    3,
    SHR,
    XOR,
    STORE,
    1,
    LOAD,
    0,
    PUSH,
    1,
    SUB,
    STORE,
    0,
    LOAD,
    0,
    JNZ,
    8,
    LOAD,
    1,
    HALT,
};

static int32_t run(const int32_t *code)
{
	int32_t stack[64], vars[4] = {0}, sp = 0, pc = 0;

	for (;;) {
		switch (code[pc++]) {
		case PUSH:
			stack[sp++] = code[pc++];
			break;
		case LOAD:
			stack[sp++] = vars[code[pc++]];
			break;
		case STORE:
			vars[code[pc++]] = stack[--sp];
			break;
		case ADD:
			sp--;
			stack[sp - 1] += stack[sp];
			break;
		case SUB:
			sp--;
			stack[sp - 1] -= stack[sp];
			break;
		case MUL:
			sp--;
			stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] * (uint32_t)stack[sp]);
			break;
		case XOR:
			sp--;
			stack[sp - 1] ^= stack[sp];
			break;
		case SHR:
			sp--;
			stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] >> stack[sp]);
			break;
		case JNZ: {
			int32_t t = code[pc++];
			if (stack[--sp])
				pc = t;
			break;
		}
		default:
			return stack[sp - 1];
		}
	}
}

#ifdef __wasm__
EXPORT(bench)
#else
uint32_t bench(void);
uint32_t bench(void)
#endif
{
	return (uint32_t)run(prog);
}

/*
 * blasenv.c - the environment OpenBLAS must see when it loads (onnx.h,
 * onnx_blas_env).
 *
 * OpenBLAS chooses its kernels and its thread pool once, when the library
 * loads, before main(): a program can only set the environment and run
 * itself again. Two settings matter to Custos:
 *  - OPENBLAS_CORETYPE: Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) knows CPUs
 *    by their model, and takes the AVX-512 CPUs it does not know (AMD Zen 4
 *    and 5, newer Intel server parts) for Haswell, whose AVX2 kernels are
 *    slower there. When the CPU and the kernel support AVX-512 F, CD, BW,
 *    DQ and VL, SkylakeX's kernels are asked for, unless the user chose a
 *    core type. (Convolutions with constant weights do not use OpenBLAS on
 *    CPUs with AVX2 or AVX-512: sgemm.c; Gemm and MatMul do.)
 *  - OPENBLAS_NUM_THREADS=1: the engine threads its products itself and
 *    calls OpenBLAS on one thread; a pool of OpenBLAS's own would only spin
 *    beside it, and a process that forks task sandboxes (custosd) must not
 *    have one, which OpenBLAS would start again in the child.
 */
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx.h"

/* AVX-512 usable: the CPU has it and the kernel saves its state (libgcc checks XCR0). */
static int avx512_usable(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
	       __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
	       __builtin_cpu_supports("avx512vl");
#else
	return 0;
#endif
}

int onnx_blas_env(int single_thread)
{
	const char *v = getenv("OPENBLAS_NUM_THREADS");
	int changed = 0;

	if (single_thread && (!v || strcmp(v, "1"))) {
		if (setenv("OPENBLAS_NUM_THREADS", "1", 1))
			return -1;
		changed = 1;
	}
	if (!getenv("OPENBLAS_CORETYPE") && avx512_usable()) {
		if (setenv("OPENBLAS_CORETYPE", "SkylakeX", 1))
			return -1;
		changed = 1;
	}
	return changed;
}

/* matmul: 256x256 double matrices, C = A * B, 3 times. */
#include "bench.h"

#define N 256
static double A[N][N], B[N][N], C[N][N];

#ifdef __wasm__
EXPORT(bench)
#else
uint32_t bench(void);
uint32_t bench(void)
#endif
{
	uint32_t s = 3, i, j, k, r;
	double t = 0;

	for (i = 0; i < N; i++)
		for (j = 0; j < N; j++) {
			A[i][j] = (double)(lcg(&s) >> 16) / 65536.0;
			B[i][j] = (double)(lcg(&s) >> 16) / 65536.0;
		}
	for (r = 0; r < 3; r++) {
		for (i = 0; i < N; i++)
			for (j = 0; j < N; j++)
				C[i][j] = 0;
		for (i = 0; i < N; i++)
			for (k = 0; k < N; k++) {
				double x = A[i][k];
				for (j = 0; j < N; j++)
					C[i][j] += x * B[k][j];
			}
		t += C[r][r];
	}
	return (uint32_t)(t * 1000.0);
}

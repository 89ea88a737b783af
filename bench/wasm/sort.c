/* sort: quicksort (insertion sort below 16) of 1M pseudo-random integers, 3 rounds. */
#include "bench.h"

#define N (1u << 20)
static int32_t a[N];

static void isort(int32_t *v, int32_t n)
{
	for (int32_t i = 1; i < n; i++) {
		int32_t x = v[i], j = i - 1;
		while (j >= 0 && v[j] > x) {
			v[j + 1] = v[j];
			j--;
		}
		v[j + 1] = x;
	}
}

static void qsort_(int32_t *v, int32_t n)
{
	while (n > 16) {
		int32_t p = v[n / 2], i = 0, j = n - 1;
		while (i <= j) {
			while (v[i] < p)
				i++;
			while (v[j] > p)
				j--;
			if (i <= j) {
				int32_t t = v[i];
				v[i++] = v[j];
				v[j--] = t;
			}
		}
		if (j + 1 < n - i) {
			qsort_(v, j + 1);
			v += i;
			n -= i;
		} else {
			qsort_(v + i, n - i);
			n = j + 1;
		}
	}
	isort(v, n);
}

#ifdef __wasm__
EXPORT(bench)
#else
uint32_t bench(void);
uint32_t bench(void)
#endif
{
	uint32_t s = 7, sum = 0, r, i;

	for (r = 0; r < 3; r++) {
		for (i = 0; i < N; i++)
			a[i] = (int32_t)(lcg(&s) >> 1);
		qsort_(a, N);
		for (i = 0; i < N; i += 1024)
			sum = sum * 31 + (uint32_t)a[i];
	}
	return sum;
}

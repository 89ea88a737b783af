/* hash: FNV-1a and a 32-bit mixing hash over a 1 MiB buffer, 24 passes. */
#include "bench.h"

#define N (1u << 20)
static uint8_t buf[N];

#ifdef __wasm__
EXPORT(bench)
#else
uint32_t bench(void);
uint32_t bench(void)
#endif
{
	uint32_t s = 1, h = 2166136261u, m = 0, i, pass;

	for (i = 0; i < N; i++)
		buf[i] = (uint8_t)(lcg(&s) >> 24);
	for (pass = 0; pass < 24; pass++) {
		for (i = 0; i < N; i++)
			h = (h ^ buf[i]) * 16777619u;
		for (i = 0; i + 4 <= N; i += 4) {
			uint32_t k = (uint32_t)buf[i] | (uint32_t)buf[i + 1] << 8 |
			             (uint32_t)buf[i + 2] << 16 | (uint32_t)buf[i + 3] << 24;
			k *= 0xcc9e2d51u;
			k = (k << 15) | (k >> 17);
			m ^= k * 0x1b873593u;
			m = ((m << 13) | (m >> 19)) * 5 + 0xe6546b64u;
		}
	}
	return h ^ m;
}

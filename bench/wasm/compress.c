/* compress: a greedy LZ77 with a hash table over 1 MiB of semi-random text, 4 rounds. */
#include "bench.h"

#define N         (1u << 20)
#define HBITS     14
#define MIN_MATCH 4
static uint8_t in[N], out[N + N / 8 + 16];
static uint32_t head[1u << HBITS];

static uint32_t compress(void)
{
	uint32_t i = 0, o = 0, k;

	for (k = 0; k < (1u << HBITS); k++)
		head[k] = 0xffffffffu;
	while (i + MIN_MATCH <= N) {
		uint32_t v = (uint32_t)in[i] | (uint32_t)in[i + 1] << 8 |
		             (uint32_t)in[i + 2] << 16 | (uint32_t)in[i + 3] << 24;
		uint32_t h = (v * 2654435761u) >> (32 - HBITS), cand = head[h], len = 0;
		head[h] = i;
		if (cand != 0xffffffffu && i - cand < 65536)
			while (i + len < N && len < 255 && in[cand + len] == in[i + len])
				len++;
		if (len >= MIN_MATCH) {
			out[o++] = 0xff;
			out[o++] = (uint8_t)len;
			out[o++] = (uint8_t)(i - cand);
			out[o++] = (uint8_t)((i - cand) >> 8);
			i += len;
		} else {
			out[o++] = in[i++];
		}
	}
	while (i < N)
		out[o++] = in[i++];
	return o;
}

#ifdef __wasm__
EXPORT(bench)
#else
uint32_t bench(void);
uint32_t bench(void)
#endif
{
	static const char words[][8] = {"the ", "wasm ", "enclave ", "data ",
	                                "key ", "of ",   "and ",     "secure "};
	uint32_t s = 11, i = 0, r, sum = 0;

	while (i < N) {
		const char *w = words[lcg(&s) >> 29];
		for (; *w && i < N; w++)
			in[i++] = (uint8_t)*w;
		if ((lcg(&s) >> 28) == 0 && i < N)
			in[i++] = (uint8_t)(lcg(&s) >> 24);
	}
	for (r = 0; r < 4; r++)
		sum += compress();
	return sum;
}

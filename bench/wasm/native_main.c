/* native_main.c - runs a benchmark natively: prints its checksum and seconds. */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

uint32_t bench(void);

int main(void)
{
	struct timespec a, b;
	uint32_t r;

	clock_gettime(CLOCK_MONOTONIC, &a);
	r = bench();
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%u %.4f\n", r,
	       (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}

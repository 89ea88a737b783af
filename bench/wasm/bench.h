/* bench.h - shared by the benchmark programs: freestanding, no libc. */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(#name))) uint32_t name(void)

static inline uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s;
}

#endif

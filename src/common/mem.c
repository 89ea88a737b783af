#include "common/mem.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"

void cu_wipe(void *p, size_t n)
{
	if (!p || !n)
		return;
	memset(p, 0, n);
	/* Tell the compiler the zeros are read, so the memset is kept. */
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

void cu_free_secret(void *p, size_t n)
{
	if (!p)
		return;
	cu_wipe(p, n);
	free(p);
}

int cu_ct_eq(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return (int)(1 & ((uint32_t)(d - 1) >> 8));
}

int cu_ct_is_zero(const void *p, size_t n)
{
	const volatile uint8_t *x = p;
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i];
	return (int)(1 & ((uint32_t)(d - 1) >> 8));
}

void *cu_calloc(size_t nmemb, size_t size)
{
	size_t n;

	if (cu_mul_size(nmemb, size, &n))
		return NULL;
	return calloc(nmemb ? nmemb : 1, size ? size : 1);
}

char *cu_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

void *cu_memdup(const void *p, size_t n)
{
	void *q = malloc(n ? n : 1);

	if (q && n)
		memcpy(q, p, n);
	return q;
}

int cu_mul_size(size_t a, size_t b, size_t *out)
{
	if (__builtin_mul_overflow(a, b, out)) {
		*out = 0;
		return CU_ELIMIT;
	}
	return 0;
}

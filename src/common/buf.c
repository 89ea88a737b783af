#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"

void cu_buf_init(struct cu_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

int cu_buf_reserve(struct cu_buf *b, size_t n)
{
	size_t need, cap;
	uint8_t *p;

	/* One extra byte keeps a NUL after the data for string users. */
	if (n > b->max - b->len || b->len + n == SIZE_MAX)
		return CU_ELIMIT;
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	p = malloc(cap);
	if (!p)
		return CU_ENOMEM;
	if (b->data) {
		memcpy(p, b->data, b->len);
		cu_free_secret(b->data, b->cap);
	}
	p[b->len] = 0;
	b->data = p;
	b->cap = cap;
	return 0;
}

int cu_buf_append(struct cu_buf *b, const void *p, size_t n)
{
	int rc = cu_buf_reserve(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return 0;
}

int cu_buf_append_str(struct cu_buf *b, const char *s)
{
	return cu_buf_append(b, s, strlen(s));
}

int cu_buf_printf(struct cu_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return CU_EINVAL;
	rc = cu_buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void cu_buf_free(struct cu_buf *b)
{
	free(b->data);
	cu_buf_init(b, b->max);
}

void cu_buf_free_secret(struct cu_buf *b)
{
	cu_free_secret(b->data, b->cap);
	cu_buf_init(b, b->max);
}

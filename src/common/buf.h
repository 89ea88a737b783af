/*
 * buf.h - growable byte buffers with a maximum size.
 *
 * A cu_buf owns its data. Every buffer has a maximum set at init; appends
 * beyond it fail with CU_ELIMIT and leave the buffer as it was. A buffer that
 * held secrets is released with cu_buf_free_secret(), which wipes it.
 */
#ifndef CUSTOS_COMMON_BUF_H
#define CUSTOS_COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>

struct cu_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max;
};

/* An empty buffer that may grow to max bytes. */
void cu_buf_init(struct cu_buf *b, size_t max);

/* Make room for n more bytes (wiping what is moved, as data may be secret). */
int cu_buf_reserve(struct cu_buf *b, size_t n);

/* Append n bytes from p. */
int cu_buf_append(struct cu_buf *b, const void *p, size_t n);

/* Append a NUL-terminated string without its NUL (the buffer keeps a NUL after len). */
int cu_buf_append_str(struct cu_buf *b, const char *s);

/* printf-style append. */
int cu_buf_printf(struct cu_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Release the data; b is empty afterwards and may be reused. */
void cu_buf_free(struct cu_buf *b);
void cu_buf_free_secret(struct cu_buf *b);

#endif

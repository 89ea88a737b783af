/*
 * mem.h - secrets: wiping and constant-time comparison.
 */
#ifndef CUSTOS_COMMON_MEM_H
#define CUSTOS_COMMON_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Overwrite n bytes at p with zeros; the compiler may not elide it. p may be NULL if n is 0. */
void cu_wipe(void *p, size_t n);

/* Wipe then free(p). p may be NULL. */
void cu_free_secret(void *p, size_t n);

/* 1 if a[0..n) equals b[0..n), else 0, in time that depends only on n. */
int cu_ct_eq(const void *a, const void *b, size_t n) __attribute__((warn_unused_result));

/* 1 if all n bytes are zero, else 0, in time that depends only on n. */
int cu_ct_is_zero(const void *p, size_t n) __attribute__((warn_unused_result));

/* calloc that checks nmemb * size for overflow. */
void *cu_calloc(size_t nmemb, size_t size);

/* strdup / memdup returning NULL on allocation failure. */
char *cu_strdup(const char *s);
void *cu_memdup(const void *p, size_t n);

/* a * b, or CU_ELIMIT when it overflows size_t. */
int cu_mul_size(size_t a, size_t b, size_t *out);

#endif

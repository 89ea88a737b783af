/*
 * ml_int.h - what the machine-learning builtins share (ml.c): numeric CSV
 * read into a dense matrix, numeric arguments, number formatting, a line
 * reader for model files, and a seeded PRNG. Not part of the module's API.
 */
#ifndef CUSTOS_FUNCTIONS_ML_INT_H
#define CUSTOS_FUNCTIONS_ML_INT_H

#include <stddef.h>
#include <stdint.h>

#include "functions/functions.h"

/* Columns of a numeric CSV input, and so features of a model. */
#define ML_COLS_MAX 4096
/* Bytes of a number in a CSV cell or a model file. */
#define ML_NUM_MAX 64
/* Bytes of one line of a model file. */
#define ML_LINE_MAX 256
/*
 * Arithmetic steps (about one multiply-add each) a training may take: over
 * it the task is refused before it starts rather than left to run into the
 * sandbox's time limit.
 */
#define ML_WORK_MAX 20000000000.0
/* Bytes of a number written by ml_fmt. */
#define ML_FMT_MAX 32

/* A dense row-major matrix of finite doubles. */
struct ml_matrix {
	size_t rows, cols;
	double *v; /* rows * cols, malloc'd */
};

static inline double *ml_row(const struct ml_matrix *m, size_t r)
{
	return m->v + r * m->cols;
}

/* Free m's values; m may be zeroed or NULL. */
void ml_matrix_free(struct ml_matrix *m);

/*
 * The input name of c as numeric CSV (csv.h) into *m (cleared on entry; free
 * with ml_matrix_free even on failure): every cell a finite decimal number
 * (digits, one '.', an exponent; blanks around it ignored; no NaN, infinity
 * or hexadecimal), at least one row, exactly cols columns. A failure set on
 * c names the input, the row and the column.
 */
int ml_read_matrix(struct fn_ctx *c, const char *name, size_t cols, struct ml_matrix *m);

/* s[0..n) as a finite decimal number into *v: 0 or -1. */
int ml_parse_num(const char *s, size_t n, double *v);

/* The word w (NUL-terminated) as an unsigned decimal integer in [0, max] into *v: 0 or -1. */
int ml_parse_size(const char *w, size_t max, size_t *v);

/*
 * The argument name as a finite decimal number in [lo, hi]; def when it is
 * absent: 0, or a failure set on c.
 */
int ml_arg_num(struct fn_ctx *c, const char *name, double def, double lo, double hi, double *out);

/* The argument name, which must be present, as fn_arg_size. */
int ml_arg_size_req(struct fn_ctx *c, const char *fn, const char *name, size_t max, size_t *out);

/*
 * v as the shortest decimal that reads back as the same double: plain
 * notation with at least one decimal ("10.0", "0.25") for 1e-5 <= |v| <
 * 1e16 and 0, as Rust's "{:?}" writes it; "%.<N>g" outside that range
 * ("1e-07", "1.5e+20"). -0 is written as 0.0.
 */
void ml_fmt(char buf[static ML_FMT_MAX], double v);

/* Write v with ml_fmt, then sep (a NUL-terminated string) to o. */
int ml_write_num(struct fn_output *o, double v, const char *sep);

/* A reader of a model file's lines: printable ASCII ended by LF, each at most ML_LINE_MAX bytes. */
struct ml_lines {
	const uint8_t *p;
	size_t n, pos;
	size_t line;               /* 1-based number of the line last read */
	char buf[ML_LINE_MAX + 1]; /* the line last read, NUL-terminated */
	const char *tok[8];        /* its space-separated words */
	size_t ntok;
};

void ml_lines_init(struct ml_lines *l, const uint8_t *p, size_t n);

/*
 * The next line into l->buf and l->tok: 1, 0 at the end of the input, or
 * -1 for a line that is empty or too long, holds a byte other than
 * printable ASCII (so no tab, CR or NUL), has more than 8 words, or words
 * separated by anything but one space.
 */
int ml_lines_next(struct ml_lines *l);

/* Whether the line last read is exactly the words key then n more. */
int ml_lines_is(const struct ml_lines *l, const char *key, size_t n);

/* A value and an index, for sorting. */
struct ml_pair {
	double v;
	size_t i;
};

/*
 * Sort p[0..n) by v then i (by_index 0), or by i then v (by_index 1), with
 * tmp[0..n) as scratch: a merge sort, O(n log n), with no allocation and no
 * system call (glibc's qsort asks the kernel for the memory size, which the
 * sandbox forbids).
 */
void ml_sort_pairs(struct ml_pair *p, size_t n, struct ml_pair *tmp, int by_index);

/* A 64-bit PRNG (splitmix64) for reproducible sampling. */
static inline uint64_t ml_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* k distinct indices of [0, n) chosen with *state, ascending, into out[0..k); k <= n. */
void ml_sample(uint64_t *state, size_t n, size_t k, size_t *out);

#endif

/*
 * csv.h - a small RFC 4180 reader and writer for the builtin functions.
 *
 * Reader: fields separated by ',', records ended by CRLF or LF (the last
 * record's line break is optional), a field in double quotes may hold ',',
 * CR, LF and '""' for one '"'. Strict: a quote inside an unquoted field, an
 * unterminated quote, anything but a separator after a closing quote, a NUL
 * byte, or a record whose field count differs from the first record's is an
 * error with a one-line reason naming the record. A UTF-8 byte-order mark at
 * the start is skipped. No input: zero records.
 *
 * The table owns copies of every field (NUL-terminated, unescaped): nothing
 * points into the input. Memory is about the input's size plus one pointer
 * per field.
 *
 * Writer: quotes a field only when it holds ',', '"', CR or LF, or starts
 * with a byte-order mark; ends each record with LF.
 */
#ifndef CUSTOS_FUNCTIONS_CSV_H
#define CUSTOS_FUNCTIONS_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "functions/functions.h"

#define CSV_REASON_MAX 160

struct csv_table {
	size_t nrows, ncols;
	char **cell; /* nrows * ncols pointers into arena, row-major */
	size_t *len; /* the length of each cell */
	char *arena;
};

/*
 * Parse data[0..n) into *t (cleared on entry; free with csv_free even on
 * failure). max_cols bounds the fields of a record (CU_ELIMIT over it).
 * CU_EFORMAT for malformed input; why (may be NULL) gets the reason.
 */
int csv_parse(const uint8_t *data, size_t n, size_t max_cols, struct csv_table *t, char *why,
              size_t whysz);

/* Free what csv_parse allocated; t may be zeroed or NULL. */
void csv_free(struct csv_table *t);

/* The cell at row r, column k (both in range). */
static inline const char *csv_cell(const struct csv_table *t, size_t r, size_t k)
{
	return t->cell[r * t->ncols + k];
}

static inline size_t csv_cell_len(const struct csv_table *t, size_t r, size_t k)
{
	return t->len[r * t->ncols + k];
}

/* Append one field to o, quoted if it must be, then ',' or (last) LF. */
int csv_write_field(struct fn_output *o, const char *s, size_t n, int last);

#endif

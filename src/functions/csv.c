/*
 * csv.c - RFC 4180 reading into an owned table, and field writing (csv.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "functions/csv.h"

struct parser {
	const uint8_t *p;
	size_t n, pos;
	struct csv_table *t;
	size_t cap;        /* cells allocated in t->cell and t->len */
	size_t ncells;     /* cells stored */
	size_t arena_used; /* bytes of t->arena used */
	size_t record;     /* 1-based number of the record being read */
	size_t fields;     /* fields of the record being read */
	size_t max_cols;
	char *why;
	size_t whysz;
};

static int fail(struct parser *ps, int rc, const char *what)
{
	return cu_reason(ps->why, ps->whysz, rc, "record %zu: %s", ps->record, what);
}

static int push_cell(struct parser *ps, char *s, size_t len)
{
	if (ps->ncells == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 64, bytes;
		char **cell;
		size_t *lens;

		if (cu_mul_size(cap, sizeof(char *), &bytes))
			return CU_ELIMIT;
		if (!(cell = realloc(ps->t->cell, bytes)))
			return CU_ENOMEM;
		ps->t->cell = cell;
		if (!(lens = realloc(ps->t->len, bytes)))
			return CU_ENOMEM;
		ps->t->len = lens;
		ps->cap = cap;
	}
	ps->t->cell[ps->ncells] = s;
	ps->t->len[ps->ncells++] = len;
	return 0;
}

/* A field in double quotes, pos on the opening quote; unescaped into out. */
static int read_quoted(struct parser *ps, char *out, size_t *len)
{
	size_t k = 0;

	ps->pos++;
	for (;;) {
		if (ps->pos >= ps->n)
			return fail(ps, CU_EFORMAT, "a quoted field is not terminated");
		uint8_t c = ps->p[ps->pos];
		if (c == 0)
			return fail(ps, CU_EFORMAT, "a field contains a NUL byte");
		if (c == '"') {
			if (ps->pos + 1 < ps->n && ps->p[ps->pos + 1] == '"') {
				out[k++] = '"';
				ps->pos += 2;
				continue;
			}
			ps->pos++;
			break;
		}
		out[k++] = (char)c;
		ps->pos++;
	}
	if (ps->pos < ps->n && ps->p[ps->pos] != ',' && ps->p[ps->pos] != '\n' &&
	    ps->p[ps->pos] != '\r')
		return fail(ps, CU_EFORMAT, "a character follows the closing quote of a field");
	*len = k;
	return 0;
}

static int read_plain(struct parser *ps, char *out, size_t *len)
{
	size_t k = 0;

	while (ps->pos < ps->n) {
		uint8_t c = ps->p[ps->pos];
		if (c == ',' || c == '\n' || c == '\r')
			break;
		if (c == '"')
			return fail(ps, CU_EFORMAT, "a quote appears inside an unquoted field");
		if (c == 0)
			return fail(ps, CU_EFORMAT, "a field contains a NUL byte");
		out[k++] = (char)c;
		ps->pos++;
	}
	*len = k;
	return 0;
}

/* One field and its terminator; *end set when the record ended. */
static int read_field(struct parser *ps, int *end)
{
	char *out = ps->t->arena + ps->arena_used;
	size_t len = 0;
	int rc;

	if (++ps->fields > ps->max_cols) {
		char what[64];
		snprintf(what, sizeof(what), "more than %zu fields", ps->max_cols);
		return fail(ps, CU_ELIMIT, what);
	}
	rc = ps->pos < ps->n && ps->p[ps->pos] == '"' ? read_quoted(ps, out, &len)
	                                              : read_plain(ps, out, &len);
	if (rc)
		return rc;
	out[len] = 0;
	ps->arena_used += len + 1;
	if ((rc = push_cell(ps, out, len)))
		return rc;
	*end = 1;
	if (ps->pos >= ps->n)
		return 0;
	if (ps->p[ps->pos] == ',') {
		ps->pos++;
		*end = 0;
	} else if (ps->p[ps->pos] == '\n') {
		ps->pos++;
	} else if (ps->pos + 1 < ps->n && ps->p[ps->pos + 1] == '\n') {
		ps->pos += 2;
	} else {
		return fail(ps, CU_EFORMAT, "a carriage return is not followed by a line feed");
	}
	return 0;
}

static int read_record(struct parser *ps)
{
	int end = 0, rc;

	ps->fields = 0;
	while (!end)
		if ((rc = read_field(ps, &end)))
			return rc;
	if (ps->record == 1) {
		ps->t->ncols = ps->fields;
	} else if (ps->fields != ps->t->ncols) {
		char what[96];
		snprintf(what, sizeof(what), "%zu fields where the first record has %zu",
		         ps->fields, ps->t->ncols);
		return fail(ps, CU_EFORMAT, what);
	}
	ps->t->nrows++;
	return 0;
}

int csv_parse(const uint8_t *data, size_t n, size_t max_cols, struct csv_table *t, char *why,
              size_t whysz)
{
	struct parser ps = {
	    .p = data, .n = n, .t = t, .max_cols = max_cols, .why = why, .whysz = whysz};
	int rc;

	memset(t, 0, sizeof(*t));
	if (why && whysz)
		why[0] = 0;
	if (n >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
		ps.pos = 3;
	/* Each field's text and NUL fit in the bytes it spans with its terminator; the last
	 * field may have no terminator: one byte more. */
	if (n == SIZE_MAX || !(t->arena = malloc(n + 1)))
		return cu_reason(why, whysz, CU_ENOMEM, "out of memory for the CSV input");
	while (ps.pos < n) {
		ps.record++;
		if ((rc = read_record(&ps)))
			return rc;
	}
	return 0;
}

void csv_free(struct csv_table *t)
{
	if (!t)
		return;
	free(t->cell);
	free(t->len);
	free(t->arena);
	memset(t, 0, sizeof(*t));
}

static int needs_quotes(const char *s, size_t n)
{
	/* A leading byte-order mark would be skipped by a reader, unless quoted. */
	if (n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		return 1;
	for (size_t i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			return 1;
	return 0;
}

int csv_write_field(struct fn_output *o, const char *s, size_t n, int last)
{
	const char *end = last ? "\n" : ",";
	int rc;

	if (!needs_quotes(s, n))
		return (rc = fn_output_write(o, s, n)) ? rc : fn_output_write(o, end, 1);
	if ((rc = fn_output_write(o, "\"", 1)))
		return rc;
	for (size_t i = 0, j = 0; i <= n; i++) {
		if (i < n && s[i] != '"')
			continue;
		/* s[j..i) then, for a quote, the quote doubled */
		if ((rc = fn_output_write(o, s + j, i - j)) ||
		    (i < n && (rc = fn_output_write(o, "\"\"", 2))))
			return rc;
		j = i + 1;
	}
	if ((rc = fn_output_write(o, "\"", 1)))
		return rc;
	return fn_output_write(o, end, 1);
}

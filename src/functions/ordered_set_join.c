/*
 * ordered_set_join.c - the inner join of two CSV files sorted by a key
 * column (Teaclave's builtin-ordered-set-join).
 *
 * Inputs "input_data1", "input_data2": CSV without a header row (csv.h),
 * each sorted by its key column, keys unique, compared as bytes.
 * Arguments "left_column", "right_column": the key columns (from 0);
 * "ascending" ("true", the default, or "false"); "drop" ("false", the
 * default: the row of input_data1 is kept whole; "true": its key column is
 * dropped too). Output "output_result": for each key in both inputs, the
 * row of input_data1 (without its key column when drop) followed by the row
 * of input_data2 without its key column. Result: "<n> records".
 */
#include <string.h>

#include "common/err.h"
#include "functions/builtins_int.h"
#include "functions/csv.h"

#define FN_JOIN_MAX_COLS 1024

struct side {
	const char *name;
	struct csv_table t;
	size_t key;
};

static int key_cmp(const struct side *a, size_t i, const struct side *b, size_t j)
{
	size_t an = csv_cell_len(&a->t, i, a->key), bn = csv_cell_len(&b->t, j, b->key);
	int r = memcmp(csv_cell(&a->t, i, a->key), csv_cell(&b->t, j, b->key), an < bn ? an : bn);

	if (r)
		return r;
	return an < bn ? -1 : an > bn;
}

static int load_side(struct fn_ctx *c, struct side *s, int asc)
{
	const struct fn_input *in = fn_input(c, s->name);
	char why[CSV_REASON_MAX];
	int rc;

	if (!in)
		return fn_fail(c, CU_EINVAL, "ordered-set-join needs the input \"%s\"", s->name);
	if ((rc = csv_parse(in->data, in->len, FN_JOIN_MAX_COLS, &s->t, why, sizeof(why))))
		return fn_fail(c, rc, "\"%s\" is not valid CSV: %s", s->name, why);
	if (!s->t.nrows)
		return fn_fail(c, CU_EFORMAT, "\"%s\" is empty", s->name);
	if (s->key >= s->t.ncols)
		return fn_fail(c, CU_EINVAL, "\"%s\" has no column %zu (it has %zu)", s->name,
		               s->key, s->t.ncols);
	for (size_t i = 1; i < s->t.nrows; i++) {
		int r = key_cmp(s, i - 1, s, i);
		if (!r)
			return fn_fail(c, CU_EFORMAT,
			               "record %zu of \"%s\" repeats the key before it", i + 1,
			               s->name);
		if ((r < 0) != asc)
			return fn_fail(c, CU_EFORMAT,
			               "\"%s\" is not sorted by column %zu in %s order "
			               "(record %zu)",
			               s->name, s->key, asc ? "ascending" : "descending", i + 1);
	}
	return 0;
}

/* The fields of row r of s but column skip (none when skip is SIZE_MAX); last ends the line. */
static int write_row(struct fn_output *o, const struct side *s, size_t r, size_t skip, int last)
{
	size_t lastk = s->t.ncols - 1;
	int rc;

	if (skip == lastk)
		lastk--;
	for (size_t k = 0; k < s->t.ncols; k++) {
		if (k == skip)
			continue;
		if ((rc = csv_write_field(o, csv_cell(&s->t, r, k), csv_cell_len(&s->t, r, k),
		                          last && k == lastk)))
			return rc;
	}
	return 0;
}

static int write_match(struct fn_output *o, const struct side *a, size_t i, const struct side *b,
                       size_t j, int drop)
{
	int rc, right = b->t.ncols > 1, left = a->t.ncols > 1 || !drop;

	/* A row with no field left would be a blank line: write "" for it instead. */
	if (left && (rc = write_row(o, a, i, drop ? a->key : SIZE_MAX, !right)))
		return rc;
	if (right)
		return write_row(o, b, j, b->key, 1);
	if (!left)
		return fn_output_write(o, "\"\"\n", 3);
	return 0;
}

static int join(struct fn_ctx *c, struct side *a, struct side *b, int asc, int drop,
                struct fn_output *o, size_t *count)
{
	size_t i = 0, j = 0;
	int rc = fn_output_write(o, "", 0);

	*count = 0;
	while (!rc && i < a->t.nrows && j < b->t.nrows) {
		int r = key_cmp(a, i, b, j);
		if (!r) {
			rc = write_match(o, a, i++, b, j++, drop);
			++*count;
		} else if ((r < 0) == asc) {
			i++;
		} else {
			j++;
		}
	}
	if (rc == CU_ELIMIT)
		return fn_fail(c, rc, "the output \"%s\" would exceed its size limit", o->name);
	if (rc)
		return fn_fail(c, rc, "out of memory writing \"%s\"", o->name);
	return 0;
}

int fn_ordered_set_join(struct fn_ctx *c)
{
	struct side a = {.name = "input_data1"}, b = {.name = "input_data2"};
	struct fn_output *o = fn_output(c, "output_result");
	size_t count;
	int asc, drop, rc;

	if (!fn_arg(c, "left_column") || !fn_arg(c, "right_column")) {
		rc = fn_fail(c, CU_EINVAL,
		             "ordered-set-join needs the arguments \"left_column\" "
		             "and \"right_column\"");
		goto out;
	}
	if (!o) {
		rc = fn_fail(c, CU_EINVAL, "ordered-set-join needs the output \"output_result\"");
		goto out;
	}
	if ((rc = fn_arg_size(c, "left_column", 0, FN_JOIN_MAX_COLS - 1, &a.key)) ||
	    (rc = fn_arg_size(c, "right_column", 0, FN_JOIN_MAX_COLS - 1, &b.key)) ||
	    (rc = fn_arg_bool(c, "ascending", 1, &asc)) ||
	    (rc = fn_arg_bool(c, "drop", 0, &drop)) || (rc = load_side(c, &a, asc)) ||
	    (rc = load_side(c, &b, asc)) || (rc = join(c, &a, &b, asc, drop, o, &count)))
		goto out;
	fn_result(c, "%zu records", count);
out:
	csv_free(&a.t);
	csv_free(&b.t);
	return rc;
}

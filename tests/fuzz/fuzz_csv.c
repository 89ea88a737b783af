/*
 * fuzz_csv.c - libFuzzer target: the CSV reader of the builtins, and the
 * line parsers of ordered-set-intersect and private-join-and-compute.
 * A table that parses is written back with the writer and must read back
 * the same.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "functions/csv.h"
#include "functions/functions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const struct csv_table *t)
{
	struct fn_output o = {.name = "o", .max = SIZE_MAX};
	struct csv_table u;
	char why[CSV_REASON_MAX];

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t k = 0; k < t->ncols; k++)
			if (csv_write_field(&o, csv_cell(t, r, k), csv_cell_len(t, r, k),
			                    k + 1 == t->ncols))
				abort();
	if (csv_parse(o.data, o.len, 1024, &u, why, sizeof(why)))
		abort();
	/* A single empty field on a row is written as a blank line, read back as one. */
	if (u.nrows != t->nrows || (t->nrows && u.ncols != t->ncols))
		abort();
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		if (u.len[i] != t->len[i] || memcmp(u.cell[i], t->cell[i], t->len[i]))
			abort();
	csv_free(&u);
	free(o.data);
}

static void run(const char *name, const char *in1, const char *in2, const uint8_t *d, size_t n)
{
	struct fn_input in[2] = {{in1, d, n / 2}, {in2, d + n / 2, n - n / 2}};
	struct fn_output out[3] = {{.name = "output_result1", .max = 1 << 20},
	                           {.name = "output_result2", .max = 1 << 20},
	                           {.name = "output_data0", .max = 1 << 20}};
	struct fn_ctx c = {.inputs = in, .ninputs = 2, .outputs = out, .noutputs = 3};
	const struct fn_builtin *b = fn_find(name);

	if (b->run(&c) && !c.reason[0])
		abort(); /* every failure says why */
	for (size_t i = 0; i < 3; i++)
		free(out[i].data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_table t;
	char why[CSV_REASON_MAX];

	if (!csv_parse(data, size, 1024, &t, why, sizeof(why)))
		roundtrip(&t);
	else if (!why[0])
		abort();
	csv_free(&t);
	run("ordered-set-intersect", "input_data1", "input_data2", data, size);
	run("private-join-and-compute", "input_data0", "input_data1", data, size);
	return 0;
}

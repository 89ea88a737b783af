/*
 * ordered_set_intersect.c - two parties' sorted identifier lists; each
 * learns which of its own identifiers the other also holds (Teaclave's
 * builtin-ordered-set-intersect).
 *
 * Inputs "input_data1", "input_data2": one identifier a line (LF or CRLF),
 * sorted in the order of the argument "order" ("ascending", the default, or
 * "descending"; Teaclave's spelling "desending" is accepted), compared as
 * bytes, each at most FN_OSI_ID_MAX bytes, no empty lines, no repeats.
 * Outputs "output_result1", "output_result2": one character a line of the
 * party's input, '1' when the identifier is common, else '0', nothing
 * between them (Teaclave's format). Result: "<n> common items".
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "functions/builtins_int.h"

#define FN_OSI_ID_MAX 4096

struct id_list {
	const uint8_t **id;
	size_t *len;
	size_t n;
};

static void list_free(struct id_list *l)
{
	free(l->id);
	free(l->len);
}

/* Negative, zero or positive as a sorts before, with or after b (bytes, prefix first). */
static int id_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);

	if (r)
		return r;
	return an < bn ? -1 : an > bn;
}

static size_t count_lines(const struct fn_input *in)
{
	size_t n = 0;

	for (size_t i = 0; i < in->len; i++)
		n += in->data[i] == '\n';
	return n + (in->len && in->data[in->len - 1] != '\n');
}

static int check_line(struct fn_ctx *c, const struct fn_input *in, struct id_list *l, int desc)
{
	size_t i = l->n;

	if (!l->len[i])
		return fn_fail(c, CU_EFORMAT, "line %zu of \"%s\" is empty", i + 1, in->name);
	if (l->len[i] > FN_OSI_ID_MAX)
		return fn_fail(c, CU_ELIMIT, "line %zu of \"%s\" is longer than %d bytes", i + 1,
		               in->name, FN_OSI_ID_MAX);
	if (i) {
		int r = id_cmp(l->id[i - 1], l->len[i - 1], l->id[i], l->len[i]);
		if (!r)
			return fn_fail(c, CU_EFORMAT,
			               "line %zu of \"%s\" repeats the line before it", i + 1,
			               in->name);
		if ((r > 0) != desc)
			return fn_fail(c, CU_EFORMAT, "\"%s\" is not sorted in %s order (line %zu)",
			               in->name, desc ? "descending" : "ascending", i + 1);
	}
	return 0;
}

/* Split in into lines (pointing into it) and check their order. */
static int read_list(struct fn_ctx *c, const struct fn_input *in, int desc, struct id_list *l)
{
	size_t lines = count_lines(in), start = 0;
	int rc;

	memset(l, 0, sizeof(*l));
	if (!lines)
		return 0;
	l->id = calloc(lines, sizeof(*l->id));
	l->len = calloc(lines, sizeof(*l->len));
	if (!l->id || !l->len)
		return fn_fail(c, CU_ENOMEM, "out of memory for the lines of \"%s\"", in->name);
	while (start < in->len) {
		const uint8_t *p = in->data + start;
		const uint8_t *nl = memchr(p, '\n', in->len - start);
		size_t len = nl ? (size_t)(nl - p) : in->len - start;

		start += len + 1;
		if (len && p[len - 1] == '\r')
			len--;
		l->id[l->n] = p;
		l->len[l->n] = len;
		if ((rc = check_line(c, in, l, desc)))
			return rc;
		l->n++;
	}
	return 0;
}

static int parse_order(struct fn_ctx *c, int *desc)
{
	const char *o = fn_arg(c, "order");

	*desc = 0;
	if (!o || !strcmp(o, "ascending"))
		return 0;
	if (!strcmp(o, "descending") || !strcmp(o, "desending")) {
		*desc = 1;
		return 0;
	}
	return fn_fail(c, CU_EINVAL,
	               "the argument \"order\" must be \"ascending\" or \"descending\"");
}

/* Mark '1' in m1 and m2 where the lists meet, walking both in their order. */
static size_t intersect(const struct id_list *a, const struct id_list *b, int desc, char *m1,
                        char *m2)
{
	size_t i = 0, j = 0, common = 0;

	memset(m1, '0', a->n);
	memset(m2, '0', b->n);
	while (i < a->n && j < b->n) {
		int r = id_cmp(a->id[i], a->len[i], b->id[j], b->len[j]);
		if (!r) {
			m1[i++] = '1';
			m2[j++] = '1';
			common++;
		} else if ((r < 0) != desc) {
			i++;
		} else {
			j++;
		}
	}
	return common;
}

static int write_marks(struct fn_ctx *c, struct fn_output *o, const char *m, size_t n)
{
	int rc = fn_output_write(o, m, n);

	if (rc == CU_ELIMIT)
		return fn_fail(c, rc, "the output \"%s\" would exceed its size limit", o->name);
	if (rc)
		return fn_fail(c, rc, "out of memory writing \"%s\"", o->name);
	return 0;
}

int fn_ordered_set_intersect(struct fn_ctx *c)
{
	const struct fn_input *in1 = fn_input(c, "input_data1"), *in2 = fn_input(c, "input_data2");
	struct fn_output *o1 = fn_output(c, "output_result1"), *o2 = fn_output(c, "output_result2");
	struct id_list a = {0}, b = {0};
	char *m1 = NULL, *m2 = NULL;
	size_t common;
	int desc, rc;

	if (!in1 || !in2)
		return fn_fail(c, CU_EINVAL,
		               "ordered-set-intersect needs the inputs \"input_data1\" "
		               "and \"input_data2\"");
	if (!o1 || !o2)
		return fn_fail(c, CU_EINVAL,
		               "ordered-set-intersect needs the outputs "
		               "\"output_result1\" and \"output_result2\"");
	if ((rc = parse_order(c, &desc)) || (rc = read_list(c, in1, desc, &a)) ||
	    (rc = read_list(c, in2, desc, &b)))
		goto out;
	m1 = malloc(a.n + 1);
	m2 = malloc(b.n + 1);
	if (!m1 || !m2) {
		rc = fn_fail(c, CU_ENOMEM, "out of memory for the results");
		goto out;
	}
	common = intersect(&a, &b, desc, m1, m2);
	if ((rc = write_marks(c, o1, m1, a.n)) || (rc = write_marks(c, o2, m2, b.n)))
		goto out;
	fn_result(c, "%zu common items", common);
out:
	free(m1);
	free(m2);
	list_free(&a);
	list_free(&b);
	return rc;
}

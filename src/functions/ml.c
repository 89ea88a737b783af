/*
 * ml.c - numeric CSV, numeric arguments, number formatting, model-file lines
 * and sampling for the machine-learning builtins (ml_int.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "functions/builtins_int.h"
#include "functions/csv.h"
#include "functions/ml_int.h"

void ml_matrix_free(struct ml_matrix *m)
{
	if (!m)
		return;
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static int blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Digits, at most one '.', at least one digit, then an optional exponent. */
static int decimal_syntax(const char *s, size_t n)
{
	size_t i = 0, digits = 0;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	if (!digits)
		return -1;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t exp = 0;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			exp++;
		if (!exp)
			return -1;
	}
	return i == n ? 0 : -1;
}

int ml_parse_num(const char *s, size_t n, double *v)
{
	char buf[ML_NUM_MAX + 1], *end;

	*v = 0;
	while (n && blank(s[0])) {
		s++;
		n--;
	}
	while (n && blank(s[n - 1]))
		n--;
	if (!n || n > ML_NUM_MAX || decimal_syntax(s, n))
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	*v = strtod(buf, &end);
	if (end != buf + n || !isfinite(*v))
		return -1;
	return 0;
}

static int fill_matrix(struct fn_ctx *c, const char *name, const struct csv_table *t,
                       struct ml_matrix *m)
{
	size_t cells;

	if (cu_mul_size(t->nrows, t->ncols, &cells) || !(m->v = cu_calloc(cells, sizeof(double))))
		return fn_fail(c, CU_ENOMEM, "out of memory for \"%s\"", name);
	m->rows = t->nrows;
	m->cols = t->ncols;
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t k = 0; k < t->ncols; k++)
			if (ml_parse_num(csv_cell(t, r, k), csv_cell_len(t, r, k),
			                 &m->v[r * t->ncols + k]))
				return fn_fail(c, CU_EFORMAT,
				               "row %zu, column %zu of \"%s\" is not a finite "
				               "decimal number",
				               r + 1, k + 1, name);
	return 0;
}

int ml_read_matrix(struct fn_ctx *c, const char *name, size_t cols, struct ml_matrix *m)
{
	const struct fn_input *in = fn_input(c, name);
	struct csv_table t;
	char why[CSV_REASON_MAX];
	int rc;

	memset(m, 0, sizeof(*m));
	if (!in)
		return fn_fail(c, CU_EINVAL, "the input \"%s\" is missing", name);
	if ((rc = csv_parse(in->data, in->len, ML_COLS_MAX + 1, &t, why, sizeof(why)))) {
		rc = fn_fail(c, rc, "\"%s\" is not valid CSV: %s", name, why);
		goto out;
	}
	if (!t.nrows) {
		rc = fn_fail(c, CU_EFORMAT, "\"%s\" is empty", name);
		goto out;
	}
	if (t.ncols != cols) {
		rc = fn_fail(c, CU_EFORMAT, "\"%s\" has %zu columns where %zu are expected", name,
		             t.ncols, cols);
		goto out;
	}
	rc = fill_matrix(c, name, &t, m);
out:
	csv_free(&t);
	return rc;
}

int ml_parse_size(const char *w, size_t max, size_t *v)
{
	*v = 0;
	if (!*w)
		return -1;
	for (; *w; w++) {
		size_t d = (size_t)(*w - '0');
		if (*w < '0' || *w > '9' || d > max || *v > (max - d) / 10)
			return -1;
		*v = *v * 10 + d;
	}
	return 0;
}

int ml_arg_num(struct fn_ctx *c, const char *name, double def, double lo, double hi, double *out)
{
	const char *s = fn_arg(c, name);

	*out = def;
	if (!s)
		return 0;
	if (ml_parse_num(s, strlen(s), out))
		return fn_fail(c, CU_EINVAL, "the argument \"%s\" must be a decimal number", name);
	if (!(*out >= lo && *out <= hi))
		return fn_fail(c, CU_EINVAL, "the argument \"%s\" must be between %g and %g", name,
		               lo, hi);
	return 0;
}

int ml_arg_size_req(struct fn_ctx *c, const char *fn, const char *name, size_t max, size_t *out)
{
	*out = 0;
	if (!fn_arg(c, name))
		return fn_fail(c, CU_EINVAL, "%s needs the argument \"%s\"", fn, name);
	return fn_arg_size(c, name, 0, max, out);
}

/* The shortest of "%.<k>f" for k = 0, 1, ... that reads back as v; k <= 24 suffices for |v| >=
 * 1e-5. */
static void fmt_fixed(char buf[static ML_FMT_MAX], double v)
{
	for (int k = 0; k <= 24; k++) {
		snprintf(buf, ML_FMT_MAX, "%.*f", k, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (!strchr(buf, '.'))
		strncat(buf, ".0", ML_FMT_MAX - strlen(buf) - 1);
}

void ml_fmt(char buf[static ML_FMT_MAX], double v)
{
	double a = fabs(v);

	if (v == 0)
		v = 0; /* -0 */
	/* plain notation where Rust's "{:?}" uses it, an exponent elsewhere */
	if (v == 0 || (a >= 1e-5 && a < 1e16)) {
		fmt_fixed(buf, v);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, ML_FMT_MAX, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
}

int ml_write_num(struct fn_output *o, double v, const char *sep)
{
	char buf[ML_FMT_MAX];
	int rc;

	ml_fmt(buf, v);
	if ((rc = fn_output_write(o, buf, strlen(buf))))
		return rc;
	return fn_output_write(o, sep, strlen(sep));
}

void ml_lines_init(struct ml_lines *l, const uint8_t *p, size_t n)
{
	memset(l, 0, sizeof(*l));
	l->p = p;
	l->n = n;
}

/* Words separated by single spaces, none empty, at most as many as l->tok holds. */
static int split_words(struct ml_lines *l, size_t len)
{
	char *s = l->buf;
	size_t words = 1;

	l->ntok = 0;
	if (s[0] == ' ' || s[len - 1] == ' ' || strstr(s, "  "))
		return -1;
	for (size_t i = 0; i < len; i++)
		words += s[i] == ' ';
	if (words > sizeof(l->tok) / sizeof(l->tok[0]))
		return -1;
	l->tok[l->ntok++] = s;
	for (size_t i = 0; i < len; i++)
		if (s[i] == ' ') {
			s[i] = 0;
			l->tok[l->ntok++] = s + i + 1;
		}
	return 0;
}

int ml_lines_next(struct ml_lines *l)
{
	const uint8_t *p = l->p + l->pos, *nl;
	size_t len;

	l->ntok = 0;
	if (l->pos >= l->n)
		return 0;
	l->line++;
	nl = memchr(p, '\n', l->n - l->pos);
	len = nl ? (size_t)(nl - p) : l->n - l->pos;
	l->pos += len + (nl != NULL);
	if (!len || len > ML_LINE_MAX)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return -1; /* printable ASCII only: no tab, CR or NUL */
	memcpy(l->buf, p, len);
	l->buf[len] = 0;
	return split_words(l, len) ? -1 : 1;
}

int ml_lines_is(const struct ml_lines *l, const char *key, size_t n)
{
	return l->ntok == n + 1 && !strcmp(l->tok[0], key);
}

void ml_sample(uint64_t *state, size_t n, size_t k, size_t *out)
{
	size_t got = 0;

	/* Selection sampling: keep i with probability (still needed) / (still left). */
	for (size_t i = 0; i < n && got < k; i++) {
		double u = (double)(ml_rand(state) >> 11) * 0x1.0p-53;
		if (u * (double)(n - i) < (double)(k - got))
			out[got++] = i;
	}
}

static int pair_before(const struct ml_pair *a, const struct ml_pair *b, int by_index)
{
	if (by_index && a->i != b->i)
		return a->i < b->i;
	if (a->v != b->v)
		return a->v < b->v;
	return a->i < b->i;
}

/* Merge the sorted runs src[lo..mid) and src[mid..hi) into dst[lo..hi). */
static void merge(const struct ml_pair *src, struct ml_pair *dst, size_t lo, size_t mid, size_t hi,
                  int by_index)
{
	size_t a = lo, b = mid;

	for (size_t k = lo; k < hi; k++)
		dst[k] = b >= hi || (a < mid && !pair_before(&src[b], &src[a], by_index))
		             ? src[a++]
		             : src[b++];
}

void ml_sort_pairs(struct ml_pair *p, size_t n, struct ml_pair *tmp, int by_index)
{
	struct ml_pair *src = p, *dst = tmp;

	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			merge(src, dst, lo, mid, hi, by_index);
		}
		struct ml_pair *x = src;
		src = dst;
		dst = x;
	}
	if (src != p)
		memcpy(p, src, n * sizeof(*p));
}

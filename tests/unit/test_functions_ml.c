/*
 * Unit tests: logistic-regression-train/-predict, gbdt-train/-predict and
 * principal-components-analysis: known answers, train-then-predict round
 * trips on a few thousand generated rows, every kind of malformed data,
 * argument and model file (truncated at every byte, every byte flipped).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "functions/ml_int.h"
#include "functions_test_util.h"

#define OUT_MAX (64u << 20)

/* ---- helpers ---- */

/* The text of output name (NUL-terminated copy; free it), or NULL. */
static char *out_text(struct tctx *t, const char *name)
{
	struct fn_output *o = fn_output(&t->c, name);
	char *s;

	if (!o || !o->written)
		return NULL;
	s = malloc(o->len + 1);
	assert_non_null(s);
	memcpy(s, o->data ? (const char *)o->data : "", o->len);
	s[o->len] = 0;
	return s;
}

/* The numbers of s (separated by ',' and LF) into v[0..max): how many. */
static size_t numbers(const char *s, double *v, size_t max)
{
	size_t n = 0;
	char *end;

	while (*s && n < max) {
		v[n++] = strtod(s, &end);
		assert_true(end != s);
		s = end;
		if (*s == ',' || *s == '\n')
			s++;
	}
	return n;
}

static uint64_t rng_state;

/* A uniform number in [-1, 1) from a fixed sequence. */
static double urand(void)
{
	return (double)(ml_rand(&rng_state) >> 11) * 0x1.0p-52 - 1;
}

/* A growing text buffer for generated data. */
struct text {
	char *p;
	size_t len, cap;
};

static void tprintf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tprintf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->cap - t->len < 256) {
		t->cap = t->cap ? t->cap * 2 : 4096;
		t->p = realloc(t->p, t->cap);
		assert_non_null(t->p);
	}
	va_start(ap, fmt);
	n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < t->cap - t->len);
	t->len += (size_t)n;
}

/* Run a trainer: fn, its input in_name = data, output out_name, args (name, value) pairs. */
static int train(struct tctx *t, const char *fn, const char *in_name, const char *data, size_t len,
                 const char *out_name, const char *const *args)
{
	t_init(t);
	t_in_n(t, in_name, data, len);
	t_out(t, out_name, OUT_MAX);
	for (size_t i = 0; args && args[i]; i += 2)
		t_arg(t, args[i], args[i + 1]);
	return t_run(t, fn);
}

static int predict(struct tctx *t, const char *fn, const void *model, size_t mlen, const char *data)
{
	t_init(t);
	t_in_n(t, "model_file", model, mlen);
	t_in(t, "data_file", data);
	t_out(t, "result_file", OUT_MAX);
	return t_run(t, fn);
}

/*
 * Every prefix and every single-byte change of model must be refused with a
 * reason or predict without crashing (the sanitizer build checks the rest).
 */
static void mangle_model(const char *fn, const char *model, const char *data)
{
	size_t n = strlen(model);
	char *m = malloc(n);
	struct tctx t;

	assert_non_null(m);
	for (size_t k = 0; k < n; k++) {
		int rc = predict(&t, fn, model, k, data);
		/* a prefix ending inside the last line's "end" or its LF: only the LF may go */
		if (k + 1 < n) {
			assert_int_not_equal(rc, 0);
			assert_true(t.c.reason[0] != 0);
		}
		t_free(&t);
	}
	for (size_t k = 0; k < n; k++) {
		static const uint8_t flips[] = {0x01, 0x20, 0x80, 0xff};
		for (size_t f = 0; f < sizeof(flips); f++) {
			memcpy(m, model, n);
			m[k] = (char)(m[k] ^ flips[f]);
			int rc = predict(&t, fn, m, n, data);
			assert_true(rc == 0 || t.c.reason[0] != 0);
			t_free(&t);
		}
	}
	free(m);
}

/* ---- shared parsing and formatting ---- */

static void test_numbers(void **state)
{
	static const struct {
		const char *s;
		int ok;
		double v;
	} cases[] = {
	    {"1", 1, 1},     {"-1.5e3", 1, -1500}, {" 2.25\t", 1, 2.25}, {"+.5", 1, 0.5},
	    {"7.", 1, 7},    {"1E-2", 1, 0.01},    {"", 0, 0},           {" ", 0, 0},
	    {"nan", 0, 0},   {"NaN", 0, 0},        {"inf", 0, 0},        {"-Infinity", 0, 0},
	    {"0x10", 0, 0},  {"1e", 0, 0},         {".", 0, 0},          {"1.2.3", 0, 0},
	    {"1e999", 0, 0}, {"-1e400", 0, 0},     {"1 2", 0, 0},        {"--1", 0, 0},
	    {"1,5", 0, 0},   {"\"1\"", 0, 0},      {"e5", 0, 0},
	};
	static const struct {
		double v;
		const char *s;
	} fmts[] = {
	    {1, "1.0"},
	    {0.1, "0.1"},
	    {-0.0, "0.0"},
	    {-2.5, "-2.5"},
	    {1e-7, "1e-07"},
	    {1e22, "1e+22"},
	    {1.0 / 3, "0.3333333333333333"},
	    {123456, "123456.0"},
	    {10, "10.0"},
	    {1e-5, "0.00001"},
	    {1.25e-5, "0.0000125"},
	    {-1e15, "-1000000000000000.0"},
	    {1e16, "1e+16"},
	    {4.440892098500626e-16, "4.440892098500626e-16"},
	    {0.1 + 0.2, "0.30000000000000004"},
	};
	char buf[ML_FMT_MAX];
	double v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = ml_parse_num(cases[i].s, strlen(cases[i].s), &v);
		assert_int_equal(rc == 0, cases[i].ok);
		if (cases[i].ok)
			assert_true(v == cases[i].v);
	}
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		ml_fmt(buf, fmts[i].v);
		assert_string_equal(buf, fmts[i].s);
	}
}

static void test_sample(void **state)
{
	size_t out[100];
	uint64_t s = 1;

	(void)state;
	for (size_t k = 0; k <= 100; k += 7) {
		ml_sample(&s, 100, k, out);
		for (size_t i = 1; i < k; i++)
			assert_true(out[i - 1] < out[i]);
		if (k)
			assert_true(out[k - 1] < 100);
	}
	ml_sample(&s, 100, 100, out);
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(out[i], i);
}

static void test_sort(void **state)
{
	enum { N = 1000 };
	struct ml_pair *p = calloc(N, sizeof(*p)), *tmp = calloc(N, sizeof(*p));
	size_t seen[N];

	(void)state;
	assert_non_null(p);
	assert_non_null(tmp);
	rng_state = 3;
	for (size_t n = 0; n <= N; n += n < 20 ? 1 : 97) {
		for (int by_index = 0; by_index <= 1; by_index++) {
			for (size_t k = 0; k < n; k++)
				p[k] = (struct ml_pair){(double)(ml_rand(&rng_state) % 10),
				                        (size_t)(ml_rand(&rng_state) % 7) * N + k};
			ml_sort_pairs(p, n, tmp, by_index);
			memset(seen, 0, sizeof(seen));
			for (size_t k = 0; k < n; k++) {
				seen[p[k].i % N]++;
				if (!k)
					continue;
				const struct ml_pair *a = &p[k - 1], *b = &p[k];
				if (by_index)
					assert_true(a->i < b->i || (a->i == b->i && a->v <= b->v));
				else
					assert_true(a->v < b->v || (a->v == b->v && a->i < b->i));
			}
			for (size_t k = 0; k < n; k++)
				assert_int_equal(seen[k], 1); /* a permutation */
		}
	}
	free(p);
	free(tmp);
}

/* ---- logistic regression ---- */

static const char lr_data[] = "1,2,0\n2,1,0\n3,4,1\n4,3,1\n2.5,2.5,1\n1.5,1.5,0\n";
static const char *const lr_args[] = {"feature_size", "2",   "alg_alpha", "0.1",
                                      "alg_iters",    "100", NULL};

static void test_lr_known_answer(void **state)
{
	/*
	 * The weights from a separate Python 3 implementation of the same batch
	 * gradient descent (zero start, mean gradient, 100 steps of 0.1):
	 * -1.2421200794403335, 0.37620738717804847, 0.37620738717804847; and its
	 * probabilities for (1,1), (4,4), (2.5,2.5) printed with '%.4f'.
	 */
	static const double want[] = {-1.2421200794403335, 0.37620738717804847,
	                              0.37620738717804847};
	struct tctx t;
	double v[8];
	char *model;

	(void)state;
	assert_int_equal(train(&t, "logistic-regression-train", "training_data", lr_data,
	                       strlen(lr_data), "model_file", lr_args),
	                 0);
	assert_string_equal(t.c.result, "Trained 6 lines of data.");
	model = out_text(&t, "model_file");
	assert_non_null(model);
	t_free(&t);
	assert_int_equal(
	    strncmp(model, "custos-logistic-regression 1\nfeature_size 2\nintercept ", 54), 0);
	assert_int_equal(sscanf(model,
	                        "custos-logistic-regression 1\nfeature_size 2\nintercept %lf\n"
	                        "weight %lf\nweight %lf\n",
	                        &v[0], &v[1], &v[2]),
	                 3);
	assert_non_null(strstr(model, "\nend\n"));
	for (size_t j = 0; j < 3; j++)
		assert_true(fabs(v[j] - want[j]) < 1e-12);
	assert_int_equal(
	    predict(&t, "logistic-regression-predict", model, strlen(model), "1,1\n4,4\n2.5,2.5"),
	    0);
	assert_true(t_out_is(&t, "result_file", "0.3800\n0.8542\n0.6545\n"));
	assert_string_equal(t.c.result, "Predicted 3 lines of data.");
	t_free(&t);
	free(model);
}

/* rows of nf features in [-1, 1), the label from a linear rule (or XOR of two signs) */
static void gen_rows(struct text *txt, size_t rows, size_t nf, int xor_rule, int pm_labels)
{
	static const double w[] = {1, 2, -0.5, 0.25, -1.5};

	rng_state = 42;
	for (size_t r = 0; r < rows; r++) {
		double x[5], s = 0.1;
		for (size_t j = 0; j < nf; j++) {
			x[j] = urand();
			s += w[j] * x[j];
			tprintf(txt, "%.6f,", x[j]);
		}
		int y = xor_rule ? (x[0] > 0) != (x[1] > 0) : s > 0;
		tprintf(txt, "%d\n", y ? 1 : pm_labels ? -1 : 0);
	}
}

/* The share of the n results (one a line) on the right side of 0.5. */
static double accuracy(const char *results, const char *data, size_t nf, int pm_labels)
{
	size_t n = 0, right = 0;

	while (*data) {
		char *end;
		for (size_t j = 0; j < nf; j++)
			data = strchr(data, ',') + 1;
		long y = strtol(data, &end, 10);
		data = end + 1;
		double p = strtod(results, &end);
		results = end + 1;
		right += (p > 0.5) == (y == 1);
		n++;
		(void)pm_labels;
	}
	return (double)right / (double)n;
}

/* Strip the label column of generated rows, for predict's data_file. */
static char *features_only(const char *data)
{
	char *s = malloc(strlen(data) + 1), *o = s;

	assert_non_null(s);
	while (*data) {
		const char *nl = strchr(data, '\n'), *comma = nl;
		while (*comma != ',')
			comma--;
		memcpy(o, data, (size_t)(comma - data));
		o += comma - data;
		*o++ = '\n';
		data = nl + 1;
	}
	*o = 0;
	return s;
}

static void test_lr_roundtrip(void **state)
{
	static const char *const args[] = {"feature_size", "3",   "alg_alpha", "1",
	                                   "alg_iters",    "300", NULL};
	struct text txt = {0};
	struct tctx t;
	char *model, *model2, *data, *res;

	(void)state;
	/* 4000 rows: a training quadratic in rows would show here */
	gen_rows(&txt, 4000, 3, 0, 0);
	assert_int_equal(train(&t, "logistic-regression-train", "training_data", txt.p, txt.len,
	                       "model_file", args),
	                 0);
	assert_string_equal(t.c.result, "Trained 4000 lines of data.");
	model = out_text(&t, "model_file");
	t_free(&t);
	/* deterministic: the same model again */
	assert_int_equal(train(&t, "logistic-regression-train", "training_data", txt.p, txt.len,
	                       "model_file", args),
	                 0);
	model2 = out_text(&t, "model_file");
	t_free(&t);
	assert_string_equal(model, model2);
	data = features_only(txt.p);
	assert_int_equal(predict(&t, "logistic-regression-predict", model, strlen(model), data), 0);
	res = out_text(&t, "result_file");
	t_free(&t);
	assert_true(accuracy(res, txt.p, 3, 0) > 0.95);
	free(res);
	free(data);
	free(model);
	free(model2);
	free(txt.p);
}

static void test_lr_train_bad(void **state)
{
	static const struct {
		const char *data;
		const char *fs, *alpha, *iters;
		int rc;
		const char *why;
	} cases[] = {
	    {"", "2", NULL, NULL, CU_EFORMAT, "\"training_data\" is empty"},
	    {"1,2,0\n3,1\n", "2", NULL, NULL, CU_EFORMAT,
	     "\"training_data\" is not valid CSV: record 2: 2 fields where the first record has 3"},
	    {"1,2,0\n", "3", NULL, NULL, CU_EFORMAT,
	     "\"training_data\" has 3 columns where 4 are expected"},
	    {"1,x,0\n", "2", NULL, NULL, CU_EFORMAT,
	     "row 1, column 2 of \"training_data\" is not a finite decimal number"},
	    {"1,2,0\nnan,2,1\n", "2", NULL, NULL, CU_EFORMAT,
	     "row 2, column 1 of \"training_data\" is not a finite decimal number"},
	    {"1,inf,0\n", "2", NULL, NULL, CU_EFORMAT,
	     "row 1, column 2 of \"training_data\" is not a finite decimal number"},
	    {"1,1e400,0\n", "2", NULL, NULL, CU_EFORMAT,
	     "row 1, column 2 of \"training_data\" is not a finite decimal number"},
	    {"1,2,0\n\n", "2", NULL, NULL, CU_EFORMAT,
	     "\"training_data\" is not valid CSV: record 2: 1 fields where the first record has 3"},
	    {"1,2,2\n", "2", NULL, NULL, CU_EFORMAT,
	     "row 1 of \"training_data\" has the label 2; labels are 0 or 1"},
	    {"1,2,-1\n", "2", NULL, NULL, CU_EFORMAT,
	     "row 1 of \"training_data\" has the label -1; labels are 0 or 1"},
	    {"1,2,0\n", NULL, NULL, NULL, CU_EINVAL,
	     "logistic-regression-train needs the argument \"feature_size\""},
	    {"1,2,0\n", "0", NULL, NULL, CU_EINVAL,
	     "the argument \"feature_size\" must be at least 1"},
	    {"1,2,0\n", "-2", NULL, NULL, CU_EINVAL,
	     "the argument \"feature_size\" must be a decimal number"},
	    {"1,2,0\n", "5000", NULL, NULL, CU_EINVAL,
	     "the argument \"feature_size\" exceeds 4096"},
	    {"1,2,0\n", "2", "0", NULL, CU_EINVAL,
	     "the argument \"alg_alpha\" must be greater than 0"},
	    {"1,2,0\n", "2", "-0.1", NULL, CU_EINVAL,
	     "the argument \"alg_alpha\" must be between 0 and 1000"},
	    {"1,2,0\n", "2", "nan", NULL, CU_EINVAL,
	     "the argument \"alg_alpha\" must be a decimal number"},
	    {"1,2,0\n", "2", "1e9", NULL, CU_EINVAL,
	     "the argument \"alg_alpha\" must be between 0 and 1000"},
	    {"1,2,0\n", "2", NULL, "0", CU_EINVAL, "the argument \"alg_iters\" must be at least 1"},
	    {"1,2,0\n", "2", NULL, "99999999999999999999999", CU_EINVAL,
	     "the argument \"alg_iters\" exceeds 1000000"},
	    {"1e306,2,1\n-1e306,2,0\n", "2", "1000", "10", CU_EINVAL,
	     "the training diverged (a weight is no longer finite); lower alg_alpha or scale the "
	     "features"},
	};
	struct tctx t;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[8] = {0};
		size_t k = 0;
		if (cases[i].fs) {
			args[k++] = "feature_size";
			args[k++] = cases[i].fs;
		}
		if (cases[i].alpha) {
			args[k++] = "alg_alpha";
			args[k++] = cases[i].alpha;
		}
		if (cases[i].iters) {
			args[k++] = "alg_iters";
			args[k++] = cases[i].iters;
		}
		assert_int_equal(train(&t, "logistic-regression-train", "training_data",
		                       cases[i].data, strlen(cases[i].data), "model_file", args),
		                 cases[i].rc);
		assert_string_equal(t.c.reason, cases[i].why);
		t_free(&t);
	}
	/* no output declared; no input */
	t_init(&t);
	t_in(&t, "training_data", lr_data);
	t_arg(&t, "feature_size", "2");
	assert_int_equal(t_run(&t, "logistic-regression-train"), CU_EINVAL);
	assert_string_equal(t.c.reason,
	                    "logistic-regression-train needs the output \"model_file\"");
	t_init(&t);
	t_arg(&t, "feature_size", "2");
	assert_int_equal(t_run(&t, "logistic-regression-train"), CU_EINVAL);
	assert_string_equal(t.c.reason, "the input \"training_data\" is missing");
	/* an output too small for the model */
	t_init(&t);
	t_in(&t, "training_data", lr_data);
	t_arg(&t, "feature_size", "2");
	t_out(&t, "model_file", 10);
	assert_int_equal(t_run(&t, "logistic-regression-train"), CU_ELIMIT);
	t_free(&t);
}

static void test_lr_work_bound(void **state)
{
	static const char *const args[] = {"feature_size", "3", "alg_iters", "1000000", NULL};
	struct text txt = {0};
	struct tctx t;

	(void)state;
	gen_rows(&txt, 4000, 3, 0, 0);
	assert_int_equal(train(&t, "logistic-regression-train", "training_data", txt.p, txt.len,
	                       "model_file", args),
	                 CU_ELIMIT);
	assert_string_equal(t.c.reason, "the training would take more than 20000000000 steps; "
	                                "lower alg_iters");
	t_free(&t);
	free(txt.p);
}

static const char lr_model[] = "custos-logistic-regression 1\nfeature_size 2\n"
                               "intercept -1\nweight 0.5\nweight 0.25\nend\n";

static void test_lr_predict_bad(void **state)
{
	static const struct {
		const char *model, *data;
		int rc;
		const char *why;
	} cases[] = {
	    {lr_model, "1,2,3\n", CU_EFORMAT, "\"data_file\" has 3 columns where 2 are expected"},
	    {lr_model, "", CU_EFORMAT, "\"data_file\" is empty"},
	    {lr_model, "1,-\n", CU_EFORMAT,
	     "row 1, column 2 of \"data_file\" is not a finite decimal number"},
	    {"custos-logistic-regression 1\nfeature_size 2\nintercept 0\nweight 1e308\nweight "
	     "1e308\nend\n",
	     "1,1\n1e308,-1e308\n", CU_EFORMAT, "the model gives no finite value for row 2"},
	    {"", "1,2\n", CU_EFORMAT, "\"model_file\" is not a Custos model file"},
	    {"custos-gbdt 1\nfeature_size 2\n", "1,2\n", CU_EFORMAT,
	     "\"model_file\" is not a logistic-regression model (it starts with \"custos-gbdt\")"},
	    {"{\"parameters\":[1,2]}\n", "1,2\n", CU_EFORMAT,
	     "\"model_file\" is not a Custos model file"},
	    {"custos-logistic-regression 2\nfeature_size 2\n", "1,2\n", CU_EUNSUPPORTED,
	     "\"model_file\" has version 2; this build reads version 1"},
	    {"custos-logistic-regression 1\nfeature_size 2\nintercept -1\nweight 0.5\n", "1,2\n",
	     CU_ETRUNC, "\"model_file\" ends before its \"end\" line"},
	    {"custos-logistic-regression 1\nfeature_size 2\nintercept -1\nweight 0.5\nweight "
	     "1\n",
	     "1,2\n", CU_ETRUNC, "\"model_file\" ends before its \"end\" line"},
	    {"custos-logistic-regression 1\nfeature_size 2\nintercept -1\nweight 0.5\nweight "
	     "1\nweight 2\nend\n",
	     "1,2\n", CU_EFORMAT,
	     "line 6 of \"model_file\" is not \"end\" (the model has more weights than "
	     "feature_size)"},
	    {"custos-logistic-regression 1\nfeature_size 2\nintercept nan\nweight 0.5\nweight "
	     "1\nend\n",
	     "1,2\n", CU_EFORMAT, "line 3 of \"model_file\" is not \"intercept <number>\""},
	    {"custos-logistic-regression 1\nfeature_size 2\nintercept 1\nweight  0.5\nweight "
	     "1\nend\n",
	     "1,2\n", CU_EFORMAT, "line 4 of \"model_file\" is not \"weight <number>\""},
	    {"custos-logistic-regression 1\nfeature_size 2\nintercept 1\nweight 0.5\t\nweight "
	     "1\nend\n",
	     "1,2\n", CU_EFORMAT, "line 4 of \"model_file\" is not \"weight <number>\""},
	    {"custos-logistic-regression 1\nfeature_size 2\nintercept 1 \nweight 0.5\nweight "
	     "1\nend\n",
	     "1,2\n", CU_EFORMAT, "line 3 of \"model_file\" is not \"intercept <number>\""},
	    {"custos-logistic-regression 1\r\nfeature_size 2\n", "1,2\n", CU_EFORMAT,
	     "\"model_file\" is not a Custos model file"},
	    {"custos-logistic-regression 1\nfeature_size 0\n", "1,2\n", CU_EFORMAT,
	     "\"model_file\" has no feature_size line with an integer from 1 to 4096"},
	    {"custos-logistic-regression 1\nfeature_size 1e9\n", "1,2\n", CU_EFORMAT,
	     "\"model_file\" has no feature_size line with an integer from 1 to 4096"},
	    {"custos-logistic-regression 1\nfeature_size 1.5\n", "1,2\n", CU_EFORMAT,
	     "\"model_file\" has no feature_size line with an integer from 1 to 4096"},
	    {"custos-logistic-regression 1\nfeature_size 2\nintercept -1\nweight 0.5\nweight "
	     "1\nend\nend\n",
	     "1,2\n", CU_EFORMAT, "\"model_file\" has data after its \"end\" line"},
	};
	struct tctx t;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(predict(&t, "logistic-regression-predict", cases[i].model,
		                         strlen(cases[i].model), cases[i].data),
		                 cases[i].rc);
		assert_string_equal(t.c.reason, cases[i].why);
		t_free(&t);
	}
	/* the hand-written model works, then every damaged copy is refused or harmless */
	assert_int_equal(
	    predict(&t, "logistic-regression-predict", lr_model, strlen(lr_model), "2,0\n0,4\n"),
	    0);
	assert_true(t_out_is(&t, "result_file", "0.5000\n0.5000\n"));
	t_free(&t);
	mangle_model("logistic-regression-predict", lr_model, "1,2\n3,4\n");
}

/* ---- gbdt ---- */

static void test_gbdt_known_answers(void **state)
{
	/* a step at x = 5.5: one split, leaves the mean residuals -0.5 and 0.5 */
	static const char step[] = "1,0\n2,0\n3,0\n4,0\n5,0\n6,1\n7,1\n8,1\n9,1\n10,1\n";
	static const char *const args[] = {"feature_size", "1", "max_depth", "1", "iterations", "1",
	                                   "shrinkage",    "1", NULL};
	static const char step_model[] = "custos-gbdt 1\nfeature_size 1\nloss SquaredError\n"
	                                 "initial 0.5\ntrees 1\ntree 3\nsplit 0 5.5 1 2\n"
	                                 "leaf -0.5\nleaf 0.5\nend\n";
	/*
	 * LAD: the median 2.5 first; residual signs -1 -1 1 1 split at 2.5; the
	 * leaves are the medians of y - 2.5: of (-1.5, -0.5), -1; of (0.5, 97.5), 49.
	 */
	static const char lad[] = "1,1\n2,2\n3,3\n4,100\n";
	static const char *const lad_args[] = {
	    "feature_size", "1", "max_depth", "1", "iterations", "1", "loss", "LAD", NULL};
	struct tctx t;
	char *model;

	(void)state;
	assert_int_equal(
	    train(&t, "gbdt-train", "training_data", step, strlen(step), "trained_model", args), 0);
	assert_true(t_out_is(&t, "trained_model", step_model));
	assert_string_equal(t.c.result, "Trained 10 lines of data.");
	t_free(&t);
	assert_int_equal(predict(&t, "gbdt-predict", step_model, strlen(step_model), "5\n5.5\n6\n"),
	                 0);
	assert_true(t_out_is(&t, "result_file", "0.0000000000\n0.0000000000\n1.0000000000\n"));
	assert_string_equal(t.c.result, "Predict result has 3 lines of data.");
	t_free(&t);
	assert_int_equal(
	    train(&t, "gbdt-train", "training_data", lad, strlen(lad), "trained_model", lad_args),
	    0);
	model = out_text(&t, "trained_model");
	t_free(&t);
	assert_non_null(strstr(model, "loss LAD\ninitial 2.5\ntrees 1\ntree 3\nsplit 0 2.5 1 2\n"
	                              "leaf -1\nleaf 49\nend\n"));
	assert_int_equal(predict(&t, "gbdt-predict", model, strlen(model), "0\n3\n"), 0);
	assert_true(t_out_is(&t, "result_file", "1.5000000000\n51.5000000000\n"));
	t_free(&t);
	free(model);
	/* two equal features: the tie goes to the lower one */
	static const char twins[] = "1,1,0\n2,2,0\n3,3,1\n4,4,1\n";
	static const char *const twin_args[] = {"feature_size", "2", "max_depth", "1",
	                                        "iterations",   "1", NULL};
	assert_int_equal(train(&t, "gbdt-train", "training_data", twins, strlen(twins),
	                       "trained_model", twin_args),
	                 0);
	model = out_text(&t, "trained_model");
	t_free(&t);
	assert_non_null(strstr(model, "\ntree 3\nsplit 0 2.5 1 2\nleaf -0.5\nleaf 0.5\nend\n"));
	free(model);
	/* LogLikelyhood: a model of one leaf 0 predicts probability 1 / (1 + e^0) */
	static const char half[] = "custos-gbdt 1\nfeature_size 2\nloss LogLikelyhood\n"
	                           "initial 0\ntrees 1\ntree 1\nleaf 0\nend\n";
	assert_int_equal(predict(&t, "gbdt-predict", half, strlen(half), "1,2\n"), 0);
	assert_true(t_out_is(&t, "result_file", "0.5000000000\n"));
	t_free(&t);
}

static void gbdt_roundtrip(const char *loss, int xor_rule, double min_acc)
{
	const char *args[] = {"feature_size",
	                      "2",
	                      "max_depth",
	                      "3",
	                      "iterations",
	                      "40",
	                      "shrinkage",
	                      "0.3",
	                      "feature_sample_ratio",
	                      "1.0",
	                      "data_sample_ratio",
	                      "0.8",
	                      "min_leaf_size",
	                      "5",
	                      "loss",
	                      loss,
	                      "training_optimization_level",
	                      "2",
	                      NULL};
	struct text txt = {0};
	struct tctx t;
	char *model, *model2, *data, *res;

	/* 5000 rows: a training quadratic in rows would show here */
	gen_rows(&txt, 5000, 2, xor_rule, 1);
	assert_int_equal(
	    train(&t, "gbdt-train", "training_data", txt.p, txt.len, "trained_model", args), 0);
	model = out_text(&t, "trained_model");
	t_free(&t);
	assert_int_equal(
	    train(&t, "gbdt-train", "training_data", txt.p, txt.len, "trained_model", args), 0);
	model2 = out_text(&t, "trained_model");
	t_free(&t);
	assert_string_equal(model, model2); /* sampling with a fixed seed */
	data = features_only(txt.p);
	assert_int_equal(predict(&t, "gbdt-predict", model, strlen(model), data), 0);
	res = out_text(&t, "result_file");
	t_free(&t);
	if (!strcmp(loss, "LogLikelyhood")) {
		assert_true(accuracy(res, txt.p, 2, 1) > min_acc);
	} else {
		/* regression on labels -1 and 1: the sign decides */
		size_t n = 0, right = 0;
		const char *p = res, *d = txt.p;
		while (*p) {
			char *end;
			double v = strtod(p, &end);
			p = end + 1;
			d = strchr(strchr(d, ',') + 1, ',') + 1;
			right += (v > 0) == (*d == '1');
			d = strchr(d, '\n') + 1;
			n++;
		}
		assert_int_equal(n, 5000);
		assert_true((double)right / (double)n > min_acc);
	}
	free(res);
	free(data);
	free(model);
	free(model2);
	free(txt.p);
}

static void test_gbdt_roundtrip(void **state)
{
	(void)state;
	gbdt_roundtrip("LogLikelyhood", 1, 0.97);
	gbdt_roundtrip("SquaredError", 1, 0.97);
	gbdt_roundtrip("LAD", 1, 0.95);
	gbdt_roundtrip("LogLikelyhood", 0, 0.9);
}

static void test_gbdt_seed(void **state)
{
	static const char *const a1[] = {
	    "feature_size", "2", "data_sample_ratio", "0.5", "iterations", "5", NULL};
	static const char *const a2[] = {
	    "feature_size", "2", "data_sample_ratio", "0.5", "iterations", "5", "seed", "7", NULL};
	struct text txt = {0};
	struct tctx t;
	char *m1, *m2;

	(void)state;
	gen_rows(&txt, 200, 2, 0, 1);
	assert_int_equal(
	    train(&t, "gbdt-train", "training_data", txt.p, txt.len, "trained_model", a1), 0);
	m1 = out_text(&t, "trained_model");
	t_free(&t);
	assert_int_equal(
	    train(&t, "gbdt-train", "training_data", txt.p, txt.len, "trained_model", a2), 0);
	m2 = out_text(&t, "trained_model");
	t_free(&t);
	assert_string_not_equal(m1, m2);
	free(m1);
	free(m2);
	free(txt.p);
}

static void test_gbdt_train_bad(void **state)
{
	static const struct {
		const char *data, *name, *value;
		int rc;
		const char *why;
	} cases[] = {
	    {"", NULL, NULL, CU_EFORMAT, "\"training_data\" is empty"},
	    {"1,2\n1\n", NULL, NULL, CU_EFORMAT,
	     "\"training_data\" is not valid CSV: record 2: 1 fields where the first record has 2"},
	    {"1,2,3\n", NULL, NULL, CU_EFORMAT,
	     "\"training_data\" has 3 columns where 2 are expected"},
	    {"1,abc\n", NULL, NULL, CU_EFORMAT,
	     "row 1, column 2 of \"training_data\" is not a finite decimal number"},
	    {"1,2\n", "loss", "LogLikelyhood", CU_EFORMAT,
	     "row 1 of \"training_data\" has the label 2; LogLikelyhood labels are 1 and -1 (or "
	     "0)"},
	    {"1,1\n", "loss", "Hinge", CU_EINVAL,
	     "the argument \"loss\" must be \"SquaredError\", \"LAD\" or \"LogLikelyhood\""},
	    {"1,1\n", "max_depth", "17", CU_EINVAL, "the argument \"max_depth\" exceeds 16"},
	    {"1,1\n", "max_depth", "-1", CU_EINVAL,
	     "the argument \"max_depth\" must be a decimal number"},
	    {"1,1\n", "iterations", "0", CU_EINVAL,
	     "the argument \"iterations\" must be at least 1"},
	    {"1,1\n", "iterations", "10001", CU_EINVAL,
	     "the argument \"iterations\" exceeds 10000"},
	    {"1,1\n", "shrinkage", "0", CU_EINVAL,
	     "the argument \"shrinkage\" must be greater than 0"},
	    {"1,1\n", "shrinkage", "1.5", CU_EINVAL,
	     "the argument \"shrinkage\" must be between 0 and 1"},
	    {"1,1\n", "feature_sample_ratio", "0", CU_EINVAL,
	     "the arguments \"feature_sample_ratio\" and \"data_sample_ratio\" must be greater "
	     "than 0"},
	    {"1,1\n", "data_sample_ratio", "2", CU_EINVAL,
	     "the argument \"data_sample_ratio\" must be between 0 and 1"},
	    {"1,1\n", "min_leaf_size", "0", CU_EINVAL,
	     "the argument \"min_leaf_size\" must be at least 1"},
	    {"1,1\n", "training_optimization_level", "3", CU_EINVAL,
	     "the argument \"training_optimization_level\" exceeds 2"},
	    {"1,1\n", "feature_size", "0", CU_EINVAL,
	     "the argument \"feature_size\" must be at least 1"},
	    {"1,1\n2,1e101\n", NULL, NULL, CU_EFORMAT,
	     "row 2 of \"training_data\" has a label beyond 1e100 in magnitude"},
	    {"1,-1e101\n", "loss", "LAD", CU_EFORMAT,
	     "row 1 of \"training_data\" has a label beyond 1e100 in magnitude"},
	};
	struct tctx t;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[] = {"feature_size", "1", cases[i].name, cases[i].value, NULL};
		if (cases[i].name && !strcmp(cases[i].name, "feature_size"))
			args[1] = cases[i].value;
		assert_int_equal(train(&t, "gbdt-train", "training_data", cases[i].data,
		                       strlen(cases[i].data), "trained_model", args),
		                 cases[i].rc);
		assert_string_equal(t.c.reason, cases[i].why);
		t_free(&t);
	}
	t_init(&t);
	t_in(&t, "training_data", "1,1\n");
	assert_int_equal(t_run(&t, "gbdt-train"), CU_EINVAL);
	assert_string_equal(t.c.reason, "gbdt-train needs the argument \"feature_size\"");
	t_arg(&t, "feature_size", "1");
	assert_int_equal(t_run(&t, "gbdt-train"), CU_EINVAL);
	assert_string_equal(t.c.reason, "gbdt-train needs the output \"trained_model\"");
}

static void test_gbdt_work_bound(void **state)
{
	static const char *const args[] = {"feature_size", "2",     "max_depth", "16",
	                                   "iterations",   "10000", NULL};
	struct text txt = {0};
	struct tctx t;

	(void)state;
	gen_rows(&txt, 30000, 2, 0, 1);
	assert_int_equal(
	    train(&t, "gbdt-train", "training_data", txt.p, txt.len, "trained_model", args),
	    CU_ELIMIT);
	assert_string_equal(t.c.reason, "the training would take more than 20000000000 steps; "
	                                "lower iterations or max_depth");
	t_free(&t);
	free(txt.p);
	/* the deepest trees on few rows are fine: nodes are bounded by rows */
	static const char *const deep[] = {"feature_size", "2", "max_depth", "16",
	                                   "iterations",   "3", NULL};
	txt = (struct text){0};
	gen_rows(&txt, 300, 2, 1, 1);
	assert_int_equal(
	    train(&t, "gbdt-train", "training_data", txt.p, txt.len, "trained_model", deep), 0);
	t_free(&t);
	free(txt.p);
}

static const char gb_model[] = "custos-gbdt 1\nfeature_size 2\nloss SquaredError\n"
                               "initial 1\ntrees 2\ntree 3\nsplit 1 0.5 1 2\nleaf -1\n"
                               "leaf 2\ntree 1\nleaf 0.25\nend\n";

static void test_gbdt_predict_bad(void **state)
{
#define GB_HEAD "custos-gbdt 1\nfeature_size 2\nloss SquaredError\ninitial 1\n"
	static const struct {
		const char *model, *data;
		int rc;
		const char *why;
	} cases[] = {
	    {gb_model, "1\n", CU_EFORMAT, "\"data_file\" has 1 columns where 2 are expected"},
	    {gb_model, "", CU_EFORMAT, "\"data_file\" is empty"},
	    {lr_model, "1,2\n", CU_EFORMAT,
	     "\"model_file\" is not a gbdt model (it starts with "
	     "\"custos-logistic-regression\")"},
	    {"custos-gbdt 9\n", "1,2\n", CU_EUNSUPPORTED,
	     "\"model_file\" has version 9; this build reads version 1"},
	    {GB_HEAD "trees 1\ntree 3\nsplit 1 0.5 0 2\nleaf 1\nleaf 2\nend\n", "1,2\n", CU_EFORMAT,
	     "line 7 of \"model_file\" is not a split whose children are two later nodes not used "
	     "elsewhere"},
	    {GB_HEAD "trees 1\ntree 3\nsplit 1 0.5 2 2\nleaf 1\nleaf 2\nend\n", "1,2\n", CU_EFORMAT,
	     "line 7 of \"model_file\" is not a split whose children are two later nodes not used "
	     "elsewhere"},
	    {GB_HEAD "trees 1\ntree 3\nsplit 2 0.5 1 2\nleaf 1\nleaf 2\nend\n", "1,2\n", CU_EFORMAT,
	     "line 7 of \"model_file\" is not \"leaf <number>\" or \"split <feature> <threshold> "
	     "<left> <right>\" with a feature and nodes of the model"},
	    {GB_HEAD "trees 1\ntree 3\nsplit 1 0.5 1 3\nleaf 1\nleaf 2\nend\n", "1,2\n", CU_EFORMAT,
	     "line 7 of \"model_file\" is not \"leaf <number>\" or \"split <feature> <threshold> "
	     "<left> <right>\" with a feature and nodes of the model"},
	    {GB_HEAD "trees 1\ntree 3\nleaf 0\nleaf 1\nleaf 2\nend\n", "1,2\n", CU_EFORMAT,
	     "a tree of \"model_file\" has a node that no split leads to"},
	    {GB_HEAD "trees 1\ntree 1\nleaf inf\nend\n", "1,2\n", CU_EFORMAT,
	     "line 7 of \"model_file\" is not \"leaf <number>\""},
	    {GB_HEAD "trees 2\ntree 1\nleaf 1\nend\n", "1,2\n", CU_EFORMAT,
	     "line 8 of \"model_file\" is not \"tree <nodes>\" with 1 to 131071 nodes"},
	    {GB_HEAD "trees 1\ntree 1\nleaf 1\ntree 1\nleaf 1\nend\n", "1,2\n", CU_EFORMAT,
	     "line 8 of \"model_file\" is not \"end\" (the model has more trees than it "
	     "announces)"},
	    {GB_HEAD "trees 1\ntree 200000\nleaf 1\nend\n", "1,2\n", CU_EFORMAT,
	     "line 6 of \"model_file\" is not \"tree <nodes>\" with 1 to 131071 nodes"},
	    {GB_HEAD "trees 1\ntree 100000\nleaf 1\nend\n", "1,2\n", CU_ETRUNC,
	     "\"model_file\" ends before its \"end\" line"},
	    {GB_HEAD "trees 99999\n", "1,2\n", CU_EFORMAT,
	     "line 5 of \"model_file\" is not \"trees <n>\" with n at most 10000"},
	    {GB_HEAD "trees 1\ntree 1\nleaf 1\n", "1,2\n", CU_ETRUNC,
	     "\"model_file\" ends before its \"end\" line"},
	    {"custos-gbdt 1\nfeature_size 2\nloss Hinge\n", "1,2\n", CU_EFORMAT,
	     "line 3 of \"model_file\" is not \"loss SquaredError\", \"loss LAD\" or \"loss "
	     "LogLikelyhood\""},
	    {"custos-gbdt 1\nfeature_size 5000\n", "1,2\n", CU_EFORMAT,
	     "line 2 of \"model_file\" is not \"feature_size <n>\" with n from 1 to 4096"},
	    {GB_HEAD "trees 1\ntree 1\nleaf 1e308\nend\n", "1,2\n", 0, ""},
	    {GB_HEAD "trees 2\ntree 1\nleaf 1e308\ntree 1\nleaf 1e308\nend\n", "1,2\n", CU_EFORMAT,
	     "the model gives no finite value for row 1"},
	};
	struct tctx t;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(predict(&t, "gbdt-predict", cases[i].model, strlen(cases[i].model),
		                         cases[i].data),
		                 cases[i].rc);
		assert_string_equal(t.c.reason, cases[i].why);
		t_free(&t);
	}
	/* 1 + (x1 <= 0.5 ? -1 : 2) + 0.25 */
	assert_int_equal(
	    predict(&t, "gbdt-predict", gb_model, strlen(gb_model), "9,0.5\n-9,0.75\n"), 0);
	assert_true(t_out_is(&t, "result_file", "0.2500000000\n3.2500000000\n"));
	t_free(&t);
	mangle_model("gbdt-predict", gb_model, "1,2\n3,0\n");
#undef GB_HEAD
}

/* ---- principal components analysis ---- */

static int pca(struct tctx *t, const char *data, const char *fs, const char *n, const char *center)
{
	t_init(t);
	t_in(t, "input_data", data);
	t_out(t, "output_data", OUT_MAX);
	if (fs)
		t_arg(t, "feature_size", fs);
	if (n)
		t_arg(t, "n", n);
	if (center)
		t_arg(t, "center", center);
	return t_run(t, "principal-components-analysis");
}

static void expect_numbers(struct tctx *t, const double *want, size_t n)
{
	char *s = out_text(t, "output_data");
	double v[64];

	assert_non_null(s);
	assert_int_equal(numbers(s, v, 64), n);
	for (size_t i = 0; i < n; i++)
		assert_true(fabs(v[i] - want[i]) < 1e-9);
	free(s);
}

static void test_pca_known_answers(void **state)
{
	/*
	 * x = R y for the 8 points y = (+-3, +-2, +-1) and the orthogonal
	 * R = [[1,2,2],[2,1,-2],[2,-2,1]] / 3: the components are R's columns
	 * (eigenvalues 9, 4, 1), each already with its largest entry (the first
	 * of equal ones) positive, so the projection gives back y. The rows were
	 * written by Python 3 with '%.17g'; the last column is the ignored label.
	 */
	struct text txt = {0};
	double want[24];
	size_t k = 0;
	struct tctx t;

	(void)state;
	for (int a = 1; a >= -1; a -= 2)
		for (int b = 1; b >= -1; b -= 2)
			for (int c = 1; c >= -1; c -= 2) {
				double y[3] = {3.0 * a, 2.0 * b, 1.0 * c};
				tprintf(&txt, "%.17g,%.17g,%.17g,7\n",
				        (y[0] + 2 * y[1] + 2 * y[2]) / 3,
				        (2 * y[0] + y[1] - 2 * y[2]) / 3,
				        (2 * y[0] - 2 * y[1] + y[2]) / 3);
				memcpy(want + k, y, sizeof(y));
				k += 3;
			}
	assert_int_equal(pca(&t, txt.p, "3", "3", "true"), 0);
	assert_string_equal(t.c.result, "transform 8 rows * 3 cols lines of data.");
	expect_numbers(&t, want, 24);
	t_free(&t);
	/* n = 1: the first column only */
	assert_int_equal(pca(&t, txt.p, "3", "1", NULL), 0);
	for (size_t i = 0; i < 8; i++)
		want[i] = want[3 * i];
	expect_numbers(&t, want, 8);
	t_free(&t);
	free(txt.p);
	/*
	 * Not centered: points on the line through 0 along (3,4)/5 project to
	 * their signed lengths; the second component, (4,-3)/5 after the sign
	 * rule, gives 0.
	 */
	static const double line[] = {5, 0, 10, 0, -5, 0};
	assert_int_equal(pca(&t, "3,4,0\n6,8,0\n-3,-4,0\n", "2", "2", "false"), 0);
	expect_numbers(&t, line, 6);
	t_free(&t);
	/* exact text for exact numbers: one feature, centered */
	assert_int_equal(pca(&t, "1,0\n3,0\n", "1", NULL, NULL), 0);
	assert_true(t_out_is(&t, "output_data", "-1.0\n1.0\n"));
	t_free(&t);
}

static void test_pca_properties(void **state)
{
	/* 2000 rows of 6 correlated features: the projected columns are centered,
	 * uncorrelated, with decreasing variances adding up to the total variance */
	enum { R = 2000, D = 6 };
	struct text txt = {0};
	struct tctx t;
	double *x = calloc(R * D, sizeof(double)), *y = calloc(R * D, sizeof(double));
	double total = 0, mean[D] = {0};
	char *s;

	(void)state;
	assert_non_null(x);
	assert_non_null(y);
	rng_state = 9;
	for (size_t r = 0; r < R; r++) {
		double u = urand(), v = urand();
		for (size_t j = 0; j < D; j++) {
			x[r * D + j] = (double)(j + 1) * u + (j % 2 ? v : -v) + 0.1 * urand() + 3;
			tprintf(&txt, "%.17g,", x[r * D + j]);
		}
		tprintf(&txt, "0\n");
	}
	assert_int_equal(pca(&t, txt.p, "6", NULL, "true"), 0);
	s = out_text(&t, "output_data");
	t_free(&t);
	assert_int_equal(numbers(s, y, R * D), R * D);
	for (size_t r = 0; r < R; r++)
		for (size_t j = 0; j < D; j++)
			mean[j] += x[r * D + j] / R;
	for (size_t r = 0; r < R; r++)
		for (size_t j = 0; j < D; j++)
			total += (x[r * D + j] - mean[j]) * (x[r * D + j] - mean[j]);
	double sum_var = 0, prev = INFINITY;
	for (size_t i = 0; i < D; i++) {
		double m = 0, var = 0;
		for (size_t r = 0; r < R; r++)
			m += y[r * D + i];
		assert_true(fabs(m / R) < 1e-9);
		for (size_t j = 0; j < D; j++) {
			double cov = 0;
			for (size_t r = 0; r < R; r++)
				cov += y[r * D + i] * y[r * D + j];
			if (i == j)
				var = cov;
			else
				assert_true(fabs(cov) < 1e-8 * total);
		}
		assert_true(var <= prev * (1 + 1e-12));
		prev = var;
		sum_var += var;
	}
	assert_true(fabs(sum_var - total) < 1e-9 * total);
	free(s);
	free(x);
	free(y);
	free(txt.p);
}

static void test_pca_bad(void **state)
{
	static const struct {
		const char *data, *fs, *n, *center;
		int rc;
		const char *why;
	} cases[] = {
	    {"", "2", NULL, NULL, CU_EFORMAT, "\"input_data\" is empty"},
	    {"1,2,0\n1,2\n", "2", NULL, NULL, CU_EFORMAT,
	     "\"input_data\" is not valid CSV: record 2: 2 fields where the first record has 3"},
	    {"1,2\n", "2", NULL, NULL, CU_EFORMAT,
	     "\"input_data\" has 2 columns where 3 are expected"},
	    {"1,2,x\n", "2", NULL, NULL, CU_EFORMAT,
	     "row 1, column 3 of \"input_data\" is not a finite decimal number"},
	    {"1,2,0\n", NULL, NULL, NULL, CU_EINVAL,
	     "principal-components-analysis needs the argument \"feature_size\""},
	    {"1,2,0\n", "2", "3", NULL, CU_EINVAL,
	     "the argument \"n\" must be from 1 to feature_size (2)"},
	    {"1,2,0\n", "2", "0", NULL, CU_EINVAL,
	     "the argument \"n\" must be from 1 to feature_size (2)"},
	    {"1,2,0\n", "257", NULL, NULL, CU_EINVAL, "the argument \"feature_size\" exceeds 256"},
	    {"1,2,0\n", "2", NULL, "yes", CU_EINVAL,
	     "the argument \"center\" must be \"true\" or \"false\""},
	    {"1e200,2,0\n-1e200,2,0\n", "2", NULL, NULL, CU_EINVAL,
	     "the covariance of \"input_data\" overflows; scale the features"},
	};
	struct tctx t;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(pca(&t, cases[i].data, cases[i].fs, cases[i].n, cases[i].center),
		                 cases[i].rc);
		assert_string_equal(t.c.reason, cases[i].why);
		t_free(&t);
	}
	t_init(&t);
	t_in(&t, "input_data", "1,2,0\n");
	t_arg(&t, "feature_size", "2");
	assert_int_equal(t_run(&t, "principal-components-analysis"), CU_EINVAL);
	assert_string_equal(t.c.reason,
	                    "principal-components-analysis needs the output \"output_data\"");
	/* one row, centered: all zeros; constant columns: zeros too */
	assert_int_equal(pca(&t, "1,2,0\n", "2", NULL, NULL), 0);
	assert_true(t_out_is(&t, "output_data", "0.0,0.0\n"));
	t_free(&t);
}

static void test_table(void **state)
{
	static const char *const names[] = {"logistic-regression-train",
	                                    "logistic-regression-predict", "gbdt-train",
	                                    "gbdt-predict", "principal-components-analysis"};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct fn_builtin *b = fn_find(names[i]);
		assert_non_null(b);
		assert_int_equal(b->idempotent, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_sample),
	    cmocka_unit_test(test_sort),
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_lr_known_answer),
	    cmocka_unit_test(test_lr_roundtrip),
	    cmocka_unit_test(test_lr_train_bad),
	    cmocka_unit_test(test_lr_work_bound),
	    cmocka_unit_test(test_lr_predict_bad),
	    cmocka_unit_test(test_gbdt_known_answers),
	    cmocka_unit_test(test_gbdt_roundtrip),
	    cmocka_unit_test(test_gbdt_seed),
	    cmocka_unit_test(test_gbdt_train_bad),
	    cmocka_unit_test(test_gbdt_work_bound),
	    cmocka_unit_test(test_gbdt_predict_bad),
	    cmocka_unit_test(test_pca_known_answers),
	    cmocka_unit_test(test_pca_properties),
	    cmocka_unit_test(test_pca_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

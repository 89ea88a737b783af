/*
 * logistic_regression.c - binary logistic regression trained by batch
 * gradient descent, and prediction with the trained model (Teaclave's
 * builtin-logistic-regression-train and -predict; docs/functions.md).
 *
 * logistic-regression-train: input "training_data", numeric CSV rows of
 * feature_size features then the label, 0 or 1; arguments "feature_size"
 * (required), "alg_alpha" (the step, default 0.1), "alg_iters" (default
 * 100). The weights (an intercept and one per feature) start at zero; each
 * iteration subtracts alg_alpha times the mean gradient of the cross-entropy
 * over all rows, in row order, so the model is reproducible. Output
 * "model_file" in the text format below; result "Trained <n> lines of data."
 *
 * logistic-regression-predict: inputs "model_file" and "data_file" (rows of
 * feature_size features); output "result_file", the probability of label 1
 * for each row, "%.4f" a line; result "Predicted <n> lines of data."
 *
 * Model file, version 1 (LF line ends, single spaces, numbers as "%.17g"):
 *
 *   custos-logistic-regression 1
 *   feature_size <n>
 *   intercept <number>
 *   weight <number>          (n lines, in feature order)
 *   end
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "functions/builtins_int.h"
#include "functions/ml_int.h"

#define LR_MAGIC     "custos-logistic-regression"
#define LR_VERSION   "1"
#define LR_ITERS_MAX 1000000
#define LR_ALPHA_MAX 1000.0

struct lr_model {
	size_t features;
	double *w; /* w[0] the intercept, w[1..features] the weights */
};

static double sigmoid(double z)
{
	if (z >= 0)
		return 1 / (1 + exp(-z));
	double e = exp(z);
	return e / (1 + e);
}

static double lr_score(const struct lr_model *m, const double *x)
{
	double z = m->w[0];

	for (size_t j = 0; j < m->features; j++)
		z += m->w[j + 1] * x[j];
	return sigmoid(z);
}

struct lr_args {
	size_t features, iters;
	double alpha;
};

static int read_args(struct fn_ctx *c, struct lr_args *a)
{
	int rc;

	if ((rc = ml_arg_size_req(c, "logistic-regression-train", "feature_size", ML_COLS_MAX,
	                          &a->features)) ||
	    (rc = fn_arg_size(c, "alg_iters", 100, LR_ITERS_MAX, &a->iters)) ||
	    (rc = ml_arg_num(c, "alg_alpha", 0.1, 0, LR_ALPHA_MAX, &a->alpha)))
		return rc;
	if (!a->features)
		return fn_fail(c, CU_EINVAL, "the argument \"feature_size\" must be at least 1");
	if (!a->iters)
		return fn_fail(c, CU_EINVAL, "the argument \"alg_iters\" must be at least 1");
	if (!(a->alpha > 0))
		return fn_fail(c, CU_EINVAL, "the argument \"alg_alpha\" must be greater than 0");
	return 0;
}

/* The labels (the last column) must be 0 or 1. */
static int check_labels(struct fn_ctx *c, const struct ml_matrix *d)
{
	for (size_t r = 0; r < d->rows; r++) {
		double y = ml_row(d, r)[d->cols - 1];
		if (y != 0 && y != 1)
			return fn_fail(
			    c, CU_EFORMAT,
			    "row %zu of \"training_data\" has the label %g; labels are 0 "
			    "or 1",
			    r + 1, y);
	}
	return 0;
}

/* alg_iters steps of batch gradient descent from zero weights. */
static int descend(struct fn_ctx *c, const struct lr_args *a, const struct ml_matrix *d,
                   struct lr_model *m, double *grad)
{
	size_t nw = a->features + 1;

	for (size_t it = 0; it < a->iters; it++) {
		memset(grad, 0, nw * sizeof(double));
		for (size_t r = 0; r < d->rows; r++) {
			const double *x = ml_row(d, r);
			double e = lr_score(m, x) - x[a->features];
			grad[0] += e;
			for (size_t j = 0; j < a->features; j++)
				grad[j + 1] += e * x[j];
		}
		for (size_t j = 0; j < nw; j++)
			m->w[j] -= a->alpha * grad[j] / (double)d->rows;
	}
	for (size_t j = 0; j < nw; j++)
		if (!isfinite(m->w[j]))
			return fn_fail(
			    c, CU_EINVAL,
			    "the training diverged (a weight is no longer finite); lower "
			    "alg_alpha or scale the features");
	return 0;
}

static int write_model(struct fn_ctx *c, const struct lr_model *m)
{
	struct fn_output *o = fn_output(c, "model_file");
	char line[64 + ML_FMT_MAX];
	int rc, n;

	if (!o)
		return fn_fail(c, CU_EINVAL,
		               "logistic-regression-train needs the output "
		               "\"model_file\"");
	n = snprintf(line, sizeof(line), LR_MAGIC " " LR_VERSION "\nfeature_size %zu\n",
	             m->features);
	if ((rc = fn_output_write(o, line, (size_t)n)))
		goto out;
	for (size_t j = 0; j <= m->features && !rc; j++) {
		n = snprintf(line, sizeof(line), "%s %.17g\n", j ? "weight" : "intercept", m->w[j]);
		rc = fn_output_write(o, line, (size_t)n);
	}
	if (!rc)
		rc = fn_output_write(o, "end\n", 4);
out:
	if (rc)
		return fn_fail(c, rc, "writing \"model_file\" failed: %s", cu_strerror(rc));
	return 0;
}

int fn_logistic_regression_train(struct fn_ctx *c)
{
	struct lr_args a;
	struct ml_matrix d = {0};
	struct lr_model m = {0};
	double *grad = NULL;
	int rc;

	if ((rc = read_args(c, &a)) ||
	    (rc = ml_read_matrix(c, "training_data", a.features + 1, &d)) ||
	    (rc = check_labels(c, &d)))
		goto out;
	if ((double)a.iters * (double)d.rows * (double)(a.features + 1) * 2 > ML_WORK_MAX) {
		rc = fn_fail(c, CU_ELIMIT,
		             "the training would take more than %.0f steps; lower alg_iters",
		             ML_WORK_MAX);
		goto out;
	}
	m.features = a.features;
	if (!(m.w = cu_calloc(a.features + 1, sizeof(double))) ||
	    !(grad = cu_calloc(a.features + 1, sizeof(double)))) {
		rc = fn_fail(c, CU_ENOMEM, "out of memory for the model");
		goto out;
	}
	if ((rc = descend(c, &a, &d, &m, grad)) || (rc = write_model(c, &m)))
		goto out;
	fn_result(c, "Trained %zu lines of data.", d.rows);
out:
	free(grad);
	free(m.w);
	ml_matrix_free(&d);
	return rc;
}

static int model_error(struct fn_ctx *c, const struct ml_lines *l, const char *want)
{
	return fn_fail(c, CU_EFORMAT, "line %zu of \"model_file\" is not %s", l->line, want);
}

/* The first line: this algorithm and version, or a clear reason. */
static int read_magic(struct fn_ctx *c, struct ml_lines *l)
{
	if (ml_lines_next(l) != 1 || l->ntok != 2)
		return fn_fail(c, CU_EFORMAT, "\"model_file\" is not a Custos model file");
	if (strcmp(l->tok[0], LR_MAGIC))
		return fn_fail(c, CU_EFORMAT,
		               "\"model_file\" is not a logistic-regression model (it starts "
		               "with \"%.64s\")",
		               l->tok[0]);
	if (strcmp(l->tok[1], LR_VERSION))
		return fn_fail(
		    c, CU_EUNSUPPORTED,
		    "\"model_file\" has version %.16s; this build reads version " LR_VERSION,
		    l->tok[1]);
	return 0;
}

/* The line "key <number>" into *v. */
static int read_num_line(struct fn_ctx *c, struct ml_lines *l, const char *key, double *v)
{
	int r = ml_lines_next(l);
	char want[48];

	snprintf(want, sizeof(want), "\"%s <number>\"", key);
	if (!r)
		return fn_fail(c, CU_ETRUNC, "\"model_file\" ends before its \"end\" line");
	if (r < 0 || !ml_lines_is(l, key, 1) || ml_parse_num(l->tok[1], strlen(l->tok[1]), v))
		return model_error(c, l, want);
	return 0;
}

static int read_model(struct fn_ctx *c, struct lr_model *m)
{
	const struct fn_input *in = fn_input(c, "model_file");
	struct ml_lines l;
	int rc;

	memset(m, 0, sizeof(*m));
	if (!in)
		return fn_fail(c, CU_EINVAL,
		               "logistic-regression-predict needs the input "
		               "\"model_file\"");
	ml_lines_init(&l, in->data, in->len);
	if ((rc = read_magic(c, &l)))
		return rc;
	rc = ml_lines_next(&l);
	if (rc <= 0 || !ml_lines_is(&l, "feature_size", 1) ||
	    ml_parse_size(l.tok[1], ML_COLS_MAX, &m->features) || !m->features)
		return fn_fail(
		    c, CU_EFORMAT,
		    "\"model_file\" has no feature_size line with an integer from 1 to %d",
		    ML_COLS_MAX);
	if (!(m->w = cu_calloc(m->features + 1, sizeof(double))))
		return fn_fail(c, CU_ENOMEM, "out of memory for the model");
	for (size_t j = 0; j <= m->features; j++)
		if ((rc = read_num_line(c, &l, j ? "weight" : "intercept", &m->w[j])))
			return rc;
	rc = ml_lines_next(&l);
	if (!rc)
		return fn_fail(c, CU_ETRUNC, "\"model_file\" ends before its \"end\" line");
	if (rc < 0 || !ml_lines_is(&l, "end", 0))
		return model_error(c, &l, "\"end\" (the model has more weights than feature_size)");
	if (ml_lines_next(&l))
		return fn_fail(c, CU_EFORMAT, "\"model_file\" has data after its \"end\" line");
	return 0;
}

int fn_logistic_regression_predict(struct fn_ctx *c)
{
	struct lr_model m = {0};
	struct ml_matrix d = {0};
	struct fn_output *o = fn_output(c, "result_file");
	char num[32];
	int rc;

	if (!o)
		return fn_fail(c, CU_EINVAL,
		               "logistic-regression-predict needs the output "
		               "\"result_file\"");
	if ((rc = read_model(c, &m)) || (rc = ml_read_matrix(c, "data_file", m.features, &d)))
		goto out;
	for (size_t r = 0; r < d.rows; r++) {
		double p = lr_score(&m, ml_row(&d, r));
		if (isnan(p)) {
			rc = fn_fail(c, CU_EFORMAT, "the model gives no finite value for row %zu",
			             r + 1);
			goto out;
		}
		int n = snprintf(num, sizeof(num), "%.4f\n", p);
		if ((rc = fn_output_write(o, num, (size_t)n))) {
			rc = fn_fail(c, rc, "writing \"result_file\" failed: %s", cu_strerror(rc));
			goto out;
		}
	}
	fn_result(c, "Predicted %zu lines of data.", d.rows);
out:
	free(m.w);
	ml_matrix_free(&d);
	return rc;
}

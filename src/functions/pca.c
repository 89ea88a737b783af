/*
 * pca.c - principal components analysis (Teaclave's
 * builtin_principal_components_analysis; docs/functions.md).
 *
 * Input "input_data": numeric CSV rows of feature_size features and one
 * more column (Teaclave's label), which is ignored. Arguments:
 * "feature_size" (required, at most PCA_FEATURES_MAX), "n" (components
 * kept, 1 to feature_size; default feature_size), "center" ("true", the
 * default: subtract each feature's mean first). Output "output_data": each
 * row projected on the first n principal components, numbers separated by
 * ',' (ml_fmt); result "transform <rows> rows * <n> cols lines of data."
 *
 * The components are the eigenvectors of X^T X (X centered or not), found
 * by cyclic Jacobi rotations, sorted by decreasing eigenvalue (ties by
 * position) with each vector's largest component made positive (the first
 * of those equal to within 1e-9 of the largest, so that rounding does not
 * choose the sign): the output is reproducible.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "functions/builtins_int.h"
#include "functions/ml_int.h"

#define PCA_FEATURES_MAX 256
#define PCA_SWEEPS_MAX   100

struct pca_args {
	size_t features, n;
	int center;
};

static int read_args(struct fn_ctx *c, struct pca_args *a)
{
	int rc;

	if ((rc = ml_arg_size_req(c, "principal-components-analysis", "feature_size",
	                          PCA_FEATURES_MAX, &a->features)) ||
	    (rc = fn_arg_size(c, "n", a->features, PCA_FEATURES_MAX, &a->n)) ||
	    (rc = fn_arg_bool(c, "center", 1, &a->center)))
		return rc;
	if (!a->features)
		return fn_fail(c, CU_EINVAL, "the argument \"feature_size\" must be at least 1");
	if (!a->n || a->n > a->features)
		return fn_fail(c, CU_EINVAL,
		               "the argument \"n\" must be from 1 to feature_size (%zu)",
		               a->features);
	return 0;
}

/* Subtract each feature's mean (columns [0, d) of x). */
static void center(struct ml_matrix *x, size_t d)
{
	for (size_t j = 0; j < d; j++) {
		double s = 0;
		for (size_t r = 0; r < x->rows; r++)
			s += ml_row(x, r)[j];
		s /= (double)x->rows;
		for (size_t r = 0; r < x->rows; r++)
			ml_row(x, r)[j] -= s;
	}
}

/* a = X^T X over the first d columns of x, scaled by 1 / rows; a is d x d. */
static void scatter(const struct ml_matrix *x, size_t d, double *a)
{
	for (size_t r = 0; r < x->rows; r++) {
		const double *v = ml_row(x, r);
		for (size_t i = 0; i < d; i++)
			for (size_t j = i; j < d; j++)
				a[i * d + j] += v[i] * v[j];
	}
	for (size_t i = 0; i < d; i++)
		for (size_t j = i; j < d; j++)
			a[j * d + i] = a[i * d + j] /= (double)x->rows;
}

/* The rotation in the (p, q) plane that zeroes a[p][q], applied to a and v. */
static void rotate(double *a, double *v, size_t d, size_t p, size_t q)
{
	double theta = (a[q * d + q] - a[p * d + p]) / (2 * a[p * d + q]);
	double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
	double cs = 1 / sqrt(t * t + 1), sn = t * cs;

	for (size_t k = 0; k < d; k++) {
		double kp = a[k * d + p], kq = a[k * d + q];
		a[k * d + p] = cs * kp - sn * kq;
		a[k * d + q] = sn * kp + cs * kq;
	}
	for (size_t k = 0; k < d; k++) {
		double pk = a[p * d + k], qk = a[q * d + k];
		a[p * d + k] = cs * pk - sn * qk;
		a[q * d + k] = sn * pk + cs * qk;
	}
	for (size_t k = 0; k < d; k++) {
		double kp = v[k * d + p], kq = v[k * d + q];
		v[k * d + p] = cs * kp - sn * kq;
		v[k * d + q] = sn * kp + cs * kq;
	}
}

static double off_diagonal(const double *a, size_t d, double *total)
{
	double off = 0;

	*total = 0;
	for (size_t i = 0; i < d; i++)
		for (size_t j = 0; j < d; j++) {
			double x = a[i * d + j] * a[i * d + j];
			*total += x;
			off += i == j ? 0 : x;
		}
	return off;
}

/* Eigenvectors of the symmetric a (destroyed: its diagonal the eigenvalues) into v's columns. */
static void jacobi(double *a, double *v, size_t d)
{
	for (size_t i = 0; i < d; i++)
		v[i * d + i] = 1;
	for (int sweep = 0; sweep < PCA_SWEEPS_MAX; sweep++) {
		double total, off = off_diagonal(a, d, &total);
		if (off <= 1e-30 * total)
			break;
		for (size_t p = 0; p + 1 < d; p++)
			for (size_t q = p + 1; q < d; q++)
				if (a[p * d + q] != 0)
					rotate(a, v, d, p, q);
	}
}

/* order[0..d): columns by decreasing eigenvalue, ties by position; signs normalised. */
static void sort_and_sign(const double *a, double *v, size_t d, size_t *order)
{
	for (size_t i = 0; i < d; i++) {
		size_t k = i;
		while (k > 0 && a[order[k - 1] * d + order[k - 1]] < a[i * d + i]) {
			order[k] = order[k - 1];
			k--;
		}
		order[k] = i;
	}
	for (size_t j = 0; j < d; j++) {
		double top = 0;
		size_t big = 0;
		for (size_t k = 0; k < d; k++)
			top = fmax(top, fabs(v[k * d + j]));
		/* the first entry of the largest magnitude, rounding aside: entries equal in exact
		 * arithmetic must not let the last bit choose the sign */
		while (fabs(v[big * d + j]) < top * (1 - 1e-9))
			big++;
		if (v[big * d + j] < 0)
			for (size_t k = 0; k < d; k++)
				v[k * d + j] = -v[k * d + j];
	}
}

static int write_projection(struct fn_ctx *c, const struct ml_matrix *x, const double *v,
                            const size_t *order, const struct pca_args *a)
{
	struct fn_output *o = fn_output(c, "output_data");
	size_t d = a->features;
	int rc = 0;

	if (!o)
		return fn_fail(c, CU_EINVAL,
		               "principal-components-analysis needs the output "
		               "\"output_data\"");
	for (size_t r = 0; r < x->rows && !rc; r++) {
		const double *row = ml_row(x, r);
		for (size_t k = 0; k < a->n && !rc; k++) {
			double s = 0;
			for (size_t i = 0; i < d; i++)
				s += row[i] * v[i * d + order[k]];
			rc = ml_write_num(o, s, k + 1 == a->n ? "\n" : ",");
		}
	}
	if (rc)
		return fn_fail(c, rc, "writing \"output_data\" failed: %s", cu_strerror(rc));
	return 0;
}

int fn_principal_components_analysis(struct fn_ctx *c)
{
	struct pca_args a = {0};
	struct ml_matrix x = {0};
	double *cov = NULL, *vec = NULL;
	size_t *order = NULL, d;
	int rc;

	if ((rc = read_args(c, &a)) || (rc = ml_read_matrix(c, "input_data", a.features + 1, &x)))
		goto out;
	d = a.features;
	if ((double)x.rows * (double)d * (double)d > ML_WORK_MAX) {
		rc = fn_fail(c, CU_ELIMIT, "\"input_data\" is too large for %zu features", d);
		goto out;
	}
	if (!(cov = cu_calloc(d * d, sizeof(double))) ||
	    !(vec = cu_calloc(d * d, sizeof(double))) || !(order = cu_calloc(d, sizeof(size_t)))) {
		rc = fn_fail(c, CU_ENOMEM, "out of memory for the covariance");
		goto out;
	}
	if (a.center)
		center(&x, d);
	scatter(&x, d, cov);
	for (size_t i = 0; i < d * d; i++)
		if (!isfinite(cov[i])) {
			rc = fn_fail(c, CU_EINVAL,
			             "the covariance of \"input_data\" overflows; scale "
			             "the features");
			goto out;
		}
	jacobi(cov, vec, d);
	sort_and_sign(cov, vec, d, order);
	if ((rc = write_projection(c, &x, vec, order, &a)))
		goto out;
	fn_result(c, "transform %zu rows * %zu cols lines of data.", x.rows, a.n);
out:
	free(cov);
	free(vec);
	free(order);
	ml_matrix_free(&x);
	return rc;
}

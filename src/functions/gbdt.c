/*
 * gbdt.c - gradient-boosted decision trees: training and prediction
 * (Teaclave's builtin-gbdt-train and -predict; docs/functions.md).
 *
 * gbdt-train: input "training_data", numeric CSV rows of feature_size
 * features then the label. Arguments (Teaclave's): feature_size (required),
 * max_depth, iterations, shrinkage, feature_sample_ratio, data_sample_ratio,
 * min_leaf_size, loss ("SquaredError", "LAD" or "LogLikelyhood" with labels
 * 1 and -1 or 0), training_optimization_level (accepted, no effect); and
 * Custos's seed for the sampling. Output "trained_model" in the format
 * below; result "Trained <n> lines of data."
 *
 * Each iteration fits a regression tree to the pseudo-residuals of the loss
 * (Friedman's gradient boosting): the tree grows level by level, each node
 * split at the feature and threshold that most reduce the squared error of
 * the residuals, scanning rows presorted once per feature (so a level costs
 * rows x features, not rows log rows x features). Leaves hold the loss's
 * step (the mean residual, the median error for LAD, one Newton step for
 * LogLikelyhood) times shrinkage. Ties go to the lower feature and
 * threshold and sampling uses a fixed-seed PRNG: the model is reproducible.
 *
 * gbdt-predict: inputs "model_file" and "data_file" (rows of feature_size
 * features); output "result_file", one "%.10f" a line (the probability of
 * label 1 for LogLikelyhood); result "Predict result has <n> lines of data."
 *
 * Model file, version 1 (LF line ends, single spaces, numbers as "%.17g"):
 *
 *   custos-gbdt 1
 *   feature_size <n>
 *   loss <SquaredError|LAD|LogLikelyhood>
 *   initial <number>
 *   trees <t>
 *   then t times: "tree <m>" and m nodes, node 0 the root, each either
 *     split <feature> <threshold> <left> <right>   (x[feature] <= threshold: left)
 *     leaf <value>
 *   end
 *
 * A split's children come after it (so every walk ends), each node but the
 * root is the child of exactly one split, and every number is checked.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "functions/builtins_int.h"
#include "functions/ml_int.h"

#define GB_MAGIC     "custos-gbdt"
#define GB_VERSION   "1"
#define GB_ITERS_MAX 10000
#define GB_DEPTH_MAX 16
#define GB_NODES_MAX ((2u << GB_DEPTH_MAX) - 1)
#define GB_ROWS_MAX  ((size_t)1 << 31)
#define GB_LEAF_MAX  5.0 /* bound of a LogLikelyhood Newton step */
#define GB_LABEL_MAX 1e100
#define GB_SEED      0x637573746f73ull

enum gb_loss { GB_SQUARED, GB_LAD, GB_LOGLIK };

static const char *const loss_names[] = {"SquaredError", "LAD", "LogLikelyhood"};

struct gb_node {
	int32_t feature; /* -1: a leaf */
	uint32_t left, right;
	double value; /* the threshold, or the leaf's value */
};

struct gb_tree {
	size_t n;
	struct gb_node *node;
};

struct gb_model {
	size_t features;
	enum gb_loss loss;
	double initial;
	size_t ntrees;
	struct gb_tree *tree;
};

static void model_free(struct gb_model *m)
{
	for (size_t t = 0; t < m->ntrees; t++)
		free(m->tree[t].node);
	free(m->tree);
	memset(m, 0, sizeof(*m));
}

static double tree_eval(const struct gb_tree *t, const double *x)
{
	uint32_t k = 0;

	while (t->node[k].feature >= 0)
		k = x[t->node[k].feature] <= t->node[k].value ? t->node[k].left : t->node[k].right;
	return t->node[k].value;
}

static double model_raw(const struct gb_model *m, const double *x)
{
	double f = m->initial;

	for (size_t t = 0; t < m->ntrees; t++)
		f += tree_eval(&m->tree[t], x);
	return f;
}

static double model_output(const struct gb_model *m, const double *x)
{
	double f = model_raw(m, x);

	return m->loss == GB_LOGLIK ? 1 / (1 + exp(-2 * f)) : f;
}

/* ---- training ---- */

struct gb_args {
	size_t features, depth, iters, min_leaf, level;
	double shrinkage, feature_ratio, data_ratio;
	enum gb_loss loss;
	uint64_t seed;
};

static int read_loss(struct fn_ctx *c, enum gb_loss *loss)
{
	const char *s = fn_arg(c, "loss");

	*loss = GB_SQUARED;
	if (!s)
		return 0;
	for (size_t i = 0; i < sizeof(loss_names) / sizeof(loss_names[0]); i++)
		if (!strcmp(s, loss_names[i])) {
			*loss = (enum gb_loss)i;
			return 0;
		}
	if (!strcmp(s, "LogLikelihood")) {
		*loss = GB_LOGLIK;
		return 0;
	}
	return fn_fail(c, CU_EINVAL,
	               "the argument \"loss\" must be \"SquaredError\", \"LAD\" or "
	               "\"LogLikelyhood\"");
}

static int read_args(struct fn_ctx *c, struct gb_args *a)
{
	size_t seed;
	int rc;

	memset(a, 0, sizeof(*a));
	if ((rc = ml_arg_size_req(c, "gbdt-train", "feature_size", ML_COLS_MAX, &a->features)) ||
	    (rc = fn_arg_size(c, "max_depth", 2, GB_DEPTH_MAX, &a->depth)) ||
	    (rc = fn_arg_size(c, "iterations", 2, GB_ITERS_MAX, &a->iters)) ||
	    (rc = fn_arg_size(c, "min_leaf_size", 1, GB_ROWS_MAX, &a->min_leaf)) ||
	    (rc = fn_arg_size(c, "training_optimization_level", 2, 2, &a->level)) ||
	    (rc = fn_arg_size(c, "seed", GB_SEED, UINT64_MAX, &seed)) ||
	    (rc = ml_arg_num(c, "shrinkage", 1, 0, 1, &a->shrinkage)) ||
	    (rc = ml_arg_num(c, "feature_sample_ratio", 1, 0, 1, &a->feature_ratio)) ||
	    (rc = ml_arg_num(c, "data_sample_ratio", 1, 0, 1, &a->data_ratio)) ||
	    (rc = read_loss(c, &a->loss)))
		return rc;
	a->seed = seed;
	if (!a->features)
		return fn_fail(c, CU_EINVAL, "the argument \"feature_size\" must be at least 1");
	if (!a->iters)
		return fn_fail(c, CU_EINVAL, "the argument \"iterations\" must be at least 1");
	if (!a->min_leaf)
		return fn_fail(c, CU_EINVAL, "the argument \"min_leaf_size\" must be at least 1");
	if (!(a->shrinkage > 0))
		return fn_fail(c, CU_EINVAL, "the argument \"shrinkage\" must be greater than 0");
	if (!(a->feature_ratio > 0) || !(a->data_ratio > 0))
		return fn_fail(c, CU_EINVAL,
		               "the arguments \"feature_sample_ratio\" and \"data_sample_ratio\" "
		               "must be greater than 0");
	return 0;
}

/* What training keeps across trees; per-node arrays hold cap entries. */
struct gb_train {
	const struct gb_args *a;
	const struct ml_matrix *d;
	size_t rows, cap;
	uint32_t *sorted;  /* features x rows: row indices by ascending feature value */
	double *f, *resid; /* the current raw prediction and pseudo-residual of each row */
	int32_t *node_of;  /* the node of each row in the tree being built; -1: not sampled */
	size_t *rows_pick, *feat_pick;
	double *cnt, *sum, *sq, *cnt_l, *sum_l, *last, *gain, *thr;
	int32_t *best;
	struct ml_pair *scratch; /* rows of them, for sorting */
	struct gb_tree tree;
	uint64_t rng;
};

static double label(const struct gb_train *t, size_t r)
{
	return ml_row(t->d, r)[t->a->features];
}

/* t->sorted: for each feature, the rows by ascending value (ties by row). */
static void presort(struct gb_train *t, struct ml_pair *tmp)
{
	for (size_t f = 0; f < t->a->features; f++) {
		for (size_t r = 0; r < t->rows; r++)
			tmp[r] = (struct ml_pair){ml_row(t->d, r)[f], r};
		ml_sort_pairs(tmp, t->rows, t->scratch, 0);
		for (size_t r = 0; r < t->rows; r++)
			t->sorted[f * t->rows + r] = (uint32_t)tmp[r].i;
	}
}

static double median_sorted(const struct ml_pair *p, size_t n)
{
	return n % 2 ? p[n / 2].v : p[n / 2 - 1].v / 2 + p[n / 2].v / 2;
}

static void set_initial(struct gb_train *t, struct ml_pair *tmp, double *initial)
{
	double s = 0;

	for (size_t r = 0; r < t->rows; r++)
		s += label(t, r);
	if (t->a->loss == GB_SQUARED) {
		*initial = s / (double)t->rows;
	} else if (t->a->loss == GB_LOGLIK) {
		double p = (1 + s / (double)t->rows) / 2;
		p = p < 1e-6 ? 1e-6 : p > 1 - 1e-6 ? 1 - 1e-6 : p;
		*initial = 0.5 * log(p / (1 - p));
	} else {
		for (size_t r = 0; r < t->rows; r++)
			tmp[r] = (struct ml_pair){label(t, r), r};
		ml_sort_pairs(tmp, t->rows, t->scratch, 0);
		*initial = median_sorted(tmp, t->rows);
	}
	for (size_t r = 0; r < t->rows; r++)
		t->f[r] = *initial;
}

static void set_residuals(struct gb_train *t)
{
	for (size_t r = 0; r < t->rows; r++) {
		double y = label(t, r), f = t->f[r];
		if (t->a->loss == GB_SQUARED)
			t->resid[r] = y - f;
		else if (t->a->loss == GB_LAD)
			t->resid[r] = y > f ? 1 : y < f ? -1 : 0;
		else
			t->resid[r] = 2 * y / (1 + exp(2 * y * f));
	}
}

/* The rows of this tree (node 0) and the others (-1). */
static void sample_rows(struct gb_train *t)
{
	size_t k = (size_t)ceil(t->a->data_ratio * (double)t->rows);

	if (k >= t->rows) {
		memset(t->node_of, 0, t->rows * sizeof(int32_t));
		return;
	}
	k = k ? k : 1;
	for (size_t r = 0; r < t->rows; r++)
		t->node_of[r] = -1;
	ml_sample(&t->rng, t->rows, k, t->rows_pick);
	for (size_t i = 0; i < k; i++)
		t->node_of[t->rows_pick[i]] = 0;
}

static size_t sample_features(struct gb_train *t)
{
	size_t n = t->a->features, k = (size_t)ceil(t->a->feature_ratio * (double)n);

	if (!k)
		k = 1;
	if (k >= n) {
		for (size_t i = 0; i < n; i++)
			t->feat_pick[i] = i;
		return n;
	}
	ml_sample(&t->rng, n, k, t->feat_pick);
	return k;
}

/* One candidate split of node nd between last[nd] and x. */
static void consider(struct gb_train *t, int32_t nd, size_t f, double x)
{
	double nl = t->cnt_l[nd], nr = t->cnt[nd] - nl, sl = t->sum_l[nd], s = t->sum[nd];
	double g;

	if (nl < (double)t->a->min_leaf || nr < (double)t->a->min_leaf)
		return;
	g = sl * sl / nl + (s - sl) * (s - sl) / nr - s * s / t->cnt[nd];
	if (g > t->gain[nd]) {
		double m = t->last[nd] / 2 + x / 2;
		t->gain[nd] = g;
		t->best[nd] = (int32_t)f;
		t->thr[nd] = m < x ? m : t->last[nd];
	}
}

/* Find the best split of every node in [lo, hi) over the sampled features. */
static void scan_level(struct gb_train *t, uint32_t lo, uint32_t hi, size_t nfeat)
{
	for (uint32_t nd = lo; nd < hi; nd++) {
		t->best[nd] = -1;
		/* a split must beat rounding noise: a gain is at most the sum of squares */
		t->gain[nd] = 1e-12 * t->sq[nd];
	}
	for (size_t k = 0; k < nfeat; k++) {
		size_t f = t->feat_pick[k];
		const uint32_t *order = t->sorted + f * t->rows;
		for (uint32_t nd = lo; nd < hi; nd++)
			t->cnt_l[nd] = t->sum_l[nd] = 0;
		for (size_t i = 0; i < t->rows; i++) {
			uint32_t r = order[i];
			int32_t nd = t->node_of[r];
			if (nd < (int32_t)lo)
				continue;
			double x = ml_row(t->d, r)[f];
			if (t->cnt_l[nd] > 0 && x != t->last[nd])
				consider(t, nd, f, x);
			t->cnt_l[nd] += 1;
			t->sum_l[nd] += t->resid[r];
			t->last[nd] = x;
		}
	}
}

/* Split the nodes of [lo, hi) that found a split; the new level is [hi, t->tree.n). */
static void split_level(struct gb_train *t, uint32_t lo, uint32_t hi)
{
	struct gb_node *node = t->tree.node;

	for (uint32_t nd = lo; nd < hi; nd++) {
		if (t->best[nd] < 0)
			continue;
		uint32_t l = (uint32_t)t->tree.n;
		node[nd] = (struct gb_node){t->best[nd], l, l + 1, t->thr[nd]};
		node[l] = node[l + 1] = (struct gb_node){-1, 0, 0, 0};
		t->tree.n += 2;
	}
	for (size_t r = 0; r < t->rows; r++) {
		int32_t nd = t->node_of[r];
		if (nd < (int32_t)lo || node[nd].feature < 0)
			continue;
		double x = ml_row(t->d, r)[node[nd].feature];
		t->node_of[r] = (int32_t)(x <= node[nd].value ? node[nd].left : node[nd].right);
	}
}

static void level_stats(struct gb_train *t, uint32_t lo, uint32_t hi)
{
	for (uint32_t nd = lo; nd < hi; nd++)
		t->cnt[nd] = t->sum[nd] = t->sq[nd] = 0;
	for (size_t r = 0; r < t->rows; r++) {
		int32_t nd = t->node_of[r];
		if (nd >= (int32_t)lo) {
			t->cnt[nd] += 1;
			t->sum[nd] += t->resid[r];
			t->sq[nd] += t->resid[r] * t->resid[r];
		}
	}
}

/* LAD: each leaf's value is the median of y - f over its rows. */
static void lad_medians(struct gb_train *t, struct ml_pair *tmp, size_t n)
{
	ml_sort_pairs(tmp, n, t->scratch, 1);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i; j < n && tmp[j].i == tmp[i].i; j++)
			;
		t->tree.node[tmp[i].i].value = median_sorted(tmp + i, j - i) * t->a->shrinkage;
	}
}

/* The value of every leaf from its rows, times shrinkage. */
static void leaf_values(struct gb_train *t, struct ml_pair *tmp)
{
	struct gb_node *node = t->tree.node;
	size_t n = 0;

	for (size_t r = 0; r < t->rows; r++)
		if (t->node_of[r] >= 0)
			tmp[n++] = (struct ml_pair){t->a->loss == GB_LAD ? label(t, r) - t->f[r]
			                                                 : t->resid[r],
			                            (size_t)t->node_of[r]};
	if (t->a->loss == GB_LAD) {
		lad_medians(t, tmp, n);
		return;
	}
	for (size_t k = 0; k < t->tree.n; k++)
		t->cnt[k] = t->sum[k] = t->sum_l[k] = 0;
	for (size_t i = 0; i < n; i++) {
		double r = tmp[i].v;
		t->cnt[tmp[i].i] += 1;
		t->sum[tmp[i].i] += r;
		t->sum_l[tmp[i].i] += fabs(r) * (2 - fabs(r));
	}
	for (size_t k = 0; k < t->tree.n; k++) {
		if (node[k].feature >= 0 || !t->cnt[k])
			continue;
		double v = t->sum[k] / t->cnt[k];
		if (t->a->loss == GB_LOGLIK) {
			/* one Newton step of the binomial deviance (Friedman 2001) */
			v = t->sum_l[k] > 1e-12 ? t->sum[k] / t->sum_l[k] : 0;
			v = v > GB_LEAF_MAX ? GB_LEAF_MAX : v < -GB_LEAF_MAX ? -GB_LEAF_MAX : v;
		}
		node[k].value = v * t->a->shrinkage;
	}
}

static void grow_tree(struct gb_train *t, struct ml_pair *tmp)
{
	uint32_t lo = 0, hi = 1;

	t->tree.n = 1;
	t->tree.node[0] = (struct gb_node){-1, 0, 0, 0};
	sample_rows(t);
	for (size_t depth = 0; depth < t->a->depth && lo < hi; depth++) {
		size_t nfeat = sample_features(t);
		level_stats(t, lo, hi);
		scan_level(t, lo, hi, nfeat);
		split_level(t, lo, hi);
		lo = hi;
		hi = (uint32_t)t->tree.n;
	}
	leaf_values(t, tmp);
}

static void train_free(struct gb_train *t)
{
	free(t->sorted);
	free(t->f);
	free(t->resid);
	free(t->node_of);
	free(t->rows_pick);
	free(t->feat_pick);
	free(t->cnt);
	free(t->sum);
	free(t->sq);
	free(t->cnt_l);
	free(t->sum_l);
	free(t->last);
	free(t->gain);
	free(t->thr);
	free(t->best);
	free(t->scratch);
	free(t->tree.node);
}

static int train_alloc(struct gb_train *t)
{
	size_t rows = t->rows, cap = ((size_t)2 << t->a->depth) - 1;
	size_t cells;

	/* Every node has a row: a tree has at most 2 rows - 1 nodes. */
	t->cap = cap < 2 * rows - 1 ? cap : 2 * rows - 1;
	if (cu_mul_size(t->a->features, rows, &cells))
		return CU_ENOMEM;
	t->sorted = cu_calloc(cells, sizeof(uint32_t));
	t->f = cu_calloc(rows, sizeof(double));
	t->resid = cu_calloc(rows, sizeof(double));
	t->node_of = cu_calloc(rows, sizeof(int32_t));
	t->rows_pick = cu_calloc(rows, sizeof(size_t));
	t->feat_pick = cu_calloc(t->a->features, sizeof(size_t));
	t->cnt = cu_calloc(t->cap, sizeof(double));
	t->sum = cu_calloc(t->cap, sizeof(double));
	t->sq = cu_calloc(t->cap, sizeof(double));
	t->cnt_l = cu_calloc(t->cap, sizeof(double));
	t->sum_l = cu_calloc(t->cap, sizeof(double));
	t->last = cu_calloc(t->cap, sizeof(double));
	t->gain = cu_calloc(t->cap, sizeof(double));
	t->thr = cu_calloc(t->cap, sizeof(double));
	t->best = cu_calloc(t->cap, sizeof(int32_t));
	t->tree.node = cu_calloc(t->cap, sizeof(struct gb_node));
	t->scratch = cu_calloc(rows, sizeof(struct ml_pair));
	if (!t->sorted || !t->f || !t->resid || !t->node_of || !t->rows_pick || !t->feat_pick ||
	    !t->cnt || !t->sum || !t->sq || !t->cnt_l || !t->sum_l || !t->last || !t->gain ||
	    !t->thr || !t->best || !t->tree.node)
		return CU_ENOMEM;
	return 0;
}

/*
 * LogLikelyhood: labels 1 and -1 (0 read as -1); the others: at most
 * GB_LABEL_MAX in magnitude, so that no sum of squares overflows.
 */
static int check_labels(struct fn_ctx *c, const struct gb_args *a, struct ml_matrix *d)
{
	for (size_t r = 0; r < d->rows; r++) {
		double *y = &ml_row(d, r)[a->features];
		if (a->loss != GB_LOGLIK) {
			if (fabs(*y) > GB_LABEL_MAX)
				return fn_fail(
				    c, CU_EFORMAT,
				    "row %zu of \"training_data\" has a label beyond 1e100 "
				    "in magnitude",
				    r + 1);
		} else if (*y == 0) {
			*y = -1;
		} else if (*y != 1 && *y != -1) {
			return fn_fail(
			    c, CU_EFORMAT,
			    "row %zu of \"training_data\" has the label %g; LogLikelyhood "
			    "labels are 1 and -1 (or 0)",
			    r + 1, *y);
		}
	}
	return 0;
}

static int check_work(struct fn_ctx *c, const struct gb_args *a, size_t rows)
{
	double per_tree = (double)(a->depth + 2) * (double)rows * (double)(a->features + 2);

	if ((double)a->iters * per_tree > ML_WORK_MAX)
		return fn_fail(c, CU_ELIMIT,
		               "the training would take more than %.0f steps; lower iterations or "
		               "max_depth",
		               ML_WORK_MAX);
	if (rows >= GB_ROWS_MAX)
		return fn_fail(c, CU_ELIMIT, "\"training_data\" has more than %zu rows",
		               GB_ROWS_MAX - 1);
	return 0;
}

static double max_leaf(const struct gb_tree *t)
{
	double m = 0;

	for (size_t k = 0; k < t->n; k++)
		if (t->node[k].feature < 0)
			m = fmax(m, fabs(t->node[k].value));
	return m;
}

/* Boost a->iters trees into m. */
static int boost(struct fn_ctx *c, struct gb_train *t, struct gb_model *m)
{
	struct ml_pair *tmp = cu_calloc(t->rows, sizeof(*tmp));
	double bound; /* of |any prediction|: finite, so that every prediction is */
	int rc = CU_ENOMEM;

	if (!tmp || !(m->tree = cu_calloc(t->a->iters, sizeof(*m->tree))) || train_alloc(t))
		goto out;
	presort(t, tmp);
	set_initial(t, tmp, &m->initial);
	bound = fabs(m->initial);
	for (size_t it = 0; it < t->a->iters && isfinite(bound) && bound < 1e300; it++) {
		struct gb_tree *tr = &m->tree[m->ntrees];
		set_residuals(t);
		grow_tree(t, tmp);
		if (!(tr->node = cu_memdup(t->tree.node, t->tree.n * sizeof(struct gb_node))))
			goto out;
		tr->n = t->tree.n;
		m->ntrees++;
		bound += max_leaf(tr);
		for (size_t r = 0; r < t->rows; r++)
			t->f[r] += tree_eval(tr, ml_row(t->d, r));
	}
	rc = 0;
out:
	free(tmp);
	if (rc)
		return fn_fail(c, rc, "out of memory for the training");
	if (!isfinite(bound) || bound >= 1e300)
		return fn_fail(c, CU_EINVAL, "the training overflows; scale the labels");
	return 0;
}

static int write_line(struct fn_output *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int write_line(struct fn_output *o, const char *fmt, ...)
{
	char line[ML_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return fn_output_write(o, line, (size_t)n);
}

static int write_tree(struct fn_output *o, const struct gb_tree *t)
{
	int rc = write_line(o, "tree %zu\n", t->n);

	for (size_t k = 0; k < t->n && !rc; k++) {
		const struct gb_node *nd = &t->node[k];
		if (nd->feature < 0)
			rc = write_line(o, "leaf %.17g\n", nd->value);
		else
			rc = write_line(o, "split %d %.17g %u %u\n", (int)nd->feature, nd->value,
			                (unsigned)nd->left, (unsigned)nd->right);
	}
	return rc;
}

static int write_model(struct fn_ctx *c, const struct gb_model *m)
{
	struct fn_output *o = fn_output(c, "trained_model");
	int rc;

	if (!o)
		return fn_fail(c, CU_EINVAL, "gbdt-train needs the output \"trained_model\"");
	rc = write_line(o, GB_MAGIC " " GB_VERSION "\nfeature_size %zu\nloss %s\n", m->features,
	                loss_names[m->loss]);
	if (!rc)
		rc = write_line(o, "initial %.17g\ntrees %zu\n", m->initial, m->ntrees);
	for (size_t t = 0; t < m->ntrees && !rc; t++)
		rc = write_tree(o, &m->tree[t]);
	if (!rc)
		rc = fn_output_write(o, "end\n", 4);
	if (rc)
		return fn_fail(c, rc, "writing \"trained_model\" failed: %s", cu_strerror(rc));
	return 0;
}

int fn_gbdt_train(struct fn_ctx *c)
{
	struct gb_args a;
	struct ml_matrix d = {0};
	struct gb_train t;
	struct gb_model m = {0};
	int rc;

	memset(&t, 0, sizeof(t));
	if ((rc = read_args(c, &a)) ||
	    (rc = ml_read_matrix(c, "training_data", a.features + 1, &d)) ||
	    (rc = check_labels(c, &a, &d)) || (rc = check_work(c, &a, d.rows)))
		goto out;
	t.a = &a;
	t.d = &d;
	t.rows = d.rows;
	t.rng = a.seed;
	m.features = a.features;
	m.loss = a.loss;
	if ((rc = boost(c, &t, &m)) || (rc = write_model(c, &m)))
		goto out;
	fn_result(c, "Trained %zu lines of data.", d.rows);
out:
	train_free(&t);
	model_free(&m);
	ml_matrix_free(&d);
	return rc;
}

/* ---- the model file ---- */

struct gb_reader {
	struct fn_ctx *c;
	struct ml_lines l;
};

static int bad_line(struct gb_reader *r, const char *want)
{
	return fn_fail(r->c, CU_EFORMAT, "line %zu of \"model_file\" is not %s", r->l.line, want);
}

/* The next line, which must be there. */
static int next(struct gb_reader *r, const char *want)
{
	int n = ml_lines_next(&r->l);

	if (!n)
		return fn_fail(r->c, CU_ETRUNC, "\"model_file\" ends before its \"end\" line");
	return n < 0 ? bad_line(r, want) : 0;
}

static int word_num(const char *w, double *v)
{
	return ml_parse_num(w, strlen(w), v);
}

static int read_header(struct gb_reader *r, struct gb_model *m)
{
	struct ml_lines *l = &r->l;
	double v;
	int rc;

	if (ml_lines_next(l) != 1 || l->ntok != 2)
		return fn_fail(r->c, CU_EFORMAT, "\"model_file\" is not a Custos model file");
	if (strcmp(l->tok[0], GB_MAGIC))
		return fn_fail(r->c, CU_EFORMAT,
		               "\"model_file\" is not a gbdt model (it starts with \"%.64s\")",
		               l->tok[0]);
	if (strcmp(l->tok[1], GB_VERSION))
		return fn_fail(
		    r->c, CU_EUNSUPPORTED,
		    "\"model_file\" has version %.16s; this build reads version " GB_VERSION,
		    l->tok[1]);
	if ((rc = next(r, "\"feature_size <n>\"")))
		return rc;
	if (!ml_lines_is(l, "feature_size", 1) ||
	    ml_parse_size(l->tok[1], ML_COLS_MAX, &m->features) || !m->features)
		return bad_line(r, "\"feature_size <n>\" with n from 1 to 4096");
	if ((rc = next(r, "\"loss <name>\"")))
		return rc;
	if (!ml_lines_is(l, "loss", 1))
		return bad_line(r, "\"loss <name>\"");
	for (size_t i = 0;; i++) {
		if (i == sizeof(loss_names) / sizeof(loss_names[0]))
			return bad_line(r, "\"loss SquaredError\", \"loss LAD\" or \"loss "
			                   "LogLikelyhood\"");
		if (!strcmp(l->tok[1], loss_names[i])) {
			m->loss = (enum gb_loss)i;
			break;
		}
	}
	if ((rc = next(r, "\"initial <number>\"")))
		return rc;
	if (!ml_lines_is(l, "initial", 1) || word_num(l->tok[1], &v))
		return bad_line(r, "\"initial <number>\"");
	m->initial = v;
	return 0;
}

static int read_node(struct gb_reader *r, const struct gb_model *m, struct gb_tree *t, size_t k,
                     uint8_t *used)
{
	struct ml_lines *l = &r->l;
	struct gb_node *nd = &t->node[k];
	size_t f, left, right;
	int rc;

	if ((rc = next(r, "a node")))
		return rc;
	if (ml_lines_is(l, "leaf", 1)) {
		nd->feature = -1;
		return word_num(l->tok[1], &nd->value) ? bad_line(r, "\"leaf <number>\"") : 0;
	}
	if (!ml_lines_is(l, "split", 4) || ml_parse_size(l->tok[1], m->features - 1, &f) ||
	    word_num(l->tok[2], &nd->value) || ml_parse_size(l->tok[3], t->n - 1, &left) ||
	    ml_parse_size(l->tok[4], t->n - 1, &right))
		return bad_line(r, "\"leaf <number>\" or \"split <feature> <threshold> <left> "
		                   "<right>\" with a feature and nodes of the model");
	if (left <= k || right <= k || left == right || used[left] || used[right])
		return bad_line(r, "a split whose children are two later nodes not used elsewhere");
	used[left] = used[right] = 1;
	nd->feature = (int32_t)f;
	nd->left = (uint32_t)left;
	nd->right = (uint32_t)right;
	return 0;
}

static int read_tree(struct gb_reader *r, const struct gb_model *m, struct gb_tree *t)
{
	struct ml_lines *l = &r->l;
	uint8_t *used = NULL;
	int rc;

	if ((rc = next(r, "\"tree <nodes>\"")))
		return rc;
	if (!ml_lines_is(l, "tree", 1) || ml_parse_size(l->tok[1], GB_NODES_MAX, &t->n) || !t->n)
		return bad_line(r, "\"tree <nodes>\" with 1 to 131071 nodes");
	/* each node takes a line of at least 7 bytes: no allocation beyond the file's size */
	if (t->n > (l->n - l->pos) / 7 + 1)
		return fn_fail(r->c, CU_ETRUNC, "\"model_file\" ends before its \"end\" line");
	if (!(t->node = cu_calloc(t->n, sizeof(*t->node))) || !(used = cu_calloc(t->n, 1))) {
		free(used);
		return fn_fail(r->c, CU_ENOMEM, "out of memory for the model");
	}
	for (size_t k = 0; k < t->n && !rc; k++)
		rc = read_node(r, m, t, k, used);
	for (size_t k = 1; k < t->n && !rc; k++)
		if (!used[k])
			rc = fn_fail(r->c, CU_EFORMAT,
			             "a tree of \"model_file\" has a node that no split leads to");
	free(used);
	return rc;
}

static int read_model(struct fn_ctx *c, struct gb_model *m)
{
	const struct fn_input *in = fn_input(c, "model_file");
	struct gb_reader r = {.c = c};
	size_t n;
	int rc;

	memset(m, 0, sizeof(*m));
	if (!in)
		return fn_fail(c, CU_EINVAL, "gbdt-predict needs the input \"model_file\"");
	ml_lines_init(&r.l, in->data, in->len);
	if ((rc = read_header(&r, m)) || (rc = next(&r, "\"trees <n>\"")))
		return rc;
	if (!ml_lines_is(&r.l, "trees", 1) || ml_parse_size(r.l.tok[1], GB_ITERS_MAX, &n))
		return bad_line(&r, "\"trees <n>\" with n at most 10000");
	if (!(m->tree = cu_calloc(n ? n : 1, sizeof(*m->tree))))
		return fn_fail(c, CU_ENOMEM, "out of memory for the model");
	for (size_t t = 0; t < n; t++) {
		m->ntrees++;
		if ((rc = read_tree(&r, m, &m->tree[t])))
			return rc;
	}
	if ((rc = next(&r, "\"end\"")))
		return rc;
	if (!ml_lines_is(&r.l, "end", 0))
		return bad_line(&r, "\"end\" (the model has more trees than it announces)");
	if (ml_lines_next(&r.l))
		return fn_fail(c, CU_EFORMAT, "\"model_file\" has data after its \"end\" line");
	return 0;
}

int fn_gbdt_predict(struct fn_ctx *c)
{
	struct gb_model m = {0};
	struct ml_matrix d = {0};
	struct fn_output *o = fn_output(c, "result_file");
	char num[ML_LINE_MAX];
	int rc;

	if (!o)
		return fn_fail(c, CU_EINVAL, "gbdt-predict needs the output \"result_file\"");
	if ((rc = read_model(c, &m)) || (rc = ml_read_matrix(c, "data_file", m.features, &d)))
		goto out;
	for (size_t r = 0; r < d.rows; r++) {
		double v = model_output(&m, ml_row(&d, r));
		int n;
		if (!isfinite(v)) {
			rc = fn_fail(c, CU_EFORMAT, "the model gives no finite value for row %zu",
			             r + 1);
			goto out;
		}
		n = snprintf(num, sizeof(num), "%.10f\n", v);
		/* a value too large for the line is still one line */
		if (n < 0 || (size_t)n >= sizeof(num))
			n = snprintf(num, sizeof(num), "%.10e\n", v);
		if ((rc = fn_output_write(o, num, (size_t)n))) {
			rc = fn_fail(c, rc, "writing \"result_file\" failed: %s", cu_strerror(rc));
			goto out;
		}
	}
	fn_result(c, "Predict result has %zu lines of data.", d.rows);
out:
	model_free(&m);
	ml_matrix_free(&d);
	return rc;
}

/*
 * gemm.c - Gemm and MatMul through OpenBLAS's cblas_sgemm, one call per
 * thread; a Gemm of one or two rows (a classifier's last layer on one
 * image) in dot products or sums of B's rows of its own, which read B
 * once where BLAS would first copy all of it.
 */
#include <cblas.h>
#include <string.h>

#include "common/err.h"
#include "onnx/internal.h"

void ox_blas_threads(unsigned threads)
{
	openblas_set_num_threads((int)threads);
}

void ox_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
              const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
              int64_t ldc)
{
	if (m <= 0 || n <= 0)
		return;
	if (k <= 0) {
		for (int64_t i = 0; i < m; i++)
			for (int64_t j = 0; j < n; j++)
				c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
		return;
	}
	cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
	            trans_b ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n, (blasint)k, alpha,
	            a, (blasint)(lda > 0 ? lda : 1), b, (blasint)(ldb > 0 ? ldb : 1), beta, c,
	            (blasint)(ldc > 0 ? ldc : 1));
}

/* One product split across the session's threads, by rows of C or by blocks of 16 columns. */
struct split_gemm {
	int ta, tb;
	int64_t m, n, k;
	float alpha, beta;
	const float *a, *b;
	int64_t lda, ldb, ldc;
	float *c;
	bool by_rows;
};

static void split_range(void *arg, uint64_t begin, uint64_t end, unsigned slice)
{
	const struct split_gemm *s = arg;
	int64_t b = (int64_t)begin, e = (int64_t)end;

	(void)slice;
	if (s->by_rows) {
		ox_sgemm(s->ta, s->tb, e - b, s->n, s->k, s->alpha,
		         s->ta ? s->a + b : s->a + b * s->lda, s->lda, s->b, s->ldb, s->beta,
		         s->c + b * s->ldc, s->ldc);
		return;
	}
	b *= 16;
	e = e * 16 < s->n ? e * 16 : s->n;
	ox_sgemm(s->ta, s->tb, s->m, e - b, s->k, s->alpha, s->a, s->lda,
	         s->tb ? s->b + b * s->ldb : s->b + b, s->ldb, s->beta, s->c + b, s->ldc);
}

/*
 * ox_sgemm on the pool's threads when the product is worth it. BLAS itself
 * runs on one thread: a pool of its own would spin beside ours.
 */
static void pool_sgemm(struct ox_pool *pool, int ta, int tb, int64_t m, int64_t n, int64_t k,
                       float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                       float beta, float *c, int64_t ldc)
{
	struct split_gemm s = {ta, tb, m, n, k, alpha, beta, a, b, lda, ldb, ldc, c, false};
	uint64_t t = ox_pool_threads(pool);

	if (t < 2 || (uint64_t)m * (uint64_t)n * (uint64_t)(k > 0 ? k : 1) < ((uint64_t)1 << 19)) {
		ox_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
		return;
	}
	s.by_rows = (uint64_t)m >= 4 * t;
	ox_parallel_for(pool, s.by_rows ? (uint64_t)m : (uint64_t)(n + 15) / 16, split_range, &s);
}

/* BLAS takes int dimensions: keep every product dimension below 2^31. */
static int check_blas_dims(struct ox_kctx *k, int64_t m, int64_t n, int64_t kk)
{
	if (m > INT32_MAX || n > INT32_MAX || kk > INT32_MAX)
		return ox_fail(k, CU_ELIMIT, "matrix dimensions exceed 2^31");
	return 0;
}

int ox_prep_gemm(struct ox_kctx *k)
{
	struct ox_pval *a = ox_in(k, 0), *b = ox_in(k, 1), *c = ox_in(k, 2);
	struct ox_params *p = &k->st->p;

	if (a->t.dtype != ONNX_FLOAT || b->t.dtype != ONNX_FLOAT || (c && c->t.dtype != ONNX_FLOAT))
		return ox_fail(k, CU_EUNSUPPORTED, "only float tensors are supported");
	if (a->t.rank != 2 || b->t.rank != 2)
		return ox_fail(k, CU_EFORMAT, "A and B must be matrices");
	p->trans_a = ox_attr_int(k->n, "transA", 0) != 0;
	p->trans_b = ox_attr_int(k->n, "transB", 0) != 0;
	p->a = ox_attr_float(k->n, "alpha", 1.0f);
	p->b = ox_attr_float(k->n, "beta", 1.0f);
	int64_t m = a->t.dims[p->trans_a ? 1 : 0], kk = a->t.dims[p->trans_a ? 0 : 1];
	int64_t kb = b->t.dims[p->trans_b ? 1 : 0], n = b->t.dims[p->trans_b ? 0 : 1];
	if (kk != kb)
		return ox_fail(k, CU_EFORMAT, "inner dimensions %lld and %lld differ",
		               (long long)kk, (long long)kb);
	p->outer = m;
	p->mid = n;
	p->inner = kk;
	if (c != NULL) {
		if (c->t.rank > 2)
			return ox_fail(k, CU_EFORMAT, "C has rank %u", c->t.rank);
		p->rows = c->t.rank == 2 ? c->t.dims[0] : 1;
		p->cols = c->t.rank >= 1 ? c->t.dims[c->t.rank - 1] : 1;
		if ((p->rows != 1 && p->rows != m) || (p->cols != 1 && p->cols != n))
			return ox_fail(k, CU_EFORMAT, "C does not broadcast to [%lld, %lld]",
			               (long long)m, (long long)n);
	}
	int64_t dims[2] = {m, n};
	int rc = check_blas_dims(k, m, n, kk);
	return rc != 0 ? rc : ox_set_out(k, 0, ONNX_FLOAT, 2, dims);
}

/* A Gemm of at most this many rows of A, not transposed, goes by gemv_range. */
#define OX_GEMV_ROWS 2
/* Columns of C per block: a block of B's rows (transposed) or of B's columns. */
#define OX_GEMV_COLS 64

struct gemv_job {
	const struct ox_params *p;
	const float *a, *b;
	float *y, beta;
};

/* y[r] = the dot product of a with row r of b (rows ldb apart), for r in [0, 4); n values. */
OX_HOT static void dot4(const float *restrict a, const float *restrict b, int64_t ldb, int64_t n,
                        float *y)
{
	const float *b0 = b, *b1 = b + ldb, *b2 = b + 2 * ldb, *b3 = b + 3 * ldb;
	float s0[16] = {0}, s1[16] = {0}, s2[16] = {0}, s3[16] = {0}, t0 = 0, t1 = 0, t2 = 0,
	      t3 = 0;
	int64_t i = 0;

	for (; i + 16 <= n; i += 16)
		for (int l = 0; l < 16; l++) {
			s0[l] += a[i + l] * b0[i + l];
			s1[l] += a[i + l] * b1[i + l];
			s2[l] += a[i + l] * b2[i + l];
			s3[l] += a[i + l] * b3[i + l];
		}
	for (; i < n; i++) {
		t0 += a[i] * b0[i];
		t1 += a[i] * b1[i];
		t2 += a[i] * b2[i];
		t3 += a[i] * b3[i];
	}
	for (int l = 0; l < 16; l++) {
		t0 += s0[l];
		t1 += s1[l];
		t2 += s2[l];
		t3 += s3[l];
	}
	y[0] = t0;
	y[1] = t1;
	y[2] = t2;
	y[3] = t3;
}

/* acc[j] += av * row[j] for j in [0, n). */
OX_HOT static void add_row(float *restrict acc, const float *restrict row, float av, int64_t n)
{
	for (int64_t j = 0; j < n; j++)
		acc[j] += av * row[j];
}

/* Blocks [begin, end) of OX_GEMV_COLS columns of C, every row. */
static void gemv_range(void *arg, uint64_t begin, uint64_t end, unsigned slice)
{
	const struct gemv_job *g = arg;
	const struct ox_params *p = g->p;
	int64_t n = p->mid, kk = p->inner;
	int64_t j0 = (int64_t)begin * OX_GEMV_COLS, j1 = (int64_t)end * OX_GEMV_COLS;
	float acc[OX_GEMV_COLS];

	(void)slice;
	if (j1 > n)
		j1 = n;
	for (int64_t i = 0; i < p->outer; i++) {
		const float *a = g->a + i * kk;
		float *y = g->y + i * n;
		for (int64_t j = j0; j < j1; j += OX_GEMV_COLS) {
			int64_t nc = j1 - j < OX_GEMV_COLS ? j1 - j : OX_GEMV_COLS, c = 0;
			if (p->trans_b) {
				for (; c + 4 <= nc; c += 4)
					dot4(a, g->b + (j + c) * kk, kk, kk, acc + c);
				for (float rest[4]; c < nc; c++) { /* one row, four times */
					dot4(a, g->b + (j + c) * kk, 0, kk, rest);
					acc[c] = rest[0];
				}
			} else {
				memset(acc, 0, (size_t)nc * sizeof(float));
				for (int64_t k = 0; k < kk; k++)
					add_row(acc, g->b + k * n + j, a[k], nc);
			}
			/* C (already in y) counts only when beta does: 0 * inf is no zero */
			for (c = 0; c < nc; c++)
				y[j + c] = g->beta != 0.0f ? p->a * acc[c] + g->beta * y[j + c]
				                           : p->a * acc[c];
		}
	}
}

int ox_run_gemm(const struct ox_run *r)
{
	const struct ox_params *p = r->p;
	int64_t m = p->outer, n = p->mid, kk = p->inner;
	float *y = r->out[0]->data, beta = 0.0f;

	if (r->in[2] != NULL && p->b != 0.0f) {
		const float *c = r->in[2]->data;
		for (int64_t i = 0; i < m; i++)
			for (int64_t j = 0; j < n; j++)
				y[i * n + j] =
				    c[(p->rows == 1 ? 0 : i) * p->cols + (p->cols == 1 ? 0 : j)];
		beta = p->b;
	}
	if (m <= OX_GEMV_ROWS && !p->trans_a) {
		struct gemv_job g = {p, r->in[0]->data, r->in[1]->data, y, beta};
		uint64_t blocks = (uint64_t)(n + OX_GEMV_COLS - 1) / OX_GEMV_COLS;
		bool split = (uint64_t)m * (uint64_t)n * (uint64_t)kk >= ((uint64_t)1 << 17);
		ox_parallel_for(split ? r->pool : NULL, blocks, gemv_range, &g);
		return 0;
	}
	pool_sgemm(r->pool, p->trans_a, p->trans_b, m, n, kk, p->a, r->in[0]->data,
	           p->trans_a ? m : kk, r->in[1]->data, p->trans_b ? kk : n, beta, y, n);
	return 0;
}

/* Batch dims of t (all but the matrix dims) right-aligned into out[0..nb). */
static void batch_dims(const struct onnx_tensor *t, uint32_t nb, int64_t *out)
{
	uint32_t tb = t->rank > 2 ? t->rank - 2 : 0;

	for (uint32_t i = 0; i < nb; i++)
		out[i] = i < nb - tb ? 1 : t->dims[i - (nb - tb)];
}

int ox_prep_matmul(struct ox_kctx *k)
{
	struct ox_pval *a = ox_in(k, 0), *b = ox_in(k, 1);
	struct ox_params *p = &k->st->p;
	int64_t dims[ONNX_MAX_RANK];
	uint32_t ra = a->t.rank, rb = b->t.rank, nb, r = 0;

	if (a->t.dtype != ONNX_FLOAT || b->t.dtype != ONNX_FLOAT)
		return ox_fail(k, CU_EUNSUPPORTED, "only float tensors are supported");
	if (ra < 1 || rb < 1)
		return ox_fail(k, CU_EFORMAT, "scalars cannot be multiplied as matrices");
	p->outer = ra == 1 ? 1 : a->t.dims[ra - 2];
	p->inner = a->t.dims[ra - 1];
	p->mid = rb == 1 ? 1 : b->t.dims[rb - 1];
	if ((rb == 1 ? b->t.dims[0] : b->t.dims[rb - 2]) != p->inner)
		return ox_fail(k, CU_EFORMAT, "inner dimensions differ");
	nb = (ra > rb ? ra : rb);
	nb = nb > 2 ? nb - 2 : 0;
	p->mm_rank = nb;
	batch_dims(&a->t, nb, p->mm_a);
	batch_dims(&b->t, nb, p->mm_b);
	for (uint32_t i = 0; i < nb; i++) {
		if (p->mm_a[i] != p->mm_b[i] && p->mm_a[i] != 1 && p->mm_b[i] != 1)
			return ox_fail(k, CU_EFORMAT, "batch dimensions do not broadcast");
		p->mm_out[i] = p->mm_a[i] == 1 ? p->mm_b[i] : p->mm_a[i];
		dims[r++] = p->mm_out[i];
	}
	if (ra > 1)
		dims[r++] = p->outer;
	if (rb > 1)
		dims[r++] = p->mid;
	int rc = check_blas_dims(k, p->outer, p->mid, p->inner);
	return rc != 0 ? rc : ox_set_out(k, 0, ONNX_FLOAT, r, dims);
}

/* Offset (in matrices) of batch index idx within a tensor of batch dims bd. */
static uint64_t batch_offset(const int64_t *bd, const int64_t *idx, uint32_t nb)
{
	uint64_t off = 0;

	for (uint32_t i = 0; i < nb; i++)
		off = off * (uint64_t)bd[i] + (uint64_t)(bd[i] == 1 ? 0 : idx[i]);
	return off;
}

int ox_run_matmul(const struct ox_run *r)
{
	const struct ox_params *p = r->p;
	const float *a = r->in[0]->data, *b = r->in[1]->data;
	float *y = r->out[0]->data;
	int64_t m = p->outer, n = p->mid, kk = p->inner, idx[ONNX_MAX_RANK] = {0};
	uint64_t total = 1, bsz = 1;

	for (uint32_t i = 0; i < p->mm_rank; i++) {
		total *= (uint64_t)p->mm_out[i];
		bsz *= (uint64_t)p->mm_b[i];
	}
	if (bsz == 1 && batch_offset(p->mm_a, p->mm_out, 0) == 0) {
		/* B is one matrix and A is not broadcast: one product of all rows. */
		bool a_full = true;
		for (uint32_t i = 0; i < p->mm_rank; i++)
			a_full = a_full && p->mm_a[i] == p->mm_out[i];
		if (a_full) {
			pool_sgemm(r->pool, 0, 0, (int64_t)total * m, n, kk, 1.0f, a, kk, b, n,
			           0.0f, y, n);
			return 0;
		}
	}
	for (uint64_t t = 0; t < total; t++) {
		uint64_t oa = batch_offset(p->mm_a, idx, p->mm_rank);
		uint64_t ob = batch_offset(p->mm_b, idx, p->mm_rank);
		pool_sgemm(r->pool, 0, 0, m, n, kk, 1.0f, a + oa * m * kk, kk, b + ob * kk * n, n,
		           0.0f, y + t * m * n, n);
		for (int32_t i = (int32_t)p->mm_rank - 1; i >= 0; i--) {
			if (++idx[i] < p->mm_out[i])
				break;
			idx[i] = 0;
		}
	}
	return 0;
}

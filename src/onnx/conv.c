/*
 * conv.c - Conv: im2col and BLAS sgemm per image and group; 1x1 convs
 * with unit stride and no padding multiply the input directly; depthwise
 * convs (one input and one output channel per group) use a direct kernel.
 * Bias and a fused Relu or Clip are applied in one pass after the product.
 */
#include <string.h>

#include "common/err.h"
#include "onnx/internal.h"

static bool is_pointwise(const struct ox_window *w)
{
	for (int i = 0; i < OX_SP; i++)
		if (w->k[i] != 1 || w->s[i] != 1 || w->pb[i] != 0 || w->pe[i] != 0)
			return false;
	return true;
}

static bool is_depthwise(const struct ox_window *w)
{
	return w->group == w->c && w->m == w->c && w->group > 1;
}

static uint64_t kvol(const struct ox_window *w)
{
	return (uint64_t)(w->k[0] * w->k[1] * w->k[2]);
}

static uint64_t ovol(const struct ox_window *w)
{
	return (uint64_t)(w->out[0] * w->out[1] * w->out[2]);
}

/* Threads that split a batch by images: all of them when each gets at least two images. */
static int64_t batch_threads(const struct ox_window *w, unsigned threads)
{
	if (threads <= 1 || is_depthwise(w) || w->n < 2 * (int64_t)threads)
		return 1;
	return threads;
}

int ox_prep_conv(struct ox_kctx *k)
{
	struct ox_pval *x = ox_in(k, 0), *wt = ox_in(k, 1), *b = ox_in(k, 2);
	struct ox_window *w = &k->st->p.w;
	int64_t dims[ONNX_MAX_RANK];
	int rc;

	if (x->t.dtype != ONNX_FLOAT || wt->t.dtype != ONNX_FLOAT ||
	    (b && b->t.dtype != ONNX_FLOAT))
		return ox_fail(k, CU_EUNSUPPORTED, "only float tensors are supported");
	if (wt->t.rank != x->t.rank)
		return ox_fail(k, CU_EFORMAT, "weights of rank %u for input of rank %u", wt->t.rank,
		               x->t.rank);
	if ((rc = ox_window_init(k, &x->t, wt->t.dims + 2, 0, w)) != 0)
		return rc;
	w->group = ox_attr_int(k->n, "group", 1);
	w->m = wt->t.dims[0];
	if (w->group < 1 || w->c % w->group != 0 || w->m % w->group != 0 ||
	    wt->t.dims[1] != w->c / w->group)
		return ox_fail(
		    k, CU_EFORMAT,
		    "channels (%lld in, %lld out, %lld per group in W) do not fit group %lld",
		    (long long)w->c, (long long)w->m, (long long)wt->t.dims[1],
		    (long long)w->group);
	if (b != NULL && (b->t.rank != 1 || b->t.dims[0] != w->m))
		return ox_fail(k, CU_EFORMAT, "bias must have %lld values", (long long)w->m);
	ox_window_dims(w, x->t.rank, dims);
	if ((rc = ox_set_out(k, 0, ONNX_FLOAT, x->t.rank, dims)) != 0)
		return rc;
	if (!is_pointwise(w) && !is_depthwise(w)) {
		uint64_t rows = (uint64_t)(w->c / w->group) * kvol(w);
		if (rows != 0 && ovol(w) > k->m->lim.max_elements / rows)
			return ox_fail(k, CU_ELIMIT, "the im2col buffer is too large");
		k->st->ws_bytes = rows * ovol(w) * sizeof(float);
	}
	/* With threads and a batch, each thread takes whole images and its own workspace. */
	k->st->p.axis = batch_threads(w, k->plan->threads);
	if (k->st->ws_bytes > k->m->lim.max_memory / (uint64_t)k->st->p.axis)
		return ox_fail(k, CU_ELIMIT, "the im2col buffers are too large");
	k->st->p.mid = (int64_t)k->st->ws_bytes / (int64_t)sizeof(float);
	k->st->ws_bytes *= (uint64_t)k->st->p.axis;
	return 0;
}

/* One row of im2col: input channel plane x, kernel tap (a, b, e), all outputs. */
static void im2col_row(const struct ox_window *w, const float *x, int64_t a, int64_t b, int64_t e,
                       float *row)
{
	for (int64_t o0 = 0; o0 < w->out[0]; o0++) {
		int64_t i0 = o0 * w->s[0] - w->pb[0] + a * w->d[0];
		for (int64_t o1 = 0; o1 < w->out[1]; o1++) {
			int64_t i1 = o1 * w->s[1] - w->pb[1] + b * w->d[1];
			float *r = row + (o0 * w->out[1] + o1) * w->out[2];
			if (i0 < 0 || i0 >= w->in[0] || i1 < 0 || i1 >= w->in[1]) {
				memset(r, 0, (size_t)w->out[2] * sizeof(float));
				continue;
			}
			const float *src = x + (i0 * w->in[1] + i1) * w->in[2];
			int64_t base = e * w->d[2] - w->pb[2], s = w->s[2], lo, hi;
			ox_tap_range(base, s, w->in[2], w->out[2], &lo, &hi);
			for (int64_t o2 = 0; o2 < lo; o2++)
				r[o2] = 0.0f;
			if (s == 1 && hi > lo)
				memcpy(r + lo, src + lo + base, (size_t)(hi - lo) * sizeof(float));
			else
				for (int64_t o2 = lo; o2 < hi; o2++)
					r[o2] = src[o2 * s + base];
			for (int64_t o2 = hi > lo ? hi : lo; o2 < w->out[2]; o2++)
				r[o2] = 0.0f;
		}
	}
}

/* im2col of input channels [c0, c1) of x into their rows of col. */
static void im2col(const struct ox_window *w, const float *x, int64_t c0, int64_t c1, float *col)
{
	uint64_t ov = ovol(w), plane = (uint64_t)(w->in[0] * w->in[1] * w->in[2]);
	float *row = col + (uint64_t)c0 * kvol(w) * ov;

	for (int64_t c = c0; c < c1; c++)
		for (int64_t a = 0; a < w->k[0]; a++)
			for (int64_t b = 0; b < w->k[1]; b++)
				for (int64_t e = 0; e < w->k[2]; e++) {
					im2col_row(w, x + c * plane, a, b, e, row);
					row += ov;
				}
}

/* y[c, :] = act(y[c, :] + bias[c]) for every output channel of one image. */
OX_HOT static void epilogue(const struct ox_params *p, const float *bias, float *y, int64_t m,
                            uint64_t ov)
{
	for (int64_t c = 0; c < m; c++) {
		float bv = bias != NULL ? bias[c] : 0.0f, *r = y + c * ov;
		switch (p->act) {
		case OX_ACT_RELU:
			for (uint64_t i = 0; i < ov; i++) {
				float v = r[i] + bv;
				r[i] = v > 0.0f ? v : 0.0f;
			}
			break;
		case OX_ACT_CLIP:
			for (uint64_t i = 0; i < ov; i++) {
				float v = r[i] + bv;
				r[i] = v < p->a ? p->a : v > p->b ? p->b : v;
			}
			break;
		default:
			if (bias != NULL)
				for (uint64_t i = 0; i < ov; i++)
					r[i] += bv;
		}
	}
}

/* dst[o] += wv * row[o * s + base] for o in [lo, hi): the inner loop of the direct kernel. */
OX_HOT static void axpy_strided(float *restrict dst, const float *restrict row, int64_t base,
                                float wv, int64_t lo, int64_t hi, int64_t s)
{
	if (s == 1)
		for (int64_t o = lo; o < hi; o++)
			dst[o] += wv * row[o + base];
	else
		for (int64_t o = lo; o < hi; o++)
			dst[o] += wv * row[o * s + base];
}

/* Depthwise, one channel: each output row accumulates the kernel taps that reach it. */
static void depthwise_plane(const struct ox_window *w, const float *x, const float *wk, float *y)
{
	int64_t ow = w->out[2], sw = w->s[2], lo[64], hi[64];
	bool small = w->k[2] <= 64;

	memset(y, 0, ovol(w) * sizeof(float));
	for (int64_t e = 0; small && e < w->k[2]; e++)
		ox_tap_range(e * w->d[2] - w->pb[2], sw, w->in[2], ow, &lo[e], &hi[e]);
	for (int64_t o0 = 0; o0 < w->out[0]; o0++)
		for (int64_t o1 = 0; o1 < w->out[1]; o1++) {
			float *dst = y + (o0 * w->out[1] + o1) * ow;
			for (int64_t a = 0; a < w->k[0]; a++) {
				int64_t i0 = o0 * w->s[0] - w->pb[0] + a * w->d[0];
				if (i0 < 0 || i0 >= w->in[0])
					continue;
				for (int64_t b = 0; b < w->k[1]; b++) {
					int64_t i1 = o1 * w->s[1] - w->pb[1] + b * w->d[1];
					if (i1 < 0 || i1 >= w->in[1])
						continue;
					const float *row = x + (i0 * w->in[1] + i1) * w->in[2];
					for (int64_t e = 0; e < w->k[2]; e++) {
						int64_t base = e * w->d[2] - w->pb[2], l, h;
						if (small) {
							l = lo[e];
							h = hi[e];
						} else {
							ox_tap_range(base, sw, w->in[2], ow, &l,
							             &h);
						}
						axpy_strided(dst, row, base,
						             wk[(a * w->k[1] + b) * w->k[2] + e], l,
						             h, sw);
					}
				}
			}
		}
}

struct dw_ctx {
	const struct ox_run *r;
	uint64_t ov, plane;
};

/* Depthwise planes [begin, end) of the whole batch, with bias and activation. */
static void depthwise_range(void *arg, uint64_t begin, uint64_t end, unsigned slice)
{
	const struct dw_ctx *d = arg;
	const struct ox_window *w = &d->r->p->w;
	const float *x = d->r->in[0]->data, *wt = d->r->in[1]->data;
	const float *bias = d->r->in[2] != NULL ? d->r->in[2]->data : NULL;
	float *y = d->r->out[0]->data;

	(void)slice;
	for (uint64_t p = begin; p < end; p++) {
		int64_t c = (int64_t)(p % (uint64_t)w->c);
		depthwise_plane(w, x + p * d->plane, wt + c * (int64_t)kvol(w), y + p * d->ov);
		epilogue(d->r->p, bias != NULL ? bias + c : NULL, y + p * d->ov, 1, d->ov);
	}
}

/* One image and group of a Conv, split across the pool by channels and by output rows. */
struct conv_job {
	const struct ox_window *w;
	const float *x, *wt;
	float *col, *y;
	int64_t cg, mg;
	uint64_t ov, kk;
};

static void im2col_range(void *arg, uint64_t begin, uint64_t end, unsigned slice)
{
	const struct conv_job *j = arg;

	(void)slice;
	im2col(j->w, j->x, (int64_t)begin, (int64_t)end, j->col);
}

static void gemm_rows(void *arg, uint64_t begin, uint64_t end, unsigned slice)
{
	const struct conv_job *j = arg;

	(void)slice;
	ox_sgemm(0, 0, (int64_t)(end - begin), (int64_t)j->ov, (int64_t)j->kk, 1.0f,
	         j->wt + begin * j->kk, (int64_t)j->kk, j->col, (int64_t)j->ov, 0.0f,
	         j->y + begin * j->ov, (int64_t)j->ov);
}

/* Products smaller than this (multiply-adds) are not worth splitting. */
#define OX_SPLIT_MIN ((uint64_t)1 << 19)

struct gemm_ctx {
	const struct ox_run *r;
	uint64_t ov, plane;
	struct ox_pool *inner; /* split each image's work, or NULL */
};

/* Images [begin, end) through im2col, BLAS and the epilogue, with workspace number slice. */
static void images_range(void *arg, uint64_t begin, uint64_t end, unsigned slice)
{
	const struct gemm_ctx *d = arg;
	const struct ox_run *r = d->r;
	const struct ox_window *w = &r->p->w;
	const float *bias = r->in[2] != NULL ? r->in[2]->data : NULL;
	float *ws = r->ws;
	struct conv_job j = {w, NULL, NULL, NULL, NULL, w->c / w->group, w->m / w->group, d->ov, 0};

	j.kk = (uint64_t)j.cg * kvol(w);
	if (ws != NULL)
		ws += (uint64_t)r->p->mid * slice;
	bool split_gemm = d->inner != NULL && (uint64_t)j.mg * j.ov * j.kk >= OX_SPLIT_MIN;
	for (uint64_t n = begin; n < end; n++) {
		const float *xn = (const float *)r->in[0]->data + n * (uint64_t)w->c * d->plane;
		float *yn = (float *)r->out[0]->data + n * (uint64_t)w->m * d->ov;
		for (int64_t g = 0; g < w->group; g++) {
			j.x = xn + g * j.cg * d->plane;
			j.wt = (const float *)r->in[1]->data + (uint64_t)g * j.mg * j.kk;
			j.y = yn + (uint64_t)g * j.mg * d->ov;
			j.col = (float *)(uintptr_t)j.x;
			if (!is_pointwise(w)) {
				j.col = ws;
				ox_parallel_for(d->inner, (uint64_t)j.cg, im2col_range, &j);
			}
			ox_parallel_for(split_gemm ? d->inner : NULL, (uint64_t)j.mg, gemm_rows,
			                &j);
		}
		epilogue(r->p, bias, yn, w->m, d->ov);
	}
}

int ox_run_conv(const struct ox_run *r)
{
	const struct ox_window *w = &r->p->w;
	uint64_t ov = ovol(w), plane = (uint64_t)(w->in[0] * w->in[1] * w->in[2]);

	if (is_depthwise(w)) {
		struct dw_ctx d = {r, ov, plane};
		bool big = ov * (uint64_t)w->c * (uint64_t)w->n * kvol(w) >= (1u << 16);
		ox_parallel_for(big ? r->pool : NULL, (uint64_t)(w->n * w->c), depthwise_range, &d);
		return 0;
	}
	/* A batch planned for several threads splits by images, each with its workspace. */
	bool by_image = r->p->axis > 1 && ox_pool_threads(r->pool) == (unsigned)r->p->axis;
	struct gemm_ctx d = {r, ov, plane, by_image ? NULL : r->pool};
	if (by_image)
		ox_parallel_for(r->pool, (uint64_t)w->n, images_range, &d);
	else
		images_range(&d, 0, (uint64_t)w->n, 0);
	return 0;
}

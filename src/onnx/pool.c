/* pool.c - MaxPool, AveragePool and GlobalAveragePool over 1 to 3 spatial dims. */
#include <float.h>
#include <string.h>

#include "common/err.h"
#include "onnx/internal.h"

int ox_prep_pool(struct ox_kctx *k)
{
	struct ox_pval *x = ox_in(k, 0);
	struct ox_window *w = &k->st->p.w;
	int64_t dims[ONNX_MAX_RANK];
	int rc;

	if (x->t.dtype != ONNX_FLOAT)
		return ox_fail(k, CU_EUNSUPPORTED, "only float tensors are supported");
	if (k->n->op == OX_AVGPOOL && ox_attr_get(k->n, "dilations") != NULL) {
		const struct ox_attr *d = ox_attr_get(k->n, "dilations");
		for (uint32_t i = 0; i < d->n; i++)
			if (d->ints[i] != 1)
				return ox_fail(k, CU_EUNSUPPORTED,
				               "dilated average pooling is not supported");
	}
	rc = ox_window_init(k, &x->t, NULL, ox_attr_int(k->n, "ceil_mode", 0) != 0, w);
	if (rc != 0)
		return rc;
	w->m = w->c;
	w->count_include_pad = ox_attr_int(k->n, "count_include_pad", 0) != 0;
	w->col_major = ox_attr_int(k->n, "storage_order", 0) != 0;
	ox_window_dims(w, x->t.rank, dims);
	if ((rc = ox_set_out(k, 1, ONNX_INT64, x->t.rank, dims)) != 0)
		return rc;
	return ox_set_out(k, 0, ONNX_FLOAT, x->t.rank, dims);
}

/* The window of output o along dim i: first tap, and taps [lo, hi) that land inside. */
static void taps(const struct ox_window *w, int i, int64_t o, int64_t *start, int64_t *lo,
                 int64_t *hi)
{
	int64_t s = o * w->s[i] - w->pb[i], d = w->d[i];

	*start = s;
	*lo = s >= 0 ? 0 : (-s + d - 1) / d;
	*hi = w->in[i] - s <= 0 ? 0 : (w->in[i] - s + d - 1) / d;
	if (*hi > w->k[i])
		*hi = w->k[i];
}

static float pool_one(const struct ox_window *w, const float *x, const int64_t *o, bool is_max,
                      int64_t *arg)
{
	int64_t st[OX_SP], lo[OX_SP], hi[OX_SP];
	float acc = is_max ? -FLT_MAX : 0.0f;
	int64_t inside = 0, padded = 1;

	for (int i = 0; i < OX_SP; i++) {
		taps(w, i, o[i], &st[i], &lo[i], &hi[i]);
		/* the padded window: taps within [-pb, in + pe) */
		int64_t lim = w->in[i] + w->pe[i] - st[i];
		int64_t cnt = lim <= 0 ? 0 : (lim + w->d[i] - 1) / w->d[i];
		padded *= cnt < w->k[i] ? cnt : w->k[i];
	}
	for (int64_t a = lo[0]; a < hi[0]; a++)
		for (int64_t b = lo[1]; b < hi[1]; b++) {
			const float *row =
			    x + ((st[0] + a * w->d[0]) * w->in[1] + st[1] + b * w->d[1]) * w->in[2];
			for (int64_t e = lo[2]; e < hi[2]; e++) {
				float v = row[st[2] + e * w->d[2]];
				if (is_max && (v > acc || *arg < 0)) {
					acc = v;
					*arg = (row - x) + st[2] + e * w->d[2];
				} else if (!is_max)
					acc += v;
				inside++;
			}
		}
	if (is_max)
		return acc;
	int64_t div = w->count_include_pad ? padded : inside;
	return div > 0 ? acc / (float)div : 0.0f;
}

/* A row-major offset within a plane as MaxPool reports it. */
static int64_t index_of(const struct ox_window *w, int64_t arg)
{
	if (!w->col_major)
		return arg;
	int64_t i2 = arg % w->in[2], i1 = arg / w->in[2] % w->in[1],
	        i0 = arg / (w->in[2] * w->in[1]);
	return i0 + w->in[0] * (i1 + w->in[1] * i2);
}

/*
 * dst[o] = max(dst[o], row[o * s + base]) or += for o in [lo, hi). Strides
 * 1 and 2 (nearly every pooling) have loops of their own, which the
 * compiler turns into vector code.
 */
OX_HOT static void row_taps(float *restrict dst, const float *restrict row, int64_t base,
                            int64_t lo, int64_t hi, int64_t s, bool is_max)
{
#define MAX_TAPS(stride)                                                                           \
	for (int64_t o = lo; o < hi; o++) {                                                        \
		float v = row[o * (stride) + base];                                                \
		dst[o] = v > dst[o] ? v : dst[o];                                                  \
	}
	if (is_max && s == 1)
		MAX_TAPS(1)
	else if (is_max && s == 2)
		MAX_TAPS(2)
	else if (is_max)
		MAX_TAPS(s)
#undef MAX_TAPS
	else
		for (int64_t o = lo; o < hi; o++)
			dst[o] += row[o * s + base];
}

/* Taps of dim i within the padded input [-pb, in + pe) for output o. */
static int64_t padded_count(const struct ox_window *w, int i, int64_t o)
{
	int64_t lim = w->in[i] + w->pe[i] - (o * w->s[i] - w->pb[i]);
	int64_t cnt = lim <= 0 ? 0 : (lim + w->d[i] - 1) / w->d[i];

	return cnt < w->k[i] ? cnt : w->k[i];
}

/* Taps of dim i that land inside the input for output o. */
static int64_t inside_count(const struct ox_window *w, int i, int64_t o)
{
	int64_t st, lo, hi;

	taps(w, i, o, &st, &lo, &hi);
	return hi > lo ? hi - lo : 0;
}

/* One output row (fixed o0, o1) of one plane, accumulated tap row by tap row. */
static void pool_row(const struct ox_window *w, const float *x, int64_t o0, int64_t o1, bool is_max,
                     float *dst)
{
	int64_t ow = w->out[2];

	for (int64_t o = 0; o < ow; o++)
		dst[o] = is_max ? -FLT_MAX : 0.0f;
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
				int64_t base = e * w->d[2] - w->pb[2];
				int64_t lo, hi;

				ox_tap_range(base, w->s[2], w->in[2], ow, &lo, &hi);
				row_taps(dst, row, base, lo, hi, w->s[2], is_max);
			}
		}
	}
	if (is_max)
		return;
	for (int64_t o = 0; o < ow; o++) {
		int64_t div =
		    w->count_include_pad
		        ? padded_count(w, 0, o0) * padded_count(w, 1, o1) * padded_count(w, 2, o)
		        : inside_count(w, 0, o0) * inside_count(w, 1, o1) * inside_count(w, 2, o);
		dst[o] = div > 0 ? dst[o] / (float)div : 0.0f;
	}
}

/*
 * The interior outputs [lo, hi) of one output row of a 2-d MaxPool whose
 * window is K wide, stride S, undilated: every tap of an output in
 * registers, from the nr window rows inside the input, in the general
 * path's order and with its comparison (so -0 and +0 come out the same).
 */
#define MAX_SMALL(K, S)                                                                            \
	for (int64_t o = lo; o < hi; o++) {                                                        \
		const int64_t c = o * (S)-pb;                                                      \
		float m = -FLT_MAX;                                                                \
		for (int r = 0; r < nr; r++)                                                       \
			for (int e = 0; e < (K); e++) {                                            \
				float v = rows[r][c + e];                                          \
				m = v > m ? v : m;                                                 \
			}                                                                          \
		dst[o] = m;                                                                        \
	}

OX_HOT static void max_small(const float *const *rows, int nr, int64_t k, int64_t s, int64_t pb,
                             int64_t lo, int64_t hi, float *restrict dst)
{
	if (k == 3 && s == 2 && nr == 3) {
		const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2];
		for (int64_t o = lo; o < hi; o++) {
			const int64_t c = o * 2 - pb;
			float m = -FLT_MAX,
			      v[9] = {r0[c],     r0[c + 1], r0[c + 2], r1[c],    r1[c + 1],
			              r1[c + 2], r2[c],     r2[c + 1], r2[c + 2]};
			for (int t = 0; t < 9; t++)
				m = v[t] > m ? v[t] : m;
			dst[o] = m;
		}
	} else if (k == 3 && s == 2)
		MAX_SMALL(3, 2)
	else if (k == 3 && s == 1)
		MAX_SMALL(3, 1)
	else
		MAX_SMALL(k, s)
}
#undef MAX_SMALL

/* Whether a 2-d MaxPool goes by max_small: a window at most 3 wide and high, undilated. */
static bool is_max_small(const struct ox_window *w)
{
	return w->in[0] == 1 && w->k[0] == 1 && w->k[1] <= 3 && w->k[2] <= 3 && w->d[1] == 1 &&
	       w->d[2] == 1;
}

/* One output row of a MaxPool that is_max_small: the edges one by one, checking each tap. */
static void max_small_row(const struct ox_window *w, const float *x, int64_t o1, float *dst)
{
	const float *rows[3];
	int nr = 0;
	int64_t k = w->k[2], s = w->s[2], pb = w->pb[2], in = w->in[2], ow = w->out[2];

	for (int64_t b = 0; b < w->k[1]; b++) {
		int64_t i1 = o1 * w->s[1] - w->pb[1] + b;
		if (i1 >= 0 && i1 < w->in[1])
			rows[nr++] = x + i1 * in;
	}
	/* outputs whose taps all lie inside the row: o * s - pb >= 0 and o * s - pb + k <= in */
	int64_t lo = (pb + s - 1) / s, hi = in - k + pb >= 0 ? (in - k + pb) / s + 1 : 0;
	hi = hi < ow ? hi : ow;
	lo = lo < hi ? lo : hi;
	max_small(rows, nr, k, s, pb, lo, hi, dst);
	for (int64_t o = 0; o < ow; o++) {
		if (o == lo)
			o = hi;
		if (o >= ow)
			break;
		float m = -FLT_MAX;
		for (int r = 0; r < nr; r++)
			for (int64_t e = 0; e < k; e++) {
				int64_t c = o * s - pb + e;
				float v = c >= 0 && c < in ? rows[r][c] : m;
				m = v > m ? v : m;
			}
		dst[o] = m;
	}
}

/* MaxPool 2x2, stride 2, no pads or dilation, one plane: the common case, without tap ranges. */
OX_HOT static void max2x2(const struct ox_window *w, const float *restrict x, float *restrict y)
{
	for (int64_t o1 = 0; o1 < w->out[1]; o1++) {
		const float *r0 = x + 2 * o1 * w->in[2], *r1 = r0 + w->in[2];
		float *d = y + o1 * w->out[2];
		for (int64_t o = 0; o < w->out[2]; o++) {
			/* the taps in the general path's order, with its comparison */
			float m = -FLT_MAX,
			      v[4] = {r0[2 * o], r0[2 * o + 1], r1[2 * o], r1[2 * o + 1]};
			for (int t = 0; t < 4; t++)
				m = v[t] > m ? v[t] : m;
			d[o] = m;
		}
	}
}

static bool is_max2x2(const struct ox_window *w)
{
	return w->in[0] == 1 && w->k[0] == 1 && w->k[1] == 2 && w->k[2] == 2 && w->s[1] == 2 &&
	       w->s[2] == 2 && w->d[1] == 1 && w->d[2] == 1 && w->pb[1] == 0 && w->pb[2] == 0 &&
	       w->out[1] * 2 <= w->in[1] && w->out[2] * 2 <= w->in[2];
}

struct pool_ctx {
	const struct ox_run *r;
	bool is_max;
};

/* Planes [begin, end) of the batch. */
static void pool_planes(void *ctx, uint64_t begin, uint64_t end, unsigned slice)
{
	const struct pool_ctx *pc = ctx;
	const struct ox_run *r = pc->r;
	const struct ox_window *w = &r->p->w;
	uint64_t plane = (uint64_t)(w->in[0] * w->in[1] * w->in[2]);
	uint64_t oplane = (uint64_t)(w->out[0] * w->out[1] * w->out[2]);
	int64_t *ind = r->out[1] != NULL ? r->out[1]->data : NULL;
	int64_t o[OX_SP];
	bool fast = pc->is_max && ind == NULL && is_max2x2(w);

	(void)slice;
	for (uint64_t c = begin; c < end; c++) {
		const float *xc = (const float *)r->in[0]->data + c * plane;
		float *y = (float *)r->out[0]->data + c * oplane;
		if (fast) {
			max2x2(w, xc, y);
			continue;
		}
		if (ind == NULL && pc->is_max && is_max_small(w)) {
			for (int64_t o1 = 0; o1 < w->out[1]; o1++, y += w->out[2])
				max_small_row(w, xc, o1, y);
			continue;
		}
		if (ind == NULL) {
			for (o[0] = 0; o[0] < w->out[0]; o[0]++)
				for (o[1] = 0; o[1] < w->out[1]; o[1]++) {
					pool_row(w, xc, o[0], o[1], pc->is_max, y);
					y += w->out[2];
				}
			continue;
		}
		int64_t *ic = ind + c * oplane;
		for (o[0] = 0; o[0] < w->out[0]; o[0]++)
			for (o[1] = 0; o[1] < w->out[1]; o[1]++)
				for (o[2] = 0; o[2] < w->out[2]; o[2]++) {
					int64_t arg = -1;
					*y++ = pool_one(w, xc, o, pc->is_max, &arg);
					*ic++ =
					    arg < 0 ? -1 : (int64_t)(c * plane) + index_of(w, arg);
				}
	}
}

static int run_pool(const struct ox_run *r, bool is_max)
{
	const struct ox_window *w = &r->p->w;
	struct pool_ctx pc = {r, is_max};
	uint64_t planes = (uint64_t)(w->n * w->c);
	uint64_t work = planes * (uint64_t)(w->in[0] * w->in[1] * w->in[2]);

	/* Below a quarter million inputs, a hand-off costs more than it saves. */
	ox_parallel_for(work >= ((uint64_t)1 << 18) ? r->pool : NULL, planes, pool_planes, &pc);
	return 0;
}

int ox_run_maxpool(const struct ox_run *r)
{
	return run_pool(r, true);
}

int ox_run_avgpool(const struct ox_run *r)
{
	return run_pool(r, false);
}

int ox_prep_gap(struct ox_kctx *k)
{
	struct ox_pval *x = ox_in(k, 0);
	int64_t dims[ONNX_MAX_RANK];

	if (x->t.dtype != ONNX_FLOAT)
		return ox_fail(k, CU_EUNSUPPORTED, "only float tensors are supported");
	if (x->t.rank < 3)
		return ox_fail(k, CU_EFORMAT, "input rank %u (need at least 3)", x->t.rank);
	k->st->p.outer = x->t.dims[0] * x->t.dims[1];
	k->st->p.inner = 1;
	for (uint32_t i = 0; i < x->t.rank; i++) {
		dims[i] = i < 2 ? x->t.dims[i] : 1;
		if (i >= 2)
			k->st->p.inner *= x->t.dims[i];
	}
	return ox_set_out(k, 0, ONNX_FLOAT, x->t.rank, dims);
}

int ox_run_gap(const struct ox_run *r)
{
	const float *x = r->in[0]->data;
	float *y = r->out[0]->data;
	int64_t inner = r->p->inner;

	for (int64_t c = 0; c < r->p->outer; c++) {
		float acc = 0.0f;
		for (int64_t i = 0; i < inner; i++)
			acc += x[c * inner + i];
		y[c] = inner > 0 ? acc / (float)inner : 0.0f;
	}
	return 0;
}

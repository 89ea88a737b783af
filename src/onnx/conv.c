/*
 * conv.c - Conv. With constant weights and a kernel of sgemm.c for this
 * CPU, the weights are packed at plan time and a dense Conv goes by
 * sgemm.c's direct product, which reads the padded input in place (no
 * im2col at all); the bias, a fused residual and a fused Relu or Clip in
 * the kernel's store. Grouped convs, and those with few output channels,
 * go by the usual product, im2col rows packed straight from the padded
 * input into its B panels. Otherwise: im2col and BLAS sgemm per image and
 * group, bias and activation in one pass after. 1x1 convs with unit stride
 * and no padding multiply the input directly; depthwise convs (one input
 * and one output channel per group) use one direct kernel over padded channels.
 */
#include <stdlib.h>
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

/*
 * The padded input: every spatial axis extended by its pads (zeros), so
 * that every tap of every output lands inside it.
 */
static void padded_dims(const struct ox_window *w, int64_t *p)
{
	for (int i = 0; i < OX_SP; i++) {
		int64_t reach = (w->out[i] - 1) * w->s[i] + (w->k[i] - 1) * w->d[i] + 1;
		p[i] = w->in[i] + w->pb[i] + w->pe[i];
		if (p[i] < reach)
			p[i] = reach;
	}
}

/* Whether the padded input differs from the input: pads, or taps reaching past it. */
static bool needs_pad(const struct ox_window *w)
{
	int64_t p[OX_SP];

	padded_dims(w, p);
	for (int i = 0; i < OX_SP; i++)
		if (p[i] != w->in[i])
			return true;
	return false;
}

/*
 * Whether the padded input's volume is at most max, and at most 2^40 so
 * that products of its dims stay far from overflow (each dim may be up
 * to 2^31 + 2^25: the products here are checked).
 */
static bool padded_fits(const struct ox_window *w, uint64_t max)
{
	int64_t p[OX_SP];
	uint64_t v = 1;

	padded_dims(w, p);
	for (int i = 0; i < OX_SP; i++)
		if (__builtin_mul_overflow(v, (uint64_t)p[i], &v))
			return false;
	return v <= max && v <= (uint64_t)1 << 40;
}

static uint64_t padded_vol(const struct ox_window *w)
{
	int64_t p[OX_SP];

	padded_dims(w, p);
	return (uint64_t)(p[0] * p[1] * p[2]);
}

/*
 * A depthwise channel's scratch (depthwise_plane): the padded plane split
 * into phases by position modulo the strides (padded index i * s + q is
 * index i of phase q, on every axis), then the sums on the phase grid.
 * An axis with one output has no stride to split by. Positions step
 * through (phase, index) pairs by adding, without a division per step.
 */
struct dw_pos {
	int64_t q, i;
};

/* The sums go by whole blocks: no loop for the leftovers, which cost more than a block. */
#define DW_BLOCK 16

struct dw_geom {
	int64_t s[OX_SP];         /* the strides split by */
	int64_t ph[OX_SP];        /* a phase's dims: the padded dims over s, rounded up */
	int64_t nph, pvol;        /* phases; floats in one */
	int64_t len;              /* sums on the phase grid: to the last output, in whole blocks */
	struct dw_pos pad[OX_SP]; /* where the input's first position lands */
	struct dw_pos dil[OX_SP]; /* one dilation step */
};

static void dw_geom(const struct ox_window *w, struct dw_geom *g)
{
	int64_t p[OX_SP];

	padded_dims(w, p);
	g->nph = 1;
	g->pvol = 1;
	for (int i = 0; i < OX_SP; i++) {
		g->s[i] = w->out[i] > 1 ? w->s[i] : 1;
		g->ph[i] = (p[i] + g->s[i] - 1) / g->s[i];
		g->nph *= g->s[i];
		g->pvol *= g->ph[i];
		g->pad[i] = (struct dw_pos){w->pb[i] % g->s[i], w->pb[i] / g->s[i]};
		g->dil[i] = (struct dw_pos){w->d[i] % g->s[i], w->d[i] / g->s[i]};
	}
	g->len = ((w->out[0] - 1) * g->ph[1] + w->out[1] - 1) * g->ph[2] + w->out[2];
	g->len = (g->len + DW_BLOCK - 1) / DW_BLOCK * DW_BLOCK;
}

/* p += by along an axis of stride s. */
static inline void dw_step(struct dw_pos *p, struct dw_pos by, int64_t s)
{
	p->q += by.q;
	p->i += by.i;
	if (p->q >= s) {
		p->q -= s;
		p->i++;
	}
}

/*
 * The scratch of one depthwise channel, in floats: the phases and a block
 * of zeros (a tap's whole blocks may read past its phase), then the sums;
 * in whole cache lines, so that the threads' scratches share none.
 */
static uint64_t depthwise_scratch(const struct ox_window *w)
{
	struct dw_geom g;

	dw_geom(w, &g);
	return ((uint64_t)(g.nph * g.pvol + DW_BLOCK) + (uint64_t)g.len + 15) / 16 * 16;
}

/* n floats, inline: the runs are short, a call to memcpy would cost more than the copy. */
static inline void copy_floats(float *restrict d, const float *restrict s, int64_t n)
{
	for (; n >= 8; n -= 8, d += 8, s += 8)
		__builtin_memcpy(d, s, 8 * sizeof(float));
	if (n & 4) {
		__builtin_memcpy(d, s, 4 * sizeof(float));
		d += 4;
		s += 4;
	}
	if (n & 2) {
		__builtin_memcpy(d, s, 2 * sizeof(float));
		d += 2;
		s += 2;
	}
	if (n & 1)
		*d = *s;
}

struct pad_job {
	const struct ox_window *w;
	const float *x;
	float *xp;
};

/* Channels [begin, end) of one image into the padded buffer. */
static void pad_range(void *arg, uint64_t begin, uint64_t end, unsigned slice)
{
	const struct pad_job *j = arg;
	const struct ox_window *w = j->w;
	int64_t p[OX_SP], in = w->in[0] * w->in[1] * w->in[2];

	(void)slice;
	padded_dims(w, p);
	for (uint64_t c = begin; c < end; c++) {
		const float *x = j->x + c * (uint64_t)in;
		float *d = j->xp + c * (uint64_t)(p[0] * p[1] * p[2]);
		for (int64_t i0 = 0; i0 < p[0]; i0++)
			for (int64_t i1 = 0; i1 < p[1]; i1++, d += p[2]) {
				int64_t s0 = i0 - w->pb[0], s1 = i1 - w->pb[1];
				if (s0 < 0 || s0 >= w->in[0] || s1 < 0 || s1 >= w->in[1]) {
					memset(d, 0, (size_t)p[2] * sizeof(float));
					continue;
				}
				memset(d, 0, (size_t)w->pb[2] * sizeof(float));
				memcpy(d + w->pb[2], x + (s0 * w->in[1] + s1) * w->in[2],
				       (size_t)w->in[2] * sizeof(float));
				memset(d + w->pb[2] + w->in[2], 0,
				       (size_t)(p[2] - w->pb[2] - w->in[2]) * sizeof(float));
			}
	}
}

static uint64_t round16(uint64_t v)
{
	return (v + 15) / 16 * 16;
}

/*
 * Whether the Conv goes by the direct product (ox_direct_run), which reads
 * its A from the padded input in place: no im2col rows to pack. One group,
 * not pointwise (the usual product's B is then the input itself), K up to
 * OX_DIRECT_KMAX, offsets that fit an int32, and at most a tenth more
 * multiply-adds than the usual product (the direct one's tiles are
 * positions by channels: few channels leave their columns idle).
 */
static bool use_direct(const struct ox_window *w, int isa)
{
	uint64_t pos = ovol(w), m = (uint64_t)w->m, kk = (uint64_t)w->c * kvol(w);
	uint64_t mr = (uint64_t)ox_gemm_mr(isa), nr = (uint64_t)ox_gemm_nr(isa);

	if (w->group != 1 || mr == 0 || is_pointwise(w) || kk == 0 || kk > OX_DIRECT_KMAX)
		return false;
	if (!padded_fits(w, INT32_MAX) || padded_vol(w) > INT32_MAX / (uint64_t)w->c ||
	    pos > INT32_MAX)
		return false;
	uint64_t usual = (m + mr - 1) / mr * mr * ((pos + nr - 1) / nr * nr);
	uint64_t direct = (pos + mr - 1) / mr * mr * ((m + nr - 1) / nr * nr);
	return direct * 10 <= usual * 11;
}

/*
 * The direct product's offsets into the padded input (one group): for
 * each row of K (input channel, then kernel tap) where it lies from a
 * window's start, then for each run of output positions along the last
 * axis where its first window starts (the next ones are a stride apart).
 */
static void direct_offsets(const struct ox_window *w, int32_t *offs)
{
	int64_t p[OX_SP];

	padded_dims(w, p);
	int64_t plane = p[0] * p[1] * p[2];
	for (int64_t c = 0; c < w->c; c++)
		for (int64_t a = 0; a < w->k[0]; a++)
			for (int64_t b = 0; b < w->k[1]; b++)
				for (int64_t e = 0; e < w->k[2]; e++)
					*offs++ =
					    (int32_t)(c * plane +
					              (a * w->d[0] * p[1] + b * w->d[1]) * p[2] +
					              e * w->d[2]);
	for (int64_t o0 = 0; o0 < w->out[0]; o0++)
		for (int64_t o1 = 0; o1 < w->out[1]; o1++)
			*offs++ = (int32_t)((o0 * w->s[0] * p[1] + o1 * w->s[1]) * p[2]);
}

/*
 * Constant weights of a Conv the engine's own products run: pack them for
 * the kernel now, group by group (with the direct product's offsets after
 * them), and size the workspace: per image slice, the padded input; per
 * thread, for the usual product, a B buffer, where the im2col rows are
 * made as they are packed.
 */
static int pack_weights(struct ox_kctx *k, const struct ox_pval *wt)
{
	struct ox_params *p = &k->st->p;
	const struct ox_window *w = &p->w;
	int isa = ox_gemm_isa();
	int64_t mg = w->m / w->group, kk = (w->c / w->group) * (int64_t)kvol(w);
	uint64_t max = k->m->lim.max_elements;

	/* Sizes below are products of these: bound each first. */
	if ((needs_pad(w) && !padded_fits(w, max)) || (uint64_t)kk > max || (uint64_t)w->c > max)
		return ox_fail(k, CU_ELIMIT, "the Conv's buffers are too large");
	p->direct = use_direct(w, isa);
	uint64_t per =
	    p->direct ? ox_gemm_pack_bt_floats(isa, mg, kk) : ox_gemm_pack_a_floats(isa, mg, kk);
	uint64_t bytes = per * (uint64_t)w->group * sizeof(float);
	uint64_t bufs =
	    p->direct ? 0 : ox_gemm_pack_b_floats(isa) * k->plan->threads * sizeof(float);

	if (p->direct) /* K, then one per run of outputs along the last axis: each below 2^31 */
		bytes += ((uint64_t)kk + (uint64_t)(w->out[0] * w->out[1])) * sizeof(int32_t);
	k->plan->const_bytes += bytes;
	if (k->plan->const_bytes > k->m->lim.max_memory || bufs > k->m->lim.max_memory)
		return ox_fail(k, CU_ELIMIT, "the packed weights exceed the memory limit");
	if ((p->pack = malloc(bytes > 0 ? bytes : 1)) == NULL)
		return CU_ENOMEM;
	for (int64_t g = 0; g < w->group; g++) {
		const float *wg = (const float *)wt->t.data + (uint64_t)g * (uint64_t)(mg * kk);
		if (p->direct)
			ox_gemm_pack_bt(isa, wg, mg, kk, p->pack + (uint64_t)g * per);
		else
			ox_gemm_pack_a(isa, wg, mg, kk, p->pack + (uint64_t)g * per);
	}
	if (p->direct) {
		p->offs = (int32_t *)(p->pack + per);
		direct_offsets(w, p->offs);
	}
	p->isa = isa;
	/*
	 * Per image slice, the padded input (unless it is the input); then per
	 * thread, a B buffer. Each in whole cache lines: the slices' buffers
	 * share none.
	 */
	p->mid = 0;
	if (!is_pointwise(w) && needs_pad(w)) {
		uint64_t pv = padded_vol(w);
		if (pv != 0 && (uint64_t)w->c > max / pv)
			return ox_fail(k, CU_ELIMIT, "the padded input is too large");
		p->mid = (int64_t)round16(pv * (uint64_t)w->c);
	}
	if ((uint64_t)p->mid > k->m->lim.max_memory / sizeof(float) / (uint64_t)p->axis)
		return ox_fail(k, CU_ELIMIT, "the padded inputs exceed the memory limit");
	uint64_t pads = (uint64_t)p->mid * (uint64_t)p->axis * sizeof(float);
	if (pads > k->m->lim.max_memory - bufs)
		return ox_fail(k, CU_ELIMIT, "the padded inputs exceed the memory limit");
	k->st->ws_bytes = pads + bufs;
	return 0;
}

/* A depthwise Conv: per thread, the scratch of one channel (depthwise_padded). */
static int depthwise_workspace(struct ox_kctx *k)
{
	struct ox_params *p = &k->st->p;

	/* Its phases, each axis rounded up to the stride, are at most 8 times the padded plane. */
	if (!padded_fits(&p->w, k->m->lim.max_elements))
		return ox_fail(k, CU_ELIMIT, "the padded planes are too large");
	uint64_t per = depthwise_scratch(&p->w);
	if (per > k->m->lim.max_elements ||
	    per > k->m->lim.max_memory / sizeof(float) / k->plan->threads)
		return ox_fail(k, CU_ELIMIT, "the padded planes are too large");
	p->mid = (int64_t)per;
	k->st->ws_bytes = per * k->plan->threads * sizeof(float);
	return 0;
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
	/* With threads and a batch, each thread takes whole images and its own workspace. */
	k->st->p.axis = batch_threads(w, k->plan->threads);
	if (!is_depthwise(w) && wt->is_const && !x->is_const && ox_gemm_isa() != OX_ISA_NONE)
		return pack_weights(k, wt);
	if (is_depthwise(w))
		return depthwise_workspace(k);
	if (!is_pointwise(w) && !is_depthwise(w)) {
		uint64_t rows = (uint64_t)(w->c / w->group) * kvol(w);
		if (rows != 0 && ovol(w) > k->m->lim.max_elements / rows)
			return ox_fail(k, CU_ELIMIT, "the im2col buffer is too large");
		k->st->ws_bytes = rows * ovol(w) * sizeof(float);
	}
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

/*
 * y[c, :] = act(y[c, :] + bias[c] + sum[c, :]) for every output channel of
 * one image; sum (the fused residual) may be NULL.
 */
OX_HOT static void epilogue(const struct ox_params *p, const float *bias, const float *sum,
                            float *y, int64_t m, uint64_t ov)
{
	for (int64_t c = 0; c < m; c++) {
		float bv = bias != NULL ? bias[c] : 0.0f, *r = y + c * ov;
		if (sum != NULL) {
			const float *s = sum + (uint64_t)c * ov;
			for (uint64_t i = 0; i < ov; i++)
				r[i] = (r[i] + bv) + s[i];
			bv = 0.0f;
		}
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
			if (bv != 0.0f)
				for (uint64_t i = 0; i < ov; i++)
					r[i] += bv;
		}
	}
}

/* d[i] = s[i * step] for i in [0, n). */
OX_HOT static void gather(float *restrict d, const float *restrict s, int64_t step, int64_t n)
{
	if (step == 2)
		for (int64_t i = 0; i < n; i++)
			d[i] = s[2 * i];
	else
		for (int64_t i = 0; i < n; i++)
			d[i] = s[i * step];
}

/* acc[i] += wv * src[i] for i in [0, n). */
OX_HOT static void axpy(float *restrict acc, const float *restrict src, float wv, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		acc[i] += wv * src[i];
}

/* acc[i] = wv * src[i] for i in [0, n): the first tap. */
OX_HOT static void scale(float *restrict acc, const float *restrict src, float wv, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		acc[i] = wv * src[i];
}

/* acc[i] = w[0] * a[i] + w[1] * b[i] + w[2] * c[i]: the first three taps. */
OX_HOT static void set3(float *restrict acc, const float *restrict a, const float *restrict b,
                        const float *restrict c, const float *wv, int64_t n)
{
	float w0 = wv[0], w1 = wv[1], w2 = wv[2];

	for (int64_t i = 0; i < n; i++)
		acc[i] = w0 * a[i] + w1 * b[i] + w2 * c[i];
}

/* acc[i] += w[0] * a[i] + w[1] * b[i] + w[2] * c[i]: three taps. */
OX_HOT static void axpy3(float *restrict acc, const float *restrict a, const float *restrict b,
                         const float *restrict c, const float *wv, int64_t n)
{
	float w0 = wv[0], w1 = wv[1], w2 = wv[2];

	for (int64_t i = 0; i < n; i++)
		acc[i] += w0 * a[i] + w1 * b[i] + w2 * c[i];
}

/*
 * acc[i] = act(bias + the nine taps t[j][i] times their weights): a 3x3
 * kernel, its bias and activation, in one pass; n is whole blocks.
 */
OX_HOT static void dw9(float *restrict acc, const float *restrict t0, const float *restrict t1,
                       const float *restrict t2, const float *restrict t3, const float *restrict t4,
                       const float *restrict t5, const float *restrict t6, const float *restrict t7,
                       const float *restrict t8, const float *wv, float bias,
                       const struct ox_params *p, int64_t n)
{
	const float w0 = wv[0], w1 = wv[1], w2 = wv[2], w3 = wv[3], w4 = wv[4], w5 = wv[5],
	            w6 = wv[6], w7 = wv[7], w8 = wv[8], lo = p->a, hi = p->b;
#define DW9(i)                                                                                     \
	(bias + w0 * t0[i] + w1 * t1[i] + w2 * t2[i] + w3 * t3[i] + w4 * t4[i] + w5 * t5[i] +      \
	 w6 * t6[i] + w7 * t7[i] + w8 * t8[i])

	switch (p->act) {
	case OX_ACT_RELU:
		for (int64_t i = 0; i < n; i += DW_BLOCK)
			for (int64_t j = i; j < i + DW_BLOCK; j++) {
				float v = DW9(j);
				acc[j] = v > 0.0f ? v : 0.0f;
			}
		break;
	case OX_ACT_CLIP:
		for (int64_t i = 0; i < n; i += DW_BLOCK)
			for (int64_t j = i; j < i + DW_BLOCK; j++) {
				float v = DW9(j);
				acc[j] = v < lo ? lo : v > hi ? hi : v;
			}
		break;
	default:
		for (int64_t i = 0; i < n; i += DW_BLOCK)
			for (int64_t j = i; j < i + DW_BLOCK; j++)
				acc[j] = DW9(j);
	}
#undef DW9
}

/* Channel x into its phases: positions from the input only, the zeros around them as they are. */
static void dw_split(const struct ox_window *w, const struct dw_geom *g, const float *x, float *ph)
{
	const int64_t *s = g->s, *P = g->ph, n2 = w->in[2];
	const struct dw_pos one = {1, 0};

	for (struct dw_pos r0 = g->pad[0]; r0.i * s[0] + r0.q < w->pb[0] + w->in[0];
	     dw_step(&r0, one, s[0]))
		for (struct dw_pos r1 = g->pad[1]; r1.i * s[1] + r1.q < w->pb[1] + w->in[1];
		     dw_step(&r1, one, s[1]), x += n2) {
			float *d = ph + (r0.q * s[1] + r1.q) * s[2] * g->pvol +
			           (r0.i * P[1] + r1.i) * P[2];
			if (s[2] == 1) {
				copy_floats(d + w->pb[2], x, n2);
			} else if (s[2] == 2) {
				/* input column f of phase q: f + pb is q modulo 2 */
				for (int64_t q = 0; q < 2; q++) {
					int64_t f = (q + w->pb[2]) & 1;
					if (f < n2)
						gather(d + q * g->pvol + ((f + w->pb[2]) >> 1),
						       x + f, 2, (n2 - f + 1) >> 1);
				}
			} else {
				struct dw_pos c = g->pad[2];
				for (int64_t f = 0; f < n2; f++, dw_step(&c, one, s[2]))
					d[c.q * g->pvol + c.i] = x[f];
			}
		}
}

/* Where tap (a, b, e) of every output reads: its phase, at its offset. */
static const float *dw_tap(const struct dw_geom *g, const float *ph, struct dw_pos t0,
                           struct dw_pos t1, struct dw_pos t2)
{
	return ph + ((t0.q * g->s[1] + t1.q) * g->s[2] + t2.q) * g->pvol +
	       (t0.i * g->ph[1] + t1.i) * g->ph[2] + t2.i;
}

/* The sums of any kernel, tap by tap, three at a time along a row; then bias and activation. */
static void dw_sums(const struct ox_params *prm, const struct dw_geom *g, const float *ph,
                    const float *wk, const float *bias, float *acc)
{
	const struct ox_window *w = &prm->w;
	const float *tap[3];
	int64_t k2 = w->k[2];
	struct dw_pos t0 = {0, 0};

	for (int64_t a = 0; a < w->k[0]; a++, dw_step(&t0, g->dil[0], g->s[0])) {
		struct dw_pos t1 = {0, 0};
		for (int64_t b = 0; b < w->k[1]; b++, dw_step(&t1, g->dil[1], g->s[1])) {
			const float *wr = wk + (a * w->k[1] + b) * k2;
			bool first = a == 0 && b == 0;
			struct dw_pos t2 = {0, 0};
			for (int64_t e = 0; e < k2; e++, dw_step(&t2, g->dil[2], g->s[2])) {
				tap[e % 3] = dw_tap(g, ph, t0, t1, t2);
				if (e % 3 == 2 && first && e == 2)
					set3(acc, tap[0], tap[1], tap[2], wr, g->len);
				else if (e % 3 == 2)
					axpy3(acc, tap[0], tap[1], tap[2], wr + e - 2, g->len);
				else if (e == k2 - 1) { /* the last one or two taps of a row */
					for (int64_t f = e - e % 3; f <= e; f++) {
						if (first && f == 0)
							scale(acc, tap[0], wr[0], g->len);
						else
							axpy(acc, tap[f % 3], wr[f], g->len);
					}
				}
			}
		}
	}
	epilogue(prm, bias, NULL, acc, 1, (uint64_t)g->len);
}

/*
 * Depthwise, one channel, in scratch. The padded channel is split into
 * phases (dw_geom): every output then reads each tap at the same offset
 * of one phase, and a tap multiplies that phase whole, one long
 * contiguous product over the phase grid, whose extra columns are
 * dropped after. A 2-d 3x3 kernel, the common one, sums its nine taps in
 * one pass. fresh: the scratch is new to this shape and is cleared; else
 * the zeros of the padding are still there from the previous channel,
 * and only the input's positions are copied.
 */
static void depthwise_plane(const struct ox_params *prm, const struct dw_geom *g, const float *x,
                            const float *wk, const float *bias, float *y, float *scratch,
                            bool fresh)
{
	const struct ox_window *w = &prm->w;
	float *ph = scratch, *acc = scratch + g->nph * g->pvol + DW_BLOCK;

	if (fresh)
		memset(ph, 0, (size_t)(g->nph * g->pvol + DW_BLOCK) * sizeof(float));
	dw_split(w, g, x, ph);
	if (w->k[0] == 1 && w->k[1] == 3 && w->k[2] == 3) {
		const float *t[9];
		struct dw_pos t0 = {0, 0}, t1 = {0, 0};
		for (int b = 0; b < 3; b++, dw_step(&t1, g->dil[1], g->s[1])) {
			struct dw_pos t2 = {0, 0};
			for (int e = 0; e < 3; e++, dw_step(&t2, g->dil[2], g->s[2]))
				t[b * 3 + e] = dw_tap(g, ph, t0, t1, t2);
		}
		dw9(acc, t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], wk,
		    bias != NULL ? *bias : 0.0f, prm, g->len);
	} else {
		dw_sums(prm, g, ph, wk, bias, acc);
	}
	for (int64_t o0 = 0; o0 < w->out[0]; o0++)
		for (int64_t o1 = 0; o1 < w->out[1]; o1++)
			copy_floats(y + (o0 * w->out[1] + o1) * w->out[2],
			            acc + (o0 * g->ph[1] + o1) * g->ph[2], w->out[2]);
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
	struct dw_geom g;

	dw_geom(w, &g);
	for (uint64_t p = begin; p < end; p++) {
		int64_t c = (int64_t)(p % (uint64_t)w->c);
		depthwise_plane(d->r->p, &g, x + p * d->plane, wt + c * (int64_t)kvol(w),
		                bias != NULL ? bias + c : NULL, y + p * d->ov,
		                (float *)d->r->ws + (uint64_t)slice * (uint64_t)d->r->p->mid,
		                p == begin);
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

/* The padded input of one image and group: the source of its im2col rows. */
struct conv_src {
	const struct ox_window *w;
	const float *xp;
};

/* Columns that share an output row: len of them from column at, reading from offset off. */
struct conv_run {
	int64_t off, len, at;
};

/*
 * Rows [k0, k0 + kc) (input channel and kernel tap) and columns [n0, n0 +
 * nc) (output positions) of an image's im2col matrix, read from its padded
 * input xp, into panels of nr columns ([k][nr], zero-padded, one after
 * another): no bounds to check, no im2col buffer. A row of a panel is a
 * few runs, one per output row it crosses, each a copy (stride 1) or a
 * gather: sgemm.c's B panels.
 */
OX_HOT static void pack_cols(const struct ox_window *w, const float *xp, int nr, int64_t k0,
                             int64_t kc, int64_t n0, int64_t nc, float *dst)
{
	int64_t p[OX_SP], o12 = w->out[1] * w->out[2], kv = (int64_t)kvol(w), s2 = w->s[2];
	struct conv_run runs[OX_GEMM_NR_MAX];

	padded_dims(w, p);
	int64_t plane = p[0] * p[1] * p[2];
	for (int64_t j = 0; j < nc; j += nr, dst += nr * kc) {
		int64_t nv = nc - j < nr ? nc - j : nr, nrun = 0;
		for (int64_t col = n0 + j, at = 0; at < nv; nrun++) {
			int64_t o0 = col / o12, o1 = col % o12 / w->out[2], o2 = col % w->out[2];
			int64_t len = w->out[2] - o2 < nv - at ? w->out[2] - o2 : nv - at;
			runs[nrun] = (struct conv_run){
			    (o0 * w->s[0] * p[1] + o1 * w->s[1]) * p[2] + o2 * s2, len, at};
			col += len;
			at += len;
		}
		int64_t c = k0 / kv, t = k0 % kv, a = t / (w->k[1] * w->k[2]);
		int64_t b = t / w->k[2] % w->k[1], e = t % w->k[2];
		for (int64_t kk = 0; kk < kc; kk++) {
			float *row = dst + kk * nr;
			const float *xk = xp + c * plane +
			                  (a * w->d[0] * p[1] + b * w->d[1]) * p[2] + e * w->d[2];
			for (int64_t q = 0; q < nrun; q++) {
				const struct conv_run *rn = &runs[q];
				float *d = row + rn->at;
				const float *s = xk + rn->off;
				if (s2 == 1)
					copy_floats(d, s, rn->len);
				else if (s2 == 2) /* a loop of its own: vector code */
					for (int64_t i = 0; i < rn->len; i++)
						d[i] = s[2 * i];
				else
					for (int64_t i = 0; i < rn->len; i++)
						d[i] = s[i * s2];
			}
			if (nv < nr)
				memset(row + nv, 0, (size_t)(nr - nv) * sizeof(float));
			/* the next tap: e, then b, then a, then the channel */
			if (++e == w->k[2]) {
				e = 0;
				if (++b == w->k[1]) {
					b = 0;
					if (++a == w->k[0]) {
						a = 0;
						c++;
					}
				}
			}
		}
	}
}

/* sgemm.c's B for a Conv (struct ox_gemm's pack). */
static void pack_im2col(const struct ox_gemm *g, int64_t k0, int64_t kc, int64_t n0, int64_t nc,
                        float *dst)
{
	const struct conv_src *cs = g->src;

	pack_cols(cs->w, cs->xp, ox_gemm_nr(g->isa), k0, kc, n0, nc, dst);
}

/* One group of one image through sgemm.c, split across the threads. */
struct packed_job {
	struct ox_gemm g;
	float *bufs;    /* the threads' B buffers */
	bool by_cols;   /* split by column panels, else by row panels */
	int64_t nr, mp; /* columns per panel; row panels */
};

static void packed_range(void *arg, uint64_t begin, uint64_t end, unsigned slice)
{
	const struct packed_job *j = arg;
	float *buf =
	    j->bufs != NULL ? j->bufs + (uint64_t)slice * ox_gemm_pack_b_floats(j->g.isa) : NULL;

	if (j->by_cols) {
		int64_t n1 = (int64_t)end * j->nr;
		ox_gemm_run(&j->g, 0, j->mp, (int64_t)begin * j->nr, n1 < j->g.n ? n1 : j->g.n,
		            buf);
	} else {
		ox_gemm_run(&j->g, (int64_t)begin, (int64_t)end, 0, j->g.n, buf);
	}
}

/*
 * Product j on the caller's thread with B buffer slice, or split across
 * pool: by column panels, or by row panels when the columns are few.
 * Products under OX_SPLIT_MIN multiply-adds stay on one thread.
 */
static void run_packed(struct packed_job *j, struct ox_pool *pool, unsigned slice)
{
	uint64_t col_panels = (uint64_t)((j->g.n + j->nr - 1) / j->nr), mp = (uint64_t)j->mp;

	if (pool == NULL || (uint64_t)j->g.m * (uint64_t)j->g.n * (uint64_t)j->g.k < OX_SPLIT_MIN) {
		j->by_cols = false;
		packed_range(j, 0, mp, slice);
		return;
	}
	j->by_cols = col_panels >= 4 * (uint64_t)ox_pool_threads(pool) || col_panels >= mp;
	ox_parallel_for(pool, j->by_cols ? col_panels : mp, packed_range, j);
}

/*
 * Output channels y of group grp from its input x (padded, unless the Conv
 * is pointwise): the product, bias, residual sum (at y's place in the
 * fused Add's other operand, or NULL) and activation.
 */
static void packed_product(const struct gemm_ctx *d, const float *x, float *y, const float *sum,
                           int64_t grp, unsigned slice, const float *bias)
{
	const struct ox_params *p = d->r->p;
	const struct ox_window *w = &p->w;
	int isa = p->isa;
	int64_t mg = w->m / w->group, kk = (w->c / w->group) * (int64_t)kvol(w),
	        mr = ox_gemm_mr(isa);
	struct conv_src src = {w, x};
	struct packed_job j = {
	    .g = {.isa = isa,
	          .m = mg,
	          .k = kk,
	          .n = (int64_t)d->ov,
	          .a = p->pack + (uint64_t)grp * ox_gemm_pack_a_floats(isa, mg, kk),
	          .b = x,
	          .ldb = (int64_t)d->ov,
	          .pack = is_pointwise(w) ? NULL : pack_im2col,
	          .src = &src,
	          .c = y,
	          .ldc = (int64_t)d->ov,
	          .bias = bias != NULL ? bias + grp * mg : NULL,
	          .sum = sum,
	          .act = p->act,
	          .lo = p->a,
	          .hi = p->b},
	    .bufs = (float *)d->r->ws + (uint64_t)p->axis * (uint64_t)p->mid,
	    .nr = ox_gemm_nr(isa),
	    .mp = (mg + mr - 1) / mr,
	};
	run_packed(&j, d->inner, slice);
}

/* A direct product of one image, split across the threads by row tiles or by column panels. */
struct direct_job {
	struct ox_direct d;
	int64_t tiles, panels;
	bool by_cols;
};

static void direct_range(void *arg, uint64_t begin, uint64_t end, unsigned slice)
{
	const struct direct_job *j = arg;

	(void)slice;
	if (j->by_cols)
		ox_direct_run(&j->d, 0, j->tiles, (int64_t)begin, (int64_t)end);
	else
		ox_direct_run(&j->d, (int64_t)begin, (int64_t)end, 0, j->panels);
}

/*
 * y = act(conv(xp) + bias + sum) by the direct product. With threads, by
 * column panels (channels) when there are enough and the weights outweigh
 * the input: each thread then reads its part of them once, and all of the
 * input; else by row tiles (positions), each thread its part of the input.
 */
static void direct_product(const struct gemm_ctx *d, const float *xp, float *y, const float *sum,
                           const float *bias)
{
	const struct ox_params *p = d->r->p;
	const struct ox_window *w = &p->w;
	int64_t mr = ox_gemm_mr(p->isa), nr = ox_gemm_nr(p->isa), kk = w->c * (int64_t)kvol(w);
	struct direct_job j = {
	    .d = {.isa = p->isa,
	          .m = (int64_t)d->ov,
	          .n = w->m,
	          .k = kk,
	          .x = xp,
	          .koff = p->offs,
	          .roff = p->offs + kk,
	          .run = w->out[2],
	          .step = w->s[2],
	          .bp = p->pack,
	          .y = y,
	          .ldy = (int64_t)d->ov,
	          .bias = bias,
	          .sum = sum,
	          .act = p->act,
	          .lo = p->a,
	          .hi = p->b},
	    .tiles = ((int64_t)d->ov + mr - 1) / mr,
	    .panels = (w->m + nr - 1) / nr,
	};
	uint64_t threads = ox_pool_threads(d->inner);

	if (threads < 2 || (uint64_t)w->m * d->ov * (uint64_t)kk < OX_SPLIT_MIN) {
		direct_range(&j, 0, (uint64_t)j.tiles, 0);
		return;
	}
	uint64_t input = (uint64_t)w->c * (needs_pad(w) ? padded_vol(w) : d->plane);
	j.by_cols = (uint64_t)j.panels >= 2 * threads && (uint64_t)w->m * (uint64_t)kk >= input;
	ox_parallel_for(d->inner, (uint64_t)(j.by_cols ? j.panels : j.tiles), direct_range, &j);
}

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
		const float *sn = r->sum != NULL
		                      ? (const float *)r->sum->data + n * (uint64_t)w->m * d->ov
		                      : NULL;
		if (r->p->pack != NULL) {
			uint64_t gin = (uint64_t)j.cg * d->plane;
			if (!is_pointwise(w) && needs_pad(w)) {
				struct pad_job pj = {w, xn, ws};
				ox_parallel_for(d->inner, (uint64_t)w->c, pad_range, &pj);
				xn = ws;
				gin = (uint64_t)j.cg * padded_vol(w);
			}
			if (r->p->direct) { /* one group, not pointwise */
				direct_product(d, xn, yn, sn, bias);
				continue;
			}
			for (int64_t g = 0; g < w->group; g++) {
				uint64_t at = (uint64_t)g * j.mg * d->ov;
				packed_product(d, xn + (uint64_t)g * gin, yn + at,
				               sn != NULL ? sn + at : NULL, g, slice, bias);
			}
			continue;
		}
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
		epilogue(r->p, bias, sn, yn, w->m, d->ov);
	}
}

bool ox_conv_takes_sum(const struct ox_params *p)
{
	return !is_depthwise(&p->w);
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

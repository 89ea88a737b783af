/*
 * image_classification.c - classify a batch of images with an ONNX model
 * (src/onnx): the model owner's encrypted model and the business's
 * encrypted images meet only here, inside the TEE (DESIGN.md §9).
 *
 * Input "model": an ONNX model with one float32 input [N,C,H,W] (N
 * symbolic) and one output [N,K] of class scores; its metadata_props say
 * how image bytes become the input ("custos.preprocess", docs/models.md)
 * and may name the classes ("custos.labels", K names separated by ',').
 * Input "images": an IDX file of unsigned bytes, [N,H,W] (C = 1) or
 * [N,H,W,C] (channels interleaved, transposed here to planar).
 * Arguments: "top_k" (default 1, at most K and FN_IC_TOPK_MAX); "preprocess"
 * (optional: the recipe, for a model that carries none; approvers see it).
 * Output "labels": CSV, a header "image,label1,score1,..." then one line per
 * image: its index (from 0), then the top_k classes, best first (a tie goes
 * to the lower index), each with the model's score ("%.6g").
 * Result: "<n> images classified".
 *
 * Images run in batches of FN_IC_BATCH, one thread, no allocation per run
 * once a batch shape is planned.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/reader.h"
#include "functions/builtins_int.h"
#include "onnx/onnx.h"

#define FN_IC_BATCH     16
#define FN_IC_TOPK_MAX  100
#define FN_IC_CLASS_MAX 100000 /* K */
#define FN_IC_CH_MAX    16     /* C */
#define FN_IC_DIM_MAX   4096   /* H, W */
#define FN_IC_IMAGES    10000000
#define FN_IC_LABEL_MAX 128 /* bytes of one class name */

struct recipe {
	float scale;
	float mean[FN_IC_CH_MAX], std[FN_IC_CH_MAX];
};

struct images {
	uint64_t n;
	uint32_t h, w, c;
	const uint8_t *px; /* n * h * w * c bytes, interleaved */
};

/* One number of a recipe: decimal, finite, the whole text. */
static int parse_num(const char *s, size_t len, float *out)
{
	char buf[64], *end;
	double v;

	if (!len || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	v = strtod(buf, &end);
	if (*end || !isfinite(v) || fabs(v) > 3.4e38)
		return -1;
	*out = (float)v;
	return 0;
}

/* "M" or "M1,M2,...,MC" into v[0..c). */
static int parse_list(const char *s, size_t len, uint32_t c, float *v)
{
	uint32_t n = 0;
	size_t i = 0;

	while (i <= len) {
		size_t j = i;

		while (j < len && s[j] != ',')
			j++;
		if (n == FN_IC_CH_MAX || parse_num(s + i, j - i, &v[n++]))
			return -1;
		i = j + 1;
	}
	if (n == 1)
		for (uint32_t k = 1; k < c; k++)
			v[k] = v[0];
	else if (n != c)
		return -1;
	return 0;
}

/* "scale=S;mean=M[,..];std=D[,..]" (docs/models.md), each key at most once, nothing else. */
static int parse_recipe(struct fn_ctx *c, const char *text, uint32_t ch, struct recipe *r)
{
	int seen[3] = {0, 0, 0};
	const char *p = text;

	r->scale = 1;
	for (uint32_t k = 0; k < ch; k++)
		r->mean[k] = 0, r->std[k] = 1;
	while (*p) {
		const char *end = strchr(p, ';'), *eq;
		size_t len = end ? (size_t)(end - p) : strlen(p);
		int key;

		eq = memchr(p, '=', len);
		key = !eq                                       ? -1
		      : (eq - p == 5 && !memcmp(p, "scale", 5)) ? 0
		      : (eq - p == 4 && !memcmp(p, "mean", 4))  ? 1
		      : (eq - p == 3 && !memcmp(p, "std", 3))   ? 2
		                                                : -1;
		if (key < 0 || seen[key]++)
			return fn_fail(c, CU_EFORMAT,
			               "the preprocessing recipe has an unknown or "
			               "repeated field");
		eq++;
		if ((key == 0 && parse_num(eq, (size_t)(p + len - eq), &r->scale)) ||
		    (key == 1 && parse_list(eq, (size_t)(p + len - eq), ch, r->mean)) ||
		    (key == 2 && parse_list(eq, (size_t)(p + len - eq), ch, r->std)))
			return fn_fail(c, CU_EFORMAT,
			               "the preprocessing recipe's %s wants a number or %u numbers",
			               key == 0   ? "scale"
			               : key == 1 ? "mean"
			                          : "std",
			               ch);
		p += len + (end != NULL);
	}
	for (uint32_t k = 0; k < ch; k++)
		if (r->std[k] == 0)
			return fn_fail(c, CU_EINVAL,
			               "the preprocessing recipe divides by a zero std");
	return 0;
}

/* The IDX header of "images": unsigned bytes, 3 or 4 dimensions. */
static int parse_idx(struct fn_ctx *c, const struct fn_input *in, struct images *im)
{
	struct cu_reader r;
	uint32_t magic, d[4] = {0, 0, 0, 1};
	uint64_t bytes;

	cu_reader_init(&r, in->data, in->len);
	if (cu_read_u32be(&r, &magic) || (magic != 0x803 && magic != 0x804))
		return fn_fail(c, CU_EFORMAT,
		               "\"images\" is not an IDX file of unsigned bytes with "
		               "3 or 4 dimensions");
	for (uint32_t i = 0; i < (magic & 0xff); i++)
		if (cu_read_u32be(&r, &d[i]))
			return fn_fail(c, CU_ETRUNC, "\"images\" ends inside its header");
	if (d[0] > FN_IC_IMAGES || !d[1] || !d[2] || !d[3] || d[1] > FN_IC_DIM_MAX ||
	    d[2] > FN_IC_DIM_MAX || d[3] > FN_IC_CH_MAX)
		return fn_fail(c, CU_ELIMIT, "\"images\" has dimensions out of range");
	bytes = (uint64_t)d[0] * d[1] * d[2] * d[3];
	if (bytes != cu_reader_left(&r))
		return fn_fail(c, CU_EFORMAT,
		               "\"images\" holds %zu bytes of pixels, its header says %llu",
		               cu_reader_left(&r), (unsigned long long)bytes);
	*im = (struct images){d[0], d[1], d[2], d[3], cu_reader_cur(&r)};
	return 0;
}

/* The model's single input [N,C,H,W] and output [N,K], checked against the images. */
static int check_model(struct fn_ctx *c, const struct onnx_model *m, const struct images *im,
                       uint64_t *k)
{
	struct onnx_io_info in, out;

	if (onnx_model_num_inputs(m) != 1 || onnx_model_num_outputs(m) != 1 ||
	    onnx_model_input(m, 0, &in) || onnx_model_output(m, 0, &out))
		return fn_fail(c, CU_EINVAL, "the model must have one input and one output");
	if (in.dtype != ONNX_FLOAT || !in.rank_known || in.rank != 4)
		return fn_fail(c, CU_EINVAL, "the model's input must be float32 [N,C,H,W]");
	if (in.dims[1] != im->c || in.dims[2] != im->h || in.dims[3] != im->w)
		return fn_fail(c, CU_EINVAL,
		               "the images are %ux%u with %u channel(s); the model takes %lldx%lld "
		               "with %lld",
		               im->h, im->w, im->c, (long long)in.dims[2], (long long)in.dims[3],
		               (long long)in.dims[1]);
	if (out.rank_known && (out.rank != 2 || out.dims[1] < 1 || out.dims[1] > FN_IC_CLASS_MAX))
		return fn_fail(c, CU_EINVAL, "the model's output must be [N,K] class scores");
	*k = out.rank_known ? (uint64_t)out.dims[1] : 0;
	return 0;
}

/* The class names of "custos.labels" into names[0..k) (pointers into buf), or none. */
static int parse_labels(struct fn_ctx *c, const char *text, uint64_t k, char **buf,
                        const char ***names)
{
	uint64_t n = 1;
	char *p;

	*buf = NULL;
	*names = NULL;
	if (!text)
		return 0;
	for (const char *s = text; *s; s++)
		n += *s == ',';
	if (n != k)
		return fn_fail(c, CU_EINVAL, "the model names %llu classes for %llu scores",
		               (unsigned long long)n, (unsigned long long)k);
	if (!(*buf = strdup(text)) || !(*names = calloc(k, sizeof(**names))))
		return fn_fail(c, CU_ENOMEM, "no memory for the class names");
	p = *buf;
	for (uint64_t i = 0; i < k; i++) {
		(*names)[i] = p;
		p += strcspn(p, ",");
		if (*p)
			*p++ = '\0';
		if (strlen((*names)[i]) > FN_IC_LABEL_MAX || strpbrk((*names)[i], "\"\r\n"))
			return fn_fail(c, CU_EINVAL,
			               "class name %llu is too long or holds a quote "
			               "or a line break",
			               (unsigned long long)i);
	}
	return 0;
}

/* Images [first, first+n) into x, planar, by the recipe. */
static void fill(const struct images *im, const struct recipe *r, uint64_t first, uint64_t n,
                 float *x)
{
	size_t plane = (size_t)im->h * im->w;

	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *src = im->px + (first + i) * plane * im->c;

		for (uint32_t ch = 0; ch < im->c; ch++) {
			float *dst = x + (i * im->c + ch) * plane;

			for (size_t j = 0; j < plane; j++)
				dst[j] = ((float)src[j * im->c + ch] * r->scale - r->mean[ch]) /
				         r->std[ch];
		}
	}
}

/* One line of the CSV: image index, then the top k of scores[0..nk). */
static int write_line(struct fn_output *o, uint64_t index, const float *scores, uint64_t nk,
                      size_t k, const char **names)
{
	size_t best[FN_IC_TOPK_MAX];
	char buf[64 + FN_IC_LABEL_MAX];
	int rc, n;

	for (size_t t = 0; t < k; t++) {
		size_t b = SIZE_MAX;

		for (uint64_t j = 0; j < nk; j++) {
			int taken = 0;

			for (size_t u = 0; u < t; u++)
				taken |= best[u] == j;
			if (!taken && (b == SIZE_MAX || scores[j] > scores[b] ||
			               (isnan(scores[b]) && !isnan(scores[j]))))
				b = j;
		}
		best[t] = b;
	}
	n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)index);
	if ((rc = fn_output_write(o, buf, (size_t)n)))
		return rc;
	for (size_t t = 0; t < k; t++) {
		if (names)
			n = snprintf(buf, sizeof(buf), ",%s,%.6g", names[best[t]], scores[best[t]]);
		else
			n = snprintf(buf, sizeof(buf), ",%zu,%.6g", best[t], scores[best[t]]);
		if ((rc = fn_output_write(o, buf, (size_t)n)))
			return rc;
	}
	return fn_output_write(o, "\n", 1);
}

static int write_header(struct fn_output *o, size_t k)
{
	char buf[48];
	int rc = fn_output_write(o, "image", 5);

	for (size_t t = 1; !rc && t <= k; t++) {
		int n = snprintf(buf, sizeof(buf), ",label%zu,score%zu", t, t);

		rc = fn_output_write(o, buf, (size_t)n);
	}
	return rc ? rc : fn_output_write(o, "\n", 1);
}

struct run {
	struct onnx_model *m;
	struct onnx_session *s;
	float *x;
	char *label_buf;
	const char **names;
};

/* Every batch through the model, each line of the CSV out. */
static int classify(struct fn_ctx *c, struct run *r, const struct images *im,
                    const struct recipe *rec, uint64_t nk, size_t k, struct fn_output *o)
{
	char why[256];
	int rc;

	for (uint64_t first = 0; first < im->n; first += FN_IC_BATCH) {
		uint64_t n = im->n - first < FN_IC_BATCH ? im->n - first : FN_IC_BATCH;
		struct onnx_tensor in = {.dtype = ONNX_FLOAT, .rank = 4, .data = r->x}, out;

		in.dims[0] = (int64_t)n, in.dims[1] = im->c, in.dims[2] = im->h, in.dims[3] = im->w;
		fill(im, rec, first, n, r->x);
		if ((rc = onnx_session_run(r->s, &in, 1, &out, 1, why, sizeof(why))))
			return fn_fail(c, rc, "the model cannot run on these images: %s", why);
		if (out.dtype != ONNX_FLOAT || out.rank != 2 || out.dims[0] != (int64_t)n ||
		    (uint64_t)out.dims[1] != nk)
			return fn_fail(c, CU_EINVAL,
			               "the model's output is not [N,%llu] float32 scores",
			               (unsigned long long)nk);
		for (uint64_t i = 0; i < n; i++)
			if ((rc = write_line(o, first + i, (const float *)out.data + i * nk, nk, k,
			                     r->names)))
				return fn_fail(c, rc, "the labels do not fit: %s", cu_strerror(rc));
	}
	return 0;
}

static int run(struct fn_ctx *c, struct run *r)
{
	const struct fn_input *model = fn_input(c, "model"), *imgs = fn_input(c, "images");
	struct fn_output *o = fn_output(c, "labels");
	const char *text;
	struct recipe rec = {0};
	struct images im = {0};
	char why[256];
	uint64_t nk = 0;
	size_t k;
	int rc;

	if (!model || !imgs || !o)
		return fn_fail(c, CU_EINVAL,
		               "needs the inputs \"model\" and \"images\" and the "
		               "output \"labels\"");
	if ((rc = parse_idx(c, imgs, &im)))
		return rc;
	if ((rc = onnx_model_load(model->data, model->len, NULL, &r->m, why, sizeof(why))))
		return fn_fail(c, rc, "the model is unusable: %s", why);
	if ((rc = check_model(c, r->m, &im, &nk)))
		return rc;
	if (!(text = fn_arg(c, "preprocess")) &&
	    !(text = onnx_model_metadata(r->m, "custos.preprocess")))
		return fn_fail(c, CU_EINVAL,
		               "the model says no custos.preprocess, and the task gives "
		               "no \"preprocess\" argument");
	if ((rc = parse_recipe(c, text, im.c, &rec)))
		return rc;
	if ((rc = fn_arg_size(c, "top_k", 1, FN_IC_TOPK_MAX, &k)))
		return rc;
	if (!k)
		return fn_fail(c, CU_EINVAL, "top_k must be at least 1");
	if (!(r->x = malloc((size_t)FN_IC_BATCH * im.c * im.h * im.w * sizeof(float))))
		return fn_fail(c, CU_ENOMEM, "no memory for a batch of images");
	if ((rc = onnx_session_new(r->m, 1, &r->s)))
		return fn_fail(c, rc, "the model cannot start: %s", cu_strerror(rc));
	if (!nk) { /* the output's width is known once it ran: one image tells */
		struct onnx_tensor in = {.dtype = ONNX_FLOAT, .rank = 4, .data = r->x}, out;

		in.dims[0] = 1, in.dims[1] = im.c, in.dims[2] = im.h, in.dims[3] = im.w;
		memset(r->x, 0, (size_t)im.c * im.h * im.w * sizeof(float));
		if ((rc = onnx_session_run(r->s, &in, 1, &out, 1, why, sizeof(why))))
			return fn_fail(c, rc, "the model cannot run: %s", why);
		if (out.rank != 2 || out.dims[1] < 1 || out.dims[1] > FN_IC_CLASS_MAX)
			return fn_fail(c, CU_EINVAL,
			               "the model's output must be [N,K] class scores");
		nk = (uint64_t)out.dims[1];
	}
	if (k > nk)
		return fn_fail(c, CU_EINVAL, "top_k is %zu but the model knows %llu classes", k,
		               (unsigned long long)nk);
	if ((rc = parse_labels(c, onnx_model_metadata(r->m, "custos.labels"), nk, &r->label_buf,
	                       &r->names)))
		return rc;
	if ((rc = write_header(o, k)))
		return fn_fail(c, rc, "the labels do not fit: %s", cu_strerror(rc));
	if ((rc = classify(c, r, &im, &rec, nk, k, o)))
		return rc;
	fn_result(c, "%llu images classified", (unsigned long long)im.n);
	return 0;
}

int fn_image_classification(struct fn_ctx *c)
{
	struct run r = {0};
	int rc = run(c, &r);

	onnx_session_free(r.s);
	onnx_model_free(r.m);
	free(r.x);
	free(r.label_buf);
	free(r.names);
	return rc;
}

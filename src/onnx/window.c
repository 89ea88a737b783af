/* window.c - the sliding-window geometry shared by Conv and the pools. */
#include <string.h>

#include "common/err.h"
#include "onnx/internal.h"

#define OX_MAX_WINDOW ((int64_t)1 << 24)

/* Copy an INTS attribute of exactly n values into out; absent keeps out. */
static int ints_attr(struct ox_kctx *k, const char *name, uint32_t n, int64_t *out)
{
	const struct ox_attr *a = ox_attr_get(k->n, name);

	if (a == NULL)
		return 0;
	if (a->type != OX_A_INTS || a->n != n)
		return ox_fail(k, CU_EFORMAT, "attribute %s must hold %u integers", name, n);
	memcpy(out, a->ints, n * sizeof(int64_t));
	return 0;
}

static int auto_pad_mode(struct ox_kctx *k, int *mode)
{
	const struct ox_attr *a = ox_attr_get(k->n, "auto_pad");

	*mode = 0;
	if (a == NULL || a->type != OX_A_STRING || strcmp(a->s, "NOTSET") == 0)
		return 0;
	if (strcmp(a->s, "VALID") == 0)
		*mode = 1;
	else if (strcmp(a->s, "SAME_UPPER") == 0)
		*mode = 2;
	else if (strcmp(a->s, "SAME_LOWER") == 0)
		*mode = 3;
	else
		return ox_fail(k, CU_EFORMAT, "auto_pad '%.32s' is unknown", a->s);
	return 0;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
	return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

/* Output size of spatial dim i, and the pads auto_pad implies. */
static int out_size(struct ox_kctx *k, struct ox_window *w, int i, int mode, int ceil_mode)
{
	int64_t ext = (w->k[i] - 1) * w->d[i] + 1;

	if (mode == 1) {
		w->pb[i] = w->pe[i] = 0;
		w->out[i] = ceil_div(w->in[i] - ext + 1, w->s[i]);
	} else if (mode >= 2) {
		w->out[i] = ceil_div(w->in[i], w->s[i]);
		int64_t total = (w->out[i] - 1) * w->s[i] + ext - w->in[i];
		if (total < 0)
			total = 0;
		w->pb[i] = mode == 2 ? total / 2 : total - total / 2;
		w->pe[i] = total - w->pb[i];
	} else {
		int64_t span = w->in[i] + w->pb[i] + w->pe[i] - ext;
		if (span < 0)
			return ox_fail(k, CU_EFORMAT, "the window is larger than the padded input");
		w->out[i] = ceil_mode ? ceil_div(span, w->s[i]) + 1 : span / w->s[i] + 1;
		if (ceil_mode && (w->out[i] - 1) * w->s[i] >= w->in[i] + w->pb[i])
			w->out[i]--;
	}
	if (w->out[i] < 1)
		return ox_fail(k, CU_EFORMAT, "the output would be empty");
	return 0;
}

int ox_window_init(struct ox_kctx *k, const struct onnx_tensor *x, const int64_t *kernel,
                   int ceil_mode, struct ox_window *w)
{
	int64_t ks[OX_SP], st[OX_SP], dl[OX_SP], pads[2 * OX_SP];
	int mode, rc;

	memset(w, 0, sizeof(*w));
	if (x->rank < 3 || x->rank > 2 + OX_SP)
		return ox_fail(k, CU_EUNSUPPORTED, "input rank %u (need 3 to 5)", x->rank);
	uint32_t sp = x->rank - 2, off = OX_SP - sp;
	for (uint32_t i = 0; i < OX_SP; i++)
		ks[i] = st[i] = dl[i] = 1;
	memset(pads, 0, sizeof(pads));
	if (kernel != NULL)
		memcpy(ks, kernel, sp * sizeof(int64_t));
	else if (ox_attr_get(k->n, "kernel_shape") == NULL)
		return ox_fail(k, CU_EFORMAT, "kernel_shape is required");
	if ((rc = ints_attr(k, "kernel_shape", sp, ks)) != 0 ||
	    (rc = ints_attr(k, "strides", sp, st)) != 0 ||
	    (rc = ints_attr(k, "dilations", sp, dl)) != 0 ||
	    (rc = ints_attr(k, "pads", 2 * sp, pads)) != 0 || (rc = auto_pad_mode(k, &mode)) != 0)
		return rc;
	w->n = x->dims[0];
	w->c = x->dims[1];
	for (uint32_t i = 0; i < OX_SP; i++) {
		w->in[i] = w->out[i] = w->k[i] = w->s[i] = w->d[i] = 1;
	}
	for (uint32_t i = 0; i < sp; i++) {
		uint32_t j = off + i;
		w->in[j] = x->dims[2 + i];
		w->k[j] = ks[i];
		w->s[j] = st[i];
		w->d[j] = dl[i];
		w->pb[j] = pads[i];
		w->pe[j] = pads[sp + i];
		if (w->k[j] < 1 || w->s[j] < 1 || w->d[j] < 1 || w->k[j] > OX_MAX_WINDOW ||
		    w->s[j] > OX_MAX_WINDOW || w->d[j] > OX_MAX_WINDOW || w->pb[j] < 0 ||
		    w->pe[j] < 0 || w->pb[j] > OX_MAX_WINDOW || w->pe[j] > OX_MAX_WINDOW)
			return ox_fail(k, CU_EFORMAT, "bad kernel, stride, dilation or pad");
		if ((w->k[j] - 1) * w->d[j] >= OX_MAX_WINDOW)
			return ox_fail(k, CU_ELIMIT, "the dilated kernel is too large");
		if ((rc = out_size(k, w, (int)j, mode, ceil_mode)) != 0)
			return rc;
	}
	return 0;
}

void ox_window_dims(const struct ox_window *w, uint32_t rank, int64_t *dims)
{
	uint32_t sp = rank - 2;

	dims[0] = w->n;
	dims[1] = w->m;
	for (uint32_t i = 0; i < sp; i++)
		dims[2 + i] = w->out[OX_SP - sp + i];
}

void ox_tap_range(int64_t base, int64_t s, int64_t in, int64_t out, int64_t *lo, int64_t *hi)
{
	*lo = base >= 0 ? 0 : (-base + s - 1) / s;
	*hi = in - base <= 0 ? 0 : (in - base + s - 1) / s;
	if (*hi > out)
		*hi = out;
	if (*lo > out)
		*lo = out;
}

/*
 * fuzz_image_classification.c - libFuzzer target for the builtin
 * image-classification's own parsers: the IDX image file and the
 * preprocessing recipe (the model's parser has fuzz_onnx_model). The input
 * is "RECIPE\nTOP_K\nIDX BYTES"; the model is a fixed small one (Flatten,
 * Gemm: [N,1,2,2] -> [N,3]) with class names.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/functions_test_util.h"
#include "../unit/onnx_test_util.h"
#include "onnx/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The model: built once, kept for the process. */
static struct pb *model(void)
{
	static struct pb *m;

	if (!m)
		m = pb_pixel_classifier(NULL, "a,b,c");
	return m;
}

/* The next line of data[*off..size) as a NUL-terminated copy in buf, or NULL. */
static const char *line(const uint8_t *data, size_t size, size_t *off, char *buf, size_t bufsz)
{
	const uint8_t *nl = memchr(data + *off, '\n', size - *off);
	size_t n;

	if (!nl || (n = (size_t)(nl - data - *off)) >= bufsz || memchr(data + *off, 0, n))
		return NULL;
	memcpy(buf, data + *off, n);
	buf[n] = '\0';
	*off += n + 1;
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pb *m = model();
	char recipe[256], topk[32];
	size_t off = 0;
	struct tctx t;

	if (size > (1u << 16) || !line(data, size, &off, recipe, sizeof(recipe)) ||
	    !line(data, size, &off, topk, sizeof(topk)))
		return 0;
	t_init(&t);
	t_in_n(&t, "model", m->b, m->n);
	t_in_n(&t, "images", data + off, size - off);
	t_arg(&t, "preprocess", recipe);
	t_arg(&t, "top_k", topk);
	t_out(&t, "labels", 1 << 20);
	if (t_run(&t, "image-classification") != 0 && !t.c.reason[0])
		abort(); /* every failure says why */
	t_free(&t);
	return 0;
}

/*
 * fuzz_ml.c - libFuzzer target: the machine-learning builtins. The first
 * byte chooses the function and a few arguments; the rest is the model file
 * and the data (split at the first NUL byte, or in the middle), or the
 * training data. Every failure must say why, and every model a trainer
 * writes must read back: predicting a row of zeros with it succeeds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "functions/functions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_MAX (4u << 20)

struct run {
	struct fn_arg args[8];
	struct fn_input in[2];
	struct fn_output out;
	struct fn_ctx c;
};

static int call(struct run *r, const char *fn, size_t nargs, size_t nin, const char *out)
{
	r->out = (struct fn_output){.name = out, .max = OUT_MAX};
	r->c = (struct fn_ctx){.args = r->args,
	                       .nargs = nargs,
	                       .inputs = r->in,
	                       .ninputs = nin,
	                       .outputs = &r->out,
	                       .noutputs = 1};
	int rc = fn_find(fn)->run(&r->c);
	if (rc && !r->c.reason[0])
		abort(); /* every failure says why */
	return rc;
}

/* A model just written must predict a row of feature_size zeros. */
static void predict_back(const char *fn, const struct fn_output *model, size_t features)
{
	struct run r;
	char row[2 * 8 + 1] = {0};

	for (size_t i = 0; i < features; i++)
		memcpy(row + 2 * i, i + 1 < features ? "0," : "0\n", 2);
	r.in[0] = (struct fn_input){"model_file", model->data, model->len};
	r.in[1] = (struct fn_input){"data_file", (const uint8_t *)row, strlen(row)};
	if (call(&r, fn, 0, 2, "result_file"))
		abort();
	free(r.out.data);
}

static void predict(const char *fn, const uint8_t *d, size_t n)
{
	const uint8_t *nul = memchr(d, 0, n);
	size_t split = nul ? (size_t)(nul - d) : n / 2;
	size_t rest = nul ? split + 1 : split;
	struct run r;

	r.in[0] = (struct fn_input){"model_file", d, split};
	r.in[1] = (struct fn_input){"data_file", d + rest, n - rest};
	call(&r, fn, 0, 2, "result_file");
	free(r.out.data);
}

static void train(uint8_t sel, const uint8_t *d, size_t n)
{
	static const char *const losses[] = {"SquaredError", "LAD", "LogLikelyhood"};
	static const char *const digits[] = {"1", "2", "3", "4"};
	const char *features = digits[(sel >> 3) & 3];
	struct run r;
	int gbdt = sel & 4;

	r.in[0] = (struct fn_input){"training_data", d, n};
	r.args[0] = (struct fn_arg){"feature_size", features};
	if (!gbdt) {
		r.args[1] = (struct fn_arg){"alg_iters", "5"};
		r.args[2] = (struct fn_arg){"alg_alpha", (sel & 0x20) ? "100" : "0.5"};
		if (!call(&r, "logistic-regression-train", 3, 1, "model_file"))
			predict_back("logistic-regression-predict", &r.out,
			             (size_t)(*features - '0'));
	} else {
		r.args[1] = (struct fn_arg){"iterations", "4"};
		r.args[2] = (struct fn_arg){"max_depth", digits[(sel >> 5) & 3]};
		r.args[3] = (struct fn_arg){"loss", losses[(sel >> 7) ? 2 : (sel >> 5) & 1]};
		r.args[4] = (struct fn_arg){"data_sample_ratio", (sel & 0x40) ? "0.5" : "1"};
		r.args[5] = (struct fn_arg){"feature_sample_ratio", (sel & 0x40) ? "0.5" : "1"};
		if (!call(&r, "gbdt-train", 6, 1, "trained_model"))
			predict_back("gbdt-predict", &r.out, (size_t)(*features - '0'));
	}
	free(r.out.data);
}

static void pca(uint8_t sel, const uint8_t *d, size_t n)
{
	static const char *const digits[] = {"1", "2", "3", "4"};
	struct run r;

	r.in[0] = (struct fn_input){"input_data", d, n};
	r.args[0] = (struct fn_arg){"feature_size", digits[(sel >> 3) & 3]};
	r.args[1] = (struct fn_arg){"center", (sel & 0x20) ? "true" : "false"};
	r.args[2] = (struct fn_arg){"n", "1"};
	call(&r, "principal-components-analysis", (sel & 0x40) ? 3 : 2, 1, "output_data");
	free(r.out.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	uint8_t sel = data[0];
	data++;
	size--;
	switch (sel & 3) {
	case 0:
		predict((sel & 4) ? "gbdt-predict" : "logistic-regression-predict", data, size);
		break;
	case 1:
	case 2:
		train(sel, data, size);
		break;
	default:
		pca(sel, data, size);
	}
	return 0;
}

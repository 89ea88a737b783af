/* Unit tests: loading and validating ONNX models, malformed ones above all. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "onnx/onnx.h"
#include "onnx_test_util.h"

static char why[512];

static int load(const struct pb *m, const struct onnx_limits *lim, struct onnx_model **out)
{
	why[0] = '\0';
	return onnx_model_load(m->b, m->n, lim, out, why, sizeof(why));
}

/* x[N,4] -> Gemm(W[3,4], transB, bias b[3]) -> Relu -> y[N,3]: initializers, attributes, a dynamic
 * dim. */
static void build_gemm_relu(struct pb *model)
{
	static const float w[12] = {1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1};
	static const float b[3] = {0.5f, -10.0f, 0.0f};
	struct pb *g = pb_new(), *n = pb_new();
	int64_t xd[2] = {-1, 4}, yd[2] = {-1, 3}, wd[2] = {3, 4}, bd[1] = {3};

	pb_node_begin(n, "Gemm", "x W b", "h");
	pb_attr_int(n, "transB", 1);
	pb_sub(g, 1, n);
	pb_node_begin(n, "Relu", "h", "y");
	pb_sub(g, 1, n);
	pb_str(g, 2, "g");
	pb_tensor(g, 5, "W", ONNX_FLOAT, wd, 2, w, sizeof(w));
	pb_tensor(g, 5, "b", ONNX_FLOAT, bd, 1, b, sizeof(b));
	pb_value_info(g, 11, "x", ONNX_FLOAT, xd, 2);
	pb_value_info(g, 12, "y", ONNX_FLOAT, yd, 2);
	pb_model(model, 13, g);
	free(g);
	free(n);
}

/* metadata_props entry key=value appended to model. */
static void add_meta(struct pb *model, const char *key, const char *value)
{
	struct pb *e = pb_new();

	pb_str(e, 1, key);
	pb_str(e, 2, value);
	pb_sub(model, 14, e);
	free(e);
}

/* metadata_props: read back by key; a key twice, or too many entries, refused. */
static void test_metadata(void **state)
{
	struct pb *m = pb_new();
	struct onnx_model *model = NULL;
	char key[16];

	(void)state;
	build_gemm_relu(m);
	add_meta(m, "custos.labels", "a,b,c");
	add_meta(m, "other", "");
	assert_int_equal(onnx_model_load(m->b, m->n, NULL, &model, why, sizeof why), 0);
	assert_string_equal(onnx_model_metadata(model, "custos.labels"), "a,b,c");
	assert_string_equal(onnx_model_metadata(model, "other"), "");
	assert_null(onnx_model_metadata(model, "custos.preprocess"));
	onnx_model_free(model);
	add_meta(m, "other", "again");
	assert_int_equal(onnx_model_load(m->b, m->n, NULL, &model, why, sizeof why), CU_EFORMAT);
	assert_non_null(strstr(why, "given twice"));
	build_gemm_relu(m);
	for (int i = 0; i <= ONNX_META_MAX; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		add_meta(m, key, "v");
	}
	assert_int_equal(onnx_model_load(m->b, m->n, NULL, &model, why, sizeof why), CU_ELIMIT);
	assert_null(model);
	free(m);
}

static void test_valid_model(void **state)
{
	struct pb *m = pb_new();
	struct onnx_model *model = NULL;
	struct onnx_session *s = NULL;
	struct onnx_io_info info;
	float x[8] = {1, 2, 3, 4, -1, -2, -3, -4};
	struct onnx_tensor in = {ONNX_FLOAT, 2, {2, 4}, x}, out[1];

	(void)state;
	build_gemm_relu(m);
	assert_int_equal(load(m, NULL, &model), 0);
	assert_int_equal(onnx_model_num_inputs(model), 1);
	assert_int_equal(onnx_model_num_outputs(model), 1);
	assert_int_equal(onnx_model_input(model, 0, &info), 0);
	assert_string_equal(info.name, "x");
	assert_int_equal(info.rank, 2);
	assert_int_equal(info.dims[0], -1);
	assert_int_equal(info.dims[1], 4);
	assert_int_equal(onnx_model_input(model, 1, &info), CU_EINVAL);
	assert_int_equal(onnx_model_opset(model), 13);
	assert_int_equal(onnx_session_new(model, 0, &s), CU_EINVAL);
	assert_int_equal(onnx_session_new(model, 1, &s), 0);
	for (int rep = 0; rep < 2; rep++) {
		assert_int_equal(onnx_session_run(s, &in, 1, out, 1, why, sizeof(why)), 0);
		const float *y = out[0].data;
		assert_int_equal(out[0].rank, 2);
		assert_int_equal(out[0].dims[0], 2);
		assert_int_equal(out[0].dims[1], 3);
		/* row 0: [1+.5, 2-10, 10] relu; row 1: [-1+.5, -2-10, -10] relu */
		assert_float_equal(y[0], 1.5f, 1e-6);
		assert_float_equal(y[1], 0.0f, 1e-6);
		assert_float_equal(y[2], 10.0f, 1e-6);
		assert_float_equal(y[3], 0.0f, 1e-6);
		assert_float_equal(y[5], 0.0f, 1e-6);
	}
	/* A new batch size replans; a wrong inner dim is refused. */
	in.dims[0] = 1;
	assert_int_equal(onnx_session_run(s, &in, 1, out, 1, why, sizeof(why)), 0);
	assert_int_equal(out[0].dims[0], 1);
	in.dims[1] = 5;
	assert_int_equal(onnx_session_run(s, &in, 1, out, 1, why, sizeof(why)), CU_EINVAL);
	in.dims[1] = 4;
	in.dtype = ONNX_INT64;
	assert_int_equal(onnx_session_run(s, &in, 1, out, 1, why, sizeof(why)), CU_EINVAL);
	assert_int_equal(onnx_session_run(s, &in, 0, out, 1, why, sizeof(why)), CU_EINVAL);
	onnx_session_free(s);
	onnx_model_free(model);
	free(m);
}

static void test_truncated(void **state)
{
	struct pb *m = pb_new();
	struct onnx_model *model = NULL;

	(void)state;
	build_gemm_relu(m);
	for (size_t len = 0; len < m->n; len++) {
		int rc = onnx_model_load(m->b, len, NULL, &model, why, sizeof(why));
		assert_int_not_equal(rc, 0);
		assert_null(model);
	}
	free(m);
}

/* Every single-bit flip either loads (and then runs) or fails with an error. */
static void test_bit_flips(void **state)
{
	struct pb *m = pb_new();
	size_t failed = 0, total = 0;
	float x[8] = {0};
	struct onnx_tensor in = {ONNX_FLOAT, 2, {2, 4}, x}, out[4];

	(void)state;
	build_gemm_relu(m);
	for (size_t i = 0; i < m->n; i++)
		for (int bit = 0; bit < 8; bit++) {
			struct onnx_model *model = NULL;
			struct onnx_session *s = NULL;
			m->b[i] ^= (uint8_t)(1u << bit);
			total++;
			if (onnx_model_load(m->b, m->n, NULL, &model, why, sizeof(why)) != 0) {
				assert_null(model);
				failed++;
			} else {
				assert_int_equal(onnx_session_new(model, 1, &s), 0);
				(void)onnx_session_run(s, &in, onnx_model_num_inputs(model), out, 4,
				                       why, sizeof(why));
				onnx_session_free(s);
				onnx_model_free(model);
			}
			m->b[i] ^= (uint8_t)(1u << bit);
		}
	assert_true(failed > total / 4);
	free(m);
}

/* One-node graph x -> op -> y with extra initializer W of the given dims. */
static void build_one(struct pb *model, const char *op, const char *ins, const int64_t *wd,
                      uint32_t wr)
{
	struct pb *g = pb_new(), *n = pb_new();
	int64_t xd[2] = {2, 2};
	static float data[16];

	pb_node_begin(n, op, ins, "y");
	pb_sub(g, 1, n);
	if (wd != NULL)
		pb_tensor(g, 5, "W", ONNX_FLOAT, wd, wr, data, sizeof(data));
	pb_value_info(g, 11, "x", ONNX_FLOAT, xd, 2);
	pb_value_info(g, 12, "y", ONNX_FLOAT, xd, 2);
	pb_model(model, 13, g);
	free(g);
	free(n);
}

static void expect_fail(const struct pb *m, int rc, const char *needle)
{
	struct onnx_model *model = NULL;

	assert_int_equal(load(m, NULL, &model), rc);
	assert_null(model);
	if (needle != NULL && strstr(why, needle) == NULL)
		fail_msg("reason '%s' lacks '%s'", why, needle);
}

static void test_unsupported_op(void **state)
{
	struct pb *m = pb_new();

	(void)state;
	build_one(m, "LSTM", "x", NULL, 0);
	expect_fail(m, CU_EUNSUPPORTED, "'LSTM'");
	free(m);
}

static void test_missing_initializer(void **state)
{
	struct pb *m = pb_new();

	(void)state;
	build_one(m, "Add", "x W", NULL, 0);
	expect_fail(m, CU_EFORMAT, "'W', which nothing defines");
	free(m);
}

static void test_raw_size_mismatch(void **state)
{
	struct pb *m = pb_new();
	int64_t wd[2] = {3, 3}; /* 9 floats declared, 16 given */

	(void)state;
	build_one(m, "Add", "x W", wd, 2);
	expect_fail(m, CU_EFORMAT, "raw bytes");
	free(m);
}

static void test_huge_dims(void **state)
{
	struct pb *m = pb_new();
	int64_t wd[2] = {(int64_t)1 << 40, (int64_t)1 << 40};
	int64_t deep[9] = {1, 1, 1, 1, 1, 1, 1, 1, 16};
	int64_t neg[2] = {-4, -4};

	(void)state;
	build_one(m, "Add", "x W", wd, 2);
	expect_fail(m, CU_ELIMIT, NULL);
	build_one(m, "Add", "x W", deep, 9);
	expect_fail(m, CU_ELIMIT, "dimensions");
	build_one(m, "Add", "x W", neg, 2);
	expect_fail(m, CU_EFORMAT, "negative");
	free(m);
}

static void test_shape_mismatch(void **state)
{
	struct pb *m = pb_new();
	int64_t wd[1] = {16}; /* [2,2] + [16] does not broadcast */

	(void)state;
	build_one(m, "Add", "x W", wd, 1);
	expect_fail(m, CU_EFORMAT, "broadcast");
	free(m);
}

static void test_cycle(void **state)
{
	struct pb *m = pb_new(), *g = pb_new(), *n = pb_new();
	int64_t xd[1] = {2};

	(void)state;
	pb_node_begin(n, "Add", "x b", "a");
	pb_sub(g, 1, n);
	pb_node_begin(n, "Relu", "a", "b");
	pb_sub(g, 1, n);
	pb_value_info(g, 11, "x", ONNX_FLOAT, xd, 1);
	pb_value_info(g, 12, "a", ONNX_FLOAT, xd, 1);
	pb_model(m, 13, g);
	expect_fail(m, CU_EFORMAT, "cycle");
	free(m);
	free(g);
	free(n);
}

static void test_dangling_output_and_duplicates(void **state)
{
	struct pb *m = pb_new(), *g = pb_new(), *n = pb_new();
	int64_t xd[1] = {2};

	(void)state;
	pb_node_begin(n, "Relu", "x", "y");
	pb_sub(g, 1, n);
	pb_value_info(g, 11, "x", ONNX_FLOAT, xd, 1);
	pb_value_info(g, 12, "zz", ONNX_FLOAT, xd, 1);
	pb_model(m, 13, g);
	expect_fail(m, CU_EFORMAT, "'zz' is never defined");
	g->n = 0;
	pb_node_begin(n, "Relu", "x", "x");
	pb_sub(g, 1, n);
	pb_value_info(g, 11, "x", ONNX_FLOAT, xd, 1);
	pb_value_info(g, 12, "x", ONNX_FLOAT, xd, 1);
	pb_model(m, 13, g);
	expect_fail(m, CU_EFORMAT, "defined twice");
	free(m);
	free(g);
	free(n);
}

static void test_limits(void **state)
{
	struct pb *m = pb_new();
	struct onnx_limits lim;
	struct onnx_model *model = NULL;

	(void)state;
	build_gemm_relu(m);
	onnx_limits_default(&lim);
	lim.max_model_bytes = m->n - 1;
	assert_int_equal(load(m, &lim, &model), CU_ELIMIT);
	onnx_limits_default(&lim);
	lim.max_nodes = 1;
	assert_int_equal(load(m, &lim, &model), CU_ELIMIT);
	onnx_limits_default(&lim);
	lim.max_tensors = 3;
	assert_int_equal(load(m, &lim, &model), CU_ELIMIT);
	onnx_limits_default(&lim);
	lim.max_string = 1;
	assert_int_equal(load(m, &lim, &model), CU_ELIMIT);
	onnx_limits_default(&lim);
	lim.max_memory = 16;
	assert_int_equal(load(m, &lim, &model), CU_ELIMIT);
	assert_null(model);
	free(m);
}

static void test_bad_opset_and_domain(void **state)
{
	struct pb *m = pb_new(), *g = pb_new(), *n = pb_new();
	int64_t xd[1] = {2};

	(void)state;
	pb_node_begin(n, "Relu", "x", "y");
	pb_str(n, 7, "com.microsoft");
	pb_sub(g, 1, n);
	pb_value_info(g, 11, "x", ONNX_FLOAT, xd, 1);
	pb_value_info(g, 12, "y", ONNX_FLOAT, xd, 1);
	pb_model(m, 13, g);
	expect_fail(m, CU_EUNSUPPORTED, "com.microsoft");
	pb_model(m, 99, g);
	expect_fail(m, CU_EUNSUPPORTED, "opset");
	free(m);
	free(g);
	free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_model),
	    cmocka_unit_test(test_metadata),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_bit_flips),
	    cmocka_unit_test(test_unsupported_op),
	    cmocka_unit_test(test_missing_initializer),
	    cmocka_unit_test(test_raw_size_mismatch),
	    cmocka_unit_test(test_huge_dims),
	    cmocka_unit_test(test_shape_mismatch),
	    cmocka_unit_test(test_cycle),
	    cmocka_unit_test(test_dangling_output_and_duplicates),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_bad_opset_and_domain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests: TensorProto parsing and serialization. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "onnx/onnx.h"
#include "onnx_test_util.h"

static char why[256];

static int parse(const struct pb *p, struct onnx_tensor *t)
{
	return onnx_tensor_parse(p->b, p->n, NULL, t, NULL, why, sizeof(why));
}

static void test_roundtrip(void **state)
{
	float f[6] = {1.5f, -2, 3, 4, 5, 6};
	int64_t i[3] = {-1, 0, (int64_t)1 << 40};
	struct onnx_tensor a = {ONNX_FLOAT, 2, {2, 3}, f}, b = {ONNX_INT64, 1, {3}, i}, t;
	uint8_t *buf = NULL;
	size_t len = 0;
	char *name = NULL;

	(void)state;
	assert_int_equal(onnx_tensor_serialize(&a, "x", &buf, &len), 0);
	assert_int_equal(onnx_tensor_parse(buf, len, NULL, &t, &name, why, sizeof(why)), 0);
	assert_string_equal(name, "x");
	assert_int_equal(t.dtype, ONNX_FLOAT);
	assert_int_equal(t.rank, 2);
	assert_int_equal(t.dims[1], 3);
	assert_memory_equal(t.data, f, sizeof(f));
	onnx_tensor_release(&t);
	free(name);
	free(buf);
	assert_int_equal(onnx_tensor_serialize(&b, NULL, &buf, &len), 0);
	assert_int_equal(onnx_tensor_parse(buf, len, NULL, &t, NULL, why, sizeof(why)), 0);
	assert_int_equal(t.dtype, ONNX_INT64);
	assert_memory_equal(t.data, i, sizeof(i));
	onnx_tensor_release(&t);
	onnx_tensor_release(NULL);
	free(buf);
	/* A scalar and an empty tensor. */
	struct onnx_tensor s = {ONNX_FLOAT, 0, {0}, f}, e = {ONNX_FLOAT, 2, {0, 5}, NULL};
	assert_int_equal(onnx_tensor_serialize(&s, "s", &buf, &len), 0);
	assert_int_equal(onnx_tensor_parse(buf, len, NULL, &t, NULL, why, sizeof(why)), 0);
	assert_int_equal(t.rank, 0);
	assert_int_equal(onnx_tensor_count(&t), 1);
	assert_float_equal(*(float *)t.data, 1.5f, 0);
	onnx_tensor_release(&t);
	free(buf);
	assert_int_equal(onnx_tensor_serialize(&e, "e", &buf, &len), 0);
	assert_int_equal(onnx_tensor_parse(buf, len, NULL, &t, NULL, why, sizeof(why)), 0);
	assert_int_equal(onnx_tensor_count(&t), 0);
	onnx_tensor_release(&t);
	free(buf);
}

static void test_typed_fields(void **state)
{
	struct pb *p = pb_new(), *packed = pb_new();
	struct onnx_tensor t;
	float f[2] = {7, 8};

	(void)state;
	/* float_data, packed */
	pb_int(p, 1, 2);
	pb_int(p, 2, ONNX_FLOAT);
	pb_bytes(p, 4, f, sizeof(f));
	assert_int_equal(parse(p, &t), 0);
	assert_float_equal(((float *)t.data)[1], 8.0f, 0);
	onnx_tensor_release(&t);
	/* int32_data widened to int64 */
	p->n = 0;
	pb_int(p, 1, 2);
	pb_int(p, 2, 6);
	pb_varint(packed, 5);
	pb_varint(packed, (uint64_t)(int64_t)-3);
	pb_bytes(p, 5, packed->b, packed->n);
	assert_int_equal(parse(p, &t), 0);
	assert_int_equal(t.dtype, ONNX_INT64);
	assert_int_equal(((int64_t *)t.data)[0], 5);
	assert_int_equal(((int64_t *)t.data)[1], -3);
	onnx_tensor_release(&t);
	/* wrong count of float_data */
	p->n = 0;
	pb_int(p, 1, 3);
	pb_int(p, 2, ONNX_FLOAT);
	pb_bytes(p, 4, f, sizeof(f));
	assert_int_equal(parse(p, &t), CU_EFORMAT);
	assert_null(t.data);
	free(p);
	free(packed);
}

static void test_bad_tensors(void **state)
{
	struct pb *p = pb_new();
	struct onnx_tensor t;
	double d[1] = {1};
	float f[4] = {0};
	int64_t dims9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1}, neg[1] = {-1}, two[1] = {2};
	int64_t huge[2] = {(int64_t)1 << 31, (int64_t)1 << 31};

	(void)state;
	pb_tensor(p, 0, "d", 11, two, 1, d, sizeof(d)); /* double */
	assert_int_equal(parse(p, &t), CU_EUNSUPPORTED);
	p->n = 0;
	pb_tensor(p, 0, "r", ONNX_FLOAT, dims9, 9, f, 4);
	assert_int_equal(parse(p, &t), CU_ELIMIT);
	p->n = 0;
	pb_tensor(p, 0, "n", ONNX_FLOAT, neg, 1, f, 4);
	assert_int_equal(parse(p, &t), CU_EFORMAT);
	p->n = 0;
	pb_tensor(p, 0, "h", ONNX_FLOAT, huge, 2, f, 4);
	assert_int_equal(parse(p, &t), CU_ELIMIT);
	p->n = 0;
	pb_tensor(p, 0, "s", ONNX_FLOAT, two, 1, f, 12); /* 3 floats for 2 */
	assert_int_equal(parse(p, &t), CU_EFORMAT);
	/* external data */
	p->n = 0;
	pb_int(p, 1, 1);
	pb_int(p, 2, ONNX_FLOAT);
	pb_int(p, 14, 1);
	assert_int_equal(parse(p, &t), CU_EUNSUPPORTED);
	/* no data type */
	p->n = 0;
	pb_int(p, 1, 1);
	assert_int_equal(parse(p, &t), CU_EUNSUPPORTED);
	/* truncation of a valid tensor at every length */
	p->n = 0;
	pb_tensor(p, 0, "ok", ONNX_FLOAT, two, 1, f, 8);
	assert_int_equal(parse(p, &t), 0);
	onnx_tensor_release(&t);
	for (size_t len = 1; len < p->n; len++)
		assert_int_not_equal(onnx_tensor_parse(p->b, len, NULL, &t, NULL, why, sizeof(why)),
		                     0);
	/* garbage */
	static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                               0xff, 0xff, 0xff, 0xff, 0x01};
	assert_int_not_equal(
	    onnx_tensor_parse(junk, sizeof(junk), NULL, &t, NULL, why, sizeof(why)), 0);
	/* a limit on the input size */
	struct onnx_limits lim;
	onnx_limits_default(&lim);
	lim.max_model_bytes = 4;
	assert_int_equal(onnx_tensor_parse(p->b, p->n, &lim, &t, NULL, why, sizeof(why)),
	                 CU_ELIMIT);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_typed_fields),
	    cmocka_unit_test(test_bad_tensors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

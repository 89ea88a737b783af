/* Unit tests: the bounds-checked reader and LEB128. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/reader.h"

static void test_fixed_width(void **state)
{
	static const uint8_t b[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
	struct cu_reader r;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;
	uint8_t v8;

	(void)state;
	cu_reader_init(&r, b, sizeof(b));
	assert_int_equal(cu_read_u16le(&r, &v16), 0);
	assert_int_equal(v16, 0x0201);
	assert_int_equal(cu_read_u16be(&r, &v16), 0);
	assert_int_equal(v16, 0x0304);
	assert_int_equal(cu_read_u32le(&r, &v32), 0);
	assert_int_equal(v32, 0x08070605);
	/* Three bytes left: a u64 fails, consumes nothing, zeroes the output. */
	v64 = 99;
	assert_int_equal(cu_read_u64le(&r, &v64), CU_ETRUNC);
	assert_int_equal(v64, 0);
	assert_int_equal(cu_reader_left(&r), 3);
	assert_int_equal(cu_read_u8(&r, &v8), 0);
	assert_int_equal(v8, 9);
	cu_reader_init(&r, b, 8);
	assert_int_equal(cu_read_u64be(&r, &v64), 0);
	assert_int_equal(v64, 0x0102030405060708ULL);
	assert_int_equal(cu_read_u8(&r, &v8), CU_ETRUNC);
}

static void test_sub_and_skip(void **state)
{
	static const uint8_t b[] = {1, 2, 3, 4, 5};
	struct cu_reader r, sub;
	const uint8_t *p;
	uint8_t out[4] = {9, 9, 9, 9};

	(void)state;
	cu_reader_init(&r, b, sizeof(b));
	assert_int_equal(cu_read_sub(&r, &sub, 6), CU_ETRUNC);
	assert_int_equal(cu_reader_left(&sub), 0);
	assert_int_equal(cu_read_sub(&r, &sub, 2), 0);
	assert_int_equal(cu_reader_left(&sub), 2);
	assert_int_equal(cu_read_bytes(&sub, out, 3), CU_ETRUNC);
	assert_int_equal(out[0], 0);
	assert_int_equal(cu_read_ptr(&sub, &p, 2), 0);
	assert_int_equal(p[1], 2);
	assert_int_equal(cu_read_skip(&r, SIZE_MAX), CU_ETRUNC);
	assert_int_equal(cu_read_skip(&r, 3), 0);
	assert_int_equal(cu_reader_left(&r), 0);
	cu_reader_init(&r, NULL, 5);
	assert_int_equal(cu_reader_left(&r), 0);
}

struct leb_case {
	const char *name;
	uint8_t bytes[12];
	size_t len;
	int kind; /* 0 u32, 1 u64, 2 s32, 3 s64, 4 s33 */
	int rc;
	int64_t value;
	size_t consumed;
};

static const struct leb_case leb_cases[] = {
    {"u32 zero", {0x00}, 1, 0, 0, 0, 1},
    {"u32 624485", {0xe5, 0x8e, 0x26}, 3, 0, 0, 624485, 3},
    {"u32 padded zero", {0x80, 0x80, 0x80, 0x80, 0x00}, 5, 0, 0, 0, 5},
    {"u32 max", {0xff, 0xff, 0xff, 0xff, 0x0f}, 5, 0, 0, 0xffffffff, 5},
    {"u32 too many bits", {0xff, 0xff, 0xff, 0xff, 0x1f}, 5, 0, CU_EFORMAT, 0, 0},
    {"u32 too long", {0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 6, 0, CU_EFORMAT, 0, 0},
    {"u32 truncated", {0x80, 0x80}, 2, 0, CU_ETRUNC, 0, 0},
    {"s32 -1", {0x7f}, 1, 2, 0, -1, 1},
    {"s32 -123456", {0xc0, 0xbb, 0x78}, 3, 2, 0, -123456, 3},
    {"s32 min", {0x80, 0x80, 0x80, 0x80, 0x78}, 5, 2, 0, INT32_MIN, 5},
    {"s32 bad sign bits", {0x80, 0x80, 0x80, 0x80, 0x70}, 5, 2, CU_EFORMAT, 0, 0},
    {"s32 bad positive", {0xff, 0xff, 0xff, 0xff, 0x0f}, 5, 2, CU_EFORMAT, 0, 0},
    {"s32 max", {0xff, 0xff, 0xff, 0xff, 0x07}, 5, 2, 0, INT32_MAX, 5},
    {"u64 max", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10, 1, 0, -1, 10},
    {"u64 overflow",
     {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x03},
     10,
     1,
     CU_EFORMAT,
     0,
     0},
    {"s64 min",
     {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f},
     10,
     3,
     0,
     INT64_MIN,
     10},
    {"s64 bad",
     {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x71},
     10,
     3,
     CU_EFORMAT,
     0,
     0},
    {"s33 -64", {0x40}, 1, 4, 0, -64, 1},
    {"s33 2^32-1", {0xff, 0xff, 0xff, 0xff, 0x0f}, 5, 4, 0, 0xffffffffLL, 5},
    {"s33 bad", {0xff, 0xff, 0xff, 0xff, 0x2f}, 5, 4, CU_EFORMAT, 0, 0},
};

static void test_leb128(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(leb_cases) / sizeof(leb_cases[0]); i++) {
		const struct leb_case *c = &leb_cases[i];
		struct cu_reader r;
		int64_t got = 0;
		int rc;

		cu_reader_init(&r, c->bytes, c->len);
		if (c->kind == 0) {
			uint32_t v;
			rc = cu_read_uleb32(&r, &v);
			got = v;
		} else if (c->kind == 1) {
			uint64_t v;
			rc = cu_read_uleb64(&r, &v);
			got = (int64_t)v;
		} else if (c->kind == 2) {
			int32_t v;
			rc = cu_read_sleb32(&r, &v);
			got = v;
		} else if (c->kind == 3) {
			rc = cu_read_sleb64(&r, &got);
		} else {
			rc = cu_read_sleb33(&r, &got);
		}
		if (rc != c->rc || got != c->value || r.off != c->consumed)
			fail_msg("case '%s': rc %d value %lld consumed %zu", c->name, rc,
			         (long long)got, r.off);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixed_width),
	    cmocka_unit_test(test_sub_and_skip),
	    cmocka_unit_test(test_leb128),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

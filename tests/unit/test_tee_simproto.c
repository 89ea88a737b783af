/* Unit tests: the custos-simtee wire protocol (tee/simproto.h), table-driven. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "tee/simproto.h"

struct hdr_case {
	const char *name;
	uint8_t hdr[SIMTEE_HDR_LEN];
	int rc;
};

static const struct hdr_case req_hdrs[] = {
    {"evidence", {1, 0, 1, 0, 64, 0, 0, 0}, 0},
    {"evidence short body", {1, 0, 1, 0, 63, 0, 0, 0}, CU_EFORMAT},
    {"evidence huge body", {1, 0, 1, 0, 0, 0, 0, 0x80}, CU_EFORMAT},
    {"key label 1", {1, 0, 2, 0, 1, 0, 0, 0}, 0},
    {"key label 64", {1, 0, 2, 0, 64, 0, 0, 0}, 0},
    {"key label 65", {1, 0, 2, 0, 65, 0, 0, 0}, CU_ELIMIT},
    {"key label 4 GiB", {1, 0, 2, 0, 0xff, 0xff, 0xff, 0xff}, CU_ELIMIT},
    {"key empty label", {1, 0, 2, 0, 0, 0, 0, 0}, CU_EFORMAT},
    {"measurement", {1, 0, 3, 0, 0, 0, 0, 0}, 0},
    {"measurement with body", {1, 0, 3, 0, 1, 0, 0, 0}, CU_EFORMAT},
    {"version 0", {0, 0, 1, 0, 64, 0, 0, 0}, CU_EUNSUPPORTED},
    {"version 2", {2, 0, 1, 0, 64, 0, 0, 0}, CU_EUNSUPPORTED},
    {"type 0", {1, 0, 0, 0, 0, 0, 0, 0}, CU_EUNSUPPORTED},
    {"root", {1, 0, 4, 0, 0, 0, 0, 0}, 0},
    {"root with body", {1, 0, 4, 0, 2, 0, 0, 0}, CU_EFORMAT},
    {"type 5", {1, 0, 5, 0, 0, 0, 0, 0}, CU_EUNSUPPORTED},
    {"a response as request", {1, 0, 1, 0x80, 64, 0, 0, 0}, CU_EUNSUPPORTED},
};

static void test_req_hdr(void **state)
{
	uint32_t len;
	uint16_t type;

	(void)state;
	for (size_t i = 0; i < sizeof(req_hdrs) / sizeof(req_hdrs[0]); i++)
		if (simtee_req_hdr(req_hdrs[i].hdr, &type, &len) != req_hdrs[i].rc)
			fail_msg("%s: expected %d", req_hdrs[i].name, req_hdrs[i].rc);
}

static void test_req_round_trip(void **state)
{
	struct simtee_req in = {0}, out;
	uint8_t buf[SIMTEE_REQ_MAX];
	size_t len;

	(void)state;
	in.type = SIMTEE_GET_EVIDENCE;
	for (size_t i = 0; i < sizeof(in.report_data); i++)
		in.report_data[i] = (uint8_t)(i * 7);
	assert_int_equal(simtee_req_encode(&in, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, SIMTEE_HDR_LEN + 64);
	assert_int_equal(simtee_req_decode(buf, len, &out), 0);
	assert_memory_equal(out.report_data, in.report_data, 64);
	/* One byte short or long. */
	assert_int_equal(simtee_req_decode(buf, len - 1, &out), CU_ETRUNC);
	assert_int_equal(simtee_req_decode(buf, len + 1, &out), CU_EFORMAT);
	assert_int_equal(simtee_req_decode(buf, 3, &out), CU_ETRUNC);

	memset(&in, 0, sizeof(in));
	in.type = SIMTEE_GET_SEALING_KEY;
	memcpy(in.label, "storage/v1", 10);
	in.label_len = 10;
	assert_int_equal(simtee_req_encode(&in, buf, sizeof(buf), &len), 0);
	assert_int_equal(simtee_req_decode(buf, len, &out), 0);
	assert_string_equal(out.label, "storage/v1");
	assert_int_equal(out.label_len, 10);
	/* A space or a NUL in a label is refused on both sides. */
	buf[SIMTEE_HDR_LEN + 3] = ' ';
	assert_int_equal(simtee_req_decode(buf, len, &out), CU_EFORMAT);
	buf[SIMTEE_HDR_LEN + 3] = 0;
	assert_int_equal(simtee_req_decode(buf, len, &out), CU_EFORMAT);
	in.label[2] = '\n';
	assert_int_equal(simtee_req_encode(&in, buf, sizeof(buf), &len), CU_EINVAL);
	in.label_len = 0;
	assert_int_equal(simtee_req_encode(&in, buf, sizeof(buf), &len), CU_EINVAL);

	memset(&in, 0, sizeof(in));
	in.type = SIMTEE_GET_MEASUREMENT;
	assert_int_equal(simtee_req_encode(&in, buf, 4, &len), CU_ELIMIT);
	assert_int_equal(simtee_req_encode(&in, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, SIMTEE_HDR_LEN);
	assert_int_equal(simtee_req_decode(buf, len, &out), 0);
	assert_int_equal(out.type, SIMTEE_GET_MEASUREMENT);

	in.type = SIMTEE_GET_ROOT;
	assert_int_equal(simtee_req_encode(&in, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, SIMTEE_HDR_LEN);
	assert_int_equal(simtee_req_decode(buf, len, &out), 0);
	assert_int_equal(out.type, SIMTEE_GET_ROOT);
	buf[4] = 1; /* a body where none belongs */
	assert_int_equal(simtee_req_decode(buf, len, &out), CU_EFORMAT);
}

static void test_resp(void **state)
{
	static const uint8_t key[32] = {1, 2, 3};
	uint8_t *msg, out[48];
	size_t len, n;
	uint32_t bodylen;
	int status;

	(void)state;
	assert_int_equal(simtee_resp_encode(SIMTEE_GET_SEALING_KEY, 0, key, 32, &msg, &len), 0);
	assert_int_equal(len, SIMTEE_HDR_LEN + 4 + 32);
	assert_int_equal(simtee_resp_hdr(msg, SIMTEE_GET_SEALING_KEY, &bodylen), 0);
	/* A response to another request type is refused. */
	assert_int_equal(simtee_resp_hdr(msg, SIMTEE_GET_EVIDENCE, &bodylen), CU_EFORMAT);
	assert_int_equal(simtee_resp_body(msg + SIMTEE_HDR_LEN, bodylen, &status, out, 32, 1, &n),
	                 0);
	assert_int_equal(status, 0);
	assert_int_equal(n, 32);
	assert_memory_equal(out, key, 32);
	/* Exact size wanted, and more than fits. */
	assert_int_equal(simtee_resp_body(msg + SIMTEE_HDR_LEN, bodylen, &status, out, 48, 1, &n),
	                 CU_EFORMAT);
	assert_int_equal(simtee_resp_body(msg + SIMTEE_HDR_LEN, bodylen, &status, out, 16, 0, &n),
	                 CU_ELIMIT);
	free(msg);

	/* An error carries no payload, even when one is passed. */
	assert_int_equal(simtee_resp_encode(SIMTEE_ERROR, CU_ELIMIT, key, 32, &msg, &len), 0);
	assert_int_equal(len, SIMTEE_HDR_LEN + 4);
	assert_int_equal(simtee_resp_hdr(msg, SIMTEE_GET_EVIDENCE, &bodylen), 0);
	assert_int_equal(simtee_resp_body(msg + SIMTEE_HDR_LEN, bodylen, &status, out, 32, 1, &n),
	                 0);
	assert_int_equal(status, CU_ELIMIT);
	/* A status outside the error enum, or a positive one. */
	msg[8] = 0x10;
	msg[9] = msg[10] = msg[11] = 0x80;
	assert_int_equal(simtee_resp_body(msg + SIMTEE_HDR_LEN, bodylen, &status, out, 32, 1, &n),
	                 CU_EFORMAT);
	msg[8] = 1;
	msg[9] = msg[10] = msg[11] = 0;
	assert_int_equal(simtee_resp_body(msg + SIMTEE_HDR_LEN, bodylen, &status, out, 32, 1, &n),
	                 CU_EFORMAT);
	/* A body length beyond the maximum, and under the status. */
	msg[4] = msg[5] = msg[6] = msg[7] = 0xff;
	assert_int_equal(simtee_resp_hdr(msg, SIMTEE_GET_EVIDENCE, &bodylen), CU_ELIMIT);
	msg[4] = 3;
	msg[5] = msg[6] = msg[7] = 0;
	assert_int_equal(simtee_resp_hdr(msg, SIMTEE_GET_EVIDENCE, &bodylen), CU_EFORMAT);
	free(msg);
	assert_int_equal(simtee_resp_encode(1, 0, key, SIMTEE_RESP_BODY_MAX, &msg, &len),
	                 CU_ELIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_req_hdr),
	    cmocka_unit_test(test_req_round_trip),
	    cmocka_unit_test(test_resp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

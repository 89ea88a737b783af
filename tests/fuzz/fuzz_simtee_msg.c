/*
 * libFuzzer target: the custos-simtee wire protocol. The input is taken as
 * a request frame (as the daemon reads it: header first, then the body the
 * header announced) and as a response to each request type (as the sim
 * backend reads it). A request that decodes must encode back to the same
 * bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tee/simproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void as_request(const uint8_t *data, size_t size)
{
	uint8_t again[SIMTEE_REQ_MAX];
	struct simtee_req req;
	uint32_t bodylen;
	uint16_t type;
	size_t len;

	if (size >= SIMTEE_HDR_LEN && simtee_req_hdr(data, &type, &bodylen) == 0 &&
	    bodylen > SIMTEE_REQ_BODY_MAX)
		abort(); /* the header check must bound every body it accepts */
	if (simtee_req_decode(data, size, &req) != 0)
		return;
	if (simtee_req_encode(&req, again, sizeof(again), &len) != 0 || len != size ||
	    memcmp(again, data, size) != 0)
		abort();
}

static void as_response(const uint8_t *data, size_t size)
{
	static const uint16_t types[] = {SIMTEE_GET_EVIDENCE, SIMTEE_GET_SEALING_KEY,
	                                 SIMTEE_GET_MEASUREMENT, SIMTEE_GET_ROOT};
	static uint8_t out[SIM_EVIDENCE_MAX];
	uint32_t bodylen;
	size_t n;
	int status;

	if (size < SIMTEE_HDR_LEN)
		return;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (simtee_resp_hdr(data, types[i], &bodylen) != 0)
			continue;
		if (bodylen > size - SIMTEE_HDR_LEN)
			bodylen = (uint32_t)(size - SIMTEE_HDR_LEN);
		(void)simtee_resp_body(
		    data + SIMTEE_HDR_LEN, bodylen, &status, out,
		    types[i] == SIMTEE_GET_SEALING_KEY   ? SIMTEE_KEY_LEN
		    : types[i] == SIMTEE_GET_MEASUREMENT ? SIM_MEASUREMENT_LEN
		                                         : sizeof(out),
		    types[i] != SIMTEE_GET_EVIDENCE && types[i] != SIMTEE_GET_ROOT, &n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_request(data, size);
	as_response(data, size);
	return 0;
}

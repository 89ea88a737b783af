/*
 * simproto.h - the wire protocol between the sim backend and custos-simtee.
 *
 * Over a UNIX stream socket, each side sends frames:
 *
 *   off len field
 *     0   2 version, SIMTEE_PROTO_VERSION (little-endian)
 *     2   2 type
 *     4   4 n = length of the body (little-endian)
 *     8   n body
 *
 * Requests and the exact body each must have:
 *
 *   SIMTEE_GET_EVIDENCE     64 bytes: report data
 *   SIMTEE_GET_SEALING_KEY  1..SIMTEE_LABEL_MAX bytes: a label of printable
 *                           ASCII (0x21..0x7e), no NUL
 *   SIMTEE_GET_MEASUREMENT  empty
 *   SIMTEE_GET_ROOT         empty
 *
 * A response has type (request type | SIMTEE_RESPONSE), or SIMTEE_ERROR
 * for a frame the daemon could not take (it closes the connection after
 * it), and a body of a 32-bit little-endian signed status (0 or a CU_E*
 * value) followed, on success only, by the result: evidence (at most
 * SIM_EVIDENCE_MAX bytes), a 32-byte key, a 48-byte measurement, or the
 * DER of the simulated root certificate (at most SIM_CERT_MAX bytes; the
 * same certificate as root.pem, which verifiers pin by its SHA-256).
 *
 * Every size is checked against the type's exact or maximum size from the
 * header, before a byte of the body is read or copied.
 */
#ifndef CUSTOS_TEE_SIMPROTO_H
#define CUSTOS_TEE_SIMPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "tee/sim.h"

#define SIMTEE_PROTO_VERSION 1
#define SIMTEE_HDR_LEN       8
#define SIMTEE_LABEL_MAX     64
#define SIMTEE_KEY_LEN       32
#define SIMTEE_REQ_BODY_MAX  SIMTEE_LABEL_MAX
#define SIMTEE_RESP_BODY_MAX (4 + SIM_EVIDENCE_MAX)
#define SIMTEE_REQ_MAX       (SIMTEE_HDR_LEN + SIMTEE_REQ_BODY_MAX)
#define SIMTEE_RESP_MAX      (SIMTEE_HDR_LEN + SIMTEE_RESP_BODY_MAX)

enum simtee_type {
	SIMTEE_GET_EVIDENCE = 1,
	SIMTEE_GET_SEALING_KEY = 2,
	SIMTEE_GET_MEASUREMENT = 3,
	SIMTEE_GET_ROOT = 4,
	SIMTEE_RESPONSE = 0x8000,
	SIMTEE_ERROR = 0xffff,
};

/* A decoded request; it holds copies only. */
struct simtee_req {
	uint16_t type;
	uint8_t report_data[SIM_REPORT_DATA_LEN]; /* GET_EVIDENCE */
	char label[SIMTEE_LABEL_MAX + 1];         /* GET_SEALING_KEY, NUL-terminated */
	size_t label_len;
};

/* 1 if label[0..n) is a valid sealing-key label, else 0. */
int simtee_label_valid(const char *label, size_t n);

/*
 * Check a request header: version, known request type, and the body length
 * the type requires. *type and *bodylen get the values. CU_EUNSUPPORTED for
 * another version or type, CU_ELIMIT / CU_EFORMAT for a wrong length.
 */
int simtee_req_hdr(const uint8_t hdr[static SIMTEE_HDR_LEN], uint16_t *type, uint32_t *bodylen);

/* Decode a whole request frame msg[0..len) (header and body, nothing more). */
int simtee_req_decode(const uint8_t *msg, size_t len, struct simtee_req *out);

/* Encode req into buf (at least SIMTEE_REQ_MAX bytes); *len gets the frame length. */
int simtee_req_encode(const struct simtee_req *req, uint8_t *buf, size_t bufsz, size_t *len);

/*
 * A response frame: header, status, and (status 0 only) payload[0..n).
 * *out is malloc'd. type is the request type, or SIMTEE_ERROR.
 */
int simtee_resp_encode(uint16_t type, int status, const void *payload, size_t n, uint8_t **out,
                       size_t *outlen);

/*
 * Check a response header for a request of type req_type: version, the
 * matching response type or SIMTEE_ERROR, a body of 4..SIMTEE_RESP_BODY_MAX
 * bytes.
 */
int simtee_resp_hdr(const uint8_t hdr[static SIMTEE_HDR_LEN], uint16_t req_type, uint32_t *bodylen);

/*
 * Decode a response body: the status goes to *status (a valid CU_E* value,
 * else CU_EFORMAT is returned); with status 0 the payload is copied to
 * out[0..outsz) and must be exactly outsz bytes when exact is set, at most
 * outsz otherwise. *outlen gets its length.
 */
int simtee_resp_body(const uint8_t *body, size_t len, int *status, uint8_t *out, size_t outsz,
                     int exact, size_t *outlen);

#endif

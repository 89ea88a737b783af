/* simproto.c - frames of the custos-simtee protocol (see simproto.h). */
#include "tee/simproto.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/reader.h"

int simtee_label_valid(const char *label, size_t n)
{
	if (!label || n == 0 || n > SIMTEE_LABEL_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)label[i] < 0x21 || (unsigned char)label[i] > 0x7e)
			return 0;
	return 1;
}

static void put_hdr(uint8_t *p, uint16_t type, uint32_t n)
{
	p[0] = SIMTEE_PROTO_VERSION & 0xff;
	p[1] = SIMTEE_PROTO_VERSION >> 8;
	p[2] = (uint8_t)type;
	p[3] = (uint8_t)(type >> 8);
	p[4] = (uint8_t)n;
	p[5] = (uint8_t)(n >> 8);
	p[6] = (uint8_t)(n >> 16);
	p[7] = (uint8_t)(n >> 24);
}

static int read_hdr(const uint8_t *hdr, uint16_t *type, uint32_t *bodylen)
{
	struct cu_reader r;
	uint16_t version;
	int rc;

	cu_reader_init(&r, hdr, SIMTEE_HDR_LEN);
	if ((rc = cu_read_u16le(&r, &version)) || (rc = cu_read_u16le(&r, type)) ||
	    (rc = cu_read_u32le(&r, bodylen)))
		return rc;
	return version == SIMTEE_PROTO_VERSION ? 0 : CU_EUNSUPPORTED;
}

int simtee_req_hdr(const uint8_t hdr[static SIMTEE_HDR_LEN], uint16_t *type, uint32_t *bodylen)
{
	int rc = read_hdr(hdr, type, bodylen);

	if (rc)
		return rc;
	switch (*type) {
	case SIMTEE_GET_EVIDENCE:
		return *bodylen == SIM_REPORT_DATA_LEN ? 0 : CU_EFORMAT;
	case SIMTEE_GET_SEALING_KEY:
		if (*bodylen > SIMTEE_LABEL_MAX)
			return CU_ELIMIT;
		return *bodylen ? 0 : CU_EFORMAT;
	case SIMTEE_GET_MEASUREMENT:
	case SIMTEE_GET_ROOT:
		return *bodylen == 0 ? 0 : CU_EFORMAT;
	default:
		return CU_EUNSUPPORTED;
	}
}

int simtee_req_decode(const uint8_t *msg, size_t len, struct simtee_req *out)
{
	struct cu_reader r;
	uint32_t bodylen;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len < SIMTEE_HDR_LEN)
		return CU_ETRUNC;
	if ((rc = simtee_req_hdr(msg, &out->type, &bodylen)))
		goto out;
	rc = len - SIMTEE_HDR_LEN < bodylen ? CU_ETRUNC : CU_EFORMAT;
	if (len - SIMTEE_HDR_LEN != bodylen)
		goto out;
	cu_reader_init(&r, msg + SIMTEE_HDR_LEN, bodylen);
	rc = 0;
	if (out->type == SIMTEE_GET_EVIDENCE) {
		rc = cu_read_bytes(&r, out->report_data, SIM_REPORT_DATA_LEN);
	} else if (out->type == SIMTEE_GET_SEALING_KEY) {
		if ((rc = cu_read_bytes(&r, out->label, bodylen)))
			goto out;
		out->label_len = bodylen;
		if (!simtee_label_valid(out->label, out->label_len))
			rc = CU_EFORMAT;
	}
out:
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

int simtee_req_encode(const struct simtee_req *req, uint8_t *buf, size_t bufsz, size_t *len)
{
	size_t n;

	*len = 0;
	switch (req->type) {
	case SIMTEE_GET_EVIDENCE:
		n = SIM_REPORT_DATA_LEN;
		break;
	case SIMTEE_GET_SEALING_KEY:
		if (!simtee_label_valid(req->label, req->label_len))
			return CU_EINVAL;
		n = req->label_len;
		break;
	case SIMTEE_GET_MEASUREMENT:
	case SIMTEE_GET_ROOT:
		n = 0;
		break;
	default:
		return CU_EINVAL;
	}
	if (bufsz < SIMTEE_HDR_LEN + n)
		return CU_ELIMIT;
	put_hdr(buf, req->type, (uint32_t)n);
	if (req->type == SIMTEE_GET_EVIDENCE)
		memcpy(buf + SIMTEE_HDR_LEN, req->report_data, n);
	else if (n)
		memcpy(buf + SIMTEE_HDR_LEN, req->label, n);
	*len = SIMTEE_HDR_LEN + n;
	return 0;
}

int simtee_resp_encode(uint16_t type, int status, const void *payload, size_t n, uint8_t **out,
                       size_t *outlen)
{
	uint32_t st = (uint32_t)(int32_t)status;
	size_t total;
	uint8_t *b;

	*out = NULL;
	*outlen = 0;
	if (status)
		n = 0;
	if (n > SIMTEE_RESP_BODY_MAX - 4)
		return CU_ELIMIT;
	total = SIMTEE_HDR_LEN + 4 + n;
	if (!(b = malloc(total)))
		return CU_ENOMEM;
	put_hdr(b, type == SIMTEE_ERROR ? SIMTEE_ERROR : (uint16_t)(type | SIMTEE_RESPONSE),
	        (uint32_t)(4 + n));
	b[8] = (uint8_t)st;
	b[9] = (uint8_t)(st >> 8);
	b[10] = (uint8_t)(st >> 16);
	b[11] = (uint8_t)(st >> 24);
	if (n)
		memcpy(b + 12, payload, n);
	*out = b;
	*outlen = total;
	return 0;
}

int simtee_resp_hdr(const uint8_t hdr[static SIMTEE_HDR_LEN], uint16_t req_type, uint32_t *bodylen)
{
	uint16_t type;
	int rc = read_hdr(hdr, &type, bodylen);

	if (rc)
		return rc;
	if (type != (uint16_t)(req_type | SIMTEE_RESPONSE) && type != SIMTEE_ERROR)
		return CU_EFORMAT;
	if (*bodylen > SIMTEE_RESP_BODY_MAX)
		return CU_ELIMIT;
	return *bodylen >= 4 ? 0 : CU_EFORMAT;
}

int simtee_resp_body(const uint8_t *body, size_t len, int *status, uint8_t *out, size_t outsz,
                     int exact, size_t *outlen)
{
	struct cu_reader r;
	uint32_t st;
	int32_t s;
	size_t n;
	int rc;

	*status = 0;
	*outlen = 0;
	cu_reader_init(&r, body, len);
	if ((rc = cu_read_u32le(&r, &st)))
		return rc;
	s = (int32_t)st;
	if (s > 0 || s <= CU_ELAST)
		return CU_EFORMAT;
	*status = s;
	n = cu_reader_left(&r);
	if (s != 0)
		return n ? CU_EFORMAT : 0;
	if (n > outsz)
		return CU_ELIMIT;
	if (exact && n != outsz)
		return CU_EFORMAT;
	if ((rc = cu_read_bytes(&r, out, n)))
		return rc;
	*outlen = n;
	return 0;
}

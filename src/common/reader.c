#include "common/reader.h"

#include <string.h>

#include "common/err.h"

void cu_reader_init(struct cu_reader *r, const void *buf, size_t len)
{
	r->buf = buf;
	r->len = buf ? len : 0;
	r->off = 0;
}

int cu_read_ptr(struct cu_reader *r, const uint8_t **p, size_t n)
{
	*p = NULL;
	if (n > cu_reader_left(r))
		return CU_ETRUNC;
	*p = r->buf + r->off;
	r->off += n;
	return 0;
}

int cu_read_bytes(struct cu_reader *r, void *out, size_t n)
{
	const uint8_t *p;
	int rc = cu_read_ptr(r, &p, n);

	if (rc) {
		if (n)
			memset(out, 0, n);
		return rc;
	}
	if (n)
		memcpy(out, p, n);
	return 0;
}

int cu_read_skip(struct cu_reader *r, size_t n)
{
	const uint8_t *p;

	return cu_read_ptr(r, &p, n);
}

int cu_read_sub(struct cu_reader *r, struct cu_reader *sub, size_t n)
{
	const uint8_t *p;
	int rc = cu_read_ptr(r, &p, n);

	cu_reader_init(sub, rc ? NULL : p, rc ? 0 : n);
	return rc;
}

int cu_read_u8(struct cu_reader *r, uint8_t *v)
{
	const uint8_t *p;
	int rc = cu_read_ptr(r, &p, 1);

	*v = rc ? 0 : p[0];
	return rc;
}

/* Read n (<= 8) bytes as an unsigned integer in the given byte order. */
static int read_uint(struct cu_reader *r, size_t n, int big, uint64_t *v)
{
	const uint8_t *p;
	uint64_t x = 0;
	int rc = cu_read_ptr(r, &p, n);

	*v = 0;
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		x |= (uint64_t)p[big ? i : n - 1 - i] << (8 * (n - 1 - i));
	*v = x;
	return 0;
}

int cu_read_u16le(struct cu_reader *r, uint16_t *v)
{
	uint64_t x;
	int rc = read_uint(r, 2, 0, &x);

	*v = (uint16_t)x;
	return rc;
}

int cu_read_u32le(struct cu_reader *r, uint32_t *v)
{
	uint64_t x;
	int rc = read_uint(r, 4, 0, &x);

	*v = (uint32_t)x;
	return rc;
}

int cu_read_u64le(struct cu_reader *r, uint64_t *v)
{
	return read_uint(r, 8, 0, v);
}

int cu_read_u16be(struct cu_reader *r, uint16_t *v)
{
	uint64_t x;
	int rc = read_uint(r, 2, 1, &x);

	*v = (uint16_t)x;
	return rc;
}

int cu_read_u32be(struct cu_reader *r, uint32_t *v)
{
	uint64_t x;
	int rc = read_uint(r, 4, 1, &x);

	*v = (uint32_t)x;
	return rc;
}

int cu_read_u64be(struct cu_reader *r, uint64_t *v)
{
	return read_uint(r, 8, 1, v);
}

/*
 * Decode a LEB128 of at most `bits` bits. For signed values the result is
 * sign-extended from `bits`. The cursor moves only when the encoding is valid.
 */
static int read_leb(struct cu_reader *r, unsigned bits, int is_signed, uint64_t *v)
{
	unsigned max_bytes = (bits + 6) / 7;
	uint64_t result = 0;
	unsigned shift = 0;
	size_t i = 0;
	uint8_t byte;

	*v = 0;
	for (;;) {
		if (i >= cu_reader_left(r))
			return CU_ETRUNC;
		if (i >= max_bytes)
			return CU_EFORMAT;
		byte = r->buf[r->off + i++];
		if (i == max_bytes) {
			/* Bits beyond `bits` must be zero or a sign extension. */
			unsigned used = bits - shift;
			uint8_t rest = (uint8_t)(byte & 0x7f) >> (used < 7 ? used : 7);
			if (byte & 0x80)
				return CU_EFORMAT;
			if (!is_signed && rest != 0)
				return CU_EFORMAT;
			if (is_signed && used < 7) {
				uint8_t sign = (byte >> (used - 1)) & 1;
				uint8_t want = sign ? (uint8_t)(0x7f >> used) : 0;
				if (rest != want)
					return CU_EFORMAT;
			}
		}
		result |= (uint64_t)(byte & 0x7f) << shift;
		shift += 7;
		if (!(byte & 0x80))
			break;
	}
	if (is_signed && shift < 64 && (byte & 0x40))
		result |= ~(uint64_t)0 << shift;
	if (is_signed && bits < 64) {
		/* Sign-extend from `bits` so that sleb33 yields a proper int64. */
		uint64_t m = (uint64_t)1 << (bits - 1);
		result &= ((uint64_t)1 << bits) - 1;
		result = (result ^ m) - m;
	}
	r->off += i;
	*v = result;
	return 0;
}

int cu_read_uleb32(struct cu_reader *r, uint32_t *v)
{
	uint64_t x;
	int rc = read_leb(r, 32, 0, &x);

	*v = (uint32_t)x;
	return rc;
}

int cu_read_uleb64(struct cu_reader *r, uint64_t *v)
{
	return read_leb(r, 64, 0, v);
}

int cu_read_sleb32(struct cu_reader *r, int32_t *v)
{
	uint64_t x;
	int rc = read_leb(r, 32, 1, &x);

	*v = (int32_t)x;
	return rc;
}

int cu_read_sleb64(struct cu_reader *r, int64_t *v)
{
	uint64_t x;
	int rc = read_leb(r, 64, 1, &x);

	*v = (int64_t)x;
	return rc;
}

int cu_read_sleb33(struct cu_reader *r, int64_t *v)
{
	uint64_t x;
	int rc = read_leb(r, 33, 1, &x);

	*v = (int64_t)x;
	return rc;
}

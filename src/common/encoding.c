#include "common/encoding.h"

#include "common/err.h"
#include "common/mem.h"

/* All-ones when a < b (for values below 2^15), else zero; no branches. */
static unsigned lt(unsigned a, unsigned b)
{
	return 0u - ((a - b) >> 15 & 1);
}

/* All-ones when lo <= c <= hi. */
static unsigned in_range(unsigned c, unsigned lo, unsigned hi)
{
	return ~lt(c, lo) & ~lt(hi, c);
}

static char hex_digit(unsigned v)
{
	/* v in 0..15: '0'+v below 10, 'a'+v-10 otherwise. */
	return (char)('0' + v + (lt(9, v) & ('a' - '0' - 10)));
}

/* Value of a hex character, or all bits of 0x100 set when it is not one. */
static unsigned hex_value(unsigned c)
{
	unsigned d = in_range(c, '0', '9'), l = in_range(c, 'a', 'f'), u = in_range(c, 'A', 'F');
	unsigned v = (d & (c - '0')) | (l & (c - 'a' + 10)) | (u & (c - 'A' + 10));

	return (v & 0xff) | (~(d | l | u) & 0x100);
}

int cu_hex_encode(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	if (n > (SIZE_MAX - 1) / 2 || outsz < 2 * n + 1)
		return CU_ELIMIT;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex_digit(in[i] >> 4);
		out[2 * i + 1] = hex_digit(in[i] & 15);
	}
	out[2 * n] = 0;
	return 0;
}

int cu_hex_decode(const char *hex, size_t len, uint8_t *out, size_t outsz, size_t *outlen)
{
	unsigned bad = 0;

	*outlen = 0;
	if (len % 2)
		return CU_EFORMAT;
	if (len / 2 > outsz)
		return CU_ELIMIT;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned hi = hex_value((unsigned char)hex[2 * i]);
		unsigned lo = hex_value((unsigned char)hex[2 * i + 1]);
		bad |= hi | lo;
		out[i] = (uint8_t)(hi << 4 | (lo & 15));
	}
	if (bad & 0x100) {
		cu_wipe(out, len / 2);
		return CU_EFORMAT;
	}
	*outlen = len / 2;
	return 0;
}

int cu_hex_decode_exact(const char *hex, uint8_t *out, size_t n)
{
	size_t len = 0, got;

	while (len <= 2 * n && hex[len])
		len++;
	if (len != 2 * n)
		return CU_EFORMAT;
	return cu_hex_decode(hex, len, out, n, &got);
}

static char b64_char(unsigned v, enum cu_b64_variant var)
{
	unsigned c62 = var == CU_B64_URL ? '-' : '+', c63 = var == CU_B64_URL ? '_' : '/';
	unsigned r = 'A' + v;

	r += lt(25, v) & ('a' - 'A' - 26);
	r += lt(51, v) & ('0' - 'a' - 26 + 256);
	r = (r & 0xff) ^ (~lt(v, 62) & ~lt(62, v) & (r ^ c62) & 0xff);
	r ^= ~lt(v, 63) & ~lt(63, v) & (r ^ c63) & 0xff;
	return (char)r;
}

static unsigned b64_value(unsigned c, enum cu_b64_variant var)
{
	unsigned c62 = var == CU_B64_URL ? '-' : '+', c63 = var == CU_B64_URL ? '_' : '/';
	unsigned up = in_range(c, 'A', 'Z'), lo = in_range(c, 'a', 'z'), di = in_range(c, '0', '9');
	unsigned s62 = in_range(c, c62, c62), s63 = in_range(c, c63, c63);
	unsigned v = (up & (c - 'A')) | (lo & (c - 'a' + 26)) | (di & (c - '0' + 52)) | (s62 & 62) |
	             (s63 & 63);

	return (v & 0x3f) | (~(up | lo | di | s62 | s63) & 0x100);
}

size_t cu_b64_encoded_size(size_t n, enum cu_b64_variant v)
{
	if (v == CU_B64_URL)
		return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0) + 1;
	return (n + 2) / 3 * 4 + 1;
}

int cu_b64_encode(const uint8_t *in, size_t n, char *out, size_t outsz, enum cu_b64_variant v)
{
	size_t o = 0, i = 0;

	if (n > SIZE_MAX / 2 || outsz < cu_b64_encoded_size(n, v))
		return CU_ELIMIT;
	for (; i + 3 <= n; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		for (int k = 3; k >= 0; k--)
			out[o++] = b64_char(w >> (6 * k) & 63, v);
	}
	if (n - i) {
		uint32_t w = (uint32_t)in[i] << 16 | (n - i == 2 ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = b64_char(w >> 18 & 63, v);
		out[o++] = b64_char(w >> 12 & 63, v);
		if (n - i == 2)
			out[o++] = b64_char(w >> 6 & 63, v);
		if (v == CU_B64_STD) {
			if (n - i == 1)
				out[o++] = '=';
			out[o++] = '=';
		}
	}
	out[o] = 0;
	return 0;
}

int cu_b64_decode(const char *in, size_t len, uint8_t *out, size_t outsz, size_t *outlen,
                  enum cu_b64_variant v)
{
	size_t pad = 0, full, rem, o = 0;
	unsigned bad = 0;

	*outlen = 0;
	if (v == CU_B64_STD) {
		if (len % 4)
			return CU_EFORMAT;
		while (pad < 2 && len > pad && in[len - 1 - pad] == '=')
			pad++;
		len -= pad;
	}
	rem = len % 4;
	if (rem == 1 || (v == CU_B64_STD && pad && rem != 4 - pad))
		return CU_EFORMAT;
	full = len / 4;
	if (full * 3 + (rem ? rem - 1 : 0) > outsz)
		return CU_ELIMIT;
	for (size_t i = 0; i < full; i++) {
		uint32_t w = 0;
		for (int k = 0; k < 4; k++) {
			unsigned x = b64_value((unsigned char)in[4 * i + k], v);
			bad |= x;
			w = w << 6 | (x & 63);
		}
		out[o++] = (uint8_t)(w >> 16);
		out[o++] = (uint8_t)(w >> 8);
		out[o++] = (uint8_t)w;
	}
	if (rem) {
		uint32_t w = 0;
		for (size_t k = 0; k < rem; k++) {
			unsigned x = b64_value((unsigned char)in[4 * full + k], v);
			bad |= x;
			w = w << 6 | (x & 63);
		}
		w <<= 6 * (4 - rem);
		/* Canonical: the bits below the last whole byte are zero. */
		bad |= (rem == 2 ? (w & 0xffff) : (w & 0xff)) ? 0x100 : 0;
		out[o++] = (uint8_t)(w >> 16);
		if (rem == 3)
			out[o++] = (uint8_t)(w >> 8);
	}
	if (bad & 0x100) {
		cu_wipe(out, o);
		return CU_EFORMAT;
	}
	*outlen = o;
	return 0;
}

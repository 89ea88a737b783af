/* Argon2id password hashes: libargon2 hashes, we parse and bound stored strings. */
#include "platform/password.h"

#include <argon2.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/mem.h"
#include "common/reader.h"
#include "crypto/rand.h"
#include "platform/password_int.h"

/* Argon2 version 1.3, the only one we accept ("v=19"). */
#define PW_VERSION 0x13
/* Digits of UINT32_MAX. */
#define PW_DECIMAL_MAX 10
/* Base64 characters (no padding) of PW_SALT_LEN_MAX or PW_HASH_LEN_MAX bytes. */
#define PW_B64_MAX ((PW_HASH_LEN_MAX * 4 + 2) / 3)

void pw_params_default(struct pw_params *params)
{
	params->m_kib = PW_DEFAULT_M_KIB;
	params->t = PW_DEFAULT_T;
	params->p = PW_DEFAULT_P;
}

/* 1 when params lie within the bounds pw_phc_parse() enforces. */
static int params_ok(const struct pw_params *params)
{
	return params->p >= 1 && params->p <= PW_VERIFY_P_MAX && params->t >= 1 &&
	       params->t <= PW_VERIFY_T_MAX && params->m_kib >= 8 * params->p &&
	       params->m_kib <= PW_VERIFY_M_MAX;
}

int pw_check_quality(const char *password, size_t len)
{
	size_t chars = 0;

	if (!password || len < PW_LEN_MIN)
		return CU_EPOLICY;
	if (len > PW_LEN_MAX)
		return CU_ELIMIT;
	/* Count code points: every byte that is not a continuation (10xxxxxx). */
	for (size_t i = 0; i < len; i++)
		chars += ((unsigned char)password[i] & 0xc0) != 0x80;
	return chars >= PW_CHARS_MIN ? 0 : CU_EPOLICY;
}

/* Consume the literal s, or fail without consuming. */
static int expect(struct cu_reader *r, const char *s)
{
	size_t n = strlen(s);

	if (cu_reader_left(r) < n || memcmp(cu_reader_cur(r), s, n))
		return CU_EFORMAT;
	return cu_read_skip(r, n);
}

/* A canonical decimal uint32: 1..10 digits, no sign, no leading zero. */
static int read_u32(struct cu_reader *r, uint32_t *v)
{
	uint64_t x = 0;
	size_t n = 0;
	uint8_t c;

	*v = 0;
	while (n < cu_reader_left(r) && (c = cu_reader_cur(r)[n]) >= '0' && c <= '9') {
		if (++n > PW_DECIMAL_MAX)
			return CU_EFORMAT;
		x = x * 10 + (c - '0');
	}
	if (n == 0 || (n > 1 && cu_reader_cur(r)[0] == '0') || x > UINT32_MAX)
		return CU_EFORMAT;
	*v = (uint32_t)x;
	return cu_read_skip(r, n);
}

/*
 * Standard base64 without padding, up to the next '$' or the end, of
 * min..max bytes. The decoder wants canonical padding: add it.
 */
static int read_b64(struct cu_reader *r, uint8_t *out, size_t min, size_t max, size_t *outlen)
{
	const uint8_t *end = memchr(cu_reader_cur(r), '$', cu_reader_left(r));
	size_t n = end ? (size_t)(end - cu_reader_cur(r)) : cu_reader_left(r);
	char buf[PW_B64_MAX + 3];
	size_t padded = (n + 3) / 4 * 4;

	*outlen = 0;
	if (n > PW_B64_MAX || n % 4 == 1 || memchr(cu_reader_cur(r), '=', n))
		return CU_EFORMAT;
	memcpy(buf, cu_reader_cur(r), n);
	memset(buf + n, '=', padded - n);
	if (cu_b64_decode(buf, padded, out, max, outlen, CU_B64_STD) || *outlen < min) {
		cu_wipe(out, max);
		*outlen = 0;
		return CU_EFORMAT;
	}
	return cu_read_skip(r, n);
}

static int parse_fields(struct cu_reader *r, struct pw_phc *out)
{
	struct pw_params *pp = &out->params;
	uint32_t version;

	if (expect(r, "$argon2id$v=") || read_u32(r, &version) || version != PW_VERSION ||
	    expect(r, "$m=") || read_u32(r, &pp->m_kib) || expect(r, ",t=") ||
	    read_u32(r, &pp->t) || expect(r, ",p=") || read_u32(r, &pp->p))
		return CU_EFORMAT;
	if (!params_ok(pp))
		return CU_EFORMAT;
	if (expect(r, "$") ||
	    read_b64(r, out->salt, PW_SALT_LEN_MIN, PW_SALT_LEN_MAX, &out->salt_len) ||
	    expect(r, "$") ||
	    read_b64(r, out->hash, PW_HASH_LEN_MIN, PW_HASH_LEN_MAX, &out->hash_len))
		return CU_EFORMAT;
	return cu_reader_left(r) ? CU_EFORMAT : 0;
}

int pw_phc_parse(const char *encoded, struct pw_phc *out)
{
	struct cu_reader r;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!encoded)
		return CU_EFORMAT;
	n = strnlen(encoded, PW_ENCODED_MAX);
	if (n == PW_ENCODED_MAX)
		return CU_EFORMAT;
	cu_reader_init(&r, encoded, n);
	if ((rc = parse_fields(&r, out)))
		cu_wipe(out, sizeof(*out));
	return rc;
}

static int argon2_rc(int r)
{
	if (r == ARGON2_OK)
		return 0;
	return r == ARGON2_MEMORY_ALLOCATION_ERROR ? CU_ENOMEM : CU_ECRYPTO;
}

int pw_hash_params(const char *password, size_t len, const struct pw_params *params, char *out,
                   size_t outsz)
{
	struct pw_params def;
	struct pw_phc check;
	uint8_t salt[PW_SALT_LEN];
	int rc;

	if (out && outsz)
		out[0] = 0;
	if (!params) {
		pw_params_default(&def);
		params = &def;
	}
	if (!out || !params_ok(params))
		return CU_EINVAL;
	if ((rc = pw_check_quality(password, len)))
		return rc;
	if (outsz < argon2_encodedlen(params->t, params->m_kib, params->p, PW_SALT_LEN, PW_HASH_LEN,
	                              Argon2_id))
		return CU_ELIMIT;
	if ((rc = cr_random(salt, sizeof(salt))))
		return rc;
	rc = argon2_rc(argon2id_hash_encoded(params->t, params->m_kib, params->p, password, len,
	                                     salt, sizeof(salt), PW_HASH_LEN, out, outsz));
	/* What we write, we must read back: a cheap guard against a library change. */
	if (rc == 0 && pw_phc_parse(out, &check))
		rc = CU_ECRYPTO;
	if (rc)
		cu_wipe(out, outsz);
	cu_wipe(&check, sizeof(check));
	cu_wipe(salt, sizeof(salt));
	return rc;
}

int pw_hash(const char *password, size_t len, char *out, size_t outsz)
{
	return pw_hash_params(password, len, NULL, out, outsz);
}

int pw_verify(const char *encoded, const char *password, size_t len)
{
	struct pw_phc phc;
	uint8_t derived[PW_HASH_LEN_MAX];
	int rc;

	if ((rc = pw_phc_parse(encoded, &phc)))
		return rc;
	if (!password || len < PW_LEN_MIN || len > PW_LEN_MAX) {
		rc = CU_EAUTH;
		goto out;
	}
	rc = argon2_rc(argon2id_hash_raw(phc.params.t, phc.params.m_kib, phc.params.p, password,
	                                 len, phc.salt, phc.salt_len, derived, phc.hash_len));
	if (rc == 0 && !cu_ct_eq(derived, phc.hash, phc.hash_len))
		rc = CU_EAUTH;
out:
	cu_wipe(derived, sizeof(derived));
	cu_wipe(&phc, sizeof(phc));
	return rc;
}

int pw_needs_rehash(const char *encoded, const struct pw_params *params)
{
	struct pw_params def;
	struct pw_phc phc;
	int rc;

	if (!params) {
		pw_params_default(&def);
		params = &def;
	}
	if ((rc = pw_phc_parse(encoded, &phc)))
		return rc;
	rc = phc.params.m_kib != params->m_kib || phc.params.t != params->t ||
	     phc.params.p != params->p || phc.salt_len != PW_SALT_LEN ||
	     phc.hash_len != PW_HASH_LEN;
	cu_wipe(&phc, sizeof(phc));
	return rc;
}

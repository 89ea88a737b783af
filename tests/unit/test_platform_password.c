/* Unit tests: Argon2id password hashes (known answers, parser, bounds, rehash, quality). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <argon2.h>

#include "common/err.h"
#include "platform/password.h"
#include "platform/password_int.h"

/* Known answers of the reference implementation (phc-winner-argon2, src/test.c). */
static const struct {
	const char *password, *encoded;
} kats[] = {
    {"password", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$"
                 "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"},
    {"password", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$"
                 "nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"},
    {"password", "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$"
                 "bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc"},
    {"differentpassword", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$"
                          "C4TWUs9rDEvq7w3+J4umqA32aWKB1+DSiRuBfYxFj94"},
    {"password", "$argon2id$v=19$m=65536,t=2,p=1$ZGlmZnNhbHQ$"
                 "vfMrBczELrFdWP0ZsfhWsRPaHppYdP3MVEMIVlqoFBw"},
};

/* A cheap valid string: m=256, t=2, p=1, salt "somesalt". */
#define CHEAP_PREFIX "$argon2id$v=19$m=256,t=2,p=1$"
#define CHEAP_SALT   "c29tZXNhbHQ"
#define CHEAP_HASH   "nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
#define CHEAP        CHEAP_PREFIX CHEAP_SALT "$" CHEAP_HASH

/* The raw hash of kats[0] (reference implementation's test vector, in hex). */
static const uint8_t kat0_raw[32] = {
    0x09, 0x31, 0x61, 0x15, 0xd5, 0xcf, 0x24, 0xed, 0x5a, 0x15, 0xa3, 0x1a, 0x3b, 0xa3, 0x26, 0xe5,
    0xcf, 0x32, 0xed, 0xc2, 0x47, 0x02, 0x98, 0x7c, 0x02, 0xb6, 0x56, 0x6f, 0x61, 0x91, 0x3c, 0xf7};

static int verify_str(const char *enc, const char *pw)
{
	return pw_verify(enc, pw, strlen(pw));
}

static void test_known_answers(void **state)
{
	struct pw_phc phc;

	(void)state;
	for (size_t i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
		assert_int_equal(verify_str(kats[i].encoded, kats[i].password), 0);
		assert_int_equal(verify_str(kats[i].encoded, "passwore"), CU_EAUTH);
	}
	/* The right password with the wrong salt or parameters fails. */
	assert_int_equal(verify_str(kats[3].encoded, "password"), CU_EAUTH);
	assert_int_equal(pw_phc_parse(kats[0].encoded, &phc), 0);
	assert_int_equal(phc.params.m_kib, 65536);
	assert_int_equal(phc.params.t, 2);
	assert_int_equal(phc.params.p, 1);
	assert_int_equal(phc.salt_len, 8);
	assert_memory_equal(phc.salt, "somesalt", 8);
	assert_int_equal(phc.hash_len, 32);
	assert_memory_equal(phc.hash, kat0_raw, 32);
}

static void test_round_trip(void **state)
{
	const struct pw_params cheap = {.m_kib = 1024, .t = 1, .p = 1};
	char a[PW_ENCODED_MAX], b[PW_ENCODED_MAX];
	struct pw_phc phc;

	(void)state;
	assert_int_equal(pw_hash_params("correct horse", 13, &cheap, a, sizeof(a)), 0);
	assert_int_equal(strncmp(a, "$argon2id$v=19$m=1024,t=1,p=1$", 30), 0);
	assert_int_equal(pw_phc_parse(a, &phc), 0);
	assert_int_equal(phc.salt_len, PW_SALT_LEN);
	assert_int_equal(phc.hash_len, PW_HASH_LEN);
	assert_int_equal(verify_str(a, "correct horse"), 0);
	/* A fresh salt every time. */
	assert_int_equal(pw_hash_params("correct horse", 13, &cheap, b, sizeof(b)), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(verify_str(b, "correct horse"), 0);
	/* Bytes after a NUL count: the length is the password's. */
	assert_int_equal(pw_hash_params("abcdefgh\0ij", 11, &cheap, a, sizeof(a)), 0);
	assert_int_equal(pw_verify(a, "abcdefgh\0ij", 11), 0);
	assert_int_equal(pw_verify(a, "abcdefgh\0ik", 11), CU_EAUTH);
	assert_int_equal(pw_verify(a, "abcdefgh", 8), CU_EAUTH);
	/* The default cost, as OWASP recommends. */
	assert_int_equal(pw_hash("correct horse", 13, a, sizeof(a)), 0);
	assert_int_equal(strncmp(a, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0);
	assert_int_equal(verify_str(a, "correct horse"), 0);
	assert_int_equal(verify_str(a, "correct horsf"), CU_EAUTH);
}

static void test_wrong_password(void **state)
{
	char big[PW_LEN_MAX + 1], enc[PW_ENCODED_MAX];

	(void)state;
	assert_int_equal(verify_str(CHEAP, "password"), 0);
	assert_int_equal(verify_str(CHEAP, "Password"), CU_EAUTH);
	assert_int_equal(verify_str(CHEAP, "passwor"), CU_EAUTH);
	assert_int_equal(verify_str(CHEAP, "password "), CU_EAUTH);
	assert_int_equal(pw_verify(CHEAP, "password", 0), CU_EAUTH);
	assert_int_equal(pw_verify(CHEAP, NULL, 8), CU_EAUTH);
	/*
	 * Over PW_LEN_MAX bytes, even the right password is refused: hash one
	 * with libargon2 directly, as pw_hash() would not.
	 */
	memset(big, 'a', sizeof(big));
	assert_int_equal(
	    argon2id_hash_encoded(1, 64, 1, big, sizeof(big), "somesalt", 8, 32, enc, sizeof(enc)),
	    ARGON2_OK);
	assert_int_equal(pw_verify(enc, big, sizeof(big)), CU_EAUTH);
	assert_int_equal(
	    argon2id_hash_encoded(1, 64, 1, big, PW_LEN_MAX, "somesalt", 8, 32, enc, sizeof(enc)),
	    ARGON2_OK);
	assert_int_equal(pw_verify(enc, big, PW_LEN_MAX), 0);
}

/* Strings pw_verify() must refuse as malformed, without hashing. */
static const char *const malformed[] = {
    "",
    "$",
    "argon2id$v=19$m=256,t=2,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    /* Other variants and versions. */
    "$argon2i$v=19$m=256,t=2,p=2$c29tZXNhbHQ$T/XOJ2mh1/TIpJHfCdQan76Q5esCFVoT5MAeIM1Oq2E",
    "$argon2d$v=16$m=8,t=1,p=1$ICAgICAgICA$X54KZYxUSfMUihzebb70sKbheabHilo8gsUldrVU4IU",
    "$argon2ds$v=16$m=8,t=1,p=2$ICAgICAgICA$+6+yBnWbuV7mLs6rKMhvi+SLbkzb5CB6Jd2pSWuC/Kw",
    "$ARGON2ID$v=19$m=256,t=2,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=16$m=256,t=2,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=20$m=256,t=2,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$m=256,t=2,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=019$m=256,t=2,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    /* Numbers: leading zeros, signs, spaces, overflow, empty. */
    "$argon2id$v=19$m=0256,t=2,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=+256,t=2,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=-256,t=2,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m= 256,t=2,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=,t=2,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=256,t=02,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=4294967296,t=2,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=18446744073709551872,t=2,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    /* Order, unknown and missing parameters. */
    "$argon2id$v=19$t=2,m=256,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=256,p=1,t=2$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=256,t=2$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=256,t=2,p=1,keyid=AAAA$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=256,t=2,p=1,data=AAAA$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=256;t=2;p=1$" CHEAP_SALT "$" CHEAP_HASH,
    /* Cost out of bounds: refused before Argon2 would allocate or loop. */
    "$argon2id$v=19$m=4294967295,t=2,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=262145,t=2,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=256,t=11,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=256,t=4294967295,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=256,t=2,p=9$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=256,t=2,p=16777215$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=256,t=0,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=256,t=2,p=0$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=7,t=2,p=1$" CHEAP_SALT "$" CHEAP_HASH,
    "$argon2id$v=19$m=15,t=2,p=2$" CHEAP_SALT "$" CHEAP_HASH,
    /* Base64: padding, url alphabet, bad characters, non-canonical bits, lengths. */
    CHEAP_PREFIX "c29tZXNhbHQ=$" CHEAP_HASH,
    CHEAP_PREFIX CHEAP_SALT "$" CHEAP_HASH "=",
    CHEAP_PREFIX CHEAP_SALT "$nf65EOgLrQMR_uIPnA4rEsF5h7TKyQwu9U1bMCHGi_4",
    CHEAP_PREFIX CHEAP_SALT "$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi-4",
    CHEAP_PREFIX CHEAP_SALT "$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4 ",
    CHEAP_PREFIX CHEAP_SALT "$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/5",
    CHEAP_PREFIX "c29tZXNhbHR$" CHEAP_HASH,
    CHEAP_PREFIX "c29tZXNhbHQxx$" CHEAP_HASH,        /* 4n+1 characters */
    CHEAP_PREFIX "c29tZXNhbA$" CHEAP_HASH,           /* 7-byte salt */
    CHEAP_PREFIX "$" CHEAP_HASH,                     /* no salt */
    CHEAP_PREFIX CHEAP_SALT "$nf65EOgLrQMR/uIPnA4r", /* 15-byte hash */
    CHEAP_PREFIX CHEAP_SALT "$",
    CHEAP_PREFIX CHEAP_SALT,
    CHEAP_PREFIX CHEAP_SALT "$" CHEAP_HASH "$",
    CHEAP_PREFIX CHEAP_SALT "$" CHEAP_HASH "$AAAA",
    CHEAP_PREFIX CHEAP_SALT "$$" CHEAP_HASH,
};

static void test_malformed(void **state)
{
	struct pw_phc phc;

	(void)state;
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		if (pw_verify(malformed[i], "password", 8) != CU_EFORMAT)
			fail_msg("accepted #%zu: %s", i, malformed[i]);
		assert_int_equal(pw_phc_parse(malformed[i], &phc), CU_EFORMAT);
		assert_int_equal(pw_needs_rehash(malformed[i], NULL), CU_EFORMAT);
	}
	assert_int_equal(pw_verify(NULL, "password", 8), CU_EFORMAT);
}

/* Salts and hashes too long, and strings over PW_ENCODED_MAX. */
static void test_lengths(void **state)
{
	char s[2 * PW_ENCODED_MAX], b64[100];
	struct pw_phc phc;

	(void)state;
	/* 64 bytes (86 characters) is the longest salt and hash; 65 bytes are refused. */
	memset(b64, 'A', 86);
	b64[86] = 0;
	snprintf(s, sizeof(s), "%s%s$%s", CHEAP_PREFIX, b64, CHEAP_HASH);
	assert_int_equal(pw_phc_parse(s, &phc), 0);
	assert_int_equal(phc.salt_len, 64);
	snprintf(s, sizeof(s), "%s%s$%s", CHEAP_PREFIX, CHEAP_SALT, b64);
	assert_int_equal(pw_phc_parse(s, &phc), 0);
	assert_int_equal(phc.hash_len, 64);
	assert_int_equal(pw_verify(s, "password", 8), CU_EAUTH);
	b64[86] = 'A', b64[87] = 0;
	snprintf(s, sizeof(s), "%s%s$%s", CHEAP_PREFIX, b64, CHEAP_HASH);
	assert_int_equal(pw_verify(s, "password", 8), CU_EFORMAT);
	snprintf(s, sizeof(s), "%s%s$%s", CHEAP_PREFIX, CHEAP_SALT, b64);
	assert_int_equal(pw_verify(s, "password", 8), CU_EFORMAT);
	/* A string of PW_ENCODED_MAX characters or more is refused unread. */
	memset(s, 'A', sizeof(s) - 1);
	s[sizeof(s) - 1] = 0;
	memcpy(s, CHEAP, strlen(CHEAP));
	assert_int_equal(pw_verify(s, "password", 8), CU_EFORMAT);
}

/* Every proper prefix of a valid string fails; those that end inside the salt are malformed. */
static void test_truncated(void **state)
{
	const size_t n = strlen(CHEAP), hash_at = strlen(CHEAP_PREFIX CHEAP_SALT "$");
	char s[sizeof(CHEAP)];

	(void)state;
	for (size_t i = 0; i < n; i++) {
		memcpy(s, CHEAP, i);
		s[i] = 0;
		if (i < hash_at + 22)
			assert_int_equal(pw_verify(s, "password", 8), CU_EFORMAT);
		else
			assert_int_not_equal(pw_verify(s, "password", 8), 0);
	}
	assert_int_equal(pw_verify(CHEAP, "password", 8), 0);
}

/* The bounds are inclusive, and what pw_hash_params() accepts it writes. */
static void test_bounds(void **state)
{
	static const char *const edge[] = {
	    "$argon2id$v=19$m=262144,t=10,p=8$" CHEAP_SALT "$" CHEAP_HASH,
	    "$argon2id$v=19$m=8,t=1,p=1$" CHEAP_SALT "$" CHEAP_HASH,
	    "$argon2id$v=19$m=64,t=1,p=8$" CHEAP_SALT "$" CHEAP_HASH,
	};
	static const struct pw_params bad[] = {
	    {0, 1, 1},      {7, 1, 1},    {63, 1, 8},
	    {262145, 1, 1}, {1024, 0, 1}, {1024, 11, 1},
	    {1024, 1, 0},   {1024, 1, 9}, {UINT32_MAX, UINT32_MAX, UINT32_MAX},
	};
	const struct pw_params small = {.m_kib = 64, .t = 1, .p = 8};
	char out[PW_ENCODED_MAX];
	size_t len;
	struct pw_phc phc;

	(void)state;
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		assert_int_equal(pw_phc_parse(edge[i], &phc), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, 'x', sizeof(out));
		assert_int_equal(pw_hash_params("password", 8, &bad[i], out, sizeof(out)),
		                 CU_EINVAL);
		assert_string_equal(out, "");
	}
	assert_int_equal(pw_hash_params("password", 8, &small, out, sizeof(out)), 0);
	assert_int_equal(verify_str(out, "password"), 0);
	/* Room for the string and its NUL, no less. */
	len = strlen(out);
	assert_int_equal(pw_hash_params("password", 8, &small, out, len), CU_ELIMIT);
	assert_string_equal(out, "");
	assert_int_equal(pw_hash_params("password", 8, &small, out, len + 1), 0);
	assert_int_equal(strlen(out), len);
	assert_int_equal(pw_hash_params("password", 8, &small, NULL, 0), CU_EINVAL);
}

static void test_needs_rehash(void **state)
{
	const struct pw_params cur = {.m_kib = 1024, .t = 1, .p = 1};
	const struct pw_params other[] = {{2048, 1, 1}, {1024, 2, 1}, {1024, 1, 2}};
	char enc[PW_ENCODED_MAX];

	(void)state;
	assert_int_equal(pw_hash_params("password", 8, &cur, enc, sizeof(enc)), 0);
	assert_int_equal(pw_needs_rehash(enc, &cur), 0);
	assert_int_equal(pw_needs_rehash(enc, NULL), 1);
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		assert_int_equal(pw_needs_rehash(enc, &other[i]), 1);
	assert_int_equal(pw_hash("password", 8, enc, sizeof(enc)), 0);
	assert_int_equal(pw_needs_rehash(enc, NULL), 0);
	/* Right cost, but an 8-byte salt: hash again with ours. */
	{
		const struct pw_params kat = {.m_kib = 65536, .t = 2, .p = 1};
		assert_int_equal(pw_needs_rehash(kats[0].encoded, &kat), 1);
	}
}

static void test_quality(void **state)
{
	/* "é" is two bytes and one character. */
	static const char e7[] = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
	static const char e8[] = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
	char big[PW_LEN_MAX + 1], out[PW_ENCODED_MAX];
	const struct pw_params cheap = {.m_kib = 64, .t = 1, .p = 1};

	(void)state;
	assert_int_equal(pw_check_quality("1234567", 7), CU_EPOLICY);
	assert_int_equal(pw_check_quality("12345678", 8), 0);
	assert_int_equal(pw_check_quality(e7, strlen(e7)), CU_EPOLICY);
	assert_int_equal(pw_check_quality(e8, strlen(e8)), 0);
	assert_int_equal(pw_check_quality("", 0), CU_EPOLICY);
	assert_int_equal(pw_check_quality(NULL, 8), CU_EPOLICY);
	memset(big, 'a', sizeof(big));
	assert_int_equal(pw_check_quality(big, PW_LEN_MAX), 0);
	assert_int_equal(pw_check_quality(big, PW_LEN_MAX + 1), CU_ELIMIT);
	/* pw_hash applies the rule; pw_verify does not (it only answers yes or no). */
	assert_int_equal(pw_hash_params("1234567", 7, &cheap, out, sizeof(out)), CU_EPOLICY);
	assert_int_equal(pw_hash_params(e7, strlen(e7), &cheap, out, sizeof(out)), CU_EPOLICY);
	assert_int_equal(pw_hash_params(big, PW_LEN_MAX + 1, &cheap, out, sizeof(out)), CU_ELIMIT);
	assert_int_equal(pw_hash_params(big, PW_LEN_MAX, &cheap, out, sizeof(out)), 0);
	assert_int_equal(pw_verify(out, big, PW_LEN_MAX), 0);
	assert_int_equal(pw_hash("1234567", 7, out, sizeof(out)), CU_EPOLICY);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_answers),  cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_wrong_password), cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_lengths),        cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_bounds),         cmocka_unit_test(test_needs_rehash),
	    cmocka_unit_test(test_quality),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

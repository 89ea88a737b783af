/* Unit tests: EdDSA JWTs (round trip, every refusal of tok_verify, issue checks). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "crypto/pkey.h"
#include "platform/token.h"

#define NOW INT64_C(1700000000)
#define HDR "{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}"

struct keys {
	EVP_PKEY *priv;  /* the platform's key */
	EVP_PKEY *pub;   /* its public half, alone */
	EVP_PKEY *other; /* another Ed25519 key */
	EVP_PKEY *p256;
};

static int setup(void **state)
{
	struct keys *k = calloc(1, sizeof(*k));
	char *pem = NULL;
	size_t len;

	assert_non_null(k);
	assert_int_equal(cr_pkey_generate(CR_KEY_ED25519, &k->priv), 0);
	assert_int_equal(cr_pkey_generate(CR_KEY_ED25519, &k->other), 0);
	assert_int_equal(cr_pkey_generate(CR_KEY_P256, &k->p256), 0);
	assert_int_equal(cr_pkey_to_pem(k->priv, 0, &pem, &len), 0);
	assert_int_equal(cr_pkey_from_pem(pem, len, 0, &k->pub), 0);
	free(pem);
	*state = k;
	return 0;
}

static int teardown(void **state)
{
	struct keys *k = *state;

	EVP_PKEY_free(k->priv);
	EVP_PKEY_free(k->pub);
	EVP_PKEY_free(k->other);
	EVP_PKEY_free(k->p256);
	free(k);
	return 0;
}

static struct tok_claims good_claims(void)
{
	struct tok_claims c;

	memset(&c, 0, sizeof(c));
	strcpy(c.sub, "alice");
	strcpy(c.role, "function_owner");
	c.gen = 7;
	c.iat = NOW;
	c.exp = NOW + 3600;
	return c;
}

static char *b64url(const void *p, size_t n)
{
	size_t sz = cu_b64_encoded_size(n, CU_B64_URL);
	char *s = malloc(sz);

	assert_non_null(s);
	assert_int_equal(cu_b64_encode(p, n, s, sz, CU_B64_URL), 0);
	return s;
}

/* hseg "." pseg "." and the base64url signature of the two with key; no checks on the segments. */
static char *forge_raw(EVP_PKEY *key, const char *hseg, const char *pseg)
{
	size_t n = strlen(hseg) + strlen(pseg) + 200, siglen;
	uint8_t sig[CR_SIG_MAX_LEN];
	char *tok = malloc(n), *s;

	assert_non_null(tok);
	snprintf(tok, n, "%s.%s", hseg, pseg);
	assert_int_equal(cr_sign(key, tok, strlen(tok), sig, &siglen), 0);
	s = b64url(sig, siglen);
	strcat(tok, ".");
	strcat(tok, s);
	free(s);
	return tok;
}

/*
 * A token with any header and payload text, correctly signed with key: the
 * refusals below are then for the rule tested, not for the signature.
 */
static char *forge(EVP_PKEY *key, const char *header, const char *payload)
{
	char *h = b64url(header, strlen(header)), *p = b64url(payload, strlen(payload));
	char *tok = forge_raw(key, h, p);

	free(h);
	free(p);
	return tok;
}

/* A payload with the claims of good_claims() and one jti; extra is spliced in before "}". */
#define PAYLOAD_HEAD "{\"iss\":\"custos\",\"sub\":\"alice\",\"role\":\"function_owner\",\"gen\":7,"
#define PAYLOAD_TIME "\"iat\":1700000000,\"exp\":1700003600,"
#define PAYLOAD_JTI  "\"jti\":\"AAAAAAAAAAAAAAAAAAAAAA\""
#define PAYLOAD_OK   PAYLOAD_HEAD PAYLOAD_TIME PAYLOAD_JTI "}"

static int verify_str(EVP_PKEY *key, const char *tok, struct tok_claims *out)
{
	return tok_verify(key, tok, strlen(tok), NOW, out);
}

static int forged_rc(struct keys *k, const char *header, const char *payload)
{
	struct tok_claims out;
	char *tok = forge(k->priv, header, payload);
	int rc = verify_str(k->pub, tok, &out);

	free(tok);
	return rc;
}

static void test_round_trip(void **state)
{
	struct keys *k = *state;
	struct tok_claims c = good_claims(), out;
	char *tok = NULL, *tok2 = NULL, *hdr = b64url(HDR, strlen(HDR));

	assert_int_equal(tok_issue(k->priv, &c, &tok), 0);
	/* The header is exactly RFC 8037's, and there are three segments. */
	assert_int_equal(strncmp(tok, hdr, strlen(hdr)), 0);
	assert_int_equal(tok[strlen(hdr)], '.');
	assert_int_equal(verify_str(k->pub, tok, &out), 0);
	assert_string_equal(out.sub, "alice");
	assert_string_equal(out.role, "function_owner");
	assert_string_equal(out.org, "");
	assert_int_equal(out.gen, 7);
	assert_int_equal(out.iat, NOW);
	assert_int_equal(out.exp, NOW + 3600);
	assert_int_equal(strlen(out.jti), TOK_JTI_LEN);
	/* The private key verifies too; every token has its own jti. */
	assert_int_equal(tok_issue(k->priv, &c, &tok2), 0);
	assert_string_not_equal(tok, tok2);
	{
		struct tok_claims out2;
		assert_int_equal(verify_str(k->priv, tok2, &out2), 0);
		assert_string_not_equal(out.jti, out2.jti);
	}
	free(tok2);
	tok2 = NULL;
	/* With an organisation and the largest values. */
	strcpy(c.org, "acme");
	memset(c.sub, 'u', TOK_SUB_MAX);
	c.sub[TOK_SUB_MAX] = 0;
	c.gen = (uint64_t)TOK_INT_MAX;
	c.iat = TOK_INT_MAX - TOK_LIFETIME_MAX;
	c.exp = TOK_INT_MAX;
	assert_int_equal(tok_issue(k->priv, &c, &tok2), 0);
	assert_int_equal(tok_verify(k->pub, tok2, strlen(tok2), c.iat, &out), 0);
	assert_string_equal(out.org, "acme");
	assert_string_equal(out.sub, c.sub);
	assert_int_equal(out.gen, (uint64_t)TOK_INT_MAX);
	/* Claims are copies: they outlive the token. */
	memset(tok2, 0, strlen(tok2));
	free(tok2);
	assert_string_equal(out.org, "acme");
	free(tok);
	free(hdr);
	/* The forger builds what tok_verify accepts, so its refusals below mean something. */
	assert_int_equal(forged_rc(k, HDR, PAYLOAD_OK), 0);
}

static void test_header(void **state)
{
	static const char *const bad[] = {
	    "{\"alg\":\"none\",\"typ\":\"JWT\"}",
	    "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	    "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
	    "{\"alg\":\"ES256\",\"typ\":\"JWT\"}",
	    "{\"alg\":\"Ed25519\",\"typ\":\"JWT\"}",
	    "{\"alg\":\"eddsa\",\"typ\":\"JWT\"}",
	    "{\"alg\":\"EdDSA\"}",
	    "{\"typ\":\"JWT\"}",
	    "{\"alg\":\"EdDSA\",\"typ\":\"jwt\"}",
	    "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"1\"}",
	    "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"jku\":\"https://evil.example/k\"}",
	    "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"crit\":[\"exp\"]}",
	    "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"alg\":\"EdDSA\"}",
	    "{\"typ\":\"JWT\",\"alg\":\"EdDSA\"}",
	    "{\"alg\": \"EdDSA\",\"typ\":\"JWT\"}",
	    "{\"alg\":\"EdDSA\",\"typ\":\"JWT\"} ",
	    "{}",
	    "",
	};
	struct keys *k = *state;
	struct tok_claims out;
	char *tok, *none;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (forged_rc(k, bad[i], PAYLOAD_OK) != CU_EFORMAT)
			fail_msg("header #%zu accepted: %s", i, bad[i]);
	/* alg "none" as attackers send it: an empty signature. */
	tok = forge(k->priv, "{\"alg\":\"none\",\"typ\":\"JWT\"}", PAYLOAD_OK);
	none = strdup(tok);
	strrchr(none, '.')[1] = 0;
	assert_int_equal(verify_str(k->pub, none, &out), CU_EFORMAT);
	free(tok);
	free(none);
}

static void test_signature(void **state)
{
	struct keys *k = *state;
	struct tok_claims c = good_claims(), out;
	char *tok, *other, *mixed;
	size_t dot;

	assert_int_equal(tok_issue(k->priv, &c, &tok), 0);
	assert_int_equal(tok_issue(k->other, &c, &other), 0);
	assert_int_equal(verify_str(k->pub, other, &out), CU_EAUTH);
	assert_int_equal(verify_str(k->other, tok, &out), CU_EAUTH);
	/* Another token's signature on this payload. */
	mixed = strdup(tok);
	dot = (size_t)(strrchr(tok, '.') - tok);
	assert_int_equal(strlen(tok) - dot, strlen(other) - (size_t)(strrchr(other, '.') - other));
	strcpy(mixed + dot, strrchr(other, '.'));
	assert_int_equal(verify_str(k->pub, mixed, &out), CU_EAUTH);
	/* Keys that are not Ed25519, on either side. */
	assert_int_equal(verify_str(k->p256, tok, &out), CU_EKEY);
	assert_int_equal(verify_str(NULL, tok, &out), CU_EKEY);
	free(other);
	assert_int_equal(tok_issue(k->p256, &c, &other), CU_EKEY);
	assert_null(other);
	/*
	 * The last signature character carries 4 unused bits, zero in canonical
	 * base64url (so it is one of AQgw): the next character sets one of them.
	 */
	strcpy(mixed, tok);
	{
		static const char next[] = "AB QR gh wx";
		char *last = mixed + strlen(mixed) - 1;
		const char *at = strchr(next, *last);
		assert_non_null(at);
		*last = at[1];
		assert_int_equal(verify_str(k->pub, mixed, &out), CU_EFORMAT);
	}
	free(mixed);
	free(tok);
}

/* Every single-bit change anywhere in a token is refused. */
static void test_bit_flips(void **state)
{
	struct keys *k = *state;
	struct tok_claims c = good_claims(), out;
	char *tok;
	size_t n, d1, d2;

	strcpy(c.org, "acme");
	assert_int_equal(tok_issue(k->priv, &c, &tok), 0);
	n = strlen(tok);
	d1 = (size_t)(strchr(tok, '.') - tok);
	d2 = (size_t)(strrchr(tok, '.') - tok);
	for (size_t i = 0; i < n; i++) {
		for (int b = 0; b < 8; b++) {
			int rc;
			tok[i] ^= (char)(1 << b);
			rc = tok_verify(k->pub, tok, n, NOW, &out);
			if (rc == 0)
				fail_msg("flip of bit %d at %zu accepted", b, i);
			/* A flip inside the header or payload that stays base64url fails the
			 * signature. */
			if (i != d1 && i != d2 && i < d2 && i > d1 && rc != CU_EFORMAT)
				assert_int_equal(rc, CU_EAUTH);
			if (i < d1)
				assert_int_equal(rc, CU_EFORMAT);
			tok[i] ^= (char)(1 << b);
		}
	}
	assert_int_equal(tok_verify(k->pub, tok, n, NOW, &out), 0);
	free(tok);
}

static void test_times(void **state)
{
	struct keys *k = *state;
	struct tok_claims c = good_claims(), out;
	char *tok;

	assert_int_equal(tok_issue(k->priv, &c, &tok), 0);
	assert_int_equal(tok_verify(k->pub, tok, strlen(tok), c.exp - 1, &out), 0);
	assert_int_equal(tok_verify(k->pub, tok, strlen(tok), c.exp, &out), CU_EEXPIRED);
	assert_int_equal(tok_verify(k->pub, tok, strlen(tok), c.exp + 86400, &out), CU_EEXPIRED);
	assert_int_equal(tok_verify(k->pub, tok, strlen(tok), INT64_MAX, &out), CU_EEXPIRED);
	/* Issued in the future: TOK_SKEW seconds are tolerated, no more. */
	assert_int_equal(tok_verify(k->pub, tok, strlen(tok), c.iat - TOK_SKEW, &out), 0);
	assert_int_equal(tok_verify(k->pub, tok, strlen(tok), c.iat - TOK_SKEW - 1, &out),
	                 CU_EEXPIRED);
	assert_int_equal(tok_verify(k->pub, tok, strlen(tok), INT64_MIN, &out), CU_EEXPIRED);
	free(tok);
	/* Lifetime: the longest is accepted, longer and empty ones are refused when signed. */
	c.exp = c.iat + TOK_LIFETIME_MAX;
	assert_int_equal(tok_issue(k->priv, &c, &tok), 0);
	assert_int_equal(verify_str(k->pub, tok, &out), 0);
	free(tok);
	assert_int_equal(forged_rc(k, HDR,
	                           PAYLOAD_HEAD "\"iat\":1700000000,\"exp\":1700086401," PAYLOAD_JTI
	                                        "}"),
	                 CU_EPOLICY);
	assert_int_equal(forged_rc(k, HDR,
	                           PAYLOAD_HEAD "\"iat\":1700000000,\"exp\":1700000000," PAYLOAD_JTI
	                                        "}"),
	                 CU_EPOLICY);
	assert_int_equal(forged_rc(k, HDR,
	                           PAYLOAD_HEAD "\"iat\":1700000100,\"exp\":1700000050," PAYLOAD_JTI
	                                        "}"),
	                 CU_EPOLICY);
}

/* Signed payloads that break a claim rule: all CU_EFORMAT. */
static const char *const bad_payloads[] = {
    "",
    "null",
    "[]",
    "\"x\"",
    "{}",
    "{" PAYLOAD_JTI "}",
    PAYLOAD_OK "{}",
    /* Each required claim missing. */
    "{\"sub\":\"alice\",\"role\":\"r\",\"gen\":7," PAYLOAD_TIME PAYLOAD_JTI "}",
    "{\"iss\":\"custos\",\"role\":\"r\",\"gen\":7," PAYLOAD_TIME PAYLOAD_JTI "}",
    "{\"iss\":\"custos\",\"sub\":\"alice\",\"gen\":7," PAYLOAD_TIME PAYLOAD_JTI "}",
    "{\"iss\":\"custos\",\"sub\":\"alice\",\"role\":\"r\"," PAYLOAD_TIME PAYLOAD_JTI "}",
    PAYLOAD_HEAD "\"exp\":1700003600," PAYLOAD_JTI "}",
    PAYLOAD_HEAD "\"iat\":1700000000," PAYLOAD_JTI "}",
    PAYLOAD_HEAD "\"iat\":1700000000,\"exp\":1700003600}",
    /* Wrong types. */
    "{\"iss\":1,\"sub\":\"alice\",\"role\":\"r\",\"gen\":7," PAYLOAD_TIME PAYLOAD_JTI "}",
    "{\"iss\":\"custos\",\"sub\":42,\"role\":\"r\",\"gen\":7," PAYLOAD_TIME PAYLOAD_JTI "}",
    "{\"iss\":\"custos\",\"sub\":\"alice\",\"role\":null,\"gen\":7," PAYLOAD_TIME PAYLOAD_JTI "}",
    "{\"iss\":\"custos\",\"sub\":[\"alice\"],\"role\":\"r\",\"gen\":7," PAYLOAD_TIME PAYLOAD_JTI
    "}",
    "{\"iss\":\"custos\",\"sub\":\"alice\",\"role\":\"r\",\"gen\":\"7\"," PAYLOAD_TIME PAYLOAD_JTI
    "}",
    "{\"iss\":\"custos\",\"sub\":\"alice\",\"role\":\"r\",\"gen\":7.0," PAYLOAD_TIME PAYLOAD_JTI
    "}",
    PAYLOAD_HEAD "\"iat\":\"1700000000\",\"exp\":1700003600," PAYLOAD_JTI "}",
    PAYLOAD_HEAD "\"iat\":1700000000.5,\"exp\":1700003600," PAYLOAD_JTI "}",
    PAYLOAD_HEAD "\"iat\":1700000000,\"exp\":true," PAYLOAD_JTI "}",
    PAYLOAD_HEAD PAYLOAD_TIME "\"jti\":7}",
    PAYLOAD_HEAD PAYLOAD_TIME PAYLOAD_JTI ",\"org\":5}",
    /* Out of range or badly formed values. */
    "{\"iss\":\"custos\",\"sub\":\"\",\"role\":\"r\",\"gen\":7," PAYLOAD_TIME PAYLOAD_JTI "}",
    "{\"iss\":\"custos\",\"sub\":\"alice\",\"role\":\"\",\"gen\":7," PAYLOAD_TIME PAYLOAD_JTI "}",
    "{\"iss\":\"custos\",\"sub\":\"al\\u0000ice\",\"role\":\"r\",\"gen\":7," PAYLOAD_TIME
        PAYLOAD_JTI "}",
    "{\"iss\":\"custos\",\"sub\":\"al\\nice\",\"role\":\"r\",\"gen\":7," PAYLOAD_TIME PAYLOAD_JTI
    "}",
    "{\"iss\":\"custos\",\"sub\":\"alice\",\"role\":\"r\",\"gen\":-1," PAYLOAD_TIME PAYLOAD_JTI "}",
    "{\"iss\":\"custos\",\"sub\":\"alice\",\"role\":\"r\",\"gen\":9007199254740992," PAYLOAD_TIME
        PAYLOAD_JTI "}",
    "{\"iss\":\"custos\",\"sub\":\"alice\",\"role\":\"r\",\"gen\":"
    "99999999999999999999999," PAYLOAD_TIME PAYLOAD_JTI "}",
    PAYLOAD_HEAD "\"iat\":-1,\"exp\":1700003600," PAYLOAD_JTI "}",
    PAYLOAD_HEAD "\"iat\":1700000000,\"exp\":9007199254740992," PAYLOAD_JTI "}",
    PAYLOAD_HEAD PAYLOAD_TIME "\"jti\":\"AAAAAAAAAAAAAAAAAAAAA\"}",
    PAYLOAD_HEAD PAYLOAD_TIME "\"jti\":\"AAAAAAAAAAAAAAAAAAAA\"}",
    PAYLOAD_HEAD PAYLOAD_TIME "\"jti\":\"AAAAAAAAAAAAAAAAAAA\"}",
    PAYLOAD_HEAD PAYLOAD_TIME "\"jti\":\"\"}",
    PAYLOAD_HEAD PAYLOAD_TIME "\"jti\":\"AAAAAAAAAAAAAAAAAAAAAAA\"}",
    PAYLOAD_HEAD PAYLOAD_TIME "\"jti\":\"AAAAAAAAAAAAAAAAAAAAAB\"}",
    PAYLOAD_HEAD PAYLOAD_TIME "\"jti\":\"AAAAAAAAAAAAAAAAAAAA==\"}",
    PAYLOAD_HEAD PAYLOAD_TIME "\"jti\":\"AAAAAAAAAAAAAAAAAAAA+/\"}",
    PAYLOAD_HEAD PAYLOAD_TIME PAYLOAD_JTI ",\"org\":\"\"}",
    /* Unknown and duplicate claims. */
    PAYLOAD_HEAD PAYLOAD_TIME PAYLOAD_JTI ",\"aud\":\"custos\"}",
    PAYLOAD_HEAD PAYLOAD_TIME PAYLOAD_JTI ",\"admin\":true}",
    PAYLOAD_HEAD PAYLOAD_TIME PAYLOAD_JTI ",\"sub\":\"root\"}",
    PAYLOAD_HEAD PAYLOAD_TIME PAYLOAD_JTI ",\"iss\":\"custos\"}",
};

static void test_claims(void **state)
{
	struct keys *k = *state;
	char sub[TOK_SUB_MAX + 2], p[512];

	for (size_t i = 0; i < sizeof(bad_payloads) / sizeof(bad_payloads[0]); i++)
		if (forged_rc(k, HDR, bad_payloads[i]) != CU_EFORMAT)
			fail_msg("payload #%zu accepted: %s", i, bad_payloads[i]);
	/* String bounds: TOK_SUB_MAX bytes pass, one more does not. */
	memset(sub, 'a', sizeof(sub));
	sub[TOK_SUB_MAX] = 0;
	snprintf(
	    p, sizeof(p),
	    "{\"iss\":\"custos\",\"sub\":\"%s\",\"role\":\"r\",\"gen\":7," PAYLOAD_TIME PAYLOAD_JTI
	    "}",
	    sub);
	assert_int_equal(forged_rc(k, HDR, p), 0);
	sub[TOK_SUB_MAX] = 'a', sub[TOK_SUB_MAX + 1] = 0;
	snprintf(
	    p, sizeof(p),
	    "{\"iss\":\"custos\",\"sub\":\"%s\",\"role\":\"r\",\"gen\":7," PAYLOAD_TIME PAYLOAD_JTI
	    "}",
	    sub);
	assert_int_equal(forged_rc(k, HDR, p), CU_EFORMAT);
	/* Optional org; members in any order (the payload is JSON, the header is not). */
	assert_int_equal(forged_rc(k, HDR, PAYLOAD_HEAD PAYLOAD_TIME PAYLOAD_JTI ",\"org\":\"o\"}"),
	                 0);
	assert_int_equal(forged_rc(k, HDR,
	                           "{" PAYLOAD_JTI
	                           ",\"exp\":1700003600,\"iat\":1700000000,\"gen\":7,"
	                           "\"role\":\"r\",\"sub\":\"s\",\"iss\":\"custos\"}"),
	                 0);
}

static void test_issuer(void **state)
{
	static const char *const iss[] = {"custos2", "Custos", "", "custos\\u0000", "evil"};
	struct keys *k = *state;
	char p[512];

	for (size_t i = 0; i < sizeof(iss) / sizeof(iss[0]); i++) {
		int rc;
		snprintf(p, sizeof(p),
		         "{\"iss\":\"%s\",\"sub\":\"alice\",\"role\":\"r\",\"gen\":7," PAYLOAD_TIME
		             PAYLOAD_JTI "}",
		         iss[i]);
		rc = forged_rc(k, HDR, p);
		/* An embedded NUL is a format error before it is a wrong issuer. */
		assert_int_equal(rc, strstr(iss[i], "\\u0000") ? CU_EFORMAT : CU_EAUTH);
	}
}

/* Segments: count, emptiness, padding, characters, length. */
static void test_segments(void **state)
{
	struct keys *k = *state;
	struct tok_claims c = good_claims(), out;
	char *tok, *buf;
	size_t n, d1, d2;

	assert_int_equal(tok_issue(k->priv, &c, &tok), 0);
	n = strlen(tok);
	d1 = (size_t)(strchr(tok, '.') - tok);
	d2 = (size_t)(strrchr(tok, '.') - tok);
	buf = malloc(2 * TOK_MAX_LEN + 8);
	assert_non_null(buf);
#define EXPECT(rc, ...)                                                                            \
	do {                                                                                       \
		snprintf(buf, 2 * TOK_MAX_LEN + 8, __VA_ARGS__);                                   \
		assert_int_equal(verify_str(k->pub, buf, &out), rc);                               \
	} while (0)
	EXPECT(0, "%s", tok);
	/* Four segments, two, one. */
	EXPECT(CU_EFORMAT, "%s.", tok);
	EXPECT(CU_EFORMAT, "%s.%s", tok, tok + d2 + 1);
	EXPECT(CU_EFORMAT, "%.*s", (int)d2, tok);
	EXPECT(CU_EFORMAT, "%.*s", (int)d1, tok);
	EXPECT(CU_EFORMAT, "%.*s.%s", (int)d1, tok, tok + d1);
	/* Empty segments. */
	EXPECT(CU_EFORMAT, "..");
	EXPECT(CU_EFORMAT, "...");
	EXPECT(CU_EFORMAT, "%.*s.%s", (int)d1, tok, tok + d2);
	EXPECT(CU_EFORMAT, "%s", tok + d1);
	EXPECT(CU_EFORMAT, "%.*s", (int)d2 + 1, tok);
	/* Padding '=' on any segment: refused even when signed. */
	EXPECT(CU_EFORMAT, "%.*s=%s", (int)d1, tok, tok + d1);
	EXPECT(CU_EFORMAT, "%s==", tok);
	EXPECT(CU_EFORMAT, "%s=", tok);
	{
		char *pseg = strndup(tok + d1 + 1, d2 - d1 - 1), *pad = malloc(strlen(pseg) + 3);
		char *hseg = strndup(tok, d1), *t;
		static const char *const sfx[] = {"=", "=="};
		static const char alien[] = "+/=\n %\x80";
		assert_non_null(pad);
		/* Control: the same segments re-signed verify. */
		t = forge_raw(k->priv, hseg, pseg);
		assert_int_equal(verify_str(k->pub, t, &out), 0);
		free(t);
		for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
			snprintf(pad, strlen(pseg) + 3, "%s%s", pseg, sfx[i]);
			t = forge_raw(k->priv, hseg, pad);
			assert_int_equal(verify_str(k->pub, t, &out), CU_EFORMAT);
			free(t);
		}
		/* A character outside the base64url alphabet in place of the first one. */
		for (size_t i = 0; alien[i]; i++) {
			strcpy(pad, pseg);
			pad[0] = alien[i];
			t = forge_raw(k->priv, hseg, pad);
			assert_int_equal(verify_str(k->pub, t, &out), CU_EFORMAT);
			free(t);
		}
		free(pad);
		free(pseg);
		free(hseg);
	}
	/* Other characters, unsigned: the header, then the signature refuse them. */
	EXPECT(CU_EFORMAT, "%s ", tok);
	EXPECT(CU_EFORMAT, " %s", tok);
	EXPECT(CU_EFORMAT, "%.*s+%s", (int)d2 + 1, tok, tok + d2 + 2);
	memcpy(buf, tok, n + 1);
	buf[d2 + 5] = 0;
	assert_int_equal(tok_verify(k->pub, buf, n, NOW, &out), CU_EFORMAT);
	/* Length: 0 and over TOK_MAX_LEN are refused unread. */
	assert_int_equal(tok_verify(k->pub, tok, 0, NOW, &out), CU_ELIMIT);
	assert_int_equal(tok_verify(k->pub, NULL, 10, NOW, &out), CU_ELIMIT);
	memset(buf, 'A', TOK_MAX_LEN + 1);
	memcpy(buf, tok, n);
	assert_int_equal(tok_verify(k->pub, buf, TOK_MAX_LEN + 1, NOW, &out), CU_ELIMIT);
	assert_int_equal(tok_verify(k->pub, buf, TOK_MAX_LEN, NOW, &out), CU_EFORMAT);
	free(buf);
	free(tok);
#undef EXPECT
}

/* A correctly signed token of more than TOK_MAX_LEN bytes is refused for its length. */
static void test_oversized(void **state)
{
	struct keys *k = *state;
	struct tok_claims out;
	char *p = malloc(4096), *tok;

	assert_non_null(p);
	snprintf(p, 4096, PAYLOAD_HEAD PAYLOAD_TIME PAYLOAD_JTI ",\"org\":\"%03000d\"}", 0);
	tok = forge(k->priv, HDR, p);
	assert_true(strlen(tok) > TOK_MAX_LEN);
	assert_int_equal(verify_str(k->pub, tok, &out), CU_ELIMIT);
	free(tok);
	free(p);
}

static void test_out_cleared(void **state)
{
	struct keys *k = *state;
	struct tok_claims c = good_claims(), out, zero;
	char *tok;

	memset(&zero, 0, sizeof(zero));
	assert_int_equal(tok_issue(k->priv, &c, &tok), 0);
	/* Signed and well-formed, then refused late (expired): nothing is left in out. */
	memset(&out, 0xa5, sizeof(out));
	assert_int_equal(tok_verify(k->pub, tok, strlen(tok), c.exp, &out), CU_EEXPIRED);
	assert_memory_equal(&out, &zero, sizeof(out));
	memset(&out, 0xa5, sizeof(out));
	{
		char *t = forge(k->priv, HDR, PAYLOAD_HEAD PAYLOAD_TIME "\"jti\":5}");
		assert_int_equal(verify_str(k->pub, t, &out), CU_EFORMAT);
		assert_memory_equal(&out, &zero, sizeof(out));
		free(t);
	}
	free(tok);
}

static void test_issue_checks(void **state)
{
	struct keys *k = *state;
	struct tok_claims c;
	char *tok = (char *)1;

#define BAD(stmt)                                                                                  \
	do {                                                                                       \
		c = good_claims();                                                                 \
		stmt;                                                                              \
		assert_int_equal(tok_issue(k->priv, &c, &tok), CU_EINVAL);                         \
		assert_null(tok);                                                                  \
	} while (0)
	BAD(c.sub[0] = 0);
	BAD(c.role[0] = 0);
	BAD(memset(c.sub, 'a', sizeof(c.sub)));
	BAD(memset(c.role, 'a', sizeof(c.role)));
	BAD(memset(c.org, 'a', sizeof(c.org)));
	BAD(strcpy(c.sub, "al\nice"));
	BAD(strcpy(c.role, "r\x7f"));
	BAD(strcpy(c.sub, "\xff\xfe"));
	BAD(strcpy(c.org, "\xc3"));
	BAD(c.gen = (uint64_t)TOK_INT_MAX + 1);
	BAD(c.gen = UINT64_MAX);
	BAD(c.iat = -1);
	BAD(c.exp = c.iat);
	BAD(c.exp = c.iat - 1);
	BAD(c.exp = c.iat + TOK_LIFETIME_MAX + 1);
	BAD((c.iat = TOK_INT_MAX - 10, c.exp = TOK_INT_MAX + 1));
#undef BAD
	c = good_claims();
	assert_int_equal(tok_issue(k->priv, NULL, &tok), CU_EINVAL);
	assert_int_equal(tok_issue(k->priv, &c, NULL), CU_EINVAL);
	/* The caller's jti is ignored: a fresh one is drawn. */
	strcpy(c.jti, "AAAAAAAAAAAAAAAAAAAAAA");
	assert_int_equal(tok_issue(k->priv, &c, &tok), 0);
	{
		struct tok_claims out;
		assert_int_equal(verify_str(k->pub, tok, &out), 0);
		assert_string_not_equal(out.jti, c.jti);
	}
	free(tok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),   cmocka_unit_test(test_header),
	    cmocka_unit_test(test_signature),    cmocka_unit_test(test_bit_flips),
	    cmocka_unit_test(test_times),        cmocka_unit_test(test_claims),
	    cmocka_unit_test(test_issuer),       cmocka_unit_test(test_segments),
	    cmocka_unit_test(test_oversized),    cmocka_unit_test(test_out_cleared),
	    cmocka_unit_test(test_issue_checks),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

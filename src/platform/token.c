/* EdDSA JWTs: issue and strict verification. */
#include "platform/token.h"

#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "crypto/pkey.h"
#include "crypto/rand.h"

/* base64url of {"alg":"EdDSA","typ":"JWT"}: the only header we write or accept. */
#define TOK_HEADER_B64 "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9"
#define TOK_SIG_LEN    64
/* base64url characters of an Ed25519 signature. */
#define TOK_SIG_B64_LEN 86

static const char *const claim_names[] = {"iss", "sub", "role", "org", "gen",
                                          "iat", "exp", "jti",  NULL};

/* 1 when s[0..n) is 1..max bytes without control characters. */
static int str_ok(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* 1 when the fixed-size field holds a NUL-terminated string that str_ok() accepts. */
static int field_ok(const char *field, size_t size, int optional)
{
	size_t n = strnlen(field, size);

	if (n == size)
		return 0;
	return (optional && n == 0) || str_ok(field, n, size - 1);
}

static int claims_ok(const struct tok_claims *c)
{
	if (!field_ok(c->sub, sizeof(c->sub), 0) || !field_ok(c->role, sizeof(c->role), 0) ||
	    !field_ok(c->org, sizeof(c->org), 1))
		return 0;
	return c->gen <= (uint64_t)TOK_INT_MAX && c->iat >= 0 && c->exp > c->iat &&
	       c->exp <= TOK_INT_MAX && c->exp - c->iat <= TOK_LIFETIME_MAX;
}

/* obj[key] = val; jansson refuses strings that are not UTF-8. */
static int put_str(json_t *obj, const char *key, const char *val)
{
	json_t *v = json_string(val);

	if (!v)
		return CU_EINVAL;
	return json_object_set_new(obj, key, v) ? CU_ENOMEM : 0;
}

/* The payload JSON, keys in a fixed order, with a fresh jti. */
static int make_payload(const struct tok_claims *c, char **out)
{
	uint8_t id[TOK_JTI_BYTES];
	char jti[TOK_JTI_LEN + 1];
	json_t *o = json_object();
	int rc = CU_ENOMEM;

	*out = NULL;
	if (!o)
		return CU_ENOMEM;
	if ((rc = cr_random(id, sizeof(id))) ||
	    (rc = cu_b64_encode(id, sizeof(id), jti, sizeof(jti), CU_B64_URL)))
		goto out;
	if ((rc = put_str(o, "iss", TOK_ISSUER)) || (rc = put_str(o, "sub", c->sub)) ||
	    (rc = put_str(o, "role", c->role)) || (c->org[0] && (rc = put_str(o, "org", c->org))) ||
	    (rc = cu_json_set_int(o, "gen", (int64_t)c->gen)) ||
	    (rc = cu_json_set_int(o, "iat", c->iat)) || (rc = cu_json_set_int(o, "exp", c->exp)) ||
	    (rc = put_str(o, "jti", jti)))
		goto out;
	rc = cu_json_dump(o, 0, out);
out:
	json_decref(o);
	return rc;
}

int tok_issue(EVP_PKEY *key, const struct tok_claims *c, char **out)
{
	const size_t hlen = strlen(TOK_HEADER_B64);
	char *payload = NULL, *tok = NULL;
	uint8_t sig[TOK_SIG_LEN];
	size_t plen, sz, off, siglen;
	int rc;

	if (!out)
		return CU_EINVAL;
	*out = NULL;
	if (!key || cr_pkey_type(key) != CR_KEY_ED25519)
		return CU_EKEY;
	if (!c || !claims_ok(c))
		return CU_EINVAL;
	if ((rc = make_payload(c, &payload)))
		return rc;
	plen = strlen(payload);
	sz = hlen + 1 + cu_b64_encoded_size(plen, CU_B64_URL) + 1 + TOK_SIG_B64_LEN;
	if (sz > TOK_MAX_LEN + 1) {
		rc = CU_ELIMIT;
		goto out;
	}
	if (!(tok = malloc(sz))) {
		rc = CU_ENOMEM;
		goto out;
	}
	memcpy(tok, TOK_HEADER_B64 ".", hlen + 1);
	off = hlen + 1;
	if ((rc = cu_b64_encode((const uint8_t *)payload, plen, tok + off, sz - off, CU_B64_URL)))
		goto out;
	off += strlen(tok + off);
	if ((rc = cr_sign(key, tok, off, sig, &siglen)))
		goto out;
	tok[off++] = '.';
	if ((rc = cu_b64_encode(sig, siglen, tok + off, sz - off, CU_B64_URL)))
		goto out;
	*out = tok;
	tok = NULL;
out:
	free(tok);
	free(payload);
	return rc;
}

/* Copy the string claim key into dst[0..max]; an absent optional claim leaves dst empty. */
static int get_str(const json_t *root, const char *key, char *dst, size_t max, int optional)
{
	const char *s;
	int rc = cu_json_get_str(root, key, &s);

	if (rc == CU_ENOTFOUND && optional)
		return 0;
	if (rc || !str_ok(s, strlen(s), max))
		return CU_EFORMAT;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* jti: exactly the base64url of TOK_JTI_BYTES bytes. */
static int get_jti(const json_t *root, char *dst)
{
	uint8_t id[TOK_JTI_BYTES];
	size_t n;
	int rc;

	if ((rc = get_str(root, "jti", dst, TOK_JTI_LEN, 0)))
		return rc;
	if (cu_b64_decode(dst, strlen(dst), id, sizeof(id), &n, CU_B64_URL) || n != sizeof(id))
		return CU_EFORMAT;
	return 0;
}

/* Parse the payload into out: known claims only, each present, typed and bounded. */
static int parse_claims(const uint8_t *buf, size_t len, struct tok_claims *out)
{
	json_t *root = NULL;
	const char *iss;
	int64_t gen;
	int rc = CU_EFORMAT;

	if (cu_json_parse(buf, len, TOK_MAX_LEN, &root) || !json_is_object(root) ||
	    cu_json_only_keys(root, claim_names, "token", NULL, 0))
		goto out;
	if (cu_json_get_str(root, "iss", &iss) || get_str(root, "sub", out->sub, TOK_SUB_MAX, 0) ||
	    get_str(root, "role", out->role, TOK_ROLE_MAX, 0) ||
	    get_str(root, "org", out->org, TOK_ORG_MAX, 1) || get_jti(root, out->jti) ||
	    cu_json_get_int(root, "gen", 0, TOK_INT_MAX, &gen) ||
	    cu_json_get_int(root, "iat", 0, TOK_INT_MAX, &out->iat) ||
	    cu_json_get_int(root, "exp", 0, TOK_INT_MAX, &out->exp))
		goto out;
	out->gen = (uint64_t)gen;
	rc = strcmp(iss, TOK_ISSUER) ? CU_EAUTH : 0;
out:
	json_decref(root);
	return rc;
}

/* Split token into its three segments: the signing input and the signature's text. */
static int split(const char *token, size_t len, size_t *signed_len, const char **sig,
                 size_t *siglen)
{
	const char *d1 = memchr(token, '.', len), *d2, *end = token + len;

	if (!d1 || !(d2 = memchr(d1 + 1, '.', (size_t)(end - d1 - 1))) ||
	    memchr(d2 + 1, '.', (size_t)(end - d2 - 1)))
		return CU_EFORMAT;
	if ((size_t)(d1 - token) != strlen(TOK_HEADER_B64) ||
	    memcmp(token, TOK_HEADER_B64, strlen(TOK_HEADER_B64)) || d2 == d1 + 1)
		return CU_EFORMAT;
	*signed_len = (size_t)(d2 - token);
	*sig = d2 + 1;
	*siglen = (size_t)(end - d2 - 1);
	return 0;
}

static int check_times(const struct tok_claims *c, int64_t now)
{
	if (c->exp <= c->iat || c->exp - c->iat > TOK_LIFETIME_MAX)
		return CU_EPOLICY;
	/* iat and exp are at most 2^53 - 1: no overflow. */
	if (c->exp <= now || c->iat - TOK_SKEW > now)
		return CU_EEXPIRED;
	return 0;
}

int tok_verify(EVP_PKEY *key, const char *token, size_t len, int64_t now, struct tok_claims *out)
{
	const size_t hlen = strlen(TOK_HEADER_B64);
	uint8_t sig[TOK_SIG_LEN], payload[TOK_MAX_LEN];
	size_t signed_len, sigtxt_len, n;
	const char *sigtxt;
	int rc;

	if (!out)
		return CU_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!key || cr_pkey_type(key) != CR_KEY_ED25519)
		return CU_EKEY;
	if (!token || len == 0 || len > TOK_MAX_LEN)
		return CU_ELIMIT;
	if ((rc = split(token, len, &signed_len, &sigtxt, &sigtxt_len)))
		return rc;
	if (cu_b64_decode(sigtxt, sigtxt_len, sig, sizeof(sig), &n, CU_B64_URL) || n != sizeof(sig))
		return CU_EFORMAT;
	/* Authenticate before parsing: the JSON parser sees only our own bytes. */
	if ((rc = cr_verify(key, token, signed_len, sig, sizeof(sig))))
		return rc == CU_ENOMEM ? rc : CU_EAUTH;
	if (cu_b64_decode(token + hlen + 1, signed_len - hlen - 1, payload, sizeof(payload), &n,
	                  CU_B64_URL))
		return CU_EFORMAT;
	if ((rc = parse_claims(payload, n, out)) || (rc = check_times(out, now)))
		memset(out, 0, sizeof(*out));
	return rc;
}

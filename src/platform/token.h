/*
 * token.h - access tokens: JWTs (RFC 7519) in JWS compact form (RFC 7515)
 * signed with Ed25519 ("EdDSA", RFC 8037).
 *
 *   base64url(header) "." base64url(payload) "." base64url(signature)
 *   header  = {"alg":"EdDSA","typ":"JWT"}, exactly these bytes
 *   payload = {"iss":"custos","sub":...,"role":...,["org":...,]"gen":...,
 *              "iat":...,"exp":...,"jti":...}
 *
 * The platform is the only issuer and the only verifier, so verification is
 * as strict as issuance: no padding, exactly three non-empty segments, the
 * header segment byte for byte ours (so "none", any other alg, "jku", "kid",
 * "x5u", "crit" or any other member, and any other spelling of the same
 * JSON, are refused before anything else), the signature checked before the
 * payload is parsed, no unknown claims, every claim of its type and within
 * its bound.
 *
 * Revocation is not this module's job. "gen" carries the user's token
 * generation at issue time: the control plane keeps a generation per user in
 * the store, bumps it to revoke every token of that user, and refuses a
 * token whose gen is older; single tokens are revoked by "jti" on a denylist
 * kept until their "exp".
 *
 * Keys are OpenSSL EVP_PKEYs owned by the caller; only Ed25519 is accepted.
 */
#ifndef CUSTOS_PLATFORM_TOKEN_H
#define CUSTOS_PLATFORM_TOKEN_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

/* The "iss" of every token. */
#define TOK_ISSUER "custos"
/* Longest token accepted or issued, in bytes. */
#define TOK_MAX_LEN 4096
/* Longest lifetime, exp - iat, in seconds. */
#define TOK_LIFETIME_MAX (24 * 3600)
/* How far in the future "iat" may be, for clocks that disagree. */
#define TOK_SKEW 60
/* Bounds of the string claims, in bytes without the NUL. */
#define TOK_SUB_MAX  128
#define TOK_ROLE_MAX 32
#define TOK_ORG_MAX  128
/* "jti": 128 random bits in base64url, 22 characters. */
#define TOK_JTI_BYTES 16
#define TOK_JTI_LEN   22
/* Integers stay exact in every JSON reader: at most 2^53 - 1. */
#define TOK_INT_MAX ((INT64_C(1) << 53) - 1)

/*
 * The claims of a token, by value: nothing points into a token. Strings are
 * NUL-terminated; org is empty when the token has none. Times are seconds
 * since the epoch.
 */
struct tok_claims {
	char sub[TOK_SUB_MAX + 1];   /* user id, non-empty */
	char role[TOK_ROLE_MAX + 1]; /* role name, non-empty */
	char org[TOK_ORG_MAX + 1];   /* organisation, optional */
	char jti[TOK_JTI_LEN + 1];   /* token id, set by tok_issue() */
	uint64_t gen;                /* the user's token generation, 0..TOK_INT_MAX */
	int64_t iat;                 /* issued at, 0..TOK_INT_MAX */
	int64_t exp;                 /* expires at: iat < exp <= iat + TOK_LIFETIME_MAX */
};

/*
 * Issue a token for the claims c (its jti is ignored: a fresh random one is
 * drawn) signed with the Ed25519 private key. *out receives a NUL-terminated
 * malloc'd string the caller frees; it is NULL on failure. CU_EKEY for a key
 * that is not Ed25519; CU_EINVAL for claims that tok_verify() would refuse
 * (an empty sub or role, a string without its NUL, not UTF-8, or out of the
 * time and generation bounds).
 */
int tok_issue(EVP_PKEY *key, const struct tok_claims *c, char **out)
    __attribute__((warn_unused_result));

/*
 * Verify token[0..len) with the Ed25519 public key at time now and fill
 * *out with its claims. *out is zeroed on entry and on failure. Errors:
 *   CU_ELIMIT   len is 0 or over TOK_MAX_LEN
 *   CU_EFORMAT  not three base64url segments, a header other than ours, a
 *               signature of the wrong length, a payload that is not a JSON
 *               object of known, well-typed claims within their bounds
 *   CU_EAUTH    the signature does not verify, or iss is not TOK_ISSUER
 *   CU_EEXPIRED exp <= now, or iat > now + TOK_SKEW
 *   CU_EPOLICY  exp <= iat, or exp - iat > TOK_LIFETIME_MAX
 *   CU_EKEY     key is not Ed25519
 * Revocation (gen, jti) is for the caller to check.
 */
int tok_verify(EVP_PKEY *key, const char *token, size_t len, int64_t now, struct tok_claims *out)
    __attribute__((warn_unused_result));

#endif

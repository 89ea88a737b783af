/*
 * fuzz_token.c - libFuzzer target: the authentication parsers of the
 * platform. The first byte picks what the rest is:
 *   0  a whole token for tok_verify() with a fixed Ed25519 key;
 *   1  a token payload, which the harness signs with that key and wraps in
 *      the right header, so that the claim parser runs behind the signature;
 *   2  a PHC string for the Argon2id parser, and for pw_verify() when its
 *      cost is tiny (the parser's bounds still allow a 256 MiB, 10-pass hash,
 *      far too slow for a fuzzer).
 */
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "crypto/pkey.h"
#include "platform/password.h"
#include "platform/password_int.h"
#include "platform/token.h"

#define NOW INT64_C(1700000000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *fixed_key(void)
{
	static const uint8_t seed[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
	                                 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
	                                 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
	static EVP_PKEY *key;

	if (!key)
		key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
	if (!key)
		abort();
	return key;
}

/* base64url(header) "." base64url(payload) "." base64url(signature). */
static void signed_payload(const uint8_t *p, size_t n)
{
	static const char hdr[] = "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.";
	size_t sz = sizeof(hdr) + cu_b64_encoded_size(n, CU_B64_URL) + 1 + 90, off, siglen;
	uint8_t sig[CR_SIG_MAX_LEN];
	struct tok_claims c;
	char *tok = malloc(sz);

	if (!tok)
		return;
	memcpy(tok, hdr, sizeof(hdr));
	off = sizeof(hdr) - 1;
	if (cu_b64_encode(p, n, tok + off, sz - off, CU_B64_URL) == 0) {
		off += strlen(tok + off);
		if (cr_sign(fixed_key(), tok, off, sig, &siglen) == 0) {
			tok[off++] = '.';
			if (cu_b64_encode(sig, siglen, tok + off, sz - off, CU_B64_URL) == 0)
				(void)tok_verify(fixed_key(), tok, strlen(tok), NOW, &c);
		}
	}
	free(tok);
}

static void phc(const uint8_t *p, size_t n)
{
	char s[PW_ENCODED_MAX + 8];
	struct pw_phc out;

	if (n >= sizeof(s))
		n = sizeof(s) - 1;
	memcpy(s, p, n);
	s[n] = 0;
	if (pw_phc_parse(s, &out) == 0 && out.params.m_kib <= 64 && out.params.t <= 2 &&
	    out.params.p <= 2)
		(void)pw_verify(s, "password", 8);
	(void)pw_needs_rehash(s, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tok_claims c;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		(void)tok_verify(fixed_key(), (const char *)data + 1, size - 1, NOW, &c);
		break;
	case 1:
		signed_payload(data + 1, size - 1);
		break;
	default:
		phc(data + 1, size - 1);
	}
	return 0;
}

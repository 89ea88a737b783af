/*
 * libFuzzer target: the manifest parser, the policy parser, and signature
 * files. The input is split at its first NUL: the part before is a
 * manifest (and a policy), the part after is a signature file checked
 * against a fixed trusted key.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/pkey.h"
#include "tee/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *trusted;
	static struct tee_manifest m;
	static struct tee_policy p;
	const uint8_t *nul = memchr(data, 0, size);
	size_t mlen = nul ? (size_t)(nul - data) : size;
	char reason[TEE_MANIFEST_REASON_LEN];
	char *out;
	size_t outlen;

	if (!trusted && cr_pkey_generate(CR_KEY_ED25519, &trusted))
		return 0;
	if (tee_manifest_parse(data, mlen, &m, reason, sizeof(reason)) == 0 &&
	    tee_manifest_to_json(&m, &out, &outlen) == 0)
		free(out);
	(void)!tee_policy_from_json(data, mlen, &p, reason, sizeof(reason));
	if (nul) {
		struct tee_manifest_sig sig = {nul + 1, size - mlen - 1};
		(void)!tee_manifest_check_signatures(data, mlen, &sig, 1, &trusted, 1, 1, NULL,
		                                     reason, sizeof(reason));
	}
	return 0;
}

/*
 * online_decrypt.c - decrypt one AES-GCM message given in the arguments
 * (Teaclave's builtin-online-decrypt): arguments "key", "nonce" and
 * "encrypted_data" in standard base64, "algorithm" "aes128gcm" or
 * "aes256gcm". encrypted_data is the ciphertext followed by its 16-byte tag
 * (as ring and Python's AESGCM write it), with no associated data. The
 * result is the plaintext: text without NUL (the platform replaces a result
 * that is not UTF-8).
 *
 * Arguments are part of the task every approver saw: this serves a party
 * that wants a value decrypted inside the TEE and the result shown to the
 * task's participants, not the sealing of secrets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/mem.h"
#include "crypto/gcm.h"
#include "functions/builtins_int.h"

#define OD_TAG   16
#define OD_NONCE 12

/* Decode the base64 argument name into a malloc'd buffer of *n bytes. */
static int b64_arg(struct fn_ctx *c, const char *name, size_t max, uint8_t **out, size_t *n)
{
	const char *s = fn_arg(c, name);
	size_t len;

	*out = NULL;
	*n = 0;
	if (!s)
		return fn_fail(c, CU_EINVAL, "online-decrypt needs the argument \"%s\"", name);
	len = strlen(s);
	if (len / 4 * 3 > max + 3)
		return fn_fail(c, CU_ELIMIT, "the argument \"%s\" is too long", name);
	if (!(*out = malloc(len / 4 * 3 + 3)))
		return fn_fail(c, CU_ENOMEM, "out of memory");
	if (cu_b64_decode(s, len, *out, len / 4 * 3 + 3, n, CU_B64_STD)) {
		free(*out);
		*out = NULL;
		return fn_fail(c, CU_EFORMAT, "the argument \"%s\" is not base64", name);
	}
	return 0;
}

int fn_online_decrypt(struct fn_ctx *c)
{
	const char *alg = fn_arg(c, "algorithm");
	uint8_t *key = NULL, *nonce = NULL, *data = NULL, *plain = NULL;
	size_t keylen = 0, noncelen = 0, n = 0, want;
	int rc;

	if (!alg)
		return fn_fail(c, CU_EINVAL, "online-decrypt needs the argument \"algorithm\"");
	if (!strcmp(alg, "aes128gcm"))
		want = 16;
	else if (!strcmp(alg, "aes256gcm"))
		want = 32;
	else
		return fn_fail(
		    c, CU_EUNSUPPORTED,
		    "the algorithm must be \"aes128gcm\" or \"aes256gcm\", not \"%.32s\"", alg);
	if ((rc = b64_arg(c, "key", 32, &key, &keylen)) ||
	    (rc = b64_arg(c, "nonce", OD_NONCE, &nonce, &noncelen)) ||
	    (rc = b64_arg(c, "encrypted_data", FN_RESULT_MAX + OD_TAG, &data, &n)))
		goto out;
	if (keylen != want) {
		rc =
		    fn_fail(c, CU_EINVAL, "the key has %zu bytes; %s takes %zu", keylen, alg, want);
	} else if (noncelen != OD_NONCE) {
		rc = fn_fail(c, CU_EINVAL, "the nonce has %zu bytes; AES-GCM takes %d", noncelen,
		             OD_NONCE);
	} else if (n < OD_TAG) {
		rc = fn_fail(c, CU_EFORMAT, "the encrypted data is shorter than its 16-byte tag");
	} else if (n - OD_TAG > FN_RESULT_MAX) {
		rc = fn_fail(c, CU_ELIMIT, "the plaintext would exceed %d bytes", FN_RESULT_MAX);
	} else if (!(plain = malloc(n - OD_TAG + 1))) {
		rc = fn_fail(c, CU_ENOMEM, "out of memory");
	} else if (cr_aead_open(key, keylen, nonce, NULL, 0, data, n - OD_TAG, plain,
	                        data + n - OD_TAG)) {
		rc = fn_fail(c, CU_EAUTH, "the data does not decrypt with this key and nonce");
	} else if (memchr(plain, 0, n - OD_TAG)) {
		rc = fn_fail(c, CU_EFORMAT, "the plaintext is not text (it holds a NUL byte)");
	} else {
		plain[n - OD_TAG] = '\0';
		fn_result(c, "%s", (const char *)plain);
		rc = 0;
	}
out:
	cu_free_secret(key, keylen);
	cu_free_secret(plain, plain ? n - OD_TAG + 1 : 0);
	free(nonce);
	free(data);
	return rc;
}

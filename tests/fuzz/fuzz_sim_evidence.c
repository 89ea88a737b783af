/*
 * libFuzzer target: simulated evidence. The input is parsed and decoded,
 * then verified against a simulated root made once per process (with the
 * attestation certificate of the input, any byte of it, going through the
 * DER parser and the chain check).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/x509.h>

#include "crypto/pkey.h"
#include "tee/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ignore_field(void *arg, const char *name, const char *value)
{
	(void)arg;
	(void)name;
	(void)value;
	return 0;
}

/* The DER of a root made on the first call (fuzzer state, not library state). */
static const uint8_t *fuzz_root(size_t *len)
{
	static unsigned char *der;
	static int n;
	EVP_PKEY *k = NULL;
	X509 *root = NULL;

	if (!der && cr_pkey_generate(CR_KEY_P256, &k) == 0 &&
	    sim_root_cert_new(k, 0, 4102444800LL, &root) == 0)
		n = i2d_X509(root, &der);
	X509_free(root);
	EVP_PKEY_free(k);
	*len = n > 0 ? (size_t)n : 0;
	return der;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_evidence *e = malloc(sizeof(*e));
	struct tee_claims claims;
	char reason[256];
	const uint8_t *root;
	size_t rootlen;

	if (!e)
		return 0;
	if (sim_evidence_parse(data, size, e) == 0)
		sim_evidence_show(e, ignore_field, NULL);
	free(e);
	root = fuzz_root(&rootlen);
	if (root &&
	    sim_verify(data, size, root, rootlen, 1700000000, &claims, reason, sizeof(reason)) == 0)
		abort(); /* nothing but the root's own key could have signed a chain to it */
	/* The input as a root as well: PEM or DER, never trusted for being self-signed. */
	(void)!sim_verify(data, size, data, size, 1700000000, &claims, reason, sizeof(reason));
	return 0;
}

/*
 * fuzz_ratls_cert.c - libFuzzer target: RA-TLS certificate inspection over
 * arbitrary DER (X.509 parsing, the DICE CBOR with every evidence tag and
 * its endorsement, the embedded quotes and reports).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ratls/ratls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Some PEM text for the SEV-SNP path that wants an AMD chain. */
	static const uint8_t chain[] =
	    "-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n";
	struct ratls_trust trust = {
	    .has_sim_root = 1, .snp_chain = chain, .snp_chain_len = sizeof(chain) - 1};
	struct ratls_info info;

	/* A pin no input matches by chance: the simulated path runs up to the root check. */
	memset(trust.sim_root_sha256, 0xa5, sizeof(trust.sim_root_sha256));
	/* 2025-07-01T00:00:00Z: inside the validity of the seed certificates. */
	(void)ratls_cert_inspect_der(data, size, 1751328000, NULL, &info);
	(void)ratls_cert_inspect_der(data, size, 1751328000, &trust, &info);
	return 0;
}

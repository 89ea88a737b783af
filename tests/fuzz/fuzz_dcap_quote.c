/*
 * libFuzzer target: the DCAP quote parser, its decoder, and verification
 * without collateral (PEM chain parsing, the SGX extension walk, the
 * signature checks). "Now" is fixed so that runs are reproducible.
 */
#include <stddef.h>
#include <stdint.h>

#include "tee/dcap.h"

#define FUZZ_NOW 1751328000 /* 2025-07-01T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ignore_field(void *arg, const char *name, const char *value)
{
	(void)arg;
	(void)name;
	(void)value;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dcap_quote *q = NULL;
	struct dcap_result res;
	struct tee_claims claims;

	if (dcap_quote_parse(data, size, &q) != 0)
		return 0;
	(void)dcap_quote_show(q, ignore_field, NULL);
	(void)!dcap_verify_quote(q, NULL, FUZZ_NOW, &claims, &res);
	dcap_quote_free(q);
	return 0;
}

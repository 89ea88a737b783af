/*
 * libFuzzer target: the DCAP collateral parser (the JSON document, PEM
 * chains, DER CRLs, TCB info and QE identity JSON) and the collateral
 * checks at a fixed "now". Seed it with the *.collateral.json vectors.
 */
#include <stddef.h>
#include <stdint.h>

#include "tee/dcap.h"

#define FUZZ_NOW 1751328000 /* 2025-07-01T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dcap_collateral *col = NULL;
	struct dcap_result res;

	if (dcap_collateral_parse(data, size, &col, &res) != 0)
		return 0;
	(void)!dcap_collateral_verify(col, FUZZ_NOW, &res);
	dcap_collateral_free(col);
	return 0;
}

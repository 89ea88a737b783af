/*
 * fuzz_ratls_cert.c - libFuzzer target: RA-TLS certificate inspection over
 * arbitrary DER (X.509 parsing, the DICE CBOR, the embedded quotes).
 */
#include <stddef.h>
#include <stdint.h>

#include "ratls/ratls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ratls_info info;

	/* 2025-07-01T00:00:00Z: inside the validity of the seed certificates. */
	(void)ratls_cert_inspect_der(data, size, 1751328000, NULL, &info);
	return 0;
}

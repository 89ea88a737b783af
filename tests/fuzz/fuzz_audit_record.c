/*
 * fuzz_audit_record.c - libFuzzer target: audit record decoding (records
 * come back from the untrusted store). A record that decodes must encode
 * to exactly the same bytes: the format has one encoding per record.
 */
#include <stdlib.h>
#include <string.h>

#include "platform/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t again[AUDIT_RECORD_MAX];
	struct audit_record r;
	size_t n;

	if (audit_record_decode(data, size, &r))
		return 0;
	if (audit_record_encode(&r, again, &n) || n != size || memcmp(again, data, size))
		abort();
	return 0;
}

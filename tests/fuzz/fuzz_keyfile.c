/* libFuzzer target: the key-file parser. */
#include <stddef.h>
#include <stdint.h>

#include "efile/keyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ef_key k;

	(void)ef_key_parse(data, size, &k);
	ef_key_wipe(&k);
	return 0;
}

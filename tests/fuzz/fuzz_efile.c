/* libFuzzer target: the Custos file-format parser and decryptor, buffer and stream paths. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/mem.h"
#include "efile/efile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[32] = {7};
	static const uint8_t iv[12] = {1};
	struct ef_header h;
	uint8_t *out;
	size_t outlen;
	int fds[2];

	(void)ef_header_parse(data, size, &h);
	if (!ef_decrypt_buf(EF_FORMAT_CUSTOS, key, 32, NULL, data, size, 1 << 20, &out, &outlen))
		cu_free_secret(out, outlen);
	if (!ef_decrypt_buf(EF_FORMAT_AES_GCM_128, key, 16, iv, data, size, 1 << 20, &out, &outlen))
		cu_free_secret(out, outlen);
	/* The streaming reader over a pipe, output discarded. */
	if (size <= 60000 && pipe(fds) == 0) {
		FILE *sink = fopen("/dev/null", "w");
		if (write(fds[1], data, size) == (ssize_t)size) {
			close(fds[1]);
			fds[1] = -1;
			if (sink)
				(void)ef_decrypt_fd(EF_FORMAT_CUSTOS, key, 32, NULL, fds[0],
				                    fileno(sink), NULL);
		}
		if (fds[1] >= 0)
			close(fds[1]);
		close(fds[0]);
		if (sink)
			fclose(sink);
	}
	return 0;
}

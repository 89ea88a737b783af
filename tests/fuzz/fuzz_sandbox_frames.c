/*
 * libFuzzer target: the worker's parser of the frames a sandboxed child
 * sends (src/worker/sandbox.c, sb_parser_*). The first byte picks the size
 * of the pieces the stream is fed in; the outputs' limits are fixed and
 * checked after every run.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "worker/sandbox_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t max[4] = {0, 16, 1, 4096};
	struct sb_parser p;
	size_t step, off, n, i, total = 0;
	int rc = 0;

	if (size < 1)
		return 0;
	step = (size_t)data[0] % 64 + 1;
	data++, size--;
	if (sb_parser_init(&p, 4, max, 8192))
		return 0;
	for (off = 0; off < size && !rc; off += n) {
		n = size - off < step ? size - off : step;
		rc = sb_parser_feed(&p, data + off, n);
		if (rc && rc != CU_EFORMAT && rc != CU_ELIMIT && rc != CU_ENOMEM)
			abort();
	}
	if (!rc)
		(void)sb_parser_finish(&p);
	for (i = 0; i < 4; i++) {
		if (max[i] && p.outs[i].len > max[i])
			abort();
		if (p.outs[i].len && !p.outs[i].written)
			abort();
		total += p.outs[i].len;
	}
	if (total > 8192 || total != p.total || memchr(p.result, 0, sizeof(p.result)) == NULL)
		abort();
	sb_parser_free(&p);
	return 0;
}

/*
 * wasm_bench.c - times the export `bench` of a module in the Custos
 * interpreter: prints its checksum and the seconds of the call alone
 * (load and instantiation excluded, as for the other engines).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/file.h"
#include "wasm/wasm.h"

int main(int argc, char **argv)
{
	struct wasm_config cfg = {.fuel = UINT64_MAX};
	struct wasm_module *m;
	struct wasm_store *s;
	struct wasm_instance *inst;
	struct wasm_extern e;
	struct wasm_value r;
	struct timespec a, b;
	char err[WASM_MAX_ERROR];
	uint8_t *buf;
	size_t len;

	if (argc != 2 || cu_file_read(argv[1], WASM_MAX_MODULE_SIZE, &buf, &len) != 0)
		return 2;
	if (wasm_module_load(buf, len, &m, err, sizeof(err)) != 0 ||
	    wasm_store_new(&cfg, &s) != 0 || wasm_instantiate(s, m, NULL, NULL, &inst) != 0 ||
	    wasm_instance_export(inst, "bench", &e) != 0) {
		fprintf(stderr, "cannot load %s: %s\n", argv[1], err);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (wasm_invoke(s, e.of.func, NULL, 0, &r, 1) != 0) {
		fprintf(stderr, "trap: %s\n", wasm_store_error(s));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%u %.4f\n", r.of.i32,
	       (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	wasm_store_free(s);
	wasm_module_free(m);
	free(buf);
	return 0;
}

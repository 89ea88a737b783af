/*
 * platform.h - shared by host_teaclave.c, wasi.c and entry.c (internal).
 */
#ifndef CUSTOS_WASM_PLATFORM_H
#define CUSTOS_WASM_PLATFORM_H

#include <stddef.h>

#include "wasm/wasm.h"

struct wasm_host_def {
	const char *name;
	struct wasm_functype type;
	wasm_host_fn fn;
};

/* The WASI functions served (wasi.c). */
void wasm_wasi_defs(const struct wasm_host_def **defs, size_t *n);

#endif

/*
 * host.c - what a host function may do with the call it serves.
 */
#include <string.h>

#include "common/err.h"
#include "wasm/internal.h"

struct wasm_instance *wasm_host_instance(const struct wasm_host_call *call)
{
	return call->inst;
}

int wasm_host_mem(struct wasm_host_call *call, uint64_t addr, uint64_t len, uint8_t **p)
{
	struct wasm_memory *mem;

	*p = NULL;
	if (call->inst == NULL || call->inst->mod->nmems == 0)
		return CU_EINVAL;
	mem = call->inst->mems[0];
	if (addr > mem->size || len > mem->size - addr)
		return CU_EINVAL;
	*p = mem->data + addr;
	return 0;
}

int wasm_host_trap(struct wasm_host_call *call, const char *msg)
{
	return wasm_trap(call->store, msg);
}

int wasm_host_exit(struct wasm_host_call *call, int status)
{
	call->store->exited = 1;
	call->store->exit_status = status;
	return wasm_trap(call->store, "exit");
}

int wasm_platform_grow(struct wasm_instance *inst, uint32_t n, uint32_t *addr)
{
	uint32_t pages = (uint32_t)(((uint64_t)n + WASM_PAGE_SIZE - 1) / WASM_PAGE_SIZE), old;
	int rc;

	*addr = 0;
	if (inst->mod->nmems == 0)
		return CU_EINVAL;
	if ((rc = wasm_memory_grow(inst->mems[0], pages, &old)) != 0)
		return rc;
	*addr = (uint32_t)((uint64_t)old * WASM_PAGE_SIZE);
	return 0;
}

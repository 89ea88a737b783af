/*
 * wasm.h - a sandboxed WebAssembly 2.0 interpreter (without SIMD).
 *
 * Supported: the MVP, sign extension, non-trapping float-to-int, multi-value,
 * bulk memory and reference types. The stages are: load (decode, validate
 * and translate to an internal form), instantiate into a store, invoke.
 *
 * Ownership and lifetimes:
 *  - A wasm_module is immutable once loaded and may be shared by any number
 *    of stores in any number of threads. It must outlive every instance made
 *    from it. It never points into the bytes it was loaded from.
 *  - A wasm_store is the unit of isolation and of threading: it owns every
 *    instance, function, table, memory and global created in it, and frees
 *    them all in wasm_store_free(). One thread uses a store at a time;
 *    different stores share nothing and may run concurrently. Objects of one
 *    store may not be imported into another.
 *  - Every limit of a store (fuel, memory pages, call depth, value stack) is
 *    set by its wasm_config. Fuel is the store's budget of executed
 *    instructions; it is charged per straight-line segment at function entry
 *    and loop headers (see docs/wasm.md), and running out traps.
 *
 * Errors: functions return 0 or a negative CU_E* code (common/err.h). A trap
 * is CU_ETRAP; wasm_store_error() then holds a human-readable reason such as
 * "out of bounds memory access", "integer divide by zero", "unreachable",
 * "call stack exhausted" or "fuel exhausted". Instantiation failures leave a
 * reason there too ("unknown import: env.foo", ...). No function of this
 * module aborts the process or relies on signals: every memory and table
 * access is checked explicitly.
 *
 * Values: f32 and f64 travel as IEEE bit patterns (so NaN payloads survive);
 * funcref is a struct wasm_func pointer, externref an opaque host pointer;
 * NULL is the null reference of both.
 */
#ifndef CUSTOS_WASM_WASM_H
#define CUSTOS_WASM_WASM_H

#include <stddef.h>
#include <stdint.h>

#define WASM_PAGE_SIZE       65536u
#define WASM_MAX_PAGES       65536u       /* 4 GiB, the 32-bit address space */
#define WASM_MAX_MODULE_SIZE (256u << 20) /* bytes of one binary module */
#define WASM_MAX_PARAMS      1000u        /* params or results of one function type */
#define WASM_MAX_TABLE_ELEMS 10000000u    /* elements of one table */
#define WASM_MAX_ERROR       192u         /* bytes of an error message, with its NUL */

enum wasm_type {
	WASM_I32 = 0x7f,
	WASM_I64 = 0x7e,
	WASM_F32 = 0x7d,
	WASM_F64 = 0x7c,
	WASM_FUNCREF = 0x70,
	WASM_EXTERNREF = 0x6f,
};

enum wasm_extern_kind {
	WASM_EXTERN_FUNC = 0,
	WASM_EXTERN_TABLE = 1,
	WASM_EXTERN_MEMORY = 2,
	WASM_EXTERN_GLOBAL = 3,
};

struct wasm_module;
struct wasm_store;
struct wasm_instance;
struct wasm_func;
struct wasm_table;
struct wasm_memory;
struct wasm_global;
struct wasm_host_call;

struct wasm_value {
	uint8_t type; /* enum wasm_type */
	union {
		uint32_t i32;
		uint64_t i64;
		uint32_t f32; /* bit pattern */
		uint64_t f64; /* bit pattern */
		struct wasm_func *func;
		void *ext;
	} of;
};

/* A function type: params[0..nparams) then results[0..nresults). */
struct wasm_functype {
	uint32_t nparams;
	uint32_t nresults;
	const uint8_t *params;
	const uint8_t *results;
};

struct wasm_limits {
	uint32_t min;
	uint32_t max; /* meaningful only when has_max */
	uint8_t has_max;
};

/* The per-store limits. A zero field takes the default named beside it. */
struct wasm_config {
	uint64_t fuel;             /* default 10^10 instructions */
	uint32_t max_memory_pages; /* per memory; default 16384 (1 GiB) */
	uint32_t max_call_depth;   /* default 10000 frames */
	uint32_t max_stack_slots;  /* 64-bit value slots; default 1 << 20 */
	uint32_t max_table_elems;  /* per table; default 1 << 20 */
	uint32_t max_instances;    /* per store; default 1024 */
};

/* One import that wasm_instantiate() asks the resolver to provide. */
struct wasm_import_info {
	const char *module; /* NUL-terminated, but may hold NUL bytes: see the lengths */
	const char *name;
	size_t module_len;
	size_t name_len;
	uint8_t kind;                     /* enum wasm_extern_kind */
	const struct wasm_functype *func; /* WASM_EXTERN_FUNC */
	uint8_t type;                     /* global value type, or table element type */
	uint8_t mut;                      /* WASM_EXTERN_GLOBAL: 1 if mutable */
	struct wasm_limits limits;        /* table or memory */
};

struct wasm_extern {
	uint8_t kind; /* enum wasm_extern_kind */
	union {
		struct wasm_func *func;
		struct wasm_table *table;
		struct wasm_memory *memory;
		struct wasm_global *global;
	} of;
};

/*
 * Decode, validate and prepare len bytes of a binary module (at most
 * WASM_MAX_MODULE_SIZE). On failure *out is NULL and, when err is not NULL,
 * err[0..errlen) receives the reason ("unexpected end", "type mismatch", ...).
 * Malformed input yields CU_EFORMAT or CU_ETRUNC, invalid code CU_EINVAL,
 * an exceeded maximum CU_ELIMIT.
 */
int wasm_module_load(const uint8_t *buf, size_t len, struct wasm_module **out, char *err,
                     size_t errlen);
void wasm_module_free(struct wasm_module *m);

/* A new empty store with limits from cfg (NULL for the defaults). */
int wasm_store_new(const struct wasm_config *cfg, struct wasm_store **out);
void wasm_store_free(struct wasm_store *s);

/* The reason of the last failure in s (trap or instantiation); "" if none. */
const char *wasm_store_error(const struct wasm_store *s);

/* Fuel left, and a new budget. */
uint64_t wasm_store_fuel(const struct wasm_store *s);
void wasm_store_set_fuel(struct wasm_store *s, uint64_t fuel);

/*
 * The resolver provides one import: it fills *out with an object of store s
 * (a host function, memory, table or global it created, or an export of
 * another instance of s) and returns 0, or returns CU_ENOTFOUND. The
 * instantiator then checks the object's type against the import.
 */
typedef int (*wasm_resolve_fn)(void *arg, struct wasm_store *s, const struct wasm_import_info *imp,
                               struct wasm_extern *out);

/*
 * Instantiate m in s: resolve imports, create functions, tables, memories
 * and globals, apply element and data segments, run the start function.
 * On success *out is the new instance, owned by s. On failure *out is NULL
 * and wasm_store_error(s) says why; unlinkable modules give CU_ENOTFOUND or
 * CU_EINVAL, a trap during initialisation CU_ETRAP (segments applied before
 * the trap stay applied, as the specification requires).
 */
int wasm_instantiate(struct wasm_store *s, const struct wasm_module *m, wasm_resolve_fn resolve,
                     void *arg, struct wasm_instance **out);

/* The export called name (or name[0..len), which may hold NUL bytes), or CU_ENOTFOUND. */
int wasm_instance_export(const struct wasm_instance *inst, const char *name,
                         struct wasm_extern *out);
int wasm_instance_export_n(const struct wasm_instance *inst, const char *name, size_t len,
                           struct wasm_extern *out);

/* Memory number idx of inst, or NULL. */
struct wasm_memory *wasm_instance_memory(const struct wasm_instance *inst, uint32_t idx);

/* The type of f; it lives as long as f. */
const struct wasm_functype *wasm_func_type(const struct wasm_func *f);

/*
 * Call f with nargs typed arguments (checked against its type) and store its
 * results in results[0..nresults), where nresults must equal the type's
 * result count. Traps give CU_ETRAP. Not reentrant: a host function may not
 * call wasm_invoke on its own store (CU_ESTATE).
 */
int wasm_invoke(struct wasm_store *s, struct wasm_func *f, const struct wasm_value *args,
                size_t nargs, struct wasm_value *results, size_t nresults);

/* Host objects, owned by s. The type, limits and value are copied. */
typedef int (*wasm_host_fn)(struct wasm_host_call *call, void *user, const struct wasm_value *args,
                            struct wasm_value *results);
int wasm_host_func_new(struct wasm_store *s, const struct wasm_functype *type, wasm_host_fn fn,
                       void *user, struct wasm_func **out);
int wasm_memory_new(struct wasm_store *s, const struct wasm_limits *lim, struct wasm_memory **out);
int wasm_table_new(struct wasm_store *s, uint8_t reftype, const struct wasm_limits *lim,
                   struct wasm_table **out);
int wasm_global_new(struct wasm_store *s, const struct wasm_value *v, int mut,
                    struct wasm_global **out);

/* Read or write a global (set fails with CU_EPERM on an immutable one). */
void wasm_global_get(const struct wasm_global *g, struct wasm_value *v);
int wasm_global_set(struct wasm_global *g, const struct wasm_value *v);

/* Size of a memory in bytes, and checked copies in and out of it. */
uint64_t wasm_memory_size(const struct wasm_memory *mem);
int wasm_memory_read(const struct wasm_memory *mem, uint64_t addr, void *buf, size_t len);
int wasm_memory_write(struct wasm_memory *mem, uint64_t addr, const void *buf, size_t len);

/*
 * Inside a host function: the calling instance's memory 0, checked access to
 * it (*p valid until the host function returns), a trap with a message
 * (returns CU_ETRAP, to be returned by the host function), and a clean exit
 * of the whole invocation with a status (WASI proc_exit).
 */
struct wasm_instance *wasm_host_instance(const struct wasm_host_call *call);
int wasm_host_mem(struct wasm_host_call *call, uint64_t addr, uint64_t len, uint8_t **p);
int wasm_host_trap(struct wasm_host_call *call, const char *msg);
int wasm_host_exit(struct wasm_host_call *call, int status);

/* After wasm_invoke returned CU_ETRAP: 1 and *status if it was a host exit. */
int wasm_store_exited(const struct wasm_store *s, int *status);

/*
 * The platform's host API (DESIGN.md section 9): module "env" with
 * Teaclave's file functions and module "wasi_snapshot_preview1" with the
 * WASI subset a confined function needs. Files go through wasm_files, which
 * the worker implements; no import reaches the real filesystem or network.
 *
 *   env.teaclave_open_input(name: i32) -> i32          handle or -1
 *   env.teaclave_create_output(name: i32) -> i32       handle or -1
 *   env.teaclave_read_file(h: i32, buf: i32, n: i32) -> i32   bytes or -1
 *   env.teaclave_write_file(h: i32, buf: i32, n: i32) -> i32  bytes or -1
 *   env.teaclave_close_file(h: i32) -> i32             0 or -1
 *
 * (names are NUL-terminated strings in linear memory, as in Teaclave.)
 * WASI: fd_write (fds 1 and 2 into the log, capped), args_sizes_get,
 * args_get, environ_sizes_get / environ_get (empty), clock_time_get,
 * random_get, proc_exit, and fd_close / fd_seek / fd_fdstat_get answering
 * for the standard descriptors only. Any other import makes
 * wasm_instantiate() fail with "unknown import: MODULE.NAME".
 */
#define WASM_MAX_FILE_NAME 4096u /* bytes of a file name read from linear memory */
#define WASM_MAX_ARGS      1024u /* arguments of one run */
#define WASM_MAX_ARG_BYTES (1u << 20)

struct wasm_files {
	void *arg;
	/* Each returns 0 and a handle (>= 0), or a CU_E* code. */
	int (*open_input)(void *arg, const char *name, int32_t *handle);
	int (*create_output)(void *arg, const char *name, int32_t *handle);
	/* *got < len only at the end of the file. */
	int (*read)(void *arg, int32_t handle, uint8_t *buf, size_t len, size_t *got);
	int (*write)(void *arg, int32_t handle, const uint8_t *buf, size_t len);
	int (*close)(void *arg, int32_t handle);
};

struct wasm_platform {
	const struct wasm_files *files; /* NULL: every teaclave_* call fails with -1 */
	const char *const *argv;        /* WASI arguments (argv[0] is the program) */
	size_t argc;
	char *log; /* stdout and stderr of the guest, NUL-terminated */
	size_t log_len;
	size_t log_max; /* cap; output beyond it is dropped */
	uint8_t log_truncated;
};

/* A wasm_resolve_fn for the platform API; arg is a struct wasm_platform. */
int wasm_platform_resolve(void *arg, struct wasm_store *s, const struct wasm_import_info *imp,
                          struct wasm_extern *out);

/* Free the log of p (p itself belongs to the caller). */
void wasm_platform_release(struct wasm_platform *p);

/*
 * Run Teaclave's entry point `int entrypoint(int argc, char **argv)` of inst
 * with args[0..nargs) (Teaclave passes its function arguments flattened as
 * key, value, key, value, ...): the strings and the pointer array are copied
 * into linear memory (through the module's exported malloc when it has one,
 * otherwise into pages grown for them) and *ret is the result.
 */
int wasm_platform_entrypoint(struct wasm_store *s, struct wasm_instance *inst,
                             const char *const *args, size_t nargs, int32_t *ret);

/* Grow memory 0 of inst by whole pages holding n bytes; *addr is where they start. */
int wasm_platform_grow(struct wasm_instance *inst, uint32_t n, uint32_t *addr);

/* Run the WASI command export `_start`; *status is its proc_exit status (0 if none). */
int wasm_platform_start(struct wasm_store *s, struct wasm_instance *inst, int *status);

#endif

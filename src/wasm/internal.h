/*
 * internal.h - structures shared by the stages of the interpreter. Not part
 * of the public API (see wasm.h).
 */
#ifndef CUSTOS_WASM_INTERNAL_H
#define CUSTOS_WASM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/reader.h"
#include "wasm/wasm.h"

/* Named maximums of a module (beyond them loading fails with CU_ELIMIT). */
#define WASM_MAX_TYPES       100000u
#define WASM_MAX_FUNCS       1000000u
#define WASM_MAX_IMPORTS     100000u
#define WASM_MAX_EXPORTS     100000u
#define WASM_MAX_GLOBALS     1000000u
#define WASM_MAX_TABLES      100000u
#define WASM_MAX_SEGMENTS    100000u
#define WASM_MAX_SEG_ELEMS   10000000u
#define WASM_MAX_NAME        100000u
#define WASM_MAX_LOCALS      50000u
#define WASM_MAX_BODY        (16u << 20)
#define WASM_MAX_BR_TABLE    1000000u
#define WASM_MAX_CTL_DEPTH   100000u
#define WASM_MAX_CONST_INSNS 8u
#define WASM_MAX_CODE_CELLS  (64u << 20)

/* Opcodes beyond one byte: 0xfc xx is numbered WASM_OP_FC + xx. */
#define WASM_OP_FC       0x100u
#define WASM_OP_FC_COUNT 18u
#define WASM_NUM_OPS     (WASM_OP_FC + WASM_OP_FC_COUNT)

struct wasm_ftype {
	uint32_t nparams;
	uint32_t nresults;
	uint8_t *types; /* params then results */
};

/* A constant expression: at most a few instructions, checked by validate.c. */
struct wasm_cinsn {
	uint16_t op;
	uint64_t imm; /* constant bits, type or index */
};

struct wasm_cexpr {
	uint32_t n;
	struct wasm_cinsn insn[WASM_MAX_CONST_INSNS];
};

struct wasm_import {
	char *module; /* NUL-terminated copies; names may hold NUL bytes too */
	char *name;
	uint32_t module_len;
	uint32_t name_len;
	uint8_t kind;
	uint32_t index; /* within its kind's space */
};

struct wasm_export {
	char *name;
	uint32_t name_len;
	uint8_t kind;
	uint32_t index;
};

struct wasm_tabletype {
	uint8_t reftype;
	struct wasm_limits lim;
};

struct wasm_globaltype {
	uint8_t type;
	uint8_t mut;
	struct wasm_cexpr init; /* defined globals only */
};

enum wasm_segmode { WASM_SEG_ACTIVE, WASM_SEG_PASSIVE, WASM_SEG_DECLARATIVE };

struct wasm_elem {
	uint8_t mode;
	uint8_t reftype;
	uint32_t table;
	struct wasm_cexpr offset;
	uint32_t n;
	struct wasm_cexpr *items;
};

struct wasm_data {
	uint8_t mode;
	uint32_t mem;
	struct wasm_cexpr offset;
	uint32_t len;
	uint8_t *bytes;
};

struct wasm_code {
	uint32_t nlocals; /* declared locals, without params */
	uint8_t *locals;  /* their types */
	uint32_t len;
	uint8_t *body; /* copied expression bytes, ending with end */
};

/* One cell of prepared code: an operation or an immediate. */
union wasm_cell {
	const void *op; /* label address (threaded) */
	uint64_t u;
	int64_t s;
	struct {
		uint32_t lo;
		uint32_t hi;
	} p;
	const struct wasm_pfunc *fn;
};

/* A function after prepare.c: what exec.c runs. */
struct wasm_pfunc {
	uint32_t nparams;
	uint32_t nresults;
	uint32_t nlocals;    /* declared locals (zeroed on entry) */
	uint32_t max_height; /* slots from the frame base, locals included */
	uint32_t index;      /* function index in the module */
	uint32_t ncells;
	union wasm_cell *code;
};

struct wasm_module {
	uint32_t ntypes;
	struct wasm_ftype *types;
	uint32_t nimports;
	struct wasm_import *imports;
	uint32_t nfuncs, nfunc_imports;
	uint32_t *func_types; /* type index of every function */
	uint32_t ntables, ntable_imports;
	struct wasm_tabletype *tables;
	uint32_t nmems, nmem_imports;
	struct wasm_limits *mems;
	uint32_t nglobals, nglobal_imports;
	struct wasm_globaltype *globals;
	uint32_t nexports;
	struct wasm_export *exports;
	uint8_t has_start;
	uint32_t start;
	uint32_t nelems;
	struct wasm_elem *elems;
	uint8_t has_datacount;
	uint32_t datacount;
	uint32_t ndatas;
	struct wasm_data *datas;
	uint32_t ncodes;
	struct wasm_code *codes;
	uint8_t *declared;         /* per function: may be named by ref.func in code */
	struct wasm_pfunc *pfuncs; /* per defined function */
};

/* A decoded instruction. */
struct wasm_insn {
	uint16_t op;
	uint32_t a;               /* index, align, label, type index, ... */
	uint32_t b;               /* second index, memarg offset */
	uint64_t imm;             /* constants (bits), block type (as sleb33) */
	struct cu_reader targets; /* br_table: a LEB vector of a+1 labels */
	uint8_t vt;               /* select with types: the type */
};

/* decode.c */
int wasm_decode(const uint8_t *buf, size_t len, struct wasm_module **out, char *err, size_t n);
void wasm_module_release(struct wasm_module *m);
void wasm_seterr(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* insn.c: read one instruction; a malformed one sets *msg. */
int wasm_read_insn(struct cu_reader *r, struct wasm_insn *in, const char **msg);
int wasm_is_valtype(uint8_t t);
int wasm_is_reftype(uint8_t t);
/* Signature of a plain numeric opcode: "ii:i" style, or NULL. */
const char *wasm_numeric_sig(uint16_t op);
/* Natural alignment (log2) and width in bytes of a load/store, or -1. */
int wasm_mem_align(uint16_t op);

/* validate.c */
int wasm_validate(const struct wasm_module *m, char *err, size_t n);

/* prepare.c */
int wasm_prepare(struct wasm_module *m, char *err, size_t n);

/* exec.c */
const void *const *wasm_exec_labels(void);

/* Runtime objects (owned by a store). */
struct wasm_func {
	struct wasm_func *next;
	struct wasm_ftype type;   /* host: owned copy; wasm: borrowed from the module */
	struct wasm_functype pub; /* the same, as wasm_func_type() shows it */
	uint8_t owns_type;
	struct wasm_instance *inst; /* NULL for host functions */
	const struct wasm_pfunc *code;
	wasm_host_fn host;
	void *user;
};

struct wasm_table {
	struct wasm_table *next;
	uint8_t reftype;
	uint32_t size;
	uint32_t max; /* effective maximum (limit applied) */
	uint8_t has_max;
	uint32_t decl_max;
	void **elems;
};

struct wasm_memory {
	struct wasm_memory *next;
	uint8_t *data;
	uint64_t size; /* bytes */
	uint32_t pages;
	uint32_t max; /* effective maximum pages (limit applied) */
	uint8_t has_max;
	uint32_t decl_max;
};

struct wasm_global {
	struct wasm_global *next;
	uint8_t type;
	uint8_t mut;
	uint64_t val;
};

struct wasm_instance {
	struct wasm_instance *next;
	struct wasm_store *store;
	const struct wasm_module *mod;
	struct wasm_func **funcs;
	struct wasm_table **tables;
	struct wasm_memory **mems;
	struct wasm_global **globals;
	void ***elem_refs;  /* per segment, evaluated; NULL once dropped */
	uint32_t *elem_len; /* 0 once dropped */
	uint8_t *data_dropped;
};

struct wasm_frame {
	const union wasm_cell *ip;
	uint64_t *fp;
	struct wasm_instance *inst;
	const struct wasm_pfunc *fn;
};

struct wasm_store {
	struct wasm_config cfg;
	uint64_t fuel;
	uint32_t ninstances;
	struct wasm_instance *instances;
	struct wasm_func *funcs;
	struct wasm_table *tables;
	struct wasm_memory *mems;
	struct wasm_global *globals;
	uint64_t *stack; /* cfg.max_stack_slots, allocated on first use */
	struct wasm_frame *frames;
	uint8_t running;
	uint8_t exited;
	int exit_status;
	char error[WASM_MAX_ERROR];
};

struct wasm_host_call {
	struct wasm_store *store;
	struct wasm_instance *inst;
};

/* exec.c: run f with its arguments in stack slots args[], results replace them. */
int wasm_exec(struct wasm_store *s, struct wasm_func *f, uint64_t *args);
int wasm_trap(struct wasm_store *s, const char *msg);

/* instance.c helpers used by exec.c */
int wasm_memory_grow(struct wasm_memory *mem, uint32_t delta, uint32_t *old);
int wasm_table_grow(struct wasm_table *t, uint32_t delta, void *init, uint32_t *old);
int wasm_ftype_eq(const struct wasm_ftype *a, const struct wasm_ftype *b);

/* store.c: objects linked into s (the function borrows type unless owned). */
int wasm_func_add(struct wasm_store *s, const struct wasm_ftype *type, int copy,
                  struct wasm_func **out);
int wasm_memory_add(struct wasm_store *s, const struct wasm_limits *lim, struct wasm_memory **out);
int wasm_table_add(struct wasm_store *s, uint8_t reftype, const struct wasm_limits *lim,
                   struct wasm_table **out);
int wasm_global_add(struct wasm_store *s, uint8_t type, int mut, uint64_t val,
                    struct wasm_global **out);
int wasm_store_stacks(struct wasm_store *s);

#endif

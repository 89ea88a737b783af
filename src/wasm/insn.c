/*
 * insn.c - reading one instruction with its immediates, and the static
 * signature tables that the validator and the translator share.
 */
#include <string.h>

#include "common/err.h"
#include "wasm/internal.h"

int wasm_is_valtype(uint8_t t)
{
	return t == WASM_I32 || t == WASM_I64 || t == WASM_F32 || t == WASM_F64 ||
	       t == WASM_FUNCREF || t == WASM_EXTERNREF;
}

int wasm_is_reftype(uint8_t t)
{
	return t == WASM_FUNCREF || t == WASM_EXTERNREF;
}

/* Operand and result types of the loads, stores and numeric operations. */
static const char *const plain_sig[256] = {
    [0x28] = "i:i",  [0x29] = "i:I",  [0x2a] = "i:f",  [0x2b] = "i:F",  [0x2c] = "i:i",
    [0x2d] = "i:i",  [0x2e] = "i:i",  [0x2f] = "i:i",  [0x30] = "i:I",  [0x31] = "i:I",
    [0x32] = "i:I",  [0x33] = "i:I",  [0x34] = "i:I",  [0x35] = "i:I",  [0x36] = "ii:",
    [0x37] = "iI:",  [0x38] = "if:",  [0x39] = "iF:",  [0x3a] = "ii:",  [0x3b] = "ii:",
    [0x3c] = "iI:",  [0x3d] = "iI:",  [0x3e] = "iI:",  [0x45] = "i:i",  [0x46] = "ii:i",
    [0x47] = "ii:i", [0x48] = "ii:i", [0x49] = "ii:i", [0x4a] = "ii:i", [0x4b] = "ii:i",
    [0x4c] = "ii:i", [0x4d] = "ii:i", [0x4e] = "ii:i", [0x4f] = "ii:i", [0x50] = "I:i",
    [0x51] = "II:i", [0x52] = "II:i", [0x53] = "II:i", [0x54] = "II:i", [0x55] = "II:i",
    [0x56] = "II:i", [0x57] = "II:i", [0x58] = "II:i", [0x59] = "II:i", [0x5a] = "II:i",
    [0x5b] = "ff:i", [0x5c] = "ff:i", [0x5d] = "ff:i", [0x5e] = "ff:i", [0x5f] = "ff:i",
    [0x60] = "ff:i", [0x61] = "FF:i", [0x62] = "FF:i", [0x63] = "FF:i", [0x64] = "FF:i",
    [0x65] = "FF:i", [0x66] = "FF:i", [0x67] = "i:i",  [0x68] = "i:i",  [0x69] = "i:i",
    [0x6a] = "ii:i", [0x6b] = "ii:i", [0x6c] = "ii:i", [0x6d] = "ii:i", [0x6e] = "ii:i",
    [0x6f] = "ii:i", [0x70] = "ii:i", [0x71] = "ii:i", [0x72] = "ii:i", [0x73] = "ii:i",
    [0x74] = "ii:i", [0x75] = "ii:i", [0x76] = "ii:i", [0x77] = "ii:i", [0x78] = "ii:i",
    [0x79] = "I:I",  [0x7a] = "I:I",  [0x7b] = "I:I",  [0x7c] = "II:I", [0x7d] = "II:I",
    [0x7e] = "II:I", [0x7f] = "II:I", [0x80] = "II:I", [0x81] = "II:I", [0x82] = "II:I",
    [0x83] = "II:I", [0x84] = "II:I", [0x85] = "II:I", [0x86] = "II:I", [0x87] = "II:I",
    [0x88] = "II:I", [0x89] = "II:I", [0x8a] = "II:I", [0x8b] = "f:f",  [0x8c] = "f:f",
    [0x8d] = "f:f",  [0x8e] = "f:f",  [0x8f] = "f:f",  [0x90] = "f:f",  [0x91] = "f:f",
    [0x92] = "ff:f", [0x93] = "ff:f", [0x94] = "ff:f", [0x95] = "ff:f", [0x96] = "ff:f",
    [0x97] = "ff:f", [0x98] = "ff:f", [0x99] = "F:F",  [0x9a] = "F:F",  [0x9b] = "F:F",
    [0x9c] = "F:F",  [0x9d] = "F:F",  [0x9e] = "F:F",  [0x9f] = "F:F",  [0xa0] = "FF:F",
    [0xa1] = "FF:F", [0xa2] = "FF:F", [0xa3] = "FF:F", [0xa4] = "FF:F", [0xa5] = "FF:F",
    [0xa6] = "FF:F", [0xa7] = "I:i",  [0xa8] = "f:i",  [0xa9] = "f:i",  [0xaa] = "F:i",
    [0xab] = "F:i",  [0xac] = "i:I",  [0xad] = "i:I",  [0xae] = "f:I",  [0xaf] = "f:I",
    [0xb0] = "F:I",  [0xb1] = "F:I",  [0xb2] = "i:f",  [0xb3] = "i:f",  [0xb4] = "I:f",
    [0xb5] = "I:f",  [0xb6] = "F:f",  [0xb7] = "i:F",  [0xb8] = "i:F",  [0xb9] = "I:F",
    [0xba] = "I:F",  [0xbb] = "f:F",  [0xbc] = "f:i",  [0xbd] = "F:I",  [0xbe] = "i:f",
    [0xbf] = "I:F",  [0xc0] = "i:i",  [0xc1] = "i:i",  [0xc2] = "I:I",  [0xc3] = "I:I",
    [0xc4] = "I:I",
};

static const char *const fc_sig[8] = {"f:i", "f:i", "F:i", "F:i", "f:I", "f:I", "F:I", "F:I"};

const char *wasm_numeric_sig(uint16_t op)
{
	if (op < 256)
		return plain_sig[op];
	if (op >= WASM_OP_FC && op < WASM_OP_FC + 8)
		return fc_sig[op - WASM_OP_FC];
	return NULL;
}

int wasm_mem_align(uint16_t op)
{
	static const int8_t align[] = {2, 3, 2, 3, 0, 0, 1, 1, 0, 0, 1, 1,
	                               2, 2, 2, 3, 2, 3, 0, 1, 0, 1, 2};

	if (op < 0x28 || op > 0x3e)
		return -1;
	return align[op - 0x28];
}

static int read_zero_byte(struct cu_reader *r, const char **msg)
{
	uint8_t b;
	int rc;

	if ((rc = cu_read_u8(r, &b)) != 0)
		return rc;
	if (b != 0) {
		*msg = "zero byte expected";
		return CU_EFORMAT;
	}
	return 0;
}

static int read_blocktype(struct cu_reader *r, struct wasm_insn *in, const char **msg)
{
	int64_t bt;
	int rc;

	if ((rc = cu_read_sleb33(r, &bt)) != 0)
		return rc;
	if (bt < 0) {
		uint8_t t = (uint8_t)(bt & 0x7f);
		if (t != 0x40 && !wasm_is_valtype(t)) {
			*msg = "malformed value type";
			return CU_EFORMAT;
		}
	}
	in->imm = (uint64_t)bt;
	return 0;
}

static int read_br_table(struct cu_reader *r, struct wasm_insn *in, const char **msg)
{
	struct cu_reader start = *r;
	uint32_t n, i, l;
	int rc;

	(void)msg;
	if ((rc = cu_read_uleb32(r, &n)) != 0)
		return rc;
	if (n > WASM_MAX_BR_TABLE)
		return CU_ELIMIT;
	start = *r;
	for (i = 0; i <= n; i++)
		if ((rc = cu_read_uleb32(r, &l)) != 0)
			return rc;
	in->a = n;
	cu_reader_init(&in->targets, cu_reader_cur(&start), r->off - start.off);
	return 0;
}

static int read_memarg(struct cu_reader *r, struct wasm_insn *in)
{
	int rc;

	if ((rc = cu_read_uleb32(r, &in->a)) != 0)
		return rc;
	return cu_read_uleb32(r, &in->b);
}

static int read_fc(struct cu_reader *r, struct wasm_insn *in, const char **msg)
{
	uint32_t sub;
	int rc;

	if ((rc = cu_read_uleb32(r, &sub)) != 0)
		return rc;
	if (sub >= WASM_OP_FC_COUNT) {
		*msg = "illegal opcode";
		return CU_EFORMAT;
	}
	in->op = (uint16_t)(WASM_OP_FC + sub);
	switch (sub) {
	case 8: /* memory.init data 0 */
		if ((rc = cu_read_uleb32(r, &in->a)) != 0)
			return rc;
		return read_zero_byte(r, msg);
	case 9:  /* data.drop */
	case 13: /* elem.drop */
	case 15: /* table.grow */
	case 16: /* table.size */
	case 17: /* table.fill */
		return cu_read_uleb32(r, &in->a);
	case 10: /* memory.copy 0 0 */
		if ((rc = read_zero_byte(r, msg)) != 0)
			return rc;
		return read_zero_byte(r, msg);
	case 11: /* memory.fill 0 */
		return read_zero_byte(r, msg);
	case 12: /* table.init elem table */
	case 14: /* table.copy dst src */
		if ((rc = cu_read_uleb32(r, &in->a)) != 0)
			return rc;
		return cu_read_uleb32(r, &in->b);
	default:
		return 0;
	}
}

static int read_select_t(struct cu_reader *r, struct wasm_insn *in, const char **msg)
{
	uint32_t n;
	int rc;

	if ((rc = cu_read_uleb32(r, &n)) != 0)
		return rc;
	in->a = n;
	if (n != 1) {
		/* A validation error, but the types must still be skipped. */
		uint32_t i;
		uint8_t t;
		if (n > WASM_MAX_PARAMS)
			return CU_ELIMIT;
		for (i = 0; i < n; i++)
			if ((rc = cu_read_u8(r, &t)) != 0)
				return rc;
		return 0;
	}
	if ((rc = cu_read_u8(r, &in->vt)) != 0)
		return rc;
	if (!wasm_is_valtype(in->vt)) {
		*msg = "malformed value type";
		return CU_EFORMAT;
	}
	return 0;
}

static int read_const(struct cu_reader *r, struct wasm_insn *in)
{
	int32_t v32;
	int64_t v64;
	uint32_t f32;
	uint64_t f64;
	int rc;

	switch (in->op) {
	case 0x41:
		rc = cu_read_sleb32(r, &v32);
		in->imm = (uint32_t)v32;
		return rc;
	case 0x42:
		rc = cu_read_sleb64(r, &v64);
		in->imm = (uint64_t)v64;
		return rc;
	case 0x43:
		rc = cu_read_u32le(r, &f32);
		in->imm = f32;
		return rc;
	default:
		rc = cu_read_u64le(r, &f64);
		in->imm = f64;
		return rc;
	}
}

int wasm_read_insn(struct cu_reader *r, struct wasm_insn *in, const char **msg)
{
	uint8_t op;
	int rc;

	memset(in, 0, sizeof(*in));
	if ((rc = cu_read_u8(r, &op)) != 0)
		return rc;
	in->op = op;
	switch (op) {
	case 0x00:
	case 0x01:
	case 0x05:
	case 0x0b:
	case 0x0f:
	case 0x1a:
	case 0x1b:
	case 0xd1:
		return 0;
	case 0x02:
	case 0x03:
	case 0x04:
		return read_blocktype(r, in, msg);
	case 0x0c:
	case 0x0d:
	case 0x10:
	case 0x20:
	case 0x21:
	case 0x22:
	case 0x23:
	case 0x24:
	case 0x25:
	case 0x26:
	case 0xd2:
		return cu_read_uleb32(r, &in->a);
	case 0x0e:
		return read_br_table(r, in, msg);
	case 0x11:
		if ((rc = cu_read_uleb32(r, &in->a)) != 0)
			return rc;
		return cu_read_uleb32(r, &in->b);
	case 0x1c:
		return read_select_t(r, in, msg);
	case 0x3f:
	case 0x40:
		return read_zero_byte(r, msg);
	case 0x41:
	case 0x42:
	case 0x43:
	case 0x44:
		return read_const(r, in);
	case 0xd0:
		if ((rc = cu_read_u8(r, &in->vt)) != 0)
			return rc;
		if (!wasm_is_reftype(in->vt)) {
			*msg = "malformed reference type";
			return CU_EFORMAT;
		}
		return 0;
	case 0xfc:
		return read_fc(r, in, msg);
	default:
		if (op >= 0x28 && op <= 0x3e)
			return read_memarg(r, in);
		if (op >= 0x45 && op <= 0xc4)
			return 0;
		*msg = "illegal opcode";
		return CU_EFORMAT;
	}
}

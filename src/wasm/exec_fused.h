/*
 * exec_fused.h - handlers of the superinstructions (ops.h), generated from
 * the operation lists there. Included by exec.c only, before run(): the
 * macros expand to handler text inside run() and rely on its registers
 * (ip, sp, fp, mem, memsize) and on H(), NEXT() and TRAP().
 */
#ifndef CUSTOS_WASM_EXEC_FUSED_H
#define CUSTOS_WASM_EXEC_FUSED_H

/* Operand types: C type, value of a slot, slot of a value. */
#define CT_I32   uint32_t
#define CT_I64   uint64_t
#define CT_F32   float
#define CT_F64   double
#define G_I32(v) ((uint32_t)(v))
#define G_I64(v) ((uint64_t)(v))
#define G_F32(v) f32_of(v)
#define G_F64(v) f64_of(v)
#define P_I32(x) ((uint64_t)(uint32_t)(x))
#define P_I64(x) ((uint64_t)(x))
#define P_F32(x) of_f32(x)
#define P_F64(x) of_f64(x)

/* ip at the offset cell: jump by it when c holds. */
#define JUMP_IF(c)                                                                                 \
	do {                                                                                       \
		if (c)                                                                             \
			ip += ip->s;                                                               \
		else                                                                               \
			ip++;                                                                      \
		NEXT();                                                                            \
	} while (0)

/* The effective address ea of an access of N bytes, checked in 64 bits. */
#define EA_CHECK(ea, N)                                                                            \
	do {                                                                                       \
		if ((ea) + (N) > memsize)                                                          \
			TRAP(OOB);                                                                 \
	} while (0)

// clang-format off

#define FH_SI(n, o, t, r, e) H(OP_SI_##n) { CT_##t b = G_##t(ip->u), a = G_##t(sp[-1]); sp[-1] = P_##r(e); ip++; NEXT(); }
#define FL_SI(n, o, t, r, e) [OP_SI_##n] = &&l_OP_SI_##n,
#define FH_SL(n, o, t, r, e) H(OP_SL_##n) { CT_##t b = G_##t(fp[ip->u]), a = G_##t(sp[-1]); sp[-1] = P_##r(e); ip++; NEXT(); }
#define FL_SL(n, o, t, r, e) [OP_SL_##n] = &&l_OP_SL_##n,
#define FH_LI(n, o, t, r, e) H(OP_LI_##n) { CT_##t a = G_##t(fp[ip[0].u]), b = G_##t(ip[1].u); *sp++ = P_##r(e); ip += 2; NEXT(); }
#define FL_LI(n, o, t, r, e) [OP_LI_##n] = &&l_OP_LI_##n,
#define FH_LL(n, o, t, r, e) H(OP_LL_##n) { CT_##t a = G_##t(fp[ip->p.lo]), b = G_##t(fp[ip->p.hi]); *sp++ = P_##r(e); ip++; NEXT(); }
#define FL_LL(n, o, t, r, e) [OP_LL_##n] = &&l_OP_LL_##n,
#define FH_SSD(n, o, t, r, e) H(OP_SSD_##n) { CT_##t b = G_##t(sp[-1]), a = G_##t(sp[-2]); sp -= 2; fp[ip->u] = P_##r(e); ip++; NEXT(); }
#define FL_SSD(n, o, t, r, e) [OP_SSD_##n] = &&l_OP_SSD_##n,
#define FH_SID(n, o, t, r, e) H(OP_SID_##n) { CT_##t b = G_##t(ip[0].u), a = G_##t(sp[-1]); sp--; fp[ip[1].u] = P_##r(e); ip += 2; NEXT(); }
#define FL_SID(n, o, t, r, e) [OP_SID_##n] = &&l_OP_SID_##n,
#define FH_SLD(n, o, t, r, e) H(OP_SLD_##n) { CT_##t b = G_##t(fp[ip[0].u]), a = G_##t(sp[-1]); sp--; fp[ip[1].u] = P_##r(e); ip += 2; NEXT(); }
#define FL_SLD(n, o, t, r, e) [OP_SLD_##n] = &&l_OP_SLD_##n,
#define FH_LID(n, o, t, r, e) H(OP_LID_##n) { CT_##t a = G_##t(fp[ip[0].u]), b = G_##t(ip[1].u); fp[ip[2].u] = P_##r(e); ip += 3; NEXT(); }
#define FL_LID(n, o, t, r, e) [OP_LID_##n] = &&l_OP_LID_##n,
#define FH_LLD(n, o, t, r, e) H(OP_LLD_##n) { CT_##t a = G_##t(fp[ip->p.lo]), b = G_##t(fp[ip->p.hi]); fp[ip[1].u] = P_##r(e); ip += 2; NEXT(); }
#define FL_LLD(n, o, t, r, e) [OP_LLD_##n] = &&l_OP_LLD_##n,
#define FH_CZ_SS(n, o, t, r, e) H(OP_CZ_SS_##n) { CT_##t b = G_##t(sp[-1]), a = G_##t(sp[-2]); sp -= 2; JUMP_IF((e) == 0); }
#define FL_CZ_SS(n, o, t, r, e) [OP_CZ_SS_##n] = &&l_OP_CZ_SS_##n,
#define FH_CZ_SI(n, o, t, r, e) H(OP_CZ_SI_##n) { CT_##t b = G_##t(ip->u), a = G_##t(sp[-1]); sp--; ip++; JUMP_IF((e) == 0); }
#define FL_CZ_SI(n, o, t, r, e) [OP_CZ_SI_##n] = &&l_OP_CZ_SI_##n,
#define FH_CZ_SL(n, o, t, r, e) H(OP_CZ_SL_##n) { CT_##t b = G_##t(fp[ip->u]), a = G_##t(sp[-1]); sp--; ip++; JUMP_IF((e) == 0); }
#define FL_CZ_SL(n, o, t, r, e) [OP_CZ_SL_##n] = &&l_OP_CZ_SL_##n,
#define FH_CZ_LI(n, o, t, r, e) H(OP_CZ_LI_##n) { CT_##t a = G_##t(fp[ip[0].u]), b = G_##t(ip[1].u); ip += 2; JUMP_IF((e) == 0); }
#define FL_CZ_LI(n, o, t, r, e) [OP_CZ_LI_##n] = &&l_OP_CZ_LI_##n,
#define FH_CZ_LL(n, o, t, r, e) H(OP_CZ_LL_##n) { CT_##t a = G_##t(fp[ip->p.lo]), b = G_##t(fp[ip->p.hi]); ip++; JUMP_IF((e) == 0); }
#define FL_CZ_LL(n, o, t, r, e) [OP_CZ_LL_##n] = &&l_OP_CZ_LL_##n,
#define FH_CNZ_SS(n, o, t, r, e) H(OP_CNZ_SS_##n) { CT_##t b = G_##t(sp[-1]), a = G_##t(sp[-2]); sp -= 2; JUMP_IF((e) != 0); }
#define FL_CNZ_SS(n, o, t, r, e) [OP_CNZ_SS_##n] = &&l_OP_CNZ_SS_##n,
#define FH_CNZ_SI(n, o, t, r, e) H(OP_CNZ_SI_##n) { CT_##t b = G_##t(ip->u), a = G_##t(sp[-1]); sp--; ip++; JUMP_IF((e) != 0); }
#define FL_CNZ_SI(n, o, t, r, e) [OP_CNZ_SI_##n] = &&l_OP_CNZ_SI_##n,
#define FH_CNZ_SL(n, o, t, r, e) H(OP_CNZ_SL_##n) { CT_##t b = G_##t(fp[ip->u]), a = G_##t(sp[-1]); sp--; ip++; JUMP_IF((e) != 0); }
#define FL_CNZ_SL(n, o, t, r, e) [OP_CNZ_SL_##n] = &&l_OP_CNZ_SL_##n,
#define FH_CNZ_LI(n, o, t, r, e) H(OP_CNZ_LI_##n) { CT_##t a = G_##t(fp[ip[0].u]), b = G_##t(ip[1].u); ip += 2; JUMP_IF((e) != 0); }
#define FL_CNZ_LI(n, o, t, r, e) [OP_CNZ_LI_##n] = &&l_OP_CNZ_LI_##n,
#define FH_CNZ_LL(n, o, t, r, e) H(OP_CNZ_LL_##n) { CT_##t a = G_##t(fp[ip->p.lo]), b = G_##t(fp[ip->p.hi]); ip++; JUMP_IF((e) != 0); }
#define FL_CNZ_LL(n, o, t, r, e) [OP_CNZ_LL_##n] = &&l_OP_CNZ_LL_##n,
#define FH_LOAD_L(n, o, T, N, c) H(OP_L_##n) { uint64_t ea = (uint64_t)(uint32_t)fp[ip[0].u] + ip[1].u; T v; EA_CHECK(ea, N); memcpy(&v, mem + ea, N); *sp++ = (c); ip += 2; NEXT(); }
#define FL_LOAD_L(n, o, T, N, c) [OP_L_##n] = &&l_OP_L_##n,
#define FH_LOAD_D(n, o, T, N, c) H(OP_D_##n) { uint64_t ea = (uint64_t)(uint32_t)sp[-1] + ip[0].u; T v; EA_CHECK(ea, N); memcpy(&v, mem + ea, N); sp--; fp[ip[1].u] = (c); ip += 2; NEXT(); }
#define FL_LOAD_D(n, o, T, N, c) [OP_D_##n] = &&l_OP_D_##n,
#define FH_LOAD_LD(n, o, T, N, c) H(OP_LD_##n) { uint64_t ea = (uint64_t)(uint32_t)fp[ip[0].u] + ip[1].u; T v; EA_CHECK(ea, N); memcpy(&v, mem + ea, N); fp[ip[2].u] = (c); ip += 3; NEXT(); }
#define FL_LOAD_LD(n, o, T, N, c) [OP_LD_##n] = &&l_OP_LD_##n,
#define FH_STORE_SL(n, o, T, N, c) H(OP_SL_##n) { uint64_t ea = (uint64_t)(uint32_t)sp[-1] + ip[1].u; T v = (T)fp[ip[0].u]; EA_CHECK(ea, N); memcpy(mem + ea, &v, N); sp--; ip += 2; NEXT(); }
#define FL_STORE_SL(n, o, T, N, c) [OP_SL_##n] = &&l_OP_SL_##n,
#define FH_STORE_SI(n, o, T, N, c) H(OP_SI_##n) { uint64_t ea = (uint64_t)(uint32_t)sp[-1] + ip[1].u; T v = (T)ip[0].u; EA_CHECK(ea, N); memcpy(mem + ea, &v, N); sp--; ip += 2; NEXT(); }
#define FL_STORE_SI(n, o, T, N, c) [OP_SI_##n] = &&l_OP_SI_##n,
#define FH_STORE_LL(n, o, T, N, c) H(OP_LL_##n) { uint64_t ea = (uint64_t)(uint32_t)fp[ip[0].p.lo] + ip[1].u; T v = (T)fp[ip[0].p.hi]; EA_CHECK(ea, N); memcpy(mem + ea, &v, N); ip += 2; NEXT(); }
#define FL_STORE_LL(n, o, T, N, c) [OP_LL_##n] = &&l_OP_LL_##n,

#define FUSED_HANDLERS \
	WASM_BIN_ALL(FH_SI) \
	WASM_BIN_ALL(FH_SL) \
	WASM_BIN_ALL(FH_LI) \
	WASM_BIN_ALL(FH_LL) \
	WASM_BIN_ALL(FH_SSD) \
	WASM_BIN_ALL(FH_SID) \
	WASM_BIN_ALL(FH_SLD) \
	WASM_BIN_ALL(FH_LID) \
	WASM_BIN_ALL(FH_LLD) \
	WASM_BIN_COND(FH_CZ_SS) \
	WASM_BIN_COND(FH_CZ_SI) \
	WASM_BIN_COND(FH_CZ_SL) \
	WASM_BIN_COND(FH_CZ_LI) \
	WASM_BIN_COND(FH_CZ_LL) \
	WASM_BIN_COND(FH_CNZ_SS) \
	WASM_BIN_COND(FH_CNZ_SI) \
	WASM_BIN_COND(FH_CNZ_SL) \
	WASM_BIN_COND(FH_CNZ_LI) \
	WASM_BIN_COND(FH_CNZ_LL) \
	WASM_LOADS(FH_LOAD_L) \
	WASM_LOADS(FH_LOAD_D) \
	WASM_LOADS(FH_LOAD_LD) \
	WASM_STORES(FH_STORE_SL) \
	WASM_STORES(FH_STORE_SI) \
	WASM_STORES(FH_STORE_LL)
#define FUSED_LABELS \
	WASM_BIN_ALL(FL_SI) \
	WASM_BIN_ALL(FL_SL) \
	WASM_BIN_ALL(FL_LI) \
	WASM_BIN_ALL(FL_LL) \
	WASM_BIN_ALL(FL_SSD) \
	WASM_BIN_ALL(FL_SID) \
	WASM_BIN_ALL(FL_SLD) \
	WASM_BIN_ALL(FL_LID) \
	WASM_BIN_ALL(FL_LLD) \
	WASM_BIN_COND(FL_CZ_SS) \
	WASM_BIN_COND(FL_CZ_SI) \
	WASM_BIN_COND(FL_CZ_SL) \
	WASM_BIN_COND(FL_CZ_LI) \
	WASM_BIN_COND(FL_CZ_LL) \
	WASM_BIN_COND(FL_CNZ_SS) \
	WASM_BIN_COND(FL_CNZ_SI) \
	WASM_BIN_COND(FL_CNZ_SL) \
	WASM_BIN_COND(FL_CNZ_LI) \
	WASM_BIN_COND(FL_CNZ_LL) \
	WASM_LOADS(FL_LOAD_L) \
	WASM_LOADS(FL_LOAD_D) \
	WASM_LOADS(FL_LOAD_LD) \
	WASM_STORES(FL_STORE_SL) \
	WASM_STORES(FL_STORE_SI) \
	WASM_STORES(FL_STORE_LL)
// clang-format on

#endif

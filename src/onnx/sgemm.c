/*
 * sgemm.c - the engine's own single-precision matrix product, for
 * convolutions: C[M,N] = A[M,K] B[K,N], then a bias per row, a residual
 * matrix (a fused Add) and Relu or Clip, in one pass over C.
 *
 * A (the weights) is packed once, at plan time, into micro-panels of MR
 * rows, K-block by K-block: [k][MR] with the rows past M zero. B is packed
 * as it is used into micro-panels of NR columns, [k][NR], zero-padded,
 * one block of KC rows and at most NC columns at a time (a block that
 * stays in L2), from a row-major matrix or by the caller's function (a
 * convolution's im2col rows, made as they are packed). A micro-kernel
 * keeps an MR x NR tile of C in registers through one K-block: per k, it
 * loads NR values of B as vectors and multiplies them by each of the MR
 * values of A, broadcast. The last K-block adds the bias and the residual,
 * applies the activation and stores the tile, masked at the right edge.
 *
 * The direct product (ox_direct_run) reads A in place instead: row i,
 * column k at x[start(i) + koff[k]], for a Conv the input under one tap
 * of one output position's window. Its tiles are MR positions by NR channels
 * (the channels in the vector lanes, B being the weights, packed whole at
 * plan time); one runs over all of K in registers, broadcasting from MR
 * pointers into the input, then is transposed in registers and stored as
 * NR rows of MR consecutive outputs (NCHW), with the bias, residual and
 * activation on the way. No im2col copy, no partial sums in memory.
 *
 * Kernels: AVX-512 (12 x 32, 24 accumulators of the 32 zmm registers) and
 * AVX2 with FMA (6 x 16, 12 of the 16 ymm). The CPU picks one at plan time
 * (CUSTOS_ONNX_GEMM=blas|avx2|avx512 narrows the choice, for tests and
 * comparisons); without either, convolutions use BLAS (conv.c).
 */
#include <stdlib.h>
#include <string.h>

#include "onnx/internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define OX_HAVE_X86_KERNELS 1
#endif

#define MR512 12
#define NR512 32
#define MR256 6
#define NR256 16

enum { F_FIRST = 1, F_LAST = 2 };

static int isa_detect(void)
{
	const char *want = getenv("CUSTOS_ONNX_GEMM");
	int best = OX_ISA_NONE;

#ifdef OX_HAVE_X86_KERNELS
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		best = OX_ISA_AVX2;
	if (__builtin_cpu_supports("avx512f"))
		best = OX_ISA_AVX512;
#endif
	if (want == NULL || *want == '\0' || strcmp(want, "auto") == 0)
		return best;
	if (strcmp(want, "blas") == 0)
		return OX_ISA_NONE;
	if (strcmp(want, "avx2") == 0)
		return best >= OX_ISA_AVX2 ? OX_ISA_AVX2 : best;
	return best;
}

int ox_gemm_isa(void)
{
	static int isa = -1;

	/* A benign race: every thread computes the same answer. */
	if (__atomic_load_n(&isa, __ATOMIC_RELAXED) < 0)
		__atomic_store_n(&isa, isa_detect(), __ATOMIC_RELAXED);
	return __atomic_load_n(&isa, __ATOMIC_RELAXED);
}

int ox_gemm_mr(int isa)
{
	return isa == OX_ISA_AVX512 ? MR512 : isa == OX_ISA_AVX2 ? MR256 : 0;
}

int ox_gemm_nr(int isa)
{
	return isa == OX_ISA_AVX512 ? NR512 : isa == OX_ISA_AVX2 ? NR256 : 0;
}

static int64_t round_up(int64_t v, int64_t to)
{
	return (v + to - 1) / to * to;
}

uint64_t ox_gemm_pack_a_floats(int isa, int64_t m, int64_t k)
{
	return (uint64_t)round_up(m, ox_gemm_mr(isa)) * (uint64_t)k;
}

uint64_t ox_gemm_pack_b_floats(int isa)
{
	(void)isa;
	return (uint64_t)OX_GEMM_KC * OX_GEMM_NC;
}

void ox_gemm_pack_a(int isa, const float *a, int64_t m, int64_t k, float *dst)
{
	int64_t mr = ox_gemm_mr(isa), mp = round_up(m, mr);

	for (int64_t k0 = 0; k0 < k; k0 += OX_GEMM_KC) {
		int64_t kc = k - k0 < OX_GEMM_KC ? k - k0 : OX_GEMM_KC;
		for (int64_t p = 0; p < mp; p += mr)
			for (int64_t kk = 0; kk < kc; kk++)
				for (int64_t i = 0; i < mr; i++)
					*dst++ = p + i < m ? a[(p + i) * k + k0 + kk] : 0.0f;
	}
}

uint64_t ox_gemm_pack_bt_floats(int isa, int64_t n, int64_t k)
{
	return (uint64_t)round_up(n, ox_gemm_nr(isa)) * (uint64_t)k;
}

void ox_gemm_pack_bt(int isa, const float *w, int64_t n, int64_t k, float *dst)
{
	int64_t nr = ox_gemm_nr(isa);

	for (int64_t j = 0; j < n; j += nr)
		for (int64_t kk = 0; kk < k; kk++)
			for (int64_t i = 0; i < nr; i++)
				*dst++ = j + i < n ? w[(j + i) * k + kk] : 0.0f;
}

/* Columns [0, nc) of rows [0, kc) of b into panels of nr columns, [k][nr], zero-padded. */
static void pack_b(const float *b, int64_t ldb, int64_t kc, int64_t nc, int nr, float *dst)
{
	for (int64_t j = 0; j < nc; j += nr) {
		int64_t nv = nc - j < nr ? nc - j : nr;
		const float *src = b + j;
		if (nv == nr) {
			for (int64_t kk = 0; kk < kc; kk++, dst += nr)
				memcpy(dst, src + kk * ldb, (size_t)nr * sizeof(float));
			continue;
		}
		for (int64_t kk = 0; kk < kc; kk++, dst += nr) {
			memcpy(dst, src + kk * ldb, (size_t)nv * sizeof(float));
			memset(dst + nv, 0, (size_t)(nr - nv) * sizeof(float));
		}
	}
}

/* Bias, residual and activation of C[row, col] = v (a product with K = 0). */
static float epi_one(const struct ox_gemm *g, float v, int64_t row, int64_t col)
{
	if (g->bias != NULL)
		v += g->bias[row];
	if (g->sum != NULL)
		v += g->sum[row * g->ldc + col];
	if (g->act == OX_ACT_RELU)
		return v > 0.0f ? v : 0.0f;
	if (g->act == OX_ACT_CLIP)
		return v < g->lo ? g->lo : v > g->hi ? g->hi : v;
	return v;
}

#ifdef OX_HAVE_X86_KERNELS
#define T512   __attribute__((target("avx512f")))
#define T256   __attribute__((target("avx2,fma")))
#define INLINE inline __attribute__((always_inline))

/*
 * The fused activation of v. max(v, 0) gives 0 for NaN, as v > 0 ? v : 0
 * does; max(lo, v) and min(hi, v) keep a NaN v, as the scalar form does.
 */
static INLINE T512 __m512 act512(enum ox_act act, __m512 v, float lo, float hi)
{
	if (act == OX_ACT_RELU)
		return _mm512_max_ps(v, _mm512_setzero_ps());
	if (act == OX_ACT_CLIP)
		return _mm512_min_ps(_mm512_set1_ps(hi), _mm512_max_ps(_mm512_set1_ps(lo), v));
	return v;
}

static INLINE T256 __m256 act256(enum ox_act act, __m256 v, float lo, float hi)
{
	if (act == OX_ACT_RELU)
		return _mm256_max_ps(v, _mm256_setzero_ps());
	if (act == OX_ACT_CLIP)
		return _mm256_min_ps(_mm256_set1_ps(hi), _mm256_max_ps(_mm256_set1_ps(lo), v));
	return v;
}

/* One MR512 x NR512 tile of C, rows [0, mr) and columns [0, nv) stored. */
static INLINE T512 void tile512(const int mr, int64_t kc, const float *restrict a,
                                const float *restrict b, float *restrict c, const float *sum,
                                int64_t ldc, int nv, int flags, const struct ox_gemm *g,
                                int64_t row0)
{
	__m512 c0[MR512], c1[MR512];

#pragma GCC unroll 16
	for (int i = 0; i < MR512; i++)
		c0[i] = c1[i] = _mm512_setzero_ps();
	for (int64_t k = 0; k < kc; k++) {
		__m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 16
		for (int i = 0; i < MR512; i++)
			if (i < mr) {
				__m512 av = _mm512_set1_ps(a[i]);
				c0[i] = _mm512_fmadd_ps(av, b0, c0[i]);
				c1[i] = _mm512_fmadd_ps(av, b1, c1[i]);
			}
		a += MR512;
		b += NR512;
	}
	__mmask16 k0 = nv >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nv) - 1);
	__mmask16 k1 = nv <= 16   ? (__mmask16)0
	               : nv >= 32 ? (__mmask16)0xffff
	                          : (__mmask16)((1u << (nv - 16)) - 1);
#pragma GCC unroll 16
	for (int i = 0; i < MR512; i++) {
		if (i >= mr)
			break;
		float *ci = c + i * ldc;
		__m512 v0 = c0[i], v1 = c1[i];
		if (!(flags & F_FIRST)) {
			v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(k0, ci));
			v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(k1, ci + 16));
		}
		if (flags & F_LAST) {
			if (g->bias != NULL) {
				__m512 bv = _mm512_set1_ps(g->bias[row0 + i]);
				v0 = _mm512_add_ps(v0, bv);
				v1 = _mm512_add_ps(v1, bv);
			}
			if (sum != NULL) {
				const float *si = sum + i * ldc;
				v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(k0, si));
				v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(k1, si + 16));
			}
			v0 = act512(g->act, v0, g->lo, g->hi);
			v1 = act512(g->act, v1, g->lo, g->hi);
		}
		_mm512_mask_storeu_ps(ci, k0, v0);
		_mm512_mask_storeu_ps(ci + 16, k1, v1);
	}
}

static T512 void kernel512(int mr, int64_t kc, const float *a, const float *b, float *c,
                           const float *sum, int64_t ldc, int nv, int flags,
                           const struct ox_gemm *g, int64_t row0)
{
	switch (mr) {
#define CASE(n)                                                                                    \
	case n:                                                                                    \
		tile512(n, kc, a, b, c, sum, ldc, nv, flags, g, row0);                             \
		break;
		CASE(1)
		CASE(2)
		CASE(3)
		CASE(4)
		CASE(5)
		CASE(6)
		CASE(7)
		CASE(8)
		CASE(9)
		CASE(10)
		CASE(11)
	default:
		tile512(MR512, kc, a, b, c, sum, ldc, nv, flags, g, row0);
#undef CASE
	}
}

static INLINE T256 void tile256(const int mr, int64_t kc, const float *restrict a,
                                const float *restrict b, float *restrict c, const float *sum,
                                int64_t ldc, int nv, int flags, const struct ox_gemm *g,
                                int64_t row0)
{
	__m256 c0[MR256], c1[MR256];

#pragma GCC unroll 8
	for (int i = 0; i < MR256; i++)
		c0[i] = c1[i] = _mm256_setzero_ps();
	for (int64_t k = 0; k < kc; k++) {
		__m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 8
		for (int i = 0; i < MR256; i++)
			if (i < mr) {
				__m256 av = _mm256_broadcast_ss(a + i);
				c0[i] = _mm256_fmadd_ps(av, b0, c0[i]);
				c1[i] = _mm256_fmadd_ps(av, b1, c1[i]);
			}
		a += MR256;
		b += NR256;
	}
	const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	__m256i k0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nv), idx);
	__m256i k1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nv - 8), idx);
#pragma GCC unroll 8
	for (int i = 0; i < MR256; i++) {
		if (i >= mr)
			break;
		float *ci = c + i * ldc;
		__m256 v0 = c0[i], v1 = c1[i];
		if (!(flags & F_FIRST)) {
			v0 = _mm256_add_ps(v0, _mm256_maskload_ps(ci, k0));
			v1 = _mm256_add_ps(v1, _mm256_maskload_ps(ci + 8, k1));
		}
		if (flags & F_LAST) {
			if (g->bias != NULL) {
				__m256 bv = _mm256_set1_ps(g->bias[row0 + i]);
				v0 = _mm256_add_ps(v0, bv);
				v1 = _mm256_add_ps(v1, bv);
			}
			if (sum != NULL) {
				const float *si = sum + i * ldc;
				v0 = _mm256_add_ps(v0, _mm256_maskload_ps(si, k0));
				v1 = _mm256_add_ps(v1, _mm256_maskload_ps(si + 8, k1));
			}
			v0 = act256(g->act, v0, g->lo, g->hi);
			v1 = act256(g->act, v1, g->lo, g->hi);
		}
		_mm256_maskstore_ps(ci, k0, v0);
		_mm256_maskstore_ps(ci + 8, k1, v1);
	}
}

static T256 void kernel256(int mr, int64_t kc, const float *a, const float *b, float *c,
                           const float *sum, int64_t ldc, int nv, int flags,
                           const struct ox_gemm *g, int64_t row0)
{
	switch (mr) {
#define CASE(n)                                                                                    \
	case n:                                                                                    \
		tile256(n, kc, a, b, c, sum, ldc, nv, flags, g, row0);                             \
		break;
		CASE(1)
		CASE(2)
		CASE(3)
		CASE(4)
		CASE(5)
	default:
		tile256(MR256, kc, a, b, c, sum, ldc, nv, flags, g, row0);
#undef CASE
	}
}

/*
 * The direct product's tiles (ox_direct_run): C[row + i][col + j] for i <
 * mr and j < nv over all of K, A broadcast from xr[i] + koff[k]; then the
 * tile is transposed in registers and each column j stored as mr
 * consecutive values of y's row col + j, after its bias, residual and
 * activation. Those nv stores each end in a line the tile before did not
 * touch: the tile asks for these lines first, so that fetching them (a
 * large output is not in any cache) overlaps its sums instead of stalling
 * the stores; a batch of 16 through MobileNet's first Conv (K = 27) took
 * 4.8 ms without, 3.8 ms with.
 */

/* Rows r[0..16) transposed in place: lane i of r[j] becomes lane j of r[i]. */
static INLINE T512 void transpose16(__m512 r[16])
{
	__m512 t[16];

#pragma GCC unroll 16
	for (int i = 0; i < 16; i += 2) {
		t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
		t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
	}
	/* r[4g + c], 128-bit lane l: column 4l + c of rows 4g..4g+3 */
#pragma GCC unroll 16
	for (int g = 0; g < 16; g += 4) {
		r[g] = _mm512_shuffle_ps(t[g], t[g + 2], 0x44);
		r[g + 1] = _mm512_shuffle_ps(t[g], t[g + 2], 0xee);
		r[g + 2] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0x44);
		r[g + 3] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0xee);
	}
#pragma GCC unroll 4
	for (int c = 0; c < 4; c++) {
		__m512 v0 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88);
		__m512 v1 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xdd);
		__m512 w0 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88);
		__m512 w1 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xdd);
		t[c] = _mm512_shuffle_f32x4(v0, w0, 0x88);
		t[8 + c] = _mm512_shuffle_f32x4(v0, w0, 0xdd);
		t[4 + c] = _mm512_shuffle_f32x4(v1, w1, 0x88);
		t[12 + c] = _mm512_shuffle_f32x4(v1, w1, 0xdd);
	}
#pragma GCC unroll 16
	for (int i = 0; i < 16; i++)
		r[i] = t[i];
}

/* Columns [col, col + nv) of y, rows [row, row + mr): v[j] holds column col + j's values. */
static INLINE T512 void dstore512(const struct ox_direct *d, const __m512 *v, int mr, int64_t row,
                                  int64_t col, int nv)
{
	__mmask16 m = (__mmask16)((1u << mr) - 1);

	for (int j = 0; j < nv; j++) {
		int64_t at = (col + j) * d->ldy + row;
		__m512 x = v[j];
		if (d->bias != NULL)
			x = _mm512_add_ps(x, _mm512_set1_ps(d->bias[col + j]));
		if (d->sum != NULL)
			x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, d->sum + at));
		_mm512_mask_storeu_ps(d->y + at, m, act512(d->act, x, d->lo, d->hi));
	}
}

static INLINE T512 void dtile512(const int mr, const struct ox_direct *d, const float *const *xr,
                                 const float *restrict b, int64_t row, int64_t col, int nv)
{
	__m512 c0[MR512], c1[MR512], t[16];
	const int32_t *koff = d->koff;

	/* the lines this tile ends in, for writing: their fetch overlaps the sums */
	for (int j = 0; j < nv; j++)
		__builtin_prefetch(d->y + (col + j) * d->ldy + row + mr - 1, 1);
#pragma GCC unroll 16
	for (int i = 0; i < MR512; i++)
		c0[i] = c1[i] = _mm512_setzero_ps();
	for (int64_t k = 0; k < d->k; k++) {
		int32_t o = koff[k];
		__m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 16
		for (int i = 0; i < MR512; i++)
			if (i < mr) {
				__m512 av = _mm512_set1_ps(xr[i][o]);
				c0[i] = _mm512_fmadd_ps(av, b0, c0[i]);
				c1[i] = _mm512_fmadd_ps(av, b1, c1[i]);
			}
		b += NR512;
	}
#pragma GCC unroll 16
	for (int i = 0; i < 16; i++)
		t[i] = i < mr ? c0[i] : _mm512_setzero_ps();
	transpose16(t);
	dstore512(d, t, mr, row, col, nv < 16 ? nv : 16);
	if (nv > 16) {
#pragma GCC unroll 16
		for (int i = 0; i < 16; i++)
			t[i] = i < mr ? c1[i] : _mm512_setzero_ps();
		transpose16(t);
		dstore512(d, t, mr, row, col + 16, nv - 16);
	}
}

static T512 void dkernel512(int mr, const struct ox_direct *d, const float *const *xr,
                            const float *b, int64_t row, int64_t col, int nv)
{
	switch (mr) {
#define CASE(n)                                                                                    \
	case n:                                                                                    \
		dtile512(n, d, xr, b, row, col, nv);                                               \
		break;
		CASE(1)
		CASE(2)
		CASE(3)
		CASE(4)
		CASE(5)
		CASE(6)
		CASE(7)
		CASE(8)
		CASE(9)
		CASE(10)
		CASE(11)
	default:
		dtile512(MR512, d, xr, b, row, col, nv);
#undef CASE
	}
}

/* Rows r[0..8) transposed in place. */
static INLINE T256 void transpose8(__m256 r[8])
{
	__m256 t[8];

#pragma GCC unroll 8
	for (int i = 0; i < 8; i += 2) {
		t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
		t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
	}
#pragma GCC unroll 8
	for (int g = 0; g < 8; g += 4) {
		r[g] = _mm256_shuffle_ps(t[g], t[g + 2], 0x44);
		r[g + 1] = _mm256_shuffle_ps(t[g], t[g + 2], 0xee);
		r[g + 2] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0x44);
		r[g + 3] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0xee);
	}
#pragma GCC unroll 4
	for (int c = 0; c < 4; c++) {
		t[c] = _mm256_permute2f128_ps(r[c], r[4 + c], 0x20);
		t[4 + c] = _mm256_permute2f128_ps(r[c], r[4 + c], 0x31);
	}
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++)
		r[i] = t[i];
}

static INLINE T256 void dstore256(const struct ox_direct *d, const __m256 *v, int mr, int64_t row,
                                  int64_t col, int nv)
{
	__m256i m =
	    _mm256_cmpgt_epi32(_mm256_set1_epi32(mr), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));

	for (int j = 0; j < nv; j++) {
		int64_t at = (col + j) * d->ldy + row;
		__m256 x = v[j];
		if (d->bias != NULL)
			x = _mm256_add_ps(x, _mm256_set1_ps(d->bias[col + j]));
		if (d->sum != NULL)
			x = _mm256_add_ps(x, _mm256_maskload_ps(d->sum + at, m));
		_mm256_maskstore_ps(d->y + at, m, act256(d->act, x, d->lo, d->hi));
	}
}

static INLINE T256 void dtile256(const int mr, const struct ox_direct *d, const float *const *xr,
                                 const float *restrict b, int64_t row, int64_t col, int nv)
{
	__m256 c0[MR256], c1[MR256], t[8];
	const int32_t *koff = d->koff;

	for (int j = 0; j < nv; j++)
		__builtin_prefetch(d->y + (col + j) * d->ldy + row + mr - 1, 1);
#pragma GCC unroll 8
	for (int i = 0; i < MR256; i++)
		c0[i] = c1[i] = _mm256_setzero_ps();
	for (int64_t k = 0; k < d->k; k++) {
		int32_t o = koff[k];
		__m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 8
		for (int i = 0; i < MR256; i++)
			if (i < mr) {
				__m256 av = _mm256_broadcast_ss(xr[i] + o);
				c0[i] = _mm256_fmadd_ps(av, b0, c0[i]);
				c1[i] = _mm256_fmadd_ps(av, b1, c1[i]);
			}
		b += NR256;
	}
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++)
		t[i] = i < mr ? c0[i] : _mm256_setzero_ps();
	transpose8(t);
	dstore256(d, t, mr, row, col, nv < 8 ? nv : 8);
	if (nv > 8) {
#pragma GCC unroll 8
		for (int i = 0; i < 8; i++)
			t[i] = i < mr ? c1[i] : _mm256_setzero_ps();
		transpose8(t);
		dstore256(d, t, mr, row, col + 8, nv - 8);
	}
}

static T256 void dkernel256(int mr, const struct ox_direct *d, const float *const *xr,
                            const float *b, int64_t row, int64_t col, int nv)
{
	switch (mr) {
#define CASE(n)                                                                                    \
	case n:                                                                                    \
		dtile256(n, d, xr, b, row, col, nv);                                               \
		break;
		CASE(1)
		CASE(2)
		CASE(3)
		CASE(4)
		CASE(5)
	default:
		dtile256(MR256, d, xr, b, row, col, nv);
#undef CASE
	}
}
#endif

void ox_gemm_run(const struct ox_gemm *g, int64_t p0, int64_t p1, int64_t n0, int64_t n1,
                 float *bbuf)
{
	int mr = ox_gemm_mr(g->isa), nr = ox_gemm_nr(g->isa);
	int64_t mp = round_up(g->m, mr);

	if (p1 * mr > mp)
		p1 = mp / mr;
	for (int64_t nb = n0; nb < n1; nb += OX_GEMM_NC) {
		int64_t nc = n1 - nb < OX_GEMM_NC ? n1 - nb : OX_GEMM_NC;
		for (int64_t k0 = 0; k0 < g->k; k0 += OX_GEMM_KC) {
			int64_t kc = g->k - k0 < OX_GEMM_KC ? g->k - k0 : OX_GEMM_KC;
			int flags = (k0 == 0 ? F_FIRST : 0) | (k0 + kc >= g->k ? F_LAST : 0);
			if (g->pack != NULL)
				g->pack(g, k0, kc, nb, nc, bbuf);
			else
				pack_b(g->b + k0 * g->ldb + nb, g->ldb, kc, nc, nr, bbuf);
			for (int64_t p = p0; p < p1; p++) {
				int64_t row = p * mr, rows = g->m - row < mr ? g->m - row : mr;
				const float *a = g->a + k0 * mp + row * kc;
				float *c = g->c + row * g->ldc + nb;
				const float *sum = g->sum != NULL && (flags & F_LAST)
				                       ? g->sum + row * g->ldc + nb
				                       : NULL;
				for (int64_t j = 0; j < nc; j += nr) {
					int nv = (int)(nc - j < nr ? nc - j : nr);
					const float *sj = sum != NULL ? sum + j : NULL;
#ifdef OX_HAVE_X86_KERNELS
					if (g->isa == OX_ISA_AVX512)
						kernel512((int)rows, kc, a, bbuf + j * kc, c + j,
						          sj, g->ldc, nv, flags, g, row);
					else
						kernel256((int)rows, kc, a, bbuf + j * kc, c + j,
						          sj, g->ldc, nv, flags, g, row);
#else
					(void)rows, (void)a, (void)c, (void)nv, (void)flags,
					    (void)sj;
#endif
				}
			}
		}
	}
	/* A product with K = 0 still owes C its bias and activation. */
	if (g->k == 0)
		for (int64_t r = p0 * mr; r < p1 * mr && r < g->m; r++)
			for (int64_t j = n0; j < n1; j++)
				g->c[r * g->ldc + j] = epi_one(g, 0.0f, r, j);
}

/* One tile: rows [row, row + mr) (fewer at the end), column panel j. */
static void direct_tile(const struct ox_direct *d, int mr, int nr, int64_t row, int64_t j)
{
	const float *xr[MR512];
	int rows = (int)(d->m - row < mr ? d->m - row : mr);
	int nv = (int)(d->n - j * nr < nr ? d->n - j * nr : nr);
	int64_t r = row / d->run, c = row % d->run;

	for (int i = 0; i < rows; i++) {
		xr[i] = d->x + d->roff[r] + c * d->step;
		if (++c == d->run) {
			c = 0;
			r++;
		}
	}
#ifdef OX_HAVE_X86_KERNELS
	if (d->isa == OX_ISA_AVX512)
		dkernel512(rows, d, xr, d->bp + j * nr * d->k, row, j * nr, nv);
	else
		dkernel256(rows, d, xr, d->bp + j * nr * d->k, row, j * nr, nv);
#else
	(void)nv;
#endif
}

/*
 * B's panels in [j0, j1) together this size or smaller stay in the L2 cache
 * while every row tile passes them; larger, each panel is taken in turn
 * past every row tile, and A (the input, smaller then) is read again.
 */
#define OX_DIRECT_B_L2 ((uint64_t)384 << 10)

void ox_direct_run(const struct ox_direct *d, int64_t r0, int64_t r1, int64_t j0, int64_t j1)
{
	int mr = ox_gemm_mr(d->isa), nr = ox_gemm_nr(d->isa);

	if ((uint64_t)(j1 - j0) * (uint64_t)nr * (uint64_t)d->k * sizeof(float) <= OX_DIRECT_B_L2) {
		for (int64_t r = r0; r < r1; r++)
			for (int64_t j = j0; j < j1; j++)
				direct_tile(d, mr, nr, r * mr, j);
		return;
	}
	for (int64_t j = j0; j < j1; j++)
		for (int64_t r = r0; r < r1; r++)
			direct_tile(d, mr, nr, r * mr, j);
}

/* The 8-wide AVX2/FMA instance of the SIMD vector layer (see vec.h for the
 * interface every instance provides). Only files compiled with -mavx2 -mfma
 * include it. */
#ifndef SEQNN_SIMD_VEC_AVX2_H
#define SEQNN_SIMD_VEC_AVX2_H

#include <immintrin.h>
#include <stdint.h>

#define VW 8                             /* floats per vector */
#define SIMD_ISA_NAME "avx2"

typedef __m256 vf;                       /* VW floats */
typedef __m256 vm;                       /* lane mask (all-ones lanes), opaque to kernels */
typedef __m256i vi;                      /* VW int32 */

/* GEMM register blocking: an MR x (2*VW) micro-tile of 12 accumulators
 * (16 ymm registers: 12 + 2 B vectors + 1 broadcast). */
#define SIMD_GEMM_MR 6
#define SIMD_GEMM_MC 120                 /* rows of A per L2-resident block (multiple of MR) */
#define SIMD_GEMM_KC 384                 /* depth per packed block */
#define SIMD_GEMM_NC 12288               /* KC*NC: packed floats of B per L3-resident column block */

static inline vf vf_zero(void) { return _mm256_setzero_ps(); }
static inline vf vf_set1(float x) { return _mm256_set1_ps(x); }
static inline vf vf_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void vf_store(float *p, vf v) { _mm256_storeu_ps(p, v); }
static inline vf vf_bcast(const float *p) { return _mm256_broadcast_ss(p); }

/* lanes [0, n) set, 0 <= n <= VW */
static inline __m256i vec_avx2_first(int64_t n)
{
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), iota);
}
static inline vm vm_first(int64_t n) { return _mm256_castsi256_ps(vec_avx2_first(n)); }
/* first n lanes (0 <= n <= VW) from p, the others 0; lanes past n are not touched */
static inline vf vf_load_n(const float *p, int64_t n) { return _mm256_maskload_ps(p, vec_avx2_first(n)); }
static inline void vf_store_n(float *p, vf v, int64_t n) { _mm256_maskstore_ps(p, vec_avx2_first(n), v); }

static inline vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm256_div_ps(a, b); }
static inline vf vf_fmadd(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }   /* a*b + c */
static inline vf vf_fmsub(vf a, vf b, vf c) { return _mm256_fmsub_ps(a, b, c); }   /* a*b - c */
static inline vf vf_fnmadd(vf a, vf b, vf c) { return _mm256_fnmadd_ps(a, b, c); } /* c - a*b */
static inline vf vf_max(vf a, vf b) { return _mm256_max_ps(a, b); }  /* b when either is NaN */
static inline vf vf_min(vf a, vf b) { return _mm256_min_ps(a, b); }
static inline vf vf_sqrt(vf a) { return _mm256_sqrt_ps(a); }
static inline vf vf_abs(vf a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
static inline vf vf_neg(vf a) { return _mm256_xor_ps(_mm256_set1_ps(-0.0f), a); }
/* sign bit of s on the magnitude of a */
static inline vf vf_copysign(vf a, vf s)
{
    const vf sign = _mm256_set1_ps(-0.0f);
    return _mm256_or_ps(_mm256_andnot_ps(sign, a), _mm256_and_ps(sign, s));
}
static inline vf vf_round(vf a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }

/* comparisons (ordered: false when either is NaN) and selection */
static inline vm vf_lt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
static inline vm vf_le(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
static inline vm vf_gt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
static inline vm vf_ge(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
static inline vm vf_eq(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
static inline vm vm_and(vm a, vm b) { return _mm256_and_ps(a, b); }
static inline vm vm_or(vm a, vm b) { return _mm256_or_ps(a, b); }
static inline vm vm_andnot(vm a, vm b) { return _mm256_andnot_ps(a, b); }  /* !a & b */
static inline int vm_any(vm a) { return _mm256_movemask_ps(a) != 0; }
/* m ? t : f, lane-wise */
static inline vf vf_select(vm m, vf t, vf f) { return _mm256_blendv_ps(f, t, m); }
/* m ? a : 0 */
static inline vf vf_mask_zero(vm m, vf a) { return _mm256_and_ps(m, a); }

/* horizontal reductions, in a fixed order */
static inline float vf_hsum(vf a)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
static inline float vf_hmax(vf a)
{
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* 2^n for integral n in [-126, 127] */
static inline vf vf_pow2i(vf n)
{
    __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
}
/* x = m * 2^e with m in [0.5, 1), for positive normal x; returns m, e as float */
static inline vf vf_frexp(vf x, vf *e)
{
    __m256i bits = _mm256_castps_si256(x);
    __m256i ex = _mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(126));
    *e = _mm256_cvtepi32_ps(ex);
    bits = _mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x807fffff)),
                           _mm256_set1_epi32(0x3f000000));
    return _mm256_castsi256_ps(bits);
}

/* int32 lanes */
static inline vi vi_load(const int32_t *p) { return _mm256_loadu_si256((const __m256i *)p); }
static inline vi vi_load_n(const int32_t *p, int64_t n)
{
    return _mm256_maskload_epi32((const int *)p, vec_avx2_first(n));
}
static inline vi vi_set1(int32_t x) { return _mm256_set1_epi32(x); }
static inline vm vi_eq(vi a, vi b) { return _mm256_castsi256_ps(_mm256_cmpeq_epi32(a, b)); }

static inline vi vi_add(vi a, vi b) { return _mm256_add_epi32(a, b); }
static inline vi vi_xor(vi a, vi b) { return _mm256_xor_si256(a, b); }
static inline vi vi_srli(vi a, int n) { return _mm256_srli_epi32(a, n); }
static inline vi vi_iota(void) { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
/* a > b, signed 32-bit lanes */
static inline vm vi_gt(vi a, vi b) { return _mm256_castsi256_ps(_mm256_cmpgt_epi32(a, b)); }
/* lane-wise 32x32 -> 64-bit unsigned products: low halves returned, high in *hi */
static inline vi vi_mul_u32(vi a, vi b, vi *hi)
{
    __m256i even = _mm256_mul_epu32(a, b);
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(b, 32));
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
    return _mm256_mullo_epi32(a, b);
}

/* The 4 x VW words w[k][l] in element order: o[j] lane i = w[i % 4][2 j + i / 4]
 * (word k of block l is element 4 l + k; blocks 2j, 2j + 1 in o[j]): 32- and
 * 64-bit unpacks make each 128-bit lane one block, then the lanes are paired. */
static inline void vi_interleave4(const vi w[4], vi o[4])
{
    __m256i a = _mm256_unpacklo_epi32(w[0], w[1]), b = _mm256_unpackhi_epi32(w[0], w[1]);
    __m256i c = _mm256_unpacklo_epi32(w[2], w[3]), d = _mm256_unpackhi_epi32(w[2], w[3]);
    /* t[k]: block k in the low 128-bit lane, block k + 4 in the high one */
    __m256i t0 = _mm256_unpacklo_epi64(a, c), t1 = _mm256_unpackhi_epi64(a, c);
    __m256i t2 = _mm256_unpacklo_epi64(b, d), t3 = _mm256_unpackhi_epi64(b, d);
    o[0] = _mm256_permute2x128_si256(t0, t1, 0x20);
    o[1] = _mm256_permute2x128_si256(t2, t3, 0x20);
    o[2] = _mm256_permute2x128_si256(t0, t1, 0x31);
    o[3] = _mm256_permute2x128_si256(t2, t3, 0x31);
}

/* dst[p*ldd + c] = src[c*lds + p] for c, p < VW (a VW x VW transpose) */
static inline void vf_transpose_block(const float *src, int64_t lds, float *dst, int64_t ldd)
{
    __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + lds);
    __m256 r2 = _mm256_loadu_ps(src + 2 * lds), r3 = _mm256_loadu_ps(src + 3 * lds);
    __m256 r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds);
    __m256 r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(dst, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(dst + ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(dst + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(dst + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(dst + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(dst + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(dst + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(dst + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
}

/* Always inlined: gcc finds a non-inlined wrapper of a prefetch free of side
 * effects ("const") and deletes its calls, so no prefetch would be emitted. */
static inline __attribute__((always_inline)) void vf_prefetch(const void *p)
{
    _mm_prefetch((const char *)p, _MM_HINT_T0);
}
static inline __attribute__((always_inline)) void vf_prefetch_l2(const void *p)
{
    _mm_prefetch((const char *)p, _MM_HINT_T1);
}

#endif

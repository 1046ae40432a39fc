/* The 16-wide AVX-512 (F, BW, DQ, VL) instance of the SIMD vector layer (see
 * plugins/avx2/simd/vec.h for the interface every instance provides). Lane
 * masks are __mmask16 opmask registers; masked tails use the fault-suppressing
 * masked loads and stores. Only files compiled with -mavx512f -mavx512bw
 * -mavx512dq -mavx512vl -DSEQNN_SIMD_AVX512 include it. */
#ifndef SEQNN_SIMD_VEC_AVX512_H
#define SEQNN_SIMD_VEC_AVX512_H

#include <immintrin.h>
#include <stdint.h>

#define VW 16                            /* floats per vector */
#define SIMD_ISA_NAME "avx512"

typedef __m512 vf;                       /* VW floats */
typedef __mmask16 vm;                    /* lane mask (one bit per lane), opaque to kernels */
typedef __m512i vi;                      /* VW int32 */

/* GEMM register blocking: an MR x (2*VW) micro-tile of 26 accumulators (of
 * the 32 zmm registers: 26 + 2 B vectors + 1 broadcast). 13 rather than 14
 * rows: the recurrent layers' M = 64 (the batch) is 5 panels of 13 with 1 row
 * idle instead of 5 of 14 with 6 idle (measured: M = 64 GEMMs 9-20% faster,
 * LSTM H=512 inference 6%, M = 1024 within the noise). */
#define SIMD_GEMM_MR 13
#define SIMD_GEMM_MC 104                 /* rows of A per L2-resident block (multiple of MR) */
#define SIMD_GEMM_KC 384                 /* depth per packed block */
#define SIMD_GEMM_NC 12288               /* KC*NC: packed floats of B per L3-resident column block */

static inline vf vf_zero(void) { return _mm512_setzero_ps(); }
static inline vf vf_set1(float x) { return _mm512_set1_ps(x); }
static inline vf vf_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void vf_store(float *p, vf v) { _mm512_storeu_ps(p, v); }
static inline vf vf_bcast(const float *p) { return _mm512_set1_ps(*p); }

/* lanes [0, n) set, 0 <= n <= VW */
static inline vm vm_first(int64_t n) { return (vm)(0xFFFFu >> (VW - (unsigned)n)); }
/* first n lanes (0 <= n <= VW) from p, the others 0; lanes past n are not touched */
static inline vf vf_load_n(const float *p, int64_t n) { return _mm512_maskz_loadu_ps(vm_first(n), p); }
static inline void vf_store_n(float *p, vf v, int64_t n) { _mm512_mask_storeu_ps(p, vm_first(n), v); }

static inline vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm512_div_ps(a, b); }
static inline vf vf_fmadd(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }   /* a*b + c */
static inline vf vf_fmsub(vf a, vf b, vf c) { return _mm512_fmsub_ps(a, b, c); }   /* a*b - c */
static inline vf vf_fnmadd(vf a, vf b, vf c) { return _mm512_fnmadd_ps(a, b, c); } /* c - a*b */
static inline vf vf_max(vf a, vf b) { return _mm512_max_ps(a, b); }  /* b when either is NaN */
static inline vf vf_min(vf a, vf b) { return _mm512_min_ps(a, b); }
static inline vf vf_sqrt(vf a) { return _mm512_sqrt_ps(a); }
static inline vf vf_abs(vf a)
{
    return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(0x7fffffff)));
}
static inline vf vf_neg(vf a)
{
    return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_set1_epi32((int)0x80000000u)));
}
/* sign bit of s on the magnitude of a */
static inline vf vf_copysign(vf a, vf s)
{
    /* ternary logic 0xCA = (x ? y : z): the sign bit from s, the others from a */
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_set1_epi32((int)0x80000000u),
                                                         _mm512_castps_si512(s), _mm512_castps_si512(a), 0xCA));
}
static inline vf vf_round(vf a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }

/* comparisons (ordered: false when either is NaN) and selection */
static inline vm vf_lt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
static inline vm vf_le(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
static inline vm vf_gt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
static inline vm vf_ge(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
static inline vm vf_eq(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
static inline vm vm_and(vm a, vm b) { return (vm)(a & b); }
static inline vm vm_or(vm a, vm b) { return (vm)(a | b); }
static inline vm vm_andnot(vm a, vm b) { return (vm)(~a & b); }  /* !a & b */
static inline int vm_any(vm a) { return a != 0; }
/* m ? t : f, lane-wise */
static inline vf vf_select(vm m, vf t, vf f) { return _mm512_mask_blend_ps(m, f, t); }
/* m ? a : 0 */
static inline vf vf_mask_zero(vm m, vf a) { return _mm512_maskz_mov_ps(m, a); }

/* horizontal reductions, in a fixed order: 512 -> 256 -> 128 bits, then
 * lanes 2-3 onto 0-1, then lane 1 onto 0 (max: b when either is NaN, as vf_max) */
static inline float vec_avx512_reduce(vf a, int max)
{
    __m256 lo = _mm512_castps512_ps256(a);
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1));
    __m256 h = max ? _mm256_max_ps(lo, hi) : _mm256_add_ps(lo, hi);
    __m128 s = _mm256_castps256_ps128(h), t = _mm256_extractf128_ps(h, 1);
    s = max ? _mm_max_ps(s, t) : _mm_add_ps(s, t);
    t = _mm_movehl_ps(s, s);
    s = max ? _mm_max_ps(s, t) : _mm_add_ps(s, t);
    t = _mm_movehdup_ps(s);
    s = max ? _mm_max_ss(s, t) : _mm_add_ss(s, t);
    return _mm_cvtss_f32(s);
}
static inline float vf_hsum(vf a) { return vec_avx512_reduce(a, 0); }
static inline float vf_hmax(vf a) { return vec_avx512_reduce(a, 1); }

/* 2^n for integral n in [-126, 127] */
static inline vf vf_pow2i(vf n)
{
    __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
}
/* x = m * 2^e with m in [0.5, 1), for positive normal x; returns m, e as float */
static inline vf vf_frexp(vf x, vf *e)
{
    __m512i bits = _mm512_castps_si512(x);
    __m512i ex = _mm512_sub_epi32(_mm512_srli_epi32(bits, 23), _mm512_set1_epi32(126));
    *e = _mm512_cvtepi32_ps(ex);
    bits = _mm512_or_si512(_mm512_and_si512(bits, _mm512_set1_epi32((int)0x807fffffu)),
                           _mm512_set1_epi32(0x3f000000));
    return _mm512_castsi512_ps(bits);
}

/* int32 lanes */
static inline vi vi_load(const int32_t *p) { return _mm512_loadu_si512((const void *)p); }
static inline vi vi_load_n(const int32_t *p, int64_t n) { return _mm512_maskz_loadu_epi32(vm_first(n), p); }
static inline vi vi_set1(int32_t x) { return _mm512_set1_epi32(x); }
static inline vm vi_eq(vi a, vi b) { return _mm512_cmpeq_epi32_mask(a, b); }

static inline vi vi_add(vi a, vi b) { return _mm512_add_epi32(a, b); }
static inline vi vi_xor(vi a, vi b) { return _mm512_xor_si512(a, b); }
/* shift count in a register: n need not be a compile-time constant */
static inline vi vi_srli(vi a, int n) { return _mm512_srl_epi32(a, _mm_cvtsi32_si128(n)); }
static inline vi vi_iota(void) { return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
/* a > b, signed 32-bit lanes */
static inline vm vi_gt(vi a, vi b) { return _mm512_cmpgt_epi32_mask(a, b); }
/* lane-wise 32x32 -> 64-bit unsigned products: low halves returned, high in *hi */
static inline vi vi_mul_u32(vi a, vi b, vi *hi)
{
    __m512i even = _mm512_mul_epu32(a, b);
    __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), _mm512_srli_epi64(b, 32));
    *hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
    return _mm512_mullo_epi32(a, b);
}

/* The 4 x VW words w[k][l] in element order: o[j] lane i = w[i % 4][4 j + i / 4]
 * (word k of block l is element 4 l + k; blocks 4j .. 4j + 3 in o[j]): 32- and
 * 64-bit unpacks make each 128-bit lane one block, then a 4 x 4 transpose of
 * the lanes. */
static inline void vi_interleave4(const vi w[4], vi o[4])
{
    __m512i a = _mm512_unpacklo_epi32(w[0], w[1]), b = _mm512_unpackhi_epi32(w[0], w[1]);
    __m512i c = _mm512_unpacklo_epi32(w[2], w[3]), d = _mm512_unpackhi_epi32(w[2], w[3]);
    /* t[k]: blocks k, k + 4, k + 8, k + 12 in its four 128-bit lanes */
    __m512i t0 = _mm512_unpacklo_epi64(a, c), t1 = _mm512_unpackhi_epi64(a, c);
    __m512i t2 = _mm512_unpacklo_epi64(b, d), t3 = _mm512_unpackhi_epi64(b, d);
    /* u0 = blocks 0 4 1 5, u1 = 2 6 3 7, u2 = 8 12 9 13, u3 = 10 14 11 15 */
    __m512i u0 = _mm512_shuffle_i32x4(t0, t1, 0x44), u1 = _mm512_shuffle_i32x4(t2, t3, 0x44);
    __m512i u2 = _mm512_shuffle_i32x4(t0, t1, 0xEE), u3 = _mm512_shuffle_i32x4(t2, t3, 0xEE);
    o[0] = _mm512_shuffle_i32x4(u0, u1, 0x88);
    o[1] = _mm512_shuffle_i32x4(u0, u1, 0xDD);
    o[2] = _mm512_shuffle_i32x4(u2, u3, 0x88);
    o[3] = _mm512_shuffle_i32x4(u2, u3, 0xDD);
}

/* dst[p*ldd + c] = src[c*lds + p] for c, p < VW (a VW x VW transpose): pairs
 * of rows interleaved, then 4 x 4 blocks within each 128-bit lane, then the
 * 4 x 4 transpose of the lanes themselves. */
static inline void vf_transpose_block(const float *src, int64_t lds, float *dst, int64_t ldd)
{
    __m512 r[16], t[16];
    for (int i = 0; i < 16; i++)
        r[i] = _mm512_loadu_ps(src + i * lds);
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    /* r[4i + j], lane l: element 4l + j of rows 4i .. 4i+3 */
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int j = 0; j < 4; j++) {
        __m512 u0 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x44), u1 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xEE);
        __m512 u2 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x44);
        __m512 u3 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xEE);
        _mm512_storeu_ps(dst + j * ldd, _mm512_shuffle_f32x4(u0, u2, 0x88));
        _mm512_storeu_ps(dst + (4 + j) * ldd, _mm512_shuffle_f32x4(u0, u2, 0xDD));
        _mm512_storeu_ps(dst + (8 + j) * ldd, _mm512_shuffle_f32x4(u1, u3, 0x88));
        _mm512_storeu_ps(dst + (12 + j) * ldd, _mm512_shuffle_f32x4(u1, u3, 0xDD));
    }
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

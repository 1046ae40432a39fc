/* The SIMD vector layer: the one interface the SIMD kernels are written
 * against, so that the same kernel sources build for AVX2 (8-wide, this
 * plugin) and AVX-512 (16-wide, plugins/avx512 with -DSEQNN_SIMD_AVX512 and
 * its own vec_avx512.h on the include path).
 *
 * An instance header defines:
 *   VW                       floats per vector
 *   vf, vm, vi               float vector, lane mask (opaque), int32 vector
 *   SIMD_GEMM_MR/MC/KC/NC    GEMM blocking (the micro-tile is MR x 2*VW)
 *   vf_zero set1 load store bcast load_n store_n (masked tails: lanes >= n
 *     are neither read nor written), add sub mul div fmadd fmsub fnmadd max min
 *     sqrt abs neg copysign round, lt le gt ge eq -> vm, vm_and/or/andnot/any,
 *     vm_first(n), vf_select(m, t, f), vf_mask_zero(m, a), vf_hsum, vf_hmax,
 *     vf_pow2i, vf_frexp, vi_load vi_load_n vi_set1 vi_eq, vf_prefetch,
 *     vf_prefetch_l2 (into L2 and outward, not L1),
 *     vi_add vi_xor vi_srli vi_iota vi_gt (signed) vi_mul_u32 (32x32->64),
 *     vi_interleave4 (4 vectors of words to element order, Philox blocks),
 *     vf_transpose_block (a VW x VW block, for packing transposed operands).
 * vec_math.h then builds exp, log, log1p, sigmoid, tanh on top of them.
 */
#ifndef SEQNN_SIMD_VEC_H
#define SEQNN_SIMD_VEC_H

#if defined(SEQNN_SIMD_AVX512)
#include "vec_avx512.h"
#else
#include "vec_avx2.h"
#endif

#include "vec_math.h"

/* Loop helpers: i runs over whole vectors, the tail has n - i < VW lanes. */
#define VEC_FULL(n) ((n) - (n) % VW)

#endif

/* Helpers shared by the SIMD kernel sources (compiled with ISA flags):
 * tensor element pointers, vector loads/stores of possibly short runs, and
 * the deterministic column sums used by bias_backward and the recurrent
 * backward. */
#ifndef SEQNN_SIMD_KERNELS_COMMON_H
#define SEQNN_SIMD_KERNELS_COMMON_H

#include <stdint.h>
#include "seqnn/plugin.h"
#include "simd_device.h"
#include "vec.h"

/* float / int32 element pointer of a tensor reference (host memory) */
#define SP(ref) ((float *)(ref).buf->handle + (ref).off)
#define SIP(ref) ((int32_t *)(ref).buf->handle + (ref).off)
#define SHAS(ref) ((ref).buf != NULL)
/* backward kernels: 1 when gradients accumulate, 0 when OVERWRITE */
#define SACC(args) (((args)->flags & SEQNN_FLAG_OVERWRITE) == 0)

/* n lanes (1..VW) at p: a full vector or a masked tail */
static inline vf vld(const float *p, int64_t n) { return n >= VW ? vf_load(p) : vf_load_n(p, n); }
static inline void vst(float *p, vf v, int64_t n)
{
    if (n >= VW)
        vf_store(p, v);
    else
        vf_store_n(p, v, n);
}
/* gradient store: dst = dst + v (accumulate) or v */
static inline void vst_grad(float *p, vf v, int64_t n, int accumulate)
{
    vst(p, accumulate ? vf_add(vld(p, n), v) : v, n);
}

static inline int64_t simd_min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t simd_ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* Row maximum of x [cols] (cols >= 1; lanes past the end never win) */
static inline float simd_row_max(const float *x, int64_t cols)
{
    vf vmax = vf_set1(-__builtin_inff());
    for (int64_t j = 0; j < cols; j += VW) {
        int64_t n = simd_min64(VW, cols - j);
        vf v = vld(x + j, n);
        if (n < VW)
            v = vf_select(vm_first(n), v, vf_set1(-__builtin_inff()));
        vmax = vf_max(vmax, v);
    }
    return vf_hmax(vmax);
}

/* sum_j exp(x_j - m) over x [cols]; when out != NULL the terms are stored
 * there (out may be x) */
static inline float simd_row_expsum(const float *x, int64_t cols, float m, float *out)
{
    const vf mv = vf_set1(m);
    vf vsum = vf_zero();
    for (int64_t j = 0; j < cols; j += VW) {
        int64_t n = simd_min64(VW, cols - j);
        vf e = vf_mask_zero(vm_first(n), vf_exp(vf_sub(vld(x + j, n), mv)));
        vsum = vf_add(vsum, e);
        if (out)
            vst(out + j, e, n);
    }
    return vf_hsum(vsum);
}

/* dst[c] (+)= sum_r src[r*ld + c] for c < cols: threaded over column chunks,
 * each column summed over the rows in order (independent of threads). */
void simd_colsum(int64_t rows, int64_t cols, const float *src, int64_t ld, float *dst, int accumulate);

/* Elements per task of the element-wise kernels, and the threshold below
 * which they run on the calling thread alone. */
#define SIMD_EW_CHUNK 16384

/* Queries per tile of attention's GEMM path (dot scores without a causal mask). */
#define SIMD_ATTN_ROWS 48

/* The stride-1 fused conv1d + max over time's micro-tile (kernels/conv.c):
 * SIMD_CONV_MR filters (broadcast from the packed weight) by SIMD_CONV_NV
 * vectors of consecutive positions (loaded from the rows of x): 20
 * accumulators of the 32 zmm registers, 10 of the 16 ymm ones. 5 filters
 * rather than 6 (24 and 12 accumulators): the AVX2 Kim-CNN bank 4% faster,
 * AVX-512 the same (measured), and 100 filters fill 20 tiles. */
#define SIMD_CONV_MR 5
#define SIMD_CONV_NV (VW == 16 ? 4 : 2)
#define SIMD_CONV_NP (SIMD_CONV_NV * VW)   /* positions per micro-tile */

/* Tasks per recurrent step: hidden units per task are a multiple of the GEMM's
 * panel width NR, SIMD_RNN_UNIT_PANELS panels up to
 * NR*SIMD_RNN_UNIT_PANELS*SIMD_RNN_STEP_TASKS units, more beyond. (One panel
 * per task made the per-row work of the cell math a loop of one or two
 * vectors: LSTM and GRU H=256 ran 7-11% slower.) */
#define SIMD_RNN_STEP_TASKS 16
#define SIMD_RNN_UNIT_PANELS 2

/* The sizes of a recurrent call every recurrent kernel plans with. */
static inline void simd_rnn_shape(const seqnn_rnn_args *a, int64_t *T, int64_t *B, int64_t *I, int64_t *H)
{
    *T = a->seq_len;
    *B = a->batch;
    *I = a->input_size;
    *H = a->hidden_size;
}

#endif

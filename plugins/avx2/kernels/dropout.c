/* Dropout of the SIMD plugins: the Philox4x32-10 keep mask of
 * include/seqnn/philox.h, one Philox block per four consecutive elements,
 * VW blocks (4 * VW elements) per vector call (32x32->64-bit products on the
 * int lanes of the vector layer), so every plugin draws the same mask;
 * forward y = keep ? x / (1 - p) : 0, backward the same on dy. */
#include <string.h>

#include "seqnn/philox.h"
#include "common.h"
#include "simd_kernels.h"
#include "threads.h"

/* Philox4x32-10 for block counters (c0 + lane, c1), key seed: the four words
 * in w[0..3] */
static inline void dropout_philox(uint64_t seed, vi c0, vi c1, vi w[4])
{
    vi c2 = vi_set1(0), c3 = vi_set1(0);
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    const vi m0 = vi_set1((int32_t)0xD2511F53u), m1 = vi_set1((int32_t)0xCD9E8D57u);
    for (int round = 0; round < 10; round++) {
        vi hi0, hi1;
        vi lo0 = vi_mul_u32(m0, c0, &hi0);
        vi lo1 = vi_mul_u32(m1, c2, &hi1);
        vi n0 = vi_xor(vi_xor(hi1, c1), vi_set1((int32_t)k0));
        vi n2 = vi_xor(vi_xor(hi0, c3), vi_set1((int32_t)k1));
        c1 = lo1;
        c3 = lo0;
        c0 = n0;
        c2 = n2;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    w[0] = c0; w[1] = c1; w[2] = c2; w[3] = c3;
}

/* r[k] = the mask word of stream position 4 * q + k (mod 2^64), k < 4 * VW:
 * blocks q .. q + VW - 1, modulo 2^62 */
static void dropout_words(uint64_t seed, uint64_t q, int32_t *r)
{
    const uint64_t last = UINT64_MAX >> 2;   /* the last block */
    if ((uint32_t)q <= 0xFFFFFFFFu - (uint32_t)VW && q <= last - (uint64_t)VW) {
        /* no carry into the high counter word, no wrap, within this vector */
        int32_t w[4][VW];
        vi v[4];
        dropout_philox(seed, vi_add(vi_set1((int32_t)(uint32_t)q), vi_iota()),
                       vi_set1((int32_t)(uint32_t)(q >> 32)), v);
        memcpy(w, v, sizeof w); /* sizeof(vi) == VW * 4 bytes */
        for (int l = 0; l < VW; l++)
            for (int k = 0; k < 4; k++)
                r[4 * l + k] = w[k][l];
    } else {
        for (int l = 0; l < VW; l++)
            seqnn_philox4x32_10(seed, (q + (uint64_t)l) & last, (uint32_t *)r + 4 * l);
    }
}

typedef struct dropout_job {
    const seqnn_dropout_args *a;
    const float *in;
    float *out;
    int accumulate;
} dropout_job;

static void dropout_task(void *ctx, int64_t task, int tid)
{
    const dropout_job *j = ctx;
    const seqnn_dropout_args *a = j->a;
    const uint32_t threshold = seqnn_dropout_threshold(a->p);
    const float keep_scale = (float)(1.0 - a->p);
    const vi thr_minus_1 = vi_set1((int32_t)threshold - 1);
    const int64_t i0 = task * SIMD_EW_CHUNK, i1 = simd_min64(a->n, i0 + SIMD_EW_CHUNK);
    int32_t r[4 * VW];
    (void)tid;
    for (int64_t i = i0; i < i1;) {
        /* the blocks from the one holding element i: words of positions
         * 4q .. 4q + 4VW - 1, element i at word skip (nonzero only first) */
        uint64_t c = a->offset + (uint64_t)i;
        int64_t skip = (int64_t)(c & 3), m = simd_min64(4 * VW - skip, i1 - i);
        dropout_words(a->seed, c >> 2, r);
        for (int64_t k = 0; k < m; k += VW) {
            int64_t n = simd_min64(VW, m - k);
            vf v = vf_div(vld(j->in + i + k, n), vf_set1(keep_scale));
            vi w = vi_load_n(r + skip + k, n);
            /* keep iff (w >> 8) >= threshold; both below 2^24, a signed compare */
            v = vf_mask_zero(vi_gt(vi_srli(w, 8), thr_minus_1), v);
            vst_grad(j->out + i + k, v, n, j->accumulate);
        }
        i += m;
    }
}

static void dropout_run(const seqnn_dropout_args *a, const float *in, float *out, int accumulate)
{
    dropout_job j = { a, in, out, accumulate };
    if (a->n > 0)
        simd_parallel_for(simd_ceil_div(a->n, SIMD_EW_CHUNK), dropout_task, &j);
}

/* y = keep ? x / (1 - p) : 0 (y may be x) */
seqnn_status simd_dropout_forward(const seqnn_call *call, const seqnn_dropout_args *a)
{
    (void)call;
    dropout_run(a, SP(a->x), SP(a->y), 0);
    return SEQNN_OK;
}

/* dx (+)= keep ? dy / (1 - p) : 0, the mask recomputed */
seqnn_status simd_dropout_backward(const seqnn_call *call, const seqnn_dropout_args *a)
{
    dropout_run(a, SP(a->dy), SP(a->dx), SACC(a));
    (void)call;
    return SEQNN_OK;
}

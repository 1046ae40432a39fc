/* Dropout of the SIMD plugins: the Philox4x32-10 keep mask of
 * include/seqnn/philox.h computed VW counters at a time (32x32->64-bit
 * products on the int lanes of the vector layer), so every plugin draws the
 * same mask; forward y = keep ? x / (1 - p) : 0, backward the same on dy. */
#include "seqnn/philox.h"
#include "common.h"
#include "simd_kernels.h"
#include "threads.h"

/* word 0 of Philox4x32-10 for counters (c0 + lane, c1), key seed */
static inline vi dropout_philox_word0(uint64_t seed, vi c0, vi c1)
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
    return c0;
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
    (void)tid;
    for (int64_t i = i0; i < i1; i += VW) {
        int64_t n = simd_min64(VW, i1 - i);
        uint64_t ctr = a->offset + (uint64_t)i;
        vf v = vf_div(vld(j->in + i, n), vf_set1(keep_scale));
        if ((uint32_t)ctr <= 0xFFFFFFFFu - (uint32_t)VW) {
            /* no carry into the high counter word within this vector */
            vi c0 = vi_add(vi_set1((int32_t)(uint32_t)ctr), vi_iota());
            vi r = dropout_philox_word0(a->seed, c0, vi_set1((int32_t)(uint32_t)(ctr >> 32)));
            /* keep iff (r >> 8) >= threshold; both below 2^24, a signed compare */
            v = vf_mask_zero(vi_gt(vi_srli(r, 8), thr_minus_1), v);
        } else {
            float tmp[VW];
            vf_store(tmp, v);
            for (int64_t l = 0; l < n; l++)
                if (!seqnn_dropout_keep(a->seed, ctr + (uint64_t)l, threshold))
                    tmp[l] = 0.0f;
            v = vf_load(tmp);
        }
        vst_grad(j->out + i, v, n, j->accumulate);
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

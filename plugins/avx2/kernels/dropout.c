/* Dropout of the SIMD plugins: the Philox4x32-10 keep mask of
 * include/seqnn/philox.h, one Philox block per four consecutive elements,
 * VW blocks (4 * VW elements) per vector call (32x32->64-bit products on the
 * int lanes of the vector layer, the words put in element order in registers
 * by vi_interleave4), so every plugin draws the same mask;
 * forward y = keep ? x / (1 - p) : 0, backward the same on dy. */
#include <string.h>

#include "seqnn/philox.h"
#include "common.h"
#include "simd_kernels.h"
#include "threads.h"

/* The Philox round keys of a seed, broadcast once per task: key[r][0..1]
 * for round r */
typedef struct dropout_keys {
    vi key[10][2];
} dropout_keys;

static void dropout_keys_init(uint64_t seed, dropout_keys *k)
{
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; round++) {
        k->key[round][0] = vi_set1((int32_t)k0);
        k->key[round][1] = vi_set1((int32_t)k1);
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
}

/* Blocks per Philox call: DROPOUT_GROUPS vectors of VW blocks, computed side
 * by side so that their chains of rounds overlap */
#define DROPOUT_GROUPS 4
#define DROPOUT_WORDS (4 * VW * DROPOUT_GROUPS)  /* mask words per call */

/* Philox4x32-10 for block counters (c0 + VW g + lane, c1, 0, 0) under the
 * keys k, g < DROPOUT_GROUPS: the four words of group g in w[4g .. 4g + 3].
 * The first round is written out: with c2 = c3 = 0 its second product and
 * the words it is xored with are 0. */
static inline void dropout_philox(const dropout_keys *k, vi c0, vi c1, vi w[4 * DROPOUT_GROUPS])
{
    const vi m0 = vi_set1((int32_t)0xD2511F53u), m1 = vi_set1((int32_t)0xCD9E8D57u);
    vi x0[DROPOUT_GROUPS], x1[DROPOUT_GROUPS], x2[DROPOUT_GROUPS], x3[DROPOUT_GROUPS];
    for (int g = 0; g < DROPOUT_GROUPS; g++) {
        vi hi0, ctr = vi_add(c0, vi_set1(VW * g));
        x3[g] = vi_mul_u32(m0, ctr, &hi0);
        x0[g] = vi_xor(c1, k->key[0][0]);
        x2[g] = vi_xor(hi0, k->key[0][1]);
        x1[g] = vi_set1(0);
    }
    for (int round = 1; round < 10; round++) {
        for (int g = 0; g < DROPOUT_GROUPS; g++) {
            vi hi0, hi1;
            vi lo0 = vi_mul_u32(m0, x0[g], &hi0);
            vi lo1 = vi_mul_u32(m1, x2[g], &hi1);
            x0[g] = vi_xor(vi_xor(hi1, x1[g]), k->key[round][0]);
            x2[g] = vi_xor(vi_xor(hi0, x3[g]), k->key[round][1]);
            x1[g] = lo1;
            x3[g] = lo0;
        }
    }
    for (int g = 0; g < DROPOUT_GROUPS; g++) {
        w[4 * g] = x0[g]; w[4 * g + 1] = x1[g]; w[4 * g + 2] = x2[g]; w[4 * g + 3] = x3[g];
    }
}

/* o[k / VW] lane k % VW = the mask word of stream position 4 * q + k
 * (mod 2^64), k < DROPOUT_WORDS: blocks q .. q + DROPOUT_WORDS / 4 - 1,
 * modulo 2^62 */
static void dropout_words(const dropout_keys *k, uint64_t seed, uint64_t q, vi o[4 * DROPOUT_GROUPS])
{
    const uint64_t last = UINT64_MAX >> 2;   /* the last block */
    const uint32_t blocks = DROPOUT_WORDS / 4;
    if ((uint32_t)q <= 0xFFFFFFFFu - blocks && q <= last - blocks) {
        /* no carry into the high counter word, no wrap, within these blocks */
        vi w[4 * DROPOUT_GROUPS];
        dropout_philox(k, vi_add(vi_set1((int32_t)(uint32_t)q), vi_iota()),
                       vi_set1((int32_t)(uint32_t)(q >> 32)), w);
        for (int g = 0; g < DROPOUT_GROUPS; g++)
            vi_interleave4(w + 4 * g, o + 4 * g);
    } else {
        int32_t r[DROPOUT_WORDS];
        for (uint32_t l = 0; l < blocks; l++)
            seqnn_philox4x32_10(seed, (q + (uint64_t)l) & last, (uint32_t *)r + 4 * l);
        for (int v = 0; v < 4 * DROPOUT_GROUPS; v++)
            o[v] = vi_load(r + v * VW);
    }
}

typedef struct dropout_job {
    const seqnn_dropout_args *a;
    const float *in;
    float *out;
    int accumulate;
} dropout_job;

/* out[0..n) (+)= keep ? in / keep_scale : 0, keep iff (w >> 8) >= threshold
 * for the words w of the n elements (1 <= n <= VW) */
static inline void dropout_apply(const dropout_job *j, int64_t i, vi w, int64_t n, vf keep_scale, vi thr_minus_1)
{
    vf v = vf_div(vld(j->in + i, n), keep_scale);
    /* both below 2^24: a signed compare */
    v = vf_mask_zero(vi_gt(vi_srli(w, 8), thr_minus_1), v);
    vst_grad(j->out + i, v, n, j->accumulate);
}

static void dropout_task(void *ctx, int64_t task, int tid)
{
    const dropout_job *j = ctx;
    const seqnn_dropout_args *a = j->a;
    const vf keep_scale = vf_set1((float)(1.0 - a->p));
    const vi thr_minus_1 = vi_set1((int32_t)seqnn_dropout_threshold(a->p) - 1);
    const int64_t i0 = task * SIMD_EW_CHUNK, i1 = simd_min64(a->n, i0 + SIMD_EW_CHUNK);
    dropout_keys keys;
    (void)tid;
    dropout_keys_init(a->seed, &keys);
    for (int64_t i = i0; i < i1;) {
        /* the blocks from the one holding element i: words of positions
         * 4q .. 4q + DROPOUT_WORDS - 1, element i at word skip (nonzero only
         * first) */
        uint64_t c = a->offset + (uint64_t)i;
        int64_t skip = (int64_t)(c & 3), m = simd_min64(DROPOUT_WORDS - skip, i1 - i);
        vi w[4 * DROPOUT_GROUPS];
        dropout_words(&keys, a->seed, c >> 2, w);
        if (m == DROPOUT_WORDS) {
            for (int k = 0; k < 4 * DROPOUT_GROUPS; k++)
                dropout_apply(j, i + k * VW, w[k], VW, keep_scale, thr_minus_1);
        } else {
            int32_t r[DROPOUT_WORDS];
            memcpy(r, w, sizeof r);      /* sizeof(vi) == VW * 4 bytes */
            for (int64_t k = 0; k < m; k += VW)
                dropout_apply(j, i + k, vi_load_n(r + skip + k, simd_min64(VW, m - k)),
                              simd_min64(VW, m - k), keep_scale, thr_minus_1);
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

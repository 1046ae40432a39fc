/* Embedding family of the SIMD plugins: the row gather (forward, threaded
 * over rows) and its scatter-add (backward, threaded over column chunks so
 * that rows sharing an index are added in index order whatever the thread
 * count). Every index is checked before anything is written. */
#include "common.h"
#include "simd_kernels.h"
#include "threads.h"

static seqnn_status embedding_check(const seqnn_call *call, const char *kernel, const seqnn_embedding_args *a)
{
    const int32_t *idx = SIP(a->idx);              /* int32 [n] */
    for (int64_t i = 0; i < a->n; i++)
        if (idx[i] < 0 || idx[i] >= a->vocab)
            return seqnn_plugin_fail(call, SEQNN_ERR_INVALID_ARG, "%s: idx[%lld] = %ld is outside [0, %lld)",
                                     kernel, (long long)i, (long)idx[i], (long long)a->vocab);
    return SEQNN_OK;
}

typedef struct embedding_job {
    const seqnn_embedding_args *a;
    int64_t per_task;                    /* rows (forward) or columns (backward) per task */
} embedding_job;

static void embedding_forward_task(void *ctx, int64_t task, int tid)
{
    const embedding_job *j = ctx;
    const seqnn_embedding_args *a = j->a;
    const int32_t *idx = SIP(a->idx);
    const float *w = SP(a->weight);                /* [vocab, dim] */
    float *y = SP(a->y);                           /* [n, dim], row stride ldy */
    int64_t i0 = task * j->per_task, i1 = simd_min64(a->n, i0 + j->per_task);
    (void)tid;
    for (int64_t i = i0; i < i1; i++) {
        const float *src = w + (int64_t)idx[i] * a->dim;
        float *dst = y + i * a->ldy;
        for (int64_t d = 0; d < a->dim; d += VW) {
            int64_t n = simd_min64(VW, a->dim - d);
            vst(dst + d, vld(src + d, n), n);
        }
    }
}

seqnn_status simd_embedding_forward(const seqnn_call *call, const seqnn_embedding_args *a)
{
    seqnn_status st = embedding_check(call, "embedding_forward", a);
    if (st != SEQNN_OK || a->n <= 0 || a->dim <= 0)
        return st;
    embedding_job j = { a, simd_ceil_div(SIMD_EW_CHUNK, a->dim) };
    simd_parallel_for(simd_ceil_div(a->n, j.per_task), embedding_forward_task, &j);
    return SEQNN_OK;
}

static void embedding_backward_task(void *ctx, int64_t task, int tid)
{
    const embedding_job *j = ctx;
    const seqnn_embedding_args *a = j->a;
    const int32_t *idx = SIP(a->idx);
    const float *dy = SP(a->dy);                   /* [n, dim], row stride ldy */
    float *dw = SP(a->dweight);                    /* [vocab, dim] */
    int64_t d0 = task * j->per_task, d1 = simd_min64(a->dim, d0 + j->per_task);
    (void)tid;
    for (int64_t i = 0; i < a->n; i++) {
        if (idx[i] == a->padding_idx)
            continue;
        float *dst = dw + (int64_t)idx[i] * a->dim;
        const float *src = dy + i * a->ldy;
        for (int64_t d = d0; d < d1; d += VW) {
            int64_t n = simd_min64(VW, d1 - d);
            vst(dst + d, vf_add(vld(dst + d, n), vld(src + d, n)), n);
        }
    }
}

seqnn_status simd_embedding_backward(const seqnn_call *call, const seqnn_embedding_args *a)
{
    seqnn_status st = embedding_check(call, "embedding_backward", a);
    if (st != SEQNN_OK || a->n <= 0 || a->dim <= 0)
        return st;
    /* columns per task: whole vectors, about 4 tasks per thread when dim allows */
    int64_t per = VW * simd_ceil_div(simd_ceil_div(a->dim, 4 * (int64_t)simd_threads_count()), VW);
    if (a->n * a->dim < SIMD_EW_CHUNK)
        per = a->dim;
    embedding_job j = { a, per };
    simd_parallel_for(simd_ceil_div(a->dim, per), embedding_backward_task, &j);
    return SEQNN_OK;
}

/* BLAS family of the SIMD plugins besides GEMM (kernels/gemm.c): bias_add,
 * bias_backward, and the deterministic column sums they and the recurrent
 * backward share. */
#include "common.h"
#include "simd_kernels.h"
#include "threads.h"

/* columns per column-sum task: 8 vectors of accumulators */
#define COLSUM_WIDTH (8 * VW)

typedef struct colsum_job {
    int64_t rows, cols, ld;
    const float *src;
    float *dst;
    int accumulate;
} colsum_job;

static void colsum_task(void *ctx, int64_t task, int tid)
{
    const colsum_job *j = ctx;
    const int64_t c0 = task * COLSUM_WIDTH, c1 = simd_min64(j->cols, c0 + COLSUM_WIDTH);
    (void)tid;
    for (int64_t c = c0; c < c1; c += VW) {
        int64_t n = simd_min64(VW, c1 - c);
        vf s0 = vf_zero();
        const float *p = j->src + c;
        for (int64_t r = 0; r < j->rows; r++, p += j->ld)
            s0 = vf_add(s0, vld(p, n));
        vst_grad(j->dst + c, s0, n, j->accumulate);
    }
}

void simd_colsum(int64_t rows, int64_t cols, const float *src, int64_t ld, float *dst, int accumulate)
{
    colsum_job j = { rows, cols, ld, src, dst, accumulate };
    if (cols <= 0)
        return;
    int64_t ntasks = simd_ceil_div(cols, COLSUM_WIDTH);
    if (rows * cols < SIMD_EW_CHUNK)
        for (int64_t t = 0; t < ntasks; t++)
            colsum_task(&j, t, 0);
    else
        simd_parallel_for(ntasks, colsum_task, &j);
}

typedef struct bias_job {
    const seqnn_bias_args *a;
    int64_t rows_per_task;
} bias_job;

static void bias_add_task(void *ctx, int64_t task, int tid)
{
    const bias_job *j = ctx;
    const seqnn_bias_args *a = j->a;
    const float *b = SP(a->b);                     /* [cols] */
    float *y = SP(a->y);                           /* [rows, cols], row stride ldy */
    int64_t r0 = task * j->rows_per_task, r1 = simd_min64(a->rows, r0 + j->rows_per_task);
    (void)tid;
    for (int64_t r = r0; r < r1; r++) {
        float *yr = y + r * a->ldy;
        for (int64_t c = 0; c < a->cols; c += VW) {
            int64_t n = simd_min64(VW, a->cols - c);
            vst(yr + c, vf_add(vld(yr + c, n), vld(b + c, n)), n);
        }
    }
}

/* y[r, c] += b[c] */
seqnn_status simd_bias_add(const seqnn_call *call, const seqnn_bias_args *a)
{
    (void)call;
    if (a->rows <= 0 || a->cols <= 0)
        return SEQNN_OK;
    bias_job j = { a, simd_ceil_div(SIMD_EW_CHUNK, a->cols) };
    simd_parallel_for(simd_ceil_div(a->rows, j.rows_per_task), bias_add_task, &j);
    return SEQNN_OK;
}

/* db[c] (+)= sum_r dy[r, c] */
seqnn_status simd_bias_backward(const seqnn_call *call, const seqnn_bias_args *a)
{
    (void)call;
    if (a->cols <= 0)
        return SEQNN_OK;
    simd_colsum(a->rows, a->cols, SP(a->dy), a->ldy, SP(a->db), SACC(a));
    return SEQNN_OK;
}

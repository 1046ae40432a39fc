/* Template kernels, BLAS family: batched GEMM, bias add and its backward;
 * plus the small helpers every kernel file shares (zeroing, dot, sigmoid).
 * Contracts: seqnn/kernels.h (seqnn_gemm_args, seqnn_bias_args).
 *
 * Sums are accumulated in double and rounded once: the simplest way for a
 * plain loop to stay well inside the conformance error budget.
 * VENDOR: tpl_sgemm is the one GEMM of the plugin: the gemm kernel and the
 * recurrent, convolution and attention kernels all multiply matrices through
 * it, so a device library (cuBLAS, CLBlast, oneDNN, OpenBLAS's cblas_sgemm,
 * ...) put here speeds up every one of them. */
#include <math.h>
#include "../template.h"

void tpl_zero(float *p, int64_t n, int64_t stride)
{
    for (int64_t i = 0; i < n; i++)
        p[i * stride] = 0.0f;
}

double tpl_sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

double tpl_dot(const float *x, int64_t incx, const float *y, int64_t incy, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += (double)x[i * incx] * y[i * incy];
    return s;
}

void tpl_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, double alpha, const float *A,
               int64_t lda, const float *B, int64_t ldb, double beta, float *C, int64_t ldc)
{
    /* op(A)[i, p]: A[i*lda + p], or A[p*lda + i] when transposed; same for B */
    const int64_t a_row = trans_a ? 1 : lda, a_col = trans_a ? lda : 1;
    const int64_t b_row = trans_b ? 1 : ldb, b_col = trans_b ? ldb : 1;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            /* A and B are not touched when k == 0 */
            double sum = k > 0 ? tpl_dot(A + i * a_row, a_col, B + j * b_col, b_row, k) : 0;
            float *cij = C + i * ldc + j;
            *cij = (float)(beta == 0 ? alpha * sum : alpha * sum + beta * *cij);
        }
}

/* C[b] = alpha * op(A[b]) * op(B[b]) + beta * C[b]; beta == 0: C is not read */
seqnn_status tpl_gemm(const seqnn_call *call, const seqnn_gemm_args *a)
{
    (void)call;
    for (int64_t b = 0; b < a->batch; b++)
        tpl_sgemm(a->trans_a, a->trans_b, a->m, a->n, a->k, a->alpha, TPL_F(a->a) + b * a->stride_a, a->lda,
                  TPL_F(a->b) + b * a->stride_b, a->ldb, a->beta, TPL_F(a->c) + b * a->stride_c, a->ldc);
    return SEQNN_OK;
}

/* y[r, c] += b[c] */
seqnn_status tpl_bias_add(const seqnn_call *call, const seqnn_bias_args *a)
{
    (void)call;
    float *y = TPL_F(a->y);              /* [rows, cols], row stride ldy */
    const float *bias = TPL_F(a->b);     /* [cols] */
    for (int64_t r = 0; r < a->rows; r++)
        for (int64_t c = 0; c < a->cols; c++)
            y[r * a->ldy + c] += bias[c];
    return SEQNN_OK;
}

/* db[c] (+)= sum_r dy[r, c] */
seqnn_status tpl_bias_backward(const seqnn_call *call, const seqnn_bias_args *a)
{
    (void)call;
    const float *dy = TPL_F(a->dy);      /* [rows, cols], row stride ldy */
    float *db = TPL_F(a->db);            /* [cols] */
    for (int64_t c = 0; c < a->cols; c++) {
        double sum = 0;
        for (int64_t r = 0; r < a->rows; r++)
            sum += dy[r * a->ldy + c];
        tpl_store(&db[c], sum, TPL_ACC(a));
    }
    return SEQNN_OK;
}

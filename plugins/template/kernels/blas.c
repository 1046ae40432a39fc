/* Template kernels, BLAS family: batched GEMM, bias add and its backward;
 * plus the small helpers every kernel file shares (zeroing, dot, sigmoid).
 * Contracts: seqnn/kernels.h (seqnn_gemm_args, seqnn_bias_args).
 *
 * Sums are accumulated in double and rounded once: the simplest way for a
 * plain loop to stay well inside the conformance error budget.
 * VENDOR: gemm is where a device library (cuBLAS, CLBlast, oneDNN, ...) goes. */
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

/* C[b] = alpha * op(A[b]) * op(B[b]) + beta * C[b]; beta == 0: C is not read */
seqnn_status tpl_gemm(const seqnn_call *call, const seqnn_gemm_args *a)
{
    (void)call;
    /* op(A)[i, p]: A[i*lda + p], or A[p*lda + i] when transposed; same for B */
    const int64_t a_row = a->trans_a ? 1 : a->lda, a_col = a->trans_a ? a->lda : 1;
    const int64_t b_row = a->trans_b ? 1 : a->ldb, b_col = a->trans_b ? a->ldb : 1;
    for (int64_t b = 0; b < a->batch; b++) {
        float *c = TPL_F(a->c) + b * a->stride_c;                       /* C [m, n] */
        for (int64_t i = 0; i < a->m; i++) {
            for (int64_t j = 0; j < a->n; j++) {
                double sum = 0;
                if (a->k > 0) {   /* A and B are not touched when k == 0 */
                    const float *arow = TPL_F(a->a) + b * a->stride_a + i * a_row;   /* op(A) [m, k] */
                    const float *bcol = TPL_F(a->b) + b * a->stride_b + j * b_col;   /* op(B) [k, n] */
                    sum = tpl_dot(arow, a_col, bcol, b_row, a->k);
                }
                float *cij = c + i * a->ldc + j;
                *cij = (float)(a->beta == 0 ? a->alpha * sum : a->alpha * sum + a->beta * *cij);
            }
        }
    }
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

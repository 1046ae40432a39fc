/* Argument checks of the BLAS family (gemm, bias_add, bias_backward), run by
 * the core before a plugin sees the call: dimensions, flags, leading
 * dimensions, batch strides, and the extent of every tensor each kernel
 * touches (include/seqnn/kernels.h, docs/kernels/blas.md). */
#include <float.h>
#include "check.h"

/* Extent of `batch` matrices [rows, cols] with row stride ld, matrix b at
 * b*stride (the stride does not matter when batch == 1). */
static int64_t blas_batched_extent(int64_t batch, int64_t rows, int64_t cols, int64_t ld,
                                   int64_t stride)
{
    const int64_t dims[3] = {batch, rows, cols};
    const int64_t strides[3] = {batch > 1 ? stride : 0, ld, 1};
    return seqnn_extent(3, dims, strides);
}

/* One operand of gemm, stored [rows, cols] with leading dimension ld:
 * ld >= cols, batch stride >= 0, and `extent` elements present. */
static seqnn_status blas_check_operand(const seqnn_checker *c, const char *name,
                                       const char *ld_name, const char *stride_name,
                                       seqnn_tref t, int64_t rows, int64_t cols, int64_t ld,
                                       int64_t batch, int64_t stride, int touched,
                                       int64_t *extent)
{
    SEQNN_CHECK(seqnn_check_min(c, ld_name, ld, cols));
    if (batch > 1)
        SEQNN_CHECK(seqnn_check_min(c, stride_name, stride, 0));
    *extent = touched ? blas_batched_extent(batch, rows, cols, ld, stride) : 0;
    return seqnn_check_tensor(c, name, t, SEQNN_F32, *extent, 1);
}

seqnn_status seqnn_check_gemm(const seqnn_checker *c, const seqnn_gemm_args *a)
{
    int touched, reads_ab;
    int64_t ext_a, ext_b, ext_c;
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, 0));
    if (a->trans_a != 0 && a->trans_a != 1)
        return seqnn_check_fail(c, "trans_a must be 0 or 1, not %d", a->trans_a);
    if (a->trans_b != 0 && a->trans_b != 1)
        return seqnn_check_fail(c, "trans_b must be 0 or 1, not %d", a->trans_b);
    SEQNN_CHECK(seqnn_check_min(c, "m", a->m, 0));
    SEQNN_CHECK(seqnn_check_min(c, "n", a->n, 0));
    SEQNN_CHECK(seqnn_check_min(c, "k", a->k, 0));
    SEQNN_CHECK(seqnn_check_min(c, "batch", a->batch, 1));
    SEQNN_CHECK(seqnn_check_range(c, "alpha", a->alpha, -DBL_MAX, DBL_MAX));
    SEQNN_CHECK(seqnn_check_range(c, "beta", a->beta, -DBL_MAX, DBL_MAX));

    /* m or n == 0: nothing is touched; k == 0: C = beta*C, A and B unread */
    touched = a->m > 0 && a->n > 0;
    reads_ab = touched && a->k > 0;
    SEQNN_CHECK(blas_check_operand(c, "a", "lda", "stride_a", a->a,
                                   a->trans_a ? a->k : a->m, a->trans_a ? a->m : a->k,
                                   a->lda, a->batch, a->stride_a, reads_ab, &ext_a));
    SEQNN_CHECK(blas_check_operand(c, "b", "ldb", "stride_b", a->b,
                                   a->trans_b ? a->n : a->k, a->trans_b ? a->k : a->n,
                                   a->ldb, a->batch, a->stride_b, reads_ab, &ext_b));
    /* the C matrices of a batch must not overlap one another */
    if (a->batch > 1 && touched)
        SEQNN_CHECK(seqnn_check_min(c, "stride_c", a->stride_c,
                                    seqnn_extent_2d(a->m, a->n, a->ldc)));
    SEQNN_CHECK(blas_check_operand(c, "c", "ldc", "stride_c", a->c, a->m, a->n, a->ldc,
                                   a->batch, a->stride_c, touched, &ext_c));
    SEQNN_CHECK(seqnn_check_disjoint(c, "c", a->c, ext_c, "a", a->a, ext_a));
    return seqnn_check_disjoint(c, "c", a->c, ext_c, "b", a->b, ext_b);
}

/* rows, cols >= 0, ldy >= cols, b [cols] (both kernels' shared part) */
static seqnn_status blas_check_bias_shape(const seqnn_checker *c, const seqnn_bias_args *a)
{
    SEQNN_CHECK(seqnn_check_min(c, "rows", a->rows, 0));
    SEQNN_CHECK(seqnn_check_min(c, "cols", a->cols, 0));
    return seqnn_check_min(c, "ldy", a->ldy, a->cols);
}

seqnn_status seqnn_check_bias_add(const seqnn_checker *c, const seqnn_bias_args *a)
{
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, 0));
    SEQNN_CHECK(blas_check_bias_shape(c, a));
    SEQNN_CHECK(seqnn_check_tensor(c, "y", a->y, SEQNN_F32,
                                   seqnn_extent_rows(a->rows, a->cols, a->ldy), 1));
    return seqnn_check_tensor(c, "b", a->b, SEQNN_F32, a->cols, 1);
}

seqnn_status seqnn_check_bias_backward(const seqnn_checker *c, const seqnn_bias_args *a)
{
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, SEQNN_FLAG_OVERWRITE));
    SEQNN_CHECK(blas_check_bias_shape(c, a));
    SEQNN_CHECK(seqnn_check_tensor(c, "dy", a->dy, SEQNN_F32,
                                   seqnn_extent_rows(a->rows, a->cols, a->ldy), 1));
    return seqnn_check_tensor(c, "db", a->db, SEQNN_F32, a->cols, 1);
}

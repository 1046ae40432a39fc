/* Argument checks of the element-wise family (activations, add / mul / scale,
 * copy2d, softmax, dropout), run by the core before a plugin sees the call: sizes,
 * enums, flags, hyper-parameters and the extent of every tensor each kernel
 * touches (include/seqnn/kernels.h, docs/kernels/elementwise.md). */
#include <float.h>
#include "check.h"

/* A float tensor of n elements, required. */
static seqnn_status elementwise_check_vec(const seqnn_checker *c, const char *name,
                                          seqnn_tref t, int64_t n)
{
    return seqnn_check_tensor(c, name, t, SEQNN_F32, n, 1);
}

/* kind, n, alpha (leaky relu), x and y: shared by act_forward and act_backward */
static seqnn_status elementwise_check_act(const seqnn_checker *c, const seqnn_act_args *a)
{
    if ((int)a->kind < 0 || a->kind >= SEQNN_ACT_COUNT)
        return seqnn_check_fail(c, "kind %d is not a seqnn_act", (int)a->kind);
    SEQNN_CHECK(seqnn_check_min(c, "n", a->n, 0));
    if (a->kind == SEQNN_ACT_LEAKY_RELU)
        SEQNN_CHECK(seqnn_check_range(c, "alpha", a->alpha, -DBL_MAX, DBL_MAX));
    SEQNN_CHECK(elementwise_check_vec(c, "x", a->x, a->n));
    return elementwise_check_vec(c, "y", a->y, a->n);
}

seqnn_status seqnn_check_act_forward(const seqnn_checker *c, const seqnn_act_args *a)
{
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, 0));
    return elementwise_check_act(c, a);
}

seqnn_status seqnn_check_act_backward(const seqnn_checker *c, const seqnn_act_args *a)
{
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, SEQNN_FLAG_OVERWRITE));
    SEQNN_CHECK(elementwise_check_act(c, a));
    SEQNN_CHECK(elementwise_check_vec(c, "dy", a->dy, a->n));
    SEQNN_CHECK(elementwise_check_vec(c, "dx", a->dx, a->n));
    if (a->dx.buf == a->dy.buf && a->dx.off == a->dy.off && !(a->flags & SEQNN_FLAG_OVERWRITE))
        return seqnn_check_fail(c, "dx may be dy only with SEQNN_FLAG_OVERWRITE");
    return SEQNN_OK;
}

/* add, mul, scale: n, alpha, beta (if used), x, y (if used), z */
static seqnn_status elementwise_check_ew(const seqnn_checker *c, const seqnn_ew_args *a,
                                         int uses_y_and_beta)
{
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, 0));
    SEQNN_CHECK(seqnn_check_min(c, "n", a->n, 0));
    SEQNN_CHECK(seqnn_check_range(c, "alpha", a->alpha, -DBL_MAX, DBL_MAX));
    SEQNN_CHECK(elementwise_check_vec(c, "x", a->x, a->n));
    if (uses_y_and_beta) {
        SEQNN_CHECK(seqnn_check_range(c, "beta", a->beta, -DBL_MAX, DBL_MAX));
        SEQNN_CHECK(elementwise_check_vec(c, "y", a->y, a->n));
    }
    return elementwise_check_vec(c, "z", a->z, a->n);
}

seqnn_status seqnn_check_add(const seqnn_checker *c, const seqnn_ew_args *a)
{
    return elementwise_check_ew(c, a, 1);
}

seqnn_status seqnn_check_mul(const seqnn_checker *c, const seqnn_ew_args *a)
{
    return elementwise_check_ew(c, a, 1);
}

seqnn_status seqnn_check_scale(const seqnn_checker *c, const seqnn_ew_args *a)
{
    return elementwise_check_ew(c, a, 0);
}

/* log, rows, cols and the [rows, cols] extent */
static seqnn_status elementwise_check_softmax(const seqnn_checker *c,
                                             const seqnn_softmax_args *a, int64_t *count)
{
    if (a->log != 0 && a->log != 1)
        return seqnn_check_fail(c, "log must be 0 or 1, not %d", a->log);
    SEQNN_CHECK(seqnn_check_min(c, "rows", a->rows, 0));
    SEQNN_CHECK(seqnn_check_min(c, "cols", a->cols, 1));
    *count = seqnn_mul_sat(a->rows, a->cols);
    return SEQNN_OK;
}

seqnn_status seqnn_check_softmax_forward(const seqnn_checker *c, const seqnn_softmax_args *a)
{
    int64_t count = 0;
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, 0));
    SEQNN_CHECK(elementwise_check_softmax(c, a, &count));
    SEQNN_CHECK(elementwise_check_vec(c, "x", a->x, count));
    return elementwise_check_vec(c, "y", a->y, count);
}

seqnn_status seqnn_check_softmax_backward(const seqnn_checker *c, const seqnn_softmax_args *a)
{
    int64_t count = 0;
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, SEQNN_FLAG_OVERWRITE));
    SEQNN_CHECK(elementwise_check_softmax(c, a, &count));
    SEQNN_CHECK(elementwise_check_vec(c, "y", a->y, count));
    SEQNN_CHECK(elementwise_check_vec(c, "dy", a->dy, count));
    return elementwise_check_vec(c, "dx", a->dx, count);
}

/* n and 0 <= p < 1 */
static seqnn_status elementwise_check_dropout(const seqnn_checker *c,
                                              const seqnn_dropout_args *a)
{
    SEQNN_CHECK(seqnn_check_min(c, "n", a->n, 0));
    SEQNN_CHECK(seqnn_check_range(c, "p", a->p, 0.0, 1.0));
    if (a->p >= 1.0)
        return seqnn_check_fail(c, "p must be < 1 (got %g)", a->p);
    return SEQNN_OK;
}

seqnn_status seqnn_check_dropout_forward(const seqnn_checker *c, const seqnn_dropout_args *a)
{
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, 0));
    SEQNN_CHECK(elementwise_check_dropout(c, a));
    SEQNN_CHECK(elementwise_check_vec(c, "x", a->x, a->n));
    return elementwise_check_vec(c, "y", a->y, a->n);
}

seqnn_status seqnn_check_dropout_backward(const seqnn_checker *c, const seqnn_dropout_args *a)
{
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, SEQNN_FLAG_OVERWRITE));
    SEQNN_CHECK(elementwise_check_dropout(c, a));
    SEQNN_CHECK(elementwise_check_vec(c, "dy", a->dy, a->n));
    return elementwise_check_vec(c, "dx", a->dx, a->n);
}

seqnn_status seqnn_check_copy2d(const seqnn_checker *c, const seqnn_copy2d_args *a)
{
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, 0));
    SEQNN_CHECK(seqnn_check_min(c, "rows", a->rows, 0));
    SEQNN_CHECK(seqnn_check_min(c, "cols", a->cols, 0));
    SEQNN_CHECK(seqnn_check_min(c, "ldx", a->ldx, a->cols));
    SEQNN_CHECK(seqnn_check_min(c, "ldy", a->ldy, a->cols));
    int64_t ex = seqnn_extent_rows(a->rows, a->cols, a->ldx), ey = seqnn_extent_rows(a->rows, a->cols, a->ldy);
    SEQNN_CHECK(seqnn_check_tensor(c, "x", a->x, SEQNN_F32, ex, 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "y", a->y, SEQNN_F32, ey, 1));
    return seqnn_check_disjoint(c, "y", a->y, ey, "x", a->x, ex);
}

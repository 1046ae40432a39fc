/* Argument checks of the loss family (xent, xent_ext, mse and bce, forward and
 * backward), run by the core before a plugin sees the call: dimensions, the
 * reduction, flags, dloss, the extent and dtype of every tensor each kernel
 * touches, and that outputs do not overlap inputs (include/seqnn/kernels.h,
 * docs/kernels/loss.md). Target values of xent are data: the kernels check
 * them. */
#include <float.h>
#include "check.h"

/* reduction is MEAN or SUM */
static seqnn_status loss_check_reduction(const seqnn_checker *c, seqnn_reduction reduction)
{
    if (reduction != SEQNN_REDUCE_MEAN && reduction != SEQNN_REDUCE_SUM)
        return seqnn_check_fail(c, "reduction = %d, must be SEQNN_REDUCE_MEAN (0) or "
                                "SEQNN_REDUCE_SUM (1)", (int)reduction);
    return SEQNN_OK;
}

/* xent, both directions: rows >= 0, cols >= 1, the reduction, logits
 * [rows, cols] and int32 target [rows]; *extent = rows * cols. */
static seqnn_status loss_check_xent_inputs(const seqnn_checker *c, const seqnn_xent_args *a,
                                           int64_t *extent)
{
    SEQNN_CHECK(seqnn_check_min(c, "rows", a->rows, 0));
    SEQNN_CHECK(seqnn_check_min(c, "cols", a->cols, 1));
    SEQNN_CHECK(loss_check_reduction(c, a->reduction));
    *extent = seqnn_mul_sat(a->rows, a->cols);
    SEQNN_CHECK(seqnn_check_tensor(c, "logits", a->logits, SEQNN_F32, *extent, 1));
    return seqnn_check_tensor(c, "target", a->target, SEQNN_I32, a->rows, 1);
}

seqnn_status seqnn_check_xent_forward(const seqnn_checker *c, const seqnn_xent_args *a)
{
    int64_t extent;
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, 0));
    SEQNN_CHECK(loss_check_xent_inputs(c, a, &extent));
    SEQNN_CHECK(seqnn_check_tensor(c, "loss", a->loss, SEQNN_F32, 1, 1));
    SEQNN_CHECK(seqnn_check_disjoint(c, "loss", a->loss, 1, "logits", a->logits, extent));
    return seqnn_check_disjoint(c, "loss", a->loss, 1, "target", a->target, a->rows);
}

seqnn_status seqnn_check_xent_backward(const seqnn_checker *c, const seqnn_xent_args *a)
{
    int64_t extent;
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, SEQNN_FLAG_OVERWRITE));
    SEQNN_CHECK(loss_check_xent_inputs(c, a, &extent));
    SEQNN_CHECK(seqnn_check_range(c, "dloss", a->dloss, -DBL_MAX, DBL_MAX));
    SEQNN_CHECK(seqnn_check_tensor(c, "dlogits", a->dlogits, SEQNN_F32, extent, 1));
    SEQNN_CHECK(seqnn_check_disjoint(c, "dlogits", a->dlogits, extent, "logits", a->logits,
                                    extent));
    return seqnn_check_disjoint(c, "dlogits", a->dlogits, extent, "target", a->target, a->rows);
}

/* mse and bce, both directions: n >= 0, the reduction, x and target [n]. */
static seqnn_status loss_check_pointwise_inputs(const seqnn_checker *c, const seqnn_loss_args *a)
{
    SEQNN_CHECK(seqnn_check_min(c, "n", a->n, 0));
    SEQNN_CHECK(loss_check_reduction(c, a->reduction));
    SEQNN_CHECK(seqnn_check_tensor(c, "x", a->x, SEQNN_F32, a->n, 1));
    return seqnn_check_tensor(c, "target", a->target, SEQNN_F32, a->n, 1);
}

/* forward: flags 0, loss [1] apart from x and target */
static seqnn_status loss_check_pointwise_forward(const seqnn_checker *c, const seqnn_loss_args *a)
{
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, 0));
    SEQNN_CHECK(loss_check_pointwise_inputs(c, a));
    SEQNN_CHECK(seqnn_check_tensor(c, "loss", a->loss, SEQNN_F32, 1, 1));
    SEQNN_CHECK(seqnn_check_disjoint(c, "loss", a->loss, 1, "x", a->x, a->n));
    return seqnn_check_disjoint(c, "loss", a->loss, 1, "target", a->target, a->n);
}

/* backward: flags OVERWRITE, finite dloss, dx [n] apart from x and target */
static seqnn_status loss_check_pointwise_backward(const seqnn_checker *c, const seqnn_loss_args *a)
{
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, SEQNN_FLAG_OVERWRITE));
    SEQNN_CHECK(loss_check_pointwise_inputs(c, a));
    SEQNN_CHECK(seqnn_check_range(c, "dloss", a->dloss, -DBL_MAX, DBL_MAX));
    SEQNN_CHECK(seqnn_check_tensor(c, "dx", a->dx, SEQNN_F32, a->n, 1));
    SEQNN_CHECK(seqnn_check_disjoint(c, "dx", a->dx, a->n, "x", a->x, a->n));
    return seqnn_check_disjoint(c, "dx", a->dx, a->n, "target", a->target, a->n);
}

seqnn_status seqnn_check_mse_forward(const seqnn_checker *c, const seqnn_loss_args *a)
{
    return loss_check_pointwise_forward(c, a);
}

seqnn_status seqnn_check_mse_backward(const seqnn_checker *c, const seqnn_loss_args *a)
{
    return loss_check_pointwise_backward(c, a);
}

seqnn_status seqnn_check_bce_forward(const seqnn_checker *c, const seqnn_loss_args *a)
{
    return loss_check_pointwise_forward(c, a);
}

seqnn_status seqnn_check_bce_backward(const seqnn_checker *c, const seqnn_loss_args *a)
{
    return loss_check_pointwise_backward(c, a);
}

/* xent_ext, both directions: xent's rules, the reduction may be NONE, a
 * smoothing in [0, 1] and an optional weight [cols]; *extent = rows * cols. */
static seqnn_status loss_check_xent_ext_inputs(const seqnn_checker *c, const seqnn_xent_ext_args *a,
                                               int64_t *extent)
{
    SEQNN_CHECK(seqnn_check_min(c, "rows", a->rows, 0));
    SEQNN_CHECK(seqnn_check_min(c, "cols", a->cols, 1));
    if (a->reduction != SEQNN_REDUCE_NONE)
        SEQNN_CHECK(loss_check_reduction(c, a->reduction));
    SEQNN_CHECK(seqnn_check_range(c, "smoothing", a->smoothing, 0, 1));
    *extent = seqnn_mul_sat(a->rows, a->cols);
    SEQNN_CHECK(seqnn_check_tensor(c, "logits", a->logits, SEQNN_F32, *extent, 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "target", a->target, SEQNN_I32, a->rows, 1));
    return seqnn_check_tensor(c, "weight", a->weight, SEQNN_F32, a->cols, 0);
}

/* out [n] (required or not) shares no element with logits, target, weight */
static seqnn_status loss_check_xent_ext_output(const seqnn_checker *c, const seqnn_xent_ext_args *a,
                                              const char *name, seqnn_tref out, int64_t n,
                                              int required, int64_t extent)
{
    SEQNN_CHECK(seqnn_check_tensor(c, name, out, SEQNN_F32, n, required));
    SEQNN_CHECK(seqnn_check_disjoint(c, name, out, n, "logits", a->logits, extent));
    SEQNN_CHECK(seqnn_check_disjoint(c, name, out, n, "target", a->target, a->rows));
    return seqnn_check_disjoint(c, name, out, n, "weight", a->weight, a->cols);
}

seqnn_status seqnn_check_xent_ext_forward(const seqnn_checker *c, const seqnn_xent_ext_args *a)
{
    int64_t extent;
    const int none = a->reduction == SEQNN_REDUCE_NONE;
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, 0));
    SEQNN_CHECK(loss_check_xent_ext_inputs(c, a, &extent));
    if (!none)
        SEQNN_CHECK(loss_check_xent_ext_output(c, a, "loss", a->loss, 1, 1, extent));
    SEQNN_CHECK(loss_check_xent_ext_output(c, a, "losses", a->losses, a->rows, none, extent));
    return none ? SEQNN_OK : seqnn_check_disjoint(c, "loss", a->loss, 1, "losses", a->losses, a->rows);
}

seqnn_status seqnn_check_xent_ext_backward(const seqnn_checker *c, const seqnn_xent_ext_args *a)
{
    int64_t extent;
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, SEQNN_FLAG_OVERWRITE));
    SEQNN_CHECK(loss_check_xent_ext_inputs(c, a, &extent));
    SEQNN_CHECK(seqnn_check_range(c, "dloss", a->dloss, -DBL_MAX, DBL_MAX));
    if (a->reduction == SEQNN_REDUCE_NONE)
        SEQNN_CHECK(seqnn_check_tensor(c, "dlosses", a->dlosses, SEQNN_F32, a->rows, 1));
    SEQNN_CHECK(loss_check_xent_ext_output(c, a, "dlogits", a->dlogits, extent, 1, extent));
    return seqnn_check_disjoint(c, "dlogits", a->dlogits, extent, "dlosses", a->dlosses,
                                a->reduction == SEQNN_REDUCE_NONE ? a->rows : 0);
}

/* Template kernels, loss family: softmax cross-entropy with ignore_index,
 * mean squared error, binary cross-entropy with logits; forward (one reduced
 * value, overwritten) and backward (the input's gradient).
 * Cross-entropy with class weights, label smoothing and per-row losses
 * (xent_ext) too.
 * Contracts: seqnn/kernels.h (seqnn_xent_args, seqnn_xent_ext_args, seqnn_loss_args). */
#include <math.h>
#include "../template.h"

/* log(sum_j exp(x_j)) of one row, max-subtracted so that nothing overflows */
static double tpl_logsumexp(const float *x, int64_t cols)
{
    double max = x[0], sum = 0;
    for (int64_t j = 1; j < cols; j++)
        max = x[j] > max ? x[j] : max;
    for (int64_t j = 0; j < cols; j++)
        sum += exp(x[j] - max);
    return max + log(sum);
}

/* Checks every target before anything is written; *count = rows not ignored. */
static seqnn_status tpl_xent_targets(const seqnn_call *call, const seqnn_xent_args *a, int64_t *count)
{
    const int32_t *t = TPL_I(a->target); /* int32 [rows] */
    *count = 0;
    for (int64_t r = 0; r < a->rows; r++) {
        if (t[r] == a->ignore_index)
            continue;
        if (t[r] < 0 || t[r] >= a->cols)
            return seqnn_plugin_fail(call, SEQNN_ERR_INVALID_ARG, "xent: target[%lld] = %ld is outside [0, %lld)",
                                     (long long)r, (long)t[r], (long long)a->cols);
        (*count)++;
    }
    return SEQNN_OK;
}

/* loss = sum over counted rows of logsumexp(row) - row[target], / count for MEAN */
seqnn_status tpl_xent_forward(const seqnn_call *call, const seqnn_xent_args *a)
{
    int64_t count;
    seqnn_status st = tpl_xent_targets(call, a, &count);
    if (st != SEQNN_OK)
        return st;
    const int32_t *t = TPL_I(a->target);
    double total = 0;
    for (int64_t r = 0; r < a->rows; r++) {
        const float *x = TPL_F(a->logits) + r * a->cols;   /* row r of [rows, cols] */
        if (t[r] != a->ignore_index)
            total += tpl_logsumexp(x, a->cols) - x[t[r]];
    }
    if (a->reduction == SEQNN_REDUCE_MEAN)
        total = count ? total / (double)count : 0;
    TPL_F(a->loss)[0] = (float)total;
    return SEQNN_OK;
}

/* dlogits[r, j] (+)= dloss / N * (softmax_j - [j == target]); ignored rows get 0 */
seqnn_status tpl_xent_backward(const seqnn_call *call, const seqnn_xent_args *a)
{
    int64_t count;
    seqnn_status st = tpl_xent_targets(call, a, &count);
    if (st != SEQNN_OK)
        return st;
    const int32_t *t = TPL_I(a->target);
    double scale = a->reduction == SEQNN_REDUCE_SUM ? a->dloss : count ? a->dloss / (double)count : 0;
    for (int64_t r = 0; r < a->rows; r++) {
        const float *x = TPL_F(a->logits) + r * a->cols;
        float *dx = TPL_F(a->dlogits) + r * a->cols;
        int ignored = t[r] == a->ignore_index;
        double lse = ignored ? 0 : tpl_logsumexp(x, a->cols);
        for (int64_t j = 0; j < a->cols; j++) {
            double g = ignored ? 0 : scale * (exp(x[j] - lse) - (j == t[r]));
            tpl_store(&dx[j], g, TPL_ACC(a));
        }
    }
    return SEQNN_OK;
}

/* class weight j (1 without a weight tensor) */
static double tpl_class_weight(const seqnn_xent_ext_args *a, int64_t j)
{
    return TPL_HAS(a->weight) ? TPL_F(a->weight)[j] : 1.0;
}

/* Targets checked as xent's; *divisor = the MEAN's sum of the counted rows'
 * target weights, 1 for SUM and NONE, 0 when no row is counted. */
static seqnn_status tpl_xent_ext_divisor(const seqnn_call *call, const seqnn_xent_ext_args *a, double *divisor)
{
    const seqnn_xent_args base = {.rows = a->rows, .cols = a->cols, .target = a->target,
                                  .ignore_index = a->ignore_index};
    const int32_t *t = TPL_I(a->target);
    int64_t count;
    double w = 0;
    seqnn_status st = tpl_xent_targets(call, &base, &count);
    if (st != SEQNN_OK)
        return st;
    for (int64_t r = 0; r < a->rows; r++)
        if (t[r] != a->ignore_index)
            w += tpl_class_weight(a, t[r]);
    *divisor = count == 0 ? 0 : a->reduction == SEQNN_REDUCE_MEAN ? w : 1;
    return SEQNN_OK;
}

/* l_r = (1 - eps) w_t (lse - x_t) + eps / C sum_j w_j (lse - x_j); ignored rows 0 */
seqnn_status tpl_xent_ext_forward(const seqnn_call *call, const seqnn_xent_ext_args *a)
{
    double divisor, total = 0, eps = a->smoothing;
    seqnn_status st = tpl_xent_ext_divisor(call, a, &divisor);
    if (st != SEQNN_OK)
        return st;
    const int32_t *t = TPL_I(a->target);
    float *losses = TPL_FOPT(a->losses);   /* [rows] or absent */
    for (int64_t r = 0; r < a->rows; r++) {
        const float *x = TPL_F(a->logits) + r * a->cols;   /* row r of [rows, cols] */
        double l = 0;
        if (t[r] != a->ignore_index) {
            double lse = tpl_logsumexp(x, a->cols), smooth = 0;
            l = (1 - eps) * tpl_class_weight(a, t[r]) * (lse - x[t[r]]);
            for (int64_t j = 0; eps != 0 && j < a->cols; j++)
                smooth += tpl_class_weight(a, j) * (lse - x[j]);
            l += eps / (double)a->cols * smooth;
        }
        if (losses)
            losses[r] = (float)l;
        total += l;
    }
    if (a->reduction != SEQNN_REDUCE_NONE)
        TPL_F(a->loss)[0] = (float)(divisor == 0 ? 0 : total / divisor);
    return SEQNN_OK;
}

/* dlogits[r, j] (+)= g_r ((1 - eps) w_t (p_j - [j == t]) + eps / C (S p_j - w_j)) */
seqnn_status tpl_xent_ext_backward(const seqnn_call *call, const seqnn_xent_ext_args *a)
{
    double divisor, wsum = 0, eps = a->smoothing;
    seqnn_status st = tpl_xent_ext_divisor(call, a, &divisor);
    if (st != SEQNN_OK)
        return st;
    const int32_t *t = TPL_I(a->target);
    for (int64_t j = 0; j < a->cols; j++)
        wsum += tpl_class_weight(a, j);
    for (int64_t r = 0; r < a->rows; r++) {
        const float *x = TPL_F(a->logits) + r * a->cols;
        float *dx = TPL_F(a->dlogits) + r * a->cols;
        int skip = t[r] == a->ignore_index || divisor == 0;
        double g = skip ? 0
                 : a->reduction == SEQNN_REDUCE_NONE ? a->dloss * TPL_F(a->dlosses)[r] : a->dloss / divisor;
        double lse = skip ? 0 : tpl_logsumexp(x, a->cols);
        double wt = skip ? 0 : (1 - eps) * tpl_class_weight(a, t[r]);
        for (int64_t j = 0; j < a->cols; j++) {
            double p = skip ? 0 : exp(x[j] - lse);
            double d = skip ? 0 : wt * (p - (j == t[r])) + eps / (double)a->cols * (wsum * p - tpl_class_weight(a, j));
            tpl_store(&dx[j], g * d, TPL_ACC(a));
        }
    }
    return SEQNN_OK;
}

/* the per-element losses and d(loss)/dx */
static double tpl_mse(double x, double t) { return (x - t) * (x - t); }
static double tpl_mse_grad(double x, double t) { return 2 * (x - t); }
static double tpl_bce(double x, double t) { return (x > 0 ? x : 0) - x * t + log1p(exp(-fabs(x))); }
static double tpl_bce_grad(double x, double t) { return tpl_sigmoid(x) - t; }

static seqnn_status tpl_loss_forward(const seqnn_loss_args *a, double (*term)(double, double))
{
    const float *x = TPL_F(a->x), *t = TPL_F(a->target);   /* [n] each */
    double total = 0;
    for (int64_t i = 0; i < a->n; i++)
        total += term(x[i], t[i]);
    if (a->reduction == SEQNN_REDUCE_MEAN)
        total = a->n ? total / (double)a->n : 0;
    TPL_F(a->loss)[0] = (float)total;
    return SEQNN_OK;
}

static seqnn_status tpl_loss_backward(const seqnn_loss_args *a, double (*grad)(double, double))
{
    const float *x = TPL_F(a->x), *t = TPL_F(a->target);   /* [n] each */
    float *dx = TPL_F(a->dx);                               /* [n] */
    double scale = a->reduction == SEQNN_REDUCE_MEAN && a->n ? a->dloss / (double)a->n : a->dloss;
    for (int64_t i = 0; i < a->n; i++)
        tpl_store(&dx[i], scale * grad(x[i], t[i]), TPL_ACC(a));
    return SEQNN_OK;
}

seqnn_status tpl_mse_forward(const seqnn_call *call, const seqnn_loss_args *a)
{
    (void)call;
    return tpl_loss_forward(a, tpl_mse);
}

seqnn_status tpl_mse_backward(const seqnn_call *call, const seqnn_loss_args *a)
{
    (void)call;
    return tpl_loss_backward(a, tpl_mse_grad);
}

seqnn_status tpl_bce_forward(const seqnn_call *call, const seqnn_loss_args *a)
{
    (void)call;
    return tpl_loss_forward(a, tpl_bce);
}

seqnn_status tpl_bce_backward(const seqnn_call *call, const seqnn_loss_args *a)
{
    (void)call;
    return tpl_loss_backward(a, tpl_bce_grad);
}

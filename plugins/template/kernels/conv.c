/* Template kernels, convolution family: 1-D cross-correlation (PyTorch
 * Conv1d, groups 1, stride / padding / dilation) forward and backward, and
 * max-over-time pooling with argmax (over every position or the first
 * lengths[b] of row b), forward and backward.
 * Contracts: seqnn/kernels.h (seqnn_conv1d_args, seqnn_maxpool_args,
 * seqnn_maxpool_lengths_args).
 * Every tensor is strided: element (b, c, l) of x is x[b*x_sb + c*x_sc + l*x_sl]. */
#include <math.h>
#include "../template.h"

/* Sets a strided [nb, nc, nl] box to 0 (an overwritten gradient). */
static void tpl_zero_box(float *p, int64_t nb, int64_t nc, int64_t nl, int64_t sb, int64_t sc, int64_t sl)
{
    for (int64_t b = 0; b < nb; b++)
        for (int64_t c = 0; c < nc; c++)
            tpl_zero(p + b * sb + c * sc, nl, sl);
}

/* y[b, o, l] = bias[o] + sum_{c,k} w[o, c, k] * x[b, c, l*stride - padding + k*dilation] */
seqnn_status tpl_conv1d_forward(const seqnn_call *call, const seqnn_conv1d_args *a)
{
    (void)call;
    const int64_t C = a->in_channels, K = a->kernel_size, L = seqnn_conv1d_out_len(a);
    const float *x = TPL_F(a->x);        /* [B, C_in, L_in] (strides x_s*) */
    const float *w = TPL_F(a->weight);   /* [C_out, C_in, K] */
    const float *bias = TPL_FOPT(a->bias);   /* [C_out], optional */
    float *y = TPL_F(a->y);              /* [B, C_out, L_out] (strides y_s*) */
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t o = 0; o < a->out_channels; o++)
            for (int64_t l = 0; l < L; l++) {
                double sum = bias ? bias[o] : 0;
                for (int64_t k = 0; k < K; k++) {
                    int64_t p = l * a->stride - a->padding + k * a->dilation;
                    if (p >= 0 && p < a->in_len)         /* outside: zero padding */
                        for (int64_t c = 0; c < C; c++)
                            sum += (double)w[(o * C + c) * K + k] * x[b * a->x_sb + c * a->x_sc + p * a->x_sl];
                }
                y[b * a->y_sb + o * a->y_sc + l * a->y_sl] = (float)sum;
            }
    return SEQNN_OK;
}

/* For each output element g = dy[b, o, l] and each tap reading x[b, c, p]:
 * dbias[o] += g, dweight[o, c, k] += g * x[b, c, p], dx[b, c, p] += g * w[o, c, k]. */
seqnn_status tpl_conv1d_backward(const seqnn_call *call, const seqnn_conv1d_args *a)
{
    (void)call;
    const int64_t C = a->in_channels, K = a->kernel_size, L = seqnn_conv1d_out_len(a);
    const float *dy = TPL_F(a->dy);      /* like y */
    const float *x = TPL_FOPT(a->x);     /* needed for dweight */
    const float *w = TPL_FOPT(a->weight);/* needed for dx */
    float *dx = TPL_FOPT(a->dx), *dw = TPL_FOPT(a->dweight), *db = TPL_FOPT(a->dbias);   /* optional */
    if (!TPL_ACC(a)) {                   /* OVERWRITE: clear, then accumulate below */
        if (dx)
            tpl_zero_box(dx, a->batch, C, a->in_len, a->x_sb, a->x_sc, a->x_sl);
        if (dw)
            tpl_zero(dw, a->out_channels * C * K, 1);
        if (db)
            tpl_zero(db, a->out_channels, 1);
    }
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t o = 0; o < a->out_channels; o++)
            for (int64_t l = 0; l < L; l++) {
                const float g = dy[b * a->y_sb + o * a->y_sc + l * a->y_sl];
                if (db)
                    db[o] += g;
                for (int64_t k = 0; k < K; k++) {
                    int64_t p = l * a->stride - a->padding + k * a->dilation;
                    if (p < 0 || p >= a->in_len)
                        continue;
                    for (int64_t c = 0; c < C; c++) {
                        const int64_t xi = b * a->x_sb + c * a->x_sc + p * a->x_sl, wi = (o * C + c) * K + k;
                        if (dw)
                            dw[wi] += g * x[xi];
                        if (dx)
                            dx[xi] += g * w[wi];
                    }
                }
            }
    return SEQNN_OK;
}

/* y[b, c] = max_{l < len_b} x[b, c, l], argmax = the first l attaining it (a
 * NaN wins), len_b = lengths[b] or, with lengths NULL, a->len */
static void tpl_maxpool(const seqnn_maxpool_args *a, const int32_t *lengths)
{
    int32_t *argmax = TPL_I(a->argmax);   /* int32 [B*C] */
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t c = 0; c < a->channels; c++) {
            const float *x = TPL_F(a->x) + b * a->x_sb + c * a->x_sc;   /* x[b, c, :] */
            const int64_t len = lengths ? lengths[b] : a->len;
            int64_t best = 0;
            for (int64_t l = 1; l < len; l++)
                if (!isnan(x[best * a->x_sl]) && (x[l * a->x_sl] > x[best * a->x_sl] || isnan(x[l * a->x_sl])))
                    best = l;
            TPL_F(a->y)[b * a->y_sb + c * a->y_sc] = x[best * a->x_sl];
            argmax[b * a->channels + c] = (int32_t)best;
        }
}

seqnn_status tpl_maxpool_forward(const seqnn_call *call, const seqnn_maxpool_args *a)
{
    (void)call;
    tpl_maxpool(a, NULL);
    return SEQNN_OK;
}

seqnn_status tpl_maxpool_lengths_forward(const seqnn_call *call, const seqnn_maxpool_lengths_args *a)
{
    (void)call;
    tpl_maxpool(&a->pool, a->lengths);
    return SEQNN_OK;
}

/* dx[b, c, argmax[b*C + c]] (+)= dy[b, c]; OVERWRITE zeroes the rest of dx */
seqnn_status tpl_maxpool_backward(const seqnn_call *call, const seqnn_maxpool_args *a)
{
    const int32_t *argmax = TPL_I(a->argmax);        /* int32 [B*C] */
    float *dx = TPL_F(a->dx);                        /* x's strides */
    for (int64_t i = 0; i < a->batch * a->channels; i++)   /* check all before writing */
        if (argmax[i] < 0 || argmax[i] >= a->len)
            return seqnn_plugin_fail(call, SEQNN_ERR_INVALID_ARG, "maxpool_backward: argmax[%lld] = %ld is outside [0, %lld)",
                                     (long long)i, (long)argmax[i], (long long)a->len);
    if (!TPL_ACC(a))
        tpl_zero_box(dx, a->batch, a->channels, a->len, a->x_sb, a->x_sc, a->x_sl);
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t c = 0; c < a->channels; c++)
            dx[b * a->x_sb + c * a->x_sc + argmax[b * a->channels + c] * a->x_sl] +=
                TPL_F(a->dy)[b * a->y_sb + c * a->y_sc];
    return SEQNN_OK;
}

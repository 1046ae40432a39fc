/* Template kernels, convolution family: 1-D cross-correlation (PyTorch
 * Conv1d, groups 1, stride / padding / dilation) forward and backward, and
 * max-over-time pooling with argmax (over every position or the first
 * lengths[b] of row b), forward and backward, and the three in one call
 * (conv1d, activation, max over time: conv1d_max_forward) with its backward
 * from the maxima (conv1d_max_backward).
 * Contracts: seqnn/kernels.h (seqnn_conv1d_args, seqnn_maxpool_args,
 * seqnn_maxpool_lengths_args, seqnn_conv1d_max_args).
 * Every tensor is strided: element (b, c, l) of x is x[b*x_sb + c*x_sc + l*x_sl].
 * The convolution's products go through the plugin's GEMM (tpl_sgemm) on the
 * input windows laid out as a matrix (im2col). */
#include <math.h>
#include <stdlib.h>
#include "../template.h"

/* Sets a strided [nb, nc, nl] box to 0 (an overwritten gradient). */
static void tpl_zero_box(float *p, int64_t nb, int64_t nc, int64_t nl, int64_t sb, int64_t sc, int64_t sl)
{
    for (int64_t b = 0; b < nb; b++)
        for (int64_t c = 0; c < nc; c++)
            tpl_zero(p + b * sb + c * sc, nl, sl);
}

/* The input windows as a matrix (im2col): cols [C_in*K, B*L_out], column
 * b*L_out + l holding x[b, c, l*stride - padding + k*dilation] in row c*K + k
 * (0 where that position is padding), so that the convolution is one GEMM
 * with the weights [C_out, C_in*K]. */
static void tpl_conv_cols(const seqnn_conv1d_args *a, const float *x, float *cols)
{
    const int64_t C = a->in_channels, K = a->kernel_size, L = seqnn_conv1d_out_len(a), BL = a->batch * L;
    for (int64_t c = 0; c < C; c++)
        for (int64_t k = 0; k < K; k++)
            for (int64_t b = 0; b < a->batch; b++)
                for (int64_t l = 0; l < L; l++) {
                    const int64_t p = l * a->stride - a->padding + k * a->dilation;
                    cols[(c * K + k) * BL + b * L + l] =
                        p >= 0 && p < a->in_len ? x[b * a->x_sb + c * a->x_sc + p * a->x_sl] : 0.0f;
                }
}

/* The convolution without its bias, out [C_out, B*L_out] = W [C_out, C_in*K]
 * x cols, through the plugin's GEMM; *work (cols, then out) is the caller's
 * to free, NULL when out of host memory. */
static float *tpl_conv_out(const seqnn_conv1d_args *a, float **work)
{
    const int64_t CK = a->in_channels * a->kernel_size, BL = a->batch * seqnn_conv1d_out_len(a);
    const int64_t O = a->out_channels;
    float *cols = malloc((size_t)(CK * BL + O * BL + 1) * sizeof *cols);
    *work = cols;
    if (!cols)
        return NULL;
    tpl_conv_cols(a, TPL_F(a->x), cols);
    tpl_sgemm(0, 0, O, BL, CK, 1, TPL_F(a->weight), CK, cols, BL, 0, cols + CK * BL, BL);
    return cols + CK * BL;
}

/* y[b, o, l] = bias[o] + sum_{c,k} w[o, c, k] * x[b, c, l*stride - padding + k*dilation] */
seqnn_status tpl_conv1d_forward(const seqnn_call *call, const seqnn_conv1d_args *a)
{
    const int64_t L = seqnn_conv1d_out_len(a), BL = a->batch * L;
    const float *bias = TPL_FOPT(a->bias);   /* [C_out], optional */
    float *y = TPL_F(a->y);              /* [B, C_out, L_out] (strides y_s*) */
    float *work, *out = tpl_conv_out(a, &work);
    if (!out)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "conv1d_forward: out of host memory");
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t o = 0; o < a->out_channels; o++)
            for (int64_t l = 0; l < L; l++)
                y[b * a->y_sb + o * a->y_sc + l * a->y_sl] = (float)((double)out[o * BL + b * L + l] + (bias ? bias[o] : 0));
    free(work);
    return SEQNN_OK;
}

/* y[b, o] = max over the first len_b windows of f(conv + bias), argmax the
 * first window attaining it (a NaN wins), pre[b, o] = conv + bias there: the
 * values conv1d_forward and act_forward give, compared as tpl_maxpool does.
 * VENDOR: a device keeps each row's running maximum and never stores the
 * [B, C_out, L_out] conv output; here it is the GEMM's scratch. */
seqnn_status tpl_conv1d_max_forward(const seqnn_call *call, const seqnn_conv1d_max_args *m)
{
    const seqnn_conv1d_args *a = &m->conv;
    const int64_t L = seqnn_conv1d_out_len(a), BL = a->batch * L;
    const float *bias = TPL_FOPT(a->bias);   /* [C_out], optional */
    float *pre = TPL_FOPT(m->pre);           /* [B, C_out] (y's strides), optional */
    float *work, *out = tpl_conv_out(a, &work);
    if (!out)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "conv1d_max_forward: out of host memory");
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t o = 0; o < a->out_channels; o++) {
            const int64_t len = m->lengths ? m->lengths[b] : L;
            float best = 0, best_pre = 0;
            int64_t arg = 0;
            for (int64_t l = 0; l < len && !(l > 0 && isnan(best)); l++) {
                float p = (float)((double)out[o * BL + b * L + l] + (bias ? bias[o] : 0));
                float z = m->act == SEQNN_CONV_MAX_NO_ACT ? p : (float)tpl_act((seqnn_act)m->act, m->alpha, p);
                if (l == 0 || z > best || isnan(z)) {
                    best = z;
                    best_pre = p;
                    arg = l;
                }
            }
            TPL_F(m->y)[b * m->y_sb + o * m->y_sc] = best;
            if (pre)
                pre[b * m->y_sb + o * m->y_sc] = best_pre;
            TPL_I(m->argmax)[b * a->out_channels + o] = (int32_t)arg;
        }
    free(work);
    return SEQNN_OK;
}

/* dY [C_out, B*L_out] gathered from dy; the bias gradient, in double */
static void tpl_conv_dy(const seqnn_conv1d_args *a, float *dys, float *db, int accumulate)
{
    const int64_t L = seqnn_conv1d_out_len(a), BL = a->batch * L;
    const float *dy = TPL_F(a->dy);      /* like y */
    for (int64_t o = 0; o < a->out_channels; o++) {
        double sum = 0;
        for (int64_t b = 0; b < a->batch; b++)
            for (int64_t l = 0; l < L; l++) {
                const float g = dy[b * a->y_sb + o * a->y_sc + l * a->y_sl];
                dys[o * BL + b * L + l] = g;
                sum += g;
            }
        if (db)
            tpl_store(&db[o], sum, accumulate);
    }
}

/* dcols [C_in*K, B*L_out] = W^T dY (GEMM), then each column element added
 * back to the input position it came from (col2im), summed in double. */
static void tpl_conv_dx(const seqnn_conv1d_args *a, float *dcols, const float *dys, double *sum, int accumulate)
{
    const int64_t C = a->in_channels, K = a->kernel_size, L = seqnn_conv1d_out_len(a), BL = a->batch * L;
    float *dx = TPL_F(a->dx);            /* x's strides */
    tpl_sgemm(1, 0, C * K, BL, a->out_channels, 1, TPL_F(a->weight), C * K, dys, BL, 0, dcols, BL);
    for (int64_t i = 0; i < a->batch * C * a->in_len; i++)
        sum[i] = 0;
    for (int64_t c = 0; c < C; c++)
        for (int64_t k = 0; k < K; k++)
            for (int64_t b = 0; b < a->batch; b++)
                for (int64_t l = 0; l < L; l++) {
                    const int64_t p = l * a->stride - a->padding + k * a->dilation;
                    if (p >= 0 && p < a->in_len)
                        sum[(b * C + c) * a->in_len + p] += dcols[(c * K + k) * BL + b * L + l];
                }
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t p = 0; p < a->in_len; p++)
                tpl_store(&dx[b * a->x_sb + c * a->x_sc + p * a->x_sl], sum[(b * C + c) * a->in_len + p], accumulate);
}

/* dbias[o] (+)= sum dy[b, o, :]; dweight (+)= dY cols^T and dx (+)= col2im(W^T dY),
 * both through the plugin's GEMM, each over all B*L_out output positions */
seqnn_status tpl_conv1d_backward(const seqnn_call *call, const seqnn_conv1d_args *a)
{
    const int64_t CK = a->in_channels * a->kernel_size, L = seqnn_conv1d_out_len(a), BL = a->batch * L;
    const int64_t O = a->out_channels, XN = a->batch * a->in_channels * a->in_len;
    const int acc = TPL_ACC(a);
    float *f = malloc((size_t)(CK * BL + O * BL + 1) * sizeof *f);
    double *sum = TPL_HAS(a->dx) ? malloc((size_t)(XN + 1) * sizeof *sum) : NULL;
    if (!f || (TPL_HAS(a->dx) && !sum)) {
        free(f);
        free(sum);
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "conv1d_backward: out of host memory");
    }
    float *cols = f, *dys = f + CK * BL;
    tpl_conv_dy(a, dys, TPL_FOPT(a->dbias), acc);
    if (TPL_HAS(a->dweight)) {           /* dW [C_out, C_in*K] (+)= dY [C_out, B*L] x cols^T */
        tpl_conv_cols(a, TPL_F(a->x), cols);
        tpl_sgemm(0, 1, O, CK, BL, 1, dys, BL, cols, BL, acc ? 1 : 0, TPL_F(a->dweight), CK);
    }
    if (TPL_HAS(a->dx))
        tpl_conv_dx(a, cols, dys, sum, acc);
    free(f);
    free(sum);
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

/* The gradients of conv1d_max_forward's conv when its output's gradient is
 * dy[b, o] at window argmax[b*C_out + o] and 0 elsewhere: each output
 * position's contribution added directly, the zeros skipped. dweight and
 * dbias summed in double per element; dx accumulated in place. */
seqnn_status tpl_conv1d_max_backward(const seqnn_call *call, const seqnn_conv1d_max_args *m)
{
    const seqnn_conv1d_args *a = &m->conv;
    const int64_t C = a->in_channels, K = a->kernel_size, O = a->out_channels, L = seqnn_conv1d_out_len(a);
    const int32_t *argmax = TPL_I(m->argmax);   /* int32 [B*C_out] */
    const float *dy = TPL_F(m->dy);             /* [B, C_out], y's strides */
    float *dx = TPL_FOPT(a->dx), *dw = TPL_FOPT(a->dweight), *db = TPL_FOPT(a->dbias);
    const int acc = TPL_ACC(m);
    for (int64_t i = 0; i < a->batch * O; i++)   /* check all before writing */
        if (argmax[i] < 0 || argmax[i] >= L)
            return seqnn_plugin_fail(call, SEQNN_ERR_INVALID_ARG, "conv1d_max_backward: argmax[%lld] = %ld is outside [0, %lld)",
                                     (long long)i, (long)argmax[i], (long long)L);
    for (int64_t o = 0; db && o < O; o++) {
        double s = 0;
        for (int64_t b = 0; b < a->batch; b++)
            s += dy[b * m->y_sb + o * m->y_sc];
        tpl_store(&db[o], s, acc);
    }
    for (int64_t o = 0; dw && o < O; o++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t k = 0; k < K; k++) {
                double s = 0;
                for (int64_t b = 0; b < a->batch; b++) {
                    const int64_t p = argmax[b * O + o] * a->stride - a->padding + k * a->dilation;
                    if (p >= 0 && p < a->in_len)
                        s += (double)dy[b * m->y_sb + o * m->y_sc] * TPL_F(a->x)[b * a->x_sb + c * a->x_sc + p * a->x_sl];
                }
                tpl_store(&dw[(o * C + c) * K + k], s, acc);
            }
    if (!dx)
        return SEQNN_OK;
    if (!acc)
        tpl_zero_box(dx, a->batch, C, a->in_len, a->x_sb, a->x_sc, a->x_sl);
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t o = 0; o < O; o++)
            for (int64_t c = 0; c < C; c++)
                for (int64_t k = 0; k < K; k++) {
                    const int64_t p = argmax[b * O + o] * a->stride - a->padding + k * a->dilation;
                    if (p >= 0 && p < a->in_len)
                        dx[b * a->x_sb + c * a->x_sc + p * a->x_sl] +=
                            dy[b * m->y_sb + o * m->y_sc] * TPL_F(a->weight)[(o * C + c) * K + k];
                }
    return SEQNN_OK;
}

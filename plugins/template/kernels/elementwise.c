/* Template kernels, element-wise family: activations, add / mul / scale, copy2d,
 * softmax and log-softmax, dropout (the Philox mask of seqnn/philox.h), and
 * the embedding gather / scatter-add.
 * Contracts: seqnn/kernels.h (seqnn_act_args, seqnn_ew_args,
 * seqnn_softmax_args, seqnn_dropout_args, seqnn_embedding_args).
 * Aliasing allowed by the contracts (y == x, z == x or y, dx == dy with
 * OVERWRITE) works because each element is read before it is written. */
#include <math.h>
#include <string.h>
#include "../template.h"
#include "seqnn/philox.h"

double tpl_act(seqnn_act kind, double alpha, double x)
{
    switch (kind) {
    case SEQNN_ACT_SIGMOID:    return tpl_sigmoid(x);
    case SEQNN_ACT_TANH:       return tanh(x);
    case SEQNN_ACT_HARDTANH:   return x < -1 ? -1 : x > 1 ? 1 : x;
    case SEQNN_ACT_RELU:       return x < 0 ? 0 : x;
    case SEQNN_ACT_LEAKY_RELU: return x > 0 ? x : alpha * x;
    case SEQNN_ACT_SWISH:      return x * tpl_sigmoid(x);
    default:                   return 0;   /* the core rejects other kinds */
    }
}

/* f'(x); sigmoid and tanh from the forward output y, as PyTorch */
static double tpl_act_grad(seqnn_act kind, double alpha, double x, double y)
{
    switch (kind) {
    case SEQNN_ACT_SIGMOID:    return y * (1 - y);
    case SEQNN_ACT_TANH:       return 1 - y * y;
    case SEQNN_ACT_HARDTANH:   return x > -1 && x < 1 ? 1 : 0;
    case SEQNN_ACT_RELU:       return x > 0 ? 1 : 0;
    case SEQNN_ACT_LEAKY_RELU: return x > 0 ? 1 : alpha;
    case SEQNN_ACT_SWISH:      return tpl_sigmoid(x) * (1 + x * (1 - tpl_sigmoid(x)));
    default:                   return 0;
    }
}

seqnn_status tpl_act_forward(const seqnn_call *call, const seqnn_act_args *a)
{
    (void)call;
    const float *x = TPL_F(a->x);        /* [n] */
    float *y = TPL_F(a->y);              /* [n], may be x */
    for (int64_t i = 0; i < a->n; i++)
        y[i] = (float)tpl_act(a->kind, a->alpha, x[i]);
    return SEQNN_OK;
}

seqnn_status tpl_act_backward(const seqnn_call *call, const seqnn_act_args *a)
{
    (void)call;
    const float *x = TPL_F(a->x), *y = TPL_F(a->y), *dy = TPL_F(a->dy);   /* [n] */
    float *dx = TPL_F(a->dx);                                              /* [n], may be dy */
    for (int64_t i = 0; i < a->n; i++)
        tpl_store(&dx[i], dy[i] * tpl_act_grad(a->kind, a->alpha, x[i], y[i]), TPL_ACC(a));
    return SEQNN_OK;
}

seqnn_status tpl_add(const seqnn_call *call, const seqnn_ew_args *a)
{
    (void)call;
    const float *x = TPL_F(a->x), *y = TPL_F(a->y);   /* [n] */
    float *z = TPL_F(a->z);                           /* [n] */
    for (int64_t i = 0; i < a->n; i++)
        z[i] = (float)(a->alpha * x[i] + a->beta * y[i]);
    return SEQNN_OK;
}

seqnn_status tpl_mul(const seqnn_call *call, const seqnn_ew_args *a)
{
    (void)call;
    const float *x = TPL_F(a->x), *y = TPL_F(a->y);   /* [n] */
    float *z = TPL_F(a->z);                           /* [n] */
    for (int64_t i = 0; i < a->n; i++) {
        double p = a->alpha * x[i] * y[i];
        z[i] = (float)(a->beta == 0 ? p : p + a->beta * z[i]);   /* beta 0: z not read */
    }
    return SEQNN_OK;
}

seqnn_status tpl_scale(const seqnn_call *call, const seqnn_ew_args *a)
{
    (void)call;
    const float *x = TPL_F(a->x);        /* [n] */
    float *z = TPL_F(a->z);              /* [n] */
    for (int64_t i = 0; i < a->n; i++)
        z[i] = (float)(a->alpha * x[i]);
    return SEQNN_OK;
}

/* y[r, :cols] = x[r, :cols], row by row, bit for bit */
seqnn_status tpl_copy2d(const seqnn_call *call, const seqnn_copy2d_args *a)
{
    (void)call;
    const float *x = TPL_F(a->x);        /* [rows, ldx] */
    float *y = TPL_F(a->y);              /* [rows, ldy] */
    for (int64_t r = 0; r < a->rows; r++)
        memcpy(y + r * a->ldy, x + r * a->ldx, (size_t)a->cols * sizeof *y);
    return SEQNN_OK;
}

/* each row of [rows, cols]: subtract the max, exponentiate, normalise */
seqnn_status tpl_softmax_forward(const seqnn_call *call, const seqnn_softmax_args *a)
{
    (void)call;
    for (int64_t r = 0; r < a->rows; r++) {
        const float *x = TPL_F(a->x) + r * a->cols;   /* row r */
        float *y = TPL_F(a->y) + r * a->cols;         /* row r, may be x */
        double max = x[0], sum = 0;
        for (int64_t j = 1; j < a->cols; j++)
            max = x[j] > max ? x[j] : max;
        for (int64_t j = 0; j < a->cols; j++)
            sum += exp(x[j] - max);
        for (int64_t j = 0; j < a->cols; j++)
            y[j] = (float)(a->log ? x[j] - max - log(sum) : exp(x[j] - max) / sum);
    }
    return SEQNN_OK;
}

seqnn_status tpl_softmax_backward(const seqnn_call *call, const seqnn_softmax_args *a)
{
    (void)call;
    for (int64_t r = 0; r < a->rows; r++) {
        const float *y = TPL_F(a->y) + r * a->cols, *dy = TPL_F(a->dy) + r * a->cols;
        float *dx = TPL_F(a->dx) + r * a->cols;
        double s = 0;   /* softmax: sum dy*y;  log-softmax: sum dy */
        for (int64_t j = 0; j < a->cols; j++)
            s += a->log ? dy[j] : (double)dy[j] * y[j];
        for (int64_t j = 0; j < a->cols; j++)
            tpl_store(&dx[j], a->log ? dy[j] - exp(y[j]) * s : y[j] * (dy[j] - s), TPL_ACC(a));
    }
    return SEQNN_OK;
}

/* out[i] (=/+=) keep(i) ? in[i] / (1 - p) : 0, the mask shared by every plugin */
static void tpl_dropout(const seqnn_dropout_args *a, const float *in, float *out, int accumulate)
{
    const uint32_t threshold = seqnn_dropout_threshold(a->p);
    for (int64_t i = 0; i < a->n; i++) {
        int keep = seqnn_dropout_keep(a->seed, a->offset + (uint64_t)i, threshold);
        tpl_store(&out[i], keep ? in[i] / (1.0 - a->p) : 0.0, accumulate);
    }
}

seqnn_status tpl_dropout_forward(const seqnn_call *call, const seqnn_dropout_args *a)
{
    (void)call;
    tpl_dropout(a, TPL_F(a->x), TPL_F(a->y), 0);          /* x, y [n] */
    return SEQNN_OK;
}

seqnn_status tpl_dropout_backward(const seqnn_call *call, const seqnn_dropout_args *a)
{
    (void)call;
    tpl_dropout(a, TPL_F(a->dy), TPL_F(a->dx), TPL_ACC(a));   /* dy, dx [n] */
    return SEQNN_OK;
}

/* An index outside [0, vocab) is an error, found before anything is written. */
static seqnn_status tpl_embedding_indices(const seqnn_call *call, const seqnn_embedding_args *a)
{
    const int32_t *idx = TPL_I(a->idx);  /* int32 [n] */
    for (int64_t i = 0; i < a->n; i++)
        if (idx[i] < 0 || idx[i] >= a->vocab)
            return seqnn_plugin_fail(call, SEQNN_ERR_INVALID_ARG, "embedding: idx[%lld] = %ld is outside [0, %lld)",
                                     (long long)i, (long)idx[i], (long long)a->vocab);
    return SEQNN_OK;
}

/* y[i, :] = weight[idx[i], :] */
seqnn_status tpl_embedding_forward(const seqnn_call *call, const seqnn_embedding_args *a)
{
    seqnn_status st = tpl_embedding_indices(call, a);
    const int32_t *idx = TPL_I(a->idx);  /* int32 [n] */
    const float *w = TPL_F(a->weight);   /* [vocab, dim] */
    float *y = TPL_F(a->y);              /* [n, dim], row stride ldy */
    for (int64_t i = 0; st == SEQNN_OK && i < a->n; i++)
        for (int64_t d = 0; d < a->dim; d++)
            y[i * a->ldy + d] = w[idx[i] * a->dim + d];
    return st;
}

/* dweight[idx[i], :] += dy[i, :], except the padding index (always accumulates) */
seqnn_status tpl_embedding_backward(const seqnn_call *call, const seqnn_embedding_args *a)
{
    seqnn_status st = tpl_embedding_indices(call, a);
    const int32_t *idx = TPL_I(a->idx);  /* int32 [n] */
    const float *dy = TPL_F(a->dy);      /* [n, dim], row stride ldy */
    float *dw = TPL_F(a->dweight);       /* [vocab, dim] */
    for (int64_t i = 0; st == SEQNN_OK && i < a->n; i++)
        if (idx[i] != a->padding_idx)
            for (int64_t d = 0; d < a->dim; d++)
                dw[idx[i] * a->dim + d] += dy[i * a->ldy + d];
    return st;
}

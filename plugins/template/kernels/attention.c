/* Template kernels, attention family: forward and backward of attention
 * with dot, scaled dot, bilinear and additive scores, several heads over
 * strided q/k/v/out, key-length masks and the bottom-right causal mask.
 * Contract: seqnn/kernels.h (seqnn_attention_args). The forward keeps one
 * query's scores in a scratch row; the backward recomputes scores from q, k
 * and the score parameters and takes the weights the forward wrote. */
#include <math.h>
#include <stdlib.h>
#include "../template.h"

/* key j is masked for query i of batch b */
static int tpl_att_masked(const seqnn_attention_args *a, int64_t b, int64_t i, int64_t j)
{
    return (a->key_lengths && j >= a->key_lengths[b]) || (a->causal && j > i + a->k_len - a->q_len);
}

/* w_q[u] . q + w_k[u] . k, the pre-activation of unit u of the additive score */
static double tpl_att_pre(const seqnn_attention_args *a, const float *q, const float *k, int64_t u)
{
    return tpl_dot(TPL_F(a->w_q) + u * a->q_dim, 1, q, 1, a->q_dim) +
           tpl_dot(TPL_F(a->w_k) + u * a->k_dim, 1, k, 1, a->k_dim);
}

/* factor of q.k for DOT and SCALED_DOT (scale 0: 1/sqrt(q_dim)) */
static double tpl_att_factor(const seqnn_attention_args *a)
{
    if (a->score != SEQNN_SCORE_SCALED_DOT)
        return 1;
    return a->scale != 0 ? a->scale : 1 / sqrt((double)a->q_dim);
}

/* score(q, k) of one query q [q_dim] and one key k [k_dim] */
static double tpl_att_score(const seqnn_attention_args *a, const float *q, const float *k)
{
    double s = 0;
    if (a->score == SEQNN_SCORE_BILINEAR)          /* q^T W k, W [q_dim, k_dim] */
        for (int64_t r = 0; r < a->q_dim; r++)
            s += q[r] * tpl_dot(TPL_F(a->w) + r * a->k_dim, 1, k, 1, a->k_dim);
    else if (a->score == SEQNN_SCORE_ADDITIVE)     /* w_v . tanh(W_q q + W_k k) */
        for (int64_t u = 0; u < a->attn_dim; u++)
            s += TPL_F(a->w_v)[u] * tanh(tpl_att_pre(a, q, k, u));
    else
        s = tpl_att_factor(a) * tpl_dot(q, 1, k, 1, a->q_dim);
    return s;
}

/* Given ds = dL/d score(q, k): dq += ds dscore/dq, dk += ds dscore/dk, and the
 * score parameters' gradients (each output may be NULL). */
static void tpl_att_score_backward(const seqnn_attention_args *a, double ds, const float *q, const float *k,
                                   float *dq, float *dk)
{
    if (a->score == SEQNN_SCORE_BILINEAR) {
        const float *w = TPL_F(a->w);              /* [q_dim, k_dim] */
        float *dw = TPL_FOPT(a->dw);
        for (int64_t r = 0; r < a->q_dim; r++)
            for (int64_t c = 0; c < a->k_dim; c++) {
                if (dq)
                    dq[r] += (float)(ds * w[r * a->k_dim + c] * k[c]);
                if (dk)
                    dk[c] += (float)(ds * q[r] * w[r * a->k_dim + c]);
                if (dw)
                    dw[r * a->k_dim + c] += (float)(ds * q[r] * k[c]);
            }
    } else if (a->score == SEQNN_SCORE_ADDITIVE) {
        float *dwq = TPL_FOPT(a->dw_q), *dwk = TPL_FOPT(a->dw_k), *dwv = TPL_FOPT(a->dw_v);
        for (int64_t u = 0; u < a->attn_dim; u++) {
            const double t = tanh(tpl_att_pre(a, q, k, u));
            const double g = ds * TPL_F(a->w_v)[u] * (1 - t * t);   /* dL/dpre_u */
            if (dwv)
                dwv[u] += (float)(ds * t);
            for (int64_t r = 0; r < a->q_dim; r++) {
                if (dq)
                    dq[r] += (float)(g * TPL_F(a->w_q)[u * a->q_dim + r]);
                if (dwq)
                    dwq[u * a->q_dim + r] += (float)(g * q[r]);
            }
            for (int64_t c = 0; c < a->k_dim; c++) {
                if (dk)
                    dk[c] += (float)(g * TPL_F(a->w_k)[u * a->k_dim + c]);
                if (dwk)
                    dwk[u * a->k_dim + c] += (float)(g * k[c]);
            }
        }
    } else {
        const double f = tpl_att_factor(a) * ds;
        for (int64_t d = 0; d < a->q_dim; d++) {
            if (dq)
                dq[d] += (float)(f * k[d]);
            if (dk)
                dk[d] += (float)(f * q[d]);
        }
    }
}

/* Pointers to row (b, h, t) of the strided q, k, v, out and their gradients. */
#define TPL_ROW(base, x, b, h, t) ((base) + (b) * a->x##_sb + (h) * a->x##_sh + (t) * a->x##_st)

/* w_ij = softmax over unmasked j of s_ij; out_i = sum_j w_ij v_j; a fully
 * masked row gives out_i = 0 and w_i = 0 */
seqnn_status tpl_attention_forward(const seqnn_call *call, const seqnn_attention_args *a)
{
    const float *q = TPL_F(a->q), *k = TPL_F(a->k), *v = TPL_F(a->v);   /* [B, heads, len, dim] */
    float *out = TPL_F(a->out);                                        /* [B, heads, q_len, v_dim] */
    float *weights = TPL_FOPT(a->weights);                             /* [B, heads, q_len, k_len] */
    double *w = malloc((size_t)(a->k_len + a->v_dim + 1) * sizeof *w);  /* scratch: weights, out row */
    if (!w)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "attention_forward: out of host memory");
    double *o = w + a->k_len;
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t h = 0; h < a->heads; h++)
            for (int64_t i = 0; i < a->q_len; i++) {
                double max = -INFINITY, sum = 0;
                for (int64_t j = 0; j < a->k_len; j++) {
                    w[j] = tpl_att_masked(a, b, i, j) ? -INFINITY
                                                      : tpl_att_score(a, TPL_ROW(q, q, b, h, i), TPL_ROW(k, k, b, h, j));
                    max = w[j] > max ? w[j] : max;
                }
                for (int64_t j = 0; j < a->k_len; j++) {
                    w[j] = max == -INFINITY ? 0 : exp(w[j] - max);   /* exp(-inf) = 0 for masked keys */
                    sum += w[j];
                }
                for (int64_t d = 0; d < a->v_dim; d++)
                    o[d] = 0;
                for (int64_t j = 0; j < a->k_len; j++) {
                    if (sum > 0)
                        w[j] /= sum;
                    for (int64_t d = 0; d < a->v_dim; d++)
                        o[d] += w[j] * TPL_ROW(v, v, b, h, j)[d];
                    if (weights)
                        weights[((b * a->heads + h) * a->q_len + i) * a->k_len + j] = (float)w[j];
                }
                for (int64_t d = 0; d < a->v_dim; d++)
                    TPL_ROW(out, o, b, h, i)[d] = (float)o[d];
            }
    free(w);
    return SEQNN_OK;
}

/* Sets the strided [B, heads, len, dim] box of a gradient to 0. */
static void tpl_att_zero(float *p, const seqnn_attention_args *a, int64_t len, int64_t dim, int64_t sb, int64_t sh,
                         int64_t st)
{
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t h = 0; h < a->heads; h++)
            for (int64_t t = 0; t < len; t++)
                tpl_zero(p + b * sb + h * sh + t * st, dim, 1);
}

/* dv_j += w_ij dout_i;  ds_ij = w_ij (dout_i . v_j - sum_j' w_ij' dout_i . v_j'),
 * then ds flows through the score into dq, dk and the score parameters */
seqnn_status tpl_attention_backward(const seqnn_call *call, const seqnn_attention_args *a)
{
    (void)call;
    const float *q = TPL_F(a->q), *k = TPL_F(a->k), *v = TPL_F(a->v), *dout = TPL_F(a->dout);
    const float *weights = TPL_F(a->weights);            /* [B, heads, q_len, k_len], the forward's */
    float *dq = TPL_FOPT(a->dq), *dk = TPL_FOPT(a->dk), *dv = TPL_FOPT(a->dv);   /* optional */
    if (!TPL_ACC(a)) {                                   /* OVERWRITE: clear, then accumulate */
        if (dq)
            tpl_att_zero(dq, a, a->q_len, a->q_dim, a->q_sb, a->q_sh, a->q_st);
        if (dk)
            tpl_att_zero(dk, a, a->k_len, a->k_dim, a->k_sb, a->k_sh, a->k_st);
        if (dv)
            tpl_att_zero(dv, a, a->k_len, a->v_dim, a->v_sb, a->v_sh, a->v_st);
        if (TPL_HAS(a->dw))
            tpl_zero(TPL_F(a->dw), a->q_dim * a->k_dim, 1);
        if (TPL_HAS(a->dw_q))
            tpl_zero(TPL_F(a->dw_q), a->attn_dim * a->q_dim, 1);
        if (TPL_HAS(a->dw_k))
            tpl_zero(TPL_F(a->dw_k), a->attn_dim * a->k_dim, 1);
        if (TPL_HAS(a->dw_v))
            tpl_zero(TPL_F(a->dw_v), a->attn_dim, 1);
    }
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t h = 0; h < a->heads; h++)
            for (int64_t i = 0; i < a->q_len; i++) {
                const float *wi = weights + ((b * a->heads + h) * a->q_len + i) * a->k_len;
                const float *doi = TPL_ROW(dout, o, b, h, i);
                double c = 0;
                for (int64_t j = 0; j < a->k_len; j++)
                    if (!tpl_att_masked(a, b, i, j))
                        c += wi[j] * tpl_dot(doi, 1, TPL_ROW(v, v, b, h, j), 1, a->v_dim);
                for (int64_t j = 0; j < a->k_len; j++) {
                    if (tpl_att_masked(a, b, i, j))
                        continue;
                    if (dv)
                        for (int64_t d = 0; d < a->v_dim; d++)
                            TPL_ROW(dv, v, b, h, j)[d] += wi[j] * doi[d];
                    double ds = wi[j] * (tpl_dot(doi, 1, TPL_ROW(v, v, b, h, j), 1, a->v_dim) - c);
                    tpl_att_score_backward(a, ds, TPL_ROW(q, q, b, h, i), TPL_ROW(k, k, b, h, j),
                                           dq ? TPL_ROW(dq, q, b, h, i) : NULL, dk ? TPL_ROW(dk, k, b, h, j) : NULL);
                }
            }
    return SEQNN_OK;
}

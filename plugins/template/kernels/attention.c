/* Template kernels, attention family: forward and backward of attention
 * with dot, scaled dot, bilinear and additive scores, several heads over
 * strided q/k/v/out, key-length masks and the bottom-right causal mask.
 * Contract: seqnn/kernels.h (seqnn_attention_args). Per head, the products
 * go through the plugin's GEMM (tpl_sgemm): dot scores Q K^T, out = W V, and
 * in the backward W^T dOut, dOut V^T, dS K and dS^T Q; bilinear and additive
 * scores are computed per pair. The backward takes the weights the forward
 * wrote. Keys past key_lengths[b] are never read. */
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

/* Keys of batch row b that any query may see: those before key_lengths[b].
 * The GEMMs run over these only, so a key past its length is never read. */
static int64_t tpl_att_keys(const seqnn_attention_args *a, int64_t b)
{
    if (!a->key_lengths)
        return a->k_len;
    return a->key_lengths[b] < a->k_len ? (a->key_lengths[b] > 0 ? a->key_lengths[b] : 0) : a->k_len;
}

/* Scores s [q_len, k_len] of head (b, h) for its first `keys` keys: DOT and
 * SCALED_DOT as one GEMM (factor * Q K^T) into f, the others per pair. */
static void tpl_att_scores(const seqnn_attention_args *a, int64_t b, int64_t h, int64_t keys, double *s, float *f)
{
    const float *q = TPL_ROW(TPL_F(a->q), q, b, h, 0), *k = TPL_ROW(TPL_F(a->k), k, b, h, 0);
    const int64_t Lq = a->q_len, Lk = a->k_len;
    if (a->score == SEQNN_SCORE_DOT || a->score == SEQNN_SCORE_SCALED_DOT) {
        tpl_sgemm(0, 1, Lq, keys, a->q_dim, tpl_att_factor(a), q, a->q_st, k, a->k_st, 0, f, Lk);
        for (int64_t i = 0; i < Lq; i++)
            for (int64_t j = 0; j < keys; j++)
                s[i * Lk + j] = f[i * Lk + j];
        return;
    }
    for (int64_t i = 0; i < Lq; i++)
        for (int64_t j = 0; j < keys; j++)
            s[i * Lk + j] = tpl_att_score(a, q + i * a->q_st, k + j * a->k_st);
}

/* w_ij = softmax over unmasked j of s_ij; out_i = sum_j w_ij v_j (out = W V,
 * one GEMM per head); a fully masked row gives out_i = 0 and w_i = 0 */
seqnn_status tpl_attention_forward(const seqnn_call *call, const seqnn_attention_args *a)
{
    const int64_t Lq = a->q_len, Lk = a->k_len;
    float *weights = TPL_FOPT(a->weights);                             /* [B, heads, q_len, k_len] */
    double *s = malloc((size_t)(Lq * Lk + 1) * sizeof *s);             /* scratch: scores */
    float *p = malloc((size_t)(Lq * Lk + 1) * sizeof *p);              /* scratch: GEMM scores, then weights */
    if (!s || !p) {
        free(s);
        free(p);
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "attention_forward: out of host memory");
    }
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t h = 0; h < a->heads; h++) {
            const int64_t keys = tpl_att_keys(a, b);
            tpl_att_scores(a, b, h, keys, s, p);
            for (int64_t i = 0; i < Lq; i++) {
                double max = -INFINITY, sum = 0, *si = s + i * Lk;
                for (int64_t j = 0; j < Lk; j++) {
                    if (j >= keys || tpl_att_masked(a, b, i, j))
                        si[j] = -INFINITY;
                    max = si[j] > max ? si[j] : max;
                }
                for (int64_t j = 0; j < Lk; j++) {
                    si[j] = max == -INFINITY ? 0 : exp(si[j] - max);   /* exp(-inf) = 0 for masked keys */
                    sum += si[j];
                }
                for (int64_t j = 0; j < Lk; j++) {
                    p[i * Lk + j] = (float)(sum > 0 ? si[j] / sum : si[j]);
                    if (weights)
                        weights[((b * a->heads + h) * Lq + i) * Lk + j] = p[i * Lk + j];
                }
            }
            /* out [q_len, v_dim] = W [q_len, keys] x V [keys, v_dim] */
            tpl_sgemm(0, 0, Lq, a->v_dim, keys, 1, p, Lk, TPL_ROW(TPL_F(a->v), v, b, h, 0), a->v_st, 0,
                      TPL_ROW(TPL_F(a->out), o, b, h, 0), a->o_st);
        }
    free(s);
    free(p);
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

/* OVERWRITE: every gradient cleared first, then all accumulate */
static void tpl_att_clear(const seqnn_attention_args *a)
{
    if (TPL_HAS(a->dq))
        tpl_att_zero(TPL_F(a->dq), a, a->q_len, a->q_dim, a->q_sb, a->q_sh, a->q_st);
    if (TPL_HAS(a->dk))
        tpl_att_zero(TPL_F(a->dk), a, a->k_len, a->k_dim, a->k_sb, a->k_sh, a->k_st);
    if (TPL_HAS(a->dv))
        tpl_att_zero(TPL_F(a->dv), a, a->k_len, a->v_dim, a->v_sb, a->v_sh, a->v_st);
    if (TPL_HAS(a->dw))
        tpl_zero(TPL_F(a->dw), a->q_dim * a->k_dim, 1);
    if (TPL_HAS(a->dw_q))
        tpl_zero(TPL_F(a->dw_q), a->attn_dim * a->q_dim, 1);
    if (TPL_HAS(a->dw_k))
        tpl_zero(TPL_F(a->dw_k), a->attn_dim * a->k_dim, 1);
    if (TPL_HAS(a->dw_v))
        tpl_zero(TPL_F(a->dw_v), a->attn_dim, 1);
}

/* Backward of head (b, h), W its forward weights [q_len, k_len]:
 * dV += W^T dOut and dP = dOut V^T (GEMMs); ds_ij = w_ij (dP_ij - sum_j' w_ij' dP_ij')
 * for unmasked j (0 for masked); then dQ += f dS K and dK += f dS^T Q for DOT
 * and SCALED_DOT (GEMMs), or ds through each pair's score otherwise. */
static void tpl_att_backward_head(const seqnn_attention_args *a, int64_t b, int64_t h, float *ds)
{
    const int64_t Lq = a->q_len, Lk = a->k_len, keys = tpl_att_keys(a, b);
    const float *w = TPL_F(a->weights) + (b * a->heads + h) * Lq * Lk;
    const float *q = TPL_ROW(TPL_F(a->q), q, b, h, 0), *k = TPL_ROW(TPL_F(a->k), k, b, h, 0);
    const float *dout = TPL_ROW(TPL_F(a->dout), o, b, h, 0);
    if (TPL_HAS(a->dv))
        tpl_sgemm(1, 0, keys, a->v_dim, Lq, 1, w, Lk, dout, a->o_st, 1, TPL_ROW(TPL_F(a->dv), v, b, h, 0), a->v_st);
    tpl_sgemm(0, 1, Lq, keys, a->v_dim, 1, dout, a->o_st, TPL_ROW(TPL_F(a->v), v, b, h, 0), a->v_st, 0, ds, Lk);
    for (int64_t i = 0; i < Lq; i++) {
        double c = 0;
        for (int64_t j = 0; j < keys; j++)
            if (!tpl_att_masked(a, b, i, j))
                c += (double)w[i * Lk + j] * ds[i * Lk + j];
        for (int64_t j = 0; j < keys; j++)
            ds[i * Lk + j] = tpl_att_masked(a, b, i, j) ? 0.0f : (float)(w[i * Lk + j] * (ds[i * Lk + j] - c));
    }
    if (a->score == SEQNN_SCORE_DOT || a->score == SEQNN_SCORE_SCALED_DOT) {
        const double f = tpl_att_factor(a);
        if (TPL_HAS(a->dq))
            tpl_sgemm(0, 0, Lq, a->q_dim, keys, f, ds, Lk, k, a->k_st, 1, TPL_ROW(TPL_F(a->dq), q, b, h, 0), a->q_st);
        if (TPL_HAS(a->dk))
            tpl_sgemm(1, 0, keys, a->k_dim, Lq, f, ds, Lk, q, a->q_st, 1, TPL_ROW(TPL_F(a->dk), k, b, h, 0), a->k_st);
        return;
    }
    for (int64_t i = 0; i < Lq; i++)
        for (int64_t j = 0; j < keys; j++)
            if (!tpl_att_masked(a, b, i, j))
                tpl_att_score_backward(a, ds[i * Lk + j], q + i * a->q_st, k + j * a->k_st,
                                       TPL_HAS(a->dq) ? TPL_ROW(TPL_F(a->dq), q, b, h, i) : NULL,
                                       TPL_HAS(a->dk) ? TPL_ROW(TPL_F(a->dk), k, b, h, j) : NULL);
}

seqnn_status tpl_attention_backward(const seqnn_call *call, const seqnn_attention_args *a)
{
    float *ds = malloc((size_t)(a->q_len * a->k_len + 1) * sizeof *ds);   /* scratch: dP, then dS */
    if (!ds)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "attention_backward: out of host memory");
    if (!TPL_ACC(a))
        tpl_att_clear(a);
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t h = 0; h < a->heads; h++)
            tpl_att_backward_head(a, b, h, ds);
    free(ds);
    return SEQNN_OK;
}

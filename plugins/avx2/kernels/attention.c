/* Attention family of the SIMD plugins. Forward, every score kind: per
 * query, the scores of its keys go into one row of k_len floats (no T x T
 * matrix unless weights are requested), then a max-subtracted softmax and
 * out = sum_j w_j v_j, all over vectors of the feature dimension; bilinear
 * scores use q^T W once per query, additive ones W_k k once per key.
 * Backward: dot and scaled-dot scores vectorised (dq, dk, dv); bilinear and
 * additive scores, whose parameter gradients sum over the whole batch, are
 * delegated to the float reference. Threads take batch items when their
 * output slices are disjoint, heads and queries in order inside a task, so
 * every sum is formed in the same order for any thread count. */
#include <math.h>
#include <string.h>
#include "ref_kernels.h"
#include "common.h"
#include "simd_kernels.h"
#include "threads.h"

static int64_t attention_at(int64_t sb, int64_t sh, int64_t st, int64_t b, int64_t h, int64_t t)
{
    return b * sb + h * sh + t * st;
}

static int attention_masked(const seqnn_attention_args *a, int64_t b, int64_t i, int64_t j)
{
    if (a->key_lengths && j >= a->key_lengths[b])
        return 1;
    return a->causal && j > i + (a->k_len - a->q_len);
}

static float attention_dot_factor(const seqnn_attention_args *a)
{
    if (a->score != SEQNN_SCORE_SCALED_DOT)
        return 1.0f;
    return a->scale == 0 ? (float)(1.0 / sqrt((double)a->q_dim)) : (float)a->scale;
}

/* x . y over n floats */
static float attention_dot(const float *x, const float *y, int64_t n)
{
    vf s = vf_zero();
    for (int64_t d = 0; d < n; d += VW) {
        int64_t m = simd_min64(VW, n - d);
        s = vf_fmadd(vld(x + d, m), vld(y + d, m), s);
    }
    return vf_hsum(s);
}

/* y += alpha * x over n floats */
static void attention_axpy(float *y, float alpha, const float *x, int64_t n)
{
    const vf av = vf_set1(alpha);
    for (int64_t d = 0; d < n; d += VW) {
        int64_t m = simd_min64(VW, n - d);
        vst(y + d, vf_fmadd(av, vld(x + d, m), vld(y + d, m)), m);
    }
}

/* 1 when the [heads, len, dim] slices of different batch items cannot overlap */
static int attention_disjoint(const seqnn_attention_args *a, int64_t len, int64_t dim, int64_t sb, int64_t sh,
                              int64_t st)
{
    if (a->batch <= 1)
        return 1;
    int64_t extent = (a->heads - 1) * sh + (len - 1) * st + dim;
    return sb >= extent && sh >= 0 && st >= 0;
}

typedef struct attention_job {
    const seqnn_attention_args *a;
    float factor;
    float *work;                         /* per thread */
    size_t work_stride;
} attention_job;

/* ------------------------------------------------------------ forward --- */

/* scores of query qi against the keys of (b, h) into s[j]; masked -> not written */
static void attention_scores(const seqnn_attention_args *a, float factor, int64_t b, int64_t h, int64_t i,
                             const float *qi, float *s, float *tmp, const float *pk)
{
    const float *k = SP(a->k);
    const int64_t A = a->attn_dim;
    if (a->score == SEQNN_SCORE_BILINEAR) {
        /* tmp = q^T W [k_dim] */
        const float *w = SP(a->w);                 /* w [q_dim, k_dim] */
        memset(tmp, 0, (size_t)a->k_dim * sizeof(float));
        for (int64_t r = 0; r < a->q_dim; r++)
            attention_axpy(tmp, qi[r], w + r * a->k_dim, a->k_dim);
    } else if (a->score == SEQNN_SCORE_ADDITIVE) {
        /* tmp = W_q q [A] */
        const float *wq = SP(a->w_q);              /* w_q [A, q_dim] */
        for (int64_t u = 0; u < A; u++)
            tmp[u] = attention_dot(wq + u * a->q_dim, qi, a->q_dim);
    }
    for (int64_t j = 0; j < a->k_len; j++) {
        if (attention_masked(a, b, i, j))
            continue;
        const float *kj = k + attention_at(a->k_sb, a->k_sh, a->k_st, b, h, j);
        switch (a->score) {
        case SEQNN_SCORE_BILINEAR:
            s[j] = attention_dot(tmp, kj, a->k_dim);
            break;
        case SEQNN_SCORE_ADDITIVE: {
            const float *wv = SP(a->w_v), *pkj = pk + j * A;
            vf acc = vf_zero();
            for (int64_t u = 0; u < A; u += VW) {
                int64_t m = simd_min64(VW, A - u);
                acc = vf_fmadd(vld(wv + u, m), vf_tanh(vf_add(vld(tmp + u, m), vld(pkj + u, m))), acc);
            }
            s[j] = vf_hsum(acc);
            break;
        }
        default:
            s[j] = factor * attention_dot(qi, kj, a->q_dim);
            break;
        }
    }
}

static void attention_forward_item(const attention_job *job, int64_t b, float *work)
{
    const seqnn_attention_args *a = job->a;
    const float *q = SP(a->q), *k = SP(a->k), *v = SP(a->v);
    float *out = SP(a->out);
    float *weights = SHAS(a->weights) ? SP(a->weights) : NULL;   /* [B, heads, q_len, k_len] */
    const int64_t A = a->attn_dim;
    float *s = work;                                   /* [k_len] scores, then weights */
    float *tmp = s + a->k_len;                         /* [max(k_dim, A)] */
    float *pk = tmp + (a->k_dim > A ? a->k_dim : A);   /* additive: [k_len, A] */
    for (int64_t h = 0; h < a->heads; h++) {
        if (a->score == SEQNN_SCORE_ADDITIVE) {
            const float *wk = SP(a->w_k);              /* w_k [A, k_dim] */
            for (int64_t j = 0; j < a->k_len; j++) {
                const float *kj = k + attention_at(a->k_sb, a->k_sh, a->k_st, b, h, j);
                for (int64_t u = 0; u < A; u++)
                    pk[j * A + u] = attention_dot(wk + u * a->k_dim, kj, a->k_dim);
            }
        }
        for (int64_t i = 0; i < a->q_len; i++) {
            const float *qi = q + attention_at(a->q_sb, a->q_sh, a->q_st, b, h, i);
            float *oi = out + attention_at(a->o_sb, a->o_sh, a->o_st, b, h, i);
            float *wi = weights ? weights + ((b * a->heads + h) * a->q_len + i) * a->k_len : NULL;
            attention_scores(a, job->factor, b, h, i, qi, s, tmp, pk);
            /* the largest unmasked score (a NaN wins and stays) */
            float mx = 0.0f;
            int any = 0;
            for (int64_t j = 0; j < a->k_len; j++)
                if (!attention_masked(a, b, i, j)) {
                    if (!any || s[j] > mx || s[j] != s[j])
                        mx = s[j];
                    any = 1;
                    if (mx != mx)
                        break;
                }
            float sum = 0.0f;
            for (int64_t j = 0; j < a->k_len; j++) {
                if (attention_masked(a, b, i, j)) {
                    s[j] = 0.0f;
                } else {
                    s[j] = expf(s[j] - mx);
                    sum += s[j];
                }
            }
            for (int64_t d = 0; d < a->v_dim; d += VW)
                vst(oi + d, vf_zero(), simd_min64(VW, a->v_dim - d));
            const float inv = any ? 1.0f / sum : 0.0f;
            for (int64_t j = 0; j < a->k_len; j++) {
                float w = s[j] * inv;
                if (!attention_masked(a, b, i, j))
                    attention_axpy(oi, w, v + attention_at(a->v_sb, a->v_sh, a->v_st, b, h, j), a->v_dim);
                if (wi)
                    wi[j] = w;
            }
        }
    }
}

static void attention_forward_task(void *ctx, int64_t b, int tid)
{
    const attention_job *j = ctx;
    attention_forward_item(j, b, j->work + (size_t)tid * j->work_stride);
}

seqnn_status simd_attention_forward(const seqnn_call *call, const seqnn_attention_args *a)
{
    attention_job j = { a, attention_dot_factor(a), NULL, 0 };
    const int64_t A = a->score == SEQNN_SCORE_ADDITIVE ? a->attn_dim : 0;
    if (a->batch <= 0 || a->heads <= 0 || a->q_len <= 0)
        return SEQNN_OK;
    j.work_stride = (size_t)(a->k_len + (a->k_dim > A ? a->k_dim : A) + a->k_len * A + 16);
    j.work = simd_scratch(simd_dev(call), SIMD_SCRATCH_K0, j.work_stride * (size_t)simd_threads_count());
    if (!j.work)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "attention_forward: out of memory");
    if (attention_disjoint(a, a->q_len, a->v_dim, a->o_sb, a->o_sh, a->o_st))
        simd_parallel_for(a->batch, attention_forward_task, &j);
    else
        for (int64_t b = 0; b < a->batch; b++)
            attention_forward_item(&j, b, j.work);
    return SEQNN_OK;
}

/* ----------------------------------------------------------- backward --- */

/* clears the [heads, len, dim] slice of batch item b */
static void attention_zero_slice(float *p, const seqnn_attention_args *a, int64_t b, int64_t len, int64_t dim,
                                 int64_t sb, int64_t sh, int64_t st)
{
    for (int64_t h = 0; h < a->heads; h++)
        for (int64_t t = 0; t < len; t++) {
            float *row = p + attention_at(sb, sh, st, b, h, t);
            for (int64_t d = 0; d < dim; d += VW)
                vst(row + d, vf_zero(), simd_min64(VW, dim - d));
        }
}

/* dot / scaled-dot scores: dv_j += w_ij dout_i, ds_ij = w_ij (dout_i.v_j - c_i),
 * dq_i += f ds_ij k_j, dk_j += f ds_ij q_i */
static void attention_backward_item(const attention_job *job, int64_t b, float *work, int clear)
{
    const seqnn_attention_args *a = job->a;
    const float *q = SP(a->q), *k = SP(a->k), *v = SP(a->v);
    const float *weights = SP(a->weights), *dout = SP(a->dout);
    float *dq = SHAS(a->dq) ? SP(a->dq) : NULL;
    float *dk = SHAS(a->dk) ? SP(a->dk) : NULL;
    float *dv = SHAS(a->dv) ? SP(a->dv) : NULL;
    float *g = work;                                   /* [k_len] dout_i . v_j */
    if (clear) {
        if (dq)
            attention_zero_slice(dq, a, b, a->q_len, a->q_dim, a->q_sb, a->q_sh, a->q_st);
        if (dk)
            attention_zero_slice(dk, a, b, a->k_len, a->k_dim, a->k_sb, a->k_sh, a->k_st);
        if (dv)
            attention_zero_slice(dv, a, b, a->k_len, a->v_dim, a->v_sb, a->v_sh, a->v_st);
    }
    for (int64_t h = 0; h < a->heads; h++)
        for (int64_t i = 0; i < a->q_len; i++) {
            const int64_t qoff = attention_at(a->q_sb, a->q_sh, a->q_st, b, h, i);
            const float *doi = dout + attention_at(a->o_sb, a->o_sh, a->o_st, b, h, i);
            const float *wi = weights + ((b * a->heads + h) * a->q_len + i) * a->k_len;
            float c = 0.0f;
            for (int64_t j = 0; j < a->k_len; j++)
                if (!attention_masked(a, b, i, j)) {
                    g[j] = attention_dot(doi, v + attention_at(a->v_sb, a->v_sh, a->v_st, b, h, j), a->v_dim);
                    c += wi[j] * g[j];
                }
            for (int64_t j = 0; j < a->k_len; j++) {
                if (attention_masked(a, b, i, j))
                    continue;
                const int64_t koff = attention_at(a->k_sb, a->k_sh, a->k_st, b, h, j);
                if (dv)
                    attention_axpy(dv + attention_at(a->v_sb, a->v_sh, a->v_st, b, h, j), wi[j], doi, a->v_dim);
                const float ds = job->factor * (wi[j] * (g[j] - c));
                if (dq)
                    attention_axpy(dq + qoff, ds, k + koff, a->q_dim);
                if (dk)
                    attention_axpy(dk + koff, ds, q + qoff, a->k_dim);
            }
        }
}

static void attention_backward_task(void *ctx, int64_t b, int tid)
{
    const attention_job *j = ctx;
    attention_backward_item(j, b, j->work + (size_t)tid * j->work_stride, !SACC(j->a));
}

seqnn_status simd_attention_backward(const seqnn_call *call, const seqnn_attention_args *a)
{
    if (a->score == SEQNN_SCORE_BILINEAR || a->score == SEQNN_SCORE_ADDITIVE)
        return seqnn_ref_f32_attention_backward(call, a);   /* see the header comment */
    attention_job j = { a, attention_dot_factor(a), NULL, (size_t)a->k_len + 16 };
    if (a->batch <= 0 || a->heads <= 0)
        return SEQNN_OK;
    j.work = simd_scratch(simd_dev(call), SIMD_SCRATCH_K0, j.work_stride * (size_t)simd_threads_count());
    if (!j.work)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "attention_backward: out of memory");
    int parallel = (!SHAS(a->dq) || attention_disjoint(a, a->q_len, a->q_dim, a->q_sb, a->q_sh, a->q_st)) &&
                   (!SHAS(a->dk) || attention_disjoint(a, a->k_len, a->k_dim, a->k_sb, a->k_sh, a->k_st)) &&
                   (!SHAS(a->dv) || attention_disjoint(a, a->k_len, a->v_dim, a->v_sb, a->v_sh, a->v_st));
    if (parallel) {
        simd_parallel_for(a->batch, attention_backward_task, &j);
    } else {
        /* slices may overlap: clear everything first, then accumulate in order */
        for (int64_t b = 0; b < a->batch && !SACC(a); b++) {
            if (SHAS(a->dq))
                attention_zero_slice(SP(a->dq), a, b, a->q_len, a->q_dim, a->q_sb, a->q_sh, a->q_st);
            if (SHAS(a->dk))
                attention_zero_slice(SP(a->dk), a, b, a->k_len, a->k_dim, a->k_sb, a->k_sh, a->k_st);
            if (SHAS(a->dv))
                attention_zero_slice(SP(a->dv), a, b, a->k_len, a->v_dim, a->v_sb, a->v_sh, a->v_st);
        }
        for (int64_t b = 0; b < a->batch; b++)
            attention_backward_item(&j, b, j.work, 0);
    }
    return SEQNN_OK;
}

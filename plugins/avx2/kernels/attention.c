/* Attention family of the SIMD plugins. Dot and scaled-dot scores without a
 * causal mask run on the own SGEMM's tiles (forward and backward, per block
 * of queries; see attention_forward_item_gemm). Otherwise, forward, every
 * score kind: per query, the scores of its keys go into one row of k_len
 * floats (no T x T matrix unless weights are requested), then a
 * max-subtracted softmax and out = sum_j w_j v_j, all over vectors of the
 * feature dimension; bilinear scores use q^T W once per query, additive ones
 * W_k k once per key.
 * Backward: dq, dk, dv per batch item; the bilinear/additive parameter
 * gradients per item into partial blocks summed in item order (the float
 * reference takes over only when gradient slices of different items may
 * overlap, or the batch is empty). Threads take batch items when their
 * output slices are disjoint, heads and queries in order inside a task, so
 * every sum is formed in the same order for any thread count. */
#include <math.h>
#include <string.h>
#include "ref_kernels.h"
#include "common.h"
#include "simd_gemm.h"
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

/* 1 when no two elements of the strided [B, heads, len, dim] box share an
 * address (sufficient test: with the dims of size > 1 sorted by stride, each
 * stride is at least the previous stride times its size), so batch items
 * can be written in parallel; any layout, time-major included. */
static int attention_disjoint(const seqnn_attention_args *a, int64_t len, int64_t dim, int64_t sb, int64_t sh,
                              int64_t st)
{
    int64_t size[4] = { a->batch, a->heads, len, dim }, stride[4] = { sb, sh, st, 1 };
    int n = 0;
    int64_t zs[4], zt[4];
    for (int i = 0; i < 4; i++)
        if (size[i] == 0)
            return 1;                    /* an empty box */
    for (int i = 0; i < 4; i++)
        if (size[i] > 1) {
            if (stride[i] <= 0)
                return 0;
            /* insertion by stride */
            int p = n++;
            while (p > 0 && zt[p - 1] > stride[i]) {
                zs[p] = zs[p - 1];
                zt[p] = zt[p - 1];
                p--;
            }
            zs[p] = size[i];
            zt[p] = stride[i];
        }
    for (int i = 1; i < n; i++)
        if (zt[i] < zt[i - 1] * zs[i - 1])
            return 0;
    return 1;
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

/* -------------------------------------- forward by GEMM tiles (dot scores) ---
 * Dot and scaled-dot scores without a causal mask: per head, K^T and V are
 * packed once as GEMM B operands; per block of ATTN_ROWS queries, the scores
 * S = f Q K^T come from the own SGEMM's tiles, then a max-subtracted softmax
 * per row (vector exp) and out = P V by tiles again. Keys past key_lengths[b]
 * are left out of both products (the mask is a prefix of the keys), so they
 * are never read. Only a block of ATTN_ROWS x k_len scores is ever stored. */
#define ATTN_ROWS SIMD_ATTN_ROWS

static size_t attention_round16(size_t n)
{
    return (n + 15) / 16 * 16;
}

static int attention_gemm_path(const seqnn_attention_args *a)
{
    return (a->score == SEQNN_SCORE_DOT || a->score == SEQNN_SCORE_SCALED_DOT) && !a->causal;
}

/* floats of per-thread work of the GEMM path */
static size_t attention_gemm_work(const seqnn_attention_args *a)
{
    return attention_round16(simd_gemm_packed_b_count(a->q_dim, a->k_len)) +
           attention_round16(simd_gemm_packed_b_count(a->k_len, a->v_dim)) +
           attention_round16(simd_gemm_packed_a_count(ATTN_ROWS, a->q_dim)) +
           attention_round16((size_t)ATTN_ROWS * (size_t)(a->k_len > 0 ? a->k_len : 1)) +
           attention_round16(simd_gemm_packed_a_count(ATTN_ROWS, a->k_len > 0 ? a->k_len : 1));
}

static void attention_forward_item_gemm(const attention_job *job, int64_t b, float *work)
{
    const seqnn_attention_args *a = job->a;
    const float *q = SP(a->q), *k = SP(a->k), *v = SP(a->v);
    float *out = SP(a->out);
    float *weights = SHAS(a->weights) ? SP(a->weights) : NULL;   /* [B, heads, q_len, k_len] */
    const int64_t D = a->q_dim, DV = a->v_dim;
    int64_t klen = a->k_len;
    if (a->key_lengths && a->key_lengths[b] < klen)
        klen = a->key_lengths[b] > 0 ? a->key_lengths[b] : 0;
    float *kpack = work;
    float *vpack = kpack + attention_round16(simd_gemm_packed_b_count(D, a->k_len));
    float *qpack = vpack + attention_round16(simd_gemm_packed_b_count(a->k_len, DV));
    float *sblk = qpack + attention_round16(simd_gemm_packed_a_count(ATTN_ROWS, D));
    float *ppack = sblk + attention_round16((size_t)ATTN_ROWS * (size_t)(a->k_len > 0 ? a->k_len : 1));
    for (int64_t h = 0; h < a->heads; h++) {
        if (klen > 0) {
            simd_gemm_pack_b(1, D, klen, k + attention_at(a->k_sb, a->k_sh, a->k_st, b, h, 0), a->k_st, kpack);
            simd_gemm_pack_b(0, klen, DV, v + attention_at(a->v_sb, a->v_sh, a->v_st, b, h, 0), a->v_st, vpack);
        }
        for (int64_t i0 = 0; i0 < a->q_len; i0 += ATTN_ROWS) {
            const int64_t R = simd_min64(ATTN_ROWS, a->q_len - i0);
            float *o0 = out + attention_at(a->o_sb, a->o_sh, a->o_st, b, h, i0);
            float *w0 = weights ? weights + ((b * a->heads + h) * a->q_len + i0) * a->k_len : NULL;
            if (klen == 0) {
                /* every key masked: out = 0, weights = 0 */
                for (int64_t r = 0; r < R; r++) {
                    for (int64_t d = 0; d < DV; d += VW)
                        vst(o0 + r * a->o_st + d, vf_zero(), simd_min64(VW, DV - d));
                    if (w0)
                        memset(w0 + r * a->k_len, 0, (size_t)a->k_len * sizeof(float));
                }
                continue;
            }
            simd_gemm_pack_a(0, R, D, q + attention_at(a->q_sb, a->q_sh, a->q_st, b, h, i0), a->q_st, qpack);
            simd_gemm_tile(R, D, job->factor, qpack, kpack, klen, 0, klen, 0.0f, sblk, klen);
            for (int64_t r = 0; r < R; r++) {
                float *sr = sblk + r * klen;
                /* the largest score (a NaN wins and stays) */
                float mx = sr[0];
                for (int64_t j = 1; j < klen && mx == mx; j++)
                    if (sr[j] > mx || sr[j] != sr[j])
                        mx = sr[j];
                const vf vmx = vf_set1(mx);
                vf vsum = vf_zero();
                for (int64_t j = 0; j < klen; j += VW) {
                    int64_t n = simd_min64(VW, klen - j);
                    vf e = vf_exp(vf_sub(vld(sr + j, n), vmx));
                    vst(sr + j, e, n);
                    vsum = vf_add(vsum, n == VW ? e : vf_mask_zero(vm_first(n), e));
                }
                const vf inv = vf_set1(1.0f / vf_hsum(vsum));
                for (int64_t j = 0; j < klen; j += VW) {
                    int64_t n = simd_min64(VW, klen - j);
                    vst(sr + j, vf_mul(vld(sr + j, n), inv), n);
                }
                if (w0) {
                    float *wr = w0 + r * a->k_len;
                    memcpy(wr, sr, (size_t)klen * sizeof(float));
                    if (klen < a->k_len)
                        memset(wr + klen, 0, (size_t)(a->k_len - klen) * sizeof(float));
                }
            }
            simd_gemm_pack_a(0, R, klen, sblk, klen, ppack);
            simd_gemm_tile(R, klen, 1.0f, ppack, vpack, DV, 0, DV, 0.0f, o0, a->o_st);
        }
    }
}

static void attention_forward_task(void *ctx, int64_t b, int tid)
{
    const attention_job *j = ctx;
    if (attention_gemm_path(j->a))
        attention_forward_item_gemm(j, b, j->work + (size_t)tid * j->work_stride);
    else
        attention_forward_item(j, b, j->work + (size_t)tid * j->work_stride);
}

seqnn_status simd_attention_forward(const seqnn_call *call, const seqnn_attention_args *a)
{
    attention_job j = { a, attention_dot_factor(a), NULL, 0 };
    const int64_t A = a->score == SEQNN_SCORE_ADDITIVE ? a->attn_dim : 0;
    if (a->batch <= 0 || a->heads <= 0 || a->q_len <= 0)
        return SEQNN_OK;
    j.work_stride = attention_gemm_path(a) ? attention_gemm_work(a)
                                           : (size_t)(a->k_len + (a->k_dim > A ? a->k_dim : A) + a->k_len * A + 16);
    j.work = simd_scratch(simd_dev(call), SIMD_SCRATCH_K0, j.work_stride * (size_t)simd_threads_count());
    if (!j.work)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "attention_forward: out of memory");
    if (attention_disjoint(a, a->q_len, a->v_dim, a->o_sb, a->o_sh, a->o_st))
        simd_parallel_for(a->batch, attention_forward_task, &j);
    else
        for (int64_t b = 0; b < a->batch; b++)
            attention_forward_task(&j, b, 0);
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

/* Dot / scaled-dot backward without a causal mask by GEMM tiles, per head and
 * block of ATTN_ROWS queries (W the forward's weights, f the score factor):
 *   G = dO V^T,  dS = f W * (G - rowsum(W * G)),
 *   dQ += dS K,  dK += dS^T Q,  dV += W^T dO  (the last two summed over the
 * query blocks in order). Keys past key_lengths[b] take no part. */
static size_t attention_gemm_bwork(const seqnn_attention_args *a)
{
    const int64_t kl = a->k_len > 0 ? a->k_len : 1, dmax = a->q_dim > a->v_dim ? a->q_dim : a->v_dim;
    return attention_round16(simd_gemm_packed_b_count(a->v_dim, kl)) +
           attention_round16(simd_gemm_packed_b_count(kl, a->q_dim)) +
           attention_round16(simd_gemm_packed_a_count(ATTN_ROWS, a->v_dim)) +
           attention_round16((size_t)ATTN_ROWS * (size_t)kl) +
           attention_round16(simd_gemm_packed_a_count(ATTN_ROWS, kl)) +
           attention_round16(simd_gemm_packed_a_count(kl, ATTN_ROWS)) +
           attention_round16(simd_gemm_packed_b_count(ATTN_ROWS, dmax));
}

static void attention_backward_item_gemm(const attention_job *job, int64_t b, float *work, int clear)
{
    const seqnn_attention_args *a = job->a;
    const float *q = SP(a->q), *k = SP(a->k), *v = SP(a->v);
    const float *weights = SP(a->weights), *dout = SP(a->dout);
    float *dq = SHAS(a->dq) ? SP(a->dq) : NULL;
    float *dk = SHAS(a->dk) ? SP(a->dk) : NULL;
    float *dv = SHAS(a->dv) ? SP(a->dv) : NULL;
    const int64_t D = a->q_dim, DV = a->v_dim, kl = a->k_len > 0 ? a->k_len : 1;
    int64_t klen = a->k_len;
    if (a->key_lengths && a->key_lengths[b] < klen)
        klen = a->key_lengths[b] > 0 ? a->key_lengths[b] : 0;
    float *vtp = work;                                                        /* V^T as B [DV, klen] */
    float *kp = vtp + attention_round16(simd_gemm_packed_b_count(DV, kl));    /* K as B [klen, D] */
    float *dop = kp + attention_round16(simd_gemm_packed_b_count(kl, D));     /* dO block as A */
    float *gblk = dop + attention_round16(simd_gemm_packed_a_count(ATTN_ROWS, DV)); /* G, then dS [R, klen] */
    float *dsp = gblk + attention_round16((size_t)ATTN_ROWS * (size_t)kl);   /* dS as A */
    float *tp = dsp + attention_round16(simd_gemm_packed_a_count(ATTN_ROWS, kl)); /* dS^T or W^T as A */
    float *bp = tp + attention_round16(simd_gemm_packed_a_count(kl, ATTN_ROWS)); /* Q or dO block as B */
    if (clear) {
        if (dq)
            attention_zero_slice(dq, a, b, a->q_len, a->q_dim, a->q_sb, a->q_sh, a->q_st);
        if (dk)
            attention_zero_slice(dk, a, b, a->k_len, a->k_dim, a->k_sb, a->k_sh, a->k_st);
        if (dv)
            attention_zero_slice(dv, a, b, a->k_len, a->v_dim, a->v_sb, a->v_sh, a->v_st);
    }
    if (klen == 0 || (!dq && !dk && !dv))
        return;
    const vf vf_f = vf_set1(job->factor);
    for (int64_t h = 0; h < a->heads; h++) {
        simd_gemm_pack_b(1, DV, klen, v + attention_at(a->v_sb, a->v_sh, a->v_st, b, h, 0), a->v_st, vtp);
        if (dq)
            simd_gemm_pack_b(0, klen, D, k + attention_at(a->k_sb, a->k_sh, a->k_st, b, h, 0), a->k_st, kp);
        for (int64_t i0 = 0; i0 < a->q_len; i0 += ATTN_ROWS) {
            const int64_t R = simd_min64(ATTN_ROWS, a->q_len - i0);
            const float *wblk = weights + ((b * a->heads + h) * a->q_len + i0) * a->k_len;
            const float *doblk = dout + attention_at(a->o_sb, a->o_sh, a->o_st, b, h, i0);
            if (dv) {
                /* dV += W^T dO */
                simd_gemm_pack_a(1, klen, R, wblk, a->k_len, tp);
                simd_gemm_pack_b(0, R, DV, doblk, a->o_st, bp);
                simd_gemm_tile(klen, R, 1.0f, tp, bp, DV, 0, DV, 1.0f,
                               dv + attention_at(a->v_sb, a->v_sh, a->v_st, b, h, 0), a->v_st);
            }
            if (!dq && !dk)
                continue;
            simd_gemm_pack_a(0, R, DV, doblk, a->o_st, dop);
            simd_gemm_tile(R, DV, 1.0f, dop, vtp, klen, 0, klen, 0.0f, gblk, klen);
            for (int64_t r = 0; r < R; r++) {
                float *gr = gblk + r * klen;
                const float *wr = wblk + r * a->k_len;
                vf acc = vf_zero();
                for (int64_t j = 0; j < klen; j += VW) {
                    int64_t n = simd_min64(VW, klen - j);
                    acc = vf_fmadd(vld(wr + j, n), vld(gr + j, n), acc);
                }
                const vf c = vf_set1(vf_hsum(acc));
                for (int64_t j = 0; j < klen; j += VW) {
                    int64_t n = simd_min64(VW, klen - j);
                    vst(gr + j, vf_mul(vf_f, vf_mul(vld(wr + j, n), vf_sub(vld(gr + j, n), c))), n);
                }
            }
            if (dq) {
                /* dQ += dS K */
                simd_gemm_pack_a(0, R, klen, gblk, klen, dsp);
                simd_gemm_tile(R, klen, 1.0f, dsp, kp, D, 0, D, 1.0f,
                               dq + attention_at(a->q_sb, a->q_sh, a->q_st, b, h, i0), a->q_st);
            }
            if (dk) {
                /* dK += dS^T Q */
                simd_gemm_pack_a(1, klen, R, gblk, klen, tp);
                simd_gemm_pack_b(0, R, D, q + attention_at(a->q_sb, a->q_sh, a->q_st, b, h, i0), a->q_st, bp);
                simd_gemm_tile(klen, R, 1.0f, tp, bp, D, 0, D, 1.0f,
                               dk + attention_at(a->k_sb, a->k_sh, a->k_st, b, h, 0), a->k_st);
            }
        }
    }
}

static void attention_backward_task(void *ctx, int64_t b, int tid)
{
    const attention_job *j = ctx;
    if (attention_gemm_path(j->a))
        attention_backward_item_gemm(j, b, j->work + (size_t)tid * j->work_stride, !SACC(j->a));
    else
        attention_backward_item(j, b, j->work + (size_t)tid * j->work_stride, !SACC(j->a));
}

/* Bilinear and additive scores (heads == 1): dq, dk, dv of item b directly,
 * the parameter gradients of item b into its own partial block `part`
 * (bilinear: dW [q_dim, k_dim]; additive: dw_q [A, q_dim], dw_k [A, k_dim],
 * dw_v [A]), summed over items in order afterwards. */
static void attention_backward_param_item(const attention_job *job, int64_t b, float *work, float *part)
{
    const seqnn_attention_args *a = job->a;
    const float *q = SP(a->q), *k = SP(a->k), *v = SP(a->v);
    const float *weights = SP(a->weights), *dout = SP(a->dout);
    float *dq = SHAS(a->dq) ? SP(a->dq) : NULL;
    float *dk = SHAS(a->dk) ? SP(a->dk) : NULL;
    float *dv = SHAS(a->dv) ? SP(a->dv) : NULL;
    const int64_t A = a->attn_dim, KL = a->k_len, W = a->k_dim > A ? a->k_dim : A;
    const int bilinear = a->score == SEQNN_SCORE_BILINEAR;
    float *g = work, *tmp = g + KL, *acc = tmp + W, *pk = acc + W, *gk = pk + KL * A;
    if (!SACC(a)) {
        if (dq)
            attention_zero_slice(dq, a, b, a->q_len, a->q_dim, a->q_sb, a->q_sh, a->q_st);
        if (dk)
            attention_zero_slice(dk, a, b, KL, a->k_dim, a->k_sb, a->k_sh, a->k_st);
        if (dv)
            attention_zero_slice(dv, a, b, KL, a->v_dim, a->v_sb, a->v_sh, a->v_st);
    }
    const float *wmat = bilinear ? SP(a->w) : NULL;            /* w [q_dim, k_dim] */
    const float *wq = bilinear ? NULL : SP(a->w_q);            /* w_q [A, q_dim] */
    const float *wk = bilinear ? NULL : SP(a->w_k);            /* w_k [A, k_dim] */
    const float *wv = bilinear ? NULL : SP(a->w_v);            /* w_v [A] */
    float *pdw = part, *pdwq = part, *pdwk = part + A * a->q_dim, *pdwv = pdwk + A * a->k_dim;
    if (!bilinear) {
        for (int64_t j = 0; j < KL; j++) {
            const float *kj = k + attention_at(a->k_sb, a->k_sh, a->k_st, b, 0, j);
            for (int64_t u = 0; u < A; u++)
                pk[j * A + u] = attention_dot(wk + u * a->k_dim, kj, a->k_dim);
        }
        memset(gk, 0, (size_t)(KL * A) * sizeof(float));
    }
    for (int64_t i = 0; i < a->q_len; i++) {
        const int64_t qoff = attention_at(a->q_sb, a->q_sh, a->q_st, b, 0, i);
        const float *qi = q + qoff;
        const float *doi = dout + attention_at(a->o_sb, a->o_sh, a->o_st, b, 0, i);
        const float *wi = weights + (b * a->q_len + i) * KL;
        float c = 0.0f;
        for (int64_t j = 0; j < KL; j++)
            if (!attention_masked(a, b, i, j)) {
                g[j] = attention_dot(doi, v + attention_at(a->v_sb, a->v_sh, a->v_st, b, 0, j), a->v_dim);
                c += wi[j] * g[j];
            }
        /* tmp: q^T W (bilinear) or W_q q (additive); acc: sum_j ds_j k_j or sum_j dpre_j */
        if (bilinear) {
            memset(tmp, 0, (size_t)a->k_dim * sizeof(float));
            for (int64_t r = 0; r < a->q_dim; r++)
                attention_axpy(tmp, qi[r], wmat + r * a->k_dim, a->k_dim);
            memset(acc, 0, (size_t)a->k_dim * sizeof(float));
        } else {
            for (int64_t u = 0; u < A; u++)
                tmp[u] = attention_dot(wq + u * a->q_dim, qi, a->q_dim);
            memset(acc, 0, (size_t)A * sizeof(float));
        }
        for (int64_t j = 0; j < KL; j++) {
            if (attention_masked(a, b, i, j))
                continue;
            const int64_t koff = attention_at(a->k_sb, a->k_sh, a->k_st, b, 0, j);
            if (dv)
                attention_axpy(dv + attention_at(a->v_sb, a->v_sh, a->v_st, b, 0, j), wi[j], doi, a->v_dim);
            const float ds = wi[j] * (g[j] - c);
            if (bilinear) {
                if (dk)
                    attention_axpy(dk + koff, ds, tmp, a->k_dim);
                attention_axpy(acc, ds, k + koff, a->k_dim);
            } else {
                const vf dsv = vf_set1(ds), one = vf_set1(1.0f);
                for (int64_t u = 0; u < A; u += VW) {
                    int64_t m = simd_min64(VW, A - u);
                    vf t = vf_tanh(vf_add(vld(tmp + u, m), vld(pk + j * A + u, m)));
                    vf dpre = vf_mul(vf_mul(dsv, vld(wv + u, m)), vf_fnmadd(t, t, one));
                    vst(pdwv + u, vf_fmadd(dsv, t, vld(pdwv + u, m)), m);
                    vst(acc + u, vf_add(vld(acc + u, m), dpre), m);
                    vst(gk + j * A + u, vf_add(vld(gk + j * A + u, m), dpre), m);
                }
            }
        }
        if (bilinear) {
            /* dq_i += W acc;  dW += q_i acc^T */
            for (int64_t r = 0; r < a->q_dim; r++) {
                if (dq)
                    dq[qoff + r] += attention_dot(wmat + r * a->k_dim, acc, a->k_dim);
                attention_axpy(pdw + r * a->k_dim, qi[r], acc, a->k_dim);
            }
        } else {
            /* dq_i += W_q^T acc;  dw_q += acc q_i^T */
            for (int64_t u = 0; u < A; u++) {
                if (dq)
                    attention_axpy(dq + qoff, acc[u], wq + u * a->q_dim, a->q_dim);
                attention_axpy(pdwq + u * a->q_dim, acc[u], qi, a->q_dim);
            }
        }
    }
    if (!bilinear)
        /* dk_j += W_k^T gk_j;  dw_k += gk_j k_j^T */
        for (int64_t j = 0; j < KL; j++) {
            const int64_t koff = attention_at(a->k_sb, a->k_sh, a->k_st, b, 0, j);
            for (int64_t u = 0; u < A; u++) {
                if (dk)
                    attention_axpy(dk + koff, gk[j * A + u], wk + u * a->k_dim, a->k_dim);
                attention_axpy(pdwk + u * a->k_dim, gk[j * A + u], k + koff, a->k_dim);
            }
        }
}

typedef struct attention_param_job {
    attention_job base;
    float *parts;                        /* [B, pcount] */
    int64_t pcount;
} attention_param_job;

static void attention_backward_param_task(void *ctx, int64_t b, int tid)
{
    const attention_param_job *j = ctx;
    float *part = j->parts + b * j->pcount;
    memset(part, 0, (size_t)j->pcount * sizeof(float));
    attention_backward_param_item(&j->base, b, j->base.work + (size_t)tid * j->base.work_stride, part);
}

/* dst (+)= sum over b of parts[b] (in b order) */
static void attention_sum_parts(float *dst, const float *parts, int64_t batch, int64_t pcount, int64_t off,
                                int64_t n, int accumulate)
{
    for (int64_t x = 0; x < n; x += VW) {
        int64_t m = simd_min64(VW, n - x);
        vf s = vld(parts + off + x, m);
        for (int64_t b = 1; b < batch; b++)
            s = vf_add(s, vld(parts + b * pcount + off + x, m));
        vst_grad(dst + x, s, m, accumulate);
    }
}

static seqnn_status attention_backward_param(const seqnn_call *call, const seqnn_attention_args *a)
{
    simd_device *dev = simd_dev(call);
    const int64_t A = a->attn_dim, KL = a->k_len, W = a->k_dim > A ? a->k_dim : A;
    const int bilinear = a->score == SEQNN_SCORE_BILINEAR;
    attention_param_job j = { { a, 1.0f, NULL, (size_t)(KL + 2 * W + 2 * KL * A + 16) }, NULL,
                              bilinear ? a->q_dim * a->k_dim : A * (a->q_dim + a->k_dim + 1) };
    j.base.work = simd_scratch(dev, SIMD_SCRATCH_K0, j.base.work_stride * (size_t)simd_threads_count());
    j.parts = simd_scratch(dev, SIMD_SCRATCH_K1, (size_t)(a->batch * j.pcount));
    if (!j.base.work || !j.parts)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "attention_backward: out of memory");
    simd_parallel_for(a->batch, attention_backward_param_task, &j);
    const int acc = SACC(a);
    if (bilinear) {
        if (SHAS(a->dw))
            attention_sum_parts(SP(a->dw), j.parts, a->batch, j.pcount, 0, j.pcount, acc);
    } else {
        if (SHAS(a->dw_q))
            attention_sum_parts(SP(a->dw_q), j.parts, a->batch, j.pcount, 0, A * a->q_dim, acc);
        if (SHAS(a->dw_k))
            attention_sum_parts(SP(a->dw_k), j.parts, a->batch, j.pcount, A * a->q_dim, A * a->k_dim, acc);
        if (SHAS(a->dw_v))
            attention_sum_parts(SP(a->dw_v), j.parts, a->batch, j.pcount, A * (a->q_dim + a->k_dim), A, acc);
    }
    return SEQNN_OK;
}

seqnn_status simd_attention_backward(const seqnn_call *call, const seqnn_attention_args *a)
{
    int disjoint = (!SHAS(a->dq) || attention_disjoint(a, a->q_len, a->q_dim, a->q_sb, a->q_sh, a->q_st)) &&
                   (!SHAS(a->dk) || attention_disjoint(a, a->k_len, a->k_dim, a->k_sb, a->k_sh, a->k_st)) &&
                   (!SHAS(a->dv) || attention_disjoint(a, a->k_len, a->v_dim, a->v_sb, a->v_sh, a->v_st));
    if (a->score == SEQNN_SCORE_BILINEAR || a->score == SEQNN_SCORE_ADDITIVE) {
        if (a->batch <= 0)
            return seqnn_ref_f32_attention_backward(call, a);   /* clears the parameter grads */
        if (!disjoint)
            return seqnn_ref_f32_attention_backward(call, a);   /* overlapping slices: serial reference */
        return attention_backward_param(call, a);
    }
    attention_job j = { a, attention_dot_factor(a), NULL, (size_t)a->k_len + 16 };
    if (a->batch <= 0 || a->heads <= 0)
        return SEQNN_OK;
    if (disjoint && attention_gemm_path(a))
        j.work_stride = attention_gemm_bwork(a);
    j.work = simd_scratch(simd_dev(call), SIMD_SCRATCH_K0, j.work_stride * (size_t)simd_threads_count());
    if (!j.work)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "attention_backward: out of memory");
    if (disjoint) {
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

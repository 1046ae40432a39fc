/* Attention on the device (kernels/attention.cl): projections for the
 * bilinear and additive scores, scores + masked softmax per query row, and
 * the contractions of forward (weights . v) and backward (dq, dk, dv and the
 * score parameters' gradients), each gradient summed in a fixed order. From
 * 2^20 multiply-adds (ocl_device.gemm_path_min) the dot-product scores, the
 * dout . v products of the backward and every contraction run as CLBlast
 * GEMMs batched over (batch, head). */
#include <math.h>
#include "ocl.h"

typedef struct ocl_strided4 {            /* a (b, h, t, d) tensor */
    ocl_ref r;
    int64_t sb, sh, st;
} ocl_strided4;

static ocl_strided4 ocl_s4(seqnn_tref t, int64_t sb, int64_t sh, int64_t st)
{
    ocl_strided4 s = { ocl_tref(t), sb, sh, st };
    return s;
}

/* scratch [B, L, E] contiguous as a (b, h=0, t, e) tensor */
static ocl_strided4 ocl_s4_dense(ocl_ref r, int64_t L, int64_t E)
{
    ocl_strided4 s = { r, L * E, 0, E };
    return s;
}

static void ocl_arg_s4(ocl_launch *L, ocl_strided4 s)
{
    ocl_arg_ref(L, s.r);
    ocl_arg_long(L, s.sb);
    ocl_arg_long(L, s.sh);
    ocl_arg_long(L, s.st);
}

/* out(b, t, e) (+)= sum_d in(b, t, d) W[e*ws_e + d*ws_d] */
static seqnn_status ocl_attn_project(const seqnn_call *call, ocl_strided4 in, ocl_ref w, int64_t ws_e,
                                     int64_t ws_d, ocl_strided4 out, int64_t B, int64_t L, int64_t E,
                                     int64_t D, int acc)
{
    ocl_launch K = ocl_begin(call, OCL_K_attn_project);
    ocl_arg_ref(&K, in.r);
    ocl_arg_long(&K, in.sb);
    ocl_arg_long(&K, in.st);
    ocl_arg_ref(&K, w);
    ocl_arg_long(&K, ws_e);
    ocl_arg_long(&K, ws_d);
    ocl_arg_ref(&K, out.r);
    ocl_arg_long(&K, out.sb);
    ocl_arg_long(&K, out.st);
    ocl_arg_long(&K, B);
    ocl_arg_long(&K, L);
    ocl_arg_long(&K, E);
    ocl_arg_long(&K, D);
    ocl_arg_int(&K, acc);
    return ocl_run(&K, B * L * E);
}

/* ---- the GEMM path: an operand of a product batched over (b, h), the
 * (b, h) matrix at r + b*sb + h*sh with row stride ld (columns contiguous) */
typedef struct ocl_bh {
    ocl_ref r;
    int64_t sb, sh, ld;
} ocl_bh;

static ocl_bh ocl_bh_of(ocl_strided4 s)
{
    ocl_bh x = { s.r, s.sb, s.sh, s.st };
    return x;
}

/* The weights-shaped [B, NH, lq, lk] operand (contiguous, at r) */
static ocl_bh ocl_bh_wts(ocl_ref r, const seqnn_attention_args *a)
{
    ocl_bh x = { r, a->heads * a->q_len * a->k_len, a->q_len * a->k_len, a->k_len };
    return x;
}

/* Whether x's (b, h) matrices of rows x cols (stored) suit CLBlast: strides
 * not negative, ld >= cols, and (with several heads) a head stride */
static int ocl_bh_ok(const ocl_bh *x, int64_t NH, int64_t cols)
{
    return x->sb >= 0 && x->sh >= 0 && x->ld >= cols && x->ld >= 1 && (NH == 1 || x->sh > 0);
}

/* The stride of x over the flat index b*NH + h, when there is one */
static int ocl_bh_flat(const ocl_bh *x, int64_t B, int64_t NH, int64_t *stride)
{
    *stride = NH == 1 ? x->sb : x->sh;
    return NH == 1 || B == 1 || x->sb == NH * x->sh;
}

/* Whether a product of `macs` multiply-adds takes the GEMM path */
static int ocl_attn_gemm_path(const seqnn_call *call, double macs)
{
    return macs >= (double)ocl_dev(call)->gemm_path_min;
}

/* C_bh = alpha op(A_bh) op(B_bh) + beta C_bh for every (b, h): one strided
 * batched CLBlast call when every operand has a stride over b*NH + h, else
 * one per b over the heads */
static seqnn_status ocl_attn_bgemm(const seqnn_call *call, const seqnn_attention_args *a, int ta, int tb,
                                   int64_t m, int64_t n, int64_t k, double alpha, ocl_bh A, ocl_bh Bm,
                                   double beta, ocl_bh C)
{
    int64_t B = a->batch, NH = a->heads, sa, sb, sc;
    if (ocl_bh_flat(&A, B, NH, &sa) && ocl_bh_flat(&Bm, B, NH, &sb) && ocl_bh_flat(&C, B, NH, &sc))
        return ocl_gemm(call, ta, tb, m, n, k, alpha, A.r, A.ld, Bm.r, Bm.ld, beta, C.r, C.ld, B * NH, sa, sb, sc);
    for (int64_t b = 0; b < B; b++)
        OCL_TRY(ocl_gemm(call, ta, tb, m, n, k, alpha, ocl_at(A.r, b * A.sb), A.ld, ocl_at(Bm.r, b * Bm.sb), Bm.ld,
                         beta, ocl_at(C.r, b * C.sb), C.ld, NH, A.sh, Bm.sh, C.sh));
    return SEQNN_OK;
}

/* trans == 0: dst(b, h, i, e) (+)= scale * sum_j mat[b, h, i, j] src(b, h, j, e)
 * trans == 1: dst(b, h, j, e) (+)= scale * sum_i mat[b, h, i, j] src(b, h, i, e)
 * as batched GEMMs on the GEMM path, else attn_contract */
static seqnn_status ocl_attn_contract(const seqnn_call *call, const seqnn_attention_args *a, ocl_ref mat,
                                      int trans, ocl_strided4 src, ocl_strided4 dst, int64_t E,
                                      double scale, int acc)
{
    int64_t rows = trans ? a->k_len : a->q_len, inner = trans ? a->q_len : a->k_len;
    ocl_bh M = ocl_bh_wts(mat, a), S = ocl_bh_of(src), D = ocl_bh_of(dst);
    if (ocl_attn_gemm_path(call, (double)(a->batch * a->heads) * rows * inner * E) && inner > 0 &&
        ocl_bh_ok(&M, a->heads, a->k_len) && ocl_bh_ok(&S, a->heads, E) && ocl_bh_ok(&D, a->heads, E))
        return ocl_attn_bgemm(call, a, trans, 0, rows, E, inner, scale, M, S, acc ? 1.0 : 0.0, D);
    ocl_launch K = ocl_begin(call, OCL_K_attn_contract);
    ocl_arg_ref(&K, mat);
    ocl_arg_int(&K, trans);
    ocl_arg_s4(&K, src);
    ocl_arg_s4(&K, dst);
    ocl_arg_long(&K, a->batch);
    ocl_arg_long(&K, a->heads);
    ocl_arg_long(&K, a->q_len);
    ocl_arg_long(&K, a->k_len);
    ocl_arg_long(&K, E);
    ocl_arg_float(&K, scale);
    ocl_arg_int(&K, acc);
    return ocl_run(&K, a->batch * a->heads * (trans ? a->k_len : a->q_len) * E);
}

/* dst[d, e] (+)= sum_{b, t} x(b, t, d) y(b, t, e) */
static seqnn_status ocl_attn_outer(const seqnn_call *call, ocl_strided4 x, ocl_strided4 y, seqnn_tref dst,
                                   int64_t B, int64_t L, int64_t D1, int64_t D2, int acc)
{
    ocl_launch K = ocl_begin(call, OCL_K_attn_outer);
    ocl_arg_ref(&K, x.r);
    ocl_arg_long(&K, x.sb);
    ocl_arg_long(&K, x.st);
    ocl_arg_ref(&K, y.r);
    ocl_arg_long(&K, y.sb);
    ocl_arg_long(&K, y.st);
    ocl_arg_t(&K, dst);
    ocl_arg_long(&K, B);
    ocl_arg_long(&K, L);
    ocl_arg_long(&K, D1);
    ocl_arg_long(&K, D2);
    ocl_arg_int(&K, acc);
    return ocl_run(&K, D1 * D2);
}

static double ocl_attn_scale(const seqnn_attention_args *a)
{
    if (a->score == SEQNN_SCORE_SCALED_DOT)
        return a->scale != 0.0 ? a->scale : 1.0 / sqrt((double)a->q_dim);
    return 1.0;
}

/* Projections of the bilinear/additive scores into scratch C (queries) and D (keys):
 * bilinear: qW [B, Lq, Dk] (and, for backward, Wk [B, Lk, Dq]); additive: pq [B, Lq, A], pk [B, Lk, A]. */
static seqnn_status ocl_attn_projections(const seqnn_call *call, const seqnn_attention_args *a, int for_backward,
                                         ocl_ref *pq, ocl_ref *pk)
{
    int64_t B = a->batch, Lq = a->q_len, Lk = a->k_len;
    ocl_strided4 q = ocl_s4(a->q, a->q_sb, a->q_sh, a->q_st), k = ocl_s4(a->k, a->k_sb, a->k_sh, a->k_st);
    if (a->score == SEQNN_SCORE_BILINEAR) {
        ocl_ref w = ocl_tref(a->w);
        OCL_TRY(ocl_scratch(call, OCL_S_C, (size_t)(B * Lq * a->k_dim) * 4 + 4, pq));
        OCL_TRY(ocl_attn_project(call, q, w, 1, a->k_dim, ocl_s4_dense(*pq, Lq, a->k_dim), B, Lq, a->k_dim,
                                 a->q_dim, 0));
        if (for_backward) {
            OCL_TRY(ocl_scratch(call, OCL_S_D, (size_t)(B * Lk * a->q_dim) * 4 + 4, pk));
            OCL_TRY(ocl_attn_project(call, k, w, a->k_dim, 1, ocl_s4_dense(*pk, Lk, a->q_dim), B, Lk,
                                     a->q_dim, a->k_dim, 0));
        }
    } else if (a->score == SEQNN_SCORE_ADDITIVE) {
        int64_t A = a->attn_dim;
        OCL_TRY(ocl_scratch(call, OCL_S_C, (size_t)(B * Lq * A) * 4 + 4, pq));
        OCL_TRY(ocl_scratch(call, OCL_S_D, (size_t)(B * Lk * A) * 4 + 4, pk));
        OCL_TRY(ocl_attn_project(call, q, ocl_tref(a->w_q), a->q_dim, 1, ocl_s4_dense(*pq, Lq, A), B, Lq, A,
                                 a->q_dim, 0));
        OCL_TRY(ocl_attn_project(call, k, ocl_tref(a->w_k), a->k_dim, 1, ocl_s4_dense(*pk, Lk, A), B, Lk, A,
                                 a->k_dim, 0));
    }
    return SEQNN_OK;
}

seqnn_status ocl_k_attention_forward(const seqnn_call *call, const seqnn_attention_args *a)
{
    int64_t B = a->batch, NH = a->heads, Lq = a->q_len, Lk = a->k_len;
    if (B * NH * Lq == 0)
        return SEQNN_OK;
    ocl_ref klens = { NULL, -1 }, pq = { NULL, -1 }, pk = { NULL, -1 }, wts = ocl_tref(a->weights);
    if (a->key_lengths)
        OCL_TRY(ocl_upload_ints(call, OCL_S_LENGTHS, a->key_lengths, B, &klens));
    if (!OCL_HAS(a->weights))
        OCL_TRY(ocl_scratch(call, OCL_S_A, (size_t)(B * NH * Lq * Lk) * 4 + 4, &wts));
    OCL_TRY(ocl_attn_projections(call, a, 0, &pq, &pk));
    ocl_strided4 left = ocl_s4(a->q, a->q_sb, a->q_sh, a->q_st), right = ocl_s4(a->k, a->k_sb, a->k_sh, a->k_st);
    int64_t D = a->q_dim;
    int mode = 0;
    if (a->score == SEQNN_SCORE_BILINEAR) {
        left = ocl_s4_dense(pq, Lq, a->k_dim);
        D = a->k_dim;
    } else if (a->score == SEQNN_SCORE_ADDITIVE) {
        left = ocl_s4_dense(pq, Lq, a->attn_dim);
        right = ocl_s4_dense(pk, Lk, a->attn_dim);
        D = a->attn_dim;
        mode = 1;
    }
    ocl_bh L = ocl_bh_of(left), R = ocl_bh_of(right), W = ocl_bh_wts(wts, a);
    if (mode == 0 && ocl_attn_gemm_path(call, (double)(B * NH) * Lq * Lk * D) && D > 0 &&
        ocl_bh_ok(&L, NH, D) && ocl_bh_ok(&R, NH, D) && ocl_bh_ok(&W, NH, Lk)) {
        /* every score as one batched GEMM, then the masked softmax per row */
        OCL_TRY(ocl_attn_bgemm(call, a, 0, 1, Lq, Lk, D, ocl_attn_scale(a), L, R, 0.0, W));
        ocl_launch S = ocl_begin(call, OCL_K_attn_softmax);
        ocl_arg_long(&S, B);
        ocl_arg_long(&S, NH);
        ocl_arg_long(&S, Lq);
        ocl_arg_long(&S, Lk);
        ocl_arg_ref(&S, klens);
        ocl_arg_int(&S, a->causal);
        ocl_arg_ref(&S, wts);
        OCL_TRY(ocl_run(&S, B * NH * Lq));
        return OCL_HAS(a->out) ? ocl_attn_contract(call, a, wts, 0, ocl_s4(a->v, a->v_sb, a->v_sh, a->v_st),
                                                   ocl_s4(a->out, a->o_sb, a->o_sh, a->o_st), a->v_dim, 1.0, 0)
                               : SEQNN_OK;
    }
    ocl_launch K = ocl_begin(call, OCL_K_attn_scores);
    ocl_arg_int(&K, mode);
    ocl_arg_long(&K, B);
    ocl_arg_long(&K, NH);
    ocl_arg_long(&K, Lq);
    ocl_arg_long(&K, Lk);
    ocl_arg_long(&K, D);
    ocl_arg_s4(&K, left);
    ocl_arg_s4(&K, right);
    ocl_arg_t(&K, a->w_v);
    ocl_arg_float(&K, ocl_attn_scale(a));
    ocl_arg_ref(&K, klens);
    ocl_arg_int(&K, a->causal);
    ocl_arg_ref(&K, wts);
    OCL_TRY(ocl_run(&K, B * NH * Lq));
    if (!OCL_HAS(a->out))
        return SEQNN_OK;
    return ocl_attn_contract(call, a, wts, 0, ocl_s4(a->v, a->v_sb, a->v_sh, a->v_st),
                             ocl_s4(a->out, a->o_sb, a->o_sh, a->o_st), a->v_dim, 1.0, 0);
}

/* No queries or an empty batch: every gradient is an empty sum, so OVERWRITE
 * leaves zeros (dk, dv and the score parameters' gradients; dq is empty) and
 * accumulation leaves everything unchanged. The contractions over zero
 * queries and the outer products over zero rows write exactly those zeros. */
static seqnn_status ocl_attn_zero_grads(const seqnn_call *call, const seqnn_attention_args *a)
{
    ocl_ref none = { ocl_dev(call)->dummy, 0 };
    ocl_strided4 nothing = { none, 0, 0, 0 };
    seqnn_attention_args z = *a;
    z.q_len = 0;
    if (OCL_HAS(a->dk))
        OCL_TRY(ocl_attn_contract(call, &z, none, 1, nothing, ocl_s4(a->dk, a->k_sb, a->k_sh, a->k_st),
                                  a->k_dim, 1.0, 0));
    if (OCL_HAS(a->dv))
        OCL_TRY(ocl_attn_contract(call, &z, none, 1, nothing, ocl_s4(a->dv, a->v_sb, a->v_sh, a->v_st),
                                  a->v_dim, 1.0, 0));
    if (OCL_HAS(a->dw))
        OCL_TRY(ocl_attn_outer(call, nothing, nothing, a->dw, 0, 0, a->q_dim, a->k_dim, 0));
    if (OCL_HAS(a->dw_q))
        OCL_TRY(ocl_attn_outer(call, nothing, nothing, a->dw_q, 0, 0, a->attn_dim, a->q_dim, 0));
    if (OCL_HAS(a->dw_k))
        OCL_TRY(ocl_attn_outer(call, nothing, nothing, a->dw_k, 0, 0, a->attn_dim, a->k_dim, 0));
    if (OCL_HAS(a->dw_v))
        OCL_TRY(ocl_attn_outer(call, nothing, nothing, a->dw_v, 0, 0, a->attn_dim, 1, 0));
    return SEQNN_OK;
}

/* ds = dL/dscores (masked entries 0): on the GEMM path dout . v of every
 * (i, j) as a batched GEMM, then attn_ds_rows; else attn_ds */
static seqnn_status ocl_attn_ds(const seqnn_call *call, const seqnn_attention_args *a, ocl_ref wts,
                                ocl_strided4 dout, ocl_ref ds)
{
    int64_t B = a->batch, NH = a->heads, Lq = a->q_len, Lk = a->k_len;
    ocl_bh O = ocl_bh_of(dout), V = ocl_bh_of(ocl_s4(a->v, a->v_sb, a->v_sh, a->v_st)), W = ocl_bh_wts(wts, a);
    if (ocl_attn_gemm_path(call, (double)(B * NH) * Lq * Lk * a->v_dim) && a->v_dim > 0 &&
        ocl_bh_ok(&O, NH, a->v_dim) && ocl_bh_ok(&V, NH, a->v_dim) && ocl_bh_ok(&W, NH, Lk)) {
        /* dout_i . v_j of every (i, j) as one batched GEMM, then ds per row */
        OCL_TRY(ocl_attn_bgemm(call, a, 0, 1, Lq, Lk, a->v_dim, 1.0, O, V, 0.0, ocl_bh_wts(ds, a)));
        ocl_launch K = ocl_begin(call, OCL_K_attn_ds_rows);
        ocl_arg_ref(&K, wts);
        ocl_arg_mem(&K, ds.mem);
        ocl_arg_long(&K, B * NH * Lq);
        ocl_arg_long(&K, Lk);
        OCL_TRY(ocl_run(&K, B * NH * Lq));
    } else {
        ocl_launch K = ocl_begin(call, OCL_K_attn_ds);
        ocl_arg_ref(&K, wts);
        ocl_arg_s4(&K, dout);
        ocl_arg_s4(&K, ocl_s4(a->v, a->v_sb, a->v_sh, a->v_st));
        ocl_arg_mem(&K, ds.mem);
        ocl_arg_long(&K, B);
        ocl_arg_long(&K, NH);
        ocl_arg_long(&K, Lq);
        ocl_arg_long(&K, Lk);
        ocl_arg_long(&K, a->v_dim);
        OCL_TRY(ocl_run(&K, B * NH * Lq));
    }
    return SEQNN_OK;
}

seqnn_status ocl_k_attention_backward(const seqnn_call *call, const seqnn_attention_args *a)
{
    int64_t B = a->batch, NH = a->heads, Lq = a->q_len, Lk = a->k_len;
    int acc = OCL_ACC(a);
    if (B * NH * Lq == 0)
        return acc ? SEQNN_OK : ocl_attn_zero_grads(call, a);
    ocl_ref wts = ocl_tref(a->weights), ds, pq = { NULL, -1 }, pk = { NULL, -1 };
    ocl_strided4 q = ocl_s4(a->q, a->q_sb, a->q_sh, a->q_st), k = ocl_s4(a->k, a->k_sb, a->k_sh, a->k_st);
    ocl_strided4 dout = ocl_s4(a->dout, a->o_sb, a->o_sh, a->o_st);
    /* ds = dL/dscores (masked entries 0) */
    OCL_TRY(ocl_scratch(call, OCL_S_A, (size_t)(B * NH * Lq * Lk) * 4 + 4, &ds));
    OCL_TRY(ocl_attn_ds(call, a, wts, dout, ds));
    if (OCL_HAS(a->dv))
        OCL_TRY(ocl_attn_contract(call, a, wts, 1, dout, ocl_s4(a->dv, a->v_sb, a->v_sh, a->v_st),
                                  a->v_dim, 1.0, acc));
    ocl_strided4 dq = ocl_s4(a->dq, a->q_sb, a->q_sh, a->q_st), dk = ocl_s4(a->dk, a->k_sb, a->k_sh, a->k_st);
    if (a->score == SEQNN_SCORE_DOT || a->score == SEQNN_SCORE_SCALED_DOT) {
        double sc = ocl_attn_scale(a);
        if (OCL_HAS(a->dq))
            OCL_TRY(ocl_attn_contract(call, a, ds, 0, k, dq, a->q_dim, sc, acc));
        if (OCL_HAS(a->dk))
            OCL_TRY(ocl_attn_contract(call, a, ds, 1, q, dk, a->k_dim, sc, acc));
        return SEQNN_OK;
    }
    OCL_TRY(ocl_attn_projections(call, a, 1, &pq, &pk));
    if (a->score == SEQNN_SCORE_BILINEAR) {
        if (OCL_HAS(a->dq))              /* dq_i = sum_j ds_ij W k_j */
            OCL_TRY(ocl_attn_contract(call, a, ds, 0, ocl_s4_dense(pk, Lk, a->q_dim), dq, a->q_dim, 1.0, acc));
        if (OCL_HAS(a->dk))              /* dk_j = sum_i ds_ij W^T q_i */
            OCL_TRY(ocl_attn_contract(call, a, ds, 1, ocl_s4_dense(pq, Lq, a->k_dim), dk, a->k_dim, 1.0, acc));
        if (OCL_HAS(a->dw)) {            /* dW = sum_{b,i} q_i (sum_j ds_ij k_j)^T */
            ocl_ref g;
            OCL_TRY(ocl_scratch(call, OCL_S_E, (size_t)(B * Lq * a->k_dim) * 4 + 4, &g));
            OCL_TRY(ocl_attn_contract(call, a, ds, 0, k, ocl_s4_dense(g, Lq, a->k_dim), a->k_dim, 1.0, 0));
            OCL_TRY(ocl_attn_outer(call, q, ocl_s4_dense(g, Lq, a->k_dim), a->dw, B, Lq, a->q_dim, a->k_dim, acc));
        }
        return SEQNN_OK;
    }
    /* additive */
    int64_t A = a->attn_dim;
    ocl_ref du, dkp;
    OCL_TRY(ocl_scratch(call, OCL_S_E, (size_t)(B * Lq * A) * 4 + 4, &du));
    OCL_TRY(ocl_scratch(call, OCL_S_F, (size_t)(B * Lk * A) * 4 + 4, &dkp));
    ocl_kernel_id ids[2] = { OCL_K_attn_additive_du, OCL_K_attn_additive_dk };
    ocl_ref outs[2] = { du, dkp };
    int64_t lens[2] = { Lq, Lk };
    for (int i = 0; i < 2; i++) {
        ocl_launch K = ocl_begin(call, ids[i]);
        ocl_arg_mem(&K, ds.mem);
        ocl_arg_mem(&K, pq.mem);
        ocl_arg_mem(&K, pk.mem);
        ocl_arg_t(&K, a->w_v);
        ocl_arg_mem(&K, outs[i].mem);
        ocl_arg_long(&K, B);
        ocl_arg_long(&K, Lq);
        ocl_arg_long(&K, Lk);
        ocl_arg_long(&K, A);
        OCL_TRY(ocl_run(&K, B * lens[i] * A));
    }
    if (OCL_HAS(a->dw_v)) {
        ocl_launch K = ocl_begin(call, OCL_K_attn_additive_dwv);
        ocl_arg_mem(&K, ds.mem);
        ocl_arg_mem(&K, pq.mem);
        ocl_arg_mem(&K, pk.mem);
        ocl_arg_t(&K, a->dw_v);
        ocl_arg_long(&K, B);
        ocl_arg_long(&K, Lq);
        ocl_arg_long(&K, Lk);
        ocl_arg_long(&K, A);
        ocl_arg_int(&K, acc);
        OCL_TRY(ocl_run(&K, A));
    }
    ocl_strided4 dus = ocl_s4_dense(du, Lq, A), dks = ocl_s4_dense(dkp, Lk, A);
    if (OCL_HAS(a->dq))                  /* dq = W_q^T du */
        OCL_TRY(ocl_attn_project(call, dus, ocl_tref(a->w_q), 1, a->q_dim, dq, B, Lq, a->q_dim, A, acc));
    if (OCL_HAS(a->dw_q))
        OCL_TRY(ocl_attn_outer(call, dus, q, a->dw_q, B, Lq, A, a->q_dim, acc));
    if (OCL_HAS(a->dk))
        OCL_TRY(ocl_attn_project(call, dks, ocl_tref(a->w_k), 1, a->k_dim, dk, B, Lk, a->k_dim, A, acc));
    if (OCL_HAS(a->dw_k))
        OCL_TRY(ocl_attn_outer(call, dks, k, a->dw_k, B, Lk, A, a->k_dim, acc));
    return SEQNN_OK;
}

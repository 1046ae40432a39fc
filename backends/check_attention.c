/* Argument checks of the attention family (attention_forward,
 * attention_backward), run by the core before any plugin.
 * The rules are those of include/seqnn/kernels.h; docs/kernels/attention.md. */
#include <math.h>
#include <stdint.h>
#include "check.h"

/* Extent of a [B, heads, T, D] tensor with strides (sb, sh, st, 1). */
static int64_t attention_extent(const seqnn_attention_args *a, int64_t len, int64_t dim,
                                int64_t sb, int64_t sh, int64_t st)
{
    const int64_t dims[4] = {a->batch, a->heads, len, dim}, strides[4] = {sb, sh, st, 1};
    return seqnn_extent(4, dims, strides);
}

static int64_t attention_weights_count(const seqnn_attention_args *a)
{
    return seqnn_mul_sat(seqnn_mul_sat(a->batch, a->heads), seqnn_mul_sat(a->q_len, a->k_len));
}

/* A tensor that belongs to another score kind must be absent: a present one
 * would be ignored, and nothing is ever silently ignored. */
static seqnn_status attention_check_absent(const seqnn_checker *c, const char *name, seqnn_tref t,
                                           const char *owner)
{
    if (t.buf != NULL)
        return seqnn_check_fail(c, "%s: only used by the %s score, must be absent", name, owner);
    return SEQNN_OK;
}

/* Score kind, sizes, masks and the score's parameters (shared by forward and
 * backward). */
static seqnn_status attention_check_common(const seqnn_checker *c, const seqnn_attention_args *a)
{
    const int bilinear = a->score == SEQNN_SCORE_BILINEAR;
    const int additive = a->score == SEQNN_SCORE_ADDITIVE;
    int64_t b;
    if ((int)a->score < 0 || (int)a->score >= (int)SEQNN_SCORE_COUNT)
        return seqnn_check_fail(c, "score = %d, must be in [0, %d)", (int)a->score,
                                (int)SEQNN_SCORE_COUNT);
    SEQNN_CHECK(seqnn_check_min(c, "batch", a->batch, 0));
    SEQNN_CHECK(seqnn_check_min(c, "heads", a->heads, 1));
    SEQNN_CHECK(seqnn_check_min(c, "q_len", a->q_len, 0));
    SEQNN_CHECK(seqnn_check_min(c, "k_len", a->k_len, 0));
    SEQNN_CHECK(seqnn_check_min(c, "q_dim", a->q_dim, 1));
    SEQNN_CHECK(seqnn_check_min(c, "k_dim", a->k_dim, 1));
    SEQNN_CHECK(seqnn_check_min(c, "v_dim", a->v_dim, 1));
    if (!bilinear && !additive && a->q_dim != a->k_dim)
        return seqnn_check_fail(c, "q_dim = %lld and k_dim = %lld must be equal for a dot score",
                                (long long)a->q_dim, (long long)a->k_dim);
    if (a->score == SEQNN_SCORE_SCALED_DOT && !isfinite(a->scale))
        return seqnn_check_fail(c, "scale = %g, must be finite (0 means 1/sqrt(q_dim))", a->scale);
    if ((bilinear || additive) && a->heads != 1)
        return seqnn_check_fail(c, "heads = %lld, the bilinear and additive scores need heads == 1",
                                (long long)a->heads);
    if (additive)
        SEQNN_CHECK(seqnn_check_min(c, "attn_dim", a->attn_dim, 1));
    if (a->causal != 0 && a->causal != 1)
        return seqnn_check_fail(c, "causal = %d, must be 0 or 1", a->causal);
    if (a->key_lengths) {
        for (b = 0; b < a->batch; b++) {
            if (a->key_lengths[b] < 0 || a->key_lengths[b] > a->k_len)
                return seqnn_check_fail(c, "key_lengths[%lld] = %ld, must be in [0, k_len = %lld]",
                                        (long long)b, (long)a->key_lengths[b], (long long)a->k_len);
        }
    }
    SEQNN_CHECK(seqnn_check_tensor(c, "q", a->q, SEQNN_F32,
                                   attention_extent(a, a->q_len, a->q_dim, a->q_sb, a->q_sh, a->q_st), 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "k", a->k, SEQNN_F32,
                                   attention_extent(a, a->k_len, a->k_dim, a->k_sb, a->k_sh, a->k_st), 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "v", a->v, SEQNN_F32,
                                   attention_extent(a, a->k_len, a->v_dim, a->v_sb, a->v_sh, a->v_st), 1));
    if (bilinear) {
        SEQNN_CHECK(seqnn_check_tensor(c, "w", a->w, SEQNN_F32, seqnn_mul_sat(a->q_dim, a->k_dim), 1));
    } else {
        SEQNN_CHECK(attention_check_absent(c, "w", a->w, "bilinear"));
    }
    if (additive) {
        SEQNN_CHECK(seqnn_check_tensor(c, "w_q", a->w_q, SEQNN_F32, seqnn_mul_sat(a->attn_dim, a->q_dim), 1));
        SEQNN_CHECK(seqnn_check_tensor(c, "w_k", a->w_k, SEQNN_F32, seqnn_mul_sat(a->attn_dim, a->k_dim), 1));
        SEQNN_CHECK(seqnn_check_tensor(c, "w_v", a->w_v, SEQNN_F32, a->attn_dim, 1));
    } else {
        SEQNN_CHECK(attention_check_absent(c, "w_q", a->w_q, "additive"));
        SEQNN_CHECK(attention_check_absent(c, "w_k", a->w_k, "additive"));
        SEQNN_CHECK(attention_check_absent(c, "w_v", a->w_v, "additive"));
    }
    return SEQNN_OK;
}

seqnn_status seqnn_check_attention_forward(const seqnn_checker *c, const seqnn_attention_args *a)
{
    SEQNN_CHECK(attention_check_common(c, a));
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "out", a->out, SEQNN_F32,
                                   attention_extent(a, a->q_len, a->v_dim, a->o_sb, a->o_sh, a->o_st), 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "weights", a->weights, SEQNN_F32, attention_weights_count(a), 0));
    return SEQNN_OK;
}

/* backward reads q, k, v, the score parameters, the forward's weights and
 * dout; out is not touched. */
seqnn_status seqnn_check_attention_backward(const seqnn_checker *c, const seqnn_attention_args *a)
{
    SEQNN_CHECK(attention_check_common(c, a));
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, SEQNN_FLAG_OVERWRITE));
    SEQNN_CHECK(seqnn_check_tensor(c, "weights", a->weights, SEQNN_F32, attention_weights_count(a), 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "dout", a->dout, SEQNN_F32,
                                   attention_extent(a, a->q_len, a->v_dim, a->o_sb, a->o_sh, a->o_st), 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "dq", a->dq, SEQNN_F32,
                                   attention_extent(a, a->q_len, a->q_dim, a->q_sb, a->q_sh, a->q_st), 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "dk", a->dk, SEQNN_F32,
                                   attention_extent(a, a->k_len, a->k_dim, a->k_sb, a->k_sh, a->k_st), 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "dv", a->dv, SEQNN_F32,
                                   attention_extent(a, a->k_len, a->v_dim, a->v_sb, a->v_sh, a->v_st), 0));
    if (a->score == SEQNN_SCORE_BILINEAR) {
        SEQNN_CHECK(seqnn_check_tensor(c, "dw", a->dw, SEQNN_F32, seqnn_mul_sat(a->q_dim, a->k_dim), 0));
    } else {
        SEQNN_CHECK(attention_check_absent(c, "dw", a->dw, "bilinear"));
    }
    if (a->score == SEQNN_SCORE_ADDITIVE) {
        SEQNN_CHECK(seqnn_check_tensor(c, "dw_q", a->dw_q, SEQNN_F32, seqnn_mul_sat(a->attn_dim, a->q_dim), 0));
        SEQNN_CHECK(seqnn_check_tensor(c, "dw_k", a->dw_k, SEQNN_F32, seqnn_mul_sat(a->attn_dim, a->k_dim), 0));
        SEQNN_CHECK(seqnn_check_tensor(c, "dw_v", a->dw_v, SEQNN_F32, a->attn_dim, 0));
    } else {
        SEQNN_CHECK(attention_check_absent(c, "dw_q", a->dw_q, "additive"));
        SEQNN_CHECK(attention_check_absent(c, "dw_k", a->dw_k, "additive"));
        SEQNN_CHECK(attention_check_absent(c, "dw_v", a->dw_v, "additive"));
    }
    return SEQNN_OK;
}

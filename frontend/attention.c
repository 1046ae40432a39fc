/* Attention layers. Self-attention (encoder = 0): nn.MultiheadAttention(E,
 * heads) over a time-major sequence [T, B, E]: one GEMM to q|k|v [T*B, 3E],
 * the attention kernel reading the three in place through its strides (key
 * lengths and the causal mask as masks), and the output projection.
 * Encoder-decoder attention (encoder = 1, a decoder layer): the decoder's
 * states [T', B, D] are queries over the encoder's last output [T, B, De]
 * (keys = values, masked by the source lengths); the output is Luong's
 * tanh(W_c [context; state] + b_c) [T', B, D], and the backward adds the keys'
 * and values' gradients into the encoder's output gradient. The weights of
 * the last forward are kept for seqnn_model_attention_weights.
 * Incremental decoding (fe_decoding): a causal self-attention keeps the
 * q|k|v rows of every step so far in a cache [decode_cap*B, 3E] and attends
 * from the new steps only; encoder attention needs nothing kept (its keys are
 * the encoder's output, its queries independent of each other). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fe.h"

static const seqnn_tref no_tensor = {NULL, 0};

typedef struct attn_priv {
    int self;                            /* 1: self-attention */
    int64_t qd, kd, vd;                  /* per-head sizes of q, k, v */
    int64_t p_score;                     /* first score parameter (bilinear/additive), or -1 */
    int64_t p_proj;                      /* self: in_proj_weight (then in_proj_bias, out_proj.*) */
    int64_t p_combine;                   /* encoder-decoder: combine.weight (then combine.bias) */
    fe_tensor qkv, dqkv;                 /* self: [T*B, 3E] */
    fe_tensor ctx, dctx;                 /* [Tq*B, heads*vd], heads side by side */
    fe_tensor pre, dpre;                 /* encoder-decoder: W_c [ctx; x] + b_c [Tq*B, D] */
    fe_tensor dv;                        /* encoder-decoder: the values' gradient before it is added */
    fe_tensor weights;                   /* [B, heads, Tq, Tk] of the last forward */
    fe_tensor cache, cache_tmp, ridx;    /* decoding: q|k|v of the steps so far; reordering's scratch */
    int64_t wdims[4];                    /* its shape (all 0 before the first forward) */
} attn_priv;

static void attn_destroy(seqnn_model *m, fe_layer *L)
{
    attn_priv *p = L->priv;
    if (!p)
        return;
    fe_tensor *ts[] = {&p->qkv,     &p->dqkv,  &p->ctx,       &p->dctx, &p->pre, &p->dpre,
                       &p->dv,      &p->weights, &p->cache, &p->cache_tmp, &p->ridx};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        fe_tensor_free(m, ts[i]);
    free(p);
    L->priv = NULL;
}

static int dot_score(seqnn_score s)
{
    return s == SEQNN_SCORE_DOT || s == SEQNN_SCORE_SCALED_DOT;
}

/* The score's own parameters over per-head sizes qd, kd (heads == 1). */
static seqnn_status score_params(seqnn_model *m, fe_layer *L, attn_priv *p)
{
    p->p_score = -1;
    if (L->att.score == SEQNN_SCORE_BILINEAR) {
        /* q^T W k with W as nn.Linear(kd, qd, bias=False).weight */
        int64_t w[2] = {p->qd, p->kd};
        FE_TRY(fe_param_new(m, L, "weight", 2, w, FE_INIT_UNIFORM, 1.0 / sqrt((double)p->kd), &p->p_score));
    } else if (L->att.score == SEQNN_SCORE_ADDITIVE) {
        /* v . tanh(W_q q + W_k k): nn.Linear(qd, A), nn.Linear(kd, A), nn.Linear(A, 1), no biases */
        int64_t A = L->att.attn_dim > 0 ? L->att.attn_dim : p->qd;
        int64_t wq[2] = {A, p->qd}, wk[2] = {A, p->kd}, wv[2] = {1, A};
        FE_TRY(fe_param_new(m, L, "query.weight", 2, wq, FE_INIT_UNIFORM, 1.0 / sqrt((double)p->qd), &p->p_score));
        FE_TRY(fe_param_new(m, L, "key.weight", 2, wk, FE_INIT_UNIFORM, 1.0 / sqrt((double)p->kd), NULL));
        FE_TRY(fe_param_new(m, L, "v.weight", 2, wv, FE_INIT_UNIFORM, 1.0 / sqrt((double)A), NULL));
    }
    return SEQNN_OK;
}

static seqnn_status attn_build(seqnn_model *m, fe_layer *L)
{
    FE_TRY(fe_need_floats(L));
    if (!L->in.seq)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "attention reads a sequence; its input is [B, %lld]",
                               (long long)L->in.n);
    const seqnn_attention_desc *d = &L->att;
    int64_t H = d->heads, D = L->in.n;
    attn_priv *p = calloc(1, sizeof *p);
    if (!p)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    L->priv = p;
    p->self = !d->encoder;
    p->p_proj = p->p_combine = -1;
    if (p->self) {
        if (D % H)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                                   "self-attention: the size %lld is not a multiple of heads %lld", (long long)D,
                                   (long long)H);
        p->qd = p->kd = p->vd = D / H;
        /* nn.MultiheadAttention's parameters and initialisation */
        int64_t win[2] = {3 * D, D}, bin[1] = {3 * D}, wout[2] = {D, D}, bout[1] = {D};
        FE_TRY(fe_param_new(m, L, "in_proj_weight", 2, win, FE_INIT_UNIFORM, sqrt(6.0 / (double)(4 * D)),
                            &p->p_proj));
        FE_TRY(fe_param_new(m, L, "in_proj_bias", 1, bin, FE_INIT_ZERO, 0.0, NULL));
        FE_TRY(fe_param_new(m, L, "out_proj.weight", 2, wout, FE_INIT_UNIFORM, 1.0 / sqrt((double)D), NULL));
        FE_TRY(fe_param_new(m, L, "out_proj.bias", 1, bout, FE_INIT_ZERO, 0.0, NULL));
        FE_TRY(score_params(m, L, p));
        L->out = L->in;
        return SEQNN_OK;
    }
    const fe_layer *enc = fe_encoder_output(m);
    if (!L->decoder || !enc)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "encoder attention belongs in a decoder (after begin_decoder)");
    if (!enc->out.seq || enc->out.tokens)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "encoder attention needs the encoder to output a sequence; its last layer '%s' "
                               "outputs [B, %lld] (last = 1?)", enc->name, (long long)enc->out.n);
    int64_t De = enc->out.n;
    if (dot_score(d->score) && De != D)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "a dot score needs the decoder's size (%lld) to equal the encoder's (%lld); "
                               "use the bilinear or additive score", (long long)D, (long long)De);
    if (D % H)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "encoder attention: the size %lld is not a multiple of heads %lld", (long long)D,
                               (long long)H);
    p->qd = D / H;
    p->kd = p->vd = De / H;
    FE_TRY(score_params(m, L, p));
    /* W_c as nn.Linear(De + D, D): columns [0, De) see the context, [De, De+D) the state */
    int64_t wc[2] = {D, De + D}, bc[1] = {D};
    double bound = 1.0 / sqrt((double)(De + D));
    FE_TRY(fe_param_new(m, L, "combine.weight", 2, wc, FE_INIT_UNIFORM, bound, &p->p_combine));
    FE_TRY(fe_param_new(m, L, "combine.bias", 1, bc, FE_INIT_UNIFORM, bound, NULL));
    L->out = L->in;
    return SEQNN_OK;
}

/* The attention kernel's arguments for the current batch: q, k, v, out
 * (= ctx), weights, masks and the score's parameters. */
static seqnn_attention_args attn_args(seqnn_model *m, fe_layer *L, const fe_tensor *x)
{
    attn_priv *p = L->priv;
    int64_t B = m->B, H = L->att.heads, Tq = fe_steps(m, L);
    seqnn_attention_args a;
    memset(&a, 0, sizeof a);
    a.score = L->att.score;
    a.batch = B;
    a.heads = H;
    a.q_len = Tq;
    a.q_dim = p->qd;
    a.k_dim = p->kd;
    a.v_dim = p->vd;
    a.scale = 0.0;                       /* SCALED_DOT: 1/sqrt(head size), as PyTorch */
    if (p->self) {                       /* q | k | v side by side in rows of qkv [T*B, 3E] */
        int64_t E = L->in.n;
        a.k_len = Tq;
        a.q = fe_at(&p->qkv, 0);
        a.k = fe_at(&p->qkv, E);
        a.v = fe_at(&p->qkv, 2 * E);
        a.q_sb = a.k_sb = a.v_sb = 3 * E;
        a.q_sh = a.k_sh = a.v_sh = p->qd;
        a.q_st = a.k_st = a.v_st = B * 3 * E;
        a.key_lengths = fe_lengths(m, L);
        a.causal = L->att.causal;
    } else {                             /* q = x [Tq*B, D]; k = v = encoder output [T*B, De] */
        const fe_layer *enc = fe_encoder_output(m);
        int64_t D = L->in.n, De = enc->out.n;
        a.k_len = m->T;
        a.q = fe_at(x, 0);
        a.q_sb = D;
        a.q_sh = p->qd;
        a.q_st = B * D;
        a.k = a.v = fe_at(&enc->y, 0);
        a.k_sb = a.v_sb = De;
        a.k_sh = a.v_sh = p->kd;
        a.k_st = a.v_st = B * De;
        a.key_lengths = m->lengths;      /* the source's lengths */
    }
    int64_t Dv = H * p->vd;
    a.out = fe_at(&p->ctx, 0);
    a.o_sb = Dv;
    a.o_sh = p->vd;
    a.o_st = B * Dv;
    a.weights = fe_at(&p->weights, 0);
    if (L->att.score == SEQNN_SCORE_BILINEAR) {
        a.w = fe_param_ref(m, p->p_score);
    } else if (L->att.score == SEQNN_SCORE_ADDITIVE) {
        a.attn_dim = m->params[p->p_score].shape[0];
        a.w_q = fe_param_ref(m, p->p_score);
        a.w_k = fe_param_ref(m, p->p_score + 1);
        a.w_v = fe_param_ref(m, p->p_score + 2);
    }
    return a;
}

/* Decoding: q of the new steps, k and v of every step so far, all in the
 * cache; the new steps are pos .. pos+Tq-1 (Tq > 1 only from pos 0, where
 * the causal mask applies as in training). */
static void step_args(const seqnn_model *m, fe_layer *L, seqnn_attention_args *a)
{
    attn_priv *p = L->priv;
    int64_t E = L->in.n, pos = m->decode_pos, rowlen = m->B * 3 * E;
    a->k_len = pos + a->q_len;
    a->q = fe_at(&p->cache, pos * rowlen);
    a->k = fe_at(&p->cache, E);
    a->v = fe_at(&p->cache, 2 * E);
    a->key_lengths = NULL;
    a->causal = a->q_len > 1;
}

/* C[rows, n] = A[rows, k] W^T (+ C when beta = 1), W [n, k] with row stride ldw. */
static seqnn_status gemm_nt(seqnn_model *m, int64_t rows, int64_t n, int64_t k, seqnn_tref a, int64_t lda,
                            seqnn_tref w, int64_t ldw, double beta, seqnn_tref c, int64_t ldc)
{
    seqnn_gemm_args g = {.trans_b = 1, .m = rows, .n = n, .k = k, .alpha = 1, .beta = beta, .a = a, .lda = lda,
                         .b = w, .ldb = ldw, .c = c, .ldc = ldc, .batch = 1};
    return seqnn_gemm(m->ctx, &g);
}

/* C[rows, n] = A[rows, k] W, W [k, n] with row stride ldw. */
static seqnn_status gemm_nn(seqnn_model *m, int64_t rows, int64_t n, int64_t k, seqnn_tref a, int64_t lda,
                            seqnn_tref w, int64_t ldw, seqnn_tref c, int64_t ldc)
{
    seqnn_gemm_args g = {.m = rows, .n = n, .k = k, .alpha = 1, .beta = 0, .a = a, .lda = lda, .b = w,
                         .ldb = ldw, .c = c, .ldc = ldc, .batch = 1};
    return seqnn_gemm(m->ctx, &g);
}

/* dW[n, k] (row stride ldw) += dY[rows, n]^T X[rows, k] */
static seqnn_status gemm_tn(seqnn_model *m, int64_t rows, int64_t n, int64_t k, seqnn_tref dy, int64_t lddy,
                            seqnn_tref x, int64_t ldx, seqnn_tref dw, int64_t ldw)
{
    seqnn_gemm_args g = {.trans_a = 1, .m = n, .n = k, .k = rows, .alpha = 1, .beta = 1, .a = dy, .lda = lddy,
                         .b = x, .ldb = ldx, .c = dw, .ldc = ldw, .batch = 1};
    return seqnn_gemm(m->ctx, &g);
}

static seqnn_status add_bias(seqnn_model *m, int64_t rows, int64_t cols, seqnn_tref y, seqnn_tref b)
{
    seqnn_bias_args a = {.rows = rows, .cols = cols, .y = y, .ldy = cols, .b = b};
    return seqnn_bias_add(m->ctx, &a);
}

static seqnn_status bias_grad(seqnn_model *m, int64_t rows, int64_t cols, seqnn_tref dy, seqnn_tref db)
{
    seqnn_bias_args a = {.rows = rows, .cols = cols, .dy = dy, .ldy = cols, .db = db};
    return seqnn_bias_backward(m->ctx, &a);
}

static seqnn_status attn_forward(seqnn_model *m, fe_layer *L, const fe_tensor *x, int train)
{
    (void)train;
    attn_priv *p = L->priv;
    int64_t B = m->B, H = L->att.heads, Tq = fe_steps(m, L), rows = Tq * B, D = L->in.n;
    int step = p->self && fe_decoding(m, L);
    int64_t pos = step ? m->decode_pos : 0;
    int64_t Tk = p->self ? pos + Tq : m->T, Dv = H * p->vd;
    if (step && (pos + Tq > m->decode_cap || (pos > 0 && Tq > 1)))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "attention '%s': decoding %lld steps from step %lld (at most %lld, one at a time "
                               "after the first)", L->name, (long long)Tq, (long long)pos, (long long)m->decode_cap);
    p->wdims[0] = p->wdims[1] = p->wdims[2] = p->wdims[3] = 0;
    FE_TRY(fe_tensor_ensure(m, &p->weights, B * H * Tq, Tk));
    FE_TRY(fe_tensor_ensure(m, &p->ctx, rows, Dv));
    FE_TRY(fe_tensor_ensure(m, &L->y, rows, D));
    if (p->self) {                       /* qkv[rows, 3E] = x W_in^T + b_in (decoding: into the cache) */
        fe_tensor *qkv = step ? &p->cache : &p->qkv;
        int64_t off = pos * B * 3 * D;
        if (step && pos == 0)
            FE_TRY(fe_tensor_ensure(m, &p->cache, m->decode_cap * B, 3 * D));
        else if (!step)
            FE_TRY(fe_tensor_ensure(m, &p->qkv, rows, 3 * D));
        FE_TRY(gemm_nt(m, rows, 3 * D, D, fe_at(x, 0), D, fe_param_ref(m, p->p_proj), D, 0.0, fe_at(qkv, off),
                       3 * D));
        FE_TRY(add_bias(m, rows, 3 * D, fe_at(qkv, off), fe_param_ref(m, p->p_proj + 1)));
    }
    seqnn_attention_args a = attn_args(m, L, x);
    if (step)
        step_args(m, L, &a);
    FE_TRY(seqnn_attention_forward(m->ctx, &a));
    if (p->self) {                       /* y[rows, E] = ctx W_out^T + b_out */
        FE_TRY(gemm_nt(m, rows, D, D, fe_at(&p->ctx, 0), D, fe_param_ref(m, p->p_proj + 2), D, 0.0,
                       fe_at(&L->y, 0), D));
        FE_TRY(add_bias(m, rows, D, fe_at(&L->y, 0), fe_param_ref(m, p->p_proj + 3)));
    } else {                             /* y = tanh(ctx W_c[:, :De]^T + x W_c[:, De:]^T + b_c) */
        int64_t De = Dv, ldw = De + D;
        seqnn_tref wc = fe_param_ref(m, p->p_combine);
        FE_TRY(fe_tensor_ensure(m, &p->pre, rows, D));
        FE_TRY(gemm_nt(m, rows, D, De, fe_at(&p->ctx, 0), De, wc, ldw, 0.0, fe_at(&p->pre, 0), D));
        wc.off += De;
        FE_TRY(gemm_nt(m, rows, D, D, fe_at(x, 0), D, wc, ldw, 1.0, fe_at(&p->pre, 0), D));
        FE_TRY(add_bias(m, rows, D, fe_at(&p->pre, 0), fe_param_ref(m, p->p_combine + 1)));
        seqnn_act_args t = {.kind = SEQNN_ACT_TANH, .n = rows * D, .x = fe_at(&p->pre, 0), .y = fe_at(&L->y, 0)};
        FE_TRY(seqnn_act_forward(m->ctx, &t));
    }
    p->wdims[0] = B;
    p->wdims[1] = H;
    p->wdims[2] = Tq;
    p->wdims[3] = Tk;
    return SEQNN_OK;
}

/* Points the score parameters' gradients of a at the gradient buffer. */
static void score_grads(const seqnn_model *m, const fe_layer *L, seqnn_attention_args *a)
{
    const attn_priv *p = L->priv;
    if (L->att.score == SEQNN_SCORE_BILINEAR) {
        a->dw = fe_grad_ref(m, p->p_score);
    } else if (L->att.score == SEQNN_SCORE_ADDITIVE) {
        a->dw_q = fe_grad_ref(m, p->p_score);
        a->dw_k = fe_grad_ref(m, p->p_score + 1);
        a->dw_v = fe_grad_ref(m, p->p_score + 2);
    }
}

static seqnn_status self_backward(seqnn_model *m, fe_layer *L, const fe_tensor *x, fe_tensor *dx)
{
    attn_priv *p = L->priv;
    int64_t rows = fe_steps(m, L) * m->B, E = L->in.n;
    /* out projection: dctx = dy W_out, dW_out += dy^T ctx, db_out += sum dy */
    FE_TRY(fe_tensor_ensure(m, &p->dctx, rows, E));
    FE_TRY(gemm_nn(m, rows, E, E, fe_at(&L->dy, 0), E, fe_param_ref(m, p->p_proj + 2), E, fe_at(&p->dctx, 0), E));
    FE_TRY(gemm_tn(m, rows, E, E, fe_at(&L->dy, 0), E, fe_at(&p->ctx, 0), E, fe_grad_ref(m, p->p_proj + 2), E));
    FE_TRY(bias_grad(m, rows, E, fe_at(&L->dy, 0), fe_grad_ref(m, p->p_proj + 3)));
    /* attention: dq | dk | dv into dqkv [rows, 3E] (disjoint column blocks) */
    FE_TRY(fe_tensor_ensure(m, &p->dqkv, rows, 3 * E));
    FE_TRY(fe_tensor_zero(m, &p->dqkv));
    seqnn_attention_args a = attn_args(m, L, x);
    a.out = no_tensor;
    a.dout = fe_at(&p->dctx, 0);
    a.dq = fe_at(&p->dqkv, 0);
    a.dk = fe_at(&p->dqkv, E);
    a.dv = fe_at(&p->dqkv, 2 * E);
    score_grads(m, L, &a);
    FE_TRY(seqnn_attention_backward(m->ctx, &a));
    /* in projection: dx = dqkv W_in, dW_in += dqkv^T x, db_in += sum dqkv */
    if (dx)
        FE_TRY(gemm_nn(m, rows, E, 3 * E, fe_at(&p->dqkv, 0), 3 * E, fe_param_ref(m, p->p_proj), E,
                       fe_at(dx, 0), E));
    FE_TRY(gemm_tn(m, rows, 3 * E, E, fe_at(&p->dqkv, 0), 3 * E, fe_at(x, 0), E, fe_grad_ref(m, p->p_proj), E));
    return bias_grad(m, rows, 3 * E, fe_at(&p->dqkv, 0), fe_grad_ref(m, p->p_proj + 1));
}

static seqnn_status encdec_backward(seqnn_model *m, fe_layer *L, const fe_tensor *x, fe_tensor *dx)
{
    attn_priv *p = L->priv;
    fe_layer *enc = fe_encoder_output(m);
    int64_t rows = fe_steps(m, L) * m->B, D = L->in.n, De = enc->out.n, ldw = De + D;
    seqnn_tref wc = fe_param_ref(m, p->p_combine), dwc = fe_grad_ref(m, p->p_combine);
    seqnn_tref wc_state = wc, dwc_state = dwc;
    wc_state.off += De;
    dwc_state.off += De;
    /* through tanh: dpre = dy * (1 - y^2) */
    FE_TRY(fe_tensor_ensure(m, &p->dpre, rows, D));
    seqnn_act_args t = {.kind = SEQNN_ACT_TANH, .n = rows * D, .x = fe_at(&p->pre, 0), .y = fe_at(&L->y, 0),
                        .dy = fe_at(&L->dy, 0), .dx = fe_at(&p->dpre, 0), .flags = SEQNN_FLAG_OVERWRITE};
    FE_TRY(seqnn_act_backward(m->ctx, &t));
    /* W_c: dW_c[:, :De] += dpre^T ctx, dW_c[:, De:] += dpre^T x, db_c += sum dpre */
    FE_TRY(gemm_tn(m, rows, D, De, fe_at(&p->dpre, 0), D, fe_at(&p->ctx, 0), De, dwc, ldw));
    FE_TRY(gemm_tn(m, rows, D, D, fe_at(&p->dpre, 0), D, fe_at(x, 0), D, dwc_state, ldw));
    FE_TRY(bias_grad(m, rows, D, fe_at(&p->dpre, 0), fe_grad_ref(m, p->p_combine + 1)));
    /* dctx = dpre W_c[:, :De]; dx = dpre W_c[:, De:] (the attention adds dq below) */
    FE_TRY(fe_tensor_ensure(m, &p->dctx, rows, De));
    FE_TRY(gemm_nn(m, rows, De, D, fe_at(&p->dpre, 0), D, wc, ldw, fe_at(&p->dctx, 0), De));
    if (dx)
        FE_TRY(gemm_nn(m, rows, D, D, fe_at(&p->dpre, 0), D, wc_state, ldw, fe_at(dx, 0), D));
    /* attention: dq += into dx, dk += into the encoder's dy, dv into a
     * temporary (k and v are one tensor, and gradient outputs must not
     * overlap), then added to the encoder's dy */
    FE_TRY(fe_tensor_ensure(m, &p->dv, enc->y.rows, De));
    FE_TRY(fe_tensor_zero(m, &p->dv));
    seqnn_attention_args a = attn_args(m, L, x);
    a.out = no_tensor;
    a.dout = fe_at(&p->dctx, 0);
    if (dx)
        a.dq = fe_at(dx, 0);
    a.dk = fe_at(&enc->dy, 0);
    a.dv = fe_at(&p->dv, 0);
    score_grads(m, L, &a);
    FE_TRY(seqnn_attention_backward(m->ctx, &a));
    seqnn_ew_args add = {.n = enc->y.rows * De, .alpha = 1, .beta = 1, .x = fe_at(&enc->dy, 0),
                         .y = fe_at(&p->dv, 0), .z = fe_at(&enc->dy, 0)};
    return seqnn_add(m->ctx, &add);
}

static seqnn_status attn_backward(seqnn_model *m, fe_layer *L, const fe_tensor *x, fe_tensor *dx)
{
    attn_priv *p = L->priv;
    return p->self ? self_backward(m, L, x, dx) : encdec_backward(m, L, x, dx);
}

/* Beam search: the cached steps of beam b become those of beam idx[b]
 * (row t*B + b of the cache from row t*B + idx[b]). */
static seqnn_status attn_reorder(seqnn_model *m, fe_layer *L, const fe_tensor *idx, const int32_t *host_idx)
{
    (void)idx;
    attn_priv *p = L->priv;
    int64_t B = m->B, n = m->decode_pos * B, E3 = 3 * L->in.n;
    if (!p->self || n == 0)
        return SEQNN_OK;
    int32_t *rows = malloc((size_t)n * sizeof *rows);
    if (!rows)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    for (int64_t r = 0; r < n; r++)
        rows[r] = (int32_t)(r - r % B + host_idx[r % B]);
    seqnn_status s = fe_tensor_ensure_i32(m, &p->ridx, n, 1);
    if (s == SEQNN_OK)
        s = seqnn_buffer_write(m->ctx, p->ridx.buf, 0, rows, n);
    free(rows);
    if (s == SEQNN_OK)
        s = fe_tensor_ensure(m, &p->cache_tmp, m->decode_cap * B, E3);
    if (s == SEQNN_OK)
        s = fe_gather_rows(m, &p->cache, &p->ridx, n, E3, &p->cache_tmp);
    if (s == SEQNN_OK) {                 /* the gathered rows are the cache now */
        fe_tensor t = p->cache;
        p->cache = p->cache_tmp;
        p->cache_tmp = t;
        p->cache.rows = m->decode_cap * B;
    }
    return s;
}

const fe_layer_ops fe_attention_ops = {
    .kind = "attention",
    .build = attn_build,
    .forward = attn_forward,
    .backward = attn_backward,
    .destroy = attn_destroy,
    .reorder_state = attn_reorder,
};

seqnn_status seqnn_model_attention_weights(seqnn_model *m, const char *layer, float *out, int64_t count,
                                           int64_t dims[4])
{
    if (!m || !m->built)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_attention_weights: model not built");
    fe_layer *L = NULL;
    for (int i = 0; i < m->n_layers && !L; i++) {
        fe_layer *c = &m->layers[i];
        if (layer ? !strcmp(c->name, layer) : c->ops == &fe_attention_ops)
            L = c;
    }
    if (!L)
        return seqnn_set_error(NULL, SEQNN_ERR_NOT_FOUND, "seqnn_model_attention_weights: %s%s%s",
                               layer ? "no layer named '" : "the model has no attention layer",
                               layer ? layer : "", layer ? "'" : "");
    if (L->ops != &fe_attention_ops)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_attention_weights: layer '%s' is a %s, "
                               "not an attention layer", L->name, L->ops->kind);
    attn_priv *p = L->priv;
    if (p->wdims[0] == 0)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "seqnn_model_attention_weights: layer '%s' has not run a forward yet", L->name);
    int64_t n = p->wdims[0] * p->wdims[1] * p->wdims[2] * p->wdims[3];
    if (!out && count == 0) {            /* a query of the shape only */
        if (dims)
            memcpy(dims, p->wdims, sizeof p->wdims);
        return SEQNN_OK;
    }
    if (!out || count != n)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "seqnn_model_attention_weights: layer '%s' has %lld weights [%lld, %lld, %lld, %lld], "
                               "not %lld", L->name, (long long)n, (long long)p->wdims[0], (long long)p->wdims[1],
                               (long long)p->wdims[2], (long long)p->wdims[3], (long long)count);
    FE_TRY(seqnn_buffer_read(m->ctx, p->weights.buf, 0, out, n));
    if (dims)
        memcpy(dims, p->wdims, sizeof p->wdims);
    return SEQNN_OK;
}

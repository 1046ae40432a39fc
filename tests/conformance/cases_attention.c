/* Conformance tests of the attention family: attention_forward and
 * attention_backward for every score kind (plugin against the float64
 * oracle, and finite differences for backward), with several heads over
 * strided layouts, key-length masks (length 0 included) and the causal mask
 * with q_len below, equal to and above k_len; and, at query and key counts
 * past the plugin's declared tiles (structure query), key lengths of
 * k_len - 1, 1 and 0 on every score, with and without the causal mask.
 * docs/kernels/attention.md lists what is covered and the budgets' basis. */
#include <math.h>
#include "conformance.h"
#include "seqnn/plugin.h"

/* ------------------------------------------------------------ layouts --- */

/* Layouts of a [B, heads, T, D] tensor (element (b, h, t, d) at
 * b*sb + h*sh + t*st + d). */
enum {
    ATTENTION_BHTD,       /* [B, heads, T, D] dense */
    ATTENTION_BTHD,       /* [B, T, heads*D] dense (heads interleaved in a row) */
    ATTENTION_TBHD,       /* [T, B, heads*D] dense (time-major sequences) */
    ATTENTION_PADDED,     /* [B, T, heads*D] with gaps after rows and batches */
    ATTENTION_LAYOUTS
};
static const char *const attention_layout_name[ATTENTION_LAYOUTS] = {"BHTD", "BTHD", "TBHD", "padded"};

typedef struct attention_layout {
    int64_t sb, sh, st;    /* strides (d's is 1) */
    int64_t count;         /* extent: elements the tensor needs */
    int dense;             /* 1: every element of [0, count) belongs to the box */
} attention_layout;

static attention_layout attention_make_layout(int kind, int64_t B, int64_t H, int64_t T, int64_t D)
{
    attention_layout s;
    s.dense = 1;
    switch (kind) {
    case ATTENTION_BTHD:   s.st = H * D; s.sb = T * H * D; s.sh = D; break;
    case ATTENTION_TBHD:   s.st = B * H * D; s.sb = H * D; s.sh = D; break;
    case ATTENTION_PADDED: s.st = H * D + 3; s.sb = T * (H * D + 3) + 2; s.sh = D; s.dense = 0; break;
    default:               s.sb = H * T * D; s.sh = T * D; s.st = D; break;
    }
    s.count = B == 0 || T == 0 ? 0 : (B - 1) * s.sb + (H - 1) * s.sh + (T - 1) * s.st + D;
    return s;
}

/* A written tensor: NaN-poisoned when every element is written, else random
 * in-out values that gaps and accumulation must keep. */
static cf_tensor *attention_written(cf_run *r, const char *name, int64_t count, int fully_written)
{
    return fully_written ? cf_out(r, name, count) : cf_inout(r, name, count, -1, 1);
}

/* -------------------------------------------------------------- shapes --- */

typedef struct attention_shape {
    int64_t batch, heads, q_len, k_len, q_dim, k_dim, v_dim, attn_dim;
} attention_shape;

/* heads applies to the dot scores (bilinear and additive use 1), k_dim to
 * bilinear and additive (the dot scores use q_dim). */
static const attention_shape attention_shapes[] = {
    {1, 1, 1, 1, 1, 1, 1, 1},         /* every size 1 */
    {2, 1, 5, 7, 4, 6, 3, 5},         /* q_len < k_len */
    {3, 2, 7, 5, 8, 3, 5, 4},         /* q_len > k_len: causal rows fully masked */
    {2, 4, 16, 16, 16, 9, 16, 8},     /* self-attention sizes, 4 heads */
    {1, 3, 3, 67, 32, 17, 24, 16},    /* long keys, few queries */
    {2, 2, 33, 29, 24, 13, 19, 10},   /* odd sizes */
    {2, 2, 3, 0, 5, 3, 4, 2},         /* no keys: every row fully masked, out = 0 */
    {3, 1, 0, 4, 5, 3, 4, 2},         /* no queries: nothing is written */
    {0, 2, 3, 4, 5, 3, 4, 2},         /* empty batch */
};
#define ATTENTION_NSHAPES ((int)(sizeof attention_shapes / sizeof attention_shapes[0]))

static const char *const attention_score_name[SEQNN_SCORE_COUNT] = {
    "dot", "scaled_dot", "bilinear", "additive"};

/* Masks of a check. */
enum {
    ATTENTION_MASK_NONE, ATTENTION_MASK_LENGTHS, ATTENTION_MASK_CAUSAL, ATTENTION_MASK_BOTH,
    ATTENTION_MASKS
};
static const char *const attention_mask_name[ATTENTION_MASKS] = {"none", "lengths", "causal", "both"};

#define ATTENTION_MAX_BATCH 8

/* The tensors of one attention check. */
typedef struct attention_case {
    attention_layout ql, kl, vl, ol;
    int32_t lengths[ATTENTION_MAX_BATCH];
    cf_tensor *q, *k, *v, *w, *w_q, *w_k, *w_v, *out, *weights;
    seqnn_attention_args args;        /* forward arguments */
    double k_fwd;                     /* budget of the forward outputs */
} attention_case;

/* Length of the sum behind one score: q.k, q^T W k (q_dim*k_dim products),
 * or w_v . tanh(W_q q + W_k k) (q_dim + k_dim, then attn_dim). */
static double attention_score_len(const seqnn_attention_args *a)
{
    switch (a->score) {
    case SEQNN_SCORE_BILINEAR: return (double)(a->q_dim * a->k_dim);
    case SEQNN_SCORE_ADDITIVE: return (double)(a->q_dim + a->k_dim + a->attn_dim);
    default:                   return (double)a->q_dim;
    }
}

/* Key lengths of batch size B and key length T: random in [0, T], the last
 * one T and, from 3 sequences on, the second one 0 (a fully masked batch). */
static void attention_make_lengths(cf_run *r, int32_t *lengths, int64_t B, int64_t T)
{
    int64_t b;
    for (b = 0; b < B; b++)
        lengths[b] = (int32_t)cf_randint(r, 0, T);
    if (B >= 2)
        lengths[B - 1] = (int32_t)T;
    if (B >= 3)
        lengths[1] = 0;
}

/* Creates the inputs of shape s for score kind `score` with mask `mask`,
 * q/k/v/out in layouts rotating from `layout`, and the forward arguments.
 * with_weights: the forward writes the weights. scale: SCALED_DOT's. */
static void attention_case_make(cf_run *r, attention_case *ac, const attention_shape *s,
                                seqnn_score score, int mask, int layout, int with_weights,
                                double scale)
{
    seqnn_attention_args *a = &ac->args;
    const int dot = score == SEQNN_SCORE_DOT || score == SEQNN_SCORE_SCALED_DOT;
    const int64_t B = s->batch, H = dot ? s->heads : 1;
    const int64_t Tq = s->q_len, Tk = s->k_len, Dq = s->q_dim, Dk = dot ? s->q_dim : s->k_dim;
    const int64_t Dv = s->v_dim, A = s->attn_dim;
    *a = (seqnn_attention_args){0};
    a->score = score;
    a->batch = B; a->heads = H; a->q_len = Tq; a->k_len = Tk;
    a->q_dim = Dq; a->k_dim = Dk; a->v_dim = Dv;
    a->scale = scale;
    ac->ql = attention_make_layout(layout % ATTENTION_LAYOUTS, B, H, Tq, Dq);
    ac->kl = attention_make_layout((layout + 1) % ATTENTION_LAYOUTS, B, H, Tk, Dk);
    ac->vl = attention_make_layout((layout + 2) % ATTENTION_LAYOUTS, B, H, Tk, Dv);
    ac->ol = attention_make_layout((layout + 3) % ATTENTION_LAYOUTS, B, H, Tq, Dv);
    ac->q = cf_in(r, "q", ac->ql.count, -1, 1);
    ac->k = cf_in(r, "k", ac->kl.count, -1, 1);
    ac->v = cf_in(r, "v", ac->vl.count, -1, 1);
    a->q = cf_ref(ac->q); a->q_sb = ac->ql.sb; a->q_sh = ac->ql.sh; a->q_st = ac->ql.st;
    a->k = cf_ref(ac->k); a->k_sb = ac->kl.sb; a->k_sh = ac->kl.sh; a->k_st = ac->kl.st;
    a->v = cf_ref(ac->v); a->v_sb = ac->vl.sb; a->v_sh = ac->vl.sh; a->v_st = ac->vl.st;
    ac->w = ac->w_q = ac->w_k = ac->w_v = NULL;
    if (score == SEQNN_SCORE_BILINEAR) {
        ac->w = cf_in(r, "w", Dq * Dk, -0.5, 0.5);
        a->w = cf_ref(ac->w);
    }
    if (score == SEQNN_SCORE_ADDITIVE) {
        a->attn_dim = A;
        ac->w_q = cf_in(r, "w_q", A * Dq, -0.5, 0.5);
        ac->w_k = cf_in(r, "w_k", A * Dk, -0.5, 0.5);
        ac->w_v = cf_in(r, "w_v", A, -1, 1);
        a->w_q = cf_ref(ac->w_q); a->w_k = cf_ref(ac->w_k); a->w_v = cf_ref(ac->w_v);
    }
    if (mask == ATTENTION_MASK_LENGTHS || mask == ATTENTION_MASK_BOTH) {
        attention_make_lengths(r, ac->lengths, B, Tk);
        a->key_lengths = ac->lengths;
    }
    a->causal = mask == ATTENTION_MASK_CAUSAL || mask == ATTENTION_MASK_BOTH;
    ac->out = attention_written(r, "out", ac->ol.count, ac->ol.dense);
    a->out = cf_ref(ac->out); a->o_sb = ac->ol.sb; a->o_sh = ac->ol.sh; a->o_st = ac->ol.st;
    ac->weights = NULL;
    if (with_weights) {
        ac->weights = cf_out(r, "weights", B * H * Tq * Tk);
        a->weights = cf_ref(ac->weights);
    }
    /* a score sum, then the softmax's and the output's sums over the keys */
    ac->k_fwd = attention_score_len(a) + (double)Tk;
}

/* The check's name: shape, score, mask, layout and options. */
static void attention_begin(cf_run *r, const char *what, const attention_shape *s, seqnn_score score,
                            int mask, int layout, double scale, const char *extra)
{
    const int dot = score == SEQNN_SCORE_DOT || score == SEQNN_SCORE_SCALED_DOT;
    cf_begin(r, "%sB=%lld heads=%lld Tq=%lld Tk=%lld Dq=%lld Dk=%lld Dv=%lld A=%lld score=%s "
             "scale=%g mask=%s layout=%s %s",
             what, (long long)s->batch, (long long)(dot ? s->heads : 1), (long long)s->q_len,
             (long long)s->k_len, (long long)s->q_dim, (long long)(dot ? s->q_dim : s->k_dim),
             (long long)s->v_dim, (long long)s->attn_dim, attention_score_name[score], scale,
             attention_mask_name[mask], attention_layout_name[layout % ATTENTION_LAYOUTS], extra);
}

/* Which gradients a backward check asks for, and how. */
typedef struct attention_grads {
    int dq, dk, dv, dparams, overwrite;
} attention_grads;

static const attention_grads attention_grad_variants[ATTENTION_MASKS] = {
    {1, 1, 1, 1, 0},      /* with no mask: all, accumulating */
    {1, 1, 1, 1, 1},      /* key lengths: all, overwriting */
    {1, 0, 0, 1, 0},      /* causal: dq and the score parameters only */
    {0, 1, 1, 0, 1},      /* both masks: dk and dv only, overwriting */
};

/* The gradient tensors of a backward check. */
typedef struct attention_grad_tensors {
    cf_tensor *dout, *dq, *dk, *dv, *dw, *dw_q, *dw_k, *dw_v;
} attention_grad_tensors;

/* Gradient of a score parameter of count elements (absent unless asked). */
static cf_tensor *attention_param_grad(cf_run *r, const char *name, int64_t count,
                                       const attention_grads *g, double k, seqnn_tref *ref)
{
    cf_tensor *t;
    if (!g->dparams)
        return NULL;
    t = attention_written(r, name, count, g->overwrite);
    cf_set_k(t, k);
    *ref = cf_ref(t);
    return t;
}

/* Adds dout and the gradients g asks for to ac's forward arguments: *bwd
 * receives the backward arguments.
 * Budgets (basis: the sums behind each value, forward's included since
 * backward reads the forward's weights): dv sums w_ij dout_i over q_len
 * queries; every other gradient goes through dout.v (v_dim), the softmax's
 * row sum (k_len) and sums over query-key pairs (q_len*k_len); + 1 for the
 * accumulated old value. */
static void attention_add_grads(cf_run *r, attention_case *ac, const attention_grads *g,
                                seqnn_attention_args *bwd, attention_grad_tensors *gt)
{
    const seqnn_attention_args *a = &ac->args;
    const double acc = g->overwrite ? 0 : 1;
    const double k_dv = ac->k_fwd + (double)a->q_len + acc;
    const double k_grad = ac->k_fwd + (double)(a->v_dim + a->k_len + a->q_len * a->k_len) + acc;
    *bwd = *a;
    bwd->flags = g->overwrite ? SEQNN_FLAG_OVERWRITE : 0;
    gt->dout = cf_in(r, "dout", ac->ol.count, -1, 1);
    bwd->dout = cf_ref(gt->dout);
    gt->dq = gt->dk = gt->dv = gt->dw = gt->dw_q = gt->dw_k = gt->dw_v = NULL;
    if (g->dq) {
        gt->dq = attention_written(r, "dq", ac->ql.count, g->overwrite && ac->ql.dense);
        cf_set_k(gt->dq, k_grad);
        bwd->dq = cf_ref(gt->dq);
    }
    if (g->dk) {
        gt->dk = attention_written(r, "dk", ac->kl.count, g->overwrite && ac->kl.dense);
        cf_set_k(gt->dk, k_grad);
        bwd->dk = cf_ref(gt->dk);
    }
    if (g->dv) {
        gt->dv = attention_written(r, "dv", ac->vl.count, g->overwrite && ac->vl.dense);
        cf_set_k(gt->dv, k_dv);
        bwd->dv = cf_ref(gt->dv);
    }
    if (a->score == SEQNN_SCORE_BILINEAR)
        gt->dw = attention_param_grad(r, "dw", a->q_dim * a->k_dim, g, k_grad, &bwd->dw);
    if (a->score == SEQNN_SCORE_ADDITIVE) {
        gt->dw_q = attention_param_grad(r, "dw_q", a->attn_dim * a->q_dim, g, k_grad, &bwd->dw_q);
        gt->dw_k = attention_param_grad(r, "dw_k", a->attn_dim * a->k_dim, g, k_grad, &bwd->dw_k);
        gt->dw_v = attention_param_grad(r, "dw_v", a->attn_dim, g, k_grad, &bwd->dw_v);
    }
}

/* Bad attention arguments, each one defect away from a valid call. */
static void attention_rejects(cf_run *r, int backward)
{
    static const attention_shape s = {2, 2, 5, 6, 4, 3, 3, 2};
    const seqnn_kernel_id id = backward ? SEQNN_KERNEL_attention_backward : SEQNN_KERNEL_attention_forward;
    const attention_grads g = {1, 1, 1, 1, 0};
    const int64_t n_weights = s.batch * s.heads * s.q_len * s.k_len;
    attention_case dot, bil, add;
    attention_grad_tensors gt;
    seqnn_attention_args a, b2, a3, bad;
    cf_begin(r, "argument checks");
    /* a dot call with 2 heads and key lengths, a bilinear and an additive one */
    attention_case_make(r, &dot, &s, SEQNN_SCORE_SCALED_DOT, ATTENTION_MASK_BOTH, 0, 1, 0);
    attention_case_make(r, &bil, &s, SEQNN_SCORE_BILINEAR, ATTENTION_MASK_NONE, 1, 1, 0);
    attention_case_make(r, &add, &s, SEQNN_SCORE_ADDITIVE, ATTENTION_MASK_CAUSAL, 2, 1, 0);
    a = dot.args; b2 = bil.args; a3 = add.args;
    if (backward) {
        attention_add_grads(r, &dot, &g, &a, &gt);
        attention_add_grads(r, &bil, &g, &b2, &gt);
        attention_add_grads(r, &add, &g, &a3, &gt);
        cf_call(r, SEQNN_KERNEL_attention_forward, &dot.args);
        cf_call(r, SEQNN_KERNEL_attention_forward, &bil.args);
        cf_call(r, SEQNN_KERNEL_attention_forward, &add.args);
    }
    cf_call(r, id, &a);                  /* the valid calls themselves */
    cf_call(r, id, &b2);
    cf_call(r, id, &a3);
    bad = a; bad.flags = backward ? 2u : 1u;   cf_expect_rejected(r, id, &bad, "unknown flags");
    bad = a; bad.score = SEQNN_SCORE_COUNT;    cf_expect_rejected(r, id, &bad, "score = COUNT");
    bad = a; bad.score = (seqnn_score)-1;      cf_expect_rejected(r, id, &bad, "score = -1");
    bad = a; bad.batch = -1;       cf_expect_rejected(r, id, &bad, "batch = -1");
    bad = a; bad.heads = 0;        cf_expect_rejected(r, id, &bad, "heads = 0");
    bad = a; bad.q_len = -1;       cf_expect_rejected(r, id, &bad, "q_len = -1");
    bad = a; bad.k_len = -1;       cf_expect_rejected(r, id, &bad, "k_len = -1");
    bad = a; bad.v_dim = 0;        cf_expect_rejected(r, id, &bad, "v_dim = 0");
    bad = a; bad.k_dim = 3;        cf_expect_rejected(r, id, &bad, "q_dim != k_dim for a dot score");
    bad = a; bad.scale = NAN;      cf_expect_rejected(r, id, &bad, "scale = NaN");
    bad = a; bad.causal = 2;       cf_expect_rejected(r, id, &bad, "causal = 2");
    dot.lengths[0] = 7;            /* k_len + 1 */
    bad = a;                       cf_expect_rejected(r, id, &bad, "key_lengths[0] = k_len + 1");
    dot.lengths[0] = -1;
    bad = a;                       cf_expect_rejected(r, id, &bad, "key_lengths[0] = -1");
    dot.lengths[0] = 0;
    bad = a; bad.k_sb = -1;        cf_expect_rejected(r, id, &bad, "a negative k stride");
    bad = a; cf_expect_extent(r, id, &bad, &bad.q, SEQNN_F32, dot.ql.count, "q");
    bad = a; cf_expect_extent(r, id, &bad, &bad.k, SEQNN_F32, dot.kl.count, "k");
    bad = a; cf_expect_extent(r, id, &bad, &bad.v, SEQNN_F32, dot.vl.count, "v");
    bad = a; bad.q.buf = NULL;     cf_expect_rejected(r, id, &bad, "a missing q");
    bad = a; bad.w = b2.w;         cf_expect_rejected(r, id, &bad, "w with a dot score");
    bad = a; bad.w_v = a3.w_v;     cf_expect_rejected(r, id, &bad, "w_v with a dot score");
    bad = b2; bad.heads = 2;       cf_expect_rejected(r, id, &bad, "bilinear with 2 heads");
    bad = b2; bad.w.buf = NULL;    cf_expect_rejected(r, id, &bad, "bilinear without w");
    bad = b2; cf_expect_extent(r, id, &bad, &bad.w, SEQNN_F32, s.q_dim * s.k_dim, "w");
    bad = a3; bad.attn_dim = 0;    cf_expect_rejected(r, id, &bad, "attn_dim = 0");
    bad = a3; bad.w_k.buf = NULL;  cf_expect_rejected(r, id, &bad, "additive without w_k");
    bad = a3; cf_expect_extent(r, id, &bad, &bad.w_q, SEQNN_F32, s.attn_dim * s.q_dim, "w_q");
    bad = a3; cf_expect_extent(r, id, &bad, &bad.w_k, SEQNN_F32, s.attn_dim * s.k_dim, "w_k");
    bad = a3; cf_expect_extent(r, id, &bad, &bad.w_v, SEQNN_F32, s.attn_dim, "w_v");
    bad = a3; bad.w = b2.w;        cf_expect_rejected(r, id, &bad, "w with the additive score");
    if (!backward) {
        bad = a; bad.out.buf = NULL;   cf_expect_rejected(r, id, &bad, "a missing out");
        bad = a; cf_expect_extent(r, id, &bad, &bad.out, SEQNN_F32, dot.ol.count, "out");
        bad = a; cf_expect_extent(r, id, &bad, &bad.weights, SEQNN_F32, n_weights, "weights");
    } else {
        bad = a; bad.weights.buf = NULL; cf_expect_rejected(r, id, &bad, "backward without weights");
        bad = a; bad.dout.buf = NULL;  cf_expect_rejected(r, id, &bad, "a missing dout");
        bad = a; cf_expect_extent(r, id, &bad, &bad.weights, SEQNN_F32, n_weights, "weights");
        bad = a; cf_expect_extent(r, id, &bad, &bad.dout, SEQNN_F32, dot.ol.count, "dout");
        bad = a; cf_expect_extent(r, id, &bad, &bad.dq, SEQNN_F32, dot.ql.count, "dq");
        bad = a; cf_expect_extent(r, id, &bad, &bad.dk, SEQNN_F32, dot.kl.count, "dk");
        bad = a; cf_expect_extent(r, id, &bad, &bad.dv, SEQNN_F32, dot.vl.count, "dv");
        bad = b2; cf_expect_extent(r, id, &bad, &bad.dw, SEQNN_F32, s.q_dim * s.k_dim, "dw");
        bad = a3; cf_expect_extent(r, id, &bad, &bad.dw_q, SEQNN_F32, s.attn_dim * s.q_dim, "dw_q");
        bad = a3; cf_expect_extent(r, id, &bad, &bad.dw_k, SEQNN_F32, s.attn_dim * s.k_dim, "dw_k");
        bad = a; bad.dw = b2.dw;       cf_expect_rejected(r, id, &bad, "dw with a dot score");
        bad = b2; bad.dw_q = a3.dw_q;  cf_expect_rejected(r, id, &bad, "dw_q with a bilinear score");
        bad = a3; cf_expect_extent(r, id, &bad, &bad.dw_v, SEQNN_F32, s.attn_dim, "dw_v");
    }
    cf_end(r);
}

/* ------------------------------------------- key lengths past the tiles --- */

/* One more than twice the largest query tile the plugin declares for kernel
 * id (so the last tile is partial), and one more than its largest key panel;
 * 33 and 17 without a declaration. */
static void attention_tiled_sizes(cf_run *r, seqnn_kernel_id id, int64_t *q_len, int64_t *k_len)
{
    int64_t nb = 0, i, tq = 16, tk = 16;
    const seqnn_boundary *b = cf_structure(r, &nb, NULL);
    for (i = 0; b && i < nb; i++) {
        if (b[i].kernel != (int32_t)id && b[i].kernel != SEQNN_KERNEL_attention_forward)
            continue;
        if (b[i].dim == SEQNN_DIM_QUERIES && b[i].value <= 256 && b[i].value > tq)
            tq = b[i].value;
        if (b[i].dim == SEQNN_DIM_KEYS && b[i].value <= 256 && b[i].value > tk)
            tk = b[i].value;
    }
    *q_len = 2 * tq + 1;
    *k_len = tk + 1;
}

/* Key lengths k_len - 1 (only the last key masked), 1, 0 and k_len, on every
 * score with the key-length mask alone (dot scores: the tiled path of a plugin
 * that has one) and with the causal mask (the per-query path), and the causal
 * mask alone, over more queries than two tiles hold. backward: forward, then
 * backward with every gradient (accumulating, then overwriting). */
static void attention_length_checks(cf_run *r, int backward)
{
    static const int masks[3] = {ATTENTION_MASK_LENGTHS, ATTENTION_MASK_BOTH, ATTENTION_MASK_CAUSAL};
    const seqnn_kernel_id id = backward ? SEQNN_KERNEL_attention_backward : SEQNN_KERNEL_attention_forward;
    attention_shape s = {4, 2, 0, 0, 20, 11, 9, 6};
    int sc, m;
    cf_begin(r, "structure query");
    attention_tiled_sizes(r, id, &s.q_len, &s.k_len);
    cf_end(r);
    for (sc = 0; sc < SEQNN_SCORE_COUNT; sc++) {
        for (m = 0; m < 3; m++) {
            const int mask = masks[m], layout = sc + m;
            const attention_grads g = {1, 1, 1, 1, m == 1};
            const double scale = sc == SEQNN_SCORE_SCALED_DOT && m == 1 ? 0.45 : 0;
            attention_case ac;
            attention_grad_tensors gt;
            seqnn_attention_args bwd;
            attention_begin(r, "key lengths k_len-1,1,0,k_len ", &s, (seqnn_score)sc, mask, layout, scale,
                            backward ? (g.overwrite ? "overwrite=1" : "overwrite=0") : "weights=1");
            attention_case_make(r, &ac, &s, (seqnn_score)sc, mask, layout, 1, scale);
            if (mask != ATTENTION_MASK_CAUSAL) {
                ac.lengths[0] = (int32_t)s.k_len - 1;
                ac.lengths[1] = 1;
                ac.lengths[2] = 0;
                ac.lengths[3] = (int32_t)s.k_len;
            }
            if (backward) {
                attention_add_grads(r, &ac, &g, &bwd, &gt);
                cf_call(r, SEQNN_KERNEL_attention_forward, &ac.args);
                cf_call(r, SEQNN_KERNEL_attention_backward, &bwd);
                cf_compare(r, ac.k_fwd);
            } else {
                cf_check(r, SEQNN_KERNEL_attention_forward, &ac.args, ac.k_fwd);
            }
            cf_end(r);
        }
    }
}

/* Every shape x score x mask; layouts rotate; weights written or not;
 * SCALED_DOT alternates scale 0 (1/sqrt(q_dim)) and an explicit 0.37. */
void cf_test_attention_forward(cf_run *r)
{
    int i, sc, mask;
    attention_rejects(r, 0);
    for (i = 0; i < ATTENTION_NSHAPES; i++) {
        for (sc = 0; sc < SEQNN_SCORE_COUNT; sc++) {
            for (mask = 0; mask < ATTENTION_MASKS; mask++) {
                const attention_shape *s = &attention_shapes[i];
                const int layout = i + sc + mask, with_weights = (i + mask) % 3 != 2;
                const double scale = sc == SEQNN_SCORE_SCALED_DOT && (i + mask) % 2 ? 0.37 : 0;
                attention_case ac;
                attention_begin(r, "", s, (seqnn_score)sc, mask, layout, scale,
                                with_weights ? "weights=1" : "weights=0");
                attention_case_make(r, &ac, s, (seqnn_score)sc, mask, layout, with_weights, scale);
                cf_check(r, SEQNN_KERNEL_attention_forward, &ac.args, ac.k_fwd);
                cf_end(r);
            }
        }
    }
    attention_length_checks(r, 0);
}

/* Finite differences on the oracle: every score kind, without masks and
 * with both masks (q_len > k_len, so causal rows are fully masked, and a
 * sequence of key length 0), several heads and strided layouts for the dot
 * scores, every input's gradient including dw (bilinear) and dw_q, dw_k,
 * dw_v (additive). */
static void attention_gradchecks(cf_run *r)
{
    static const attention_shape shapes[2] = {
        {2, 2, 4, 5, 3, 3, 2, 4},     /* q_len < k_len, 2 heads (dot scores) */
        {3, 2, 5, 3, 4, 3, 2, 3},     /* q_len > k_len */
    };
    int sc, v;
    for (sc = 0; sc < SEQNN_SCORE_COUNT; sc++) {
        for (v = 0; v < 2; v++) {
            const attention_shape *s = &shapes[v];
            const int mask = v ? ATTENTION_MASK_BOTH : ATTENTION_MASK_NONE, layout = sc + v;
            const attention_grads g = {1, 1, 1, 1, v};
            const double scale = sc == SEQNN_SCORE_SCALED_DOT && v ? 0.7 : 0;
            attention_case ac;
            attention_grad_tensors gt;
            seqnn_attention_args bwd;
            cf_tensor *inputs[6], *grads[6];
            int n = 3;
            attention_begin(r, "gradcheck ", s, (seqnn_score)sc, mask, layout, scale,
                            v ? "overwrite=1" : "overwrite=0");
            attention_case_make(r, &ac, s, (seqnn_score)sc, mask, layout, 1, scale);
            attention_add_grads(r, &ac, &g, &bwd, &gt);
            inputs[0] = ac.q; grads[0] = gt.dq;
            inputs[1] = ac.k; grads[1] = gt.dk;
            inputs[2] = ac.v; grads[2] = gt.dv;
            if (sc == SEQNN_SCORE_BILINEAR) {
                inputs[n] = ac.w; grads[n++] = gt.dw;
            }
            if (sc == SEQNN_SCORE_ADDITIVE) {
                inputs[n] = ac.w_q; grads[n++] = gt.dw_q;
                inputs[n] = ac.w_k; grads[n++] = gt.dw_k;
                inputs[n] = ac.w_v; grads[n++] = gt.dw_v;
            }
            {
                cf_tensor *const outs[1] = {ac.out}, *const douts[1] = {gt.dout};
                cf_gradcheck(r, SEQNN_KERNEL_attention_forward, SEQNN_KERNEL_attention_backward, &bwd,
                             n, inputs, grads, 1, outs, douts);
            }
            cf_end(r);
        }
    }
}

/* Plugin against oracle: forward (writing the weights), then backward,
 * every shape x score x mask, each mask with its own gradient variant;
 * then finite differences (attention_gradchecks). */
void cf_test_attention_backward(cf_run *r)
{
    int i, sc, mask;
    for (i = 0; i < ATTENTION_NSHAPES; i++) {
        for (sc = 0; sc < SEQNN_SCORE_COUNT; sc++) {
            for (mask = 0; mask < ATTENTION_MASKS; mask++) {
                const attention_shape *s = &attention_shapes[i];
                const attention_grads *g = &attention_grad_variants[mask];
                const int layout = i + 2 * sc + mask;
                const double scale = sc == SEQNN_SCORE_SCALED_DOT && (i + mask) % 2 ? -0.8 : 0;
                attention_case ac;
                attention_grad_tensors gt;
                seqnn_attention_args bwd;
                attention_begin(r, "", s, (seqnn_score)sc, mask, layout, scale,
                                g->overwrite ? "overwrite=1" : "overwrite=0");
                attention_case_make(r, &ac, s, (seqnn_score)sc, mask, layout, 1, scale);
                attention_add_grads(r, &ac, g, &bwd, &gt);
                cf_call(r, SEQNN_KERNEL_attention_forward, &ac.args);
                cf_call(r, SEQNN_KERNEL_attention_backward, &bwd);
                cf_compare(r, ac.k_fwd);
                cf_end(r);
            }
        }
    }
    attention_length_checks(r, 1);
    attention_gradchecks(r);
    attention_rejects(r, 1);
}

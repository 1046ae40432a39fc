/* Tree layers (recursive networks): a sequence's positions are the leaves of
 * a binary tree, composed bottom-up by one shared cell, a tanh layer (Socher
 * et al. 2011) or a binary Tree-LSTM (Tai et al. 2015, a forget gate per
 * child). The trees of a batch differ in shape, so the layer runs level by
 * level: a node's level is its height (leaves 0), and every node of a level,
 * across the batch, is computed by the same few kernel calls (gather the
 * children, one batched GEMM for the gates, bias, activations, element-wise
 * products). Backward visits the levels top-down and scatter-adds each
 * level's gradient into its children's rows. Only catalogue kernels are used
 * (gemm, bias, activations, add/mul, embedding gather / scatter-add), so the
 * layer runs on every plugin.
 *
 * Node table (rows of h, c, tanh(c) and their gradients, [R, H]):
 *   rows 0 .. T*B-1           leaves, row t*B + b (the input's row order)
 *   then each level's nodes   contiguous, level 1 first
 *   the last row              zeros (the nodes output's empty positions)
 * Gates (z pre-activations, a activations) of a block of n nodes are stored
 * gate-major, [G][n][H], so each gate is one contiguous run for the
 * element-wise kernels; the leaves' block comes first, then each level's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fe.h"

/* One level of internal nodes (all the batch's nodes of one height). */
typedef struct tree_level {
    int64_t n;                           /* nodes */
    int64_t first;                       /* index among the internal nodes (their rows: T*B + first ..) */
} tree_level;

typedef struct tree_priv {
    fe_tensor h, c, tc, dh, dc;          /* node table [R, H] (c, tc: LSTM) */
    fe_tensor z, a;                      /* gates: leaves' block, then the levels' */
    fe_tensor kids;                      /* [N, 2H] each internal node's [h_left; h_right] */
    fe_tensor cc;                        /* LSTM: per level [2][n][H], the children's c */
    fe_tensor dz, dk, tmp;               /* backward scratch */
    fe_tensor ones;                      /* [ones_n] of 1: the biases of every gate block in one GEMM */
    int64_t ones_n;
    fe_tensor ids;                       /* int32: left [N], right [N], then the output's rows */
    tree_level *levels;
    int64_t n_levels, cap_levels;
    int64_t n_int, rows, n_out;          /* internal nodes, table rows, output ids */
    int32_t *host;                       /* host scratch of the plan */
    int64_t host_cap;
} tree_priv;

/* Gate blocks per node: leaves and internal nodes. */
static int64_t leaf_gates(const fe_layer *L)
{
    return L->tree.cell == SEQNN_TREE_LSTM ? 3 : 1;
}

static int64_t node_gates(const fe_layer *L)
{
    return L->tree.cell == SEQNN_TREE_LSTM ? 5 : 1;
}

static void tree_destroy(seqnn_model *m, fe_layer *L)
{
    tree_priv *p = L->priv;
    if (!p)
        return;
    fe_tensor *ts[] = {&p->h, &p->c, &p->tc, &p->dh, &p->dc, &p->z, &p->a, &p->kids, &p->cc,
                       &p->dz, &p->dk, &p->tmp, &p->ids, &p->ones};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        fe_tensor_free(m, ts[i]);
    free(p->levels);
    free(p->host);
    free(p);
    L->priv = NULL;
}

static seqnn_status tree_build(seqnn_model *m, fe_layer *L)
{
    FE_TRY(fe_need_floats(L));
    if (!L->in.seq)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "a tree layer reads a sequence (its leaves), its input "
                               "is [B, %lld]", (long long)L->in.n);
    if (m->decoder_start >= 0)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "tree layers are not supported in a model with a decoder");
    L->priv = calloc(1, sizeof(tree_priv));
    if (!L->priv)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    int64_t H = L->tree.hidden, E = L->in.n, gl = leaf_gates(L), gn = node_gates(L);
    double bound = 1.0 / sqrt((double)H);    /* nn.LSTM's default */
    int64_t lw[2] = {gl * H, E}, lb[1] = {gl * H}, nw[2] = {gn * H, 2 * H}, nb[1] = {gn * H};
    FE_TRY(fe_param_new(m, L, "leaf.weight", 2, lw, FE_INIT_UNIFORM, bound, NULL));
    FE_TRY(fe_param_new(m, L, "leaf.bias", 1, lb, FE_INIT_UNIFORM, bound, NULL));
    FE_TRY(fe_param_new(m, L, "node.weight", 2, nw, FE_INIT_UNIFORM, bound, NULL));
    FE_TRY(fe_param_new(m, L, "node.bias", 1, nb, FE_INIT_UNIFORM, bound, NULL));
    L->out.seq = L->tree.nodes;
    L->out.tokens = 0;
    L->out.n = L->tree.nodes ? 2 * H : H;
    return SEQNN_OK;
}

/* ------------------------------------------------------------ the trees --- */
/* Writes the balanced tree over leaves [lo, hi) of a sequence of n leaves
 * (internal nodes numbered from *k, children first); returns its root's id. */
static int32_t balanced(int32_t lo, int32_t hi, int32_t n, int32_t *pairs, int32_t *k)
{
    if (hi - lo == 1)
        return lo;
    int32_t mid = lo + (hi - lo + 1) / 2;
    int32_t left = balanced(lo, mid, n, pairs, k), right = balanced(mid, hi, n, pairs, k);
    pairs[2 * *k] = left;
    pairs[2 * *k + 1] = right;
    return n + (*k)++;
}

static int64_t seq_len_of(const int32_t *lengths, int64_t T, int64_t b)
{
    return lengths ? lengths[b] : T;
}

/* The children of sequence b's internal nodes: the batch's row, or the
 * balanced tree written into own[2*(n-1)]. */
static const int32_t *tree_pairs(const int32_t *trees, int64_t T, int64_t b, int64_t n, int32_t *own)
{
    const int32_t *row = trees ? trees + b * 2 * (T - 1) : NULL;
    if (row && n > 1 && row[0] != -1)
        return row;
    int32_t k = 0;
    if (n > 1)
        balanced(0, (int32_t)n, (int32_t)n, own, &k);
    return own;
}

/* Checks one sequence's tree (n >= 2 leaves); hi[] and used[] are scratch of
 * 2n entries. */
static seqnn_status check_tree(const int32_t *pairs, int64_t n, int64_t b, int32_t *hi, int32_t *lo, char *used)
{
    for (int64_t i = 0; i < n; i++) {
        lo[i] = (int32_t)i;
        hi[i] = (int32_t)i + 1;
        used[i] = 0;
    }
    for (int64_t k = 0; k < n - 1; k++) {
        int32_t l = pairs[2 * k], r = pairs[2 * k + 1];
        for (int side = 0; side < 2; side++) {
            int32_t id = side ? r : l;
            if (id < 0 || id >= n + k)
                return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                                       "batch: trees of sequence %lld: node %lld's %s child %d is outside [0, %lld) "
                                       "(leaves 0..%lld, then the internal nodes before it)", (long long)b,
                                       (long long)(n + k), side ? "right" : "left", (int)id, (long long)(n + k),
                                       (long long)n - 1);
            if (used[id])
                return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                                       "batch: trees of sequence %lld: node %d is a child twice (again of node %lld)",
                                       (long long)b, (int)id, (long long)(n + k));
            used[id] = 1;
        }
        if (hi[l] != lo[r])
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                                   "batch: trees of sequence %lld: node %lld joins leaves [%d, %d) and [%d, %d), "
                                   "which are not adjacent in that order", (long long)b, (long long)(n + k),
                                   (int)lo[l], (int)hi[l], (int)lo[r], (int)hi[r]);
        lo[n + k] = lo[l];
        hi[n + k] = hi[r];
        used[n + k] = 0;
    }
    return SEQNN_OK;
}

static int has_tree_layer(const seqnn_model *m)
{
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].ops == &fe_tree_ops)
            return 1;
    return 0;
}

seqnn_status fe_tree_check_batch(const seqnn_model *m, const seqnn_batch *b)
{
    if (!has_tree_layer(m))
        return SEQNN_OK;
    int64_t T = b->seq_len, B = b->batch;
    for (int64_t s = 0; s < B; s++)        /* (lengths out of [0, T] are the batch check's) */
        if (b->lengths && b->lengths[s] == 0)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                                   "batch: sequence %lld is empty: a tree layer needs at least one leaf",
                                   (long long)s);
    if (!b->trees || T < 2)
        return SEQNN_OK;
    int32_t *lo = malloc((size_t)(4 * T) * sizeof *lo);
    char *used = malloc((size_t)(2 * T));
    seqnn_status st = lo && used ? SEQNN_OK : seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "batch: out of memory");
    for (int64_t s = 0; s < B && st == SEQNN_OK; s++) {
        int64_t n = seq_len_of(b->lengths, T, s);
        if (n < 0 || n > T)
            break;                       /* the lengths check reports it */
        const int32_t *row = b->trees + s * 2 * (T - 1);
        if (n > 1 && row[0] != -1)
            st = check_tree(row, n, s, lo + 2 * T, lo, used);
    }
    free(lo);
    free(used);
    return st;
}

/* Host scratch of the plan (P = T-1): pairs 2*B*P, heights, indices and
 * splits B*P each, hi 2*T, counts T+1, ids 2*B*P + 2*T*B at most. */
static int32_t *plan_scratch(tree_priv *p, int64_t T, int64_t B)
{
    int64_t need = 7 * B * (T - 1) + 2 * T * B + 3 * T + 1;
    if (need > p->host_cap) {
        int32_t *h = realloc(p->host, (size_t)need * sizeof *h);
        if (!h)
            return NULL;
        p->host = h;
        p->host_cap = need;
    }
    return p->host;
}

/* Lays out the batch's trees: every internal node's height, the levels, the
 * node table's rows, and the ids the kernels gather by (uploaded to p->ids):
 * left children [N], right children [N], then the output's rows (the roots
 * [B], or for nodes = 1 the leaves [T*B] and the split nodes [T*B]). */
static seqnn_status plan(seqnn_model *m, fe_layer *L)
{
    tree_priv *p = L->priv;
    int64_t T = fe_steps(m, L), B = m->B, P = T - 1, TB = T * B;
    int32_t *w = plan_scratch(p, T, B);
    if (!w)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    int32_t *pairs = w, *height = pairs + 2 * B * P, *idx = height + B * P, *split = idx + B * P;
    int32_t *hi = split + B * P, *count = hi + 2 * T;   /* hi: per sequence; count: per level, [T + 1] */
    int32_t *ids = count + T + 1;                        /* 2*B*P + n_out */
    memset(count, 0, (size_t)(T + 1) * sizeof *count);
    int64_t maxh = 0;
    for (int64_t b = 0; b < B; b++) {    /* heights, and where each node's left subtree ends */
        int64_t n = seq_len_of(fe_lengths(m, L), T, b);
        const int32_t *pr = tree_pairs(m->trees, T, b, n, pairs + b * 2 * P);
        if (pr != pairs + b * 2 * P)
            memcpy(pairs + b * 2 * P, pr, (size_t)(2 * (n - 1)) * sizeof *pr);
        for (int64_t k = 0; k < n - 1; k++) {
            int32_t l = pr[2 * k], r = pr[2 * k + 1];
            int32_t hl = l < n ? 0 : height[b * P + l - n], hr = r < n ? 0 : height[b * P + r - n];
            int32_t h = 1 + (hl > hr ? hl : hr);
            height[b * P + k] = h;
            count[h]++;
            maxh = h > maxh ? h : maxh;
            split[b * P + k] = (l < n ? l + 1 : hi[l - n]) - 1;
            hi[k] = r < n ? r + 1 : hi[r - n];
        }
    }
    if (maxh > p->cap_levels) {
        tree_level *lv = realloc(p->levels, (size_t)maxh * sizeof *lv);
        if (!lv)
            return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
        p->levels = lv;
        p->cap_levels = maxh;
    }
    int64_t N = 0;
    for (int64_t h = 1; h <= maxh; h++) {    /* count[h] becomes the level's next free index */
        p->levels[h - 1].n = count[h];
        p->levels[h - 1].first = N;
        count[h] = (int32_t)N;
        N += p->levels[h - 1].n;
    }
    p->n_levels = maxh;
    p->n_int = N;
    p->rows = TB + N + 1;
    int32_t zero_row = (int32_t)(p->rows - 1), *out = ids + 2 * N;
    for (int64_t b = 0; b < B; b++) {    /* rows of the internal nodes, their children's rows */
        int64_t n = seq_len_of(fe_lengths(m, L), T, b);
        const int32_t *pr = pairs + b * 2 * P;
        for (int64_t k = 0; k < n - 1; k++) {
            int32_t i = count[height[b * P + k]]++;
            idx[b * P + k] = i;
            for (int side = 0; side < 2; side++) {
                int32_t c = pr[2 * k + side];
                ids[side * N + i] = (int32_t)(c < n ? c * B + b : TB + idx[b * P + c - n]);
            }
        }
        if (!L->tree.nodes) {
            out[b] = (int32_t)(n == 1 ? b : TB + idx[b * P + n - 2]);
            continue;
        }
        for (int64_t t = 0; t < T; t++) {
            out[t * B + b] = t < n ? (int32_t)(t * B + b) : zero_row;
            out[TB + t * B + b] = zero_row;
        }
        for (int64_t k = 0; k < n - 1; k++)
            out[TB + split[b * P + k] * B + b] = (int32_t)(TB + idx[b * P + k]);
    }
    p->n_out = L->tree.nodes ? 2 * TB : B;
    FE_TRY(fe_tensor_ensure_i32(m, &p->ids, 2 * N + p->n_out, 1));
    return seqnn_buffer_write(m->ctx, p->ids.buf, 0, ids, 2 * N + p->n_out);
}

/* ------------------------------------------------------------- one step --- */
/* A block of n nodes computed together: the leaves, or one level. */
typedef struct tree_step {
    int64_t n, in, G, nf;                /* nodes, input width, gate blocks, children (forget gates) */
    int64_t w;                           /* parameter index of the weight (bias: w + 1) */
    seqnn_tref x;                        /* [n, in] the inputs (leaves) or children's h */
    int64_t row;                         /* the nodes' first row in the table */
    int64_t gate;                        /* offset of their gates in z, a */
    seqnn_tref cc;                       /* LSTM nodes: [nf][n][H] children's c */
    seqnn_tref kid[2];                   /* int32 [n] children's rows (nodes) */
} tree_step;

static seqnn_tref rows_at(const fe_tensor *t, int64_t row, int64_t H)
{
    return fe_at(t, row * H);
}

static seqnn_status ew_mul(seqnn_model *m, int64_t n, seqnn_tref x, seqnn_tref y, seqnn_tref z, double beta)
{
    seqnn_ew_args e = {.n = n, .alpha = 1, .beta = beta, .x = x, .y = y, .z = z};
    return seqnn_mul(m->ctx, &e);
}

static seqnn_status act(seqnn_model *m, seqnn_act kind, int64_t n, seqnn_tref x, seqnn_tref y)
{
    seqnn_act_args a = {.kind = kind, .n = n, .x = x, .y = y};
    return seqnn_act_forward(m->ctx, &a);
}

/* dx = dy * f'(x) given y = f(x); in place when dx is dy (overwrite), else accumulating when acc. */
static seqnn_status act_back(seqnn_model *m, seqnn_act kind, int64_t n, seqnn_tref x, seqnn_tref y, seqnn_tref dy,
                             seqnn_tref dx, int acc)
{
    seqnn_act_args a = {.kind = kind, .n = n, .x = x, .y = y, .dy = dy, .dx = dx,
                        .flags = acc ? 0 : SEQNN_FLAG_OVERWRITE};
    return seqnn_act_backward(m->ctx, &a);
}

static seqnn_status step_forward(seqnn_model *m, fe_layer *L, const tree_step *s)
{
    tree_priv *p = L->priv;
    int64_t H = L->tree.hidden, n = s->n, nH = n * H, G = s->G;
    seqnn_tref z = fe_at(&p->z, s->gate), a = fe_at(&p->a, s->gate);
    /* z[g][n, H] = x[n, in] W_g[H, in]^T, one GEMM per gate block, batched */
    seqnn_gemm_args g = {.trans_b = 1, .m = n, .n = H, .k = s->in, .alpha = 1, .beta = 0, .a = s->x, .lda = s->in,
                         .b = fe_param_ref(m, s->w), .ldb = s->in, .c = z, .ldc = H, .batch = G,
                         .stride_a = 0, .stride_b = H * s->in, .stride_c = nH};
    FE_TRY(seqnn_gemm(m->ctx, &g));
    /* z[g][n, H] += ones[n, 1] b_g[1, H], batched over the gates */
    seqnn_gemm_args gb = {.m = n, .n = H, .k = 1, .alpha = 1, .beta = 1, .a = fe_at(&p->ones, 0), .lda = 1,
                          .b = fe_param_ref(m, s->w + 1), .ldb = H, .c = z, .ldc = H, .batch = G, .stride_a = 0,
                          .stride_b = H, .stride_c = nH};
    FE_TRY(seqnn_gemm(m->ctx, &gb));
    seqnn_tref h = rows_at(&p->h, s->row, H);
    if (L->tree.cell == SEQNN_TREE_TANH)
        return act(m, SEQNN_ACT_TANH, nH, z, h);
    /* gates i, f_1..f_nf, o (sigmoid), u (tanh) */
    FE_TRY(act(m, SEQNN_ACT_SIGMOID, (G - 1) * nH, z, a));
    seqnn_tref zu = z, au = a, ao = a;
    zu.off += (G - 1) * nH;
    au.off += (G - 1) * nH;
    ao.off += (G - 2) * nH;
    FE_TRY(act(m, SEQNN_ACT_TANH, nH, zu, au));
    seqnn_tref c = rows_at(&p->c, s->row, H), tc = rows_at(&p->tc, s->row, H);
    FE_TRY(ew_mul(m, nH, a, au, c, 0));  /* c = i*u */
    for (int64_t k = 0; k < s->nf; k++) {    /* c += f_k * c_k */
        seqnn_tref f = a, ck = s->cc;
        f.off += (1 + k) * nH;
        ck.off += k * nH;
        FE_TRY(ew_mul(m, nH, f, ck, c, 1));
    }
    FE_TRY(act(m, SEQNN_ACT_TANH, nH, c, tc));
    return ew_mul(m, nH, ao, tc, h, 0);  /* h = o*tanh(c) */
}

/* The LSTM part of a step's backward: from dh and dc (the table's rows) to
 * the gates' gradients dz (before the activations' derivatives) and the
 * children's c gradients, scatter-added into their rows. */
static seqnn_status lstm_backward(seqnn_model *m, fe_layer *L, const tree_step *s)
{
    tree_priv *p = L->priv;
    int64_t H = L->tree.hidden, n = s->n, nH = n * H, G = s->G;
    seqnn_tref a = fe_at(&p->a, s->gate), dz = fe_at(&p->dz, 0), tmp = fe_at(&p->tmp, 0);
    seqnn_tref dh = rows_at(&p->dh, s->row, H), dc = rows_at(&p->dc, s->row, H);
    seqnn_tref c = rows_at(&p->c, s->row, H), tc = rows_at(&p->tc, s->row, H);
    seqnn_tref ao = a, au = a, dzo = dz, dzu = dz;
    ao.off += (G - 2) * nH;
    au.off += (G - 1) * nH;
    dzo.off += (G - 2) * nH;
    dzu.off += (G - 1) * nH;
    FE_TRY(ew_mul(m, nH, dh, tc, dzo, 0));           /* do = dh * tanh(c) */
    FE_TRY(ew_mul(m, nH, dh, ao, tmp, 0));           /* dc += dh * o * tanh'(c) */
    FE_TRY(act_back(m, SEQNN_ACT_TANH, nH, c, tc, tmp, dc, 1));
    FE_TRY(ew_mul(m, nH, dc, au, dz, 0));            /* di = dc * u */
    FE_TRY(ew_mul(m, nH, dc, a, dzu, 0));            /* du = dc * i */
    for (int64_t k = 0; k < s->nf; k++) {
        seqnn_tref f = a, dzf = dz, ck = s->cc;
        f.off += (1 + k) * nH;
        dzf.off += (1 + k) * nH;
        ck.off += k * nH;
        FE_TRY(ew_mul(m, nH, dc, ck, dzf, 0));       /* df_k = dc * c_k */
        FE_TRY(ew_mul(m, nH, dc, f, tmp, 0));        /* dc_k += dc * f_k (scattered to child k) */
        seqnn_embedding_args e = {.n = n, .vocab = p->rows, .dim = H, .idx = s->kid[k], .padding_idx = -1,
                                  .weight = fe_at(&p->c, 0), .dy = tmp, .ldy = H, .dweight = fe_at(&p->dc, 0)};
        FE_TRY(seqnn_embedding_backward(m->ctx, &e));
    }
    seqnn_tref z = fe_at(&p->z, s->gate), zu = z;
    zu.off += (G - 1) * nH;
    FE_TRY(act_back(m, SEQNN_ACT_SIGMOID, (G - 1) * nH, z, a, dz, dz, 0));
    return act_back(m, SEQNN_ACT_TANH, nH, zu, au, dzu, dzu, 0);
}

/* Backward of a step: the parameters' gradients accumulate; dx [n, in]
 * (when present) is overwritten with the inputs' gradient. */
static seqnn_status step_backward(seqnn_model *m, fe_layer *L, const tree_step *s, seqnn_tref dx)
{
    tree_priv *p = L->priv;
    int64_t H = L->tree.hidden, n = s->n, nH = n * H, G = s->G;
    seqnn_tref dz = fe_at(&p->dz, 0);
    if (L->tree.cell == SEQNN_TREE_TANH)
        FE_TRY(act_back(m, SEQNN_ACT_TANH, nH, fe_at(&p->z, s->gate), rows_at(&p->h, s->row, H),
                        rows_at(&p->dh, s->row, H), dz, 0));
    else
        FE_TRY(lstm_backward(m, L, s));
    /* dW_g[H, in] += dz_g[n, H]^T x[n, in], batched over the gates */
    seqnn_gemm_args g = {.trans_a = 1, .m = H, .n = s->in, .k = n, .alpha = 1, .beta = 1, .a = dz, .lda = H,
                         .b = s->x, .ldb = s->in, .c = fe_grad_ref(m, s->w), .ldc = s->in, .batch = G,
                         .stride_a = nH, .stride_b = 0, .stride_c = H * s->in};
    FE_TRY(seqnn_gemm(m->ctx, &g));
    /* db_g[1, H] += ones[1, n] dz_g[n, H], batched over the gates */
    seqnn_gemm_args gb = {.m = 1, .n = H, .k = n, .alpha = 1, .beta = 1, .a = fe_at(&p->ones, 0), .lda = n,
                          .b = dz, .ldb = H, .c = fe_grad_ref(m, s->w + 1), .ldc = H, .batch = G, .stride_a = 0,
                          .stride_b = nH, .stride_c = H};
    FE_TRY(seqnn_gemm(m->ctx, &gb));
    for (int64_t k = 0; k < G && dx.buf; k++) {  /* dx[n, in] (+)= dz_g[n, H] W_g[H, in] */
        seqnn_tref w = fe_param_ref(m, s->w);
        w.off += k * H * s->in;
        seqnn_gemm_args d = {.m = n, .n = s->in, .k = H, .alpha = 1, .beta = k ? 1 : 0, .a = fe_at(&p->dz, k * nH),
                             .lda = H, .b = w, .ldb = s->in, .c = dx, .ldc = s->in, .batch = 1};
        FE_TRY(seqnn_gemm(m->ctx, &d));
    }
    return SEQNN_OK;
}

/* ------------------------------------------------------------- the layer --- */
static tree_step leaf_step(const seqnn_model *m, const fe_layer *L, const fe_tensor *x)
{
    tree_step s = {.n = fe_steps(m, L) * m->B, .in = L->in.n, .G = leaf_gates(L), .nf = 0, .w = L->param0,
                   .x = fe_at(x, 0)};
    return s;
}

static tree_step level_step(const seqnn_model *m, const fe_layer *L, int64_t l)
{
    const tree_priv *p = L->priv;
    const tree_level *v = &p->levels[l];
    int64_t H = L->tree.hidden, TB = fe_steps(m, L) * m->B;
    tree_step s = {.n = v->n, .in = 2 * H, .G = node_gates(L), .nf = L->tree.cell == SEQNN_TREE_LSTM ? 2 : 0,
                   .w = L->param0 + 2, .x = fe_at(&p->kids, v->first * 2 * H), .row = TB + v->first,
                   .gate = leaf_gates(L) * TB * H + node_gates(L) * v->first * H,
                   .cc = fe_at(&p->cc, v->first * 2 * H),
                   .kid = {fe_at(&p->ids, v->first), fe_at(&p->ids, p->n_int + v->first)}};
    return s;
}

/* Gathers rows idx of the table t into y (row stride ldy). */
static seqnn_status gather(seqnn_model *m, const tree_priv *p, int64_t n, int64_t H, seqnn_tref idx,
                           const fe_tensor *t, seqnn_tref y, int64_t ldy)
{
    seqnn_embedding_args e = {.n = n, .vocab = p->rows, .dim = H, .idx = idx, .padding_idx = -1,
                              .weight = fe_at(t, 0), .y = y, .ldy = ldy};
    return seqnn_embedding_forward(m->ctx, &e);
}

/* Scatter-adds dy (row stride ldy) into rows idx of the table's gradient dt. */
static seqnn_status scatter(seqnn_model *m, const tree_priv *p, int64_t n, int64_t H, seqnn_tref idx,
                            seqnn_tref dy, int64_t ldy, const fe_tensor *t, fe_tensor *dt)
{
    seqnn_embedding_args e = {.n = n, .vocab = p->rows, .dim = H, .idx = idx, .padding_idx = -1,
                              .weight = fe_at(t, 0), .dy = dy, .ldy = ldy, .dweight = fe_at(dt, 0)};
    return seqnn_embedding_backward(m->ctx, &e);
}

static seqnn_status tree_forward(seqnn_model *m, fe_layer *L, const fe_tensor *x, int train)
{
    (void)train;
    tree_priv *p = L->priv;
    int lstm = L->tree.cell == SEQNN_TREE_LSTM;
    int64_t H = L->tree.hidden, TB = fe_steps(m, L) * m->B;
    FE_TRY(plan(m, L));
    int64_t N = p->n_int, R = p->rows;
    FE_TRY(fe_tensor_ensure(m, &p->h, R, H));
    FE_TRY(fe_tensor_ensure(m, &p->z, leaf_gates(L) * TB + node_gates(L) * N, H));
    FE_TRY(fe_tensor_ensure(m, &p->kids, N + 1, 2 * H));
    if (lstm) {
        FE_TRY(fe_tensor_ensure(m, &p->c, R, H));
        FE_TRY(fe_tensor_ensure(m, &p->tc, R, H));
        FE_TRY(fe_tensor_ensure(m, &p->a, leaf_gates(L) * TB + node_gates(L) * N, H));
        FE_TRY(fe_tensor_ensure(m, &p->cc, N + 1, 2 * H));
    }
    FE_TRY(seqnn_buffer_fill(m->ctx, p->h.buf, (R - 1) * H, H, 0.0));   /* the zero row */
    if (TB > p->ones_n) {                /* a level never has more nodes than the batch has leaves */
        FE_TRY(fe_tensor_ensure(m, &p->ones, TB, 1));
        FE_TRY(seqnn_buffer_fill(m->ctx, p->ones.buf, 0, TB, 1.0));
        p->ones_n = TB;
    }
    tree_step s = leaf_step(m, L, x);
    FE_TRY(step_forward(m, L, &s));
    for (int64_t l = 0; l < p->n_levels; l++) {
        s = level_step(m, L, l);
        for (int side = 0; side < 2; side++) {   /* x = [h_left; h_right], cc = [c_left][c_right] */
            seqnn_tref y = s.x, cy = s.cc;
            y.off += side * H;
            cy.off += side * s.n * H;
            FE_TRY(gather(m, p, s.n, H, s.kid[side], &p->h, y, 2 * H));
            if (lstm)
                FE_TRY(gather(m, p, s.n, H, s.kid[side], &p->c, cy, H));
        }
        FE_TRY(step_forward(m, L, &s));
    }
    /* y[b] = h[root_b] ([B, H]), or y[t*B + b] = [h[leaf]; h[split node]] ([T*B, 2H]) */
    int64_t nodes = L->tree.nodes, rows = nodes ? TB : m->B;
    FE_TRY(fe_tensor_ensure(m, &L->y, rows, L->out.n));
    for (int64_t half = 0; half <= nodes; half++)
        FE_TRY(gather(m, p, rows, H, fe_at(&p->ids, 2 * N + half * TB), &p->h, fe_at(&L->y, half * H),
                      L->out.n));
    return SEQNN_OK;
}

static seqnn_status tree_backward(seqnn_model *m, fe_layer *L, const fe_tensor *x, fe_tensor *dx)
{
    tree_priv *p = L->priv;
    int lstm = L->tree.cell == SEQNN_TREE_LSTM;
    int64_t H = L->tree.hidden, TB = fe_steps(m, L) * m->B, N = p->n_int, R = p->rows, maxn = TB;
    for (int64_t l = 0; l < p->n_levels; l++)
        maxn = p->levels[l].n > maxn ? p->levels[l].n : maxn;
    FE_TRY(fe_tensor_ensure(m, &p->dh, R, H));
    FE_TRY(fe_tensor_zero(m, &p->dh));
    FE_TRY(fe_tensor_ensure(m, &p->dz, (lstm ? 5 : 1) * maxn, H));
    FE_TRY(fe_tensor_ensure(m, &p->dk, N + 1, 2 * H));
    if (lstm) {
        FE_TRY(fe_tensor_ensure(m, &p->dc, R, H));
        FE_TRY(fe_tensor_zero(m, &p->dc));
        FE_TRY(fe_tensor_ensure(m, &p->tmp, maxn, H));
    }
    int64_t nodes = L->tree.nodes, rows = nodes ? TB : m->B;
    for (int64_t half = 0; half <= nodes; half++)
        FE_TRY(scatter(m, p, rows, H, fe_at(&p->ids, 2 * N + half * TB), fe_at(&L->dy, half * H), L->out.n,
                       &p->h, &p->dh));
    for (int64_t l = p->n_levels - 1; l >= 0; l--) {
        tree_step s = level_step(m, L, l);
        seqnn_tref dk = fe_at(&p->dk, 0);
        FE_TRY(step_backward(m, L, &s, dk));
        for (int side = 0; side < 2; side++) {   /* dh[child] += dx[:, side*H ..] */
            seqnn_tref d = dk;
            d.off += side * H;
            FE_TRY(scatter(m, p, s.n, H, s.kid[side], d, 2 * H, &p->h, &p->dh));
        }
    }
    tree_step s = leaf_step(m, L, x);
    seqnn_tref none = {NULL, 0};
    return step_backward(m, L, &s, dx ? fe_at(dx, 0) : none);
}

const fe_layer_ops fe_tree_ops = {
    .kind = "tree",
    .build = tree_build,
    .forward = tree_forward,
    .backward = tree_backward,
    .destroy = tree_destroy,
};

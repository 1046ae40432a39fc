/* The ONNX importer's encoder-decoder attention: what seqnn export writes
 * for `attention encoder=1` (Luong et al. 2015) in a decoder: the decoder's
 * states and the encoder's outputs split into heads (Reshape [0, -1, d] +
 * Transpose), scores (dot, scaled dot, bilinear q W k), Softmax, the
 * context joined back, Concat with the states, tanh(W_c [context; state] +
 * b_c): one attention layer whose stream is the decoder's. The encoder's
 * output and the decoder's token input make the model an encoder-decoder
 * (onnx_map.c writes its model file). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "onnx_map.h"

#ifdef SEQNN_HAVE_ONNX

static const char ENCATT_HOW[] =
    "encoder-decoder attention is mapped as seqnn export writes `attention encoder=1`: the decoder's states and "
    "the encoder's outputs split into heads (Reshape [0, -1, d], Transpose), scores MatMul (dot; a Mul by "
    "1/sqrt(d): scaled; a MatMul by W first: bilinear; additive: Unsqueeze(q W_q, 2) + Unsqueeze(k W_k, 1), "
    "Tanh, MatMul by w_v, Squeeze(3)), Softmax, MatMul by the values, Transpose, Reshape, "
    "Concat with the states, MatMul + Add, Tanh; with lengths, Where(Range(T) >= the source's lengths per head, "
    "-inf, scores) before the Softmax";

/* The stages of the pattern, in order (V_ENCATT values). */
enum { XS_SPLIT, XS_HEADS, XS_KT, XS_QW, XS_ADD_Q, XS_ADD_K, XS_ADD, XS_ADD_T, XS_ADD_E, XS_SCORES, XS_WEIGHTS,
       XS_CTX, XS_CTX_T, XS_CTX_J, XS_CAT, XS_COMB, XS_COMB_B };

static seqnn_status refuse(mapper *m)
{
    return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "%s", ENCATT_HOW);
}

/* Output 0 of the node: stage `stage` of the values of layer `layer`, last
 * axis f. */
static seqnn_status xs_out(mapper *m, int stage, int layer, int64_t f)
{
    mval *o = om_out_val(m, 0, V_ENCATT);
    if (!o)
        return om_map_status;
    o->stage = stage;
    o->layer = layer;
    o->f = f;
    return SEQNN_OK;
}

/* The node's input k as a constant of n integers a[0..n) (n <= 4): 1, or 0. */
static int const_ints(mapper *m, size_t k, int64_t n, int64_t *a)
{
    const mval *c = om_in_val(m, k, 0);
    if (!c || c->kind != V_CONST || om_tensor_count(c->t) != n)
        return 0;
    for (int64_t i = 0; i < n; i++)
        if (!om_tensor_int(c->t, i, &a[i]))
            return 0;
    return 1;
}

/* The features of layer li's [T, B, F] activations (0: none). */
static int64_t act_f(const mapper *m, int li)
{
    for (size_t i = m->n_vals; i-- > 0;)
        if (m->vals[i].kind == V_ACT && m->vals[i].layer == li && m->vals[i].rank == 3)
            return m->vals[i].f;
    return 0;
}

/* The node's perm attribute is {a, b, c}: 1, or 0. */
static int perm_is(const Onnx__NodeProto *n, int a, int b, int c)
{
    const Onnx__AttributeProto *p = om_attr(n, "perm");
    return p && p->n_ints == 3 && p->ints[0] == a && p->ints[1] == b && p->ints[2] == c;
}

/* 1 when the node is a Reshape [0, -1, d] of time-major activations x [T, B, F]
 * (d divides F): the heads split of encoder-decoder attention. */
int om_encatt_split(mapper *m, const mval *x)
{
    int64_t s[3];
    return x->kind == V_ACT && x->rank == 3 && x->ax[2] == AX_F && x->ax[0] == m->time_label &&
           !strcmp(m->node->op_type, "Reshape") && const_ints(m, 1, 3, s) && s[0] == 0 && s[1] == -1 && s[2] >= 1 &&
           x->f % s[2] == 0;
}

/* Scores of q (heads, or q W: bilinear) by k's transposed heads, or of
 * the additive score (x: its Squeeze); the attention's layers, head size d
 * and score (0 dot, 2 bilinear, 3 additive) set. */
static seqnn_status map_scores(mapper *m, const mval *q, const mval *k, int score)
{
    mlayer *ql = q->layer >= 0 ? &m->layers[q->layer] : NULL, *kl = k->layer >= 0 ? &m->layers[k->layer] : NULL;
    if (!ql || !kl || ql->stream == kl->stream || m->xatt.active || (score < 3 && q->f != k->f))
        return refuse(m);
    memset(&m->xatt, 0, sizeof m->xatt);
    m->xatt.active = 1;
    m->xatt.q_layer = q->layer;
    m->xatt.k_layer = k->layer;
    m->xatt.score = score;
    m->xatt.d = score == 3 ? act_f(m, q->layer) : k->f;
    return xs_out(m, XS_SCORES, q->layer, 0);
}

/* MatMul with an encoder-attention value first. */
static seqnn_status map_matmul(mapper *m, const mval *x)
{
    const mval *y = om_in_val(m, 1, 1);
    if (!y)
        return om_map_status;
    int by_const = y->kind == V_CONST && y->t->n_dims == 2 && y->t->dims[0] == x->f && y->t->dims[1] >= 1;
    if (x->stage == XS_HEADS && by_const) {   /* q W (bilinear, W [qd, kd]), or W_q q, W_k k (additive) */
        mval *o = xs_out(m, XS_QW, x->layer, y->t->dims[1]) ? NULL : &m->vals[m->n_vals - 1];
        if (o)
            o->t = y->t;
        return o ? SEQNN_OK : om_map_status;
    }
    if ((x->stage == XS_HEADS || x->stage == XS_QW) && y->kind == V_ENCATT && y->stage == XS_KT) {
        seqnn_status st = map_scores(m, x, y, x->stage == XS_QW ? 2 : 0);
        m->xatt.w[0] = x->stage == XS_QW ? x->t : NULL;
        return st;
    }
    if (x->stage == XS_ADD_T && by_const && y->t->dims[1] == 1) {
        mval *o = xs_out(m, XS_ADD_E, x->layer, 1) ? NULL : &m->vals[m->n_vals - 1];
        if (o)
            o->t = y->t;
        return o ? SEQNN_OK : om_map_status;
    }
    if (x->stage == XS_WEIGHTS && y->kind == V_ENCATT && y->stage == XS_HEADS && y->layer == m->xatt.k_layer)
        return xs_out(m, XS_CTX, x->layer, y->f);
    if (x->stage == XS_CAT && by_const && y->t->dims[1] == act_f(m, m->xatt.q_layer)) {
        m->xatt.wc = y->t;
        return xs_out(m, XS_COMB, x->layer, y->t->dims[1]);
    }
    return refuse(m);
}

/* The additive score: Unsqueeze(W_q q, 2) + Unsqueeze(W_k k, 1), Tanh,
 * MatMul by w_v [A, 1], Squeeze(3). */
static seqnn_status map_additive(mapper *m, const mval *x)
{
    const char *op = m->node->op_type;
    int64_t a[1] = {0};
    const mval *y = m->node->n_input > 1 ? om_in_val(m, 1, 0) : NULL;
    if (!strcmp(op, "Unsqueeze") && x->stage == XS_QW && const_ints(m, 1, 1, a) && (a[0] == 1 || a[0] == 2)) {
        mval *o = xs_out(m, a[0] == 2 ? XS_ADD_Q : XS_ADD_K, x->layer, x->f) ? NULL : &m->vals[m->n_vals - 1];
        if (o)
            o->t = x->t;
        return o ? SEQNN_OK : om_map_status;
    }
    if (!strcmp(op, "Add") && x->stage == XS_ADD_Q && y && y->kind == V_ENCATT && y->stage == XS_ADD_K &&
        y->f == x->f) {
        mval q = *x, k = *y;
        q.f = k.f = 0;
        seqnn_status st = map_scores(m, &q, &k, 3);
        m->xatt.w[0] = x->t;
        m->xatt.w[1] = y->t;
        if (!st) {
            m->vals[m->n_vals - 1].stage = XS_ADD;
            m->vals[m->n_vals - 1].f = x->f;
        }
        return st;
    }
    if (!strcmp(op, "Tanh") && x->stage == XS_ADD)
        return xs_out(m, XS_ADD_T, x->layer, x->f);
    if (!strcmp(op, "Squeeze") && x->stage == XS_ADD_E && const_ints(m, 1, 1, a) && (a[0] == 3 || a[0] == -1)) {
        m->xatt.w[2] = x->t;
        return xs_out(m, XS_SCORES, x->layer, 0);
    }
    return refuse(m);
}

/* A new parameter of the layer: the constant t [r, c], transposed to [c, r]
 * when trans. */
static seqnn_status add_const(mapper *m, const char *layer, const char *suffix, const Onnx__TensorProto *t,
                              int trans)
{
    int64_t n;
    float *d = om_tensor_floats(m, t, &n), *o = d && trans ? malloc((size_t)n * sizeof *o) : d;
    if (!o) {
        free(d);
        return d ? om_map_fail(SEQNN_ERR_NO_MEMORY, "out of memory") : om_map_status;
    }
    for (int64_t r = trans ? t->dims[0] : 0, c = t->dims[t->n_dims - 1], i = 0; i < r; i++)
        for (int64_t j = 0; j < c; j++)
            o[j * r + i] = d[i * c + j];
    if (o != d)
        free(d);
    return om_param_add(m, layer, suffix, o, n);
}

/* The combine's Tanh: the attention layer. */
static seqnn_status encatt_layer(mapper *m, const mval *x)
{
    static const char *const names[3][3] = {{"weight"}, {"query.weight", "key.weight", "v.weight"}};
    int score = m->xatt.score;
    int64_t Dq = x->f, h = Dq / m->xatt.d;
    if (score >= 2 && h != 1)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a %s score of %lld heads (seqnn's has one)",
                           score == 2 ? "bilinear" : "additive", (long long)h);
    mlayer *l = om_layer_new(m, L_ENCATT, "attn");
    if (!l)
        return om_map_status;
    char name[sizeof l->name];
    memcpy(name, l->name, sizeof name);
    *l = (mlayer){.kind = L_ENCATT, .heads = (int)h, .score = score, .b = Dq, .stream = m->layers[m->xatt.q_layer].stream,
                  .n_src = 1, .src = {m->xatt.q_layer}, .enc = m->xatt.k_layer, .lens_ops = m->xatt.masked,
                  .node_i = l->node_i, .a = score == 3 ? m->xatt.w[0]->dims[1] : 0};
    memcpy(l->name, name, sizeof name);
    m->xatt.active = 0;
    seqnn_status st = add_const(m, l->name, "combine.weight", m->xatt.wc, 1);
    if (!st)
        st = add_const(m, l->name, "combine.bias", m->xatt.bc, 0);
    for (int i = 0; !st && score >= 2 && i < (score == 2 ? 1 : 3); i++)
        st = add_const(m, l->name, names[score - 2][i], m->xatt.w[i], score == 3);
    mval *o = st ? NULL : om_out_val(m, 0, V_ACT);
    if (!o)
        return st ? st : om_map_status;
    o->layer = m->n_layers - 1;
    o->rank = 3;
    o->ax[0] = m->time_label;
    o->ax[1] = m->time_label == AX_S0 ? AX_S1 : AX_S0;
    o->ax[2] = AX_F;
    o->f = Dq;
    return SEQNN_OK;
}

/* The activations x split into heads: Reshape [0, -1, d] (om_encatt_split). */
seqnn_status om_map_encatt_split(mapper *m, const mval *x)
{
    int64_t s[3];
    const_ints(m, 1, 3, s);
    const mlayer *l = x->layer >= 0 ? &m->layers[x->layer] : NULL;
    if (!l || (l->kind == L_RNN && (x->sub != l->layers - 1 || l->last)) || x->f != act_f(m, x->layer))
        return refuse(m);
    return xs_out(m, XS_SPLIT, x->layer, s[2]);
}

/* Where(mask, -inf, scores), the mask the keys at or past the source's
 * lengths (a V_MASK of stage MK_KEYS: onnx_map_attention.c reads its chain,
 * Expand(Unsqueeze(len, 1), [1, h]) folded into [B*h, 1, 1] and compared with
 * Range(T)): the scores masked. */
seqnn_status om_map_encatt_mask(mapper *m, const mval *mask)
{
    int neg_inf = 0;
    const mval *sc = om_where_neg_inf(m, &neg_inf);
    if (!sc)
        return om_map_status;
    int64_t h = m->xatt.d ? act_f(m, m->xatt.q_layer) / m->xatt.d : 0;
    if (sc->kind != V_ENCATT || sc->stage != XS_SCORES || m->xatt.masked || !neg_inf || mask->stage != MK_KEYS ||
        mask->part || (!mask->f && h != 1))   /* other heads: om_mask_keys_bind says so */
        return refuse(m);
    seqnn_status st = om_mask_keys_bind(m, mask, m->layers[m->xatt.k_layer].stream, h);
    if (st)
        return st;
    m->xatt.masked = 1;
    return xs_out(m, XS_SCORES, sc->layer, 0);
}

/* A node whose first input is a value of the pattern (V_ENCATT). */
seqnn_status om_map_encatt(mapper *m, const mval *x)
{
    const Onnx__NodeProto *n = m->node;
    const char *op = n->op_type;
    int64_t s[3];
    float f = 0;
    if (!strcmp(op, "Transpose") && x->stage == XS_SPLIT && perm_is(n, 1, 0, 2))
        return xs_out(m, XS_HEADS, x->layer, x->f);
    if (!strcmp(op, "Transpose") && x->stage == XS_HEADS && perm_is(n, 0, 2, 1))
        return xs_out(m, XS_KT, x->layer, x->f);
    if (!strcmp(op, "MatMul"))
        return map_matmul(m, x);
    if (!strcmp(op, "Mul") && x->stage == XS_SCORES && !m->xatt.score && !m->xatt.masked) {
        const mval *c = om_in_val(m, 1, 1);
        if (c && c->kind == V_CONST && om_tensor_floats_one(c->t, &f) &&
            fabs(f - 1.0 / sqrt((double)m->xatt.d)) <= 1e-6 / sqrt((double)m->xatt.d)) {
            m->xatt.score = 1;
            return xs_out(m, XS_SCORES, x->layer, 0);
        }
    }
    if (!strcmp(op, "Softmax") && x->stage == XS_SCORES && (om_attr_i(n, "axis", -1) == -1 || om_attr_i(n, "axis", -1) == 2))
        return xs_out(m, XS_WEIGHTS, x->layer, 0);
    if (!strcmp(op, "Transpose") && x->stage == XS_CTX && perm_is(n, 1, 0, 2))
        return xs_out(m, XS_CTX_T, x->layer, x->f);
    if (!strcmp(op, "Reshape") && x->stage == XS_CTX_T && const_ints(m, 1, 3, s) && s[0] == 0 && s[1] == -1 &&
        s[2] == act_f(m, m->xatt.k_layer) && s[2] % x->f == 0)
        return xs_out(m, XS_CTX_J, x->layer, s[2]);
    if (!strcmp(op, "Concat") && x->stage == XS_CTX_J && n->n_input == 2 &&
        (om_attr_i(n, "axis", 0) == -1 || om_attr_i(n, "axis", 0) == 2)) {
        const mval *q = om_in_val(m, 1, 1);
        if (q && q->kind == V_ACT && q->layer == m->xatt.q_layer && q->rank == 3 && q->ax[0] == m->time_label &&
            q->ax[2] == AX_F)
            return xs_out(m, XS_CAT, x->layer, x->f + q->f);
    }
    if (!strcmp(op, "Add") && x->stage == XS_COMB) {
        const mval *b = om_in_val(m, 1, 1);
        if (b && b->kind == V_CONST && om_tensor_count(b->t) == x->f) {
            m->xatt.bc = b->t;
            return xs_out(m, XS_COMB_B, x->layer, x->f);
        }
    }
    if (!strcmp(op, "Tanh") && x->stage == XS_COMB_B)
        return encatt_layer(m, x);
    return map_additive(m, x);
}

#endif /* SEQNN_HAVE_ONNX */

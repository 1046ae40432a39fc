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
    "1/sqrt(d): scaled; a MatMul by W first: bilinear), Softmax, MatMul by the values, Transpose, Reshape, "
    "Concat with the states, MatMul + Add, Tanh (no masks)";

/* The stages of the pattern, in order (V_ENCATT values). */
enum { XS_SPLIT, XS_HEADS, XS_KT, XS_QW, XS_SCORES, XS_WEIGHTS, XS_CTX, XS_CTX_T, XS_CTX_J, XS_CAT, XS_COMB,
       XS_COMB_B };

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

/* The scores' MatMul: q (heads, or q W) by k's transposed heads. */
static seqnn_status map_scores(mapper *m, const mval *q, const mval *kt)
{
    mlayer *ql = q->layer >= 0 ? &m->layers[q->layer] : NULL, *kl = kt->layer >= 0 ? &m->layers[kt->layer] : NULL;
    if (!ql || !kl || kt->kind != V_ENCATT || kt->stage != XS_KT || ql->stream == kl->stream || q->f != kt->f ||
        m->xatt.active)
        return refuse(m);
    m->xatt.active = 1;
    m->xatt.q_layer = q->layer;
    m->xatt.k_layer = kt->layer;
    m->xatt.d = kt->f;
    m->xatt.scaled = 0;
    m->xatt.w = q->stage == XS_QW ? m->xatt.w : NULL;
    return xs_out(m, XS_SCORES, q->layer, 0);
}

/* MatMul with an encoder-attention value first. */
static seqnn_status map_matmul(mapper *m, const mval *x)
{
    const mval *y = om_in_val(m, 1, 1);
    if (!y)
        return om_map_status;
    if (x->stage == XS_HEADS && y->kind == V_CONST && y->t->n_dims == 2 && y->t->dims[0] == x->f &&
        y->t->dims[1] >= 1) {   /* bilinear: q W, W [qd, kd] */
        m->xatt.w = y->t;
        return xs_out(m, XS_QW, x->layer, y->t->dims[1]);
    }
    if ((x->stage == XS_HEADS || x->stage == XS_QW) && y->kind == V_ENCATT)
        return map_scores(m, x, y);
    if (x->stage == XS_WEIGHTS && y->kind == V_ENCATT && y->stage == XS_HEADS && y->layer == m->xatt.k_layer)
        return xs_out(m, XS_CTX, x->layer, y->f);
    if (x->stage == XS_CAT && y->kind == V_CONST && y->t->n_dims == 2 && y->t->dims[0] == x->f &&
        y->t->dims[1] == act_f(m, m->xatt.q_layer)) {
        m->xatt.wc = y->t;
        return xs_out(m, XS_COMB, x->layer, y->t->dims[1]);
    }
    return refuse(m);
}

/* The combine's Tanh: the attention layer. */
static seqnn_status encatt_layer(mapper *m, const mval *x)
{
    const mlayer *q = &m->layers[m->xatt.q_layer];
    int64_t Dq = x->f, Dk = act_f(m, m->xatt.k_layer), h = Dq / m->xatt.d, cw, bw, ww = 0;
    if (m->xatt.w && h != 1)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a bilinear score of %lld heads (seqnn's has one)", (long long)h);
    float *wc = om_tensor_floats(m, m->xatt.wc, &cw), *bc = wc ? om_tensor_floats(m, m->xatt.bc, &bw) : NULL;
    float *w = bc && m->xatt.w ? om_tensor_floats(m, m->xatt.w, &ww) : NULL, *wt = bc ? malloc((size_t)cw * 4) : NULL;
    mlayer *l = wt && (w || !m->xatt.w) ? om_layer_new(m, L_ENCATT, "attn") : NULL;
    seqnn_status st = l ? SEQNN_OK : wt || !bc ? om_map_status : om_map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
    if (!st) {   /* combine.weight [Dq, Dk + Dq]: the MatMul's [Dk + Dq, Dq] transposed */
        for (int64_t i = 0; i < Dk + Dq; i++)
            for (int64_t o = 0; o < Dq; o++)
                wt[o * (Dk + Dq) + i] = wc[i * Dq + o];
        l->heads = (int)h;
        l->score = m->xatt.w ? 2 : m->xatt.scaled;
        l->b = Dq;
        l->stream = q->stream;
        l->src[0] = m->xatt.q_layer;
        l->n_src = 1;
        l->enc = m->xatt.k_layer;
        st = om_param_add(m, l->name, "combine.weight", wt, cw);
        wt = NULL;
        if (!st)
            st = om_param_add(m, l->name, "combine.bias", bc, bw);
        bc = NULL;
        if (!st && w)
            st = om_param_add(m, l->name, "weight", w, ww);
        w = NULL;
    }
    free(wc);
    free(wt);
    free(bc);
    free(w);
    m->xatt.active = 0;
    mval *o = st ? NULL : om_out_val(m, 0, V_ACT);
    if (!st && !o)
        return om_map_status;
    if (o) {
        o->layer = m->n_layers - 1;
        o->rank = 3;
        o->ax[0] = m->time_label;
        o->ax[1] = m->time_label == AX_S0 ? AX_S1 : AX_S0;
        o->ax[2] = AX_F;
        o->f = Dq;
    }
    return st;
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
    if (!strcmp(op, "Mul") && x->stage == XS_SCORES && !m->xatt.scaled && !m->xatt.w) {
        const mval *c = om_in_val(m, 1, 1);
        if (c && c->kind == V_CONST && om_tensor_floats_one(c->t, &f) &&
            fabs(f - 1.0 / sqrt((double)m->xatt.d)) <= 1e-6 / sqrt((double)m->xatt.d)) {
            m->xatt.scaled = 1;
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
    return refuse(m);
}

#endif /* SEQNN_HAVE_ONNX */

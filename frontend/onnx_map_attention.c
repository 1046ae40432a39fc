/* The ONNX importer's attention patterns, mapped onto one attention layer:
 * nn.MultiheadAttention's exported self-attention graph (in-projection
 * sliced into q, k, v, heads, q scaled, scores, Softmax, context, output
 * projection; a causal attn_mask added to the scores, a key_padding_mask
 * made from the lengths input) and the Split form seqnn export writes for
 * every score (dot, scaled dot, bilinear, additive; its causal mask and the
 * keys masked past the lengths). Masks are followed from the positions
 * (Range) and lengths that make them to the scores they meet. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "onnx_map.h"

#ifdef SEQNN_HAVE_ONNX

/* ---------------------------------------------------------- attention --- */
const char om_MHA_HOW[] = "self-attention as mapped: nn.MultiheadAttention's graph (torch 1.13: in-projection sliced "
                          "into q, k, v, heads, scores, Softmax, context, out-projection; a causal attn_mask, a "
                          "key_padding_mask of the lengths), seqnn export's (a Split, constant heads, dot / scaled "
                          "dot / bilinear / additive scores, masks by Where), or written by hand (q, k, v by "
                          "Linears, a view [S0, S1, h, d], q @ kT / sqrt(d), a causal masked_fill, softmax, @ v, "
                          "an output Linear)";

static const char *const SCORE_NAMES[] = {"dot", "scaled_dot", "bilinear", "additive"};

/* The model file's keys of an attention layer past its heads (" score=dot
 * causal=1 attn_dim=5"; none for scaled dot without a mask) into out: 0,
 * or -1 when out is too small. */
int om_attention_keys(const mlayer *l, char *out, size_t size)
{
    int n = snprintf(out, size, "%s%s%s", l->score != SEQNN_SCORE_SCALED_DOT ? " score=" : "",
                     l->score != SEQNN_SCORE_SCALED_DOT ? SCORE_NAMES[l->score] : "", l->causal ? " causal=1" : "");
    if (n >= 0 && (size_t)n < size && l->score == SEQNN_SCORE_ADDITIVE)
        n += snprintf(out + n, size - (size_t)n, " attn_dim=%lld", (long long)l->attn_dim);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* The node's output 0 as stage `stage` of part `part` of the attention. */
static seqnn_status mha_out(mapper *m, const mval *x, int stage, int part)
{
    seqnn_status st = om_copy_val(m, x);
    if (!st) {
        mval *o = &m->vals[m->n_vals - 1];
        o->stage = stage;
        o->part = part;
    }
    return st;
}

/* The constant t [rows, cols] as floats, transposed when trans; NULL after
 * an error. */
static float *const_matrix(mapper *m, const Onnx__TensorProto *t, int trans, int64_t *count)
{
    float *d = om_tensor_floats(m, t, count);
    if (!d || !trans)
        return d;
    int64_t r = t->dims[0], c = t->dims[1];
    float *w = malloc((size_t)(*count ? *count : 1) * sizeof *w);
    if (!w) {
        free(d);
        om_map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    for (int64_t i = 0; i < r; i++)
        for (int64_t j = 0; j < c; j++)
            w[j * r + i] = d[i * c + j];
    free(d);
    return w;
}

/* Layer li, reading or making x [.., E] (its axes those of the input),
 * becomes the attention being read (none may be open). */
static seqnn_status mha_init(mapper *m, const mval *x, int li)
{
    if (m->mha.layer >= 0 && !m->mha.done)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "begins an attention inside attention '%s'; %s",
                        m->layers[m->mha.layer].name, om_MHA_HOW);
    mlayer *l = &m->layers[li];
    l->kind = L_ATTN;
    l->score = SEQNN_SCORE_SCALED_DOT;
    memset(&m->mha, 0, sizeof m->mha);
    m->mha.layer = li;
    m->mha.scale = 1;
    m->mha.score = -1;
    memcpy(m->mha.ax, x->ax, sizeof m->mha.ax);
    return SEQNN_OK;
}

/* The dense layer l, whose output x is split into q, k, v, becomes the
 * attention's in-projection. */
static seqnn_status mha_start(mapper *m, const mval *x, mlayer *l)
{
    seqnn_status st = mha_init(m, x, x->layer);
    for (int i = 0; !st && i < m->out->n_params; i++) {
        onnx_param *p = &m->out->params[i];
        size_t nl = strlen(l->name);
        if (!strncmp(p->name, l->name, nl) && p->name[nl] == '.')
            snprintf(p->name + nl + 1, sizeof p->name - nl - 1, "%s",
                     !strcmp(p->name + nl + 1, "weight") ? "in_proj_weight" : "in_proj_bias");
    }
    return st;
}

/* seqnn export's Split of a dense layer's [T, B, 3E] output into q, k, v
 * (three parts of E on the last axis). */
seqnn_status om_mha_split(mapper *m, mval *x)
{
    const Onnx__NodeProto *n = m->node;
    mlayer *l = x->layer >= 0 ? &m->layers[x->layer] : NULL;
    const Onnx__AttributeProto *sa = om_attr(n, "split");
    int given = n->n_input > 1 && n->input[1][0];
    const mval *sp = given ? om_in_val(m, 1, 1) : NULL;
    if (given && !sp)
        return om_map_status;
    int64_t a = om_attr_i(n, "axis", 0), E = l ? l->a : 0;
    int ok = l && x->layer == m->n_layers - 1 && l->kind == L_DENSE && l->b == 3 * E && x->rank == 3 &&
             x->ax[2] == AX_F && (a == -1 || a == 2) && n->n_output == 3 &&
             !m->mha.n_slices && (!sp || (sp->kind == V_CONST && om_tensor_count(sp->t) == 3)) &&
             (!sa || sa->n_ints == 3);
    for (int64_t j = 0, v = 0; ok && j < 3; j++)
        ok = (sp ? om_tensor_int(sp->t, j, &v) : (v = sa ? sa->ints[j] : E, 1)) && v == E;
    if (!ok)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a Split of activations is mapped only into q, k, v (three equal "
                        "parts of the last axis) of the in-projection of %s", om_MHA_HOW + 0);
    seqnn_status st = mha_start(m, x, l);
    if (st)
        return st;
    x->kind = V_MHA;   /* the in-projection: read by its Split only */
    x->stage = MS_PROJ;
    for (int j = 0; j < 3; j++) {
        mval *o = om_out_copy(m, (size_t)j, x);
        if (!o)
            return om_map_status;
        o->stage = MS_SLICE;
        o->part = j;
    }
    m->mha.n_slices = 3;
    return SEQNN_OK;
}

/* The one node after node `from` that reads value `name` (Shape nodes
 * aside), its input in *slot; -1 when none or several. */
static long reader_of(const mapper *m, const char *name, size_t from, size_t *slot)
{
    long found = -1;
    for (size_t i = from + 1; i < m->g->n_node; i++) {
        const Onnx__NodeProto *n = m->g->node[i];
        for (size_t k = 0; n->op_type && strcmp(n->op_type, "Shape") && k < n->n_input; k++)
            if (!strcmp(n->input[k], name)) {
                if (found >= 0)
                    return -1;
                found = (long)i;
                *slot = k;
            }
    }
    return found;
}

/* 1 when value `name` comes out of a Softmax (perhaps through Dropout or
 * Identity) of a node before node `before`. */
static int from_softmax(const mapper *m, const char *name, size_t before)
{
    for (size_t i = before; i-- > 0;) {
        const Onnx__NodeProto *n = m->g->node[i];
        if (!n->n_output || strcmp(n->output[0], name) || !n->op_type)
            continue;
        if (!strcmp(n->op_type, "Softmax"))
            return 1;
        if ((strcmp(n->op_type, "Dropout") && strcmp(n->op_type, "Identity")) || !n->n_input)
            return 0;
        name = n->input[0];
    }
    return 0;
}

/* What the projection made by node i is, read ahead in the graph: through
 * its bias, reshapes and scaling to the first MatMul of two activations,
 * q (its first operand), v (the second, after a Softmax) or k (the
 * second); -1 when the path is other. */
static int projection_role(mapper *m, size_t i)
{
    if (!m->g->node[i]->n_output)
        return -1;
    const char *v = m->g->node[i]->output[0];
    static const char *const through[] = {"Add", "Reshape", "Transpose", "Div", "Mul", NULL};
    for (int steps = 0; steps < 16; steps++) {
        size_t slot = 0;
        long r = reader_of(m, v, i, &slot);
        const Onnx__NodeProto *n = r >= 0 ? m->g->node[r] : NULL;
        if (!n || !n->op_type || !n->n_output)
            return -1;
        if (!strcmp(n->op_type, "MatMul") && n->n_input == 2) {
            const mval *o = om_val_find(m, n->input[1 - slot]);
            return o && o->kind == V_CONST ? -1 : slot == 0 ? 0 : from_softmax(m, n->input[0], (size_t)r) ? 2 : 1;
        }
        int k = 0;
        while (through[k] && strcmp(through[k], n->op_type))
            k++;
        if (!through[k])
            return -1;
        v = n->output[0];
        i = (size_t)r;
    }
    return -1;
}

/* The MatMuls after this node that project x by a constant [E, E]: how
 * many, the roles of the first three in role[] (projection_role). */
static int projections_of(mapper *m, const mval *x, int role[3])
{
    int count = 0;
    for (size_t i = m->node_i; i < m->g->n_node; i++) {
        const Onnx__NodeProto *n = m->g->node[i];
        const mval *w = n->op_type && !strcmp(n->op_type, "MatMul") && n->n_input == 2 &&
                                !strcmp(n->input[0], x->name) ? om_val_find(m, n->input[1]) : NULL;
        if (!w || w->kind != V_CONST || w->t->n_dims != 2 || w->t->dims[0] != x->f || w->t->dims[1] != x->f)
            continue;
        if (count < 3)
            role[count] = projection_role(m, i);
        count++;
    }
    return count;
}

/* q, k or v by its own nn.Linear (MatMul by a constant Wᵀ [E, E], its
 * bias added later) of the value x that all three read: the attention's
 * in-projection, rows of its role. 0 when this MatMul is not one. */
int om_attn_projection(mapper *m, const mval *x, const mval *w, seqnn_status *st)
{
    int64_t E = x->f, cnt;
    int role[3] = {-1, -1, -1}, open = m->mha.layer >= 0 && !m->mha.done && m->mha.proj_in &&
                                       !strcmp(m->mha.proj_in, x->name) && m->mha.n_slices < 3;
    *st = SEQNN_OK;
    if (!m->node->n_output || w->kind != V_CONST || w->t->n_dims != 2 || w->t->dims[0] != E || w->t->dims[1] != E ||
        (!open && (x->kind != V_ACT || x->rank != 3 || x->ax[2] != AX_F || x->layer != m->n_layers - 1 ||
                   projections_of(m, x, role) != 3)))
        return 0;
    if (!open && (role[0] + role[1] + role[2] != 3 || role[0] == role[1] || role[1] == role[2] ||
                  role[0] == role[2] || role[0] < 0 || role[1] < 0 || role[2] < 0)) {
        *st = om_node_err(m, SEQNN_ERR_UNSUPPORTED, "three projections of one value are mapped as q, k, v of "
                       "attention (q @ k, softmax, @ v); these are used otherwise");
        return 1;
    }
    int r = projection_role(m, m->node_i);
    float *d = r >= 0 ? const_matrix(m, w->t, 1, &cnt) : NULL;   /* Wᵀ back to [out, in] */
    if (!d) {
        *st = r < 0 ? om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a projection not used as q, k or v") : om_map_status;
        return 1;
    }
    if (!open) {   /* the first of the three: the attention, its in-projection zero so far */
        char path[64];
        om_module_path(m->node->name ? m->node->name : "", path, sizeof path);
        char *dot = strrchr(path, '.');
        path[dot ? dot - path : 0] = 0;
        mlayer *l = !(*st = om_need_tail(m, x, 3, 3)) ? om_layer_new_at(m, L_ATTN, path[0] ? path : "attn", "attn")
                                                      : NULL;
        float *wd = l ? calloc((size_t)(3 * E * E), sizeof *wd) : NULL;
        float *bd = wd ? calloc((size_t)(3 * E), sizeof *bd) : NULL;
        if (!bd) {
            free(wd);
            free(d);
            *st = l ? om_map_fail(SEQNN_ERR_NO_MEMORY, "out of memory") : om_map_status;
            return 1;
        }
        l->a = l->b = E;
        if ((*st = mha_init(m, x, m->n_layers - 1))) {
            free(wd);
            free(bd);
            free(d);
            return 1;
        }
        m->mha.proj_in = x->name;
        m->mha.proj_param = m->out->n_params;
        if ((*st = om_param_add(m, l->name, "in_proj_weight", wd, 3 * E * E)) ||
            (*st = om_param_add(m, l->name, "in_proj_bias", bd, 3 * E))) {
            free(d);
            return 1;
        }
    }
    memcpy(m->out->params[m->mha.proj_param].data + r * E * E, d, (size_t)cnt * sizeof *d);
    free(d);
    m->mha.n_slices++;
    mval *o = om_out_copy(m, 0, x);
    if (!o) {
        *st = om_map_status;
        return 1;
    }
    o->kind = V_MHA;
    o->layer = m->mha.layer;
    o->stage = MS_SLICE;
    o->part = r;
    return 1;
}

/* Add(q, k or v, c [E]): a projection's bias, into its rows of in_proj_bias. */
static seqnn_status mha_proj_bias(mapper *m, const mval *x, const mval *c)
{
    int64_t E = m->layers[m->mha.layer].a, cnt;
    float *d = c && c->kind == V_CONST && om_tensor_count(c->t) == E && m->mha.proj_in ? om_tensor_floats(m, c->t, &cnt)
                                                                                       : NULL;
    if (!d)
        return c && c->kind == V_CONST && om_tensor_count(c->t) == E && m->mha.proj_in
                   ? om_map_status
                   : om_node_err(m, SEQNN_ERR_UNSUPPORTED, "an Add to q, k or v is mapped as its own Linear's "
                              "bias, a constant [%lld]", (long long)E);
    float *b = m->out->params[m->mha.proj_param + 1].data + x->part * E;
    for (int64_t i = 0; i < E; i++)
        b[i] += d[i];
    free(d);
    return mha_out(m, x, MS_SLICE, x->part);
}

/* A Slice of a dense layer's [T, B, 3E] output: q, k or v (chunk(3, -1))
 * of nn.MultiheadAttention's in-projection, which the dense layer becomes. */
seqnn_status om_mha_begin(mapper *m, mval *x)
{
    const Onnx__NodeProto *n = m->node;
    mlayer *l = x->layer >= 0 ? &m->layers[x->layer] : NULL;
    const mval *b = om_in_val(m, 1, 1), *e = b ? om_in_val(m, 2, 1) : NULL, *ax = e ? om_in_val(m, 3, 0) : NULL;
    const mval *step = e ? om_in_val(m, 4, 0) : NULL;
    int64_t a = 0, st0 = -1, one = 1;
    int j = m->mha.n_slices;
    if (!e)
        return om_map_status;
    int ok = l && x->layer == m->n_layers - 1 && x->rank == 3 && x->ax[2] == AX_F &&
             ((x->kind == V_ACT && l->kind == L_DENSE && !j && l->b == 3 * l->a) ||
              (x->kind == V_MHA && l->kind == L_ATTN && x->layer == m->mha.layer)) &&
             j < 3 && ax && ax->kind == V_CONST && om_tensor_count(ax->t) == 1 && om_tensor_int(ax->t, 0, &a) &&
             (a == -1 || a == 2) && (!step || (step->kind == V_CONST && om_tensor_int(step->t, 0, &one) && one == 1));
    if (ok && j == 0)
        ok = b->kind == V_CONST && om_tensor_count(b->t) == 1 && om_tensor_int(b->t, 0, &st0) && st0 == 0;
    else if (ok)
        ok = !strcmp(n->input[1], m->mha.slice_end);
    if (!ok)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a Slice of activations is mapped only as q, k, v of the "
                        "in-projection of %s", om_MHA_HOW + 0);
    seqnn_status s1 = j == 0 ? mha_start(m, x, l) : SEQNN_OK;
    if (s1)
        return s1;
    m->mha.slice_end = n->input[2];
    m->mha.n_slices++;
    x->kind = V_MHA;   /* the in-projection: read by its Slices and Shapes only */
    x->stage = MS_PROJ;
    seqnn_status s2 = mha_out(m, x, MS_SLICE, j);
    if (!s2)
        m->vals[m->n_vals - 1].kind = V_MHA;
    return s2;
}

/* Element k of the shape `name` of a Reshape: a constant, or the input k
 * of the Concat that made it, when that is a constant; -1 otherwise. */
static int64_t shape_dim(mapper *m, const char *name, int64_t n, int64_t k)
{
    const mval *v = om_val_find(m, name);
    int64_t d = -1;
    if (v && v->kind == V_CONST)
        return om_tensor_count(v->t) == n && om_tensor_int(v->t, k, &d) ? d : -1;
    for (size_t i = m->node_i; v && i-- > 0;) {
        const Onnx__NodeProto *c = m->g->node[i];
        if (!c->n_output || strcmp(c->output[0], name))
            continue;
        const mval *e = c->op_type && !strcmp(c->op_type, "Concat") && (int64_t)c->n_input == n
                            ? om_val_find(m, c->input[k]) : NULL;
        return e && e->kind == V_CONST && om_tensor_count(e->t) == 1 && om_tensor_int(e->t, 0, &d) ? d : -1;
    }
    return -1;
}

/* The Reshape of q, k or v into heads. PyTorch's [T, B*h, d] (a computed
 * shape) leaves the head size to the scale; seqnn export's constant
 * [0, -1, d] gives it; a view [S0, S1, h, d] (attention written by hand)
 * needs constant h and d, h d = E (marked dir 4: its Transposes use it). */
static seqnn_status mha_heads_split(mapper *m, const mval *x)
{
    const char *shape = m->node->n_input > 1 ? m->node->input[1] : "";
    int64_t E = m->layers[m->mha.layer].a, d = shape_dim(m, shape, 3, 2);
    int64_t h = shape_dim(m, shape, 4, 2), d4 = shape_dim(m, shape, 4, 3);
    int view = h > 0 && d4 > 0 && E % h == 0 && E / h == d4;   /* h d = E, without overflow */
    d = view ? d4 : d;
    if (d > 0) {
        if (E % d || (m->mha.hd && m->mha.hd != d))
            return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "heads of %lld features where the size is %lld (or "
                            "another part's head size)", (long long)d, (long long)E);
        m->mha.hd = d;
    }
    seqnn_status st = mha_out(m, x, MS_HEADS, x->part);
    if (!st)
        m->vals[m->n_vals - 1].dir = view ? 4 : 0;
    return st;
}

/* The score and the heads once the scores meet their Softmax: a scale
 * other than 1 must be 1/sqrt(d) of a dot product (scaled dot, whose d it
 * gives); without one, the head size comes from the Reshape into heads. */
static seqnn_status mha_heads(mapper *m)
{
    mlayer *l = &m->layers[m->mha.layer];
    int64_t E = l->a, hd = m->mha.hd;
    double f = m->mha.scale;
    l->score = m->mha.score;
    if (f != 1) {
        /* 1/f^2 is the head size: out of [1, E] (or not finite) it is no scaled dot of this layer */
        double inv = 1.0 / (f * f);
        int64_t sd = isfinite(inv) && inv >= 0.5 && inv < (double)E + 0.5 ? (int64_t)floor(inv + 0.5) : 0;
        if (m->mha.score != SEQNN_SCORE_DOT || sd < 1 || fabs(f * sqrt((double)sd) - 1) > 1e-5 || E % sd ||
            (hd && hd != sd))
            return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "%s scores scaled by %g, not by 1/sqrt(d) for a head size "
                            "d %s %lld (seqnn's scaled dot product)", SCORE_NAMES[l->score], f,
                            hd ? "of the Reshape into heads," : "dividing", (long long)(hd ? hd : E));
        l->score = SEQNN_SCORE_SCALED_DOT;
        hd = sd;
    }
    if (!hd)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "unscaled scores whose head size is not a constant of the "
                        "Reshape into heads (seqnn reads it there, or from the scale 1/sqrt(d))");
    if (l->score >= SEQNN_SCORE_BILINEAR && hd != E)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "%s scores over %lld heads (seqnn's need one)",
                        SCORE_NAMES[l->score], (long long)(E / hd));
    l->heads = (int)(E / hd);
    if (m->mha.mask_heads && m->mha.mask_heads != l->heads)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a key mask expanded for %lld heads meets scores of %d",
                           (long long)m->mha.mask_heads, l->heads);
    return SEQNN_OK;
}

/* The score parameter `suffix` of the attention from the constant t
 * (transposed when trans), which must be [rows, cols]. */
static seqnn_status score_param(mapper *m, const Onnx__TensorProto *t, int trans, const char *suffix, int64_t rows,
                                int64_t cols)
{
    if (t->n_dims != 2 || t->dims[0] != rows || t->dims[1] != cols)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "the score's weight '%s' is not [%lld, %lld]", suffix,
                        (long long)rows, (long long)cols);
    int64_t cnt;
    float *d = const_matrix(m, t, trans, &cnt);
    return d ? om_param_add(m, m->layers[m->mha.layer].name, suffix, d, cnt) : om_map_status;
}

/* The output projection: Gemm(context [T*B, E], W [E, E], b [E], transB=1). */
static seqnn_status mha_out_proj(mapper *m, const mval *x)
{
    const Onnx__NodeProto *n = m->node;
    mlayer *l = &m->layers[m->mha.layer];
    const mval *w = om_in_val(m, 1, 1), *b = w ? om_in_val(m, 2, 0) : NULL;
    if (!w || !b || w->kind != V_CONST || b->kind != V_CONST || w->t->n_dims != 2 || w->t->dims[0] != l->a ||
        w->t->dims[1] != l->a || om_tensor_count(b->t) != l->a || om_attr_i(n, "transB", 0) != 1 ||
        om_attr_i(n, "transA", 0) != 0 || om_attr_f(n, "alpha", 1) != 1 || om_attr_f(n, "beta", 1) != 1)
        return w ? om_node_err(m, SEQNN_ERR_UNSUPPORTED, "the output projection must be a Gemm(transB=1) of "
                            "constants [%lld, %lld] and [%lld]", (long long)l->a, (long long)l->a, (long long)l->a)
                 : om_map_status;
    int64_t cw, cb;
    float *wd = om_tensor_floats(m, w->t, &cw), *bd = wd ? om_tensor_floats(m, b->t, &cb) : NULL;
    if (!bd) {
        free(wd);
        return om_map_status;
    }
    seqnn_status st = om_param_add(m, l->name, "out_proj.weight", wd, cw);
    if (st) {
        free(bd);
        return st;
    }
    if ((st = om_param_add(m, l->name, "out_proj.bias", bd, cb)))
        return st;
    return mha_out(m, x, MS_OUT, 3);
}

/* The attention's output [T, B, E]: the layer's activations. */
static seqnn_status mha_finish(mapper *m, const mval *x)
{
    mval *o = om_out_val(m, 0, V_ACT);
    if (!o)
        return om_map_status;
    m->mha.done = 1;
    m->mha.n_slices = 0;   /* another attention may follow */
    o->layer = m->mha.layer;
    o->rank = 3;
    o->perm = x->perm;
    memcpy(o->ax, m->mha.ax, sizeof m->mha.ax);
    o->f = m->layers[m->mha.layer].a;
    return SEQNN_OK;
}

/* seqnn export's output projection: MatMul(context [T, B, E], Wᵀ [E, E])
 * (add 0), then Add(b [E]) (add 1). */
static seqnn_status mha_out_matmul(mapper *m, const mval *x, const mval *c, int add)
{
    int64_t E = m->layers[m->mha.layer].a, cnt;
    if (!c || c->kind != V_CONST || (add ? om_tensor_count(c->t) != E : c->t->n_dims != 2 || c->t->dims[0] != E ||
                                                                       c->t->dims[1] != E))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "the output projection must be a MatMul by a constant "
                        "[%lld, %lld] and an Add of a constant [%lld]", (long long)E, (long long)E, (long long)E);
    float *d = add ? om_tensor_floats(m, c->t, &cnt) : const_matrix(m, c->t, 1, &cnt);   /* Wᵀ back to [out, in] */
    if (!d)
        return om_map_status;
    seqnn_status st = om_param_add(m, m->layers[m->mha.layer].name, add ? "out_proj.bias" : "out_proj.weight", d, cnt);
    return st ? st : add ? mha_finish(m, x) : mha_out(m, x, MS_OUT_MM, 3);
}

/* Axis labels inside an attention written by hand, past the input's S0, S1. */
enum { HX_HEADS = 8, HX_HD };

/* The attended axis: time (the model's time axis, where it is known). */
static seqnn_status mha_time(mapper *m, int label)
{
    if (m->time_label < 0)
        m->time_label = label;
    return m->time_label == label ? SEQNN_OK : om_node_err(m, SEQNN_ERR_UNSUPPORTED, "attends over the axis that "
                                                                "the other layers take as the batch");
}

/* The axis labels of x inside the attention into lab, their count the
 * return: q, k, v as projected are [S0, S1, d] (one head; r 3), or after a
 * view into heads [S0, S1, h, d] (r 4); a value of attention written by
 * hand carries its own; 0 for PyTorch's and seqnn's [T, B*h, d]. */
static int mha_labels(const mapper *m, const mval *x, int r, int lab[4])
{
    int n = 0, own = 0;
    for (int i = 0; i < x->rank && i < 4; i++)
        own |= x->ax[i] == HX_HD;
    if ((x->stage == MS_SLICE && r == 3) || (x->stage == MS_HEADS && r == 4 && x->dir == 4)) {
        n = r;
        lab[0] = m->mha.ax[0];
        lab[1] = m->mha.ax[1];
        lab[2] = r == 3 ? HX_HD : HX_HEADS;
        lab[3] = r == 3 ? 0 : HX_HD;
    } else if (own && x->rank == r) {
        n = r;
        memcpy(lab, x->ax, 4 * sizeof *lab);
    }
    return n;
}

/* Attention written by hand over one head (no view into heads): d = E. */
static seqnn_status mha_one_head(mapper *m)
{
    int64_t E = m->layers[m->mha.layer].a;
    if (m->mha.hd && m->mha.hd != E)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "one head here, %lld heads elsewhere",
                        (long long)(E / m->mha.hd));
    m->mha.hd = E;
    return SEQNN_OK;
}

/* A Transpose inside the attention. PyTorch's and seqnn's [T, B*h, d]: q,
 * v to [B*h, T, d] (1, 0, 2), k to [B*h, d, T] (1, 2, 0; or 0, 2, 1 after
 * 1, 0, 2), the context back (1, 0, 2). Attention written by hand (its
 * values labelled, mha_labels): q, v with d last after a sequence axis, k
 * that sequence axis last after d, the context back to its projected
 * layout. The sequence axis is time. 0 when the perm is none of these;
 * else 1, *st saying how it went. */
static int mha_transpose(mapper *m, const mval *x, const Onnx__AttributeProto *pa, seqnn_status *st)
{
    int s = x->stage, part = x->part, r = pa ? (int)pa->n_ints : 0, stage = -1, out[4] = {0, 0, 0, 0}, lab[4];
    int n = r == 3 || r == 4 ? mha_labels(m, x, r, lab) : 0;
    *st = SEQNN_OK;
    if (n) {
        int home[4], ctx = 1;
        mha_labels(m, &(mval){.stage = r == 3 ? MS_SLICE : MS_HEADS, .dir = 4}, r, home);
        for (int i = 0; i < n; i++) {
            int64_t p = pa->ints[i];
            out[i] = p >= 0 && p < n ? lab[p] : -1;
            ctx &= out[i] == home[i];
        }
        if (s == MS_CTX && ctx)
            stage = MS_CTX_T;
        else if (s != MS_CTX && out[n - 1] == HX_HD && out[n - 2] <= AX_S1)
            stage = MS_BT;
        else if (s != MS_CTX && part == 1 && out[n - 2] == HX_HD && out[n - 1] <= AX_S1)
            stage = MS_KT;
        if (stage == MS_BT || stage == MS_KT)
            *st = mha_time(m, out[stage == MS_BT ? n - 2 : n - 1]);
        if (!*st && s == MS_SLICE)
            *st = mha_one_head(m);
    } else if (r == 4 && s == MS_HEADS) {
        *st = om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a Transpose of heads viewed other than [S0, S1, h, d] "
                       "(constant h and d, h d = %lld)", (long long)m->layers[m->mha.layer].a);
        return 1;
    } else if (r == 3) {
        int perm = (int)(pa->ints[0] * 100 + pa->ints[1] * 10 + pa->ints[2]);
        if (perm == 102 && (s == MS_HEADS || s == MS_CTX))
            stage = s == MS_CTX ? MS_CTX_T : MS_BT;
        else if (part == 1 && ((perm == 120 && s == MS_HEADS) || (perm == 21 && s == MS_BT)))
            stage = MS_KT;
        if (stage >= 0 && s == MS_HEADS)
            *st = mha_time(m, m->mha.ax[0]);
    }
    if (stage < 0)
        return 0;
    if (!*st && !(*st = mha_out(m, x, stage, part)) && n) {
        mval *o = &m->vals[m->n_vals - 1];
        o->rank = n;
        memcpy(o->ax, out, sizeof o->ax);
    }
    return 1;
}

/* 1 when the context x is [S0, S1, E] as the input was (heads joined, or
 * one head): what the output projection reads. */
static int mha_flat(const mapper *m, const mval *x)
{
    int lab[4];
    return x->stage == MS_FLAT || ((x->stage == MS_CTX || x->stage == MS_CTX_T) && mha_labels(m, x, 3, lab) == 3 &&
                                   lab[0] == m->mha.ax[0] && lab[1] == m->mha.ax[1] && lab[2] == HX_HD);
}

/* The additive score's steps (seqnn export): q W_qᵀ and k W_kᵀ unsqueezed
 * to [.., T, 1, A] and [.., 1, T, A], summed, Tanh, MatMul by v.weightᵀ
 * [A, 1], Squeeze of the last axis. 0 when op is none of them. */
static int mha_additive(mapper *m, const mval *x, const mval *y, seqnn_status *st)
{
    const char *op = m->node->op_type;
    int s = x->stage;
    int64_t E = m->layers[m->mha.layer].a, A = m->mha.attn_dim, axis = om_axis_arg(m, "axes", 1, -99);
    if (!strcmp(op, "Unsqueeze") && (s == MS_QW || s == MS_KW) && axis == (s == MS_QW ? 2 : 1)) {
        int64_t a = x->t->n_dims == 2 ? x->t->dims[1] : 0;
        if (A && a != A)
            *st = om_node_err(m, SEQNN_ERR_UNSUPPORTED, "W_q and W_k of the additive score differ in size");
        else if (!(*st = score_param(m, x->t, 1, s == MS_QW ? "query.weight" : "key.weight", E, a)))
            *st = mha_out(m, x, s == MS_QW ? MS_ADD_Q : MS_ADD_K, 3);
        m->mha.attn_dim = a;
    } else if (!strcmp(op, "Add") && y && y->kind == V_MHA &&
               ((s == MS_ADD_Q && y->stage == MS_ADD_K) || (s == MS_ADD_K && y->stage == MS_ADD_Q))) {
        *st = mha_out(m, x, MS_ADD_SUM, 3);
    } else if (!strcmp(op, "Tanh") && s == MS_ADD_SUM) {
        *st = mha_out(m, x, MS_ADD_TANH, 3);
    } else if (!strcmp(op, "MatMul") && s == MS_ADD_TANH && y && y->kind == V_CONST) {
        if (!(*st = score_param(m, y->t, 1, "v.weight", A, 1)))
            *st = mha_out(m, x, MS_ADD_E, 3);
    } else if (!strcmp(op, "Squeeze") && s == MS_ADD_E && (axis == 3 || axis == -1)) {
        m->mha.score = SEQNN_SCORE_ADDITIVE;
        m->layers[m->mha.layer].attn_dim = A;
        *st = mha_out(m, x, MS_SCORES, 3);
    } else {
        return 0;
    }
    return 1;
}

/* The scores' MatMuls: q kᵀ (q at MS_BT, perhaps scaled), q W (MS_QW, the
 * bilinear score's, or the additive's q W_qᵀ), q W kᵀ, k W_kᵀ. 0 when op
 * is none of them. */
static int mha_scores(mapper *m, const mval *x, const mval *y, seqnn_status *st)
{
    int s = x->stage, part = x->part;
    if (strcmp(m->node->op_type, "MatMul") || !y)
        return 0;
    if ((s == MS_BT || s == MS_SLICE) && part == 0 && y->kind == V_MHA && y->stage == MS_KT && y->part == 1) {
        int ql[4], kl[4], qn = mha_labels(m, x, x->stage == MS_SLICE ? 3 : x->rank, ql);
        int kn = mha_labels(m, y, y->rank, kl);
        int ok = qn == kn && (s == MS_BT || qn);
        for (int i = 0; ok && qn && i < qn - 2; i++)
            ok = ql[i] == kl[i];
        if (!ok || (qn && (ql[qn - 2] != kl[qn - 1] || ql[qn - 1] != HX_HD)))
            *st = om_node_err(m, SEQNN_ERR_UNSUPPORTED, "q and kᵀ with their batch and head axes in other orders");
        else if (qn && !(*st = mha_time(m, ql[qn - 2])) && s == MS_SLICE)
            *st = mha_one_head(m);
        m->mha.score = SEQNN_SCORE_DOT;
        if (!*st && !(*st = mha_out(m, x, MS_SCORES, 3)) && qn) {
            mval *o = &m->vals[m->n_vals - 1];
            o->rank = qn;
            memcpy(o->ax, ql, sizeof o->ax);
        }
    } else if (*st) {
    } else if (s == MS_BT && part < 2 && !x->scaled && y->kind == V_CONST && y->t->n_dims == 2) {
        if (!(*st = mha_out(m, x, part ? MS_KW : MS_QW, part)))
            m->vals[m->n_vals - 1].t = y->t;
    } else if (s == MS_QW && y->kind == V_MHA && y->stage == MS_KT && y->part == 1) {
        int64_t E = m->layers[m->mha.layer].a;
        m->mha.score = SEQNN_SCORE_BILINEAR;
        if (!(*st = score_param(m, x->t, 0, "weight", E, E)))
            *st = mha_out(m, x, MS_SCORES, 3);
    } else {
        return 0;
    }
    return 1;
}

/* The scalar constant v: 1 and *c, or 0. */
static int const_scalar(const mval *v, float *c)
{
    return v && v->kind == V_CONST && om_tensor_floats_one(v->t, c);
}

/* 1 when the constant t ([.., n, n], leading axes of 1) is the causal mask:
 * true (bool) or -inf (additive, float) exactly after the diagonal. */
static int const_causal(mapper *m, const Onnx__TensorProto *t, int additive)
{
    int64_t cnt = om_tensor_count(t), n = t->n_dims >= 2 ? t->dims[t->n_dims - 1] : 0;
    if (n < 1 || cnt != n * n || t->dims[t->n_dims - 2] != n)
        return 0;
    float *f = NULL;
    if (additive && !(f = om_tensor_floats(m, t, &cnt)))
        return 0;
    if (!additive && (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__BOOL ||
                      (t->has_raw_data ? t->raw_data.len != (size_t)cnt : t->n_int32_data != (size_t)cnt)))
        return 0;
    int ok = 1;
    for (int64_t i = 0; ok && i < n; i++)
        for (int64_t j = 0; ok && j < n; j++) {
            int64_t k = i * n + j;
            int masked = f                  ? isinf(f[k]) && f[k] < 0
                         : t->has_raw_data ? t->raw_data.data[k] != 0
                                           : t->int32_data[k] != 0;
            ok = masked == (j > i) && (!f || masked || f[k] == 0.0f);
        }
    free(f);
    return ok;
}

/* A mask meeting the scores s: Where(mask, -inf, s) (additive 0) or
 * Add(s, mask) (additive 1; mask 0 or -inf): seqnn's causal mask, or its
 * keys masked at and past the lengths. */
static seqnn_status mask_apply(mapper *m, const mval *s, const mval *mask, int additive)
{
    float c = 0;
    mlayer *l = s->kind == V_MHA && s->layer == m->mha.layer && m->mha.layer >= 0 ? &m->layers[m->mha.layer] : NULL;
    int causal = mask->kind == V_CONST && const_causal(m, mask->t, additive);
    int ok = l && s->stage == MS_SCORES &&
             (additive || (const_scalar(om_val_find(m, m->node->input[1]), &c) && isinf(c) && c < 0)) &&
             (causal || (mask->kind == V_MASK && mask->part == additive &&
                         (mask->stage == MK_CAUSAL || mask->stage == MK_KEYS)));
    if (!ok)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a mask of the attention's scores is mapped when it is causal "
                        "(a key after its query: Greater of positions, or a constant triu(.., 1)) or masks the keys "
                        "at or past the lengths input, set to -inf by Where(mask, -inf, scores) or added as 0 / -inf");
    if (causal || mask->stage == MK_CAUSAL) {
        l->causal = 1;
    } else {
        seqnn_status st = om_mask_keys_bind(m, mask, l->stream, 0);
        if (st)
            return st;
        l->lens_ops = 1;
        m->mha.mask_heads = mask->f;   /* checked once the heads are known (mha_heads) */
    }
    return mha_out(m, s, MS_SCORES, 3);
}

/* The keys mask `mask` (MK_KEYS) meets the scores of an attention of
 * `heads` heads (0: not known yet) over the steps of data input `stream`:
 * its lengths input becomes that input's lengths. Refused when the input is
 * read as something else or as another input's lengths, or when the mask
 * folds another number of heads into its batch. */
seqnn_status om_mask_keys_bind(mapper *m, const mval *mask, int stream, int64_t heads)
{
    int k = mask->in_k;
    if (m->in_role[k] != IN_UNREAD && m->in_role[k] != IN_LENGTHS)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "input '%s' is read as lengths and as something else",
                           m->in_name[k]);
    if (!om_bind_lengths(m, k, stream))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "lengths input '%s' masks the keys of one input's steps "
                           "and is the lengths of another input", m->in_name[k]);
    if (heads && mask->f && mask->f != heads)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a key mask expanded for %lld heads meets scores of %lld",
                           (long long)mask->f, (long long)heads);
    m->in_role[k] = IN_LENGTHS;
    return SEQNN_OK;
}

/* A new mask value (V_MASK) of the node's output 0: stage, additive part;
 * the lengths input and heads of len (NULL: none). */
static seqnn_status mask_out(mapper *m, int stage, int part, int rank, int dir, const mval *len)
{
    mval *o = om_out_val(m, 0, V_MASK);
    if (!o)
        return om_map_status;
    o->stage = stage;
    o->part = part;
    o->rank = rank;
    o->dir = dir;
    o->in_k = len ? len->in_k : 0;
    o->f = len && len->kind == V_MASK ? len->f : 0;
    return SEQNN_OK;
}

/* The positions p (Range, or one unsqueezed) along the last axis: 1. */
static int keys_positions(const mval *p)
{
    return p->kind == V_IOTA || (p->kind == V_MASK && p->stage == MK_POS && p->dir == p->rank - 1);
}

/* Comparisons that make a mask: Greater(positions [1, n], positions
 * [n, 1]) (or Less the other way): causal; GreaterOrEqual(positions along
 * the last axis, lengths): keys at or past the length. */
static int mask_compare(mapper *m, const mval *a, const mval *b, seqnn_status *st)
{
    const char *op = m->node->op_type;
    int less = !strcmp(op, "Less");
    const mval *p = less ? b : a, *q = less ? a : b;
    if ((!strcmp(op, "Greater") || less) && p->kind == V_MASK && q->kind == V_MASK && p->stage == MK_POS &&
        q->stage == MK_POS && p->rank == 2 && q->rank == 2 && p->dir == 1 && q->dir == 0)
        *st = mask_out(m, MK_CAUSAL, 0, 2, 0, NULL);
    else if (!strcmp(op, "GreaterOrEqual") && keys_positions(a) && b->kind == V_MASK && b->stage == MK_LEN) {
        int ar = a->kind == V_IOTA ? 1 : a->rank;   /* broadcast: the larger rank, where both are known */
        *st = mask_out(m, MK_KEYS, 0, b->rank ? (b->rank > ar ? b->rank : ar) : 0, 0, b);
    }
    else
        return 0;
    return 1;
}

/* The axes an Unsqueeze or Squeeze names (attribute, or constant input 1)
 * into ax: how many, or -1. */
static int mask_axes(mapper *m, int64_t *ax, int max)
{
    const Onnx__AttributeProto *a = om_attr(m->node, "axes");
    const mval *v = !a && m->node->n_input > 1 ? om_val_find(m, m->node->input[1]) : NULL;
    int64_t n = a ? (int64_t)a->n_ints : v && v->kind == V_CONST ? om_tensor_count(v->t) : -1;
    for (int64_t i = 0; i < n && n <= max; i++)
        if (a)
            ax[i] = a->ints[i];
        else if (!om_tensor_int(v->t, i, &ax[i]))
            return -1;
    return n <= max ? (int)n : -1;
}

/* A reshape of the mask x (Unsqueeze, Reshape, Expand, Squeeze, Cast) as
 * the same mask, its rank where known: lengths any way; a mask of keys or
 * of the causal pattern keeps the keys' axis last (an Unsqueeze before it,
 * no Squeeze; Reshape and Expand are taken to keep it, as broadcasting over
 * the batch and heads does). Expand([B, 1] lengths, [1, h]) repeats each
 * length for h heads (f = h), as scores of [B*h, Tq, Tk] need once a
 * Reshape to [-1] folds them into the batch. */
static seqnn_status mask_reshape(mapper *m, const mval *x)
{
    const char *op = m->node->op_type;
    int64_t ax[8], rep[2] = {0, 0};
    const mval *shape = !strcmp(op, "Expand") && x->stage == MK_LEN && x->rank == 2 ? om_in_val(m, 1, 0) : NULL;
    int heads = shape && shape->kind == V_CONST && om_tensor_count(shape->t) == 2 &&
                om_tensor_int(shape->t, 0, &rep[0]) && om_tensor_int(shape->t, 1, &rep[1]) && rep[0] == 1 &&
                rep[1] >= 1;
    int n = !strcmp(op, "Unsqueeze") || !strcmp(op, "Squeeze") ? mask_axes(m, ax, 8) : 0, rank = 0, ok = n >= 0;
    if (!strcmp(op, "Unsqueeze"))
        rank = x->rank && n > 0 ? x->rank + n : 0;
    else if (!strcmp(op, "Cast"))
        rank = x->rank;
    for (int i = 0; ok && x->stage != MK_LEN && i < n; i++)
        ok = op[0] == 'U' && x->rank && ax[i] >= 0 && ax[i] < x->rank;
    if (!ok)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a%s of an attention mask that may move its keys' axis from "
                        "last", op[0] == 'U' ? "n Unsqueeze" : " Squeeze");
    seqnn_status st = om_copy_val(m, x);
    if (!st) {
        m->vals[m->n_vals - 1].rank = heads ? 2 : rank;
        m->vals[m->n_vals - 1].f = heads ? rep[1] : x->f;
    }
    return st;
}

/* Nodes that make or carry attention masks (x their first input): the
 * positions (Range) unsqueezed, the lengths input reshaped, comparisons,
 * Where(mask, -inf, zeros) as an additive mask, reshapes of masks; and
 * masks meeting the scores (mask_apply). 1 when the node was one (*st
 * says how it went), 0 when it is not. */
int om_map_mask(mapper *m, const mval *x, seqnn_status *st)
{
    const Onnx__NodeProto *n = m->node;
    const char *op = n->op_type;
    const mval *y = n->n_input > 1 && n->input[1][0] ? om_val_find(m, n->input[1]) : NULL;
    const mval *z = n->n_input > 2 && n->input[2][0] ? om_val_find(m, n->input[2]) : NULL;
    int reshape = !strcmp(op, "Unsqueeze") || !strcmp(op, "Reshape") || !strcmp(op, "Expand") ||
                  !strcmp(op, "Squeeze") || !strcmp(op, "Cast");
    float c;
    if (!strcmp(op, "Where") && z && z->kind == V_MHA)
        *st = mask_apply(m, z, x, 0);
    else if (!strcmp(op, "Where") && z && z->kind == V_ENCATT && x->kind == V_MASK)
        *st = om_map_encatt_mask(m, x);
    else if (!strcmp(op, "Add") && y && y->kind == V_MHA && x->kind != V_MHA)
        *st = y->stage == MS_OUT_MM ? mha_out_matmul(m, y, x, 1)
              : y->stage == MS_SLICE  ? mha_proj_bias(m, y, x)
                                      : mask_apply(m, y, x, 1);
    else if (x->kind == V_IOTA && !strcmp(op, "Unsqueeze")) {
        int64_t a = om_axis_arg(m, "axes", 1, -99);
        if (a != 0 && a != 1 && a != -1 && a != -2)
            return 0;
        *st = mask_out(m, MK_POS, 0, 2, a == 0 || a == -2, NULL);
    } else if (x->kind == V_LENGTHS && reshape && strcmp(op, "Cast")) {
        int64_t ax[8];
        int k = !strcmp(op, "Unsqueeze") ? mask_axes(m, ax, 8) : -1;
        *st = mask_out(m, MK_LEN, 0, k > 0 ? 1 + k : 0, 0, x);
    }
    else if (y && (x->kind == V_MASK || x->kind == V_IOTA) && (y->kind == V_MASK || y->kind == V_IOTA) &&
             mask_compare(m, x, y, st))
        return 1;
    else if (x->kind != V_MASK)
        return 0;
    else if (reshape && x->stage != MK_POS &&
             (strcmp(op, "Cast") || x->stage == MK_LEN || om_attr_i(n, "to", 0) == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL))
        *st = mask_reshape(m, x);   /* the same mask, broadcast over the heads */
    else if (!strcmp(op, "Where") && !x->part && (x->stage == MK_CAUSAL || x->stage == MK_KEYS) &&
             const_scalar(y, &c) && isinf(c) && c < 0 && z && (z->kind == V_ZEROS ||
                                                               (const_scalar(z, &c) && c == 0)))
        *st = mask_out(m, x->stage, 1, x->rank, 0, x);
    else if (!strcmp(op, "Mul") && x->part && const_scalar(y, &c) && c == 1)
        *st = om_copy_val(m, x);
    else
        *st = om_node_err(m, SEQNN_ERR_UNSUPPORTED, "an attention mask is mapped when it is causal (Greater of "
                       "positions) or masks the keys at or past the lengths input (GreaterOrEqual of positions and "
                       "lengths), reshaped, then set to -inf in the scores (Where, or Add of Where(mask, -inf, 0))");
    return 1;
}

/* One node inside the attention's graph, x its first input. */
seqnn_status om_map_mha(mapper *m, const mval *x)
{
    const Onnx__NodeProto *n = m->node;
    const char *op = n->op_type;
    const Onnx__AttributeProto *pa = om_attr(n, "perm");
    const mval *y = n->n_input > 1 && n->input[1][0] ? om_val_find(m, n->input[1]) : NULL;
    int s = x->stage, part = x->part;
    seqnn_status st = SEQNN_OK;
    if (x->layer != m->mha.layer || (y && y->kind == V_MHA && y->layer != x->layer))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "mixes two attentions, or reads one after its output; %s",
                        om_MHA_HOW);
    if (!strcmp(op, "Reshape") && s == MS_SLICE)
        return mha_heads_split(m, x);
    if (!strcmp(op, "Reshape") && s == MS_CTX_T)
        return mha_out(m, x, MS_FLAT, part);
    if (!strcmp(op, "Reshape") && s == MS_OUT)   /* [T, B, E]: the layer's output */
        return mha_finish(m, x);
    if (!strcmp(op, "Transpose") && mha_transpose(m, x, pa, &st))
        return st;
    float c;
    if ((!strcmp(op, "Div") || !strcmp(op, "Mul")) && ((part == 0 && (s == MS_SLICE || s == MS_HEADS || s == MS_BT)) ||
                                                       s == MS_SCORES) && const_scalar(y, &c) && c > 0) {
        m->mha.scale *= op[0] == 'D' ? 1.0 / c : c;   /* q's or the scores' */
        if ((st = mha_out(m, x, s, part)))
            return st;
        m->vals[m->n_vals - 1].scaled = 1;
        return SEQNN_OK;
    }
    if (mha_scores(m, x, y, &st) || mha_additive(m, x, y, &st))
        return st;
    if (!strcmp(op, "Add") && s == MS_SCORES && y)
        return mask_apply(m, x, y, 1);
    if (!strcmp(op, "Add") && s == MS_SLICE)
        return mha_proj_bias(m, x, y);
    if (!strcmp(op, "Softmax") && s == MS_SCORES &&
        (om_attr_i(n, "axis", -1) == -1 || om_attr_i(n, "axis", -1) == (x->rank == 4 ? 3 : 2)))
        return (st = mha_heads(m)) ? st : mha_out(m, x, MS_WEIGHTS, part);
    if ((!strcmp(op, "Dropout") || !strcmp(op, "Identity")) && s == MS_WEIGHTS)
        return mha_out(m, x, MS_WEIGHTS, part);
    if (!strcmp(op, "MatMul") && s == MS_WEIGHTS && y && y->kind == V_MHA && y->part == 2 &&
        (y->stage == MS_BT || y->stage == MS_SLICE)) {   /* the context: labelled as q */
        int wl[4], vl[4], wn = mha_labels(m, x, x->rank, wl), vn = mha_labels(m, y, wn ? wn : 3, vl);
        int ok = wn == vn && (y->stage == MS_BT || vn);
        for (int i = 0; ok && wn && i < wn - 1; i++)
            ok = wl[i] == vl[i];
        if (ok)
            return mha_out(m, x, MS_CTX, 3);
    }
    if (!strcmp(op, "Gemm") && s == MS_FLAT)
        return mha_out_proj(m, x);
    if ((!strcmp(op, "MatMul") && mha_flat(m, x)) || (!strcmp(op, "Add") && s == MS_OUT_MM))
        return mha_out_matmul(m, x, y, op[0] == 'A');
    return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "not a step of %s%s", om_MHA_HOW,
                    s == MS_SCORES ? " (the scores here meet something else than a causal or length mask)" : "");
}

#endif /* SEQNN_HAVE_ONNX */

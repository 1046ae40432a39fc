/* The ONNX importer's attention patterns: nn.MultiheadAttention's exported
 * self-attention graph (in-projection sliced into q, k, v, heads, scaled
 * scores, Softmax, context, output projection) and the Split form seqnn
 * export writes for scaled-dot attention, mapped onto one attention layer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "onnx_map.h"

#ifdef SEQNN_HAVE_ONNX

/* ---------------------------------------------------------- attention --- */
const char om_MHA_HOW[] = "nn.MultiheadAttention as mapped (self-attention without masks, as torch 1.13 "
                              "exports it: MatMul + Add of the in-projection, three Slices, Reshape, Transpose, "
                              "the scaling of q, MatMul, Softmax, MatMul, Transpose, Reshape, Gemm, Reshape; or "
                              "as seqnn exports scaled-dot attention: a Split, the scores scaled, MatMul + Add "
                              "of the output projection)";

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

/* The dense layer l, whose output x is split into q, k, v, becomes the
 * attention's in-projection. */
static void mha_start(mapper *m, const mval *x, mlayer *l)
{
    l->kind = L_ATTN;
    m->mha.done = 0;
    m->mha.layer = x->layer;
    memcpy(m->mha.ax, x->ax, sizeof m->mha.ax);
    for (int i = 0; i < m->out->n_params; i++) {
        onnx_param *p = &m->out->params[i];
        size_t nl = strlen(l->name);
        if (!strncmp(p->name, l->name, nl) && p->name[nl] == '.')
            snprintf(p->name + nl + 1, sizeof p->name - nl - 1, "%s",
                     !strcmp(p->name + nl + 1, "weight") ? "in_proj_weight" : "in_proj_bias");
    }
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
    if (m->time_label < 0 && x->rank == 3)
        m->time_label = x->ax[0];
    int64_t a = om_attr_i(n, "axis", 0), E = l ? l->a : 0;
    int ok = l && x->layer == m->n_layers - 1 && l->kind == L_DENSE && l->b == 3 * E && x->rank == 3 &&
             x->ax[2] == AX_F && x->ax[0] == m->time_label && (a == -1 || a == 2) && n->n_output == 3 &&
             !m->mha.n_slices && (!sp || (sp->kind == V_CONST && om_tensor_count(sp->t) == 3)) &&
             (!sa || sa->n_ints == 3);
    for (int64_t j = 0, v = 0; ok && j < 3; j++)
        ok = (sp ? om_tensor_int(sp->t, j, &v) : (v = sa ? sa->ints[j] : E, 1)) && v == E;
    if (!ok)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a Split of activations is mapped only into q, k, v (three equal "
                        "parts of the last axis) of the in-projection of %s", om_MHA_HOW + 0);
    mha_start(m, x, l);
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
    if (m->time_label < 0 && x->rank == 3)
        m->time_label = x->ax[0];
    int ok = l && x->layer == m->n_layers - 1 && x->rank == 3 && x->ax[2] == AX_F && x->ax[0] == m->time_label &&
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
    if (j == 0)
        mha_start(m, x, l);
    m->mha.slice_end = n->input[2];
    m->mha.n_slices++;
    x->kind = V_MHA;   /* the in-projection: read by its Slices and Shapes only */
    x->stage = MS_PROJ;
    seqnn_status s2 = mha_out(m, x, MS_SLICE, j);
    if (!s2)
        m->vals[m->n_vals - 1].kind = V_MHA;
    return s2;
}

/* The scores' MatMul: q (scaled, [B*h, T, d]) by k ([B*h, d, T]), or the
 * Mul of unscaled scores (seqnn's form, k NULL); the scale 1/sqrt(d) gives
 * the heads. */
static seqnn_status mha_scores(mapper *m, const mval *q, const mval *k)
{
    mlayer *l = &m->layers[m->mha.layer];
    double d = m->mha.factor > 0 ? 1.0 / (m->mha.factor * m->mha.factor) : 0;
    int64_t hd = (int64_t)floor(d + 0.5);
    if (hd < 1 || fabs(m->mha.factor * sqrt((double)hd) - 1) > 1e-5 || l->a % hd)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "q is not scaled by 1/sqrt(d) for a head size d dividing %lld "
                        "(seqnn's attention scales so)", (long long)l->a);
    l->heads = (int)(l->a / hd);
    (void)k;
    seqnn_status st = mha_out(m, q, MS_SCORES, 3);
    if (!st)
        m->vals[m->n_vals - 1].scaled = 1;
    return st;
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
    m->mha.factor = 0;
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
        return c ? om_node_err(m, SEQNN_ERR_UNSUPPORTED, "the output projection must be a MatMul by a constant "
                            "[%lld, %lld] and an Add of a constant [%lld]", (long long)E, (long long)E, (long long)E)
                 : om_map_status;
    float *d = om_tensor_floats(m, c->t, &cnt), *w = d && !add ? malloc((size_t)cnt * sizeof *w) : NULL;
    if (!d || (!add && !w)) {
        free(d);
        return d ? om_map_fail(SEQNN_ERR_NO_MEMORY, "out of memory") : om_map_status;
    }
    for (int64_t i = 0; !add && i < E; i++)   /* Wᵀ back to [out, in] */
        for (int64_t j = 0; j < E; j++)
            w[j * E + i] = d[i * E + j];
    if (!add)
        free(d);
    seqnn_status st = om_param_add(m, m->layers[m->mha.layer].name, add ? "out_proj.bias" : "out_proj.weight",
                                add ? d : w, cnt);
    return st ? st : add ? mha_finish(m, x) : mha_out(m, x, MS_OUT_MM, 3);
}

/* One node inside the attention's graph, x its first input. */
seqnn_status om_map_mha(mapper *m, const mval *x)
{
    const Onnx__NodeProto *n = m->node;
    const char *op = n->op_type;
    const Onnx__AttributeProto *pa = om_attr(n, "perm");
    int perm = pa && pa->n_ints == 3 ? (int)(pa->ints[0] * 100 + pa->ints[1] * 10 + pa->ints[2]) : -1;
    const mval *y = n->n_input > 1 && n->input[1][0] ? om_val_find(m, n->input[1]) : NULL;
    int s = x->stage, part = x->part;
    if (x->layer != m->mha.layer || (y && y->kind == V_MHA && y->layer != x->layer))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "mixes two attentions, or reads one after its output; %s", om_MHA_HOW);
    if (!strcmp(op, "Reshape") && (s == MS_SLICE || s == MS_CTX_T))
        return mha_out(m, x, s == MS_SLICE ? MS_HEADS : MS_FLAT, part);
    if (!strcmp(op, "Reshape") && s == MS_OUT)   /* [T, B, E]: the layer's output */
        return mha_finish(m, x);
    if (!strcmp(op, "Transpose") && perm == 102 && (s == MS_HEADS || s == MS_CTX))
        return mha_out(m, x, s == MS_CTX ? MS_CTX_T : MS_BT, part);
    if (!strcmp(op, "Transpose") && part == 1 && ((perm == 120 && s == MS_HEADS) || (perm == 21 && s == MS_BT)))
        return mha_out(m, x, MS_KT, part);
    float c;
    if ((!strcmp(op, "Div") || !strcmp(op, "Mul")) && part == 0 && !x->scaled && (s == MS_HEADS || s == MS_BT) &&
        y && y->kind == V_CONST && om_tensor_floats_one(y->t, &c) && c > 0) {
        m->mha.factor = op[0] == 'D' ? 1.0 / c : c;
        seqnn_status st = mha_out(m, x, s, part);
        if (!st)
            m->vals[m->n_vals - 1].scaled = 1;
        return st;
    }
    if (!strcmp(op, "MatMul") && s == MS_BT && part == 0 && y && y->kind == V_MHA && y->stage == MS_KT &&
        y->part == 1)
        return x->scaled ? mha_scores(m, x, y) : mha_out(m, x, MS_SCORES, 3);
    if ((!strcmp(op, "Div") || !strcmp(op, "Mul")) && s == MS_SCORES && !x->scaled && y && y->kind == V_CONST &&
        om_tensor_floats_one(y->t, &c) && c > 0) {
        m->mha.factor = op[0] == 'D' ? 1.0 / c : c;
        return mha_scores(m, x, NULL);
    }
    if (!strcmp(op, "Softmax") && s == MS_SCORES && !x->scaled)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "scores not scaled by 1/sqrt(d) (seqnn's attention maps the "
                        "scaled dot product); %s", om_MHA_HOW);
    if (!strcmp(op, "Softmax") && s == MS_SCORES &&
        (om_attr_i(n, "axis", -1) == -1 || om_attr_i(n, "axis", -1) == 2))
        return mha_out(m, x, MS_WEIGHTS, part);
    if ((!strcmp(op, "Dropout") || !strcmp(op, "Identity")) && s == MS_WEIGHTS)
        return mha_out(m, x, MS_WEIGHTS, part);
    if (!strcmp(op, "MatMul") && s == MS_WEIGHTS && y && y->kind == V_MHA && y->stage == MS_BT && y->part == 2)
        return mha_out(m, x, MS_CTX, 3);
    if (!strcmp(op, "Gemm") && s == MS_FLAT)
        return mha_out_proj(m, x);
    if ((!strcmp(op, "MatMul") && s == MS_FLAT) || (!strcmp(op, "Add") && s == MS_OUT_MM))
        return mha_out_matmul(m, x, y, op[0] == 'A');
    return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "not a step of %s%s", om_MHA_HOW,
                    s == MS_SCORES ? " (the scores here meet something else: attention masks are not mapped)" : "");
}

#endif /* SEQNN_HAVE_ONNX */

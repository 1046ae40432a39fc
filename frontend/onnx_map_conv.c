/* The ONNX importer's convolution bank (Kim's CNN): Conv branches on
 * [B, E, T], each with its activation (and, with lengths, its windows past
 * them masked) and max over time (ReduceMax, or MaxPool + Squeeze),
 * concatenated into one conv layer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "onnx_map.h"

#ifdef SEQNN_HAVE_ONNX

/* ------------------------------------------------- convolution bank --- */
/* 1 when the node's ints attribute name is absent or every entry is v. */
static int attr_ints_all(const Onnx__NodeProto *n, const char *name, int64_t v)
{
    const Onnx__AttributeProto *a = om_attr(n, name);
    for (size_t i = 0; a && i < a->n_ints; i++)
        if (a->ints[i] != v)
            return 0;
    return !a || a->n_ints || !a->has_i;
}

/* ------------------------------------ windows masked past the lengths --- */
/* What seqnn export writes for a bank run with lengths: each branch's
 * windows at t > max(len - w, 0) set to -inf before the max over time:
 * Where(Unsqueeze(Greater(Range(L), Unsqueeze(Max(Sub(len, w), 0), 1)), 1),
 * -inf, act). The limit: Sub, Max and Unsqueeze of the lengths. */
static const char WINDOW_HOW[] = "the lengths are mapped into a convolution bank as its windows past them masked: "
                                 "Where(Range(L) > max(lengths - w, 0), -inf, activated Conv) before the max over "
                                 "time, as seqnn export writes it";

/* The node's input k is a constant of one integer, into *v: 1, or 0. */
static int const_int1(mapper *m, size_t k, int64_t *v)
{
    const mval *c = om_in_val(m, k, 0);
    return c && c->kind == V_CONST && om_tensor_count(c->t) == 1 && om_tensor_int(c->t, 0, v);
}

seqnn_status om_map_window_limit(mapper *m, const mval *x)
{
    const char *op = m->node->op_type;
    int64_t v = -1;
    int sub = !strcmp(op, "Sub"), max = !strcmp(op, "Max"), unsq = !strcmp(op, "Unsqueeze");
    int ok = sub ? x->kind == V_LENGTHS && const_int1(m, 1, &v) && v >= 1 && v <= (1 << 20)
           : max ? x->kind == V_LENLIM && x->part == 0 && x->rank == 1 && const_int1(m, 1, &v) && v == 0
           : unsq && x->kind == V_LENLIM && x->part == 1 && x->rank == 1 && om_axis_arg(m, "axes", 1, 99) == 1;
    if (!ok || m->node->n_input != 2)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "%s", WINDOW_HOW);
    mval *o = om_out_val(m, 0, V_LENLIM);
    if (!o)
        return om_map_status;
    o->in_k = x->in_k;
    o->f = sub ? v : x->f;
    o->part = sub ? 0 : 1;
    o->rank = unsq ? 2 : 1;
    if (sub)
        m->in_role[x->in_k] = IN_LENGTHS;
    return SEQNN_OK;
}

/* Greater(Range(L), limit [B, 1]) -> [B, L], then Unsqueeze(axes=[1]). */
seqnn_status om_map_window_mask(mapper *m, const mval *x)
{
    const mval *lim = !strcmp(m->node->op_type, "Greater") ? om_in_val(m, 1, 1) : NULL;
    int ok = lim ? x->kind == V_IOTA && lim->kind == V_LENLIM && lim->rank == 2
                 : x->kind == V_WINMASK && x->rank == 2 && om_axis_arg(m, "axes", 1, 99) == 1;
    if (!ok)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "%s", WINDOW_HOW);
    mval *o = om_out_val(m, 0, V_WINMASK);
    if (!o)
        return om_map_status;
    o->in_k = lim ? lim->in_k : x->in_k;
    o->f = lim ? lim->f : x->f;
    o->rank = lim ? 2 : 3;
    return SEQNN_OK;
}

/* Where(mask [B, 1, L], -inf, branch): the branch's windows masked. */
seqnn_status om_map_window_where(mapper *m, const mval *x)
{
    int neg_inf = 0;
    const mval *c = om_where_neg_inf(m, &neg_inf);
    if (!c)
        return om_map_status;
    mconv *cv = c->kind == V_CONV ? &m->conv[c->sub] : NULL;
    if (x->rank != 3 || !neg_inf || !cv ||
        !cv->act[0] || cv->pooled || cv->masked || cv->width != x->f ||
        !om_bind_lengths(m, x->in_k, cv->src >= 0 ? m->layers[cv->src].stream : -1 - cv->src))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "%s", WINDOW_HOW);
    cv->masked = 1;
    mval *o = om_out_copy(m, 0, c);
    return o ? SEQNN_OK : om_map_status;
}

/* Conv (nn.Conv1d(E, F, w), no padding, stride or dilation) on [B, E, T]
 * activations: a branch of the convolution bank that max over time and a
 * Concat of the branches make one conv1d_bank layer. */
seqnn_status om_map_conv(mapper *m, const mval *x)
{
    const Onnx__NodeProto *n = m->node;
    const Onnx__AttributeProto *pad = om_attr(n, "auto_pad");
    const char *how = "a Conv is mapped as nn.Conv1d(E, F, w) without padding, stride, dilation or groups over "
                      "the [B, E, T] permutation of a layer's output (Kim's convolution bank)";
    if (x->kind != V_ACT || x->rank != 3 || x->ax[1] != AX_F ||
        x->ax[0] == AX_F || x->ax[2] == AX_F || x->ax[0] > AX_S1 || x->ax[2] > AX_S1)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "%s", how);
    const mlayer *tl = x->layer >= 0 ? &m->layers[x->layer] : NULL;
    if (tl && ((tl->kind == L_RNN && x->sub != tl->layers - 1) || (tl->kind == L_RNN && tl->last)))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "%s", how);
    if (om_attr_i(n, "group", 1) != 1 || !attr_ints_all(n, "dilations", 1) || !attr_ints_all(n, "strides", 1) ||
        !attr_ints_all(n, "pads", 0) ||
        (pad && pad->has_s && !(pad->s.len == 5 && !memcmp(pad->s.data, "VALID", 5)) &&
         !(pad->s.len == 6 && !memcmp(pad->s.data, "NOTSET", 6))))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "%s", how);
    const mval *w = om_in_val(m, 1, 1), *b = w ? om_in_val(m, 2, 0) : NULL;
    if (!w || (n->n_input > 2 && n->input[2][0] && !b))
        return om_map_status;
    if (w->kind != V_CONST || w->t->n_dims != 3 || w->t->dims[1] != x->f || w->t->dims[0] < 1 ||
        w->t->dims[2] < 1 || w->t->dims[0] > (1 << 20) || w->t->dims[2] > (1 << 20) ||
        (b && (b->kind != V_CONST || b->t->n_dims != 1 || b->t->dims[0] != w->t->dims[0])))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "the weight must be a constant [F, %lld, w] and the bias a "
                        "constant [F]", (long long)x->f);
    const Onnx__AttributeProto *ks = om_attr(n, "kernel_shape");
    if (ks && (ks->n_ints != 1 || ks->ints[0] != w->t->dims[2]))
        return om_node_err(m, SEQNN_ERR_FORMAT, "kernel_shape does not match the weight");
    if (m->n_conv && strcmp(m->conv[0].input, x->name))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "the convolutions of a bank must read one value ('%s', not "
                        "'%s')", m->conv[0].input, x->name);
    if (m->n_conv == MAP_MAX_WIDTHS)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "more than %d convolutions in a bank", MAP_MAX_WIDTHS);
    if (m->time_label < 0)
        m->time_label = x->ax[2];
    if (x->ax[2] != m->time_label)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "the convolution's last axis is not time");
    mconv *c = &m->conv[m->n_conv];
    memset(c, 0, sizeof *c);
    c->w = w->t;
    c->b = b ? b->t : NULL;
    c->input = x->name;
    c->filters = w->t->dims[0];
    c->width = w->t->dims[2];
    c->node_i = m->node_i;
    c->src = x->layer;
    om_module_path(n->name ? n->name : "", c->name, sizeof c->name);
    mval *o = om_out_val(m, 0, V_CONV);
    if (!o)
        return om_map_status;
    o->sub = m->n_conv++;
    o->layer = x->layer;
    o->perm = x->perm;
    o->ax[0] = x->ax[0];
    return SEQNN_OK;
}

/* The activation of a bank's branch (relu, tanh, sigmoid, hardtanh). */
seqnn_status om_map_conv_act(mapper *m, const mval *x, const char *act)
{
    mconv *c = &m->conv[x->sub];
    if (c->act[0] || c->pooled || (strcmp(act, "relu") && strcmp(act, "tanh") && strcmp(act, "sigmoid") &&
                                   strcmp(act, "hardtanh")))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "one activation (Relu, Tanh, Sigmoid or Clip(-1, 1)) between a "
                        "Conv and its max over time");
    snprintf(c->act, sizeof c->act, "%s", act);
    return om_copy_val(m, x);
}

/* Max over time of an activated branch: ReduceMax(axes=[2]) (x.max(dim=2)[0]),
 * or MaxPool over the whole time axis of a graph of fixed length T
 * (F.max_pool1d(x, x.size(2))), whose kept axis a Squeeze(axes=[2]) drops. */
seqnn_status om_map_max_over_time(mapper *m, const mval *x, int maxpool)
{
    const Onnx__NodeProto *n = m->node;
    const Onnx__AttributeProto *axes = om_attr(n, "axes"), *ks = om_attr(n, "kernel_shape"), *sd = om_attr(n, "strides");
    int64_t axis = axes && axes->n_ints == 1 ? axes->ints[0] : om_axis_arg(m, "axes", 1, 99);
    int ok = x->kind == V_CONV && m->conv[x->sub].act[0] && !m->conv[x->sub].pooled;
    int64_t T = m->time_label >= 0 ? m->in_fixed[m->time_label] : -1, k = ks && ks->n_ints == 1 ? ks->ints[0] : -1;
    if (ok && maxpool)
        ok = T > 0 && k == T - m->conv[x->sub].width + 1 && (!sd || (sd->n_ints == 1 && sd->ints[0] == k)) &&
             attr_ints_all(n, "pads", 0) && attr_ints_all(n, "dilations", 1) && om_attr_i(n, "ceil_mode", 0) == 0 &&
             n->n_output == 1;
    else if (ok)
        ok = axis == 2 || axis == -1;
    if (!ok)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "%s", maxpool ?
                        "a MaxPool is mapped as the max over time of an activated Conv: its kernel the whole time "
                        "axis of a graph whose input has a fixed length (F.max_pool1d(x, x.size(2)))" :
                        "a ReduceMax is mapped as the max over time (axes=[2]) of an activated Conv: "
                        "x.max(dim=2)[0]");
    m->conv[x->sub].pooled = 1;
    mval *o = om_out_val(m, 0, V_POOLED);
    if (!o)
        return om_map_status;
    o->sub = x->sub;
    o->layer = x->layer;
    o->perm = x->perm;
    o->ax[0] = x->ax[0];
    o->rank = maxpool || om_attr_i(n, "keepdims", 1) ? 3 : 2;
    return SEQNN_OK;
}

/* Squeeze(axes=[2]) of a branch pooled with its time axis kept. */
seqnn_status om_map_pool_squeeze(mapper *m, const mval *x)
{
    int64_t axis = om_axis_arg(m, "axes", 1, 99);
    if (x->rank != 3 || (axis != 2 && axis != -1))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "only a Squeeze of the pooled time axis (axes=[2]) is mapped "
                        "after the max over time");
    seqnn_status st = om_copy_val(m, x);
    if (!st)
        m->vals[m->n_vals - 1].rank = 2;
    return st;
}

/* The pooled branches parts[0..n) (every branch, in order, of one filter
 * count and activation) as one conv1d_bank layer, whose output [B, n*F]
 * goes into o (NULL: the node's output). */
seqnn_status om_conv_bank(mapper *m, const mval *const *parts, int n, mval *o)
{
    int ok = n == m->n_conv;
    for (int i = 0; ok && i < n; i++)
        ok = parts[i]->kind == V_POOLED && parts[i]->rank == 2 && parts[i]->sub == i &&
             m->conv[i].filters == m->conv[0].filters &&
             !strcmp(m->conv[i].act, m->conv[0].act) && m->conv[i].masked == m->conv[0].masked;
    if (!ok)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "the pooled convolutions are mapped when every one of them is "
                        "concatenated (axis 1), in the order of the Convs, with one filter count and activation, "
                        "all or none masked past the lengths (one conv1d_bank)");
    char path[64];
    snprintf(path, sizeof path, "%s", m->conv[0].name);
    char *dot = strrchr(path, '.');   /* "convs.0" (an nn.ModuleList's first entry) -> "convs" */
    if (dot && dot[1] >= '0' && dot[1] <= '9' && strspn(dot + 1, "0123456789") == strlen(dot + 1))
        *dot = 0;
    m->next_src = m->conv[0].src;
    mlayer *l = om_layer_new_at(m, L_CONV, path, "convs");
    if (!l)
        return om_map_status;
    l->b = m->conv[0].filters;
    l->n_widths = n;
    l->lens_ops = m->conv[0].masked;
    snprintf(l->act, sizeof l->act, "%s", m->conv[0].act);
    for (int i = 0; i < n; i++) {
        char sfx[2][24];
        snprintf(sfx[0], sizeof sfx[0], "%d.weight", i);
        snprintf(sfx[1], sizeof sfx[1], "%d.bias", i);
        l->widths[i] = m->conv[i].width;
        int64_t cw, cb = l->b;
        float *wd = om_tensor_floats(m, m->conv[i].w, &cw);
        float *bd = !wd ? NULL : m->conv[i].b ? om_tensor_floats(m, m->conv[i].b, &cb) : calloc((size_t)cb, sizeof *bd);
        if (!wd)
            return om_map_status;
        if (!bd) {
            free(wd);
            return m->conv[i].b ? om_map_status : om_map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
        }
        seqnn_status st = om_param_add(m, l->name, sfx[0], wd, cw);
        if (st) {
            free(bd);
            return st;
        }
        if ((st = om_param_add(m, l->name, sfx[1], bd, cb)))
            return st;
    }
    int batch = parts[0]->ax[0];
    m->n_conv = 0;
    if (!o && !(o = om_out_val(m, 0, V_ACT)))
        return om_map_status;
    o->kind = V_ACT;
    o->layer = m->n_layers - 1;
    o->sub = 0;
    o->rank = 2;
    o->ax[0] = batch;
    o->ax[1] = AX_F;
    o->perm = parts[0]->perm;
    o->f = (int64_t)n * l->b;
    return SEQNN_OK;
}

#endif /* SEQNN_HAVE_ONNX */

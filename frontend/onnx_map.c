/* The ONNX importer's pattern mapper: walks a graph exported by
 * torch.onnx.export in its (topological) order, tracking what each value is
 * (a weight, shape arithmetic, zeros, the token or feature input, a layer's
 * activations with the order of their axes, a recurrent layer's final
 * states) and maps the patterns onto seqnn layers: Gather on the token input
 * (nn.Embedding), LSTM / GRU / RNN ops (gate blocks reordered to PyTorch's;
 * an LSTM's peepholes P and input_forget as seqnn's peephole / coupled LSTM;
 * ops stacked one on another joined into one layer of several layers; final
 * states picked with Gather/Concat as a many-to-one `last=1`), Gemm or MatMul
 * + Add (nn.Linear), Conv + activation + ReduceMax branches concatenated
 * (Kim's convolution bank), self-attention (nn.MultiheadAttention's graph
 * with its causal or key-padding masks, seqnn export's forms of every
 * score, scaled dot product written by hand), activations (swish as
 * x * Sigmoid(x)), a final Softmax / LogSoftmax, and the Transpose /
 * Reshape / Squeeze / Unsqueeze / Slice / Shape glue around them; graphs of
 * several inputs whose layers read any earlier value (from=), Concat / Add /
 * Mul of layers as merges, and (onnx_map_encdec.c) encoder-decoders. Anything
 * else is refused naming the node. Output: a model file (text; its loss from
 * the metadata seqnn.loss of a seqnn export, else xent) and the weights
 * under the names the model file's layers give them. This file holds the
 * values, the glue, the embedding / dense / activation / merge ops and the
 * graph; attention, the convolution bank, encoder-decoder attention and the
 * recurrent ops are in onnx_map_attention.c, onnx_map_conv.c,
 * onnx_map_encdec.c and onnx_map_rnn.c (onnx_map.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "onnx_map.h"

#ifdef SEQNN_HAVE_ONNX

static const char SUPPORTED[] =
    "supported: Gather (embedding), LSTM, GRU, RNN, Gemm, MatMul + Add, Conv + activation + ReduceMax "
    "or MaxPool + Squeeze (+ Concat: a convolution bank), self-attention (nn.MultiheadAttention's graph, "
    "causal or key-padding masks; seqnn export's scores; scaled dot product written by hand over fused or "
    "separate projections), seqnn export's encoder-decoder attention, Concat / Add / Mul of layers (concat, "
    "add, multiply), Relu, Tanh, Sigmoid, Mul(x, Sigmoid(x)), LeakyRelu, Clip(-1, 1), Dropout, Identity, a "
    "final Softmax / LogSoftmax, and Transpose / Reshape / Squeeze / Unsqueeze / Concat / Slice / Gather / "
    "Shape / ConstantOfShape / Expand glue";

/* The status of the last failure of this thread's mapping (for the
 * callers of functions that return a pointer). */
_Thread_local seqnn_status om_map_status;

seqnn_status om_map_fail(seqnn_status st, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    om_map_status = st;
    return seqnn_set_error(NULL, st, "%s", msg);
}

seqnn_status om_node_err(mapper *m, seqnn_status st, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const Onnx__NodeProto *n = m->node;
    return om_map_fail(st, "%s: node %zu '%s' (%s): %s", m->src, m->node_i,
                           n && n->name ? n->name : "", n && n->op_type ? n->op_type : "?", what);
}

/* ------------------------------------------------------------- tensors --- */
int64_t om_tensor_count(const Onnx__TensorProto *t)
{
    int64_t n = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0 || (t->dims[i] > 0 && n > MAP_MAX_COUNT / t->dims[i]))
            return -1;
        n *= t->dims[i];
    }
    return n;
}

/* Float data of t (count elements) into a new array, or NULL after an error. */
float *om_tensor_floats(mapper *m, const Onnx__TensorProto *t, int64_t *count)
{
    int64_t n = om_tensor_count(t);
    if (n < 0) {
        om_node_err(m, SEQNN_ERR_FORMAT, "tensor '%s' has a negative or too large shape", t->name ? t->name : "");
        return NULL;
    }
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        om_node_err(m, SEQNN_ERR_UNSUPPORTED, "tensor '%s' keeps its data in an external file (export without "
                 "external data)", t->name ? t->name : "");
        return NULL;
    }
    if (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
        om_node_err(m, SEQNN_ERR_UNSUPPORTED, "tensor '%s' is not float32 (data type %d)", t->name ? t->name : "",
                 (int)t->data_type);
        return NULL;
    }
    int raw = t->has_raw_data;
    if ((raw && t->raw_data.len != (size_t)n * 4) || (!raw && t->n_float_data != (size_t)n)) {
        om_node_err(m, SEQNN_ERR_FORMAT, "tensor '%s' holds %zu values where its shape needs %lld",
                 t->name ? t->name : "", raw ? t->raw_data.len / 4 : t->n_float_data, (long long)n);
        return NULL;
    }
    float *d = malloc((size_t)(n ? n : 1) * sizeof *d);
    if (!d) {
        om_map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    if (raw)
        memcpy(d, t->raw_data.data, (size_t)n * 4);   /* little-endian, as ONNX stores it */
    else
        memcpy(d, t->float_data, (size_t)n * 4);
    *count = n;
    return d;
}

/* Integer element i of a constant (int64 or int32), into *v: 1, or 0. */
int om_tensor_int(const Onnx__TensorProto *t, int64_t i, int64_t *v)
{
    int64_t n = om_tensor_count(t);
    if (n < 0 || i < 0 || i >= n)
        return 0;
    if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
        if (t->has_raw_data && t->raw_data.len == (size_t)n * 8)
            memcpy(v, t->raw_data.data + i * 8, 8);
        else if (!t->has_raw_data && t->n_int64_data == (size_t)n)
            *v = t->int64_data[i];
        else
            return 0;
        return 1;
    }
    if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT32) {
        int32_t x;
        if (t->has_raw_data && t->raw_data.len == (size_t)n * 4)
            memcpy(&x, t->raw_data.data + i * 4, 4);
        else if (!t->has_raw_data && t->n_int32_data == (size_t)n)
            x = t->int32_data[i];
        else
            return 0;
        *v = x;
        return 1;
    }
    return 0;
}

/* The one value of a float scalar constant into *v: 1, or 0. */
int om_tensor_floats_one(const Onnx__TensorProto *t, float *v)
{
    if (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || om_tensor_count(t) != 1)
        return 0;
    if (t->has_raw_data && t->raw_data.len == 4)
        memcpy(v, t->raw_data.data, 4);
    else if (!t->has_raw_data && t->n_float_data == 1)
        *v = t->float_data[0];
    else
        return 0;
    return 1;
}

/* 1 when every element of the constant t is zero. */
int om_tensor_all_zero(mapper *m, const Onnx__TensorProto *t)
{
    if (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
        int64_t v, n = om_tensor_count(t);
        for (int64_t i = 0; i < n; i++)
            if (!om_tensor_int(t, i, &v) || v)
                return 0;
        return n >= 0;
    }
    int64_t n;
    float *d = om_tensor_floats(m, t, &n);
    int zero = d != NULL;
    for (int64_t i = 0; d && i < n; i++)
        zero &= d[i] == 0.0f;
    free(d);
    return zero;
}

/* ------------------------------------------------------------- values --- */
mval *om_val_find(mapper *m, const char *name)
{
    for (size_t i = m->n_vals; i-- > 0;)
        if (!strcmp(m->vals[i].name, name))
            return &m->vals[i];
    return NULL;
}

/* Room for extra more values: reserved before each node, so that the
 * pointers to its inputs stay valid while its outputs are added. */
static int val_reserve(mapper *m, size_t extra)
{
    if (m->n_vals + extra <= m->cap_vals)
        return 1;
    size_t cap = 2 * (m->n_vals + extra) + 64;
    mval *v = realloc(m->vals, cap * sizeof *v);
    if (!v)
        return 0;
    m->vals = v;
    m->cap_vals = cap;
    return 1;
}

static mval *val_add(mapper *m, const char *name, vkind kind)
{
    if (!val_reserve(m, 1))
        return NULL;
    mval *v = &m->vals[m->n_vals++];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->kind = kind;
    v->layer = -1;
    return v;
}

/* Input k of the node (NULL when absent, after an error when unknown). */
mval *om_in_val(mapper *m, size_t k, int required)
{
    const Onnx__NodeProto *n = m->node;
    if (k >= n->n_input || !n->input[k][0]) {
        if (required)
            om_node_err(m, SEQNN_ERR_FORMAT, "input %zu is missing", k);
        return NULL;
    }
    mval *v = om_val_find(m, n->input[k]);
    if (!v)
        om_node_err(m, SEQNN_ERR_FORMAT, "input '%s' is not produced before the node (the graph must be a DAG in "
                 "topological order)", n->input[k]);
    if (v && v->kind == V_CONST && om_tensor_count(v->t) < 0) {
        om_node_err(m, SEQNN_ERR_FORMAT, "tensor '%s' has a negative or too large shape", n->input[k]);
        return NULL;
    }
    return v;
}

const Onnx__AttributeProto *om_attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name))
            return n->attribute[i];
    return NULL;
}

int64_t om_attr_i(const Onnx__NodeProto *n, const char *name, int64_t dflt)
{
    const Onnx__AttributeProto *a = om_attr(n, name);
    return a && a->has_i ? a->i : dflt;
}

double om_attr_f(const Onnx__NodeProto *n, const char *name, double dflt)
{
    const Onnx__AttributeProto *a = om_attr(n, name);
    return a && a->has_f ? a->f : dflt;
}

/* The node's output k as a new value (NULL after an error). */
mval *om_out_val(mapper *m, size_t k, vkind kind)
{
    if (k >= m->node->n_output || !m->node->output[k][0])
        return NULL;
    mval *v = val_add(m, m->node->output[k], kind);
    if (!v)
        om_map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
    return v;
}

/* The node's output k as a copy of x (under its own name), or NULL. */
mval *om_out_copy(mapper *m, size_t k, const mval *x)
{
    mval *o = om_out_val(m, k, x->kind);
    if (!o)
        return NULL;
    const char *name = o->name;
    *o = *x;
    o->name = name;
    return o;
}

/* Output 0 of the node as a copy of x (a Cast of lengths, an Identity). */
seqnn_status om_copy_val(mapper *m, const mval *x)
{
    return om_out_copy(m, 0, x) ? SEQNN_OK : om_map_status;
}

/* ------------------------------------------------------ layers, params --- */
seqnn_status om_param_add(mapper *m, const char *layer, const char *suffix, float *data, int64_t count)
{
    onnx_mapped *o = m->out;
    if (o->n_params == o->cap_params) {
        int cap = o->cap_params ? 2 * o->cap_params : 16;
        onnx_param *p = realloc(o->params, (size_t)cap * sizeof *p);
        if (!p) {
            free(data);
            return om_map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
        }
        o->params = p;
        o->cap_params = cap;
    }
    onnx_param *p = &o->params[o->n_params++];
    snprintf(p->name, sizeof p->name, "%s.%s", layer, suffix);
    p->data = data;
    p->count = count;
    return SEQNN_OK;
}

/* The module path of a node named n ("/encoder/rnn/LSTM_1" -> "encoder.rnn",
 * the PyTorch state_dict prefix) into out, "" when it has none. */
void om_module_path(const char *n, char *out, size_t size)
{
    const char *slash = strrchr(n, '/');
    size_t j = 0;
    for (const char *p = n[0] == '/' ? n + 1 : n; slash && p < slash && j + 1 < size; p++) {
        char c = *p == '/' ? '.' : *p;
        out[j++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                           c == '_' ? c : '_';
    }
    out[j] = 0;
}

/* The layer's name: path (NULL: the module path of the node), else dflt;
 * unique. */
static void layer_name(mapper *m, const char *path, const char *dflt, char *out, size_t size)
{
    if (path)
        snprintf(out, size, "%s", path);
    else
        om_module_path(m->node->name ? m->node->name : "", out, size);
    if (!out[0] || !strcmp(out, "input"))
        snprintf(out, size, "%s", dflt);
    char base[48];
    snprintf(base, sizeof base, "%s", out);
    for (int k = 2, clash = 1; clash; k++) {
        clash = 0;
        for (int i = 0; i < m->n_layers; i++)
            clash |= !strcmp(m->layers[i].name, out);
        if (clash)
            snprintf(out, size, "%s_%d", base, k);
    }
}

/* A new layer named after path (NULL: the node's module path), else dflt. */
mlayer *om_layer_new_at(mapper *m, lkind kind, const char *path, const char *dflt)
{
    if (m->n_layers == MAP_MAX_LAYERS) {
        om_node_err(m, SEQNN_ERR_UNSUPPORTED, "more than %d layers", MAP_MAX_LAYERS);
        return NULL;
    }
    mlayer *l = &m->layers[m->n_layers];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->bias_param = -1;
    l->h_in = l->c_in = -1;
    l->node_i = m->node_i;
    l->n_src = 1;
    l->src[0] = m->next_src;
    l->stream = m->next_src >= 0 ? m->layers[m->next_src].stream : -1 - m->next_src;
    layer_name(m, path, dflt, l->name, sizeof l->name);
    m->n_layers++;
    return l;
}

mlayer *om_layer_new(mapper *m, lkind kind, const char *dflt)
{
    return om_layer_new_at(m, kind, NULL, dflt);
}

/* The data input whose steps the activations v have. */
int om_val_stream(const mapper *m, const mval *v)
{
    return v->layer >= 0 ? m->layers[v->layer].stream : -1 - v->layer;
}

/* v as a layer's input: activations of a layer (or a data input), the top
 * sub-layer of a recurrent one, features last; the next new layer reads it
 * (m->next_src). */
seqnn_status om_need_tail(mapper *m, const mval *v, int rank_lo, int rank_hi)
{
    if (v->kind != V_ACT)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "input '%s' is not a layer's activations; %s", v->name,
                        SUPPORTED);
    const mlayer *l = v->layer >= 0 ? &m->layers[v->layer] : NULL;
    if (l && l->kind == L_RNN && v->sub != l->layers - 1)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "reads a lower layer of stacked recurrent layers");
    if (l && l->kind == L_RNN && l->last && v->rank != 2)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "reads the steps of recurrent layer '%s', whose final state "
                        "is read too (seqnn's layer outputs one or the other)", l->name);
    if (v->rank < rank_lo || v->rank > rank_hi || (v->ax[v->rank - 1] != AX_F))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "input '%s' is not [.., features] of rank %d..%d", v->name,
                        rank_lo, rank_hi);
    m->next_src = v->layer;
    return SEQNN_OK;
}

/* Where(mask, c, v): v (NULL after an error), *neg_inf 1 when c is the
 * constant -inf (the mask's entries out of a max or softmax). */
const mval *om_where_neg_inf(mapper *m, int *neg_inf)
{
    const mval *c = om_in_val(m, 1, 1), *v = c ? om_in_val(m, 2, 1) : NULL;
    float f = 0;
    *neg_inf = v && c->kind == V_CONST && om_tensor_floats_one(c->t, &f) && isinf(f) && f < 0;
    return v;
}

/* Lengths input k given to a layer of data input stream: 1 when they are
 * that input's (the first use binds them), else 0. */
int om_bind_lengths(mapper *m, int k, int stream)
{
    if (m->in_stream[k] < 0)
        m->in_stream[k] = stream;
    return m->in_stream[k] == stream;
}

/* The output of a new layer li reading v, features f. */
static seqnn_status act_out(mapper *m, const mval *v, int li, int64_t f)
{
    mval *o = om_out_val(m, 0, V_ACT);
    if (!o)
        return om_map_status;
    o->rank = v->rank;
    memcpy(o->ax, v->ax, sizeof o->ax);
    o->perm = v->perm;
    o->layer = li;
    o->f = f;
    return SEQNN_OK;
}

/* ------------------------------------------------------------- glue ops --- */
/* Shape arithmetic, zeros and pass-through of activations (Transpose,
 * Reshape, Squeeze, Unsqueeze, Slice, Concat, Gather on shapes). 1 when op
 * was glue (handled or failed: *st says), 0 when it is not. */
int64_t om_axis_arg(mapper *m, const char *name, int in_k, int64_t dflt)
{
    const Onnx__AttributeProto *a = om_attr(m->node, name);
    if (a && a->n_ints)
        return a->ints[0];
    if (a && a->has_i)
        return a->i;
    const mval *v = in_k < (int)m->node->n_input && m->node->input[in_k][0] ? om_val_find(m, m->node->input[in_k])
                                                                              : NULL;
    int64_t x;
    if (v && v->kind == V_CONST && om_tensor_count(v->t) == 1 && om_tensor_int(v->t, 0, &x))
        return x;
    return dflt;
}

static seqnn_status map_transpose(mapper *m, const mval *x)
{
    const Onnx__AttributeProto *p = om_attr(m->node, "perm");
    if (!p || (int)p->n_ints != x->rank)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a Transpose of activations needs perm of rank %d", x->rank);
    mval *o = om_out_val(m, 0, V_ACT);
    if (!o)
        return om_map_status;
    *o = (mval){.name = o->name, .kind = V_ACT, .layer = x->layer, .sub = x->sub, .rank = x->rank, .f = x->f,
                .perm = x->perm};
    for (int i = 0; i < x->rank; i++) {
        if (p->ints[i] < 0 || p->ints[i] >= x->rank)
            return om_node_err(m, SEQNN_ERR_FORMAT, "perm out of range");
        o->ax[i] = x->ax[p->ints[i]];
    }
    return SEQNN_OK;
}

/* Reshape [T, B, D, H] -> [T, B, D*H] (the exporter's join of a
 * bidirectional op's directions) or Squeeze of a direction axis of size 1. */
static seqnn_status map_join_dirs(mapper *m, const mval *x, int squeeze)
{
    const mlayer *l = x->layer >= 0 ? &m->layers[x->layer] : NULL;
    if (x->rank != 4 || !l || l->kind != L_RNN)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "only the joining of a recurrent op's directions is mapped");
    if (squeeze) {
        int64_t axis = om_axis_arg(m, "axes", 1, -99);
        if (axis < 0)
            axis += 4;
        if (axis < 0 || axis > 3 || x->ax[axis] != AX_D || l->dirs != 1)
            return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "only a Squeeze of a one-direction axis is mapped");
        mval *o = om_out_val(m, 0, V_ACT);
        if (!o)
            return om_map_status;
        *o = *x;
        o->name = m->node->output[0];
        o->rank = 3;
        for (int i = (int)axis; i < 3; i++)
            o->ax[i] = x->ax[i + 1];
        o->ax[2] = AX_F;
        return SEQNN_OK;
    }
    const mval *s = om_in_val(m, 1, 1);
    int64_t d2 = 0;
    if (!s || s->kind != V_CONST || om_tensor_count(s->t) != 3 || !om_tensor_int(s->t, 2, &d2) ||
        x->ax[2] != AX_D || x->ax[3] != AX_H || (d2 != -1 && d2 != l->dirs * l->hidden))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "only the Reshape [T, B, D, H] -> [T, B, D*H] of a recurrent "
                        "op's output is mapped");
    mval *o = om_out_val(m, 0, V_ACT);
    if (!o)
        return om_map_status;
    *o = *x;
    o->name = m->node->output[0];
    o->rank = 3;
    o->ax[2] = AX_F;
    o->f = (int64_t)l->dirs * l->hidden;
    return SEQNN_OK;
}

static seqnn_status states_as_last(mapper *m, const mval *const *parts, int n, int li, mval *o);

/* Gather on final states: h_n[k] of a recurrent layer's Y_h (or all layers'). */
static seqnn_status map_pick_state(mapper *m, const mval *x)
{
    const mval *ix = om_in_val(m, 1, 1);
    int64_t k;
    const mlayer *l = &m->layers[x->layer];
    int64_t n = (int64_t)(x->kind == V_HN ? x->sub + 1 : 1) * l->dirs;
    if (!ix || ix->kind != V_CONST || om_tensor_count(ix->t) != 1 || ix->t->n_dims != 0 || !om_tensor_int(ix->t, 0, &k) ||
        om_attr_i(m->node, "axis", 0) != 0 || k < -n || k >= n)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "only picking one final state (h_n[k]) is mapped");
    if (k < 0)
        k += n;
    mval *o = om_out_val(m, 0, V_HPART);
    if (!o)
        return om_map_status;
    o->layer = x->layer;
    o->perm = x->perm;
    o->sub = x->kind == V_HN ? (int)(k / l->dirs) : x->sub;
    o->dir = (int)(k % l->dirs);
    if (l->dirs == 1 && o->sub == l->layers - 1 && x->layer == m->n_layers - 1 && !l->last) {
        const mval *parts[1] = {o};   /* h_n[-1] of one direction: the final state, at once (a branch may follow) */
        return states_as_last(m, parts, 1, x->layer, o);
    }
    return SEQNN_OK;
}

/* Final states as the model's many-to-one output: the top sub-layer's
 * forward state (one direction), or forward then reverse concatenated. */
static seqnn_status states_as_last(mapper *m, const mval *const *parts, int n, int li, mval *o)
{
    mlayer *l = &m->layers[li];
    int ok = li == m->n_layers - 1 && n == l->dirs && !l->last;
    for (int i = 0; ok && i < n; i++)
        ok = parts[i]->kind == V_HPART && parts[i]->layer == li && parts[i]->sub == l->layers - 1 &&
             parts[i]->dir == i;
    if (!ok)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "final states are mapped when they are the top layer's, "
                        "forward then reverse, of the last layer (torch.cat((h_n[-2], h_n[-1]), 1) or h_n[-1])");
    l->last = 1;
    int perm = parts[0]->perm;
    if (!o && !(o = om_out_val(m, 0, V_ACT)))
        return om_map_status;
    o->perm = perm;
    o->kind = V_ACT;
    o->layer = li;
    o->sub = l->layers - 1;
    o->rank = 2;
    o->ax[0] = m->time_label == AX_S0 ? AX_S1 : AX_S0;
    o->ax[1] = AX_F;
    o->f = (int64_t)l->dirs * l->hidden;
    return SEQNN_OK;
}

/* Gather of the last step of a recurrent layer's output (y[-1], or
 * y[:, -1] batch-first): for one direction, the final state: `last=1`. */
static seqnn_status map_last_step(mapper *m, mval *x)
{
    const mval *ix = om_in_val(m, 1, 1);
    int64_t k, axis = om_attr_i(m->node, "axis", 0);
    const mlayer *l = x->layer >= 0 ? &m->layers[x->layer] : NULL;
    if (axis < 0)
        axis += x->rank;
    if (!ix || ix->kind != V_CONST || ix->t->n_dims != 0 || !om_tensor_int(ix->t, 0, &k) || k != -1 ||
        x->rank != 3 || axis < 0 || axis > 1 || x->ax[axis] != m->time_label || !l || l->kind != L_RNN ||
        l->dirs != 1 || l->reverse)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a Gather of activations is mapped only as the last step "
                        "(y[-1]) of a one-direction forward recurrent layer; for two directions use "
                        "torch.cat((h_n[-2], h_n[-1]), 1)");
    mval h = *x;
    h.kind = V_HPART;
    h.dir = 0;
    const mval *parts[1] = {&h};
    return states_as_last(m, parts, 1, x->layer, NULL);
}


/* Concat over the features, Add or Mul of layers' activations parts[0..n):
 * a merge layer (concat, add, multiply) reading them, vectors [B, n] or
 * sequences of one data input. */
static seqnn_status map_merge(mapper *m, const mval *const *parts, int n, const char *kind)
{
    int64_t f = 0;
    int concat = kind[0] == 'c';
    if (n > MAP_MAX_INPUTS)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a merge of more than %d layers", MAP_MAX_INPUTS);
    for (int i = 0; i < n; i++) {
        const mval *p = parts[i];
        seqnn_status st = om_need_tail(m, p, 2, 3);
        if (st)
            return st;
        int same = p->rank == parts[0]->rank && !memcmp(p->ax, parts[0]->ax, sizeof p->ax) && p->perm == parts[0]->perm &&
                   (concat || p->f == parts[0]->f) && (p->rank == 2 || om_val_stream(m, p) == om_val_stream(m, parts[0]));
        for (int j = 0; same && j < i; j++)
            same = parts[j]->layer != p->layer;
        if (!same)
            return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "the merge %s is mapped over the activations of distinct layers "
                            "of one shape (%s: vectors [B, n], or sequences of one input)", kind,
                            concat ? "the same but for the features" : "the same");
        f += p->f;
    }
    mlayer *l = om_layer_new(m, L_MERGE, kind);
    if (!l)
        return om_map_status;
    snprintf(l->merge, sizeof l->merge, "%s", kind);
    l->n_src = n;
    for (int i = 0; i < n; i++)
        l->src[i] = parts[i]->layer;
    return act_out(m, parts[0], m->n_layers - 1, concat ? f : parts[0]->f);
}

static seqnn_status map_concat(mapper *m)
{
    const Onnx__NodeProto *n = m->node;
    const mval *parts[8];
    int shape = 0, yh = 0, hp = 0, pooled = 0, act = 0;
    if (n->n_input == 0 || n->n_input > 8)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a Concat of %zu inputs", n->n_input);
    for (size_t i = 0; i < n->n_input; i++) {
        if (!(parts[i] = om_in_val(m, i, 1)))
            return om_map_status;
        shape += parts[i]->kind == V_SHAPE || parts[i]->kind == V_CONST;
        yh += parts[i]->kind == V_YH;
        hp += parts[i]->kind == V_HPART;
        pooled += parts[i]->kind == V_POOLED;
        act += parts[i]->kind == V_ACT;
    }
    if (shape == (int)n->n_input)
        return om_out_val(m, 0, V_SHAPE) ? SEQNN_OK : om_map_status;
    int64_t axis = om_attr_i(n, "axis", 0);
    if (yh == (int)n->n_input && axis == 0) {
        for (size_t i = 0; i < n->n_input; i++)
            if (parts[i]->layer != parts[0]->layer || parts[i]->sub != (int)i)
                return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a Concat of final states not of one stack in order");
        mval *o = om_out_val(m, 0, V_HN);
        if (!o)
            return om_map_status;
        o->layer = parts[0]->layer;
        o->perm = parts[0]->perm;
        o->sub = (int)n->n_input - 1;
        return SEQNN_OK;
    }
    if (hp == (int)n->n_input && (axis == 1 || axis == -1))
        return states_as_last(m, parts, (int)n->n_input, parts[0]->layer, NULL);
    if (pooled == (int)n->n_input && (axis == 1 || axis == -1))
        return om_conv_bank(m, parts, (int)n->n_input, NULL);
    if (act == (int)n->n_input && n->n_input > 1 && (axis == -1 || axis == parts[0]->rank - 1))
        return map_merge(m, parts, (int)n->n_input, "concat");
    return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a Concat is mapped over final states, shape arithmetic, a "
                    "convolution bank's branches, or the features of layers' activations (concat); %s", SUPPORTED);
}

static int is_shape_op(const char *op)
{
    static const char *const ops[] = {"Unsqueeze", "Squeeze", "Concat", "Slice", "Cast", "Mul", "Add", "Sub",
                                      "Div", "Gather", "Equal", "Where", "Range", "Reshape", "Expand", "ReduceProd",
                                      NULL};
    for (int i = 0; ops[i]; i++)
        if (!strcmp(op, ops[i]))
            return 1;
    return 0;
}

/* 1 when every input of the node is shape arithmetic or a constant. */
static int all_shape_inputs(mapper *m)
{
    for (size_t i = 0; i < m->node->n_input; i++) {
        const mval *v = m->node->input[i][0] ? om_val_find(m, m->node->input[i]) : NULL;
        if (m->node->input[i][0] && (!v || (v->kind != V_SHAPE && v->kind != V_CONST)))
            return 0;
    }
    return 1;
}

/* TopK(lengths, B) (pack_padded_sequence(enforce_sorted=False)): the
 * lengths sorted in decreasing order, and the batch order that sorts them. */
static seqnn_status map_sort_lengths(mapper *m, const mval *x)
{
    int64_t axis = om_attr_i(m->node, "axis", -1);
    if (om_attr_i(m->node, "largest", 1) != 1 || om_attr_i(m->node, "sorted", 1) != 1 || (axis != -1 && axis != 0))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a TopK of the lengths is mapped as their decreasing sort "
                        "(largest=1, sorted=1, over the batch)");
    mval *v = om_out_val(m, 0, V_SORTLEN), *p = v ? om_out_val(m, 1, V_PERM) : NULL;
    if (!v || !p)
        return om_map_status;
    v->in_k = p->in_k = x->in_k;
    return SEQNN_OK;
}

/* Range(0, n, 1): the identity permutation; other Ranges are shape arithmetic. */
static seqnn_status map_range(mapper *m)
{
    const mval *a = om_in_val(m, 0, 1), *d = a ? om_in_val(m, 2, 1) : NULL;
    int64_t a0, d0;
    int iota = d && a->kind == V_CONST && d->kind == V_CONST && om_tensor_count(a->t) == 1 &&
               om_tensor_count(d->t) == 1 && om_tensor_int(a->t, 0, &a0) && om_tensor_int(d->t, 0, &d0) && !a0 && d0 == 1;
    return om_out_val(m, 0, iota ? V_IOTA : V_SHAPE) ? SEQNN_OK : om_map_status;
}

/* ScatterElements(zeros, order, Range(0, B, 1), axis=0): the inverse of the
 * sort's batch order (what unsorts the batch after the recurrent ops). */
static seqnn_status map_unsort(mapper *m)
{
    const mval *p = om_in_val(m, 1, 1), *r = p ? om_in_val(m, 2, 1) : NULL;
    if (!r || p->kind != V_PERM || r->kind != V_IOTA || om_attr_i(m->node, "axis", 0) != 0)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a ScatterElements is mapped only as the inverse of the batch "
                        "order of sorted lengths (pack_padded_sequence(enforce_sorted=False))");
    return om_out_val(m, 0, V_UNPERM) ? SEQNN_OK : om_map_status;
}

/* Gather of activations or final states along the batch by the sort order
 * of the lengths (or its inverse): seqnn's layers treat every sequence of
 * a batch alike, so the order is tracked and must be undone at the output. */
static seqnn_status map_batch_order(mapper *m, const mval *x, const mval *ix)
{
    int64_t axis = om_attr_i(m->node, "axis", 0);
    int to = ix->kind == V_PERM, ok = x->perm != to;
    if (x->kind == V_YH || x->kind == V_HN) {
        ok &= axis == 1;
    } else if (x->kind == V_ACT && x->rank >= 2 && x->rank <= 3) {
        if (axis < 0)
            axis += x->rank;
        int label = axis >= 0 && axis < x->rank ? x->ax[axis] : AX_F;
        if (m->time_label < 0 && x->rank == 3 && label <= AX_S1)
            m->time_label = label == AX_S0 ? AX_S1 : AX_S0;
        ok &= label <= AX_S1 && label != m->time_label;
    } else {
        ok = 0;
    }
    if (!ok)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a Gather by the sort order of the lengths is mapped on the "
                        "batch axis of activations or final states, sorting them once and unsorting them once");
    seqnn_status st = om_copy_val(m, x);
    if (!st)
        m->vals[m->n_vals - 1].perm = to;
    return st;
}

/* Slice(h0, [a], [b], [0]): rows a..b of an initial-state input, the state
 * of one layer of stacked recurrent ops. */
static seqnn_status map_state_slice(mapper *m, const mval *x)
{
    const mval *v[4] = {NULL, NULL, NULL, NULL};
    int64_t a[4] = {0, 0, 0, 1};
    int ok = x->kind == V_STATEIN;
    for (int k = 0; ok && k < 4; k++) {
        v[k] = om_in_val(m, (size_t)k + 1, k < 2);
        if (!v[k] && k < 2)
            return om_map_status;
        ok = !v[k] || (v[k]->kind == V_CONST && om_tensor_count(v[k]->t) == 1 && om_tensor_int(v[k]->t, 0, &a[k]));
    }
    if (!ok || a[2] != 0 || a[3] != 1 || a[0] < 0 || a[1] <= a[0])
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a Slice of an initial-state input is mapped as rows of its "
                        "first axis (one layer's states), with constant bounds");
    mval *o = om_out_val(m, 0, V_STATE);
    if (!o)
        return om_map_status;
    o->in_k = x->in_k;
    o->r0 = a[0];
    o->r1 = a[1] >= ((int64_t)1 << 31) ? -1 : a[1];
    return SEQNN_OK;
}

/* Lengths, their sort, and initial-state inputs. 1 when op was theirs. */
static int map_sequence_glue(mapper *m, const mval *x, seqnn_status *st)
{
    const Onnx__NodeProto *n = m->node;
    const char *op = n->op_type;
    const mval *ix = !strcmp(op, "Gather") && n->n_input > 1 && n->input[1][0] ? om_val_find(m, n->input[1]) : NULL;
    if ((x->kind == V_LENGTHS || x->kind == V_SORTLEN || x->kind == V_PERM) && !strcmp(op, "Cast"))
        *st = om_copy_val(m, x);
    else if (x->kind == V_LENGTHS && !strcmp(op, "TopK"))
        *st = map_sort_lengths(m, x);
    else if (!strcmp(op, "Range") && all_shape_inputs(m))
        *st = map_range(m);
    else if (x->kind == V_ZEROS && !strcmp(op, "ScatterElements"))
        *st = map_unsort(m);
    else if (ix && (ix->kind == V_PERM || ix->kind == V_UNPERM))
        *st = map_batch_order(m, x, ix);
    else if ((x->kind == V_STATEIN || x->kind == V_STATE) && !strcmp(op, "Slice"))
        *st = map_state_slice(m, x);
    else if ((x->kind == V_LENGTHS && !strcmp(op, "Sub")) || x->kind == V_LENLIM)
        *st = om_map_window_limit(m, x);
    else if ((x->kind == V_IOTA && !strcmp(op, "Greater")) || (x->kind == V_WINMASK && strcmp(op, "Where")))
        *st = om_map_window_mask(m, x);
    else if (x->kind == V_WINMASK)
        *st = om_map_window_where(m, x);
    else
        return 0;
    return 1;
}

static int map_glue(mapper *m, seqnn_status *st)
{
    const Onnx__NodeProto *n = m->node;
    const char *op = n->op_type;
    *st = SEQNN_OK;
    if (!strcmp(op, "Constant")) {
        const Onnx__AttributeProto *a = om_attr(n, "value");
        mval *o = a && a->t ? om_out_val(m, 0, V_CONST) : NULL;
        if (!a || !a->t)
            *st = om_node_err(m, SEQNN_ERR_UNSUPPORTED, "only a Constant with a tensor value is mapped");
        else if (!o)
            *st = om_map_status;
        else
            o->t = a->t;
        return 1;
    }
    if (!strcmp(op, "Shape")) {
        *st = om_in_val(m, 0, 1) && om_out_val(m, 0, V_SHAPE) ? SEQNN_OK : om_map_status;
        return 1;
    }
    mval *x = n->n_input ? om_in_val(m, 0, 1) : NULL;
    if (n->n_input && !x) {
        *st = om_map_status;
        return 1;
    }
    if (!strcmp(op, "ConstantOfShape")) {
        const Onnx__AttributeProto *a = om_attr(n, "value");   /* other values: shape arithmetic */
        *st = om_out_val(m, 0, a && a->t && !om_tensor_all_zero(m, a->t) ? V_SHAPE : V_ZEROS) ? SEQNN_OK : om_map_status;
        return 1;
    }
    if (!x)
        return 0;
    if (!strcmp(op, "Identity") && (x->kind == V_CONST || x->kind == V_SHAPE || x->kind == V_ZEROS)) {
        *st = om_copy_val(m, x);   /* the exporter's copy of a shared constant */
        return 1;
    }
    if (x->kind == V_ZEROS && (!strcmp(op, "Slice") || !strcmp(op, "Expand") || !strcmp(op, "Unsqueeze") ||
                               !strcmp(op, "Squeeze") || !strcmp(op, "Reshape") || !strcmp(op, "Transpose"))) {
        *st = om_out_val(m, 0, V_ZEROS) ? SEQNN_OK : om_map_status;
        return 1;
    }
    if (x->kind == V_CONST && !strcmp(op, "Expand") && om_tensor_all_zero(m, x->t)) {
        *st = om_out_val(m, 0, V_ZEROS) ? SEQNN_OK : om_map_status;
        return 1;
    }
    if (om_map_learned_state(m, x, st) || map_sequence_glue(m, x, st))
        return 1;
    if (om_map_mask(m, x, st))   /* attention masks (onnx_map_attention.c) */
        return 1;
    if (x->kind == V_ACT && !strcmp(op, "Split")) {
        *st = om_mha_split(m, x);
        return 1;
    }
    if (x->kind == V_MHA || (x->kind == V_ACT && !strcmp(op, "Slice"))) {
        *st = x->kind == V_MHA && x->stage != MS_PROJ ? om_map_mha(m, x) : om_mha_begin(m, x);
        return 1;
    }
    if (!strcmp(op, "Concat")) {
        *st = map_concat(m);
        return 1;
    }
    if (!strcmp(op, "Gather") && (x->kind == V_YH || x->kind == V_HN)) {
        *st = map_pick_state(m, x);
        return 1;
    }
    if (!strcmp(op, "Squeeze") && x->kind == V_YH && m->layers[x->layer].dirs == 1) {
        const mval *parts[1] = {x};
        mval h = *x;
        h.kind = V_HPART;
        h.dir = 0;
        parts[0] = &h;
        *st = states_as_last(m, parts, 1, x->layer, NULL);
        return 1;
    }
    if (all_shape_inputs(m) && is_shape_op(op)) {
        *st = om_out_val(m, 0, V_SHAPE) ? SEQNN_OK : om_map_status;
        return 1;
    }
    if (x->kind == V_ACT && !strcmp(op, "Transpose")) {
        *st = map_transpose(m, x);
        return 1;
    }
    if (x->kind == V_ACT && (!strcmp(op, "Reshape") || !strcmp(op, "Squeeze"))) {
        *st = map_join_dirs(m, x, !strcmp(op, "Squeeze"));
        return 1;
    }
    if (x->kind == V_ACT && (!strcmp(op, "Dropout") || !strcmp(op, "Identity"))) {
        mval *o = om_out_val(m, 0, V_ACT);
        if (!o)
            *st = om_map_status;
        else {
            const char *name = o->name;
            *o = *x;
            o->name = name;
            mval *mask = om_out_val(m, 1, V_UNUSABLE);
            (void)mask;
        }
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------- layer ops --- */
static seqnn_status map_embedding(mapper *m, const mval *w, const mval *ids)
{
    if (ids->kind != V_TOKENS || w->kind != V_CONST || w->t->n_dims != 2 || om_attr_i(m->node, "axis", 0) != 0 ||
        (m->in_size[ids->in_k] && m->in_size[ids->in_k] != w->t->dims[0]))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a Gather is mapped as nn.Embedding when it reads a [V, E] "
                        "weight at a token input (every embedding of one input of the same V)");
    m->next_src = -1 - ids->in_k;
    int64_t count;
    float *d = om_tensor_floats(m, w->t, &count);
    mlayer *l = d ? om_layer_new(m, L_EMB, "embedding") : NULL;
    if (!l) {
        free(d);
        return om_map_status;
    }
    l->a = w->t->dims[0];
    l->b = w->t->dims[1];
    m->in_size[ids->in_k] = l->a;
    seqnn_status st = om_param_add(m, l->name, "weight", d, count);
    if (st)
        return st;
    mval *o = om_out_val(m, 0, V_ACT);
    if (!o)
        return om_map_status;
    o->layer = m->n_layers - 1;
    o->rank = 3;
    o->ax[0] = AX_S0;
    o->ax[1] = AX_S1;
    o->ax[2] = AX_F;
    o->f = l->b;
    return SEQNN_OK;
}

/* A dense layer with weight [out, in] (transposed when trans = 0: [in, out]). */
static seqnn_status dense_layer(mapper *m, const mval *x, const mval *w, int trans, const mval *b)
{
    seqnn_status st = om_need_tail(m, x, 2, 3);
    if (st)
        return st;
    if (w->kind == V_ACT)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a MatMul of two layers' activations (attention other than "
                        "nn.MultiheadAttention's graph) is not mapped; %s", SUPPORTED);
    if (w->kind != V_CONST || w->t->n_dims != 2)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "the weight of a Linear must be a constant matrix");
    int64_t out = trans ? w->t->dims[0] : w->t->dims[1], in = trans ? w->t->dims[1] : w->t->dims[0];
    if (in != x->f)
        return om_node_err(m, SEQNN_ERR_FORMAT, "weight of %lld inputs on %lld features", (long long)in,
                        (long long)x->f);
    int64_t count, bc = 0;
    float *wd = om_tensor_floats(m, w->t, &count), *bd = NULL;
    if (!wd)
        return om_map_status;
    if (b && (b->kind != V_CONST || om_tensor_count(b->t) != out || !(bd = om_tensor_floats(m, b->t, &bc)))) {
        free(wd);
        return b->kind != V_CONST || om_tensor_count(b->t) != out
                   ? om_node_err(m, SEQNN_ERR_UNSUPPORTED, "the bias of a Linear must be a constant of %lld",
                              (long long)out)
                   : om_map_status;
    }
    float *wt = trans ? wd : malloc((size_t)count * sizeof *wt);
    if (!bd)
        bd = calloc((size_t)out, sizeof *bd);
    mlayer *l = wt && bd ? om_layer_new(m, L_DENSE, "fc") : NULL;
    if (!l) {
        if (wt != wd)
            free(wt);
        free(wd);
        free(bd);
        return l ? om_map_fail(SEQNN_ERR_NO_MEMORY, "out of memory") : om_map_status;
    }
    if (!trans) {
        for (int64_t i = 0; i < in; i++)
            for (int64_t o = 0; o < out; o++)
                wt[o * in + i] = wd[i * out + o];
        free(wd);
    }
    l->a = in;
    l->b = out;
    if ((st = om_param_add(m, l->name, "weight", wt, count)))
        return st;
    l->bias_param = b ? -1 : m->out->n_params;
    if ((st = om_param_add(m, l->name, "bias", bd, out)))
        return st;
    if (b)
        l->bias_param = -2;   /* given: Add may not add another */
    return act_out(m, x, m->n_layers - 1, out);
}

static seqnn_status map_gemm(mapper *m, const mval *x)
{
    const Onnx__NodeProto *n = m->node;
    const mval *w = om_in_val(m, 1, 1), *b = om_in_val(m, 2, 0);
    if (!w)
        return om_map_status;
    if (om_attr_f(n, "alpha", 1) != 1 || om_attr_f(n, "beta", 1) != 1 || om_attr_i(n, "transA", 0) != 0)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a Gemm with alpha, beta != 1 or transA");
    if (x->rank != 2)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a Gemm on activations of rank %d", x->rank);
    return dense_layer(m, x, w, om_attr_i(n, "transB", 0) != 0, b);
}

/* Add of a constant to the output of a MatMul: the Linear's bias. */
static seqnn_status map_bias(mapper *m, const mval *x, const mval *c)
{
    mlayer *l = x->layer >= 0 ? &m->layers[x->layer] : NULL;
    if (!l || l->kind != L_DENSE || l->bias_param < 0 || x->layer != m->n_layers - 1 || c->kind != V_CONST ||
        om_tensor_count(c->t) != l->b)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "an Add is mapped as the bias of the MatMul before it");
    int64_t count;
    float *d = om_tensor_floats(m, c->t, &count);
    if (!d)
        return om_map_status;
    memcpy(m->out->params[l->bias_param].data, d, (size_t)count * sizeof *d);
    free(d);
    l->bias_param = -2;
    return act_out(m, x, x->layer, x->f);
}


static seqnn_status map_activation(mapper *m, const mval *x, const char *act, double alpha)
{
    if (x->kind == V_CONV)
        return om_map_conv_act(m, x, act);
    seqnn_status st = om_need_tail(m, x, 2, 3);
    if (st)
        return st;
    mlayer *l = om_layer_new(m, L_ACT, "act");
    if (!l)
        return om_map_status;
    snprintf(l->act, sizeof l->act, "%s", act);
    l->alpha = alpha;
    return act_out(m, x, m->n_layers - 1, x->f);
}

/* Mul(x, Sigmoid(x)) (SiLU, as seqnn export writes swish): the sigmoid
 * layer just made of x becomes a swish. */
static seqnn_status map_swish(mapper *m, const mval *x, const mval *y)
{
    const mval *sg = y->kind == V_ACT && y->layer >= 0 && m->layers[y->layer].kind == L_ACT ? y : x;
    const mval *a = sg == y ? x : y;
    mlayer *l = sg->layer >= 0 ? &m->layers[sg->layer] : NULL;
    if (!l || l->kind != L_ACT || strcmp(l->act, "sigmoid") || sg->layer != m->n_layers - 1 || a->kind != V_ACT ||
        a->layer != sg->layer - 1 || strcmp(m->g->node[l->node_i]->input[0], a->name))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a Mul of activations is mapped as x * Sigmoid(x) (swish)");
    snprintf(l->act, sizeof l->act, "swish");
    return om_copy_val(m, sg);
}

/* --------------------------------------------------------------- nodes --- */
static seqnn_status map_softmax(mapper *m, const mval *x, seqnn_onnx_output fn)
{
    int64_t axis = om_attr_i(m->node, "axis", -1);
    if (x->kind != V_ACT || (axis != -1 && axis != x->rank - 1) || x->ax[x->rank - 1] != AX_F)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a Softmax / LogSoftmax over the features at the output only");
    mval *o = om_out_val(m, 0, V_FINAL);
    if (!o)
        return om_map_status;
    const char *name = o->name;
    *o = *x;
    o->name = name;
    o->kind = V_FINAL;
    o->fn = fn;
    return SEQNN_OK;
}

static seqnn_status data_input(mapper *m, int k, int tokens);

static seqnn_status map_node(mapper *m)
{
    const Onnx__NodeProto *n = m->node;
    const char *op = n->op_type ? n->op_type : "";
    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx"))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "domain '%s' (only the default domain)", n->domain);
    seqnn_status st;
    int rec = !strcmp(op, "LSTM") || !strcmp(op, "GRU") || !strcmp(op, "RNN");
    size_t reads = !strcmp(op, "Slice") || !strcmp(op, "Shape") ? 0 : rec && n->n_input > 5 ? 5 : n->n_input;
    for (size_t k = 0; k < reads; k++) {   /* a recurrent op's inputs 5, 6 are its initial states */
        const mval *v = n->input[k][0] ? om_val_find(m, n->input[k]) : NULL;
        if (v && v->kind == V_STATEIN && m->in_role[v->in_k] == IN_UNREAD && (st = data_input(m, v->in_k, 0)))
            return st;   /* read other than as an initial state: features */
    }
    mval *x0 = n->n_input && n->input[0][0] ? om_val_find(m, n->input[0]) : NULL;
    if (x0 && x0->kind == V_ENCATT)
        return om_map_encatt(m, x0);
    if (x0 && om_encatt_split(m, x0))
        return om_map_encatt_split(m, x0);
    if (map_glue(m, &st))
        return st;
    mval *x = n->n_input ? om_in_val(m, 0, 1) : NULL;
    if (!x)
        return n->n_input ? om_map_status
                          : om_node_err(m, SEQNN_ERR_UNSUPPORTED, "op without inputs; %s", SUPPORTED);
    if (x->kind == V_HPART) {   /* h_n[-1] of one direction read by a layer: many-to-one */
        const mval *parts[1] = {x};
        seqnn_status s2 = states_as_last(m, parts, 1, x->layer, x);
        if (s2)
            return s2;
    }
    if (x->kind == V_POOLED && !strcmp(op, "Squeeze"))
        return om_map_pool_squeeze(m, x);
    if (x->kind == V_POOLED) {   /* one pooled convolution read by a layer: a bank of one width */
        const mval *parts[1] = {x};
        seqnn_status s2 = om_conv_bank(m, parts, 1, x);
        if (s2)
            return s2;
    }
    if (!strcmp(op, "Conv"))
        return om_map_conv(m, x);
    if (!strcmp(op, "ReduceMax") || !strcmp(op, "MaxPool"))
        return om_map_max_over_time(m, x, op[0] == 'M');
    if (!strcmp(op, "Gather") && x->kind == V_ACT)
        return map_last_step(m, x);
    if (!strcmp(op, "Gather")) {
        const mval *ix = om_in_val(m, 1, 1);
        return ix ? map_embedding(m, x, ix) : om_map_status;
    }
    if (!strcmp(op, "LSTM") || !strcmp(op, "GRU") || !strcmp(op, "RNN"))
        return om_map_recurrent(m, x, op[0] == 'L' ? 0 : op[0] == 'G' ? 1 : 2);
    if (!strcmp(op, "Gemm"))
        return map_gemm(m, x);
    if (!strcmp(op, "MatMul")) {
        const mval *w = om_in_val(m, 1, 1);
        if (w && om_attn_projection(m, x, w, &st))   /* q, k or v of attention (onnx_map_attention.c) */
            return st;
        return w ? dense_layer(m, x, w, 0, NULL) : om_map_status;
    }
    if (!strcmp(op, "Add") || !strcmp(op, "Mul")) {
        const mval *y = om_in_val(m, 1, 1);
        if (!y)
            return om_map_status;
        if (x->kind == V_ACT && y->kind == V_ACT) {
            const mval *parts[2] = {x, y};
            return map_merge(m, parts, 2, op[0] == 'A' ? "add" : "multiply");
        }
        if (op[0] == 'M')
            return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a Mul is mapped as the product of two layers' activations "
                            "(multiply); %s", SUPPORTED);
        return x->kind == V_ACT ? map_bias(m, x, y) : map_bias(m, y, x);
    }
    if (!strcmp(op, "Mul") && x->kind == V_ACT) {
        const mval *y = om_in_val(m, 1, 1);
        return y ? map_swish(m, x, y) : om_map_status;
    }
    if (!strcmp(op, "Relu") || !strcmp(op, "Tanh") || !strcmp(op, "Sigmoid"))
        return map_activation(m, x, op[0] == 'R' ? "relu" : op[0] == 'T' ? "tanh" : "sigmoid", 0);
    if (!strcmp(op, "LeakyRelu"))
        return map_activation(m, x, "leaky_relu", om_attr_f(n, "alpha", 0.01));
    if (!strcmp(op, "Clip")) {
        const mval *lo = om_in_val(m, 1, 0), *hi = om_in_val(m, 2, 0);
        float f1 = 0, f2 = 0;
        if (lo && lo->kind == V_CONST && om_tensor_count(lo->t) == 1 && om_tensor_floats_one(lo->t, &f1) &&
            hi && hi->kind == V_CONST && om_tensor_count(hi->t) == 1 && om_tensor_floats_one(hi->t, &f2) &&
            f1 == -1.0f && f2 == 1.0f)
            return map_activation(m, x, "hardtanh", 0);
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a Clip other than to [-1, 1] (nn.Hardtanh)");
    }
    if (!strcmp(op, "Softmax"))
        return map_softmax(m, x, SEQNN_ONNX_OUTPUT_SOFTMAX);
    if (!strcmp(op, "LogSoftmax"))
        return map_softmax(m, x, SEQNN_ONNX_OUTPUT_LOG_SOFTMAX);
    return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "op not mapped onto a seqnn layer here; %s", SUPPORTED);
}

/* ---------------------------------------------------------- the graph --- */
static int is_initializer(const Onnx__GraphProto *g, const char *name)
{
    for (size_t i = 0; i < g->n_initializer; i++)
        if (g->initializer[i]->name && !strcmp(g->initializer[i]->name, name))
            return 1;
    return 0;
}

/* The type of a graph input: its tensor type with a shape, or NULL. */
static const Onnx__TypeProto__Tensor *input_type(const Onnx__ValueInfoProto *in)
{
    const Onnx__TypeProto *tp = in->type;
    const Onnx__TypeProto__Tensor *tt =
        tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ? tp->tensor_type : NULL;
    return tt && tt->shape ? tt : NULL;
}

/* A data input k of the graph: token ids [S0, S1] or features [S0, S1, F]
 * (F fixed: in_size, set from the graph's type). */
static seqnn_status data_input(mapper *m, int k, int tokens)
{
    mval *v = om_val_find(m, m->in_name[k]);
    if (!v && !(v = val_add(m, m->in_name[k], V_ACT)))
        return om_map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
    if (!tokens && m->in_size[k] < 1)
        return om_map_fail(SEQNN_ERR_UNSUPPORTED, "%s: input '%s' is neither token ids [T, B] (int64) nor features "
                           "[T, B, F] (float, F fixed)", m->src, m->in_name[k]);
    *v = (mval){.name = v->name, .kind = tokens ? V_TOKENS : V_ACT, .layer = -1 - k, .in_k = k, .rank = tokens ? 2 : 3,
                .ax = {AX_S0, AX_S1, AX_F}, .f = tokens ? 0 : m->in_size[k]};
    m->in_role[k] = IN_DATA;
    m->in_tokens[k] = tokens;
    if (tokens)
        m->in_size[k] = 0;   /* the vocabulary: from its embedding */
    m->n_data++;
    return SEQNN_OK;
}

/* Input k of the graph: the first a data input; after it token ids [T, B]
 * (a data input), sequence lengths [B] (integers), or float [., ., F]: an
 * initial state [layers*dirs, B, H] or, when a layer reads it as its data,
 * features [T, B, F] (as the nodes that read it will say). */
static seqnn_status map_one_input(mapper *m, const Onnx__ValueInfoProto *in)
{
    const Onnx__TypeProto__Tensor *tt = input_type(in);
    int et = tt ? tt->elem_type : 0, k = m->n_in;
    size_t rank = tt ? tt->shape->n_dim : 0;
    int ints = et == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 || et == ONNX__TENSOR_PROTO__DATA_TYPE__INT32;
    int floats = et == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    if (k == MAP_MAX_INPUTS || !tt || !((ints && (rank == 1 || rank == 2)) || (floats && rank == 3)) ||
        (!k && ints && rank == 1))
        return om_map_fail(SEQNN_ERR_UNSUPPORTED, "%s: input '%s': seqnn maps token ids [T, B] (int64), features "
                           "[T, B, F] (float, F fixed), and after the first input sequence lengths [B] (integers) and "
                           "initial states [layers*dirs, B, H] (float) of recurrent ops", m->src, in->name);
    const Onnx__TensorShapeProto__Dimension *d0 = tt->shape->dim[0], *dl = tt->shape->dim[rank - 1];
    m->in_name[k] = in->name;
    m->in_role[k] = IN_UNREAD;
    m->in_stream[k] = -1;
    m->in_rows[k] = floats && d0->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ? d0->dim_value
                                                                                                     : -1;
    m->in_size[k] = floats && dl->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
                    dl->dim_value >= 1 && dl->dim_value <= (1 << 24) ? dl->dim_value : -1;
    m->n_in++;
    if (!k || (ints && rank == 2))
        return data_input(m, k, ints);
    mval *v = val_add(m, in->name, ints ? V_LENGTHS : V_STATEIN);
    if (!v)
        return om_map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
    v->in_k = k;
    return SEQNN_OK;
}

/* The graph's inputs (map_one_input). */
static seqnn_status map_input(mapper *m)
{
    const Onnx__GraphProto *g = m->g;
    for (size_t i = 0; i < g->n_input; i++) {
        if (!g->input[i]->name || is_initializer(g, g->input[i]->name))
            continue;
        seqnn_status st = map_one_input(m, g->input[i]);
        if (st)
            return st;
    }
    if (!m->n_in)
        return om_map_fail(SEQNN_ERR_UNSUPPORTED, "%s: no input tensor of known rank", m->src);
    const Onnx__TypeProto__Tensor *tt = NULL;
    for (size_t i = 0; i < g->n_input && !tt; i++)
        if (g->input[i]->name && !strcmp(g->input[i]->name, m->in_name[0]))
            tt = input_type(g->input[i]);
    for (int k = 0; k < 2; k++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[k];
        m->in_fixed[k] = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ? d->dim_value : -1;
    }
    return SEQNN_OK;
}

/* Every input read for what it is; the one layer with initial states as
 * inputs (its name and the inputs' positions into the result). */
static seqnn_status map_roles(mapper *m)
{
    onnx_mapped *o = m->out;
    o->lengths_input = o->h0_input = o->c0_input = -1;
    for (int k = 0; k < m->n_in; k++) {
        int read = 0;
        for (int i = 0; i < m->n_layers; i++)
            for (int j = 0; j < m->layers[i].n_src; j++)
                read |= m->layers[i].src[j] == -1 - k;
        if (m->in_role[k] == IN_DATA && !read)
            return om_map_fail(SEQNN_ERR_UNSUPPORTED, "%s: input '%s' is read by no layer", m->src, m->in_name[k]);
    }
    for (int k = 1; k < m->n_in; k++) {
        const mval *v = om_val_find(m, m->in_name[k]);
        if (m->in_role[k] == IN_UNREAD && v && v->kind == V_LENGTHS)
            m->in_role[k] = IN_LENGTHS;   /* lengths nothing reads: right when no layer needs them (below) */
        if (m->in_role[k] == IN_UNREAD)
            return om_map_fail(SEQNN_ERR_UNSUPPORTED, "%s: input '%s' is read neither as the sequence_lens nor as "
                            "the initial state of a recurrent op", m->src, m->in_name[k]);
        if (m->in_role[k] == IN_LENGTHS && (o->lengths_input < 0 || m->in_stream[k] == 0))
            o->lengths_input = k;   /* the first data input's */
    }
    for (int i = 0; o->lengths_input >= 0 && i < m->n_layers; i++) {   /* seqnn applies lengths to them all */
        const mlayer *l = &m->layers[i];
        m->node_i = l->node_i;   /* the errors name the layer's first node */
        m->node = m->g->node[l->node_i];
        if ((l->kind == L_RNN && l->lens_ops != l->layers) ||
            ((l->kind == L_CONV || l->kind == L_ENCATT || l->kind == L_ATTN) && !l->lens_ops))
            return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "the graph has sequence lengths, which seqnn applies to "
                            "every recurrent, convolution and attention layer, but %s '%s' %s",
                            l->kind == L_RNN ? "recurrent layer" : l->kind == L_CONV ? "convolution bank" : "attention",
                            l->name, l->kind == L_RNN ? "does not take them everywhere" : "reads the padding too");
    }
    for (int i = 0; i < m->n_layers; i++) {
        const mlayer *l = &m->layers[i];
        if (l->kind != L_RNN || (l->h_in < 0 && l->c_in < 0))
            continue;
        for (int j = 0; j < 2; j++) {
            int in = j ? l->c_in : l->h_in;
            m->node_i = l->node_i;
            m->node = m->g->node[l->node_i];
            if (in >= 0 && m->in_rows[in] >= 0 && m->in_rows[in] != (int64_t)l->layers * l->dirs)
                return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "initial-state input '%s' has %lld rows, layer '%s' "
                                "%d", m->in_name[in], (long long)m->in_rows[in], l->name, l->layers * l->dirs);
        }
        o->h0_input = l->h_in;
        o->c0_input = l->c_in;
        snprintf(o->state_layer, sizeof o->state_layer, "%s", l->name);
    }
    return SEQNN_OK;
}

static seqnn_status map_output(mapper *m)
{
    const Onnx__GraphProto *g = m->g;
    m->node = NULL;
    if (g->n_output != 1 || !g->output[0]->name)
        return om_map_fail(SEQNN_ERR_UNSUPPORTED, "%s: %zu outputs (seqnn maps graphs of one output)",
                               m->src, g->n_output);
    const mval *v = om_val_find(m, g->output[0]->name);
    const mlayer *l = v && v->layer >= 0 ? &m->layers[v->layer] : NULL;
    if (v && v->perm)
        return om_map_fail(SEQNN_ERR_UNSUPPORTED, "%s: the output '%s' is in the batch order of the sorted lengths "
                        "(unsort it as pad_packed_sequence does)", m->src, g->output[0]->name);
    if (!v || (v->kind != V_ACT && v->kind != V_FINAL) || !l || v->layer != m->n_layers - 1 ||
        (l->kind == L_RNN && v->sub != l->layers - 1) || v->ax[v->rank - 1] != AX_F || v->rank < 2 || v->rank > 3)
        return om_map_fail(SEQNN_ERR_UNSUPPORTED, "%s: the output '%s' is not the last layer's "
                               "[T, B, n] or [B, n] activations", m->src, g->output[0]->name);
    int time = m->time_label < 0 ? AX_S0 : m->time_label;
    m->out->batch_first = m->time_label == AX_S1;
    m->out->output_batch_first = v->rank == 3 && v->ax[0] != time;
    m->out->output = v->kind == V_FINAL ? v->fn : SEQNN_ONNX_OUTPUT_RAW;
    return SEQNN_OK;
}

/* printf onto the growing text *s (length *len, capacity *cap): 0, or -1. */
static int text_add(char **s, size_t *len, size_t *cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int text_add(char **s, size_t *len, size_t *cap, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(*s ? *s + *len : NULL, *s ? *cap - *len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return -1;
        if (*s && *len + (size_t)n < *cap) {
            *len += (size_t)n;
            return 0;
        }
        size_t c = (*cap + (size_t)n + 1) * 2;
        char *t = realloc(*s, c);
        if (!t)
            return -1;
        *s = t;
        *cap = c;
    }
}

/* The model file's name of data input k (several inputs): the graph's
 * when it is a name no layer or earlier input has, else input<k>. */
static void input_name(const mapper *m, int k, char names[][64])
{
    const char *g = m->in_name[k];
    int ok = g[0] && strlen(g) < 64 && strspn(g, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.") ==
                                             strlen(g);
    for (int i = 0; ok && i < m->n_layers; i++)
        ok = strcmp(m->layers[i].name, g) != 0;
    for (int j = 0; ok && j < k; j++)
        ok = m->in_role[j] != IN_DATA || strcmp(names[j], g) != 0;
    if (ok)
        snprintf(names[k], 64, "%s", g);
    else
        snprintf(names[k], 64, "input%d", k);
}

/* The input statements of the data inputs up to k not written yet (*done:
 * how many graph inputs are), in their order; *prev: the last statement. */
static int write_inputs(const mapper *m, int k, int *done, char names[][64], int *prev, char **s, size_t *len,
                        size_t *cap)
{
    int bad = 0;
    for (; *done <= k; ++*done) {
        int j = *done;
        if (m->in_role[j] != IN_DATA || j == m->dec_input)
            continue;
        input_name(m, j, names);
        bad |= text_add(s, len, cap, "input %s", m->in_tokens[j] ? "tokens" : "features");
        if (m->n_data > 1)
            bad |= text_add(s, len, cap, " name=%s", names[j]);
        bad |= text_add(s, len, cap, m->in_tokens[j] ? " vocab=%lld\n" : " dim=%lld\n", (long long)m->in_size[j]);
        *prev = -1 - j;
    }
    return bad;
}

/* " from=NAMES" before the end of layer l's statement when it reads other
 * than the statement above (prev). */
static int write_from(const mapper *m, const mlayer *l, int prev, char names[][64], char **s, size_t *len,
                      size_t *cap)
{
    if (l->n_src == 1 && l->src[0] == prev)
        return 0;
    int bad = 0;
    (*len)--;   /* the statement's newline */
    for (int k = 0; k < l->n_src; k++) {
        int src = l->src[k];
        bad |= text_add(s, len, cap, "%s%s", k ? "," : " from=", src >= 0 ? m->layers[src].name : names[-1 - src]);
    }
    return bad | text_add(s, len, cap, "\n");
}

/* An encoder-decoder attention makes the model an encoder-decoder: the
 * first input's layers a chain (the encoder, its last layer the attention's
 * keys), then the decoder's: a chain from a second token input. */
static seqnn_status map_encdec(mapper *m)
{
    int dec = -1, enc = -1, last0 = -1;
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].kind == L_ENCATT) {
            if (dec >= 0 && (m->layers[i].stream != dec || m->layers[i].enc != enc))
                break;
            dec = m->layers[i].stream;
            enc = m->layers[i].enc;
        }
    if (dec < 0)
        return SEQNN_OK;
    int ok = dec > 0 && m->in_tokens[dec] && m->n_data == 2;
    for (int i = 0, prev[2] = {-1, -1 - dec}; ok && i < m->n_layers; i++) {
        const mlayer *l = &m->layers[i];
        int s = l->stream == dec;
        ok = (l->stream == 0 || s) && l->n_src == 1 && l->src[0] == prev[s] && (!s || i > enc) &&
             (s || prev[1] == -1 - dec) && (l->kind != L_ENCATT || l->enc == enc);
        prev[s] = i;
        if (!s)
            last0 = i;
    }
    if (!ok || enc != last0) {
        m->node_i = m->layers[enc].node_i;
        m->node = m->g->node[m->node_i];
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "an encoder-decoder is mapped as a chain of layers on the first "
                           "input (the encoder; its last layer the attention's keys) followed by a chain on a second, "
                           "token, input (the decoder), every encoder attention over the encoder's output");
    }
    m->dec_input = dec;
    return SEQNN_OK;
}

/* What each graph input is, into the result (seqnn_onnx_info). */
static void input_roles(mapper *m)
{
    onnx_mapped *o = m->out;
    int data = 0;
    o->n_inputs = m->n_in;
    for (int k = 0; k < m->n_in; k++) {
        int role = m->in_role[k], s = m->in_stream[k] < 0 ? 0 : m->in_stream[k];
        o->input_index[k] = -1;
        if (role == IN_DATA && k == m->dec_input)
            o->input_role[k] = SEQNN_ONNX_INPUT_DECODER;
        else if (role == IN_DATA) {
            o->input_role[k] = SEQNN_ONNX_INPUT_DATA;
            o->input_index[k] = data++;
        } else if (role == IN_LENGTHS) {
            o->input_role[k] = s == m->dec_input ? SEQNN_ONNX_INPUT_DECODER_LENGTHS : SEQNN_ONNX_INPUT_LENGTHS;
            o->input_index[k] = s == m->dec_input ? -1 : s;
        } else
            o->input_role[k] = role == IN_H0 ? SEQNN_ONNX_INPUT_H0 : SEQNN_ONNX_INPUT_C0;
    }
}

static seqnn_status write_modelfile(mapper *m)
{
    static const char *const cells[3] = {"lstm", "gru", "rnn"};
    char *s = NULL, names[MAP_MAX_INPUTS][64];
    size_t len = 0, cap = 0;
    int done = 0, prev = -1;
    int bad = text_add(&s, &len, &cap, "# Imported from the ONNX model %s (%lld nodes).\nseqnn 1\n", m->src,
                       (long long)m->out->nodes);
    for (int i = 0; i < m->n_layers; i++) {
        const mlayer *l = &m->layers[i];
        for (int k = 0; k < l->n_src; k++)
            if (l->src[k] < 0)
                bad |= write_inputs(m, -1 - l->src[k], &done, names, &prev, &s, &len, &cap);
        if (l->stream == m->dec_input && prev > -1 - m->dec_input && (prev < 0 || m->layers[prev].stream != l->stream)) {
            bad |= text_add(&s, &len, &cap, "decoder vocab=%lld\n", (long long)m->in_size[m->dec_input]);
            prev = -1 - m->dec_input;
        }
        if (l->kind == L_MERGE)
            bad |= text_add(&s, &len, &cap, "%s name=%s\n", l->merge, l->name);
        else if (l->kind == L_ENCATT)
            bad |= text_add(&s, &len, &cap, "attention name=%s encoder=1 heads=%d score=%s%s%.0lld\n", l->name,
                            l->heads, (const char *const[]){"dot", "scaled_dot", "bilinear", "additive"}[l->score],
                            l->a ? " attn_dim=" : "", (long long)l->a);
        else if (l->kind == L_EMB)
            bad |= text_add(&s, &len, &cap, "embedding name=%s dim=%lld\n", l->name, (long long)l->b);
        else if (l->kind == L_DENSE)
            bad |= text_add(&s, &len, &cap, "dense name=%s out=%lld\n", l->name, (long long)l->b);
        else if (l->kind == L_ATTN) {
            char keys[96];
            bad |= om_attention_keys(l, keys, sizeof keys);
            bad |= text_add(&s, &len, &cap, "attention name=%s heads=%d%s\n", l->name, l->heads, keys);
        } else if (l->kind == L_CONV) {
            bad |= text_add(&s, &len, &cap, "conv1d_bank name=%s filters=%lld act=%s widths=", l->name,
                            (long long)l->b, l->act);
            for (int k = 0; k < l->n_widths; k++)
                bad |= text_add(&s, &len, &cap, "%s%lld", k ? "," : "", (long long)l->widths[k]);
            bad |= text_add(&s, &len, &cap, "\n");
        } else if (l->kind == L_ACT && !strcmp(l->act, "leaky_relu"))
            bad |= text_add(&s, &len, &cap, "activation leaky_relu alpha=%.9g\n", l->alpha);
        else if (l->kind == L_ACT)
            bad |= text_add(&s, &len, &cap, "activation %s\n", l->act);
        else
            bad |= text_add(&s, &len, &cap, "%s name=%s hidden=%d layers=%d bidirectional=%d last=%d%s%s%s%s%s%s\n",
                            cells[l->cell], l->name, l->hidden, l->layers, l->dirs == 2, l->last,
                            l->relu ? " act=relu" : "", l->classic ? " classic=1" : "",
                            l->peephole ? " peephole=1" : "", l->coupled ? " coupled=1" : "",
                            l->reverse ? " reverse=1" : "", l->learned ? " learned_state=1" : "");
        bad |= write_from(m, l, prev, names, &s, &len, &cap);
        prev = i;
    }
    bad |= text_add(&s, &len, &cap, "loss %s\n", m->loss);
    if (bad) {
        free(s);
        return om_map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
    }
    m->out->modelfile = s;
    return SEQNN_OK;
}

/* The loss a seqnn export names in its metadata (seqnn.loss: xent, mse or
 * bce), so that its import trains as the original did; xent without it. */
static seqnn_status map_loss(mapper *m, const Onnx__ModelProto *mp)
{
    static const char *const losses[] = {"xent", "mse", "bce"};
    m->loss = losses[0];
    for (size_t i = 0; i < mp->n_metadata_props; i++) {
        const Onnx__StringStringEntryProto *e = mp->metadata_props[i];
        if (!e->key || strcmp(e->key, "seqnn.loss"))
            continue;
        size_t k = 0;
        while (k < 3 && (!e->value || strcmp(e->value, losses[k])))
            k++;
        if (k == 3)
            return om_map_fail(SEQNN_ERR_FORMAT, "%s: metadata seqnn.loss is '%.32s' (xent, mse or bce)", m->src,
                            e->value ? e->value : "");
        m->loss = losses[k];
    }
    return SEQNN_OK;
}

seqnn_status onnx_map_model(const Onnx__ModelProto *mp, const char *src, onnx_mapped *out)
{
    memset(out, 0, sizeof *out);
    mapper m = {.g = mp->graph, .src = src, .out = out, .time_label = -1, .mha.layer = -1, .next_src = -1,
                .dec_input = -1};
    if (!m.g)
        return om_map_fail(SEQNN_ERR_FORMAT, "%s: no graph", src);
    out->nodes = (int64_t)m.g->n_node;
    seqnn_status st = map_loss(&m, mp);
    for (size_t i = 0; !st && i < m.g->n_initializer; i++) {
        const Onnx__TensorProto *t = m.g->initializer[i];
        mval *v = t->name ? val_add(&m, t->name, V_CONST) : NULL;
        if (!t->name)
            st = om_map_fail(SEQNN_ERR_FORMAT, "%s: an initializer without a name", src);
        else if (!v)
            st = om_map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
        else
            v->t = t;
    }
    if (!st)
        st = map_input(&m);
    for (size_t i = 0; !st && i < m.g->n_node; i++) {
        m.node_i = i;
        m.node = m.g->node[i];
        if (!m.node->op_type)
            st = om_node_err(&m, SEQNN_ERR_FORMAT, "no op type");
        else if (m.node->n_output > 64 || !val_reserve(&m, m.node->n_output + 1))
            st = om_node_err(&m, SEQNN_ERR_FORMAT, "%zu outputs", m.node->n_output);
        else
            st = map_node(&m);
    }
    for (int i = 0; !st && i < m.n_layers; i++)
        if (m.layers[i].kind == L_DENSE && m.layers[i].bias_param == -1)
            m.layers[i].bias_param = -2;   /* a MatMul without Add: no bias (zeros) */
    if (!st && m.n_conv) {   /* a Conv left without its max over time or the Concat of its bank */
        m.node_i = m.conv[0].node_i;
        m.node = m.g->node[m.node_i];
        st = om_node_err(&m, SEQNN_ERR_UNSUPPORTED, "the output is not activated, max-pooled over time (ReduceMax) "
                      "and concatenated with the bank's other Convs into a layer; %s", SUPPORTED);
    }
    if (!st && m.mha.layer >= 0 && !m.mha.done)
        st = om_map_fail(SEQNN_ERR_UNSUPPORTED, "%s: the attention '%s' does not reach its output as in %s", src,
                      m.layers[m.mha.layer].name, om_MHA_HOW);
    if (!st && m.xatt.active)
        st = om_map_fail(SEQNN_ERR_UNSUPPORTED, "%s: an encoder-decoder attention does not reach its output (Tanh "
                         "of the combine)", src);
    if (!st && !m.n_layers)
        st = om_map_fail(SEQNN_ERR_UNSUPPORTED, "%s: no layer found in the graph", src);
    if (!st)
        st = map_output(&m);
    if (!st)
        st = map_roles(&m);
    if (!st)
        st = map_encdec(&m);
    if (!st)
        input_roles(&m);
    if (!st)
        st = write_modelfile(&m);
    free(m.vals);
    if (st)
        onnx_mapped_free(out);
    return st;
}

#else
typedef int onnx_map_unused;   /* built without protobuf-c: nothing to map */
#endif

void onnx_mapped_free(onnx_mapped *m)
{
    for (int i = 0; i < m->n_params; i++)
        free(m->params[i].data);
    free(m->params);
    free(m->modelfile);
    memset(m, 0, sizeof *m);
}

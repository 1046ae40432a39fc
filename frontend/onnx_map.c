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
 * (Kim's convolution bank), nn.MultiheadAttention's self-attention graph
 * (PyTorch's, or the Split form seqnn export writes for scaled-dot
 * attention), activations, a final Softmax / LogSoftmax, and the Transpose /
 * Reshape / Squeeze / Unsqueeze / Slice / Shape glue around them. Anything
 * else is refused naming the node. Output: a model file (text; its loss from
 * the metadata seqnn.loss of a seqnn export, else xent) and the weights
 * under the names the model file's layers give them. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "onnx_int.h"

#ifdef SEQNN_HAVE_ONNX

#define MAP_MAX_LAYERS 64
#define MAP_MAX_COUNT ((int64_t)1 << 31)   /* elements in one tensor */

/* Axis labels of an activation: the input's two sequence axes (which is
 * time is learnt at the first recurrent op), features, and a recurrent
 * op's direction and hidden axes. */
enum { AX_S0 = 0, AX_S1, AX_F, AX_D, AX_H };

typedef enum {
    V_CONST,       /* an initializer or Constant: t */
    V_SHAPE,       /* integers computed from shapes at run time */
    V_ZEROS,       /* zeros of a run-time shape (initial states) */
    V_TOKENS,      /* the token input: axes (S0, S1) */
    V_ACT,         /* activations of layer `layer` (-1: the input), sub-layer sub */
    V_YH,          /* Y_h of recurrent layer `layer`, sub-layer sub: [D, B, H] */
    V_HN,          /* Y_h of sub-layers 0..sub of `layer` concatenated: [(sub+1)*D, B, H] */
    V_HPART,       /* one direction dir of Y_h of layer, sub: [B, H] */
    V_FINAL,       /* a Softmax / LogSoftmax of an activation: the graph's output only */
    V_LENGTHS,     /* the sequence lengths input [B] (or a Cast of it) */
    V_SORTLEN,     /* the lengths sorted in decreasing order (TopK values) */
    V_PERM,        /* the batch order of the sorted lengths (TopK indices) */
    V_IOTA,        /* Range(0, n, 1) */
    V_UNPERM,      /* the inverse of V_PERM (ScatterElements of V_IOTA at V_PERM) */
    V_STATEIN,     /* an initial-state input [layers*dirs, B, H]: graph input in_k */
    V_STATE,       /* rows [r0, r1) of initial-state input in_k */
    V_MHA,         /* a value inside nn.MultiheadAttention's graph: stage, part */
    V_CONV,        /* branch `sub` of a convolution bank: [B, filters, L] (its activation once set) */
    V_POOLED,      /* branch `sub` of a convolution bank after max over time: [B, filters] */
    V_UNUSABLE     /* Y_c, Dropout's mask: nothing may read it */
} vkind;

typedef struct mval {
    const char *name;
    vkind kind;
    const Onnx__TensorProto *t;
    int layer, sub, dir;
    int rank, ax[4];
    int64_t f;                           /* V_ACT: the feature (last axis) size */
    int perm;                            /* the batch is in the order of the sorted lengths (V_PERM) */
    int in_k;                            /* V_STATEIN, V_STATE: the graph input */
    int64_t r0, r1;                      /* V_STATE: its rows */
    int stage, part, scaled;             /* V_MHA: MS_*, 0 q / 1 k / 2 v, q scaled */
    seqnn_onnx_output fn;                /* V_FINAL */
} mval;

typedef enum { L_EMB, L_RNN, L_DENSE, L_ACT, L_CONV, L_ATTN } lkind;

/* The stages of nn.MultiheadAttention's exported graph (self-attention,
 * torch 1.13): the in-projection [T, B, 3E] sliced into q, k, v, each
 * reshaped to [T, B*h, d] and transposed (k to [B*h, d, T]), q scaled by
 * 1/sqrt(d), q k -> scores, Softmax -> weights, weights v -> context
 * [B*h, T, d], transposed back, reshaped to [T*B, E], the output Gemm,
 * reshaped to [T, B, E]. */
enum { MS_PROJ, MS_SLICE, MS_HEADS, MS_BT, MS_KT, MS_SCORES, MS_WEIGHTS, MS_CTX, MS_CTX_T, MS_FLAT, MS_OUT,
       MS_OUT_MM };
/* seqnn export's form of the same (scaled-dot self-attention) differs in:
 * one Split into q, k, v; the scores (not q) scaled by a Mul; the context
 * reshaped to [T, B, E] and projected by MatMul (MS_OUT_MM) + Add. */

#define MAP_MAX_WIDTHS 16
#define MAP_MAX_INPUTS 8

/* What each input of the graph is, once a node reads it. */
enum { IN_DATA = 0, IN_UNREAD, IN_LENGTHS, IN_H0, IN_C0 };

/* One nn.Conv1d of a bank (Kim's CNN) before its branches are joined:
 * weight [F, E, w], bias [F], the activation after it. */
typedef struct mconv {
    const Onnx__TensorProto *w, *b;
    const char *input;                   /* the value the branch reads */
    char name[64];                       /* the module path of its Conv node */
    int64_t filters, width;
    char act[16];
    int pooled;
    size_t node_i;                       /* its Conv node */
} mconv;

typedef struct mlayer {
    lkind kind;
    char name[64];
    int64_t a, b;                        /* EMB vocab, dim; DENSE in, out */
    int cell, hidden, layers, dirs, last, relu, classic;   /* RNN: cell 0 LSTM, 1 GRU, 2 RNN */
    int peephole, coupled;               /* RNN: the LSTM variant (ONNX's P, input_forget) */
    char act[16];                        /* ACT */
    double alpha;
    int bias_param;                      /* DENSE: its bias in params, -1 when Add may still give it */
    int h_in, c_in;                      /* RNN: the graph inputs of its initial h and c, -1: zeros */
    int lens_ops;                        /* RNN: its ops that take sequence_lens */
    int heads;                           /* ATTN (a = b = E) */
    size_t node_i;                       /* the node that made it */
    int n_widths;                        /* CONV: widths[], filters in b, act */
    int64_t widths[MAP_MAX_WIDTHS];
} mlayer;

typedef struct mapper {
    const Onnx__GraphProto *g;
    const char *src;
    onnx_mapped *out;
    mval *vals;
    size_t n_vals, cap_vals;
    mlayer layers[MAP_MAX_LAYERS];
    int n_layers;
    int n_in;                            /* the graph's inputs (initializers excluded) */
    const char *in_name[MAP_MAX_INPUTS];
    int in_role[MAP_MAX_INPUTS];         /* IN_* */
    int64_t in_rows[MAP_MAX_INPUTS];     /* a state input's first dimension, -1: not fixed */
    int64_t in_fixed[2];                 /* the data input's axes S0, S1 when fixed, else -1 */
    struct {                             /* the attention being read */
        int layer, n_slices, ax[3];      /* its layer, q/k/v slices so far, the axes of its input */
        int done;                        /* its output reached */
        const char *slice_end;           /* the end of the last slice */
        double factor;                   /* q's scale */
    } mha;
    mconv conv[MAP_MAX_WIDTHS];          /* the branches of the convolution bank being read */
    int n_conv;
    int time_label;                      /* AX_S0 or AX_S1 once a recurrent op saw time; -1 before */
    int tokens;                          /* the input is token ids */
    const char *loss;                    /* the model file's loss: seqnn.loss of the metadata, else xent */
    int64_t in_dim;                      /* features: the size; tokens: the vocabulary (from the embedding) */
    size_t node_i;                       /* the node being mapped */
    const Onnx__NodeProto *node;
} mapper;

static const char SUPPORTED[] =
    "supported: Gather (embedding), LSTM, GRU, RNN, Gemm, MatMul + Add, Conv + activation + ReduceMax "
    "or MaxPool + Squeeze (+ Concat: a convolution bank), nn.MultiheadAttention's graph, Relu, Tanh, "
    "Sigmoid, LeakyRelu, Clip(-1, 1), Dropout, Identity, a final Softmax / LogSoftmax, and Transpose / "
    "Reshape / Squeeze / Unsqueeze / Concat / Slice / Gather / Shape / ConstantOfShape / Expand glue";

/* The status of the last failure of this thread's mapping (for the
 * callers of functions that return a pointer). */
static _Thread_local seqnn_status map_status;

static seqnn_status map_fail(seqnn_status st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static seqnn_status map_fail(seqnn_status st, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    map_status = st;
    return seqnn_set_error(NULL, st, "%s", msg);
}

static seqnn_status node_err(mapper *m, seqnn_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static seqnn_status node_err(mapper *m, seqnn_status st, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const Onnx__NodeProto *n = m->node;
    return map_fail(st, "%s: node %zu '%s' (%s): %s", m->src, m->node_i,
                           n && n->name ? n->name : "", n && n->op_type ? n->op_type : "?", what);
}

/* ------------------------------------------------------------- tensors --- */
static int64_t tensor_count(const Onnx__TensorProto *t)
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
static float *tensor_floats(mapper *m, const Onnx__TensorProto *t, int64_t *count)
{
    int64_t n = tensor_count(t);
    if (n < 0) {
        node_err(m, SEQNN_ERR_FORMAT, "tensor '%s' has a negative or too large shape", t->name ? t->name : "");
        return NULL;
    }
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        node_err(m, SEQNN_ERR_UNSUPPORTED, "tensor '%s' keeps its data in an external file (export without "
                 "external data)", t->name ? t->name : "");
        return NULL;
    }
    if (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
        node_err(m, SEQNN_ERR_UNSUPPORTED, "tensor '%s' is not float32 (data type %d)", t->name ? t->name : "",
                 (int)t->data_type);
        return NULL;
    }
    int raw = t->has_raw_data;
    if ((raw && t->raw_data.len != (size_t)n * 4) || (!raw && t->n_float_data != (size_t)n)) {
        node_err(m, SEQNN_ERR_FORMAT, "tensor '%s' holds %zu values where its shape needs %lld",
                 t->name ? t->name : "", raw ? t->raw_data.len / 4 : t->n_float_data, (long long)n);
        return NULL;
    }
    float *d = malloc((size_t)(n ? n : 1) * sizeof *d);
    if (!d) {
        map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
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
static int tensor_int(const Onnx__TensorProto *t, int64_t i, int64_t *v)
{
    int64_t n = tensor_count(t);
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
static int tensor_floats_one(const Onnx__TensorProto *t, float *v)
{
    if (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || tensor_count(t) != 1)
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
static int tensor_all_zero(mapper *m, const Onnx__TensorProto *t)
{
    if (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
        int64_t v, n = tensor_count(t);
        for (int64_t i = 0; i < n; i++)
            if (!tensor_int(t, i, &v) || v)
                return 0;
        return n >= 0;
    }
    int64_t n;
    float *d = tensor_floats(m, t, &n);
    int zero = d != NULL;
    for (int64_t i = 0; d && i < n; i++)
        zero &= d[i] == 0.0f;
    free(d);
    return zero;
}

/* ------------------------------------------------------------- values --- */
static mval *val_find(mapper *m, const char *name)
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
static mval *in_val(mapper *m, size_t k, int required)
{
    const Onnx__NodeProto *n = m->node;
    if (k >= n->n_input || !n->input[k][0]) {
        if (required)
            node_err(m, SEQNN_ERR_FORMAT, "input %zu is missing", k);
        return NULL;
    }
    mval *v = val_find(m, n->input[k]);
    if (!v)
        node_err(m, SEQNN_ERR_FORMAT, "input '%s' is not produced before the node (the graph must be a DAG in "
                 "topological order)", n->input[k]);
    if (v && v->kind == V_CONST && tensor_count(v->t) < 0) {
        node_err(m, SEQNN_ERR_FORMAT, "tensor '%s' has a negative or too large shape", n->input[k]);
        return NULL;
    }
    return v;
}

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name))
            return n->attribute[i];
    return NULL;
}

static int64_t attr_i(const Onnx__NodeProto *n, const char *name, int64_t dflt)
{
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->has_i ? a->i : dflt;
}

static double attr_f(const Onnx__NodeProto *n, const char *name, double dflt)
{
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->has_f ? a->f : dflt;
}

/* The node's output k as a new value (NULL after an error). */
static mval *out_val(mapper *m, size_t k, vkind kind)
{
    if (k >= m->node->n_output || !m->node->output[k][0])
        return NULL;
    mval *v = val_add(m, m->node->output[k], kind);
    if (!v)
        map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
    return v;
}

/* The node's output k as a copy of x (under its own name), or NULL. */
static mval *out_copy(mapper *m, size_t k, const mval *x)
{
    mval *o = out_val(m, k, x->kind);
    if (!o)
        return NULL;
    const char *name = o->name;
    *o = *x;
    o->name = name;
    return o;
}

/* Output 0 of the node as a copy of x (a Cast of lengths, an Identity). */
static seqnn_status copy_val(mapper *m, const mval *x)
{
    return out_copy(m, 0, x) ? SEQNN_OK : map_status;
}

/* ------------------------------------------------------ layers, params --- */
static seqnn_status param_add(mapper *m, const char *layer, const char *suffix, float *data, int64_t count)
{
    onnx_mapped *o = m->out;
    if (o->n_params == o->cap_params) {
        int cap = o->cap_params ? 2 * o->cap_params : 16;
        onnx_param *p = realloc(o->params, (size_t)cap * sizeof *p);
        if (!p) {
            free(data);
            return map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
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
static void module_path(const char *n, char *out, size_t size)
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
        module_path(m->node->name ? m->node->name : "", out, size);
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
static mlayer *layer_new_at(mapper *m, lkind kind, const char *path, const char *dflt)
{
    if (m->n_layers == MAP_MAX_LAYERS) {
        node_err(m, SEQNN_ERR_UNSUPPORTED, "more than %d layers", MAP_MAX_LAYERS);
        return NULL;
    }
    mlayer *l = &m->layers[m->n_layers];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->bias_param = -1;
    l->h_in = l->c_in = -1;
    l->node_i = m->node_i;
    layer_name(m, path, dflt, l->name, sizeof l->name);
    m->n_layers++;
    return l;
}

static mlayer *layer_new(mapper *m, lkind kind, const char *dflt)
{
    return layer_new_at(m, kind, NULL, dflt);
}

/* v as a layer's input: activations of the last layer (or the input), the
 * top sub-layer of a recurrent one, features last. */
static seqnn_status need_tail(mapper *m, const mval *v, int rank_lo, int rank_hi)
{
    if (v->kind != V_ACT)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "input '%s' is not a layer's activations; %s", v->name,
                        SUPPORTED);
    if (v->layer != m->n_layers - 1)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "reads '%s', not the last layer's output: only chains of "
                        "layers are mapped (and, as attention, nn.MultiheadAttention's own graph)", v->name);
    const mlayer *l = v->layer >= 0 ? &m->layers[v->layer] : NULL;
    if (l && l->kind == L_RNN && v->sub != l->layers - 1)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "reads a lower layer of stacked recurrent layers");
    if (v->rank < rank_lo || v->rank > rank_hi || (v->ax[v->rank - 1] != AX_F))
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "input '%s' is not [.., features] of rank %d..%d", v->name,
                        rank_lo, rank_hi);
    return SEQNN_OK;
}

/* The output of a new layer li reading v, features f. */
static seqnn_status act_out(mapper *m, const mval *v, int li, int64_t f)
{
    mval *o = out_val(m, 0, V_ACT);
    if (!o)
        return map_status;
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
static int64_t axis_arg(mapper *m, const char *name, int in_k, int64_t dflt)
{
    const Onnx__AttributeProto *a = attr(m->node, name);
    if (a && a->n_ints)
        return a->ints[0];
    if (a && a->has_i)
        return a->i;
    const mval *v = in_k < (int)m->node->n_input && m->node->input[in_k][0] ? val_find(m, m->node->input[in_k])
                                                                              : NULL;
    int64_t x;
    if (v && v->kind == V_CONST && tensor_count(v->t) == 1 && tensor_int(v->t, 0, &x))
        return x;
    return dflt;
}

static seqnn_status map_transpose(mapper *m, const mval *x)
{
    const Onnx__AttributeProto *p = attr(m->node, "perm");
    if (!p || (int)p->n_ints != x->rank)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "a Transpose of activations needs perm of rank %d", x->rank);
    mval *o = out_val(m, 0, V_ACT);
    if (!o)
        return map_status;
    *o = (mval){.name = o->name, .kind = V_ACT, .layer = x->layer, .sub = x->sub, .rank = x->rank, .f = x->f,
                .perm = x->perm};
    for (int i = 0; i < x->rank; i++) {
        if (p->ints[i] < 0 || p->ints[i] >= x->rank)
            return node_err(m, SEQNN_ERR_FORMAT, "perm out of range");
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
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "only the joining of a recurrent op's directions is mapped");
    if (squeeze) {
        int64_t axis = axis_arg(m, "axes", 1, -99);
        if (axis < 0)
            axis += 4;
        if (axis < 0 || axis > 3 || x->ax[axis] != AX_D || l->dirs != 1)
            return node_err(m, SEQNN_ERR_UNSUPPORTED, "only a Squeeze of a one-direction axis is mapped");
        mval *o = out_val(m, 0, V_ACT);
        if (!o)
            return map_status;
        *o = *x;
        o->name = m->node->output[0];
        o->rank = 3;
        for (int i = (int)axis; i < 3; i++)
            o->ax[i] = x->ax[i + 1];
        o->ax[2] = AX_F;
        return SEQNN_OK;
    }
    const mval *s = in_val(m, 1, 1);
    int64_t d2 = 0;
    if (!s || s->kind != V_CONST || tensor_count(s->t) != 3 || !tensor_int(s->t, 2, &d2) ||
        x->ax[2] != AX_D || x->ax[3] != AX_H || (d2 != -1 && d2 != l->dirs * l->hidden))
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "only the Reshape [T, B, D, H] -> [T, B, D*H] of a recurrent "
                        "op's output is mapped");
    mval *o = out_val(m, 0, V_ACT);
    if (!o)
        return map_status;
    *o = *x;
    o->name = m->node->output[0];
    o->rank = 3;
    o->ax[2] = AX_F;
    o->f = (int64_t)l->dirs * l->hidden;
    return SEQNN_OK;
}

/* Gather on final states: h_n[k] of a recurrent layer's Y_h (or all layers'). */
static seqnn_status map_pick_state(mapper *m, const mval *x)
{
    const mval *ix = in_val(m, 1, 1);
    int64_t k;
    const mlayer *l = &m->layers[x->layer];
    int64_t n = (int64_t)(x->kind == V_HN ? x->sub + 1 : 1) * l->dirs;
    if (!ix || ix->kind != V_CONST || tensor_count(ix->t) != 1 || ix->t->n_dims != 0 || !tensor_int(ix->t, 0, &k) ||
        attr_i(m->node, "axis", 0) != 0 || k < -n || k >= n)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "only picking one final state (h_n[k]) is mapped");
    if (k < 0)
        k += n;
    mval *o = out_val(m, 0, V_HPART);
    if (!o)
        return map_status;
    o->layer = x->layer;
    o->perm = x->perm;
    o->sub = x->kind == V_HN ? (int)(k / l->dirs) : x->sub;
    o->dir = (int)(k % l->dirs);
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
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "final states are mapped when they are the top layer's, "
                        "forward then reverse, of the last layer (torch.cat((h_n[-2], h_n[-1]), 1) or h_n[-1])");
    l->last = 1;
    int perm = parts[0]->perm;
    if (!o && !(o = out_val(m, 0, V_ACT)))
        return map_status;
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
    const mval *ix = in_val(m, 1, 1);
    int64_t k, axis = attr_i(m->node, "axis", 0);
    const mlayer *l = x->layer >= 0 ? &m->layers[x->layer] : NULL;
    if (axis < 0)
        axis += x->rank;
    if (!ix || ix->kind != V_CONST || ix->t->n_dims != 0 || !tensor_int(ix->t, 0, &k) || k != -1 ||
        x->rank != 3 || axis < 0 || axis > 1 || x->ax[axis] != m->time_label || !l || l->kind != L_RNN ||
        l->dirs != 1)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "a Gather of activations is mapped only as the last step "
                        "(y[-1]) of a one-direction recurrent layer; for two directions use "
                        "torch.cat((h_n[-2], h_n[-1]), 1)");
    mval h = *x;
    h.kind = V_HPART;
    h.dir = 0;
    const mval *parts[1] = {&h};
    return states_as_last(m, parts, 1, x->layer, NULL);
}

static seqnn_status conv_bank(mapper *m, const mval *const *parts, int n, mval *o);

static seqnn_status map_concat(mapper *m)
{
    const Onnx__NodeProto *n = m->node;
    const mval *parts[8];
    int shape = 0, yh = 0, hp = 0, pooled = 0;
    if (n->n_input == 0 || n->n_input > 8)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "a Concat of %zu inputs", n->n_input);
    for (size_t i = 0; i < n->n_input; i++) {
        if (!(parts[i] = in_val(m, i, 1)))
            return map_status;
        shape += parts[i]->kind == V_SHAPE || parts[i]->kind == V_CONST;
        yh += parts[i]->kind == V_YH;
        hp += parts[i]->kind == V_HPART;
        pooled += parts[i]->kind == V_POOLED;
    }
    if (shape == (int)n->n_input)
        return out_val(m, 0, V_SHAPE) ? SEQNN_OK : map_status;
    int64_t axis = attr_i(n, "axis", 0);
    if (yh == (int)n->n_input && axis == 0) {
        for (size_t i = 0; i < n->n_input; i++)
            if (parts[i]->layer != parts[0]->layer || parts[i]->sub != (int)i)
                return node_err(m, SEQNN_ERR_UNSUPPORTED, "a Concat of final states not of one stack in order");
        mval *o = out_val(m, 0, V_HN);
        if (!o)
            return map_status;
        o->layer = parts[0]->layer;
        o->perm = parts[0]->perm;
        o->sub = (int)n->n_input - 1;
        return SEQNN_OK;
    }
    if (hp == (int)n->n_input && (axis == 1 || axis == -1))
        return states_as_last(m, parts, (int)n->n_input, parts[0]->layer, NULL);
    if (pooled == (int)n->n_input && (axis == 1 || axis == -1))
        return conv_bank(m, parts, (int)n->n_input, NULL);
    return node_err(m, SEQNN_ERR_UNSUPPORTED, "a Concat of activations (seqnn maps only final states and shape "
                    "arithmetic); %s", SUPPORTED);
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
        const mval *v = m->node->input[i][0] ? val_find(m, m->node->input[i]) : NULL;
        if (m->node->input[i][0] && (!v || (v->kind != V_SHAPE && v->kind != V_CONST)))
            return 0;
    }
    return 1;
}

/* TopK(lengths, B) (pack_padded_sequence(enforce_sorted=False)): the
 * lengths sorted in decreasing order, and the batch order that sorts them. */
static seqnn_status map_sort_lengths(mapper *m, const mval *x)
{
    int64_t axis = attr_i(m->node, "axis", -1);
    if (attr_i(m->node, "largest", 1) != 1 || attr_i(m->node, "sorted", 1) != 1 || (axis != -1 && axis != 0))
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "a TopK of the lengths is mapped as their decreasing sort "
                        "(largest=1, sorted=1, over the batch)");
    mval *v = out_val(m, 0, V_SORTLEN), *p = v ? out_val(m, 1, V_PERM) : NULL;
    if (!v || !p)
        return map_status;
    v->in_k = p->in_k = x->in_k;
    return SEQNN_OK;
}

/* Range(0, n, 1): the identity permutation; other Ranges are shape arithmetic. */
static seqnn_status map_range(mapper *m)
{
    const mval *a = in_val(m, 0, 1), *d = a ? in_val(m, 2, 1) : NULL;
    int64_t a0, d0;
    int iota = d && a->kind == V_CONST && d->kind == V_CONST && tensor_count(a->t) == 1 &&
               tensor_count(d->t) == 1 && tensor_int(a->t, 0, &a0) && tensor_int(d->t, 0, &d0) && !a0 && d0 == 1;
    return out_val(m, 0, iota ? V_IOTA : V_SHAPE) ? SEQNN_OK : map_status;
}

/* ScatterElements(zeros, order, Range(0, B, 1), axis=0): the inverse of the
 * sort's batch order (what unsorts the batch after the recurrent ops). */
static seqnn_status map_unsort(mapper *m)
{
    const mval *p = in_val(m, 1, 1), *r = p ? in_val(m, 2, 1) : NULL;
    if (!r || p->kind != V_PERM || r->kind != V_IOTA || attr_i(m->node, "axis", 0) != 0)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "a ScatterElements is mapped only as the inverse of the batch "
                        "order of sorted lengths (pack_padded_sequence(enforce_sorted=False))");
    return out_val(m, 0, V_UNPERM) ? SEQNN_OK : map_status;
}

/* Gather of activations or final states along the batch by the sort order
 * of the lengths (or its inverse): seqnn's layers treat every sequence of
 * a batch alike, so the order is tracked and must be undone at the output. */
static seqnn_status map_batch_order(mapper *m, const mval *x, const mval *ix)
{
    int64_t axis = attr_i(m->node, "axis", 0);
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
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "a Gather by the sort order of the lengths is mapped on the "
                        "batch axis of activations or final states, sorting them once and unsorting them once");
    seqnn_status st = copy_val(m, x);
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
        v[k] = in_val(m, (size_t)k + 1, k < 2);
        if (!v[k] && k < 2)
            return map_status;
        ok = !v[k] || (v[k]->kind == V_CONST && tensor_count(v[k]->t) == 1 && tensor_int(v[k]->t, 0, &a[k]));
    }
    if (!ok || a[2] != 0 || a[3] != 1 || a[0] < 0 || a[1] <= a[0])
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "a Slice of an initial-state input is mapped as rows of its "
                        "first axis (one layer's states), with constant bounds");
    mval *o = out_val(m, 0, V_STATE);
    if (!o)
        return map_status;
    o->in_k = x->in_k;
    o->r0 = a[0];
    o->r1 = a[1] >= ((int64_t)1 << 31) ? -1 : a[1];
    return SEQNN_OK;
}

/* ---------------------------------------------------------- attention --- */
static const char MHA_HOW[] = "nn.MultiheadAttention as mapped (self-attention without masks, as torch 1.13 "
                              "exports it: MatMul + Add of the in-projection, three Slices, Reshape, Transpose, "
                              "the scaling of q, MatMul, Softmax, MatMul, Transpose, Reshape, Gemm, Reshape; or "
                              "as seqnn exports scaled-dot attention: a Split, the scores scaled, MatMul + Add "
                              "of the output projection)";

/* The node's output 0 as stage `stage` of part `part` of the attention. */
static seqnn_status mha_out(mapper *m, const mval *x, int stage, int part)
{
    seqnn_status st = copy_val(m, x);
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
static seqnn_status mha_split(mapper *m, mval *x)
{
    const Onnx__NodeProto *n = m->node;
    mlayer *l = x->layer >= 0 ? &m->layers[x->layer] : NULL;
    const Onnx__AttributeProto *sa = attr(n, "split");
    int given = n->n_input > 1 && n->input[1][0];
    const mval *sp = given ? in_val(m, 1, 1) : NULL;
    if (given && !sp)
        return map_status;
    if (m->time_label < 0 && x->rank == 3)
        m->time_label = x->ax[0];
    int64_t a = attr_i(n, "axis", 0), E = l ? l->a : 0;
    int ok = l && x->layer == m->n_layers - 1 && l->kind == L_DENSE && l->b == 3 * E && x->rank == 3 &&
             x->ax[2] == AX_F && x->ax[0] == m->time_label && (a == -1 || a == 2) && n->n_output == 3 &&
             !m->mha.n_slices && (!sp || (sp->kind == V_CONST && tensor_count(sp->t) == 3)) &&
             (!sa || sa->n_ints == 3);
    for (int64_t j = 0, v = 0; ok && j < 3; j++)
        ok = (sp ? tensor_int(sp->t, j, &v) : (v = sa ? sa->ints[j] : E, 1)) && v == E;
    if (!ok)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "a Split of activations is mapped only into q, k, v (three equal "
                        "parts of the last axis) of the in-projection of %s", MHA_HOW + 0);
    mha_start(m, x, l);
    x->kind = V_MHA;   /* the in-projection: read by its Split only */
    x->stage = MS_PROJ;
    for (int j = 0; j < 3; j++) {
        mval *o = out_copy(m, (size_t)j, x);
        if (!o)
            return map_status;
        o->stage = MS_SLICE;
        o->part = j;
    }
    m->mha.n_slices = 3;
    return SEQNN_OK;
}

/* A Slice of a dense layer's [T, B, 3E] output: q, k or v (chunk(3, -1))
 * of nn.MultiheadAttention's in-projection, which the dense layer becomes. */
static seqnn_status mha_begin(mapper *m, mval *x)
{
    const Onnx__NodeProto *n = m->node;
    mlayer *l = x->layer >= 0 ? &m->layers[x->layer] : NULL;
    const mval *b = in_val(m, 1, 1), *e = b ? in_val(m, 2, 1) : NULL, *ax = e ? in_val(m, 3, 0) : NULL;
    const mval *step = e ? in_val(m, 4, 0) : NULL;
    int64_t a = 0, st0 = -1, one = 1;
    int j = m->mha.n_slices;
    if (!e)
        return map_status;
    if (m->time_label < 0 && x->rank == 3)
        m->time_label = x->ax[0];
    int ok = l && x->layer == m->n_layers - 1 && x->rank == 3 && x->ax[2] == AX_F && x->ax[0] == m->time_label &&
             ((x->kind == V_ACT && l->kind == L_DENSE && !j && l->b == 3 * l->a) ||
              (x->kind == V_MHA && l->kind == L_ATTN && x->layer == m->mha.layer)) &&
             j < 3 && ax && ax->kind == V_CONST && tensor_count(ax->t) == 1 && tensor_int(ax->t, 0, &a) &&
             (a == -1 || a == 2) && (!step || (step->kind == V_CONST && tensor_int(step->t, 0, &one) && one == 1));
    if (ok && j == 0)
        ok = b->kind == V_CONST && tensor_count(b->t) == 1 && tensor_int(b->t, 0, &st0) && st0 == 0;
    else if (ok)
        ok = !strcmp(n->input[1], m->mha.slice_end);
    if (!ok)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "a Slice of activations is mapped only as q, k, v of the "
                        "in-projection of %s", MHA_HOW + 0);
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
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "q is not scaled by 1/sqrt(d) for a head size d dividing %lld "
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
    const mval *w = in_val(m, 1, 1), *b = w ? in_val(m, 2, 0) : NULL;
    if (!w || !b || w->kind != V_CONST || b->kind != V_CONST || w->t->n_dims != 2 || w->t->dims[0] != l->a ||
        w->t->dims[1] != l->a || tensor_count(b->t) != l->a || attr_i(n, "transB", 0) != 1 ||
        attr_i(n, "transA", 0) != 0 || attr_f(n, "alpha", 1) != 1 || attr_f(n, "beta", 1) != 1)
        return w ? node_err(m, SEQNN_ERR_UNSUPPORTED, "the output projection must be a Gemm(transB=1) of "
                            "constants [%lld, %lld] and [%lld]", (long long)l->a, (long long)l->a, (long long)l->a)
                 : map_status;
    int64_t cw, cb;
    float *wd = tensor_floats(m, w->t, &cw), *bd = wd ? tensor_floats(m, b->t, &cb) : NULL;
    if (!bd) {
        free(wd);
        return map_status;
    }
    seqnn_status st = param_add(m, l->name, "out_proj.weight", wd, cw);
    if (st) {
        free(bd);
        return st;
    }
    if ((st = param_add(m, l->name, "out_proj.bias", bd, cb)))
        return st;
    return mha_out(m, x, MS_OUT, 3);
}

/* The attention's output [T, B, E]: the layer's activations. */
static seqnn_status mha_finish(mapper *m, const mval *x)
{
    mval *o = out_val(m, 0, V_ACT);
    if (!o)
        return map_status;
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
    if (!c || c->kind != V_CONST || (add ? tensor_count(c->t) != E : c->t->n_dims != 2 || c->t->dims[0] != E ||
                                                                       c->t->dims[1] != E))
        return c ? node_err(m, SEQNN_ERR_UNSUPPORTED, "the output projection must be a MatMul by a constant "
                            "[%lld, %lld] and an Add of a constant [%lld]", (long long)E, (long long)E, (long long)E)
                 : map_status;
    float *d = tensor_floats(m, c->t, &cnt), *w = d && !add ? malloc((size_t)cnt * sizeof *w) : NULL;
    if (!d || (!add && !w)) {
        free(d);
        return d ? map_fail(SEQNN_ERR_NO_MEMORY, "out of memory") : map_status;
    }
    for (int64_t i = 0; !add && i < E; i++)   /* Wᵀ back to [out, in] */
        for (int64_t j = 0; j < E; j++)
            w[j * E + i] = d[i * E + j];
    if (!add)
        free(d);
    seqnn_status st = param_add(m, m->layers[m->mha.layer].name, add ? "out_proj.bias" : "out_proj.weight",
                                add ? d : w, cnt);
    return st ? st : add ? mha_finish(m, x) : mha_out(m, x, MS_OUT_MM, 3);
}

/* One node inside the attention's graph, x its first input. */
static seqnn_status map_mha(mapper *m, const mval *x)
{
    const Onnx__NodeProto *n = m->node;
    const char *op = n->op_type;
    const Onnx__AttributeProto *pa = attr(n, "perm");
    int perm = pa && pa->n_ints == 3 ? (int)(pa->ints[0] * 100 + pa->ints[1] * 10 + pa->ints[2]) : -1;
    const mval *y = n->n_input > 1 && n->input[1][0] ? val_find(m, n->input[1]) : NULL;
    int s = x->stage, part = x->part;
    if (x->layer != m->mha.layer || (y && y->kind == V_MHA && y->layer != x->layer))
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "mixes two attentions, or reads one after its output; %s", MHA_HOW);
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
        y && y->kind == V_CONST && tensor_floats_one(y->t, &c) && c > 0) {
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
        tensor_floats_one(y->t, &c) && c > 0) {
        m->mha.factor = op[0] == 'D' ? 1.0 / c : c;
        return mha_scores(m, x, NULL);
    }
    if (!strcmp(op, "Softmax") && s == MS_SCORES && !x->scaled)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "scores not scaled by 1/sqrt(d) (seqnn's attention maps the "
                        "scaled dot product); %s", MHA_HOW);
    if (!strcmp(op, "Softmax") && s == MS_SCORES &&
        (attr_i(n, "axis", -1) == -1 || attr_i(n, "axis", -1) == 2))
        return mha_out(m, x, MS_WEIGHTS, part);
    if ((!strcmp(op, "Dropout") || !strcmp(op, "Identity")) && s == MS_WEIGHTS)
        return mha_out(m, x, MS_WEIGHTS, part);
    if (!strcmp(op, "MatMul") && s == MS_WEIGHTS && y && y->kind == V_MHA && y->stage == MS_BT && y->part == 2)
        return mha_out(m, x, MS_CTX, 3);
    if (!strcmp(op, "Gemm") && s == MS_FLAT)
        return mha_out_proj(m, x);
    if ((!strcmp(op, "MatMul") && s == MS_FLAT) || (!strcmp(op, "Add") && s == MS_OUT_MM))
        return mha_out_matmul(m, x, y, op[0] == 'A');
    return node_err(m, SEQNN_ERR_UNSUPPORTED, "not a step of %s%s", MHA_HOW,
                    s == MS_SCORES ? " (the scores here meet something else: attention masks are not mapped)" : "");
}

/* Lengths, their sort, and initial-state inputs. 1 when op was theirs. */
static int map_sequence_glue(mapper *m, const mval *x, seqnn_status *st)
{
    const Onnx__NodeProto *n = m->node;
    const char *op = n->op_type;
    const mval *ix = !strcmp(op, "Gather") && n->n_input > 1 && n->input[1][0] ? val_find(m, n->input[1]) : NULL;
    if ((x->kind == V_LENGTHS || x->kind == V_SORTLEN || x->kind == V_PERM) && !strcmp(op, "Cast"))
        *st = copy_val(m, x);
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
        const Onnx__AttributeProto *a = attr(n, "value");
        mval *o = a && a->t ? out_val(m, 0, V_CONST) : NULL;
        if (!a || !a->t)
            *st = node_err(m, SEQNN_ERR_UNSUPPORTED, "only a Constant with a tensor value is mapped");
        else if (!o)
            *st = map_status;
        else
            o->t = a->t;
        return 1;
    }
    if (!strcmp(op, "Shape")) {
        *st = in_val(m, 0, 1) && out_val(m, 0, V_SHAPE) ? SEQNN_OK : map_status;
        return 1;
    }
    mval *x = n->n_input ? in_val(m, 0, 1) : NULL;
    if (n->n_input && !x) {
        *st = map_status;
        return 1;
    }
    if (!strcmp(op, "ConstantOfShape")) {
        const Onnx__AttributeProto *a = attr(n, "value");   /* other values: shape arithmetic */
        *st = out_val(m, 0, a && a->t && !tensor_all_zero(m, a->t) ? V_SHAPE : V_ZEROS) ? SEQNN_OK : map_status;
        return 1;
    }
    if (!x)
        return 0;
    if (!strcmp(op, "Identity") && (x->kind == V_CONST || x->kind == V_SHAPE || x->kind == V_ZEROS)) {
        *st = copy_val(m, x);   /* the exporter's copy of a shared constant */
        return 1;
    }
    if (x->kind == V_ZEROS && (!strcmp(op, "Slice") || !strcmp(op, "Expand") || !strcmp(op, "Unsqueeze") ||
                               !strcmp(op, "Squeeze") || !strcmp(op, "Reshape") || !strcmp(op, "Transpose"))) {
        *st = out_val(m, 0, V_ZEROS) ? SEQNN_OK : map_status;
        return 1;
    }
    if (x->kind == V_CONST && !strcmp(op, "Expand") && tensor_all_zero(m, x->t)) {
        *st = out_val(m, 0, V_ZEROS) ? SEQNN_OK : map_status;
        return 1;
    }
    if (map_sequence_glue(m, x, st))
        return 1;
    if (x->kind == V_ACT && !strcmp(op, "Split")) {
        *st = mha_split(m, x);
        return 1;
    }
    if (x->kind == V_MHA || (x->kind == V_ACT && !strcmp(op, "Slice"))) {
        *st = x->kind == V_MHA && x->stage != MS_PROJ ? map_mha(m, x) : mha_begin(m, x);
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
        *st = out_val(m, 0, V_SHAPE) ? SEQNN_OK : map_status;
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
        mval *o = out_val(m, 0, V_ACT);
        if (!o)
            *st = map_status;
        else {
            const char *name = o->name;
            *o = *x;
            o->name = name;
            mval *mask = out_val(m, 1, V_UNUSABLE);
            (void)mask;
        }
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------- layer ops --- */
static seqnn_status map_embedding(mapper *m, const mval *w, const mval *ids)
{
    if (ids->kind != V_TOKENS || w->kind != V_CONST || w->t->n_dims != 2 || attr_i(m->node, "axis", 0) != 0 ||
        m->n_layers != 0)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "a Gather is mapped as nn.Embedding when it reads a [V, E] "
                        "weight at the token input, as the first layer");
    int64_t count;
    float *d = tensor_floats(m, w->t, &count);
    mlayer *l = d ? layer_new(m, L_EMB, "embedding") : NULL;
    if (!l) {
        free(d);
        return map_status;
    }
    l->a = w->t->dims[0];
    l->b = w->t->dims[1];
    m->in_dim = l->a;
    seqnn_status st = param_add(m, l->name, "weight", d, count);
    if (st)
        return st;
    mval *o = out_val(m, 0, V_ACT);
    if (!o)
        return map_status;
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
    seqnn_status st = need_tail(m, x, 2, 3);
    if (st)
        return st;
    if (w->kind != V_CONST || w->t->n_dims != 2)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "the weight of a Linear must be a constant matrix");
    int64_t out = trans ? w->t->dims[0] : w->t->dims[1], in = trans ? w->t->dims[1] : w->t->dims[0];
    if (in != x->f)
        return node_err(m, SEQNN_ERR_FORMAT, "weight of %lld inputs on %lld features", (long long)in,
                        (long long)x->f);
    int64_t count, bc = 0;
    float *wd = tensor_floats(m, w->t, &count), *bd = NULL;
    if (!wd)
        return map_status;
    if (b && (b->kind != V_CONST || tensor_count(b->t) != out || !(bd = tensor_floats(m, b->t, &bc)))) {
        free(wd);
        return b->kind != V_CONST || tensor_count(b->t) != out
                   ? node_err(m, SEQNN_ERR_UNSUPPORTED, "the bias of a Linear must be a constant of %lld",
                              (long long)out)
                   : map_status;
    }
    float *wt = trans ? wd : malloc((size_t)count * sizeof *wt);
    if (!bd)
        bd = calloc((size_t)out, sizeof *bd);
    mlayer *l = wt && bd ? layer_new(m, L_DENSE, "fc") : NULL;
    if (!l) {
        if (wt != wd)
            free(wt);
        free(wd);
        free(bd);
        return l ? map_fail(SEQNN_ERR_NO_MEMORY, "out of memory") : map_status;
    }
    if (!trans) {
        for (int64_t i = 0; i < in; i++)
            for (int64_t o = 0; o < out; o++)
                wt[o * in + i] = wd[i * out + o];
        free(wd);
    }
    l->a = in;
    l->b = out;
    if ((st = param_add(m, l->name, "weight", wt, count)))
        return st;
    l->bias_param = b ? -1 : m->out->n_params;
    if ((st = param_add(m, l->name, "bias", bd, out)))
        return st;
    if (b)
        l->bias_param = -2;   /* given: Add may not add another */
    return act_out(m, x, m->n_layers - 1, out);
}

static seqnn_status map_gemm(mapper *m, const mval *x)
{
    const Onnx__NodeProto *n = m->node;
    const mval *w = in_val(m, 1, 1), *b = in_val(m, 2, 0);
    if (!w)
        return map_status;
    if (attr_f(n, "alpha", 1) != 1 || attr_f(n, "beta", 1) != 1 || attr_i(n, "transA", 0) != 0)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "a Gemm with alpha, beta != 1 or transA");
    if (x->rank != 2)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "a Gemm on activations of rank %d", x->rank);
    return dense_layer(m, x, w, attr_i(n, "transB", 0) != 0, b);
}

/* Add of a constant to the output of a MatMul: the Linear's bias. */
static seqnn_status map_bias(mapper *m, const mval *x, const mval *c)
{
    mlayer *l = x->layer >= 0 ? &m->layers[x->layer] : NULL;
    if (!l || l->kind != L_DENSE || l->bias_param < 0 || x->layer != m->n_layers - 1 || c->kind != V_CONST ||
        tensor_count(c->t) != l->b)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "an Add is mapped as the bias of the MatMul before it");
    int64_t count;
    float *d = tensor_floats(m, c->t, &count);
    if (!d)
        return map_status;
    memcpy(m->out->params[l->bias_param].data, d, (size_t)count * sizeof *d);
    free(d);
    l->bias_param = -2;
    return act_out(m, x, x->layer, x->f);
}

static seqnn_status map_conv_act(mapper *m, const mval *x, const char *act);

static seqnn_status map_activation(mapper *m, const mval *x, const char *act, double alpha)
{
    if (x->kind == V_CONV)
        return map_conv_act(m, x, act);
    seqnn_status st = need_tail(m, x, 2, 3);
    if (st)
        return st;
    mlayer *l = layer_new(m, L_ACT, "act");
    if (!l)
        return map_status;
    snprintf(l->act, sizeof l->act, "%s", act);
    l->alpha = alpha;
    return act_out(m, x, m->n_layers - 1, x->f);
}

/* ------------------------------------------------- convolution bank --- */
/* 1 when the node's ints attribute name is absent or every entry is v. */
static int attr_ints_all(const Onnx__NodeProto *n, const char *name, int64_t v)
{
    const Onnx__AttributeProto *a = attr(n, name);
    for (size_t i = 0; a && i < a->n_ints; i++)
        if (a->ints[i] != v)
            return 0;
    return !a || a->n_ints || !a->has_i;
}

/* Conv (nn.Conv1d(E, F, w), no padding, stride or dilation) on [B, E, T]
 * activations: a branch of the convolution bank that max over time and a
 * Concat of the branches make one conv1d_bank layer. */
static seqnn_status map_conv(mapper *m, const mval *x)
{
    const Onnx__NodeProto *n = m->node;
    const Onnx__AttributeProto *pad = attr(n, "auto_pad");
    const char *how = "a Conv is mapped as nn.Conv1d(E, F, w) without padding, stride, dilation or groups over "
                      "the [B, E, T] permutation of a layer's output (Kim's convolution bank)";
    if (x->kind != V_ACT || x->layer != m->n_layers - 1 || x->rank != 3 || x->ax[1] != AX_F ||
        x->ax[0] == AX_F || x->ax[2] == AX_F || x->ax[0] > AX_S1 || x->ax[2] > AX_S1)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "%s", how);
    const mlayer *tl = x->layer >= 0 ? &m->layers[x->layer] : NULL;
    if (tl && ((tl->kind == L_RNN && x->sub != tl->layers - 1) || (tl->kind == L_RNN && tl->last)))
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "%s", how);
    if (attr_i(n, "group", 1) != 1 || !attr_ints_all(n, "dilations", 1) || !attr_ints_all(n, "strides", 1) ||
        !attr_ints_all(n, "pads", 0) ||
        (pad && pad->has_s && !(pad->s.len == 5 && !memcmp(pad->s.data, "VALID", 5)) &&
         !(pad->s.len == 6 && !memcmp(pad->s.data, "NOTSET", 6))))
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "%s", how);
    const mval *w = in_val(m, 1, 1), *b = w ? in_val(m, 2, 0) : NULL;
    if (!w || (n->n_input > 2 && n->input[2][0] && !b))
        return map_status;
    if (w->kind != V_CONST || w->t->n_dims != 3 || w->t->dims[1] != x->f || w->t->dims[0] < 1 ||
        w->t->dims[2] < 1 || w->t->dims[0] > (1 << 20) || w->t->dims[2] > (1 << 20) ||
        (b && (b->kind != V_CONST || b->t->n_dims != 1 || b->t->dims[0] != w->t->dims[0])))
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "the weight must be a constant [F, %lld, w] and the bias a "
                        "constant [F]", (long long)x->f);
    const Onnx__AttributeProto *ks = attr(n, "kernel_shape");
    if (ks && (ks->n_ints != 1 || ks->ints[0] != w->t->dims[2]))
        return node_err(m, SEQNN_ERR_FORMAT, "kernel_shape does not match the weight");
    if (m->n_conv && strcmp(m->conv[0].input, x->name))
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "the convolutions of a bank must read one value ('%s', not "
                        "'%s')", m->conv[0].input, x->name);
    if (m->n_conv == MAP_MAX_WIDTHS)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "more than %d convolutions in a bank", MAP_MAX_WIDTHS);
    if (m->time_label < 0)
        m->time_label = x->ax[2];
    if (x->ax[2] != m->time_label)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "the convolution's last axis is not time");
    mconv *c = &m->conv[m->n_conv];
    memset(c, 0, sizeof *c);
    c->w = w->t;
    c->b = b ? b->t : NULL;
    c->input = x->name;
    c->filters = w->t->dims[0];
    c->width = w->t->dims[2];
    c->node_i = m->node_i;
    module_path(n->name ? n->name : "", c->name, sizeof c->name);
    mval *o = out_val(m, 0, V_CONV);
    if (!o)
        return map_status;
    o->sub = m->n_conv++;
    o->layer = x->layer;
    o->perm = x->perm;
    o->ax[0] = x->ax[0];
    return SEQNN_OK;
}

/* The activation of a bank's branch (relu, tanh, sigmoid, hardtanh). */
static seqnn_status map_conv_act(mapper *m, const mval *x, const char *act)
{
    mconv *c = &m->conv[x->sub];
    if (c->act[0] || c->pooled || (strcmp(act, "relu") && strcmp(act, "tanh") && strcmp(act, "sigmoid") &&
                                   strcmp(act, "hardtanh")))
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "one activation (Relu, Tanh, Sigmoid or Clip(-1, 1)) between a "
                        "Conv and its max over time");
    snprintf(c->act, sizeof c->act, "%s", act);
    return copy_val(m, x);
}

/* Max over time of an activated branch: ReduceMax(axes=[2]) (x.max(dim=2)[0]),
 * or MaxPool over the whole time axis of a graph of fixed length T
 * (F.max_pool1d(x, x.size(2))), whose kept axis a Squeeze(axes=[2]) drops. */
static seqnn_status map_max_over_time(mapper *m, const mval *x, int maxpool)
{
    const Onnx__NodeProto *n = m->node;
    const Onnx__AttributeProto *axes = attr(n, "axes"), *ks = attr(n, "kernel_shape"), *sd = attr(n, "strides");
    int64_t axis = axes && axes->n_ints == 1 ? axes->ints[0] : axis_arg(m, "axes", 1, 99);
    int ok = x->kind == V_CONV && m->conv[x->sub].act[0] && !m->conv[x->sub].pooled;
    int64_t T = m->time_label >= 0 ? m->in_fixed[m->time_label] : -1, k = ks && ks->n_ints == 1 ? ks->ints[0] : -1;
    if (ok && maxpool)
        ok = T > 0 && k == T - m->conv[x->sub].width + 1 && (!sd || (sd->n_ints == 1 && sd->ints[0] == k)) &&
             attr_ints_all(n, "pads", 0) && attr_ints_all(n, "dilations", 1) && attr_i(n, "ceil_mode", 0) == 0 &&
             n->n_output == 1;
    else if (ok)
        ok = axis == 2 || axis == -1;
    if (!ok)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "%s", maxpool ?
                        "a MaxPool is mapped as the max over time of an activated Conv: its kernel the whole time "
                        "axis of a graph whose input has a fixed length (F.max_pool1d(x, x.size(2)))" :
                        "a ReduceMax is mapped as the max over time (axes=[2]) of an activated Conv: "
                        "x.max(dim=2)[0]");
    m->conv[x->sub].pooled = 1;
    mval *o = out_val(m, 0, V_POOLED);
    if (!o)
        return map_status;
    o->sub = x->sub;
    o->layer = x->layer;
    o->perm = x->perm;
    o->ax[0] = x->ax[0];
    o->rank = maxpool || attr_i(n, "keepdims", 1) ? 3 : 2;
    return SEQNN_OK;
}

/* Squeeze(axes=[2]) of a branch pooled with its time axis kept. */
static seqnn_status map_pool_squeeze(mapper *m, const mval *x)
{
    int64_t axis = axis_arg(m, "axes", 1, 99);
    if (x->rank != 3 || (axis != 2 && axis != -1))
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "only a Squeeze of the pooled time axis (axes=[2]) is mapped "
                        "after the max over time");
    seqnn_status st = copy_val(m, x);
    if (!st)
        m->vals[m->n_vals - 1].rank = 2;
    return st;
}

/* The pooled branches parts[0..n) (every branch, in order, of one filter
 * count and activation) as one conv1d_bank layer, whose output [B, n*F]
 * goes into o (NULL: the node's output). */
static seqnn_status conv_bank(mapper *m, const mval *const *parts, int n, mval *o)
{
    int ok = n == m->n_conv;
    for (int i = 0; ok && i < n; i++)
        ok = parts[i]->kind == V_POOLED && parts[i]->rank == 2 && parts[i]->sub == i &&
             m->conv[i].filters == m->conv[0].filters &&
             !strcmp(m->conv[i].act, m->conv[0].act);
    if (!ok)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "the pooled convolutions are mapped when every one of them is "
                        "concatenated (axis 1), in the order of the Convs, with one filter count and activation "
                        "(one conv1d_bank)");
    char path[64];
    snprintf(path, sizeof path, "%s", m->conv[0].name);
    char *dot = strrchr(path, '.');   /* "convs.0" (an nn.ModuleList's first entry) -> "convs" */
    if (dot && dot[1] >= '0' && dot[1] <= '9' && strspn(dot + 1, "0123456789") == strlen(dot + 1))
        *dot = 0;
    mlayer *l = layer_new_at(m, L_CONV, path, "convs");
    if (!l)
        return map_status;
    l->b = m->conv[0].filters;
    l->n_widths = n;
    snprintf(l->act, sizeof l->act, "%s", m->conv[0].act);
    for (int i = 0; i < n; i++) {
        char sfx[2][24];
        snprintf(sfx[0], sizeof sfx[0], "%d.weight", i);
        snprintf(sfx[1], sizeof sfx[1], "%d.bias", i);
        l->widths[i] = m->conv[i].width;
        int64_t cw, cb = l->b;
        float *wd = tensor_floats(m, m->conv[i].w, &cw);
        float *bd = !wd ? NULL : m->conv[i].b ? tensor_floats(m, m->conv[i].b, &cb) : calloc((size_t)cb, sizeof *bd);
        if (!wd)
            return map_status;
        if (!bd) {
            free(wd);
            return m->conv[i].b ? map_status : map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
        }
        seqnn_status st = param_add(m, l->name, sfx[0], wd, cw);
        if (st) {
            free(bd);
            return st;
        }
        if ((st = param_add(m, l->name, sfx[1], bd, cb)))
            return st;
    }
    int batch = parts[0]->ax[0];
    m->n_conv = 0;
    if (!o && !(o = out_val(m, 0, V_ACT)))
        return map_status;
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

/* ------------------------------------------------------- recurrent ops --- */
/* Gate blocks of ONNX (LSTM i, o, f, c; GRU z, r, h) in PyTorch's order
 * (LSTM i, f, g, o; GRU r, z, n): the ONNX block of PyTorch's block j. */
static const int GATE_FROM[3][4] = {{0, 2, 3, 1}, {1, 0, 2, 0}, {0, 0, 0, 0}};
static const int GATES[3] = {4, 3, 1};
/* The coupled LSTM (input_forget = 1; its f rows unused): seqnn's blocks
 * i, g, o. Peepholes: seqnn's rows i, f, o (coupled: i, o) of ONNX's P
 * rows i, o, f. */
static const int COUPLED_FROM[3] = {0, 3, 1};
static const int PEEP_FROM[2][3] = {{0, 2, 1}, {0, 1, 0}};

/* Direction d of an ONNX [D, G*H, C] weight (or [D, 2*G*H] bias half h;
 * peep: [D, 3*H] peepholes) in seqnn's (PyTorch's) order, as parameter
 * suffix. */
static seqnn_status rnn_param(mapper *m, mlayer *l, int sub, int d, const float *src, int64_t rows_total,
                              int64_t cols, int64_t off_rows, const char *what)
{
    int peep = !strcmp(what, "weight_peephole");
    int g = peep ? 3 - l->coupled : l->coupled ? 3 : GATES[l->cell];
    const int *from = peep ? PEEP_FROM[l->coupled] : l->coupled ? COUPLED_FROM : GATE_FROM[l->cell];
    int64_t H = l->hidden, n = g * H * cols;
    float *dst = malloc((size_t)n * sizeof *dst);
    if (!dst)
        return map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
    const float *base = src + (int64_t)d * rows_total * cols + off_rows * cols;
    for (int j = 0; j < g; j++)
        memcpy(dst + j * H * cols, base + from[j] * H * cols, (size_t)(H * cols) * sizeof *dst);
    char suffix[64];
    snprintf(suffix, sizeof suffix, "%s_l%d%s", what, sub, d ? "_reverse" : "");
    return param_add(m, l->name, suffix, dst, n);
}

/* The op's attributes: direction count, activation (RNN: relu), classic
 * GRU, coupled LSTM (input_forget). */
static seqnn_status rnn_attrs(mapper *m, int cell, int *dirs, int *relu, int *classic, int *coupled)
{
    const Onnx__NodeProto *n = m->node;
    const Onnx__AttributeProto *dir = attr(n, "direction"), *acts = attr(n, "activations");
    const char *ds = dir && dir->has_s ? (const char *)dir->s.data : "forward";
    size_t dl = dir && dir->has_s ? dir->s.len : 7;
    *dirs = dl == 13 && !memcmp(ds, "bidirectional", 13) ? 2 : dl == 7 && !memcmp(ds, "forward", 7) ? 1 : 0;
    if (!*dirs)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "direction '%.*s' (forward and bidirectional are mapped)",
                        (int)dl, ds);
    if (attr(n, "clip") || attr_i(n, "layout", 0))
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "clip or layout = 1");
    *coupled = cell == 0 && attr_i(n, "input_forget", 0) != 0;
    *classic = cell == 1 && !attr_i(n, "linear_before_reset", 0);
    *relu = 0;
    static const char *const dflt[3][3] = {{"Sigmoid", "Tanh", "Tanh"}, {"Sigmoid", "Tanh", NULL},
                                          {"Tanh", NULL, NULL}};
    int per = cell == 0 ? 3 : cell == 1 ? 2 : 1;
    if (acts && acts->n_strings != (size_t)(per * *dirs))
        return node_err(m, SEQNN_ERR_FORMAT, "activations has %zu entries", acts->n_strings);
    for (size_t i = 0; acts && i < acts->n_strings; i++) {
        const ProtobufCBinaryData *s = &acts->strings[i];
        const char *want = dflt[cell][i % (size_t)per];
        int is_relu = cell == 2 && s->len == 4 && !memcmp(s->data, "Relu", 4);
        if (is_relu && i > 0 && !*relu)
            return node_err(m, SEQNN_ERR_UNSUPPORTED, "directions with different activations");
        *relu |= is_relu;
        if (!is_relu && (s->len != strlen(want) || memcmp(s->data, want, s->len) || *relu))
            return node_err(m, SEQNN_ERR_UNSUPPORTED, "activation '%.*s' (seqnn's cells have PyTorch's)",
                            (int)s->len, (const char *)s->data);
    }
    return SEQNN_OK;
}

/* The recurrent layer op k of the node reads: a new layer, or the next
 * sub-layer of the last one when it stacks on it. */
static mlayer *rnn_layer(mapper *m, const mval *x, const mlayer *want, int *sub)
{
    mlayer *t = x->layer >= 0 ? &m->layers[x->layer] : NULL;
    if (t && t->kind == L_RNN && x->layer == m->n_layers - 1 && t->cell == want->cell && t->hidden == want->hidden &&
        t->dirs == want->dirs && t->relu == want->relu && t->classic == want->classic &&
        t->peephole == want->peephole && t->coupled == want->coupled && !t->last) {
        *sub = t->layers++;
        return t;
    }
    static const char *const kinds[3] = {"lstm", "gru", "rnn"};
    mlayer *l = layer_new(m, L_RNN, kinds[want->cell]);
    if (!l)
        return NULL;
    l->cell = want->cell;
    l->hidden = want->hidden;
    l->layers = 1;
    l->dirs = want->dirs;
    l->relu = want->relu;
    l->classic = want->classic;
    l->peephole = want->peephole;
    l->coupled = want->coupled;
    *sub = 0;
    return l;
}

static seqnn_status rnn_weights(mapper *m, mlayer *l, int sub, int64_t in, const mval *w, const mval *r,
                                const mval *b, const mval *p)
{
    int g = GATES[l->cell];
    int64_t H = l->hidden, D = l->dirs, cw, cr, cb = 0;
    if (w->kind != V_CONST || r->kind != V_CONST || (b && b->kind != V_CONST) || w->t->n_dims != 3 ||
        r->t->n_dims != 3 || w->t->dims[0] != D || w->t->dims[1] != g * H || w->t->dims[2] != in ||
        r->t->dims[0] != D || r->t->dims[1] != g * H || r->t->dims[2] != H ||
        (b && (b->t->n_dims != 2 || b->t->dims[0] != D || b->t->dims[1] != 2 * g * H)))
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "W, R, B must be constants of shapes [%lld, %lld, %lld], "
                        "[%lld, %lld, %lld], [%lld, %lld]", (long long)D, (long long)(g * H), (long long)in,
                        (long long)D, (long long)(g * H), (long long)H, (long long)D, (long long)(2 * g * H));
    float *wd = tensor_floats(m, w->t, &cw), *rd = wd ? tensor_floats(m, r->t, &cr) : NULL;
    float *bd = rd && b ? tensor_floats(m, b->t, &cb) : rd ? calloc((size_t)(D * 2 * g * H), sizeof *bd) : NULL;
    float *pd = NULL;
    if (bd && p && (p->t->n_dims != 2 || p->t->dims[0] != D || p->t->dims[1] != 3 * H))
        node_err(m, SEQNN_ERR_UNSUPPORTED, "the peephole weight P must be [%lld, %lld]", (long long)D,
                 (long long)(3 * H));
    else if (bd && p)
        pd = tensor_floats(m, p->t, &cb);
    seqnn_status st = bd && (!p || pd) ? SEQNN_OK : map_status;
    for (int d = 0; !st && d < D; d++) {
        if (!(st = rnn_param(m, l, sub, d, wd, g * H, in, 0, "weight_ih")) &&
            !(st = rnn_param(m, l, sub, d, rd, g * H, H, 0, "weight_hh")) &&
            !(st = rnn_param(m, l, sub, d, bd, 2 * g * H, 1, 0, "bias_ih")) &&
            !(st = rnn_param(m, l, sub, d, bd, 2 * g * H, 1, g * H, "bias_hh")) && pd)
            st = rnn_param(m, l, sub, d, pd, 3 * H, 1, 0, "weight_peephole");
    }
    free(pd);
    free(wd);
    free(rd);
    free(bd);
    return st;
}

/* sequence_lens of the op (*given: 1 when there is one): the graph's
 * lengths input, in the order of the op's batch (sorted lengths for a batch
 * sorted by them). */
static seqnn_status rnn_lengths(mapper *m, const mval *x, int *given)
{
    const Onnx__NodeProto *n = m->node;
    *given = n->n_input > 4 && n->input[4][0];
    const mval *len = *given ? in_val(m, 4, 1) : NULL;
    if (*given && !len)
        return map_status;
    if (len && !((len->kind == V_LENGTHS && !x->perm) || (len->kind == V_SORTLEN && x->perm)))
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "sequence_lens is mapped when it is the graph's lengths input "
                        "(pack_padded_sequence), in the order of the op's batch");
    if (len)
        m->in_role[len->in_k] = IN_LENGTHS;
    return SEQNN_OK;
}

/* The initial states init[0] (h) and init[1] (c) of sub-layer sub: rows
 * [sub*D, (sub+1)*D) of state inputs of the graph (all of them for a layer
 * of one op), the same inputs for every sub-layer; NULL: zeros. */
static seqnn_status rnn_states(mapper *m, mlayer *l, int sub, const mval *const *init)
{
    int li = (int)(l - m->layers);
    for (int j = 0; j < 2; j++) {
        const mval *s = init[j];
        int in = s ? s->in_k : -1, role = j ? IN_C0 : IN_H0;
        int64_t r0 = s && s->kind == V_STATE ? s->r0 : 0, r1 = s && s->kind == V_STATE ? s->r1 : -1;
        int64_t rows = m->in_rows[in < 0 ? 0 : in];
        if (sub == 0)
            j ? (l->c_in = in) : (l->h_in = in);
        if ((j ? l->c_in : l->h_in) != in)
            return node_err(m, SEQNN_ERR_UNSUPPORTED, "the stacked ops of one layer must all start from zeros or "
                            "all from rows of the same initial-state input");
        if (in < 0)
            continue;
        if (r1 < 0 && rows >= 0)
            r1 = rows;
        if ((m->in_role[in] != IN_UNREAD && m->in_role[in] != role) || r0 != (int64_t)sub * l->dirs ||
            (r1 >= 0 && r1 != (int64_t)(sub + 1) * l->dirs) || (r1 < 0 && sub > 0))
            return node_err(m, SEQNN_ERR_UNSUPPORTED, "initial state '%s': the op of layer %d must read rows [%d, %d) "
                            "of the graph's %s input, used for nothing else; it reads rows [%lld, %lld)", s->name,
                            sub, sub * l->dirs, (sub + 1) * l->dirs, j ? "c0" : "h0", (long long)r0,
                            (long long)r1);
        for (int i = 0; i < m->n_layers; i++)
            if (i != li && (m->layers[i].h_in >= 0 || m->layers[i].c_in >= 0) && m->layers[i].kind == L_RNN)
                return node_err(m, SEQNN_ERR_UNSUPPORTED, "initial states as inputs are mapped for one recurrent "
                                "layer of the model (here also '%s')", m->layers[i].name);
        m->in_role[in] = role;
    }
    return SEQNN_OK;
}

static seqnn_status map_recurrent(mapper *m, const mval *x, int cell)
{
    const Onnx__NodeProto *n = m->node;
    seqnn_status st = need_tail(m, x, 3, 3);
    if (st)
        return st;
    int dirs = 0, relu = 0, classic = 0, coupled = 0, sub = 0;
    if ((st = rnn_attrs(m, cell, &dirs, &relu, &classic, &coupled)))
        return st;
    if (m->time_label < 0)
        m->time_label = x->ax[0];
    if (x->ax[0] != m->time_label || x->ax[1] == AX_F)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "the input is not [T, B, F] as the op reads it");
    const mval *w = in_val(m, 1, 1), *r = w ? in_val(m, 2, 1) : NULL, *b = in_val(m, 3, 0);
    if (!w || !r)
        return map_status;
    int lens = 0;
    if ((st = rnn_lengths(m, x, &lens)))
        return st;
    const mval *init[2] = {NULL, NULL}, *peep = NULL;
    for (size_t k = 5; k < n->n_input && k < 8; k++) {
        const mval *s = in_val(m, k, 0);
        if (s && k < 7 && (s->kind == V_STATE || s->kind == V_STATEIN))
            init[k - 5] = s;
        else if (s && k == 7 && cell == 0 && s->kind == V_CONST && !tensor_all_zero(m, s->t))
            peep = s;
        else if (s && s->kind != V_ZEROS && !(s->kind == V_CONST && tensor_all_zero(m, s->t)))
            return node_err(m, SEQNN_ERR_UNSUPPORTED, "%s '%s' is %s", k == 7 ? "the peephole weight" :
                            "an initial state", s->name, k == 7 ? "not a constant of an LSTM" : "neither zeros nor "
                            "rows of an initial-state input of the graph (constant initial states are not mapped)");
        if (!s && k < n->n_input && n->input[k][0])
            return map_status;
    }
    int64_t H = attr_i(n, "hidden_size", r->kind == V_CONST && r->t->n_dims == 3 ? r->t->dims[2] : 0);
    if (H < 1 || H > (1 << 20))
        return node_err(m, SEQNN_ERR_FORMAT, "hidden_size %lld", (long long)H);
    mlayer want = {.cell = cell, .hidden = (int)H, .dirs = dirs, .relu = relu, .classic = classic,
                   .peephole = peep != NULL, .coupled = coupled};
    mlayer *l = rnn_layer(m, x, &want, &sub);
    if (!l)
        return map_status;
    if ((st = rnn_states(m, l, sub, init)) || (st = rnn_weights(m, l, sub, x->f, w, r, b, peep)))
        return st;
    l->lens_ops += lens;
    int li = (int)(l - m->layers);
    mval *y = out_val(m, 0, V_ACT);
    if (n->n_output > 0 && n->output[0][0] && !y)
        return map_status;
    if (y) {
        y->layer = li;
        y->perm = x->perm;
        y->sub = sub;
        y->rank = 4;
        y->ax[0] = x->ax[0];
        y->ax[1] = AX_D;
        y->ax[2] = x->ax[1];
        y->ax[3] = AX_H;
        y->f = H;
    }
    mval *yh = out_val(m, 1, V_YH);
    if (yh) {
        yh->layer = li;
        yh->perm = x->perm;
        yh->sub = sub;
    }
    out_val(m, 2, V_UNUSABLE);
    return SEQNN_OK;
}

/* --------------------------------------------------------------- nodes --- */
static seqnn_status map_softmax(mapper *m, const mval *x, seqnn_onnx_output fn)
{
    int64_t axis = attr_i(m->node, "axis", -1);
    if (x->kind != V_ACT || (axis != -1 && axis != x->rank - 1) || x->ax[x->rank - 1] != AX_F)
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "a Softmax / LogSoftmax over the features at the output only");
    mval *o = out_val(m, 0, V_FINAL);
    if (!o)
        return map_status;
    const char *name = o->name;
    *o = *x;
    o->name = name;
    o->kind = V_FINAL;
    o->fn = fn;
    return SEQNN_OK;
}

static seqnn_status map_node(mapper *m)
{
    const Onnx__NodeProto *n = m->node;
    const char *op = n->op_type ? n->op_type : "";
    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx"))
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "domain '%s' (only the default domain)", n->domain);
    seqnn_status st;
    if (map_glue(m, &st))
        return st;
    mval *x = n->n_input ? in_val(m, 0, 1) : NULL;
    if (!x)
        return n->n_input ? map_status
                          : node_err(m, SEQNN_ERR_UNSUPPORTED, "op without inputs; %s", SUPPORTED);
    if (x->kind == V_HPART) {   /* h_n[-1] of one direction read by a layer: many-to-one */
        const mval *parts[1] = {x};
        seqnn_status s2 = states_as_last(m, parts, 1, x->layer, x);
        if (s2)
            return s2;
    }
    if (x->kind == V_POOLED && !strcmp(op, "Squeeze"))
        return map_pool_squeeze(m, x);
    if (x->kind == V_POOLED) {   /* one pooled convolution read by a layer: a bank of one width */
        const mval *parts[1] = {x};
        seqnn_status s2 = conv_bank(m, parts, 1, x);
        if (s2)
            return s2;
    }
    if (!strcmp(op, "Conv"))
        return map_conv(m, x);
    if (!strcmp(op, "ReduceMax") || !strcmp(op, "MaxPool"))
        return map_max_over_time(m, x, op[0] == 'M');
    if (!strcmp(op, "Gather") && x->kind == V_ACT)
        return map_last_step(m, x);
    if (!strcmp(op, "Gather")) {
        const mval *ix = in_val(m, 1, 1);
        return ix ? map_embedding(m, x, ix) : map_status;
    }
    if (!strcmp(op, "LSTM") || !strcmp(op, "GRU") || !strcmp(op, "RNN"))
        return map_recurrent(m, x, op[0] == 'L' ? 0 : op[0] == 'G' ? 1 : 2);
    if (!strcmp(op, "Gemm"))
        return map_gemm(m, x);
    if (!strcmp(op, "MatMul")) {
        const mval *w = in_val(m, 1, 1);
        return w ? dense_layer(m, x, w, 0, NULL) : map_status;
    }
    if (!strcmp(op, "Add")) {
        const mval *y = in_val(m, 1, 1);
        if (!y)
            return map_status;
        return x->kind == V_ACT ? map_bias(m, x, y) : map_bias(m, y, x);
    }
    if (!strcmp(op, "Relu") || !strcmp(op, "Tanh") || !strcmp(op, "Sigmoid"))
        return map_activation(m, x, op[0] == 'R' ? "relu" : op[0] == 'T' ? "tanh" : "sigmoid", 0);
    if (!strcmp(op, "LeakyRelu"))
        return map_activation(m, x, "leaky_relu", attr_f(n, "alpha", 0.01));
    if (!strcmp(op, "Clip")) {
        const mval *lo = in_val(m, 1, 0), *hi = in_val(m, 2, 0);
        float f1 = 0, f2 = 0;
        if (lo && lo->kind == V_CONST && tensor_count(lo->t) == 1 && tensor_floats_one(lo->t, &f1) &&
            hi && hi->kind == V_CONST && tensor_count(hi->t) == 1 && tensor_floats_one(hi->t, &f2) &&
            f1 == -1.0f && f2 == 1.0f)
            return map_activation(m, x, "hardtanh", 0);
        return node_err(m, SEQNN_ERR_UNSUPPORTED, "a Clip other than to [-1, 1] (nn.Hardtanh)");
    }
    if (!strcmp(op, "Softmax"))
        return map_softmax(m, x, SEQNN_ONNX_OUTPUT_SOFTMAX);
    if (!strcmp(op, "LogSoftmax"))
        return map_softmax(m, x, SEQNN_ONNX_OUTPUT_LOG_SOFTMAX);
    return node_err(m, SEQNN_ERR_UNSUPPORTED, "op not mapped onto a seqnn layer here; %s", SUPPORTED);
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

/* An input after the first: sequence lengths [B] (integers) or an initial
 * state [layers*dirs, B, H] (float), as the nodes that read it will say. */
static seqnn_status map_extra_input(mapper *m, const Onnx__ValueInfoProto *in)
{
    const Onnx__TypeProto__Tensor *tt = input_type(in);
    int et = tt ? tt->elem_type : 0, k = m->n_in;
    size_t rank = tt ? tt->shape->n_dim : 0;
    int ints = et == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 || et == ONNX__TENSOR_PROTO__DATA_TYPE__INT32;
    int floats = et == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    if (k == MAP_MAX_INPUTS || !tt || !((ints && rank == 1) || (floats && rank == 3)))
        return map_fail(SEQNN_ERR_UNSUPPORTED, "%s: input '%s': after the data input, seqnn maps sequence lengths "
                        "[B] (integers) and initial states [layers*dirs, B, H] (float) of recurrent ops", m->src,
                        in->name);
    mval *v = val_add(m, in->name, ints ? V_LENGTHS : V_STATEIN);
    if (!v)
        return map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
    const Onnx__TensorShapeProto__Dimension *d0 = rank ? tt->shape->dim[0] : NULL;
    v->in_k = k;
    m->in_name[k] = in->name;
    m->in_role[k] = IN_UNREAD;
    m->in_rows[k] = !ints && d0->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ? d0->dim_value
                                                                                                    : -1;
    m->n_in++;
    return SEQNN_OK;
}

/* The graph's inputs: the data input first, token ids [S0, S1] or features
 * [S0, S1, F]; then lengths and initial states (map_extra_input). */
static seqnn_status map_input(mapper *m)
{
    const Onnx__GraphProto *g = m->g;
    const Onnx__ValueInfoProto *in = NULL;
    for (size_t i = 0; i < g->n_input; i++) {
        if (!g->input[i]->name || is_initializer(g, g->input[i]->name))
            continue;
        if (in) {
            seqnn_status st = map_extra_input(m, g->input[i]);
            if (st)
                return st;
            continue;
        }
        in = g->input[i];
        m->in_name[0] = in->name;
        m->in_role[0] = IN_DATA;
        m->n_in = 1;
    }
    const Onnx__TypeProto__Tensor *tt = in ? input_type(in) : NULL;
    if (!tt)
        return map_fail(SEQNN_ERR_UNSUPPORTED, "%s: no input tensor of known rank", m->src);
    int et = tt->elem_type;
    size_t rank = tt->shape->n_dim;
    m->tokens = et == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 || et == ONNX__TENSOR_PROTO__DATA_TYPE__INT32;
    const Onnx__TensorShapeProto__Dimension *last = rank ? tt->shape->dim[rank - 1] : NULL;
    if (m->tokens ? rank != 2
                  : et != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || rank != 3 ||
                        last->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ||
                        last->dim_value < 1 || last->dim_value > (1 << 24))
        return map_fail(SEQNN_ERR_UNSUPPORTED, "%s: input '%s' is neither token ids [T, B] (int64) "
                               "nor features [T, B, F] (float, F fixed)", m->src, in->name);
    mval *v = val_add(m, in->name, m->tokens ? V_TOKENS : V_ACT);
    if (!v)
        return map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
    v->rank = (int)rank;
    v->ax[0] = AX_S0;
    v->ax[1] = AX_S1;
    v->ax[2] = AX_F;
    v->f = m->tokens ? 0 : last->dim_value;
    m->in_dim = v->f;
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
    for (int k = 1; k < m->n_in; k++) {
        if (m->in_role[k] == IN_UNREAD)
            return map_fail(SEQNN_ERR_UNSUPPORTED, "%s: input '%s' is read neither as the sequence_lens nor as "
                            "the initial state of a recurrent op", m->src, m->in_name[k]);
        if (m->in_role[k] == IN_LENGTHS)
            o->lengths_input = k;
    }
    for (int i = 0; o->lengths_input >= 0 && i < m->n_layers; i++) {   /* seqnn applies lengths to them all */
        const mlayer *l = &m->layers[i];
        m->node_i = l->node_i;   /* the errors name the layer's first node */
        m->node = m->g->node[l->node_i];
        if ((l->kind == L_RNN && l->lens_ops != l->layers) || l->kind == L_CONV || l->kind == L_ATTN)
            return node_err(m, SEQNN_ERR_UNSUPPORTED, "the graph has sequence lengths, which seqnn applies to "
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
                return node_err(m, SEQNN_ERR_UNSUPPORTED, "initial-state input '%s' has %lld rows, layer '%s' "
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
        return map_fail(SEQNN_ERR_UNSUPPORTED, "%s: %zu outputs (seqnn maps graphs of one output)",
                               m->src, g->n_output);
    const mval *v = val_find(m, g->output[0]->name);
    const mlayer *l = v && v->layer >= 0 ? &m->layers[v->layer] : NULL;
    if (v && v->perm)
        return map_fail(SEQNN_ERR_UNSUPPORTED, "%s: the output '%s' is in the batch order of the sorted lengths "
                        "(unsort it as pad_packed_sequence does)", m->src, g->output[0]->name);
    if (!v || (v->kind != V_ACT && v->kind != V_FINAL) || !l || v->layer != m->n_layers - 1 ||
        (l->kind == L_RNN && v->sub != l->layers - 1) || v->ax[v->rank - 1] != AX_F || v->rank < 2 || v->rank > 3)
        return map_fail(SEQNN_ERR_UNSUPPORTED, "%s: the output '%s' is not the last layer's "
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

static seqnn_status write_modelfile(mapper *m)
{
    static const char *const cells[3] = {"lstm", "gru", "rnn"};
    char *s = NULL;
    size_t len = 0, cap = 0;
    int bad = text_add(&s, &len, &cap, "# Imported from the ONNX model %s (%lld nodes).\nseqnn 1\n", m->src,
                       (long long)m->out->nodes);
    bad |= text_add(&s, &len, &cap, m->tokens ? "input tokens vocab=%lld\n" : "input features dim=%lld\n",
                    (long long)m->in_dim);
    for (int i = 0; i < m->n_layers; i++) {
        const mlayer *l = &m->layers[i];
        if (l->kind == L_EMB)
            bad |= text_add(&s, &len, &cap, "embedding name=%s dim=%lld\n", l->name, (long long)l->b);
        else if (l->kind == L_DENSE)
            bad |= text_add(&s, &len, &cap, "dense name=%s out=%lld\n", l->name, (long long)l->b);
        else if (l->kind == L_ATTN)
            bad |= text_add(&s, &len, &cap, "attention name=%s heads=%d\n", l->name, l->heads);
        else if (l->kind == L_CONV) {
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
            bad |= text_add(&s, &len, &cap, "%s name=%s hidden=%d layers=%d bidirectional=%d last=%d%s%s%s%s\n",
                            cells[l->cell], l->name, l->hidden, l->layers, l->dirs == 2, l->last,
                            l->relu ? " act=relu" : "", l->classic ? " classic=1" : "",
                            l->peephole ? " peephole=1" : "", l->coupled ? " coupled=1" : "");
    }
    bad |= text_add(&s, &len, &cap, "loss %s\n", m->loss);
    if (bad) {
        free(s);
        return map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
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
            return map_fail(SEQNN_ERR_FORMAT, "%s: metadata seqnn.loss is '%.32s' (xent, mse or bce)", m->src,
                            e->value ? e->value : "");
        m->loss = losses[k];
    }
    return SEQNN_OK;
}

seqnn_status onnx_map_model(const Onnx__ModelProto *mp, const char *src, onnx_mapped *out)
{
    memset(out, 0, sizeof *out);
    mapper m = {.g = mp->graph, .src = src, .out = out, .time_label = -1, .mha.layer = -1};
    if (!m.g)
        return map_fail(SEQNN_ERR_FORMAT, "%s: no graph", src);
    out->nodes = (int64_t)m.g->n_node;
    seqnn_status st = map_loss(&m, mp);
    for (size_t i = 0; !st && i < m.g->n_initializer; i++) {
        const Onnx__TensorProto *t = m.g->initializer[i];
        mval *v = t->name ? val_add(&m, t->name, V_CONST) : NULL;
        if (!t->name)
            st = map_fail(SEQNN_ERR_FORMAT, "%s: an initializer without a name", src);
        else if (!v)
            st = map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
        else
            v->t = t;
    }
    if (!st)
        st = map_input(&m);
    for (size_t i = 0; !st && i < m.g->n_node; i++) {
        m.node_i = i;
        m.node = m.g->node[i];
        if (!m.node->op_type)
            st = node_err(&m, SEQNN_ERR_FORMAT, "no op type");
        else if (m.node->n_output > 64 || !val_reserve(&m, m.node->n_output + 1))
            st = node_err(&m, SEQNN_ERR_FORMAT, "%zu outputs", m.node->n_output);
        else
            st = map_node(&m);
    }
    for (int i = 0; !st && i < m.n_layers; i++)
        if (m.layers[i].kind == L_DENSE && m.layers[i].bias_param == -1)
            m.layers[i].bias_param = -2;   /* a MatMul without Add: no bias (zeros) */
    if (!st && m.n_conv) {   /* a Conv left without its max over time or the Concat of its bank */
        m.node_i = m.conv[0].node_i;
        m.node = m.g->node[m.node_i];
        st = node_err(&m, SEQNN_ERR_UNSUPPORTED, "the output is not activated, max-pooled over time (ReduceMax) "
                      "and concatenated with the bank's other Convs into a layer; %s", SUPPORTED);
    }
    if (!st && m.mha.layer >= 0 && !m.mha.done)
        st = map_fail(SEQNN_ERR_UNSUPPORTED, "%s: the attention '%s' does not reach its output as in %s", src,
                      m.layers[m.mha.layer].name, MHA_HOW);
    if (!st && !m.n_layers)
        st = map_fail(SEQNN_ERR_UNSUPPORTED, "%s: no layer found in the graph", src);
    if (!st)
        st = map_output(&m);
    if (!st)
        st = map_roles(&m);
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

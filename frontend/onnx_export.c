/* seqnn_model_save_onnx (seqnn/onnx.h): a built model's inference graph as
 * an ONNX model, written with protobuf-c (onnx.proto compiled at build
 * time). Each layer becomes the ops torch.onnx.export writes for its
 * PyTorch module (docs/onnx.md has the table): embedding -> Gather,
 * recurrent -> LSTM / GRU / RNN per layer (gate blocks reordered to ONNX's,
 * peepholes as P, coupled gates as input_forget) joined by Squeeze or
 * Transpose + Reshape, last = 1 -> the final states, dense -> Gemm or MatMul
 * + Add, activations, conv1d bank -> Conv + ReduceMax + Concat, merges ->
 * Concat / Add / Mul, attention -> MatMul / Softmax (encoder-decoder
 * models: a second input, the decoder's tokens); dropout is left out;
 * optionally the lengths as inputs (sequence_lens and masks). A model with
 * a layer that has no ONNX form is refused naming the layer. The file is
 * written to a temporary name and renamed: nothing is left behind on
 * failure. Everything the message holds lives in one arena. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fe.h"
#include "onnx_int.h"

#ifdef SEQNN_HAVE_ONNX

#define OX_OPSET_DEFAULT 14              /* torch.onnx.export's default in PyTorch 1.13 */
#define OX_OPSET_MIN 13                  /* Squeeze/Unsqueeze/Split with their axes as inputs */
#define OX_OPSET_MAX 17                  /* ReduceMax keeps its axes attribute up to 17 */

/* ---------------------------------------------------------------- arena --- */
typedef struct ox_chunk {
    struct ox_chunk *next;
    max_align_t data[];
} ox_chunk;

typedef struct ox {
    seqnn_model *m;
    int opset;
    int lengths;                         /* the graph takes each sequence's length */
    ox_chunk *arena;
    Onnx__NodeProto **nodes;
    size_t n_nodes, cap_nodes;
    Onnx__TensorProto **inits;
    size_t n_inits, cap_inits;
    const char **val;                    /* per layer: the name of its output value */
    const char *in_val[FE_MAX_INPUTS + 1];   /* per input, then the decoder's */
    const char *len_val[FE_MAX_INPUTS + 1];  /* their lengths (int32 [B]), NULL: the graph has none */
    const char *len64[FE_MAX_INPUTS + 1];    /* the same as int64 (made when first needed) */
    int64_t serial;                      /* unique suffix of value names */
    int failed;                          /* out of memory somewhere */
} ox;

/* size zeroed bytes that live until ox_free, or NULL (x->failed set). */
static void *ox_alloc(ox *x, size_t size)
{
    ox_chunk *c = calloc(1, sizeof *c + size + 1);
    if (!c) {
        x->failed = 1;
        return NULL;
    }
    c->next = x->arena;
    x->arena = c;
    return c->data;
}

static char *ox_str(ox *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *ox_str(ox *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? ox_alloc(x, (size_t)n + 1) : NULL;
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

/* Appends p to the growing array *arr (*n used, *cap allocated). */
static void ox_push(ox *x, void ***arr, size_t *n, size_t *cap, void *p)
{
    if (!p)
        return;
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        void **a = realloc(*arr, c * sizeof *a);
        if (!a) {
            x->failed = 1;
            return;
        }
        *arr = a;
        *cap = c;
    }
    (*arr)[(*n)++] = p;
}

static void ox_free(ox *x)
{
    while (x->arena) {
        ox_chunk *n = x->arena->next;
        free(x->arena);
        x->arena = n;
    }
    free(x->nodes);
    free(x->inits);
    free(x->val);
}

/* -------------------------------------------------------------- tensors --- */
/* An initializer: float data (copied) of the given dims; its name. */
static const char *ox_floats(ox *x, const char *name, int ndim, const int64_t *dims, const float *data)
{
    Onnx__TensorProto *t = ox_alloc(x, sizeof *t);
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= dims[i];
    int64_t *d = ox_alloc(x, (size_t)(ndim ? ndim : 1) * sizeof *d);
    uint8_t *raw = ox_alloc(x, (size_t)n * 4);
    char *nm = name ? ox_str(x, "%s", name) : NULL;
    if (!t || !d || !raw || !nm)
        return NULL;
    onnx__tensor_proto__init(t);
    if (ndim)
        memcpy(d, dims, (size_t)ndim * sizeof *d);
    if (n)
        memcpy(raw, data, (size_t)n * 4);   /* little-endian hosts only (checked before) */
    t->n_dims = (size_t)ndim;
    t->dims = d;
    t->has_data_type = 1;
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    t->has_raw_data = 1;
    t->raw_data.len = (size_t)n * 4;
    t->raw_data.data = raw;
    t->name = nm;
    ox_push(x, (void ***)&x->inits, &x->n_inits, &x->cap_inits, t);
    return nm;
}

/* An int64 initializer of n values (ndim 0: a scalar, else a vector). */
static const char *ox_ints(ox *x, int ndim, int n, const int64_t *v)
{
    Onnx__TensorProto *t = ox_alloc(x, sizeof *t);
    int64_t *d = ox_alloc(x, sizeof *d), *data = ox_alloc(x, (size_t)n * sizeof *data);
    char *nm = ox_str(x, "const_%lld", (long long)x->serial++);
    if (!t || !d || !data || !nm)
        return NULL;
    onnx__tensor_proto__init(t);
    *d = n;
    memcpy(data, v, (size_t)n * sizeof *data);
    t->n_dims = (size_t)ndim;
    t->dims = d;
    t->has_data_type = 1;
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    t->n_int64_data = (size_t)n;
    t->int64_data = data;
    t->name = nm;
    ox_push(x, (void ***)&x->inits, &x->n_inits, &x->cap_inits, t);
    return nm;
}

static const char *ox_int1(ox *x, int64_t v)
{
    return ox_ints(x, 1, 1, &v);
}

static const char *ox_scalar_f(ox *x, float v)
{
    return ox_floats(x, ox_str(x, "const_%lld", (long long)x->serial++), 0, NULL, &v);
}

/* ----------------------------------------------------------------- nodes --- */
/* A node op in the scope (a layer name: its module path, "/lstm/LSTM_3")
 * reading in[0..n_in) ("" for an absent optional input) and writing n_out
 * new values (want[k] == 0: that output left out). */
static Onnx__NodeProto *ox_node_w(ox *x, const char *op, const char *scope, int n_in, const char *const *in,
                                  int n_out, const int *want)
{
    Onnx__NodeProto *nd = ox_alloc(x, sizeof *nd);
    char **ins = ox_alloc(x, (size_t)(n_in + 1) * sizeof *ins), **outs = ox_alloc(x, (size_t)n_out * sizeof *outs);
    Onnx__AttributeProto **attrs = ox_alloc(x, 8 * sizeof *attrs);
    char *path = ox_str(x, "/%s/%s_%lld", scope, op, (long long)x->serial++);
    if (!nd || !ins || !outs || !attrs || !path)
        return NULL;
    onnx__node_proto__init(nd);
    for (char *p = path; *p; p++)
        if (*p == '.')
            *p = '/';
    for (int i = 0; i < n_in; i++)
        if (!in[i] || !(ins[i] = ox_str(x, "%s", in[i])))
            return NULL;
    for (int k = 0; k < n_out; k++)
        if (!(outs[k] = want && !want[k] ? ox_str(x, "%s", "") : ox_str(x, "%s_output_%d", path + 1, k)))
            return NULL;
    nd->name = path;
    nd->op_type = (char *)op;
    nd->n_input = (size_t)n_in;
    nd->input = ins;
    nd->n_output = (size_t)n_out;
    nd->output = outs;
    nd->attribute = attrs;
    ox_push(x, (void ***)&x->nodes, &x->n_nodes, &x->cap_nodes, nd);
    return x->failed ? NULL : nd;
}

static Onnx__NodeProto *ox_node(ox *x, const char *op, const char *scope, int n_in, const char *const *in)
{
    return ox_node_w(x, op, scope, n_in, in, 1, NULL);
}

/* Output 0 of a node of one or two inputs (b NULL: one). */
static const char *ox_op(ox *x, const char *op, const char *scope, const char *a, const char *b)
{
    const char *in[2] = {a, b};
    Onnx__NodeProto *nd = a ? ox_node(x, op, scope, b ? 2 : 1, in) : NULL;
    return nd ? nd->output[0] : NULL;
}

static Onnx__AttributeProto *ox_attr(ox *x, Onnx__NodeProto *nd, const char *name,
                                     Onnx__AttributeProto__AttributeType type)
{
    Onnx__AttributeProto *a = nd && nd->n_attribute < 8 ? ox_alloc(x, sizeof *a) : NULL;
    if (!a)
        return NULL;
    onnx__attribute_proto__init(a);
    a->name = (char *)name;
    a->has_type = 1;
    a->type = type;
    nd->attribute[nd->n_attribute++] = a;
    return a;
}

static void ox_attr_i(ox *x, Onnx__NodeProto *nd, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = ox_attr(x, nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (a) {
        a->has_i = 1;
        a->i = v;
    }
}

static void ox_attr_f(ox *x, Onnx__NodeProto *nd, const char *name, double v)
{
    Onnx__AttributeProto *a = ox_attr(x, nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (a) {
        a->has_f = 1;
        a->f = (float)v;
    }
}

static void ox_attr_s(ox *x, Onnx__NodeProto *nd, const char *name, const char *s)
{
    Onnx__AttributeProto *a = ox_attr(x, nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    if (a) {
        a->has_s = 1;
        a->s.data = (uint8_t *)s;
        a->s.len = strlen(s);
    }
}

static void ox_attr_ints(ox *x, Onnx__NodeProto *nd, const char *name, int n, const int64_t *v)
{
    Onnx__AttributeProto *a = ox_attr(x, nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    int64_t *d = a ? ox_alloc(x, (size_t)n * sizeof *d) : NULL;
    if (d) {
        memcpy(d, v, (size_t)n * sizeof *d);
        a->n_ints = (size_t)n;
        a->ints = d;
    }
}

/* One activation node of kind on a in the scope. */
static const char *ox_act(ox *x, const char *scope, const char *a, seqnn_act kind, double alpha)
{
    static const char *const ops[SEQNN_ACT_COUNT] = {"Sigmoid", "Tanh", "Clip", "Relu", "LeakyRelu", "Sigmoid"};
    if (kind == SEQNN_ACT_HARDTANH) {
        const char *in[3] = {a, ox_scalar_f(x, -1.0f), ox_scalar_f(x, 1.0f)};
        Onnx__NodeProto *nd = ox_node(x, "Clip", scope, 3, in);
        return nd ? nd->output[0] : NULL;
    }
    if (kind == SEQNN_ACT_LEAKY_RELU) {
        Onnx__NodeProto *nd = ox_node(x, "LeakyRelu", scope, 1, &a);
        ox_attr_f(x, nd, "alpha", alpha);
        return nd ? nd->output[0] : NULL;
    }
    const char *y = ox_op(x, ops[kind], scope, a, NULL);
    return kind == SEQNN_ACT_SWISH ? ox_op(x, "Mul", scope, a, y) : y;   /* SiLU: x * sigmoid(x) */
}

static const char *ox_transpose(ox *x, const char *scope, const char *a, int n, const int64_t *perm)
{
    Onnx__NodeProto *nd = ox_node(x, "Transpose", scope, 1, &a);
    ox_attr_ints(x, nd, "perm", n, perm);
    return nd ? nd->output[0] : NULL;
}

/* The lengths of the stream layer L runs over (slot: an input, FE_MAX_INPUTS
 * the decoder's) as int64 [B], or NULL when the graph has no lengths. */
static const char *ox_len64(ox *x, int slot)
{
    if (!x->len_val[slot] || x->len64[slot])
        return x->len64[slot];
    Onnx__NodeProto *nd = ox_node(x, "Cast", "lengths", 1, &x->len_val[slot]);
    ox_attr_i(x, nd, "to", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
    return x->len64[slot] = nd ? nd->output[0] : NULL;
}

static int ox_slot(const fe_layer *L)
{
    return L->decoder ? FE_MAX_INPUTS : L->stream;
}

/* 0 .. (dimension axis of a) - 1 as int64 [n]. */
static const char *ox_range(ox *x, const char *scope, const char *a, int64_t axis)
{
    int64_t zero = 0, one = 1;
    const char *n = ox_op(x, "Gather", scope, ox_op(x, "Shape", scope, a, NULL), ox_ints(x, 0, 1, &axis));
    const char *rin[3] = {ox_ints(x, 0, 1, &zero), n, ox_ints(x, 0, 1, &one)};
    Onnx__NodeProto *r = n ? ox_node(x, "Range", scope, 3, rin) : NULL;
    return r ? r->output[0] : NULL;
}

/* Where(mask, -inf, s): the masked entries of s out of a softmax or a max. */
static const char *ox_mask(ox *x, const char *scope, const char *mask, const char *s)
{
    const char *win[3] = {mask, ox_scalar_f(x, -INFINITY), s};
    Onnx__NodeProto *w = mask && s ? ox_node(x, "Where", scope, 3, win) : NULL;
    return w ? w->output[0] : NULL;
}

/* ------------------------------------------------------------ parameters --- */
/* Layer L's parameter "<name>.<suffix>" read into a new host array
 * (arena); *pp receives its description. NULL after an error (*st). */
static float *ox_param_full(ox *x, const fe_layer *L, const char *suffix, const fe_param **pp, seqnn_status *st)
{
    char want[2 * FE_NAME];
    snprintf(want, sizeof want, "%s.%s", L->name, suffix);
    for (int64_t i = L->param0; i < L->param0 + L->nparams; i++) {
        const fe_param *p = &x->m->params[i];
        if (strcmp(p->name, want))
            continue;
        float *d = ox_alloc(x, (size_t)p->count * sizeof *d);
        if (!d) {
            *st = seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
            return NULL;
        }
        if ((*st = seqnn_model_param_read(x->m, i, d, p->count)))
            return NULL;
        *pp = p;
        return d;
    }
    *st = seqnn_set_error(NULL, SEQNN_ERR_INTERNAL, "layer '%s' has no parameter %s", L->name, want);
    return NULL;
}

static float *ox_param(ox *x, const fe_layer *L, const char *suffix, seqnn_status *st)
{
    const fe_param *p;
    return ox_param_full(x, L, suffix, &p, st);
}

/* The parameter as an initializer of its own name and shape (transposed
 * [cols, rows] when trans, for MatMul, named "<name>_t"). */
static const char *ox_param_init(ox *x, const fe_layer *L, const char *suffix, int trans, seqnn_status *st)
{
    const fe_param *p = NULL;
    float *d = ox_param_full(x, L, suffix, &p, st);
    if (!d)
        return NULL;
    if (!trans)
        return ox_floats(x, p->name, p->ndim, p->shape, d);
    int64_t r = p->shape[0], c = p->shape[1], dims[2] = {c, r};
    float *t = ox_alloc(x, (size_t)(r * c) * sizeof *t);
    if (!t)
        return NULL;
    for (int64_t i = 0; i < r; i++)
        for (int64_t j = 0; j < c; j++)
            t[j * r + i] = d[i * c + j];
    return ox_floats(x, ox_str(x, "%s_t", p->name), 2, dims, t);
}

/* --------------------------------------------------------------- layers --- */
/* Gate blocks of ONNX's W / R / B in terms of seqnn's (PyTorch's) blocks:
 * LSTM i, o, f, c <- i, f, g, o; coupled LSTM (blocks i, g, o) the same
 * with f zero; GRU z, r, h <- r, z, n; RNN one block. -1: zeros. */
static const int GATE_SRC[4][4] = {{0, 3, 1, 2}, {0, 2, -1, 1}, {1, 0, 2, -1}, {0, -1, -1, -1}};
/* Peephole rows of ONNX's P (i, o, f) in seqnn's (i, f, o; coupled i, o). */
static const int PEEP_SRC[2][3] = {{0, 2, 1}, {0, 1, -1}};

/* dst [G*H, cols] <- src [g*H, cols] with ONNX's block order (map). */
static void gate_blocks(float *dst, const float *src, const int *map, int G, int64_t H, int64_t cols)
{
    for (int j = 0; j < G; j++) {
        float *d = dst + (int64_t)j * H * cols;
        if (map[j] < 0)
            memset(d, 0, (size_t)(H * cols) * sizeof *d);
        else
            memcpy(d, src + (int64_t)map[j] * H * cols, (size_t)(H * cols) * sizeof *d);
    }
}

/* The W, R, B (and P) initializers of sub-layer l of recurrent layer L;
 * in: the names, NULL after an error. */
static seqnn_status rnn_inits(ox *x, const fe_layer *L, int64_t l, int64_t I, int kind, const char **in)
{
    int64_t H = L->rnn.hidden, D = L->rnn.bidirectional ? 2 : 1;
    int G = kind == 0 || kind == 1 ? 4 : kind == 2 ? 3 : 1, peep = (L->lstm_variant & SEQNN_LSTM_PEEPHOLE) != 0;
    float *w = ox_alloc(x, (size_t)(D * G * H * I) * sizeof *w), *r = ox_alloc(x, (size_t)(D * G * H * H) * sizeof *r);
    float *b = ox_alloc(x, (size_t)(D * 2 * G * H) * sizeof *b), *p = ox_alloc(x, (size_t)(D * 3 * H) * sizeof *p);
    if (!w || !r || !b || !p)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    seqnn_status st = SEQNN_OK;
    for (int64_t d = 0; d < D; d++) {
        const char *sfx = d ? "_reverse" : "";
        char n[4][64];
        snprintf(n[0], sizeof n[0], "weight_ih_l%lld%s", (long long)l, sfx);
        snprintf(n[1], sizeof n[1], "weight_hh_l%lld%s", (long long)l, sfx);
        snprintf(n[2], sizeof n[2], "bias_ih_l%lld%s", (long long)l, sfx);
        snprintf(n[3], sizeof n[3], "bias_hh_l%lld%s", (long long)l, sfx);
        const float *wi = ox_param(x, L, n[0], &st), *wh = wi ? ox_param(x, L, n[1], &st) : NULL;
        const float *bi = wh ? ox_param(x, L, n[2], &st) : NULL, *bh = bi ? ox_param(x, L, n[3], &st) : NULL;
        if (!bh)
            return st;
        gate_blocks(w + d * G * H * I, wi, GATE_SRC[kind], G, H, I);
        gate_blocks(r + d * G * H * H, wh, GATE_SRC[kind], G, H, H);
        gate_blocks(b + d * 2 * G * H, bi, GATE_SRC[kind], G, H, 1);
        gate_blocks(b + d * 2 * G * H + G * H, bh, GATE_SRC[kind], G, H, 1);
        if (peep) {
            snprintf(n[0], sizeof n[0], "weight_peephole_l%lld%s", (long long)l, sfx);
            const float *pp = ox_param(x, L, n[0], &st);
            if (!pp)
                return st;
            gate_blocks(p + d * 3 * H, pp, PEEP_SRC[kind == 1], 3, H, 1);
        }
    }
    int64_t dw[3] = {D, G * H, I}, dr[3] = {D, G * H, H}, db[2] = {D, 2 * G * H}, dp[2] = {D, 3 * H};
    in[1] = ox_floats(x, ox_str(x, "%s.W_l%lld", L->name, (long long)l), 3, dw, w);
    in[2] = ox_floats(x, ox_str(x, "%s.R_l%lld", L->name, (long long)l), 3, dr, r);
    in[3] = ox_floats(x, ox_str(x, "%s.B_l%lld", L->name, (long long)l), 2, db, b);
    in[4] = in[5] = in[6] = "";
    in[7] = peep ? ox_floats(x, ox_str(x, "%s.P_l%lld", L->name, (long long)l), 2, dp, p) : NULL;
    return SEQNN_OK;
}

/* Learned initial states of layer l: rows [l*D, (l+1)*D) of "<name>.h0"
 * (and "c0" of an LSTM) as constants [D, 1, H] expanded to the batch of the
 * op's input y [T, B, F] (shape [1, B, 1]), as torch.onnx.export writes
 * h0.expand(...): the op's initial_h (initial_c). */
static seqnn_status rnn_learned_inits(ox *x, const fe_layer *L, int64_t l, const char *y, const char **in)
{
    int64_t D = L->rnn.bidirectional ? 2 : 1, H = L->rnn.hidden, one = 1, dims[3] = {D, 1, H};
    const char *ones = ox_ints(x, 1, 1, &one);
    const char *parts[3] = {ones, ox_op(x, "Gather", L->name, ox_op(x, "Shape", L->name, y, NULL), ones), ones};
    Onnx__NodeProto *cat = parts[0] && parts[1] ? ox_node(x, "Concat", L->name, 3, parts) : NULL;
    ox_attr_i(x, cat, "axis", 0);
    seqnn_status st = cat ? SEQNN_OK : seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    for (int j = 0; !st && j < (L->rnn.cell == SEQNN_CELL_LSTM ? 2 : 1); j++) {
        const float *s = ox_param(x, L, j ? "c0" : "h0", &st);
        const char *c = s ? ox_floats(x, ox_str(x, "%s.%s_l%lld", L->name, j ? "c0" : "h0", (long long)l), 3, dims,
                                      s + l * D * H) : NULL;
        in[5 + j] = c ? ox_op(x, "Expand", L->name, c, cat->output[0]) : NULL;
        if (!in[5 + j] && !st)
            st = seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    }
    return st;
}

/* Y [T, D, B, H] of one op as [T, B, D*H], as the exporter joins it. */
static const char *rnn_join(ox *x, const char *scope, const char *y, int64_t D)
{
    if (D == 1)
        return ox_op(x, "Squeeze", scope, y, ox_int1(x, 1));
    static const int64_t perm[4] = {0, 2, 1, 3}, shape[3] = {0, 0, -1};
    return ox_op(x, "Reshape", scope, ox_transpose(x, scope, y, 4, perm), ox_ints(x, 1, 3, shape));
}

/* Y_h [D, B, H] as [B, D*H]: forward then reverse (torch.cat((h_n[-2], h_n[-1]), 1)). */
static const char *rnn_final(ox *x, const char *scope, const char *yh, int64_t D)
{
    if (D == 1)
        return ox_op(x, "Squeeze", scope, yh, ox_int1(x, 0));
    int64_t k0 = 0, k1 = 1;
    const char *in[2] = {ox_op(x, "Gather", scope, yh, ox_ints(x, 0, 1, &k0)),
                         ox_op(x, "Gather", scope, yh, ox_ints(x, 0, 1, &k1))};
    Onnx__NodeProto *nd = in[0] && in[1] ? ox_node(x, "Concat", scope, 2, in) : NULL;
    ox_attr_i(x, nd, "axis", 1);
    return nd ? nd->output[0] : NULL;
}

static seqnn_status ox_recurrent(ox *x, const fe_layer *L, const char *in, const char **out)
{
    static const char *const ops[4] = {"LSTM", "LSTM", "GRU", "RNN"};
    if (L->lstm_proj > 0)
        return seqnn_set_error(NULL, SEQNN_ERR_UNSUPPORTED, "layer '%s' (lstm proj=%lld): an LSTM with a projection "
                               "has no ONNX form (ONNX's LSTM has no projection)", L->name, (long long)L->lstm_proj);
    seqnn_cell c = L->rnn.cell;
    int kind = c == SEQNN_CELL_LSTM ? ((L->lstm_variant & SEQNN_LSTM_COUPLED) ? 1 : 0)
               : c == SEQNN_CELL_GRU || c == SEQNN_CELL_GRU_CLASSIC ? 2 : 3;
    int64_t D = L->rnn.bidirectional ? 2 : 1, H = L->rnn.hidden, I = L->in.n;
    const char *y = in;
    for (int64_t l = 0; l < L->rnn.layers; l++) {
        const char *ins[8] = {y};
        seqnn_status st = rnn_inits(x, L, l, l ? D * H : I, kind, ins);
        if (!st && L->rnn_learned)
            st = rnn_learned_inits(x, L, l, y, ins);
        if (st)
            return st;
        if (x->len_val[ox_slot(L)])
            ins[4] = x->len_val[ox_slot(L)];   /* sequence_lens: packed sequences, as seqnn runs them */
        int top_last = l == L->rnn.layers - 1 && L->rnn.last, want[2] = {!top_last, top_last};
        Onnx__NodeProto *nd = ox_node_w(x, ops[kind], L->name, ins[7] ? 8 : ins[6][0] ? 7 : ins[5][0] ? 6 : ins[4][0] ? 5 : 4,
                                      ins, 2, want);
        ox_attr_i(x, nd, "hidden_size", H);
        ox_attr_s(x, nd, "direction", D == 2 ? "bidirectional" : L->rnn_reverse ? "reverse" : "forward");
        if (kind == 1)
            ox_attr_i(x, nd, "input_forget", 1);
        if (kind == 2)
            ox_attr_i(x, nd, "linear_before_reset", c == SEQNN_CELL_GRU);
        if (kind == 3 && c == SEQNN_CELL_RNN_RELU) {
            Onnx__AttributeProto *a = ox_attr(x, nd, "activations", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
            ProtobufCBinaryData *s = a ? ox_alloc(x, 2 * sizeof *s) : NULL;
            if (s) {
                s[0].data = s[1].data = (uint8_t *)"Relu";
                s[0].len = s[1].len = 4;
                a->n_strings = (size_t)D;
                a->strings = s;
            }
        }
        if (!nd)
            return SEQNN_ERR_NO_MEMORY;
        y = top_last ? rnn_final(x, L->name, nd->output[1], D) : rnn_join(x, L->name, nd->output[0], D);
    }
    *out = y;
    return SEQNN_OK;
}

/* Kim's bank: per width Conv over [B, E, T], the activation, ReduceMax over
 * time; the widths' features concatenated. */
static seqnn_status ox_conv(ox *x, const fe_layer *L, const char *in, const char **out)
{
    static const int64_t perm[3] = {1, 2, 0}, axes[1] = {2};
    const char *xt = ox_transpose(x, L->name, in, 3, perm), *parts[FE_MAX_WIDTHS];
    seqnn_status st = SEQNN_OK;
    for (int i = 0; i < L->conv.n_widths; i++) {
        char w[32], b[32];
        snprintf(w, sizeof w, "%d.weight", i);
        snprintf(b, sizeof b, "%d.bias", i);
        const char *ins[3] = {xt, ox_param_init(x, L, w, 0, &st), NULL};
        ins[2] = ins[1] ? ox_param_init(x, L, b, 0, &st) : NULL;
        if (st)
            return st;
        Onnx__NodeProto *nd = ox_node(x, "Conv", L->name, 3, ins);
        ox_attr_ints(x, nd, "kernel_shape", 1, &L->conv.widths[i]);
        const char *a = nd ? ox_act(x, L->name, nd->output[0], L->conv.act, L->conv.alpha) : NULL;
        const char *len = ox_len64(x, ox_slot(L));
        if (len) {   /* windows past max(len - w, 0) take no part in the max */
            int64_t zero = 0;
            const char *lim = ox_op(x, "Max", L->name, ox_op(x, "Sub", L->name, len, ox_ints(x, 0, 1,
                                    &L->conv.widths[i])), ox_ints(x, 0, 1, &zero));
            const char *mask = ox_op(x, "Greater", L->name, ox_range(x, L->name, a, 2),
                                     ox_op(x, "Unsqueeze", L->name, lim, ox_int1(x, 1)));
            a = ox_mask(x, L->name, ox_op(x, "Unsqueeze", L->name, mask, ox_int1(x, 1)), a);
        }
        Onnx__NodeProto *mx = a ? ox_node(x, "ReduceMax", L->name, 1, &a) : NULL;
        ox_attr_ints(x, mx, "axes", 1, axes);
        ox_attr_i(x, mx, "keepdims", 0);
        if (!mx)
            return SEQNN_ERR_NO_MEMORY;
        parts[i] = mx->output[0];
    }
    if (L->conv.n_widths == 1) {
        *out = parts[0];
        return SEQNN_OK;
    }
    Onnx__NodeProto *cat = ox_node(x, "Concat", L->name, L->conv.n_widths, parts);
    ox_attr_i(x, cat, "axis", 1);
    *out = cat ? cat->output[0] : NULL;
    return SEQNN_OK;
}

/* [T, B, E] -> heads [B*h, T, d] (h heads of d), and back. */
static const char *heads_split(ox *x, const char *scope, const char *a, int64_t d)
{
    static const int64_t perm[3] = {1, 0, 2};
    int64_t shape[3] = {0, -1, d};
    return ox_transpose(x, scope, ox_op(x, "Reshape", scope, a, ox_ints(x, 1, 3, shape)), 3, perm);
}

/* Attention scores [B*h, T, T] of q, k [B*h, T, d] with L's score. */
static const char *attn_scores(ox *x, const fe_layer *L, const char *q, const char *k, int64_t d, seqnn_status *st)
{
    static const int64_t kt[3] = {0, 2, 1};
    const char *n = L->name;
    seqnn_score sc = L->att.score;
    if (sc == SEQNN_SCORE_DOT || sc == SEQNN_SCORE_SCALED_DOT) {
        const char *s = ox_op(x, "MatMul", n, q, ox_transpose(x, n, k, 3, kt));
        return sc == SEQNN_SCORE_DOT ? s : ox_op(x, "Mul", n, s, ox_scalar_f(x, (float)(1.0 / sqrt((double)d))));
    }
    if (sc == SEQNN_SCORE_BILINEAR) {   /* q^T W k */
        const char *w = ox_param_init(x, L, "weight", 0, st);
        return w ? ox_op(x, "MatMul", n, ox_op(x, "MatMul", n, q, w), ox_transpose(x, n, k, 3, kt)) : NULL;
    }
    /* additive: v . tanh(W_q q + W_k k), over [B, Tq, 1, A] + [B, 1, Tk, A] */
    const char *wq = ox_param_init(x, L, "query.weight", 1, st);
    const char *wk = wq ? ox_param_init(x, L, "key.weight", 1, st) : NULL;
    const char *wv = wk ? ox_param_init(x, L, "v.weight", 1, st) : NULL;
    if (!wv)
        return NULL;
    const char *a = ox_op(x, "Unsqueeze", n, ox_op(x, "MatMul", n, q, wq), ox_int1(x, 2));
    const char *b = ox_op(x, "Unsqueeze", n, ox_op(x, "MatMul", n, k, wk), ox_int1(x, 1));
    const char *e = ox_op(x, "MatMul", n, ox_op(x, "Tanh", n, ox_op(x, "Add", n, a, b), NULL), wv);
    return ox_op(x, "Squeeze", n, e, ox_int1(x, 3));
}

/* Scores of keys after their query set to -inf (the causal mask), from the
 * sequence's run-time length. */
static const char *attn_causal(ox *x, const char *scope, const char *in, const char *s)
{
    const char *r = ox_range(x, scope, in, 0);
    const char *rows = ox_op(x, "Unsqueeze", scope, r, ox_int1(x, 1));
    const char *cols = ox_op(x, "Unsqueeze", scope, r, ox_int1(x, 0));
    return ox_mask(x, scope, ox_op(x, "Greater", scope, cols, rows), s);
}

/* Scores [B*h, Tq, Tk] of keys at or past their sequence's length (len,
 * int64 [B]; keys from kv [Tk, B, ..]) set to -inf. */
static const char *attn_key_mask(ox *x, const char *scope, const char *kv, const char *len, int64_t h,
                                 const char *s)
{
    int64_t rep[2] = {1, h}, flat = -1, axes[2] = {1, 2};
    const char *lh = ox_op(x, "Expand", scope, ox_op(x, "Unsqueeze", scope, len, ox_int1(x, 1)), ox_ints(x, 1, 2, rep));
    lh = ox_op(x, "Reshape", scope, lh, ox_ints(x, 1, 1, &flat));   /* [B*h]: b's length per head */
    lh = ox_op(x, "Unsqueeze", scope, lh, ox_ints(x, 1, 2, axes));
    return ox_mask(x, scope, ox_op(x, "GreaterOrEqual", scope, ox_range(x, scope, kv, 0), lh), s);
}

/* Attention as the exporter writes nn.MultiheadAttention: self-attention
 * (in-projection, q | k | v split) or encoder attention (queries the
 * layer's input, keys = values the encoder's output); heads split, scores,
 * softmax, context, heads joined; then the out-projection (self) or Luong's
 * tanh(W_c [context; x] + b_c) (encoder). */
static seqnn_status ox_attention(ox *x, const fe_layer *L, const char *in, const char **out)
{
    const char *n = L->name, *q, *k, *v, *w = NULL, *b = NULL, *wo = NULL, *bo = NULL;
    int64_t D = L->in.n, h = L->att.heads, Dk = D;
    seqnn_status st = SEQNN_OK;
    if (!L->att.encoder) {
        int64_t split[3] = {D, D, D};
        w = ox_param_init(x, L, "in_proj_weight", 1, &st);
        b = w ? ox_param_init(x, L, "in_proj_bias", 0, &st) : NULL;
        wo = b ? ox_param_init(x, L, "out_proj.weight", 1, &st) : NULL;
        bo = wo ? ox_param_init(x, L, "out_proj.bias", 0, &st) : NULL;
        const char *sin[2] = {bo ? ox_op(x, "Add", n, ox_op(x, "MatMul", n, in, w), b) : NULL,
                              ox_ints(x, 1, 3, split)};
        Onnx__NodeProto *sp = sin[0] && sin[1] ? ox_node_w(x, "Split", n, 2, sin, 3, NULL) : NULL;
        ox_attr_i(x, sp, "axis", 2);
        if (!sp)
            return st ? st : SEQNN_ERR_NO_MEMORY;
        q = heads_split(x, n, sp->output[0], D / h);
        k = heads_split(x, n, sp->output[1], D / h);
        v = heads_split(x, n, sp->output[2], D / h);
    } else {
        const fe_layer *enc = fe_encoder_output(x->m);
        const char *e = x->val[enc - x->m->layers];
        Dk = enc->out.n;
        wo = ox_param_init(x, L, "combine.weight", 1, &st);
        bo = wo ? ox_param_init(x, L, "combine.bias", 0, &st) : NULL;
        if (!bo)
            return st;
        q = heads_split(x, n, in, D / h);
        k = v = heads_split(x, n, e, Dk / h);
    }
    const char *s = q && k && v ? attn_scores(x, L, q, k, D / h, &st) : NULL;
    if (st)
        return st;
    if (L->att.causal)
        s = attn_causal(x, n, in, s);
    if (ox_len64(x, L->att.encoder ? 0 : ox_slot(L)))   /* keys past the length (the source's) */
        s = attn_key_mask(x, n, L->att.encoder ? x->val[fe_encoder_output(x->m) - x->m->layers] : in,
                          ox_len64(x, L->att.encoder ? 0 : ox_slot(L)), h, s);
    Onnx__NodeProto *sm = s ? ox_node(x, "Softmax", n, 1, &s) : NULL;
    ox_attr_i(x, sm, "axis", -1);
    if (!sm)
        return SEQNN_ERR_NO_MEMORY;
    static const int64_t perm[3] = {1, 0, 2};
    int64_t shape[3] = {0, -1, Dk};
    const char *c = ox_transpose(x, n, ox_op(x, "MatMul", n, sm->output[0], v), 3, perm);
    c = ox_op(x, "Reshape", n, c, ox_ints(x, 1, 3, shape));
    if (L->att.encoder) {
        const char *parts[2] = {c, in};
        Onnx__NodeProto *cat = c ? ox_node(x, "Concat", n, 2, parts) : NULL;
        ox_attr_i(x, cat, "axis", -1);
        c = cat ? cat->output[0] : NULL;
    }
    const char *y = ox_op(x, "Add", n, ox_op(x, "MatMul", n, c, wo), bo);
    *out = L->att.encoder ? ox_op(x, "Tanh", n, y, NULL) : y;
    return SEQNN_OK;
}

static seqnn_status ox_dense(ox *x, const fe_layer *L, const char *in, const char **out)
{
    seqnn_status st = SEQNN_OK;
    if (!L->in.seq) {   /* nn.Linear on [B, in]: Gemm(transB = 1) */
        const char *ins[3] = {in, ox_param_init(x, L, "weight", 0, &st), NULL};
        ins[2] = ins[1] ? ox_param_init(x, L, "bias", 0, &st) : NULL;
        Onnx__NodeProto *nd = ins[2] ? ox_node(x, "Gemm", L->name, 3, ins) : NULL;
        ox_attr_i(x, nd, "transB", 1);
        *out = nd ? nd->output[0] : NULL;
        return st;
    }
    const char *w = ox_param_init(x, L, "weight", 1, &st), *b = w ? ox_param_init(x, L, "bias", 0, &st) : NULL;
    *out = b ? ox_op(x, "Add", L->name, ox_op(x, "MatMul", L->name, in, w), b) : NULL;
    return st;
}

static seqnn_status ox_merge(ox *x, const fe_layer *L, const char *const *ins, const char **out)
{
    if (L->ops == &fe_merge_ops[SEQNN_MERGE_CONCAT]) {
        Onnx__NodeProto *nd = ox_node(x, "Concat", L->name, L->n_from, ins);
        ox_attr_i(x, nd, "axis", -1);
        *out = nd ? nd->output[0] : NULL;
        return SEQNN_OK;
    }
    const char *op = L->ops == &fe_merge_ops[SEQNN_MERGE_ADD] ? "Add" : "Mul", *y = ins[0];
    for (int k = 1; k < L->n_from; k++)
        y = ox_op(x, op, L->name, y, ins[k]);
    *out = y;
    return SEQNN_OK;
}

/* Layer L on its inputs' values: x->val[L]. */
static seqnn_status ox_layer(ox *x, int li)
{
    fe_layer *L = &x->m->layers[li];
    const char *ins[FE_MAX_FROM], **out = &x->val[li];
    for (int k = 0; k < L->n_from; k++)
        ins[k] = L->from[k] >= 0                ? x->val[L->from[k]]
                 : L->from[k] == FE_DECODER_NODE ? x->in_val[FE_MAX_INPUTS]
                                                 : x->in_val[FE_INPUT_NODE(0) - L->from[k]];
    seqnn_status st = SEQNN_OK;
    if (L->ops == &fe_embedding_ops) {
        const char *w = ox_param_init(x, L, "weight", 0, &st);
        *out = w ? ox_op(x, "Gather", L->name, w, ins[0]) : NULL;
    } else if (L->ops == &fe_dense_ops)
        st = ox_dense(x, L, ins[0], out);
    else if (L->ops == &fe_activation_ops)
        *out = ox_act(x, L->name, ins[0], L->act.kind, L->act.alpha);
    else if (L->ops == &fe_dropout_ops)
        *out = ins[0];   /* inference: identity */
    else if (L->ops == &fe_recurrent_ops)
        st = ox_recurrent(x, L, ins[0], out);
    else if (L->ops == &fe_conv1d_bank_ops)
        st = ox_conv(x, L, ins[0], out);
    else if (L->ops == &fe_attention_ops)
        st = ox_attention(x, L, ins[0], out);
    else if (L->ops >= &fe_merge_ops[0] && L->ops < &fe_merge_ops[SEQNN_MERGE_COUNT])
        st = ox_merge(x, L, ins, out);
    else if (L->ops == &fe_tree_ops)
        st = seqnn_set_error(NULL, SEQNN_ERR_UNSUPPORTED, "layer '%s' (tree): a recursive network over the batch's "
                             "trees has no ONNX form", L->name);
    else
        st = seqnn_set_error(NULL, SEQNN_ERR_UNSUPPORTED, "layer '%s' (%s) has no ONNX form here", L->name,
                             L->ops->kind);
    if (!st && (x->failed || !*out))
        st = seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    return st;
}


/* ---------------------------------------------------------------- graph --- */
/* A tensor type: elem [dims], a dim < 0 named by the parameter -dim - 1 of params. */
static Onnx__ValueInfoProto *ox_value_info(ox *x, const char *name, int elem, int rank, const int64_t *dims,
                                           const char *const *params)
{
    Onnx__ValueInfoProto *vi = ox_alloc(x, sizeof *vi);
    Onnx__TypeProto *tp = ox_alloc(x, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = ox_alloc(x, sizeof *tt);
    Onnx__TensorShapeProto *sh = ox_alloc(x, sizeof *sh);
    Onnx__TensorShapeProto__Dimension **dv = ox_alloc(x, (size_t)rank * sizeof *dv);
    if (!vi || !tp || !tt || !sh || !dv)
        return NULL;
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sh);
    for (int i = 0; i < rank; i++) {
        if (!(dv[i] = ox_alloc(x, sizeof *dv[i])))
            return NULL;
        onnx__tensor_shape_proto__dimension__init(dv[i]);
        if (dims[i] >= 0) {
            dv[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dv[i]->dim_value = dims[i];
        } else {
            dv[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dv[i]->dim_param = (char *)params[-dims[i] - 1];
        }
    }
    sh->n_dim = (size_t)rank;
    sh->dim = dv;
    tt->has_elem_type = 1;
    tt->elem_type = elem;
    tt->shape = sh;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    vi->name = (char *)name;
    vi->type = tp;
    return vi;
}

/* The graph's inputs (token ids [T, B] int64, features [T, B, dim]), then
 * an encoder-decoder's decoder input "decoder_input" [T_dec, B], then with
 * lengths their lengths (int32 [B]: "lengths", "lengths_<input>",
 * "decoder_lengths"), and the names of their steps ("T", "T_<input>" for
 * inputs after the first, "T_dec"). */
static seqnn_status ox_inputs(ox *x, Onnx__GraphProto *g, const char **steps)
{
    const seqnn_model *m = x->m;
    int n = m->n_inputs + (m->decoder_start >= 0);
    g->input = ox_alloc(x, (size_t)(2 * n) * sizeof *g->input);
    for (int k = 0; g->input && x->lengths && k < n; k++) {
        int dec = k == m->n_inputs, slot = dec ? FE_MAX_INPUTS : k;
        const char *params[1] = {"B"};
        int64_t dims[1] = {-1};
        x->len_val[slot] = dec ? "decoder_lengths" : k ? ox_str(x, "lengths_%s", m->inputs[k].name) : "lengths";
        g->input[n + k] = ox_value_info(x, x->len_val[slot], ONNX__TENSOR_PROTO__DATA_TYPE__INT32, 1, dims, params);
        g->n_input += g->input[n + k] != NULL;
    }
    for (int k = 0; g->input && k < n; k++) {
        int dec = k == m->n_inputs, slot = dec ? FE_MAX_INPUTS : k;
        fe_shape sh = dec ? (fe_shape){.seq = 1, .tokens = 1, .n = m->dec_vocab} : m->inputs[k].shape;
        const char *name = dec ? "decoder_input" : m->inputs[k].name;
        steps[slot] = dec ? "T_dec" : k ? ox_str(x, "T_%s", name) : "T";
        const char *params[2] = {steps[slot], "B"};
        int64_t dims[3] = {-1, -2, sh.n};
        x->in_val[slot] = ox_str(x, "%s", name);
        g->input[k] = ox_value_info(x, x->in_val[slot], sh.tokens ? ONNX__TENSOR_PROTO__DATA_TYPE__INT64
                                                                 : ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT,
                                    sh.tokens ? 2 : 3, dims, params);
        g->n_input += g->input[k] != NULL;
    }
    return x->failed || g->n_input != (size_t)(x->lengths ? 2 * n : n)
               ? seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory") : SEQNN_OK;
}

/* The model's output value y renamed "output" (the graph's), with the
 * final Softmax / LogSoftmax the options ask for. */
static seqnn_status ox_output(ox *x, Onnx__GraphProto *g, const char *y, seqnn_onnx_output fn,
                              const char *const *steps)
{
    const fe_layer *L = &x->m->layers[x->m->n_layers - 1];
    if (fn != SEQNN_ONNX_OUTPUT_RAW) {
        Onnx__NodeProto *nd = ox_node(x, fn == SEQNN_ONNX_OUTPUT_SOFTMAX ? "Softmax" : "LogSoftmax", L->name, 1, &y);
        ox_attr_i(x, nd, "axis", -1);
        y = nd ? nd->output[0] : NULL;
    }
    int produced = 0;
    for (size_t i = 0; y && i < x->n_nodes; i++)
        for (size_t k = 0; k < x->nodes[i]->n_output; k++)
            produced |= !strcmp(x->nodes[i]->output[k], y);
    if (y && !produced)   /* the output is an input (a model of dropout alone) */
        y = ox_op(x, "Identity", L->name, y, NULL);
    char *out = ox_str(x, "output");
    for (size_t k = 0; out && k < g->n_input; k++)   /* a model input named "output" */
        if (!strcmp(g->input[k]->name, out))
            out = ox_str(x, "seqnn_output");
    for (size_t i = 0; y && out && i < x->n_nodes; i++) {
        Onnx__NodeProto *nd = x->nodes[i];
        for (size_t k = 0; k < nd->n_input; k++)
            if (!strcmp(nd->input[k], y))
                nd->input[k] = out;
        for (size_t k = 0; k < nd->n_output; k++)
            if (!strcmp(nd->output[k], y))
                nd->output[k] = out;
    }
    const char *params[2] = {steps[L->decoder ? FE_MAX_INPUTS : L->stream], "B"};
    int64_t seq[3] = {-1, -2, L->out.n}, vec[2] = {-2, L->out.n};
    g->output = ox_alloc(x, sizeof *g->output);
    if (g->output && y && out)
        g->output[0] = ox_value_info(x, out, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, L->out.seq ? 3 : 2,
                                     L->out.seq ? seq : vec, params);
    g->n_output = g->output && g->output[0];
    return x->failed || !g->n_output ? seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory") : SEQNN_OK;
}

/* The model m as an ONNX ModelProto in x's arena. */
static seqnn_status ox_model(ox *x, seqnn_onnx_output fn, Onnx__ModelProto **out)
{
    seqnn_model *m = x->m;
    Onnx__ModelProto *mp = ox_alloc(x, sizeof *mp);
    Onnx__GraphProto *g = ox_alloc(x, sizeof *g);
    Onnx__OperatorSetIdProto *os = ox_alloc(x, sizeof *os), **osv = ox_alloc(x, sizeof *osv);
    x->val = calloc((size_t)m->n_layers, sizeof *x->val);
    if (!mp || !g || !os || !osv || !x->val)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    onnx__model_proto__init(mp);
    onnx__graph_proto__init(g);
    onnx__operator_set_id_proto__init(os);
    const char *steps[FE_MAX_INPUTS + 1];
    seqnn_status st = ox_inputs(x, g, steps);
    for (int i = 0; !st && i < m->n_layers; i++)
        st = ox_layer(x, m->order ? m->order[i] : i);
    if (!st)
        st = ox_output(x, g, x->val[m->n_layers - 1], fn, steps);
    for (size_t i = 0; !st && i < g->n_input; i++)   /* input names against each other and the weights' */
        for (size_t j = 0; !st && j < g->n_input + x->n_inits; j++)
            if (j != i && !strcmp(g->input[i]->name,
                                  j < g->n_input ? g->input[j]->name : x->inits[j - g->n_input]->name))
                st = seqnn_set_error(NULL, SEQNN_ERR_UNSUPPORTED, "the graph input '%s' has the name of another "
                                     "input or a weight; rename the model's input", g->input[i]->name);
    if (st)
        return st;
    g->name = "seqnn";
    g->n_node = x->n_nodes;
    g->node = x->nodes;
    g->n_initializer = x->n_inits;
    g->initializer = x->inits;
    os->domain = "";
    os->has_version = 1;
    os->version = x->opset;
    osv[0] = os;
    mp->has_ir_version = 1;
    mp->ir_version = 8;                  /* ONNX 1.10 to 1.12 */
    mp->producer_name = "seqnn";
    mp->producer_version = SEQNN_VERSION;
    mp->n_opset_import = 1;
    mp->opset_import = osv;
    mp->graph = g;
    static const char *const losses[SEQNN_LOSS_COUNT] = {"xent", "mse", "bce"};
    Onnx__StringStringEntryProto *loss = ox_alloc(x, sizeof *loss), **props = ox_alloc(x, sizeof *props);
    if (!loss || !props)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    onnx__string_string_entry_proto__init(loss);
    loss->key = "seqnn.loss";            /* what the output is trained against (an importer may restore it) */
    loss->value = (char *)losses[m->loss];
    props[0] = loss;
    mp->n_metadata_props = 1;
    mp->metadata_props = props;
    *out = mp;
    return SEQNN_OK;
}

/* buf[0..n) as the file path: a temporary file next to it, renamed over it
 * once complete; nothing is left on failure. */
static seqnn_status ox_write(const char *path, const uint8_t *buf, size_t n)
{
    size_t tlen = strlen(path) + 32;
    char *tmp = malloc(tlen);
    if (!tmp)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    int fd = -1, err = 0;
    for (int k = 0; fd < 0 && k < 100; k++) {   /* a name nobody has: never through someone's link */
        snprintf(tmp, tlen, "%s.tmp.%ld.%d", path, (long)getpid(), k);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        err = errno;
        if (fd < 0 && err != EEXIST)
            break;
    }
    int ok = fd >= 0;
    for (size_t at = 0; ok && at < n;) {
        ssize_t k = write(fd, buf + at, n - at);
        if (k < 0 && errno == EINTR)
            continue;
        ok = k > 0;
        err = errno;
        at += ok ? (size_t)k : 0;
    }
    if (ok && fsync(fd) != 0)
        ok = 0, err = errno;
    if (fd >= 0 && close(fd) != 0 && ok)
        ok = 0, err = errno;
    if (ok && rename(tmp, path) != 0)
        ok = 0, err = errno;
    if (!ok && fd >= 0)
        unlink(tmp);
    free(tmp);
    return ok ? SEQNN_OK : seqnn_set_error(NULL, SEQNN_ERR_IO, "%s: cannot write: %s", path, strerror(err));
}
#endif /* SEQNN_HAVE_ONNX */

seqnn_status seqnn_model_save_onnx(seqnn_model *m, const char *path, const seqnn_onnx_export_options *opts)
{
    if (!m || !path || !path[0])
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_save_onnx: model and path are required");
    int opset = opts && opts->opset ? opts->opset : 0;
    seqnn_onnx_output fn = opts ? opts->output : SEQNN_ONNX_OUTPUT_RAW;
#ifndef SEQNN_HAVE_ONNX
    (void)opset;
    (void)fn;
    return seqnn_set_error(NULL, SEQNN_ERR_UNSUPPORTED, "%s: this libseqnn was built without ONNX (export needs "
                           "protobuf-c and onnx.proto at build time)", path);
#else
    const uint32_t one = 1;
    if (!opset)
        opset = OX_OPSET_DEFAULT;
    if (opset < OX_OPSET_MIN || opset > OX_OPSET_MAX)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s: opset %d (the exporter writes %d to %d)", path,
                               opset, OX_OPSET_MIN, OX_OPSET_MAX);
    if ((unsigned)fn > SEQNN_ONNX_OUTPUT_LOG_SOFTMAX)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s: unknown output function %d", path, (int)fn);
    if (!m->built)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s: the model is not built", path);
    if (*(const uint8_t *)&one != 1)
        return seqnn_set_error(NULL, SEQNN_ERR_UNSUPPORTED, "%s: ONNX's raw tensor data is little-endian; this "
                               "host is not", path);
    ox x = {.m = m, .opset = opset, .lengths = opts && opts->lengths};
    Onnx__ModelProto *mp = NULL;
    seqnn_status st = ox_model(&x, fn, &mp);
    if (st) {
        char why[768];
        snprintf(why, sizeof why, "%s", seqnn_last_error());
        st = seqnn_set_error(NULL, st, "%s: %s; nothing written", path, why);
    }
    size_t n = st ? 0 : onnx__model_proto__get_packed_size(mp);
    uint8_t *buf = st ? NULL : malloc(n ? n : 1);
    if (!st && !buf)
        st = seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "%s: out of memory", path);
    if (!st && onnx__model_proto__pack(mp, buf) != n)
        st = seqnn_set_error(NULL, SEQNN_ERR_INTERNAL, "%s: protobuf packing failed", path);
    if (!st)
        st = ox_write(path, buf, n);
    free(buf);
    ox_free(&x);
    return st;
#endif
}

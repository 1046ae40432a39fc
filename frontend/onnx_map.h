/* The ONNX importer's mapper, shared by its parts (frontend/onnx_map.c: the
 * values, glue, layer ops and the graph; onnx_map_attention.c; onnx_map_conv.c;
 * onnx_map_encdec.c; onnx_map_rnn.c): what each value of the graph is, the layers mapped so
 * far, and the helpers every part uses (om_: internal to the importer). */
#ifndef SEQNN_FRONTEND_ONNX_MAP_H
#define SEQNN_FRONTEND_ONNX_MAP_H

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
    V_UNUSABLE,    /* Y_c, Dropout's mask: nothing may read it */
    V_LENLIM,      /* lengths minus a convolution's width f (part 1: at least 0), rank 1 or 2 ([B, 1]) */
    V_WINMASK,     /* windows past V_LENLIM f of a convolution: Range(L) > lim, rank 2 or 3 ([B, 1, L]) */
    V_ENCATT,      /* a value inside encoder-decoder attention: stage (onnx_map_encdec.c), layer, f */
    V_MASK,        /* an attention mask or what makes one: stage MK_*, part 1 additive (0 / -inf), f heads
                      folded into its batch axis (0: none seen) */
    V_BCAST        /* rows [r0, r1) of constant t [rows, 1, H] over the batch: a learned initial state */
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

typedef enum { L_EMB, L_RNN, L_DENSE, L_ACT, L_CONV, L_ATTN, L_MERGE, L_ENCATT } lkind;

/* The stages of nn.MultiheadAttention's exported graph (self-attention,
 * torch 1.13): the in-projection [T, B, 3E] sliced into q, k, v, each
 * reshaped to [T, B*h, d] and transposed (k to [B*h, d, T]), q scaled by
 * 1/sqrt(d), q k -> scores, Softmax -> weights, weights v -> context
 * [B*h, T, d], transposed back, reshaped to [T*B, E], the output Gemm,
 * reshaped to [T, B, E]. */
enum { MS_PROJ, MS_SLICE, MS_HEADS, MS_BT, MS_KT, MS_SCORES, MS_WEIGHTS, MS_CTX, MS_CTX_T, MS_FLAT, MS_OUT,
       MS_OUT_MM, MS_QW, MS_KW, MS_ADD_Q, MS_ADD_K, MS_ADD_SUM, MS_ADD_TANH, MS_ADD_E };
/* seqnn export's form of the same (self-attention) differs in: one Split
 * into q, k, v, each reshaped by a constant [0, -1, d]; the scores (not q)
 * scaled by a Mul (scaled dot), or none (dot), or q W kᵀ (bilinear: MS_QW),
 * or v·tanh(q W_q + k W_k) (additive: MS_QW / MS_KW unsqueezed, summed,
 * Tanh, MatMul by v, squeezed); the context reshaped to [T, B, E] and
 * projected by MatMul (MS_OUT_MM) + Add. Masks (V_MASK) meet the scores. */

#define MAP_MAX_WIDTHS 16
#define MAP_MAX_INPUTS SEQNN_ONNX_MAX_INPUTS

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
    int masked;                          /* its windows past the lengths masked (Where) before the max */
    int src;                             /* the layer its input comes from (-1 - k: data input k) */
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
    int lens_ops;                        /* RNN: its ops that take sequence_lens; CONV, ENCATT: 1 when masked */
    int heads;                           /* ATTN (a = b = E) */
    size_t node_i;                       /* the node that made it */
    int n_widths;                        /* CONV: widths[], filters in b, act */
    int64_t widths[MAP_MAX_WIDTHS];
    int n_src, src[MAP_MAX_INPUTS];      /* what it reads: layers, or -1 - k: data input k */
    int stream;                          /* the data input whose steps its sequences have */
    char merge[12];                      /* MERGE: concat, add or multiply */
    int score;                           /* ATTN, ENCATT: the score (seqnn_score / xatt's) */
    int enc;                             /* ENCATT: the encoder's output layer (a: additive's A) */
    int reverse;                         /* RNN: one direction, run backwards (direction "reverse") */
    int causal;                          /* ATTN: causal mask (keys masked past the lengths: lens_ops) */
    int64_t attn_dim;                    /* ATTN: the additive score's size */
    int learned;                         /* RNN: learned initial states (constants over the batch) */
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
        double scale;                    /* the product of the scalings of q and the scores */
        int64_t hd, attn_dim;            /* the head size (0: not known yet), the additive score's size */
        int score;                       /* SEQNN_SCORE_DOT (q kᵀ, scaled or not), BILINEAR, ADDITIVE; -1 */
        const char *proj_in;             /* separate q, k, v projections: the value they read, */
        int proj_param;                  /* and the params of in_proj_weight (then in_proj_bias) */
        int64_t mask_heads;              /* the heads its key mask is folded for (V_MASK f), 0: none */
    } mha;
    mconv conv[MAP_MAX_WIDTHS];          /* the branches of the convolution bank being read */
    int n_conv;
    int time_label;                      /* AX_S0 or AX_S1 once a recurrent op saw time; -1 before */
    const char *loss;                    /* the model file's loss: seqnn.loss of the metadata, else xent */
    size_t node_i;                       /* the node being mapped */
    const Onnx__NodeProto *node;
    int next_src;                        /* what the next new layer reads (om_need_tail) */
    int n_data;                          /* data inputs */
    int in_tokens[MAP_MAX_INPUTS];       /* data input k: token ids */
    int64_t in_size[MAP_MAX_INPUTS];     /* data input k: the vocabulary (from its embedding) or features */
    int in_stream[MAP_MAX_INPUTS];       /* lengths input k: the data input it is of, -1: none yet */
    struct {                             /* the encoder-decoder attention being read */
        int active, q_layer, k_layer, masked;
        int score;                       /* 0 dot, 1 scaled_dot, 2 bilinear, 3 additive */
        int64_t d;                       /* per head */
        const Onnx__TensorProto *w[3], *wc, *bc;   /* bilinear W or additive W_q, W_k, w_v; the combine's */
    } xatt;
    int dec_input;                       /* an encoder-decoder's decoder tokens (a data input), -1: none */
} mapper;

/* ---------------------------------------- onnx_map.c: values and helpers --- */
extern _Thread_local seqnn_status om_map_status;
seqnn_status om_map_fail(seqnn_status st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
seqnn_status om_node_err(mapper *m, seqnn_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int64_t om_tensor_count(const Onnx__TensorProto *t);
float *om_tensor_floats(mapper *m, const Onnx__TensorProto *t, int64_t *count);
int om_tensor_int(const Onnx__TensorProto *t, int64_t i, int64_t *v);
int om_tensor_floats_one(const Onnx__TensorProto *t, float *v);
int om_tensor_all_zero(mapper *m, const Onnx__TensorProto *t);
mval *om_val_find(mapper *m, const char *name);
mval *om_in_val(mapper *m, size_t k, int required);
const Onnx__AttributeProto *om_attr(const Onnx__NodeProto *n, const char *name);
int64_t om_attr_i(const Onnx__NodeProto *n, const char *name, int64_t dflt);
double om_attr_f(const Onnx__NodeProto *n, const char *name, double dflt);
mval *om_out_val(mapper *m, size_t k, vkind kind);
mval *om_out_copy(mapper *m, size_t k, const mval *x);
seqnn_status om_copy_val(mapper *m, const mval *x);
seqnn_status om_param_add(mapper *m, const char *layer, const char *suffix, float *data, int64_t count);
void om_module_path(const char *n, char *out, size_t size);
mlayer *om_layer_new_at(mapper *m, lkind kind, const char *path, const char *dflt);
mlayer *om_layer_new(mapper *m, lkind kind, const char *dflt);
seqnn_status om_need_tail(mapper *m, const mval *v, int rank_lo, int rank_hi);
int64_t om_axis_arg(mapper *m, const char *name, int in_k, int64_t dflt);
int om_val_stream(const mapper *m, const mval *v);
int om_bind_lengths(mapper *m, int k, int stream);
const mval *om_where_neg_inf(mapper *m, int *neg_inf);

/* -------------------------------------- onnx_map_attention.c: attention --- */
extern const char om_MHA_HOW[];
seqnn_status om_mha_split(mapper *m, mval *x);
seqnn_status om_mha_begin(mapper *m, mval *x);
seqnn_status om_map_mha(mapper *m, const mval *x);
/* V_MASK stages: positions 0..n-1 along axis dir of rank axes; the lengths
 * of input in_k (broadcast; Expand(., [1, h]) folds h heads into the batch:
 * f = h); key after query (causal); key at or past the length of input in_k.
 * One chain serves self-attention (mask_apply) and encoder-decoder attention
 * (om_map_encatt_mask). */
enum { MK_POS, MK_LEN, MK_CAUSAL, MK_KEYS };
int om_map_mask(mapper *m, const mval *x, seqnn_status *st);
seqnn_status om_mask_keys_bind(mapper *m, const mval *mask, int stream, int64_t heads);
int om_attention_keys(const mlayer *l, char *out, size_t size);
int om_attn_projection(mapper *m, const mval *x, const mval *w, seqnn_status *st);

/* ---------------------------------- onnx_map_conv.c: convolution bank --- */
seqnn_status om_map_conv(mapper *m, const mval *x);
seqnn_status om_map_conv_act(mapper *m, const mval *x, const char *act);
seqnn_status om_map_max_over_time(mapper *m, const mval *x, int maxpool);
seqnn_status om_map_pool_squeeze(mapper *m, const mval *x);
seqnn_status om_conv_bank(mapper *m, const mval *const *parts, int n, mval *o);
seqnn_status om_map_window_limit(mapper *m, const mval *x);
seqnn_status om_map_window_mask(mapper *m, const mval *x);
seqnn_status om_map_window_where(mapper *m, const mval *x);

/* ---------------------- onnx_map_encdec.c: encoder-decoder attention --- */
int om_encatt_split(mapper *m, const mval *x);
seqnn_status om_map_encatt_split(mapper *m, const mval *x);
seqnn_status om_map_encatt(mapper *m, const mval *x);
seqnn_status om_map_encatt_mask(mapper *m, const mval *mask);

/* --------------------------------------- onnx_map_rnn.c: recurrent ops --- */
seqnn_status om_map_recurrent(mapper *m, const mval *x, int cell);
/* A constant initial state expanded (Expand, Tile) over the batch and its
 * rows (Slice): V_BCAST. 1 when the node was one of these (*st its status). */
int om_map_learned_state(mapper *m, const mval *x, seqnn_status *st);

#endif /* SEQNN_HAVE_ONNX */
#endif /* SEQNN_FRONTEND_ONNX_MAP_H */

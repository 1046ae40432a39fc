/* Internal declarations of the frontend (frontend/): the model structure,
 * device tensors owned by layers, parameters, and the layer interface every
 * layer kind implements (forward, backward through the kernel vtable only).
 * Not installed. */
#ifndef SEQNN_FRONTEND_FE_H
#define SEQNN_FRONTEND_FE_H

#include <stdint.h>
#include "internal.h"   /* seqnn_set_error, seqnn_log (backends/status.c) */
#include "seqnn/model.h"
#include "seqnn/seqnn.h"

#define FE_TRY(expr) do { seqnn_status fe_s_ = (expr); if (fe_s_ != SEQNN_OK) return fe_s_; } while (0)
#define FE_NAME 96
#define FE_MAX_FROM 8                    /* predecessors of one layer (merges) */
#define FE_MAX_INPUTS 8                  /* named inputs of a model */

/* A device tensor of rows x cols elements, rows contiguous (ld = cols). The
 * buffer grows on demand and is never shrunk. dtype F32 unless made I32. */
typedef struct fe_tensor {
    seqnn_buffer *buf;
    int64_t rows, cols;
    int64_t cap;                         /* elements allocated */
    seqnn_dtype dtype;
} fe_tensor;

/* ---- tensor.c */
/* Makes t at least rows*cols elements (contents kept only if it did not grow)
 * and sets its shape. */
seqnn_status fe_tensor_ensure(seqnn_model *m, fe_tensor *t, int64_t rows, int64_t cols);
seqnn_status fe_tensor_ensure_i32(seqnn_model *m, fe_tensor *t, int64_t rows, int64_t cols);
seqnn_status fe_tensor_zero(seqnn_model *m, fe_tensor *t);
void fe_tensor_free(seqnn_model *m, fe_tensor *t);
static inline seqnn_tref fe_at(const fe_tensor *t, int64_t off)
{
    seqnn_tref r;
    r.buf = t->buf;
    r.off = off;
    return r;
}

/* Shape of an activation: a sequence [T, B, n] (seq = 1, rows T*B, row
 * t*B + b) or a vector per sequence [B, n] (seq = 0), or token ids. */
typedef struct fe_shape {
    int seq;
    int tokens;                          /* int32 ids in [0, n) (n = vocab) */
    int64_t n;
} fe_shape;

/* Initialisers of a parameter (computed on the host from the model's seed). */
typedef enum fe_init {
    FE_INIT_ZERO = 0,
    FE_INIT_UNIFORM,                     /* U(-a, a) */
    FE_INIT_NORMAL,                      /* N(0, a^2) */
    FE_INIT_ORTHOGONAL,                  /* each [cols, cols] row block orthogonal, times a */
    FE_INIT_IDENTITY                     /* each [cols, cols] row block a*I */
} fe_init;

typedef struct fe_param {
    char name[FE_NAME];                  /* state_dict key */
    int ndim;
    int64_t shape[4];
    int64_t count;
    int64_t off;                         /* element offset in the flat parameter buffer */
    fe_init init;
    double a;
    int64_t zero_row;                    /* a row set to 0 after init (padding_idx), or -1 */
} fe_param;

typedef struct fe_layer fe_layer;

/* A node of the model's graph, what a layer reads: a layer (its index in
 * m->layers, >= 0), input k (FE_INPUT_NODE(k)) or the decoder's target tokens. */
#define FE_INPUT_NODE(k) (-1 - (k))
#define FE_DECODER_NODE (-1 - FE_MAX_INPUTS)

typedef struct fe_layer_ops {
    const char *kind;
    /* L->in is set: check it, set L->out, declare parameters (fe_param_add). */
    seqnn_status (*build)(seqnn_model *m, fe_layer *L);
    /* Computes L->y from x (the previous layer's output or the input). */
    seqnn_status (*forward)(seqnn_model *m, fe_layer *L, const fe_tensor *x, int train);
    /* From L->dy: writes dx (overwrites; NULL when the input needs no
     * gradient) and accumulates the parameter gradients. */
    seqnn_status (*backward)(seqnn_model *m, fe_layer *L, const fe_tensor *x, fe_tensor *dx);
    /* Frees the layer's private state (L->y, L->dy are freed by the model). */
    void (*destroy)(seqnn_model *m, fe_layer *L);
    /* Optional: zero the carried recurrent state. */
    seqnn_status (*reset_state)(seqnn_model *m, fe_layer *L);
    /* Optional (beam search, decode.c): the carried state's row b becomes
     * its row idx[b] for b < m->B (idx: device int32 [B], host_idx the same
     * on the host). */
    seqnn_status (*reorder_state)(seqnn_model *m, fe_layer *L, const fe_tensor *idx, const int32_t *host_idx);
    /* Merges (layers of several predecessors) instead of backward: from
     * L->dy, writes dx[k] (overwrites; NULL: no gradient) for each
     * predecessor k (their outputs: fe_node_output(m, L->from[k])). */
    seqnn_status (*backward_merge)(seqnn_model *m, fe_layer *L, fe_tensor *const *dx);
} fe_layer_ops;

/* The description of each layer kind: what seqnn_model_add_<kind> records. */
typedef struct fe_embedding_desc {
    int64_t dim;
    int32_t padding_idx;                 /* -1: none */
} fe_embedding_desc;

typedef struct fe_dense_desc {
    int64_t out;
} fe_dense_desc;

typedef struct fe_activation_desc {
    seqnn_act kind;
    double alpha;
} fe_activation_desc;

typedef struct fe_dropout_desc {
    double p;
    uint64_t rng_offset;                 /* run time: the Philox counter of the last forward */
} fe_dropout_desc;

#define FE_MAX_WIDTHS 8
typedef struct fe_conv1d_bank_desc {
    int64_t filters;
    int n_widths;
    int64_t widths[FE_MAX_WIDTHS];
    seqnn_act act;
    double alpha;                        /* leaky relu's slope (set by build) */
} fe_conv1d_bank_desc;

typedef struct fe_merge_desc {
    seqnn_merge kind;
} fe_merge_desc;

/* A model's input: token ids or feature vectors, each with its own steps
 * and lengths per batch. Input 0's batch lives in m->T, m->lengths,
 * m->in_tokens / m->in_features (what single-input code reads); the batch
 * fields here serve the inputs after it. */
typedef struct fe_input {
    char name[FE_NAME];
    fe_shape shape;                      /* seq = 1 */
    int line;                            /* model-file line that declared it (0: none) */
    int64_t T;                           /* the current batch (inputs 1..) */
    int32_t *lengths;                    /* host [B], NULL: all T */
    fe_tensor data;
} fe_input;

struct fe_layer {
    const fe_layer_ops *ops;
    char name[FE_NAME];
    int decoder;                         /* part of the decoder (encoder-decoder models) */
    int line;                            /* model-file line that declared it (0: none) */
    /* The graph: the nodes it reads (by default the node declared just
     * before it, so a stack is the graph where each layer reads the previous
     * one). Named predecessors are resolved into from[] by the build. */
    int n_from;
    int from[FE_MAX_FROM];
    int named;                           /* from_names holds the predecessors' names */
    char from_names[FE_MAX_FROM][FE_NAME];
    int stream;                          /* the input whose steps and lengths it runs over */
    int grad_ready;                      /* backward: dy holds this pass's gradient */
    fe_shape in, out;                    /* in: from[0]'s output */
    fe_tensor y, dy;                     /* output and its gradient */
    int64_t param0, nparams;             /* its parameters: m->params[param0 ..] */
    union {                              /* the description of its kind (ops says which) */
        fe_embedding_desc emb;
        fe_dense_desc dense;
        fe_activation_desc act;
        fe_dropout_desc drop;
        fe_conv1d_bank_desc conv;
        seqnn_recurrent_desc rnn;
        seqnn_attention_desc att;
        seqnn_tree_desc tree;
        fe_merge_desc merge;
    };
    void *priv;                          /* the kind's run-time state */
    uint32_t lstm_variant;               /* recurrent LSTM: SEQNN_LSTM_PEEPHOLE | SEQNN_LSTM_COUPLED */
    int64_t lstm_proj;                   /* recurrent LSTM: projection size P, 0 for none */
    int rnn_reverse;                     /* recurrent: one direction run backwards */
    int rnn_learned;                     /* recurrent: starts from learned h0 (c0) parameters */
};

typedef struct fe_optim_slot {
    const char *name;                    /* "exp_avg", ... (checkpoint suffix) */
    seqnn_buffer *buf;
} fe_optim_slot;

/* Cross-entropy's class weights (host copy, uploaded on first use) and
 * label smoothing; the per-row losses of the last evaluation (loss.c). */
typedef struct fe_xent_opts {
    float *weights;                      /* host [n_weights] or NULL */
    int64_t n_weights;
    double smoothing;
    fe_tensor wdev;                      /* the weights on the device (uploaded when stale) */
    int wdev_stale;
    fe_tensor losses;                    /* per-row losses [rows, 1] */
} fe_xent_opts;

/* A learning-rate schedule and its state (schedule.c). */
typedef struct fe_schedule {
    seqnn_lr_schedule desc;
    int set;                             /* a schedule is in force */
    double plateau_best;                 /* best validation loss so far (reduce-on-plateau) */
    int64_t plateau_bad;                 /* validations since the best */
    double plateau_scale;                /* the product of the reductions so far */
} fe_schedule;

struct seqnn_model {
    seqnn_context *ctx;
    int built;
    fe_shape input;                      /* the first input's shape (inputs[0].shape) */
    int has_input;
    fe_input inputs[FE_MAX_INPUTS];
    int n_inputs;
    int last_node;                       /* the node declared last (a new layer's default predecessor) */
    fe_layer *layers;                    /* in the order added; the last is the output */
    int n_layers, cap_layers;
    int *order;                          /* build: layer indices in topological order */
    int error_layer, error_input;        /* build: the layer or input a failure concerns, or -1 */
    fe_tensor gscratch[FE_MAX_FROM];     /* backward: gradients summed into a predecessor read twice */
    int decoder_start;                   /* index of the first decoder layer, or -1 */
    int64_t dec_vocab;
    seqnn_loss_kind loss;
    uint64_t seed;
    /* parameters: one flat buffer, gradients alongside */
    fe_param *params;
    int64_t n_params, cap_params, total;
    seqnn_buffer *pbuf, *gbuf;
    /* optimizer */
    seqnn_optim_desc optim;
    fe_optim_slot slots[3];
    int n_slots;
    int64_t step;
    /* the current batch */
    int64_t T, B, Tdec;
    int32_t *lengths, *dec_lengths;      /* host [B], NULL: all T */
    const int32_t *trees;                /* the batch's trees (tree layers), valid during the call that set it */
    fe_tensor in_tokens, in_features, dec_tokens, targets, values, scalars;
    int32_t *host_targets;               /* host scratch of the targets (ignored positions marked) */
    int64_t host_targets_cap;
    uint64_t dropout_counter;
    int stateful;
    int64_t state_batch;                 /* batch size of the carried state */
    fe_xent_opts xent;                   /* cross-entropy options (loss.c) */
    fe_schedule sched;                   /* learning-rate schedule (schedule.c) */
    /* incremental decoding (decode.c): the decoded stream's layers run a few
     * steps per forward, carrying their state (fe_decoding) */
    int decoding;
    int64_t decode_pos, decode_cap;      /* steps run before this forward; the most it will run */
    seqnn_plan_shape plan_shape;         /* the plan at build's batch (plan.c; 0: the default) */
    struct fe_dist *dist;                /* data-parallel training (dist.c), or NULL */
};

/* ---- model.c */
/* Declares a parameter of layer L named "<L->name>.<suffix>"; returns its index. */
int64_t fe_param_add(seqnn_model *m, fe_layer *L, const char *suffix, int ndim,
                     const int64_t *shape, fe_init init, double a);
static inline seqnn_tref fe_param_ref(const seqnn_model *m, int64_t i)
{
    seqnn_tref r;
    r.buf = m->pbuf;
    r.off = m->params[i].off;
    return r;
}
static inline seqnn_tref fe_grad_ref(const seqnn_model *m, int64_t i)
{
    seqnn_tref r;
    r.buf = m->gbuf;
    r.off = m->params[i].off;
    return r;
}
/* Steps and lengths of input k in the current batch. */
static inline int64_t fe_input_steps(const seqnn_model *m, int k)
{
    return k == 0 ? m->T : m->inputs[k].T;
}
static inline const int32_t *fe_input_lengths(const seqnn_model *m, int k)
{
    return k == 0 ? m->lengths : m->inputs[k].lengths;
}
/* Steps and lengths of the stream a layer reads (an input or the decoder). */
static inline int64_t fe_steps(const seqnn_model *m, const fe_layer *L)
{
    return L->decoder ? m->Tdec : fe_input_steps(m, L->stream);
}
static inline const int32_t *fe_lengths(const seqnn_model *m, const fe_layer *L)
{
    return L->decoder ? m->dec_lengths : fe_input_lengths(m, L->stream);
}
/* A graph node's output tensor, shape and name. */
const fe_tensor *fe_node_output(const seqnn_model *m, int node);
fe_shape fe_node_shape(const seqnn_model *m, int node);
const char *fe_node_name(const seqnn_model *m, int node);
/* Rows of an activation of shape s in layer L's stream. */
static inline int64_t fe_rows(const seqnn_model *m, const fe_layer *L, fe_shape s)
{
    return s.seq ? fe_steps(m, L) * m->B : m->B;
}
/* Checks a description as the build would (names, cycles, shapes) without
 * a context, leaving it a description; on failure m->error_layer or
 * m->error_input names the layer or input concerned (-1: none). */
seqnn_status fe_model_check(seqnn_model *m);
/* The encoder's last layer (encoder-decoder models), or NULL. */
fe_layer *fe_encoder_output(seqnn_model *m);
/* Whether layer L runs incrementally now: m is decoding and L is in the
 * decoded stream (a language model's layers, an encoder-decoder's decoder). */
static inline int fe_decoding(const seqnn_model *m, const fe_layer *L)
{
    return m->decoding && (L->decoder || m->decoder_start < 0);
}
/* dst[i, :] = src[idx[i], :] for i < n rows of dim floats (decode.c; dst
 * made n x dim). */
seqnn_status fe_gather_rows(seqnn_model *m, const fe_tensor *src, const fe_tensor *idx, int64_t n, int64_t dim,
                            fe_tensor *dst);

/* ---- optim.c (seqnn_optim_defaults, seqnn_model_set_optimizer too) */
/* One update of every parameter from m->gbuf by m->optim (step counts from 1). */
seqnn_status fe_optim_step(seqnn_model *m, int64_t step);

/* ---- train.c */
/* Forward, loss and backward of a batch (gradients in m->gbuf, no update). */
seqnn_status fe_loss_and_grad(seqnn_model *m, const seqnn_batch *b, int train, double *loss);

/* ---- plan.c */
/* At the end of build, on a chain: plans the model's calls and fails when a
 * call runs on no device (naming the layer, the kernel, each device's answer). */
seqnn_status fe_plan_at_build(seqnn_model *m);

/* ---- layer kinds (one file each) */
extern const fe_layer_ops fe_embedding_ops, fe_dense_ops, fe_activation_ops, fe_dropout_ops;
extern const fe_layer_ops fe_recurrent_ops, fe_conv1d_bank_ops, fe_attention_ops;
extern const fe_layer_ops fe_tree_ops;

/* ---- tree.c */
/* Checks a batch's trees and lengths for m's tree layers (SEQNN_OK when it has none). */
seqnn_status fe_tree_check_batch(const seqnn_model *m, const seqnn_batch *b);
extern const fe_layer_ops fe_merge_ops[SEQNN_MERGE_COUNT];   /* concat, add, multiply */

/* Checks a layer's input is a float sequence or vector (not token ids). */
seqnn_status fe_need_floats(const fe_layer *L);
/* Declares a parameter or fails (out of memory); *idx receives its index. */
seqnn_status fe_param_new(seqnn_model *m, fe_layer *L, const char *suffix, int ndim,
                          const int64_t *shape, fe_init init, double a, int64_t *idx);
/* Dropout seed of the model (dropout layers and between recurrent layers). */
static inline uint64_t fe_dropout_seed(const seqnn_model *m)
{
    return m->seed ^ 0xD50D0F7A11CE5EEDull;
}

/* ---- random numbers for initialisation and sampling (init.c) */
/* Uniform in (0, 1) and standard normal, from Philox keyed by seed at counter. */
double fe_uniform(uint64_t seed, uint64_t counter);
double fe_normal(uint64_t seed, uint64_t counter);
/* Fills host dst with the initial values of parameter p (index i). */
void fe_init_values(const fe_param *p, uint64_t seed, int64_t i, float *dst);

/* ---- loss.c */
/* 1 when cross-entropy runs through xent_ext (class weights or smoothing). */
int fe_xent_ext_active(const seqnn_model *m);
/* Cross-entropy of the last layer's output through xent_ext: the forward
 * writes loss (and the per-row losses, m->xent.losses, when per_row); the
 * backward writes dlogits (OVERWRITE), dloss 1. */
seqnn_status fe_xent_ext_forward(seqnn_model *m, seqnn_tref loss, int per_row);
seqnn_status fe_xent_ext_backward(seqnn_model *m, seqnn_tref dlogits);
/* Frees the cross-entropy options' host and device memory. */
void fe_loss_release(seqnn_model *m);

/* ---- schedule.c */
/* The learning rate of optimizer step `step` (from 1): m->optim.lr (the base)
 * shaped by the schedule, if any. */
double fe_schedule_lr(const seqnn_model *m, int64_t step);
/* The schedule and its state as one metadata line, and back (checkpoints). */
void fe_schedule_format(const seqnn_model *m, char *out, size_t size);
seqnn_status fe_schedule_parse(fe_schedule *out, const char *text, const char *path);
/* A loaded checkpoint's schedule: adopted when the model has none, its state
 * continued when the model has the same schedule; a model with another
 * schedule keeps it, afresh. */
void fe_schedule_restore(seqnn_model *m, const fe_schedule *saved);

#endif /* SEQNN_FRONTEND_FE_H */

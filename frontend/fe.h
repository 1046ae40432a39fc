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

struct fe_layer {
    const fe_layer_ops *ops;
    char name[FE_NAME];
    int decoder;                         /* part of the decoder (encoder-decoder models) */
    fe_shape in, out;
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
    };
    void *priv;                          /* the kind's run-time state */
    uint32_t lstm_variant;               /* recurrent LSTM: SEQNN_LSTM_PEEPHOLE | SEQNN_LSTM_COUPLED */
    int64_t lstm_proj;                   /* recurrent LSTM: projection size P, 0 for none */
};

typedef struct fe_optim_slot {
    const char *name;                    /* "exp_avg", ... (checkpoint suffix) */
    seqnn_buffer *buf;
} fe_optim_slot;

struct seqnn_model {
    seqnn_context *ctx;
    int built;
    fe_shape input;                      /* seq = 1; tokens or features */
    int has_input;
    fe_layer *layers;
    int n_layers, cap_layers;
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
    fe_tensor in_tokens, in_features, dec_tokens, targets, values, scalars;
    int32_t *host_targets;               /* host scratch of the targets (ignored positions marked) */
    int64_t host_targets_cap;
    uint64_t dropout_counter;
    int stateful;
    int64_t state_batch;                 /* batch size of the carried state */
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
/* Steps and lengths of the stream a layer reads (encoder or decoder). */
static inline int64_t fe_steps(const seqnn_model *m, const fe_layer *L)
{
    return L->decoder ? m->Tdec : m->T;
}
static inline const int32_t *fe_lengths(const seqnn_model *m, const fe_layer *L)
{
    return L->decoder ? m->dec_lengths : m->lengths;
}
/* Rows of an activation of shape s in layer L's stream. */
static inline int64_t fe_rows(const seqnn_model *m, const fe_layer *L, fe_shape s)
{
    return s.seq ? fe_steps(m, L) * m->B : m->B;
}
/* The encoder's last layer (encoder-decoder models), or NULL. */
fe_layer *fe_encoder_output(seqnn_model *m);

/* ---- optim.c (seqnn_optim_defaults, seqnn_model_set_optimizer too) */
/* One update of every parameter from m->gbuf by m->optim (step counts from 1). */
seqnn_status fe_optim_step(seqnn_model *m, int64_t step);

/* ---- train.c */
/* Forward, loss and backward of a batch (gradients in m->gbuf, no update). */
seqnn_status fe_loss_and_grad(seqnn_model *m, const seqnn_batch *b, int train, double *loss);

/* ---- layer kinds (one file each) */
extern const fe_layer_ops fe_embedding_ops, fe_dense_ops, fe_activation_ops, fe_dropout_ops;
extern const fe_layer_ops fe_recurrent_ops, fe_conv1d_bank_ops, fe_attention_ops;

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

#endif /* SEQNN_FRONTEND_FE_H */

/* seqnn frontend API: model descriptions (layers and their shapes), training
 * (BPTT and truncated BPTT, optimizers, clipping), inference and generation,
 * and checkpoints with PyTorch state_dict names.
 *
 * A model is described first (seqnn_model_input_*, seqnn_model_add_*), then
 * built on a context (seqnn_model_build): shapes are checked and inferred,
 * parameters allocated on the device and initialised from the seed. Every
 * computation after that goes through the context's plugin, one kernel of the
 * catalogue at a time; a model never touches device memory itself.
 *
 * Layouts follow PyTorch: sequences are time-major [T, B, F] (as nn.LSTM with
 * batch_first=False); parameters are named and shaped as the equivalent
 * nn.Module's state_dict (docs/models.md lists the names).
 *
 * Errors: every function returns a seqnn_status; seqnn_last_error() has the
 * message. A failed call leaves the model as it was: a training step that
 * fails (bad batch, a kernel error, a non-finite loss) changes neither the
 * parameters nor the optimizer state.
 */
#ifndef SEQNN_MODEL_H
#define SEQNN_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "seqnn/export.h"
#include "seqnn/seqnn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct seqnn_model seqnn_model;

/* ------------------------------------------------------------ describing --- */
SEQNN_API seqnn_status seqnn_model_create(seqnn_model **out);
SEQNN_API void seqnn_model_destroy(seqnn_model *m);

/* The input: token ids in [0, vocab) (time-major [T, B]), or feature vectors
 * ([T, B, dim]). Exactly one, before any layer. */
SEQNN_API seqnn_status seqnn_model_input_tokens(seqnn_model *m, int64_t vocab);
SEQNN_API seqnn_status seqnn_model_input_features(seqnn_model *m, int64_t dim);

/* Layers, applied in the order they are added. name is the layer's
 * state_dict prefix (NULL: the kind, numbered when repeated: "embedding",
 * "lstm", "fc", "fc1", ...); names are unique, of [A-Za-z0-9_.]. */

/* nn.Embedding(vocab, dim, padding_idx): tokens -> [T, B, dim]. padding_idx -1
 * for none; its row starts at zero and gets no gradient. */
SEQNN_API seqnn_status seqnn_model_add_embedding(seqnn_model *m, const char *name, int64_t dim,
                                                 int32_t padding_idx);
/* Initialises a built model's embedding (layer, or the first when NULL) from
 * pretrained vectors in word2vec or GloVe text format ("TOKEN v1 ... vD" per
 * line, an optional "COUNT D" first line): the row of tokens[i] (the model's
 * vocabulary, one string per row) gets that token's vector; other rows keep
 * their values. *found receives the rows replaced. Errors name file and line;
 * on error the embedding is unchanged. */
SEQNN_API seqnn_status seqnn_model_load_vectors(seqnn_model *m, const char *layer, const char *path,
                                                const char *const *tokens, int64_t n_tokens, int64_t *found);
/* nn.Linear(in, out) over the last dimension: [..., in] -> [..., out]. */
SEQNN_API seqnn_status seqnn_model_add_dense(seqnn_model *m, const char *name, int64_t out);
/* An element-wise activation (alpha: leaky relu's slope). */
SEQNN_API seqnn_status seqnn_model_add_activation(seqnn_model *m, seqnn_act act, double alpha);
/* nn.Dropout(p): active during training only. */
SEQNN_API seqnn_status seqnn_model_add_dropout(seqnn_model *m, double p);

/* Initialisation of recurrent weights. DEFAULT is PyTorch's (every weight and
 * bias U(-1/sqrt(H), 1/sqrt(H))); XAVIER: Glorot-uniform weights, zero biases;
 * ORTHOGONAL: orthogonal W_hh blocks (Saxe et al.), Xavier W_ih, zero biases;
 * IDENTITY: W_hh = I (IRNN, Le et al. 2015; for RNN_RELU), small W_ih, zero biases. */
typedef enum seqnn_init {
    SEQNN_INIT_DEFAULT = 0,
    SEQNN_INIT_XAVIER,
    SEQNN_INIT_ORTHOGONAL,
    SEQNN_INIT_IDENTITY,
    SEQNN_INIT_COUNT
} seqnn_init;

/* nn.RNN / nn.LSTM / nn.GRU(input, hidden, num_layers, dropout, bidirectional):
 * [T, B, F] -> [T, B, dirs*H], or with last = 1 -> [B, dirs*H], the final
 * state of the top layer (forward direction's then reverse direction's, as
 * torch.cat((h_n[-2], h_n[-1]), 1)): many-to-one. Variable lengths (a batch's
 * lengths) are honoured as packed sequences. */
typedef struct seqnn_recurrent_desc {
    seqnn_cell cell;
    int64_t hidden;                      /* H >= 1 */
    int64_t layers;                      /* >= 1 */
    int bidirectional;
    double dropout;                      /* between layers, training only */
    int last;                            /* 1: output the final state only */
    seqnn_init init;
} seqnn_recurrent_desc;
SEQNN_API seqnn_status seqnn_model_add_recurrent(seqnn_model *m, const char *name,
                                                 const seqnn_recurrent_desc *d);
/* Shorthands: default init, sequence output (last = 0). */
SEQNN_API seqnn_status seqnn_model_add_lstm(seqnn_model *m, const char *name, int64_t hidden, int64_t layers,
                                            int bidirectional, double dropout);
SEQNN_API seqnn_status seqnn_model_add_gru(seqnn_model *m, const char *name, int64_t hidden, int64_t layers,
                                           int bidirectional, double dropout);
SEQNN_API seqnn_status seqnn_model_add_rnn(seqnn_model *m, const char *name, int64_t hidden, int64_t layers,
                                           int bidirectional, double dropout);
/* An LSTM variant (docs/models.md): d as seqnn_model_add_recurrent with cell
 * SEQNN_CELL_LSTM, and variant = SEQNN_LSTM_PEEPHOLE | SEQNN_LSTM_COUPLED
 * (peepholes from the cell state into i, f, o; f = 1 - i) or 0, proj_size 0
 * or in [1, hidden) (nn.LSTM's proj_size: h = W_hr (o*tanh(c)), output
 * [T, B, dirs*P]). Parameters per layer k (and _reverse) as nn.LSTM:
 * weight_ih_lk [G*H, in], weight_hh_lk [G*H, R], bias_ih_lk, bias_hh_lk
 * [G*H] (G = 4, coupled 3: i, g, o; R = P or H), weight_hr_lk [P, H] with a
 * projection, then weight_peephole_lk [3, H] (rows i, f, o; coupled [2, H]:
 * i, o) with peepholes. */
SEQNN_API seqnn_status seqnn_model_add_lstm_variant(seqnn_model *m, const char *name, const seqnn_recurrent_desc *d,
                                                    uint32_t variant, int64_t proj_size);

/* Kim (2014) convolution bank over a sequence [T, B, E]: one nn.Conv1d(E,
 * filters, width) per width, activation, max over time, concatenated ->
 * [B, n_widths * filters]. Parameters "<name>.<i>.weight/bias" (an
 * nn.ModuleList of nn.Conv1d named name). */
SEQNN_API seqnn_status seqnn_model_add_conv1d_bank(seqnn_model *m, const char *name, int64_t filters,
                                                   int n_widths, const int64_t *widths, seqnn_act act);

/* Attention. Self-attention (encoder = 0): multi-head over the sequence
 * [T, B, E] -> [T, B, E] as nn.MultiheadAttention(E, heads) ("in_proj_weight",
 * "in_proj_bias", "out_proj.weight", "out_proj.bias"), causal optional.
 * Encoder-decoder (encoder = 1, in a decoder): the decoder's states [T', B, D]
 * are queries over the encoder's outputs (keys = values); the output is
 * tanh(W_c [context; state] + b_c) [T', B, D] (Luong et al. 2015), with the chosen
 * score (BILINEAR/ADDITIVE have their parameters, heads == 1). */
typedef struct seqnn_attention_desc {
    seqnn_score score;
    int64_t heads;                       /* >= 1 */
    int causal;                          /* self-attention only */
    int encoder;                         /* 1: attend over the encoder */
    int64_t attn_dim;                    /* ADDITIVE's A (0: the query size) */
} seqnn_attention_desc;
SEQNN_API seqnn_status seqnn_model_add_attention(seqnn_model *m, const char *name,
                                                 const seqnn_attention_desc *d);

/* Encoder-decoder models: the layers added so far are the encoder, those
 * added after this call the decoder, whose input is target tokens in
 * [0, vocab) (teacher forcing while training). */
SEQNN_API seqnn_status seqnn_model_begin_decoder(seqnn_model *m, int64_t vocab);

/* The target id XENT ignores (PyTorch's ignore_index default): a target equal
 * to it is neither counted in the mean nor given a gradient (padding, steps
 * past a sequence's end). */
#define SEQNN_IGNORE_INDEX (-100)

/* The loss on the last layer's output: XENT (softmax cross-entropy on logits;
 * targets are class ids, SEQNN_IGNORE_INDEX ignored), MSE or BCE (with logits;
 * targets are values shaped like the output). Default XENT. */
typedef enum seqnn_loss_kind {
    SEQNN_LOSS_XENT = 0,
    SEQNN_LOSS_MSE,
    SEQNN_LOSS_BCE,
    SEQNN_LOSS_COUNT
} seqnn_loss_kind;
SEQNN_API seqnn_status seqnn_model_set_loss(seqnn_model *m, seqnn_loss_kind loss);
SEQNN_API seqnn_loss_kind seqnn_model_loss(const seqnn_model *m);

/* Checks and infers every shape, allocates and initialises the parameters on
 * ctx (which must outlive the model) from seed. Nothing can be added after. */
SEQNN_API seqnn_status seqnn_model_build(seqnn_model *m, seqnn_context *ctx, uint64_t seed);

/* One line per layer: name, kind, output shape, parameter count. */
SEQNN_API seqnn_status seqnn_model_summary(const seqnn_model *m, char *out, size_t size);
/* Output shape of the model: sequence (1: [T, B, n]) or vector (0: [B, n]). */
SEQNN_API seqnn_status seqnn_model_output_shape(const seqnn_model *m, int *sequence, int64_t *n);

/* ----------------------------------------------------------- parameters --- */
SEQNN_API int64_t seqnn_model_param_count(const seqnn_model *m);       /* tensors */
SEQNN_API int64_t seqnn_model_param_total(const seqnn_model *m);       /* scalars */
typedef struct seqnn_param_info {
    const char *name;                    /* state_dict key */
    int ndim;
    int64_t shape[4];
    int64_t count;
} seqnn_param_info;
SEQNN_API seqnn_status seqnn_model_param(const seqnn_model *m, int64_t i, seqnn_param_info *out);
/* Host copies of parameter i (count elements) in and out. */
SEQNN_API seqnn_status seqnn_model_param_read(seqnn_model *m, int64_t i, float *dst, int64_t count);
SEQNN_API seqnn_status seqnn_model_param_write(seqnn_model *m, int64_t i, const float *src, int64_t count);

/* ------------------------------------------------------------- training --- */
typedef enum seqnn_optim_kind {
    SEQNN_OPTIM_SGD = 0,                 /* with momentum / Nesterov */
    SEQNN_OPTIM_RMSPROP,
    SEQNN_OPTIM_ADAM,                    /* decoupled = 1: AdamW */
    SEQNN_OPTIM_ADAGRAD,
    SEQNN_OPTIM_COUNT
} seqnn_optim_kind;

typedef struct seqnn_optim_desc {
    seqnn_optim_kind kind;
    double lr;
    double momentum, dampening;          /* SGD, RMSprop (momentum) */
    int nesterov;                        /* SGD */
    double alpha;                        /* RMSprop smoothing */
    int centered;                        /* RMSprop */
    double beta1, beta2;                 /* Adam */
    int decoupled, amsgrad;              /* Adam */
    double lr_decay;                     /* Adagrad */
    double eps;
    double weight_decay;                 /* L2 (AdamW: decoupled) */
    double clip_norm;                    /* > 0: clip the global gradient norm */
} seqnn_optim_desc;

/* torch.optim's defaults for kind (lr: SGD 0.01, RMSprop 0.01, Adam 0.001,
 * Adagrad 0.01); clip_norm 0. */
SEQNN_API seqnn_optim_desc seqnn_optim_defaults(seqnn_optim_kind kind);
/* Sets the optimizer (resets its state). Default: Adam's defaults. */
SEQNN_API seqnn_status seqnn_model_set_optimizer(seqnn_model *m, const seqnn_optim_desc *o);

/* A batch, host arrays, time-major. T = seq_len, B = batch. */
typedef struct seqnn_batch {
    int64_t seq_len, batch;
    const int32_t *tokens;               /* [T, B] token input */
    const float *features;               /* [T, B, dim] feature input */
    const int32_t *lengths;              /* [B] valid steps (<= T), or NULL: all T */
    const int32_t *targets;              /* XENT: [T', B] (sequence outputs) or [B]; SEQNN_IGNORE_INDEX: ignored */
    const float *values;                 /* MSE/BCE: shaped like the output */
    int64_t dec_len;                     /* encoder-decoder: T' */
    const int32_t *dec_tokens;           /* [T', B] decoder input (teacher forcing) */
    const int32_t *dec_lengths;          /* [B] or NULL */
} seqnn_batch;

typedef struct seqnn_step_result {
    double loss;                         /* mean over counted targets */
    int64_t count;                       /* targets counted (XENT: not ignored) */
    int64_t correct;                     /* XENT: argmax == target */
    double grad_norm;                    /* training: global norm before clipping */
} seqnn_step_result;

/* Forward, loss, backward (BPTT through the whole batch), clipping and one
 * optimizer step. Dropout is active. */
SEQNN_API seqnn_status seqnn_model_train_step(seqnn_model *m, const seqnn_batch *b, seqnn_step_result *r);
/* Forward and loss without dropout or any update. */
SEQNN_API seqnn_status seqnn_model_evaluate(seqnn_model *m, const seqnn_batch *b, seqnn_step_result *r);
/* Forward (no dropout); copies the last layer's output (logits for XENT)
 * into out, count elements (T*B*n or B*n). */
SEQNN_API seqnn_status seqnn_model_predict(seqnn_model *m, const seqnn_batch *b, float *out, int64_t count);

/* Truncated BPTT: while stateful, recurrent layers start each batch from the
 * final state of the previous one (gradients stop at the batch boundary).
 * The batch size must stay the same; reset_state zeroes the state. */
SEQNN_API seqnn_status seqnn_model_set_stateful(seqnn_model *m, int stateful);
SEQNN_API seqnn_status seqnn_model_reset_state(seqnn_model *m);

/* Attention weights of the last forward of attention layer `layer` (by
 * name; NULL: the first attention layer): [B, heads, T_q, T_k]. */
SEQNN_API seqnn_status seqnn_model_attention_weights(seqnn_model *m, const char *layer, float *out,
                                                     int64_t count, int64_t dims[4]);

/* ----------------------------------------------------------- generation --- */
/* Language models: feeds prime[0..n_prime) then samples n tokens from
 * softmax(logits / temperature) (temperature 0: argmax), each fed back.
 * Runs with batch 1; the recurrent state is reset before and after. */
SEQNN_API seqnn_status seqnn_model_generate(seqnn_model *m, const int32_t *prime, int64_t n_prime,
                                            int64_t n, double temperature, uint64_t seed, int32_t *out);
/* Encoder-decoder: greedy decoding of one source sequence, starting from bos,
 * until eos or max_len tokens; *out_len receives the number written (eos not
 * included). */
SEQNN_API seqnn_status seqnn_model_translate(seqnn_model *m, const int32_t *src, int64_t src_len,
                                             int32_t bos, int32_t eos, int64_t max_len, int32_t *out,
                                             int64_t *out_len);

/* ---------------------------------------------------------- checkpoints --- */
/* Writes parameters (state_dict names) and, with optimizer = 1, the optimizer
 * state ("optim.<param>.<slot>") and its step, plus metadata entries (NULL-
 * terminated key, value pairs, may be NULL) as safetensors, atomically. */
SEQNN_API seqnn_status seqnn_model_save(seqnn_model *m, const char *path, int optimizer,
                                        const char *const *metadata);
/* Loads parameters (every one must be present with its shape; extra tensors
 * are an error unless they are optimizer state) and the optimizer state when
 * present. On error the model is unchanged. */
SEQNN_API seqnn_status seqnn_model_load(seqnn_model *m, const char *path);
/* Optimizer steps taken so far. */
SEQNN_API int64_t seqnn_model_step_count(const seqnn_model *m);

#ifdef __cplusplus
}
#endif

#endif /* SEQNN_MODEL_H */

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
 * ([T, B, dim]). A model of one input declares it with these, before any
 * layer; the input is named "input". */
SEQNN_API seqnn_status seqnn_model_input_tokens(seqnn_model *m, int64_t vocab);
SEQNN_API seqnn_status seqnn_model_input_features(seqnn_model *m, int64_t dim);

/* Graphs. A model may have several named inputs (up to 8), each a sequence
 * with its own steps and lengths per batch (seqnn_batch_input), declared in
 * the order the batch gives them. Names share one space with the layers'. */
SEQNN_API seqnn_status seqnn_model_add_input_tokens(seqnn_model *m, const char *name, int64_t vocab);
SEQNN_API seqnn_status seqnn_model_add_input_features(seqnn_model *m, const char *name, int64_t dim);

/* The inputs declared so far, in order: name, token ids (tokens = 1, n the
 * vocabulary) or features (tokens = 0, n the dimension). */
typedef struct seqnn_input_info {
    const char *name;
    int tokens;
    int64_t n;
} seqnn_input_info;
SEQNN_API int seqnn_model_input_count(const seqnn_model *m);
SEQNN_API seqnn_status seqnn_model_input_info(const seqnn_model *m, int k, seqnn_input_info *out);

/* Layers. Each layer reads the node (input or layer) declared just before
 * it, so layers added one after another form a stack; seqnn_model_set_from
 * makes a layer read named nodes instead. name is the layer's state_dict
 * prefix (NULL: the kind, numbered when repeated: "embedding", "lstm", "fc",
 * "fc1", ...); names are unique, of [A-Za-z0-9_.]. The last layer added is
 * the model's output; every other layer must lead to it. */

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
/* A recurrent layer of one direction run from its last step to its first
 * (ONNX's direction "reverse"; with last = 1 the final state is the one after
 * step 0): d as seqnn_model_add_recurrent, bidirectional 0. Parameters as a
 * forward layer's. */
SEQNN_API seqnn_status seqnn_model_add_recurrent_reverse(seqnn_model *m, const char *name,
                                                         const seqnn_recurrent_desc *d);

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

/* Recursive network: a sequence [T, B, E] whose first lengths[b] positions
 * are the leaves, in order, of a binary tree per sequence (the batch's trees,
 * or a balanced tree), composed bottom-up by one shared cell. Output: the
 * root's vector [B, H] (nodes = 0), or every node's, [T, B, 2H] (nodes = 1):
 * position t holds leaf t's vector, then that of the internal node whose left
 * subtree ends at leaf t (that half zero at t = lengths[b] - 1; both halves
 * zero past the sequence).
 *   TANH (Socher et al. 2011): leaf h = tanh(W_l x + b_l); node h =
 *     tanh(W [h_left; h_right] + b). W_l [H, E], W [H, 2H].
 *   LSTM (Tai et al. 2015, binary N-ary Tree-LSTM, a forget gate per child):
 *     leaf i, o, u = sig, sig, tanh (W_l x + b_l); c = i*u; h = o*tanh(c)
 *     node i, f_left, f_right, o, u = sig, sig, sig, sig, tanh (W [h_left; h_right] + b);
 *     c = i*u + f_left*c_left + f_right*c_right; h = o*tanh(c). W_l [3H, E], W [5H, 2H].
 * Parameters "<name>.leaf.weight", "<name>.leaf.bias", "<name>.node.weight",
 * "<name>.node.bias" (gate blocks in the order above), initialised U(-1/sqrt(H),
 * 1/sqrt(H)) as nn.LSTM. Trees come with each batch (seqnn_batch.trees); every
 * sequence needs lengths[b] >= 1. Not in a model with a decoder. */
typedef enum seqnn_tree_cell {
    SEQNN_TREE_TANH = 0,
    SEQNN_TREE_LSTM,
    SEQNN_TREE_CELL_COUNT
} seqnn_tree_cell;
typedef struct seqnn_tree_desc {
    seqnn_tree_cell cell;
    int64_t hidden;                      /* H >= 1 */
    int nodes;                           /* 1: every node's vector [T, B, 2H]; 0: the root's [B, H] */
} seqnn_tree_desc;
SEQNN_API seqnn_status seqnn_model_add_tree(seqnn_model *m, const char *name, const seqnn_tree_desc *d);
/* The predecessors of layer `layer` (NULL: the last one added): from is a
 * comma-separated list of input and layer names ("frames", "q,s"), resolved
 * when the model is built (a name may refer to a node added later; unknown
 * names and cycles fail the build, naming the layer). Every layer but a
 * merge reads exactly one node. A node read by several layers (fan-out) gets
 * the sum of their gradients. */
SEQNN_API seqnn_status seqnn_model_set_from(seqnn_model *m, const char *layer, const char *from);

/* Merges of two or more nodes (from as above; no parameters): CONCAT joins
 * the last dimension ([..., n1] and [..., n2] -> [..., n1 + n2], torch.cat(
 * (a, b), -1)), ADD and MUL are element-wise over nodes of one shape.
 * Sequences merge only with sequences of the same input (the same steps);
 * vectors ([B, n], e.g. a recurrent layer's last = 1) with vectors. */
typedef enum seqnn_merge {
    SEQNN_MERGE_CONCAT = 0,
    SEQNN_MERGE_ADD,
    SEQNN_MERGE_MUL,
    SEQNN_MERGE_COUNT
} seqnn_merge;
SEQNN_API seqnn_status seqnn_model_add_merge(seqnn_model *m, const char *name, seqnn_merge kind,
                                             const char *from);

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

/* The data of one input of a batch (models of several inputs). */
typedef struct seqnn_batch_input {
    int64_t seq_len;                     /* T of this input */
    const int32_t *tokens;               /* [T, B] (a token input) */
    const float *features;               /* [T, B, dim] (a feature input) */
    const int32_t *lengths;              /* [B] valid steps (<= T), or NULL: all T */
} seqnn_batch_input;

/* A batch, host arrays, time-major. T = seq_len, B = batch. A model of one
 * input reads seq_len, tokens or features, and lengths; a model of several
 * reads inputs[0 .. n_inputs) instead (one per input, in the order they were
 * declared; seq_len, tokens, features and lengths stay 0/NULL). Fields are
 * only ever appended: a batch zero-initialised ({0} or memset) before its
 * fields are set stays valid as the struct grows. */
typedef struct seqnn_batch {
    int64_t seq_len, batch;
    const int32_t *tokens;               /* [T, B] token input */
    const float *features;               /* [T, B, dim] feature input */
    const int32_t *lengths;              /* [B] valid steps (<= T), or NULL: all T */
    const int32_t *targets;              /* XENT: [T', B] (sequence outputs: T' the steps of the input the
                                            output runs over) or [B]; SEQNN_IGNORE_INDEX: ignored */
    const float *values;                 /* MSE/BCE: shaped like the output */
    int64_t dec_len;                     /* encoder-decoder: T' */
    const int32_t *dec_tokens;           /* [T', B] decoder input (teacher forcing) */
    const int32_t *dec_lengths;          /* [B] or NULL */
    /* Tree layers: [B, 2*(T-1)], or NULL (every tree balanced). Row b holds the
     * binary tree over the n = lengths[b] leaves of sequence b: node ids 0..n-1
     * are the leaves (positions), n+k is internal node k (k = 0..n-2), whose
     * children are trees[b*2*(T-1) + 2k] (left) and [.. + 2k + 1] (right); a
     * child's id is below its parent's, the left child's leaves immediately
     * precede the right child's, so the root n+n-2 spans all n. A row whose first
     * entry is -1 is balanced: the left subtree takes the first ceil(n/2)
     * leaves, recursively. Read by tree layers only; other models ignore it. */
    const int32_t *trees;
    int n_inputs;                        /* models of several inputs: entries of inputs */
    const seqnn_batch_input *inputs;     /* [n_inputs] */
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
/* Initial states (PyTorch's h0, c0) of recurrent layer `layer` (by name;
 * NULL: the first) for the next forward of a batch of `batch` sequences:
 * h [layers*dirs, batch, R] and, for an LSTM, c [layers*dirs, batch, H]
 * (NULL: zeros), host arrays in nn.LSTM's order (layer k's forward then
 * reverse direction). Makes the model stateful (seqnn_model_set_stateful),
 * so the forward after that starts from where this one ended; set the state
 * again, or reset it, before a batch that should not. Other recurrent
 * layers start from zeros. */
SEQNN_API seqnn_status seqnn_model_set_state(seqnn_model *m, const char *layer, int64_t batch, const float *h,
                                             const float *c);
/* Learned initial states: recurrent layer `layer` (by name; NULL: the last
 * one added), not yet built, gets parameters "<layer>.h0" [layers*dirs, R]
 * and, for an LSTM, "<layer>.c0" [layers*dirs, H] (PyTorch's h0, c0 without
 * the batch axis; zeros at first), broadcast over the batch whenever a
 * forward does not start from a carried state, and trained like the weights
 * (their gradient is the initial-state gradient summed over the batch).
 * seqnn_model_set_state refuses such a layer. */
SEQNN_API seqnn_status seqnn_model_set_learned_state(seqnn_model *m, const char *layer);

/* Attention weights of the last forward of attention layer `layer` (by
 * name; NULL: the first attention layer): [B, heads, T_q, T_k]. */
SEQNN_API seqnn_status seqnn_model_attention_weights(seqnn_model *m, const char *layer, float *out,
                                                     int64_t count, int64_t dims[4]);

/* ----------------------------------------------------------- generation --- */
/* Decoding: a language model continues a prime; an encoder-decoder model
 * decodes a source starting from its prime (usually <bos> alone).
 * Incremental: the encoder runs once, then the decoder (or language model)
 * runs one step per token carrying its state (recurrent h and c, causal
 * self-attention's keys and values). */
typedef struct seqnn_decode_config {
    double temperature;                  /* 0: the argmax (greedy); else sample softmax(logits / temperature) */
    int64_t top_k;                       /* sampling: among the top_k likeliest tokens only; 0: all */
    double top_p;                        /* sampling: then the smallest set with probability >= top_p; 1: all */
    int64_t beam;                        /* > 1: beam search over that many hypotheses (<= 256; no sampling) */
    double length_alpha;                 /* beam: hypotheses ranked by log p / (tokens incl. eos)^alpha */
    uint64_t seed;                       /* sampling: the Philox key of the draws */
    int32_t eos;                         /* decoding stops at this token (not output); -1: none */
    /* Called with each token as it is chosen (beam search: the best
     * hypothesis's tokens once it is complete); nonzero stops decoding. */
    int (*on_token)(void *user, int32_t token);
    void *user;
} seqnn_decode_config;

/* Greedy, no beam, top_p 1, length_alpha 1, eos -1, no callback. */
SEQNN_API void seqnn_decode_defaults(seqnn_decode_config *c);
/* Decodes up to max_len (<= 2^20) tokens after prime[0..n_prime) into out;
 * *out_len receives how many (eos not included), *logprob (may be NULL) the
 * model's log-probability of them and of the eos that ended them (natural
 * log, temperature 1). src: the encoder-decoder's source, NULL (src_len 0)
 * for a language model. The recurrent state is reset before and after. */
SEQNN_API seqnn_status seqnn_model_decode(seqnn_model *m, const int32_t *src, int64_t src_len,
                                          const int32_t *prime, int64_t n_prime, int64_t max_len,
                                          const seqnn_decode_config *c, int32_t *out, int64_t *out_len,
                                          double *logprob);
/* Language models: feeds prime[0..n_prime) then samples n tokens from
 * softmax(logits / temperature) (temperature 0: argmax), each fed back
 * (seqnn_model_decode with batch 1). */
SEQNN_API seqnn_status seqnn_model_generate(seqnn_model *m, const int32_t *prime, int64_t n_prime,
                                            int64_t n, double temperature, uint64_t seed, int32_t *out);
/* Encoder-decoder: greedy decoding of one source sequence, starting from bos,
 * until eos or max_len tokens; *out_len receives the number written (eos not
 * included). Attention weights afterwards are those of the last step. */
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

/* ------------------------------------------------ cross-entropy options --- */
/* torch.nn.CrossEntropyLoss(weight, label_smoothing) for XENT models: class
 * weights (n == the output size, each finite and >= 0; NULL/0: none) scale
 * each target's term, and the mean divides by the sum of the counted
 * targets' weights; smoothing in [0, 1] mixes the one-hot target with the
 * uniform distribution, combined with the weights as PyTorch 1.13 does.
 * Either needs a plugin with the xent_ext kernels (ABI 1.2); without them a
 * step fails with SEQNN_ERR_UNSUPPORTED rather than train unweighted.
 * Before or after build; the weights are copied. */
typedef struct seqnn_xent_options {
    const float *class_weights;          /* [n_weights] or NULL */
    int64_t n_weights;
    double label_smoothing;              /* 0: none */
} seqnn_xent_options;
SEQNN_API seqnn_status seqnn_model_set_xent_options(seqnn_model *m, const seqnn_xent_options *o);

/* seqnn_model_evaluate, and the loss of every target (reduction='none'):
 * losses[i] for targets[i] of the batch (count: T'*B for sequence outputs,
 * B otherwise), 0 where the target is ignored. XENT models only. */
SEQNN_API seqnn_status seqnn_model_evaluate_losses(seqnn_model *m, const seqnn_batch *b, seqnn_step_result *r,
                                                   float *losses, int64_t count);

/* ------------------------------------------------- learning-rate schedules --- */
/* The learning rate of optimizer step n (from 1) is the optimizer's lr (the
 * base) times a warm-up factor and a decay:
 * - warm-up (any kind): for n <= warmup_steps the factor is warmup_start +
 *   (1 - warmup_start) * (n - 1) / warmup_steps (torch LinearLR), then 1;
 *   decay counts s = n - warmup_steps from 1 after it.
 * - CONSTANT: no decay.  STEP: gamma^floor((s - 1) / step_size) (StepLR).
 * - COSINE: min_lr + (base - min_lr) (1 + cos(pi * min(s - 1, cosine_steps) /
 *   cosine_steps)) / 2 (CosineAnnealingLR with eta_min, held at min_lr after).
 * - PLATEAU: times factor each time `patience` validations in a row
 *   (seqnn_model_report_validation) did not improve on the best by more than
 *   threshold (relative), never below min_lr (ReduceLROnPlateau, mode min).
 * The schedule and its state (plateau counters) are saved in checkpoints
 * with the optimizer state (the step count already is); seqnn_model_load
 * adopts the saved schedule when the model has none and continues its state
 * when the model has the same schedule (a model with another keeps its own,
 * from a fresh state). */
typedef enum seqnn_lr_kind {
    SEQNN_LR_CONSTANT = 0,
    SEQNN_LR_STEP,
    SEQNN_LR_COSINE,
    SEQNN_LR_PLATEAU,
    SEQNN_LR_COUNT
} seqnn_lr_kind;

typedef struct seqnn_lr_schedule {
    seqnn_lr_kind kind;
    int64_t warmup_steps;                /* 0: no warm-up */
    double warmup_start;                 /* warm-up factor at step 1, in [0, 1] */
    int64_t step_size;                   /* STEP: steps per decay (>= 1) */
    double gamma;                        /* STEP: factor per decay, in (0, 1] */
    int64_t cosine_steps;                /* COSINE: decay length after warm-up (>= 1) */
    double min_lr;                       /* COSINE floor; PLATEAU floor */
    double factor;                       /* PLATEAU: in (0, 1) */
    int64_t patience;                    /* PLATEAU: validations without improvement (>= 0) */
    double threshold;                    /* PLATEAU: relative improvement that counts (>= 0) */
} seqnn_lr_schedule;

/* Defaults of kind: warm-up none (start 0), step_size 1000, gamma 0.1,
 * cosine_steps 10000, min_lr 0, factor 0.1, patience 10, threshold 1e-4
 * (PyTorch's for the scheduler). */
SEQNN_API seqnn_lr_schedule seqnn_lr_schedule_defaults(seqnn_lr_kind kind);
/* A schedule from its text form, "KIND key=value ...": KIND constant, step,
 * cosine or plateau, keys warmup, warmup_start, step_size, gamma,
 * cosine_steps, min_lr, factor, patience, threshold (those that apply to
 * KIND), e.g. "cosine warmup=500 cosine_steps=20000 min_lr=1e-5"; the rest
 * defaults. The model file's `schedule` line takes the same words. */
SEQNN_API seqnn_status seqnn_lr_schedule_parse(const char *spec, seqnn_lr_schedule *out);
/* Sets the schedule (NULL: none); its plateau state starts afresh. The
 * optimizer state is kept. */
SEQNN_API seqnn_status seqnn_model_set_lr_schedule(seqnn_model *m, const seqnn_lr_schedule *s);
/* The learning rate the next optimizer step will use. */
SEQNN_API double seqnn_model_learning_rate(const seqnn_model *m);
/* Sets the base learning rate (the optimizer's lr) without resetting the
 * optimizer's state or step count, unlike seqnn_model_set_optimizer. */
SEQNN_API seqnn_status seqnn_model_set_learning_rate(seqnn_model *m, double lr);
/* Tells a PLATEAU schedule one validation loss (other kinds ignore it);
 * *reduced (may be NULL) receives 1 when the rate was just reduced. */
SEQNN_API seqnn_status seqnn_model_report_validation(seqnn_model *m, double loss, int *reduced);

#ifdef __cplusplus
}
#endif

#endif /* SEQNN_MODEL_H */

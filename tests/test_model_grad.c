/* Model-level gradient check on the reference plugin: for small models that
 * together cover every layer kind and option (embedding with padding, dense,
 * each activation, dropout, RNN tanh/relu, LSTM, GRU, GRU_CLASSIC with 2
 * layers, the LSTM variants (peepholes, coupled gates, projection, their
 * combinations), bidirectional, reverse, last = 1, variable lengths, conv1d banks, self-
 * attention plain and causal with every score, encoder-decoder attention with
 * every score, tree layers with both cells and both outputs over random and
 * balanced trees, losses xent/mse/bce, graphs: two inputs, concat, add and
 * multiply merges, fan-out), the gradients of fe_loss_and_grad are
 * compared with central finite differences of the loss on a sample of every
 * parameter tensor: every element of tensors of up to 64 elements, else the
 * largest-gradient element and 63 random ones. An embedding's padding row is
 * skipped: it is frozen (no gradient, as PyTorch's padding_idx) even where
 * the forward reads it (a sequence shorter than a conv filter).
 *
 * Budget: an element passes when |fd - g| <= 2e-2 * max(|fd|, |g|) + 1e-4.
 * Why: the plugin computes in float32, so the loss carries a rounding noise
 * of about 1e-7 relative (loss ~ 1-2); divided by 2*eps that is ~1e-5
 * absolute in fd at eps = 1e-2 and ~3e-5 at eps = 3e-3, inside 1e-4. The
 * central difference's truncation error eps^2 f'''/6 is ~1e-4 relative at
 * eps = 1e-2 on these tanh/sigmoid-scale models. Measured worst relative
 * errors are 1e-3 to 7e-3 (printed per model), so 2e-2 holds with margin
 * and still catches a gradient off by a few percent (a 5% error in one
 * tensor's gradient is checked to be caught). Smooth models use eps = 1e-2;
 * models with kinks (relu, leaky relu, hardtanh, and max over time, whose
 * argmax switches) use eps = 3e-3, so that a perturbation rarely crosses a
 * kink (measured: eps = 3e-2 makes the conv banks fail at argmax switches,
 * eps = 1e-3 drowns small gradients in float32 noise). A sample whose
 * one-sided differences disagree by more than half is at a kink and is not
 * compared; at most 1 in 10 may be.
 * Dropout in training mode is checked too: the Philox counter is reset
 * before every evaluation, so every evaluation draws the same mask.
 *
 * Also: one SGD step lowers the loss of a fixed batch for every model; the
 * same seed gives bit-identical training (dropout on); padding does not
 * change the outputs of valid positions (conv bank, self-attention,
 * encoder-decoder); attention weights rows sum to one and respect the masks;
 * greedy translation agrees with the teacher-forced forward. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "seqnn/model.h"
#include "../frontend/fe.h"
#include "tree_shapes.h"

static seqnn_context *ctx;
static int failures;

#define EXPECT(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)
#define TRY(expr) do { seqnn_status s_ = (expr); if (s_ != SEQNN_OK) { failures++; \
    printf("FAIL %s:%d: %s: %s\n", __FILE__, __LINE__, #expr, seqnn_last_error()); return; } } while (0)

#define RTOL 2e-2
#define ATOL 1e-4
#define SAMPLES 64

/* ------------------------------------------------------------ data --- */
static uint64_t rng_state;
static double urand(void)                /* [0, 1) */
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

typedef struct batch_data {
    seqnn_batch b;
    int32_t *tokens, *lengths, *targets, *dec_tokens, *dec_lengths, *trees;
    float *features, *values;
    seqnn_batch_input in[FE_MAX_INPUTS];   /* models of several inputs */
} batch_data;

static void batch_free(batch_data *d)
{
    free(d->tokens);
    free(d->lengths);
    free(d->targets);
    free(d->dec_tokens);
    free(d->dec_lengths);
    free(d->trees);
    free(d->features);
    free(d->values);
    for (int k = 0; k < FE_MAX_INPUTS; k++) {
        free((void *)d->in[k].tokens);
        free((void *)d->in[k].features);
        free((void *)d->in[k].lengths);
    }
    memset(d, 0, sizeof *d);
}

/* Lengths T, T-2, T-1, 1, ... (at least 1, the first full). */
static int32_t *make_lengths(int64_t T, int64_t B)
{
    int32_t *len = malloc((size_t)B * sizeof *len);
    static const int drop[] = {0, 2, 1, 9, 3};
    for (int64_t b = 0; b < B; b++) {
        int64_t l = T - drop[b % 5];
        len[b] = (int32_t)(l < 1 ? 1 : l);
    }
    return len;
}

/* Trees for a model with a tree layer: random ones for odd sequences, -1
 * (balanced) for even ones; NULL for other models. */
static int32_t *make_trees(const seqnn_model *m, int64_t T, int64_t B, const int32_t *lengths)
{
    int tree = 0;
    for (int i = 0; i < m->n_layers; i++)
        tree |= m->layers[i].ops == &fe_tree_ops;
    if (!tree || T < 2)
        return NULL;
    int32_t *t = malloc((size_t)(B * 2 * (T - 1)) * sizeof *t);
    for (int64_t b = 0; b < B; b++) {
        int32_t n = lengths ? lengths[b] : (int32_t)T, k = 0, *row = t + b * 2 * (T - 1);
        for (int64_t i = 0; i < 2 * (T - 1); i++)
            row[i] = -1;
        if (b % 2 && n > 1)
            tree_make(0, n, n, row, &k, tree_split_random, urand);
    }
    return t;
}

/* Random data of input k (T steps) into *tokens or *features, lengths
 * when var_len; padding positions hold token 0. */
static void make_input(const seqnn_model *m, int k, int64_t T, int64_t B, int var_len, int32_t **tokens,
                       float **features, int32_t **lengths)
{
    const fe_shape *s = &m->inputs[k].shape;
    if (var_len)
        *lengths = make_lengths(T, B);
    if (s->tokens) {
        int32_t *t = malloc((size_t)(T * B) * sizeof *t);
        for (int64_t i = 0; i < T * B; i++)
            t[i] = (*lengths && i / B >= (*lengths)[i % B]) ? 0 : (int32_t)(1 + urand() * (double)(s->n - 1));
        *tokens = t;
    } else {
        float *f = malloc((size_t)(T * B * s->n) * sizeof *f);
        for (int64_t i = 0; i < T * B * s->n; i++)
            f[i] = (float)(2 * urand() - 1);
        *features = f;
    }
}

/* A random batch for model m: T source steps (input k of several: T + k),
 * Td decoder steps, B sequences. */
static void make_batch(const seqnn_model *m, int64_t T, int64_t Td, int64_t B, int var_len, uint64_t seed,
                       batch_data *d)
{
    memset(d, 0, sizeof *d);
    rng_state = seed;
    seqnn_batch *b = &d->b;
    b->batch = B;
    if (m->n_inputs > 1) {
        for (int k = 0; k < m->n_inputs; k++) {
            int32_t *tok = NULL, *len = NULL;
            float *feat = NULL;
            make_input(m, k, T + k, B, var_len, &tok, &feat, &len);
            seqnn_batch_input in = {T + k, tok, feat, len};
            d->in[k] = in;
        }
        b->n_inputs = m->n_inputs;
        b->inputs = d->in;
    } else {
        b->seq_len = T;
        make_input(m, 0, T, B, var_len, &d->tokens, &d->features, &d->lengths);
        d->trees = make_trees(m, T, B, d->lengths);
    }
    const fe_layer *out_layer = &m->layers[m->n_layers - 1];
    int64_t Tout = m->n_inputs > 1 ? T + out_layer->stream : T;
    if (m->decoder_start >= 0) {
        Tout = Td;
        b->dec_len = Td;
        if (var_len)
            d->dec_lengths = make_lengths(Td, B);
        d->dec_tokens = malloc((size_t)(Td * B) * sizeof *d->dec_tokens);
        for (int64_t i = 0; i < Td * B; i++)
            d->dec_tokens[i] = (int32_t)(urand() * (double)m->dec_vocab);
    }
    const fe_layer *top = &m->layers[m->n_layers - 1];
    int64_t rows = top->out.seq ? Tout * B : B, n = top->out.n;
    if (m->loss == SEQNN_LOSS_XENT) {
        d->targets = malloc((size_t)rows * sizeof *d->targets);
        for (int64_t r = 0; r < rows; r++)
            d->targets[r] = (int32_t)(urand() * (double)n);
    } else {
        d->values = malloc((size_t)(rows * n) * sizeof *d->values);
        for (int64_t i = 0; i < rows * n; i++)
            d->values[i] = (float)(m->loss == SEQNN_LOSS_MSE ? 2 * urand() - 1 : urand());
    }
    b->tokens = d->tokens;
    b->features = d->features;
    b->lengths = d->lengths;
    b->targets = d->targets;
    b->values = d->values;
    b->dec_tokens = d->dec_tokens;
    b->dec_lengths = d->dec_lengths;
    b->trees = d->trees;
}

/* ---------------------------------------------------------- models --- */
typedef struct gcase {
    const char *name;
    void (*describe)(seqnn_model *m);
    int64_t T, Td, B;
    int var_len;
    int train;                           /* finite differences with dropout active */
    double eps;
} gcase;

static seqnn_recurrent_desc rdesc(seqnn_cell cell, int64_t H, int64_t layers, int bi, int last, double drop)
{
    seqnn_recurrent_desc d = {.cell = cell, .hidden = H, .layers = layers, .bidirectional = bi,
                              .dropout = drop, .last = last, .init = SEQNN_INIT_DEFAULT};
    return d;
}

static seqnn_attention_desc adesc(seqnn_score score, int64_t heads, int causal, int encoder, int64_t A)
{
    seqnn_attention_desc d = {.score = score, .heads = heads, .causal = causal, .encoder = encoder, .attn_dim = A};
    return d;
}

static void d_smooth_acts(seqnn_model *m)
{
    seqnn_model_input_tokens(m, 7);
    seqnn_model_add_embedding(m, NULL, 5, 0);
    seqnn_model_add_dense(m, NULL, 6);
    seqnn_model_add_activation(m, SEQNN_ACT_SIGMOID, 0);
    seqnn_model_add_dense(m, NULL, 6);
    seqnn_model_add_activation(m, SEQNN_ACT_TANH, 0);
    seqnn_model_add_dense(m, NULL, 6);
    seqnn_model_add_activation(m, SEQNN_ACT_SWISH, 0);
    seqnn_model_add_dropout(m, 0.3);     /* identity: checked with train = 0 */
    seqnn_model_add_dense(m, NULL, 5);
}

static void d_kinked_acts(seqnn_model *m)
{
    seqnn_model_input_features(m, 4);
    seqnn_model_add_dense(m, NULL, 6);
    seqnn_model_add_activation(m, SEQNN_ACT_RELU, 0);
    seqnn_model_add_dense(m, NULL, 6);
    seqnn_model_add_activation(m, SEQNN_ACT_LEAKY_RELU, 0.1);
    seqnn_model_add_dense(m, NULL, 6);
    seqnn_model_add_activation(m, SEQNN_ACT_HARDTANH, 0);
    seqnn_model_add_dense(m, NULL, 3);
    seqnn_model_set_loss(m, SEQNN_LOSS_MSE);
}

static void d_dropout_train(seqnn_model *m)
{
    seqnn_model_input_tokens(m, 6);
    seqnn_model_add_embedding(m, NULL, 5, -1);
    seqnn_model_add_dropout(m, 0.5);
    seqnn_model_add_dense(m, NULL, 6);
    seqnn_model_add_activation(m, SEQNN_ACT_TANH, 0);
    seqnn_model_add_dropout(m, 0.25);
    seqnn_model_add_dense(m, NULL, 4);
}

static void d_lstm(seqnn_model *m)
{
    seqnn_recurrent_desc r = rdesc(SEQNN_CELL_LSTM, 3, 2, 1, 0, 0.3);  /* dropout between layers, train = 1 */
    seqnn_model_input_tokens(m, 6);
    seqnn_model_add_embedding(m, NULL, 4, 0);
    seqnn_model_add_recurrent(m, NULL, &r);
    seqnn_model_add_dense(m, NULL, 5);
}

/* the LSTM above under a class-weighted (one weight 0), label-smoothed xent */
static void d_lstm_weighted_smoothed(seqnn_model *m)
{
    static const float w[5] = {0.5f, 2.0f, 0.0f, 1.25f, 1.0f};
    seqnn_xent_options o = {w, 5, 0.2};
    d_lstm(m);
    seqnn_model_set_xent_options(m, &o);
}

static void d_gru_last(seqnn_model *m)
{
    seqnn_recurrent_desc r = rdesc(SEQNN_CELL_GRU, 3, 2, 1, 1, 0);
    seqnn_model_input_features(m, 3);
    seqnn_model_add_recurrent(m, NULL, &r);
    seqnn_model_add_dense(m, NULL, 4);
}

/* Learned initial states (h0, c0 parameters broadcast over the batch). */
static void d_lstm_learned(seqnn_model *m)
{
    seqnn_recurrent_desc r = rdesc(SEQNN_CELL_LSTM, 3, 2, 1, 0, 0);
    seqnn_model_input_features(m, 3);
    seqnn_model_add_recurrent(m, "l", &r);
    seqnn_model_set_learned_state(m, "l");
    seqnn_model_add_dense(m, NULL, 4);
}

static void d_gru_learned_last(seqnn_model *m)
{
    seqnn_recurrent_desc r = rdesc(SEQNN_CELL_GRU, 3, 2, 1, 1, 0);
    seqnn_model_input_features(m, 3);
    seqnn_model_add_recurrent(m, NULL, &r);
    seqnn_model_set_learned_state(m, NULL);
    seqnn_model_add_dense(m, NULL, 4);
}

/* Run backwards (reverse = 1): a two-layer LSTM, then a GRU to its final
 * state (after the first step). */
static void d_reverse_last(seqnn_model *m)
{
    seqnn_recurrent_desc a = rdesc(SEQNN_CELL_LSTM, 3, 2, 0, 0, 0), b = rdesc(SEQNN_CELL_GRU, 3, 1, 0, 1, 0);
    seqnn_model_input_features(m, 3);
    seqnn_model_add_recurrent_reverse(m, NULL, &a);
    seqnn_model_add_recurrent_reverse(m, NULL, &b);
    seqnn_model_add_dense(m, NULL, 4);
}

static void d_gru_classic_mse(seqnn_model *m)
{
    seqnn_recurrent_desc r = rdesc(SEQNN_CELL_GRU_CLASSIC, 3, 2, 1, 0, 0);
    seqnn_model_input_features(m, 3);
    seqnn_model_add_recurrent(m, NULL, &r);
    seqnn_model_add_dense(m, NULL, 2);
    seqnn_model_set_loss(m, SEQNN_LOSS_MSE);
}

static void d_rnn_tanh_bce(seqnn_model *m)
{
    seqnn_recurrent_desc r = rdesc(SEQNN_CELL_RNN_TANH, 4, 2, 0, 1, 0);
    seqnn_model_input_features(m, 3);
    seqnn_model_add_recurrent(m, NULL, &r);
    seqnn_model_add_dense(m, NULL, 3);
    seqnn_model_set_loss(m, SEQNN_LOSS_BCE);
}

static void d_rnn_relu(seqnn_model *m)
{
    seqnn_recurrent_desc r = rdesc(SEQNN_CELL_RNN_RELU, 4, 2, 1, 0, 0);
    seqnn_model_input_tokens(m, 6);
    seqnn_model_add_embedding(m, NULL, 3, 0);
    seqnn_model_add_recurrent(m, NULL, &r);
    seqnn_model_add_dense(m, NULL, 4);
}

static void d_lstm_peephole(seqnn_model *m)
{
    seqnn_recurrent_desc r = rdesc(SEQNN_CELL_LSTM, 3, 2, 1, 0, 0);
    seqnn_model_input_tokens(m, 6);
    seqnn_model_add_embedding(m, NULL, 4, 0);
    seqnn_model_add_lstm_variant(m, NULL, &r, SEQNN_LSTM_PEEPHOLE, 0);
    seqnn_model_add_dense(m, NULL, 5);
}

static void d_lstm_peephole_coupled_last(seqnn_model *m)
{
    seqnn_recurrent_desc r = rdesc(SEQNN_CELL_LSTM, 3, 2, 1, 1, 0);
    seqnn_model_input_features(m, 3);
    seqnn_model_add_lstm_variant(m, NULL, &r, SEQNN_LSTM_PEEPHOLE | SEQNN_LSTM_COUPLED, 0);
    seqnn_model_add_dense(m, NULL, 4);
}

static void d_lstm_proj(seqnn_model *m)
{
    seqnn_recurrent_desc r = rdesc(SEQNN_CELL_LSTM, 4, 2, 1, 0, 0.3);  /* dropout between layers, train = 1 */
    seqnn_model_input_tokens(m, 6);
    seqnn_model_add_embedding(m, NULL, 4, 0);
    seqnn_model_add_lstm_variant(m, NULL, &r, 0, 2);
    seqnn_model_add_dense(m, NULL, 5);
}

static void d_lstm_coupled_proj_peephole_mse(seqnn_model *m)
{
    seqnn_recurrent_desc r = rdesc(SEQNN_CELL_LSTM, 4, 1, 1, 1, 0);
    seqnn_model_input_features(m, 3);
    seqnn_model_add_lstm_variant(m, NULL, &r, SEQNN_LSTM_COUPLED | SEQNN_LSTM_PEEPHOLE, 3);
    seqnn_model_add_dense(m, NULL, 2);
    seqnn_model_set_loss(m, SEQNN_LOSS_MSE);
}

static void d_conv_tanh(seqnn_model *m)
{
    const int64_t widths[3] = {1, 2, 3};
    seqnn_model_input_tokens(m, 8);
    seqnn_model_add_embedding(m, NULL, 4, 0);
    seqnn_model_add_conv1d_bank(m, NULL, 3, 3, widths, SEQNN_ACT_TANH);
    seqnn_model_add_dense(m, NULL, 4);
}

static void d_conv_relu_bce(seqnn_model *m)
{
    const int64_t widths[2] = {2, 4};
    seqnn_model_input_features(m, 3);
    seqnn_model_add_conv1d_bank(m, "bank", 4, 2, widths, SEQNN_ACT_RELU);
    seqnn_model_add_dense(m, NULL, 3);
    seqnn_model_set_loss(m, SEQNN_LOSS_BCE);
}

static void d_self_attn(seqnn_model *m)
{
    seqnn_attention_desc a = adesc(SEQNN_SCORE_SCALED_DOT, 2, 0, 0, 0);
    seqnn_model_input_tokens(m, 7);
    seqnn_model_add_embedding(m, NULL, 4, 0);
    seqnn_model_add_attention(m, NULL, &a);
    seqnn_model_add_dense(m, NULL, 5);
}

static void d_self_attn_causal(seqnn_model *m)
{
    seqnn_attention_desc a = adesc(SEQNN_SCORE_SCALED_DOT, 2, 1, 0, 0);
    seqnn_attention_desc b = adesc(SEQNN_SCORE_DOT, 3, 1, 0, 0);
    seqnn_model_input_features(m, 6);
    seqnn_model_add_attention(m, NULL, &a);
    seqnn_model_add_attention(m, NULL, &b);
    seqnn_model_add_dense(m, NULL, 4);
}

static void d_self_attn_params(seqnn_model *m)
{
    seqnn_attention_desc a = adesc(SEQNN_SCORE_BILINEAR, 1, 0, 0, 0);
    seqnn_attention_desc b = adesc(SEQNN_SCORE_ADDITIVE, 1, 1, 0, 3);
    seqnn_model_input_tokens(m, 7);
    seqnn_model_add_embedding(m, NULL, 4, -1);
    seqnn_model_add_attention(m, NULL, &a);
    seqnn_model_add_attention(m, NULL, &b);
    seqnn_model_add_dense(m, NULL, 5);
}

/* Encoder: embedding, bidirectional GRU (De = 4). Decoder: embedding, LSTM
 * (D = 4 for the dot scores, 3 otherwise), encoder attention, dense. */
/* Two inputs of different lengths, two branches; concat, add and multiply
 * merges (one of three nodes, one reading a node twice); fan-out of both
 * branches and of the activation. */
static void d_two_branches(seqnn_model *m)
{
    seqnn_recurrent_desc gru = rdesc(SEQNN_CELL_GRU, 5, 1, 0, 1, 0);
    seqnn_model_add_input_tokens(m, "words", 7);
    seqnn_model_add_embedding(m, "emb", 4, -1);
    seqnn_model_add_lstm(m, "wl", 5, 1, 0, 0);
    seqnn_model_set_from(m, NULL, "emb");
    seqnn_recurrent_desc last = rdesc(SEQNN_CELL_LSTM, 5, 1, 0, 1, 0);
    seqnn_model_add_recurrent(m, "wlast", &last);
    seqnn_model_add_input_features(m, "frames", 3);
    seqnn_model_add_recurrent(m, "fl", &gru);
    seqnn_model_add_merge(m, "cat", SEQNN_MERGE_CONCAT, "wlast,fl");
    seqnn_model_add_dense(m, "h", 5);
    seqnn_model_add_activation(m, SEQNN_ACT_TANH, 0);
    seqnn_model_add_merge(m, "sum", SEQNN_MERGE_ADD, "wlast,fl");
    seqnn_model_add_merge(m, "prod", SEQNN_MERGE_MUL, "sum,fl,act");
    seqnn_model_add_merge(m, "mix", SEQNN_MERGE_ADD, "prod,act");
    seqnn_model_add_merge(m, "sq", SEQNN_MERGE_MUL, "mix,mix");
    seqnn_model_add_dense(m, "out", 3);
}

/* Merges of sequences (one input, variable lengths): a residual add and a
 * concatenation of three, each node read twice or more. */
static void d_sequence_merges(seqnn_model *m)
{
    seqnn_model_input_tokens(m, 6);
    seqnn_model_add_embedding(m, "e", 4, 0);
    seqnn_model_add_lstm(m, "l", 4, 1, 0, 0);
    seqnn_model_add_merge(m, "res", SEQNN_MERGE_ADD, "e,l");
    seqnn_model_add_merge(m, "cat", SEQNN_MERGE_CONCAT, "e,l,res");
    seqnn_model_add_dense(m, "out", 3);
}

static void seq2seq(seqnn_model *m, seqnn_score score, int64_t heads, int self_attn)
{
    seqnn_recurrent_desc enc = rdesc(SEQNN_CELL_GRU, 2, 1, 1, 0, 0);
    int dot = score == SEQNN_SCORE_DOT || score == SEQNN_SCORE_SCALED_DOT;
    seqnn_recurrent_desc dec = rdesc(SEQNN_CELL_LSTM, dot ? 4 : 3, 1, 0, 0, 0);
    seqnn_attention_desc a = adesc(score, heads, 0, 1, score == SEQNN_SCORE_ADDITIVE ? 5 : 0);
    seqnn_model_input_tokens(m, 6);
    seqnn_model_add_embedding(m, "src_embedding", 4, 0);
    seqnn_model_add_recurrent(m, "encoder", &enc);
    seqnn_model_begin_decoder(m, 7);
    seqnn_model_add_embedding(m, "tgt_embedding", 4, -1);
    seqnn_model_add_recurrent(m, "decoder", &dec);
    if (self_attn) {
        seqnn_attention_desc s = adesc(SEQNN_SCORE_SCALED_DOT, 2, 1, 0, 0);
        seqnn_model_add_attention(m, "self", &s);
    }
    seqnn_model_add_attention(m, "attn", &a);
    if (score == SEQNN_SCORE_ADDITIVE) { /* a second one: both add into the encoder's gradient */
        seqnn_attention_desc b = adesc(SEQNN_SCORE_BILINEAR, 1, 0, 1, 0);
        seqnn_model_add_attention(m, "attn2", &b);
    }
    seqnn_model_add_dense(m, "out", 7);
}

static void d_tree(seqnn_model *m, seqnn_tree_cell cell, int nodes, int tokens)
{
    seqnn_tree_desc t = {.cell = cell, .hidden = 3, .nodes = nodes};
    if (tokens) {
        seqnn_model_input_tokens(m, 7);
        seqnn_model_add_embedding(m, NULL, 4, 0);
    } else {
        seqnn_model_input_features(m, 4);
    }
    seqnn_model_add_tree(m, NULL, &t);
    seqnn_model_add_dense(m, NULL, 4);
    if (!tokens)
        seqnn_model_set_loss(m, SEQNN_LOSS_MSE);
}

static void d_tree_tanh(seqnn_model *m) { d_tree(m, SEQNN_TREE_TANH, 0, 1); }
static void d_tree_lstm(seqnn_model *m) { d_tree(m, SEQNN_TREE_LSTM, 0, 0); }
static void d_tree_lstm_nodes(seqnn_model *m) { d_tree(m, SEQNN_TREE_LSTM, 1, 1); }
static void d_tree_tanh_nodes(seqnn_model *m) { d_tree(m, SEQNN_TREE_TANH, 1, 0); }

static void d_s2s_dot(seqnn_model *m) { seq2seq(m, SEQNN_SCORE_DOT, 1, 0); }
static void d_s2s_scaled(seqnn_model *m) { seq2seq(m, SEQNN_SCORE_SCALED_DOT, 2, 1); }
static void d_s2s_bilinear(seqnn_model *m) { seq2seq(m, SEQNN_SCORE_BILINEAR, 1, 0); }
static void d_s2s_additive(seqnn_model *m) { seq2seq(m, SEQNN_SCORE_ADDITIVE, 1, 0); }

static const gcase cases[] = {
    {"embedding+dense+sigmoid/tanh/swish+dropout(eval), xent", d_smooth_acts, 4, 0, 3, 1, 0, 1e-2},
    {"dense+relu/leaky/hardtanh, mse", d_kinked_acts, 3, 0, 3, 0, 0, 3e-3},
    {"dropout (training mode), xent", d_dropout_train, 4, 0, 3, 1, 1, 1e-2},
    {"lstm 2 layers bidirectional, dropout (training), lengths", d_lstm, 5, 0, 3, 1, 1, 1e-2},
    {"lstm as above, xent with class weights and label smoothing 0.2", d_lstm_weighted_smoothed, 5, 0, 3, 1, 1,
     1e-2},
    {"gru 2 layers bidirectional last=1, lengths", d_gru_last, 5, 0, 4, 1, 0, 1e-2},
    {"lstm 2 layers reverse, gru reverse last=1, lengths", d_reverse_last, 5, 0, 4, 1, 0, 1e-2},
    {"lstm 2 layers bidirectional, learned h0/c0, lengths", d_lstm_learned, 5, 0, 3, 1, 0, 1e-2},
    {"gru 2 layers bidirectional last=1, learned h0, lengths", d_gru_learned_last, 5, 0, 4, 1, 0, 1e-2},
    {"gru_classic 2 layers bidirectional, mse, lengths", d_gru_classic_mse, 4, 0, 3, 1, 0, 1e-2},
    {"rnn tanh 2 layers last=1, bce, lengths", d_rnn_tanh_bce, 5, 0, 3, 1, 0, 1e-2},
    {"lstm peephole 2 layers bidirectional, lengths", d_lstm_peephole, 5, 0, 3, 1, 0, 1e-2},
    {"lstm peephole+coupled 2 layers bidirectional last=1, lengths", d_lstm_peephole_coupled_last, 5, 0, 4, 1, 0,
     1e-2},
    {"lstm proj 4->2, 2 layers bidirectional, dropout (training), lengths", d_lstm_proj, 5, 0, 3, 1, 1, 1e-2},
    {"lstm coupled+peephole proj 4->3 bidirectional last=1, mse, lengths", d_lstm_coupled_proj_peephole_mse, 4, 0,
     3, 1, 0, 1e-2},
    {"rnn relu 2 layers bidirectional, lengths", d_rnn_relu, 4, 0, 3, 1, 0, 3e-3},
    {"conv bank widths 1,2,3 tanh, lengths (one < width)", d_conv_tanh, 5, 0, 5, 1, 0, 3e-3},
    {"conv bank widths 2,4 relu, bce", d_conv_relu_bce, 6, 0, 3, 1, 0, 3e-3},
    {"self-attention scaled dot 2 heads, lengths", d_self_attn, 5, 0, 3, 1, 0, 1e-2},
    {"self-attention causal scaled dot + dot 3 heads", d_self_attn_causal, 4, 0, 3, 1, 0, 1e-2},
    {"self-attention bilinear + additive causal", d_self_attn_params, 4, 0, 3, 1, 0, 1e-2},
    {"seq2seq dot", d_s2s_dot, 5, 4, 3, 1, 0, 1e-2},
    {"seq2seq scaled dot 2 heads + causal self-attention", d_s2s_scaled, 5, 4, 3, 1, 0, 1e-2},
    {"seq2seq bilinear", d_s2s_bilinear, 5, 4, 3, 1, 0, 1e-2},
    {"seq2seq additive + bilinear", d_s2s_additive, 4, 5, 3, 1, 0, 1e-2},
    {"tree tanh root, random + balanced trees, lengths", d_tree_tanh, 7, 0, 5, 1, 0, 1e-2},
    {"tree lstm root, random + balanced trees, mse, lengths", d_tree_lstm, 7, 0, 5, 1, 0, 1e-2},
    {"tree lstm nodes, random + balanced trees, lengths", d_tree_lstm_nodes, 6, 0, 5, 1, 0, 1e-2},
    {"tree tanh nodes, balanced trees, mse", d_tree_tanh_nodes, 5, 0, 2, 0, 0, 1e-2},
    {"graph: two inputs, concat/add/multiply, fan-out, lengths", d_two_branches, 4, 0, 3, 1, 0, 1e-2},
    {"graph: sequence add and concat (fan-out), lengths", d_sequence_merges, 5, 0, 3, 1, 0, 1e-2},
};

static seqnn_model *build(void (*describe)(seqnn_model *), uint64_t seed)
{
    seqnn_model *m = NULL;
    if (seqnn_model_create(&m) != SEQNN_OK)
        return NULL;
    describe(m);
    if (seqnn_model_build(m, ctx, seed) != SEQNN_OK) {
        printf("FAIL build: %s\n", seqnn_last_error());
        failures++;
        seqnn_model_destroy(m);
        return NULL;
    }
    return m;
}

/* Loss of the batch (the dropout counter replayed from c0 when training). */
static seqnn_status loss_at(seqnn_model *m, const gcase *c, const seqnn_batch *b, uint64_t c0, double *loss)
{
    m->dropout_counter = c0;
    return fe_loss_and_grad(m, b, c->train, loss);
}

typedef struct check_stats {
    int64_t checked, kinks, bad;
    double worst;
} check_stats;

/* Compares fd and g; returns 1 when within the budget. */
static int within(double fd, double g, double *rel)
{
    double scale = fmax(fabs(fd), fabs(g));
    *rel = fabs(fd - g) / fmax(scale, ATOL / RTOL);
    return fabs(fd - g) <= RTOL * scale + ATOL;
}

/* Finite differences on parameter tensor i of m at SAMPLES elements;
 * g_all is the analytic gradient (the whole flat buffer). */
static void check_param(seqnn_model *m, const gcase *c, const seqnn_batch *b, uint64_t c0, int64_t i,
                        const float *g_all, double loss0, check_stats *st, int report)
{
    const fe_param *p = &m->params[i];
    float *v = malloc((size_t)p->count * sizeof *v);
    if (seqnn_model_param_read(m, i, v, p->count) != SEQNN_OK) {
        failures++;
        free(v);
        return;
    }
    const float *g = g_all + p->off;
    int64_t idx[SAMPLES], n = 0, best = 0;
    for (int64_t j = 1; j < p->count; j++)
        if (fabsf(g[j]) > fabsf(g[best]))
            best = j;
    if (p->count <= SAMPLES) {           /* small tensors: every element */
        for (; n < p->count; n++)
            idx[n] = n;
    } else {                             /* the largest gradient and random ones */
        idx[n++] = best;
        while (n < SAMPLES)
            idx[n++] = (int64_t)(urand() * (double)p->count);
    }
    for (int64_t s = 0; s < n; s++) {
        int64_t j = idx[s];
        if (p->zero_row >= 0 && p->ndim == 2 && j / p->shape[1] == p->zero_row)
            continue;                    /* an embedding's padding row: frozen, as PyTorch's padding_idx */
        float orig = v[j];
        float up = (float)(orig + c->eps), down = (float)(orig - c->eps);
        double lp = 0, lm = 0;
        v[j] = up;
        seqnn_model_param_write(m, i, v, p->count);
        seqnn_status s1 = loss_at(m, c, b, c0, &lp);
        v[j] = down;
        seqnn_model_param_write(m, i, v, p->count);
        seqnn_status s2 = loss_at(m, c, b, c0, &lm);
        v[j] = orig;
        seqnn_model_param_write(m, i, v, p->count);
        if (s1 != SEQNN_OK || s2 != SEQNN_OK) {
            printf("FAIL %s: loss evaluation: %s\n", c->name, seqnn_last_error());
            failures++;
            break;
        }
        double fd = (lp - lm) / ((double)up - (double)down), rel;
        double right = (lp - loss0) / ((double)up - orig), left = (loss0 - lm) / (orig - (double)down);
        int ok = within(fd, g[j], &rel);
        if (!ok && fabs(right - left) > 0.5 * fmax(fabs(right), fabs(left)) + ATOL) {
            st->kinks++;                 /* a kink between orig - eps and orig + eps */
            continue;
        }
        st->checked++;
        if (rel > st->worst)
            st->worst = rel;
        if (!ok) {
            st->bad++;
            if (report)
                printf("FAIL %s: %s[%lld]: analytic %.6g, finite differences %.6g (rel %.3g)\n", c->name, p->name,
                       (long long)j, (double)g[j], fd, rel);
        }
    }
    free(v);
}

/* The analytic gradient of the batch (host copy of the flat buffer). */
static float *analytic(seqnn_model *m, const gcase *c, const seqnn_batch *b, uint64_t c0, double *loss0)
{
    float *g = malloc((size_t)m->total * sizeof *g);
    if (loss_at(m, c, b, c0, loss0) != SEQNN_OK ||
        seqnn_buffer_read(m->ctx, m->gbuf, 0, g, m->total) != SEQNN_OK) {
        printf("FAIL %s: loss and gradient: %s\n", c->name, seqnn_last_error());
        failures++;
        free(g);
        return NULL;
    }
    return g;
}

static int64_t total_checked;

static void gradient_check(const gcase *c, int sensitivity)
{
    seqnn_model *m = build(c->describe, 1234);
    if (!m)
        return;
    batch_data d;
    make_batch(m, c->T, c->Td, c->B, c->var_len, 99, &d);
    uint64_t c0 = 777;
    double loss0 = 0;
    /* A first pass over another, longer batch leaves stale values in every
     * buffer: a layer that accumulates where it should overwrite shows. */
    batch_data warm;
    make_batch(m, c->T + 1, c->Td ? c->Td + 1 : 0, c->B, c->var_len, 100, &warm);
    float *g = analytic(m, c, &warm.b, c0 + 1, &loss0);
    batch_free(&warm);
    free(g);
    g = analytic(m, c, &d.b, c0, &loss0);
    if (!g) {
        batch_free(&d);
        seqnn_model_destroy(m);
        return;
    }
    rng_state = 4242;
    check_stats st = {0, 0, 0, 0};
    for (int64_t i = 0; i < m->n_params; i++)
        check_param(m, c, &d.b, c0, i, g, loss0, &st, 1);
    total_checked += st.checked;
    EXPECT(st.bad == 0 && st.kinks * 10 <= st.checked + st.kinks,
           "%s: %lld of %lld samples outside the budget, %lld at kinks", c->name, (long long)st.bad,
           (long long)st.checked, (long long)st.kinks);
    printf("%-60s %3lld tensors %4lld samples (%lld at kinks), worst rel err %.2e, loss %.4f\n", c->name,
           (long long)m->n_params, (long long)st.checked, (long long)st.kinks, st.worst, loss0);
    if (sensitivity) {
        /* The check must notice a 5% error in one tensor's gradient. */
        int64_t victim = m->n_params / 2;
        for (int64_t j = 0; j < m->params[victim].count; j++)
            g[m->params[victim].off + j] *= 1.05f;
        check_stats bad = {0, 0, 0, 0};
        rng_state = 4242;
        check_param(m, c, &d.b, c0, victim, g, loss0, &bad, 0);
        EXPECT(bad.bad > 0, "%s: a 5%% error in the gradient of %s went unnoticed (worst rel %.2e)", c->name,
               m->params[victim].name, bad.worst);
        printf("sensitivity: a 5%% error in %s's gradient is caught (%lld of %lld samples)\n",
               m->params[victim].name, (long long)bad.bad, (long long)bad.checked);
    }
    free(g);
    batch_free(&d);
    seqnn_model_destroy(m);
}

/* One SGD step must lower the loss of the batch it was computed on. */
static void training_step(const gcase *c)
{
    seqnn_model *m = build(c->describe, 55);
    if (!m)
        return;
    batch_data d;
    make_batch(m, c->T, c->Td, c->B, c->var_len, 7, &d);
    seqnn_optim_desc o = seqnn_optim_defaults(SEQNN_OPTIM_SGD);
    o.lr = 0.1;
    double before = 0, after = 0, later = 0;
    uint64_t c0 = 31;
    seqnn_step_result r;
    seqnn_status s = seqnn_model_set_optimizer(m, &o);
    if (s == SEQNN_OK)
        s = loss_at(m, c, &d.b, c0, &before);
    m->dropout_counter = c0;
    if (s == SEQNN_OK)
        s = seqnn_model_train_step(m, &d.b, &r);
    if (s == SEQNN_OK)
        s = loss_at(m, c, &d.b, c0, &after);
    for (int k = 0; k < 20 && s == SEQNN_OK; k++) {
        m->dropout_counter = c0;
        s = seqnn_model_train_step(m, &d.b, &r);
    }
    if (s == SEQNN_OK)
        s = loss_at(m, c, &d.b, c0, &later);
    EXPECT(s == SEQNN_OK, "%s: training: %s", c->name, seqnn_last_error());
    EXPECT(after < before && later < after, "%s: SGD steps: loss %.6f -> %.6f -> %.6f (after 21 steps)", c->name,
           before, after, later);
    printf("%-60s SGD lr 0.1: loss %.4f -> %.4f (1 step) -> %.4f (21 steps)\n", c->name, before, after, later);
    batch_free(&d);
    seqnn_model_destroy(m);
}

/* Same seed, same plugin: bit-identical training with dropout; another seed differs. */
static void determinism(void)
{
    double losses[3][3];
    float *params[3] = {NULL, NULL, NULL};
    const uint64_t seeds[3] = {5, 5, 6};
    int64_t total = 0;
    for (int k = 0; k < 3; k++) {
        seqnn_model *m = build(d_lstm, seeds[k]);
        if (!m)
            return;
        batch_data d;
        make_batch(m, 5, 0, 3, 1, 11, &d);
        seqnn_step_result r;
        for (int step = 0; step < 3; step++) {
            TRY(seqnn_model_train_step(m, &d.b, &r));
            losses[k][step] = r.loss;
        }
        total = m->total;
        params[k] = malloc((size_t)total * sizeof(float));
        TRY(seqnn_buffer_read(ctx, m->pbuf, 0, params[k], total));
        batch_free(&d);
        seqnn_model_destroy(m);
    }
    EXPECT(!memcmp(losses[0], losses[1], sizeof losses[0]) && !memcmp(params[0], params[1], (size_t)total * 4),
           "two runs with seed 5 differ (losses %.9g %.9g)", losses[0][2], losses[1][2]);
    EXPECT(memcmp(losses[0], losses[2], sizeof losses[0]) != 0, "seeds 5 and 6 give the same losses");
    printf("determinism: seed 5 twice -> identical losses and parameters after 3 dropout steps; seed 6 differs\n");
    for (int k = 0; k < 3; k++)
        free(params[k]);
}

/* ------------------------------------------------ masks and padding --- */
/* Model output rows of one sequence: predicting it alone (length len, no
 * padding) and inside a padded batch must agree. */
static void padding_invariance(const char *what, void (*describe)(seqnn_model *), int64_t T, int64_t Td)
{
    seqnn_model *m = build(describe, 3);
    if (!m)
        return;
    int64_t B = 3, sel = 1;
    batch_data d;
    make_batch(m, T, Td, B, 1, 21, &d);
    const fe_layer *top = &m->layers[m->n_layers - 1];
    int enc_dec = m->decoder_start >= 0;
    int64_t n = top->out.n, To = enc_dec ? Td : T, rows = top->out.seq ? To * B : B;
    float *all = malloc((size_t)(rows * n) * sizeof *all);
    TRY(seqnn_model_predict(m, &d.b, all, rows * n));
    /* sequence sel alone, cut to its length */
    int64_t len = d.lengths[sel], dlen = enc_dec ? d.dec_lengths[sel] : len;
    int32_t *tok = malloc((size_t)len * sizeof *tok), *dtok = malloc((size_t)(Td + 1) * sizeof *dtok);
    float *feat = malloc((size_t)(len * m->input.n) * sizeof *feat);
    for (int64_t t = 0; t < len; t++) {
        if (d.tokens)
            tok[t] = d.tokens[t * B + sel];
        else
            memcpy(feat + t * m->input.n, d.features + (t * B + sel) * m->input.n, (size_t)m->input.n * sizeof *feat);
    }
    for (int64_t t = 0; enc_dec && t < dlen; t++)
        dtok[t] = d.dec_tokens[t * B + sel];
    seqnn_batch one;
    memset(&one, 0, sizeof one);
    one.seq_len = len;
    one.batch = 1;
    one.tokens = d.tokens ? tok : NULL;
    one.features = d.tokens ? NULL : feat;
    one.dec_len = dlen;
    one.dec_tokens = enc_dec ? dtok : NULL;
    int64_t orows = top->out.seq ? (enc_dec ? dlen : len) : 1;
    float *alone = malloc((size_t)(orows * n) * sizeof *alone);
    TRY(seqnn_model_predict(m, &one, alone, orows * n));
    double worst = 0;
    for (int64_t r = 0; r < orows; r++)
        for (int64_t j = 0; j < n; j++) {
            float a = alone[r * n + j], b = all[(top->out.seq ? r * B + sel : sel) * n + j];
            worst = fmax(worst, fabs((double)a - b));
        }
    EXPECT(worst <= 1e-5, "%s: sequence %lld alone and in a padded batch differ by %.3g", what, (long long)sel, worst);
    printf("padding: %-44s alone vs padded batch: max difference %.2e\n", what, worst);
    free(all);
    free(tok);
    free(dtok);
    free(feat);
    free(alone);
    batch_free(&d);
    seqnn_model_destroy(m);
}

/* Attention weights: rows sum to 1 over unmasked keys, masked keys get 0. */
static void attention_weights(void)
{
    seqnn_model *m = build(d_self_attn_causal, 8);
    if (!m)
        return;
    batch_data d;
    int64_t T = 5, B = 3;
    make_batch(m, T, 0, B, 1, 5, &d);
    double loss;
    TRY(fe_loss_and_grad(m, &d.b, 0, &loss));
    int64_t dims[4];
    TRY(seqnn_model_attention_weights(m, NULL, NULL, 0, dims));
    EXPECT(dims[0] == B && dims[1] == 2 && dims[2] == T && dims[3] == T, "weights dims %lld %lld %lld %lld",
           (long long)dims[0], (long long)dims[1], (long long)dims[2], (long long)dims[3]);
    int64_t n = dims[0] * dims[1] * dims[2] * dims[3];
    float *w = malloc((size_t)n * sizeof *w);
    TRY(seqnn_model_attention_weights(m, "attn", w, n, dims));
    double worst = 0;
    int masked_ok = 1;
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < dims[1]; h++)
            for (int64_t i = 0; i < T; i++) {
                double sum = 0;
                for (int64_t j = 0; j < T; j++) {
                    float v = w[((b * dims[1] + h) * T + i) * T + j];
                    if ((j > i || j >= d.lengths[b]) && v != 0)
                        masked_ok = 0;
                    sum += v;
                }
                worst = fmax(worst, fabs(sum - 1));
            }
    EXPECT(worst < 1e-5 && masked_ok, "attention weights: row sums off by %.3g, masks %s", worst,
           masked_ok ? "kept" : "violated");
    EXPECT(seqnn_model_attention_weights(m, "fc", w, n, dims) == SEQNN_ERR_INVALID_ARG &&
               strstr(seqnn_last_error(), "not an attention layer"), "weights of a dense layer: %s", seqnn_last_error());
    EXPECT(seqnn_model_attention_weights(m, "attn1", w, n - 1, dims) == SEQNN_ERR_INVALID_ARG,
           "a short output buffer is refused");
    EXPECT(seqnn_model_attention_weights(m, "nope", w, n, dims) == SEQNN_ERR_NOT_FOUND, "unknown layer name");
    printf("attention weights: [%lld, %lld, %lld, %lld], rows sum to 1 (worst %.1e), causal and length masks hold\n",
           (long long)dims[0], (long long)dims[1], (long long)dims[2], (long long)dims[3], worst);
    free(w);
    batch_free(&d);
    seqnn_model_destroy(m);
}

/* Greedy translation agrees with the teacher-forced forward on its own output. */
static void translation(void)
{
    seqnn_model *m = build(d_s2s_scaled, 17);
    if (!m)
        return;
    /* A few steps of training so that the argmax is not constant. */
    batch_data d;
    make_batch(m, 5, 4, 3, 1, 12, &d);
    seqnn_step_result r;
    for (int k = 0; k < 20; k++)
        TRY(seqnn_model_train_step(m, &d.b, &r));
    const int32_t src[4] = {3, 1, 4, 1};
    int32_t out[12];
    int64_t n = -1, max_len = 12;
    const int32_t bos = 0;
    int32_t eos = -1;                    /* never produced: runs to max_len */
    TRY(seqnn_model_translate(m, src, 4, bos, eos, max_len, out, &n));
    EXPECT(n == max_len, "translate without eos wrote %lld tokens, not max_len %lld", (long long)n,
           (long long)max_len);
    /* again with eos = a token of that output: stops at its first occurrence */
    int32_t first[12];
    memcpy(first, out, sizeof first);
    int64_t stop = 0;                    /* the first position with a new token, if any */
    for (int64_t k = 1; k < max_len && !stop; k++) {
        int seen = 0;
        for (int64_t j = 0; j < k; j++)
            seen |= first[j] == first[k];
        if (!seen)
            stop = k;
    }
    eos = first[stop];
    TRY(seqnn_model_translate(m, src, 4, bos, eos, max_len, out, &n));
    EXPECT(n == stop && !memcmp(out, first, (size_t)n * sizeof *out), "translate with eos %d wrote %lld tokens, "
           "expected the first %lld of the run without eos", (int)eos, (long long)n, (long long)stop);
    int64_t dims[4];
    TRY(seqnn_model_attention_weights(m, "attn", NULL, 0, dims));
    int64_t rows = n < max_len ? n + 1 : n;
    EXPECT(dims[0] == 1 && dims[2] == 1 && dims[3] == 4, "weights after translate (its last step): [%lld, %lld, %lld, %lld]",
           (long long)dims[0], (long long)dims[1], (long long)dims[2], (long long)dims[3]);
    /* teacher forcing on [bos, out...]: the argmax of row t is out[t] (then eos) */
    int32_t dec[13];
    dec[0] = bos;
    for (int64_t t = 0; t < n; t++)
        dec[t + 1] = out[t];
    seqnn_batch b;
    memset(&b, 0, sizeof b);
    b.seq_len = 4;
    b.batch = 1;
    b.tokens = src;
    b.dec_len = rows;
    b.dec_tokens = dec;
    float *logits = malloc((size_t)(rows * 7) * sizeof *logits);
    TRY(seqnn_model_predict(m, &b, logits, rows * 7));
    int agree = 1;
    for (int64_t t = 0; t < rows; t++) {
        int best = 0;
        for (int j = 1; j < 7; j++)
            if (logits[t * 7 + j] > logits[t * 7 + best])
                best = j;
        if (best != (t < n ? out[t] : eos))
            agree = 0;
    }
    EXPECT(agree, "greedy translation differs from the teacher-forced argmax");
    printf("translate: %lld tokens without eos, %lld then eos; each the argmax of the teacher-forced forward\n",
           (long long)max_len, (long long)n);
    /* refusals */
    EXPECT(seqnn_model_translate(m, src, 4, 7, eos, max_len, out, &n) == SEQNN_ERR_INVALID_ARG &&
               strstr(seqnn_last_error(), "bos"), "bos outside the vocabulary: %s", seqnn_last_error());
    const int32_t bad_src[2] = {1, 6};
    EXPECT(seqnn_model_translate(m, bad_src, 2, bos, eos, max_len, out, &n) == SEQNN_ERR_INVALID_ARG &&
               strstr(seqnn_last_error(), "src[1]"), "source token outside the vocabulary: %s", seqnn_last_error());
    free(logits);
    batch_free(&d);
    seqnn_model_destroy(m);
    seqnn_model *lm = build(d_lstm, 1);
    if (lm) {
        EXPECT(seqnn_model_translate(lm, src, 4, bos, eos, max_len, out, &n) == SEQNN_ERR_INVALID_ARG &&
                   strstr(seqnn_last_error(), "encoder-decoder"), "translate on a language model: %s",
               seqnn_last_error());
        seqnn_model_destroy(lm);
    }
}

/* Shapes are checked at build time with clear messages. */
static void bad_models(void)
{
    struct {
        const char *needle;
        int kind;
    } want[] = {{"not a multiple of heads", 0}, {"needs the decoder's size", 1}, {"fewer than the filter width", 2},
                {"encoder to output a sequence", 3}};
    for (int k = 0; k < 4; k++) {
        seqnn_model *m = NULL;
        seqnn_model_create(&m);
        seqnn_status s = SEQNN_OK;
        if (want[k].kind == 0) {         /* E = 5, 2 heads */
            seqnn_attention_desc a = adesc(SEQNN_SCORE_SCALED_DOT, 2, 0, 0, 0);
            seqnn_model_input_features(m, 5);
            seqnn_model_add_attention(m, NULL, &a);
            s = seqnn_model_build(m, ctx, 1);
        } else if (want[k].kind == 1) {  /* dot score, D = 3, De = 4 */
            seqnn_model_destroy(m);
            m = NULL;
            seqnn_model_create(&m);
            seq2seq(m, SEQNN_SCORE_SCALED_DOT, 1, 0);
            m->layers[3].rnn.hidden = 3;   /* the decoder LSTM */
            s = seqnn_model_build(m, ctx, 1);
        } else if (want[k].kind == 2) {  /* T = 2 < width 3 */
            seqnn_model_destroy(m);
            m = build(d_conv_tanh, 1);
            if (!m)
                continue;
            batch_data d;
            make_batch(m, 2, 0, 2, 0, 1, &d);
            s = seqnn_model_evaluate(m, &d.b, NULL);
            batch_free(&d);
        } else {                         /* encoder with last = 1 */
            seqnn_recurrent_desc r = rdesc(SEQNN_CELL_GRU, 4, 1, 0, 1, 0);
            seqnn_attention_desc a = adesc(SEQNN_SCORE_BILINEAR, 1, 0, 1, 0);
            seqnn_model_input_tokens(m, 5);
            seqnn_model_add_embedding(m, NULL, 4, -1);
            seqnn_model_add_recurrent(m, NULL, &r);
            seqnn_model_begin_decoder(m, 5);
            seqnn_model_add_embedding(m, "e2", 4, -1);
            seqnn_model_add_attention(m, NULL, &a);
            seqnn_model_add_dense(m, NULL, 5);
            s = seqnn_model_build(m, ctx, 1);
        }
        EXPECT(s == SEQNN_ERR_INVALID_ARG && strstr(seqnn_last_error(), want[k].needle), "bad model %d: %s", k,
               seqnn_last_error());
        seqnn_model_destroy(m);
    }
    printf("bad models: heads not dividing E, dot score with D != De, T < width, vector encoder: refused\n");
}

int main(void)
{
    if (seqnn_context_create("ref", &ctx) != SEQNN_OK) {
        printf("FAIL cannot open the ref plugin: %s\n", seqnn_last_error());
        return 1;
    }
    size_t nc = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < nc; i++)
        gradient_check(&cases[i], i == 0);
    printf("%lld samples compared in %zu models\n", (long long)total_checked, nc);
    for (size_t i = 0; i < nc; i++)
        training_step(&cases[i]);
    determinism();
    padding_invariance("conv bank", d_conv_tanh, 5, 0);
    padding_invariance("self-attention", d_self_attn, 5, 0);
    padding_invariance("seq2seq scaled dot + causal self-attention", d_s2s_scaled, 5, 4);
    padding_invariance("seq2seq additive + bilinear", d_s2s_additive, 5, 4);
    attention_weights();
    translation();
    bad_models();
    seqnn_context_destroy(ctx);
    printf("%s: %d failure%s\n", failures ? "FAIL" : "PASS", failures, failures == 1 ? "" : "s");
    return failures ? 1 : 0;
}

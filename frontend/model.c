/* Models: the description (inputs, layers, loss), building (shape inference,
 * parameter allocation and initialisation) and parameter access. Device
 * tensors are in tensor.c, optimizers in optim.c, the forward and backward
 * passes with the training and inference entry points in train.c,
 * checkpoints in checkpoint.c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fe.h"
#include "dist.h"

/* ---------------------------------------------------------- describing --- */
seqnn_status seqnn_model_create(seqnn_model **out)
{
    if (!out)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_create: out is NULL");
    *out = NULL;
    seqnn_model *m = calloc(1, sizeof *m);
    if (!m)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "seqnn_model_create: out of memory");
    m->decoder_start = -1;
    m->error_layer = -1;
    m->error_input = -1;
    m->loss = SEQNN_LOSS_XENT;
    m->optim = seqnn_optim_defaults(SEQNN_OPTIM_ADAM);
    *out = m;
    return SEQNN_OK;
}

/* Frees everything a model holds on its device and turns it back into a
 * description (the state after a failed build, or before destroy). */
static void release_device(seqnn_model *m)
{
    free(m->order);
    m->order = NULL;
    for (int i = 0; i < m->n_layers; i++) {
        fe_layer *L = &m->layers[i];
        if (L->ops->destroy)
            L->ops->destroy(m, L);
        fe_tensor_free(m, &L->y);
        fe_tensor_free(m, &L->dy);
        L->nparams = 0;
    }
    fe_tensor *ts[] = {&m->in_tokens, &m->in_features, &m->dec_tokens, &m->targets, &m->values, &m->scalars};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        fe_tensor_free(m, ts[i]);
    for (int k = 0; k < m->n_inputs; k++)
        fe_tensor_free(m, &m->inputs[k].data);
    for (int k = 0; k < FE_MAX_FROM; k++)
        fe_tensor_free(m, &m->gscratch[k]);
    for (int i = 0; i < m->n_slots; i++)
        if (m->slots[i].buf)
            seqnn_buffer_free(m->ctx, m->slots[i].buf);
    m->n_slots = 0;
    if (m->pbuf)
        seqnn_buffer_free(m->ctx, m->pbuf);
    if (m->gbuf)
        seqnn_buffer_free(m->ctx, m->gbuf);
    m->pbuf = m->gbuf = NULL;
    m->n_params = 0;
    m->total = 0;
    m->built = 0;
    m->ctx = NULL;
}

void seqnn_model_destroy(seqnn_model *m)
{
    if (!m)
        return;
    fe_loss_release(m);
    fe_dist_free(m);
    release_device(m);
    free(m->layers);
    free(m->params);
    free(m->lengths);
    free(m->dec_lengths);
    free(m->host_targets);
    for (int k = 0; k < m->n_inputs; k++)
        free(m->inputs[k].lengths);
    free(m);
}

static seqnn_status check_open(seqnn_model *m, const char *fn)
{
    if (!m)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s: model is NULL", fn);
    if (m->built)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s: the model is already built", fn);
    return SEQNN_OK;
}

static int name_valid(const char *s)
{
    if (!*s || strlen(s) >= FE_NAME - 40)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '.'))
            return 0;
    return 1;
}

static int name_taken(const seqnn_model *m, const char *name)
{
    for (int i = 0; i < m->n_layers; i++)
        if (!strcmp(m->layers[i].name, name))
            return 1;
    for (int k = 0; k < m->n_inputs; k++)
        if (!strcmp(m->inputs[k].name, name))
            return 1;
    return 0;
}

/* Declares input number m->n_inputs: token ids (tokens = 1, n = vocab) or
 * features (n = dim). */
static seqnn_status add_input(seqnn_model *m, const char *fn, const char *name, int tokens, int64_t n)
{
    FE_TRY(check_open(m, fn));
    const char *what = tokens ? "input tokens: vocab" : "input features: dim";
    int64_t hi = tokens ? INT32_MAX : (1 << 24);
    if (n < 1 || n > hi)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s %lld must be in [1, %s", what, (long long)n,
                               tokens ? "2^31)" : "2^24");
    if (!name || !name_valid(name))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "%s: invalid input name '%s' (use [A-Za-z0-9_.], under 56 characters)", fn,
                               name ? name : "(null)");
    if (name_taken(m, name))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s: the name '%s' is used twice", fn, name);
    if (m->n_inputs == FE_MAX_INPUTS)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s: a model has at most %d inputs", fn, FE_MAX_INPUTS);
    if (m->decoder_start >= 0)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s: inputs come before the decoder", fn);
    fe_input *in = &m->inputs[m->n_inputs];
    memset(in, 0, sizeof *in);
    snprintf(in->name, sizeof in->name, "%s", name);
    in->shape.seq = 1;
    in->shape.tokens = tokens;
    in->shape.n = n;
    if (m->n_inputs == 0)
        m->input = in->shape;
    m->last_node = FE_INPUT_NODE(m->n_inputs);
    m->n_inputs++;
    m->has_input = 1;
    return SEQNN_OK;
}

seqnn_status seqnn_model_input_tokens(seqnn_model *m, int64_t vocab)
{
    if (m && m->has_input)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "the model already has an input");
    return add_input(m, "seqnn_model_input_tokens", "input", 1, vocab);
}

seqnn_status seqnn_model_input_features(seqnn_model *m, int64_t dim)
{
    if (m && m->has_input)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "the model already has an input");
    return add_input(m, "seqnn_model_input_features", "input", 0, dim);
}

seqnn_status seqnn_model_add_input_tokens(seqnn_model *m, const char *name, int64_t vocab)
{
    return add_input(m, "seqnn_model_add_input_tokens", name, 1, vocab);
}

seqnn_status seqnn_model_add_input_features(seqnn_model *m, const char *name, int64_t dim)
{
    return add_input(m, "seqnn_model_add_input_features", name, 0, dim);
}

int seqnn_model_input_count(const seqnn_model *m)
{
    return m ? m->n_inputs : 0;
}

seqnn_status seqnn_model_input_info(const seqnn_model *m, int k, seqnn_input_info *out)
{
    if (!m || !out || k < 0 || k >= m->n_inputs)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_input_info: no input %d (the model has %d)", k,
                               m ? m->n_inputs : 0);
    out->name = m->inputs[k].name;
    out->tokens = m->inputs[k].shape.tokens;
    out->n = m->inputs[k].shape.n;
    return SEQNN_OK;
}

/* Appends a layer of kind ops named name (or an automatic name from base). */
static seqnn_status add_layer(seqnn_model *m, const fe_layer_ops *ops, const char *name,
                              const char *base, fe_layer **out)
{
    FE_TRY(check_open(m, ops->kind));
    if (!m->has_input)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "%s: declare the input (tokens or features) before any layer", ops->kind);
    char auto_name[FE_NAME];
    if (name) {
        if (!name_valid(name))
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                                   "%s: invalid layer name '%s' (use [A-Za-z0-9_.], under 56 characters)",
                                   ops->kind, name);
        if (name_taken(m, name))
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s: layer name '%s' is used twice",
                                   ops->kind, name);
    } else {
        snprintf(auto_name, sizeof auto_name, "%s", base);
        for (int k = 1; name_taken(m, auto_name); k++)
            snprintf(auto_name, sizeof auto_name, "%s%d", base, k);
        name = auto_name;
    }
    if (m->n_layers == m->cap_layers) {
        int cap = m->cap_layers ? 2 * m->cap_layers : 8;
        fe_layer *nl = realloc(m->layers, (size_t)cap * sizeof *nl);
        if (!nl)
            return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory adding a layer");
        m->layers = nl;
        m->cap_layers = cap;
    }
    fe_layer *L = &m->layers[m->n_layers];
    memset(L, 0, sizeof *L);
    L->ops = ops;
    snprintf(L->name, sizeof L->name, "%s", name);
    L->decoder = m->decoder_start >= 0;
    L->n_from = 1;
    L->from[0] = m->last_node;
    *out = L;
    return SEQNN_OK;
}

/* The layer added last becomes part of the model (after its own checks). */
static seqnn_status commit_layer(seqnn_model *m)
{
    m->last_node = m->n_layers++;
    return SEQNN_OK;
}

seqnn_status seqnn_model_add_embedding(seqnn_model *m, const char *name, int64_t dim,
                                       int32_t padding_idx)
{
    fe_layer *L;
    FE_TRY(add_layer(m, &fe_embedding_ops, name, "embedding", &L));
    if (dim < 1 || dim > (1 << 24))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "embedding '%s': dim %lld must be in [1, 2^24]",
                               L->name, (long long)dim);
    if (padding_idx < -1)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "embedding '%s': padding index %d must be -1 (none) or a token id",
                               L->name, (int)padding_idx);
    L->emb.dim = dim;
    L->emb.padding_idx = padding_idx;
    return commit_layer(m);
}

seqnn_status seqnn_model_add_dense(seqnn_model *m, const char *name, int64_t out)
{
    fe_layer *L;
    FE_TRY(add_layer(m, &fe_dense_ops, name, "fc", &L));
    if (out < 1 || out > (1 << 24))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "dense '%s': out %lld must be in [1, 2^24]",
                               L->name, (long long)out);
    L->dense.out = out;
    return commit_layer(m);
}

seqnn_status seqnn_model_add_activation(seqnn_model *m, seqnn_act act, double alpha)
{
    fe_layer *L;
    FE_TRY(add_layer(m, &fe_activation_ops, NULL, "act", &L));
    if ((int)act < 0 || act >= SEQNN_ACT_COUNT)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "activation: unknown kind %d", (int)act);
    if (!isfinite(alpha))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "activation: alpha must be finite");
    L->act.kind = act;
    L->act.alpha = alpha;
    return commit_layer(m);
}

seqnn_status seqnn_model_add_dropout(seqnn_model *m, double p)
{
    fe_layer *L;
    FE_TRY(add_layer(m, &fe_dropout_ops, NULL, "dropout", &L));
    if (!(p >= 0.0 && p < 1.0))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "dropout: p = %g must be in [0, 1)", p);
    L->drop.p = p;
    return commit_layer(m);
}

seqnn_status seqnn_model_add_recurrent(seqnn_model *m, const char *name, const seqnn_recurrent_desc *d)
{
    static const char *bases[] = {"rnn", "rnn", "lstm", "gru", "gru"};
    if (!d)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "recurrent layer: description is NULL");
    if ((int)d->cell < 0 || d->cell >= SEQNN_CELL_COUNT)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "recurrent layer: unknown cell %d", (int)d->cell);
    fe_layer *L;
    FE_TRY(add_layer(m, &fe_recurrent_ops, name, bases[d->cell], &L));
    if (d->hidden < 1 || d->hidden > (1 << 20))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s '%s': hidden %lld must be in [1, 2^20]",
                               bases[d->cell], L->name, (long long)d->hidden);
    if (d->layers < 1 || d->layers > 16)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s '%s': layers %lld must be in [1, 16]",
                               bases[d->cell], L->name, (long long)d->layers);
    if (!(d->dropout >= 0.0 && d->dropout < 1.0))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s '%s': dropout %g must be in [0, 1)",
                               bases[d->cell], L->name, d->dropout);
    if ((int)d->init < 0 || d->init >= SEQNN_INIT_COUNT)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s '%s': unknown init %d", bases[d->cell],
                               L->name, (int)d->init);
    if (d->bidirectional != 0 && d->bidirectional != 1)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s '%s': bidirectional must be 0 or 1",
                               bases[d->cell], L->name);
    if (d->last != 0 && d->last != 1)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s '%s': last must be 0 or 1", bases[d->cell],
                               L->name);
    L->rnn = *d;
    return commit_layer(m);
}

static seqnn_status add_cell(seqnn_model *m, const char *name, seqnn_cell cell, int64_t hidden, int64_t layers,
                             int bidirectional, double dropout)
{
    seqnn_recurrent_desc d = {.cell = cell, .hidden = hidden, .layers = layers, .bidirectional = bidirectional,
                              .dropout = dropout};
    return seqnn_model_add_recurrent(m, name, &d);
}

seqnn_status seqnn_model_add_lstm(seqnn_model *m, const char *name, int64_t hidden, int64_t layers,
                                  int bidirectional, double dropout)
{
    return add_cell(m, name, SEQNN_CELL_LSTM, hidden, layers, bidirectional, dropout);
}

seqnn_status seqnn_model_add_gru(seqnn_model *m, const char *name, int64_t hidden, int64_t layers,
                                 int bidirectional, double dropout)
{
    return add_cell(m, name, SEQNN_CELL_GRU, hidden, layers, bidirectional, dropout);
}

seqnn_status seqnn_model_add_rnn(seqnn_model *m, const char *name, int64_t hidden, int64_t layers,
                                 int bidirectional, double dropout)
{
    return add_cell(m, name, SEQNN_CELL_RNN_TANH, hidden, layers, bidirectional, dropout);
}

seqnn_status seqnn_model_add_conv1d_bank(seqnn_model *m, const char *name, int64_t filters,
                                         int n_widths, const int64_t *widths, seqnn_act act)
{
    fe_layer *L;
    FE_TRY(add_layer(m, &fe_conv1d_bank_ops, name, "convs", &L));
    if (filters < 1 || filters > (1 << 20))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "conv1d bank '%s': filters %lld must be in [1, 2^20]",
                               L->name, (long long)filters);
    if (n_widths < 1 || n_widths > FE_MAX_WIDTHS || !widths)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "conv1d bank '%s': 1 to %d widths are needed",
                               L->name, FE_MAX_WIDTHS);
    for (int i = 0; i < n_widths; i++) {
        if (widths[i] < 1 || widths[i] > 1024)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "conv1d bank '%s': width %lld must be in [1, 1024]",
                                   L->name, (long long)widths[i]);
        L->conv.widths[i] = widths[i];
    }
    if ((int)act < 0 || act >= SEQNN_ACT_COUNT)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "conv1d bank '%s': unknown activation %d",
                               L->name, (int)act);
    L->conv.filters = filters;
    L->conv.n_widths = n_widths;
    L->conv.act = act;
    return commit_layer(m);
}

seqnn_status seqnn_model_add_attention(seqnn_model *m, const char *name, const seqnn_attention_desc *d)
{
    if (!d)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "attention: description is NULL");
    fe_layer *L;
    FE_TRY(add_layer(m, &fe_attention_ops, name, "attn", &L));
    if ((int)d->score < 0 || d->score >= SEQNN_SCORE_COUNT)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "attention '%s': unknown score %d", L->name,
                               (int)d->score);
    if (d->heads < 1 || d->heads > 1024)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "attention '%s': heads %lld must be in [1, 1024]",
                               L->name, (long long)d->heads);
    if (d->encoder && m->decoder_start < 0)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "attention '%s': encoder attention belongs in a decoder (after begin_decoder)",
                               L->name);
    if (d->encoder && d->causal)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "attention '%s': causal masking applies to self-attention only", L->name);
    if ((d->score == SEQNN_SCORE_BILINEAR || d->score == SEQNN_SCORE_ADDITIVE) && d->heads != 1)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "attention '%s': bilinear and additive scores need heads = 1", L->name);
    if (d->attn_dim < 0 || d->attn_dim > (1 << 20))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "attention '%s': attn_dim out of range", L->name);
    L->att = *d;
    return commit_layer(m);
}

seqnn_status seqnn_model_add_tree(seqnn_model *m, const char *name, const seqnn_tree_desc *d)
{
    if (!d)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "tree layer: description is NULL");
    fe_layer *L;
    FE_TRY(add_layer(m, &fe_tree_ops, name, "tree", &L));
    if ((int)d->cell < 0 || d->cell >= SEQNN_TREE_CELL_COUNT)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "tree '%s': unknown cell %d", L->name, (int)d->cell);
    if (d->hidden < 1 || d->hidden > (1 << 20))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "tree '%s': hidden %lld must be in [1, 2^20]",
                               L->name, (long long)d->hidden);
    if (d->nodes != 0 && d->nodes != 1)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "tree '%s': nodes must be 0 or 1", L->name);
    if (m->decoder_start >= 0)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "tree '%s': tree layers are not supported in a "
                               "model with a decoder", L->name);
    L->tree = *d;
    return commit_layer(m);
}

seqnn_status seqnn_model_begin_decoder(seqnn_model *m, int64_t vocab)
{
    FE_TRY(check_open(m, "seqnn_model_begin_decoder"));
    if (m->decoder_start >= 0)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "the model already has a decoder");
    if (m->n_layers == 0)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "a decoder needs an encoder: add its layers first");
    if (vocab < 1 || vocab > INT32_MAX)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "decoder: vocab %lld must be in [1, 2^31)",
                               (long long)vocab);
    m->decoder_start = m->n_layers;
    m->dec_vocab = vocab;
    m->last_node = FE_DECODER_NODE;
    return SEQNN_OK;
}

/* Records the comma-separated names of from as L's predecessors. */
static seqnn_status parse_from(fe_layer *L, const char *from, int most)
{
    int n = 0;
    for (const char *c = from;; n++) {
        const char *comma = strchr(c, ',');
        size_t len = comma ? (size_t)(comma - c) : strlen(c);
        if (len == 0 || len >= FE_NAME)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s '%s': from: empty or overlong name in '%s'",
                                   L->ops->kind, L->name, from);
        if (n == most)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s '%s': reads at most %d node%s%s", L->ops->kind,
                                   L->name, most, most == 1 ? "" : "s",
                                   most == 1 ? " (join several with a concat, add or multiply merge)" : "");
        memcpy(L->from_names[n], c, len);
        L->from_names[n][len] = '\0';
        if (!comma)
            break;
        c = comma + 1;
    }
    L->n_from = n + 1;
    L->named = 1;
    return SEQNN_OK;
}

seqnn_status seqnn_model_set_from(seqnn_model *m, const char *layer, const char *from)
{
    FE_TRY(check_open(m, "seqnn_model_set_from"));
    if (!from)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_set_from: from is NULL");
    fe_layer *L = NULL;
    for (int i = 0; i < m->n_layers && layer; i++)
        if (!strcmp(m->layers[i].name, layer))
            L = &m->layers[i];
    if (!layer && m->n_layers > 0)
        L = &m->layers[m->n_layers - 1];
    if (!L)
        return seqnn_set_error(NULL, SEQNN_ERR_NOT_FOUND, "seqnn_model_set_from: no layer named '%s'",
                               layer ? layer : "(none added yet)");
    fe_layer saved = *L;
    seqnn_status s = parse_from(L, from, L->ops->backward_merge ? FE_MAX_FROM : 1);
    if (s == SEQNN_OK && L->ops->backward_merge && L->n_from < 2)
        s = seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s '%s': a merge reads at least 2 nodes, from=%s names one",
                            L->ops->kind, L->name, from);
    if (s != SEQNN_OK)
        *L = saved;
    return s;
}

seqnn_status seqnn_model_add_merge(seqnn_model *m, const char *name, seqnn_merge kind, const char *from)
{
    static const char *bases[] = {"concat", "add", "multiply"};
    if ((int)kind < 0 || kind >= SEQNN_MERGE_COUNT)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "merge: unknown kind %d", (int)kind);
    if (!from)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s: a merge names the nodes it reads (from)", bases[kind]);
    fe_layer *L;
    FE_TRY(add_layer(m, &fe_merge_ops[kind], name, bases[kind], &L));
    L->merge.kind = kind;
    FE_TRY(parse_from(L, from, FE_MAX_FROM));
    if (L->n_from < 2)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s '%s': a merge reads at least 2 nodes, from=%s names one",
                               bases[kind], L->name, from);
    return commit_layer(m);
}

seqnn_status seqnn_model_set_loss(seqnn_model *m, seqnn_loss_kind loss)
{
    FE_TRY(check_open(m, "seqnn_model_set_loss"));
    if ((int)loss < 0 || loss >= SEQNN_LOSS_COUNT)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "unknown loss %d", (int)loss);
    m->loss = loss;
    return SEQNN_OK;
}

seqnn_loss_kind seqnn_model_loss(const seqnn_model *m)
{
    return m ? m->loss : SEQNN_LOSS_XENT;
}

/* ------------------------------------------------------------ building --- */
int64_t fe_param_add(seqnn_model *m, fe_layer *L, const char *suffix, int ndim, const int64_t *shape,
                     fe_init init, double a)
{
    if (m->n_params == m->cap_params) {
        int64_t cap = m->cap_params ? 2 * m->cap_params : 16;
        fe_param *np = realloc(m->params, (size_t)cap * sizeof *np);
        if (!np)
            return -1;
        m->params = np;
        m->cap_params = cap;
    }
    fe_param *p = &m->params[m->n_params];
    memset(p, 0, sizeof *p);
    int len = snprintf(p->name, sizeof p->name, "%s.%s", L->name, suffix);
    if (len < 0 || (size_t)len >= sizeof p->name)
        return -1;
    p->ndim = ndim;
    p->count = 1;
    for (int i = 0; i < ndim; i++) {
        p->shape[i] = shape[i];
        p->count *= shape[i];
    }
    p->init = init;
    p->a = a;
    p->zero_row = -1;
    /* 16-element alignment keeps every tensor on a 64-byte boundary. */
    p->off = (m->total + 15) / 16 * 16;
    m->total = p->off + p->count;
    if (L->nparams == 0)
        L->param0 = m->n_params;
    L->nparams++;
    return m->n_params++;
}

fe_layer *fe_encoder_output(seqnn_model *m)
{
    return m->decoder_start > 0 ? &m->layers[m->decoder_start - 1] : NULL;
}

/* ---------------------------------------------------------------- graph --- */
const fe_tensor *fe_node_output(const seqnn_model *m, int node)
{
    if (node >= 0)
        return &m->layers[node].y;
    if (node == FE_DECODER_NODE)
        return &m->dec_tokens;
    int k = FE_INPUT_NODE(node);
    if (k > 0)
        return &m->inputs[k].data;
    return m->input.tokens ? &m->in_tokens : &m->in_features;
}

fe_shape fe_node_shape(const seqnn_model *m, int node)
{
    if (node >= 0)
        return m->layers[node].out;
    fe_shape dec = {1, 1, m->dec_vocab};
    return node == FE_DECODER_NODE ? dec : m->inputs[FE_INPUT_NODE(node)].shape;
}

const char *fe_node_name(const seqnn_model *m, int node)
{
    if (node >= 0)
        return m->layers[node].name;
    return node == FE_DECODER_NODE ? "decoder" : m->inputs[FE_INPUT_NODE(node)].name;
}

/* Fails for layer i (recorded in m->error_layer for the model-file reader). */
static seqnn_status layer_fail(seqnn_model *m, int i, seqnn_status s, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static seqnn_status layer_fail(seqnn_model *m, int i, seqnn_status s, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    m->error_layer = i;
    return seqnn_set_error(NULL, s, "layer %d (%s '%s'): %s", i + 1, m->layers[i].ops->kind, m->layers[i].name, msg);
}

/* Turns the layers' predecessor names into node ids. */
static seqnn_status resolve_names(seqnn_model *m)
{
    for (int i = 0; i < m->n_layers; i++) {
        fe_layer *L = &m->layers[i];
        for (int k = 0; L->named && k < L->n_from; k++) {
            const char *want = L->from_names[k];
            int node = INT32_MIN;
            for (int j = 0; j < m->n_layers && node == INT32_MIN; j++)
                if (!strcmp(m->layers[j].name, want))
                    node = j;
            for (int j = 0; j < m->n_inputs && node == INT32_MIN; j++)
                if (!strcmp(m->inputs[j].name, want))
                    node = FE_INPUT_NODE(j);
            if (node == INT32_MIN)
                return layer_fail(m, i, SEQNN_ERR_INVALID_ARG, "from: unknown name '%s' (no input or layer has it)",
                                  want);
            if (node == i)
                return layer_fail(m, i, SEQNN_ERR_INVALID_ARG, "from: a cycle: '%s' reads itself", want);
            L->from[k] = node;
        }
    }
    return SEQNN_OK;
}

/* Describes the cycle through layer `start` (every layer on it unsorted). */
static seqnn_status cycle_error(seqnn_model *m, const char *sorted, int start)
{
    char path[512];
    size_t len = 0;
    int cur = start, steps = 0;
    char *seen = calloc((size_t)m->n_layers + 1, 1);
    if (!seen)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    while (!seen[cur] && steps++ < m->n_layers) {   /* walk to a layer on the cycle */
        seen[cur] = 1;
        const fe_layer *L = &m->layers[cur];
        for (int k = 0; k < L->n_from; k++)
            if (L->from[k] >= 0 && !sorted[L->from[k]]) {
                cur = L->from[k];
                break;
            }
    }
    free(seen);
    int first = cur;
    do {                                 /* and around it, in reading order */
        const fe_layer *L = &m->layers[cur];
        if (len < sizeof path)
            len += (size_t)snprintf(path + len, sizeof path - len, "%s <- ", L->name);
        for (int k = 0; k < L->n_from; k++)
            if (L->from[k] >= 0 && !sorted[L->from[k]]) {
                cur = L->from[k];
                break;
            }
    } while (cur != first);
    if (len < sizeof path)
        snprintf(path + len, sizeof path - len, "%s", m->layers[first].name);
    return layer_fail(m, first, SEQNN_ERR_INVALID_ARG, "from: a cycle: %s (each reads the next)", path);
}

/* m->order: the layers in an order where each comes after what it reads,
 * and otherwise in the order added (a stack's order is the identity). */
static seqnn_status sort_layers(seqnn_model *m)
{
    m->order = malloc(((size_t)m->n_layers + 1) * sizeof *m->order);
    char *sorted = calloc((size_t)m->n_layers + 1, 1);
    if (!m->order || !sorted) {
        free(sorted);
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory sorting the layers");
    }
    int n = 0;
    while (n < m->n_layers) {
        int pick = -1;
        for (int i = 0; i < m->n_layers && pick < 0; i++) {
            int ready = !sorted[i];
            for (int k = 0; ready && k < m->layers[i].n_from; k++)
                ready = m->layers[i].from[k] < 0 || sorted[m->layers[i].from[k]];
            if (ready)
                pick = i;
        }
        if (pick < 0)
            break;
        sorted[pick] = 1;
        m->order[n++] = pick;
    }
    seqnn_status s = SEQNN_OK;
    for (int i = 0; i < m->n_layers && s == SEQNN_OK; i++)
        if (!sorted[i])
            s = cycle_error(m, sorted, i);
    free(sorted);
    return s;
}

/* Every input must be read (a batch has to give it all the same). */
static seqnn_status check_inputs_read(seqnn_model *m)
{
    for (int k = 0; k < m->n_inputs; k++) {
        int read = 0;
        for (int j = 0; j < m->n_layers && !read; j++)
            for (int f = 0; f < m->layers[j].n_from; f++)
                read |= m->layers[j].from[f] == FE_INPUT_NODE(k);
        if (!read) {
            m->error_input = k;
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "input '%s': no layer reads it", m->inputs[k].name);
        }
    }
    return SEQNN_OK;
}

/* Every layer but the output (and an encoder's last layer, which decoder
 * attention reads) must be read by another. */
static seqnn_status check_consumers(seqnn_model *m)
{
    fe_layer *enc = fe_encoder_output(m);
    for (int i = 0; i < m->n_layers - 1; i++) {
        int read = &m->layers[i] == enc;
        for (int j = 0; j < m->n_layers && !read; j++)
            for (int k = 0; k < m->layers[j].n_from; k++)
                read |= m->layers[j].from[k] == i;
        if (!read)
            return layer_fail(m, i, SEQNN_ERR_INVALID_ARG,
                              "nothing reads it and it is not the output (the last layer, '%s')",
                              m->layers[m->n_layers - 1].name);
    }
    return SEQNN_OK;
}

/* Encoder-decoder models stay stacks of one input (greedy decoding and the
 * encoder attention read the encoder's single stream). */
static seqnn_status check_decoder_stack(seqnn_model *m)
{
    if (m->decoder_start < 0)
        return SEQNN_OK;
    if (m->n_inputs > 1)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "an encoder-decoder model has one input (it has %d)",
                               m->n_inputs);
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].named)
            return layer_fail(m, i, SEQNN_ERR_INVALID_ARG, "an encoder-decoder model is a stack: from=%s and merges "
                              "need a model without a decoder", m->layers[i].from_names[0]);
    return SEQNN_OK;
}

/* Resolves and orders the graph, then checks and infers every layer's
 * shapes and declares its parameters (on m->ctx, or on none for a check). */
static seqnn_status build_graph(seqnn_model *m)
{
    m->error_layer = -1;
    m->error_input = -1;
    FE_TRY(resolve_names(m));
    FE_TRY(check_decoder_stack(m));
    FE_TRY(sort_layers(m));
    FE_TRY(check_consumers(m));
    for (int j = 0; j < m->n_layers; j++) {
        int i = m->order[j];
        fe_layer *L = &m->layers[i];
        int src = L->from[0];
        L->in = fe_node_shape(m, src);
        if (src >= 0)
            L->stream = m->layers[src].stream;
        else if (src != FE_DECODER_NODE)
            L->stream = FE_INPUT_NODE(src);
        seqnn_status s = L->ops->build(m, L);
        if (s != SEQNN_OK) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", seqnn_last_error());
            return layer_fail(m, i, s, "%s", msg);
        }
    }
    return check_inputs_read(m);
}

seqnn_status fe_model_check(seqnn_model *m)
{
    FE_TRY(check_open(m, "model check"));
    seqnn_status s = m->has_input ? build_graph(m) : SEQNN_OK;
    release_device(m);
    return s;
}

static seqnn_status init_params(seqnn_model *m)
{
    int64_t biggest = 1;
    for (int64_t i = 0; i < m->n_params; i++)
        if (m->params[i].count > biggest)
            biggest = m->params[i].count;
    float *host = malloc((size_t)biggest * sizeof *host);
    if (!host)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory initialising parameters");
    seqnn_status s = SEQNN_OK;
    for (int64_t i = 0; i < m->n_params && s == SEQNN_OK; i++) {
        fe_init_values(&m->params[i], m->seed, i, host);
        s = seqnn_buffer_write(m->ctx, m->pbuf, m->params[i].off, host, m->params[i].count);
    }
    free(host);
    return s;
}

seqnn_status seqnn_model_build(seqnn_model *m, seqnn_context *ctx, uint64_t seed)
{
    FE_TRY(check_open(m, "seqnn_model_build"));
    if (!ctx)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_build: context is NULL");
    if (!m->has_input)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "the model has no input");
    if (m->n_layers == 0 || m->decoder_start == m->n_layers)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "the model has no layers%s",
                               m->decoder_start >= 0 ? " in its decoder" : "");
    m->ctx = ctx;
    m->seed = seed;
    seqnn_status s = build_graph(m);
    fe_shape cur = m->layers[m->n_layers - 1].out;
    if (s == SEQNN_OK && cur.tokens)
        s = seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "the model's output is token ids: add layers after the input");
    if (s == SEQNN_OK && m->loss == SEQNN_LOSS_XENT && cur.n < 2)
        s = seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                            "cross-entropy needs at least 2 output classes (the last layer has %lld)",
                            (long long)cur.n);
    if (s == SEQNN_OK && m->decoder_start >= 0 && !cur.seq)
        s = seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "a decoder must output a sequence");
    if (s == SEQNN_OK && m->total > 0) {
        s = seqnn_buffer_alloc(ctx, SEQNN_F32, m->total, &m->pbuf);
        if (s == SEQNN_OK)
            s = seqnn_buffer_alloc(ctx, SEQNN_F32, m->total, &m->gbuf);
        if (s == SEQNN_OK)
            s = seqnn_buffer_fill(ctx, m->pbuf, 0, m->total, 0.0);
        if (s == SEQNN_OK)
            s = seqnn_buffer_fill(ctx, m->gbuf, 0, m->total, 0.0);
        if (s == SEQNN_OK)
            s = init_params(m);
    }
    if (s == SEQNN_OK)
        s = fe_tensor_ensure(m, &m->scalars, 1, 4);
    if (s == SEQNN_OK)
        s = seqnn_model_set_optimizer(m, &m->optim);
    if (s == SEQNN_OK)
        s = fe_plan_at_build(m);
    if (s != SEQNN_OK) {
        release_device(m);         /* back to a description */
        return s;
    }
    m->built = 1;
    return SEQNN_OK;
}

seqnn_status seqnn_model_output_shape(const seqnn_model *m, int *sequence, int64_t *n)
{
    if (!m || !m->built)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_output_shape: model not built");
    const fe_layer *L = &m->layers[m->n_layers - 1];
    if (sequence)
        *sequence = L->out.seq;
    if (n)
        *n = L->out.n;
    return SEQNN_OK;
}

/* " <- a, b" for a layer that names its predecessors (a stack's lines have none). */
static void summary_from(const fe_layer *L, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (int k = 0; L->named && k < L->n_from && len < size; k++)
        len += (size_t)snprintf(out + len, size - len, "%s%s", k ? ", " : " <- ", L->from_names[k]);
}

seqnn_status seqnn_model_summary(const seqnn_model *m, char *out, size_t size)
{
    if (!m || !out || size == 0)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_summary: bad argument");
    size_t used = 0;
    out[0] = 0;
    for (int k = 0; m->n_inputs > 1 && k < m->n_inputs && used < size; k++) {
        const fe_input *in = &m->inputs[k];
        int n = snprintf(out + used, size - used, "%-16s %-12s %-16s %10s\n", in->name, "input",
                         in->shape.tokens ? "[T, B] tokens" : "[T, B, dim]", "");
        used += n > 0 ? (size_t)n : 0;
    }
    for (int i = 0; i < m->n_layers && used < size; i++) {
        const fe_layer *L = &m->layers[i];
        int64_t np = 0;
        for (int64_t k = 0; k < L->nparams; k++)
            np += m->params[L->param0 + k].count;
        char shape[64], from[FE_MAX_FROM * FE_NAME];
        if (!m->built)
            snprintf(shape, sizeof shape, "?");
        else if (L->out.seq)
            snprintf(shape, sizeof shape, "[T, B, %lld]", (long long)L->out.n);
        else
            snprintf(shape, sizeof shape, "[B, %lld]", (long long)L->out.n);
        summary_from(L, from, sizeof from);
        int k = snprintf(out + used, size - used, "%s%-16s %-12s %-16s %10lld params%s\n",
                         i == m->decoder_start ? "decoder:\n" : "", L->name, L->ops->kind, shape,
                         (long long)np, from);
        if (k < 0)
            break;
        used += (size_t)k;
    }
    if (used < size)
        snprintf(out + used, size - used, "total %lld parameters\n", (long long)seqnn_model_param_total(m));
    return SEQNN_OK;
}

/* ---------------------------------------------------------- parameters --- */
int64_t seqnn_model_param_count(const seqnn_model *m)
{
    return m && m->built ? m->n_params : 0;
}

int64_t seqnn_model_param_total(const seqnn_model *m)
{
    if (!m || !m->built)
        return 0;
    int64_t t = 0;
    for (int64_t i = 0; i < m->n_params; i++)
        t += m->params[i].count;
    return t;
}

static seqnn_status check_param(const seqnn_model *m, int64_t i, const char *fn)
{
    if (!m || !m->built)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s: model not built", fn);
    if (i < 0 || i >= m->n_params)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s: parameter %lld out of range [0, %lld)", fn,
                               (long long)i, (long long)m->n_params);
    return SEQNN_OK;
}

seqnn_status seqnn_model_param(const seqnn_model *m, int64_t i, seqnn_param_info *out)
{
    FE_TRY(check_param(m, i, "seqnn_model_param"));
    if (!out)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_param: out is NULL");
    const fe_param *p = &m->params[i];
    out->name = p->name;
    out->ndim = p->ndim;
    for (int k = 0; k < 4; k++)
        out->shape[k] = k < p->ndim ? p->shape[k] : 0;
    out->count = p->count;
    return SEQNN_OK;
}

seqnn_status seqnn_model_param_read(seqnn_model *m, int64_t i, float *dst, int64_t count)
{
    FE_TRY(check_param(m, i, "seqnn_model_param_read"));
    if (!dst || count != m->params[i].count)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_param_read: '%s' has %lld elements, not %lld",
                               m->params[i].name, (long long)m->params[i].count, (long long)count);
    return seqnn_buffer_read(m->ctx, m->pbuf, m->params[i].off, dst, count);
}

seqnn_status seqnn_model_param_write(seqnn_model *m, int64_t i, const float *src, int64_t count)
{
    FE_TRY(check_param(m, i, "seqnn_model_param_write"));
    if (!src || count != m->params[i].count)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_param_write: '%s' has %lld elements, not %lld",
                               m->params[i].name, (long long)m->params[i].count, (long long)count);
    return seqnn_buffer_write(m->ctx, m->pbuf, m->params[i].off, src, count);
}

seqnn_status fe_param_new(seqnn_model *m, fe_layer *L, const char *suffix, int ndim, const int64_t *shape,
                          fe_init init, double a, int64_t *idx)
{
    int64_t i = fe_param_add(m, L, suffix, ndim, shape, init, a);
    if (i < 0)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory declaring parameter '%s.%s'",
                               L->name, suffix);
    if (idx)
        *idx = i;
    return SEQNN_OK;
}

seqnn_status fe_need_floats(const fe_layer *L)
{
    if (L->in.tokens)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "%s needs float inputs, not token ids: put an embedding before it", L->ops->kind);
    return SEQNN_OK;
}

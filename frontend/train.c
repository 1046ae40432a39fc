/* Training and inference: batches to the device, the forward and backward
 * passes over the layers, losses, gradient clipping, truncated BPTT state,
 * and sampling from language models (the optimizers' update is optim.c's). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fe.h"
#include "dist.h"


/* -------------------------------------------------------------- batches --- */
static const fe_layer *last_layer(const seqnn_model *m)
{
    return &m->layers[m->n_layers - 1];
}

static seqnn_status check_ids(const int32_t *ids, int64_t n, int64_t vocab, const char *what)
{
    for (int64_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= vocab)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "batch: %s[%lld] = %d is outside [0, %lld)", what,
                                   (long long)i, (int)ids[i], (long long)vocab);
    return SEQNN_OK;
}

static seqnn_status check_lengths(const int32_t *len, int64_t B, int64_t T, const char *pre, const char *what)
{
    for (int64_t b = 0; len && b < B; b++)
        if (len[b] < 0 || len[b] > T)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "batch: %s%s[%lld] = %d is outside [0, %lld]", pre, what,
                                   (long long)b, (int)len[b], (long long)T);
    return SEQNN_OK;
}

/* *dst = a copy of src[B] (NULL stays NULL); checked before. */
static seqnn_status copy_lengths(int32_t **dst, const int32_t *src, int64_t B)
{
    free(*dst);
    *dst = NULL;
    if (!src)
        return SEQNN_OK;
    *dst = malloc((size_t)B * sizeof **dst);
    if (!*dst)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "batch: out of memory");
    memcpy(*dst, src, (size_t)B * sizeof **dst);
    return SEQNN_OK;
}

/* The batch's data of each input: inputs[] for a model of several, the
 * single-input fields otherwise. */
static seqnn_status batch_inputs(const seqnn_model *m, const seqnn_batch *b, seqnn_batch_input *in)
{
    if (b->n_inputs == 0) {
        if (m->n_inputs > 1)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                                   "batch: the model has %d inputs: give their data in batch.inputs (n_inputs = %d)",
                                   m->n_inputs, m->n_inputs);
        in[0].seq_len = b->seq_len;
        in[0].tokens = b->tokens;
        in[0].features = b->features;
        in[0].lengths = b->lengths;
        return SEQNN_OK;
    }
    if (b->n_inputs != m->n_inputs || !b->inputs)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "batch: n_inputs is %d (inputs %s); the model has %d inputs",
                               b->n_inputs, b->inputs ? "given" : "NULL", m->n_inputs);
    if (b->seq_len || b->tokens || b->features || b->lengths)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "batch: give the inputs either in inputs[] or in seq_len/tokens/features/lengths, "
                               "not both");
    memcpy(in, b->inputs, (size_t)m->n_inputs * sizeof *in);
    return SEQNN_OK;
}

/* Checks input k's data for a batch of B sequences. */
static seqnn_status check_input(const seqnn_model *m, int k, const seqnn_batch_input *in, int64_t B)
{
    char pre[FE_NAME + 16] = "";
    const char *field = m->n_inputs > 1 ? "" : "batch.";
    if (m->n_inputs > 1)
        snprintf(pre, sizeof pre, "input '%s': ", m->inputs[k].name);
    int64_t T = in->seq_len;
    if (T < 1 || B < 1 || T > (1 << 24) || B > (1 << 24) || T * B > (1 << 28))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "batch: %sseq_len %lld and batch %lld must be >= 1 (and T*B <= 2^28)", pre, (long long)T,
                               (long long)B);
    const fe_shape *s = &m->inputs[k].shape;
    if (s->tokens) {
        if (!in->tokens)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "batch: %sthe model reads tokens and %stokens is NULL",
                                   pre, field);
        char what[FE_NAME + 24];
        snprintf(what, sizeof what, "%stokens", pre);
        FE_TRY(check_ids(in->tokens, T * B, s->n, what));
    } else if (!in->features) {
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "batch: %sthe model reads features and %sfeatures is NULL",
                               pre, field);
    }
    return check_lengths(in->lengths, B, T, pre, "lengths");
}

/* Uploads input k's data (checked). */
static seqnn_status upload_input(seqnn_model *m, int k, const seqnn_batch_input *in, int64_t B)
{
    int64_t T = in->seq_len, n = m->inputs[k].shape.n;
    fe_tensor *t = (fe_tensor *)fe_node_output(m, FE_INPUT_NODE(k));
    FE_TRY(copy_lengths(k == 0 ? &m->lengths : &m->inputs[k].lengths, in->lengths, B));
    if (k == 0)
        m->T = T;
    else
        m->inputs[k].T = T;
    if (m->inputs[k].shape.tokens) {
        FE_TRY(fe_tensor_ensure_i32(m, t, T * B, 1));
        return seqnn_buffer_write(m->ctx, t->buf, 0, in->tokens, T * B);
    }
    FE_TRY(fe_tensor_ensure(m, t, T * B, n));
    return seqnn_buffer_write(m->ctx, t->buf, 0, in->features, T * B * n);
}

/* Makes the host scratch of the loss targets hold at least rows ids (kept
 * across steps: it grows with the largest batch and is freed with the model). */
static seqnn_status grow_host_targets(seqnn_model *m, int64_t rows)
{
    if (rows <= m->host_targets_cap)
        return SEQNN_OK;
    int32_t *t = realloc(m->host_targets, (size_t)rows * sizeof *t);
    if (!t)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "batch: out of memory");
    m->host_targets = t;
    m->host_targets_cap = rows;
    return SEQNN_OK;
}

/* Uploads a batch; with targets, the loss targets too (positions past a
 * sequence's length are ignored). *counted receives the targets counted. */
static seqnn_status set_batch(seqnn_model *m, const seqnn_batch *b, int targets, int64_t *counted)
{
    if (!m || !m->built)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "model not built");
    if (!b)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "batch is NULL");
    int64_t B = b->batch;
    seqnn_batch_input in[FE_MAX_INPUTS];
    FE_TRY(batch_inputs(m, b, in));
    for (int k = 0; k < m->n_inputs; k++)
        FE_TRY(check_input(m, k, &in[k], B));
    if (m->stateful && m->state_batch && m->state_batch != B)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "batch: a stateful model keeps its batch size (%lld, not %lld); reset the state first",
                               (long long)m->state_batch, (long long)B);
    int64_t Td = 0;
    if (m->decoder_start >= 0) {
        Td = b->dec_len;
        if (Td < 1 || Td > (1 << 24) || Td * B > (1 << 28) || !b->dec_tokens)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "batch: an encoder-decoder model needs dec_len >= 1 and dec_tokens");
        FE_TRY(check_ids(b->dec_tokens, Td * B, m->dec_vocab, "dec_tokens"));
        FE_TRY(check_lengths(b->dec_lengths, B, Td, "", "dec_lengths"));
    }
    const fe_layer *out = last_layer(m);
    int64_t Tout = m->decoder_start >= 0 ? Td : in[out->stream].seq_len;
    int64_t rows = out->out.seq ? Tout * B : B;
    const int32_t *out_len = m->decoder_start >= 0 ? b->dec_lengths : in[out->stream].lengths;
    if (targets) {
        if (m->loss == SEQNN_LOSS_XENT && !b->targets)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "batch: targets are NULL");
        if (m->loss != SEQNN_LOSS_XENT && !b->values)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "batch: values (regression targets) are NULL");
        if (m->loss == SEQNN_LOSS_XENT)
            for (int64_t r = 0; r < rows; r++)
                if (b->targets[r] != SEQNN_IGNORE_INDEX && (b->targets[r] < 0 || b->targets[r] >= out->out.n))
                    return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                                           "batch: targets[%lld] = %d is outside [0, %lld) (and not -100)",
                                           (long long)r, (int)b->targets[r], (long long)out->out.n);
    }
    FE_TRY(fe_tree_check_batch(m, b));
    /* Everything checked: now change the batch state. */
    for (int k = 0; k < m->n_inputs; k++)
        FE_TRY(upload_input(m, k, &in[k], B));
    FE_TRY(copy_lengths(&m->dec_lengths, m->decoder_start >= 0 ? b->dec_lengths : NULL, B));
    m->B = B;
    m->Tdec = Td;
    m->trees = b->trees;
    if (m->decoder_start >= 0) {
        FE_TRY(fe_tensor_ensure_i32(m, &m->dec_tokens, Td * B, 1));
        FE_TRY(seqnn_buffer_write(m->ctx, m->dec_tokens.buf, 0, b->dec_tokens, Td * B));
    }
    if (!targets)
        return SEQNN_OK;
    if (m->loss == SEQNN_LOSS_XENT) {
        FE_TRY(grow_host_targets(m, rows));
        int32_t *t = m->host_targets;
        int64_t n = 0;
        for (int64_t r = 0; r < rows; r++) {
            int32_t v = b->targets[r];
            if (out->out.seq && out_len && r / B >= out_len[r % B])
                v = SEQNN_IGNORE_INDEX;
            t[r] = v;
            n += v != SEQNN_IGNORE_INDEX;
        }
        FE_TRY(fe_tensor_ensure_i32(m, &m->targets, rows, 1));
        FE_TRY(seqnn_buffer_write(m->ctx, m->targets.buf, 0, t, rows));
        *counted = n;
    } else {
        FE_TRY(fe_tensor_ensure(m, &m->values, rows, out->out.n));
        FE_TRY(seqnn_buffer_write(m->ctx, m->values.buf, 0, b->values, rows * out->out.n));
        *counted = rows * out->out.n;
    }
    return SEQNN_OK;
}

/* ------------------------------------------------------- forward, loss --- */

static seqnn_status layer_error(const fe_layer *L, int i, seqnn_status s, const char *pass)
{
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", seqnn_last_error());
    return seqnn_set_error(NULL, s, "%s of layer %d (%s '%s'): %s", pass, i + 1, L->ops->kind, L->name, msg);
}

/* Every layer in the graph's order, each reading its first predecessor's
 * output (merges read the others themselves). */
static seqnn_status forward(seqnn_model *m, int train)
{
    for (int j = 0; j < m->n_layers; j++) {
        int i = m->order[j];
        fe_layer *L = &m->layers[i];
        seqnn_status s = L->ops->forward(m, L, fe_node_output(m, L->from[0]), train);
        if (s != SEQNN_OK)
            return layer_error(L, i, s, "forward");
    }
    if (m->stateful)
        m->state_batch = m->B;
    return SEQNN_OK;
}

/* Computes the loss into scalars[0] (read it with read_scalars); per_row
 * (XENT): the loss of every row too, into m->xent.losses. */
static seqnn_status loss_forward_rows(seqnn_model *m, int per_row)
{
    fe_layer *L = &m->layers[m->n_layers - 1];
    seqnn_tref lo = fe_at(&m->scalars, 0);
    if (m->loss == SEQNN_LOSS_XENT && (per_row || fe_xent_ext_active(m))) {
        FE_TRY(fe_xent_ext_forward(m, lo, per_row));
    } else if (m->loss == SEQNN_LOSS_XENT) {
        seqnn_xent_args a = {.rows = L->y.rows, .cols = L->y.cols, .logits = fe_at(&L->y, 0),
                             .target = fe_at(&m->targets, 0), .ignore_index = SEQNN_IGNORE_INDEX,
                             .reduction = SEQNN_REDUCE_MEAN, .loss = lo};
        FE_TRY(seqnn_xent_forward(m->ctx, &a));
    } else {
        seqnn_loss_args a = {.n = L->y.rows * L->y.cols, .x = fe_at(&L->y, 0), .target = fe_at(&m->values, 0),
                             .reduction = SEQNN_REDUCE_MEAN, .loss = lo};
        FE_TRY(m->loss == SEQNN_LOSS_MSE ? seqnn_mse_forward(m->ctx, &a) : seqnn_bce_forward(m->ctx, &a));
    }
    return SEQNN_OK;
}

static seqnn_status loss_forward(seqnn_model *m)
{
    return loss_forward_rows(m, 0);
}

/* Reads scalars[0, n) (the loss, then the gradient's sum of squares) with
 * one blocking read. */
static seqnn_status read_scalars(seqnn_model *m, int n, double *out)
{
    float v[2];
    FE_TRY(seqnn_buffer_read(m->ctx, m->scalars.buf, 0, v, n));
    for (int i = 0; i < n; i++)
        out[i] = v[i];
    return SEQNN_OK;
}

/* Backward of one layer (all its readers are done: its dy is complete).
 * The first reader of a layer to run writes that layer's dy; any later one
 * (fan-out, or a merge reading a node twice) writes a scratch gradient that
 * is then added to it. Inputs get no gradient. */
static seqnn_status backward_layer(seqnn_model *m, fe_layer *L)
{
    fe_tensor *dx[FE_MAX_FROM];
    fe_layer *sum_into[FE_MAX_FROM];
    for (int k = 0; k < L->n_from; k++) {
        dx[k] = NULL;
        sum_into[k] = NULL;
        if (L->from[k] < 0)
            continue;
        fe_layer *P = &m->layers[L->from[k]];
        if (P->grad_ready) {
            dx[k] = &m->gscratch[k];
            sum_into[k] = P;
        } else {
            dx[k] = &P->dy;
            P->grad_ready = 1;
        }
        FE_TRY(fe_tensor_ensure(m, dx[k], P->y.rows, P->y.cols));
    }
    if (L->ops->backward_merge)
        FE_TRY(L->ops->backward_merge(m, L, dx));
    else
        FE_TRY(L->ops->backward(m, L, fe_node_output(m, L->from[0]), dx[0]));
    for (int k = 0; k < L->n_from; k++)
        if (sum_into[k]) {
            fe_tensor *d = &sum_into[k]->dy;
            seqnn_ew_args a = {.n = d->rows * d->cols, .alpha = 1, .beta = 1, .x = fe_at(d, 0),
                               .y = fe_at(dx[k], 0), .z = fe_at(d, 0)};
            FE_TRY(seqnn_add(m->ctx, &a));
        }
    return SEQNN_OK;
}

static seqnn_status backward(seqnn_model *m)
{
    fe_layer *top = &m->layers[m->n_layers - 1];
    FE_TRY(fe_tensor_ensure(m, &top->dy, top->y.rows, top->y.cols));
    if (m->loss == SEQNN_LOSS_XENT && fe_xent_ext_active(m)) {
        FE_TRY(fe_xent_ext_backward(m, fe_at(&top->dy, 0)));
    } else if (m->loss == SEQNN_LOSS_XENT) {
        seqnn_xent_args a = {.rows = top->y.rows, .cols = top->y.cols, .logits = fe_at(&top->y, 0),
                             .target = fe_at(&m->targets, 0), .ignore_index = SEQNN_IGNORE_INDEX,
                             .reduction = SEQNN_REDUCE_MEAN, .dloss = 1.0, .dlogits = fe_at(&top->dy, 0),
                             .flags = SEQNN_FLAG_OVERWRITE};
        FE_TRY(seqnn_xent_backward(m->ctx, &a));
    } else {
        seqnn_loss_args a = {.n = top->y.rows * top->y.cols, .x = fe_at(&top->y, 0),
                             .target = fe_at(&m->values, 0), .reduction = SEQNN_REDUCE_MEAN, .dloss = 1.0,
                             .dx = fe_at(&top->dy, 0), .flags = SEQNN_FLAG_OVERWRITE};
        FE_TRY(m->loss == SEQNN_LOSS_MSE ? seqnn_mse_backward(m->ctx, &a) : seqnn_bce_backward(m->ctx, &a));
    }
    if (m->total > 0)
        FE_TRY(seqnn_buffer_fill(m->ctx, m->gbuf, 0, m->total, 0.0));
    for (int i = 0; i < m->n_layers; i++)
        m->layers[i].grad_ready = 0;
    top->grad_ready = 1;
    fe_layer *enc = fe_encoder_output(m);
    if (enc) {                           /* decoder attention accumulates into it */
        FE_TRY(fe_tensor_ensure(m, &enc->dy, enc->y.rows, enc->y.cols));
        FE_TRY(fe_tensor_zero(m, &enc->dy));
        enc->grad_ready = 1;
    }
    for (int j = m->n_layers - 1; j >= 0; j--) {
        int i = m->order[j];
        seqnn_status s = backward_layer(m, &m->layers[i]);
        if (s != SEQNN_OK)
            return layer_error(&m->layers[i], i, s, "backward");
    }
    return SEQNN_OK;
}

/* Argmax matches of the output rows against the targets (XENT). */
static seqnn_status count_correct(seqnn_model *m, int64_t *correct)
{
    fe_layer *L = &m->layers[m->n_layers - 1];
    int64_t rows = L->y.rows, cols = L->y.cols;
    float *y = malloc((size_t)(rows * cols) * sizeof *y);
    int32_t *t = malloc((size_t)rows * sizeof *t);
    seqnn_status s = (y && t) ? SEQNN_OK : seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    if (s == SEQNN_OK)
        s = seqnn_buffer_read(m->ctx, L->y.buf, 0, y, rows * cols);
    if (s == SEQNN_OK)
        s = seqnn_buffer_read(m->ctx, m->targets.buf, 0, t, rows);
    int64_t c = 0;
    for (int64_t r = 0; s == SEQNN_OK && r < rows; r++) {
        if (t[r] == SEQNN_IGNORE_INDEX)
            continue;
        int64_t best = 0;
        for (int64_t j = 1; j < cols; j++)
            if (y[r * cols + j] > y[r * cols + best])
                best = j;
        c += best == t[r];
    }
    free(y);
    free(t);
    *correct = c;
    return s;
}

/* ------------------------------------------------------------ entry points --- */
/* The batch's forward, loss and (train) backward on this process; res gets
 * the loss (train: read here, as the data-parallel exchange needs it before
 * the gradients) and the count. */
static seqnn_status local_step(seqnn_model *m, const seqnn_batch *b, int train, seqnn_step_result *res)
{
    FE_TRY(set_batch(m, b, 1, &res->count));
    FE_TRY(forward(m, train));
    FE_TRY(loss_forward(m));
    if (!train)
        return SEQNN_OK;
    FE_TRY(backward(m));
    return m->dist ? read_scalars(m, 1, &res->loss) : SEQNN_OK;
}

seqnn_status seqnn_model_train_step(seqnn_model *m, const seqnn_batch *b, seqnn_step_result *r)
{
    seqnn_step_result res = {0, 0, 0, 0};
    seqnn_batch shard;
    if (m && m->dist) {                  /* data-parallel: this rank's shard, then the exchange (dist.c) */
        seqnn_status s = fe_dist_shard(m, b, &shard);   /* a bad shard on one rank fails every rank */
        FE_TRY(fe_dist_reduce(m, s == SEQNN_OK ? local_step(m, &shard, 1, &res) : s, &res, 1));
    } else {
        FE_TRY(local_step(m, b, 1, &res));
    }
    /* The loss and the gradient's sum of squares in one read; nothing is
     * updated before both are known to be finite. */
    double v[2] = {0, 0};
    if (m->total > 0) {
        seqnn_sumsq_args sq = {.n = m->total, .x = seqnn_at(m->gbuf, 0), .result = fe_at(&m->scalars, 1),
                               .flags = SEQNN_FLAG_OVERWRITE};
        FE_TRY(seqnn_sumsq(m->ctx, &sq));
    }
    FE_TRY(read_scalars(m, m->total > 0 ? 2 : 1, v));
    if (!m->dist)
        res.loss = v[0];
    if (!isfinite(res.loss))
        return seqnn_set_error(NULL, SEQNN_ERR_NUMERIC,
                               "training step %lld: the loss is %g; parameters and optimizer state unchanged",
                               (long long)m->step + 1, res.loss);
    if (m->total > 0) {
        res.grad_norm = sqrt(v[1]);
        if (!isfinite(res.grad_norm))
            return seqnn_set_error(NULL, SEQNN_ERR_NUMERIC,
                                   "training step %lld: the gradient norm is %g; parameters and optimizer state unchanged",
                                   (long long)m->step + 1, res.grad_norm);
        if (m->optim.clip_norm > 0) {
            seqnn_clip_args c = {.n = m->total, .x = seqnn_at(m->gbuf, 0), .sumsq = fe_at(&m->scalars, 1),
                                 .max_norm = m->optim.clip_norm};
            FE_TRY(seqnn_clip_scale(m->ctx, &c));
        }
        FE_TRY(fe_optim_step(m, m->step + 1));
    }
    m->step++;
    if (m->dist)
        FE_TRY(fe_dist_check(m));
    if (r)
        *r = res;
    return SEQNN_OK;
}

/* Forward and loss without dropout; losses (count of them) receives every
 * row's loss when not NULL. */
static seqnn_status evaluate(seqnn_model *m, const seqnn_batch *b, seqnn_step_result *r, float *losses,
                             int64_t count)
{
    seqnn_step_result res = {0, 0, 0, 0};
    FE_TRY(set_batch(m, b, 1, &res.count));
    if (losses) {
        const fe_layer *L = last_layer(m);
        int64_t rows = L->out.seq ? (m->decoder_start >= 0 ? m->Tdec : m->T) * m->B : m->B;
        if (m->loss != SEQNN_LOSS_XENT)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "per-target losses: the model's loss is not xent");
        if (count != rows)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                                   "per-target losses: count %lld, the batch has %lld targets", (long long)count,
                                   (long long)rows);
    }
    FE_TRY(forward(m, 0));
    FE_TRY(loss_forward_rows(m, losses != NULL));
    FE_TRY(read_scalars(m, 1, &res.loss));
    if (losses)
        FE_TRY(seqnn_buffer_read(m->ctx, m->xent.losses.buf, 0, losses, count));
    if (m->loss == SEQNN_LOSS_XENT)
        FE_TRY(count_correct(m, &res.correct));
    if (r)
        *r = res;
    return SEQNN_OK;
}

seqnn_status seqnn_model_evaluate(seqnn_model *m, const seqnn_batch *b, seqnn_step_result *r)
{
    if (!m || !m->dist)
        return evaluate(m, b, r, NULL, 0);
    seqnn_batch shard;                   /* data-parallel: this rank's shard, the figures reduced */
    seqnn_step_result res = {0, 0, 0, 0};
    seqnn_status s = fe_dist_shard(m, b, &shard);
    FE_TRY(fe_dist_reduce(m, s == SEQNN_OK ? evaluate(m, &shard, &res, NULL, 0) : s, &res, 0));
    if (r)
        *r = res;
    return SEQNN_OK;
}

seqnn_status seqnn_model_evaluate_losses(seqnn_model *m, const seqnn_batch *b, seqnn_step_result *r,
                                         float *losses, int64_t count)
{
    if (!losses)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_evaluate_losses: losses is NULL");
    return evaluate(m, b, r, losses, count);
}

seqnn_status seqnn_model_predict(seqnn_model *m, const seqnn_batch *b, float *out, int64_t count)
{
    int64_t unused = 0;
    FE_TRY(set_batch(m, b, 0, &unused));
    FE_TRY(forward(m, 0));
    const fe_layer *L = last_layer(m);
    if (!out || count != L->y.rows * L->y.cols)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_predict: the output has %lld elements, not %lld",
                               (long long)(L->y.rows * L->y.cols), (long long)count);
    return seqnn_buffer_read(m->ctx, L->y.buf, 0, out, count);
}

seqnn_status seqnn_model_set_stateful(seqnn_model *m, int stateful)
{
    if (!m || !m->built)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_set_stateful: model not built");
    if (stateful && m->decoder_start >= 0)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "an encoder-decoder model cannot carry state");
    m->stateful = stateful != 0;
    return seqnn_model_reset_state(m);
}

seqnn_status seqnn_model_reset_state(seqnn_model *m)
{
    if (!m || !m->built)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_reset_state: model not built");
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].ops->reset_state)
            FE_TRY(m->layers[i].ops->reset_state(m, &m->layers[i]));
    m->state_batch = 0;
    return SEQNN_OK;
}

/* Loss and gradients (into the flat gradient buffer) of a batch without any
 * update: what the gradient-check tests compare with finite differences. */
seqnn_status fe_loss_and_grad(seqnn_model *m, const seqnn_batch *b, int train, double *loss)
{
    int64_t counted = 0;
    FE_TRY(set_batch(m, b, 1, &counted));
    FE_TRY(forward(m, train));
    FE_TRY(loss_forward(m));
    FE_TRY(read_scalars(m, 1, loss));
    return backward(m);
}

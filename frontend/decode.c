/* Greedy decoding of encoder-decoder models (seqnn_model_translate): the
 * encoder runs once over the source; then each step runs the decoder layers
 * over the whole prefix (bos and the tokens chosen so far, batch 1) and
 * appends the argmax of the last position's logits, until eos or max_len.
 * Re-running the prefix costs O(n^2) decoder steps for n tokens, but needs no
 * per-layer step state, matches the teacher-forced forward exactly, and leaves
 * every attention layer's weights over the whole output for plotting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fe.h"

/* The tensor layer i reads (as train.c's pipeline). */
static const fe_tensor *input_of(const seqnn_model *m, int i)
{
    if (i == 0)
        return &m->in_tokens;
    if (i == m->decoder_start)
        return &m->dec_tokens;
    return &m->layers[i - 1].y;
}

/* Forward (inference) of layers [from, to). */
static seqnn_status run_layers(seqnn_model *m, int from, int to)
{
    for (int i = from; i < to; i++) {
        fe_layer *L = &m->layers[i];
        seqnn_status s = L->ops->forward(m, L, input_of(m, i), 0);
        if (s != SEQNN_OK) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", seqnn_last_error());
            return seqnn_set_error(NULL, s, "translate: forward of layer %d (%s '%s'): %s", i + 1, L->ops->kind,
                                   L->name, msg);
        }
    }
    return SEQNN_OK;
}

/* Checks that m is an encoder-decoder model greedy decoding can run. */
static seqnn_status translate_check(const seqnn_model *m)
{
    if (m->decoder_start < 0)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "translate needs an encoder-decoder model (begin_decoder)");
    if (!m->input.tokens)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "translate needs an encoder that reads tokens");
    const fe_layer *top = &m->layers[m->n_layers - 1];
    if (m->loss != SEQNN_LOSS_XENT || !top->out.seq || top->out.n != m->dec_vocab)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "translate needs the decoder to output logits over its vocabulary (%lld), "
                               "with the xent loss; its last layer '%s' outputs %lld values",
                               (long long)m->dec_vocab, top->name, (long long)top->out.n);
    /* A decoder layer that sees later positions would make greedy decoding
     * differ from the teacher-forced training forward. */
    for (int i = m->decoder_start; i < m->n_layers; i++) {
        const fe_layer *L = &m->layers[i];
        if ((L->ops == &fe_recurrent_ops && L->rnn.bidirectional) ||
            (L->ops == &fe_attention_ops && !L->att.encoder && !L->att.causal))
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                                   "translate: decoder layer '%s' sees later positions (%s); greedy decoding "
                                   "needs a causal decoder", L->name,
                                   L->ops == &fe_recurrent_ops ? "bidirectional" : "self-attention without causal");
    }
    return SEQNN_OK;
}

static seqnn_status translate(seqnn_model *m, const int32_t *src, int64_t src_len, int32_t bos, int32_t eos,
                              int64_t max_len, int32_t *out, int64_t *out_len, int32_t *prefix, float *logits)
{
    int64_t V = m->dec_vocab;
    const fe_layer *top = &m->layers[m->n_layers - 1];
    free(m->lengths);
    free(m->dec_lengths);
    m->lengths = m->dec_lengths = NULL;
    m->B = 1;
    m->T = src_len;
    m->Tdec = 1;
    FE_TRY(fe_tensor_ensure_i32(m, &m->in_tokens, src_len, 1));
    FE_TRY(seqnn_buffer_write(m->ctx, m->in_tokens.buf, 0, src, src_len));
    FE_TRY(run_layers(m, 0, m->decoder_start));
    prefix[0] = bos;
    for (int64_t step = 0; step < max_len; step++) {
        m->Tdec = step + 1;
        FE_TRY(fe_tensor_ensure_i32(m, &m->dec_tokens, step + 1, 1));
        FE_TRY(seqnn_buffer_write(m->ctx, m->dec_tokens.buf, 0, prefix, step + 1));
        FE_TRY(run_layers(m, m->decoder_start, m->n_layers));
        FE_TRY(seqnn_buffer_read(m->ctx, top->y.buf, step * V, logits, V));
        int32_t best = 0;
        for (int64_t j = 1; j < V; j++)
            if (logits[j] > logits[best])
                best = (int32_t)j;
        if (best == eos)
            break;
        out[step] = best;
        prefix[step + 1] = best;
        *out_len = step + 1;
    }
    return SEQNN_OK;
}

seqnn_status seqnn_model_translate(seqnn_model *m, const int32_t *src, int64_t src_len, int32_t bos,
                                   int32_t eos, int64_t max_len, int32_t *out, int64_t *out_len)
{
    if (!m || !m->built)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_translate: model not built");
    FE_TRY(translate_check(m));
    if (!out_len || !src || src_len < 1 || src_len > (1 << 24) || max_len < 0 || max_len > (1 << 20) ||
        (max_len > 0 && !out))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "translate: needs a source of 1 to 2^24 tokens, 0 <= max_len <= 2^20, "
                               "and out (max_len tokens) and out_len");
    for (int64_t i = 0; i < src_len; i++)
        if (src[i] < 0 || src[i] >= m->input.n)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "translate: src[%lld] = %d is outside [0, %lld)",
                                   (long long)i, (int)src[i], (long long)m->input.n);
    if (bos < 0 || bos >= m->dec_vocab)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "translate: bos %d is outside the decoder's [0, %lld)",
                               (int)bos, (long long)m->dec_vocab);
    *out_len = 0;
    if (max_len == 0)
        return SEQNN_OK;
    int32_t *prefix = malloc((size_t)(max_len + 1) * sizeof *prefix);
    float *logits = malloc((size_t)m->dec_vocab * sizeof *logits);
    seqnn_status s = prefix && logits ? SEQNN_OK
                                      : seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "translate: out of memory");
    if (s == SEQNN_OK)
        s = translate(m, src, src_len, bos, eos, max_len, out, out_len, prefix, logits);
    free(prefix);
    free(logits);
    return s;
}

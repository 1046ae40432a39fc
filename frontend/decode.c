/* Decoding (seqnn_model_decode, and seqnn_model_generate / _translate on top
 * of it): language models continue a prime, encoder-decoder models translate
 * a source from <bos>. Incremental: the encoder runs once; the decoded
 * stream's layers then run one step per forward and carry their state
 * (recurrent layers their h and c, causal self-attention the q|k|v of every
 * step so far: fe_decoding), so n tokens cost n decoder steps, not n^2/2.
 * Greedy (temperature 0), sampling from softmax(logits / temperature)
 * restricted to the top_k likeliest tokens and then to the smallest set whose
 * probability reaches top_p, or beam search over `beam` hypotheses run as
 * one batch (the carried state reordered by fe_layer_ops.reorder_state). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fe.h"

#define DECODE_MAX_STEPS ((int64_t)1 << 20)
#define DECODE_MAX_BEAM 256

seqnn_status fe_gather_rows(seqnn_model *m, const fe_tensor *src, const fe_tensor *idx, int64_t n, int64_t dim,
                            fe_tensor *dst)
{
    FE_TRY(fe_tensor_ensure(m, dst, n, dim));
    seqnn_embedding_args g = {.n = n, .vocab = src->rows, .dim = dim, .idx = fe_at(idx, 0), .padding_idx = -1,
                              .weight = fe_at(src, 0), .y = fe_at(dst, 0), .ldy = dim};
    return seqnn_embedding_forward(m->ctx, &g);
}

void seqnn_decode_defaults(seqnn_decode_config *c)
{
    memset(c, 0, sizeof *c);
    c->top_p = 1.0;
    c->length_alpha = 1.0;
    c->eos = -1;
}

/* --------------------------------------------------------------- checks --- */
/* The vocabulary decoded over, or an error when m cannot decode. */
static seqnn_status decode_check(const seqnn_model *m, int64_t *V)
{
    const fe_layer *top = &m->layers[m->n_layers - 1];
    int encdec = m->decoder_start >= 0;
    *V = encdec ? m->dec_vocab : m->input.n;
    if (m->n_inputs != 1 || !m->input.tokens || !top->out.seq || m->loss != SEQNN_LOSS_XENT || top->out.n != *V)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               encdec ? "decoding needs the decoder to output logits over its vocabulary (%lld), "
                                        "with the xent loss, and an encoder that reads tokens"
                                      : "decoding needs a language model: tokens in, a sequence of logits over the "
                                        "same vocabulary (%lld) out, the xent loss",
                               (long long)*V);
    /* A layer of the decoded stream that sees later positions would make
     * decoding differ from the teacher-forced forward. */
    for (int i = encdec ? m->decoder_start : 0; i < m->n_layers; i++) {
        const fe_layer *L = &m->layers[i];
        if ((L->ops == &fe_recurrent_ops && (L->rnn.bidirectional || L->rnn_reverse)) ||
            (L->ops == &fe_attention_ops && !L->att.encoder && !L->att.causal))
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                                   "decoding: layer '%s' sees later positions (%s); decoding needs a causal %s",
                                   L->name, L->ops == &fe_recurrent_ops ? "bidirectional or reverse" : "self-attention without causal",
                                   encdec ? "decoder" : "model");
    }
    return SEQNN_OK;
}

static seqnn_status check_args(const seqnn_model *m, int64_t V, const int32_t *src, int64_t src_len,
                               const int32_t *prime, int64_t n_prime, int64_t max_len, const seqnn_decode_config *c,
                               const int32_t *out, const int64_t *out_len)
{
    int encdec = m->decoder_start >= 0;
    if (!c || !out_len || !prime || n_prime < 1 || max_len < 0 || max_len > DECODE_MAX_STEPS ||
        n_prime > DECODE_MAX_STEPS || (max_len > 0 && !out))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "decode: needs a config, at least one prime token, 0 <= max_len <= 2^20, out "
                               "(max_len tokens) and out_len");
    if (encdec ? (!src || src_len < 1 || src_len > (1 << 24)) : (src || src_len))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, encdec ? "decode: an encoder-decoder model needs a source "
                                                                     "of 1 to 2^24 tokens"
                                                                   : "decode: a language model takes no source");
    for (int64_t i = 0; i < src_len; i++)
        if (src[i] < 0 || src[i] >= m->input.n)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "decode: src[%lld] = %d is outside [0, %lld)",
                                   (long long)i, (int)src[i], (long long)m->input.n);
    for (int64_t i = 0; i < n_prime; i++)
        if (prime[i] < 0 || prime[i] >= V)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "decode: prime[%lld] = %d is outside [0, %lld)",
                                   (long long)i, (int)prime[i], (long long)V);
    if (!isfinite(c->temperature) || c->temperature < 0 || c->top_k < 0 || !(c->top_p > 0 && c->top_p <= 1) ||
        c->beam < 0 || c->beam > DECODE_MAX_BEAM || !isfinite(c->length_alpha) || c->length_alpha < 0 ||
        c->eos < -1 || c->eos >= V)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "decode: needs temperature >= 0, top_k >= 0, 0 < top_p <= 1, 0 <= beam <= %d, "
                               "length_alpha >= 0 and -1 <= eos < %lld",
                               DECODE_MAX_BEAM, (long long)V);
    if (c->beam > 1 && (c->temperature > 0 || c->top_k > 0 || c->top_p < 1))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "decode: beam search does not sample (temperature must be 0, top_k 0, top_p 1)");
    return SEQNN_OK;
}

/* ------------------------------------------------------- the decoded run --- */
typedef struct dec_run {
    seqnn_model *m;
    int first;                           /* first layer of the decoded stream */
    int64_t V, B;
    float *logits;                       /* [B, V]: the last step's */
    double *logp;                        /* [V]: scratch */
    int32_t *ids;                        /* [max(n_prime, 1) * B]: the stream's input */
    fe_tensor idx;                       /* device int32 [B]: beam reordering */
} dec_run;

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
            return seqnn_set_error(NULL, s, "decode: forward of layer %d (%s '%s'): %s", i + 1, L->ops->kind,
                                   L->name, msg);
        }
    }
    return SEQNN_OK;
}

/* Runs the decoded stream over T more steps of ids [T, B]; the logits of
 * the last step into r->logits. */
static seqnn_status run_steps(dec_run *r, const int32_t *ids, int64_t T)
{
    seqnn_model *m = r->m;
    int encdec = m->decoder_start >= 0;
    fe_tensor *in = encdec ? &m->dec_tokens : &m->in_tokens;
    FE_TRY(fe_tensor_ensure_i32(m, in, T * r->B, 1));
    FE_TRY(seqnn_buffer_write(m->ctx, in->buf, 0, ids, T * r->B));
    if (encdec)
        m->Tdec = T;
    else
        m->T = T;
    FE_TRY(run_layers(m, r->first, m->n_layers));
    m->decode_pos += T;
    const fe_layer *top = &m->layers[m->n_layers - 1];
    return seqnn_buffer_read(m->ctx, top->y.buf, (T - 1) * r->B * r->V, r->logits, r->B * r->V);
}

/* log softmax of logits [V] into logp. */
static void log_softmax(const float *logits, int64_t V, double *logp)
{
    double mx = logits[0], sum = 0;
    for (int64_t j = 1; j < V; j++)
        mx = logits[j] > mx ? logits[j] : mx;
    for (int64_t j = 0; j < V; j++)
        sum += exp((double)logits[j] - mx);
    double lse = mx + log(sum);
    for (int64_t j = 0; j < V; j++)
        logp[j] = (double)logits[j] - lse;
}

/* ------------------------------------------------------------- sampling --- */
static int32_t argmax(const float *logits, int64_t V)
{
    int64_t best = 0;
    for (int64_t j = 1; j < V; j++)
        if (logits[j] > logits[best])
            best = j;
    return (int32_t)best;
}

typedef struct scored {
    float logit;
    int32_t id;
} scored;

static int by_logit_desc(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    return x->logit < y->logit ? 1 : x->logit > y->logit ? -1 : (x->id > y->id) - (x->id < y->id);
}

/* A token from softmax(logits / temperature) (temperature 0: the argmax),
 * with top_k / top_p applied; the uniform draw is Philox (seed, counter).
 * order: scratch [V]. */
static int32_t sample(const float *logits, int64_t V, const seqnn_decode_config *c, uint64_t counter,
                      scored *order)
{
    int32_t best = argmax(logits, V);
    double t = c->temperature;
    if (t <= 0)
        return best;
    if (c->top_k == 0 && c->top_p >= 1) {   /* every token */
        double total = 0;
        for (int64_t j = 0; j < V; j++)
            total += exp(((double)logits[j] - logits[best]) / t);
        double u = fe_uniform(c->seed, counter) * total, acc = 0;
        for (int64_t j = 0; j < V; j++) {
            acc += exp(((double)logits[j] - logits[best]) / t);
            if (u < acc)
                return (int32_t)j;
        }
        return best;
    }
    for (int64_t j = 0; j < V; j++)
        order[j] = (scored){logits[j], (int32_t)j};
    qsort(order, (size_t)V, sizeof *order, by_logit_desc);
    int64_t k = c->top_k > 0 && c->top_k < V ? c->top_k : V;
    double total = 0;
    for (int64_t j = 0; j < k; j++)
        total += exp(((double)order[j].logit - logits[best]) / t);
    if (c->top_p < 1) {                  /* the smallest prefix reaching top_p of the top-k's mass */
        double acc = 0;
        int64_t j = 0;
        while (j < k) {
            acc += exp(((double)order[j].logit - logits[best]) / t);
            j++;
            if (acc >= c->top_p * total)
                break;
        }
        k = j;
        total = acc;
    }
    double u = fe_uniform(c->seed, counter) * total, acc = 0;
    for (int64_t j = 0; j < k; j++) {
        acc += exp(((double)order[j].logit - logits[best]) / t);
        if (u < acc)
            return order[j].id;
    }
    return order[k - 1].id;
}

/* Greedy decoding or sampling, batch 1: each token streamed as chosen. */
static seqnn_status decode_one(dec_run *r, const int32_t *prime, int64_t n_prime, int64_t max_len,
                               const seqnn_decode_config *c, int32_t *out, int64_t *out_len, double *logprob,
                               scored *order)
{
    FE_TRY(run_steps(r, prime, n_prime));
    for (int64_t i = 0; i < max_len; i++) {
        int32_t tok = sample(r->logits, r->V, c, (uint64_t)i, order);
        if (logprob) {
            log_softmax(r->logits, r->V, r->logp);
            *logprob += r->logp[tok];
        }
        if (tok == c->eos)
            break;
        out[i] = tok;
        *out_len = i + 1;
        if ((c->on_token && c->on_token(c->user, tok)) || i + 1 == max_len)
            break;
        FE_TRY(run_steps(r, &tok, 1));
    }
    return SEQNN_OK;
}

/* ---------------------------------------------------------- beam search --- */
typedef struct cand {
    double score;                        /* sum of log p */
    int32_t beam, tok;
} cand;

/* Inserts x into best[0..*n) (descending, at most cap). */
static void keep_best(cand *best, int64_t *n, int64_t cap, cand x)
{
    if (*n == cap && x.score <= best[cap - 1].score)
        return;
    int64_t i = *n < cap ? (*n)++ : cap - 1;
    while (i > 0 && best[i - 1].score < x.score) {
        best[i] = best[i - 1];
        i--;
    }
    best[i] = x;
}

static double normalised(double score, int64_t len, double alpha)
{
    return alpha == 0 || len < 1 ? score : score / pow((double)len, alpha);
}

typedef struct beam_state {
    int64_t K, max_len;
    double alpha;
    double *score;                       /* [K] live hypotheses, descending (-inf: none) */
    int32_t *hist, *hist2;               /* [K, max_len] their tokens */
    cand *cands;                         /* [2K] */
    int32_t *parent, *toks;              /* [K] */
    int64_t ended;                       /* hypotheses ended so far */
    double best_norm;                    /* the best ended one's normalised score */
} beam_state;

/* Ends a hypothesis (tokens hist[0..len), eos after them or not) and keeps it
 * in out when it is the best so far by score / (tokens, eos counted)^alpha. */
static void end_hypothesis(beam_state *s, const int32_t *hist, int64_t len, int eos, double score, int32_t *out,
                           int64_t *out_len, double *logprob)
{
    double norm = normalised(score, len + eos, s->alpha);
    s->ended++;
    if (norm <= s->best_norm)
        return;
    s->best_norm = norm;
    memcpy(out, hist, (size_t)len * sizeof *out);
    *out_len = len;
    *logprob = score;
}

/* Step `step`'s selection: the 2K best one-token extensions of the live
 * hypotheses; those ending (eos, among the first K) are ended, the best K
 * others become the live ones (parent, toks, score, hist). Live ones left. */
static int64_t beam_select(dec_run *r, beam_state *s, int64_t step, int32_t eos, int32_t *out, int64_t *out_len,
                           double *logprob)
{
    int64_t nc = 0, K = s->K, live = 0;
    for (int64_t b = 0; b < K; b++) {
        if (s->score[b] == -INFINITY)
            continue;
        log_softmax(r->logits + b * r->V, r->V, r->logp);
        for (int64_t j = 0; j < r->V; j++)
            keep_best(s->cands, &nc, 2 * K, (cand){s->score[b] + r->logp[j], (int32_t)b, (int32_t)j});
    }
    for (int64_t i = 0; i < nc && live < K; i++) {
        cand x = s->cands[i];
        if (x.tok == eos) {
            if (i < K)
                end_hypothesis(s, s->hist + x.beam * s->max_len, step, 1, x.score, out, out_len, logprob);
            continue;
        }
        s->parent[live] = x.beam;
        s->toks[live] = x.tok;
        s->score[live] = x.score;
        int32_t *h = s->hist2 + live * s->max_len;
        memcpy(h, s->hist + x.beam * s->max_len, (size_t)step * sizeof *h);
        h[step] = x.tok;
        live++;
    }
    for (int64_t b = live; b < K; b++) {
        s->score[b] = -INFINITY;
        s->parent[b] = 0;
        s->toks[b] = 0;
    }
    int32_t *t = s->hist;
    s->hist = s->hist2;
    s->hist2 = t;
    return live;
}

/* The decoded stream's state follows the live hypotheses to their new rows. */
static seqnn_status beam_reorder(dec_run *r, const int32_t *parent)
{
    int same = 1;
    for (int64_t b = 0; b < r->B; b++)
        same &= parent[b] == b;
    if (same)
        return SEQNN_OK;
    seqnn_model *m = r->m;
    FE_TRY(fe_tensor_ensure_i32(m, &r->idx, r->B, 1));
    FE_TRY(seqnn_buffer_write(m->ctx, r->idx.buf, 0, parent, r->B));
    for (int i = r->first; i < m->n_layers; i++) {
        fe_layer *L = &m->layers[i];
        if (L->ops->reorder_state)
            FE_TRY(L->ops->reorder_state(m, L, &r->idx, parent));
    }
    return SEQNN_OK;
}

/* Beam search over K hypotheses (batch K). It stops when K hypotheses have
 * ended, when none live can beat the best ended one (length_alpha 0: scores
 * only fall), or at max_len tokens (the live ones end there too). */
static seqnn_status decode_beam(dec_run *r, beam_state *s, const int32_t *prime, int64_t n_prime,
                                const seqnn_decode_config *c, int32_t *out, int64_t *out_len, double *logprob)
{
    int64_t K = s->K;
    for (int64_t t = 0; t < n_prime; t++)
        for (int64_t b = 0; b < K; b++)
            r->ids[t * K + b] = prime[t];
    FE_TRY(run_steps(r, r->ids, n_prime));
    s->score[0] = 0;                     /* the hypotheses start alike: expand one */
    for (int64_t b = 1; b < K; b++)
        s->score[b] = -INFINITY;
    s->best_norm = -INFINITY;
    *logprob = -INFINITY;
    for (int64_t step = 0; step < s->max_len; step++) {
        int64_t live = beam_select(r, s, step, c->eos, out, out_len, logprob);
        if (live == 0)
            break;
        if (step + 1 == s->max_len) {
            for (int64_t b = 0; b < live; b++)
                end_hypothesis(s, s->hist + b * s->max_len, step + 1, 0, s->score[b], out, out_len, logprob);
            break;
        }
        if (s->ended >= K || (s->alpha == 0 && s->best_norm >= s->score[0]))
            break;
        FE_TRY(beam_reorder(r, s->parent));
        FE_TRY(run_steps(r, s->toks, 1));
    }
    for (int64_t i = 0; i < *out_len && c->on_token; i++)
        if (c->on_token(c->user, out[i]))
            break;
    return SEQNN_OK;
}

/* ------------------------------------------------------------- the API --- */
static void beam_free(beam_state *s)
{
    free(s->score);
    free(s->hist);
    free(s->hist2);
    free(s->cands);
    free(s->parent);
    free(s->toks);
}

static int beam_alloc(beam_state *s, int64_t K, int64_t max_len, double alpha)
{
    memset(s, 0, sizeof *s);
    s->K = K;
    s->max_len = max_len;
    s->alpha = alpha;
    s->score = malloc((size_t)K * sizeof *s->score);
    s->hist = malloc((size_t)(K * max_len) * sizeof *s->hist);
    s->hist2 = malloc((size_t)(K * max_len) * sizeof *s->hist2);
    s->cands = malloc((size_t)(2 * K) * sizeof *s->cands);
    s->parent = malloc((size_t)K * sizeof *s->parent);
    s->toks = malloc((size_t)K * sizeof *s->toks);
    return s->score && s->hist && s->hist2 && s->cands && s->parent && s->toks;
}

/* Runs the encoder (encoder-decoder models) over the source, one copy per
 * hypothesis, then decodes. */
static seqnn_status decode_run(dec_run *r, const int32_t *src, int64_t src_len, const int32_t *prime,
                               int64_t n_prime, int64_t max_len, const seqnn_decode_config *c, int32_t *out,
                               int64_t *out_len, double *logprob, scored *order)
{
    seqnn_model *m = r->m;
    free(m->lengths);
    free(m->dec_lengths);
    m->lengths = m->dec_lengths = NULL;
    m->B = r->B;
    m->decode_pos = 0;
    m->decode_cap = n_prime + max_len;
    if (src) {
        for (int64_t t = 0; t < src_len; t++)
            for (int64_t b = 0; b < r->B; b++)
                r->ids[t * r->B + b] = src[t];
        m->T = src_len;
        FE_TRY(fe_tensor_ensure_i32(m, &m->in_tokens, src_len * r->B, 1));
        FE_TRY(seqnn_buffer_write(m->ctx, m->in_tokens.buf, 0, r->ids, src_len * r->B));
        FE_TRY(run_layers(m, 0, m->decoder_start));
    }
    if (r->B == 1)
        return decode_one(r, prime, n_prime, max_len, c, out, out_len, logprob, order);
    beam_state s;
    seqnn_status st = beam_alloc(&s, r->B, max_len, c->length_alpha)
                          ? decode_beam(r, &s, prime, n_prime, c, out, out_len, logprob)
                          : seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "decode: out of memory");
    beam_free(&s);
    return st;
}

seqnn_status seqnn_model_decode(seqnn_model *m, const int32_t *src, int64_t src_len, const int32_t *prime,
                                int64_t n_prime, int64_t max_len, const seqnn_decode_config *c, int32_t *out,
                                int64_t *out_len, double *logprob)
{
    if (!m || !m->built)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_decode: model not built");
    int64_t V;
    FE_TRY(decode_check(m, &V));
    FE_TRY(check_args(m, V, src, src_len, prime, n_prime, max_len, c, out, out_len));
    double lp = 0;
    *out_len = 0;
    if (logprob)
        *logprob = 0;
    if (max_len == 0)
        return SEQNN_OK;
    dec_run r = {.m = m, .first = m->decoder_start >= 0 ? m->decoder_start : 0, .V = V,
                 .B = c->beam > 1 ? c->beam : 1};
    int64_t n_ids = (n_prime > src_len ? n_prime : src_len) * r.B;
    r.logits = malloc((size_t)(r.B * V) * sizeof *r.logits);
    r.logp = malloc((size_t)V * sizeof *r.logp);
    r.ids = malloc((size_t)n_ids * sizeof *r.ids);
    scored *order = malloc((size_t)V * sizeof *order);
    seqnn_status s = r.logits && r.logp && r.ids && order
                         ? SEQNN_OK
                         : seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "decode: out of memory");
    int was = m->stateful;
    if (s == SEQNN_OK) {                 /* recurrent layers carry their state from step to step */
        m->stateful = 1;
        m->decoding = 1;
        s = seqnn_model_reset_state(m);
    }
    if (s == SEQNN_OK)                   /* greedy and sampling compute log p only when asked */
        s = decode_run(&r, src, src_len, prime, n_prime, max_len, c, out, out_len,
                       logprob || r.B > 1 ? &lp : NULL, order);
    m->decoding = 0;
    m->stateful = was;
    seqnn_status s2 = seqnn_model_reset_state(m);
    fe_tensor_free(m, &r.idx);
    free(r.logits);
    free(r.logp);
    free(r.ids);
    free(order);
    if (s == SEQNN_OK && logprob)
        *logprob = lp;
    return s != SEQNN_OK ? s : s2;
}

/* ---------------------------------------------- generate and translate --- */
seqnn_status seqnn_model_generate(seqnn_model *m, const int32_t *prime, int64_t n_prime, int64_t n,
                                  double temperature, uint64_t seed, int32_t *out)
{
    if (!m || !m->built)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_generate: model not built");
    if (m->decoder_start >= 0)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "generate needs a language model, not an encoder-decoder (use translate)");
    seqnn_decode_config c;
    seqnn_decode_defaults(&c);
    c.temperature = temperature;
    c.seed = seed;
    int64_t got;
    return seqnn_model_decode(m, NULL, 0, prime, n_prime, n, &c, out, &got, NULL);
}

seqnn_status seqnn_model_translate(seqnn_model *m, const int32_t *src, int64_t src_len, int32_t bos,
                                   int32_t eos, int64_t max_len, int32_t *out, int64_t *out_len)
{
    if (!m || !m->built)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_translate: model not built");
    if (m->decoder_start < 0)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "translate needs an encoder-decoder model (begin_decoder)");
    if (bos < 0 || bos >= m->dec_vocab)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "translate: bos %d is outside the decoder's [0, %lld)",
                               (int)bos, (long long)m->dec_vocab);
    seqnn_decode_config c;
    seqnn_decode_defaults(&c);
    c.eos = eos >= 0 && eos < m->dec_vocab ? eos : -1;
    return seqnn_model_decode(m, src, src_len, &bos, 1, max_len, &c, out, out_len, NULL);
}

/* Incremental decoding (seqnn_model_decode) against the teacher-forced
 * forward: for language models (LSTM, causal self-attention) and
 * encoder-decoder models (GRU + encoder attention, LSTM + causal
 * self-attention), on a backend given as argv[1] (default: the
 * selection):
 *   - greedy decoding gives exactly the argmax of seqnn_model_predict over
 *     the whole prefix at every step (what re-running the prefix computed);
 *   - the log-probability decoding reports is the teacher-forced one;
 *   - beam 1 is greedy; beam K (no length normalisation) reports the
 *     log-probability of the teacher-forced forward on its output (so the
 *     state reordering of every layer is right; trained models, where the
 *     state matters); beam V^2 over 3 tokens finds the best of all V^3; for
 *     the translation models, beam K finds a sequence at least as likely as
 *     greedy's and a larger beam never does worse;
 *   - top_k = 1 and a tiny top_p sample the argmax; a seed repeats a sample;
 *   - the streaming callback sees every token, and can stop decoding;
 *   - options that do not apply are refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "seqnn/model.h"
#include "seqnn/modelfile.h"

static seqnn_context *ctx;
static int failures;

#define EXPECT(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)
#define TRY(expr) do { seqnn_status s_ = (expr); if (s_ != SEQNN_OK) { failures++; \
    printf("FAIL %s:%d: %s: %s\n", __FILE__, __LINE__, #expr, seqnn_last_error()); return; } } while (0)

#define V 9                              /* every vocabulary */
#define MAXT 64

static const char *lm_lstm = "seqnn 1\ninput tokens vocab=9\nembedding dim=8\nlstm hidden=12 layers=2\n"
                             "dense out=9\nloss xent\noptimizer adam lr=0.02\n";
static const char *lm_attn = "seqnn 1\ninput tokens vocab=9\nembedding dim=8\n"
                             "attention heads=2 causal=1 score=scaled_dot\nactivation tanh\n"
                             "attention heads=1 causal=1 score=bilinear\ndense out=9\nloss xent\noptimizer adam lr=0.02\n";
static const char *s2s_gru = "seqnn 1\ninput tokens vocab=9\nembedding dim=8\ngru hidden=8 bidirectional=1\n"
                             "decoder vocab=9\nembedding dim=8\ngru hidden=12\nattention encoder=1 score=bilinear\n"
                             "dense out=9\noptimizer adam lr=0.02\n";
static const char *s2s_attn = "seqnn 1\ninput tokens vocab=9\nembedding dim=8\nlstm hidden=8\n"
                              "decoder vocab=9\nembedding dim=8\nlstm hidden=8 layers=2\n"
                              "attention heads=2 causal=1 score=scaled_dot\n"
                              "attention encoder=1 score=additive\ndense out=9\noptimizer adam lr=0.02\n";
static const char *lm_bidir = "seqnn 1\ninput tokens vocab=9\nembedding dim=8\nlstm hidden=8 bidirectional=1\n"
                              "dense out=9\nloss xent\n";

static uint64_t rng_state = 42;
static int32_t rnd(int32_t n)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (int32_t)((rng_state >> 33) % (uint64_t)n);
}

/* 60 Adam steps on a task where the next token depends on the history, so
 * that decoding with a wrong carried state is visible: language models,
 * s_{t+1} = s_t + s_{t-1} (mod 9) or, 1 time in 4, a random token;
 * encoder-decoder, the source (1..7) reversed, then eos 8. */
static seqnn_status train(seqnn_model *m, int s2s)
{
    enum { B = 16, T = 10, S = 5 };
    int32_t tok[T * B], tgt[T * B], dec[(S + 1) * B];
    seqnn_batch b;
    seqnn_step_result r;
    for (int step = 0; step < 60; step++) {
        memset(&b, 0, sizeof b);
        b.batch = B;
        for (int64_t j = 0; j < B; j++) {
            int32_t seq[T + 1];
            for (int64_t t = 0; t <= T; t++)
                seq[t] = s2s ? 1 + rnd(7) : t < 2 || rnd(4) == 0 ? rnd(V) : (seq[t - 1] + seq[t - 2]) % V;
            for (int64_t t = 0; t < (s2s ? S : T); t++) {
                tok[t * B + j] = seq[t];
                if (!s2s)
                    tgt[t * B + j] = seq[t + 1];
            }
            for (int64_t t = 0; s2s && t <= S; t++) {
                dec[t * B + j] = t == 0 ? 0 : seq[S - t];
                tgt[t * B + j] = t < S ? seq[S - 1 - t] : 8;
            }
        }
        b.seq_len = s2s ? S : T;
        b.tokens = tok;
        b.targets = tgt;
        if (s2s) {
            b.dec_len = S + 1;
            b.dec_tokens = dec;
        }
        seqnn_status s = seqnn_model_train_step(m, &b, &r);
        if (s != SEQNN_OK)
            return s;
    }
    return SEQNN_OK;
}

static seqnn_model *build(const char *text, uint64_t seed, int s2s, int trained)
{
    seqnn_model *m = NULL;
    seqnn_train_config cfg;
    if (seqnn_modelfile_parse(text, strlen(text), "test", NULL, 0, &m, &cfg) != SEQNN_OK ||
        seqnn_model_build(m, ctx, seed) != SEQNN_OK || seqnn_model_set_optimizer(m, &cfg.optim) != SEQNN_OK ||
        (trained && train(m, s2s) != SEQNN_OK)) {
        printf("FAIL build: %s\n", seqnn_last_error());
        failures++;
        seqnn_model_destroy(m);
        return NULL;
    }
    return m;
}

/* Teacher-forced logits of the last row after prefix (LM: the tokens; s2s:
 * the decoder's input after src), into row [V]. */
static seqnn_status last_logits(seqnn_model *m, int s2s, const int32_t *src, int64_t ns, const int32_t *prefix,
                                int64_t np, float *row)
{
    float all[MAXT * V];
    seqnn_batch b;
    memset(&b, 0, sizeof b);
    b.batch = 1;
    if (s2s) {
        b.seq_len = ns;
        b.tokens = src;
        b.dec_len = np;
        b.dec_tokens = prefix;
    } else {
        b.seq_len = np;
        b.tokens = prefix;
    }
    seqnn_status s = seqnn_model_predict(m, &b, all, np * V);
    if (s == SEQNN_OK)
        memcpy(row, all + (np - 1) * V, V * sizeof *row);
    return s;
}

static int argmax(const float *x)
{
    int best = 0;
    for (int j = 1; j < V; j++)
        if (x[j] > x[best])
            best = j;
    return best;
}

static double log_softmax_at(const float *x, int j)
{
    double mx = x[0], sum = 0;
    for (int k = 1; k < V; k++)
        mx = fmax(mx, x[k]);
    for (int k = 0; k < V; k++)
        sum += exp(x[k] - mx);
    return x[j] - mx - log(sum);
}

/* The teacher-forced log-probability of out[0..n) after prime (and of eos
 * after them when eos >= 0 and n < max_len), and whether each token was the
 * argmax (*greedy). */
static seqnn_status forced(seqnn_model *m, int s2s, const int32_t *src, int64_t ns, const int32_t *prime,
                          int64_t np, const int32_t *out, int64_t n, int32_t eos, int ended, double *lp,
                          int *greedy)
{
    int32_t prefix[MAXT];
    memcpy(prefix, prime, (size_t)np * sizeof *prefix);
    *lp = 0;
    *greedy = 1;
    for (int64_t i = 0; i < n + (ended ? 1 : 0); i++) {
        float row[V];
        seqnn_status s = last_logits(m, s2s, src, ns, prefix, np + i, row);
        if (s != SEQNN_OK)
            return s;
        int32_t tok = i < n ? out[i] : eos;
        *lp += log_softmax_at(row, tok);
        *greedy &= argmax(row) == tok;
        prefix[np + i] = tok;
    }
    return SEQNN_OK;
}

/* Whether every token of out[0..n) ranks below k in the teacher-forced logits of its step. */
static int within_top(seqnn_model *m, int s2s, const int32_t *src, int64_t ns, const int32_t *prime, int64_t np,
                      const int32_t *out, int64_t n, int k)
{
    int32_t prefix[MAXT];
    memcpy(prefix, prime, (size_t)np * sizeof *prefix);
    for (int64_t i = 0; i < n; i++) {
        float row[V];
        if (last_logits(m, s2s, src, ns, prefix, np + i, row) != SEQNN_OK)
            return 0;
        int rank = 0;
        for (int j = 0; j < V; j++)
            rank += row[j] > row[out[i]];
        if (rank >= k)
            return 0;
        prefix[np + i] = out[i];
    }
    return 1;
}

typedef struct stream {
    int32_t got[MAXT];
    int n, stop_after;
} stream;

static int on_token(void *user, int32_t tok)
{
    stream *st = user;
    st->got[st->n++] = tok;
    return st->stop_after && st->n >= st->stop_after;
}

/* Beam search over K >= V^2 hypotheses is exhaustive for 3 tokens (no
 * eos): it must find the most likely of all V^3 continuations, computed here
 * by one teacher-forced batch of them all. */
static void exhaustive(seqnn_model *m, const char *name, int s2s, const int32_t *src, int64_t ns,
                       const int32_t *prime, int64_t np)
{
    enum { N = V * V * V, L = 3 };
    int64_t T = s2s ? L : np + L - 1, Tin = s2s ? ns : T;
    int32_t *in = malloc((size_t)(Tin * N) * sizeof *in), *dec = malloc((size_t)(L * N) * sizeof *dec);
    float *logits = malloc((size_t)(T * N * V) * sizeof *logits);
    seqnn_batch b;
    memset(&b, 0, sizeof b);
    b.batch = N;
    b.seq_len = Tin;
    b.tokens = in;
    for (int64_t q = 0; q < N; q++) {
        int32_t seq[L] = {(int32_t)(q / (V * V)), (int32_t)(q / V % V), (int32_t)(q % V)};
        for (int64_t t = 0; t < Tin; t++)   /* time-major [T, B] */
            in[t * N + q] = s2s ? src[t] : t < np ? prime[t] : seq[t - np];
        for (int64_t t = 0; t < L && s2s; t++)
            dec[t * N + q] = t == 0 ? prime[0] : seq[t - 1];
    }
    if (s2s) {
        b.dec_len = L;
        b.dec_tokens = dec;
    }
    double best = -INFINITY;
    if (seqnn_model_predict(m, &b, logits, T * N * V) != SEQNN_OK) {
        failures++;
        printf("FAIL %s: exhaustive predict: %s\n", name, seqnn_last_error());
    } else {
        for (int64_t q = 0; q < N; q++) {
            int32_t seq[L] = {(int32_t)(q / (V * V)), (int32_t)(q / V % V), (int32_t)(q % V)};
            double lp = 0;
            for (int64_t k = 0; k < L; k++)
                lp += log_softmax_at(logits + ((T - L + k) * N + q) * V, seq[k]);
            best = fmax(best, lp);
        }
        seqnn_decode_config c;
        seqnn_decode_defaults(&c);
        c.beam = V * V;
        c.length_alpha = 0;
        int32_t out[L];
        int64_t n;
        double lp;
        if (seqnn_model_decode(m, s2s ? src : NULL, ns, prime, np, L, &c, out, &n, &lp) != SEQNN_OK) {
            failures++;
            printf("FAIL %s: beam %d: %s\n", name, V * V, seqnn_last_error());
        } else {
            EXPECT(n == L && fabs(lp - best) < 1e-4 * (1 + fabs(best)),
                   "%s: beam %d over 3 tokens found log p %.6f, the best of all is %.6f", name, V * V, lp, best);
        }
    }
    free(in);
    free(dec);
    free(logits);
}

static void one_model(const char *name, const char *text, int s2s, int trained)
{
    seqnn_model *m = build(text, 7, s2s, trained);
    if (!m)
        return;
    const int32_t src[5] = {3, 1, 4, 1, 5}, lm_prime[3] = {2, 7, 1}, bos = 0;
    const int32_t *prime = s2s ? &bos : lm_prime;
    int64_t np = s2s ? 1 : 3, ns = s2s ? 5 : 0, max_len = 24;
    int32_t eos = s2s ? 8 : -1;
    seqnn_decode_config c;
    seqnn_decode_defaults(&c);
    c.eos = eos;
    stream st = {.n = 0};
    c.on_token = on_token;
    c.user = &st;
    int32_t greedy[MAXT], out[MAXT];
    int64_t ng, n;
    double lpg, lp, lpf;
    int is_greedy;
    TRY(seqnn_model_decode(m, s2s ? src : NULL, ns, prime, np, max_len, &c, greedy, &ng, &lpg));
    TRY(forced(m, s2s, src, ns, prime, np, greedy, ng, eos, s2s && ng < max_len, &lpf, &is_greedy));
    EXPECT(is_greedy, "%s: incremental greedy decoding differs from the argmax of the full-prefix forward", name);
    EXPECT(fabs(lpf - lpg) < 1e-4 * (1 + fabs(lpf)), "%s: log p %.6f reported, %.6f teacher-forced", name, lpg, lpf);
    EXPECT(st.n == ng && !memcmp(st.got, greedy, (size_t)ng * sizeof *greedy), "%s: streamed %d tokens of %lld",
           name, st.n, (long long)ng);
    /* beam 1 is greedy */
    c.on_token = NULL;
    c.beam = 1;
    TRY(seqnn_model_decode(m, s2s ? src : NULL, ns, prime, np, max_len, &c, out, &n, &lp));
    EXPECT(n == ng && !memcmp(out, greedy, (size_t)n * sizeof *out) && lp == lpg, "%s: beam 1 differs from greedy",
           name);
    /* beam K, ranked by log p alone */
    c.length_alpha = 0;
    double prev = lpg;
    for (int64_t K = 2; K <= 6; K += 2) {
        c.beam = K;
        TRY(seqnn_model_decode(m, s2s ? src : NULL, ns, prime, np, max_len, &c, out, &n, &lp));
        TRY(forced(m, s2s, src, ns, prime, np, out, n, eos, s2s && n < max_len, &lpf, &is_greedy));
        EXPECT(fabs(lpf - lp) < 1e-4 * (1 + fabs(lpf)), "%s: beam %lld reports log p %.6f, teacher-forced %.6f",
               name, (long long)K, lp, lpf);
        /* Not a guarantee of beam search (the greedy prefix can be pruned
         * when K others score higher; measured: the trained LSTM language
         * model at K = 2 and 4 over 24 tokens), but what the translation
         * models here must show. */
        EXPECT(!s2s || lp >= lpg - 1e-9, "%s: beam %lld found log p %.6f < greedy's %.6f", name, (long long)K, lp,
               lpg);
        EXPECT(!s2s || lp >= prev - 1e-9, "%s: beam %lld found log p %.6f < the smaller beam's %.6f", name,
               (long long)K, lp, prev);
        prev = lp;
    }
    exhaustive(m, name, s2s, src, ns, prime, np);
    printf("%-32s greedy %2lld tokens log p %8.4f = teacher-forced; beam 6 log p %8.4f\n", name, (long long)ng, lpg,
           prev);
    /* sampling: top_k 1 and a tiny top_p take the argmax; a seed repeats */
    seqnn_decode_defaults(&c);
    c.eos = eos;
    c.temperature = 1.5;
    c.seed = 11;
    c.top_k = 1;
    TRY(seqnn_model_decode(m, s2s ? src : NULL, ns, prime, np, max_len, &c, out, &n, &lp));
    EXPECT(n == ng && !memcmp(out, greedy, (size_t)n * sizeof *out), "%s: top_k 1 is not greedy", name);
    c.top_k = 0;
    c.top_p = 1e-6;
    TRY(seqnn_model_decode(m, s2s ? src : NULL, ns, prime, np, max_len, &c, out, &n, &lp));
    EXPECT(n == ng && !memcmp(out, greedy, (size_t)n * sizeof *out), "%s: top_p 1e-6 is not greedy", name);
    int32_t again[MAXT];
    int64_t n2;
    c.top_p = 0.9;
    c.top_k = 5;
    TRY(seqnn_model_decode(m, s2s ? src : NULL, ns, prime, np, max_len, &c, out, &n, &lp));
    TRY(seqnn_model_decode(m, s2s ? src : NULL, ns, prime, np, max_len, &c, again, &n2, &lpf));
    EXPECT(n == n2 && !memcmp(out, again, (size_t)n * sizeof *out) && lp == lpf, "%s: seed 11 twice differs", name);
    TRY(forced(m, s2s, src, ns, prime, np, out, n, eos, s2s && n < max_len, &lpf, &is_greedy));
    EXPECT(fabs(lpf - lp) < 1e-4 * (1 + fabs(lpf)), "%s: a sample's log p %.6f, teacher-forced %.6f", name, lp, lpf);
    /* top_k 2 at a high temperature: every token among the step's two likeliest */
    c.top_k = 2;
    c.top_p = 1;
    c.temperature = 5;
    TRY(seqnn_model_decode(m, s2s ? src : NULL, ns, prime, np, max_len, &c, out, &n, &lp));
    EXPECT(within_top(m, s2s, src, ns, prime, np, out, n, 2), "%s: top_k 2 sampled a token ranked lower", name);
    /* the callback stops decoding */
    seqnn_decode_defaults(&c);
    c.eos = eos;
    st.n = 0;
    st.stop_after = 2;
    c.on_token = on_token;
    c.user = &st;
    TRY(seqnn_model_decode(m, s2s ? src : NULL, ns, prime, np, max_len, &c, out, &n, NULL));
    EXPECT(ng < 2 || (n == 2 && st.n == 2), "%s: a callback returning 1 at 2 tokens left %lld", name, (long long)n);
    /* refusals */
    c.on_token = NULL;
    c.beam = 3;
    c.temperature = 1;
    EXPECT(seqnn_model_decode(m, s2s ? src : NULL, ns, prime, np, max_len, &c, out, &n, NULL) ==
                   SEQNN_ERR_INVALID_ARG && strstr(seqnn_last_error(), "does not sample"),
           "%s: beam with a temperature: %s", name, seqnn_last_error());
    seqnn_decode_defaults(&c);
    EXPECT(seqnn_model_decode(m, s2s ? NULL : src, s2s ? 0 : 5, prime, np, max_len, &c, out, &n, NULL) ==
               SEQNN_ERR_INVALID_ARG, "%s: a %s refused", name, s2s ? "missing source" : "source for a language model");
    seqnn_model_destroy(m);
}

int main(int argc, char **argv)
{
    const char *backend = argc > 1 ? argv[1] : NULL;
    if (seqnn_context_create(backend, &ctx) != SEQNN_OK) {
        printf("FAIL cannot open backend %s: %s\n", backend ? backend : "(selection)", seqnn_last_error());
        return 1;
    }
    for (int trained = 0; trained < 2; trained++) {
        printf("%s models:\n", trained ? "trained (60 steps)" : "untrained");
        one_model("LM lstm 2 layers", lm_lstm, 0, trained);
        one_model("LM causal self-attention x2", lm_attn, 0, trained);
        one_model("s2s gru + bilinear attention", s2s_gru, 1, trained);
        one_model("s2s lstm + causal self-attn", s2s_attn, 1, trained);
    }
    seqnn_model *m = build(lm_bidir, 1, 0, 0);
    if (m) {
        seqnn_decode_config c;
        seqnn_decode_defaults(&c);
        int32_t prime = 1, out[4];
        int64_t n;
        EXPECT(seqnn_model_decode(m, NULL, 0, &prime, 1, 4, &c, out, &n, NULL) == SEQNN_ERR_INVALID_ARG &&
                   strstr(seqnn_last_error(), "later positions"),
               "a bidirectional language model: %s", seqnn_last_error());
        seqnn_model_destroy(m);
    }
    seqnn_context_destroy(ctx);
    printf(failures ? "FAIL: %d failures\n" : "decode: all passed\n", failures);
    return failures != 0;
}

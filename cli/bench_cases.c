/* `seqnn bench` cases: the defaults of each case, the standard suite, the
 * work of one iteration (flops, or bytes for the optimizers) and the target
 * ratio ours / peer shown next to each measured ratio. */
#include <stdio.h>
#include <string.h>
#include "bench.h"

/* work of one iteration: flops (GEMM-type work) or bytes moved (streaming) */
double bench_case_flops(const bench_case *c)
{
    double f = 0;
    switch (c->op) {
    case OP_GEMM:
        return 2.0 * (double)c->m * (double)c->n * (double)c->k;
    case OP_RNN: {
        int64_t G = !strcmp(c->name, "lstm") ? 4 : !strcmp(c->name, "gru") ? 3 : 1, D = c->bidir ? 2 : 1;
        for (int64_t l = 0; l < c->layers; l++) {
            int64_t in = l == 0 ? c->input : D * c->hidden;
            f += (double)D * 2.0 * (double)(c->seq * c->batch * G * c->hidden) * (double)(in + c->hidden);
        }
        return c->train ? 3 * f : f;    /* backward: dx/dh GEMMs and weight-gradient GEMMs */
    }
    case OP_CONV:
        for (int i = 0; i < c->nwidths; i++)
            f += 2.0 * (double)(c->batch * (c->seq - c->widths[i] + 1) * c->filters * c->embed * c->widths[i]);
        return c->train ? 3 * f : f;
    case OP_ATTENTION:                   /* Q K^T and W V; backward four such products */
        f = 4.0 * (double)(c->batch * c->heads * c->seq * c->seq * c->dim);
        return c->train ? 3 * f : f;
    case OP_MODEL:
        return c->model_flops;
    default:
        return 0;
    }
}

double bench_case_bytes(const bench_case *c)
{
    if (c->op != OP_OPTIM)
        return 0;
    /* adam: reads p, g, m, v, writes p, m, v; sgd (momentum): reads p, g, buf, writes p, buf;
     * clip: sumsq reads g, the scaling reads and writes g; dropout: forward reads x, writes y,
     * backward reads dy, writes dx */
    int arrays = !strcmp(c->name, "adam") ? 7 : !strcmp(c->name, "sgd") ? 5 : !strcmp(c->name, "dropout") ? 4 : 3;
    return 4.0 * (double)arrays * (double)c->params;
}

void bench_case_describe(const bench_case *c, char *s, size_t n)
{
    const char *mode = c->train ? "training" : "inference";
    switch (c->op) {
    case OP_GEMM:
        snprintf(s, n, "gemm M=%lld N=%lld K=%lld", (long long)c->m, (long long)c->n, (long long)c->k);
        break;
    case OP_RNN:
        snprintf(s, n, "%s H=%lld B=%lld T=%lld I=%lld%s%s %s", c->name, (long long)c->hidden,
                 (long long)c->batch, (long long)c->seq, (long long)c->input,
                 c->layers > 1 ? (c->layers == 2 ? " 2-layer" : " multi-layer") : "", c->bidir ? " bidir" : "",
                 mode);
        break;
    case OP_CONV: {
        char w[64] = "";
        for (int i = 0; i < c->nwidths; i++)
            snprintf(w + strlen(w), sizeof w - strlen(w), "%s%d", i ? "/" : "", c->widths[i]);
        snprintf(s, n, "conv bank B=%lld T=%lld E=%lld %lldx widths %s %s %s", (long long)c->batch,
                 (long long)c->seq, (long long)c->embed, (long long)c->filters, w,
                 c->channels_last ? "[B,T,E]" : "[B,E,T]", mode);
        break;
    }
    case OP_ATTENTION:
        snprintf(s, n, "attention B=%lld heads=%lld T=%lld d=%lld %s", (long long)c->batch, (long long)c->heads,
                 (long long)c->seq, (long long)c->dim, mode);
        break;
    case OP_OPTIM:
        snprintf(s, n, "%s N=%lld", c->name, (long long)c->params);
        break;
    case OP_MODEL: {
        /* the file and its directory: examples/charlm/model.seqnn -> charlm/model.seqnn */
        const char *shown = strrchr(c->model, '/');
        if (shown)
            while (shown > c->model && shown[-1] != '/')
                shown--;
        snprintf(s, n, "model %.60s B=%lld T=%lld vocab=%lld, %lld params, training step", shown ? shown : c->model,
                 (long long)c->batch, (long long)c->seq, (long long)c->vocab, (long long)c->params);
        break;
    }
    }
}

/* the target for the speed ratio ours / peer, or 0 for none; a peer capped
 * at AVX2 (openblas-haswell, torch-avx2) holds its uncapped peer's target */
double bench_case_target(const bench_case *c, const char *peer, int threads)
{
    if (!strcmp(peer, "openblas-haswell"))
        peer = "openblas";
    else if (!strcmp(peer, "torch-avx2"))
        peer = "torch";
    switch (c->op) {
    case OP_MODEL:                       /* 2 threads: against PyTorch with passive OpenMP threads */
        if (!strcmp(peer, "torch-passive"))
            return threads == 1 ? 1.5 : 1.6;
        return !strcmp(peer, "torch") && threads == 1 ? 1.5 : 0;
    case OP_GEMM: return !strcmp(peer, "openblas") ? 0.95 : 0;
    case OP_RNN: return !strcmp(peer, "onednn-avx2") ? 1.1 : !strcmp(peer, "torch") ? 1.15 : 0;
    case OP_CONV: return !strcmp(peer, "torch") ? 1.3 : 0;
    case OP_ATTENTION: return !strcmp(peer, "torch") ? 1.0 : 0;
    case OP_OPTIM:                       /* the optimizers and clip; dropout has no target */
        return !strcmp(peer, "triad") && strcmp(c->name, "dropout") ? 0.8 : 0;
    }
    return 0;
}

/* the case WHAT (its name and operation), keeping every size */
void bench_case_set_what(bench_case *c, const char *what)
{
    snprintf(c->name, sizeof c->name, "%s", what);
    if (!strcmp(what, "gemm"))
        c->op = OP_GEMM;
    else if (!strcmp(what, "lstm") || !strcmp(what, "gru") || !strcmp(what, "rnn"))
        c->op = OP_RNN;
    else if (!strcmp(what, "conv"))
        c->op = OP_CONV;
    else if (!strcmp(what, "attention"))
        c->op = OP_ATTENTION;
    else if (!strcmp(what, "model"))
        c->op = OP_MODEL;
    else
        c->op = OP_OPTIM;
}

/* the case WHAT at the default sizes (the same for every case) */
void bench_case_defaults(bench_case *c, const char *what)
{
    memset(c, 0, sizeof *c);
    c->m = c->n = c->k = 1024;
    c->hidden = 512;
    c->batch = 64;
    c->seq = 50;
    c->input = 0;                        /* = hidden */
    c->layers = 1;
    c->embed = 300;
    c->filters = 100;
    c->widths[0] = 3;
    c->widths[1] = 4;
    c->widths[2] = 5;
    c->nwidths = 3;
    c->heads = 8;
    c->dim = 64;
    c->params = 10000000;
    c->vocab = 97;                       /* the bytes of the fortunes text (examples/charlm/prepare.sh) */
    bench_case_set_what(c, what);
}

/* whether w names a case */
int bench_case_known(const char *w)
{
    static const char *const names[] = { "gemm", "lstm", "gru", "rnn", "conv", "attention", "adam", "sgd", "clip", "dropout", "model" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(w, names[i]))
            return 1;
    return 0;
}

int bench_add_case(bench_case *cases, int n, int max, const bench_case *c)
{
    if (n < max)
        cases[n++] = *c;
    return n;
}

/* the standard suite: GEMM, the recurrent cells at H = 256, 512, 1024, a
 * two-layer bidirectional LSTM, the conv bank, attention, the optimizers */
int bench_suite_cases(bench_case *cases, int max)
{
    int n = 0;
    bench_case c;
    bench_case_defaults(&c, "gemm");
    n = bench_add_case(cases, n, max, &c);
    for (int64_t h = 256; h <= 1024; h *= 2) {
        c.m = 64;
        c.n = 4 * h;
        c.k = h;
        n = bench_add_case(cases, n, max, &c);
    }
    static const char *const cells[] = { "lstm", "gru", "rnn" };
    for (int i = 0; i < 3; i++)
        for (int64_t h = 256; h <= 1024; h *= 2)
            for (int train = 0; train < 2; train++) {
                bench_case_defaults(&c, cells[i]);
                c.hidden = c.input = h;
                c.train = train;
                n = bench_add_case(cases, n, max, &c);
            }
    for (int train = 0; train < 2; train++) {
        bench_case_defaults(&c, "lstm");
        c.input = 512;
        c.layers = 2;
        c.bidir = 1;
        c.train = train;
        n = bench_add_case(cases, n, max, &c);
    }
    for (int train = 0; train < 2; train++) {
        bench_case_defaults(&c, "conv");
        c.seq = 64;
        c.train = train;
        n = bench_add_case(cases, n, max, &c);
        bench_case_defaults(&c, "attention");
        c.seq = 128;
        c.train = train;
        n = bench_add_case(cases, n, max, &c);
    }
    static const char *const opt[] = { "adam", "sgd", "clip" };
    for (int i = 0; i < 3; i++) {
        bench_case_defaults(&c, opt[i]);
        n = bench_add_case(cases, n, max, &c);
    }
    return n;
}

/* Data-parallel training against one process, run under mpirun with N ranks
 * (tests/mpi.cmake runs N = 2 and 3). Every rank builds each model twice
 * with the same seed on the reference plugin: one distributed over the ranks
 * (seqnn_model_set_distributed), one trained alone on the whole global batch
 * (what a single process computes), and holds the first to the second:
 *
 * 1. Gradients at step 1, recovered from one step of plain SGD at lr = 2^10
 *    (p1 = fl(p0 - lr g), lr g exact), normwise per parameter tensor within
 *    the conformance budget 2 C ceil(log2(k + 1)) eps plus the recovery's
 *    rounding, as tests/test_backends_agree.c does (k: the model's reduction
 *    length, below). The step's loss and target count too.
 * 2. The loss curve over STEPS steps of Adam with clipping, within
 *    1e-4 + 1e-3 |loss_ref| at every step, and evaluation (loss, count,
 *    accuracy) of a held-out batch reduced across ranks; a third model,
 *    given each rank's shard (local_batches), follows the first bit for bit.
 * 3. A rank whose parameters differ (written on the last rank) fails the
 *    next checksum (every step here) on every rank, naming that rank.
 * 4. A batch of fewer sequences than ranks fails on every rank, naming a
 *    rank left without any.
 * 5. The options' size: seqnn_distributed_options_init's defaults; its
 *    fields honoured (a communicator of one rank); a struct from a newer
 *    header (a field appended) accepted when the new field is zero and
 *    refused when it is set; a size below the first version's refused; a
 *    refused call leaves the model as it was. size 0 (the designated
 *    initialisers above) is the first version.
 * 6. A stop flag set on the last rank alone, between two steps: the next
 *    training step tells every rank (seqnn_model_distributed_stop), an
 *    evaluation before it does not, and the steps before it said 0.
 * Steps 1 and 2 use a batch of B and B - 1 (shards differing in size), and
 * so do the curve's steps in turn.
 *
 * The models cover the batch's layouts: a language model with class-weighted
 * cross-entropy and lengths below T (ignored targets: the shards count
 * different targets), a classifier (one target per sequence) and a
 * regressor on features (MSE). Exit 0 on every rank when all pass. */
#include <math.h>
#include <mpi.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "seqnn/distributed.h"
#include "seqnn/model.h"

#define STEPS 30
#define T 10
#define B 6                              /* 6 and 5: even and uneven shards over 2 and 3 ranks */
#define BUDGET_C 16.0
#define EPS_F32 5.9604644775390625e-08
#define GRAD_LR 1024.0
#define MAX_PARAMS 16

enum kind { LM, CLASSIFY, REGRESS };

typedef struct case_desc {
    const char *name;
    enum kind kind;
    int64_t vocab, embed, out;
    seqnn_recurrent_desc rnn;
    double k;                            /* reduction length: T*B * the per-step sum lengths */
} case_desc;

/* k, T*B = 60: lm: lstm 8+16+2+64 = 90, fc 16+1+11 = 28, loss 11: 129;
 * classifier: gru 8+12+2+36 = 58, fc 12+1+4 = 17, loss 4: 79;
 * regressor: rnn 3+12+2+12 = 29, fc 12+1+1 = 14, loss 6: 49. */
static const case_desc cases[] = {
    {"lstm language model, class weights and short lengths", LM, 11, 8, 11,
     {.cell = SEQNN_CELL_LSTM, .hidden = 16, .layers = 1}, 60.0 * 129},
    {"gru classifier", CLASSIFY, 9, 8, 4, {.cell = SEQNN_CELL_GRU, .hidden = 12, .layers = 1, .last = 1},
     60.0 * 79},
    {"rnn regressor", REGRESS, 3, 0, 1, {.cell = SEQNN_CELL_RNN_TANH, .hidden = 12, .layers = 1, .last = 1},
     60.0 * 49},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static int rank, size, failures;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL rank %d: ", rank);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    failures++;
}

/* A batch of host arrays, owned here. */
typedef struct host_batch {
    int32_t tokens[T * B], targets[T * B], lengths[B];
    float features[T * B * 3], values[T * B];
    seqnn_batch b;
} host_batch;

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* out = the columns [c0, c0 + n) of h (a batch of nb): this rank's shard,
 * as a caller of local_batches gives it. */
static void slice_batch(const case_desc *c, const host_batch *h, int nb, int c0, int n, host_batch *out)
{
    memset(out, 0, sizeof *out);
    int rows = c->kind == LM ? T : 1;    /* targets (values): per step, or one per sequence */
    for (int t = 0; t < T; t++)
        for (int k = 0; k < n; k++) {
            out->tokens[t * n + k] = h->tokens[t * nb + c0 + k];
            memcpy(out->features + (t * n + k) * 3, h->features + (t * nb + c0 + k) * 3, 3 * sizeof(float));
        }
    for (int t = 0; t < rows; t++)
        for (int k = 0; k < n; k++) {
            out->targets[t * n + k] = h->targets[t * nb + c0 + k];
            out->values[t * n + k] = h->values[t * nb + c0 + k];
        }
    memcpy(out->lengths, h->lengths + c0, (size_t)n * sizeof *out->lengths);
    out->b = h->b;
    out->b.batch = n;
    out->b.lengths = out->lengths;
    out->b.tokens = h->b.tokens ? out->tokens : NULL;
    out->b.targets = h->b.targets ? out->targets : NULL;
    out->b.features = h->b.features ? out->features : NULL;
    out->b.values = h->b.values ? out->values : NULL;
}

/* A batch of nb <= B sequences ([T, nb]). */
static void make_batch(const case_desc *c, uint32_t seed, int nb, host_batch *h)
{
    memset(h, 0, sizeof *h);
    uint32_t s = seed;
    for (int i = 0; i < T * nb; i++) {
        h->tokens[i] = (int32_t)(lcg(&s) % (uint32_t)c->vocab);
        h->targets[i] = (int32_t)(lcg(&s) % (uint32_t)c->out);
        for (int j = 0; j < 3; j++)
            h->features[i * 3 + j] = (float)(lcg(&s) % 2001) / 1000.0f - 1.0f;
        h->values[i] = (float)(lcg(&s) % 2001) / 1000.0f - 1.0f;
    }
    for (int b = 0; b < nb; b++)
        h->lengths[b] = c->kind == LM ? T - (int32_t)(lcg(&s) % 5) : T;
    h->b = (seqnn_batch){.seq_len = T, .batch = nb, .lengths = h->lengths};
    if (c->kind == REGRESS) {
        h->b.features = h->features;
        h->b.values = h->values;
    } else {
        h->b.tokens = h->tokens;
        h->b.targets = h->targets;
    }
}

static seqnn_status build(const case_desc *c, const seqnn_optim_desc *o, seqnn_context *ctx, seqnn_model **out)
{
    seqnn_model *m;
    seqnn_status s = seqnn_model_create(&m);
    if (s)
        return s;
    s = c->kind == REGRESS ? seqnn_model_input_features(m, c->vocab) : seqnn_model_input_tokens(m, c->vocab);
    if (!s && c->embed)
        s = seqnn_model_add_embedding(m, "embed", c->embed, -1);
    if (!s)
        s = seqnn_model_add_recurrent(m, "rnn", &c->rnn);
    if (!s)
        s = seqnn_model_add_dense(m, "fc", c->out);
    if (!s)
        s = seqnn_model_set_loss(m, c->kind == REGRESS ? SEQNN_LOSS_MSE : SEQNN_LOSS_XENT);
    if (!s && c->kind == LM) {
        float w[16];
        for (int i = 0; i < c->out; i++)
            w[i] = 0.5f + 0.5f * (float)(i % 3);
        seqnn_xent_options x = {.class_weights = w, .n_weights = c->out};
        s = seqnn_model_set_xent_options(m, &x);
    }
    if (!s)
        s = seqnn_model_build(m, ctx, 7);
    if (!s)
        s = seqnn_model_set_optimizer(m, o);
    if (s) {
        seqnn_model_destroy(m);
        return s;
    }
    *out = m;
    return SEQNN_OK;
}

/* The pair: d distributed, r alone. */
static int build_pair(const case_desc *c, const seqnn_optim_desc *o, seqnn_context *ctx, int64_t check_every,
                      seqnn_model **d, seqnn_model **r)
{
    seqnn_distributed_options opt = {.check_every = check_every};
    if (build(c, o, ctx, d) || build(c, o, ctx, r) || seqnn_model_set_distributed(*d, &opt)) {
        fail("%s: building: %s", c->name, seqnn_last_error());
        return 0;
    }
    return 1;
}

static int params(seqnn_model *m, float **p, int64_t *n)
{
    int64_t count = seqnn_model_param_count(m);
    for (int64_t i = 0; i < count && i < MAX_PARAMS; i++) {
        seqnn_param_info info;
        if (seqnn_model_param(m, i, &info) || !(p[i] = malloc((size_t)info.count * sizeof **p)) ||
            seqnn_model_param_read(m, i, p[i], info.count))
            return 0;
        n[i] = info.count;
    }
    return 1;
}

static void check_gradients(const case_desc *c, int nb, seqnn_context *ctx)
{
    seqnn_optim_desc sgd = seqnn_optim_defaults(SEQNN_OPTIM_SGD);
    sgd.lr = GRAD_LR;
    seqnn_model *d = NULL, *r = NULL;
    host_batch h;
    make_batch(c, 11, nb, &h);
    float *p0[MAX_PARAMS] = {0}, *pd[MAX_PARAMS] = {0}, *pr[MAX_PARAMS] = {0};
    int64_t n[MAX_PARAMS];
    seqnn_step_result sd, sr;
    if (!build_pair(c, &sgd, ctx, 0, &d, &r))
        return;
    if (!params(r, p0, n) || seqnn_model_train_step(d, &h.b, &sd) || seqnn_model_train_step(r, &h.b, &sr) ||
        !params(d, pd, n) || !params(r, pr, n)) {
        fail("%s: step 1: %s", c->name, seqnn_last_error());
    } else {
        double budget = 2 * BUDGET_C * ceil(log2(c->k + 1)) * EPS_F32, worst = 0;
        if (fabs(sd.loss - sr.loss) > budget * fabs(sr.loss))
            fail("%s: step-1 loss %.9g, alone %.9g", c->name, sd.loss, sr.loss);
        if (sd.count != sr.count)
            fail("%s: step-1 count %lld, alone %lld", c->name, (long long)sd.count, (long long)sr.count);
        for (int64_t i = 0; i < seqnn_model_param_count(r) && i < MAX_PARAMS; i++) {
            double err = 0, gmax = 0, rec = 0;
            for (int64_t j = 0; j < n[i]; j++) {
                double gd = ((double)p0[i][j] - pd[i][j]) / GRAD_LR, gr = ((double)p0[i][j] - pr[i][j]) / GRAD_LR;
                err = fmax(err, fabs(gd - gr));
                gmax = fmax(gmax, fabs(gr));
                rec = fmax(rec, EPS_F32 * (fabs(pd[i][j]) + fabs(pr[i][j])) / GRAD_LR);
            }
            double ratio = gmax > 0 ? err / (budget * gmax + rec) : (err > rec ? INFINITY : 0);
            worst = fmax(worst, ratio);
            if (ratio > 1)
                fail("%s: step-1 gradient error %.3g of the budget (tensor %lld)", c->name, ratio, (long long)i);
        }
        if (rank == 0)
            printf("%s, batch %d over %d ranks: step-1 gradients at %.3f of the budget\n", c->name, nb, size, worst);
    }
    for (int i = 0; i < MAX_PARAMS; i++)
        free(p0[i]), free(pd[i]), free(pr[i]);
    seqnn_model_destroy(d);
    seqnn_model_destroy(r);
}

static void check_curve(const case_desc *c, seqnn_context *ctx)
{
    seqnn_optim_desc adam = seqnn_optim_defaults(SEQNN_OPTIM_ADAM);
    adam.lr = 0.01;
    adam.clip_norm = 1.0;
    seqnn_model *d = NULL, *r = NULL, *l = NULL;  /* l: given its shards (local_batches) */
    seqnn_distributed_options local = {.check_every = 10, .local_batches = 1};
    if (!build_pair(c, &adam, ctx, 10, &d, &r))
        return;
    if (build(c, &adam, ctx, &l) || seqnn_model_set_distributed(l, &local)) {
        fail("%s: building: %s", c->name, seqnn_last_error());
        seqnn_model_destroy(l);
        l = NULL;
    }
    double worst = 0;
    for (int step = 1; l && step <= STEPS; step++) {
        host_batch h, own;
        int nb = step % 2 ? B : B - 1, c0 = rank * nb / size;
        make_batch(c, 100u + (uint32_t)step, nb, &h);
        slice_batch(c, &h, nb, c0, (rank + 1) * nb / size - c0, &own);
        seqnn_step_result sd, sr, sl;
        if (seqnn_model_train_step(d, &h.b, &sd) || seqnn_model_train_step(r, &h.b, &sr) ||
            seqnn_model_train_step(l, &own.b, &sl)) {
            fail("%s: step %d: %s", c->name, step, seqnn_last_error());
            break;
        }
        if (sl.loss != sd.loss || sl.count != sd.count)
            fail("%s: step %d: given its shards, loss %.9g (count %lld), given the global batch %.9g (%lld)",
                 c->name, step, sl.loss, (long long)sl.count, sd.loss, (long long)sd.count);
        double ratio = fabs(sd.loss - sr.loss) / (1e-4 + 1e-3 * fabs(sr.loss));
        worst = fmax(worst, ratio);
        if (ratio > 1)
            fail("%s: loss curve: %.9g, alone %.9g", c->name, sd.loss, sr.loss);
    }
    host_batch h;
    make_batch(c, 999, B - 1, &h);
    seqnn_step_result ed, er;
    if (seqnn_model_evaluate(d, &h.b, &ed) || seqnn_model_evaluate(r, &h.b, &er)) {
        fail("%s: evaluate: %s", c->name, seqnn_last_error());
    } else if (fabs(ed.loss - er.loss) > 1e-4 + 1e-3 * fabs(er.loss) || ed.count != er.count ||
               labs((long)(ed.correct - er.correct)) > 1) {
        fail("%s: evaluation loss %.9g, alone %.9g (or its count or accuracy differs)", c->name, ed.loss, er.loss);
    }
    if (rank == 0)
        printf("%s, %d ranks: %d-step loss curve at %.3f of the budget, the same bits given the shards\n", c->name,
               size, STEPS, worst);
    seqnn_model_destroy(d);
    seqnn_model_destroy(r);
    seqnn_model_destroy(l);
}

/* The last rank's parameters are changed: the next step's checksum fails
 * on every rank and names it; a batch of size - 1 sequences leaves a rank
 * without any. */
static void check_faults(seqnn_context *ctx)
{
    const case_desc *c = &cases[1];
    seqnn_optim_desc sgd = seqnn_optim_defaults(SEQNN_OPTIM_SGD);
    seqnn_model *d = NULL, *r = NULL;
    if (!build_pair(c, &sgd, ctx, 1, &d, &r))
        return;
    host_batch h;
    make_batch(c, 5, B, &h);
    if (seqnn_model_train_step(d, &h.b, NULL))
        fail("checksum: an untouched step fails: %s", seqnn_last_error());
    seqnn_param_info info;
    float *p = NULL;
    if (!seqnn_model_param(d, 0, &info) && (p = malloc((size_t)info.count * sizeof *p)) &&
        !seqnn_model_param_read(d, 0, p, info.count)) {
        if (rank == size - 1)
            p[0] += 0.25f;
        seqnn_model_param_write(d, 0, p, info.count);
    }
    free(p);
    char want[64];
    snprintf(want, sizeof want, "rank %d differs", size - 1);
    seqnn_status s = seqnn_model_train_step(d, &h.b, NULL);
    if (s != SEQNN_ERR_NUMERIC || !strstr(seqnn_last_error(), want))
        fail("checksum: expected a failure naming '%s', got: %s", want, s ? seqnn_last_error() : "success");
    make_batch(c, 6, size - 1, &h);
    s = seqnn_model_train_step(d, &h.b, NULL);
    if (s != SEQNN_ERR_INVALID_ARG || !strstr(seqnn_last_error(), "without any"))
        fail("a batch of %d: expected 'without any', got: %s", size - 1, s ? seqnn_last_error() : "success");
    else if (rank == 0)
        printf("a changed rank %d and a batch of %d over %d ranks: refused on every rank\n", size - 1, size - 1, size);
    seqnn_model_destroy(d);
    seqnn_model_destroy(r);
}

/* A model distributed with options o: the status, and *dsize the number of
 * ranks it then reports (1: not distributed). */
static seqnn_status distribute(seqnn_context *ctx, const void *o, int *dsize)
{
    seqnn_optim_desc sgd = seqnn_optim_defaults(SEQNN_OPTIM_SGD);
    seqnn_model *m = NULL;
    int r = -1;
    *dsize = -1;
    seqnn_status s = build(&cases[1], &sgd, ctx, &m);
    if (s == SEQNN_OK) {
        s = seqnn_model_set_distributed(m, (const seqnn_distributed_options *)o);
        seqnn_model_distributed_rank(m, &r, dsize);
    }
    seqnn_model_destroy(m);
    return s;
}

static void check_options(seqnn_context *ctx)
{
    seqnn_distributed_options o;
    memset(&o, 0xA5, sizeof o);
    seqnn_distributed_options_init(&o);
    if (o.size != sizeof o || o.mpi_comm || o.check_every != 100 || o.local_batches)
        fail("options_init: size %u, comm %p, check_every %lld, local_batches %d", o.size, o.mpi_comm,
             (long long)o.check_every, o.local_batches);
    MPI_Comm self = MPI_COMM_SELF;
    o.mpi_comm = &self;
    int n = 0;
    seqnn_status s = distribute(ctx, &o, &n);
    if (s != SEQNN_OK || n != 1)
        fail("options from init over MPI_COMM_SELF: status %d, %d ranks (want 1): %s", (int)s, n, seqnn_last_error());
    struct {
        seqnn_distributed_options o;
        int64_t newer;                   /* a field a later header appends */
    } big;
    memset(&big, 0, sizeof big);
    seqnn_distributed_options_init(&big.o);
    big.o.size = (uint32_t)sizeof big;
    s = distribute(ctx, &big, &n);
    if (s != SEQNN_OK || n != size)
        fail("a newer struct, its new field zero: status %d, %d ranks: %s", (int)s, n, seqnn_last_error());
    big.newer = 7;
    s = distribute(ctx, &big, &n);
    if (s != SEQNN_ERR_UNSUPPORTED || !strstr(seqnn_last_error(), "does not know") || n != 1)
        fail("a newer struct, its new field set: status %d, %d ranks: %s", (int)s, n,
             s ? seqnn_last_error() : "accepted");
    seqnn_distributed_options_init(&o);
    o.size = 4;
    s = distribute(ctx, &o, &n);
    if (s != SEQNN_ERR_INVALID_ARG || !strstr(seqnn_last_error(), "below the first version") || n != 1)
        fail("size 4: status %d, %d ranks: %s", (int)s, n, s ? seqnn_last_error() : "accepted");
    else if (rank == 0)
        printf("options: init's defaults and fields, a newer struct (new field zero / set), size 4: as expected\n");
}

static void check_stop(seqnn_context *ctx)
{
    const case_desc *c = &cases[1];
    seqnn_optim_desc sgd = seqnn_optim_defaults(SEQNN_OPTIM_SGD);
    volatile sig_atomic_t flag = 0;
    seqnn_distributed_options o;
    seqnn_distributed_options_init(&o);
    o.stop = &flag;
    seqnn_model *m = NULL;
    if (build(c, &sgd, ctx, &m) || seqnn_model_set_distributed(m, &o)) {
        fail("stop flag: building: %s", seqnn_last_error());
        seqnn_model_destroy(m);
        return;
    }
    host_batch h;
    make_batch(c, 8, B, &h);
    int seen[4] = {-1, -1, -1, -1};
    seqnn_step_result r;
    for (int step = 0; step < 3; step++) {
        if (step == 2 && rank == size - 1)
            flag = SIGINT;
        if (step == 2 && seqnn_model_evaluate(m, &h.b, &r))
            fail("stop flag: evaluating: %s", seqnn_last_error());
        if (step == 2)
            seen[3] = seqnn_model_distributed_stop(m);
        if (seqnn_model_train_step(m, &h.b, &r))
            fail("stop flag: step %d: %s", step + 1, seqnn_last_error());
        seen[step] = seqnn_model_distributed_stop(m);
    }
    if (seen[0] || seen[1] || seen[3] || seen[2] != SIGINT)
        fail("stop flag set on rank %d before step 3: seqnn_model_distributed_stop after steps 1, 2, the "
             "evaluation and step 3: %d %d %d %d (want 0 0 0 %d)", size - 1, seen[0], seen[1], seen[3], seen[2],
             SIGINT);
    else if (rank == 0)
        printf("a stop flag set on rank %d alone: every rank learns it at the next training step\n", size - 1);
    seqnn_model_destroy(m);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    seqnn_context *ctx = NULL;
    if (!seqnn_distributed_available() || seqnn_context_create("ref", &ctx)) {
        fprintf(stderr, "FAIL rank %d: %s\n", rank,
                seqnn_distributed_available() ? seqnn_last_error() : "libseqnn was built without MPI");
        failures++;
    }
    for (int i = 0; ctx && i < N_CASES; i++) {
        check_gradients(&cases[i], B, ctx);
        check_gradients(&cases[i], B - 1, ctx);
        check_curve(&cases[i], ctx);
    }
    if (ctx) {
        check_faults(ctx);
        check_options(ctx);
        check_stop(ctx);
    }
    seqnn_context_destroy(ctx);
    int all = 0;
    MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        printf("%s: %d failure%s over %d ranks\n", all ? "FAIL" : "PASS", all, all == 1 ? "" : "s", size);
    MPI_Finalize();
    return all ? 1 : 0;
}

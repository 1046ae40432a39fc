/* Same model, every backend: builds small models of every layer family (a
 * stacked LSTM language model, a bidirectional GRU classifier, an RNN
 * regressor, a classic-GRU language model, a causal self-attention language
 * model, a Kim convolution bank classifier, a Tree-LSTM classifier over
 * bracketed and balanced trees) with the same seed on every plugin
 * that can run here and checks them against the reference plugin in two ways.
 *
 * 1. Gradients at step 1. One step of plain SGD at lr = 2^10 (no momentum, no
 *    clipping) gives p1 = fl(p0 - lr g), and lr g is exact in float32, so
 *    g = (p0 - p1) / lr to within eps |p1| / lr per element (eps = 2^-24).
 *    Every parameter tensor's gradient is held against the reference's,
 *    normwise as the conformance suite does (tests/conformance/conformance.h):
 *
 *      err    = max_i |g_i - g_ref_i| / max_i |g_ref_i|
 *      budget = 2 * C * ceil(log2(k + 1)) * eps  +  max_i eps (|p1_i| + |p1_ref_i|) / lr / max_i |g_ref_i|
 *
 *    C = 16 is the suite's constant. Each float32 side is within
 *    C ceil(log2(k + 1)) eps of the exact gradient, hence the factor 2 between
 *    two of them; the second term is the recovery's rounding. k is the model's
 *    reduction length: the gradient of the first layer's weights passes every
 *    layer's forward and backward sums, and each weight gradient sums over all
 *    T*B positions, so k = T * B * (sum over the layers of their per-step sum
 *    lengths), written down with each model below (recurrent: I + H + 2 + G H,
 *    the suite's rnn backward base; dense in -> out: in + 1 + out; a loss over
 *    n classes: n; attention: the projections' E + 1 and 3E, the head size and
 *    twice T for scores, softmax and context; conv: E w + 1 and filters * w and
 *    the T-long max). The loss of step 1 is held to the same budget. The
 *    initial parameters must be identical bit for bit (they are drawn on the
 *    host).
 * 2. The loss curve over STEPS steps of each model's own optimizer (Adam,
 *    SGD with Nesterov momentum, RMSprop centered with momentum) with clipping.
 *    Training feeds rounding differences back through the parameters, so the
 *    curve's budget is |loss - loss_ref| <= 1e-4 + 1e-3 |loss_ref| at every
 *    step: it catches what only shows after many steps (optimizer state).
 *
 * A plugin that cannot run here (score 0) is reported and skipped; finding
 * no plugin other than ref is a skip (exit 77).
 *
 * With arguments, `test_backends_agree SPEC...`, each SPEC (SEQNN_BACKEND's
 * syntax, a chain of devices "A,B" included) is held to the reference instead
 * of every device, and the loss curve's time per step and, for a chain, the
 * copies between its devices per step are printed. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "seqnn/model.h"

#define STEPS 25
#define T 12
#define B 6
#define BUDGET_C 16.0                   /* tests/conformance/conformance.h: CF_BUDGET_C */
#define EPS_F32 5.9604644775390625e-08  /* 2^-24 */
#define GRAD_LR 1024.0                  /* a power of two: lr * g is exact */
#define MAX_PARAMS 16

enum batch_kind { LM, CLASSIFY, REGRESS };
enum middle_kind { RECURRENT, ATTENTION, CONV_BANK, TREE };

/* A model: input, an optional embedding, one middle layer, a dense output. */
typedef struct agree_model {
    const char *name;
    enum batch_kind batch;
    int64_t vocab;                       /* LM/CLASSIFY: token ids; REGRESS: feature size */
    int64_t embed;                       /* embedding size (0: none) */
    int32_t padding_idx;
    enum middle_kind middle;
    seqnn_recurrent_desc rnn;
    seqnn_attention_desc attn;
    int64_t filters;                     /* CONV_BANK: widths 2, 3, 4, relu */
    seqnn_tree_desc tree;
    int64_t out;                         /* dense output size */
    seqnn_loss_kind loss;
    double k;                            /* reduction length (see the header) */
    void (*optim)(seqnn_optim_desc *o);  /* the loss curve's optimizer */
} agree_model;

static void adam(seqnn_optim_desc *o)
{
    *o = seqnn_optim_defaults(SEQNN_OPTIM_ADAM);
    o->lr = 0.01;
}

static void sgd_nesterov(seqnn_optim_desc *o)
{
    *o = seqnn_optim_defaults(SEQNN_OPTIM_SGD);
    o->lr = 0.1;
    o->momentum = 0.9;
    o->nesterov = 1;
    o->weight_decay = 1e-3;
}

static void rmsprop_centered(seqnn_optim_desc *o)
{
    *o = seqnn_optim_defaults(SEQNN_OPTIM_RMSPROP);
    o->lr = 0.003;
    o->momentum = 0.5;
    o->centered = 1;
}

static void rmsprop(seqnn_optim_desc *o)
{
    *o = seqnn_optim_defaults(SEQNN_OPTIM_RMSPROP);
    o->lr = 0.003;
}

/* k = T*B * sum of the per-step sum lengths, T*B = 72:
 *  lstm lm:        lstm 10+24+2+4*24 = 132, lstm 24+24+2+96 = 146, fc 24+1+17 = 42, loss 17: 337
 *  bigru:          gru 8+16+2+3*16 = 74 (directions side by side), fc 32+1+4 = 37, loss 4: 115
 *  rnn regressor:  rnn 2+20+2+20 = 44, fc 20+1+1 = 22, loss (mean over B) 6: 72
 *  classic gru lm: gru 8+20+2+3*20 = 90, fc 20+1+17 = 38, loss 17: 145
 *  attention lm:   in_proj 16+1 and 48, head 8, scores/softmax/context 2*12, out_proj 17 and 16,
 *                  fc 16+1+17 = 34, loss 17: 181
 *  kim cnn:        conv 12*4+1 = 49 and 8*4 = 32, max over 12, fc 24+1+4 = 29, loss 4: 126
 *  tree lstm:      leaf 10+1+3*12 = 47, node 2*12+1+5*12+12 = 97, fc 12+1+4 = 17, loss 4: 165 */
static const agree_model models[] = {
    {.name = "lstm language model (adam)", .batch = LM, .vocab = 17, .embed = 10, .padding_idx = -1,
     .middle = RECURRENT, .rnn = {.cell = SEQNN_CELL_LSTM, .hidden = 24, .layers = 2}, .out = 17,
     .k = 72.0 * 337, .optim = adam},
    {.name = "bidirectional gru classifier (adam)", .batch = CLASSIFY, .vocab = 13, .embed = 8, .padding_idx = 0,
     .middle = RECURRENT, .rnn = {.cell = SEQNN_CELL_GRU, .hidden = 16, .layers = 1, .bidirectional = 1, .last = 1},
     .out = 4, .k = 72.0 * 115, .optim = adam},
    {.name = "rnn regressor (adam)", .batch = REGRESS, .vocab = 2, .middle = RECURRENT,
     .rnn = {.cell = SEQNN_CELL_RNN_RELU, .hidden = 20, .layers = 1, .last = 1, .init = SEQNN_INIT_IDENTITY},
     .out = 1, .loss = SEQNN_LOSS_MSE, .k = 72.0 * 72, .optim = adam},
    {.name = "classic gru language model (sgd nesterov)", .batch = LM, .vocab = 17, .embed = 8, .padding_idx = -1,
     .middle = RECURRENT, .rnn = {.cell = SEQNN_CELL_GRU_CLASSIC, .hidden = 20, .layers = 1}, .out = 17,
     .k = 72.0 * 145, .optim = sgd_nesterov},
    {.name = "causal self-attention language model (rmsprop)", .batch = LM, .vocab = 17, .embed = 16,
     .padding_idx = -1, .middle = ATTENTION, .attn = {.score = SEQNN_SCORE_SCALED_DOT, .heads = 2, .causal = 1},
     .out = 17, .k = 72.0 * 181, .optim = rmsprop},
    {.name = "kim cnn classifier (rmsprop centered)", .batch = CLASSIFY, .vocab = 13, .embed = 12, .padding_idx = 0,
     .middle = CONV_BANK, .filters = 8, .out = 4, .k = 72.0 * 126, .optim = rmsprop_centered},
    {.name = "tree-lstm classifier (adam)", .batch = CLASSIFY, .vocab = 13, .embed = 10, .padding_idx = 0,
     .middle = TREE, .tree = {.cell = SEQNN_TREE_LSTM, .hidden = 12}, .out = 4, .k = 72.0 * 165, .optim = adam},
};
#define N_MODELS ((int)(sizeof models / sizeof models[0]))

static double grad_budget(const agree_model *w)
{
    return 2 * BUDGET_C * ceil(log2(w->k + 1)) * EPS_F32;
}

static int fail_msg(const char *plugin, const char *what)
{
    fprintf(stderr, "FAIL %s: %s: %s\n", plugin, what, seqnn_last_error());
    return -1;
}

static seqnn_status add_layers(seqnn_model *m, const agree_model *w)
{
    static const int64_t widths[] = {2, 3, 4};
    seqnn_status s = w->embed ? seqnn_model_add_embedding(m, "embed", w->embed, w->padding_idx) : SEQNN_OK;
    if (!s && w->middle == RECURRENT)
        s = seqnn_model_add_recurrent(m, "rnn", &w->rnn);
    else if (!s && w->middle == ATTENTION)
        s = seqnn_model_add_attention(m, "attn", &w->attn);
    else if (!s && w->middle == TREE)
        s = seqnn_model_add_tree(m, "tree", &w->tree);
    else if (!s)
        s = seqnn_model_add_conv1d_bank(m, "convs", w->filters, 3, widths, SEQNN_ACT_RELU);
    if (!s)
        s = seqnn_model_add_dense(m, "fc", w->out);
    return s ? s : seqnn_model_set_loss(m, w->loss);
}

/* Builds model w on ctx with optimizer o. */
static seqnn_status build(const agree_model *w, const seqnn_optim_desc *o, seqnn_context *ctx, seqnn_model **out)
{
    seqnn_model *m;
    seqnn_status s = seqnn_model_create(&m);
    if (s)
        return s;
    s = w->batch == REGRESS ? seqnn_model_input_features(m, w->vocab) : seqnn_model_input_tokens(m, w->vocab);
    if (!s)
        s = add_layers(m, w);
    if (!s)
        s = seqnn_model_build(m, ctx, 42);
    if (!s)
        s = seqnn_model_set_optimizer(m, o);
    if (s) {
        seqnn_model_destroy(m);
        return s;
    }
    *out = m;
    return SEQNN_OK;
}

/* Host arrays of one batch. */
typedef struct batch_data {
    int32_t tok[T * B], tgt[T * B], len[B], trees[B * 2 * (T - 1)];
    float feat[T * B * 2], val[B];
} batch_data;

/* Deterministic batch of step `step` for model w. */
static void make_batch(const agree_model *w, int step, batch_data *d, seqnn_batch *b)
{
    unsigned x = 12345u + 7919u * (unsigned)step;
    const int32_t v = (int32_t)w->vocab;
#define NEXT() (x = x * 1103515245u + 12345u, (x >> 16) & 0x7fff)
    memset(b, 0, sizeof *b);
    b->seq_len = T;
    b->batch = B;
    if (w->batch == LM) {
        for (int i = 0; i < T * B; i++)
            d->tok[i] = (int32_t)(NEXT() % (unsigned)v);
        for (int i = 0; i < T * B; i++)
            d->tgt[i] = (d->tok[i] * 3 + 1) % v;
        b->tokens = d->tok;
        b->targets = d->tgt;
    } else if (w->batch == CLASSIFY) {
        for (int k = 0; k < B; k++)
            d->len[k] = 4 + (int32_t)(NEXT() % (T - 3));
        for (int i = 0; i < T * B; i++)
            d->tok[i] = i / B < d->len[i % B] ? 1 + (int32_t)(NEXT() % (unsigned)(v - 1)) : 0;
        for (int k = 0; k < B; k++)
            d->tgt[k] = d->tok[k] % 4;
        for (int k = 0; k < B; k++) {    /* odd sequences: left-branching trees; even: balanced (-1) */
            int32_t *row = d->trees + k * 2 * (T - 1);
            row[0] = -1;
            for (int32_t j = 0; k % 2 && j < d->len[k] - 1; j++) {
                row[2 * j] = j ? d->len[k] + j - 1 : 0;
                row[2 * j + 1] = j + 1;
            }
        }
        b->tokens = d->tok;
        b->lengths = d->len;
        b->trees = d->trees;
        b->targets = d->tgt;
    } else {
        for (int k = 0; k < B; k++)
            d->val[k] = 0;
        for (int i = 0; i < T * B; i++) {
            d->feat[2 * i] = (float)(NEXT() % 1000) / 1000.0f;
            d->feat[2 * i + 1] = (i / B == 2 || i / B == 7) ? 1.0f : 0.0f;
            if (d->feat[2 * i + 1] > 0)
                d->val[i % B] += d->feat[2 * i];
        }
        b->features = d->feat;
        b->values = d->val;
    }
#undef NEXT
}

/* Loss curve of model w on the plugin of ctx; -1 on error. */
static int curve(const agree_model *w, const char *plugin, seqnn_context *ctx, double *loss)
{
    seqnn_optim_desc o;
    seqnn_model *m;
    w->optim(&o);
    o.clip_norm = 1.0;
    if (build(w, &o, ctx, &m))
        return fail_msg(plugin, "build");
    for (int step = 0; step < STEPS; step++) {
        batch_data d;
        seqnn_batch b;
        seqnn_step_result r;
        make_batch(w, step, &d, &b);
        if (seqnn_model_train_step(m, &b, &r)) {
            seqnn_model_destroy(m);
            return fail_msg(plugin, "train step");
        }
        loss[step] = r.loss;
    }
    seqnn_model_destroy(m);
    return 0;
}

/* The parameters before (p0) and after (p1) one plain SGD step at GRAD_LR,
 * and that step's loss. */
typedef struct first_step {
    int64_t n;                           /* parameter tensors */
    char name[MAX_PARAMS][64];
    int64_t count[MAX_PARAMS];
    float *p0[MAX_PARAMS], *p1[MAX_PARAMS];
    double loss;
} first_step;

static void first_step_free(first_step *f)
{
    for (int64_t i = 0; i < f->n; i++)
        free(f->p0[i]), free(f->p1[i]);
    f->n = 0;
}

static int read_params(seqnn_model *m, first_step *f, float **dst)
{
    for (int64_t i = 0; i < f->n; i++)
        if (seqnn_model_param_read(m, i, dst[i], f->count[i]))
            return -1;
    return 0;
}

static int run_first_step(const agree_model *w, const char *plugin, seqnn_context *ctx, first_step *f)
{
    seqnn_optim_desc o = seqnn_optim_defaults(SEQNN_OPTIM_SGD);
    seqnn_model *m;
    batch_data d;
    seqnn_batch b;
    seqnn_step_result r;
    o.lr = GRAD_LR;
    memset(f, 0, sizeof *f);
    if (build(w, &o, ctx, &m))
        return fail_msg(plugin, "build");
    int64_t n = seqnn_model_param_count(m);
    int rc = n > MAX_PARAMS ? -1 : 0;
    for (int64_t i = 0; !rc && i < n; i++) {
        seqnn_param_info info;
        rc = seqnn_model_param(m, i, &info) ? -1 : 0;
        if (rc)
            break;
        snprintf(f->name[i], sizeof f->name[i], "%s", info.name);
        f->count[i] = info.count;
        f->p0[i] = malloc(sizeof(float) * (size_t)info.count);
        f->p1[i] = malloc(sizeof(float) * (size_t)info.count);
        f->n = i + 1;
        rc = f->p0[i] && f->p1[i] ? 0 : -1;
    }
    make_batch(w, 0, &d, &b);
    if (!rc)
        rc = read_params(m, f, f->p0);
    if (!rc)
        rc = seqnn_model_train_step(m, &b, &r) ? -1 : 0;
    if (!rc)
        rc = read_params(m, f, f->p1);
    seqnn_model_destroy(m);
    if (rc) {
        first_step_free(f);
        return fail_msg(plugin, n > MAX_PARAMS ? "too many parameter tensors for this test" : "first step");
    }
    f->loss = r.loss;
    return 0;
}

/* Compares plugin's step-1 gradients and loss with ref's; returns the worst
 * ratio of error to budget (> 1: failed, messages on stderr). */
static double compare_first_step(const agree_model *w, const char *plugin, const first_step *f,
                                 const first_step *ref)
{
    const double base = grad_budget(w);
    double worst = fabs(f->loss - ref->loss) / (base * fabs(ref->loss));
    if (worst > 1)
        fprintf(stderr, "FAIL %s: %s: step 1 loss %.9g, ref %.9g (%.2f of the budget)\n", plugin, w->name, f->loss,
                ref->loss, worst);
    for (int64_t i = 0; i < f->n; i++) {
        double gmax = 0, err = 0, recovery = 0;
        int64_t at = 0;
        if (memcmp(f->p0[i], ref->p0[i], sizeof(float) * (size_t)f->count[i])) {
            fprintf(stderr, "FAIL %s: %s: initial %s differs from ref's\n", plugin, w->name, f->name[i]);
            worst = INFINITY;
            continue;
        }
        for (int64_t j = 0; j < f->count[i]; j++) {
            double g_ref = ((double)ref->p0[i][j] - ref->p1[i][j]) / GRAD_LR;
            double g = ((double)f->p0[i][j] - f->p1[i][j]) / GRAD_LR;
            double e = fabs(g - g_ref);
            gmax = fmax(gmax, fabs(g_ref));
            recovery = fmax(recovery, EPS_F32 * (fabs(f->p1[i][j]) + fabs(ref->p1[i][j])) / GRAD_LR);
            if (!(e <= err))             /* NaN counts as the worst */
                err = e, at = j;
        }
        if (gmax == 0)
            gmax = 1;                    /* a tensor without gradient: any difference is absolute */
        double ratio = (err / gmax) / (base + recovery / gmax);
        if (!(ratio <= 1))
            fprintf(stderr,
                    "FAIL %s: %s: step 1 gradient of %s: normwise error %.3g, budget %.3g (element %lld: %.9g, "
                    "ref %.9g)\n",
                    plugin, w->name, f->name[i], err / gmax, base + recovery / gmax, (long long)at,
                    ((double)f->p0[i][at] - f->p1[i][at]) / GRAD_LR,
                    ((double)ref->p0[i][at] - ref->p1[i][at]) / GRAD_LR);
        if (!(ratio <= worst))
            worst = ratio;
    }
    return worst;
}

/* The loss curve against ref's; returns the worst ratio to the budget. */
static double compare_curve(const agree_model *w, const char *plugin, const double *loss, const double *ref)
{
    double worst = 0;
    for (int s = 0; s < STEPS; s++) {
        double ratio = fabs(loss[s] - ref[s]) / (1e-4 + 1e-3 * fabs(ref[s]));
        if (!(ratio <= 1) && !(worst > 1))
            fprintf(stderr, "FAIL %s: %s: step %d loss %.7g, ref %.7g\n", plugin, w->name, s + 1, loss[s], ref[s]);
        if (!(ratio <= worst))
            worst = ratio;
    }
    return worst;
}

/* Both checks of every model on one plugin; returns the failures. */
static int check_plugin(const seqnn_device_record *dev, seqnn_context *ctx, first_step *ref_first,
                        double (*ref_curve)[STEPS])
{
    int failures = 0;
    for (int w = 0; w < N_MODELS; w++) {
        const agree_model *mw = &models[w];
        double loss[STEPS];
        first_step f;
        seqnn_chain_stats s0, s1;
        struct timespec t0, t1;
        if (run_first_step(mw, dev->plugin_name, ctx, &f)) {
            failures++;
            continue;
        }
        seqnn_context_chain_stats(ctx, &s0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (curve(mw, dev->plugin_name, ctx, loss)) {
            first_step_free(&f);
            failures++;
            continue;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        seqnn_context_chain_stats(ctx, &s1);
        double ms = ((double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-6) / STEPS;
        if (s1.devices > 1)
            printf("  %s on %s: %.2f ms per step; copies between devices per step %.1f, %.0f bytes, %.3f ms "
                   "(mean of the %d-step curve, its build's first copies included)\n",
                   mw->name, dev->plugin_name, ms, (double)(s1.copies - s0.copies) / STEPS,
                   (double)(s1.bytes - s0.bytes) / STEPS, (s1.seconds - s0.seconds) * 1e3 / STEPS, STEPS);
        else
            printf("  %s on %s: %.2f ms per step\n", mw->name, dev->plugin_name, ms);
        double g = compare_first_step(mw, dev->plugin_name, &f, &ref_first[w]);
        double c = compare_curve(mw, dev->plugin_name, loss, ref_curve[w]);
        first_step_free(&f);
        int ok = g <= 1 && c <= 1;
        failures += !ok;
        printf("%s %s (%s): %s: step-1 gradients and loss at %.3f of the budget (%.2g), %d-step loss curve "
               "%.5f -> %.5f at %.3f of its budget\n",
               ok ? "ok" : "FAIL", dev->plugin_name, dev->name, mw->name, g, grad_budget(mw), STEPS, loss[0],
               loss[STEPS - 1], c);
    }
    return failures;
}

/* The reference plugin's step-1 parameters and loss curves; returns the failures. */
static int run_ref(first_step *first, double (*loss)[STEPS])
{
    seqnn_context *ctx;
    int failures = 0;
    if (seqnn_context_create("ref", &ctx)) {
        fprintf(stderr, "ref: %s\n", seqnn_last_error());
        return -1;
    }
    for (int w = 0; w < N_MODELS; w++) {
        if (run_first_step(&models[w], "ref", ctx, &first[w]) || curve(&models[w], "ref", ctx, loss[w])) {
            failures++;
            continue;
        }
        if (!(loss[w][STEPS - 1] < loss[w][0]))
            fprintf(stderr, "FAIL ref: %s does not learn (%g -> %g)\n", models[w].name, loss[w][0],
                    loss[w][STEPS - 1]),
                failures++;
    }
    seqnn_context_destroy(ctx);
    return failures;
}

/* Holds each spec's context (a chain, or one device) to the reference. */
static int check_specs(int n, char **specs, first_step *ref_first, double (*ref_curve)[STEPS])
{
    int failures = 0;
    for (int i = 0; i < n; i++) {
        seqnn_context *ctx;
        seqnn_status st = seqnn_context_create(specs[i], &ctx);
        if (st == SEQNN_ERR_NOT_FOUND || st == SEQNN_ERR_UNSUPPORTED) {
            printf("%s cannot run here: %s\n", specs[i], seqnn_last_error());
            return 77;                   /* the caller decides whether that fails */
        }
        if (st != SEQNN_OK) {
            fprintf(stderr, "FAIL %s: %s\n", specs[i], seqnn_last_error());
            failures++;
            continue;
        }
        seqnn_device_record dev;
        seqnn_context_device(ctx, &dev);
        dev.plugin_name = specs[i];
        dev.name = seqnn_context_device_count(ctx) > 1 ? "chain" : dev.name;
        failures += check_plugin(&dev, ctx, ref_first, ref_curve);
        seqnn_context_destroy(ctx);
    }
    return failures;
}

int main(int argc, char **argv)
{
    static first_step ref_first[N_MODELS];
    static double ref_curve[N_MODELS][STEPS];
    seqnn_registry *reg;
    int failures = run_ref(ref_first, ref_curve), compared = 0;
    if (failures < 0)
        return 1;
    if (!failures && argc > 1) {
        failures = check_specs(argc - 1, argv + 1, ref_first, ref_curve);
        for (int w = 0; w < N_MODELS; w++)
            first_step_free(&ref_first[w]);
        return failures == 77 ? 77 : failures ? 1 : 0;
    }
    if (failures || seqnn_registry_open(&reg)) {
        fprintf(stderr, "%s\n", failures ? "FAIL: the reference plugin's runs" : seqnn_last_error());
        for (int w = 0; w < N_MODELS; w++)
            first_step_free(&ref_first[w]);
        return 1;
    }
    for (int64_t i = 0; i < seqnn_registry_device_count(reg); i++) {
        seqnn_device_record dev;
        seqnn_context *ctx;
        seqnn_registry_device(reg, i, &dev);
        if (!strcmp(dev.plugin_name, "ref"))
            continue;
        if (dev.score <= 0) {
            printf("skip %s (%s): %s\n", dev.plugin_name, dev.name, dev.reason);
            continue;
        }
        if (seqnn_context_open(reg, i, &ctx)) {
            fprintf(stderr, "FAIL %s: open: %s\n", dev.plugin_name, seqnn_last_error());
            failures++;
            continue;
        }
        failures += check_plugin(&dev, ctx, ref_first, ref_curve);
        compared += N_MODELS;
        seqnn_context_destroy(ctx);
    }
    seqnn_registry_close(reg);
    for (int w = 0; w < N_MODELS; w++)
        first_step_free(&ref_first[w]);
    if (failures)
        return 1;
    if (!compared) {
        printf("only the reference plugin runs here: nothing to compare\n");
        return 77;
    }
    return 0;
}

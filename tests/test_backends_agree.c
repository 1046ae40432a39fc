/* Same model, every backend: trains small models (a stacked LSTM language
 * model, a bidirectional GRU classifier, an RNN regressor) for a few steps with
 * the same seed on every plugin that can run here, and checks that their loss
 * curves agree with the reference plugin's.
 *
 * Budget: every plugin passes the kernel conformance suite, so one step's loss
 * differs from the reference's by float32 rounding (~1e-6 relative). Training
 * feeds these differences back through the parameters, and the growth over
 * STEPS steps of Adam at lr 1e-2 stays far below 1e-3 relative when kernels are
 * right; a wrong kernel (or a missing one) gives a difference of order 1e-1 at
 * the first step. The budget is |loss - loss_ref| <= 1e-4 + 1e-3 * |loss_ref|
 * at every step. A plugin that cannot run here (score 0) is reported and
 * skipped; finding no plugin other than ref is a skip (exit 77). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "seqnn/model.h"

#define STEPS 25
#define T 12
#define B 6

static int fail_msg(const char *plugin, const char *what)
{
    fprintf(stderr, "FAIL %s: %s: %s\n", plugin, what, seqnn_last_error());
    return -1;
}

/* Builds model `which` on ctx. */
static seqnn_status build(int which, seqnn_context *ctx, seqnn_model **out)
{
    seqnn_model *m;
    seqnn_status s = seqnn_model_create(&m);
    if (s)
        return s;
    if (which == 0) {                    /* LM: embedding, 2-layer LSTM, dense */
        seqnn_recurrent_desc d = {.cell = SEQNN_CELL_LSTM, .hidden = 24, .layers = 2};
        if (!(s = seqnn_model_input_tokens(m, 17)) && !(s = seqnn_model_add_embedding(m, "embed", 10, -1)) &&
            !(s = seqnn_model_add_recurrent(m, "lstm", &d)))
            s = seqnn_model_add_dense(m, "fc", 17);
    } else if (which == 1) {             /* classifier: bidirectional GRU, last state */
        seqnn_recurrent_desc d = {.cell = SEQNN_CELL_GRU, .hidden = 16, .layers = 1, .bidirectional = 1, .last = 1};
        if (!(s = seqnn_model_input_tokens(m, 13)) && !(s = seqnn_model_add_embedding(m, "embed", 8, 0)) &&
            !(s = seqnn_model_add_recurrent(m, "gru", &d)) && !(s = seqnn_model_add_dense(m, "fc", 4)))
            s = SEQNN_OK;
    } else {                             /* regressor: RNN(relu) over features, MSE */
        seqnn_recurrent_desc d = {.cell = SEQNN_CELL_RNN_RELU, .hidden = 20, .layers = 1, .last = 1,
                                  .init = SEQNN_INIT_IDENTITY};
        if (!(s = seqnn_model_input_features(m, 2)) && !(s = seqnn_model_add_recurrent(m, "rnn", &d)) &&
            !(s = seqnn_model_add_dense(m, "fc", 1)))
            s = seqnn_model_set_loss(m, SEQNN_LOSS_MSE);
    }
    if (!s)
        s = seqnn_model_build(m, ctx, 42);
    seqnn_optim_desc o = seqnn_optim_defaults(SEQNN_OPTIM_ADAM);
    o.lr = 0.01;
    o.clip_norm = 1.0;
    if (!s)
        s = seqnn_model_set_optimizer(m, &o);
    if (s) {
        seqnn_model_destroy(m);
        return s;
    }
    *out = m;
    return SEQNN_OK;
}

/* Deterministic batch of step `step` for model `which`. */
static void make_batch(int which, int step, int32_t *tok, int32_t *tgt, int32_t *len, float *feat, float *val,
                       seqnn_batch *b)
{
    unsigned x = 12345u + 7919u * (unsigned)step;
#define NEXT() (x = x * 1103515245u + 12345u, (x >> 16) & 0x7fff)
    memset(b, 0, sizeof *b);
    b->seq_len = T;
    b->batch = B;
    if (which == 0) {
        for (int i = 0; i < T * B; i++)
            tok[i] = (int32_t)(NEXT() % 17);
        for (int i = 0; i < T * B; i++)
            tgt[i] = (tok[i] * 3 + 1) % 17;
        b->tokens = tok;
        b->targets = tgt;
    } else if (which == 1) {
        for (int k = 0; k < B; k++)
            len[k] = 3 + (int32_t)(NEXT() % (T - 2));
        for (int i = 0; i < T * B; i++)
            tok[i] = i / B < len[i % B] ? 1 + (int32_t)(NEXT() % 12) : 0;
        for (int k = 0; k < B; k++)
            tgt[k] = tok[k] % 4;
        b->tokens = tok;
        b->lengths = len;
        b->targets = tgt;
    } else {
        for (int k = 0; k < B; k++)
            val[k] = 0;
        for (int i = 0; i < T * B; i++) {
            feat[2 * i] = (float)(NEXT() % 1000) / 1000.0f;
            feat[2 * i + 1] = (i / B == 2 || i / B == 7) ? 1.0f : 0.0f;
            if (feat[2 * i + 1] > 0)
                val[i % B] += feat[2 * i];
        }
        b->features = feat;
        b->values = val;
    }
#undef NEXT
}

/* Loss curve of model `which` on the plugin of ctx; -1 on error. */
static int curve(int which, const char *plugin, seqnn_context *ctx, double *loss)
{
    seqnn_model *m;
    if (build(which, ctx, &m))
        return fail_msg(plugin, "build");
    int32_t tok[T * B], tgt[T * B], len[B];
    float feat[T * B * 2], val[B];
    for (int step = 0; step < STEPS; step++) {
        seqnn_batch b;
        seqnn_step_result r;
        make_batch(which, step, tok, tgt, len, feat, val, &b);
        if (seqnn_model_train_step(m, &b, &r)) {
            seqnn_model_destroy(m);
            return fail_msg(plugin, "train step");
        }
        loss[step] = r.loss;
    }
    seqnn_model_destroy(m);
    return 0;
}

int main(void)
{
    static const char *models[] = {"lstm language model", "bidirectional gru classifier", "rnn regressor"};
    seqnn_registry *reg;
    if (seqnn_registry_open(&reg)) {
        fprintf(stderr, "registry: %s\n", seqnn_last_error());
        return 1;
    }
    double ref[3][STEPS];
    seqnn_context *rctx;
    if (seqnn_context_create("ref", &rctx)) {
        fprintf(stderr, "ref: %s\n", seqnn_last_error());
        return 1;
    }
    int failures = 0, compared = 0;
    for (int w = 0; w < 3; w++)
        if (curve(w, "ref", rctx, ref[w]))
            failures++;
    seqnn_context_destroy(rctx);
    for (int w = 0; w < 3; w++)
        if (!(ref[w][STEPS - 1] < ref[w][0]))
            fprintf(stderr, "FAIL ref: %s does not learn (%g -> %g)\n", models[w], ref[w][0], ref[w][STEPS - 1]),
                failures++;
    for (int64_t i = 0; i < seqnn_registry_device_count(reg); i++) {
        seqnn_device_record dev;
        seqnn_registry_device(reg, i, &dev);
        if (!strcmp(dev.plugin_name, "ref"))
            continue;
        if (dev.score <= 0) {
            printf("skip %s (%s): %s\n", dev.plugin_name, dev.name, dev.reason);
            continue;
        }
        seqnn_context *ctx;
        if (seqnn_context_open(reg, i, &ctx)) {
            fprintf(stderr, "FAIL %s: open: %s\n", dev.plugin_name, seqnn_last_error());
            failures++;
            continue;
        }
        for (int w = 0; w < 3; w++) {
            double loss[STEPS], worst = 0;
            if (curve(w, dev.plugin_name, ctx, loss)) {
                failures++;
                continue;
            }
            int ok = 1;
            for (int s = 0; s < STEPS; s++) {
                double diff = fabs(loss[s] - ref[w][s]), budget = 1e-4 + 1e-3 * fabs(ref[w][s]);
                if (diff / budget > worst)
                    worst = diff / budget;
                if (!(diff <= budget)) {
                    if (ok)
                        fprintf(stderr, "FAIL %s (%s): %s: step %d loss %.7g, ref %.7g\n", dev.plugin_name,
                                dev.name, models[w], s + 1, loss[s], ref[w][s]);
                    ok = 0;
                }
            }
            failures += !ok;
            compared++;
            printf("%s %s (%s): %s, %d steps, loss %.5f -> %.5f, worst difference %.3f of the budget\n",
                   ok ? "ok" : "FAIL", dev.plugin_name, dev.name, models[w], STEPS, loss[0], loss[STEPS - 1],
                   worst);
        }
        seqnn_context_destroy(ctx);
    }
    seqnn_registry_close(reg);
    if (failures)
        return 1;
    if (!compared) {
        printf("only the reference plugin runs here: nothing to compare\n");
        return 77;
    }
    return 0;
}

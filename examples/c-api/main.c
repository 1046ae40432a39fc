/* A complete program on seqnn's C API: a sequence classifier described with
 * the model API, built on the best device (or SEQNN_BACKEND's), trained on a
 * made-up task, evaluated, saved as a checkpoint, loaded into a second model
 * and checked to predict the same.
 *
 * The task: a sequence of 5 to 12 tokens drawn from 8 symbols is of class 1
 * when it holds the symbol 7, else of class 0 (about half of each). An
 * embedding, an LSTM read to the end of each sequence (variable lengths) and
 * a dense layer over the 2 classes.
 *
 * usage: c-api-example [CHECKPOINT]   (default: c-api-example.safetensors)
 * Exit status 0 when the held-out accuracy reaches 90% and the reloaded model
 * predicts exactly what the trained one did; 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "seqnn/model.h"
#include "seqnn/seqnn.h"

enum { SYMBOLS = 8, TMAX = 12, BATCH = 32, STEPS = 300 };

/* A batch of the task, time-major: tokens[T * BATCH], lengths[BATCH],
 * labels[BATCH]; rng is the generator's state. */
typedef struct task_batch {
    int32_t tokens[TMAX * BATCH], lengths[BATCH], labels[BATCH];
    seqnn_batch b;
} task_batch;

static uint32_t next_random(uint64_t *rng)
{
    *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*rng >> 33);
}

static void make_batch(task_batch *t, uint64_t *rng)
{
    memset(t->tokens, 0, sizeof t->tokens);      /* padding past each length (id 0, never read) */
    for (int k = 0; k < BATCH; k++) {
        int len = 5 + (int)(next_random(rng) % (TMAX - 4)), has = 0;
        int want = (int)(next_random(rng) % 2);  /* balance the classes */
        for (int s = 0; s < len; s++) {
            int32_t tok = 1 + (int32_t)(next_random(rng) % (SYMBOLS - 2));   /* 1..6 */
            t->tokens[s * BATCH + k] = tok;
        }
        if (want) {
            t->tokens[(int)(next_random(rng) % (uint32_t)len) * BATCH + k] = 7;
            has = 1;
        }
        t->lengths[k] = len;
        t->labels[k] = has;
    }
    t->b = (seqnn_batch){.seq_len = TMAX, .batch = BATCH, .tokens = t->tokens, .lengths = t->lengths,
                         .targets = t->labels};
}

/* The model: described, built on ctx with seed. NULL after printing why. */
static seqnn_model *make_model(seqnn_context *ctx)
{
    seqnn_model *m = NULL;
    seqnn_recurrent_desc lstm = {.cell = SEQNN_CELL_LSTM, .hidden = 32, .layers = 1, .last = 1};
    if (seqnn_model_create(&m) != SEQNN_OK || seqnn_model_input_tokens(m, SYMBOLS) != SEQNN_OK ||
        seqnn_model_add_embedding(m, NULL, 16, 0) != SEQNN_OK ||
        seqnn_model_add_recurrent(m, NULL, &lstm) != SEQNN_OK || seqnn_model_add_dense(m, NULL, 2) != SEQNN_OK ||
        seqnn_model_build(m, ctx, 1) != SEQNN_OK) {
        fprintf(stderr, "model: %s\n", seqnn_last_error());
        seqnn_model_destroy(m);
        return NULL;
    }
    seqnn_optim_desc adam = seqnn_optim_defaults(SEQNN_OPTIM_ADAM);
    adam.lr = 0.01;
    if (seqnn_model_set_optimizer(m, &adam) != SEQNN_OK) {
        fprintf(stderr, "optimizer: %s\n", seqnn_last_error());
        seqnn_model_destroy(m);
        return NULL;
    }
    return m;
}

/* Accuracy on 20 held-out batches (their own random stream). */
static double held_out_accuracy(seqnn_model *m, double *loss)
{
    uint64_t rng = 12345;
    int64_t correct = 0, count = 0;
    double sum = 0;
    task_batch t;
    for (int i = 0; i < 20; i++) {
        make_batch(&t, &rng);
        seqnn_step_result r;
        if (seqnn_model_evaluate(m, &t.b, &r) != SEQNN_OK) {
            fprintf(stderr, "evaluate: %s\n", seqnn_last_error());
            return -1;
        }
        correct += r.correct;
        count += r.count;
        sum += r.loss * (double)r.count;
    }
    *loss = sum / (double)count;
    return (double)correct / (double)count;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "c-api-example.safetensors";
    seqnn_context *ctx = NULL;
    if (seqnn_context_create(NULL, &ctx) != SEQNN_OK) {   /* NULL: SEQNN_BACKEND, else the best device */
        fprintf(stderr, "context: %s\n", seqnn_last_error());
        return 1;
    }
    seqnn_device_record dev;
    seqnn_context_device(ctx, &dev);
    printf("device: %s (%s)\n", dev.name, dev.plugin_name);
    seqnn_model *m = make_model(ctx), *again = NULL;
    int ok = m != NULL;
    char summary[2048];
    if (ok && seqnn_model_summary(m, summary, sizeof summary) == SEQNN_OK)
        fputs(summary, stdout);
    double loss = 0, acc = ok ? held_out_accuracy(m, &loss) : -1;
    if (ok)
        printf("before training: held-out loss %.4f, accuracy %.1f%%\n", loss, 100 * acc);
    uint64_t rng = 1;
    task_batch t;
    for (int step = 1; ok && step <= STEPS; step++) {
        make_batch(&t, &rng);
        seqnn_step_result r;
        ok = seqnn_model_train_step(m, &t.b, &r) == SEQNN_OK;
        if (!ok)
            fprintf(stderr, "train step %d: %s\n", step, seqnn_last_error());
        else if (step % 100 == 0)
            printf("step %d: loss %.4f\n", step, r.loss);
    }
    acc = ok ? held_out_accuracy(m, &loss) : -1;
    ok = ok && acc >= 0;
    if (ok)
        printf("after %d steps: held-out loss %.4f, accuracy %.1f%%%s\n", STEPS, loss, 100 * acc,
               acc >= 0.9 ? "" : " (below 90%)");
    ok = ok && acc >= 0.9;
    /* the checkpoint (PyTorch state_dict names, safetensors), into a fresh model */
    if (ok && seqnn_model_save(m, path, 0, NULL) != SEQNN_OK) {
        fprintf(stderr, "save: %s\n", seqnn_last_error());
        ok = 0;
    }
    if (ok && (!(again = make_model(ctx)) || seqnn_model_load(again, path) != SEQNN_OK)) {
        fprintf(stderr, "load: %s\n", seqnn_last_error());
        ok = 0;
    }
    if (ok) {
        static float a[BATCH * 2], b[BATCH * 2];
        uint64_t r2 = 99;
        make_batch(&t, &r2);
        ok = seqnn_model_predict(m, &t.b, a, BATCH * 2) == SEQNN_OK &&
             seqnn_model_predict(again, &t.b, b, BATCH * 2) == SEQNN_OK && !memcmp(a, b, sizeof a);
        printf("saved to %s and loaded again: %s\n", path, ok ? "the same predictions" : "DIFFERENT predictions");
    }
    seqnn_model_destroy(again);
    seqnn_model_destroy(m);
    seqnn_context_destroy(ctx);
    return ok ? 0 : 1;
}

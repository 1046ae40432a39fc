/* Placement plans (docs/backends.md, "Placement plans"): for the main job's
 * model (examples/charlm/model.seqnn, stateful as `seqnn train` runs it), a
 * causal self-attention model and a Kim CNN with lengths, on each chain
 * given, the plan made at build
 * - places every call, the partial plugin's kernels (gemm, the recurrent
 *   layers) on it and the rest behind it, or everything on a first device
 *   that has every kernel (then no byte moves);
 * - predicts exactly the copies, bytes and calls per device that the chain
 *   then measures (seqnn_context_chain_stats) over a real first training
 *   step, a later one and an inference forward of the same shape;
 * and a chain missing a kernel the model needs fails at build, naming the
 * layer, the kernel and each device's answer.
 * usage: test_chain_plan CHARLM_MODEL [--missing OLDMINOR_PLUGIN] CHAIN... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "seqnn/model.h"
#include "seqnn/modelfile.h"
#include "seqnn/seqnn.h"

static int failures;
#define EXPECT(cond, ...)                                                      \
    do {                                                                       \
        if (!(cond)) {                                                         \
            failures++;                                                        \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                       \
            printf(__VA_ARGS__);                                               \
            printf("\n");                                                      \
        }                                                                      \
    } while (0)

typedef struct plan_case {
    const char *name, *text;             /* text NULL: the charlm file */
    int lengths, stateful;
    int64_t out;                         /* classes (1: the vocabulary, a language model) */
} plan_case;

enum { VOCAB = 29, BATCH = 4, STEPS = 12 };

static const plan_case cases[] = {
    {"charlm", NULL, 0, 1, 1},
    {"attention", "seqnn 1\ninput tokens vocab=$vocab\nembedding dim=16\nattention heads=2 causal=1\n"
                  "dense out=$vocab\noptimizer rmsprop lr=0.003 clip=1\n", 0, 0, 1},
    {"conv", "seqnn 1\ninput tokens vocab=$vocab\nembedding dim=12 padding=0\n"
             "conv1d_bank filters=8 widths=2,3 act=relu\ndense out=$classes\noptimizer adam lr=0.001 clip=1\n",
     1, 0, 5},
};

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *s = calloc(1, 1 << 16);
    size_t n = s ? fread(s, 1, (1 << 16) - 1, f) : 0;
    fclose(f);
    if (s)
        s[n] = '\0';
    return s;
}

static seqnn_model *make_model(const plan_case *c, const char *charlm, seqnn_context *ctx, seqnn_status *st)
{
    seqnn_modelfile_var vars[] = {{"vocab", VOCAB}, {"classes", c->out}};
    char *text = c->text ? NULL : read_text(charlm);
    const char *t = c->text ? c->text : text;
    seqnn_model *m = NULL;
    *st = t ? seqnn_modelfile_parse(t, strlen(t), c->name, vars, 2, &m, NULL) : SEQNN_ERR_IO;
    free(text);
    if (*st != SEQNN_OK)
        return NULL;
    seqnn_plan_shape shape = {BATCH, STEPS, 0, c->lengths};
    seqnn_model_set_plan_shape(m, &shape);
    if ((*st = seqnn_model_build(m, ctx, 1)) == SEQNN_OK && c->stateful)
        *st = seqnn_model_set_stateful(m, 1);
    if (*st != SEQNN_OK) {
        seqnn_model_destroy(m);
        return NULL;
    }
    return m;
}

/* The measured traffic of one call of step() against what the plan said. */
static void compare(const char *what, const seqnn_chain_stats *before, const seqnn_chain_stats *after,
                    const seqnn_plan_traffic *planned, int devices)
{
    long long copies = after->copies - before->copies, bytes = after->bytes - before->bytes;
    printf("  %s: measured %lld copies, %lld bytes; planned %lld copies, %lld bytes\n", what, copies, bytes,
           (long long)planned->copies, (long long)planned->bytes);
    EXPECT(copies == planned->copies && bytes == planned->bytes, "%s: the plan's copies differ from the chain's",
           what);
    for (int d = 0; d < devices && devices > 1; d++)
        EXPECT(after->calls[d] - before->calls[d] == planned->calls[d], "%s: device %d ran %lld calls, planned %lld",
               what, d, (long long)(after->calls[d] - before->calls[d]), (long long)planned->calls[d]);
}

/* Every call placed; the partial plugin's kernels on it when it leads. */
static void check_rows(const plan_case *c, const char *spec, const seqnn_plan *plan)
{
    const char *p = strstr(spec, "partial");   /* testpartial or the example partial plugin */
    int partial_first = p && p < strchr(spec, ',');
    int64_t on_first = 0;
    EXPECT(plan->unplaced == 0, "%s on %s: %lld calls unplaced", c->name, spec, (long long)plan->unplaced);
    for (int64_t i = 0; i < plan->n_rows; i++) {
        const seqnn_plan_call *r = &plan->rows[i];
        const char *k = seqnn_kernel_name(r->kernel);
        on_first += r->device == 0;
        if (!partial_first)
            EXPECT(r->device == 0, "%s on %s: %s runs on device %d, not the first", c->name, spec, k, r->device);
        else if (!strcmp(k, "rnn_forward") || !strcmp(k, "rnn_backward"))
            EXPECT(r->device == 0, "%s on %s: %s not on the partial plugin", c->name, spec, k);
        else if (strcmp(k, "gemm"))
            EXPECT(r->device == 1, "%s on %s: %s on device %d, which lacks it", c->name, spec, k, r->device);
    }
    EXPECT(on_first > 0, "%s on %s: nothing runs on the first device", c->name, spec);
    EXPECT(partial_first ? plan->step.bytes > 0 : plan->step.bytes == 0,
           "%s on %s: %lld bytes copied per step", c->name, spec, (long long)plan->step.bytes);
}

static void check_case(const plan_case *c, const char *charlm, const char *spec)
{
    printf("%s on %s\n", c->name, spec);
    seqnn_context *ctx;
    seqnn_status st = seqnn_context_create(spec, &ctx);
    EXPECT(st == SEQNN_OK, "context %s: %s", spec, seqnn_last_error());
    if (st != SEQNN_OK)
        return;
    seqnn_model *m = make_model(c, charlm, ctx, &st);
    EXPECT(m, "%s: build: %s", c->name, seqnn_last_error());
    seqnn_plan *plan = NULL;
    if (m && seqnn_model_plan(m, NULL, &plan) != SEQNN_OK)
        EXPECT(0, "%s: plan: %s", c->name, seqnn_last_error());
    int devices = seqnn_context_device_count(ctx);
    if (plan) {
        check_rows(c, spec, plan);
        int32_t tokens[BATCH * STEPS], targets[BATCH * STEPS], lengths[BATCH] = {STEPS, STEPS - 2, 5, STEPS};
        for (int i = 0; i < BATCH * STEPS; i++) {
            tokens[i] = 1 + (i * 7) % (VOCAB - 1);
            targets[i] = (i * 5) % (c->out > 1 ? (int)c->out : VOCAB);
        }
        seqnn_batch b = {.seq_len = STEPS, .batch = BATCH, .tokens = tokens, .targets = targets,
                         .lengths = c->lengths ? lengths : NULL};
        seqnn_chain_stats s[5];
        float *out = malloc(sizeof(float) * BATCH * STEPS * VOCAB);
        int64_t n_out = (c->out > 1 ? c->out : VOCAB) * BATCH * (c->out > 1 ? 1 : STEPS);
        seqnn_context_chain_stats(ctx, &s[0]);
        st = seqnn_model_train_step(m, &b, NULL);
        seqnn_context_chain_stats(ctx, &s[1]);
        if (st == SEQNN_OK)
            st = seqnn_model_train_step(m, &b, NULL);
        seqnn_context_chain_stats(ctx, &s[2]);
        if (st == SEQNN_OK)
            st = seqnn_model_predict(m, &b, out, n_out);
        seqnn_context_chain_stats(ctx, &s[3]);
        if (st == SEQNN_OK)
            st = seqnn_model_predict(m, &b, out, n_out);
        seqnn_context_chain_stats(ctx, &s[4]);
        EXPECT(st == SEQNN_OK, "%s: running: %s", c->name, seqnn_last_error());
        if (st == SEQNN_OK) {
            compare("first training step", &s[0], &s[1], &plan->first_step, devices);
            compare("later training step", &s[1], &s[2], &plan->step, devices);
            compare("inference forward", &s[3], &s[4], &plan->inference, devices);
        }
        free(out);
    }
    seqnn_plan_free(plan);
    seqnn_model_destroy(m);
    seqnn_context_destroy(ctx);
}

/* A chain where no device has maxpool_lengths_forward (an ABI 1.0 plugin
 * behind the partial one): the conv model fails at build, naming it all. */
static void missing(const char *partial_spec_end, const char *old)
{
    char spec[4096];
    snprintf(spec, sizeof spec, "%s,%s", partial_spec_end, old);
    seqnn_context *ctx;
    seqnn_status st = seqnn_context_create(spec, &ctx);
    EXPECT(st == SEQNN_OK, "context %s: %s", spec, seqnn_last_error());
    if (st != SEQNN_OK)
        return;
    seqnn_model *m = make_model(&cases[2], NULL, ctx, &st);
    const char *e = seqnn_last_error();
    printf("a chain missing a kernel: %s\n", e);
    EXPECT(!m && st == SEQNN_ERR_UNSUPPORTED, "the conv model built on %s", spec);
    const char *needles[] = {"layer 2 (conv1d_bank 'convs'), forward", "maxpool_lengths_forward",
                             "'testpartial' does not implement it", "'oldminor' does not implement it"};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
        EXPECT(strstr(e, needles[i]), "the build error lacks \"%s\"", needles[i]);
    seqnn_model_destroy(m);
    seqnn_context_destroy(ctx);
}

/* Plans of what cannot be planned, and shapes that are no shape: clear errors. */
static void bad_input(void)
{
    seqnn_model *m = NULL;
    seqnn_plan *plan = (seqnn_plan *)&plan;
    seqnn_plan_shape zero = {0, 8, 0, 0}, two = {2, 8, 0, 2};
    EXPECT(seqnn_model_plan(NULL, NULL, &plan) == SEQNN_ERR_INVALID_ARG && plan == (seqnn_plan *)&plan,
           "a plan of no model");
    seqnn_modelfile_var vocab = {"vocab", 5};
    seqnn_status st = seqnn_modelfile_parse(cases[1].text, strlen(cases[1].text), "bad", &vocab, 1, &m, NULL);
    EXPECT(st == SEQNN_OK, "parse: %s", seqnn_last_error());
    EXPECT(seqnn_model_plan(m, NULL, &plan) == SEQNN_ERR_INVALID_ARG && strstr(seqnn_last_error(), "not built"),
           "a plan of a model not built: %s", seqnn_last_error());
    EXPECT(seqnn_model_set_plan_shape(m, &zero) == SEQNN_ERR_INVALID_ARG && strstr(seqnn_last_error(), "batch"),
           "a plan shape of batch 0: %s", seqnn_last_error());
    EXPECT(seqnn_model_set_plan_shape(m, &two) == SEQNN_ERR_INVALID_ARG, "lengths = 2 accepted");
    EXPECT(seqnn_model_set_plan_shape(m, NULL) == SEQNN_OK, "the default shape refused");
    seqnn_model_destroy(m);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: test_chain_plan CHARLM_MODEL [--missing PARTIAL OLDMINOR] CHAIN...\n");
        return 2;
    }
    int i = 2;
    bad_input();
    if (!strcmp(argv[i], "--missing") && argc > i + 2) {
        missing(argv[i + 1], argv[i + 2]);
        i += 3;
    }
    for (; i < argc; i++)
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
            check_case(&cases[k], argv[1], argv[i]);
    printf("%s\n", failures ? "FAILED" : "all plans matched");
    return failures ? 1 : 0;
}

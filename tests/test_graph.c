/* Model graphs through the public API (include/seqnn/model.h) on the
 * reference plugin: a stack described with explicit predecessors, or with a
 * forward reference, is the same model as the plain stack (same parameters,
 * same training); a model of two inputs trains, evaluates and predicts with
 * per-input batches; every misuse gets a clear error and leaves the model as
 * it was (a failed build can be repaired and built again). The gradients of
 * graphs are checked in test_model_grad.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "seqnn/model.h"

static seqnn_context *ctx;
static int failures;

#define EXPECT(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } else { printf("ok   "); printf(__VA_ARGS__); printf("\n"); } } while (0)

/* status s is want and the message contains needle */
static void expect_error(seqnn_status s, seqnn_status want, const char *needle, const char *what)
{
    const char *msg = s == SEQNN_OK ? "" : seqnn_last_error();
    EXPECT(s == want && strstr(msg, needle), "%s -> %s \"%s\"", what, seqnn_status_name(s), msg);
}

/* ------------------------------------------------ a stack is a graph --- */
enum { V = 9, T = 5, B = 3, C = 4 };

static void stack_plain(seqnn_model *m)
{
    seqnn_model_input_tokens(m, V);
    seqnn_model_add_embedding(m, "e", 6, 0);
    seqnn_model_add_lstm(m, "l", 7, 1, 0, 0);
    seqnn_model_add_dense(m, "fc", C);
}

static void stack_named(seqnn_model *m)
{
    seqnn_model_input_tokens(m, V);
    seqnn_model_add_embedding(m, "e", 6, 0);
    seqnn_model_set_from(m, NULL, "input");
    seqnn_model_add_lstm(m, "l", 7, 1, 0, 0);
    seqnn_model_set_from(m, "l", "e");
    seqnn_model_add_dense(m, "fc", C);
    seqnn_model_set_from(m, NULL, "l");
}

/* l is added before the embedding it reads */
static void stack_forward(seqnn_model *m)
{
    seqnn_model_input_tokens(m, V);
    seqnn_model_add_lstm(m, "l", 7, 1, 0, 0);
    seqnn_model_set_from(m, NULL, "e");
    seqnn_model_add_embedding(m, "e", 6, 0);
    seqnn_model_set_from(m, NULL, "input");
    seqnn_model_add_dense(m, "fc", C);
    seqnn_model_set_from(m, NULL, "l");
}

static seqnn_model *make(void (*describe)(seqnn_model *))
{
    seqnn_model *m = NULL;
    if (seqnn_model_create(&m) != SEQNN_OK)
        return NULL;
    describe(m);
    seqnn_status s = seqnn_model_build(m, ctx, 42);
    EXPECT(s == SEQNN_OK, "build (%s)", s == SEQNN_OK ? "" : seqnn_last_error());
    if (s != SEQNN_OK) {
        seqnn_model_destroy(m);
        return NULL;
    }
    return m;
}

/* Parameters (names, values) and three training steps' losses, bit for bit. */
static void same_model(seqnn_model *a, seqnn_model *b, const char *what)
{
    int same = seqnn_model_param_count(a) == seqnn_model_param_count(b);
    for (int64_t i = 0; same && i < seqnn_model_param_count(a); i++) {
        seqnn_param_info pa, pb;
        seqnn_model_param(a, i, &pa);
        seqnn_model_param(b, i, &pb);
        same = !strcmp(pa.name, pb.name) && pa.count == pb.count;
        float *x = malloc((size_t)pa.count * sizeof *x), *y = malloc((size_t)pa.count * sizeof *y);
        same = same && x && y && seqnn_model_param_read(a, i, x, pa.count) == SEQNN_OK &&
               seqnn_model_param_read(b, i, y, pb.count) == SEQNN_OK && !memcmp(x, y, (size_t)pa.count * sizeof *x);
        free(x);
        free(y);
    }
    EXPECT(same, "%s: the same parameters (names, order, values)", what);
    int32_t tok[T * B], tgt[T * B], len[B] = {T, 2, 4};
    for (int i = 0; i < T * B; i++) {
        tok[i] = 1 + (i * 7) % (V - 1);
        tgt[i] = (i * 3) % C;
    }
    seqnn_batch bt = {.seq_len = T, .batch = B, .tokens = tok, .lengths = len, .targets = tgt};
    for (int k = 0; k < 3; k++) {
        seqnn_step_result ra, rb;
        seqnn_status sa = seqnn_model_train_step(a, &bt, &ra), sb = seqnn_model_train_step(b, &bt, &rb);
        EXPECT(sa == SEQNN_OK && sb == SEQNN_OK && ra.loss == rb.loss && ra.grad_norm == rb.grad_norm,
               "%s: training step %d: loss %.9g and %.9g", what, k + 1, ra.loss, rb.loss);
    }
}

static void test_stacks(void)
{
    seqnn_model *plain = make(stack_plain), *named = make(stack_named), *fwd = make(stack_forward);
    if (plain && named)
        same_model(plain, named, "a stack with every predecessor named");
    seqnn_model_destroy(plain);
    plain = make(stack_plain);
    if (plain && fwd)
        same_model(plain, fwd, "a stack with a forward reference");
    char sum[2048];
    if (fwd && seqnn_model_summary(fwd, sum, sizeof sum) == SEQNN_OK)
        EXPECT(strstr(sum, "params <- e\n") != NULL, "the summary shows a named predecessor:\n%s", sum);
    if (plain && seqnn_model_summary(plain, sum, sizeof sum) == SEQNN_OK)
        EXPECT(strstr(sum, "<-") == NULL && strstr(sum, " input ") == NULL,
               "a stack's summary is as before graphs (no predecessors, no input lines)");
    seqnn_model_destroy(plain);
    seqnn_model_destroy(named);
    seqnn_model_destroy(fwd);
}

/* ------------------------------------------------------- two inputs --- */
static void describe_two(seqnn_model *m)
{
    seqnn_model_add_input_tokens(m, "words", V);
    seqnn_model_add_embedding(m, "e", 5, 0);
    seqnn_recurrent_desc d = {.cell = SEQNN_CELL_LSTM, .hidden = 6, .layers = 1, .last = 1};
    seqnn_model_add_recurrent(m, "wl", &d);
    seqnn_model_add_input_features(m, "frames", 3);
    d.cell = SEQNN_CELL_GRU;
    seqnn_model_add_recurrent(m, "fl", &d);
    seqnn_model_add_merge(m, "cat", SEQNN_MERGE_CONCAT, "wl,fl");
    seqnn_model_add_dense(m, "out", C);
}

static void test_two_inputs(void)
{
    seqnn_model *m = make(describe_two);
    if (!m)
        return;
    seqnn_input_info in;
    EXPECT(seqnn_model_input_count(m) == 2 && seqnn_model_input_info(m, 1, &in) == SEQNN_OK &&
           !strcmp(in.name, "frames") && !in.tokens && in.n == 3, "input count and info");
    expect_error(seqnn_model_input_info(m, 2, &in), SEQNN_ERR_INVALID_ARG, "no input 2", "input_info out of range");
    int32_t tok[4 * B], len0[B] = {4, 1, 3}, len1[B] = {2, 6, 6}, tgt[B] = {0, 3, 1};
    float feat[6 * B * 3];
    for (int i = 0; i < 4 * B; i++)
        tok[i] = 1 + i % (V - 1);
    for (int i = 0; i < 6 * B * 3; i++)
        feat[i] = (float)sin(i);
    seqnn_batch_input ins[2] = {{4, tok, NULL, len0}, {6, NULL, feat, len1}};
    seqnn_batch b = {.batch = B, .targets = tgt, .n_inputs = 2, .inputs = ins};
    seqnn_step_result r;
    EXPECT(seqnn_model_train_step(m, &b, &r) == SEQNN_OK && isfinite(r.loss), "train step on two inputs (%s)",
           seqnn_last_error());
    EXPECT(seqnn_model_evaluate(m, &b, &r) == SEQNN_OK && r.count == B, "evaluate counts %lld targets",
           (long long)r.count);
    seqnn_step_result r_eval = r;
    float out[B * C];
    EXPECT(seqnn_model_predict(m, &b, out, B * C) == SEQNN_OK, "predict [B, %d]", C);

    /* what a batch of two inputs must be */
    seqnn_batch bad = b;
    bad.n_inputs = 0;
    bad.inputs = NULL;
    bad.seq_len = 4;
    bad.tokens = tok;
    expect_error(seqnn_model_train_step(m, &bad, &r), SEQNN_ERR_INVALID_ARG, "give their data in batch.inputs",
                 "a single-input batch for two inputs");
    bad = b;
    bad.n_inputs = 1;
    expect_error(seqnn_model_train_step(m, &bad, &r), SEQNN_ERR_INVALID_ARG, "n_inputs is 1", "n_inputs 1 of 2");
    bad = b;
    bad.tokens = tok;
    expect_error(seqnn_model_train_step(m, &bad, &r), SEQNN_ERR_INVALID_ARG, "not both", "inputs and tokens both");
    seqnn_batch_input bins[2] = {ins[0], ins[1]};
    bad = b;
    bad.inputs = bins;
    bins[1].features = NULL;
    expect_error(seqnn_model_train_step(m, &bad, &r), SEQNN_ERR_INVALID_ARG,
                 "input 'frames': the model reads features and features is NULL", "missing features");
    bins[1] = ins[1];
    bins[0].seq_len = 3;                 /* len0 has a 4 */
    expect_error(seqnn_model_train_step(m, &bad, &r), SEQNN_ERR_INVALID_ARG, "input 'words': lengths[0] = 4",
                 "a length past its input's steps");
    int32_t big[4 * B];
    memcpy(big, tok, sizeof big);
    big[5] = V;
    bins[0] = ins[0];
    bins[0].tokens = big;
    expect_error(seqnn_model_train_step(m, &bad, &r), SEQNN_ERR_INVALID_ARG, "input 'words': tokens[5]",
                 "a token outside its input's vocabulary");
    int32_t none[1];
    EXPECT(seqnn_model_generate(m, none, 1, 1, 0, 1, none) == SEQNN_ERR_INVALID_ARG,
           "generate refuses a model of two inputs");
    /* the failed batches changed nothing: the same loss as before */
    seqnn_step_result r2;
    EXPECT(seqnn_model_evaluate(m, &b, &r2) == SEQNN_OK && r2.loss == r_eval.loss,
           "after the refused batches, the same loss (%.9g, %.9g)", r_eval.loss, r2.loss);
    seqnn_model_destroy(m);
}

/* ------------------------------------------------------ bad graphs --- */
static void test_bad_graphs(void)
{
    seqnn_model *m = NULL;
    seqnn_model_create(&m);
    expect_error(seqnn_model_set_from(m, NULL, "x"), SEQNN_ERR_NOT_FOUND, "none added yet", "set_from before any layer");
    seqnn_model_add_input_tokens(m, "q", V);
    expect_error(seqnn_model_add_input_features(m, "q", 3), SEQNN_ERR_INVALID_ARG, "used twice", "an input name twice");
    expect_error(seqnn_model_add_input_features(m, "bad name", 3), SEQNN_ERR_INVALID_ARG, "invalid input name",
                 "a bad input name");
    seqnn_model_add_embedding(m, "e", 4, -1);
    seqnn_model_add_dense(m, "a", 4);
    expect_error(seqnn_model_set_from(m, "a", "e,q"), SEQNN_ERR_INVALID_ARG, "reads at most 1 node",
                 "two predecessors for a dense");
    expect_error(seqnn_model_set_from(m, "nope", "e"), SEQNN_ERR_NOT_FOUND, "no layer named 'nope'",
                 "set_from of an unknown layer");
    expect_error(seqnn_model_add_merge(m, "m1", SEQNN_MERGE_ADD, "a"), SEQNN_ERR_INVALID_ARG, "at least 2 nodes",
                 "a merge of one node");
    expect_error(seqnn_model_add_merge(m, "m2", SEQNN_MERGE_COUNT, "a,e"), SEQNN_ERR_INVALID_ARG, "unknown kind",
                 "a merge of an unknown kind");
    seqnn_model_add_dense(m, "b", 4);
    expect_error(seqnn_model_set_from(m, NULL, "a,"), SEQNN_ERR_INVALID_ARG, "empty or overlong name",
                 "an empty name in from");
    seqnn_model_set_from(m, NULL, "zz");
    seqnn_model_add_merge(m, "sum", SEQNN_MERGE_ADD, "a,b");
    seqnn_model_add_dense(m, "out", C);
    expect_error(seqnn_model_build(m, ctx, 1), SEQNN_ERR_INVALID_ARG, "layer 3 (dense 'b'): from: unknown name 'zz'",
                 "build with an unknown name");
    seqnn_model_set_from(m, "b", "sum");
    expect_error(seqnn_model_build(m, ctx, 1), SEQNN_ERR_INVALID_ARG, "from: a cycle: b <- sum <- b",
                 "build with a cycle");
    seqnn_model_set_from(m, "b", "e");
    seqnn_status s = seqnn_model_build(m, ctx, 1);
    EXPECT(s == SEQNN_OK, "repaired after failed builds, the model builds (%s)", s ? seqnn_last_error() : "");
    seqnn_model_destroy(m);

    /* shapes, a layer that leads nowhere, sequences of two inputs */
    seqnn_model_create(&m);
    seqnn_model_input_tokens(m, V);
    seqnn_model_add_embedding(m, "e", 4, -1);
    seqnn_model_add_dense(m, "a", 5);
    seqnn_model_add_merge(m, "sum", SEQNN_MERGE_MUL, "e,a");
    seqnn_model_add_dense(m, "out", C);
    expect_error(seqnn_model_build(m, ctx, 1), SEQNN_ERR_INVALID_ARG, "'e' has size 4 and 'a' 5: multiply needs equal",
                 "multiply of sizes 4 and 5");
    seqnn_model_set_from(m, "out", "e");
    expect_error(seqnn_model_build(m, ctx, 1), SEQNN_ERR_INVALID_ARG,
                 "layer 3 (multiply 'sum'): nothing reads it and it is not the output", "a layer that leads nowhere");
    seqnn_model_destroy(m);
    seqnn_model_create(&m);
    seqnn_model_add_input_tokens(m, "w", V);
    seqnn_model_add_embedding(m, "e", 3, -1);
    seqnn_model_add_input_features(m, "f", 3);
    seqnn_model_add_merge(m, "cat", SEQNN_MERGE_CONCAT, "e,f");
    seqnn_model_add_dense(m, "out", C);
    expect_error(seqnn_model_build(m, ctx, 1), SEQNN_ERR_INVALID_ARG, "sequences of different inputs",
                 "concat of sequences of two inputs");
    seqnn_model_destroy(m);
}

int main(void)
{
    if (seqnn_context_create("ref", &ctx) != SEQNN_OK) {
        printf("FAIL cannot open the ref plugin: %s\n", seqnn_last_error());
        return 1;
    }
    test_stacks();
    test_two_inputs();
    test_bad_graphs();
    seqnn_context_destroy(ctx);
    printf("%d failures\n", failures);
    return failures != 0;
}

/* The conv bank's fused kernels against their fallbacks, through the public
 * API. A plugin of ABI 1.2 (minor2: the reference kernels, a vtable ending
 * before conv1d_max_forward) loads, lacks the kernel, and answers
 * SEQNN_ERR_UNSUPPORTED for it without being called. The same conv-bank
 * classifier (every activation, with and without lengths, one sequence
 * shorter than the widest filter, inputs large enough that relu and hardtanh
 * tie at their maxima) trains three steps there (conv1d_forward,
 * act_forward, maxpool_forward; maxpool_backward, act_backward,
 * conv1d_backward), on nobwd (conv1d_max_forward; the scatter and
 * conv1d_backward) and on the ref plugin (conv1d_max_forward,
 * conv1d_max_backward): losses, predictions and every parameter must be
 * bitwise identical.
 * usage: test_conv_fused PATH/libseqnn-minor2.so PATH/libseqnn-nobwd.so PATH/libseqnn-ref.so */
#include <stdio.h>
#include <string.h>
#include "seqnn/model.h"
#include "seqnn/plugin.h"
#include "seqnn/seqnn.h"
#include "test_expect.h"

enum { T = 7, B = 4, E = 6, FILTERS = 5, CLASSES = 3, STEPS = 3 };

/* What one run of the model leaves: per-step losses, the predictions after
 * training, every parameter. */
typedef struct run_result {
    double loss[STEPS];
    float logits[B * CLASSES];
    float params[4096];
    int64_t n_params;
} run_result;

static seqnn_status train(seqnn_context *ctx, seqnn_act act, const int32_t *lengths, run_result *out)
{
    static const int64_t widths[3] = {2, 3, 4};
    static const int32_t targets[B] = {0, 2, 1, 2};
    float features[T * B * E];
    unsigned seed = 12345u;
    for (int i = 0; i < T * B * E; i++) {
        seed = seed * 1664525u + 1013904223u;
        features[i] = (float)((double)(seed >> 8) / 16777216.0 * 6.0 - 3.0);
    }
    seqnn_batch b = {.seq_len = T, .batch = B, .features = features, .lengths = lengths, .targets = targets};
    seqnn_model *m = NULL;
    seqnn_step_result r;
    seqnn_status s = seqnn_model_create(&m);
    if (s == SEQNN_OK)
        s = seqnn_model_input_features(m, E);
    if (s == SEQNN_OK)
        s = seqnn_model_add_conv1d_bank(m, NULL, FILTERS, 3, widths, act);
    if (s == SEQNN_OK)
        s = seqnn_model_add_dense(m, NULL, CLASSES);
    if (s == SEQNN_OK)
        s = seqnn_model_build(m, ctx, 7);
    for (int i = 0; i < STEPS && s == SEQNN_OK; i++) {
        s = seqnn_model_train_step(m, &b, &r);
        out->loss[i] = r.loss;
    }
    if (s == SEQNN_OK)
        s = seqnn_model_predict(m, &b, out->logits, B * CLASSES);
    out->n_params = 0;
    for (int64_t i = 0; s == SEQNN_OK && i < seqnn_model_param_count(m); i++) {
        seqnn_param_info info;
        s = seqnn_model_param(m, i, &info);
        if (s == SEQNN_OK && out->n_params + info.count > (int64_t)(sizeof out->params / sizeof out->params[0]))
            s = SEQNN_ERR_INTERNAL;
        if (s == SEQNN_OK)
            s = seqnn_model_param_read(m, i, out->params + out->n_params, info.count);
        out->n_params += info.count;
    }
    seqnn_model_destroy(m);
    return s;
}

/* bitwise equal runs */
static int same(const run_result *a, const run_result *b)
{
    return a->n_params == b->n_params && !memcmp(a->loss, b->loss, sizeof a->loss) &&
           !memcmp(a->logits, b->logits, sizeof a->logits) &&
           !memcmp(a->params, b->params, (size_t)a->n_params * sizeof(float));
}

static seqnn_context *open_plugin(seqnn_registry *reg, const char *path)
{
    seqnn_context *ctx = NULL;
    int64_t dev = -1;
    char why[256];
    if (seqnn_registry_add_file(reg, path) != SEQNN_OK ||
        seqnn_registry_select(reg, path, &dev, why, sizeof why) != SEQNN_OK ||
        seqnn_context_open(reg, dev, &ctx) != SEQNN_OK) {
        printf("FAIL cannot open %s: %s\n", path, seqnn_last_error());
        return NULL;
    }
    return ctx;
}

/* minor2 has no conv1d_max_forward: a valid call answers UNSUPPORTED, names
 * the kernel, and its stand-in ("called beyond struct_size") did not run. */
static void check_absent(seqnn_context *old, seqnn_context *ref)
{
    seqnn_buffer *f = NULL, *i = NULL;
    expect(!seqnn_kernel_available(old, SEQNN_KERNEL_conv1d_max_forward) &&
               !seqnn_kernel_available(old, SEQNN_KERNEL_conv1d_max_backward) &&
               seqnn_kernel_available(old, SEQNN_KERNEL_lstm_variant_backward) &&
               seqnn_kernel_available(ref, SEQNN_KERNEL_conv1d_max_forward) &&
               seqnn_kernel_available(ref, SEQNN_KERNEL_conv1d_max_backward),
           "minor2 has the kernels of 1.2, not conv1d_max_forward/backward; ref has them");
    if (seqnn_buffer_alloc(old, SEQNN_F32, 16, &f) != SEQNN_OK || seqnn_buffer_alloc(old, SEQNN_I32, 2, &i) != SEQNN_OK) {
        expect(0, "buffers on minor2: %s", seqnn_last_error());
        return;
    }
    seqnn_buffer_fill(old, f, 0, 16, 1.0);
    /* x [1, 1, 4], weight [2, 1, 2], y and pre [1, 2] */
    seqnn_conv1d_max_args a = {.conv = {.batch = 1, .in_channels = 1, .out_channels = 2, .in_len = 4,
                                        .kernel_size = 2, .stride = 1, .dilation = 1, .x = seqnn_at(f, 0),
                                        .x_sb = 4, .x_sc = 4, .x_sl = 1, .weight = seqnn_at(f, 4)},
                               .act = SEQNN_CONV_MAX_NO_ACT, .y = seqnn_at(f, 8), .y_sb = 2, .y_sc = 1,
                               .pre = seqnn_at(f, 10), .argmax = seqnn_at(i, 0)};
    seqnn_status s = seqnn_kernel_run(old, SEQNN_KERNEL_conv1d_max_forward, &a);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", seqnn_context_error(old));
    float got[16];
    seqnn_buffer_read(old, f, 0, got, 16);
    int untouched = 1;
    for (int k = 0; k < 16; k++)
        untouched &= got[k] == 1.0f;
    expect(s == SEQNN_ERR_UNSUPPORTED && strstr(msg, "conv1d_max_forward") && !strstr(msg, "beyond struct_size") &&
               untouched,
           "conv1d_max_forward on minor2: %s (%s), nothing written", seqnn_status_name(s), msg);
    seqnn_buffer_free(old, f);
    seqnn_buffer_free(old, i);
}

int main(int argc, char **argv)
{
    static const int32_t lengths[B] = {7, 3, 1, 5};
    static const char *const act_name[SEQNN_ACT_COUNT] = {"sigmoid", "tanh", "hardtanh", "relu", "leaky_relu",
                                                          "swish"};
    seqnn_registry *reg = NULL;
    if (argc != 4) {
        fprintf(stderr, "usage: test_conv_fused PATH/libseqnn-minor2.so PATH/libseqnn-nobwd.so PATH/libseqnn-ref.so\n");
        return 2;
    }
    if (seqnn_registry_open_empty(&reg) != SEQNN_OK) {
        printf("FAIL cannot open a registry: %s\n", seqnn_last_error());
        return 1;
    }
    seqnn_context *old = open_plugin(reg, argv[1]), *nobwd = old ? open_plugin(reg, argv[2]) : NULL;
    seqnn_context *ref = nobwd ? open_plugin(reg, argv[3]) : NULL;
    if (!old || !nobwd || !ref) {
        seqnn_context_destroy(old);
        seqnn_context_destroy(nobwd);
        seqnn_registry_close(reg);
        return 1;
    }
    check_absent(old, ref);
    expect(seqnn_kernel_available(nobwd, SEQNN_KERNEL_conv1d_max_forward) &&
               !seqnn_kernel_available(nobwd, SEQNN_KERNEL_conv1d_max_backward),
           "nobwd has conv1d_max_forward, not conv1d_max_backward");
    for (int act = 0; act < SEQNN_ACT_COUNT; act++)
        for (int with_lengths = 0; with_lengths <= 1; with_lengths++) {
            static run_result unfused, half, fused;
            const int32_t *len = with_lengths ? lengths : NULL;
            seqnn_status s1 = train(old, (seqnn_act)act, len, &unfused);
            seqnn_status s2 = train(nobwd, (seqnn_act)act, len, &half);
            seqnn_status s3 = train(ref, (seqnn_act)act, len, &fused);
            expect(s1 == SEQNN_OK && s2 == SEQNN_OK && s3 == SEQNN_OK && same(&unfused, &fused) && same(&half, &fused),
                   "%s, lengths %s: %d steps, losses, predictions and %lld parameters bitwise equal "
                   "(unfused %s, fused forward %s, fused %s; loss %.9g / %.9g / %.9g)",
                   act_name[act], len ? "7 3 1 5" : "none", STEPS, (long long)fused.n_params,
                   seqnn_status_name(s1), seqnn_status_name(s2), seqnn_status_name(s3), unfused.loss[STEPS - 1],
                   half.loss[STEPS - 1], fused.loss[STEPS - 1]);
        }
    seqnn_context_destroy(old);
    seqnn_context_destroy(nobwd);
    seqnn_context_destroy(ref);
    seqnn_registry_close(reg);
    printf("%d failed\n", failures);
    return failures ? 1 : 0;
}

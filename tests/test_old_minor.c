/* A plugin built for an older ABI minor version, with a vtable shorter than
 * this seqnn's (tests/plugins/old_minor_plugin.c: ABI 1.0, it ends before the
 * structure query and maxpool_lengths_forward of 1.1),
 * through the public API only: it loads; its record reports the kernels it
 * has; those run; every kernel past its struct_size is not available and
 * (maxpool_lengths_forward, and the LSTM variants, which must never become a
 * plain LSTM) answers SEQNN_ERR_UNSUPPORTED (with a message naming the kernel)
 * without the plugin being called, and writes nothing. A model with a
 * class-weighted cross-entropy (ABI 1.2 kernels) refuses to train there rather
 * than train unweighted; without the weights it trains. A concatenation
 * merge (copy2d, ABI 1.3) trains there through row-by-row buffer copies.
 * usage: test_old_minor PATH/libseqnn-oldminor.so */
#include <stdio.h>
#include <string.h>
#include "seqnn/model.h"
#include "seqnn/plugin.h"
#include "seqnn/seqnn.h"
#include "test_expect.h"

#define N 4

/* A missing kernel, called with valid arguments: UNSUPPORTED, the message
 * names it, and the plugin's stand-in ("called beyond struct_size") did not run. */
static void expect_unsupported(seqnn_context *ctx, seqnn_kernel_id id, const void *args)
{
    const char *name = seqnn_kernel_name(id);
    seqnn_status s = seqnn_kernel_run(ctx, id, args);
    const char *msg = seqnn_context_error(ctx);
    expect(s == SEQNN_ERR_UNSUPPORTED && strstr(msg, name) && !strstr(msg, "beyond struct_size"),
           "%s past struct_size answers SEQNN_ERR_UNSUPPORTED without a call (got %s: %s)", name,
           seqnn_status_name(s), msg);
}

/* true when buffer buf still holds N copies of v */
static int holds(seqnn_context *ctx, seqnn_buffer *buf, float v)
{
    float got[N];
    if (seqnn_buffer_read(ctx, buf, 0, got, N) != SEQNN_OK)
        return 0;
    for (int i = 0; i < N; i++)
        if (got[i] != v)
            return 0;
    return 1;
}

/* The kernels it has run: C [2, 2] = A [2, 2] * B [2, 2]. */
static void check_gemm(seqnn_context *ctx, seqnn_buffer *a, seqnn_buffer *b, seqnn_buffer *c)
{
    const float av[N] = {1, 2, 3, 4}, bv[N] = {5, 6, 7, 8}, want[N] = {19, 22, 43, 50};
    float got[N] = {0};
    seqnn_buffer_write(ctx, a, 0, av, N);
    seqnn_buffer_write(ctx, b, 0, bv, N);
    seqnn_gemm_args g;
    memset(&g, 0, sizeof g);
    g.m = g.n = g.k = 2;
    g.alpha = 1;
    g.a = seqnn_at(a, 0);
    g.b = seqnn_at(b, 0);
    g.c = seqnn_at(c, 0);
    g.lda = g.ldb = g.ldc = 2;
    g.batch = 1;
    seqnn_status s = seqnn_gemm(ctx, &g);
    seqnn_buffer_read(ctx, c, 0, got, N);
    expect(s == SEQNN_OK && !memcmp(got, want, sizeof want), "gemm (inside struct_size) runs and is right (%s)",
           seqnn_status_name(s));
}

/* A dense classifier trained one step: with class weights the step fails
 * with SEQNN_ERR_UNSUPPORTED (the ABI 1.2 xent_ext kernels are absent) and
 * the parameters stay; plain, it trains. */
static void check_weighted_model(seqnn_context *ctx)
{
    static const float weights[3] = {1.0f, 0.0f, 2.0f}, features[2 * 4] = {1, -1, 0.5f, 2, 0, 1, -2, 0.25f};
    static const int32_t targets[2] = {1, 2};
    seqnn_batch b = {.seq_len = 1, .batch = 2, .features = features, .targets = targets};
    for (int weighted = 1; weighted >= 0; weighted--) {
        seqnn_model *m = NULL;
        seqnn_xent_options o = {weights, 3, 0.0};
        float before[12], after[12];
        seqnn_step_result r;
        if (seqnn_model_create(&m) != SEQNN_OK || seqnn_model_input_features(m, 4) != SEQNN_OK ||
            seqnn_model_add_dense(m, NULL, 3) != SEQNN_OK ||
            (weighted && seqnn_model_set_xent_options(m, &o) != SEQNN_OK) || seqnn_model_build(m, ctx, 1) != SEQNN_OK ||
            seqnn_model_param_read(m, 0, before, 12) != SEQNN_OK) {
            expect(0, "a dense model builds on the old plugin: %s", seqnn_last_error());
            seqnn_model_destroy(m);
            return;
        }
        seqnn_status s = seqnn_model_train_step(m, &b, &r);
        seqnn_model_param_read(m, 0, after, 12);
        if (weighted)
            expect(s == SEQNN_ERR_UNSUPPORTED && !memcmp(before, after, sizeof before),
                   "a class-weighted step is refused (%s: %s), parameters unchanged", seqnn_status_name(s),
                   seqnn_last_error());
        else
            expect(s == SEQNN_OK && memcmp(before, after, sizeof before), "the unweighted model trains (%s)",
                   seqnn_status_name(s));
        seqnn_model_destroy(m);
    }
}

/* A concatenation merge needs copy2d (ABI 1.3), which the old plugin lacks:
 * the frontend copies the rows one buffer copy at a time instead. One
 * training step gives the parameters that the ref plugin's copy2d gives,
 * bit for bit. */
static void check_concat_model(seqnn_context *old)
{
    static const float features[2 * 4] = {1, -1, 0.5f, 2, 0, 1, -2, 0.25f};
    static const int32_t targets[2] = {1, 2};
    seqnn_batch b = {.seq_len = 1, .batch = 2, .features = features, .targets = targets};
    seqnn_context *ref = NULL;
    float params[2][64];
    int64_t n = 0;
    if (seqnn_context_create("ref", &ref) != SEQNN_OK) {
        expect(0, "the ref plugin opens: %s", seqnn_last_error());
        return;
    }
    for (int side = 0; side < 2; side++) {
        seqnn_model *m = NULL;
        seqnn_step_result r;
        int ok = seqnn_model_create(&m) == SEQNN_OK && seqnn_model_input_features(m, 4) == SEQNN_OK &&
                 seqnn_model_add_dense(m, "a", 3) == SEQNN_OK && seqnn_model_add_dense(m, "b", 2) == SEQNN_OK &&
                 seqnn_model_set_from(m, "b", "input") == SEQNN_OK &&
                 seqnn_model_add_merge(m, "cat", SEQNN_MERGE_CONCAT, "a,b") == SEQNN_OK &&
                 seqnn_model_add_dense(m, "out", 3) == SEQNN_OK && seqnn_model_build(m, side ? ref : old, 5) == SEQNN_OK &&
                 seqnn_model_train_step(m, &b, &r) == SEQNN_OK;
        n = 0;
        for (int64_t i = 0; ok && i < seqnn_model_param_count(m); i++) {
            seqnn_param_info info;
            ok = seqnn_model_param(m, i, &info) == SEQNN_OK && n + info.count <= 64 &&
                 seqnn_model_param_read(m, i, params[side] + n, info.count) == SEQNN_OK;
            n += ok ? info.count : 0;
        }
        expect(ok, "a concatenation model trains a step on %s: %s", side ? "ref" : "the old plugin",
               ok ? "" : seqnn_last_error());
        seqnn_model_destroy(m);
    }
    expect(n > 0 && !memcmp(params[0], params[1], (size_t)n * sizeof(float)),
           "its %lld parameters equal ref's (copy2d) bit for bit", (long long)n);
    seqnn_context_destroy(ref);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_old_minor PATH/libseqnn-oldminor.so\n");
        return 2;
    }
    const char *path = argv[1];
    seqnn_registry *reg = NULL;
    seqnn_context *ctx = NULL;
    seqnn_plugin_record rec;
    int64_t dev = -1;
    char why[512] = "";

    if (seqnn_registry_open_empty(&reg) != SEQNN_OK) {
        printf("FAIL cannot open a registry: %s\n", seqnn_last_error());
        return 1;
    }
    seqnn_status s = seqnn_registry_add_file(reg, path);
    expect(s == SEQNN_OK, "a plugin with a shorter vtable loads (%s: %s)", seqnn_status_name(s), seqnn_last_error());
    memset(&rec, 0, sizeof rec);
    seqnn_registry_plugin(reg, 0, &rec);
    expect(rec.loaded && rec.abi_major == 1, "its record: loaded %d, ABI %u.%u, reason '%s'", rec.loaded,
           rec.abi_major, rec.abi_minor, rec.reason ? rec.reason : "");
    expect(rec.kernels_present == SEQNN_KERNEL_maxpool_lengths_forward, "it reports %d kernels present (want %d of %d)",
           rec.kernels_present, (int)SEQNN_KERNEL_maxpool_lengths_forward, (int)SEQNN_KERNEL_COUNT);
    if (s != SEQNN_OK || seqnn_registry_select(reg, path, &dev, why, sizeof why) != SEQNN_OK ||
        seqnn_context_open(reg, dev, &ctx) != SEQNN_OK) {
        printf("FAIL cannot open its device: %s\n", seqnn_last_error());
        seqnn_registry_close(reg);
        return 1;
    }

    /* the structure query lies beyond its struct_size: the core's default set */
    const seqnn_boundary *bounds = NULL;
    int64_t n_bounds = 0;
    int declared = -1;
    s = seqnn_context_structure(ctx, &bounds, &n_bounds, &declared);
    expect(s == SEQNN_OK && declared == 0 && n_bounds > 0 && bounds,
           "structure query: the default set (%s, declared %d, %lld entries: %s)", seqnn_status_name(s), declared,
           (long long)n_bounds, seqnn_context_error(ctx));
    expect(rec.abi_minor == 0, "it claims ABI 1.%u (want 1.0)", rec.abi_minor);

    int wrong = 0;
    for (int id = 0; id < SEQNN_KERNEL_COUNT; id++)
        wrong += seqnn_kernel_available(ctx, (seqnn_kernel_id)id) != (id < SEQNN_KERNEL_maxpool_lengths_forward);
    expect(wrong == 0, "seqnn_kernel_available: exactly the kernels of ABI 1.0 (%d wrong)", wrong);

    enum { P, G, S1, S2, S3, SCALAR, NBUF };
    seqnn_buffer *buf[NBUF] = {NULL};
    for (int i = 0; i < NBUF; i++)
        if (seqnn_buffer_alloc(ctx, SEQNN_F32, N, &buf[i]) != SEQNN_OK ||
            seqnn_buffer_fill(ctx, buf[i], 0, N, 1.0) != SEQNN_OK) {
            printf("FAIL buffer: %s\n", seqnn_context_error(ctx));
            return 1;
        }
    check_gemm(ctx, buf[S1], buf[S2], buf[S3]);
    for (int i = 0; i < NBUF; i++)
        seqnn_buffer_fill(ctx, buf[i], 0, N, 1.0);

    /* x [1, 2, 2] pooled over time into y [1, 2] with argmax, in the kernel of ABI 1.1 */
    seqnn_buffer *argmax = NULL;
    if (seqnn_buffer_alloc(ctx, SEQNN_I32, 2, &argmax) != SEQNN_OK) {
        printf("FAIL buffer: %s\n", seqnn_context_error(ctx));
        return 1;
    }
    const int32_t lengths[1] = {1};
    seqnn_maxpool_lengths_args pool = {.pool = {.batch = 1, .channels = 2, .len = 2, .x = seqnn_at(buf[P], 0),
                                                .x_sb = 4, .x_sc = 2, .x_sl = 1, .y = seqnn_at(buf[G], 0),
                                                .y_sb = 2, .y_sc = 1, .argmax = seqnn_at(argmax, 0)},
                                       .lengths = lengths};
    expect_unsupported(ctx, SEQNN_KERNEL_maxpool_lengths_forward, &pool);
    seqnn_buffer_free(ctx, argmax);

    /* a peephole LSTM (T = B = I = H = 1) of ABI 1.2: the plugin has
     * rnn_forward, but a variant never falls back to a plain LSTM */
    seqnn_lstm_variant_args lstmv = {.rnn = {.cell = SEQNN_CELL_LSTM, .seq_len = 1, .batch = 1, .input_size = 1,
                                             .hidden_size = 1, .x = seqnn_at(buf[P], 0), .ldx = 1,
                                             .w_ih = seqnn_at(buf[G], 0), .w_hh = seqnn_at(buf[S1], 0),
                                             .h_n = seqnn_at(buf[S3], 0)},
                                     .variant = SEQNN_LSTM_PEEPHOLE, .w_peep = seqnn_at(buf[S2], 0)};
    expect(seqnn_kernel_available(ctx, SEQNN_KERNEL_rnn_forward), "rnn_forward (ABI 1.0) is available");
    expect_unsupported(ctx, SEQNN_KERNEL_lstm_variant_forward, &lstmv);
    seqnn_buffer *reserve = NULL;       /* T*B*H*(G+3) = 7 elements */
    if (seqnn_buffer_alloc(ctx, SEQNN_F32, 8, &reserve) != SEQNN_OK) {
        printf("FAIL buffer: %s\n", seqnn_context_error(ctx));
        return 1;
    }
    lstmv.rnn.h_n.buf = NULL;
    lstmv.rnn.reserve = seqnn_at(reserve, 0);
    lstmv.rnn.dx = seqnn_at(buf[SCALAR], 0);
    expect_unsupported(ctx, SEQNN_KERNEL_lstm_variant_backward, &lstmv);
    seqnn_buffer_free(ctx, reserve);
    int untouched = 1;
    for (int i = 0; i < NBUF; i++)
        untouched &= holds(ctx, buf[i], 1.0f);
    expect(untouched, "nothing was written by the missing kernels");

    for (int i = 0; i < NBUF; i++)
        seqnn_buffer_free(ctx, buf[i]);
    check_weighted_model(ctx);
    check_concat_model(ctx);
    seqnn_context_destroy(ctx);
    seqnn_registry_close(reg);
    printf("%d failed\n", failures);
    return failures ? 1 : 0;
}

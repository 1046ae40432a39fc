/* Chains of devices (docs/backends.md, "Chains") through the public API:
 *
 * - bad chains fail with one error naming the entry: an empty entry, an
 *   unknown plugin, an unknown device, a device named twice;
 * - routing: on "testpartial,ref" a gemm runs on testpartial, a batched gemm
 *   (which testpartial declines in its capability query) and an embedding
 *   (which it lacks) on ref, with the same results as on ref alone, and the
 *   buffers cross between the devices as the stats count them;
 * - one entry keeps its strict meaning: "testpartial" alone fails an
 *   embedding ("does not implement it") and never falls back;
 * - a call no device of the chain runs fails naming each device's answer;
 * - a plugin that accepts a call and then answers unsupported ("testliar")
 *   fails the call naming the plugin, and the output reads back unchanged;
 * - the dispatch cost of a chain over a single device for a call that needs
 *   no copy (printed; ns per call, median of repeats).
 *
 * Usage: test_chain PARTIAL_PLUGIN LIAR_PLUGIN */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "seqnn/seqnn.h"

static int failures;

#define EXPECT(cond, ...)                                            \
    do {                                                             \
        if (!(cond)) {                                               \
            fprintf(stderr, "FAIL line %d: ", __LINE__);             \
            fprintf(stderr, __VA_ARGS__);                            \
            fprintf(stderr, "\n");                                   \
            failures++;                                              \
        }                                                            \
    } while (0)

/* seqnn_context_create(spec) fails, with a message containing each of the
 * NULL-terminated needles, and naming the chain once. */
static void expect_bad_chain(const char *spec, const char *const *needles)
{
    seqnn_context *ctx = NULL;
    seqnn_status s = seqnn_context_create(spec, &ctx);
    EXPECT(s != SEQNN_OK && !ctx, "chain '%s' was accepted", spec);
    const char *msg = seqnn_last_error();
    for (int i = 0; needles[i]; i++)
        EXPECT(strstr(msg, needles[i]), "chain '%s': message lacks '%s': %s", spec, needles[i], msg);
    const char *first = strstr(msg, spec);   /* the chain named once, the entry's spec not again */
    EXPECT(first && !strstr(first + 1, "request="), "chain '%s': a repeated prefix: %s", spec, msg);
    printf("bad chain '%s': %s\n", spec, msg);
    seqnn_context_destroy(ctx);
}

static void bad_chains(const char *partial)
{
    char spec[4096];
    expect_bad_chain("ref,,avx2", (const char *const[]){"entry 2", "empty", NULL});
    expect_bad_chain("ref,", (const char *const[]){"entry 2", "empty", NULL});
    expect_bad_chain("ref,nosuchplugin", (const char *const[]){"entry 'nosuchplugin'", "no plugin named", NULL});
    expect_bad_chain("ref,ref:no such device", (const char *const[]){"entry 'ref:no such device'", NULL});
    expect_bad_chain("ref,ref", (const char *const[]){"entry 'ref'", "second time", NULL});
    snprintf(spec, sizeof spec, "%s,ref,%s", partial, partial);
    expect_bad_chain(spec, (const char *const[]){"second time", "testpartial", NULL});
}

/* A small problem on one context: C = A B (m x k by k x n) once as a plain
 * gemm and once as a batch of 2, and an embedding lookup; out receives
 * C, the batched C and the embedding's rows. */
enum { M = 3, N = 4, K = 5, VOCAB = 6, DIM = 3, ROWS = 4 };
#define OUT_COUNT (M * N + 2 * M * N + ROWS * DIM)

static seqnn_status run_problem(seqnn_context *ctx, float *out, const char **where)
{
    float a[2 * M * K], b[2 * K * N], w[VOCAB * DIM];
    int32_t idx[ROWS] = {5, 0, 2, 5};
    for (int i = 0; i < 2 * M * K; i++)
        a[i] = (float)((i * 7) % 11) / 8.0f - 0.5f;
    for (int i = 0; i < 2 * K * N; i++)
        b[i] = (float)((i * 5) % 13) / 16.0f - 0.25f;
    for (int i = 0; i < VOCAB * DIM; i++)
        w[i] = (float)i / 4.0f;
    seqnn_buffer *ba = NULL, *bb = NULL, *bc = NULL, *bw = NULL, *bi = NULL, *by = NULL;
    seqnn_status s = SEQNN_OK;
    *where = "buffers";
    if (seqnn_buffer_alloc(ctx, SEQNN_F32, 2 * M * K, &ba) || seqnn_buffer_alloc(ctx, SEQNN_F32, 2 * K * N, &bb) ||
        seqnn_buffer_alloc(ctx, SEQNN_F32, 3 * M * N, &bc) || seqnn_buffer_alloc(ctx, SEQNN_F32, VOCAB * DIM, &bw) ||
        seqnn_buffer_alloc(ctx, SEQNN_I32, ROWS, &bi) || seqnn_buffer_alloc(ctx, SEQNN_F32, ROWS * DIM, &by) ||
        seqnn_buffer_write(ctx, ba, 0, a, 2 * M * K) || seqnn_buffer_write(ctx, bb, 0, b, 2 * K * N) ||
        seqnn_buffer_write(ctx, bw, 0, w, VOCAB * DIM) || seqnn_buffer_write(ctx, bi, 0, idx, ROWS) ||
        seqnn_buffer_fill(ctx, bc, 0, 3 * M * N, 0.0))
        s = SEQNN_ERR_INTERNAL;
    seqnn_gemm_args g = {0, 0, M, N, K, 1.0, 0.0, seqnn_at(ba, 0), K, seqnn_at(bb, 0), N, seqnn_at(bc, 0), N,
                         1, 0, 0, 0, 0};
    if (s == SEQNN_OK) {
        *where = "gemm";
        s = seqnn_gemm(ctx, &g);
    }
    if (s == SEQNN_OK) {
        *where = "batched gemm";
        g.c = seqnn_at(bc, M * N);
        g.batch = 2;
        g.stride_a = M * K;
        g.stride_b = K * N;
        g.stride_c = M * N;
        s = seqnn_gemm(ctx, &g);
    }
    seqnn_embedding_args e;
    memset(&e, 0, sizeof e);
    e.n = ROWS;
    e.vocab = VOCAB;
    e.dim = DIM;
    e.idx = seqnn_at(bi, 0);
    e.padding_idx = -1;
    e.weight = seqnn_at(bw, 0);
    e.y = seqnn_at(by, 0);
    e.ldy = DIM;
    if (s == SEQNN_OK) {
        *where = "embedding_forward";
        s = seqnn_embedding_forward(ctx, &e);
    }
    if (s == SEQNN_OK) {
        *where = "reading";
        s = seqnn_buffer_read(ctx, bc, 0, out, 3 * M * N);
        if (s == SEQNN_OK)
            s = seqnn_buffer_read(ctx, by, 0, out + 3 * M * N, ROWS * DIM);
    }
    seqnn_buffer *all[] = {ba, bb, bc, bw, bi, by};
    for (int i = 0; i < 6; i++)
        seqnn_buffer_free(ctx, all[i]);
    return s;
}

static void routing(const char *partial)
{
    float ref_out[OUT_COUNT], chain_out[OUT_COUNT];
    const char *where;
    seqnn_context *ctx;
    if (seqnn_context_create("ref", &ctx) != SEQNN_OK || run_problem(ctx, ref_out, &where) != SEQNN_OK) {
        EXPECT(0, "ref alone: %s", seqnn_last_error());
        return;
    }
    seqnn_context_destroy(ctx);

    char spec[4096];
    snprintf(spec, sizeof spec, "%s,ref", partial);
    if (seqnn_context_create(spec, &ctx) != SEQNN_OK) {
        EXPECT(0, "chain %s: %s", spec, seqnn_last_error());
        return;
    }
    EXPECT(seqnn_context_device_count(ctx) == 2, "chain of 2 has %d devices", seqnn_context_device_count(ctx));
    seqnn_status s = run_problem(ctx, chain_out, &where);
    EXPECT(s == SEQNN_OK, "chain: %s: %s", where, seqnn_last_error());
    seqnn_chain_stats st;
    seqnn_context_chain_stats(ctx, &st);
    /* gemm on testpartial; the batched gemm (declined) and the embedding (absent) on ref */
    EXPECT(st.devices == 2 && st.calls[0] == 1 && st.calls[1] == 2, "calls per device %lld, %lld (want 1, 2)",
           (long long)st.calls[0], (long long)st.calls[1]);
    /* A, B, C, W and idx were written on testpartial (the chain's first device: buffers start there);
     * the batched gemm took A, B and C's second and third blocks to ref, the embedding W and idx (y
     * starts on ref); reading all of C then fetched the blocks ref wrote. Only the elements a call
     * touches move. */
    int64_t want = (2 * M * K + 2 * K * N + 2 * M * N + VOCAB * DIM + ROWS + 2 * M * N) * 4;
    EXPECT(st.copies == 6 && st.bytes == want, "copies %lld of %lld bytes (want 6 of %lld)", (long long)st.copies,
           (long long)st.bytes, (long long)want);
    printf("routing: calls %lld on testpartial, %lld on ref; %lld copies, %lld bytes\n", (long long)st.calls[0],
           (long long)st.calls[1], (long long)st.copies, (long long)st.bytes);
    EXPECT(!memcmp(ref_out, chain_out, sizeof ref_out), "the chain's results differ from ref's");
    /* where a call would run, asked without running it */
    seqnn_buffer *bx;
    seqnn_buffer_alloc(ctx, SEQNN_F32, 8, &bx);
    seqnn_gemm_args g = {0, 0, 1, 1, 1, 1.0, 0.0, seqnn_at(bx, 0), 1, seqnn_at(bx, 1), 1, seqnn_at(bx, 2), 1,
                         1, 0, 0, 0, 0};
    int one = -1, batched = -1;
    seqnn_status r1 = seqnn_kernel_route(ctx, SEQNN_KERNEL_gemm, &g, &one);
    g.batch = 2;
    g.stride_c = 3;
    seqnn_status r2 = seqnn_kernel_route(ctx, SEQNN_KERNEL_gemm, &g, &batched);
    EXPECT(r1 == SEQNN_OK && r2 == SEQNN_OK && one == 0 && batched == 1, "route: gemm on %d, batched on %d: %s",
           one, batched, seqnn_last_error());
    seqnn_buffer_free(ctx, bx);
    seqnn_context_destroy(ctx);
}

static void strict_single(const char *partial)
{
    seqnn_context *ctx;
    if (seqnn_context_create(partial, &ctx) != SEQNN_OK) {
        EXPECT(0, "%s alone: %s", partial, seqnn_last_error());
        return;
    }
    float out[OUT_COUNT];
    const char *where;
    seqnn_status s = run_problem(ctx, out, &where);
    /* one device: its query is not asked; its kernel refuses the batched gemm */
    EXPECT(s == SEQNN_ERR_UNSUPPORTED && !strcmp(where, "batched gemm") &&
               strstr(seqnn_last_error(), "one matrix at a time"),
           "testpartial alone: %s: %s", where, seqnn_last_error());
    seqnn_embedding_args e;
    memset(&e, 0, sizeof e);
    seqnn_buffer *bi, *bw, *by;
    seqnn_buffer_alloc(ctx, SEQNN_I32, 1, &bi);
    seqnn_buffer_alloc(ctx, SEQNN_F32, 1, &bw);
    seqnn_buffer_alloc(ctx, SEQNN_F32, 1, &by);
    seqnn_buffer_fill(ctx, bi, 0, 1, 0.0);
    e = (seqnn_embedding_args){1, 1, 1, seqnn_at(bi, 0), -1, seqnn_at(bw, 0), seqnn_at(by, 0), 1,
                               {NULL, 0}, {NULL, 0}, 0};
    s = seqnn_embedding_forward(ctx, &e);
    EXPECT(s == SEQNN_ERR_UNSUPPORTED && strstr(seqnn_last_error(), "plugin 'testpartial' does not implement it"),
           "testpartial alone, embedding: %s", seqnn_last_error());
    printf("single entry: %s\n", seqnn_last_error());
    seqnn_buffer_free(ctx, bi);
    seqnn_buffer_free(ctx, bw);
    seqnn_buffer_free(ctx, by);
    seqnn_context_destroy(ctx);
}

static void nobody_and_liar(const char *partial, const char *liar)
{
    char spec[8192];
    snprintf(spec, sizeof spec, "%s,%s", liar, partial);
    seqnn_context *ctx;
    if (seqnn_context_create(spec, &ctx) != SEQNN_OK) {
        EXPECT(0, "chain %s: %s", spec, seqnn_last_error());
        return;
    }
    float out[OUT_COUNT];
    const char *where;
    /* the first gemm reaches testliar, which accepts it and then does not run it */
    seqnn_status s = run_problem(ctx, out, &where);
    EXPECT(s == SEQNN_ERR_UNSUPPORTED && !strcmp(where, "gemm") && strstr(seqnn_last_error(), "testliar") &&
               strstr(seqnn_last_error(), "accepted the call"),
           "liar: %s: %s", where, seqnn_last_error());
    printf("inconsistent plugin: %s\n", seqnn_last_error());

    seqnn_buffer *ba, *bc;
    seqnn_buffer_alloc(ctx, SEQNN_F32, 4, &ba);
    seqnn_buffer_alloc(ctx, SEQNN_F32, 4, &bc);
    /* an embedding: neither device has it */
    seqnn_buffer *bi;
    seqnn_buffer_alloc(ctx, SEQNN_I32, 1, &bi);
    seqnn_buffer_fill(ctx, bi, 0, 1, 0.0);
    seqnn_embedding_args e = {1, 1, 1, seqnn_at(bi, 0), -1, seqnn_at(ba, 0), seqnn_at(bc, 0), 1,
                              {NULL, 0}, {NULL, 0}, 0};
    s = seqnn_embedding_forward(ctx, &e);
    const char *msg = seqnn_last_error();
    EXPECT(s == SEQNN_ERR_UNSUPPORTED && strstr(msg, "embedding_forward: no device of the chain runs this call") &&
               strstr(msg, "'testliar' does not implement it") && strstr(msg, "'testpartial' does not implement it"),
           "nobody: %s", msg);
    printf("no device: %s\n", msg);
    seqnn_buffer_free(ctx, ba);
    seqnn_buffer_free(ctx, bc);
    seqnn_buffer_free(ctx, bi);
    seqnn_context_destroy(ctx);

    /* a declined call that no later device runs: each answer, the decline's reason included */
    snprintf(spec, sizeof spec, "%s,%s", partial, liar);
    if (seqnn_context_create(spec, &ctx) != SEQNN_OK) {
        EXPECT(0, "chain %s: %s", spec, seqnn_last_error());
        return;
    }
    /* C written with 7s (on testpartial, the chain's first device), then a batched gemm that
     * testpartial declines and testliar accepts, scribbles on its copy of C and refuses: C reads
     * back 7s */
    seqnn_buffer_alloc(ctx, SEQNN_F32, 8, &ba);
    seqnn_buffer_alloc(ctx, SEQNN_F32, 8, &bc);
    seqnn_buffer_fill(ctx, ba, 0, 8, 1.0);
    seqnn_buffer_fill(ctx, bc, 0, 8, 7.0);
    seqnn_gemm_args g = {0, 0, 2, 2, 2, 1.0, 0.0, seqnn_at(ba, 0), 2, seqnn_at(ba, 0), 2, seqnn_at(bc, 0), 2,
                         2, 4, 4, 4, 0};
    s = seqnn_gemm(ctx, &g);
    float c[8] = {0};
    seqnn_buffer_read(ctx, bc, 0, c, 8);
    EXPECT(s == SEQNN_ERR_UNSUPPORTED && strstr(seqnn_last_error(), "testliar") && c[0] == 7.0f && c[7] == 7.0f,
           "liar's output: %s, c = %g %g", seqnn_last_error(), c[0], c[7]);
    seqnn_buffer_free(ctx, ba);
    seqnn_buffer_free(ctx, bc);

    seqnn_rnn_args r;
    memset(&r, 0, sizeof r);
    seqnn_buffer *big;
    seqnn_buffer_alloc(ctx, SEQNN_F32, 1 << 20, &big);
    r.cell = SEQNN_CELL_RNN_TANH;
    r.seq_len = 1;
    r.batch = 1;
    r.input_size = 1;
    r.hidden_size = 600;
    r.x = seqnn_at(big, 0);
    r.ldx = 1;
    r.w_ih = seqnn_at(big, 0);
    r.w_hh = seqnn_at(big, 0);
    r.y = seqnn_at(big, 400000);
    r.ldy = 600;
    r.reserve = seqnn_at(big, 500000);
    s = seqnn_rnn_forward(ctx, &r);
    msg = seqnn_last_error();
    EXPECT(s == SEQNN_ERR_UNSUPPORTED && strstr(msg, "'testpartial' declined: hidden_size 600") &&
               strstr(msg, "'testliar' does not implement it"),
           "declined: %s", msg);
    printf("declined: %s\n", msg);
    seqnn_buffer_free(ctx, big);
    seqnn_context_destroy(ctx);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median ns per call of a 1x1x1 gemm on spec over 15 repeats of 20000 calls. */
static double ns_per_call(const char *spec)
{
    seqnn_context *ctx;
    if (seqnn_context_create(spec, &ctx) != SEQNN_OK)
        return NAN;
    seqnn_buffer *bx;
    seqnn_buffer_alloc(ctx, SEQNN_F32, 3, &bx);
    seqnn_buffer_fill(ctx, bx, 0, 3, 1.0);
    seqnn_gemm_args g = {0, 0, 1, 1, 1, 1.0, 0.0, seqnn_at(bx, 0), 1, seqnn_at(bx, 1), 1, seqnn_at(bx, 2), 1,
                         1, 0, 0, 0, 0};
    double t[15];
    seqnn_gemm(ctx, &g);                 /* any copy happens here */
    for (int r = 0; r < 15; r++) {
        double t0 = now();
        for (int i = 0; i < 20000; i++)
            seqnn_gemm(ctx, &g);
        t[r] = (now() - t0) / 20000 * 1e9;
    }
    seqnn_buffer_free(ctx, bx);
    seqnn_context_destroy(ctx);
    qsort(t, 15, sizeof t[0], cmp_double);
    return t[7];
}

static void overhead(const char *partial)
{
    char spec[4096];
    snprintf(spec, sizeof spec, "%s,ref", partial);
    double one = ns_per_call("ref"), chain_last = ns_per_call(spec);
    double first = ns_per_call(partial);
    snprintf(spec, sizeof spec, "ref,%s", partial);
    double chain_first = ns_per_call(spec);
    printf("dispatch of a 1x1x1 gemm, ns per call (median of 15 x 20000): ref %.0f, testpartial %.0f; "
           "chain testpartial,ref (runs on testpartial, with its query) %.0f (+%.0f); chain ref,testpartial "
           "(runs on ref) %.0f (+%.0f)\n",
           one, first, chain_last, chain_last - first, chain_first, chain_first - one);
    EXPECT(chain_first == chain_first && chain_last == chain_last, "a timing context failed: %s", seqnn_last_error());
}

/* With SEQNN_BACKEND unset and the partial plugin scoring best, the
 * automatic choice is a chain: testpartial, then the best complete plugin. */
static void automatic(const char *partial)
{
    char dir[PATH_MAX];
    char *slash = realpath(partial, dir) ? strrchr(dir, '/') : NULL;
    if (!slash) {
        EXPECT(0, "%s: no such file", partial);
        return;
    }
    *slash = '\0';
    setenv("SEQNN_PLUGIN_PATH", dir, 1);
    setenv("SEQNN_TEST_PARTIAL_SCORE", "500", 1);
    unsetenv("SEQNN_BACKEND");
    seqnn_context *ctx;
    seqnn_device_record d0, d1;
    if (seqnn_context_create(NULL, &ctx) != SEQNN_OK) {
        EXPECT(0, "automatic: %s", seqnn_last_error());
        return;
    }
    int n = seqnn_context_device_count(ctx);
    seqnn_context_device_at(ctx, 0, &d0);
    EXPECT(n == 2 && !strcmp(d0.plugin_name, "testpartial") && !seqnn_context_device_at(ctx, 1, &d1) &&
               strcmp(d1.plugin_name, "testpartial") && strcmp(d1.plugin_name, "testliar"),
           "automatic: %d devices, first %s", n, d0.plugin_name);
    if (n == 2)
        printf("automatic: a chain of %s then %s\n", d0.plugin_name, d1.plugin_name);
    seqnn_context_destroy(ctx);
    unsetenv("SEQNN_TEST_PARTIAL_SCORE");
    unsetenv("SEQNN_PLUGIN_PATH");
}

/* A plugin of an older ABI minor version (no capability query) before ref:
 * it accepts every call of the kernels it has, so its gemm runs on it. */
static void old_minor(const char *old)
{
    char spec[4096];
    snprintf(spec, sizeof spec, "%s,ref", old);
    seqnn_context *ctx;
    if (seqnn_context_create(spec, &ctx) != SEQNN_OK) {
        EXPECT(0, "chain %s: %s", spec, seqnn_last_error());
        return;
    }
    seqnn_buffer *bx;
    seqnn_buffer_alloc(ctx, SEQNN_F32, 3, &bx);
    seqnn_buffer_fill(ctx, bx, 0, 3, 1.0);
    seqnn_gemm_args g = {0, 0, 1, 1, 1, 1.0, 0.0, seqnn_at(bx, 0), 1, seqnn_at(bx, 1), 1, seqnn_at(bx, 2), 1,
                         1, 0, 0, 0, 0};
    seqnn_status s = seqnn_gemm(ctx, &g);
    seqnn_chain_stats st;
    seqnn_context_chain_stats(ctx, &st);
    EXPECT(s == SEQNN_OK && st.calls[0] == 1, "older plugin in a chain: %s, %lld calls on it", seqnn_last_error(),
           (long long)st.calls[0]);
    seqnn_buffer_free(ctx, bx);
    seqnn_context_destroy(ctx);
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s PARTIAL_PLUGIN LIAR_PLUGIN [OLD_MINOR_PLUGIN]\n", argv[0]);
        return 2;
    }
    if (argc == 4)
        old_minor(argv[3]);
    bad_chains(argv[1]);
    routing(argv[1]);
    strict_single(argv[1]);
    nobody_and_liar(argv[1], argv[2]);
    overhead(argv[1]);
    automatic(argv[1]);
    if (failures)
        fprintf(stderr, "%d failures\n", failures);
    return failures ? 1 : 0;
}

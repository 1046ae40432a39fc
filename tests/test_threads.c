/* The documented threading rule (include/seqnn/seqnn.h): separate contexts
 * used from several threads at once give the same results as sequential use.
 *
 * Each worker thread creates its own context (seqnn_context_create: its own
 * registry scan, dlopen of every plugin, device open), runs a small training
 * step - gemm, LSTM rnn_forward and rnn_backward, adam_step - and reads the
 * results back; the bytes must equal those of the same step run alone,
 * beforehand, on the main thread. Threads mix plugins (ref and, where it runs
 * here, avx2), create and destroy their contexts repeatedly (so that plugin
 * init/fini and the avx2 worker pool see concurrent opens and closes), and
 * each provokes an argument error of its own and finds its own message in
 * seqnn_last_error() (thread-local) and seqnn_context_error().
 * scripts/test-tsan.sh builds and runs this under ThreadSanitizer.
 * usage: test_threads [THREADS [ROUNDS]] */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seqnn/seqnn.h"

enum { T = 6, B = 3, I = 7, H = 8, G = 4, M = 33, N = 17, K = 29 };
#define MAX_THREADS 16

/* every float the step produces, in a fixed order */
enum {
    OUT_C = 0,
    OUT_Y = OUT_C + M * N,
    OUT_HN = OUT_Y + T * B * H,
    OUT_CN = OUT_HN + B * H,
    OUT_DX = OUT_CN + B * H,
    OUT_DWIH = OUT_DX + T * B * I,
    OUT_DWHH = OUT_DWIH + G * H * I,
    OUT_DB = OUT_DWHH + G * H * H,
    OUT_P = OUT_DB + G * H,
    OUT_COUNT = OUT_P + G * H * I
};

typedef struct result {
    float v[OUT_COUNT];
} result;

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s;
}

static void fill(float *p, int n, uint32_t *s)
{
    for (int i = 0; i < n; i++)
        p[i] = (float)((int)(lcg(s) >> 9) % 2001 - 1000) / 2000.0f;
}

/* One step on a fresh context of `spec`; seed picks the data. 0 on success. */
static int step(const char *spec, uint32_t seed, int tag, result *out, char *err, size_t err_size)
{
    seqnn_context *ctx = NULL;
    seqnn_buffer *buf[24] = {0};
    int nb = 0, rc = 1;
    const int64_t sizes[] = {M * K, K * N, M * N,                 /* a, b, c */
                             T * B * I, G * H * I, G * H * H, G * H, G * H, /* x, w_ih, w_hh, b_ih, b_hh */
                             T * B * H, B * H, B * H,                       /* y, h_n, c_n */
                             T * B * H * (G + 2), T * B * I, G * H * I, G * H * H, G * H, /* reserve, dx, dw_ih, dw_hh, db */
                             G * H * I * 2};                                /* adam m, v */
    enum { A, Bm, C, X, WIH, WHH, BIH, BHH, Y, HN, CN, RES, DX, DWIH, DWHH, DB, MV };
    float host[T * B * H * (G + 2) > M * K ? T * B * H * (G + 2) : M * K];
    uint32_t s = seed * 2654435761u + 1;
#define TRY(call)                                                                          \
    do {                                                                                   \
        if ((call) != SEQNN_OK) {                                                          \
            snprintf(err, err_size, "%s: %s: %s", spec, #call, seqnn_last_error());         \
            goto done;                                                                     \
        }                                                                                  \
    } while (0)
    TRY(seqnn_context_create(spec, &ctx));
    for (nb = 0; nb < (int)(sizeof sizes / sizeof *sizes); nb++) {
        TRY(seqnn_buffer_alloc(ctx, SEQNN_F32, sizes[nb], &buf[nb]));
        fill(host, (int)sizes[nb], &s);
        if (nb >= Y && nb != MV)
            memset(host, 0, (size_t)sizes[nb] * sizeof *host);   /* outputs and accumulated gradients start at 0 */
        if (nb == MV)
            for (int i = G * H * I; i < 2 * G * H * I; i++)
                host[i] = host[i] * host[i];                         /* v >= 0 */
        TRY(seqnn_buffer_write(ctx, buf[nb], 0, host, sizes[nb]));
    }

    /* a bad argument of this thread's own: its message, not another thread's */
    seqnn_gemm_args bad = {.m = -1000 - tag, .n = 1, .k = 1, .batch = 1};
    if (seqnn_gemm(ctx, &bad) != SEQNN_ERR_INVALID_ARG) {
        snprintf(err, err_size, "%s: gemm with m < 0 was accepted", spec);
        goto done;
    }
    char want[64];
    snprintf(want, sizeof want, "m = %d,", -1000 - tag);
    if (!strstr(seqnn_last_error(), want) || !strstr(seqnn_context_error(ctx), want)) {
        snprintf(err, err_size, "%s: thread %d's error is '%s' / '%s', expected one with '%s'", spec, tag,
                 seqnn_last_error(), seqnn_context_error(ctx), want);
        goto done;
    }

    seqnn_gemm_args g = {.m = M, .n = N, .k = K, .alpha = 1.0, .beta = 0.0,
                         .a = seqnn_at(buf[A], 0), .lda = K, .b = seqnn_at(buf[Bm], 0), .ldb = N,
                         .c = seqnn_at(buf[C], 0), .ldc = N, .batch = 1};
    TRY(seqnn_gemm(ctx, &g));

    int32_t lengths[B] = {T, T - 2, 1};
    seqnn_rnn_args r = {.cell = SEQNN_CELL_LSTM, .seq_len = T, .batch = B, .input_size = I, .hidden_size = H,
                        .lengths = lengths,
                        .x = seqnn_at(buf[X], 0), .ldx = I, .w_ih = seqnn_at(buf[WIH], 0),
                        .w_hh = seqnn_at(buf[WHH], 0), .b_ih = seqnn_at(buf[BIH], 0), .b_hh = seqnn_at(buf[BHH], 0),
                        .y = seqnn_at(buf[Y], 0), .ldy = H, .h_n = seqnn_at(buf[HN], 0), .c_n = seqnn_at(buf[CN], 0),
                        .reserve = seqnn_at(buf[RES], 0)};
    TRY(seqnn_rnn_forward(ctx, &r));
    seqnn_rnn_args rb = r;
    rb.y.buf = NULL;
    rb.h_n.buf = NULL;
    rb.c_n.buf = NULL;
    rb.dy = seqnn_at(buf[Y], 0);         /* dL/dy = y, dL/dh_n = h_n (any fixed values do) */
    rb.dh_n = seqnn_at(buf[HN], 0);
    rb.dx = seqnn_at(buf[DX], 0);
    rb.dw_ih = seqnn_at(buf[DWIH], 0);
    rb.dw_hh = seqnn_at(buf[DWHH], 0);
    rb.db_ih = seqnn_at(buf[DB], 0);
    TRY(seqnn_rnn_backward(ctx, &rb));

    seqnn_adam_args ad = {.n = G * H * I, .param = seqnn_at(buf[WIH], 0), .grad = seqnn_at(buf[DWIH], 0),
                          .exp_avg = seqnn_at(buf[MV], 0), .exp_avg_sq = seqnn_at(buf[MV], G * H * I),
                          .lr = 1e-2, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.01,
                          .decoupled = 1, .step = 3};
    TRY(seqnn_adam_step(ctx, &ad));

    TRY(seqnn_buffer_read(ctx, buf[C], 0, out->v + OUT_C, M * N));
    TRY(seqnn_buffer_read(ctx, buf[Y], 0, out->v + OUT_Y, T * B * H));
    TRY(seqnn_buffer_read(ctx, buf[HN], 0, out->v + OUT_HN, B * H));
    TRY(seqnn_buffer_read(ctx, buf[CN], 0, out->v + OUT_CN, B * H));
    TRY(seqnn_buffer_read(ctx, buf[DX], 0, out->v + OUT_DX, T * B * I));
    TRY(seqnn_buffer_read(ctx, buf[DWIH], 0, out->v + OUT_DWIH, G * H * I));
    TRY(seqnn_buffer_read(ctx, buf[DWHH], 0, out->v + OUT_DWHH, G * H * H));
    TRY(seqnn_buffer_read(ctx, buf[DB], 0, out->v + OUT_DB, G * H));
    TRY(seqnn_buffer_read(ctx, buf[WIH], 0, out->v + OUT_P, G * H * I));
    rc = 0;
#undef TRY
done:
    for (int i = 0; i < nb && ctx; i++)
        seqnn_buffer_free(ctx, buf[i]);
    seqnn_context_destroy(ctx);
    return rc;
}

typedef struct job {
    int tag, rounds;
    const char *spec;
    uint32_t seed;
    const result *expect;
    int failures;
    char err[512];
} job;

static void *worker(void *arg)
{
    job *j = arg;
    result *got = malloc(sizeof *got);
    if (!got) {
        snprintf(j->err, sizeof j->err, "out of memory");
        j->failures++;
        return NULL;
    }
    for (int r = 0; r < j->rounds; r++) {
        memset(got, 0xff, sizeof *got);
        if (step(j->spec, j->seed, j->tag, got, j->err, sizeof j->err) != 0) {
            j->failures++;
            break;
        }
        if (memcmp(got, j->expect, sizeof *got) != 0) {
            int first = 0;
            while (first < OUT_COUNT && !memcmp(&got->v[first], &j->expect->v[first], sizeof(float)))
                first++;
            snprintf(j->err, sizeof j->err, "%s round %d: result differs from the sequential run at value %d "
                     "(%.9g vs %.9g)", j->spec, r, first, got->v[first], j->expect->v[first]);
            j->failures++;
            break;
        }
    }
    free(got);
    return NULL;
}

int main(int argc, char **argv)
{
    int nthreads = argc > 1 ? atoi(argv[1]) : 4;
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    if (nthreads < 1 || nthreads > MAX_THREADS || rounds < 1) {
        fprintf(stderr, "usage: test_threads [THREADS (1..%d) [ROUNDS]]\n", MAX_THREADS);
        return 2;
    }
    /* the plugins to mix: ref always, avx2 when it runs here */
    const char *specs[2] = {"ref", "avx2"};
    int nspecs = 1;
    seqnn_context *probe;
    if (seqnn_context_create("avx2", &probe) == SEQNN_OK) {
        seqnn_context_destroy(probe);
        nspecs = 2;
    } else {
        printf("avx2 not used: %s\n", seqnn_last_error());
    }

    /* sequential reference results, one per (plugin, seed) */
    static result expect[2][MAX_THREADS];
    job jobs[MAX_THREADS];
    for (int t = 0; t < nthreads; t++) {
        job *j = &jobs[t];
        memset(j, 0, sizeof *j);
        j->tag = t;
        j->rounds = rounds;
        j->spec = specs[t % nspecs];
        j->seed = (uint32_t)(t / nspecs) + 1;
        j->expect = &expect[t % nspecs][t];
        if (step(j->spec, j->seed, t, &expect[t % nspecs][t], j->err, sizeof j->err) != 0) {
            fprintf(stderr, "FAIL sequential run: %s\n", j->err);
            return 1;
        }
    }
    double sum = 0;
    for (int t = 0; t < nthreads; t++)
        for (int i = 0; i < OUT_COUNT; i++)
            sum += jobs[t].expect->v[i] < 0 ? -jobs[t].expect->v[i] : jobs[t].expect->v[i];
    printf("sequential: %d steps (%s%s), %d values each, sum of |values| %.6g\n", nthreads, specs[0],
           nspecs > 1 ? ", avx2" : "", (int)OUT_COUNT, sum);

    pthread_t th[MAX_THREADS];
    for (int t = 0; t < nthreads; t++)
        if (pthread_create(&th[t], NULL, worker, &jobs[t]) != 0) {
            fprintf(stderr, "FAIL pthread_create\n");
            return 1;
        }
    int failures = 0;
    for (int t = 0; t < nthreads; t++) {
        pthread_join(th[t], NULL);
        if (jobs[t].failures) {
            fprintf(stderr, "FAIL thread %d (%s): %s\n", t, jobs[t].spec, jobs[t].err);
            failures++;
        }
    }
    printf("%d threads x %d rounds, each on its own context: %s\n", nthreads, rounds,
           failures ? "FAILED" : "bitwise equal to the sequential runs, own error messages");
    return failures ? 1 : 0;
}

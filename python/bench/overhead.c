/* The C side of python/bench/overhead.py: microseconds per gemm call of
 * n x n matrices on a backend, (a) the kernel call alone on buffers made
 * once (every element 1), (b) what seqnn.kernels.gemm does per call: allocate three buffers,
 * write two, run, read one, free them. Median of 5 runs of `reps` calls.
 * Usage: overhead BACKEND N REPS; prints "c_kernel US" and "c_full US". */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "seqnn/seqnn.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int fail(const char *what)
{
    fprintf(stderr, "overhead: %s: %s\n", what, seqnn_last_error());
    return 1;
}

static seqnn_gemm_args args_of(int64_t n, seqnn_buffer *a, seqnn_buffer *b, seqnn_buffer *c)
{
    seqnn_gemm_args g = {.m = n, .n = n, .k = n, .alpha = 1.0, .a = seqnn_at(a, 0), .lda = n, .b = seqnn_at(b, 0),
                         .ldb = n, .c = seqnn_at(c, 0), .ldc = n, .batch = 1};
    return g;
}

/* One call as the Python wrapper makes it, buffers and copies included. */
static seqnn_status full_call(seqnn_context *ctx, int64_t n, const float *ha, const float *hb, float *hc)
{
    seqnn_buffer *a = NULL, *b = NULL, *c = NULL;
    seqnn_status s = seqnn_buffer_alloc(ctx, SEQNN_F32, n * n, &a);
    if (!s)
        s = seqnn_buffer_alloc(ctx, SEQNN_F32, n * n, &b);
    if (!s)
        s = seqnn_buffer_alloc(ctx, SEQNN_F32, n * n, &c);
    if (!s)
        s = seqnn_buffer_write(ctx, a, 0, ha, n * n);
    if (!s)
        s = seqnn_buffer_write(ctx, b, 0, hb, n * n);
    seqnn_gemm_args g = args_of(n, a, b, c);
    if (!s)
        s = seqnn_gemm(ctx, &g);
    if (!s)
        s = seqnn_buffer_read(ctx, c, 0, hc, n * n);
    seqnn_buffer_free(ctx, a);
    seqnn_buffer_free(ctx, b);
    seqnn_buffer_free(ctx, c);
    return s;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return fprintf(stderr, "usage: overhead BACKEND N REPS\n"), 2;
    int64_t n = atoll(argv[2]), reps = atoll(argv[3]);
    seqnn_context *ctx;
    seqnn_buffer *a, *b, *c;
    if (seqnn_context_create(argv[1], &ctx))
        return fail("context");
    float *h = calloc((size_t)(3 * n * n), sizeof *h);
    if (!h || seqnn_buffer_alloc(ctx, SEQNN_F32, n * n, &a) || seqnn_buffer_alloc(ctx, SEQNN_F32, n * n, &b) ||
        seqnn_buffer_alloc(ctx, SEQNN_F32, n * n, &c))
        return fail("alloc");
    for (int64_t i = 0; i < 3 * n * n; i++)
        h[i] = 1.0f;                     /* the values overhead.py uses */
    if (seqnn_buffer_write(ctx, a, 0, h, n * n) || seqnn_buffer_write(ctx, b, 0, h, n * n) ||
        seqnn_buffer_write(ctx, c, 0, h, n * n))
        return fail("write");
    seqnn_gemm_args g = args_of(n, a, b, c);
    double t[2][5];
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        for (int64_t i = 0; i < reps; i++)
            if (seqnn_gemm(ctx, &g))
                return fail("gemm");
        double t1 = now();
        for (int64_t i = 0; i < reps; i++)
            if (full_call(ctx, n, h, h + n * n, h + 2 * n * n))
                return fail("gemm with buffers");
        double t2 = now();
        t[0][r] = (t1 - t0) / (double)reps * 1e6;
        t[1][r] = (t2 - t1) / (double)reps * 1e6;
    }
    qsort(t[0], 5, sizeof t[0][0], cmp);
    qsort(t[1], 5, sizeof t[1][0], cmp);
    printf("c_kernel %.3f %.3f %.3f\nc_full %.3f %.3f %.3f\n", t[0][2], t[0][0], t[0][4], t[1][2], t[1][0], t[1][4]);
    seqnn_buffer_free(ctx, a);
    seqnn_buffer_free(ctx, b);
    seqnn_buffer_free(ctx, c);
    seqnn_context_destroy(ctx);
    free(h);
    return 0;
}

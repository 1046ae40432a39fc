/* SGEMM check and timing of the SIMD plugins' own GEMM against OpenBLAS
 * (cblas_sgemm): first a correctness sweep over odd sizes and every
 * transpose / alpha / beta case (max normwise difference to OpenBLAS), then
 * the median time of `reps` runs at each shape given, both libraries in the
 * same run, GFLOP/s and the ratio ours / OpenBLAS.
 * Usage: avx2_gemm_bench [reps] [MxNxK[t][T] ...]   (t: A transposed, as in the
 * weight gradients dW = dG^T X; T: B transposed, as in the recurrent layers'
 * input GEMM X W_ih^T; default shapes: 1024^3 and the recurrent
 * shapes M=64, N=4H, K=H for H = 256, 512, 1024); avx512_gemm_bench is the
 * same program on the avx512 plugin's 16 lanes.
 * Threads: SEQNN_NUM_THREADS for ours, OPENBLAS_NUM_THREADS for OpenBLAS. */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "simd_gemm.h"
#include "threads.h"
#include "bench_timer.h"

/* SEQNN_BENCH_CPU set: the timings read the CPU time of this process (all
 * its threads, bench/bench_timer.h), which is what to compare on a machine
 * shared with other work (for 1 thread it is the time the work itself took);
 * wall-clock time otherwise. Read once, at the start of main. */
static int cpu_clock;

static void bench_fill(float *x, size_t n, unsigned *seed)
{
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        x[i] = (float)((*seed >> 8) * (1.0 / 16777216.0) * 2.0 - 1.0);
    }
}

/* ours vs OpenBLAS on one case; returns the normwise difference */
static double bench_case(simd_device *dev, int ta, int tb, int m, int n, int k, float alpha, float beta,
                         unsigned *seed, int ldpad)
{
    int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1 + ldpad, ldc = n + 2;
    size_t sa = (size_t)(ta ? k : m) * lda, sb = (size_t)(tb ? n : k) * ldb, sc = (size_t)m * ldc;
    float *a = malloc(sa * 4 + 4), *b = malloc(sb * 4 + 4), *c1 = malloc(sc * 4 + 4), *c2 = malloc(sc * 4 + 4);
    bench_fill(a, sa, seed);
    bench_fill(b, sb, seed);
    bench_fill(c1, sc, seed);
    memcpy(c2, c1, sc * 4);
    if (beta == 0.0f)
        for (size_t i = 0; i < sc; i++)
            c1[i] = NAN;                 /* beta == 0: C must not be read */
    simd_sgemm(dev, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c1, ldc);
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha,
                a, lda, b, ldb, beta, c2, ldc);
    double num = 0, den = 0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double d = fabs((double)c1[(size_t)i * ldc + j] - c2[(size_t)i * ldc + j]);
            num = d > num || isnan(d) ? d : num;
            den = fmax(den, fabs(c2[(size_t)i * ldc + j]));
        }
    free(a);
    free(b);
    free(c1);
    free(c2);
    return den > 0 ? num / den : num;
}

static void bench_time(simd_device *dev, int reps, int m, int n, int k, int ta, int tb)
{
    const int lda = ta ? m : k;          /* A stored [m, k], or [k, m] when transposed */
    const int ldb = tb ? k : n;          /* B stored [k, n], or [n, k] when transposed */
    const enum CBLAS_TRANSPOSE cta = ta ? CblasTrans : CblasNoTrans, ctb = tb ? CblasTrans : CblasNoTrans;
    float *a = aligned_alloc(64, ((size_t)m * k * 4 + 63) / 64 * 64);
    float *b = aligned_alloc(64, ((size_t)k * n * 4 + 63) / 64 * 64);
    float *c = aligned_alloc(64, ((size_t)m * n * 4 + 63) / 64 * 64);
    unsigned seed = 7;
    bench_fill(a, (size_t)m * k, &seed);
    bench_fill(b, (size_t)k * n, &seed);
    double *t1 = malloc(sizeof(double) * reps), *t2 = malloc(sizeof(double) * reps);
    /* warm up both, then alternate so that noise hits both alike */
    simd_sgemm(dev, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
    cblas_sgemm(CblasRowMajor, cta, ctb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now(cpu_clock);
        simd_sgemm(dev, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
        t1[r] = bench_now(cpu_clock) - t0;
        t0 = bench_now(cpu_clock);
        cblas_sgemm(CblasRowMajor, cta, ctb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
        t2[r] = bench_now(cpu_clock) - t0;
    }
    qsort(t1, reps, sizeof *t1, bench_cmp);
    qsort(t2, reps, sizeof *t2, bench_cmp);
    double flop = 2.0 * m * n * k, m1 = t1[reps / 2], m2 = t2[reps / 2];
    printf("M=%d N=%d K=%d%s%s: ours %.3f ms (%.1f GFLOP/s, min %.3f) openblas %.3f ms (%.1f GFLOP/s, min %.3f) "
           "ratio %.3f\n",
           m, n, k, ta ? " (A transposed)" : "", tb ? " (B transposed)" : "", m1 * 1e3, flop / m1 * 1e-9, t1[0] * 1e3, m2 * 1e3, flop / m2 * 1e-9, t2[0] * 1e3, m2 / m1);
    free(t1);
    free(t2);
    free(a);
    free(b);
    free(c);
}

int main(int argc, char **argv)
{
    cpu_clock = getenv("SEQNN_BENCH_CPU") != NULL;
    simd_device dev;
    memset(&dev, 0, sizeof dev);
    simd_threads_start();
    int reps = argc > 1 ? atoi(argv[1]) : 9;
    if (reps < 1)
        reps = 1;
    printf("threads: ours %d\n", simd_threads_count());

    /* correctness sweep */
    static const int sizes[] = { 1, 2, 5, 7, 16, 17, 31, 64, 97, 130, 257, 300 };
    const int ns = (int)(sizeof sizes / sizeof sizes[0]);
    unsigned seed = 1;
    double worst = 0;
    int cases = 0;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int s = 0; s < 40; s++) {
                int m = sizes[(s * 7 + ta) % ns], n = sizes[(s * 5 + tb + 3) % ns], k = sizes[(s * 3 + 1) % ns];
                float alpha = s % 3 == 0 ? 1.0f : -0.75f, beta = s % 4 == 0 ? 0.0f : s % 4 == 1 ? 1.0f : 0.5f;
                /* every 5th case with rows of B 16 KiB or more apart (another packing path) */
                double e = bench_case(&dev, ta, tb, m, n, k, alpha, beta, &seed, s % 5 == 4 ? 4100 : 0);
                cases++;
                if (!(e <= worst))
                    worst = e;
                if (!(e < 1e-5))
                    printf("MISMATCH ta=%d tb=%d m=%d n=%d k=%d alpha=%g beta=%g: %g\n", ta, tb, m, n, k,
                           alpha, beta, e);
            }
    printf("correctness: %d cases, max normwise difference to OpenBLAS %.3g\n", cases, worst);

    if (argc > 2) {
        for (int i = 2; i < argc; i++) {
            int m, n, k;
            if (sscanf(argv[i], "%dx%dx%d", &m, &n, &k) == 3)
                bench_time(&dev, reps, m, n, k, strchr(argv[i], 't') != NULL, strchr(argv[i], 'T') != NULL);
        }
    } else {
        bench_time(&dev, reps, 1024, 1024, 1024, 0, 0);
        for (int h = 256; h <= 1024; h *= 2)
            bench_time(&dev, reps, 64, 4 * h, h, 0, 0);
    }
    simd_device_free_scratch(&dev);
    simd_threads_stop();
    return 0;
}

/* Rate of the SIMD GEMM's micro-kernel on cache-resident packed operands,
 * against the FMA peak of the same vector width measured in the same run:
 * what the register tile itself can do once packing, the caches beyond L2
 * and the layer around it are out of the way. The tiles run through
 * simd_gemm_tile (the per-step path of the recurrent layers): A of m rows
 * (m = 64 or 32: the recurrent batches) packed once, `panels` packed B panels
 * of depth k cycling (panels x k x NR floats: 4 x 384 x 32 = 192 KiB with
 * avx512, in L2), C += A B. Process CPU time, best of 5 samples of about
 * 0.2 s each. Usage: avx2_micro_bench [m] [k] [panels]  (64 384 4);
 * avx512_micro_bench is the same source built for 16 lanes. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include "bench_timer.h"
#include "simd_gemm.h"
#include "threads.h"
#include "vec.h"

#define MB_SAMPLES 5
#define MB_CHAINS 12                     /* independent FMA chains of the peak loop */

/* GFLOP/s of MB_CHAINS independent vf_fmadd chains (best of MB_SAMPLES);
 * *check: their sum, printed so that no chain can be left out */
static double mb_peak(float *check)
{
    vf acc[MB_CHAINS];
    const vf x = vf_set1(0.999999f), y = vf_set1(1e-7f);
    const long iters = 20000000;
    double best = 0.0;
    for (int s = 0; s < MB_SAMPLES; s++) {
        for (int i = 0; i < MB_CHAINS; i++)
            acc[i] = vf_set1(1.0f + 0.1f * (float)i);
        double t0 = bench_now(1);
        for (long it = 0; it < iters; it++) {
#pragma GCC unroll 16
            for (int i = 0; i < MB_CHAINS; i++)
                acc[i] = vf_fmadd(acc[i], x, y);
        }
        double rate = 2.0 * VW * MB_CHAINS * (double)iters / (bench_now(1) - t0) * 1e-9;
        best = rate > best ? rate : best;
    }
    vf sum = acc[0];
    for (int i = 1; i < MB_CHAINS; i++)
        sum = vf_add(sum, acc[i]);
    *check = vf_hsum(sum);
    return best;
}

int main(int argc, char **argv)
{
    int64_t m = argc > 1 ? atol(argv[1]) : 64, k = argc > 2 ? atol(argv[2]) : 384;
    int64_t panels = argc > 3 ? atol(argv[3]) : 4;
    if (m < 1 || k < 1 || panels < 1) {
        fprintf(stderr, "usage: %s [m] [k] [panels]  (all >= 1)\n", argv[0]);
        return 2;
    }
    if (simd_threads_start() != 0)
        return 1;
    const int64_t nr = simd_gemm_nr(), n = panels * nr;
    float *a = malloc((size_t)(m * k) * sizeof(float)), *b = malloc((size_t)(k * n) * sizeof(float));
    float *pa = malloc(simd_gemm_packed_a_count(m, k) * sizeof(float));
    float *pb = malloc(simd_gemm_packed_b_count(k, n) * sizeof(float));
    float *c = calloc((size_t)(m * n), sizeof(float));
    if (!a || !b || !pa || !pb || !c)
        return 1;
    for (int64_t i = 0; i < m * k; i++)
        a[i] = (float)(i % 7) * 1e-3f;
    for (int64_t i = 0; i < k * n; i++)
        b[i] = (float)(i % 5) * 1e-3f;
    simd_gemm_pack_a(0, m, k, a, k, pa);
    simd_gemm_pack_b(0, k, n, b, n, pb);

    /* one pass: every panel once, C += A B */
    const double flops = 2.0 * (double)m * (double)n * (double)k;
    long reps = (long)(0.2 * 100e9 / flops) + 1;
    double best = 0.0;
    for (int s = 0; s < MB_SAMPLES; s++) {
        double t0 = bench_now(1);
        for (long r = 0; r < reps; r++)
            simd_gemm_tile(m, k, 1.0f, pa, pb, n, 0, n, 1.0f, c, n);
        double rate = flops * (double)reps / (bench_now(1) - t0) * 1e-9;
        best = rate > best ? rate : best;
    }
    float check;
    double peak = mb_peak(&check);
    printf("%s micro-kernel (MR %d x NR %d): m=%lld k=%lld panels=%lld (%.0f KiB of packed B): %.1f GFLOP/s, "
           "%.0f%% of the %d-bit FMA peak %.1f GFLOP/s (check %g %g)\n",
           SIMD_ISA_NAME, SIMD_GEMM_MR, (int)nr, (long long)m, (long long)k, (long long)panels,
           (double)(k * n) * 4.0 / 1024.0, best, 100.0 * best / peak, 32 * VW, peak, (double)c[0], (double)check);
    free(a);
    free(b);
    free(pa);
    free(pb);
    free(c);
    simd_threads_stop();
    return 0;
}

/* Rate of the SIMD GEMM's micro-kernel on cache-resident packed operands,
 * against the FMA peak of the same vector width measured in the same run:
 * what the register tile itself can do once packing, the caches beyond L2
 * and the layer around it are out of the way. The tiles run through
 * simd_gemm_tile (the per-step path of the recurrent layers): A of m rows
 * (m = 64 or 32: the recurrent batches) packed once, `panels` packed B panels
 * of depth k cycling (panels x k x NR floats: 4 x 384 x 32 = 192 KiB with
 * avx512, in L2), C += A B. The packed operands are 64-byte aligned, as the
 * plugin's scratch is (a packed B panel from plain malloc splits every
 * 512-bit load across two cache lines: 73-75% instead of 82-85% of the
 * peak). Process CPU time; tile and peak samples (about 0.1 s each)
 * alternate, and the median of the per-pair ratios is printed, so that a
 * change of load or clock between samples moves both. Usage:
 * avx2_micro_bench [m] [k] [panels]  (64 384 4); avx512_micro_bench is the
 * same source built for 16 lanes. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include "bench_timer.h"
#include "simd_gemm.h"
#include "threads.h"
#include "vec.h"

#define MB_SAMPLES 9                     /* tile samples, each followed by a peak sample */
#define MB_CHAINS 12                     /* independent FMA chains of the peak loop */

/* GFLOP/s of MB_CHAINS independent vf_fmadd chains over about 0.1 s;
 * *check: their sum, printed so that no chain can be left out */
static double mb_peak(float *check)
{
    vf acc[MB_CHAINS];
    const vf x = vf_set1(0.999999f), y = vf_set1(1e-7f);
    const long iters = 10000000 * 8 / VW;
    for (int i = 0; i < MB_CHAINS; i++)
        acc[i] = vf_set1(1.0f + 0.1f * (float)i);
    double t0 = bench_now(1);
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 16
        for (int i = 0; i < MB_CHAINS; i++)
            acc[i] = vf_fmadd(acc[i], x, y);
    }
    double rate = 2.0 * VW * MB_CHAINS * (double)iters / (bench_now(1) - t0) * 1e-9;
    vf sum = acc[0];
    for (int i = 1; i < MB_CHAINS; i++)
        sum = vf_add(sum, acc[i]);
    *check = vf_hsum(sum);
    return rate;
}

/* 64-byte aligned floats (the plugin's scratch alignment) */
static float *mb_alloc(size_t count)
{
    return aligned_alloc(64, (count * sizeof(float) + 63) / 64 * 64);
}

static double mb_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), bench_cmp);
    return v[n / 2];
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
    float *pa = mb_alloc(simd_gemm_packed_a_count(m, k)), *pb = mb_alloc(simd_gemm_packed_b_count(k, n));
    float *c = mb_alloc((size_t)(m * n));
    if (!a || !b || !pa || !pb || !c)
        return 1;
    for (int64_t i = 0; i < m * n; i++)
        c[i] = 0.0f;
    for (int64_t i = 0; i < m * k; i++)
        a[i] = (float)(i % 7) * 1e-3f;
    for (int64_t i = 0; i < k * n; i++)
        b[i] = (float)(i % 5) * 1e-3f;
    simd_gemm_pack_a(0, m, k, a, k, pa);
    simd_gemm_pack_b(0, k, n, b, n, pb);

    /* one pass: every panel once, C += A B */
    const double flops = 2.0 * (double)m * (double)n * (double)k;
    long reps = (long)(0.1 * 100e9 / flops) + 1;
    double tile[MB_SAMPLES], peak[MB_SAMPLES], ratio[MB_SAMPLES];
    float check = 0.0f;
    for (int s = 0; s < MB_SAMPLES; s++) {
        double t0 = bench_now(1);
        for (long r = 0; r < reps; r++)
            simd_gemm_tile(m, k, 1.0f, pa, pb, n, 0, n, 1.0f, c, n);
        tile[s] = flops * (double)reps / (bench_now(1) - t0) * 1e-9;
        peak[s] = mb_peak(&check);
        ratio[s] = tile[s] / peak[s];
    }
    double r_med = mb_median(ratio, MB_SAMPLES), r_lo = ratio[0], r_hi = ratio[MB_SAMPLES - 1];
    printf("%s micro-kernel (MR %d x NR %d): m=%lld k=%lld panels=%lld (%.0f KiB of packed B): %.1f GFLOP/s, "
           "%.0f%% [%.0f-%.0f] of the %d-bit FMA peak %.1f GFLOP/s (medians of %d alternating samples; "
           "check %g %g)\n",
           SIMD_ISA_NAME, SIMD_GEMM_MR, (int)nr, (long long)m, (long long)k, (long long)panels,
           (double)(k * n) * 4.0 / 1024.0, mb_median(tile, MB_SAMPLES), 100.0 * r_med, 100.0 * r_lo, 100.0 * r_hi,
           32 * VW, mb_median(peak, MB_SAMPLES), MB_SAMPLES, (double)c[0], (double)check);
    free(a);
    free(b);
    free(pa);
    free(pb);
    free(c);
    simd_threads_stop();
    return 0;
}

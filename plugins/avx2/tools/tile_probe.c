/* Register tiles of a 512-bit SGEMM micro-kernel side by side, outside the
 * plugin, each a plain k loop over an A panel that stays in L1 and `panels`
 * B panels cycling (4 x 384 x 48 floats: in L2), C stored once per call:
 *   13x32, 8x48, 14x32  intrinsics as the plugin writes them (13 x 32 is the
 *                       avx512 plugin's: 13 broadcasts and 2 loads per 26 FMAs)
 *   13x32-eb            the A broadcast folded into each FMA's memory operand
 *                       (vfmadd231ps zmm, zmm, m32{1to16}, as oneDNN's kernels
 *                       do): 26 broadcast loads per 26 FMAs, since each A
 *                       element feeds two FMAs (one per B vector)
 *   13x32-nobc, -noload the same FMAs with the A broadcasts (resp. all loads)
 *                       taken out: what the loads cost (wrong results, timing only)
 * The three 13 x 32 variants are inline assembly, because gcc keeps one
 * broadcast register for the two FMAs of a row and never emits the folded
 * form for this tile. Every round also times a 12-chain FMA loop of the same
 * width (the peak), and each tile's rate is given as a percentage of the
 * peak of its round; the median round is printed. Process CPU time, 5
 * rounds. Built only where the compiler targets AVX-512F (the avx512
 * plugin's directory). Usage: avx512_tile_probe [k] [panels]  (384 4) */
#define _POSIX_C_SOURCE 200809L
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include "bench_timer.h"

/* C[R x 16V] = A[R, k] (packed: a[p*R + r]) * B[k, 16V] (packed rows) */
#define TP_TILE(name, R, V)                                                                             \
    __attribute__((noinline)) static void name(long kc, const float *a, const float *b, float *c)     \
    {                                                                                                   \
        __m512 acc[R][V];                                                                               \
        for (int r = 0; r < R; r++)                                                                     \
            for (int v = 0; v < V; v++)                                                                 \
                acc[r][v] = _mm512_setzero_ps();                                                        \
        for (long p = 0; p < kc; p++, b += 16 * V) {                                                    \
            __m512 bv[V];                                                                               \
            for (int v = 0; v < V; v++)                                                                 \
                bv[v] = _mm512_loadu_ps(b + 16 * v);                                                    \
            _Pragma("GCC unroll 16") for (int r = 0; r < R; r++)                                        \
            {                                                                                           \
                __m512 av = _mm512_set1_ps(a[p * R + r]);                                               \
                for (int v = 0; v < V; v++)                                                             \
                    acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);                                  \
            }                                                                                           \
        }                                                                                               \
        for (int r = 0; r < R; r++)                                                                     \
            for (int v = 0; v < V; v++)                                                                 \
                _mm512_storeu_ps(c + r * 16 * V + 16 * v, acc[r][v]);                                   \
    }
TP_TILE(tp_13x32, 13, 2)
TP_TILE(tp_8x48, 8, 3)
TP_TILE(tp_14x32, 14, 2)

/* 13 x 32 in assembly: accumulators zmm0-25 (row r in zmm 2r, 2r+1), B in
 * zmm29/30, the broadcast in zmm31; ROW is one row's k step in each form */
#define TP_ROW_BC(off, x, y)                                                                            \
    "vbroadcastss " #off "(%[a]), %%zmm31\n\t"                                                          \
    "vfmadd231ps %%zmm31, %%zmm29, %%zmm" #x "\n\t"                                                     \
    "vfmadd231ps %%zmm31, %%zmm30, %%zmm" #y "\n\t"
#define TP_ROW_EB(off, x, y)                                                                            \
    "vfmadd231ps " #off "(%[a])%{1to16%}, %%zmm29, %%zmm" #x "\n\t"                                     \
    "vfmadd231ps " #off "(%[a])%{1to16%}, %%zmm30, %%zmm" #y "\n\t"
#define TP_ROW_NOBC(off, x, y)                                                                          \
    "vfmadd231ps %%zmm31, %%zmm29, %%zmm" #x "\n\t"                                                     \
    "vfmadd231ps %%zmm31, %%zmm30, %%zmm" #y "\n\t"
#define TP_B_LOAD "vmovups (%[b]), %%zmm29\n\tvmovups 64(%[b]), %%zmm30\n\t"
#define TP_ROWS(ROW)                                                                                    \
    ROW(0, 0, 1) ROW(4, 2, 3) ROW(8, 4, 5) ROW(12, 6, 7) ROW(16, 8, 9) ROW(20, 10, 11) ROW(24, 12, 13)  \
    ROW(28, 14, 15) ROW(32, 16, 17) ROW(36, 18, 19) ROW(40, 20, 21) ROW(44, 22, 23) ROW(48, 24, 25)
#define TP_ZERO(i) "vpxord %%zmm" #i ", %%zmm" #i ", %%zmm" #i "\n\t"
#define TP_STORE(i) "vmovups %%zmm" #i ", " #i "*64(%[c])\n\t"
#define TP_26(M)                                                                                        \
    M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15) M(16) M(17)  \
    M(18) M(19) M(20) M(21) M(22) M(23) M(24) M(25)
#define TP_ASM_TILE(name, BLOAD, ROW)                                                                   \
    __attribute__((noinline)) static void name(long kc, const float *a, const float *b, float *c)     \
    {                                                                                                   \
        __asm__ volatile(TP_26(TP_ZERO) "vpxord %%zmm29, %%zmm29, %%zmm29\n\t"                          \
                         "vpxord %%zmm30, %%zmm30, %%zmm30\n\t"                                         \
                         "vpxord %%zmm31, %%zmm31, %%zmm31\n\t"                                         \
                         "1:\n\t" BLOAD TP_ROWS(ROW)                                                    \
                         "add $128, %[b]\n\t"                                                           \
                         "add $52, %[a]\n\t"                                                            \
                         "dec %[k]\n\t"                                                                 \
                         "jnz 1b\n\t" TP_26(TP_STORE)                                                   \
                         : [a] "+r"(a), [b] "+r"(b), [k] "+r"(kc)                                       \
                         : [c] "r"(c)                                                                   \
                         : "cc", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",      \
                           "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",         \
                           "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22",      \
                           "xmm23", "xmm24", "xmm25", "xmm29", "xmm30", "xmm31");                       \
    }
TP_ASM_TILE(tp_13x32_bc, TP_B_LOAD, TP_ROW_BC)
TP_ASM_TILE(tp_13x32_eb, TP_B_LOAD, TP_ROW_EB)
TP_ASM_TILE(tp_13x32_nobc, TP_B_LOAD, TP_ROW_NOBC)
TP_ASM_TILE(tp_13x32_noload, "", TP_ROW_NOBC)

/* keeps every call's stores */
__attribute__((noinline)) static void tp_sink(float *c) { __asm__ volatile("" : : "r"(c) : "memory"); }

typedef void (*tp_fn)(long, const float *, const float *, float *);

/* GFLOP/s of `calls` calls of an R x 16V tile, the B panel changing per call */
static double tp_time(tp_fn fn, int rows, int vecs, long kc, int panels, const float *a, const float *b,
                      float *c, long calls)
{
    double t0 = bench_now(1);
    for (long i = 0; i < calls; i++) {
        fn(kc, a, b + (i % panels) * kc * 16 * vecs, c);
        tp_sink(c);
    }
    return 2.0 * rows * 16 * vecs * (double)kc * (double)calls / (bench_now(1) - t0) * 1e-9;
}

/* GFLOP/s of 12 independent 512-bit FMA chains (the peak) */
static double tp_peak(void)
{
    __m512 acc[12];
    const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
    const long iters = 10000000;
    for (int i = 0; i < 12; i++)
        acc[i] = _mm512_set1_ps(1.0f + 0.1f * (float)i);
    double t0 = bench_now(1);
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++)
            acc[i] = _mm512_fmadd_ps(acc[i], x, y);
    }
    double rate = 2.0 * 16 * 12 * (double)iters / (bench_now(1) - t0) * 1e-9;
    for (int i = 0; i < 12; i++)
        __asm__ volatile("" : : "v"(acc[i]));
    return rate;
}

#define TP_ROUNDS 5

int main(int argc, char **argv)
{
    long kc = argc > 1 ? atol(argv[1]) : 384;
    int panels = argc > 2 ? atoi(argv[2]) : 4;
    if (kc < 1 || panels < 1) {
        fprintf(stderr, "usage: %s [k] [panels]  (both >= 1)\n", argv[0]);
        return 2;
    }
    float *a = aligned_alloc(64, (size_t)(64 * kc) * 4), *b = aligned_alloc(64, (size_t)(48 * kc * panels) * 4);
    float *c = aligned_alloc(64, 64 * 48 * 4);
    if (!a || !b || !c)
        return 1;
    for (long i = 0; i < 64 * kc; i++)
        a[i] = 1e-3f * (float)(i % 7);
    for (long i = 0; i < 48 * kc * panels; i++)
        b[i] = 1e-3f * (float)(i % 5);
    static const struct {
        const char *name;
        tp_fn fn;
        int rows, vecs;
    } tiles[] = {
        { "13x32", tp_13x32, 13, 2 }, { "8x48", tp_8x48, 8, 3 }, { "14x32", tp_14x32, 14, 2 },
        { "13x32-asm", tp_13x32_bc, 13, 2 }, { "13x32-eb", tp_13x32_eb, 13, 2 },
        { "13x32-nobc", tp_13x32_nobc, 13, 2 }, { "13x32-noload", tp_13x32_noload, 13, 2 },
    };
    enum { NT = sizeof tiles / sizeof tiles[0] };
    double pct[NT][TP_ROUNDS], rate[NT][TP_ROUNDS], peak[TP_ROUNDS];
    long calls = 100000000 / kc / 26;
    for (int round = 0; round < TP_ROUNDS; round++) {
        peak[round] = tp_peak();
        for (int t = 0; t < NT; t++) {
            rate[t][round] = tp_time(tiles[t].fn, tiles[t].rows, tiles[t].vecs, kc, panels, a, b, c, calls);
            pct[t][round] = 100.0 * rate[t][round] / peak[round];
        }
    }
    qsort(peak, TP_ROUNDS, sizeof(double), bench_cmp);
    printf("k=%ld panels=%d, median of %d rounds (peak %.1f GFLOP/s [%.1f-%.1f]):\n", kc, panels, TP_ROUNDS,
           peak[TP_ROUNDS / 2], peak[0], peak[TP_ROUNDS - 1]);
    for (int t = 0; t < NT; t++) {
        qsort(pct[t], TP_ROUNDS, sizeof(double), bench_cmp);
        qsort(rate[t], TP_ROUNDS, sizeof(double), bench_cmp);
        printf("  %-13s %6.1f GFLOP/s  %3.0f%% [%.0f-%.0f] of its round's peak\n", tiles[t].name,
               rate[t][TP_ROUNDS / 2], pct[t][TP_ROUNDS / 2], pct[t][0], pct[t][TP_ROUNDS - 1]);
    }
    free(a);
    free(b);
    free(c);
    return 0;
}

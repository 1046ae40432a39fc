/* Register tiles of a 512-bit SGEMM micro-kernel side by side, outside the
 * plugin: 13 x 32 (the avx512 plugin's: 13 broadcasts and 2 loads per 26
 * FMAs), 8 x 48 (8 broadcasts and 3 loads per 24 FMAs) and 14 x 32, each a
 * plain k loop over an A panel that stays in L1 and `panels` B panels
 * cycling (4 x 384 x 48 floats: in L2), C stored once per call. It asks
 * whether another tile shape would run closer to the FMA peak than the
 * plugin's; compare with avx512_micro_bench's peak line. Process CPU time,
 * 3 rounds. Built only where the compiler targets AVX-512F (the avx512
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
    long calls = 200000000 / kc / 26;
    for (int round = 0; round < 3; round++)
        printf("k=%ld panels=%d: 13x32 %.1f  8x48 %.1f  14x32 %.1f GFLOP/s\n", kc, panels,
               tp_time(tp_13x32, 13, 2, kc, panels, a, b, c, calls), tp_time(tp_8x48, 8, 3, kc, panels, a, b, c, calls),
               tp_time(tp_14x32, 14, 2, kc, panels, a, b, c, calls));
    free(a);
    free(b);
    free(c);
    return 0;
}

/* Shared by the peer harnesses of `seqnn bench` (bench/peer_*.c): argument
 * parsing and the line protocol they answer in.
 *
 * A harness is run as   seqnn-peer-X OP key=value ...   (OP: gemm, rnn, ...;
 * keys as the bench case: m n k, cell hidden batch seq input layers bidir
 * train, reps warmup clock=wall|cpu threads) and prints, on stdout:
 *   isa TEXT            what the peer ran on (its kernel / ISA, measured at run time)
 *   note TEXT           anything worth showing next to its row
 *   sample SECONDS      one line per timed repetition (after the warm-ups)
 *   unavailable REASON  instead of samples, when it cannot run this case
 * The caller (cli/bench_peers.c) reads them; cli/bench_report.c computes the
 * medians and spreads itself, the same way for every implementation. */
#ifndef SEQNN_BENCH_PEER_COMMON_H
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#define SEQNN_BENCH_PEER_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench_timer.h"

/* value of key=... among argv[2..], or def */
static inline const char *peer_arg(int argc, char **argv, const char *key, const char *def)
{
    size_t n = strlen(key);
    for (int i = 2; i < argc; i++)
        if (!strncmp(argv[i], key, n) && argv[i][n] == '=')
            return argv[i] + n + 1;
    return def;
}

static inline int64_t peer_int(int argc, char **argv, const char *key, int64_t def)
{
    const char *v = peer_arg(argc, argv, key, NULL);
    return v ? strtoll(v, NULL, 10) : def;
}

/* deterministic values in [-scale, scale) */
static inline void peer_fill(float *x, size_t n, unsigned seed, float scale)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(((double)(seed >> 8) * (1.0 / 16777216.0) * 2.0 - 1.0) * scale);
    }
}

static inline float *peer_alloc(size_t n)
{
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    if (!p) {
        printf("unavailable out of memory (%zu bytes)\n", bytes);
        exit(0);
    }
    return p;
}

typedef void (*peer_fn)(void *ctx);

/* warm-ups, then reps timed calls of fn, one "sample" line each; the clock:
 * process CPU time when clock=cpu (all threads), wall clock otherwise */
static inline void peer_time(int argc, char **argv, peer_fn fn, void *ctx)
{
    int reps = (int)peer_int(argc, argv, "reps", 5), warmup = (int)peer_int(argc, argv, "warmup", 1);
    int cpu = !strcmp(peer_arg(argc, argv, "clock", "wall"), "cpu");
    for (int i = 0; i < warmup; i++)
        fn(ctx);
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now(cpu);
        fn(ctx);
        printf("sample %.9f\n", bench_now(cpu) - t0);
        fflush(stdout);
    }
}

#endif

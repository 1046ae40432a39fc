/* The one clock, the one sample ordering and the one median of seqnn's timing programs:
 * `seqnn bench` (cli/bench*.c), its peer harnesses (bench/peer_*.c) and the
 * AVX2 developer tools (plugins/avx2/tools/); `seqnn train` reads its rate
 * and progress from the same clock. Header-only, so that the
 * standalone harnesses and tools link no library for it. The includer
 * defines _POSIX_C_SOURCE (or _GNU_SOURCE) for clock_gettime. */
#ifndef SEQNN_BENCH_TIMER_H
#define SEQNN_BENCH_TIMER_H

#include <stdlib.h>
#include <time.h>

/* seconds: the CPU time of this process (all its threads) when cpu is
 * nonzero, what to compare on a machine shared with other work (for one
 * thread it is the time the work itself took); the monotonic wall clock
 * otherwise */
static inline double bench_now(int cpu)
{
    struct timespec ts;
    clock_gettime(cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* qsort comparison of doubles, ascending (samples before a median) */
static inline int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median, min and max of n > 0 samples t (sorted in place). */
typedef struct bench_stats {
    double median, min, max;
} bench_stats;

static inline bench_stats bench_stats_of(double *t, int n)
{
    bench_stats s;
    qsort(t, (size_t)n, sizeof *t, bench_cmp);
    s.median = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    s.min = t[0];
    s.max = t[n - 1];
    return s;
}

#endif

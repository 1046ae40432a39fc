/* `seqnn bench`'s measures of the machine itself, taken in the same run as
 * the timings: the FMA peak (12 independent FMA chains per thread of 256-bit
 * vectors, and of 512-bit ones where the CPU has AVX-512F, each thread timed
 * by its own CPU time) that the "peak" column divides by, and a
 * streaming triad a = b + s*c, the bandwidth peer of the optimizer cases.
 * The peak is x86 only (AVX2 and FMA); elsewhere it is "not measured" and the
 * triad runs as a plain C loop. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "bench.h"
#include "bench_timer.h"

#if defined(__x86_64__) || defined(__i386__)
#define BENCH_X86 1
#include <immintrin.h>

/* whether the CPU runs the AVX2/FMA loops (after __builtin_cpu_init) */
static int cpu_has_avx2_fma(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* 12 independent FMA chains of one vector type: the loop of both widths */
#define PEAK_LOOP(name, target_isa, vec, set1, fmadd, add, store, lanes)                                  \
    __attribute__((target(target_isa))) static float name(int64_t iters)                                \
    {                                                                                                    \
        vec m = set1(0.999999f), c = set1(1e-7f), a[12];                                                 \
        for (int j = 0; j < 12; j++)                                                                     \
            a[j] = set1(1.0f + 0.1f * (float)j);                                                         \
        for (int64_t i = 0; i < iters; i++) {                                                            \
            a[0] = fmadd(a[0], m, c);                                                                    \
            a[1] = fmadd(a[1], m, c);                                                                    \
            a[2] = fmadd(a[2], m, c);                                                                    \
            a[3] = fmadd(a[3], m, c);                                                                    \
            a[4] = fmadd(a[4], m, c);                                                                    \
            a[5] = fmadd(a[5], m, c);                                                                    \
            a[6] = fmadd(a[6], m, c);                                                                    \
            a[7] = fmadd(a[7], m, c);                                                                    \
            a[8] = fmadd(a[8], m, c);                                                                    \
            a[9] = fmadd(a[9], m, c);                                                                    \
            a[10] = fmadd(a[10], m, c);                                                                  \
            a[11] = fmadd(a[11], m, c);                                                                  \
        }                                                                                                \
        vec s = a[0];                                                                                    \
        for (int j = 1; j < 12; j++)                                                                     \
            s = add(s, a[j]);                                                                            \
        float out[lanes];                                                                                \
        store(out, s);                                                                                   \
        return out[0];                                                                                   \
    }
PEAK_LOOP(peak_loop, "avx2,fma", __m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_storeu_ps, 8)
PEAK_LOOP(peak_loop512, "avx512f", __m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_storeu_ps, 16)

#define PEAK_ITERS 4000000               /* 768 MFLOP per thread: about 6 ms at peak */

typedef struct peak_job {
    pthread_barrier_t *barrier;
    int wide;                            /* 1: 512-bit FMA, 0: 256-bit */
    double seconds;
    float sink;
} peak_job;

static double thread_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *peak_thread(void *p)
{
    peak_job *j = p;
    pthread_barrier_wait(j->barrier);
    double t0 = thread_cpu_now();
    j->sink = j->wide ? peak_loop512(PEAK_ITERS) : peak_loop(PEAK_ITERS);
    j->seconds = thread_cpu_now() - t0;
    return NULL;
}

/* FMA GFLOP/s of `threads` threads running at once, each timed by its own CPU
 * time (so time-sharing with other processes does not lower it), best of
 * several tries, with 256-bit (wide = 0) or 512-bit vectors; 0 when the CPU
 * lacks AVX2/FMA, or AVX-512F for wide */
static double peak_measure(int threads, int wide)
{
    __builtin_cpu_init();
    if (!cpu_has_avx2_fma() || (wide && !__builtin_cpu_supports("avx512f")))
        return 0;
    double best = 0;
    for (int attempt = 0; attempt < 15; attempt++) {
        pthread_t tid[64];
        peak_job jobs[64];
        pthread_barrier_t barrier;
        int nt = threads < 1 ? 1 : threads > 64 ? 64 : threads;
        pthread_barrier_init(&barrier, NULL, (unsigned)nt);
        for (int i = 0; i < nt; i++) {
            jobs[i].barrier = &barrier;
            jobs[i].wide = wide;
            if (i > 0)
                pthread_create(&tid[i], NULL, peak_thread, &jobs[i]);
        }
        peak_thread(&jobs[0]);
        double worst = jobs[0].seconds;
        for (int i = 1; i < nt; i++) {
            pthread_join(tid[i], NULL);
            if (jobs[i].seconds > worst)
                worst = jobs[i].seconds;
        }
        pthread_barrier_destroy(&barrier);
        double g = (double)nt * PEAK_ITERS * 12.0 * (wide ? 32.0 : 16.0) / worst * 1e-9;
        if (g > best)
            best = g;
    }
    return best;
}

double bench_peak_measure(int threads)
{
    return peak_measure(threads, 0);
}

double bench_peak512_measure(int threads)
{
    return peak_measure(threads, 1);
}

const char *bench_peak_absent(void)
{
    __builtin_cpu_init();
    return cpu_has_avx2_fma() ? NULL : "not measured: this CPU lacks AVX2/FMA";
}

/* 8 floats a step with AVX loads and ordinary stores (as the optimizer
 * kernels store); chunk bounds are multiples of 16 floats (64-byte lines) */
__attribute__((target("avx2,fma"))) static void triad_avx2(float *restrict a, const float *restrict b,
                                                          const float *restrict c, int64_t lo, int64_t hi)
{
    const __m256 s = _mm256_set1_ps(0.5f);
    int64_t i = lo;
    for (; i + 16 <= hi; i += 16) {
        _mm256_store_ps(a + i, _mm256_fmadd_ps(s, _mm256_load_ps(c + i), _mm256_load_ps(b + i)));
        _mm256_store_ps(a + i + 8, _mm256_fmadd_ps(s, _mm256_load_ps(c + i + 8), _mm256_load_ps(b + i + 8)));
    }
    for (; i < hi; i++)
        a[i] = b[i] + 0.5f * c[i];
}

#else /* not x86: no peak probe */

double bench_peak_measure(int threads)
{
    (void)threads;
    return 0;
}

double bench_peak512_measure(int threads)
{
    (void)threads;
    return 0;
}

const char *bench_peak_absent(void)
{
    return "not measured on this architecture";
}

#endif

typedef struct triad_job {
    float *a, *b, *c;
    int64_t lo, hi;
} triad_job;

/* what the triad runs: AVX2 loads and ordinary stores, or a plain C loop */
static const char *triad_kernel(void)
{
#ifdef BENCH_X86
    if (cpu_has_avx2_fma())
        return "AVX2 loads, ordinary stores";
#endif
    return "plain C loop";
}

static void *triad_thread(void *p)
{
    triad_job *j = p;
#ifdef BENCH_X86
    if (cpu_has_avx2_fma()) {
        triad_avx2(j->a, j->b, j->c, j->lo, j->hi);
        return NULL;
    }
#endif
    float *restrict a = j->a;
    const float *restrict b = j->b, *restrict c = j->c;
    for (int64_t i = j->lo; i < j->hi; i++)
        a[i] = b[i] + 0.5f * c[i];
    return NULL;
}

static void *triad_init_thread(void *p)
{
    triad_job *j = p;
    for (int64_t i = j->lo; i < j->hi; i++) {
        j->a[i] = 0.0f;
        j->b[i] = (float)(i & 1023) * 1e-3f;
        j->c[i] = 1.0f;
    }
    return NULL;
}

static void triad_pass(triad_job *jobs, int nt, void *(*fn)(void *))
{
    pthread_t tid[64];
    for (int i = 1; i < nt; i++)
        pthread_create(&tid[i], NULL, fn, &jobs[i]);
    fn(&jobs[0]);
    for (int i = 1; i < nt; i++)
        pthread_join(tid[i], NULL);
}

/* streaming triad a = b + s*c over n floats per array on `threads` threads
 * (each thread first touches its own part); 12 n bytes per pass */
int bench_run_triad(int64_t n, int threads, const bench_opts *o, bench_result *r)
{
    int nt = threads < 1 ? 1 : threads > 64 ? 64 : threads;
    float *a = aligned_alloc(64, (size_t)((n * 4 + 63) / 64 * 64)), *b = aligned_alloc(64, (size_t)((n * 4 + 63) / 64 * 64)),
          *c = aligned_alloc(64, (size_t)((n * 4 + 63) / 64 * 64));
    if (!a || !b || !c) {
        free(a);
        free(b);
        free(c);
        snprintf(r->note, sizeof r->note, "out of memory");
        return -1;
    }
    triad_job jobs[64];
    for (int i = 0; i < nt; i++) {
        jobs[i].a = a;
        jobs[i].b = b;
        jobs[i].c = c;
        jobs[i].lo = i == 0 ? 0 : n * i / nt / 16 * 16;
        jobs[i].hi = i == nt - 1 ? n : n * (i + 1) / nt / 16 * 16;
    }
#ifdef BENCH_X86
    __builtin_cpu_init();
#endif
    triad_pass(jobs, nt, triad_init_thread);
    for (int w = 0; w < o->warmup; w++)
        triad_pass(jobs, nt, triad_thread);
    for (int rep = 0; rep < o->reps && r->n < BENCH_MAX_SAMPLES; rep++) {
        double t0 = bench_now(o->cpu_clock);
        triad_pass(jobs, nt, triad_thread);
        r->samples[r->n++] = bench_now(o->cpu_clock) - t0;
    }
    snprintf(r->isa, sizeof r->isa, "streaming triad a = b + s*c (this program: %s), %d thread(s)", triad_kernel(), nt);
    r->work = 12.0 * (double)n;
    free(a);
    free(b);
    free(c);
    return 0;
}

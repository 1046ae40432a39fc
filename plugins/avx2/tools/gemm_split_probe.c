/* How well the SIMD GEMM's task split keeps 2 threads busy, measured apart
 * from the machine's load: the GEMM (kernels/gemm.c, compiled into this
 * program with its parallel loops wrapped) runs `reps` times; each task's
 * CPU time and the caller's CPU time between parallel loops are recorded,
 * and the call is replayed on 2 simulated threads, tasks handed out in order
 * to whichever is free first (as threads.c does), the second thread starting
 * each loop on time, 20 us or 50 us late. Prints per shape the parallel loops,
 * the tasks and the efficiency (work / (2 x simulated time); 100% = no idle
 * time), median [min-max] over the runs. Then how late the pool's worker
 * starts its first task of a job (its wake-up), over 200 jobs of 32 tasks of
 * 10 us, on this machine now (a busy machine: the worker often takes no part).
 * Usage: avx2_gemm_split_probe [reps] [MxNxK[t] ...]  (t: A transposed;
 * default: the four shapes of `seqnn bench --suite`). SEQNN_NUM_THREADS sets
 * the pool that runs the tasks (the split does not depend on it). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bench_timer.h"
#include "threads.h"

static void probe_parallel_for(int64_t ntasks, simd_task_fn fn, void *ctx);
#define simd_parallel_for probe_parallel_for
#include "kernels/gemm.c"
#undef simd_parallel_for

#define PROBE_MAX_TASKS 65536
#define PROBE_MAX_LOOPS 256

static double probe_thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* the recording of one GEMM call */
static struct {
    simd_task_fn fn;
    void *ctx;
    double task_s[PROBE_MAX_TASKS];
    int task_loop[PROBE_MAX_TASKS];
    int ntasks;                          /* recorded (atomic: tasks run on the pool) */
    double serial_s[PROBE_MAX_LOOPS];    /* caller's CPU time before each loop */
    int nloops;
    double mark;
} rec;

static void probe_task(void *ctx, int64_t task, int tid)
{
    (void)ctx;
    double t0 = probe_thread_cpu();
    rec.fn(rec.ctx, task, tid);
    int i = __atomic_fetch_add(&rec.ntasks, 1, __ATOMIC_RELAXED);
    if (i < PROBE_MAX_TASKS) {
        rec.task_s[i] = probe_thread_cpu() - t0;
        rec.task_loop[i] = rec.nloops;
    }
}

static void probe_parallel_for(int64_t ntasks, simd_task_fn fn, void *ctx)
{
    if (rec.nloops < PROBE_MAX_LOOPS)
        rec.serial_s[rec.nloops] = probe_thread_cpu() - rec.mark;
    rec.fn = fn;
    rec.ctx = ctx;
    simd_parallel_for(ntasks, probe_task, NULL);
    rec.nloops++;
    rec.mark = probe_thread_cpu();
}

/* the recorded call on 2 threads, the second `late` seconds late in each
 * loop: work / (2 x makespan) */
static double probe_replay(double late)
{
    double t = 0, work = 0;
    int i = 0;
    const int nt = rec.ntasks < PROBE_MAX_TASKS ? rec.ntasks : PROBE_MAX_TASKS;
    const int nl = rec.nloops < PROBE_MAX_LOOPS ? rec.nloops : PROBE_MAX_LOOPS;
    for (int l = 0; l < nl; l++) {
        t += rec.serial_s[l];
        work += rec.serial_s[l];
        double free_at[2] = {t, t + late};
        for (; i < nt && rec.task_loop[i] == l; i++) {
            int th = free_at[0] <= free_at[1] ? 0 : 1;
            free_at[th] += rec.task_s[i];
            work += rec.task_s[i];
        }
        t = free_at[0] > free_at[1] ? free_at[0] : free_at[1];
    }
    return t > 0 ? work / (2 * t) : 1.0;
}

static void probe_shape(simd_device *dev, int reps, int m, int n, int k, int ta)
{
    float *a = malloc((size_t)m * k * sizeof(float)), *b = malloc((size_t)k * n * sizeof(float));
    float *c = malloc((size_t)m * n * sizeof(float));
    double *eff[3];
    for (int l = 0; l < 3; l++)
        eff[l] = malloc(sizeof(double) * reps);
    for (size_t i = 0; i < (size_t)m * k; i++)
        a[i] = (float)(i % 7) * 0.125f;
    for (size_t i = 0; i < (size_t)k * n; i++)
        b[i] = (float)(i % 5) * 0.25f;
    static const double late[3] = {0, 20e-6, 50e-6};
    simd_sgemm(dev, ta, 0, m, n, k, 1.0f, a, ta ? m : k, b, n, 0.0f, c, n);   /* warm-up */
    for (int r = 0; r < reps; r++) {
        rec.ntasks = rec.nloops = 0;
        rec.mark = probe_thread_cpu();
        simd_sgemm(dev, ta, 0, m, n, k, 1.0f, a, ta ? m : k, b, n, 0.0f, c, n);
        for (int l = 0; l < 3; l++)
            eff[l][r] = probe_replay(late[l]);
    }
    printf("M=%d N=%d K=%d%s: %d parallel loops, %d tasks; 2-thread efficiency, median [min-max] of %d:",
           m, n, k, ta ? " (A transposed)" : "", rec.nloops, rec.ntasks, reps);
    for (int l = 0; l < 3; l++) {
        qsort(eff[l], reps, sizeof(double), bench_cmp);
        printf(" %s %.1f%% [%.1f-%.1f]%s", l == 0 ? "second thread on time" : l == 1 ? "20 us late" : "50 us late",
               100 * eff[l][reps / 2], 100 * eff[l][0], 100 * eff[l][reps - 1], l < 2 ? "," : "\n");
        free(eff[l]);
    }
    free(a);
    free(b);
    free(c);
}

/* the pool's wake-up: when its worker starts its first task of a job */
static double wake_start, wake_first[2];

static void wake_task(void *ctx, int64_t task, int tid)
{
    (void)ctx;
    (void)task;
    double s = bench_now(0);
    if (tid < 2 && wake_first[tid] == 0)
        wake_first[tid] = s;
    while (bench_now(0) - s < 10e-6)
        ;
}

static void probe_wake(void)
{
    double d[200];
    int n = 0;
    for (int r = 0; r < 200; r++) {
        usleep(r % 2 ? 100 : 2000);      /* the worker asleep on its condition variable */
        wake_first[0] = wake_first[1] = 0;
        wake_start = bench_now(0);
        simd_parallel_for(32, wake_task, NULL);
        if (wake_first[1] > 0)
            d[n++] = (wake_first[1] - wake_start) * 1e6;
    }
    if (n == 0) {
        printf("pool: the worker took part in none of 200 jobs of 32 x 10 us\n");
        return;
    }
    qsort(d, n, sizeof(double), bench_cmp);
    printf("pool: the worker took part in %d of 200 jobs of 32 x 10 us; its first task began after "
           "%.1f us (median; p10 %.1f, p90 %.1f)\n", n, d[n / 2], d[n / 10], d[n * 9 / 10]);
}

int main(int argc, char **argv)
{
    simd_device dev;
    memset(&dev, 0, sizeof dev);
    simd_threads_start();
    int reps = argc > 1 ? atoi(argv[1]) : 15;
    if (reps < 1)
        reps = 1;
    printf("threads running the tasks: %d\n", simd_threads_count());
    if (argc > 2) {
        for (int i = 2; i < argc; i++) {
            int m, n, k;
            if (sscanf(argv[i], "%dx%dx%d", &m, &n, &k) == 3 && m > 0 && n > 0 && k > 0)
                probe_shape(&dev, reps, m, n, k, strchr(argv[i], 't') != NULL);
        }
    } else {
        static const int shapes[4][3] = {{1024, 1024, 1024}, {64, 1024, 256}, {64, 2048, 512}, {64, 4096, 1024}};
        for (int i = 0; i < 4; i++)
            probe_shape(&dev, reps, shapes[i][0], shapes[i][1], shapes[i][2], 0);
    }
    if (simd_threads_count() >= 2)
        probe_wake();
    simd_device_free_scratch(&dev);
    simd_threads_stop();
    return 0;
}

/* Developer statistics of the SIMD thread pool, compiled into threads.c only
 * with -DSIMD_THREADS_STATS (the avx2_rnn_pool_stats tool; never in a
 * plugin): per job, how long after it was posted a worker took its first
 * task, how long the caller waited for the last task after running its own,
 * the tasks each thread ran and how many ran on another thread than the last
 * time. Printed to stderr when the pool stops. Times in microseconds. */
#ifndef SEQNN_SIMD_THREADS_STATS_H
#define SEQNN_SIMD_THREADS_STATS_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define STATS_MAX 65536                  /* jobs whose times are kept for the medians */

static struct {
    double post, caller_done;            /* the current job */
    atomic_int joined;                   /* a worker took part in the current job */
    double join;
    long jobs, joins, tasks_caller, tasks_workers, moved;
    double wake_sum, wait_sum;
    float wake[STATS_MAX], wait[STATS_MAX];
    long nwake, nwait;
    signed char last[4096];              /* thread that ran task t last time (+1) */
} stats;

static double stats_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

/* the caller, under the pool's lock, as it posts a job */
static void stats_posted(void)
{
    atomic_store(&stats.joined, 0);
    stats.post = stats_now();
}

/* a worker, as it takes up a job */
static void stats_worker_joined(void)
{
    if (atomic_exchange(&stats.joined, 1) == 0)
        stats.join = stats_now();
}

/* any thread, after running task t */
static void stats_task_ran(int64_t t, int self)
{
    if (self == 0)
        stats.tasks_caller++;
    else
        __atomic_fetch_add(&stats.tasks_workers, 1, __ATOMIC_RELAXED);
    if (t < 4096 && stats.last[t] != self + 1) {
        __atomic_fetch_add(&stats.moved, 1, __ATOMIC_RELAXED);
        stats.last[t] = (signed char)(self + 1);
    }
}

/* the caller, once its own tasks are done and then once all are */
static void stats_caller_done(void)
{
    stats.caller_done = stats_now();
}

static void stats_job_over(void)
{
    double wait = stats_now() - stats.caller_done;
    stats.jobs++;
    stats.wait_sum += wait;
    if (stats.nwait < STATS_MAX)
        stats.wait[stats.nwait++] = (float)wait;
    if (atomic_load(&stats.joined)) {
        double wake = stats.join - stats.post;
        stats.joins++;
        stats.wake_sum += wake;
        if (stats.nwake < STATS_MAX)
            stats.wake[stats.nwake++] = (float)wake;
    }
}

static int stats_cmp(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static double stats_median(float *v, long n)
{
    if (n == 0)
        return 0.0;
    qsort(v, (size_t)n, sizeof *v, stats_cmp);
    return v[n / 2];
}

static void stats_print(void)
{
    if (stats.jobs == 0)
        return;
    fprintf(stderr,
            "pool: %ld jobs; a worker took part in %ld, its first task %.1f us after the post (mean; median %.1f); "
            "the caller then waited %.1f us for the last task (mean; median %.1f); tasks run by the caller %ld, "
            "by workers %ld; tasks on another thread than the last time %ld\n",
            stats.jobs, stats.joins, stats.joins ? stats.wake_sum / stats.joins : 0.0,
            stats_median(stats.wake, stats.nwake), stats.wait_sum / stats.jobs, stats_median(stats.wait, stats.nwait),
            stats.tasks_caller, stats.tasks_workers, stats.moved);
}

#endif

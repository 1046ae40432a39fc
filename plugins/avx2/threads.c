/* A small pthread pool for the SIMD plugins (see threads.h): workers sleep on
 * a condition variable, take task indices from an atomic counter, and the
 * caller joins in. One job at a time; a second caller runs serially. */
#define _GNU_SOURCE
#include "threads.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#define THREADS_MAX 256

static struct {
    pthread_mutex_t lock;                /* guards everything below but `next` */
    pthread_cond_t wake, done;
    pthread_mutex_t job_lock;            /* held by the one caller running a job */
    pthread_t workers[THREADS_MAX];
    int nworkers;                        /* threads besides the caller */
    int started, stop;
    uint64_t generation;                 /* bumped for each job */
    uint64_t start_generation;           /* generation when the workers were created */
    int running;                         /* workers still in the current job */
    simd_task_fn fn;
    void *ctx;
    int64_t ntasks;
    atomic_llong next;                   /* next task index to hand out */
} threads_pool = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
    .job_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* index of the calling thread: 0 for any thread outside the pool */
static _Thread_local int threads_self;

static void threads_run_tasks(simd_task_fn fn, void *ctx, int64_t ntasks)
{
    for (;;) {
        int64_t t = atomic_fetch_add(&threads_pool.next, 1);
        if (t >= ntasks)
            break;
        fn(ctx, t, threads_self);
    }
}

static void threads_run_serial(simd_task_fn fn, void *ctx, int64_t ntasks)
{
    for (int64_t t = 0; t < ntasks; t++)
        fn(ctx, t, threads_self);
}

static void *threads_worker(void *arg)
{
    uint64_t seen = 0;
    threads_self = (int)(intptr_t)arg;
    pthread_mutex_lock(&threads_pool.lock);
    seen = threads_pool.start_generation; /* jobs before the pool started are not its own */
    for (;;) {
        while (!threads_pool.stop && threads_pool.generation == seen)
            pthread_cond_wait(&threads_pool.wake, &threads_pool.lock);
        if (threads_pool.stop)
            break;
        seen = threads_pool.generation;
        simd_task_fn fn = threads_pool.fn;
        void *ctx = threads_pool.ctx;
        int64_t ntasks = threads_pool.ntasks;
        pthread_mutex_unlock(&threads_pool.lock);
        threads_run_tasks(fn, ctx, ntasks);
        pthread_mutex_lock(&threads_pool.lock);
        if (--threads_pool.running == 0)
            pthread_cond_signal(&threads_pool.done);
    }
    pthread_mutex_unlock(&threads_pool.lock);
    return NULL;
}

/* SEQNN_NUM_THREADS if set to a positive number, else the CPUs we may run on. */
static int threads_wanted(void)
{
    const char *env = getenv("SEQNN_NUM_THREADS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v >= 1)
            return v > THREADS_MAX ? THREADS_MAX : (int)v;
    }
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n >= 1)
            return n > THREADS_MAX ? THREADS_MAX : n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > THREADS_MAX ? THREADS_MAX : (int)n;
}

int simd_threads_start(void)
{
    int rc = 0;
    pthread_mutex_lock(&threads_pool.job_lock);
    if (!threads_pool.started) {
        int want = threads_wanted();
        threads_pool.stop = 0;
        threads_pool.nworkers = 0;
        threads_pool.start_generation = threads_pool.generation;
        for (int i = 0; i < want - 1; i++) {
            if (pthread_create(&threads_pool.workers[i], NULL, threads_worker, (void *)(intptr_t)(i + 1)) != 0) {
                rc = -1;                 /* run with the workers we have */
                break;
            }
            threads_pool.nworkers++;
        }
        threads_pool.started = 1;
    }
    pthread_mutex_unlock(&threads_pool.job_lock);
    return rc;
}

void simd_threads_stop(void)
{
    pthread_mutex_lock(&threads_pool.job_lock);
    if (threads_pool.started) {
        pthread_mutex_lock(&threads_pool.lock);
        threads_pool.stop = 1;
        pthread_cond_broadcast(&threads_pool.wake);
        pthread_mutex_unlock(&threads_pool.lock);
        for (int i = 0; i < threads_pool.nworkers; i++)
            pthread_join(threads_pool.workers[i], NULL);
        threads_pool.nworkers = 0;
        threads_pool.started = 0;
    }
    pthread_mutex_unlock(&threads_pool.job_lock);
}

int simd_threads_count(void)
{
    return threads_pool.started ? threads_pool.nworkers + 1 : 1;
}

void simd_parallel_for(int64_t ntasks, simd_task_fn fn, void *ctx)
{
    if (ntasks <= 0)
        return;
    if (ntasks == 1 || pthread_mutex_trylock(&threads_pool.job_lock) != 0) {
        threads_run_serial(fn, ctx, ntasks);
        return;
    }
    if (threads_pool.nworkers == 0 || !threads_pool.started) {
        pthread_mutex_unlock(&threads_pool.job_lock);
        threads_run_serial(fn, ctx, ntasks);
        return;
    }
    pthread_mutex_lock(&threads_pool.lock);
    threads_pool.fn = fn;
    threads_pool.ctx = ctx;
    threads_pool.ntasks = ntasks;
    atomic_store(&threads_pool.next, 0);
    threads_pool.running = threads_pool.nworkers;
    threads_pool.generation++;
    pthread_cond_broadcast(&threads_pool.wake);
    pthread_mutex_unlock(&threads_pool.lock);

    threads_run_tasks(fn, ctx, ntasks);

    pthread_mutex_lock(&threads_pool.lock);
    while (threads_pool.running > 0)
        pthread_cond_wait(&threads_pool.done, &threads_pool.lock);
    pthread_mutex_unlock(&threads_pool.lock);
    pthread_mutex_unlock(&threads_pool.job_lock);
}

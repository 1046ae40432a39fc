/* A small pthread pool for the SIMD plugins (see threads.h). Between jobs a
 * worker spins for up to SEQNN_SPIN_US microseconds (default
 * THREADS_SPIN_NS), then sleeps on a condition
 * variable; the caller likewise spins before it sleeps waiting for the last
 * task. A recurrent layer runs one job per time step, each some tens of
 * microseconds long, and a futex wake-up of an idle CPU costs about as much
 * on a virtual machine. A job hands out task indices through atomic tickets
 * (one per thread's share of the tasks) that carry the job's generation, so
 * a worker that wakes late can never take a task of a later job, and the
 * caller waits only for the tasks to be done, never for idle workers to
 * check in (on a loaded machine a descheduled worker does not hold up a job
 * it took no part in: the others take its share). The caller runs tasks
 * too. One job at a time; a nested or concurrent call runs its tasks
 * serially in its own thread. */
#define _GNU_SOURCE
#include "threads.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define THREADS_MAX 256
#ifndef THREADS_SPIN_NS
#define THREADS_SPIN_NS 100000
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define threads_pause() _mm_pause()
#else
#define threads_pause() ((void)0)
#endif

#ifdef SIMD_THREADS_STATS
#include "threads_stats.h"
#define STATS(call) call
#else
#define STATS(call) ((void)0)
#endif

static struct {
    pthread_mutex_t lock;                /* guards the job description and the conditions */
    pthread_cond_t wake, done_cv;
    pthread_mutex_t job_lock;            /* held by the one caller running a job */
    pthread_t workers[THREADS_MAX];
    int nworkers;                        /* threads besides the caller */
    int started, stop;
    uint32_t generation;                 /* bumped for each job */
    uint32_t start_generation;           /* generation when the workers were created */
    simd_task_fn fn;
    void *ctx;
    int64_t ntasks;
    struct {
        _Alignas(64) atomic_ullong next; /* (generation << 32) | next task index */
    } ticket[THREADS_MAX];               /* one per thread's share of the tasks */
    atomic_llong done;                   /* tasks of the current job finished */
    atomic_uint posted;                  /* the generation, for the workers that spin between jobs */
    int sleepers;                        /* workers waiting on `wake` */
    int64_t spin_ns;                     /* how long to spin before sleeping (SEQNN_SPIN_US) */
} threads_pool = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .done_cv = PTHREAD_COND_INITIALIZER,
    .job_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* index of the calling thread: 0 for any thread outside the pool */
static _Thread_local int threads_self;

/* Thread r's share of a job's tasks: [r*ntasks/n, (r+1)*ntasks/n) of n
 * threads. A thread runs its own share first, then takes what is left of the
 * others': a task mostly runs on the same core at every step, where the
 * weights it reads stay in cache. */
static int64_t threads_share_start(int64_t r, int64_t ntasks)
{
    return r * ntasks / (threads_pool.nworkers + 1);
}

/* the next task of share r of job `gen`, or -1 when it has none left (or the
 * job is over) */
static int64_t threads_claim_share(uint32_t gen, int64_t ntasks, int r)
{
    atomic_ullong *ticket = &threads_pool.ticket[r].next;
    const int64_t end = threads_share_start(r + 1, ntasks);
    unsigned long long cur = atomic_load(ticket);
    for (;;) {
        if ((uint32_t)(cur >> 32) != gen || (int64_t)(cur & 0xffffffffu) >= end)
            return -1;
        if (atomic_compare_exchange_weak(ticket, &cur, cur + 1))
            return (int64_t)(cur & 0xffffffffu);
    }
}

/* the next task of job `gen` for the calling thread, or -1 when none is left */
static int64_t threads_claim(uint32_t gen, int64_t ntasks)
{
    const int n = threads_pool.nworkers + 1;
    for (int i = 0; i < n; i++) {
        int64_t t = threads_claim_share(gen, ntasks, (threads_self + i) % n);
        if (t >= 0)
            return t;
    }
    return -1;
}

static void threads_run_tasks(uint32_t gen, simd_task_fn fn, void *ctx, int64_t ntasks)
{
    for (;;) {
        int64_t t = threads_claim(gen, ntasks);
        if (t < 0)
            break;
        fn(ctx, t, threads_self);
        STATS(stats_task_ran(t, threads_self));
        if (atomic_fetch_add(&threads_pool.done, 1) + 1 == ntasks) {
            pthread_mutex_lock(&threads_pool.lock);
            pthread_cond_signal(&threads_pool.done_cv);
            pthread_mutex_unlock(&threads_pool.lock);
        }
    }
}

/* the waits below: a job after generation `seen` posted (`posted` is stored
 * just after the lock is released, so it may still lag behind the generation
 * a worker has seen), all `ntasks` tasks of the job done */
static int threads_posted(int64_t seen)
{
    uint32_t posted = atomic_load_explicit(&threads_pool.posted, memory_order_acquire);
    return (int32_t)(posted - (uint32_t)seen) > 0;
}

static int threads_all_done(int64_t ntasks)
{
    return atomic_load_explicit(&threads_pool.done, memory_order_acquire) >= ntasks;
}

/* Spins up to threads_pool.spin_ns until ready(arg); returns whether it is. A
 * wait on a condition variable costs a futex wake-up, which on a virtual
 * machine whose other CPU went idle takes tens of microseconds: longer than
 * a step of a small recurrent layer. */
static int threads_spin(int (*ready)(int64_t), int64_t arg)
{
    if (threads_pool.spin_ns <= 0)
        return ready(arg);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        for (int i = 0; i < 64; i++) {
            if (ready(arg))
                return 1;
            threads_pause();
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000000000LL + (t.tv_nsec - t0.tv_nsec) > threads_pool.spin_ns)
            return 0;
    }
}

static void threads_run_serial(simd_task_fn fn, void *ctx, int64_t ntasks)
{
    for (int64_t t = 0; t < ntasks; t++)
        fn(ctx, t, threads_self);
}

static void *threads_worker(void *arg)
{
    threads_self = (int)(intptr_t)arg;
    pthread_mutex_lock(&threads_pool.lock);
    uint32_t seen = threads_pool.start_generation; /* jobs before the pool started are not its own */
    for (;;) {
        if (!threads_pool.stop && threads_pool.generation == seen) {
            pthread_mutex_unlock(&threads_pool.lock);
            threads_spin(threads_posted, seen);
            pthread_mutex_lock(&threads_pool.lock);
        }
        while (!threads_pool.stop && threads_pool.generation == seen) {
            threads_pool.sleepers++;
            pthread_cond_wait(&threads_pool.wake, &threads_pool.lock);
            threads_pool.sleepers--;
        }
        if (threads_pool.stop)
            break;
        seen = threads_pool.generation;
        simd_task_fn fn = threads_pool.fn;
        void *ctx = threads_pool.ctx;
        int64_t ntasks = threads_pool.ntasks;
        pthread_mutex_unlock(&threads_pool.lock);
        STATS(stats_worker_joined());
        threads_run_tasks(seen, fn, ctx, ntasks);
        pthread_mutex_lock(&threads_pool.lock);
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

/* SEQNN_SPIN_US if set to a number of microseconds in [0, 1000000] (0: sleep
 * at once, for machines whose cores other processes need), else
 * THREADS_SPIN_NS. */
static int64_t threads_spin_wanted(void)
{
    const char *env = getenv("SEQNN_SPIN_US");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v >= 0 && v <= 1000000)
            return (int64_t)v * 1000;
    }
    return THREADS_SPIN_NS;
}

int simd_threads_start(void)
{
    int rc = 0;
    pthread_mutex_lock(&threads_pool.job_lock);
    if (!threads_pool.started) {
        int want = threads_wanted();
        threads_pool.spin_ns = threads_spin_wanted();
        threads_pool.stop = 0;
        threads_pool.nworkers = 0;
        threads_pool.start_generation = threads_pool.generation;
        atomic_store(&threads_pool.posted, threads_pool.generation);
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
    STATS(stats_print());
    pthread_mutex_lock(&threads_pool.job_lock);
    if (threads_pool.started) {
        pthread_mutex_lock(&threads_pool.lock);
        threads_pool.stop = 1;
        pthread_cond_broadcast(&threads_pool.wake);
        pthread_mutex_unlock(&threads_pool.lock);
        atomic_fetch_add(&threads_pool.posted, 1); /* ends the spinning */
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
    if (ntasks == 1 || ntasks > 0xffffffffLL || pthread_mutex_trylock(&threads_pool.job_lock) != 0) {
        threads_run_serial(fn, ctx, ntasks);
        return;
    }
    if (threads_pool.nworkers == 0 || !threads_pool.started) {
        pthread_mutex_unlock(&threads_pool.job_lock);
        threads_run_serial(fn, ctx, ntasks);
        return;
    }
    pthread_mutex_lock(&threads_pool.lock);
    uint32_t gen = ++threads_pool.generation;
    STATS(stats_posted());
    threads_pool.fn = fn;
    threads_pool.ctx = ctx;
    threads_pool.ntasks = ntasks;
    atomic_store(&threads_pool.done, 0);
    for (int r = 0; r <= threads_pool.nworkers; r++)
        atomic_store(&threads_pool.ticket[r].next,
                     (unsigned long long)gen << 32 | (unsigned long long)threads_share_start(r, ntasks));
    if (threads_pool.sleepers)
        pthread_cond_broadcast(&threads_pool.wake);
    pthread_mutex_unlock(&threads_pool.lock);
    atomic_store_explicit(&threads_pool.posted, gen, memory_order_release);

    threads_run_tasks(gen, fn, ctx, ntasks);
    STATS(stats_caller_done());

    threads_spin(threads_all_done, ntasks);
    pthread_mutex_lock(&threads_pool.lock);
    while (atomic_load(&threads_pool.done) < ntasks)
        pthread_cond_wait(&threads_pool.done_cv, &threads_pool.lock);
    pthread_mutex_unlock(&threads_pool.lock);
    STATS(stats_job_over());
    pthread_mutex_unlock(&threads_pool.job_lock);
}

/* The SIMD plugins' thread pool: all online CPUs by default, SEQNN_NUM_THREADS
 * to set. Work is split into tasks whose partition never depends on the
 * number of threads, so every result is bitwise the same for any count. */
#ifndef SEQNN_SIMD_THREADS_H
#define SEQNN_SIMD_THREADS_H

#include <stdint.h>

/* tid: index of the running thread in [0, simd_threads_count()), for
 * per-thread scratch; tasks must not let results depend on it. */
typedef void (*simd_task_fn)(void *ctx, int64_t task, int tid);

/* Starts the pool (idempotent); returns 0 on success. */
int simd_threads_start(void);
/* Stops and joins the workers (at plugin fini). */
void simd_threads_stop(void);
/* Number of threads that run tasks (1 = the caller alone). */
int simd_threads_count(void);
/* Runs fn(ctx, t) for t in [0, ntasks) on the pool and the caller; returns
 * when all are done. A nested or concurrent call runs its tasks serially in
 * the calling thread (same results). */
void simd_parallel_for(int64_t ntasks, simd_task_fn fn, void *ctx);

#endif

/* Timing of the SIMD plugins' recurrent kernels (kernels/rnn.c, linked
 * directly, no core): one layer, one direction, time-major, B=64 T=50
 * input=H by default; inference (forward without reserve) and training
 * (forward with reserve + backward with every gradient), median of `reps`
 * runs, and the fraction of the FMA peak the GEMM flops would take at
 * `peak` GFLOP/s. Compare with tools/rnn_torch_bench.py (PyTorch, same
 * shapes). Usage: avx2_rnn_bench [lstm|gru|rnn] [H] [reps] [peak_gflops] [B]
 * Threads: SEQNN_NUM_THREADS; SEQNN_BENCH_CPU: CPU time (see cpu_clock);
 * SEQNN_BENCH_INFER_ONLY: one training run only (for profiling inference).
 * Prints the medians and the fastest runs. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "simd_device.h"
#include "simd_kernels.h"
#include "threads.h"
#include "bench_timer.h"

/* SEQNN_BENCH_CPU set: the timings read the CPU time of this process (all
 * its threads, bench/bench_timer.h), which is what to compare on a machine
 * shared with other work (for 1 thread it is the time the work itself took);
 * wall-clock time otherwise. Read once, at the start of main. */
static int cpu_clock;

/* every buffer bench_buf made, freed by bench_free_all at the end */
#define BENCH_MAX_BUFS 32
static seqnn_buffer *bench_bufs[BENCH_MAX_BUFS];
static int bench_nbufs;

static void bench_free_all(void)
{
    for (int i = 0; i < bench_nbufs; i++) {
        free(bench_bufs[i]->handle);
        free(bench_bufs[i]);
    }
    bench_nbufs = 0;
}

static seqnn_buffer *bench_buf(int64_t count, unsigned *seed)
{
    seqnn_buffer *b = calloc(1, sizeof *b);
    if (bench_nbufs == BENCH_MAX_BUFS) {
        fprintf(stderr, "rnn_bench: more than %d buffers\n", BENCH_MAX_BUFS);
        exit(1);
    }
    bench_bufs[bench_nbufs++] = b;
    float *p = aligned_alloc(64, (size_t)((count * 4 + 63) / 64 * 64));
    for (int64_t i = 0; i < count; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        p[i] = (float)(((*seed >> 8) * (1.0 / 16777216.0) - 0.5) * 0.2);
    }
    b->handle = p;
    b->count = count;
    b->dtype = SEQNN_F32;
    b->magic = SEQNN_BUFFER_MAGIC;
    return b;
}

static seqnn_tref bench_ref(seqnn_buffer *b)
{
    seqnn_tref r = { b, 0 };
    return r;
}

/* FNV-1a over the bytes of a tensor: equal across thread counts when the
 * kernels are deterministic */
static uint64_t bench_hash(uint64_t h, seqnn_tref t)
{
    const unsigned char *p = t.buf->handle;
    for (int64_t i = 0; i < t.buf->count * 4; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static double bench_median(double *t, int n)
{
    qsort(t, n, sizeof *t, bench_cmp);
    return t[n / 2];
}

int main(int argc, char **argv)
{
    cpu_clock = getenv("SEQNN_BENCH_CPU") != NULL;
    const char *kind = argc > 1 ? argv[1] : "lstm";
    int64_t H = argc > 2 ? atoll(argv[2]) : 512, T = 50, B = 64, I = H;
    int reps = argc > 3 ? atoi(argv[3]) : 5;
    double peak = argc > 4 ? atof(argv[4]) : 127.0;
    if (argc > 5)
        B = atoll(argv[5]);
    if (H < 1 || B < 1) {
        fprintf(stderr, "rnn_bench: H and B must be positive\n");
        return 2;
    }
    seqnn_cell cell = strcmp(kind, "gru") == 0 ? SEQNN_CELL_GRU : strcmp(kind, "rnn") == 0 ? SEQNN_CELL_RNN_TANH
                                                                                              : SEQNN_CELL_LSTM;
    int64_t G = seqnn_cell_gates(cell);
    unsigned seed = 3;
    simd_device dev;
    memset(&dev, 0, sizeof dev);
    simd_threads_start();
    seqnn_call call = { &dev, NULL, 0 };
    if (reps < 1)
        reps = 1;

    seqnn_rnn_args a;
    memset(&a, 0, sizeof a);
    a.cell = cell;
    a.seq_len = T;
    a.batch = B;
    a.input_size = I;
    a.hidden_size = H;
    a.x = bench_ref(bench_buf(T * B * I, &seed));
    a.ldx = I;
    a.w_ih = bench_ref(bench_buf(G * H * I, &seed));
    a.w_hh = bench_ref(bench_buf(G * H * H, &seed));
    a.b_ih = bench_ref(bench_buf(G * H, &seed));
    a.b_hh = bench_ref(bench_buf(G * H, &seed));
    a.h0 = bench_ref(bench_buf(B * H, &seed));
    if (cell == SEQNN_CELL_LSTM)
        a.c0 = bench_ref(bench_buf(B * H, &seed));
    a.y = bench_ref(bench_buf(T * B * H, &seed));
    a.ldy = H;
    a.h_n = bench_ref(bench_buf(B * H, &seed));
    seqnn_tref reserve = bench_ref(bench_buf(seqnn_rnn_reserve_count(cell, T, B, H), &seed));

    /* GEMM flops: forward 2*T*B*G*H*(I+H); backward twice that (dx/dh and dW) */
    double fwd_flop = 2.0 * T * B * G * H * (I + H);
    double *t1 = malloc(sizeof(double) * reps), *t2 = malloc(sizeof(double) * reps);
    simd_rnn_forward(&call, &a);                       /* warm-up */
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now(cpu_clock);
        simd_rnn_forward(&call, &a);
        t1[r] = bench_now(cpu_clock) - t0;
    }
    seqnn_rnn_args tr = a;
    tr.reserve = reserve;
    tr.dy = bench_ref(bench_buf(T * B * H, &seed));
    tr.dh_n = bench_ref(bench_buf(B * H, &seed));
    tr.dx = bench_ref(bench_buf(T * B * I, &seed));
    tr.dw_ih = bench_ref(bench_buf(G * H * I, &seed));
    tr.dw_hh = bench_ref(bench_buf(G * H * H, &seed));
    tr.db_ih = bench_ref(bench_buf(G * H, &seed));
    tr.db_hh = bench_ref(bench_buf(G * H, &seed));
    tr.dh0 = bench_ref(bench_buf(B * H, &seed));
    tr.flags = SEQNN_FLAG_OVERWRITE;
    int train_reps = getenv("SEQNN_BENCH_INFER_ONLY") ? 1 : reps;
    simd_rnn_forward(&call, &tr);
    simd_rnn_backward(&call, &tr);
    for (int r = 0; r < train_reps; r++) {
        double t0 = bench_now(cpu_clock);
        simd_rnn_forward(&call, &tr);
        simd_rnn_backward(&call, &tr);
        t2[r] = bench_now(cpu_clock) - t0;
    }
    double m1 = bench_median(t1, reps), m2 = bench_median(t2, train_reps);
    double f1 = t1[0], f2 = t2[0];     /* sorted: the fastest runs (on a loaded machine, the nearest to a quiet one) */
    printf("%s H=%lld B=%lld T=%lld I=%lld threads=%d: inference %.2f ms (%.1f GFLOP/s, %.0f%% of %.0f), "
           "training %.2f ms (%.1f GFLOP/s, %.0f%% of %.0f); fastest %.2f / %.2f ms\n",
           kind, (long long)H, (long long)B, (long long)T, (long long)I, simd_threads_count(), m1 * 1e3,
           fwd_flop / m1 * 1e-9, 100 * fwd_flop / m1 * 1e-9 / (peak * simd_threads_count()), peak,
           m2 * 1e3, 3 * fwd_flop / m2 * 1e-9, 100 * 3 * fwd_flop / m2 * 1e-9 / (peak * simd_threads_count()),
           peak, f1 * 1e3, f2 * 1e3);
    uint64_t h = 1469598103934665603ull;
    h = bench_hash(h, tr.y);
    h = bench_hash(h, tr.h_n);
    h = bench_hash(h, tr.dx);
    h = bench_hash(h, tr.dw_ih);
    h = bench_hash(h, tr.dw_hh);
    h = bench_hash(h, tr.db_ih);
    h = bench_hash(h, tr.dh0);
    printf("output hash (y, h_n, dx, dW_ih, dW_hh, db_ih, dh0): %016llx\n", (unsigned long long)h);
    bench_free_all();
    free(t1);
    free(t2);
    simd_device_free_scratch(&dev);
    simd_threads_stop();
    return 0;
}

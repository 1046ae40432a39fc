/* `seqnn bench`: times a kernel or a whole layer at a shape on each selected
 * plugin through the public API, and, in the same run, its peers (OpenBLAS,
 * oneDNN uncapped and capped at AVX2, PyTorch, a streaming triad), then
 * prints median times, spreads, rates, the fraction of the FMA peak (measured
 * in the same run) and the ratios ours / peer (speed: > 1 means ours is
 * faster), with its target (docs/performance.md) next to each ratio.
 *
 * Peers are separate programs (bench/: seqnn-peer-openblas, seqnn-peer-onednn,
 * seqnn-peer-torch.py) found next to this program (or in SEQNN_BENCH_PEERS);
 * each is optional at build and run time ("peer X: not available (why)").
 * They answer in the line protocol of bench/peer_common.h; every median and
 * spread is computed here, the same way for every implementation.
 * The streaming triad (a = b + s*c) and the FMA peak are measured here. */
#define _GNU_SOURCE
#include <errno.h>
#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "seqnn/seqnn.h"

#define BENCH_MAX_SAMPLES 1000
#define BENCH_MAX_WIDTHS 8
#define BENCH_MAX_BUFS 128
#define BENCH_MAX_LAYERS 8

/* ----------------------------------------------------------------- cases --- */

typedef enum { OP_GEMM, OP_RNN, OP_CONV, OP_ATTENTION, OP_OPTIM } bench_op;

typedef struct bench_case {
    bench_op op;
    char name[16];                       /* gemm lstm gru rnn conv attention adam sgd clip */
    int64_t m, n, k;
    int64_t hidden, batch, seq, input, layers;
    int bidir;
    int64_t embed, filters;
    int widths[BENCH_MAX_WIDTHS], nwidths;
    int channels_last;                   /* conv: x as [B, T, E] instead of [B, E, T] */
    int64_t heads, dim;
    int64_t params;
    int train;
} bench_case;

typedef struct bench_opts {
    char plugins[256];                   /* "" = every loaded plugin */
    char peers[256];                     /* "all", "none" or a list */
    int threads[8], nthreads;
    int reps, warmup, rounds;
    int cpu_clock;
    double budget;                       /* seconds of timed runs per implementation */
    FILE *csv;
} bench_opts;

/* strlcpy: copies what fits, always terminated */
static void copy_str(char *dst, size_t n, const char *src)
{
    size_t len = strlen(src);
    if (len >= n)
        len = n - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static double bench_now(int cpu)
{
    struct timespec ts;
    clock_gettime(cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* work of one iteration: flops (GEMM-type work) or bytes moved (streaming) */
static double case_flops(const bench_case *c)
{
    double f = 0;
    switch (c->op) {
    case OP_GEMM:
        return 2.0 * (double)c->m * (double)c->n * (double)c->k;
    case OP_RNN: {
        int64_t G = !strcmp(c->name, "lstm") ? 4 : !strcmp(c->name, "gru") ? 3 : 1, D = c->bidir ? 2 : 1;
        for (int64_t l = 0; l < c->layers; l++) {
            int64_t in = l == 0 ? c->input : D * c->hidden;
            f += (double)D * 2.0 * (double)(c->seq * c->batch * G * c->hidden) * (double)(in + c->hidden);
        }
        return c->train ? 3 * f : f;    /* backward: dx/dh GEMMs and weight-gradient GEMMs */
    }
    case OP_CONV:
        for (int i = 0; i < c->nwidths; i++)
            f += 2.0 * (double)(c->batch * (c->seq - c->widths[i] + 1) * c->filters * c->embed * c->widths[i]);
        return c->train ? 3 * f : f;
    case OP_ATTENTION:                   /* Q K^T and W V; backward four such products */
        f = 4.0 * (double)(c->batch * c->heads * c->seq * c->seq * c->dim);
        return c->train ? 3 * f : f;
    default:
        return 0;
    }
}

static double case_bytes(const bench_case *c)
{
    if (c->op != OP_OPTIM)
        return 0;
    /* adam: reads p, g, m, v, writes p, m, v; sgd (momentum): reads p, g, buf, writes p, buf;
     * clip: sumsq reads g, the scaling reads and writes g */
    int arrays = !strcmp(c->name, "adam") ? 7 : !strcmp(c->name, "sgd") ? 5 : 3;
    return 4.0 * (double)arrays * (double)c->params;
}

static void case_describe(const bench_case *c, char *s, size_t n)
{
    const char *mode = c->train ? "training" : "inference";
    switch (c->op) {
    case OP_GEMM:
        snprintf(s, n, "gemm M=%lld N=%lld K=%lld", (long long)c->m, (long long)c->n, (long long)c->k);
        break;
    case OP_RNN:
        snprintf(s, n, "%s H=%lld B=%lld T=%lld I=%lld%s%s %s", c->name, (long long)c->hidden,
                 (long long)c->batch, (long long)c->seq, (long long)c->input,
                 c->layers > 1 ? (c->layers == 2 ? " 2-layer" : " multi-layer") : "", c->bidir ? " bidir" : "",
                 mode);
        break;
    case OP_CONV: {
        char w[64] = "";
        for (int i = 0; i < c->nwidths; i++)
            snprintf(w + strlen(w), sizeof w - strlen(w), "%s%d", i ? "/" : "", c->widths[i]);
        snprintf(s, n, "conv bank B=%lld T=%lld E=%lld %lldx widths %s %s %s", (long long)c->batch,
                 (long long)c->seq, (long long)c->embed, (long long)c->filters, w,
                 c->channels_last ? "[B,T,E]" : "[B,E,T]", mode);
        break;
    }
    case OP_ATTENTION:
        snprintf(s, n, "attention B=%lld heads=%lld T=%lld d=%lld %s", (long long)c->batch, (long long)c->heads,
                 (long long)c->seq, (long long)c->dim, mode);
        break;
    case OP_OPTIM:
        snprintf(s, n, "%s N=%lld", c->name, (long long)c->params);
        break;
    }
}

/* the target for ours / peer (docs/performance.md), or 0 for none */
static double case_target(const bench_case *c, const char *peer)
{
    switch (c->op) {
    case OP_GEMM: return !strcmp(peer, "openblas") ? 0.9 : 0;
    case OP_RNN: return !strcmp(peer, "onednn-avx2") ? 1.0 : !strcmp(peer, "torch") ? 1.15 : 0;
    case OP_CONV:
    case OP_ATTENTION: return !strcmp(peer, "torch") ? 1.0 : 0;
    case OP_OPTIM: return !strcmp(peer, "triad") ? 0.8 : 0;
    }
    return 0;
}

/* ----------------------------------------------------- results and stats --- */

typedef struct bench_result {
    char impl[32];
    char isa[512];
    char note[256];
    double samples[BENCH_MAX_SAMPLES];
    int n;
    double median, min, max;
    double work;                         /* flops or bytes of one iteration */
    int is_peer;
    int failed, skipped;                 /* could not run (note says why); not asked for this case */
} bench_result;

static void result_finish(bench_result *r)
{
    qsort(r->samples, (size_t)r->n, sizeof r->samples[0], bench_cmp);
    r->min = r->samples[0];
    r->max = r->samples[r->n - 1];
    r->median = r->n % 2 ? r->samples[r->n / 2] : 0.5 * (r->samples[r->n / 2 - 1] + r->samples[r->n / 2]);
}

static void csv_field(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* -------------------------------------------------- FMA peak and triad --- */

__attribute__((target("avx2,fma"))) static float peak_loop(int64_t iters)
{
    __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    __m256 a0 = _mm256_set1_ps(1.0f), a1 = _mm256_set1_ps(1.1f), a2 = _mm256_set1_ps(1.2f),
           a3 = _mm256_set1_ps(1.3f), a4 = _mm256_set1_ps(1.4f), a5 = _mm256_set1_ps(1.5f),
           a6 = _mm256_set1_ps(1.6f), a7 = _mm256_set1_ps(1.7f), a8 = _mm256_set1_ps(1.8f),
           a9 = _mm256_set1_ps(1.9f), a10 = _mm256_set1_ps(2.0f), a11 = _mm256_set1_ps(2.1f);
    for (int64_t i = 0; i < iters; i++) {
        a0 = _mm256_fmadd_ps(a0, m, c);
        a1 = _mm256_fmadd_ps(a1, m, c);
        a2 = _mm256_fmadd_ps(a2, m, c);
        a3 = _mm256_fmadd_ps(a3, m, c);
        a4 = _mm256_fmadd_ps(a4, m, c);
        a5 = _mm256_fmadd_ps(a5, m, c);
        a6 = _mm256_fmadd_ps(a6, m, c);
        a7 = _mm256_fmadd_ps(a7, m, c);
        a8 = _mm256_fmadd_ps(a8, m, c);
        a9 = _mm256_fmadd_ps(a9, m, c);
        a10 = _mm256_fmadd_ps(a10, m, c);
        a11 = _mm256_fmadd_ps(a11, m, c);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0];
}

#define PEAK_ITERS 4000000               /* 768 MFLOP per thread: about 6 ms at peak */

typedef struct peak_job {
    pthread_barrier_t *barrier;
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
    j->sink = peak_loop(PEAK_ITERS);
    j->seconds = thread_cpu_now() - t0;
    return NULL;
}

/* FMA GFLOP/s of `threads` threads running at once, each timed by its own CPU
 * time (so time-sharing with other processes does not lower it), best of
 * several tries; 0 when the CPU lacks AVX2/FMA */
static double measure_peak(int threads)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        return 0;
    double best = 0;
    for (int attempt = 0; attempt < 15; attempt++) {
        pthread_t tid[64];
        peak_job jobs[64];
        pthread_barrier_t barrier;
        int nt = threads > 64 ? 64 : threads;
        pthread_barrier_init(&barrier, NULL, (unsigned)nt);
        for (int i = 0; i < nt; i++) {
            jobs[i].barrier = &barrier;
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
        double g = (double)nt * PEAK_ITERS * 12.0 * 16.0 / worst * 1e-9;
        if (g > best)
            best = g;
    }
    return best;
}

typedef struct triad_job {
    float *a, *b, *c;
    int64_t lo, hi;
} triad_job;

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

static void *triad_thread(void *p)
{
    triad_job *j = p;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        triad_avx2(j->a, j->b, j->c, j->lo, j->hi);
    } else {
        float *restrict a = j->a;
        const float *restrict b = j->b, *restrict c = j->c;
        for (int64_t i = j->lo; i < j->hi; i++)
            a[i] = b[i] + 0.5f * c[i];
    }
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
static int run_triad(int64_t n, int threads, const bench_opts *o, bench_result *r)
{
    int nt = threads > 64 ? 64 : threads;
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
    __builtin_cpu_init();
    triad_pass(jobs, nt, triad_init_thread);
    for (int w = 0; w < o->warmup; w++)
        triad_pass(jobs, nt, triad_thread);
    for (int rep = 0; rep < o->reps && r->n < BENCH_MAX_SAMPLES; rep++) {
        double t0 = bench_now(o->cpu_clock);
        triad_pass(jobs, nt, triad_thread);
        r->samples[r->n++] = bench_now(o->cpu_clock) - t0;
    }
    snprintf(r->isa, sizeof r->isa, "streaming triad a = b + s*c (this program: AVX2 loads, ordinary stores), %d thread(s)",
             nt);
    r->work = 12.0 * (double)n;
    free(a);
    free(b);
    free(c);
    return 0;
}

/* ---------------------------------------------------- ours: the plugins --- */

typedef struct ours {
    seqnn_context *ctx;
    const bench_case *c;
    seqnn_buffer *bufs[BENCH_MAX_BUFS];
    int nbufs;
    seqnn_status st;
    /* gemm */
    seqnn_gemm_args gemm;
    /* rnn: per (layer, direction) */
    seqnn_rnn_args rnn[BENCH_MAX_LAYERS * 2];
    int nrnn;
    /* conv bank */
    seqnn_conv1d_args conv[BENCH_MAX_WIDTHS];
    seqnn_maxpool_args pool[BENCH_MAX_WIDTHS];
    /* attention */
    seqnn_attention_args attn;
    /* optimizers */
    seqnn_adam_args adam;
    seqnn_sgd_args sgd;
    seqnn_sumsq_args sumsq;
    seqnn_clip_args clip;
    int64_t step;
} ours;

static seqnn_buffer *ours_buf(ours *o, seqnn_dtype dt, int64_t count, unsigned seed, float scale)
{
    seqnn_buffer *b = NULL;
    if (o->st != SEQNN_OK || o->nbufs >= BENCH_MAX_BUFS)
        return NULL;
    if (count < 1)
        count = 1;
    o->st = seqnn_buffer_alloc(o->ctx, dt, count, &b);
    if (o->st != SEQNN_OK)
        return NULL;
    o->bufs[o->nbufs++] = b;
    if (dt == SEQNN_F32) {
        /* filled in chunks so that a big buffer needs little host memory */
        float tmp[4096];
        for (int64_t off = 0; off < count && o->st == SEQNN_OK; off += 4096) {
            int64_t len = count - off < 4096 ? count - off : 4096;
            for (int64_t i = 0; i < len; i++) {
                seed = seed * 1664525u + 1013904223u;
                tmp[i] = (float)(((double)(seed >> 8) * (1.0 / 16777216.0) * 2.0 - 1.0) * scale);
            }
            o->st = seqnn_buffer_write(o->ctx, b, off, tmp, len);
        }
    } else {
        o->st = seqnn_buffer_fill(o->ctx, b, 0, count, 0.0);
    }
    return b;
}

static void ours_free(ours *o)
{
    for (int i = 0; i < o->nbufs; i++)
        seqnn_buffer_free(o->ctx, o->bufs[i]);
    o->nbufs = 0;
}

static void ours_setup_rnn(ours *o, const bench_case *c)
{
    seqnn_cell cell = !strcmp(c->name, "lstm") ? SEQNN_CELL_LSTM
                      : !strcmp(c->name, "gru") ? SEQNN_CELL_GRU
                                                : SEQNN_CELL_RNN_TANH;
    int64_t G = seqnn_cell_gates(cell), D = c->bidir ? 2 : 1, H = c->hidden, T = c->seq, B = c->batch;
    seqnn_buffer *x = ours_buf(o, SEQNN_F32, T * B * c->input, 1, 1.0f);
    seqnn_buffer *dx = c->train ? ours_buf(o, SEQNN_F32, T * B * c->input, 2, 1.0f) : NULL;
    seqnn_buffer *prev_y = x, *prev_dy = dx;
    unsigned seed = 10;
    o->nrnn = 0;
    for (int64_t l = 0; l < c->layers && o->st == SEQNN_OK; l++) {
        int64_t in = l == 0 ? c->input : D * H;
        seqnn_buffer *y = ours_buf(o, SEQNN_F32, T * B * D * H, seed++, 0.1f);
        seqnn_buffer *dy = c->train ? ours_buf(o, SEQNN_F32, T * B * D * H, seed++, 0.1f) : NULL;
        for (int64_t d = 0; d < D && o->st == SEQNN_OK; d++) {
            seqnn_rnn_args *a = &o->rnn[o->nrnn++];
            memset(a, 0, sizeof *a);
            a->cell = cell;
            a->seq_len = T;
            a->batch = B;
            a->input_size = in;
            a->hidden_size = H;
            a->reverse = (int)d;
            a->x = seqnn_at(prev_y, 0);
            a->ldx = in;
            float ws = (float)(1.0 / sqrt((double)H));
            a->w_ih = seqnn_at(ours_buf(o, SEQNN_F32, G * H * in, seed++, ws), 0);
            a->w_hh = seqnn_at(ours_buf(o, SEQNN_F32, G * H * H, seed++, ws), 0);
            a->b_ih = seqnn_at(ours_buf(o, SEQNN_F32, G * H, seed++, ws), 0);
            a->b_hh = seqnn_at(ours_buf(o, SEQNN_F32, G * H, seed++, ws), 0);
            a->y = seqnn_at(y, d * H);
            a->ldy = D * H;
            if (c->train) {
                a->reserve = seqnn_at(ours_buf(o, SEQNN_F32, seqnn_rnn_reserve_count(cell, T, B, H), 0, 0.0f), 0);
                a->dy = seqnn_at(dy, d * H);
                a->dx = seqnn_at(prev_dy, 0);
                a->dw_ih = seqnn_at(ours_buf(o, SEQNN_F32, G * H * in, 0, 0.0f), 0);
                a->dw_hh = seqnn_at(ours_buf(o, SEQNN_F32, G * H * H, 0, 0.0f), 0);
                a->db_ih = seqnn_at(ours_buf(o, SEQNN_F32, G * H, 0, 0.0f), 0);
                a->db_hh = seqnn_at(ours_buf(o, SEQNN_F32, G * H, 0, 0.0f), 0);
                /* the first direction writes dx, the second adds to it (weight gradients:
                 * each direction its own; accumulating as a training loop between zero_grads) */
                a->flags = d == 0 ? SEQNN_FLAG_OVERWRITE : 0;
            }
        }
        prev_y = y;
        prev_dy = dy;
    }
}

static void ours_setup_conv(ours *o, const bench_case *c)
{
    int64_t B = c->batch, T = c->seq, E = c->embed, F = c->filters, NW = c->nwidths;
    seqnn_buffer *x = ours_buf(o, SEQNN_F32, B * T * E, 1, 0.1f);
    seqnn_buffer *dx = c->train ? ours_buf(o, SEQNN_F32, B * T * E, 2, 0.0f) : NULL;
    seqnn_buffer *pooled = ours_buf(o, SEQNN_F32, B * NW * F, 3, 0.0f);
    seqnn_buffer *dpooled = c->train ? ours_buf(o, SEQNN_F32, B * NW * F, 4, 1.0f) : NULL;
    for (int i = 0; i < c->nwidths && o->st == SEQNN_OK; i++) {
        int64_t K = c->widths[i], L = T - K + 1;
        seqnn_conv1d_args *a = &o->conv[i];
        memset(a, 0, sizeof *a);
        a->batch = B;
        a->in_channels = E;
        a->out_channels = F;
        a->in_len = T;
        a->kernel_size = K;
        a->stride = 1;
        a->dilation = 1;
        a->x = seqnn_at(x, 0);
        a->x_sb = T * E;
        a->x_sc = c->channels_last ? 1 : T;
        a->x_sl = c->channels_last ? E : 1;
        a->weight = seqnn_at(ours_buf(o, SEQNN_F32, F * E * K, 10u + (unsigned)i, 0.05f), 0);
        a->bias = seqnn_at(ours_buf(o, SEQNN_F32, F, 20u + (unsigned)i, 0.05f), 0);
        seqnn_buffer *y = ours_buf(o, SEQNN_F32, B * F * L, 0, 0.0f);
        a->y = seqnn_at(y, 0);
        a->y_sb = F * L;
        a->y_sc = L;
        a->y_sl = 1;
        seqnn_maxpool_args *p = &o->pool[i];
        memset(p, 0, sizeof *p);
        p->batch = B;
        p->channels = F;
        p->len = L;
        p->x = a->y;
        p->x_sb = F * L;
        p->x_sc = L;
        p->x_sl = 1;
        p->y = seqnn_at(pooled, i * F);
        p->y_sb = NW * F;
        p->y_sc = 1;
        p->argmax = seqnn_at(ours_buf(o, SEQNN_I32, B * F, 0, 0.0f), 0);
        if (c->train) {
            seqnn_buffer *dy = ours_buf(o, SEQNN_F32, B * F * L, 0, 0.0f);
            p->dy = seqnn_at(dpooled, i * F);
            p->dx = seqnn_at(dy, 0);
            p->flags = SEQNN_FLAG_OVERWRITE;
            a->dy = seqnn_at(dy, 0);
            a->dx = seqnn_at(dx, 0);
            a->dweight = seqnn_at(ours_buf(o, SEQNN_F32, F * E * K, 0, 0.0f), 0);
            a->dbias = seqnn_at(ours_buf(o, SEQNN_F32, F, 0, 0.0f), 0);
            a->flags = i == 0 ? SEQNN_FLAG_OVERWRITE : 0;   /* dx: written by the first width, summed after */
        }
    }
}

static void ours_setup_attention(ours *o, const bench_case *c)
{
    int64_t B = c->batch, h = c->heads, T = c->seq, d = c->dim, n = B * h * T * d;
    seqnn_attention_args *a = &o->attn;
    memset(a, 0, sizeof *a);
    a->score = SEQNN_SCORE_SCALED_DOT;
    a->batch = B;
    a->heads = h;
    a->q_len = a->k_len = T;
    a->q_dim = a->k_dim = a->v_dim = d;
    a->q = seqnn_at(ours_buf(o, SEQNN_F32, n, 1, 1.0f), 0);
    a->k = seqnn_at(ours_buf(o, SEQNN_F32, n, 2, 1.0f), 0);
    a->v = seqnn_at(ours_buf(o, SEQNN_F32, n, 3, 1.0f), 0);
    a->out = seqnn_at(ours_buf(o, SEQNN_F32, n, 0, 0.0f), 0);
    a->q_sb = a->k_sb = a->v_sb = a->o_sb = h * T * d;
    a->q_sh = a->k_sh = a->v_sh = a->o_sh = T * d;
    a->q_st = a->k_st = a->v_st = a->o_st = d;
    if (c->train) {
        /* the backward needs the weights the forward wrote */
        a->weights = seqnn_at(ours_buf(o, SEQNN_F32, B * h * T * T, 0, 0.0f), 0);
        a->dout = seqnn_at(ours_buf(o, SEQNN_F32, n, 4, 1.0f), 0);
        a->dq = seqnn_at(ours_buf(o, SEQNN_F32, n, 0, 0.0f), 0);
        a->dk = seqnn_at(ours_buf(o, SEQNN_F32, n, 0, 0.0f), 0);
        a->dv = seqnn_at(ours_buf(o, SEQNN_F32, n, 0, 0.0f), 0);
        a->flags = SEQNN_FLAG_OVERWRITE;
    }
}

static void ours_setup_optim(ours *o, const bench_case *c)
{
    int64_t n = c->params;
    seqnn_buffer *p = ours_buf(o, SEQNN_F32, n, 1, 0.1f), *g = ours_buf(o, SEQNN_F32, n, 2, 0.01f);
    if (!strcmp(c->name, "adam")) {
        seqnn_adam_args *a = &o->adam;
        memset(a, 0, sizeof *a);
        a->n = n;
        a->param = seqnn_at(p, 0);
        a->grad = seqnn_at(g, 0);
        a->exp_avg = seqnn_at(ours_buf(o, SEQNN_F32, n, 0, 0.0f), 0);
        a->exp_avg_sq = seqnn_at(ours_buf(o, SEQNN_F32, n, 0, 0.0f), 0);
        a->lr = 1e-3;
        a->beta1 = 0.9;
        a->beta2 = 0.999;
        a->eps = 1e-8;
    } else if (!strcmp(c->name, "sgd")) {
        seqnn_sgd_args *a = &o->sgd;
        memset(a, 0, sizeof *a);
        a->n = n;
        a->param = seqnn_at(p, 0);
        a->grad = seqnn_at(g, 0);
        a->momentum_buf = seqnn_at(ours_buf(o, SEQNN_F32, n, 0, 0.0f), 0);
        a->lr = 1e-3;
        a->momentum = 0.9;
    } else {
        seqnn_buffer *r = ours_buf(o, SEQNN_F32, 1, 0, 0.0f);
        memset(&o->sumsq, 0, sizeof o->sumsq);
        o->sumsq.n = n;
        o->sumsq.x = seqnn_at(g, 0);
        o->sumsq.result = seqnn_at(r, 0);
        o->sumsq.flags = SEQNN_FLAG_OVERWRITE;
        memset(&o->clip, 0, sizeof o->clip);
        o->clip.n = n;
        o->clip.x = seqnn_at(g, 0);
        o->clip.sumsq = seqnn_at(r, 0);
        o->clip.max_norm = 1.0;
    }
}

static seqnn_status ours_setup(ours *o, seqnn_context *ctx, const bench_case *c)
{
    memset(o, 0, sizeof *o);
    o->ctx = ctx;
    o->c = c;
    switch (c->op) {
    case OP_GEMM:
        o->gemm.m = c->m;
        o->gemm.n = c->n;
        o->gemm.k = c->k;
        o->gemm.alpha = 1.0;
        o->gemm.a = seqnn_at(ours_buf(o, SEQNN_F32, c->m * c->k, 1, 1.0f), 0);
        o->gemm.lda = c->k;
        o->gemm.b = seqnn_at(ours_buf(o, SEQNN_F32, c->k * c->n, 2, 1.0f), 0);
        o->gemm.ldb = c->n;
        o->gemm.c = seqnn_at(ours_buf(o, SEQNN_F32, c->m * c->n, 0, 0.0f), 0);
        o->gemm.ldc = c->n;
        o->gemm.batch = 1;
        break;
    case OP_RNN: ours_setup_rnn(o, c); break;
    case OP_CONV: ours_setup_conv(o, c); break;
    case OP_ATTENTION: ours_setup_attention(o, c); break;
    case OP_OPTIM: ours_setup_optim(o, c); break;
    }
    return o->st;
}

/* one iteration, completed (seqnn_sync) */
static seqnn_status ours_run(ours *o)
{
    const bench_case *c = o->c;
    seqnn_status st = SEQNN_OK;
    switch (c->op) {
    case OP_GEMM:
        st = seqnn_gemm(o->ctx, &o->gemm);
        break;
    case OP_RNN:
        for (int i = 0; i < o->nrnn && st == SEQNN_OK; i++) {
            seqnn_rnn_args f = o->rnn[i];
            f.flags = 0;                 /* the flags are the backward's */
            st = seqnn_rnn_forward(o->ctx, &f);
        }
        for (int i = o->nrnn - 1; c->train && i >= 0 && st == SEQNN_OK; i--) {
            /* layers backwards; within a layer the direction that writes dx first */
            int j = c->bidir ? (i % 2 ? i - 1 : i + 1) : i;
            st = seqnn_rnn_backward(o->ctx, &o->rnn[j]);
        }
        break;
    case OP_CONV:
        for (int i = 0; i < c->nwidths && st == SEQNN_OK; i++) {
            seqnn_conv1d_args f = o->conv[i];
            seqnn_maxpool_args pf = o->pool[i];
            f.flags = pf.flags = 0;      /* the flags are the backward's */
            st = seqnn_conv1d_forward(o->ctx, &f);
            if (st == SEQNN_OK)
                st = seqnn_maxpool_forward(o->ctx, &pf);
        }
        for (int i = 0; c->train && i < c->nwidths && st == SEQNN_OK; i++) {
            st = seqnn_maxpool_backward(o->ctx, &o->pool[i]);
            if (st == SEQNN_OK)
                st = seqnn_conv1d_backward(o->ctx, &o->conv[i]);
        }
        break;
    case OP_ATTENTION: {
        seqnn_attention_args f = o->attn;
        f.flags = 0;
        st = seqnn_attention_forward(o->ctx, &f);
        if (st == SEQNN_OK && c->train)
            st = seqnn_attention_backward(o->ctx, &o->attn);
        break;
    }
    case OP_OPTIM:
        o->step++;
        if (!strcmp(c->name, "adam")) {
            o->adam.step = o->step;
            st = seqnn_adam_step(o->ctx, &o->adam);
        } else if (!strcmp(c->name, "sgd")) {
            o->sgd.step = o->step;
            st = seqnn_sgd_step(o->ctx, &o->sgd);
        } else {
            st = seqnn_sumsq(o->ctx, &o->sumsq);
            if (st == SEQNN_OK)
                st = seqnn_clip_scale(o->ctx, &o->clip);
        }
        break;
    }
    if (st == SEQNN_OK)
        st = seqnn_sync(o->ctx);
    return st;
}

/* Times one plugin on the case; -1 (with r->note) when it cannot. */
static int run_plugin(const char *plugin, const bench_case *c, const bench_opts *o, bench_result *r)
{
    seqnn_context *ctx = NULL;
    seqnn_status st = seqnn_context_create(plugin, &ctx);
    if (st != SEQNN_OK) {
        snprintf(r->note, sizeof r->note, "%s", seqnn_last_error());
        return -1;
    }
    seqnn_device_record dev;
    if (seqnn_context_device(ctx, &dev) == SEQNN_OK)
        snprintf(r->isa, sizeof r->isa, "seqnn %.32s plugin: %.400s", plugin, dev.name);
    ours *w = calloc(1, sizeof *w);
    if (!w) {
        seqnn_context_destroy(ctx);
        snprintf(r->note, sizeof r->note, "out of memory");
        return -1;
    }
    st = ours_setup(w, ctx, c);
    double warm = 0;
    for (int i = 0; i < o->warmup && st == SEQNN_OK; i++) {
        double t0 = bench_now(0);
        st = ours_run(w);
        warm = bench_now(0) - t0;
    }
    int reps = o->reps;
    if (st == SEQNN_OK && warm > 0 && warm * reps > o->budget) {
        reps = (int)(o->budget / warm);
        if (reps < 1)
            reps = 1;
        snprintf(r->note, sizeof r->note, "reps cut to %d by --budget %.0f s", reps, o->budget);
    }
    for (int rep = 0; rep < reps && st == SEQNN_OK && r->n < BENCH_MAX_SAMPLES; rep++) {
        double t0 = bench_now(o->cpu_clock);
        st = ours_run(w);
        r->samples[r->n++] = bench_now(o->cpu_clock) - t0;
    }
    if (st != SEQNN_OK) {
        snprintf(r->note, sizeof r->note, "%s: %s", seqnn_status_name(st), seqnn_context_error(ctx));
        r->n = 0;
    }
    ours_free(w);
    free(w);
    seqnn_context_destroy(ctx);
    return r->n > 0 ? 0 : -1;
}

/* ------------------------------------------------------------ the peers --- */

static void self_dir(char *dir, size_t n)
{
    const char *env = getenv("SEQNN_BENCH_PEERS");
    if (env && *env) {
        snprintf(dir, n, "%s", env);
        return;
    }
    ssize_t len = readlink("/proc/self/exe", dir, n - 1);
    if (len <= 0) {
        snprintf(dir, n, ".");
        return;
    }
    dir[len] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
}

/* whether peer `name` has an implementation of the case */
static int peer_applies(const char *name, const bench_case *c)
{
    if (!strcmp(name, "openblas"))
        return c->op == OP_GEMM;
    if (!strcmp(name, "onednn") || !strcmp(name, "onednn-avx2"))
        return c->op == OP_GEMM || c->op == OP_RNN;
    if (!strcmp(name, "torch"))
        return 1;
    if (!strcmp(name, "triad"))
        return c->op == OP_OPTIM;
    return 0;
}

static void case_peer_args(const bench_case *c, int threads, const bench_opts *o, char args[][48], int *nargs)
{
    int n = 0;
#define ARG(...) snprintf(args[n++], 48, __VA_ARGS__)
    switch (c->op) {
    case OP_GEMM:
        ARG("gemm");
        ARG("m=%lld", (long long)c->m);
        ARG("n=%lld", (long long)c->n);
        ARG("k=%lld", (long long)c->k);
        break;
    case OP_RNN:
        ARG("rnn");
        ARG("cell=%s", c->name);
        ARG("hidden=%lld", (long long)c->hidden);
        ARG("batch=%lld", (long long)c->batch);
        ARG("seq=%lld", (long long)c->seq);
        ARG("input=%lld", (long long)c->input);
        ARG("layers=%lld", (long long)c->layers);
        ARG("bidir=%d", c->bidir);
        break;
    case OP_CONV: {
        char w[40] = "";
        for (int i = 0; i < c->nwidths; i++)
            snprintf(w + strlen(w), sizeof w - strlen(w), "%s%d", i ? "," : "", c->widths[i]);
        ARG("conv");
        ARG("batch=%lld", (long long)c->batch);
        ARG("seq=%lld", (long long)c->seq);
        ARG("embed=%lld", (long long)c->embed);
        ARG("filters=%lld", (long long)c->filters);
        ARG("widths=%s", w);
        break;
    }
    case OP_ATTENTION:
        ARG("attention");
        ARG("batch=%lld", (long long)c->batch);
        ARG("heads=%lld", (long long)c->heads);
        ARG("seq=%lld", (long long)c->seq);
        ARG("dim=%lld", (long long)c->dim);
        break;
    case OP_OPTIM:
        ARG("optim");
        ARG("which=%s", c->name);
        ARG("params=%lld", (long long)c->params);
        break;
    }
    ARG("train=%d", c->train);
    ARG("reps=%d", o->reps);
    ARG("warmup=%d", o->warmup);
    ARG("clock=%s", o->cpu_clock ? "cpu" : "wall");
    ARG("threads=%d", threads);
#undef ARG
    *nargs = n;
}

/* Runs a peer program and reads its answer; -1 (with r->note) when it cannot run. */
static int run_peer(const char *name, const bench_case *c, int threads, const bench_opts *o, bench_result *r)
{
    char dir[1024], prog[1200], interp[256] = "";
    self_dir(dir, sizeof dir);
    if (!strcmp(name, "openblas"))
        snprintf(prog, sizeof prog, "%s/seqnn-peer-openblas", dir);
    else if (!strcmp(name, "onednn") || !strcmp(name, "onednn-avx2"))
        snprintf(prog, sizeof prog, "%s/seqnn-peer-onednn", dir);
    else {
        const char *py = getenv("SEQNN_BENCH_PYTHON");
        snprintf(interp, sizeof interp, "%s", py && *py ? py : "/usr/bin/python3");
        snprintf(prog, sizeof prog, "%s/seqnn-peer-torch.py", dir);
        if (access(interp, X_OK) != 0) {
            snprintf(r->note, sizeof r->note, "%.200s not found", interp);
            return -1;
        }
    }
    if (access(prog, interp[0] ? R_OK : X_OK) != 0) {
        snprintf(r->note, sizeof r->note, "%.180s not built (%s)", prog,
                 !strcmp(name, "openblas") ? "libopenblas-dev was missing at configure time"
                 : strcmp(name, "torch")   ? "libdnnl-dev was missing at configure time"
                                           : "bench/ not configured");
        return -1;
    }
    char args[24][48];
    int nargs;
    case_peer_args(c, threads, o, args, &nargs);
    char *argv[32];
    int ac = 0;
    if (interp[0])
        argv[ac++] = interp;
    argv[ac++] = prog;
    for (int i = 0; i < nargs; i++)
        argv[ac++] = args[i];
    argv[ac] = NULL;

    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(r->note, sizeof r->note, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(r->note, sizeof r->note, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        char t[16];
        snprintf(t, sizeof t, "%d", threads);
        setenv("OMP_NUM_THREADS", t, 1);
        setenv("OPENBLAS_NUM_THREADS", t, 1);
        setenv("MKL_NUM_THREADS", t, 1);
        if (!strcmp(name, "onednn-avx2"))
            setenv("DNNL_MAX_CPU_ISA", "AVX2", 1);
        else
            unsetenv("DNNL_MAX_CPU_ISA");
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], argv);
        printf("unavailable cannot run %s: %s\n", argv[0], strerror(errno));
        fflush(stdout);
        _exit(127);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    char line[1024], other[256] = "", unavailable[256] = "";
    while (in && fgets(line, sizeof line, in)) {
        line[strcspn(line, "\n")] = '\0';
        if (!strncmp(line, "sample ", 7)) {
            if (r->n < BENCH_MAX_SAMPLES)
                r->samples[r->n++] = strtod(line + 7, NULL);
        } else if (!strncmp(line, "isa ", 4)) {
            copy_str(r->isa, sizeof r->isa, line + 4);
        } else if (!strncmp(line, "note ", 5)) {
            copy_str(r->note, sizeof r->note, line + 5);
        } else if (!strncmp(line, "unavailable ", 12)) {
            copy_str(unavailable, sizeof unavailable, line + 12);
        } else if (line[0]) {
            copy_str(other, sizeof other, line);
        }
    }
    if (in)
        fclose(in);
    int status = 0;
    waitpid(pid, &status, 0);
    if (r->n == 0) {
        snprintf(r->note, sizeof r->note, "%s",
                 unavailable[0] ? unavailable : other[0] ? other : "it printed no timing");
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(r->note, sizeof r->note, "exited abnormally: %.200s", other);
        r->n = 0;
        return -1;
    }
    return 0;
}

/* ----------------------------------------------------------- reporting --- */

static int list_has(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, name, n))
            return 1;
        p = e ? e + 1 : p + len;
    }
    return 0;
}

static int nprocs(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) >= 1)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

typedef struct bench_summary {
    char lines[512][200];
    int n;
} bench_summary;

static bench_summary summary;

static void print_row(const bench_case *c, const bench_result *r, double peak, int flops)
{
    double rate = r->work / r->median * 1e-9, spread = (r->max - r->min) / r->median * 100;
    char pk[16] = "   -";
    if (flops && peak > 0)
        snprintf(pk, sizeof pk, "%3.0f%%", 100 * rate / peak);
    printf("  %-12s %10.3f %10.3f %10.3f %6.1f%% %8.1f %-7s %s  %s%s%s%s\n", r->impl, r->median * 1e3, r->min * 1e3,
           r->max * 1e3, spread, rate, flops ? "GFLOP/s" : "GB/s", pk, r->isa, r->note[0] ? " [" : "",
           r->note, r->note[0] ? "]" : "");
    (void)c;
}

static void csv_row(FILE *f, const char *desc, int threads, const bench_result *r, double peak, int flops,
                    const char *vs, double ratio, double target)
{
    if (!f)
        return;
    csv_field(f, desc);
    fprintf(f, ",%d,", threads);
    csv_field(f, r->impl);
    fputc(',', f);
    if (vs) {
        fprintf(f, ",,,,,,,,");
        csv_field(f, vs);
        fprintf(f, ",%.4f,", ratio);
        if (target > 0)
            fprintf(f, "%.2f", target);
        fputc('\n', f);
        return;
    }
    double rate = r->work / r->median * 1e-9;
    csv_field(f, r->isa);
    fprintf(f, ",%.6f,%.6f,%.6f,%d,%.3f,%s,", r->median * 1e3, r->min * 1e3, r->max * 1e3, r->n, rate,
            flops ? "GFLOP/s" : "GB/s");
    if (flops && peak > 0)
        fprintf(f, "%.1f", 100 * rate / peak);
    fprintf(f, ",,,\n");
}

/* Runs one case at one thread count: every plugin, every peer, the ratios. */
static void bench_one(const bench_case *c, int threads, const bench_opts *o, char plugins[][32], int nplugins,
                      double peak)
{
    char desc[200];
    case_describe(c, desc, sizeof desc);
    printf("\n== %s | %d thread%s | %s clock, median of %d (%d round%s of %d after %d warm-up)\n", desc, threads,
           threads == 1 ? "" : "s", o->cpu_clock ? "process CPU" : "wall", o->rounds * o->reps, o->rounds,
           o->rounds == 1 ? "" : "s", o->reps, o->warmup);
    int flops = c->op != OP_OPTIM;
    double work = flops ? case_flops(c) : case_bytes(c);
    if (flops)
        printf("  FMA peak measured now: %.1f GFLOP/s with %d thread%s\n", peak, threads, threads == 1 ? "" : "s");
    printf("  %-12s %10s %10s %10s %7s %8s %-6s %4s  %s\n", "impl", "median ms", "min ms", "max ms", "spread",
           "rate", "", "peak", "ISA / kernel");
    bench_result *ours_r = calloc((size_t)nplugins, sizeof *ours_r);
    static const char *const peer_names[] = { "openblas", "onednn", "onednn-avx2", "torch", "triad" };
    bench_result *peer_r = calloc(5, sizeof *peer_r);
    if (!ours_r || !peer_r) {
        free(ours_r);
        free(peer_r);
        fprintf(stderr, "seqnn bench: out of memory\n");
        return;
    }
    char t[16];
    snprintf(t, sizeof t, "%d", threads);
    setenv("SEQNN_NUM_THREADS", t, 1);
    for (int i = 0; i < nplugins; i++) {
        copy_str(ours_r[i].impl, sizeof ours_r[i].impl, plugins[i]);
        ours_r[i].work = work;
    }
    for (int p = 0; p < 5; p++) {
        bench_result *r = &peer_r[p];
        copy_str(r->impl, sizeof r->impl, peer_names[p]);
        r->is_peer = 1;
        r->work = work;
        r->failed = !peer_applies(peer_names[p], c) || (strcmp(o->peers, "all") && !list_has(o->peers, peer_names[p]));
        r->skipped = r->failed;
    }
    /* rounds: every implementation in turn, again and again, so that a busy
     * moment of the machine falls on all of them alike; samples are pooled */
    for (int round = 0; round < o->rounds; round++) {
        for (int i = 0; i < nplugins; i++)
            if (!ours_r[i].failed && run_plugin(plugins[i], c, o, &ours_r[i]) != 0)
                ours_r[i].failed = 1;
        for (int p = 0; p < 5; p++) {
            bench_result *r = &peer_r[p];
            if (r->failed)
                continue;
            int rc = !strcmp(r->impl, "triad") ? run_triad(c->params, threads, o, r) : run_peer(r->impl, c, threads, o, r);
            if (rc != 0 || r->n == 0)
                r->failed = 1;
        }
    }
    for (int i = 0; i < nplugins; i++) {
        bench_result *r = &ours_r[i];
        if (r->failed) {
            printf("  plugin %s: not available (%s)\n", r->impl, r->note);
            r->n = 0;
            continue;
        }
        result_finish(r);
        print_row(c, r, peak, flops);
        csv_row(o->csv, desc, threads, r, peak, flops, NULL, 0, 0);
    }
    for (int p = 0; p < 5; p++) {
        bench_result *r = &peer_r[p];
        int rflops = !strcmp(r->impl, "triad") ? 0 : flops;
        if (r->skipped)
            continue;
        if (r->failed) {
            printf("  peer %s: not available (%s)\n", r->impl, r->note);
            r->n = 0;
            continue;
        }
        result_finish(r);
        print_row(c, r, peak, rflops);
        csv_row(o->csv, desc, threads, r, peak, rflops, NULL, 0, 0);
    }
    for (int i = 0; i < nplugins; i++) {
        if (ours_r[i].n == 0)
            continue;
        for (int p = 0; p < 5; p++) {
            bench_result *r = &peer_r[p];
            if (r->n == 0)
                continue;
            /* speed ratio: the same work, so peer time / our time; the triad moves
             * other bytes, so there it is our GB/s over its GB/s */
            double ratio = !strcmp(r->impl, "triad")
                               ? (ours_r[i].work / ours_r[i].median) / (r->work / r->median)
                               : r->median / ours_r[i].median;
            double target = case_target(c, r->impl);
            char tgt[64] = "";
            if (target > 0)
                snprintf(tgt, sizeof tgt, "; target >= %.2f: %s", target, ratio >= target ? "met" : "MISSED");
            printf("ratio %s/%s = %.3fx (%s, %d thread%s%s)\n", ours_r[i].impl, r->impl, ratio, desc, threads,
                   threads == 1 ? "" : "s", tgt);
            csv_row(o->csv, desc, threads, &ours_r[i], peak, flops, r->impl, ratio, target);
            if (summary.n < 512)
            {
                char pair[72];
                snprintf(pair, sizeof pair, "%s/%s", ours_r[i].impl, r->impl);
                snprintf(summary.lines[summary.n++], sizeof summary.lines[0], "%-62.62s %2d  %-20s %7.3fx %s",
                         desc, threads, pair, ratio,
                         target > 0 ? (ratio >= target ? "met" : "MISSED") : "");
            }
        }
    }
    fflush(stdout);
    free(ours_r);
    free(peer_r);
}

/* -------------------------------------------------------- command line --- */

static void bench_usage(FILE *f)
{
    fprintf(f,
            "usage: seqnn bench WHAT [options]    or    seqnn bench --suite [options]\n"
            "WHAT: gemm | lstm | gru | rnn | conv | attention | adam | sgd | clip\n"
            "shape:  --m --n --k (gemm, default 1024^3)\n"
            "        --hidden H --batch B --seq T --input I --layers L --bidir (lstm/gru/rnn; 512 64 50 H 1)\n"
            "        --batch --seq --embed --filters --widths 3,4,5 --channels-last (conv: Kim CNN 64 64 300 100)\n"
            "        --batch --heads --seq --dim (attention: 64 8 128 64, scaled dot product)\n"
            "        --params N (adam/sgd/clip: 10000000)\n"
            "mode:   --train (forward + backward; default inference) | --both\n"
            "run:    --plugin LIST (default: every loaded plugin)  --peers LIST|all|none\n"
            "        (peers: openblas, onednn, onednn-avx2, torch, triad)  --threads LIST (default 1,all)\n"
            "        --reps N (5)  --warmup N (1)  --rounds R (1: every implementation R times in turn,\n"
            "        samples pooled)  --clock wall|cpu (cpu: process CPU time, 1 thread only)\n"
            "        --budget SECONDS (timed seconds per implementation, default 120)  --csv FILE\n"
            "--suite: the standard table (GEMM, LSTM/GRU/RNN H=256/512/1024 inference and training,\n"
            "        2-layer bidirectional LSTM H=512, Kim-CNN conv bank, attention, Adam/SGD/clip).\n"
            "Prints per implementation the median, min, max, spread, GFLOP/s or GB/s and %% of the FMA\n"
            "peak measured in the same run, then 'ratio OURS/PEER = X.XXx' (speed; > 1: ours faster).\n");
}

static int parse_int_list(const char *s, int *out, int max, int all)
{
    int n = 0;
    while (*s && n < max) {
        if (!strncmp(s, "all", 3)) {
            out[n++] = all;
            s += 3;
        } else {
            char *end;
            long v = strtol(s, &end, 10);
            if (end == s || v < 1)
                return -1;
            out[n++] = (int)v;
            s = end;
        }
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    /* drop repeats ("1,all" on one CPU) */
    int m = 0;
    for (int i = 0; i < n; i++) {
        int dup = 0;
        for (int j = 0; j < m; j++)
            dup |= out[j] == out[i];
        if (!dup)
            out[m++] = out[i];
    }
    return m;
}

static void case_defaults(bench_case *c, const char *what)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", what);
    c->m = c->n = c->k = 1024;
    c->hidden = 512;
    c->batch = 64;
    c->seq = 50;
    c->input = 0;                        /* = hidden */
    c->layers = 1;
    c->embed = 300;
    c->filters = 100;
    c->widths[0] = 3;
    c->widths[1] = 4;
    c->widths[2] = 5;
    c->nwidths = 3;
    c->heads = 8;
    c->dim = 64;
    c->params = 10000000;
    if (!strcmp(what, "gemm"))
        c->op = OP_GEMM;
    else if (!strcmp(what, "lstm") || !strcmp(what, "gru") || !strcmp(what, "rnn"))
        c->op = OP_RNN;
    else if (!strcmp(what, "conv"))
        c->op = OP_CONV;
    else if (!strcmp(what, "attention"))
        c->op = OP_ATTENTION;
    else
        c->op = OP_OPTIM;
}

static int known_what(const char *w)
{
    static const char *const names[] = { "gemm", "lstm", "gru", "rnn", "conv", "attention", "adam", "sgd", "clip" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(w, names[i]))
            return 1;
    return 0;
}

/* the plugins to run: the --plugin list, or every loaded plugin */
static int select_plugins(const bench_opts *o, char out[][32], int max)
{
    int n = 0;
    if (o->plugins[0]) {
        for (const char *p = o->plugins; *p && n < max;) {
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            snprintf(out[n++], 32, "%.*s", (int)(len < 31 ? len : 31), p);
            p = e ? e + 1 : p + len;
        }
        return n;
    }
    seqnn_registry *reg = NULL;
    if (seqnn_registry_open(&reg) != SEQNN_OK)
        return 0;
    for (int64_t i = 0; i < seqnn_registry_plugin_count(reg) && n < max; i++) {
        seqnn_plugin_record rec;
        if (seqnn_registry_plugin(reg, i, &rec) != SEQNN_OK || !rec.loaded || !rec.name)
            continue;
        int dup = 0;
        for (int j = 0; j < n; j++)
            dup |= !strcmp(out[j], rec.name);
        if (!dup)
            snprintf(out[n++], 32, "%s", rec.name);
    }
    seqnn_registry_close(reg);
    return n;
}

static int add_case(bench_case *cases, int n, int max, const bench_case *c)
{
    if (n < max)
        cases[n++] = *c;
    return n;
}

/* the standard table (docs/performance.md, "Results") */
static int suite_cases(bench_case *cases, int max)
{
    int n = 0;
    bench_case c;
    case_defaults(&c, "gemm");
    n = add_case(cases, n, max, &c);
    for (int64_t h = 256; h <= 1024; h *= 2) {
        c.m = 64;
        c.n = 4 * h;
        c.k = h;
        n = add_case(cases, n, max, &c);
    }
    static const char *const cells[] = { "lstm", "gru", "rnn" };
    for (int i = 0; i < 3; i++)
        for (int64_t h = 256; h <= 1024; h *= 2)
            for (int train = 0; train < 2; train++) {
                case_defaults(&c, cells[i]);
                c.hidden = c.input = h;
                c.train = train;
                n = add_case(cases, n, max, &c);
            }
    for (int train = 0; train < 2; train++) {
        case_defaults(&c, "lstm");
        c.input = 512;
        c.layers = 2;
        c.bidir = 1;
        c.train = train;
        n = add_case(cases, n, max, &c);
    }
    for (int train = 0; train < 2; train++) {
        case_defaults(&c, "conv");
        c.seq = 64;
        c.train = train;
        n = add_case(cases, n, max, &c);
        case_defaults(&c, "attention");
        c.seq = 128;
        c.train = train;
        n = add_case(cases, n, max, &c);
    }
    static const char *const opt[] = { "adam", "sgd", "clip" };
    for (int i = 0; i < 3; i++) {
        case_defaults(&c, opt[i]);
        n = add_case(cases, n, max, &c);
    }
    return n;
}

int seqnn_cli_bench(int argc, char **argv)
{
    bench_opts o;
    memset(&o, 0, sizeof o);
    snprintf(o.peers, sizeof o.peers, "all");
    o.reps = 5;
    o.warmup = 1;
    o.rounds = 1;
    o.budget = 120;
    int all = nprocs();
    o.threads[0] = 1;
    o.threads[1] = all;
    o.nthreads = all > 1 ? 2 : 1;
    const char *csv_path = NULL;
    int suite = 0, both = 0;
    bench_case c;
    int have_what = 0;
    case_defaults(&c, "gemm");
    int64_t seq = -1, batch = -1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (!strcmp(a, name) && v && (i++, 1))
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            bench_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--suite")) {
            suite = 1;
        } else if (!strcmp(a, "--train")) {
            c.train = 1;
        } else if (!strcmp(a, "--both")) {
            both = 1;
        } else if (!strcmp(a, "--bidir")) {
            c.bidir = 1;
        } else if (!strcmp(a, "--channels-last")) {
            c.channels_last = 1;
        } else if (OPT("--m")) {
            c.m = atoll(v);
        } else if (OPT("--n")) {
            c.n = atoll(v);
        } else if (OPT("--k")) {
            c.k = atoll(v);
        } else if (OPT("--hidden")) {
            c.hidden = atoll(v);
        } else if (OPT("--batch")) {
            batch = atoll(v);
        } else if (OPT("--seq")) {
            seq = atoll(v);
        } else if (OPT("--input")) {
            c.input = atoll(v);
        } else if (OPT("--layers")) {
            c.layers = atoll(v);
        } else if (OPT("--embed")) {
            c.embed = atoll(v);
        } else if (OPT("--filters")) {
            c.filters = atoll(v);
        } else if (OPT("--widths")) {
            c.nwidths = parse_int_list(v, c.widths, BENCH_MAX_WIDTHS, 1);
            if (c.nwidths < 1) {
                fprintf(stderr, "seqnn bench: bad --widths '%s'\n", v);
                return 2;
            }
        } else if (OPT("--heads")) {
            c.heads = atoll(v);
        } else if (OPT("--dim")) {
            c.dim = atoll(v);
        } else if (OPT("--params")) {
            c.params = atoll(v);
        } else if (OPT("--plugin")) {
            snprintf(o.plugins, sizeof o.plugins, "%s", v);
        } else if (OPT("--peers")) {
            snprintf(o.peers, sizeof o.peers, "%s", v);
        } else if (OPT("--threads")) {
            o.nthreads = parse_int_list(v, o.threads, 8, all);
            if (o.nthreads < 1) {
                fprintf(stderr, "seqnn bench: bad --threads '%s'\n", v);
                return 2;
            }
        } else if (OPT("--reps")) {
            o.reps = atoi(v);
        } else if (OPT("--rounds")) {
            o.rounds = atoi(v);
        } else if (OPT("--warmup")) {
            o.warmup = atoi(v);
        } else if (OPT("--budget")) {
            o.budget = atof(v);
        } else if (OPT("--clock")) {
            o.cpu_clock = !strcmp(v, "cpu");
        } else if (OPT("--csv")) {
            csv_path = v;
        } else if (a[0] != '-' && !have_what && known_what(a)) {
            char keep_train = (char)c.train;
            bench_case d;
            case_defaults(&d, a);
            /* options given before WHAT stay */
            d.m = c.m;
            d.n = c.n;
            d.k = c.k;
            d.hidden = c.hidden;
            d.input = c.input;
            d.layers = c.layers;
            d.bidir = c.bidir;
            d.embed = c.embed;
            d.filters = c.filters;
            d.heads = c.heads;
            d.dim = c.dim;
            d.params = c.params;
            d.channels_last = c.channels_last;
            memcpy(d.widths, c.widths, sizeof d.widths);
            d.nwidths = c.nwidths;
            d.train = keep_train;
            c = d;
            have_what = 1;
        } else {
            fprintf(stderr, "seqnn bench: unknown or incomplete argument '%s'\n", a);
            bench_usage(stderr);
            return 2;
        }
#undef OPT
    }
    if (!suite && !have_what) {
        bench_usage(stderr);
        return 2;
    }
    if (o.reps < 1 || o.rounds < 1 || o.reps * o.rounds > BENCH_MAX_SAMPLES || o.warmup < 0) {
        fprintf(stderr, "seqnn bench: --reps times --rounds must be 1..%d and --warmup >= 0\n", BENCH_MAX_SAMPLES);
        return 2;
    }
    if (batch > 0)
        c.batch = batch;
    if (seq > 0)
        c.seq = seq;
    else if (c.op == OP_CONV)
        c.seq = 64;
    else if (c.op == OP_ATTENTION)
        c.seq = 128;
    if (c.input <= 0)
        c.input = c.hidden;
    if (c.m < 1 || c.n < 1 || c.k < 1 || c.hidden < 1 || c.batch < 1 || c.seq < 1 || c.layers < 1 ||
        c.layers > BENCH_MAX_LAYERS || c.embed < 1 || c.filters < 1 || c.heads < 1 || c.dim < 1 || c.params < 1) {
        fprintf(stderr, "seqnn bench: sizes must be positive (layers at most %d)\n", BENCH_MAX_LAYERS);
        return 2;
    }
    for (int i = 0; c.op == OP_CONV && i < c.nwidths; i++)
        if (c.widths[i] > c.seq) {
            fprintf(stderr, "seqnn bench: filter width %d is longer than the sequence\n", c.widths[i]);
            return 2;
        }
    if (o.cpu_clock)
        for (int i = 0; i < o.nthreads; i++)
            if (o.threads[i] > 1)
                fprintf(stderr, "seqnn bench: warning: --clock cpu adds up the CPU time of all threads; "
                                "use it with --threads 1\n");

    bench_case *cases = calloc(64, sizeof *cases);
    if (!cases)
        return 1;
    int ncases = 0;
    if (suite) {
        ncases = suite_cases(cases, 64);
    } else {
        for (int train = 0; train < 2; train++) {
            if (!both && train != c.train)
                continue;
            if (both && c.op != OP_RNN && c.op != OP_CONV && c.op != OP_ATTENTION && train)
                continue;
            bench_case d = c;
            d.train = train;
            ncases = add_case(cases, ncases, 64, &d);
        }
    }
    char plugins[16][32];
    int nplugins = select_plugins(&o, plugins, 16);
    if (nplugins == 0)
        printf("no plugin loaded (seqnn info says why)\n");
    if (csv_path) {
        o.csv = fopen(csv_path, "w");
        if (!o.csv) {
            fprintf(stderr, "seqnn bench: cannot write %s: %s\n", csv_path, strerror(errno));
            free(cases);
            return 1;
        }
        fprintf(o.csv, "case,threads,impl,isa,median_ms,min_ms,max_ms,reps,rate,unit,peak_pct,vs,ratio,target\n");
    }
    printf("seqnn bench: %d case(s), plugins:", ncases);
    for (int i = 0; i < nplugins; i++)
        printf(" %s", plugins[i]);
    printf("; peers: %s; threads:", o.peers);
    for (int i = 0; i < o.nthreads; i++)
        printf(" %d", o.threads[i]);
    printf("; CPUs: %d\n", all);
    summary.n = 0;
    for (int ti = 0; ti < o.nthreads; ti++) {
        double peak = measure_peak(o.threads[ti]);
        for (int i = 0; i < ncases; i++)
            bench_one(&cases[i], o.threads[ti], &o, plugins, nplugins, peak);
    }
    if (summary.n > 0) {
        printf("\nsummary (speed ratios ours/peer; > 1: ours faster):\n");
        for (int i = 0; i < summary.n; i++)
            printf("  %s\n", summary.lines[i]);
    }
    if (o.csv)
        fclose(o.csv);
    free(cases);
    return 0;
}

/* seqnn-ocl-rnn-probe: the OpenCL plugin's recurrent layers on one device
 * (default the POCL device), through the public API, with the OpenCL and
 * CLBlast calls counted by ocl_trace.c.
 *
 *   seqnn-ocl-rnn-probe count [--spec SPEC]
 *       For every recurrent kernel (Elman tanh/relu, LSTM, GRU, classic GRU,
 *       LSTM variants; forward and reverse; with and without lengths) and
 *       T = 5 and 20: the host round trips (clFinish, clWaitForEvents,
 *       blocking reads, writes and maps), transfers, buffers created, kernel
 *       launches and CLBlast GEMMs of one inference forward, one training
 *       forward and one backward call. Exits 1 when a call has a round trip
 *       or when a count other than launches and GEMMs depends on T.
 *   seqnn-ocl-rnn-probe bench [--cell lstm|gru|rnn] [--hidden H] [--batch B]
 *       [--seq T] [--input I] [--train] [--rounds R] [--reps N] [--cpu]
 *       [--spec SPEC] [--profile]
 *       Times the layer (forward, or forward + backward with --train, then
 *       seqnn_sync) against the CLBlast GEMMs it contains run alone: the calls
 *       recorded from one run of the layer, replayed with the same arguments,
 *       buffers and queue. Alternating rounds; median, min, max and spread of
 *       each; the ratio layer / GEMMs. --cpu: process CPU time instead of
 *       wall clock. --profile: device time per kernel name (event profiling).
 *
 * SPEC defaults to "opencl:Portable Computing Language". */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "seqnn/seqnn.h"
#include "bench_data.h"
#include "bench_timer.h"
#include "ocl_trace.h"

#define PROBE_MAX_BUFS 32

typedef struct probe_layer {
    const char *name;
    seqnn_cell cell;
    int variant_kernel;                  /* lstm_variant_* instead of rnn_* */
    uint32_t variant;
    int proj;                            /* P = H / 2 */
    int reverse, lengths;
} probe_layer;

typedef struct probe {
    seqnn_context *ctx;
    seqnn_status st;
    seqnn_buffer *bufs[PROBE_MAX_BUFS];
    int nbufs;
    const probe_layer *layer;
    seqnn_lstm_variant_args v;           /* v.rnn: the arguments of rnn_* too */
    int32_t lens[2][64];                 /* two sets: a warm-up and a measured call differ */
} probe;

static seqnn_tref probe_buf(probe *p, int64_t count, unsigned seed, float scale)
{
    seqnn_tref r = { NULL, 0 };
    seqnn_buffer *b = NULL;
    if (p->st != SEQNN_OK || p->nbufs >= PROBE_MAX_BUFS)
        return r;
    p->st = seqnn_buffer_alloc(p->ctx, SEQNN_F32, count > 0 ? count : 1, &b);
    if (p->st != SEQNN_OK)
        return r;
    p->bufs[p->nbufs++] = b;
    p->st = bench_fill_uniform(p->ctx, b, count, seed, scale);
    r.buf = b;
    return r;
}

static void probe_free(probe *p)
{
    for (int i = 0; i < p->nbufs; i++)
        seqnn_buffer_free(p->ctx, p->bufs[i]);
    p->nbufs = 0;
}

/* Buffers and arguments of one layer, one direction, T x B, input I, hidden H. */
static void probe_setup(probe *p, const probe_layer *L, int64_t T, int64_t B, int64_t I, int64_t H)
{
    memset(&p->v, 0, sizeof p->v);
    p->layer = L;
    seqnn_lstm_variant_args *v = &p->v;
    seqnn_rnn_args *a = &v->rnn;
    int lstm = L->cell == SEQNN_CELL_LSTM;
    v->variant = L->variant;
    v->proj_size = L->proj ? H / 2 : 0;
    int64_t G = L->variant_kernel ? seqnn_lstm_variant_gates(L->variant) : seqnn_cell_gates(L->cell);
    int64_t R = v->proj_size > 0 ? v->proj_size : H;
    int64_t res = L->variant_kernel ? seqnn_lstm_variant_reserve_count(L->variant, T, B, H)
                                    : seqnn_rnn_reserve_count(L->cell, T, B, H);
    a->cell = L->cell;
    a->seq_len = T;
    a->batch = B;
    a->input_size = I;
    a->hidden_size = H;
    a->reverse = L->reverse;
    a->x = probe_buf(p, T * B * I, 1, 1.0f);
    a->ldx = I;
    a->w_ih = probe_buf(p, G * H * I, 2, 0.1f);
    a->w_hh = probe_buf(p, G * H * R, 3, 0.1f);
    a->b_ih = probe_buf(p, G * H, 4, 0.1f);
    a->b_hh = probe_buf(p, G * H, 5, 0.1f);
    a->y = probe_buf(p, T * B * R, 6, 0.0f);
    a->ldy = R;
    a->reserve = probe_buf(p, res, 7, 0.0f);
    a->h_n = probe_buf(p, B * R, 8, 0.0f);
    a->dy = probe_buf(p, T * B * R, 9, 1.0f);
    a->dx = probe_buf(p, T * B * I, 10, 0.0f);
    a->dw_ih = probe_buf(p, G * H * I, 11, 0.0f);
    a->dw_hh = probe_buf(p, G * H * R, 12, 0.0f);
    a->db_ih = probe_buf(p, G * H, 13, 0.0f);
    a->db_hh = probe_buf(p, G * H, 14, 0.0f);
    a->dh0 = probe_buf(p, B * R, 15, 0.0f);
    if (lstm) {
        a->c_n = probe_buf(p, B * H, 16, 0.0f);
        a->dc0 = probe_buf(p, B * H, 17, 0.0f);
    }
    if (L->variant & SEQNN_LSTM_PEEPHOLE) {
        v->w_peep = probe_buf(p, seqnn_lstm_variant_peeps(L->variant) * H, 18, 0.1f);
        v->dw_peep = probe_buf(p, seqnn_lstm_variant_peeps(L->variant) * H, 19, 0.0f);
    }
    if (v->proj_size > 0) {
        v->w_hr = probe_buf(p, v->proj_size * H, 20, 0.1f);
        v->dw_hr = probe_buf(p, v->proj_size * H, 21, 0.0f);
    }
    /* lengths: the longest T - 1 (steps past every length), one set reversed */
    for (int64_t b = 0; b < B && b < 64; b++) {
        int64_t len = T - 1 - b % T;
        p->lens[0][b] = (int32_t)(len > 0 ? len : 1);
        p->lens[1][B - 1 - b] = p->lens[0][b];
    }
}

/* One forward call (train: keeping the reserve) with length set `set`. */
static seqnn_status probe_forward(probe *p, int train, int set)
{
    seqnn_lstm_variant_args v = p->v;
    seqnn_tref none = { NULL, 0 };
    if (!train)
        v.rnn.reserve = none;
    v.rnn.lengths = p->layer->lengths ? p->lens[set] : NULL;
    return p->layer->variant_kernel ? seqnn_lstm_variant_forward(p->ctx, &v) : seqnn_rnn_forward(p->ctx, &v.rnn);
}

static seqnn_status probe_backward(probe *p, int set)
{
    seqnn_lstm_variant_args v = p->v;
    v.rnn.lengths = p->layer->lengths ? p->lens[set] : NULL;
    v.rnn.flags = SEQNN_FLAG_OVERWRITE;
    return p->layer->variant_kernel ? seqnn_lstm_variant_backward(p->ctx, &v) : seqnn_rnn_backward(p->ctx, &v.rnn);
}

/* ------------------------------------------------------------------ count */

static const probe_layer probe_layers[] = {
    { "rnn-tanh", SEQNN_CELL_RNN_TANH, 0, 0, 0, 0, 0 },
    { "rnn-relu reverse lengths", SEQNN_CELL_RNN_RELU, 0, 0, 0, 1, 1 },
    { "lstm", SEQNN_CELL_LSTM, 0, 0, 0, 0, 0 },
    { "lstm reverse", SEQNN_CELL_LSTM, 0, 0, 0, 1, 0 },
    { "lstm lengths", SEQNN_CELL_LSTM, 0, 0, 0, 0, 1 },
    { "lstm reverse lengths", SEQNN_CELL_LSTM, 0, 0, 0, 1, 1 },
    { "gru", SEQNN_CELL_GRU, 0, 0, 0, 0, 0 },
    { "gru reverse lengths", SEQNN_CELL_GRU, 0, 0, 0, 1, 1 },
    { "gru-classic", SEQNN_CELL_GRU_CLASSIC, 0, 0, 0, 0, 0 },
    { "gru-classic reverse lengths", SEQNN_CELL_GRU_CLASSIC, 0, 0, 0, 1, 1 },
    { "lstm-peephole", SEQNN_CELL_LSTM, 1, SEQNN_LSTM_PEEPHOLE, 0, 0, 0 },
    { "lstm-coupled-peephole lengths", SEQNN_CELL_LSTM, 1, SEQNN_LSTM_COUPLED | SEQNN_LSTM_PEEPHOLE, 0, 0, 1 },
    { "lstm-projection", SEQNN_CELL_LSTM, 1, 0, 1, 0, 0 },
    { "lstm-peephole-projection reverse lengths", SEQNN_CELL_LSTM, 1, SEQNN_LSTM_PEEPHOLE, 1, 1, 1 },
};

enum { PROBE_INFER, PROBE_TRAIN, PROBE_BACKWARD, PROBE_CALLS };
static const char *const probe_call_names[PROBE_CALLS] = { "forward", "forward+reserve", "backward" };

static seqnn_status probe_call(probe *p, int call, int set)
{
    return call == PROBE_BACKWARD ? probe_backward(p, set) : probe_forward(p, call == PROBE_TRAIN, set);
}

static void probe_diff(ocl_trace_counts *d, const ocl_trace_counts *a, const ocl_trace_counts *b)
{
    d->waits = b->waits - a->waits;
    d->blocking = b->blocking - a->blocking;
    d->transfers = b->transfers - a->transfers;
    d->polls = b->polls - a->polls;
    d->buffers = b->buffers - a->buffers;
    d->launches = b->launches - a->launches;
    d->copies = b->copies - a->copies;
    d->kernel_objects = b->kernel_objects - a->kernel_objects;
    d->gemms = b->gemms - a->gemms;
}

/* The counts of the three calls of layer L at T (warm-up first, so that
 * programs and scratch exist; the measured calls use other lengths). */
static seqnn_status probe_count_at(seqnn_context *ctx, const probe_layer *L, int64_t T,
                                   ocl_trace_counts out[PROBE_CALLS])
{
    probe p;
    memset(&p, 0, sizeof p);
    p.ctx = ctx;
    probe_setup(&p, L, T, 3, 5, 8);
    seqnn_status st = p.st;
    for (int c = 0; c < PROBE_CALLS && st == SEQNN_OK; c++)
        st = probe_call(&p, c, 0);
    if (st == SEQNN_OK)
        st = seqnn_sync(ctx);
    for (int c = 0; c < PROBE_CALLS && st == SEQNN_OK; c++) {
        ocl_trace_counts before, after;
        ocl_trace_get(&before);
        st = probe_call(&p, c, 1);
        ocl_trace_get(&after);
        probe_diff(&out[c], &before, &after);
    }
    if (st == SEQNN_OK)
        st = seqnn_sync(ctx);
    probe_free(&p);
    return st;
}

static int probe_count(seqnn_context *ctx)
{
    static const int64_t Ts[2] = { 5, 20 };
    int bad = 0;
    printf("%-42s %-16s %s\n", "layer (B=3 I=5 H=8)", "call",
           "round trips T=5/20, transfers, buffers, kernel objects | per step: launches, copies, GEMMs");
    for (size_t l = 0; l < sizeof probe_layers / sizeof probe_layers[0]; l++) {
        const probe_layer *L = &probe_layers[l];
        ocl_trace_counts n[2][PROBE_CALLS];
        for (int t = 0; t < 2; t++) {
            seqnn_status st = probe_count_at(ctx, L, Ts[t], n[t]);
            if (st != SEQNN_OK) {
                fprintf(stderr, "%s at T=%lld: %s\n", L->name, (long long)Ts[t], seqnn_last_error());
                return 2;
            }
        }
        for (int c = 0; c < PROBE_CALLS; c++) {
            const ocl_trace_counts *a = &n[0][c], *b = &n[1][c];
            long ta = ocl_trace_round_trips(a), tb = ocl_trace_round_trips(b);
            int ok = ta == 0 && tb == 0 && a->transfers == b->transfers && a->buffers == b->buffers &&
                     a->polls == b->polls;
            double dT = (double)(Ts[1] - Ts[0]);
            printf("%-42s %-16s %ld/%ld, %ld/%ld, %ld/%ld, %ld/%ld | %.2f, %.2f, %.2f%s\n", L->name,
                   probe_call_names[c], ta, tb, a->transfers, b->transfers, a->buffers, b->buffers,
                   a->kernel_objects, b->kernel_objects, (double)(b->launches - a->launches) / dT,
                   (double)(b->copies - a->copies) / dT, (double)(b->gemms - a->gemms) / dT,
                   ok ? "" : "   <- FAIL");
            bad |= !ok;
        }
    }
    printf("%s\n", bad ? "FAIL: a host round trip in a recurrent call, or a count that grows with T"
                       : "OK: no host round trip in any recurrent call; transfers and buffers independent of T");
    return bad;
}

/* ------------------------------------------------------------------ bench */

typedef struct probe_opts {
    const char *cell;
    int64_t H, B, T, I, rounds, reps;
    int train, cpu, profile;
} probe_opts;

/* The layer once, to completion. */
static seqnn_status probe_layer_run(probe *p, int train)
{
    seqnn_status st = probe_forward(p, train, 0);
    if (st == SEQNN_OK && train)
        st = probe_backward(p, 0);
    return st == SEQNN_OK ? seqnn_sync(p->ctx) : st;
}

/* The recorded CLBlast calls of the layer, to completion. */
static seqnn_status probe_gemms_run(probe *p)
{
    int st = ocl_trace_replay();
    if (st != 0) {
        fprintf(stderr, "replaying the GEMMs: CLBlast status %d\n", st);
        return SEQNN_ERR_DEVICE;
    }
    return seqnn_sync(p->ctx);
}

static void probe_print(const char *what, bench_stats s)
{
    printf("%-44s median %8.2f ms  min %8.2f  max %8.2f  spread %5.1f%%\n", what, s.median * 1e3, s.min * 1e3,
           s.max * 1e3, s.median > 0 ? 100.0 * (s.max - s.min) / s.median : 0.0);
}

/* Alternating rounds of reps runs of the layer and of its GEMMs alone. */
static seqnn_status probe_time(probe *p, const probe_opts *o, bench_stats *layer, bench_stats *gemms)
{
    int n = (int)(o->rounds * o->reps);
    double *tl = calloc((size_t)n, sizeof *tl), *tg = calloc((size_t)n, sizeof *tg);
    seqnn_status st = tl && tg ? SEQNN_OK : SEQNN_ERR_NO_MEMORY;
    for (int64_t r = 0; r < o->rounds && st == SEQNN_OK; r++) {
        for (int half = 0; half < 2 && st == SEQNN_OK; half++) {
            int gemm_half = (int)((half + r) % 2);   /* which goes first alternates too */
            for (int64_t i = 0; i < o->reps && st == SEQNN_OK; i++) {
                double t0 = bench_now(o->cpu);
                st = gemm_half ? probe_gemms_run(p) : probe_layer_run(p, o->train);
                (gemm_half ? tg : tl)[r * o->reps + i] = bench_now(o->cpu) - t0;
            }
        }
    }
    if (st == SEQNN_OK) {
        *layer = bench_stats_of(tl, n);
        *gemms = bench_stats_of(tg, n);
    }
    free(tl);
    free(tg);
    return st;
}

/* Device time per kernel of one run of the layer, then of its GEMMs alone. */
static seqnn_status probe_profile(probe *p, const probe_opts *o)
{
    ocl_trace_profile(1);
    seqnn_status st = probe_forward(p, o->train, 0);
    if (st == SEQNN_OK && o->train)
        st = probe_backward(p, 0);
    ocl_trace_profile(0);
    if (st == SEQNN_OK)
        st = seqnn_sync(p->ctx);
    ocl_trace_profile_report(stdout, "profile of the layer");
    ocl_trace_profile(1);
    int rs = st == SEQNN_OK ? ocl_trace_replay() : 0;
    ocl_trace_profile(0);
    if (st == SEQNN_OK)
        st = rs ? SEQNN_ERR_DEVICE : seqnn_sync(p->ctx);
    ocl_trace_profile_report(stdout, "profile of its GEMMs alone");
    return st;
}

static int probe_bench(seqnn_context *ctx, const probe_opts *o)
{
    static const probe_layer cells[] = {
        { "lstm", SEQNN_CELL_LSTM, 0, 0, 0, 0, 0 },
        { "gru", SEQNN_CELL_GRU, 0, 0, 0, 0, 0 },
        { "rnn", SEQNN_CELL_RNN_TANH, 0, 0, 0, 0, 0 },
        { "gru-classic", SEQNN_CELL_GRU_CLASSIC, 0, 0, 0, 0, 0 },
    };
    const probe_layer *L = NULL;
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++)
        if (!strcmp(o->cell, cells[i].name))
            L = &cells[i];
    if (!L) {
        fprintf(stderr, "unknown cell %s (lstm, gru, rnn, gru-classic)\n", o->cell);
        return 2;
    }
    probe p;
    memset(&p, 0, sizeof p);
    p.ctx = ctx;
    probe_setup(&p, L, o->T, o->B, o->I, o->H);
    seqnn_status st = p.st;
    for (int i = 0; i < 2 && st == SEQNN_OK; i++)   /* programs built, scratch grown */
        st = probe_layer_run(&p, o->train);
    ocl_trace_counts before, after, d;
    ocl_trace_get(&before);
    ocl_trace_record(1);
    if (st == SEQNN_OK)
        st = probe_forward(&p, o->train, 0);
    if (st == SEQNN_OK && o->train)
        st = probe_backward(&p, 0);
    ocl_trace_record(0);
    ocl_trace_get(&after);
    probe_diff(&d, &before, &after);
    if (st == SEQNN_OK)
        st = seqnn_sync(ctx);
    if (st == SEQNN_OK)
        st = probe_gemms_run(&p);
    bench_stats sl, sg;
    if (st == SEQNN_OK)
        st = probe_time(&p, o, &sl, &sg);
    if (st != SEQNN_OK) {
        fprintf(stderr, "%s: %s\n", o->cell, seqnn_last_error());
        probe_free(&p);
        return 2;
    }
    seqnn_device_record dev;
    seqnn_context_device(ctx, &dev);
    printf("%s H=%lld B=%lld T=%lld I=%lld %s on %s, %s, %lld rounds x %lld runs each, alternating\n", o->cell,
           (long long)o->H, (long long)o->B, (long long)o->T, (long long)o->I,
           o->train ? "training (forward + backward)" : "inference (forward)", dev.name,
           o->cpu ? "process CPU time" : "wall clock", (long long)o->rounds, (long long)o->reps);
    printf("calls of the layer: %ld host round trips, %ld transfers, %ld kernel launches, %ld fills/copies, "
           "%ld CLBlast GEMMs\n", ocl_trace_round_trips(&d), d.transfers, d.launches, d.copies, d.gemms);
    probe_print("layer", sl);
    char what[64];
    snprintf(what, sizeof what, "its %ld CLBlast GEMMs alone (replayed)", ocl_trace_recorded());
    probe_print(what, sg);
    double ratio = sl.median / sg.median;
    printf("ratio layer / GEMMs = %.3f (target <= 1.15: %s)\n", ratio, ratio <= 1.15 ? "met" : "MISSED");
    if (o->profile && probe_profile(&p, o) != SEQNN_OK) {
        fprintf(stderr, "%s: %s\n", o->cell, seqnn_last_error());
        probe_free(&p);
        return 2;
    }
    probe_free(&p);
    ocl_trace_clear();
    return 0;
}

/* The field of a numeric option's value, or NULL. */
static int64_t *probe_number(probe_opts *o, const char *key)
{
    const struct {
        const char *key;
        int64_t *v;
    } nums[] = { { "--hidden", &o->H }, { "--batch", &o->B },   { "--seq", &o->T },
                 { "--input", &o->I },  { "--rounds", &o->rounds }, { "--reps", &o->reps } };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if (!strcmp(key, nums[i].key))
            return nums[i].v;
    return NULL;
}

static int probe_parse(int argc, char **argv, probe_opts *o, const char **spec)
{
    int64_t *n;
    for (int i = 2; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(k, "--train"))
            o->train = 1;
        else if (!strcmp(k, "--cpu"))
            o->cpu = 1;
        else if (!strcmp(k, "--profile"))
            o->profile = 1;
        else if (v && !strcmp(k, "--spec"))
            *spec = argv[++i];
        else if (v && !strcmp(k, "--cell"))
            o->cell = argv[++i];
        else if (v && (n = probe_number(o, k)) != NULL)
            *n = atoll(argv[++i]);
        else {
            fprintf(stderr, "unknown or incomplete option %s\n", k);
            return 0;
        }
    }
    if (o->I <= 0)
        o->I = o->H;
    return o->H > 0 && o->B > 0 && o->B <= 64 && o->T > 0 && o->rounds > 0 && o->reps > 0 && o->rounds * o->reps <= 1000000;
}

int main(int argc, char **argv)
{
    const char *spec = "opencl:Portable Computing Language";
    probe_opts o = { "lstm", 256, 64, 50, 0, 3, 5, 0, 0, 0 };
    int count = argc >= 2 && !strcmp(argv[1], "count"), bench = argc >= 2 && !strcmp(argv[1], "bench");
    if ((!count && !bench) || !probe_parse(argc, argv, &o, &spec)) {
        fprintf(stderr, "usage: %s count [--spec SPEC]\n"
                        "       %s bench [--cell lstm|gru|rnn|gru-classic] [--hidden H] [--batch B<=64] [--seq T]\n"
                        "             [--input I] [--train] [--rounds R] [--reps N] [--cpu] [--profile] [--spec SPEC]\n",
                argv[0], argv[0]);
        return 2;
    }
    seqnn_context *ctx = NULL;
    ocl_trace_profile_queues(o.profile);
    seqnn_status st = seqnn_context_create(spec, &ctx);
    if (st != SEQNN_OK) {
        fprintf(stderr, "%s: %s\n", spec, seqnn_last_error());
        return st == SEQNN_ERR_NOT_FOUND ? 77 : 2;    /* 77: no such device here */
    }
    int rc = count ? probe_count(ctx) : probe_bench(ctx, &o);
    seqnn_context_destroy(ctx);
    return rc;
}

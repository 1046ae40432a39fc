/* `seqnn bench dispatch [--chain A,B,...] [--calls N] [--reps R]`: what a
 * chain of devices adds to each kernel call (docs/backends.md, "Chains"):
 * a tiny call (1x1x1 gemm, a 1-element scale) timed through a context of the
 * device that runs it alone and through the chain, so that only dispatch
 * differs (the argument log, the capability queries, the placement ranges).
 * Prints ns per call (median of R repeats of N calls, in this process's CPU
 * time unless --clock wall), the difference and the ratio chain / one device. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"
#include "bench_timer.h"
#include "seqnn/seqnn.h"

typedef struct dispatch_opts {
    const char *chain;
    int calls, reps;
    int cpu_clock;                       /* time on the CPU (default), or the wall clock */
} dispatch_opts;

/* The tiny calls: 0 a 1x1x1 gemm, 1 a scale of one element, over buffer x[3]. */
static seqnn_status tiny_call(seqnn_context *ctx, int which, seqnn_buffer *x)
{
    if (which == 0) {
        seqnn_gemm_args g;
        memset(&g, 0, sizeof g);
        g.m = g.n = g.k = g.batch = 1;
        g.alpha = 1.0;
        g.a = seqnn_at(x, 0);
        g.b = seqnn_at(x, 1);
        g.c = seqnn_at(x, 2);
        g.lda = g.ldb = g.ldc = 1;
        return seqnn_gemm(ctx, &g);
    }
    seqnn_ew_args e = {.n = 1, .alpha = 1.0, .x = seqnn_at(x, 0), .z = seqnn_at(x, 2)};
    return seqnn_scale(ctx, &e);
}

/* Median ns per call of tiny call `which` on spec, and the chain device that
 * ran it (*device); NaN when it cannot run there. */
static double ns_per_call(const char *spec, int which, const dispatch_opts *o, int *device)
{
    seqnn_context *ctx;
    if (seqnn_context_create(spec, &ctx) != SEQNN_OK)
        return -1;
    seqnn_buffer *x = NULL;
    double t[BENCH_MAX_SAMPLES], result = -1;
    if (seqnn_buffer_alloc(ctx, SEQNN_F32, 3, &x) == SEQNN_OK && seqnn_buffer_fill(ctx, x, 0, 3, 1.0) == SEQNN_OK &&
        tiny_call(ctx, which, x) == SEQNN_OK) {   /* (any copy happens here) */
        seqnn_chain_stats st;
        seqnn_context_chain_stats(ctx, &st);
        *device = 0;
        for (int d = 0; d < st.devices && d < SEQNN_CHAIN_STATS_MAX; d++)
            if (st.calls[d])
                *device = d;
        for (int r = 0; r < o->reps; r++) {
            double t0 = bench_now(o->cpu_clock);
            for (int i = 0; i < o->calls; i++)
                tiny_call(ctx, which, x);
            t[r] = (bench_now(o->cpu_clock) - t0) / o->calls * 1e9;
        }
        qsort(t, (size_t)o->reps, sizeof t[0], bench_cmp);
        result = t[o->reps / 2];
    }
    seqnn_buffer_free(ctx, x);
    seqnn_context_destroy(ctx);
    return result;
}

static int dispatch_parse(int argc, char **argv, dispatch_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: seqnn bench dispatch [--chain A,B,...] [--calls N] [--reps R] [--clock cpu|wall]\n"
                   "  ns per call of a 1x1x1 gemm and a 1-element scale through the device that runs it\n"
                   "  alone and through the chain (default chain: ref,avx2), median of R (15) repeats of\n"
                   "  N (20000) calls in this process's CPU time (--clock wall: the wall clock), with the\n"
                   "  difference and the ratio chain / one device\n");
            return 0;
        }
        if (!v) {
            fprintf(stderr, "seqnn bench dispatch: unknown or incomplete argument '%s'\n", a);
            return 2;
        }
        if (!strcmp(a, "--chain"))
            o->chain = v;
        else if (!strcmp(a, "--calls"))
            o->calls = atoi(v);
        else if (!strcmp(a, "--reps"))
            o->reps = atoi(v);
        else if (!strcmp(a, "--clock") && (!strcmp(v, "cpu") || !strcmp(v, "wall")))
            o->cpu_clock = !strcmp(v, "cpu");
        else {
            fprintf(stderr, "seqnn bench dispatch: unknown argument '%s'\n", a);
            return 2;
        }
        i++;
    }
    if (o->calls < 1 || o->reps < 1 || o->reps > BENCH_MAX_SAMPLES || !strchr(o->chain, ',')) {
        fprintf(stderr, "seqnn bench dispatch: --calls >= 1, --reps 1..%d, and --chain a list A,B,...\n",
                BENCH_MAX_SAMPLES);
        return 2;
    }
    return -1;
}

int bench_dispatch_main(int argc, char **argv)
{
    dispatch_opts o = {"ref,avx2", 20000, 15, 1};
    int rc = dispatch_parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    static const char *const what[2] = {"1x1x1 gemm", "1-element scale"};
    printf("dispatch through the chain %s: ns per call (%s time), median of %d x %d calls\n", o.chain,
           o.cpu_clock ? "CPU" : "wall", o.reps, o.calls);
    for (int which = 0; which < 2; which++) {
        int d = -1, unused;
        double chain = ns_per_call(o.chain, which, &o, &d);
        if (chain < 0) {
            printf("%-16s cannot run on the chain: %s\n", what[which], seqnn_last_error());
            rc = 1;
            continue;
        }
        /* the entry of the chain that ran it, alone */
        char entry[1024];
        const char *start = o.chain;
        for (int k = 0; k < d && strchr(start, ','); k++)
            start = strchr(start, ',') + 1;
        size_t len = strcspn(start, ",");
        snprintf(entry, sizeof entry, "%.*s", (int)(len < sizeof entry ? len : sizeof entry - 1), start);
        double one = ns_per_call(entry, which, &o, &unused);
        if (one <= 0) {
            printf("%-16s cannot run on %s alone: %s\n", what[which], entry, seqnn_last_error());
            rc = 1;
            continue;
        }
        printf("%-16s runs on device %d (%s): alone %.0f ns, in the chain %.0f ns, +%.0f ns; "
               "ratio chain/one device = %.2fx\n",
               what[which], d + 1, entry, one, chain, chain - one, chain / one);
    }
    return rc > 0 ? 1 : 0;
}

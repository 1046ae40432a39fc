/* `seqnn bench`: times a kernel or a whole layer at a shape on each selected
 * plugin through the public API, and, in the same run, its peers (OpenBLAS,
 * oneDNN uncapped and capped at AVX2, PyTorch, a streaming triad), then
 * prints median times, spreads, rates, the fraction of the FMA peak (measured
 * in the same run) and the ratios ours / peer (speed: > 1 means ours is
 * faster), with its target next to each ratio.
 *
 * Peers are separate programs (bench/: seqnn-peer-openblas, seqnn-peer-onednn,
 * seqnn-peer-torch.py) found next to this program (or in SEQNN_BENCH_PEERS);
 * each is optional at build and run time ("peer X: not available (why)").
 * They answer in the line protocol of bench/peer_common.h; every median and
 * spread is computed here, the same way for every implementation.
 * The streaming triad (a = b + s*c) and the FMA peak are measured here.
 *
 * This file is the command: its options, the cases they ask for, and one
 * case at one thread count; cli/bench.h lists the other parts. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench.h"
#include "cli.h"
#include "seqnn/seqnn.h"

#define BENCH_PEERS 9
#define BENCH_MAX_CASES 64
#define BENCH_MAX_PLUGINS 16

/* uncapped, then capped at AVX2 ("-avx2", "-haswell": cli/bench_peers.c);
 * torch-cuda (PyTorch on a CUDA GPU) runs only when named, never for "all" */
static const char *const peer_names[BENCH_PEERS] = { "openblas", "openblas-haswell", "onednn",
                                                     "onednn-avx2", "torch", "torch-avx2",
                                                     "torch-passive", "triad", "torch-cuda" };

static void bench_usage(FILE *f)
{
    fprintf(f,
            "usage: seqnn bench WHAT [options]    or    seqnn bench --suite [options]\n"
            "WHAT: gemm | lstm | gru | rnn | conv | attention | adam | sgd | clip | dropout | model MODEL.seqnn\n"
            "      (seqnn bench dispatch [--chain A,B]: what a chain of devices adds per kernel call)\n"
            "shape:  --m --n --k (gemm, default 1024^3)\n"
            "        --hidden H --batch B --seq T --input I --layers L --bidir (lstm/gru/rnn; 512 64 50 H 1)\n"
            "        --batch --seq --embed --filters --widths 3,4,5 --channels-last (conv: Kim CNN 64 64 300 100)\n"
            "        --batch --heads --seq --dim (attention: 64 8 128 64, scaled dot product)\n"
            "        --params N (adam/sgd/clip/dropout: 10000000)\n"
            "        --vocab N ($vocab, $classes of a model file: 97), --batch --seq (model: its train line)\n"
            "mode:   --train (forward + backward; default inference) | --both\n"
            "run:    --plugin LIST (names or plugin file paths; default: every loaded plugin)\n"
            "        --peers LIST|all|none\n"
            "        (peers: openblas, openblas-haswell, onednn, onednn-avx2, torch, torch-avx2, torch-passive,\n"
            "        triad; -haswell / -avx2: capped at AVX2; torch-cuda: PyTorch on a CUDA GPU, only when\n"
            "        named)  --threads LIST (default 1,all)\n"
            "        --reps N (5)  --warmup N (1)  --rounds R (1: every implementation R times in turn,\n"
            "        samples pooled)  --clock wall|cpu (cpu: process CPU time, 1 thread only)\n"
            "        --budget SECONDS (timed seconds per implementation, default 120)  --csv FILE\n"
            "--suite: the standard suite (GEMM, LSTM/GRU/RNN H=256/512/1024 inference and training,\n"
            "        2-layer bidirectional LSTM H=512, Kim-CNN conv bank, attention, Adam/SGD/clip).\n"
            "Prints per implementation the median, min, max, spread, GFLOP/s or GB/s and %% of the FMA\n"
            "peak measured in the same run, then 'ratio OURS/PEER = X.XXx' (speed; > 1: ours faster).\n"
            "A plugin's rows carry its own name and the peak of the ISA its device reports (AVX2: 256-bit,\n"
            "AVX-512: 512-bit; '-' when it reports neither).\n");
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

/* ------------------------------------------------ one case, one thread count --- */

/* the FMA peak a peer's row is divided by: 256-bit for the peers capped at
 * AVX2, the widest the CPU has for the others (a plugin's row: by the ISA
 * its device reports, bench_plugin_peak) */
static double peer_peak(const double *peak, const char *impl)
{
    int capped = !strcmp(impl, "onednn-avx2") || !strcmp(impl, "openblas-haswell") || !strcmp(impl, "torch-avx2");
    return !capped && peak[1] > 0 ? peak[1] : peak[0];
}

static void one_header(const char *desc, int threads, const bench_opts *o, const double *peak, int flops,
                       const bench_plugin *plugins, int nplugins)
{
    printf("\n== %s | %d thread%s | %s clock, median of %d (%d round%s of %d after %d warm-up)\n", desc, threads,
           threads == 1 ? "" : "s", o->cpu_clock ? "process CPU" : "wall", o->rounds * o->reps, o->rounds,
           o->rounds == 1 ? "" : "s", o->reps, o->warmup);
    if (flops) {
        const char *absent = bench_peak_absent();
        if (absent)
            printf("  FMA peak: %s\n", absent);
        else
            printf("  FMA peak measured now: %.1f GFLOP/s with %d thread%s\n", peak[0], threads, threads == 1 ? "" : "s");
        if (!absent && peak[1] > 0)
            printf("  512-bit FMA peak measured now: %.1f GFLOP/s (the peak of the peers not capped at AVX2)\n",
                   peak[1]);
        if (!absent)
            bench_plugin_peaks_line(plugins, nplugins);
    }
    printf("  %-16s %10s %10s %10s %7s %8s %-6s %4s  %s\n", "impl", "median ms", "min ms", "max ms", "spread",
           "rate", "", "peak", "ISA / kernel");
}

/* rounds: every implementation in turn, again and again, so that a busy
 * moment of the machine falls on all of them alike; samples are pooled */
static void one_rounds(const bench_case *c, int threads, const bench_opts *o, const bench_plugin *plugins,
                       int nplugins, bench_result *ours_r, bench_result *peer_r)
{
    for (int round = 0; round < o->rounds; round++) {
        for (int i = 0; i < nplugins; i++)
            if (!ours_r[i].failed && bench_run_plugin(plugins[i].spec, c, o, &ours_r[i]) != 0)
                ours_r[i].failed = 1;
        for (int p = 0; p < BENCH_PEERS; p++) {
            bench_result *r = &peer_r[p];
            if (r->failed)
                continue;
            int rc = !strcmp(r->impl, "triad") ? bench_run_triad(c->params, threads, o, r)
                                               : bench_run_peer(r->impl, c, threads, o, r);
            if (rc != 0 || r->n == 0)
                r->failed = 1;
        }
    }
}

/* one row per implementation that ran, or why it did not; plugins: the
 * plugins res holds (NULL: peers) */
static void one_rows(const bench_case *c, const char *desc, int threads, const bench_opts *o, bench_result *res,
                     int n, const bench_plugin *plugins, const double *peak, int flops)
{
    const char *kind = plugins ? "plugin" : "peer";
    for (int i = 0; i < n; i++) {
        bench_result *r = &res[i];
        double rpeak = plugins ? bench_plugin_peak(peak, &plugins[i]) : peer_peak(peak, r->impl);
        int rflops = !strcmp(r->impl, "triad") ? 0 : flops;
        if (r->skipped)
            continue;
        if (r->failed) {
            printf("  %s %s: not available (%s)\n", kind, r->impl, r->note);
            r->n = 0;
            continue;
        }
        bench_result_finish(r);
        bench_print_row(r, rpeak, rflops);
        if (c->op == OP_MODEL)
            printf("  %-16s %10.2f steps/s %10.0f tokens/s\n", "", 1.0 / r->median,
                   (double)(c->batch * c->seq) / r->median);
        bench_csv_row(o->csv, desc, threads, r, rpeak, rflops, NULL, 0, 0);
    }
}

/* Runs one case at one thread count: every plugin, every peer, the ratios. */
static void bench_one(const bench_case *c, int threads, const bench_opts *o, const bench_plugin *plugins,
                      int nplugins, const double *peak)
{
    char desc[200];
    bench_case_describe(c, desc, sizeof desc);
    int flops = c->op != OP_OPTIM;
    double work = flops ? bench_case_flops(c) : bench_case_bytes(c);
    one_header(desc, threads, o, peak, flops, plugins, nplugins);
    bench_result *ours_r = calloc((size_t)nplugins, sizeof *ours_r);
    bench_result *peer_r = calloc(BENCH_PEERS, sizeof *peer_r);
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
        bench_copy_str(ours_r[i].impl, sizeof ours_r[i].impl, plugins[i].name);
        ours_r[i].work = work;
    }
    for (int p = 0; p < BENCH_PEERS; p++) {
        bench_result *r = &peer_r[p];
        bench_copy_str(r->impl, sizeof r->impl, peer_names[p]);
        r->is_peer = 1;
        r->work = work;
        int asked = strcmp(o->peers, "all") ? list_has(o->peers, peer_names[p]) : strcmp(peer_names[p], "torch-cuda");
        r->failed = !bench_peer_applies(peer_names[p], c) || !asked;
        r->skipped = r->failed;
    }
    one_rounds(c, threads, o, plugins, nplugins, ours_r, peer_r);
    one_rows(c, desc, threads, o, ours_r, nplugins, plugins, peak, flops);
    one_rows(c, desc, threads, o, peer_r, BENCH_PEERS, NULL, peak, flops);
    for (int i = 0; i < nplugins; i++)
        for (int p = 0; p < BENCH_PEERS && ours_r[i].n > 0; p++)
            if (peer_r[p].n > 0)
                bench_report_ratio(c, desc, threads, o, &ours_r[i], &peer_r[p],
                                   bench_plugin_peak(peak, &plugins[i]), flops);
    fflush(stdout);
    free(ours_r);
    free(peer_r);
}

/* -------------------------------------------------------------- command --- */

/* the command line, parsed */
typedef struct bench_cmd {
    bench_opts o;
    bench_case c;
    int64_t batch, seq;                  /* -1: the case's default */
    const char *csv_path;
    int suite, both, have_what;
    int cpus;
} bench_cmd;

/* options without a value, each setting an int to 1 */
static const struct {
    const char *name;
    size_t off;
} flag_opts[] = {
    { "--suite", offsetof(bench_cmd, suite) },
    { "--train", offsetof(bench_cmd, c.train) },
    { "--both", offsetof(bench_cmd, both) },
    { "--bidir", offsetof(bench_cmd, c.bidir) },
    { "--channels-last", offsetof(bench_cmd, c.channels_last) },
};

/* options with a whole number: an int64_t size (is64) or an int count */
static const struct {
    const char *name;
    size_t off;
    int is64;
} num_opts[] = {
    { "--m", offsetof(bench_cmd, c.m), 1 },           { "--n", offsetof(bench_cmd, c.n), 1 },
    { "--k", offsetof(bench_cmd, c.k), 1 },           { "--hidden", offsetof(bench_cmd, c.hidden), 1 },
    { "--batch", offsetof(bench_cmd, batch), 1 },     { "--seq", offsetof(bench_cmd, seq), 1 },
    { "--input", offsetof(bench_cmd, c.input), 1 },   { "--layers", offsetof(bench_cmd, c.layers), 1 },
    { "--embed", offsetof(bench_cmd, c.embed), 1 },   { "--filters", offsetof(bench_cmd, c.filters), 1 },
    { "--heads", offsetof(bench_cmd, c.heads), 1 },   { "--dim", offsetof(bench_cmd, c.dim), 1 },
    { "--params", offsetof(bench_cmd, c.params), 1 }, { "--reps", offsetof(bench_cmd, o.reps), 0 },
    { "--rounds", offsetof(bench_cmd, o.rounds), 0 }, { "--warmup", offsetof(bench_cmd, o.warmup), 0 },
    { "--vocab", offsetof(bench_cmd, c.vocab), 1 },
};

static void cmd_defaults(bench_cmd *m)
{
    memset(m, 0, sizeof *m);
    snprintf(m->o.peers, sizeof m->o.peers, "all");
    m->o.reps = 5;
    m->o.warmup = 1;
    m->o.rounds = 1;
    m->o.budget = 120;
    m->cpus = nprocs();
    m->o.threads[0] = 1;
    m->o.threads[1] = m->cpus;
    m->o.nthreads = m->cpus > 1 ? 2 : 1;
    bench_case_defaults(&m->c, "gemm");
    m->batch = m->seq = -1;
}

/* an option with value v: 1 when it was one (taking v), 0 when not, -1 bad */
static int cmd_value_opt(bench_cmd *m, const char *a, const char *v)
{
    for (size_t j = 0; j < sizeof num_opts / sizeof num_opts[0]; j++) {
        if (strcmp(a, num_opts[j].name))
            continue;
        char *field = (char *)m + num_opts[j].off;
        if (num_opts[j].is64)
            *(int64_t *)(void *)field = atoll(v);
        else
            *(int *)(void *)field = atoi(v);
        return 1;
    }
    if (!strcmp(a, "--widths")) {
        m->c.nwidths = parse_int_list(v, m->c.widths, BENCH_MAX_WIDTHS, 1);
        if (m->c.nwidths < 1) {
            fprintf(stderr, "seqnn bench: bad --widths '%s'\n", v);
            return -1;
        }
    } else if (!strcmp(a, "--threads")) {
        m->o.nthreads = parse_int_list(v, m->o.threads, 8, m->cpus);
        if (m->o.nthreads < 1) {
            fprintf(stderr, "seqnn bench: bad --threads '%s'\n", v);
            return -1;
        }
    } else if (!strcmp(a, "--plugin")) {
        snprintf(m->o.plugins, sizeof m->o.plugins, "%s", v);
    } else if (!strcmp(a, "--peers")) {
        snprintf(m->o.peers, sizeof m->o.peers, "%s", v);
    } else if (!strcmp(a, "--budget")) {
        m->o.budget = atof(v);
    } else if (!strcmp(a, "--clock")) {
        m->o.cpu_clock = !strcmp(v, "cpu");
    } else if (!strcmp(a, "--csv")) {
        m->csv_path = v;
    } else {
        return 0;
    }
    return 1;
}

/* the arguments into m: -1 to go on, else the exit status (0 after --help) */
static int cmd_parse(bench_cmd *m, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int done = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            bench_usage(stdout);
            return 0;
        }
        for (size_t j = 0; j < sizeof flag_opts / sizeof flag_opts[0] && !done; j++)
            if (!strcmp(a, flag_opts[j].name)) {
                *(int *)(void *)((char *)m + flag_opts[j].off) = 1;
                done = 1;
            }
        if (!done && v) {
            done = cmd_value_opt(m, a, v);
            if (done < 0)
                return 2;
            i += done;
        }
        if (!done && a[0] != '-' && !m->have_what && bench_case_known(a)) {
            bench_case_set_what(&m->c, a);   /* options given before WHAT stay */
            m->have_what = done = 1;
        } else if (!done && a[0] != '-' && m->have_what && m->c.op == OP_MODEL && !m->c.model[0]) {
            bench_copy_str(m->c.model, sizeof m->c.model, a);
            done = 1;
        }
        if (!done) {
            fprintf(stderr, "seqnn bench: unknown or incomplete argument '%s'\n", a);
            bench_usage(stderr);
            return 2;
        }
    }
    return -1;
}

/* the sizes that depend on the case, then the checks: 0, or the exit status */
static int cmd_check(bench_cmd *m)
{
    bench_case *c = &m->c;
    const bench_opts *o = &m->o;
    if (!m->suite && !m->have_what) {
        bench_usage(stderr);
        return 2;
    }
    if (strcmp(o->peers, "all") && strcmp(o->peers, "none")) {
        for (const char *p = o->peers; *p;) {
            size_t len = strcspn(p, ",");
            int known = 0;
            for (int j = 0; j < BENCH_PEERS; j++)
                known |= strlen(peer_names[j]) == len && !strncmp(p, peer_names[j], len);
            if (!known) {
                fprintf(stderr, "seqnn bench: unknown peer '%.*s' in --peers (see --help)\n", (int)len, p);
                return 2;
            }
            p += len + (p[len] == ',');
        }
    }
    if (o->reps < 1 || o->rounds < 1 || o->reps * o->rounds > BENCH_MAX_SAMPLES || o->warmup < 0) {
        fprintf(stderr, "seqnn bench: --reps times --rounds must be 1..%d and --warmup >= 0\n", BENCH_MAX_SAMPLES);
        return 2;
    }
    if (!m->suite && c->op == OP_MODEL) {
        if (!c->model[0]) {
            fprintf(stderr, "seqnn bench model: which model file? (seqnn bench model MODEL.seqnn)\n");
            return 2;
        }
        c->train = 1;
        return bench_model_probe(c, m->batch, m->seq) == 0 ? 0 : 2;
    }
    if (m->batch > 0)
        c->batch = m->batch;
    if (m->seq > 0)
        c->seq = m->seq;
    else if (c->op == OP_CONV)
        c->seq = 64;
    else if (c->op == OP_ATTENTION)
        c->seq = 128;
    if (c->input <= 0)
        c->input = c->hidden;
    if (c->m < 1 || c->n < 1 || c->k < 1 || c->hidden < 1 || c->batch < 1 || c->seq < 1 || c->layers < 1 ||
        c->layers > BENCH_MAX_LAYERS || c->embed < 1 || c->filters < 1 || c->heads < 1 || c->dim < 1 ||
        c->params < 1) {
        fprintf(stderr, "seqnn bench: sizes must be positive (layers at most %d)\n", BENCH_MAX_LAYERS);
        return 2;
    }
    for (int i = 0; c->op == OP_CONV && i < c->nwidths; i++)
        if (c->widths[i] > c->seq) {
            fprintf(stderr, "seqnn bench: filter width %d is longer than the sequence\n", c->widths[i]);
            return 2;
        }
    if (o->cpu_clock)
        for (int i = 0; i < o->nthreads; i++)
            if (o->threads[i] > 1)
                fprintf(stderr, "seqnn bench: warning: --clock cpu adds up the CPU time of all threads; "
                                "use it with --threads 1\n");
    return 0;
}

/* the cases to run: the suite, or the one case (inference, training or both) */
static int cmd_cases(const bench_cmd *m, bench_case *cases, int max)
{
    if (m->suite)
        return bench_suite_cases(cases, max);
    int n = 0;
    if (m->c.op == OP_MODEL)
        return bench_add_case(cases, n, max, &m->c);
    for (int train = 0; train < 2; train++) {
        if (!m->both && train != m->c.train)
            continue;
        if (m->both && m->c.op != OP_RNN && m->c.op != OP_CONV && m->c.op != OP_ATTENTION && train)
            continue;
        bench_case d = m->c;
        d.train = train;
        n = bench_add_case(cases, n, max, &d);
    }
    return n;
}

static void cmd_banner(const bench_cmd *m, int ncases, const bench_plugin *plugins, int nplugins)
{
    printf("seqnn bench: %d case(s), plugins:", ncases);
    for (int i = 0; i < nplugins; i++)
        printf(strcmp(plugins[i].spec, plugins[i].name) ? " %s (%s)" : " %s", plugins[i].name, plugins[i].spec);
    printf("; peers: %s; threads:", m->o.peers);
    for (int i = 0; i < m->o.nthreads; i++)
        printf(" %d", m->o.threads[i]);
    printf("; CPUs: %d\n", m->cpus);
}

int seqnn_cli_bench(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "dispatch"))   /* cli/bench_dispatch.c */
        return bench_dispatch_main(argc - 1, argv + 1);
    bench_cmd m;
    cmd_defaults(&m);
    int rc = cmd_parse(&m, argc, argv);
    if (rc >= 0)
        return rc;
    rc = cmd_check(&m);
    if (rc != 0)
        return rc;
    bench_case *cases = calloc(BENCH_MAX_CASES, sizeof *cases);
    if (!cases)
        return 1;
    int ncases = cmd_cases(&m, cases, BENCH_MAX_CASES);
    bench_plugin plugins[BENCH_MAX_PLUGINS];
    int nplugins = bench_select_plugins(m.o.plugins, plugins, BENCH_MAX_PLUGINS);
    if (nplugins == 0)
        printf("no plugin loaded (seqnn info says why)\n");
    if (m.csv_path) {
        m.o.csv = fopen(m.csv_path, "w");
        if (!m.o.csv) {
            fprintf(stderr, "seqnn bench: cannot write %s: %s\n", m.csv_path, strerror(errno));
            free(cases);
            return 1;
        }
        bench_csv_header(m.o.csv);
    }
    cmd_banner(&m, ncases, plugins, nplugins);
    bench_summary_reset();
    for (int ti = 0; ti < m.o.nthreads; ti++) {
        double peak[2] = { bench_peak_measure(m.o.threads[ti]), bench_peak512_measure(m.o.threads[ti]) };
        for (int i = 0; i < ncases; i++)
            bench_one(&cases[i], m.o.threads[ti], &m.o, plugins, nplugins, peak);
    }
    bench_summary_print();
    if (m.o.csv)
        fclose(m.o.csv);
    free(cases);
    return 0;
}

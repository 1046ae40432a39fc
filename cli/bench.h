/* `seqnn bench`, shared between its files: the case (what is timed, at which
 * shape), the options of a run, one implementation's result, and the entry
 * points of each part:
 *   cli/bench.c         the command: options, the cases, one case at one thread count
 *   cli/bench_cases.c   cases: defaults, the standard suite, work per iteration, targets
 *   cli/bench_probe.c   the FMA peak and the streaming triad (x86 only: elsewhere "not measured")
 *   cli/bench_ours.c    our plugins through the public API
 *   cli/bench_model.c   whole training steps of a model file (`seqnn bench model`)
 *   cli/bench_peers.c   the peer programs of bench/ and their line protocol
 *   cli/bench_report.c  statistics, table rows, CSV rows, the ratio lines and the summary
 *   cli/bench_dispatch.c  `seqnn bench dispatch`: a chain of devices' cost per kernel call */
#ifndef SEQNN_CLI_BENCH_H
#define SEQNN_CLI_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define BENCH_MAX_SAMPLES 1000
#define BENCH_MAX_WIDTHS 8
#define BENCH_MAX_BUFS 128
#define BENCH_MAX_LAYERS 8

typedef enum { OP_GEMM, OP_RNN, OP_CONV, OP_ATTENTION, OP_OPTIM, OP_MODEL } bench_op;

typedef struct bench_case {
    bench_op op;
    char name[16];                       /* gemm lstm gru rnn conv attention adam sgd clip model */
    int64_t m, n, k;
    int64_t hidden, batch, seq, input, layers;
    int bidir;
    int64_t embed, filters;
    int widths[BENCH_MAX_WIDTHS], nwidths;
    int channels_last;                   /* conv: x as [B, T, E] instead of [B, E, T] */
    int64_t heads, dim;
    int64_t params;
    int train;
    char model[1024];                    /* model: the model file */
    int64_t vocab;                       /* model: $vocab, $classes, ... */
    double model_flops;                  /* model: flops of one training step */
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

/* strlcpy: copies what fits, always terminated */
static inline void bench_copy_str(char *dst, size_t n, const char *src)
{
    size_t len = strlen(src);
    if (len >= n)
        len = n - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* cli/bench_dispatch.c: `seqnn bench dispatch` (argv[0] is "dispatch") */
int bench_dispatch_main(int argc, char **argv);

/* cli/bench_cases.c */
void bench_case_defaults(bench_case *c, const char *what);
void bench_case_set_what(bench_case *c, const char *what);
int bench_case_known(const char *what);
double bench_case_flops(const bench_case *c);
double bench_case_bytes(const bench_case *c);
void bench_case_describe(const bench_case *c, char *s, size_t n);
double bench_case_target(const bench_case *c, const char *peer, int threads);
int bench_add_case(bench_case *cases, int n, int max, const bench_case *c);
int bench_suite_cases(bench_case *cases, int max);

/* cli/bench_probe.c: FMA GFLOP/s of `threads` threads at once (256-bit), 0 when not
 * measured (bench_peak_absent() then says why, else it is NULL) */
double bench_peak_measure(int threads);
double bench_peak512_measure(int threads);   /* 512-bit FMA; 0 without AVX-512F */
const char *bench_peak_absent(void);
int bench_run_triad(int64_t n, int threads, const bench_opts *o, bench_result *r);

/* cli/bench_ours.c: times one plugin on the case; -1 (with r->note) when it cannot */
int bench_run_plugin(const char *plugin, const bench_case *c, const bench_opts *o, bench_result *r);

/* cli/bench_model.c: B, T and the work of a model file's step into c (-1
 * after printing why not); times its training steps on one plugin */
int bench_model_probe(bench_case *c, int64_t batch, int64_t seq);
int bench_model_run_plugin(const char *plugin, const bench_case *c, const bench_opts *o, bench_result *r);

/* cli/bench_peers.c */
int bench_peer_applies(const char *name, const bench_case *c);
int bench_run_peer(const char *name, const bench_case *c, int threads, const bench_opts *o, bench_result *r);

/* cli/bench_plugins.c: the plugins to run. spec: what --plugin named (a name
 * or a plugin file path, given to seqnn_context_create); name: the plugin's
 * own name (the rows' label); isa_bits: 512 when its device reports
 * AVX-512, 256 for AVX2, 0 for neither (its peak unknown). */
typedef struct bench_plugin {
    char spec[256];
    char name[32];
    int isa_bits;
} bench_plugin;
/* the --plugin list (comma-separated), or every loaded plugin when it is "" */
int bench_select_plugins(const char *list, bench_plugin *out, int max);
/* the FMA peak p's rows are divided by (peak: 256-bit, 512-bit); 0: unknown */
double bench_plugin_peak(const double *peak, const bench_plugin *p);
/* one header line: each plugin row's peak */
void bench_plugin_peaks_line(const bench_plugin *plugins, int n);

/* cli/bench_report.c */
void bench_result_finish(bench_result *r);
void bench_print_row(const bench_result *r, double peak, int flops);
void bench_csv_header(FILE *f);
void bench_csv_row(FILE *f, const char *desc, int threads, const bench_result *r, double peak, int flops,
                   const char *vs, double ratio, double target);
void bench_report_ratio(const bench_case *c, const char *desc, int threads, const bench_opts *o,
                        const bench_result *ours, const bench_result *peer, double peak, int flops);
void bench_summary_reset(void);
void bench_summary_print(void);

#endif

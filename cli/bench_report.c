/* `seqnn bench`, what it reports: the statistics of one implementation's
 * samples (median, min, max), its table row and CSV row, the ratio lines
 * ours / peer with their targets, and the summary of every ratio at the end. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"
#include "cli_error.h"
#include "bench_timer.h"

#define SUMMARY_MAX 512

static struct {
    char lines[SUMMARY_MAX][200];
    int n;
} summary;

void bench_result_finish(bench_result *r)
{
    qsort(r->samples, (size_t)r->n, sizeof r->samples[0], bench_cmp);
    r->min = r->samples[0];
    r->max = r->samples[r->n - 1];
    r->median = r->n % 2 ? r->samples[r->n / 2] : 0.5 * (r->samples[r->n / 2 - 1] + r->samples[r->n / 2]);
}

void bench_print_row(const bench_result *r, double peak, int flops)
{
    double rate = r->work / r->median * 1e-9, spread = (r->max - r->min) / r->median * 100;
    char pk[16] = "   -";
    if (flops && peak > 0)
        snprintf(pk, sizeof pk, "%3.0f%%", 100 * rate / peak);
    printf("  %-16s %10.3f %10.3f %10.3f %6.1f%% %8.1f %-7s %s  %s%s%s%s\n", r->impl, r->median * 1e3, r->min * 1e3,
           r->max * 1e3, spread, rate, flops ? "GFLOP/s" : "GB/s", pk, r->isa, r->note[0] ? " [" : "",
           r->note, r->note[0] ? "]" : "");
}

void bench_csv_header(FILE *f)
{
    fprintf(f, "case,threads,impl,isa,median_ms,min_ms,max_ms,reps,rate,unit,peak_pct,vs,ratio,target\n");
}

void bench_csv_row(FILE *f, const char *desc, int threads, const bench_result *r, double peak, int flops,
                   const char *vs, double ratio, double target)
{
    if (!f)
        return;
    cli_csv_field(f, 1, desc);
    fprintf(f, ",%d,", threads);
    cli_csv_field(f, 1, r->impl);
    fputc(',', f);
    if (vs) {
        fprintf(f, ",,,,,,,,");
        cli_csv_field(f, 1, vs);
        fprintf(f, ",%.4f,", ratio);
        if (target > 0)
            fprintf(f, "%.2f", target);
        fputc('\n', f);
        return;
    }
    double rate = r->work / r->median * 1e-9;
    cli_csv_field(f, 1, r->isa);
    fprintf(f, ",%.6f,%.6f,%.6f,%d,%.3f,%s,", r->median * 1e3, r->min * 1e3, r->max * 1e3, r->n, rate,
            flops ? "GFLOP/s" : "GB/s");
    if (flops && peak > 0)
        fprintf(f, "%.1f", 100 * rate / peak);
    fprintf(f, ",,,\n");
}


/* "ratio OURS/PEER = X.XXXx" with its target, its CSV row and its summary
 * line. The speed ratio: the same work, so peer time / our time; the triad
 * moves other bytes, so there it is our GB/s over its GB/s. */
void bench_report_ratio(const bench_case *c, const char *desc, int threads, const bench_opts *o,
                        const bench_result *ours, const bench_result *peer, double peak, int flops)
{
    double ratio = !strcmp(peer->impl, "triad") ? (ours->work / ours->median) / (peer->work / peer->median)
                                                : peer->median / ours->median;
    double target = bench_case_target(c, peer->impl, threads);
    char tgt[64] = "";
    if (target > 0)
        snprintf(tgt, sizeof tgt, "; target >= %.2f: %s", target, ratio >= target ? "met" : "MISSED");
    printf("ratio %s/%s = %.3fx (%s, %d thread%s%s)\n", ours->impl, peer->impl, ratio, desc, threads,
           threads == 1 ? "" : "s", tgt);
    bench_csv_row(o->csv, desc, threads, ours, peak, flops, peer->impl, ratio, target);
    if (summary.n < SUMMARY_MAX) {
        char pair[72];
        snprintf(pair, sizeof pair, "%s/%s", ours->impl, peer->impl);
        snprintf(summary.lines[summary.n++], sizeof summary.lines[0], "%-62.62s %2d  %-24s %7.3fx %s", desc,
                 threads, pair, ratio, target > 0 ? (ratio >= target ? "met" : "MISSED") : "");
    }
}

void bench_summary_reset(void)
{
    summary.n = 0;
}

void bench_summary_print(void)
{
    if (summary.n == 0)
        return;
    printf("\nsummary (speed ratios ours/peer; > 1: ours faster):\n");
    for (int i = 0; i < summary.n; i++)
        printf("  %s\n", summary.lines[i]);
}

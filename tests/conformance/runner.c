/* The conformance runner: `seqnn conformance [--plugin NAME|PATH]... [--device SUB]
 * [--kernel REGEX] [--seed N] [--report FILE] [--verbose] [--structure]`. Runs every kernel
 * test (and every golden check) on each requested plugin, prints one line per
 * kernel and plugin, a reproducer for each failure, and the closing line
 * `N passed, N failed[, N skipped]`. Exit status 0 when nothing failed, 1 when
 * something failed, 77 when every requested plugin was skipped (it cannot run
 * on this machine). --structure prints each device's boundaries (the
 * structure query, from which the suite derives its shapes) instead. */
#define _GNU_SOURCE
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "framework.h"
#include "seqnn/plugin.h"
#include "runner.h"

typedef void (*cf_test_fn)(cf_run *r);

static const struct {
    const char *name;
    cf_test_fn fn;
} kernel_tests[] = {
#define SEQNN_KERNEL(name, args, doc) {#name, cf_test_##name},
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
};

/* One result line, kept for the report. */
typedef struct result {
    char plugin[64], device[256], test[96];
    int passed, unsupported, checks, failed_checks;
    double worst_ratio, seconds;
    char failure[1536];
} result;

typedef struct results {
    result *items;
    size_t n, cap;
} results;

static int push(results *rs, const result *r)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? 2 * rs->cap : 64;
        result *p = realloc(rs->items, cap * sizeof *p);
        if (!p)
            return -1;
        rs->items = p;
        rs->cap = cap;
    }
    rs->items[rs->n++] = *r;
    return 0;
}

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void shell_quote(char *out, size_t size, const char *s)
{
    size_t n = 0;
    if (size < 3) { if (size) out[0] = '\0'; return; }
    out[n++] = '\'';
    for (; *s && n + 5 < size; s++) {
        if (*s == '\'') { memcpy(out + n, "'\\''", 4); n += 4; }
        else out[n++] = *s;
    }
    out[n++] = '\'';
    out[n] = '\0';
}

/* Runs one test (kernel or golden) on ctx and records the line. */
static void run_one(seqnn_context *ctx, const char *plugin_arg, const char *device_arg, const char *plugin_name,
                    const char *device_name, const char *test, uint64_t seed, int verbose, int golden_index,
                    cf_test_fn fn, results *rs, int *passed, int *failed)
{
    cf_run run;
    memset(&run, 0, sizeof run);
    run.ctx = ctx;
    run.rng = seed ^ hash_name(test);
    run.verbose = verbose;
    double t0 = now_seconds();
    if (fn)
        fn(&run);
    else
        cf_golden_test(&run, golden_index);
    if (run.in_check)
        cf_end(&run);
    result res;
    memset(&res, 0, sizeof res);
    snprintf(res.plugin, sizeof res.plugin, "%s", plugin_name);
    snprintf(res.device, sizeof res.device, "%s", device_name);
    snprintf(res.test, sizeof res.test, "%s", test);
    res.checks = run.checks;
    res.failed_checks = run.failed_checks;
    res.unsupported = run.unsupported;
    res.worst_ratio = run.worst_ratio;
    res.seconds = now_seconds() - t0;
    if (run.checks == 0 && !run.first_failure[0])
        snprintf(run.first_failure, sizeof run.first_failure, "the test ran no check");
    res.passed = run.failed_checks == 0 && !run.first_failure[0];
    snprintf(res.failure, sizeof res.failure, "%s", run.first_failure);
    if (res.passed) {
        (*passed)++;
        printf("PASS  %-8s %-22s %4d checks, worst %.2f of budget, %.2f s\n", plugin_name, test, res.checks,
               res.worst_ratio, res.seconds);
    } else {
        (*failed)++;
        char qp[512], qk[160], qd[512] = "";
        shell_quote(qp, sizeof qp, plugin_arg);
        char pattern[128];
        snprintf(pattern, sizeof pattern, "^%s$", test);
        shell_quote(qk, sizeof qk, pattern);
        if (device_arg) {
            char q[400];
            shell_quote(q, sizeof q, device_arg);
            snprintf(qd, sizeof qd, " --device %s", q);
        }
        printf("FAIL  %-8s %-22s %s%d of %d checks failed: %s\n", plugin_name, test,
               res.unsupported ? "UNSUPPORTED: " : "", res.failed_checks, res.checks, res.failure);
        printf("      reproduce: seqnn conformance --plugin %s%s --kernel %s --seed %llu\n", qp, qd, qk,
               (unsigned long long)seed);
    }
    fflush(stdout);
    push(rs, &res);
}

/* Prints the boundaries the suite derives its shapes from; 0, or -1 when the
 * query fails. */
static int print_structure(seqnn_context *ctx)
{
    static const char *const dims[SEQNN_DIM_COUNT] = {
        "m", "n", "k", "n*k", "m*n*k", "lanes", "batch", "hidden", "input", "rows",
        "queries", "keys", "features", "channels", "length", "elements",
    };
    const seqnn_boundary *b = NULL;
    int64_t n = 0;
    int declared = 0;
    if (seqnn_context_structure(ctx, &b, &n, &declared) != SEQNN_OK) {
        printf("FAIL  structure query: %s\n", seqnn_last_error());
        return -1;
    }
    printf("  %lld boundaries (%s)\n", (long long)n, declared ? "declared by the plugin" : "the default set");
    for (int64_t i = 0; i < n; i++) {
        const char *kernel = b[i].kernel < 0 ? "(every)" : seqnn_kernel_name((seqnn_kernel_id)b[i].kernel);
        const char *dim = b[i].dim >= 0 && b[i].dim < SEQNN_DIM_COUNT ? dims[b[i].dim] : "?";
        printf("  %-20s %-9s %10lld  %s\n", kernel ? kernel : "?", dim, (long long)b[i].value,
               b[i].what ? b[i].what : "");
    }
    return 0;
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static int write_report(const char *path, const results *rs, uint64_t seed, int passed, int failed, int skipped,
                        const char *skipped_text)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    size_t n = strlen(path);
    int markdown = n > 3 && !strcmp(path + n - 3, ".md");
    int kernels = SEQNN_KERNEL_COUNT;
    if (markdown) {
        fprintf(f, "# seqnn conformance report\n\nseqnn %s, plugin ABI %d.%d, seed %llu\n\n", SEQNN_VERSION,
                SEQNN_ABI_MAJOR, SEQNN_ABI_MINOR, (unsigned long long)seed);
        fprintf(f, "%d passed, %d failed, %d skipped; catalogue: %d kernels\n\n", passed, failed, skipped, kernels);
        if (skipped_text[0])
            fprintf(f, "Skipped: %s\n\n", skipped_text);
        fprintf(f, "| plugin | device | test | result | checks | worst error / budget | budget / worst error | "
                   "seconds | detail |\n");
        fprintf(f, "|---|---|---|---|---|---|---|---|---|\n");
        for (size_t i = 0; i < rs->n; i++) {
            const result *r = &rs->items[i];
            char headroom[32];
            if (r->worst_ratio > 0)
                snprintf(headroom, sizeof headroom, "%.0f", 1 / r->worst_ratio);
            else
                snprintf(headroom, sizeof headroom, "exact");
            fprintf(f, "| %s | %s | %s | %s | %d | %.3f | %s | %.2f | ", r->plugin, r->device, r->test,
                    r->passed ? "passed" : r->unsupported ? "unsupported" : "failed", r->checks, r->worst_ratio,
                    headroom, r->seconds);
            for (const char *s = r->failure; *s; s++)
                fputc(*s == '|' ? '/' : *s == '\n' ? ' ' : *s, f);
            fprintf(f, " |\n");
        }
    } else {
        fprintf(f, "{\n  \"seqnn_version\": \"%s\",\n  \"abi\": \"%d.%d\",\n  \"seed\": %llu,\n", SEQNN_VERSION,
                SEQNN_ABI_MAJOR, SEQNN_ABI_MINOR, (unsigned long long)seed);
        fprintf(f, "  \"catalogue_kernels\": %d,\n  \"passed\": %d,\n  \"failed\": %d,\n  \"skipped\": %d,\n", kernels,
                passed, failed, skipped);
        fprintf(f, "  \"skipped_reason\": ");
        json_string(f, skipped_text);
        fprintf(f, ",\n  \"results\": [\n");
        for (size_t i = 0; i < rs->n; i++) {
            const result *r = &rs->items[i];
            fprintf(f, "    {\"plugin\": ");
            json_string(f, r->plugin);
            fprintf(f, ", \"device\": ");
            json_string(f, r->device);
            fprintf(f, ", \"test\": ");
            json_string(f, r->test);
            fprintf(f, ", \"result\": \"%s\", \"checks\": %d, \"failed_checks\": %d, \"worst_ratio\": %.6g, "
                       "\"seconds\": %.3f, \"detail\": ",
                    r->passed ? "passed" : r->unsupported ? "unsupported" : "failed", r->checks, r->failed_checks,
                    r->worst_ratio, r->seconds);
            json_string(f, r->failure);
            fprintf(f, "}%s\n", i + 1 < rs->n ? "," : "");
        }
        fprintf(f, "  ]\n}\n");
    }
    int bad = ferror(f);
    bad |= fclose(f);
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: seqnn conformance [--plugin NAME|PATH]... [--device SUBSTRING] [--kernel REGEX]\n"
            "                         [--seed N] [--report FILE(.json|.md)] [--verbose] [--list] [--structure]\n"
            "Runs every kernel of the catalogue on each plugin (default: SEQNN_BACKEND, else every\n"
            "plugin found) against the float64 oracle, plus the golden PyTorch checks.\n"
            "--structure prints each device's blocking, threading and vector-width boundaries\n"
            "(from which the suite derives its shapes) and runs nothing.\n");
}

int seqnn_conformance_main(int argc, char **argv)
{
    const char *plugins[32];
    int n_plugins = 0;
    const char *device = NULL, *kernel_re = NULL, *report = NULL;
    uint64_t seed = 1;
    int verbose = 0, list = 0, structure = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--plugin") && has_value && n_plugins < 32) plugins[n_plugins++] = argv[++i];
        else if (!strcmp(a, "--device") && has_value) device = argv[++i];
        else if (!strcmp(a, "--kernel") && has_value) kernel_re = argv[++i];
        else if (!strcmp(a, "--seed") && has_value) {
            char *end;
            seed = strtoull(argv[++i], &end, 0);
            if (*end) { fprintf(stderr, "seqnn conformance: bad seed '%s'\n", argv[i]); return 2; }
        } else if (!strcmp(a, "--report") && has_value) report = argv[++i];
        else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) verbose = 1;
        else if (!strcmp(a, "--list")) list = 1;
        else if (!strcmp(a, "--structure")) structure = 1;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        else { fprintf(stderr, "seqnn conformance: unknown or incomplete option '%s'\n", a); usage(stderr); return 2; }
    }
    regex_t re;
    if (kernel_re && regcomp(&re, kernel_re, REG_EXTENDED | REG_NOSUB) != 0) {
        fprintf(stderr, "seqnn conformance: bad --kernel regular expression '%s'\n", kernel_re);
        return 2;
    }
    if (list) {
        for (int k = 0; k < SEQNN_KERNEL_COUNT; k++)
            printf("%s\n", kernel_tests[k].name);
        for (int g = 0; g < cf_golden_count(); g++)
            printf("%s\n", cf_golden_name(g));
        if (kernel_re) regfree(&re);
        return 0;
    }

    seqnn_registry *reg;
    if (seqnn_registry_open(&reg) != SEQNN_OK) {
        fprintf(stderr, "seqnn conformance: %s\n", seqnn_last_error());
        if (kernel_re) regfree(&re);
        return 2;
    }
    /* which plugins: --plugin, else SEQNN_BACKEND, else every loaded plugin */
    const char *env = getenv("SEQNN_BACKEND");
    char env_plugin[512];
    if (n_plugins == 0 && env && *env) {
        snprintf(env_plugin, sizeof env_plugin, "%s", env);
        char *slash = strrchr(env_plugin, '/');
        char *colon = strchr(slash ? slash : env_plugin, ':');
        if (colon) {
            *colon = '\0';
            if (!device && colon[1])
                device = env + (colon + 1 - env_plugin);
        }
        plugins[n_plugins++] = env_plugin;
    }
    int all = n_plugins == 0;
    if (all) {
        for (int64_t p = 0; p < seqnn_registry_plugin_count(reg) && n_plugins < 32; p++) {
            seqnn_plugin_record rec;
            seqnn_registry_plugin(reg, p, &rec);
            if (rec.loaded)
                plugins[n_plugins++] = rec.name;
        }
    }
    printf("seqnn conformance: seqnn %s, ABI %d.%d, seed %llu, %d kernels + %d golden checks\n", SEQNN_VERSION,
           SEQNN_ABI_MAJOR, SEQNN_ABI_MINOR, (unsigned long long)seed, SEQNN_KERNEL_COUNT, cf_golden_count());
    int passed = 0, failed = 0, skipped = 0;
    char skipped_text[2048] = "";
    results rs = {NULL, 0, 0};
    for (int p = 0; p < n_plugins; p++) {
        char spec[1024];
        snprintf(spec, sizeof spec, "%s%s%s", plugins[p], device ? ":" : "", device ? device : "");
        int64_t dev;
        char why[512];
        seqnn_status s = seqnn_registry_select(reg, spec, &dev, why, sizeof why);
        seqnn_context *ctx = NULL;
        if (s == SEQNN_OK)
            s = seqnn_context_open(reg, dev, &ctx);
        if (s != SEQNN_OK) {
            /* a plugin that cannot run on this machine (score 0) is skipped, with the reason */
            if (s == SEQNN_ERR_UNSUPPORTED) {
                skipped++;
                size_t used = strlen(skipped_text);
                snprintf(skipped_text + used, sizeof skipped_text - used, "%s%s: %s", used ? "; " : "", plugins[p],
                         seqnn_last_error());
                printf("SKIP  %-8s %s\n", plugins[p], seqnn_last_error());
                continue;
            }
            printf("FAIL  %-8s cannot run: %s\n", plugins[p], seqnn_last_error());
            failed++;
            continue;
        }
        seqnn_device_record d;
        seqnn_context_device(ctx, &d);
        printf("plugin %s, device \"%s\" (score %d)\n", d.plugin_name, d.name, d.score);
        fflush(stdout);
        if (structure) {
            if (print_structure(ctx) == 0)
                passed++;
            else
                failed++;
            seqnn_context_destroy(ctx);
            continue;
        }
        for (int k = 0; k < SEQNN_KERNEL_COUNT; k++) {
            if (kernel_re && regexec(&re, kernel_tests[k].name, 0, NULL, 0) != 0)
                continue;
            run_one(ctx, plugins[p], device, d.plugin_name, d.name, kernel_tests[k].name, seed, verbose, -1,
                    kernel_tests[k].fn, &rs, &passed, &failed);
        }
        for (int g = 0; g < cf_golden_count(); g++) {
            if (kernel_re && regexec(&re, cf_golden_name(g), 0, NULL, 0) != 0)
                continue;
            run_one(ctx, plugins[p], device, d.plugin_name, d.name, cf_golden_name(g), seed, verbose, g, NULL, &rs,
                    &passed, &failed);
        }
        seqnn_context_destroy(ctx);
    }
    if (n_plugins == 0) {
        printf("FAIL  no plugin found (see `seqnn info`)\n");
        failed++;
    }
    if (skipped)
        printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    else
        printf("%d passed, %d failed\n", passed, failed);
    /* 77 (the usual "skipped" status, CTest's SKIP_RETURN_CODE) when nothing could run */
    int rc = failed ? 1 : passed == 0 && skipped > 0 ? 77 : 0;
    if (report && write_report(report, &rs, seed, passed, failed, skipped, skipped_text) != 0) {
        fprintf(stderr, "seqnn conformance: cannot write report %s\n", report);
        rc = 2;
    }
    free(rs.items);
    seqnn_registry_close(reg);
    if (kernel_re)
        regfree(&re);
    return rc;
}

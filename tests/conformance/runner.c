/* The conformance runner: `seqnn conformance [--plugin NAME|PATH]... [--device SUB]
 * [--kernel REGEX] [--seed N] [--report FILE] [--verbose] [--structure]`. Runs every kernel
 * test (and every golden check) on each requested plugin, prints one line per
 * kernel and plugin, a reproducer for each failure, and the closing line
 * `N passed, N failed[, N absent][, N skipped]`. A partial plugin's absent
 * kernels, and the golden checks that need one, are listed and counted as
 * absent, separately, never hidden; each plugin's headline says
 * "complete: 41 of 41 kernels" or "partial: N of 41 kernels", and whether all
 * passed. Reports record each plugin's name, version, file and the file's
 * SHA-256, tying a certification to a build. Exit status 0 when nothing failed, 1 when
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
#include "sha256.h"

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
    int passed, absent, unsupported, checks, failed_checks;
    int declined;                        /* checks whose call the plugin's capability query declined */
    int all_declined;                    /* ... and the plugin ran none of the test's calls */
    double worst_ratio, seconds;
    char failure[1536];
    char declined_first[512];
} result;

typedef struct results {
    result *items;
    size_t n, cap;
} results;

/* One certified plugin, for its headline and the report. */
typedef struct certified {
    char name[64], version[64], description[160], path[1024], sha256[65];
    int kernels, passed, failed, absent, declined;
} certified;

/* The run: options, totals, results. */
typedef struct session {
    const char *device;
    regex_t *re;
    uint64_t seed;
    int verbose;
    int passed, failed, absent, skipped, declined;
    char skipped_text[2048];
    results rs;
    certified plugins[32];
    int n_certified;
} session;

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

/* The line of a test that was not run, or stopped, for an absent kernel. */
static void print_absent(result *res, const char *needs)
{
    if (!strcmp(needs, res->test))
        snprintf(res->failure, sizeof res->failure, "the plugin does not implement it");
    else
        snprintf(res->failure, sizeof res->failure, "needs %s, which the plugin does not implement", needs);
    printf("ABSENT %-7s %-22s %s\n", res->plugin, res->test, res->failure);
}

static void print_failure(const result *res, const session *ss, const char *plugin_arg)
{
    char qp[512], qk[160], qd[512] = "";
    shell_quote(qp, sizeof qp, plugin_arg);
    char pattern[128];
    snprintf(pattern, sizeof pattern, "^%s$", res->test);
    shell_quote(qk, sizeof qk, pattern);
    if (ss->device) {
        char q[400];
        shell_quote(q, sizeof q, ss->device);
        snprintf(qd, sizeof qd, " --device %s", q);
    }
    printf("FAIL  %-8s %-22s %s%d of %d checks failed: %s\n", res->plugin, res->test,
           res->unsupported ? "UNSUPPORTED: " : "", res->failed_checks, res->checks, res->failure);
    printf("      reproduce: seqnn conformance --plugin %s%s --kernel %s --seed %llu\n", qp, qd, qk,
           (unsigned long long)ss->seed);
}

/* Runs one test (kernel >= 0: that kernel's; else golden check golden_index)
 * on ctx and records the line; an absent kernel is not run. */
static void run_one(session *ss, seqnn_context *ctx, const char *plugin_arg, const seqnn_device_record *d,
                    certified *cp, const unsigned char *present, const char *test, int kernel, int golden_index)
{
    cf_run run;
    memset(&run, 0, sizeof run);
    run.ctx = ctx;
    run.rng = ss->seed ^ hash_name(test);
    run.verbose = ss->verbose;
    run.kernel = kernel;
    memcpy(run.present, present, sizeof run.present);
    double t0 = now_seconds();
    if (kernel >= 0 && !present[kernel])
        snprintf(run.absent, sizeof run.absent, "%s", test);
    else if (kernel >= 0)
        kernel_tests[kernel].fn(&run);
    else
        cf_golden_test(&run, golden_index);
    if (run.in_check)
        cf_end(&run);
    result res;
    memset(&res, 0, sizeof res);
    snprintf(res.plugin, sizeof res.plugin, "%s", d->plugin_name);
    snprintf(res.device, sizeof res.device, "%s", d->name);
    snprintf(res.test, sizeof res.test, "%s", test);
    res.checks = run.checks;
    res.failed_checks = run.failed_checks;
    res.unsupported = run.unsupported;
    res.worst_ratio = run.worst_ratio;
    res.seconds = now_seconds() - t0;
    res.absent = run.absent[0] && run.failed_checks == 0;
    res.declined = run.declined;
    snprintf(res.declined_first, sizeof res.declined_first, "%s", run.first_declined);
    ss->declined += run.declined;
    cp->declined += run.declined;
    if (!res.absent && run.checks == 0 && !run.first_failure[0])
        snprintf(run.first_failure, sizeof run.first_failure, "the test ran no check");
    /* a golden check whose calls were declined is listed as declined; a
     * kernel whose every check was declined is not certified by anything */
    int all_declined = !res.absent && run.declined > 0 && run.ran == 0 && !run.first_failure[0];
    res.all_declined = all_declined;
    if (all_declined && kernel < 0) {
        printf("DECLINED %-5s %-22s %s\n", res.plugin, test, res.declined_first);
        snprintf(res.failure, sizeof res.failure, "%s", res.declined_first);
        res.unsupported = 1;
        fflush(stdout);
        push(&ss->rs, &res);
        return;
    }
    if (all_declined)
        snprintf(run.first_failure, sizeof run.first_failure,
                 "the capability query declined every call the suite made (%d checks; the others test "
                 "bad arguments), e.g. %s", run.declined, run.first_declined);
    res.passed = !res.absent && run.failed_checks == 0 && !run.first_failure[0];
    snprintf(res.failure, sizeof res.failure, "%s", run.first_failure);
    if (res.absent) {
        ss->absent++;
        cp->absent++;
        print_absent(&res, run.absent);
    } else if (res.passed) {
        ss->passed++;
        cp->passed++;
        printf("PASS  %-8s %-22s %4d checks, worst %.2f of budget, %.2f s\n", res.plugin, test, res.checks,
               res.worst_ratio, res.seconds);
        if (res.declined)
            printf("      %d of them declined by the plugin's capability query (a chain runs those calls "
                   "elsewhere), e.g. %s\n", res.declined, res.declined_first);
        if (run.conditioned)
            printf("      %d of them within the budget of their measured conditioning only (an ill-conditioned "
                   "input; docs/conformance.md)\n", run.conditioned);
    } else {
        ss->failed++;
        cp->failed++;
        print_failure(&res, ss, plugin_arg);
    }
    fflush(stdout);
    push(&ss->rs, &res);
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

/* "partial: 3 of 41 kernels, all passed", or "complete: 41 of 41 kernels, 2 failed". */
static void headline(const certified *c, char *out, size_t size)
{
    char verdict[64];
    if (c->failed)
        snprintf(verdict, sizeof verdict, "%d failed", c->failed);
    else
        snprintf(verdict, sizeof verdict, "%s", c->passed ? "all passed" : "none run");
    snprintf(out, size, "%s: %d of %d kernels, %s", c->kernels < SEQNN_KERNEL_COUNT ? "partial" : "complete",
             c->kernels, SEQNN_KERNEL_COUNT, verdict);
}

static const char *result_word(const result *r)
{
    return r->absent ? "absent" : r->passed ? "passed" : r->all_declined ? "declined"
           : r->unsupported ? "unsupported" : "failed";
}

static void write_markdown(FILE *f, const session *ss)
{
    fprintf(f, "# seqnn conformance report\n\nseqnn %s, plugin ABI %d.%d, seed %llu\n\n", SEQNN_VERSION,
            SEQNN_ABI_MAJOR, SEQNN_ABI_MINOR, (unsigned long long)ss->seed);
    for (int i = 0; i < ss->n_certified; i++) {
        const certified *c = &ss->plugins[i];
        char head[128];
        headline(c, head, sizeof head);
        fprintf(f, "**%s %s: %s**\n\n", c->name, c->version, head);
    }
    fprintf(f, "%d passed, %d failed, %d absent, %d skipped, %d checks declined; catalogue: %d kernels\n\n",
            ss->passed, ss->failed, ss->absent, ss->skipped, ss->declined, SEQNN_KERNEL_COUNT);
    if (ss->skipped_text[0])
        fprintf(f, "Skipped: %s\n\n", ss->skipped_text);
    fprintf(f, "| plugin | version | kernels | file | SHA-256 | description |\n|---|---|---|---|---|---|\n");
    for (int i = 0; i < ss->n_certified; i++) {
        const certified *c = &ss->plugins[i];
        fprintf(f, "| %s | %s | %d of %d | %s | %s | %s |\n", c->name, c->version, c->kernels, SEQNN_KERNEL_COUNT,
                c->path, c->sha256, c->description);
    }
    fprintf(f, "\n| plugin | device | test | result | checks | worst error / budget | budget / worst error | "
               "seconds | detail |\n");
    fprintf(f, "|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < ss->rs.n; i++) {
        const result *r = &ss->rs.items[i];
        char headroom[32];
        if (r->worst_ratio > 0)
            snprintf(headroom, sizeof headroom, "%.0f", 1 / r->worst_ratio);
        else
            snprintf(headroom, sizeof headroom, "exact");
        fprintf(f, "| %s | %s | %s | %s | %d | %.3f | %s | %.2f | ", r->plugin, r->device, r->test, result_word(r),
                r->checks, r->worst_ratio, headroom, r->seconds);
        for (const char *c = r->failure; *c; c++)
            fputc(*c == '|' ? '/' : *c == '\n' ? ' ' : *c, f);
        fprintf(f, " |\n");
    }
}

static void json_field(FILE *f, const char *key, const char *value, const char *after)
{
    fprintf(f, "\"%s\": ", key);
    json_string(f, value);
    fputs(after, f);
}

static void write_json(FILE *f, const session *ss)
{
    fprintf(f, "{\n  \"seqnn_version\": \"%s\",\n  \"abi\": \"%d.%d\",\n  \"seed\": %llu,\n", SEQNN_VERSION,
            SEQNN_ABI_MAJOR, SEQNN_ABI_MINOR, (unsigned long long)ss->seed);
    fprintf(f, "  \"catalogue_kernels\": %d,\n  \"passed\": %d,\n  \"failed\": %d,\n  \"absent\": %d,\n"
               "  \"skipped\": %d,\n  \"declined\": %d,\n  ",
            SEQNN_KERNEL_COUNT, ss->passed, ss->failed, ss->absent, ss->skipped, ss->declined);
    json_field(f, "skipped_reason", ss->skipped_text, ",\n  \"plugins\": [\n");
    for (int i = 0; i < ss->n_certified; i++) {
        const certified *c = &ss->plugins[i];
        char head[128];
        headline(c, head, sizeof head);
        fprintf(f, "    {");
        json_field(f, "name", c->name, ", ");
        json_field(f, "version", c->version, ", ");
        json_field(f, "description", c->description, ", ");
        json_field(f, "path", c->path, ", ");
        json_field(f, "sha256", c->sha256, ", ");
        json_field(f, "headline", head, ", ");
        fprintf(f, "\"kernels\": %d, \"passed\": %d, \"failed\": %d, \"absent\": %d, \"declined\": %d}%s\n",
                c->kernels, c->passed, c->failed, c->absent, c->declined, i + 1 < ss->n_certified ? "," : "");
    }
    fprintf(f, "  ],\n  \"results\": [\n");
    for (size_t i = 0; i < ss->rs.n; i++) {
        const result *r = &ss->rs.items[i];
        fprintf(f, "    {");
        json_field(f, "plugin", r->plugin, ", ");
        json_field(f, "device", r->device, ", ");
        json_field(f, "test", r->test, ", ");
        fprintf(f, "\"result\": \"%s\", \"checks\": %d, \"failed_checks\": %d, \"declined_checks\": %d, "
                   "\"worst_ratio\": %.6g, \"seconds\": %.3f, ",
                result_word(r), r->checks, r->failed_checks, r->declined, r->worst_ratio, r->seconds);
        json_field(f, "detail", r->failure, "}");
        fprintf(f, "%s\n", i + 1 < ss->rs.n ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
}

static int write_report(const char *path, const session *ss)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    size_t n = strlen(path);
    if (n > 3 && !strcmp(path + n - 3, ".md"))
        write_markdown(f, ss);
    else
        write_json(f, ss);
    int bad = ferror(f);
    bad |= fclose(f);
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

/* Records what ties a certification to a build: the plugin's name, version,
 * file and the file's SHA-256, and which kernels it has. */
static certified *certified_add(session *ss, seqnn_registry *reg, const seqnn_context *ctx,
                                const seqnn_device_record *d, unsigned char *present)
{
    if (ss->n_certified == (int)(sizeof ss->plugins / sizeof ss->plugins[0]))
        return NULL;
    certified *c = &ss->plugins[ss->n_certified++];
    memset(c, 0, sizeof *c);
    seqnn_plugin_record rec;
    seqnn_registry_plugin(reg, d->plugin, &rec);
    snprintf(c->name, sizeof c->name, "%s", d->plugin_name);
    snprintf(c->version, sizeof c->version, "%s", rec.version);
    snprintf(c->description, sizeof c->description, "%s", rec.description);
    snprintf(c->path, sizeof c->path, "%s", rec.path);
    if (cf_sha256_file(rec.path, c->sha256, sizeof c->sha256) != 0)
        snprintf(c->sha256, sizeof c->sha256, "unreadable");
    for (int k = 0; k < SEQNN_KERNEL_COUNT; k++) {
        present[k] = (unsigned char)seqnn_kernel_available(ctx, (seqnn_kernel_id)k);
        c->kernels += present[k];
    }
    return c;
}

/* Certifies the plugin plugin_arg found in reg (certify_plugin). */
static void certify_in(session *ss, seqnn_registry *reg, const char *plugin_arg, int structure)
{
    char spec[1024];
    snprintf(spec, sizeof spec, "%s%s%s", plugin_arg, ss->device ? ":" : "", ss->device ? ss->device : "");
    int64_t dev;
    char why[512];
    seqnn_status s = seqnn_registry_select(reg, spec, &dev, why, sizeof why);
    seqnn_context *ctx = NULL;
    if (s == SEQNN_OK)
        s = seqnn_context_open(reg, dev, &ctx);
    if (s == SEQNN_ERR_UNSUPPORTED) {
        ss->skipped++;
        size_t used = strlen(ss->skipped_text);
        snprintf(ss->skipped_text + used, sizeof ss->skipped_text - used, "%s%s: %s", used ? "; " : "", plugin_arg,
                 seqnn_last_error());
        printf("SKIP  %-8s %s\n", plugin_arg, seqnn_last_error());
        return;
    }
    if (s != SEQNN_OK) {
        printf("FAIL  %-8s cannot run: %s\n", plugin_arg, seqnn_last_error());
        ss->failed++;
        return;
    }
    seqnn_device_record d;
    seqnn_context_device(ctx, &d);
    unsigned char present[SEQNN_KERNEL_COUNT];
    certified *c = certified_add(ss, reg, ctx, &d, present);
    if (!c) {
        printf("FAIL  %-8s too many plugins in one run\n", plugin_arg);
        ss->failed++;
        seqnn_context_destroy(ctx);
        return;
    }
    printf("plugin %s, device \"%s\" (score %d)\n", d.plugin_name, d.name, d.score);
    printf("  version %s, %d of %d kernels, file %s, sha256 %s\n", c->version, c->kernels, SEQNN_KERNEL_COUNT,
           c->path, c->sha256);
    fflush(stdout);
    if (structure) {
        if (print_structure(ctx) == 0)
            ss->passed++;
        else
            ss->failed++;
        seqnn_context_destroy(ctx);
        return;
    }
    for (int k = 0; k < SEQNN_KERNEL_COUNT; k++)
        if (!ss->re || regexec(ss->re, kernel_tests[k].name, 0, NULL, 0) == 0)
            run_one(ss, ctx, plugin_arg, &d, c, present, kernel_tests[k].name, k, -1);
    for (int g = 0; g < cf_golden_count(); g++)
        if (!ss->re || regexec(ss->re, cf_golden_name(g), 0, NULL, 0) == 0)
            run_one(ss, ctx, plugin_arg, &d, c, present, cf_golden_name(g), -1, g);
    char head[128];
    headline(c, head, sizeof head);
    printf("RESULT %-7s %s (%d passed, %d failed, %d absent", d.plugin_name, head, c->passed, c->failed, c->absent);
    if (c->declined)
        printf("; %d checks declined", c->declined);
    printf(")\n");
    seqnn_context_destroy(ctx);
}

/* Opens the plugin's device and runs the selected tests on it, or prints its
 * structure; a plugin that cannot run here is skipped, with the reason. */
static void certify_plugin(session *ss, seqnn_registry *found, const char *plugin_arg, int structure)
{
    /* A plugin named by its path is certified from that file alone, in a
     * registry of its own: an installed copy of the same name, found first by
     * discovery, would otherwise shadow the fresh build. */
    size_t n = strlen(plugin_arg);
    int by_path = strchr(plugin_arg, '/') || (n > 3 && !strcmp(plugin_arg + n - 3, ".so"));
    seqnn_registry *own = NULL, *reg = found;
    if (by_path) {
        if (seqnn_registry_open_empty(&own) != SEQNN_OK) {
            printf("FAIL  %-8s cannot run: %s\n", plugin_arg, seqnn_last_error());
            ss->failed++;
            return;
        }
        reg = own;
    }
    certify_in(ss, reg, plugin_arg, structure);
    seqnn_registry_close(own);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: seqnn conformance [--plugin NAME|PATH]... [--device SUBSTRING] [--kernel REGEX]\n"
            "                         [--seed N] [--report FILE(.json|.md)] [--verbose] [--list] [--structure]\n"
            "Runs every kernel of the catalogue on each plugin (default: each plugin SEQNN_BACKEND\n"
            "names, else every plugin found) against the float64 oracle, plus the golden PyTorch\n"
            "checks. A kernel a partial plugin lacks is listed as absent and counted apart.\n"
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
    int matched = !kernel_re;            /* --kernel naming nothing is a mistake, not "0 passed" */
    for (int k = 0; !matched && k < SEQNN_KERNEL_COUNT; k++)
        matched = regexec(&re, kernel_tests[k].name, 0, NULL, 0) == 0;
    for (int g = 0; !matched && g < cf_golden_count(); g++)
        matched = regexec(&re, cf_golden_name(g), 0, NULL, 0) == 0;
    if (!matched) {
        fprintf(stderr, "seqnn conformance: --kernel '%s' matches no kernel or golden check (seqnn conformance "
                        "--list names them)\n", kernel_re);
        regfree(&re);
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
    /* which plugins: --plugin, else each entry of SEQNN_BACKEND (NAME-or-PATH[:DEVICE]; a chain
     * A,B is certified plugin by plugin), else every loaded plugin */
    const char *env = getenv("SEQNN_BACKEND");
    const char *env_devices[32] = {NULL};
    char env_buf[4096];
    if (n_plugins == 0 && env && *env) {
        snprintf(env_buf, sizeof env_buf, "%s", env);
        char *save = NULL;
        for (char *e = strtok_r(env_buf, ",", &save); e && n_plugins < 32; e = strtok_r(NULL, ",", &save)) {
            char *slash = strrchr(e, '/');
            char *colon = strchr(slash ? slash : e, ':');
            if (colon) {
                *colon = '\0';
                env_devices[n_plugins] = colon[1] ? colon + 1 : NULL;
            }
            plugins[n_plugins++] = e;
        }
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
    session ss;
    memset(&ss, 0, sizeof ss);
    ss.re = kernel_re ? &re : NULL;
    ss.seed = seed;
    ss.verbose = verbose;
    for (int p = 0; p < n_plugins; p++) {
        ss.device = device ? device : env_devices[p];   /* --device wins over SEQNN_BACKEND's */
        certify_plugin(&ss, reg, plugins[p], structure);
    }
    if (n_plugins == 0) {
        printf("FAIL  no plugin found (see `seqnn info`)\n");
        ss.failed++;
    }
    printf("%d passed, %d failed", ss.passed, ss.failed);
    if (ss.absent)
        printf(", %d absent", ss.absent);
    if (ss.skipped)
        printf(", %d skipped", ss.skipped);
    if (ss.declined)
        printf("; %d checks declined by capability queries", ss.declined);
    printf("\n");
    /* 77 (the usual "skipped" status, CTest's SKIP_RETURN_CODE) when nothing could run */
    int rc = ss.failed ? 1 : ss.passed == 0 && ss.absent == 0 && ss.skipped > 0 ? 77 : 0;
    if (report && write_report(report, &ss) != 0) {
        fprintf(stderr, "seqnn conformance: cannot write report %s\n", report);
        rc = 2;
    }
    free(ss.rs.items);
    seqnn_registry_close(reg);
    if (kernel_re)
        regfree(&re);
    return rc;
}

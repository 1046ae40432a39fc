/* The seqnn command-line tool: dispatches to its subcommands; --version; a
 * "did you mean" for a misspelt subcommand, or for an option, among those the
 * subcommand's --help names. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "runner.h"
#include "seqnn/plugin.h"
#include "seqnn/seqnn.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: seqnn <command> [options]        seqnn --version\n"
               "commands:\n"
               "  train         train a model file on a data file (seqnn train --help)\n"
               "  eval          evaluate a checkpoint on a data file\n"
               "  generate      sample text from a language model, or translate\n"
               "  predict       apply a checkpoint to unlabelled lines (seqnn predict --help)\n"
               "  plot          loss curves and attention weights to PNG (gnuplot)\n"
               "  info          plugins found (loaded or rejected, and why), devices, scores, selection\n"
               "  conformance   the conformance suite (seqnn conformance --help)\n"
               "  data          write the data sets of examples/ (seqnn data --help)\n"
               "  bench         timings and ratios against peers (seqnn bench --help)\n"
               "  plan          where a model's kernel calls run on a chain of devices (seqnn plan --help)\n"
               "  import        an ONNX model (torch.onnx.export) as a checkpoint (seqnn import --help)\n"
               "  export        a checkpoint as an ONNX model (seqnn export --help)\n"
               "Each command's --help lists its options with their defaults.\n"
               "environment: SEQNN_BACKEND, SEQNN_PLUGIN_PATH, SEQNN_LOG, SEQNN_NUM_THREADS (see README.md)\n");
}

/* the subcommands: name, function (argv[0] is the subcommand's name) */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"info", seqnn_cli_info},       {"train", seqnn_cli_train},
    {"eval", seqnn_cli_eval},       {"generate", seqnn_cli_generate},
    {"plot", seqnn_cli_plot},       {"conformance", seqnn_conformance_main},
    {"data", seqnn_cli_data},       {"bench", seqnn_cli_bench},
    {"predict", seqnn_cli_predict}, {"plan", seqnn_cli_plan},
    {"import", seqnn_cli_import},
    {"export", seqnn_cli_export},
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

/* Edit distance of a and b (insertions, deletions, substitutions), capped
 * at 9 for words over 31 characters. */
static int distance(const char *a, size_t na, const char *b, size_t nb)
{
    if (na > 31 || nb > 31)
        return 9;
    int row[32];
    for (size_t j = 0; j <= nb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[nb];
}

/* The word of the space-separated list closest to w (at most 2 edits, or
 * one that w begins), into buf; 0 when none is close. */
static int closest(const char *w, const char *list, char *buf, size_t size)
{
    int best = 3;
    size_t nw = strlen(w);
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " ");
        int d = distance(w, nw, p, n);
        if (d > 0 && nw > 3 && n > nw && !strncmp(p, w, nw) && d > 1)
            d = 1;                       /* a prefix of an option: --temp for --temperature */
        if (d > 0 && d < best) {
            best = d;
            snprintf(buf, size, "%.*s", (int)n, p);
        }
        p += n;
        p += *p == ' ';
    }
    return best < 3;
}

/* The options command c's --help names ("-o", "--steps", ...), space-
 * separated into buf: its help text captured from stdout. */
static void help_options(int c, char *buf, size_t size)
{
    buf[0] = 0;
    fflush(stdout);
    FILE *tmp = tmpfile();
    int saved = dup(1);
    if (!tmp || saved < 0 || dup2(fileno(tmp), 1) < 0) {
        if (tmp)
            fclose(tmp);
        if (saved >= 0)
            close(saved);
        return;
    }
    char name[32], help[] = "--help";
    snprintf(name, sizeof name, "%s", commands[c].name);
    char *args[] = {name, help, NULL};
    commands[c].run(2, args);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    rewind(tmp);
    size_t used = 0;
    char word[64];
    for (int ch = fgetc(tmp), prev = ' '; ch != EOF; prev = ch, ch = fgetc(tmp)) {
        if (ch != '-' || (prev != ' ' && prev != '[' && prev != '(' && prev != '\n'))
            continue;
        size_t n = 0;
        word[n++] = (char)ch;
        while ((ch = fgetc(tmp)) != EOF && n + 1 < sizeof word && (ch == '-' || (ch >= 'a' && ch <= 'z') ||
                                                                     (ch >= '0' && ch <= '9')))
            word[n++] = (char)ch;
        word[n] = 0;
        if (n >= 2 && word[1] != ' ' && used + n + 2 < size)
            used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? " " : "", word);
        if (ch == EOF)
            break;
    }
    fclose(tmp);
}

/* After a usage error: an option the command does not know (its --help
 * does not name it), with the nearest it does. */
static void suggest_option(int c, int argc, char **argv)
{
    char known[4096];
    help_options(c, known, sizeof known);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        size_t n = strlen(a);
        if (a[0] != '-' || n < 2)
            continue;
        int found = 0;
        for (const char *p = known; *p && !found;) {
            size_t k = strcspn(p, " ");
            found = k == n && !strncmp(p, a, n);
            p += k;
            p += *p == ' ';
        }
        char near[64];
        if (!found && closest(a, known, near, sizeof near)) {
            fprintf(stderr, "seqnn %s: unknown option '%s'; did you mean '%s'?\n", commands[c].name, a, near);
            return;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("seqnn %s (plugin ABI %d.%d)\n", SEQNN_VERSION, SEQNN_ABI_MAJOR, SEQNN_ABI_MINOR);
        return 0;
    }
    for (int c = 0; c < N_COMMANDS; c++)
        if (!strcmp(argv[1], commands[c].name)) {
            int rc = commands[c].run(argc - 1, argv + 1);
            if (rc == 2)
                suggest_option(c, argc, argv);
            return rc;
        }
    char names[256] = "", near[64];
    for (int c = 0; c < N_COMMANDS; c++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", c ? " " : "", commands[c].name);
    if (closest(argv[1], names, near, sizeof near))
        fprintf(stderr, "seqnn: unknown command '%s'; did you mean '%s'?\n", argv[1], near);
    else
        fprintf(stderr, "seqnn: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}

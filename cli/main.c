/* The seqnn command-line tool: dispatches to its subcommands. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "runner.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: seqnn <command> [options]\n"
               "commands:\n"
               "  train         train a model file on a data file (seqnn train --help)\n"
               "  eval          evaluate a checkpoint on a data file\n"
               "  generate      sample text from a language model, or translate\n"
               "  plot          loss curves and attention weights to PNG (gnuplot)\n"
               "  info          plugins found (loaded or rejected, and why), devices, scores, selection\n"
               "  conformance   the conformance suite (seqnn conformance --help)\n"
               "  data          write the data sets of examples/ (seqnn data --help)\n"
               "  bench         timings and ratios against peers (seqnn bench --help)\n"
               "  plan          where a model's kernel calls run on a chain of devices (seqnn plan --help)\n"
               "environment: SEQNN_BACKEND, SEQNN_PLUGIN_PATH, SEQNN_LOG (see README.md)\n");
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
    {"plan", seqnn_cli_plan},
};

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "seqnn: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}

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
               "environment: SEQNN_BACKEND, SEQNN_PLUGIN_PATH, SEQNN_LOG (see README.md)\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "info"))
        return seqnn_cli_info(argc - 1, argv + 1);
    if (!strcmp(argv[1], "train"))
        return seqnn_cli_train(argc - 1, argv + 1);
    if (!strcmp(argv[1], "eval"))
        return seqnn_cli_eval(argc - 1, argv + 1);
    if (!strcmp(argv[1], "generate"))
        return seqnn_cli_generate(argc - 1, argv + 1);
    if (!strcmp(argv[1], "plot"))
        return seqnn_cli_plot(argc - 1, argv + 1);
    if (!strcmp(argv[1], "conformance"))
        return seqnn_conformance_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "data"))
        return seqnn_cli_data(argc - 1, argv + 1);
    if (!strcmp(argv[1], "bench"))
        return seqnn_cli_bench(argc - 1, argv + 1);
    fprintf(stderr, "seqnn: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}

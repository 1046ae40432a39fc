/* `seqnn plot`: turns a loss log (CSV from `seqnn train --log`) or an
 * attention-weights CSV into a PNG picture with gnuplot (Debian's gnuplot-nox),
 * fed a script on its standard input. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include "cli.h"

static void plot_usage(FILE *f)
{
    fprintf(f, "usage: seqnn plot LOSS.csv -o OUT.png            loss curves (train and validation)\n"
               "       seqnn plot --attention ATT.csv -o OUT.png  attention weights heat map\n");
}

int seqnn_cli_plot(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    int attention = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--attention")) attention = 1;
        else if (!strcmp(argv[i], "--help")) { plot_usage(stdout); return 0; }
        else if (argv[i][0] != '-' && !in) in = argv[i];
        else { plot_usage(stderr); return 2; }
    }
    if (!in || !out) {
        plot_usage(stderr);
        return 2;
    }
    if (strpbrk(in, "\"'\n") || strpbrk(out, "\"'\n")) {
        fprintf(stderr, "seqnn plot: file names with quotes or newlines are not supported\n");
        return 2;
    }
    FILE *f = fopen(in, "r");
    if (!f) {
        fprintf(stderr, "seqnn plot: %s: cannot open\n", in);
        return 1;
    }
    fclose(f);
    FILE *g = popen("gnuplot", "w");
    if (!g) {
        fprintf(stderr, "seqnn plot: cannot run gnuplot (Debian package gnuplot-nox)\n");
        return 1;
    }
    fprintf(g, "set terminal pngcairo size 900,600 noenhanced\nset output '%s'\nset datafile separator ','\n", out);
    if (attention)
        fprintf(g, "set title 'attention weights (%s)'\nset xlabel 'source position'\nset ylabel 'output position'\n"
                   "set yrange [] reverse\nset palette grey negative\n"
                   "plot '%s' matrix with image notitle\n", in, in);
    else
        fprintf(g, "set title 'loss (%s)'\nset xlabel 'step'\nset ylabel 'loss'\nset key top right\nset grid\n"
                   "plot '%s' using 1:3 skip 1 with linespoints title 'training', "
                   "'' using 1:4 skip 1 with linespoints title 'validation'\n", in, in);
    int rc = pclose(g);
    if (rc != 0) {
        fprintf(stderr, "seqnn plot: gnuplot failed (exit status %d); is gnuplot installed?\n", rc);
        return 1;
    }
    fprintf(stderr, "wrote %s\n", out);
    return 0;
}

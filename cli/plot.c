/* `seqnn plot`: turns a loss log (CSV from `seqnn train --log`) or an
 * attention-weights CSV (from `seqnn generate --attention`) into a PNG or SVG
 * picture with gnuplot (Debian's gnuplot-nox). The CSV is read and checked
 * here and its numbers handed to gnuplot inline (a datablock), so a bad file
 * gets a clear message rather than gnuplot's; gnuplot writes a temporary file
 * next to the output, renamed into place only when it is complete, and its own
 * output goes nowhere near stdout. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "cli_error.h"
#include "vocab.h"

static void plot_usage(FILE *f)
{
    fprintf(f, "usage: seqnn plot LOSS.csv -o OUT.png            loss curves (train and validation)\n"
               "       seqnn plot --attention ATT.csv -o OUT.png  attention weights heat map\n"
               "  -o OUT            the picture: OUT.png (PNG) or OUT.svg (SVG) (required)\n"
               "  --attention       the CSV is attention weights (seqnn generate --attention; default: a loss\n"
               "                    log of seqnn train --log)\n"
               "needs gnuplot (Debian/Ubuntu: apt-get install gnuplot-nox)\n");
}

/* ------------------------------------------------------------- the CSV --- */
/* A CSV read whole: rows of fields (RFC 4180 quoting), at most PLOT_MAX. */
#define PLOT_MAX 4096
typedef struct csv {
    char *text;                          /* the file, fields cut in place */
    char **field;                        /* all fields, row after row */
    int *row_start, n_rows, n_fields;
} csv;

static char no_text[1];

static void csv_free(csv *c)
{
    free(c->text);
    free(c->field);
    free(c->row_start);
}

/* Reads path into c: 0, or 1 after saying why. */
static int csv_read(const char *path, csv *c)
{
    memset(c, 0, sizeof *c);
    size_t n;
    if (cli_read_file(path, (size_t)64 << 20, &c->text, &n) != SEQNN_OK) {
        fprintf(stderr, "seqnn plot: %s\n", cli_last_error());
        return 1;
    }
    c->field = malloc((n + 2) * sizeof *c->field);
    c->row_start = malloc((n + 2) * sizeof *c->row_start);
    if (!c->field || !c->row_start) {
        fprintf(stderr, "seqnn plot: out of memory\n");
        return 1;
    }
    c->text[n] = 0;
    if (memchr(c->text, 0, n)) {
        fprintf(stderr, "seqnn plot: %s: not a CSV file (it has NUL bytes)\n", path);
        return 1;
    }
    /* cut fields in place: unquoting shortens, so the output never overtakes the input */
    char *in = c->text, *out = c->text;
    int new_row = 1;
    while (*in) {
        if (*in == '\n' || (*in == '\r' && in[1] == '\n')) {    /* a blank line */
            in += *in == '\r' ? 2 : 1;
            continue;
        }
        if (new_row)
            c->row_start[c->n_rows++] = c->n_fields;
        new_row = 0;
        c->field[c->n_fields++] = out;
        if (*in == '"') {
            for (in++; *in && !(*in == '"' && in[1] != '"'); in++)
                *out++ = *in == '"' ? *in++ : *in;
            if (*in != '"') {
                fprintf(stderr, "seqnn plot: %s: row %d: a quoted field is not closed\n", path, c->n_rows);
                return 1;
            }
            in++;
        } else {
            while (*in && *in != ',' && *in != '\n' && *in != '\r')
                *out++ = *in++;
        }
        if (*in == '\r')
            in++;
        if (*in == '\n')
            new_row = 1;
        else if (*in && *in != ',') {
            fprintf(stderr, "seqnn plot: %s: row %d: text after a quoted field\n", path, c->n_rows);
            return 1;
        }
        char end = *in;
        if (*in)
            in++;
        *out++ = 0;
        if (end == ',' && (!*in || *in == '\n' || *in == '\r'))
            c->field[c->n_fields++] = no_text;       /* a trailing empty field (out may not pass in) */
    }
    c->row_start[c->n_rows] = c->n_fields;
    if (c->n_rows == 0) {
        fprintf(stderr, "seqnn plot: %s: empty: no rows to plot\n", path);
        return 1;
    }
    return 0;
}

static int csv_width(const csv *c, int r)
{
    return c->row_start[r + 1] - c->row_start[r];
}

static const char *csv_at(const csv *c, int r, int k)
{
    return c->field[c->row_start[r] + k];
}

/* A number (nan allowed when nan_ok): 1 and *v, else 0. */
static int number(const char *s, int nan_ok, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return *s && !*end && (isfinite(*v) || (nan_ok && isnan(*v)));
}

/* ---------------------------------------------------------- the script --- */
/* s as a gnuplot single-quoted string ('' for '); a space shows as U+2423. */
static void put_label(FILE *g, const char *s)
{
    fputc('\'', g);
    if (!strcmp(s, " "))
        fputs("\xe2\x90\xa3", g);
    for (; *s && strcmp(s, " ") != 0; s++) {
        if (*s == '\'')
            fputc('\'', g);
        fputc(*s == '\n' || *s == '\t' ? ' ' : *s, g);
    }
    fputc('\'', g);
}

/* The loss log: "step,epoch,train_loss,val_loss,...", numbers below. */
static int script_loss(FILE *g, const csv *c, const char *in)
{
    if (csv_width(c, 0) < 4 || strcmp(csv_at(c, 0, 0), "step") || strcmp(csv_at(c, 0, 2), "train_loss") ||
        strcmp(csv_at(c, 0, 3), "val_loss")) {
        fprintf(stderr, "seqnn plot: %s: not a loss log (its first line should read step,epoch,train_loss,"
                        "val_loss,...: the CSV of seqnn train --log; attention weights need --attention)\n", in);
        return 1;
    }
    if (c->n_rows < 2) {
        fprintf(stderr, "seqnn plot: %s: no rows below the header: nothing to plot (the log gets a row at each "
                        "validation)\n", in);
        return 1;
    }
    int have_val = 0;
    fprintf(g, "$loss << EOD\n");
    for (int r = 1; r < c->n_rows; r++) {
        double v[4];
        for (int k = 0; k < 4; k++)
            if (csv_width(c, r) < 4 || !number(csv_at(c, r, k), k == 3, &v[k])) {
                fprintf(stderr, "seqnn plot: %s: row %d: '%s' is not a number (%s)\n", in, r + 1,
                        csv_width(c, r) > k ? csv_at(c, r, k) : "", csv_width(c, r) < 4 ? "too few fields"
                        : csv_at(c, 0, k));
                return 1;
            }
        have_val |= !isnan(v[3]);
        fprintf(g, "%.17g %.17g %s\n", v[0], v[2], isnan(v[3]) ? "NaN" : csv_at(c, r, 3));
    }
    fprintf(g, "EOD\nset title 'loss (%s)'\nset xlabel 'step'\nset ylabel 'loss'\nset key top right\nset grid\n"
               "plot $loss using 1:2 with linespoints title 'training'%s\n", in,
            have_val ? ", '' using 1:3 with linespoints title 'validation'" : "");
    return 0;
}

/* Attention weights: a matrix (output steps by source steps), with the
 * source tokens as a header row and each output token first in its row when
 * the first field is empty (as seqnn generate --attention writes it). */
static int script_attention(FILE *g, const csv *c, const char *in, int *cols, int *rows)
{
    int labelled = csv_at(c, 0, 0)[0] == 0, first = labelled, skip = labelled;
    int ns = csv_width(c, 0) - skip, nt = c->n_rows - first;
    if (ns < 1 || nt < 1 || ns > PLOT_MAX || nt > PLOT_MAX) {
        fprintf(stderr, "seqnn plot: %s: %d by %d weights: nothing to plot, or more than %d a side\n", in, nt, ns,
                PLOT_MAX);
        return 1;
    }
    fprintf(g, "$att << EOD\n");
    for (int r = first; r < c->n_rows; r++) {
        if (csv_width(c, r) != ns + skip) {
            fprintf(stderr, "seqnn plot: %s: row %d has %d fields, the first row %d (a matrix of attention weights)\n",
                    in, r + 1, csv_width(c, r), ns + skip);
            return 1;
        }
        for (int k = skip; k < ns + skip; k++) {
            double v;
            if (!number(csv_at(c, r, k), 0, &v)) {
                fprintf(stderr, "seqnn plot: %s: row %d, column %d: '%s' is not a number\n", in, r + 1, k + 1,
                        csv_at(c, r, k));
                return 1;
            }
            fprintf(g, "%s%.9g", k > skip ? " " : "", v);
        }
        fputc('\n', g);
    }
    fprintf(g, "EOD\nset title 'attention weights (%s)'\nset xlabel 'source'\nset ylabel 'output'\n", in);
    if (labelled) {
        fprintf(g, "set xtics (");
        for (int k = 0; k < ns; k++) {
            put_label(g, csv_at(c, 0, k + 1));
            fprintf(g, " %d%s", k, k + 1 < ns ? ", " : ")\n");
        }
        fprintf(g, "set ytics (");
        for (int r = 0; r < nt; r++) {
            put_label(g, csv_at(c, r + 1, 0));
            fprintf(g, " %d%s", r, r + 1 < nt ? ", " : ")\n");
        }
        fprintf(g, "set xtics scale 0 font ',9'\nset ytics scale 0 font ',9'\n");
    }
    /* the image fills the axes: no margins of empty range around it */
    fprintf(g, "set xrange [-0.5:%d.5]\nset yrange [%d.5:-0.5]\nset size ratio %g\nset palette grey negative\n"
               "set cbrange [0:1]\nplot $att matrix with image notitle\n", ns - 1, nt - 1, (double)nt / ns);
    *cols = ns;
    *rows = nt;
    return 0;
}

/* ---------------------------------------------------------- the output --- */
/* gnuplot on PATH: 1 when found. */
static int have_gnuplot(void)
{
    const char *path = getenv("PATH");
    char buf[4096];
    for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
        size_t n = strcspn(p, ":");
        snprintf(buf, sizeof buf, "%.*s/gnuplot", (int)(n ? n : 1), n ? p : ".");
        if (access(buf, X_OK) == 0)
            return 1;
        p += n;
        p += *p == ':';
    }
    return 0;
}

/* The directory of path (into buf) exists and takes files: 1, else 0 after saying why. */
static int out_dir_ok(const char *out)
{
    char dir[4096];
    const char *slash = strrchr(out, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (slash == out ? 1 : (int)(slash - out)) : 1, slash ? out : ".");
    struct stat st;
    if (stat(out, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "seqnn plot: -o %s is a directory; name a file (e.g. %s/plot.png)\n", out, out);
        return 0;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "seqnn plot: -o %s: cannot write in directory %s: %s\n", out, dir, strerror(errno));
        return 0;
    }
    return 1;
}

/* Runs gnuplot on the script writer's output into tmp, its messages kept in
 * errfile: the exit status of gnuplot (-1: could not run it). */
static int run_gnuplot(const char *script, size_t size, const char *errfile)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "exec gnuplot > /dev/null 2> '%s'", errfile);
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);      /* a gnuplot that dies early is an error, not a kill */
    FILE *g = popen(cmd, "w");
    if (!g) {
        signal(SIGPIPE, old);
        return -1;
    }
    fwrite(script, 1, size, g);
    int rc = pclose(g);
    signal(SIGPIPE, old);
    return rc;
}

/* The picture: gnuplot's terminal and output (a temporary file next to out)
 * ahead of the script, then the file renamed to out once complete, or
 * removed with gnuplot's messages shown: 0, or 1. */
static int plot_write(const char *out, int svg, int w, int h, const char *script, size_t size)
{
    char tmp[4200], head[4400], errfile[] = "/tmp/seqnn-plot-XXXXXX";
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", out, (long)getpid());
    int n = snprintf(head, sizeof head, "set terminal %s size %d,%d noenhanced\nset output '%s'\n",
                     svg ? "svg" : "pngcairo", w, h, tmp);
    char *all = malloc((size_t)n + size + 1);
    int fd = mkstemp(errfile), rc = 0;
    if (!all || fd < 0) {
        fprintf(stderr, "seqnn plot: %s\n", !all ? "out of memory" : "cannot create a temporary file in /tmp");
        if (fd >= 0) {
            close(fd);
            remove(errfile);
        }
        free(all);
        return 1;
    }
    close(fd);
    memcpy(all, head, (size_t)n);
    memcpy(all + n, script, size);
    int st = run_gnuplot(all, (size_t)n + size, errfile);
    free(all);
    struct stat sb;
    if (st != 0 || stat(tmp, &sb) != 0 || sb.st_size == 0) {
        fprintf(stderr, "seqnn plot: gnuplot failed (status %d)%s\n", st, st == -1 ? ": cannot run it" : ":");
        FILE *e = fopen(errfile, "r");
        for (char line[512]; e && fgets(line, sizeof line, e);)
            fprintf(stderr, "  %s", line);
        if (e)
            fclose(e);
        rc = 1;
    } else if (rename(tmp, out) != 0) {
        fprintf(stderr, "seqnn plot: cannot rename %s to %s: %s\n", tmp, out, strerror(errno));
        rc = 1;
    }
    remove(errfile);
    if (rc)
        remove(tmp);
    return rc;
}

int seqnn_cli_plot(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    int attention = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--attention")) attention = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { plot_usage(stdout); return 0; }
        else if (argv[i][0] != '-' && !in) in = argv[i];
        else { plot_usage(stderr); return 2; }
    }
    if (!in || !out) {
        plot_usage(stderr);
        return 2;
    }
    size_t no = strlen(out);
    int svg = no > 4 && !strcmp(out + no - 4, ".svg"), png = no > 4 && !strcmp(out + no - 4, ".png");
    if (!svg && !png) {
        fprintf(stderr, "seqnn plot: -o %s: name a .png or an .svg file (the name says which picture to draw)\n", out);
        return 2;
    }
    if (strpbrk(in, "'\n") || strpbrk(out, "'\n")) {
        fprintf(stderr, "seqnn plot: file names with quotes or newlines are not supported\n");
        return 2;
    }
    if (!out_dir_ok(out))
        return 1;
    if (!have_gnuplot()) {
        fprintf(stderr, "seqnn plot: gnuplot is not installed (Debian/Ubuntu: apt-get install gnuplot-nox)\n");
        return 1;
    }
    csv c;
    if (csv_read(in, &c)) {
        csv_free(&c);
        return 1;
    }
    char *script = NULL;
    size_t size = 0;
    FILE *g = open_memstream(&script, &size);
    int rc = g ? 0 : 1, cols = 30, rows = 20;
    if (g) {
        fprintf(g, "set encoding utf8\n");
        rc = attention ? script_attention(g, &c, in, &cols, &rows) : script_loss(g, &c, in);
        fclose(g);
    }
    csv_free(&c);
    if (!rc) {                           /* sized to the heat map's cells */
        int w = attention ? 160 + 22 * cols : 900, h = attention ? 120 + 22 * rows : 600;
        rc = plot_write(out, svg, w < 400 ? 400 : w > 2400 ? 2400 : w, h < 300 ? 300 : h > 2400 ? 2400 : h,
                        script, size);
    }
    free(script);
    if (!rc)
        fprintf(stderr, "wrote %s\n", out);
    return rc;
}

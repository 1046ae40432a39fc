/* `seqnn data TASK OUT [options]`: writes the data sets of examples/ (nothing
 * to download; the same bytes on every machine for the same options):
 *
 *   fortunes   topic classification: Debian's `fortunes` package, one fortune
 *              per line as "CATEGORY<TAB>TEXT" (classify format)
 *   dates      date-format translation: "March 5, 2019<TAB>2019-03-05" in nine
 *              source formats (translate format)
 *   adding     the adding problem (Hochreiter & Schmidhuber 1997; Le et al.
 *              2015): T steps of "value,marker", the target the sum of the two
 *              marked values (regress format)
 *   bits       four bit-complement problems (examples/README.md, "The
 *              bit-reversal problems"): tag format; problem 2 in the regress
 *              format
 *   listops    nested max/min expressions over digits, "LABEL<TAB>( max 3 (
 *              min 7 2 ) 5 )", the label their value (a ListOps subset,
 *              Nangia & Bowman 2018): tree format, labels that depend on the
 *              brackets
 *   qa         question answering over a scene: a question in words and a
 *              sequence of objects as feature vectors; the answer needs both
 *              (multi format, examples/qa/README.md)
 *   timing     measuring a spike delay (Gers, Schraudolph & Schmidhuber
 *              2002): a spike, then a second one d steps later that ends the
 *              sequence; the target is d/10 (regress format)
 *
 * Random draws come from Philox4x32-10 (include/seqnn/philox.h) keyed by
 * --seed, so a file depends on its options only. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "cli_error.h"
#include "data.h"
#include "seqnn/philox.h"

typedef struct rng {
    uint64_t key, ctr;
    uint32_t buf[4];
    int left;
} rng;

static uint32_t rng_u32(rng *r)
{
    if (r->left == 0) {
        seqnn_philox4x32_10(r->key, r->ctr++, r->buf);
        r->left = 4;
    }
    return r->buf[--r->left];
}

/* Uniform in [0, n), n >= 1, without modulo bias (rejection). */
static int64_t rng_below(rng *r, uint32_t n)
{
    uint32_t limit = UINT32_MAX - UINT32_MAX % n;
    uint32_t x;
    do
        x = rng_u32(r);
    while (x >= limit);
    return x % n;
}

/* ---------------------------------------------------------- output file --- */
/* Writes go to OUT.tmp, renamed to OUT once complete (no partial files); a
 * run killed by SIGINT, SIGTERM or SIGHUP removes OUT.tmp on its way out. */
typedef struct outfile {
    FILE *f;
    char *tmp;
    const char *path;
} outfile;

static const char *volatile tmp_pending;   /* the OUT.tmp being written */
static const int tmp_signals[] = {SIGINT, SIGTERM, SIGHUP};

static void tmp_on_signal(int sig)
{
    const char *t = tmp_pending;
    if (t)
        unlink(t);                       /* async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

static void tmp_guard(const char *tmp)
{
    tmp_pending = tmp;
    for (size_t i = 0; i < sizeof tmp_signals / sizeof tmp_signals[0]; i++)
        signal(tmp_signals[i], tmp ? tmp_on_signal : SIG_DFL);
}

static int out_open(outfile *o, const char *path)
{
    o->path = path;
    o->tmp = malloc(strlen(path) + 8);
    if (!o->tmp) {
        fprintf(stderr, "seqnn data: out of memory\n");
        return 0;
    }
    sprintf(o->tmp, "%s.tmp", path);
    tmp_guard(o->tmp);
    o->f = fopen(o->tmp, "w");
    if (!o->f) {
        tmp_guard(NULL);
        fprintf(stderr, "seqnn data: %s: cannot write: %s\n", o->tmp, strerror(errno));
        free(o->tmp);
        return 0;
    }
    return 1;
}

static int out_close(outfile *o, int ok, int64_t lines)
{
    int err = ferror(o->f);
    if (fclose(o->f) != 0 || err) {
        if (ok)
            fprintf(stderr, "seqnn data: %s: write error\n", o->tmp);
        ok = 0;
    }
    if (ok && rename(o->tmp, o->path) != 0) {
        fprintf(stderr, "seqnn data: %s: cannot rename to %s: %s\n", o->tmp, o->path, strerror(errno));
        ok = 0;
    }
    if (!ok)
        remove(o->tmp);
    else
        fprintf(stderr, "wrote %s (%lld examples)\n", o->path, (long long)lines);
    tmp_guard(NULL);
    free(o->tmp);
    return ok ? 0 : 1;
}

/* --------------------------------------------------------------- options --- */
typedef struct opts {
    int64_t n, steps, len, problem, depth, args;
    uint64_t seed;
    int fixed, tokenize, exact;
    const char *dir, *categories;
} opts;

static int parse_int(const char *opt, const char *v, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long x = v ? strtoll(v, &end, 10) : 0;
    if (!v || !*v || *end || errno || x < lo || x > hi) {
        fprintf(stderr, "seqnn data: %s needs an integer in [%lld, %lld]\n", opt, (long long)lo, (long long)hi);
        return 0;
    }
    *out = x;
    return 1;
}

static void data_usage(FILE *f)
{
    fprintf(f,
            "usage: seqnn data TASK OUT [options]   (writes the data sets of examples/)\n"
            "  fortunes OUT [--categories a,b,..] [--dir DIR] [--tokenize]\n"
            "        classify lines CATEGORY<TAB>TEXT from Debian's fortunes (default categories\n"
            "        computers,definitions,politics,science,songs-poems; DIR /usr/share/games/fortunes);\n"
            "        --tokenize: lower case, punctuation split off as separate words (for --words)\n"
            "  dates OUT [--n N] [--seed S]          translate lines 'March 5, 2019<TAB>2019-03-05' (N 20000)\n"
            "  adding OUT [--n N] [--steps T] [--seed S]\n"
            "        regress lines of T (100) steps 'value,marker'; target: sum of the 2 marked values (N 10000)\n"
            "  timing OUT [--n N] [--steps T] [--seed S]\n"
            "        regress lines of 0/1 steps: a spike at a < 10, a second at a + d (T/10 <= d <= T/2,\n"
            "        T 100) ending the sequence; target: d/10 (N 10000)\n"
            "  bits OUT --problem 1|2|3|4 [--n N] [--len L] [--fixed] [--seed S]\n"
            "        classic bit-reversal problems (N 2000, L 10; lengths 1..L unless --fixed):\n"
            "        1 one bit -> its complement; 2 a vector of L bits (-1 padding) -> complements (regress);\n"
            "        3 a bit sequence over time -> complements (tag); 4 complement the bit when it equals\n"
            "        the previous output, else copy it (tag; the first bit is complemented)\n"
            "  listops OUT [--n N] [--depth D] [--args A] [--exact] [--seed S]\n"
            "        tree lines 'LABEL<TAB>( max 3 ( min 7 2 ) 5 )': nested max/min over digits, the label\n"
            "        the value (N 10000; brackets nested up to D (3) deep, exactly D with --exact; 2..A (4)\n"
            "        arguments each)\n"
            "  qa OUT [--n N] [--seed S]\n"
            "        multi lines ANSWER<TAB>QUESTION<TAB>SCENE: 2-6 objects of 7 one-hot features (colour,\n"
            "        shape); questions 'is there a C S', 'what colour is the S', 'how many C objects are\n"
            "        there' (N 10000)\n"
            "  --seed S: the random seed of dates, adding, bits, listops, qa and timing (default 1)\n");
}

/* -------------------------------------------------------------- fortunes --- */
typedef struct seen {
    uint64_t *h;
    size_t cap, n;
} seen;

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h | 1;                        /* 0 marks an empty slot */
}

/* 1 if s was added, 0 if it was there already (by 64-bit hash), -1 no memory. */
static int seen_add(seen *t, const char *s, size_t n)
{
    if (2 * (t->n + 1) > t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 4096;
        uint64_t *nh = calloc(cap, sizeof *nh);
        if (!nh)
            return -1;
        for (size_t i = 0; i < t->cap; i++)
            if (t->h[i]) {
                size_t j = (size_t)t->h[i] & (cap - 1);
                while (nh[j])
                    j = (j + 1) & (cap - 1);
                nh[j] = t->h[i];
            }
        free(t->h);
        t->h = nh;
        t->cap = cap;
    }
    uint64_t h = fnv(s, n);
    size_t j = (size_t)h & (t->cap - 1);
    while (t->h[j]) {
        if (t->h[j] == h)
            return 0;
        j = (j + 1) & (t->cap - 1);
    }
    t->h[j] = h;
    t->n++;
    return 1;
}

/* One fortune flattened: ASCII printable only, whitespace runs to one space;
 * tokenize: lower case, every punctuation mark its own word. */
static size_t flatten(const char *in, size_t n, int tokenize, char *out)
{
    size_t k = 0;
    int space = 1;                       /* drop leading space */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = 1;
            continue;
        }
        if (c < 32 || c > 126)
            continue;                    /* control and non-ASCII bytes */
        int word = isalnum(c) || c == '\'';
        if (tokenize && !word && k > 0)
            space = 1;                   /* punctuation: its own token */
        if (space && k > 0)
            out[k++] = ' ';
        space = tokenize && !word;
        out[k++] = (char)(tokenize ? tolower(c) : c);
    }
    return k;
}

static int gen_fortunes(const char *path, const opts *o)
{
    const char *dir = o->dir ? o->dir : "/usr/share/games/fortunes";
    const char *cats = o->categories ? o->categories : "computers,definitions,politics,science,songs-poems";
    outfile of;
    seen dup = {0};
    int64_t lines = 0, dups = 0;
    int ok = 1;
    if (!out_open(&of, path))
        return 1;
    for (const char *c = cats; ok && *c;) {
        size_t cl = strcspn(c, ",");
        char name[256], file[4096];
        if (cl == 0 || cl >= sizeof name) {
            fprintf(stderr, "seqnn data: --categories: an empty or overlong name in '%s'\n", cats);
            ok = 0;
            break;
        }
        memcpy(name, c, cl);
        name[cl] = 0;
        c += cl + (c[cl] == ',');
        for (const char *p = name; *p && ok; p++)
            if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
                fprintf(stderr, "seqnn data: --categories: '%s' is not a category name\n", name);
                ok = 0;
            }
        if (!ok)
            break;
        snprintf(file, sizeof file, "%s/%s", dir, name);
        char *text;
        size_t size;
        if (cli_read_file(file, (size_t)64 << 20, &text, &size) != SEQNN_OK) {
            fprintf(stderr, "seqnn data: %s%s\n", cli_last_error(),
                    o->dir ? "" : " (Debian package fortunes: apt-get install fortunes)");
            ok = 0;
            break;
        }
        char *flat = malloc(2 * size + 2);   /* tokenize may space out punctuation */
        int64_t in_cat = 0;
        if (!flat) {
            fprintf(stderr, "seqnn data: out of memory\n");
            ok = 0;
        }
        /* Fortunes are separated by lines holding "%" alone. */
        size_t start = 0, at = 0;
        while (ok) {
            int last = at >= size;
            const char *nl = last ? NULL : memchr(text + at, '\n', size - at);
            size_t end = nl ? (size_t)(nl - text) : size;
            int sep = !last && ((end - at == 1 && text[at] == '%') || (end - at == 2 && !memcmp(text + at, "%\r", 2)));
            if (sep || last) {
                size_t stop = sep ? at : size;
                size_t k = start < stop ? flatten(text + start, stop - start, o->tokenize, flat) : 0;
                if (k > 0) {
                    int added = seen_add(&dup, flat, k);
                    if (added < 0) {
                        fprintf(stderr, "seqnn data: out of memory\n");
                        ok = 0;
                    } else if (added) {
                        fprintf(of.f, "%s\t%.*s\n", name, (int)k, flat);
                        lines++;
                        in_cat++;
                    } else {
                        dups++;
                    }
                }
                if (last)
                    break;
                start = end + 1;
            }
            at = end + 1;
        }
        if (ok)
            fprintf(stderr, "%s: %lld fortunes\n", name, (long long)in_cat);
        free(flat);
        free(text);
    }
    free(dup.h);
    if (ok && dups > 0)
        fprintf(stderr, "%lld repeated fortunes left out\n", (long long)dups);
    if (ok && lines == 0) {
        fprintf(stderr, "seqnn data: no fortunes found in %s\n", dir);
        ok = 0;
    }
    return out_close(&of, ok, lines);
}

/* ----------------------------------------------------------------- dates --- */
static const char *const month_name[12] = {"January", "February", "March",     "April",   "May",      "June",
                                           "July",    "August",   "September", "October", "November", "December"};
static const char *const day_name[7] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

static int days_in(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d[m - 1] + (m == 2 && leap);
}

/* Day of the week, 0 = Sunday (Sakamoto's method). */
static int weekday(int y, int m, int d)
{
    static const int t[12] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    if (m < 3)
        y--;
    return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

static const char *ordinal(int d)
{
    if (d % 100 >= 11 && d % 100 <= 13)
        return "th";
    return d % 10 == 1 ? "st" : d % 10 == 2 ? "nd" : d % 10 == 3 ? "rd" : "th";
}

#define DATE_FORMATS 9
/* Distinct sources: the 36524 days of 1950-2049 in each format, less the
 * Mays that formats 2 and 3 ("May") write as formats 0 and 1 do. */
#define DATES_DISTINCT (36524 * DATE_FORMATS - 2 * 31 * 100)

/* Date y-m-d in source format f (two-digit years: 50-99 are 19xx, 00-49 20xx). */
static void format_date(int f, int y, int m, int d, char *s, size_t size)
{
    const char *mn = month_name[m - 1];
    char mon[4] = {mn[0], mn[1], mn[2], 0};
    switch (f) {
    case 0: snprintf(s, size, "%s %d, %d", mn, d, y); break;
    case 1: snprintf(s, size, "%d %s %d", d, mn, y); break;
    case 2: snprintf(s, size, "%s %d, %d", mon, d, y); break;
    case 3: snprintf(s, size, "%d %s %d", d, mon, y); break;
    case 4: snprintf(s, size, "%d/%d/%d", m, d, y); break;
    case 5: snprintf(s, size, "%02d.%02d.%d", d, m, y); break;
    case 6: snprintf(s, size, "%s, %s %d, %d", day_name[weekday(y, m, d)], mn, d, y); break;
    case 7: snprintf(s, size, "%s %d%s, %d", mn, d, ordinal(d), y); break;
    default:
        mon[0] = (char)tolower((unsigned char)mon[0]);
        snprintf(s, size, "%d-%s-%02d", d, mon, y % 100);
        break;
    }
}

static int gen_dates(const char *path, const opts *o)
{
    outfile of;
    seen dup = {0};
    rng r = {o->seed ^ 0x4441544553000000ull, 0, {0}, 0};
    int64_t lines = 0, tries = 0;
    int ok = 1;
    if (!out_open(&of, path))
        return 1;
    /* 100 years of days in 9 formats: DATES_DISTINCT sources, drawn until N
     * distinct ones (N <= DATES_DISTINCT, checked before) are found. */
    while (ok && lines < o->n && tries < 20 * o->n) {
        tries++;
        int y = 1950 + (int)rng_below(&r, 100), m = 1 + (int)rng_below(&r, 12);
        int d = 1 + (int)rng_below(&r, (uint32_t)days_in(y, m)), f = (int)rng_below(&r, DATE_FORMATS);
        char src[64];
        format_date(f, y, m, d, src, sizeof src);
        int added = seen_add(&dup, src, strlen(src));
        if (added < 0) {
            fprintf(stderr, "seqnn data: out of memory\n");
            ok = 0;
        } else if (added) {
            fprintf(of.f, "%s\t%04d-%02d-%02d\n", src, y, m, d);
            lines++;
        }
    }
    free(dup.h);
    if (ok && lines < o->n) {
        fprintf(stderr, "seqnn data dates: found %lld distinct dates of the %lld asked for in %lld draws\n",
                (long long)lines, (long long)o->n, (long long)tries);
        ok = 0;
    }
    return out_close(&of, ok, lines);
}

/* ---------------------------------------------------------------- adding --- */
static int gen_adding(const char *path, const opts *o)
{
    outfile of;
    rng r = {o->seed ^ 0x4144440000000000ull, 0, {0}, 0};
    int64_t T = o->steps;
    if (!out_open(&of, path))
        return 1;
    for (int64_t i = 0; i < o->n; i++) {
        /* one marker in each half (Le et al. 2015) */
        int64_t a = rng_below(&r, (uint32_t)(T / 2)), b = T / 2 + rng_below(&r, (uint32_t)(T - T / 2));
        int64_t sum = 0;                 /* in thousandths: values are k/1000 exactly */
        for (int64_t s = 0; s < T; s++) {
            int64_t k = rng_below(&r, 1001);
            int mark = s == a || s == b;
            if (mark)
                sum += k;
            fprintf(of.f, "%s%lld.%03lld,%d", s ? " " : "", (long long)(k / 1000), (long long)(k % 1000), mark);
        }
        fprintf(of.f, "\t%lld.%03lld\n", (long long)(sum / 1000), (long long)(sum % 1000));
    }
    return out_close(&of, 1, o->n);
}

/* ---------------------------------------------------------------- timing --- */
static int gen_timing(const char *path, const opts *o)
{
    outfile of;
    rng r = {o->seed ^ 0x54494d4500000000ull, 0, {0}, 0};
    const int64_t dmin = o->steps / 10 > 1 ? o->steps / 10 : 1, dmax = o->steps / 2 > dmin ? o->steps / 2 : dmin;
    if (!out_open(&of, path))
        return 1;
    for (int64_t i = 0; i < o->n; i++) {
        int64_t a = rng_below(&r, 10), d = dmin + rng_below(&r, (uint32_t)(dmax - dmin + 1));
        for (int64_t s = 0; s <= a + d; s++)
            fprintf(of.f, "%s%d", s ? " " : "", s == a || s == a + d);
        fprintf(of.f, "\t%lld.%lld\n", (long long)(d / 10), (long long)(d % 10));
    }
    return out_close(&of, 1, o->n);
}

/* ------------------------------------------------------------------ bits --- */
static int gen_bits(const char *path, const opts *o)
{
    outfile of;
    rng r = {o->seed ^ 0x4249545300000000ull ^ (uint64_t)o->problem, 0, {0}, 0};
    int64_t L = o->problem == 1 ? 1 : o->len;
    int in[4096], outb[4096];
    if (!out_open(&of, path))
        return 1;
    for (int64_t i = 0; i < o->n; i++) {
        int64_t n = o->fixed || o->problem == 1 ? L : 1 + rng_below(&r, (uint32_t)L);
        for (int64_t s = 0; s < n; s++)
            in[s] = (int)rng_below(&r, 2);
        for (int64_t s = 0; s < n; s++) {
            if (o->problem == 4)         /* complement when equal to the previous output */
                outb[s] = s == 0 || in[s] == outb[s - 1] ? 1 - in[s] : in[s];
            else
                outb[s] = 1 - in[s];
        }
        if (o->problem == 2) {           /* one step of L features, -1 padding */
            for (int64_t s = 0; s < L; s++)
                fprintf(of.f, "%s%d", s ? "," : "", s < n ? in[s] : -1);
            fputc('\t', of.f);
            for (int64_t s = 0; s < L; s++)
                fprintf(of.f, "%s%d", s ? "," : "", s < n ? outb[s] : -1);
        } else {
            for (int64_t s = 0; s < n; s++)
                fprintf(of.f, "%s%d", s ? " " : "", in[s]);
            fputc('\t', of.f);
            for (int64_t s = 0; s < n; s++)
                fprintf(of.f, "%s%d", s ? " " : "", outb[s]);
        }
        fputc('\n', of.f);
    }
    return out_close(&of, 1, o->n);
}

/* --------------------------------------------------------------- listops --- */
/* Writes one expression at nesting level d (1 = outermost) and returns its
 * value: an operator over 2..args arguments, each a digit or, below
 * o->depth, a sub-expression with probability 3/8; with --exact one argument
 * per level is a sub-expression until the depth is reached. */
static int listops_expr(FILE *f, rng *r, const opts *o, int64_t d)
{
    int is_max = (int)rng_below(r, 2);
    int64_t n = 2 + rng_below(r, (uint32_t)(o->args - 1));
    int64_t forced = o->exact && d < o->depth ? rng_below(r, (uint32_t)n) : -1;
    int v = is_max ? -1 : 10;
    fprintf(f, "( %s", is_max ? "max" : "min");
    for (int64_t i = 0; i < n; i++) {
        int x;
        if (i == forced || (d < o->depth && rng_below(r, 8) < 3)) {
            fputc(' ', f);
            x = listops_expr(f, r, o, d + 1);
        } else {
            x = (int)rng_below(r, 10);
            fprintf(f, " %d", x);
        }
        v = is_max ? (x > v ? x : v) : (x < v ? x : v);
    }
    fputs(" )", f);
    return v;
}

static int gen_listops(const char *path, const opts *o)
{
    outfile of;
    rng r = {o->seed ^ 0x4c4953544f505300ull, 0, {0}, 0};
    if (!out_open(&of, path))
        return 1;
    for (int64_t i = 0; i < o->n; i++) {
        char *line = NULL;
        size_t cap = 0;
        FILE *m = open_memstream(&line, &cap);   /* the label comes first: write the expression aside */
        if (!m) {
            fprintf(stderr, "seqnn data: out of memory\n");
            return out_close(&of, 0, i);
        }
        int v = listops_expr(m, &r, o, 1);
        fclose(m);
        fprintf(of.f, "%d\t%s\n", v, line);
        free(line);                      /* each stream allocates its own */
    }
    return out_close(&of, 1, o->n);
}

/* -------------------------------------------------------------------- qa --- */
static const char *const qa_colour[4] = {"red", "green", "blue", "yellow"};
static const char *const qa_shape[3] = {"square", "circle", "triangle"};

/* One scene (n objects of colour c[i] and shape s[i]) and a question about
 * it, of kind 0 "is there a C S" (yes and no equally often), 1 "what colour
 * is the S" (S present exactly once), 2 "how many C objects are there";
 * writes the line and returns 1, or 0 when the scene does not suit the kind. */
static int qa_line(rng *r, FILE *f, int kind, int n, const int *c, const int *s)
{
    int count[4][3] = {{0}}, shape_n[3] = {0}, colour_n[4] = {0};
    for (int i = 0; i < n; i++) {
        count[c[i]][s[i]]++;
        shape_n[s[i]]++;
        colour_n[c[i]]++;
    }
    char q[64], a[16];
    if (kind == 0) {
        int want = (int)rng_below(r, 2), pick[12], np = 0;
        for (int k = 0; k < 12; k++)
            if ((count[k / 3][k % 3] > 0) == want)
                pick[np++] = k;
        if (np == 0)
            return 0;
        int k = pick[rng_below(r, (uint32_t)np)];
        snprintf(q, sizeof q, "is there a %s %s", qa_colour[k / 3], qa_shape[k % 3]);
        snprintf(a, sizeof a, "%s", want ? "yes" : "no");
    } else if (kind == 1) {
        int pick[3], np = 0;
        for (int k = 0; k < 3; k++)
            if (shape_n[k] == 1)
                pick[np++] = k;
        if (np == 0)
            return 0;
        int k = pick[rng_below(r, (uint32_t)np)], i = 0;
        while (s[i] != k)
            i++;
        snprintf(q, sizeof q, "what colour is the %s", qa_shape[k]);
        snprintf(a, sizeof a, "%s", qa_colour[c[i]]);
    } else {
        int k = (int)rng_below(r, 4);
        snprintf(q, sizeof q, "how many %s objects are there", qa_colour[k]);
        snprintf(a, sizeof a, "%d", colour_n[k]);
    }
    fprintf(f, "%s\t%s\t", a, q);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 7; k++)
            fprintf(f, "%s%d", k ? "," : i ? " " : "", k < 4 ? k == c[i] : k - 4 == s[i]);
    fputc('\n', f);
    return 1;
}

static int gen_qa(const char *path, const opts *o)
{
    outfile of;
    rng r = {o->seed ^ 0x5141000000000000ull, 0, {0}, 0};
    if (!out_open(&of, path))
        return 1;
    fprintf(of.f, "#inputs question=tokens scene=features\n");
    for (int64_t i = 0; i < o->n; i++) {
        int kind = (int)rng_below(&r, 3), n, c[6], sh[6];
        do {                             /* a scene the question suits */
            n = 2 + (int)rng_below(&r, 5);
            for (int k = 0; k < n; k++) {
                c[k] = (int)rng_below(&r, 4);
                sh[k] = (int)rng_below(&r, 3);
            }
        } while (!qa_line(&r, of.f, kind, n, c, sh));
    }
    return out_close(&of, 1, o->n);
}

int seqnn_cli_data(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        data_usage(stdout);
        return 0;
    }
    if (argc < 3 || argv[2][0] == '-') {
        data_usage(stderr);
        return 2;
    }
    const char *task = argv[1], *out = argv[2];
    int fortunes = !strcmp(task, "fortunes"), dates = !strcmp(task, "dates"), adding = !strcmp(task, "adding");
    int bits = !strcmp(task, "bits"), listops = !strcmp(task, "listops");
    int qa = !strcmp(task, "qa"), timing = !strcmp(task, "timing");
    if (!fortunes && !dates && !adding && !bits && !listops && !qa && !timing) {
        fprintf(stderr, "seqnn data: unknown task '%s' (fortunes, dates, adding, bits, listops, qa, timing)\n", task);
        return 2;
    }
    opts o = {.n = dates ? 20000 : adding || listops || qa || timing ? 10000 : 2000, .steps = 100, .len = 10,
              .seed = 1, .depth = 3, .args = 4};
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int64_t seed;
        if (!strcmp(a, "--n") && !fortunes) {
            if (!parse_int(a, v, 1, 100000000, &o.n)) return 2;
        } else if (!strcmp(a, "--seed") && !fortunes) {
            if (!parse_int(a, v, 0, INT64_MAX, &seed)) return 2;
            o.seed = (uint64_t)seed;
        } else if (!strcmp(a, "--steps") && (adding || timing)) {
            if (!parse_int(a, v, 2, 100000, &o.steps)) return 2;
        } else if (!strcmp(a, "--len") && bits) {
            if (!parse_int(a, v, 1, 4096, &o.len)) return 2;
        } else if (!strcmp(a, "--problem") && bits) {
            if (!parse_int(a, v, 1, 4, &o.problem)) return 2;
        } else if (!strcmp(a, "--fixed") && bits) {
            o.fixed = 1;
            continue;
        } else if (!strcmp(a, "--depth") && listops) {
            if (!parse_int(a, v, 1, 12, &o.depth)) return 2;
        } else if (!strcmp(a, "--args") && listops) {
            if (!parse_int(a, v, 2, 9, &o.args)) return 2;
        } else if (!strcmp(a, "--exact") && listops) {
            o.exact = 1;
            continue;
        } else if (!strcmp(a, "--tokenize") && fortunes) {
            o.tokenize = 1;
            continue;
        } else if (!strcmp(a, "--dir") && fortunes && v) {
            o.dir = v;
        } else if (!strcmp(a, "--categories") && fortunes && v) {
            o.categories = v;
        } else {
            fprintf(stderr, "seqnn data %s: unexpected argument '%s'\n", task, a);
            data_usage(stderr);
            return 2;
        }
        i++;
    }
    if (dates && o.n > DATES_DISTINCT) {
        fprintf(stderr, "seqnn data dates: --n %lld: there are only %d distinct source dates (1950-2049 in %d "
                        "formats); ask for at most that many\n", (long long)o.n, (int)DATES_DISTINCT, DATE_FORMATS);
        return 2;
    }
    if (bits && o.problem == 0) {
        fprintf(stderr, "seqnn data bits: --problem 1, 2, 3 or 4 is required\n");
        return 2;
    }
    if (qa)
        return gen_qa(out, &o);
    if (timing)
        return gen_timing(out, &o);
    return fortunes ? gen_fortunes(out, &o) : dates ? gen_dates(out, &o) : adding ? gen_adding(out, &o)
           : listops ? gen_listops(out, &o) : gen_bits(out, &o);
}

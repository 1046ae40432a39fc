/* Data sets of the CLI: format dispatch, whole-file reading, vocabularies
 * (building, lookup, and their serialisation into checkpoint metadata). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli_error.h"
#include "data.h"

seqnn_status cli_read_file(const char *path, size_t max, char **out, size_t *size)
{
    *out = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return cli_error(SEQNN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return cli_error(SEQNN_ERR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > max) {
        fclose(f);
        return cli_error(SEQNN_ERR_FORMAT, "%s: %lld bytes is more than the %zu this reads", path,
                         (long long)st.st_size, max);
    }
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        fclose(f);
        return cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", path);
    }
    size_t n = fread(buf, 1, (size_t)st.st_size, f);
    int err = ferror(f);
    fclose(f);
    if (err || n != (size_t)st.st_size) {
        free(buf);
        return cli_error(SEQNN_ERR_IO, "%s: read error", path);
    }
    buf[n] = 0;
    *out = buf;
    *size = n;
    return SEQNN_OK;
}

seqnn_status cli_data_open(const char *format, const char *path, int words, const seqnn_train_config *cfg,
                           const cli_vocab *vocab, const cli_vocab *tgt_vocab, cli_data **out)
{
    *out = NULL;
    if (!strcmp(format, "text"))
        return cli_data_open_text(path, cfg, vocab, out);
    if (!strcmp(format, "classify") || !strcmp(format, "tag") || !strcmp(format, "translate") ||
        !strcmp(format, "regress"))
        return cli_data_open_lines(format, path, words, cfg, vocab, tgt_vocab, out);
    return cli_error(SEQNN_ERR_INVALID_ARG,
                     "unknown data format '%s' (text, classify, tag, translate, regress)", format);
}

void cli_data_close(cli_data *d)
{
    if (d)
        d->destroy(d);
}

int cli_data_vars(const cli_data *d, seqnn_modelfile_var *vars, int max)
{
    int n = 0;
    if (n < max && d->src.n > 0)
        vars[n++] = (seqnn_modelfile_var){"vocab", d->src.n};
    if (n < max && d->src.n > 0)
        vars[n++] = (seqnn_modelfile_var){"src_vocab", d->src.n};
    if (n < max && d->tgt.n > 0)
        vars[n++] = (seqnn_modelfile_var){"classes", d->tgt.n};
    if (n < max && d->tgt.n > 0)
        vars[n++] = (seqnn_modelfile_var){"tgt_vocab", d->tgt.n};
    return n;
}

/* -------------------------------------------------------------- vocab --- */
seqnn_status cli_vocab_add(cli_vocab *v, const char *tok, size_t len)
{
    if ((v->n & (v->n - 1)) == 0) {      /* grow at powers of two */
        int64_t cap = v->n ? 2 * v->n : 16;
        char **nt = realloc(v->tok, (size_t)cap * sizeof *nt);
        if (!nt)
            return cli_error(SEQNN_ERR_NO_MEMORY, "vocabulary: out of memory");
        v->tok = nt;
    }
    char *t = malloc(len + 1);
    if (!t)
        return cli_error(SEQNN_ERR_NO_MEMORY, "vocabulary: out of memory");
    memcpy(t, tok, len);
    t[len] = 0;
    v->tok[v->n++] = t;
    return SEQNN_OK;
}

static const cli_vocab *sort_vocab;

static int by_token(const void *a, const void *b)
{
    return strcmp(sort_vocab->tok[*(const int64_t *)a], sort_vocab->tok[*(const int64_t *)b]);
}

seqnn_status cli_vocab_finish(cli_vocab *v)
{
    free(v->order);
    v->order = malloc((size_t)(v->n ? v->n : 1) * sizeof *v->order);
    if (!v->order)
        return cli_error(SEQNN_ERR_NO_MEMORY, "vocabulary: out of memory");
    for (int64_t i = 0; i < v->n; i++)
        v->order[i] = i;
    sort_vocab = v;
    qsort(v->order, (size_t)v->n, sizeof *v->order, by_token);
    sort_vocab = NULL;
    for (int64_t i = 1; i < v->n; i++)
        if (!strcmp(v->tok[v->order[i]], v->tok[v->order[i - 1]]))
            return cli_error(SEQNN_ERR_FORMAT, "vocabulary: token '%s' appears twice",
                             v->tok[v->order[i]]);
    return SEQNN_OK;
}

int64_t cli_vocab_find(const cli_vocab *v, const char *tok, size_t len)
{
    int64_t lo = 0, hi = v->n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        const char *t = v->tok[v->order[mid]];
        int c = strncmp(t, tok, len);
        if (c == 0 && t[len] != 0)
            c = 1;
        if (c == 0)
            return v->order[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

void cli_vocab_free(cli_vocab *v)
{
    for (int64_t i = 0; i < v->n; i++)
        free(v->tok[i]);
    free(v->tok);
    free(v->order);
    memset(v, 0, sizeof *v);
}

/* "c:" or "w:", then every token in hexadecimal, separated by spaces. */
char *cli_vocab_serialize(const cli_vocab *v)
{
    size_t size = 3;
    for (int64_t i = 0; i < v->n; i++)
        size += 2 * strlen(v->tok[i]) + 1;
    char *s = malloc(size), *p = s;
    if (!s)
        return NULL;
    *p++ = v->chars ? 'c' : 'w';
    *p++ = ':';
    for (int64_t i = 0; i < v->n; i++) {
        if (i)
            *p++ = ' ';
        for (const unsigned char *t = (const unsigned char *)v->tok[i]; *t; t++)
            p += sprintf(p, "%02x", *t);
    }
    *p = 0;
    return s;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

seqnn_status cli_vocab_parse(const char *s, cli_vocab *v)
{
    memset(v, 0, sizeof *v);
    if (!s || (s[0] != 'c' && s[0] != 'w') || s[1] != ':')
        return cli_error(SEQNN_ERR_FORMAT, "vocabulary metadata is missing or malformed");
    v->chars = s[0] == 'c';
    const char *p = s + 2;
    char tok[1024];
    while (*p) {
        size_t len = 0;
        while (*p && *p != ' ') {
            int hi = hexval(p[0]), lo = p[1] ? hexval(p[1]) : -1;
            if (hi < 0 || lo < 0 || len + 1 >= sizeof tok) {
                cli_vocab_free(v);
                return cli_error(SEQNN_ERR_FORMAT, "vocabulary metadata is malformed");
            }
            tok[len++] = (char)(hi * 16 + lo);
            p += 2;
        }
        seqnn_status st = cli_vocab_add(v, tok, len);
        if (st != SEQNN_OK) {
            cli_vocab_free(v);
            return st;
        }
        if (*p == ' ')
            p++;
    }
    seqnn_status st = cli_vocab_finish(v);
    if (st != SEQNN_OK)
        cli_vocab_free(v);
    return st;
}

/* Vocabularies of the CLI: whole-file reading, building (the tokenizer, a
 * token set, a vocabulary from it), lookup, and serialisation into
 * checkpoint metadata. vocab.h has the contracts. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli_error.h"
#include "vocab.h"

/* ------------------------------------------------------------ files --- */
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

/* ----------------------------------------------------------- tokens --- */
int cli_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

int cli_next_token(const char *s, size_t n, size_t *pos, int words, size_t *start, size_t *len)
{
    size_t p = *pos;
    if (!words) {
        if (p >= n)
            return 0;
        *start = p;
        *len = 1;
        *pos = p + 1;
        return 1;
    }
    while (p < n && cli_is_space(s[p]))
        p++;
    if (p >= n) {
        *pos = p;
        return 0;
    }
    size_t b = p;
    while (p < n && !cli_is_space(s[p]))
        p++;
    *start = b;
    *len = p - b;
    *pos = p;
    return 1;
}

int64_t cli_count_tokens(const char *s, size_t n, int words)
{
    size_t pos = 0, b, l;
    int64_t k = 0;
    while (cli_next_token(s, n, &pos, words, &b, &l))
        k++;
    return k;
}

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

int cli_tokset_add(cli_tokset *set, const char *s, size_t n)
{
    if (2 * (set->n + 1) > set->cap) {
        size_t cap = set->cap ? 2 * set->cap : 1024;
        const char **np = calloc(cap, sizeof *np);
        size_t *nl = calloc(cap, sizeof *nl);
        if (!np || !nl) {
            free(np);
            free(nl);
            return 0;
        }
        for (size_t i = 0; i < set->cap; i++)
            if (set->p[i]) {
                size_t h = (size_t)fnv(set->p[i], set->len[i]) & (cap - 1);
                while (np[h])
                    h = (h + 1) & (cap - 1);
                np[h] = set->p[i];
                nl[h] = set->len[i];
            }
        free(set->p);
        free(set->len);
        set->p = np;
        set->len = nl;
        set->cap = cap;
    }
    size_t h = (size_t)fnv(s, n) & (set->cap - 1);
    while (set->p[h]) {
        if (set->len[h] == n && !memcmp(set->p[h], s, n))
            return 1;
        h = (h + 1) & (set->cap - 1);
    }
    set->p[h] = s;
    set->len[h] = n;
    set->n++;
    return 1;
}

void cli_tokset_free(cli_tokset *set)
{
    free(set->p);
    free(set->len);
    memset(set, 0, sizeof *set);
}

typedef struct span {
    const char *p;
    size_t n;
} span;

static int by_bytes(const void *a, const void *b)
{
    const span *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->p, y->p, n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

static const char *const specials[] = {"<pad>", "<unk>", "<bos>", "<eos>"};

static int is_special(const char *s, size_t n, int n_specials)
{
    for (int i = 0; i < n_specials; i++)
        if (strlen(specials[i]) == n && !memcmp(specials[i], s, n))
            return 1;
    return 0;
}

seqnn_status cli_vocab_from_set(const cli_tokset *set, int n_specials, int chars, cli_vocab *v, const char *path)
{
    memset(v, 0, sizeof *v);
    v->chars = chars;
    seqnn_status s = SEQNN_OK;
    for (int i = 0; i < n_specials && s == SEQNN_OK; i++)
        s = cli_vocab_add(v, specials[i], strlen(specials[i]));
    span *all = malloc((set->n ? set->n : 1) * sizeof *all);
    if (!all)
        s = cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", path);
    size_t k = 0;
    for (size_t i = 0; s == SEQNN_OK && i < set->cap; i++)
        if (set->p[i] && !is_special(set->p[i], set->len[i], n_specials))
            all[k++] = (span){set->p[i], set->len[i]};
    if (s == SEQNN_OK)
        qsort(all, k, sizeof *all, by_bytes);
    for (size_t i = 0; s == SEQNN_OK && i < k; i++)
        s = cli_vocab_add(v, all[i].p, all[i].n);
    free(all);
    if (s == SEQNN_OK)
        s = cli_vocab_finish(v);
    if (s != SEQNN_OK)
        cli_vocab_free(v);
    return s;
}

seqnn_status cli_vocab_copy(const cli_vocab *from, cli_vocab *to)
{
    memset(to, 0, sizeof *to);
    to->chars = from->chars;
    seqnn_status s = SEQNN_OK;
    for (int64_t i = 0; i < from->n && s == SEQNN_OK; i++)
        s = cli_vocab_add(to, from->tok[i], strlen(from->tok[i]));
    if (s == SEQNN_OK)
        s = cli_vocab_finish(to);
    if (s != SEQNN_OK)
        cli_vocab_free(to);
    return s;
}

/* The line-oriented data formats of the CLI: classify, tag, translate and
 * regress (data.h has the formats; docs in examples/README.md). One example
 * per line, input and output separated by the first TAB; blank lines are
 * skipped; any other malformed line is an error naming the file and line.
 *
 * Tokens: with words = 1 the text is split on whitespace, else every byte is
 * a token. Source ids: 0 <pad>, 1 <unk>, then the tokens of the training split
 * sorted bytewise (tokens only in the validation split read as <unk>).
 * Outputs: classify labels are ids 0..K-1 in sorted order; tags are 0 <pad>
 * (never a target) then the tags sorted; translate targets are 0 <pad>,
 * 1 <unk>, 2 <bos>, 3 <eos>, then the target tokens of the training split.
 * Labels and tags are collected from every line (they are the set of classes,
 * not something learned), so a class seen only in validation still has an id.
 *
 * Split: the examples are shuffled with a Philox4x32-10 stream keyed by the
 * seed (Fisher-Yates); the last round(val_fraction * n) are the validation
 * split (at least one when val_fraction > 0 and there are two examples).
 * Batches: a training pass shuffles its examples (seed of the pass), sorts
 * each window of 16 batches by length so that batches hold sequences of
 * similar length (less padding), and shuffles the order of the batches.
 * Validation passes go through their examples sorted by length. Sequences
 * longer than seq_len (when > 0) are truncated, with a note on stderr. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_error.h"
#include "data.h"
#include "seqnn/philox.h"

#define LINES_MAX ((size_t)1 << 30)
#define WINDOW_BATCHES 16

enum { F_CLASSIFY, F_TAG, F_TRANSLATE, F_REGRESS };

typedef struct example {
    int64_t line;                        /* 1-based line number in the file */
    size_t in, in_len;                   /* input text: offset and bytes in the file */
    size_t out, out_len;                 /* output text */
    int64_t src, tgt;                    /* offsets into ids / tids (regress: feats, values) */
    int32_t src_len, tgt_len;            /* after truncation (regress: src_len steps) */
    int32_t label;                       /* classify */
} example;

typedef struct pass {
    int64_t *order;                      /* examples of the pass, batch after batch */
    int64_t *start;                      /* batch b is order[start[b] .. start[b] + size[b]) */
    int32_t *size;
    int64_t n_batches, cursor, B;
    int planned;
    uint64_t seed;
} pass;

typedef struct lines_data {
    int kind;
    const char *path;
    char *text;                          /* the file, during reading */
    example *ex;
    int64_t n;
    int64_t *split[2];                   /* example indices of each split */
    int64_t n_split[2];
    int32_t *ids, *tids;                 /* token pools */
    int64_t n_ids, n_tids, cap_ids, cap_tids;
    float *feats, *values;               /* regress: steps' features, lines' values */
    int64_t n_feats, cap_feats, n_vals, cap_vals;
    int64_t dim, n_values;               /* regress: features per step, values per line */
    int64_t max_src, max_tgt;            /* longest sequences after truncation */
    pass passes[2];
    /* the current batch */
    int32_t *b_tokens, *b_lengths, *b_targets, *b_dec, *b_dec_lengths;
    float *b_features, *b_values;
    int64_t b_cap;                       /* batch size the buffers hold */
} lines_data;

/* ------------------------------------------------------------- random --- */
/* A Philox4x32-10 stream: 64-bit draws from counters 0, 1, 2, ... of key. */
typedef struct rng {
    uint64_t key, ctr;
} rng;

static uint64_t rng_next(rng *r)
{
    uint32_t o[4];
    seqnn_philox4x32_10(r->key, r->ctr++, o);
    return (uint64_t)o[0] << 32 | o[1];
}

/* Uniform in [0, n), n >= 1 (modulo bias below 2^-40 for n < 2^24). */
static int64_t rng_below(rng *r, int64_t n)
{
    return (int64_t)(rng_next(r) % (uint64_t)n);
}

static void shuffle(int64_t *a, int64_t n, uint64_t key)
{
    rng r = {key, 0};
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = rng_below(&r, i + 1), t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

#define KEY_SPLIT 0x53504c4954000000ull  /* "SPLIT": the train/validation split */
#define KEY_PASS 0x5041535300000000ull   /* "PASS": the order of a training pass */
#define KEY_BATCHES 0x4241544348000000ull /* "BATCH": the order of its batches */

/* ----------------------------------------------------------- tokens --- */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The next token of s[0..n) from *pos: 1 and its start and length, or 0. */
static int next_token(const char *s, size_t n, size_t *pos, int words, size_t *start, size_t *len)
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
    while (p < n && is_space(s[p]))
        p++;
    if (p >= n) {
        *pos = p;
        return 0;
    }
    size_t b = p;
    while (p < n && !is_space(s[p]))
        p++;
    *start = b;
    *len = p - b;
    *pos = p;
    return 1;
}

static int64_t count_tokens(const char *s, size_t n, int words)
{
    size_t pos = 0, b, l;
    int64_t k = 0;
    while (next_token(s, n, &pos, words, &b, &l))
        k++;
    return k;
}

/* A set of byte strings (pointers into the file): open addressing, FNV-1a. */
typedef struct strset {
    const char **p;
    size_t *len;
    size_t cap, n;
} strset;

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static int strset_add(strset *set, const char *s, size_t n)
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

static void strset_free(strset *set)
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

/* A vocabulary of the first n_specials special tokens, then the members of
 * set in byte order (special tokens among them are not repeated). */
static seqnn_status vocab_from_set(const strset *set, int n_specials, int chars, cli_vocab *v, const char *path)
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

static seqnn_status vocab_copy(const cli_vocab *from, cli_vocab *to)
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

/* ------------------------------------------------------------ numbers --- */
/* A finite decimal number filling s[0..n): digits, sign, '.', exponent only. */
static int parse_number(const char *s, size_t n, double *out)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]) && !strchr("+-.eE", s[i]))
            return 0;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    double x = strtod(buf, &end);
    if (*end || !isfinite(x))
        return 0;
    *out = x;
    return 1;
}

/* --------------------------------------------------------------- pools --- */
static int grow_i32(int32_t **a, int64_t *cap, int64_t need)
{
    if (need <= *cap)
        return 1;
    int64_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    int32_t *n = realloc(*a, (size_t)c * sizeof *n);
    if (!n)
        return 0;
    *a = n;
    *cap = c;
    return 1;
}

static int grow_f32(float **a, int64_t *cap, int64_t need)
{
    if (need <= *cap)
        return 1;
    int64_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    float *n = realloc(*a, (size_t)c * sizeof *n);
    if (!n)
        return 0;
    *a = n;
    *cap = c;
    return 1;
}

/* ----------------------------------------------------------- batches --- */
static int64_t n_batches(int64_t n, int64_t B)
{
    return B < 1 ? 0 : (n + B - 1) / B;
}

static int by_key(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Orders a pass of split with batch size B (see the header comment). */
static int plan(lines_data *t, int split, int64_t B)
{
    pass *p = &t->passes[split];
    int64_t n = t->n_split[split];
    memcpy(p->order, t->split[split], (size_t)n * sizeof *p->order);
    if (split == 0)
        shuffle(p->order, n, p->seed ^ KEY_PASS);
    int64_t window = split == 0 ? WINDOW_BATCHES * B : n;
    int64_t wmax = window < n ? window : n > 0 ? n : 1;
    uint64_t *key = malloc((size_t)wmax * sizeof *key);
    int64_t *tmp = malloc((size_t)wmax * sizeof *tmp);
    if (!key || !tmp) {
        free(key);
        free(tmp);
        return 0;
    }
    for (int64_t w = 0; w < n; w += window) {
        int64_t m = n - w < window ? n - w : window, *o = p->order + w;
        for (int64_t i = 0; i < m; i++)          /* length, then position: a stable sort */
            key[i] = (uint64_t)t->ex[o[i]].src_len << 32 | (uint64_t)i;
        qsort(key, (size_t)m, sizeof *key, by_key);
        for (int64_t i = 0; i < m; i++)
            tmp[i] = o[key[i] & 0xffffffffu];
        memcpy(o, tmp, (size_t)m * sizeof *o);
    }
    free(key);
    free(tmp);
    p->n_batches = n_batches(n, B);
    for (int64_t b = 0; b < p->n_batches; b++) {
        p->start[b] = b * B;
        p->size[b] = (int32_t)(n - b * B < B ? n - b * B : B);
    }
    if (split == 0) {                           /* the order of the batches */
        rng r = {p->seed ^ KEY_BATCHES, 0};
        for (int64_t i = p->n_batches - 1; i > 0; i--) {
            int64_t j = rng_below(&r, i + 1), s = p->start[i];
            int32_t z = p->size[i];
            p->start[i] = p->start[j];
            p->size[i] = p->size[j];
            p->start[j] = s;
            p->size[j] = z;
        }
    }
    p->cursor = 0;
    p->B = B;
    p->planned = 1;
    return 1;
}

static seqnn_status lines_begin(cli_data *d, int split, uint64_t seed)
{
    lines_data *t = d->impl;
    if (split < 0 || split > 1)
        return cli_error(SEQNN_ERR_INVALID_ARG, "data: split %d (0 or 1)", split);
    t->passes[split].seed = seed;
    t->passes[split].planned = 0;
    t->passes[split].cursor = 0;
    return SEQNN_OK;
}

static int64_t lines_count(cli_data *d, int split, const seqnn_train_config *cfg)
{
    lines_data *t = d->impl;
    return split < 0 || split > 1 ? 0 : n_batches(t->n_split[split], cfg->batch);
}

static int batch_buffers(lines_data *t, int64_t B)
{
    if (B <= t->b_cap)
        return 1;
    int64_t T = t->max_src > 0 ? t->max_src : 1, Td = t->max_tgt + 1;
    free(t->b_tokens);
    free(t->b_lengths);
    free(t->b_targets);
    free(t->b_dec);
    free(t->b_dec_lengths);
    free(t->b_features);
    free(t->b_values);
    t->b_tokens = t->b_lengths = t->b_targets = t->b_dec = t->b_dec_lengths = NULL;
    t->b_features = t->b_values = NULL;
    t->b_cap = 0;
    int64_t tgt_rows = t->kind == F_CLASSIFY ? B : t->kind == F_TAG ? T * B : t->kind == F_TRANSLATE ? Td * B : 1;
    t->b_lengths = malloc((size_t)B * sizeof *t->b_lengths);
    t->b_targets = malloc((size_t)tgt_rows * sizeof *t->b_targets);
    if (t->kind == F_REGRESS) {
        t->b_features = malloc((size_t)(T * B * t->dim) * sizeof *t->b_features);
        t->b_values = malloc((size_t)(B * t->n_values) * sizeof *t->b_values);
        if (!t->b_features || !t->b_values)
            return 0;
    } else {
        t->b_tokens = malloc((size_t)(T * B) * sizeof *t->b_tokens);
        if (!t->b_tokens)
            return 0;
    }
    if (t->kind == F_TRANSLATE) {
        t->b_dec = malloc((size_t)(Td * B) * sizeof *t->b_dec);
        t->b_dec_lengths = malloc((size_t)B * sizeof *t->b_dec_lengths);
        if (!t->b_dec || !t->b_dec_lengths)
            return 0;
    }
    if (!t->b_lengths || !t->b_targets)
        return 0;
    t->b_cap = B;
    return 1;
}

static int lines_next(cli_data *d, int split, const seqnn_train_config *cfg, seqnn_batch *b)
{
    lines_data *t = d->impl;
    if (split < 0 || split > 1 || cfg->batch < 1)
        return 0;
    pass *p = &t->passes[split];
    if (!p->planned || (p->cursor == 0 && p->B != cfg->batch)) {
        if (!plan(t, split, cfg->batch)) {
            cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", t->path);
            fprintf(stderr, "seqnn: %s: out of memory ordering the batches\n", t->path);
            return 0;
        }
    }
    if (p->cursor >= p->n_batches)
        return 0;
    if (!batch_buffers(t, cfg->batch)) {
        cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", t->path);
        fprintf(stderr, "seqnn: %s: out of memory for a batch of %lld\n", t->path, (long long)cfg->batch);
        return 0;
    }
    const int64_t *idx = p->order + p->start[p->cursor];
    int64_t B = p->size[p->cursor];
    p->cursor++;
    int64_t T = 1, Tt = 0;
    for (int64_t k = 0; k < B; k++) {
        const example *e = &t->ex[idx[k]];
        if (e->src_len > T)
            T = e->src_len;
        if (e->tgt_len > Tt)
            Tt = e->tgt_len;
    }
    memset(b, 0, sizeof *b);
    b->seq_len = T;
    b->batch = B;
    b->lengths = t->b_lengths;
    for (int64_t k = 0; k < B; k++)
        t->b_lengths[k] = t->ex[idx[k]].src_len;
    if (t->kind == F_REGRESS) {
        int64_t F = t->dim, K = t->n_values;
        memset(t->b_features, 0, (size_t)(T * B * F) * sizeof *t->b_features);
        for (int64_t k = 0; k < B; k++) {
            const example *e = &t->ex[idx[k]];
            for (int64_t s = 0; s < e->src_len; s++)
                memcpy(t->b_features + (s * B + k) * F, t->feats + e->src + s * F, (size_t)F * sizeof(float));
            memcpy(t->b_values + k * K, t->values + e->tgt, (size_t)K * sizeof(float));
        }
        b->features = t->b_features;
        b->values = t->b_values;
        return 1;
    }
    memset(t->b_tokens, 0, (size_t)(T * B) * sizeof *t->b_tokens);
    for (int64_t k = 0; k < B; k++) {
        const example *e = &t->ex[idx[k]];
        for (int64_t s = 0; s < e->src_len; s++)
            t->b_tokens[s * B + k] = t->ids[e->src + s];
    }
    b->tokens = t->b_tokens;
    b->targets = t->b_targets;
    if (t->kind == F_CLASSIFY) {
        for (int64_t k = 0; k < B; k++)
            t->b_targets[k] = t->ex[idx[k]].label;
    } else if (t->kind == F_TAG) {
        for (int64_t s = 0; s < T; s++)
            for (int64_t k = 0; k < B; k++) {
                const example *e = &t->ex[idx[k]];
                int32_t v = s < e->tgt_len ? t->tids[e->tgt + s] : SEQNN_IGNORE_INDEX;
                t->b_targets[s * B + k] = v == CLI_PAD ? SEQNN_IGNORE_INDEX : v;
            }
    } else {                             /* translate: <bos> + target in, target + <eos> out */
        int64_t Td = Tt + 1;
        for (int64_t s = 0; s < Td; s++)
            for (int64_t k = 0; k < B; k++) {
                const example *e = &t->ex[idx[k]];
                int32_t in = s == 0 ? CLI_BOS : s <= e->tgt_len ? t->tids[e->tgt + s - 1] : CLI_PAD;
                int32_t out = s < e->tgt_len ? t->tids[e->tgt + s] : s == e->tgt_len ? CLI_EOS : SEQNN_IGNORE_INDEX;
                t->b_dec[s * B + k] = in;
                t->b_targets[s * B + k] = out;
            }
        for (int64_t k = 0; k < B; k++)
            t->b_dec_lengths[k] = t->ex[idx[k]].tgt_len + 1;
        b->dec_len = Td;
        b->dec_tokens = t->b_dec;
        b->dec_lengths = t->b_dec_lengths;
    }
    return 1;
}

static void lines_free(lines_data *t)
{
    if (!t)
        return;
    free(t->text);
    free(t->ex);
    free(t->split[0]);
    free(t->split[1]);
    free(t->ids);
    free(t->tids);
    free(t->feats);
    free(t->values);
    for (int i = 0; i < 2; i++) {
        free(t->passes[i].order);
        free(t->passes[i].start);
        free(t->passes[i].size);
    }
    free(t->b_tokens);
    free(t->b_lengths);
    free(t->b_targets);
    free(t->b_dec);
    free(t->b_dec_lengths);
    free(t->b_features);
    free(t->b_values);
    free(t);
}

static void lines_destroy(cli_data *d)
{
    lines_free(d->impl);
    cli_vocab_free(&d->src);
    cli_vocab_free(&d->tgt);
    free(d);
}

/* ------------------------------------------------------------ reading --- */
#define FAIL(...) do { s = cli_error(SEQNN_ERR_FORMAT, __VA_ARGS__); goto done; } while (0)
#define NOMEM() do { s = cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", path); goto done; } while (0)

/* Regress input: steps separated by whitespace, each F comma-separated
 * numbers; appended to t->feats. */
static seqnn_status parse_features(lines_data *t, const char *s, size_t n, int64_t line, int64_t max_steps,
                                   int64_t *steps, int64_t *truncated)
{
    const char *path = t->path;
    size_t pos = 0, b, l;
    int64_t k = 0;
    while (next_token(s, n, &pos, 1, &b, &l)) {
        int64_t f = 0;
        size_t i = b, end = b + l;
        int keep = max_steps <= 0 || k < max_steps;
        while (1) {
            size_t j = i;
            while (j < end && s[j] != ',')
                j++;
            double x;
            if (!parse_number(s + i, j - i, &x))
                return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: step %lld: '%.*s' is not a number", path,
                                 (long long)line, (long long)k + 1, (int)(j - i < 40 ? j - i : 40), s + i);
            if (keep) {
                if (!grow_f32(&t->feats, &t->cap_feats, t->n_feats + 1))
                    return cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", path);
                t->feats[t->n_feats++] = (float)x;
            }
            f++;
            if (j >= end)
                break;
            i = j + 1;
        }
        if (t->dim == 0)
            t->dim = f;
        else if (f != t->dim)
            return cli_error(SEQNN_ERR_FORMAT,
                             "%s:%lld: step %lld has %lld features, the steps before it have %lld", path,
                             (long long)line, (long long)k + 1, (long long)f, (long long)t->dim);
        k++;
    }
    *steps = k;
    if (max_steps > 0 && k > max_steps)
        (*truncated)++;
    return SEQNN_OK;
}

/* The tokens of s[0..n) as ids of v (missing: <unk>), at most max of them. */
static seqnn_status encode(const cli_vocab *v, const char *s, size_t n, int words, int64_t max, int32_t **pool,
                           int64_t *len, int64_t *cap, int32_t *count, const char *path)
{
    size_t pos = 0, b, l;
    int32_t k = 0;
    while ((max <= 0 || k < max) && next_token(s, n, &pos, words, &b, &l)) {
        int64_t id = cli_vocab_find(v, s + b, l);
        if (!grow_i32(pool, cap, *len + 1))
            return cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", path);
        (*pool)[(*len)++] = (int32_t)(id >= 0 ? id : CLI_UNK);
        k++;
    }
    *count = k;
    return SEQNN_OK;
}

seqnn_status cli_data_open_lines(const char *format, const char *path, int words,
                                 const seqnn_train_config *cfg, const cli_vocab *vocab,
                                 const cli_vocab *tgt_vocab, cli_data **out)
{
    *out = NULL;
    int kind = !strcmp(format, "classify") ? F_CLASSIFY : !strcmp(format, "tag") ? F_TAG
             : !strcmp(format, "translate") ? F_TRANSLATE : !strcmp(format, "regress") ? F_REGRESS : -1;
    if (kind < 0)
        return cli_error(SEQNN_ERR_INVALID_ARG, "unknown line format '%s'", format);
    seqnn_status s = SEQNN_OK;
    cli_data *d = calloc(1, sizeof *d);
    lines_data *t = calloc(1, sizeof *t);
    strset set = {0}, oset = {0};
    char *text = NULL;
    size_t size = 0;
    int64_t cap_ex = 0, truncated = 0, longest = 0;
    if (!d || !t) {
        free(d);
        free(t);
        return cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", path);
    }
    d->impl = t;
    d->format = kind == F_CLASSIFY ? "classify" : kind == F_TAG ? "tag" : kind == F_TRANSLATE ? "translate" : "regress";
    d->words = words;
    d->begin = lines_begin;
    d->next = lines_next;
    d->count = lines_count;
    d->destroy = lines_destroy;
    t->kind = kind;
    t->path = path;
    s = cli_read_file(path, LINES_MAX, &text, &size);
    if (s != SEQNN_OK)
        goto done;
    t->text = text;
    if (size == 0)
        FAIL("%s: the file is empty", path);
    const char *nul = memchr(text, 0, size);
    if (nul) {
        int64_t line = 1;
        for (const char *c = text; c < nul; c++)
            line += *c == '\n';
        FAIL("%s:%lld: a NUL byte (offset %lld): binary data, not text", path, (long long)line,
             (long long)(nul - text));
    }
    int64_t max_len = cfg && cfg->seq_len > 0 ? cfg->seq_len : 0;

    /* Pass 1: the lines; structure, tag counts, labels, regress numbers. */
    int64_t line = 0;
    for (size_t at = 0; at < size;) {
        const char *ls = text + at, *nl = memchr(ls, '\n', size - at);
        size_t len = nl ? (size_t)(nl - ls) : size - at;
        at += len + 1;
        line++;
        if (len > 0 && ls[len - 1] == '\r')
            len--;
        size_t k = 0;
        while (k < len && is_space(ls[k]))
            k++;
        if (k == len)
            continue;                    /* a blank line */
        const char *tab = memchr(ls, '\t', len);
        if (!tab)
            FAIL("%s:%lld: no TAB: a %s line is %s", path, (long long)line, d->format,
                 kind == F_CLASSIFY ? "LABEL<TAB>TEXT" : kind == F_TAG ? "TOKENS<TAB>TAGS"
                 : kind == F_TRANSLATE ? "SOURCE<TAB>TARGET" : "FEATURES<TAB>VALUE");
        example e = {.line = line};
        size_t a = (size_t)(ls - text), a_len = (size_t)(tab - ls), o = a + a_len + 1, o_len = len - a_len - 1;
        if (kind == F_CLASSIFY) {        /* LABEL<TAB>TEXT: the label first */
            size_t t0 = a, t1 = a + a_len;
            while (t0 < t1 && is_space(text[t0]))
                t0++;
            while (t1 > t0 && is_space(text[t1 - 1]))
                t1--;
            if (t0 == t1)
                FAIL("%s:%lld: the label (before the TAB) is empty", path, (long long)line);
            e.out = t0;
            e.out_len = t1 - t0;
            e.in = o;
            e.in_len = o_len;
        } else {
            e.in = a;
            e.in_len = a_len;
            e.out = o;
            e.out_len = o_len;
        }
        int64_t n_in = kind == F_REGRESS ? count_tokens(text + e.in, e.in_len, 1)
                                         : count_tokens(text + e.in, e.in_len, words);
        if (n_in == 0)
            FAIL("%s:%lld: the %s is empty", path, (long long)line,
                 kind == F_CLASSIFY ? "text (after the TAB)" : kind == F_REGRESS ? "feature sequence" : "source");
        if (kind == F_TAG) {
            int64_t n_tags = count_tokens(text + e.out, e.out_len, 1);
            if (n_tags != n_in)
                FAIL("%s:%lld: %lld tags for %lld %s (one tag per token%s)", path, (long long)line,
                     (long long)n_tags, (long long)n_in, words ? "tokens" : "characters",
                     words ? "" : "; --words reads whitespace-separated tokens");
            size_t pos = 0, b, l;
            while (next_token(text + e.out, e.out_len, &pos, 1, &b, &l))
                if (!strset_add(&oset, text + e.out + b, l))
                    NOMEM();
        } else if (kind == F_CLASSIFY) {
            if (!strset_add(&oset, text + e.out, e.out_len))
                NOMEM();
        } else if (kind == F_TRANSLATE) {
            if (count_tokens(text + e.out, e.out_len, words) == 0)
                FAIL("%s:%lld: the target (after the TAB) is empty", path, (long long)line);
        } else {                         /* regress */
            int64_t steps = 0;
            e.src = t->n_feats;
            s = parse_features(t, text + e.in, e.in_len, line, max_len, &steps, &truncated);
            if (s != SEQNN_OK)
                goto done;
            if (steps > longest)
                longest = steps;
            e.src_len = (int32_t)(max_len > 0 && steps > max_len ? max_len : steps);
            int64_t nv = 0;
            e.tgt = t->n_vals;
            size_t i = e.out, end = e.out + e.out_len;
            while (end > i && is_space(text[end - 1]))
                end--;
            while (i < end && is_space(text[i]))
                i++;
            if (i == end)
                FAIL("%s:%lld: the value (after the TAB) is empty", path, (long long)line);
            while (1) {
                size_t j = i;
                while (j < end && text[j] != ',')
                    j++;
                double x;
                if (!parse_number(text + i, j - i, &x))
                    FAIL("%s:%lld: value '%.*s' is not a number", path, (long long)line,
                         (int)(j - i < 40 ? j - i : 40), text + i);
                if (!grow_f32(&t->values, &t->cap_vals, t->n_vals + 1))
                    NOMEM();
                t->values[t->n_vals++] = (float)x;
                nv++;
                if (j >= end)
                    break;
                i = j + 1;
            }
            if (t->n_values == 0)
                t->n_values = nv;
            else if (nv != t->n_values)
                FAIL("%s:%lld: %lld values after the TAB, the lines before have %lld", path, (long long)line,
                     (long long)nv, (long long)t->n_values);
        }
        if (t->n == cap_ex) {
            cap_ex = cap_ex ? 2 * cap_ex : 1024;
            example *ne = realloc(t->ex, (size_t)cap_ex * sizeof *ne);
            if (!ne)
                NOMEM();
            t->ex = ne;
        }
        t->ex[t->n++] = e;
    }
    if (t->n == 0)
        FAIL("%s: no examples: every line is blank", path);

    /* The split. */
    double val = cfg ? cfg->val_fraction : 0.1;
    int64_t n_val = (int64_t)floor(val * (double)t->n + 0.5);
    if (val > 0 && n_val == 0 && t->n >= 2)
        n_val = 1;
    if (n_val > t->n)
        n_val = t->n;
    int64_t *perm = malloc((size_t)t->n * sizeof *perm);
    t->split[0] = malloc((size_t)(t->n - n_val > 0 ? t->n - n_val : 1) * sizeof *t->split[0]);
    t->split[1] = malloc((size_t)(n_val > 0 ? n_val : 1) * sizeof *t->split[1]);
    if (!perm || !t->split[0] || !t->split[1]) {
        free(perm);
        NOMEM();
    }
    for (int64_t i = 0; i < t->n; i++)
        perm[i] = i;
    shuffle(perm, t->n, (cfg ? cfg->seed : 1) ^ KEY_SPLIT);
    t->n_split[0] = t->n - n_val;
    t->n_split[1] = n_val;
    memcpy(t->split[0], perm, (size_t)t->n_split[0] * sizeof *perm);
    memcpy(t->split[1], perm + t->n_split[0], (size_t)n_val * sizeof *perm);
    free(perm);
    d->n_train = t->n_split[0];
    d->n_val = t->n_split[1];
    int need_vocab = kind != F_REGRESS && !vocab;
    if (need_vocab && t->n_split[0] == 0)
        FAIL("%s: %lld example%s leave%s none for training with a %.0f%% validation split", path, (long long)t->n,
             t->n == 1 ? "" : "s", t->n == 1 ? "s" : "", 100 * val);

    /* Vocabularies. */
    if (kind != F_REGRESS) {
        if (vocab) {
            if (vocab->n < 2 || strcmp(vocab->tok[CLI_PAD], "<pad>") || strcmp(vocab->tok[CLI_UNK], "<unk>"))
                FAIL("%s: the checkpoint's vocabulary is not one of a line format (no <pad> and <unk>)", path);
            if (vocab->chars != !words)
                FAIL("%s: the checkpoint's vocabulary is of %s, the data is read as %s", path,
                     vocab->chars ? "characters" : "words", words ? "words" : "characters");
            s = vocab_copy(vocab, &d->src);
        } else {
            strset tok = {0};
            for (int64_t i = 0; i < t->n_split[0]; i++) {
                const example *e = &t->ex[t->split[0][i]];
                size_t pos = 0, b, l;
                while (next_token(text + e->in, e->in_len, &pos, words, &b, &l))
                    if (!strset_add(&tok, text + e->in + b, l)) {
                        strset_free(&tok);
                        NOMEM();
                    }
            }
            s = vocab_from_set(&tok, 2, !words, &d->src, path);
            strset_free(&tok);
        }
        if (s != SEQNN_OK)
            goto done;
    }
    if (kind == F_TRANSLATE) {
        if (tgt_vocab) {
            if (tgt_vocab->n < 4 || strcmp(tgt_vocab->tok[CLI_BOS], "<bos>") || strcmp(tgt_vocab->tok[CLI_EOS], "<eos>"))
                FAIL("%s: the checkpoint's target vocabulary lacks <bos> and <eos>", path);
            s = vocab_copy(tgt_vocab, &d->tgt);
        } else {
            for (int64_t i = 0; i < t->n_split[0]; i++) {
                const example *e = &t->ex[t->split[0][i]];
                size_t pos = 0, b, l;
                while (next_token(text + e->out, e->out_len, &pos, words, &b, &l))
                    if (!strset_add(&set, text + e->out + b, l))
                        NOMEM();
            }
            s = vocab_from_set(&set, 4, !words, &d->tgt, path);
        }
    } else if (kind == F_CLASSIFY || kind == F_TAG) {
        if (tgt_vocab) {
            if (kind == F_TAG && (tgt_vocab->n < 1 || strcmp(tgt_vocab->tok[0], "<pad>")))
                FAIL("%s: the checkpoint's tag vocabulary does not start with <pad>", path);
            s = vocab_copy(tgt_vocab, &d->tgt);
        } else {
            s = vocab_from_set(&oset, kind == F_TAG ? 1 : 0, 0, &d->tgt, path);
        }
    }
    if (s != SEQNN_OK)
        goto done;

    /* Pass 2: ids. */
    for (int64_t i = 0; kind != F_REGRESS && i < t->n; i++) {
        example *e = &t->ex[i];
        int64_t full = count_tokens(text + e->in, e->in_len, words);
        if (full > longest)
            longest = full;
        e->src = t->n_ids;
        s = encode(&d->src, text + e->in, e->in_len, words, max_len, &t->ids, &t->n_ids, &t->cap_ids, &e->src_len,
                   path);
        if (s != SEQNN_OK)
            goto done;
        int cut = max_len > 0 && full > max_len;
        if (kind == F_CLASSIFY) {
            int64_t id = cli_vocab_find(&d->tgt, text + e->out, e->out_len);
            if (id < 0)
                FAIL("%s:%lld: label '%.*s' is not one of the model's %lld classes", path, (long long)e->line,
                     (int)(e->out_len < 60 ? e->out_len : 60), text + e->out, (long long)d->tgt.n);
            e->label = (int32_t)id;
        } else if (kind == F_TAG) {
            e->tgt = t->n_tids;
            size_t pos = 0, b, l;
            int32_t k = 0;
            while ((max_len <= 0 || k < max_len) && next_token(text + e->out, e->out_len, &pos, 1, &b, &l)) {
                int64_t id = cli_vocab_find(&d->tgt, text + e->out + b, l);
                if (id < 0)
                    FAIL("%s:%lld: tag '%.*s' is not one the model was trained with", path, (long long)e->line,
                         (int)(l < 60 ? l : 60), text + e->out + b);
                if (!grow_i32(&t->tids, &t->cap_tids, t->n_tids + 1))
                    NOMEM();
                t->tids[t->n_tids++] = (int32_t)id;
                k++;
            }
            e->tgt_len = k;
        } else {                         /* translate */
            int64_t full_t = count_tokens(text + e->out, e->out_len, words);
            e->tgt = t->n_tids;
            s = encode(&d->tgt, text + e->out, e->out_len, words, max_len, &t->tids, &t->n_tids, &t->cap_tids,
                       &e->tgt_len, path);
            if (s != SEQNN_OK)
                goto done;
            cut |= max_len > 0 && full_t > max_len;
            if (full_t > longest)
                longest = full_t;
        }
        truncated += cut;
    }
    for (int64_t i = 0; i < t->n; i++) {
        if (t->ex[i].src_len > t->max_src)
            t->max_src = t->ex[i].src_len;
        if (t->ex[i].tgt_len > t->max_tgt)
            t->max_tgt = t->ex[i].tgt_len;
    }
    if (truncated > 0)
        fprintf(stderr, "seqnn: %s: %lld of %lld sequences are longer than seq_len %lld (the longest has %lld %s): "
                        "truncated to it\n", path, (long long)truncated, (long long)t->n, (long long)max_len,
                (long long)longest, kind == F_REGRESS ? "steps" : words ? "tokens" : "characters");
    for (int i = 0; i < 2; i++) {
        int64_t n = t->n_split[i] > 0 ? t->n_split[i] : 1;
        t->passes[i].order = malloc((size_t)n * sizeof *t->passes[i].order);
        t->passes[i].start = malloc((size_t)n * sizeof *t->passes[i].start);
        t->passes[i].size = malloc((size_t)n * sizeof *t->passes[i].size);
        if (!t->passes[i].order || !t->passes[i].start || !t->passes[i].size)
            NOMEM();
    }
    if (!batch_buffers(t, cfg && cfg->batch > 0 ? cfg->batch : 1))
        NOMEM();
done:
    strset_free(&set);
    strset_free(&oset);
    if (s != SEQNN_OK) {
        lines_destroy(d);
        return s;
    }
    /* The file's text is needed no more (metrics read ids only). */
    free(t->text);
    t->text = NULL;
    *out = d;
    return SEQNN_OK;
}

/* ----------------------------------------------------------- accessors --- */
static const lines_data *lines_of(const cli_data *d)
{
    return d && d->destroy == lines_destroy ? d->impl : NULL;
}

int64_t cli_data_examples(const cli_data *d, int split)
{
    const lines_data *t = lines_of(d);
    return t && split >= 0 && split <= 1 ? t->n_split[split] : 0;
}

int cli_data_example(const cli_data *d, int split, int64_t i, cli_example *out)
{
    const lines_data *t = lines_of(d);
    if (!t || split < 0 || split > 1 || i < 0 || i >= t->n_split[split])
        return 0;
    const example *e = &t->ex[t->split[split][i]];
    memset(out, 0, sizeof *out);
    out->line = e->line;
    out->src_len = e->src_len;
    if (t->kind == F_REGRESS) {
        out->features = t->feats + e->src;
        out->dim = t->dim;
        out->values = t->values + e->tgt;
        out->n_values = t->n_values;
    } else {
        out->src = t->ids + e->src;
    }
    if (t->kind == F_TAG || t->kind == F_TRANSLATE) {
        out->tgt = t->tids + e->tgt;
        out->tgt_len = e->tgt_len;
    }
    out->label = e->label;
    return 1;
}

int64_t cli_data_feature_dim(const cli_data *d)
{
    const lines_data *t = lines_of(d);
    return t && t->kind == F_REGRESS ? t->dim : 0;
}

int64_t cli_data_value_count(const cli_data *d)
{
    const lines_data *t = lines_of(d);
    return t && t->kind == F_REGRESS ? t->n_values : 0;
}

/* Batches of the line formats: a Philox4x32-10 shuffler (the split, the
 * order of a training pass, the order of its batches), the plan of a pass
 * (windows of WINDOW_BATCHES batches sorted by length), and each batch in the
 * layout seqnn_batch asks for, per format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_error.h"
#include "lines.h"
#include "seqnn/philox.h"

#define WINDOW_BATCHES 16

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

/* the order the split takes the examples in: perm shuffled by the data set's seed */
void lines_shuffle_split(int64_t *perm, int64_t n, uint64_t seed)
{
    shuffle(perm, n, seed ^ KEY_SPLIT);
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

seqnn_status lines_begin(cli_data *d, int split, uint64_t seed)
{
    lines_data *t = d->impl;
    if (split < 0 || split > 1)
        return cli_error(SEQNN_ERR_INVALID_ARG, "data: split %d (0 or 1)", split);
    t->passes[split].seed = seed;
    t->passes[split].planned = 0;
    t->passes[split].cursor = 0;
    return SEQNN_OK;
}

int64_t lines_count(cli_data *d, int split, const seqnn_train_config *cfg)
{
    lines_data *t = d->impl;
    return split < 0 || split > 1 ? 0 : n_batches(t->n_split[split], cfg->batch);
}

static void free_buffers(lines_data *t)
{
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
    multi_free(t);
}

void lines_batch_free(lines_data *t)
{
    for (int i = 0; i < 2; i++) {
        free(t->passes[i].order);
        free(t->passes[i].start);
        free(t->passes[i].size);
    }
    free_buffers(t);
}

static int batch_buffers(lines_data *t, int64_t B)
{
    if (B <= t->b_cap)
        return 1;
    int64_t T = t->max_src > 0 ? t->max_src : 1, Td = t->max_tgt + 1;
    free_buffers(t);
    int64_t tgt_rows = t->kind == F_CLASSIFY || t->kind == F_MULTI ? B : t->kind == F_TAG ? T * B
                     : t->kind == F_TRANSLATE ? Td * B : 1;
    t->b_lengths = malloc((size_t)B * sizeof *t->b_lengths);
    t->b_targets = malloc((size_t)tgt_rows * sizeof *t->b_targets);
    if (t->kind == F_REGRESS) {
        t->b_features = malloc((size_t)(T * B * t->dim) * sizeof *t->b_features);
        t->b_values = malloc((size_t)(B * t->n_values) * sizeof *t->b_values);
        if (!t->b_features || !t->b_values)
            return 0;
    } else if (t->kind == F_MULTI) {
        if (!multi_buffers(t, B))
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

int lines_batch_alloc(lines_data *t, int64_t B)
{
    for (int i = 0; i < 2; i++) {
        int64_t n = t->n_split[i] > 0 ? t->n_split[i] : 1;
        t->passes[i].order = malloc((size_t)n * sizeof *t->passes[i].order);
        t->passes[i].start = malloc((size_t)n * sizeof *t->passes[i].start);
        t->passes[i].size = malloc((size_t)n * sizeof *t->passes[i].size);
        if (!t->passes[i].order || !t->passes[i].start || !t->passes[i].size)
            return 0;
    }
    return batch_buffers(t, B);
}

/* regress: the features [T, B, F] (zero past each length) and the values [B, K] */
static void fill_regress(lines_data *t, const int64_t *idx, int64_t B, int64_t T, seqnn_batch *b)
{
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
}

/* translate: <bos> + target in, target + <eos> out, [Tt + 1, B] */
static void fill_translate(lines_data *t, const int64_t *idx, int64_t B, int64_t Tt, seqnn_batch *b)
{
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

/* the tokens [T, B] (<pad> past each length), then the targets: classify [B],
 * tag [T, B] (<pad> tags ignored), translate (fill_translate) */
static void fill_tokens(lines_data *t, const int64_t *idx, int64_t B, int64_t T, int64_t Tt, seqnn_batch *b)
{
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
    } else {
        fill_translate(t, idx, B, Tt, b);
    }
}

int lines_next(cli_data *d, int split, const seqnn_train_config *cfg, seqnn_batch *b)
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
    if (d->min_steps > t->max_src) {     /* --pad-to: longer batches, so larger buffers */
        t->max_src = d->min_steps;
        t->b_cap = 0;
    }
    if (!batch_buffers(t, cfg->batch)) {
        cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", t->path);
        fprintf(stderr, "seqnn: %s: out of memory for a batch of %lld\n", t->path, (long long)cfg->batch);
        return 0;
    }
    const int64_t *idx = p->order + p->start[p->cursor];
    int64_t B = p->size[p->cursor];
    p->cursor++;
    int64_t T = d->min_steps > 1 ? d->min_steps : 1, Tt = 0;
    for (int64_t k = 0; k < B; k++) {
        const example *e = &t->ex[idx[k]];
        if (e->src_len > T)
            T = e->src_len;
        if (e->tgt_len > Tt)
            Tt = e->tgt_len;
    }
    d->global_batch = B;                 /* data-parallel: T is the global batch's, the rows the rank's */
    int64_t c0, Bl;
    cli_data_columns(d, B, &c0, &Bl);
    idx += c0;
    B = Bl;
    memset(b, 0, sizeof *b);
    b->seq_len = T;
    b->batch = B;
    b->lengths = t->b_lengths;
    for (int64_t k = 0; k < B; k++)
        t->b_lengths[k] = t->ex[idx[k]].src_len;
    if (t->kind == F_REGRESS)
        fill_regress(t, idx, B, T, b);
    else if (t->kind == F_MULTI)
        multi_fill(t, idx, B, b);
    else
        fill_tokens(t, idx, B, T, Tt, b);
    if (t->tree_format && !lines_tree_fill(t, idx, B, T, b)) {
        cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", t->path);
        fprintf(stderr, "seqnn: %s: out of memory for a batch's trees\n", t->path);
        return 0;
    }
    return 1;
}

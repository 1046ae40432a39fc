/* The "text" data format: a raw text file for a language model of
 * characters, or of words (words = 1: split on whitespace, newlines
 * included). The vocabulary is the set of bytes (words) seen, sorted; the last
 * val_fraction of the file is the validation split. Batches cut the split into
 * B contiguous streams read seq_len characters at a time, so a stateful model
 * carries its state from one batch to the next (truncated BPTT). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_error.h"
#include "data.h"

#define TEXT_MAX ((size_t)1 << 30)

typedef struct text_data {
    int32_t *ids;                        /* the whole file as token ids (NULL once sharded) */
    int64_t n, n_train;                  /* ids; the first n_train are the training split */
    int32_t *part[2];                    /* sharded: ids [lo[s], lo[s] + its length) of split s */
    int64_t lo[2];
    int rank, ranks;                     /* the shard kept (ranks 0: not sharded) */
    int64_t pos[2];                      /* position within each stream of the pass */
    int32_t *tokens, *targets;           /* the current batch */
    int64_t cap;
} text_data;

static void split_range(const cli_data *d, int split, int64_t *begin, int64_t *len)
{
    const text_data *t = d->impl;
    *begin = split ? t->n_train : 0;
    *len = split ? t->n - t->n_train : t->n_train;
}

/* Streams of a pass: B, or fewer when the split is short (validation). */
static int64_t streams(const cli_data *d, int split, const seqnn_train_config *cfg)
{
    int64_t begin, len;
    split_range(d, split, &begin, &len);
    int64_t b = cfg->batch;
    while (b > 1 && len / b < 2)
        b--;
    return b;
}

static seqnn_status text_begin(cli_data *d, int split, uint64_t seed)
{
    (void)seed;
    text_data *t = d->impl;
    t->pos[split] = 0;
    return SEQNN_OK;
}

static int64_t text_count(cli_data *d, int split, const seqnn_train_config *cfg)
{
    int64_t begin, len, B = streams(d, split, cfg), T = cfg->seq_len > 0 ? cfg->seq_len : 100;
    split_range(d, split, &begin, &len);
    int64_t per = len / B - 1;           /* each stream predicts per characters */
    return per <= 0 ? 0 : (per + T - 1) / T;
}

static int text_next(cli_data *d, int split, const seqnn_train_config *cfg, seqnn_batch *b)
{
    text_data *t = d->impl;
    int64_t begin, len, B = streams(d, split, cfg), T = cfg->seq_len > 0 ? cfg->seq_len : 100;
    split_range(d, split, &begin, &len);
    int64_t stream_len = len / B, pos = t->pos[split];
    int64_t steps = stream_len - 1 - pos;
    if (steps <= 0)
        return 0;
    if (steps > T)
        steps = T;
    if (steps * B > t->cap) {
        free(t->tokens);
        free(t->targets);
        t->cap = steps * B;
        t->tokens = malloc((size_t)t->cap * sizeof *t->tokens);
        t->targets = malloc((size_t)t->cap * sizeof *t->targets);
        if (!t->tokens || !t->targets) {
            t->cap = 0;
            return 0;
        }
    }
    int64_t c0 = 0, Bl = B;              /* sharded: this rank's streams */
    if (t->ranks > 1) {
        c0 = (int64_t)t->rank * B / t->ranks;
        Bl = (int64_t)(t->rank + 1) * B / t->ranks - c0;
    }
    const int32_t *ids = t->ranks > 1 ? t->part[split] : t->ids;
    int64_t lo = t->ranks > 1 ? t->lo[split] : 0;
    for (int64_t s = 0; s < steps; s++)
        for (int64_t k = 0; k < Bl; k++) {
            int64_t at = begin + (c0 + k) * stream_len + pos + s - lo;
            t->tokens[s * Bl + k] = ids[at];
            t->targets[s * Bl + k] = ids[at + 1];
        }
    t->pos[split] = pos + steps;
    memset(b, 0, sizeof *b);
    b->seq_len = steps;
    b->batch = Bl;
    d->global_batch = B;
    b->tokens = t->tokens;
    b->targets = t->targets;
    return 1;
}

/* Keeps only the ids of this rank's streams of each split: the streams are
 * contiguous stretches of the file, rank r's [begin + c0 L, begin + c1 L)
 * for its columns [c0, c1) and streams of L ids. Once. */
static seqnn_status text_shard(cli_data *d, const seqnn_train_config *cfg)
{
    text_data *t = d->impl;
    if (t->ranks > 1)
        return d->rank == t->rank && d->ranks == t->ranks
                   ? SEQNN_OK
                   : cli_error(SEQNN_ERR_INVALID_ARG, "text data: already kept for rank %d of %d", t->rank, t->ranks);
    for (int split = 0; split < 2; split++) {
        int64_t begin, len, B = streams(d, split, cfg), c0, Bl;
        split_range(d, split, &begin, &len);
        cli_data_columns(d, B, &c0, &Bl);
        int64_t L = len / B, n = Bl * L;
        t->lo[split] = begin + c0 * L;
        if (!(t->part[split] = malloc((size_t)(n > 0 ? n : 1) * sizeof *t->part[split])))
            return cli_error(SEQNN_ERR_NO_MEMORY, "text data: out of memory");
        if (n > 0)
            memcpy(t->part[split], t->ids + t->lo[split], (size_t)n * sizeof *t->ids);
    }
    free(t->ids);
    t->ids = NULL;
    t->rank = d->rank;
    t->ranks = d->ranks;
    return SEQNN_OK;
}

static void text_destroy(cli_data *d)
{
    text_data *t = d->impl;
    if (t) {
        free(t->part[0]);
        free(t->part[1]);
        free(t->ids);
        free(t->tokens);
        free(t->targets);
        free(t);
    }
    cli_vocab_free(&d->src);
    cli_vocab_free(&d->tgt);
    free(d);
}

/* Character tokens: the vocabulary given, or every byte that occurs in byte
 * order; t->ids the file's (bytes outside the vocabulary counted in *skipped). */
static seqnn_status text_chars(cli_data *d, text_data *t, const char *buf, size_t size, const cli_vocab *vocab,
                               const char *path, int64_t *skipped)
{
    seqnn_status s = SEQNN_OK;
    int64_t id_of[256];
    for (int c = 0; c < 256; c++)
        id_of[c] = -1;
    if (vocab) {
        for (int64_t i = 0; i < vocab->n && s == SEQNN_OK; i++) {
            s = cli_vocab_add(&d->src, vocab->tok[i], strlen(vocab->tok[i]));
            if (strlen(vocab->tok[i]) == 1)
                id_of[(unsigned char)vocab->tok[i][0]] = i;
        }
    } else {
        int seen[256] = {0};
        for (size_t i = 0; i < size; i++)
            seen[(unsigned char)buf[i]] = 1;
        for (int c = 1; c < 256 && s == SEQNN_OK; c++)
            if (seen[c]) {
                char ch = (char)c;
                id_of[c] = d->src.n;
                s = cli_vocab_add(&d->src, &ch, 1);
            }
    }
    if (s == SEQNN_OK)
        s = cli_vocab_finish(&d->src);
    t->ids = s == SEQNN_OK ? malloc(size * sizeof *t->ids) : NULL;
    if (s == SEQNN_OK && !t->ids)
        s = cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", path);
    for (size_t i = 0; s == SEQNN_OK && i < size; i++) {
        int64_t id = id_of[(unsigned char)buf[i]];
        if (id < 0)
            (*skipped)++;                /* a character the checkpoint's vocabulary lacks */
        else
            t->ids[t->n++] = (int32_t)id;
    }
    return s;
}

/* Word tokens (buf's newlines made spaces): the vocabulary given, or every
 * word that occurs, sorted; t->ids the file's (unknown words counted in
 * *skipped). */
static seqnn_status text_words(cli_data *d, text_data *t, char *buf, size_t size, const cli_vocab *vocab,
                               const char *path, int64_t *skipped)
{
    seqnn_status s = SEQNN_OK;
    for (size_t i = 0; i < size; i++)
        buf[i] = buf[i] == '\n' ? ' ' : buf[i];
    size_t pos = 0, b, l;
    if (vocab) {
        s = cli_vocab_copy(vocab, &d->src);
    } else {
        cli_tokset set = {0};
        while (s == SEQNN_OK && cli_next_token(buf, size, &pos, 1, &b, &l))
            if (!cli_tokset_add(&set, buf + b, l))
                s = cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", path);
        if (s == SEQNN_OK)
            s = cli_vocab_from_set(&set, 0, 0, &d->src, path);
        cli_tokset_free(&set);
    }
    d->src.chars = 0;
    int64_t n = cli_count_tokens(buf, size, 1);
    t->ids = s == SEQNN_OK ? malloc((size_t)(n > 0 ? n : 1) * sizeof *t->ids) : NULL;
    if (s == SEQNN_OK && !t->ids)
        s = cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", path);
    pos = 0;
    while (s == SEQNN_OK && cli_next_token(buf, size, &pos, 1, &b, &l)) {
        int64_t id = cli_vocab_find(&d->src, buf + b, l);
        if (id < 0)
            (*skipped)++;
        else
            t->ids[t->n++] = (int32_t)id;
    }
    return s;
}

seqnn_status cli_data_open_text(const char *path, int words, const seqnn_train_config *cfg,
                                const cli_vocab *vocab, cli_data **out)
{
    *out = NULL;
    char *buf;
    size_t size;
    seqnn_status s = cli_read_file(path, TEXT_MAX, &buf, &size);
    if (s != SEQNN_OK)
        return s;
    if (size == 0) {
        free(buf);
        return cli_error(SEQNN_ERR_FORMAT, "%s: the file is empty", path);
    }
    if (memchr(buf, 0, size)) {
        free(buf);
        return cli_error(SEQNN_ERR_FORMAT, "%s: contains NUL bytes: binary data, not text", path);
    }
    cli_data *d = calloc(1, sizeof *d);
    text_data *t = calloc(1, sizeof *t);
    if (!d || !t) {
        free(buf);
        free(d);
        free(t);
        return cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", path);
    }
    d->impl = t;
    d->format = "text";
    d->stateful = 1;
    d->begin = text_begin;
    d->next = text_next;
    d->count = text_count;
    d->destroy = text_destroy;
    d->shard = text_shard;
    d->src.chars = !words;
    d->words = words;
    int64_t skipped = 0;
    s = words ? text_words(d, t, buf, size, vocab, path, &skipped) : text_chars(d, t, buf, size, vocab, path, &skipped);
    free(buf);
    if (s == SEQNN_OK && skipped > 0)
        fprintf(stderr, "seqnn: %s: %lld %s outside the model's vocabulary skipped\n", path, (long long)skipped,
                words ? "words" : "characters");
    double val = cfg->val_fraction;
    t->n_train = (int64_t)((double)t->n * (1.0 - val));
    if (s == SEQNN_OK && (t->n_train < 2 * cfg->batch || (val > 0 && t->n - t->n_train < 2)))
        s = cli_error(SEQNN_ERR_FORMAT,
                      "%s: %lld %s are too few for batch %lld and a %.0f%% validation split",
                      path, (long long)t->n, words ? "words" : "characters", (long long)cfg->batch, 100 * val);
    d->n_train = t->n_train;
    d->n_val = t->n - t->n_train;
    if (s != SEQNN_OK) {
        text_destroy(d);
        return s;
    }
    *out = d;
    return SEQNN_OK;
}

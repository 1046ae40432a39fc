/* The line-oriented data formats of the CLI: classify, tag, translate,
 * regress and multi (data.h has the formats; docs in examples/README.md). One example
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
 * longer than seq_len (when > 0) are truncated, with a note on stderr.
 *
 * This file opens a data file, step by step (cli/lines.h lists the others:
 * the line parsing per format, the shuffler and the batches). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_error.h"
#include "lines.h"

#define LINES_MAX ((size_t)1 << 30)

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
    free(t->trees);
    free(t->b_trees);
    free(t->f_in);
    free(t->f_in_len);
    free(t->f_src);
    free(t->f_len);
    lines_batch_free(t);
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
/* The file into t->text: not empty, no NUL byte. */
static seqnn_status read_text(lines_reader *r, size_t *size)
{
    lines_data *t = r->t;
    seqnn_status s = cli_read_file(r->path, LINES_MAX, &t->text, size);
    if (s != SEQNN_OK)
        return s;
    if (*size == 0)
        return cli_error(SEQNN_ERR_FORMAT, "%s: the file is empty", r->path);
    const char *nul = memchr(t->text, 0, *size);
    if (nul) {
        int64_t line = 1;
        for (const char *c = t->text; c < nul; c++)
            line += *c == '\n';
        return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: a NUL byte (offset %lld): binary data, not text", r->path,
                         (long long)line, (long long)(nul - t->text));
    }
    return SEQNN_OK;
}

/* Pass 1: every line that is not blank, into an example. */
static seqnn_status scan_lines(lines_reader *r, size_t size)
{
    const char *text = r->t->text;
    int64_t line = 0;
    for (size_t at = 0; at < size;) {
        const char *ls = text + at, *nl = memchr(ls, '\n', size - at);
        size_t len = nl ? (size_t)(nl - ls) : size - at;
        at += len + 1;
        line++;
        if (len > 0 && ls[len - 1] == '\r')
            len--;
        size_t k = 0;
        while (k < len && cli_is_space(ls[k]))
            k++;
        if (k == len)
            continue;                    /* a blank line */
        seqnn_status s = lines_parse_line(r, ls, len, line);
        if (s != SEQNN_OK)
            return s;
    }
    if (r->t->n == 0)
        return cli_error(SEQNN_ERR_FORMAT, "%s: no examples: every line is blank", r->path);
    return SEQNN_OK;
}

/* The split: the last round(val * n) examples of the shuffled order. */
static seqnn_status split_examples(lines_reader *r, const seqnn_train_config *cfg, int need_vocab)
{
    lines_data *t = r->t;
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
        return cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", r->path);
    }
    for (int64_t i = 0; i < t->n; i++)
        perm[i] = i;
    lines_shuffle_split(perm, t->n, cfg ? cfg->seed : 1);
    t->n_split[0] = t->n - n_val;
    t->n_split[1] = n_val;
    memcpy(t->split[0], perm, (size_t)t->n_split[0] * sizeof *perm);
    memcpy(t->split[1], perm + t->n_split[0], (size_t)n_val * sizeof *perm);
    free(perm);
    r->d->n_train = t->n_split[0];
    r->d->n_val = t->n_split[1];
    if (need_vocab && t->n_split[0] == 0)
        return cli_error(SEQNN_ERR_FORMAT, "%s: %lld example%s leave%s none for training with a %.0f%% validation split",
                         r->path, (long long)t->n, t->n == 1 ? "" : "s", t->n == 1 ? "s" : "", 100 * val);
    return SEQNN_OK;
}

/* The tokens of the training split's inputs (outputs: out = 1) into set. */
static seqnn_status training_tokens(lines_reader *r, int out, cli_tokset *set)
{
    const lines_data *t = r->t;
    if (r->kind == F_MULTI)
        return multi_training_tokens(r, set);
    for (int64_t i = 0; i < t->n_split[0]; i++) {
        const example *e = &t->ex[t->split[0][i]];
        size_t at = out ? e->out : e->in, n = out ? e->out_len : e->in_len, pos = 0, b, l;
        while (cli_next_token(t->text + at, n, &pos, r->words, &b, &l))
            if (!cli_tokset_add(set, t->text + at + b, l))
                return cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", r->path);
    }
    return SEQNN_OK;
}

/* A vocabulary of n_specials special tokens and the tokens of the training
 * split's inputs (outputs: out = 1). */
static seqnn_status training_vocab(lines_reader *r, int out, int n_specials, cli_vocab *v)
{
    cli_tokset set = {0};
    seqnn_status s = training_tokens(r, out, &set);
    if (s == SEQNN_OK)
        s = cli_vocab_from_set(&set, n_specials, !r->words, v, r->path);
    cli_tokset_free(&set);
    return s;
}

/* The source vocabulary: the checkpoint's (checked), or <pad> <unk> and the
 * training split's tokens. */
static seqnn_status source_vocab(lines_reader *r, const cli_vocab *vocab)
{
    cli_data *d = r->d;
    if (vocab) {
        if (vocab->n < 2 || strcmp(vocab->tok[CLI_PAD], "<pad>") || strcmp(vocab->tok[CLI_UNK], "<unk>"))
            return cli_error(SEQNN_ERR_FORMAT,
                             "%s: the checkpoint's vocabulary is not one of a line format (no <pad> and <unk>)", r->path);
        if (vocab->chars != !r->words)
            return cli_error(SEQNN_ERR_FORMAT, "%s: the checkpoint's vocabulary is of %s, the data is read as %s",
                             r->path, vocab->chars ? "characters" : "words", r->words ? "words" : "characters");
        return cli_vocab_copy(vocab, &d->src);
    }
    return training_vocab(r, 0, 2, &d->src);
}

/* The output vocabulary: the checkpoint's (checked), or translate: <pad>
 * <unk> <bos> <eos> and the training split's target tokens; classify: the
 * labels; tag: <pad> and the tags (labels and tags of every line). */
static seqnn_status target_vocab(lines_reader *r, const cli_vocab *tgt_vocab)
{
    cli_data *d = r->d;
    int kind = r->kind;
    if (kind == F_TRANSLATE && tgt_vocab) {
        if (tgt_vocab->n < 4 || strcmp(tgt_vocab->tok[CLI_BOS], "<bos>") || strcmp(tgt_vocab->tok[CLI_EOS], "<eos>"))
            return cli_error(SEQNN_ERR_FORMAT, "%s: the checkpoint's target vocabulary lacks <bos> and <eos>", r->path);
        return cli_vocab_copy(tgt_vocab, &d->tgt);
    }
    if (kind == F_TRANSLATE)
        return training_vocab(r, 1, 4, &d->tgt);
    if (tgt_vocab) {
        if (kind == F_TAG && (tgt_vocab->n < 1 || strcmp(tgt_vocab->tok[0], "<pad>")))
            return cli_error(SEQNN_ERR_FORMAT, "%s: the checkpoint's tag vocabulary does not start with <pad>", r->path);
        return cli_vocab_copy(tgt_vocab, &d->tgt);
    }
    return cli_vocab_from_set(&r->labels, kind == F_TAG ? 1 : 0, 0, &d->tgt, r->path);
}

/* Pass 2: ids; the longest sequences; the note on what was truncated. */
static seqnn_status encode_examples(lines_reader *r)
{
    lines_data *t = r->t;
    for (int64_t i = 0; r->kind != F_REGRESS && i < t->n; i++) {
        seqnn_status s = lines_encode(r, &t->ex[i]);
        if (s != SEQNN_OK)
            return s;
    }
    for (int64_t i = 0; i < t->n; i++) {
        if (t->ex[i].src_len > t->max_src)
            t->max_src = t->ex[i].src_len;
        if (t->ex[i].tgt_len > t->max_tgt)
            t->max_tgt = t->ex[i].tgt_len;
    }
    if (r->truncated > 0)
        fprintf(stderr, "seqnn: %s: %lld of %lld sequences are longer than seq_len %lld (the longest has %lld %s): "
                        "truncated to it\n", r->path, (long long)r->truncated, (long long)t->n, (long long)r->max_len,
                (long long)r->longest,
                r->kind == F_REGRESS || r->kind == F_MULTI ? "steps" : r->words ? "tokens" : "characters");
    return SEQNN_OK;
}

/* The steps of reading after the file: lines, split, vocabularies, ids, batches. */
static seqnn_status read_lines(lines_reader *r, const seqnn_train_config *cfg, const cli_vocab *vocab,
                               const cli_vocab *tgt_vocab)
{
    size_t size = 0;
    seqnn_status s = read_text(r, &size);
    if (s == SEQNN_OK)
        s = scan_lines(r, size);
    if (s == SEQNN_OK)
        s = split_examples(r, cfg, r->kind != F_REGRESS && !vocab);
    if (s == SEQNN_OK && r->kind != F_REGRESS)
        s = source_vocab(r, vocab);
    if (s == SEQNN_OK && r->kind != F_REGRESS)
        s = target_vocab(r, tgt_vocab);
    if (s == SEQNN_OK)
        s = encode_examples(r);
    if (s == SEQNN_OK && !lines_batch_alloc(r->t, cfg && cfg->batch > 0 ? cfg->batch : 1))
        s = cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", r->path);
    return s;
}

seqnn_status cli_data_open_lines(const char *format, const char *path, int words,
                                 const seqnn_train_config *cfg, const cli_vocab *vocab,
                                 const cli_vocab *tgt_vocab, cli_data **out)
{
    *out = NULL;
    int tree = !strcmp(format, "tree");   /* classify with a parse (cli/lines_tree.c): word tokens */
    words |= tree;
    int kind = !strcmp(format, "classify") || tree ? F_CLASSIFY : !strcmp(format, "tag") ? F_TAG
             : !strcmp(format, "translate") ? F_TRANSLATE : !strcmp(format, "regress") ? F_REGRESS
             : !strcmp(format, "multi") ? F_MULTI : -1;
    if (kind < 0)
        return cli_error(SEQNN_ERR_INVALID_ARG, "unknown line format '%s'", format);
    cli_data *d = calloc(1, sizeof *d);
    lines_data *t = calloc(1, sizeof *t);
    if (!d || !t) {
        free(d);
        free(t);
        return cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", path);
    }
    d->impl = t;
    static const char *const names[] = {"classify", "tag", "translate", "regress", "multi"};
    d->format = tree ? "tree" : names[kind];
    d->words = words;
    d->begin = lines_begin;
    d->next = lines_next;
    d->count = lines_count;
    d->destroy = lines_destroy;
    t->kind = kind;
    t->tree_format = tree;
    t->path = path;
    lines_reader r = {.t = t, .d = d, .path = path, .kind = kind, .words = words,
                      .max_len = cfg && cfg->seq_len > 0 ? cfg->seq_len : 0};
    seqnn_status s = read_lines(&r, cfg, vocab, tgt_vocab);
    cli_tokset_free(&r.labels);
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

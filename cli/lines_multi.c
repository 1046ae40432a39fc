/* The multi line format: examples of several named inputs (models with
 * several inputs, docs/cli.md). The first line is a header naming the
 * inputs in the order the model declares them, each tokens or features:
 *
 *     #inputs question=tokens scene=features
 *
 * then one example per line: the class label and one field per input,
 * separated by TABs:
 *
 *     LABEL<TAB>FIELD 1<TAB>FIELD 2 ...
 *
 * A tokens field is text (characters, or words with --words); a features
 * field is steps separated by spaces, each comma-separated numbers (as
 * regress), every step of every line of one field the same size. Token
 * fields share one vocabulary (<pad>, <unk>, then the training split's
 * tokens); labels are classes as in classify. Each field is truncated to
 * seq_len steps on its own; a batch gives each input its own steps and
 * lengths (seqnn_batch.inputs). A model reads the fields named as its
 * inputs, in its own order: a single-branch baseline can train on the file
 * of a two-branch model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_error.h"
#include "lines.h"

static seqnn_status no_memory(const lines_reader *r)
{
    return cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", r->path);
}

/* Makes the per-field arrays hold need entries: 1, or 0 when out of memory. */
static int grow_fields(lines_data *t, int64_t need)
{
    return cli_grow(&t->f_in, &t->cap_f[0], need, sizeof *t->f_in) &&
           cli_grow(&t->f_in_len, &t->cap_f[1], need, sizeof *t->f_in_len) &&
           cli_grow(&t->f_src, &t->cap_f[2], need, sizeof *t->f_src) &&
           cli_grow(&t->f_len, &t->cap_f[3], need, sizeof *t->f_len);
}

/* "#inputs NAME=tokens|features ..." */
static seqnn_status parse_header(lines_reader *r, const char *ls, size_t len, int64_t line)
{
    lines_data *t = r->t;
    static const char tag[] = "#inputs";
    size_t taglen = sizeof tag - 1, pos = taglen, b, l;
    if (len < taglen || memcmp(ls, tag, taglen) || (len > taglen && !cli_is_space(ls[taglen])))
        return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: a multi file starts with a header naming its inputs, e.g. "
                         "'#inputs question=tokens scene=features'", r->path, (long long)line);
    while (cli_next_token(ls, len, &pos, 1, &b, &l)) {
        const char *eq = memchr(ls + b, '=', l);
        size_t nl = eq ? (size_t)(eq - (ls + b)) : 0, kl = eq ? l - nl - 1 : 0;
        int tokens = kl == 6 && !memcmp(eq + 1, "tokens", 6), features = kl == 8 && !memcmp(eq + 1, "features", 8);
        if (!eq || nl == 0 || nl >= sizeof t->fields[0].name || (!tokens && !features))
            return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: header: '%.*s' is not NAME=tokens or NAME=features", r->path,
                             (long long)line, (int)(l < 60 ? l : 60), ls + b);
        if (t->n_fields == LINES_MAX_FIELDS)
            return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: header: more than %d inputs", r->path, (long long)line,
                             LINES_MAX_FIELDS);
        lines_field *f = &t->fields[t->n_fields++];
        memcpy(f->name, ls + b, nl);
        f->name[nl] = '\0';
        f->tokens = tokens;
    }
    if (t->n_fields == 0)
        return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: header: no inputs named", r->path, (long long)line);
    return SEQNN_OK;
}

/* Field j of example i (t->n) at text[a, a + n): features parsed now, tokens
 * kept for the second pass. */
static seqnn_status scan_field(lines_reader *r, int64_t i, int j, size_t a, size_t n, int64_t line)
{
    lines_data *t = r->t;
    lines_field *f = &t->fields[j];
    int64_t k = i * t->n_fields + j, steps = cli_count_tokens(t->text + a, n, f->tokens ? r->words : 1);
    if (steps == 0)
        return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: input '%s' (field %d after the label) is empty", r->path,
                         (long long)line, f->name, j + 1);
    t->f_in[k] = a;
    t->f_in_len[k] = n;
    if (f->tokens)
        return SEQNN_OK;
    t->f_src[k] = t->n_feats;
    seqnn_status s = lines_features(t, t->text + a, n, line, r->max_len, &f->dim, &steps, &r->truncated);
    if (s != SEQNN_OK)
        return s;
    if (steps > r->longest)
        r->longest = steps;
    t->f_len[k] = (int32_t)(r->max_len > 0 && steps > r->max_len ? r->max_len : steps);
    return SEQNN_OK;
}

seqnn_status multi_parse_line(lines_reader *r, const char *ls, size_t len, int64_t line)
{
    lines_data *t = r->t;
    if (t->n_fields == 0)
        return parse_header(r, ls, len, line);
    const char *text = t->text, *end = ls + len, *tab = memchr(ls, '\t', len);
    example e = {.line = line};
    size_t l0 = (size_t)(ls - text), l1 = tab ? (size_t)(tab - text) : l0;
    while (l0 < l1 && cli_is_space(text[l0]))
        l0++;
    while (l1 > l0 && cli_is_space(text[l1 - 1]))
        l1--;
    if (!tab || l0 == l1)
        return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: a multi line is LABEL<TAB>%s...: %s", r->path, (long long)line,
                         t->fields[0].name, tab ? "the label is empty" : "no TAB");
    e.out = l0;
    e.out_len = l1 - l0;
    if (!cli_tokset_add(&r->labels, text + l0, l1 - l0))
        return no_memory(r);
    if (!grow_fields(t, (t->n + 1) * t->n_fields))
        return no_memory(r);
    int j = 0;
    for (const char *at = tab + 1;; j++) {
        const char *next = memchr(at, '\t', (size_t)(end - at));
        const char *stop = next ? next : end;
        if (j == t->n_fields)
            return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: more than the %d input%s the header names", r->path,
                             (long long)line, t->n_fields, t->n_fields == 1 ? "" : "s");
        seqnn_status s = scan_field(r, t->n, j, (size_t)(at - text), (size_t)(stop - at), line);
        if (s != SEQNN_OK)
            return s;
        if (!next)
            break;
        at = next + 1;
    }
    if (j + 1 != t->n_fields)
        return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: %d input%s after the label; the header names %d", r->path,
                         (long long)line, j + 1, j ? "s" : "", t->n_fields);
    if (!cli_grow(&t->ex, &t->cap_ex, t->n + 1, sizeof *t->ex))
        return no_memory(r);
    t->ex[t->n++] = e;
    return SEQNN_OK;
}

seqnn_status multi_training_tokens(lines_reader *r, cli_tokset *set)
{
    const lines_data *t = r->t;
    for (int64_t i = 0; i < t->n_split[0]; i++)
        for (int j = 0; j < t->n_fields; j++) {
            if (!t->fields[j].tokens)
                continue;
            int64_t k = t->split[0][i] * t->n_fields + j;
            size_t at = t->f_in[k], n = t->f_in_len[k], pos = 0, b, l;
            while (cli_next_token(t->text + at, n, &pos, r->words, &b, &l))
                if (!cli_tokset_add(set, t->text + at + b, l))
                    return no_memory(r);
        }
    return SEQNN_OK;
}

seqnn_status multi_encode(lines_reader *r, example *e)
{
    lines_data *t = r->t;
    const cli_data *d = r->d;
    int64_t i = e - t->ex, src_len = 0;
    for (int j = 0; j < t->n_fields; j++) {
        lines_field *f = &t->fields[j];
        int64_t k = i * t->n_fields + j;
        if (f->tokens) {
            const char *s = t->text + t->f_in[k];
            int64_t full = cli_count_tokens(s, t->f_in_len[k], r->words);
            r->longest = full > r->longest ? full : r->longest;
            r->truncated += r->max_len > 0 && full > r->max_len;
            t->f_src[k] = t->n_ids;
            seqnn_status st = lines_tokens_encode(&d->src, s, t->f_in_len[k], r->words, r->max_len, &t->ids,
                                                  &t->n_ids, &t->cap_ids, &t->f_len[k], r->path);
            if (st != SEQNN_OK)
                return st;
        }
        f->max = t->f_len[k] > f->max ? t->f_len[k] : f->max;
        src_len = t->f_len[k] > src_len ? t->f_len[k] : src_len;
    }
    e->src_len = (int32_t)src_len;       /* what batches are sorted by */
    int64_t id = cli_vocab_find(&d->tgt, t->text + e->out, e->out_len);
    if (id < 0)
        return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: label '%.*s' is not one of the model's %lld classes", r->path,
                         (long long)e->line, (int)(e->out_len < 60 ? e->out_len : 60), t->text + e->out,
                         (long long)d->tgt.n);
    e->label = (int32_t)id;
    return SEQNN_OK;
}

/* ----------------------------------------------------------- batches --- */
void multi_free(lines_data *t)
{
    for (int j = 0; j < LINES_MAX_FIELDS; j++) {
        free(t->bf_tokens[j]);
        free(t->bf_lengths[j]);
        free(t->bf_feats[j]);
        t->bf_tokens[j] = t->bf_lengths[j] = NULL;
        t->bf_feats[j] = NULL;
    }
}

int multi_buffers(lines_data *t, int64_t B)
{
    for (int j = 0; j < t->n_fields; j++) {
        const lines_field *f = &t->fields[j];
        int64_t T = f->max > 0 ? f->max : 1;
        t->bf_lengths[j] = malloc((size_t)B * sizeof *t->bf_lengths[j]);
        if (f->tokens)
            t->bf_tokens[j] = malloc((size_t)(T * B) * sizeof *t->bf_tokens[j]);
        else
            t->bf_feats[j] = malloc((size_t)(T * B * f->dim) * sizeof *t->bf_feats[j]);
        if (!t->bf_lengths[j] || (f->tokens ? !t->bf_tokens[j] : !t->bf_feats[j]))
            return 0;
    }
    return 1;
}

/* Each input [T_j, B] tokens (<pad> past each length) or [T_j, B, F]
 * features (zero past it), its lengths; the labels [B]. */
void multi_fill(lines_data *t, const int64_t *idx, int64_t B, seqnn_batch *b)
{
    int n = t->n_use ? t->n_use : t->n_fields;
    for (int u = 0; u < n; u++) {
        int j = t->n_use ? t->use[u] : u;
        const lines_field *f = &t->fields[j];
        int64_t T = 1, F = f->tokens ? 1 : f->dim;
        for (int64_t k = 0; k < B; k++) {
            int32_t len = t->f_len[idx[k] * t->n_fields + j];
            t->bf_lengths[j][k] = len;
            T = len > T ? len : T;
        }
        if (f->tokens)
            memset(t->bf_tokens[j], 0, (size_t)(T * B) * sizeof *t->bf_tokens[j]);
        else
            memset(t->bf_feats[j], 0, (size_t)(T * B * F) * sizeof *t->bf_feats[j]);
        for (int64_t k = 0; k < B; k++) {
            int64_t at = t->f_src[idx[k] * t->n_fields + j];
            for (int64_t s = 0; s < t->bf_lengths[j][k]; s++) {
                if (f->tokens)
                    t->bf_tokens[j][s * B + k] = t->ids[at + s];
                else
                    memcpy(t->bf_feats[j] + (s * B + k) * F, t->feats + at + s * F, (size_t)F * sizeof(float));
            }
        }
        seqnn_batch_input in = {T, f->tokens ? t->bf_tokens[j] : NULL, f->tokens ? NULL : t->bf_feats[j],
                                t->bf_lengths[j]};
        t->b_inputs[u] = in;
    }
    for (int64_t k = 0; k < B; k++)
        t->b_targets[k] = t->ex[idx[k]].label;
    b->seq_len = 0;
    b->lengths = NULL;
    b->targets = t->b_targets;
    b->n_inputs = n;
    b->inputs = t->b_inputs;
}

/* ------------------------------------------------------ model against data --- */
seqnn_status cli_data_check_inputs(const cli_data *d, const seqnn_model *m, const char *data_file,
                                   const char *model_file)
{
    lines_data *t = d->impl;
    int n = seqnn_model_input_count(m);
    if (n < 1 || n > t->n_fields)
        return cli_error(SEQNN_ERR_INVALID_ARG, "%s: the model has %d inputs; %s names %d in its header", model_file,
                         n, data_file, t->n_fields);
    for (int k = 0; k < n; k++) {
        seqnn_input_info in;
        seqnn_status s = seqnn_model_input_info(m, k, &in);
        if (s != SEQNN_OK)
            return s;
        int j = 0;
        while (j < t->n_fields && strcmp(t->fields[j].name, in.name))
            j++;
        if (j == t->n_fields) {
            char names[LINES_MAX_FIELDS * 66];
            size_t len = 0;
            for (int i = 0; i < t->n_fields; i++)
                len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "", t->fields[i].name);
            return cli_error(SEQNN_ERR_INVALID_ARG, "%s: the model's input '%s' is not in the header of %s (%s): "
                             "name the model's inputs as the data's", model_file, in.name, data_file, names);
        }
        const lines_field *f = &t->fields[j];
        if (in.tokens != f->tokens || (in.tokens ? in.n < d->src.n : in.n != f->dim))
            return cli_error(SEQNN_ERR_INVALID_ARG, "%s: input '%s' reads %s %lld; %s has %s %lld there",
                             model_file, in.name, in.tokens ? "tokens of a vocabulary of" : "features of size",
                             (long long)in.n, data_file, f->tokens ? "tokens of a vocabulary ($vocab) of"
                             : "features of size", (long long)(f->tokens ? d->src.n : f->dim));
        t->use[k] = j;
    }
    t->n_use = n;
    return SEQNN_OK;
}

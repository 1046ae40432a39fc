/* One line of a line-format data file, per format: the first pass reads its
 * structure (the TAB, the label, tag counts, regress features and values)
 * and appends the example; the second, once the vocabularies are built,
 * turns its tokens into ids (truncated to seq_len). Every malformed line is
 * an error naming the file and line. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli_error.h"
#include "lines.h"

int cli_grow(void *a, int64_t *cap, int64_t need, size_t elem)
{
    if (need <= *cap)
        return 1;
    int64_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    void *old, *n;
    memcpy(&old, a, sizeof old);         /* a is the address of a T *, whatever T */
    n = realloc(old, (size_t)c * elem);
    if (!n)
        return 0;
    memcpy(a, &n, sizeof n);
    *cap = c;
    return 1;
}

static seqnn_status no_memory(const lines_reader *r)
{
    return cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", r->path);
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

/* The comma-separated numbers of s[i..end), appended to *pool (count *n,
 * capacity *cap) when keep: how many; -1 when one is not a number (at
 * *bad, *bad_len bytes), -2 when out of memory. */
static int64_t number_list(const char *s, size_t i, size_t end, int keep, float **pool, int64_t *n, int64_t *cap,
                           size_t *bad, size_t *bad_len)
{
    int64_t count = 0;
    while (1) {
        size_t j = i;
        while (j < end && s[j] != ',')
            j++;
        double x;
        if (!parse_number(s + i, j - i, &x)) {
            *bad = i;
            *bad_len = j - i < 40 ? j - i : 40;
            return -1;
        }
        if (keep) {
            if (!cli_grow(pool, cap, *n + 1, sizeof **pool))
                return -2;
            (*pool)[(*n)++] = (float)x;
        }
        count++;
        if (j >= end)
            return count;
        i = j + 1;
    }
}

/* Regress input: steps separated by whitespace, each F comma-separated
 * numbers (*dim: F, set by the first step when 0); appended to t->feats. */
seqnn_status lines_features(lines_data *t, const char *s, size_t n, int64_t line, int64_t max_steps,
                            int64_t *dim, int64_t *steps, int64_t *truncated)
{
    const char *path = t->path;
    size_t pos = 0, b, l;
    int64_t k = 0;
    while (cli_next_token(s, n, &pos, 1, &b, &l)) {
        size_t bad = 0, bad_len = 0;
        int keep = max_steps <= 0 || k < max_steps;
        int64_t f = number_list(s, b, b + l, keep, &t->feats, &t->n_feats, &t->cap_feats, &bad, &bad_len);
        if (f == -1)
            return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: step %lld: '%.*s' is not a number", path,
                             (long long)line, (long long)k + 1, (int)bad_len, s + bad);
        if (f < 0)
            return cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", path);
        if (*dim == 0)
            *dim = f;
        else if (f != *dim)
            return cli_error(SEQNN_ERR_FORMAT,
                             "%s:%lld: step %lld has %lld features, the steps before it have %lld", path,
                             (long long)line, (long long)k + 1, (long long)f, (long long)*dim);
        k++;
    }
    *steps = k;
    if (max_steps > 0 && k > max_steps)
        (*truncated)++;
    return SEQNN_OK;
}

/* The tokens of s[0..n) as ids of v (missing: <unk>), at most max of them. */
seqnn_status lines_tokens_encode(const cli_vocab *v, const char *s, size_t n, int words, int64_t max,
                                 int32_t **pool, int64_t *len, int64_t *cap, int32_t *count, const char *path)
{
    size_t pos = 0, b, l;
    int32_t k = 0;
    while ((max <= 0 || k < max) && cli_next_token(s, n, &pos, words, &b, &l)) {
        int64_t id = cli_vocab_find(v, s + b, l);
        if (!cli_grow(pool, cap, *len + 1, sizeof **pool))
            return cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", path);
        (*pool)[(*len)++] = (int32_t)(id >= 0 ? id : CLI_UNK);
        k++;
    }
    *count = k;
    return SEQNN_OK;
}

/* Regress output: the comma-separated values of text[i..end), appended to
 * t->values; every line has as many as the first. */
static seqnn_status parse_values(lines_reader *r, size_t i, size_t end, int64_t line)
{
    lines_data *t = r->t;
    const char *text = t->text, *path = r->path;
    while (end > i && cli_is_space(text[end - 1]))
        end--;
    while (i < end && cli_is_space(text[i]))
        i++;
    if (i == end)
        return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: the value (after the TAB) is empty", path, (long long)line);
    size_t bad = 0, bad_len = 0;
    int64_t nv = number_list(text, i, end, 1, &t->values, &t->n_vals, &t->cap_vals, &bad, &bad_len);
    if (nv == -1)
        return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: value '%.*s' is not a number", path, (long long)line,
                         (int)bad_len, text + bad);
    if (nv < 0)
        return no_memory(r);
    if (t->n_values == 0)
        t->n_values = nv;
    else if (nv != t->n_values)
        return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: %lld values after the TAB, the lines before have %lld", path,
                         (long long)line, (long long)nv, (long long)t->n_values);
    return SEQNN_OK;
}

/* ------------------------------------------------------- first pass --- */
/* tag: one tag per token; the tags join the set of classes */
static seqnn_status scan_tag(lines_reader *r, const example *e, int64_t n_in)
{
    const char *text = r->t->text;
    int64_t n_tags = cli_count_tokens(text + e->out, e->out_len, 1);
    if (n_tags != n_in)
        return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: %lld tags for %lld %s (one tag per token%s)", r->path,
                         (long long)e->line, (long long)n_tags, (long long)n_in, r->words ? "tokens" : "characters",
                         r->words ? "" : "; --words reads whitespace-separated tokens");
    size_t pos = 0, b, l;
    while (cli_next_token(text + e->out, e->out_len, &pos, 1, &b, &l))
        if (!cli_tokset_add(&r->labels, text + e->out + b, l))
            return no_memory(r);
    return SEQNN_OK;
}

/* regress: the features (truncated to seq_len steps) and the values */
static seqnn_status scan_regress(lines_reader *r, example *e)
{
    lines_data *t = r->t;
    int64_t steps = 0;
    e->src = t->n_feats;
    seqnn_status s = lines_features(t, t->text + e->in, e->in_len, e->line, r->max_len, &t->dim, &steps,
                                    &r->truncated);
    if (s != SEQNN_OK)
        return s;
    if (steps > r->longest)
        r->longest = steps;
    e->src_len = (int32_t)(r->max_len > 0 && steps > r->max_len ? r->max_len : steps);
    e->tgt = t->n_vals;
    return parse_values(r, e->out, e->out + e->out_len, e->line);
}

/* Where input and output stand in a line (classify: LABEL<TAB>TEXT, the
 * label trimmed; the others: INPUT<TAB>OUTPUT). */
static seqnn_status split_line(lines_reader *r, const char *ls, size_t len, example *e)
{
    const char *text = r->t->text, *tab = memchr(ls, '\t', len);
    int kind = r->kind;
    if (!tab)
        return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: no TAB: a %s line is %s", r->path, (long long)e->line,
                         r->d->format,
                         kind == F_CLASSIFY ? "LABEL<TAB>TEXT" : kind == F_TAG ? "TOKENS<TAB>TAGS"
                         : kind == F_TRANSLATE ? "SOURCE<TAB>TARGET" : "FEATURES<TAB>VALUE");
    size_t a = (size_t)(ls - text), a_len = (size_t)(tab - ls), o = a + a_len + 1, o_len = len - a_len - 1;
    if (kind != F_CLASSIFY) {
        e->in = a;
        e->in_len = a_len;
        e->out = o;
        e->out_len = o_len;
        return SEQNN_OK;
    }
    size_t t0 = a, t1 = a + a_len;
    while (t0 < t1 && cli_is_space(text[t0]))
        t0++;
    while (t1 > t0 && cli_is_space(text[t1 - 1]))
        t1--;
    if (t0 == t1)
        return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: the label (before the TAB) is empty", r->path,
                         (long long)e->line);
    e->out = t0;
    e->out_len = t1 - t0;
    e->in = o;
    e->in_len = o_len;
    return SEQNN_OK;
}

seqnn_status lines_parse_line(lines_reader *r, const char *ls, size_t len, int64_t line)
{
    lines_data *t = r->t;
    const char *text = t->text;
    int kind = r->kind;
    if (kind == F_MULTI)
        return multi_parse_line(r, ls, len, line);
    example e = {.line = line};
    seqnn_status s = split_line(r, ls, len, &e);
    if (s == SEQNN_OK && t->tree_format)
        s = lines_tree_scan(r, &e);
    if (s != SEQNN_OK)
        return s;
    int64_t n_in = cli_count_tokens(text + e.in, e.in_len, kind == F_REGRESS ? 1 : r->words);
    if (n_in == 0)
        return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: the %s is empty", r->path, (long long)line,
                         kind == F_CLASSIFY ? "text (after the TAB)" : kind == F_REGRESS ? "feature sequence"
                                                                           : "source");
    if (kind == F_TAG) {
        s = scan_tag(r, &e, n_in);
    } else if (kind == F_CLASSIFY) {
        if (!cli_tokset_add(&r->labels, text + e.out, e.out_len))
            s = no_memory(r);
    } else if (kind == F_TRANSLATE) {
        if (cli_count_tokens(text + e.out, e.out_len, r->words) == 0)
            s = cli_error(SEQNN_ERR_FORMAT, "%s:%lld: the target (after the TAB) is empty", r->path,
                          (long long)line);
    } else {
        s = scan_regress(r, &e);
    }
    if (s != SEQNN_OK)
        return s;
    if (!cli_grow(&t->ex, &t->cap_ex, t->n + 1, sizeof *t->ex))
        return no_memory(r);
    t->ex[t->n++] = e;
    return SEQNN_OK;
}

/* ------------------------------------------------------ second pass --- */
/* tag: the tags' ids, at most seq_len of them; every tag must be known */
static seqnn_status encode_tags(lines_reader *r, example *e)
{
    lines_data *t = r->t;
    const char *text = t->text;
    const cli_vocab *tags = &r->d->tgt;
    e->tgt = t->n_tids;
    size_t pos = 0, b, l;
    int32_t k = 0;
    while ((r->max_len <= 0 || k < r->max_len) && cli_next_token(text + e->out, e->out_len, &pos, 1, &b, &l)) {
        int64_t id = cli_vocab_find(tags, text + e->out + b, l);
        if (id < 0)
            return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: tag '%.*s' is not one the model was trained with", r->path,
                             (long long)e->line, (int)(l < 60 ? l : 60), text + e->out + b);
        if (!cli_grow(&t->tids, &t->cap_tids, t->n_tids + 1, sizeof *t->tids))
            return no_memory(r);
        t->tids[t->n_tids++] = (int32_t)id;
        k++;
    }
    e->tgt_len = k;
    return SEQNN_OK;
}

seqnn_status lines_encode(lines_reader *r, example *e)
{
    if (r->kind == F_MULTI)
        return multi_encode(r, e);
    lines_data *t = r->t;
    const cli_data *d = r->d;
    const char *text = t->text;
    int64_t max_len = r->max_len, full = cli_count_tokens(text + e->in, e->in_len, r->words);
    if (full > r->longest)
        r->longest = full;
    e->src = t->n_ids;
    seqnn_status s = lines_tokens_encode(&d->src, text + e->in, e->in_len, r->words, max_len, &t->ids, &t->n_ids,
                                         &t->cap_ids, &e->src_len, r->path);
    if (s != SEQNN_OK)
        return s;
    int cut = max_len > 0 && full > max_len;
    if (r->kind == F_CLASSIFY) {
        int64_t id = cli_vocab_find(&d->tgt, text + e->out, e->out_len);
        if (id < 0)
            return cli_error(SEQNN_ERR_FORMAT, "%s:%lld: label '%.*s' is not one of the model's %lld classes",
                             r->path, (long long)e->line, (int)(e->out_len < 60 ? e->out_len : 60), text + e->out,
                             (long long)d->tgt.n);
        e->label = (int32_t)id;
    } else if (r->kind == F_TAG) {
        s = encode_tags(r, e);
    } else {                             /* translate */
        int64_t full_t = cli_count_tokens(text + e->out, e->out_len, r->words);
        e->tgt = t->n_tids;
        s = lines_tokens_encode(&d->tgt, text + e->out, e->out_len, r->words, max_len, &t->tids, &t->n_tids,
                                &t->cap_tids, &e->tgt_len, r->path);
        cut |= max_len > 0 && full_t > max_len;
        if (full_t > r->longest)
            r->longest = full_t;
    }
    if (s != SEQNN_OK)
        return s;
    r->truncated += cut;
    return SEQNN_OK;
}

/* Figures of the line formats beyond the loss and per-target accuracy that
 * seqnn_model_evaluate reports: majority-class baselines (classify, tag),
 * exact-match accuracy of greedy decoding (translate), the predict-the-mean
 * baseline and rounded accuracy (regress); attention weights of one
 * translation as a CSV matrix for `seqnn plot --attention`. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "checkpoint.h"
#include "cli_error.h"
#include "data.h"

/* (checkpoint.h) */
double cli_percent(double hit, double total)
{
    double p = total > 0 ? 100 * hit / total : NAN;
    if (p > 99.99 && hit < total)
        return 99.99;
    if (p < 0.01 && hit > 0)
        return 0.01;
    return p;
}

/* The text of token id in v ("?" when out of range). */
static const char *token_text(const cli_vocab *v, int32_t id)
{
    return id >= 0 && id < v->n ? v->tok[id] : "?";
}

/* Token text of ids (characters joined, words spaced), into buf. */
static void ids_text(const cli_vocab *v, const int32_t *ids, int64_t n, char *buf, size_t size)
{
    size_t at = 0;
    buf[0] = 0;
    for (int64_t i = 0; i < n && at + 1 < size; i++) {
        const char *t = token_text(v, ids[i]);
        int w = snprintf(buf + at, size - at, "%s%s", !v->chars && i ? " " : "", t);
        if (w < 0 || (size_t)w >= size - at) {
            buf[at] = 0;
            break;
        }
        at += (size_t)w;
    }
}

/* The most common of counts[0..n): its index (the lowest on ties). */
static int64_t argmax_i64(const int64_t *counts, int64_t n)
{
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++)
        if (counts[i] > counts[best])
            best = i;
    return best;
}

static int report_majority(cli_data *d, int split, FILE *f)
{
    if (cli_data_examples(d, 0) == 0)
        return 0;                        /* no training split (eval --all): no majority to take */
    int tag = !strcmp(d->format, "tag");
    int64_t n = d->tgt.n;
    int64_t *counts = calloc((size_t)(n > 0 ? n : 1), sizeof *counts);
    if (!counts) {
        fprintf(stderr, "seqnn: out of memory\n");
        return 1;
    }
    cli_example e;
    for (int64_t i = 0; cli_data_example(d, 0, i, &e); i++) {
        if (!tag) {
            counts[e.label]++;
            continue;
        }
        for (int64_t s = 0; s < e.tgt_len; s++)
            if (e.tgt[s] != CLI_PAD)
                counts[e.tgt[s]]++;
    }
    int64_t major = argmax_i64(counts, n), hit = 0, total = 0;
    for (int64_t i = 0; cli_data_example(d, split, i, &e); i++) {
        if (!tag) {
            hit += e.label == major;
            total++;
            continue;
        }
        for (int64_t s = 0; s < e.tgt_len; s++)
            if (e.tgt[s] != CLI_PAD) {
                hit += e.tgt[s] == major;
                total++;
            }
    }
    free(counts);
    if (total > 0 && n > 0)
        fprintf(f, "baseline: always %s '%s' (the most common in training): accuracy %.2f%% (%lld %s)\n",
                tag ? "tag" : "class", d->tgt.tok[major], cli_percent((double)hit, (double)total), (long long)total,
                tag ? "tags" : "examples");
    return 0;
}

static int report_exact(seqnn_model *m, cli_data *d, int split, int64_t max_examples, FILE *f)
{
    int64_t n = cli_data_examples(d, split);
    if (max_examples > 0 && n > max_examples)
        n = max_examples;
    if (n == 0)
        return 0;
    int64_t max_tgt = 0;
    cli_example e;
    for (int64_t i = 0; i < n && cli_data_example(d, split, i, &e); i++)
        if (e.tgt_len > max_tgt)
            max_tgt = e.tgt_len;
    int64_t cap = 2 * max_tgt + 10;      /* room to see a decoder that does not stop */
    int32_t *out = malloc((size_t)cap * sizeof *out);
    if (!out) {
        fprintf(stderr, "seqnn: out of memory\n");
        return 1;
    }
    int64_t exact = 0, shown = 0;
    char a[512], b[512], c[512];
    for (int64_t i = 0; i < n && cli_data_example(d, split, i, &e); i++) {
        int64_t no = 0;
        if (seqnn_model_translate(m, e.src, e.src_len, CLI_BOS, CLI_EOS, cap, out, &no) != SEQNN_OK) {
            free(out);
            return cli_fail("exact match (greedy decoding)");
        }
        int same = no == e.tgt_len && !memcmp(out, e.tgt, (size_t)no * sizeof *out);
        exact += same;
        if (shown < 3 || (!same && shown < 5)) {
            ids_text(&d->src, e.src, e.src_len, a, sizeof a);
            ids_text(&d->tgt, out, no, b, sizeof b);
            ids_text(&d->tgt, e.tgt, e.tgt_len, c, sizeof c);
            fprintf(f, "  %s -> %s (%s%s)\n", a, b, same ? "right" : "wrong; expected ", same ? "" : c);
            shown++;
        }
    }
    free(out);
    fprintf(f, "exact match (greedy decoding): %.2f%% (%lld of %lld %s)\n", cli_percent((double)exact, (double)n),
            (long long)exact, (long long)n, !split ? "training examples" : cli_data_examples(d, 0) == 0
                                                ? "examples, all of the file" : "validation examples");
    return 0;
}

static int report_regress(seqnn_model *m, cli_data *d, const seqnn_train_config *cfg, int split, FILE *f)
{
    int64_t K = cli_data_value_count(d);
    double *mean = calloc((size_t)(K > 0 ? K : 1), sizeof *mean);
    if (!mean) {
        fprintf(stderr, "seqnn: out of memory\n");
        return 1;
    }
    cli_example e;
    int64_t n_train = 0, n = 0, integers = 1;
    for (int64_t i = 0; cli_data_example(d, 0, i, &e); i++, n_train++)
        for (int64_t k = 0; k < K; k++)
            mean[k] += e.values[k];
    for (int64_t k = 0; k < K && n_train > 0; k++)
        mean[k] /= (double)n_train;
    double se = 0;
    for (int64_t i = 0; cli_data_example(d, split, i, &e); i++, n++)
        for (int64_t k = 0; k < K; k++) {
            double r = e.values[k] - mean[k];
            se += r * r;
            integers &= e.values[k] == floorf(e.values[k]);
        }
    if (n > 0 && n_train > 0 && K == 1)
        fprintf(f, "baseline: predicting the training mean %.4g: MSE %.6f (%lld values)\n", mean[0],
                se / (double)n, (long long)n);
    else if (n > 0 && n_train > 0)
        fprintf(f, "baseline: predicting each of the %lld values' training mean: MSE %.6f (%lld values)\n",
                (long long)K, se / (double)(n * K), (long long)(n * K));
    free(mean);
    if (!integers || n == 0 || seqnn_model_loss(m) != SEQNN_LOSS_MSE)
        return 0;
    /* Integer targets: the accuracy of the rounded prediction. */
    int64_t hit = 0, total = 0, cap = 0;
    float *pred = NULL;
    seqnn_batch b;
    if (d->begin(d, split, cfg->seed) != SEQNN_OK)
        return cli_fail("accuracy of the rounded prediction");
    while (d->next(d, split, cfg, &b)) {
        int64_t count = b.batch * K;
        if (count > cap) {
            free(pred);
            cap = count;
            pred = malloc((size_t)cap * sizeof *pred);
            if (!pred) {
                fprintf(stderr, "seqnn: out of memory\n");
                return 1;
            }
        }
        if (seqnn_model_predict(m, &b, pred, count) != SEQNN_OK) {
            free(pred);
            return cli_fail("accuracy of the rounded prediction");
        }
        for (int64_t i = 0; i < count; i++)
            hit += nearbyintf(pred[i]) == b.values[i];
        total += count;
    }
    free(pred);
    if (total > 0)
        fprintf(f, "rounded prediction = target: %.2f%% (%lld values)\n", cli_percent((double)hit, (double)total),
                (long long)total);
    return 0;
}

int cli_metrics_report(seqnn_model *m, cli_data *d, const seqnn_train_config *cfg, int split,
                       int64_t max_translate, FILE *f)
{
    if (cli_data_examples(d, 0) + cli_data_examples(d, split) == 0)
        return 0;                        /* not a line format */
    if (!strcmp(d->format, "classify") || !strcmp(d->format, "tag") || !strcmp(d->format, "tree") ||
        !strcmp(d->format, "multi"))
        return report_majority(d, split, f);
    if (!strcmp(d->format, "translate"))
        return report_exact(m, d, split, max_translate, f);
    if (!strcmp(d->format, "regress"))
        return report_regress(m, d, cfg, split, f);
    return 0;
}

/* ------------------------------------------------- attention of one input --- */
int cli_translate_attention(seqnn_model *m, const cli_vocab *src, const cli_vocab *tgt, int words,
                            const char *text, int64_t max_len, const char *csv_path, FILE *f)
{
    size_t n = strlen(text);
    int32_t *ids = malloc((n + 1) * sizeof *ids), *out = malloc((size_t)(max_len + 1) * sizeof *out);
    int32_t *dec = malloc((size_t)(max_len + 1) * sizeof *dec);
    float *logits = NULL, *w = NULL;
    int rc = 0;
    if (!ids || !out || !dec) {
        fprintf(stderr, "seqnn: out of memory\n");
        rc = 1;
        goto done;
    }
    int64_t ns = 0, no = 0;
    size_t pos = 0, tb, tl;
    while (cli_next_token(text, n, &pos, words, &tb, &tl)) {   /* the training data's tokenisation */
        int64_t id = cli_vocab_find(src, text + tb, tl);
        ids[ns++] = (int32_t)(id >= 0 ? id : CLI_UNK);
    }
    if (ns == 0) {
        fprintf(stderr, "seqnn: the input has no tokens\n");
        rc = 1;
        goto done;
    }
    if (seqnn_model_translate(m, ids, ns, CLI_BOS, CLI_EOS, max_len, out, &no) != SEQNN_OK) {
        rc = cli_fail("translate");
        goto done;
    }
    for (int64_t i = 0; i < no; i++)
        fprintf(f, "%s%s", !tgt->chars && i ? " " : "", token_text(tgt, out[i]));
    fputc('\n', f);
    if (!csv_path)
        goto done;
    /* The decoder run once more over <bos> + its own output (teacher forcing
     * on it reproduces greedy decoding) to read every step's weights. */
    int64_t Td = no + 1;
    dec[0] = CLI_BOS;
    memcpy(dec + 1, out, (size_t)no * sizeof *dec);
    int32_t len = (int32_t)ns, dlen = (int32_t)Td;
    seqnn_batch b = {.seq_len = ns, .batch = 1, .tokens = ids, .lengths = &len, .dec_len = Td, .dec_tokens = dec,
                     .dec_lengths = &dlen};
    int seq;
    int64_t classes;
    if (seqnn_model_output_shape(m, &seq, &classes) != SEQNN_OK) {
        rc = cli_fail("translate");
        goto done;
    }
    logits = malloc((size_t)(Td * classes) * sizeof *logits);
    if (!logits) {
        fprintf(stderr, "seqnn: out of memory\n");
        rc = 1;
        goto done;
    }
    int64_t dims[4];
    if (seqnn_model_predict(m, &b, logits, Td * classes) != SEQNN_OK ||
        seqnn_model_attention_weights(m, NULL, NULL, 0, dims) != SEQNN_OK) {
        rc = cli_fail("attention weights");
        goto done;
    }
    int64_t count = dims[0] * dims[1] * dims[2] * dims[3];
    w = malloc((size_t)(count > 0 ? count : 1) * sizeof *w);
    if (!w) {
        fprintf(stderr, "seqnn: out of memory\n");
        rc = 1;
        goto done;
    }
    if (seqnn_model_attention_weights(m, NULL, w, count, dims) != SEQNN_OK) {
        rc = cli_fail("attention weights");
        goto done;
    }
    if (dims[0] != 1 || dims[2] != Td || dims[3] != ns) {
        fprintf(stderr, "seqnn: attention weights are [%lld, %lld, %lld, %lld], not [1, heads, %lld, %lld]\n",
                (long long)dims[0], (long long)dims[1], (long long)dims[2], (long long)dims[3], (long long)Td,
                (long long)ns);
        rc = 1;
        goto done;
    }
    FILE *csv = fopen(csv_path, "w");
    if (!csv) {
        fprintf(stderr, "seqnn: %s: cannot write\n", csv_path);
        rc = 1;
        goto done;
    }
    /* a header row of the source tokens; each row starts with the token it
     * produced (the last: <eos>) */
    for (int64_t k = 0; k < ns; k++) {
        fputc(',', csv);
        cli_csv_field(csv, 0, token_text(src, ids[k]));
    }
    fputc('\n', csv);
    for (int64_t q = 0; q < Td; q++) {
        cli_csv_field(csv, 0, q < no ? token_text(tgt, out[q]) : "<eos>");
        for (int64_t k = 0; k < ns; k++) {
            double sum = 0;
            for (int64_t h = 0; h < dims[1]; h++)
                sum += w[(h * Td + q) * ns + k];
            fprintf(csv, ",%.5f", sum / (double)dims[1]);
        }
        fputc('\n', csv);
    }
    if (fclose(csv) != 0) {
        fprintf(stderr, "seqnn: %s: write error\n", csv_path);
        remove(csv_path);
        rc = 1;
    }
done:
    free(ids);
    free(out);
    free(dec);
    free(logits);
    free(w);
    return rc;
}

/* ---------------------------------------------------- model against data --- */

seqnn_status cli_data_check_model(const cli_data *d, const seqnn_model *m, const char *data_file,
                                  const char *model_file)
{
    if (cli_data_examples(d, 0) + cli_data_examples(d, 1) == 0)
        return SEQNN_OK;                 /* not a line format */
    int seq;
    int64_t n;
    seqnn_status s = seqnn_model_output_shape(m, &seq, &n);
    if (s != SEQNN_OK)
        return s;
    int regress = !strcmp(d->format, "regress"), want_seq = !strcmp(d->format, "tag") ||
                                                           !strcmp(d->format, "translate");
    int64_t want = regress ? cli_data_value_count(d) : d->tgt.n;
    const char *what = regress ? "values per line" : !strcmp(d->format, "translate") ? "target symbols ($tgt_vocab)"
                                                                                     : "classes ($classes)";
    if (regress && seq && n == want) {   /* a sequence output is one row per line when lines are 1 step */
        int64_t steps = 0;
        cli_example e;
        for (int split = 0; split < 2; split++)
            for (int64_t i = 0; cli_data_example(d, split, i, &e); i++)
                steps = e.src_len > steps ? e.src_len : steps;
        want_seq = steps == 1;
    }
    if (seq != want_seq || n != want)
        return cli_error(SEQNN_ERR_INVALID_ARG,
                         "%s: the model outputs %s of %lld; the %s data of %s needs %s of %lld (%s)", model_file,
                         seq ? "a sequence" : "one vector", (long long)n, d->format, data_file,
                         want_seq ? "a sequence" : "one vector", (long long)want, what);
    if (!strcmp(d->format, "multi"))
        return cli_data_check_inputs(d, m, data_file, model_file);
    if (!regress)
        return SEQNN_OK;
    /* The input size a features model reads is the second extent of its first
     * parameter whatever the first layer with parameters is: dense [out, in],
     * rnn/lstm/gru weight_ih_l0 [gates*H, in], conv1d_bank [filters, in,
     * width], self-attention in_proj_weight [3E, E]; layers without
     * parameters (activation, dropout) keep the size. */
    int64_t F = cli_data_feature_dim(d);
    seqnn_param_info p;
    if (seqnn_model_param_count(m) > 0 && seqnn_model_param(m, 0, &p) == SEQNN_OK && p.ndim >= 2 &&
        p.shape[1] != F)
        return cli_error(SEQNN_ERR_INVALID_ARG,
                         "%s: the model reads %lld features per step (its '%s' is [%lld, %lld]); the steps of "
                         "%s have %lld (input features dim=%lld)", model_file, (long long)p.shape[1], p.name,
                         (long long)p.shape[0], (long long)p.shape[1], data_file, (long long)F, (long long)F);
    return SEQNN_OK;
}

/* ---------------------------------------- model file against data, by line --- */
/* Statements that are not layers. */
static int mf_not_layer(const char *w, size_t n)
{
    static const char *const words[] = {"seqnn", "input", "decoder", "loss", "optimizer", "train", "schedule"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && !strncmp(w, words[i], n))
            return 1;
    return 0;
}

/* The last statement of the model file whose first word is `word` (NULL: the
 * last layer): its line number (0: none), its text (comment cut) into buf. */
static int mf_statement(const char *text, const char *word, char *buf, size_t size)
{
    int line = 0, found = 0;
    buf[0] = 0;
    for (const char *p = text; p && *p; line++) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p), skip = strspn(p, " \t");
        const char *w = p + skip;
        size_t wn = strcspn(w, " \t\r\n#");
        size_t cut = strcspn(p, "#\r");
        if (wn > 0 && (word ? strlen(word) == wn && !strncmp(w, word, wn) : !mf_not_layer(w, wn))) {
            found = line + 1;
            size_t len = (cut < n ? cut : n) - skip;
            while (len > 0 && (w[len - 1] == ' ' || w[len - 1] == '\t'))
                len--;
            snprintf(buf, size, "%.*s", (int)len, w);
        }
        p = end ? end + 1 : NULL;
    }
    return found;
}

/* The widest filter of the model file's convolutions (0: none), its line. */
static int64_t mf_widest_filter(const char *text, int *line)
{
    int64_t widest = 0;
    int at = 0;
    *line = 0;
    for (const char *p = text; p && *p; at++) {
        const char *end = strchr(p, '\n');
        const char *w = p + strspn(p, " \t");
        if (!strncmp(w, "conv1d", 6)) {
            const char *k = strstr(w, "width");
            if (k && (!end || k < end))
                for (const char *q = k + strcspn(k, "="); *q == '=' || *q == ','; ) {
                    char *next;
                    long long v = strtoll(q + 1, &next, 10);
                    if (next == q + 1)
                        break;
                    if (v > widest) {
                        widest = v;
                        *line = at + 1;
                    }
                    q = next;
                }
        }
        p = end ? end + 1 : NULL;
    }
    return widest;
}

seqnn_status cli_check_model_file(cli_data *d, const seqnn_model *m, const char *text, const char *model_file,
                                  const char *data_file)
{
    char in[256], last[256], loss_line[256];
    int in_at = mf_statement(text, "input", in, sizeof in), last_at = mf_statement(text, NULL, last, sizeof last);
    int loss_at = mf_statement(text, "loss", loss_line, sizeof loss_line);
    /* "input tokens ..." or "input features ...": other forms (named inputs) are left to the model */
    int regress = !strcmp(d->format, "regress"), features = !strncmp(in, "input features", 14);
    int plain = features || !strncmp(in, "input tokens", 12);
    if (in_at && plain && strcmp(d->format, "multi") && regress != features)   /* multi: per input */
        return cli_error(SEQNN_ERR_INVALID_ARG, "%s:%d: '%s': the model reads %s, but the %s data of %s has %s; "
                         "write '%s'", model_file, in_at, in, features ? "feature vectors" : "token ids", d->format,
                         data_file, regress ? "feature vectors" : "tokens", regress ? "input features dim=N"
                                                                                    : "input tokens vocab=$vocab");
    seqnn_loss_kind loss = seqnn_model_loss(m);
    if (regress != (loss != SEQNN_LOSS_XENT)) {
        char where[1100];
        if (loss_at)
            snprintf(where, sizeof where, "%s:%d: '%s'", model_file, loss_at, loss_line);
        else
            snprintf(where, sizeof where, "%s: the default loss xent", model_file);
        return cli_error(SEQNN_ERR_INVALID_ARG, "%s: the %s data of %s has %s targets; %s", where, d->format,
                         data_file, regress ? "numeric" : "class", regress ? "write 'loss mse' (or 'loss bce')"
                         : "remove the loss line (xent, the default, takes classes) or use --format regress");
    }
    int seq;
    int64_t n;
    seqnn_status s = seqnn_model_output_shape(m, &seq, &n);
    if (s != SEQNN_OK)
        return s;
    if (!strcmp(d->format, "text") && (!seq || n != d->src.n))
        return cli_error(SEQNN_ERR_INVALID_ARG, "the data %s has %lld symbols, but the last layer (%s:%d: '%s') "
                         "outputs %s of %lld: a language model predicts each next symbol (write out=$vocab)",
                         data_file, (long long)d->src.n, model_file, last_at, last, seq ? "a sequence" : "one vector",
                         (long long)n);
    if (cli_data_check_model(d, m, data_file, model_file) != SEQNN_OK) {
        char msg[2048];
        snprintf(msg, sizeof msg, "%s", cli_last_error());
        return cli_error(SEQNN_ERR_INVALID_ARG, "%s; the last layer is %s:%d: '%s'", msg, model_file, last_at, last);
    }
    int conv_at;
    int64_t widest = mf_widest_filter(text, &conv_at), shortest = INT64_MAX, line = 0;
    cli_example e;
    for (int split = 0; widest > 1 && split < 2; split++)
        for (int64_t i = 0; cli_data_example(d, split, i, &e); i++)
            if (e.src_len < shortest) {
                shortest = e.src_len;
                line = e.line;
            }
    if (widest <= 1 || shortest >= widest || d->min_steps >= widest)
        return SEQNN_OK;
    if (d->min_steps > 0)                /* --pad-to, but too little */
        return cli_error(SEQNN_ERR_INVALID_ARG, "--pad-to %lld: %s:%lld has %lld %s and the widest convolution "
                         "filter is %lld (%s:%d): pad to at least %lld", (long long)d->min_steps, data_file,
                         (long long)line, (long long)shortest, d->words ? "words" : "tokens", (long long)widest,
                         model_file, conv_at, (long long)widest);
    d->min_steps = widest;
    fprintf(stderr, "note: %s:%lld has %lld %s, fewer than the widest convolution filter (%lld, %s:%d): every "
                    "batch is padded to %lld steps (as --pad-to %lld; the padding is masked)\n", data_file,
            (long long)line, (long long)shortest, d->words ? "words" : "tokens", (long long)widest, model_file,
            conv_at, (long long)widest, (long long)widest);
    return SEQNN_OK;
}

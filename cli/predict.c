/* `seqnn predict CHECKPOINT [--data FILE|-]`: applies a trained model to
 * unlabelled lines (the training data's format without its labels) read
 * from a file or stdin, writing one line per input line as soon as it is
 * computed: classify, the label then every class with its probability;
 * tag, a tag per token; regress, the values; translate, the translation;
 * text (language models), a continuation of the line as `seqnn generate`
 * makes one. TSV by default (fields escaped: \t \n \r \\), JSON lines with
 * --json. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "checkpoint.h"
#include "cli.h"
#include "cli_error.h"
#include "generate.h"

typedef struct predictor {
    cli_loaded l;
    cli_decode_opts o;
    int json, kind;                      /* kind: K_* */
    int64_t classes, feat_dim;           /* the output's size; regress: features per step (0: unknown) */
    int seq_out;
    int64_t line;
    int32_t *ids;                        /* scratch: token ids of a line */
    float *feats, *out;                  /* scratch: regress features; the model's output */
    int64_t cap_ids, cap_feats, cap_out;
} predictor;

enum { K_TEXT, K_TRANSLATE, K_CLASSIFY, K_TAG, K_REGRESS };

static void predict_usage(FILE *f)
{
    fprintf(f,
            "usage: seqnn predict CHECKPOINT [--data FILE|-] [--json] [options]\n"
            "  one output line per input line, written as soon as it is computed; the input lines are\n"
            "  the training data's format without labels: classify TEXT, tag TOKENS, regress FEATURES,\n"
            "  translate SOURCE, text: a prime to continue\n"
            "  --data FILE|-       the input lines (default -: stdin)\n"
            "  --json              JSON lines instead of TSV\n"
            "  --backend SPEC      as SEQNN_BACKEND (default: best)\n"
            "  translate and text models decode as seqnn generate does (seqnn generate --help):\n"
            "  --length N (default 500) --temperature T --top-k K --top-p P --seed N (line i: N + i - 1)\n"
            "  --beam K --length-norm A\n");
}

/* Grows *p (capacity *cap elements of size elem) to n: 1, or 0 after a message. */
static int grow(void *p, int64_t *cap, int64_t n, size_t elem)
{
    if (n <= *cap)
        return 1;
    void *old;
    memcpy(&old, p, sizeof old);
    void *q = realloc(old, (size_t)n * elem);
    if (!q) {
        fprintf(stderr, "seqnn predict: out of memory\n");
        return 0;
    }
    memcpy(p, &q, sizeof q);
    *cap = n;
    return 1;
}

static int line_error(const predictor *p, const char *what)
{
    fprintf(stderr, "seqnn predict: line %lld: %s\n", (long long)p->line, what);
    return 1;
}

/* ----------------------------------------------------- classify and tag --- */
static void json_key_string(FILE *f, const char *key, const char *s, size_t n)
{
    fprintf(f, "\"%s\": \"", key);
    cli_print_escaped(f, s, n, CLI_JSON);
    fputc('"', f);
}

static int predict_tokens(predictor *p, const char *s, size_t n, FILE *f)
{
    cli_loaded *l = &p->l;
    if (!grow(&p->ids, &p->cap_ids, ((int64_t)n > p->classes ? (int64_t)n : p->classes) + 1, sizeof *p->ids))
        return 1;
    char what[64];
    snprintf(what, sizeof what, "line %lld", (long long)p->line);
    int64_t T = cli_text_ids(&l->src, s, n, l->words, CLI_UNK, p->ids, "seqnn predict", what);
    if (T == 0)
        return line_error(p, "no tokens");
    int64_t count = (p->seq_out ? T : 1) * p->classes;
    if (!grow(&p->out, &p->cap_out, count, sizeof *p->out))
        return 1;
    seqnn_batch b = {.seq_len = T, .batch = 1, .tokens = p->ids};
    if (seqnn_model_predict(l->model, &b, p->out, count) != SEQNN_OK)
        return line_error(p, cli_last_error());
    if (p->kind == K_TAG) {              /* the likeliest tag of each token (not <pad>, id 0) */
        fputs(p->json ? "{\"tags\": [" : "", f);
        for (int64_t t = 0; t < T; t++) {
            const float *row = p->out + t * p->classes;
            int64_t best = p->classes > 1 ? 1 : 0;
            for (int64_t c = best + 1; c < p->classes; c++)
                best = row[c] > row[best] ? c : best;
            const char *tag = l->tgt.tok[best];
            fputs(t ? (p->json ? ", " : " ") : "", f);
            fputs(p->json ? "\"" : "", f);
            cli_print_escaped(f, tag, strlen(tag), p->json ? CLI_JSON : CLI_TSV);
            fputs(p->json ? "\"" : "", f);
        }
        fputs(p->json ? "]}\n" : "\n", f);
        return 0;
    }
    /* classify: softmax, the classes by probability */
    double mx = p->out[0], sum = 0;
    for (int64_t c = 1; c < p->classes; c++)
        mx = fmax(mx, p->out[c]);
    for (int64_t c = 0; c < p->classes; c++)
        sum += exp(p->out[c] - mx);
    int32_t *order = p->ids;             /* the ids are used (room for the classes) */
    for (int64_t c = 0; c < p->classes; c++) {
        int64_t k = c;
        while (k > 0 && p->out[order[k - 1]] < p->out[c]) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = (int32_t)c;
    }
    const char *top = l->tgt.tok[order[0]];
    if (p->json) {
        fputc('{', f);
        json_key_string(f, "label", top, strlen(top));
        fputs(", \"probabilities\": {", f);
    } else {
        cli_print_escaped(f, top, strlen(top), CLI_TSV);
    }
    for (int64_t k = 0; k < p->classes; k++) {
        const char *name = l->tgt.tok[order[k]];
        double prob = exp(p->out[order[k]] - mx) / sum;
        fputs(p->json ? (k ? ", \"" : "\"") : "\t", f);
        cli_print_escaped(f, name, strlen(name), p->json ? CLI_JSON : CLI_TSV);
        fprintf(f, p->json ? "\": %.6g" : ":%.6g", prob);
    }
    fputs(p->json ? "}}\n" : "\n", f);
    return 0;
}

/* -------------------------------------------------------------- regress --- */
/* The features of a line: steps separated by whitespace, each feat_dim
 * comma-separated numbers (the first line sets feat_dim when unknown). */
static int read_features(predictor *p, const char *s, size_t n, int64_t *steps)
{
    size_t pos = 0, b, len;
    int64_t k = 0, F = p->feat_dim;
    while (cli_next_token(s, n, &pos, 1, &b, &len)) {
        int64_t got = 0;
        size_t i = b, end = b + len;
        while (i <= end) {
            size_t j = i;
            while (j < end && s[j] != ',')
                j++;
            char num[64], *e;
            double x = 0;
            int ok = j > i && j - i < sizeof num;
            if (ok) {
                memcpy(num, s + i, j - i);
                num[j - i] = 0;
                x = strtod(num, &e);
                ok = !*e && isfinite(x);
            }
            if (!ok) {
                char msg[160];
                snprintf(msg, sizeof msg, "step %lld: '%.*s' is not a number", (long long)k + 1,
                         (int)(j - i < 40 ? j - i : 40), s + i);
                return line_error(p, msg);
            }
            if (!grow(&p->feats, &p->cap_feats, k * (F > 0 ? F : got + 1) + got + 1, sizeof *p->feats))
                return 1;
            p->feats[k * (F > 0 ? F : got + 1) + got] = (float)x;
            got++;
            i = j + 1;
        }
        if (F == 0)
            F = p->feat_dim = got;
        if (got != F) {
            char msg[160];
            snprintf(msg, sizeof msg, "step %lld has %lld features; the model reads %lld", (long long)k + 1,
                     (long long)got, (long long)F);
            return line_error(p, msg);
        }
        k++;
    }
    if (k == 0)
        return line_error(p, "no feature steps");
    *steps = k;
    return 0;
}

static int predict_regress(predictor *p, const char *s, size_t n, FILE *f)
{
    int64_t T;
    if (read_features(p, s, n, &T))
        return 1;
    int64_t rows = p->seq_out ? T : 1, count = rows * p->classes;
    if (!grow(&p->out, &p->cap_out, count, sizeof *p->out))
        return 1;
    seqnn_batch b = {.seq_len = T, .batch = 1, .features = p->feats};
    if (seqnn_model_predict(p->l.model, &b, p->out, count) != SEQNN_OK)
        return line_error(p, cli_last_error());
    int bce = seqnn_model_loss(p->l.model) == SEQNN_LOSS_BCE;   /* outputs are logits: probabilities */
    fputs(p->json ? "{\"values\": [" : "", f);
    for (int64_t i = 0; i < count; i++) {
        double v = bce ? 1.0 / (1.0 + exp(-(double)p->out[i])) : p->out[i];
        const char *sep = i == 0 ? "" : p->json ? ", " : i % p->classes ? "," : " ";
        fprintf(f, "%s%.6g", sep, v);
    }
    fputs(p->json ? "]}\n" : "\n", f);
    return 0;
}

/* ----------------------------------------------- translate and generate --- */
static int predict_decode(predictor *p, const char *s, size_t n, FILE *f)
{
    cli_loaded *l = &p->l;
    if (!grow(&p->ids, &p->cap_ids, (int64_t)n + 1, sizeof *p->ids))
        return 1;
    int translate = p->kind == K_TRANSLATE;
    char what[64];
    snprintf(what, sizeof what, "line %lld", (long long)p->line);
    int64_t k = cli_text_ids(&l->src, s, n, l->words, translate ? CLI_UNK : -1, p->ids, "seqnn predict", what);
    if (translate && k == 0)
        return line_error(p, "no tokens");
    if (!translate && k == 0) {          /* a language model starts after a newline */
        int64_t nl = cli_vocab_find(&l->src, "\n", 1);
        p->ids[k++] = (int32_t)(nl >= 0 ? nl : 0);
    }
    cli_decode_opts o = p->o;
    o.seed += (uint64_t)(p->line - 1);
    if (p->json) {
        fputc('{', f);
        json_key_string(f, "input", s, n);
        fputs(", \"output\": \"", f);
    }
    int32_t bos = CLI_BOS;
    int rc = translate ? cli_decode_print(l->model, &l->tgt, p->ids, k, &bos, 1, &o, CLI_EOS, f, 0,
                                          p->json ? CLI_JSON : CLI_TSV)
                       : cli_decode_print(l->model, &l->src, NULL, 0, p->ids, k, &o, -1, f, n > 0 ? k : 0,
                                          p->json ? CLI_JSON : CLI_TSV);
    fputs(p->json ? "\"}\n" : "\n", f);
    return rc;
}

/* ------------------------------------------------------------ the command --- */
/* The model's kind and output size from the checkpoint: 0, or 2 after a message. */
static int predict_setup(predictor *p)
{
    const char *fmt = p->l.format;
    p->kind = !strcmp(fmt, "text") ? K_TEXT : !strcmp(fmt, "translate") ? K_TRANSLATE
              : !strcmp(fmt, "classify") ? K_CLASSIFY : !strcmp(fmt, "tag") ? K_TAG
              : !strcmp(fmt, "regress") ? K_REGRESS : -1;
    if (p->kind < 0) {
        fprintf(stderr, "seqnn predict: the checkpoint's data format '%s' is not one predict knows\n", fmt);
        return 2;
    }
    if (seqnn_model_output_shape(p->l.model, &p->seq_out, &p->classes) != SEQNN_OK)
        return cli_fail("predict");
    if ((p->kind == K_CLASSIFY || p->kind == K_TAG) && p->classes != p->l.tgt.n) {
        fprintf(stderr, "seqnn predict: the model outputs %lld values, but the checkpoint has %lld %s\n",
                (long long)p->classes, (long long)p->l.tgt.n, p->kind == K_TAG ? "tags" : "classes");
        return 2;
    }
    seqnn_param_info info;              /* the features a step has: the first parameter's [out, in] */
    if (p->kind == K_REGRESS && seqnn_model_param_count(p->l.model) > 0 &&
        seqnn_model_param(p->l.model, 0, &info) == SEQNN_OK && info.ndim >= 2)
        p->feat_dim = info.shape[1];
    int decodes = p->kind == K_TEXT || p->kind == K_TRANSLATE;
    if (!decodes && (p->o.has_temperature || p->o.has_top_k || p->o.has_top_p || p->o.has_seed ||
                     p->o.has_beam || p->o.has_length_norm || p->o.has_length)) {
        fprintf(stderr, "seqnn predict: the decoding options (--length, --temperature, --beam, ...) apply to "
                        "translate and text models; this one is %s\n", fmt);
        return 2;
    }
    if (!decodes)
        return 0;
    int rc = cli_decode_finish(&p->o, p->kind == K_TRANSLATE, "seqnn predict");
    if (!rc)
        cli_decode_announce(&p->o, "seqnn predict");
    return rc;
}

/* One line (without its newline). */
static int predict_line(predictor *p, char *s, size_t n, FILE *f)
{
    if (p->kind == K_TEXT)
        return predict_decode(p, s, n, f);
    if (memchr(s, '\t', n))
        return line_error(p, "has a TAB: predict reads unlabelled lines (the input before the TAB of the "
                             "training data; cut -f1, or cut -f2 for classify)");
    if (n == 0)
        return line_error(p, "is empty");
    if (p->kind == K_TRANSLATE)
        return predict_decode(p, s, n, f);
    if (p->kind == K_REGRESS)
        return predict_regress(p, s, n, f);
    return predict_tokens(p, s, n, f);
}

int seqnn_cli_predict(int argc, char **argv)
{
    const char *ckpt = NULL, *data = "-", *backend = NULL;
    predictor p;
    memset(&p, 0, sizeof p);
    cli_decode_opts_init(&p.o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r = cli_decode_opt(argc, argv, &i, &p.o);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            predict_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--data") && v) data = argv[++i];
        else if (!strcmp(a, "--backend") && v) backend = argv[++i];
        else if (!strcmp(a, "--json")) p.json = 1;
        else if (a[0] != '-' && !ckpt) ckpt = a;
        else {
            fprintf(stderr, "seqnn predict: %s '%s'\n", a[0] == '-' ? "unknown option (or no value)" : "extra argument", a);
            predict_usage(stderr);
            return 2;
        }
    }
    if (!ckpt) {
        predict_usage(stderr);
        return 2;
    }
    FILE *in = strcmp(data, "-") ? fopen(data, "r") : stdin;
    if (!in) {
        fprintf(stderr, "seqnn predict: %s: cannot open\n", data);
        return 1;
    }
    int rc = cli_load_checkpoint(ckpt, backend, &p.l);
    if (rc) {
        if (in != stdin)
            fclose(in);
        return rc;
    }
    rc = predict_setup(&p);
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    while (!rc && (len = getline(&buf, &cap, in)) >= 0) {
        p.line++;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            buf[--len] = 0;
        rc = predict_line(&p, buf, (size_t)len, stdout);
        fflush(stdout);
        if (!rc && ferror(stdout)) {
            fprintf(stderr, "seqnn predict: write error on the output\n");
            rc = 1;
        }
    }
    if (!rc && ferror(in)) {
        fprintf(stderr, "seqnn predict: %s: read error\n", data);
        rc = 1;
    }
    free(buf);
    free(p.ids);
    free(p.feats);
    free(p.out);
    if (in != stdin)
        fclose(in);
    cli_loaded_free(&p.l);
    return rc;
}

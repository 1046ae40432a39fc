/* `seqnn generate` (continue a prime with a language model, or translate
 * one input with an encoder-decoder) and the decoding that `seqnn predict`
 * and `seqnn train`'s closing sample share with it (generate.h). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "checkpoint.h"
#include "cli.h"
#include "cli_error.h"
#include "generate.h"

/* ------------------------------------------------------------- options --- */
void cli_decode_opts_init(cli_decode_opts *o)
{
    memset(o, 0, sizeof *o);
    o->length = 500;
    o->top_p = 1.0;
    o->length_norm = 1.0;
}

int cli_decode_opt(int argc, char **argv, int *i, cli_decode_opts *o)
{
    const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    int ok;
    int64_t seed = 0;
    if (!strcmp(a, "--length"))
        ok = (o->has_length = cli_parse_i64(a, v, 1, &o->length));
    else if (!strcmp(a, "--temperature"))
        ok = (o->has_temperature = cli_parse_f64(a, v, 0, &o->temperature));
    else if (!strcmp(a, "--top-k"))
        ok = (o->has_top_k = cli_parse_i64(a, v, 1, &o->top_k));
    else if (!strcmp(a, "--top-p"))
        ok = (o->has_top_p = cli_parse_f64(a, v, 0, &o->top_p));
    else if (!strcmp(a, "--beam"))
        ok = (o->has_beam = cli_parse_i64(a, v, 1, &o->beam));
    else if (!strcmp(a, "--length-norm"))
        ok = (o->has_length_norm = cli_parse_f64(a, v, 0, &o->length_norm));
    else if (!strcmp(a, "--seed"))
        ok = (o->has_seed = cli_parse_i64(a, v, 0, &seed));
    else
        return 0;
    if (!ok)
        return -1;
    if (o->has_seed)
        o->seed = (uint64_t)seed;
    (*i)++;
    return 1;
}

/* A seed nobody gave: from /dev/urandom, else the clock and the process. */
static uint64_t random_seed(void)
{
    uint64_t x = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(&x, sizeof x, 1, f) != 1)
        x = (uint64_t)time(NULL) * 6364136223846793005ull ^ (uint64_t)getpid();
    if (f)
        fclose(f);
    return x % 1000000000u;              /* short enough to retype */
}

int cli_decode_finish(cli_decode_opts *o, int translation, const char *cmd)
{
    if (o->length > CLI_MAX_LENGTH) {
        fprintf(stderr, "%s: --length %lld is more than the most, %d tokens\n", cmd, (long long)o->length,
                CLI_MAX_LENGTH);
        return 2;
    }
    if (o->beam > 256) {
        fprintf(stderr, "%s: --beam %lld is more than the most, 256\n", cmd, (long long)o->beam);
        return 2;
    }
    if (o->has_top_p && !(o->top_p > 0 && o->top_p <= 1)) {
        fprintf(stderr, "%s: --top-p needs a probability in (0, 1]\n", cmd);
        return 2;
    }
    int beam = o->has_beam;              /* --beam 1 is greedy search */
    if (beam && (o->has_temperature || o->has_top_k || o->has_top_p || o->has_seed)) {
        fprintf(stderr, "%s: --beam searches for the likeliest output; --%s does not apply (it samples)\n", cmd,
                o->has_temperature ? "temperature" : o->has_top_k ? "top-k" : o->has_top_p ? "top-p" : "seed");
        return 2;
    }
    if (o->has_length_norm && o->beam < 2) {
        fprintf(stderr, "%s: --length-norm ranks the hypotheses of --beam K (K > 1); it does not apply without\n",
                cmd);
        return 2;
    }
    if (!o->has_temperature)
        o->temperature = beam || translation ? 0.0 : 0.8;
    if (o->temperature == 0 && (o->has_top_k || o->has_top_p || o->has_seed)) {
        fprintf(stderr, "%s: --%s applies to sampling (--temperature > 0); %s decodes greedily\n", cmd,
                o->has_top_k ? "top-k" : o->has_top_p ? "top-p" : "seed",
                o->has_temperature ? "--temperature 0" : "a translation model by default");
        return 2;
    }
    if (o->temperature > 0 && !o->has_seed)
        o->seed = random_seed();
    return 0;
}

void cli_decode_announce(const cli_decode_opts *o, const char *cmd)
{
    if (o->temperature > 0 && !o->has_seed)
        fprintf(stderr, "%s: seed %llu (--seed %llu repeats this output)\n", cmd, (unsigned long long)o->seed,
                (unsigned long long)o->seed);
}

seqnn_decode_config cli_decode_config(const cli_decode_opts *o, int32_t eos)
{
    seqnn_decode_config c;
    seqnn_decode_defaults(&c);
    c.temperature = o->temperature;
    c.top_k = o->top_k;
    c.top_p = o->top_p;
    c.beam = o->beam;
    c.length_alpha = o->length_norm;
    c.seed = o->seed;
    c.eos = eos;
    return c;
}

/* --------------------------------------------------------------- tokens --- */
int64_t cli_text_ids(const cli_vocab *v, const char *text, size_t n, int words, int32_t unk, int32_t *ids,
                     const char *cmd, const char *what)
{
    int64_t k = 0, unknown = 0;
    size_t pos = 0, b, l;
    char shown[200] = "";
    size_t used = 0;
    while (cli_next_token(text, n, &pos, words, &b, &l)) {
        int64_t id = cli_vocab_find(v, text + b, l);
        if (id < 0) {
            if (unknown++ < 8 && used + 4 * l + 8 < sizeof shown) {
                used += (size_t)snprintf(shown + used, sizeof shown - used, "%s'", used ? ", " : "");
                for (size_t j = 0; j < l; j++) {   /* bytes a terminal would not show as such in \xHH */
                    unsigned char c = (unsigned char)text[b + j];
                    used += (size_t)snprintf(shown + used, sizeof shown - used, c < 0x20 || c > 0x7e ? "\\x%02x"
                                             : "%c", c);
                }
                used += (size_t)snprintf(shown + used, sizeof shown - used, "'");
            }
            if (unk < 0)
                continue;
            id = unk;
        }
        ids[k++] = (int32_t)id;
    }
    if (unknown && what)
        fprintf(stderr, "%s: warning: %lld %s of %s %s not in the model's vocabulary (%s%s); %s\n", cmd,
                (long long)unknown, words ? "words" : "characters", what, unknown == 1 ? "is" : "are", shown,
                unknown > 8 ? ", ..." : "", unk < 0 ? "skipped" : "read as <unk>");
    return k;
}

void cli_print_escaped(FILE *f, const char *s, size_t n, int mode)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (mode == CLI_RAW) {
            fputc(c, f);
        } else if (c == '\\' || (mode == CLI_JSON && c == '"')) {
            fputc('\\', f);
            fputc(c, f);
        } else if (c == '\n' || c == '\t' || c == '\r') {
            fputc('\\', f);
            fputc(c == '\n' ? 'n' : c == '\t' ? 't' : 'r', f);
        } else if (mode == CLI_JSON && c < 0x20) {
            fprintf(f, "\\u%04x", c);
        } else {
            fputc(c, f);
        }
    }
}

void cli_print_tokens(FILE *f, const cli_vocab *v, const int32_t *ids, int64_t n, int64_t after, int mode)
{
    for (int64_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= v->n)
            continue;
        if (!v->chars && i + after > 0)
            fputc(' ', f);
        cli_print_escaped(f, v->tok[ids[i]], strlen(v->tok[ids[i]]), mode);
    }
}

/* ------------------------------------------------------------- decoding --- */
typedef struct printer {
    FILE *f;
    const cli_vocab *v;
    int64_t written;
    int mode;
} printer;

static int print_token(void *user, int32_t tok)
{
    printer *p = user;
    cli_print_tokens(p->f, p->v, &tok, 1, p->written++, p->mode);
    fflush(p->f);
    return ferror(p->f) != 0;            /* a closed pipe stops decoding */
}

int cli_decode_print(seqnn_model *m, const cli_vocab *out_vocab, const int32_t *src, int64_t ns,
                     const int32_t *prime, int64_t np, const cli_decode_opts *o, int32_t eos, FILE *f, int64_t after,
                     int mode)
{
    int32_t *out = malloc((size_t)o->length * sizeof *out);
    if (!out) {
        fprintf(stderr, "seqnn: out of memory\n");
        return 1;
    }
    printer p = {f, out_vocab, after, mode};
    seqnn_decode_config c = cli_decode_config(o, eos);
    c.on_token = print_token;
    c.user = &p;
    int64_t n;
    int rc = seqnn_model_decode(m, src, ns, prime, np, o->length, &c, out, &n, NULL) != SEQNN_OK
                 ? cli_fail("decode")
                 : 0;
    free(out);
    return rc;
}

/* Continues prime (unknown tokens skipped with a warning; when none is
 * left, from a newline, or id 0) with a language model: the prime's tokens,
 * then the generated ones as they come, then a newline, to f. */
static int continue_prime(seqnn_model *m, const cli_vocab *v, const char *prime, int words,
                          const cli_decode_opts *o, const char *cmd, FILE *f)
{
    int32_t *ids = malloc((strlen(prime ? prime : "") + 1) * sizeof *ids);
    if (!ids) {
        fprintf(stderr, "seqnn: out of memory\n");
        return 1;
    }
    int64_t np = prime ? cli_text_ids(v, prime, strlen(prime), words, -1, ids, cmd, "--prime") : 0, shown = np;
    if (np == 0) {                       /* start after a newline when the vocabulary has one */
        int64_t nl = cli_vocab_find(v, "\n", 1);
        ids[np++] = (int32_t)(nl >= 0 ? nl : 0);
    }
    cli_print_tokens(f, v, ids, shown, 0, CLI_RAW);
    int rc = cli_decode_print(m, v, NULL, 0, ids, np, o, -1, f, shown, CLI_RAW);
    fputc('\n', f);
    free(ids);
    return rc;
}

int cli_sample_text(seqnn_model *m, const cli_vocab *v, const char *prime, int64_t n, double temperature,
                    uint64_t seed, FILE *f)
{
    cli_decode_opts o;
    cli_decode_opts_init(&o);
    o.length = n;
    o.temperature = temperature;
    o.seed = seed;
    return continue_prime(m, v, prime, !v->chars, &o, "seqnn", f);
}

/* ------------------------------------------------------------ generate --- */
static void generate_usage(FILE *f)
{
    fprintf(f,
            "usage: seqnn generate CHECKPOINT [options]\n"
            "  language models (format text): continue --prime; translation models: decode --input\n"
            "  --prime TEXT        language models: the text to continue (default: a newline)\n"
            "  --input TEXT        translation models: the source to translate (required)\n"
            "  --attention CSV     translation, greedy: the first attention layer's weights (default: none),\n"
            "                      for seqnn plot\n"
            "  --length N          most tokens generated (default 500, at most %d)\n"
            "  --temperature T     sample softmax(logits / T); 0: greedy (default 0.8 language models,\n"
            "                      0 translation)\n"
            "  --top-k K           sample among the K likeliest tokens only (default: all)\n"
            "  --top-p P           ... then the smallest set with probability >= P (default 1: all)\n"
            "  --seed N            the seed of the samples (default: random, printed to stderr)\n"
            "  --beam K            beam search over K hypotheses instead of sampling (default: none)\n"
            "  --length-norm A     beam: rank hypotheses by log p / tokens^A (default 1; 0: log p)\n"
            "  --backend SPEC      as SEQNN_BACKEND (default: best)\n",
            CLI_MAX_LENGTH);
}

/* A translation of one input (streamed), or with csv the greedy one and its
 * attention weights. */
static int generate_translation(cli_loaded *l, const char *input, const char *csv, const cli_decode_opts *o)
{
    if (csv)
        return cli_translate_attention(l->model, &l->src, &l->tgt, l->words, input, o->length, csv, stdout);
    size_t n = strlen(input);
    int32_t *ids = malloc((n + 1) * sizeof *ids), bos = CLI_BOS;
    if (!ids) {
        fprintf(stderr, "seqnn: out of memory\n");
        return 1;
    }
    int64_t ns = cli_text_ids(&l->src, input, n, l->words, CLI_UNK, ids, "seqnn generate", "--input");
    int rc = 0;
    if (ns == 0) {
        fprintf(stderr, "seqnn generate: --input has no tokens\n");
        rc = 2;
    } else {
        rc = cli_decode_print(l->model, &l->tgt, ids, ns, &bos, 1, o, CLI_EOS, stdout, 0, CLI_RAW);
        fputc('\n', stdout);
    }
    free(ids);
    return rc;
}

/* What does not apply to a checkpoint of this format: 0, or 2 after a message. */
static int generate_applies(const cli_loaded *l, const char *prime, const char *input, const char *attention,
                            const cli_decode_opts *o)
{
    const char *cmd = "seqnn generate";
    int text = !strcmp(l->format, "text"), translate = !strcmp(l->format, "translate");
    if (!text && !translate) {
        fprintf(stderr, "%s: a %s model does not generate; use seqnn predict\n", cmd, l->format);
        return 2;
    }
    if (text && (input || attention)) {
        fprintf(stderr, "%s: %s is for translation models; this is a language model (format text): "
                        "use --prime TEXT\n", cmd, input ? "--input" : "--attention");
        return 2;
    }
    if (translate && prime) {
        fprintf(stderr, "%s: --prime is for language models; give a translation model its source with "
                        "--input TEXT\n", cmd);
        return 2;
    }
    if (translate && !input) {
        fprintf(stderr, "%s: a translation model needs --input TEXT\n", cmd);
        return 2;
    }
    if (attention && (o->beam > 1 || o->temperature > 0)) {
        fprintf(stderr, "%s: --attention shows greedy decoding's weights; it does not apply with %s\n", cmd,
                o->beam > 1 ? "--beam" : "sampling (--temperature > 0)");
        return 2;
    }
    return 0;
}

int seqnn_cli_generate(int argc, char **argv)
{
    const char *ckpt = NULL, *prime = NULL, *backend = NULL, *input = NULL, *attention = NULL;
    cli_decode_opts o;
    cli_decode_opts_init(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r = cli_decode_opt(argc, argv, &i, &o);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            generate_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--prime") && v) prime = argv[++i];
        else if (!strcmp(a, "--input") && v) input = argv[++i];
        else if (!strcmp(a, "--attention") && v) attention = argv[++i];
        else if (!strcmp(a, "--backend") && v) backend = argv[++i];
        else if (a[0] != '-' && !ckpt) ckpt = a;
        else {
            fprintf(stderr, "seqnn generate: %s '%s'\n", a[0] == '-' ? "unknown option (or no value)" : "extra argument", a);
            generate_usage(stderr);
            return 2;
        }
    }
    if (!ckpt) {
        generate_usage(stderr);
        return 2;
    }
    cli_loaded l;
    if (cli_load_checkpoint(ckpt, backend, &l))
        return 1;
    int translate = !strcmp(l.format, "translate");
    int rc = cli_decode_finish(&o, translate, "seqnn generate");
    if (!rc)
        rc = generate_applies(&l, prime, input, attention, &o);
    if (!rc)
        cli_decode_announce(&o, "seqnn generate");
    if (!rc && translate) {
        rc = generate_translation(&l, input, attention, &o);
    } else if (!rc) {
        rc = continue_prime(l.model, &l.src, prime, l.words, &o, "seqnn generate", stdout);
    }
    cli_loaded_free(&l);
    return rc;
}

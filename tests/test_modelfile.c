/* Model files (frontend/modelfile.c): good files give the expected models
 * (checked through the summary and, built on the ref plugin, the parameter
 * names and shapes) and training configurations; every kind of bad file gets
 * SEQNN_ERR_FORMAT and a "file:line: message" naming the problem, with *out
 * NULL and cfg untouched. Also parses and builds every ```model block of
 * docs/model-files.md (argv[1]) and the model files named after it (the
 * examples). Writes its temporary files to $TMPDIR. */
#define _POSIX_C_SOURCE 200809L
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "seqnn/modelfile.h"

static int failures;

#define EXPECT(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } else { printf("ok   "); printf(__VA_ARGS__); printf("\n"); } } while (0)

static const seqnn_modelfile_var vars[] = {{"vocab", 50}, {"classes", 3}, {"src_vocab", 20}, {"tgt_vocab", 12}};
#define N_VARS 4

static seqnn_context *ctx;

/* ------------------------------------------------------------- bad files --- */
/* text must fail with status want and a message starting "t.model:LINE: "
 * and containing needle; *out NULL and cfg untouched. */
static void bad_vars(const char *text, size_t size, const seqnn_modelfile_var *v, int nv,
                     seqnn_status want, int line, const char *needle)
{
    seqnn_model *m = (seqnn_model *)&failures;          /* must be overwritten with NULL */
    seqnn_train_config cfg, before;
    memset(&cfg, 0xA5, sizeof cfg);
    memcpy(&before, &cfg, sizeof cfg);
    seqnn_status s = seqnn_modelfile_parse(text, size, "t.model", v, nv, &m, &cfg);
    char prefix[64];
    if (line > 0)
        snprintf(prefix, sizeof prefix, "t.model:%d: ", line);
    else
        snprintf(prefix, sizeof prefix, "t.model: ");
    const char *msg = seqnn_last_error();
    int ok = s == want && !strncmp(msg, prefix, strlen(prefix)) && strstr(msg, needle) && m == NULL &&
             !memcmp(&cfg, &before, sizeof cfg);
    char shown[80];
    size_t n = strcspn(text, "\n");
    snprintf(shown, sizeof shown, "%.*s", (int)(n < 60 ? n : 60), text);
    EXPECT(ok, "bad [%s...] -> %s \"%s\"%s", shown, seqnn_status_name(s), msg,
           m ? " (out not NULL)" : "");
    if (s == SEQNN_OK)
        seqnn_model_destroy(m);
}

static void bad(const char *text, int line, const char *needle)
{
    bad_vars(text, strlen(text), vars, N_VARS, SEQNN_ERR_FORMAT, line, needle);
}

#define HEAD "seqnn 1\ninput tokens vocab=50\n"
#define LM HEAD "embedding dim=8\n"

static void test_bad_files(void)
{
    /* structure */
    bad("", 1, "empty model file");
    bad("# nothing here\n\n   \t\n", 1, "empty model file");
    bad("input tokens vocab=5\nembedding dim=4\n", 1, "expected 'seqnn 1' (the format version) as the first statement, got 'input'");
    bad("seqnn 2\n", 1, "unsupported format version");
    bad("seqnn one\n", 1, "unsupported format version");
    bad("seqnn\n", 1, "seqnn: expected the format version ('seqnn 1')");
    bad("seqnn 1 extra\n", 1, "unexpected 'extra'");
    bad("seqnn 1\nseqnn 1\n", 2, "a second 'seqnn' statement (the first is at line 1)");
    bad(HEAD "input tokens vocab=5\n", 3, "input: a second input needs a name (name=...; the first is at line 2)");
    bad("seqnn 1\n\nembedding dim=4\ninput tokens vocab=5\n", 3, "'embedding' before the input statement");
    bad("seqnn 1\ndecoder vocab=4\n", 2, "'decoder' before the input statement");
    bad("seqnn 1\nloss xent\n", 2, "no input statement");
    bad(HEAD "loss xent\n", 3, "the model has no layers");
    bad(HEAD "decoder vocab=5\n", 3, "decoder: the encoder has no layers");
    bad(LM "lstm hidden=4\ndecoder vocab=5\nembedding dim=4\ndecoder vocab=5\n", 7,
        "a second 'decoder' statement (the first is at line 5)");
    bad(LM "lstm hidden=4\ndecoder vocab=5\n\n# only a comment\n", 5, "decoder: no layers after it");
    bad(LM "loss xent\nloss mse\n", 5, "a second 'loss' statement (the first is at line 4)");
    bad(LM "optimizer sgd\noptimizer adam\n", 5, "a second 'optimizer'");
    bad(LM "train batch=4\ntrain epochs=2\n", 5, "a second 'train'");
    bad(LM "lstm hidden=4\n" "a b c d e f g h i j k l m n o p q r s t u v w x y z 1 2 3 4 5 6 7\n", 5,
        "more than 32 words on one line");

    /* statements, keys, values */
    bad(LM "lstn hidden=4\n", 4, "unknown statement 'lstn' (did you mean 'lstm'?)");
    bad(LM "transformer layers=6\n", 4, "unknown statement 'transformer' (statements: seqnn, input,");
    bad(LM "lstm hiden=4\n", 4, "lstm: unknown key 'hiden' (did you mean 'hidden'?)");
    bad(LM "lstm hidden=4 act=relu\n", 4, "lstm: unknown key 'act' (keys: name, hidden, layers,");
    bad(LM "loss xent weight=2\n", 4, "loss: unknown key 'weight' (did you mean 'weights'?)");
    bad(LM "loss mse weights=1,2\n", 4, "'weights' does not apply here (only to xent)");
    bad(LM "loss xent weights=1,,2\n", 4, "an empty or overlong item in the list");
    bad(LM "loss xent smoothing=1.5\n", 4, "smoothing");
    bad(LM "schedule cosine step_size=3\n", 4, "'step_size' does not apply here (only to step)");
    bad(LM "schedule step gamma=0\n", 4, "gamma");
    bad(LM "lstm layers=2\n", 4, "lstm: missing hidden=");
    bad(LM "lstm hidden=4 proj=4\n", 4, "lstm variant: proj 4 must be 0 (none) or in [1, hidden = 4)");
    bad(LM "lstm hidden=4 proj=0\n", 4, "lstm: proj=0");
    bad(LM "gru hidden=4 peephole=1\n", 4, "gru: unknown key 'peephole'");
    bad(LM "lstm hidden=4 coupled=2\n", 4, "lstm: coupled=2");
    bad(HEAD "embedding\n", 3, "embedding: missing dim=");
    bad("seqnn 1\ninput tokens\n", 2, "input tokens: missing vocab=");
    bad("seqnn 1\ninput features vocab=4\n", 2, "input features: 'vocab' does not apply here (only to tokens)");
    bad("seqnn 1\ninput vocab=4\n", 2, "input: expected one of tokens, features after 'input'");
    bad("seqnn 1\ninput words vocab=4\n", 2, "input: unknown kind 'words' (one of: tokens, features)");
    bad(LM "dense 5\n", 4, "dense: expected key=value, got '5'");
    bad(LM "dense =5\n", 4, "dense: expected key=value, got '=5'");
    bad(LM "dense out=\n", 4, "dense: out= has no value");
    bad(LM "dense out=3 out=4\n", 4, "dense: 'out' given twice");
    bad(LM "lstm hidden=4 bidirectional=2\n", 4, "lstm: bidirectional=2: must be 0 or 1");
    bad(LM "lstm hidden=4 last=yes\n", 4, "lstm: last=yes: must be 0 or 1");
    bad(LM "gru hidden=4 bidirectional=1 reverse=1\n", 4, "reverse is one direction (not with bidirectional)");
    bad(LM "lstm hidden=4 peephole=1 reverse=1\n", 4, "lstm: reverse=1 applies to the plain cells");
    bad(LM "lstm hidden=4 init=random\n", 4, "lstm: init=random: unknown value (one of: default, xavier, orthogonal, identity)");
    bad(LM "lstm hidden=4 init=xavir\n", 4, "did you mean 'xavier'?");
    bad(LM "rnn hidden=4 act=sigmoid\n", 4, "rnn: act=sigmoid: unknown value (one of: tanh, relu)");
    bad(LM "activation softmax\n", 4, "activation: unknown kind 'softmax' (one of: sigmoid, tanh, hardtanh, relu, leaky_relu, swish)");
    bad(LM "activation relu alpha=0.1\n", 4, "activation relu: 'alpha' does not apply here (only to leaky_relu)");
    bad(LM "activation\n", 4, "activation: expected one of sigmoid, tanh,");
    bad(LM "conv1d_bank filters=4 widths=3 act=leaky_relu\n", 4, "act=leaky_relu: unknown value");
    bad(LM "loss nll\n", 4, "loss: unknown kind 'nll' (one of: xent, mse, bce)");
    bad(LM "optimizer adamax\n", 4, "optimizer: unknown kind 'adamax'");
    bad(LM "optimizer sgd beta1=0.9\n", 4, "optimizer sgd: 'beta1' does not apply here (only to adam, adamw)");
    bad(LM "optimizer adam momentum=0.9\n", 4, "'momentum' does not apply here (only to sgd, rmsprop)");
    bad(LM "optimizer adagrad eps=1e-8 lr_decay=x\n", 4, "optimizer: lr_decay=x: not a number");
    bad(LM "optimizer sgd nesterov=1\n", 4, "nesterov=1 needs momentum > 0 and dampening=0");
    bad(LM "optimizer sgd lr=0\n", 4, "optimizer: lr=0: must be greater than 0");
    bad(LM "optimizer rmsprop alpha=1.5\n", 4, "optimizer: alpha=1.5: must be in [0, 1]");
    bad(LM "optimizer adam beta2=1\n", 4, "optimizer: beta2=1: must be in [0, 1)");
    bad(LM "train batch=0\n", 4, "train: batch=0: must be between 1 and 2147483647");
    bad(LM "train val=1\n", 4, "train: val=1: must be in [0, 1)");
    bad(LM "train time=-1\n", 4, "train: time=-1: must be at least 0");
    bad(LM "train seed=-1\n", 4, "train: seed=-1: not an unsigned integer");
    bad(LM "train seed=18446744073709551616\n", 4, "train: seed=18446744073709551616: out of range (overflows 64 bits)");
    bad(LM "train steps=9223372036854775808\n", 4, "train: steps=9223372036854775808: out of range (overflows 64 bits)");

    /* numbers */
    bad(LM "dense out=12x\n", 4, "dense: out=12x: not an integer");
    bad(LM "dense out=1.5\n", 4, "dense: out=1.5: not an integer");
    bad(LM "dense out=+3\n", 4, "dense: out=+3: not an integer");
    bad(LM "dense out=0x10\n", 4, "dense: out=0x10: not an integer");
    bad(LM "dense out=-\n", 4, "dense: out=-: not an integer");
    bad(LM "dense out=99999999999999999999\n", 4, "dense: out=99999999999999999999: out of range (overflows 64 bits)");
    bad(LM "dense out=3000000000\n", 4, "dense: out=3000000000: must be between 1 and 2147483647");
    bad(LM "lstm hidden=-5\n", 4, "lstm: hidden=-5: must be between 1 and");
    bad(LM "lstm hidden=0\n", 4, "lstm: hidden=0: must be between 1 and");
    bad(HEAD "embedding dim=8 padding=-1\n", 3, "embedding: padding=-1: must be between 0 and");
    bad(HEAD "embedding dim=8 padding=50\n", 3, "embedding: padding=50: must be below the vocabulary size 50");
    bad(LM "dropout p=1\n", 4, "dropout: p=1: must be in [0, 1)");
    bad(LM "dropout p=-0.1\n", 4, "dropout: p=-0.1: must be in [0, 1)");
    bad(LM "dropout p=0.5.5\n", 4, "dropout: p=0.5.5: not a number");
    bad(LM "dropout p=nan\n", 4, "dropout: p=nan: not a number");
    bad(LM "dropout p=inf\n", 4, "dropout: p=inf: not a number");
    bad(LM "dropout p=.\n", 4, "dropout: p=.: not a number");
    bad(LM "dropout p=1e\n", 4, "dropout: p=1e: not a number");
    bad(LM "dropout p=0,5\n", 4, "dropout: p=0,5: not a number");
    bad(LM "activation leaky_relu alpha=1e999\n", 4, "activation: alpha=1e999: out of range (overflows a double)");
    bad(LM "conv1d_bank filters=4 widths=3,,5\n", 4, "conv1d_bank: widths: empty item in the list");
    bad(LM "conv1d_bank filters=4 widths=3,\n", 4, "conv1d_bank: widths: empty item in the list");
    bad(LM "conv1d_bank filters=4 widths=3,x\n", 4, "conv1d_bank: widths=x: not an integer");
    bad(LM "conv1d_bank filters=4 widths=3,0\n", 4, "conv1d_bank: widths=0: must be between 1 and 4096");
    bad(LM "conv1d_bank filters=4 widths=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17\n", 4,
        "conv1d_bank: widths: more than 16 items");
    bad(LM "conv1d_bank widths=3\n", 4, "conv1d_bank: missing filters=");
    {
        char longword[200];
        memset(longword, 'x', sizeof longword);
        memcpy(longword, LM "dense out=", strlen(LM "dense out="));
        longword[sizeof longword - 1] = '\0';
        bad(longword, 4, "xxx...: not an integer");        /* long words are cut in messages */
    }

    /* variables */
    bad(LM "dense out=$clases\n", 4, "dense: out=$clases: $clases is not defined (defined: $vocab, $classes, $src_vocab, $tgt_vocab)");
    bad_vars(LM "dense out=$vocab\n", strlen(LM "dense out=$vocab\n"), NULL, 0, SEQNN_ERR_FORMAT, 4,
             "$vocab is not defined (no variables are; the seqnn CLI defines vocab, classes, src_vocab and tgt_vocab");
    bad(LM "dense out=$\n", 4, "dense: out=$: a variable is '$' and a name");
    bad(LM "dense out=$9a\n", 4, "dense: out=$9a: a variable is '$' and a name");
    bad(LM "dense out=$vocab+1\n", 4, "a variable is '$' and a name");
    {
        const seqnn_modelfile_var zero[] = {{"classes", 0}, {"neg", -3}};
        const char *t = LM "dense out=$classes\n";
        bad_vars(t, strlen(t), zero, 2, SEQNN_ERR_FORMAT, 4, "dense: out=$classes (= 0): must be between 1 and");
        t = LM "train seed=$neg\n";
        bad_vars(t, strlen(t), zero, 2, SEQNN_ERR_FORMAT, 4, "train: seed=$neg (= -3): must not be negative");
        t = "seqnn 1\ninput tokens vocab=$neg\n";
        bad_vars(t, strlen(t), zero, 2, SEQNN_ERR_FORMAT, 2, "input: vocab=$neg (= -3): must be between 1");
    }

    /* layer order and shapes the parser knows */
    bad("seqnn 1\ninput features dim=4\nembedding dim=8\n", 3, "'embedding' turns token ids into vectors, but the input is features");
    bad(LM "embedding dim=8\n", 4, "'embedding' turns token ids into vectors, but its input here is already vectors");
    bad(HEAD "lstm hidden=4\n", 3, "'lstm' needs vectors but gets token ids here: put an 'embedding dim=N' line before it");
    bad(LM "gru hidden=4\ndecoder vocab=5\ndense out=5\n", 6, "'dense' needs vectors but gets token ids");
    bad(LM "attention encoder=1\n", 4, "attention: encoder=1 attends over the encoder's outputs from a decoder");
    bad(LM "gru hidden=4\ndecoder vocab=5\nembedding dim=4\nattention encoder=1 causal=1\n", 7,
        "attention: causal=1 is for self-attention");
    bad(LM "attention score=dot attn_dim=4\n", 4, "attention: attn_dim applies to score=additive only");
    bad(LM "lstm hidden=4 dropout=0.3\n", 4, "dropout=0.3 acts between stacked layers and layers=1 has none: add a 'dropout p=0.3' line");

    /* text */
    static const char nul[] = "seqnn 1\ninput tokens vocab=5\nemb\0dding dim=4\n";
    bad_vars(nul, sizeof nul - 1, vars, N_VARS, SEQNN_ERR_FORMAT, 3, "binary data (a NUL byte at offset 32): a model file is text");
    static const char bin[] = "\x7f" "ELF\x02\x01\x01\0\0\0";
    bad_vars(bin, sizeof bin - 1, vars, N_VARS, SEQNN_ERR_FORMAT, 1, "control character 0x7f at offset 0 (binary data?)");
    bad(LM "dense\x01 out=3\n", 4, "control character 0x01");
    bad(LM "dense out=3\x1b[0m\n", 4, "control character 0x1b");
    bad(LM "dense out=5 \xc3\xa9t\xc3\xa9\n", 4, "dense: expected key=value, got '\xc3\xa9t\xc3\xa9'");

    /* errors of the model API come with the file and line too */
    bad(LM "lstm hidden=4 layers=17\n", 4, "lstm");
    bad(LM "dense name=a-b out=3\n", 4, "dense");
    bad(LM "dense name=x out=3\ndense name=x out=4\n", 5, "dense");
    bad(LM "attention score=bilinear heads=2\n", 4, "attention");

    /* arguments */
    seqnn_model *m = (seqnn_model *)&failures;
    seqnn_status s = seqnn_modelfile_parse(NULL, 5, "t.model", NULL, 0, &m, NULL);
    EXPECT(s == SEQNN_ERR_INVALID_ARG && m == NULL, "NULL text -> %s \"%s\"", seqnn_status_name(s), seqnn_last_error());
    s = seqnn_modelfile_parse("seqnn 1\n", 8, "t.model", NULL, 0, NULL, NULL);
    EXPECT(s == SEQNN_ERR_INVALID_ARG, "NULL out -> %s \"%s\"", seqnn_status_name(s), seqnn_last_error());
    bad_vars(LM, strlen(LM), NULL, 2, SEQNN_ERR_INVALID_ARG, 0, "bad variables");
    bad_vars(LM, strlen(LM), vars, -1, SEQNN_ERR_INVALID_ARG, 0, "bad variables");
    const seqnn_modelfile_var twice[] = {{"vocab", 5}, {"vocab", 6}};
    bad_vars(LM, strlen(LM), twice, 2, SEQNN_ERR_INVALID_ARG, 0, "variable 'vocab' given twice");
    const seqnn_modelfile_var unnamed[] = {{NULL, 5}};
    bad_vars(LM, strlen(LM), unnamed, 1, SEQNN_ERR_INVALID_ARG, 0, "variable 0 has no name");
    size_t big = (1u << 20) + 1;
    char *huge = malloc(big);
    if (huge) {
        memset(huge, '\n', big);
        memcpy(huge, "seqnn 1", 7);
        bad_vars(huge, big, vars, N_VARS, SEQNN_ERR_FORMAT, 0, "1048577 bytes: too large for a model file (limit 1048576 bytes)");
        free(huge);
    }
}

/* ------------------------------------------------------------ good files --- */
static seqnn_model *good_vars(const char *text, const seqnn_modelfile_var *v, int nv, seqnn_train_config *cfg,
                              const char *what)
{
    seqnn_model *m = NULL;
    seqnn_status s = seqnn_modelfile_parse(text, strlen(text), "good.model", v, nv, &m, cfg);
    EXPECT(s == SEQNN_OK && m != NULL, "%s parses (%s \"%s\")", what, seqnn_status_name(s),
           s == SEQNN_OK ? "" : seqnn_last_error());
    return s == SEQNN_OK ? m : NULL;
}

static seqnn_model *good(const char *text, seqnn_train_config *cfg, const char *what)
{
    return good_vars(text, vars, N_VARS, cfg, what);
}

/* The model's summary (before building) lists these "name kind" pairs in order. */
static void expect_layers(const seqnn_model *m, const char *what, ...)
{
    char sum[4096];
    if (seqnn_model_summary(m, sum, sizeof sum) != SEQNN_OK) {
        EXPECT(0, "%s: summary: %s", what, seqnn_last_error());
        return;
    }
    va_list ap;
    va_start(ap, what);
    const char *at = sum;
    int ok = 1;
    for (const char *name; ok && (name = va_arg(ap, const char *));) {
        const char *kind = va_arg(ap, const char *);
        char want[128];
        const char *hit = strstr(at, name);
        ok = hit && (hit == sum || hit[-1] == '\n');
        if (ok) {
            const char *eol = strchr(hit, '\n');
            snprintf(want, sizeof want, " %s ", kind);
            const char *k = strstr(hit, want);
            ok = k && (!eol || k < eol);
            at = eol ? eol + 1 : hit;
        }
    }
    va_end(ap);
    EXPECT(ok, "%s: layers in order%s%s", what, ok ? "" : ":\n", ok ? "" : sum);
}

/* After building on ref: parameter `name` has this shape (ndim values). */
static void expect_param(const seqnn_model *m, const char *name, int ndim, ...)
{
    int64_t want[4] = {0};
    va_list ap;
    va_start(ap, ndim);
    for (int i = 0; i < ndim; i++)
        want[i] = va_arg(ap, int64_t);
    va_end(ap);
    seqnn_param_info info;
    for (int64_t i = 0; i < seqnn_model_param_count(m); i++) {
        if (seqnn_model_param(m, i, &info) != SEQNN_OK || strcmp(info.name, name))
            continue;
        int ok = info.ndim == ndim;
        for (int d = 0; ok && d < ndim; d++)
            ok = info.shape[d] == want[d];
        EXPECT(ok, "param %s: ndim %d [%lld %lld %lld]", name, info.ndim, (long long)info.shape[0],
               (long long)(info.ndim > 1 ? info.shape[1] : 0), (long long)(info.ndim > 2 ? info.shape[2] : 0));
        return;
    }
    EXPECT(0, "param %s exists", name);
}

/* Layer kinds the frontend does not implement yet build with
 * SEQNN_ERR_UNSUPPORTED: reported as skipped, their parameters not checked. */
static int pending(seqnn_status s, const char *what)
{
    if (s != SEQNN_ERR_UNSUPPORTED || !strstr(seqnn_last_error(), "not implemented yet"))
        return 0;
    printf("skip %s: %s\n", what, seqnn_last_error());
    return 1;
}

static int build(seqnn_model *m, const char *what, int want_seq, int64_t want_n)
{
    seqnn_status s = seqnn_model_build(m, ctx, 1);
    if (pending(s, what))
        return 0;
    EXPECT(s == SEQNN_OK, "%s builds on ref (%s)", what, s == SEQNN_OK ? "" : seqnn_last_error());
    int seq = -1;
    int64_t n = -1;
    if (s == SEQNN_OK)
        seqnn_model_output_shape(m, &seq, &n);
    EXPECT(seq == want_seq && n == want_n, "%s: output %s %lld", what, seq ? "[T, B, n]" : "[B, n]", (long long)n);
    return s == SEQNN_OK;
}

/* ------------------------------------------------------------ graphs --- */
#define QA_INPUTS "seqnn 1\ninput tokens name=question vocab=50\ninput features name=scene dim=6\n"
static void test_graph_files(void)
{
    /* unknown names, cycles, shape mismatches: each at the line of the layer concerned */
    bad(LM "lstm hidden=4 last=1\ndense out=3 from=nope\n", 5, "from: unknown name 'nope'");
    bad(LM "dense name=a out=8 from=b\nadd name=b from=embedding,a\ndense out=3\n", 4,
        "from: a cycle: a <- b <- a");
    bad(LM "dense name=a out=8 from=a\ndense out=3\n", 4, "from: a cycle: 'a' reads itself");
    bad(LM "dense name=a out=4\nadd from=embedding,a\ndense out=3\n", 5,
        "'embedding' has size 8 and 'a' 4: add needs equal sizes");
    bad(LM "lstm name=v hidden=8 last=1\nmultiply from=embedding,v\ndense out=3\n", 5,
        "'embedding' is a sequence and 'v' a vector");
    bad(QA_INPUTS "embedding name=q dim=6 from=question\nconcat from=q,scene\ndense out=3\n", 5,
        "'q' runs over input 'question' and 'scene' over input 'scene': sequences of different inputs");
    bad(QA_INPUTS "concat from=question,scene\ndense out=3\n", 4, "'question' is token ids");
    bad(QA_INPUTS "embedding dim=4 from=question\nlstm name=q hidden=4 last=1\nlstm name=s hidden=4 last=1 from=scene\ndense out=3 from=q\n",
        6, "nothing reads it and it is not the output");
    bad(QA_INPUTS "embedding dim=4 from=scene\ndense out=3\n", 4, "an embedding reads token ids");
    bad(QA_INPUTS "embedding dim=4\ndense out=3\n", 4, "'embedding' turns token ids into vectors, but the input is "
        "features");                     /* a layer reads the node declared just before it: here 'scene' */
    /* the statements themselves */
    bad(LM "dense out=3 from=a,embedding\n", 4, "reads at most 1 node (join several with a concat, add or multiply merge)");
    bad(LM "concat from=embedding\n", 4, "a merge reads at least 2 nodes");
    bad(LM "add\n", 4, "add: missing from=");
    bad(LM "dense out=3 from=embedding from=embedding\n", 4, "'from' given twice");
    bad(LM "dense out=3\nloss xent from=dense\n", 5, "'from' applies to layers only");
    bad(HEAD "input features dim=3\n", 3, "a second input needs a name");
    bad(HEAD "input features name=input dim=3\n", 3, "the name 'input' is used twice");
    bad(HEAD "embedding dim=4\ndecoder vocab=5\nembedding dim=4\ndense out=5 from=embedding\n", 6,
        "an encoder-decoder model is a stack");
    bad(QA_INPUTS "embedding dim=4 from=question\ndecoder vocab=5\nembedding dim=4\ndense out=5\n", 5,
        "an encoder-decoder model has one input (it has 2)");
    bad(QA_INPUTS "embedding dim=4 from=question\nlstm hidden=4\ndense out=3\n", 3, "input 'scene': no layer reads it");

    /* the two-branch model: features -> LSTM, words -> embedding -> LSTM, concat, MLP */
    seqnn_model *m = good(QA_INPUTS "embedding dim=8 from=question\nlstm name=q hidden=5 last=1\n"
                          "lstm name=s hidden=7 last=1 from=scene\nconcat name=both from=q,s\n"
                          "dense name=hid out=16\nactivation relu\ndense name=out out=$classes\n", NULL, "two branches");
    if (m) {
        expect_layers(m, "two branches", "embedding", "embedding", "q", "recurrent", "s", "recurrent", "both", "concat",
                      "hid", "dense", "out", "dense", NULL);
        if (build(m, "two branches", 0, 3)) {
            expect_param(m, "q.weight_ih_l0", 2, (int64_t)20, (int64_t)8);
            expect_param(m, "s.weight_ih_l0", 2, (int64_t)28, (int64_t)6);
            expect_param(m, "hid.weight", 2, (int64_t)16, (int64_t)12);
        }
        seqnn_model_destroy(m);
    }
    /* a forward reference (b, read before its line), fan-out and the element-wise merges */
    m = good(LM "dense name=a out=8 from=b\nlstm name=b hidden=8 from=embedding\nadd name=c from=a,b,embedding\n"
             "multiply name=d from=c,c\ndense out=3\n", NULL, "forward reference and fan-out");
    if (m) {
        if (build(m, "forward reference and fan-out", 1, 3))
            expect_param(m, "a.weight", 2, (int64_t)8, (int64_t)8);
        seqnn_model_destroy(m);
    }
}

static void test_good_files(void)
{
    /* character language model: every train key, comments, CRLF, tabs */
    seqnn_train_config cfg;
    memset(&cfg, 0, sizeof cfg);
    seqnn_model *m = good("# char LM\r\n"
                          "seqnn 1   # version\r\n"
                          "\r\n"
                          "input\ttokens vocab=$vocab\n"
                          "embedding dim=16\n"
                          "  lstm name=rnn hidden=32 layers=2 dropout=0.25 init=orthogonal\n"
                          "dropout p=0.2\n"
                          "dense out=$vocab#logits\n"
                          "loss xent\n"
                          "optimizer adam lr=2e-3 clip=1 beta2=0.99 amsgrad=1 eps=1E-7 weight_decay=0\n"
                          "train batch=8 seq_len=50 epochs=2 steps=100 time=60.5 eval_every=20 patience=3 val=.05 seed=42\n",
                          &cfg, "char LM");
    if (m) {
        EXPECT(cfg.batch == 8 && cfg.seq_len == 50 && cfg.epochs == 2 && cfg.max_steps == 100 &&
               cfg.time_limit == 60.5 && cfg.eval_every == 20 && cfg.patience == 3 && cfg.val_fraction == 0.05 &&
               cfg.seed == 42, "char LM: train line");
        EXPECT(cfg.optim.kind == SEQNN_OPTIM_ADAM && cfg.optim.lr == 2e-3 && cfg.optim.clip_norm == 1 &&
               cfg.optim.beta1 == 0.9 && cfg.optim.beta2 == 0.99 && cfg.optim.amsgrad == 1 &&
               cfg.optim.eps == 1e-7 && cfg.optim.decoupled == 0, "char LM: optimizer line");
        expect_layers(m, "char LM", "embedding", "embedding", "rnn", "recurrent", "dropout", "dropout", "fc", "dense",
                      (const char *)NULL);
        if (build(m, "char LM", 1, 50)) {
            expect_param(m, "embedding.weight", 2, (int64_t)50, (int64_t)16);
            expect_param(m, "rnn.weight_ih_l0", 2, (int64_t)128, (int64_t)16);
            expect_param(m, "rnn.weight_hh_l1", 2, (int64_t)128, (int64_t)32);
            expect_param(m, "rnn.bias_ih_l1", 1, (int64_t)128);
            expect_param(m, "fc.weight", 2, (int64_t)50, (int64_t)32);
        }
        seqnn_model_destroy(m);
    }

    /* defaults: no train or optimizer line; cfg NULL accepted */
    m = good("seqnn 1\ninput tokens vocab=7\nembedding dim=4\ngru hidden=5\ndense out=7\n", &cfg, "defaults");
    if (m) {
        seqnn_train_config d = seqnn_train_config_defaults();
        EXPECT(!memcmp(&cfg, &d, sizeof cfg) && d.batch == 32 && d.seq_len == 100 && d.epochs == 1 &&
               d.val_fraction == 0.1 && d.seed == 1 && d.optim.kind == SEQNN_OPTIM_ADAM && d.optim.lr == 0.001,
               "defaults: cfg is seqnn_train_config_defaults()");
        if (build(m, "defaults", 1, 7)) {
            expect_param(m, "gru.weight_hh_l0", 2, (int64_t)15, (int64_t)5);
        }
        seqnn_model_destroy(m);
    }
    m = good("seqnn 1\ninput tokens vocab=7\nembedding dim=4\ngru hidden=5\ndense out=7\n", NULL, "cfg NULL");
    seqnn_model_destroy(m);

    /* Kim CNN classifier */
    m = good("seqnn 1\ninput tokens vocab=$vocab\nembedding name=emb dim=8 padding=0\n"
             "conv1d_bank filters=4 widths=3,4,5 act=tanh\ndropout p=0.5\ndense out=$classes\n"
             "optimizer adagrad lr_decay=0.01 eps=1e-10\n", &cfg, "Kim CNN");
    if (m) {
        EXPECT(cfg.optim.kind == SEQNN_OPTIM_ADAGRAD && cfg.optim.lr == 0.01 && cfg.optim.lr_decay == 0.01,
               "Kim CNN: adagrad");
        expect_layers(m, "Kim CNN", "emb", "embedding", "convs", "conv1d_bank", "dropout", "dropout", "fc", "dense",
                      (const char *)NULL);
        if (build(m, "Kim CNN", 0, 3)) {
            expect_param(m, "emb.weight", 2, (int64_t)50, (int64_t)8);
            expect_param(m, "convs.2.weight", 3, (int64_t)4, (int64_t)8, (int64_t)5);
            expect_param(m, "fc.weight", 2, (int64_t)3, (int64_t)12);
        }
        seqnn_model_destroy(m);
    }

    /* bidirectional LSTM classifier, many-to-one */
    m = good("seqnn 1\ninput tokens vocab=$vocab\nembedding dim=8\n"
             "lstm hidden=6 bidirectional=1 last=1 init=xavier\ndense out=$classes\nloss xent\n"
             "optimizer adamw lr=0.003\n", &cfg, "BiLSTM");
    if (m) {
        EXPECT(cfg.optim.kind == SEQNN_OPTIM_ADAM && cfg.optim.decoupled == 1 && cfg.optim.weight_decay == 0.01 &&
               cfg.optim.lr == 0.003, "BiLSTM: adamw is Adam with decoupled weight decay 0.01");
        if (build(m, "BiLSTM", 0, 3)) {
            expect_param(m, "lstm.weight_ih_l0_reverse", 2, (int64_t)24, (int64_t)8);
            expect_param(m, "fc.weight", 2, (int64_t)3, (int64_t)12);
        }
        seqnn_model_destroy(m);
    }

    /* LSTM variants: peepholes + projection, bidirectional; coupled gates */
    m = good("seqnn 1\ninput tokens vocab=$vocab\nembedding dim=8\n"
             "lstm hidden=6 bidirectional=1 peephole=1 proj=4\nlstm name=top hidden=5 coupled=1 peephole=1\n"
             "dense out=$classes\n", &cfg, "LSTM variants");
    if (m) {
        if (build(m, "LSTM variants", 1, 3)) {
            expect_param(m, "lstm.weight_ih_l0_reverse", 2, (int64_t)24, (int64_t)8);
            expect_param(m, "lstm.weight_hh_l0", 2, (int64_t)24, (int64_t)4);
            expect_param(m, "lstm.weight_hr_l0_reverse", 2, (int64_t)4, (int64_t)6);
            expect_param(m, "lstm.weight_peephole_l0", 2, (int64_t)3, (int64_t)6);
            expect_param(m, "top.weight_ih_l0", 2, (int64_t)15, (int64_t)8);
            expect_param(m, "top.weight_peephole_l0", 2, (int64_t)2, (int64_t)5);
            expect_param(m, "fc.weight", 2, (int64_t)3, (int64_t)5);
        }
        seqnn_model_destroy(m);
    }

    /* features, relu RNN (IRNN), regression */
    m = good("seqnn 1\ninput features dim=2\nrnn hidden=8 act=relu init=identity last=1\n"
             "dense out=1\nloss mse\noptimizer sgd lr=0.1 momentum=0.9 nesterov=1 weight_decay=1e-4\n"
             "train seed=18446744073709551615 seq_len=0 val=0\n", &cfg, "adding problem");
    if (m) {
        EXPECT(cfg.optim.kind == SEQNN_OPTIM_SGD && cfg.optim.momentum == 0.9 && cfg.optim.nesterov == 1 &&
               cfg.optim.weight_decay == 1e-4 && cfg.seed == UINT64_MAX && cfg.seq_len == 0 &&
               cfg.val_fraction == 0, "adding problem: sgd, seed 2^64-1");
        if (build(m, "adding problem", 0, 1)) {
            expect_param(m, "rnn.weight_ih_l0", 2, (int64_t)8, (int64_t)2);
        }
        seqnn_model_destroy(m);
    }

    /* tagger: GRU classic, activations, rmsprop */
    m = good("seqnn 1\ninput tokens vocab=30\nembedding dim=6\ngru hidden=5 classic=1 layers=3 dropout=0.1\n"
             "dense out=10\nactivation leaky_relu alpha=0.2\nactivation swish\nactivation hardtanh\n"
             "dense name=tags out=$classes\nloss xent\noptimizer rmsprop momentum=0.5 centered=1 alpha=0.9\n",
             &cfg, "tagger");
    if (m) {
        EXPECT(cfg.optim.kind == SEQNN_OPTIM_RMSPROP && cfg.optim.centered == 1 && cfg.optim.alpha == 0.9 &&
               cfg.optim.momentum == 0.5, "tagger: rmsprop");
        expect_layers(m, "tagger", "embedding", "embedding", "gru", "recurrent", "fc", "dense", "act", "activation",
                      "act1", "activation", "act2", "activation", "tags", "dense", (const char *)NULL);
        if (build(m, "tagger", 1, 3)) {
            expect_param(m, "gru.weight_hh_l2", 2, (int64_t)15, (int64_t)5);
        }
        seqnn_model_destroy(m);
    }

    /* self-attention LM */
    m = good("seqnn 1\ninput tokens vocab=$vocab\nembedding dim=16\nattention heads=4 causal=1\n"
             "dense out=$vocab\n", &cfg, "self-attention");
    if (m) {
        if (build(m, "self-attention", 1, 50)) {
            expect_param(m, "attn.in_proj_weight", 2, (int64_t)48, (int64_t)16);
        }
        seqnn_model_destroy(m);
    }

    /* seq2seq with attention */
    m = good("seqnn 1\ninput tokens vocab=$src_vocab\nembedding dim=8\ngru name=encoder hidden=16\n"
             "decoder vocab=$tgt_vocab\nembedding name=dec_embedding dim=8\ngru name=dec hidden=16\n"
             "attention name=att encoder=1 score=additive attn_dim=8\ndense out=$tgt_vocab\n", &cfg, "seq2seq");
    if (m) {
        expect_layers(m, "seq2seq", "embedding", "embedding", "encoder", "recurrent", "dec_embedding", "embedding",
                      "dec", "recurrent", "att", "attention", "fc", "dense", (const char *)NULL);
        if (build(m, "seq2seq", 1, 12)) {
            expect_param(m, "embedding.weight", 2, (int64_t)20, (int64_t)8);
            expect_param(m, "dec_embedding.weight", 2, (int64_t)12, (int64_t)8);
            expect_param(m, "att.query.weight", 2, (int64_t)8, (int64_t)16);
            expect_param(m, "att.combine.weight", 2, (int64_t)16, (int64_t)32);
            expect_param(m, "fc.weight", 2, (int64_t)12, (int64_t)16);
        }
        seqnn_model_destroy(m);
    }

    /* numbers in every accepted spelling */
    m = good("seqnn 1\ninput features dim=3\ndropout p=0\ndropout p=0.\ndropout p=-0.0\ndropout p=+.5\n"
             "dropout p=5e-1\ndropout p=1e-400\ndense out=0003\n", &cfg, "number spellings");
    seqnn_model_destroy(m);

    /* numbers do not depend on the caller's locale */
    const char *locales[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", "C.UTF-8"};
    const char *got = NULL;
    for (size_t i = 0; i < sizeof locales / sizeof locales[0] && !got; i++)
        got = setlocale(LC_NUMERIC, locales[i]);
    m = good("seqnn 1\ninput features dim=3\ndense out=2\noptimizer sgd lr=0.5\n", &cfg, got ? got : "C locale");
    EXPECT(cfg.optim.lr == 0.5, "lr=0.5 under LC_NUMERIC=%s", got ? got : "C");
    setlocale(LC_NUMERIC, "C");
    seqnn_model_destroy(m);
}

/* --------------------------------------------------------------- files --- */
static void write_file(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

static void test_load(void)
{
    const char *tmp = getenv("TMPDIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/test_modelfile_%ld.model", tmp && *tmp ? tmp : "/tmp", (long)getpid());
    const char *text = "seqnn 1\ninput tokens vocab=$vocab\nembedding dim=4\nlstm hidden=4\ndense out=$vocab\n"
                       "train batch=3\n";
    write_file(path, text, strlen(text));
    seqnn_model *m = NULL;
    seqnn_train_config cfg;
    seqnn_status s = seqnn_modelfile_load(path, vars, N_VARS, &m, &cfg);
    EXPECT(s == SEQNN_OK && m && cfg.batch == 3, "load %s (%s)", path, s == SEQNN_OK ? "" : seqnn_last_error());
    seqnn_model_destroy(m);

    text = "seqnn 1\ninput tokens vocab=5\nembedding dim=3\ndense out=$nope\n";
    write_file(path, text, strlen(text));
    m = (seqnn_model *)&failures;
    s = seqnn_modelfile_load(path, vars, N_VARS, &m, &cfg);
    char want[1100];
    snprintf(want, sizeof want, "%s:4: dense: out=$nope: $nope is not defined", path);
    EXPECT(s == SEQNN_ERR_FORMAT && m == NULL && !strncmp(seqnn_last_error(), want, strlen(want)),
           "load: error names the path and line: \"%s\"", seqnn_last_error());

    size_t big = (1u << 20) + 10;
    char *huge = calloc(1, big);
    if (huge) {
        memset(huge, '#', big);
        write_file(path, huge, big);
        free(huge);
        s = seqnn_modelfile_load(path, vars, N_VARS, &m, &cfg);
        EXPECT(s == SEQNN_ERR_FORMAT && m == NULL && strstr(seqnn_last_error(), "too large for a model file"),
               "load: 1 MiB + 10 bytes refused: \"%s\"", seqnn_last_error());
    }
    write_file(path, "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    s = seqnn_modelfile_load(path, vars, N_VARS, &m, &cfg);
    EXPECT(s == SEQNN_ERR_FORMAT && m == NULL && strstr(seqnn_last_error(), ":2: control character 0x1a"),
           "load: binary file refused: \"%s\"", seqnn_last_error());
    unlink(path);

    s = seqnn_modelfile_load(path, vars, N_VARS, &m, &cfg);
    EXPECT(s == SEQNN_ERR_NOT_FOUND && m == NULL && strstr(seqnn_last_error(), "cannot open"),
           "load: missing file: \"%s\"", seqnn_last_error());
    s = seqnn_modelfile_load(tmp && *tmp ? tmp : "/tmp", vars, N_VARS, &m, &cfg);
    EXPECT(s == SEQNN_ERR_IO && m == NULL && strstr(seqnn_last_error(), "not a regular file"),
           "load: a directory: \"%s\"", seqnn_last_error());
    s = seqnn_modelfile_load(NULL, vars, N_VARS, &m, &cfg);
    EXPECT(s == SEQNN_ERR_INVALID_ARG && m == NULL, "load: NULL path: \"%s\"", seqnn_last_error());
}

/* Every ```model block of the documentation parses (and builds). */
static void test_docs(const char *path)
{
    FILE *f = fopen(path, "rb");
    EXPECT(f != NULL, "open %s", path);
    if (!f)
        return;
    static char doc[1 << 18];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';
    int blocks = 0;
    for (char *at = doc; (at = strstr(at, "```model\n"));) {
        char *body = at + 9;
        char *end = strstr(body, "```");
        if (!end)
            break;
        int line = 1;
        for (char *c = doc; c < at; c++)
            line += *c == '\n';
        char name[64];
        snprintf(name, sizeof name, "model-files.md:%d", line);
        seqnn_model *m = NULL;
        seqnn_status s = seqnn_modelfile_parse(body, (size_t)(end - body), name, vars, N_VARS, &m, NULL);
        if (s == SEQNN_OK) {
            s = seqnn_model_build(m, ctx, 1);
            seqnn_model_destroy(m);
        }
        if (!pending(s, name))
            EXPECT(s == SEQNN_OK, "docs example at line %d parses and builds (%s)", line,
               s == SEQNN_OK ? "" : seqnn_last_error());
        blocks++;
        at = end + 3;
    }
    EXPECT(blocks >= 3, "docs: %d model examples", blocks);
}

/* A model file of examples/ loads and builds. */
static void test_example(const char *path)
{
    seqnn_model *m = NULL;
    seqnn_status s = seqnn_modelfile_load(path, vars, N_VARS, &m, NULL);
    if (s == SEQNN_OK) {
        s = seqnn_model_build(m, ctx, 1);
        seqnn_model_destroy(m);
    }
    if (!pending(s, path))
        EXPECT(s == SEQNN_OK, "%s loads and builds (%s)", path, s == SEQNN_OK ? "" : seqnn_last_error());
}

/* The tree statement: its keys, defaults, parameters and errors. */
static void test_tree_files(void)
{
    seqnn_model *m = good("seqnn 1\ninput tokens vocab=$vocab\nembedding dim=8\ntree hidden=6\ndense out=$classes\n",
                          NULL, "Tree-LSTM");
    if (m) {
        expect_layers(m, "Tree-LSTM", "tree", "tree", "fc", "dense", (const char *)NULL);
        if (build(m, "Tree-LSTM", 0, 3)) {      /* cell=lstm by default: 3 leaf gates, 5 node gates */
            expect_param(m, "tree.leaf.weight", 2, (int64_t)18, (int64_t)8);
            expect_param(m, "tree.node.weight", 2, (int64_t)30, (int64_t)12);
            expect_param(m, "tree.node.bias", 1, (int64_t)30);
        }
        seqnn_model_destroy(m);
    }
    m = good("seqnn 1\ninput features dim=3\ntree name=rec cell=tanh hidden=4 nodes=1\ndense out=$classes\n", NULL,
             "tanh tree, nodes");
    if (m && build(m, "tanh tree, nodes", 1, 3)) {
        expect_param(m, "rec.leaf.weight", 2, (int64_t)4, (int64_t)3);
        expect_param(m, "rec.node.weight", 2, (int64_t)4, (int64_t)8);
    }
    seqnn_model_destroy(m);
    bad(LM "tree hidden=4 cell=gru\n", 4, "tree: cell=gru: unknown value (one of: tanh, lstm)");
    bad(LM "tree cell=lstm\n", 4, "tree: missing hidden=");
    bad(LM "tree hidden=4 nodes=2\n", 4, "tree: nodes=2: must be 0 or 1");
    bad(HEAD "tree hidden=4\n", 3, "'tree' needs vectors but gets token ids");
}

int main(int argc, char **argv)
{
    seqnn_status s = seqnn_context_create("ref", &ctx);
    if (s != SEQNN_OK) {
        printf("FAIL cannot open the ref plugin: %s\n", seqnn_last_error());
        return 1;
    }
    test_bad_files();
    test_graph_files();
    test_good_files();
    test_load();
    test_tree_files();
    if (argc > 1)
        test_docs(argv[1]);
    for (int i = 2; i < argc; i++)
        test_example(argv[i]);
    seqnn_context_destroy(ctx);
    printf("%d failures\n", failures);
    return failures != 0;
}

/* Unit test of the CLI's line formats (cli/data_lines.c, cli/lines_multi.c): vocabularies,
 * the split, batches of each format (layout, padding, ignored targets),
 * truncation, and every bad input, whose message must name the file and line.
 * usage: test_data_lines WORK_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_error.h"
#include "data.h"

static int fails;
static char dir[1024];

#define CHECK(c, ...) do { if (!(c)) { fails++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

static const char *write_file(const char *name, const char *text, size_t n)
{
    static char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        printf("cannot write %s\n", path);
        exit(1);
    }
    fwrite(text, 1, n, f);
    fclose(f);
    return path;
}

static seqnn_train_config config(int64_t batch, int64_t seq_len, double val, uint64_t seed)
{
    seqnn_train_config c = seqnn_train_config_defaults();
    c.batch = batch;
    c.seq_len = seq_len;
    c.val_fraction = val;
    c.seed = seed;
    return c;
}

static cli_data *open_ok(const char *format, const char *name, const char *text, int words, const seqnn_train_config *c)
{
    cli_data *d = NULL;
    const char *path = write_file(name, text, strlen(text));
    seqnn_status s = cli_data_open(format, path, words, c, NULL, NULL, &d);
    CHECK(s == SEQNN_OK && d, "%s: %s", name, cli_last_error());
    return s == SEQNN_OK ? d : NULL;
}

/* Opening must fail with a message holding want (e.g. "bad.txt:3:"); n 0: strlen(text). */
static void expect_error(const char *format, const char *name, const char *text, size_t n, int words, const char *want)
{
    cli_data *d = NULL;
    seqnn_train_config c = config(4, 0, 0.0, 1);
    const char *path = write_file(name, text, n ? n : strlen(text));
    seqnn_status s = cli_data_open(format, path, words, &c, NULL, NULL, &d);
    CHECK(s != SEQNN_OK && !d, "%s: opened", name);
    CHECK(strstr(cli_last_error(), want) != NULL, "%s: message '%s' lacks '%s'", name, cli_last_error(), want);
    if (s != SEQNN_OK)
        printf("ok: %s: %s\n", name, cli_last_error());
    cli_data_close(d);
}

static int64_t id_of(const cli_vocab *v, const char *tok)
{
    return cli_vocab_find(v, tok, strlen(tok));
}

static void test_classify(void)
{
    seqnn_train_config c = config(2, 0, 0.0, 1);
    cli_data *d = open_ok("classify", "c.txt", "b\tba\n\na\tabc\r\nb\tc\n", 0, &c);
    if (!d)
        return;
    CHECK(d->n_train == 3 && d->n_val == 0, "split %lld/%lld", (long long)d->n_train, (long long)d->n_val);
    CHECK(d->src.n == 5 && d->src.chars, "vocab size %lld", (long long)d->src.n);
    CHECK(!strcmp(d->src.tok[0], "<pad>") && !strcmp(d->src.tok[1], "<unk>"), "specials");
    CHECK(!strcmp(d->src.tok[2], "a") && !strcmp(d->src.tok[3], "b") && !strcmp(d->src.tok[4], "c"), "sorted");
    CHECK(d->tgt.n == 2 && !strcmp(d->tgt.tok[0], "a") && !strcmp(d->tgt.tok[1], "b"), "labels");
    CHECK(d->count(d, 0, &c) == 2, "count");
    d->begin(d, 0, 7);
    seqnn_batch b;
    int64_t seen = 0, batches = 0;
    while (d->next(d, 0, &c, &b)) {
        batches++;
        for (int64_t k = 0; k < b.batch; k++) {
            seen++;
            CHECK(b.lengths[k] >= 1 && b.lengths[k] <= b.seq_len, "length");
            for (int64_t t = b.lengths[k]; t < b.seq_len; t++)
                CHECK(b.tokens[t * b.batch + k] == CLI_PAD, "padding");
            /* "abc" is label a, "ba" and "c" label b */
            int32_t first = b.tokens[k];
            CHECK(b.targets[k] == (b.lengths[k] == 3 ? 0 : 1), "target");
            CHECK(b.lengths[k] != 3 || first == id_of(&d->src, "a"), "first token of abc");
        }
    }
    CHECK(seen == 3 && batches == 2, "pass: %lld examples in %lld batches", (long long)seen, (long long)batches);
    int64_t dims = cli_data_feature_dim(d);
    CHECK(dims == 0, "feature dim of classify");
    cli_data_close(d);

    /* words, a token only in validation reads as <unk>; split by seed */
    char text[4096] = "";
    for (int i = 0; i < 40; i++) {
        char line[64];
        snprintf(line, sizeof line, "%s\tw%d common\n", i % 3 ? "x" : "y", i);
        strcat(text, line);
    }
    c = config(8, 0, 0.25, 3);
    d = open_ok("classify", "cw.txt", text, 1, &c);
    if (!d)
        return;
    CHECK(d->n_train == 30 && d->n_val == 10, "split 30/10: %lld/%lld", (long long)d->n_train, (long long)d->n_val);
    CHECK(d->src.n == 2 + 30 + 1, "vocab of the training split: %lld", (long long)d->src.n);
    cli_example e;
    int unk = 0;
    for (int64_t i = 0; cli_data_example(d, 1, i, &e); i++)
        unk += e.src_len == 2 && e.src[0] == CLI_UNK && e.src[1] == id_of(&d->src, "common");
    CHECK(unk == 10, "validation tokens unseen in training are <unk>: %d of 10", unk);
    cli_data *d2 = open_ok("classify", "cw.txt", text, 1, &c);
    c.seed = 4;
    cli_data *d3 = open_ok("classify", "cw.txt", text, 1, &c);
    if (d2 && d3) {
        int same2 = 1, same3 = 1;
        cli_example e2;
        for (int64_t i = 0; cli_data_example(d, 1, i, &e); i++) {
            cli_data_example(d2, 1, i, &e2);
            same2 &= e.line == e2.line;
            cli_data_example(d3, 1, i, &e2);
            same3 &= e.line == e2.line;
        }
        CHECK(same2, "the same seed gives the same split");
        CHECK(!same3, "another seed gives another split");
        /* training passes: every example once; the order depends on the pass seed */
        seqnn_batch b1;
        int64_t order[2][40], n[2] = {0, 0};
        for (int p = 0; p < 2; p++) {
            d->begin(d, 0, (uint64_t)p);
            while (d->next(d, 0, &c, &b1))
                for (int64_t k = 0; k < b1.batch; k++)
                    order[p][n[p]++] = b1.tokens[k];
        }
        CHECK(n[0] == 30 && n[1] == 30, "passes of 30");
        CHECK(memcmp(order[0], order[1], sizeof order[0]) != 0, "pass orders differ between seeds");
    }
    cli_data_close(d2);
    cli_data_close(d3);
    /* eval with the model's vocabularies: all of the file, unknown labels refused */
    c = config(8, 0, 1.0, 3);
    cli_data *d4 = NULL;
    const char *path = write_file("cw2.txt", "x\tw1 zzz\n", 9);
    CHECK(cli_data_open("classify", path, 1, &c, &d->src, &d->tgt, &d4) == SEQNN_OK, "eval open: %s",
          cli_last_error());
    if (d4) {
        CHECK(d4->n_val == 1 && d4->n_train == 0 && d4->src.n == d->src.n, "eval split");
        cli_data_close(d4);
    }
    path = write_file("cw3.txt", "x\tw1\nz\tw2\n", 10);
    CHECK(cli_data_open("classify", path, 1, &c, &d->src, &d->tgt, &d4) != SEQNN_OK &&
              strstr(cli_last_error(), "cw3.txt:2:"), "unknown label: %s", cli_last_error());
    cli_data_close(d);
}

static void test_tag(void)
{
    seqnn_train_config c = config(4, 0, 0.0, 1);
    cli_data *d = open_ok("tag", "t.txt", "0 1 1\t1 0 0\n1\t0\n", 1, &c);
    if (!d)
        return;
    CHECK(d->tgt.n == 3 && !strcmp(d->tgt.tok[0], "<pad>"), "tags: <pad> first");
    seqnn_batch b;
    d->begin(d, 1, 1);
    CHECK(!d->next(d, 1, &c, &b), "empty validation");
    d->begin(d, 0, 1);
    CHECK(d->next(d, 0, &c, &b), "a batch");
    CHECK(b.seq_len == 3 && b.batch == 2, "shape %lldx%lld", (long long)b.seq_len, (long long)b.batch);
    for (int64_t k = 0; k < 2; k++) {
        int64_t len = b.lengths[k];
        for (int64_t t = 0; t < 3; t++) {
            int32_t tok = b.tokens[t * 2 + k], tg = b.targets[t * 2 + k];
            if (t >= len) {
                CHECK(tok == CLI_PAD && tg == SEQNN_IGNORE_INDEX, "padding: token %d target %d", tok, tg);
            } else {
                /* every tag is the complement of its token */
                CHECK(!strcmp(d->tgt.tok[tg], !strcmp(d->src.tok[tok], "0") ? "1" : "0"), "tag");
            }
        }
    }
    CHECK(!d->next(d, 0, &c, &b), "one batch");
    cli_data_close(d);
}

static void test_translate(void)
{
    seqnn_train_config c = config(4, 0, 0.0, 1);
    cli_data *d = open_ok("translate", "tr.txt", "ab\txyz\nb\tz\n", 0, &c);
    if (!d)
        return;
    CHECK(d->tgt.n == 7 && !strcmp(d->tgt.tok[CLI_BOS], "<bos>") && !strcmp(d->tgt.tok[CLI_EOS], "<eos>"), "tgt");
    seqnn_batch b;
    d->begin(d, 0, 1);
    CHECK(d->next(d, 0, &c, &b), "batch");
    CHECK(b.dec_len == 4 && b.seq_len == 2, "dec_len %lld", (long long)b.dec_len);
    for (int64_t k = 0; k < b.batch; k++) {
        int xyz = b.lengths[k] == 2;
        CHECK(b.dec_tokens[k] == CLI_BOS, "bos first");
        CHECK(b.dec_lengths[k] == (xyz ? 4 : 2), "dec length");
        int32_t want[4];
        if (xyz) {
            want[0] = (int32_t)id_of(&d->tgt, "x"), want[1] = (int32_t)id_of(&d->tgt, "y");
            want[2] = (int32_t)id_of(&d->tgt, "z"), want[3] = CLI_EOS;
        } else {
            want[0] = (int32_t)id_of(&d->tgt, "z"), want[1] = CLI_EOS, want[2] = want[3] = SEQNN_IGNORE_INDEX;
        }
        int32_t tgt_len = xyz ? 3 : 1;
        for (int t = 0; t < 4; t++) {
            CHECK(b.targets[t * b.batch + k] == want[t], "target %d", t);
            int32_t in = t == 0 ? CLI_BOS : t - 1 < tgt_len ? want[t - 1] : CLI_PAD;
            CHECK(b.dec_tokens[t * b.batch + k] == in, "dec token %d", t);
        }
    }
    cli_data_close(d);
    /* truncation to seq_len */
    c = config(4, 2, 0.0, 1);
    d = open_ok("translate", "tr2.txt", "abcd\txyz\n", 0, &c);
    if (d) {
        cli_example e;
        CHECK(cli_data_example(d, 0, 0, &e) && e.src_len == 2 && e.tgt_len == 2, "truncated");
        cli_data_close(d);
    }
}

static void test_regress(void)
{
    seqnn_train_config c = config(4, 0, 0.0, 1);
    cli_data *d = open_ok("regress", "r.txt", "1,2 3,4 5,6\t0.5\n-1,1e-1\t2\n", 0, &c);
    if (!d)
        return;
    CHECK(cli_data_feature_dim(d) == 2 && cli_data_value_count(d) == 1, "dims");
    seqnn_batch b;
    d->begin(d, 0, 1);
    CHECK(d->next(d, 0, &c, &b), "batch");
    CHECK(b.seq_len == 3 && b.batch == 2 && b.features && b.values && !b.tokens, "regress batch");
    for (int64_t k = 0; k < 2; k++) {
        if (b.lengths[k] == 3) {
            CHECK(b.values[k] == 0.5f, "value");
            CHECK(b.features[(2 * 2 + k) * 2 + 1] == 6.0f, "feature [2, k, 1]");
        } else {
            CHECK(b.values[k] == 2.0f && b.features[k * 2] == -1.0f && b.features[k * 2 + 1] == 0.1f, "second");
            CHECK(b.features[(1 * 2 + k) * 2] == 0.0f, "zero padding");
        }
    }
    cli_data_close(d);
}

static void test_errors(void)
{
    expect_error("classify", "empty.txt", "", 0, 0, "empty.txt: the file is empty");
    expect_error("classify", "blank.txt", "\n  \n\t\n", 0, 0, "blank.txt: no examples");
    expect_error("classify", "notab.txt", "a\tb\n\nno tab here\n", 0, 0, "notab.txt:3: no TAB");
    expect_error("classify", "nul.txt", "a\tb\nc\t\0d\n", 9, 0, "nul.txt:2: a NUL byte");
    expect_error("classify", "notext.txt", "a\tb\nc\t\n", 0, 0, "notext.txt:2: the text");
    expect_error("classify", "nolabel.txt", " \tb\n", 0, 0, "nolabel.txt:1: the label");
    expect_error("classify", "nowords.txt", "a\t   \n", 0, 1, "nowords.txt:1: the text");
    expect_error("tag", "count.txt", "a b\tX Y\na b c\tX Y\n", 0, 1, "count.txt:2: 2 tags for 3 tokens");
    expect_error("tag", "chars.txt", "ab\tX Y\nab c\tX Y\n", 0, 0, "chars.txt:2: 2 tags for 4 characters");
    expect_error("translate", "notarget.txt", "ab\tc\nab\t\n", 0, 0, "notarget.txt:2: the target");
    expect_error("regress", "nan.txt", "1,2\t1\n1,x\t1\n", 0, 0, "nan.txt:2: step 1: 'x' is not a number");
    expect_error("regress", "inf.txt", "inf\t1\n", 0, 0, "inf.txt:1: step 1: 'inf'");
    expect_error("regress", "dims.txt", "1,2 3,4\t1\n1,2 3\t1\n", 0, 0, "dims.txt:2: step 2 has 1 features");
    expect_error("regress", "val.txt", "1\t1\n2\tz\n", 0, 0, "val.txt:2: value 'z' is not a number");
    expect_error("regress", "nval.txt", "1\t1,2\n2\t3\n", 0, 0, "nval.txt:2: 1 values");
    expect_error("regress", "noval.txt", "1\t \n", 0, 0, "noval.txt:1: the value");
    expect_error("nope", "x.txt", "a\tb\n", 0, 0, "unknown data format 'nope'");
    seqnn_train_config c = config(4, 0, 0.5, 1);
    cli_data *d = NULL;
    const char *path = write_file("one.txt", "a\tb\n", 4);
    CHECK(cli_data_open("classify", path, 0, &c, NULL, NULL, &d) != SEQNN_OK &&
              strstr(cli_last_error(), "none for training"), "one example, 50%% validation: %s", cli_last_error());
    snprintf((char *)path, 2048, "%s/missing.txt", dir);
    CHECK(cli_data_open("tag", path, 0, &c, NULL, NULL, &d) != SEQNN_OK &&
              strstr(cli_last_error(), "missing.txt"), "missing file: %s", cli_last_error());
    /* A library failure after the CLI's own: cli_last_error gives the newer. */
    seqnn_context *ctx = NULL;
    CHECK(seqnn_context_create("no-such-plugin", &ctx) != SEQNN_OK && !strcmp(cli_last_error(), seqnn_last_error()),
          "library failure after a CLI one: '%s'", cli_last_error());
}

/* The tree format: brackets become seqnn_batch.trees rows (binary, n-ary
 * brackets left-branching), leaves the tokens; lines without brackets, with
 * one leaf or truncated get a balanced row (-1); bad brackets name the line. */
static void test_tree(void)
{
    seqnn_train_config c = config(4, 0, 0.0, 1);
    cli_data *d = open_ok("tree", "t.txt", "pos\t( ( a b ) c )\nneg\ta (b c d)\nneg\tx y z w v\npos\t( q )\n", 0, &c);
    if (!d)
        return;
    CHECK(!strcmp(d->format, "tree") && !d->src.chars, "format %s, words", d->format);
    CHECK(d->src.n == 2 + 10 && id_of(&d->src, "(") < 0 && id_of(&d->src, ")") < 0 && id_of(&d->src, "a") >= 0,
          "vocabulary: %lld tokens, no brackets", (long long)d->src.n);
    CHECK(d->tgt.n == 2, "labels");
    seqnn_batch b;
    d->begin(d, 0, 1);
    CHECK(d->next(d, 0, &c, &b) && b.batch == 4 && b.seq_len == 5 && b.trees, "tree batch");
    static const int32_t three[] = {0, 1, 3, 2}, four[] = {1, 2, 4, 3, 0, 5};
    for (int64_t k = 0; k < b.batch && b.trees; k++) {
        const int32_t *row = b.trees + k * 2 * (b.seq_len - 1);
        int32_t n = b.lengths[k];
        if (n == 3)
            CHECK(!memcmp(row, three, sizeof three), "( ( a b ) c ): %d %d %d %d", row[0], row[1], row[2], row[3]);
        else if (n == 4)
            CHECK(!memcmp(row, four, sizeof four), "a (b c d): %d %d %d %d %d %d", row[0], row[1], row[2], row[3],
                  row[4], row[5]);
        else
            CHECK(row[0] == -1, "%d leaves: balanced, not %d", n, row[0]);
        CHECK(n != 4 || b.tokens[k] == id_of(&d->src, "a"), "first leaf of 'a (b c d)'");
    }
    cli_data_close(d);
    c = config(4, 2, 0.0, 1);            /* truncated to 2 leaves: balanced */
    d = open_ok("tree", "t2.txt", "pos\t( ( a b ) c )\n", 0, &c);
    if (d) {
        d->begin(d, 0, 1);
        CHECK(d->next(d, 0, &c, &b) && b.seq_len == 2 && b.trees[0] == -1, "truncated: balanced");
        cli_data_close(d);
    }
    expect_error("tree", "open.txt", "a\tx\nb\t( a ( b c )\n", 0, 0, "open.txt:2: 1 bracket left open");
    expect_error("tree", "close.txt", "a\tx y )\n", 0, 0,
                 "close.txt:1: character 5 of the text: ')' closes no bracket");
    expect_error("tree", "hollow.txt", "a\tx ( ) y\n", 0, 0,
                 "hollow.txt:1: character 5 of the text: '( )' holds no leaf");
    expect_error("tree", "leafless.txt", "a\t( )\n", 0, 0, "leafless.txt:1: character 3 of the text");
}

/* cli_metrics_report and cli_translate_attention on small untrained models:
 * the lines appear, baselines hold the numbers counted by hand. */
static char *report(seqnn_model *m, cli_data *d, const seqnn_train_config *c, const char *name)
{
    static char buf[8192];
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w+");
    buf[0] = 0;
    if (!f)
        return buf;
    int rc = cli_metrics_report(m, d, c, 1, 0, f);
    CHECK(rc == 0, "%s: report failed: %s", name, cli_last_error());
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    printf("%s:\n%s", name, buf);
    return buf;
}

static seqnn_model *model(const char *text, const cli_data *d, seqnn_context *ctx)
{
    seqnn_modelfile_var vars[8];
    int nv = cli_data_vars(d, vars, 8);
    seqnn_model *m = NULL;
    if (seqnn_modelfile_parse(text, strlen(text), "test", vars, nv, &m, NULL) != SEQNN_OK ||
        seqnn_model_build(m, ctx, 1) != SEQNN_OK) {
        CHECK(0, "model: %s", cli_last_error());
        seqnn_model_destroy(m);
        return NULL;
    }
    return m;
}

static void test_metrics(void)
{
    seqnn_context *ctx = NULL;
    if (seqnn_context_create("ref", &ctx) != SEQNN_OK) {
        CHECK(0, "ref plugin: %s", cli_last_error());
        return;
    }
    /* tag: training tags 0 x3, 1 x4 -> '1'; validation = everything (val 1.0 needs vocabularies, so 0.5) */
    seqnn_train_config c = config(2, 0, 0.5, 1);
    cli_data *d = open_ok("tag", "mt.txt", "0 0 0\t1 1 1\n1\t0\n1 1\t0 0\n0 1\t1 0\n", 1, &c);
    seqnn_model *m = d ? model("seqnn 1\ninput tokens vocab=$vocab\nembedding dim=3\ndense out=$classes\n", d, ctx)
                       : NULL;
    if (m) {
        int64_t counts[3] = {0, 0, 0}, hit = 0, total = 0;
        cli_example e;
        for (int64_t i = 0; cli_data_example(d, 0, i, &e); i++)
            for (int64_t s = 0; s < e.tgt_len; s++)
                counts[e.tgt[s]]++;
        int64_t major = counts[2] > counts[1] ? 2 : 1;
        for (int64_t i = 0; cli_data_example(d, 1, i, &e); i++)
            for (int64_t s = 0; s < e.tgt_len; s++)
                hit += e.tgt[s] == major, total++;
        char want[256];
        snprintf(want, sizeof want, "baseline: always tag '%s' (the most common in training): accuracy %.2f%% (%lld tags)",
                 d->tgt.tok[major], 100.0 * (double)hit / (double)total, (long long)total);
        CHECK(strstr(report(m, d, &c, "mt.out"), want), "tag baseline: want '%s'", want);
    }
    seqnn_model_destroy(m);
    cli_data_close(d);
    /* translate: exact match over every validation pair; attention CSV */
    d = open_ok("translate", "mtr.txt", "ab\tba\nabc\tcba\nb\tb\nca\tac\n", 0, &c);
    m = d ? model("seqnn 1\ninput tokens vocab=$src_vocab\nembedding dim=4\ngru hidden=6\ndecoder vocab=$tgt_vocab\n"
                  "embedding dim=4\ngru hidden=6\nattention encoder=1 score=bilinear\ndense out=$tgt_vocab\n", d, ctx)
          : NULL;
    if (m) {
        CHECK(strstr(report(m, d, &c, "mtr.out"), "exact match (greedy decoding): "), "exact match line");
        char csv[2048], out[2048];
        snprintf(csv, sizeof csv, "%s/att.csv", dir);
        snprintf(out, sizeof out, "%s/att.out", dir);
        FILE *f = fopen(out, "w");
        int rc = f ? cli_translate_attention(m, &d->src, &d->tgt, 0, "abc", 5, csv, f) : 1;
        if (f)
            fclose(f);
        CHECK(rc == 0, "attention: %s", cli_last_error());
        FILE *g = fopen(csv, "r");
        int rows = 0, commas = 0, ch;
        while (g && (ch = fgetc(g)) != EOF)
            rows += ch == '\n', commas += ch == ',';
        if (g)
            fclose(g);
        /* a header row of the 3 source tokens, then a row per output step led by its token */
        CHECK(rows >= 2 && rows <= 7 && commas == 3 * rows, "attention CSV: %d rows, %d commas", rows, commas);
    }
    seqnn_model_destroy(m);
    cli_data_close(d);
    /* regress with integer targets: the mean baseline and the rounded accuracy */
    d = open_ok("regress", "mr.txt", "1,0 0,1\t1\n0,0\t0\n1,1 1,1\t2\n0,1\t1\n", 0, &c);
    m = d ? model("seqnn 1\ninput features dim=2\ngru hidden=4 last=1\ndense out=1\nloss mse\n", d, ctx) : NULL;
    if (m) {
        const char *r = report(m, d, &c, "mr.out");
        CHECK(strstr(r, "baseline: predicting the training mean ") && strstr(r, "rounded prediction = target: "),
              "regress lines");
    }
    /* the model against the data: sizes that differ are refused before any batch */
    CHECK(!m || cli_data_check_model(d, m, "mr.txt", "ok.seqnn") == SEQNN_OK, "a fitting model: %s",
          cli_last_error());
    seqnn_model_destroy(m);
    const char *misfits[][2] = {
        {"seqnn 1\ninput features dim=3\ngru hidden=4 last=1\ndense out=1\nloss mse\n", "reads 3 features per step"},
        {"seqnn 1\ninput features dim=3\nactivation tanh\nlstm hidden=4 last=1\ndense out=1\nloss mse\n", "reads 3 features per step"},
        {"seqnn 1\ninput features dim=2\ngru hidden=4 last=1\ndense out=2\nloss mse\n", "one vector of 1"},
        {"seqnn 1\ninput features dim=2\ngru hidden=4\ndense out=1\nloss mse\n", "outputs a sequence"},
    };
    for (size_t i = 0; d && i < sizeof misfits / sizeof misfits[0]; i++) {
        seqnn_model *bad = NULL;
        if (seqnn_modelfile_parse(misfits[i][0], strlen(misfits[i][0]), "bad", NULL, 0, &bad, NULL) == SEQNN_OK &&
            seqnn_model_build(bad, ctx, 1) == SEQNN_OK) {
            seqnn_status s = cli_data_check_model(d, bad, "mr.txt", "bad.seqnn");
            CHECK(s != SEQNN_OK && strstr(cli_last_error(), misfits[i][1]) && strstr(cli_last_error(), "mr.txt"),
                  "misfit %zu: %s", i, cli_last_error());
            if (s != SEQNN_OK)
                printf("ok: misfit refused: %s\n", cli_last_error());
        } else {
            CHECK(0, "misfit %zu does not build: %s", i, cli_last_error());
        }
        seqnn_model_destroy(bad);
    }
    cli_data_close(d);
    /* one step per line (bit problem 2): a feed-forward model's sequence output fits */
    d = open_ok("regress", "m1.txt", "1,0\t0,1\n0,1\t1,0\n1,1\t0,0\n0,0\t1,1\n", 0, &c);
    m = d ? model("seqnn 1\ninput features dim=2\ndense out=2\nloss mse\n", d, ctx) : NULL;
    CHECK(!m || cli_data_check_model(d, m, "m1.txt", "ff.seqnn") == SEQNN_OK, "one-step lines: %s", cli_last_error());
    seqnn_model_destroy(m);
    cli_data_close(d);
    /* no training split (eval --all with the model's vocabularies): no majority baseline */
    c = config(2, 0, 0.5, 1);
    d = open_ok("classify", "ma.txt", "a\txy\nb\tyx\na\txx\nb\tyy\n", 0, &c);
    if (d) {
        cli_data *all = NULL;
        seqnn_train_config c1 = config(2, 0, 1.0, 1);
        const char *path = write_file("ma2.txt", "a\txy\n", 5);
        CHECK(cli_data_open("classify", path, 0, &c1, &d->src, &d->tgt, &all) == SEQNN_OK, "%s", cli_last_error());
        m = all ? model("seqnn 1\ninput tokens vocab=$vocab\nembedding dim=2\ngru hidden=2 last=1\ndense out=$classes\n",
                        all, ctx) : NULL;
        CHECK(!m || !strstr(report(m, all, &c1, "ma.out"), "baseline"), "a baseline without a training split");
        seqnn_model_destroy(m);
        cli_data_close(all);
    }
    cli_data_close(d);
    seqnn_context_destroy(ctx);
}

/* multi: the header, per-input batches (own steps, lengths, padding), a
 * model reading a subset of the inputs, per-field truncation, bad lines. */
static void test_multi(void)
{
    seqnn_train_config c = config(4, 0, 0.0, 1);
    const char *text = "#inputs q=tokens s=features\nyes\tab c\t1,2 3,4 5,6\nno\td\t0,1\n";
    cli_data *d = open_ok("multi", "m.txt", text, 1, &c);
    if (!d)
        return;
    CHECK(d->src.n == 5 && d->tgt.n == 2 && id_of(&d->src, "ab") >= 2 && id_of(&d->tgt, "yes") == 1,
          "multi vocabularies: %lld tokens, %lld classes", (long long)d->src.n, (long long)d->tgt.n);
    seqnn_batch b;
    d->begin(d, 0, 1);
    CHECK(d->next(d, 0, &c, &b), "multi batch");
    CHECK(b.n_inputs == 2 && b.inputs && b.batch == 2 && !b.tokens && !b.seq_len, "multi batch: 2 inputs");
    const seqnn_batch_input *q = &b.inputs[0], *f = &b.inputs[1];
    CHECK(q->seq_len == 2 && q->tokens && !q->features && f->seq_len == 3 && f->features && !f->tokens,
          "each input its own steps: %lld and %lld", (long long)q->seq_len, (long long)f->seq_len);
    for (int64_t k = 0; k < 2; k++) {
        int yes = b.targets[k] == 1;
        CHECK(q->lengths[k] == (yes ? 2 : 1) && f->lengths[k] == (yes ? 3 : 1), "lengths of example %lld", (long long)k);
        CHECK(q->tokens[k] == id_of(&d->src, yes ? "ab" : "d") && q->tokens[2 + k] == (yes ? id_of(&d->src, "c") : 0),
              "tokens [T, B] with <pad>");
        CHECK(f->features[(2 * 2 + k) * 2 + 1] == (yes ? 6.0f : 0.0f) && f->features[k * 2 + 1] == (yes ? 2.0f : 1.0f),
              "features [T, B, F], zero past the length");
    }
    /* a model of the second input only reads it as its one input */
    seqnn_context *ctx = NULL;
    if (seqnn_context_create("ref", &ctx) == SEQNN_OK) {
        seqnn_model *m = model("seqnn 1\ninput features name=s dim=2\nlstm hidden=3 last=1\ndense out=$classes\n", d, ctx);
        CHECK(m && cli_data_check_model(d, m, "m.txt", "s.seqnn") == SEQNN_OK, "a model of input 's' fits: %s",
              cli_last_error());
        d->begin(d, 0, 1);
        CHECK(d->next(d, 0, &c, &b) && b.n_inputs == 1 && b.inputs[0].features && b.inputs[0].seq_len == 3,
              "its batches hold 's' only");
        seqnn_model_destroy(m);
        m = model("seqnn 1\ninput features name=z dim=2\nlstm hidden=3 last=1\ndense out=$classes\n", d, ctx);
        CHECK(m && cli_data_check_model(d, m, "m.txt", "z.seqnn") != SEQNN_OK &&
              strstr(cli_last_error(), "z.seqnn: the model's input 'z' is not in the header of m.txt (q, s)"),
              "an input the header lacks: %s", cli_last_error());
        seqnn_model_destroy(m);
        m = model("seqnn 1\ninput features name=s dim=3\nlstm hidden=3 last=1\ndense out=$classes\n", d, ctx);
        CHECK(m && cli_data_check_model(d, m, "m.txt", "s3.seqnn") != SEQNN_OK &&
              strstr(cli_last_error(), "input 's' reads features of size 3; m.txt has features of size 2"),
              "a feature size the data lacks: %s", cli_last_error());
        seqnn_model_destroy(m);
        seqnn_context_destroy(ctx);
    }
    cli_data_close(d);
    /* seq_len cuts each field on its own */
    c = config(4, 1, 0.0, 1);
    d = open_ok("multi", "m1.txt", text, 1, &c);
    if (d) {
        d->begin(d, 0, 1);
        CHECK(d->next(d, 0, &c, &b) && b.inputs[0].seq_len == 1 && b.inputs[1].seq_len == 1, "truncated to 1 step each");
        cli_data_close(d);
    }
    expect_error("multi", "mh.txt", "yes\tab\t1\n", 0, 1, "mh.txt:1: a multi file starts with a header");
    expect_error("multi", "mh2.txt", "#inputs q=words\nyes\tab\n", 0, 1, "mh2.txt:1: header: 'q=words' is not");
    expect_error("multi", "mf.txt", "#inputs q=tokens s=features\nyes\tab\n", 0, 1,
                 "mf.txt:2: 1 input after the label; the header names 2");
    expect_error("multi", "mf2.txt", "#inputs q=tokens\nyes\tab\t1\n", 0, 1, "mf2.txt:2: more than the 1 input");
    expect_error("multi", "me.txt", "#inputs q=tokens s=features\nyes\t \t1\n", 0, 1,
                 "me.txt:2: input 'q' (field 1 after the label) is empty");
    expect_error("multi", "ml.txt", "#inputs q=tokens\n\tab\n", 0, 1, "ml.txt:2: a multi line is LABEL<TAB>q...");
    expect_error("multi", "md.txt", "#inputs s=features\nyes\t1,2\nno\t3\n", 0, 1,
                 "md.txt:3: step 1 has 1 features, the steps before it have 2");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_data_lines WORK_DIR\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "%s", argv[1]);
    test_classify();
    test_tag();
    test_translate();
    test_regress();
    test_multi();
    test_errors();
    test_tree();
    test_metrics();
    printf("%s: %d failure%s\n", fails ? "FAIL" : "PASS", fails, fails == 1 ? "" : "s");
    return fails ? 1 : 0;
}

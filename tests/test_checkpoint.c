/* Bad checkpoints (docs/cli.md, "Errors"), on the reference plugin: a
 * checkpoint of another model (other names, other shapes), missing and extra
 * tensors, a wrong dtype, truncated and corrupted files, a missing file,
 * optimizer state of another optimizer or configuration, misshapen optimizer
 * state and bad optimizer metadata. Each must fail with a message naming the
 * file and the tensor (or metadata key), and leave the model exactly as it was:
 * parameters (read back with seqnn_model_param_read, compared bit for bit),
 * optimizer state and step count (the model saved before and after is the same
 * file, byte for byte). Also: a good checkpoint round-trips exactly (with
 * optimizer state, so training continues identically), a float64 state_dict
 * loads converted to float32, and a failed save leaves no file behind.
 * Usage: test_checkpoint WORK_DIR */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "seqnn/model.h"
#include "seqnn/safetensors.h"

static int failures;
static seqnn_context *ctx;
static const char *work;

#define EXPECT(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

#define T 5
#define B 3
#define V 11
static const int32_t tokens[T * B] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1, 2, 3, 4};
static const int32_t lengths[B] = {5, 2, 4};
static const int32_t targets[T * B] = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2};

static seqnn_batch batch(void)
{
    seqnn_batch b;
    memset(&b, 0, sizeof b);
    b.seq_len = T;
    b.batch = B;
    b.tokens = tokens;
    b.lengths = lengths;
    b.targets = targets;
    return b;
}

/* embed -> recurrent "rnn" (cell, hidden; an LSTM variant when variant or
 * proj is set) bidirectional 2 layers -> fc(4). */
static seqnn_model *make_variant(seqnn_cell cell, int64_t hidden, const char *rnn_name, seqnn_optim_kind opt,
                                 int amsgrad, uint32_t variant, int64_t proj)
{
    seqnn_model *m;
    seqnn_recurrent_desc d = {.cell = cell, .hidden = hidden, .layers = 2, .bidirectional = 1};
    if (seqnn_model_create(&m))
        return NULL;
    seqnn_optim_desc o = seqnn_optim_defaults(opt);
    if (opt == SEQNN_OPTIM_SGD)
        o.momentum = 0.9;
    o.amsgrad = amsgrad;
    if (seqnn_model_input_tokens(m, V) || seqnn_model_add_embedding(m, "embed", 6, 0) ||
        (variant || proj ? seqnn_model_add_lstm_variant(m, rnn_name, &d, variant, proj)
                         : seqnn_model_add_recurrent(m, rnn_name, &d)) ||
        seqnn_model_add_dense(m, "fc", 4) ||
        seqnn_model_build(m, ctx, 7) || seqnn_model_set_optimizer(m, &o)) {
        printf("FAIL: building a model: %s\n", seqnn_last_error());
        failures++;
        seqnn_model_destroy(m);
        return NULL;
    }
    return m;
}

/* embed -> recurrent "rnn" (cell, hidden) bidirectional 2 layers -> fc(4). */
static seqnn_model *make(seqnn_cell cell, int64_t hidden, const char *rnn_name, seqnn_optim_kind opt, int amsgrad)
{
    return make_variant(cell, hidden, rnn_name, opt, amsgrad, 0, 0);
}

static seqnn_model *make_lstm(seqnn_optim_kind opt, int amsgrad)
{
    return make(SEQNN_CELL_LSTM, 5, "lstm", opt, amsgrad);
}

static void path_of(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", work, name);
}

/* ------------------------------------------------------------ snapshots --- */
typedef struct snapshot {
    float *params;
    int64_t total, step;
    unsigned char *file;                 /* the model saved with its optimizer state */
    size_t file_size;
} snapshot;

static int read_file(const char *path, unsigned char **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *data = malloc(n > 0 ? (size_t)n : 1);
    *size = *data && n >= 0 ? fread(*data, 1, (size_t)n, f) : 0;
    fclose(f);
    return *data && n >= 0 && *size == (size_t)n ? 0 : -1;
}

static int write_file(const char *path, const unsigned char *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, size, f);
    return fclose(f) == 0 && w == size ? 0 : -1;
}

static int take(seqnn_model *m, snapshot *s)
{
    char p[512];
    memset(s, 0, sizeof *s);
    s->total = seqnn_model_param_total(m);
    s->step = seqnn_model_step_count(m);
    s->params = malloc((size_t)s->total * sizeof *s->params);
    int64_t at = 0;
    for (int64_t i = 0; s->params && i < seqnn_model_param_count(m); i++) {
        seqnn_param_info pi;
        if (seqnn_model_param(m, i, &pi) || seqnn_model_param_read(m, i, s->params + at, pi.count))
            return -1;
        at += pi.count;
    }
    path_of(p, sizeof p, "snapshot.safetensors");
    if (!s->params || seqnn_model_save(m, p, 1, NULL) || read_file(p, &s->file, &s->file_size))
        return -1;
    remove(p);
    return 0;
}

static void drop(snapshot *s)
{
    free(s->params);
    free(s->file);
    memset(s, 0, sizeof *s);
}

/* 1 when m is exactly as snapshot s: parameters, optimizer state, step. */
static int unchanged(seqnn_model *m, const snapshot *s)
{
    snapshot now;
    int same = take(m, &now) == 0 && now.total == s->total && now.step == s->step &&
               !memcmp(now.params, s->params, (size_t)s->total * sizeof *s->params) &&
               now.file_size == s->file_size && !memcmp(now.file, s->file, s->file_size);
    drop(&now);
    return same;
}

/* A load of path into m must fail with status want (or any error when want
 * is SEQNN_OK), naming the file and each of `names` (NULL-terminated), and
 * change nothing. */
static void expect_refused(const char *what, seqnn_model *m, const char *path, seqnn_status want,
                           const char *const *names)
{
    snapshot before;
    if (take(m, &before)) {
        EXPECT(0, "%s: snapshot: %s", what, seqnn_last_error());
        drop(&before);
        return;
    }
    seqnn_status s = seqnn_model_load(m, path);
    char msg[2048];
    snprintf(msg, sizeof msg, "%s", seqnn_last_error());
    EXPECT(s != SEQNN_OK, "%s: the load succeeded", what);
    EXPECT(want == SEQNN_OK || s == want, "%s: status %d, expected %d (%s)", what, (int)s, (int)want, msg);
    EXPECT(strstr(msg, path) != NULL, "%s: the message does not name the file: %s", what, msg);
    for (int i = 0; names && names[i]; i++)
        EXPECT(strstr(msg, names[i]) != NULL, "%s: the message does not name '%s': %s", what, names[i], msg);
    EXPECT(unchanged(m, &before), "%s: the failed load changed the model", what);
    if (s != SEQNN_OK)
        printf("ok %s: %s\n", what, msg);
    drop(&before);
}

/* ------------------------------------------------- crafting checkpoints --- */
/* Writes m's parameters (and, with optimizer, its state) as a checkpoint,
 * changed as asked: skip one tensor, add one, replace one's dtype. */
typedef struct craft {
    const char *skip;                    /* tensor not written */
    const char *extra;                   /* extra F32 tensor [3] */
    const char *as_i32;                  /* this tensor written as I32 */
    int as_f64;                          /* every tensor as F64 */
    const char *nan;                     /* this tensor's element 1 set to NaN */
} craft;

static int write_crafted(seqnn_model *m, const char *path, const craft *c)
{
    char tmp[512];
    path_of(tmp, sizeof tmp, "crafted_source.safetensors");
    seqnn_safetensors *st = NULL;
    seqnn_safetensors_writer *w = NULL;
    int rc = -1;
    if (seqnn_model_save(m, tmp, 0, NULL) || seqnn_safetensors_open(tmp, &st) ||
        seqnn_safetensors_writer_create(&w))
        goto done;
    for (int64_t i = 0; i < seqnn_safetensors_count(st); i++) {
        const seqnn_st_tensor *t = seqnn_safetensors_tensor(st, i);
        if (c->skip && !strcmp(t->name, c->skip))
            continue;
        float *v = malloc((size_t)t->count * sizeof *v);
        double *d = malloc((size_t)t->count * sizeof *d);
        int32_t *n = malloc((size_t)t->count * sizeof *n);
        seqnn_status s = v && d && n ? seqnn_safetensors_read_f32(st, t->name, v, t->count) : SEQNN_ERR_NO_MEMORY;
        if (s == SEQNN_OK && c->nan && !strcmp(t->name, c->nan) && t->count > 1)
            v[1] = NAN;
        for (int64_t k = 0; s == SEQNN_OK && k < t->count; k++) {
            d[k] = v[k];
            n[k] = (int32_t)(v[k] * 100);
        }
        if (s == SEQNN_OK) {
            if (c->as_i32 && !strcmp(t->name, c->as_i32))
                s = seqnn_safetensors_writer_add(w, t->name, SEQNN_ST_I32, t->ndim, t->shape, n);
            else if (c->as_f64)
                s = seqnn_safetensors_writer_add(w, t->name, SEQNN_ST_F64, t->ndim, t->shape, d);
            else
                s = seqnn_safetensors_writer_add(w, t->name, SEQNN_ST_F32, t->ndim, t->shape, v);
        }
        free(v);
        free(d);
        free(n);
        if (s)
            goto done;
    }
    if (c->extra) {
        const float z[3] = {0, 0, 0};
        const int64_t shape[1] = {3};
        if (seqnn_safetensors_writer_add(w, c->extra, SEQNN_ST_F32, 1, shape, z))
            goto done;
    }
    rc = seqnn_safetensors_writer_save(w, path) ? -1 : 0;
done:
    if (rc)
        printf("FAIL: crafting %s: %s\n", path, seqnn_last_error());
    failures += rc != 0;
    seqnn_safetensors_writer_destroy(w);
    seqnn_safetensors_close(st);
    remove(tmp);
    return rc;
}

/* Rewrites a checkpoint with its optimizer state changed: one optimizer
 * tensor misshapen (drop_last_dim) or metadata key set to value (NULL: removed). */
static int rewrite(const char *src, const char *dst, const char *misshape, const char *key, const char *value)
{
    seqnn_safetensors *st = NULL;
    seqnn_safetensors_writer *w = NULL;
    int rc = -1;
    if (seqnn_safetensors_open(src, &st) || seqnn_safetensors_writer_create(&w))
        goto done;
    for (int64_t i = 0; i < seqnn_safetensors_count(st); i++) {
        const seqnn_st_tensor *t = seqnn_safetensors_tensor(st, i);
        float *v = malloc((size_t)t->count * sizeof *v);
        seqnn_status s = v ? seqnn_safetensors_read_f32(st, t->name, v, t->count) : SEQNN_ERR_NO_MEMORY;
        int64_t shape[SEQNN_SAFETENSORS_MAX_DIMS];
        memcpy(shape, t->shape, sizeof shape);
        int ndim = t->ndim;
        if (misshape && !strcmp(t->name, misshape)) {    /* [n] -> [n - 1] */
            shape[ndim - 1]--;
        }
        if (s == SEQNN_OK)
            s = seqnn_safetensors_writer_add(w, t->name, SEQNN_ST_F32, ndim, shape, v);
        free(v);
        if (s)
            goto done;
    }
    for (int64_t i = 0; i < seqnn_safetensors_metadata_count(st); i++) {
        const char *k, *v;
        seqnn_safetensors_metadata_entry(st, i, &k, &v);
        if (key && !strcmp(k, key))
            continue;
        if (seqnn_safetensors_writer_metadata(w, k, v))
            goto done;
    }
    if (key && value && seqnn_safetensors_writer_metadata(w, key, value))
        goto done;
    rc = seqnn_safetensors_writer_save(w, dst) ? -1 : 0;
done:
    if (rc)
        printf("FAIL: rewriting %s: %s\n", src, seqnn_last_error());
    failures += rc != 0;
    seqnn_safetensors_writer_destroy(w);
    seqnn_safetensors_close(st);
    return rc;
}

/* ------------------------------------------------------------- tests --- */
static void train(seqnn_model *m, int steps)
{
    seqnn_batch b = batch();
    seqnn_step_result r;
    for (int i = 0; i < steps; i++)
        EXPECT(seqnn_model_train_step(m, &b, &r) == SEQNN_OK, "train step: %s", seqnn_last_error());
}

static void test_round_trip(void)
{
    char p[512];
    path_of(p, sizeof p, "good.safetensors");
    seqnn_model *a = make_lstm(SEQNN_OPTIM_ADAM, 0), *b = make_lstm(SEQNN_OPTIM_ADAM, 0);
    if (!a || !b)
        goto done;
    train(a, 3);
    EXPECT(seqnn_model_save(a, p, 1, NULL) == SEQNN_OK, "save: %s", seqnn_last_error());
    EXPECT(seqnn_model_load(b, p) == SEQNN_OK, "load: %s", seqnn_last_error());
    snapshot sa, sb;
    EXPECT(take(a, &sa) == 0 && take(b, &sb) == 0, "snapshots");
    EXPECT(sa.step == 3 && sb.step == 3, "step counts %lld and %lld, expected 3", (long long)sa.step,
           (long long)sb.step);
    EXPECT(sa.file_size == sb.file_size && !memcmp(sa.file, sb.file, sa.file_size),
           "a loaded checkpoint saves to different bytes");
    drop(&sa);
    drop(&sb);
    /* training continues identically */
    train(a, 2);
    train(b, 2);
    EXPECT(take(a, &sa) == 0 && take(b, &sb) == 0, "snapshots");
    EXPECT(sa.file_size == sb.file_size && !memcmp(sa.file, sb.file, sa.file_size),
           "training after load differs from training on");
    drop(&sa);
    drop(&sb);
    printf("ok round trip: parameters, optimizer state and step restored; training continues identically\n");
done:
    seqnn_model_destroy(a);
    seqnn_model_destroy(b);
}

/* An LSTM with peepholes and a projection: saved and loaded to the same
 * bytes (weight_hr_l*, weight_peephole_l* included); a plain LSTM's
 * checkpoint lacks those tensors and is refused. */
static void test_variant_round_trip(void)
{
    char p[512];
    path_of(p, sizeof p, "variant.safetensors");
    seqnn_model *a = make_variant(SEQNN_CELL_LSTM, 5, "lstm", SEQNN_OPTIM_ADAM, 0, SEQNN_LSTM_PEEPHOLE, 3);
    seqnn_model *b = make_variant(SEQNN_CELL_LSTM, 5, "lstm", SEQNN_OPTIM_ADAM, 0, SEQNN_LSTM_PEEPHOLE, 3);
    seqnn_model *plain = make_lstm(SEQNN_OPTIM_ADAM, 0);
    snapshot sa, sb;
    if (!a || !b || !plain)
        goto done;
    train(a, 2);
    EXPECT(seqnn_model_save(a, p, 1, NULL) == SEQNN_OK, "save: %s", seqnn_last_error());
    EXPECT(seqnn_model_load(b, p) == SEQNN_OK, "load: %s", seqnn_last_error());
    EXPECT(take(a, &sa) == 0 && take(b, &sb) == 0, "snapshots");
    EXPECT(sa.file_size == sb.file_size && !memcmp(sa.file, sb.file, sa.file_size),
           "a loaded LSTM-variant checkpoint saves to different bytes");
    drop(&sa);
    drop(&sb);
    path_of(p, sizeof p, "plain_for_variant.safetensors");
    EXPECT(seqnn_model_save(plain, p, 0, NULL) == SEQNN_OK, "save: %s", seqnn_last_error());
    const char *names[] = {"lstm.weight_hh_l0", NULL};   /* [4*5, 5] vs [4*5, 3] */
    expect_refused("a plain LSTM's checkpoint for a projected peephole LSTM", b, p, SEQNN_ERR_FORMAT, names);
    printf("ok LSTM variant round trip (weight_hr, weight_peephole), plain LSTM checkpoint refused\n");
done:
    seqnn_model_destroy(a);
    seqnn_model_destroy(b);
    seqnn_model_destroy(plain);
}

static void test_other_models(void)
{
    char p[512];
    seqnn_model *m = make_lstm(SEQNN_OPTIM_ADAM, 0);
    seqnn_model *gru = make(SEQNN_CELL_GRU, 5, "gru", SEQNN_OPTIM_ADAM, 0);
    seqnn_model *wide = make(SEQNN_CELL_LSTM, 7, "lstm", SEQNN_OPTIM_ADAM, 0);
    if (!m || !gru || !wide)
        goto done;
    train(m, 1);
    path_of(p, sizeof p, "other_names.safetensors");
    EXPECT(seqnn_model_save(gru, p, 0, NULL) == SEQNN_OK, "save: %s", seqnn_last_error());
    const char *gru_names[] = {"gru.", NULL};
    expect_refused("a checkpoint of another model (a GRU 'gru', not an LSTM 'lstm')", m, p, SEQNN_ERR_FORMAT,
                   gru_names);
    path_of(p, sizeof p, "other_shapes.safetensors");
    EXPECT(seqnn_model_save(wide, p, 0, NULL) == SEQNN_OK, "save: %s", seqnn_last_error());
    const char *wide_names[] = {"lstm.weight_ih_l0", "28", "20", NULL};   /* [4*7, 6] vs [4*5, 6] */
    expect_refused("a checkpoint of the same layers with another hidden size", m, p, SEQNN_ERR_FORMAT,
                   wide_names);
    /* the other direction: a smaller model cannot take the larger one's tensors either */
    path_of(p, sizeof p, "smaller.safetensors");
    EXPECT(seqnn_model_save(m, p, 0, NULL) == SEQNN_OK, "save: %s", seqnn_last_error());
    const char *small_names[] = {"lstm.weight_ih_l0", NULL};
    expect_refused("a checkpoint of a smaller model", wide, p, SEQNN_ERR_FORMAT, small_names);
done:
    seqnn_model_destroy(m);
    seqnn_model_destroy(gru);
    seqnn_model_destroy(wide);
}

static void test_crafted(void)
{
    char p[512];
    seqnn_model *m = make_lstm(SEQNN_OPTIM_ADAM, 0), *src = make_lstm(SEQNN_OPTIM_ADAM, 0);
    if (!m || !src)
        goto done;
    train(m, 1);
    train(src, 4);                       /* different values from m's */
    craft c;

    memset(&c, 0, sizeof c);
    c.skip = "lstm.bias_hh_l1_reverse";
    path_of(p, sizeof p, "missing.safetensors");
    if (!write_crafted(src, p, &c)) {
        const char *names[] = {"lstm.bias_hh_l1_reverse", NULL};
        expect_refused("a checkpoint missing a tensor", m, p, SEQNN_OK, names);
    }

    memset(&c, 0, sizeof c);
    c.extra = "decoder.weight";
    path_of(p, sizeof p, "extra.safetensors");
    if (!write_crafted(src, p, &c)) {
        const char *names[] = {"decoder.weight", NULL};
        expect_refused("a checkpoint with an extra tensor", m, p, SEQNN_ERR_FORMAT, names);
    }

    memset(&c, 0, sizeof c);
    c.as_i32 = "fc.bias";
    path_of(p, sizeof p, "int_tensor.safetensors");
    if (!write_crafted(src, p, &c)) {
        const char *names[] = {"fc.bias", NULL};
        expect_refused("a checkpoint with an integer tensor", m, p, SEQNN_OK, names);
    }

    memset(&c, 0, sizeof c);
    c.nan = "fc.weight";
    path_of(p, sizeof p, "nan.safetensors");
    if (!write_crafted(src, p, &c)) {
        const char *names[] = {"fc.weight", "non-finite", NULL};
        expect_refused("a checkpoint holding NaN (a diverged run)", m, p, SEQNN_ERR_FORMAT, names);
    }

    /* float64 state_dicts (a PyTorch model in double) load, rounded to float32 */
    memset(&c, 0, sizeof c);
    c.as_f64 = 1;
    path_of(p, sizeof p, "float64.safetensors");
    if (!write_crafted(src, p, &c)) {
        snapshot want, got;
        EXPECT(seqnn_model_load(m, p) == SEQNN_OK, "float64 checkpoint: %s", seqnn_last_error());
        EXPECT(take(src, &want) == 0 && take(m, &got) == 0, "snapshots");
        EXPECT(want.total == got.total && !memcmp(want.params, got.params, (size_t)want.total * sizeof(float)),
               "a float64 checkpoint loads other values");
        drop(&want);
        drop(&got);
        printf("ok a float64 state_dict loads (exactly, its values being float32's)\n");
    }
done:
    seqnn_model_destroy(m);
    seqnn_model_destroy(src);
}

static void test_damaged_files(void)
{
    char good[512], p[512];
    seqnn_model *m = make_lstm(SEQNN_OPTIM_ADAM, 0), *src = make_lstm(SEQNN_OPTIM_ADAM, 0);
    unsigned char *bytes = NULL;
    size_t size = 0;
    if (!m || !src)
        goto done;
    train(m, 1);
    train(src, 2);
    path_of(good, sizeof good, "whole.safetensors");
    if (seqnn_model_save(src, good, 1, NULL) || read_file(good, &bytes, &size) || size < 64) {
        EXPECT(0, "save: %s", seqnn_last_error());
        goto done;
    }
    uint64_t hdr = 0;
    for (int i = 7; i >= 0; i--)
        hdr = hdr << 8 | bytes[i];
    size_t cuts[] = {0, 5, 8, 8 + (size_t)hdr / 2, 8 + (size_t)hdr, 8 + (size_t)hdr + (size - 8 - (size_t)hdr) / 2,
                     size - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char what[128];
        snprintf(p, sizeof p, "%s/truncated_%zu.safetensors", work, cuts[i]);
        snprintf(what, sizeof what, "a checkpoint truncated to %zu of %zu bytes", cuts[i], size);
        if (write_file(p, bytes, cuts[i]) == 0)
            expect_refused(what, m, p, SEQNN_ERR_FORMAT, NULL);
        else
            EXPECT(0, "cannot write %s", p);
    }
    /* a corrupted header: the JSON's opening brace */
    bytes[8] = 'x';
    path_of(p, sizeof p, "corrupt_header.safetensors");
    if (write_file(p, bytes, size) == 0)
        expect_refused("a checkpoint with a corrupted header", m, p, SEQNN_ERR_FORMAT, NULL);
    /* a header length past the end of the file */
    bytes[8] = '{';
    bytes[6] = 0x7f;
    path_of(p, sizeof p, "huge_header.safetensors");
    if (write_file(p, bytes, size) == 0)
        expect_refused("a checkpoint whose header length exceeds the file", m, p, SEQNN_ERR_FORMAT, NULL);
    path_of(p, sizeof p, "does_not_exist.safetensors");
    expect_refused("a checkpoint that does not exist", m, p, SEQNN_ERR_NOT_FOUND, NULL);
    path_of(p, sizeof p, "");            /* a directory */
    expect_refused("a directory given as the checkpoint", m, p, SEQNN_OK, NULL);
    /* the model still loads a good file after all that */
    EXPECT(seqnn_model_load(m, good) == SEQNN_OK, "good load after bad ones: %s", seqnn_last_error());
    snapshot a, b;
    EXPECT(take(m, &a) == 0 && take(src, &b) == 0 && a.file_size == b.file_size &&
           !memcmp(a.file, b.file, a.file_size), "the good checkpoint did not restore the model");
    drop(&a);
    drop(&b);
done:
    free(bytes);
    seqnn_model_destroy(m);
    seqnn_model_destroy(src);
}

static void test_optimizer_state(void)
{
    char p_sgd[512], p_adam[512], p_ams[512], p[512];
    seqnn_model *sgd = make_lstm(SEQNN_OPTIM_SGD, 0), *adam = make_lstm(SEQNN_OPTIM_ADAM, 0);
    seqnn_model *ams = make_lstm(SEQNN_OPTIM_ADAM, 1), *ada = make_lstm(SEQNN_OPTIM_ADAGRAD, 0);
    if (!sgd || !adam || !ams || !ada)
        goto done;
    train(sgd, 2);
    train(adam, 2);
    train(ams, 2);
    train(ada, 1);
    path_of(p_sgd, sizeof p_sgd, "optim_sgd.safetensors");
    path_of(p_adam, sizeof p_adam, "optim_adam.safetensors");
    path_of(p_ams, sizeof p_ams, "optim_amsgrad.safetensors");
    EXPECT(seqnn_model_save(sgd, p_sgd, 1, NULL) == SEQNN_OK && seqnn_model_save(adam, p_adam, 1, NULL) == SEQNN_OK &&
           seqnn_model_save(ams, p_ams, 1, NULL) == SEQNN_OK, "save: %s", seqnn_last_error());

    const char *mom[] = {"momentum_buffer", NULL}, *exp_avg[] = {"exp_avg", NULL};
    expect_refused("SGD momentum state loaded into an Adam model", adam, p_sgd, SEQNN_ERR_FORMAT, exp_avg);
    expect_refused("Adam state loaded into an SGD momentum model", sgd, p_adam, SEQNN_ERR_FORMAT, mom);
    const char *sum[] = {"sum", NULL}, *max[] = {"max_exp_avg_sq", NULL};
    expect_refused("Adam state loaded into an Adagrad model", ada, p_adam, SEQNN_ERR_FORMAT, sum);
    expect_refused("Adam state loaded into an Adam-amsgrad model", ams, p_adam, SEQNN_ERR_FORMAT, max);
    expect_refused("Adam-amsgrad state loaded into a plain Adam model", adam, p_ams, SEQNN_ERR_FORMAT, NULL);

    /* the slots of this optimizer, with a wrong kind in the metadata */
    path_of(p, sizeof p, "optim_kind.safetensors");
    if (!rewrite(p_adam, p, NULL, "seqnn.optimizer", "rmsprop")) {
        const char *names[] = {"rmsprop", NULL};
        expect_refused("Adam's slots labelled as RMSprop state", adam, p, SEQNN_ERR_FORMAT, names);
    }
    path_of(p, sizeof p, "optim_misshapen.safetensors");
    if (!rewrite(p_adam, p, "optim.fc.bias.exp_avg_sq", NULL, NULL)) {
        const char *names[] = {"optim.fc.bias.exp_avg_sq", NULL};
        expect_refused("a misshapen optimizer tensor", adam, p, SEQNN_ERR_FORMAT, names);
    }
    path_of(p, sizeof p, "optim_no_step.safetensors");
    if (!rewrite(p_adam, p, NULL, "seqnn.step", NULL)) {
        const char *names[] = {"seqnn.step", NULL};
        expect_refused("optimizer state without its step count", adam, p, SEQNN_ERR_FORMAT, names);
    }
    path_of(p, sizeof p, "optim_bad_step.safetensors");
    if (!rewrite(p_adam, p, NULL, "seqnn.step", "12abc")) {
        const char *names[] = {"seqnn.step", "12abc", NULL};
        expect_refused("optimizer state with a step count that is not a number", adam, p, SEQNN_ERR_FORMAT, names);
    }
    path_of(p, sizeof p, "optim_negative_step.safetensors");
    if (!rewrite(p_adam, p, NULL, "seqnn.step", "-3")) {
        const char *names[] = {"seqnn.step", NULL};
        expect_refused("optimizer state with a negative step count", adam, p, SEQNN_ERR_FORMAT, names);
    }

    /* parameters only (a PyTorch state_dict): the optimizer state and step stay */
    path_of(p, sizeof p, "params_only.safetensors");
    EXPECT(seqnn_model_save(ams, p, 0, NULL) == SEQNN_OK, "save: %s", seqnn_last_error());
    int64_t step = seqnn_model_step_count(adam);
    EXPECT(seqnn_model_load(adam, p) == SEQNN_OK, "parameters only: %s", seqnn_last_error());
    EXPECT(seqnn_model_step_count(adam) == step, "loading parameters only changed the step count");
done:
    seqnn_model_destroy(sgd);
    seqnn_model_destroy(adam);
    seqnn_model_destroy(ams);
    seqnn_model_destroy(ada);
}

/* A save that cannot complete leaves nothing behind: neither the target nor a
 * temporary file. */
static int count_files(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += !strncmp(e->d_name, prefix, strlen(prefix));
    if (d)
        closedir(d);
    return n;
}

static void test_failed_save(void)
{
    char p[512], sub[512];
    seqnn_model *m = make_lstm(SEQNN_OPTIM_ADAM, 0);
    if (!m)
        return;
    path_of(p, sizeof p, "no/such/dir/model.safetensors");
    EXPECT(seqnn_model_save(m, p, 1, NULL) != SEQNN_OK, "a save into a missing directory succeeded");
    path_of(sub, sizeof sub, "occupied");
    mkdir(sub, 0755);
    path_of(p, sizeof p, "occupied");    /* a directory where the file should go */
    EXPECT(seqnn_model_save(m, p, 1, NULL) != SEQNN_OK, "a save over a directory succeeded");
    EXPECT(count_files(work, "occupied.") == 0, "a failed save left a temporary file in %s", work);
    const char *bad_meta[] = {"key", NULL, NULL};
    path_of(p, sizeof p, "bad_meta.safetensors");
    EXPECT(seqnn_model_save(m, p, 1, bad_meta) != SEQNN_OK, "metadata without a value was accepted");
    EXPECT(count_files(work, "bad_meta") == 0, "a refused save left a file");
    printf("ok failed saves leave nothing behind\n");
    seqnn_model_destroy(m);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("usage: test_checkpoint WORK_DIR\n");
        return 2;
    }
    work = argv[1];
    mkdir(work, 0755);
    if (seqnn_context_create("ref", &ctx)) {
        printf("FAIL: ref: %s\n", seqnn_last_error());
        return 1;
    }
    test_round_trip();
    test_other_models();
    test_variant_round_trip();
    test_crafted();
    test_damaged_files();
    test_optimizer_state();
    test_failed_save();
    seqnn_context_destroy(ctx);
    printf("%s\n", failures ? "FAILED" : "all bad checkpoints refused, models unchanged");
    return failures ? 1 : 0;
}

/* ONNX export round trip (tests/onnx/export.sh): each model file given
 * ($vocab and the like set to small numbers) is built with a seed on ref
 * and avx2, run on a fixed input, exported with seqnn_model_save_onnx and
 * re-imported with seqnn_model_load_onnx on the same plugin; the imported
 * model's output must equal the original's bit for bit: the importer must
 * map every export. Each model is also exported with its lengths as inputs
 * (NAME.len, run with lengths T, T-2, 1; WORK/NAME.len.lengths<k>.bin). Models with a layer that has no ONNX
 * form (tree layers, a projected LSTM: model files named refuse-*) must be
 * refused with nothing written. Writes, for tests/onnx/export_check.py,
 * WORK/NAME.ref.onnx, the inputs WORK/NAME.in<k>.bin (int32 ids or float32,
 * time-major), the ref output WORK/NAME.out.bin, a checkpoint
 * WORK/NAME.safetensors (for `seqnn export`), and one line per model in
 * WORK/manifest.txt: NAME exported|refused|unimported, then the inputs
 * (tokens|features T B n; an encoder-decoder's decoder input last) and
 * the output's dims.
 * usage: test_onnx_export WORK MODEL.seqnn... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "seqnn/model.h"
#include "seqnn/modelfile.h"
#include "seqnn/onnx.h"

#define B_ 3
static const int64_t STEPS[2] = {7, 5};   /* input 0, inputs after it */

/* The model file's text with $vocab & co. replaced, into a new string. */
static char *model_text(const char *path)
{
    static const char *const vars[][2] = {{"$src_vocab", "23"}, {"$tgt_vocab", "19"}, {"$vocab", "23"},
                                          {"$classes", "5"}};
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char in[1 << 16];
    size_t n = fread(in, 1, sizeof in - 1, f);
    fclose(f);
    in[n] = 0;
    char *out = malloc(2 * n + 64), *o = out;
    for (const char *p = in; out && *p;) {
        size_t k = 0;
        while (k < 4 && strncmp(p, vars[k][0], strlen(vars[k][0])))
            k++;
        if (k < 4) {
            o += sprintf(o, "%s", vars[k][1]);
            p += strlen(vars[k][0]);
        } else
            *o++ = *p++;
    }
    if (out)
        *o = 0;
    return out;
}

typedef struct run_input {
    int32_t *tokens;
    float *features;
    int32_t lengths[B_];                 /* T, T - 2, 1 */
    int64_t T, n;
    int is_tokens;
} run_input;

/* What a model runs on: its inputs, then (dec) the decoder's in ins[n_in];
 * with or without their lengths. */
typedef struct case_io {
    run_input ins[8];
    int n_in, dec, use_len;
} case_io;

/* Deterministic inputs for every input of m, then (io->dec) the decoder's
 * tokens (19 of them: $tgt_vocab). */
static int make_inputs(seqnn_model *m, case_io *io)
{
    io->n_in = seqnn_model_input_count(m);
    uint64_t s = 12345;
    for (int k = 0; k < io->n_in + io->dec; k++) {
        seqnn_input_info ii = {.tokens = 1, .n = 19};
        if (k < io->n_in && seqnn_model_input_info(m, k, &ii) != SEQNN_OK)
            return 1;
        run_input *r = &io->ins[k];
        r->T = k == io->n_in ? 6 : STEPS[k > 0];
        r->n = ii.n;
        r->is_tokens = ii.tokens;
        r->lengths[0] = (int32_t)r->T;
        r->lengths[1] = (int32_t)r->T - 2;
        r->lengths[2] = 1;
        int64_t cnt = r->T * B_ * (ii.tokens ? 1 : ii.n);
        r->tokens = ii.tokens ? malloc((size_t)cnt * sizeof *r->tokens) : NULL;
        r->features = ii.tokens ? NULL : malloc((size_t)cnt * sizeof *r->features);
        for (int64_t i = 0; i < cnt; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            if (ii.tokens)
                r->tokens[i] = (int32_t)((s >> 33) % (uint64_t)ii.n);
            else
                r->features[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 2 - 1);
        }
    }
    return 0;
}

/* m's output on io into a new array of *count floats. */
static float *predict(seqnn_model *m, const case_io *io, int64_t *count)
{
    int seq;
    int64_t n;
    const run_input *ins = io->ins;
    if (seqnn_model_output_shape(m, &seq, &n) != SEQNN_OK)
        return NULL;
    *count = (seq ? ins[io->dec ? io->n_in : 0].T : 1) * B_ * n;
    seqnn_batch b;
    seqnn_batch_input bi[8];
    memset(&b, 0, sizeof b);
    memset(bi, 0, sizeof bi);
    b.batch = B_;
    if (io->n_in == 1) {
        b.seq_len = ins[0].T;
        b.tokens = ins[0].tokens;
        b.features = ins[0].features;
        b.lengths = io->use_len ? ins[0].lengths : NULL;
        b.dec_len = io->dec ? ins[1].T : 0;
        b.dec_tokens = io->dec ? ins[1].tokens : NULL;
        b.dec_lengths = io->dec && io->use_len ? ins[1].lengths : NULL;
    } else {
        for (int k = 0; k < io->n_in; k++)
            bi[k] = (seqnn_batch_input){.seq_len = ins[k].T, .tokens = ins[k].tokens, .features = ins[k].features,
                                        .lengths = io->use_len ? ins[k].lengths : NULL};
        b.n_inputs = io->n_in;
        b.inputs = bi;
    }
    float *out = malloc((size_t)*count * sizeof *out);
    if (out && seqnn_model_predict(m, &b, out, *count) != SEQNN_OK) {
        free(out);
        return NULL;
    }
    return out;
}

static int write_raw(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(p, 1, n, f) == n;
    if (f)
        ok &= fclose(f) == 0;
    return !ok;
}

static int exists(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

/* Learned initial states (parameters "*.h0", "*.c0", zeros at first) made
 * non-zero, so that the round trip has them to carry. 1 when done. */
static int learned_nonzero(seqnn_model *m)
{
    for (int64_t i = 0; i < seqnn_model_param_count(m); i++) {
        seqnn_param_info p;
        size_t n = 0;
        if (seqnn_model_param(m, i, &p) != SEQNN_OK || (n = strlen(p.name)) < 3 ||
            (strcmp(p.name + n - 3, ".h0") && strcmp(p.name + n - 3, ".c0")))
            continue;
        float *v = malloc((size_t)p.count * sizeof *v);
        for (int64_t e = 0; v && e < p.count; e++)
            v[e] = 0.1f * (float)((e * 7 + i) % 11) - 0.5f;
        seqnn_status st = v ? seqnn_model_param_write(m, i, v, p.count) : SEQNN_ERR_NO_MEMORY;
        free(v);
        if (st) {
            seqnn_model_destroy(m);
            return 0;
        }
    }
    return 1;
}

/* The model of text built with seed 7 on backend, or NULL (77 in *skip
 * when the backend is missing). */
static seqnn_model *build(const char *text, const char *name, const char *backend, seqnn_context **ctx, int *skip)
{
    seqnn_model *m = NULL;
    *ctx = NULL;
    if (seqnn_context_create(backend, ctx) != SEQNN_OK) {
        *skip = 1;
        return NULL;
    }
    if (seqnn_modelfile_parse(text, strlen(text), name, NULL, 0, &m, NULL) != SEQNN_OK ||
        seqnn_model_build(m, *ctx, 7) != SEQNN_OK) {
        fprintf(stderr, "test_onnx_export: %s: %s\n", name, seqnn_last_error());
        seqnn_model_destroy(m);
        return NULL;
    }
    return learned_nonzero(m) ? m : NULL;
}

/* For export_check.py: the inputs (and lengths), seqnn's output y, and
 * the manifest line of the model name (status: exported or unimported). */
static int write_case(const char *work, const char *name, const char *status, seqnn_model *m, const case_io *io,
                      const float *y, int64_t count, FILE *manifest)
{
    char buf[1024];
    int bad = 0, seq;
    int64_t n;
    fprintf(manifest, "%s %s %d", name, status, io->n_in + io->dec);
    for (int k = 0; k < io->n_in + io->dec; k++) {
        const run_input *r = &io->ins[k];
        snprintf(buf, sizeof buf, "%s/%s.in%d.bin", work, name, k);
        int64_t cnt = r->T * B_ * (r->is_tokens ? 1 : r->n);
        bad |= write_raw(buf, r->is_tokens ? (const void *)r->tokens : (const void *)r->features, (size_t)cnt * 4);
        snprintf(buf, sizeof buf, "%s/%s.lengths%d.bin", work, name, k);
        bad |= io->use_len && write_raw(buf, r->lengths, sizeof r->lengths);
        fprintf(manifest, " %s %lld %d %lld", r->is_tokens ? "tokens" : "features", (long long)r->T, B_,
                (long long)r->n);
    }
    seqnn_model_output_shape(m, &seq, &n);
    fprintf(manifest, " %d %lld\n", seq, (long long)n);
    snprintf(buf, sizeof buf, "%s/%s.out.bin", work, name);
    return bad | write_raw(buf, y, (size_t)count * sizeof *y);
}

/* Exports m (with lengths: io->use_len) as WORK/NAME.BACKEND.onnx, imports
 * it on backend and compares the outputs: 0 when they are bitwise equal; on
 * ref, writes the case (an export the importer refuses too, for
 * export_check.py). */
static int round_trip(const char *work, const char *name, seqnn_model *m, const case_io *io, const char *backend,
                      FILE *manifest)
{
    char onnx[1024];
    snprintf(onnx, sizeof onnx, "%s/%s.%s.onnx", work, name, backend);
    seqnn_onnx_export_options o = {.lengths = io->use_len};
    seqnn_context *ctx = NULL;
    seqnn_model *back = NULL;
    seqnn_onnx_info info;
    int64_t count = 0, count2 = 0;
    float *y = predict(m, io, &count), *y2 = NULL;
    int bad = 1;
    seqnn_onnx_info_init(&info);
    seqnn_status st = y ? seqnn_model_save_onnx(m, onnx, &o) : SEQNN_ERR_INTERNAL;
    if (st) {
        printf("%-32s %-6s export FAILED: %s\n", name, backend, seqnn_last_error());
        free(y);
        return 1;
    }
    st = seqnn_context_create(backend, &ctx) ? SEQNN_ERR_IO : seqnn_model_load_onnx(onnx, ctx, &back, &info);
    if (st)   /* export_check.py still runs the file */
        printf("%-32s %-6s exported; import FAILED: %s\n", name, backend, seqnn_last_error());
    else {
        seqnn_onnx_info_free(&info);
        y2 = predict(back, io, &count2);
        bad = !y2 || count2 != count || memcmp(y, y2, (size_t)count * sizeof *y);
        printf("%-32s %-6s exported, re-imported: %s (%lld values)\n", name, backend,
               bad ? "OUTPUTS DIFFER" : "bitwise equal", (long long)count);
    }
    if (!strcmp(backend, "ref"))
        bad |= write_case(work, name, st ? "unimported" : "exported", m, io, y, count, manifest);
    free(y);
    free(y2);
    seqnn_model_destroy(back);
    seqnn_context_destroy(ctx);
    return bad;
}

/* Export and round trip of one model file on backend, without and with
 * lengths (NAME.len); a refusal where one is due. 0 when it behaves. */
static int check_model(const char *work, const char *path, const char *backend, FILE *manifest)
{
    const char *slash = strrchr(path, '/'), *dir = slash;
    while (dir > path && dir[-1] != '/')
        dir--;
    char name[256], name_len[300], onnx[1024], buf[1024];
    snprintf(name, sizeof name, "%.*s_%.*s", (int)(slash - dir), dir, (int)strcspn(slash + 1, "."), slash + 1);
    snprintf(name_len, sizeof name_len, "%s.len", name);
    snprintf(onnx, sizeof onnx, "%s/%s.%s.onnx", work, name, backend);
    int expect_refusal = strstr(name, "tree-") || strstr(name, "refuse-");
    char *text = model_text(path);
    seqnn_context *ctx = NULL;
    int skip = 0, bad = 1;
    case_io io;
    memset(&io, 0, sizeof io);
    io.dec = text && strstr(text, "\ndecoder ");
    seqnn_model *m = text ? build(text, path, backend, &ctx, &skip) : NULL;
    if (!m)
        bad = !skip;
    else if (expect_refusal) {
        remove(onnx);
        seqnn_status st = seqnn_model_save_onnx(m, onnx, NULL);
        bad = !st || exists(onnx);
        printf("%-32s %-6s export refused%s: %s\n", name, backend, bad ? " (UNEXPECTED)" : "", seqnn_last_error());
        if (!strcmp(backend, "ref"))
            fprintf(manifest, "%s refused\n", name);
    } else if (make_inputs(m, &io))
        fprintf(stderr, "test_onnx_export: %s: %s\n", name, seqnn_last_error());
    else {
        bad = round_trip(work, name, m, &io, backend, manifest);
        io.use_len = 1;
        bad |= round_trip(work, name_len, m, &io, backend, manifest);
    }
    if (m && !strcmp(backend, "ref")) {   /* a checkpoint for `seqnn export` */
        snprintf(buf, sizeof buf, "%s/%s.safetensors", work, name);
        const char *meta[] = {"seqnn.modelfile", text, "seqnn.format", "lines", "seqnn.vocab", "w:", NULL};
        bad |= seqnn_model_save(m, buf, 0, meta) != SEQNN_OK;
    }
    for (int k = 0; k < 8; k++) {
        free(io.ins[k].tokens);
        free(io.ins[k].features);
    }
    free(text);
    seqnn_model_destroy(m);
    seqnn_context_destroy(ctx);
    return bad;
}

/* seqnn_model_save_onnx's argument errors: each refused, nothing written. */
static int check_api_errors(const char *work)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/api.onnx", work);
    remove(path);
    seqnn_context *ctx = NULL;
    seqnn_model *m = NULL;
    int bad = seqnn_context_create("ref", &ctx) != SEQNN_OK || seqnn_model_create(&m) != SEQNN_OK ||
              seqnn_model_input_features(m, 3) != SEQNN_OK || seqnn_model_add_dense(m, NULL, 2) != SEQNN_OK;
    bad |= seqnn_model_save_onnx(m, path, NULL) != SEQNN_ERR_INVALID_ARG;   /* not built */
    bad |= seqnn_model_build(m, ctx, 7) != SEQNN_OK;
    seqnn_onnx_export_options o12 = {.opset = 12}, o18 = {.opset = 18}, fn = {.output = (seqnn_onnx_output)7};
    bad |= seqnn_model_save_onnx(m, path, &o12) != SEQNN_ERR_INVALID_ARG;
    bad |= seqnn_model_save_onnx(m, path, &o18) != SEQNN_ERR_INVALID_ARG;
    bad |= seqnn_model_save_onnx(m, path, &fn) != SEQNN_ERR_INVALID_ARG;
    bad |= seqnn_model_save_onnx(m, NULL, NULL) != SEQNN_ERR_INVALID_ARG;
    bad |= seqnn_model_save_onnx(NULL, path, NULL) != SEQNN_ERR_INVALID_ARG;
    bad |= exists(path);
    bad |= seqnn_model_save_onnx(m, path, NULL) != SEQNN_OK || !exists(path);
    seqnn_model_destroy(m);
    /* an input named as the lengths input the export would add: refused */
    seqnn_onnx_export_options ol = {.lengths = 1};
    remove(path);
    bad |= seqnn_model_create(&m) != SEQNN_OK || seqnn_model_add_input_features(m, "lengths", 3) != SEQNN_OK ||
           seqnn_model_add_dense(m, NULL, 2) != SEQNN_OK || seqnn_model_build(m, ctx, 7) != SEQNN_OK;
    bad |= seqnn_model_save_onnx(m, path, &ol) != SEQNN_ERR_UNSUPPORTED || exists(path);
    printf("seqnn_model_save_onnx argument errors: %s\n", bad ? "FAILED" : "each refused, nothing written");
    seqnn_model_destroy(m);
    seqnn_context_destroy(ctx);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: test_onnx_export WORK MODEL.seqnn...\n");
        return 2;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/manifest.txt", argv[1]);
    FILE *manifest = fopen(path, "w");
    if (!manifest) {
        perror(path);
        return 1;
    }
    int failed = check_api_errors(argv[1]);
    for (int i = 2; i < argc; i++)
        for (int b = 0; b < 2; b++)
            failed += check_model(argv[1], argv[i], b ? "avx2" : "ref", manifest);
    fclose(manifest);
    printf("%d of %d model files misbehaved\n", failed, argc - 2);
    return failed != 0;
}

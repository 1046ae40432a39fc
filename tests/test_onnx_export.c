/* ONNX export round trip (tests/onnx/export.sh): each model file given
 * ($vocab and the like set to small numbers) is built with a seed on ref
 * and avx2, run on a fixed input, exported with seqnn_model_save_onnx and
 * re-imported with seqnn_model_load_onnx on the same plugin; the imported
 * model's output must equal the original's bit for bit. Models with a layer
 * that has no ONNX form (tree layers, a projected LSTM: model files named
 * refuse-*) must be refused with nothing written. Writes, for tests/onnx/export_check.py,
 * WORK/NAME.onnx, the inputs WORK/NAME.in<k>.bin (int32 ids or float32,
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
    int64_t T, n;
    int is_tokens;
} run_input;

/* Deterministic inputs for every input of m, then (dec) the decoder's
 * tokens (19 of them: $tgt_vocab) in ins[*n_in]. */
static int make_inputs(seqnn_model *m, int dec, run_input *ins, int *n_in)
{
    *n_in = seqnn_model_input_count(m);
    uint64_t s = 12345;
    for (int k = 0; k < *n_in + dec; k++) {
        seqnn_input_info ii = {.tokens = 1, .n = 19};
        if (k < *n_in && seqnn_model_input_info(m, k, &ii) != SEQNN_OK)
            return 1;
        run_input *r = &ins[k];
        r->T = k == *n_in ? 6 : STEPS[k > 0];
        r->n = ii.n;
        r->is_tokens = ii.tokens;
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

/* m's output on the inputs (and the decoder's, dec) into a new array of *count floats. */
static float *predict(seqnn_model *m, const run_input *ins, int n_in, int dec, int64_t *count)
{
    int seq;
    int64_t n;
    if (seqnn_model_output_shape(m, &seq, &n) != SEQNN_OK)
        return NULL;
    *count = (seq ? ins[dec ? n_in : 0].T : 1) * B_ * n;
    seqnn_batch b;
    seqnn_batch_input bi[8];
    memset(&b, 0, sizeof b);
    memset(bi, 0, sizeof bi);
    b.batch = B_;
    if (n_in == 1) {
        b.seq_len = ins[0].T;
        b.tokens = ins[0].tokens;
        b.features = ins[0].features;
        b.dec_len = dec ? ins[1].T : 0;
        b.dec_tokens = dec ? ins[1].tokens : NULL;
    } else {
        for (int k = 0; k < n_in; k++)
            bi[k] = (seqnn_batch_input){.seq_len = ins[k].T, .tokens = ins[k].tokens, .features = ins[k].features};
        b.n_inputs = n_in;
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
    return m;
}

/* Export and round trip of one model file on backend; 0 when it behaves. */
static int check_model(const char *work, const char *path, const char *backend, FILE *manifest)
{
    const char *slash = strrchr(path, '/'), *dir_end = slash;
    const char *dir = slash;
    while (dir > path && dir[-1] != '/')
        dir--;
    char name[256], onnx[1024], buf[1024];
    snprintf(name, sizeof name, "%.*s_%.*s", (int)(dir_end - dir), dir, (int)strcspn(slash + 1, "."), slash + 1);
    snprintf(onnx, sizeof onnx, "%s/%s.%s.onnx", work, name, backend);
    int expect_refusal = strstr(name, "tree-") || strstr(name, "refuse-");
    char *text = model_text(path);
    int dec = text && strstr(text, "\ndecoder ");
    seqnn_context *ctx = NULL, *ctx2 = NULL;
    int skip = 0, bad = 1, n_in = 0;
    run_input ins[8];
    memset(ins, 0, sizeof ins);
    seqnn_model *m = text ? build(text, path, backend, &ctx, &skip) : NULL, *back = NULL;
    int64_t count = 0, count2 = 0;
    float *y = NULL, *y2 = NULL;
    if (!m) {
        bad = !skip;
        goto done;
    }
    remove(onnx);
    seqnn_status st = seqnn_model_save_onnx(m, onnx, NULL);
    if (expect_refusal || st) {
        bad = !expect_refusal || !st || exists(onnx);
        printf("%-32s %-6s export refused%s: %s\n", name, backend, bad ? " (UNEXPECTED)" : "", seqnn_last_error());
        if (!strcmp(backend, "ref")) {   /* a checkpoint for `seqnn export`'s refusal */
            fprintf(manifest, "%s refused\n", name);
            snprintf(buf, sizeof buf, "%s/%s.safetensors", work, name);
            const char *meta[] = {"seqnn.modelfile", text, "seqnn.format", "lines", "seqnn.vocab", "w:", NULL};
            bad |= seqnn_model_save(m, buf, 0, meta) != SEQNN_OK;
        }
        goto done;
    }
    if (make_inputs(m, dec, ins, &n_in) || !(y = predict(m, ins, n_in, dec, &count))) {
        fprintf(stderr, "test_onnx_export: %s: %s\n", name, seqnn_last_error());
        goto done;
    }
    seqnn_onnx_info info;
    st = seqnn_context_create(backend, &ctx2) ? SEQNN_ERR_IO : seqnn_model_load_onnx(onnx, ctx2, &back, &info);
    if (st) {   /* an export the importer does not map (yet): export_check.py still runs it */
        printf("%-32s %-6s exported; import refuses: %s\n", name, backend, seqnn_last_error());
        bad = 0;
    } else {
        seqnn_onnx_info_free(&info);
        y2 = predict(back, ins, n_in, dec, &count2);
        bad = !y2 || count2 != count || memcmp(y, y2, (size_t)count * sizeof *y);
        printf("%-32s %-6s exported, re-imported: %s (%lld values)\n", name, backend,
               bad ? "OUTPUTS DIFFER" : "bitwise equal", (long long)count);
    }
    if (!strcmp(backend, "ref")) {
        fprintf(manifest, "%s %s %d", name, st ? "unimported" : "exported", n_in + dec);
        for (int k = 0; k < n_in + dec; k++) {
            snprintf(buf, sizeof buf, "%s/%s.in%d.bin", work, name, k);
            int64_t cnt = ins[k].T * B_ * (ins[k].is_tokens ? 1 : ins[k].n);
            bad |= write_raw(buf, ins[k].is_tokens ? (const void *)ins[k].tokens : (const void *)ins[k].features,
                             (size_t)cnt * 4);
            fprintf(manifest, " %s %lld %d %lld", ins[k].is_tokens ? "tokens" : "features", (long long)ins[k].T, B_,
                    (long long)ins[k].n);
        }
        int seq;
        int64_t n;
        seqnn_model_output_shape(m, &seq, &n);
        fprintf(manifest, " %d %lld\n", seq, (long long)n);
        snprintf(buf, sizeof buf, "%s/%s.out.bin", work, name);
        bad |= write_raw(buf, y, (size_t)count * sizeof *y);
        snprintf(buf, sizeof buf, "%s/%s.safetensors", work, name);
        const char *meta[] = {"seqnn.modelfile", text, "seqnn.format", "lines", "seqnn.vocab", "w:", NULL};
        bad |= seqnn_model_save(m, buf, 0, meta) != SEQNN_OK;
    }
done:
    for (int k = 0; k < 8; k++) {
        free(ins[k].tokens);
        free(ins[k].features);
    }
    free(y);
    free(y2);
    free(text);
    seqnn_model_destroy(back);
    seqnn_model_destroy(m);
    seqnn_context_destroy(ctx2);
    seqnn_context_destroy(ctx);
    return bad;
}

/* seqnn_model_save_onnx's argument errors: each refused, nothing written. */
static int check_api_errors(const char *work)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/api.onnx", work);
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

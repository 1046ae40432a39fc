/* Runs an imported ONNX model for tests/onnx_models.py: the model from the
 * ONNX file (seqnn_model_load_onnx) or from a checkpoint `seqnn import`
 * wrote (its model file, then seqnn_model_load), on one backend, over an
 * input read from a raw file as the graph takes it ([D0, D1(, F)], int32 or
 * float32; transposed to time-major when the graph's input is batch-first),
 * writing seqnn_model_predict's output (time-major, raw float32) and the
 * import's facts as key=value lines. Exit 77 when the backend is missing.
 * usage: test_onnx_run (MODEL.onnx | --checkpoint CKPT) BACKEND IN.raw D0 D1 OUT.raw */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "seqnn/model.h"
#include "seqnn/modelfile.h"
#include "seqnn/onnx.h"
#include "seqnn/safetensors.h"

static int fail(const char *what)
{
    fprintf(stderr, "test_onnx_run: %s: %s\n", what, seqnn_last_error());
    return 1;
}

/* The model of a checkpoint written by `seqnn import`, built on ctx. */
static int from_checkpoint(const char *path, seqnn_context *ctx, seqnn_model **m, int *batch_first)
{
    seqnn_safetensors *st = NULL;
    if (seqnn_safetensors_open(path, &st) != SEQNN_OK)
        return fail(path);
    const char *mf = seqnn_safetensors_metadata(st, "seqnn.modelfile");
    const char *keys[] = {"seqnn.onnx.batch_first", "seqnn.onnx.output_batch_first", "seqnn.onnx.output"};
    for (int k = 0; k < 3; k++) {
        const char *v = seqnn_safetensors_metadata(st, keys[k]);
        printf("%s=%s\n", keys[k] + 11, v ? v : "?");
        if (k == 0)
            *batch_first = v && !strcmp(v, "1");
    }
    int rc = !mf || seqnn_modelfile_parse(mf, strlen(mf), path, NULL, 0, m, NULL) != SEQNN_OK;
    seqnn_safetensors_close(st);
    if (rc || seqnn_model_build(*m, ctx, 7) != SEQNN_OK || seqnn_model_load(*m, path) != SEQNN_OK)
        return fail(path);
    return 0;
}

int main(int argc, char **argv)
{
    int ck = argc == 8 && !strcmp(argv[1], "--checkpoint");
    if (argc != 7 + ck) {
        fprintf(stderr, "usage: test_onnx_run (MODEL.onnx | --checkpoint CKPT) BACKEND IN.raw T B OUT.raw\n");
        return 2;
    }
    char **a = argv + ck;
    int64_t T = atoll(a[4]), B = atoll(a[5]);
    seqnn_context *ctx = NULL;
    seqnn_model *m = NULL;
    int bf = 0;
    if (seqnn_context_create(a[2], &ctx) != SEQNN_OK) {
        fail(a[2]);
        return 77;
    }
    if (ck) {
        if (from_checkpoint(a[1], ctx, &m, &bf))
            return 1;
    } else {
        static const char *const fn[] = {"raw", "softmax", "log_softmax"};
        seqnn_onnx_info info;
        if (seqnn_model_load_onnx(a[1], ctx, &m, &info) != SEQNN_OK)
            return fail("import");
        printf("batch_first=%d\noutput_batch_first=%d\noutput=%s\n", info.batch_first, info.output_batch_first,
               fn[info.output]);
        bf = info.batch_first;
        seqnn_onnx_info_free(&info);
    }
    seqnn_input_info in;
    int seq;
    int64_t n;
    if (seqnn_model_input_info(m, 0, &in) != SEQNN_OK || seqnn_model_output_shape(m, &seq, &n) != SEQNN_OK)
        return fail("model");
    if (bf) {
        int64_t t = T;
        T = B;
        B = t;
    }
    int64_t w = in.tokens ? 1 : in.n, count_in = T * B * w, count_out = (seq ? T : 1) * B * n;
    uint32_t *raw = malloc((size_t)count_in * 4), *x = malloc((size_t)count_in * 4);
    float *y = malloc((size_t)count_out * 4);
    FILE *f = fopen(a[3], "rb");
    if (!raw || !x || !y || !f || fread(raw, 4, (size_t)count_in, f) != (size_t)count_in) {
        fprintf(stderr, "test_onnx_run: %s: cannot read %lld values\n", a[3], (long long)count_in);
        return 1;
    }
    fclose(f);
    for (int64_t t = 0; t < T; t++)   /* [B, T, w] -> [T, B, w] when batch-first */
        for (int64_t b = 0; b < B; b++)
            memcpy(x + (t * B + b) * w, raw + (bf ? b * T + t : t * B + b) * w, (size_t)w * 4);
    free(raw);
    seqnn_batch b = {0};
    b.seq_len = T;
    b.batch = B;
    if (in.tokens)
        b.tokens = (const int32_t *)x;
    else
        b.features = (const float *)x;
    if (seqnn_model_predict(m, &b, y, count_out) != SEQNN_OK)
        return fail("predict");
    f = fopen(a[6], "wb");
    if (!f || fwrite(y, 4, (size_t)count_out, f) != (size_t)count_out || fclose(f)) {
        fprintf(stderr, "test_onnx_run: cannot write %s\n", a[6]);
        return 1;
    }
    printf("shape=%s%lld\nT=%lld\nB=%lld\n", seq ? "T,B," : "B,", (long long)n, (long long)T, (long long)B);
    free(x);
    free(y);
    seqnn_model_destroy(m);
    seqnn_context_destroy(ctx);
    return 0;
}

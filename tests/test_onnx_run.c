/* Runs an imported ONNX model for tests/onnx_models.py: the model from the
 * ONNX file (seqnn_model_load_onnx) or from a checkpoint `seqnn import`
 * wrote (its model file, then seqnn_model_load), on one backend, over an
 * input read from a raw file as the graph takes it ([D0, D1(, F)], int32 or
 * float32; transposed to time-major when the graph's input is batch-first),
 * writing seqnn_model_predict's output (time-major, raw float32) and the
 * import's facts as key=value lines. Exit 77 when the backend is missing.
 * The graph's other inputs follow as options: --lengths FILE (int32 [B]),
 * --h0 FILE, --c0 FILE (float32 [layers*dirs, B, H], given to the layer
 * with seqnn_model_set_state), --input F:T (the model's next input, time-major
 * [T, B(, F)], in the graph's order; the first input then time-major too).
 * usage: test_onnx_run (MODEL.onnx | --checkpoint CKPT) BACKEND IN.raw D0 D1 OUT.raw [--lengths F] [--h0 F] [--c0 F]
 *        [--input F:T]... */
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

/* n values of 4 bytes from path into a new array (NULL: not given). */
static void *read_raw(const char *path, int64_t n)
{
    void *d = path ? malloc((size_t)n * 4) : NULL;
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (f && d && fread(d, 4, (size_t)n, f) == (size_t)n) {
        fclose(f);
        return d;
    }
    if (f)
        fclose(f);
    free(d);
    if (path)
        fprintf(stderr, "test_onnx_run: %s: cannot read %lld values\n", path, (long long)n);
    return NULL;
}

/* The model of a checkpoint written by `seqnn import`, built on ctx. */
static int from_checkpoint(const char *path, seqnn_context *ctx, seqnn_model **m, int *batch_first,
                           char *state_layer, size_t size)
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
    const char *sl = seqnn_safetensors_metadata(st, "seqnn.onnx.state_layer");
    snprintf(state_layer, size, "%s", sl ? sl : "");
    int rc = !mf || seqnn_modelfile_parse(mf, strlen(mf), path, NULL, 0, m, NULL) != SEQNN_OK;
    seqnn_safetensors_close(st);
    if (rc || seqnn_model_build(*m, ctx, 7) != SEQNN_OK || seqnn_model_load(*m, path) != SEQNN_OK)
        return fail(path);
    return 0;
}

/* The model's inputs 1..n from "FILE:T" arguments spec[] (time-major),
 * after input 0 (x, T0 steps) into in[]: 0, or 1 after a message. */
static int extra_inputs(seqnn_model *m, const char *const *spec, int n, int64_t B, seqnn_batch_input *in)
{
    for (int k = 1; k <= n; k++) {
        seqnn_input_info ii;
        const char *colon = strrchr(spec[k - 1], ':');
        char path[1024];
        if (!colon || seqnn_model_input_info(m, k, &ii) != SEQNN_OK)
            return fail(spec[k - 1]);
        snprintf(path, sizeof path, "%.*s", (int)(colon - spec[k - 1]), spec[k - 1]);
        in[k].seq_len = atoll(colon + 1);
        void *d = read_raw(path, in[k].seq_len * B * (ii.tokens ? 1 : ii.n));
        if (!d)
            return 1;
        if (ii.tokens)
            in[k].tokens = d;
        else
            in[k].features = d;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int ck = argc > 1 && !strcmp(argv[1], "--checkpoint");
    const char *opt[3] = {NULL, NULL, NULL}, *more[8];   /* --lengths, --h0, --c0; --input */
    static const char *const opt_name[4] = {"--lengths", "--h0", "--c0", "--input"};
    int bad = argc < 7 + ck, n_more = 0;
    for (int i = 7 + ck; !bad && i < argc; i += 2) {
        int k = 0;
        while (k < 4 && strcmp(argv[i], opt_name[k]))
            k++;
        bad = k == 4 || i + 1 >= argc || (k == 3 && n_more == 7);
        if (!bad && k == 3)
            more[n_more++] = argv[i + 1];
        else if (!bad)
            opt[k] = argv[i + 1];
    }
    if (bad) {
        fprintf(stderr, "usage: test_onnx_run (MODEL.onnx | --checkpoint CKPT) BACKEND IN.raw T B OUT.raw "
                        "[--lengths F] [--h0 F] [--c0 F] [--input F:T]...\n");
        return 2;
    }
    char **a = argv + ck;
    char state_layer[64] = "";
    int64_t T = atoll(a[4]), B = atoll(a[5]);
    seqnn_context *ctx = NULL;
    seqnn_model *m = NULL;
    int bf = 0;
    if (seqnn_context_create(a[2], &ctx) != SEQNN_OK) {
        fail(a[2]);
        return 77;
    }
    if (ck) {
        if (from_checkpoint(a[1], ctx, &m, &bf, state_layer, sizeof state_layer))
            return 1;
    } else {
        static const char *const fn[] = {"raw", "softmax", "log_softmax"};
        seqnn_onnx_info info;
        seqnn_onnx_info_init(&info);
        if (seqnn_model_load_onnx(a[1], ctx, &m, &info) != SEQNN_OK)
            return fail("import");
        printf("batch_first=%d\noutput_batch_first=%d\noutput=%s\n", info.batch_first, info.output_batch_first,
               fn[info.output]);
        bf = info.batch_first;
        printf("lengths_input=%d\nh0_input=%d\nc0_input=%d\n", info.lengths_input, info.h0_input, info.c0_input);
        snprintf(state_layer, sizeof state_layer, "%s", info.state_layer);
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
    int32_t *lengths = read_raw(opt[0], B);
    b.lengths = lengths;
    if (opt[1]) {   /* [layers*dirs, B, R]: as many rows as the layer's parameters say */
        int64_t units = 0, R = 0;
        for (int64_t i = 0; i < seqnn_model_param_count(m); i++) {
            seqnn_param_info pi;
            seqnn_model_param(m, i, &pi);
            size_t nl = strlen(state_layer);
            if (!strncmp(pi.name, state_layer, nl) && !strncmp(pi.name + nl, ".weight_hh_l", 12)) {
                units++;
                R = pi.shape[1];
            }
        }
        float *h = read_raw(opt[1], units * B * R), *c = read_raw(opt[2], units * B * R);
        if (!h || (opt[2] && !c) || seqnn_model_set_state(m, state_layer, B, h, c) != SEQNN_OK)
            return fail("initial states");
        free(h);
        free(c);
    }
    if ((opt[0] && !lengths))
        return 1;
    if (in.tokens)
        b.tokens = (const int32_t *)x;
    else
        b.features = (const float *)x;
    seqnn_batch_input ins[8];
    memset(ins, 0, sizeof ins);
    if (n_more) {   /* several inputs: seqnn_batch.inputs */
        ins[0] = (seqnn_batch_input){.seq_len = T, .tokens = b.tokens, .features = b.features, .lengths = lengths};
        if (extra_inputs(m, more, n_more, B, ins))
            return 1;
        b = (seqnn_batch){.batch = B, .n_inputs = n_more + 1, .inputs = ins};
    }
    if (seqnn_model_predict(m, &b, y, count_out) != SEQNN_OK)
        return fail("predict");
    f = fopen(a[6], "wb");
    if (!f || fwrite(y, 4, (size_t)count_out, f) != (size_t)count_out || fclose(f)) {
        fprintf(stderr, "test_onnx_run: cannot write %s\n", a[6]);
        return 1;
    }
    printf("shape=%s%lld\nT=%lld\nB=%lld\n", seq ? "T,B," : "B,", (long long)n, (long long)T, (long long)B);
    for (int k = 1; k <= n_more; k++) {
        free((void *)ins[k].tokens);
        free((void *)ins[k].features);
    }
    free(x);
    free(y);
    free(lengths);
    seqnn_model_destroy(m);
    seqnn_context_destroy(ctx);
    return 0;
}

/* `seqnn import`: an ONNX model (torch.onnx.export) made a seqnn checkpoint
 * with its model file in the metadata, as `seqnn train` writes them, so the
 * library (and `seqnn train --resume`-style tools) can rebuild it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "cli_error.h"
#include "seqnn/model.h"
#include "seqnn/onnx.h"

static void import_usage(FILE *f)
{
    fprintf(f, "usage: seqnn import MODEL.onnx -o CHECKPOINT [options]\n"
               "  maps an ONNX model exported by torch.onnx.export onto seqnn layers (docs/onnx.md)\n"
               "  -o, --output FILE  the checkpoint to write (safetensors, with the model file; required)\n"
               "  --backend SPEC     as SEQNN_BACKEND: where the model is built (default: best)\n"
               "  --print            also print the model file to stdout\n");
}

static const char *const OUTPUT_FN[] = {"raw", "softmax", "log_softmax"};

/* The vocabulary of a token model for `seqnn train --resume` and eval: the
 * ids written in decimal ("w:" then each token in hex), so that data of
 * space-separated ids (--words) reads token "17" as id 17, ids 0 and 1
 * being the line formats' <pad> and <unk>; "w:" for a feature model. NULL
 * when out of memory. */
static char *id_vocab(seqnn_model *m)
{
    seqnn_input_info in;
    int64_t n = m && seqnn_model_input_info(m, 0, &in) == SEQNN_OK && in.tokens ? in.n : 0;
    char *s = malloc(32 + (size_t)n * 21), *p = s;
    if (!s)
        return NULL;
    p += sprintf(p, "w:");
    for (int64_t i = 0; i < n; i++) {
        char dec[24];
        snprintf(dec, sizeof dec, i == 0 ? "<pad>" : i == 1 ? "<unk>" : "%lld", (long long)i);
        if (i)
            *p++ = ' ';
        for (const char *d = dec; *d; d++)
            p += sprintf(p, "%02x", (unsigned char)*d);
    }
    *p = 0;
    return s;
}

int seqnn_cli_import(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *backend = NULL;
    int print = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { import_usage(stdout); return 0; }
        else if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--backend") && i + 1 < argc) backend = argv[++i];
        else if (!strcmp(argv[i], "--print")) print = 1;
        else if (argv[i][0] != '-' && !in) in = argv[i];
        else {
            import_usage(stderr);
            return 2;
        }
    }
    if (!in || !out) {
        import_usage(stderr);
        return 2;
    }
    if (!strcmp(in, out)) {
        fprintf(stderr, "seqnn: import: the output %s is the input\n", out);
        return 2;
    }
    seqnn_context *ctx = NULL;
    seqnn_model *m = NULL;
    seqnn_onnx_info info;
    seqnn_onnx_info_init(&info);
    int rc = 0;
    if (seqnn_context_create(backend, &ctx) != SEQNN_OK)
        rc = cli_fail("backend");
    else if (seqnn_model_load_onnx(in, ctx, &m, &info) != SEQNN_OK)
        rc = cli_fail(NULL);
    char bf[2] = {info.batch_first ? '1' : '0', 0}, obf[2] = {info.output_batch_first ? '1' : '0', 0};
    static const char *const roles[] = {"data", "lengths", "h0", "c0", "decoder", "decoder_lengths"};
    char inputs[SEQNN_ONNX_MAX_INPUTS * 17] = "";   /* what the graph's inputs are, in order */
    for (int k = 0, n = 0; k < info.n_inputs; k++)
        n += snprintf(inputs + n, sizeof inputs - (size_t)n, "%s%s", k ? "," : "", roles[info.input_role[k]]);
    char *vocab = rc ? NULL : id_vocab(m);
    if (!rc && !vocab)
        rc = cli_fail("out of memory");
    const char *meta[] = {"seqnn.modelfile", info.modelfile, "seqnn.format", "onnx", "seqnn.vocab", vocab,
                          "seqnn.onnx.source", in, "seqnn.onnx.batch_first", bf,
                          "seqnn.onnx.output_batch_first", obf, "seqnn.onnx.output",
                          OUTPUT_FN[info.output], "seqnn.onnx.inputs", inputs,
                          "seqnn.onnx.state_layer", info.state_layer, NULL};
    if (!rc && seqnn_model_save(m, out, 0, meta) != SEQNN_OK)
        rc = cli_fail("writing the checkpoint");
    if (!rc) {
        if (print)
            fputs(info.modelfile, stdout);
        fprintf(stderr, "seqnn: %s: %lld nodes -> %lld parameters (%lld values) in %s%s%s%s\n", in,
                (long long)info.nodes, (long long)seqnn_model_param_count(m),
                (long long)seqnn_model_param_total(m), out, info.batch_first ? "; input batch-first" : "",
                info.output ? "; output: logits of the graph's " : "", info.output ? OUTPUT_FN[info.output] : "");
    }
    free(vocab);
    seqnn_onnx_info_free(&info);
    seqnn_model_destroy(m);
    seqnn_context_destroy(ctx);
    return rc;
}

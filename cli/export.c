/* `seqnn export`: a checkpoint (of `seqnn train` or `seqnn import`, with
 * its model file in the metadata) written as an ONNX model of its inference
 * graph through seqnn_model_save_onnx. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "checkpoint.h"
#include "cli.h"
#include "cli_error.h"
#include "seqnn/onnx.h"
#include "seqnn/safetensors.h"

static void export_usage(FILE *f)
{
    fprintf(f, "usage: seqnn export CHECKPOINT -o MODEL.onnx [options]\n"
               "  writes the checkpoint's model as an ONNX model of its inference graph (docs/onnx.md)\n"
               "  -o, --output FILE  the ONNX model to write (required)\n"
               "  --opset N          the ONNX opset, 13 to 17 (default: 14)\n"
               "  --final FN         raw, softmax or log_softmax: what the graph appends to the model's\n"
               "                     output (default: what an imported checkpoint's graph ended in, else raw)\n"
               "  --lengths          the graph also takes each sequence's lengths (inputs \"lengths\", ...;\n"
               "                     int32 [B]) and honours them as seqnn does (default: off, all T steps)\n"
               "  --backend SPEC     as SEQNN_BACKEND: where the model is loaded (default: ref)\n");
}

static const char *const FINAL_FN[] = {"raw", "softmax", "log_softmax"};

/* The final function named s, or -1. */
static int final_fn(const char *s)
{
    for (int i = 0; s && i < 3; i++)
        if (!strcmp(s, FINAL_FN[i]))
            return i;
    return -1;
}

/* What an imported checkpoint's graph ended in (seqnn.onnx.output), else raw. */
static int saved_final_fn(const char *path)
{
    seqnn_safetensors *st = NULL;
    if (seqnn_safetensors_open(path, &st) != SEQNN_OK)
        return 0;
    int fn = final_fn(seqnn_safetensors_metadata(st, "seqnn.onnx.output"));
    seqnn_safetensors_close(st);
    return fn < 0 ? 0 : fn;
}

int seqnn_cli_export(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *backend = "ref", *fn_name = NULL;
    int64_t opset = 14;
    int lengths = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { export_usage(stdout); return 0; }
        else if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--backend") && i + 1 < argc) backend = argv[++i];
        else if (!strcmp(argv[i], "--final") && i + 1 < argc) fn_name = argv[++i];
        else if (!strcmp(argv[i], "--lengths")) lengths = 1;
        else if (!strcmp(argv[i], "--opset") && i + 1 < argc) {
            if (!cli_parse_i64("--opset", argv[++i], 1, &opset))
                return 2;
        } else if (argv[i][0] != '-' && !in) in = argv[i];
        else {
            export_usage(stderr);
            return 2;
        }
    }
    if (!in || !out) {
        export_usage(stderr);
        return 2;
    }
    if (fn_name && final_fn(fn_name) < 0) {
        fprintf(stderr, "seqnn: export: --final is raw, softmax or log_softmax, not '%s'\n", fn_name);
        return 2;
    }
    if (!strcmp(in, out)) {
        fprintf(stderr, "seqnn: export: the output %s is the input\n", out);
        return 2;
    }
    cli_loaded l;
    if (cli_load_checkpoint(in, backend, &l))
        return 1;
    seqnn_onnx_export_options o = {.opset = (int)(opset > 1000 ? 1000 : opset),
                                   .output = (seqnn_onnx_output)(fn_name ? final_fn(fn_name) : saved_final_fn(in)),
                                   .lengths = lengths};
    int rc = 0;
    if (seqnn_model_save_onnx(l.model, out, &o) != SEQNN_OK)
        rc = cli_fail(NULL);
    else
        fprintf(stderr, "seqnn: %s: %lld parameters (%lld values) -> %s (opset %d%s%s%s)\n", in,
                (long long)seqnn_model_param_count(l.model), (long long)seqnn_model_param_total(l.model), out, o.opset,
                o.output ? ", then " : "", o.output ? FINAL_FN[o.output] : "", lengths ? ", with lengths" : "");
    cli_loaded_free(&l);
    return rc;
}

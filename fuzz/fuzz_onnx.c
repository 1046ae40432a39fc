/* libFuzzer target: the ONNX importer (include/seqnn/onnx.h, docs/onnx.md)
 * on arbitrary bytes, written to a temporary file and imported on the ref
 * plugin. Seeds (fuzz/corpus/onnx/) are small models that
 * tests/onnx/onnx_models.py exports, mapped and refused ones, and
 * seqnn's own exports (seqnn_export_*.onnx, encoder_decoder*.onnx).
 *
 * For every input:
 *   - the status is SEQNN_OK, SEQNN_ERR_FORMAT, SEQNN_ERR_UNSUPPORTED or
 *     SEQNN_ERR_NO_MEMORY, and the model is non-NULL exactly when it is OK;
 *   - a refusal has a message naming the file;
 *   - an accepted model comes with its model file, which parses again.
 * A library built without ONNX import refuses every input (UNSUPPORTED).
 * ASan/UBSan in the fuzz build check memory and arithmetic. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seqnn/modelfile.h"
#include "seqnn/onnx.h"
#include "seqnn/seqnn.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_TARGET "fuzz_onnx"
#include "fuzz_require.h"

static seqnn_context *fz_ctx;            /* ref, or NULL if it cannot be opened (then nothing is tried) */
static char fz_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (seqnn_context_create("ref", &fz_ctx) != SEQNN_OK)
        fz_ctx = NULL;
    /* memory-backed when there is one: a file per input */
    snprintf(fz_path, sizeof fz_path, "%s/seqnn-fuzz-onnx-%ld.onnx", access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm",
             (long)getpid());
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fz_ctx)
        return 0;
    FILE *f = fopen(fz_path, "wb");
    FZ_REQUIRE(f && fwrite(data, 1, size, f) == size && fclose(f) == 0, "cannot write %s", fz_path);
    seqnn_model *m = NULL;
    seqnn_onnx_info info;
    seqnn_onnx_info_init(&info);
    seqnn_status st = seqnn_model_load_onnx(fz_path, fz_ctx, &m, &info);
    remove(fz_path);
    FZ_REQUIRE(st == SEQNN_OK || st == SEQNN_ERR_FORMAT || st == SEQNN_ERR_UNSUPPORTED ||
                   st == SEQNN_ERR_NO_MEMORY, "status %d", (int)st);
    FZ_REQUIRE((st == SEQNN_OK) == (m != NULL), "model %p with status %d", (void *)m, (int)st);
    if (st != SEQNN_OK) {
        FZ_REQUIRE(strstr(seqnn_last_error(), fz_path) != NULL, "the error does not name the file");
        return 0;
    }
    seqnn_model *again = NULL;
    FZ_REQUIRE(info.modelfile && seqnn_modelfile_parse(info.modelfile, strlen(info.modelfile), "again", NULL, 0,
                                                       &again, NULL) == SEQNN_OK,
               "the mapped model file does not parse");
    seqnn_model_destroy(again);
    seqnn_onnx_info_free(&info);
    seqnn_model_destroy(m);
    return 0;
}

/* libFuzzer target: the model-file reader (include/seqnn/modelfile.h,
 * docs/model-files.md) on arbitrary bytes, with the variables the CLI sets.
 *
 * For every input:
 *   - the status is SEQNN_OK, SEQNN_ERR_FORMAT or SEQNN_ERR_NO_MEMORY, and
 *     *out is non-NULL exactly when it is OK;
 *   - a refusal reads "fuzz.model:LINE: ..." (or "fuzz.model: ..." for the
 *     size limit) with LINE within the input's lines, leaves the caller's
 *     config untouched and is the same on a second parse (no hidden state);
 *   - an accepted file gives a config within the documented ranges, a model
 *     whose summary can be written, and, when every number in the text is
 *     small (so that no test input allocates gigabytes), a model that the ref
 *     plugin either builds or refuses with a message.
 * ASan/UBSan in the fuzz build check memory and arithmetic; the input buffer is
 * exact-size, so reading past it is caught. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seqnn/modelfile.h"
#include "seqnn/seqnn.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_TARGET "fuzz_modelfile"
#include "fuzz_require.h"

static const seqnn_modelfile_var fz_vars[] = {{"vocab", 11}, {"classes", 3}, {"src_vocab", 9}, {"tgt_vocab", 7}};
static seqnn_context *fz_ctx;            /* ref, or NULL if it cannot be opened (then nothing is built) */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (seqnn_context_create("ref", &fz_ctx) != SEQNN_OK)
        fz_ctx = NULL;
    return 0;
}

/* Every run of digits in the input is at most 2 digits long (every number,
 * hence every size, below 100): building such a model is cheap. */
static int fz_small_numbers(const uint8_t *data, size_t size)
{
    size_t run = 0;
    for (size_t i = 0; i < size; i++) {
        run = data[i] >= '0' && data[i] <= '9' ? run + 1 : 0;
        if (run > 2)
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    int n_vars = (int)(sizeof fz_vars / sizeof fz_vars[0]);
    seqnn_train_config cfg, before;
    memset(&cfg, 0x5A, sizeof cfg);
    memcpy(&before, &cfg, sizeof cfg);
    seqnn_model *m = (seqnn_model *)&cfg;        /* must be overwritten */
    seqnn_status s = seqnn_modelfile_parse(text, size, "fuzz.model", fz_vars, n_vars, &m, &cfg);
    FZ_REQUIRE(s == SEQNN_OK || s == SEQNN_ERR_FORMAT || s == SEQNN_ERR_NO_MEMORY, "status %s",
               seqnn_status_name(s));
    FZ_REQUIRE((s == SEQNN_OK) == (m != NULL), "status %s with model %p", seqnn_status_name(s), (void *)m);

    if (s != SEQNN_OK) {
        char msg[2048];
        snprintf(msg, sizeof msg, "%s", seqnn_last_error());
        FZ_REQUIRE(!memcmp(&cfg, &before, sizeof cfg), "a refused file changed the config");
        FZ_REQUIRE(!strncmp(msg, "fuzz.model:", 11), "message without the file name");
        if (msg[11] != ' ') {
            char *end;
            long line = strtol(msg + 11, &end, 10);
            long lines = 1;
            for (size_t i = 0; i < size; i++)
                lines += data[i] == '\n';
            FZ_REQUIRE(line >= 1 && line <= lines && end[0] == ':' && end[1] == ' ' && end[2],
                       "line %ld of %ld, or no message", line, lines);
        }
        seqnn_model *again = NULL;
        seqnn_status s2 = seqnn_modelfile_parse(text, size, "fuzz.model", fz_vars, n_vars, &again, NULL);
        FZ_REQUIRE(s2 == s && again == NULL && !strcmp(msg, seqnn_last_error()),
                   "a second parse gave %s \"%s\", the first \"%s\"", seqnn_status_name(s2),
                   seqnn_last_error(), msg);
        return 0;
    }

    FZ_REQUIRE(cfg.batch >= 1 && cfg.seq_len >= 0 && cfg.epochs >= 1 && cfg.max_steps >= 0 &&
                   cfg.eval_every >= 0 && cfg.patience >= 0 && isfinite(cfg.time_limit) &&
                   cfg.time_limit >= 0 && cfg.val_fraction >= 0 && cfg.val_fraction < 1,
               "train config out of range");
    FZ_REQUIRE((int)cfg.optim.kind >= 0 && cfg.optim.kind < SEQNN_OPTIM_COUNT && isfinite(cfg.optim.lr) &&
                   cfg.optim.lr > 0 && cfg.optim.weight_decay >= 0 && cfg.optim.clip_norm >= 0,
               "optimizer config out of range");
    char summary[8192];
    FZ_REQUIRE(seqnn_model_summary(m, summary, sizeof summary) == SEQNN_OK, "summary");
    if (fz_ctx && fz_small_numbers(data, size)) {
        seqnn_status b = seqnn_model_build(m, fz_ctx, cfg.seed);
        FZ_REQUIRE(b == SEQNN_OK || (b != SEQNN_ERR_INTERNAL && seqnn_last_error()[0]),
                   "build: %s without a message", seqnn_status_name(b));
    }
    seqnn_model_destroy(m);
    return 0;
}

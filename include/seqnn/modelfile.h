/* seqnn model files: a small line-oriented text format describing a model
 * (input, layers, loss) and how to train it (optimizer, batch, schedule), read
 * into a seqnn_model and a seqnn_train_config. docs/model-files.md is the
 * reference; examples/ has one per task. Errors name the file and line.
 */
#ifndef SEQNN_MODELFILE_H
#define SEQNN_MODELFILE_H

#include <stdint.h>
#include "seqnn/export.h"
#include "seqnn/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What to do with a model, as a model file's `train` line says (defaults in
 * brackets). The CLI's options override these. */
typedef struct seqnn_train_config {
    int64_t batch;                       /* sequences per batch [32] */
    int64_t seq_len;                     /* LM: BPTT chunk; others: max length (0: none) [100] */
    int64_t epochs;                      /* passes over the training data [1] */
    int64_t max_steps;                   /* stop after this many steps (0: no limit) [0] */
    double time_limit;                   /* seconds (0: no limit) [0] */
    int64_t eval_every;                  /* steps between validations (0: once per epoch) [0] */
    int64_t patience;                    /* early stopping: validations without improvement (0: off) [0] */
    double val_fraction;                 /* held-out share of the data [0.1] */
    uint64_t seed;                       /* initialisation, shuffling, dropout [1] */
    seqnn_optim_desc optim;              /* optimizer line [adam, torch defaults] */
} seqnn_train_config;

/* The defaults above. */
SEQNN_API seqnn_train_config seqnn_train_config_defaults(void);

/* Values a model file may refer to as $name (e.g. "dense out=$vocab"): the
 * CLI sets vocab, classes, src_vocab, tgt_vocab from the data. */
typedef struct seqnn_modelfile_var {
    const char *name;
    int64_t value;
} seqnn_modelfile_var;

/* Reads a model file: builds the description into a new model (not yet built
 * on a context) and fills cfg (defaults first, then the file's lines). On
 * error *out is NULL, cfg is untouched, and seqnn_last_error() reads
 * "PATH:LINE: what is wrong". cfg may be NULL. Files over 1 MiB, and text
 * with NUL or other control bytes, are refused (SEQNN_ERR_FORMAT). */
SEQNN_API seqnn_status seqnn_modelfile_load(const char *path, const seqnn_modelfile_var *vars, int n_vars,
                                            seqnn_model **out, seqnn_train_config *cfg);
/* The same from text in memory; name is used in messages. */
SEQNN_API seqnn_status seqnn_modelfile_parse(const char *text, size_t size, const char *name,
                                             const seqnn_modelfile_var *vars, int n_vars,
                                             seqnn_model **out, seqnn_train_config *cfg);

#ifdef __cplusplus
}
#endif

#endif /* SEQNN_MODELFILE_H */

/* What `seqnn train`, `seqnn eval` and `seqnn generate` share (cli/train.c,
 * cli/checkpoint.c): a checkpoint made a model again, evaluation on a split,
 * its printed figure, sampling text, and the parsing of numeric options. */
#ifndef SEQNN_CLI_CHECKPOINT_H
#define SEQNN_CLI_CHECKPOINT_H

#include <stdint.h>
#include <stdio.h>
#include "data.h"
#include "seqnn/model.h"

/* A model rebuilt from a checkpoint of `seqnn train`, with what it carries. */
typedef struct cli_loaded {
    seqnn_context *ctx;
    seqnn_model *model;
    seqnn_train_config cfg;
    cli_vocab src, tgt;
    char format[32];
    int words;
    /* where `seqnn train` was when it wrote the checkpoint */
    int64_t epoch, batch, best_step, stale;
    double best;
    int64_t pad_to;                      /* --pad-to it trained with (0: none) */
} cli_loaded;

/* Rebuilds the model a checkpoint was trained as (its model file and
 * vocabularies are in its metadata) on backend and loads its parameters:
 * 0, or 1 after printing the error (l is then freed). */
int cli_load_checkpoint(const char *path, const char *backend, cli_loaded *l);
void cli_loaded_free(cli_loaded *l);

typedef struct cli_eval_result {
    double loss;                         /* mean per target */
    double accuracy;                     /* XENT: per target */
    int64_t count;
} cli_eval_result;

/* Loss and accuracy of m on split of d: 1, or 0 on a failure (the library's
 * last error says which). */
int cli_evaluate(seqnn_model *m, cli_data *d, const seqnn_train_config *cfg, int split, cli_eval_result *out);
/* "WHAT: loss ..., accuracy ..." as the format reads it (text: bits per character). */
void cli_print_eval(FILE *f, const char *what, const cli_data *d, const cli_eval_result *e, seqnn_loss_kind loss);
/* 100 * hit / total as a percentage for "%.2f%%", never rounded up to 100
 * (99.995% reads 99.99) nor down to 0 when it is not. */
double cli_percent(double hit, double total);

/* The model file (its text) against the data, before training, in the
 * user's terms and with the model file's line: what the input reads, the
 * loss against the targets, the output size (text: the symbols; line
 * formats: cli_data_check_model); lines shorter than the widest convolution
 * filter: d->min_steps (--pad-to) raised to that width with a note, or an
 * error when --pad-to asked for less (cli/metrics.c). */
seqnn_status cli_check_model_file(cli_data *d, const seqnn_model *m, const char *text, const char *model_file,
                                  const char *data_file);
/* Samples n characters from a language model primed with prime (its first
 * character if prime is NULL or unusable), printed to f: 0, or 1 after the error. */
int cli_sample_text(seqnn_model *m, const cli_vocab *v, const char *prime, int64_t n, double temperature,
                    uint64_t seed, FILE *f);

/* The value v of option opt: an integer / a finite number >= lo into *out;
 * 0 after a message naming opt when it is not. */
int cli_parse_i64(const char *opt, const char *v, int64_t lo, int64_t *out);
int cli_parse_f64(const char *opt, const char *v, double lo, double *out);

#endif /* SEQNN_CLI_CHECKPOINT_H */

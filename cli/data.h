/* Data sets of the seqnn CLI: reading a data file of one of the formats,
 * vocabularies (kept in checkpoints so eval and generate need nothing else),
 * the train/validation split, and batches for seqnn_model_train_step.
 *
 * Formats (docs/cli.md has the long form):
 *   text       raw text; a language model of characters or (words) words (stateful streams)
 *   classify   "LABEL<TAB>TEXT" per line; many-to-one classification
 *   tag        "TOK TOK ...<TAB>TAG TAG ..." per line; one tag per token
 *   translate  "SOURCE<TAB>TARGET" per line; encoder-decoder (characters)
 *   regress    "x,x x,x ...<TAB>VALUE" per line; feature sequences -> one value
 *   tree       "LABEL<TAB>( ( w w ) w )" per line; classify with a parse (tree layers)
 *   multi      "LABEL<TAB>INPUT 1<TAB>INPUT 2..." per line after a "#inputs" header;
 *              models with several inputs (cli/lines_multi.c)
 * Vocabularies, their token ids and the tokenizer: cli/vocab.h. */
#ifndef SEQNN_CLI_DATA_H
#define SEQNN_CLI_DATA_H

#include <stdint.h>
#include "seqnn/model.h"
#include "seqnn/modelfile.h"
#include "vocab.h"

typedef struct cli_data cli_data;
struct cli_data {
    const char *format;                  /* "text", "classify", ... */
    cli_vocab src, tgt;                  /* tgt: translate targets; classify labels; tag tags */
    int stateful;                        /* batches continue each other (language models) */
    int words;                           /* line formats: tokens are words (else characters) */
    int64_t n_train, n_val;              /* examples (text: characters) per split */
    int64_t min_steps;                   /* line formats: batches at least this long (--pad-to; 0: off) */
    /* Starts a pass over split (0 train, 1 validation); the training split is
     * shuffled with seed (line formats). */
    seqnn_status (*begin)(cli_data *d, int split, uint64_t seed);
    /* The next batch of the pass: 1 and *b filled (valid until the next call),
     * 0 at its end. */
    int (*next)(cli_data *d, int split, const seqnn_train_config *cfg, seqnn_batch *b);
    /* Batches in a pass (for progress and ETA). */
    int64_t (*count)(cli_data *d, int split, const seqnn_train_config *cfg);
    void (*destroy)(cli_data *d);
    void *impl;
    /* Data-parallel (cli_data_shard): next gives this rank's shard of each
     * global batch, its sequences [rank B / ranks, (rank + 1) B / ranks);
     * rank 0 of 1: the whole batch. global_batch: the last batch's B. */
    int rank, ranks;
    int64_t global_batch;
    /* text: keeps only the rank's streams (NULL for formats that keep all). */
    seqnn_status (*shard)(cli_data *d, const seqnn_train_config *cfg);
};

/* Reads path as format; words selects word tokens for line formats. The
 * validation split is the last cfg->val_fraction of the examples after a
 * shuffle by cfg->seed (text: the last part of the file). vocab, if not
 * NULL, is the vocabulary to use (from a checkpoint) instead of building one. */
seqnn_status cli_data_open(const char *format, const char *path, int words, const seqnn_train_config *cfg,
                           const cli_vocab *vocab, const cli_vocab *tgt_vocab, cli_data **out);
void cli_data_close(cli_data *d);
/* Makes d's batches the shards of rank of ranks (batches of cfg->batch):
 * the text format then keeps only the ids of the rank's streams (and stays
 * sharded); a line format keeps every example (each epoch's shuffle may deal
 * any of them to any rank) and can go back to whole batches (ranks = 1). */
seqnn_status cli_data_shard(cli_data *d, int rank, int ranks, const seqnn_train_config *cfg);
/* The columns [*c0, *c0 + *n) of a batch of B that rank takes. */
void cli_data_columns(const cli_data *d, int64_t B, int64_t *c0, int64_t *n);

/* The $vars a model file may use: vocab, classes, src_vocab, tgt_vocab. */
int cli_data_vars(const cli_data *d, seqnn_modelfile_var *vars, int max);
/* Steps (tokens or feature vectors) of a batch: seq_len * batch, plus each
 * input's (multi). */
int64_t cli_batch_steps(const seqnn_batch *b);

/* Format implementations (one file each). */
seqnn_status cli_data_open_text(const char *path, int words, const seqnn_train_config *cfg,
                                const cli_vocab *vocab, cli_data **out);
seqnn_status cli_data_open_lines(const char *format, const char *path, int words,
                                 const seqnn_train_config *cfg, const cli_vocab *vocab,
                                 const cli_vocab *tgt_vocab, cli_data **out);

/* ------------------------------------------------------------------------
 * Line formats (classify, tag, translate, regress): their examples, and the
 * figures beyond loss and accuracy (cli/data_lines.c, cli/metrics.c). */
#include <stdio.h>

/* One example as the batches see it (after truncation to seq_len). */
typedef struct cli_example {
    int64_t line;                        /* line in the data file */
    const int32_t *src;                  /* source token ids (NULL for regress) */
    int64_t src_len;                     /* tokens, or regress steps */
    const float *features;               /* regress: [src_len, dim] */
    int64_t dim;
    const int32_t *tgt;                  /* tag: tag ids; translate: target ids (no <bos>/<eos>) */
    int64_t tgt_len;
    int32_t label;                       /* classify */
    const float *values;                 /* regress: n_values numbers */
    int64_t n_values;
} cli_example;

/* Examples in split (0 training, 1 validation) of a line-format data set; 0
 * for other formats. */
int64_t cli_data_examples(const cli_data *d, int split);
/* Example i of split: 1 and *out filled, or 0 (out of range, other format). */
int cli_data_example(const cli_data *d, int split, int64_t i, cli_example *out);
/* regress: features per step and values per line (0 for other formats). A
 * model's `input features dim=` must equal the first, its output the second:
 * check before the first batch (the batch holds exactly this many floats). */
int64_t cli_data_feature_dim(const cli_data *d);
int64_t cli_data_value_count(const cli_data *d);

/* Checks that model m (built) fits data set d before the first batch: its
 * output matches the format's targets (classify: a vector of $classes; tag
 * and translate: a sequence over $classes / $tgt_vocab; regress: a vector of
 * the K values of a line) and, for regress, its first layer reads the F
 * features of a step. A mismatch would otherwise read past the batch's
 * arrays. SEQNN_OK, or SEQNN_ERR_INVALID_ARG with a message naming both
 * sizes and the data file (model_file names the model in it). Other formats:
 * SEQNN_OK. */
seqnn_status cli_data_check_model(const cli_data *d, const seqnn_model *m, const char *data_file,
                                  const char *model_file);
/* multi: every input of the model is a field the data's header names, of the
 * same kind and size; batches then give the model those fields, in the order
 * of its inputs (called by cli_data_check_model). */
seqnn_status cli_data_check_inputs(const cli_data *d, const seqnn_model *m, const char *data_file,
                                   const char *model_file);

/* The figures a line format needs beyond the loss and per-target accuracy of
 * seqnn_model_evaluate, printed to f after the validation line (train and
 * eval): classify and tag: the majority-class baseline; translate: exact-match
 * accuracy of greedy decoding and a few decoded examples (max_translate
 * examples at most, 0 for all); regress: the MSE of predicting the training
 * mean, and, when every target is an integer, the accuracy of the rounded
 * prediction. Nothing for other formats. 0 on success, 1 after printing the
 * error to stderr. */
int cli_metrics_report(seqnn_model *m, cli_data *d, const seqnn_train_config *cfg, int split,
                       int64_t max_translate, FILE *f);

/* Translate: greedy-decodes text (tokenised as the training data: words or
 * characters), prints the output to f, and with csv_path writes the attention
 * weights of the first attention layer as a CSV matrix (row i: output token i,
 * the last row the <eos> step; column j: source token j; heads averaged) for
 * `seqnn plot --attention`. 0 on success, 1 after printing the error. */
int cli_translate_attention(seqnn_model *m, const cli_vocab *src, const cli_vocab *tgt, int words,
                            const char *text, int64_t max_len, const char *csv_path, FILE *f);

#endif /* SEQNN_CLI_DATA_H */

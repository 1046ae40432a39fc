/* Placement plans in the CLI (cli/plan.c): the batch a model is planned for
 * at build, and the lines saying where each layer runs. */
#ifndef SEQNN_CLI_PLAN_H
#define SEQNN_CLI_PLAN_H

#include "data.h"
#include "seqnn/model.h"
#include "seqnn/modelfile.h"

/* Plans m's build for the batches of d (NULL: text) under cfg: cfg's batch
 * and seq_len, with lengths for the line formats. */
void cli_plan_set_shape(seqnn_model *m, const cli_data *d, const seqnn_train_config *cfg);
/* On stderr, each line led by prefix: where each layer of the built model m
 * runs on ctx (one line for a single device) and the copies per step. 0, or
 * the exit status after a failure. */
int cli_plan_print_layers(seqnn_model *m, seqnn_context *ctx, const char *prefix);

#endif

/* Data sets of the CLI: dispatch to the format readers (cli/data_text.c,
 * cli/data_lines.c), closing, the $vars a model file may use, and the size
 * of a batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_error.h"
#include "data.h"

seqnn_status cli_data_open(const char *format, const char *path, int words, const seqnn_train_config *cfg,
                           const cli_vocab *vocab, const cli_vocab *tgt_vocab, cli_data **out)
{
    *out = NULL;
    if (!strcmp(format, "text"))
        return cli_data_open_text(path, words, cfg, vocab, out);
    if (!strcmp(format, "classify") || !strcmp(format, "tag") || !strcmp(format, "translate") ||
        !strcmp(format, "regress") || !strcmp(format, "tree") ||
        !strcmp(format, "multi"))
        return cli_data_open_lines(format, path, words, cfg, vocab, tgt_vocab, out);
    return cli_error(SEQNN_ERR_INVALID_ARG,
                     "unknown data format '%s' (text, classify, tag, translate, regress, tree, multi)", format);
}

void cli_data_close(cli_data *d)
{
    if (d)
        d->destroy(d);
}

seqnn_status cli_data_shard(cli_data *d, int rank, int ranks, const seqnn_train_config *cfg)
{
    if (ranks < 1 || rank < 0 || rank >= ranks)
        return cli_error(SEQNN_ERR_INVALID_ARG, "data: rank %d of %d", rank, ranks);
    d->rank = rank;
    d->ranks = ranks;
    return d->shard && ranks > 1 ? d->shard(d, cfg) : SEQNN_OK;
}

void cli_data_columns(const cli_data *d, int64_t B, int64_t *c0, int64_t *n)
{
    int64_t N = d->ranks > 1 ? d->ranks : 1, r = d->ranks > 1 ? d->rank : 0;
    *c0 = r * B / N;
    *n = (r + 1) * B / N - *c0;
}

int cli_data_vars(const cli_data *d, seqnn_modelfile_var *vars, int max)
{
    int n = 0;
    if (n < max && d->src.n > 0)
        vars[n++] = (seqnn_modelfile_var){"vocab", d->src.n};
    if (n < max && d->src.n > 0)
        vars[n++] = (seqnn_modelfile_var){"src_vocab", d->src.n};
    if (n < max && d->tgt.n > 0)
        vars[n++] = (seqnn_modelfile_var){"classes", d->tgt.n};
    if (n < max && d->tgt.n > 0)
        vars[n++] = (seqnn_modelfile_var){"tgt_vocab", d->tgt.n};
    return n;
}

int64_t cli_batch_steps(const seqnn_batch *b)
{
    int64_t steps = b->seq_len;
    for (int k = 0; k < b->n_inputs; k++)
        steps += b->inputs[k].seq_len;
    return steps * b->batch;
}

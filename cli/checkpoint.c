/* `seqnn eval` (a checkpoint on data), and what it shares with `seqnn train`,
 * `seqnn generate` and `seqnn predict` (checkpoint.h): a checkpoint carries
 * its model file and vocabularies, so they need nothing else. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "checkpoint.h"
#include "cli.h"
#include "cli_error.h"
#include "seqnn/modelfile.h"
#include "seqnn/safetensors.h"

/* ------------------------------------------------------------ options --- */
int cli_parse_i64(const char *opt, const char *v, int64_t lo, int64_t *out)
{
    char *end;
    long long x = v ? strtoll(v, &end, 10) : 0;
    if (!v || !*v || *end || x < lo) {
        fprintf(stderr, "seqnn: %s needs an integer >= %lld\n", opt, (long long)lo);
        return 0;
    }
    *out = x;
    return 1;
}

int cli_parse_f64(const char *opt, const char *v, double lo, double *out)
{
    char *end;
    double x = v ? strtod(v, &end) : 0;
    if (!v || !*v || *end || !isfinite(x) || x < lo) {
        fprintf(stderr, "seqnn: %s needs a number >= %g\n", opt, lo);
        return 0;
    }
    *out = x;
    return 1;
}

/* ------------------------------------------------- model from checkpoint --- */
void cli_loaded_free(cli_loaded *l)
{
    seqnn_model_destroy(l->model);
    seqnn_context_destroy(l->ctx);
    cli_vocab_free(&l->src);
    cli_vocab_free(&l->tgt);
}

static int vocab_vars(const cli_vocab *src, const cli_vocab *tgt, seqnn_modelfile_var *vars)
{
    int n = 0;
    if (src->n > 0) {
        vars[n++] = (seqnn_modelfile_var){"vocab", src->n};
        vars[n++] = (seqnn_modelfile_var){"src_vocab", src->n};
    }
    if (tgt->n > 0) {
        vars[n++] = (seqnn_modelfile_var){"classes", tgt->n};
        vars[n++] = (seqnn_modelfile_var){"tgt_vocab", tgt->n};
    }
    return n;
}

int cli_load_checkpoint(const char *path, const char *backend, cli_loaded *l)
{
    memset(l, 0, sizeof *l);
    seqnn_safetensors *st = NULL;
    if (seqnn_safetensors_open(path, &st) != SEQNN_OK)
        return cli_fail(NULL);
    const char *mf = seqnn_safetensors_metadata(st, "seqnn.modelfile");
    const char *fmt = seqnn_safetensors_metadata(st, "seqnn.format");
    const char *words = seqnn_safetensors_metadata(st, "seqnn.words");
    const char *tv = seqnn_safetensors_metadata(st, "seqnn.tgt_vocab");
    if (!mf || !fmt) {
        seqnn_safetensors_close(st);
        fprintf(stderr, "seqnn: %s: not a checkpoint written by `seqnn train` (no model file in its metadata)\n",
                path);
        return 1;
    }
    snprintf(l->format, sizeof l->format, "%s", fmt);
    l->words = words && !strcmp(words, "1");
    const char *pos[5] = {seqnn_safetensors_metadata(st, "seqnn.cli.epoch"),
                          seqnn_safetensors_metadata(st, "seqnn.cli.batch"),
                          seqnn_safetensors_metadata(st, "seqnn.cli.best_step"),
                          seqnn_safetensors_metadata(st, "seqnn.cli.stale"),
                          seqnn_safetensors_metadata(st, "seqnn.cli.best")};
    l->epoch = pos[0] ? strtoll(pos[0], NULL, 10) : 0;
    l->batch = pos[1] ? strtoll(pos[1], NULL, 10) : 0;
    l->best_step = pos[2] ? strtoll(pos[2], NULL, 10) : -1;
    l->stale = pos[3] ? strtoll(pos[3], NULL, 10) : 0;
    l->best = pos[4] ? strtod(pos[4], NULL) : INFINITY;
    if (l->epoch < 0 || l->batch < 0 || l->stale < 0)
        l->epoch = l->batch = l->stale = 0;
    int rc = 0;
    if (cli_vocab_parse(seqnn_safetensors_metadata(st, "seqnn.vocab"), &l->src) != SEQNN_OK ||
        (tv && *tv && cli_vocab_parse(tv, &l->tgt) != SEQNN_OK))
        rc = cli_fail(path);
    seqnn_modelfile_var vars[4];
    int nv = vocab_vars(&l->src, &l->tgt, vars);
    char name[1024];
    snprintf(name, sizeof name, "%s (its model file)", path);
    if (!rc && seqnn_modelfile_parse(mf, strlen(mf), name, vars, nv, &l->model, &l->cfg) != SEQNN_OK)
        rc = cli_fail(NULL);
    /* The data settings training ran with (its options may have overridden
     * the model file's), so eval splits the data as training did. */
    const char *cs = seqnn_safetensors_metadata(st, "seqnn.cli.seed");
    const char *cv = seqnn_safetensors_metadata(st, "seqnn.cli.val");
    const char *cq = seqnn_safetensors_metadata(st, "seqnn.cli.seq_len");
    const char *cb = seqnn_safetensors_metadata(st, "seqnn.cli.batch_size");
    const char *cp = seqnn_safetensors_metadata(st, "seqnn.cli.pad_to");
    l->pad_to = cp && strtoll(cp, NULL, 10) > 0 ? strtoll(cp, NULL, 10) : 0;
    if (!rc && cs)
        l->cfg.seed = strtoull(cs, NULL, 10);
    if (!rc && cv && strtod(cv, NULL) >= 0 && strtod(cv, NULL) < 1)
        l->cfg.val_fraction = strtod(cv, NULL);
    if (!rc && cq && strtoll(cq, NULL, 10) >= 0)
        l->cfg.seq_len = strtoll(cq, NULL, 10);
    if (!rc && cb && strtoll(cb, NULL, 10) >= 1)
        l->cfg.batch = strtoll(cb, NULL, 10);
    seqnn_safetensors_close(st);
    if (!rc && seqnn_context_create(backend, &l->ctx) != SEQNN_OK)
        rc = cli_fail("backend");
    if (!rc && seqnn_model_build(l->model, l->ctx, l->cfg.seed) != SEQNN_OK)
        rc = cli_fail("model");
    if (!rc && seqnn_model_set_optimizer(l->model, &l->cfg.optim) != SEQNN_OK)
        rc = cli_fail("optimizer");
    if (!rc && seqnn_model_load(l->model, path) != SEQNN_OK)
        rc = cli_fail(NULL);
    if (rc)
        cli_loaded_free(l);
    return rc;
}

/* ------------------------------------------------------------ evaluation --- */
int cli_evaluate(seqnn_model *m, cli_data *d, const seqnn_train_config *cfg, int split, cli_eval_result *out)
{
    double total = 0;
    int64_t count = 0, correct = 0;
    if (d->stateful && seqnn_model_reset_state(m) != SEQNN_OK)
        return 0;
    if (d->begin(d, split, cfg->seed) != SEQNN_OK)
        return 0;
    seqnn_batch b;
    while (d->next(d, split, cfg, &b)) {
        seqnn_step_result r;
        if (seqnn_model_evaluate(m, &b, &r) != SEQNN_OK)
            return 0;
        total += r.loss * (double)r.count;
        count += r.count;
        correct += r.correct;
    }
    if (d->stateful && seqnn_model_reset_state(m) != SEQNN_OK)
        return 0;
    out->count = count;
    out->loss = count ? total / (double)count : NAN;
    out->accuracy = count ? (double)correct / (double)count : NAN;
    return 1;
}

void cli_print_eval(FILE *f, const char *what, const cli_data *d, const cli_eval_result *e, seqnn_loss_kind loss)
{
    if (!strcmp(d->format, "text") && d->words)
        fprintf(f, "%s: loss %.4f nats per word, %.4f bits per word, perplexity %.2f, accuracy %.2f%% (%lld words)\n",
                what, e->loss, e->loss / log(2.0), exp(e->loss), 100 * e->accuracy, (long long)e->count);
    else if (!strcmp(d->format, "text"))
        fprintf(f, "%s: loss %.4f nats/char, %.4f bits per character, accuracy %.2f%% (%lld characters)\n", what,
                e->loss, e->loss / log(2.0), cli_percent(e->accuracy * (double)e->count, (double)e->count),
                (long long)e->count);
    else if (loss == SEQNN_LOSS_XENT)
        fprintf(f, "%s: loss %.4f, accuracy %.2f%% (%lld targets)\n", what, e->loss,
                cli_percent(e->accuracy * (double)e->count, (double)e->count), (long long)e->count);
    else
        fprintf(f, "%s: loss %.6f (%lld values)\n", what, e->loss, (long long)e->count);
}

/* ------------------------------------------------------------------ eval --- */
static void eval_usage(FILE *f)
{
    fprintf(f, "usage: seqnn eval CHECKPOINT --data FILE [options]\n"
               "  evaluates on the validation split of FILE (split as training split it)\n"
               "  --data FILE       the data, in the checkpoint's format (required)\n"
               "  --all             all of FILE instead of its validation split (default: off)\n"
               "  --backend SPEC    as SEQNN_BACKEND: ref, avx2, opencl[:DEVICE], ... (default: best)\n");
}

int seqnn_cli_eval(int argc, char **argv)
{
    const char *ckpt = NULL, *data = NULL, *backend = NULL;
    int all = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { eval_usage(stdout); return 0; }
        else if (!strcmp(argv[i], "--data") && i + 1 < argc) data = argv[++i];
        else if (!strcmp(argv[i], "--backend") && i + 1 < argc) backend = argv[++i];
        else if (!strcmp(argv[i], "--all")) all = 1;
        else if (argv[i][0] != '-' && !ckpt) ckpt = argv[i];
        else {
            eval_usage(stderr);
            return 2;
        }
    }
    if (!ckpt || !data) {
        eval_usage(stderr);
        return 2;
    }
    cli_loaded l;
    if (cli_load_checkpoint(ckpt, backend, &l))
        return 1;
    seqnn_train_config cfg = l.cfg;
    if (all)
        cfg.val_fraction = 1.0;
    cli_data *d = NULL;
    int rc = 0;
    if (cli_data_open(l.format, data, l.words, &cfg, &l.src, l.tgt.n ? &l.tgt : NULL, &d) != SEQNN_OK)
        rc = cli_fail(NULL);
    if (!rc)
        d->min_steps = l.pad_to;         /* as training padded (--pad-to) */
    if (!rc && d->stateful && seqnn_model_set_stateful(l.model, 1) != SEQNN_OK)
        rc = cli_fail(NULL);
    if (!rc && cli_data_check_model(d, l.model, data, ckpt) != SEQNN_OK)
        rc = cli_fail(NULL);
    cli_eval_result e;
    if (!rc && !cli_evaluate(l.model, d, &cfg, 1, &e))
        rc = cli_fail("evaluation");
    if (!rc)
        cli_print_eval(stdout, all ? "all of the file" : "validation", d, &e, seqnn_model_loss(l.model));
    if (!rc && cli_metrics_report(l.model, d, &cfg, 1, 0, stdout))
        rc = 1;
    cli_data_close(d);
    cli_loaded_free(&l);
    return rc;
}

/* `seqnn train`: trains a model file on a data file, validates, stops early,
 * keeps the best checkpoint and the last one, logs the loss curve, and
 * resumes from a checkpoint exactly. cli/checkpoint.c has eval and generate. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bench_timer.h"
#include "checkpoint.h"
#include "cli.h"
#include "cli_error.h"
#include "data.h"
#include "dist.h"
#include "plan.h"
#include "seqnn/distributed.h"
#include "seqnn/model.h"
#include "seqnn/modelfile.h"

/* ------------------------------------------------------------ progress --- */
static void fmt_time(double s, char *buf, size_t size)
{
    if (s < 0 || !isfinite(s))
        snprintf(buf, size, "?");
    else if (s < 60)
        snprintf(buf, size, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, size, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, size, "%dh%02dm", (int)s / 3600, (int)s % 3600 / 60);
}

/* Progress: on a terminal, one line rewritten in place (\r) and fitted to
 * its width (TIOCGWINSZ, else $COLUMNS, else 80 columns): the bar shrinks,
 * then tokens/s and the bar go, before the line would wrap; otherwise a line
 * every 10% (or 30 seconds). Under --time the step total is the projection
 * of the steps done at the time limit, so percentage and steps agree. The
 * ETA counts the validations still to come and the final evaluation (their
 * time measured once one has run, estimated from the step time before). */
typedef struct progress {
    int tty, cols;
    double last_line;
    int last_decile;
    double eval_s;                       /* time of the last validation (0: none yet) */
    int64_t val_batches;                 /* batches in a validation pass */
} progress;

static int terminal_columns(void)
{
    struct winsize ws;
    if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    const char *c = getenv("COLUMNS");
    int n = c ? atoi(c) : 0;
    return n >= 20 && n <= 1000 ? n : 80;
}

/* Where the run stands, as the progress line shows it. */
typedef struct progress_at {
    int64_t step, total;                 /* total: the steps the run will take (projected under --time) */
    double frac;                         /* share done, 0..1 */
    double loss, tok_s;
    double eta;                          /* seconds, with the evaluations to come */
} progress_at;

static void progress_show(progress *p, const progress_at *a)
{
    double t = bench_now(0);
    char eta[32];
    fmt_time(a->eta, eta, sizeof eta);
    if (p->tty) {
        char tail[160], line[512], bar[64];
        int pct = (int)(100 * a->frac);
        snprintf(tail, sizeof tail, "%3d%% %lld/%lld loss %.4f ETA %s", pct, (long long)a->step,
                 (long long)a->total, a->loss, eta);
        char rate[48];
        snprintf(rate, sizeof rate, " %.0f tok/s", a->tok_s);
        int room = p->cols - 1 - (int)strlen(tail);  /* the last column left free: no wrap */
        int with_rate = room - (int)strlen(rate) >= 12;
        if (with_rate)
            room -= (int)strlen(rate);
        int width = room - 3 > 30 ? 30 : room - 3;     /* "[" bar "] " */
        if (width >= 8) {
            int fill = (int)(a->frac * width);
            for (int i = 0; i < width; i++)
                bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
            bar[width] = 0;
            snprintf(line, sizeof line, "[%s] %s%s", bar, tail, with_rate ? rate : "");
        } else {
            snprintf(line, sizeof line, "%s%s", tail, with_rate ? rate : "");
        }
        if ((int)strlen(line) > p->cols - 1)
            line[p->cols > 1 ? p->cols - 1 : 0] = 0;
        fprintf(stderr, "\r%s\033[K", line);        /* \033[K: clear what a longer line left */
        fflush(stderr);
        return;
    }
    int decile = (int)(a->frac * 10);
    if (decile > p->last_decile || t - p->last_line >= 30) {
        fprintf(stderr, "step %lld/%lld (%.0f%%) loss %.4f %.0f tok/s ETA %s\n", (long long)a->step,
                (long long)a->total, 100 * a->frac, a->loss, a->tok_s, eta);
        p->last_decile = decile;
        p->last_line = t;
    }
}

static void progress_end(progress *p)
{
    if (p->tty)
        fputc('\n', stderr);
}

/* ----------------------------------------------------------------- train --- */
static void train_usage(FILE *f)
{
    fprintf(f,
            "usage: seqnn train MODEL_FILE --data FILE [options]\n"
            "  --data FILE       the training data (required; validation is split off it)\n"
            "  --format F        text (default), classify, tag, translate, regress, tree (docs/cli.md)\n"
            "  --words           word tokens (default: characters)\n"
            "  --out PATH        best checkpoint (default: model.safetensors; the last: PATH-last)\n"
            "  --log PATH        loss curve, CSV (step, epoch, train_loss, val_loss, ...; default: none)\n"
            "  --backend SPEC    as SEQNN_BACKEND: ref, avx2, opencl[:DEVICE], ... (default: best)\n"
            "  --resume PATH     continue from a checkpoint: parameters, optimizer state, step (default: none)\n"
            "  --vectors PATH    initialise the first embedding from word2vec/GloVe text vectors (default: none)\n"
            "  --steps N --epochs N --time SECONDS --batch N --seq-len N --lr X --seed N\n"
            "  --eval-every N --patience N --val FRACTION --clip X\n"
            "                    override the model file's train and optimizer lines (default: the file's;\n"
            "                    its defaults: batch 32, seq_len 100, epochs 1, steps and time unlimited,\n"
            "                    validation once per epoch, patience off, val 0.1, seed 1, clip off,\n"
            "                    lr the optimizer's PyTorch default)\n"
            "  --batch-per-rank N  under mpirun: N sequences a rank, the global batch N x ranks (default:\n"
            "                    the model file's batch or --batch, the global batch, split over the ranks)\n"
            "  --pad-to N        line formats: pad batches to at least N steps (default: the widest\n"
            "                    convolution filter when some lines are shorter, else no padding)\n"
            "  --lr-schedule SPEC  learning-rate schedule (default: the model file's schedule line, or none),\n"
            "                    as that line, e.g. 'cosine warmup=500 cosine_steps=20000 min_lr=1e-5'\n"
            "  --sample N        language models: characters sampled at the end (default 300)\n"
            "  --temperature T   for that sample (default 0.8)\n"
            "data-parallel over N processes (Open MPI): mpirun -np N seqnn train MODEL_FILE --data FILE ...\n"
            "  (every rank trains its shard of each global batch; rank 0 prints and writes; docs/distributed.md)\n");
}

typedef struct train_opts {
    const char *model_file, *data, *format, *out, *log, *backend, *resume, *vectors;
    const char *lr_schedule;             /* --lr-schedule SPEC (seqnn_lr_schedule_parse) */
    int words;
    int64_t sample, pad_to;
    int64_t batch_per_rank;              /* --batch-per-rank N: the global batch N x ranks (0: none) */
    double temperature;
} train_opts;

/* Options that override the model file's train and optimizer lines. */
static const char *const override_names[] = {"--steps", "--epochs", "--time", "--batch", "--seq-len", "--lr",
                                             "--eval-every", "--patience", "--val", "--clip", "--seed"};

static int is_override(const char *opt)
{
    for (size_t i = 0; i < sizeof override_names / sizeof override_names[0]; i++)
        if (!strcmp(opt, override_names[i]))
            return 1;
    return 0;
}

/* Applies one override to cfg; 0 (with a message) when its value is bad. */
static int train_override(const char *opt, const char *v, seqnn_train_config *cfg)
{
    seqnn_train_config c = *cfg;
    int ok = 0;
    if (!strcmp(opt, "--steps")) ok = cli_parse_i64(opt, v, 0, &c.max_steps);
    else if (!strcmp(opt, "--epochs")) ok = cli_parse_i64(opt, v, 1, &c.epochs);
    else if (!strcmp(opt, "--time")) ok = cli_parse_f64(opt, v, 0, &c.time_limit);
    else if (!strcmp(opt, "--batch")) ok = cli_parse_i64(opt, v, 1, &c.batch);
    else if (!strcmp(opt, "--seq-len")) ok = cli_parse_i64(opt, v, 0, &c.seq_len);
    else if (!strcmp(opt, "--lr")) ok = cli_parse_f64(opt, v, 1e-12, &c.optim.lr);
    else if (!strcmp(opt, "--eval-every")) ok = cli_parse_i64(opt, v, 0, &c.eval_every);
    else if (!strcmp(opt, "--patience")) ok = cli_parse_i64(opt, v, 0, &c.patience);
    else if (!strcmp(opt, "--val")) {
        ok = cli_parse_f64(opt, v, 0, &c.val_fraction);
        if (ok && c.val_fraction >= 1) {
            fprintf(stderr, "seqnn: --val needs a fraction below 1\n");
            ok = 0;
        }
    } else if (!strcmp(opt, "--clip")) ok = cli_parse_f64(opt, v, 0, &c.optim.clip_norm);
    else if (!strcmp(opt, "--seed")) {
        int64_t s;
        ok = cli_parse_i64(opt, v, 0, &s);
        c.seed = (uint64_t)s;
    }
    if (ok)
        *cfg = c;
    return ok;
}

static int apply_overrides(int argc, char **argv, seqnn_train_config *cfg)
{
    for (int i = 1; i < argc; i++)
        if (is_override(argv[i])) {
            if (!train_override(argv[i], i + 1 < argc ? argv[i + 1] : NULL, cfg))
                return 0;
            i++;
        }
    return 1;
}

/* Where training stands, kept in checkpoints so --resume continues exactly. */
typedef struct train_pos {
    int64_t epoch, batch;                /* batches done in the epoch */
    int64_t best_step, stale;
    double best, val_loss;
} train_pos;

static int write_checkpoint(seqnn_model *m, const char *path, const char *model_text, const cli_data *d,
                            int words, const train_pos *p, const seqnn_train_config *cfg)
{
    char seed[32], val[32], seq[32], batch[32], pad[32];
    snprintf(pad, sizeof pad, "%lld", (long long)d->min_steps);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)cfg->seed);
    snprintf(val, sizeof val, "%.17g", cfg->val_fraction);
    snprintf(seq, sizeof seq, "%lld", (long long)cfg->seq_len);
    snprintf(batch, sizeof batch, "%lld", (long long)cfg->batch);
    char *vocab = cli_vocab_serialize(&d->src);
    char *tgt = d->tgt.n ? cli_vocab_serialize(&d->tgt) : NULL;
    char ep[32], ba[32], bs[32], st[32], be[32], vl[32];
    snprintf(ep, sizeof ep, "%lld", (long long)p->epoch);
    snprintf(ba, sizeof ba, "%lld", (long long)p->batch);
    snprintf(bs, sizeof bs, "%lld", (long long)p->best_step);
    snprintf(st, sizeof st, "%lld", (long long)p->stale);
    snprintf(be, sizeof be, "%.17g", p->best);
    snprintf(vl, sizeof vl, "%.9g", p->val_loss);
    const char *meta[] = {"seqnn.modelfile", model_text, "seqnn.format", d->format, "seqnn.words",
                          words ? "1" : "0", "seqnn.vocab", vocab ? vocab : "", "seqnn.tgt_vocab",
                          tgt ? tgt : "", "seqnn.val_loss", vl, "seqnn.cli.epoch", ep, "seqnn.cli.batch", ba,
                          "seqnn.cli.best_step", bs, "seqnn.cli.stale", st, "seqnn.cli.best", be,
                          "seqnn.cli.seed", seed, "seqnn.cli.val", val, "seqnn.cli.seq_len", seq,
                          "seqnn.cli.batch_size", batch, "seqnn.cli.pad_to", pad, NULL};
    int rc = 0;
    if (!vocab || (d->tgt.n && !tgt))
        rc = 1, fprintf(stderr, "seqnn: out of memory\n");
    else if (seqnn_model_save(m, path, 1, meta) != SEQNN_OK)
        rc = cli_fail("saving the checkpoint");
    free(vocab);
    free(tgt);
    return rc;
}

/* PATH.safetensors -> PATH-last.safetensors (PATH -> PATH-last otherwise). */
static void last_path(const char *out, char *buf, size_t size)
{
    size_t n = strlen(out), ext = strlen(".safetensors");
    if (n > ext && !strcmp(out + n - ext, ".safetensors"))
        snprintf(buf, size, "%.*s-last.safetensors", (int)(n - ext), out);
    else
        snprintf(buf, size, "%s-last", out);
}

/* One `seqnn train` run: its options, what it opened (freed by train_close)
 * and where the loop stands. */
typedef struct train_run {
    train_opts o;
    char *model_text;
    size_t model_size;
    seqnn_train_config cfg;
    cli_data *d;
    seqnn_context *ctx;
    seqnn_model *model;
    FILE *log;
    cli_loaded resume;                       /* --resume: the checkpoint's context and vocabularies */
    int resumed;
    char why[512];                       /* why the backend was selected */
    seqnn_loss_kind loss_kind;
    /* the loop */
    int64_t per_epoch, total, step, first_step, tokens, since;
    double t0, run_loss, eval_total;     /* eval_total: seconds spent validating */
    double lr;                           /* the rate of the last step (the log's lr column) */
    train_pos pos;
    char last[4096];                     /* the last checkpoint's path */
    int saved;                           /* this run wrote a best checkpoint */
    int64_t last_saved;                  /* the step of the last checkpoint this run wrote (-1: none) */
    int stop;
    progress prog;
    cli_dist dist;                       /* under mpirun (cli/dist.c) */
} train_run;

/* The options into o: -1 to go on, else the exit status (0 after --help). */
static int train_parse(int argc, char **argv, train_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            train_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--words")) { o->words = 1; continue; }
        const char **slot = !strcmp(a, "--data") ? &o->data : !strcmp(a, "--format") ? &o->format
                          : !strcmp(a, "--out") ? &o->out : !strcmp(a, "--log") ? &o->log
                          : !strcmp(a, "--backend") ? &o->backend : !strcmp(a, "--resume") ? &o->resume
                          : !strcmp(a, "--vectors") ? &o->vectors
                          : !strcmp(a, "--lr-schedule") ? &o->lr_schedule : NULL;
        if (slot) {
            if (!v) { fprintf(stderr, "seqnn train: %s needs a value\n", a); return 2; }
            *slot = v;
            i++;
        } else if (!strcmp(a, "--sample")) {
            if (!cli_parse_i64(a, v, 0, &o->sample)) return 2;
            i++;
        } else if (!strcmp(a, "--pad-to")) {
            if (!cli_parse_i64(a, v, 0, &o->pad_to)) return 2;
            i++;
        } else if (!strcmp(a, "--batch-per-rank")) {
            if (!cli_parse_i64(a, v, 1, &o->batch_per_rank)) return 2;
            i++;
        } else if (!strcmp(a, "--temperature")) {
            if (!cli_parse_f64(a, v, 0, &o->temperature)) return 2;
            i++;
        } else if (is_override(a)) {
            i++;                         /* applied once the model file is read */
        } else if (a[0] == '-' || o->model_file) {
            fprintf(stderr, "seqnn train: unexpected argument '%s'\n", a);
            train_usage(stderr);
            return 2;
        } else {
            o->model_file = a;
        }
    }
    if (!o->model_file || !o->data) {
        train_usage(stderr);
        return 2;
    }
    return -1;
}

/* An output path (--out, --log): not a directory, in a directory this
 * process may write, and not one of the inputs (inputs[0..n), NULL entries
 * skipped; the same file by device and inode, whatever its name). 1 when
 * fine, else 0 after saying why. */
static int output_ok(const char *opt, const char *path, const char *const *inputs, const char *const *input_opts,
                     int n)
{
    struct stat st, in;
    int exists = stat(path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "seqnn train: %s %s is a directory; name a file (e.g. %s/%s)\n", opt, path, path,
                !strcmp(opt, "--log") ? "loss.csv" : "model.safetensors");
        return 0;
    }
    for (int i = 0; exists && i < n; i++)
        if (inputs[i] && stat(inputs[i], &in) == 0 && in.st_dev == st.st_dev && in.st_ino == st.st_ino) {
            fprintf(stderr, "seqnn train: %s %s is the %s file %s (the same file): training would overwrite "
                            "it; choose another name\n", opt, path, input_opts[i], inputs[i]);
            return 0;
        }
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    if (access(dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "seqnn train: %s %s: cannot write in directory %s: %s\n", opt, path, dir, strerror(errno));
        return 0;
    }
    return 1;
}

/* --out (and its -last companion) and --log, checked before anything is
 * read or trained: 0, or the exit status. */
static int train_check_outputs(const train_run *t)
{
    const train_opts *o = &t->o;
    const char *inputs[] = {o->data, o->model_file, o->vectors, o->log};
    const char *names[] = {"--data", "model", "--vectors", "--log"};
    char last[4096];
    last_path(o->out, last, sizeof last);
    if (!output_ok("--out", o->out, inputs, names, 4) || !output_ok("--out", last, inputs, names, 4) ||
        (o->log && !output_ok("--log", o->log, inputs, names, 3)))
        return 2;
    if (o->log && (!strcmp(o->log, o->out) || !strcmp(o->log, last))) {
        fprintf(stderr, "seqnn train: --log %s is also a checkpoint's name; choose another\n", o->log);
        return 2;
    }
    return 0;
}

/* The model file, read first for its train line (the data split depends on
 * it) with placeholder sizes, then the overrides: 0, or the exit status. */
static int train_read_config(train_run *t, int argc, char **argv)
{
    if (cli_read_file(t->o.model_file, (size_t)1 << 20, &t->model_text, &t->model_size) != SEQNN_OK)
        return cli_fail(NULL);
    seqnn_model *model = NULL;
    seqnn_modelfile_var probe[] = {{"vocab", 2}, {"src_vocab", 2}, {"classes", 2}, {"tgt_vocab", 2}};
    if (seqnn_modelfile_parse(t->model_text, t->model_size, t->o.model_file, probe, 4, &model, &t->cfg) !=
        SEQNN_OK)
        return cli_fail(NULL);
    seqnn_model_destroy(model);
    if (!apply_overrides(argc, argv, &t->cfg))
        return 2;
    if (t->o.batch_per_rank > 0) {       /* the global batch: this many on every rank */
        for (int i = 1; i < argc; i++)
            if (!strcmp(argv[i], "--batch")) {
                fprintf(stderr, "seqnn train: give --batch (the global batch) or --batch-per-rank, not both\n");
                return 2;
            }
        t->cfg.batch = t->o.batch_per_rank * (t->dist.size > 0 ? t->dist.size : 1);
    }
    return 0;
}

/* The context: the checkpoint's when resuming, else the selected backend's
 * (t->why says why it was selected). */
static int train_open_backend(train_run *t)
{
    if (t->resumed) {
        t->ctx = t->resume.ctx;
        t->resume.ctx = NULL;
        return 0;
    }
    seqnn_registry *reg = NULL;
    int64_t dev;
    int rc = 0;
    if (seqnn_registry_open(&reg) != SEQNN_OK ||
        seqnn_registry_select(reg, t->o.backend, &dev, t->why, sizeof t->why) != SEQNN_OK)
        rc = cli_fail("backend");
    seqnn_registry_close(reg);
    if (!rc && seqnn_context_create(t->o.backend, &t->ctx) != SEQNN_OK)
        rc = cli_fail("backend");
    return rc;
}

/* --resume: the checkpoint, of which its context and vocabularies are kept
 * (the model is built again and loads the checkpoint's parameters). */
static int train_resume(train_run *t)
{
    if (!t->o.resume)
        return 0;
    if (cli_load_checkpoint(t->o.resume, t->o.backend, &t->resume))
        return 1;
    seqnn_model_destroy(t->resume.model);
    t->resume.model = NULL;
    t->resumed = 1;
    return 0;
}

/* The data (with the checkpoint's vocabularies when resuming), the model
 * file again with the data's sizes, the backend, the built model with its
 * optimizer, parameters and word vectors: 0, or the exit status. */
static int train_setup(train_run *t)
{
    const train_opts *o = &t->o;
    int rc = 0;
    if (cli_data_open(o->format, o->data, o->words, &t->cfg, t->resumed ? &t->resume.src : NULL,
                      t->resumed && t->resume.tgt.n ? &t->resume.tgt : NULL, &t->d) != SEQNN_OK)
        rc = cli_fail(NULL);
    seqnn_modelfile_var vars[8];
    int nv = rc ? 0 : cli_data_vars(t->d, vars, 8);
    seqnn_train_config file_cfg;
    if (!rc && seqnn_modelfile_parse(t->model_text, t->model_size, o->model_file, vars, nv, &t->model,
                                     &file_cfg) != SEQNN_OK)
        rc = cli_fail(NULL);
    if (!rc)
        rc = train_open_backend(t);
    if (!rc)
        cli_plan_set_shape(t->model, t->d, &t->cfg);   /* a chain plans its batches at build */
    if (!rc && seqnn_model_build(t->model, t->ctx, t->cfg.seed) != SEQNN_OK)
        rc = cli_fail(NULL);
    if (!rc)                             /* --pad-to, else what the resumed run padded to */
        t->d->min_steps = o->pad_to > 0 || !t->resumed ? o->pad_to : t->resume.pad_to;
    if (!rc && cli_check_model_file(t->d, t->model, t->model_text, o->model_file, o->data) != SEQNN_OK)
        rc = cli_fail(NULL);
    if (!rc && seqnn_model_set_optimizer(t->model, &t->cfg.optim) != SEQNN_OK)
        rc = cli_fail("optimizer");
    seqnn_lr_schedule sched;
    if (!rc && o->lr_schedule &&
        (seqnn_lr_schedule_parse(o->lr_schedule, &sched) != SEQNN_OK ||
         seqnn_model_set_lr_schedule(t->model, &sched) != SEQNN_OK))
        rc = cli_fail("--lr-schedule");
    if (!rc && t->resumed && seqnn_model_load(t->model, o->resume) != SEQNN_OK)
        rc = cli_fail(NULL);
    if (!rc && o->vectors && !t->resumed) {
        int64_t found = 0;
        if (seqnn_model_load_vectors(t->model, NULL, o->vectors, (const char *const *)t->d->src.tok, t->d->src.n,
                                     &found) != SEQNN_OK)
            rc = cli_fail("word vectors");
        else
            fprintf(stderr, "word vectors: %lld of %lld tokens found in %s\n", (long long)found,
                    (long long)t->d->src.n, o->vectors);
    }
    if (!rc && t->d->stateful && seqnn_model_set_stateful(t->model, 1) != SEQNN_OK)
        rc = cli_fail(NULL);
    if (!rc && t->dist.launched && cli_data_shard(t->d, t->dist.rank, t->dist.size, &t->cfg) != SEQNN_OK)
        rc = cli_fail(NULL);                 /* data-parallel: each rank builds its shard of every batch */
    return rc;
}

/* Data-parallel: the model attached to the ranks; then rank 0's loss log.
 * 0, or the exit status. */
/* Ctrl-C (SIGINT) or SIGTERM: the step under way finishes, then the run
 * says which checkpoints are on disk; a second signal ends it at once. */
static volatile sig_atomic_t interrupted;

/* Under mpirun, the flag each training step's exchange carries to every
 * rank (the largest value of any rank): the signal, plus TRAIN_TIME_UP once
 * this rank's clock passed --time, so that all ranks end after the same
 * step whatever their clocks say. Written by on_interrupt and
 * train_time_up; time_up is 0 or TRAIN_TIME_UP. */
#define TRAIN_TIME_UP 256                /* above every signal number */
static volatile sig_atomic_t stop_flag, time_up;

/* What the ranks agreed on at the last step's exchange (under mpirun), or
 * this process's signal. */
static int train_stop_value(const train_run *t)
{
    return t->dist.launched ? seqnn_model_distributed_stop(t->model) : (int)interrupted;
}

/* The signal that stops the run: this process's, or under mpirun the one
 * the ranks agreed on at a step's exchange (every rank stops after the
 * same step). */
static int train_stop_signal(const train_run *t)
{
    return train_stop_value(t) % TRAIN_TIME_UP;
}

/* --time ran out on this rank's clock: the next step's exchange tells every
 * rank. A signal handled between reading `interrupted` and writing the flag
 * is written again by the loop; one handled later sees time_up itself. */
static void train_time_up(void)
{
    sig_atomic_t sig;
    time_up = TRAIN_TIME_UP;
    do {
        sig = interrupted;
        stop_flag = sig + TRAIN_TIME_UP;
    } while (sig != interrupted);
}

static int train_attach(train_run *t)
{
    if (cli_dist_attach(&t->dist, t->model, &stop_flag))
        return 1;
    if (t->o.log && t->dist.rank == 0 && !(t->log = fopen(t->o.log, t->resumed ? "a" : "w"))) {
        fprintf(stderr, "seqnn: %s: cannot write the loss log\n", t->o.log);
        return 1;
    }
    return 0;
}

/* The backend, the data and the model, on stderr; the log's header line. */
static void train_banner(train_run *t)
{
    const cli_data *d = t->d;
    seqnn_device_record dr;
    seqnn_context_device(t->ctx, &dr);
    char summary[4096];
    seqnn_model_summary(t->model, summary, sizeof summary);
    fprintf(stderr, "backend: %s (%s)%s%s\n", dr.plugin_name, dr.name, *t->why ? ": " : "", t->why);
    fprintf(stderr, "data: %s, %s format, vocabulary %lld, %lld training and %lld validation %s\n", t->o.data,
            d->format, (long long)d->src.n, (long long)d->n_train, (long long)d->n_val,
            !strcmp(d->format, "text") ? (d->words ? "words" : "characters") : "examples");
    fputs(summary, stderr);
    if (t->dist.launched)
        fprintf(stderr, "data-parallel: %d ranks, a global batch of %lld sequences (about %lld a rank)\n",
                t->dist.size, (long long)t->cfg.batch, (long long)(t->cfg.batch / t->dist.size));
    cli_plan_print_layers(t->model, t->ctx, "placement: ");
    t->loss_kind = seqnn_model_loss(t->model);
    if (t->log && !t->resumed)
        fprintf(t->log, "step,epoch,train_loss,val_loss,val_accuracy,tokens_per_s,elapsed_s,lr\n");
}

/* The loop's counters: steps in all, where a resumed run stands. 0, or 1 when
 * no batch fits (t->stop is set when there is nothing to do). */
static int train_start(train_run *t)
{
    const seqnn_train_config *cfg = &t->cfg;
    t->per_epoch = t->d->count(t->d, 0, cfg);
    t->total = cfg->max_steps > 0 ? cfg->max_steps : t->per_epoch * cfg->epochs;
    if (cfg->max_steps > 0 && t->per_epoch * cfg->epochs < t->total && cfg->epochs > 0)
        t->total = t->per_epoch * cfg->epochs;
    t->t0 = bench_now(0);
    t->pos = (train_pos){0, 0, -1, 0, INFINITY, NAN};
    if (t->resumed) {
        t->pos.epoch = t->resume.epoch;
        t->pos.batch = t->resume.batch;
        t->pos.best_step = t->resume.best_step;
        t->pos.stale = t->resume.stale;
        t->pos.best = t->resume.best;
    }
    last_path(t->o.out, t->last, sizeof t->last);
    t->step = t->first_step = t->resumed ? seqnn_model_step_count(t->model) : 0;
    t->prog = (progress){.tty = isatty(2), .cols = terminal_columns(), .last_line = t->t0,
                         .val_batches = t->d->n_val > 0 ? t->d->count(t->d, 1, cfg) : 0};
    if (t->per_epoch == 0) {
        fprintf(stderr, "seqnn: %s: no training batch fits (batch %lld, seq_len %lld)\n", t->o.data,
                (long long)cfg->batch, (long long)cfg->seq_len);
        t->stop = 1;
        return 1;
    }
    if (cfg->max_steps > 0 && t->step >= cfg->max_steps)
        t->stop = 1;
    return 0;
}

/* After a step that validates: validation, the log line, the best and last
 * checkpoints, early stopping (t->stop). train_loss: the step's own loss, the
 * score when there is no validation split. 0, or the exit status. */
static int train_validate(train_run *t, int64_t epoch, int64_t in_epoch, int end_epoch, int last_step,
                          double train_loss, double el)
{
    cli_data *d = t->d;
    train_pos *pos = &t->pos;
    cli_eval_result e = {NAN, NAN, 0};
    if (d->n_val > 0 && !cli_evaluate(t->model, d, &t->cfg, 1, &e))
        return cli_fail("validation");
    if (d->n_val > 0 && !isfinite(e.loss)) {
        fprintf(stderr, "\nseqnn: step %lld: the validation loss is %g: the parameters diverged; stopping "
                        "without writing a checkpoint (the last good ones are kept)\n",
                (long long)t->step, e.loss);
        return 1;
    }
    /* Validation left the carried state at zero: a checkpoint taken here
     * resumes exactly. */
    if (t->prog.tty)
        fputc('\n', stderr);
    char line[64];
    snprintf(line, sizeof line, "step %lld validation", (long long)t->step);
    if (d->n_val > 0)
        cli_print_eval(stderr, line, d, &e, t->loss_kind);
    if (t->log) {
        fprintf(t->log, "%lld,%lld,%.6f,%.6f,%.6f,%.1f,%.2f,%.6g\n", (long long)t->step, (long long)epoch,
                t->run_loss / (double)t->since, e.loss, e.accuracy, el > 0 ? (double)t->tokens / el : 0, el,
                t->lr);
        fflush(t->log);
    }
    t->run_loss = 0;
    t->since = 0;
    double score = d->n_val > 0 ? e.loss : train_loss;
    int reduced = 0;                     /* a plateau schedule hears the score */
    if (seqnn_model_report_validation(t->model, score, &reduced) != SEQNN_OK)
        return cli_fail("lr schedule");
    if (reduced)
        fprintf(stderr, "lr schedule: no improvement; the learning rate is now %g\n",
                seqnn_model_learning_rate(t->model));
    pos->epoch = end_epoch ? epoch + 1 : epoch;
    pos->batch = end_epoch ? 0 : in_epoch;
    pos->val_loss = score;
    int improved = score < pos->best;
    if (improved) {
        pos->best = score;
        pos->best_step = t->step;
        pos->stale = 0;
    } else {
        pos->stale++;
    }
    t->saved |= improved;
    t->last_saved = t->step;
    if (t->dist.rank == 0 &&             /* data-parallel: rank 0 writes */
        ((improved && write_checkpoint(t->model, t->o.out, t->model_text, d, t->o.words, pos, &t->cfg)) ||
         write_checkpoint(t->model, t->last, t->model_text, d, t->o.words, pos, &t->cfg)))
        return 1;
    if (!improved && t->cfg.patience > 0 && pos->stale >= t->cfg.patience) {
        fprintf(stderr, "early stop: no improvement in %lld validations\n", (long long)pos->stale);
        t->stop = 1;
    }
    if (last_step)
        t->stop = 1;
    return 0;
}

static void on_interrupt(int sig)
{
    interrupted = sig;
    stop_flag = sig + time_up;
    signal(sig, SIG_DFL);
}

/* Where the run stands after a step, el seconds in: the steps it will take
 * (under --time, those the time limit leaves room for at the pace so far),
 * and the ETA with the validations to come and the final evaluation. */
static progress_at train_progress(const train_run *t, double el)
{
    const seqnn_train_config *cfg = &t->cfg;
    progress_at a = {.step = t->step, .total = t->total, .loss = t->run_loss / (double)t->since,
                     .tok_s = el > 0 ? (double)t->tokens / el : 0};
    int64_t done = t->step - t->first_step;
    double step_s = done > 0 ? (el - t->eval_total) / (double)done : 0;
    if (cfg->time_limit > 0 && step_s > 0) {
        double left = cfg->time_limit - el;
        int64_t more = left > 0 ? (int64_t)ceil(left / step_s) : 0;
        if (t->total <= 0 || t->step + more < t->total)
            a.total = t->step + more;
    }
    if (a.total < a.step)
        a.total = a.step;
    a.frac = a.total > 0 ? (double)a.step / (double)a.total : 0;
    int64_t every = cfg->eval_every > 0 ? cfg->eval_every : t->per_epoch;
    int64_t evals = every > 0 ? a.total / every - a.step / every : 0;
    if (a.total > a.step && (every <= 0 || a.total % every != 0))
        evals++;                         /* the last step validates */
    double eval_s = t->prog.eval_s > 0 ? t->prog.eval_s : 0.5 * (double)t->prog.val_batches * step_s;
    if (t->d->n_val > 0)
        evals++;                         /* the final evaluation of the best checkpoint */
    else
        eval_s = 0;
    a.eta = done > 0 ? (double)(a.total - a.step) * step_s + (double)evals * eval_s : -1;
    return a;
}

/* One epoch of batches (the first `skip` were trained before a resume),
 * validating every eval_every steps or at its end: 0, or the exit status. */
static int train_epoch(train_run *t, int64_t epoch, int64_t skip)
{
    const seqnn_train_config *cfg = &t->cfg;
    seqnn_batch b;
    int64_t in_epoch = 0;
    while (!t->stop && !train_stop_signal(t) && t->d->next(t->d, 0, cfg, &b)) {
        in_epoch++;
        if (in_epoch <= skip)            /* resuming: these were trained before */
            continue;
        seqnn_step_result r;
        t->lr = seqnn_model_learning_rate(t->model);
        if (seqnn_model_train_step(t->model, &b, &r) != SEQNN_OK) {
            t->stop = 1;
            return cli_fail("training");
        }
        t->step++;
        t->since++;
        t->run_loss += r.loss;
        t->tokens += b.batch > 0 ? cli_batch_steps(&b) / b.batch * t->d->global_batch : 0;   /* the global batch's */
        double el = bench_now(0) - t->t0;
        progress_at at = train_progress(t, el);
        progress_show(&t->prog, &at);
        int end_epoch = in_epoch >= t->per_epoch;
        /* --time: under mpirun the ranks' agreement (this step's exchange), so all end after the same step */
        int out_of_time = cfg->time_limit > 0 && el >= cfg->time_limit;
        if (t->dist.launched) {
            if (out_of_time && !time_up)
                train_time_up();
            out_of_time = train_stop_value(t) >= TRAIN_TIME_UP;
        }
        int last_step = (cfg->max_steps > 0 && t->step >= cfg->max_steps) || out_of_time ||
                        (end_epoch && epoch + 1 >= cfg->epochs);
        int do_eval = last_step || (cfg->eval_every > 0 ? t->step % cfg->eval_every == 0 : end_epoch);
        if (do_eval) {
            double e0 = bench_now(0);
            int rc = train_validate(t, epoch, in_epoch, end_epoch, last_step, r.loss, el);
            t->prog.eval_s = bench_now(0) - e0;
            t->eval_total += t->prog.eval_s;
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int train_interrupted(const train_run *t, int sig)
{
    fprintf(stderr, "\ninterrupted at step %lld (%s%s): ", (long long)t->step, sig == SIGINT ? "SIGINT" : "SIGTERM",
            t->dist.launched ? ", every rank at this step" : "");
    if (t->last_saved < 0)
        fprintf(stderr, "this run wrote no checkpoint yet (they are written at validations)%s%s\n",
                t->resumed ? "; resume again from " : "", t->resumed ? t->o.resume : "");
    else
        fprintf(stderr, "on disk: the best checkpoint %s (step %lld) and the last %s (step %lld); continue with "
                        "--resume %s\n", t->o.out, (long long)t->pos.best_step, t->last,
                (long long)t->last_saved, t->last);
    return 128 + sig;
}

/* The loop: epochs of batches, validation every eval_every steps (or per
 * epoch), the best checkpoint kept, early stopping. 0, or the exit status. */
static int train_loop(train_run *t)
{
    for (int64_t epoch = t->pos.epoch; !t->stop && !train_stop_signal(t) && epoch < t->cfg.epochs; epoch++) {
        if (t->d->begin(t->d, 0, t->cfg.seed + (uint64_t)epoch) != SEQNN_OK ||
            seqnn_model_reset_state(t->model) != SEQNN_OK)
            return cli_fail(NULL);
        int rc = train_epoch(t, epoch, epoch == t->pos.epoch ? t->pos.batch : 0);
        if (rc)
            return rc;
    }
    return 0;
}

/* What the run did, then the best checkpoint re-evaluated after loading it
 * (the final figure), its metrics, and a sample of a language model. */
static int train_finish(train_run *t)
{
    double wall = bench_now(0) - t->t0;
    char w[32];
    fmt_time(wall, w, sizeof w);
    fprintf(stderr, "trained %lld steps in %s (%.0f tokens/s); best validation at step %lld saved to %s\n",
            (long long)(t->step - t->first_step), w, wall > 0 ? (double)t->tokens / wall : 0,
            (long long)t->pos.best_step, t->o.out);
    int rc = 0;
    cli_dist_barrier(&t->dist);          /* data-parallel: rank 0's checkpoint is written */
    if (t->saved && seqnn_model_load(t->model, t->o.out) != SEQNN_OK)
        rc = cli_fail(NULL);
    if (!rc && t->d->n_val > 0) {
        cli_eval_result e;
        if (!cli_evaluate(t->model, t->d, &t->cfg, 1, &e))
            rc = cli_fail("validation");
        else
            cli_print_eval(stdout, "validation", t->d, &e, t->loss_kind);
        if (!rc && t->dist.launched && cli_data_examples(t->d, 0) > 0 &&   /* whole batches on every rank */
            cli_data_shard(t->d, 0, 1, &t->cfg) != SEQNN_OK)
            rc = cli_fail(NULL);
        if (!rc && cli_metrics_report(t->model, t->d, &t->cfg, 1, 0, stdout))
            rc = 1;
    }
    if (!rc && !strcmp(t->d->format, "text") && t->o.sample > 0) {
        printf("sample (temperature %.2f):\n", t->o.temperature);
        fflush(stdout);
        rc = cli_sample_text(t->model, &t->d->src, NULL, t->o.sample, t->o.temperature, t->cfg.seed, stdout);
    }
    return rc;
}

static void train_close(train_run *t)
{
    if (t->log)
        fclose(t->log);
    seqnn_model_destroy(t->model);
    seqnn_context_destroy(t->ctx);
    cli_data_close(t->d);
    cli_loaded_free(&t->resume);
    free(t->model_text);
}

int seqnn_cli_train(int argc, char **argv)
{
    train_run *t = calloc(1, sizeof *t);
    if (!t) {
        fprintf(stderr, "seqnn: out of memory\n");
        return 1;
    }
    t->o = (train_opts){.format = "text", .out = "model.safetensors", .sample = 300, .temperature = 0.8};
    int rc = train_parse(argc, argv, &t->o);
    if (rc >= 0) {
        free(t);
        return rc;
    }
    rc = cli_dist_begin(&t->dist);
    t->o.backend = cli_dist_backend(&t->dist, t->o.backend);
    if (!rc)
        rc = train_check_outputs(t);
    if (!rc)
        rc = train_read_config(t, argc, argv);
    if (!rc)
        rc = train_resume(t);
    if (!rc)
        rc = train_setup(t);
    rc = cli_dist_agree(&t->dist, rc);   /* data-parallel: a rank that failed so far stops every rank */
    if (!rc) {
        t->prog.tty = isatty(2);         /* from here on, a progress line is ended at the end */
        rc = train_attach(t);
        if (!rc) {
            train_banner(t);
            rc = train_start(t);
        }
        if (!rc) {
            t->last_saved = -1;
            signal(SIGINT, on_interrupt);
            signal(SIGTERM, on_interrupt);
            rc = train_loop(t);
            signal(SIGINT, SIG_DFL);
            signal(SIGTERM, SIG_DFL);
        }
        progress_end(&t->prog);
        if (!rc && train_stop_signal(t))
            rc = train_interrupted(t, train_stop_signal(t));
        if (!rc)
            rc = train_finish(t);
    }
    cli_dist dist = t->dist;
    train_close(t);
    free(t);
    return cli_dist_end(&dist, rc);
}

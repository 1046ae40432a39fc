/* `seqnn bench model MODEL.seqnn`: whole training steps of a model file
 * (forward, loss, backward, clipping, optimizer) on one plugin through the
 * public model API, with a fixed batch of random tokens or features. The
 * model file's `train` line gives B and T (--batch/--seq override them) and
 * $vocab/$classes/... are set by --vocab. A token model with sequence
 * output and cross-entropy (a language model) runs stateful, as `seqnn
 * train` runs one: each step starts from the previous step's final state.
 * The work of a step is counted as 6 x B x T x (parameters of every weight
 * matrix but the embeddings'), which is exact for dense and recurrent
 * layers (2 flops per weight per token forward, twice that backward). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"
#include "bench_timer.h"
#include "cli.h"
#include "seqnn/modelfile.h"
#include "seqnn/seqnn.h"

typedef struct model_run {
    seqnn_context *ctx;
    seqnn_model *model;
    seqnn_train_config cfg;
    seqnn_batch batch;
    int32_t *tokens, *targets;
    float *features, *values;
} model_run;

/* the $variables a model file may use, all set to --vocab */
static int model_vars(const bench_case *c, seqnn_modelfile_var *v)
{
    static const char *const names[] = { "vocab", "classes", "src_vocab", "tgt_vocab" };
    for (int i = 0; i < 4; i++) {
        v[i].name = names[i];
        v[i].value = c->vocab;
    }
    return 4;
}

/* the input line of the model file: features (1, with *dim) or tokens (0) */
static int model_input_features(const char *path, const bench_case *c, int64_t *dim)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    int features = 0;
    while (f && fgets(line, sizeof line, f)) {
        char w0[32] = "", w1[32] = "";
        if (sscanf(line, "%31s %31s", w0, w1) < 2 || strcmp(w0, "input"))
            continue;
        features = !strcmp(w1, "features");
        const char *d = strstr(line, "dim=");
        *dim = d ? (d[4] == '$' ? c->vocab : atoll(d + 4)) : 0;
        break;
    }
    if (f)
        fclose(f);
    return features;
}

/* the model described and built on ctx with its optimizer; -1 with note */
static int model_open(model_run *w, seqnn_context *ctx, const bench_case *c, char *note, size_t nn)
{
    seqnn_modelfile_var vars[4];
    int nv = model_vars(c, vars);
    memset(w, 0, sizeof *w);
    w->ctx = ctx;
    if (seqnn_modelfile_load(c->model, vars, nv, &w->model, &w->cfg) != SEQNN_OK ||
        seqnn_model_build(w->model, ctx, w->cfg.seed) != SEQNN_OK ||
        seqnn_model_set_optimizer(w->model, &w->cfg.optim) != SEQNN_OK) {
        snprintf(note, nn, "%s", seqnn_last_error());
        return -1;
    }
    return 0;
}

static void model_close(model_run *w)
{
    seqnn_model_destroy(w->model);
    free(w->tokens);
    free(w->targets);
    free(w->features);
    free(w->values);
    memset(w, 0, sizeof *w);
}

/* the batch: random inputs and targets of the model's shapes (fixed seed) */
static int model_batch(model_run *w, const bench_case *c, char *note, size_t nn)
{
    int sequence = 1;
    int64_t n_out = 0, dim = 0, T = c->seq, B = c->batch;
    seqnn_model_output_shape(w->model, &sequence, &n_out);
    int features = model_input_features(c->model, c, &dim);
    int64_t n_tgt = sequence ? T * B : B;
    seqnn_loss_kind loss = seqnn_model_loss(w->model);
    uint64_t s = 12345;
#define NEXT() (s = s * 6364136223846793005ull + 1442695040888963407ull, (uint32_t)(s >> 33))
    if (features) {
        w->features = malloc((size_t)(T * B * (dim > 0 ? dim : 1)) * sizeof(float));
        for (int64_t i = 0; w->features && i < T * B * dim; i++)
            w->features[i] = (float)(NEXT() % 2001) * 1e-3f - 1.0f;
    } else {
        w->tokens = malloc((size_t)(T * B) * sizeof(int32_t));
        for (int64_t i = 0; w->tokens && i < T * B; i++)
            w->tokens[i] = (int32_t)(NEXT() % (uint32_t)c->vocab);
    }
    if (loss == SEQNN_LOSS_XENT) {
        w->targets = malloc((size_t)n_tgt * sizeof(int32_t));
        for (int64_t i = 0; w->targets && i < n_tgt; i++)
            w->targets[i] = (int32_t)(NEXT() % (uint32_t)n_out);
    } else {
        w->values = malloc((size_t)(n_tgt * n_out) * sizeof(float));
        for (int64_t i = 0; w->values && i < n_tgt * n_out; i++)
            w->values[i] = (float)(NEXT() % 1001) * 1e-3f;
    }
#undef NEXT
    if ((features ? !w->features : !w->tokens) || (loss == SEQNN_LOSS_XENT ? !w->targets : !w->values)) {
        snprintf(note, nn, "out of memory");
        return -1;
    }
    w->batch = (seqnn_batch){ .seq_len = T, .batch = B, .tokens = w->tokens, .features = w->features,
                              .targets = w->targets, .values = w->values };
    /* a language model carries its state across batches, as `seqnn train` runs it */
    if (!features && sequence && loss == SEQNN_LOSS_XENT && seqnn_model_set_stateful(w->model, 1) != SEQNN_OK) {
        snprintf(note, nn, "%s", seqnn_last_error());
        return -1;
    }
    return 0;
}

/* The case's B and T from the model file's train line (unless given), the
 * work of a step and its description; -1 after printing why it cannot run. */
int bench_model_probe(bench_case *c, int64_t batch, int64_t seq)
{
    seqnn_context *ctx = NULL;
    model_run w;
    char note[512] = "";
    if (c->vocab < 1) {
        fprintf(stderr, "seqnn bench model: --vocab must be at least 1\n");
        return -1;
    }
    if (seqnn_context_create("ref", &ctx) != SEQNN_OK || model_open(&w, ctx, c, note, sizeof note) != 0) {
        fprintf(stderr, "seqnn bench model: %s\n", note[0] ? note : seqnn_last_error());
        seqnn_context_destroy(ctx);
        return -1;
    }
    c->batch = batch > 0 ? batch : w.cfg.batch;
    c->seq = seq > 0 ? seq : w.cfg.seq_len > 0 ? w.cfg.seq_len : 100;
    /* weight matrices: two-dimensional parameters outside embedding layers */
    char summary[8192], emb[16][72];
    int nemb = 0;
    seqnn_model_summary(w.model, summary, sizeof summary);
    for (char *line = strtok(summary, "\n"); line; line = strtok(NULL, "\n")) {
        char name[64], kind[32];
        if (sscanf(line, "%63s %31s", name, kind) == 2 && !strcmp(kind, "embedding") && nemb < 16)
            snprintf(emb[nemb++], sizeof emb[0], "%s.", name);
    }
    double weights = 0;
    c->params = seqnn_model_param_total(w.model);
    for (int64_t i = 0; i < seqnn_model_param_count(w.model); i++) {
        seqnn_param_info p;
        int skip = seqnn_model_param(w.model, i, &p) != SEQNN_OK || p.ndim < 2;
        for (int e = 0; e < nemb && !skip; e++)
            skip = !strncmp(p.name, emb[e], strlen(emb[e]));
        if (!skip)
            weights += (double)p.count;
    }
    c->model_flops = 6.0 * (double)c->batch * (double)c->seq * weights;
    model_close(&w);
    seqnn_context_destroy(ctx);
    return 0;
}

/* Times training steps of the model on one plugin; -1 (with r->note) when it cannot. */
int bench_model_run_plugin(const char *plugin, const bench_case *c, const bench_opts *o, bench_result *r)
{
    seqnn_context *ctx = NULL;
    if (seqnn_context_create(plugin, &ctx) != SEQNN_OK) {
        snprintf(r->note, sizeof r->note, "%s", seqnn_last_error());
        return -1;
    }
    seqnn_device_record dev;
    if (seqnn_context_device(ctx, &dev) == SEQNN_OK)
        snprintf(r->isa, sizeof r->isa, "seqnn %.32s plugin: %.400s", dev.plugin_name, dev.name);
    model_run w;
    int rc = model_open(&w, ctx, c, r->note, sizeof r->note);
    if (rc == 0)
        rc = model_batch(&w, c, r->note, sizeof r->note);
    seqnn_step_result res;
    seqnn_status st = SEQNN_OK;
    for (int i = 0; rc == 0 && i < o->warmup && st == SEQNN_OK; i++)
        st = seqnn_model_train_step(w.model, &w.batch, &res);
    for (int rep = 0; rc == 0 && rep < o->reps && st == SEQNN_OK && r->n < BENCH_MAX_SAMPLES; rep++) {
        double t0 = bench_now(o->cpu_clock);
        st = seqnn_model_train_step(w.model, &w.batch, &res);
        if (st == SEQNN_OK)
            st = seqnn_sync(ctx);
        r->samples[r->n++] = bench_now(o->cpu_clock) - t0;
    }
    if (st != SEQNN_OK) {
        snprintf(r->note, sizeof r->note, "%s: %s", seqnn_status_name(st), seqnn_last_error());
        r->n = 0;
    }
    model_close(&w);
    seqnn_context_destroy(ctx);
    return rc == 0 && r->n > 0 ? 0 : -1;
}

/* `seqnn plan MODEL.seqnn [--backend SPEC] [--data FILE [--format F]]
 * [--batch N] [--seq-len N]`: the placement plan of a model on a backend
 * (docs/backends.md, "Placement plans"): per layer each kernel it calls in
 * training and in inference and the device that runs it, where each layer's
 * tensors live, and the copies between devices per training step with their
 * bytes. Also the helpers `seqnn train` uses to plan for its batches and to
 * say where each layer runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "checkpoint.h"
#include "cli.h"
#include "cli_error.h"
#include "data.h"
#include "plan.h"
#include "seqnn/modelfile.h"

void cli_plan_set_shape(seqnn_model *m, const cli_data *d, const seqnn_train_config *cfg)
{
    int text = !d || !strcmp(d->format, "text");
    int64_t T = cfg->seq_len > 0 ? cfg->seq_len : 32;
    seqnn_plan_shape s = {.batch = cfg->batch > 0 ? cfg->batch : 32, .seq_len = T, .dec_len = T, .lengths = !text};
    seqnn_model_set_plan_shape(m, &s);
}

int cli_plan_print_layers(seqnn_model *m, seqnn_context *ctx, const char *prefix)
{
    seqnn_device_record dr;
    if (seqnn_context_device_count(ctx) < 2) {
        if (seqnn_context_device(ctx, &dr) != SEQNN_OK)
            return cli_fail(NULL);
        fprintf(stderr, "%severy layer runs on %s (one device)\n", prefix, dr.plugin_name);
        return 0;
    }
    seqnn_plan *plan;
    if (seqnn_model_plan(m, NULL, &plan) != SEQNN_OK)
        return cli_fail("plan");
    char line[2048];
    uint32_t used = 0;
    for (int64_t i = 0; i < plan->n_rows; i++)
        used |= plan->rows[i].device < 0 ? 1u << 31 : 1u << plan->rows[i].device;
    for (int d = 0; d < plan->devices; d++)
        if (used == 1u << d) {
            fprintf(stderr, "%severy call runs on %s, the chain's device %d; nothing is copied\n", prefix,
                    plan->device_names[d], d + 1);
            seqnn_plan_free(plan);
            return 0;
        }
    for (int i = 0; i < plan->n_layers; i++) {
        seqnn_plan_layer_devices(plan, i, line, sizeof line);
        fprintf(stderr, "%s%s runs on %s\n", prefix, plan->layer_names[i], *line ? line : "- (no kernel call)");
    }
    seqnn_plan_summary(plan, line, sizeof line);
    fprintf(stderr, "%s%s\n", prefix, line);
    seqnn_plan_free(plan);
    return 0;
}

/* "avx2", "testpartial+avx2", or "-" for a device mask. */
static const char *devices_of(const seqnn_plan *plan, uint32_t mask, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int d = 0; d < plan->devices && used < size; d++)
        if (mask & (1u << d))
            used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? "+" : "", plan->device_names[d]);
    return used ? buf : "-";
}

static void print_traffic(const seqnn_plan *plan, const char *what, const seqnn_plan_traffic *t)
{
    printf("%s:", what);
    for (int d = 0; d < plan->devices; d++)
        printf("%s %lld calls on %s", d ? "," : "", (long long)t->calls[d], plan->device_names[d]);
    printf("; %lld copies between devices, %lld bytes", (long long)t->copies, (long long)t->bytes);
    if (t->host_bytes)
        printf(" (%lld of them for reads by the host)", (long long)t->host_bytes);
    printf("\n");
}

static void print_plan(const seqnn_plan *plan, const char *model_file)
{
    static const char *const kinds[SEQNN_PLAN_TENSOR_KINDS] = {"output", "output gradient", "parameters",
                                                               "gradients", "optimizer state"};
    printf("plan of %s for batches of %lld x %lld steps%s on", model_file, (long long)plan->shape.batch,
           (long long)plan->shape.seq_len, plan->shape.lengths ? " with lengths" : "");
    for (int d = 0; d < plan->devices; d++)
        printf("%s %s", d ? " then" : "", plan->device_names[d]);
    printf("\n%-16s %-10s %-24s %-14s %6s %7s %12s\n", "layer", "phase", "kernel", "device", "calls", "copies",
           "bytes");
    for (int64_t i = 0; i < plan->n_rows; i++) {
        const seqnn_plan_call *c = &plan->rows[i];
        printf("%-16s %-10s %-24s %-14s %6lld %7lld %12lld\n", c->layer >= 0 ? c->layer_name : "(model)",
               seqnn_plan_phase_name(c->phase), seqnn_kernel_name(c->kernel),
               c->device >= 0 ? plan->device_names[c->device] : "NONE", (long long)c->calls,
               (long long)c->copies, (long long)c->bytes);
        if (c->device < 0)
            printf("    no device runs it: %s\n", c->answers);
    }
    printf("where each layer's tensors are current after a training step:\n");
    for (int i = 0; i < plan->n_layers; i++) {
        char names[256];
        printf("  %-16s", plan->layer_names[i]);
        for (int k = 0; k < SEQNN_PLAN_TENSOR_KINDS; k++)
            if (plan->homes[i][k] || k < SEQNN_PLAN_PARAMS)
                printf(" %s %s;", kinds[k], devices_of(plan, plan->homes[i][k], names, sizeof names));
        printf("\n");
    }
    print_traffic(plan, "first training step", &plan->first_step);
    print_traffic(plan, "every later training step", &plan->step);
    print_traffic(plan, "inference forward", &plan->inference);
}

static void plan_usage(FILE *f)
{
    fprintf(f, "usage: seqnn plan MODEL.seqnn [options]\n"
               "  the placement plan: each kernel every layer calls in training and inference, the device\n"
               "  that runs it, where tensors live, and the copies between devices per training step\n"
               "  --backend SPEC    as SEQNN_BACKEND: a device or a chain A,B,... (default: best)\n"
               "  --data FILE       the data the model will train on (sizes the model's $vars)\n"
               "  --format F        its format: text (default), classify, tag, translate, regress\n"
               "  --words           line formats: word tokens\n"
               "  --batch N, --seq-len N   the batch planned for (default: the model file's train line)\n"
               "without --data every $var of the model file is 100.\n"
               "exit status: 0 when every call has a device, 1 when one has none (or on an error).\n");
}

typedef struct plan_opts {
    const char *model_file, *backend, *data, *format;
    int words;
    int64_t batch, seq_len;
} plan_opts;

/* The options into o: -1 to go on, else the exit status. */
static int plan_parse(int argc, char **argv, plan_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = !strcmp(a, "--backend") ? &o->backend : !strcmp(a, "--data") ? &o->data
                          : !strcmp(a, "--format") ? &o->format : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            plan_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--words")) {
            o->words = 1;
        } else if (slot) {
            if (!v) { fprintf(stderr, "seqnn plan: %s needs a value\n", a); return 2; }
            *slot = argv[++i];
        } else if (!strcmp(a, "--batch") || !strcmp(a, "--seq-len")) {
            if (!cli_parse_i64(a, v, 1, !strcmp(a, "--batch") ? &o->batch : &o->seq_len))
                return 2;
            i++;
        } else if (a[0] == '-' || o->model_file) {
            fprintf(stderr, "seqnn plan: unexpected argument '%s'\n", a);
            plan_usage(stderr);
            return 2;
        } else {
            o->model_file = a;
        }
    }
    if (!o->model_file) {
        plan_usage(stderr);
        return 2;
    }
    return -1;
}

/* The model file with the data's sizes (or 100 for each $var) and the
 * configuration; the data when given (*d). 0, or the exit status. */
static int plan_model(const plan_opts *o, seqnn_model **m, seqnn_train_config *cfg, cli_data **d)
{
    seqnn_modelfile_var vars[8] = {{"vocab", 100}, {"src_vocab", 100}, {"classes", 100}, {"tgt_vocab", 100}};
    int nv = 4;
    if (o->data) {
        seqnn_model *probe = NULL;
        if (seqnn_modelfile_load(o->model_file, vars, nv, &probe, cfg) != SEQNN_OK)
            return cli_fail(NULL);
        seqnn_model_destroy(probe);
        if (cli_data_open(o->format, o->data, o->words, cfg, NULL, NULL, d) != SEQNN_OK)
            return cli_fail(NULL);
        nv = cli_data_vars(*d, vars, 8);
    }
    if (seqnn_modelfile_load(o->model_file, vars, nv, m, cfg) != SEQNN_OK)
        return cli_fail(NULL);
    if (o->batch)
        cfg->batch = o->batch;
    if (o->seq_len)
        cfg->seq_len = o->seq_len;
    return 0;
}

int seqnn_cli_plan(int argc, char **argv)
{
    plan_opts o = {.format = "text"};
    int rc = plan_parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    seqnn_train_config cfg;
    seqnn_model *m = NULL;
    cli_data *d = NULL;
    seqnn_context *ctx = NULL;
    seqnn_plan *plan = NULL;
    rc = plan_model(&o, &m, &cfg, &d);
    if (!rc && seqnn_context_create(o.backend, &ctx) != SEQNN_OK)
        rc = cli_fail("backend");
    if (!rc)
        cli_plan_set_shape(m, d, &cfg);
    /* a chain plans at build and refuses a call no device runs: plan the
     * built model, or say why it did not build */
    if (!rc && seqnn_model_build(m, ctx, cfg.seed) != SEQNN_OK)
        rc = cli_fail(NULL);
    if (!rc && seqnn_model_plan(m, NULL, &plan) != SEQNN_OK)
        rc = cli_fail("plan");
    if (!rc) {
        print_plan(plan, o.model_file);
        rc = plan->unplaced > 0;
    }
    seqnn_plan_free(plan);
    seqnn_model_destroy(m);
    seqnn_context_destroy(ctx);
    cli_data_close(d);
    return rc;
}

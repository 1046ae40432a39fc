/* PyTorch interoperability, both directions, on every plugin that can run
 * here (ref always; others with a score > 0).
 *
 * PyTorch -> seqnn: tests/interop/data holds, per model, NAME.pt.safetensors
 * (a PyTorch state_dict) and NAME.io.safetensors (inputs, PyTorch's outputs,
 * loss, gradients, and the parameters after a few torch.optim steps), written
 * by tests/interop/torch_models.py export. The model is the model file
 * tests/interop/models/NAME.seqnn (docs/model-files.md), from which
 * torch_models.py builds the PyTorch twin; this test reads it with
 * seqnn_modelfile_load, builds it, loads the state_dict with seqnn_model_load
 * and checks
 *   - the loaded parameters equal the file's values bit for bit;
 *   - seqnn_model_predict against PyTorch's float32 output;
 *   - seqnn_model_evaluate's loss against PyTorch's;
 *   - the gradients, through one seqnn_model_train_step of plain SGD with
 *     lr = 2^20: p1 = p0 - 2^20 g, so g = (p0 - p1) / 2^20 computed in double
 *     is seqnn's gradient to float32 rounding of p1 (~6e-8 of |g|), compared
 *     with PyTorch's (torch.autograd) per parameter tensor (the public API
 *     has no gradient accessor, and needs none for this);
 *   - STEPS steps of the io file's optimizer (SGD with Nesterov momentum,
 *     RMSprop centered, Adam amsgrad, AdamW, Adagrad, with clipping and weight
 *     decay as the file says) against torch.optim: each step's loss, and each
 *     parameter tensor's total update after - before.
 * seqnn -> PyTorch: for every model and plugin, trains the loaded model a few
 * steps on a batch of other shapes (dropout active), then writes into WORK_DIR
 * the checkpoint (seqnn_model_save, with the optimizer state) and an io file
 * with new inputs, seqnn_model_predict's output and seqnn_model_evaluate's
 * loss. The CTest interop_torch_check runs
 * `/usr/bin/python3 tests/interop/torch_models.py check WORK_DIR` on them.
 *
 * Budget. Both sides compute in float32 (2^-24 ~ 6e-8 rounding per operation)
 * with different reduction orders; the float64 outputs of the io file (PyTorch
 * in double from the same float32 parameters) show how far each is from the
 * exact result (printed per model: both ~1e-7). Errors are normwise per
 * tensor, max|a - b| / max|b|, so a tiny element is not held to a relative
 * bound its rounding cannot meet. One budget, 1e-5, for
 *   outputs and losses,
 *   gradients (BPTT sums T*B products per weight),
 *   each parameter tensor's update after STEPS optimizer steps, less what
 *     rounding the parameter itself to float32 at every step accounts for
 *     (STEPS * 2^-23 |p|, no error of the update; it would otherwise be most
 *     of a 3e-5 normwise difference of SGD updates).
 * Measured worst over the committed data and 12 other seeds (torch_models.py
 * export DIR SEED; test_interop WORK DIR), on ref, avx2 and opencl (POCL):
 * outputs 4e-7, losses 2e-7, gradients 3.3e-6, updates 3.5e-6.
 * Why 1e-5: the conformance suite certifies every plugin's kernels to
 * 16 * ceil(log2(k+1)) * 2^-24 normwise against float64 (k the reduction
 * length times steps, here <= ~100: ~7e-6), so a conformant plugin may sit
 * near 1e-5 where these models sit at 1e-7 to 3e-6; and 1e-5 is 1000 times
 * below what a wrong weight layout, gate order, mask, loss reduction or
 * optimizer formula gives (1e-2 to 1; see the sensitivity line per model:
 * the first weight matrix read column-major). Optimizers that normalise
 * per element turn a gradient that is zero or tiny in exact arithmetic into
 * a full-size step of rounding noise: the attention models (key bias:
 * exactly zero gradient) train with SGD, and Adam/RMSprop/Adagrad use
 * eps = 1e-3 (torch_models.py says why).
 * Usage: test_interop [WORK_DIR [DATA_DIR]] (DATA_DIR: the committed
 * SEQNN_INTEROP_DATA; another is for files exported with another seed). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "seqnn/model.h"
#include "seqnn/modelfile.h"
#include "seqnn/safetensors.h"

#ifndef SEQNN_INTEROP_DATA
#error "SEQNN_INTEROP_DATA (the directory of the exported files) must be defined"
#endif
#ifndef SEQNN_INTEROP_MODELS
#error "SEQNN_INTEROP_MODELS (the directory of the model files) must be defined"
#endif

#define BUDGET_OUT 1e-5
#define BUDGET_GRAD 1e-5
#define BUDGET_UPDATE 1e-5
#define SGD_LR 1048576.0                 /* 2^20: division by it is exact */
#define MAX_MODELS 64

static int failures;

#define FAIL(...) do { failures++; printf("FAIL "); printf(__VA_ARGS__); printf("\n"); } while (0)

/* ------------------------------------------------------------ models --- */
/* What the test needs of a model beyond the public API's accessors: its
 * input (token ids or features, and their range) and its loss. */
typedef struct model_info {
    int tokens;                          /* token input (else features) */
    int64_t n_in;                        /* vocabulary or feature size */
    seqnn_loss_kind loss;
} model_info;

/* Reads SEQNN_INTEROP_MODELS/NAME.seqnn (the model file both sides read) and
 * builds it on ctx; the input's kind and size come from the io file's inputs
 * (features: their last dimension; tokens: the vocabulary of the embedding
 * every token model begins with, parameter 0). NULL and a reason on failure. */
static seqnn_model *load_model(const char *name, const seqnn_safetensors *io, seqnn_context *ctx,
                               model_info *mi, char *why, size_t wsz)
{
    char path[1024];
    seqnn_model *m = NULL;
    snprintf(path, sizeof path, "%s/%s.seqnn", SEQNN_INTEROP_MODELS, name);
    if (seqnn_modelfile_load(path, NULL, 0, &m, NULL)) {
        snprintf(why, wsz, "%s", seqnn_last_error());
        return NULL;
    }
    if (seqnn_model_build(m, ctx, 1)) {
        snprintf(why, wsz, "build: %s", seqnn_last_error());
        seqnn_model_destroy(m);
        return NULL;
    }
    const seqnn_st_tensor *features = seqnn_safetensors_find(io, "features");
    seqnn_param_info first;
    memset(mi, 0, sizeof *mi);
    mi->loss = seqnn_model_loss(m);
    mi->tokens = features == NULL;
    if (features && features->ndim == 3) {
        mi->n_in = features->shape[2];
    } else if (mi->tokens && seqnn_model_param(m, 0, &first) == SEQNN_OK && first.ndim == 2) {
        mi->n_in = first.shape[0];
    } else {
        snprintf(why, wsz, "%s.seqnn: cannot tell the input's size (features [T, B, F], or tokens into an "
                 "embedding)", name);
        seqnn_model_destroy(m);
        return NULL;
    }
    return m;
}

/* ------------------------------------------------------------ tensors --- */
/* Host copies of a tensor (F32 as float; I32 as int32), malloc'ed; NULL when absent. */
static float *get_f32(const seqnn_safetensors *st, const char *name, int64_t *count)
{
    const seqnn_st_tensor *t = seqnn_safetensors_find(st, name);
    if (!t)
        return NULL;
    float *v = malloc((size_t)(t->count > 0 ? t->count : 1) * sizeof *v);
    if (!v || seqnn_safetensors_read_f32(st, name, v, t->count)) {
        free(v);
        return NULL;
    }
    if (count)
        *count = t->count;
    return v;
}

static double *get_f64(const seqnn_safetensors *st, const char *name, int64_t *count)
{
    const seqnn_st_tensor *t = seqnn_safetensors_find(st, name);
    if (!t)
        return NULL;
    double *v = malloc((size_t)(t->count > 0 ? t->count : 1) * sizeof *v);
    if (!v || seqnn_safetensors_read_f64(st, name, v, t->count)) {
        free(v);
        return NULL;
    }
    if (count)
        *count = t->count;
    return v;
}

static int32_t *get_i32(const seqnn_safetensors *st, const char *name)
{
    const seqnn_st_tensor *t = seqnn_safetensors_find(st, name);
    if (!t)
        return NULL;
    int32_t *v = malloc((size_t)(t->count > 0 ? t->count : 1) * sizeof *v);
    if (!v || seqnn_safetensors_read_i32(st, name, v, t->count)) {
        free(v);
        return NULL;
    }
    return v;
}

/* max|a - b| / max|b| (b exactly zero: max|a|, which must then be 0 too). */
static double normwise(const float *a, const double *b, int64_t n)
{
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= num))                 /* NaN propagates */
            num = d;
        if (fabs(b[i]) > den)
            den = fabs(b[i]);
    }
    return den > 0 ? num / den : num;
}

static double *to_f64(const float *a, int64_t n)
{
    double *d = malloc((size_t)(n > 0 ? n : 1) * sizeof *d);
    for (int64_t i = 0; d && i < n; i++)
        d[i] = a[i];
    return d;
}

/* Every parameter of m, concatenated in index order (m's flat layout). */
static float *read_params(seqnn_model *m)
{
    int64_t total = seqnn_model_param_total(m), at = 0;
    float *v = malloc((size_t)(total > 0 ? total : 1) * sizeof *v);
    for (int64_t i = 0; v && i < seqnn_model_param_count(m); i++) {
        seqnn_param_info pi;
        if (seqnn_model_param(m, i, &pi) || seqnn_model_param_read(m, i, v + at, pi.count)) {
            free(v);
            return NULL;
        }
        at += pi.count;
    }
    return v;
}

/* ------------------------------------------------------------ optimizer --- */
static int optim_from_meta(const seqnn_safetensors *io, seqnn_optim_desc *o, char *why, size_t wsz)
{
    const char *kind = seqnn_safetensors_metadata(io, "optim.kind");
    if (!kind)
        return 0;
    static const struct { const char *name; seqnn_optim_kind kind; } kinds[] = {
        {"sgd", SEQNN_OPTIM_SGD}, {"rmsprop", SEQNN_OPTIM_RMSPROP}, {"adam", SEQNN_OPTIM_ADAM},
        {"adamw", SEQNN_OPTIM_ADAM}, {"adagrad", SEQNN_OPTIM_ADAGRAD}};
    size_t k = 0;
    while (k < sizeof kinds / sizeof kinds[0] && strcmp(kinds[k].name, kind))
        k++;
    if (k == sizeof kinds / sizeof kinds[0]) {
        snprintf(why, wsz, "unknown optimizer '%s'", kind);
        return -1;
    }
    *o = seqnn_optim_defaults(kinds[k].kind);
    o->decoupled = !strcmp(kind, "adamw");
    /* Every optim.* key must be one seqnn knows. */
    for (int64_t i = 0; i < seqnn_safetensors_metadata_count(io); i++) {
        const char *key, *val;
        seqnn_safetensors_metadata_entry(io, i, &key, &val);
        if (strncmp(key, "optim.", 6) || !strcmp(key, "optim.kind"))
            continue;
        const char *f = key + 6;
        char *end;
        double v = strtod(val, &end);
        if (*end) {
            snprintf(why, wsz, "metadata %s = '%s' is not a number", key, val);
            return -1;
        }
        if (!strcmp(f, "lr")) o->lr = v;
        else if (!strcmp(f, "momentum")) o->momentum = v;
        else if (!strcmp(f, "dampening")) o->dampening = v;
        else if (!strcmp(f, "nesterov")) o->nesterov = v != 0;
        else if (!strcmp(f, "alpha")) o->alpha = v;
        else if (!strcmp(f, "centered")) o->centered = v != 0;
        else if (!strcmp(f, "beta1")) o->beta1 = v;
        else if (!strcmp(f, "beta2")) o->beta2 = v;
        else if (!strcmp(f, "amsgrad")) o->amsgrad = v != 0;
        else if (!strcmp(f, "lr_decay")) o->lr_decay = v;
        else if (!strcmp(f, "eps")) o->eps = v;
        else if (!strcmp(f, "weight_decay")) o->weight_decay = v;
        else if (!strcmp(f, "clip_norm")) o->clip_norm = v;
        else {
            snprintf(why, wsz, "unknown optimizer setting %s", key);
            return -1;
        }
    }
    return 1;
}

/* ------------------------------------------------------------ one model --- */
typedef struct batch_data {
    int64_t T, B;
    int32_t *tokens, *lengths, *targets;
    float *features, *values;
    seqnn_batch b;
} batch_data;

static void batch_free(batch_data *d)
{
    free(d->tokens);
    free(d->lengths);
    free(d->targets);
    free(d->features);
    free(d->values);
    memset(d, 0, sizeof *d);
}

static void batch_link(batch_data *d)
{
    memset(&d->b, 0, sizeof d->b);
    d->b.seq_len = d->T;
    d->b.batch = d->B;
    d->b.tokens = d->tokens;
    d->b.features = d->features;
    d->b.lengths = d->lengths;
    d->b.targets = d->targets;
    d->b.values = d->values;
}

/* The batch stored in an io file. */
static int batch_from_io(const seqnn_safetensors *io, const model_info *mi, batch_data *d)
{
    memset(d, 0, sizeof *d);
    const seqnn_st_tensor *x = seqnn_safetensors_find(io, mi->tokens ? "tokens" : "features");
    if (!x || x->ndim < 2)
        return -1;
    d->T = x->shape[0];
    d->B = x->shape[1];
    if (mi->tokens)
        d->tokens = get_i32(io, "tokens");
    else
        d->features = get_f32(io, "features", NULL);
    d->lengths = get_i32(io, "lengths");
    if (mi->loss == SEQNN_LOSS_XENT)
        d->targets = get_i32(io, "targets");
    else
        d->values = get_f32(io, "values", NULL);
    batch_link(d);
    return (d->tokens || d->features) && (d->targets || d->values) ? 0 : -1;
}

/* A new deterministic batch of T x B for a model (lengths when with_lengths). */
static uint64_t lcg;
static double urand(void)
{
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(lcg >> 11) / 9007199254740992.0;
}

static int batch_random(seqnn_model *m, const model_info *mi, int64_t T, int64_t B, int with_lengths,
                        uint64_t seed, batch_data *d)
{
    memset(d, 0, sizeof *d);
    lcg = seed;
    d->T = T;
    d->B = B;
    int seq;
    int64_t n;
    if (seqnn_model_output_shape(m, &seq, &n))
        return -1;
    int64_t rows = seq ? T * B : B;
    if (mi->tokens) {
        d->tokens = malloc((size_t)(T * B) * sizeof *d->tokens);
        for (int64_t i = 0; d->tokens && i < T * B; i++)
            d->tokens[i] = (int32_t)(urand() * (double)mi->n_in);
    } else {
        d->features = malloc((size_t)(T * B * mi->n_in) * sizeof *d->features);
        for (int64_t i = 0; d->features && i < T * B * mi->n_in; i++)
            d->features[i] = (float)(2 * urand() - 1);
    }
    if (with_lengths) {
        d->lengths = malloc((size_t)B * sizeof *d->lengths);
        for (int64_t b = 0; d->lengths && b < B; b++)
            d->lengths[b] = b == 0 ? (int32_t)T : 1 + (int32_t)(urand() * (double)T);
    }
    if (mi->loss == SEQNN_LOSS_XENT) {
        d->targets = malloc((size_t)rows * sizeof *d->targets);
        for (int64_t r = 0; d->targets && r < rows; r++)
            d->targets[r] = (int32_t)(urand() * (double)n);
    } else {
        d->values = malloc((size_t)(rows * n) * sizeof *d->values);
        for (int64_t i = 0; d->values && i < rows * n; i++)
            d->values[i] = mi->loss == SEQNN_LOSS_BCE ? (urand() < 0.5 ? 0.0f : 1.0f) : (float)(2 * urand() - 1);
    }
    batch_link(d);
    return (d->tokens || d->features) && (!with_lengths || d->lengths) && (d->targets || d->values) ? 0 : -1;
}

static int64_t output_count(seqnn_model *m, const batch_data *d)
{
    int seq;
    int64_t n;
    if (seqnn_model_output_shape(m, &seq, &n))
        return -1;
    return (seq ? d->T * d->B : d->B) * n;
}

typedef struct figures {
    double out, out64, torch64, loss, grad, update, step_loss, back_out;
    int has_train;
} figures;

/* Direction 1 for one model on one context. */
static void pytorch_to_seqnn(const char *label, seqnn_model *m, const model_info *mi, const seqnn_safetensors *io,
                             const seqnn_safetensors *pt, const char *pt_path, figures *fg)
{
    batch_data d;
    float *p0 = NULL, *p1 = NULL, *out = NULL, *ref_out = NULL, *loss = NULL;
    double *ref64 = NULL;
    if (batch_from_io(io, mi, &d)) {
        FAIL("%s: the io file lacks inputs or targets", label);
        goto done;
    }
    if (seqnn_model_load(m, pt_path)) {
        FAIL("%s: load %s: %s", label, pt_path, seqnn_last_error());
        goto done;
    }
    /* the loaded parameters are the file's, bit for bit, under their names */
    p0 = read_params(m);
    int64_t at = 0;
    for (int64_t i = 0; p0 && i < seqnn_model_param_count(m); i++) {
        seqnn_param_info pi;
        seqnn_model_param(m, i, &pi);
        float *v = get_f32(pt, pi.name, NULL);
        if (!v || memcmp(v, p0 + at, (size_t)pi.count * sizeof *v))
            FAIL("%s: parameter %s differs from the checkpoint's after load", label, pi.name);
        free(v);
        at += pi.count;
    }
    if (!p0 || at != seqnn_model_param_total(m) || seqnn_safetensors_count(pt) != seqnn_model_param_count(m))
        FAIL("%s: the model has %lld parameter tensors, the state_dict %lld", label,
             (long long)seqnn_model_param_count(m), (long long)seqnn_safetensors_count(pt));
    /* outputs */
    int64_t n_ref = 0, n64 = 0, n = output_count(m, &d);
    ref_out = get_f32(io, "output", &n_ref);
    ref64 = get_f64(io, "output64", &n64);
    out = malloc((size_t)(n > 0 ? n : 1) * sizeof *out);
    if (!ref_out || !ref64 || !out || n != n_ref || n != n64) {
        FAIL("%s: output has %lld elements, PyTorch's %lld", label, (long long)n, (long long)n_ref);
        goto done;
    }
    if (seqnn_model_predict(m, &d.b, out, n)) {
        FAIL("%s: predict: %s", label, seqnn_last_error());
        goto done;
    }
    double *ref_d = to_f64(ref_out, n);
    fg->out = normwise(out, ref_d, n);
    fg->out64 = normwise(out, ref64, n);
    fg->torch64 = normwise(ref_out, ref64, n);
    free(ref_d);
    if (!(fg->out <= BUDGET_OUT))
        FAIL("%s: output differs from PyTorch's by %.3g (normwise), budget %g", label, fg->out, BUDGET_OUT);
    /* loss */
    seqnn_step_result r;
    loss = get_f32(io, "loss", NULL);
    if (!loss || seqnn_model_evaluate(m, &d.b, &r)) {
        FAIL("%s: evaluate: %s", label, loss ? seqnn_last_error() : "no loss in the io file");
        goto done;
    }
    fg->loss = fabs(r.loss - loss[0]) / fabs((double)loss[0]);
    if (!(fg->loss <= BUDGET_OUT))
        FAIL("%s: loss %.8g, PyTorch's %.8g (relative %.3g, budget %g)", label, r.loss, loss[0], fg->loss,
             BUDGET_OUT);
    /* gradients, through one SGD step of lr 2^20 */
    if (seqnn_safetensors_find(io, "step_loss")) {
        seqnn_optim_desc o = seqnn_optim_defaults(SEQNN_OPTIM_SGD);
        o.lr = SGD_LR;
        if (seqnn_model_set_optimizer(m, &o) || seqnn_model_train_step(m, &d.b, &r) || !(p1 = read_params(m))) {
            FAIL("%s: SGD step: %s", label, seqnn_last_error());
            goto done;
        }
        if (!(fabs(r.loss - loss[0]) <= BUDGET_OUT * fabs((double)loss[0])))
            FAIL("%s: the training step's loss %.8g, PyTorch's %.8g", label, r.loss, loss[0]);
        at = 0;
        for (int64_t i = 0; i < seqnn_model_param_count(m); i++) {
            seqnn_param_info pi;
            seqnn_model_param(m, i, &pi);
            char name[160];
            snprintf(name, sizeof name, "grad.%s", pi.name);
            int64_t cnt = 0;
            double *g = get_f64(io, name, &cnt);
            float *gs = malloc((size_t)pi.count * sizeof *gs);
            if (!g || !gs || cnt != pi.count) {
                FAIL("%s: %s is missing from the io file", label, name);
            } else {
                for (int64_t k = 0; k < pi.count; k++)
                    gs[k] = (float)(((double)p0[at + k] - (double)p1[at + k]) / SGD_LR);
                double e = normwise(gs, g, pi.count);
                if (!(e <= BUDGET_GRAD))
                    FAIL("%s: gradient of %s differs from PyTorch's by %.3g (normwise), budget %g", label, pi.name,
                         e, BUDGET_GRAD);
                if (!(e <= fg->grad))
                    fg->grad = e;
            }
            free(g);
            free(gs);
            at += pi.count;
        }
        free(p1);
        p1 = NULL;
    }
    /* STEPS steps of the file's optimizer */
    seqnn_optim_desc o;
    char why[256];
    int has = optim_from_meta(io, &o, why, sizeof why);
    if (has < 0) {
        FAIL("%s: %s", label, why);
        goto done;
    }
    if (has) {
        fg->has_train = 1;
        int64_t steps = 0;
        float *want = get_f32(io, "step_loss", &steps);
        if (!want || seqnn_model_load(m, pt_path) || seqnn_model_set_optimizer(m, &o)) {
            FAIL("%s: training setup: %s", label, want ? seqnn_last_error() : "no step_loss");
            free(want);
            goto done;
        }
        for (int64_t s = 0; s < steps; s++) {
            if (seqnn_model_train_step(m, &d.b, &r)) {
                FAIL("%s: step %lld: %s", label, (long long)s + 1, seqnn_last_error());
                break;
            }
            double e = fabs(r.loss - want[s]) / fabs((double)want[s]);
            if (!(e <= fg->step_loss))
                fg->step_loss = e;
            if (!(e <= BUDGET_UPDATE))
                FAIL("%s: step %lld loss %.8g, torch.optim's %.8g", label, (long long)s + 1, r.loss, want[s]);
        }
        free(want);
        if (!(p1 = read_params(m))) {
            FAIL("%s: read parameters: %s", label, seqnn_last_error());
            goto done;
        }
        at = 0;
        for (int64_t i = 0; i < seqnn_model_param_count(m); i++) {
            seqnn_param_info pi;
            seqnn_model_param(m, i, &pi);
            char name[160];
            snprintf(name, sizeof name, "after.%s", pi.name);
            int64_t cnt = 0;
            double *after = get_f64(io, name, &cnt);
            if (!after || cnt != pi.count) {
                FAIL("%s: %s is missing from the io file", label, name);
            } else {
                /* updates after - before, seqnn's and torch.optim's (exact in
                 * double); each side rounds the parameter to float32 at every
                 * step, STEPS * ulp(p) <= STEPS * 2^-23 |p| in all, which is
                 * not an error of the update and is allowed for. */
                double num = 0, den = 0;
                for (int64_t k = 0; k < pi.count; k++) {
                    double ut = after[k] - p0[at + k], us = (double)p1[at + k] - p0[at + k];
                    double round = (double)steps * ldexp(fmax(fabs(after[k]), fabs((double)p0[at + k])), -23);
                    double excess = fabs(us - ut) - round;
                    if (!(excess <= num))
                        num = excess;
                    den = fmax(den, fabs(ut));
                }
                double e = den > 0 ? num / den : num;
                if (!(e <= BUDGET_UPDATE))
                    FAIL("%s: after %lld steps, the update of %s differs from torch.optim's by %.3g (normwise)",
                         label, (long long)steps, pi.name, e);
                if (!(e <= fg->update))
                    fg->update = e;
            }
            free(after);
            at += pi.count;
        }
    }
done:
    batch_free(&d);
    free(p0);
    free(p1);
    free(out);
    free(ref_out);
    free(ref64);
    free(loss);
}

/* The comparison can fail: the first weight matrix after the input (not an
 * embedding) read in the wrong layout (column-major, the classic interop
 * bug) must move the output far outside the budget. */
static void sensitivity(const char *label, seqnn_model *m, const model_info *mi, const seqnn_safetensors *io,
                        const char *pt_path)
{
    batch_data d;
    float *w = NULL, *t = NULL, *out = NULL, *ref = NULL;
    double *ref_d = NULL;
    int64_t n = 0, n_ref = 0;
    if (batch_from_io(io, mi, &d) || seqnn_model_load(m, pt_path)) {
        FAIL("%s: sensitivity setup: %s", label, seqnn_last_error());
        goto done;
    }
    int64_t i = 0;
    seqnn_param_info pi;
    for (; i < seqnn_model_param_count(m); i++)
        if (!seqnn_model_param(m, i, &pi) && pi.ndim >= 2 && !strstr(pi.name, "embed"))
            break;
    if (i == seqnn_model_param_count(m)) {
        FAIL("%s: no weight matrix to misread", label);
        goto done;
    }
    int64_t rows = pi.shape[0], cols = pi.count / rows;
    n = output_count(m, &d);
    w = malloc((size_t)pi.count * sizeof *w);
    t = malloc((size_t)pi.count * sizeof *t);
    out = malloc((size_t)(n > 0 ? n : 1) * sizeof *out);
    ref = get_f32(io, "output", &n_ref);
    if (!w || !t || !out || !ref || n != n_ref || seqnn_model_param_read(m, i, w, pi.count)) {
        FAIL("%s: sensitivity: %s", label, seqnn_last_error());
        goto done;
    }
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++)
            t[r * cols + c] = w[c * rows + r];
    if (seqnn_model_param_write(m, i, t, pi.count) || seqnn_model_predict(m, &d.b, out, n) ||
        !(ref_d = to_f64(ref, n))) {
        FAIL("%s: sensitivity: %s", label, seqnn_last_error());
        goto done;
    }
    double e = normwise(out, ref_d, n);
    if (!(e > 100 * BUDGET_OUT))
        FAIL("%s: %s read column-major changes the output by %.3g only", label, pi.name, e);
    else
        printf("   sensitivity: %s read column-major gives an output error of %.2e\n", pi.name, e);
done:
    batch_free(&d);
    free(w);
    free(t);
    free(out);
    free(ref);
    free(ref_d);
}

/* Direction 2: train a few steps on new batches, save the checkpoint and an
 * io file with new inputs and seqnn's outputs into work. */
static void seqnn_to_pytorch(const char *label, const char *model, const char *tag, seqnn_model *m,
                             const model_info *mi, const seqnn_safetensors *io, const char *pt_path,
                             const char *work)
{
    int with_lengths = seqnn_safetensors_find(io, "lengths") != NULL;
    seqnn_optim_desc o = seqnn_optim_defaults(SEQNN_OPTIM_ADAM);
    o.lr = 0.01;
    if (seqnn_model_load(m, pt_path) || seqnn_model_set_optimizer(m, &o)) {
        FAIL("%s: setup: %s", label, seqnn_last_error());
        return;
    }
    for (int s = 0; s < 3; s++) {
        batch_data d;
        seqnn_step_result r;
        if (batch_random(m, mi, 6 + s, 5, with_lengths, 1000u + (uint64_t)s, &d) ||
            seqnn_model_train_step(m, &d.b, &r)) {
            FAIL("%s: training step %d: %s", label, s + 1, seqnn_last_error());
            batch_free(&d);
            return;
        }
        batch_free(&d);
    }
    batch_data d;
    float *out = NULL;
    seqnn_safetensors_writer *w = NULL;
    char ck[512], iop[512], base[256];
    snprintf(base, sizeof base, "%s.%s.pt.safetensors", model, tag);
    snprintf(ck, sizeof ck, "%s/%s", work, base);
    snprintf(iop, sizeof iop, "%s/%s.%s.io.safetensors", work, model, tag);
    const char *meta[] = {"model", model, NULL};
    seqnn_step_result r;
    int64_t n = 0;
    if (batch_random(m, mi, 8, 3, with_lengths, 77, &d) || (n = output_count(m, &d)) < 1 ||
        !(out = malloc((size_t)n * sizeof *out))) {
        FAIL("%s: out of memory", label);
        goto done;
    }
    if (seqnn_model_predict(m, &d.b, out, n) || seqnn_model_evaluate(m, &d.b, &r) ||
        seqnn_model_save(m, ck, 1, meta)) {
        FAIL("%s: predict/evaluate/save: %s", label, seqnn_last_error());
        goto done;
    }
    int seq;
    int64_t width, shp[3];
    seqnn_model_output_shape(m, &seq, &width);
    int64_t xs[3] = {d.T, d.B, mi->n_in}, ls[1] = {d.B}, rows[2] = {d.T, d.B}, one[1] = {d.B};
    int nd = 0;
    if (seq)
        shp[nd++] = d.T;
    shp[nd++] = d.B;
    shp[nd++] = width;
    float lossf = (float)r.loss;
    char plugin[128];
    snprintf(plugin, sizeof plugin, "%s", tag);
    seqnn_status s = seqnn_safetensors_writer_create(&w);
    if (!s)
        s = mi->tokens ? seqnn_safetensors_writer_add(w, "tokens", SEQNN_ST_I32, 2, xs, d.tokens)
                       : seqnn_safetensors_writer_add(w, "features", SEQNN_ST_F32, 3, xs, d.features);
    if (!s && d.lengths)
        s = seqnn_safetensors_writer_add(w, "lengths", SEQNN_ST_I32, 1, ls, d.lengths);
    if (!s && mi->loss == SEQNN_LOSS_XENT)
        s = seqnn_safetensors_writer_add(w, "targets", SEQNN_ST_I32, seq ? 2 : 1, seq ? rows : one, d.targets);
    else if (!s)
        s = seqnn_safetensors_writer_add(w, "values", SEQNN_ST_F32, nd, shp, d.values);
    if (!s)
        s = seqnn_safetensors_writer_add(w, "output", SEQNN_ST_F32, nd, shp, out);
    if (!s)
        s = seqnn_safetensors_writer_add(w, "loss", SEQNN_ST_F32, 0, NULL, &lossf);
    if (!s)
        s = seqnn_safetensors_writer_metadata(w, "seqnn.checkpoint", base);
    if (!s)
        s = seqnn_safetensors_writer_metadata(w, "seqnn.plugin", plugin);
    if (!s)
        s = seqnn_safetensors_writer_metadata(w, "model", model);
    if (!s)
        s = seqnn_safetensors_writer_save(w, iop);
    if (s)
        FAIL("%s: writing %s: %s", label, iop, seqnn_last_error());
done:
    seqnn_safetensors_writer_destroy(w);
    batch_free(&d);
    free(out);
}

/* ------------------------------------------------------------ main --- */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Removes this test's earlier outputs from work (so the check sees this run's only). */
static void clean_work(const char *work)
{
    DIR *dir = opendir(work);
    struct dirent *e;
    while (dir && (e = readdir(dir))) {
        size_t l = strlen(e->d_name);
        if (l > 12 && !strcmp(e->d_name + l - 12, ".safetensors")) {
            char p[1024];
            snprintf(p, sizeof p, "%s/%s", work, e->d_name);
            remove(p);
        }
    }
    if (dir)
        closedir(dir);
}

int main(int argc, char **argv)
{
    const char *work = argc > 1 ? argv[1] : NULL, *data = argc > 2 ? argv[2] : SEQNN_INTEROP_DATA;
    char *names[MAX_MODELS];
    int n_models = 0;
    DIR *dir = opendir(data);
    if (!dir) {
        printf("FAIL: cannot open the interop data directory %s\n", data);
        return 1;
    }
    for (struct dirent *e; (e = readdir(dir)) && n_models < MAX_MODELS;) {
        size_t l = strlen(e->d_name);
        if (l > 15 && !strcmp(e->d_name + l - 15, ".io.safetensors")) {
            names[n_models] = malloc(l - 14);
            memcpy(names[n_models], e->d_name, l - 15);
            names[n_models][l - 15] = 0;
            n_models++;
        }
    }
    closedir(dir);
    if (n_models == 0) {
        printf("FAIL: no exported models (*.io.safetensors) in %s\n", data);
        return 1;
    }
    qsort(names, (size_t)n_models, sizeof names[0], cmp_str);
    if (work) {
        mkdir(work, 0755);               /* may exist; a save into it fails loudly otherwise */
        clean_work(work);
    }

    seqnn_registry *reg;
    if (seqnn_registry_open(&reg)) {
        printf("FAIL: registry: %s\n", seqnn_last_error());
        return 1;
    }
    int ref_seen = 0, ran = 0;
    for (int64_t dv = 0; dv < seqnn_registry_device_count(reg); dv++) {
        seqnn_device_record dev;
        seqnn_registry_device(reg, dv, &dev);
        if (dev.score <= 0) {
            printf("skip %s (%s): %s\n", dev.plugin_name, dev.name, dev.reason);
            continue;
        }
        seqnn_context *ctx;
        if (seqnn_context_open(reg, dv, &ctx)) {
            FAIL("%s (%s): open: %s", dev.plugin_name, dev.name, seqnn_last_error());
            continue;
        }
        ref_seen |= !strcmp(dev.plugin_name, "ref");
        ran++;
        char tag[96];
        snprintf(tag, sizeof tag, "%s-%lld", dev.plugin_name, (long long)dev.index);
        for (int k = 0; k < n_models; k++) {
            char io_path[1024], pt_path[1024], label[256], why[512];
            snprintf(io_path, sizeof io_path, "%s/%s.io.safetensors", data, names[k]);
            snprintf(pt_path, sizeof pt_path, "%s/%s.pt.safetensors", data, names[k]);
            snprintf(label, sizeof label, "%s on %s (%s)", names[k], dev.plugin_name, dev.name);
            seqnn_safetensors *io = NULL, *pt = NULL;
            if (seqnn_safetensors_open(io_path, &io) || seqnn_safetensors_open(pt_path, &pt)) {
                FAIL("%s: %s", label, seqnn_last_error());
                seqnn_safetensors_close(io);
                continue;
            }
            model_info mi;
            seqnn_model *m = load_model(names[k], io, ctx, &mi, why, sizeof why);
            if (!m) {
                FAIL("%s: %s", label, why);
            } else {
                figures fg;
                memset(&fg, 0, sizeof fg);
                int before = failures;
                pytorch_to_seqnn(label, m, &mi, io, pt, pt_path, &fg);
                printf("%s %s: output %.2e (seqnn vs float64 %.2e, torch float32 vs float64 %.2e), loss %.2e",
                       failures == before ? "ok" : "FAIL", label, fg.out, fg.out64, fg.torch64, fg.loss);
                if (fg.has_train)
                    printf(", gradients %.2e, %s steps: losses %.2e, updates %.2e", fg.grad,
                           seqnn_safetensors_metadata(io, "train.steps"), fg.step_loss, fg.update);
                printf("\n");
                if (!strcmp(dev.plugin_name, "ref"))
                    sensitivity(label, m, &mi, io, pt_path);
                if (work)
                    seqnn_to_pytorch(label, names[k], tag, m, &mi, io, pt_path, work);
                seqnn_model_destroy(m);
            }
            seqnn_safetensors_close(io);
            seqnn_safetensors_close(pt);
        }
        seqnn_context_destroy(ctx);
    }
    seqnn_registry_close(reg);
    for (int k = 0; k < n_models; k++)
        free(names[k]);
    if (!ref_seen)
        FAIL("the reference plugin did not run");
    printf("%d models on %d device(s): %s\n", n_models, ran, failures ? "FAILED" : "all agree with PyTorch");
    return failures ? 1 : 0;
}

/* Placement plans of models (docs/backends.md, "Placement plans"): a dry
 * pass of the model's own training step and inference forward on a context in
 * planning mode (backends/plan.c), so that every kernel call is routed as it
 * would run, without running, under the label of the layer and phase that
 * makes it. The layers need no change: while planning, each layer's ops are
 * wrapped by ones that set the label around the real forward and backward.
 * Made once at build on a chain (a call no device runs fails the build), and
 * on request by seqnn_model_plan. */
#define _POSIX_C_SOURCE 200809L   /* strdup */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fe.h"

static const char *const phase_names[SEQNN_PLAN_PHASE_COUNT] = {
    "forward", "backward", "loss", "clipping", "update", "inference"};

const char *seqnn_plan_phase_name(seqnn_plan_phase phase)
{
    return (int)phase >= 0 && phase < SEQNN_PLAN_PHASE_COUNT ? phase_names[phase] : "?";
}

/* ------------------------------------------------------------- shapes --- */
static seqnn_status shape_check(const seqnn_plan_shape *s)
{
    if (s->batch < 1 || s->seq_len < 1 || s->dec_len < 0 || s->batch > (1 << 24) || s->seq_len > (1 << 24) ||
        s->dec_len > (1 << 24) || (s->lengths != 0 && s->lengths != 1))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "plan shape: batch and seq_len must be in [1, 2^24], dec_len in [0, 2^24], "
                               "lengths 0 or 1");
    return SEQNN_OK;
}

seqnn_status seqnn_model_set_plan_shape(seqnn_model *m, const seqnn_plan_shape *shape)
{
    if (!m)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_set_plan_shape: model is NULL");
    if (shape)
        FE_TRY(shape_check(shape));
    if (shape)
        m->plan_shape = *shape;
    else
        memset(&m->plan_shape, 0, sizeof m->plan_shape);
    return SEQNN_OK;
}

/* The shape the model's plan is made for: the one set, else batch 4 and 8
 * steps (at least the widest convolution filter). */
static seqnn_plan_shape model_shape(const seqnn_model *m)
{
    seqnn_plan_shape s = m->plan_shape;
    if (s.batch > 0)
        return s;
    s.batch = 4;
    s.seq_len = 8;
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].ops == &fe_conv1d_bank_ops)
            for (int k = 0; k < m->layers[i].conv.n_widths; k++)
                if (m->layers[i].conv.widths[k] > s.seq_len)
                    s.seq_len = m->layers[i].conv.widths[k];
    return s;
}

/* A batch of the shape (every id 0, every value 0, full lengths) and its host
 * memory (free with free(*mem)). */
static seqnn_status plan_batch(const seqnn_model *m, const seqnn_plan_shape *s, seqnn_batch *b, void **mem,
                               int64_t *out_count)
{
    const fe_layer *top = &m->layers[m->n_layers - 1];
    int64_t T = s->seq_len, B = s->batch, Td = s->dec_len > 0 ? s->dec_len : T;
    int dec = m->decoder_start >= 0;
    int64_t rows = top->out.seq ? (dec ? Td : T) * B : B;
    int64_t in = m->input.tokens ? T * B : T * B * m->input.n;
    int64_t n = in + (dec ? Td * B : 0) + rows * top->out.n + 2 * B;
    char *p = calloc((size_t)n, 4);
    if (!p)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "plan: out of memory");
    memset(b, 0, sizeof *b);
    b->seq_len = T;
    b->batch = B;
    if (m->input.tokens)
        b->tokens = (const int32_t *)p;
    else
        b->features = (const float *)p;
    int32_t *lengths = (int32_t *)(p + 4 * (in + (dec ? Td * B : 0) + rows * top->out.n));
    for (int64_t i = 0; i < B; i++) {
        lengths[i] = (int32_t)T;
        lengths[B + i] = (int32_t)Td;
    }
    if (s->lengths) {
        b->lengths = lengths;
        b->dec_lengths = dec ? lengths + B : NULL;
    }
    if (dec) {
        b->dec_len = Td;
        b->dec_tokens = (const int32_t *)(p + 4 * in);
    }
    const char *targets = p + 4 * (in + (dec ? Td * B : 0));
    b->targets = (const int32_t *)targets;   /* class 0 */
    b->values = (const float *)targets;
    *mem = p;
    *out_count = rows * top->out.n;
    return SEQNN_OK;
}

/* -------------------------------------------------- labelled layer ops --- */
typedef struct plan_ops {
    fe_layer_ops ops;                    /* first: L->ops points here */
    const fe_layer_ops *orig;
} plan_ops;

static seqnn_status planned_forward(seqnn_model *m, fe_layer *L, const fe_tensor *x, int train)
{
    seqnn_plan_label(m->ctx, (int)(L - m->layers), train ? SEQNN_PLAN_FORWARD : SEQNN_PLAN_INFERENCE);
    seqnn_status s = ((const plan_ops *)L->ops)->orig->forward(m, L, x, train);
    seqnn_plan_label(m->ctx, -1, 0);
    return s;
}

static seqnn_status planned_backward(seqnn_model *m, fe_layer *L, const fe_tensor *x, fe_tensor *dx)
{
    seqnn_plan_label(m->ctx, (int)(L - m->layers), SEQNN_PLAN_BACKWARD);
    seqnn_status s = ((const plan_ops *)L->ops)->orig->backward(m, L, x, dx);
    seqnn_plan_label(m->ctx, -1, 0);
    return s;
}

/* What a dry pass changes on the host and must give back. */
typedef struct plan_saved {
    plan_ops *ops;
    int64_t step, state_batch;
    uint64_t dropout_counter;
    int stateful;
} plan_saved;

static seqnn_status plan_enter(seqnn_model *m, plan_saved *sv)
{
    sv->ops = calloc((size_t)m->n_layers, sizeof *sv->ops);
    if (!sv->ops)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "plan: out of memory");
    seqnn_status s = seqnn_plan_begin(m->ctx);
    if (s != SEQNN_OK) {
        free(sv->ops);
        sv->ops = NULL;                  /* nothing to give back */
        return s;
    }
    for (int i = 0; i < m->n_layers; i++) {
        sv->ops[i].orig = m->layers[i].ops;
        sv->ops[i].ops = *m->layers[i].ops;
        sv->ops[i].ops.forward = planned_forward;
        sv->ops[i].ops.backward = planned_backward;
        m->layers[i].ops = &sv->ops[i].ops;
    }
    sv->step = m->step;
    sv->state_batch = m->state_batch;
    sv->dropout_counter = m->dropout_counter;
    sv->stateful = m->stateful;
    m->stateful = 0;                     /* the carried state stays as it is */
    return SEQNN_OK;
}

static seqnn_planner *plan_leave(seqnn_model *m, plan_saved *sv)
{
    for (int i = 0; i < m->n_layers; i++)
        m->layers[i].ops = sv->ops[i].orig;
    free(sv->ops);
    m->step = sv->step;
    m->state_batch = sv->state_batch;
    m->dropout_counter = sv->dropout_counter;
    m->stateful = sv->stateful;
    return seqnn_plan_end(m->ctx);
}

/* ------------------------------------------------------------ the plan --- */
static uint32_t where_params(seqnn_model *m, const fe_layer *L, seqnn_buffer *buf)
{
    uint32_t mask = 0;
    for (int64_t k = 0; k < L->nparams; k++)
        mask |= seqnn_plan_where(m->ctx, buf, m->params[L->param0 + k].off, m->params[L->param0 + k].count);
    return mask;
}

/* Where each layer's tensors are, in the planning context's shadow. */
static void record_homes(seqnn_model *m, seqnn_plan *plan)
{
    for (int i = 0; i < m->n_layers; i++) {
        const fe_layer *L = &m->layers[i];
        uint32_t *h = plan->homes[i];
        h[SEQNN_PLAN_OUTPUT] = seqnn_plan_where(m->ctx, L->y.buf, 0, L->y.rows * L->y.cols);
        h[SEQNN_PLAN_OUTPUT_GRAD] = seqnn_plan_where(m->ctx, L->dy.buf, 0, L->dy.rows * L->dy.cols);
        h[SEQNN_PLAN_PARAMS] = where_params(m, L, m->pbuf);
        h[SEQNN_PLAN_GRADS] = where_params(m, L, m->gbuf);
        for (int k = 0; k < m->n_slots; k++)
            h[SEQNN_PLAN_OPTIM_STATE] |= where_params(m, L, m->slots[k].buf);
    }
}

/* Two training steps (the first from the state at build, then the steady
 * state) and two inference forwards, the second counted. */
static seqnn_status dry_pass(seqnn_model *m, const seqnn_batch *b, float *out, int64_t count, seqnn_plan *plan)
{
    seqnn_plan_bucket(m->ctx, SEQNN_PLAN_FIRST);
    FE_TRY(seqnn_model_train_step(m, b, NULL));
    seqnn_plan_bucket(m->ctx, SEQNN_PLAN_STEADY);
    FE_TRY(seqnn_model_train_step(m, b, NULL));
    record_homes(m, plan);
    seqnn_plan_bucket(m->ctx, SEQNN_PLAN_UNCOUNTED);
    FE_TRY(seqnn_model_predict(m, b, out, count));
    seqnn_plan_bucket(m->ctx, SEQNN_PLAN_INFER);
    return seqnn_model_predict(m, b, out, count);
}

/* The public plan from the recording: rows with layer names, traffic. */
static seqnn_status plan_fill(const seqnn_model *m, const seqnn_planner *rec, seqnn_plan *plan)
{
    const seqnn_planner_row *rows;
    int64_t n = seqnn_planner_rows(rec, &rows);
    plan->rows = calloc((size_t)(n ? n : 1), sizeof *plan->rows);
    if (!plan->rows)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "plan: out of memory");
    for (int64_t i = 0; i < n; i++) {
        const seqnn_planner_row *r = &rows[i];
        seqnn_plan_call *c = &plan->rows[i];
        c->layer = r->layer;
        c->layer_name = r->layer >= 0 ? m->layers[r->layer].name : "";
        c->phase = (seqnn_plan_phase)r->phase;
        c->kernel = r->kernel;
        c->device = r->device;
        c->calls = r->calls;
        c->copies = r->copies;
        c->bytes = r->bytes;
        c->answers = strdup(r->answers ? r->answers : "");
        if (!c->answers)
            return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "plan: out of memory");
        plan->n_rows++;
        plan->unplaced += r->device < 0;
    }
    plan->first_step = *seqnn_planner_traffic(rec, SEQNN_PLAN_FIRST);
    plan->step = *seqnn_planner_traffic(rec, SEQNN_PLAN_STEADY);
    plan->inference = *seqnn_planner_traffic(rec, SEQNN_PLAN_INFER);
    return SEQNN_OK;
}

void seqnn_plan_free(seqnn_plan *plan)
{
    if (!plan)
        return;
    for (int64_t i = 0; i < plan->n_rows; i++)
        free((char *)plan->rows[i].answers);
    free(plan->rows);
    free(plan->homes);
    free(plan->layer_names);
    free(plan);
}

static seqnn_status plan_new(seqnn_model *m, const seqnn_plan_shape *shape, seqnn_plan **out)
{
    seqnn_plan *plan = calloc(1, sizeof *plan);
    if (!plan || !(plan->homes = calloc((size_t)m->n_layers, sizeof *plan->homes)) ||
        !(plan->layer_names = calloc((size_t)m->n_layers, sizeof *plan->layer_names))) {
        seqnn_plan_free(plan);
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "plan: out of memory");
    }
    plan->shape = *shape;
    plan->n_layers = m->n_layers;
    for (int i = 0; i < m->n_layers; i++)
        plan->layer_names[i] = m->layers[i].name;
    plan->devices = seqnn_context_device_count(m->ctx);
    for (int d = 0; d < plan->devices && d < SEQNN_CHAIN_STATS_MAX; d++) {
        seqnn_device_record r;
        plan->device_names[d] = seqnn_context_device_at(m->ctx, d, &r) == SEQNN_OK ? r.plugin_name : "?";
    }
    *out = plan;
    return SEQNN_OK;
}

seqnn_status seqnn_model_plan(seqnn_model *m, const seqnn_plan_shape *shape, seqnn_plan **out)
{
    if (!m || !m->built || !out)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_plan: %s",
                               !out ? "out is NULL" : "the model is not built");
    *out = NULL;
    seqnn_plan_shape s = shape ? *shape : model_shape(m);
    FE_TRY(shape_check(&s));
    seqnn_batch b;
    void *mem = NULL;
    int64_t count = 0;
    FE_TRY(plan_batch(m, &s, &b, &mem, &count));
    seqnn_plan *plan = NULL;
    float *host_out = malloc((size_t)count * sizeof *host_out);
    seqnn_status st = host_out ? plan_new(m, &s, &plan)
                               : seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "plan: out of memory");
    plan_saved sv = {0};
    if (st == SEQNN_OK)
        st = plan_enter(m, &sv);
    if (st == SEQNN_OK)
        st = dry_pass(m, &b, host_out, count, plan);
    seqnn_planner *rec = sv.ops ? plan_leave(m, &sv) : NULL;
    if (st == SEQNN_OK)
        st = plan_fill(m, rec, plan);
    seqnn_planner_free(rec);
    free(host_out);
    free(mem);
    if (st != SEQNN_OK) {
        seqnn_plan_free(plan);
        return st;
    }
    *out = plan;
    return SEQNN_OK;
}

/* ------------------------------------------------------------- reading --- */
seqnn_status seqnn_plan_summary(const seqnn_plan *plan, char *out, size_t size)
{
    if (!plan || !out || !size)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_plan_summary: bad argument");
    size_t used = (size_t)snprintf(out, size, "plan (batch %lld, %lld steps): a training step runs",
                                   (long long)plan->shape.batch, (long long)plan->shape.seq_len);
    for (int d = 0; d < plan->devices && used < size; d++)
        used += (size_t)snprintf(out + used, size - used, "%s %lld calls on %s", d ? "," : "",
                                 (long long)plan->step.calls[d], plan->device_names[d]);
    if (used < size)
        used += (size_t)snprintf(out + used, size - used, "; %lld copies between devices, %lld bytes per step",
                                 (long long)plan->step.copies, (long long)plan->step.bytes);
    if (plan->unplaced && used < size)
        snprintf(out + used, size - used, "; %lld calls no device runs", (long long)plan->unplaced);
    return SEQNN_OK;
}

/* Whether row i is a training call of layer on device d. */
static int training_row_of(const seqnn_plan *plan, int64_t i, int layer, int d)
{
    const seqnn_plan_call *c = &plan->rows[i];
    return c->layer == layer && c->device == d && c->phase != SEQNN_PLAN_INFERENCE;
}

/* Whether an earlier training row of the same layer and device has row i's kernel. */
static int named_before(const seqnn_plan *plan, int64_t i)
{
    const seqnn_plan_call *c = &plan->rows[i];
    for (int64_t j = 0; j < i; j++)
        if (training_row_of(plan, j, c->layer, c->device) && plan->rows[j].kernel == c->kernel)
            return 1;
    return 0;
}

seqnn_status seqnn_plan_layer_devices(const seqnn_plan *plan, int layer, char *out, size_t size)
{
    if (!plan || !out || !size || layer < 0 || layer >= plan->n_layers)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_plan_layer_devices: bad argument");
    size_t used = 0;
    out[0] = '\0';
    for (int d = -1; d < plan->devices && used < size; d++) {
        int n = 0;
        for (int64_t i = 0; i < plan->n_rows && used < size; i++) {
            const seqnn_plan_call *c = &plan->rows[i];
            if (!training_row_of(plan, i, layer, d) || named_before(plan, i))
                continue;
            used += (size_t)snprintf(out + used, size - used, "%s%s%s", n ? ", " : used ? "), " : "",
                                     n ? "" : d < 0 ? "NO DEVICE" : plan->device_names[d], n ? "" : " (");
            if (used < size)
                used += (size_t)snprintf(out + used, size - used, "%s", seqnn_kernel_name(c->kernel));
            n++;
        }
    }
    if (used && used < size)
        snprintf(out + used, size - used, ")");
    return SEQNN_OK;
}

/* --------------------------------------------------------- at build --- */
seqnn_status fe_plan_at_build(seqnn_model *m)
{
    if (seqnn_context_device_count(m->ctx) < 2)
        return SEQNN_OK;                 /* one device: nothing to place */
    seqnn_plan *plan;
    m->built = 1;                        /* (the build completes it; planned as built) */
    seqnn_status s = seqnn_model_plan(m, NULL, &plan);
    m->built = 0;
    if (s != SEQNN_OK)
        return s;
    for (int64_t i = 0; i < plan->n_rows; i++) {
        const seqnn_plan_call *c = &plan->rows[i];
        if (c->device >= 0)
            continue;
        char where[256];
        if (c->layer >= 0)
            snprintf(where, sizeof where, "layer %d (%s '%s'), %s", c->layer + 1, m->layers[c->layer].ops->kind,
                     c->layer_name, seqnn_plan_phase_name(c->phase));
        else
            snprintf(where, sizeof where, "the model's %s", seqnn_plan_phase_name(c->phase));
        s = seqnn_set_error(NULL, SEQNN_ERR_UNSUPPORTED, "%s: %s: no device of the chain runs this call: %s", where,
                            seqnn_kernel_name(c->kernel), c->answers);
        break;
    }
    if (s == SEQNN_OK) {
        char line[1024];
        seqnn_plan_summary(plan, line, sizeof line);
        seqnn_log(SEQNN_LOG_INFO, "%s", line);
    }
    seqnn_plan_free(plan);
    return s;
}

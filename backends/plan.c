/* Planning mode of a context (docs/backends.md, "Placement plans"): kernel
 * calls are checked and routed as they would run, but not run, and recorded
 * as rows (layer, phase, kernel, device, calls, copies before them). For a
 * chain, each buffer's placement is shadowed (taken from the real one when
 * first touched) and the same placement code of chain.c runs on the shadows,
 * counting the copies it would make. The frontend (frontend/plan.c) drives a
 * training step and an inference forward through this mode. */
#define _POSIX_C_SOURCE 200809L   /* strdup */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "internal.h"

/* A buffer's shadow placement. */
typedef struct plan_shadow {
    seqnn_buffer *real;
    seqnn_chain_buffer state;
} plan_shadow;

struct seqnn_planner {
    int layer, phase, bucket;
    seqnn_planner_row *rows;
    int64_t n_rows, cap_rows;
    plan_shadow *shadows;
    int64_t n_shadows, cap_shadows;
    int64_t pending_copies, pending_bytes;   /* counted since the current call began */
    int in_call;
    seqnn_plan_traffic traffic[SEQNN_PLAN_BUCKETS];
};

/* Makes room for item n of an array of capacity *cap (doubling); -1: out of memory. */
static int grow(void **items, int64_t *cap, int64_t n, size_t size)
{
    if (n < *cap)
        return 0;
    int64_t c = *cap ? 2 * *cap : 32;
    void *more = realloc(*items, (size_t)c * size);
    if (!more)
        return -1;
    *items = more;
    *cap = c;
    return 0;
}

static seqnn_status no_memory(seqnn_context *ctx)
{
    return seqnn_set_error(ctx, SEQNN_ERR_NO_MEMORY, "out of memory planning the model's calls");
}

seqnn_status seqnn_plan_begin(seqnn_context *ctx)
{
    if (!ctx || ctx->planner)
        return seqnn_set_error(ctx, SEQNN_ERR_INVALID_ARG, "planning: no context, or it is planning already");
    ctx->planner = calloc(1, sizeof *ctx->planner);
    if (!ctx->planner)
        return no_memory(ctx);
    ctx->planner->layer = -1;
    return SEQNN_OK;
}

static void shadow_free(plan_shadow *sh)
{
    for (int d = 0; d < SEQNN_CHAIN_MAX; d++)
        free(sh->state.valid[d].r);
}

seqnn_planner *seqnn_plan_end(seqnn_context *ctx)
{
    seqnn_planner *p = ctx ? ctx->planner : NULL;
    if (!p)
        return NULL;
    ctx->planner = NULL;
    for (int64_t i = 0; i < p->n_shadows; i++)
        shadow_free(&p->shadows[i]);
    free(p->shadows);
    p->shadows = NULL;
    p->n_shadows = p->cap_shadows = 0;
    return p;
}

void seqnn_planner_free(seqnn_planner *p)
{
    if (!p)
        return;
    for (int64_t i = 0; i < p->n_rows; i++)
        free(p->rows[i].answers);
    free(p->rows);
    for (int64_t i = 0; i < p->n_shadows; i++)
        shadow_free(&p->shadows[i]);
    free(p->shadows);
    free(p);
}

void seqnn_plan_label(seqnn_context *ctx, int layer, int phase)
{
    if (ctx && ctx->planner) {
        ctx->planner->layer = layer;
        ctx->planner->phase = phase;
    }
}

void seqnn_plan_bucket(seqnn_context *ctx, int bucket)
{
    if (ctx && ctx->planner && bucket >= 0 && bucket < SEQNN_PLAN_BUCKETS)
        ctx->planner->bucket = bucket;
}

/* ---- shadows */

static plan_shadow *find_shadow(seqnn_planner *p, const seqnn_buffer *b)
{
    for (int64_t i = p->n_shadows - 1; i >= 0; i--)
        if (p->shadows[i].real == b)
            return &p->shadows[i];
    return NULL;
}

seqnn_chain_buffer *seqnn_plan_shadow(seqnn_context *ctx, seqnn_buffer *b)
{
    seqnn_planner *p = ctx->planner;
    plan_shadow *sh = find_shadow(p, b);
    if (sh)
        return &sh->state;
    if (grow((void **)&p->shadows, &p->cap_shadows, p->n_shadows, sizeof *p->shadows))
        return NULL;
    const seqnn_chain_buffer *real = (const seqnn_chain_buffer *)b;
    sh = &p->shadows[p->n_shadows];
    memset(sh, 0, sizeof *sh);
    sh->real = b;
    sh->state.pub = real->pub;
    sh->state.reserve_dev = real->reserve_dev;
    for (int d = 0; d < ctx->n_chain; d++) {
        const seqnn_ranges *r = &real->valid[d];
        sh->state.handle[d] = real->handle[d];
        if (r->n) {
            sh->state.valid[d].r = malloc((size_t)r->n * sizeof *r->r);
            if (!sh->state.valid[d].r) {
                shadow_free(sh);
                return NULL;
            }
            memcpy(sh->state.valid[d].r, r->r, (size_t)r->n * sizeof *r->r);
            sh->state.valid[d].n = sh->state.valid[d].cap = r->n;
        }
    }
    p->n_shadows++;
    return &sh->state;
}

void seqnn_plan_forget(seqnn_context *ctx, seqnn_buffer *b)
{
    seqnn_planner *p = ctx->planner;
    plan_shadow *sh = find_shadow(p, b);
    if (!sh)
        return;
    shadow_free(sh);
    *sh = p->shadows[--p->n_shadows];
}

void seqnn_plan_count_copy(seqnn_context *ctx, int64_t bytes)
{
    seqnn_planner *p = ctx->planner;
    seqnn_plan_traffic *t = &p->traffic[p->bucket];
    t->copies++;
    t->bytes += bytes;
    if (p->in_call) {
        p->pending_copies++;
        p->pending_bytes += bytes;
    } else {
        t->host_bytes += bytes;
    }
}

uint32_t seqnn_plan_where(seqnn_context *ctx, seqnn_buffer *b, int64_t off, int64_t count)
{
    if (!b)
        return 0;
    if (ctx->n_chain == 1)
        return 1;
    const seqnn_chain_buffer *cb = ctx->planner ? seqnn_plan_shadow(ctx, b) : (const seqnn_chain_buffer *)b;
    uint32_t mask = 0;
    for (int d = 0; cb && d < ctx->n_chain; d++) {
        const seqnn_ranges *r = &cb->valid[d];
        for (int i = 0; i < r->n && r->r[i][0] <= off; i++)
            if (off + count <= r->r[i][1] && count > 0)
                mask |= 1u << d;
    }
    return mask;
}

/* ---- host access */

seqnn_status seqnn_plan_host_write(seqnn_context *ctx, seqnn_buffer *b, int64_t off, int64_t count)
{
    if (ctx->n_chain == 1)
        return SEQNN_OK;
    seqnn_status s;
    int d = seqnn_chain_buffer_place(ctx, b, -1, off, count, 1, &s);
    return d < 0 ? s : seqnn_chain_buffer_written(ctx, b, d, off, count);
}

seqnn_status seqnn_plan_host_read(seqnn_context *ctx, seqnn_buffer *b, int64_t off, int64_t count)
{
    if (ctx->n_chain == 1)
        return SEQNN_OK;
    seqnn_status s;
    return seqnn_chain_buffer_place(ctx, b, -1, off, count, 0, &s) < 0 ? s : SEQNN_OK;
}

seqnn_status seqnn_plan_buffer_copy(seqnn_context *ctx, seqnn_buffer *dst, int64_t dst_off, seqnn_buffer *src,
                                    int64_t src_off, int64_t count)
{
    if (ctx->n_chain == 1)
        return SEQNN_OK;
    seqnn_status s;
    int d = seqnn_chain_buffer_place(ctx, src, -1, src_off, count, 0, &s);
    if (d >= 0 && seqnn_chain_buffer_place(ctx, dst, d, dst_off, count, 1, &s) < 0)
        d = -1;
    return d < 0 ? s : seqnn_chain_buffer_written(ctx, dst, d, dst_off, count);
}

/* ---- kernel calls */

/* The phase of a call the model makes outside its layers, by its kernel. */
static int model_phase(seqnn_kernel_id id)
{
    switch (id) {
    case SEQNN_KERNEL_sumsq:
    case SEQNN_KERNEL_clip_scale: return SEQNN_PLAN_CLIP;
    case SEQNN_KERNEL_sgd_step:
    case SEQNN_KERNEL_rmsprop_step:
    case SEQNN_KERNEL_adam_step:
    case SEQNN_KERNEL_adagrad_step: return SEQNN_PLAN_UPDATE;
    default: return SEQNN_PLAN_LOSS;
    }
}

static seqnn_status record(seqnn_context *ctx, seqnn_kernel_id id, int device, const char *answers)
{
    seqnn_planner *p = ctx->planner;
    if (device >= 0)
        p->traffic[p->bucket].calls[device]++;
    int64_t copies = p->pending_copies, bytes = p->pending_bytes;
    p->pending_copies = p->pending_bytes = 0;
    if (p->bucket != SEQNN_PLAN_STEADY && p->bucket != SEQNN_PLAN_INFER)
        return SEQNN_OK;
    int phase = p->layer >= 0 ? p->phase : model_phase(id);
    for (int64_t i = 0; i < p->n_rows; i++) {
        seqnn_planner_row *r = &p->rows[i];
        if (r->layer == p->layer && r->phase == phase && r->kernel == id && r->device == device) {
            r->calls++;
            r->copies += copies;
            r->bytes += bytes;
            return SEQNN_OK;
        }
    }
    if (grow((void **)&p->rows, &p->cap_rows, p->n_rows, sizeof *p->rows))
        return no_memory(ctx);
    seqnn_planner_row *r = &p->rows[p->n_rows];
    *r = (seqnn_planner_row){p->layer, phase, device, id, 1, copies, bytes, NULL};
    if (answers && !(r->answers = strdup(answers)))
        return no_memory(ctx);
    p->n_rows++;
    return SEQNN_OK;
}

seqnn_status seqnn_plan_kernel(seqnn_context *ctx, seqnn_kernel_id id, const seqnn_tensor_log *log, const void *args)
{
    seqnn_planner *p = ctx->planner;
    if (ctx->n_chain == 1) {
        if (seqnn_kernel_available(ctx, id))
            return record(ctx, id, 0, NULL);
        char answer[SEQNN_MSG_SIZE];
        snprintf(answer, sizeof answer, "'%s' does not implement it", ctx->chain[0].plugin);
        return record(ctx, id, -1, answer);
    }
    int d;
    seqnn_status s = seqnn_chain_route(ctx, id, log, args, &d);
    if (s == SEQNN_ERR_UNSUPPORTED) {    /* "<kernel>: no device of the chain runs this call: <answers>" */
        const char *answers = strstr(ctx->error, "runs this call: ");
        return record(ctx, id, -1, answers ? answers + strlen("runs this call: ") : ctx->error);
    }
    if (s != SEQNN_OK)
        return s;
    p->in_call = 1;
    s = seqnn_chain_place_call(ctx, id, log, d);
    p->in_call = 0;
    if (s == SEQNN_OK)
        s = seqnn_chain_mark_written(ctx, id, log, d);
    return s != SEQNN_OK ? s : record(ctx, id, d, NULL);
}

int64_t seqnn_planner_rows(const seqnn_planner *p, const seqnn_planner_row **rows)
{
    *rows = p->rows;
    return p->n_rows;
}

const seqnn_plan_traffic *seqnn_planner_traffic(const seqnn_planner *p, int bucket)
{
    return &p->traffic[bucket];
}

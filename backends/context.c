/* Contexts (one open device of one plugin, or a chain of devices: chain.c),
 * buffers, and kernel dispatch: every seqnn_<kernel>() checks its arguments
 * (check_*.c), then calls the plugin's slot, or answers SEQNN_ERR_UNSUPPORTED
 * when the slot is empty. A context of one device takes the direct path;
 * a chain's buffer operations and kernel calls go through chain.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "internal.h"

static const char *const kernel_names[] = {
#define SEQNN_KERNEL(name, args, doc) #name,
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
};

const char *seqnn_kernel_name(seqnn_kernel_id id)
{
    if ((int)id < 0 || id >= SEQNN_KERNEL_COUNT)
        return NULL;
    return kernel_names[id];
}

int seqnn_kernel_find(const char *name)
{
    for (int i = 0; name && i < SEQNN_KERNEL_COUNT; i++)
        if (!strcmp(kernel_names[i], name))
            return i;
    return -1;
}

seqnn_status seqnn_context_open(seqnn_registry *reg, int64_t device, seqnn_context **out)
{
    if (!reg || !out)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_context_open: NULL argument");
    *out = NULL;
    if (device < 0 || device >= reg->n_devices)
        return seqnn_set_error(NULL, SEQNN_ERR_NOT_FOUND, "seqnn_context_open: no device %lld", (long long)device);
    const seqnn_device_entry *d = &reg->devices[device];
    seqnn_plugin_entry *p = &reg->plugins[d->plugin];
    if (d->info.score <= 0)
        return seqnn_set_error(NULL, SEQNN_ERR_UNSUPPORTED, "device '%s' cannot run here: %s", d->info.name,
                               d->info.reason);
    seqnn_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    ctx->reg = reg;
    ctx->device = device;
    ctx->api = &p->api;
    ctx->n_chain = 1;
    const char *cn = getenv("SEQNN_CHECK_NUMERICS");
    ctx->check_numerics = cn && *cn && strcmp(cn, "0") != 0;
    char msg[512] = "";
    seqnn_plugin_lock();
    seqnn_status s = p->api.device_open(p->state, d->index, &ctx->dev, msg, sizeof msg);
    seqnn_plugin_unlock();
    if (s != SEQNN_OK) {
        free(ctx);
        return seqnn_set_error(NULL, s, "%s: cannot open device '%s': %s", p->name, d->info.name,
                               msg[0] ? msg : seqnn_status_name(s));
    }
    ctx->chain[0] = (seqnn_chain_device){device, ctx->api, ctx->dev, p->name};
    *out = ctx;
    return SEQNN_OK;
}

seqnn_status seqnn_context_create(const char *spec, seqnn_context **out)
{
    if (!out)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_context_create: NULL argument");
    *out = NULL;
    seqnn_registry *reg;
    seqnn_status s = seqnn_registry_open(&reg);
    if (s != SEQNN_OK)
        return s;
    int64_t devices[SEQNN_CHAIN_MAX];
    int n;
    s = seqnn_registry_select_chain(reg, spec, "request", devices, &n, NULL, 0);
    if (s == SEQNN_OK)
        s = seqnn_chain_open(reg, devices, n, out);
    if (s != SEQNN_OK) {
        seqnn_registry_close(reg);
        return s;
    }
    (*out)->owns_registry = 1;
    return SEQNN_OK;
}

void seqnn_context_destroy(seqnn_context *ctx)
{
    if (!ctx)
        return;
    if (ctx->n_chain > 1)
        seqnn_chain_log_stats(ctx);
    seqnn_planner_free(seqnn_plan_end(ctx));
    seqnn_plugin_lock();
    for (int d = 0; d < ctx->n_chain; d++)
        if (ctx->chain[d].dev)
            ctx->chain[d].api->device_close(ctx->chain[d].dev);
    seqnn_plugin_unlock();
    if (ctx->owns_registry)
        seqnn_registry_close(ctx->reg);
    free(ctx);
}

const char *seqnn_context_error(const seqnn_context *ctx)
{
    return ctx ? ctx->error : "no context";
}

seqnn_status seqnn_context_device(const seqnn_context *ctx, seqnn_device_record *out)
{
    if (!ctx || !out)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_context_device: NULL argument");
    return seqnn_registry_device(ctx->reg, ctx->device, out);
}

int seqnn_context_device_count(const seqnn_context *ctx)
{
    return ctx ? ctx->n_chain : 0;
}

seqnn_status seqnn_context_device_at(const seqnn_context *ctx, int i, seqnn_device_record *out)
{
    if (!ctx || !out || i < 0 || i >= ctx->n_chain)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_context_device_at: no device %d", i);
    return seqnn_registry_device(ctx->reg, ctx->chain[i].device, out);
}

seqnn_status seqnn_context_chain_stats(const seqnn_context *ctx, seqnn_chain_stats *out)
{
    if (!ctx || !out)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_context_chain_stats: NULL argument");
    memset(out, 0, sizeof *out);
    out->devices = ctx->n_chain;
    for (int d = 0; d < ctx->n_chain && d < SEQNN_CHAIN_STATS_MAX; d++)
        out->calls[d] = ctx->counters.calls[d];
    out->copies = ctx->counters.copies;
    out->bytes = ctx->counters.bytes;
    out->seconds = ctx->counters.seconds;
    return SEQNN_OK;
}

/* A seqnn_call for ctx whose message lands in ctx->error. */
static seqnn_call make_call(seqnn_context *ctx)
{
    seqnn_call call;
    call.device = ctx->dev;
    call.msg = ctx->error;
    call.msg_size = sizeof ctx->error;
    ctx->error[0] = '\0';
    return call;
}

/* After a failing call of chain device d's plugin: make the plugin's
 * message the last error. */
static seqnn_status plugin_failed_on(seqnn_context *ctx, int d, seqnn_status s, const char *what)
{
    char msg[SEQNN_MSG_SIZE];
    snprintf(msg, sizeof msg, "%s", ctx->error[0] ? ctx->error : seqnn_status_name(s));
    return seqnn_set_error(ctx, s, "%s: %s: %s", ctx->chain[d].plugin, what, msg);
}

static seqnn_status plugin_failed(seqnn_context *ctx, seqnn_status s, const char *what)
{
    return plugin_failed_on(ctx, 0, s, what);
}

seqnn_status seqnn_sync(seqnn_context *ctx)
{
    if (!ctx)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_sync: NULL context");
    for (int d = 0; d < ctx->n_chain; d++) {
        seqnn_call call = make_call(ctx);
        call.device = ctx->chain[d].dev;
        seqnn_status s = ctx->chain[d].api->sync(&call);
        if (s != SEQNN_OK)
            return plugin_failed_on(ctx, d, s, "sync");
    }
    return SEQNN_OK;
}

/* Where a buffer operation on elements [offset, offset + count) of buf
 * runs: the context's device, or for a chain a device where they are current
 * (when `overwrite`, they are about to be written: nothing is copied). Sets
 * *api and *call for it and returns its index in the chain, or -1 with *s set. */
static int buffer_target(seqnn_context *ctx, seqnn_buffer *buf, int64_t offset, int64_t count, int overwrite,
                         const seqnn_plugin_api **api, seqnn_call *call, seqnn_status *s)
{
    int d = 0;
    *s = SEQNN_OK;
    if (ctx->n_chain > 1 && (d = seqnn_chain_buffer_place(ctx, buf, -1, offset, count, overwrite, s)) < 0)
        return -1;
    *api = ctx->chain[d].api;
    *call = make_call(ctx);
    call->device = ctx->chain[d].dev;
    return d;
}

/* Planning mode (plan.c): host writes and fills are done for real (the
 * frontend keeps host-side facts about what it wrote), with the planner set
 * aside, then shadowed in the plan. */
static seqnn_planner *plan_aside(seqnn_context *ctx)
{
    seqnn_planner *p = ctx->planner;
    ctx->planner = NULL;
    return p;
}

/* Back to planning after the real operation; 1 if it failed. */
static int plan_resume(seqnn_context *ctx, seqnn_planner *p, seqnn_status s)
{
    ctx->planner = p;
    return s != SEQNN_OK;
}

static size_t dtype_size(seqnn_dtype t)
{
    return t == SEQNN_F64 ? 8 : 4;
}

/* Checks that buf is a live buffer of ctx and [offset, offset+count) lies in it. */
static seqnn_status check_range(seqnn_context *ctx, const char *fn, const char *name, const seqnn_buffer *buf,
                                int64_t offset, int64_t count)
{
    if (!buf)
        return seqnn_set_error(ctx, SEQNN_ERR_INVALID_ARG, "%s: %s is NULL", fn, name);
    if (buf->magic != SEQNN_BUFFER_MAGIC)
        return seqnn_set_error(ctx, SEQNN_ERR_INVALID_ARG, "%s: %s is not a live seqnn buffer", fn, name);
    if (buf->owner != ctx)
        return seqnn_set_error(ctx, SEQNN_ERR_INVALID_ARG, "%s: %s belongs to another context", fn, name);
    if (offset < 0 || count < 0 || offset > buf->count || count > buf->count - offset)
        return seqnn_set_error(ctx, SEQNN_ERR_INVALID_ARG,
                               "%s: %s: range [%lld, %lld) is outside the buffer's %lld elements", fn, name,
                               (long long)offset, (long long)offset + (long long)count, (long long)buf->count);
    return SEQNN_OK;
}

seqnn_status seqnn_buffer_alloc(seqnn_context *ctx, seqnn_dtype dtype, int64_t count, seqnn_buffer **out)
{
    if (!ctx || !out)
        return seqnn_set_error(ctx, SEQNN_ERR_INVALID_ARG, "seqnn_buffer_alloc: NULL argument");
    *out = NULL;
    if (dtype != SEQNN_F32 && dtype != SEQNN_I32)
        return seqnn_set_error(ctx, SEQNN_ERR_INVALID_ARG, "seqnn_buffer_alloc: dtype must be SEQNN_F32 or SEQNN_I32");
    if (count < 0 || (uint64_t)count > SIZE_MAX / 8)
        return seqnn_set_error(ctx, SEQNN_ERR_INVALID_ARG, "seqnn_buffer_alloc: bad count %lld", (long long)count);
    int chain = ctx->n_chain > 1;
    seqnn_buffer *b = calloc(1, chain ? sizeof(seqnn_chain_buffer) : sizeof *b);
    if (!b)
        return seqnn_set_error(ctx, SEQNN_ERR_NO_MEMORY, "out of memory");
    seqnn_call call = make_call(ctx);
    size_t bytes = (size_t)count * dtype_size(dtype);
    seqnn_status s = chain ? seqnn_chain_buffer_alloc(ctx, b, bytes) : ctx->api->buffer_alloc(&call, bytes, &b->handle);
    if (s != SEQNN_OK) {
        free(b);
        return chain ? s : plugin_failed(ctx, s, "buffer_alloc");
    }
    b->count = count;
    b->dtype = dtype;
    b->magic = SEQNN_BUFFER_MAGIC;
    b->owner = ctx;
    *out = b;
    return SEQNN_OK;
}

void seqnn_buffer_free(seqnn_context *ctx, seqnn_buffer *buf)
{
    if (!ctx || !buf || buf->magic != SEQNN_BUFFER_MAGIC || buf->owner != ctx)
        return;
    if (ctx->n_chain > 1)
        seqnn_chain_buffer_free(ctx, buf);
    else
        ctx->api->buffer_free(ctx->dev, buf->handle);
    buf->magic = 0;
    free(buf);
}

seqnn_status seqnn_buffer_write(seqnn_context *ctx, seqnn_buffer *buf, int64_t offset, const void *src,
                                int64_t count)
{
    if (!ctx)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_buffer_write: NULL context");
    seqnn_status s = check_range(ctx, "seqnn_buffer_write", "buf", buf, offset, count);
    if (s != SEQNN_OK)
        return s;
    if (!src && count)
        return seqnn_set_error(ctx, SEQNN_ERR_INVALID_ARG, "seqnn_buffer_write: src is NULL");
    if (ctx->planner) {
        seqnn_planner *p = plan_aside(ctx);
        s = seqnn_buffer_write(ctx, buf, offset, src, count);
        return plan_resume(ctx, p, s) ? s : seqnn_plan_host_write(ctx, buf, offset, count);
    }
    size_t es = dtype_size(buf->dtype);
    const seqnn_plugin_api *api;
    seqnn_call call;
    int d = buffer_target(ctx, buf, offset, count, 1, &api, &call, &s);
    if (d < 0)
        return s;
    s = api->buffer_write(&call, buf->handle, (size_t)offset * es, src, (size_t)count * es);
    if (s == SEQNN_OK && ctx->n_chain > 1)
        return seqnn_chain_buffer_written(ctx, buf, d, offset, count);
    return s == SEQNN_OK ? s : plugin_failed_on(ctx, d, s, "buffer_write");
}

seqnn_status seqnn_buffer_read(seqnn_context *ctx, seqnn_buffer *buf, int64_t offset, void *dst, int64_t count)
{
    if (!ctx)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_buffer_read: NULL context");
    seqnn_status s = check_range(ctx, "seqnn_buffer_read", "buf", buf, offset, count);
    if (s != SEQNN_OK)
        return s;
    if (!dst && count)
        return seqnn_set_error(ctx, SEQNN_ERR_INVALID_ARG, "seqnn_buffer_read: dst is NULL");
    size_t es = dtype_size(buf->dtype);
    if (ctx->planner) {                  /* nothing ran: zeros */
        memset(dst, 0, (size_t)count * es);
        return seqnn_plan_host_read(ctx, buf, offset, count);
    }
    const seqnn_plugin_api *api;
    seqnn_call call;
    int d = buffer_target(ctx, buf, offset, count, 0, &api, &call, &s);
    if (d < 0)
        return s;
    s = api->buffer_read(&call, buf->handle, (size_t)offset * es, dst, (size_t)count * es);
    return s == SEQNN_OK ? s : plugin_failed_on(ctx, d, s, "buffer_read");
}

seqnn_status seqnn_buffer_copy(seqnn_context *ctx, seqnn_buffer *dst, int64_t dst_offset, seqnn_buffer *src,
                               int64_t src_offset, int64_t count)
{
    if (!ctx)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_buffer_copy: NULL context");
    seqnn_status s = check_range(ctx, "seqnn_buffer_copy", "dst", dst, dst_offset, count);
    if (s == SEQNN_OK)
        s = check_range(ctx, "seqnn_buffer_copy", "src", src, src_offset, count);
    if (s != SEQNN_OK)
        return s;
    if (dst->dtype != src->dtype)
        return seqnn_set_error(ctx, SEQNN_ERR_INVALID_ARG, "seqnn_buffer_copy: dst and src hold different types");
    if (ctx->planner)                    /* a device's work: planned, not done */
        return seqnn_plan_buffer_copy(ctx, dst, dst_offset, src, src_offset, count);
    size_t es = dtype_size(dst->dtype);
    const seqnn_plugin_api *api;
    seqnn_call call;
    int d = buffer_target(ctx, src, src_offset, count, 0, &api, &call, &s);
    if (d >= 0 && ctx->n_chain > 1 && seqnn_chain_buffer_place(ctx, dst, d, dst_offset, count, 1, &s) < 0)
        d = -1;
    if (d < 0)
        return s;
    s = api->buffer_copy(&call, dst->handle, (size_t)dst_offset * es, src->handle, (size_t)src_offset * es,
                         (size_t)count * es);
    if (s == SEQNN_OK && ctx->n_chain > 1)
        return seqnn_chain_buffer_written(ctx, dst, d, dst_offset, count);
    return s == SEQNN_OK ? s : plugin_failed_on(ctx, d, s, "buffer_copy");
}

seqnn_status seqnn_buffer_fill(seqnn_context *ctx, seqnn_buffer *buf, int64_t offset, int64_t count, double value)
{
    if (!ctx)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_buffer_fill: NULL context");
    seqnn_status s = check_range(ctx, "seqnn_buffer_fill", "buf", buf, offset, count);
    if (s != SEQNN_OK)
        return s;
    if (ctx->planner) {
        seqnn_planner *p = plan_aside(ctx);
        s = seqnn_buffer_fill(ctx, buf, offset, count, value);
        return plan_resume(ctx, p, s) ? s : seqnn_plan_host_write(ctx, buf, offset, count);
    }
    uint32_t pattern;
    if (buf->dtype == SEQNN_I32) {
        int32_t v = (int32_t)value;
        memcpy(&pattern, &v, 4);
    } else {
        float v = (float)value;
        memcpy(&pattern, &v, 4);
    }
    const seqnn_plugin_api *api;
    seqnn_call call;
    int d = buffer_target(ctx, buf, offset, count, 1, &api, &call, &s);
    if (d < 0)
        return s;
    s = api->buffer_fill(&call, buf->handle, (size_t)offset * 4, (size_t)count * 4, pattern);
    if (s == SEQNN_OK && ctx->n_chain > 1)
        return seqnn_chain_buffer_written(ctx, buf, d, offset, count);
    return s == SEQNN_OK ? s : plugin_failed_on(ctx, d, s, "buffer_fill");
}

/* The argument check of kernel id. */
static seqnn_status check_args(const seqnn_checker *c, seqnn_kernel_id id, const void *args)
{
    switch (id) {
#define SEQNN_KERNEL(name, type, doc) case SEQNN_KERNEL_##name: return seqnn_check_##name(c, (const type *)args);
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
    case SEQNN_KERNEL_COUNT: break;
    }
    return SEQNN_ERR_INVALID_ARG;
}

seqnn_status seqnn_kernel_check(seqnn_kernel_id id, const void *args, char *msg, size_t msg_size)
{
    char scratch[8];
    if (!msg) { msg = scratch; msg_size = sizeof scratch; }
    seqnn_checker c = {seqnn_kernel_name(id), msg, msg_size, NULL, NULL};
    if (!c.kernel) {
        snprintf(msg, msg_size, "unknown kernel id %d", (int)id);
        return SEQNN_ERR_INVALID_ARG;
    }
    if (!args) {
        snprintf(msg, msg_size, "%s: args is NULL", c.kernel);
        return SEQNN_ERR_INVALID_ARG;
    }
    return check_args(&c, id, args);
}

int seqnn_kernel_available(const seqnn_context *ctx, seqnn_kernel_id id)
{
    for (int d = 0; ctx && d < ctx->n_chain; d++) {
        switch (id) {
#define SEQNN_KERNEL(name, type, doc) case SEQNN_KERNEL_##name: if (ctx->chain[d].api->name) return 1; break;
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
        case SEQNN_KERNEL_COUNT: break;
        }
    }
    return 0;
}

/* SEQNN_CHECK_NUMERICS: copies of the float tensors a kernel touches, taken
 * before it runs, so that afterwards an element that turned NaN or infinite
 * can be blamed on this kernel (elements non-finite before are not). */
typedef struct numerics_snapshot {
    seqnn_tensor_log log;
    float *before[SEQNN_TENSOR_LOG_MAX];
} numerics_snapshot;

static void snapshot_free(numerics_snapshot *n)
{
    for (int i = 0; i < n->log.n; i++)
        free(n->before[i]);
}

static seqnn_status snapshot_take(seqnn_context *ctx, numerics_snapshot *n)
{
    for (int i = 0; i < n->log.n; i++) {
        if (n->log.t[i].dtype != SEQNN_F32 || !strcmp(n->log.t[i].name, "reserve"))   /* reserve: plugin-private */
            continue;
        n->before[i] = malloc((size_t)n->log.t[i].extent * sizeof(float));
        if (!n->before[i])
            return seqnn_set_error(ctx, SEQNN_ERR_NO_MEMORY, "SEQNN_CHECK_NUMERICS: out of memory");
        seqnn_status s = seqnn_buffer_read(ctx, n->log.t[i].t.buf, n->log.t[i].t.off, n->before[i],
                                           n->log.t[i].extent);
        if (s != SEQNN_OK)
            return s;
    }
    return SEQNN_OK;
}

static seqnn_status snapshot_compare(seqnn_context *ctx, numerics_snapshot *n, const char *kernel)
{
    for (int i = 0; i < n->log.n; i++) {
        if (!n->before[i])
            continue;
        int64_t extent = n->log.t[i].extent;
        float *after = malloc((size_t)extent * sizeof *after);
        if (!after)
            return seqnn_set_error(ctx, SEQNN_ERR_NO_MEMORY, "SEQNN_CHECK_NUMERICS: out of memory");
        seqnn_status s = seqnn_buffer_read(ctx, n->log.t[i].t.buf, n->log.t[i].t.off, after, extent);
        for (int64_t k = 0; s == SEQNN_OK && k < extent; k++) {
            float b = n->before[i][k], a = after[k];
            if (!isfinite(a) && isfinite(b)) {
                s = seqnn_set_error(ctx, SEQNN_ERR_NUMERIC,
                                    "SEQNN_CHECK_NUMERICS: %s produced %s in '%s' at element %lld (buffer offset %lld)",
                                    kernel, isnan(a) ? "NaN" : "infinity", n->log.t[i].name, (long long)k,
                                    (long long)(n->log.t[i].t.off + k));
                break;
            }
        }
        free(after);
        if (s != SEQNN_OK)
            return s;
    }
    return SEQNN_OK;
}

/* Runs kernel id (arguments already checked; snap->log lists its tensors)
 * on the context's device or its chain, between two snapshots when
 * SEQNN_CHECK_NUMERICS is set. */
static seqnn_status run_logged(seqnn_context *ctx, seqnn_kernel_id id, const char *name, numerics_snapshot *snap,
                               const void *args)
{
    seqnn_status s = ctx->check_numerics ? snapshot_take(ctx, snap) : SEQNN_OK;
    if (s == SEQNN_OK && ctx->n_chain > 1) {
        s = seqnn_chain_run(ctx, id, &snap->log, args);
    } else if (s == SEQNN_OK) {
        seqnn_call call = make_call(ctx);
        s = seqnn_plugin_call_kernel(ctx->api, &call, id, args);
        if (s != SEQNN_OK)
            s = plugin_failed(ctx, s, name);
    }
    if (s == SEQNN_OK && ctx->check_numerics)
        s = snapshot_compare(ctx, snap, name);
    if (ctx->check_numerics)
        snapshot_free(snap);
    return s;
}

seqnn_status seqnn_kernel_run(seqnn_context *ctx, seqnn_kernel_id id, const void *args)
{
    const char *name = seqnn_kernel_name(id);
    if (!name)
        return seqnn_set_error(ctx, SEQNN_ERR_INVALID_ARG, "unknown kernel id %d", (int)id);
    if (!ctx)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s: NULL context", name);
    if (!args)
        return seqnn_set_error(ctx, SEQNN_ERR_INVALID_ARG, "%s: args is NULL", name);
    char msg[SEQNN_MSG_SIZE];
    seqnn_checker c = {name, msg, sizeof msg, ctx, NULL};
    numerics_snapshot snap;
    int logged = ctx->check_numerics || ctx->n_chain > 1;
    if (ctx->check_numerics)
        memset(&snap, 0, sizeof snap);
    if (logged) {
        snap.log.n = 0;
        snap.log.overflow = 0;
        c.log = &snap.log;
    }
    seqnn_call call;
    seqnn_status s = SEQNN_ERR_INVALID_ARG;
    if (ctx->planner) {                  /* routed and recorded, not run */
        snap.log.n = snap.log.overflow = 0;
        c.log = &snap.log;
        s = check_args(&c, id, args);
        return s != SEQNN_OK ? seqnn_set_error(ctx, s, "%s", msg) : seqnn_plan_kernel(ctx, id, &snap.log, args);
    }
    switch (id) {
#define SEQNN_KERNEL(kname, type, doc)                                                       \
    case SEQNN_KERNEL_##kname:                                                               \
        s = seqnn_check_##kname(&c, (const type *)args);                                    \
        if (s != SEQNN_OK)                                                                   \
            return seqnn_set_error(ctx, s, "%s", msg);                                      \
        if (!ctx->api->kname && ctx->n_chain == 1)                                           \
            return seqnn_set_error(ctx, SEQNN_ERR_UNSUPPORTED, "%s: plugin '%s' does not implement it", \
                                   name, ctx->chain[0].plugin);                              \
        if (logged)                                                                          \
            return run_logged(ctx, id, name, &snap, args);                                   \
        call = make_call(ctx);                                                               \
        s = ctx->api->kname(&call, (const type *)args);                                     \
        break;
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
    case SEQNN_KERNEL_COUNT: break;
    }
    return s == SEQNN_OK ? s : plugin_failed(ctx, s, name);
}

seqnn_status seqnn_kernel_route(seqnn_context *ctx, seqnn_kernel_id id, const void *args, int *device)
{
    const char *name = seqnn_kernel_name(id);
    if (!name || !ctx || !args || !device)
        return seqnn_set_error(ctx, SEQNN_ERR_INVALID_ARG, "seqnn_kernel_route: %s",
                               !name ? "unknown kernel id" : "NULL argument");
    char msg[SEQNN_MSG_SIZE];
    seqnn_tensor_log log;
    seqnn_checker c = {name, msg, sizeof msg, ctx, &log};
    log.n = log.overflow = 0;
    seqnn_status s = check_args(&c, id, args);
    if (s != SEQNN_OK)
        return seqnn_set_error(ctx, s, "%s", msg);
    if (ctx->n_chain > 1)
        return seqnn_chain_route(ctx, id, &log, args, device);
    if (!seqnn_kernel_available(ctx, id))
        return seqnn_set_error(ctx, SEQNN_ERR_UNSUPPORTED, "%s: plugin '%s' does not implement it", name,
                               ctx->chain[0].plugin);
    *device = 0;
    return SEQNN_OK;
}

seqnn_status seqnn_kernel_accepts(seqnn_context *ctx, int device, seqnn_kernel_id id, const void *args, char *why,
                                  size_t why_size)
{
    char scratch[8], msg[SEQNN_MSG_SIZE];
    if (!why) { why = scratch; why_size = sizeof scratch; }
    why[0] = '\0';
    const char *name = seqnn_kernel_name(id);
    if (!name || !ctx || !args || device < 0 || device >= ctx->n_chain)
        return seqnn_set_error(ctx, SEQNN_ERR_INVALID_ARG, "seqnn_kernel_accepts: %s",
                               !name ? "unknown kernel id" : !ctx || !args ? "NULL argument" : "no such device");
    seqnn_checker c = {name, msg, sizeof msg, ctx, NULL};
    seqnn_status s = check_args(&c, id, args);
    if (s != SEQNN_OK)
        return seqnn_set_error(ctx, s, "%s", msg);
    if (seqnn_chain_device_takes(ctx, device, id, args, -1, why, why_size))
        return SEQNN_OK;
    return seqnn_set_error(ctx, SEQNN_ERR_UNSUPPORTED, "%s: '%s' %s", name, ctx->chain[device].plugin, why);
}

#define SEQNN_KERNEL(name, type, doc) \
    seqnn_status seqnn_##name(seqnn_context *ctx, const type *a) { return seqnn_kernel_run(ctx, SEQNN_KERNEL_##name, a); }
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL

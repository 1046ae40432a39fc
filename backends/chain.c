/* Chains of devices (docs/backends.md, "Chains"): a context over several
 * devices, SEQNN_BACKEND=A,B,... Each kernel call runs on the first device
 * of the chain whose plugin has the kernel and accepts the call (the optional
 * capability query of plugin ABI 1.1). Every buffer has a copy on each device
 * that has needed it, and per device the element ranges whose copy there
 * holds the current contents; a call on a device first copies there (through
 * the host) the elements it touches that are not current there, and
 * afterwards the elements it wrote are current on that device only. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "check.h"
#include "internal.h"

/* The tensors each kernel writes (its other tensors it only reads), by the
 * names the argument checks give them (check_*.c), each surrounded by spaces.
 * A call's writes make the other devices' copies stale. */
static const char *const kernel_outputs[SEQNN_KERNEL_COUNT] = {
    [SEQNN_KERNEL_gemm] = " c ",
    [SEQNN_KERNEL_bias_add] = " y ",
    [SEQNN_KERNEL_bias_backward] = " db ",
    [SEQNN_KERNEL_act_forward] = " y ",
    [SEQNN_KERNEL_act_backward] = " dx ",
    [SEQNN_KERNEL_add] = " z ",
    [SEQNN_KERNEL_mul] = " z ",
    [SEQNN_KERNEL_scale] = " z ",
    [SEQNN_KERNEL_softmax_forward] = " y ",
    [SEQNN_KERNEL_softmax_backward] = " dx ",
    [SEQNN_KERNEL_xent_forward] = " loss ",
    [SEQNN_KERNEL_xent_backward] = " dlogits ",
    [SEQNN_KERNEL_mse_forward] = " loss ",
    [SEQNN_KERNEL_mse_backward] = " dx ",
    [SEQNN_KERNEL_bce_forward] = " loss ",
    [SEQNN_KERNEL_bce_backward] = " dx ",
    [SEQNN_KERNEL_embedding_forward] = " y ",
    [SEQNN_KERNEL_embedding_backward] = " dweight ",
    [SEQNN_KERNEL_dropout_forward] = " y ",
    [SEQNN_KERNEL_dropout_backward] = " dx ",
    [SEQNN_KERNEL_rnn_forward] = " y h_n c_n reserve ",
    [SEQNN_KERNEL_rnn_backward] = " dx dw_ih dw_hh db_ih db_hh dh0 dc0 ",
    [SEQNN_KERNEL_cell_forward] = " y h_n c_n reserve ",
    [SEQNN_KERNEL_cell_backward] = " dx dw_ih dw_hh db_ih db_hh dh0 dc0 ",
    [SEQNN_KERNEL_conv1d_forward] = " y ",
    [SEQNN_KERNEL_conv1d_backward] = " dx dweight dbias ",
    [SEQNN_KERNEL_maxpool_forward] = " y argmax ",
    [SEQNN_KERNEL_maxpool_backward] = " dx ",
    [SEQNN_KERNEL_attention_forward] = " out weights ",
    [SEQNN_KERNEL_attention_backward] = " dq dk dv dw dw_q dw_k dw_v ",
    [SEQNN_KERNEL_sgd_step] = " param momentum_buf ",
    [SEQNN_KERNEL_rmsprop_step] = " param square_avg momentum_buf grad_avg ",
    [SEQNN_KERNEL_adam_step] = " param exp_avg exp_avg_sq max_exp_avg_sq ",
    [SEQNN_KERNEL_adagrad_step] = " param sum ",
    [SEQNN_KERNEL_sumsq] = " result ",
    [SEQNN_KERNEL_clip_scale] = " x ",
    [SEQNN_KERNEL_maxpool_lengths_forward] = " y argmax ",
    [SEQNN_KERNEL_xent_ext_forward] = " loss losses ",
    [SEQNN_KERNEL_xent_ext_backward] = " dlogits ",
    [SEQNN_KERNEL_lstm_variant_forward] = " y h_n c_n reserve ",
    [SEQNN_KERNEL_lstm_variant_backward] = " dx dw_ih dw_hh db_ih db_hh dh0 dc0 dw_peep dw_hr ",
    [SEQNN_KERNEL_conv1d_max_forward] = " y pre argmax ",
    [SEQNN_KERNEL_conv1d_max_backward] = " dx dweight dbias ",
    [SEQNN_KERNEL_copy2d] = " y ",
};

static int is_output(seqnn_kernel_id id, const char *name)
{
    const char *list = kernel_outputs[id];
    size_t n = strlen(name);
    for (const char *p = list ? strstr(list, name) : NULL; p; p = strstr(p + 1, name))
        if (p[-1] == ' ' && p[n] == ' ')
            return 1;
    return 0;
}

static int has_kernel(const seqnn_plugin_api *api, seqnn_kernel_id id)
{
    switch (id) {
#define SEQNN_KERNEL(kname, type, doc) case SEQNN_KERNEL_##kname: return api->kname != NULL;
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
    case SEQNN_KERNEL_COUNT: break;
    }
    return 0;
}

seqnn_status seqnn_plugin_call_kernel(const seqnn_plugin_api *api, const seqnn_call *call, seqnn_kernel_id id,
                                      const void *args)
{
    switch (id) {
#define SEQNN_KERNEL(kname, type, doc) \
    case SEQNN_KERNEL_##kname: return api->kname ? api->kname(call, (const type *)args) : SEQNN_ERR_UNSUPPORTED;
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
    case SEQNN_KERNEL_COUNT: break;
    }
    return SEQNN_ERR_INVALID_ARG;
}

seqnn_status seqnn_chain_open(seqnn_registry *reg, const int64_t *devices, int n, seqnn_context **out)
{
    *out = NULL;
    if (n == 1)
        return seqnn_context_open(reg, devices[0], out);
    if (n < 1 || n > SEQNN_CHAIN_MAX)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "a chain holds 1 to %d devices, not %d", SEQNN_CHAIN_MAX,
                               n);
    seqnn_context *ctx = NULL;
    for (int i = 0; i < n; i++) {
        seqnn_context *one;
        seqnn_status s = seqnn_context_open(reg, devices[i], &one);
        if (s != SEQNN_OK) {
            seqnn_context_destroy(ctx);
            return s;
        }
        if (!ctx) {
            ctx = one;
            continue;
        }
        ctx->chain[ctx->n_chain++] = one->chain[0];
        free(one);                       /* its device now belongs to ctx */
    }
    *out = ctx;
    return SEQNN_OK;
}

/* ---- buffers */

/* The placement of b: its own, or in planning mode its shadow (NULL: out of
 * memory making it). */
static seqnn_chain_buffer *chain_buffer(seqnn_context *ctx, seqnn_buffer *b)
{
    return ctx->planner ? seqnn_plan_shadow(ctx, b) : (seqnn_chain_buffer *)b;
}

static size_t elem_size(const seqnn_buffer *b)
{
    return b->dtype == SEQNN_F64 ? 8 : 4;
}

/* Makes room for n ranges. */
static int ranges_reserve(seqnn_ranges *s, int n)
{
    if (n <= s->cap)
        return 0;
    int cap = s->cap ? 2 * s->cap : 4;
    while (cap < n)
        cap *= 2;
    int64_t(*r)[2] = realloc(s->r, (size_t)cap * sizeof *r);
    if (!r)
        return -1;
    s->r = r;
    s->cap = cap;
    return 0;
}

/* Replaces ranges [i, j) of s by the `k` ranges of `with` (k <= 2). */
static int ranges_splice(seqnn_ranges *s, int i, int j, const int64_t (*with)[2], int k)
{
    if (ranges_reserve(s, s->n - (j - i) + k))
        return -1;
    memmove(s->r + i + k, s->r + j, (size_t)(s->n - j) * sizeof *s->r);
    memcpy(s->r + i, with, (size_t)k * sizeof *s->r);
    s->n += k - (j - i);
    return 0;
}

/* Adds [lo, hi) to s, merging what it touches. */
static int ranges_add(seqnn_ranges *s, int64_t lo, int64_t hi)
{
    int i = 0, j;
    if (lo >= hi)
        return 0;
    while (i < s->n && s->r[i][1] < lo)
        i++;
    for (j = i; j < s->n && s->r[j][0] <= hi; j++) {
        lo = s->r[j][0] < lo ? s->r[j][0] : lo;
        hi = s->r[j][1] > hi ? s->r[j][1] : hi;
    }
    const int64_t one[1][2] = {{lo, hi}};
    return ranges_splice(s, i, j, one, 1);
}

/* Removes [lo, hi) from s. */
static int ranges_remove(seqnn_ranges *s, int64_t lo, int64_t hi)
{
    int i = 0, j, k = 0;
    if (lo >= hi)
        return 0;
    while (i < s->n && s->r[i][1] <= lo)
        i++;
    for (j = i; j < s->n && s->r[j][0] < hi; j++)
        ;
    if (i == j)
        return 0;
    int64_t keep[2][2];
    if (s->r[i][0] < lo)
        keep[k][0] = s->r[i][0], keep[k][1] = lo, k++;
    if (s->r[j - 1][1] > hi)
        keep[k][0] = hi, keep[k][1] = s->r[j - 1][1], k++;
    return ranges_splice(s, i, j, (const int64_t(*)[2])keep, k);
}

/* The end of the range of s holding element x, or -1 when none does. */
static int64_t ranges_holding(const seqnn_ranges *s, int64_t x)
{
    for (int i = 0; i < s->n && s->r[i][0] <= x; i++)
        if (x < s->r[i][1])
            return s->r[i][1];
    return -1;
}

/* The start of the first range of s beginning after x, or INT64_MAX. */
static int64_t ranges_next(const seqnn_ranges *s, int64_t x)
{
    for (int i = 0; i < s->n; i++)
        if (s->r[i][0] > x)
            return s->r[i][0];
    return INT64_MAX;
}

static int ranges_cover(const seqnn_ranges *s, int64_t lo, int64_t hi)
{
    return lo >= hi || ranges_holding(s, lo) >= hi;
}

seqnn_status seqnn_chain_buffer_alloc(seqnn_context *ctx, seqnn_buffer *b, size_t bytes)
{
    (void)ctx;
    (void)bytes;
    ((seqnn_chain_buffer *)b)->reserve_dev = -1;   /* current nowhere: never written */
    return SEQNN_OK;
}

void seqnn_chain_buffer_free(seqnn_context *ctx, seqnn_buffer *b)
{
    if (ctx->planner)
        seqnn_plan_forget(ctx, b);
    seqnn_chain_buffer *cb = (seqnn_chain_buffer *)b;
    for (int d = 0; d < ctx->n_chain; d++) {
        if (cb->handle[d])
            ctx->chain[d].api->buffer_free(ctx->chain[d].dev, cb->handle[d]);
        free(cb->valid[d].r);
    }
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static seqnn_status out_of_memory(seqnn_context *ctx)
{
    return seqnn_set_error(ctx, SEQNN_ERR_NO_MEMORY, "out of memory placing a buffer on a chain's device");
}

/* Copies elements [lo, hi) of cb from device `from` to device `to` through the host. */
static seqnn_status copy_between(seqnn_context *ctx, seqnn_chain_buffer *cb, int from, int to, int64_t lo,
                                 int64_t hi)
{
    size_t es = elem_size(&cb->pub), bytes = (size_t)(hi - lo) * es;
    const seqnn_chain_device *f = &ctx->chain[from], *t = &ctx->chain[to];
    if (ctx->planner) {                  /* planning: counted, not made */
        seqnn_plan_count_copy(ctx, (int64_t)bytes);
        return SEQNN_OK;
    }
    double t0 = now_seconds();
    void *host = malloc(bytes ? bytes : 1);
    if (!host)
        return out_of_memory(ctx);
    char msg[SEQNN_MSG_SIZE] = "";
    seqnn_call cf = {f->dev, msg, sizeof msg}, ct = {t->dev, msg, sizeof msg};
    seqnn_status s = f->api->buffer_read(&cf, cb->handle[from], (size_t)lo * es, host, bytes);
    const char *who = f->plugin;
    if (s == SEQNN_OK) {
        who = t->plugin;
        s = t->api->buffer_write(&ct, cb->handle[to], (size_t)lo * es, host, bytes);
    }
    free(host);
    if (s != SEQNN_OK)
        return seqnn_set_error(ctx, s, "copying %zu bytes from '%s' to '%s': %s: %s", bytes, f->plugin, t->plugin,
                               who, msg[0] ? msg : seqnn_status_name(s));
    ctx->counters.copies++;
    ctx->counters.bytes += (int64_t)bytes;
    ctx->counters.seconds += now_seconds() - t0;
    return SEQNN_OK;
}

/* Makes [lo, hi) of cb current on device d: each piece that is not is
 * copied from a device where it is, or (current nowhere) just taken. */
static seqnn_status fetch(seqnn_context *ctx, seqnn_chain_buffer *cb, int d, int64_t lo, int64_t hi)
{
    int64_t x = lo;
    while (x < hi) {
        int64_t end = ranges_holding(&cb->valid[d], x);
        if (end >= 0) {                  /* already current on d up to end */
            x = end;
            continue;
        }
        int64_t gap_end = ranges_next(&cb->valid[d], x);
        gap_end = gap_end < hi ? gap_end : hi;
        int from = -1;
        int64_t piece = gap_end, nowhere = gap_end;
        for (int s = 0; s < ctx->n_chain && from < 0; s++) {
            if (s == d)
                continue;
            int64_t e = ranges_holding(&cb->valid[s], x);
            if (e >= 0) {
                from = s;
                piece = e < gap_end ? e : gap_end;
            } else {
                int64_t next = ranges_next(&cb->valid[s], x);
                nowhere = next < nowhere ? next : nowhere;
            }
        }
        if (from >= 0) {
            seqnn_status s = copy_between(ctx, cb, from, d, x, piece);
            if (s != SEQNN_OK)
                return s;
        } else {
            piece = nowhere;             /* never written: nothing to copy */
        }
        if (ranges_add(&cb->valid[d], x, piece))
            return out_of_memory(ctx);
        x = piece;
    }
    return SEQNN_OK;
}

int seqnn_chain_buffer_place(seqnn_context *ctx, seqnn_buffer *b, int want, int64_t off, int64_t count,
                             int overwrite, seqnn_status *s)
{
    seqnn_chain_buffer *cb = chain_buffer(ctx, b);
    *s = cb ? SEQNN_OK : out_of_memory(ctx);
    if (!cb)
        return -1;
    if (want < 0) {
        want = 0;
        for (int d = 0; d < ctx->n_chain; d++)
            if (cb->handle[d] && ranges_cover(&cb->valid[d], off, off + count)) {
                want = d;
                break;
            }
    }
    if (!cb->handle[want] && ctx->planner) {
        cb->handle[want] = cb;           /* planning: a copy there from now on */
    } else if (!cb->handle[want]) {
        char msg[SEQNN_MSG_SIZE] = "";
        seqnn_call call = {ctx->chain[want].dev, msg, sizeof msg};
        *s = ctx->chain[want].api->buffer_alloc(&call, (size_t)b->count * elem_size(b), &cb->handle[want]);
        if (*s != SEQNN_OK) {
            cb->handle[want] = NULL;
            *s = seqnn_set_error(ctx, *s, "%s: buffer_alloc: %s", ctx->chain[want].plugin,
                                 msg[0] ? msg : seqnn_status_name(*s));
            return -1;
        }
    }
    if (!overwrite && (*s = fetch(ctx, cb, want, off, off + count)) != SEQNN_OK)
        return -1;
    if (!ctx->planner)
        b->handle = cb->handle[want];
    return want;
}

seqnn_status seqnn_chain_buffer_written(seqnn_context *ctx, seqnn_buffer *b, int d, int64_t off, int64_t count)
{
    seqnn_chain_buffer *cb = chain_buffer(ctx, b);
    if (!cb)
        return out_of_memory(ctx);
    for (int s = 0; s < ctx->n_chain; s++)
        if (s != d && ranges_remove(&cb->valid[s], off, off + count))
            return out_of_memory(ctx);
    return ranges_add(&cb->valid[d], off, off + count) ? out_of_memory(ctx) : SEQNN_OK;
}

/* ---- dispatch */

/* The device that must run a call reading an rnn reserve (its layout is the
 * writing plugin's own), or -1. */
static int reserve_device(seqnn_context *ctx, seqnn_kernel_id id, const seqnn_tensor_log *log)
{
    for (int i = 0; i < log->n; i++)
        if (!strcmp(log->t[i].name, "reserve") && !is_output(id, "reserve")) {
            const seqnn_chain_buffer *cb = chain_buffer(ctx, log->t[i].t.buf);
            return cb ? cb->reserve_dev : -1;
        }
    return -1;
}

int seqnn_chain_device_takes(seqnn_context *ctx, int d, seqnn_kernel_id id, const void *args, int reserve, char *why,
                        size_t why_size)
{
    const seqnn_chain_device *c = &ctx->chain[d];
    if (!has_kernel(c->api, id)) {
        if (why)
            snprintf(why, why_size, "does not implement it");
        return 0;
    }
    if (reserve >= 0 && reserve != d) {
        if (why)
            snprintf(why, why_size, "cannot read the recurrent reserve that '%s' wrote", ctx->chain[reserve].plugin);
        return 0;
    }
    if (!c->api->accepts)
        return 1;
    char msg[SEQNN_MSG_SIZE];
    msg[0] = '\0';                      /* (not the whole array: this runs on every call) */
    seqnn_call call = {c->dev, msg, sizeof msg};
    seqnn_status s = c->api->accepts(&call, id, args);
    if (s == SEQNN_OK)
        return 1;
    if (why)
        snprintf(why, why_size, "declined%s%s", msg[0] ? ": " : " (", msg[0] ? msg : seqnn_status_name(s));
    if (why && !msg[0])
        snprintf(why + strlen(why), why_size - strlen(why), ")");
    return 0;
}

/* The error when no device of the chain runs a call: each device's answer. */
static seqnn_status none_takes(seqnn_context *ctx, seqnn_kernel_id id, const void *args, int reserve)
{
    char list[SEQNN_MSG_SIZE] = "";
    size_t used = 0;
    for (int d = 0; d < ctx->n_chain && used < sizeof list; d++) {
        char why[512];
        seqnn_chain_device_takes(ctx, d, id, args, reserve, why, sizeof why);
        used += (size_t)snprintf(list + used, sizeof list - used, "%s'%s' %s", d ? "; " : "", ctx->chain[d].plugin,
                                 why);
    }
    return seqnn_set_error(ctx, SEQNN_ERR_UNSUPPORTED, "%s: no device of the chain runs this call: %s",
                           seqnn_kernel_name(id), list);
}

seqnn_status seqnn_chain_route(seqnn_context *ctx, seqnn_kernel_id id, const seqnn_tensor_log *log,
                               const void *args, int *device)
{
    if (log->overflow)
        return seqnn_set_error(ctx, SEQNN_ERR_INTERNAL, "%s: more than %d tensors to place", seqnn_kernel_name(id),
                               SEQNN_TENSOR_LOG_MAX);
    int reserve = reserve_device(ctx, id, log);
    int d = 0;
    while (d < ctx->n_chain && !seqnn_chain_device_takes(ctx, d, id, args, reserve, NULL, 0))
        d++;
    if (d == ctx->n_chain)
        return none_takes(ctx, id, args, reserve);
    *device = d;
    return SEQNN_OK;
}

seqnn_status seqnn_chain_place_call(seqnn_context *ctx, seqnn_kernel_id id, const seqnn_tensor_log *log, int d)
{
    (void)id;
    seqnn_status s = SEQNN_OK;
    for (int i = 0; i < log->n; i++)
        if (seqnn_chain_buffer_place(ctx, log->t[i].t.buf, d, log->t[i].t.off, log->t[i].extent, 0, &s) < 0)
            return s;
    return SEQNN_OK;
}

seqnn_status seqnn_chain_mark_written(seqnn_context *ctx, seqnn_kernel_id id, const seqnn_tensor_log *log, int d)
{
    for (int i = 0; i < log->n; i++) {
        if (!is_output(id, log->t[i].name))
            continue;
        seqnn_status s = seqnn_chain_buffer_written(ctx, log->t[i].t.buf, d, log->t[i].t.off, log->t[i].extent);
        if (s != SEQNN_OK)
            return s;
        if (!strcmp(log->t[i].name, "reserve"))
            chain_buffer(ctx, log->t[i].t.buf)->reserve_dev = d;   /* (its shadow exists: just written) */
    }
    return SEQNN_OK;
}

/* After a failed call on device d: where another device holds an output's
 * current contents, that copy stays the current one (what the failed call
 * may have written on d is not seen). */
static seqnn_status keep_intact_copies(seqnn_context *ctx, seqnn_kernel_id id, const seqnn_tensor_log *log, int d)
{
    for (int i = 0; i < log->n; i++) {
        if (!is_output(id, log->t[i].name))
            continue;
        seqnn_chain_buffer *cb = (seqnn_chain_buffer *)log->t[i].t.buf;
        int64_t lo = log->t[i].t.off, hi = lo + log->t[i].extent;
        for (int o = 0; o < ctx->n_chain; o++)
            if (o != d && ranges_cover(&cb->valid[o], lo, hi) && ranges_remove(&cb->valid[d], lo, hi))
                return out_of_memory(ctx);
    }
    return SEQNN_OK;
}

seqnn_status seqnn_chain_run(seqnn_context *ctx, seqnn_kernel_id id, const seqnn_tensor_log *log, const void *args)
{
    const char *name = seqnn_kernel_name(id);
    int d;
    seqnn_status s = seqnn_chain_route(ctx, id, log, args, &d);
    if (s == SEQNN_OK)
        s = seqnn_chain_place_call(ctx, id, log, d);
    if (s != SEQNN_OK)
        return s;
    const seqnn_chain_device *c = &ctx->chain[d];
    ctx->error[0] = '\0';
    seqnn_call call = {c->dev, ctx->error, sizeof ctx->error};
    s = seqnn_plugin_call_kernel(c->api, &call, id, args);
    ctx->counters.calls[d]++;
    if (s == SEQNN_OK)
        return seqnn_chain_mark_written(ctx, id, log, d);
    char msg[SEQNN_MSG_SIZE];
    snprintf(msg, sizeof msg, "%s", ctx->error[0] ? ctx->error : seqnn_status_name(s));
    seqnn_status kept = keep_intact_copies(ctx, id, log, d);
    if (kept != SEQNN_OK)
        return kept;
    if (s == SEQNN_ERR_UNSUPPORTED)
        return seqnn_set_error(ctx, s, "%s: plugin '%s' %s, then did not run it: %s", name, c->plugin,
                               c->api->accepts ? "accepted the call in its capability query"
                                               : "has the kernel (and no capability query)",
                               msg);
    return seqnn_set_error(ctx, s, "%s: %s: %s", c->plugin, name, msg);
}

void seqnn_chain_log_stats(const seqnn_context *ctx)
{
    char line[1024];
    size_t used = 0;
    for (int d = 0; d < ctx->n_chain && used < sizeof line; d++)
        used += (size_t)snprintf(line + used, sizeof line - used, "%s%lld on %s", d ? ", " : "",
                                 (long long)ctx->counters.calls[d], ctx->chain[d].plugin);
    seqnn_log(SEQNN_LOG_INFO, "chain: kernel calls %s; %lld copies between devices, %lld bytes, %.3f s", line,
              (long long)ctx->counters.copies, (long long)ctx->counters.bytes, ctx->counters.seconds);
}

/* ---- choosing a chain */

int64_t seqnn_registry_complete_after(const seqnn_registry *reg, int64_t best, char *why, size_t why_size)
{
    const seqnn_plugin_entry *p = &reg->plugins[reg->devices[best].plugin];
    if (p->kernels_present >= SEQNN_KERNEL_COUNT)
        return -1;
    int64_t after = -1;
    for (int64_t i = 0; i < reg->n_devices; i++) {
        const seqnn_device_entry *d = &reg->devices[i];
        if (d->info.score > 0 && reg->plugins[d->plugin].kernels_present >= SEQNN_KERNEL_COUNT &&
            (after < 0 || d->info.score > reg->devices[after].info.score))
            after = i;
    }
    if (why) {
        size_t used = strlen(why);
        if (after >= 0)
            snprintf(why + used, why_size - used, "; '%s' has %d of %d kernels, so a chain: %s then %s (%s)",
                     p->name, p->kernels_present, SEQNN_KERNEL_COUNT, p->name,
                     reg->plugins[reg->devices[after].plugin].name, reg->devices[after].info.name);
        else
            snprintf(why + used, why_size - used, "; '%s' has %d of %d kernels and no complete plugin can run here",
                     p->name, p->kernels_present, SEQNN_KERNEL_COUNT);
    }
    return after;
}

/* ---- parsing a chain */

seqnn_status seqnn_registry_select_chain(seqnn_registry *reg, const char *spec, const char *source,
                                         int64_t *devices, int *n, char *why, size_t why_size)
{
    *n = 0;
    if (!spec) {
        spec = secure_getenv("SEQNN_BACKEND");
        source = "SEQNN_BACKEND";
    }
    if (!spec || !*spec) {               /* automatic: a partial best device gets a complete one behind it */
        seqnn_status s = seqnn_registry_select(reg, "", devices, why, why_size);
        if (s != SEQNN_OK)
            return s;
        devices[1] = seqnn_registry_complete_after(reg, devices[0], NULL, 0);
        *n = devices[1] >= 0 ? 2 : 1;
        return SEQNN_OK;
    }
    if (!strchr(spec, ',')) {
        *n = 1;
        return seqnn_registry_select(reg, spec, devices, why, why_size);
    }
    char list[4096];
    if (strlen(spec) >= sizeof list)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s: a chain of %zu characters is too long", source,
                               strlen(spec));
    snprintf(list, sizeof list, "%s", spec);
    int count = 0;
    char *entry = list;
    for (char *end; entry; entry = end ? end + 1 : NULL) {
        end = strchr(entry, ',');
        if (end)
            *end = '\0';
        if (!*entry)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s=%s: entry %d of the chain is empty", source, spec,
                                   count + 1);
        if (count == SEQNN_CHAIN_MAX)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "%s=%s: entry '%s': a chain holds at most %d devices",
                                   source, spec, entry, SEQNN_CHAIN_MAX);
        int64_t dev;
        seqnn_status s = seqnn_registry_select(reg, entry, &dev, NULL, 0);
        if (s != SEQNN_OK) {             /* the entry's own error, less its "request=ENTRY: " */
            char inner[SEQNN_MSG_SIZE], prefix[4200];
            snprintf(inner, sizeof inner, "%s", seqnn_last_error());
            snprintf(prefix, sizeof prefix, "request=%s: ", entry);
            size_t skip = strncmp(inner, prefix, strlen(prefix)) ? 0 : strlen(prefix);
            return seqnn_set_error(NULL, s, "%s=%s: entry '%s': %s", source, spec, entry, inner + skip);
        }
        for (int i = 0; i < count; i++)
            if (devices[i] == dev)
                return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                                       "%s=%s: entry '%s' names device '%s' of '%s' a second time", source, spec,
                                       entry, reg->devices[dev].info.name, reg->plugins[reg->devices[dev].plugin].name);
        devices[count++] = dev;
    }
    *n = count;
    if (why) {
        size_t used = (size_t)snprintf(why, why_size, "chain requested by %s=%s:", source, spec);
        for (int i = 0; i < count && used < why_size; i++)
            used += (size_t)snprintf(why + used, why_size - used, " %s%s (%s)", i ? "then " : "",
                                     reg->plugins[reg->devices[devices[i]].plugin].name,
                                     reg->devices[devices[i]].info.name);
    }
    seqnn_log(SEQNN_LOG_INFO, "selected a chain of %d devices: %s", count, spec);
    return SEQNN_OK;
}

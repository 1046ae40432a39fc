/* The conformance framework (conformance.h): tensors held three times (float64
 * oracle, float32 reference, plugin buffer), calls run on all three sides (or,
 * for large checks, the oracle on the check's sampled elements only), poisoned
 * and guarded outputs, normwise error budgets, the plugin's structure query,
 * and finite-difference gradient checks on the oracle. The runner (runner.c)
 * drives it. */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "framework.h"
#include "ref_kernels.h"
#include "seqnn/plugin.h"

#define GUARD 16                         /* guard elements on each side of every tensor */
/* Guards: NaNs (reading one poisons results) whose payload differs per tensor,
 * so that a kernel copying one tensor's guard into another's is caught. */
#define GUARD_F32(id) (0x7fe00000u | ((uint32_t)(id) & 0x1fffffu))
#define GUARD_I32(id) (0x5e9b0000 + (int32_t)((id) & 0xffff))
#define POISON_F32 0x7fc00000u           /* quiet NaN */
/* The poison of outputs compared NaN-aware (cf_set_nonfinite), where a NaN is
 * a valid result: a signaling NaN, which arithmetic never returns (it quiets
 * it), so an element still holding it was never written. */
#define POISON_NONFINITE_F32 0x7fa0bad0u

enum side { SIDE_ORACLE, SIDE_REF32, SIDE_PLUGIN };
enum role { ROLE_IN, ROLE_OUT, ROLE_INOUT, ROLE_SCRATCH };

struct cf_tensor {
    char name[48];
    enum role role;
    int is_int;
    int64_t count, total;                /* total = count + 2*GUARD */
    double k;                            /* < 0: use cf_compare's k */
    int nonfinite;                       /* cf_set_nonfinite: compared NaN-aware */
    seqnn_buffer view;                   /* what cf_ref points to; handle swapped per side */
    double *orc;                         /* float tensors: oracle storage */
    float *r32;                          /* float tensors: float32 reference storage */
    int32_t *iorc, *ir32;                /* int tensors */
    float *init32;                       /* what was uploaded (inputs: checked unchanged) */
    int32_t *initi;
    seqnn_buffer *dev;                   /* plugin storage */
    int64_t n_samples;                   /* cf_sample: oracle values at sample_idx */
    int64_t *sample_idx;
    double *sample_val;
    double *orc0;                        /* float tensors: the oracle's values before the check's first call */
    double cond;                         /* its conditioning: see check_conditioning */
    cf_tensor *next;
};

/* ---------------------------------------------------------------- random */
static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double cf_uniform(cf_run *r, double lo, double hi)
{
    double u = (double)(splitmix(&r->rng) >> 11) * 0x1.0p-53;
    return lo + (hi - lo) * u;
}

int64_t cf_randint(cf_run *r, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;   /* 0 when the range is all of int64 */
    uint64_t u = splitmix(&r->rng);
    return (int64_t)((uint64_t)lo + (span ? u % span : u));
}

/* --------------------------------------------------------------- results */
void cf_fail(cf_run *r, const char *fmt, ...)
{
    if (r->check_failed)
        return;
    r->check_failed = 1;
    r->failed_checks++;
    if (r->first_failure[0])
        return;                          /* keep the first failure of the kernel */
    int n = snprintf(r->first_failure, sizeof r->first_failure, "[%s] ", r->check_name);
    if (n < 0 || (size_t)n >= sizeof r->first_failure)
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->first_failure + n, sizeof r->first_failure - (size_t)n, fmt, ap);
    va_end(ap);
}

int cf_failed(const cf_run *r)
{
    return r->check_failed;
}

seqnn_context *cf_context(cf_run *r)
{
    return r->ctx;
}

/* ------------------------------------------------- the core's arg checks */
void cf_expect_rejected(cf_run *r, seqnn_kernel_id id, const void *args, const char *what)
{
    char msg[512];
    if (seqnn_kernel_check(id, args, msg, sizeof msg) != SEQNN_ERR_INVALID_ARG)
        cf_fail(r, "%s: argument check accepted %s", seqnn_kernel_name(id), what);
}

void cf_expect_extent(cf_run *r, seqnn_kernel_id id, const void *args, seqnn_tref *field, seqnn_dtype dtype,
                      int64_t extent, const char *name)
{
    seqnn_context *ctx = r->ctx;
    const seqnn_tref saved = *field;
    seqnn_buffer *exact = NULL, *shorter = NULL;
    char msg[512];
    if (seqnn_buffer_alloc(ctx, dtype, extent, &exact) != SEQNN_OK ||
        seqnn_buffer_alloc(ctx, dtype, extent - 1, &shorter) != SEQNN_OK) {
        cf_fail(r, "cannot allocate %s buffers: %s", name, seqnn_last_error());
    } else {
        *field = seqnn_at(exact, 0);
        if (seqnn_kernel_check(id, args, msg, sizeof msg) != SEQNN_OK)
            cf_fail(r, "%s: argument check refused %s in a buffer of exactly %lld elements: %s",
                    seqnn_kernel_name(id), name, (long long)extent, msg);
        *field = seqnn_at(shorter, 0);
        if (seqnn_kernel_check(id, args, msg, sizeof msg) != SEQNN_ERR_INVALID_ARG)
            cf_fail(r, "%s: argument check accepted %s in a buffer of %lld elements (it needs %lld)",
                    seqnn_kernel_name(id), name, (long long)(extent - 1), (long long)extent);
    }
    *field = saved;
    seqnn_buffer_free(ctx, exact);
    seqnn_buffer_free(ctx, shorter);
}

/* --------------------------------------------------------------- checks */
void cf_begin(cf_run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->check_name, sizeof r->check_name, fmt, ap);
    va_end(ap);
    r->check_failed = 0;
    r->sampled = 0;
    r->in_check = 1;
    r->checks++;
    if (r->verbose)
        fprintf(stderr, "  check %s\n", r->check_name);
}

static void tensor_free(cf_run *r, cf_tensor *t)
{
    free(t->orc);
    free(t->r32);
    free(t->iorc);
    free(t->ir32);
    free(t->init32);
    free(t->initi);
    free(t->sample_idx);
    free(t->sample_val);
    free(t->orc0);
    if (t->dev)
        seqnn_buffer_free(r->ctx, t->dev);
    free(t);
}

static void replay_free(cf_run *r);

void cf_end(cf_run *r)
{
    replay_free(r);
    while (r->tensors) {
        cf_tensor *t = r->tensors;
        r->tensors = t->next;
        tensor_free(r, t);
    }
    r->in_check = 0;
}

/* ------------------------------------------------------------- tensors */
static float bits_f32(uint32_t b)
{
    float f;
    memcpy(&f, &b, 4);
    return f;
}

static uint32_t f32_bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

/* Creates a tensor with storage on all sides; values (count, may be NULL)
 * become the content on every side. */
static cf_tensor *tensor_new(cf_run *r, const char *name, int64_t count, enum role role, int is_int)
{
    if (!r->in_check) {
        fprintf(stderr, "conformance: tensor %s created outside cf_begin/cf_end\n", name);
        abort();
    }
    if (count < 0)
        count = 0;
    cf_tensor *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    snprintf(t->name, sizeof t->name, "%s", name);
    t->role = role;
    t->is_int = is_int;
    t->count = count;
    t->total = count + 2 * GUARD;
    t->k = -1;
    size_t n = (size_t)t->total;
    int ok;
    if (is_int) {
        t->iorc = calloc(n, 4);
        t->ir32 = calloc(n, 4);
        t->initi = calloc(n, 4);
        ok = t->iorc && t->ir32 && t->initi;
    } else {
        t->orc = calloc(n, 8);
        t->r32 = calloc(n, 4);
        t->init32 = calloc(n, 4);
        ok = t->orc && t->r32 && t->init32;
    }
    if (ok && seqnn_buffer_alloc(r->ctx, is_int ? SEQNN_I32 : SEQNN_F32, t->total, &t->dev) != SEQNN_OK) {
        cf_fail(r, "plugin cannot allocate %s (%lld elements): %s", name, (long long)t->total, seqnn_last_error());
        ok = 0;
    }
    if (!ok) {
        tensor_free(r, t);
        return NULL;
    }
    /* guards on every side */
    for (int64_t i = 0; i < GUARD; i++) {
        int64_t idx[2] = {i, t->total - 1 - i};
        for (int j = 0; j < 2; j++) {
            if (is_int) {
                t->initi[idx[j]] = GUARD_I32(r->tensor_serial);
            } else {
                t->init32[idx[j]] = bits_f32(GUARD_F32(r->tensor_serial));
            }
        }
    }
    r->tensor_serial++;
    t->view = *t->dev;
    t->next = r->tensors;
    r->tensors = t;
    return t;
}

/* Copies init32/initi to every side's storage and uploads to the plugin. */
static void tensor_publish(cf_run *r, cf_tensor *t)
{
    for (int64_t i = 0; i < t->total; i++) {
        if (t->is_int) {
            t->iorc[i] = t->initi[i];
            t->ir32[i] = t->initi[i];
        } else {
            t->orc[i] = (double)t->init32[i];
            t->r32[i] = t->init32[i];
        }
    }
    seqnn_status s = seqnn_buffer_write(r->ctx, t->dev, 0, t->is_int ? (const void *)t->initi : (const void *)t->init32,
                                        t->total);
    if (s != SEQNN_OK)
        cf_fail(r, "plugin cannot write %s: %s", t->name, seqnn_last_error());
}

/* A placeholder when a tensor cannot be made: the check has failed; later
 * calls are skipped, so cf_ref of it is never dereferenced by a kernel. */
static cf_tensor cf_dead_tensor;

static cf_tensor *float_tensor(cf_run *r, const char *name, int64_t count, enum role role,
                               const double *values, double lo, double hi, int poison)
{
    cf_tensor *t = tensor_new(r, name, count, role, 0);
    if (!t)
        return &cf_dead_tensor;
    for (int64_t i = 0; i < t->count; i++) {
        float v;
        if (poison)
            v = bits_f32(POISON_F32);
        else if (values)
            v = (float)values[i];
        else
            v = (float)cf_uniform(r, lo, hi);
        t->init32[GUARD + i] = v;
    }
    tensor_publish(r, t);
    if (poison) {
        /* the oracle and the float32 reference start from the same NaNs */
    }
    return t;
}

cf_tensor *cf_in(cf_run *r, const char *name, int64_t count, double lo, double hi)
{
    return float_tensor(r, name, count, ROLE_IN, NULL, lo, hi, 0);
}

cf_tensor *cf_in_values(cf_run *r, const char *name, int64_t count, const double *values)
{
    return float_tensor(r, name, count, ROLE_IN, values, 0, 0, 0);
}

cf_tensor *cf_out(cf_run *r, const char *name, int64_t count)
{
    return float_tensor(r, name, count, ROLE_OUT, NULL, 0, 0, 1);
}

cf_tensor *cf_inout(cf_run *r, const char *name, int64_t count, double lo, double hi)
{
    return float_tensor(r, name, count, ROLE_INOUT, NULL, lo, hi, 0);
}

cf_tensor *cf_scratch(cf_run *r, const char *name, int64_t count)
{
    return float_tensor(r, name, count, ROLE_SCRATCH, NULL, 0, 0, 1);
}

static cf_tensor *int_tensor(cf_run *r, const char *name, int64_t count, enum role role, const int32_t *values,
                             int32_t lo, int32_t hi, int poison)
{
    cf_tensor *t = tensor_new(r, name, count, role, 1);
    if (!t)
        return &cf_dead_tensor;
    for (int64_t i = 0; i < t->count; i++)
        t->initi[GUARD + i] = poison ? INT32_MIN : values ? values[i] : (int32_t)cf_randint(r, lo, hi);
    tensor_publish(r, t);
    return t;
}

cf_tensor *cf_in_int(cf_run *r, const char *name, int64_t count, int32_t lo, int32_t hi)
{
    return int_tensor(r, name, count, ROLE_IN, NULL, lo, hi, 0);
}

cf_tensor *cf_in_ints(cf_run *r, const char *name, int64_t count, const int32_t *values)
{
    return int_tensor(r, name, count, ROLE_IN, values, 0, 0, 0);
}

cf_tensor *cf_out_int(cf_run *r, const char *name, int64_t count)
{
    return int_tensor(r, name, count, ROLE_OUT, NULL, 0, 0, 1);
}

void cf_set_k(cf_tensor *t, double k)
{
    t->k = k;
}

seqnn_tref cf_ref(cf_tensor *t)
{
    seqnn_tref ref;
    if (t == &cf_dead_tensor || !t) {
        ref.buf = NULL;
        ref.off = 0;
        return ref;
    }
    ref.buf = &t->view;
    ref.off = GUARD;
    return ref;
}

double *cf_values(cf_tensor *t)
{
    return t && t->orc ? t->orc + GUARD : NULL;
}

int32_t *cf_ints(cf_tensor *t)
{
    return t && t->iorc ? t->iorc + GUARD : NULL;
}

int64_t cf_count(const cf_tensor *t)
{
    return t ? t->count : 0;
}

/* Points every tensor's view at one side's storage. */
static void set_side(cf_run *r, enum side side)
{
    for (cf_tensor *t = r->tensors; t; t = t->next) {
        t->view = *t->dev;
        if (side == SIDE_PLUGIN)
            continue;
        if (t->is_int) {
            t->view.handle = side == SIDE_ORACLE ? t->iorc : t->ir32;
        } else {
            t->view.handle = side == SIDE_ORACLE ? (void *)t->orc : (void *)t->r32;
            t->view.dtype = side == SIDE_ORACLE ? SEQNN_F64 : SEQNN_F32;
        }
    }
}

/* --------------------------------------------------------------- calls */
typedef seqnn_status (*cf_kernel_fn)(const seqnn_call *, const void *);

#define SEQNN_KERNEL(name, type, doc)                                                     \
    static seqnn_status oracle_##name(const seqnn_call *c, const void *a)               \
    { return seqnn_ref_f64_##name(c, (const type *)a); }                                 \
    static seqnn_status ref32_##name(const seqnn_call *c, const void *a)                \
    { return seqnn_ref_f32_##name(c, (const type *)a); }
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL

static const cf_kernel_fn oracle_table[] = {
#define SEQNN_KERNEL(name, type, doc) oracle_##name,
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
};
static const cf_kernel_fn ref32_table[] = {
#define SEQNN_KERNEL(name, type, doc) ref32_##name,
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
};

/* Runs a reference kernel on one of the host sides. */
static seqnn_status run_host(cf_run *r, enum side side, seqnn_kernel_id id, const void *args, char *msg,
                             size_t msg_size)
{
    seqnn_call call = {NULL, msg, msg_size};
    msg[0] = '\0';
    set_side(r, side);
    seqnn_status s = (side == SIDE_ORACLE ? oracle_table : ref32_table)[id](&call, args);
    set_side(r, SIDE_PLUGIN);
    return s;
}

int cf_require(cf_run *r, seqnn_kernel_id id)
{
    if ((int)id >= 0 && id < SEQNN_KERNEL_COUNT && r->present[id])
        return 1;
    if (!r->absent[0])
        snprintf(r->absent, sizeof r->absent, "%s", seqnn_kernel_name(id) ? seqnn_kernel_name(id) : "?");
    r->check_failed = 1;                 /* stops the check; not counted as a failure */
    return 0;
}

seqnn_status cf_plugin_run(cf_run *r, seqnn_kernel_id id, const void *args)
{
    seqnn_status s = seqnn_kernel_run(r->ctx, id, args);
    r->ran += s == SEQNN_OK;
    return s;
}

int cf_declined(cf_run *r, seqnn_kernel_id id, const void *args)
{
    const char *name = seqnn_kernel_name(id);
    char why[240];
    if (seqnn_kernel_accepts(r->ctx, 0, id, args, why, sizeof why) != SEQNN_ERR_UNSUPPORTED)
        return 0;
    if (!r->first_declined[0])
        snprintf(r->first_declined, sizeof r->first_declined, "[%.200s] %s: %s", r->check_name, name, why);
    r->declined++;
    r->check_failed = 1;                 /* stops the check; not counted as a failure */
    return 1;
}

/* 1 when the current check holds a plugin-private scratch tensor. */
static int has_scratch(const cf_run *r)
{
    for (const cf_tensor *t = r->tensors; t; t = t->next)
        if (t->role == ROLE_SCRATCH)
            return 1;
    return 0;
}

/* The float32 reference's storage of every tensor a kernel may write, copied
 * (NULL where it is an input), to see afterwards which elements it wrote. */
static void **ref32_snapshot(cf_run *r)
{
    int n = 0;
    for (cf_tensor *t = r->tensors; t; t = t->next)
        n++;
    void **copies = calloc((size_t)n + 1, sizeof *copies);
    if (!copies)
        return NULL;
    int i = 0;
    for (cf_tensor *t = r->tensors; t; t = t->next, i++) {
        if (t->role == ROLE_IN)
            continue;
        size_t bytes = (size_t)t->total * 4;
        copies[i] = malloc(bytes);
        if (copies[i])
            memcpy(copies[i], t->is_int ? (void *)t->ir32 : (void *)t->r32, bytes);
    }
    return copies;
}

static void ref32_snapshot_free(const cf_run *r, void **copies)
{
    int i = 0;
    for (const cf_tensor *t = r->tensors; t; t = t->next, i++)
        free(copies[i]);
    free(copies);
}

/* Writes into the plugin's tensors every element the float32 reference's
 * call changed since the snapshot (which it frees). */
static void feed_plugin(cf_run *r, void **copies, const char *name)
{
    int i = 0;
    for (cf_tensor *t = r->tensors; t; t = t->next, i++) {
        const unsigned char *was = copies[i];
        const unsigned char *now = t->is_int ? (const unsigned char *)t->ir32 : (const unsigned char *)t->r32;
        int changed = 0;
        for (int64_t e = 0; was && !changed && e < t->total; e++)
            changed = memcmp(was + 4 * e, now + 4 * e, 4) != 0;
        if (!changed)
            continue;
        unsigned char *dev = malloc((size_t)t->total * 4);
        if (!dev || seqnn_buffer_read(r->ctx, t->dev, 0, dev, t->total) != SEQNN_OK) {
            cf_fail(r, "feeding the reference's %s into the plugin: cannot read %s: %s", name, t->name,
                    seqnn_last_error());
            free(dev);
            break;
        }
        for (int64_t e = 0; e < t->total; e++)
            if (memcmp(was + 4 * e, now + 4 * e, 4) != 0)
                memcpy(dev + 4 * e, now + 4 * e, 4);
        if (seqnn_buffer_write(r->ctx, t->dev, 0, dev, t->total) != SEQNN_OK)
            cf_fail(r, "feeding the reference's %s into the plugin: cannot write %s: %s", name, t->name,
                    seqnn_last_error());
        free(dev);
    }
    ref32_snapshot_free(r, copies);
}

/* ---------------------------------------------------------- conditioning
 * A check's budget assumes a well-conditioned result. Where the inputs make
 * the exact result sensitive (a sum that cancels to almost nothing, then a
 * nonlinearity), a correct kernel that merely rounds in another order can
 * exceed it while the float32 reference, rounding luckily, does not. So
 * before a comparison fails, the check measures its own conditioning: the
 * oracle's calls of the check are replayed in float64 from their inputs
 * perturbed by a relative delta = ceil(log2(k + 1)) * eps_f32 (each element
 * times 1 +- delta, random signs; twice), and the output's normwise change
 * is its conditioning c. A backward-stable kernel's result is the exact
 * result for inputs within such a perturbation, so an error up to
 * CF_BUDGET_C * c is what rounding explains; for a well-conditioned result
 * c is about delta and that equals the base budget, so nothing that held
 * before is loosened. The replay must first reproduce the oracle's values
 * bit for bit (else no conditioning is credited). */
#define CF_REPLAY_MAX 64
typedef union cf_any_args {
#define SEQNN_KERNEL(name, type, doc) type name;
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
} cf_any_args;

static const size_t args_size[] = {
#define SEQNN_KERNEL(name, type, doc) sizeof(type),
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
};

struct cf_replay {
    int n;                               /* calls recorded; > CF_REPLAY_MAX: too many, none credited */
    int done;                            /* conditioning measured for this check */
    seqnn_kernel_id id[CF_REPLAY_MAX];
    cf_any_args args[CF_REPLAY_MAX];
};

static void replay_free(cf_run *r)
{
    free(r->replay);
    r->replay = NULL;
}

/* Before an oracle call: records it, and snapshots the oracle's values of
 * every float tensor not yet snapshotted. 0 when out of memory (failed). */
static int replay_record(cf_run *r, seqnn_kernel_id id, const void *args)
{
    if (!r->replay && !(r->replay = calloc(1, sizeof *r->replay))) {
        cf_fail(r, "out of host memory");
        return 0;
    }
    struct cf_replay *p = r->replay;
    for (cf_tensor *t = r->tensors; t; t = t->next)
        if (!t->is_int && !t->orc0) {
            if (!(t->orc0 = malloc((size_t)t->total * sizeof *t->orc0))) {
                cf_fail(r, "out of host memory");
                return 0;
            }
            memcpy(t->orc0, t->orc, (size_t)t->total * sizeof *t->orc0);
        }
    if (p->n < CF_REPLAY_MAX) {
        p->id[p->n] = id;
        memcpy(&p->args[p->n], args, args_size[id]);
    }
    p->n++;
    p->done = 0;
    return 1;
}

static double normwise(const double *oracle, const double *got, int64_t n, int64_t *worst);

/* Replays the recorded oracle calls from the snapshots, each input and
 * in-out element scaled by 1 + delta * (a random sign) (delta 0: as
 * recorded). 0 when a call fails. */
static int replay_run(cf_run *r, double delta, uint64_t *rng)
{
    for (cf_tensor *t = r->tensors; t; t = t->next) {
        if (t->is_int || !t->orc0)
            continue;
        memcpy(t->orc, t->orc0, (size_t)t->total * sizeof *t->orc);
        if (delta == 0 || (t->role != ROLE_IN && t->role != ROLE_INOUT))
            continue;
        for (int64_t i = GUARD; i < t->total - GUARD; i++)
            t->orc[i] *= 1 + ((splitmix(rng) >> 63) ? delta : -delta);
    }
    for (int c = 0; c < r->replay->n; c++) {
        char msg[256];
        if (run_host(r, SIDE_ORACLE, r->replay->id[c], &r->replay->args[c], msg, sizeof msg) != SEQNN_OK)
            return 0;
    }
    return 1;
}

/* Sets t->cond of every float tensor of the check (0 where nothing can be
 * credited), once per check; the oracle's values are left as they were. */
static void check_conditioning(cf_run *r, double k)
{
    struct cf_replay *p = r->replay;
    if (!p || p->done)
        return;
    p->done = 1;
    int n = 0;
    for (cf_tensor *t = r->tensors; t; t = t->next, n++)
        t->cond = 0;
    double **saved = calloc((size_t)n + 1, sizeof *saved);
    int ok = saved && p->n <= CF_REPLAY_MAX;
    n = 0;
    for (cf_tensor *t = r->tensors; ok && t; t = t->next, n++) {
        if (t->is_int)
            continue;
        ok = t->orc0 && (saved[n] = malloc((size_t)t->total * sizeof **saved));
        if (ok)
            memcpy(saved[n], t->orc, (size_t)t->total * sizeof **saved);
    }
    uint64_t rng = 0x636f6e6469746e73ull ^ (uint64_t)r->checks;
    ok = ok && replay_run(r, 0, &rng);
    n = 0;
    for (cf_tensor *t = r->tensors; ok && t; t = t->next, n++)
        ok = t->is_int || !memcmp(t->orc, saved[n], (size_t)t->total * sizeof **saved);
    const double delta = ceil(log2(k < 1 ? 2 : k + 1)) * CF_EPS_F32;
    for (int round = 0; ok && round < 2; round++) {
        ok = replay_run(r, delta, &rng);
        n = 0;
        for (cf_tensor *t = r->tensors; ok && t; t = t->next, n++) {
            int64_t worst;
            if (t->is_int)
                continue;
            double c = normwise(saved[n] + GUARD, t->orc + GUARD, t->count, &worst);
            if (isfinite(c) && c > t->cond)
                t->cond = c;
        }
    }
    n = 0;
    for (cf_tensor *t = r->tensors; t; t = t->next, n++) {
        if (!ok)
            t->cond = 0;
        if (saved && saved[n])
            memcpy(t->orc, saved[n], (size_t)t->total * sizeof **saved);
        free(saved ? saved[n] : NULL);
    }
    free(saved);
}

/* Runs the kernel on the oracle (unless sampled), the float32 reference and
 * the plugin; a preparing call (conformance.h) gives the plugin the float32
 * reference's results instead. */
static void call_sides(cf_run *r, seqnn_kernel_id id, const void *args, int sampled)
{
    if (r->check_failed)
        return;
    const char *name = seqnn_kernel_name(id);
    char msg[1024];
    /* the plugin's argument check first: a test must only make valid calls */
    if (seqnn_kernel_check(id, args, msg, sizeof msg) != SEQNN_OK) {
        cf_fail(r, "test bug: invalid arguments for %s: %s", name, msg);
        return;
    }
    seqnn_status s = SEQNN_OK;
    if (sampled)
        r->sampled = 1;
    else if (!replay_record(r, id, args))
        return;
    else
        s = run_host(r, SIDE_ORACLE, id, args, msg, sizeof msg);
    if (s != SEQNN_OK) {
        cf_fail(r, "oracle %s failed: %s: %s", name, seqnn_status_name(s), msg);
        return;
    }
    int prepare = r->kernel >= 0 && (int)id != r->kernel && !(r->present[id] && has_scratch(r));
    void **copies = NULL;
    if (prepare && !(copies = ref32_snapshot(r))) {
        cf_fail(r, "out of host memory");
        return;
    }
    s = run_host(r, SIDE_REF32, id, args, msg, sizeof msg);
    if (s != SEQNN_OK) {
        cf_fail(r, "float32 reference %s failed: %s: %s", name, seqnn_status_name(s), msg);
        prepare = 0;
    }
    if (copies) {
        if (prepare)
            feed_plugin(r, copies, name);
        else
            ref32_snapshot_free(r, copies);
        return;
    }
    if (s != SEQNN_OK)
        return;
    if (!cf_require(r, id) || cf_declined(r, id, args))
        return;
    s = cf_plugin_run(r, id, args);
    if (s == SEQNN_ERR_UNSUPPORTED)
        r->unsupported = 1;
    if (s != SEQNN_OK)
        cf_fail(r, "plugin %s failed: %s: %s", name, seqnn_status_name(s), seqnn_last_error());
}

void cf_call(cf_run *r, seqnn_kernel_id id, const void *args)
{
    call_sides(r, id, args, 0);
}

void cf_call_sampled(cf_run *r, seqnn_kernel_id id, const void *args)
{
    call_sides(r, id, args, 1);
}

void cf_sample(cf_tensor *t, int64_t n, const int64_t *idx, const double *values)
{
    if (!t || !t->orc || n <= 0)
        return;
    if (n > t->count)
        n = t->count;
    free(t->sample_idx);
    free(t->sample_val);
    t->sample_idx = malloc((size_t)n * sizeof *t->sample_idx);
    t->sample_val = malloc((size_t)n * sizeof *t->sample_val);
    t->n_samples = t->sample_idx && t->sample_val ? n : 0;
    for (int64_t i = 0; i < t->n_samples; i++) {
        t->sample_idx[i] = idx[i] >= 0 && idx[i] < t->count ? idx[i] : 0;
        t->sample_val[i] = values[i];
    }
}

const seqnn_boundary *cf_structure(cf_run *r, int64_t *count, int *declared)
{
    const seqnn_boundary *list = NULL;
    *count = 0;
    if (seqnn_context_structure(r->ctx, &list, count, declared) != SEQNN_OK) {
        cf_fail(r, "structure query failed: %s", seqnn_last_error());
        return NULL;
    }
    for (int64_t i = 0; i < *count; i++) {
        const seqnn_boundary *b = &list[i];
        if (b->kernel < -1 || b->kernel >= SEQNN_KERNEL_COUNT || b->dim < 0 || b->dim >= SEQNN_DIM_COUNT ||
            b->value < 1) {
            cf_fail(r, "structure query: entry %lld is malformed (kernel %d, dim %d, value %lld, \"%s\")",
                    (long long)i, (int)b->kernel, (int)b->dim, (long long)b->value, b->what ? b->what : "");
            *count = 0;
            return NULL;
        }
    }
    return list;
}

/* Normwise error of got against the oracle over n elements. */
static double normwise(const double *oracle, const double *got, int64_t n, int64_t *worst)
{
    double scale = 0, err = 0;
    *worst = 0;
    for (int64_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(oracle[i]));
    if (scale == 0)
        scale = 1;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs(got[i] - oracle[i]);
        if (isnan(got[i]) || isnan(e)) {
            *worst = i;
            return INFINITY;
        }
        if (e > err) {
            err = e;
            *worst = i;
        }
    }
    return err / scale;
}

static double budget_base(double k)
{
    return CF_BUDGET_C * ceil(log2(k < 1 ? 2 : k + 1)) * CF_EPS_F32;
}

/* NaN-aware comparison of a cf_set_nonfinite tensor: where the oracle holds
 * NaN the plugin must hold NaN, where it holds +-Inf the same infinity, and
 * elsewhere a finite value. Returns the oracle with its non-finite elements
 * set to 0 (malloc'ed; the caller frees it) and fills got / ref32 likewise,
 * so the normwise comparison runs over the finite elements; NULL after a
 * failure. */
static double *nonfinite_split(cf_run *r, cf_tensor *t, const float *got32, double *got, double *ref32)
{
    const double *o = t->orc + GUARD;
    double *masked = malloc((size_t)t->count * sizeof *masked);
    if (!masked) {
        cf_fail(r, "out of host memory");
        return NULL;
    }
    for (int64_t i = 0; i < t->count; i++) {
        const double g = (double)got32[i];
        const int ok = isnan(o[i]) ? isnan(g) : isinf(o[i]) ? g == o[i] : isfinite(g);
        if (f32_bits(got32[i]) == POISON_NONFINITE_F32) {
            cf_fail(r, "%s[%lld] was never written (oracle %.9g)", t->name, (long long)i, o[i]);
            free(masked);
            return NULL;
        }
        if (!ok) {
            cf_fail(r, "%s[%lld]: got %.9g, oracle %.9g (NaN and infinities must match the oracle's)",
                    t->name, (long long)i, g, o[i]);
            free(masked);
            return NULL;
        }
        const int finite = isfinite(o[i]);
        masked[i] = finite ? o[i] : 0;
        got[i] = finite ? g : 0;
        ref32[i] = finite ? (double)t->r32[GUARD + i] : 0;
    }
    return masked;
}

/* Records err / budget as the kernel's worst ratio when it is the worst. */
static void note_ratio(cf_run *r, double err, double budget)
{
    if (err / budget > r->worst_ratio)
        r->worst_ratio = err / budget;
}

/* A sampled call's output t (got32 read back, guards checked): the plugin
 * against the oracle's samples under the kernel's budget (the float32
 * reference's own error measured on the same samples), and against the
 * float32 reference everywhere under twice that budget (the plugin's error
 * plus the reference's own). */
static void compare_sampled(cf_run *r, cf_tensor *t, double k, const float *got32, double *tmp_a, double *tmp_b)
{
    const double kk = t->k >= 0 ? t->k : k, base = budget_base(kk);
    const int64_t n = t->n_samples;
    int64_t worst, worst32;
    if (n == 0)
        return cf_fail(r, "test bug: %s has no oracle samples for a sampled call", t->name);
    double *got_s = tmp_a, *r32_s = tmp_b;     /* n <= count (cf_sample) */
    for (int64_t i = 0; i < n; i++) {
        got_s[i] = (double)got32[GUARD + t->sample_idx[i]];
        r32_s[i] = (double)t->r32[GUARD + t->sample_idx[i]];
    }
    int64_t ws;
    const double err_s = normwise(t->sample_val, got_s, n, &ws);
    const double got_worst = got_s[ws];
    const double err32 = normwise(t->sample_val, r32_s, n, &worst32);
    const double budget = fmax(base, isfinite(err32) ? 4 * err32 : 0);
    /* everywhere: NaN, poison left unwritten, any element far from the reference */
    for (int64_t i = 0; i < t->count; i++) {
        tmp_a[i] = (double)got32[GUARD + i];
        tmp_b[i] = (double)t->r32[GUARD + i];
    }
    const double err = normwise(tmp_b, tmp_a, t->count, &worst);
    note_ratio(r, err, 2 * budget);
    if (!(err <= 2 * budget)) {
        if (isnan(tmp_a[worst]))
            return cf_fail(r, "%s[%lld] is NaN (%s), float32 reference %.9g", t->name, (long long)worst,
                           f32_bits(got32[GUARD + worst]) == POISON_F32 ? "never written" : "computed", tmp_b[worst]);
        return cf_fail(r, "%s: normwise difference %.3g from the float32 reference exceeds %.3g (twice the budget for "
                          "k=%g); worst at [%lld]: got %.9g, float32 reference %.9g",
                       t->name, err, 2 * budget, kk, (long long)worst, tmp_a[worst], tmp_b[worst]);
    }
    note_ratio(r, err_s, budget);
    if (!(err_s <= budget))
        cf_fail(r, "%s: normwise error %.3g on %lld oracle samples exceeds budget %.3g (k=%g; float32 reference's own "
                   "error %.3g); worst at [%lld]: got %.9g, oracle %.9g",
                t->name, err_s, (long long)n, budget, kk, err32, (long long)t->sample_idx[ws], got_worst,
                t->sample_val[ws]);
}

static void compare_tensor(cf_run *r, cf_tensor *t, double k, float *got32, int32_t *goti, double *tmp_a,
                           double *tmp_b)
{
    if (t->is_int) {
        if (seqnn_buffer_read(r->ctx, t->dev, 0, goti, t->total) != SEQNN_OK) {
            cf_fail(r, "cannot read %s back: %s", t->name, seqnn_last_error());
            return;
        }
        for (int64_t i = 0; i < t->total; i++) {
            int guard = i < GUARD || i >= t->total - GUARD;
            int32_t want = guard || t->role == ROLE_IN ? t->initi[i] : t->iorc[i];
            if (t->role == ROLE_SCRATCH && !guard)
                continue;
            if (goti[i] != want) {
                cf_fail(r, "%s[%lld]%s: got %d, expected %d", t->name, (long long)(i - GUARD),
                        guard ? " (guard: written out of bounds)" : t->role == ROLE_IN ? " (input modified)" : "",
                        goti[i], want);
                return;
            }
        }
        return;
    }
    if (seqnn_buffer_read(r->ctx, t->dev, 0, got32, t->total) != SEQNN_OK) {
        cf_fail(r, "cannot read %s back: %s", t->name, seqnn_last_error());
        return;
    }
    for (int64_t i = 0; i < t->total; i++) {
        int guard = i < GUARD || i >= t->total - GUARD;
        if ((guard || t->role == ROLE_IN) && f32_bits(got32[i]) != f32_bits(t->init32[i])) {
            cf_fail(r, "%s[%lld]: %s (got %g)", t->name, (long long)(i - GUARD),
                    guard ? "guard overwritten: the plugin wrote out of bounds" : "input modified by the plugin",
                    (double)got32[i]);
            return;
        }
    }
    if (t->role == ROLE_IN || t->role == ROLE_SCRATCH || t->count == 0)
        return;
    if (r->sampled) {
        compare_sampled(r, t, k, got32, tmp_a, tmp_b);
        return;
    }
    const double *o = t->orc + GUARD;
    if (t->nonfinite && !(o = nonfinite_split(r, t, got32 + GUARD, tmp_a, tmp_b)))
        return;
    for (int64_t i = 0; i < t->count && !t->nonfinite; i++) {
        if (isnan(o[i])) {
            cf_fail(r, "test bug: oracle left %s[%lld] NaN", t->name, (long long)i);
            return;
        }
        tmp_a[i] = (double)got32[GUARD + i];
        tmp_b[i] = (double)t->r32[GUARD + i];
    }
    int64_t worst, worst32;
    double err = normwise(o, tmp_a, t->count, &worst);
    double err32 = normwise(o, tmp_b, t->count, &worst32);
    double kk = t->k >= 0 ? t->k : k;
    double base = budget_base(kk);
    double budget = fmax(base, isfinite(err32) ? 4 * err32 : 0);
    if (!(err <= budget) && isfinite(err)) {   /* what the check's own conditioning explains */
        check_conditioning(r, kk);
        if (CF_BUDGET_C * t->cond > budget) {
            budget = CF_BUDGET_C * t->cond;
            r->conditioned += err <= budget;
        }
    }
    note_ratio(r, err, budget);
    if (!(err <= budget)) {
        if (isnan(tmp_a[worst]))
            cf_fail(r, "%s[%lld] is NaN (%s), oracle %.9g", t->name, (long long)worst,
                    f32_bits(got32[GUARD + worst]) == POISON_F32 ? "never written" : "computed",
                    o[worst]);
        else
            cf_fail(r, "%s: normwise error %.3g exceeds budget %.3g (k=%g; float32 reference's own error %.3g); "
                       "worst at [%lld]: got %.9g, oracle %.9g",
                    t->name, err, budget, kk, err32, (long long)worst, tmp_a[worst], o[worst]);
    }
    if (t->nonfinite)
        free((void *)o);
}

void cf_compare(cf_run *r, double k)
{
    if (r->check_failed)
        return;
    int64_t max_total = 0;
    for (cf_tensor *t = r->tensors; t; t = t->next)
        if (t->total > max_total)
            max_total = t->total;
    float *got32 = malloc((size_t)max_total * 4 + 4);
    int32_t *goti = malloc((size_t)max_total * 4 + 4);
    double *a = malloc((size_t)max_total * 8 + 8), *b = malloc((size_t)max_total * 8 + 8);
    if (!got32 || !goti || !a || !b) {
        cf_fail(r, "out of host memory");
    } else {
        for (cf_tensor *t = r->tensors; t && !r->check_failed; t = t->next)
            compare_tensor(r, t, k, got32, goti, a, b);
    }
    free(got32);
    free(goti);
    free(a);
    free(b);
}

void cf_check(cf_run *r, seqnn_kernel_id id, const void *args, double k)
{
    cf_call(r, id, args);
    cf_compare(r, k);
}

void cf_compare_exact(cf_run *r, cf_tensor *t)
{
    if (r->check_failed || t->is_int || !t->r32)
        return;
    float *got = malloc((size_t)t->total * sizeof *got + 4);
    if (!got) {
        cf_fail(r, "out of host memory");
        return;
    }
    if (seqnn_buffer_read(r->ctx, t->dev, 0, got, t->total) != SEQNN_OK)
        cf_fail(r, "cannot read %s back: %s", t->name, seqnn_last_error());
    else
        for (int64_t i = 0; i < t->total; i++)
            if (f32_bits(got[i]) != f32_bits(t->r32[i])) {
                cf_fail(r, "%s[%lld]: bits 0x%08x, expected 0x%08x (the float32 reference's, bit for bit)", t->name,
                        (long long)(i - GUARD), (unsigned)f32_bits(got[i]), (unsigned)f32_bits(t->r32[i]));
                break;
            }
    free(got);
}

void cf_expect(cf_run *r, const char *what, const float *got, const double *expected, int64_t n, double k)
{
    if (r->check_failed)
        return;
    double *g = malloc((size_t)(n > 0 ? n : 1) * sizeof *g);
    if (!g) {
        cf_fail(r, "out of host memory");
        return;
    }
    for (int64_t i = 0; i < n; i++)
        g[i] = (double)got[i];
    int64_t worst;
    double err = normwise(expected, g, n, &worst);
    double budget = budget_base(k);
    note_ratio(r, err, budget);
    if (!(err <= budget))
        cf_fail(r, "%s: normwise error %.3g against expected exceeds budget %.3g (k=%g); worst at [%lld]: got %.9g, "
                   "expected %.9g",
                what, err, budget, k, (long long)worst, n ? g[worst] : 0.0, n ? expected[worst] : 0.0);
    free(g);
}

/* ----------------------------------------------------- finite differences */
/* In-place forward kernels (bias_add: y += b) change their in-out tensors, so
 * every forward evaluation of a gradient check starts from the values the
 * check began with: snapshot() saves the oracle side of every in-out tensor
 * other than the perturbed inputs and their gradients, restore() puts it back. */
static double **snapshot(cf_run *r, int n_in, cf_tensor *const *inputs, cf_tensor *const *grads)
{
    int n = 0;
    for (cf_tensor *t = r->tensors; t; t = t->next)
        n++;
    double **saved = calloc((size_t)n + 1, sizeof *saved);
    int i = 0;
    for (cf_tensor *t = r->tensors; saved && t; t = t->next, i++) {
        int perturbed = 0;
        for (int j = 0; j < n_in; j++)
            perturbed |= inputs[j] == t || grads[j] == t;
        if (t->role != ROLE_INOUT || t->is_int || perturbed)
            continue;
        saved[i] = malloc((size_t)t->total * sizeof(double));
        if (saved[i])
            memcpy(saved[i], t->orc, (size_t)t->total * sizeof(double));
    }
    return saved;
}

static void restore(cf_run *r, double **saved)
{
    int i = 0;
    for (cf_tensor *t = r->tensors; saved && t; t = t->next, i++)
        if (saved[i])
            memcpy(t->orc, saved[i], (size_t)t->total * sizeof(double));
}

static void snapshot_free(cf_run *r, double **saved)
{
    int i = 0;
    for (cf_tensor *t = r->tensors; saved && t; t = t->next, i++)
        free(saved[i]);
    free(saved);
}

static double oracle_objective(cf_run *r, seqnn_kernel_id fwd, const void *args, int n_out,
                               cf_tensor *const *out, cf_tensor *const *dout, double **saved, int *ok)
{
    char msg[1024];
    restore(r, saved);
    if (run_host(r, SIDE_ORACLE, fwd, args, msg, sizeof msg) != SEQNN_OK) {
        cf_fail(r, "gradcheck: oracle %s failed: %s", seqnn_kernel_name(fwd), msg);
        *ok = 0;
        return 0;
    }
    double L = 0;
    for (int j = 0; j < n_out; j++)
        for (int64_t i = 0; i < out[j]->count; i++)
            L += (dout[j] ? dout[j]->orc[GUARD + i] : 1.0) * out[j]->orc[GUARD + i];
    return L;
}

static void gradcheck_inputs(cf_run *r, seqnn_kernel_id fwd, seqnn_kernel_id bwd, const void *args, int n_in,
                             cf_tensor *const *inputs, cf_tensor *const *grads, int n_out, cf_tensor *const *out,
                             cf_tensor *const *dout, double **saved);

void cf_gradcheck(cf_run *r, seqnn_kernel_id fwd, seqnn_kernel_id bwd, const void *args, int n_in,
                  cf_tensor *const *inputs, cf_tensor *const *grads, int n_out, cf_tensor *const *out,
                  cf_tensor *const *dout)
{
    if (r->check_failed)
        return;
    for (int i = 0; i < n_in; i++)
        if (inputs[i] == &cf_dead_tensor || grads[i] == &cf_dead_tensor || inputs[i]->is_int)
            return cf_fail(r, "gradcheck: bad tensor %d", i);
    double **saved = snapshot(r, n_in, inputs, grads);
    if (!saved)
        return cf_fail(r, "out of host memory");
    gradcheck_inputs(r, fwd, bwd, args, n_in, inputs, grads, n_out, out, dout, saved);
    snapshot_free(r, saved);
}

static void gradcheck_inputs(cf_run *r, seqnn_kernel_id fwd, seqnn_kernel_id bwd, const void *args, int n_in,
                             cf_tensor *const *inputs, cf_tensor *const *grads, int n_out, cf_tensor *const *out,
                             cf_tensor *const *dout, double **saved)
{
    int ok = 1;
    oracle_objective(r, fwd, args, n_out, out, dout, saved, &ok);
    if (!ok)
        return;
    for (int i = 0; i < n_in; i++)
        for (int64_t e = 0; e < grads[i]->count; e++)
            grads[i]->orc[GUARD + e] = 0;
    char msg[1024];
    if (run_host(r, SIDE_ORACLE, bwd, args, msg, sizeof msg) != SEQNN_OK)
        return cf_fail(r, "gradcheck: oracle %s failed: %s", seqnn_kernel_name(bwd), msg);
    for (int i = 0; i < n_in; i++) {
        cf_tensor *x = inputs[i], *g = grads[i];
        if (g->count != x->count)
            return cf_fail(r, "gradcheck: %s and %s differ in size", x->name, g->name);
        double *analytic = malloc((size_t)(g->count > 0 ? g->count : 1) * sizeof *analytic);
        if (!analytic)
            return cf_fail(r, "out of host memory");
        double gscale = 0;
        for (int64_t e = 0; e < g->count; e++) {
            analytic[e] = g->orc[GUARD + e];
            gscale = fmax(gscale, fabs(analytic[e]));
        }
        int64_t probes = x->count < 8 ? x->count : 8;
        for (int64_t p = 0; p < probes && ok; p++) {
            int64_t e = x->count <= 8 ? p : cf_randint(r, 0, x->count - 1);
            double orig = x->orc[GUARD + e];
            double h = 1e-6 * fmax(1.0, fabs(orig));
            x->orc[GUARD + e] = orig + h;
            double lp = oracle_objective(r, fwd, args, n_out, out, dout, saved, &ok);
            x->orc[GUARD + e] = orig - h;
            double lm = oracle_objective(r, fwd, args, n_out, out, dout, saved, &ok);
            x->orc[GUARD + e] = orig;
            double numeric = (lp - lm) / (2 * h);
            double tol = 1e-5 * (fabs(numeric) + fabs(analytic[e]) + gscale) + 1e-9;
            if (ok && !(fabs(numeric - analytic[e]) <= tol)) {
                cf_fail(r, "gradcheck: d/d %s[%lld]: backward %.12g, finite difference %.12g", x->name,
                        (long long)e, analytic[e], numeric);
                ok = 0;
            }
        }
        free(analytic);
        if (!ok)
            return;
    }
    /* leave the oracle side as a plain forward would */
    oracle_objective(r, fwd, args, n_out, out, dout, saved, &ok);
}

/* ------------------------------------------- NaN-aware and change checks */
void cf_set_nonfinite(cf_run *r, cf_tensor *t)
{
    if (!t || t == &cf_dead_tensor || t->is_int)
        return;
    t->nonfinite = 1;
    if (t->role != ROLE_OUT)
        return;
    for (int64_t i = 0; i < t->count; i++)
        t->init32[GUARD + i] = bits_f32(POISON_NONFINITE_F32);
    tensor_publish(r, t);
}

cf_tensor *cf_inout_values(cf_run *r, const char *name, int64_t count, const double *values)
{
    return float_tensor(r, name, count, ROLE_INOUT, values, 0, 0, 0);
}

struct cf_snapshot {
    cf_tensor *t;
    double *orc;                         /* [count] oracle values when taken */
    float *r32, *dev;                    /* [count] float32 reference, [total] plugin */
};

cf_snapshot *cf_snapshot_take(cf_run *r, cf_tensor *t)
{
    if (r->check_failed || !t || t == &cf_dead_tensor || t->is_int)
        return NULL;
    cf_snapshot *s = calloc(1, sizeof *s);
    if (s) {
        s->t = t;
        s->orc = malloc((size_t)t->count * sizeof *s->orc + 8);
        s->r32 = malloc((size_t)t->count * sizeof *s->r32 + 4);
        s->dev = malloc((size_t)t->total * sizeof *s->dev);
    }
    if (!s || !s->orc || !s->r32 || !s->dev) {
        cf_fail(r, "out of host memory");
    } else if (seqnn_buffer_read(r->ctx, t->dev, 0, s->dev, t->total) != SEQNN_OK) {
        cf_fail(r, "cannot read %s back: %s", t->name, seqnn_last_error());
    } else {
        memcpy(s->orc, t->orc + GUARD, (size_t)t->count * sizeof *s->orc);
        memcpy(s->r32, t->r32 + GUARD, (size_t)t->count * sizeof *s->r32);
        return s;
    }
    cf_snapshot_free(s);
    return NULL;
}

void cf_snapshot_free(cf_snapshot *s)
{
    if (!s)
        return;
    free(s->orc);
    free(s->r32);
    free(s->dev);
    free(s);
}

void cf_compare_change(cf_run *r, cf_snapshot *s, double k)
{
    if (r->check_failed || !s)
        return;
    cf_tensor *t = s->t;
    const int64_t n = t->count;
    float *now = malloc((size_t)t->total * sizeof *now);
    double *orc = malloc((size_t)n * sizeof *orc + 8), *got = malloc((size_t)n * sizeof *got + 8),
           *r32 = malloc((size_t)n * sizeof *r32 + 8);
    if (!now || !orc || !got || !r32) {
        cf_fail(r, "out of host memory");
    } else if (seqnn_buffer_read(r->ctx, t->dev, 0, now, t->total) != SEQNN_OK) {
        cf_fail(r, "cannot read %s back: %s", t->name, seqnn_last_error());
    } else {
        for (int64_t i = 0; i < n; i++) {
            orc[i] = t->orc[GUARD + i] - s->orc[i];
            got[i] = (double)now[GUARD + i] - (double)s->dev[GUARD + i];
            r32[i] = (double)t->r32[GUARD + i] - (double)s->r32[i];
        }
        int64_t worst, worst32;
        const double err = normwise(orc, got, n, &worst);
        const double err32 = normwise(orc, r32, n, &worst32);
        const double budget = fmax(budget_base(k), isfinite(err32) ? 4 * err32 : 0);
        note_ratio(r, err, budget);
        if (!(err <= budget))
            cf_fail(r, "change of %s: normwise error %.3g exceeds budget %.3g (k=%g; float32 reference's own "
                       "error %.3g); worst at [%lld]: got %.9g, oracle %.9g",
                    t->name, err, budget, k, err32, (long long)worst, n ? got[worst] : 0.0,
                    n ? orc[worst] : 0.0);
    }
    free(now);
    free(orc);
    free(got);
    free(r32);
}

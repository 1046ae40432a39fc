/* Optimizer family of the SIMD plugins: SGD, RMSprop, Adam/AdamW, Adagrad
 * steps and the two halves of clip-by-norm (sumsq, clip_scale), each a single
 * streaming pass over its arrays (every element read and written once),
 * threaded over fixed chunks. The formulas and scalar coefficients are those
 * of the reference (plugins/ref/kernels/optim.inc, torch.optim's
 * single-tensor path); element-wise products may be fused (FMA). sumsq
 * reduces fixed chunks to partial sums added in chunk order, so its result
 * does not depend on the thread count. */
#include <math.h>
#include "common.h"
#include "simd_kernels.h"
#include "threads.h"

typedef void (*optim_range_fn)(const void *args, int64_t i0, int64_t i1);

typedef struct optim_job {
    const void *args;
    int64_t n;
    optim_range_fn fn;
    float *partial;                      /* sumsq: one per chunk */
} optim_job;

static void optim_task(void *ctx, int64_t task, int tid)
{
    const optim_job *j = ctx;
    int64_t i0 = task * SIMD_EW_CHUNK;
    (void)tid;
    j->fn(j->args, i0, simd_min64(j->n, i0 + SIMD_EW_CHUNK));
}

static void optim_run(const void *args, int64_t n, optim_range_fn fn)
{
    optim_job j = { args, n, fn, NULL };
    if (n > 0)
        simd_parallel_for(simd_ceil_div(n, SIMD_EW_CHUNK), optim_task, &j);
}

/* g = grad + wd * p, or grad when wd == 0 (PyTorch skips the add) */
static inline vf optim_decayed(vf g, vf p, float wd)
{
    return wd != 0.0f ? vf_fmadd(vf_set1(wd), p, g) : g;
}

/* ------------------------------------------------------------------ SGD --- */

static void sgd_range(const void *args, int64_t i0, int64_t i1)
{
    const seqnn_sgd_args *a = args;
    float *p = SP(a->param);                                  /* [n] */
    const float *grad = SP(a->grad);                          /* [n] */
    float *buf = a->momentum != 0 ? SP(a->momentum_buf) : NULL;
    const vf neg_lr = vf_set1((float)(-a->lr)), mom = vf_set1((float)a->momentum);
    const vf damp = vf_set1((float)(1.0 - a->dampening));
    const float wd = (float)a->weight_decay;
    for (int64_t i = i0; i < i1; i += VW) {
        int64_t n = simd_min64(VW, i1 - i);
        vf pv = vld(p + i, n);
        vf g = optim_decayed(vld(grad + i, n), pv, wd);
        if (buf) {
            vf b = a->step == 1 ? g : vf_fmadd(vld(buf + i, n), mom, vf_mul(damp, g));
            vst(buf + i, b, n);
            g = a->nesterov ? vf_fmadd(mom, b, g) : b;
        }
        vst(p + i, vf_fmadd(neg_lr, g, pv), n);
    }
}

seqnn_status simd_sgd_step(const seqnn_call *call, const seqnn_sgd_args *a)
{
    (void)call;
    optim_run(a, a->n, sgd_range);
    return SEQNN_OK;
}

/* -------------------------------------------------------------- RMSprop --- */

static void rmsprop_range(const void *args, int64_t i0, int64_t i1)
{
    const seqnn_rmsprop_args *a = args;
    float *p = SP(a->param), *sq = SP(a->square_avg);         /* [n] each */
    const float *grad = SP(a->grad);
    float *buf = a->momentum > 0 ? SP(a->momentum_buf) : NULL;
    float *ga = a->centered ? SP(a->grad_avg) : NULL;
    const vf neg_lr = vf_set1((float)(-a->lr)), alpha = vf_set1((float)a->alpha);
    const vf oma = vf_set1((float)(1.0 - a->alpha)), eps = vf_set1((float)a->eps);
    const vf mom = vf_set1((float)a->momentum);
    const float wd = (float)a->weight_decay;
    for (int64_t i = i0; i < i1; i += VW) {
        int64_t n = simd_min64(VW, i1 - i);
        vf pv = vld(p + i, n);
        vf g = optim_decayed(vld(grad + i, n), pv, wd);
        vf s = vf_fmadd(vld(sq + i, n), alpha, vf_mul(vf_mul(oma, g), g));
        vst(sq + i, s, n);
        vf avg;
        if (ga) {
            vf gav = vf_fmadd(vld(ga + i, n), alpha, vf_mul(oma, g));
            vst(ga + i, gav, n);
            avg = vf_add(vf_sqrt(vf_fnmadd(gav, gav, s)), eps);
        } else {
            avg = vf_add(vf_sqrt(s), eps);
        }
        if (buf) {
            vf b = vf_fmadd(vld(buf + i, n), mom, vf_div(g, avg));
            vst(buf + i, b, n);
            vst(p + i, vf_fmadd(neg_lr, b, pv), n);
        } else {
            vst(p + i, vf_add(pv, vf_div(vf_mul(neg_lr, g), avg)), n);
        }
    }
}

seqnn_status simd_rmsprop_step(const seqnn_call *call, const seqnn_rmsprop_args *a)
{
    (void)call;
    optim_run(a, a->n, rmsprop_range);
    return SEQNN_OK;
}

/* ----------------------------------------------------------------- Adam --- */

static void adam_range(const void *args, int64_t i0, int64_t i1)
{
    const seqnn_adam_args *a = args;
    float *p = SP(a->param), *m = SP(a->exp_avg), *v = SP(a->exp_avg_sq);   /* [n] each */
    const float *grad = SP(a->grad);
    float *vmax = a->amsgrad ? SP(a->max_exp_avg_sq) : NULL;
    const double bc1 = 1.0 - pow(a->beta1, (double)a->step);
    const double bc2 = 1.0 - pow(a->beta2, (double)a->step);
    const vf neg_step = vf_set1((float)(-(a->lr / bc1)));
    const vf bc2_sqrt = vf_set1((float)sqrt(bc2));
    const vf b1 = vf_set1((float)a->beta1), omb1 = vf_set1((float)(1.0 - a->beta1));
    const vf b2 = vf_set1((float)a->beta2), omb2 = vf_set1((float)(1.0 - a->beta2));
    const vf eps = vf_set1((float)a->eps);
    const float wd = a->decoupled ? 0.0f : (float)a->weight_decay;
    const int decay_first = a->decoupled && a->weight_decay != 0;
    const vf decay = vf_set1((float)(1.0 - a->lr * a->weight_decay));
    for (int64_t i = i0; i < i1; i += VW) {
        int64_t n = simd_min64(VW, i1 - i);
        vf pv = vld(p + i, n);
        if (decay_first)
            pv = vf_mul(pv, decay);
        vf g = optim_decayed(vld(grad + i, n), pv, wd);
        vf mv = vf_fmadd(vld(m + i, n), b1, vf_mul(omb1, g));
        vf vv = vf_fmadd(vld(v + i, n), b2, vf_mul(vf_mul(omb2, g), g));
        vst(m + i, mv, n);
        vst(v + i, vv, n);
        if (vmax) {
            /* torch.maximum: NaN if either is NaN */
            vf old = vld(vmax + i, n);
            vm take = vm_or(vf_gt(vv, old), vm_andnot(vf_eq(vv, vv), vf_eq(old, old)));
            vv = vf_select(take, vv, old);
            vst(vmax + i, vv, n);
        }
        vf denom = vf_add(vf_div(vf_sqrt(vv), bc2_sqrt), eps);
        vst(p + i, vf_add(pv, vf_div(vf_mul(neg_step, mv), denom)), n);
    }
}

seqnn_status simd_adam_step(const seqnn_call *call, const seqnn_adam_args *a)
{
    (void)call;
    optim_run(a, a->n, adam_range);
    return SEQNN_OK;
}

/* -------------------------------------------------------------- Adagrad --- */

static void adagrad_range(const void *args, int64_t i0, int64_t i1)
{
    const seqnn_adagrad_args *a = args;
    float *p = SP(a->param), *sum = SP(a->sum);               /* [n] each */
    const float *grad = SP(a->grad);
    const vf neg_clr = vf_set1((float)(-(a->lr / (1.0 + (double)(a->step - 1) * a->lr_decay))));
    const vf eps = vf_set1((float)a->eps);
    const float wd = (float)a->weight_decay;
    for (int64_t i = i0; i < i1; i += VW) {
        int64_t n = simd_min64(VW, i1 - i);
        vf pv = vld(p + i, n);
        vf g = optim_decayed(vld(grad + i, n), pv, wd);
        vf s = vf_fmadd(g, g, vld(sum + i, n));
        vst(sum + i, s, n);
        vst(p + i, vf_add(pv, vf_div(vf_mul(neg_clr, g), vf_add(vf_sqrt(s), eps))), n);
    }
}

seqnn_status simd_adagrad_step(const seqnn_call *call, const seqnn_adagrad_args *a)
{
    (void)call;
    optim_run(a, a->n, adagrad_range);
    return SEQNN_OK;
}

/* ------------------------------------------------------------- clipping --- */

/* sum of x^2 over one chunk: 4 vector accumulators, combined in a fixed order */
static float sumsq_chunk(const float *x, int64_t i0, int64_t i1)
{
    vf s0 = vf_zero(), s1 = vf_zero(), s2 = vf_zero(), s3 = vf_zero();
    int64_t i = i0;
    for (; i + 4 * VW <= i1; i += 4 * VW) {
        vf a0 = vf_load(x + i), a1 = vf_load(x + i + VW), a2 = vf_load(x + i + 2 * VW), a3 = vf_load(x + i + 3 * VW);
        s0 = vf_fmadd(a0, a0, s0);
        s1 = vf_fmadd(a1, a1, s1);
        s2 = vf_fmadd(a2, a2, s2);
        s3 = vf_fmadd(a3, a3, s3);
    }
    for (; i < i1; i += VW) {
        int64_t n = simd_min64(VW, i1 - i);
        vf a0 = vld(x + i, n);
        s0 = vf_fmadd(a0, a0, s0);
    }
    return vf_hsum(vf_add(vf_add(s0, s1), vf_add(s2, s3)));
}

static void sumsq_task(void *ctx, int64_t task, int tid)
{
    const optim_job *j = ctx;
    const seqnn_sumsq_args *a = j->args;
    int64_t i0 = task * SIMD_EW_CHUNK;
    (void)tid;
    j->partial[task] = sumsq_chunk(SP(a->x), i0, simd_min64(j->n, i0 + SIMD_EW_CHUNK));
}

/* result[0] (+)= sum x^2 */
seqnn_status simd_sumsq(const seqnn_call *call, const seqnn_sumsq_args *a)
{
    float *result = SP(a->result);
    int64_t nchunks = simd_ceil_div(a->n, SIMD_EW_CHUNK);
    double s = 0;
    if (nchunks > 0) {
        optim_job j = { a, a->n, NULL, simd_scratch(simd_dev(call), SIMD_SCRATCH_K0, (size_t)nchunks) };
        if (!j.partial)
            return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "sumsq: out of memory");
        simd_parallel_for(nchunks, sumsq_task, &j);
        for (int64_t c = 0; c < nchunks; c++)
            s += j.partial[c];
    }
    result[0] = SACC(a) ? (float)(result[0] + s) : (float)s;
    return SEQNN_OK;
}

typedef struct clip_args_coef {
    const seqnn_clip_args *a;
    float coef;
} clip_args_coef;

static void clip_range(const void *args, int64_t i0, int64_t i1)
{
    const clip_args_coef *c = args;
    float *x = SP(c->a->x);
    const vf coef = vf_set1(c->coef);
    for (int64_t i = i0; i < i1; i += VW) {
        int64_t n = simd_min64(VW, i1 - i);
        vst(x + i, vf_mul(vld(x + i, n), coef), n);
    }
}

/* x *= min(1, max_norm / (sqrt(sumsq) + 1e-6)), multiplied unless the
 * coefficient is 1 (x * 1 is x; a NaN norm gives NaN, as
 * torch.nn.utils.clip_grad_norm_) */
seqnn_status simd_clip_scale(const seqnn_call *call, const seqnn_clip_args *a)
{
    const float total_norm = sqrtf(SP(a->sumsq)[0]);
    clip_args_coef c = { a, (float)a->max_norm / (total_norm + 1e-6f) };
    (void)call;
    if (c.coef > 1.0f)
        c.coef = 1.0f;
    if (c.coef != 1.0f)
        optim_run(&c, a->n, clip_range);
    return SEQNN_OK;
}

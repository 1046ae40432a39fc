/* Loss family of the SIMD plugins: softmax cross-entropy with ignore index,
 * MSE and BCE-with-logits, forward and backward. Forward reductions are
 * deterministic: per-row losses (xent) or per-chunk partial sums (mse, bce)
 * computed in parallel, then added in order in double. Targets of xent are
 * validated before anything is written, as the reference does. xent_ext adds
 * class weights, label smoothing and per-row losses (reduction NONE). */
#include <math.h>
#include "common.h"
#include "simd_kernels.h"
#include "threads.h"

static int64_t loss_divisor(seqnn_reduction reduction, int64_t count)
{
    return reduction == SEQNN_REDUCE_MEAN ? count : 1;
}

/* every target is ignore_index or in [0, cols); *count = the counted rows */
static seqnn_status loss_xent_targets(const seqnn_call *call, const seqnn_xent_args *a, int64_t *count)
{
    const int32_t *target = SIP(a->target);        /* [rows] */
    int64_t n = 0;
    for (int64_t r = 0; r < a->rows; r++) {
        if (target[r] == a->ignore_index)
            continue;
        if (target[r] < 0 || target[r] >= a->cols)
            return seqnn_plugin_fail(call, SEQNN_ERR_INVALID_ARG,
                                     "xent: target[%lld] = %ld is outside [0, %lld) and is not ignore_index %ld",
                                     (long long)r, (long)target[r], (long long)a->cols, (long)a->ignore_index);
        n++;
    }
    *count = n;
    return SEQNN_OK;
}

typedef struct loss_job {
    const void *args;
    int64_t per_task;                    /* rows or elements per task */
    float *out;                          /* per-row losses or per-chunk partial sums */
    float scale;                         /* backward */
} loss_job;

static void xent_forward_task(void *ctx, int64_t task, int tid)
{
    const loss_job *j = ctx;
    const seqnn_xent_args *a = j->args;
    const int32_t *target = SIP(a->target);
    int64_t r0 = task * j->per_task, r1 = simd_min64(a->rows, r0 + j->per_task);
    (void)tid;
    for (int64_t r = r0; r < r1; r++) {
        const float *x = SP(a->logits) + r * a->cols;   /* row r of [rows, cols] */
        if (target[r] == a->ignore_index) {
            j->out[r] = 0.0f;
            continue;
        }
        float m = simd_row_max(x, a->cols);
        j->out[r] = logf(simd_row_expsum(x, a->cols, m, NULL)) - (x[target[r]] - m);
    }
}

seqnn_status simd_xent_forward(const seqnn_call *call, const seqnn_xent_args *a)
{
    int64_t count = 0;
    seqnn_status st = loss_xent_targets(call, a, &count);
    if (st != SEQNN_OK)
        return st;
    float *loss = SP(a->loss);
    if (count == 0) {
        loss[0] = 0.0f;
        return SEQNN_OK;
    }
    loss_job j = { a, simd_ceil_div(SIMD_EW_CHUNK, a->cols), simd_scratch(simd_dev(call), SIMD_SCRATCH_K0, (size_t)a->rows), 0 };
    if (!j.out)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "xent_forward: out of memory");
    simd_parallel_for(simd_ceil_div(a->rows, j.per_task), xent_forward_task, &j);
    double total = 0;
    for (int64_t r = 0; r < a->rows; r++)
        total += j.out[r];
    loss[0] = (float)(total / (double)loss_divisor(a->reduction, count));
    return SEQNN_OK;
}

/* the mask of lane l (0 <= l < VW) */
static inline vm loss_lane(int64_t l)
{
    return vm_andnot(vm_first(l), vm_first(l + 1));
}

/* sum_c exp(x[c] - m) over a row of cols, and in *rest the same sum without
 * column t (the sum itself in the order simd_row_expsum adds it); when out is
 * not NULL the terms are stored there */
static float loss_expsum_except(const float *x, int64_t cols, float m, int64_t t, float *rest, float *out)
{
    const vf mv = vf_set1(m);
    vf all = vf_zero(), other = vf_zero();
    for (int64_t c = 0; c < cols; c += VW) {
        int64_t n = simd_min64(VW, cols - c), tc = t - c;
        vm keep = vm_first(n);
        vf e = vf_mask_zero(keep, vf_exp(vf_sub(vld(x + c, n), mv)));
        all = vf_add(all, e);
        if (out)
            vst(out + c, e, n);
        if (tc >= 0 && tc < n)
            keep = vm_andnot(loss_lane(tc), keep);
        other = vf_add(other, vf_mask_zero(keep, e));
    }
    *rest = vf_hsum(other);
    return vf_hsum(all);
}

static void xent_backward_task(void *ctx, int64_t task, int tid)
{
    const loss_job *j = ctx;
    const seqnn_xent_args *a = j->args;
    const int32_t *target = SIP(a->target);
    const int acc = SACC(a);
    const int64_t cols = a->cols, r0 = task * j->per_task, r1 = simd_min64(a->rows, r0 + j->per_task);
    (void)tid;
    for (int64_t r = r0; r < r1; r++) {
        const float *x = SP(a->logits) + r * cols;
        float *dx = SP(a->dlogits) + r * cols;
        if (target[r] == a->ignore_index) {
            if (!acc)
                for (int64_t c = 0; c < cols; c += VW)
                    vst(dx + c, vf_zero(), simd_min64(VW, cols - c));
            continue;
        }
        /* overwriting: the exponentials are kept in dx for the second pass */
        float m = simd_row_max(x, cols), rest, s = loss_expsum_except(x, cols, m, target[r], &rest, acc ? NULL : dx);
        const vf mv = vf_set1(m), k = vf_set1(j->scale / s);
        for (int64_t c = 0; c < cols; c += VW) {
            int64_t n = simd_min64(VW, cols - c);
            vf g = vf_mul(k, acc ? vf_exp(vf_sub(vld(x + c, n), mv)) : vld(dx + c, n));
            /* the target column is added after the loop (0 here) */
            int64_t tc = target[r] - c;
            if (tc >= 0 && tc < n)
                g = vf_mask_zero(vm_andnot(loss_lane(tc), vm_first(VW)), g);
            vst_grad(dx + c, g, n, acc);
        }
        /* p_t - 1 as -(sum of the other exponentials) / s: subtracting 1 from a
         * p_t near 1 would leave only its rounding */
        dx[target[r]] += j->scale * -(rest / s);
    }
}

seqnn_status simd_xent_backward(const seqnn_call *call, const seqnn_xent_args *a)
{
    int64_t count = 0;
    seqnn_status st = loss_xent_targets(call, a, &count);
    if (st != SEQNN_OK)
        return st;
    loss_job j = { a, simd_ceil_div(SIMD_EW_CHUNK, a->cols), NULL,
                   count > 0 ? (float)(a->dloss / (double)loss_divisor(a->reduction, count)) : 0.0f };
    if (a->rows > 0)
        simd_parallel_for(simd_ceil_div(a->rows, j.per_task), xent_backward_task, &j);
    return SEQNN_OK;
}

/* ------------------------------------------------------------ xent_ext --- */

/* lanes [j, j + n) of the class weights (ones without a weight tensor) */
static inline vf loss_weights(const float *w, int64_t j, int64_t n)
{
    return w ? vld(w + j, n) : vf_set1(1.0f);
}

/* xent's target check; *divisor = the MEAN's sum (in double) of the counted
 * rows' target weights, 1 for SUM and NONE, 0 when no row is counted */
static seqnn_status loss_xent_ext_divisor(const seqnn_call *call, const seqnn_xent_ext_args *a, double *divisor)
{
    const seqnn_xent_args base = {.rows = a->rows, .cols = a->cols, .target = a->target,
                                  .ignore_index = a->ignore_index};
    const int32_t *target = SIP(a->target);
    const float *w = SHAS(a->weight) ? SP(a->weight) : NULL;
    int64_t count = 0;
    double sum = 0;
    seqnn_status st = loss_xent_targets(call, &base, &count);
    if (st != SEQNN_OK)
        return st;
    for (int64_t r = 0; r < a->rows; r++)
        if (target[r] != a->ignore_index)
            sum += w ? w[target[r]] : 1.0;
    *divisor = count == 0 ? 0 : a->reduction == SEQNN_REDUCE_MEAN ? sum : 1;
    return SEQNN_OK;
}

/* l_r = (1 - eps) w_t (lse - x_t) + eps / C sum_j w_j (lse - x_j); each
 * lse - x_j as log(s) - (x_j - m) (non-negative terms) */
static float xent_ext_row(const seqnn_xent_ext_args *a, const float *x, int32_t t)
{
    const float *w = SHAS(a->weight) ? SP(a->weight) : NULL;
    const float eps = (float)a->smoothing;
    const int64_t cols = a->cols;
    float m = simd_row_max(x, cols), ls = logf(simd_row_expsum(x, cols, m, NULL));
    float l = (1.0f - eps) * (w ? w[t] : 1.0f) * (ls - (x[t] - m));
    if (eps == 0.0f)
        return l;
    const vf mv = vf_set1(m), lsv = vf_set1(ls);
    vf acc = vf_zero();
    for (int64_t j = 0; j < cols; j += VW) {
        int64_t n = simd_min64(VW, cols - j);
        vf term = vf_mul(loss_weights(w, j, n), vf_sub(lsv, vf_sub(vld(x + j, n), mv)));
        acc = vf_add(acc, vf_mask_zero(vm_first(n), term));
    }
    return l + eps / (float)cols * vf_hsum(acc);
}

static void xent_ext_forward_task(void *ctx, int64_t task, int tid)
{
    const loss_job *j = ctx;
    const seqnn_xent_ext_args *a = j->args;
    const int32_t *target = SIP(a->target);
    int64_t r0 = task * j->per_task, r1 = simd_min64(a->rows, r0 + j->per_task);
    (void)tid;
    for (int64_t r = r0; r < r1; r++)
        j->out[r] = target[r] == a->ignore_index ? 0.0f : xent_ext_row(a, SP(a->logits) + r * a->cols, target[r]);
}

seqnn_status simd_xent_ext_forward(const seqnn_call *call, const seqnn_xent_ext_args *a)
{
    double divisor = 0;
    seqnn_status st = loss_xent_ext_divisor(call, a, &divisor);
    if (st != SEQNN_OK)
        return st;
    /* per-row losses straight into losses when given, else into scratch */
    loss_job j = { a, simd_ceil_div(SIMD_EW_CHUNK, a->cols),
                   SHAS(a->losses) ? SP(a->losses) : simd_scratch(simd_dev(call), SIMD_SCRATCH_K0, (size_t)a->rows + 1),
                   0 };
    if (!j.out)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "xent_ext_forward: out of memory");
    if (a->rows > 0)
        simd_parallel_for(simd_ceil_div(a->rows, j.per_task), xent_ext_forward_task, &j);
    if (a->reduction == SEQNN_REDUCE_NONE)
        return SEQNN_OK;
    double total = 0;
    for (int64_t r = 0; r < a->rows; r++)
        total += j.out[r];
    SP(a->loss)[0] = divisor == 0 ? 0.0f : (float)(total / divisor);
    return SEQNN_OK;
}

/* the backward's work: per_task rows, g = scale (MEAN, SUM) or dloss *
 * dlosses[r] (NONE), S = wsum; counted 0: every row gets 0 */
typedef struct xent_ext_job {
    const seqnn_xent_ext_args *a;
    int64_t per_task;
    float scale, wsum;
    int counted;
} xent_ext_job;

static void xent_ext_backward_task(void *ctx, int64_t task, int tid)
{
    const xent_ext_job *j = ctx;
    const seqnn_xent_ext_args *a = j->a;
    const int32_t *target = SIP(a->target);
    const float *w = SHAS(a->weight) ? SP(a->weight) : NULL;
    const int acc = SACC(a);
    const int64_t cols = a->cols, r0 = task * j->per_task, r1 = simd_min64(a->rows, r0 + j->per_task);
    const float eps = (float)a->smoothing, eps_c = eps / (float)cols, wsum = j->wsum;
    (void)tid;
    for (int64_t r = r0; r < r1; r++) {
        const float *x = SP(a->logits) + r * cols;
        float *dx = SP(a->dlogits) + r * cols;
        const int32_t t = target[r];
        if (t == a->ignore_index || !j->counted) {
            if (!acc)
                for (int64_t c = 0; c < cols; c += VW)
                    vst(dx + c, vf_zero(), simd_min64(VW, cols - c));
            continue;
        }
        const float g = a->reduction == SEQNN_REDUCE_NONE ? (float)a->dloss * SP(a->dlosses)[r] : j->scale;
        const float wt = (1.0f - eps) * (w ? w[t] : 1.0f);
        float m = simd_row_max(x, cols), rest, s = loss_expsum_except(x, cols, m, t, &rest, NULL);
        /* j != t: g (p_j (wt + eps_c S) - eps_c w_j), p_j = e_j / s */
        const vf mv = vf_set1(m), sv = vf_set1(s), gv = vf_set1(g), av = vf_set1(wt + eps_c * wsum);
        const vf ev = vf_set1(eps_c);
        for (int64_t c = 0; c < cols; c += VW) {
            int64_t n = simd_min64(VW, cols - c), tc = t - c;
            vf p = vf_div(vf_exp(vf_sub(vld(x + c, n), mv)), sv);
            vf d = vf_mul(gv, vf_fmsub(av, p, vf_mul(ev, loss_weights(w, c, n))));
            if (tc >= 0 && tc < n)                 /* the target column: after the loop */
                d = vf_mask_zero(vm_andnot(loss_lane(tc), vm_first(VW)), d);
            vst_grad(dx + c, d, n, acc);
        }
        /* wt (p_t - 1) with p_t - 1 = -(rest / s), as xent_backward; plus the smoothing term */
        dx[t] += g * (wt * -(rest / s) + eps_c * (wsum * (expf(x[t] - m) / s) - (w ? w[t] : 1.0f)));
    }
}

seqnn_status simd_xent_ext_backward(const seqnn_call *call, const seqnn_xent_ext_args *a)
{
    double divisor = 0, wsum = 0;
    seqnn_status st = loss_xent_ext_divisor(call, a, &divisor);
    if (st != SEQNN_OK)
        return st;
    const float *w = SHAS(a->weight) ? SP(a->weight) : NULL;
    for (int64_t c = 0; c < a->cols; c++)
        wsum += w ? w[c] : 1.0;
    xent_ext_job j = { a, simd_ceil_div(SIMD_EW_CHUNK, a->cols),
                       divisor == 0 ? 0.0f : (float)(a->dloss / divisor), (float)wsum, divisor != 0 };
    if (a->rows > 0)
        simd_parallel_for(simd_ceil_div(a->rows, j.per_task), xent_ext_backward_task, &j);
    return SEQNN_OK;
}

/* ------------------------------------------------------ mse and bce --- */

/* bce term max(x,0) - x t + log(1 + exp(-|x|)) */
static inline vf loss_bce_term(vf x, vf t)
{
    return vf_add(vf_fnmadd(x, t, vf_max(vf_zero(), x)), vf_log1p_pos(vf_exp(vf_neg(vf_abs(x)))));
}

static inline vf loss_mse_term(vf x, vf t)
{
    vf d = vf_sub(x, t);
    return vf_mul(d, d);
}

static void pointwise_forward_task(void *ctx, int64_t task, int tid, int bce)
{
    const loss_job *j = ctx;
    const seqnn_loss_args *a = j->args;
    const float *x = SP(a->x), *t = SP(a->target);   /* [n] each */
    int64_t i0 = task * j->per_task, i1 = simd_min64(a->n, i0 + j->per_task);
    vf s = vf_zero();
    (void)tid;
    for (int64_t i = i0; i < i1; i += VW) {
        int64_t n = simd_min64(VW, i1 - i);
        vf term = bce ? loss_bce_term(vld(x + i, n), vld(t + i, n)) : loss_mse_term(vld(x + i, n), vld(t + i, n));
        s = vf_add(s, vf_mask_zero(vm_first(n), term));
    }
    j->out[task] = vf_hsum(s);
}

static void mse_forward_task(void *ctx, int64_t task, int tid) { pointwise_forward_task(ctx, task, tid, 0); }
static void bce_forward_task(void *ctx, int64_t task, int tid) { pointwise_forward_task(ctx, task, tid, 1); }

static seqnn_status pointwise_forward(const seqnn_call *call, const seqnn_loss_args *a, simd_task_fn fn)
{
    float *loss = SP(a->loss);
    if (a->n == 0) {
        loss[0] = 0.0f;
        return SEQNN_OK;
    }
    int64_t ntasks = simd_ceil_div(a->n, SIMD_EW_CHUNK);
    loss_job j = { a, SIMD_EW_CHUNK, simd_scratch(simd_dev(call), SIMD_SCRATCH_K0, (size_t)ntasks), 0 };
    if (!j.out)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "loss: out of memory");
    simd_parallel_for(ntasks, fn, &j);
    double total = 0;
    for (int64_t c = 0; c < ntasks; c++)
        total += j.out[c];
    loss[0] = (float)(total / (double)loss_divisor(a->reduction, a->n));
    return SEQNN_OK;
}

static void pointwise_backward_task(void *ctx, int64_t task, int tid, int bce)
{
    const loss_job *j = ctx;
    const seqnn_loss_args *a = j->args;
    const float *x = SP(a->x), *t = SP(a->target);
    float *dx = SP(a->dx);
    const int acc = SACC(a);
    const vf scale = vf_set1(j->scale);
    int64_t i0 = task * j->per_task, i1 = simd_min64(a->n, i0 + j->per_task);
    (void)tid;
    for (int64_t i = i0; i < i1; i += VW) {
        int64_t n = simd_min64(VW, i1 - i);
        vf xv = vld(x + i, n), tv = vld(t + i, n);
        vf d = bce ? vf_sub(vf_sigmoid(xv), tv) : vf_sub(xv, tv);
        vst_grad(dx + i, vf_mul(scale, d), n, acc);
    }
}

static void mse_backward_task(void *ctx, int64_t task, int tid) { pointwise_backward_task(ctx, task, tid, 0); }
static void bce_backward_task(void *ctx, int64_t task, int tid) { pointwise_backward_task(ctx, task, tid, 1); }

static seqnn_status pointwise_backward(const seqnn_loss_args *a, simd_task_fn fn, double factor)
{
    if (a->n == 0)
        return SEQNN_OK;
    loss_job j = { a, SIMD_EW_CHUNK, NULL, (float)(factor * a->dloss / (double)loss_divisor(a->reduction, a->n)) };
    simd_parallel_for(simd_ceil_div(a->n, SIMD_EW_CHUNK), fn, &j);
    return SEQNN_OK;
}

seqnn_status simd_mse_forward(const seqnn_call *call, const seqnn_loss_args *a)
{
    return pointwise_forward(call, a, mse_forward_task);
}

seqnn_status simd_mse_backward(const seqnn_call *call, const seqnn_loss_args *a)
{
    (void)call;
    return pointwise_backward(a, mse_backward_task, 2.0);
}

seqnn_status simd_bce_forward(const seqnn_call *call, const seqnn_loss_args *a)
{
    return pointwise_forward(call, a, bce_forward_task);
}

seqnn_status simd_bce_backward(const seqnn_call *call, const seqnn_loss_args *a)
{
    (void)call;
    return pointwise_backward(a, bce_backward_task, 1.0);
}

/* Element-wise family of the SIMD plugins: activations forward/backward,
 * add / mul / scale, copy2d, row-wise softmax and log-softmax forward/backward. Single
 * streaming passes over vectors (masked tails), threaded over fixed chunks
 * of elements (or rows), so results never depend on the thread count.
 * Dropout is delegated (kernels/delegate.c). */
#include <math.h>
#include <string.h>
#include "act.h"
#include "common.h"
#include "simd_kernels.h"
#include "threads.h"

/* Runs body(ctx, i0, i1) over [0, n) in chunks of SIMD_EW_CHUNK elements. */
typedef void (*ew_range_fn)(const void *args, int64_t i0, int64_t i1);

typedef struct ew_job {
    const void *args;
    int64_t n, chunk;
    ew_range_fn fn;
} ew_job;

static void ew_task(void *ctx, int64_t task, int tid)
{
    const ew_job *j = ctx;
    int64_t i0 = task * j->chunk;
    (void)tid;
    j->fn(j->args, i0, simd_min64(j->n, i0 + j->chunk));
}

static void ew_run(const void *args, int64_t n, int64_t chunk, ew_range_fn fn)
{
    ew_job j = { args, n, chunk, fn };
    if (n <= 0)
        return;
    simd_parallel_for(simd_ceil_div(n, chunk), ew_task, &j);
}

/* ---------------------------------------------------------- activations --- */

/* f'(x) given x and y = f(x) (sigmoid and tanh from y, as PyTorch) */
static inline vf ew_act_grad(seqnn_act kind, vf alpha, vf x, vf y)
{
    const vf one = vf_set1(1.0f), zero = vf_zero();
    switch (kind) {
    case SEQNN_ACT_SIGMOID:    return vf_mul(y, vf_sub(one, y));
    case SEQNN_ACT_TANH:       return vf_fnmadd(y, y, one);
    case SEQNN_ACT_HARDTANH:
        return vf_mask_zero(vm_and(vf_gt(x, vf_set1(-1.0f)), vf_lt(x, one)), one);
    case SEQNN_ACT_RELU:       return vf_mask_zero(vf_gt(x, zero), one);
    case SEQNN_ACT_LEAKY_RELU: return vf_select(vf_gt(x, zero), one, alpha);
    case SEQNN_ACT_SWISH: {
        vf s = vf_sigmoid(x);
        return vf_mul(s, vf_fmadd(x, vf_sub(one, s), one));
    }
    default:                   return zero;
    }
}

static void act_forward_range(const void *args, int64_t i0, int64_t i1)
{
    const seqnn_act_args *a = args;
    const float *x = SP(a->x);           /* [n] */
    float *y = SP(a->y);                 /* [n], may be x */
    const vf alpha = vf_set1((float)a->alpha);
    for (int64_t i = i0; i < i1; i += VW) {
        int64_t n = simd_min64(VW, i1 - i);
        vst(y + i, simd_act_apply(a->kind, alpha, vld(x + i, n)), n);
    }
}

seqnn_status simd_act_forward(const seqnn_call *call, const seqnn_act_args *a)
{
    (void)call;
    ew_run(a, a->n, SIMD_EW_CHUNK, act_forward_range);
    return SEQNN_OK;
}

static void act_backward_range(const void *args, int64_t i0, int64_t i1)
{
    const seqnn_act_args *a = args;
    const float *x = SP(a->x), *y = SP(a->y), *dy = SP(a->dy);   /* [n] each */
    float *dx = SP(a->dx);                                        /* [n], may be dy */
    const vf alpha = vf_set1((float)a->alpha);
    const int acc = SACC(a);
    for (int64_t i = i0; i < i1; i += VW) {
        int64_t n = simd_min64(VW, i1 - i);
        vf g = vf_mul(vld(dy + i, n), ew_act_grad(a->kind, alpha, vld(x + i, n), vld(y + i, n)));
        vst_grad(dx + i, g, n, acc);
    }
}

seqnn_status simd_act_backward(const seqnn_call *call, const seqnn_act_args *a)
{
    (void)call;
    ew_run(a, a->n, SIMD_EW_CHUNK, act_backward_range);
    return SEQNN_OK;
}

/* -------------------------------------------------------- add, mul, scale --- */

static void add_range(const void *args, int64_t i0, int64_t i1)
{
    const seqnn_ew_args *a = args;
    const float *x = SP(a->x), *y = SP(a->y);
    float *z = SP(a->z);
    const vf alpha = vf_set1((float)a->alpha), beta = vf_set1((float)a->beta);
    for (int64_t i = i0; i < i1; i += VW) {
        int64_t n = simd_min64(VW, i1 - i);
        vst(z + i, vf_fmadd(alpha, vld(x + i, n), vf_mul(beta, vld(y + i, n))), n);
    }
}

static void mul_range(const void *args, int64_t i0, int64_t i1)
{
    const seqnn_ew_args *a = args;
    const float *x = SP(a->x), *y = SP(a->y);
    float *z = SP(a->z);
    const vf alpha = vf_set1((float)a->alpha), beta = vf_set1((float)a->beta);
    const int read_z = a->beta != 0.0;
    for (int64_t i = i0; i < i1; i += VW) {
        int64_t n = simd_min64(VW, i1 - i);
        vf p = vf_mul(vf_mul(alpha, vld(x + i, n)), vld(y + i, n));
        vst(z + i, read_z ? vf_fmadd(beta, vld(z + i, n), p) : p, n);
    }
}

static void scale_range(const void *args, int64_t i0, int64_t i1)
{
    const seqnn_ew_args *a = args;
    const float *x = SP(a->x);
    float *z = SP(a->z);
    const vf alpha = vf_set1((float)a->alpha);
    for (int64_t i = i0; i < i1; i += VW) {
        int64_t n = simd_min64(VW, i1 - i);
        vst(z + i, vf_mul(alpha, vld(x + i, n)), n);
    }
}

/* z = alpha*x + beta*y */
seqnn_status simd_add(const seqnn_call *call, const seqnn_ew_args *a)
{
    (void)call;
    ew_run(a, a->n, SIMD_EW_CHUNK, add_range);
    return SEQNN_OK;
}

/* z = alpha*x*y + beta*z (beta == 0: z not read) */
seqnn_status simd_mul(const seqnn_call *call, const seqnn_ew_args *a)
{
    (void)call;
    ew_run(a, a->n, SIMD_EW_CHUNK, mul_range);
    return SEQNN_OK;
}

/* z = alpha*x */
seqnn_status simd_scale(const seqnn_call *call, const seqnn_ew_args *a)
{
    (void)call;
    ew_run(a, a->n, SIMD_EW_CHUNK, scale_range);
    return SEQNN_OK;
}

/* --------------------------------------------------------------- copy2d --- */

static void copy2d_range(const void *args, int64_t r0, int64_t r1)
{
    const seqnn_copy2d_args *a = args;
    const float *x = SP(a->x);           /* [rows, ldx] */
    float *y = SP(a->y);                 /* [rows, ldy] */
    for (int64_t r = r0; r < r1; r++)
        memcpy(y + r * a->ldy, x + r * a->ldx, (size_t)a->cols * sizeof *y);
}

/* y[r, :cols] = x[r, :cols], bit for bit; tasks of whole rows, about
 * SIMD_EW_CHUNK elements each */
seqnn_status simd_copy2d(const seqnn_call *call, const seqnn_copy2d_args *a)
{
    (void)call;
    if (a->cols > 0)
        ew_run(a, a->rows, a->cols >= SIMD_EW_CHUNK ? 1 : SIMD_EW_CHUNK / a->cols, copy2d_range);
    return SEQNN_OK;
}

/* -------------------------------------------------------------- softmax --- */

/* one row of softmax / log-softmax (y may be x) */
static void softmax_forward_row(int log_out, int64_t cols, const float *x, float *y)
{
    const float mx = simd_row_max(x, cols);
    const vf m = vf_set1(mx);
    if (log_out) {
        const vf ls = vf_set1(logf(simd_row_expsum(x, cols, mx, NULL)));
        for (int64_t j = 0; j < cols; j += VW) {
            int64_t n = simd_min64(VW, cols - j);
            vst(y + j, vf_sub(vf_sub(vld(x + j, n), m), ls), n);
        }
    } else {
        /* y = exp(x - max) first (x is not read again), then scaled */
        const vf inv = vf_set1(1.0f / simd_row_expsum(x, cols, mx, y));
        for (int64_t j = 0; j < cols; j += VW) {
            int64_t n = simd_min64(VW, cols - j);
            vst(y + j, vf_mul(vld(y + j, n), inv), n);
        }
    }
}

typedef struct softmax_job {
    const seqnn_softmax_args *a;
    int64_t rows_per_task;
} softmax_job;

static void softmax_forward_task(void *ctx, int64_t task, int tid)
{
    const softmax_job *j = ctx;
    const seqnn_softmax_args *a = j->a;
    const int64_t r0 = task * j->rows_per_task, r1 = simd_min64(a->rows, r0 + j->rows_per_task);
    (void)tid;
    for (int64_t r = r0; r < r1; r++)   /* row r of [rows, cols] */
        softmax_forward_row(a->log, a->cols, SP(a->x) + r * a->cols, SP(a->y) + r * a->cols);
}

static void softmax_backward_task(void *ctx, int64_t task, int tid)
{
    const softmax_job *j = ctx;
    const seqnn_softmax_args *a = j->a;
    const int64_t cols = a->cols, r0 = task * j->rows_per_task, r1 = simd_min64(a->rows, r0 + j->rows_per_task);
    const int acc = SACC(a);
    (void)tid;
    for (int64_t r = r0; r < r1; r++) {
        const float *y = SP(a->y) + r * cols, *dy = SP(a->dy) + r * cols;
        float *dx = SP(a->dx) + r * cols;
        vf vsum = vf_zero();
        for (int64_t c = 0; c < cols; c += VW) {
            int64_t n = simd_min64(VW, cols - c);
            vf d = vld(dy + c, n);
            vsum = vf_add(vsum, a->log ? d : vf_mul(d, vld(y + c, n)));
        }
        const vf s = vf_set1(vf_hsum(vsum));
        for (int64_t c = 0; c < cols; c += VW) {
            int64_t n = simd_min64(VW, cols - c);
            vf yv = vld(y + c, n), d = vld(dy + c, n);
            vf g = a->log ? vf_fnmadd(vf_exp(yv), s, d) : vf_mul(yv, vf_sub(d, s));
            vst_grad(dx + c, g, n, acc);
        }
    }
}

static void softmax_run(const seqnn_softmax_args *a, simd_task_fn fn)
{
    if (a->rows <= 0 || a->cols <= 0)
        return;
    softmax_job j = { a, simd_ceil_div(SIMD_EW_CHUNK, a->cols) };
    simd_parallel_for(simd_ceil_div(a->rows, j.rows_per_task), fn, &j);
}

/* y = softmax(x) or log_softmax(x), row-wise */
seqnn_status simd_softmax_forward(const seqnn_call *call, const seqnn_softmax_args *a)
{
    (void)call;
    softmax_run(a, softmax_forward_task);
    return SEQNN_OK;
}

/* dx (+)= y * (dy - <dy, y>)  or  dy - exp(y) * sum(dy) */
seqnn_status simd_softmax_backward(const seqnn_call *call, const seqnn_softmax_args *a)
{
    (void)call;
    softmax_run(a, softmax_backward_task);
    return SEQNN_OK;
}

/* Conformance cases of the loss family: xent_forward/backward (ignore_index
 * absent, on some rows, on every row, and inside [0, cols); MEAN and SUM;
 * logits large enough to overflow a naive exp; targets out of range), and
 * mse/bce forward/backward (n from 0 to 4099, MEAN and SUM, bce logits up to
 * |x| = 1000 and hard 0/1 targets); backward kernels accumulate and
 * overwrite with several dloss values, and are checked against finite
 * differences with dloss != 1; NaN and infinities in logits and x. Also
 * checks that the core rejects bad arguments. Budgets and their basis:
 * docs/kernels/loss.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "conformance.h"

static const char *loss_reduction_name(seqnn_reduction red)
{
    return red == SEQNN_REDUCE_MEAN ? "mean" : red == SEQNN_REDUCE_SUM ? "sum" : "none";
}

/* dloss values of backward checks, cycled (exact in float32, so that a
 * gradcheck's output weight equals dloss) */
static const double loss_dloss_values[] = {1.0, -0.75, 3.5, 0.125};
#define LOSS_N_DLOSS ((int)(sizeof loss_dloss_values / sizeof loss_dloss_values[0]))

/* ------------------------------------------------------------------ xent */

/* How targets meet ignore_index. */
enum loss_ignore_mode {
    LOSS_IGNORE_NONE,                    /* ignore_index -100, no row uses it */
    LOSS_IGNORE_SOME,                    /* about a third of the rows are -100 */
    LOSS_IGNORE_ALL,                     /* every row is -100 (MEAN gives 0) */
    LOSS_IGNORE_IN_RANGE,                /* ignore_index = class 0, a valid class */
    LOSS_IGNORE_MODES
};

static const char *const loss_ignore_names[] = {"none", "some", "all", "in-range"};

/* Fills target [rows] for a mode and returns the ignore_index to use. */
static int32_t loss_make_targets(cf_run *r, int32_t *target, int64_t rows, int64_t cols,
                                 enum loss_ignore_mode mode)
{
    for (int64_t i = 0; i < rows; i++) {
        target[i] = (int32_t)cf_randint(r, 0, cols - 1);
        if (mode == LOSS_IGNORE_ALL || (mode == LOSS_IGNORE_SOME && cf_randint(r, 0, 2) == 0))
            target[i] = -100;
    }
    return mode == LOSS_IGNORE_IN_RANGE ? 0 : -100;
}

typedef struct loss_xent_shape {
    int64_t rows, cols;
    double lo, hi;                       /* logits uniform in [lo, hi) */
} loss_xent_shape;

/* rows, cols: ones, primes, non-multiples of 8/16, long rows; logits small,
 * large (exp overflows float beyond 88) and far from 0 (1e4 +- 5) */
static const loss_xent_shape loss_xent_shapes[] = {
    {1, 1, -4, 4},     {1, 2, -4, 4},      {3, 7, -4, 4},       {17, 5, -4, 4},
    {64, 129, -4, 4},  {300, 13, -4, 4},   {5, 1000, -4, 4},    {2, 300, -4, 4},
    {33, 17, -80, 80}, {20, 10, -500, 500}, {9, 11, 9995, 10005}, {0, 7, -4, 4},
};
#define LOSS_N_XENT_SHAPES ((int)(sizeof loss_xent_shapes / sizeof loss_xent_shapes[0]))

/* The tensors of one xent check. */
typedef struct loss_xent_case {
    seqnn_xent_args a;
    cf_tensor *logits, *target, *loss, *dlogits;
} loss_xent_case;

/* Begins a check and makes logits and targets; the caller adds outputs. */
static void loss_xent_setup(cf_run *r, loss_xent_case *c, const loss_xent_shape *s,
                            seqnn_reduction red, enum loss_ignore_mode mode, const char *extra)
{
    int32_t *target = malloc((size_t)(s->rows > 0 ? s->rows : 1) * sizeof *target);
    cf_begin(r, "rows=%lld cols=%lld logits in [%g, %g) %s ignore=%s%s", (long long)s->rows,
             (long long)s->cols, s->lo, s->hi, loss_reduction_name(red), loss_ignore_names[mode],
             extra);
    c->a = (seqnn_xent_args){0};
    c->a.rows = s->rows;
    c->a.cols = s->cols;
    c->a.reduction = red;
    c->logits = cf_in(r, "logits", s->rows * s->cols, s->lo, s->hi);
    if (!target) {
        cf_fail(r, "out of host memory");
        c->target = cf_in_int(r, "target", s->rows, 0, 0);
    } else {
        c->a.ignore_index = loss_make_targets(r, target, s->rows, s->cols, mode);
        c->target = cf_in_ints(r, "target", s->rows, target);
    }
    free(target);
    c->a.logits = cf_ref(c->logits);
    c->a.target = cf_ref(c->target);
}

/* A target outside [0, cols) that is not ignore_index: the plugin either
 * fails with SEQNN_ERR_INVALID_ARG having written nothing, or (forward)
 * yields a NaN loss (kernels.h). Runs on the plugin alone (the reference
 * would refuse it). */
static void loss_xent_bad_target(cf_run *r, int backward, int32_t bad)
{
    enum { ROWS = 3, COLS = 4 };
    const float sentinel = 7.0f;
    float logits[ROWS * COLS], out[ROWS * COLS];
    const int32_t target[ROWS] = {1, bad, 3};
    const int64_t n_out = backward ? ROWS * COLS : 1;
    seqnn_context *ctx = cf_context(r);
    seqnn_buffer *bl = NULL, *bt = NULL, *bo = NULL;
    seqnn_xent_args a = {0};
    seqnn_status s;

    cf_begin(r, "target %d out of range (%s)", (int)bad, backward ? "backward" : "forward");
    for (int i = 0; i < ROWS * COLS; i++) {
        logits[i] = (float)cf_uniform(r, -2, 2);
        out[i] = sentinel;
    }
    if (seqnn_buffer_alloc(ctx, SEQNN_F32, ROWS * COLS, &bl) != SEQNN_OK ||
        seqnn_buffer_alloc(ctx, SEQNN_I32, ROWS, &bt) != SEQNN_OK ||
        seqnn_buffer_alloc(ctx, SEQNN_F32, n_out, &bo) != SEQNN_OK ||
        seqnn_buffer_write(ctx, bl, 0, logits, ROWS * COLS) != SEQNN_OK ||
        seqnn_buffer_write(ctx, bt, 0, target, ROWS) != SEQNN_OK ||
        seqnn_buffer_write(ctx, bo, 0, out, n_out) != SEQNN_OK) {
        cf_fail(r, "cannot set up buffers: %s", seqnn_last_error());
        goto done;
    }
    a.rows = ROWS;
    a.cols = COLS;
    a.logits = seqnn_at(bl, 0);
    a.target = seqnn_at(bt, 0);
    a.ignore_index = -100;
    a.reduction = SEQNN_REDUCE_MEAN;
    a.dloss = 1.0;
    if (backward) {
        a.dlogits = seqnn_at(bo, 0);
        s = seqnn_xent_backward(ctx, &a);
    } else {
        a.loss = seqnn_at(bo, 0);
        s = seqnn_xent_forward(ctx, &a);
    }
    if (seqnn_buffer_read(ctx, bo, 0, out, n_out) != SEQNN_OK) {
        cf_fail(r, "cannot read the output back: %s", seqnn_last_error());
        goto done;
    }
    if (s == SEQNN_ERR_INVALID_ARG) {
        for (int64_t i = 0; i < n_out; i++)
            if (out[i] != sentinel) {
                cf_fail(r, "failed with SEQNN_ERR_INVALID_ARG but wrote %s[%lld] = %g",
                        backward ? "dlogits" : "loss", (long long)i, (double)out[i]);
                break;
            }
    } else if (s == SEQNN_OK) {
        if (!backward && !isnan(out[0]))
            cf_fail(r, "accepted target %d and returned the finite loss %g (must fail or be NaN)",
                    (int)bad, (double)out[0]);
    } else {
        cf_fail(r, "returned %s: %s", seqnn_status_name(s), seqnn_last_error());
    }
done:
    if (bl)
        seqnn_buffer_free(ctx, bl);
    if (bt)
        seqnn_buffer_free(ctx, bt);
    if (bo)
        seqnn_buffer_free(ctx, bo);
    cf_end(r);
}

/* NaN and infinities in the logits, rows = 6, cols = 19 (a vector and a
 * tail), row 1 ignored, MEAN, dloss 0.75. Variant 0: the ignored row holds
 * NaN and +Inf (it is not read), rows 2 and 4 a -Inf at a class other than
 * their target (probability 0): all finite. Variant 1: also a NaN in row 3:
 * the loss is NaN, and so is row 3's gradient (only row 3's). Variant 2:
 * instead -Inf at row 5's target: the loss is +Inf, the gradient finite. */
static void loss_xent_nonfinite(cf_run *r, int backward)
{
    enum { ROWS = 6, COLS = 19 };
    static const int32_t target[ROWS] = {3, -100, 5, 0, 7, 2};
    for (int variant = 0; variant < 3; variant++)
        for (int overwrite = 0; overwrite <= backward; overwrite++) {
            seqnn_xent_args a = {0};
            double x[ROWS * COLS];
            cf_tensor *out;
            cf_begin(r, "rows=%d cols=%d %s with -Inf logits%s", ROWS, COLS,
                     variant == 1 ? "NaN in a counted row" : variant == 2 ? "-Inf at a target" : "NaN/Inf in an ignored row",
                     backward ? (overwrite ? " overwrite" : " accumulate") : "");
            for (int i = 0; i < ROWS * COLS; i++)
                x[i] = cf_uniform(r, -4, 4);
            x[1 * COLS + 4] = NAN;
            x[1 * COLS + 11] = INFINITY;
            x[2 * COLS + 9] = -INFINITY;
            x[4 * COLS + 18] = -INFINITY;
            if (variant == 1)
                x[3 * COLS + 11] = NAN;
            if (variant == 2)
                x[5 * COLS + 2] = -INFINITY;
            a.rows = ROWS;
            a.cols = COLS;
            a.ignore_index = -100;
            a.reduction = SEQNN_REDUCE_MEAN;
            a.dloss = 0.75;
            a.flags = overwrite ? SEQNN_FLAG_OVERWRITE : 0;
            a.logits = cf_ref(cf_in_values(r, "logits", ROWS * COLS, x));
            a.target = cf_ref(cf_in_ints(r, "target", ROWS, target));
            if (backward)
                out = overwrite ? cf_out(r, "dlogits", ROWS * COLS) : cf_inout(r, "dlogits", ROWS * COLS, -1, 1);
            else
                out = cf_out(r, "loss", 1);
            cf_set_nonfinite(r, out);
            if (backward)
                a.dlogits = cf_ref(out);
            else
                a.loss = cf_ref(out);
            cf_check(r, backward ? SEQNN_KERNEL_xent_backward : SEQNN_KERNEL_xent_forward, &a,
                     backward ? (double)(COLS + !overwrite) : (double)(ROWS * COLS));
            cf_end(r);
        }
}

void cf_test_xent_forward(cf_run *r)
{
    for (int i = 0; i < LOSS_N_XENT_SHAPES; i++)
        for (int red = 0; red <= SEQNN_REDUCE_SUM; red++)
            for (int mode = 0; mode < LOSS_IGNORE_MODES; mode++) {
                const loss_xent_shape *s = &loss_xent_shapes[i];
                loss_xent_case c;
                loss_xent_setup(r, &c, s, (seqnn_reduction)red, (enum loss_ignore_mode)mode, "");
                c.loss = cf_out(r, "loss", 1);
                c.a.loss = cf_ref(c.loss);
                /* the loss sums rows * cols exponentials */
                cf_check(r, SEQNN_KERNEL_xent_forward, &c.a, (double)(s->rows * s->cols));
                cf_end(r);
            }

    loss_xent_nonfinite(r, 0);
    loss_xent_bad_target(r, 0, 4);
    loss_xent_bad_target(r, 0, -1);

    /* the core refuses what the contract forbids */
    cf_begin(r, "argument checks");
    {
        loss_xent_case c;
        loss_xent_setup(r, &c, &loss_xent_shapes[2], SEQNN_REDUCE_MEAN, LOSS_IGNORE_NONE, "");
        c.loss = cf_out(r, "loss", 1);
        c.a.loss = cf_ref(c.loss);
        seqnn_xent_args bad = c.a;
        bad.flags = SEQNN_FLAG_OVERWRITE;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_forward, &bad, "flags = OVERWRITE");
        bad = c.a;
        bad.reduction = (seqnn_reduction)2;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_forward, &bad, "reduction = 2");
        bad = c.a;
        bad.cols = 0;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_forward, &bad, "cols = 0");
        bad = c.a;
        bad.loss.buf = NULL;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_forward, &bad, "a missing loss");
        bad = c.a;
        bad.rows = c.a.rows + 100;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_forward, &bad, "rows past the buffers");
        bad = c.a;
        bad.target = c.a.logits;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_forward, &bad, "a float32 target");
        bad = c.a;
        bad.loss = c.a.logits;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_forward, &bad, "loss inside logits");
    }
    cf_end(r);
}

void cf_test_xent_backward(cf_run *r)
{
    int check = 0;
    for (int i = 0; i < LOSS_N_XENT_SHAPES; i++)
        for (int red = 0; red <= SEQNN_REDUCE_SUM; red++)
            for (int mode = 0; mode < LOSS_IGNORE_MODES; mode++)
                for (int overwrite = 0; overwrite <= 1; overwrite++) {
                    const loss_xent_shape *s = &loss_xent_shapes[i];
                    loss_xent_case c;
                    loss_xent_setup(r, &c, s, (seqnn_reduction)red, (enum loss_ignore_mode)mode,
                                    overwrite ? " overwrite" : " accumulate");
                    c.a.dloss = loss_dloss_values[check++ % LOSS_N_DLOSS];
                    c.a.flags = overwrite ? SEQNN_FLAG_OVERWRITE : 0;
                    c.dlogits = overwrite ? cf_out(r, "dlogits", s->rows * s->cols)
                                          : cf_inout(r, "dlogits", s->rows * s->cols, -1, 1);
                    c.a.dlogits = cf_ref(c.dlogits);
                    /* each element: a softmax over cols, plus the old value */
                    cf_check(r, SEQNN_KERNEL_xent_backward, &c.a, (double)(s->cols + !overwrite));
                    cf_end(r);
                }

    /* finite differences of the oracle's forward, with dloss != 1 */
    static const loss_xent_shape grad_shapes[] = {{4, 6, -3, 3}, {7, 13, -3, 3}, {5, 9, -40, 40}};
    for (int i = 0; i < 3; i++)
        for (int red = 0; red <= SEQNN_REDUCE_SUM; red++)
            for (int mode = 0; mode < LOSS_IGNORE_MODES; mode++) {
                const loss_xent_shape *s = &grad_shapes[i];
                const int overwrite = (i + mode) % 2;
                loss_xent_case c;
                loss_xent_setup(r, &c, s, (seqnn_reduction)red, (enum loss_ignore_mode)mode,
                                overwrite ? " gradcheck overwrite" : " gradcheck accumulate");
                c.a.dloss = loss_dloss_values[1 + (i + mode) % (LOSS_N_DLOSS - 1)];
                c.a.flags = overwrite ? SEQNN_FLAG_OVERWRITE : 0;
                c.loss = cf_out(r, "loss", 1);
                c.dlogits = cf_inout(r, "dlogits", s->rows * s->cols, -1, 1);
                cf_tensor *dl = cf_in_values(r, "dloss", 1, &c.a.dloss);
                c.a.loss = cf_ref(c.loss);
                c.a.dlogits = cf_ref(c.dlogits);
                cf_gradcheck(r, SEQNN_KERNEL_xent_forward, SEQNN_KERNEL_xent_backward, &c.a,
                             1, &c.logits, &c.dlogits, 1, &c.loss, &dl);
                cf_end(r);
            }

    loss_xent_nonfinite(r, 1);
    loss_xent_bad_target(r, 1, 4);
    loss_xent_bad_target(r, 1, -7);

    cf_begin(r, "argument checks");
    {
        loss_xent_case c;
        loss_xent_setup(r, &c, &loss_xent_shapes[2], SEQNN_REDUCE_SUM, LOSS_IGNORE_NONE, "");
        c.dlogits = cf_out(r, "dlogits", 3 * 7);
        c.a.dlogits = cf_ref(c.dlogits);
        c.a.dloss = 1;
        seqnn_xent_args bad = c.a;
        bad.flags = 2;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_backward, &bad, "flags = 2");
        bad = c.a;
        bad.dloss = NAN;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_backward, &bad, "dloss = NaN");
        bad = c.a;
        bad.dlogits = c.a.logits;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_backward, &bad, "dlogits = logits");
        bad = c.a;
        bad.dlogits.buf = NULL;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_backward, &bad, "a missing dlogits");
        bad = c.a;
        bad.rows = -1;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_backward, &bad, "rows = -1");
    }
    cf_end(r);
}

/* -------------------------------------------------------------- mse, bce */

/* One element-wise loss: its kernels and how its inputs are drawn. */
typedef struct loss_pointwise {
    const char *name;
    seqnn_kernel_id fwd, bwd;
    int bce;                             /* targets in [0, 1], some hard 0/1 */
    int terms;                           /* terms summed per element of the forward */
} loss_pointwise;

/* mse: one square per element; bce: max(x, 0) - x t + log(1 + exp(-|x|)), three terms */
static const loss_pointwise loss_mse = {"mse", SEQNN_KERNEL_mse_forward, SEQNN_KERNEL_mse_backward, 0, 1};
static const loss_pointwise loss_bce = {"bce", SEQNN_KERNEL_bce_forward, SEQNN_KERNEL_bce_backward, 1, 3};

/* n: zero, one, primes, non-multiples of 8/16, long; x range: moderate and,
 * for bce, logits whose exp overflows float */
static const int64_t loss_pointwise_n[] = {0, 1, 7, 16, 17, 64, 255, 1000, 4099};
#define LOSS_N_POINTWISE ((int)(sizeof loss_pointwise_n / sizeof loss_pointwise_n[0]))

typedef struct loss_pointwise_case {
    seqnn_loss_args a;
    cf_tensor *x, *target, *loss, *dx;
} loss_pointwise_case;

/* Begins a check and makes x [n] uniform in [-scale, scale) and target [n]
 * (mse: in [-2, 2); bce: in [0, 1), every third one hard 0 or 1). */
static void loss_pointwise_setup(cf_run *r, loss_pointwise_case *c, const loss_pointwise *k,
                                 int64_t n, double scale, seqnn_reduction red, const char *extra)
{
    double *t = malloc((size_t)(n > 0 ? n : 1) * sizeof *t);
    cf_begin(r, "%s n=%lld x in [%g, %g) %s%s", k->name, (long long)n, -scale, scale,
             loss_reduction_name(red), extra);
    c->a = (seqnn_loss_args){0};
    c->a.n = n;
    c->a.reduction = red;
    c->x = cf_in(r, "x", n, -scale, scale);
    if (!t) {
        cf_fail(r, "out of host memory");
        c->target = cf_in(r, "target", n, 0, 1);
    } else {
        for (int64_t i = 0; i < n; i++) {
            if (!k->bce)
                t[i] = cf_uniform(r, -2, 2);
            else if (i % 3 == 0)
                t[i] = (double)cf_randint(r, 0, 1);
            else
                t[i] = cf_uniform(r, 0, 1);
        }
        c->target = cf_in_values(r, "target", n, t);
    }
    free(t);
    c->a.x = cf_ref(c->x);
    c->a.target = cf_ref(c->target);
}

/* x ranges of a loss: bce also gets logits far beyond float exp's range */
static int loss_pointwise_scales(const loss_pointwise *k, const double **scales)
{
    static const double mse_scales[] = {2.0};
    static const double bce_scales[] = {4.0, 100.0, 1000.0};
    *scales = k->bce ? bce_scales : mse_scales;
    return k->bce ? 3 : 1;
}

/* NaN (and for mse infinities) in x, n = 19, SUM, dloss 0.75: a NaN element
 * makes the loss NaN and its own gradient NaN (only its own); for mse an
 * infinite x makes the loss +Inf and its gradient the infinity of x - t.
 * Variants: NaN at 4; Inf at 9 and -Inf at 13 (mse); both (mse). */
static void loss_pointwise_nonfinite(cf_run *r, const loss_pointwise *k, int backward)
{
    enum { N = 19 };
    for (int variant = 0; variant < (k->bce ? 1 : 3); variant++)
        for (int overwrite = 0; overwrite <= backward; overwrite++) {
            loss_pointwise_case c;
            double x[N];
            cf_tensor *out;
            loss_pointwise_setup(r, &c, k, N, 2, SEQNN_REDUCE_SUM,
                                 variant == 0 ? " NaN at 4" : variant == 1 ? " +-Inf at 9, 13" : " NaN and +-Inf");
            for (int i = 0; i < N; i++)
                x[i] = cf_uniform(r, -2, 2);
            if (variant != 1)
                x[4] = NAN;
            if (variant != 0) {
                x[9] = INFINITY;
                x[13] = -INFINITY;
            }
            c.a.x = cf_ref(cf_in_values(r, "x", N, x));
            c.a.dloss = 0.75;
            c.a.flags = overwrite ? SEQNN_FLAG_OVERWRITE : 0;
            if (backward)
                out = overwrite ? cf_out(r, "dx", N) : cf_inout(r, "dx", N, -1, 1);
            else
                out = cf_out(r, "loss", 1);
            cf_set_nonfinite(r, out);
            if (backward)
                c.a.dx = cf_ref(out);
            else
                c.a.loss = cf_ref(out);
            cf_check(r, backward ? k->bwd : k->fwd, &c.a, backward ? (double)(1 + !overwrite) : (double)(N * k->terms));
            cf_end(r);
        }
}

static void loss_pointwise_forward_tests(cf_run *r, const loss_pointwise *k)
{
    const double *scales;
    const int n_scales = loss_pointwise_scales(k, &scales);
    for (int i = 0; i < LOSS_N_POINTWISE; i++)
        for (int sc = 0; sc < n_scales; sc++)
            for (int red = 0; red <= SEQNN_REDUCE_SUM; red++) {
                const int64_t n = loss_pointwise_n[i];
                loss_pointwise_case c;
                loss_pointwise_setup(r, &c, k, n, scales[sc], (seqnn_reduction)red, "");
                c.loss = cf_out(r, "loss", 1);
                c.a.loss = cf_ref(c.loss);
                /* the loss sums n elements' terms */
                cf_check(r, k->fwd, &c.a, (double)(n * k->terms));
                cf_end(r);
            }

    loss_pointwise_nonfinite(r, k, 0);

    cf_begin(r, "%s argument checks", k->name);
    {
        loss_pointwise_case c;
        loss_pointwise_setup(r, &c, k, 7, 1, SEQNN_REDUCE_MEAN, "");
        c.loss = cf_out(r, "loss", 1);
        c.a.loss = cf_ref(c.loss);
        seqnn_loss_args bad = c.a;
        bad.flags = SEQNN_FLAG_OVERWRITE;
        cf_expect_rejected(r, k->fwd, &bad, "flags = OVERWRITE");
        bad = c.a;
        bad.reduction = (seqnn_reduction)-1;
        cf_expect_rejected(r, k->fwd, &bad, "reduction = -1");
        bad = c.a;
        bad.n = 7 + 100;
        cf_expect_rejected(r, k->fwd, &bad, "n past the buffers");
        bad = c.a;
        bad.target.buf = NULL;
        cf_expect_rejected(r, k->fwd, &bad, "a missing target");
        bad = c.a;
        bad.loss = c.a.target;
        cf_expect_rejected(r, k->fwd, &bad, "loss inside target");
    }
    cf_end(r);
}

static void loss_pointwise_backward_tests(cf_run *r, const loss_pointwise *k)
{
    const double *scales;
    const int n_scales = loss_pointwise_scales(k, &scales);
    int check = 0;
    for (int i = 0; i < LOSS_N_POINTWISE; i++)
        for (int sc = 0; sc < n_scales; sc++)
            for (int red = 0; red <= SEQNN_REDUCE_SUM; red++)
                for (int overwrite = 0; overwrite <= 1; overwrite++) {
                    const int64_t n = loss_pointwise_n[i];
                    loss_pointwise_case c;
                    loss_pointwise_setup(r, &c, k, n, scales[sc], (seqnn_reduction)red,
                                         overwrite ? " overwrite" : " accumulate");
                    c.a.dloss = loss_dloss_values[check++ % LOSS_N_DLOSS];
                    c.a.flags = overwrite ? SEQNN_FLAG_OVERWRITE : 0;
                    c.dx = overwrite ? cf_out(r, "dx", n) : cf_inout(r, "dx", n, -1, 1);
                    c.a.dx = cf_ref(c.dx);
                    /* element-wise: one term, plus the old value when accumulating */
                    cf_check(r, k->bwd, &c.a, (double)(1 + !overwrite));
                    cf_end(r);
                }

    /* finite differences with dloss != 1, per reduction and x range */
    static const int64_t grad_n[] = {1, 6, 23};
    for (int i = 0; i < 3; i++)
        for (int sc = 0; sc < n_scales; sc++)
            for (int red = 0; red <= SEQNN_REDUCE_SUM; red++) {
                const int overwrite = (i + sc + red) % 2;
                loss_pointwise_case c;
                loss_pointwise_setup(r, &c, k, grad_n[i], scales[sc], (seqnn_reduction)red,
                                     overwrite ? " gradcheck overwrite" : " gradcheck accumulate");
                c.a.dloss = loss_dloss_values[1 + (i + sc) % (LOSS_N_DLOSS - 1)];
                c.a.flags = overwrite ? SEQNN_FLAG_OVERWRITE : 0;
                c.loss = cf_out(r, "loss", 1);
                c.dx = cf_inout(r, "dx", grad_n[i], -1, 1);
                cf_tensor *dl = cf_in_values(r, "dloss", 1, &c.a.dloss);
                c.a.loss = cf_ref(c.loss);
                c.a.dx = cf_ref(c.dx);
                cf_gradcheck(r, k->fwd, k->bwd, &c.a, 1, &c.x, &c.dx, 1, &c.loss, &dl);
                cf_end(r);
            }

    loss_pointwise_nonfinite(r, k, 1);

    cf_begin(r, "%s argument checks", k->name);
    {
        loss_pointwise_case c;
        loss_pointwise_setup(r, &c, k, 7, 1, SEQNN_REDUCE_SUM, "");
        c.dx = cf_out(r, "dx", 7);
        c.a.dx = cf_ref(c.dx);
        c.a.dloss = 1;
        seqnn_loss_args bad = c.a;
        bad.flags = 4;
        cf_expect_rejected(r, k->bwd, &bad, "flags = 4");
        bad = c.a;
        bad.dloss = INFINITY;
        cf_expect_rejected(r, k->bwd, &bad, "dloss = inf");
        bad = c.a;
        bad.dx = c.a.x;
        cf_expect_rejected(r, k->bwd, &bad, "dx = x");
        bad = c.a;
        bad.n = -1;
        cf_expect_rejected(r, k->bwd, &bad, "n = -1");
    }
    cf_end(r);
}

void cf_test_mse_forward(cf_run *r)
{
    loss_pointwise_forward_tests(r, &loss_mse);
}

void cf_test_mse_backward(cf_run *r)
{
    loss_pointwise_backward_tests(r, &loss_mse);
}

void cf_test_bce_forward(cf_run *r)
{
    loss_pointwise_forward_tests(r, &loss_bce);
}

void cf_test_bce_backward(cf_run *r)
{
    loss_pointwise_backward_tests(r, &loss_bce);
}

/* -------------------------------------------------------------- xent_ext */

/* Class weights and smoothing of an xent_ext check: the four combinations
 * cycled over shapes and reductions (weights in [0, 2) with every fifth class
 * weighing exactly 0). */
typedef struct loss_ext_mode {
    int weighted;
    double smoothing;
} loss_ext_mode;

static const loss_ext_mode loss_ext_modes[] = {{0, 0.1}, {1, 0.0}, {1, 0.1}, {1, 1.0}};
#define LOSS_N_EXT_MODES ((int)(sizeof loss_ext_modes / sizeof loss_ext_modes[0]))

/* The tensors of one xent_ext check. */
typedef struct loss_ext_case {
    seqnn_xent_ext_args a;
    cf_tensor *logits, *target, *weight, *loss, *losses, *dlosses, *dlogits;
} loss_ext_case;

/* Begins a check: logits, targets (as xent's), weights, smoothing; the
 * caller adds outputs. */
static void loss_ext_setup(cf_run *r, loss_ext_case *c, const loss_xent_shape *s, seqnn_reduction red,
                           enum loss_ignore_mode mode, const loss_ext_mode *m, const char *extra)
{
    loss_xent_case base;
    char what[96];
    snprintf(what, sizeof what, " %s weights smoothing=%g%s", m->weighted ? "with" : "no", m->smoothing, extra);
    loss_xent_setup(r, &base, s, red, mode, what);
    c->a = (seqnn_xent_ext_args){0};
    c->a.rows = s->rows;
    c->a.cols = s->cols;
    c->a.logits = base.a.logits;
    c->a.target = base.a.target;
    c->a.ignore_index = base.a.ignore_index;
    c->a.reduction = red;
    c->a.smoothing = m->smoothing;
    c->logits = base.logits;
    c->target = base.target;
    c->weight = NULL;
    c->loss = c->losses = c->dlosses = c->dlogits = NULL;
    if (m->weighted) {
        double *w = malloc((size_t)s->cols * sizeof *w);
        if (!w) {
            cf_fail(r, "out of host memory");
            return;
        }
        for (int64_t j = 0; j < s->cols; j++)
            w[j] = j % 5 == 3 ? 0.0 : cf_uniform(r, 0, 2);
        c->weight = cf_in_values(r, "weight", s->cols, w);
        c->a.weight = cf_ref(c->weight);
        free(w);
    }
}

/* Adds the forward's outputs: loss [1] (MEAN, SUM) and losses [rows] (NONE,
 * and with_losses for MEAN/SUM). */
static void loss_ext_forward_outputs(cf_run *r, loss_ext_case *c, int with_losses)
{
    if (c->a.reduction != SEQNN_REDUCE_NONE) {
        c->loss = cf_out(r, "loss", 1);
        c->a.loss = cf_ref(c->loss);
    }
    if (c->a.reduction == SEQNN_REDUCE_NONE || with_losses) {
        c->losses = cf_out(r, "losses", c->a.rows);
        c->a.losses = cf_ref(c->losses);
    }
}

/* Adds the backward's dlosses [rows] in [-1, 1) (NONE) and dlogits. */
static void loss_ext_backward_outputs(cf_run *r, loss_ext_case *c, int overwrite)
{
    const int64_t n = c->a.rows * c->a.cols;
    if (c->a.reduction == SEQNN_REDUCE_NONE) {
        c->dlosses = cf_in(r, "dlosses", c->a.rows, -1, 1);
        c->a.dlosses = cf_ref(c->dlosses);
    }
    c->a.flags = overwrite ? SEQNN_FLAG_OVERWRITE : 0;
    c->dlogits = overwrite ? cf_out(r, "dlogits", n) : cf_inout(r, "dlogits", n, -1, 1);
    c->a.dlogits = cf_ref(c->dlogits);
}

/* Reduction lengths: a row's loss sums cols exponentials and, smoothed, cols
 * weighted log-probabilities; MEAN/SUM add the rows (and W sums rows
 * weights). A gradient element: a softmax over cols and S = sum of cols
 * weights, the MEAN's W over rows, and the old value when accumulating. */
static double loss_ext_k_forward(const seqnn_xent_ext_args *a)
{
    const double row = (double)a->cols * (a->smoothing != 0 ? 2 : 1);
    return a->reduction == SEQNN_REDUCE_NONE ? row : row * (double)a->rows + (double)a->rows;
}

static double loss_ext_k_backward(const seqnn_xent_ext_args *a, int overwrite)
{
    return (double)a->cols + (a->reduction == SEQNN_REDUCE_MEAN ? (double)a->rows : 0) + !overwrite;
}

/* NaN and infinities as xent's nonfinite checks, with weights and smoothing
 * 0.1: variant 0 as xent's (an ignored row of NaN and +Inf is not read; -Inf
 * at a non-target class of rows 2 and 4) but smoothed, so rows 2 and 4 take
 * w_j * +Inf into their loss (+Inf; the gradient stays finite); variant 1
 * the same unsmoothed (all finite); variant 2 a NaN in row 3 (the loss and
 * row 3's gradient NaN). NONE and MEAN. */
static void loss_ext_nonfinite(cf_run *r, int backward)
{
    enum { ROWS = 6, COLS = 19 };
    static const int32_t target[ROWS] = {3, -100, 5, 0, 7, 2};
    for (int variant = 0; variant < 3; variant++)
        for (int red = 0; red <= SEQNN_REDUCE_NONE; red += SEQNN_REDUCE_NONE)
            for (int overwrite = 0; overwrite <= backward; overwrite++) {
                seqnn_xent_ext_args a = {0};
                double x[ROWS * COLS], w[COLS];
                cf_tensor *out;
                cf_begin(r, "rows=%d cols=%d %s %s, weights%s", ROWS, COLS, loss_reduction_name((seqnn_reduction)red),
                         variant == 0 ? "smoothed -Inf logits" : variant == 1 ? "unsmoothed -Inf logits"
                                                                             : "NaN in a counted row",
                         backward ? (overwrite ? " overwrite" : " accumulate") : "");
                for (int i = 0; i < ROWS * COLS; i++)
                    x[i] = cf_uniform(r, -4, 4);
                for (int j = 0; j < COLS; j++)
                    w[j] = cf_uniform(r, 0.25, 2);
                x[1 * COLS + 4] = NAN;
                x[1 * COLS + 11] = INFINITY;
                x[2 * COLS + 9] = -INFINITY;
                x[4 * COLS + 18] = -INFINITY;
                if (variant == 2)
                    x[3 * COLS + 11] = NAN;
                a.rows = ROWS;
                a.cols = COLS;
                a.ignore_index = -100;
                a.reduction = (seqnn_reduction)red;
                a.smoothing = variant == 1 ? 0 : 0.1;
                a.dloss = 0.75;
                a.flags = overwrite ? SEQNN_FLAG_OVERWRITE : 0;
                a.logits = cf_ref(cf_in_values(r, "logits", ROWS * COLS, x));
                a.target = cf_ref(cf_in_ints(r, "target", ROWS, target));
                a.weight = cf_ref(cf_in_values(r, "weight", COLS, w));
                if (backward) {
                    if (red == SEQNN_REDUCE_NONE)
                        a.dlosses = cf_ref(cf_in(r, "dlosses", ROWS, -1, 1));
                    out = overwrite ? cf_out(r, "dlogits", ROWS * COLS) : cf_inout(r, "dlogits", ROWS * COLS, -1, 1);
                    a.dlogits = cf_ref(out);
                } else {
                    out = red == SEQNN_REDUCE_NONE ? cf_out(r, "losses", ROWS) : cf_out(r, "loss", 1);
                    if (red == SEQNN_REDUCE_NONE)
                        a.losses = cf_ref(out);
                    else
                        a.loss = cf_ref(out);
                }
                cf_set_nonfinite(r, out);
                cf_check(r, backward ? SEQNN_KERNEL_xent_ext_backward : SEQNN_KERNEL_xent_ext_forward, &a,
                         backward ? loss_ext_k_backward(&a, overwrite) : loss_ext_k_forward(&a));
                cf_end(r);
            }
}

void cf_test_xent_ext_forward(cf_run *r)
{
    int check = 0;
    for (int i = 0; i < LOSS_N_XENT_SHAPES; i++)
        for (int red = 0; red <= SEQNN_REDUCE_NONE; red++)
            for (int m = 0; m < LOSS_N_EXT_MODES; m++, check++) {
                loss_ext_case c;
                loss_ext_setup(r, &c, &loss_xent_shapes[i], (seqnn_reduction)red,
                               (enum loss_ignore_mode)(check % LOSS_IGNORE_MODES), &loss_ext_modes[m],
                               check % 3 == 0 ? " +losses" : "");
                loss_ext_forward_outputs(r, &c, check % 3 == 0);
                cf_check(r, SEQNN_KERNEL_xent_ext_forward, &c.a, loss_ext_k_forward(&c.a));
                cf_end(r);
            }

    loss_ext_nonfinite(r, 0);

    cf_begin(r, "argument checks");
    {
        loss_ext_case c;
        loss_ext_setup(r, &c, &loss_xent_shapes[2], SEQNN_REDUCE_MEAN, LOSS_IGNORE_NONE, &loss_ext_modes[2], "");
        loss_ext_forward_outputs(r, &c, 1);
        seqnn_xent_ext_args bad = c.a;
        bad.smoothing = 1.5;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_ext_forward, &bad, "smoothing = 1.5");
        bad = c.a;
        bad.smoothing = NAN;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_ext_forward, &bad, "smoothing = NaN");
        bad = c.a;
        bad.reduction = (seqnn_reduction)3;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_ext_forward, &bad, "reduction = 3");
        bad = c.a;
        bad.weight = c.a.target;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_ext_forward, &bad, "an int32 weight");
        bad = c.a;
        bad.reduction = SEQNN_REDUCE_NONE;
        bad.losses.buf = NULL;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_ext_forward, &bad, "NONE without losses");
        bad = c.a;
        bad.losses = c.a.logits;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_ext_forward, &bad, "losses inside logits");
        bad = c.a;
        bad.loss = c.a.weight;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_ext_forward, &bad, "loss inside weight");
        cf_expect_extent(r, SEQNN_KERNEL_xent_ext_forward, &c.a, &c.a.weight, SEQNN_F32, c.a.cols, "weight");
        cf_expect_extent(r, SEQNN_KERNEL_xent_ext_forward, &c.a, &c.a.losses, SEQNN_F32, c.a.rows, "losses");
    }
    cf_end(r);
}

void cf_test_xent_ext_backward(cf_run *r)
{
    int check = 0;
    for (int i = 0; i < LOSS_N_XENT_SHAPES; i++)
        for (int red = 0; red <= SEQNN_REDUCE_NONE; red++)
            for (int m = 0; m < LOSS_N_EXT_MODES; m++)
                for (int overwrite = 0; overwrite <= 1; overwrite++, check++) {
                    loss_ext_case c;
                    loss_ext_setup(r, &c, &loss_xent_shapes[i], (seqnn_reduction)red,
                                   (enum loss_ignore_mode)((check / 2) % LOSS_IGNORE_MODES), &loss_ext_modes[m],
                                   overwrite ? " overwrite" : " accumulate");
                    c.a.dloss = loss_dloss_values[check % LOSS_N_DLOSS];
                    loss_ext_backward_outputs(r, &c, overwrite);
                    cf_check(r, SEQNN_KERNEL_xent_ext_backward, &c.a, loss_ext_k_backward(&c.a, overwrite));
                    cf_end(r);
                }

    /* finite differences of the oracle's forward: of loss (dloss != 1) or of
     * sum_r dlosses[r] * losses[r] (NONE) */
    static const loss_xent_shape grad_shapes[] = {{4, 6, -3, 3}, {7, 13, -3, 3}, {5, 9, -40, 40}};
    for (int i = 0; i < 3; i++)
        for (int red = 0; red <= SEQNN_REDUCE_NONE; red++)
            for (int m = 0; m < LOSS_N_EXT_MODES; m++) {
                const int overwrite = (i + m + red) % 2;
                loss_ext_case c;
                loss_ext_setup(r, &c, &grad_shapes[i], (seqnn_reduction)red,
                               (enum loss_ignore_mode)((i + m) % LOSS_IGNORE_MODES), &loss_ext_modes[m],
                               overwrite ? " gradcheck overwrite" : " gradcheck accumulate");
                c.a.dloss = red == SEQNN_REDUCE_NONE ? 1.0 : loss_dloss_values[1 + (i + m) % (LOSS_N_DLOSS - 1)];
                loss_ext_forward_outputs(r, &c, 0);
                loss_ext_backward_outputs(r, &c, overwrite);
                cf_tensor *out = red == SEQNN_REDUCE_NONE ? c.losses : c.loss;
                cf_tensor *dout = red == SEQNN_REDUCE_NONE ? c.dlosses : cf_in_values(r, "dloss", 1, &c.a.dloss);
                cf_gradcheck(r, SEQNN_KERNEL_xent_ext_forward, SEQNN_KERNEL_xent_ext_backward, &c.a,
                             1, &c.logits, &c.dlogits, 1, &out, &dout);
                cf_end(r);
            }

    loss_ext_nonfinite(r, 1);

    cf_begin(r, "argument checks");
    {
        loss_ext_case c;
        loss_ext_setup(r, &c, &loss_xent_shapes[2], SEQNN_REDUCE_NONE, LOSS_IGNORE_NONE, &loss_ext_modes[2], "");
        loss_ext_backward_outputs(r, &c, 1);
        c.a.dloss = 1;
        seqnn_xent_ext_args bad = c.a;
        bad.dlosses.buf = NULL;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_ext_backward, &bad, "NONE without dlosses");
        bad = c.a;
        bad.dloss = NAN;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_ext_backward, &bad, "dloss = NaN");
        bad = c.a;
        bad.dlogits = c.a.logits;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_ext_backward, &bad, "dlogits = logits");
        bad = c.a;
        bad.flags = 2;
        cf_expect_rejected(r, SEQNN_KERNEL_xent_ext_backward, &bad, "flags = 2");
        cf_expect_extent(r, SEQNN_KERNEL_xent_ext_backward, &c.a, &c.a.dlosses, SEQNN_F32, c.a.rows, "dlosses");
    }
    cf_end(r);
}

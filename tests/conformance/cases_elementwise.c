/* Conformance cases of the element-wise family: the six activations (forward,
 * backward, special points, in place, finite differences), add / mul / scale
 * (aliasing, beta == 0 with z unread), softmax and log-softmax (large inputs,
 * in place, backward, finite differences) and dropout (Philox known answer,
 * counters across 2^32, kept fraction, in place, backward, finite
 * differences), copy2d (bit for bit, strided rows); NaN and infinities for
 * activations, add/mul/scale, softmax, dropout and copy2d. Budgets and their basis: docs/kernels/elementwise.md. */
#include <math.h>
#include "conformance.h"
#include "seqnn/philox.h"

static const char *const elementwise_act_names[SEQNN_ACT_COUNT] = {
    "sigmoid", "tanh", "hardtanh", "relu", "leaky_relu", "swish",
};

/* The activations' special points: 0 and -0 (relu/leaky kinks), +-1
 * (hardtanh's ends), tiny and large magnitudes (sigmoid's overflow side). */
static const double elementwise_special[] = {
    0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1e-3, -1e-3, 3.0, -3.0, 20.0, -20.0, 90.0, -90.0,
    0.999, -1.001,
};
#define ELEMENTWISE_N_SPECIAL ((int64_t)(sizeof elementwise_special / sizeof elementwise_special[0]))

/* Elements of an activation check: size 0 stands for the special points. */
static int64_t elementwise_act_count(int64_t size)
{
    return size ? size : ELEMENTWISE_N_SPECIAL;
}

/* x: the special points when size == 0, else random in [-4, 4) */
static cf_tensor *elementwise_act_input(cf_run *r, const char *name, int64_t size, int inout)
{
    if (size == 0)
        return cf_in_values(r, name, ELEMENTWISE_N_SPECIAL, elementwise_special);
    return inout ? cf_inout(r, name, size, -4, 4) : cf_in(r, name, size, -4, 4);
}

/* The points of the NaN rules: NaN, +Inf and -Inf among finite values, n = 19
 * (a full vector and a tail, each non-finite value in both). */
static const double elementwise_nonfinite[] = {
    NAN, 1.5, INFINITY, -INFINITY, -0.5, 0.0, 2.0, -3.0, NAN, 0.25, -INFINITY, 4.0, INFINITY, -2.0,
    1.0, NAN, 0.75, INFINITY, -INFINITY,
};
#define ELEMENTWISE_N_NONFINITE ((int64_t)(sizeof elementwise_nonfinite / sizeof elementwise_nonfinite[0]))

/* An output of n elements compared NaN-aware: a fresh one (NaN-poisoned) or x
 * itself (in place). */
static cf_tensor *elementwise_nonfinite_out(cf_run *r, int64_t n, cf_tensor *x, int in_place)
{
    cf_tensor *y = in_place ? x : cf_out(r, "y", n);
    cf_set_nonfinite(r, y);
    return y;
}

static const int64_t elementwise_act_sizes[] = {0 /* special points */, 1, 7, 17, 64, 255, 1000};
#define ELEMENTWISE_ACT_SIZES ((int)(sizeof elementwise_act_sizes / sizeof elementwise_act_sizes[0]))

/* Bad activation arguments, each one defect away from a valid call (n=8;
 * extents past the end by more than the framework's 16 guard elements). */
static void elementwise_act_rejects(cf_run *r, seqnn_kernel_id id)
{
    const int backward = id == SEQNN_KERNEL_act_backward;
    seqnn_act_args a = {0}, bad;
    cf_tensor *x, *y, *dy, *dx;
    cf_begin(r, "argument checks");
    x = cf_in(r, "x", 8, -1, 1);
    y = cf_out(r, "y", 8);
    dy = cf_inout(r, "dy", 8, -1, 1);
    dx = cf_inout(r, "dx", 8, -1, 1);
    a.kind = SEQNN_ACT_LEAKY_RELU; a.alpha = 0.1; a.n = 8;
    a.x = cf_ref(x); a.y = cf_ref(y); a.dy = cf_ref(dy); a.dx = cf_ref(dx);
    cf_call(r, id, &a);   /* the valid call itself */
    bad = a; bad.flags = backward ? 2 : SEQNN_FLAG_OVERWRITE;
    cf_expect_rejected(r, id, &bad, "flags");
    bad = a; bad.kind = SEQNN_ACT_COUNT;  cf_expect_rejected(r, id, &bad, "kind = COUNT");
    bad = a; bad.kind = (seqnn_act)-1;    cf_expect_rejected(r, id, &bad, "kind = -1");
    bad = a; bad.alpha = NAN;             cf_expect_rejected(r, id, &bad, "alpha = NaN");
    bad = a; bad.n = -1;                  cf_expect_rejected(r, id, &bad, "n = -1");
    bad = a; bad.n = 30;                  cf_expect_rejected(r, id, &bad, "n past the buffers");
    bad = a; bad.y.buf = NULL;            cf_expect_rejected(r, id, &bad, "a missing y");
    bad = a; bad.x.buf = NULL;            cf_expect_rejected(r, id, &bad, "a missing x");
    if (backward) {
        bad = a; bad.dx.buf = NULL;       cf_expect_rejected(r, id, &bad, "a missing dx");
        bad = a; bad.dy.buf = NULL;       cf_expect_rejected(r, id, &bad, "a missing dy");
        bad = a; bad.dx = bad.dy;         cf_expect_rejected(r, id, &bad, "dx = dy when accumulating");
    }
    cf_end(r);
}

void cf_test_act_forward(cf_run *r)
{
    int kind, i, in_place;
    for (kind = 0; kind < SEQNN_ACT_COUNT; kind++) {
        for (i = 0; i < ELEMENTWISE_ACT_SIZES; i++) {
            /* in place (y = x, one in-out tensor) on every other random size */
            for (in_place = 0; in_place <= (i % 2); in_place++) {
                const int64_t size = elementwise_act_sizes[i];
                seqnn_act_args a = {0};
                cf_tensor *x, *y;
                cf_begin(r, "%s n=%lld%s%s", elementwise_act_names[kind],
                         (long long)elementwise_act_count(size), size ? "" : " special",
                         in_place ? " in-place" : "");
                a.kind = (seqnn_act)kind;
                a.alpha = i % 2 ? 0.01 : 0.3;
                a.n = elementwise_act_count(size);
                x = elementwise_act_input(r, in_place ? "x=y" : "x", size, in_place);
                y = in_place ? x : cf_out(r, "y", a.n);
                a.x = cf_ref(x);
                a.y = cf_ref(y);
                cf_check(r, SEQNN_KERNEL_act_forward, &a, 1);   /* one function value */
                cf_end(r);
            }
        }
    }
    /* NaN stays NaN for every kind; infinities give the limits (and swish(-Inf)
     * = -Inf * 0 = NaN, as torch's silu) */
    for (kind = 0; kind < SEQNN_ACT_COUNT; kind++)
        for (in_place = 0; in_place <= 1; in_place++) {
            seqnn_act_args a = {0};
            cf_tensor *x, *y;
            cf_begin(r, "%s n=%lld NaN and infinities%s", elementwise_act_names[kind],
                     (long long)ELEMENTWISE_N_NONFINITE, in_place ? " in-place" : "");
            a.kind = (seqnn_act)kind;
            a.alpha = 0.3;
            a.n = ELEMENTWISE_N_NONFINITE;
            x = in_place ? cf_inout_values(r, "x=y", a.n, elementwise_nonfinite)
                         : cf_in_values(r, "x", a.n, elementwise_nonfinite);
            y = elementwise_nonfinite_out(r, a.n, x, in_place);
            a.x = cf_ref(x);
            a.y = cf_ref(y);
            cf_check(r, SEQNN_KERNEL_act_forward, &a, 1);
            cf_end(r);
        }
    elementwise_act_rejects(r, SEQNN_KERNEL_act_forward);
}

/* dx (+)= dy * f'(x) in IEEE arithmetic with NaN and infinities in x (and so
 * in y) and in dy (the points shifted by one, so that a non-finite dy meets
 * finite x and the reverse), accumulate and overwrite, every kind. */
static void elementwise_act_backward_nonfinite(cf_run *r)
{
    const int64_t n = ELEMENTWISE_N_NONFINITE;
    double shifted[ELEMENTWISE_N_NONFINITE];
    for (int64_t i = 0; i < n; i++)
        shifted[i] = elementwise_nonfinite[(i + 1) % n];
    for (int kind = 0; kind < SEQNN_ACT_COUNT; kind++)
        for (int overwrite = 0; overwrite <= 1; overwrite++) {
            seqnn_act_args a = {0};
            cf_tensor *y, *dx;
            cf_begin(r, "%s n=%lld NaN and infinities in x and dy %s", elementwise_act_names[kind], (long long)n,
                     overwrite ? "overwrite" : "accumulate");
            a.kind = (seqnn_act)kind;
            a.alpha = 0.3;
            a.n = n;
            y = cf_out(r, "y", n);
            dx = overwrite ? cf_out(r, "dx", n) : cf_inout(r, "dx", n, -1, 1);
            cf_set_nonfinite(r, y);
            cf_set_nonfinite(r, dx);
            a.x = cf_ref(cf_in_values(r, "x", n, elementwise_nonfinite));
            a.y = cf_ref(y);
            a.dy = cf_ref(cf_in_values(r, "dy", n, shifted));
            a.dx = cf_ref(dx);
            cf_call(r, SEQNN_KERNEL_act_forward, &a);
            a.flags = overwrite ? SEQNN_FLAG_OVERWRITE : 0;
            cf_call(r, SEQNN_KERNEL_act_backward, &a);
            cf_compare(r, 2);
            cf_end(r);
        }
}

void cf_test_act_backward(cf_run *r)
{
    int kind, i, mode;
    for (kind = 0; kind < SEQNN_ACT_COUNT; kind++) {
        /* mode 0 accumulate, 1 overwrite, 2 overwrite in place (dx = dy) */
        for (i = 0; i < ELEMENTWISE_ACT_SIZES; i++) {
            for (mode = 0; mode <= 2; mode++) {
                const int64_t size = elementwise_act_sizes[i];
                seqnn_act_args a = {0};
                cf_tensor *x, *y, *dy, *dx;
                cf_begin(r, "%s n=%lld%s %s", elementwise_act_names[kind],
                         (long long)elementwise_act_count(size), size ? "" : " special",
                         mode == 0 ? "accumulate" : mode == 1 ? "overwrite" : "overwrite dx=dy");
                a.kind = (seqnn_act)kind;
                a.alpha = i % 2 ? 0.01 : 0.3;
                a.n = elementwise_act_count(size);
                x = elementwise_act_input(r, "x", size, 0);
                y = cf_out(r, "y", a.n);
                if (mode == 2) {
                    dy = cf_inout(r, "dy=dx", a.n, -1, 1);
                    dx = dy;
                } else {
                    dy = cf_in(r, "dy", a.n, -1, 1);
                    /* an overwritten dx starts as NaN: it must not be read */
                    dx = mode ? cf_out(r, "dx", a.n) : cf_inout(r, "dx", a.n, -1, 1);
                }
                a.x = cf_ref(x);
                a.y = cf_ref(y);
                a.dy = cf_ref(dy);
                a.dx = cf_ref(dx);
                cf_call(r, SEQNN_KERNEL_act_forward, &a);   /* forward: flags 0 */
                a.flags = mode ? SEQNN_FLAG_OVERWRITE : 0;
                cf_call(r, SEQNN_KERNEL_act_backward, &a);
                cf_compare(r, 2);   /* dy * f'(x), plus the old dx */
                cf_end(r);
            }
        }
        /* finite differences of L = <dy, f(x)>, accumulate and overwrite */
        for (mode = 0; mode <= 1; mode++) {
            seqnn_act_args a = {0};
            cf_tensor *x, *y, *dy, *dx;
            cf_begin(r, "gradcheck %s n=61 %s", elementwise_act_names[kind],
                     mode ? "overwrite" : "accumulate");
            a.kind = (seqnn_act)kind;
            a.alpha = 0.2;
            a.n = 61;
            a.flags = mode ? SEQNN_FLAG_OVERWRITE : 0;
            x = cf_in(r, "x", a.n, -4, 4);
            y = cf_out(r, "y", a.n);
            dy = cf_in(r, "dy", a.n, -1, 1);
            dx = cf_inout(r, "dx", a.n, -1, 1);
            a.x = cf_ref(x);
            a.y = cf_ref(y);
            a.dy = cf_ref(dy);
            a.dx = cf_ref(dx);
            cf_gradcheck(r, SEQNN_KERNEL_act_forward, SEQNN_KERNEL_act_backward, &a,
                         1, &x, &dx, 1, &y, &dy);
            cf_end(r);
        }
    }
    elementwise_act_backward_nonfinite(r);
    elementwise_act_rejects(r, SEQNN_KERNEL_act_backward);
}

/* ------------------------------------------------------ add, mul, scale */

enum { EW_ADD, EW_MUL, EW_SCALE };
/* z's role: a fresh output, or the same tensor as x or as y */
enum { EW_Z_OWN, EW_Z_IS_X, EW_Z_IS_Y };

/* One add/mul/scale check of n elements. */
static void elementwise_ew_check(cf_run *r, int op, int64_t n, double alpha, double beta,
                                 int z_role)
{
    static const char *const op_names[] = {"add", "mul", "scale"};
    static const char *const role_names[] = {"", " z=x", " z=y"};
    static const seqnn_kernel_id ids[] = {SEQNN_KERNEL_add, SEQNN_KERNEL_mul, SEQNN_KERNEL_scale};
    seqnn_ew_args e = {0};
    cf_tensor *x, *y = NULL, *z;
    /* z is read by mul with beta != 0 and by any aliased call: then it has
     * values; a z that must only be written starts as NaN (cf_out) */
    const int z_written_only = !(op == EW_MUL && beta != 0);

    cf_begin(r, "%s n=%lld alpha=%g beta=%g%s", op_names[op], (long long)n, alpha, beta,
             role_names[z_role]);
    e.n = n;
    e.alpha = alpha;
    e.beta = beta;
    x = z_role == EW_Z_IS_X ? cf_inout(r, "x=z", n, -2, 2) : cf_in(r, "x", n, -2, 2);
    if (op != EW_SCALE)     /* scale leaves y absent: it must not be used */
        y = z_role == EW_Z_IS_Y ? cf_inout(r, "y=z", n, -2, 2) : cf_in(r, "y", n, -2, 2);
    if (z_role == EW_Z_IS_X)
        z = x;
    else if (z_role == EW_Z_IS_Y)
        z = y;
    else
        z = z_written_only ? cf_out(r, "z", n) : cf_inout(r, "z", n, -2, 2);
    e.x = cf_ref(x);
    if (y)
        e.y = cf_ref(y);
    e.z = cf_ref(z);
    cf_check(r, ids[op], &e, 2);   /* at most two rounded terms per element */
    cf_end(r);
}

static const int64_t elementwise_ew_sizes[] = {0, 1, 7, 17, 64, 300, 1000};
static const double elementwise_ew_coef[][2] = {{1, 1}, {0.5, -2}, {-1.5, 0}, {2, 0.25}};
#define ELEMENTWISE_EW_SIZES ((int)(sizeof elementwise_ew_sizes / sizeof elementwise_ew_sizes[0]))
#define ELEMENTWISE_EW_COEFS ((int)(sizeof elementwise_ew_coef / sizeof elementwise_ew_coef[0]))

/* Bad add/mul/scale arguments, each one defect away from a valid call (n=8;
 * extents past the end by more than the framework's 16 guard elements). */
static void elementwise_ew_rejects(cf_run *r, seqnn_kernel_id id)
{
    seqnn_ew_args e = {0}, bad;
    cf_tensor *x, *y, *z;
    cf_begin(r, "argument checks");
    x = cf_in(r, "x", 8, -1, 1);
    y = cf_in(r, "y", 8, -1, 1);
    z = cf_inout(r, "z", 8, -1, 1);
    e.n = 8; e.alpha = 1; e.beta = 1;
    e.x = cf_ref(x); e.y = cf_ref(y); e.z = cf_ref(z);
    cf_call(r, id, &e);   /* the valid call itself */
    bad = e; bad.flags = SEQNN_FLAG_OVERWRITE;  cf_expect_rejected(r, id, &bad, "flags");
    bad = e; bad.n = -1;           cf_expect_rejected(r, id, &bad, "n = -1");
    bad = e; bad.n = 30;           cf_expect_rejected(r, id, &bad, "n past the buffers");
    bad = e; bad.alpha = INFINITY; cf_expect_rejected(r, id, &bad, "alpha = inf");
    bad = e; bad.x.buf = NULL;     cf_expect_rejected(r, id, &bad, "a missing x");
    bad = e; bad.z.buf = NULL;     cf_expect_rejected(r, id, &bad, "a missing z");
    if (id != SEQNN_KERNEL_scale) {
        bad = e; bad.beta = NAN;   cf_expect_rejected(r, id, &bad, "beta = NaN");
        bad = e; bad.y.buf = NULL; cf_expect_rejected(r, id, &bad, "a missing y");
    }
    cf_end(r);
}

/* IEEE arithmetic element by element: x and y hold NaN and infinities
 * (y reversed, so Inf meets 0, Inf and -Inf), with beta = 0 (add still
 * reads y: 0 * NaN and 0 * Inf give NaN) and beta = 0.5 (mul reads z). */
static void elementwise_ew_nonfinite(cf_run *r, int op)
{
    static const seqnn_kernel_id ids[] = {SEQNN_KERNEL_add, SEQNN_KERNEL_mul, SEQNN_KERNEL_scale};
    const int64_t n = ELEMENTWISE_N_NONFINITE;
    double rev[ELEMENTWISE_N_NONFINITE];
    for (int64_t i = 0; i < n; i++)
        rev[i] = elementwise_nonfinite[n - 1 - i];
    for (int b = 0; b <= 1; b++) {
        seqnn_ew_args e = {0};
        cf_tensor *z;
        cf_begin(r, "n=%lld NaN and infinities in x and y, alpha=2 beta=%g", (long long)n, b * 0.5);
        e.n = n;
        e.alpha = 2;
        e.beta = b * 0.5;
        e.x = cf_ref(cf_in_values(r, "x", n, elementwise_nonfinite));
        e.y = cf_ref(cf_in_values(r, "y", n, rev));
        z = op == EW_MUL && b ? cf_inout(r, "z", n, -2, 2) : cf_out(r, "z", n);
        cf_set_nonfinite(r, z);
        e.z = cf_ref(z);
        cf_check(r, ids[op], &e, 2);
        cf_end(r);
    }
}

/* Every size with every coefficient pair, then z aliasing x and y; NaN and
 * infinities. */
static void elementwise_ew_test(cf_run *r, int op)
{
    static const seqnn_kernel_id ids[] = {SEQNN_KERNEL_add, SEQNN_KERNEL_mul, SEQNN_KERNEL_scale};
    int i, c;
    for (i = 0; i < ELEMENTWISE_EW_SIZES; i++)
        for (c = 0; c < ELEMENTWISE_EW_COEFS; c++)
            elementwise_ew_check(r, op, elementwise_ew_sizes[i], elementwise_ew_coef[c][0],
                                 elementwise_ew_coef[c][1], EW_Z_OWN);
    for (c = 0; c < ELEMENTWISE_EW_COEFS; c++) {
        elementwise_ew_check(r, op, 257, elementwise_ew_coef[c][0], elementwise_ew_coef[c][1],
                             EW_Z_IS_X);
        if (op != EW_SCALE)
            elementwise_ew_check(r, op, 257, elementwise_ew_coef[c][0],
                                 elementwise_ew_coef[c][1], EW_Z_IS_Y);
    }
    elementwise_ew_nonfinite(r, op);
    elementwise_ew_rejects(r, ids[op]);
}

void cf_test_add(cf_run *r)
{
    elementwise_ew_test(r, EW_ADD);
}

void cf_test_mul(cf_run *r)
{
    elementwise_ew_test(r, EW_MUL);
}

void cf_test_scale(cf_run *r)
{
    elementwise_ew_test(r, EW_SCALE);
}

/* ------------------------------------------------------------- softmax */

/* rows, cols, and the input range (the last rows: large values, where a
 * softmax without the max subtraction overflows float32) */
static const struct {
    int64_t rows, cols;
    double lo, hi;
} elementwise_softmax_shapes[] = {
    {1, 1, -5, 5}, {3, 2, -5, 5}, {5, 17, -5, 5}, {8, 64, -5, 5}, {4, 300, -5, 5},
    {2, 1000, -5, 5}, {0, 5, -5, 5}, {7, 37, 50, 100}, {3, 33, -100, -50},
};
#define ELEMENTWISE_SOFTMAX_SHAPES \
    ((int)(sizeof elementwise_softmax_shapes / sizeof elementwise_softmax_shapes[0]))

/* Bad softmax arguments, each one defect away from a valid call (3 x 4;
 * extents past the end by more than the framework's 16 guard elements). */
static void elementwise_softmax_rejects(cf_run *r, seqnn_kernel_id id)
{
    const int backward = id == SEQNN_KERNEL_softmax_backward;
    seqnn_softmax_args s = {0}, bad;
    cf_tensor *x, *y, *dy, *dx;
    cf_begin(r, "argument checks");
    x = cf_in(r, "x", 12, -1, 1);
    y = cf_inout(r, "y", 12, 0, 1);
    dy = cf_in(r, "dy", 12, -1, 1);
    dx = cf_inout(r, "dx", 12, -1, 1);
    s.rows = 3; s.cols = 4;
    s.x = cf_ref(x); s.y = cf_ref(y); s.dy = cf_ref(dy); s.dx = cf_ref(dx);
    cf_call(r, id, &s);   /* the valid call itself */
    bad = s; bad.flags = backward ? 2 : SEQNN_FLAG_OVERWRITE;
    cf_expect_rejected(r, id, &bad, "flags");
    bad = s; bad.log = 2;        cf_expect_rejected(r, id, &bad, "log = 2");
    bad = s; bad.cols = 0;       cf_expect_rejected(r, id, &bad, "cols = 0");
    bad = s; bad.rows = -1;      cf_expect_rejected(r, id, &bad, "rows = -1");
    bad = s; bad.rows = 10;      cf_expect_rejected(r, id, &bad, "rows past the buffers");
    bad = s; bad.y.buf = NULL;   cf_expect_rejected(r, id, &bad, "a missing y");
    if (backward) {
        bad = s; bad.dy.buf = NULL;  cf_expect_rejected(r, id, &bad, "a missing dy");
        bad = s; bad.dx.buf = NULL;  cf_expect_rejected(r, id, &bad, "a missing dx");
    } else {
        bad = s; bad.x.buf = NULL;   cf_expect_rejected(r, id, &bad, "a missing x");
    }
    cf_end(r);
}

/* Rows of 19 (a vector and a tail) with non-finite entries, as PyTorch: a
 * NaN or a +Inf makes its row NaN, a -Inf entry gets probability 0 (log:
 * -Inf) while the rest of the row is the softmax of the finite entries, a
 * row of -Inf only is NaN; the finite rows between them must stay finite.
 * backward: then the backward of that output with a +Inf in the dy of one
 * finite row and a NaN in the other's (IEEE arithmetic of the formula, row
 * by row; the -Inf row's dy is finite), accumulate and overwrite; else the
 * forward out of place and in place. */
static void elementwise_softmax_nonfinite(cf_run *r, int backward)
{
    enum { ROWS = 6, COLS = 19 };
    static const struct { int col; double v; } plants[ROWS][2] = {
        {{4, NAN}, {4, NAN}}, {{0, INFINITY}, {18, 1}}, {{3, 1}, {3, 1}},
        {{2, -INFINITY}, {17, -INFINITY}}, {{-1, -INFINITY}, {-1, -INFINITY}}, {{3, 1}, {3, 1}},
    };
    for (int log = 0; log <= 1; log++)
        for (int variant = 0; variant <= 1; variant++) {
            seqnn_softmax_args s = {0};
            double x[ROWS * COLS], dy[ROWS * COLS];
            cf_tensor *xt, *dx;
            cf_begin(r, "%s rows=%d cols=%d with NaN, +Inf and -Inf rows%s", log ? "log_softmax" : "softmax",
                     ROWS, COLS, backward ? (variant ? " overwrite" : " accumulate") : variant ? " in-place" : "");
            for (int row = 0; row < ROWS; row++)
                for (int j = 0; j < COLS; j++) {
                    double v = cf_uniform(r, -5, 5);
                    for (int p = 0; p < 2; p++)
                        if (plants[row][p].col == j || plants[row][p].col < 0)
                            v = plants[row][p].v;
                    x[row * COLS + j] = v;
                    dy[row * COLS + j] = cf_uniform(r, -1, 1);
                }
            dy[2 * COLS + 7] = INFINITY;
            dy[5 * COLS + 7] = NAN;
            s.log = log;
            s.rows = ROWS;
            s.cols = COLS;
            const int in_place = !backward && variant;
            xt = in_place ? cf_inout_values(r, "x=y", ROWS * COLS, x) : cf_in_values(r, "x", ROWS * COLS, x);
            s.x = cf_ref(xt);
            s.y = cf_ref(elementwise_nonfinite_out(r, ROWS * COLS, xt, in_place));
            if (!backward) {
                cf_check(r, SEQNN_KERNEL_softmax_forward, &s, (double)COLS);
                cf_end(r);
                continue;
            }
            dx = variant ? cf_out(r, "dx", ROWS * COLS) : cf_inout(r, "dx", ROWS * COLS, -1, 1);
            cf_set_nonfinite(r, dx);
            s.dy = cf_ref(cf_in_values(r, "dy", ROWS * COLS, dy));
            s.dx = cf_ref(dx);
            cf_call(r, SEQNN_KERNEL_softmax_forward, &s);
            s.flags = variant ? SEQNN_FLAG_OVERWRITE : 0;
            cf_call(r, SEQNN_KERNEL_softmax_backward, &s);
            cf_compare(r, (double)COLS + 2);
            cf_end(r);
        }
}

void cf_test_softmax_forward(cf_run *r)
{
    int log, i, in_place;
    for (log = 0; log <= 1; log++) {
        for (i = 0; i < ELEMENTWISE_SOFTMAX_SHAPES; i++) {
            for (in_place = 0; in_place <= 1; in_place++) {
                const int64_t rows = elementwise_softmax_shapes[i].rows;
                const int64_t cols = elementwise_softmax_shapes[i].cols;
                const double lo = elementwise_softmax_shapes[i].lo;
                const double hi = elementwise_softmax_shapes[i].hi;
                const int64_t count = rows * cols;
                seqnn_softmax_args s = {0};
                cf_tensor *x, *y;
                cf_begin(r, "%s rows=%lld cols=%lld x in [%g, %g)%s",
                         log ? "log_softmax" : "softmax", (long long)rows, (long long)cols,
                         lo, hi, in_place ? " in-place" : "");
                s.log = log;
                s.rows = rows;
                s.cols = cols;
                if (in_place) {
                    x = y = cf_inout(r, "x=y", count, lo, hi);
                } else {
                    x = cf_in(r, "x", count, lo, hi);
                    y = cf_out(r, "y", count);
                }
                s.x = cf_ref(x);
                s.y = cf_ref(y);
                cf_check(r, SEQNN_KERNEL_softmax_forward, &s, (double)cols);   /* the row sum */
                cf_end(r);
            }
        }
    }
    elementwise_softmax_nonfinite(r, 0);
    elementwise_softmax_rejects(r, SEQNN_KERNEL_softmax_forward);
}

void cf_test_softmax_backward(cf_run *r)
{
    int log, i, overwrite;
    for (log = 0; log <= 1; log++) {
        for (i = 0; i < ELEMENTWISE_SOFTMAX_SHAPES; i++) {
            for (overwrite = 0; overwrite <= 1; overwrite++) {
                const int64_t rows = elementwise_softmax_shapes[i].rows;
                const int64_t cols = elementwise_softmax_shapes[i].cols;
                const int64_t count = rows * cols;
                seqnn_softmax_args s = {0};
                cf_tensor *x, *y, *dy, *dx;
                cf_begin(r, "%s rows=%lld cols=%lld %s", log ? "log_softmax" : "softmax",
                         (long long)rows, (long long)cols,
                         overwrite ? "overwrite" : "accumulate");
                s.log = log;
                s.rows = rows;
                s.cols = cols;
                x = cf_in(r, "x", count, elementwise_softmax_shapes[i].lo,
                          elementwise_softmax_shapes[i].hi);
                y = cf_out(r, "y", count);
                dy = cf_in(r, "dy", count, -1, 1);
                dx = overwrite ? cf_out(r, "dx", count) : cf_inout(r, "dx", count, -1, 1);
                s.x = cf_ref(x);
                s.y = cf_ref(y);
                s.dy = cf_ref(dy);
                s.dx = cf_ref(dx);
                cf_call(r, SEQNN_KERNEL_softmax_forward, &s);   /* forward: flags 0 */
                s.flags = overwrite ? SEQNN_FLAG_OVERWRITE : 0;
                cf_call(r, SEQNN_KERNEL_softmax_backward, &s);
                /* the row sum of dy (times y), then one more term and the old dx */
                cf_compare(r, (double)cols + 2);
                cf_end(r);
            }
        }
        /* finite differences of L = <dy, softmax(x)> */
        for (overwrite = 0; overwrite <= 1; overwrite++) {
            seqnn_softmax_args s = {0};
            cf_tensor *x, *y, *dy, *dx;
            cf_begin(r, "gradcheck %s rows=4 cols=13 %s", log ? "log_softmax" : "softmax",
                     overwrite ? "overwrite" : "accumulate");
            s.log = log;
            s.rows = 4;
            s.cols = 13;
            s.flags = overwrite ? SEQNN_FLAG_OVERWRITE : 0;
            x = cf_in(r, "x", 52, -3, 3);
            y = cf_out(r, "y", 52);
            dy = cf_in(r, "dy", 52, -1, 1);
            dx = cf_inout(r, "dx", 52, -1, 1);
            s.x = cf_ref(x);
            s.y = cf_ref(y);
            s.dy = cf_ref(dy);
            s.dx = cf_ref(dx);
            cf_gradcheck(r, SEQNN_KERNEL_softmax_forward, SEQNN_KERNEL_softmax_backward, &s,
                         1, &x, &dx, 1, &y, &dy);
            cf_end(r);
        }
    }
    elementwise_softmax_nonfinite(r, 1);
    elementwise_softmax_rejects(r, SEQNN_KERNEL_softmax_backward);
}

/* ------------------------------------------------------------- dropout */

/* A random 64-bit value (a Philox key or counter offset) */
static uint64_t elementwise_random_u64(cf_run *r)
{
    return ((uint64_t)cf_randint(r, 0, 0xFFFFFFFF) << 32) | (uint64_t)cf_randint(r, 0, 0xFFFFFFFF);
}

/* Random123's known answer for philox4x32_10, counter 0 and key 0: checks
 * include/seqnn/philox.h, which every plugin's mask must reproduce. */
static void elementwise_philox_known_answer(cf_run *r)
{
    static const uint32_t expected[4] = {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u};
    uint32_t out[4];
    int i;
    cf_begin(r, "philox4x32_10 known answer (counter 0, key 0)");
    seqnn_philox4x32_10(0, 0, out);
    for (i = 0; i < 4; i++)
        if (out[i] != expected[i])
            cf_fail(r, "philox4x32_10(0, 0) word %d = %08lx, Random123 says %08lx", i,
                    (unsigned long)out[i], (unsigned long)expected[i]);
    cf_end(r);
}

/* The mask's known answer: stream positions 0 .. 3 are the four words of
 * philox4x32_10(counter 0, key 0), Random123's values above, whose top 24
 * bits 6627e8 e169c5 bc57ac 9b00db against threshold 0.7 * 2^24 = b33333 give
 * drop, keep, keep, drop. The offset 2^64 - 2 makes the stream wrap, so these
 * are elements 2 .. 5 (elements 0 and 1 are the last block's, checked against
 * the oracle only); the oracle must give this mask, the plugin the oracle's. */
static void elementwise_dropout_known_answer(cf_run *r)
{
    static const int expected[4] = {0, 1, 1, 0};
    seqnn_dropout_args d = {0};
    cf_tensor *x, *y;
    const double *yv;
    int k;
    cf_begin(r, "mask known answer (key 0, positions 0..3 of four words of counter 0)");
    d.n = 6;
    d.p = 0.7;
    d.seed = 0;
    d.offset = UINT64_MAX - 1;
    x = cf_in(r, "x", d.n, 1, 2);   /* nonzero: y != 0 exactly where kept */
    y = cf_out(r, "y", d.n);
    d.x = cf_ref(x);
    d.y = cf_ref(y);
    cf_check(r, SEQNN_KERNEL_dropout_forward, &d, 1);
    yv = cf_values(y);
    for (k = 0; k < 4; k++)
        if ((yv[2 + k] != 0) != expected[k])
            cf_fail(r, "stream position %d: %s, Random123's word %d says %s", k,
                    yv[2 + k] != 0 ? "kept" : "dropped", k, expected[k] ? "keep" : "drop");
    cf_end(r);
}

/* Over n = 2^17 elements the kept fraction of the oracle's mask must be
 * within 5 standard deviations of 1 - threshold/2^24 (a binomial draw); the
 * plugin's mask must match the oracle's (cf_check). */
static void elementwise_dropout_fraction(cf_run *r, double p)
{
    const int64_t n = (int64_t)1 << 17;
    const double keep = 1.0 - seqnn_dropout_threshold(p) / 16777216.0;
    const double tolerance = 5.0 * sqrt(keep * (1.0 - keep) / (double)n);
    seqnn_dropout_args d = {0};
    cf_tensor *x, *y;
    const double *yv;
    int64_t i, kept = 0;
    cf_begin(r, "kept fraction p=%g n=%lld", p, (long long)n);
    d.n = n;
    d.p = p;
    d.seed = elementwise_random_u64(r);
    d.offset = (uint64_t)cf_randint(r, 0, 1 << 30);
    x = cf_in(r, "x", n, 1, 2);   /* nonzero: y != 0 exactly where kept */
    y = cf_out(r, "y", n);
    d.x = cf_ref(x);
    d.y = cf_ref(y);
    cf_check(r, SEQNN_KERNEL_dropout_forward, &d, 1);
    yv = cf_values(y);
    for (i = 0; i < n; i++)
        kept += yv[i] != 0;
    if (fabs((double)kept / (double)n - keep) > tolerance)
        cf_fail(r, "kept %lld of %lld (%.5f), expected %.5f +- %.5f", (long long)kept,
                (long long)n, (double)kept / (double)n, keep, tolerance);
    cf_end(r);
}

static const int64_t elementwise_dropout_sizes[] = {1, 7, 64, 257, 1000};
static const double elementwise_dropout_p[] = {0, 0.1, 0.5, 0.9};
#define ELEMENTWISE_DROPOUT_SIZES \
    ((int)(sizeof elementwise_dropout_sizes / sizeof elementwise_dropout_sizes[0]))
#define ELEMENTWISE_DROPOUT_PS ((int)(sizeof elementwise_dropout_p / sizeof elementwise_dropout_p[0]))

/* Stream offsets: 0, random, one whose Philox block counter (offset + i) >> 2
 * crosses 2^32 (the counter's second word) inside a vector of blocks (block
 * 0xFFFFFFF3 and position 1 in it: not a multiple of 4, 8 or 16, so no vector
 * width starts exactly at the carry), and one where offset + i wraps past
 * 2^64 (the block counter back to 0) at element 11. */
static uint64_t elementwise_dropout_offset(cf_run *r, int which)
{
    switch (which % 4) {
    case 0:  return 0;
    case 1:  return elementwise_random_u64(r);   /* any 64-bit value */
    case 2:  return 4 * (uint64_t)0xFFFFFFF3u + 1;
    default: return UINT64_MAX - 10;
    }
}

/* Bad dropout arguments, each one defect away from a valid call (n=8;
 * extents past the end by more than the framework's 16 guard elements). */
static void elementwise_dropout_rejects(cf_run *r, seqnn_kernel_id id)
{
    const int backward = id == SEQNN_KERNEL_dropout_backward;
    seqnn_dropout_args d = {0}, bad;
    cf_tensor *x, *y, *dy, *dx;
    cf_begin(r, "argument checks");
    x = cf_in(r, "x", 8, -1, 1);
    y = cf_out(r, "y", 8);
    dy = cf_in(r, "dy", 8, -1, 1);
    dx = cf_inout(r, "dx", 8, -1, 1);
    d.n = 8; d.p = 0.5;
    d.x = cf_ref(x); d.y = cf_ref(y); d.dy = cf_ref(dy); d.dx = cf_ref(dx);
    cf_call(r, id, &d);   /* the valid call itself */
    bad = d; bad.flags = backward ? 2 : SEQNN_FLAG_OVERWRITE;
    cf_expect_rejected(r, id, &bad, "flags");
    bad = d; bad.p = 1;          cf_expect_rejected(r, id, &bad, "p = 1");
    bad = d; bad.p = -0.1;       cf_expect_rejected(r, id, &bad, "p = -0.1");
    bad = d; bad.p = NAN;        cf_expect_rejected(r, id, &bad, "p = NaN");
    bad = d; bad.n = -1;         cf_expect_rejected(r, id, &bad, "n = -1");
    bad = d; bad.n = 30;         cf_expect_rejected(r, id, &bad, "n past the buffers");
    if (backward) {
        bad = d; bad.dy.buf = NULL;  cf_expect_rejected(r, id, &bad, "a missing dy");
        bad = d; bad.dx.buf = NULL;  cf_expect_rejected(r, id, &bad, "a missing dx");
    } else {
        bad = d; bad.x.buf = NULL;   cf_expect_rejected(r, id, &bad, "a missing x");
        bad = d; bad.y.buf = NULL;   cf_expect_rejected(r, id, &bad, "a missing y");
    }
    cf_end(r);
}

/* NaN and infinities (the 19 points) as x, or as dy of the backward, p = 0.5:
 * a kept one is scaled (NaN, +-Inf), a dropped one is 0. The forward out of
 * place and in place, the backward accumulating and overwriting. */
static void elementwise_dropout_nonfinite(cf_run *r, int backward)
{
    for (int variant = 0; variant <= 1; variant++) {
        seqnn_dropout_args d = {0};
        cf_tensor *in, *out;
        d.n = ELEMENTWISE_N_NONFINITE;
        d.p = 0.5;
        d.seed = 0x5eed;
        d.offset = 3;
        cf_begin(r, "n=%lld p=0.5 NaN and infinities in %s%s", (long long)d.n, backward ? "dy" : "x",
                 backward ? (variant ? " overwrite" : " accumulate") : variant ? " in-place" : "");
        if (backward) {
            d.flags = variant ? SEQNN_FLAG_OVERWRITE : 0;
            d.dy = cf_ref(cf_in_values(r, "dy", d.n, elementwise_nonfinite));
            out = variant ? cf_out(r, "dx", d.n) : cf_inout(r, "dx", d.n, -1, 1);
            cf_set_nonfinite(r, out);
            d.dx = cf_ref(out);
        } else {
            in = variant ? cf_inout_values(r, "x=y", d.n, elementwise_nonfinite)
                         : cf_in_values(r, "x", d.n, elementwise_nonfinite);
            d.x = cf_ref(in);
            d.y = cf_ref(elementwise_nonfinite_out(r, d.n, in, variant));
        }
        /* one division, plus the old dx */
        cf_check(r, backward ? SEQNN_KERNEL_dropout_backward : SEQNN_KERNEL_dropout_forward, &d, 1 + backward);
        cf_end(r);
    }
}

void cf_test_dropout_forward(cf_run *r)
{
    int i, j, in_place;
    elementwise_philox_known_answer(r);
    for (i = 0; i < ELEMENTWISE_DROPOUT_SIZES; i++) {
        for (j = 0; j < ELEMENTWISE_DROPOUT_PS; j++) {
            for (in_place = 0; in_place <= 1; in_place++) {
                const int64_t n = elementwise_dropout_sizes[i];
                seqnn_dropout_args d = {0};
                cf_tensor *x, *y;
                d.n = n;
                d.p = elementwise_dropout_p[j];
                d.seed = elementwise_random_u64(r);
                d.offset = elementwise_dropout_offset(r, i + j + in_place);
                cf_begin(r, "n=%lld p=%g seed=%llu offset=%llu%s", (long long)n, d.p,
                         (unsigned long long)d.seed, (unsigned long long)d.offset,
                         in_place ? " in-place" : "");
                if (in_place) {
                    x = y = cf_inout(r, "x=y", n, -1, 1);
                } else {
                    x = cf_in(r, "x", n, -1, 1);
                    y = cf_out(r, "y", n);
                }
                d.x = cf_ref(x);
                d.y = cf_ref(y);
                cf_check(r, SEQNN_KERNEL_dropout_forward, &d, 1);   /* one division */
                cf_end(r);
            }
        }
    }
    elementwise_dropout_known_answer(r);
    elementwise_dropout_fraction(r, 0.1);
    elementwise_dropout_fraction(r, 0.5);
    elementwise_dropout_nonfinite(r, 0);
    elementwise_dropout_rejects(r, SEQNN_KERNEL_dropout_forward);
}

void cf_test_dropout_backward(cf_run *r)
{
    int i, j, overwrite;
    for (i = 0; i < ELEMENTWISE_DROPOUT_SIZES; i++) {
        for (j = 0; j < ELEMENTWISE_DROPOUT_PS; j++) {
            for (overwrite = 0; overwrite <= 1; overwrite++) {
                const int64_t n = elementwise_dropout_sizes[i];
                seqnn_dropout_args d = {0};
                cf_tensor *x, *y, *dy, *dx;
                d.n = n;
                d.p = elementwise_dropout_p[j];
                d.seed = elementwise_random_u64(r);
                d.offset = elementwise_dropout_offset(r, i + j + overwrite);
                cf_begin(r, "n=%lld p=%g seed=%llu offset=%llu %s", (long long)n, d.p,
                         (unsigned long long)d.seed, (unsigned long long)d.offset,
                         overwrite ? "overwrite" : "accumulate");
                x = cf_in(r, "x", n, -1, 1);
                y = cf_out(r, "y", n);
                dy = cf_in(r, "dy", n, -1, 1);
                dx = overwrite ? cf_out(r, "dx", n) : cf_inout(r, "dx", n, -1, 1);
                d.x = cf_ref(x);
                d.y = cf_ref(y);
                d.dy = cf_ref(dy);
                d.dx = cf_ref(dx);
                cf_call(r, SEQNN_KERNEL_dropout_forward, &d);   /* forward: flags 0 */
                d.flags = overwrite ? SEQNN_FLAG_OVERWRITE : 0;
                cf_call(r, SEQNN_KERNEL_dropout_backward, &d);
                cf_compare(r, 2);   /* one division, plus the old dx */
                cf_end(r);
            }
        }
    }
    /* finite differences of L = <dy, dropout(x)>: the backward mask must be
     * the forward's */
    for (j = 0; j < ELEMENTWISE_DROPOUT_PS; j++) {
        seqnn_dropout_args d = {0};
        cf_tensor *x, *y, *dy, *dx;
        d.n = 97;
        d.p = elementwise_dropout_p[j];
        d.seed = elementwise_random_u64(r);
        d.offset = elementwise_dropout_offset(r, j);
        cf_begin(r, "gradcheck n=97 p=%g seed=%llu offset=%llu", d.p,
                 (unsigned long long)d.seed, (unsigned long long)d.offset);
        x = cf_in(r, "x", d.n, -1, 1);
        y = cf_out(r, "y", d.n);
        dy = cf_in(r, "dy", d.n, -1, 1);
        dx = cf_inout(r, "dx", d.n, -1, 1);
        d.x = cf_ref(x);
        d.y = cf_ref(y);
        d.dy = cf_ref(dy);
        d.dx = cf_ref(dx);
        cf_gradcheck(r, SEQNN_KERNEL_dropout_forward, SEQNN_KERNEL_dropout_backward, &d,
                     1, &x, &dx, 1, &y, &dy);
        cf_end(r);
    }
    elementwise_dropout_nonfinite(r, 1);
    elementwise_dropout_rejects(r, SEQNN_KERNEL_dropout_backward);
}

/* -------------------------------------------------------------- copy2d */

/* One copy2d check: rows x cols of x (row stride ldx) into y (row stride
 * ldy), whose elements between the rows hold values that must stay; the
 * plugin's y must equal the float32 reference's bit for bit. nonfinite: x
 * cycles through NaN, infinities and signed zeros. */
static void elementwise_copy2d_check(cf_run *r, int64_t rows, int64_t cols, int64_t ldx, int64_t ldy,
                                     int nonfinite)
{
    seqnn_copy2d_args c = {.rows = rows, .cols = cols, .ldx = ldx, .ldy = ldy};
    const int64_t nx = rows * ldx, ny = rows * ldy;
    cf_tensor *x, *y;
    cf_begin(r, "rows=%lld cols=%lld ldx=%lld ldy=%lld%s", (long long)rows, (long long)cols, (long long)ldx,
             (long long)ldy, nonfinite ? " NaN, infinities and -0 in x" : "");
    if (nonfinite) {
        double v[512];
        for (int64_t i = 0; i < nx && i < 512; i++)
            v[i] = i % 5 == 4 ? -0.0 : elementwise_nonfinite[i % ELEMENTWISE_N_NONFINITE];
        x = cf_in_values(r, "x", nx, v);
    } else {
        x = cf_in(r, "x", nx, -2, 2);
    }
    y = cf_inout(r, "y", ny, -2, 2);
    if (nonfinite)
        cf_set_nonfinite(r, y);
    c.x = cf_ref(x);
    c.y = cf_ref(y);
    cf_check(r, SEQNN_KERNEL_copy2d, &c, 1);
    cf_compare_exact(r, y);
    cf_end(r);
}

/* Bad copy2d arguments, each one defect away from a valid call (4 rows of
 * 3 into strides 5 and 6; extents past the end by more than the guards). */
static void elementwise_copy2d_rejects(cf_run *r)
{
    const seqnn_kernel_id id = SEQNN_KERNEL_copy2d;
    seqnn_copy2d_args c = {.rows = 4, .cols = 3, .ldx = 5, .ldy = 6}, bad;
    cf_tensor *x, *y;
    cf_begin(r, "argument checks");
    x = cf_in(r, "x", 20, -1, 1);
    y = cf_inout(r, "y", 24, -1, 1);
    c.x = cf_ref(x);
    c.y = cf_ref(y);
    cf_call(r, id, &c);   /* the valid call itself */
    bad = c; bad.flags = SEQNN_FLAG_OVERWRITE; cf_expect_rejected(r, id, &bad, "flags");
    bad = c; bad.rows = -1;        cf_expect_rejected(r, id, &bad, "rows = -1");
    bad = c; bad.cols = -1;        cf_expect_rejected(r, id, &bad, "cols = -1");
    bad = c; bad.ldx = 2;          cf_expect_rejected(r, id, &bad, "ldx < cols");
    bad = c; bad.ldy = 2;          cf_expect_rejected(r, id, &bad, "ldy < cols");
    bad = c; bad.rows = 12;        cf_expect_rejected(r, id, &bad, "rows past the buffers");
    bad = c; bad.x.buf = NULL;     cf_expect_rejected(r, id, &bad, "a missing x");
    bad = c; bad.y.buf = NULL;     cf_expect_rejected(r, id, &bad, "a missing y");
    bad = c; bad.y = bad.x;        cf_expect_rejected(r, id, &bad, "y overlapping x");
    cf_end(r);
}

/* Row counts past the SIMD plugins' element-wise task size (16384 elements:
 * 70 rows of 300), widths around a vector, padded strides; NaN and
 * infinities; the argument checks. */
void cf_test_copy2d(cf_run *r)
{
    static const int64_t rows[] = {0, 1, 3, 17, 70};
    static const int64_t cols[] = {0, 1, 7, 8, 9, 33, 300};
    static const int64_t pad[][2] = {{0, 0}, {3, 0}, {0, 5}, {2, 11}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        for (size_t j = 0; j < sizeof cols / sizeof cols[0]; j++)
            for (size_t p = 0; p < sizeof pad / sizeof pad[0]; p++)
                elementwise_copy2d_check(r, rows[i], cols[j], cols[j] + pad[p][0], cols[j] + pad[p][1], 0);
    elementwise_copy2d_check(r, 5, 19, 23, 21, 1);
    elementwise_copy2d_rejects(r);
}

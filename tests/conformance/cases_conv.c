/* Conformance tests of the conv family: conv1d_forward, conv1d_backward,
 * maxpool_forward, maxpool_backward, maxpool_lengths_forward and the fused
 * conv1d_max_forward (plugin against the float64 oracle, and
 * finite differences for the backward kernels). Shapes are Kim (2014) CNN
 * banks scaled down plus edge cases, and both sides of every conv1d boundary
 * the plugin declares (structure query); docs/kernels/conv.md lists what is
 * covered and the budgets' basis. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "conformance.h"
#include "seqnn/plugin.h"

/* ------------------------------------------------------------ layouts --- */

/* Layouts of a [B, C, L] tensor (element (b, c, l) at b*sb + c*sc + l*sl). */
enum {
    CONV_BCL,       /* [B, C, L] dense (PyTorch's Conv1d layout) */
    CONV_BLC,       /* [B, L, C] dense (batch-first sequences) */
    CONV_LBC,       /* [L, B, C] dense (time-major sequences) */
    CONV_PADDED,    /* [B, C, L] with gaps between rows and batches */
    CONV_LAYOUTS
};
static const char *const conv_layout_name[CONV_LAYOUTS] = {"BCL", "BLC", "LBC", "padded"};

typedef struct conv_layout {
    int64_t sb, sc, sl;    /* strides */
    int64_t count;         /* extent: elements the tensor needs */
    int dense;             /* 1: every element of [0, count) belongs to the box */
} conv_layout;

static conv_layout conv_make_layout(int kind, int64_t B, int64_t C, int64_t L)
{
    conv_layout s;
    s.dense = 1;
    switch (kind) {
    case CONV_BLC:    s.sb = L * C; s.sc = 1; s.sl = C; break;
    case CONV_LBC:    s.sb = C; s.sc = 1; s.sl = B * C; break;
    case CONV_PADDED: s.sl = 1; s.sc = L + 3; s.sb = C * (L + 3) + 5; s.dense = 0; break;
    default:          s.sb = C * L; s.sc = L; s.sl = 1; break;
    }
    s.count = B == 0 ? 0 : (B - 1) * s.sb + (C - 1) * s.sc + (L - 1) * s.sl + 1;
    return s;
}

/* A written tensor of layout s: NaN-poisoned when every element is written
 * (dense forward outputs, dense gradients under OVERWRITE), so an unwritten
 * element or a read of old contents fails; otherwise random in-out values,
 * which the gaps and accumulation must keep. */
static cf_tensor *conv_written(cf_run *r, const char *name, int64_t count, int fully_written)
{
    return fully_written ? cf_out(r, name, count) : cf_inout(r, name, count, -1, 1);
}

/* count float inputs without near-ties (finite differences on a max need a
 * gap wider than the step): the values -1 + (2i+1)/count, i = 0..count-1, in
 * random order. */
static cf_tensor *conv_in_distinct(cf_run *r, const char *name, int64_t count)
{
    double *v = malloc((size_t)count * sizeof *v);
    cf_tensor *t;
    int64_t i;
    if (!v) {
        cf_fail(r, "out of memory");
        return cf_in(r, name, count, -1, 1);
    }
    for (i = 0; i < count; i++)
        v[i] = -1 + (2.0 * (double)i + 1) / (double)count;
    for (i = count - 1; i > 0; i--) {   /* Fisher-Yates */
        const int64_t j = cf_randint(r, 0, i);
        const double tmp = v[i];
        v[i] = v[j];
        v[j] = tmp;
    }
    t = cf_in_values(r, name, count, v);
    free(v);
    return t;
}

/* count float inputs step * {-n, ..., n}: products and sums of such values
 * are exact in float32, so every side computes the same conv and the same
 * argmax, ties included ("the first maximum" decides). */
static cf_tensor *conv_in_grid(cf_run *r, const char *name, int64_t count, double step, int n)
{
    double *v = malloc((size_t)(count > 0 ? count : 1) * sizeof *v);
    cf_tensor *t;
    int64_t i;
    if (!v) {
        cf_fail(r, "out of memory");
        return cf_in(r, name, count, -1, 1);
    }
    for (i = 0; i < count; i++)
        v[i] = step * (double)cf_randint(r, -n, n);
    t = cf_in_values(r, name, count, v);
    free(v);
    return t;
}

/* count float inputs from the 7 values {-0.75, -0.5, ..., 0.75}: many ties,
 * so "the first maximum" decides argmax. */
static cf_tensor *conv_in_ties(cf_run *r, const char *name, int64_t count)
{
    return conv_in_grid(r, name, count, 0.25, 3);
}

/* ------------------------------------------------------------- conv1d --- */

typedef struct conv_shape {
    int64_t batch, cin, cout, len, k, stride, pad, dil;
} conv_shape;

static const conv_shape conv_shapes[] = {
    {1, 1, 1, 1, 1, 1, 0, 1},      /* every size 1 */
    {1, 1, 1, 1, 5, 1, 2, 1},      /* padding around a single element: out_len 1 */
    {2, 3, 5, 7, 3, 1, 1, 1},      /* "same" convolution */
    {3, 16, 8, 17, 2, 1, 0, 1},    /* even kernel */
    {2, 50, 10, 37, 3, 1, 0, 1},   /* Kim CNN banks: 50-d embeddings, widths 3, 4, 5 */
    {2, 50, 10, 37, 4, 1, 0, 1},
    {2, 50, 10, 37, 5, 1, 0, 1},
    {1, 7, 13, 64, 4, 3, 0, 2},    /* stride and dilation */
    {2, 33, 17, 100, 5, 2, 3, 2},
    {1, 9, 4, 300, 3, 5, 1, 3},    /* long input, stride larger than the kernel */
    {4, 5, 3, 11, 5, 1, 4, 1},     /* full padding: out_len > in_len */
    {0, 3, 2, 5, 3, 1, 1, 1},      /* empty batch: nothing is read or written */
};
#define CONV_NSHAPES ((int)(sizeof conv_shapes / sizeof conv_shapes[0]))

static int64_t conv_out_len(const conv_shape *s)
{
    return (s->len + 2 * s->pad - s->dil * (s->k - 1) - 1) / s->stride + 1;
}

/* The tensors of one conv1d check. */
typedef struct conv_case {
    conv_layout xl, yl;
    int64_t out_len;
    cf_tensor *x, *w, *bias, *y;
    seqnn_conv1d_args args;      /* forward arguments, backward fields unset */
} conv_case;

/* Creates x, weight, bias (when with_bias) and y of shape s in layouts
 * xk (x, dx) and yk (y, dy), and the forward arguments. */
static void conv_case_make(cf_run *r, conv_case *cc, const conv_shape *s, int xk, int yk, int with_bias)
{
    seqnn_conv1d_args *a = &cc->args;
    cc->out_len = conv_out_len(s);
    cc->xl = conv_make_layout(xk, s->batch, s->cin, s->len);
    cc->yl = conv_make_layout(yk, s->batch, s->cout, cc->out_len);
    cc->x = cf_in(r, "x", cc->xl.count, -1, 1);
    cc->w = cf_in(r, "weight", s->cout * s->cin * s->k, -1, 1);
    cc->bias = with_bias ? cf_in(r, "bias", s->cout, -1, 1) : NULL;
    cc->y = conv_written(r, "y", cc->yl.count, cc->yl.dense);
    *a = (seqnn_conv1d_args){0};
    a->batch = s->batch; a->in_channels = s->cin; a->out_channels = s->cout;
    a->in_len = s->len; a->kernel_size = s->k;
    a->stride = s->stride; a->padding = s->pad; a->dilation = s->dil;
    a->x = cf_ref(cc->x); a->x_sb = cc->xl.sb; a->x_sc = cc->xl.sc; a->x_sl = cc->xl.sl;
    a->weight = cf_ref(cc->w);
    if (with_bias)
        a->bias = cf_ref(cc->bias);
    a->y = cf_ref(cc->y); a->y_sb = cc->yl.sb; a->y_sc = cc->yl.sc; a->y_sl = cc->yl.sl;
}

/* Which gradients a backward check asks for, and how. */
typedef struct conv_grads {
    int dx, dweight, dbias, overwrite;
} conv_grads;

static const conv_grads conv_grad_variants[] = {
    {1, 1, 1, 0},     /* all, accumulating */
    {1, 1, 1, 1},     /* all, overwriting */
    {0, 1, 1, 0},     /* no dx (weight absent too: only dx needs it) */
    {1, 0, 0, 1},     /* dx only (x absent too: only dweight needs it) */
};
#define CONV_NGRADS ((int)(sizeof conv_grad_variants / sizeof conv_grad_variants[0]))

/* Adds dy and the gradients g asks for to the forward arguments of cc:
 * *bwd receives the backward arguments (x absent without dweight, weight
 * absent without dx). Budgets: dx sums C_out*K products, dweight and dbias
 * B*L_out, each plus the accumulated old value. */
static void conv_add_grads(cf_run *r, conv_case *cc, const conv_grads *g, seqnn_conv1d_args *bwd,
                           cf_tensor **dy, cf_tensor **dx, cf_tensor **dw, cf_tensor **db)
{
    const seqnn_conv1d_args *a = &cc->args;
    const double acc = g->overwrite ? 0 : 1;
    *dy = cf_in(r, "dy", cc->yl.count, -1, 1);
    *bwd = *a;
    bwd->dy = cf_ref(*dy);
    bwd->flags = g->overwrite ? SEQNN_FLAG_OVERWRITE : 0;
    *dx = *dw = *db = NULL;
    if (g->dx) {
        *dx = conv_written(r, "dx", cc->xl.count, g->overwrite && cc->xl.dense);
        cf_set_k(*dx, (double)(a->out_channels * a->kernel_size) + acc);
        bwd->dx = cf_ref(*dx);
    } else {
        bwd->weight = (seqnn_tref){0};
    }
    if (g->dweight) {
        *dw = conv_written(r, "dweight", a->out_channels * a->in_channels * a->kernel_size, g->overwrite);
        cf_set_k(*dw, (double)(a->batch * cc->out_len) + acc);
        bwd->dweight = cf_ref(*dw);
    } else {
        bwd->x = (seqnn_tref){0};
    }
    if (g->dbias) {
        *db = conv_written(r, "dbias", a->out_channels, g->overwrite);
        cf_set_k(*db, (double)(a->batch * cc->out_len) + acc);
        bwd->dbias = cf_ref(*db);
    }
}

/* Bad conv1d arguments, each one defect away from a valid call (B=2 Cin=3
 * Cout=4 L=10 K=3 stride 2 padding 2 dilation 2, out_len 5, x padded and y
 * time-major), and every tensor's exact extent. */
static void conv_rejects(cf_run *r, int backward)
{
    static const conv_shape s = {2, 3, 4, 10, 3, 2, 2, 2};
    const seqnn_kernel_id id = backward ? SEQNN_KERNEL_conv1d_backward : SEQNN_KERNEL_conv1d_forward;
    const int64_t wcount = s.cout * s.cin * s.k;
    conv_case cc;
    seqnn_conv1d_args a, bad;
    cf_tensor *ints;
    cf_begin(r, "argument checks");
    conv_case_make(r, &cc, &s, CONV_PADDED, CONV_LBC, 1);
    ints = cf_in_int(r, "ints", cc.xl.count, 0, 1);
    a = cc.args;
    if (backward) {
        const conv_grads g = {1, 1, 1, 1};
        cf_tensor *dy, *dx, *dw, *db;
        conv_add_grads(r, &cc, &g, &a, &dy, &dx, &dw, &db);
    }
    cf_call(r, id, &a);                  /* the valid call itself */
    bad = a; bad.flags = backward ? 2u : 1u;   cf_expect_rejected(r, id, &bad, "unknown flags");
    bad = a; bad.batch = -1;         cf_expect_rejected(r, id, &bad, "batch = -1");
    bad = a; bad.in_channels = 0;    cf_expect_rejected(r, id, &bad, "in_channels = 0");
    bad = a; bad.out_channels = 0;   cf_expect_rejected(r, id, &bad, "out_channels = 0");
    bad = a; bad.in_len = 0;         cf_expect_rejected(r, id, &bad, "in_len = 0");
    bad = a; bad.kernel_size = 0;    cf_expect_rejected(r, id, &bad, "kernel_size = 0");
    bad = a; bad.stride = 0;         cf_expect_rejected(r, id, &bad, "stride = 0");
    bad = a; bad.padding = -1;       cf_expect_rejected(r, id, &bad, "padding = -1");
    bad = a; bad.dilation = 0;       cf_expect_rejected(r, id, &bad, "dilation = 0");
    bad = a; bad.dilation = 8; bad.padding = 0; cf_expect_rejected(r, id, &bad, "a span of 17 over 10 inputs");
    bad = a; bad.padding = INT64_MAX / 2; cf_expect_rejected(r, id, &bad, "padding overflowing");
    bad = a; bad.x_sl = -1;          cf_expect_rejected(r, id, &bad, "a negative x stride");
    bad = a; bad.y_sc = -1;          cf_expect_rejected(r, id, &bad, "a negative y stride");
    bad = a; bad.x = cf_ref(ints);   cf_expect_rejected(r, id, &bad, "an int32 x");
    bad = a; cf_expect_extent(r, id, &bad, &bad.weight, SEQNN_F32, wcount, "weight");
    bad = a; cf_expect_extent(r, id, &bad, &bad.x, SEQNN_F32, cc.xl.count, "x");
    if (!backward) {
        bad = a; bad.y.buf = NULL;   cf_expect_rejected(r, id, &bad, "a missing y");
        bad = a; bad.x.buf = NULL;   cf_expect_rejected(r, id, &bad, "a missing x");
        bad = a; bad.weight.buf = NULL; cf_expect_rejected(r, id, &bad, "a missing weight");
        bad = a; cf_expect_extent(r, id, &bad, &bad.bias, SEQNN_F32, s.cout, "bias");
        bad = a; cf_expect_extent(r, id, &bad, &bad.y, SEQNN_F32, cc.yl.count, "y");
    } else {
        bad = a; bad.dy.buf = NULL;  cf_expect_rejected(r, id, &bad, "a missing dy");
        bad = a; bad.x.buf = NULL;   cf_expect_rejected(r, id, &bad, "a missing x with dweight");
        bad = a; bad.weight.buf = NULL; cf_expect_rejected(r, id, &bad, "a missing weight with dx");
        bad = a; cf_expect_extent(r, id, &bad, &bad.dy, SEQNN_F32, cc.yl.count, "dy");
        bad = a; cf_expect_extent(r, id, &bad, &bad.dx, SEQNN_F32, cc.xl.count, "dx");
        bad = a; cf_expect_extent(r, id, &bad, &bad.dweight, SEQNN_F32, wcount, "dweight");
        bad = a; cf_expect_extent(r, id, &bad, &bad.dbias, SEQNN_F32, s.cout, "dbias");
    }
    cf_end(r);
}

/* The conv1d shape for size x of a declared boundary of dimension dim (0 when
 * the dimension is not conv1d's or x is too large to be quick); otherwise
 * B=2, C_in=7, C_out=5, L=29, K=3, "same" padding. */
static int conv_boundary_shape(conv_shape *s, int dim, int64_t x)
{
    *s = (conv_shape){2, 7, 5, 29, 3, 1, 1, 1};
    switch (dim) {
    case SEQNN_DIM_FEATURES:             /* C_in*K */
        s->k = x % 3 == 0 ? 3 : x % 5 == 0 ? 5 : 1;
        s->pad = s->k / 2;
        s->cin = x / s->k;
        return x <= 4096;
    case SEQNN_DIM_CHANNELS: s->cout = x; return x <= 1024;
    case SEQNN_DIM_LENGTH:   s->len = x;  return x <= 4096;
    case SEQNN_DIM_BATCH:    s->batch = x; return x <= 64;
    default:                 return 0;
    }
}

/* Calls fn(r, what, shape, n) for both sides (v, v + 1) of every boundary
 * the plugin declares for one of the kernels k0, k1 whose dimension makes a
 * quick conv1d shape (conv_boundary_shape); n counts the calls from 0. */
typedef void (*conv_boundary_fn)(cf_run *r, const char *what, const conv_shape *s, int n);

static void conv_boundary_each(cf_run *r, seqnn_kernel_id k0, seqnn_kernel_id k1, conv_boundary_fn fn)
{
    int64_t nb = 0, i;
    int side, n = 0;
    const seqnn_boundary *b;
    cf_begin(r, "structure query");
    b = cf_structure(r, &nb, NULL);
    cf_end(r);
    for (i = 0; b && i < nb; i++) {
        if (b[i].kernel != (int32_t)k0 && b[i].kernel != (int32_t)k1)
            continue;
        for (side = 0; side < 2; side++) {
            conv_shape s;
            if (conv_boundary_shape(&s, b[i].dim, b[i].value + side))
                fn(r, b[i].what ? b[i].what : "", &s, n++);
        }
    }
}

/* One boundary shape, layouts rotating (a strided y takes the plugins' other
 * store path): the plugin against the oracle, forward, or forward then
 * backward with every gradient, accumulating and overwriting. */
static void conv_boundary_check(cf_run *r, const char *what, const conv_shape *s, int n, int backward)
{
    conv_case cc;
    const int xk = n % CONV_LAYOUTS, yk = (n + 1) % CONV_LAYOUTS;
    const conv_grads g = {1, 1, 1, n % 2};
    cf_begin(r, "boundary \"%s\": B=%lld Cin=%lld Cout=%lld L=%lld K=%lld pad=%lld x=%s y=%s overwrite=%d", what,
             (long long)s->batch, (long long)s->cin, (long long)s->cout, (long long)s->len, (long long)s->k,
             (long long)s->pad, conv_layout_name[xk], conv_layout_name[yk], g.overwrite);
    conv_case_make(r, &cc, s, xk, yk, 1);
    if (backward) {
        seqnn_conv1d_args bwd;
        cf_tensor *dy, *dx, *dw, *db;
        conv_add_grads(r, &cc, &g, &bwd, &dy, &dx, &dw, &db);
        cf_call(r, SEQNN_KERNEL_conv1d_forward, &cc.args);
        cf_call(r, SEQNN_KERNEL_conv1d_backward, &bwd);
        cf_compare(r, (double)(s->cin * s->k + 1));
    } else {
        cf_check(r, SEQNN_KERNEL_conv1d_forward, &cc.args, (double)(s->cin * s->k + 1));
    }
    cf_end(r);
}

static void conv_boundary_forward(cf_run *r, const char *what, const conv_shape *s, int n)
{
    conv_boundary_check(r, what, s, n, 0);
}

static void conv_boundary_backward(cf_run *r, const char *what, const conv_shape *s, int n)
{
    conv_boundary_check(r, what, s, n, 1);
}

/* Both sides of every boundary the plugin declares for conv1d. */
static void conv_boundary_checks(cf_run *r, int backward)
{
    conv_boundary_each(r, SEQNN_KERNEL_conv1d_forward, SEQNN_KERNEL_conv1d_backward,
                       backward ? conv_boundary_backward : conv_boundary_forward);
}

/* y = conv1d(x): every shape in every x layout, with and without bias, y in
 * another layout. k = C_in*K products + the bias. */
void cf_test_conv1d_forward(cf_run *r)
{
    int i, xk, with_bias;
    conv_rejects(r, 0);
    for (i = 0; i < CONV_NSHAPES; i++) {
        const conv_shape *s = &conv_shapes[i];
        for (xk = 0; xk < CONV_LAYOUTS; xk++) {
            for (with_bias = 0; with_bias <= 1; with_bias++) {
                const int yk = (xk + i + with_bias) % CONV_LAYOUTS;
                conv_case cc;
                cf_begin(r, "B=%lld Cin=%lld Cout=%lld L=%lld K=%lld stride=%lld pad=%lld dil=%lld "
                         "x=%s y=%s bias=%d",
                         (long long)s->batch, (long long)s->cin, (long long)s->cout, (long long)s->len,
                         (long long)s->k, (long long)s->stride, (long long)s->pad, (long long)s->dil,
                         conv_layout_name[xk], conv_layout_name[yk], with_bias);
                conv_case_make(r, &cc, s, xk, yk, with_bias);
                cf_check(r, SEQNN_KERNEL_conv1d_forward, &cc.args, (double)(s->cin * s->k + 1));
                cf_end(r);
            }
        }
    }
    conv_boundary_checks(r, 0);
}

/* Finite differences of conv1d on the oracle for the shapes small enough,
 * each with its stride, padding and dilation, layouts rotating, bias present
 * or absent, accumulating or overwriting. */
static void conv_gradchecks(cf_run *r)
{
    int i;
    for (i = 0; i < CONV_NSHAPES; i++) {
        const conv_shape *s = &conv_shapes[i];
        const int xk = i % CONV_LAYOUTS, yk = (i + 1) % CONV_LAYOUTS, with_bias = i % 3 != 1;
        const conv_grads g = {1, 1, with_bias, i % 2};
        conv_case cc;
        seqnn_conv1d_args bwd;
        cf_tensor *dx, *dw, *db, *dy;
        if (s->len * s->cin > 2000)
            continue;      /* the large shapes add nothing to finite differences */
        cf_begin(r, "gradcheck B=%lld Cin=%lld Cout=%lld L=%lld K=%lld stride=%lld pad=%lld dil=%lld "
                 "x=%s y=%s bias=%d overwrite=%d",
                 (long long)s->batch, (long long)s->cin, (long long)s->cout, (long long)s->len,
                 (long long)s->k, (long long)s->stride, (long long)s->pad, (long long)s->dil,
                 conv_layout_name[xk], conv_layout_name[yk], with_bias, g.overwrite);
        conv_case_make(r, &cc, s, xk, yk, with_bias);
        conv_add_grads(r, &cc, &g, &bwd, &dy, &dx, &dw, &db);
        {
            cf_tensor *const inputs[3] = {cc.x, cc.w, cc.bias};
            cf_tensor *const grads[3] = {dx, dw, db};
            cf_tensor *const outs[1] = {cc.y}, *const douts[1] = {dy};
            cf_gradcheck(r, SEQNN_KERNEL_conv1d_forward, SEQNN_KERNEL_conv1d_backward, &bwd,
                         with_bias ? 3 : 2, inputs, grads, 1, outs, douts);
        }
        cf_end(r);
    }
}

/* Plugin against oracle: forward then backward, every shape, every gradient
 * variant, layouts rotating; then finite differences (conv_gradchecks). */
void cf_test_conv1d_backward(cf_run *r)
{
    int i, v;
    for (i = 0; i < CONV_NSHAPES; i++) {
        const conv_shape *s = &conv_shapes[i];
        for (v = 0; v < CONV_NGRADS; v++) {
            const conv_grads *g = &conv_grad_variants[v];
            const int xk = (i + v) % CONV_LAYOUTS, yk = (i + 2 * v + 1) % CONV_LAYOUTS;
            conv_case cc;
            seqnn_conv1d_args bwd;
            cf_tensor *dy, *dx, *dw, *db;
            cf_begin(r, "B=%lld Cin=%lld Cout=%lld L=%lld K=%lld stride=%lld pad=%lld dil=%lld "
                     "x=%s y=%s dx=%d dweight=%d dbias=%d overwrite=%d",
                     (long long)s->batch, (long long)s->cin, (long long)s->cout, (long long)s->len,
                     (long long)s->k, (long long)s->stride, (long long)s->pad, (long long)s->dil,
                     conv_layout_name[xk], conv_layout_name[yk], g->dx, g->dweight, g->dbias,
                     g->overwrite);
            conv_case_make(r, &cc, s, xk, yk, 1);
            conv_add_grads(r, &cc, g, &bwd, &dy, &dx, &dw, &db);
            cf_call(r, SEQNN_KERNEL_conv1d_forward, &cc.args);
            cf_call(r, SEQNN_KERNEL_conv1d_backward, &bwd);
            cf_compare(r, (double)(s->cin * s->k + 1));
            cf_end(r);
        }
    }
    conv_boundary_checks(r, 1);
    conv_gradchecks(r);
    conv_rejects(r, 1);
}

/* ------------------------------------------------------------ maxpool --- */

typedef struct conv_pool_shape {
    int64_t batch, channels, len;
} conv_pool_shape;

static const conv_pool_shape conv_pool_shapes[] = {
    {1, 1, 1}, {4, 8, 1}, {2, 3, 7}, {3, 10, 37}, {2, 16, 64}, {5, 13, 129}, {1, 100, 300},
    {0, 3, 5},                     /* empty batch */
};
#define CONV_NPOOL ((int)(sizeof conv_pool_shapes / sizeof conv_pool_shapes[0]))

/* Inputs of the pooled values. */
enum { CONV_VALUES_RANDOM, CONV_VALUES_TIES, CONV_VALUES_DISTINCT };

/* The tensors of one maxpool check. y is either a dense [B, C] (NaN-poisoned)
 * or, when concat, the slice of columns [3, 3 + C) of a concatenated
 * [B, C + 7] row of several banks: the other columns must stay untouched. */
typedef struct conv_pool_case {
    conv_layout xl;
    cf_tensor *x, *y, *argmax;
    seqnn_maxpool_args args;
} conv_pool_case;

static void conv_pool_make(cf_run *r, conv_pool_case *pc, const conv_pool_shape *s, int xk,
                           int concat, int values)
{
    seqnn_maxpool_args *a = &pc->args;
    const int64_t B = s->batch, C = s->channels;
    pc->xl = conv_make_layout(xk, B, C, s->len);
    if (values == CONV_VALUES_TIES)
        pc->x = conv_in_ties(r, "x", pc->xl.count);
    else if (values == CONV_VALUES_DISTINCT)
        pc->x = conv_in_distinct(r, "x", pc->xl.count);
    else
        pc->x = cf_in(r, "x", pc->xl.count, -1, 1);
    pc->y = concat ? cf_inout(r, "y", B * (C + 7), -1, 1) : cf_out(r, "y", B * C);
    pc->argmax = cf_out_int(r, "argmax", B * C);
    *a = (seqnn_maxpool_args){0};
    a->batch = B; a->channels = C; a->len = s->len;
    a->x = cf_ref(pc->x); a->x_sb = pc->xl.sb; a->x_sc = pc->xl.sc; a->x_sl = pc->xl.sl;
    a->y = cf_ref(pc->y);
    if (concat) {
        a->y.off += 3;
        a->y_sb = C + 7;
    } else {
        a->y_sb = C;
    }
    a->y_sc = 1;
    a->argmax = cf_ref(pc->argmax);
}

/* Adds dy (y's strides) and dx (x's layout) to pc: *bwd gets the backward
 * arguments. Each dx element receives at most one dy: k = 1 (+ the old value). */
static void conv_pool_add_grads(cf_run *r, conv_pool_case *pc, int overwrite,
                                seqnn_maxpool_args *bwd, cf_tensor **dy, cf_tensor **dx)
{
    *dy = cf_in(r, "dy", cf_count(pc->y), -1, 1);
    *dx = conv_written(r, "dx", pc->xl.count, overwrite && pc->xl.dense);
    *bwd = pc->args;
    bwd->dy = cf_ref(*dy);
    bwd->dy.off += pc->args.y.off - cf_ref(pc->y).off;   /* the same slice as y */
    bwd->dx = cf_ref(*dx);
    bwd->flags = overwrite ? SEQNN_FLAG_OVERWRITE : 0;
}

/* Bad maxpool arguments, each one defect away from a valid call (B=2 C=3
 * L=10, x time-major, y a slice of a concatenated row), and every tensor's
 * exact extent. */
static void conv_pool_rejects(cf_run *r, int backward)
{
    static const conv_pool_shape s = {2, 3, 10};
    const seqnn_kernel_id id = backward ? SEQNN_KERNEL_maxpool_backward : SEQNN_KERNEL_maxpool_forward;
    const int64_t y_extent = (s.batch - 1) * (s.channels + 7) + s.channels;
    conv_pool_case pc;
    seqnn_maxpool_args a, bad;
    cf_tensor *dy, *dx;
    cf_begin(r, "argument checks");
    conv_pool_make(r, &pc, &s, CONV_LBC, 1, CONV_VALUES_RANDOM);
    conv_pool_add_grads(r, &pc, 1, &a, &dy, &dx);
    if (backward)
        cf_call(r, SEQNN_KERNEL_maxpool_forward, &pc.args);
    else
        a = pc.args;
    cf_call(r, id, &a);                  /* the valid call itself */
    bad = a; bad.flags = backward ? 2u : 1u;  cf_expect_rejected(r, id, &bad, "unknown flags");
    bad = a; bad.batch = -1;         cf_expect_rejected(r, id, &bad, "batch = -1");
    bad = a; bad.channels = 0;       cf_expect_rejected(r, id, &bad, "channels = 0");
    bad = a; bad.len = 0;            cf_expect_rejected(r, id, &bad, "len = 0");
    bad = a; bad.len = (int64_t)INT32_MAX + 1; cf_expect_rejected(r, id, &bad, "len past int32");
    bad = a; bad.argmax = a.dx;      cf_expect_rejected(r, id, &bad, "a float32 argmax");
    bad = a; bad.argmax.buf = NULL;  cf_expect_rejected(r, id, &bad, "a missing argmax");
    bad = a; bad.x_sb = -1;          cf_expect_rejected(r, id, &bad, "a negative x stride");
    bad = a; bad.y_sc = -1;          cf_expect_rejected(r, id, &bad, "a negative y stride");
    bad = a; cf_expect_extent(r, id, &bad, &bad.argmax, SEQNN_I32, s.batch * s.channels, "argmax");
    if (!backward) {
        bad = a; bad.x.buf = NULL;   cf_expect_rejected(r, id, &bad, "a missing x");
        bad = a; bad.y.buf = NULL;   cf_expect_rejected(r, id, &bad, "a missing y");
        bad = a; cf_expect_extent(r, id, &bad, &bad.x, SEQNN_F32, pc.xl.count, "x");
        bad = a; cf_expect_extent(r, id, &bad, &bad.y, SEQNN_F32, y_extent, "y");
    } else {
        bad = a; bad.dy.buf = NULL;  cf_expect_rejected(r, id, &bad, "a missing dy");
        bad = a; bad.dx.buf = NULL;  cf_expect_rejected(r, id, &bad, "a missing dx");
        bad = a; cf_expect_extent(r, id, &bad, &bad.dx, SEQNN_F32, pc.xl.count, "dx");
        bad = a; cf_expect_extent(r, id, &bad, &bad.dy, SEQNN_F32, y_extent, "dy");
    }
    cf_end(r);
}

/* Runs backward kernel id with an argmax out of range on the plugin only:
 * SEQNN_ERR_INVALID_ARG with dx unchanged (nothing ran on the oracle), or,
 * for a plugin other than ref, SEQNN_OK (the result is then not compared);
 * ends the check. */
static void conv_expect_bad_argmax(cf_run *r, seqnn_kernel_id id, const void *args)
{
    seqnn_device_record dev;
    seqnn_status st;
    if (cf_failed(r) || seqnn_context_device(cf_context(r), &dev) != SEQNN_OK) {
        cf_fail(r, "setting up: %s", seqnn_last_error());
        cf_end(r);
        return;
    }
    st = seqnn_kernel_run(cf_context(r), id, args);
    if (st == SEQNN_ERR_INVALID_ARG)
        cf_compare(r, 1);
    else if (st != SEQNN_OK || (dev.plugin_name && strcmp(dev.plugin_name, "ref") == 0))
        cf_fail(r, "returned %s; expected SEQNN_ERR_INVALID_ARG", seqnn_status_name(st));
    cf_end(r);
}

/* An argmax outside [0, len) (in the last position, so that a kernel that
 * writes while it scans has written before it finds it): the ref plugin must
 * fail with SEQNN_ERR_INVALID_ARG and leave dx as it was. Other plugins may
 * return OK instead (the result is then undefined: not compared). */
static void conv_pool_bad_argmax(cf_run *r, int32_t bad_value)
{
    int32_t argmax[6] = {0, 4, 1, 3, 2, 0};
    seqnn_maxpool_args a = {0};
    cf_tensor *dx;
    cf_begin(r, "argmax[5] = %ld outside [0, 5)", (long)bad_value);
    argmax[5] = bad_value;
    a.batch = 2; a.channels = 3; a.len = 5;
    a.argmax = cf_ref(cf_in_ints(r, "argmax", 6, argmax));
    a.dy = cf_ref(cf_in(r, "dy", 6, -1, 1));
    a.y_sb = 3; a.y_sc = 1;
    dx = cf_inout(r, "dx", 30, -1, 1);
    a.dx = cf_ref(dx);
    a.x_sb = 15; a.x_sc = 5; a.x_sl = 1;
    conv_expect_bad_argmax(r, SEQNN_KERNEL_maxpool_backward, &a);
}

/* y = max over time, argmax = first maximum: every shape and x layout, y
 * dense or a slice of a concatenated row, values random or with many ties.
 * A max is exact, so k = 1. */
void cf_test_maxpool_forward(cf_run *r)
{
    int i, xk, ties;
    conv_pool_rejects(r, 0);
    for (i = 0; i < CONV_NPOOL; i++) {
        const conv_pool_shape *s = &conv_pool_shapes[i];
        for (xk = 0; xk < CONV_LAYOUTS; xk++) {
            for (ties = 0; ties <= 1; ties++) {
                const int concat = (xk + ties) % 2;
                conv_pool_case pc;
                cf_begin(r, "B=%lld C=%lld L=%lld x=%s y=%s values=%s", (long long)s->batch,
                         (long long)s->channels, (long long)s->len, conv_layout_name[xk],
                         concat ? "concat-slice" : "dense", ties ? "ties" : "random");
                conv_pool_make(r, &pc, s, xk, concat, ties ? CONV_VALUES_TIES : CONV_VALUES_RANDOM);
                cf_check(r, SEQNN_KERNEL_maxpool_forward, &pc.args, 1);
                cf_end(r);
            }
        }
    }
    cf_nan_maxpool_forward(r);
}

/* Finite differences of maxpool on inputs without near-ties. */
static void conv_pool_gradchecks(cf_run *r)
{
    int i;
    for (i = 0; i < CONV_NPOOL; i++) {
        const conv_pool_shape *s = &conv_pool_shapes[i];
        const int xk = i % CONV_LAYOUTS, concat = i % 2, overwrite = (i / 2) % 2;
        conv_pool_case pc;
        seqnn_maxpool_args bwd;
        cf_tensor *dy, *dx;
        if (s->batch * s->channels * s->len > 5000)
            continue;
        cf_begin(r, "gradcheck B=%lld C=%lld L=%lld x=%s y=%s overwrite=%d", (long long)s->batch,
                 (long long)s->channels, (long long)s->len, conv_layout_name[xk],
                 concat ? "concat-slice" : "dense", overwrite);
        conv_pool_make(r, &pc, s, xk, concat, CONV_VALUES_DISTINCT);
        conv_pool_add_grads(r, &pc, overwrite, &bwd, &dy, &dx);
        {
            cf_tensor *const inputs[1] = {pc.x}, *const grads[1] = {dx};
            cf_tensor *const outs[1] = {pc.y}, *const douts[1] = {dy};
            cf_gradcheck(r, SEQNN_KERNEL_maxpool_forward, SEQNN_KERNEL_maxpool_backward, &bwd,
                         1, inputs, grads, 1, outs, douts);
        }
        cf_end(r);
    }
}

/* Plugin against oracle (forward, then backward from the plugin's own
 * argmax) for every shape, layout, both modes, with ties; then finite
 * differences on inputs without near-ties. */
void cf_test_maxpool_backward(cf_run *r)
{
    int i, xk, overwrite;
    for (i = 0; i < CONV_NPOOL; i++) {
        const conv_pool_shape *s = &conv_pool_shapes[i];
        for (xk = 0; xk < CONV_LAYOUTS; xk++) {
            for (overwrite = 0; overwrite <= 1; overwrite++) {
                const int concat = (xk + overwrite + i) % 2, ties = xk % 2;
                conv_pool_case pc;
                seqnn_maxpool_args bwd;
                cf_tensor *dy, *dx;
                cf_begin(r, "B=%lld C=%lld L=%lld x=%s y=%s values=%s overwrite=%d",
                         (long long)s->batch, (long long)s->channels, (long long)s->len,
                         conv_layout_name[xk], concat ? "concat-slice" : "dense",
                         ties ? "ties" : "random", overwrite);
                conv_pool_make(r, &pc, s, xk, concat, ties ? CONV_VALUES_TIES : CONV_VALUES_RANDOM);
                conv_pool_add_grads(r, &pc, overwrite, &bwd, &dy, &dx);
                cf_call(r, SEQNN_KERNEL_maxpool_forward, &pc.args);
                cf_call(r, SEQNN_KERNEL_maxpool_backward, &bwd);
                cf_compare(r, 1);
                cf_end(r);
            }
        }
    }
    conv_pool_gradchecks(r);
    conv_pool_rejects(r, 1);
    conv_pool_bad_argmax(r, 5);
    conv_pool_bad_argmax(r, -1);
}

/* ----------------------------------------------- maxpool with lengths --- */

/* Random lengths in [1, len] for every row (the first row keeps all of len). */
static void conv_pool_lengths(cf_run *r, const conv_pool_shape *s, int32_t *lengths)
{
    int64_t b;
    for (b = 0; b < s->batch; b++)
        lengths[b] = b == 0 ? (int32_t)s->len : (int32_t)cf_randint(r, 1, s->len);
}

/* A malloc'd copy of the oracle's values of input t (count elements), to be
 * edited into a new input; NULL (the check failed) when out of memory. */
static double *conv_values_copy(cf_run *r, cf_tensor *t, int64_t count)
{
    const double *old = cf_values(t);
    double *v = malloc((size_t)(count > 0 ? count : 1) * sizeof *v);
    if (!old || !v) {
        free(v);
        cf_fail(r, "setting up x: out of memory");
        return NULL;
    }
    memcpy(v, old, (size_t)count * sizeof *v);
    return v;
}

/* Replaces pc's x by a copy whose positions at or past lengths[b] hold
 * `excluded` (3, above every pooled value, or NaN, which would win): a kernel
 * that reads one of them gets another max than the oracle. */
static void conv_pool_exclude(cf_run *r, conv_pool_case *pc, const int32_t *lengths, double excluded)
{
    const seqnn_maxpool_args *a = &pc->args;
    double *v = conv_values_copy(r, pc->x, pc->xl.count);
    int64_t b, c, l;
    if (!v)
        return;
    for (b = 0; b < a->batch; b++)
        for (c = 0; c < a->channels; c++)
            for (l = lengths[b]; l < a->len; l++)
                v[b * a->x_sb + c * a->x_sc + l * a->x_sl] = excluded;
    pc->x = cf_in_values(r, "x", pc->xl.count, v);
    pc->args.x = cf_ref(pc->x);
    free(v);
}

/* Bad lengths and pool arguments, each one defect away from a valid call
 * (B=3 C=3 L=10, x time-major, y a slice of a concatenated row), and the
 * exact extents, which are maxpool_forward's. */
static void conv_pool_lengths_rejects(cf_run *r)
{
    static const conv_pool_shape s = {3, 3, 10};
    const seqnn_kernel_id id = SEQNN_KERNEL_maxpool_lengths_forward;
    int32_t lengths[3] = {10, 1, 4}, zero[3] = {10, 0, 4}, past[3] = {10, 11, 4};
    conv_pool_case pc;
    seqnn_maxpool_lengths_args a = {0}, bad;
    cf_begin(r, "argument checks");
    conv_pool_make(r, &pc, &s, CONV_LBC, 1, CONV_VALUES_RANDOM);
    a.pool = pc.args;
    a.lengths = lengths;
    cf_call(r, id, &a);                  /* the valid call itself */
    bad = a; bad.lengths = zero;         cf_expect_rejected(r, id, &bad, "lengths[1] = 0");
    bad = a; bad.lengths = past;         cf_expect_rejected(r, id, &bad, "lengths[1] = len + 1");
    bad = a; bad.flags = 1;              cf_expect_rejected(r, id, &bad, "unknown flags");
    bad = a; bad.pool.flags = 1;         cf_expect_rejected(r, id, &bad, "pool.flags = 1");
    bad = a; bad.pool.len = 0;           cf_expect_rejected(r, id, &bad, "len = 0");
    bad = a; bad.pool.channels = 0;      cf_expect_rejected(r, id, &bad, "channels = 0");
    bad = a; bad.pool.argmax = a.pool.x; cf_expect_rejected(r, id, &bad, "a float32 argmax");
    bad = a; bad.pool.y.buf = NULL;      cf_expect_rejected(r, id, &bad, "a missing y");
    bad = a; cf_expect_extent(r, id, &bad, &bad.pool.x, SEQNN_F32, pc.xl.count, "x");
    bad = a; cf_expect_extent(r, id, &bad, &bad.pool.y, SEQNN_F32, (s.batch - 1) * (s.channels + 7) + s.channels,
                              "y");
    bad = a; cf_expect_extent(r, id, &bad, &bad.pool.argmax, SEQNN_I32, s.batch * s.channels, "argmax");
    cf_end(r);
}

/* Finite differences through maxpool_backward (the backward of this
 * forward) on inputs without near-ties, the gradient of every excluded
 * position 0. The arguments begin with pool, so they serve both kernels. */
static void conv_pool_lengths_gradchecks(cf_run *r)
{
    int i;
    for (i = 0; i < CONV_NPOOL; i++) {
        const conv_pool_shape *s = &conv_pool_shapes[i];
        const int xk = (i + 1) % CONV_LAYOUTS, concat = (i + 1) % 2;
        int32_t lengths[8];
        conv_pool_case pc;
        seqnn_maxpool_lengths_args a = {0};
        cf_tensor *dy, *dx;
        if (s->batch * s->channels * s->len > 5000)
            continue;
        cf_begin(r, "gradcheck B=%lld C=%lld L=%lld x=%s y=%s", (long long)s->batch, (long long)s->channels,
                 (long long)s->len, conv_layout_name[xk], concat ? "concat-slice" : "dense");
        conv_pool_make(r, &pc, s, xk, concat, CONV_VALUES_DISTINCT);
        conv_pool_lengths(r, s, lengths);
        conv_pool_exclude(r, &pc, lengths, 3.0);
        conv_pool_add_grads(r, &pc, 0, &a.pool, &dy, &dx);
        a.lengths = lengths;
        {
            cf_tensor *const inputs[1] = {pc.x}, *const grads[1] = {dx};
            cf_tensor *const outs[1] = {pc.y}, *const douts[1] = {dy};
            cf_gradcheck(r, SEQNN_KERNEL_maxpool_lengths_forward, SEQNN_KERNEL_maxpool_backward, &a,
                         1, inputs, grads, 1, outs, douts);
        }
        cf_end(r);
    }
}

/* y = max over the first lengths[b] positions, argmax = its first position:
 * every shape and x layout, lengths NULL or random, excluded positions 3 or
 * NaN (never read), y dense or a concatenated slice, random values or ties;
 * then maxpool_backward from the plugin's own argmax, finite differences and
 * the argument checks. A max is exact, so k = 1. */
void cf_test_maxpool_lengths_forward(cf_run *r)
{
    int i, xk, mode;
    conv_pool_lengths_rejects(r);
    for (i = 0; i < CONV_NPOOL; i++) {
        const conv_pool_shape *s = &conv_pool_shapes[i];
        for (xk = 0; xk < CONV_LAYOUTS; xk++) {
            for (mode = 0; mode < 3; mode++) {   /* 0: lengths NULL, 1: excluded 3, 2: excluded NaN */
                const int concat = (xk + mode) % 2, ties = (xk + i) % 2;
                int32_t lengths[8];
                conv_pool_case pc;
                seqnn_maxpool_lengths_args a = {0};
                cf_begin(r, "B=%lld C=%lld L=%lld x=%s y=%s values=%s lengths=%s", (long long)s->batch,
                         (long long)s->channels, (long long)s->len, conv_layout_name[xk],
                         concat ? "concat-slice" : "dense", ties ? "ties" : "random",
                         mode == 0 ? "none" : mode == 1 ? "random (3 past them)" : "random (NaN past them)");
                conv_pool_make(r, &pc, s, xk, concat, ties ? CONV_VALUES_TIES : CONV_VALUES_RANDOM);
                if (mode > 0) {
                    conv_pool_lengths(r, s, lengths);
                    conv_pool_exclude(r, &pc, lengths, mode == 1 ? 3.0 : (double)NAN);
                    a.lengths = lengths;
                }
                a.pool = pc.args;
                if (mode == 1) {         /* then the backward from this argmax */
                    seqnn_maxpool_args bwd;
                    cf_tensor *dy, *dx;
                    conv_pool_add_grads(r, &pc, xk % 2, &bwd, &dy, &dx);
                    cf_call(r, SEQNN_KERNEL_maxpool_lengths_forward, &a);
                    cf_call(r, SEQNN_KERNEL_maxpool_backward, &bwd);
                    cf_compare(r, 1);
                } else {
                    cf_check(r, SEQNN_KERNEL_maxpool_lengths_forward, &a, 1);
                }
                cf_end(r);
            }
        }
    }
    conv_pool_lengths_gradchecks(r);
}

/* ------------------------------- conv1d + max over time, fused (ABI 1.3) --- */

/* The activations the fused kernel is checked with, in turn. */
static const int32_t conv_max_acts[] = {
    SEQNN_CONV_MAX_NO_ACT, SEQNN_ACT_RELU, SEQNN_ACT_TANH, SEQNN_ACT_SIGMOID,
    SEQNN_ACT_LEAKY_RELU, SEQNN_ACT_HARDTANH, SEQNN_ACT_SWISH,
};
#define CONV_MAX_NACTS ((int)(sizeof conv_max_acts / sizeof conv_max_acts[0]))
static const char *const conv_max_act_name[CONV_MAX_NACTS] = {
    "none", "relu", "tanh", "sigmoid", "leaky_relu", "hardtanh", "swish",
};

/* The tensors of one fused check: the conv of shape s (x in layout xk, grid
 * values; weight and bias on a grid too, all zero when flat), y dense or the
 * slice [3, 3 + C_out) of a [B, C_out + 7] row, pre (y's layout) when
 * with_pre, argmax. */
typedef struct conv_max_case {
    conv_layout xl;
    int64_t out_len;
    cf_tensor *x, *y, *pre, *argmax;
    seqnn_conv1d_max_args args;
} conv_max_case;

static void conv_max_make(cf_run *r, conv_max_case *mc, const conv_shape *s, int xk, int concat, int with_pre,
                          int flat)
{
    seqnn_conv1d_max_args *m = &mc->args;
    seqnn_conv1d_args *a = &m->conv;
    const int64_t B = s->batch, O = s->cout, ycount = concat ? B * (O + 7) : B * O;
    mc->out_len = conv_out_len(s);
    mc->xl = conv_make_layout(xk, B, s->cin, s->len);
    mc->x = conv_in_ties(r, "x", mc->xl.count);
    *m = (seqnn_conv1d_max_args){0};
    a->batch = B; a->in_channels = s->cin; a->out_channels = O;
    a->in_len = s->len; a->kernel_size = s->k;
    a->stride = s->stride; a->padding = s->pad; a->dilation = s->dil;
    a->x = cf_ref(mc->x); a->x_sb = mc->xl.sb; a->x_sc = mc->xl.sc; a->x_sl = mc->xl.sl;
    a->weight = cf_ref(conv_in_grid(r, "weight", O * s->cin * s->k, 0.125, flat ? 0 : 2));
    a->bias = cf_ref(conv_in_grid(r, "bias", O, 0.25, 3));
    mc->y = concat ? cf_inout(r, "y", ycount, -1, 1) : cf_out(r, "y", ycount);
    mc->pre = with_pre ? (concat ? cf_inout(r, "pre", ycount, -1, 1) : cf_out(r, "pre", ycount)) : NULL;
    mc->argmax = cf_out_int(r, "argmax", B * O);
    m->act = SEQNN_CONV_MAX_NO_ACT;
    m->y = cf_ref(mc->y);
    m->y_sb = concat ? O + 7 : O;
    m->y_sc = 1;
    if (concat)
        m->y.off += 3;
    if (with_pre) {
        m->pre = cf_ref(mc->pre);
        m->pre.off = m->y.off - cf_ref(mc->y).off + cf_ref(mc->pre).off;
    }
    m->argmax = cf_ref(mc->argmax);
}

/* Random counts of windows in [1, out_len] per row (row 0 keeps every one,
 * row 1 only the first), and x's positions that only windows past them read
 * set to `excluded` (a kernel that compares such a window fails). */
static void conv_max_lengths(cf_run *r, conv_max_case *mc, int32_t *lengths, double excluded)
{
    const seqnn_conv1d_args *a = &mc->args.conv;
    double *v = conv_values_copy(r, mc->x, mc->xl.count);
    int64_t b, c, p;
    if (!v)
        return;
    for (b = 0; b < a->batch; b++) {
        /* window len-1 reads up to position (len-1)*stride - padding + (K-1)*dilation */
        int64_t last;
        lengths[b] = b == 0 ? (int32_t)mc->out_len : b == 1 ? 1 : (int32_t)cf_randint(r, 1, mc->out_len);
        last = (lengths[b] - 1) * a->stride - a->padding + (a->kernel_size - 1) * a->dilation;
        for (c = 0; c < a->in_channels; c++)
            for (p = last + 1; p < a->in_len; p++)
                v[b * a->x_sb + c * a->x_sc + p * a->x_sl] = excluded;
    }
    mc->x = cf_in_values(r, "x", mc->xl.count, v);
    mc->args.conv.x = cf_ref(mc->x);
    mc->args.lengths = lengths;
    free(v);
}

/* Bad arguments, each one defect away from a valid call (B=3 Cin=3 Cout=4
 * L=10 K=3 stride 2 padding 2 dilation 2, out_len 5, x padded, y a slice of a
 * concatenated row, pre present, lengths), and every tensor's exact extent. */
static void conv_max_rejects(cf_run *r)
{
    static const conv_shape s = {3, 3, 4, 10, 3, 2, 2, 2};
    const seqnn_kernel_id id = SEQNN_KERNEL_conv1d_max_forward;
    const int64_t y_extent = (s.batch - 1) * (s.cout + 7) + s.cout;
    int32_t lengths[3] = {5, 1, 3}, zero[3] = {5, 0, 3}, past[3] = {5, 6, 3};
    conv_max_case mc;
    seqnn_conv1d_max_args a, bad;
    cf_begin(r, "argument checks");
    conv_max_make(r, &mc, &s, CONV_PADDED, 1, 1, 0);
    a = mc.args;
    a.act = SEQNN_ACT_TANH;
    a.lengths = lengths;
    cf_call(r, id, &a);                  /* the valid call itself */
    bad = a; bad.flags = 2;              cf_expect_rejected(r, id, &bad, "unknown flags");
    bad = a; bad.conv.flags = SEQNN_FLAG_OVERWRITE; cf_expect_rejected(r, id, &bad, "conv.flags = OVERWRITE");
    bad = a; bad.act = SEQNN_ACT_COUNT;  cf_expect_rejected(r, id, &bad, "act = SEQNN_ACT_COUNT");
    bad = a; bad.act = -2;               cf_expect_rejected(r, id, &bad, "act = -2");
    bad = a; bad.lengths = zero;         cf_expect_rejected(r, id, &bad, "lengths[1] = 0");
    bad = a; bad.lengths = past;         cf_expect_rejected(r, id, &bad, "lengths[1] = out_len + 1");
    bad = a; bad.conv.batch = -1;        cf_expect_rejected(r, id, &bad, "batch = -1");
    bad = a; bad.conv.out_channels = 0;  cf_expect_rejected(r, id, &bad, "out_channels = 0");
    bad = a; bad.conv.stride = 0;        cf_expect_rejected(r, id, &bad, "stride = 0");
    bad = a; bad.conv.dilation = 8; bad.conv.padding = 0; cf_expect_rejected(r, id, &bad, "a span of 17 over 10");
    bad = a; bad.conv.x_sl = -1;         cf_expect_rejected(r, id, &bad, "a negative x stride");
    bad = a; bad.y_sc = -1;              cf_expect_rejected(r, id, &bad, "a negative y stride");
    bad = a; bad.y.buf = NULL;           cf_expect_rejected(r, id, &bad, "a missing y");
    bad = a; bad.argmax.buf = NULL;      cf_expect_rejected(r, id, &bad, "a missing argmax");
    bad = a; bad.conv.x.buf = NULL;      cf_expect_rejected(r, id, &bad, "a missing x");
    bad = a; bad.conv.weight.buf = NULL; cf_expect_rejected(r, id, &bad, "a missing weight");
    bad = a; bad.argmax = a.y;           cf_expect_rejected(r, id, &bad, "a float32 argmax");
    bad = a; bad.pre = a.y;              cf_expect_rejected(r, id, &bad, "pre = y");
    bad = a; bad.y = a.conv.x;           cf_expect_rejected(r, id, &bad, "y overlapping x");
    bad = a; cf_expect_extent(r, id, &bad, &bad.conv.x, SEQNN_F32, mc.xl.count, "x");
    bad = a; cf_expect_extent(r, id, &bad, &bad.conv.weight, SEQNN_F32, s.cout * s.cin * s.k, "weight");
    bad = a; cf_expect_extent(r, id, &bad, &bad.conv.bias, SEQNN_F32, s.cout, "bias");
    bad = a; cf_expect_extent(r, id, &bad, &bad.y, SEQNN_F32, y_extent, "y");
    bad = a; cf_expect_extent(r, id, &bad, &bad.pre, SEQNN_F32, y_extent, "pre");
    bad = a; cf_expect_extent(r, id, &bad, &bad.argmax, SEQNN_I32, s.batch * s.cout, "argmax");
    cf_end(r);
}

/* A NaN inside: x holds NaN at one position of one row of item 0 and of
 * item B-1 (every window reading it is NaN: the first such window is the
 * argmax and y and pre are NaN there), and, with lengths, NaN at positions
 * only excluded windows read (never compared). */
static void conv_max_nan(cf_run *r)
{
    static const conv_shape s = {3, 4, 5, 23, 3, 1, 1, 1};
    for (int with_lengths = 0; with_lengths <= 1; with_lengths++) {
        conv_max_case mc;
        int32_t lengths[3];
        double *v;
        cf_begin(r, "NaN in x at positions 7 and 19 of channel 2, %s", with_lengths ? "lengths (NaN past them)" : "no lengths");
        conv_max_make(r, &mc, &s, CONV_BLC, 0, 1, 0);
        if (with_lengths)
            conv_max_lengths(r, &mc, lengths, (double)NAN);
        v = conv_values_copy(r, mc.x, mc.xl.count);
        if (!v) {
            cf_end(r);
            continue;
        }
        v[0 * mc.xl.sb + 2 * mc.xl.sc + 7 * mc.xl.sl] = NAN;
        v[2 * mc.xl.sb + 2 * mc.xl.sc + 19 * mc.xl.sl] = NAN;
        mc.x = cf_in_values(r, "x", mc.xl.count, v);
        mc.args.conv.x = cf_ref(mc.x);
        free(v);
        mc.args.act = with_lengths ? SEQNN_ACT_RELU : SEQNN_ACT_TANH;
        cf_set_nonfinite(r, mc.y);
        cf_set_nonfinite(r, mc.pre);
        cf_check(r, SEQNN_KERNEL_conv1d_max_forward, &mc.args, (double)(s.cin * s.k + 1));
        cf_end(r);
    }
}

/* One side of a conv1d boundary the plugin declares (the fused kernel runs
 * conv1d's blocking), no activation (exact), lengths on every other. */
static void conv_max_boundary(cf_run *r, const char *what, const conv_shape *s, int n)
{
    conv_max_case mc;
    int32_t lengths[64];
    cf_begin(r, "boundary \"%s\": B=%lld Cin=%lld Cout=%lld L=%lld K=%lld pad=%lld x=%s lengths=%d", what,
             (long long)s->batch, (long long)s->cin, (long long)s->cout, (long long)s->len, (long long)s->k,
             (long long)s->pad, conv_layout_name[n % CONV_LAYOUTS], n % 2);
    conv_max_make(r, &mc, s, n % CONV_LAYOUTS, n % 2, 1, 0);
    if (n % 2)
        conv_max_lengths(r, &mc, lengths, 3.0);
    cf_check(r, SEQNN_KERNEL_conv1d_max_forward, &mc.args, (double)(s->cin * s->k + 1));
    cf_end(r);
}

/* Stride-1 shapes beyond conv_shapes for the fused kernel: dilation 2,
 * outputs longer than 64 and 128 positions (several position blocks of a
 * SIMD micro-tile, x read in place or copied), and 700 channels (the SIMD
 * plugins split 198 positions into chunks and merge their maxima). */
static const conv_shape conv_max_shapes[] = {
    {2, 6, 13, 150, 3, 1, 0, 2},
    {3, 5, 7, 70, 5, 1, 0, 1},
    {2, 4, 9, 140, 4, 1, 2, 1},
    {1, 700, 7, 200, 3, 1, 0, 1},
};

/* Shape s (number i) in 4 modes, layouts, activations, y and pre rotating. */
static void conv_max_shape_check(cf_run *r, const conv_shape *s, int i, int *n)
{
    int mode;
    for (mode = 0; mode < 4; mode++) {   /* bit 0: lengths, bit 1: flat weight */
        const int xk = (i + mode) % CONV_LAYOUTS, act = *n % CONV_MAX_NACTS, concat = *n % 2, with_pre = (*n / 2) % 2;
        conv_max_case mc;
        int32_t lengths[8];
        (*n)++;
        cf_begin(r, "B=%lld Cin=%lld Cout=%lld L=%lld K=%lld stride=%lld pad=%lld dil=%lld x=%s y=%s pre=%d "
                 "act=%s lengths=%s weight=%s",
                 (long long)s->batch, (long long)s->cin, (long long)s->cout, (long long)s->len,
                 (long long)s->k, (long long)s->stride, (long long)s->pad, (long long)s->dil,
                 conv_layout_name[xk], concat ? "concat-slice" : "dense", with_pre, conv_max_act_name[act],
                 mode & 1 ? "random (3 past them)" : "none", mode & 2 ? "flat (all equal)" : "grid");
        conv_max_make(r, &mc, s, xk, concat, with_pre, mode & 2);
        mc.args.act = conv_max_acts[act];
        mc.args.alpha = 0.01;
        if (mode & 1)
            conv_max_lengths(r, &mc, lengths, 3.0);
        cf_check(r, SEQNN_KERNEL_conv1d_max_forward, &mc.args, (double)(s->cin * s->k + 2));
        cf_end(r);
    }
}

/* y, argmax and pre of the fused kernel: every conv shape, x layouts and
 * activations rotating, y dense or a concatenated slice, pre present or not,
 * lengths none or random (past them x is 3, which would win), values on a
 * grid (exact sums, many ties); a flat weight (every window equal: argmax 0);
 * NaN; the declared boundaries; the argument checks. k = C_in*K products +
 * the bias (+ the activation). */
void cf_test_conv1d_max_forward(cf_run *r)
{
    int i, n = 0;
    conv_max_rejects(r);
    for (i = 0; i < CONV_NSHAPES; i++)
        conv_max_shape_check(r, &conv_shapes[i], i, &n);
    for (i = 0; i < (int)(sizeof conv_max_shapes / sizeof conv_max_shapes[0]); i++)
        conv_max_shape_check(r, &conv_max_shapes[i], CONV_NSHAPES + i, &n);
    conv_max_nan(r);
    conv_boundary_each(r, SEQNN_KERNEL_conv1d_forward, SEQNN_KERNEL_conv1d_max_forward, conv_max_boundary);
}

/* ---------------------------------------- backward from the maxima (ABI 1.3) --- */

/* Adds dy ([B, C_out] in y's strides: y's slice of a concatenated row or
 * dense) and the gradients g asks for to a fused case (grads, when not
 * NULL, receives dx, dweight, dbias): the backward's arguments are mc->args then. k: a dx element sums C_out*K products, a
 * dweight or dbias element B, each plus the accumulated old value. */
static void conv_max_add_grads(cf_run *r, conv_max_case *mc, const conv_grads *g, cf_tensor **dy,
                               cf_tensor **grads)
{
    seqnn_conv1d_max_args *m = &mc->args;
    seqnn_conv1d_args *a = &m->conv;
    const double acc = g->overwrite ? 0 : 1;
    cf_tensor *dx = NULL, *dw = NULL, *db = NULL;
    *dy = cf_in(r, "dy", cf_count(mc->y), -1, 1);
    m->dy = cf_ref(*dy);
    m->dy.off += m->y.off - cf_ref(mc->y).off;   /* the same slice as y */
    m->flags = g->overwrite ? SEQNN_FLAG_OVERWRITE : 0;
    if (g->dx) {
        dx = conv_written(r, "dx", mc->xl.count, g->overwrite && mc->xl.dense);
        cf_set_k(dx, (double)(a->out_channels * a->kernel_size) + acc);
        a->dx = cf_ref(dx);
    }
    if (g->dweight) {
        dw = conv_written(r, "dweight", a->out_channels * a->in_channels * a->kernel_size, g->overwrite);
        cf_set_k(dw, (double)a->batch + acc);
        a->dweight = cf_ref(dw);
    }
    if (g->dbias) {
        db = conv_written(r, "dbias", a->out_channels, g->overwrite);
        cf_set_k(db, (double)a->batch + acc);
        a->dbias = cf_ref(db);
    }
    if (grads) {
        grads[0] = dx;
        grads[1] = dw;
        grads[2] = db;
    }
}

/* The forward's arguments of mc without its outputs (y, pre) and with the
 * tensors the backward does not need absent: x without dweight, weight
 * without dx. */
static seqnn_conv1d_max_args conv_max_bwd_args(const conv_max_case *mc, const conv_grads *g)
{
    seqnn_conv1d_max_args b = mc->args;
    if (!g->dweight)
        b.conv.x = (seqnn_tref){0};
    if (!g->dx)
        b.conv.weight = (seqnn_tref){0};
    b.y = b.pre = (seqnn_tref){0};
    return b;
}

/* Bad arguments, each one defect away from a valid call (the forward's case
 * of conv_max_rejects with every gradient, overwriting), and the exact
 * extents of dy, argmax, dx, dweight and dbias. */
static void conv_max_bwd_rejects(cf_run *r)
{
    static const conv_shape s = {3, 3, 4, 10, 3, 2, 2, 2};
    static const conv_grads g = {1, 1, 1, 1};
    const seqnn_kernel_id id = SEQNN_KERNEL_conv1d_max_backward;
    const int64_t y_extent = (s.batch - 1) * (s.cout + 7) + s.cout, wcount = s.cout * s.cin * s.k;
    conv_max_case mc;
    seqnn_conv1d_max_args a, bad;
    cf_tensor *dy;
    cf_begin(r, "argument checks");
    conv_max_make(r, &mc, &s, CONV_PADDED, 1, 0, 0);
    conv_max_add_grads(r, &mc, &g, &dy, NULL);
    cf_call(r, SEQNN_KERNEL_conv1d_max_forward, &mc.args);
    a = conv_max_bwd_args(&mc, &g);
    cf_call(r, id, &a);                  /* the valid call itself */
    bad = a; bad.flags = 2;              cf_expect_rejected(r, id, &bad, "unknown flags");
    bad = a; bad.conv.flags = SEQNN_FLAG_OVERWRITE; cf_expect_rejected(r, id, &bad, "conv.flags = OVERWRITE");
    bad = a; bad.dy.buf = NULL;          cf_expect_rejected(r, id, &bad, "a missing dy");
    bad = a; bad.argmax.buf = NULL;      cf_expect_rejected(r, id, &bad, "a missing argmax");
    bad = a; bad.argmax = a.dy;          cf_expect_rejected(r, id, &bad, "a float32 argmax");
    bad = a; bad.conv.x.buf = NULL;      cf_expect_rejected(r, id, &bad, "a missing x with dweight");
    bad = a; bad.conv.weight.buf = NULL; cf_expect_rejected(r, id, &bad, "a missing weight with dx");
    bad = a; bad.conv.dx = a.conv.x;     cf_expect_rejected(r, id, &bad, "dx = x");
    bad = a; bad.conv.dweight = a.conv.weight; cf_expect_rejected(r, id, &bad, "dweight = weight");
    bad = a; bad.conv.stride = 0;        cf_expect_rejected(r, id, &bad, "stride = 0");
    bad = a; bad.y_sb = -1;              cf_expect_rejected(r, id, &bad, "a negative dy stride");
    bad = a; cf_expect_extent(r, id, &bad, &bad.dy, SEQNN_F32, y_extent, "dy");
    bad = a; cf_expect_extent(r, id, &bad, &bad.argmax, SEQNN_I32, s.batch * s.cout, "argmax");
    bad = a; cf_expect_extent(r, id, &bad, &bad.conv.dx, SEQNN_F32, mc.xl.count, "dx");
    bad = a; cf_expect_extent(r, id, &bad, &bad.conv.dweight, SEQNN_F32, wcount, "dweight");
    bad = a; cf_expect_extent(r, id, &bad, &bad.conv.dbias, SEQNN_F32, s.cout, "dbias");
    cf_end(r);
}

/* An argmax outside [0, out_len) in the last position: the ref plugin must
 * fail with SEQNN_ERR_INVALID_ARG and leave dx as it was (other plugins may
 * return OK: the result is then not compared). */
static void conv_max_bwd_bad_argmax(cf_run *r, int32_t bad_value)
{
    int32_t argmax[6] = {0, 4, 1, 3, 2, 0};
    seqnn_conv1d_max_args a = {0};
    cf_begin(r, "argmax[5] = %ld outside [0, 5)", (long)bad_value);
    argmax[5] = bad_value;
    /* B=2 C_in=2 C_out=3 L=6 K=2: out_len 5; dx [B, C_in, L] dense */
    a.conv.batch = 2; a.conv.in_channels = 2; a.conv.out_channels = 3; a.conv.in_len = 6;
    a.conv.kernel_size = 2; a.conv.stride = 1; a.conv.dilation = 1;
    a.conv.x_sb = 12; a.conv.x_sc = 6; a.conv.x_sl = 1;
    a.conv.weight = cf_ref(cf_in(r, "weight", 12, -1, 1));
    a.conv.dx = cf_ref(cf_inout(r, "dx", 24, -1, 1));
    a.y_sb = 3; a.y_sc = 1;
    a.argmax = cf_ref(cf_in_ints(r, "argmax", 6, argmax));
    a.dy = cf_ref(cf_in(r, "dy", 6, -1, 1));
    conv_expect_bad_argmax(r, SEQNN_KERNEL_conv1d_max_backward, &a);
}

/* Finite differences of the pair (no activation) on the oracle where the
 * conv's windows are far apart: one input channel, x without near-ties, a
 * weight of fixed magnitude, so that no step moves an argmax. */
static void conv_max_gradchecks(cf_run *r)
{
    static const conv_shape shapes[] = {
        {2, 1, 3, 9, 1, 1, 0, 1},
        {3, 1, 2, 11, 1, 2, 0, 1},
    };
    static const double weights[3] = {0.5, -0.75, 1.0};
    for (int i = 0; i < 2; i++) {
        const conv_shape *s = &shapes[i];
        const conv_grads g = {1, 1, 1, i};
        conv_max_case mc;
        cf_tensor *dy;
        cf_begin(r, "gradcheck B=%lld Cout=%lld L=%lld stride=%lld overwrite=%d", (long long)s->batch,
                 (long long)s->cout, (long long)s->len, (long long)s->stride, g.overwrite);
        conv_max_make(r, &mc, s, i ? CONV_LBC : CONV_BCL, i, 0, 0);
        mc.x = conv_in_distinct(r, "x", mc.xl.count);
        mc.args.conv.x = cf_ref(mc.x);
        cf_tensor *w = cf_in_values(r, "weight", s->cout, weights), *bias = cf_in(r, "bias", s->cout, -0.1, 0.1);
        mc.args.conv.weight = cf_ref(w);
        mc.args.conv.bias = cf_ref(bias);
        cf_tensor *grads[3];
        conv_max_add_grads(r, &mc, &g, &dy, grads);
        {
            cf_tensor *const inputs[3] = {mc.x, w, bias};
            cf_tensor *const outs[1] = {mc.y}, *const douts[1] = {dy};
            cf_gradcheck(r, SEQNN_KERNEL_conv1d_max_forward, SEQNN_KERNEL_conv1d_max_backward, &mc.args, 3, inputs,
                         grads, 1, outs, douts);
        }
        cf_end(r);
    }
}

/* The backward from the plugin's own argmax (grid inputs: every side has
 * the same): every conv shape, the 4 gradient variants (accumulating or
 * overwriting, dx or dweight absent) rotating, x layouts rotating, dy dense
 * or a concatenated slice; finite differences; the argument checks; a bad
 * argmax. */
void cf_test_conv1d_max_backward(cf_run *r)
{
    for (int i = 0; i < CONV_NSHAPES; i++) {
        const conv_shape *s = &conv_shapes[i];
        for (int v = 0; v < CONV_NGRADS; v++) {
            const conv_grads *g = &conv_grad_variants[v];
            const int xk = (i + v) % CONV_LAYOUTS, concat = (i + v) % 2;
            conv_max_case mc;
            cf_tensor *dy;
            cf_begin(r, "B=%lld Cin=%lld Cout=%lld L=%lld K=%lld stride=%lld pad=%lld dil=%lld x=%s dy=%s "
                     "dx=%d dweight=%d dbias=%d overwrite=%d",
                     (long long)s->batch, (long long)s->cin, (long long)s->cout, (long long)s->len,
                     (long long)s->k, (long long)s->stride, (long long)s->pad, (long long)s->dil,
                     conv_layout_name[xk], concat ? "concat-slice" : "dense", g->dx, g->dweight, g->dbias,
                     g->overwrite);
            conv_max_make(r, &mc, s, xk, concat, 0, 0);
            conv_max_add_grads(r, &mc, g, &dy, NULL);
            cf_call(r, SEQNN_KERNEL_conv1d_max_forward, &mc.args);
            {
                const seqnn_conv1d_max_args bwd = conv_max_bwd_args(&mc, g);
                cf_call(r, SEQNN_KERNEL_conv1d_max_backward, &bwd);
            }
            cf_compare(r, (double)(s->cin * s->k + 1));
            cf_end(r);
        }
    }
    conv_max_gradchecks(r);
    conv_max_bwd_rejects(r);
    conv_max_bwd_bad_argmax(r, 5);
    conv_max_bwd_bad_argmax(r, -1);
}

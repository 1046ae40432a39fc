/* Conformance cases of the recurrent family: rnn_forward, rnn_backward,
 * cell_forward, cell_backward, for every cell (RNN tanh/relu, LSTM, GRU,
 * GRU classic) in both directions, with lengths NULL and variable (unsorted,
 * including 0), optional biases, h0/c0, y, h_n/c_n and reserve, padded row
 * strides, both halves of a bidirectional output, accumulate and overwrite,
 * every gradient optional, a long rollout (T = 200), both sides of every
 * boundary the plugin declares (hidden size, input size, T*B rows: the fast
 * paths, forward and backward against the oracle), and finite-difference
 * checks of every gradient; and the same for lstm_variant_forward /
 * lstm_variant_backward over every combination of peepholes, coupled gates
 * and projection. Budgets and their basis: docs/kernels/rnn.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "conformance.h"
#include "seqnn/plugin.h"

#define RNN_MAX_BATCH 8

/* Options of one check. */
typedef struct rnn_case {
    seqnn_cell cell;
    int64_t T, B, I, H;
    int reverse;
    int varlen;                          /* lengths (unsorted, with 0 and T) instead of NULL */
    int64_t pad_x, pad_y;                /* ldx = I + pad_x, ldy = H + pad_y */
    int bias, state0;                    /* b_ih/b_hh, h0 (and c0) present */
    int y, state_n;                      /* y, h_n (and c_n) present */
    int reserve;                         /* forward keeps the reserve */
    /* backward only */
    int dy, dstate_n;                    /* dy, dh_n (and dc_n) present */
    int grads;                           /* RNN_G_* bits: gradients present */
    int overwrite;                       /* SEQNN_FLAG_OVERWRITE */
    /* the LSTM variant kernels (cell LSTM) */
    int lstmv;                           /* lstm_variant_* instead of rnn_* / cell_* */
    uint32_t variant;                    /* SEQNN_LSTM_PEEPHOLE | SEQNN_LSTM_COUPLED */
    int64_t P;                           /* proj_size */
} rnn_case;

enum {
    RNN_G_DX = 1, RNN_G_DW_IH = 2, RNN_G_DW_HH = 4, RNN_G_DB_IH = 8, RNN_G_DB_HH = 16,
    RNN_G_DH0 = 32,                      /* dh0 (and dc0 for LSTM) */
    RNN_G_DPEEP = 64, RNN_G_DHR = 128,   /* LSTM variants: dw_peep, dw_hr (when they exist) */
    RNN_G_ALL = 255
};

/* The tensors and arguments of one check; absent tensors are NULL. */
typedef struct rnn_problem {
    seqnn_rnn_args a;
    int32_t lengths[RNN_MAX_BATCH];
    cf_tensor *x, *w_ih, *w_hh, *b_ih, *b_hh, *h0, *c0;
    cf_tensor *y, *h_n, *c_n, *reserve;
    cf_tensor *dy, *dh_n, *dc_n;
    cf_tensor *dx, *dw_ih, *dw_hh, *db_ih, *db_hh, *dh0, *dc0;
    /* LSTM variants: the struct around `a` (rnn_args() fills its rnn) */
    seqnn_lstm_variant_args v;
    cf_tensor *w_peep, *w_hr, *dw_peep, *dw_hr;
} rnn_problem;

/* The argument struct of either family: the plain cells' or the variant's. */
typedef union rnn_any_args {
    seqnn_rnn_args a;
    seqnn_lstm_variant_args v;
} rnn_any_args;

/* The arguments of the kernels under test, with the recurrent flags set to
 * `flags`, in *buf: p->a, or p->v around a copy of p->a. */
static const void *rnn_args(const rnn_problem *p, const rnn_case *c, uint32_t flags, rnn_any_args *buf)
{
    if (c->lstmv) {
        buf->v = p->v;
        buf->v.rnn = p->a;
        buf->v.rnn.flags = flags;
    } else {
        buf->a = p->a;
        buf->a.flags = flags;
    }
    return buf;
}

/* Gate blocks G and the width R of h of a case. */
static int64_t rnn_case_gates(const rnn_case *c)
{
    return c->lstmv ? seqnn_lstm_variant_gates(c->variant) : seqnn_cell_gates(c->cell);
}

static int64_t rnn_case_width(const rnn_case *c)
{
    return c->lstmv && c->P > 0 ? c->P : c->H;
}

static const char *const rnn_cell_names[SEQNN_CELL_COUNT] = {
    "rnn_tanh", "rnn_relu", "lstm", "gru", "gru_classic",
};

/* At least one element, so that a kernel that must touch nothing still has
 * something to spoil. */
static int64_t rnn_alloc_count(int64_t count)
{
    return count > 0 ? count : 1;
}

static seqnn_tref rnn_ref(cf_tensor *t)
{
    seqnn_tref none = {NULL, 0};
    return t ? cf_ref(t) : none;
}

/* Budget bases (docs/kernels/rnn.md): every gate is a sum of I + H products
 * (plus the biases), chained over T steps; backward adds the G*H-long sums of
 * W_hh^T dgates per step, and the weight gradients sum over all T*B (t, b). */
static double rnn_k_forward(const rnn_case *c)
{
    /* the variants: I + R products, and a projection adds an H-long sum */
    const double proj = c->lstmv && c->P > 0 ? (double)c->H : 0;
    double k = (double)c->T * ((double)(c->I + rnn_case_width(c) + 2) + proj);
    return k > 1 ? k : 1;
}

static double rnn_k_backward(const rnn_case *c)
{
    const double G = (double)rnn_case_gates(c);
    const double proj = c->lstmv && c->P > 0 ? (double)(c->H + c->P) : 0;
    double k = (double)c->T * (double)c->B *
               ((double)(c->I + rnn_case_width(c) + 2) + G * (double)c->H + proj);
    return k > 1 ? k : 1;
}

/* Lengths of a variable-length check: unsorted, with a 0 and a full T
 * (T/2, T, 0, then random); a single sequence runs T-1 steps. */
static void rnn_make_lengths(cf_run *r, const rnn_case *c, int32_t *len)
{
    int64_t b;
    for (b = 0; b < c->B; b++) {
        if (c->B == 1)
            len[b] = (int32_t)(c->T > 0 ? c->T - 1 : 0);
        else if (b == 0)
            len[b] = (int32_t)(c->T / 2);
        else if (b == 1)
            len[b] = (int32_t)c->T;
        else if (b == 2)
            len[b] = 0;
        else
            len[b] = (int32_t)cf_randint(r, 0, c->T);
    }
}

/* A gradient output: NaN-poisoned when overwritten densely (the old value
 * must not be read), random when accumulated or when it has gaps that must
 * come back unchanged. */
static cf_tensor *rnn_grad(cf_run *r, const rnn_case *c, const char *name, int64_t count, int dense)
{
    if (c->overwrite && dense && count > 0)
        return cf_out(r, name, count);
    return cf_inout(r, name, rnn_alloc_count(count), -1, 1);
}

/* Creates the tensors of a check and fills p->a. backward: also the output
 * gradients and the gradients the case asks for. */
static void rnn_build(cf_run *r, const rnn_case *c, rnn_problem *p, int backward)
{
    const int64_t G = rnn_case_gates(c), R = rnn_case_width(c);
    const int64_t T = c->T, B = c->B, I = c->I, H = c->H;
    const int64_t ldx = I + c->pad_x, ldy = R + c->pad_y;
    const int lstm = c->cell == SEQNN_CELL_LSTM;
    const int peep = c->lstmv && (c->variant & SEQNN_LSTM_PEEPHOLE);
    const int64_t NP = seqnn_lstm_variant_peeps(c->variant);
    const double wk = 1 / sqrt((double)H);   /* PyTorch's initialisation range */
    seqnn_rnn_args *a = &p->a;

    memset(p, 0, sizeof *p);
    a->cell = c->cell;
    a->seq_len = T;
    a->batch = B;
    a->input_size = I;
    a->hidden_size = H;
    a->reverse = c->reverse;
    if (c->varlen) {
        rnn_make_lengths(r, c, p->lengths);
        a->lengths = p->lengths;
    }
    a->ldx = ldx;
    a->ldy = ldy;
    a->flags = backward && c->overwrite ? SEQNN_FLAG_OVERWRITE : 0;

    p->x = cf_in(r, "x", rnn_alloc_count(T * B * ldx), -1, 1);
    p->w_ih = cf_in(r, "w_ih", rnn_alloc_count(G * H * I), -wk, wk);
    p->w_hh = cf_in(r, "w_hh", G * H * R, -wk, wk);
    if (peep)
        p->w_peep = cf_in(r, "w_peep", NP * H, -wk, wk);
    if (c->lstmv && c->P > 0)
        p->w_hr = cf_in(r, "w_hr", c->P * H, -wk, wk);
    if (c->bias) {
        p->b_ih = cf_in(r, "b_ih", G * H, -wk, wk);
        p->b_hh = cf_in(r, "b_hh", G * H, -wk, wk);
    }
    if (c->state0) {
        p->h0 = cf_in(r, "h0", rnn_alloc_count(B * R), -1, 1);
        if (lstm)
            p->c0 = cf_in(r, "c0", rnn_alloc_count(B * H), -1, 1);
    }
    /* y with gaps between rows keeps random values there, which must come
     * back unchanged; a dense y starts as NaN and must be written whole
     * (zeros past each sequence's length) */
    if (c->y)
        p->y = c->pad_y || T * B == 0 ? cf_inout(r, "y", rnn_alloc_count(T * B * ldy), -1, 1)
                                      : cf_out(r, "y", T * B * ldy);
    if (c->state_n) {
        p->h_n = B > 0 ? cf_out(r, "h_n", B * R) : cf_inout(r, "h_n", 1, -1, 1);
        if (lstm)
            p->c_n = B > 0 ? cf_out(r, "c_n", B * H) : cf_inout(r, "c_n", 1, -1, 1);
    }
    if (c->reserve || backward)
        p->reserve = cf_scratch(r, "reserve", rnn_alloc_count(c->lstmv ? seqnn_lstm_variant_reserve_count(c->variant, T, B, H)
                                                                          : seqnn_rnn_reserve_count(c->cell, T, B, H)));
    if (backward) {
        if (c->dy)
            p->dy = cf_in(r, "dy", rnn_alloc_count(T * B * ldy), -1, 1);
        if (c->dstate_n) {
            p->dh_n = cf_in(r, "dh_n", rnn_alloc_count(B * R), -1, 1);
            if (lstm)
                p->dc_n = cf_in(r, "dc_n", rnn_alloc_count(B * H), -1, 1);
        }
        if (c->grads & RNN_G_DX)
            p->dx = rnn_grad(r, c, "dx", T * B * ldx, c->pad_x == 0);
        if (c->grads & RNN_G_DW_IH)
            p->dw_ih = rnn_grad(r, c, "dw_ih", G * H * I, 1);
        if (c->grads & RNN_G_DW_HH)
            p->dw_hh = rnn_grad(r, c, "dw_hh", G * H * R, 1);
        if (c->grads & RNN_G_DB_IH)
            p->db_ih = rnn_grad(r, c, "db_ih", G * H, 1);
        if (c->grads & RNN_G_DB_HH)
            p->db_hh = rnn_grad(r, c, "db_hh", G * H, 1);
        if (c->grads & RNN_G_DH0) {
            p->dh0 = rnn_grad(r, c, "dh0", B * R, 1);
            if (lstm)
                p->dc0 = rnn_grad(r, c, "dc0", B * H, 1);
        }
        if (peep && (c->grads & RNN_G_DPEEP))
            p->dw_peep = rnn_grad(r, c, "dw_peep", NP * H, 1);
        if (p->w_hr && (c->grads & RNN_G_DHR))
            p->dw_hr = rnn_grad(r, c, "dw_hr", c->P * H, 1);
    }
    p->v.variant = c->variant;
    p->v.proj_size = c->lstmv ? c->P : 0;
    p->v.w_peep = rnn_ref(p->w_peep);
    p->v.w_hr = rnn_ref(p->w_hr);
    p->v.dw_peep = rnn_ref(p->dw_peep);
    p->v.dw_hr = rnn_ref(p->dw_hr);
    a->x = rnn_ref(p->x);
    a->w_ih = rnn_ref(p->w_ih);
    a->w_hh = rnn_ref(p->w_hh);
    a->b_ih = rnn_ref(p->b_ih);
    a->b_hh = rnn_ref(p->b_hh);
    a->h0 = rnn_ref(p->h0);
    a->c0 = rnn_ref(p->c0);
    a->y = rnn_ref(p->y);
    a->h_n = rnn_ref(p->h_n);
    a->c_n = rnn_ref(p->c_n);
    a->reserve = rnn_ref(p->reserve);
    a->dy = rnn_ref(p->dy);
    a->dh_n = rnn_ref(p->dh_n);
    a->dc_n = rnn_ref(p->dc_n);
    a->dx = rnn_ref(p->dx);
    a->dw_ih = rnn_ref(p->dw_ih);
    a->dw_hh = rnn_ref(p->dw_hh);
    a->db_ih = rnn_ref(p->db_ih);
    a->db_hh = rnn_ref(p->db_hh);
    a->dh0 = rnn_ref(p->dh0);
    a->dc0 = rnn_ref(p->dc0);
}

/* Starts a check named after its case. */
static void rnn_begin(cf_run *r, const char *what, const rnn_case *c)
{
    cf_begin(r, "%s %s%s%s%s P=%lld T=%lld B=%lld I=%lld H=%lld %s lengths=%s ldx=+%lld ldy=+%lld bias=%d "
                "state0=%d y=%d state_n=%d reserve=%d dy=%d dstate_n=%d grads=0x%x %s",
             what, rnn_cell_names[c->cell], c->lstmv ? " variant" : "",
             c->variant & SEQNN_LSTM_PEEPHOLE ? " peephole" : "", c->variant & SEQNN_LSTM_COUPLED ? " coupled" : "",
             (long long)c->P, (long long)c->T, (long long)c->B, (long long)c->I,
             (long long)c->H, c->reverse ? "reverse" : "forward", c->varlen ? "var" : "NULL",
             (long long)c->pad_x, (long long)c->pad_y, c->bias, c->state0, c->y, c->state_n,
             c->reserve, c->dy, c->dstate_n, (unsigned)c->grads,
             c->overwrite ? "overwrite" : "accumulate");
}

/* Plugin against the oracle: forward, or forward then backward. */
static void rnn_check_case(cf_run *r, const rnn_case *c, seqnn_kernel_id fwd, seqnn_kernel_id bwd,
                           int backward)
{
    rnn_problem p;
    rnn_any_args f, b;
    rnn_begin(r, backward ? "compare-backward" : "compare-forward", c);
    rnn_build(r, c, &p, backward);
    if (!backward) {
        cf_check(r, fwd, rnn_args(&p, c, 0, &f), rnn_k_forward(c));
    } else {
        /* the forward outputs keep the forward's basis */
        if (p.y)
            cf_set_k(p.y, rnn_k_forward(c));
        if (p.h_n)
            cf_set_k(p.h_n, rnn_k_forward(c));
        if (p.c_n)
            cf_set_k(p.c_n, rnn_k_forward(c));
        /* forward kernels take no flags: the forward runs on a copy */
        cf_call(r, fwd, rnn_args(&p, c, 0, &f));
        cf_call(r, bwd, rnn_args(&p, c, p.a.flags, &b));
        cf_compare(r, rnn_k_backward(c));
    }
    cf_end(r);
}

/* Finite differences of L = <dy, y> + <dh_n, h_n> + <dc_n, c_n> on the
 * oracle, with respect to x, w_ih, w_hh, b_ih, b_hh, h0 (and c0): every
 * input is present and every gradient asked for. */
static void rnn_gradcheck_case(cf_run *r, rnn_case c, seqnn_kernel_id fwd, seqnn_kernel_id bwd)
{
    rnn_problem p;
    rnn_any_args args;
    cf_tensor *in[9], *grad[9], *out[3], *dout[3];
    int n_in = 0, n_out = 0;
    c.bias = c.state0 = c.y = c.state_n = c.reserve = 1;
    c.dy = c.dstate_n = 1;
    c.grads = RNN_G_ALL;
    rnn_begin(r, "gradcheck", &c);
    rnn_build(r, &c, &p, 1);
#define RNN_PAIR(t, g) do { in[n_in] = p.t; grad[n_in] = p.g; n_in++; } while (0)
    RNN_PAIR(x, dx);
    RNN_PAIR(w_ih, dw_ih);
    RNN_PAIR(w_hh, dw_hh);
    RNN_PAIR(b_ih, db_ih);
    RNN_PAIR(b_hh, db_hh);
    RNN_PAIR(h0, dh0);
    if (c.cell == SEQNN_CELL_LSTM)
        RNN_PAIR(c0, dc0);
    if (p.w_peep)
        RNN_PAIR(w_peep, dw_peep);
    if (p.w_hr)
        RNN_PAIR(w_hr, dw_hr);
#undef RNN_PAIR
    out[n_out] = p.y;
    dout[n_out++] = p.dy;
    out[n_out] = p.h_n;
    dout[n_out++] = p.dh_n;
    if (c.cell == SEQNN_CELL_LSTM) {
        out[n_out] = p.c_n;
        dout[n_out++] = p.dc_n;
    }
    cf_gradcheck(r, fwd, bwd, rnn_args(&p, &c, p.a.flags, &args), n_in, in, grad, n_out, out, dout);
    cf_end(r);
}

/* Bad arguments, each one defect away from a valid call (run first): GRU for
 * the sequence kernels (T=4 B=3 I=5 H=6), LSTM for the cell kernels. */
static void rnn_rejects(cf_run *r, seqnn_kernel_id fwd, seqnn_kernel_id bwd, int backward)
{
    const int cell_kernel = fwd == SEQNN_KERNEL_cell_forward;
    const seqnn_kernel_id id = backward ? bwd : fwd;
    rnn_case c = {0};
    rnn_problem p;
    seqnn_rnn_args bad, f;
    int32_t lengths[3] = {4, 0, 2};
    cf_tensor *ints;
    c.cell = cell_kernel ? SEQNN_CELL_LSTM : SEQNN_CELL_GRU;
    c.T = cell_kernel ? 1 : 4;
    c.B = 3;
    c.I = 5;
    c.H = 6;
    c.varlen = !cell_kernel;
    c.bias = c.state0 = c.y = c.state_n = c.reserve = c.dy = c.dstate_n = 1;
    c.grads = RNN_G_ALL;
    c.overwrite = backward;
    rnn_begin(r, "argument checks", &c);
    rnn_build(r, &c, &p, backward);
    ints = cf_in_int(r, "ints", c.T * c.B * c.I, 0, 1);
    f = p.a;
    f.flags = 0;
    cf_call(r, fwd, &f);                 /* the valid calls themselves */
    if (backward)
        cf_call(r, bwd, &p.a);
    bad = p.a; bad.flags = backward ? 2 : 1;  cf_expect_rejected(r, id, &bad, "unknown flags");
    bad = p.a; bad.cell = SEQNN_CELL_COUNT;    cf_expect_rejected(r, id, &bad, "cell = SEQNN_CELL_COUNT");
    bad = p.a; bad.cell = (seqnn_cell)-1;      cf_expect_rejected(r, id, &bad, "cell = -1");
    bad = p.a; bad.seq_len = -1;               cf_expect_rejected(r, id, &bad, "seq_len = -1");
    bad = p.a; bad.batch = -1;                 cf_expect_rejected(r, id, &bad, "batch = -1");
    bad = p.a; bad.input_size = -1;            cf_expect_rejected(r, id, &bad, "input_size = -1");
    bad = p.a; bad.hidden_size = 0;            cf_expect_rejected(r, id, &bad, "hidden_size = 0");
    bad = p.a; bad.ldx = c.I - 1;              cf_expect_rejected(r, id, &bad, "ldx < input_size");
    bad = p.a; bad.ldy = c.H - 1;              cf_expect_rejected(r, id, &bad, "ldy < hidden_size");
    bad = p.a; bad.reverse = 2;                cf_expect_rejected(r, id, &bad, "reverse = 2");
    /* (extents past the end by more than the framework's 16 guard elements) */
    bad = p.a; bad.ldx = c.I + 20;             cf_expect_rejected(r, id, &bad, "x past its buffer");
    bad = p.a; bad.hidden_size = c.H + 4;      cf_expect_rejected(r, id, &bad, "weights past their buffers");
    bad = p.a; bad.x.buf = NULL;               cf_expect_rejected(r, id, &bad, "a missing x");
    bad = p.a; bad.w_hh.buf = NULL;            cf_expect_rejected(r, id, &bad, "a missing w_hh");
    bad = p.a; bad.x = cf_ref(ints);           cf_expect_rejected(r, id, &bad, "an int32 x");
    bad = p.a; bad.b_hh.off += 40;             cf_expect_rejected(r, id, &bad, "b_hh past its buffer");
    if (cell_kernel) {
        bad = p.a; bad.seq_len = 2;            cf_expect_rejected(r, id, &bad, "seq_len = 2 for a cell");
        bad = p.a; bad.lengths = lengths;      cf_expect_rejected(r, id, &bad, "lengths for a cell");
    } else {
        bad = p.a; lengths[2] = (int32_t)c.T + 1; bad.lengths = lengths;
        cf_expect_rejected(r, id, &bad, "lengths[2] = T + 1");
        lengths[2] = -1;
        cf_expect_rejected(r, id, &bad, "lengths[2] = -1");
        bad = p.a; bad.c0 = bad.h0;            cf_expect_rejected(r, id, &bad, "c0 for a GRU");
    }
    if (!backward) {
        bad = p.a; bad.y.off += 20;            cf_expect_rejected(r, id, &bad, "y past its buffer");
        bad = p.a; bad.h_n = bad.x;            cf_expect_rejected(r, id, &bad, "h_n = x");
        bad = p.a; bad.y = bad.w_hh;           cf_expect_rejected(r, id, &bad, "y over w_hh");
        bad = p.a; bad.reserve.off += 20;      cf_expect_rejected(r, id, &bad, "reserve past its buffer");
        if (!cell_kernel) {
            bad = p.a; bad.h_n = bad.y;        cf_expect_rejected(r, id, &bad, "h_n over y");
        }
    } else {
        bad = p.a; bad.reserve.buf = NULL;     cf_expect_rejected(r, id, &bad, "backward without a reserve");
        bad = p.a; bad.dy.off += 20;           cf_expect_rejected(r, id, &bad, "dy past its buffer");
        bad = p.a; bad.dx = bad.x;             cf_expect_rejected(r, id, &bad, "dx = x");
        bad = p.a; bad.dw_hh = bad.dw_ih;      cf_expect_rejected(r, id, &bad, "dw_hh over dw_ih");
        bad = p.a; bad.dh0 = bad.dh_n;         cf_expect_rejected(r, id, &bad, "dh0 = dh_n");
        bad = p.a; bad.db_ih = bad.reserve;    cf_expect_rejected(r, id, &bad, "db_ih over the reserve");
        if (!cell_kernel) {
            bad = p.a; bad.dc0 = bad.dh0;      cf_expect_rejected(r, id, &bad, "dc0 for a GRU");
        }
    }
    cf_end(r);
}

/* Overwrite, then accumulate the same gradients again: every gradient must
 * end at exactly twice the overwritten value (x + x is exact), on the oracle
 * (checked here: finite differences zero the gradients first and cannot see
 * accumulation) and on the plugin (cf_compare). *c brings the cell and,
 * for the LSTM variants, the variant; the shape and options are set here. */
static void rnn_accumulate_case(cf_run *r, rnn_case *c, seqnn_kernel_id fwd, seqnn_kernel_id bwd,
                                int64_t T, int64_t B)
{
    rnn_problem p;
    rnn_any_args f, b;
    cf_tensor *g[10];
    double *first[10] = {NULL};
    int i, n = 0;
    c->T = T;
    c->B = B;
    c->I = 5;
    c->H = 6;
    c->varlen = T > 1;
    c->reverse = c->cell % 2;
    c->bias = c->state0 = c->y = c->state_n = c->reserve = c->dy = c->dstate_n = 1;
    c->grads = RNN_G_ALL;
    c->overwrite = 1;
    rnn_begin(r, "overwrite-then-accumulate", c);
    rnn_build(r, c, &p, 1);
    g[n++] = p.dx;
    g[n++] = p.dw_ih;
    g[n++] = p.dw_hh;
    g[n++] = p.db_ih;
    g[n++] = p.db_hh;
    g[n++] = p.dh0;
    if (p.dc0)
        g[n++] = p.dc0;
    if (p.dw_peep)
        g[n++] = p.dw_peep;
    if (p.dw_hr)
        g[n++] = p.dw_hr;
    cf_call(r, fwd, rnn_args(&p, c, 0, &f));
    cf_call(r, bwd, rnn_args(&p, c, SEQNN_FLAG_OVERWRITE, &b));
    for (i = 0; i < n && !cf_failed(r); i++) {
        const int64_t count = cf_count(g[i]);
        first[i] = malloc((size_t)count * sizeof(double));
        if (!first[i]) {
            cf_fail(r, "out of host memory");
            break;
        }
        memcpy(first[i], cf_values(g[i]), (size_t)count * sizeof(double));
    }
    cf_call(r, bwd, rnn_args(&p, c, 0, &b));
    for (i = 0; i < n && !cf_failed(r); i++) {
        const double *v = cf_values(g[i]);
        int64_t e;
        for (e = 0; e < cf_count(g[i]); e++)
            if (!(v[e] == 2 * first[i][e])) {
                cf_fail(r, "oracle: gradient %d element %lld is %.17g after accumulating twice, expected %.17g",
                        i, (long long)e, v[e], 2 * first[i][e]);
                break;
            }
    }
    for (i = 0; i < n; i++)
        free(first[i]);
    cf_compare(r, 2 * rnn_k_backward(c));
    cf_end(r);
}

/* rnn_accumulate_case for a plain cell. */
static void rnn_accumulate_check(cf_run *r, seqnn_cell cell, seqnn_kernel_id fwd, seqnn_kernel_id bwd,
                                 int64_t T, int64_t B)
{
    rnn_case c = {0};
    c.cell = cell;
    rnn_accumulate_case(r, &c, fwd, bwd, T, B);
}

/* Sequence shapes {T, B, I, H, pad_x, pad_y}: ones, primes, sizes around 64,
 * T in {1, 2, 7, 50}, T = 0 (h_n = h0), and the long rollout T = 200 (last). */
static const int64_t rnn_seq_shapes[][6] = {
    {1, 1, 1, 1, 0, 0},
    {2, 3, 5, 7, 0, 3},
    {7, 8, 13, 11, 3, 0},
    {7, 8, 65, 64, 0, 0},
    {50, 3, 64, 63, 1, 0},
    {50, 1, 17, 31, 0, 0},
    {0, 3, 4, 5, 0, 0},
    {200, 3, 5, 8, 0, 0},
};
#define RNN_SEQ_SHAPES ((int)(sizeof rnn_seq_shapes / sizeof rnn_seq_shapes[0]))

/* Cell shapes {B, I, H, pad_x, pad_y}. */
static const int64_t rnn_cell_shapes[][5] = {
    {1, 1, 1, 0, 0},
    {3, 5, 7, 2, 0},
    {8, 13, 11, 0, 4},
    {8, 65, 64, 0, 0},
    {3, 64, 63, 0, 0},
    {1, 127, 33, 1, 1},
};
#define RNN_CELL_SHAPES ((int)(sizeof rnn_cell_shapes / sizeof rnn_cell_shapes[0]))

/* Optional forward tensors for the n-th check of a cell, so that each cell
 * meets each of them present and absent; y or h_n is always there. */
static void rnn_cycle_forward_options(rnn_case *c, int n)
{
    c->bias = n % 2 == 0;
    c->state0 = n / 2 % 2 == 0;
    c->reserve = n % 3 != 2;
    c->y = n % 4 != 3;
    c->state_n = n % 5 != 4 || !c->y;
}

/* Optional backward tensors for the n-th check of a cell: mostly every
 * gradient, sometimes a few missing, the output gradients each on and off,
 * accumulate and overwrite. */
static void rnn_cycle_backward_options(rnn_case *c, int n)
{
    static const int grads[] = {
        RNN_G_ALL, RNN_G_ALL, RNN_G_DX | RNN_G_DH0, RNN_G_ALL, RNN_G_DW_IH | RNN_G_DB_HH,
        RNN_G_DW_HH | RNN_G_DB_IH | RNN_G_DX,
    };
    rnn_cycle_forward_options(c, n);
    c->reserve = 1;
    c->dy = n % 3 != 1;
    c->dstate_n = n % 3 != 2;
    c->grads = grads[n % (int)(sizeof grads / sizeof grads[0])];
    c->overwrite = n % 2 == 1;
}

/* Every cell x direction x lengths over the sequence shapes. */
static void rnn_sweep(cf_run *r, seqnn_kernel_id fwd, seqnn_kernel_id bwd, int backward)
{
    int s, cell, rev, varlen;
    for (cell = 0; cell < (int)SEQNN_CELL_COUNT; cell++) {
        int n = 0;
        for (s = 0; s < RNN_SEQ_SHAPES; s++)
            for (rev = 0; rev <= 1; rev++)
                for (varlen = 0; varlen <= 1; varlen++) {
                    rnn_case c = {0};
                    c.cell = (seqnn_cell)cell;
                    c.T = rnn_seq_shapes[s][0];
                    c.B = rnn_seq_shapes[s][1];
                    c.I = rnn_seq_shapes[s][2];
                    c.H = rnn_seq_shapes[s][3];
                    c.pad_x = rnn_seq_shapes[s][4];
                    c.pad_y = rnn_seq_shapes[s][5];
                    c.reverse = rev;
                    c.varlen = varlen;
                    if (backward)
                        rnn_cycle_backward_options(&c, n + cell);
                    else
                        rnn_cycle_forward_options(&c, n + cell);
                    /* over a long rollout a gradient that enters only at
                     * dh_n vanishes below float32's range (0.5^200) by the
                     * time it reaches dh0: feed dy there */
                    if (c.T >= 100)
                        c.dy = 1;
                    n++;
                    rnn_check_case(r, &c, fwd, bwd, backward);
                }
    }
}

/* Direction dir (0 forward, 1 reverse) of the bidirectional checks: T=7,
 * B=3, I=5, H=6, lengths 4,7,0, x with ldx 8, its half of y [T, B, 2R]
 * (ldy = 2R, the reverse half at offset R), h_n, and the weights of G gate
 * blocks over h of width R with b_ih. */
static void rnn_bidir_direction(cf_run *r, seqnn_rnn_args *a, seqnn_cell cell, int dir, int64_t G, int64_t R,
                                cf_tensor *x, cf_tensor *y, const int32_t *lengths)
{
    const int64_t T = 7, B = 3, I = 5, H = 6;
    const double wk = 1 / sqrt((double)H);
    memset(a, 0, sizeof *a);
    a->cell = cell;
    a->seq_len = T;
    a->batch = B;
    a->input_size = I;
    a->hidden_size = H;
    a->reverse = dir;
    a->lengths = lengths;
    a->x = cf_ref(x);
    a->ldx = 8;
    a->w_ih = cf_ref(cf_in(r, dir ? "w_ih_reverse" : "w_ih", G * H * I, -wk, wk));
    a->w_hh = cf_ref(cf_in(r, dir ? "w_hh_reverse" : "w_hh", G * H * R, -wk, wk));
    a->b_ih = cf_ref(cf_in(r, dir ? "b_ih_reverse" : "b_ih", G * H, -wk, wk));
    a->y = cf_ref(y);
    a->y.off += dir * R;
    a->ldy = 2 * R;
    a->h_n = cf_ref(cf_out(r, dir ? "h_n_reverse" : "h_n", B * R));
}

/* Both directions of a bidirectional layer into one y [T, B, 2H]: the
 * forward direction writes columns [0, H), the reverse one [H, 2H) (ldy =
 * 2H, offset H); neither may touch the other's half. */
static void rnn_bidirectional_check(cf_run *r, seqnn_cell cell)
{
    const int64_t T = 7, B = 3, I = 5, H = 6, G = seqnn_cell_gates(cell);
    const double wk = 1 / sqrt((double)H);
    static const int32_t lengths[3] = {4, 7, 0};
    seqnn_rnn_args d[2];
    cf_tensor *x, *y;
    int dir;
    cf_begin(r, "bidirectional halves %s T=7 B=3 I=5 H=6 lengths=4,7,0 ldx=8 ldy=12", rnn_cell_names[cell]);
    x = cf_in(r, "x", T * B * 8, -1, 1);
    y = cf_inout(r, "y", T * B * 2 * H, -1, 1);
    for (dir = 0; dir < 2; dir++) {
        rnn_bidir_direction(r, &d[dir], cell, dir, G, H, x, y, lengths);
        d[dir].b_hh = cf_ref(cf_in(r, dir ? "b_hh_reverse" : "b_hh", G * H, -wk, wk));
    }
    cf_call(r, SEQNN_KERNEL_rnn_forward, &d[0]);
    cf_call(r, SEQNN_KERNEL_rnn_forward, &d[1]);
    cf_compare(r, (double)T * (double)(I + H + 2));
    cf_end(r);
}

/* Case c as the n-th LSTM variant: the four combinations of peepholes and
 * coupled gates, each without and with a projection (P = H/2; none when
 * H = 1, as P < H). */
static void lstmv_set(rnn_case *c, int n)
{
    c->lstmv = 1;
    c->cell = SEQNN_CELL_LSTM;
    c->variant = (uint32_t)(n % 4);
    c->P = n / 4 % 2 == 1 ? c->H / 2 : 0;
}

/* The case for size x of a declared boundary of dimension dim (0 when the
 * dimension is not one of the recurrent kernels' or x is too large to be
 * quick): T=3, B=2, I=9, H=20 otherwise; rows (T*B) as B (a divisor of x up to
 * RNN_MAX_BATCH) times T. */
static int rnn_boundary_case(rnn_case *c, int dim, int64_t x, int cell_kernels)
{
    c->T = cell_kernels ? 1 : 3;
    c->B = 2;
    c->I = 9;
    c->H = 20;
    switch (dim) {
    case SEQNN_DIM_HIDDEN: c->H = x; return x <= 600;
    case SEQNN_DIM_INPUT:  c->I = x; return x <= 1100;
    case SEQNN_DIM_BATCH:  c->B = x; return x <= RNN_MAX_BATCH;
    case SEQNN_DIM_ROWS:
        if (cell_kernels || x > 1100)
            return 0;
        for (c->B = RNN_MAX_BATCH; x % c->B != 0; c->B--)
            ;
        c->T = x / c->B;
        return 1;
    default:
        return 0;
    }
}

/* Both sides (v, v + 1) of every boundary the plugin declares for kernels
 * kid[0..n), cells in turn, both directions and lengths in turn, every input
 * and gradient present: plugin against the oracle, forward or forward then
 * backward. */
static void rnn_boundary_checks(cf_run *r, seqnn_kernel_id fwd, seqnn_kernel_id bwd, int backward,
                                const seqnn_kernel_id *kid, int n_kid)
{
    int64_t nb = 0, i;
    int n = 0, side, j;
    const seqnn_boundary *b;
    cf_begin(r, "structure query");
    b = cf_structure(r, &nb, NULL);
    cf_end(r);
    for (i = 0; b && i < nb; i++) {
        int mine = 0;
        for (j = 0; j < n_kid; j++)
            mine |= b[i].kernel == (int32_t)kid[j];
        for (side = 0; mine && side < 2; side++) {
            rnn_case c = {0};
            if (!rnn_boundary_case(&c, b[i].dim, b[i].value + side, fwd == SEQNN_KERNEL_cell_forward))
                continue;
            c.cell = (seqnn_cell)(n % (int)SEQNN_CELL_COUNT);
            c.reverse = n / 2 % 2;
            c.varlen = fwd != SEQNN_KERNEL_cell_forward && n % 2 == 0;
            if (fwd == SEQNN_KERNEL_lstm_variant_forward)
                lstmv_set(&c, n);
            c.bias = c.state0 = c.y = c.state_n = c.reserve = 1;
            c.dy = c.dstate_n = 1;
            c.grads = RNN_G_ALL;
            c.overwrite = n % 3 == 1;
            c.pad_x = n % 2;
            n++;
            rnn_check_case(r, &c, fwd, bwd, backward);
        }
    }
}

static const seqnn_kernel_id rnn_seq_kernels[2] = {SEQNN_KERNEL_rnn_forward, SEQNN_KERNEL_rnn_backward};
static const seqnn_kernel_id rnn_step_kernels[2] = {SEQNN_KERNEL_cell_forward, SEQNN_KERNEL_cell_backward};

void cf_test_rnn_forward(cf_run *r)
{
    int cell;
    rnn_rejects(r, SEQNN_KERNEL_rnn_forward, SEQNN_KERNEL_rnn_backward, 0);
    rnn_sweep(r, SEQNN_KERNEL_rnn_forward, SEQNN_KERNEL_rnn_backward, 0);
    for (cell = 0; cell < (int)SEQNN_CELL_COUNT; cell++)
        rnn_bidirectional_check(r, (seqnn_cell)cell);
    rnn_boundary_checks(r, SEQNN_KERNEL_rnn_forward, SEQNN_KERNEL_rnn_backward, 0, rnn_seq_kernels, 2);
}

/* Finite differences over shapes {T, B, I, H, pad_x, pad_y} x directions x
 * lengths NULL and variable (the single step of shapes[0] once per
 * direction), accumulate and overwrite alternating (*n counts): the cell and
 * options of *tmpl; an LSTM variant with tmpl->P != 0 projects to P = H/2. */
static void rnn_gradcheck_sweep(cf_run *r, const rnn_case *tmpl, const int64_t (*shapes)[6], int n_shapes,
                                const seqnn_kernel_id *kid, int *n)
{
    int s, rev, varlen;
    for (s = 0; s < n_shapes; s++)
        for (rev = 0; rev <= 1; rev++)
            for (varlen = 0; varlen <= 1; varlen++) {
                rnn_case c = *tmpl;
                if (s == 0 && varlen)
                    continue;
                c.T = shapes[s][0];
                c.B = shapes[s][1];
                c.I = shapes[s][2];
                c.H = shapes[s][3];
                c.pad_x = shapes[s][4];
                c.pad_y = shapes[s][5];
                c.reverse = rev;
                c.varlen = varlen;
                c.P = tmpl->P ? c.H / 2 : 0;
                c.overwrite = (*n)++ % 2;
                rnn_gradcheck_case(r, c, kid[0], kid[1]);
            }
}

void cf_test_rnn_backward(cf_run *r)
{
    /* gradcheck shapes {T, B, I, H, pad_x, pad_y}: a single step, a short
     * batch with an unsorted length 0 and padded rows, a 50-step rollout */
    static const int64_t shapes[][6] = {
        {1, 1, 1, 1, 0, 0}, {5, 3, 4, 5, 2, 3}, {50, 3, 3, 4, 0, 0},
    };
    int cell, n = 0;
    rnn_rejects(r, SEQNN_KERNEL_rnn_forward, SEQNN_KERNEL_rnn_backward, 1);
    rnn_sweep(r, SEQNN_KERNEL_rnn_forward, SEQNN_KERNEL_rnn_backward, 1);
    rnn_boundary_checks(r, SEQNN_KERNEL_rnn_forward, SEQNN_KERNEL_rnn_backward, 1, rnn_seq_kernels, 2);
    for (cell = 0; cell < (int)SEQNN_CELL_COUNT; cell++)
        rnn_accumulate_check(r, (seqnn_cell)cell, SEQNN_KERNEL_rnn_forward, SEQNN_KERNEL_rnn_backward, 7, 3);
    for (cell = 0; cell < (int)SEQNN_CELL_COUNT; cell++) {
        rnn_case c = {0};
        c.cell = (seqnn_cell)cell;
        rnn_gradcheck_sweep(r, &c, shapes, (int)(sizeof shapes / sizeof shapes[0]), rnn_seq_kernels, &n);
    }
}

/* The cell kernels: seq_len 1, lengths NULL, over the cell shapes; reverse
 * is legal (and the same step) and is met once per shape. */
static void rnn_cell_sweep(cf_run *r, int backward)
{
    int s, cell;
    for (cell = 0; cell < (int)SEQNN_CELL_COUNT; cell++)
        for (s = 0; s < RNN_CELL_SHAPES; s++) {
            int v;
            for (v = 0; v < 2; v++) {
                rnn_case c = {0};
                const int n = 2 * s + v + cell;
                c.cell = (seqnn_cell)cell;
                c.T = 1;
                c.B = rnn_cell_shapes[s][0];
                c.I = rnn_cell_shapes[s][1];
                c.H = rnn_cell_shapes[s][2];
                c.pad_x = rnn_cell_shapes[s][3];
                c.pad_y = rnn_cell_shapes[s][4];
                c.reverse = v == 1 && s % 2 == 1;
                if (backward)
                    rnn_cycle_backward_options(&c, n);
                else
                    rnn_cycle_forward_options(&c, n);
                rnn_check_case(r, &c, SEQNN_KERNEL_cell_forward, SEQNN_KERNEL_cell_backward, backward);
            }
        }
}

void cf_test_cell_forward(cf_run *r)
{
    rnn_rejects(r, SEQNN_KERNEL_cell_forward, SEQNN_KERNEL_cell_backward, 0);
    rnn_cell_sweep(r, 0);
    rnn_boundary_checks(r, SEQNN_KERNEL_cell_forward, SEQNN_KERNEL_cell_backward, 0, rnn_step_kernels, 2);
}

void cf_test_cell_backward(cf_run *r)
{
    /* {B, I, H, pad_x, pad_y} */
    static const int64_t shapes[][5] = {{1, 1, 1, 0, 0}, {3, 4, 5, 1, 2}, {2, 9, 7, 0, 0}};
    int cell, s, n = 0;
    rnn_rejects(r, SEQNN_KERNEL_cell_forward, SEQNN_KERNEL_cell_backward, 1);
    rnn_cell_sweep(r, 1);
    rnn_boundary_checks(r, SEQNN_KERNEL_cell_forward, SEQNN_KERNEL_cell_backward, 1, rnn_step_kernels, 2);
    for (cell = 0; cell < (int)SEQNN_CELL_COUNT; cell++)
        rnn_accumulate_check(r, (seqnn_cell)cell, SEQNN_KERNEL_cell_forward, SEQNN_KERNEL_cell_backward, 1, 3);
    for (cell = 0; cell < (int)SEQNN_CELL_COUNT; cell++)
        for (s = 0; s < (int)(sizeof shapes / sizeof shapes[0]); s++) {
            rnn_case c = {0};
            c.cell = (seqnn_cell)cell;
            c.T = 1;
            c.B = shapes[s][0];
            c.I = shapes[s][1];
            c.H = shapes[s][2];
            c.pad_x = shapes[s][3];
            c.pad_y = shapes[s][4];
            c.overwrite = n++ % 2;
            rnn_gradcheck_case(r, c, SEQNN_KERNEL_cell_forward, SEQNN_KERNEL_cell_backward);
        }
}

/* ------------------------------------------------------ LSTM variants --- */

static const seqnn_kernel_id lstmv_kernels[2] = {SEQNN_KERNEL_lstm_variant_forward,
                                                 SEQNN_KERNEL_lstm_variant_backward};

/* Bad arguments of the variant kernels, each one defect away from a valid
 * peephole + projection call (T=4 B=3 I=5 H=6 P=3, lengths), then the valid
 * coupled call and its defects. */
static void lstmv_rejects(cf_run *r, int backward)
{
    const seqnn_kernel_id id = backward ? SEQNN_KERNEL_lstm_variant_backward : SEQNN_KERNEL_lstm_variant_forward;
    rnn_case c = {0};
    rnn_problem p;
    rnn_any_args f, b;
    seqnn_lstm_variant_args bad, ok;
    c.T = 4;
    c.B = 3;
    c.I = 5;
    c.H = 6;
    c.varlen = 1;
    c.bias = c.state0 = c.y = c.state_n = c.reserve = c.dy = c.dstate_n = 1;
    c.grads = RNN_G_ALL;
    c.overwrite = backward;
    lstmv_set(&c, 5);                    /* peephole, P = 3 */
    rnn_begin(r, "argument checks", &c);
    rnn_build(r, &c, &p, backward);
    cf_call(r, SEQNN_KERNEL_lstm_variant_forward, rnn_args(&p, &c, 0, &f));
    ok = *(const seqnn_lstm_variant_args *)rnn_args(&p, &c, p.a.flags, &b);
    if (backward)
        cf_call(r, id, &ok);
    bad = ok; bad.rnn.cell = SEQNN_CELL_GRU;   cf_expect_rejected(r, id, &bad, "a GRU cell");
    bad = ok; bad.rnn.cell = SEQNN_CELL_COUNT; cf_expect_rejected(r, id, &bad, "cell = SEQNN_CELL_COUNT");
    bad = ok; bad.variant = 4;                 cf_expect_rejected(r, id, &bad, "variant bit 4");
    bad = ok; bad.proj_size = c.H;             cf_expect_rejected(r, id, &bad, "proj_size = hidden_size");
    bad = ok; bad.proj_size = -1;              cf_expect_rejected(r, id, &bad, "proj_size = -1");
    bad = ok; bad.flags = 1;                   cf_expect_rejected(r, id, &bad, "outer flags 1");
    bad = ok; bad.rnn.flags = 4;               cf_expect_rejected(r, id, &bad, "unknown rnn flags");
    bad = ok; bad.w_peep.buf = NULL;           cf_expect_rejected(r, id, &bad, "peephole without w_peep");
    bad = ok; bad.variant = 0;                 cf_expect_rejected(r, id, &bad, "w_peep without the peephole bit");
    bad = ok; bad.w_hr.buf = NULL;             cf_expect_rejected(r, id, &bad, "projection without w_hr");
    bad = ok; bad.proj_size = 0;               cf_expect_rejected(r, id, &bad, "w_hr without a projection");
    bad = ok; bad.w_peep.off += 20;            cf_expect_rejected(r, id, &bad, "w_peep past its buffer");
    bad = ok; bad.w_hr.off += 20;              cf_expect_rejected(r, id, &bad, "w_hr past its buffer");
    bad = ok; bad.proj_size = 4;               cf_expect_rejected(r, id, &bad, "proj_size = 4 over ldy 3 and w_hh, w_hr");
    bad = ok; bad.rnn.ldy = c.P - 1;           cf_expect_rejected(r, id, &bad, "ldy < proj_size");
    bad = ok; bad.rnn.hidden_size = c.H + 4;   cf_expect_rejected(r, id, &bad, "weights past their buffers");
    bad = ok; bad.rnn.lengths = NULL; bad.rnn.seq_len = c.T + 3;
    cf_expect_rejected(r, id, &bad, "x past its buffer");
    if (!backward) {
        bad = ok; bad.rnn.h_n = bad.w_hr;      cf_expect_rejected(r, id, &bad, "h_n over w_hr");
        bad = ok; bad.rnn.y = bad.w_peep;      cf_expect_rejected(r, id, &bad, "y over w_peep");
        bad = ok; bad.rnn.reserve.off += 20;   cf_expect_rejected(r, id, &bad, "reserve past its buffer");
    } else {
        bad = ok; bad.rnn.reserve.buf = NULL;  cf_expect_rejected(r, id, &bad, "backward without a reserve");
        bad = ok; bad.dw_hr = bad.w_hr;        cf_expect_rejected(r, id, &bad, "dw_hr = w_hr");
        bad = ok; bad.dw_peep = bad.rnn.dw_ih; cf_expect_rejected(r, id, &bad, "dw_peep over dw_ih");
        bad = ok; bad.dw_peep.off += 20;       cf_expect_rejected(r, id, &bad, "dw_peep past its buffer");
        bad = ok; bad.variant = 0; bad.w_peep.buf = NULL;
        cf_expect_rejected(r, id, &bad, "dw_peep without the peephole bit");
        bad = ok; bad.proj_size = 0; bad.w_hr.buf = NULL; bad.rnn.ldy = c.H;
        cf_expect_rejected(r, id, &bad, "dw_hr without a projection");
    }
    cf_end(r);
}

/* Every variant (lstmv_set) x direction x lengths over the sequence shapes,
 * the options cycling as for the plain cells. */
static void lstmv_sweep(cf_run *r, int backward)
{
    int s, v, rev, varlen, n = 0;
    for (v = 0; v < 8; v++)
        for (s = 0; s < RNN_SEQ_SHAPES; s++)
            for (rev = 0; rev <= 1; rev++)
                for (varlen = 0; varlen <= 1; varlen++) {
                    rnn_case c = {0};
                    c.T = rnn_seq_shapes[s][0];
                    c.B = rnn_seq_shapes[s][1];
                    c.I = rnn_seq_shapes[s][2];
                    c.H = rnn_seq_shapes[s][3];
                    c.pad_x = rnn_seq_shapes[s][4];
                    c.pad_y = rnn_seq_shapes[s][5];
                    c.reverse = rev;
                    c.varlen = varlen;
                    lstmv_set(&c, v);
                    if (backward)
                        rnn_cycle_backward_options(&c, n);
                    else
                        rnn_cycle_forward_options(&c, n);
                    if (c.T >= 100)
                        c.dy = 1;
                    n++;
                    rnn_check_case(r, &c, lstmv_kernels[0], lstmv_kernels[1], backward);
                }
}

/* Both directions of a bidirectional projected peephole layer into one
 * y [T, B, 2P] (ldy = 2P, the reverse half at offset P), then backward
 * through both into one dx, accumulating. */
static void lstmv_bidirectional_check(cf_run *r, uint32_t variant)
{
    const int64_t T = 7, B = 3, I = 5, H = 6, P = 4, G = seqnn_lstm_variant_gates(variant);
    const int64_t NP = seqnn_lstm_variant_peeps(variant);
    const double wk = 1 / sqrt((double)H);
    static const int32_t lengths[3] = {4, 7, 0};
    seqnn_lstm_variant_args d[2];
    cf_tensor *x, *y, *dy, *dx;
    int dir;
    cf_begin(r, "bidirectional halves lstm variant 0x%x P=4 T=7 B=3 I=5 H=6 lengths=4,7,0 ldx=8 ldy=8",
             (unsigned)variant);
    x = cf_in(r, "x", T * B * 8, -1, 1);
    y = cf_inout(r, "y", T * B * 2 * P, -1, 1);
    dy = cf_in(r, "dy", T * B * 2 * P, -1, 1);
    dx = cf_inout(r, "dx", T * B * 8, -1, 1);
    for (dir = 0; dir < 2; dir++) {
        seqnn_lstm_variant_args *v = &d[dir];
        seqnn_rnn_args *a = &v->rnn;
        memset(v, 0, sizeof *v);
        rnn_bidir_direction(r, a, SEQNN_CELL_LSTM, dir, G, P, x, y, lengths);
        a->dy = cf_ref(dy);
        a->dy.off += dir * P;
        a->dx = cf_ref(dx);
        a->reserve = cf_ref(cf_scratch(r, dir ? "reserve_reverse" : "reserve",
                                       seqnn_lstm_variant_reserve_count(variant, T, B, H)));
        v->variant = variant;
        v->proj_size = P;
        if (variant & SEQNN_LSTM_PEEPHOLE)
            v->w_peep = cf_ref(cf_in(r, dir ? "w_peep_reverse" : "w_peep", NP * H, -wk, wk));
        v->w_hr = cf_ref(cf_in(r, dir ? "w_hr_reverse" : "w_hr", P * H, -wk, wk));
        v->dw_hr = cf_ref(cf_inout(r, dir ? "dw_hr_reverse" : "dw_hr", P * H, -1, 1));
    }
    for (dir = 0; dir < 2; dir++)
        cf_call(r, SEQNN_KERNEL_lstm_variant_forward, &d[dir]);
    for (dir = 0; dir < 2; dir++)
        cf_call(r, SEQNN_KERNEL_lstm_variant_backward, &d[dir]);
    cf_compare(r, (double)T * (double)B * (double)(I + P + 2 + G * H + H + P));
    cf_end(r);
}

void cf_test_lstm_variant_forward(cf_run *r)
{
    lstmv_rejects(r, 0);
    lstmv_sweep(r, 0);
    rnn_boundary_checks(r, lstmv_kernels[0], lstmv_kernels[1], 0, lstmv_kernels, 2);
}

void cf_test_lstm_variant_backward(cf_run *r)
{
    /* gradcheck shapes {T, B, I, H, pad_x, pad_y} as rnn_backward's, with
     * H >= 2 so that every variant can project */
    static const int64_t shapes[][6] = {
        {1, 1, 1, 2, 0, 0}, {5, 3, 4, 5, 2, 3}, {50, 3, 3, 4, 0, 0},
    };
    int v, n = 0;
    lstmv_rejects(r, 1);
    lstmv_sweep(r, 1);
    rnn_boundary_checks(r, lstmv_kernels[0], lstmv_kernels[1], 1, lstmv_kernels, 2);
    for (v = 0; v < 4; v++)
        lstmv_bidirectional_check(r, (uint32_t)v);
    for (v = 0; v < 8; v++) {
        rnn_case c = {0};
        c.H = 6;
        lstmv_set(&c, v);
        rnn_accumulate_case(r, &c, lstmv_kernels[0], lstmv_kernels[1], v % 2 ? 1 : 7, 3);
    }
    for (v = 0; v < 8; v++) {
        rnn_case c = {0};
        c.H = 2;
        lstmv_set(&c, v);                /* P = 1 as a flag: H/2 per shape */
        rnn_gradcheck_sweep(r, &c, shapes, (int)(sizeof shapes / sizeof shapes[0]), lstmv_kernels, &n);
    }
}

/* Template kernels, recurrent family: rnn_forward / rnn_backward (one layer,
 * one direction, the whole time-major sequence, full BPTT) and cell_forward /
 * cell_backward (the same with seq_len 1), for RNN tanh/relu, LSTM, GRU
 * (linear-before-reset) and GRU classic. Contract: seqnn/kernels.h
 * (seqnn_rnn_args). Batch rows are processed one at a time, so lengths may
 * be in any order and 0.
 *
 * The reserve (T*B*H*(G+2) floats; its layout is this plugin's own business,
 * only its size is fixed) holds three planes, each indexed by (t, b):
 *   gates [T, B, G*H]  activated gates (RNN: h_t; LSTM: i,f,g,o; GRU: r,z,n)
 *   aux   [T, B, H]    LSTM: c_t; GRU: W_hn h_{t-1} + b_hn; GRU classic: r*h_{t-1}
 *   h     [T, B, H]    h_t
 * The matrix products go through the plugin's GEMM (tpl_sgemm): the forward
 * runs one GEMM over all T*B rows for W_ih x and one per step over the batch
 * for W_hh h (all gates at once); the backward one per step for dh_{t-1} and
 * one each, over all steps, for dx, dW_ih and dW_hh. The gate math runs per
 * batch row in double.
 * VENDOR: a faster tpl_sgemm speeds these up; a device plugin would also
 * fuse the gate math. The reserve is where it keeps whatever its backward
 * wants. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../template.h"

/* scratch of one call: the gate math of one batch row in doubles, and the
 * float32 matrices the GEMMs read and write */
typedef struct tpl_rnn_work {
    double *gi, *gh, *gate;              /* [G*H]: W_ih x + b_ih, W_hh h + b_hh, activated gates */
    double *aux, *h_new, *h, *c;         /* [H] */
    double *dh, *dc, *dh_prev, *dc_prev, *d_rh;   /* [H] (backward) */
    double *cs;                          /* [B, H]: c per batch row (LSTM), or dL/dc (backward) */
    float *in;                           /* [T*B, G*H]: W_ih x (forward), dL/d(W_ih x) (backward) */
    float *hid;                          /* [B, G*H] per step (forward); [T*B, G*H] dL/d(W_hh h) (backward) */
    float *hs;                           /* [B, H]: h per batch row (forward), dL/dh (backward) */
    float *hprev, *rh;                   /* [T*B, H]: each step's h_{t-1}, GRU classic's r*h (backward) */
    float *xs;                           /* [T*B, I]: x of the visited steps, 0 elsewhere (backward) */
    float *step_dg;                      /* [B, G*H]: one step's dL/d(W_hh h) (backward) */
    float *one, *one_out;                /* [H]: GRU classic's r*h of one row, and W_hn (r*h) */
    double *dblock;
    float *fblock;
} tpl_rnn_work;

static int tpl_rnn_work_alloc(tpl_rnn_work *w, const seqnn_rnn_args *a, int backward)
{
    const int64_t H = a->hidden_size, GH = seqnn_cell_gates(a->cell) * H, B = a->batch, I = a->input_size;
    const int64_t TB = a->seq_len * B;
    /* forward: in, hid [B, GH]; backward: in, hid [TB, GH], hprev, rh [TB, H], xs [TB, I], step_dg [B, GH] */
    const int64_t floats = TB * GH + (backward ? TB * GH + 2 * TB * H + TB * I + B * GH : B * GH) + B * H + 2 * H;
    double *p = calloc((size_t)(3 * GH + 9 * H + B * H + 1), sizeof *p);
    float *f = calloc((size_t)floats + 1, sizeof *f);
    w->dblock = p;
    w->fblock = f;
    if (!p || !f) {
        free(p);
        free(f);
        return 0;
    }
    w->gi = p; w->gh = p + GH; w->gate = p + 2 * GH; p += 3 * GH;
    w->aux = p; w->h_new = p + H; w->h = p + 2 * H; w->c = p + 3 * H;
    w->dh = p + 4 * H; w->dc = p + 5 * H; w->dh_prev = p + 6 * H; w->dc_prev = p + 7 * H; w->d_rh = p + 8 * H;
    w->cs = p + 9 * H;
    w->in = f; f += TB * GH;
    w->hid = f; f += backward ? TB * GH : B * GH;
    w->hs = f; f += B * H;
    w->one = f; w->one_out = f + H; f += 2 * H;
    w->hprev = w->rh = w->xs = w->step_dg = NULL;
    if (backward) {
        w->hprev = f; w->rh = f + TB * H; f += 2 * TB * H;
        w->xs = f; f += TB * I;
        w->step_dg = f;
    }
    return 1;
}

static void tpl_rnn_work_free(tpl_rnn_work *w)
{
    free(w->dblock);
    free(w->fblock);
}

/* GRU classic's n rows: out[j] = sum_c W_hn[j, c] v[c] (+ b_hn[j]), through
 * the GEMM with one row (v is the row's r*h, known only after its gates). */
static void tpl_rnn_classic_n(tpl_rnn_work *w, const seqnn_rnn_args *a, const double *v, double *out, int transpose)
{
    const int64_t H = a->hidden_size;
    const float *w_hn = TPL_F(a->w_hh) + 2 * H * H;   /* [H, H] */
    for (int64_t j = 0; j < H; j++)
        w->one[j] = (float)v[j];
    /* forward: [1, H] x W_hn^T; backward: [1, H] x W_hn */
    tpl_sgemm(0, !transpose, 1, H, H, 1, w->one, H, w_hn, H, 0, w->one_out, H);
    const float *b_hn = transpose ? NULL : TPL_FOPT(a->b_hh);
    for (int64_t j = 0; j < H; j++)
        out[j] = (double)w->one_out[j] + (b_hn ? b_hn[2 * H + j] : 0);
}

static int64_t tpl_rnn_len(const seqnn_rnn_args *a, int64_t b)
{
    return a->lengths ? a->lengths[b] : a->seq_len;
}

/* time of the s-th step a sequence of length len visits */
static int64_t tpl_rnn_time(const seqnn_rnn_args *a, int64_t len, int64_t s)
{
    return a->reverse ? len - 1 - s : s;
}


/* dst[i] = src[i], or 0 when src is NULL (an absent optional state) */
static void tpl_rnn_load(double *dst, const float *src, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = src ? src[i] : 0;
}

/* Row (t, b) of a reserve plane: 0 gates [G*H], 1 aux [H], 2 h [H]. */
static float *tpl_rnn_plane(const seqnn_rnn_args *a, int plane, int64_t t, int64_t b)
{
    const int64_t H = a->hidden_size, GH = seqnn_cell_gates(a->cell) * H, TB = a->seq_len * a->batch;
    const int64_t q = t * a->batch + b;
    float *r = TPL_F(a->reserve);
    return plane == 0 ? r + q * GH : plane == 1 ? r + TB * GH + q * H : r + TB * (GH + H) + q * H;
}

/* One step of one batch row: from its rows of the GEMMs, gi_row = W_ih x
 * and gh_row = W_hh h (GRU classic: the r and z rows only), the biases and
 * the previous state w->h, w->c to the activated gates w->gate, w->aux and
 * w->h_new (LSTM: aux is c_t). */
static void tpl_rnn_step(const seqnn_rnn_args *a, tpl_rnn_work *w, const float *gi_row, const float *gh_row)
{
    const int64_t H = a->hidden_size, GH = seqnn_cell_gates(a->cell) * H;
    const int classic = a->cell == SEQNN_CELL_GRU_CLASSIC;
    const float *b_ih = TPL_FOPT(a->b_ih), *b_hh = TPL_FOPT(a->b_hh);   /* [G*H] each */
    const double *gi = w->gi, *gh = w->gh, *h = w->h;
    double *g = w->gate, *aux = w->aux, *h_new = w->h_new;
    for (int64_t k = 0; k < GH; k++) {
        w->gi[k] = (double)gi_row[k] + (b_ih ? b_ih[k] : 0);
        w->gh[k] = classic && k >= 2 * H ? 0 : (double)gh_row[k] + (b_hh ? b_hh[k] : 0);
    }
    switch (a->cell) {
    case SEQNN_CELL_RNN_TANH:
    case SEQNN_CELL_RNN_RELU:
        for (int64_t j = 0; j < H; j++) {
            double p = gi[j] + gh[j];
            g[j] = h_new[j] = a->cell == SEQNN_CELL_RNN_TANH ? tanh(p) : p > 0 ? p : 0;
            aux[j] = 0;
        }
        break;
    case SEQNN_CELL_LSTM:
        for (int64_t j = 0; j < H; j++) {
            double i = tpl_sigmoid(gi[j] + gh[j]), f = tpl_sigmoid(gi[H + j] + gh[H + j]);
            double gg = tanh(gi[2 * H + j] + gh[2 * H + j]), o = tpl_sigmoid(gi[3 * H + j] + gh[3 * H + j]);
            g[j] = i, g[H + j] = f, g[2 * H + j] = gg, g[3 * H + j] = o;
            aux[j] = f * w->c[j] + i * gg;
            h_new[j] = o * tanh(aux[j]);
        }
        break;
    case SEQNN_CELL_GRU:
    case SEQNN_CELL_GRU_CLASSIC:
        for (int64_t j = 0; j < H; j++) {
            g[j] = tpl_sigmoid(gi[j] + gh[j]);                  /* r */
            g[H + j] = tpl_sigmoid(gi[H + j] + gh[H + j]);      /* z */
            aux[j] = classic ? g[j] * h[j] : gh[2 * H + j];     /* r*h, or W_hn h + b_hn */
        }
        if (classic)                                            /* W_hn (r*h) + b_hn */
            tpl_rnn_classic_n(w, a, aux, w->gh + 2 * H, 0);
        for (int64_t j = 0; j < H; j++) {
            double n = tanh(gi[2 * H + j] + (classic ? gh[2 * H + j] : g[j] * aux[j]));
            g[2 * H + j] = n;
            h_new[j] = (1 - g[H + j]) * n + g[H + j] * h[j];
        }
        break;
    default:
        break;                           /* the core rejects other cells */
    }
}

/* Backward of one step of one batch row. In: the step's record (w->gate,
 * w->aux, w->h_new), the previous state (w->h, w->c), dL/dh_t and dL/dc_t
 * (w->dh, w->dc). Out: w->gi = dL/d(W_ih x + b_ih), w->gh = dL/d(W_hh h +
 * b_hh) (GRU classic's n rows: of W_hn (r*h) + b_hn), w->dc_prev =
 * dL/dc_{t-1}, and w->dh_prev = the part of dL/dh_{t-1} that does not go
 * through W_hh (the caller adds W_hh^T w->gh for all rows at once). */
static void tpl_rnn_step_backward(const seqnn_rnn_args *a, tpl_rnn_work *w)
{
    const int64_t H = a->hidden_size, GH = seqnn_cell_gates(a->cell) * H;
    const int classic = a->cell == SEQNN_CELL_GRU_CLASSIC;
    const double *g = w->gate, *aux = w->aux, *h = w->h, *dh = w->dh;
    double *dgi = w->gi, *dgh = w->gh;
    for (int64_t j = 0; j < H; j++)
        w->dh_prev[j] = 0;
    switch (a->cell) {
    case SEQNN_CELL_RNN_TANH:
    case SEQNN_CELL_RNN_RELU:
        for (int64_t j = 0; j < H; j++) {
            double hn = w->h_new[j];
            dgi[j] = dgh[j] = dh[j] * (a->cell == SEQNN_CELL_RNN_TANH ? 1 - hn * hn : hn > 0);
        }
        break;
    case SEQNN_CELL_LSTM:
        for (int64_t j = 0; j < H; j++) {
            double i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j], tc = tanh(aux[j]);
            double dct = w->dc[j] + dh[j] * o * (1 - tc * tc);   /* dL/dc_t by both paths */
            dgi[j] = dct * gg * i * (1 - i);
            dgi[H + j] = dct * w->c[j] * f * (1 - f);
            dgi[2 * H + j] = dct * i * (1 - gg * gg);
            dgi[3 * H + j] = dh[j] * tc * o * (1 - o);
            w->dc_prev[j] = dct * f;
        }
        memcpy(dgh, dgi, (size_t)GH * sizeof *dgh);
        break;
    case SEQNN_CELL_GRU:
    case SEQNN_CELL_GRU_CLASSIC:
        for (int64_t j = 0; j < H; j++) {
            double r = g[j], z = g[H + j], n = g[2 * H + j];
            double dn = dh[j] * (1 - z) * (1 - n * n);            /* dL/d(n's pre-activation) */
            dgi[2 * H + j] = dn;
            dgh[2 * H + j] = classic ? dn : dn * r;
            dgi[H + j] = dgh[H + j] = dh[j] * (h[j] - n) * z * (1 - z);
        }
        if (classic)                                              /* d_rh = dL/d(r*h) = W_hn^T dn */
            tpl_rnn_classic_n(w, a, dgh + 2 * H, w->d_rh, 1);
        for (int64_t j = 0; j < H; j++) {
            double r = g[j], dr = classic ? w->d_rh[j] * h[j] : dgi[2 * H + j] * aux[j];
            dgi[j] = dgh[j] = dr * r * (1 - r);
            w->dh_prev[j] = dh[j] * g[H + j] + (classic ? w->d_rh[j] * g[j] : 0);
        }
        break;
    default:
        break;
    }
}

/* n doubles rounded into out */
static void tpl_rnn_round(float *out, const double *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = (float)v[i];
}

/* rnn_forward and cell_forward: y, h_n, c_n and the reserve, each optional */
static seqnn_status tpl_rnn_forward_all(const seqnn_call *call, const seqnn_rnn_args *a)
{
    const int64_t T = a->seq_len, B = a->batch, H = a->hidden_size, GH = seqnn_cell_gates(a->cell) * H;
    const int lstm = a->cell == SEQNN_CELL_LSTM;
    const int64_t hid_rows = a->cell == SEQNN_CELL_GRU_CLASSIC ? 2 * H : GH;
    float *y = TPL_FOPT(a->y);           /* [T, B, H], row stride ldy */
    tpl_rnn_work w;
    if (!tpl_rnn_work_alloc(&w, a, 0))
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "rnn: out of host memory");
    int64_t steps = 0;
    for (int64_t b = 0; b < B; b++) {
        const int64_t len = tpl_rnn_len(a, b);
        steps = len > steps ? len : steps;
        for (int64_t j = 0; j < H; j++) {
            w.hs[b * H + j] = TPL_HAS(a->h0) ? TPL_F(a->h0)[b * H + j] : 0;
            w.cs[b * H + j] = lstm && TPL_HAS(a->c0) ? TPL_F(a->c0)[b * H + j] : 0;
        }
        for (int64_t t = len; y && t < T; t++)   /* steps past a sequence's end */
            tpl_zero(y + (t * B + b) * a->ldy, H, 1);
    }
    /* W_ih x for every step of every row: [T*B, I] x [I, G*H] */
    tpl_sgemm(0, 1, T * B, GH, a->input_size, 1, TPL_F(a->x), a->ldx, TPL_F(a->w_ih), a->input_size, 0, w.in, GH);
    for (int64_t s = 0; s < steps; s++) {
        /* W_hh h for every row at once: [B, H] x [H, G*H] */
        tpl_sgemm(0, 1, B, hid_rows, H, 1, w.hs, H, TPL_F(a->w_hh), H, 0, w.hid, GH);
        for (int64_t b = 0; b < B; b++) {
            const int64_t len = tpl_rnn_len(a, b), t = tpl_rnn_time(a, len, s);
            if (s >= len)
                continue;
            tpl_rnn_load(w.h, w.hs + b * H, H);
            memcpy(w.c, w.cs + b * H, (size_t)H * sizeof *w.c);
            tpl_rnn_step(a, &w, w.in + (t * B + b) * GH, w.hid + b * GH);
            tpl_rnn_round(w.hs + b * H, w.h_new, H);
            if (lstm)
                memcpy(w.cs + b * H, w.aux, (size_t)H * sizeof *w.aux);
            if (y)
                tpl_rnn_round(y + (t * B + b) * a->ldy, w.h_new, H);
            if (TPL_HAS(a->reserve)) {
                tpl_rnn_round(tpl_rnn_plane(a, 0, t, b), w.gate, GH);
                tpl_rnn_round(tpl_rnn_plane(a, 1, t, b), w.aux, H);
                tpl_rnn_round(tpl_rnn_plane(a, 2, t, b), w.h_new, H);
            }
        }
    }
    for (int64_t i = 0; TPL_HAS(a->h_n) && i < B * H; i++)
        TPL_F(a->h_n)[i] = w.hs[i];
    for (int64_t i = 0; lstm && TPL_HAS(a->c_n) && i < B * H; i++)
        TPL_F(a->c_n)[i] = (float)w.cs[i];
    tpl_rnn_work_free(&w);
    return SEQNN_OK;
}

/* Adds (or, with OVERWRITE, writes) n doubles into out, unless it is NULL. */
static void tpl_rnn_put(float *out, const double *v, int64_t n, int accumulate)
{
    for (int64_t i = 0; out && i < n; i++)
        tpl_store(out + i, v[i], accumulate);
}

/* Backward of step s for every batch row that visits one: the gate math per
 * row, then dL/dh_{t-1} (w->hs) gets W_hh^T dL/d(W_hh h) for all rows in one
 * GEMM; each row's gradients and inputs are kept for the weight gradients. */
static void tpl_rnn_backward_step(const seqnn_rnn_args *a, tpl_rnn_work *w, int64_t s)
{
    const int64_t B = a->batch, I = a->input_size, H = a->hidden_size, GH = seqnn_cell_gates(a->cell) * H;
    const int lstm = a->cell == SEQNN_CELL_LSTM, classic = a->cell == SEQNN_CELL_GRU_CLASSIC;
    for (int64_t b = 0; b < B; b++) {
        const int64_t len = tpl_rnn_len(a, b), t = tpl_rnn_time(a, len, s), q = t * B + b;
        float *dg = w->step_dg + b * GH;
        if (s >= len) {                  /* not started yet: dL/dh passes unchanged */
            tpl_zero(dg, GH, 1);
            continue;
        }
        const int64_t prev = s > 0 ? tpl_rnn_time(a, len, s - 1) : -1;
        /* the step's record and the state before it (h0, c0 at the first step) */
        tpl_rnn_load(w->gate, tpl_rnn_plane(a, 0, t, b), GH);
        tpl_rnn_load(w->aux, tpl_rnn_plane(a, 1, t, b), H);
        tpl_rnn_load(w->h_new, tpl_rnn_plane(a, 2, t, b), H);
        tpl_rnn_load(w->h, prev >= 0 ? tpl_rnn_plane(a, 2, prev, b) : TPL_HAS(a->h0) ? TPL_F(a->h0) + b * H : NULL, H);
        tpl_rnn_load(w->c, !lstm ? NULL : prev >= 0 ? tpl_rnn_plane(a, 1, prev, b)
                                          : TPL_HAS(a->c0) ? TPL_F(a->c0) + b * H : NULL, H);
        for (int64_t j = 0; j < H; j++)
            w->dh[j] = (double)w->hs[b * H + j] + (TPL_HAS(a->dy) ? TPL_F(a->dy)[q * a->ldy + j] : 0);
        memcpy(w->dc, w->cs + b * H, (size_t)H * sizeof *w->dc);
        tpl_rnn_step_backward(a, w);
        tpl_rnn_round(w->in + q * GH, w->gi, GH);
        tpl_rnn_round(w->hid + q * GH, w->gh, GH);
        tpl_rnn_round(dg, w->gh, GH);
        tpl_rnn_round(w->hprev + q * H, w->h, H);
        if (classic)                     /* the n rows saw r*h (the aux row) */
            tpl_rnn_round(w->rh + q * H, w->aux, H);
        memcpy(w->xs + q * I, TPL_F(a->x) + q * a->ldx, (size_t)I * sizeof *w->xs);
        tpl_rnn_round(w->hs + b * H, w->dh_prev, H);
        if (lstm)
            memcpy(w->cs + b * H, w->dc_prev, (size_t)H * sizeof *w->cs);
    }
    /* dL/dh_{t-1} += dL/d(W_hh h) W_hh: [B, G*H] x [G*H, H] (GRU classic: r and z rows) */
    tpl_sgemm(0, 0, B, H, classic ? 2 * H : GH, 1, w->step_dg, GH, TPL_F(a->w_hh), H, 1, w->hs, H);
}

/* rnn_backward and cell_backward: BPTT over the steps, last to first, every
 * batch row at once; the gradients of x and the weights in one GEMM each
 * over all steps. */
static seqnn_status tpl_rnn_backward_all(const seqnn_call *call, const seqnn_rnn_args *a)
{
    const int64_t B = a->batch, I = a->input_size, H = a->hidden_size, GH = seqnn_cell_gates(a->cell) * H;
    const int64_t TB = a->seq_len * B;
    const int lstm = a->cell == SEQNN_CELL_LSTM, classic = a->cell == SEQNN_CELL_GRU_CLASSIC;
    const int acc = TPL_ACC(a);
    tpl_rnn_work w;
    if (!tpl_rnn_work_alloc(&w, a, 1))
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "rnn: out of host memory");
    int64_t steps = 0;
    for (int64_t b = 0; b < B; b++) {
        const int64_t len = tpl_rnn_len(a, b);
        steps = len > steps ? len : steps;
        for (int64_t j = 0; j < H; j++) {
            w.hs[b * H + j] = TPL_HAS(a->dh_n) ? TPL_F(a->dh_n)[b * H + j] : 0;
            w.cs[b * H + j] = lstm && TPL_HAS(a->dc_n) ? TPL_F(a->dc_n)[b * H + j] : 0;
        }
    }
    for (int64_t s = steps - 1; s >= 0; s--)
        tpl_rnn_backward_step(a, &w, s);
    /* rows of steps never visited are 0 in w.in, w.hid, w.hprev, w.rh, w.xs */
    const double beta = acc ? 1 : 0;
    if (TPL_HAS(a->dx))                  /* dx [T*B, I] (+)= dL/d(W_ih x) W_ih */
        tpl_sgemm(0, 0, TB, I, GH, 1, w.in, GH, TPL_F(a->w_ih), I, beta, TPL_F(a->dx), a->ldx);
    if (TPL_HAS(a->dw_ih))               /* dW_ih [G*H, I] (+)= dL/d(W_ih x)^T x */
        tpl_sgemm(1, 0, GH, I, TB, 1, w.in, GH, w.xs, I, beta, TPL_F(a->dw_ih), I);
    if (TPL_HAS(a->dw_hh)) {             /* dW_hh [G*H, H] (+)= dL/d(W_hh h)^T h_{t-1} */
        const int64_t rows = classic ? 2 * H : GH;
        tpl_sgemm(1, 0, rows, H, TB, 1, w.hid, GH, w.hprev, H, beta, TPL_F(a->dw_hh), H);
        if (classic)
            tpl_sgemm(1, 0, H, H, TB, 1, w.hid + 2 * H, GH, w.rh, H, beta, TPL_F(a->dw_hh) + 2 * H * H, H);
    }
    for (int64_t k = 0; k < GH; k++) {   /* the biases: column sums */
        double sum_i = 0, sum_h = 0;
        for (int64_t q = 0; q < TB; q++) {
            sum_i += w.in[q * GH + k];
            sum_h += w.hid[q * GH + k];
        }
        tpl_rnn_put(TPL_HAS(a->db_ih) ? TPL_F(a->db_ih) + k : NULL, &sum_i, 1, acc);
        tpl_rnn_put(TPL_HAS(a->db_hh) ? TPL_F(a->db_hh) + k : NULL, &sum_h, 1, acc);
    }
    /* a sequence of length 0 passes dh_n (dc_n) straight to dh0 (dc0) */
    for (int64_t i = 0; TPL_HAS(a->dh0) && i < B * H; i++)
        tpl_store(TPL_F(a->dh0) + i, w.hs[i], acc);
    if (lstm && TPL_HAS(a->dc0))
        tpl_rnn_put(TPL_F(a->dc0), w.cs, B * H, acc);
    tpl_rnn_work_free(&w);
    return SEQNN_OK;
}

seqnn_status tpl_rnn_forward(const seqnn_call *call, const seqnn_rnn_args *a)
{
    return tpl_rnn_forward_all(call, a);
}

seqnn_status tpl_rnn_backward(const seqnn_call *call, const seqnn_rnn_args *a)
{
    return tpl_rnn_backward_all(call, a);
}

/* one step of step-wise decoding: the sequence kernel with seq_len 1 */
seqnn_status tpl_cell_forward(const seqnn_call *call, const seqnn_rnn_args *a)
{
    return tpl_rnn_forward_all(call, a);
}

seqnn_status tpl_cell_backward(const seqnn_call *call, const seqnn_rnn_args *a)
{
    return tpl_rnn_backward_all(call, a);
}

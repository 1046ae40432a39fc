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
 * VENDOR: a device plugin would run one GEMM over all steps for W_ih x, one
 * per step for W_hh h (all gates at once) and fuse the gate math; the reserve
 * is where it keeps whatever its backward wants. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../template.h"

/* scratch of one call: doubles, so that long rollouts stay accurate */
typedef struct tpl_rnn_work {
    double *gi, *gh, *gate;              /* [G*H]: W_ih x + b_ih, W_hh h + b_hh, activated gates */
    double *aux, *h_new, *h, *c;         /* [H] */
    double *x, *dx;                      /* [I]: the step's input, its gradient */
    double *dh, *dc, *dh_prev, *dc_prev, *d_rh;   /* [H] (backward) */
    double *dw_ih, *dw_hh, *db_ih, *db_hh;        /* weight gradients (backward) */
    double *block;
} tpl_rnn_work;

static int tpl_rnn_work_alloc(tpl_rnn_work *w, const seqnn_rnn_args *a, int backward)
{
    const int64_t H = a->hidden_size, GH = seqnn_cell_gates(a->cell) * H;
    const int64_t grads = backward ? GH * (a->input_size + H + 2) : 0;
    double *p = calloc((size_t)(3 * GH + 9 * H + 2 * a->input_size + grads + 1), sizeof *p);
    w->block = p;
    if (!p)
        return 0;
    w->gi = p; w->gh = p + GH; w->gate = p + 2 * GH; p += 3 * GH;
    w->aux = p; w->h_new = p + H; w->h = p + 2 * H; w->c = p + 3 * H;
    w->dh = p + 4 * H; w->dc = p + 5 * H; w->dh_prev = p + 6 * H; w->dc_prev = p + 7 * H; w->d_rh = p + 8 * H;
    p += 9 * H;
    w->x = p; w->dx = p + a->input_size; p += 2 * a->input_size;
    w->dw_ih = p; w->dw_hh = p + GH * a->input_size; w->db_ih = w->dw_hh + GH * H; w->db_hh = w->db_ih + GH;
    return 1;
}

/* y[r] = bias[r] + sum_c W[r, c] v[c] for rows [r0, r1) of W (row length n) */
static void tpl_rnn_gemv(double *y, const float *W, int64_t n, int64_t r0, int64_t r1, const double *v,
                         const float *bias)
{
    for (int64_t r = r0; r < r1; r++) {
        double s = bias ? bias[r] : 0;
        for (int64_t c = 0; c < n; c++)
            s += W[r * n + c] * v[c];
        y[r] = s;
    }
}

/* y[c] (+)= sum_r W[r, c] g[r] over rows [r0, r1) of W (row length n) */
static void tpl_rnn_gemv_t(double *y, const float *W, int64_t n, int64_t r0, int64_t r1, const double *g, int add)
{
    for (int64_t c = 0; c < n; c++) {
        double s = add ? y[c] : 0;
        for (int64_t r = r0; r < r1; r++)
            s += W[r * n + c] * g[r];
        y[c] = s;
    }
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

/* dw[r, c] += g[r] v[c] for rows [r0, r1) (row length n) */
static void tpl_rnn_outer(double *dw, const double *g, int64_t r0, int64_t r1, const double *v, int64_t n)
{
    for (int64_t r = r0; r < r1; r++)
        for (int64_t c = 0; c < n; c++)
            dw[r * n + c] += g[r] * v[c];
}

/* Row (t, b) of a reserve plane: 0 gates [G*H], 1 aux [H], 2 h [H]. */
static float *tpl_rnn_plane(const seqnn_rnn_args *a, int plane, int64_t t, int64_t b)
{
    const int64_t H = a->hidden_size, GH = seqnn_cell_gates(a->cell) * H, TB = a->seq_len * a->batch;
    const int64_t q = t * a->batch + b;
    float *r = TPL_F(a->reserve);
    return plane == 0 ? r + q * GH : plane == 1 ? r + TB * GH + q * H : r + TB * (GH + H) + q * H;
}

/* One step of one batch row: from w->x and the previous state w->h, w->c to
 * the activated gates w->gate, w->aux and w->h_new (LSTM: aux is c_t). */
static void tpl_rnn_step(const seqnn_rnn_args *a, tpl_rnn_work *w)
{
    const int64_t H = a->hidden_size, GH = seqnn_cell_gates(a->cell) * H;
    const int classic = a->cell == SEQNN_CELL_GRU_CLASSIC;
    const float *w_hh = TPL_F(a->w_hh), *b_hh = TPL_FOPT(a->b_hh);   /* [G*H, H], [G*H] */
    const double *gi = w->gi, *gh = w->gh, *h = w->h;
    double *g = w->gate, *aux = w->aux, *h_new = w->h_new;
    tpl_rnn_gemv(w->gi, TPL_F(a->w_ih), a->input_size, 0, GH, w->x, TPL_FOPT(a->b_ih));
    tpl_rnn_gemv(w->gh, w_hh, H, 0, classic ? 2 * H : GH, h, b_hh);   /* classic's n rows below */
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
            tpl_rnn_gemv(w->gh, w_hh, H, 2 * H, 3 * H, aux, b_hh);
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
 * b_hh) (GRU classic's n rows: of W_hn (r*h) + b_hn), w->dh_prev and
 * w->dc_prev = dL/dh_{t-1}, dL/dc_{t-1}. */
static void tpl_rnn_step_backward(const seqnn_rnn_args *a, tpl_rnn_work *w)
{
    const int64_t H = a->hidden_size, GH = seqnn_cell_gates(a->cell) * H;
    const int classic = a->cell == SEQNN_CELL_GRU_CLASSIC;
    const float *w_hh = TPL_F(a->w_hh);
    const double *g = w->gate, *aux = w->aux, *h = w->h, *dh = w->dh;
    double *dgi = w->gi, *dgh = w->gh;
    switch (a->cell) {
    case SEQNN_CELL_RNN_TANH:
    case SEQNN_CELL_RNN_RELU:
        for (int64_t j = 0; j < H; j++) {
            double hn = w->h_new[j];
            dgi[j] = dgh[j] = dh[j] * (a->cell == SEQNN_CELL_RNN_TANH ? 1 - hn * hn : hn > 0);
        }
        tpl_rnn_gemv_t(w->dh_prev, w_hh, H, 0, H, dgh, 0);
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
        tpl_rnn_gemv_t(w->dh_prev, w_hh, H, 0, GH, dgh, 0);
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
            tpl_rnn_gemv_t(w->d_rh, w_hh + 2 * H * H, H, 0, H, dgh + 2 * H, 0);
        for (int64_t j = 0; j < H; j++) {
            double r = g[j], dr = classic ? w->d_rh[j] * h[j] : dgi[2 * H + j] * aux[j];
            dgi[j] = dgh[j] = dr * r * (1 - r);
        }
        tpl_rnn_gemv_t(w->dh_prev, w_hh, H, 0, classic ? 2 * H : GH, dgh, 0);
        for (int64_t j = 0; j < H; j++)
            w->dh_prev[j] += dh[j] * g[H + j] + (classic ? w->d_rh[j] * g[j] : 0);
        break;
    default:
        break;
    }
}

/* rnn_forward and cell_forward: y, h_n, c_n and the reserve, each optional */
static seqnn_status tpl_rnn_forward_all(const seqnn_call *call, const seqnn_rnn_args *a)
{
    const int64_t T = a->seq_len, B = a->batch, H = a->hidden_size, GH = seqnn_cell_gates(a->cell) * H;
    const int lstm = a->cell == SEQNN_CELL_LSTM;
    float *y = TPL_FOPT(a->y);           /* [T, B, H], row stride ldy */
    tpl_rnn_work w;
    if (!tpl_rnn_work_alloc(&w, a, 0))
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "rnn: out of host memory");
    for (int64_t b = 0; b < B; b++) {
        const int64_t len = tpl_rnn_len(a, b);
        tpl_rnn_load(w.h, TPL_HAS(a->h0) ? TPL_F(a->h0) + b * H : NULL, H);
        tpl_rnn_load(w.c, lstm && TPL_HAS(a->c0) ? TPL_F(a->c0) + b * H : NULL, H);
        for (int64_t s = 0; s < len; s++) {
            const int64_t t = tpl_rnn_time(a, len, s);
            tpl_rnn_load(w.x, TPL_F(a->x) + (t * B + b) * a->ldx, a->input_size);   /* x[t, b, :] */
            tpl_rnn_step(a, &w);
            for (int64_t j = 0; j < H; j++) {
                w.h[j] = w.h_new[j];
                if (lstm)
                    w.c[j] = w.aux[j];
                if (y)
                    y[(t * B + b) * a->ldy + j] = (float)w.h_new[j];
                if (TPL_HAS(a->reserve)) {
                    tpl_rnn_plane(a, 1, t, b)[j] = (float)w.aux[j];
                    tpl_rnn_plane(a, 2, t, b)[j] = (float)w.h_new[j];
                }
            }
            for (int64_t k = 0; TPL_HAS(a->reserve) && k < GH; k++)
                tpl_rnn_plane(a, 0, t, b)[k] = (float)w.gate[k];
        }
        for (int64_t t = len; y && t < T; t++)   /* steps past a sequence's end */
            tpl_zero(y + (t * B + b) * a->ldy, H, 1);
        for (int64_t j = 0; j < H; j++) {
            if (TPL_HAS(a->h_n))
                TPL_F(a->h_n)[b * H + j] = (float)w.h[j];
            if (lstm && TPL_HAS(a->c_n))
                TPL_F(a->c_n)[b * H + j] = (float)w.c[j];
        }
    }
    free(w.block);
    return SEQNN_OK;
}

/* Adds (or, with OVERWRITE, writes) n doubles into out, unless it is NULL. */
static void tpl_rnn_put(float *out, const double *v, int64_t n, int accumulate)
{
    for (int64_t i = 0; out && i < n; i++)
        tpl_store(out + i, v[i], accumulate);
}

/* rnn_backward and cell_backward: BPTT, one batch row at a time, from the
 * last step it visited back to its first; weight gradients are summed in
 * double over all steps and stored once. */
static seqnn_status tpl_rnn_backward_all(const seqnn_call *call, const seqnn_rnn_args *a)
{
    const int64_t B = a->batch, I = a->input_size, H = a->hidden_size, GH = seqnn_cell_gates(a->cell) * H;
    const int lstm = a->cell == SEQNN_CELL_LSTM, classic = a->cell == SEQNN_CELL_GRU_CLASSIC;
    const int acc = TPL_ACC(a);
    float *dx = TPL_FOPT(a->dx);         /* [T, B, I], row stride ldx */
    tpl_rnn_work w;
    if (!tpl_rnn_work_alloc(&w, a, 1))
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "rnn: out of host memory");
    for (int64_t q = 0; dx && !acc && q < a->seq_len * B; q++)   /* OVERWRITE: unvisited steps get 0 */
        tpl_zero(dx + q * a->ldx, I, 1);
    for (int64_t b = 0; b < B; b++) {
        const int64_t len = tpl_rnn_len(a, b);
        tpl_rnn_load(w.dh, TPL_HAS(a->dh_n) ? TPL_F(a->dh_n) + b * H : NULL, H);
        tpl_rnn_load(w.dc, lstm && TPL_HAS(a->dc_n) ? TPL_F(a->dc_n) + b * H : NULL, H);
        for (int64_t s = len - 1; s >= 0; s--) {
            const int64_t t = tpl_rnn_time(a, len, s), prev = s > 0 ? tpl_rnn_time(a, len, s - 1) : -1;
            /* the step's record and the state before it (h0, c0 at the first step) */
            tpl_rnn_load(w.gate, tpl_rnn_plane(a, 0, t, b), GH);
            tpl_rnn_load(w.aux, tpl_rnn_plane(a, 1, t, b), H);
            tpl_rnn_load(w.h_new, tpl_rnn_plane(a, 2, t, b), H);
            tpl_rnn_load(w.h, prev >= 0 ? tpl_rnn_plane(a, 2, prev, b) : TPL_HAS(a->h0) ? TPL_F(a->h0) + b * H : NULL, H);
            tpl_rnn_load(w.c, !lstm ? NULL : prev >= 0 ? tpl_rnn_plane(a, 1, prev, b)
                                              : TPL_HAS(a->c0) ? TPL_F(a->c0) + b * H : NULL, H);
            tpl_rnn_load(w.x, TPL_F(a->x) + (t * B + b) * a->ldx, I);
            for (int64_t j = 0; TPL_HAS(a->dy) && j < H; j++)
                w.dh[j] += TPL_F(a->dy)[(t * B + b) * a->ldy + j];
            tpl_rnn_step_backward(a, &w);
            if (dx) {                    /* dx[t, b] += W_ih^T dgi */
                tpl_rnn_gemv_t(w.dx, TPL_F(a->w_ih), I, 0, GH, w.gi, 0);
                for (int64_t k = 0; k < I; k++)
                    dx[(t * B + b) * a->ldx + k] += (float)w.dx[k];
            }
            tpl_rnn_outer(w.dw_ih, w.gi, 0, GH, w.x, I);
            tpl_rnn_outer(w.dw_hh, w.gh, 0, classic ? 2 * H : GH, w.h, H);
            if (classic)                 /* the n rows saw r*h (the aux row) */
                tpl_rnn_outer(w.dw_hh, w.gh, 2 * H, GH, w.aux, H);
            for (int64_t r = 0; r < GH; r++) {
                w.db_ih[r] += w.gi[r];
                w.db_hh[r] += w.gh[r];
            }
            memcpy(w.dh, w.dh_prev, (size_t)H * sizeof *w.dh);
            if (lstm)
                memcpy(w.dc, w.dc_prev, (size_t)H * sizeof *w.dc);
        }
        /* a sequence of length 0 passes dh_n (dc_n) straight to dh0 (dc0) */
        tpl_rnn_put(TPL_HAS(a->dh0) ? TPL_F(a->dh0) + b * H : NULL, w.dh, H, acc);
        if (lstm)
            tpl_rnn_put(TPL_HAS(a->dc0) ? TPL_F(a->dc0) + b * H : NULL, w.dc, H, acc);
    }
    tpl_rnn_put(TPL_FOPT(a->dw_ih), w.dw_ih, GH * I, acc);
    tpl_rnn_put(TPL_FOPT(a->dw_hh), w.dw_hh, GH * H, acc);
    tpl_rnn_put(TPL_FOPT(a->db_ih), w.db_ih, GH, acc);
    tpl_rnn_put(TPL_FOPT(a->db_hh), w.db_hh, GH, acc);
    free(w.block);
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

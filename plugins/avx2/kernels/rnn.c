/* Recurrent kernels of the SIMD plugins: rnn_forward/backward and
 * cell_forward/backward for RNN tanh/relu, LSTM, GRU (linear-before-reset)
 * and GRU classic, batched over the whole batch the way the fast libraries
 * do it:
 *  - the input GEMM X * W_ih^T is hoisted over all T*B rows (one GEMM);
 *  - each step runs tasks over chunks of hidden units; a task computes the
 *    recurrent GEMM tiles of its units for every gate (W_hh packed once per
 *    call, per gate, so a chunk of units covers all its gates) and then the
 *    fused, vectorised cell math on those tiles while they are in cache;
 *  - backward runs BPTT with one GEMM per step for dL/dh_{t-1}, whose tiles
 *    run in the same tasks (chunks of units) as the next step's cell
 *    gradients: one parallel dispatch per step; it keeps
 *    dL/d(pre-activations) of every step, and forms dx, dW_ih, dW_hh with one
 *    GEMM each over all steps; the bias gradients are summed during BPTT
 *    (per unit chunk, in step order) instead of another pass over dG.
 * Variable lengths: rows whose sequence is over (t >= len[b]) carry their
 * state unchanged (no copies of x or y), in either direction.
 *
 * Reserve layout (T*B*H*(G+2) floats, private to this plugin):
 *   GATES [T, B, G*H]  gate activations (RNN: h_t; LSTM i,f,g,o; GRU r,z,n)
 *   HPREV [T, B, H]    the state h before the step at time t (h0 for the
 *                      first step; carried unchanged for rows not active)
 *   AUX   [T, B, H]    LSTM: c_t (carried for inactive rows);
 *                      GRU: W_hn h + b_hn; GRU classic: r * h_{t-1};
 *                      0 for inactive rows; RNN: unused
 * Without a reserve (inference) the same regions live in device scratch, and
 * the cell math stores only what later steps read (HPREV, LSTM's c_t, the
 * classic GRU's r, z and r * h): not the activations backward would need. */
#include <string.h>
#include "cell_math.h"
#include "common.h"
#include "simd_gemm.h"
#include "simd_kernels.h"
#include "threads.h"

typedef struct rnn_plan {
    const seqnn_rnn_args *a;
    int64_t T, B, I, H, G, GH;
    int lstm, gru, classic, relu;
    int keep;                            /* a reserve: keep what backward reads (else inference) */
    int64_t unit;                        /* hidden units per task (multiple of the GEMM's NR) */
    int64_t ntasks;
    const int32_t *len;                  /* lengths or NULL */
    float *gates, *hprev, *aux;          /* reserve regions */
    const float *h0, *c0;                /* [B, H] (zeros when absent) */
    float *hfin;                         /* [B, H] state after the last step */
    float *bsum;                         /* [G*H] b_ih + b_hh (GRU n rows: b_in only) */
    const float *b_hn;                   /* GRU: [H] b_hn, or NULL */
    float *wpack;                        /* packed recurrent weights */
    size_t wpack_stride;                 /* floats per packed block */
    float *apack, *apack2;               /* the step's packed A operands (states, gate gradients) */
    /* the current step: time t, the times of the previous and next step in
     * the direction's order, first / last step flags */
    int64_t t, t_prev, t_next;
    int first, last;
    /* forward outputs */
    float *y; int64_t ldy;
    /* backward */
    float *dg;                           /* [T, B, G*H] dL/d(pre-activations), input side */
    float *dghn;                         /* GRU: [T, B, H] dL/d(W_hn h + b_hn) */
    float *dh_cur, *dh_next, *dc, *work; /* [B, H] each */
    float *dbias;                        /* [G*H] sum of dg over all steps, then [H] of dghn (GRU) */
    const float *dy; int64_t ldy_d;
    int pending;                         /* apack holds dG of the step after, not yet in dh_cur */
} rnn_plan;

static inline int rnn_active(const rnn_plan *p, int64_t b, int64_t t)
{
    return !p->len || t < (int64_t)p->len[b];
}

/* time of the s-th step of the whole batch (rows whose sequences are over
 * just carry their state) */
static inline int64_t rnn_time_of(const rnn_plan *p, int64_t s)
{
    return p->a->reverse ? p->T - 1 - s : s;
}

static void rnn_set_step(rnn_plan *p, int64_t s)
{
    p->t = rnn_time_of(p, s);
    p->first = s == 0;
    p->last = s == p->T - 1;
    p->t_prev = p->first ? -1 : rnn_time_of(p, s - 1);
    p->t_next = p->last ? -1 : rnn_time_of(p, s + 1);
}

static void rnn_plan_init(rnn_plan *p, const seqnn_rnn_args *a)
{
    memset(p, 0, sizeof *p);
    p->a = a;
    simd_rnn_shape(a, &p->T, &p->B, &p->I, &p->H);
    p->G = seqnn_cell_gates(a->cell);
    p->GH = p->G * p->H;
    p->lstm = a->cell == SEQNN_CELL_LSTM;
    p->gru = a->cell == SEQNN_CELL_GRU;
    p->classic = a->cell == SEQNN_CELL_GRU_CLASSIC;
    p->relu = a->cell == SEQNN_CELL_RNN_RELU;
    p->len = a->lengths;
    /* about 16 tasks per step, whole GEMM panels each, at least two */
    int64_t nr = simd_gemm_nr(), panels = simd_ceil_div(p->H, nr * SIMD_RNN_STEP_TASKS);
    p->unit = nr * (panels > SIMD_RNN_UNIT_PANELS ? panels : SIMD_RNN_UNIT_PANELS);
    p->ntasks = simd_ceil_div(p->H, p->unit);
}

/* the reserve regions inside a block of T*B*H*(G+2) floats */
static void rnn_plan_regions(rnn_plan *p, float *base)
{
    p->gates = base;
    p->hprev = base + p->T * p->B * p->GH;
    p->aux = p->hprev + p->T * p->B * p->H;
}

/* bsum = b_ih + b_hh (each optional); for GRU the n rows get b_in only and
 * b_hn is kept apart (it sits inside r * (W_hn h + b_hn)). */
static void rnn_bias_sum(rnn_plan *p, const seqnn_rnn_args *a)
{
    const float *bi = SHAS(a->b_ih) ? SP(a->b_ih) : NULL, *bh = SHAS(a->b_hh) ? SP(a->b_hh) : NULL;
    int64_t split = p->gru ? 2 * p->H : p->GH;
    for (int64_t j = 0; j < p->GH; j++) {
        float v = bi ? bi[j] : 0.0f;
        if (bh && j < split)
            v += bh[j];
        p->bsum[j] = v;
    }
    p->b_hn = p->gru && bh ? bh + 2 * p->H : NULL;
}

/* ------------------------------------------------------------ forward --- */

/* GEMM tiles of gate g for units [j0, j0+nu) of all rows:
 * C(:, g*H + j) (+)= A * W_g^T, A = the step's packed state (p->apack), W_g
 * packed at block g. */
static void rnn_fwd_tile(const rnn_plan *p, int64_t g, float *c, int64_t ldc, float beta, int64_t j0, int64_t nu)
{
    simd_gemm_tile(p->B, p->H, 1.0f, p->apack, p->wpack + (size_t)g * p->wpack_stride, p->H, j0, nu, beta, c, ldc);
}

/* Fused cell math of one row b over units [j0, j1) after the GEMM tiles. */
static void rnn_fwd_cell_row(const rnn_plan *p, int64_t b, int64_t j0, int64_t j1, int phase)
{
    const int64_t H = p->H, B = p->B, t = p->t;
    float *gr = p->gates + (t * B + b) * p->GH;
    const float *hp = p->hprev + (t * B + b) * H;
    float *ax = p->aux + (t * B + b) * H;
    float *hn = p->last ? p->hfin + b * H : p->hprev + (p->t_next * B + b) * H;
    float *yr = p->y ? p->y + (t * B + b) * p->ldy : NULL;
    const float *bs = p->bsum;
    const int active = rnn_active(p, b, t);

    for (int64_t j = j0; j < j1; j += VW) {
        int64_t n = simd_min64(VW, j1 - j);
        if (!active) {
            /* the sequence is over: carry the state, y = 0 */
            if (phase == 0) {
                if (p->lstm) {
                    const float *cp = p->first ? p->c0 + b * H : p->aux + (p->t_prev * B + b) * H;
                    vst(ax + j, vld(cp + j, n), n);
                } else if (p->gru || p->classic) {
                    vst(ax + j, vf_zero(), n);
                }
            }
            if (phase == 0 && p->classic)
                continue;                /* phase 1 finishes the row */
            vst(hn + j, vld(hp + j, n), n);
            if (yr)
                vst(yr + j, vf_zero(), n);
            continue;
        }
        vf h;
        if (p->lstm) {
            const float *cp = p->first ? p->c0 + b * H : p->aux + (p->t_prev * B + b) * H;
            vf i = cell_sigmoid(vf_add(vld(gr + j, n), vld(bs + j, n)));
            vf f = cell_sigmoid(vf_add(vld(gr + H + j, n), vld(bs + H + j, n)));
            vf g = cell_tanh(vf_add(vld(gr + 2 * H + j, n), vld(bs + 2 * H + j, n)));
            vf o = cell_sigmoid(vf_add(vld(gr + 3 * H + j, n), vld(bs + 3 * H + j, n)));
            vf c = vf_fmadd(f, vld(cp + j, n), vf_mul(i, g));
            h = vf_mul(o, cell_tanh(c));
            if (p->keep) {
                vst(gr + j, i, n);
                vst(gr + H + j, f, n);
                vst(gr + 2 * H + j, g, n);
                vst(gr + 3 * H + j, o, n);
            }
            vst(ax + j, c, n);
        } else if (p->gru) {
            vf r = cell_sigmoid(vf_add(vld(gr + j, n), vld(bs + j, n)));
            vf z = cell_sigmoid(vf_add(vld(gr + H + j, n), vld(bs + H + j, n)));
            vf hh = vld(ax + j, n);      /* W_hn h from the tile */
            if (p->b_hn)
                hh = vf_add(hh, vld(p->b_hn + j, n));
            vf nn = cell_tanh(vf_fmadd(r, hh, vf_add(vld(gr + 2 * H + j, n), vld(bs + 2 * H + j, n))));
            vf hpv = vld(hp + j, n);
            h = vf_fmadd(z, vf_sub(hpv, nn), nn);        /* (1-z)*n + z*h */
            if (p->keep) {
                vst(gr + j, r, n);
                vst(gr + H + j, z, n);
                vst(gr + 2 * H + j, nn, n);
                vst(ax + j, hh, n);
            }
        } else if (p->classic) {
            if (phase == 0) {
                vf r = cell_sigmoid(vf_add(vld(gr + j, n), vld(bs + j, n)));
                vf z = cell_sigmoid(vf_add(vld(gr + H + j, n), vld(bs + H + j, n)));
                vst(gr + j, r, n);
                vst(gr + H + j, z, n);
                vst(ax + j, vf_mul(r, vld(hp + j, n)), n);
                continue;
            }
            vf z = vld(gr + H + j, n);
            vf nn = cell_tanh(vf_add(vld(gr + 2 * H + j, n), vld(bs + 2 * H + j, n)));
            h = vf_fmadd(z, vf_sub(vld(hp + j, n), nn), nn);
            vst(gr + 2 * H + j, nn, n);
        } else {
            vf pre = vf_add(vld(gr + j, n), vld(bs + j, n));
            h = p->relu ? vf_max(pre, vf_zero()) : cell_tanh(pre);
            if (p->keep)
                vst(gr + j, h, n);
        }
        vst(hn + j, h, n);
        if (yr)
            vst(yr + j, h, n);
    }
}

/* One task of a forward step: the units [u*unit, ...) of every row. */
static void rnn_fwd_task(void *ctx, int64_t u, int tid, int phase)
{
    const rnn_plan *p = ctx;
    const int64_t H = p->H, B = p->B, t = p->t;
    const int64_t j0 = u * p->unit, nu = simd_min64(p->unit, H - j0);
    float *gt = p->gates + t * B * p->GH;
    (void)tid;
    if (p->classic && phase == 1) {
        /* n rows: W_hn (r * h), A = the aux rows written in phase 0 */
        rnn_fwd_tile(p, 2, gt + 2 * H, p->GH, 1.0f, j0, nu);
    } else {
        for (int64_t g = 0; g < p->G; g++) {
            if (p->classic && g == 2)
                break;                   /* phase 1 */
            if (p->gru && g == 2)        /* W_hn h kept apart, in aux */
                rnn_fwd_tile(p, g, p->aux + t * B * H, H, 0.0f, j0, nu);
            else
                rnn_fwd_tile(p, g, gt + g * H, p->GH, 1.0f, j0, nu);
        }
    }
    for (int64_t b = 0; b < B; b++)
        rnn_fwd_cell_row(p, b, j0, j0 + nu, phase);
}

static void rnn_fwd_task0(void *ctx, int64_t u, int tid) { rnn_fwd_task(ctx, u, tid, 0); }
static void rnn_fwd_task1(void *ctx, int64_t u, int tid) { rnn_fwd_task(ctx, u, tid, 1); }

static seqnn_status rnn_forward_run(const seqnn_call *call, const seqnn_rnn_args *a)
{
    simd_device *dev = simd_dev(call);
    rnn_plan p;
    rnn_plan_init(&p, a);
    const int64_t T = p.T, B = p.B, H = p.H, GH = p.GH, BH = B * H;
    if (B == 0)
        return SEQNN_OK;

    /* small buffers: hfin, zeros (h0/c0 absent), bsum */
    float *small = simd_scratch(dev, SIMD_SCRATCH_K2, (size_t)(2 * BH + GH));
    p.wpack_stride = simd_gemm_packed_b_count(H, H);
    p.wpack = simd_scratch(dev, SIMD_SCRATCH_K3, p.wpack_stride * (size_t)p.G);
    p.apack = simd_scratch(dev, SIMD_SCRATCH_K4, simd_gemm_packed_a_count(B, H));
    p.keep = SHAS(a->reserve);
    float *regions = SHAS(a->reserve) ? SP(a->reserve)
                                      : simd_scratch(dev, SIMD_SCRATCH_K0, (size_t)(T * BH * (p.G + 2)));
    if (!small || !p.wpack || !p.apack || !regions)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "rnn_forward: out of memory for workspaces");
    p.hfin = small;
    float *zeros = small + BH;
    p.bsum = zeros + BH;
    memset(zeros, 0, (size_t)BH * sizeof(float));
    p.h0 = SHAS(a->h0) ? SP(a->h0) : zeros;
    p.c0 = SHAS(a->c0) ? SP(a->c0) : zeros;
    p.y = SHAS(a->y) ? SP(a->y) : NULL;
    p.ldy = a->ldy;
    rnn_plan_regions(&p, regions);
    rnn_bias_sum(&p, a);

    if (T > 0) {
        /* W_g^T of every gate, packed once for all steps */
        for (int64_t g = 0; g < p.G; g++)
            simd_gemm_pack_b(1, H, H, SP(a->w_hh) + g * H * H, H, p.wpack + (size_t)g * p.wpack_stride);
        /* the input GEMM over all steps: GATES = X W_ih^T */
        if (simd_sgemm(dev, 0, 1, T * B, GH, p.I, 1.0f, SP(a->x), a->ldx, SP(a->w_ih), p.I, 0.0f, p.gates, GH))
            return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "rnn_forward: out of memory in the input GEMM");
        memcpy(p.hprev + rnn_time_of(&p, 0) * BH, p.h0, (size_t)BH * sizeof(float));
        for (int64_t s = 0; s < T; s++) {
            rnn_set_step(&p, s);
            simd_gemm_pack_a(0, B, H, p.hprev + p.t * BH, H, p.apack);
            simd_parallel_for(p.ntasks, rnn_fwd_task0, &p);
            if (p.classic) {
                simd_gemm_pack_a(0, B, H, p.aux + p.t * BH, H, p.apack);
                simd_parallel_for(p.ntasks, rnn_fwd_task1, &p);
            }
        }
    } else {
        memcpy(p.hfin, p.h0, (size_t)BH * sizeof(float));
    }
    if (SHAS(a->h_n))
        memcpy(SP(a->h_n), p.hfin, (size_t)BH * sizeof(float));
    if (p.lstm && SHAS(a->c_n))
        memcpy(SP(a->c_n), T > 0 ? p.aux + rnn_time_of(&p, T - 1) * BH : p.c0, (size_t)BH * sizeof(float));
    return SEQNN_OK;
}

/* ----------------------------------------------------------- backward --- */

/* dL/dh_t of row b at units [j, j+n): the carried gradient plus dy[t] */
static inline vf rnn_dh(const rnn_plan *p, int64_t b, int64_t j, int64_t n)
{
    vf dh = vld(p->dh_cur + b * p->H + j, n);
    if (p->dy)
        dh = vf_add(dh, vld(p->dy + (p->t * p->B + b) * p->ldy_d + j, n));
    return dh;
}

/* Phase 0 of a backward step for row b, units [j0, j1): the gate gradients
 * and the element-wise part of dL/dh_{t-1} (into dh_next, which the GEMM then
 * accumulates into). Classic GRU: dn, dz only (phase 1 does dr). */
static void rnn_bwd_cell_row(const rnn_plan *p, int64_t b, int64_t j0, int64_t j1)
{
    const int64_t H = p->H, B = p->B, t = p->t, q = t * B + b;
    const float *gr = p->gates + q * p->GH;
    const float *hp = p->hprev + q * H;
    const float *ax = p->aux + q * H;
    float *dg = p->dg + q * p->GH;
    float *dhn = p->dh_next + b * H;
    const int active = rnn_active(p, b, t);
    const vf one = vf_set1(1.0f);

    for (int64_t j = j0; j < j1; j += VW) {
        int64_t n = simd_min64(VW, j1 - j);
        if (!active) {
            /* nothing flows through a step the sequence does not take */
            for (int64_t g = 0; g < p->G; g++)
                vst(dg + g * H + j, vf_zero(), n);
            if (p->gru)
                vst(p->dghn + q * H + j, vf_zero(), n);
            vst(dhn + j, vld(p->dh_cur + b * H + j, n), n);
            continue;
        }
        vf dh = rnn_dh(p, b, j, n);
        if (p->lstm) {
            const float *cp = p->first ? p->c0 + b * H : p->aux + (p->t_prev * B + b) * H;
            vf i = vld(gr + j, n), f = vld(gr + H + j, n), g = vld(gr + 2 * H + j, n), o = vld(gr + 3 * H + j, n);
            vf tc = cell_tanh(vld(ax + j, n));
            float *dcr = p->dc + b * H;
            /* dct = dc + dh * o * (1 - tc^2) */
            vf dct = vf_fmadd(vf_mul(dh, o), vf_fnmadd(tc, tc, one), vld(dcr + j, n));
            vst(dg + j, vf_mul(vf_mul(dct, g), vf_mul(i, vf_sub(one, i))), n);
            vst(dg + H + j, vf_mul(vf_mul(dct, vld(cp + j, n)), vf_mul(f, vf_sub(one, f))), n);
            vst(dg + 2 * H + j, vf_mul(vf_mul(dct, i), vf_fnmadd(g, g, one)), n);
            vst(dg + 3 * H + j, vf_mul(vf_mul(dh, tc), vf_mul(o, vf_sub(one, o))), n);
            vst(dcr + j, vf_mul(dct, f), n);
            vst(dhn + j, vf_zero(), n);
        } else if (p->gru || p->classic) {
            vf r = vld(gr + j, n), z = vld(gr + H + j, n), nn = vld(gr + 2 * H + j, n);
            vf hpv = vld(hp + j, n);
            vf dn = vf_mul(vf_mul(dh, vf_sub(one, z)), vf_fnmadd(nn, nn, one));
            vf dz = vf_mul(vf_mul(dh, vf_sub(hpv, nn)), vf_mul(z, vf_sub(one, z)));
            vst(dg + H + j, dz, n);
            vst(dg + 2 * H + j, dn, n);
            if (p->gru) {
                vf dr = vf_mul(vf_mul(dn, vld(ax + j, n)), vf_mul(r, vf_sub(one, r)));
                vst(dg + j, dr, n);
                vst(p->dghn + q * H + j, vf_mul(dn, r), n);
                vst(dhn + j, vf_mul(dh, z), n);
            }
        } else {
            vf h = vld(gr + j, n);
            vf d = p->relu ? vf_mask_zero(vf_gt(h, vf_zero()), dh) : vf_mul(dh, vf_fnmadd(h, h, one));
            vst(dg + j, d, n);
            vst(dhn + j, vf_zero(), n);
        }
    }
}

/* Classic GRU, phase 1 for row b: work = dL/d(r*h) (from the tile), then
 * dr and the element-wise part of dL/dh_{t-1}. */
static void rnn_bwd_classic_row(const rnn_plan *p, int64_t b, int64_t j0, int64_t j1)
{
    const int64_t H = p->H, q = p->t * p->B + b;
    const float *gr = p->gates + q * p->GH, *hp = p->hprev + q * H, *wk = p->work + b * H;
    float *dg = p->dg + q * p->GH, *dhn = p->dh_next + b * H;
    const vf one = vf_set1(1.0f);
    if (!rnn_active(p, b, p->t))
        return;                          /* phase 0 did the inactive rows */
    for (int64_t j = j0; j < j1; j += VW) {
        int64_t n = simd_min64(VW, j1 - j);
        vf r = vld(gr + j, n), z = vld(gr + H + j, n), w = vld(wk + j, n);
        vf dh = rnn_dh(p, b, j, n);
        vst(dg + j, vf_mul(vf_mul(w, vld(hp + j, n)), vf_mul(r, vf_sub(one, r))), n);
        vst(dhn + j, vf_fmadd(dh, z, vf_mul(w, r)), n);
    }
}

/* packed W_hh for backward: [k = rows, n = H] blocks, B operand of
 * dL/dh_{t-1} = dG * W_hh */
#define RNN_WB_ALL 0                     /* rows 0 .. G*H (LSTM, RNN) or 0 .. 2H (GRUs) */
#define RNN_WB_N 1                       /* GRUs: rows 2H .. 3H */

/* dbias[g*H + j] += dg[t, b, g*H + j] for gates [g0, g1), units [j0, j1), rows
 * in order (GRU: the n rows of dghn too): the bias gradients without another
 * pass over dg; each column always belongs to the same unit chunk, so the
 * sums are formed in the same order for any thread count. */
static void rnn_bwd_bias_acc(const rnn_plan *p, int64_t g0, int64_t g1, int64_t j0, int64_t j1, int with_dghn)
{
    const int64_t H = p->H, q0 = p->t * p->B;
    for (int64_t g = g0; g < g1; g++)
        for (int64_t j = j0; j < j1; j += VW) {
            int64_t n = simd_min64(VW, j1 - j);
            float *acc = p->dbias + g * H + j;
            vf s = vld(acc, n);
            for (int64_t b = 0; b < p->B; b++)
                s = vf_add(s, vld(p->dg + (q0 + b) * p->GH + g * H + j, n));
            vst(acc, s, n);
        }
    if (with_dghn)
        for (int64_t j = j0; j < j1; j += VW) {
            int64_t n = simd_min64(VW, j1 - j);
            float *acc = p->dbias + p->GH + j;
            vf s = vld(acc, n);
            for (int64_t b = 0; b < p->B; b++)
                s = vf_add(s, vld(p->dghn + (q0 + b) * H + j, n));
            vst(acc, s, n);
        }
}

/* classic GRU: work[:, units] = dn * W_hn, then dr and dh_next */
static void rnn_bwd_task_classic(void *ctx, int64_t u, int tid)
{
    const rnn_plan *p = ctx;
    const int64_t H = p->H, j0 = u * p->unit, nu = simd_min64(p->unit, H - j0);
    (void)tid;
    simd_gemm_tile(p->B, H, 1.0f, p->apack2, p->wpack + RNN_WB_N * p->wpack_stride, H, j0, nu, 0.0f, p->work, H);
    for (int64_t b = 0; b < p->B; b++)
        rnn_bwd_classic_row(p, b, j0, j0 + nu);
    if (p->dbias)
        rnn_bwd_bias_acc(p, 0, 1, j0, j0 + nu, 0);
}

/* dst[:, units] += dG * W_hh[:, units] with dG the packed gate gradients
 * of the step after (p->apack, GRU: p->apack2 for the n rows): the GEMM part
 * of dL/dh for the units of task u, onto the element-wise part already in dst */
static void rnn_bwd_gemm(const rnn_plan *p, int64_t u, float *dst)
{
    const int64_t H = p->H, j0 = u * p->unit, nu = simd_min64(p->unit, H - j0);
    simd_gemm_tile(p->B, p->gru || p->classic ? 2 * H : p->GH, 1.0f, p->apack,
                   p->wpack + RNN_WB_ALL * p->wpack_stride, H, j0, nu, 1.0f, dst, H);
    if (p->gru)
        simd_gemm_tile(p->B, H, 1.0f, p->apack2, p->wpack + RNN_WB_N * p->wpack_stride, H, j0, nu, 1.0f, dst, H);
}

/* the cache lines of floats [x, x+n) into L2 (always inlined, as is its
 * caller: gcc deletes the calls of a function that only prefetches) */
static inline __attribute__((always_inline)) void rnn_bwd_fetch_run(const float *x, int64_t n)
{
    for (int64_t j = 0; j < n; j += 16)
        vf_prefetch_l2(x + j);
    vf_prefetch_l2(x + n - 1);
}

/* Prefetch into L2 what the cell gradients of step t read and write at
 * units [j0, j1) of every row (the reserve's gate rows, dy, the states, dG):
 * issued before the task's GEMM tiles, it arrives while they run (the rows
 * are strided, far apart, and came from memory one at a time). */
static inline __attribute__((always_inline)) void rnn_bwd_prefetch(const rnn_plan *p, int64_t j0, int64_t j1)
{
    const int64_t H = p->H, B = p->B, t = p->t, n = j1 - j0;
    for (int64_t b = 0; b < B; b++) {
        const int64_t q = t * B + b;
        if (!rnn_active(p, b, t))
            continue;
        for (int64_t g = 0; g < p->G; g++) {
            rnn_bwd_fetch_run(p->gates + q * p->GH + g * H + j0, n);
            rnn_bwd_fetch_run(p->dg + q * p->GH + g * H + j0, n);
        }
        if (p->dy)
            rnn_bwd_fetch_run(p->dy + q * p->ldy_d + j0, n);
        if (p->lstm || p->gru)
            rnn_bwd_fetch_run(p->aux + q * H + j0, n);
        if (p->lstm && !p->first)
            rnn_bwd_fetch_run(p->aux + (p->t_prev * B + b) * H + j0, n);
        if (p->gru || p->classic)
            rnn_bwd_fetch_run(p->hprev + q * H + j0, n);
        if (p->gru)
            rnn_bwd_fetch_run(p->dghn + q * H + j0, n);
    }
}

/* One task of a backward step, units [u*unit, ...) of every row: the GEMM
 * part of dL/dh_t from the step after (when there is one: p->pending), then
 * the gate gradients of step t, which read dL/dh_t of these units only: one
 * job per step (classic GRU: two). */
static void rnn_bwd_task_step(void *ctx, int64_t u, int tid)
{
    const rnn_plan *p = ctx;
    const int64_t j0 = u * p->unit, j1 = simd_min64(p->H, j0 + p->unit);
    (void)tid;
    if (p->pending) {
        rnn_bwd_prefetch(p, j0, j1);
        rnn_bwd_gemm(p, u, p->dh_cur);
    }
    for (int64_t b = 0; b < p->B; b++)
        rnn_bwd_cell_row(p, b, j0, j1);
    if (p->dbias)                        /* classic GRU: dr comes in the next phase */
        rnn_bwd_bias_acc(p, p->classic ? 1 : 0, p->G, j0, j1, p->gru);
}

/* after the first step: the GEMM part of dL/dh_0 */
static void rnn_bwd_task_last_gemm(void *ctx, int64_t u, int tid)
{
    const rnn_plan *p = ctx;
    (void)tid;
    rnn_bwd_gemm(p, u, p->dh_cur);
}

/* dst (+)= src over n floats */
static void rnn_store_state(float *dst, const float *src, int64_t n, int accumulate)
{
    for (int64_t j = 0; j < n; j += VW) {
        int64_t m = simd_min64(VW, n - j);
        vst_grad(dst + j, vld(src + j, m), m, accumulate);
    }
}

static seqnn_status rnn_backward_run(const seqnn_call *call, const seqnn_rnn_args *a)
{
    simd_device *dev = simd_dev(call);
    const int acc = SACC(a);
    rnn_plan p;
    rnn_plan_init(&p, a);
    const int64_t T = p.T, B = p.B, H = p.H, GH = p.GH, BH = B * H, TB = T * B, I = p.I;
    const float beta = acc ? 1.0f : 0.0f;
    if (B == 0)
        return SEQNN_OK;

    float *small = simd_scratch(dev, SIMD_SCRATCH_K2, (size_t)(5 * BH + GH + H));
    p.dg = simd_scratch(dev, SIMD_SCRATCH_K0, (size_t)(TB * GH));
    p.dghn = p.gru ? simd_scratch(dev, SIMD_SCRATCH_K1, (size_t)(TB * H)) : NULL;
    p.wpack_stride = simd_gemm_packed_b_count(p.gru || p.classic ? 2 * H : GH, H);
    p.wpack = simd_scratch(dev, SIMD_SCRATCH_K3, p.wpack_stride * 2);
    size_t apack_count = simd_gemm_packed_a_count(B, GH);
    p.apack = simd_scratch(dev, SIMD_SCRATCH_K4, apack_count + simd_gemm_packed_a_count(B, H));
    p.apack2 = p.apack ? p.apack + apack_count : NULL;
    if (!small || !p.dg || (p.gru && !p.dghn) || !p.wpack || !p.apack)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "rnn_backward: out of memory for workspaces");
    p.dh_cur = small;
    p.dh_next = small + BH;
    p.dc = small + 2 * BH;
    p.work = small + 3 * BH;
    float *zeros = small + 4 * BH;
    memset(zeros, 0, (size_t)BH * sizeof(float));
    p.h0 = SHAS(a->h0) ? SP(a->h0) : zeros;
    p.c0 = SHAS(a->c0) ? SP(a->c0) : zeros;
    if (SHAS(a->db_ih) || SHAS(a->db_hh)) {
        p.dbias = small + 5 * BH;
        memset(p.dbias, 0, (size_t)(GH + H) * sizeof(float));
    }
    p.dy = SHAS(a->dy) ? SP(a->dy) : NULL;
    p.ldy_d = a->ldy;
    rnn_plan_regions(&p, SP(a->reserve));
    if (SHAS(a->dh_n))
        memcpy(p.dh_cur, SP(a->dh_n), (size_t)BH * sizeof(float));
    else
        memset(p.dh_cur, 0, (size_t)BH * sizeof(float));
    if (p.lstm && SHAS(a->dc_n))
        memcpy(p.dc, SP(a->dc_n), (size_t)BH * sizeof(float));
    else
        memset(p.dc, 0, (size_t)BH * sizeof(float));

    if (T > 0) {
        const float *w_hh = SP(a->w_hh);
        if (p.gru || p.classic) {
            simd_gemm_pack_b(0, 2 * H, H, w_hh, H, p.wpack + RNN_WB_ALL * p.wpack_stride);
            simd_gemm_pack_b(0, H, H, w_hh + 2 * H * H, H, p.wpack + RNN_WB_N * p.wpack_stride);
        } else {
            simd_gemm_pack_b(0, GH, H, w_hh, H, p.wpack + RNN_WB_ALL * p.wpack_stride);
        }
        /* BPTT: steps in the reverse of the forward's order */
        for (int64_t s = T - 1; s >= 0; s--) {
            const float *dgt = p.dg + rnn_time_of(&p, s) * B * GH;
            rnn_set_step(&p, s);
            p.pending = s < T - 1;
            simd_parallel_for(p.ntasks, rnn_bwd_task_step, &p);
            if (p.classic) {
                simd_gemm_pack_a(0, B, H, dgt + 2 * H, GH, p.apack2);
                simd_parallel_for(p.ntasks, rnn_bwd_task_classic, &p);
            }
            if (s == 0 && !SHAS(a->dh0))
                break;                   /* nothing reads dL/dh_0 */
            simd_gemm_pack_a(0, B, p.gru || p.classic ? 2 * H : GH, dgt, GH, p.apack);
            if (p.gru)
                simd_gemm_pack_a(0, B, H, p.dghn + p.t * BH, H, p.apack2);
            float *tmp = p.dh_cur;
            p.dh_cur = p.dh_next;
            p.dh_next = tmp;
        }
        if (SHAS(a->dh0))
            simd_parallel_for(p.ntasks, rnn_bwd_task_last_gemm, &p);
    }
    if (SHAS(a->dh0))
        rnn_store_state(SP(a->dh0), p.dh_cur, BH, acc);
    if (p.lstm && SHAS(a->dc0))
        rnn_store_state(SP(a->dc0), p.dc, BH, acc);
    if (T == 0) {
        /* no step: every other gradient is zero */
        if (!acc) {
            if (SHAS(a->dw_ih))
                memset(SP(a->dw_ih), 0, (size_t)(GH * I) * sizeof(float));
            if (SHAS(a->dw_hh))
                memset(SP(a->dw_hh), 0, (size_t)(GH * H) * sizeof(float));
            if (SHAS(a->db_ih))
                memset(SP(a->db_ih), 0, (size_t)GH * sizeof(float));
            if (SHAS(a->db_hh))
                memset(SP(a->db_hh), 0, (size_t)GH * sizeof(float));
        }
        return SEQNN_OK;
    }

    int rc = 0;
    /* dx = dG W_ih over all steps */
    if (SHAS(a->dx))
        rc |= simd_sgemm(dev, 0, 0, TB, I, GH, 1.0f, p.dg, GH, SP(a->w_ih), I, beta, SP(a->dx), a->ldx);
    /* dW_ih = dG^T X and dW_hh = dG^T Hprev (LSTM, RNN: one pass over dG^T) */
    const int pair = SHAS(a->dw_ih) && SHAS(a->dw_hh) && !p.gru && !p.classic;
    if (pair)
        rc |= simd_sgemm_pair(dev, 1, GH, TB, 1.0f, p.dg, GH, I, SP(a->x), a->ldx, SP(a->dw_ih), I, H, p.hprev, H,
                              SP(a->dw_hh), H, beta);
    else if (SHAS(a->dw_ih))
        rc |= simd_sgemm(dev, 1, 0, GH, I, TB, 1.0f, p.dg, GH, SP(a->x), a->ldx, beta, SP(a->dw_ih), I);
    if (SHAS(a->db_ih))
        rnn_store_state(SP(a->db_ih), p.dbias, GH, acc);
    /* dW_hh = dGh^T Hprev (GRU n rows: dghn; classic n rows: against r*h) */
    if (SHAS(a->dw_hh) && !pair) {
        float *dw = SP(a->dw_hh);
        if (p.gru || p.classic) {
            rc |= simd_sgemm(dev, 1, 0, 2 * H, H, TB, 1.0f, p.dg, GH, p.hprev, H, beta, dw, H);
            if (p.gru)
                rc |= simd_sgemm(dev, 1, 0, H, H, TB, 1.0f, p.dghn, H, p.hprev, H, beta, dw + 2 * H * H, H);
            else
                rc |= simd_sgemm(dev, 1, 0, H, H, TB, 1.0f, p.dg + 2 * H, GH, p.aux, H, beta, dw + 2 * H * H, H);
        } else {
            rc |= simd_sgemm(dev, 1, 0, GH, H, TB, 1.0f, p.dg, GH, p.hprev, H, beta, dw, H);
        }
    }
    if (SHAS(a->db_hh)) {
        float *db = SP(a->db_hh);
        if (p.gru) {
            rnn_store_state(db, p.dbias, 2 * H, acc);
            rnn_store_state(db + 2 * H, p.dbias + GH, H, acc);
        } else {
            rnn_store_state(db, p.dbias, GH, acc);
        }
    }
    if (rc)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "rnn_backward: out of memory in a weight GEMM");
    return SEQNN_OK;
}

/* ------------------------------------------------------------ kernels --- */

seqnn_status simd_rnn_forward(const seqnn_call *call, const seqnn_rnn_args *a)
{
    return rnn_forward_run(call, a);
}

seqnn_status simd_rnn_backward(const seqnn_call *call, const seqnn_rnn_args *a)
{
    return rnn_backward_run(call, a);
}

seqnn_status simd_cell_forward(const seqnn_call *call, const seqnn_rnn_args *a)
{
    return rnn_forward_run(call, a);
}

seqnn_status simd_cell_backward(const seqnn_call *call, const seqnn_rnn_args *a)
{
    return rnn_backward_run(call, a);
}

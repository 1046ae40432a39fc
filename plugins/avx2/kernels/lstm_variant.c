/* LSTM variants of the SIMD plugins: lstm_variant_forward / _backward
 * (peepholes, coupled input-forget gates, projection). The products go
 * through the plugins' own threaded SGEMM:
 *  - forward: X W_ih^T over all T*B rows at once; per step h W_hh^T over
 *    the batch, the vectorised cell math per batch row, and with a
 *    projection h = m W_hr^T;
 *  - backward: per step dL/dm = dL/dh W_hr (projection), the cell math
 *    backwards, dL/dh_{t-1} = dgates W_hh; then dx, dW_ih, dW_hh, dW_hr as
 *    one GEMM each over all steps, the bias and peephole gradients as
 *    ordered sums in double.
 * Step s of sequence b visits time t = s (forward) or len[b]-1-s (reverse);
 * rows whose sequence is over leave their state alone, write y[s, b] = 0 and
 * zero the reserve rows at t = s (so the gradient GEMMs see zeros there).
 *
 * Reserve layout (T*B*H*(G+3) floats, private to this plugin):
 *   GATES [T, B, G*H] activated i, f, g, o (coupled: i, g, o)
 *   C     [T, B, H]   c_t
 *   M     [T, B, H]   m_t = o*tanh(c_t)
 *   HP    [T, B, R]   h_{t-1} (R = proj_size or H)
 * Without a reserve (inference) the same regions live in scratch. */
#include <string.h>
#include "cell_math.h"
#include "common.h"
#include "simd_gemm.h"
#include "simd_kernels.h"

typedef struct lv_plan {
    const seqnn_lstm_variant_args *v;
    const seqnn_rnn_args *a;
    int64_t T, B, I, H, G, GH, P, R, steps;
    int coupled;
    int64_t bf, bg, bo;                  /* gate block offsets (bf < 0 when coupled) */
    const float *p_i, *p_f, *p_o;        /* peephole rows, or zeros [H] */
    float *gates, *cpl, *mpl, *hpl;      /* the reserve's regions */
} lv_plan;

/* time of step s of row b, or -1 when its sequence is over */
static int64_t lv_time(const lv_plan *p, int64_t s, int64_t b)
{
    const int64_t len = p->a->lengths ? p->a->lengths[b] : p->T;
    if (s >= len)
        return -1;
    return p->a->reverse ? len - 1 - s : s;
}

/* the shape of the call (the peephole rows: lv_plan_peeps) */
static void lv_plan_init(lv_plan *p, const seqnn_lstm_variant_args *v)
{
    const seqnn_rnn_args *a = &v->rnn;
    memset(p, 0, sizeof *p);
    p->v = v;
    p->a = a;
    simd_rnn_shape(a, &p->T, &p->B, &p->I, &p->H);
    p->G = seqnn_lstm_variant_gates(v->variant);
    p->GH = p->G * p->H;
    p->P = v->proj_size;
    p->R = seqnn_lstm_variant_width(v);
    p->coupled = (v->variant & SEQNN_LSTM_COUPLED) != 0;
    p->bf = p->coupled ? -1 : p->H;
    p->bg = (p->G - 2) * p->H;
    p->bo = (p->G - 1) * p->H;
    p->steps = p->T;
    if (a->lengths) {
        p->steps = 0;
        for (int64_t b = 0; b < p->B; b++)
            if (a->lengths[b] > p->steps)
                p->steps = a->lengths[b];
    }
}

/* the peephole rows; zeros [H] stands in for absent ones */
static void lv_plan_peeps(lv_plan *p, const float *zeros)
{
    const seqnn_lstm_variant_args *v = p->v;
    p->p_i = p->p_f = p->p_o = zeros;
    if (v->variant & SEQNN_LSTM_PEEPHOLE) {
        p->p_i = SP(v->w_peep);
        p->p_f = p->coupled ? zeros : p->p_i + p->H;
        p->p_o = p->p_i + (seqnn_lstm_variant_peeps(v->variant) - 1) * p->H;
    }
}

static void lv_regions(lv_plan *p, float *base)
{
    const int64_t TB = p->T * p->B;
    p->gates = base;
    p->cpl = p->gates + TB * p->GH;
    p->mpl = p->cpl + TB * p->H;
    p->hpl = p->mpl + TB * p->H;
}

/* The cell of one step for row b at time t: xg, hg the input and recurrent
 * products of its gates (biases in bsum), c [H] the state (updated), m [H]
 * receives o*tanh(c_t); gates, c_t and m_t go to the reserve rows. */
static void lv_cell_forward(const lv_plan *p, int64_t t, int64_t b, const float *xg, const float *hg,
                            const float *bsum, float *c, float *m)
{
    const int64_t H = p->H, q = t * p->B + b;
    float *rg = p->gates + q * p->GH, *rc = p->cpl + q * H, *rm = p->mpl + q * H;
    const vf one = vf_set1(1.0f);
    for (int64_t j = 0; j < H; j += VW) {
        const int64_t n = simd_min64(VW, H - j);
        vf cp = vld(c + j, n);
#define LV_PRE(blk) vf_add(vf_add(vld(xg + (blk) + j, n), vld(hg + (blk) + j, n)), vld(bsum + (blk) + j, n))
        vf i = cell_sigmoid(vf_fmadd(vld(p->p_i + j, n), cp, LV_PRE(0)));
        vf f = p->coupled ? vf_sub(one, i) : cell_sigmoid(vf_fmadd(vld(p->p_f + j, n), cp, LV_PRE(p->bf)));
        vf g = cell_tanh(LV_PRE(p->bg));
        vf cn = vf_fmadd(f, cp, vf_mul(i, g));
        vf o = cell_sigmoid(vf_fmadd(vld(p->p_o + j, n), cn, LV_PRE(p->bo)));
#undef LV_PRE
        vf mv = vf_mul(o, cell_tanh(cn));
        vst(rg + j, i, n);
        if (!p->coupled)
            vst(rg + p->bf + j, f, n);
        vst(rg + p->bg + j, g, n);
        vst(rg + p->bo + j, o, n);
        vst(rc + j, cn, n);
        vst(rm + j, mv, n);
        vst(c + j, cn, n);
        vst(m + j, mv, n);
    }
}

/* Zeros of the reserve rows at time s of a row whose sequence is over. */
static void lv_zero_rows(const lv_plan *p, int64_t s, int64_t b)
{
    const int64_t q = s * p->B + b;
    memset(p->gates + q * p->GH, 0, (size_t)p->GH * sizeof(float));
    memset(p->cpl + q * p->H, 0, (size_t)p->H * sizeof(float));
    memset(p->mpl + q * p->H, 0, (size_t)p->H * sizeof(float));
    memset(p->hpl + q * p->R, 0, (size_t)p->R * sizeof(float));
}

static seqnn_status lv_forward(const seqnn_call *call, lv_plan *p)
{
    simd_device *dev = simd_dev(call);
    const seqnn_lstm_variant_args *v = p->v;
    const seqnn_rnn_args *a = p->a;
    const int64_t B = p->B, H = p->H, R = p->R, T = p->T, TB = T * B, GH = p->GH;
    /* xg [TB, GH], hg [B, GH], h [B, R], c, m [B, H], hp [B, R], bsum [GH],
     * zeros [H], and the regions when there is no reserve */
    const int64_t regions = SHAS(a->reserve) ? 0 : TB * (GH + 2 * H + R);
    float *w = simd_scratch(dev, SIMD_SCRATCH_K0,
                            (size_t)(TB * GH + B * GH + 2 * B * R + 2 * B * H + GH + H + regions + 1));
    if (!w)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "lstm_variant_forward: out of memory for workspaces");
    float *xg = w, *hg = xg + TB * GH, *h = hg + B * GH, *c = h + B * R, *m = c + B * H, *hp = m + B * H;
    float *bsum = hp + B * R, *zeros = bsum + GH;
    memset(zeros, 0, (size_t)H * sizeof(float));
    lv_plan_peeps(p, zeros);
    lv_regions(p, SHAS(a->reserve) ? SP(a->reserve) : zeros + H);
    for (int64_t k = 0; k < GH; k++)
        bsum[k] = (SHAS(a->b_ih) ? SP(a->b_ih)[k] : 0.0f) + (SHAS(a->b_hh) ? SP(a->b_hh)[k] : 0.0f);
    if (SHAS(a->h0))
        memcpy(h, SP(a->h0), (size_t)(B * R) * sizeof(float));
    else
        memset(h, 0, (size_t)(B * R) * sizeof(float));
    if (SHAS(a->c0))
        memcpy(c, SP(a->c0), (size_t)(B * H) * sizeof(float));
    else
        memset(c, 0, (size_t)(B * H) * sizeof(float));
    if (TB > 0 && simd_sgemm(dev, 0, 1, TB, GH, p->I, 1.0f, SP(a->x), a->ldx, SP(a->w_ih), p->I, 0.0f, xg, GH))
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "lstm_variant_forward: out of memory in a GEMM");
    for (int64_t s = 0; s < T; s++) {
        if (s < p->steps && simd_sgemm(dev, 0, 1, B, GH, R, 1.0f, h, R, SP(a->w_hh), R, 0.0f, hg, GH))
            return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "lstm_variant_forward: out of memory in a GEMM");
        for (int64_t b = 0; b < B; b++) {
            const int64_t t = lv_time(p, s, b);
            if (t < 0) {
                lv_zero_rows(p, s, b);
                if (SHAS(a->y))
                    memset(SP(a->y) + (s * B + b) * a->ldy, 0, (size_t)R * sizeof(float));
                continue;
            }
            memcpy(p->hpl + (t * B + b) * R, h + b * R, (size_t)R * sizeof(float));
            lv_cell_forward(p, t, b, xg + (t * B + b) * GH, hg + b * GH, bsum, c + b * H, m + b * H);
            if (p->P == 0)
                memcpy(h + b * R, m + b * H, (size_t)H * sizeof(float));
        }
        if (p->P > 0 && s < p->steps &&
            simd_sgemm(dev, 0, 1, B, p->P, H, 1.0f, m, H, SP(v->w_hr), H, 0.0f, hp, p->P))
            return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "lstm_variant_forward: out of memory in a GEMM");
        for (int64_t b = 0; b < B; b++) {
            const int64_t t = lv_time(p, s, b);
            if (t < 0)
                continue;
            if (p->P > 0)
                memcpy(h + b * R, hp + b * R, (size_t)R * sizeof(float));
            if (SHAS(a->y))
                memcpy(SP(a->y) + (t * B + b) * a->ldy, h + b * R, (size_t)R * sizeof(float));
        }
    }
    if (SHAS(a->h_n))
        memcpy(SP(a->h_n), h, (size_t)(B * R) * sizeof(float));
    if (SHAS(a->c_n))
        memcpy(SP(a->c_n), c, (size_t)(B * H) * sizeof(float));
    return SEQNN_OK;
}

/* c_{t-1} of row b at its visited time t: the C row of the step before, or c0 */
static const float *lv_cprev(const lv_plan *p, int64_t t, int64_t b, const float *c0)
{
    const int64_t len = p->a->lengths ? p->a->lengths[b] : p->T;
    const int first = p->a->reverse ? t == len - 1 : t == 0;
    if (first)
        return c0 + b * p->H;
    return p->cpl + ((p->a->reverse ? t + 1 : t - 1) * p->B + b) * p->H;
}

/* The cell backwards for row b at time t: dm [H] = dL/dm_t, dc [H] = dL/dc_t
 * (replaced by dL/dc_{t-1}); the gate gradients go to dg [G*H]. */
static void lv_cell_backward(const lv_plan *p, int64_t t, int64_t b, const float *cp, const float *dm, float *dc,
                             float *dg)
{
    const int64_t H = p->H, q = t * p->B + b;
    const float *rg = p->gates + q * p->GH, *rc = p->cpl + q * H;
    const vf one = vf_set1(1.0f);
    for (int64_t j = 0; j < H; j += VW) {
        const int64_t n = simd_min64(VW, H - j);
        vf i = vld(rg + j, n), g = vld(rg + p->bg + j, n), o = vld(rg + p->bo + j, n);
        vf f = p->coupled ? vf_sub(one, i) : vld(rg + p->bf + j, n);
        vf c = vld(cp + j, n), tc = cell_tanh(vld(rc + j, n)), d_m = vld(dm + j, n);
        vf dao = vf_mul(vf_mul(d_m, tc), vf_mul(o, vf_sub(one, o)));
        /* dL/dc_t: dc, through m, through o's peephole */
        vf dct = vf_fmadd(dao, vld(p->p_o + j, n),
                          vf_fmadd(vf_mul(d_m, o), vf_sub(one, vf_mul(tc, tc)), vld(dc + j, n)));
        vf si = vf_mul(i, vf_sub(one, i));
        vf dai = vf_mul(vf_mul(dct, p->coupled ? vf_sub(g, c) : g), si);
        vf daf = p->coupled ? vf_zero() : vf_mul(vf_mul(dct, c), vf_mul(f, vf_sub(one, f)));
        vst(dg + j, dai, n);
        if (!p->coupled)
            vst(dg + p->bf + j, daf, n);
        vst(dg + p->bg + j, vf_mul(vf_mul(dct, i), vf_sub(one, vf_mul(g, g))), n);
        vst(dg + p->bo + j, dao, n);
        vst(dc + j, vf_fmadd(daf, vld(p->p_f + j, n), vf_fmadd(dai, vld(p->p_i + j, n), vf_mul(dct, f))), n);
    }
}

/* Bias and peephole gradients, each one ordered sum in double over every
 * (t, b) (unvisited rows of dxg are zero). */
static void lv_sums(const lv_plan *p, const float *dxg, const float *c0)
{
    const seqnn_rnn_args *a = p->a;
    const int64_t TB = p->T * p->B, GH = p->GH, H = p->H;
    const int acc = SACC(a);
    for (int64_t k = 0; k < GH && (SHAS(a->db_ih) || SHAS(a->db_hh)); k++) {
        double sum = 0;
        for (int64_t q = 0; q < TB; q++)
            sum += dxg[q * GH + k];
        if (SHAS(a->db_ih))
            SP(a->db_ih)[k] = (float)(acc ? SP(a->db_ih)[k] + sum : sum);
        if (SHAS(a->db_hh))
            SP(a->db_hh)[k] = (float)(acc ? SP(a->db_hh)[k] + sum : sum);
    }
    if (!(p->v->variant & SEQNN_LSTM_PEEPHOLE) || !SHAS(p->v->dw_peep))
        return;
    const int64_t NP = seqnn_lstm_variant_peeps(p->v->variant);
    float *dw = SP(p->v->dw_peep);
    for (int64_t r = 0; r < NP; r++) {
        const int64_t blk = r == NP - 1 ? p->bo : (r == 0 ? 0 : p->bf);
        for (int64_t j = 0; j < H; j++) {
            double sum = 0;
            for (int64_t t = 0; t < p->T; t++)
                for (int64_t b = 0; b < p->B; b++) {
                    const int64_t len = a->lengths ? a->lengths[b] : p->T, q = t * p->B + b;
                    if (t >= len)
                        continue;
                    const float cv = r == NP - 1 ? p->cpl[q * H + j] : lv_cprev(p, t, b, c0)[j];
                    sum += (double)dxg[q * GH + blk + j] * cv;
                }
            dw[r * H + j] = (float)(acc ? dw[r * H + j] + sum : sum);
        }
    }
}

/* dh0, dc0 (+)= the final dh, dc */
static void lv_store_state(float *dst, const float *src, int64_t n, int acc)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = acc ? dst[i] + src[i] : src[i];
}

/* The GEMMs over all steps: dW_ih, dx, dW_hh, dW_hr. */
static int lv_weight_gemms(simd_device *dev, const lv_plan *p, const float *dxg, const float *dhs)
{
    const seqnn_rnn_args *a = p->a;
    const int64_t TB = p->T * p->B, GH = p->GH;
    const float beta = SACC(a) ? 1.0f : 0.0f;
    const int pair = SHAS(a->dw_ih) && SHAS(a->dw_hh);  /* dW_ih and dW_hh in one pass over dG^T */
    if (pair && simd_sgemm_pair(dev, 1, GH, TB, 1.0f, dxg, GH, p->I, SP(a->x), a->ldx, SP(a->dw_ih), p->I, p->R,
                                p->hpl, p->R, SP(a->dw_hh), p->R, beta))
        return -1;
    if (!pair && SHAS(a->dw_ih) &&
        simd_sgemm(dev, 1, 0, GH, p->I, TB, 1.0f, dxg, GH, SP(a->x), a->ldx, beta, SP(a->dw_ih), p->I))
        return -1;
    if (SHAS(a->dx) && simd_sgemm(dev, 0, 0, TB, p->I, GH, 1.0f, dxg, GH, SP(a->w_ih), p->I, beta, SP(a->dx), a->ldx))
        return -1;
    if (!pair && SHAS(a->dw_hh) &&
        simd_sgemm(dev, 1, 0, GH, p->R, TB, 1.0f, dxg, GH, p->hpl, p->R, beta, SP(a->dw_hh), p->R))
        return -1;
    if (p->P > 0 && SHAS(p->v->dw_hr) &&
        simd_sgemm(dev, 1, 0, p->P, p->H, TB, 1.0f, dhs, p->R, p->mpl, p->H, beta, SP(p->v->dw_hr), p->H))
        return -1;
    return 0;
}

static seqnn_status lv_backward(const seqnn_call *call, lv_plan *p)
{
    simd_device *dev = simd_dev(call);
    const seqnn_lstm_variant_args *v = p->v;
    const seqnn_rnn_args *a = p->a;
    const int64_t B = p->B, H = p->H, R = p->R, TB = p->T * B, GH = p->GH;
    /* dxg [TB, GH], dhs [TB, R], dgs [B, GH], dh, dcur [B, R], dc, dm [B, H], zeros [B*H] */
    float *w = simd_scratch(dev, SIMD_SCRATCH_K0,
                            (size_t)(TB * GH + TB * R + B * GH + 2 * B * R + 3 * B * H + 1));
    if (!w)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "lstm_variant_backward: out of memory for workspaces");
    float *dxg = w, *dhs = dxg + TB * GH, *dgs = dhs + TB * R, *dh = dgs + B * GH, *dcur = dh + B * R;
    float *dc = dcur + B * R, *dm = dc + B * H, *zeros = dm + B * H;
    memset(w, 0, (size_t)(TB * GH + TB * R) * sizeof(float));
    memset(zeros, 0, (size_t)(B * H) * sizeof(float));
    lv_plan_peeps(p, zeros);
    lv_regions(p, SP(a->reserve));
    const float *c0 = SHAS(a->c0) ? SP(a->c0) : zeros;
    for (int64_t i = 0; i < B * R; i++)
        dh[i] = SHAS(a->dh_n) ? SP(a->dh_n)[i] : 0.0f;
    for (int64_t i = 0; i < B * H; i++)
        dc[i] = SHAS(a->dc_n) ? SP(a->dc_n)[i] : 0.0f;
    for (int64_t s = p->steps - 1; s >= 0; s--) {
        for (int64_t b = 0; b < B; b++) {
            const int64_t t = lv_time(p, s, b);
            for (int64_t j = 0; j < R; j++) {
                const float d = t < 0 ? 0.0f
                                      : dh[b * R + j] + (SHAS(a->dy) ? SP(a->dy)[(t * B + b) * a->ldy + j] : 0.0f);
                dcur[b * R + j] = d;
                if (t >= 0) {
                    dhs[(t * B + b) * R + j] = d;
                    dh[b * R + j] = 0.0f;
                }
            }
        }
        if (p->P > 0 && simd_sgemm(dev, 0, 0, B, H, p->P, 1.0f, dcur, p->P, SP(v->w_hr), H, 0.0f, dm, H))
            return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "lstm_variant_backward: out of memory in a GEMM");
        const float *dmv = p->P > 0 ? dm : dcur;
        for (int64_t b = 0; b < B; b++) {
            const int64_t t = lv_time(p, s, b);
            if (t < 0) {
                memset(dgs + b * GH, 0, (size_t)GH * sizeof(float));
                continue;
            }
            lv_cell_backward(p, t, b, lv_cprev(p, t, b, c0), dmv + b * H, dc + b * H, dgs + b * GH);
            memcpy(dxg + (t * B + b) * GH, dgs + b * GH, (size_t)GH * sizeof(float));
        }
        if (simd_sgemm(dev, 0, 0, B, R, GH, 1.0f, dgs, GH, SP(a->w_hh), R, 1.0f, dh, R))
            return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "lstm_variant_backward: out of memory in a GEMM");
    }
    if (SHAS(a->dh0))
        lv_store_state(SP(a->dh0), dh, B * R, SACC(a));
    if (SHAS(a->dc0))
        lv_store_state(SP(a->dc0), dc, B * H, SACC(a));
    if (lv_weight_gemms(dev, p, dxg, dhs))
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "lstm_variant_backward: out of memory in a GEMM");
    lv_sums(p, dxg, c0);
    return SEQNN_OK;
}

seqnn_status simd_lstm_variant_forward(const seqnn_call *call, const seqnn_lstm_variant_args *a)
{
    lv_plan p;
    lv_plan_init(&p, a);
    return p.B == 0 ? SEQNN_OK : lv_forward(call, &p);
}

seqnn_status simd_lstm_variant_backward(const seqnn_call *call, const seqnn_lstm_variant_args *a)
{
    lv_plan p;
    lv_plan_init(&p, a);
    return p.B == 0 ? SEQNN_OK : lv_backward(call, &p);
}

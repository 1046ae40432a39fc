/* Template kernels, LSTM variants: lstm_variant_forward / _backward, an
 * LSTM layer with peepholes (SEQNN_LSTM_PEEPHOLE), coupled input-forget
 * gates (SEQNN_LSTM_COUPLED: gate blocks i, g, o) and/or a projection
 * h = W_hr (o*tanh(c)) (proj_size P > 0). Contract: seqnn/kernels.h
 * (seqnn_lstm_variant_args). One batch row at a time, the products as dot
 * products (tpl_dot) and the gate math in double.
 *
 * The reserve (T*B*H*(G+3) floats) holds one record per (t, b) at
 * (t*B + b)*(G+3)*H: the G activated gates, c_t, m_t = o*tanh(c_t), h_t.
 * VENDOR: a device plugin would batch the products over the rows as
 * kernels/rnn.c does with tpl_sgemm, and fuse the gate math. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../template.h"

/* The variant's shape: G gate blocks starting at bi, bf (-1 coupled), bg,
 * bo; H cells; R = width of h; rec = floats of one reserve record; the
 * peephole rows (NULL without). */
typedef struct tpl_lv {
    int64_t G, H, R, rec, bi, bf, bg, bo;
    const float *p_i, *p_f, *p_o;
} tpl_lv;

static tpl_lv tpl_lv_of(const seqnn_lstm_variant_args *v)
{
    tpl_lv s;
    const int coupled = (v->variant & SEQNN_LSTM_COUPLED) != 0;
    s.G = seqnn_lstm_variant_gates(v->variant);
    s.H = v->rnn.hidden_size;
    s.R = seqnn_lstm_variant_width(v);
    s.rec = (s.G + 3) * s.H;
    s.bi = 0;
    s.bf = coupled ? -1 : s.H;
    s.bg = (s.G - 2) * s.H;
    s.bo = (s.G - 1) * s.H;
    s.p_i = s.p_f = s.p_o = NULL;
    if (v->variant & SEQNN_LSTM_PEEPHOLE) {
        s.p_i = TPL_F(v->w_peep);
        s.p_f = coupled ? NULL : s.p_i + s.H;
        s.p_o = s.p_i + (seqnn_lstm_variant_peeps(v->variant) - 1) * s.H;
    }
    return s;
}

static int64_t tpl_lv_time(const seqnn_rnn_args *a, int64_t len, int64_t s)
{
    return a->reverse ? len - 1 - s : s;
}

/* One step of one row: x [I], h [R], c [H] (previous state, floats) ->
 * rec (gates, c_t, m_t, h_t). */
static void tpl_lv_step(const seqnn_lstm_variant_args *v, const tpl_lv *s, const float *x, const float *h,
                        const float *c, float *rec)
{
    const seqnn_rnn_args *a = &v->rnn;
    const int64_t H = s->H, I = a->input_size;
    const float *w_ih = TPL_F(a->w_ih), *w_hh = TPL_F(a->w_hh);
    const float *b_ih = TPL_FOPT(a->b_ih), *b_hh = TPL_FOPT(a->b_hh);
    float *gate = rec, *c_new = rec + s->G * H, *m = c_new + H, *h_new = m + H;
    for (int64_t j = 0; j < H; j++) {
        double pre[4];                   /* i, f, g, o pre-activations without peepholes */
        const int64_t blk[4] = {s->bi, s->bf, s->bg, s->bo};
        for (int q = 0; q < 4; q++) {
            const int64_t k = blk[q] + j;
            if (blk[q] < 0)
                continue;
            pre[q] = tpl_dot(w_ih + k * I, 1, x, 1, I) + tpl_dot(w_hh + k * s->R, 1, h, 1, s->R) +
                     (b_ih ? b_ih[k] : 0) + (b_hh ? b_hh[k] : 0);
        }
        const double cp = c[j];
        const double i_ = tpl_sigmoid(pre[0] + (s->p_i ? s->p_i[j] * cp : 0));
        const double f_ = s->bf >= 0 ? tpl_sigmoid(pre[1] + (s->p_f ? s->p_f[j] * cp : 0)) : 1 - i_;
        const double g_ = tanh(pre[2]);
        const double cn = f_ * cp + i_ * g_;
        const double o_ = tpl_sigmoid(pre[3] + (s->p_o ? s->p_o[j] * cn : 0));
        gate[s->bi + j] = (float)i_;
        if (s->bf >= 0)
            gate[s->bf + j] = (float)f_;
        gate[s->bg + j] = (float)g_;
        gate[s->bo + j] = (float)o_;
        c_new[j] = (float)cn;
        m[j] = (float)(o_ * tanh(cn));
    }
    for (int64_t r = 0; r < s->R; r++)
        h_new[r] = v->proj_size > 0 ? (float)tpl_dot(TPL_F(v->w_hr) + r * H, 1, m, 1, H) : m[r];
}

seqnn_status tpl_lstm_variant_forward(const seqnn_call *call, const seqnn_lstm_variant_args *v)
{
    const seqnn_rnn_args *a = &v->rnn;
    const tpl_lv s = tpl_lv_of(v);
    const int64_t T = a->seq_len, B = a->batch, H = s.H, R = s.R;
    float *work = calloc((size_t)(s.rec + 2 * H), sizeof *work);   /* a record, h, c */
    if (!work)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "lstm_variant_forward: out of host memory");
    float *h = work + s.rec, *c = h + H;
    for (int64_t b = 0; b < B; b++) {
        const int64_t len = a->lengths ? a->lengths[b] : T;
        for (int64_t j = 0; j < R; j++)
            h[j] = TPL_HAS(a->h0) ? TPL_F(a->h0)[b * R + j] : 0;
        for (int64_t j = 0; j < H; j++)
            c[j] = TPL_HAS(a->c0) ? TPL_F(a->c0)[b * H + j] : 0;
        for (int64_t st = 0; st < len; st++) {
            const int64_t t = tpl_lv_time(a, len, st);
            float *rec = TPL_HAS(a->reserve) ? TPL_F(a->reserve) + (t * B + b) * s.rec : work;
            tpl_lv_step(v, &s, TPL_F(a->x) + (t * B + b) * a->ldx, h, c, rec);
            memcpy(c, rec + s.G * H, (size_t)H * sizeof *c);
            memcpy(h, rec + (s.G + 2) * H, (size_t)R * sizeof *h);
            if (TPL_HAS(a->y))
                memcpy(TPL_F(a->y) + (t * B + b) * a->ldy, h, (size_t)R * sizeof *h);
        }
        for (int64_t t = len; TPL_HAS(a->y) && t < T; t++)
            tpl_zero(TPL_F(a->y) + (t * B + b) * a->ldy, R, 1);
        if (TPL_HAS(a->h_n))
            memcpy(TPL_F(a->h_n) + b * R, h, (size_t)R * sizeof *h);
        if (TPL_HAS(a->c_n))
            memcpy(TPL_F(a->c_n) + b * H, c, (size_t)H * sizeof *c);
    }
    free(work);
    return SEQNN_OK;
}

/* Backward through one step of one row. rec: the step's record; cp: c_{t-1};
 * dh [R], dc [H]: dL/dh_t, dL/dc_t (replaced by dL/dh_{t-1}, dL/dc_{t-1});
 * dg [G*H] receives the gate pre-activation gradients. dm [H] is scratch. */
static void tpl_lv_step_back(const seqnn_lstm_variant_args *v, const tpl_lv *s, const float *rec, const float *cp,
                             double *dh, double *dc, float *dg, double *dm)
{
    const int64_t H = s->H, R = s->R, GH = s->G * H;
    const float *gate = rec, *cn = rec + s->G * H;
    for (int64_t k = 0; k < H; k++) {
        dm[k] = 0;
        if (v->proj_size == 0)
            dm[k] = dh[k];
        for (int64_t r = 0; v->proj_size > 0 && r < R; r++)
            dm[k] += (double)TPL_F(v->w_hr)[r * H + k] * dh[r];
    }
    for (int64_t j = 0; j < H; j++) {
        const double i_ = gate[s->bi + j], g_ = gate[s->bg + j], o_ = gate[s->bo + j];
        const double f_ = s->bf >= 0 ? gate[s->bf + j] : 1 - i_;
        const double tc = tanh((double)cn[j]);
        const double dao = dm[j] * tc * o_ * (1 - o_);
        const double dct = dc[j] + dm[j] * o_ * (1 - tc * tc) + (s->p_o ? dao * s->p_o[j] : 0);
        const double dai = s->bf >= 0 ? dct * g_ * i_ * (1 - i_) : dct * (g_ - cp[j]) * i_ * (1 - i_);
        const double daf = s->bf >= 0 ? dct * cp[j] * f_ * (1 - f_) : 0;
        dg[s->bi + j] = (float)dai;
        if (s->bf >= 0)
            dg[s->bf + j] = (float)daf;
        dg[s->bg + j] = (float)(dct * i_ * (1 - g_ * g_));
        dg[s->bo + j] = (float)dao;
        dc[j] = dct * f_ + (s->p_i ? dai * s->p_i[j] : 0) + (s->p_f ? daf * s->p_f[j] : 0);
    }
    for (int64_t r = 0; r < R; r++)            /* dh_{t-1} = W_hh^T dg */
        dh[r] = tpl_dot(TPL_F(v->rnn.w_hh) + r, R, dg, 1, GH);
}

/* Every weight gradient as one sum over all (t, b) of the visited steps,
 * from the per-step gate gradients dg [T*B, G*H], dL/dh_t dhs [T*B, R] and
 * the previous states hp [T*B, R], cp [T*B, H] (vis[q]: step q visited). */
static void tpl_lv_weights(const seqnn_lstm_variant_args *v, const tpl_lv *s, const float *dg, const float *dhs,
                           const float *hp, const float *cp, const unsigned char *vis)
{
    const seqnn_rnn_args *a = &v->rnn;
    const int64_t TB = a->seq_len * a->batch, I = a->input_size, H = s->H, R = s->R, GH = s->G * H;
    const int acc = TPL_ACC(a);
    const float *res = TPL_F(a->reserve);
    for (int64_t q = 0; TPL_HAS(a->dx) && q < TB; q++)
        for (int64_t k = 0; k < I; k++)
            tpl_store(TPL_F(a->dx) + q * a->ldx + k, tpl_dot(TPL_F(a->w_ih) + k, I, dg + q * GH, 1, GH), acc);
    for (int64_t j = 0; j < GH; j++) {
        double db = 0;
        for (int64_t q = 0; q < TB; q++)
            db += dg[q * GH + j];
        if (TPL_HAS(a->db_ih))
            tpl_store(TPL_F(a->db_ih) + j, db, acc);
        if (TPL_HAS(a->db_hh))
            tpl_store(TPL_F(a->db_hh) + j, db, acc);
        for (int64_t k = 0; TPL_HAS(a->dw_ih) && k < I; k++) {
            double sum = 0;
            for (int64_t q = 0; q < TB; q++)
                sum += vis[q] ? (double)dg[q * GH + j] * TPL_F(a->x)[q * a->ldx + k] : 0;
            tpl_store(TPL_F(a->dw_ih) + j * I + k, sum, acc);
        }
        for (int64_t k = 0; TPL_HAS(a->dw_hh) && k < R; k++)
            tpl_store(TPL_F(a->dw_hh) + j * R + k, tpl_dot(dg + j, GH, hp + k, R, TB), acc);
    }
    const int64_t NP = (v->variant & SEQNN_LSTM_PEEPHOLE) && TPL_HAS(v->dw_peep) ? seqnn_lstm_variant_peeps(v->variant) : 0;
    for (int64_t r = 0; r < NP; r++) {
        const int64_t blk = r == NP - 1 ? s->bo : (r == 0 ? s->bi : s->bf);
        for (int64_t j = 0; j < H; j++) {
            double sum = 0;
            for (int64_t q = 0; q < TB; q++)
                sum += vis[q] ? (double)dg[q * GH + blk + j] * (r == NP - 1 ? res[q * s->rec + s->G * H + j]
                                                                              : cp[q * H + j]) : 0;
            tpl_store(TPL_F(v->dw_peep) + r * H + j, sum, acc);
        }
    }
    for (int64_t r = 0; v->proj_size > 0 && TPL_HAS(v->dw_hr) && r < R; r++)
        for (int64_t k = 0; k < H; k++) {
            double sum = 0;
            for (int64_t q = 0; q < TB; q++)
                sum += vis[q] ? (double)dhs[q * R + r] * res[q * s->rec + (s->G + 1) * H + k] : 0;
            tpl_store(TPL_F(v->dw_hr) + r * H + k, sum, acc);
        }
}

seqnn_status tpl_lstm_variant_backward(const seqnn_call *call, const seqnn_lstm_variant_args *v)
{
    const seqnn_rnn_args *a = &v->rnn;
    const tpl_lv s = tpl_lv_of(v);
    const int64_t T = a->seq_len, B = a->batch, H = s.H, R = s.R, GH = s.G * H, TB = T * B;
    const int acc = TPL_ACC(a);
    /* dg [TB, GH], dhs, hp [TB, R], cp [TB, H]; dh, dc, dm [H] in double */
    float *f = calloc((size_t)(TB * (GH + 2 * R + H) + 1), sizeof *f);
    double *d = calloc((size_t)(3 * H), sizeof *d);
    unsigned char *vis = calloc((size_t)TB + 1, 1);
    if (!f || !d || !vis) {
        free(f);
        free(d);
        free(vis);
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "lstm_variant_backward: out of host memory");
    }
    float *dg = f, *dhs = dg + TB * GH, *hp = dhs + TB * R, *cp = hp + TB * R;
    double *dh = d, *dc = d + H, *dm = d + 2 * H;
    const float *res = TPL_F(a->reserve);
    for (int64_t b = 0; b < B; b++) {
        const int64_t len = a->lengths ? a->lengths[b] : T;
        for (int64_t j = 0; j < R; j++)
            dh[j] = TPL_HAS(a->dh_n) ? TPL_F(a->dh_n)[b * R + j] : 0;
        for (int64_t j = 0; j < H; j++)
            dc[j] = TPL_HAS(a->dc_n) ? TPL_F(a->dc_n)[b * H + j] : 0;
        for (int64_t st = len - 1; st >= 0; st--) {
            const int64_t q = tpl_lv_time(a, len, st) * B + b;
            const float *prev = st > 0 ? res + (tpl_lv_time(a, len, st - 1) * B + b) * s.rec : NULL;
            for (int64_t j = 0; j < R; j++) {
                hp[q * R + j] = prev ? prev[(s.G + 2) * H + j] : (TPL_HAS(a->h0) ? TPL_F(a->h0)[b * R + j] : 0);
                dh[j] += TPL_HAS(a->dy) ? TPL_F(a->dy)[q * a->ldy + j] : 0;
                dhs[q * R + j] = (float)dh[j];
            }
            for (int64_t j = 0; j < H; j++)
                cp[q * H + j] = prev ? prev[s.G * H + j] : (TPL_HAS(a->c0) ? TPL_F(a->c0)[b * H + j] : 0);
            vis[q] = 1;
            tpl_lv_step_back(v, &s, res + q * s.rec, cp + q * H, dh, dc, dg + q * GH, dm);
        }
        for (int64_t j = 0; TPL_HAS(a->dh0) && j < R; j++)
            tpl_store(TPL_F(a->dh0) + b * R + j, dh[j], acc);
        for (int64_t j = 0; TPL_HAS(a->dc0) && j < H; j++)
            tpl_store(TPL_F(a->dc0) + b * H + j, dc[j], acc);
    }
    tpl_lv_weights(v, &s, dg, dhs, hp, cp, vis);
    free(f);
    free(d);
    free(vis);
    return SEQNN_OK;
}

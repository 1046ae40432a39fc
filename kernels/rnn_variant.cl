/* rnn_variant.cl: the cell kernels of the LSTM variants (peepholes,
 * coupled input-forget gates, projection). The host enqueues per step a
 * CLBlast GEMM for the recurrent product, lstmv_fwd_step, and with a
 * projection a GEMM h = m W_hr^T and lstmv_fwd_emit; backward mirrors it
 * (lstmv_bwd_dh, a GEMM for W_hr^T dh, lstmv_bwd_step, a GEMM for
 * W_hh^T dgates) and ends with GEMMs over all steps and lstmv_peep_grad.
 * Step s of sequence b visits time t = s (forward) or len[b]-1-s (reverse);
 * steps s >= len[b] leave the state alone, write y[s, b] = 0 and zero the
 * reserve at t = s (so that the weight-gradient GEMMs see zeros there).
 *
 * Reserve (indexed by time t): gates [T, B, G*H] (activated i, f, g, o;
 * coupled i, g, o), then C [T, B, H] (c_t), M [T, B, H] (m_t =
 * o*tanh(c_t)), HP [T, B, R] (h_{t-1}). variant bits: 1 peephole, 2 coupled;
 * P > 0: projection (R = P), else R = H. rnn_b and rnn_time come from
 * rnn.cl (the program concatenates the files in name order). */

/* c_{t-1} of sequence b at its visited time t: c_t of the step before in
 * visiting order, or c0 (zeros when absent) at the first step */
inline float lstmv_cprev(long t, long b, long j, long T, long B, long H, int reverse,
                         __global const int *lens, long lens_off, __global const float *cplane,
                         __global const float *c0, long c0_off)
{
    long len = HAS(lens_off) ? lens[lens_off + b] : T;
    int first = reverse ? t == len - 1 : t == 0;
    if (first)
        return HAS(c0_off) ? c0[c0_off + b * H + j] : 0.0f;
    long tp = reverse ? t + 1 : t - 1;
    return cplane[(tp * B + b) * H + j];
}

/* One forward step, item (b, j). hg [B, G*H]: h W_hh^T of this step; h
 * [B, R], c [B, H]: the state; m [B, H] receives o*tanh(c_t) (the input
 * of the projection GEMM). Without a projection h and y are written here. */
__kernel void lstmv_fwd_step(int variant, long P, long s, long T, long B, long H, int reverse,
                             __global const int *lens, long lens_off,
                             __global const float *xg, long xg_off,
                             __global const float *bih, long bih_off,
                             __global const float *bhh, long bhh_off,
                             __global const float *peep, long peep_off,
                             __global const float *hg, long hg_off,
                             __global float *h, long h_off, __global float *c, long c_off,
                             __global float *m, long m_off,
                             __global float *y, long y_off, long ldy,
                             __global float *res, long res_off)
{
    long g = GID();
    if (g >= B * H)
        return;
    long b = g / H, j = g % H;
    int coupled = (variant & 2) != 0, peephole = (variant & 1) != 0;
    long G = coupled ? 3 : 4, GH = G * H, R = P > 0 ? P : H, TB = T * B;
    long bf = coupled ? -1 : H, bg = (G - 2) * H, bo = (G - 1) * H;
    long t = rnn_time(s, b, T, reverse, lens, lens_off);
    long tt = t < 0 ? s : t;
    __global float *rg = res + res_off + (tt * B + b) * GH;
    __global float *rc = res + res_off + TB * GH + (tt * B + b) * H;
    __global float *rm = rc + TB * H;
    __global float *rh = res + res_off + TB * (GH + 2 * H) + (tt * B + b) * R;
    if (t < 0) {
        if (HAS(y_off) && j < R)
            y[y_off + (s * B + b) * ldy + j] = 0.0f;
        if (HAS(res_off)) {
            for (long q = 0; q < G; q++)
                rg[q * H + j] = 0.0f;
            rc[j] = 0.0f;
            rm[j] = 0.0f;
            if (j < R)
                rh[j] = 0.0f;
        }
        return;
    }
    __global const float *xr = xg + xg_off + (t * B + b) * GH;
    __global const float *hr = hg + hg_off + b * GH;
    long np = coupled ? 2 : 3;
    float pre[4];
    long blk[4] = {0, bf, bg, bo};
    for (int q = 0; q < 4; q++) {
        long k = blk[q] + j;
        pre[q] = blk[q] < 0 ? 0.0f : xr[k] + rnn_b(bih, bih_off, k) + hr[k] + rnn_b(bhh, bhh_off, k);
    }
    float cp = c[c_off + g];
    float pi = peephole ? peep[peep_off + j] : 0.0f;
    float pf = peephole && !coupled ? peep[peep_off + H + j] : 0.0f;
    float po = peephole ? peep[peep_off + (np - 1) * H + j] : 0.0f;
    float ig = sigmoid_f(pre[0] + pi * cp);
    float fg = coupled ? 1.0f - ig : sigmoid_f(pre[1] + pf * cp);
    float gg = tanh(pre[2]);
    float cn = fg * cp + ig * gg;
    float og = sigmoid_f(pre[3] + po * cn);
    float mn = og * tanh(cn);
    c[c_off + g] = cn;
    m[m_off + g] = mn;
    if (HAS(res_off)) {
        rg[j] = ig;
        if (!coupled)
            rg[bf + j] = fg;
        rg[bg + j] = gg;
        rg[bo + j] = og;
        rc[j] = cn;
        rm[j] = mn;
        if (j < R)
            rh[j] = h[h_off + b * R + j];
    }
    if (P == 0) {
        h[h_off + g] = mn;
        if (HAS(y_off))
            y[y_off + (t * B + b) * ldy + j] = mn;
    }
}

/* With a projection, item (b, r): the new h = hp [B, P] (m W_hr^T) into the
 * state and y for the sequences this step visits. */
__kernel void lstmv_fwd_emit(long P, long s, long T, long B, int reverse,
                             __global const int *lens, long lens_off,
                             __global const float *hp, long hp_off,
                             __global float *h, long h_off,
                             __global float *y, long y_off, long ldy)
{
    long g = GID();
    if (g >= B * P)
        return;
    long b = g / P, r = g % P;
    long t = rnn_time(s, b, T, reverse, lens, lens_off);
    if (t < 0)
        return;
    h[h_off + g] = hp[hp_off + g];
    if (HAS(y_off))
        y[y_off + (t * B + b) * ldy + r] = hp[hp_off + g];
}

/* Backward, first part of a step, item (b, r) of [B, R]: dcur = dL/dh_t =
 * dh + dy[t] (0 for a sequence this step does not visit), kept in dhs
 * [T, B, R] for dW_hr; dh is cleared for the W_hh^T GEMM to fill. */
__kernel void lstmv_bwd_dh(long R, long s, long T, long B, int reverse,
                           __global const int *lens, long lens_off,
                           __global const float *dy, long dy_off, long ldy,
                           __global float *dh, long dh_off,
                           __global float *dcur, long dcur_off,
                           __global float *dhs, long dhs_off)
{
    long g = GID();
    if (g >= B * R)
        return;
    long b = g / R, r = g % R;
    long t = rnn_time(s, b, T, reverse, lens, lens_off);
    if (t < 0) {
        dcur[dcur_off + g] = 0.0f;
        return;
    }
    float d = dh[dh_off + g] + (HAS(dy_off) ? dy[dy_off + (t * B + b) * ldy + r] : 0.0f);
    dcur[dcur_off + g] = d;
    dhs[dhs_off + (t * B + b) * R + r] = d;
    dh[dh_off + g] = 0.0f;
}

/* Backward, the cell of a step, item (b, j): from dm [B, H] (dL/dm_t) and
 * dc [B, H] (dL/dc_t, replaced by dL/dc_{t-1}) the gate gradients into dxg
 * [T, B, G*H] (kept for the weight gradients) and dgs [B, G*H] (this
 * step's, for the W_hh^T GEMM; zeros where the step is not visited). */
__kernel void lstmv_bwd_step(int variant, long s, long T, long B, long H, int reverse,
                             __global const int *lens, long lens_off,
                             __global const float *res, long res_off,
                             __global const float *peep, long peep_off,
                             __global const float *c0, long c0_off,
                             __global const float *dm, long dm_off,
                             __global float *dc, long dc_off,
                             __global float *dxg, long dxg_off,
                             __global float *dgs, long dgs_off)
{
    long g = GID();
    if (g >= B * H)
        return;
    long b = g / H, j = g % H;
    int coupled = (variant & 2) != 0, peephole = (variant & 1) != 0;
    long G = coupled ? 3 : 4, GH = G * H, TB = T * B, np = coupled ? 2 : 3;
    long bf = coupled ? -1 : H, bg = (G - 2) * H, bo = (G - 1) * H;
    long t = rnn_time(s, b, T, reverse, lens, lens_off);
    __global float *ds = dgs + dgs_off + b * GH;
    if (t < 0) {
        for (long q = 0; q < G; q++)
            ds[q * H + j] = 0.0f;
        return;
    }
    __global const float *rg = res + res_off + (t * B + b) * GH;
    __global const float *cplane = res + res_off + TB * GH;
    float ig = rg[j], gg = rg[bg + j], og = rg[bo + j];
    float fg = coupled ? 1.0f - ig : rg[bf + j];
    float cn = cplane[(t * B + b) * H + j];
    float cp = lstmv_cprev(t, b, j, T, B, H, reverse, lens, lens_off, cplane, c0, c0_off);
    float pi = peephole ? peep[peep_off + j] : 0.0f;
    float pf = peephole && !coupled ? peep[peep_off + H + j] : 0.0f;
    float po = peephole ? peep[peep_off + (np - 1) * H + j] : 0.0f;
    float d_m = dm[dm_off + g];
    float tc = tanh(cn);
    float dao = d_m * tc * og * (1.0f - og);
    float dct = dc[dc_off + g] + d_m * og * (1.0f - tc * tc) + dao * po;
    float dai = coupled ? dct * (gg - cp) * ig * (1.0f - ig) : dct * gg * ig * (1.0f - ig);
    float daf = coupled ? 0.0f : dct * cp * fg * (1.0f - fg);
    float dag = dct * ig * (1.0f - gg * gg);
    __global float *dx = dxg + dxg_off + (t * B + b) * GH;
    dx[j] = dai;
    ds[j] = dai;
    if (!coupled) {
        dx[bf + j] = daf;
        ds[bf + j] = daf;
    }
    dx[bg + j] = dag;
    ds[bg + j] = dag;
    dx[bo + j] = dao;
    ds[bo + j] = dao;
    dc[dc_off + g] = dct * fg + dai * pi + daf * pf;
}

/* dW_peep (+)=, item (row, j): row i and f with c_{t-1}, row o with c_t,
 * each one sum over every visited (t, b) in (t, b) order. */
__kernel void lstmv_peep_grad(int variant, long T, long B, long H, int reverse,
                              __global const int *lens, long lens_off,
                              __global const float *res, long res_off,
                              __global const float *c0, long c0_off,
                              __global const float *dxg, long dxg_off,
                              __global float *dw, long dw_off, int accumulate)
{
    long g = GID();
    int coupled = (variant & 2) != 0;
    long np = coupled ? 2 : 3, G = coupled ? 3 : 4, GH = G * H, TB = T * B;
    if (g >= np * H)
        return;
    long row = g / H, j = g % H;
    long blk = row == np - 1 ? (G - 1) * H : (row == 0 ? 0 : H);
    __global const float *cplane = res + res_off + TB * GH;
    float sum = 0.0f;
    for (long t = 0; t < T; t++)
        for (long b = 0; b < B; b++) {
            long len = HAS(lens_off) ? lens[lens_off + b] : T;
            if (t >= len)
                continue;
            float cv = row == np - 1 ? cplane[(t * B + b) * H + j]
                                     : lstmv_cprev(t, b, j, T, B, H, reverse, lens, lens_off, cplane, c0, c0_off);
            sum += dxg[dxg_off + (t * B + b) * GH + blk + j] * cv;
        }
    dw[dw_off + g] = accumulate ? dw[dw_off + g] + sum : sum;
}

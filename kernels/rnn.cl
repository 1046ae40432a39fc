/* rnn.cl: the fused cell kernels of the recurrent layers (Elman tanh/relu,
 * LSTM, GRU in PyTorch's linear-before-reset form and in the classic form).
 * The host enqueues, per time step, one CLBlast GEMM for the recurrent
 * product and one of these kernels (two for the classic GRU), with no host
 * round trip. A work-item handles eight units j .. j+7 of one sequence b
 * (float8, common.cl's ld8/st8; fewer at the end of a row): the host
 * launches B * ceil(H / 8) items. Step s of sequence b visits time t = s (forward) or
 * len[b]-1-s (reverse); steps s >= len[b] leave the state alone, write
 * y[s, b] = 0 and zero the reserve at t = s.
 *
 * Reserve (indexed by time t): gates [T, B, G*H] (activated: RNN h', LSTM
 * i,f,g,o, GRU r,z,n), then S1 [T, B, H] (LSTM c_prev, GRU W_hn h + b_hn,
 * classic GRU r*h_prev), then S2 [T, B, H] (h_prev). Cells: 0 RNN tanh,
 * 1 RNN relu, 2 LSTM, 3 GRU, 4 classic GRU (seqnn_cell). */

/* An optional bias at i (0 when absent): one element (rnn_variant.cl), eight */
inline float rnn_b(__global const float *b, long off, long i)
{
    return HAS(off) ? b[off + i] : 0.0f;
}

inline float8 rnn_b8(__global const float *b, long off, long i, int n)
{
    return HAS(off) ? ld8(b, off + i, n) : (float8)0.0f;
}

inline int rnn_gates(int cell)
{
    return cell == 2 ? 4 : (cell >= 3 ? 3 : 1);
}

/* Item g of a step: sequence *b, units *j .. *j + *n - 1; 0 past the range. */
inline int rnn_item(long g, long B, long H, long *b, long *j, int *n)
{
    long q = (H + 7) / 8;
    if (g >= B * q)
        return 0;
    *b = g / q;
    *j = (g % q) * 8;
    *n = (int)min(8L, H - *j);
    return 1;
}

/* Returns the time index of step s for sequence b, or -1 when the step is past its length. */
inline long rnn_time(long s, long b, long T, int reverse, __global const int *lens, long lens_off)
{
    long len = HAS(lens_off) ? lens[lens_off + b] : T;
    if (s >= len)
        return -1;
    return reverse ? len - 1 - s : s;
}

/* Pre-activation of gate rows k .. k+7: x W_ih^T + b_ih + h W_hh^T + b_hh */
inline float8 rnn_pre(__global const float *xr, __global const float *hr, __global const float *bih, long bih_off,
                      __global const float *bhh, long bhh_off, long k, int n)
{
    return ld8(xr, k, n) + rnn_b8(bih, bih_off, k, n) + ld8(hr, k, n) + rnn_b8(bhh, bhh_off, k, n);
}

/* One step, units (b, j .. j+7). hg [B, G*H]: h W_hh^T of this step (classic GRU:
 * activated r, z in [0, 2H) and W_hn (r*h) in [2H, 3H)). */
__kernel void rnn_fwd_step(int cell, long s, long T, long B, long H, int reverse,
                           __global const int *lens, long lens_off,
                           __global const float *xg, long xg_off,
                           __global const float *bih, long bih_off,
                           __global const float *bhh, long bhh_off,
                           __global const float *hg, long hg_off,
                           __global float *h, long h_off, __global float *c, long c_off,
                           __global float *y, long y_off, long ldy,
                           __global float *res, long res_off)
{
    long b, j;
    int n;
    if (!rnn_item(GID(), B, H, &b, &j, &n))
        return;
    long g = b * H + j;
    int G = rnn_gates(cell);
    long GH = G * H;
    long t = rnn_time(s, b, T, reverse, lens, lens_off);
    long tt = t < 0 ? s : t;
    __global float *rg = res + res_off + (tt * B + b) * GH;
    __global float *r1 = res + res_off + T * B * GH + (tt * B + b) * H;
    __global float *r2 = res + res_off + T * B * GH + T * B * H + (tt * B + b) * H;
    const float8 zero = 0.0f;
    if (t < 0) {
        if (HAS(y_off))
            st8(zero, y, y_off + (s * B + b) * ldy + j, n);
        if (HAS(res_off)) {
            for (int q = 0; q < G; q++)
                st8(zero, rg, q * H + j, n);
            st8(zero, r1, j, n);
            st8(zero, r2, j, n);
        }
        return;
    }
    __global const float *xr = xg + xg_off + (t * B + b) * GH;
    __global const float *hr = hg + hg_off + b * GH;
    float8 hp = ld8(h, h_off + g, n), hn, s1 = zero;
    if (cell <= 1) {
        float8 a = rnn_pre(xr, hr, bih, bih_off, bhh, bhh_off, j, n);
        hn = cell == 0 ? tanh(a) : fmax(a, 0.0f);
        if (HAS(res_off))
            st8(hn, rg, j, n);
    } else if (cell == 2) {
        float8 pre[4];
        for (int q = 0; q < 4; q++)
            pre[q] = rnn_pre(xr, hr, bih, bih_off, bhh, bhh_off, q * H + j, n);
        float8 ig = sigmoid8(pre[0]), fg = sigmoid8(pre[1]), gg = tanh(pre[2]), og = sigmoid8(pre[3]);
        float8 cp = ld8(c, c_off + g, n);
        float8 cn = fg * cp + ig * gg;
        hn = og * tanh(cn);
        st8(cn, c, c_off + g, n);
        s1 = cp;
        if (HAS(res_off)) {
            st8(ig, rg, j, n);
            st8(fg, rg, H + j, n);
            st8(gg, rg, 2 * H + j, n);
            st8(og, rg, 3 * H + j, n);
        }
    } else {
        float8 r, z, nn;
        if (cell == 3) {
            r = sigmoid8(rnn_pre(xr, hr, bih, bih_off, bhh, bhh_off, j, n));
            z = sigmoid8(rnn_pre(xr, hr, bih, bih_off, bhh, bhh_off, H + j, n));
            s1 = ld8(hr, 2 * H + j, n) + rnn_b8(bhh, bhh_off, 2 * H + j, n);
            nn = tanh(ld8(xr, 2 * H + j, n) + rnn_b8(bih, bih_off, 2 * H + j, n) + r * s1);
        } else {
            r = ld8(hr, j, n);
            z = ld8(hr, H + j, n);
            s1 = r * hp;
            nn = tanh(rnn_pre(xr, hr, bih, bih_off, bhh, bhh_off, 2 * H + j, n));
        }
        hn = (1.0f - z) * nn + z * hp;
        if (HAS(res_off)) {
            st8(r, rg, j, n);
            st8(z, rg, H + j, n);
            st8(nn, rg, 2 * H + j, n);
        }
    }
    st8(hn, h, h_off + g, n);
    if (HAS(y_off))
        st8(hn, y, y_off + (t * B + b) * ldy + j, n);
    if (HAS(res_off)) {
        st8(s1, r1, j, n);
        st8(hp, r2, j, n);
    }
}

/* Classic GRU, first half of a step: r, z activated into hg[b, 0:2H), and
 * rh = r * h (the input of the W_hn product). */
__kernel void rnn_classic_rz(long s, long T, long B, long H, int reverse,
                             __global const int *lens, long lens_off,
                             __global const float *xg, long xg_off,
                             __global const float *bih, long bih_off,
                             __global const float *bhh, long bhh_off,
                             __global float *hg, long hg_off,
                             __global const float *h, long h_off, __global float *rh, long rh_off)
{
    long b, j;
    int n;
    if (!rnn_item(GID(), B, H, &b, &j, &n))
        return;
    long g = b * H + j, GH = 3 * H;
    long t = rnn_time(s, b, T, reverse, lens, lens_off);
    if (t < 0) {
        st8((float8)0.0f, rh, rh_off + g, n);
        return;
    }
    __global const float *xr = xg + xg_off + (t * B + b) * GH;
    __global float *hr = hg + hg_off + b * GH;
    float8 r = sigmoid8(rnn_pre(xr, hr, bih, bih_off, bhh, bhh_off, j, n));
    float8 z = sigmoid8(rnn_pre(xr, hr, bih, bih_off, bhh, bhh_off, H + j, n));
    st8(r, hr, j, n);
    st8(z, hr, H + j, n);
    st8(r * ld8(h, h_off + g, n), rh, rh_off + g, n);
}

inline float8 rnn_dh_total(long t, long b, long j, int n, long B, long ldy, __global const float *dy, long dy_off,
                           __global const float *dh, long dh_off, long g)
{
    return ld8(dh, dh_off + g, n) + (HAS(dy_off) ? ld8(dy, dy_off + (t * B + b) * ldy + j, n) : (float8)0.0f);
}

/* Classic GRU backward, first half: dgs[b, 2H + j] = d(pre-activation of n). */
__kernel void rnn_classic_bwd_n(long s, long T, long B, long H, int reverse,
                                __global const int *lens, long lens_off,
                                __global const float *res, long res_off,
                                __global const float *dy, long dy_off, long ldy,
                                __global const float *dh, long dh_off,
                                __global float *dgs, long dgs_off)
{
    long b, j;
    int n;
    if (!rnn_item(GID(), B, H, &b, &j, &n))
        return;
    long g = b * H + j, GH = 3 * H;
    long t = rnn_time(s, b, T, reverse, lens, lens_off);
    __global float *dr = dgs + dgs_off + b * GH;
    if (t < 0) {
        st8((float8)0.0f, dr, 2 * H + j, n);
        return;
    }
    __global const float *rg = res + res_off + (t * B + b) * GH;
    float8 dht = rnn_dh_total(t, b, j, n, B, ldy, dy, dy_off, dh, dh_off, g);
    float8 z = ld8(rg, H + j, n), nn = ld8(rg, 2 * H + j, n);
    st8(dht * (1.0f - z) * (1.0f - nn * nn), dr, 2 * H + j, n);
}

/* Backward of one step, units (b, j .. j+7): gate gradients into dxg (for x, W_ih,
 * b_ih; time-indexed, pre-zeroed), dhg (W_hh, b_hh; GRU only, else dxg) and
 * dgs [B, G*H] (this step's rows for dh += dgs W_hh); dh, dc hold the state
 * gradients (dh gets the part that does not go through W_hh). drh: classic
 * GRU's d(r*h) = dgs_n W_hn. */
__kernel void rnn_bwd_step(int cell, long s, long T, long B, long H, int reverse,
                           __global const int *lens, long lens_off,
                           __global const float *res, long res_off,
                           __global const float *dy, long dy_off, long ldy,
                           __global float *dh, long dh_off, __global float *dc, long dc_off,
                           __global float *dxg, long dxg_off, __global float *dhg, long dhg_off,
                           __global float *dgs, long dgs_off, __global const float *drh, long drh_off)
{
    long b, j;
    int n;
    if (!rnn_item(GID(), B, H, &b, &j, &n))
        return;
    long g = b * H + j;
    int G = rnn_gates(cell);
    long GH = G * H;
    long t = rnn_time(s, b, T, reverse, lens, lens_off);
    __global float *ds = dgs + dgs_off + b * GH;
    const float8 zero = 0.0f;
    if (t < 0) {
        for (int q = 0; q < G; q++)
            if (!(cell == 4 && q == 2))
                st8(zero, ds, q * H + j, n);
        return;
    }
    __global const float *rg = res + res_off + (t * B + b) * GH;
    float8 s1 = ld8(res, res_off + T * B * GH + (t * B + b) * H + j, n);
    float8 hp = ld8(res, res_off + T * B * GH + T * B * H + (t * B + b) * H + j, n);
    __global float *dx = dxg + dxg_off + (t * B + b) * GH;
    float8 dht = rnn_dh_total(t, b, j, n, B, ldy, dy, dy_off, dh, dh_off, g);
    if (cell <= 1) {
        float8 hn = ld8(rg, j, n);
        float8 d = dht * (cell == 0 ? 1.0f - hn * hn : select(zero, (float8)1.0f, hn > 0.0f));
        st8(d, dx, j, n);
        st8(d, ds, j, n);
        st8(zero, dh, dh_off + g, n);
    } else if (cell == 2) {
        float8 ig = ld8(rg, j, n), fg = ld8(rg, H + j, n), gg = ld8(rg, 2 * H + j, n), og = ld8(rg, 3 * H + j, n);
        float8 cn = fg * s1 + ig * gg;
        float8 tc = tanh(cn);
        float8 dct = ld8(dc, dc_off + g, n) + dht * og * (1.0f - tc * tc);
        float8 d[4];
        d[0] = dct * gg * ig * (1.0f - ig);
        d[1] = dct * s1 * fg * (1.0f - fg);
        d[2] = dct * ig * (1.0f - gg * gg);
        d[3] = dht * tc * og * (1.0f - og);
        for (int q = 0; q < 4; q++) {
            st8(d[q], dx, q * H + j, n);
            st8(d[q], ds, q * H + j, n);
        }
        st8(dct * fg, dc, dc_off + g, n);
        st8(zero, dh, dh_off + g, n);
    } else {
        float8 r = ld8(rg, j, n), z = ld8(rg, H + j, n), nn = ld8(rg, 2 * H + j, n);
        float8 dnp = dht * (1.0f - z) * (1.0f - nn * nn);
        float8 dzp = dht * (hp - nn) * z * (1.0f - z);
        float8 drv = cell == 3 ? dnp * s1 : ld8(drh, drh_off + g, n) * hp;
        float8 drp = drv * r * (1.0f - r);
        st8(drp, dx, j, n);
        st8(dzp, dx, H + j, n);
        st8(dnp, dx, 2 * H + j, n);
        st8(drp, ds, j, n);
        st8(dzp, ds, H + j, n);
        if (cell == 3) {
            __global float *dk = dhg + dhg_off + (t * B + b) * GH;
            st8(drp, dk, j, n);
            st8(dzp, dk, H + j, n);
            st8(dnp * r, dk, 2 * H + j, n);
            st8(dnp * r, ds, 2 * H + j, n);
            st8(dht * z, dh, dh_off + g, n);
        } else {
            st8(dht * z + ld8(drh, drh_off + g, n) * r, dh, dh_off + g, n);
        }
    }
}

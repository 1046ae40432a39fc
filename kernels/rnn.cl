/* rnn.cl: the fused cell kernels of the recurrent layers (Elman tanh/relu,
 * LSTM, GRU in PyTorch's linear-before-reset form and in the classic form).
 * The host enqueues, per time step, one CLBlast GEMM for the recurrent
 * product and one of these kernels (two for the classic GRU), with no host
 * round trip. Step s of sequence b visits time t = s (forward) or
 * len[b]-1-s (reverse); steps s >= len[b] leave the state alone, write
 * y[s, b] = 0 and zero the reserve at t = s.
 *
 * Reserve (indexed by time t): gates [T, B, G*H] (activated: RNN h', LSTM
 * i,f,g,o, GRU r,z,n), then S1 [T, B, H] (LSTM c_prev, GRU W_hn h + b_hn,
 * classic GRU r*h_prev), then S2 [T, B, H] (h_prev). Cells: 0 RNN tanh,
 * 1 RNN relu, 2 LSTM, 3 GRU, 4 classic GRU (seqnn_cell). */

inline float rnn_b(__global const float *b, long off, long i)
{
    return HAS(off) ? b[off + i] : 0.0f;
}

inline int rnn_gates(int cell)
{
    return cell == 2 ? 4 : (cell >= 3 ? 3 : 1);
}

/* Returns the time index of step s for sequence b, or -1 when the step is past its length. */
inline long rnn_time(long s, long b, long T, int reverse, __global const int *lens, long lens_off)
{
    long len = HAS(lens_off) ? lens[lens_off + b] : T;
    if (s >= len)
        return -1;
    return reverse ? len - 1 - s : s;
}

/* One step, item (b, j). hg [B, G*H]: h W_hh^T of this step (classic GRU:
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
    long g = GID();
    if (g >= B * H)
        return;
    long b = g / H, j = g % H;
    int G = rnn_gates(cell);
    long GH = G * H;
    long t = rnn_time(s, b, T, reverse, lens, lens_off);
    long tt = t < 0 ? s : t;
    __global float *rg = res + res_off + (tt * B + b) * GH;
    __global float *r1 = res + res_off + T * B * GH + (tt * B + b) * H;
    __global float *r2 = res + res_off + T * B * GH + T * B * H + (tt * B + b) * H;
    if (t < 0) {
        if (HAS(y_off))
            y[y_off + (s * B + b) * ldy + j] = 0.0f;
        if (HAS(res_off)) {
            for (int q = 0; q < G; q++)
                rg[q * H + j] = 0.0f;
            r1[j] = 0.0f;
            r2[j] = 0.0f;
        }
        return;
    }
    __global const float *xr = xg + xg_off + (t * B + b) * GH;
    __global const float *hr = hg + hg_off + b * GH;
    float hp = h[h_off + g], hn, s1 = 0.0f;
    if (cell <= 1) {
        float a = xr[j] + rnn_b(bih, bih_off, j) + hr[j] + rnn_b(bhh, bhh_off, j);
        hn = cell == 0 ? tanh(a) : fmax(a, 0.0f);
        if (HAS(res_off))
            rg[j] = hn;
    } else if (cell == 2) {
        float pre[4];
        for (int q = 0; q < 4; q++) {
            long k = q * H + j;
            pre[q] = xr[k] + rnn_b(bih, bih_off, k) + hr[k] + rnn_b(bhh, bhh_off, k);
        }
        float ig = sigmoid_f(pre[0]), fg = sigmoid_f(pre[1]), gg = tanh(pre[2]), og = sigmoid_f(pre[3]);
        float cp = c[c_off + g];
        float cn = fg * cp + ig * gg;
        hn = og * tanh(cn);
        c[c_off + g] = cn;
        s1 = cp;
        if (HAS(res_off)) {
            rg[j] = ig;
            rg[H + j] = fg;
            rg[2 * H + j] = gg;
            rg[3 * H + j] = og;
        }
    } else {
        float r, z, n;
        if (cell == 3) {
            r = sigmoid_f(xr[j] + rnn_b(bih, bih_off, j) + hr[j] + rnn_b(bhh, bhh_off, j));
            z = sigmoid_f(xr[H + j] + rnn_b(bih, bih_off, H + j) + hr[H + j] + rnn_b(bhh, bhh_off, H + j));
            s1 = hr[2 * H + j] + rnn_b(bhh, bhh_off, 2 * H + j);
            n = tanh(xr[2 * H + j] + rnn_b(bih, bih_off, 2 * H + j) + r * s1);
        } else {
            r = hr[j];
            z = hr[H + j];
            s1 = r * hp;
            n = tanh(xr[2 * H + j] + rnn_b(bih, bih_off, 2 * H + j) + hr[2 * H + j] +
                     rnn_b(bhh, bhh_off, 2 * H + j));
        }
        hn = (1.0f - z) * n + z * hp;
        if (HAS(res_off)) {
            rg[j] = r;
            rg[H + j] = z;
            rg[2 * H + j] = n;
        }
    }
    h[h_off + g] = hn;
    if (HAS(y_off))
        y[y_off + (t * B + b) * ldy + j] = hn;
    if (HAS(res_off)) {
        r1[j] = s1;
        r2[j] = hp;
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
    long g = GID();
    if (g >= B * H)
        return;
    long b = g / H, j = g % H, GH = 3 * H;
    long t = rnn_time(s, b, T, reverse, lens, lens_off);
    if (t < 0) {
        rh[rh_off + g] = 0.0f;
        return;
    }
    __global const float *xr = xg + xg_off + (t * B + b) * GH;
    __global float *hr = hg + hg_off + b * GH;
    float r = sigmoid_f(xr[j] + rnn_b(bih, bih_off, j) + hr[j] + rnn_b(bhh, bhh_off, j));
    float z = sigmoid_f(xr[H + j] + rnn_b(bih, bih_off, H + j) + hr[H + j] + rnn_b(bhh, bhh_off, H + j));
    hr[j] = r;
    hr[H + j] = z;
    rh[rh_off + g] = r * h[h_off + g];
}

inline float rnn_dh_total(long t, long b, long j, long B, long ldy, __global const float *dy, long dy_off,
                          __global const float *dh, long dh_off, long g)
{
    return dh[dh_off + g] + (HAS(dy_off) ? dy[dy_off + (t * B + b) * ldy + j] : 0.0f);
}

/* Classic GRU backward, first half: dgs[b, 2H + j] = d(pre-activation of n). */
__kernel void rnn_classic_bwd_n(long s, long T, long B, long H, int reverse,
                                __global const int *lens, long lens_off,
                                __global const float *res, long res_off,
                                __global const float *dy, long dy_off, long ldy,
                                __global const float *dh, long dh_off,
                                __global float *dgs, long dgs_off)
{
    long g = GID();
    if (g >= B * H)
        return;
    long b = g / H, j = g % H, GH = 3 * H;
    long t = rnn_time(s, b, T, reverse, lens, lens_off);
    __global float *dr = dgs + dgs_off + b * GH;
    if (t < 0) {
        dr[2 * H + j] = 0.0f;
        return;
    }
    __global const float *rg = res + res_off + (t * B + b) * GH;
    float dht = rnn_dh_total(t, b, j, B, ldy, dy, dy_off, dh, dh_off, g);
    float z = rg[H + j], n = rg[2 * H + j];
    dr[2 * H + j] = dht * (1.0f - z) * (1.0f - n * n);
}

/* Backward of one step, item (b, j): gate gradients into dxg (for x, W_ih,
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
    long g = GID();
    if (g >= B * H)
        return;
    long b = g / H, j = g % H;
    int G = rnn_gates(cell);
    long GH = G * H;
    long t = rnn_time(s, b, T, reverse, lens, lens_off);
    __global float *ds = dgs + dgs_off + b * GH;
    if (t < 0) {
        for (int q = 0; q < G; q++)
            if (!(cell == 4 && q == 2))
                ds[q * H + j] = 0.0f;
        return;
    }
    __global const float *rg = res + res_off + (t * B + b) * GH;
    float s1 = res[res_off + T * B * GH + (t * B + b) * H + j];
    float hp = res[res_off + T * B * GH + T * B * H + (t * B + b) * H + j];
    __global float *dx = dxg + dxg_off + (t * B + b) * GH;
    float dht = rnn_dh_total(t, b, j, B, ldy, dy, dy_off, dh, dh_off, g);
    if (cell <= 1) {
        float hn = rg[j];
        float d = dht * (cell == 0 ? 1.0f - hn * hn : (hn > 0.0f ? 1.0f : 0.0f));
        dx[j] = d;
        ds[j] = d;
        dh[dh_off + g] = 0.0f;
    } else if (cell == 2) {
        float ig = rg[j], fg = rg[H + j], gg = rg[2 * H + j], og = rg[3 * H + j];
        float cn = fg * s1 + ig * gg;
        float tc = tanh(cn);
        float dct = dc[dc_off + g] + dht * og * (1.0f - tc * tc);
        float d[4];
        d[0] = dct * gg * ig * (1.0f - ig);
        d[1] = dct * s1 * fg * (1.0f - fg);
        d[2] = dct * ig * (1.0f - gg * gg);
        d[3] = dht * tc * og * (1.0f - og);
        for (int q = 0; q < 4; q++) {
            dx[q * H + j] = d[q];
            ds[q * H + j] = d[q];
        }
        dc[dc_off + g] = dct * fg;
        dh[dh_off + g] = 0.0f;
    } else {
        float r = rg[j], z = rg[H + j], n = rg[2 * H + j];
        float dnp = dht * (1.0f - z) * (1.0f - n * n);
        float dzp = dht * (hp - n) * z * (1.0f - z);
        float drv = cell == 3 ? dnp * s1 : drh[drh_off + g] * hp;
        float drp = drv * r * (1.0f - r);
        dx[j] = drp;
        dx[H + j] = dzp;
        dx[2 * H + j] = dnp;
        ds[j] = drp;
        ds[H + j] = dzp;
        if (cell == 3) {
            __global float *dk = dhg + dhg_off + (t * B + b) * GH;
            dk[j] = drp;
            dk[H + j] = dzp;
            dk[2 * H + j] = dnp * r;
            ds[2 * H + j] = dnp * r;
            dh[dh_off + g] = dht * z;
        } else {
            dh[dh_off + g] = dht * z + drh[drh_off + g] * r;
        }
    }
}

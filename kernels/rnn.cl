/* rnn.cl: the fused cell kernels of the recurrent layers (Elman tanh/relu,
 * LSTM, GRU in PyTorch's linear-before-reset form and in the classic form).
 * The host enqueues, per time step, one CLBlast GEMM for the recurrent
 * product and one of these kernels (two for the classic GRU), with no host
 * round trip. A work-item handles U = SEQNN_RNN_UNITS consecutive units
 * j .. j+U-1 of one sequence b (a build option the host picks per device:
 * 8 on CPU devices, whose compilers then run the gate math in SIMD
 * registers; 1 on GPUs, where neighbouring work-items then read neighbouring
 * floats; fewer at the end of a row): the host launches B * ceil(H / U)
 * items. Step s of sequence b visits time t = s (forward) or
 * len[b]-1-s (reverse); steps s >= len[b] leave the state alone, write
 * y[s, b] = 0 and zero the reserve at t = s.
 *
 * Reserve (indexed by time t): gates [T, B, G*H] (activated: RNN h', LSTM
 * i,f,g,o, GRU r,z,n), then S1 [T, B, H] (LSTM c_prev, GRU W_hn h + b_hn,
 * classic GRU r*h_prev), then S2 [T, B, H] (h_prev). Cells: 0 RNN tanh,
 * 1 RNN relu, 2 LSTM, 3 GRU, 4 classic GRU (seqnn_cell). */

#ifndef SEQNN_RNN_UNITS
#define SEQNN_RNN_UNITS 8
#endif
#if SEQNN_RNN_UNITS == 8
#define rnnv float8
#define RNN_VLOAD vload8
#define RNN_VSTORE vstore8
#elif SEQNN_RNN_UNITS == 4
#define rnnv float4
#define RNN_VLOAD vload4
#define RNN_VSTORE vstore4
#elif SEQNN_RNN_UNITS == 2
#define rnnv float2
#define RNN_VLOAD vload2
#define RNN_VSTORE vstore2
#elif SEQNN_RNN_UNITS == 1
#define rnnv float
#else
#error "SEQNN_RNN_UNITS must be 1, 2, 4 or 8"
#endif

/* Units i .. i+n-1 (n in 1..U; absent lanes read as 0 and are never written) */
inline rnnv rnn_ld(__global const float *p, long i, int n)
{
#if SEQNN_RNN_UNITS == 1
    return p[i];
#else
    if (n >= SEQNN_RNN_UNITS)
        return RNN_VLOAD(0, p + i);
    float v[SEQNN_RNN_UNITS];
    for (int k = 0; k < SEQNN_RNN_UNITS; k++)
        v[k] = k < n ? p[i + k] : 0.0f;
    return RNN_VLOAD(0, v);
#endif
}

inline void rnn_st(rnnv v, __global float *p, long i, int n)
{
#if SEQNN_RNN_UNITS == 1
    p[i] = v;
#else
    if (n >= SEQNN_RNN_UNITS) {
        RNN_VSTORE(v, 0, p + i);
        return;
    }
    float t[SEQNN_RNN_UNITS];
    RNN_VSTORE(v, 0, t);
    for (int k = 0; k < n; k++)
        p[i + k] = t[k];
#endif
}

inline rnnv rnn_sig(rnnv x)
{
    return 1.0f / (1.0f + exp(-x));
}

/* tanh, exactly +-1 past |x| > 9.1 (common.cl's tanh_f, for every width) */
inline rnnv rnn_tanh(rnnv x)
{
    return select(tanh(x), copysign((rnnv)1.0f, x), fabs(x) > 9.1f);
}

/* An optional bias at i (0 when absent): one element (rnn_variant.cl), U */
inline float rnn_b(__global const float *b, long off, long i)
{
    return HAS(off) ? b[off + i] : 0.0f;
}

inline rnnv rnn_bv(__global const float *b, long off, long i, int n)
{
    return HAS(off) ? rnn_ld(b, off + i, n) : (rnnv)0.0f;
}

inline int rnn_gates(int cell)
{
    return cell == 2 ? 4 : (cell >= 3 ? 3 : 1);
}

/* Item g of a step: sequence *b, units *j .. *j + *n - 1; 0 past the range. */
inline int rnn_item(long g, long B, long H, long *b, long *j, int *n)
{
    long q = (H + SEQNN_RNN_UNITS - 1) / SEQNN_RNN_UNITS;
    if (g >= B * q)
        return 0;
    *b = g / q;
    *j = (g % q) * SEQNN_RNN_UNITS;
    *n = (int)min((long)SEQNN_RNN_UNITS, H - *j);
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

/* Pre-activation of gate rows k .. k+U-1: x W_ih^T + b_ih + h W_hh^T + b_hh */
inline rnnv rnn_pre(__global const float *xr, __global const float *hr, __global const float *bih, long bih_off,
                      __global const float *bhh, long bhh_off, long k, int n)
{
    return rnn_ld(xr, k, n) + rnn_bv(bih, bih_off, k, n) + rnn_ld(hr, k, n) + rnn_bv(bhh, bhh_off, k, n);
}

/* One step, units (b, j .. j+U-1). hg [B, G*H]: h W_hh^T of this step (classic GRU:
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
    const rnnv zero = 0.0f;
    if (t < 0) {
        if (HAS(y_off))
            rnn_st(zero, y, y_off + (s * B + b) * ldy + j, n);
        if (HAS(res_off)) {
            for (int q = 0; q < G; q++)
                rnn_st(zero, rg, q * H + j, n);
            rnn_st(zero, r1, j, n);
            rnn_st(zero, r2, j, n);
        }
        return;
    }
    __global const float *xr = xg + xg_off + (t * B + b) * GH;
    __global const float *hr = hg + hg_off + b * GH;
    rnnv hp = rnn_ld(h, h_off + g, n), hn, s1 = zero;
    if (cell <= 1) {
        rnnv a = rnn_pre(xr, hr, bih, bih_off, bhh, bhh_off, j, n);
        hn = cell == 0 ? rnn_tanh(a) : fmax(a, 0.0f);
        if (HAS(res_off))
            rnn_st(hn, rg, j, n);
    } else if (cell == 2) {
        rnnv pre[4];
        for (int q = 0; q < 4; q++)
            pre[q] = rnn_pre(xr, hr, bih, bih_off, bhh, bhh_off, q * H + j, n);
        rnnv ig = rnn_sig(pre[0]), fg = rnn_sig(pre[1]), gg = rnn_tanh(pre[2]), og = rnn_sig(pre[3]);
        rnnv cp = rnn_ld(c, c_off + g, n);
        rnnv cn = fg * cp + ig * gg;
        hn = og * rnn_tanh(cn);
        rnn_st(cn, c, c_off + g, n);
        s1 = cp;
        if (HAS(res_off)) {
            rnn_st(ig, rg, j, n);
            rnn_st(fg, rg, H + j, n);
            rnn_st(gg, rg, 2 * H + j, n);
            rnn_st(og, rg, 3 * H + j, n);
        }
    } else {
        rnnv r, z, nn;
        if (cell == 3) {
            r = rnn_sig(rnn_pre(xr, hr, bih, bih_off, bhh, bhh_off, j, n));
            z = rnn_sig(rnn_pre(xr, hr, bih, bih_off, bhh, bhh_off, H + j, n));
            s1 = rnn_ld(hr, 2 * H + j, n) + rnn_bv(bhh, bhh_off, 2 * H + j, n);
            nn = rnn_tanh(rnn_ld(xr, 2 * H + j, n) + rnn_bv(bih, bih_off, 2 * H + j, n) + r * s1);
        } else {
            r = rnn_ld(hr, j, n);
            z = rnn_ld(hr, H + j, n);
            s1 = r * hp;
            nn = rnn_tanh(rnn_pre(xr, hr, bih, bih_off, bhh, bhh_off, 2 * H + j, n));
        }
        hn = (1.0f - z) * nn + z * hp;
        if (HAS(res_off)) {
            rnn_st(r, rg, j, n);
            rnn_st(z, rg, H + j, n);
            rnn_st(nn, rg, 2 * H + j, n);
        }
    }
    rnn_st(hn, h, h_off + g, n);
    if (HAS(y_off))
        rnn_st(hn, y, y_off + (t * B + b) * ldy + j, n);
    if (HAS(res_off)) {
        rnn_st(s1, r1, j, n);
        rnn_st(hp, r2, j, n);
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
        rnn_st((rnnv)0.0f, rh, rh_off + g, n);
        return;
    }
    __global const float *xr = xg + xg_off + (t * B + b) * GH;
    __global float *hr = hg + hg_off + b * GH;
    rnnv r = rnn_sig(rnn_pre(xr, hr, bih, bih_off, bhh, bhh_off, j, n));
    rnnv z = rnn_sig(rnn_pre(xr, hr, bih, bih_off, bhh, bhh_off, H + j, n));
    rnn_st(r, hr, j, n);
    rnn_st(z, hr, H + j, n);
    rnn_st(r * rnn_ld(h, h_off + g, n), rh, rh_off + g, n);
}

inline rnnv rnn_dh_total(long t, long b, long j, int n, long B, long ldy, __global const float *dy, long dy_off,
                           __global const float *dh, long dh_off, long g)
{
    return rnn_ld(dh, dh_off + g, n) + (HAS(dy_off) ? rnn_ld(dy, dy_off + (t * B + b) * ldy + j, n) : (rnnv)0.0f);
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
        rnn_st((rnnv)0.0f, dr, 2 * H + j, n);
        return;
    }
    __global const float *rg = res + res_off + (t * B + b) * GH;
    rnnv dht = rnn_dh_total(t, b, j, n, B, ldy, dy, dy_off, dh, dh_off, g);
    rnnv z = rnn_ld(rg, H + j, n), nn = rnn_ld(rg, 2 * H + j, n);
    rnn_st(dht * (1.0f - z) * (1.0f - nn * nn), dr, 2 * H + j, n);
}

/* Backward of one step, units (b, j .. j+U-1): gate gradients into dxg (for x, W_ih,
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
    const rnnv zero = 0.0f;
    if (t < 0) {
        for (int q = 0; q < G; q++)
            if (!(cell == 4 && q == 2))
                rnn_st(zero, ds, q * H + j, n);
        return;
    }
    __global const float *rg = res + res_off + (t * B + b) * GH;
    rnnv s1 = rnn_ld(res, res_off + T * B * GH + (t * B + b) * H + j, n);
    rnnv hp = rnn_ld(res, res_off + T * B * GH + T * B * H + (t * B + b) * H + j, n);
    __global float *dx = dxg + dxg_off + (t * B + b) * GH;
    rnnv dht = rnn_dh_total(t, b, j, n, B, ldy, dy, dy_off, dh, dh_off, g);
    if (cell <= 1) {
        rnnv hn = rnn_ld(rg, j, n);
        rnnv d = dht * (cell == 0 ? 1.0f - hn * hn : select(zero, (rnnv)1.0f, hn > 0.0f));
        rnn_st(d, dx, j, n);
        rnn_st(d, ds, j, n);
        rnn_st(zero, dh, dh_off + g, n);
    } else if (cell == 2) {
        rnnv ig = rnn_ld(rg, j, n), fg = rnn_ld(rg, H + j, n), gg = rnn_ld(rg, 2 * H + j, n), og = rnn_ld(rg, 3 * H + j, n);
        rnnv cn = fg * s1 + ig * gg;
        rnnv tc = rnn_tanh(cn);
        rnnv dct = rnn_ld(dc, dc_off + g, n) + dht * og * (1.0f - tc * tc);
        rnnv d[4];
        d[0] = dct * gg * ig * (1.0f - ig);
        d[1] = dct * s1 * fg * (1.0f - fg);
        d[2] = dct * ig * (1.0f - gg * gg);
        d[3] = dht * tc * og * (1.0f - og);
        for (int q = 0; q < 4; q++) {
            rnn_st(d[q], dx, q * H + j, n);
            rnn_st(d[q], ds, q * H + j, n);
        }
        rnn_st(dct * fg, dc, dc_off + g, n);
        rnn_st(zero, dh, dh_off + g, n);
    } else {
        rnnv r = rnn_ld(rg, j, n), z = rnn_ld(rg, H + j, n), nn = rnn_ld(rg, 2 * H + j, n);
        rnnv dnp = dht * (1.0f - z) * (1.0f - nn * nn);
        rnnv dzp = dht * (hp - nn) * z * (1.0f - z);
        rnnv drv = cell == 3 ? dnp * s1 : rnn_ld(drh, drh_off + g, n) * hp;
        rnnv drp = drv * r * (1.0f - r);
        rnn_st(drp, dx, j, n);
        rnn_st(dzp, dx, H + j, n);
        rnn_st(dnp, dx, 2 * H + j, n);
        rnn_st(drp, ds, j, n);
        rnn_st(dzp, ds, H + j, n);
        if (cell == 3) {
            __global float *dk = dhg + dhg_off + (t * B + b) * GH;
            rnn_st(drp, dk, j, n);
            rnn_st(dzp, dk, H + j, n);
            rnn_st(dnp * r, dk, 2 * H + j, n);
            rnn_st(dnp * r, ds, 2 * H + j, n);
            rnn_st(dht * z, dh, dh_off + g, n);
        } else {
            rnn_st(dht * z + rnn_ld(drh, drh_off + g, n) * r, dh, dh_off + g, n);
        }
    }
}

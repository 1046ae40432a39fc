/* conv.cl: 1-D cross-correlation (stride, padding, dilation) with its three
 * backward parts, max-over-time pooling (over every position, or the
 * first lengths[b] of row b), and the two fused with an activation between
 * (conv1d_max_forward). The direct kernels run one item per output element;
 * sums run in a fixed order. The GEMM path (GPUs) runs the contractions as
 * CLBlast GEMMs over an im2col matrix col [B*out_len, cin*ks] and uses the
 * small kernels at the end of this file around them. */

/* The shape arguments of every conv1d kernel, after its tensors (the host's
 * ocl_conv_shape passes them in this order). */
#define CONV_SHAPE long batch, long cin, long cout, long in_len, long out_len, long ks, long stride, long pad, long dil
/* A [B, C, L] tensor t with the strides s_sb, s_sc, s_sl; CONV_BC: a [B, C]
 * one (pooled, one value per channel) with s_sb, s_sc. */
#define CONV_BCL(q, t, s) q float *t, long t##_off, long s##_sb, long s##_sc, long s##_sl
#define CONV_BC(q, t, s) q float *t, long t##_off, long s##_sb, long s##_sc
/* This item's index over a range of n items, split into (i0, i1, i2) of a
 * [*, n1, n2] grid; an item past the range returns. */
#define CONV_ITEM(n, n1, n2, i0, i1, i2) \
    long g = GID(); \
    if (g >= (n)) \
        return; \
    long i0 = g / ((n1) * (n2)), i1 = (g / (n2)) % (n1), i2 = g % (n2)

/* s plus the conv of output position l with filter wo [cin, ks] over the row
 * xb (channel stride x_sc, position stride x_sl): c, then k, in order. */
inline float conv_window(__global const float *xb, long x_sc, long x_sl, __global const float *wo, float s, long l,
                         long cin, long in_len, long ks, long stride, long pad, long dil)
{
    for (long c = 0; c < cin; c++)
        for (long k = 0; k < ks; k++) {
            long p = l * stride - pad + k * dil;
            if (p >= 0 && p < in_len)
                s += wo[c * ks + k] * xb[c * x_sc + p * x_sl];
        }
    return s;
}

/* q / d when d divides q (q >= 0, d >= 1), else -1; no division when d is 1
 * (64-bit division is slow on GPUs) */
inline long conv_exact_div(long q, long d)
{
    if (d == 1)
        return q;
    long r = q / d;
    return r * d == q ? r : -1;
}

/* The window conv1d_max_forward chose for (b, o), or -1 when the argmax is
 * outside [0, out_len). */
inline long conv_max_window(__global const int *am, long am_off, long b, long o, long cout, long out_len)
{
    long l = am[am_off + b * cout + o];
    return l >= 0 && l < out_len ? l : -1;
}

__kernel void conv1d_forward(CONV_BCL(__global const, x, x), __global const float *w, long w_off,
                             __global const float *bias, long b_off, CONV_BCL(__global, y, y), CONV_SHAPE)
{
    CONV_ITEM(batch * cout * out_len, cout, out_len, b, o, l);
    float s = HAS(b_off) ? bias[b_off + o] : 0.0f;
    y[y_off + b * y_sb + o * y_sc + l * y_sl] =
        conv_window(x + x_off + b * x_sb, x_sc, x_sl, w + w_off + o * cin * ks, s, l, cin, in_len, ks, stride, pad, dil);
}

/* dx[b, c, p] (+)= sum_{o,k: p = l*stride - pad + k*dil} w[o, c, k] dy[b, o, l] */
__kernel void conv1d_backward_x(CONV_BCL(__global const, dy, y), __global const float *w, long w_off,
                                CONV_BCL(__global, dx, x), CONV_SHAPE, int acc)
{
    CONV_ITEM(batch * cin * in_len, cin, in_len, b, c, p);
    float s = 0.0f;
    for (long o = 0; o < cout; o++)
        for (long k = 0; k < ks; k++) {
            long q = p + pad - k * dil;
            long l = q < 0 ? -1 : conv_exact_div(q, stride);
            if (l >= 0 && l < out_len)
                s += w[w_off + (o * cin + c) * ks + k] * dy[dy_off + b * y_sb + o * y_sc + l * y_sl];
        }
    __global float *d = dx + dx_off + b * x_sb + c * x_sc + p * x_sl;
    *d = acc_f(acc, *d, s);
}

/* dw[o, c, k] (+)= sum_{b,l} x[b, c, l*stride - pad + k*dil] dy[b, o, l] */
__kernel void conv1d_backward_w(CONV_BCL(__global const, x, x), CONV_BCL(__global const, dy, y),
                                __global float *dw, long dw_off, CONV_SHAPE, int acc)
{
    CONV_ITEM(cout * cin * ks, cin, ks, o, c, k);
    float s = 0.0f;
    for (long b = 0; b < batch; b++)
        for (long l = 0; l < out_len; l++) {
            long p = l * stride - pad + k * dil;
            if (p >= 0 && p < in_len)
                s += x[x_off + b * x_sb + c * x_sc + p * x_sl] * dy[dy_off + b * y_sb + o * y_sc + l * y_sl];
        }
    dw[dw_off + g] = acc_f(acc, dw[dw_off + g], s);
}

/* db[o] (+)= sum_{b,l} dy[b, o, l] */
__kernel void conv1d_backward_b(CONV_BCL(__global const, dy, y), __global float *db, long db_off, long batch, long cout, long out_len, int acc)
{
    long o = GID();
    if (o >= cout)
        return;
    float s = 0.0f;
    for (long b = 0; b < batch; b++)
        for (long l = 0; l < out_len; l++)
            s += dy[dy_off + b * y_sb + o * y_sc + l * y_sl];
    db[db_off + o] = acc_f(acc, db[db_off + o], s);
}

/* the maximum of xr[l * sl] for l < n (n >= 1) and in *best the first l
 * attaining it; a NaN counts as the maximum (the first NaN wins) */
inline float maxpool_row(__global const float *xr, long n, long sl, int *best)
{
    float m = xr[0];
    *best = 0;
    for (long l = 1; l < n && !isnan(m); l++) {
        float v = xr[l * sl];
        if (v > m || isnan(v)) {
            m = v;
            *best = (int)l;
        }
    }
    return m;
}

/* y[b, c] = max_l x[b, c, l], argmax = first l attaining it; a NaN counts as
 * the maximum (the first NaN wins) */
__kernel void maxpool_forward(__global const float *x, long x_off, long x_sb, long x_sc, long x_sl,
                              __global float *y, long y_off, long y_sb, long y_sc,
                              __global int *am, long am_off, long batch, long ch, long len)
{
    long g = GID();
    if (g >= batch * ch)
        return;
    long b = g / ch, c = g % ch;
    int best;
    y[y_off + b * y_sb + c * y_sc] = maxpool_row(x + x_off + b * x_sb + c * x_sc, len, x_sl, &best);
    am[am_off + g] = best;
}

/* dx[b, c, argmax] += dy[b, c]; with overwrite the rest of the row is zeroed */
__kernel void maxpool_backward(__global const float *dy, long dy_off, long y_sb, long y_sc,
                               __global const int *am, long am_off,
                               __global float *dx, long dx_off, long x_sb, long x_sc, long x_sl,
                               long batch, long ch, long len, int acc)
{
    long g = GID();
    if (g >= batch * ch)
        return;
    long b = g / ch, c = g % ch;
    __global float *dr = dx + dx_off + b * x_sb + c * x_sc;
    if (!acc)
        for (long l = 0; l < len; l++)
            dr[l * x_sl] = 0.0f;
    int a = am[am_off + g];
    if (a >= 0 && a < len)
        dr[a * x_sl] += dy[dy_off + b * y_sb + c * y_sc];
}

/* y[b, c] = max_l x[b, c, l] over the first lens[b] positions of row b (every
 * position when lens is absent), argmax = the first l attaining it; a NaN is
 * the maximum and the first NaN wins */
__kernel void maxpool_lengths_forward(__global const float *x, long x_off, long x_sb, long x_sc, long x_sl,
                                      __global float *y, long y_off, long y_sb, long y_sc,
                                      __global int *am, long am_off, __global const int *lens, long lens_off,
                                      long batch, long ch, long len)
{
    long g = GID();
    if (g >= batch * ch)
        return;
    long b = g / ch, c = g % ch;
    long n = HAS(lens_off) ? (long)lens[lens_off + b] : len;
    int best;
    y[y_off + b * y_sb + c * y_sc] = maxpool_row(x + x_off + b * x_sb + c * x_sc, n, x_sl, &best);
    am[am_off + g] = best;
}

/* One window of the running first maximum of conv1d_max_forward: the
 * activation of the conv value s at window l (act < 0: none) against the
 * maximum so far; a NaN is the maximum and the first NaN wins. */
inline void conv_max_step(float s, long l, int act, float alpha, float *best, float *best_pre, int *arg)
{
    float v = act < 0 ? s : act_f(act, alpha, s);
    if (l == 0 || v > *best || isnan(v)) {
        *best = v;
        *best_pre = s;
        *arg = (int)l;
    }
}

/* conv1d_max_forward: one item per (b, o). The conv of each window in turn
 * (bias first, then c and k in order, as conv1d_forward), the activation
 * (act < 0: none), and the running first maximum over the first lens[b]
 * windows (every window when lens is absent); a NaN is the maximum and the
 * first NaN wins. Only y, pre (when present) and the argmax are written. */
__kernel void conv1d_max_forward(CONV_BCL(__global const, x, x), __global const float *w, long w_off,
                                 __global const float *bias, long b_off, CONV_BC(__global, y, y),
                                 __global float *pre, long pre_off, __global int *am, long am_off,
                                 __global const int *lens, long lens_off, int act, float alpha, CONV_SHAPE)
{
    long g = GID();
    if (g >= batch * cout)
        return;
    long b = g / cout, o = g % cout;
    long n = HAS(lens_off) ? (long)lens[lens_off + b] : out_len;
    __global const float *xb = x + x_off + b * x_sb;
    __global const float *wo = w + w_off + o * cin * ks;
    float best = 0.0f, best_pre = 0.0f;
    int arg = 0;
    for (long l = 0; l < n && !(l > 0 && isnan(best)); l++)
        conv_max_step(conv_window(xb, x_sc, x_sl, wo, HAS(b_off) ? bias[b_off + o] : 0.0f, l, cin, in_len, ks,
                                  stride, pad, dil), l, act, alpha, &best, &best_pre, &arg);
    y[y_off + b * y_sb + o * y_sc] = best;
    if (HAS(pre_off))
        pre[pre_off + b * y_sb + o * y_sc] = best_pre;
    am[am_off + g] = arg;
}

/* conv1d_max_backward, the gradient of the conv output being dy[b, o] at
 * window am[b*cout + o] only (an argmax outside [0, out_len) is skipped).
 * dw[o, c, k] (+)= sum_b dy[b, o] x[b, c, am*stride - pad + k*dil]: one item per (o, c, k) */
__kernel void conv1d_max_backward_w(CONV_BCL(__global const, x, x), CONV_BC(__global const, dy, y),
                                    __global const int *am, long am_off, __global float *dw, long dw_off, CONV_SHAPE,
                                    int acc)
{
    CONV_ITEM(cout * cin * ks, cin, ks, o, c, k);
    float s = 0.0f;
    for (long b = 0; b < batch; b++) {
        long l = conv_max_window(am, am_off, b, o, cout, out_len), p = l * stride - pad + k * dil;
        if (l >= 0 && p >= 0 && p < in_len)
            s += dy[dy_off + b * y_sb + o * y_sc] * x[x_off + b * x_sb + c * x_sc + p * x_sl];
    }
    dw[dw_off + g] = acc_f(acc, dw[dw_off + g], s);
}

/* db[o] (+)= sum_b dy[b, o] */
__kernel void conv1d_max_backward_b(CONV_BC(__global const, dy, y), __global float *db, long db_off, long batch, long cout, int acc)
{
    long o = GID();
    if (o >= cout)
        return;
    float s = 0.0f;
    for (long b = 0; b < batch; b++)
        s += dy[dy_off + b * y_sb + o * y_sc];
    db[db_off + o] = acc_f(acc, db[db_off + o], s);
}

/* dx[b, c, p] (+)= sum over the filters o whose window am[b, o] reads p
 * through tap k of dy[b, o] w[o, c, k]: one item per (b, c, p) */
__kernel void conv1d_max_backward_x(CONV_BC(__global const, dy, y), __global const int *am, long am_off,
                                    __global const float *w, long w_off, CONV_BCL(__global, dx, x), CONV_SHAPE,
                                    int acc)
{
    CONV_ITEM(batch * cin * in_len, cin, in_len, b, c, p);
    float s = 0.0f;
    for (long o = 0; o < cout; o++) {
        long l = conv_max_window(am, am_off, b, o, cout, out_len), q = p + pad - l * stride;
        long k = l < 0 || q < 0 ? -1 : conv_exact_div(q, dil);
        if (k < 0 || k >= ks)
            continue;
        s += dy[dy_off + b * y_sb + o * y_sc] * w[w_off + (o * cin + c) * ks + k];
    }
    __global float *d = dx + dx_off + b * x_sb + c * x_sc + p * x_sl;
    *d = acc_f(acc, *d, s);
}

/* ---- the GEMM path: col [B*out_len, cin*ks] and z [B*out_len, cout] (z =
 * col w^T, the conv without its bias; one row per output position) */

/* col[b*out_len + l, c*ks + k] = x[b, c, l*stride - pad + k*dil], 0 outside
 * the input: one item per element of col */
__kernel void conv1d_im2col(CONV_BCL(__global const, x, x), __global float *col, long col_off, CONV_SHAPE)
{
    CONV_ITEM(batch * out_len * cin * ks, out_len, cin * ks, b, l, ck);
    long c = ck / ks, k = ck % ks, p = l * stride - pad + k * dil;
    col[col_off + g] = p >= 0 && p < in_len ? x[x_off + b * x_sb + c * x_sc + p * x_sl] : 0.0f;
}

/* y[b, o, l] = z[b*out_len + l, o] + bias[o]: one item per element of y */
__kernel void conv1d_gemm_out(__global const float *z, long z_off, __global const float *bias, long b_off,
                              CONV_BCL(__global, y, y), long batch, long cout, long out_len)
{
    CONV_ITEM(batch * cout * out_len, cout, out_len, b, o, l);
    y[y_off + b * y_sb + o * y_sc + l * y_sl] =
        z[z_off + (b * out_len + l) * cout + o] + (HAS(b_off) ? bias[b_off + o] : 0.0f);
}

/* conv1d_max_forward from z: one item per (b, o), neighbours reading
 * neighbouring floats of z's rows; windows l in order as there */
__kernel void conv1d_max_gemm(__global const float *z, long z_off, __global const float *bias, long b_off,
                              CONV_BC(__global, y, y), __global float *pre, long pre_off, __global int *am,
                              long am_off, __global const int *lens, long lens_off, int act, float alpha,
                              long batch, long cout, long out_len)
{
    long g = GID();
    if (g >= batch * cout)
        return;
    long b = g / cout, o = g % cout;
    long n = HAS(lens_off) ? (long)lens[lens_off + b] : out_len;
    float bo = HAS(b_off) ? bias[b_off + o] : 0.0f, best = 0.0f, best_pre = 0.0f;
    int arg = 0;
    __global const float *zb = z + z_off + b * out_len * cout + o;
    for (long l = 0; l < n && !(l > 0 && isnan(best)); l++)
        conv_max_step(zb[l * cout] + bo, l, act, alpha, &best, &best_pre, &arg);
    y[y_off + b * y_sb + o * y_sc] = best;
    if (HAS(pre_off))
        pre[pre_off + b * y_sb + o * y_sc] = best_pre;
    am[am_off + g] = arg;
}

/* d[b*out_len + l, o] = dy[b, o, l] (dy as z's rows): one item per element */
__kernel void conv1d_gather_dy(CONV_BCL(__global const, dy, y), __global float *d, long d_off, long batch, long cout,
                               long out_len)
{
    CONV_ITEM(batch * out_len * cout, out_len, cout, b, l, o);
    d[d_off + g] = dy[dy_off + b * y_sb + o * y_sc + l * y_sl];
}

/* dx[b, c, p] (+)= sum over the taps k (in order) of the windows l that read
 * p (p = l*stride - pad + k*dil) of dcol[b*out_len + l, c*ks + k]: one item
 * per (b, c, p) */
__kernel void conv1d_col2im(__global const float *dcol, long dcol_off, CONV_BCL(__global, dx, x), CONV_SHAPE,
                            int acc)
{
    CONV_ITEM(batch * cin * in_len, cin, in_len, b, c, p);
    float s = 0.0f;
    for (long k = 0; k < ks; k++) {
        long q = p + pad - k * dil;
        long l = q < 0 ? -1 : conv_exact_div(q, stride);
        if (l >= 0 && l < out_len)
            s += dcol[dcol_off + (b * out_len + l) * cin * ks + c * ks + k];
    }
    __global float *d = dx + dx_off + b * x_sb + c * x_sc + p * x_sl;
    *d = acc_f(acc, *d, s);
}

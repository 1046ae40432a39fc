/* elementwise.cl: GEMM's C scaling (k == 0, beta == 0), bias add and its
 * column sums, activations, add/mul/scale, copy2d, softmax and log-softmax (one
 * work-group per row), dropout with the Philox mask. */

/* C[b, r, c] = beta == 0 ? 0 : beta * C  over batch*m*n items */
__kernel void gemm_scale_c(__global float *c, long c_off, long ldc, long stride_c,
                           long batch, long m, long n, float beta)
{
    long g = GID();
    if (g >= batch * m * n)
        return;
    long b = g / (m * n), r = (g / n) % m, col = g % n;
    __global float *p = c + c_off + b * stride_c + r * ldc + col;
    *p = beta == 0.0f ? 0.0f : beta * *p;
}

/* y[r, c] += b[c] */
__kernel void bias_add(__global float *y, long y_off, long ldy, __global const float *b, long b_off,
                       long rows, long cols)
{
    long g = GID();
    if (g >= rows * cols)
        return;
    long r = g / cols, c = g % cols;
    y[y_off + r * ldy + c] += b[b_off + c];
}

/* db[c] (+)= sum_r dy[r, c]: one item per column, rows in order */
/* Column sums db (+)= sum_r dy[r, :] in two passes, in a fixed order:
 * colsum_partial item (k, q) sums rows [k*chunk, (k+1)*chunk) of columns
 * 8q .. 8q+7 into part[k, :] (row by row, so each item reads contiguous
 * rows: CPUs stream them); colsum_final adds the chunks in order. */
__kernel void colsum_partial(__global const float *dy, long dy_off, long ldy, long rows, long cols, long chunk,
                             __global float *part, long part_off)
{
    long g = GID(), q = (cols + 7) / 8;
    if (g >= q * ((rows + chunk - 1) / chunk))
        return;
    long k = g / q, c = (g % q) * 8, r1 = min(rows, (k + 1) * chunk);
    int n = (int)min(8L, cols - c);
    float8 s = 0.0f;
    for (long r = k * chunk; r < r1; r++)
        s += ld8(dy, dy_off + r * ldy + c, n);
    st8(s, part, part_off + k * cols + c, n);
}

__kernel void colsum_final(__global const float *part, long part_off, long chunks, long cols,
                           __global float *db, long db_off, int acc)
{
    long c = GID();
    if (c >= cols)
        return;
    float s = 0.0f;
    for (long k = 0; k < chunks; k++)
        s += part[part_off + k * cols + c];
    db[db_off + c] = acc_f(acc, db[db_off + c], s);
}

__kernel void act_forward(__global const float *x, long x_off, __global float *y, long y_off,
                          long n, int kind, float alpha)
{
    long i = GID();
    if (i >= n)
        return;
    y[y_off + i] = act_f(kind, alpha, x[x_off + i]);
}

/* dx (+)= dy * f'(x); dx may be dy (then acc == 0) */
__kernel void act_backward(__global const float *x, long x_off, __global const float *y, long y_off,
                           __global const float *dy, long dy_off, __global float *dx, long dx_off,
                           long n, int kind, float alpha, int acc)
{
    long i = GID();
    if (i >= n)
        return;
    float g = dy[dy_off + i] * act_df(kind, alpha, x[x_off + i], y[y_off + i]);
    dx[dx_off + i] = acc_f(acc, dx[dx_off + i], g);
}

/* z = alpha*x + beta*y (y absent: 0) */
__kernel void ew_add(__global const float *x, long x_off, __global const float *y, long y_off,
                     __global float *z, long z_off, long n, float alpha, float beta)
{
    long i = GID();
    if (i >= n)
        return;
    float v = alpha * x[x_off + i];
    if (HAS(y_off))
        v += beta * y[y_off + i];
    z[z_off + i] = v;
}

/* z = alpha*x*y + beta*z (beta == 0: z not read) */
__kernel void ew_mul(__global const float *x, long x_off, __global const float *y, long y_off,
                     __global float *z, long z_off, long n, float alpha, float beta)
{
    long i = GID();
    if (i >= n)
        return;
    float v = alpha * x[x_off + i] * y[y_off + i];
    if (beta != 0.0f)
        v += beta * z[z_off + i];
    z[z_off + i] = v;
}

__kernel void ew_scale(__global const float *x, long x_off, __global float *z, long z_off,
                       long n, float alpha)
{
    long i = GID();
    if (i >= n)
        return;
    z[z_off + i] = alpha * x[x_off + i];
}

/* dst (+)= src */
__kernel void acc_copy(__global float *dst, long dst_off, __global const float *src, long src_off,
                       long n, int acc)
{
    long i = GID();
    if (i >= n)
        return;
    dst[dst_off + i] = acc_f(acc, dst[dst_off + i], src[src_off + i]);
}

/* y[r * ldy + c] = x[r * ldx + c] over rows x cols: moved as 32-bit words,
 * so every float keeps its bits (NaN payloads included) */
__kernel void copy2d(__global const uint *x, long x_off, long ldx, __global uint *y, long y_off, long ldy,
                     long cols, long n)
{
    long i = GID();
    if (i >= n)
        return;
    long r = i / cols, c = i - r * cols;
    y[y_off + r * ldy + c] = x[x_off + r * ldx + c];
}

/* One work-group per row; y may be x. */
__kernel void softmax_forward(__global const float *x, long x_off, __global float *y, long y_off,
                              long cols, int log_, __local float *s)
{
    long r = get_group_id(0);
    uint l = get_local_id(0), nl = get_local_size(0);
    __global const float *xr = x + x_off + r * cols;
    __global float *yr = y + y_off + r * cols;
    float m = -INFINITY;
    for (long j = l; j < cols; j += nl)
        m = fmax(m, xr[j]);
    m = group_max(s, m);
    float sum = 0.0f;
    for (long j = l; j < cols; j += nl)
        sum += exp(xr[j] - m);
    sum = group_sum(s, sum);
    if (log_) {
        float lse = log(sum);
        for (long j = l; j < cols; j += nl)
            yr[j] = xr[j] - m - lse;
    } else {
        float inv = 1.0f / sum;
        for (long j = l; j < cols; j += nl)
            yr[j] = exp(xr[j] - m) * inv;
    }
}

/* softmax: dx (+)= y (dy - sum dy*y); log-softmax: dx (+)= dy - exp(y) sum dy */
__kernel void softmax_backward(__global const float *y, long y_off, __global const float *dy, long dy_off,
                               __global float *dx, long dx_off, long cols, int log_, int acc,
                               __local float *s)
{
    long r = get_group_id(0);
    uint l = get_local_id(0), nl = get_local_size(0);
    __global const float *yr = y + y_off + r * cols;
    __global const float *dyr = dy + dy_off + r * cols;
    __global float *dxr = dx + dx_off + r * cols;
    float t = 0.0f;
    for (long j = l; j < cols; j += nl)
        t += log_ ? dyr[j] : dyr[j] * yr[j];
    t = group_sum(s, t);
    for (long j = l; j < cols; j += nl) {
        float g = log_ ? dyr[j] - exp(yr[j]) * t : yr[j] * (dyr[j] - t);
        dxr[j] = acc_f(acc, dxr[j], g);
    }
}

/* Dropout: one work item per Philox block, the stream positions
 * (offset & ~3) + 4g .. + 3, i.e. elements i0 .. i0 + 3 (i0 returned; those
 * outside [0, n) are not this call's); keep[k] iff (word k >> 8) >= threshold. */
inline long dropout_block(ulong seed, ulong offset, long g, uint threshold, int keep[4])
{
    uint4 w = philox4x32_10(seed, ((offset & ~(ulong)3) + 4 * (ulong)g) >> 2);
    keep[0] = (w.s0 >> 8) >= threshold;
    keep[1] = (w.s1 >> 8) >= threshold;
    keep[2] = (w.s2 >> 8) >= threshold;
    keep[3] = (w.s3 >> 8) >= threshold;
    return 4 * g - (long)(offset & 3);
}

/* y = keep ? x / keep_p : 0 */
__kernel void dropout_forward(__global const float *x, long x_off, __global float *y, long y_off,
                              long n, ulong seed, ulong offset, uint threshold, float keep_p)
{
    int keep[4];
    long i0 = dropout_block(seed, offset, GID(), threshold, keep);
    for (int k = 0; k < 4; k++) {
        long i = i0 + k;
        if (i >= 0 && i < n)
            y[y_off + i] = keep[k] ? x[x_off + i] / keep_p : 0.0f;
    }
}

__kernel void dropout_backward(__global const float *dy, long dy_off, __global float *dx, long dx_off,
                               long n, ulong seed, ulong offset, uint threshold, float keep_p, int acc)
{
    int keep[4];
    long i0 = dropout_block(seed, offset, GID(), threshold, keep);
    for (int k = 0; k < 4; k++) {
        long i = i0 + k;
        if (i >= 0 && i < n) {
            float g = keep[k] ? dy[dy_off + i] / keep_p : 0.0f;
            dx[dx_off + i] = acc_f(acc, dx[dx_off + i], g);
        }
    }
}

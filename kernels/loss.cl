/* loss.cl: deterministic sum reductions (partial sums per work-group, then
 * one group), the losses built on them (MSE, BCE with logits, softmax
 * cross-entropy with class weights, label smoothing and per-row losses, of
 * which plain cross-entropy is the unweighted case) and their backward passes. */

/* term of mode: 0 a^2, 1 (a-b)^2, 2 bce(a, b), 3 a */
inline float reduce_term(int mode, float a, float b)
{
    switch (mode) {
    case 0: return a * a;
    case 1: return (a - b) * (a - b);
    case 2: return fmax(a, 0.0f) - a * b + log1p(exp(-fabs(a)));
    default: return a;
    }
}

/* partial[group] = sum of term over the items' strided elements (each item
 * sums its elements in order with compensation, then the group's tree) */
__kernel void reduce_partial(int mode, __global const float *a, long a_off, __global const float *b,
                             long b_off, long n, __global float *partial, long partial_off,
                             __local float *s)
{
    long stride = (long)get_global_size(0);
    float sum = 0.0f, comp = 0.0f;
    for (long i = GID(); i < n; i += stride) {
        float t = reduce_term(mode, a[a_off + i], HAS(b_off) ? b[b_off + i] : 0.0f) - comp;
        float u = sum + t;
        comp = (u - sum) - t;
        sum = u;
    }
    sum = group_sum(s, sum);
    if (get_local_id(0) == 0)
        partial[partial_off + get_group_id(0)] = sum;
}

/* out[0] = (acc ? out[0] : 0) + sum(partial) / divisor; one work-group */
__kernel void reduce_final(__global const float *partial, long partial_off, long groups,
                           __global float *out, long out_off, float divisor, int acc,
                           __local float *s)
{
    float sum = 0.0f;
    for (long g = get_local_id(0); g < groups; g += get_local_size(0))
        sum += partial[partial_off + g];
    sum = group_sum(s, sum);
    if (get_local_id(0) == 0)
        out[out_off] = acc_f(acc, out[out_off], sum / divisor);
}

/* out[0] = mean ? (count != 0 ? sum / count : 0) : sum, from two partial sets
 * (loss sums and counted rows, or their target weights); one work-group */
__kernel void reduce_final_mean(__global const float *p1, long p1_off, long g1,
                                __global const float *p2, long p2_off, long g2,
                                __global float *out, long out_off, int mean, __local float *s)
{
    float a = 0.0f, c = 0.0f;
    for (long g = get_local_id(0); g < g1; g += get_local_size(0))
        a += p1[p1_off + g];
    a = group_sum(s, a);
    for (long g = get_local_id(0); g < g2; g += get_local_size(0))
        c += p2[p2_off + g];
    c = group_sum(s, c);
    if (get_local_id(0) == 0)
        out[out_off] = mean ? (c != 0.0f ? a / c : 0.0f) : a;
}

/* class weight j (1 without a weight tensor) */
inline float class_weight(__global const float *w, long w_off, long j)
{
    return HAS(w_off) ? w[w_off + j] : 1.0f;
}

/* xent_ext, one work-group per row: rowloss[r] = (1 - eps) w_t (lse - x_t) +
 * eps / C sum_j w_j (lse - x_j) (0 if ignored; NaN for a target out of
 * range), rowcnt[r] = w_t if counted (the MEAN's divisor sums it), else 0.
 * eps is the same for every item, so every item reaches every barrier. */
__kernel void xent_ext_rows(__global const float *logits, long l_off, __global const int *target, long t_off,
                            int ignore_index, long cols, __global const float *w, long w_off, float eps,
                            __global float *rowloss, long rl_off, __global float *rowcnt, long rc_off,
                            __local float *s)
{
    long r = get_group_id(0);
    uint l = get_local_id(0), nl = get_local_size(0);
    __global const float *x = logits + l_off + r * cols;
    int t = target[t_off + r];
    float m = -INFINITY;
    for (long j = l; j < cols; j += nl)
        m = fmax(m, x[j]);
    m = group_max(s, m);
    /* logsumexp - m = log1p(ties - 1 + rest): the maxima contribute exactly 1
     * each, so that a loss near 0 keeps its relative accuracy */
    float rest = 0.0f, ties = 0.0f;
    for (long j = l; j < cols; j += nl) {
        if (x[j] == m)
            ties += 1.0f;
        else
            rest += exp(x[j] - m);
    }
    rest = group_sum(s, rest);
    ties = group_sum(s, ties);
    float lse_m = log1p((ties - 1.0f) + rest), smooth = 0.0f;
    if (eps != 0.0f) {
        for (long j = l; j < cols; j += nl)
            smooth += class_weight(w, w_off, j) * (lse_m - (x[j] - m));
        smooth = group_sum(s, smooth);
    }
    if (l == 0) {
        int counted = t != ignore_index, ok = t >= 0 && t < cols;
        float wt = ok ? class_weight(w, w_off, t) : NAN;
        float loss = (1.0f - eps) * wt * (lse_m + (m - (ok ? x[t] : 0.0f)));
        if (eps != 0.0f)
            loss += eps / (float)cols * smooth;
        rowloss[rl_off + r] = counted ? loss : 0.0f;
        rowcnt[rc_off + r] = counted ? wt : 0.0f;
    }
}

/* dlogits[r, j] (+)= g_r ((1 - eps) w_t (p_j - [j == t]) + eps / C (S p_j - w_j)),
 * g_r = dloss * dlosses[r] (NONE), dloss / W (W read from the device; 0: every
 * row gets 0), dloss (SUM) */
__kernel void xent_ext_backward(__global const float *logits, long l_off, __global const int *target, long t_off,
                                int ignore_index, long cols, __global const float *w, long w_off, float eps,
                                __global const float *divisor, long div_off, __global const float *dlosses,
                                long dls_off, float dloss, __global float *dlogits, long d_off, int acc,
                                __local float *s)
{
    long r = get_group_id(0);
    uint l = get_local_id(0), nl = get_local_size(0);
    __global const float *x = logits + l_off + r * cols;
    __global float *d = dlogits + d_off + r * cols;
    int t = target[t_off + r];
    float div = HAS(div_off) ? divisor[div_off] : 1.0f;
    int counted = t != ignore_index && div != 0.0f;
    float g = HAS(dls_off) ? dloss * dlosses[dls_off + r] : dloss / (div != 0.0f ? div : 1.0f);
    float m = -INFINITY, wsum = 0.0f;
    for (long j = l; j < cols; j += nl) {
        m = fmax(m, x[j]);
        wsum += class_weight(w, w_off, j);
    }
    m = group_max(s, m);
    wsum = group_sum(s, wsum);
    float sum = 0.0f, rest = 0.0f;          /* rest: without the target column */
    for (long j = l; j < cols; j += nl) {
        float e = exp(x[j] - m);
        sum += e;
        rest += j == t ? 0.0f : e;
    }
    sum = group_sum(s, sum);
    rest = group_sum(s, rest);
    int ok = t >= 0 && t < cols;
    float wt = (1.0f - eps) * (ok ? class_weight(w, w_off, t) : NAN), eps_c = eps / (float)cols;
    for (long j = l; j < cols; j += nl) {
        float p = exp(x[j] - m) / sum;
        /* at the target p_t - 1 as -(rest / sum): subtracting 1 from a p_t near 1
         * would leave only its rounding */
        float v = wt * (j == t ? -(rest / sum) : p) + eps_c * (wsum * p - class_weight(w, w_off, j));
        d[j] = acc_f(acc, d[j], counted ? g * v : 0.0f);
    }
}

/* mode 1 (mse): dx (+)= coef * 2 (x - t); mode 2 (bce): dx (+)= coef * (sigmoid(x) - t) */
__kernel void loss_backward(int mode, __global const float *x, long x_off, __global const float *t, long t_off,
                            __global float *dx, long dx_off, long n, float coef, int acc)
{
    long i = GID();
    if (i >= n)
        return;
    float xv = x[x_off + i], tv = t[t_off + i];
    float g = mode == 1 ? coef * 2.0f * (xv - tv) : coef * (sigmoid_f(xv) - tv);
    dx[dx_off + i] = acc_f(acc, dx[dx_off + i], g);
}

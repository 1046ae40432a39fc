/* optim.cl: one optimizer step per parameter (PyTorch's formulas, scalars
 * such as bias corrections computed on the host in double), and the in-place
 * scaling of gradient clipping by norm. */

__kernel void sgd_step(__global float *p, long p_off, __global const float *gr, long g_off,
                       __global float *buf, long buf_off, long n, float lr, float momentum,
                       float one_m_damp, float wd, int nesterov, int first)
{
    long i = GID();
    if (i >= n)
        return;
    float pv = p[p_off + i];
    float g = gr[g_off + i];
    if (wd != 0.0f)
        g += wd * pv;
    if (momentum != 0.0f) {
        float b = first ? g : momentum * buf[buf_off + i] + one_m_damp * g;
        buf[buf_off + i] = b;
        g = nesterov ? g + momentum * b : b;
    }
    p[p_off + i] = pv - lr * g;
}

__kernel void rmsprop_step(__global float *p, long p_off, __global const float *gr, long g_off,
                           __global float *sq, long sq_off, __global float *buf, long buf_off,
                           __global float *ga, long ga_off, long n, float lr, float alpha,
                           float one_m_alpha, float eps, float wd, float momentum, int centered)
{
    long i = GID();
    if (i >= n)
        return;
    float pv = p[p_off + i];
    float g = gr[g_off + i];
    if (wd != 0.0f)
        g += wd * pv;
    float s = alpha * sq[sq_off + i] + one_m_alpha * g * g;
    sq[sq_off + i] = s;
    float avg;
    if (centered) {
        float a = alpha * ga[ga_off + i] + one_m_alpha * g;
        ga[ga_off + i] = a;
        avg = sqrt(s - a * a) + eps;
    } else {
        avg = sqrt(s) + eps;
    }
    if (momentum > 0.0f) {
        float b = momentum * buf[buf_off + i] + g / avg;
        buf[buf_off + i] = b;
        p[p_off + i] = pv - lr * b;
    } else {
        p[p_off + i] = pv - lr * g / avg;
    }
}

/* step_size = lr / (1 - b1^step), bc2_sqrt = sqrt(1 - b2^step); one_m_* = 1 - beta in
 * double on the host (1 - 0.999f would be off by 1e-5 relative) */
__kernel void adam_step(__global float *p, long p_off, __global const float *gr, long g_off,
                        __global float *m, long m_off, __global float *v, long v_off,
                        __global float *vmax, long vmax_off, long n, float lr, float beta1,
                        float beta2, float one_m_b1, float one_m_b2, float eps, float wd, int decoupled, int amsgrad,
                        float step_size, float bc2_sqrt)
{
    long i = GID();
    if (i >= n)
        return;
    float pv = p[p_off + i];
    float g = gr[g_off + i];
    if (decoupled)
        pv *= 1.0f - lr * wd;
    else if (wd != 0.0f)
        g += wd * pv;
    float mv = beta1 * m[m_off + i] + one_m_b1 * g;
    float vv = beta2 * v[v_off + i] + one_m_b2 * g * g;
    m[m_off + i] = mv;
    v[v_off + i] = vv;
    float use = vv;
    if (amsgrad) {
        /* torch.maximum: NaN if either is NaN (fmax would drop it) */
        float old = vmax[vmax_off + i];
        use = (vv > old || isnan(vv)) ? vv : old;
        vmax[vmax_off + i] = use;
    }
    float denom = sqrt(use) / bc2_sqrt + eps;
    p[p_off + i] = pv - step_size * (mv / denom);
}

/* clr = lr / (1 + (step-1) lr_decay) */
__kernel void adagrad_step(__global float *p, long p_off, __global const float *gr, long g_off,
                           __global float *sum, long s_off, long n, float clr, float wd, float eps)
{
    long i = GID();
    if (i >= n)
        return;
    float pv = p[p_off + i];
    float g = gr[g_off + i];
    if (wd != 0.0f)
        g += wd * pv;
    float s = sum[s_off + i] + g * g;
    sum[s_off + i] = s;
    p[p_off + i] = pv - clr * g / (sqrt(s) + eps);
}

/* x *= min(1, max_norm / (sqrt(sumsq[0]) + 1e-6)); a NaN coefficient stays NaN
 * (torch.clamp; fmin would give 1) */
__kernel void clip_scale(__global float *x, long x_off, __global const float *ss, long ss_off,
                         long n, float max_norm)
{
    long i = GID();
    if (i >= n)
        return;
    float coef = max_norm / (sqrt(ss[ss_off]) + 1e-6f);
    x[x_off + i] *= coef > 1.0f ? 1.0f : coef;
}

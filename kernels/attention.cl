/* attention.cl: attention scores with key-length and causal masks, the
 * softmax over keys, and the contractions of forward and backward (the
 * host runs the dot-product scores and the contractions as CLBlast batched
 * GEMMs from 2^20 multiply-adds, with attn_softmax and attn_ds_rows around
 * them). Tensors
 * (b, h, t, d) are addressed with per-tensor strides (b, h, t; d contiguous);
 * weights and their gradients are [B, heads, q_len, k_len] contiguous. */

inline int attn_masked(long i, long j, long b, long lq, long lk, __global const int *klens, long kl_off,
                       int causal)
{
    if (HAS(kl_off) && j >= klens[kl_off + b])
        return 1;
    return causal && j > i + (lk - lq);
}

/* out(b, t, e) (+)= sum_d in(b, t, d) * W[e*ws_e + d*ws_d]  (heads == 1) */
__kernel void attn_project(__global const float *in, long in_off, long i_sb, long i_st,
                           __global const float *w, long w_off, long ws_e, long ws_d,
                           __global float *out, long out_off, long o_sb, long o_st,
                           long B, long L, long E, long D, int acc)
{
    long g = GID();
    if (g >= B * L * E)
        return;
    long b = g / (L * E), t = (g / E) % L, e = g % E;
    float s = 0.0f;
    for (long d = 0; d < D; d++)
        s += in[in_off + b * i_sb + t * i_st + d] * w[w_off + e * ws_e + d * ws_d];
    __global float *o = out + out_off + b * o_sb + t * o_st + e;
    *o = acc_f(acc, *o, s);
}

/* Softmax over the unmasked keys of the scores row wr of query i (masked
 * entries become 0, never read before) */
inline void attn_softmax_row(__global float *wr, long i, long b, long lq, long lk, __global const int *klens,
                             long kl_off, int causal)
{
    float m = -INFINITY;
    for (long j = 0; j < lk; j++)
        if (!attn_masked(i, j, b, lq, lk, klens, kl_off, causal))
            m = fmax(m, wr[j]);
    float sum = 0.0f;
    for (long j = 0; j < lk; j++) {
        if (attn_masked(i, j, b, lq, lk, klens, kl_off, causal)) {
            wr[j] = 0.0f;
            continue;
        }
        float e = exp(wr[j] - m);
        wr[j] = e;
        sum += e;
    }
    if (sum > 0.0f) {
        float inv = 1.0f / sum;
        for (long j = 0; j < lk; j++)
            wr[j] *= inv;
    }
}

/* One item per (b, h, i): scores into wts row, then softmax over the
 * unmasked keys. mode 0: s = scale * left_i . right_j over D; mode 1
 * (additive): s = sum_a wv[a] tanh(left_i[a] + right_j[a]) over D = A. */
__kernel void attn_scores(int mode, long B, long NH, long lq, long lk, long D,
                          __global const float *lt, long l_off, long l_sb, long l_sh, long l_st,
                          __global const float *rt, long r_off, long r_sb, long r_sh, long r_st,
                          __global const float *wv, long wv_off, float scale,
                          __global const int *klens, long kl_off, int causal,
                          __global float *wts, long w_off)
{
    long g = GID();
    if (g >= B * NH * lq)
        return;
    long b = g / (NH * lq), h = (g / lq) % NH, i = g % lq;
    __global const float *li = lt + l_off + b * l_sb + h * l_sh + i * l_st;
    __global float *wr = wts + w_off + g * lk;
    for (long j = 0; j < lk; j++) {
        if (attn_masked(i, j, b, lq, lk, klens, kl_off, causal))
            continue;
        __global const float *rj = rt + r_off + b * r_sb + h * r_sh + j * r_st;
        float s = 0.0f;
        if (mode == 0) {
            for (long d = 0; d < D; d++)
                s += li[d] * rj[d];
            s *= scale;
        } else {
            for (long d = 0; d < D; d++)
                s += wv[wv_off + d] * tanh(li[d] + rj[d]);
        }
        wr[j] = s;
    }
    attn_softmax_row(wr, i, b, lq, lk, klens, kl_off, causal);
}

/* The GEMM path's softmax: wts holds the scores of every (i, j) (masked
 * ones too, never read); one item per row (b, h, i), as attn_scores. */
__kernel void attn_softmax(long B, long NH, long lq, long lk, __global const int *klens, long kl_off, int causal,
                           __global float *wts, long w_off)
{
    long g = GID();
    if (g >= B * NH * lq)
        return;
    attn_softmax_row(wts + w_off + g * lk, g % lq, g / (NH * lq), lq, lk, klens, kl_off, causal);
}

/* trans == 0: dst(b, h, i, e) (+)= scale * sum_j mat[b, h, i, j] src(b, h, j, e)
 * trans == 1: dst(b, h, j, e) (+)= scale * sum_i mat[b, h, i, j] src(b, h, i, e) */
__kernel void attn_contract(__global const float *mat, long m_off, int trans,
                            __global const float *src, long s_off, long s_sb, long s_sh, long s_st,
                            __global float *dst, long d_off, long d_sb, long d_sh, long d_st,
                            long B, long NH, long lq, long lk, long E, float scale, int acc)
{
    long rows = trans ? lk : lq, inner = trans ? lq : lk;
    long g = GID();
    if (g >= B * NH * rows * E)
        return;
    long b = g / (NH * rows * E), h = (g / (rows * E)) % NH, r = (g / E) % rows, e = g % E;
    __global const float *mb = mat + m_off + (b * NH + h) * lq * lk;
    __global const float *sb = src + s_off + b * s_sb + h * s_sh + e;
    float s = 0.0f;
    for (long x = 0; x < inner; x++) {
        float mv = trans ? mb[x * lk + r] : mb[r * lk + x];
        s += mv * sb[x * s_st];
    }
    __global float *o = dst + d_off + b * d_sb + h * d_sh + r * d_st + e;
    *o = acc_f(acc, *o, scale * s);
}

/* dst[d, e] (+)= sum_{b, t} a(b, t, d) * c(b, t, e)   (dst [D1, D2]) */
__kernel void attn_outer(__global const float *a, long a_off, long a_sb, long a_st,
                         __global const float *c, long c_off, long c_sb, long c_st,
                         __global float *dst, long d_off, long B, long L, long D1, long D2, int acc)
{
    long g = GID();
    if (g >= D1 * D2)
        return;
    long d = g / D2, e = g % D2;
    float s = 0.0f;
    for (long b = 0; b < B; b++)
        for (long t = 0; t < L; t++)
            s += a[a_off + b * a_sb + t * a_st + d] * c[c_off + b * c_sb + t * c_st + e];
    dst[d_off + g] = acc_f(acc, dst[d_off + g], s);
}

/* ds[b, h, i, j] = w_ij (dout_i . v_j - sum_j' w_ij' dout_i . v_j'); item (b, h, i) */
__kernel void attn_ds(__global const float *wts, long w_off,
                      __global const float *dout, long o_off, long o_sb, long o_sh, long o_st,
                      __global const float *v, long v_off, long v_sb, long v_sh, long v_st,
                      __global float *ds, long B, long NH, long lq, long lk, long dv)
{
    long g = GID();
    if (g >= B * NH * lq)
        return;
    long b = g / (NH * lq), h = (g / lq) % NH, i = g % lq;
    __global const float *wr = wts + w_off + g * lk;
    __global const float *od = dout + o_off + b * o_sb + h * o_sh + i * o_st;
    __global float *dr = ds + g * lk;
    float tot = 0.0f;
    for (long j = 0; j < lk; j++) {
        float w = wr[j], d = 0.0f;
        if (w != 0.0f) {
            __global const float *vj = v + v_off + b * v_sb + h * v_sh + j * v_st;
            for (long e = 0; e < dv; e++)
                d += od[e] * vj[e];
        }
        dr[j] = d;
        tot += w * d;
    }
    for (long j = 0; j < lk; j++)
        dr[j] = wr[j] * (dr[j] - tot);
}

/* The GEMM path's attn_ds: ds holds dout_i . v_j of every (i, j) (a GEMM)
 * and becomes w_ij (d_ij - sum_j' w_ij' d_ij'), d_ij taken as 0 where
 * w_ij == 0 (as attn_ds, which never reads those keys); item (b, h, i) */
__kernel void attn_ds_rows(__global const float *wts, long w_off, __global float *ds, long rows, long lk)
{
    long g = GID();
    if (g >= rows)
        return;
    __global const float *wr = wts + w_off + g * lk;
    __global float *dr = ds + g * lk;
    float tot = 0.0f;
    for (long j = 0; j < lk; j++) {
        float w = wr[j];
        if (w != 0.0f)
            tot += w * dr[j];
    }
    for (long j = 0; j < lk; j++) {
        float w = wr[j];
        dr[j] = w * ((w != 0.0f ? dr[j] : 0.0f) - tot);
    }
}

/* Additive scores' backward, with e_ija = tanh(pq[b, i, a] + pk[b, j, a]):
 * du[b, i, a] = sum_j ds_ij wv_a (1 - e^2) */
__kernel void attn_additive_du(__global const float *ds, __global const float *pq, __global const float *pk,
                               __global const float *wv, long wv_off, __global float *du,
                               long B, long lq, long lk, long A)
{
    long g = GID();
    if (g >= B * lq * A)
        return;
    long b = g / (lq * A), i = (g / A) % lq, a = g % A;
    float s = 0.0f, q = pq[(b * lq + i) * A + a];
    for (long j = 0; j < lk; j++) {
        float d = ds[(b * lq + i) * lk + j];
        if (d != 0.0f) {
            float e = tanh(q + pk[(b * lk + j) * A + a]);
            s += d * (1.0f - e * e);
        }
    }
    du[g] = s * wv[wv_off + a];
}

/* dk_pre[b, j, a] = sum_i ds_ij wv_a (1 - e^2) */
__kernel void attn_additive_dk(__global const float *ds, __global const float *pq, __global const float *pk,
                               __global const float *wv, long wv_off, __global float *dk,
                               long B, long lq, long lk, long A)
{
    long g = GID();
    if (g >= B * lk * A)
        return;
    long b = g / (lk * A), j = (g / A) % lk, a = g % A;
    float s = 0.0f, k = pk[(b * lk + j) * A + a];
    for (long i = 0; i < lq; i++) {
        float d = ds[(b * lq + i) * lk + j];
        if (d != 0.0f) {
            float e = tanh(pq[(b * lq + i) * A + a] + k);
            s += d * (1.0f - e * e);
        }
    }
    dk[g] = s * wv[wv_off + a];
}

/* dwv[a] (+)= sum_{b, i, j} ds_ij e_ija */
__kernel void attn_additive_dwv(__global const float *ds, __global const float *pq, __global const float *pk,
                                __global float *dwv, long dwv_off, long B, long lq, long lk, long A, int acc)
{
    long a = GID();
    if (a >= A)
        return;
    float s = 0.0f;
    for (long b = 0; b < B; b++)
        for (long i = 0; i < lq; i++)
            for (long j = 0; j < lk; j++) {
                float d = ds[(b * lq + i) * lk + j];
                if (d != 0.0f)
                    s += d * tanh(pq[(b * lq + i) * A + a] + pk[(b * lk + j) * A + a]);
            }
    dwv[dwv_off + a] = acc_f(acc, dwv[dwv_off + a], s);
}

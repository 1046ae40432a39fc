/* embedding.cl: embedding gather and its deterministic scatter-add. */

/* y[i, d] = weight[idx[i], d] (zeros for an index out of range) */
__kernel void embedding_forward(__global const int *idx, long idx_off, __global const float *w, long w_off,
                                __global float *y, long y_off, long ldy, long n, long vocab, long dim)
{
    long g = GID();
    if (g >= n * dim)
        return;
    long i = g / dim, d = g % dim;
    int v = idx[idx_off + i];
    y[y_off + i * ldy + d] = (v >= 0 && v < vocab) ? w[w_off + (long)v * dim + d] : 0.0f;
}

/* dweight[idx[i], d] += dy[i, d] for idx[i] != padding_idx. Item (p, d) owns
 * rows [p*chunk, (p+1)*chunk) of column d and visits i in order, so that rows
 * shared by several i are summed in one fixed order without atomics. */
__kernel void embedding_backward(__global const int *idx, long idx_off, __global const float *dy, long dy_off,
                                 long ldy, __global float *dw, long dw_off, long n, long vocab, long dim,
                                 int padding_idx, long chunk, long parts)
{
    long g = GID();
    if (g >= parts * dim)
        return;
    long p = g / dim, d = g % dim;
    long lo = p * chunk, hi = min(lo + chunk, vocab);
    for (long i = 0; i < n; i++) {
        int v = idx[idx_off + i];
        if (v == padding_idx || v < lo || v >= hi)
            continue;
        dw[dw_off + (long)v * dim + d] += dy[dy_off + i * ldy + d];
    }
}

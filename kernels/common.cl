/* common.cl: helpers shared by every kernel file. The plugin builds all
 * the kernels/ .cl files as one OpenCL C 1.2 program, this file first.
 *
 * Conventions: a tensor is passed as (pointer, long element offset); an
 * offset below 0 marks an optional tensor that is absent. Kernels run over a
 * flat range rounded up to the work-group size and check their bound, or one
 * work-group per row for reductions (local size a power of two). Reductions
 * use a fixed order (sequential per item, then a tree), so results are the
 * same from run to run on a device. */

#define HAS(off) ((off) >= 0)
#define GID() ((long)get_global_id(0))

inline float sigmoid_f(float x)
{
    return 1.0f / (1.0f + exp(-x));
}

/* tanh, exactly +-1 where the correctly rounded result is (|x| > 9.02): some
 * implementations (POCL) stop one ulp short of 1 even at +-Inf, which would
 * make tanh'(Inf) = 1 - y^2 nonzero (so dy = Inf gave Inf instead of NaN). */
inline float tanh_f(float x)
{
    return fabs(x) > 9.1f ? copysign(1.0f, x) : tanh(x);
}

/* acc ? old + v : v (OVERWRITE does not read old, so NaN there is dropped) */
inline float acc_f(int acc, float old, float v)
{
    return acc ? old + v : v;
}

/* Sum of v over the work-group (tree over a power-of-two local size); every
 * item gets the result. */
inline float group_sum(__local float *s, float v)
{
    uint l = get_local_id(0), n = get_local_size(0);
    s[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint h = n / 2; h > 0; h >>= 1) {
        if (l < h)
            s[l] += s[l + h];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = s[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

inline float group_max(__local float *s, float v)
{
    uint l = get_local_id(0), n = get_local_size(0);
    s[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint h = n / 2; h > 0; h >>= 1) {
        if (l < h)
            s[l] = fmax(s[l], s[l + h]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = s[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

/* Philox4x32-10 keyed by seed at counter ctr (include/seqnn/philox.h). */
inline uint4 philox4x32_10(ulong seed, ulong ctr)
{
    uint c0 = (uint)ctr, c1 = (uint)(ctr >> 32), c2 = 0, c3 = 0;
    uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
    for (int round = 0; round < 10; round++) {
        uint hi0 = mul_hi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        uint hi1 = mul_hi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        uint n0 = hi1 ^ c1 ^ k0;
        uint n2 = hi0 ^ c3 ^ k1;
        c1 = lo1;
        c3 = lo0;
        c0 = n0;
        c2 = n2;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    return (uint4)(c0, c1, c2, c3);
}

/* Activation f and its derivative from x and y = f(x) (seqnn_act order). */
inline float act_f(int kind, float alpha, float x)
{
    switch (kind) {
    case 0: return sigmoid_f(x);
    case 1: return tanh_f(x);
    case 2: return x < -1.0f ? -1.0f : (x > 1.0f ? 1.0f : x);   /* NaN stays NaN (clamp gives -1) */
    case 3: return x < 0.0f ? 0.0f : x;                          /* NaN stays NaN */
    case 4: return x > 0.0f ? x : alpha * x;
    default: return x * sigmoid_f(x);
    }
}

inline float act_df(int kind, float alpha, float x, float y)
{
    switch (kind) {
    case 0: return y * (1.0f - y);
    case 1: return 1.0f - y * y;
    case 2: return (x > -1.0f && x < 1.0f) ? 1.0f : 0.0f;
    case 3: return x > 0.0f ? 1.0f : 0.0f;
    case 4: return x > 0.0f ? 1.0f : alpha;
    default: {
        float s = sigmoid_f(x);
        return s * (1.0f + x * (1.0f - s));
    }
    }
}

/* Eight consecutive elements per work-item (explicit float8: POCL and other
 * CPU devices then run the math in SIMD registers, which they do not do for
 * one element per item with transcendental calls): n (1..8) of them exist,
 * the last item of a row having fewer; absent lanes read as 0 and are
 * never written. */
inline float8 ld8(__global const float *p, long i, int n)
{
    if (n >= 8)
        return vload8(0, p + i);
    float v[8];
    for (int k = 0; k < 8; k++)
        v[k] = k < n ? p[i + k] : 0.0f;
    return vload8(0, v);
}

inline void st8(float8 v, __global float *p, long i, int n)
{
    if (n >= 8) {
        vstore8(v, 0, p + i);
        return;
    }
    float t[8];
    vstore8(v, 0, t);
    for (int k = 0; k < n; k++)
        p[i + k] = t[k];
}

inline float8 sigmoid8(float8 x)
{
    return 1.0f / (1.0f + exp(-x));
}

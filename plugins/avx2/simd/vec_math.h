/* Elementary functions over the SIMD vector layer (any width): exp, log,
 * log1p, sigmoid, tanh. Cephes-style range reduction and polynomials, written
 * once over the vf_* primitives. Measured maximum errors against double libm
 * (tools/vec_math_check.c) are in docs/avx2.md. Included by vec.h after the
 * instance header. */
#ifndef SEQNN_SIMD_VEC_MATH_H
#define SEQNN_SIMD_VEC_MATH_H

/* exp(x) = p * 2^n for x in range: returns p = exp(r) and n, where
 * n = round(x / ln 2) and r = x - n ln 2 (ln 2 in two parts, exact product) */
static inline vf vf_exp_split(vf x, vf *n_out)
{
    vf n = vf_round(vf_mul(x, vf_set1(1.44269504088896341f)));
    vf r = vf_fnmadd(n, vf_set1(0.693359375f), x);
    r = vf_fnmadd(n, vf_set1(-2.12194440e-4f), r);
    vf p = vf_set1(1.9875691500e-4f);
    p = vf_fmadd(p, r, vf_set1(1.3981999507e-3f));
    p = vf_fmadd(p, r, vf_set1(8.3334519073e-3f));
    p = vf_fmadd(p, r, vf_set1(4.1665795894e-2f));
    p = vf_fmadd(p, r, vf_set1(1.6666665459e-1f));
    p = vf_fmadd(p, r, vf_set1(5.0000001201e-1f));
    *n_out = n;
    return vf_fmadd(p, vf_mul(r, r), vf_add(r, vf_set1(1.0f)));
}

/* tanh(x) for |x| < 0.625: x + x^3 P(x^2) */
static inline vf vf_tanh_small(vf x)
{
    vf z = vf_mul(x, x);
    vf p = vf_set1(-5.70498872745e-3f);
    p = vf_fmadd(p, z, vf_set1(2.06390887954e-2f));
    p = vf_fmadd(p, z, vf_set1(-5.37397155531e-2f));
    p = vf_fmadd(p, z, vf_set1(1.33314422036e-1f));
    p = vf_fmadd(p, z, vf_set1(-3.33332819422e-1f));
    return vf_fmadd(vf_mul(p, z), x, x);
}

/* exp(x) over the whole float range: subnormal results near the bottom, 0
 * below, +inf above ln(FLT_MAX), NaN stays NaN. */
static inline vf vf_exp(vf x)
{
    const vf hi = vf_set1(88.72283935546875f), lo = vf_set1(-104.0f);
    vf n, p = vf_exp_split(vf_min(vf_max(x, lo), hi), &n);
    /* 2^n as 2^n1 * 2^n2, both factors normal for n in [-150, 128] */
    vf n1 = vf_round(vf_mul(n, vf_set1(0.5f)));
    vf y = vf_mul(vf_mul(p, vf_pow2i(n1)), vf_pow2i(vf_sub(n, n1)));
    y = vf_select(vf_gt(x, hi), vf_set1(__builtin_inff()), y);
    return vf_select(vf_eq(x, x), y, x);  /* NaN in, NaN out */
}

/* log(x) for positive normal x (0 -> -inf, negative -> NaN, +inf -> +inf). */
static inline vf vf_log(vf x)
{
    vf e;
    vf m = vf_frexp(x, &e);                          /* m in [0.5, 1) */
    vm below = vf_lt(m, vf_set1(0.707106781186547524f));
    /* m < sqrt(1/2): use 2m - 1 and e - 1, so that the argument is in [-0.29, 0.41] */
    e = vf_select(below, vf_sub(e, vf_set1(1.0f)), e);
    vf t = vf_sub(vf_select(below, vf_add(m, m), m), vf_set1(1.0f));
    vf z = vf_mul(t, t);
    vf p = vf_set1(7.0376836292e-2f);
    p = vf_fmadd(p, t, vf_set1(-1.1514610310e-1f));
    p = vf_fmadd(p, t, vf_set1(1.1676998740e-1f));
    p = vf_fmadd(p, t, vf_set1(-1.2420140846e-1f));
    p = vf_fmadd(p, t, vf_set1(1.4249322787e-1f));
    p = vf_fmadd(p, t, vf_set1(-1.6668057665e-1f));
    p = vf_fmadd(p, t, vf_set1(2.0000714765e-1f));
    p = vf_fmadd(p, t, vf_set1(-2.4999993993e-1f));
    p = vf_fmadd(p, t, vf_set1(3.3333331174e-1f));
    vf y = vf_mul(vf_mul(p, t), z);
    y = vf_fmadd(e, vf_set1(-2.12194440e-4f), y);
    y = vf_fnmadd(vf_set1(0.5f), z, y);
    y = vf_add(vf_add(t, y), vf_mul(e, vf_set1(0.693359375f)));
    y = vf_select(vf_eq(x, vf_zero()), vf_set1(-__builtin_inff()), y);
    y = vf_select(vf_eq(x, vf_set1(__builtin_inff())), x, y);
    return vf_select(vf_ge(x, vf_zero()), y, vf_set1(__builtin_nanf("")));
}

/* log(1 + u) for u >= 0 (accurate for small u: log(w) * u / (w - 1), w = 1 + u). */
static inline vf vf_log1p_pos(vf u)
{
    vf w = vf_add(u, vf_set1(1.0f));
    vf d = vf_sub(w, vf_set1(1.0f));
    vf r = vf_mul(vf_log(w), vf_div(u, vf_select(vf_eq(d, vf_zero()), vf_set1(1.0f), d)));
    return vf_select(vf_eq(d, vf_zero()), u, r);
}

/* sigmoid(x) from e = exp(-|x|): 1 / (1 + e) for x >= 0, e / (1 + e) below */
static inline vf vf_sigmoid_of(vf x, vf e)
{
    vf r = vf_div(vf_set1(1.0f), vf_add(vf_set1(1.0f), e));
    return vf_select(vf_lt(x, vf_zero()), vf_mul(e, r), r);
}

/* 1 / (1 + exp(-x)), as e / (1 + e) with e = exp(x) for x < 0 (no overflow,
 * accurate down to the subnormals) */
static inline vf vf_sigmoid(vf x)
{
    return vf_sigmoid_of(x, vf_exp(vf_neg(vf_abs(x))));
}

/* tanh(x): odd polynomial for |x| < 0.625, 1 - 2 / (exp(2|x|) + 1) above. */
static inline vf vf_tanh(vf x)
{
    vf ax = vf_abs(x);
    vf small = vf_tanh_small(x);
    vf e = vf_exp(vf_add(ax, ax));
    vf big = vf_sub(vf_set1(1.0f), vf_div(vf_set1(2.0f), vf_add(e, vf_set1(1.0f))));
    big = vf_copysign(big, x);
    return vf_select(vf_lt(ax, vf_set1(0.625f)), small, vf_select(vf_eq(x, x), big, x));
}

#endif

/* The gate functions of the recurrent cells (kernels/rnn.c, lstm_variant.c):
 * sigmoid and tanh over the vector layer, cheaper than vec_math.h's general
 * vf_sigmoid / vf_tanh, which run five times per LSTM unit and step:
 *  - exp is only ever taken of -|x| (or -2|x|), so it needs no overflow
 *    branch, and with the argument clamped at -87 (exp(-87) = 1.6e-38, still
 *    a normal float) one power of two instead of two and no subnormal
 *    result (which would cost a microcode assist per lane).
 * What this gives up: sigmoid(x) for x < -87 is about 1.6e-38 instead of a
 * subnormal or 0 (an absolute error below 2e-38). The divisions stay: a
 * reciprocal estimate with one Newton step instead measured 0.72 of the
 * conformance budget of rnn_backward against 0.41 with them. NaN in, NaN
 * out. */
#ifndef SEQNN_SIMD_CELL_MATH_H
#define SEQNN_SIMD_CELL_MATH_H

#include "vec.h"

/* exp(x) for x <= 0 (NaN stays NaN): vec_math.h's reduction and polynomial,
 * the argument clamped at -87 */
static inline vf cell_exp_neg(vf x)
{
    vf n, p = vf_exp_split(vf_max(vf_set1(-87.0f), x), &n);  /* vf_max returns x when x is NaN */
    return vf_mul(p, vf_pow2i(n));      /* n in [-126, 0]: 2^n is normal */
}

/* 1 / (1 + exp(-x)) as vf_sigmoid, with cell_exp_neg */
static inline vf cell_sigmoid(vf x)
{
    return vf_sigmoid_of(x, cell_exp_neg(vf_neg(vf_abs(x))));
}

/* tanh(x): vec_math.h's odd polynomial for |x| < 0.625; above,
 * (1 - e) / (1 + e) with e = exp(-2|x|) <= 0.29 and the sign of x */
static inline vf cell_tanh(vf x)
{
    vf ax = vf_abs(x);
    vf e = cell_exp_neg(vf_neg(vf_add(ax, ax)));
    vf big = vf_copysign(vf_mul(vf_sub(vf_set1(1.0f), e), vf_div(vf_set1(1.0f), vf_add(vf_set1(1.0f), e))), x);
    return vf_select(vf_lt(ax, vf_set1(0.625f)), vf_tanh_small(x), big);
}

#endif

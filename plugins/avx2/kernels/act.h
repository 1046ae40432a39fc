/* The activations of the SIMD plugins as vector functions, shared by
 * act_forward (elementwise.c) and the activation the fused conv1d + max over
 * time applies before its max (conv.c), so that both give the same bits. */
#ifndef SEQNN_SIMD_KERNELS_ACT_H
#define SEQNN_SIMD_KERNELS_ACT_H

#include "common.h"

/* f(x) of activation kind (alpha: leaky relu's negative slope, broadcast) */
static inline vf simd_act_apply(seqnn_act kind, vf alpha, vf x)
{
    switch (kind) {
    case SEQNN_ACT_SIGMOID:    return vf_sigmoid(x);
    case SEQNN_ACT_TANH:       return vf_tanh(x);
    /* max/min return their second operand when one is NaN: NaN stays NaN */
    case SEQNN_ACT_HARDTANH:   return vf_min(vf_set1(1.0f), vf_max(vf_set1(-1.0f), x));
    case SEQNN_ACT_RELU:       return vf_max(vf_zero(), x);
    case SEQNN_ACT_LEAKY_RELU: return vf_select(vf_gt(x, vf_zero()), x, vf_mul(alpha, x));
    case SEQNN_ACT_SWISH:      return vf_mul(x, vf_sigmoid(x));
    default:                   return x;   /* rejected by the argument check */
    }
}

#endif

/* The structure query of the SIMD plugins (plugin ABI 1.1): the sizes at
 * which the kernels of this ISA change code path, read from the constants the
 * kernels use (simd/vec_*.h, simd_gemm.h, kernels/common.h), so that the
 * conformance suite tests both sides of each.
 * Filled once per open device; the query itself only hands out the list. */
#include "common.h"
#include "simd_gemm.h"
#include "simd_kernels.h"

#define NR (2 * VW)

static void add(simd_device *dev, seqnn_kernel_id kernel, seqnn_boundary_dim dim, int64_t value, const char *what)
{
    if (dev->n_boundaries < SIMD_MAX_BOUNDARIES)
        dev->boundaries[dev->n_boundaries++] = (seqnn_boundary){(int32_t)kernel, (int32_t)dim, value, what};
}

void simd_structure_fill(simd_device *dev)
{
    dev->n_boundaries = 0;
    add(dev, (seqnn_kernel_id)-1, SEQNN_DIM_LANES, VW, "floats per vector: every kernel has tails");
    add(dev, (seqnn_kernel_id)-1, SEQNN_DIM_ELEMENTS, SIMD_EW_CHUNK,
        "element-wise kernels: elements per task, and on the calling thread alone below");

    /* gemm (kernels/gemm.c) */
    add(dev, SEQNN_KERNEL_gemm, SEQNN_DIM_M, SIMD_GEMM_MR, "MR: rows of the micro-kernel");
    add(dev, SEQNN_KERNEL_gemm, SEQNN_DIM_M, SIMD_GEMM_MC,
        "MC: rows per block of packed A; up to it one row block (B packed just in time)");
    add(dev, SEQNN_KERNEL_gemm, SEQNN_DIM_N, NR, "NR: columns per packed panel of B");
    add(dev, SEQNN_KERNEL_gemm, SEQNN_DIM_N, SIMD_GEMM_TASK_PANELS * NR,
        "fewest columns per task: wider products are split over tasks");
    add(dev, SEQNN_KERNEL_gemm, SEQNN_DIM_N, SIMD_GEMM_TASKS * SIMD_GEMM_TASK_PANELS * NR,
        "columns from which one row block is split into SIMD_GEMM_TASKS tasks of the fewest columns");
    add(dev, SEQNN_KERNEL_gemm, SEQNN_DIM_N, SIMD_GEMM_FAR_LDB - 1,
        "from n = ldb = SIMD_GEMM_FAR_LDB (rows of B far apart), one row block packs B per chunk, row by row");
    add(dev, SEQNN_KERNEL_gemm, SEQNN_DIM_K, SIMD_GEMM_KC, "KC: depth per packed block (beta on the first only)");
    add(dev, SEQNN_KERNEL_gemm, SEQNN_DIM_NK, (int64_t)SIMD_GEMM_KC * SIMD_GEMM_NC,
        "KC*NC: packed floats of B per column block (m > MC, n > KC*NC/k: more than one)");

    /* recurrent layers (kernels/rnn.c): hoisted input GEMM over T*B rows, the
     * weight gradients over T*B deep, the step split over hidden units */
    add(dev, SEQNN_KERNEL_rnn_forward, SEQNN_DIM_HIDDEN, NR * SIMD_RNN_UNIT_PANELS * SIMD_RNN_STEP_TASKS,
        "hidden units per step task: two panels up to here, more beyond");
    add(dev, SEQNN_KERNEL_rnn_forward, SEQNN_DIM_HIDDEN, NR * SIMD_RNN_UNIT_PANELS,
        "hidden units of one step task at the fewest (one task up to here)");
    add(dev, SEQNN_KERNEL_rnn_forward, SEQNN_DIM_HIDDEN, NR, "NR: hidden units per panel");
    add(dev, SEQNN_KERNEL_rnn_forward, SEQNN_DIM_ROWS, SIMD_GEMM_MC, "MC rows of the input GEMM over all steps");
    add(dev, SEQNN_KERNEL_rnn_forward, SEQNN_DIM_INPUT, SIMD_GEMM_KC, "KC: depth of the input GEMM");
    add(dev, SEQNN_KERNEL_rnn_backward, SEQNN_DIM_ROWS, SIMD_GEMM_KC, "KC: depth of the weight-gradient GEMMs");
    add(dev, SEQNN_KERNEL_cell_forward, SEQNN_DIM_HIDDEN, NR * SIMD_RNN_UNIT_PANELS * SIMD_RNN_STEP_TASKS,
        "hidden units per step task: two panels up to here, more beyond");

    /* LSTM variants (kernels/lstm_variant.c): the same hoisted input GEMM and
     * weight-gradient GEMMs over T*B, per step GEMMs of G*H columns */
    add(dev, SEQNN_KERNEL_lstm_variant_forward, SEQNN_DIM_ROWS, SIMD_GEMM_MC,
        "MC rows of the input GEMM over all steps");
    add(dev, SEQNN_KERNEL_lstm_variant_forward, SEQNN_DIM_INPUT, SIMD_GEMM_KC, "KC: depth of the input GEMM");
    add(dev, SEQNN_KERNEL_lstm_variant_forward, SEQNN_DIM_HIDDEN, NR, "NR: columns per panel of the step GEMMs");
    add(dev, SEQNN_KERNEL_lstm_variant_backward, SEQNN_DIM_ROWS, SIMD_GEMM_KC,
        "KC: depth of the weight-gradient GEMMs");

    /* conv1d (kernels/conv.c): forward (and the fused conv1d + max over time)
     * with stride 1 by micro-tiles of filters x positions, backward dW over
     * the output length */
    add(dev, SEQNN_KERNEL_conv1d_forward, SEQNN_DIM_CHANNELS, SIMD_CONV_MR, "filters per stride-1 micro-tile");
    add(dev, SEQNN_KERNEL_conv1d_forward, SEQNN_DIM_LENGTH, SIMD_CONV_NP, "positions per stride-1 micro-tile");
    add(dev, SEQNN_KERNEL_conv1d_backward, SEQNN_DIM_LENGTH, SIMD_GEMM_KC, "KC: output length, the dW GEMM's depth");
    add(dev, SEQNN_KERNEL_conv1d_backward, SEQNN_DIM_CHANNELS, SIMD_GEMM_MC, "MC: C_in*kernel_size rows of dcol");

    /* attention (kernels/attention.c): dot scores without a causal mask by tiles */
    add(dev, SEQNN_KERNEL_attention_forward, SEQNN_DIM_QUERIES, SIMD_ATTN_ROWS,
        "queries per tile of the GEMM path (dot scores, no causal mask)");
    add(dev, SEQNN_KERNEL_attention_forward, SEQNN_DIM_KEYS, NR, "NR: keys per packed panel of K^T");
    add(dev, SEQNN_KERNEL_attention_backward, SEQNN_DIM_QUERIES, SIMD_ATTN_ROWS,
        "queries per tile of the GEMM path (dot scores, no causal mask)");
}

seqnn_status simd_structure(const seqnn_call *call, const seqnn_boundary **list, int64_t *count)
{
    const simd_device *dev = simd_dev(call);
    *list = dev->boundaries;
    *count = dev->n_boundaries;
    return SEQNN_OK;
}

/* An open device of a SIMD plugin: per-device scratch memory that kernels
 * reuse from call to call (GEMM packing buffers, recurrent workspaces), so
 * that small calls do not pay for allocation. The core never calls one device
 * from two threads at once, so the scratch needs no lock. */
#ifndef SEQNN_SIMD_DEVICE_H
#define SEQNN_SIMD_DEVICE_H

#include <stddef.h>
#include "seqnn/plugin.h"

enum {
    SIMD_SCRATCH_GEMM_A = 0,     /* packed A panels of the GEMM driver */
    SIMD_SCRATCH_GEMM_B,         /* packed B panels of the GEMM driver */
    SIMD_SCRATCH_K0,             /* for kernels: packed weights, workspaces ... */
    SIMD_SCRATCH_K1,
    SIMD_SCRATCH_K2,
    SIMD_SCRATCH_K3,
    SIMD_SCRATCH_K4,
    SIMD_SCRATCH_SLOTS
};

#define SIMD_MAX_BOUNDARIES 32

typedef struct simd_device {
    float *scratch[SIMD_SCRATCH_SLOTS];
    size_t capacity[SIMD_SCRATCH_SLOTS];  /* floats */
    /* what the structure query answers: filled when the device opens
     * (simd_structure_fill), as some boundaries depend on the thread count */
    seqnn_boundary boundaries[SIMD_MAX_BOUNDARIES];
    int64_t n_boundaries;
} simd_device;

/* count floats of slot (64-byte aligned, contents undefined), NULL when out
 * of memory. Valid until the next request for the same slot. */
float *simd_scratch(simd_device *dev, int slot, size_t count);
void simd_device_free_scratch(simd_device *dev);

/* The device of a call. */
static inline simd_device *simd_dev(const seqnn_call *call)
{
    return (simd_device *)call->device;
}

#endif

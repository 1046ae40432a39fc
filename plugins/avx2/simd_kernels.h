/* The SIMD plugins' kernels: simd_<kernel> for every catalogue entry, either
 * vectorised (kernels/<family>.c) or delegating to the float reference
 * (kernels/delegate.c); plugin.c puts them in the vtable. */
#ifndef SEQNN_SIMD_KERNELS_H
#define SEQNN_SIMD_KERNELS_H

#include "seqnn/plugin.h"

#define SEQNN_KERNEL(name, args, doc) seqnn_status simd_##name(const seqnn_call *call, const args *a);
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL

/* Names of the kernels that delegate to the float reference (NULL-terminated),
 * for `seqnn info`-style listings and the docs. */
extern const char *const simd_delegated_kernels[];

/* The structure query (kernels/structure.c): the open device's boundaries,
 * which simd_structure_fill puts in dev when it opens. */
seqnn_status simd_structure(const seqnn_call *call, const seqnn_boundary **list, int64_t *count);
struct simd_device;
void simd_structure_fill(struct simd_device *dev);

#endif

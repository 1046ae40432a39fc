/* Declarations of the reference kernels: seqnn_ref_f32_<kernel> (float, the
 * ref plugin) and seqnn_ref_f64_<kernel> (double, the conformance oracle),
 * one of each per catalogue entry. Tensors hold float resp. double values
 * (int32 tensors are int32 in both). */
#ifndef SEQNN_REF_KERNELS_H
#define SEQNN_REF_KERNELS_H

#include "seqnn/plugin.h"

#define SEQNN_KERNEL(name, args, doc) \
    seqnn_status seqnn_ref_f32_##name(const seqnn_call *call, const args *a); \
    seqnn_status seqnn_ref_f64_##name(const seqnn_call *call, const args *a);
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL

#endif

/* The AVX-512 plugin's decision from detected CPU features, apart from the
 * detection itself so that a test can feed it the features of CPUs this
 * machine is not (no AVX-512, AVX-512F without VL, an OS that does not save
 * the ZMM state). Compiled without ISA flags. */
#ifndef SEQNN_ISA_AVX512_H
#define SEQNN_ISA_AVX512_H

#include <stddef.h>
#include "cpu_x86.h"

/* 1 when the features allow the AVX-512 kernels; otherwise 0 and reason says
 * what is missing. Either way reason is filled. */
int isa_avx512_check(const simd_x86_features *f, char *reason, size_t reason_size);

#endif

/* What makes a SIMD plugin one ISA rather than another, as seen by the parts
 * compiled WITHOUT ISA flags (plugin.c): its name, score, device name prefix
 * and the run-time check. plugins/avx2/isa_avx2.c defines them for AVX2/FMA;
 * an AVX-512 plugin links its own isa_avx512.c with the same shared sources. */
#ifndef SEQNN_SIMD_ISA_H
#define SEQNN_SIMD_ISA_H

#include <stddef.h>

typedef struct simd_isa_desc {
    const char *name;            /* plugin name for SEQNN_BACKEND: "avx2" */
    const char *device_prefix;   /* "AVX2/FMA CPU" */
    const char *description;
    int score;                   /* score when the CPU and OS support it */
} simd_isa_desc;

extern const simd_isa_desc simd_isa;

/* 1 when this CPU and OS can run the plugin's kernels; otherwise 0 and reason
 * says what is missing. brand receives the CPU brand string. */
int simd_isa_supported(char *reason, size_t reason_size, char *brand, size_t brand_size);

#endif

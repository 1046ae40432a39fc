/* x86 CPU feature detection for the SIMD plugins (CPUID + XGETBV), compiled
 * WITHOUT any ISA flags so that it runs on every x86-64 CPU: it is what
 * decides whether the AVX2 (or AVX-512) kernels may run at all. */
#ifndef SEQNN_SIMD_CPU_X86_H
#define SEQNN_SIMD_CPU_X86_H

typedef struct simd_x86_features {
    int avx, fma, avx2, osxsave;             /* CPUID leaf 1 / leaf 7 */
    int avx512f, avx512bw, avx512dq, avx512vl;
    int os_ymm;                              /* XCR0 has SSE and AVX state (bits 1, 2) */
    int os_zmm;                              /* XCR0 also has opmask and ZMM state (bits 5-7) */
    char brand[64];                          /* brand string, trimmed ("" if unknown) */
} simd_x86_features;

/* Fills f from CPUID/XGETBV (all zeros on a non-x86 build). */
void simd_x86_detect(simd_x86_features *f);

#endif

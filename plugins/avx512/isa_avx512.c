/* The AVX-512 plugin's ISA descriptor and run-time check (CPUID: AVX-512 F,
 * BW, DQ and VL, besides the AVX2/FMA that the 256-bit parts of the vector
 * layer use; XGETBV: the OS saves the YMM, opmask and ZMM state). Compiled
 * without ISA flags, so that the plugin loads on any x86-64 CPU and says why
 * it cannot run. */
#include <stdio.h>
#include "isa_avx512.h"
#include "seqnn/plugin.h"
#include "simd_isa.h"

const simd_isa_desc simd_isa = {
    "avx512", "AVX-512 CPU",
    "AVX-512 kernels (16-wide float, own SGEMM, fused recurrent cells, thread pool)",
    SEQNN_SCORE_AVX512,
};

int isa_avx512_check(const simd_x86_features *f, char *reason, size_t reason_size)
{
    if (!f->avx512f || !f->avx512bw || !f->avx512dq || !f->avx512vl || !f->avx2 || !f->fma) {
        snprintf(reason, reason_size, "CPUID lacks%s%s%s%s%s%s", f->avx512f ? "" : " AVX512F",
                 f->avx512bw ? "" : " AVX512BW", f->avx512dq ? "" : " AVX512DQ", f->avx512vl ? "" : " AVX512VL",
                 f->avx2 ? "" : " AVX2", f->fma ? "" : " FMA");
        return 0;
    }
    if (!f->osxsave || !f->os_zmm) {
        snprintf(reason, reason_size, "the OS does not save the ZMM state (%s)",
                 !f->osxsave ? "no OSXSAVE" : !f->os_ymm ? "XCR0 lacks SSE/AVX bits" : "XCR0 lacks opmask/ZMM bits");
        return 0;
    }
    snprintf(reason, reason_size, "CPUID has AVX-512 F/BW/DQ/VL, XGETBV shows opmask and ZMM state enabled");
    return 1;
}

int simd_isa_supported(char *reason, size_t reason_size, char *brand, size_t brand_size)
{
    simd_x86_features f;
    simd_x86_detect(&f);
    snprintf(brand, brand_size, "%s", f.brand[0] ? f.brand : "unknown CPU");
    return isa_avx512_check(&f, reason, reason_size);
}

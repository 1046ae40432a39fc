/* The AVX2/FMA plugin's ISA descriptor and run-time check (CPUID: AVX, AVX2,
 * FMA, OSXSAVE; XGETBV: the OS saves the YMM state). Compiled without ISA
 * flags. */
#include <stdio.h>
#include "cpu_x86.h"
#include "seqnn/plugin.h"
#include "simd_isa.h"

const simd_isa_desc simd_isa = {
    "avx2", "AVX2/FMA CPU",
    "AVX2/FMA kernels (8-wide float, own SGEMM, fused recurrent cells, thread pool)",
    SEQNN_SCORE_AVX2,
};

int simd_isa_supported(char *reason, size_t reason_size, char *brand, size_t brand_size)
{
    simd_x86_features f;
    simd_x86_detect(&f);
    snprintf(brand, brand_size, "%s", f.brand[0] ? f.brand : "unknown CPU");
    if (!f.avx || !f.avx2 || !f.fma) {
        snprintf(reason, reason_size, "CPUID lacks%s%s%s", f.avx ? "" : " AVX", f.avx2 ? "" : " AVX2",
                 f.fma ? "" : " FMA");
        return 0;
    }
    if (!f.osxsave || !f.os_ymm) {
        snprintf(reason, reason_size, "the OS does not save the YMM state (%s)",
                 f.osxsave ? "XCR0 lacks SSE/AVX bits" : "no OSXSAVE");
        return 0;
    }
    snprintf(reason, reason_size, "CPUID has AVX2 and FMA, XGETBV shows YMM state enabled");
    return 1;
}

/* The AVX-512 plugin's ISA decision on CPUs this machine is not: features
 * without AVX-512, with AVX-512F but not VL, with the OS not saving the ZMM
 * state; and on this machine's own features, against what CPUID says. Exit
 * status 1 on the first wrong answer. */
#include <stdio.h>
#include <string.h>
#include "isa_avx512.h"

static int failures;

static void expect(const char *what, const simd_x86_features *f, int want, const char *want_reason)
{
    char reason[256];
    int got = isa_avx512_check(f, reason, sizeof reason);
    int ok = got == want && strstr(reason, want_reason) != NULL;
    printf("%s %s: %d, \"%s\"\n", ok ? "ok  " : "FAIL", what, got, reason);
    failures += !ok;
}

int main(void)
{
    simd_x86_features full;
    memset(&full, 0, sizeof full);
    full.avx = full.fma = full.avx2 = full.osxsave = 1;
    full.avx512f = full.avx512bw = full.avx512dq = full.avx512vl = 1;
    full.os_ymm = full.os_zmm = 1;
    expect("every feature", &full, 1, "CPUID has AVX-512 F/BW/DQ/VL");

    simd_x86_features f = full;
    f.avx512f = f.avx512bw = f.avx512dq = f.avx512vl = 0;
    expect("an AVX2 CPU (no AVX-512)", &f, 0, "CPUID lacks AVX512F AVX512BW AVX512DQ AVX512VL");
    f = full;
    f.avx512vl = 0;
    expect("AVX-512F/BW/DQ without VL", &f, 0, "CPUID lacks AVX512VL");
    f = full;
    f.os_zmm = 0;
    expect("the OS saves YMM but not ZMM", &f, 0, "XCR0 lacks opmask/ZMM bits");
    f = full;
    f.osxsave = f.os_ymm = f.os_zmm = 0;
    expect("no OSXSAVE", &f, 0, "no OSXSAVE");

    /* this machine: the check agrees with the CPUID bits themselves */
    simd_x86_detect(&f);
    int has = f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl && f.avx2 && f.fma && f.os_zmm;
    expect("this machine", &f, has, has ? "CPUID has" : "");
    return failures ? 1 : 0;
}

/* CPUID/XGETBV feature detection shared by the SIMD plugins (see cpu_x86.h).
 * Built without -mavx2/-mfma: it must run on CPUs that lack them. */
#include "cpu_x86.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/* XCR0 via XGETBV; only valid when CPUID reports OSXSAVE. */
static unsigned long long cpu_x86_xgetbv0(void)
{
    unsigned int lo, hi;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static void cpu_x86_brand(char *out, size_t size)
{
    unsigned int regs[12], max_ext = __get_cpuid_max(0x80000000u, NULL);
    out[0] = '\0';
    if (max_ext < 0x80000004u)
        return;
    for (unsigned int i = 0; i < 3; i++)
        __get_cpuid(0x80000002u + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2], &regs[4 * i + 3]);
    char raw[49];
    memcpy(raw, regs, 48);
    raw[48] = '\0';
    /* trim leading and trailing blanks */
    const char *s = raw;
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\0'))
        n--;
    if (n >= size)
        n = size - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

void simd_x86_detect(simd_x86_features *f)
{
    unsigned int a, b, c, d;
    memset(f, 0, sizeof *f);
    cpu_x86_brand(f->brand, sizeof f->brand);
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return;
    f->fma = (c >> 12) & 1;
    f->osxsave = (c >> 27) & 1;
    f->avx = (c >> 28) & 1;
    if (__get_cpuid_max(0, NULL) >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        f->avx2 = (b >> 5) & 1;
        f->avx512f = (b >> 16) & 1;
        f->avx512dq = (b >> 17) & 1;
        f->avx512bw = (b >> 30) & 1;
        f->avx512vl = (b >> 31) & 1;
    }
    if (f->osxsave) {
        unsigned long long xcr0 = cpu_x86_xgetbv0();
        f->os_ymm = (xcr0 & 0x6) == 0x6;
        f->os_zmm = f->os_ymm && (xcr0 & 0xe0) == 0xe0;
    }
}
#else
void simd_x86_detect(simd_x86_features *f)
{
    memset(f, 0, sizeof *f);
}
#endif

/* Philox4x32-10 counter-based random numbers (Salmon et al., SC'11), so that
 * every plugin draws the same dropout mask for the same (seed, counter).
 * Header-only; the OpenCL kernels carry the same function in OpenCL C. */
#ifndef SEQNN_PHILOX_H
#define SEQNN_PHILOX_H

#include <stdint.h>

/* Four 32-bit outputs for key (seed) and 64-bit counter ctr; the upper two
 * counter words are 0. */
static inline void seqnn_philox4x32_10(uint64_t seed, uint64_t ctr, uint32_t out[4])
{
    uint32_t c0 = (uint32_t)ctr, c1 = (uint32_t)(ctr >> 32), c2 = 0, c3 = 0;
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)0xD2511F53u * c0;
        uint64_t p1 = (uint64_t)0xCD9E8D57u * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/* Dropout's keep decision for the element at stream position c = offset + i
 * (kernels.h, seqnn_dropout_args): one Philox call serves four consecutive
 * positions, c uses word c & 3 of the block at counter c >> 2. */
static inline int seqnn_dropout_keep(uint64_t seed, uint64_t c, uint32_t threshold)
{
    uint32_t r[4];
    seqnn_philox4x32_10(seed, c >> 2, r);
    return (r[c & 3] >> 8) >= threshold;
}

/* threshold = (uint32_t)(p * 2^24), 0 <= p < 1. */
static inline uint32_t seqnn_dropout_threshold(double p)
{
    return (uint32_t)(p * 16777216.0);
}

#endif /* SEQNN_PHILOX_H */

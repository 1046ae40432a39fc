/* Random numbers on the host (Philox, so a seed means the same model on every
 * machine) and the parameter initialisers: uniform, normal, orthogonal
 * blocks (Gram-Schmidt on Gaussian rows), identity blocks, zeros. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fe.h"
#include "seqnn/philox.h"

/* 53 random bits from two 32-bit words, mapped into the open interval (0, 1). */
static double to_unit(uint32_t hi, uint32_t lo)
{
    uint64_t bits = ((uint64_t)(hi >> 5) << 26) | (lo >> 6);
    return ((double)bits + 0.5) / 9007199254740992.0;
}

double fe_uniform(uint64_t seed, uint64_t counter)
{
    uint32_t r[4];
    seqnn_philox4x32_10(seed, counter, r);
    return to_unit(r[0], r[1]);
}

double fe_normal(uint64_t seed, uint64_t counter)
{
    uint32_t r[4];
    seqnn_philox4x32_10(seed, counter, r);
    double u1 = to_unit(r[0], r[1]), u2 = to_unit(r[2], r[3]);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Makes the rows of the n x n block q orthonormal (modified Gram-Schmidt; a
 * Gaussian matrix is full rank with probability one). */
static void orthonormalise(double *q, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        double *qi = q + i * n;
        for (int64_t j = 0; j < i; j++) {
            const double *qj = q + j * n;
            double dot = 0;
            for (int64_t k = 0; k < n; k++)
                dot += qi[k] * qj[k];
            for (int64_t k = 0; k < n; k++)
                qi[k] -= dot * qj[k];
        }
        double norm = 0;
        for (int64_t k = 0; k < n; k++)
            norm += qi[k] * qi[k];
        norm = sqrt(norm);
        for (int64_t k = 0; k < n; k++)
            qi[k] = norm > 0 ? qi[k] / norm : 0;
    }
}

void fe_init_values(const fe_param *p, uint64_t seed, int64_t i, float *dst)
{
    /* Every parameter draws from its own stream: its index keys it. */
    uint64_t key = seed ^ ((uint64_t)(i + 1) * 0x9E3779B97F4A7C15ull);
    int64_t cols = p->ndim >= 2 ? p->count / p->shape[0] : p->count;
    switch (p->init) {
    case FE_INIT_ZERO:
        memset(dst, 0, (size_t)p->count * sizeof *dst);
        break;
    case FE_INIT_UNIFORM:
        for (int64_t j = 0; j < p->count; j++)
            dst[j] = (float)((2.0 * fe_uniform(key, (uint64_t)j) - 1.0) * p->a);
        break;
    case FE_INIT_NORMAL:
        for (int64_t j = 0; j < p->count; j++)
            dst[j] = (float)(fe_normal(key, (uint64_t)j) * p->a);
        break;
    case FE_INIT_ORTHOGONAL: {
        double *q = malloc((size_t)(cols * cols) * sizeof *q);
        if (!q) {                        /* fall back to a scaled Gaussian */
            for (int64_t j = 0; j < p->count; j++)
                dst[j] = (float)(fe_normal(key, (uint64_t)j) * p->a / sqrt((double)cols));
            break;
        }
        for (int64_t blk = 0; blk * cols * cols < p->count; blk++) {
            int64_t base = blk * cols * cols;
            int64_t n = p->count - base < cols * cols ? p->count - base : cols * cols;
            for (int64_t j = 0; j < cols * cols; j++)
                q[j] = fe_normal(key, (uint64_t)(base + j));
            orthonormalise(q, cols);
            for (int64_t j = 0; j < n; j++)
                dst[base + j] = (float)(q[j] * p->a);
        }
        free(q);
        break;
    }
    case FE_INIT_IDENTITY:
        for (int64_t j = 0; j < p->count; j++) {
            int64_t r = (j / cols) % cols, c = j % cols;
            dst[j] = r == c ? (float)p->a : 0.0f;
        }
        break;
    }
    if (p->zero_row >= 0 && p->ndim >= 2 && p->zero_row < p->shape[0])
        memset(dst + p->zero_row * cols, 0, (size_t)cols * sizeof *dst);
}

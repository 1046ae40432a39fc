/* The SIMD plugins' own SGEMM (no BLAS): packed panels, an MR x 2*VW
 * register-blocked FMA micro-kernel, MC/KC/NC cache blocking, every
 * transpose, odd sizes, threads over (row block, column chunk) tiles so that
 * every C element is computed the same way for any thread count.
 * C = alpha*op(A)*op(B) + beta*C; beta == 0: C is not read. Row-major. */
#ifndef SEQNN_SIMD_GEMM_H
#define SEQNN_SIMD_GEMM_H

#include <stddef.h>
#include <stdint.h>
#include "simd_device.h"

/* Fewest NR-wide panels of B per task (and per column block): a GEMM with
 * few row blocks splits its columns into chunks of at least this many. */
#define SIMD_GEMM_TASK_PANELS 4

/* Compute tasks per GEMM, the fewest wanted, whatever the thread count (the
 * split never depends on it): tasks are handed out one at a time, so a
 * thread that wakes late or is held up leaves at most one small task's work
 * to wait for (16: an even split over 2 and 4 threads). One row block is
 * split into this many column chunks (of SIMD_GEMM_TASK_PANELS panels at
 * least); fewer than half as many row blocks, into as many chunks each as
 * make it up. */
#define SIMD_GEMM_TASKS 16

/* Leading dimension (floats) from which the rows of a row-major B are far
 * apart: 128 panel widths (8 KiB with 16-column panels, 16 KiB with 32),
 * where packing a panel reads one or two cache lines a row from rows on
 * different pages; with one row block, a task then packs its chunk row by
 * row. (Uses VW: vec.h first.) At 8 KiB rather than 16 the avx2 M=64 N=2048
 * K=512 product was 5-13% faster in 3 alternating runs; the avx512 one was not. */
#define SIMD_GEMM_FAR_LDB (128 * 2 * VW)

/* Returns 0, or -1 when scratch memory cannot be had. */
int simd_sgemm(simd_device *dev, int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha,
               const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
               int64_t ldc);

/* C1 = alpha*op(A)*B1 + beta*C1 and C2 = alpha*op(A)*B2 + beta*C2 in one
 * pass over A (op(A) [m, k] packed once; B1 [k, n1], B2 [k, n2] row-major;
 * C1 [m, n1], C2 [m, n2]): each C element gets exactly what simd_sgemm gives
 * it. For weight gradients sharing dG^T. Returns 0, or -1 (no scratch). */
int simd_sgemm_pair(simd_device *dev, int ta, int64_t m, int64_t k, float alpha, const float *a, int64_t lda,
                    int64_t n1, const float *b1, int64_t ldb1, float *c1, int64_t ldc1,
                    int64_t n2, const float *b2, int64_t ldb2, float *c2, int64_t ldc2, float beta);

/* B packed once and reused by many tiles with the same B (recurrent weights
 * across time steps, conv filters, attention's keys and values):
 * simd_gemm_packed_b_count(k, n) floats, filled by simd_gemm_pack_b
 * (threaded); read by simd_gemm_tile. */
size_t simd_gemm_packed_b_count(int64_t k, int64_t n);
void simd_gemm_pack_b(int tb, int64_t k, int64_t n, const float *b, int64_t ldb, float *packed);

/* Width of the packed B panels (columns): tile column starts are multiples of it. */
int simd_gemm_nr(void);

/* A packed once (MR-row panels for every KC block: the recurrent state of a
 * step, shared by all of the step's tiles): simd_gemm_packed_a_count(m, k)
 * floats, filled by simd_gemm_pack_a (single-threaded, op(A) is [m, k]). */
size_t simd_gemm_packed_a_count(int64_t m, int64_t k);
void simd_gemm_pack_a(int ta, int64_t m, int64_t k, const float *a, int64_t lda, float *packed);

/* One tile of a GEMM with both operands packed (A [m, k] by
 * simd_gemm_pack_a, B [k, n] by simd_gemm_pack_b): columns [j0, j0 + nc) of C
 * (c points at column 0, element (i, j) at c[i*ldc + j]) = alpha * A *
 * B[:, j0:j0+nc] + beta * C. j0 is a multiple of simd_gemm_nr().
 * Single-threaded: callers run tiles as tasks. */
void simd_gemm_tile(int64_t m, int64_t k, float alpha, const float *packed_a, const float *packed_b,
                    int64_t n, int64_t j0, int64_t nc, float beta, float *c, int64_t ldc);

#endif

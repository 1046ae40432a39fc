/* SGEMM of the SIMD plugins (see simd_gemm.h) and the gemm kernel.
 *
 * Loops (BLIS's order): for each NC block of columns (jc) B is packed for all
 * of K into NR-wide panels (threaded); then tasks over (MC row block, column
 * chunk) each loop over KC blocks (pc): pack the MC x KC block of A into
 * MR-row panels in per-thread scratch (L2-resident), then sweep the chunk's
 * NR panels of B (each KC x NR, L1-resident) with the micro-kernel. Each C
 * element is always accumulated over the same pc blocks in the same order, so
 * the result does not depend on the partition or the thread count.
 * simd_sgemm_pair runs two GEMMs sharing A as one: B and C in two column
 * segments, the first padded to whole NR panels, A packed once for both. */
#include <string.h>
#include "simd_gemm.h"
#include "simd_kernels.h"
#include "threads.h"
#include "vec.h"

#define MR SIMD_GEMM_MR
#define NR (2 * VW)
#define KC SIMD_GEMM_KC
#define MC SIMD_GEMM_MC
#define NC SIMD_GEMM_NC

static inline int64_t gemm_min(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t gemm_ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* The start of part `i` of `n` parts of `total` items, split as evenly as
 * whole items allow (part sizes differ by one at most). */
static inline int64_t gemm_share(int64_t total, int64_t n, int64_t i) { return total * i / n; }

/* Several row blocks are rounded up to a multiple of this many, of even
 * sizes (row blocks of 120, ..., 120 and the 64 rows left ran as 5 + 4 tasks
 * on 2 threads at M = 1024, one thread idle 5% of the time). */
#define GEMM_ROW_QUANTUM 4

/* ------------------------------------------------------------- packing --- */

/* Row p of a packed A panel (MR floats, lanes past MR of v are zero): a
 * whole vector while another row follows (the extra lanes land where that
 * row goes and are overwritten by it; VW <= 2*MR keeps them inside the
 * panel), only MR lanes for the panel's last row. */
static inline void gemm_pack_a_row(float *restrict dst, int64_t p, int64_t kc, vf v)
{
    if (p + 1 < kc)
        vf_store(dst + p * MR, v);
    else
        vf_store_n(dst + p * MR, v, MR);
}

_Static_assert(MR <= VW && VW <= 2 * MR, "a packed A row is one vector store");

/* Row-major A rows [i0, i0+mr) x cols [p0, p0+kc) into one MR-row panel:
 * dst[p*MR + r], rows >= mr zero; VW columns of the MR rows at a time,
 * transposed in registers through two VW x VW blocks on the stack. */
static void gemm_pack_a_panel(const float *a, int64_t lda, int64_t i0, int64_t mr, int64_t p0, int64_t kc,
                              float *restrict dst)
{
    const float *rows[MR];
    for (int r = 0; r < MR; r++)
        rows[r] = a + (i0 + (r < mr ? r : 0)) * lda + p0;
    float blk[VW * VW] __attribute__((aligned(64))), tr[VW * VW] __attribute__((aligned(64)));
    for (int r = MR; r < VW; r++)
        vf_store(blk + r * VW, vf_zero());
    int64_t p = 0;
    for (; p + VW <= kc; p += VW) {
        for (int r = 0; r < MR; r++)
            vf_store(blk + r * VW, r < mr ? vf_load(rows[r] + p) : vf_zero());
        vf_transpose_block(blk, VW, tr, VW);
        for (int q = 0; q < VW; q++)
            gemm_pack_a_row(dst, p + q, kc, vf_load(tr + q * VW));
    }
    for (; p < kc; p++)
        for (int r = 0; r < MR; r++)
            dst[p * MR + r] = r < mr ? rows[r][p] : 0.0f;
}

/* op(A) rows [i0, i0+mc) x cols [p0, p0+kc) into consecutive MR-row panels
 * (panel q at dst + q*MR*kc, as gemm_pack_a_panel packs it). Transposed A
 * (the weight gradients dW = dG^T X, lda = G*H): row by row of the stored A,
 * each row segment read once, contiguously, in whole vectors where a panel
 * is followed by another, and dealt out to the panels. Panel by panel with
 * masked loads, packing took 20% of the perf samples of avx2_gemm_bench's
 * 2048x512x3200t, now 14% (0.78-0.79x -> 0.88-0.90x OpenBLAS-Haswell). */
static void gemm_pack_a_block(int ta, const float *a, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc,
                              float *restrict dst)
{
    if (!ta) {
        for (int64_t i = 0; i < mc; i += MR)
            gemm_pack_a_panel(a, lda, i0 + i, gemm_min(MR, mc - i), p0, kc, dst + i * kc);
        return;
    }
    for (int64_t p = 0; p < kc; p++) {
        const float *src = a + (p0 + p) * lda + i0;
        int64_t i = 0;
        for (; i + VW <= mc; i += MR)    /* a whole vector: its lanes past MR are the next panel's */
            gemm_pack_a_row(dst + i * kc, p, kc, vf_load(src + i));
        for (; i < mc; i += MR)
            gemm_pack_a_row(dst + i * kc, p, kc, vf_load_n(src + i, gemm_min(MR, mc - i)));
    }
}

/* op(B) rows [p0, p0+kc) x cols [j0, j0+nr) into one NR-wide panel:
 * dst[p*NR + c], columns >= nr zero. */
static void gemm_pack_b_panel(int tb, const float *b, int64_t ldb, int64_t p0, int64_t kc,
                              int64_t j0, int64_t nr, float *restrict dst)
{
    if (!tb) {
        const float *src = b + p0 * ldb + j0;
        if (nr == NR) {
            for (int64_t p = 0; p < kc; p++, src += ldb, dst += NR) {
                vf_store(dst, vf_load(src));
                vf_store(dst + VW, vf_load(src + VW));
            }
        } else {
            int64_t n0 = gemm_min(nr, VW), n1 = nr > VW ? nr - VW : 0;
            for (int64_t p = 0; p < kc; p++, src += ldb, dst += NR) {
                vf_store(dst, vf_load_n(src, n0));
                vf_store(dst + VW, vf_load_n(src + VW, n1));
            }
        }
    } else {
        /* whole VW x VW blocks by register transposes, the rest element-wise */
        int64_t pfull = kc - kc % VW;
        for (int c0 = 0; c0 < NR; c0 += VW) {
            int64_t pdone = 0;
            if (c0 + VW <= nr) {
                for (int64_t p = 0; p < pfull; p += VW)
                    vf_transpose_block(b + (j0 + c0) * ldb + p0 + p, ldb, dst + p * NR + c0, NR);
                pdone = pfull;
            }
            for (int c = c0; c < c0 + VW; c++) {
                if (c < nr) {
                    const float *src = b + (j0 + c) * ldb + p0;
                    for (int64_t p = pdone; p < kc; p++)
                        dst[p * NR + c] = src[p];
                } else {
                    for (int64_t p = pdone; p < kc; p++)
                        dst[p * NR + c] = 0.0f;
                }
            }
        }
    }
}

/* -------------------------------------------------------- micro-kernel --- */


/* The C rows of a micro-tile, [mr <= rows, NR] at c, fetched into L1 while
 * the k loop runs: the recurrent layers' per-step tiles add to gate rows the
 * input GEMM wrote long before (T*B*G*H floats, out of cache), and their
 * loads at the end of the tile were 7% of gemm_micro's perf samples. */
static inline __attribute__((always_inline)) void gemm_prefetch_c(const int rows, const float *c, int64_t ldc,
                                                                  int64_t mr)
{
#pragma GCC unroll 32
    for (int r = 0; r < rows; r++) {
        if (r < mr) {
            for (int q = 0; q < NR; q += 16)
                vf_prefetch(c + r * ldc + q);
            vf_prefetch(c + r * ldc + NR - 1);
        }
    }
}

/* C[mr, nr] = alpha * A * Bp + beta * C  (beta == 0: C not read), where Bp
 * is an NR-wide packed panel of depth kc and A's element (r, p) is at
 * a[r*rs + p*cs]: an MR-row packed panel (rs 1, cs MR) or rows of a row-major
 * matrix read in place (rs lda, cs 1). `rows` (a constant, mr <= rows <= MR)
 * rows are computed, and both vectors of the panel when `wide` (a constant),
 * only the first (nr <= VW) when not; rows >= mload are not read (row 0 is
 * read instead and its results dropped). Each element of C gets the same FMAs
 * in the same order whatever `rows` and `wide` are. With `pfon` (a constant)
 * one cache line per k step is prefetched into L2 at pf + 16 p (gemm_pf). */
static inline __attribute__((always_inline)) void
gemm_micro_rows(const int rows, const int wide, const int pfon, int64_t kc, const float *a, int64_t rs, int64_t cs,
                int64_t mload, const float *restrict bp, const float *pf, float *c, int64_t ldc, int64_t mr,
                int64_t nr, float alpha, float beta)
{
    const float *ar[MR];
    vf acc[MR][2];
#pragma GCC unroll 32
    for (int r = 0; r < rows; r++) {
        ar[r] = a + (r < mload ? r : 0) * rs;
        acc[r][0] = acc[r][1] = vf_zero();
    }
    gemm_prefetch_c(rows, c, ldc, mr);
    /* 4 k steps per loop pass: one pointer update and branch per 48 FMAs
     * (avx2) instead of per 12; avx2_micro_bench m=64 k=512 90% -> 97% of the
     * FMA peak with 4 panels, 87% -> 92% with 128 (B from L3), avx2_rnn_bench
     * LSTM H=512 5% faster; in the plugin build within 1% (its one-step loop
     * happened to be placed well there), and no longer dependent on that. */
#pragma GCC unroll 4
    for (int64_t p = 0; p < kc; p++) {
        if (pfon)
            vf_prefetch_l2(pf + p * 16);
        vf b0 = vf_load(bp), b1 = wide ? vf_load(bp + VW) : vf_zero();
#pragma GCC unroll 32
        for (int r = 0; r < rows; r++) {
            vf av = vf_bcast(ar[r] + p * cs);
            acc[r][0] = vf_fmadd(av, b0, acc[r][0]);
            if (wide)
                acc[r][1] = vf_fmadd(av, b1, acc[r][1]);
        }
        bp += NR;
    }
    const vf va = vf_set1(alpha), vb = vf_set1(beta);
    if (mr == rows && nr == NR) {
#pragma GCC unroll 32
        for (int r = 0; r < rows; r++) {
            float *cr = c + r * ldc;
            if (beta == 0.0f) {
                vf_store(cr, vf_mul(acc[r][0], va));
                vf_store(cr + VW, vf_mul(acc[r][1], va));
            } else if (beta == 1.0f) {
                vf_store(cr, vf_fmadd(acc[r][0], va, vf_load(cr)));
                vf_store(cr + VW, vf_fmadd(acc[r][1], va, vf_load(cr + VW)));
            } else {
                vf_store(cr, vf_fmadd(acc[r][0], va, vf_mul(vb, vf_load(cr))));
                vf_store(cr + VW, vf_fmadd(acc[r][1], va, vf_mul(vb, vf_load(cr + VW))));
            }
        }
    } else {
        int64_t n0 = gemm_min(nr, VW), n1 = nr > VW ? nr - VW : 0;
        for (int r = 0; r < rows; r++) {
            if (r >= mr)
                break;
            float *cr = c + r * ldc;
            vf c0 = vf_mul(acc[r][0], va), c1 = vf_mul(acc[r][1], va);
            if (beta != 0.0f) {
                c0 = vf_fmadd(vf_load_n(cr, n0), vb, c0);
                c1 = vf_fmadd(vf_load_n(cr + VW, n1), vb, c1);
            }
            vf_store_n(cr, c0, n0);
            vf_store_n(cr + VW, c1, n1);
        }
    }
}



/* rows of the short micro-tile for a last panel of at most this many rows
 * (M = 32 with MR = 13 is 13 + 13 + 6: the third panel computes 7 rows, not 13) */
#define MR_SHORT ((MR + 1) / 2)

/* What the micro-kernel of row panel ri over the packed B panel bp (depth
 * kc) prefetches into L2, one cache line (16 floats) per k step: row panels
 * 1, 2, ... fetch the next panel (contiguous after bp: next = 1) while bp
 * itself is reused from cache; the others touch bp. The first row panel of
 * each B panel then finds it in L2 rather than in L3 or memory (the
 * recurrent weights of H >= 512 do not fit L2: avx512 LSTM and GRU H=512
 * and 1024 up to 21% faster). NULL (no prefetch) where B is packed just in
 * time (next = 0): there is no packed next panel, and prefetching the
 * L1-hot current one made the M = 64 GEMMs 2-15% slower. */
static inline const float *gemm_pf(const float *bp, int64_t kc, int64_t ri, int next)
{
    if (!next)
        return NULL;
    return ri >= 1 && (ri - 1) * 16 < NR ? bp + NR * kc + (ri - 1) * 16 * kc : bp;
}

/* The micro-tile for an A panel whose element (r, p) is at a[r*rs + p*cs]
 * (rows >= mload not read; gemm_micro_rows) over the packed B panel bp; pf:
 * gemm_pf's. Always inlined, so that each caller's strides are constants
 * there. With pf NULL the full tile runs without the prefetch; the edge
 * tiles (a last panel of few rows or columns) touch bp instead. A last panel
 * one or two rows short of MR runs exactly its rows: M = 64 is 10 x 6 + 4
 * rows with avx2 and 4 x 13 + 12 with avx512, and the 6-row tile on the
 * last 4 rows made avx2_micro_bench's m = 64 tile 88% of the FMA peak
 * against 92% for m = 66. */
static inline __attribute__((always_inline)) void
gemm_micro_dispatch(int64_t kc, const float *a, int64_t rs, int64_t cs, int64_t mload, const float *bp,
                    const float *pf, float *c, int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta)
{
    const float *pe = pf ? pf : bp;      /* the edge tiles' prefetch */
    if (nr <= VW)                        /* a half-empty last panel (N = 48: 32 + 16) */
        gemm_micro_rows(MR, 0, 1, kc, a, rs, cs, mload, bp, pe, c, ldc, mr, nr, alpha, beta);
    else if (mr <= MR_SHORT)
        gemm_micro_rows(MR_SHORT, 1, 1, kc, a, rs, cs, mload, bp, pe, c, ldc, mr, nr, alpha, beta);
    else if (mr == MR - 2)
        gemm_micro_rows(MR - 2, 1, 1, kc, a, rs, cs, mload, bp, pe, c, ldc, mr, nr, alpha, beta);
    else if (mr == MR - 1)
        gemm_micro_rows(MR - 1, 1, 1, kc, a, rs, cs, mload, bp, pe, c, ldc, mr, nr, alpha, beta);
    else if (pf)
        gemm_micro_rows(MR, 1, 1, kc, a, rs, cs, mload, bp, pf, c, ldc, mr, nr, alpha, beta);
    else
        gemm_micro_rows(MR, 1, 0, kc, a, rs, cs, mload, bp, bp, c, ldc, mr, nr, alpha, beta);
}

/* A from a packed MR-row panel (zero rows past mr: all MR read) */
static void gemm_micro(int64_t kc, const float *ap, const float *bp, const float *pf, float *c, int64_t ldc,
                       int64_t mr, int64_t nr, float alpha, float beta)
{
    gemm_micro_dispatch(kc, ap, 1, MR, MR, bp, pf, c, ldc, mr, nr, alpha, beta);
}

/* A read in place, rows of a row-major matrix lda apart (a: the panel's row
 * 0 at its depth block's first column; rows >= mr not read), for the
 * driver's narrow products (gemm_job.ainplace): the same FMAs in the same
 * order as from a packed panel, without the packing; no prefetch of B (its
 * few panels stay in cache). */
static void gemm_micro_inplace(int64_t kc, const float *a, int64_t lda, const float *bp, float *c, int64_t ldc,
                               int64_t mr, int64_t nr, float alpha, float beta)
{
    gemm_micro_dispatch(kc, a, lda, 1, mr, bp, NULL, c, ldc, mr, nr, alpha, beta);
}

/* --------------------------------------------------------------- driver --- */

typedef struct gemm_job {
    int ta, tb;
    int64_t m, n, k;
    float alpha, beta;
    const float *a; int64_t lda;
    const float *b; int64_t ldb;
    float *c; int64_t ldc;
    /* current column block [jc, jc + nc) and its packed B: the panel of
     * columns [jc + j*NR, ...) and rows [pc, pc + kc) is at
     * bpack + pc * bstride + j * NR * kc */
    int64_t jc, nc;
    const float *bpack; int64_t bstride;
    float *bpack_dst;                    /* packing target (general path) */
    int64_t mblocks, nchunks;            /* compute tasks: row blocks x column chunks (gemm_run_block) */
    float *apack;                        /* per-thread MC x KC panels */
    const float *apre;                   /* or, with one row block, all of A packed once
                                          * (simd_gemm_pack_a's layout) */
    float *bjit;                         /* per-thread KC x GEMM_JIT_COLS: B packed just in time
                                          * (one row block: each panel is used by one task) */
    int jit_chunk;                       /* 1: a task's whole chunk per depth block, row by row
                                          * (rows of B far apart); 0: each panel right before use */
    int ainplace;                        /* 1: A not packed, read in place (gemm_run says when) */
    /* two column segments sharing A (simd_sgemm_pair): columns [0, n1) of B
     * and C are b and c, columns [n1pad, n) (n1pad: n1 rounded up to NR)
     * are b2 and c2; without b2, n1 == n1pad == n */
    int64_t n1, n1pad;
    const float *b2; int64_t ldb2;
    float *c2; int64_t ldc2;
} gemm_job;

/* The segment holding column v (a multiple of NR) of a job's B and C: its B
 * and C, v's column inside it and the segment's width. */
typedef struct gemm_seg {
    const float *b; int64_t ldb;
    float *c; int64_t ldc;
    int64_t col, width;
} gemm_seg;

static inline gemm_seg gemm_seg_at(const gemm_job *g, int64_t v)
{
    if (v < g->n1pad)
        return (gemm_seg){ g->b, g->ldb, g->c, g->ldc, v, g->n1 };
    return (gemm_seg){ g->b2, g->ldb2, g->c2, g->ldc2, v - g->n1pad, g->n - g->n1pad };
}

/* columns of B a task packs just in time per depth block (8 panels: with the
 * A block, within L2) */
#define GEMM_JIT_COLS (12 * NR)

/* most panels of B for which A is read in place rather than packed */
#define GEMM_INPLACE_PANELS 8

/* packing tasks: one per group of panels, all pc blocks */
#define GEMM_PACK_GROUP 8

static void gemm_pack_b_task(void *ctx, int64_t task, int tid)
{
    const gemm_job *g = ctx;
    const int64_t npanels = gemm_ceil_div(g->nc, NR);
    const int64_t j0 = task * GEMM_PACK_GROUP, j1 = gemm_min(npanels, j0 + GEMM_PACK_GROUP);
    const gemm_seg s0 = gemm_seg_at(g, g->jc + j0 * NR), s1 = gemm_seg_at(g, g->jc + (j1 - 1) * NR);
    (void)tid;
    for (int64_t pc = 0; pc < g->k; pc += KC) {
        int64_t kc = gemm_min(KC, g->k - pc);
        float *dst = g->bpack_dst + pc * g->bstride;
        if (!g->tb && s1.col - s0.col == (j1 - 1 - j0) * NR && s1.col + NR <= s1.width) {
            /* whole panels of a row-major B: read each row of the group once,
             * contiguously, and deal it out to the panels */
            const float *src = s0.b + pc * s0.ldb + s0.col;
            for (int64_t p = 0; p < kc; p++, src += s0.ldb)
                for (int64_t j = j0; j < j1; j++) {
                    float *d = dst + j * NR * kc + p * NR;
                    vf_store(d, vf_load(src + (j - j0) * NR));
                    vf_store(d + VW, vf_load(src + (j - j0) * NR + VW));
                }
        } else {
            for (int64_t j = j0; j < j1; j++) {
                gemm_seg sj = gemm_seg_at(g, g->jc + j * NR);
                gemm_pack_b_panel(g->tb, sj.b, sj.ldb, pc, kc, sj.col, gemm_min(NR, sj.width - sj.col),
                                  dst + j * NR * kc);
            }
        }
    }
}

static void gemm_compute_task(void *ctx, int64_t task, int tid)
{
    const gemm_job *g = ctx;
    const int64_t rb = task / g->nchunks, cb = task % g->nchunks;
    const int64_t i0 = gemm_share(gemm_ceil_div(g->m, MR), g->mblocks, rb) * MR;
    const int64_t mc = gemm_min(gemm_share(gemm_ceil_div(g->m, MR), g->mblocks, rb + 1) * MR, g->m) - i0;
    const int64_t j0 = gemm_share(gemm_ceil_div(g->nc, NR), g->nchunks, cb) * NR;
    const int64_t ncc = gemm_min(gemm_share(gemm_ceil_div(g->nc, NR), g->nchunks, cb + 1) * NR, g->nc) - j0;
    float *ap = g->apack + (size_t)tid * MC * KC;
    for (int64_t pc = 0; pc < g->k; pc += KC) {
        int64_t kc = gemm_min(KC, g->k - pc);
        float beta = pc == 0 ? g->beta : 1.0f;
        if (g->ainplace) {
            /* row panel by row panel: its rows stay in L1 across the few panels of B */
            for (int64_t i = 0; i < mc; i += MR)
                for (int64_t j = 0; j < ncc; j += NR) {
                    gemm_seg sj = gemm_seg_at(g, g->jc + j0 + j);
                    gemm_micro_inplace(kc, g->a + (i0 + i) * g->lda + pc, g->lda,
                                       g->bpack + pc * g->bstride + (j0 + j) * kc, sj.c + (i0 + i) * sj.ldc + sj.col,
                                       sj.ldc, gemm_min(MR, mc - i), gemm_min(gemm_min(NR, ncc - j), sj.width - sj.col),
                                       g->alpha, beta);
                }
            continue;
        }
        if (g->apre)
            ap = (float *)g->apre + pc * gemm_ceil_div(g->m, MR) * MR;
        else
            gemm_pack_a_block(g->ta, g->a, g->lda, i0, mc, pc, kc, ap);
        float *bb = g->bjit ? g->bjit + (size_t)tid * KC * GEMM_JIT_COLS : NULL;
        if (bb && g->jit_chunk) {
            /* this task's panels for this depth block, L2-resident; whole panels of
             * a row-major B row by row (contiguous reads), the rest panel by panel */
            int64_t full = ncc / NR * NR;
            if (!g->tb && full > 0) {
                const float *src = g->b + pc * g->ldb + g->jc + j0;
                for (int64_t p = 0; p < kc; p++, src += g->ldb)
                    for (int64_t j = 0; j < full; j += NR) {
                        float *d = bb + j * kc + p * NR;
                        vf_store(d, vf_load(src + j));
                        vf_store(d + VW, vf_load(src + j + VW));
                    }
            } else {
                full = 0;
            }
            for (int64_t j = full; j < ncc; j += NR)
                gemm_pack_b_panel(g->tb, g->b, g->ldb, pc, kc, g->jc + j0 + j, gemm_min(NR, ncc - j), bb + j * kc);
        }
        for (int64_t j = 0; j < ncc; j += NR) {
            int64_t nr = gemm_min(NR, ncc - j);
            const float *bp;
            if (bb && !g->jit_chunk) {
                gemm_pack_b_panel(g->tb, g->b, g->ldb, pc, kc, g->jc + j0 + j, nr, bb);   /* L1-hot */
                bp = bb;
            } else {
                bp = bb ? bb + j * kc : g->bpack + pc * g->bstride + (j0 + j) * kc;
            }
            gemm_seg sj = gemm_seg_at(g, g->jc + j0 + j);
            nr = gemm_min(nr, sj.width - sj.col);
            for (int64_t i = 0; i < mc; i += MR)
                gemm_micro(kc, ap + i * kc, bp, gemm_pf(bp, kc, i / MR, !bb), sj.c + (i0 + i) * sj.ldc + sj.col, sj.ldc,
                           gemm_min(MR, mc - i), nr, g->alpha, beta);
        }
    }
}

/* C = beta*C over [m, n] (k == 0) */
static void gemm_scale_c(int64_t m, int64_t n, float beta, float *c, int64_t ldc)
{
    const vf vb = vf_set1(beta);
    for (int64_t i = 0; i < m; i++) {
        float *cr = c + i * ldc;
        int64_t j = 0;
        for (; j + VW <= n; j += VW)
            vf_store(cr + j, beta == 0.0f ? vf_zero() : vf_mul(vb, vf_load(cr + j)));
        if (j < n)
            vf_store_n(cr + j, beta == 0.0f ? vf_zero() : vf_mul(vb, vf_load_n(cr + j, n - j)), n - j);
    }
}

/* Runs the compute tasks of column block g->jc (B already packed), split
 * by the shape alone (simd_gemm.h, SIMD_GEMM_TASKS). */
static void gemm_run_block(gemm_job *g)
{
    const int64_t mpanels = gemm_ceil_div(g->m, MR), npanels = gemm_ceil_div(g->nc, NR);
    /* row blocks of at most MC rows, a multiple of GEMM_ROW_QUANTUM of them
     * (as many as there are MR-row panels at most) */
    int64_t mblocks = gemm_ceil_div(g->m, MC);
    if (mblocks > 1)
        mblocks = gemm_min(gemm_ceil_div(mblocks, GEMM_ROW_QUANTUM) * GEMM_ROW_QUANTUM, mpanels);
    /* few row blocks: column chunks too (one row block: A is shared, the
     * split costs nothing), each of SIMD_GEMM_TASK_PANELS panels at least */
    int64_t nchunks = 1;
    if (mblocks < SIMD_GEMM_TASKS / 2)
        nchunks = gemm_min(gemm_ceil_div(SIMD_GEMM_TASKS, mblocks), npanels / SIMD_GEMM_TASK_PANELS);
    const int64_t jit_least = gemm_ceil_div(npanels, GEMM_JIT_COLS / NR);   /* a chunk fits the jit buffer */
    if (g->bjit && g->jit_chunk && nchunks < jit_least)
        nchunks = jit_least;
    g->mblocks = mblocks;
    g->nchunks = nchunks < 1 ? 1 : nchunks;
    simd_parallel_for(g->mblocks * g->nchunks, gemm_compute_task, g);
}

static float *gemm_apack(simd_device *dev)
{
    return simd_scratch(dev, SIMD_SCRATCH_GEMM_A, (size_t)simd_threads_count() * MC * KC);
}

/* 1 when there is nothing to multiply (C = beta*C done where k <= 0) */
static int gemm_trivial(int64_t m, int64_t n, int64_t k, float beta, float *c, int64_t ldc)
{
    if (m <= 0 || n <= 0)
        return 1;
    if (k <= 0)
        gemm_scale_c(m, n, beta, c, ldc);
    return k <= 0;
}

/* Runs a job whose operands, shape and segments are set (m, n, k > 0). */
static int gemm_run(simd_device *dev, gemm_job *job)
{
    gemm_job g = *job;                   /* the jit paths read g.b: one segment there */
    const int ta = g.ta, tb = g.tb;
    const int64_t m = g.m, n = g.n, k = g.k, lda = g.lda, ldb = g.ldb;
    const float *a = g.a;
    /* NC block: about KC*NC floats of packed B whatever K is (each column
     * block packs A again: the weight-gradient GEMMs, K = T*B = 3200, packed
     * their A 3 times with KC*NC = 1.2M floats); one row block packs B per
     * task: one column block */
    int64_t nc_max = m <= MC ? gemm_ceil_div(n, NR) * NR : (int64_t)KC * NC / k / NR * NR;
    if (nc_max < SIMD_GEMM_TASK_PANELS * NR)
        nc_max = SIMD_GEMM_TASK_PANELS * NR;
    int64_t nc_alloc = gemm_min(nc_max, gemm_ceil_div(n, NR) * NR);
    /* one row block: pack each B panel right before its only use (L1-hot) */
    const int jit = m <= MC;
    float *bpack = jit ? simd_scratch(dev, SIMD_SCRATCH_GEMM_B, (size_t)simd_threads_count() * KC * GEMM_JIT_COLS)
                       : simd_scratch(dev, SIMD_SCRATCH_GEMM_B, (size_t)nc_alloc * k);
    if (jit) {
        /* one row block: A packed once here rather than by every column task */
        float *apre = simd_scratch(dev, SIMD_SCRATCH_GEMM_A, simd_gemm_packed_a_count(m, k));
        if (apre)
            simd_gemm_pack_a(ta, m, k, a, lda, apre);
        g.apre = apre;
        g.apack = apre;
    } else {
        g.apack = gemm_apack(dev);
    }
    if (!bpack || !g.apack)
        return -1;
    g.bjit = jit ? bpack : NULL;
    /* a narrow B after the first row block (B packed ahead): A read in place,
     * each row panel from L1 for all of B's few panels, rather than packed
     * (packing was a fifth of the dense layer's [3200, 256] x [256, 97]) */
    g.ainplace = !ta && !jit && gemm_ceil_div(n, NR) <= GEMM_INPLACE_PANELS;
    /* rows of B far apart (simd_gemm.h): a panel's rows are on different pages
     * and its per-panel packing is slow; pack the task's chunk row by row instead */
    g.jit_chunk = !tb && ldb >= SIMD_GEMM_FAR_LDB;
    for (int64_t jc = 0; jc < n; jc += nc_max) {
        g.jc = jc;
        g.nc = gemm_min(nc_max, n - jc);
        g.bstride = gemm_ceil_div(g.nc, NR) * NR;
        g.bpack_dst = bpack;
        g.bpack = bpack;
        if (!jit)
            simd_parallel_for(gemm_ceil_div(gemm_ceil_div(g.nc, NR), GEMM_PACK_GROUP), gemm_pack_b_task, &g);
        gemm_run_block(&g);
    }
    return 0;
}

int simd_sgemm(simd_device *dev, int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha,
               const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
               int64_t ldc)
{
    if (gemm_trivial(m, n, k, beta, c, ldc))
        return 0;
    gemm_job g = {
        .ta = ta, .tb = tb, .m = m, .n = n, .k = k, .alpha = alpha, .beta = beta,
        .a = a, .lda = lda, .b = b, .ldb = ldb, .c = c, .ldc = ldc, .n1 = n, .n1pad = n,
    };
    return gemm_run(dev, &g);
}

int simd_sgemm_pair(simd_device *dev, int ta, int64_t m, int64_t k, float alpha, const float *a, int64_t lda,
                    int64_t n1, const float *b1, int64_t ldb1, float *c1, int64_t ldc1,
                    int64_t n2, const float *b2, int64_t ldb2, float *c2, int64_t ldc2, float beta)
{
    /* one row block (B packed just in time, which reads one B), an empty
     * segment or no depth: the two products one after the other */
    if (m <= MC || n1 <= 0 || n2 <= 0 || k <= 0)
        return simd_sgemm(dev, ta, 0, m, n1, k, alpha, a, lda, b1, ldb1, beta, c1, ldc1) |
               simd_sgemm(dev, ta, 0, m, n2, k, alpha, a, lda, b2, ldb2, beta, c2, ldc2);
    const int64_t n1pad = gemm_ceil_div(n1, NR) * NR;
    gemm_job g = {
        .ta = ta, .tb = 0, .m = m, .n = n1pad + n2, .k = k, .alpha = alpha, .beta = beta,
        .a = a, .lda = lda, .b = b1, .ldb = ldb1, .c = c1, .ldc = ldc1,
        .n1 = n1, .n1pad = n1pad, .b2 = b2, .ldb2 = ldb2, .c2 = c2, .ldc2 = ldc2,
    };
    return gemm_run(dev, &g);
}

size_t simd_gemm_packed_b_count(int64_t k, int64_t n)
{
    return (size_t)(gemm_ceil_div(n, NR) * NR) * (size_t)(k > 0 ? k : 1);
}

void simd_gemm_pack_b(int tb, int64_t k, int64_t n, const float *b, int64_t ldb, float *packed)
{
    gemm_job g = { .tb = tb, .n = n, .k = k, .b = b, .ldb = ldb, .jc = 0, .nc = n, .n1 = n, .n1pad = n,
                   .bstride = gemm_ceil_div(n, NR) * NR, .bpack_dst = packed };
    if (n > 0 && k > 0)
        simd_parallel_for(gemm_ceil_div(gemm_ceil_div(n, NR), GEMM_PACK_GROUP), gemm_pack_b_task, &g);
}

int simd_gemm_nr(void)
{
    return NR;
}

size_t simd_gemm_packed_a_count(int64_t m, int64_t k)
{
    return (size_t)(gemm_ceil_div(m, MR) * MR) * (size_t)(k > 0 ? k : 1);
}

void simd_gemm_pack_a(int ta, int64_t m, int64_t k, const float *a, int64_t lda, float *packed)
{
    const int64_t mpad = gemm_ceil_div(m, MR) * MR;
    for (int64_t pc = 0; pc < k; pc += KC) {
        int64_t kc = gemm_min(KC, k - pc);
        for (int64_t i0 = 0; i0 < m; i0 += MC)   /* transposed A: MC-wide row segments (gemm_pack_a_block) */
            gemm_pack_a_block(ta, a, lda, i0, gemm_min(MC, m - i0), pc, kc, packed + pc * mpad + i0 * kc);
    }
}

void simd_gemm_tile(int64_t m, int64_t k, float alpha, const float *packed_a, const float *packed_b,
                    int64_t n, int64_t j0, int64_t nc, float beta, float *c, int64_t ldc)
{
    const int64_t bstride = gemm_ceil_div(n, NR) * NR, mpad = gemm_ceil_div(m, MR) * MR;
    if (m <= 0 || nc <= 0)
        return;
    if (k <= 0) {
        gemm_scale_c(m, nc, beta, c + j0, ldc);
        return;
    }
    for (int64_t pc = 0; pc < k; pc += KC) {
        int64_t kc = gemm_min(KC, k - pc);
        float bt = pc == 0 ? beta : 1.0f;
        for (int64_t j = j0; j < j0 + nc; j += NR) {
            const float *bp = packed_b + pc * bstride + j * kc;
            int64_t nr = gemm_min(NR, j0 + nc - j);
            for (int64_t i = 0; i < m; i += MR)
                gemm_micro(kc, packed_a + pc * mpad + i * kc, bp, gemm_pf(bp, kc, i / MR, 1), c + i * ldc + j, ldc,
                           gemm_min(MR, m - i), nr, alpha, bt);
        }
    }
}

/* ------------------------------------------------------------- kernel --- */

seqnn_status simd_gemm(const seqnn_call *call, const seqnn_gemm_args *a)
{
    if (a->m <= 0 || a->n <= 0)          /* nothing happens: the batch strides may be anything */
        return SEQNN_OK;
    float *base_c = (float *)a->c.buf->handle + a->c.off;
    const float *base_a = (const float *)a->a.buf->handle + a->a.off;
    const float *base_b = (const float *)a->b.buf->handle + a->b.off;
    for (int64_t bi = 0; bi < a->batch; bi++) {
        /* A [m, k] or [k, m]; B [k, n] or [n, k]; C [m, n]. Batch strides of A
         * and B only matter when there is something to read (k > 0). */
        const float *A = base_a + (a->k > 0 ? bi * a->stride_a : 0);
        const float *B = base_b + (a->k > 0 ? bi * a->stride_b : 0);
        float *C = base_c + bi * a->stride_c;
        if (simd_sgemm(simd_dev(call), a->trans_a, a->trans_b, a->m, a->n, a->k, (float)a->alpha, A,
                       a->lda, B, a->ldb, (float)a->beta, C, a->ldc) != 0)
            return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "gemm: no memory for packing buffers");
    }
    return SEQNN_OK;
}

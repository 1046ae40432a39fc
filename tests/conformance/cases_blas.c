/* Conformance cases of the BLAS family: gemm (every transpose, alpha/beta,
 * beta == 0 with C unread, k == 0, m/n == 1 and 0, batches with strides,
 * leading dimensions past dense, the recurrent layers' shapes, and both sides
 * of every blocking, threading and vector-width boundary the plugin declares
 * through its structure query, large products with the oracle sampled),
 * bias_add and bias_backward (accumulate and overwrite, padded rows, finite
 * differences). Budgets and their basis: docs/kernels/blas.md. */
#include <math.h>
#include <stdlib.h>
#include "conformance.h"
#include "seqnn/plugin.h"

/* Products above this many multiply-adds (m*n*k*batch) compare against the
 * float64 oracle on sampled elements only (cf_call_sampled). */
#define BLAS_SAMPLED_MACS (1 << 22)

/* One gemm check. pad is added to every leading dimension and to every batch
 * stride beyond dense; shared_a sets stride_a = 0 (one A for the whole batch). */
typedef struct blas_gemm_shape {
    int ta, tb;
    int64_t m, n, k, batch, pad;
    double alpha, beta;
    int shared_a;
} blas_gemm_shape;

/* Rows (or columns) to sample among n: the first, middle and last, and
 * random ones; returns how many (at most max). */
static int blas_sample_lines(cf_run *r, int64_t n, int64_t *out, int max)
{
    int i = 0;
    out[i++] = 0;
    if (n > 1)
        out[i++] = n - 1;
    if (n > 2)
        out[i++] = n / 2;
    while (i < max && i < n)
        out[i++] = cf_randint(r, 0, n - 1);
    return i;
}

/* A large gemm: the float32 reference and the plugin run in full, the oracle
 * (alpha * sum_p op(A)[i,p] op(B)[p,j] + beta * C[i,j] in float64) on a grid
 * of sampled rows and columns of every matrix of the batch. */
static void blas_gemm_oracle_samples(cf_run *r, const seqnn_gemm_args *g, cf_tensor *A, cf_tensor *B,
                                     cf_tensor *C)
{
    enum { ROWS = 24, COLS = 48 };
    int64_t rows[ROWS], cols[COLS];
    const double *a = cf_values(A), *b = cf_values(B), *c0 = cf_values(C);
    const int64_t per = (int64_t)ROWS * COLS, total = per * g->batch;
    int64_t *idx = malloc((size_t)total * sizeof *idx);
    double *val = malloc((size_t)total * sizeof *val);
    int64_t n = 0;
    if (!idx || !val) {
        free(idx);
        free(val);
        return cf_fail(r, "out of host memory");
    }
    /* C's initial values (cf_values) are overwritten by nothing: the oracle does not run */
    for (int64_t bi = 0; bi < g->batch; bi++) {
        const double *ab = a + bi * g->stride_a, *bb = b + bi * g->stride_b;
        const int nr = blas_sample_lines(r, g->m, rows, ROWS), nc = blas_sample_lines(r, g->n, cols, COLS);
        for (int i = 0; i < nr; i++)
            for (int j = 0; j < nc; j++) {
                const int64_t ci = bi * g->stride_c + rows[i] * g->ldc + cols[j];
                double sum = 0;
                for (int64_t p = 0; p < g->k; p++)
                    sum += ab[g->trans_a ? p * g->lda + rows[i] : rows[i] * g->lda + p] *
                           bb[g->trans_b ? cols[j] * g->ldb + p : p * g->ldb + cols[j]];
                idx[n] = ci;
                val[n++] = g->alpha * sum + (g->beta == 0 ? 0 : g->beta * c0[ci]);
            }
    }
    cf_call_sampled(r, SEQNN_KERNEL_gemm, g);
    cf_sample(C, n, idx, val);
    free(idx);
    free(val);
}

static void blas_gemm_check(cf_run *r, const blas_gemm_shape *s)
{
    const int64_t a_rows = s->ta ? s->k : s->m, a_cols = s->ta ? s->m : s->k;
    const int64_t b_rows = s->tb ? s->n : s->k, b_cols = s->tb ? s->k : s->n;
    seqnn_gemm_args g = {0};
    cf_tensor *A, *B, *C;

    cf_begin(r, "ta=%d tb=%d m=%lld n=%lld k=%lld batch=%lld pad=%lld alpha=%g beta=%g%s",
             s->ta, s->tb, (long long)s->m, (long long)s->n, (long long)s->k,
             (long long)s->batch, (long long)s->pad, s->alpha, s->beta,
             s->shared_a ? " stride_a=0" : "");
    g.trans_a = s->ta;
    g.trans_b = s->tb;
    g.m = s->m;
    g.n = s->n;
    g.k = s->k;
    g.alpha = s->alpha;
    g.beta = s->beta;
    g.batch = s->batch;
    g.lda = a_cols + s->pad;
    g.ldb = b_cols + s->pad;
    g.ldc = s->n + s->pad;
    g.stride_a = s->shared_a ? 0 : a_rows * g.lda + s->pad;
    g.stride_b = b_rows * g.ldb + s->pad;
    g.stride_c = s->m * g.ldc + s->pad;

    /* (empty tensors are fine: the framework's guards catch any write) */
    A = cf_in(r, "a", s->shared_a ? a_rows * g.lda : s->batch * g.stride_a, -1, 1);
    B = cf_in(r, "b", s->batch * g.stride_b, -1, 1);
    /* A dense C that beta == 0 must overwrite starts as NaN (cf_out): reading
     * it would spread NaN. Otherwise C keeps random values, and elements
     * between rows and matrices must come back unchanged. */
    if (s->beta == 0 && s->pad == 0)
        C = cf_out(r, "c", s->batch * g.stride_c);
    else
        C = cf_inout(r, "c", s->batch * g.stride_c, -1, 1);
    g.a = cf_ref(A);
    g.b = cf_ref(B);
    g.c = cf_ref(C);
    /* each C element: k products summed, then alpha*sum + beta*c */
    if ((double)s->m * (double)s->n * (double)s->k * (double)s->batch > BLAS_SAMPLED_MACS) {
        blas_gemm_oracle_samples(r, &g, A, B, C);
        cf_compare(r, (double)s->k + 1);
    } else {
        cf_check(r, SEQNN_KERNEL_gemm, &g, (double)s->k + 1);
    }
    cf_end(r);
}

/* Bad gemm arguments, each one defect away from a valid call (m=4 n=5 k=6). */
static void blas_gemm_rejects(cf_run *r)
{
    seqnn_gemm_args g = {0}, bad;
    cf_tensor *A, *B, *C, *I;
    cf_begin(r, "argument checks");
    A = cf_in(r, "a", 2 * 24, -1, 1);
    B = cf_in(r, "b", 2 * 30, -1, 1);
    C = cf_inout(r, "c", 2 * 20, -1, 1);
    I = cf_in_int(r, "i", 2 * 24, 0, 1);
    g.m = 4; g.n = 5; g.k = 6; g.alpha = 1; g.beta = 1; g.batch = 2;
    g.lda = 6; g.ldb = 5; g.ldc = 5; g.stride_a = 24; g.stride_b = 30; g.stride_c = 20;
    g.a = cf_ref(A); g.b = cf_ref(B); g.c = cf_ref(C);
    cf_call(r, SEQNN_KERNEL_gemm, &g);   /* the valid call itself */
    bad = g; bad.flags = 1;           cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "flags = 1");
    bad = g; bad.trans_a = 2;         cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "trans_a = 2");
    bad = g; bad.trans_b = -1;        cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "trans_b = -1");
    bad = g; bad.m = -1;              cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "m = -1");
    bad = g; bad.k = -1;              cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "k = -1");
    bad = g; bad.batch = 0;           cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "batch = 0");
    bad = g; bad.lda = 5;             cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "lda < k");
    /* (extents past the end by more than the framework's 16 guard elements) */
    bad = g; bad.lda = 20;            cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "a past its buffer");
    bad = g; bad.trans_a = 1; bad.lda = 10;
    cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "trans_a = 1: a [k, m] past its buffer");
    bad = g; bad.ldb = 4;             cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "ldb < n");
    bad = g; bad.ldc = 4;             cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "ldc < n");
    bad = g; bad.ldb = 20;            cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "b past its buffer");
    bad = g; bad.stride_c = 19;       cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "overlapping C matrices");
    bad = g; bad.stride_a = -24;      cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "stride_a < 0");
    bad = g; bad.batch = 3;           cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "batch past the buffers");
    bad = g; bad.alpha = NAN;         cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "alpha = NaN");
    bad = g; bad.beta = INFINITY;     cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "beta = inf");
    bad = g; bad.c.buf = NULL;        cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "a missing c");
    bad = g; bad.a = cf_ref(I);       cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "an int32 a");
    bad = g; bad.c = bad.a;           cf_expect_rejected(r, SEQNN_KERNEL_gemm, &bad, "c = a");
    cf_end(r);
}

/* ---------------------------------------------- the plugin's boundaries --- */

#define BLAS_MAX_SHAPES 160

/* m, n, k and trans_b (-1: the transposes take turns) of each shape */
typedef struct blas_shape_list {
    int64_t mnkt[BLAS_MAX_SHAPES][4];
    int n;
} blas_shape_list;

static void blas_shape_add_tb(blas_shape_list *l, int64_t m, int64_t n, int64_t k, int tb)
{
    int i;
    if (m < 1 || n < 1 || k < 1 || l->n == BLAS_MAX_SHAPES)
        return;
    for (i = 0; i < l->n; i++)
        if (l->mnkt[i][0] == m && l->mnkt[i][1] == n && l->mnkt[i][2] == k && l->mnkt[i][3] == tb)
            return;
    l->mnkt[l->n][0] = m;
    l->mnkt[l->n][1] = n;
    l->mnkt[l->n][2] = k;
    l->mnkt[l->n][3] = tb;
    l->n++;
}

static void blas_shape_add(blas_shape_list *l, int64_t m, int64_t n, int64_t k)
{
    blas_shape_add_tb(l, m, n, k, -1);
}

/* The largest declared gemm boundary of dimension dim up to limit (0: none). */
static int64_t blas_largest(const seqnn_boundary *b, int64_t nb, int dim, int64_t limit)
{
    int64_t best = 0, i;
    for (i = 0; i < nb; i++)
        if (b[i].kernel == SEQNN_KERNEL_gemm && b[i].dim == dim && b[i].value <= limit && b[i].value > best)
            best = b[i].value;
    return best;
}

/* Shapes on both sides of one boundary (v and v + 1, and 2v - 1 for small
 * v); the other sizes odd and off every typical block. Products that cross
 * the column-block limit (n*k) also cross the row block (mbig: one more than
 * the largest row boundary up to 256), depth blocks kbig (one more than the
 * largest up to 1536). */
static void blas_boundary_shapes(blas_shape_list *l, const seqnn_boundary *e, int64_t mbig, int64_t kbig)
{
    const int64_t v = e->value, M = 23, N = 37, K = 45;
    const int64_t sides[3] = {v, v + 1, v <= 64 ? 2 * v - 1 : v + 1};
    int i;
    for (i = 0; i < 3; i++) {
        const int64_t x = sides[i];
        switch (e->dim) {
        case SEQNN_DIM_LANES:            /* tails of every size */
            blas_shape_add(l, x, x + 2, x + 1);
            blas_shape_add(l, M, x, K);
            blas_shape_add(l, M, N, x);
            break;
        case SEQNN_DIM_M:
            if (x <= 4096)
                blas_shape_add(l, x, N, K);
            break;
        case SEQNN_DIM_N:                /* B in rows and transposed: ldb follows n or k */
            if (x <= 8192) {
                blas_shape_add_tb(l, M, x, K, 0);
                blas_shape_add_tb(l, M, x, K, 1);
            }
            break;
        case SEQNN_DIM_K:
            if (x <= 4096) {
                blas_shape_add(l, M, N, x);
                if (mbig)
                    blas_shape_add(l, mbig, N, x);
            }
            if (i == 1 && 2 * x <= 4096)
                blas_shape_add(l, M, N, 2 * x - 1);   /* three depth blocks */
            break;
        default:
            break;
        }
    }
    if (e->dim == SEQNN_DIM_NK) {
        /* at a depth that puts the limit near 5000 columns and one past the
         * largest depth block: columns 48 below and above n0 = v / k (the
         * panel rounding is within that); then, with more rows than a row
         * block, half a block more (whole groups of panels past the first
         * block, and a tail), B in rows at one depth and transposed at the
         * other */
        const int64_t k1 = kbig > 97 ? kbig : 257;   /* deeper where v / k1 would pass 12000 columns */
        const int64_t ks[2] = {v / 5000 > 97 ? v / 5000 : 97, v / k1 > 12000 ? v / 12000 + 1 : k1};
        for (i = 0; i < 2; i++) {
            const int64_t n0 = v / ks[i];
            if (n0 > 48 && n0 <= 12000) {
                blas_shape_add(l, M, n0 - 48, ks[i]);
                blas_shape_add(l, M, n0 + 48, ks[i]);
                if (mbig)
                    blas_shape_add_tb(l, mbig, n0 + n0 / 2 + 7, ks[i], i);
            }
        }
    }
    if (e->dim == SEQNN_DIM_MNK && v <= (int64_t)1 << 30) {
        /* near-cubes just below and just above m*n*k = v, no size a multiple of 8 */
        const int64_t c = (int64_t)cbrt((double)v) | 1, n = c + 2, k = c - 2;
        blas_shape_add(l, v / (n * k) - 1, n, k);
        blas_shape_add(l, v / (n * k) + 2, n, k);
    }
}

/* Every gemm boundary of the plugin (or the default set), each crossed with
 * beta outside {0, 1}, every transpose, and (for small products) batches
 * with padded strides. */
static void blas_gemm_boundaries(cf_run *r)
{
    static const double alpha_beta[][2] = {{1, -0.75}, {-0.5, 1.5}, {2, 0.5}, {0.75, -1.25}};
    blas_shape_list l;   /* 5 KiB */
    int64_t nb = 0, i, mbig, kbig;
    int declared = 0;
    const seqnn_boundary *b;
    cf_begin(r, "structure query");
    b = cf_structure(r, &nb, &declared);
    cf_end(r);
    if (!b)
        return;
    mbig = blas_largest(b, nb, SEQNN_DIM_M, 256);
    mbig = mbig ? mbig + 1 : 0;
    kbig = blas_largest(b, nb, SEQNN_DIM_K, 1536);
    kbig = kbig ? kbig + 1 : 0;
    l.n = 0;
    for (i = 0; i < nb; i++)
        if (b[i].kernel == SEQNN_KERNEL_gemm || b[i].kernel == -1)
            blas_boundary_shapes(&l, &b[i], mbig, kbig);
    for (i = 0; i < l.n; i++) {
        const double macs = (double)l.mnkt[i][0] * (double)l.mnkt[i][1] * (double)l.mnkt[i][2];
        blas_gemm_shape s = {0};
        s.ta = (int)(i >> 1) & 1;
        s.tb = l.mnkt[i][3] >= 0 ? (int)l.mnkt[i][3] : (int)i & 1;
        s.m = l.mnkt[i][0];
        s.n = l.mnkt[i][1];
        s.k = l.mnkt[i][2];
        s.alpha = alpha_beta[i % 4][0];
        s.beta = alpha_beta[i % 4][1];
        s.batch = macs <= BLAS_SAMPLED_MACS / 4 && i % 3 == 0 ? 2 : 1;
        s.pad = i % 3 == 0 ? 3 : 0;
        blas_gemm_check(r, &s);
    }
}

void cf_test_gemm(cf_run *r)
{
    /* m, n, k: ones, primes, zeros, non-multiples of 8/16, a blocked size */
    static const int64_t shapes[][3] = {
        {1, 1, 1}, {1, 17, 5}, {13, 1, 7}, {7, 5, 0}, {3, 8, 16}, {17, 31, 23},
        {16, 300, 9}, {67, 129, 70}, {0, 5, 3}, {5, 0, 3}, {1, 1, 300}, {33, 2, 64},
    };
    static const double alpha_beta[][2] = {
        {1, 0}, {1, 1}, {-0.5, 2}, {0.75, 0}, {2, -1.5}, {1, 0.5},
    };
    const int n_shapes = (int)(sizeof shapes / sizeof shapes[0]);
    const int n_ab = (int)(sizeof alpha_beta / sizeof alpha_beta[0]);
    static const int64_t hidden[] = {64, 96, 256};
    int t, i;

    for (t = 0; t < 4; t++) {
        blas_gemm_shape s = {0};
        s.ta = t >> 1;
        s.tb = t & 1;
        /* every transpose meets every alpha/beta pair, padded leading
         * dimensions and batches */
        for (i = 0; i < n_shapes; i++) {
            s.m = shapes[i][0];
            s.n = shapes[i][1];
            s.k = shapes[i][2];
            s.alpha = alpha_beta[(i + t) % n_ab][0];
            s.beta = alpha_beta[(i + t) % n_ab][1];
            s.pad = i % 3 == 1 ? 3 : 0;
            s.batch = i % 4 == 2 ? 3 : 1;
            s.shared_a = 0;
            blas_gemm_check(r, &s);
        }
        /* beta == 0 over a NaN C, batched; then k == 0 with beta == 0 (C = 0)
         * and with beta != 0 (C = beta*C); a batch sharing one A; padding and
         * a batch together */
        s.m = 9; s.n = 11; s.k = 13; s.alpha = 1.5; s.beta = 0; s.batch = 2; s.pad = 0;
        blas_gemm_check(r, &s);
        s.k = 0; s.batch = 1;
        blas_gemm_check(r, &s);
        s.beta = -2; s.pad = 2;
        blas_gemm_check(r, &s);
        s.m = 6; s.n = 19; s.k = 21; s.alpha = -1; s.beta = 1; s.batch = 4; s.pad = 0;
        s.shared_a = 1;
        blas_gemm_check(r, &s);
        s.shared_a = 0; s.pad = 5; s.beta = 0;
        blas_gemm_check(r, &s);
    }

    /* Recurrent layers, hidden size H over 64 rows (T*B): gates
     * [64, 4H] = x [64, H] W^T (W [4H, H], trans_b) accumulated onto the
     * bias-initialised gates (beta = 1); weight gradient dW [4H, H] (+)=
     * dG^T [4H, 64] x (trans_a); input gradient dx [64, H] = dG [64, 4H] W.
     * The largest H runs the forward shape only, to keep the suite fast. */
    for (i = 0; i < (int)(sizeof hidden / sizeof hidden[0]); i++) {
        const int64_t H = hidden[i];
        blas_gemm_shape s = {0};
        s.batch = 1;
        s.alpha = 1;
        s.beta = 1;
        s.ta = 0; s.tb = 1; s.m = 64; s.n = 4 * H; s.k = H;
        blas_gemm_check(r, &s);
        if (H > 128)
            continue;
        s.ta = 1; s.tb = 0; s.m = 4 * H; s.n = H; s.k = 64;
        blas_gemm_check(r, &s);
        s.ta = 0; s.tb = 0; s.m = 64; s.n = H; s.k = 4 * H; s.beta = 0;
        blas_gemm_check(r, &s);
    }
    blas_gemm_boundaries(r);
    blas_gemm_rejects(r);
}

/* rows, cols of the bias checks; odd rows get a padded row stride */
static const int64_t blas_bias_shapes[][2] = {
    {1, 1}, {0, 5}, {3, 7}, {17, 64}, {33, 300}, {64, 17}, {5, 0}, {2, 1000},
};
#define BLAS_BIAS_SHAPES ((int)(sizeof blas_bias_shapes / sizeof blas_bias_shapes[0]))

static int64_t blas_bias_ldy(int i)
{
    return blas_bias_shapes[i][1] + (i % 2 ? 5 : 0);
}

/* Bad bias arguments, each one defect away from a valid call (rows=3 cols=4). */
static void blas_bias_rejects(cf_run *r, seqnn_kernel_id id)
{
    const int backward = id == SEQNN_KERNEL_bias_backward;
    seqnn_bias_args b = {0}, bad;
    cf_tensor *y, *bias, *dy, *db;
    cf_begin(r, "argument checks");
    y = cf_inout(r, "y", 12, -1, 1);
    bias = cf_in(r, "b", 4, -1, 1);
    dy = cf_in(r, "dy", 12, -1, 1);
    db = cf_inout(r, "db", 4, -1, 1);
    b.rows = 3; b.cols = 4; b.ldy = 4;
    b.y = cf_ref(y); b.b = cf_ref(bias); b.dy = cf_ref(dy); b.db = cf_ref(db);
    cf_call(r, id, &b);   /* the valid call itself */
    bad = b; bad.flags = backward ? 2 : SEQNN_FLAG_OVERWRITE;
    cf_expect_rejected(r, id, &bad, "flags");
    bad = b; bad.rows = -1;  cf_expect_rejected(r, id, &bad, "rows = -1");
    bad = b; bad.ldy = 3;    cf_expect_rejected(r, id, &bad, "ldy < cols");
    /* (extents past the end by more than the framework's 16 guard elements) */
    bad = b; bad.ldy = 40;   cf_expect_rejected(r, id, &bad, "rows past the buffer");
    bad = b; bad.cols = 0; bad.ldy = 40;
    cf_expect_rejected(r, id, &bad, "no columns, row starts past the buffer");
    bad = b; bad.cols = 30; bad.ldy = 30;
    cf_expect_rejected(r, id, &bad, "cols past the buffers");
    if (backward) {
        bad = b; bad.db.buf = NULL; cf_expect_rejected(r, id, &bad, "a missing db");
        bad = b; bad.dy.buf = NULL; cf_expect_rejected(r, id, &bad, "a missing dy");
    } else {
        bad = b; bad.b.buf = NULL;  cf_expect_rejected(r, id, &bad, "a missing b");
        bad = b; bad.y.buf = NULL;  cf_expect_rejected(r, id, &bad, "a missing y");
    }
    cf_end(r);
}

void cf_test_bias_add(cf_run *r)
{
    int i;
    for (i = 0; i < BLAS_BIAS_SHAPES; i++) {
        const int64_t rows = blas_bias_shapes[i][0], cols = blas_bias_shapes[i][1];
        seqnn_bias_args b = {0};
        cf_tensor *y, *bias;
        cf_begin(r, "rows=%lld cols=%lld ldy=%lld", (long long)rows, (long long)cols,
                 (long long)blas_bias_ldy(i));
        b.rows = rows;
        b.cols = cols;
        b.ldy = blas_bias_ldy(i);
        y = cf_inout(r, "y", rows * b.ldy, -1, 1);
        bias = cf_in(r, "b", cols, -1, 1);
        b.y = cf_ref(y);
        b.b = cf_ref(bias);
        cf_check(r, SEQNN_KERNEL_bias_add, &b, 1);   /* one addition per element */
        cf_end(r);
    }
    blas_bias_rejects(r, SEQNN_KERNEL_bias_add);
}

void cf_test_bias_backward(cf_run *r)
{
    int i, overwrite;
    for (i = 0; i < BLAS_BIAS_SHAPES; i++) {
        const int64_t rows = blas_bias_shapes[i][0], cols = blas_bias_shapes[i][1];
        for (overwrite = 0; overwrite <= 1; overwrite++) {
            seqnn_bias_args b = {0};
            cf_tensor *y, *bias, *dy, *db;
            cf_begin(r, "rows=%lld cols=%lld ldy=%lld %s", (long long)rows, (long long)cols,
                     (long long)blas_bias_ldy(i), overwrite ? "overwrite" : "accumulate");
            b.rows = rows;
            b.cols = cols;
            b.ldy = blas_bias_ldy(i);
            y = cf_inout(r, "y", rows * b.ldy, -1, 1);
            bias = cf_in(r, "b", cols, -1, 1);
            dy = cf_in(r, "dy", rows * b.ldy, -1, 1);
            /* overwritten db starts as NaN: the old value must not be read */
            db = overwrite ? cf_out(r, "db", cols) : cf_inout(r, "db", cols, -1, 1);
            b.y = cf_ref(y);
            b.b = cf_ref(bias);
            b.dy = cf_ref(dy);
            b.db = cf_ref(db);
            cf_call(r, SEQNN_KERNEL_bias_add, &b);   /* forward: flags 0 */
            b.flags = overwrite ? SEQNN_FLAG_OVERWRITE : 0;
            cf_call(r, SEQNN_KERNEL_bias_backward, &b);
            /* db[c]: rows terms plus the old value */
            cf_compare(r, (double)rows + 1);
            cf_end(r);
        }
    }
    /* finite differences of L = <dy, bias_add(y, b)> with respect to b.
     * bias_add updates y in place, so this needs cf_gradcheck to start every
     * forward from y's initial values (in-out tensors that are not perturbed
     * inputs restored before each evaluation). */
    for (overwrite = 0; overwrite <= 1; overwrite++) {
        seqnn_bias_args b = {0};
        cf_tensor *y, *bias, *dy, *db;
        cf_begin(r, "gradcheck rows=7 cols=13 ldy=16 %s", overwrite ? "overwrite" : "accumulate");
        b.rows = 7;
        b.cols = 13;
        b.ldy = 16;
        b.flags = overwrite ? SEQNN_FLAG_OVERWRITE : 0;
        y = cf_inout(r, "y", 7 * 16, -1, 1);
        bias = cf_in(r, "b", 13, -1, 1);
        dy = cf_in(r, "dy", 7 * 16, -1, 1);
        db = cf_inout(r, "db", 13, -1, 1);
        b.y = cf_ref(y);
        b.b = cf_ref(bias);
        b.dy = cf_ref(dy);
        b.db = cf_ref(db);
        cf_gradcheck(r, SEQNN_KERNEL_bias_add, SEQNN_KERNEL_bias_backward, &b,
                     1, &bias, &db, 1, &y, &dy);
        cf_end(r);
    }
    blas_bias_rejects(r, SEQNN_KERNEL_bias_backward);
}

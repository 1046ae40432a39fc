/* Conformance cases of the embedding family: gather and scatter-add with
 * repeated indices, a padding index (copied forward, no gradient backward),
 * padded output rows, n == 0, finite differences, and indices outside
 * [0, vocab) (an error before anything is written; a plugin that cannot see
 * them leaves zero rows); NaN and infinities in weight, dy and dweight.
 * Budgets and their basis: docs/kernels/embedding.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "conformance.h"

/* n, vocab, dim of the checks (n > vocab forces repeated indices; 64 x 300
 * is large enough for a plugin to split columns among threads, with a dim
 * that no usual column chunk divides) */
static const int64_t embedding_shapes[][3] = {
    {1, 1, 1}, {7, 5, 3}, {64, 50, 17}, {300, 11, 64}, {5, 100, 300}, {0, 4, 3}, {33, 2, 8}, {64, 50, 300},
};
#define EMBEDDING_SHAPES ((int)(sizeof embedding_shapes / sizeof embedding_shapes[0]))

/* The padding index of check i: none, the first row, the last row, in turn. */
static int32_t embedding_padding(int i, int64_t vocab)
{
    switch (i % 3) {
    case 0:  return -1;
    case 1:  return 0;
    default: return (int32_t)(vocab - 1);
    }
}

/* Random indices in [0, vocab) with idx[0] = padding (when there is one) and
 * the last index repeating the first; *max_repeat receives the largest
 * number of times one index occurs. The caller frees the array. */
static int32_t *embedding_indices(cf_run *r, int64_t n, int64_t vocab, int32_t padding,
                                  int64_t *max_repeat)
{
    int32_t *idx = calloc((size_t)(n > 0 ? n : 1), sizeof *idx);
    int64_t *seen = calloc((size_t)vocab, sizeof *seen);
    int64_t i;
    *max_repeat = 0;
    if (!idx || !seen) {
        free(idx);
        free(seen);
        cf_fail(r, "out of memory");
        return NULL;
    }
    for (i = 0; i < n; i++)
        idx[i] = (int32_t)cf_randint(r, 0, vocab - 1);
    if (n > 0 && padding >= 0)
        idx[0] = padding;
    if (n > 1)
        idx[n - 1] = idx[0];
    for (i = 0; i < n; i++)
        if (++seen[idx[i]] > *max_repeat)
            *max_repeat = seen[idx[i]];
    free(seen);
    return idx;
}

/* The tensors of one check: idx, weight, y (padded rows keep their values:
 * an in-out tensor; dense rows must all be written: NaN-poisoned), and for
 * backward dy and dweight. Fills *a; returns 0 when out of memory. */
typedef struct embedding_case {
    seqnn_embedding_args a;
    cf_tensor *idx, *weight, *y, *dy, *dweight;
    int64_t max_repeat;
} embedding_case;

static int embedding_setup(cf_run *r, int i, int64_t ldy_pad, int backward,
                           embedding_case *e)
{
    const int64_t n = embedding_shapes[i][0], vocab = embedding_shapes[i][1];
    const int64_t dim = embedding_shapes[i][2];
    const int64_t ldy = dim + ldy_pad, rows_count = n * ldy;
    int32_t *idx;
    memset(e, 0, sizeof *e);
    e->a.n = n;
    e->a.vocab = vocab;
    e->a.dim = dim;
    e->a.ldy = ldy;
    e->a.padding_idx = embedding_padding(i, vocab);
    idx = embedding_indices(r, n, vocab, e->a.padding_idx, &e->max_repeat);
    if (!idx)
        return 0;
    e->idx = cf_in_ints(r, "idx", n, idx);
    free(idx);
    e->weight = cf_in(r, "weight", vocab * dim, -1, 1);
    e->y = ldy_pad == 0 ? cf_out(r, "y", rows_count)
                                 : cf_inout(r, "y", rows_count, -1, 1);
    e->a.idx = cf_ref(e->idx);
    e->a.weight = cf_ref(e->weight);
    e->a.y = cf_ref(e->y);
    if (backward) {
        e->dy = cf_in(r, "dy", rows_count, -1, 1);
        e->dweight = cf_inout(r, "dweight", vocab * dim, -1, 1);
        e->a.dy = cf_ref(e->dy);
        e->a.dweight = cf_ref(e->dweight);
    }
    return 1;
}

/* ---- indices outside [0, vocab), through the plugin's own buffers */

/* Buffers of the out-of-range check, in the plugin under test. */
typedef struct embedding_bad_bufs {
    seqnn_buffer *idx;
    seqnn_buffer *src;                   /* weight (forward) or dy (backward) */
    seqnn_buffer *out;                   /* y (forward) or dweight (backward) */
} embedding_bad_bufs;

#define EMBEDDING_BAD_N 6
#define EMBEDDING_BAD_VOCAB 3
#define EMBEDDING_BAD_DIM 5
#define EMBEDDING_SENTINEL 7.0f

/* What `out` must hold after a plugin that does not detect bad indices
 * returned OK: forward, the rows of valid indices and zero rows; backward,
 * the sentinel plus the rows of valid indices. */
static void embedding_bad_expected(int backward, const int32_t *idx, const float *w,
                                   const float *dy, float *expected)
{
    int64_t i, d;
    const int64_t out_count = backward ? EMBEDDING_BAD_VOCAB * EMBEDDING_BAD_DIM
                                       : EMBEDDING_BAD_N * EMBEDDING_BAD_DIM;
    for (i = 0; i < out_count; i++)
        expected[i] = backward ? EMBEDDING_SENTINEL : 0.0f;
    for (i = 0; i < EMBEDDING_BAD_N; i++) {
        if (idx[i] < 0 || idx[i] >= EMBEDDING_BAD_VOCAB)
            continue;
        for (d = 0; d < EMBEDDING_BAD_DIM; d++) {
            if (backward)
                expected[idx[i] * EMBEDDING_BAD_DIM + d] += dy[i * EMBEDDING_BAD_DIM + d];
            else
                expected[i * EMBEDDING_BAD_DIM + d] = w[idx[i] * EMBEDDING_BAD_DIM + d];
        }
    }
}

/* idx holds `bad` in its LAST position, so a kernel that writes while it
 * scans has already written the earlier rows when it finds it. The ref
 * plugin must fail with SEQNN_ERR_INVALID_ARG and write nothing; another
 * plugin may instead return OK with the contract's zero rows. */
static void embedding_bad_index(cf_run *r, int backward, int32_t bad)
{
    const int32_t idx[EMBEDDING_BAD_N] = {0, 2, 1, 2, 0, bad};
    float w[EMBEDDING_BAD_VOCAB * EMBEDDING_BAD_DIM], dy[EMBEDDING_BAD_N * EMBEDDING_BAD_DIM];
    float got[EMBEDDING_BAD_N * EMBEDDING_BAD_DIM], expected[EMBEDDING_BAD_N * EMBEDDING_BAD_DIM];
    const int64_t out_count = backward ? EMBEDDING_BAD_VOCAB * EMBEDDING_BAD_DIM
                                       : EMBEDDING_BAD_N * EMBEDDING_BAD_DIM;
    const int64_t src_count = backward ? EMBEDDING_BAD_N * EMBEDDING_BAD_DIM
                                       : EMBEDDING_BAD_VOCAB * EMBEDDING_BAD_DIM;
    seqnn_context *ctx = cf_context(r);
    seqnn_device_record dev;
    embedding_bad_bufs b = {0};
    seqnn_embedding_args a = {0};
    seqnn_status st;
    int64_t i;
    int is_ref;

    cf_begin(r, "%s idx[%d] = %ld outside [0, %d)", backward ? "backward" : "forward",
             EMBEDDING_BAD_N - 1, (long)bad, EMBEDDING_BAD_VOCAB);
    for (i = 0; i < EMBEDDING_BAD_VOCAB * EMBEDDING_BAD_DIM; i++)
        w[i] = (float)(i + 1);
    for (i = 0; i < EMBEDDING_BAD_N * EMBEDDING_BAD_DIM; i++)
        dy[i] = (float)(i % 7) - 3.0f;
    if (seqnn_context_device(ctx, &dev) != SEQNN_OK ||
        seqnn_buffer_alloc(ctx, SEQNN_I32, EMBEDDING_BAD_N, &b.idx) != SEQNN_OK ||
        seqnn_buffer_alloc(ctx, SEQNN_F32, src_count, &b.src) != SEQNN_OK ||
        seqnn_buffer_alloc(ctx, SEQNN_F32, out_count, &b.out) != SEQNN_OK ||
        seqnn_buffer_write(ctx, b.idx, 0, idx, EMBEDDING_BAD_N) != SEQNN_OK ||
        seqnn_buffer_write(ctx, b.src, 0, backward ? dy : w, src_count) != SEQNN_OK ||
        seqnn_buffer_fill(ctx, b.out, 0, out_count, EMBEDDING_SENTINEL) != SEQNN_OK) {
        cf_fail(r, "setting up buffers: %s", seqnn_context_error(ctx));
        goto done;
    }
    is_ref = dev.plugin_name && strcmp(dev.plugin_name, "ref") == 0;
    a.n = EMBEDDING_BAD_N;
    a.vocab = EMBEDDING_BAD_VOCAB;
    a.dim = EMBEDDING_BAD_DIM;
    a.ldy = EMBEDDING_BAD_DIM;
    a.padding_idx = -1;
    a.idx = seqnn_at(b.idx, 0);
    if (backward) {
        a.dy = seqnn_at(b.src, 0);
        a.dweight = seqnn_at(b.out, 0);
        st = seqnn_embedding_backward(ctx, &a);
    } else {
        a.weight = seqnn_at(b.src, 0);
        a.y = seqnn_at(b.out, 0);
        st = seqnn_embedding_forward(ctx, &a);
    }
    if (seqnn_buffer_read(ctx, b.out, 0, got, out_count) != SEQNN_OK) {
        cf_fail(r, "reading back: %s", seqnn_context_error(ctx));
        goto done;
    }
    if (st == SEQNN_ERR_INVALID_ARG) {
        for (i = 0; i < out_count; i++)
            if (got[i] != EMBEDDING_SENTINEL) {
                cf_fail(r, "failed as it should, but element %lld was written (%g)",
                        (long long)i, (double)got[i]);
                break;
            }
    } else if (st == SEQNN_OK && !is_ref) {
        embedding_bad_expected(backward, idx, w, dy, expected);
        for (i = 0; i < out_count; i++)
            if (got[i] != expected[i]) {
                cf_fail(r, "returned OK, but element %lld is %g, not %g (contract: rows "
                        "of bad indices are zeros)", (long long)i, (double)got[i],
                        (double)expected[i]);
                break;
            }
    } else {
        cf_fail(r, "returned %s; expected SEQNN_ERR_INVALID_ARG%s", seqnn_status_name(st),
                is_ref ? "" : " or SEQNN_OK with zero rows");
    }
done:
    if (b.idx)
        seqnn_buffer_free(ctx, b.idx);
    if (b.src)
        seqnn_buffer_free(ctx, b.src);
    if (b.out)
        seqnn_buffer_free(ctx, b.out);
    cf_end(r);
}

/* Bad embedding arguments, each one defect away from a valid call (n=4
 * vocab=3 dim=5; extents past the end by more than the framework's 16 guard
 * elements). */
static void embedding_rejects(cf_run *r, seqnn_kernel_id id)
{
    const int backward = id == SEQNN_KERNEL_embedding_backward;
    static const int32_t idx_values[4] = {0, 2, 2, 1};
    seqnn_embedding_args a = {0}, bad;
    cf_tensor *idx, *w, *y, *dy, *dw;
    cf_begin(r, "argument checks");
    idx = cf_in_ints(r, "idx", 4, idx_values);
    w = cf_in(r, "weight", 15, -1, 1);
    y = cf_out(r, "y", 20);
    dy = cf_in(r, "dy", 20, -1, 1);
    dw = cf_inout(r, "dweight", 15, -1, 1);
    a.n = 4; a.vocab = 3; a.dim = 5; a.ldy = 5; a.padding_idx = 2;
    a.idx = cf_ref(idx); a.weight = cf_ref(w); a.y = cf_ref(y);
    a.dy = cf_ref(dy); a.dweight = cf_ref(dw);
    cf_call(r, id, &a);   /* the valid call itself */
    bad = a; bad.flags = SEQNN_FLAG_OVERWRITE;
    cf_expect_rejected(r, id, &bad, "flags = OVERWRITE");
    bad = a; bad.padding_idx = 3;   cf_expect_rejected(r, id, &bad, "padding_idx = vocab");
    bad = a; bad.padding_idx = -2;  cf_expect_rejected(r, id, &bad, "padding_idx = -2");
    bad = a; bad.n = -1;            cf_expect_rejected(r, id, &bad, "n = -1");
    bad = a; bad.ldy = 4;           cf_expect_rejected(r, id, &bad, "ldy < dim");
    bad = a; bad.ldy = 20;          cf_expect_rejected(r, id, &bad, "rows past the buffers");
    bad = a; bad.dim = 0; bad.ldy = 40; cf_expect_rejected(r, id, &bad, "dim = 0, row starts past the buffers");
    bad = a; bad.vocab = 10;        cf_expect_rejected(r, id, &bad, "vocab past the weights");
    bad = a; bad.n = 30;            cf_expect_rejected(r, id, &bad, "n past idx");
    bad = a; bad.idx = bad.weight;  cf_expect_rejected(r, id, &bad, "a float32 idx");
    bad = a; bad.idx.buf = NULL;    cf_expect_rejected(r, id, &bad, "a missing idx");
    if (backward) {
        bad = a; bad.dweight.buf = NULL; cf_expect_rejected(r, id, &bad, "a missing dweight");
        bad = a; bad.dy.buf = NULL;      cf_expect_rejected(r, id, &bad, "a missing dy");
    } else {
        bad = a; bad.weight.buf = NULL;  cf_expect_rejected(r, id, &bad, "a missing weight");
        bad = a; bad.y.buf = NULL;       cf_expect_rejected(r, id, &bad, "a missing y");
    }
    cf_end(r);
}

/* NaN and infinities, n = 8, vocab = 11, dim = 19 (a vector and a tail),
 * padding_idx 7. Forward: a looked-up row's NaN and infinities are copied, a
 * row not looked up (4) never reaches y. Backward: a NaN or infinite dy
 * element reaches only its index's row (+Inf and -Inf meeting in one
 * element of row 2 give NaN), a padding position's NaN is dropped, and a NaN
 * already in dweight (row 10) stays. */
static void embedding_nonfinite(cf_run *r, int backward)
{
    enum { N = 8, VOCAB = 11, DIM = 19 };
    static const int32_t idx[N] = {2, 5, 2, 7, 0, 9, 5, 3};
    double w[VOCAB * DIM], dy[N * DIM];
    seqnn_embedding_args a = {0};
    cf_tensor *out;
    cf_begin(r, "n=%d vocab=%d dim=%d padding_idx=7 NaN and infinities", N, VOCAB, DIM);
    for (int i = 0; i < VOCAB * DIM; i++)
        w[i] = cf_uniform(r, -1, 1);
    for (int i = 0; i < N * DIM; i++)
        dy[i] = cf_uniform(r, -1, 1);
    if (backward) {
        dy[6 * DIM + 8] = NAN;
        dy[0 * DIM + 1] = INFINITY;
        dy[2 * DIM + 1] = -INFINITY;
        dy[1 * DIM + 18] = INFINITY;
        dy[3 * DIM + 5] = NAN;           /* the padding row: dropped */
        w[10 * DIM + 0] = NAN;           /* dweight: stays NaN */
    } else {
        w[4 * DIM + 6] = NAN;            /* never looked up */
        w[5 * DIM + 3] = NAN;
        w[2 * DIM + 18] = INFINITY;
        w[9 * DIM + 0] = -INFINITY;
    }
    a.n = N;
    a.vocab = VOCAB;
    a.dim = DIM;
    a.ldy = DIM;
    a.padding_idx = 7;
    a.idx = cf_ref(cf_in_ints(r, "idx", N, idx));
    if (backward) {
        a.dy = cf_ref(cf_in_values(r, "dy", N * DIM, dy));
        out = cf_inout_values(r, "dweight", VOCAB * DIM, w);
        a.dweight = cf_ref(out);
    } else {
        a.weight = cf_ref(cf_in_values(r, "weight", VOCAB * DIM, w));
        out = cf_out(r, "y", N * DIM);
        a.y = cf_ref(out);
    }
    cf_set_nonfinite(r, out);
    /* forward: a copy; backward: up to n additions into a row */
    cf_check(r, backward ? SEQNN_KERNEL_embedding_backward : SEQNN_KERNEL_embedding_forward, &a,
             backward ? (double)(N + 1) : 1.0);
    cf_end(r);
}

void cf_test_embedding_forward(cf_run *r)
{
    int i, pad;
    for (i = 0; i < EMBEDDING_SHAPES; i++) {
        for (pad = 0; pad <= 3; pad += 3) {
            embedding_case e;
            cf_begin(r, "n=%lld vocab=%lld dim=%lld ldy=%lld padding_idx=%ld",
                     (long long)embedding_shapes[i][0], (long long)embedding_shapes[i][1],
                     (long long)embedding_shapes[i][2], (long long)(embedding_shapes[i][2] + pad),
                     (long)embedding_padding(i, embedding_shapes[i][1]));
            if (embedding_setup(r, i, pad, 0, &e))
                cf_check(r, SEQNN_KERNEL_embedding_forward, &e.a, 1);   /* a copy */
            cf_end(r);
        }
    }
    embedding_nonfinite(r, 0);
    embedding_bad_index(r, 0, EMBEDDING_BAD_VOCAB);
    embedding_bad_index(r, 0, -1);
    embedding_rejects(r, SEQNN_KERNEL_embedding_forward);
}

void cf_test_embedding_backward(cf_run *r)
{
    int i, pad;
    for (i = 0; i < EMBEDDING_SHAPES; i++) {
        for (pad = 0; pad <= 3; pad += 3) {
            embedding_case e;
            double *before = NULL;
            const int64_t vocab = embedding_shapes[i][1], dim = embedding_shapes[i][2];
            cf_begin(r, "n=%lld vocab=%lld dim=%lld ldy=%lld padding_idx=%ld",
                     (long long)embedding_shapes[i][0], (long long)vocab, (long long)dim,
                     (long long)(dim + pad), (long)embedding_padding(i, vocab));
            if (!embedding_setup(r, i, pad, 1, &e)) {
                cf_end(r);
                continue;
            }
            /* the oracle's padding row must come back unchanged */
            if (e.a.padding_idx >= 0) {
                before = malloc((size_t)dim * sizeof *before);
                if (before)
                    memcpy(before, cf_values(e.dweight) + (int64_t)e.a.padding_idx * dim,
                           (size_t)dim * sizeof *before);
            }
            cf_call(r, SEQNN_KERNEL_embedding_forward, &e.a);
            cf_call(r, SEQNN_KERNEL_embedding_backward, &e.a);
            /* a row of dweight: its old value plus one dy row per occurrence */
            cf_compare(r, (double)e.max_repeat + 1);
            if (before && !cf_failed(r) &&
                memcmp(before, cf_values(e.dweight) + (int64_t)e.a.padding_idx * dim,
                       (size_t)dim * sizeof *before) != 0)
                cf_fail(r, "the oracle changed the gradient of padding row %ld",
                        (long)e.a.padding_idx);
            free(before);
            cf_end(r);
        }
    }
    /* finite differences of L = <dy, W[idx]> (no padding index: the padding
     * row's gradient is zero by definition, not by differentiation) */
    for (i = 1; i <= 3; i++) {
        embedding_case e;
        cf_begin(r, "gradcheck n=%lld vocab=%lld dim=%lld", (long long)embedding_shapes[i][0],
                 (long long)embedding_shapes[i][1], (long long)embedding_shapes[i][2]);
        if (embedding_setup(r, i, 2, 1, &e)) {
            e.a.padding_idx = -1;
            cf_gradcheck(r, SEQNN_KERNEL_embedding_forward, SEQNN_KERNEL_embedding_backward,
                         &e.a, 1, &e.weight, &e.dweight, 1, &e.y, &e.dy);
        }
        cf_end(r);
    }
    embedding_nonfinite(r, 1);
    embedding_bad_index(r, 1, EMBEDDING_BAD_VOCAB);
    embedding_bad_index(r, 1, -1);
    embedding_rejects(r, SEQNN_KERNEL_embedding_backward);
}

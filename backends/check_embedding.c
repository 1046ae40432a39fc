/* Argument checks of the embedding family (embedding_forward,
 * embedding_backward), run by the core before a plugin sees the call: sizes,
 * padding index, flags and the extent of every tensor each kernel touches
 * (include/seqnn/kernels.h, docs/kernels/embedding.md). The index VALUES are
 * data: the kernels themselves reject indices outside [0, vocab). */
#include "check.h"

/* n, vocab, dim, ldy, padding_idx, flags and idx: shared by both kernels;
 * *rows_extent receives the extent of the [n, dim] tensor with row stride ldy
 * (every row's start counted, also when dim is 0). */
static seqnn_status embedding_check_common(const seqnn_checker *c,
                                           const seqnn_embedding_args *a,
                                           int64_t *rows_extent)
{
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, 0));
    SEQNN_CHECK(seqnn_check_min(c, "n", a->n, 0));
    SEQNN_CHECK(seqnn_check_min(c, "vocab", a->vocab, 0));
    SEQNN_CHECK(seqnn_check_min(c, "dim", a->dim, 0));
    SEQNN_CHECK(seqnn_check_min(c, "ldy", a->ldy, a->dim));
    if (a->padding_idx != -1 && (a->padding_idx < 0 || a->padding_idx >= a->vocab))
        return seqnn_check_fail(c, "padding_idx %ld must be -1 (none) or in [0, %lld)",
                                (long)a->padding_idx, (long long)a->vocab);
    SEQNN_CHECK(seqnn_check_tensor(c, "idx", a->idx, SEQNN_I32, a->n, 1));
    *rows_extent = seqnn_extent_rows(a->n, a->dim, a->ldy);
    return SEQNN_OK;
}

seqnn_status seqnn_check_embedding_forward(const seqnn_checker *c,
                                           const seqnn_embedding_args *a)
{
    int64_t rows_extent = 0;
    SEQNN_CHECK(embedding_check_common(c, a, &rows_extent));
    SEQNN_CHECK(seqnn_check_tensor(c, "weight", a->weight, SEQNN_F32,
                                   seqnn_mul_sat(a->vocab, a->dim), 1));
    return seqnn_check_tensor(c, "y", a->y, SEQNN_F32, rows_extent, 1);
}

seqnn_status seqnn_check_embedding_backward(const seqnn_checker *c,
                                            const seqnn_embedding_args *a)
{
    int64_t rows_extent = 0;
    SEQNN_CHECK(embedding_check_common(c, a, &rows_extent));
    SEQNN_CHECK(seqnn_check_tensor(c, "dy", a->dy, SEQNN_F32, rows_extent, 1));
    return seqnn_check_tensor(c, "dweight", a->dweight, SEQNN_F32,
                              seqnn_mul_sat(a->vocab, a->dim), 1);
}

/* Device tensors of the frontend (fe_tensor): grown on demand, never shrunk,
 * F32 or I32. A leaf: the model, the layers and training all use it. */
#include <stdint.h>
#include "fe.h"

static seqnn_status tensor_ensure(seqnn_model *m, fe_tensor *t, int64_t rows, int64_t cols,
                                  seqnn_dtype dtype)
{
    if (rows < 0 || cols < 0 || (cols > 0 && rows > INT64_MAX / cols))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "tensor of %lld x %lld elements is too large",
                               (long long)rows, (long long)cols);
    int64_t need = rows * cols;
    if (need < 1)
        need = 1;
    if (t->buf && t->dtype != dtype)
        fe_tensor_free(m, t);
    if (!t->buf || t->cap < need) {
        seqnn_buffer *nb = NULL;
        int64_t cap = t->cap > 0 ? t->cap : 0;
        if (cap < need)
            cap = need + need / 4;       /* a little room: lengths vary batch to batch */
        FE_TRY(seqnn_buffer_alloc(m->ctx, dtype, cap, &nb));
        fe_tensor_free(m, t);
        t->buf = nb;
        t->cap = cap;
        t->dtype = dtype;
    }
    t->rows = rows;
    t->cols = cols;
    return SEQNN_OK;
}

seqnn_status fe_tensor_ensure(seqnn_model *m, fe_tensor *t, int64_t rows, int64_t cols)
{
    return tensor_ensure(m, t, rows, cols, SEQNN_F32);
}

seqnn_status fe_tensor_ensure_i32(seqnn_model *m, fe_tensor *t, int64_t rows, int64_t cols)
{
    return tensor_ensure(m, t, rows, cols, SEQNN_I32);
}

seqnn_status fe_tensor_zero(seqnn_model *m, fe_tensor *t)
{
    if (t->rows * t->cols == 0)
        return SEQNN_OK;
    return seqnn_buffer_fill(m->ctx, t->buf, 0, t->rows * t->cols, 0.0);
}

void fe_tensor_free(seqnn_model *m, fe_tensor *t)
{
    if (t->buf)
        seqnn_buffer_free(m->ctx, t->buf);
    t->buf = NULL;
    t->cap = 0;
    t->rows = t->cols = 0;
}

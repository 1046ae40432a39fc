/* Argument checks of the recurrent family (rnn_forward, rnn_backward,
 * cell_forward, cell_backward), run by the core before any plugin.
 * The rules are those of include/seqnn/kernels.h (seqnn_rnn_args);
 * long form: docs/kernels/rnn.md. */
#include <stdint.h>
#include "check.h"

/* A cell-state tensor given to a cell other than LSTM would be ignored (and
 * an output left unwritten); nothing is ever silently ignored. */
static seqnn_status rnn_check_lstm_only(const seqnn_checker *c, const seqnn_rnn_args *a,
                                        const char *name, seqnn_tref t)
{
    if (t.buf != NULL && a->cell != SEQNN_CELL_LSTM)
        return seqnn_check_fail(c, "%s: the cell state exists for LSTM only, must be absent", name);
    return SEQNN_OK;
}

/* Extent of a time-major [T, B, cols] tensor with row stride ld. */
static int64_t rnn_seq_extent(const seqnn_rnn_args *a, int64_t cols, int64_t ld)
{
    return seqnn_extent_2d(seqnn_mul_sat(a->seq_len, a->batch), cols, ld);
}

/* What forward and backward share: cell, sizes, direction, lengths, the
 * inputs x, weights, biases, h0, c0, and the reserve (required by backward,
 * which reads it). `cell_step`: the cell kernels (seq_len 1, no lengths). */
static seqnn_status rnn_check_common(const seqnn_checker *c, const seqnn_rnn_args *a,
                                     int cell_step, int backward)
{
    int64_t G, GH, BH, b;
    if ((int)a->cell < 0 || (int)a->cell >= (int)SEQNN_CELL_COUNT)
        return seqnn_check_fail(c, "cell = %d, must be in [0, %d)", (int)a->cell,
                                (int)SEQNN_CELL_COUNT);
    G = seqnn_cell_gates(a->cell);
    if (cell_step) {
        if (a->seq_len != 1)
            return seqnn_check_fail(c, "seq_len = %lld, a cell kernel runs exactly 1 step",
                                    (long long)a->seq_len);
        if (a->lengths != NULL)
            return seqnn_check_fail(c, "lengths: must be NULL for a cell kernel");
    }
    SEQNN_CHECK(seqnn_check_min(c, "seq_len", a->seq_len, 0));
    SEQNN_CHECK(seqnn_check_min(c, "batch", a->batch, 0));
    SEQNN_CHECK(seqnn_check_min(c, "input_size", a->input_size, 0));
    SEQNN_CHECK(seqnn_check_min(c, "hidden_size", a->hidden_size, 1));
    SEQNN_CHECK(seqnn_check_min(c, "ldx", a->ldx, a->input_size));
    if (a->reverse != 0 && a->reverse != 1)
        return seqnn_check_fail(c, "reverse = %d, must be 0 or 1", a->reverse);
    if (a->lengths) {
        for (b = 0; b < a->batch; b++) {
            if (a->lengths[b] < 0 || a->lengths[b] > a->seq_len)
                return seqnn_check_fail(c, "lengths[%lld] = %ld, must be in [0, seq_len = %lld]",
                                        (long long)b, (long)a->lengths[b], (long long)a->seq_len);
        }
    }
    GH = seqnn_mul_sat(G, a->hidden_size);
    BH = seqnn_mul_sat(a->batch, a->hidden_size);
    SEQNN_CHECK(seqnn_check_tensor(c, "x", a->x, SEQNN_F32, rnn_seq_extent(a, a->input_size, a->ldx), 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "w_ih", a->w_ih, SEQNN_F32, seqnn_mul_sat(GH, a->input_size), 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "w_hh", a->w_hh, SEQNN_F32, seqnn_mul_sat(GH, a->hidden_size), 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "b_ih", a->b_ih, SEQNN_F32, GH, 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "b_hh", a->b_hh, SEQNN_F32, GH, 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "h0", a->h0, SEQNN_F32, BH, 0));
    SEQNN_CHECK(rnn_check_lstm_only(c, a, "c0", a->c0));
    SEQNN_CHECK(seqnn_check_tensor(c, "c0", a->c0, SEQNN_F32, BH, 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "reserve", a->reserve, SEQNN_F32,
                                   seqnn_mul_sat(seqnn_mul_sat(a->seq_len, BH), G + 2), backward));
    return SEQNN_OK;
}

/* Forward outputs: y (ldy), h_n, c_n, each optional. */
static seqnn_status rnn_check_forward(const seqnn_checker *c, const seqnn_rnn_args *a, int cell_step)
{
    const int64_t BH = seqnn_mul_sat(a->batch, a->hidden_size);
    SEQNN_CHECK(rnn_check_common(c, a, cell_step, 0));
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, 0));
    if (a->y.buf != NULL) {
        SEQNN_CHECK(seqnn_check_min(c, "ldy", a->ldy, a->hidden_size));
        SEQNN_CHECK(seqnn_check_tensor(c, "y", a->y, SEQNN_F32, rnn_seq_extent(a, a->hidden_size, a->ldy), 0));
    }
    SEQNN_CHECK(seqnn_check_tensor(c, "h_n", a->h_n, SEQNN_F32, BH, 0));
    SEQNN_CHECK(rnn_check_lstm_only(c, a, "c_n", a->c_n));
    SEQNN_CHECK(seqnn_check_tensor(c, "c_n", a->c_n, SEQNN_F32, BH, 0));
    return SEQNN_OK;
}

/* Backward: output gradients dy (ldy), dh_n, dc_n and input gradients dx
 * (ldx), dw_ih, dw_hh, db_ih, db_hh, dh0, dc0, each optional. */
static seqnn_status rnn_check_backward(const seqnn_checker *c, const seqnn_rnn_args *a, int cell_step)
{
    int64_t GH, BH;
    SEQNN_CHECK(rnn_check_common(c, a, cell_step, 1));
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, SEQNN_FLAG_OVERWRITE));
    GH = seqnn_mul_sat(seqnn_cell_gates(a->cell), a->hidden_size);
    BH = seqnn_mul_sat(a->batch, a->hidden_size);
    if (a->dy.buf != NULL) {
        SEQNN_CHECK(seqnn_check_min(c, "ldy", a->ldy, a->hidden_size));
        SEQNN_CHECK(seqnn_check_tensor(c, "dy", a->dy, SEQNN_F32, rnn_seq_extent(a, a->hidden_size, a->ldy), 0));
    }
    SEQNN_CHECK(seqnn_check_tensor(c, "dh_n", a->dh_n, SEQNN_F32, BH, 0));
    SEQNN_CHECK(rnn_check_lstm_only(c, a, "dc_n", a->dc_n));
    SEQNN_CHECK(seqnn_check_tensor(c, "dc_n", a->dc_n, SEQNN_F32, BH, 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "dx", a->dx, SEQNN_F32, rnn_seq_extent(a, a->input_size, a->ldx), 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "dw_ih", a->dw_ih, SEQNN_F32, seqnn_mul_sat(GH, a->input_size), 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "dw_hh", a->dw_hh, SEQNN_F32, seqnn_mul_sat(GH, a->hidden_size), 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "db_ih", a->db_ih, SEQNN_F32, GH, 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "db_hh", a->db_hh, SEQNN_F32, GH, 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "dh0", a->dh0, SEQNN_F32, BH, 0));
    SEQNN_CHECK(rnn_check_lstm_only(c, a, "dc0", a->dc0));
    SEQNN_CHECK(seqnn_check_tensor(c, "dc0", a->dc0, SEQNN_F32, BH, 0));
    return SEQNN_OK;
}

seqnn_status seqnn_check_rnn_forward(const seqnn_checker *c, const seqnn_rnn_args *a)
{
    return rnn_check_forward(c, a, 0);
}

seqnn_status seqnn_check_rnn_backward(const seqnn_checker *c, const seqnn_rnn_args *a)
{
    return rnn_check_backward(c, a, 0);
}

seqnn_status seqnn_check_cell_forward(const seqnn_checker *c, const seqnn_rnn_args *a)
{
    return rnn_check_forward(c, a, 1);
}

seqnn_status seqnn_check_cell_backward(const seqnn_checker *c, const seqnn_rnn_args *a)
{
    return rnn_check_backward(c, a, 1);
}

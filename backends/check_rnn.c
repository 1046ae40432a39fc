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

/* seqnn_rnn_reserve_count(), saturating instead of overflowing. */
static int64_t rnn_reserve_extent(const seqnn_rnn_args *a)
{
    const int64_t BH = seqnn_mul_sat(a->batch, a->hidden_size);
    return seqnn_mul_sat(seqnn_mul_sat(a->seq_len, BH), seqnn_cell_gates(a->cell) + 2);
}

/* A tensor a kernel touches, for the overlap check: [off, off + extent). */
typedef struct rnn_span {
    const char *name;
    seqnn_tref t;
    int64_t extent;
    int output;
} rnn_span;

/* No output may share an element range with an input or another output
 * (kernels.h: outputs never alias inputs). Ranges are whole extents, so a
 * tensor placed in the gaps of a strided one counts as overlapping. */
static seqnn_status rnn_check_disjoint(const seqnn_checker *c, const rnn_span *s, int n)
{
    int i, j;
    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++) {
            const rnn_span *p = &s[i], *q = &s[j];
            if (!(p->output || q->output))
                continue;
            if (!p->output) {                /* name the output first */
                const rnn_span *tmp = p;
                p = q;
                q = tmp;
            }
            SEQNN_CHECK(seqnn_check_disjoint(c, p->name, p->t, p->extent, q->name, q->t, q->extent));
        }
    return SEQNN_OK;
}

/* Appends a span to the array s of n entries (in the functions below). */
#define RNN_SPAN(nm, ref, ext, out) \
    do { s[n].name = nm; s[n].t = ref; s[n].extent = ext; s[n].output = out; n++; } while (0)

/* The inputs every kernel of the family reads: n entries into s. */
static int rnn_input_spans(const seqnn_rnn_args *a, rnn_span *s)
{
    const int64_t GH = seqnn_mul_sat(seqnn_cell_gates(a->cell), a->hidden_size);
    const int64_t BH = seqnn_mul_sat(a->batch, a->hidden_size);
    int n = 0;
    RNN_SPAN("x", a->x, rnn_seq_extent(a, a->input_size, a->ldx), 0);
    RNN_SPAN("w_ih", a->w_ih, seqnn_mul_sat(GH, a->input_size), 0);
    RNN_SPAN("w_hh", a->w_hh, seqnn_mul_sat(GH, a->hidden_size), 0);
    RNN_SPAN("b_ih", a->b_ih, GH, 0);
    RNN_SPAN("b_hh", a->b_hh, GH, 0);
    RNN_SPAN("h0", a->h0, BH, 0);
    RNN_SPAN("c0", a->c0, BH, 0);
    return n;
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
    SEQNN_CHECK(seqnn_check_tensor(c, "reserve", a->reserve, SEQNN_F32, rnn_reserve_extent(a), backward));
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
    {
        rnn_span s[11];
        int n = rnn_input_spans(a, s);
        RNN_SPAN("y", a->y, rnn_seq_extent(a, a->hidden_size, a->ldy), 1);
        RNN_SPAN("h_n", a->h_n, BH, 1);
        RNN_SPAN("c_n", a->c_n, BH, 1);
        RNN_SPAN("reserve", a->reserve, rnn_reserve_extent(a), 1);
        SEQNN_CHECK(rnn_check_disjoint(c, s, n));
    }
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
    {
        rnn_span s[18];
        int n = rnn_input_spans(a, s);
        RNN_SPAN("reserve", a->reserve, rnn_reserve_extent(a), 0);
        RNN_SPAN("dy", a->dy, rnn_seq_extent(a, a->hidden_size, a->ldy), 0);
        RNN_SPAN("dh_n", a->dh_n, BH, 0);
        RNN_SPAN("dc_n", a->dc_n, BH, 0);
        RNN_SPAN("dx", a->dx, rnn_seq_extent(a, a->input_size, a->ldx), 1);
        RNN_SPAN("dw_ih", a->dw_ih, seqnn_mul_sat(GH, a->input_size), 1);
        RNN_SPAN("dw_hh", a->dw_hh, seqnn_mul_sat(GH, a->hidden_size), 1);
        RNN_SPAN("db_ih", a->db_ih, GH, 1);
        RNN_SPAN("db_hh", a->db_hh, GH, 1);
        RNN_SPAN("dh0", a->dh0, BH, 1);
        RNN_SPAN("dc0", a->dc0, BH, 1);
        SEQNN_CHECK(rnn_check_disjoint(c, s, n));
    }
    return SEQNN_OK;
}
#undef RNN_SPAN

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

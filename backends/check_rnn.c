/* Argument checks of the recurrent family (rnn_forward, rnn_backward,
 * cell_forward, cell_backward, lstm_variant_forward, lstm_variant_backward),
 * run by the core before any plugin. The rules are those of
 * include/seqnn/kernels.h (seqnn_rnn_args, seqnn_lstm_variant_args); long
 * form: docs/kernels/rnn.md. */
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
    return seqnn_extent_rows(seqnn_mul_sat(a->seq_len, a->batch), cols, ld);
}

/* The shape of a layer's tensors: G*H gate rows, R columns of h (y, h0,
 * h_n, w_hh), and the reserve's element count (records of `rec_rows` rows of
 * H per step). Plain cells: G of the cell, R = H, G + 2 rows; LSTM
 * variants: seqnn_lstm_variant_gates(), proj_size or H, G + 3 rows. */
typedef struct rnn_dims {
    int64_t gh, r, reserve;
} rnn_dims;

/* dims of a layer with G gate blocks, h width r and records of rec_rows
 * rows, every product saturating instead of overflowing */
static rnn_dims rnn_make_dims(const seqnn_rnn_args *a, int64_t G, int64_t r, int64_t rec_rows)
{
    const int64_t BH = seqnn_mul_sat(a->batch, a->hidden_size);
    rnn_dims d;
    d.gh = seqnn_mul_sat(G, a->hidden_size);
    d.r = r;
    d.reserve = seqnn_mul_sat(seqnn_mul_sat(a->seq_len, BH), rec_rows);
    return d;
}

/* A tensor a kernel touches: its extent for seqnn_check_tensor and, as
 * [off, off + extent), for the overlap check. */
typedef struct rnn_tensor {
    const char *name;
    seqnn_tref t;
    int64_t extent;
    int output;                          /* written by the kernel */
    int required;                        /* must be present */
    int lstm_only;                       /* a cell state: must be absent unless the cell is LSTM */
} rnn_tensor;

#define RNN_MAX_TENSORS 22

/* The one table of every tensor of a forward or backward call: the inputs
 * (x, weights, biases, h0, c0), the reserve (written by forward, required and
 * read by backward), then forward's outputs (y, h_n, c_n) or backward's
 * gradients (dy, dh_n, dc_n read; dx, dw_*, db_*, dh0, dc0 written). Returns
 * the count. */
static int rnn_tensors(const seqnn_rnn_args *a, int backward, const rnn_dims *d, rnn_tensor *t)
{
    const int64_t GH = d->gh;
    const int64_t BH = seqnn_mul_sat(a->batch, a->hidden_size), BR = seqnn_mul_sat(a->batch, d->r);
    const int64_t x_ext = rnn_seq_extent(a, a->input_size, a->ldx);
    const int64_t y_ext = rnn_seq_extent(a, d->r, a->ldy);
    const int64_t wi_ext = seqnn_mul_sat(GH, a->input_size), wh_ext = seqnn_mul_sat(GH, d->r);
    int n = 0;
    t[n++] = (rnn_tensor){"x", a->x, x_ext, 0, 1, 0};
    t[n++] = (rnn_tensor){"w_ih", a->w_ih, wi_ext, 0, 1, 0};
    t[n++] = (rnn_tensor){"w_hh", a->w_hh, wh_ext, 0, 1, 0};
    t[n++] = (rnn_tensor){"b_ih", a->b_ih, GH, 0, 0, 0};
    t[n++] = (rnn_tensor){"b_hh", a->b_hh, GH, 0, 0, 0};
    t[n++] = (rnn_tensor){"h0", a->h0, BR, 0, 0, 0};
    t[n++] = (rnn_tensor){"c0", a->c0, BH, 0, 0, 1};
    t[n++] = (rnn_tensor){"reserve", a->reserve, d->reserve, !backward, backward, 0};
    if (!backward) {
        t[n++] = (rnn_tensor){"y", a->y, y_ext, 1, 0, 0};
        t[n++] = (rnn_tensor){"h_n", a->h_n, BR, 1, 0, 0};
        t[n++] = (rnn_tensor){"c_n", a->c_n, BH, 1, 0, 1};
        return n;
    }
    t[n++] = (rnn_tensor){"dy", a->dy, y_ext, 0, 0, 0};
    t[n++] = (rnn_tensor){"dh_n", a->dh_n, BR, 0, 0, 0};
    t[n++] = (rnn_tensor){"dc_n", a->dc_n, BH, 0, 0, 1};
    t[n++] = (rnn_tensor){"dx", a->dx, x_ext, 1, 0, 0};
    t[n++] = (rnn_tensor){"dw_ih", a->dw_ih, wi_ext, 1, 0, 0};
    t[n++] = (rnn_tensor){"dw_hh", a->dw_hh, wh_ext, 1, 0, 0};
    t[n++] = (rnn_tensor){"db_ih", a->db_ih, GH, 1, 0, 0};
    t[n++] = (rnn_tensor){"db_hh", a->db_hh, GH, 1, 0, 0};
    t[n++] = (rnn_tensor){"dh0", a->dh0, BR, 1, 0, 0};
    t[n++] = (rnn_tensor){"dc0", a->dc0, BH, 1, 0, 1};
    return n;
}

/* The variant's own tensors, appended to the table: the peephole weights
 * and the projection (each present exactly when its option is on) and, in
 * backward, their optional gradients. Returns the new count. */
static int rnn_variant_tensors(const seqnn_lstm_variant_args *v, int backward, int n, rnn_tensor *t)
{
    const int64_t H = v->rnn.hidden_size;
    const int peep = (v->variant & SEQNN_LSTM_PEEPHOLE) != 0, proj = v->proj_size > 0;
    const int64_t peep_ext = seqnn_mul_sat(seqnn_lstm_variant_peeps(v->variant), H);
    const int64_t hr_ext = seqnn_mul_sat(v->proj_size, H);
    t[n++] = (rnn_tensor){"w_peep", v->w_peep, peep_ext, 0, peep, 0};
    t[n++] = (rnn_tensor){"w_hr", v->w_hr, hr_ext, 0, proj, 0};
    if (backward) {
        t[n++] = (rnn_tensor){"dw_peep", v->dw_peep, peep_ext, 1, 0, 0};
        t[n++] = (rnn_tensor){"dw_hr", v->dw_hr, hr_ext, 1, 0, 0};
    }
    return n;
}

/* Every tensor of the table: LSTM-only, type, presence and extent; then no
 * output may share an element range with an input or another output
 * (kernels.h: outputs never alias inputs). Ranges are whole extents, so a
 * tensor placed in the gaps of a strided one counts as overlapping. */
static seqnn_status rnn_check_tensors(const seqnn_checker *c, const seqnn_rnn_args *a, const rnn_tensor *t,
                                      int n)
{
    int i, j;
    for (i = 0; i < n; i++) {
        if (t[i].lstm_only)
            SEQNN_CHECK(rnn_check_lstm_only(c, a, t[i].name, t[i].t));
        SEQNN_CHECK(seqnn_check_tensor(c, t[i].name, t[i].t, SEQNN_F32, t[i].extent, t[i].required));
    }
    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++) {
            const rnn_tensor *p = &t[i], *q = &t[j];
            if (!(p->output || q->output))
                continue;
            if (!p->output) {                /* name the output first */
                const rnn_tensor *tmp = p;
                p = q;
                q = tmp;
            }
            SEQNN_CHECK(seqnn_check_disjoint(c, p->name, p->t, p->extent, q->name, q->t, q->extent));
        }
    return SEQNN_OK;
}

/* Cell, sizes, direction and lengths (what forward and backward share);
 * `cell_step`: the cell kernels (seq_len 1, no lengths). */
static seqnn_status rnn_check_sizes(const seqnn_checker *c, const seqnn_rnn_args *a, int cell_step)
{
    int64_t b;
    if ((int)a->cell < 0 || (int)a->cell >= (int)SEQNN_CELL_COUNT)
        return seqnn_check_fail(c, "cell = %d, must be in [0, %d)", (int)a->cell,
                                (int)SEQNN_CELL_COUNT);
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
    return SEQNN_OK;
}

/* Forward (outputs y with ldy, h_n, c_n, each optional; flags 0) and
 * backward (gradients dy with ldy, dh_n, dc_n, dx, dw_*, db_*, dh0, dc0,
 * each optional; OVERWRITE allowed). */
static seqnn_status rnn_check(const seqnn_checker *c, const seqnn_rnn_args *a, int cell_step, int backward)
{
    rnn_tensor t[RNN_MAX_TENSORS];
    rnn_dims d;
    SEQNN_CHECK(rnn_check_sizes(c, a, cell_step));
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, backward ? SEQNN_FLAG_OVERWRITE : 0));
    if ((backward ? a->dy.buf : a->y.buf) != NULL)
        SEQNN_CHECK(seqnn_check_min(c, "ldy", a->ldy, a->hidden_size));
    d = rnn_make_dims(a, seqnn_cell_gates(a->cell), a->hidden_size, seqnn_cell_gates(a->cell) + 2);
    return rnn_check_tensors(c, a, t, rnn_tensors(a, backward, &d, t));
}

/* An LSTM variant: the rnn rules (cell LSTM, ldy against the width R of h),
 * the variant bits, proj_size in (0, H), the outer flags 0, and the table
 * grown by the variant's tensors. */
static seqnn_status rnn_check_variant(const seqnn_checker *c, const seqnn_lstm_variant_args *v, int backward)
{
    const seqnn_rnn_args *a = &v->rnn;
    const uint32_t known = SEQNN_LSTM_PEEPHOLE | SEQNN_LSTM_COUPLED;
    rnn_tensor t[RNN_MAX_TENSORS];
    rnn_dims d;
    int n;
    SEQNN_CHECK(rnn_check_sizes(c, a, 0));
    if (a->cell != SEQNN_CELL_LSTM)
        return seqnn_check_fail(c, "rnn.cell = %d, an LSTM variant needs SEQNN_CELL_LSTM (%d)", (int)a->cell,
                                (int)SEQNN_CELL_LSTM);
    if (v->variant & ~known)
        return seqnn_check_fail(c, "variant = 0x%x, unknown bits 0x%x (known: PEEPHOLE 0x1, COUPLED 0x2)",
                                (unsigned)v->variant, (unsigned)(v->variant & ~known));
    if (v->proj_size < 0 || (v->proj_size > 0 && v->proj_size >= a->hidden_size))
        return seqnn_check_fail(c, "proj_size = %lld, must be 0 (none) or in [1, hidden_size = %lld)",
                                (long long)v->proj_size, (long long)a->hidden_size);
    SEQNN_CHECK(seqnn_check_flags(c, v->flags, 0));
    if (!(v->variant & SEQNN_LSTM_PEEPHOLE) && (v->w_peep.buf || (backward && v->dw_peep.buf)))
        return seqnn_check_fail(c, "%s: peephole weights exist with SEQNN_LSTM_PEEPHOLE only, must be absent",
                                v->w_peep.buf ? "w_peep" : "dw_peep");
    if (v->proj_size == 0 && (v->w_hr.buf || (backward && v->dw_hr.buf)))
        return seqnn_check_fail(c, "%s: the projection exists with proj_size > 0 only, must be absent",
                                v->w_hr.buf ? "w_hr" : "dw_hr");
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, backward ? SEQNN_FLAG_OVERWRITE : 0));
    d = rnn_make_dims(a, seqnn_lstm_variant_gates(v->variant), seqnn_lstm_variant_width(v),
                      seqnn_lstm_variant_gates(v->variant) + 3);
    if ((backward ? a->dy.buf : a->y.buf) != NULL)
        SEQNN_CHECK(seqnn_check_min(c, "ldy", a->ldy, d.r));
    n = rnn_tensors(a, backward, &d, t);
    n = rnn_variant_tensors(v, backward, n, t);
    return rnn_check_tensors(c, a, t, n);
}

seqnn_status seqnn_check_rnn_forward(const seqnn_checker *c, const seqnn_rnn_args *a)
{
    return rnn_check(c, a, 0, 0);
}

seqnn_status seqnn_check_rnn_backward(const seqnn_checker *c, const seqnn_rnn_args *a)
{
    return rnn_check(c, a, 0, 1);
}

seqnn_status seqnn_check_cell_forward(const seqnn_checker *c, const seqnn_rnn_args *a)
{
    return rnn_check(c, a, 1, 0);
}

seqnn_status seqnn_check_cell_backward(const seqnn_checker *c, const seqnn_rnn_args *a)
{
    return rnn_check(c, a, 1, 1);
}

seqnn_status seqnn_check_lstm_variant_forward(const seqnn_checker *c, const seqnn_lstm_variant_args *a)
{
    return rnn_check_variant(c, a, 0);
}

seqnn_status seqnn_check_lstm_variant_backward(const seqnn_checker *c, const seqnn_lstm_variant_args *a)
{
    return rnn_check_variant(c, a, 1);
}

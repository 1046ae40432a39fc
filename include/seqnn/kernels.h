/* seqnn kernel argument structs: the typed arguments of every kernel of the
 * catalogue (kernels.def), with the contract each kernel keeps.
 *
 * Conventions shared by every kernel (docs/kernels.md has the long form):
 * - Tensors are addressed as (buffer, element offset): seqnn_tref. A tref whose
 *   buf is NULL is "absent"; only optional tensors may be absent.
 * - Float tensors are float32 on every plugin, index tensors int32 (marked
 *   "int32" below). Shapes, strides and offsets are counted in elements.
 * - Layouts are row-major; "[A, B]" means the last index moves fastest.
 * - Backward kernels ACCUMULATE into every gradient output (dx += ...) unless
 *   flags has SEQNN_FLAG_OVERWRITE, in which case they write it (old contents
 *   are not read, so NaN there does not propagate).
 * - Outputs never alias inputs unless a kernel says so.
 * - flags bits other than those a kernel documents are an error
 *   (SEQNN_ERR_INVALID_ARG), so are enum values out of range.
 * - Host arrays (const int32_t * lengths) are read during the call only.
 */
#ifndef SEQNN_KERNELS_H
#define SEQNN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types of buffers. Plugins store F32 and I32; F64 exists for the
 * float64 oracle of the conformance suite only. */
typedef enum seqnn_dtype {
    SEQNN_F32 = 0,
    SEQNN_I32 = 1,
    SEQNN_F64 = 2
} seqnn_dtype;

/* A buffer: allocated through a plugin, described by the core.
 * handle is the plugin's own (a host pointer for host plugins). */
typedef struct seqnn_buffer {
    void *handle;            /* plugin's handle (for host plugins: aligned host memory) */
    int64_t count;           /* number of elements */
    seqnn_dtype dtype;       /* element type */
    uint32_t magic;          /* SEQNN_BUFFER_MAGIC while alive (core checks it) */
    void *owner;             /* the core's device record; plugins ignore it */
} seqnn_buffer;

#define SEQNN_BUFFER_MAGIC 0x5e9b0ffeu

/* Tensor reference: a buffer and an element offset into it. */
typedef struct seqnn_tref {
    seqnn_buffer *buf;       /* NULL = absent */
    int64_t off;             /* element offset */
} seqnn_tref;

/* Flags understood by backward kernels (and sumsq). */
#define SEQNN_FLAG_OVERWRITE 1u  /* write gradient outputs instead of accumulating */

/* Loss reduction. */
typedef enum seqnn_reduction {
    SEQNN_REDUCE_MEAN = 0,   /* mean over counted elements (0 when none is counted) */
    SEQNN_REDUCE_SUM = 1,
    SEQNN_REDUCE_NONE = 2    /* per-row losses (xent_ext only, ABI 1.2) */
} seqnn_reduction;

/* ---------------------------------------------------------------- GEMM ---
 * C[b] = alpha * op(A[b]) * op(B[b]) + beta * C[b],  b = 0 .. batch-1
 * op(A) is [m, k]: A is stored [m, k] (lda >= k) or, if trans_a, [k, m] (lda >= m).
 * op(B) is [k, n]: B is stored [k, n] (ldb >= n) or, if trans_b, [n, k] (ldb >= k).
 * C is [m, n] (ldc >= n). A[b] starts at a.off + b*stride_a (same for B, C).
 * beta == 0: C is not read. k == 0: C = beta*C. m or n == 0: nothing happens.
 * C must not overlap A or B. */
typedef struct seqnn_gemm_args {
    int trans_a, trans_b;
    int64_t m, n, k;
    double alpha, beta;
    seqnn_tref a; int64_t lda;
    seqnn_tref b; int64_t ldb;
    seqnn_tref c; int64_t ldc;
    int64_t batch;                       /* >= 1 */
    int64_t stride_a, stride_b, stride_c;/* used when batch > 1 */
    uint32_t flags;                      /* none defined: must be 0 */
} seqnn_gemm_args;

/* ---------------------------------------------------------------- bias ---
 * bias_add:      y[r, c] += b[c]                 y [rows, cols] row stride ldy
 * bias_backward: db[c] (+)= sum_r dy[r, c]       dy [rows, cols] row stride ldy */
typedef struct seqnn_bias_args {
    int64_t rows, cols;
    seqnn_tref y; int64_t ldy;           /* forward, in place */
    seqnn_tref b;                        /* [cols] */
    seqnn_tref dy;                       /* backward: [rows, cols], row stride ldy */
    seqnn_tref db;                       /* backward: [cols] */
    uint32_t flags;                      /* backward: SEQNN_FLAG_OVERWRITE */
} seqnn_bias_args;

/* --------------------------------------------------------- activations ---
 * act_forward:  y = f(x) over n elements; y may be x (in place).
 * act_backward: dx (+)= dy * f'(x); reads x and y (the forward's input and
 *               output, both required); dx may be dy (in place, OVERWRITE only).
 * sigmoid 1/(1+e^-x); tanh; hardtanh clamp(x, -1, 1) (f' = 1 strictly inside,
 * 0 outside and at the ends as PyTorch); relu max(x,0) (f'(0) = 0); leaky relu
 * x>0 ? x : alpha*x (f'(0) = alpha); swish (SiLU) x*sigmoid(x). */
typedef enum seqnn_act {
    SEQNN_ACT_SIGMOID = 0,
    SEQNN_ACT_TANH,
    SEQNN_ACT_HARDTANH,
    SEQNN_ACT_RELU,
    SEQNN_ACT_LEAKY_RELU,
    SEQNN_ACT_SWISH,
    SEQNN_ACT_COUNT
} seqnn_act;

typedef struct seqnn_act_args {
    seqnn_act kind;
    double alpha;                        /* leaky relu negative slope */
    int64_t n;
    seqnn_tref x, y;                     /* [n] */
    seqnn_tref dy, dx;                   /* backward: [n] */
    uint32_t flags;                      /* backward: SEQNN_FLAG_OVERWRITE */
} seqnn_act_args;

/* -------------------------------------------------------- element-wise ---
 * add:   z = alpha*x + beta*y
 * mul:   z = alpha*x*y + beta*z         (beta == 0: z not read)
 * scale: z = alpha*x                    (y unused)
 * over n elements; z may be x or y exactly (same buffer and offset).
 * Their backward passes are themselves (d(x*y)/dx = y ...), so they have none. */
typedef struct seqnn_ew_args {
    int64_t n;
    double alpha, beta;
    seqnn_tref x, y, z;                  /* [n] */
    uint32_t flags;                      /* none defined: must be 0 */
} seqnn_ew_args;

/* ------------------------------------------------------------- softmax ---
 * Row-wise over the last dimension of [rows, cols] (contiguous rows).
 * forward:  y = softmax(x) or, if log, y = log_softmax(x) (max-subtracted).
 * backward: reads y (the forward output) and dy:
 *   softmax:     dx (+)= y * (dy - sum_j dy_j y_j)
 *   log-softmax: dx (+)= dy - exp(y) * sum_j dy_j */
typedef struct seqnn_softmax_args {
    int log;                             /* 0 softmax, 1 log-softmax */
    int64_t rows, cols;                  /* cols >= 1 */
    seqnn_tref x, y;                     /* [rows, cols]; y may be x */
    seqnn_tref dy, dx;                   /* backward: [rows, cols] */
    uint32_t flags;                      /* backward: SEQNN_FLAG_OVERWRITE */
} seqnn_softmax_args;

/* ----------------------------------------------- softmax cross-entropy ---
 * loss_r = logsumexp(logits[r]) - logits[r, target[r]] for rows whose target
 * is not ignore_index; MEAN divides the sum by the number of such rows (loss 0
 * when there are none), SUM does not. forward writes loss[0] (overwrites).
 * backward: dlogits[r] (+)= dloss * (softmax(logits[r]) - onehot(target[r])) / count
 * (count = 1 for SUM); ignored rows get 0 (+0 when accumulating).
 * A target outside [0, cols) that is not ignore_index is an error where the
 * plugin can detect it (the reference does) and otherwise yields NaN. */
typedef struct seqnn_xent_args {
    int64_t rows, cols;
    seqnn_tref logits;                   /* [rows, cols] */
    seqnn_tref target;                   /* int32 [rows] */
    int32_t ignore_index;                /* e.g. -100 as PyTorch */
    seqnn_reduction reduction;
    seqnn_tref loss;                     /* forward: [1] */
    double dloss;                        /* backward: upstream gradient of loss */
    seqnn_tref dlogits;                  /* backward: [rows, cols] */
    uint32_t flags;                      /* backward: SEQNN_FLAG_OVERWRITE */
} seqnn_xent_args;

/* ------------------- cross-entropy with weights and smoothing (ABI 1.2) ---
 * torch.nn.functional.cross_entropy(logits, target, weight, ignore_index,
 * reduction, label_smoothing) as PyTorch 1.13 computes it. For a counted row r
 * (t = target[r] != ignore_index), lp_j = log softmax(logits[r])_j, w_j =
 * weight[j] (1 when weight is absent), eps = smoothing, C = cols:
 *   l_r = -(1 - eps) * w_t * lp_t - eps / C * sum_j w_j * lp_j   (eps == 0: the
 *         second term is not evaluated);  ignored rows: l_r = 0, not read.
 * MEAN: loss[0] = sum_r l_r / W, W = sum over counted rows of w_t (0 when W
 * is 0, e.g. no counted row); SUM: loss[0] = sum_r l_r; NONE: losses[r] = l_r.
 * losses [rows], optional for MEAN and SUM, receives l_r there too.
 * backward: dlogits[r, j] (+)= g_r * ((1 - eps) w_t (p_j - [j == t])
 *                                   + eps / C * (S p_j - w_j)),  S = sum_j w_j,
 * g_r = dloss / W (MEAN; 0 when W is 0), dloss (SUM), dloss * dlosses[r] (NONE).
 * Targets as xent_forward (checked by the kernel where it can). The older
 * xent kernels keep their struct; a plugin without these two slots is
 * refused (SEQNN_ERR_UNSUPPORTED), never silently unweighted. */
typedef struct seqnn_xent_ext_args {
    int64_t rows, cols;
    seqnn_tref logits;                   /* [rows, cols] */
    seqnn_tref target;                   /* int32 [rows] */
    int32_t ignore_index;
    seqnn_reduction reduction;           /* MEAN, SUM or NONE */
    seqnn_tref weight;                   /* [cols] class weights, or absent: every weight 1 */
    double smoothing;                    /* label smoothing eps in [0, 1] */
    seqnn_tref loss;                     /* forward, MEAN/SUM: [1] (written); NONE: unused */
    seqnn_tref losses;                   /* forward: [rows] l_r; NONE: required, else optional */
    double dloss;                        /* backward: upstream gradient (finite) */
    seqnn_tref dlosses;                  /* backward, NONE: [rows] upstream gradient of each l_r */
    seqnn_tref dlogits;                  /* backward: [rows, cols] */
    uint32_t flags;                      /* backward: SEQNN_FLAG_OVERWRITE */
} seqnn_xent_ext_args;

/* ------------------------------------------------- MSE and BCE-with-logits ---
 * mse: l_i = (x_i - t_i)^2;  bce: l_i = max(x,0) - x*t + log(1 + exp(-|x|))
 * loss[0] = sum l_i (SUM) or mean (MEAN over n); forward overwrites loss[0].
 * backward: mse dx (+)= dloss * 2 (x - t) / N,  bce dx (+)= dloss * (sigmoid(x) - t) / N,
 * N = n for MEAN, 1 for SUM. */
typedef struct seqnn_loss_args {
    int64_t n;
    seqnn_tref x;                        /* [n] predictions (bce: logits) */
    seqnn_tref target;                   /* [n] float targets (bce: in [0,1]) */
    seqnn_reduction reduction;
    seqnn_tref loss;                     /* forward: [1] */
    double dloss;                        /* backward: upstream gradient */
    seqnn_tref dx;                       /* backward: [n] */
    uint32_t flags;                      /* backward: SEQNN_FLAG_OVERWRITE */
} seqnn_loss_args;

/* ----------------------------------------------------------- embedding ---
 * forward:  y[i, :] = weight[idx[i], :]   (i < n; padding rows are copied too)
 * backward: dweight[idx[i], :] += dy[i, :] for idx[i] != padding_idx
 *           (always accumulates: several i may share a row; OVERWRITE is an error).
 * Indices outside [0, vocab) are an error where the plugin can detect it (the
 * reference checks before writing) and otherwise leave the row as zeros. */
typedef struct seqnn_embedding_args {
    int64_t n, vocab, dim;
    seqnn_tref idx;                      /* int32 [n] */
    int32_t padding_idx;                 /* -1: none */
    seqnn_tref weight;                   /* [vocab, dim] */
    seqnn_tref y; int64_t ldy;           /* [n, dim], row stride ldy >= dim */
    seqnn_tref dy;                       /* backward: [n, dim], row stride ldy */
    seqnn_tref dweight;                  /* backward: [vocab, dim] */
    uint32_t flags;                      /* none defined: must be 0 */
} seqnn_embedding_args;

/* ------------------------------------------------------------- dropout ---
 * Element i is kept iff (r >> 8) >= (uint32_t)(p * 16777216.0), where, with
 * c = offset + i (mod 2^64), r is word (c & 3) of Philox4x32-10
 * (include/seqnn/philox.h) keyed by seed with counter (c >> 2): one Philox
 * call serves four consecutive elements; every plugin draws the same mask.
 * forward:  y = keep ? x / (1 - p) : 0      (y may be x)
 * backward: dx (+)= keep ? dy / (1 - p) : 0  (the mask is recomputed) */
typedef struct seqnn_dropout_args {
    int64_t n;
    double p;                            /* 0 <= p < 1 */
    uint64_t seed, offset;
    seqnn_tref x, y;                     /* [n] */
    seqnn_tref dy, dx;                   /* backward: [n] */
    uint32_t flags;                      /* backward: SEQNN_FLAG_OVERWRITE */
} seqnn_dropout_args;

/* ------------------------------------------------------ recurrent layers ---
 * One layer, one direction, over a whole time-major sequence (PyTorch's
 * equations and weight layouts; G gates: RNN 1, LSTM 4 (i,f,g,o), GRU 3 (r,z,n)):
 *   RNN:  h' = act(W_ih x + b_ih + W_hh h + b_hh)        act = tanh or relu
 *   LSTM: i,f,g,o = sig, sig, tanh, sig of (W_ih x + b_ih + W_hh h + b_hh)
 *         c' = f*c + i*g,  h' = o*tanh(c')
 *   GRU (linear-before-reset, PyTorch):
 *         r,z = sig(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z})
 *         n   = tanh(W_in x + b_in + r*(W_hn h + b_hn)),  h' = (1-z)*n + z*h
 *   GRU_CLASSIC (Cho et al.; ONNX linear_before_reset=0, Keras reset_after=False):
 *         n   = tanh(W_in x + b_in + W_hn (r*h) + b_hn)
 * Variable lengths (PyTorch packed-sequence semantics): sequence b runs for
 * lengths[b] steps (0 <= lengths[b] <= T; NULL = T for all). Forward direction
 * visits t = 0..len-1; reverse visits t = len-1..0. y[t, b] = 0 for t >= len[b];
 * h_n[b] (c_n[b]) is the state after the last step visited (h0 when len = 0).
 * x element (t, b, i) is at x.off + (t*B + b)*ldx + i; y (t, b, j) at
 * y.off + (t*B + b)*ldy + j (so a bidirectional layer writes both halves of
 * [T, B, 2H] without copies). dx/dy use ldx/ldy too.
 * reserve: forward stores there what backward needs (layout private to the
 * plugin; size seqnn_rnn_reserve_count()); absent for inference. backward
 * reads x, weights, h0, c0 and the reserve of the same plugin's forward with
 * the same arguments. dx and every weight gradient accumulate (see flags).
 * cell_forward/cell_backward take the same arguments with seq_len == 1 and
 * lengths == NULL: one step of step-wise decoding (h_n is the new state). */
typedef enum seqnn_cell {
    SEQNN_CELL_RNN_TANH = 0,
    SEQNN_CELL_RNN_RELU,
    SEQNN_CELL_LSTM,
    SEQNN_CELL_GRU,
    SEQNN_CELL_GRU_CLASSIC,
    SEQNN_CELL_COUNT
} seqnn_cell;

typedef struct seqnn_rnn_args {
    seqnn_cell cell;
    int64_t seq_len, batch, input_size, hidden_size;   /* T, B, I, H */
    int reverse;
    const int32_t *lengths;              /* host [B] or NULL */
    seqnn_tref x; int64_t ldx;           /* [T, B, I], row stride ldx >= I */
    seqnn_tref w_ih;                     /* [G*H, I] */
    seqnn_tref w_hh;                     /* [G*H, H] */
    seqnn_tref b_ih, b_hh;               /* [G*H] each, optional */
    seqnn_tref h0, c0;                   /* [B, H], optional (zeros); c0: LSTM only */
    seqnn_tref y; int64_t ldy;           /* [T, B, H], row stride ldy >= H; optional in forward */
    seqnn_tref h_n, c_n;                 /* [B, H], optional; c_n: LSTM only */
    seqnn_tref reserve;                  /* seqnn_rnn_reserve_count() elements, optional */
    /* backward */
    seqnn_tref dy;                       /* [T, B, H] (ldy), optional (zeros) */
    seqnn_tref dh_n, dc_n;               /* [B, H], optional (zeros) */
    seqnn_tref dx;                       /* [T, B, I] (ldx), optional */
    seqnn_tref dw_ih, dw_hh;             /* like w_ih, w_hh; optional */
    seqnn_tref db_ih, db_hh;             /* [G*H], optional */
    seqnn_tref dh0, dc0;                 /* [B, H], optional */
    uint32_t flags;                      /* backward: SEQNN_FLAG_OVERWRITE */
} seqnn_rnn_args;

/* Number of gate blocks G of a cell (0 for an unknown cell). */
static inline int64_t seqnn_cell_gates(seqnn_cell cell)
{
    switch (cell) {
    case SEQNN_CELL_RNN_TANH: case SEQNN_CELL_RNN_RELU: return 1;
    case SEQNN_CELL_LSTM: return 4;
    case SEQNN_CELL_GRU: case SEQNN_CELL_GRU_CLASSIC: return 3;
    default: return 0;
    }
}

/* Elements of the reserve of a recurrent forward: T*B*H*(G + 2), room for
 * every gate, the cell state and the hidden state of every step. */
static inline int64_t seqnn_rnn_reserve_count(seqnn_cell cell, int64_t seq_len,
                                              int64_t batch, int64_t hidden)
{
    return seq_len * batch * hidden * (seqnn_cell_gates(cell) + 2);
}

/* ------------------------------------------- LSTM variants (ABI 1.2) ---
 * lstm_variant_forward / lstm_variant_backward: rnn_forward / rnn_backward of
 * an LSTM (rnn.cell must be SEQNN_CELL_LSTM; every rule of seqnn_rnn_args
 * holds: lengths, reverse, strides, optional tensors, accumulation) with any
 * of three changes, chosen by `variant` and `proj_size`:
 *   SEQNN_LSTM_PEEPHOLE (ONNX's P): diagonal weights from the cell state,
 *       i = sig(a_i + p_i*c), f = sig(a_f + p_f*c) with c = c_{t-1},
 *       o = sig(a_o + p_o*c') with c' = c_t   (a_* = W_ih x + b_ih + W_hh h + b_hh)
 *   SEQNN_LSTM_COUPLED (ONNX's input_forget): f = 1 - i; there are no f rows,
 *       the gate blocks are i, g, o (G = 3) and the peephole rows p_i, p_o
 *   proj_size P > 0 (PyTorch's proj_size, 0 < P < H): h' = W_hr (o*tanh(c'));
 *       the recurrence, y, h0, h_n and their gradients have P columns
 * With R = P when projecting, else H (the width of h):
 *   w_ih [G*H, I], w_hh [G*H, R], b_* [G*H], h0/h_n/dh_n/dh0 [B, R],
 *   y/dy [T, B, R] with ldy >= R, c0/c_n/dc_n/dc0 [B, H],
 *   w_peep/dw_peep [NP, H] (NP = 2 coupled, else 3: rows i, f, o or i, o),
 *   w_hr/dw_hr [P, H]. The reserve holds seqnn_lstm_variant_reserve_count()
 * elements (layout private to the plugin). */
#define SEQNN_LSTM_PEEPHOLE 1u
#define SEQNN_LSTM_COUPLED 2u

typedef struct seqnn_lstm_variant_args {
    seqnn_rnn_args rnn;                  /* cell SEQNN_CELL_LSTM; its flags are the kernel's */
    uint32_t variant;                    /* SEQNN_LSTM_PEEPHOLE | SEQNN_LSTM_COUPLED, or 0 */
    int64_t proj_size;                   /* P: 0 (none) or 0 < P < H */
    seqnn_tref w_peep;                   /* [NP, H]; required iff PEEPHOLE, else absent */
    seqnn_tref w_hr;                     /* [P, H]; required iff P > 0, else absent */
    /* backward */
    seqnn_tref dw_peep;                  /* [NP, H], optional; PEEPHOLE only */
    seqnn_tref dw_hr;                    /* [P, H], optional; P > 0 only */
    uint32_t flags;                      /* must be 0: rnn.flags holds OVERWRITE */
} seqnn_lstm_variant_args;

/* Gate blocks G of a variant: 3 when coupled (i, g, o), else 4 (i, f, g, o). */
static inline int64_t seqnn_lstm_variant_gates(uint32_t variant)
{
    return (variant & SEQNN_LSTM_COUPLED) ? 3 : 4;
}

/* Peephole rows NP: 2 when coupled (i, o), else 3 (i, f, o). */
static inline int64_t seqnn_lstm_variant_peeps(uint32_t variant)
{
    return (variant & SEQNN_LSTM_COUPLED) ? 2 : 3;
}

/* Width R of h (y, h0, h_n): proj_size when projecting, else hidden_size. */
static inline int64_t seqnn_lstm_variant_width(const seqnn_lstm_variant_args *a)
{
    return a->proj_size > 0 ? a->proj_size : a->rnn.hidden_size;
}

/* Elements of the reserve of lstm_variant_forward: T*B*H*(G + 3), room for
 * the gates, c_t, o*tanh(c_t) and h_t of every step. */
static inline int64_t seqnn_lstm_variant_reserve_count(uint32_t variant, int64_t seq_len,
                                                       int64_t batch, int64_t hidden)
{
    return seq_len * batch * hidden * (seqnn_lstm_variant_gates(variant) + 3);
}

/* -------------------------------------------------------------- conv1d ---
 * Cross-correlation (PyTorch Conv1d, groups = 1):
 *   y[b, o, l] = bias[o] + sum_{c,k} w[o, c, k] * x[b, c, l*stride - padding + k*dilation]
 * (x outside [0, in_len) reads as 0), out_len = (in_len + 2*padding -
 * dilation*(K-1) - 1) / stride + 1 >= 1. Element (b, c, l) of x is at
 * x.off + b*x_sb + c*x_sc + l*x_sl (so [B, C, L] and [B, L, C] both work);
 * y likewise with y_s*; dx uses x's strides, dy y's.
 * backward: dx, dweight, dbias (each optional) accumulate (see flags). */
typedef struct seqnn_conv1d_args {
    int64_t batch, in_channels, out_channels, in_len, kernel_size;
    int64_t stride, padding, dilation;   /* stride >= 1, padding >= 0, dilation >= 1 */
    seqnn_tref x; int64_t x_sb, x_sc, x_sl;
    seqnn_tref weight;                   /* [C_out, C_in, K] */
    seqnn_tref bias;                     /* [C_out], optional */
    seqnn_tref y; int64_t y_sb, y_sc, y_sl;
    seqnn_tref dy, dx, dweight, dbias;   /* backward */
    uint32_t flags;                      /* backward: SEQNN_FLAG_OVERWRITE */
} seqnn_conv1d_args;

/* Output length of a conv1d (<= 0 when the input is too short). */
static inline int64_t seqnn_conv1d_out_len(const seqnn_conv1d_args *a)
{
    return (a->in_len + 2 * a->padding - a->dilation * (a->kernel_size - 1) - 1) / a->stride + 1;
}

/* ------------------------------------------------- max-over-time pooling ---
 * y[b, c] = max_l x[b, c, l], argmax[b*C + c] = the first l attaining it.
 * x (b, c, l) at x.off + b*x_sb + c*x_sc + l*x_sl; y (b, c) at y.off + b*y_sb + c*y_sc
 * (so several conv banks write into one concatenated [B, sum C] row).
 * backward: dx[b, c, argmax] += dy[b, c] (reads argmax; with OVERWRITE every
 * other element of dx over [B, C, len] is set to 0). */
typedef struct seqnn_maxpool_args {
    int64_t batch, channels, len;        /* len >= 1 */
    seqnn_tref x; int64_t x_sb, x_sc, x_sl;
    seqnn_tref y; int64_t y_sb, y_sc;
    seqnn_tref argmax;                   /* int32 [B*C] */
    seqnn_tref dy, dx;                   /* backward (dy: y's strides, dx: x's) */
    uint32_t flags;                      /* backward: SEQNN_FLAG_OVERWRITE */
} seqnn_maxpool_args;

/* -------------------------------- max-over-time pooling, variable lengths ---
 * maxpool_forward over the first lengths[b] positions of row b only:
 * y[b, c] = max_{l < lengths[b]} x[b, c, l], argmax[b*C + c] = the first l
 * attaining it (a NaN is the maximum, the first NaN wins). Positions at or
 * past lengths[b] are never read. lengths == NULL: every row has pool.len
 * positions (maxpool_forward). Each lengths[b] is in [1, pool.len]: a row
 * keeps at least one position. pool.dy, pool.dx are unused and pool.flags is
 * 0. The backward is maxpool_backward with the same pool arguments and this
 * argmax (the max is never at an excluded position, so nothing flows there).
 * (A conv bank over padded sequences passes each row's count of valid
 * windows, length - kernel_size + 1, at least 1.) */
typedef struct seqnn_maxpool_lengths_args {
    seqnn_maxpool_args pool;             /* batch, channels, len; x, y, argmax as maxpool_forward */
    const int32_t *lengths;              /* host [batch] or NULL */
    uint32_t flags;                      /* none defined: 0 */
} seqnn_maxpool_lengths_args;

/* ------------------------------- conv1d + max over time, fused (ABI 1.3) ---
 * conv1d_forward, an optional activation and maxpool_lengths_forward in one
 * call, without the [B, C_out, L_out] activations ever being written:
 *   z[b, o, l]  = f(conv[b, o, l]), conv as conv1d_forward (bias included),
 *                 f = activation kind `act` (alpha: leaky relu's slope) as
 *                 act_forward, or the identity when act == SEQNN_CONV_MAX_NO_ACT
 *   y[b, o]     = max_{l < len_b} z[b, o, l]
 *   argmax[b*C_out + o] = the first l attaining it (a NaN is the maximum, the
 *                 first NaN wins: maxpool_forward's rule)
 *   pre[b, o]   = conv[b, o, argmax] (optional; act_backward's x at the max)
 * with len_b = lengths[b] in [1, out_len], or out_len when lengths is NULL;
 * z at or past len_b is never compared. y and pre: element (b, o) at
 * off + b*y_sb + o*y_sc (several widths write into one [B, sum C_out] row).
 * conv.y, conv.dy, conv.dx, conv.dweight, conv.dbias are unused and
 * conv.flags is 0; dy and flags are the backward's (ignored here).
 * conv1d_max_backward: conv1d_backward for a gradient of the conv output
 * that is dy[b, o] at (b, o, argmax[b*C_out + o]) and 0 at every other
 * position (the scatter maxpool_backward would make), without forming it:
 *   dbias[o]       (+)= sum_b dy[b, o]
 *   dweight[o,c,k] (+)= sum_b dy[b, o] * x[b, c, a*stride - padding + k*dilation]
 *   dx[b, c, p]    (+)= sum_{o, k: p = a*stride - padding + k*dilation} dy[b, o] * w[o, c, k]
 * with a = argmax[b*C_out + o] in [0, out_len) (taps outside the input
 * skipped); conv.dx, conv.dweight, conv.dbias optional as in conv1d_backward
 * (x needed for dweight, weight for dx), accumulated unless flags has
 * OVERWRITE; dy [B, C_out] with y's strides is the gradient of the conv
 * output at the maxima (act_backward(x = pre, y = y, dy of y) when the
 * forward had an activation). y, pre, act, lengths unused. */
#define SEQNN_CONV_MAX_NO_ACT (-1)
typedef struct seqnn_conv1d_max_args {
    seqnn_conv1d_args conv;              /* the convolution (forward fields only) */
    int32_t act;                         /* seqnn_act, or SEQNN_CONV_MAX_NO_ACT */
    double alpha;                        /* leaky relu negative slope */
    seqnn_tref y; int64_t y_sb, y_sc;    /* [B, C_out] maxima */
    seqnn_tref pre;                      /* [B, C_out] pre-activation at the max, y's strides, optional */
    seqnn_tref argmax;                   /* int32 [B*C_out] */
    const int32_t *lengths;              /* host [batch] or NULL */
    seqnn_tref dy;                       /* backward: [B, C_out], y's strides */
    uint32_t flags;                      /* backward: SEQNN_FLAG_OVERWRITE */
} seqnn_conv1d_max_args;

/* ------------------------------------------------------------ attention ---
 * For every batch b, head h and query i:
 *   s_ij = score(q_i, k_j);  masked j get weight 0;
 *   w_ij = softmax_j(s_ij) over unmasked j;  out_i = sum_j w_ij v_j
 * scores: DOT q.k; SCALED_DOT scale*q.k (scale 0 means 1/sqrt(q_dim));
 * BILINEAR (Luong "general") q^T W k; ADDITIVE (Bahdanau)
 * w_v . tanh(W_q q + W_k k). BILINEAR and ADDITIVE need heads == 1.
 * Masks: key j is masked when j >= key_lengths[b] (if given) or, if causal,
 * when j > i + (k_len - q_len) (aligned bottom-right). A row with every key
 * masked gives out = 0, weights = 0, and no gradient.
 * Element (b, h, t, d) of q is at q.off + b*q_sb + h*q_sh + t*q_st + d; k, v,
 * out likewise with their strides (dq, dk, dv, dout share them).
 * weights: [B, heads, q_len, k_len] contiguous; optional in forward, required
 * (as the forward wrote it) by backward.
 * backward: dq, dk, dv, dw, dw_q, dw_k, dw_v (each optional) accumulate. */
typedef enum seqnn_score {
    SEQNN_SCORE_DOT = 0,
    SEQNN_SCORE_SCALED_DOT,
    SEQNN_SCORE_BILINEAR,
    SEQNN_SCORE_ADDITIVE,
    SEQNN_SCORE_COUNT
} seqnn_score;

typedef struct seqnn_attention_args {
    seqnn_score score;
    int64_t batch, heads, q_len, k_len;
    int64_t q_dim, k_dim, v_dim;         /* DOT/SCALED_DOT: q_dim == k_dim */
    int64_t attn_dim;                    /* ADDITIVE: A */
    double scale;                        /* SCALED_DOT */
    seqnn_tref q; int64_t q_sb, q_sh, q_st;
    seqnn_tref k; int64_t k_sb, k_sh, k_st;
    seqnn_tref v; int64_t v_sb, v_sh, v_st;
    seqnn_tref w;                        /* BILINEAR: [q_dim, k_dim] */
    seqnn_tref w_q, w_k, w_v;            /* ADDITIVE: [A, q_dim], [A, k_dim], [A] */
    const int32_t *key_lengths;          /* host [B] or NULL */
    int causal;
    seqnn_tref out; int64_t o_sb, o_sh, o_st;
    seqnn_tref weights;                  /* [B, heads, q_len, k_len] */
    seqnn_tref dout, dq, dk, dv;         /* backward */
    seqnn_tref dw, dw_q, dw_k, dw_v;     /* backward: score parameters */
    uint32_t flags;                      /* backward: SEQNN_FLAG_OVERWRITE */
} seqnn_attention_args;

/* ----------------------------------------------------------- optimizers ---
 * One step over n parameters, PyTorch's formulas exactly (torch.optim, with
 * foreach/fused off). grad is never modified. step counts from 1 (the value
 * after incrementing, as PyTorch's state['step']). */

/* SGD: g = grad + wd*p; if momentum: buf = (step == 1) ? g : momentum*buf + (1-dampening)*g,
 * g = nesterov ? g + momentum*buf : buf;  p -= lr*g. */
typedef struct seqnn_sgd_args {
    int64_t n;
    seqnn_tref param, grad;              /* [n] */
    seqnn_tref momentum_buf;             /* [n], required when momentum != 0 */
    double lr, momentum, dampening, weight_decay;
    int nesterov;
    int64_t step;
    uint32_t flags;                      /* none defined: must be 0 */
} seqnn_sgd_args;

/* RMSprop: g = grad + wd*p; sq = alpha*sq + (1-alpha) g^2;
 * centered: ga = alpha*ga + (1-alpha) g, avg = sqrt(sq - ga^2) + eps; else avg = sqrt(sq) + eps;
 * momentum > 0: buf = momentum*buf + g/avg, p -= lr*buf;  else p -= lr*g/avg. */
typedef struct seqnn_rmsprop_args {
    int64_t n;
    seqnn_tref param, grad, square_avg;  /* [n] */
    seqnn_tref momentum_buf;             /* [n], required when momentum != 0 */
    seqnn_tref grad_avg;                 /* [n], required when centered */
    double lr, alpha, eps, weight_decay, momentum;
    int centered;
    uint32_t flags;                      /* none defined: must be 0 */
} seqnn_rmsprop_args;

/* Adam (decoupled = 0: g = grad + wd*p) / AdamW (decoupled = 1: p *= 1 - lr*wd first);
 * m = b1*m + (1-b1) g;  v = b2*v + (1-b2) g^2;  amsgrad: vmax = max(vmax, v), use vmax;
 * p -= lr/(1-b1^step) * m / (sqrt(v)/sqrt(1-b2^step) + eps). */
typedef struct seqnn_adam_args {
    int64_t n;
    seqnn_tref param, grad, exp_avg, exp_avg_sq;   /* [n] */
    seqnn_tref max_exp_avg_sq;           /* [n], required when amsgrad */
    double lr, beta1, beta2, eps, weight_decay;
    int decoupled, amsgrad;
    int64_t step;
    uint32_t flags;                      /* none defined: must be 0 */
} seqnn_adam_args;

/* Adagrad: g = grad + wd*p; clr = lr / (1 + (step-1)*lr_decay);
 * sum += g^2;  p -= clr * g / (sqrt(sum) + eps). */
typedef struct seqnn_adagrad_args {
    int64_t n;
    seqnn_tref param, grad, sum;         /* [n] */
    double lr, lr_decay, weight_decay, eps;
    int64_t step;
    uint32_t flags;                      /* none defined: must be 0 */
} seqnn_adagrad_args;

/* ----------------------------------------------------- gradient clipping ---
 * sumsq:      result[0] (+)= sum_i x_i^2 (OVERWRITE writes it)
 * clip_scale: x *= min(1, max_norm / (sqrt(sumsq[0]) + 1e-6)), in place,
 *             without a round trip to the host (PyTorch's clip_grad_norm_). */
typedef struct seqnn_sumsq_args {
    int64_t n;
    seqnn_tref x;                        /* [n] */
    seqnn_tref result;                   /* [1] */
    uint32_t flags;                      /* SEQNN_FLAG_OVERWRITE */
} seqnn_sumsq_args;

typedef struct seqnn_clip_args {
    int64_t n;
    seqnn_tref x;                        /* [n], scaled in place */
    seqnn_tref sumsq;                    /* [1], the total squared norm */
    double max_norm;                     /* > 0 */
    uint32_t flags;                      /* none defined: must be 0 */
} seqnn_clip_args;

/* -------------------------------------------------------- strided copy ---
 * copy2d: y[r * ldy + c] = x[r * ldx + c] for r < rows, c < cols: a block
 * of rows moved between row strides (a concatenation's parts into their
 * columns, and its gradient back out). Every float is copied bit for bit
 * (NaN payloads, infinities and signed zeros included); elements of y
 * between the rows are left as they are. x and y do not overlap. */
typedef struct seqnn_copy2d_args {
    int64_t rows, cols;
    seqnn_tref x;                        /* [rows, ldx], ldx >= cols */
    int64_t ldx;
    seqnn_tref y;                        /* [rows, ldy], ldy >= cols */
    int64_t ldy;
    uint32_t flags;                      /* none defined: must be 0 */
} seqnn_copy2d_args;

/* ---------------------------------------------------------- kernel ids ---
 * SEQNN_KERNEL_gemm, ... in catalogue order; SEQNN_KERNEL_COUNT last. */
typedef enum seqnn_kernel_id {
#define SEQNN_KERNEL(name, args, doc) SEQNN_KERNEL_##name,
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
    SEQNN_KERNEL_COUNT
} seqnn_kernel_id;

#ifdef __cplusplus
}
#endif

#endif /* SEQNN_KERNELS_H */

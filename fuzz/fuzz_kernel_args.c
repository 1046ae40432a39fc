/* libFuzzer target: the core's argument checks and checked dispatch.
 *
 * Each input describes up to FZ_NBUF fake buffers (dtype, element count, a
 * live or dead magic, this context or another as owner), a kernel id, every
 * field of that kernel's argument struct (tensor refs into the buffers,
 * sizes, strides, flags, hyper-parameters, host length arrays) and the
 * buffers' contents. Buffer memory is malloc'ed to the exact byte, so
 * AddressSanitizer reports any access past what a buffer holds.
 *
 * For every input:
 *   1. seqnn_kernel_check() must answer OK or SEQNN_ERR_INVALID_ARG with a
 *      message naming the kernel;
 *   2. seqnn_kernel_run() on a real context (the ref plugin; another one with
 *      SEQNN_FUZZ_BACKEND=avx2) must agree: a rejected call fails with the
 *      same status and leaves every buffer byte as it was; an accepted call
 *      reaches the plugin, which may refuse with its own message ("ref: ...")
 *      but must not touch memory outside the extents the check accepted;
 *   3. nothing leaks (LeakSanitizer, per input).
 * Calls whose work would exceed FZ_MAX_WORK (shapes with zero strides can be
 * legal and enormous) are checked but not dispatched.
 *
 * Built with -DFZ_MAKE_SEEDS instead, the same file is a program that writes
 * one valid input per kernel (the committed seed corpus, fuzz/corpus/kernel_args). */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seqnn/seqnn.h"

#define FZ_NBUF 8
#define FZ_MAX_COUNT 4096          /* elements per fake buffer */
#define FZ_MAX_HOST 4096           /* entries of a host lengths array */
#define FZ_MAX_WORK 4000000.0      /* multiply-adds (roughly) above which a call is not run */

/* ------------------------------------------------------------ byte codec ---
 * The same visitor functions decode an input (fuzzing) or encode a struct
 * (seed generation): io->enc selects the direction. */
typedef struct fz_io {
    int enc;
    const uint8_t *p;              /* decode: remaining input */
    size_t n;
    uint8_t *out;                  /* encode: output */
    size_t len, cap;
} fz_io;

static const int64_t fz_i64_special[] = {
    INT64_MAX, INT64_MIN, INT64_MAX / 2, -(INT64_C(1) << 62), INT32_MAX, INT32_MIN,
    (int64_t)INT32_MAX + 1, UINT32_MAX, INT64_C(1) << 32, INT64_C(1) << 31, INT64_C(1) << 62,
    INT64_C(1) << 40, -1000000, 1000000, 4096, 65536, 3000, 1024, 513, 257, 256, -256, -9,
};
#define FZ_I64_SMALL_MIN (-8)
#define FZ_I64_SMALL_CODES 0xe0      /* codes 0 .. 0xdf: values -8 .. 215 */
#define FZ_I64_RAW 0xff

static const double fz_f64_special[] = {
    0.0, 1.0, -1.0, 0.5, 0.9, 0.999, 1e-8, 1e-3, 0.1, 2.0, -0.0, 1e300, -1e300,
    DBL_MAX, -DBL_MAX, DBL_MIN, 4.9e-324, 1e30, 3.4e38, 0.25, 0.75, 1.0 - 1e-16,
};
#define FZ_F64_RAW 0xff
#define FZ_F64_NAN 0xfe
#define FZ_F64_INF 0xfd
#define FZ_F64_NINF 0xfc
#define FZ_F64_SMALL_BASE 0x40       /* codes 0x40 .. 0xfb: (code - 0x40) / 16 - 4 */

static uint8_t io_byte(fz_io *io, uint8_t v)
{
    if (io->enc) {
        if (io->len == io->cap) {
            io->cap = io->cap ? 2 * io->cap : 256;
            io->out = realloc(io->out, io->cap);
            if (!io->out)
                abort();
        }
        io->out[io->len++] = v;
        return v;
    }
    if (!io->n)
        return 0;
    io->n--;
    return *io->p++;
}

static uint64_t io_raw(fz_io *io, uint64_t v, int bytes)
{
    uint64_t r = 0;
    for (int i = 0; i < bytes; i++)
        r |= (uint64_t)io_byte(io, (uint8_t)(v >> (8 * i))) << (8 * i);
    return r;
}

static void io_i64(fz_io *io, int64_t *v)
{
    const int nsp = (int)(sizeof fz_i64_special / sizeof *fz_i64_special);
    if (io->enc) {
        if (*v >= FZ_I64_SMALL_MIN && *v < FZ_I64_SMALL_MIN + FZ_I64_SMALL_CODES) {
            io_byte(io, (uint8_t)(*v - FZ_I64_SMALL_MIN));
            return;
        }
        for (int i = 0; i < nsp; i++)
            if (fz_i64_special[i] == *v) {
                io_byte(io, (uint8_t)(FZ_I64_SMALL_CODES + i));
                return;
            }
        io_byte(io, FZ_I64_RAW);
        io_raw(io, (uint64_t)*v, 8);
        return;
    }
    uint8_t b = io_byte(io, 0);
    if (b < FZ_I64_SMALL_CODES)
        *v = (int64_t)b + FZ_I64_SMALL_MIN;
    else if (b - FZ_I64_SMALL_CODES < nsp)
        *v = fz_i64_special[b - FZ_I64_SMALL_CODES];
    else
        *v = (int64_t)io_raw(io, 0, 8);
}

static int64_t fz_clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static void io_int(fz_io *io, int *v)
{
    int64_t w = *v;
    io_i64(io, &w);
    *v = (int)fz_clamp(w, INT_MIN, INT_MAX);
}

static void io_i32(fz_io *io, int32_t *v)
{
    int64_t w = *v;
    io_i64(io, &w);
    *v = (int32_t)fz_clamp(w, INT32_MIN, INT32_MAX);
}

/* enums: decoded through int so that out-of-range values reach the checks */
#define IO_ENUM(io, field)        \
    do {                          \
        int e_ = (int)(field);    \
        io_int(io, &e_);          \
        memcpy(&(field), &e_, sizeof e_); \
    } while (0)

static void io_u64(fz_io *io, uint64_t *v)
{
    int64_t w;
    memcpy(&w, v, sizeof w);
    io_i64(io, &w);
    memcpy(v, &w, sizeof w);
}

static void io_flags(fz_io *io, uint32_t *v)
{
    if (io->enc) {
        if (*v < 0xff)
            io_byte(io, (uint8_t)*v);
        else {
            io_byte(io, 0xff);
            io_raw(io, *v, 4);
        }
        return;
    }
    uint8_t b = io_byte(io, 0);
    *v = b < 0xff ? (b < 0xf0 ? b & 3u : b) : (uint32_t)io_raw(io, 0, 4);
}

static void io_f64(fz_io *io, double *v)
{
    const int nsp = (int)(sizeof fz_f64_special / sizeof *fz_f64_special);
    if (io->enc) {
        double d = *v;
        if (isnan(d)) { io_byte(io, FZ_F64_NAN); return; }
        if (isinf(d)) { io_byte(io, d > 0 ? FZ_F64_INF : FZ_F64_NINF); return; }
        for (int i = 0; i < nsp; i++)
            if (fz_f64_special[i] == d && signbit(fz_f64_special[i]) == signbit(d)) {
                io_byte(io, (uint8_t)i);
                return;
            }
        double s = (d + 4) * 16;
        if (s >= 0 && s < FZ_F64_NINF - FZ_F64_SMALL_BASE && s == floor(s) && !(d == 0 && signbit(d))) {
            io_byte(io, (uint8_t)(FZ_F64_SMALL_BASE + s));
            return;
        }
        uint64_t u;
        memcpy(&u, &d, 8);
        io_byte(io, FZ_F64_RAW);
        io_raw(io, u, 8);
        return;
    }
    uint8_t b = io_byte(io, 0);
    if (b < nsp) *v = fz_f64_special[b];
    else if (b == FZ_F64_NAN) *v = NAN;
    else if (b == FZ_F64_INF) *v = INFINITY;
    else if (b == FZ_F64_NINF) *v = -INFINITY;
    else if (b == FZ_F64_RAW) {
        uint64_t u = io_raw(io, 0, 8);
        memcpy(v, &u, 8);
    } else if (b >= FZ_F64_SMALL_BASE) *v = (b - FZ_F64_SMALL_BASE) / 16.0 - 4;
    else *v = (double)(b - nsp) * 1e-4;
}

/* ------------------------------------------------------------- buffers --- */
typedef struct fz_buf {
    uint8_t kind;                  /* bits 0-1 dtype (3: F32), 0x10 dead magic, 0x20 foreign owner */
    int64_t count;
    seqnn_buffer b;
} fz_buf;

typedef struct fz_state {
    fz_buf bufs[FZ_NBUF];
    int32_t *host[2];              /* rnn and maxpool lengths, attention key_lengths */
    int64_t host_n[2];
} fz_state;

static fz_state *fz_cur;           /* the input being decoded (for trefs) */

static void io_tref(fz_io *io, seqnn_tref *t)
{
    uint8_t slot = 0;
    if (io->enc) {
        slot = 0;
        for (int i = 0; i < FZ_NBUF; i++)
            if (t->buf == &fz_cur->bufs[i].b)
                slot = (uint8_t)(i + 1);
        io_byte(io, slot);
    } else {
        slot = io_byte(io, 0) % (FZ_NBUF + 1);
        t->buf = slot ? &fz_cur->bufs[slot - 1].b : NULL;
    }
    io_i64(io, &t->off);
}

/* A host int32 array of `n` entries (NULL when absent or n is out of range). */
static void io_host(fz_io *io, const int32_t **p, int64_t n, int which)
{
    uint8_t present = io_byte(io, io->enc ? *p != NULL : 0) & 1;
    if (!present || n < 0 || n > FZ_MAX_HOST) {
        *p = NULL;
        return;
    }
    if (io->enc) {
        for (int64_t i = 0; i < n; i++) {
            int32_t v = (*p)[i];
            io_i32(io, &v);
        }
        return;
    }
    int32_t *a = malloc((size_t)(n ? n : 1) * sizeof *a);
    if (!a)
        abort();
    for (int64_t i = 0; i < n; i++) {
        a[i] = 0;
        io_i32(io, &a[i]);
    }
    fz_cur->host[which] = a;
    fz_cur->host_n[which] = n;
    *p = a;                        /* with n == 0: a valid array of no entries */
}

/* ------------------------------------------------- argument visitors ---
 * One per argument struct; field order is the input format. */
static void v_seqnn_gemm_args(fz_io *io, seqnn_gemm_args *a)
{
    io_int(io, &a->trans_a); io_int(io, &a->trans_b);
    io_i64(io, &a->m); io_i64(io, &a->n); io_i64(io, &a->k);
    io_f64(io, &a->alpha); io_f64(io, &a->beta);
    io_tref(io, &a->a); io_i64(io, &a->lda);
    io_tref(io, &a->b); io_i64(io, &a->ldb);
    io_tref(io, &a->c); io_i64(io, &a->ldc);
    io_i64(io, &a->batch);
    io_i64(io, &a->stride_a); io_i64(io, &a->stride_b); io_i64(io, &a->stride_c);
    io_flags(io, &a->flags);
}

static void v_seqnn_bias_args(fz_io *io, seqnn_bias_args *a)
{
    io_i64(io, &a->rows); io_i64(io, &a->cols);
    io_tref(io, &a->y); io_i64(io, &a->ldy);
    io_tref(io, &a->b); io_tref(io, &a->dy); io_tref(io, &a->db);
    io_flags(io, &a->flags);
}

static void v_seqnn_act_args(fz_io *io, seqnn_act_args *a)
{
    IO_ENUM(io, a->kind);
    io_f64(io, &a->alpha);
    io_i64(io, &a->n);
    io_tref(io, &a->x); io_tref(io, &a->y); io_tref(io, &a->dy); io_tref(io, &a->dx);
    io_flags(io, &a->flags);
}

static void v_seqnn_ew_args(fz_io *io, seqnn_ew_args *a)
{
    io_i64(io, &a->n);
    io_f64(io, &a->alpha); io_f64(io, &a->beta);
    io_tref(io, &a->x); io_tref(io, &a->y); io_tref(io, &a->z);
    io_flags(io, &a->flags);
}

static void v_seqnn_softmax_args(fz_io *io, seqnn_softmax_args *a)
{
    io_int(io, &a->log);
    io_i64(io, &a->rows); io_i64(io, &a->cols);
    io_tref(io, &a->x); io_tref(io, &a->y); io_tref(io, &a->dy); io_tref(io, &a->dx);
    io_flags(io, &a->flags);
}

static void v_seqnn_xent_args(fz_io *io, seqnn_xent_args *a)
{
    io_i64(io, &a->rows); io_i64(io, &a->cols);
    io_tref(io, &a->logits); io_tref(io, &a->target);
    io_i32(io, &a->ignore_index);
    IO_ENUM(io, a->reduction);
    io_tref(io, &a->loss);
    io_f64(io, &a->dloss);
    io_tref(io, &a->dlogits);
    io_flags(io, &a->flags);
}

static void v_seqnn_xent_ext_args(fz_io *io, seqnn_xent_ext_args *a)
{
    io_i64(io, &a->rows); io_i64(io, &a->cols);
    io_tref(io, &a->logits); io_tref(io, &a->target);
    io_i32(io, &a->ignore_index);
    IO_ENUM(io, a->reduction);
    io_tref(io, &a->weight);
    io_f64(io, &a->smoothing);
    io_tref(io, &a->loss); io_tref(io, &a->losses);
    io_f64(io, &a->dloss);
    io_tref(io, &a->dlosses); io_tref(io, &a->dlogits);
    io_flags(io, &a->flags);
}

static void v_seqnn_loss_args(fz_io *io, seqnn_loss_args *a)
{
    io_i64(io, &a->n);
    io_tref(io, &a->x); io_tref(io, &a->target);
    IO_ENUM(io, a->reduction);
    io_tref(io, &a->loss);
    io_f64(io, &a->dloss);
    io_tref(io, &a->dx);
    io_flags(io, &a->flags);
}

static void v_seqnn_embedding_args(fz_io *io, seqnn_embedding_args *a)
{
    io_i64(io, &a->n); io_i64(io, &a->vocab); io_i64(io, &a->dim);
    io_tref(io, &a->idx);
    io_i32(io, &a->padding_idx);
    io_tref(io, &a->weight);
    io_tref(io, &a->y); io_i64(io, &a->ldy);
    io_tref(io, &a->dy); io_tref(io, &a->dweight);
    io_flags(io, &a->flags);
}

static void v_seqnn_dropout_args(fz_io *io, seqnn_dropout_args *a)
{
    io_i64(io, &a->n);
    io_f64(io, &a->p);
    io_u64(io, &a->seed); io_u64(io, &a->offset);
    io_tref(io, &a->x); io_tref(io, &a->y); io_tref(io, &a->dy); io_tref(io, &a->dx);
    io_flags(io, &a->flags);
}

static void v_seqnn_rnn_args(fz_io *io, seqnn_rnn_args *a)
{
    IO_ENUM(io, a->cell);
    io_i64(io, &a->seq_len); io_i64(io, &a->batch);
    io_i64(io, &a->input_size); io_i64(io, &a->hidden_size);
    io_int(io, &a->reverse);
    io_host(io, &a->lengths, a->batch, 0);
    io_tref(io, &a->x); io_i64(io, &a->ldx);
    io_tref(io, &a->w_ih); io_tref(io, &a->w_hh);
    io_tref(io, &a->b_ih); io_tref(io, &a->b_hh);
    io_tref(io, &a->h0); io_tref(io, &a->c0);
    io_tref(io, &a->y); io_i64(io, &a->ldy);
    io_tref(io, &a->h_n); io_tref(io, &a->c_n);
    io_tref(io, &a->reserve);
    io_tref(io, &a->dy); io_tref(io, &a->dh_n); io_tref(io, &a->dc_n);
    io_tref(io, &a->dx); io_tref(io, &a->dw_ih); io_tref(io, &a->dw_hh);
    io_tref(io, &a->db_ih); io_tref(io, &a->db_hh);
    io_tref(io, &a->dh0); io_tref(io, &a->dc0);
    io_flags(io, &a->flags);
}

static void v_seqnn_copy2d_args(fz_io *io, seqnn_copy2d_args *a)
{
    io_i64(io, &a->rows); io_i64(io, &a->cols);
    io_tref(io, &a->x); io_i64(io, &a->ldx);
    io_tref(io, &a->y); io_i64(io, &a->ldy);
    io_flags(io, &a->flags);
}

static void v_seqnn_lstm_variant_args(fz_io *io, seqnn_lstm_variant_args *a)
{
    v_seqnn_rnn_args(io, &a->rnn);
    io_flags(io, &a->variant);
    io_i64(io, &a->proj_size);
    io_tref(io, &a->w_peep); io_tref(io, &a->w_hr);
    io_tref(io, &a->dw_peep); io_tref(io, &a->dw_hr);
    io_flags(io, &a->flags);
}

static void v_seqnn_conv1d_args(fz_io *io, seqnn_conv1d_args *a)
{
    io_i64(io, &a->batch); io_i64(io, &a->in_channels); io_i64(io, &a->out_channels);
    io_i64(io, &a->in_len); io_i64(io, &a->kernel_size);
    io_i64(io, &a->stride); io_i64(io, &a->padding); io_i64(io, &a->dilation);
    io_tref(io, &a->x); io_i64(io, &a->x_sb); io_i64(io, &a->x_sc); io_i64(io, &a->x_sl);
    io_tref(io, &a->weight); io_tref(io, &a->bias);
    io_tref(io, &a->y); io_i64(io, &a->y_sb); io_i64(io, &a->y_sc); io_i64(io, &a->y_sl);
    io_tref(io, &a->dy); io_tref(io, &a->dx); io_tref(io, &a->dweight); io_tref(io, &a->dbias);
    io_flags(io, &a->flags);
}

static void v_seqnn_maxpool_args(fz_io *io, seqnn_maxpool_args *a)
{
    io_i64(io, &a->batch); io_i64(io, &a->channels); io_i64(io, &a->len);
    io_tref(io, &a->x); io_i64(io, &a->x_sb); io_i64(io, &a->x_sc); io_i64(io, &a->x_sl);
    io_tref(io, &a->y); io_i64(io, &a->y_sb); io_i64(io, &a->y_sc);
    io_tref(io, &a->argmax);
    io_tref(io, &a->dy); io_tref(io, &a->dx);
    io_flags(io, &a->flags);
}

static void v_seqnn_maxpool_lengths_args(fz_io *io, seqnn_maxpool_lengths_args *a)
{
    v_seqnn_maxpool_args(io, &a->pool);
    io_host(io, &a->lengths, a->pool.batch, 0);
    io_flags(io, &a->flags);
}

static void v_seqnn_conv1d_max_args(fz_io *io, seqnn_conv1d_max_args *a)
{
    v_seqnn_conv1d_args(io, &a->conv);
    io_i32(io, &a->act);
    io_f64(io, &a->alpha);
    io_tref(io, &a->y); io_i64(io, &a->y_sb); io_i64(io, &a->y_sc);
    io_tref(io, &a->pre); io_tref(io, &a->argmax);
    io_host(io, &a->lengths, a->conv.batch, 0);
    io_tref(io, &a->dy);
    io_flags(io, &a->flags);
}

static void v_seqnn_attention_args(fz_io *io, seqnn_attention_args *a)
{
    IO_ENUM(io, a->score);
    io_i64(io, &a->batch); io_i64(io, &a->heads); io_i64(io, &a->q_len); io_i64(io, &a->k_len);
    io_i64(io, &a->q_dim); io_i64(io, &a->k_dim); io_i64(io, &a->v_dim); io_i64(io, &a->attn_dim);
    io_f64(io, &a->scale);
    io_tref(io, &a->q); io_i64(io, &a->q_sb); io_i64(io, &a->q_sh); io_i64(io, &a->q_st);
    io_tref(io, &a->k); io_i64(io, &a->k_sb); io_i64(io, &a->k_sh); io_i64(io, &a->k_st);
    io_tref(io, &a->v); io_i64(io, &a->v_sb); io_i64(io, &a->v_sh); io_i64(io, &a->v_st);
    io_tref(io, &a->w); io_tref(io, &a->w_q); io_tref(io, &a->w_k); io_tref(io, &a->w_v);
    io_host(io, &a->key_lengths, a->batch, 1);
    io_int(io, &a->causal);
    io_tref(io, &a->out); io_i64(io, &a->o_sb); io_i64(io, &a->o_sh); io_i64(io, &a->o_st);
    io_tref(io, &a->weights);
    io_tref(io, &a->dout); io_tref(io, &a->dq); io_tref(io, &a->dk); io_tref(io, &a->dv);
    io_tref(io, &a->dw); io_tref(io, &a->dw_q); io_tref(io, &a->dw_k); io_tref(io, &a->dw_v);
    io_flags(io, &a->flags);
}

static void v_seqnn_sgd_args(fz_io *io, seqnn_sgd_args *a)
{
    io_i64(io, &a->n);
    io_tref(io, &a->param); io_tref(io, &a->grad); io_tref(io, &a->momentum_buf);
    io_f64(io, &a->lr); io_f64(io, &a->momentum); io_f64(io, &a->dampening); io_f64(io, &a->weight_decay);
    io_int(io, &a->nesterov);
    io_i64(io, &a->step);
    io_flags(io, &a->flags);
}

static void v_seqnn_rmsprop_args(fz_io *io, seqnn_rmsprop_args *a)
{
    io_i64(io, &a->n);
    io_tref(io, &a->param); io_tref(io, &a->grad); io_tref(io, &a->square_avg);
    io_tref(io, &a->momentum_buf); io_tref(io, &a->grad_avg);
    io_f64(io, &a->lr); io_f64(io, &a->alpha); io_f64(io, &a->eps);
    io_f64(io, &a->weight_decay); io_f64(io, &a->momentum);
    io_int(io, &a->centered);
    io_flags(io, &a->flags);
}

static void v_seqnn_adam_args(fz_io *io, seqnn_adam_args *a)
{
    io_i64(io, &a->n);
    io_tref(io, &a->param); io_tref(io, &a->grad); io_tref(io, &a->exp_avg); io_tref(io, &a->exp_avg_sq);
    io_tref(io, &a->max_exp_avg_sq);
    io_f64(io, &a->lr); io_f64(io, &a->beta1); io_f64(io, &a->beta2); io_f64(io, &a->eps);
    io_f64(io, &a->weight_decay);
    io_int(io, &a->decoupled); io_int(io, &a->amsgrad);
    io_i64(io, &a->step);
    io_flags(io, &a->flags);
}

static void v_seqnn_adagrad_args(fz_io *io, seqnn_adagrad_args *a)
{
    io_i64(io, &a->n);
    io_tref(io, &a->param); io_tref(io, &a->grad); io_tref(io, &a->sum);
    io_f64(io, &a->lr); io_f64(io, &a->lr_decay); io_f64(io, &a->weight_decay); io_f64(io, &a->eps);
    io_i64(io, &a->step);
    io_flags(io, &a->flags);
}

static void v_seqnn_sumsq_args(fz_io *io, seqnn_sumsq_args *a)
{
    io_i64(io, &a->n);
    io_tref(io, &a->x); io_tref(io, &a->result);
    io_flags(io, &a->flags);
}

static void v_seqnn_clip_args(fz_io *io, seqnn_clip_args *a)
{
    io_i64(io, &a->n);
    io_tref(io, &a->x); io_tref(io, &a->sumsq);
    io_f64(io, &a->max_norm);
    io_flags(io, &a->flags);
}

/* ------------------------------------------------------ work estimates ---
 * Rough operation counts (saturating doubles), to skip legal but enormous calls. */
static double w_pos(int64_t v)
{
    return v > 1 ? (double)v : 1.0;
}

static double w_seqnn_gemm_args(const seqnn_gemm_args *a)
{
    return w_pos(a->batch) * w_pos(a->m) * w_pos(a->n) * w_pos(a->k);
}
static double w_seqnn_bias_args(const seqnn_bias_args *a) { return w_pos(a->rows) * w_pos(a->cols); }
static double w_seqnn_act_args(const seqnn_act_args *a) { return w_pos(a->n); }
static double w_seqnn_ew_args(const seqnn_ew_args *a) { return w_pos(a->n); }
static double w_seqnn_softmax_args(const seqnn_softmax_args *a) { return w_pos(a->rows) * w_pos(a->cols); }
static double w_seqnn_xent_args(const seqnn_xent_args *a) { return w_pos(a->rows) * w_pos(a->cols); }
static double w_seqnn_xent_ext_args(const seqnn_xent_ext_args *a) { return w_pos(a->rows) * w_pos(a->cols); }
static double w_seqnn_loss_args(const seqnn_loss_args *a) { return w_pos(a->n); }
static double w_seqnn_embedding_args(const seqnn_embedding_args *a)
{
    return (w_pos(a->n) + w_pos(a->vocab)) * w_pos(a->dim);
}
static double w_seqnn_dropout_args(const seqnn_dropout_args *a) { return w_pos(a->n); }
static double w_seqnn_rnn_args(const seqnn_rnn_args *a)
{
    return w_pos(a->seq_len) * w_pos(a->batch) * 4 * w_pos(a->hidden_size) *
           (w_pos(a->input_size) + w_pos(a->hidden_size));
}
static double w_seqnn_lstm_variant_args(const seqnn_lstm_variant_args *a)
{
    return w_seqnn_rnn_args(&a->rnn) * 2;
}
static double w_seqnn_conv1d_args(const seqnn_conv1d_args *a)
{
    return w_pos(a->batch) * w_pos(a->in_channels) * w_pos(a->out_channels) * w_pos(a->kernel_size) *
           (w_pos(a->in_len) + 2 * w_pos(a->padding));
}
static double w_seqnn_maxpool_args(const seqnn_maxpool_args *a)
{
    return w_pos(a->batch) * w_pos(a->channels) * w_pos(a->len);
}
static double w_seqnn_maxpool_lengths_args(const seqnn_maxpool_lengths_args *a)
{
    return w_seqnn_maxpool_args(&a->pool);
}
static double w_seqnn_conv1d_max_args(const seqnn_conv1d_max_args *a)
{
    return w_seqnn_conv1d_args(&a->conv);
}
static double w_seqnn_attention_args(const seqnn_attention_args *a)
{
    double d = w_pos(a->q_dim) + w_pos(a->k_dim) + w_pos(a->v_dim);
    return w_pos(a->batch) * w_pos(a->heads) *
           (w_pos(a->q_len) * w_pos(a->k_len) * (d + w_pos(a->attn_dim) + d * (a->score >= 2 ? w_pos(a->attn_dim) + w_pos(a->k_dim) : 1)) +
            (w_pos(a->q_len) + w_pos(a->k_len)) * w_pos(a->attn_dim) * d);
}
static double w_seqnn_sgd_args(const seqnn_sgd_args *a) { return w_pos(a->n); }
static double w_seqnn_rmsprop_args(const seqnn_rmsprop_args *a) { return w_pos(a->n); }
static double w_seqnn_adam_args(const seqnn_adam_args *a) { return w_pos(a->n); }
static double w_seqnn_adagrad_args(const seqnn_adagrad_args *a) { return w_pos(a->n); }
static double w_seqnn_sumsq_args(const seqnn_sumsq_args *a) { return w_pos(a->n); }
static double w_seqnn_clip_args(const seqnn_clip_args *a) { return w_pos(a->n); }
static double w_seqnn_copy2d_args(const seqnn_copy2d_args *a) { return w_pos(a->rows) * w_pos(a->cols); }

/* Any kernel's arguments. */
typedef union fz_args {
#define SEQNN_KERNEL(name, type, doc) type name;
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
} fz_args;

/* Visits the argument struct of kernel id; returns its work estimate. */
static double fz_visit(fz_io *io, int id, fz_args *u)
{
    switch (id) {
#define SEQNN_KERNEL(name, type, doc) \
    case SEQNN_KERNEL_##name: v_##type(io, &u->name); return w_##type(&u->name);
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
    default: return 0;
    }
}

/* Buffer descriptors: kind byte, element count. */
static void fz_visit_buffers(fz_io *io, fz_state *s)
{
    for (int i = 0; i < FZ_NBUF; i++) {
        fz_buf *fb = &s->bufs[i];
        fb->kind = io_byte(io, fb->kind);
        io_i64(io, &fb->count);
        fb->count = fz_clamp(fb->count, 0, FZ_MAX_COUNT);
    }
}

#ifndef FZ_MAKE_SEEDS
static size_t fz_elem_size(const fz_buf *fb)
{
    return (fb->kind & 3) == SEQNN_F64 ? 8 : 4;
}

/* Element values: one byte each (floats: a small grid plus non-finite
 * values; int32: small indices plus extremes). */
static float fz_float_of(uint8_t b)
{
    switch (b) {
    case 0xff: return NAN;
    case 0xfe: return INFINITY;
    case 0xfd: return -INFINITY;
    case 0xfc: return 3e38f;
    case 0xfb: return -0.0f;
    case 0xfa: return 1e-40f;
    default: return (float)(int8_t)b / 16.0f;   /* 0 -> 0 */
    }
}

static int32_t fz_int_of(uint8_t b)
{
    if (b < 0xf0)
        return b;                                /* 0 -> 0: a valid index */
    return b == 0xff ? INT32_MIN : b == 0xfe ? INT32_MAX : -(int32_t)(b - 0xef);
}

/* ------------------------------------------------------------ the target --- */
static seqnn_context *fz_ctx;
static char fz_plugin_prefix[64];
static int fz_foreign_owner;       /* a distinct address: "another context" */
static int fz_verbose;             /* SEQNN_FUZZ_VERBOSE=1: one line per input on stderr */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* At exit, before LeakSanitizer's final check: close the context (the avx2
 * plugin's worker threads stop; LSan's tracer has crashed on them). */
static void fz_close_context(void)
{
    seqnn_context_destroy(fz_ctx);
    fz_ctx = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *verbose = getenv("SEQNN_FUZZ_VERBOSE");
    fz_verbose = verbose && *verbose == '1';
    const char *spec = getenv("SEQNN_FUZZ_BACKEND");
    if (!spec || !*spec)
        spec = "ref";
    if (seqnn_context_create(spec, &fz_ctx) != SEQNN_OK) {
        fprintf(stderr, "fuzz_kernel_args: cannot create a '%s' context: %s\n", spec, seqnn_last_error());
        abort();
    }
    seqnn_device_record d;
    if (seqnn_context_device(fz_ctx, &d) != SEQNN_OK)
        abort();
    snprintf(fz_plugin_prefix, sizeof fz_plugin_prefix, "%s: ", d.plugin_name);
    atexit(fz_close_context);
    fprintf(stderr, "fuzz_kernel_args: dispatching to plugin '%s' (%s)\n", d.plugin_name, d.name);
    return 0;
}

#define FZ_REQUIRE(cond, ...)                                              \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "fuzz_kernel_args: %s: ", seqnn_kernel_name(id)); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fprintf(stderr, "\n");                                         \
            abort();                                                       \
        }                                                                  \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_state s;
    memset(&s, 0, sizeof s);
    fz_cur = &s;
    fz_io io = {0, data, size, NULL, 0, 0};
    fz_visit_buffers(&io, &s);
    int id = io_byte(&io, 0) % SEQNN_KERNEL_COUNT;
    fz_args u;
    memset(&u, 0, sizeof u);
    double work = fz_visit(&io, id, &u);

    /* buffers: exact-size host memory, contents from the rest of the input */
    void *snap[FZ_NBUF] = {0};
    for (int i = 0; i < FZ_NBUF; i++) {
        fz_buf *fb = &s.bufs[i];
        size_t bytes = (size_t)fb->count * fz_elem_size(fb);
        void *mem = NULL;
        if (posix_memalign(&mem, 64, bytes ? bytes : 1) != 0)
            abort();
        for (int64_t e = 0; e < fb->count; e++) {
            uint8_t b = io_byte(&io, 0);
            if ((fb->kind & 3) == SEQNN_I32) {
                int32_t v = fz_int_of(b);
                memcpy((char *)mem + 4 * e, &v, 4);
            } else if ((fb->kind & 3) == SEQNN_F64) {
                double v = fz_float_of(b);
                memcpy((char *)mem + 8 * e, &v, 8);
            } else {
                float v = fz_float_of(b);
                memcpy((char *)mem + 4 * e, &v, 4);
            }
        }
        fb->b.handle = mem;
        fb->b.count = fb->count;
        fb->b.dtype = (fb->kind & 3) == 3 ? SEQNN_F32 : (seqnn_dtype)(fb->kind & 3);
        fb->b.magic = (fb->kind & 0x10) ? 0xdeadu : SEQNN_BUFFER_MAGIC;
        fb->b.owner = (fb->kind & 0x20) ? (void *)&fz_foreign_owner : (void *)fz_ctx;
        snap[i] = malloc(bytes ? bytes : 1);
        if (!snap[i])
            abort();
        memcpy(snap[i], mem, bytes);
    }

    /* 1. the check alone */
    char msg[512];
    memset(msg, 'x', sizeof msg);
    seqnn_status chk = seqnn_kernel_check((seqnn_kernel_id)id, &u, msg, sizeof msg);
    FZ_REQUIRE(chk == SEQNN_OK || chk == SEQNN_ERR_INVALID_ARG, "check returned %s", seqnn_status_name(chk));
    if (chk != SEQNN_OK) {
        FZ_REQUIRE(memchr(msg, '\0', sizeof msg) != NULL, "check message not NUL-terminated");
        size_t kl = strlen(seqnn_kernel_name(id));
        FZ_REQUIRE(!strncmp(msg, seqnn_kernel_name(id), kl) && msg[kl] == ':', "check message '%s' does not name the kernel", msg);
    }

    if (fz_verbose)
        fprintf(stderr, "%-18s check %s%s%s\n", seqnn_kernel_name(id), seqnn_status_name(chk),
                chk != SEQNN_OK ? ": " : "", chk != SEQNN_OK ? msg : "");

    /* 2. checked dispatch */
    int foreign = 0;
    for (int i = 0; i < FZ_NBUF; i++)
        foreign |= (s.bufs[i].kind & 0x20) != 0;
    if (chk != SEQNN_OK || work <= FZ_MAX_WORK) {
        seqnn_status run = seqnn_kernel_run(fz_ctx, (seqnn_kernel_id)id, &u);
        const char *err = seqnn_last_error();
        if (fz_verbose)
            fprintf(stderr, "%-18s run %s%s%s\n", seqnn_kernel_name(id), seqnn_status_name(run),
                    run != SEQNN_OK ? ": " : "", run != SEQNN_OK ? err : "");
        int from_plugin = run != SEQNN_OK && !strncmp(err, fz_plugin_prefix, strlen(fz_plugin_prefix));
        if (chk != SEQNN_OK)
            FZ_REQUIRE(run == chk && !from_plugin, "the check refused (%s) but dispatch gave %s: %s", msg,
                       seqnn_status_name(run), err);
        else if (!foreign)
            FZ_REQUIRE(run == SEQNN_OK || run == SEQNN_ERR_UNSUPPORTED || from_plugin,
                       "the check passed but dispatch refused: %s", err);
        if (run != SEQNN_OK && !from_plugin) {
            /* refused by the core: nothing may have been written */
            for (int i = 0; i < FZ_NBUF; i++)
                FZ_REQUIRE(!memcmp(snap[i], s.bufs[i].b.handle, (size_t)s.bufs[i].count * fz_elem_size(&s.bufs[i])),
                           "buffer %d changed by a refused call (%s)", i, err);
        }
    }

    for (int i = 0; i < FZ_NBUF; i++) {
        free(s.bufs[i].b.handle);
        free(snap[i]);
    }
    free(s.host[0]);
    free(s.host[1]);
    fz_cur = NULL;
    return 0;
}

#else
/* ------------------------------------------------------- seed generator ---
 * fz_make_seeds DIR: one valid input per kernel (and a few variants), each a
 * call the check accepts, so that fuzzing starts deep inside every kernel. */
static void seed_buf(fz_state *s, int i, seqnn_dtype dt, int64_t count)
{
    s->bufs[i].kind = (uint8_t)dt;
    s->bufs[i].count = count;
}

static seqnn_tref T(fz_state *s, int i, int64_t off)
{
    seqnn_tref t = {&s->bufs[i].b, off};
    return t;
}

static void seed_write(const char *dir, const char *name, int id, fz_state *s, fz_args *u)
{
    fz_cur = s;
    fz_io io = {1, NULL, 0, NULL, 0, 0};
    fz_visit_buffers(&io, s);
    io_byte(&io, (uint8_t)id);
    fz_visit(&io, id, u);
    /* contents: a few non-zero floats in buffer 0; the rest of the input is
     * absent and reads as zeros (valid indices, zero floats) */
    for (int64_t e = 0; e < 16; e++)
        io_byte(&io, (uint8_t)(e * 5 % 31));
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(io.out, 1, io.len, f) != io.len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    free(io.out);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    for (int id = 0; id < SEQNN_KERNEL_COUNT; id++) {
        const char *kn = seqnn_kernel_name(id);
        for (int variant = 0; variant < 2; variant++) {
            fz_state s;
            fz_args u;
            memset(&s, 0, sizeof s);
            memset(&u, 0, sizeof u);
            int32_t lengths[3] = {3, 1, 2};
            /* buffers 0-5: float32 of 256, 6: int32 of 64, 7: float32 of 4096 */
            for (int i = 0; i < 6; i++)
                seed_buf(&s, i, SEQNN_F32, 256);
            seed_buf(&s, 6, SEQNN_I32, 64);
            seed_buf(&s, 7, SEQNN_F32, 4096);
            uint32_t bw = variant ? SEQNN_FLAG_OVERWRITE : 0;   /* backward flags */
            switch (id) {
            case SEQNN_KERNEL_gemm: {
                seqnn_gemm_args *a = &u.gemm;
                a->trans_a = variant; a->trans_b = !variant;
                a->m = 5; a->n = 7; a->k = 3; a->alpha = 1; a->beta = variant ? 0.5 : 0;
                a->a = T(&s, 0, 1); a->lda = 5 + variant;
                a->b = T(&s, 1, 0); a->ldb = 3 + 4 * variant;
                a->c = T(&s, 2, 0); a->ldc = 7;
                a->batch = 1 + variant; a->stride_a = 40; a->stride_b = 50; a->stride_c = 35;
                break;
            }
            case SEQNN_KERNEL_bias_add: case SEQNN_KERNEL_bias_backward: {
                seqnn_bias_args *a = &u.bias_add;
                a->rows = 4; a->cols = 6; a->ldy = 7;
                a->y = T(&s, 0, 0); a->b = T(&s, 1, 0); a->dy = T(&s, 2, 0); a->db = T(&s, 3, 0);
                if (id == SEQNN_KERNEL_bias_backward) a->flags = bw;
                break;
            }
            case SEQNN_KERNEL_act_forward: case SEQNN_KERNEL_act_backward: {
                seqnn_act_args *a = &u.act_forward;
                a->kind = (seqnn_act)(variant ? SEQNN_ACT_LEAKY_RELU : SEQNN_ACT_SWISH); a->alpha = 0.25;
                a->n = 33; a->x = T(&s, 0, 0); a->y = T(&s, 1, 0); a->dy = T(&s, 2, 0); a->dx = T(&s, 3, 0);
                if (id == SEQNN_KERNEL_act_backward) a->flags = bw;
                break;
            }
            case SEQNN_KERNEL_add: case SEQNN_KERNEL_mul: case SEQNN_KERNEL_scale: {
                seqnn_ew_args *a = &u.add;
                a->n = 17; a->alpha = 0.5; a->beta = variant ? 2.0 : 0;
                a->x = T(&s, 0, 0); a->y = T(&s, 1, 0); a->z = variant ? T(&s, 0, 0) : T(&s, 2, 0);
                break;
            }
            case SEQNN_KERNEL_softmax_forward: case SEQNN_KERNEL_softmax_backward: {
                seqnn_softmax_args *a = &u.softmax_forward;
                a->log = variant; a->rows = 3; a->cols = 9;
                a->x = T(&s, 0, 0); a->y = T(&s, 1, 0); a->dy = T(&s, 2, 0); a->dx = T(&s, 3, 0);
                if (id == SEQNN_KERNEL_softmax_backward) a->flags = bw;
                break;
            }
            case SEQNN_KERNEL_xent_forward: case SEQNN_KERNEL_xent_backward: {
                seqnn_xent_args *a = &u.xent_forward;
                a->rows = 5; a->cols = 3; a->logits = T(&s, 0, 0); a->target = T(&s, 6, 0);
                a->ignore_index = variant ? 1 : -100; a->reduction = (seqnn_reduction)variant;
                a->loss = T(&s, 1, 0); a->dloss = 1; a->dlogits = T(&s, 2, 0);
                if (id == SEQNN_KERNEL_xent_backward) a->flags = bw;
                break;
            }
            case SEQNN_KERNEL_xent_ext_forward: case SEQNN_KERNEL_xent_ext_backward: {
                seqnn_xent_ext_args *a = &u.xent_ext_forward;
                a->rows = 5; a->cols = 3; a->logits = T(&s, 0, 0); a->target = T(&s, 6, 0);
                a->ignore_index = variant ? 1 : -100; a->reduction = variant ? SEQNN_REDUCE_NONE : SEQNN_REDUCE_MEAN;
                a->weight = variant ? T(&s, 3, 0) : (seqnn_tref){NULL, 0}; a->smoothing = 0.1 * variant;
                a->loss = T(&s, 1, 0); a->losses = T(&s, 4, 0); a->dloss = 1; a->dlosses = T(&s, 5, 0);
                a->dlogits = T(&s, 2, 0);
                if (id == SEQNN_KERNEL_xent_ext_backward) a->flags = bw;
                break;
            }
            case SEQNN_KERNEL_mse_forward: case SEQNN_KERNEL_mse_backward:
            case SEQNN_KERNEL_bce_forward: case SEQNN_KERNEL_bce_backward: {
                seqnn_loss_args *a = &u.mse_forward;
                a->n = 11; a->x = T(&s, 0, 0); a->target = T(&s, 1, 0); a->reduction = (seqnn_reduction)variant;
                a->loss = T(&s, 2, 0); a->dloss = 0.5; a->dx = T(&s, 3, 0);
                if (id == SEQNN_KERNEL_mse_backward || id == SEQNN_KERNEL_bce_backward) a->flags = bw;
                break;
            }
            case SEQNN_KERNEL_embedding_forward: case SEQNN_KERNEL_embedding_backward: {
                seqnn_embedding_args *a = &u.embedding_forward;
                a->n = 6; a->vocab = 3; a->dim = 5; a->idx = T(&s, 6, 0); a->padding_idx = variant ? 2 : -1;
                a->weight = T(&s, 0, 0); a->y = T(&s, 1, 0); a->ldy = 5 + variant;
                a->dy = T(&s, 2, 0); a->dweight = T(&s, 3, 0);
                break;
            }
            case SEQNN_KERNEL_dropout_forward: case SEQNN_KERNEL_dropout_backward: {
                seqnn_dropout_args *a = &u.dropout_forward;
                a->n = 40; a->p = variant ? 0.5 : 0.25; a->seed = 7; a->offset = 3;
                a->x = T(&s, 0, 0); a->y = T(&s, 1, 0); a->dy = T(&s, 2, 0); a->dx = T(&s, 3, 0);
                if (id == SEQNN_KERNEL_dropout_backward) a->flags = bw;
                break;
            }
            case SEQNN_KERNEL_rnn_forward: case SEQNN_KERNEL_rnn_backward:
            case SEQNN_KERNEL_cell_forward: case SEQNN_KERNEL_cell_backward:
            case SEQNN_KERNEL_lstm_variant_forward: case SEQNN_KERNEL_lstm_variant_backward: {
                int lv = id == SEQNN_KERNEL_lstm_variant_forward || id == SEQNN_KERNEL_lstm_variant_backward;
                seqnn_rnn_args *a = lv ? &u.lstm_variant_forward.rnn : &u.rnn_forward;
                int cell = id == SEQNN_KERNEL_cell_forward || id == SEQNN_KERNEL_cell_backward;
                int bwd = id == SEQNN_KERNEL_rnn_backward || id == SEQNN_KERNEL_cell_backward ||
                          id == SEQNN_KERNEL_lstm_variant_backward;
                a->cell = variant ? SEQNN_CELL_LSTM : SEQNN_CELL_GRU;
                a->seq_len = cell ? 1 : 3; a->batch = 3; a->input_size = 4; a->hidden_size = 5;
                a->reverse = variant; a->lengths = cell ? NULL : lengths;
                a->x = T(&s, 0, 0); a->ldx = 4;
                a->w_ih = T(&s, 1, 0); a->w_hh = T(&s, 2, 0);
                a->b_ih = T(&s, 3, 0); a->b_hh = T(&s, 3, 20);
                a->h0 = T(&s, 4, 0); a->c0 = variant ? T(&s, 4, 15) : T(&s, 4, 0);
                if (!variant) a->c0.buf = NULL;
                a->y = T(&s, 5, 0); a->ldy = 5;
                a->reserve = T(&s, 7, 0);
                if (bwd) {
                    a->y.buf = NULL;
                    a->dy = T(&s, 5, 0); a->dh_n = T(&s, 5, 100);
                    a->dx = T(&s, 7, 1000); a->dw_ih = T(&s, 7, 1100); a->dw_hh = T(&s, 7, 1200);
                    a->db_ih = T(&s, 7, 1400); a->db_hh = T(&s, 7, 1500); a->dh0 = T(&s, 7, 1600);
                    if (variant) { a->dc_n = T(&s, 5, 120); a->dc0 = T(&s, 7, 1700); }
                    a->flags = bw;
                } else {
                    a->h_n = T(&s, 5, 100);
                    if (variant) a->c_n = T(&s, 5, 120);
                }
                if (lv) {                /* peephole; or peephole + coupled, projected to 3 */
                    seqnn_lstm_variant_args *v = &u.lstm_variant_forward;
                    a->cell = SEQNN_CELL_LSTM;
                    v->variant = SEQNN_LSTM_PEEPHOLE | (variant ? SEQNN_LSTM_COUPLED : 0u);
                    v->proj_size = variant ? 3 : 0;
                    v->w_peep = T(&s, 1, 100);
                    if (variant) v->w_hr = T(&s, 2, 120);
                    if (bwd) {
                        v->dw_peep = T(&s, 7, 1800);
                        if (variant) v->dw_hr = T(&s, 7, 1900);
                    }
                }
                break;
            }
            case SEQNN_KERNEL_conv1d_forward: case SEQNN_KERNEL_conv1d_backward: {
                seqnn_conv1d_args *a = &u.conv1d_forward;
                a->batch = 2; a->in_channels = 3; a->out_channels = 4; a->in_len = 9; a->kernel_size = 3;
                a->stride = 1 + variant; a->padding = variant; a->dilation = 1 + variant;
                a->x = T(&s, 0, 0); a->x_sb = 27; a->x_sc = 9; a->x_sl = 1;
                a->weight = T(&s, 1, 0); a->bias = T(&s, 2, 0);
                a->y = T(&s, 3, 0); a->y_sb = 36; a->y_sc = 9; a->y_sl = 1;
                a->dy = T(&s, 3, 0); a->dx = T(&s, 4, 0); a->dweight = T(&s, 5, 0); a->dbias = T(&s, 2, 10);
                if (id == SEQNN_KERNEL_conv1d_backward) a->flags = bw;
                break;
            }
            case SEQNN_KERNEL_maxpool_forward: case SEQNN_KERNEL_maxpool_backward: {
                seqnn_maxpool_args *a = &u.maxpool_forward;
                a->batch = 2; a->channels = 3; a->len = 3;
                a->x = T(&s, 0, 0); a->x_sb = 9; a->x_sc = 3; a->x_sl = 1;
                a->y = T(&s, 1, 0); a->y_sb = 3 + variant; a->y_sc = 1;
                a->argmax = T(&s, 6, 0); a->dy = T(&s, 2, 0); a->dx = T(&s, 3, 0);
                if (id == SEQNN_KERNEL_maxpool_backward) a->flags = bw;
                break;
            }
            case SEQNN_KERNEL_maxpool_lengths_forward: {
                seqnn_maxpool_args *a = &u.maxpool_lengths_forward.pool;
                a->batch = 3; a->channels = 2; a->len = 3;
                a->x = T(&s, 0, 0); a->x_sb = 6; a->x_sc = 1; a->x_sl = 2;
                a->y = T(&s, 1, 0); a->y_sb = 2 + variant; a->y_sc = 1;
                a->argmax = T(&s, 6, 0);
                u.maxpool_lengths_forward.lengths = variant ? NULL : lengths;
                break;
            }
            case SEQNN_KERNEL_conv1d_max_forward: case SEQNN_KERNEL_conv1d_max_backward: {
                seqnn_conv1d_max_args *m = &u.conv1d_max_forward;
                seqnn_conv1d_args *a = &m->conv;
                a->batch = 3; a->in_channels = 3; a->out_channels = 4; a->in_len = 9; a->kernel_size = 3;
                a->stride = 1; a->padding = variant; a->dilation = 1;
                a->x = T(&s, 0, 0); a->x_sb = 27; a->x_sc = 9; a->x_sl = 1;
                a->weight = T(&s, 1, 0); a->bias = T(&s, 2, 0);
                m->act = variant ? SEQNN_ACT_TANH : SEQNN_CONV_MAX_NO_ACT;
                m->y = T(&s, 3, 0); m->y_sb = 4 + variant; m->y_sc = 1;
                m->pre = T(&s, 4, 0); m->argmax = T(&s, 6, 0);
                m->lengths = variant ? NULL : lengths;
                m->dy = T(&s, 5, 0); a->dx = T(&s, 4, 20);
                if (id == SEQNN_KERNEL_conv1d_max_backward) m->flags = bw;
                break;
            }
            case SEQNN_KERNEL_attention_forward: case SEQNN_KERNEL_attention_backward: {
                seqnn_attention_args *a = &u.attention_forward;
                a->score = variant ? SEQNN_SCORE_ADDITIVE : SEQNN_SCORE_SCALED_DOT;
                a->batch = 2; a->heads = 1; a->q_len = 3; a->k_len = 4;
                a->q_dim = 4; a->k_dim = 4; a->v_dim = 3; a->attn_dim = variant ? 2 : 0; a->scale = 0;
                a->q = T(&s, 0, 0); a->q_sb = 12; a->q_sh = 12; a->q_st = 4;
                a->k = T(&s, 1, 0); a->k_sb = 16; a->k_sh = 16; a->k_st = 4;
                a->v = T(&s, 2, 0); a->v_sb = 12; a->v_sh = 12; a->v_st = 3;
                if (variant) { a->w_q = T(&s, 3, 0); a->w_k = T(&s, 3, 8); a->w_v = T(&s, 3, 16); }
                a->key_lengths = variant ? lengths + 1 : NULL;
                a->causal = !variant;
                a->out = T(&s, 4, 0); a->o_sb = 9; a->o_sh = 9; a->o_st = 3;
                a->weights = T(&s, 5, 0);
                if (id == SEQNN_KERNEL_attention_backward) {
                    a->out.buf = NULL;
                    a->dout = T(&s, 4, 0); a->dq = T(&s, 7, 0); a->dk = T(&s, 7, 100); a->dv = T(&s, 7, 200);
                    if (variant) { a->dw_q = T(&s, 7, 300); a->dw_k = T(&s, 7, 310); a->dw_v = T(&s, 7, 320); }
                    a->flags = bw;
                }
                break;
            }
            case SEQNN_KERNEL_sgd_step: {
                seqnn_sgd_args *a = &u.sgd_step;
                a->n = 19; a->param = T(&s, 0, 0); a->grad = T(&s, 1, 0); a->momentum_buf = T(&s, 2, 0);
                a->lr = 0.1; a->momentum = 0.9; a->dampening = variant ? 0.1 : 0; a->weight_decay = 1e-3;
                a->nesterov = !variant; a->step = 1 + variant;
                break;
            }
            case SEQNN_KERNEL_rmsprop_step: {
                seqnn_rmsprop_args *a = &u.rmsprop_step;
                a->n = 19; a->param = T(&s, 0, 0); a->grad = T(&s, 1, 0); a->square_avg = T(&s, 2, 0);
                a->momentum_buf = T(&s, 3, 0); a->grad_avg = T(&s, 4, 0);
                a->lr = 1e-3; a->alpha = 0.9; a->eps = 1e-8; a->weight_decay = 0; a->momentum = variant ? 0.9 : 0;
                a->centered = variant;
                if (!variant) { a->momentum_buf.buf = NULL; a->grad_avg.buf = NULL; }
                break;
            }
            case SEQNN_KERNEL_adam_step: {
                seqnn_adam_args *a = &u.adam_step;
                a->n = 19; a->param = T(&s, 0, 0); a->grad = T(&s, 1, 0); a->exp_avg = T(&s, 2, 0);
                a->exp_avg_sq = T(&s, 3, 0); a->max_exp_avg_sq = T(&s, 4, 0);
                a->lr = 1e-3; a->beta1 = 0.9; a->beta2 = 0.999; a->eps = 1e-8; a->weight_decay = 0.1;
                a->decoupled = variant; a->amsgrad = variant; a->step = 3;
                if (!variant) a->max_exp_avg_sq.buf = NULL;
                break;
            }
            case SEQNN_KERNEL_adagrad_step: {
                seqnn_adagrad_args *a = &u.adagrad_step;
                a->n = 19; a->param = T(&s, 0, 0); a->grad = T(&s, 1, 0); a->sum = T(&s, 2, 0);
                a->lr = 0.1; a->lr_decay = variant ? 0.1 : 0; a->weight_decay = 0; a->eps = 1e-10; a->step = 2;
                break;
            }
            case SEQNN_KERNEL_sumsq: {
                seqnn_sumsq_args *a = &u.sumsq;
                a->n = 100; a->x = T(&s, 0, 0); a->result = T(&s, 1, 0); a->flags = bw;
                break;
            }
            case SEQNN_KERNEL_clip_scale: {
                seqnn_clip_args *a = &u.clip_scale;
                a->n = 100; a->x = T(&s, 0, 0); a->sumsq = T(&s, 1, 0); a->max_norm = variant ? 0.5 : 1.0;
                break;
            }
            default:
                break;
            }
            char name[128];
            snprintf(name, sizeof name, "%s-%d", kn, variant);
            seed_write(dir, name, id, &s, &u);
        }
    }
    return 0;
}
#endif

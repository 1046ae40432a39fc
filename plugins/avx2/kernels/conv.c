/* Conv family of the SIMD plugins. Forward with stride 1 (conv1d_forward and
 * the fused conv1d + max over time, conv1d_max_forward): no im2col and no
 * GEMM packing; a micro-tile of a few filters by a block of positions
 * accumulates the whole depth C_in*K in registers, loading the positions
 * from x's rows (read in place, or from a zero-padded copy of a chunk of
 * an item's rows) and broadcasting the weight packed once by filter
 * blocks; its rows are stored into y, or bias, activation and the first
 * maximum are taken from them (merged over chunks of positions). Other
 * strides through the own SGEMM (im2col: the [C_in*K, L_out] matrix of input
 * taps of one batch item, then GEMM tiles). Backward: per batch item, in
 * batch order (so sums do not depend on threads), dW += dy_b col_b^T and
 * dcol = W^T dy_b scattered back into dx (col2im); dbias as ordered sums;
 * the fused kernel's backward from the maxima alone. Max-over-time pooling
 * (over every position, or the first lengths[b] of row b): forward in one
 * vector pass for the maximum and its first position, backward per batch
 * item (clear, then scatter). Batch items (or filter ranges) run as tasks. */
#include <string.h>
#include "act.h"
#include "common.h"
#include "simd_gemm.h"
#include "simd_kernels.h"
#include "threads.h"

static int64_t maxpool_argmax(const float *row, int64_t len, int64_t sl);

/* col[(c*K + k) * L_out + l] = x[b, c, l*stride - padding + k*dilation] (0 outside) */
static void conv_im2col(const seqnn_conv1d_args *a, int64_t b, int64_t out_len, float *col)
{
    const float *x = SP(a->x) + b * a->x_sb;       /* x [B, C_in, L_in], strides x_s* */
    const int64_t K = a->kernel_size;
    for (int64_t c = 0; c < a->in_channels; c++)
        for (int64_t k = 0; k < K; k++) {
            float *dst = col + (c * K + k) * out_len;
            const float *src = x + c * a->x_sc;
            int64_t off = k * a->dilation - a->padding;
            if (a->stride == 1 && a->x_sl == 1) {
                /* contiguous taps: zeros, a copy of the input inside, zeros */
                int64_t lo = simd_min64(out_len, off < 0 ? -off : 0);
                int64_t hi = simd_min64(out_len, a->in_len - off);
                if (hi < lo)
                    hi = lo;
                memset(dst, 0, (size_t)lo * sizeof(float));
                memcpy(dst + lo, src + lo + off, (size_t)(hi - lo) * sizeof(float));
                memset(dst + hi, 0, (size_t)(out_len - hi) * sizeof(float));
                continue;
            }
            for (int64_t l = 0; l < out_len; l++) {
                int64_t p = l * a->stride + off;
                dst[l] = p >= 0 && p < a->in_len ? src[p * a->x_sl] : 0.0f;
            }
        }
}

/* dx[b, c, p] += dcol[(c*K + k) * L_out + l] for every tap inside the input,
 * taps in (k, l) order for each (c, p) */
static void conv_col2im(const seqnn_conv1d_args *a, int64_t b, int64_t out_len, const float *dcol)
{
    float *dx = SP(a->dx) + b * a->x_sb;
    const int64_t K = a->kernel_size;
    for (int64_t c = 0; c < a->in_channels; c++)
        for (int64_t k = 0; k < K; k++) {
            const float *src = dcol + (c * K + k) * out_len;
            float *dst = dx + c * a->x_sc;
            int64_t off = k * a->dilation - a->padding;
            if (a->stride == 1 && a->x_sl == 1) {
                /* contiguous taps: one vector add over the part inside the input
                 * (each dx element still receives its taps in k order) */
                int64_t lo = simd_min64(out_len, off < 0 ? -off : 0);
                int64_t hi = simd_min64(out_len, a->in_len - off);
                for (int64_t l = lo; l < hi; l += VW) {
                    int64_t n = simd_min64(VW, hi - l);
                    vst(dst + l + off, vf_add(vld(dst + l + off, n), vld(src + l, n)), n);
                }
                continue;
            }
            for (int64_t l = 0; l < out_len; l++) {
                int64_t p = l * a->stride + off;
                if (p >= 0 && p < a->in_len)
                    dst[p * a->x_sl] += src[l];
            }
        }
}

typedef struct conv_job {
    const seqnn_conv1d_args *a;
    const seqnn_conv1d_max_args *m;      /* the fused kernel's arguments, or NULL (conv1d_forward) */
    int64_t out_len, ck;
    const float *wpack;                  /* weight packed: the GEMM's A operand [C_out, C_in*K], or
                                            the micro-tile's filter blocks (conv_s1_run) */
    float *work;                         /* per thread: col, packed col, output tile, activation row,
                                            maxima (GEMM path); or rows, activation row, maxima, view
                                            of x (stride 1) */
    size_t work_stride;
    size_t col_count, bpack_count, tile_count;
    int inplace;                         /* stride 1: x's rows read in place */
    int64_t ldr, ldv;                    /* stride 1: positions per chunk (row buffer), row stride of the view */
    int64_t best_count;                  /* floats of the per-thread running maxima [C_out] */
} conv_job;

/* The conv of batch item b without its bias: [C_out, L_out] at out (row
 * stride ldo), through im2col, the packing of col and the GEMM tiles. */
static void conv_item(const conv_job *j, int64_t b, float *col, float *out, int64_t ldo)
{
    float *bpack = col + j->col_count;
    conv_im2col(j->a, b, j->out_len, col);
    simd_gemm_pack_b(0, j->ck, j->out_len, col, j->out_len, bpack);
    simd_gemm_tile(j->a->out_channels, j->ck, 1.0f, j->wpack, bpack, j->out_len, 0, j->out_len, 0.0f, out, ldo);
}

static void conv_forward_task(void *ctx, int64_t b, int tid)
{
    const conv_job *j = ctx;
    const seqnn_conv1d_args *a = j->a;
    const int64_t L = j->out_len, O = a->out_channels;
    float *col = j->work + (size_t)tid * j->work_stride;
    float *tile = col + j->col_count + j->bpack_count;
    float *y = SP(a->y) + b * a->y_sb;                       /* y [B, C_out, L_out], strides y_s* */
    const float *bias = SHAS(a->bias) ? SP(a->bias) : NULL;
    const int direct = a->y_sl == 1;
    float *out = direct ? y : tile;
    int64_t ldo = direct ? a->y_sc : L;
    conv_item(j, b, col, out, ldo);
    for (int64_t o = 0; o < O; o++) {
        float bo = bias ? bias[o] : 0.0f;
        float *src = out + o * ldo;
        if (direct) {
            if (bias)
                for (int64_t l = 0; l < L; l += VW) {
                    int64_t n = simd_min64(VW, L - l);
                    vst(src + l, vf_add(vld(src + l, n), vf_set1(bo)), n);
                }
        } else {
            for (int64_t l = 0; l < L; l++)
                y[o * a->y_sc + l * a->y_sl] = src[l] + bo;
        }
    }
}

/* The first maximum of one filter's row over the positions seen so far. */
typedef struct conv_best {
    float z, pre;                        /* the maximum of z = f(conv), and conv there */
    int32_t arg;                         /* its first position */
} conv_best;

/* Bias, activation and the first maximum of the conv output rows of filters
 * [o0, o0 + n) at positions [l0, l0 + len) (filter o's row at tile + (o -
 * o0) * ldt, position l0 at its start), merged into best[o] (set when l0 is
 * 0; a later maximum wins only when greater, or a NaN over a number): per
 * row the bias is added in place (pre; unless add_bias is 0: the rows have
 * it), the activation applied into zrow [len] (z) and the first position of
 * z's maximum found, while the row is in cache. */
static void conv_max_rows(const conv_job *j, int64_t o0, int64_t n, int add_bias, float *tile, int64_t ldt,
                          float *zrow, int64_t l0, int64_t len, conv_best *best)
{
    const seqnn_conv1d_max_args *m = j->m;
    const float *bias = add_bias && SHAS(m->conv.bias) ? SP(m->conv.bias) : NULL;
    const vf alpha = vf_set1((float)m->alpha);
    for (int64_t o = o0; o < o0 + n; o++) {
        float *row = tile + (o - o0) * ldt;
        const float *z = row;
        const vf bo = vf_set1(bias ? bias[o] : 0.0f);
        for (int64_t l = 0; (bias || m->act != SEQNN_CONV_MAX_NO_ACT) && l < len; l += VW) {
            int64_t w = simd_min64(VW, len - l);
            vf v = vld(row + l, w);
            if (bias) {
                v = vf_add(v, bo);
                vst(row + l, v, w);
            }
            if (m->act != SEQNN_CONV_MAX_NO_ACT)
                vst(zrow + l, simd_act_apply((seqnn_act)m->act, alpha, v), w);
        }
        if (m->act != SEQNN_CONV_MAX_NO_ACT)
            z = zrow;
        int64_t arg = maxpool_argmax(z, len, 1);
        conv_best *s = best + o;
        if (l0 == 0 || (s->z == s->z && (z[arg] > s->z || z[arg] != z[arg])))
            *s = (conv_best){ z[arg], row[arg], (int32_t)(l0 + arg) };
    }
}

/* y, pre and argmax of item b from its maxima */
static void conv_max_write(const conv_job *j, int64_t b, const conv_best *best)
{
    const seqnn_conv1d_max_args *m = j->m;
    float *y = SP(m->y) + b * m->y_sb;                       /* y [B, C_out], strides y_sb, y_sc */
    float *pre = SHAS(m->pre) ? SP(m->pre) + b * m->y_sb : NULL;
    int32_t *argmax = SIP(m->argmax) + b * m->conv.out_channels;   /* int32 [B*C_out] */
    for (int64_t o = 0; o < m->conv.out_channels; o++) {
        y[o * m->y_sc] = best[o].z;
        if (pre)
            pre[o * m->y_sc] = best[o].pre;
        argmax[o] = best[o].arg;
    }
}

/* Fused, any stride: the conv tile of item b [C_out, L_out] stays in the
 * thread's workspace; nothing of it leaves the workspace. */
static void conv_max_task(void *ctx, int64_t b, int tid)
{
    const conv_job *j = ctx;
    const int64_t L = j->out_len;
    float *col = j->work + (size_t)tid * j->work_stride;
    float *tile = col + j->col_count + j->bpack_count;       /* [C_out, L_out] */
    conv_best *best = (conv_best *)(tile + j->tile_count + L);
    conv_item(j, b, col, tile, L);
    conv_max_rows(j, 0, j->a->out_channels, 1, tile, L, tile + j->tile_count, 0,
                  j->m->lengths ? j->m->lengths[b] : L, best);
    conv_max_write(j, b, best);
}

/* The workspaces of a conv forward (the weight packed once, per thread: col,
 * packed col, tile, a row), then task over the batch items. */
static seqnn_status conv_forward_run(const seqnn_call *call, conv_job *j, const char *name,
                                     void (*task)(void *, int64_t, int))
{
    simd_device *dev = simd_dev(call);
    const seqnn_conv1d_args *a = j->a;
    j->out_len = seqnn_conv1d_out_len(a);
    j->ck = a->in_channels * a->kernel_size;
    if (a->batch <= 0 || a->out_channels <= 0 || j->out_len <= 0)
        return SEQNN_OK;
    j->col_count = (size_t)(j->ck * j->out_len);
    j->bpack_count = simd_gemm_packed_b_count(j->ck, j->out_len);
    j->tile_count = (size_t)(a->out_channels * j->out_len);
    j->best_count = (a->out_channels * (int64_t)sizeof(conv_best) + (int64_t)sizeof(float) - 1) / (int64_t)sizeof(float);
    j->work_stride = j->col_count + j->bpack_count + j->tile_count + (size_t)(j->out_len + j->best_count);
    float *wpack = simd_scratch(dev, SIMD_SCRATCH_K3, simd_gemm_packed_a_count(a->out_channels, j->ck));
    j->work = simd_scratch(dev, SIMD_SCRATCH_K0, j->work_stride * (size_t)simd_threads_count());
    if (!wpack || !j->work)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "%s: out of memory for workspaces", name);
    simd_gemm_pack_a(0, a->out_channels, j->ck, SP(a->weight), j->ck, wpack);
    j->wpack = wpack;
    simd_parallel_for(a->batch, task, j);
    return SEQNN_OK;
}

/* ------------------------------- fused conv + max over time, stride 1 --- */

/* The stride-1 fused kernel's micro-tile (SIMD_CONV_* in common.h): the rows
 * of x are already the taps' operand, read in place (no im2col, no packing). */
#define CONV_MR SIMD_CONV_MR
#define CONV_NV SIMD_CONV_NV
#define CONV_NP SIMD_CONV_NP

/* Whether x's rows serve in place: positions contiguous, no padding, and an
 * item's rows within 256 KiB (rows far apart share cache sets: with
 * [4, 1024, 2048] inputs in place the bank ran at half the speed). If not,
 * each chunk of positions is first copied into a zero-padded [C_in, ldv]
 * view. */
static int conv_max_inplace(const seqnn_conv1d_args *a)
{
    return a->x_sl == 1 && a->padding == 0 && a->in_channels * a->x_sc <= 65536;
}

/* rows[r*ldr + p] = sum over c, then k, of wp[(c*K + k)*CONV_MR + r] *
 * xv[c*ldv + k*dil + p] (+ bias[r] for r < nb when bias) for p in [0,
 * CONV_NP): the conv outputs of CONV_MR filters at CONV_NP positions. With
 * `tail` (a constant) only the first `count` positions are read (masked
 * loads; the rest computes zeros). */
static inline __attribute__((always_inline)) void
conv_max_micro(const int tail, int64_t C, int64_t K, int64_t dil, const float *restrict wp, const float *xv,
               int64_t ldv, int64_t count, const float *bias, int64_t nb, float *rows, int64_t ldr)
{
    vf acc[CONV_MR][CONV_NV];
    int64_t n[CONV_NV];
#pragma GCC unroll 8
    for (int v = 0; v < CONV_NV; v++)
        n[v] = simd_min64(VW, count > v * VW ? count - v * VW : 0);
#pragma GCC unroll 32
    for (int r = 0; r < CONV_MR; r++)
#pragma GCC unroll 8
        for (int v = 0; v < CONV_NV; v++)
            acc[r][v] = vf_zero();
    for (int64_t c = 0; c < C; c++) {
        const float *xr = xv + c * ldv;
#pragma GCC unroll 8
        for (int64_t k = 0; k < K; k++, wp += CONV_MR) {
            const float *xp = xr + k * dil;
            vf xk[CONV_NV];
#pragma GCC unroll 8
            for (int v = 0; v < CONV_NV; v++)
                xk[v] = tail ? vf_load_n(xp + v * VW, n[v]) : vf_load(xp + v * VW);
#pragma GCC unroll 32
            for (int r = 0; r < CONV_MR; r++) {
                vf w = vf_bcast(wp + r);
#pragma GCC unroll 8
                for (int v = 0; v < CONV_NV; v++)
                    acc[r][v] = vf_fmadd(w, xk[v], acc[r][v]);
            }
        }
    }
#pragma GCC unroll 32
    for (int r = 0; r < CONV_MR; r++) {
        const vf bo = vf_set1(bias && r < nb ? bias[r] : 0.0f);
#pragma GCC unroll 8
        for (int v = 0; v < CONV_NV; v++)
            vf_store(rows + r * ldr + v * VW, bias ? vf_add(acc[r][v], bo) : acc[r][v]);
    }
}

/* view[c*ldv + p - lo] = x[b, c, p] for p in [p0, p1) and every c: rows
 * contiguous by copies, channels contiguous (x_sc 1, the [T, B, E] and
 * [B, T, E] layouts) by VW x VW transposes, the edges and other layouts
 * element by element. */
static void conv_max_view_copy(const seqnn_conv1d_args *a, const float *xb, int64_t lo, int64_t p0, int64_t p1,
                               int64_t ldv, float *view)
{
    const int64_t C = a->in_channels;
    int64_t pt = p0, c0 = 0;                 /* [p0, pt) x [0, c0) done by blocks */
    if (a->x_sl == 1) {
        for (int64_t c = 0; c < C; c++)
            memcpy(view + c * ldv + p0 - lo, xb + c * a->x_sc + p0, (size_t)(p1 - p0) * sizeof(float));
        return;
    }
    if (a->x_sc == 1) {
        for (; pt + VW <= p1; pt += VW)
            for (int64_t c = 0; c + VW <= C; c += VW)
                vf_transpose_block(xb + pt * a->x_sl + c, a->x_sl, view + c * ldv + pt - lo, ldv);
        c0 = C / VW * VW;
    }
    for (int64_t c = 0; c < C; c++)
        for (int64_t p = c < c0 ? pt : p0; p < p1; p++)
            view[c * ldv + p - lo] = xb[c * a->x_sc + p * a->x_sl];
}

/* The rows of item b that the micro-tiles of the chunk at output position
 * p0 read, position p0 first: x in place, or copied into view [C_in, ldv]
 * (input positions p0 - padding on, zeros outside the input). */
static const float *conv_max_view(const conv_job *j, int64_t b, int64_t p0, float *view)
{
    const seqnn_conv1d_args *a = j->a;
    const float *xb = SP(a->x) + b * a->x_sb;
    const int64_t lo = p0 - a->padding, hi = lo + j->ldv;     /* input positions [lo, hi) */
    const int64_t in0 = lo > 0 ? lo : 0, in1 = hi < a->in_len ? hi : a->in_len;
    if (j->inplace)
        return xb + p0;
    for (int64_t c = 0; c < a->in_channels; c++) {
        float *row = view + c * j->ldv;
        if (in1 <= in0) {
            memset(row, 0, (size_t)j->ldv * sizeof(float));
            continue;
        }
        memset(row, 0, (size_t)(in0 - lo) * sizeof(float));
        memset(row + (in1 - lo), 0, (size_t)(hi - in1) * sizeof(float));
    }
    if (in0 < in1)
        conv_max_view_copy(a, xb, lo, in0, in1, j->ldv, view);
    return view;
}

/* Whether full vectors may be read for the micro-tile at l0 of item b:
 * always from the view (ldv covers them); in place when every position it
 * reads, past the row's end too, is inside x's buffer (the extra lanes'
 * results are never used). Masked loads cost the AVX-512 kernel 11%. */
static int conv_max_overread_ok(const conv_job *j, int64_t b, int64_t l0)
{
    const seqnn_conv1d_args *a = j->a;
    const int64_t last = a->x.off + b * a->x_sb + (a->in_channels - 1) * a->x_sc + l0 + CONV_NP - 1 +
                         (a->kernel_size - 1) * a->dilation;
    return !j->inplace || last < a->x.buf->count;
}

/* The micro-tile of filters [o0, o0 + CONV_MR) at positions [l0, l0 +
 * count) of item b (xv: their rows, row stride ldv) into r (row stride
 * ldr), through the instance of conv_max_micro for the common widths (taps
 * unrolled) or the general one. */
static void conv_s1_tile(const conv_job *j, int64_t b, const float *xv, int64_t ldv, int64_t o0, int64_t l0,
                         int64_t count, float *r)
{
    const seqnn_conv1d_args *a = j->a;
    const int64_t C = a->in_channels, K = a->kernel_size, dil = a->dilation, ldr = j->ldr;
    const int64_t nb = simd_min64(CONV_MR, a->out_channels - o0);
    const float *wp = j->wpack + o0 * C * K, *bias = SHAS(a->bias) ? SP(a->bias) + o0 : NULL;
    const int tail = count < CONV_NP && !conv_max_overread_ok(j, b, l0);
    switch (K * 2 + tail) {
    case 6:  conv_max_micro(0, C, 3, dil, wp, xv, ldv, count, bias, nb, r, ldr); break;
    case 7:  conv_max_micro(1, C, 3, dil, wp, xv, ldv, count, bias, nb, r, ldr); break;
    case 8:  conv_max_micro(0, C, 4, dil, wp, xv, ldv, count, bias, nb, r, ldr); break;
    case 9:  conv_max_micro(1, C, 4, dil, wp, xv, ldv, count, bias, nb, r, ldr); break;
    case 10: conv_max_micro(0, C, 5, dil, wp, xv, ldv, count, bias, nb, r, ldr); break;
    case 11: conv_max_micro(1, C, 5, dil, wp, xv, ldv, count, bias, nb, r, ldr); break;
    default:
        if (tail)
            conv_max_micro(1, C, K, dil, wp, xv, ldv, count, bias, nb, r, ldr);
        else
            conv_max_micro(0, C, K, dil, wp, xv, ldv, count, bias, nb, r, ldr);
    }
}

/* y[b, o, p0 + l] = rows[(o - o0)*ldr + l] for filters [o0, o0 + n), l < pn */
static void conv_s1_store(const conv_job *j, int64_t b, int64_t o0, int64_t n, int64_t p0, int64_t pn,
                          const float *rows)
{
    const seqnn_conv1d_args *a = j->a;
    float *y = SP(a->y) + b * a->y_sb + p0 * a->y_sl;         /* y [B, C_out, L_out], strides y_s* */
    for (int64_t r = 0; r < n; r++) {
        float *dst = y + (o0 + r) * a->y_sc;
        const float *src = rows + r * j->ldr;
        if (a->y_sl == 1)
            for (int64_t l = 0; l < pn; l += VW)
                vst(dst + l, vld(src + l, simd_min64(VW, pn - l)), simd_min64(VW, pn - l));
        else
            for (int64_t l = 0; l < pn; l++)
                dst[l * a->y_sl] = src[l];
    }
}

/* Item b, stride 1, by chunks of ldr positions (x's rows of a chunk stay in
 * L2 while every block of CONV_MR filters sweeps them): the micro-tiles of
 * a filter block over the chunk into the thread's rows [CONV_MR, ldr], then
 * stored into y (conv1d_forward) or merged into the running maxima
 * (conv1d_max_forward: activation, first maximum; the first lengths[b]
 * positions only). */
static void conv_s1_task(void *ctx, int64_t b, int tid)
{
    const conv_job *j = ctx;
    const seqnn_conv1d_args *a = j->a;
    const int64_t O = a->out_channels;
    const int64_t len = j->m && j->m->lengths ? j->m->lengths[b] : j->out_len;
    float *rows = j->work + (size_t)tid * j->work_stride;    /* [CONV_MR, ldr] */
    float *zrow = rows + CONV_MR * j->ldr;                    /* [ldr] */
    conv_best *best = (conv_best *)(zrow + j->ldr);           /* [C_out] */
    float *view = zrow + j->ldr + j->best_count;             /* [C_in, ldv] */
    const int64_t ldv = j->inplace ? a->x_sc : j->ldv;
    for (int64_t p0 = 0; p0 < len; p0 += j->ldr) {
        const int64_t pn = simd_min64(j->ldr, len - p0);
        const float *xc = conv_max_view(j, b, p0, view);
        for (int64_t o0 = 0; o0 < O; o0 += CONV_MR) {
            for (int64_t l0 = p0; l0 < p0 + pn; l0 += CONV_NP)
                conv_s1_tile(j, b, xc + (l0 - p0), ldv, o0, l0, simd_min64(CONV_NP, p0 + pn - l0), rows + (l0 - p0));
            if (j->m)
                conv_max_rows(j, o0, simd_min64(CONV_MR, O - o0), 0, rows, j->ldr, zrow, p0, pn, best);
            else
                conv_s1_store(j, b, o0, simd_min64(CONV_MR, O - o0), p0, pn, rows);
        }
    }
    if (j->m)
        conv_max_write(j, b, best);
}

typedef struct conv_pack_job {
    const seqnn_conv1d_args *a;
    float *wp;                           /* the packed weight */
} conv_pack_job;

/* Filter block t of the weight [C_out, C_in, K] packed for the micro-tile:
 * wp[(t*C_in*K + c*K + k)*CONV_MR + r] = weight[t*CONV_MR + r, c, k] (0 past C_out) */
static void conv_s1_pack_task(void *ctx, int64_t t, int tid)
{
    const conv_pack_job *p = ctx;
    const int64_t O = p->a->out_channels, CK = p->a->in_channels * p->a->kernel_size;
    const float *w = SP(p->a->weight) + t * CONV_MR * CK;
    float *wp = p->wp + t * CONV_MR * CK;
    (void)tid;
    for (int64_t ck = 0; ck < CK; ck++)
        for (int64_t r = 0; r < CONV_MR; r++)
            *wp++ = t * CONV_MR + r < O ? w[r * CK + ck] : 0.0f;
}

/* Stride 1: the weight packed once as wp[((o0/CONV_MR)*C_in + c)*K + k)*CONV_MR
 * + r] = weight[o0 + r, c, k] (0 past C_out); per thread the rows, a row for
 * the activation, the running maxima and, unless x serves in place, the
 * view; tasks over items. A chunk's rows of x take about 256 KiB. */
static seqnn_status conv_s1_run(const seqnn_call *call, conv_job *j, const char *name)
{
    simd_device *dev = simd_dev(call);
    const seqnn_conv1d_args *a = j->a;
    const int64_t C = a->in_channels, K = a->kernel_size, O = a->out_channels, span = (K - 1) * a->dilation;
    const int64_t ob = (O + CONV_MR - 1) / CONV_MR;
    const int64_t fit = ((int64_t)65536 / C - span) / CONV_NP * CONV_NP;
    j->inplace = conv_max_inplace(a);
    j->ldr = simd_min64((j->out_len + CONV_NP - 1) / CONV_NP * CONV_NP, fit > CONV_NP ? fit : CONV_NP);
    j->ldv = (j->ldr + span + 15) / 16 * 16;                  /* rows 64-byte aligned */
    j->best_count = (O * (int64_t)sizeof(conv_best) / (int64_t)sizeof(float) + 15) / 16 * 16;
    j->work_stride = (size_t)((CONV_MR + 1) * j->ldr + j->best_count + (j->inplace ? 0 : C * j->ldv));
    float *wp = simd_scratch(dev, SIMD_SCRATCH_K3, (size_t)(ob * CONV_MR * C * K));
    j->work = simd_scratch(dev, SIMD_SCRATCH_K0, j->work_stride * (size_t)simd_threads_count());
    if (!wp || !j->work)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "%s: out of memory for workspaces", name);
    conv_pack_job pj = { a, wp };
    simd_parallel_for(ob, conv_s1_pack_task, &pj);
    j->wpack = wp;
    simd_parallel_for(a->batch, conv_s1_task, j);
    return SEQNN_OK;
}

/* Stride 1 with work to do: the micro-tile path (conv_s1_run) */
static int conv_s1(const conv_job *j)
{
    return j->a->stride == 1 && j->a->batch > 0 && j->a->out_channels > 0 && j->a->in_channels > 0 && j->out_len > 0;
}

seqnn_status simd_conv1d_forward(const seqnn_call *call, const seqnn_conv1d_args *a)
{
    conv_job j = { .a = a, .out_len = seqnn_conv1d_out_len(a) };
    if (conv_s1(&j))
        return conv_s1_run(call, &j, "conv1d_forward");
    return conv_forward_run(call, &j, "conv1d_forward", conv_forward_task);
}

seqnn_status simd_conv1d_max_forward(const seqnn_call *call, const seqnn_conv1d_max_args *m)
{
    conv_job j = { .a = &m->conv, .m = m, .out_len = seqnn_conv1d_out_len(&m->conv) };
    if (conv_s1(&j))
        return conv_s1_run(call, &j, "conv1d_max_forward");
    return conv_forward_run(call, &j, "conv1d_max_forward", conv_max_task);
}

typedef struct conv_db_job {
    const seqnn_conv1d_args *a;
    int64_t out_len;
} conv_db_job;

/* dbias[o] (+)= sum over b, then l, of dy[b, o, l] */
static void conv_dbias_task(void *ctx, int64_t o, int tid)
{
    const conv_db_job *j = ctx;
    const seqnn_conv1d_args *a = j->a;
    const float *dy = SP(a->dy);
    float s = 0.0f;
    (void)tid;
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t l = 0; l < j->out_len; l++)
            s += dy[b * a->y_sb + o * a->y_sc + l * a->y_sl];
    float *db = SP(a->dbias);
    db[o] = SACC(a) ? db[o] + s : s;
}

seqnn_status simd_conv1d_backward(const seqnn_call *call, const seqnn_conv1d_args *a)
{
    simd_device *dev = simd_dev(call);
    const int64_t L = seqnn_conv1d_out_len(a), O = a->out_channels, C = a->in_channels;
    const int64_t CK = C * a->kernel_size;
    const int acc = SACC(a);
    float *dx = SHAS(a->dx) ? SP(a->dx) : NULL;
    float *dw = SHAS(a->dweight) ? SP(a->dweight) : NULL;

    /* OVERWRITE: clear what is accumulated below (old contents never read) */
    if (!acc && dx)
        for (int64_t b = 0; b < a->batch; b++)
            for (int64_t c = 0; c < C; c++)
                for (int64_t l = 0; l < a->in_len; l++)
                    dx[b * a->x_sb + c * a->x_sc + l * a->x_sl] = 0.0f;
    if (SHAS(a->dbias)) {
        conv_db_job j = { a, L > 0 ? L : 0 };
        simd_parallel_for(O, conv_dbias_task, &j);
    }
    if (!dx && !dw)
        return SEQNN_OK;
    if (L <= 0 || a->batch <= 0) {
        if (dw && !acc)
            memset(dw, 0, (size_t)(O * CK) * sizeof(float));
        return SEQNN_OK;
    }
    /* col [CK, L], dy_b gathered [O, L] when y is not l-contiguous, dcol [CK, L] */
    float *work = simd_scratch(dev, SIMD_SCRATCH_K0, (size_t)(2 * CK * L + O * L));
    if (!work)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "conv1d_backward: out of memory for workspaces");
    float *col = work, *dcol = col + CK * L, *dyg = dcol + CK * L;
    int rc = 0;
    for (int64_t b = 0; b < a->batch; b++) {
        const float *dyb = SP(a->dy) + b * a->y_sb;           /* dy [C_out, L_out] of item b */
        int64_t lddy = a->y_sc;
        if (a->y_sl != 1) {
            for (int64_t o = 0; o < O; o++)
                for (int64_t l = 0; l < L; l++)
                    dyg[o * L + l] = dyb[o * a->y_sc + l * a->y_sl];
            dyb = dyg;
            lddy = L;
        }
        if (dw) {
            /* dW [O, CK] (+)= dy_b [O, L] col_b^T */
            conv_im2col(a, b, L, col);
            rc |= simd_sgemm(dev, 0, 1, O, CK, L, 1.0f, dyb, lddy, col, L, (b == 0 && !acc) ? 0.0f : 1.0f, dw, CK);
        }
        if (dx) {
            /* dcol [CK, L] = W^T dy_b, then col2im */
            rc |= simd_sgemm(dev, 1, 0, CK, L, O, 1.0f, SP(a->weight), CK, dyb, lddy, 0.0f, dcol, L);
            conv_col2im(a, b, L, dcol);
        }
    }
    if (rc)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "conv1d_backward: out of memory in a GEMM");
    return SEQNN_OK;
}

/* ---------------------------------------------------- max-over-time pool --- */

typedef struct maxpool_job {
    const seqnn_maxpool_args *a;
    const int32_t *lengths;              /* host [B]: positions of row b, or NULL (all a->len) */
} maxpool_job;

/* the first l < len with row[l] == m (m is in the row): the first vector
 * holding it, then the least lane index among its matches */
static int64_t maxpool_first_equal(const float *row, int64_t len, float m)
{
    static const float iota[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
    const vf target = vf_set1(m);
    _Static_assert(VW <= 16, "iota covers a vector");
    for (int64_t l = 0; l < len; l += VW) {
        int64_t n = simd_min64(VW, len - l);
        vm eq = vm_and(vf_eq(vld(row + l, n), target), vm_first(n));
        if (vm_any(eq))    /* least lane: -max(-index) over the matching lanes */
            return l + (int64_t)-vf_hmax(vf_select(eq, vf_neg(vf_load(iota)), vf_set1(-(float)VW)));
    }
    return 0;                                      /* not reached */
}

/* first index of the maximum of row [len] (stride sl); a NaN is the maximum
 * and the first NaN wins (the reference's rule, PyTorch's propagation) */
static int64_t maxpool_argmax(const float *row, int64_t len, int64_t sl)
{
    if (sl == 1) {
        const vf ninf = vf_set1(-__builtin_inff());
        vf vmax = ninf;
        vm nan = vf_lt(ninf, ninf);                /* all false */
        for (int64_t l = 0; l < len; l += VW) {
            int64_t n = simd_min64(VW, len - l);
            vf v = vld(row + l, n);
            if (n < VW)
                v = vf_select(vm_first(n), v, ninf);
            nan = vm_or(nan, vm_andnot(vf_eq(v, v), vm_first(n)));
            vmax = vf_max(vmax, v);
        }
        if (!vm_any(nan))
            return maxpool_first_equal(row, len, vf_hmax(vmax));
        for (int64_t l = 0; l < len; l++)
            if (row[l] != row[l])
                return l;
        return 0;                                  /* not reached */
    }
    float best = row[0];
    int64_t arg = 0;
    for (int64_t l = 1; l < len && best == best; l++) {
        float v = row[l * sl];
        if (v > best || v != v) {
            best = v;
            arg = l;
        }
    }
    return arg;
}

static void maxpool_forward_task(void *ctx, int64_t b, int tid)
{
    const maxpool_job *j = ctx;
    const seqnn_maxpool_args *a = j->a;
    const float *x = SP(a->x) + b * a->x_sb;       /* x [B, C, len], strides x_s* */
    float *y = SP(a->y) + b * a->y_sb;             /* y [B, C], strides y_sb, y_sc */
    int32_t *argmax = SIP(a->argmax) + b * a->channels;
    const int64_t len = j->lengths ? j->lengths[b] : a->len;
    (void)tid;
    for (int64_t c = 0; c < a->channels; c++) {
        const float *row = x + c * a->x_sc;
        int64_t arg = maxpool_argmax(row, len, a->x_sl);
        y[c * a->y_sc] = row[arg * a->x_sl];
        argmax[c] = (int32_t)arg;
    }
}

/* y[b, c] = max_l x[b, c, l], argmax = its first position */
seqnn_status simd_maxpool_forward(const seqnn_call *call, const seqnn_maxpool_args *a)
{
    maxpool_job j = { a, NULL };
    (void)call;
    simd_parallel_for(a->batch, maxpool_forward_task, &j);
    return SEQNN_OK;
}

/* the same over the first lengths[b] positions of row b */
seqnn_status simd_maxpool_lengths_forward(const seqnn_call *call, const seqnn_maxpool_lengths_args *a)
{
    maxpool_job j = { &a->pool, a->lengths };
    (void)call;
    simd_parallel_for(a->pool.batch, maxpool_forward_task, &j);
    return SEQNN_OK;
}

typedef struct maxpool_bwd_job {
    const seqnn_maxpool_args *a;
} maxpool_bwd_job;

/* batch item b: with OVERWRITE its [C, len] box is cleared first, then
 * dx[b, c, argmax] += dy[b, c] */
static void maxpool_backward_task(void *ctx, int64_t b, int tid)
{
    const maxpool_bwd_job *j = ctx;
    const seqnn_maxpool_args *a = j->a;
    const int32_t *argmax = SIP(a->argmax) + b * a->channels;   /* int32 [B*C] */
    const float *dy = SP(a->dy) + b * a->y_sb;                 /* dy [B, C], y's strides */
    float *dx = SP(a->dx) + b * a->x_sb;                       /* dx [B, C, len], x's strides */
    (void)tid;
    if (!SACC(a))
        for (int64_t c = 0; c < a->channels; c++) {
            float *row = dx + c * a->x_sc;
            if (a->x_sl == 1)
                for (int64_t l = 0; l < a->len; l += VW)
                    vst(row + l, vf_zero(), simd_min64(VW, a->len - l));
            else
                for (int64_t l = 0; l < a->len; l++)
                    row[l * a->x_sl] = 0.0f;
        }
    for (int64_t c = 0; c < a->channels; c++)
        dx[c * a->x_sc + argmax[c] * a->x_sl] += dy[c * a->y_sc];
}

/* dx[b, c, argmax[b*C + c]] (+)= dy[b, c]; every argmax is checked first */
seqnn_status simd_maxpool_backward(const seqnn_call *call, const seqnn_maxpool_args *a)
{
    const int32_t *argmax = SIP(a->argmax);
    for (int64_t i = 0; i < a->batch * a->channels; i++)
        if (argmax[i] < 0 || argmax[i] >= a->len)
            return seqnn_plugin_fail(call, SEQNN_ERR_INVALID_ARG,
                                     "maxpool_backward: argmax[%lld] = %ld is outside [0, %lld)", (long long)i,
                                     (long)argmax[i], (long long)a->len);
    maxpool_bwd_job j = { a };
    simd_parallel_for(a->batch, maxpool_backward_task, &j);
    return SEQNN_OK;
}

/* --------------------------------- backward from the maxima (sparse) --- */

/* The gradient of the conv output is dy[b, o] at window argmax[b*O + o] and
 * 0 elsewhere, so each batch item touches only its argmax windows. Per item,
 * the filters are grouped by window (a counting sort); a window's C_in*K
 * input taps are gathered once (win) for dW[o, :] += dy * win of each of its
 * filters, and the filters' dy * W[o, :] are summed (dwin) before being added
 * back into dx once (col2im of one window). dW and dbias: tasks over ranges
 * of filters, each going through the items in order; dx: tasks over items.
 * Sums run in a fixed order, whatever the thread count. */
typedef struct conv_max_bwd_job {
    const seqnn_conv1d_max_args *m;
    int64_t out_len, ck, ntasks;
    float *work;                         /* per thread: win / dwin [ck], order [O], start [out_len + 1] */
    size_t work_stride;
} conv_max_bwd_job;

/* the first input position of window l, and the taps [*k0, *k1) inside the input */
static int64_t conv_max_taps(const seqnn_conv1d_args *a, int64_t l, int64_t *k0, int64_t *k1)
{
    const int64_t p0 = l * a->stride - a->padding;
    *k0 = 0;
    *k1 = a->kernel_size;
    while (*k0 < *k1 && p0 + *k0 * a->dilation < 0)
        (*k0)++;
    while (*k1 > *k0 && p0 + (*k1 - 1) * a->dilation >= a->in_len)
        (*k1)--;
    return p0;
}

/* win[c*K + k] = x[b, c, p0 + k*dilation] (0 outside the input) */
static void conv_max_gather(const seqnn_conv1d_args *a, int64_t b, int64_t l, float *win)
{
    const float *x = SP(a->x) + b * a->x_sb;
    const int64_t K = a->kernel_size;
    int64_t k0, k1;
    const int64_t p0 = conv_max_taps(a, l, &k0, &k1);
    for (int64_t c = 0; c < a->in_channels; c++) {
        float *dst = win + c * K;
        const float *src = x + c * a->x_sc + p0 * a->x_sl;
        for (int64_t k = 0; k < K; k++)
            dst[k] = k >= k0 && k < k1 ? src[k * a->dilation * a->x_sl] : 0.0f;
    }
}

/* dx[b, c, p0 + k*dilation] += dwin[c*K + k] for the taps inside the input */
static void conv_max_scatter(const seqnn_conv1d_args *a, int64_t b, int64_t l, const float *dwin)
{
    float *dx = SP(a->dx) + b * a->x_sb;
    const int64_t K = a->kernel_size;
    int64_t k0, k1;
    const int64_t p0 = conv_max_taps(a, l, &k0, &k1);
    const int contiguous = a->x_sl == 1 && a->dilation == 1;
    for (int64_t c = 0; c < a->in_channels; c++) {
        float *dst = dx + c * a->x_sc + p0 * a->x_sl;
        const float *src = dwin + c * K;
        if (contiguous) {
            for (int64_t k = k0; k < k1; k += VW) {
                int64_t n = simd_min64(VW, k1 - k);
                vst(dst + k, vf_add(vld(dst + k, n), vld(src + k, n)), n);
            }
            continue;
        }
        for (int64_t k = k0; k < k1; k++)
            dst[k * a->dilation * a->x_sl] += src[k];
    }
}

/* y[0 .. n) += g * x[0 .. n) */
static void conv_max_axpy(float *y, float g, const float *x, int64_t n)
{
    const vf vg = vf_set1(g);
    for (int64_t i = 0; i < n; i += VW) {
        int64_t w = simd_min64(VW, n - i);
        vst(y + i, vf_fmadd(vg, vld(x + i, w), vld(y + i, w)), w);
    }
}

/* order[start[l] .. start[l + 1]) = the filters of [o0, o1) whose maximum of
 * item b is window l, in filter order */
static void conv_max_group(const conv_max_bwd_job *j, int64_t b, int64_t o0, int64_t o1, int32_t *order,
                           int32_t *start)
{
    const int32_t *am = SIP(j->m->argmax) + b * j->m->conv.out_channels;
    for (int64_t l = 0; l <= j->out_len; l++)
        start[l] = 0;
    for (int64_t o = o0; o < o1; o++)
        start[am[o] + 1]++;
    for (int64_t l = 0; l < j->out_len; l++)
        start[l + 1] += start[l];
    for (int64_t o = o0; o < o1; o++)
        order[start[am[o]]++] = (int32_t)o;
    for (int64_t l = j->out_len; l > 0; l--)   /* back to the starts */
        start[l] = start[l - 1];
    start[0] = 0;
}

/* dW rows and dbias of the filters of task t, the items in order */
static void conv_max_dw_task(void *ctx, int64_t t, int tid)
{
    const conv_max_bwd_job *j = ctx;
    const seqnn_conv1d_max_args *m = j->m;
    const seqnn_conv1d_args *a = &m->conv;
    const int64_t O = a->out_channels, o0 = t * O / j->ntasks, o1 = (t + 1) * O / j->ntasks;
    float *win = j->work + (size_t)tid * j->work_stride;
    int32_t *order = (int32_t *)(win + 2 * j->ck), *start = order + O;
    float *dw = SHAS(a->dweight) ? SP(a->dweight) : NULL, *db = SHAS(a->dbias) ? SP(a->dbias) : NULL;
    const float *dy = SP(m->dy);
    if (dw && !SACC(m))
        memset(dw + o0 * j->ck, 0, (size_t)((o1 - o0) * j->ck) * sizeof(float));
    for (int64_t o = o0; db && o < o1; o++) {
        float s = 0.0f;
        for (int64_t b = 0; b < a->batch; b++)
            s += dy[b * m->y_sb + o * m->y_sc];
        db[o] = SACC(m) ? db[o] + s : s;
    }
    for (int64_t b = 0; dw && b < a->batch; b++) {
        conv_max_group(j, b, o0, o1, order, start);
        for (int64_t l = 0; l < j->out_len; l++) {
            if (start[l] == start[l + 1])
                continue;
            conv_max_gather(a, b, l, win);
            for (int32_t i = start[l]; i < start[l + 1]; i++)
                conv_max_axpy(dw + order[i] * j->ck, dy[b * m->y_sb + order[i] * m->y_sc], win, j->ck);
        }
    }
}

/* dx of item b: per window, the sum of its filters' dy * W[o, :], added back once */
static void conv_max_dx_task(void *ctx, int64_t b, int tid)
{
    const conv_max_bwd_job *j = ctx;
    const seqnn_conv1d_max_args *m = j->m;
    const seqnn_conv1d_args *a = &m->conv;
    float *dwin = j->work + (size_t)tid * j->work_stride + j->ck;
    int32_t *order = (int32_t *)(dwin + j->ck), *start = order + a->out_channels;
    const float *dy = SP(m->dy) + b * m->y_sb, *w = SP(a->weight);
    conv_max_group(j, b, 0, a->out_channels, order, start);
    for (int64_t l = 0; l < j->out_len; l++) {
        if (start[l] == start[l + 1])
            continue;
        memset(dwin, 0, (size_t)j->ck * sizeof(float));
        for (int32_t i = start[l]; i < start[l + 1]; i++)
            conv_max_axpy(dwin, dy[order[i] * m->y_sc], w + order[i] * j->ck, j->ck);
        conv_max_scatter(a, b, l, dwin);
    }
}

seqnn_status simd_conv1d_max_backward(const seqnn_call *call, const seqnn_conv1d_max_args *m)
{
    const seqnn_conv1d_args *a = &m->conv;
    conv_max_bwd_job j = { .m = m, .out_len = seqnn_conv1d_out_len(a), .ck = a->in_channels * a->kernel_size };
    const int32_t *argmax = SIP(m->argmax);
    float *dx = SHAS(a->dx) ? SP(a->dx) : NULL;
    for (int64_t i = 0; i < a->batch * a->out_channels; i++)
        if (argmax[i] < 0 || argmax[i] >= j.out_len)
            return seqnn_plugin_fail(call, SEQNN_ERR_INVALID_ARG,
                                     "conv1d_max_backward: argmax[%lld] = %ld is outside [0, %lld)", (long long)i,
                                     (long)argmax[i], (long long)j.out_len);
    /* win, dwin [ck]; order [O] and start [out_len + 1] as int32 in float slots */
    j.work_stride = (size_t)(2 * j.ck + a->out_channels + j.out_len + 1);
    j.work = simd_scratch(simd_dev(call), SIMD_SCRATCH_K0, j.work_stride * (size_t)simd_threads_count());
    if (!j.work)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "conv1d_max_backward: out of memory for workspaces");
    if (dx && !SACC(m))
        for (int64_t b = 0; b < a->batch; b++)
            for (int64_t c = 0; c < a->in_channels; c++)
                for (int64_t l = 0; l < a->in_len; l++)
                    dx[b * a->x_sb + c * a->x_sc + l * a->x_sl] = 0.0f;
    j.ntasks = simd_min64(a->out_channels, simd_threads_count());
    if (SHAS(a->dweight) || SHAS(a->dbias))
        simd_parallel_for(j.ntasks, conv_max_dw_task, &j);
    if (dx)
        simd_parallel_for(a->batch, conv_max_dx_task, &j);
    return SEQNN_OK;
}

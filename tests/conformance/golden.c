/* Golden PyTorch checks of the conformance suite: each file of tests/golden
 * (embedded at build time by golden.cmake as seqnn_golden_files) holds a
 * case's float32 inputs and PyTorch's float64 results; cf_golden_test runs the
 * plugin under test on those inputs through the public API (buffers and
 * seqnn_<kernel>()) and holds every result to cf_expect's budget.
 *
 * Error budgets: cf_expect allows a normwise error of
 * CF_BUDGET_C * ceil(log2(k + 1)) * 2^-24 against PyTorch's float64 result.
 * k is the length of the longest chain of float32 accumulations behind an
 * output: the reduction lengths of the case summed along its dependency chain
 * (e.g. a recurrent stack: per step and layer a gate reduction I_l + G*H, over
 * T steps and L layers, plus the T*B sum of a weight gradient); optimizer
 * trajectories use the number of steps taken. The inputs are bit-identical
 * float32 values on both sides, so the only difference is float32 rounding;
 * any change of semantics (a gate order, where a reset or an eps goes, a mask
 * alignment) moves results by orders of magnitude more than these budgets.
 *
 * Multi-layer and bidirectional recurrent cases compose one rnn_forward /
 * rnn_backward per layer and direction the way a frontend does: both
 * directions write their halves of one [T, B, 2H] output through ldy (forward
 * half first), the next layer reads it through ldx, and backward runs from the
 * top layer down, the forward direction overwriting dx (SEQNN_FLAG_OVERWRITE)
 * and the reverse direction accumulating into it. An LSTM with a projection
 * (metadata "proj": PyTorch's proj_size) runs lstm_variant_forward /
 * lstm_variant_backward the same way, with weight_hr_l<k> and h of width P.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"
#include "seqnn/safetensors.h"
#include "seqnn_embed.h"

extern const seqnn_embedded_file seqnn_golden_files[];
extern const int seqnn_golden_count;

#define GOLDEN_MAX_FILES 256
#define GOLDEN_MAX_BUFFERS 160

/* The state of one golden test. */
typedef struct golden {
    cf_run *r;
    seqnn_context *ctx;
    seqnn_safetensors *st;
    const char *name;
    seqnn_buffer *bufs[GOLDEN_MAX_BUFFERS];
    int n_bufs;
    void *host[GOLDEN_MAX_BUFFERS];      /* host arrays freed at the end */
    int n_host;
} golden;

/* ------------------------------------------------------------------ names */
static char golden_names[GOLDEN_MAX_FILES][96];

int cf_golden_count(void)
{
    return seqnn_golden_count < GOLDEN_MAX_FILES ? seqnn_golden_count : GOLDEN_MAX_FILES;
}

const char *cf_golden_name(int i)
{
    if (i < 0 || i >= cf_golden_count())
        return "";
    if (!golden_names[i][0]) {
        const char *f = seqnn_golden_files[i].name;
        size_t n = strlen(f);
        const char *ext = ".safetensors";
        if (n > strlen(ext) && !strcmp(f + n - strlen(ext), ext))
            n -= strlen(ext);
        snprintf(golden_names[i], sizeof golden_names[i], "golden/%.*s", (int)n, f);
    }
    return golden_names[i];
}

/* ---------------------------------------------------------------- helpers */
static void *golden_host(golden *g, size_t bytes)
{
    if (g->n_host == GOLDEN_MAX_BUFFERS) {
        cf_fail(g->r, "test bug: too many host arrays");
        return NULL;
    }
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p)
        cf_fail(g->r, "out of host memory");
    else
        g->host[g->n_host++] = p;
    return p;
}

/* A metadata value as a number; a missing or bad key fails the check. */
static double golden_meta(golden *g, const char *key)
{
    const char *v = seqnn_safetensors_metadata(g->st, key);
    char *end = NULL;
    double d = v ? strtod(v, &end) : 0;
    if (!v || end == v || *end) {
        cf_fail(g->r, "golden file: metadata '%s' %s", key, v ? "is not a number" : "missing");
        return 0;
    }
    return d;
}

static int64_t golden_meta_int(golden *g, const char *key)
{
    return (int64_t)golden_meta(g, key);
}

static const char *golden_meta_str(golden *g, const char *key)
{
    const char *v = seqnn_safetensors_metadata(g->st, key);
    if (!v) {
        cf_fail(g->r, "golden file: metadata '%s' missing", key);
        return "";
    }
    return v;
}

/* A device buffer of count elements filled with value (NaN poisons outputs). */
static seqnn_buffer *golden_buffer(golden *g, seqnn_dtype dtype, int64_t count, double value)
{
    seqnn_buffer *b = NULL;
    if (cf_failed(g->r))
        return NULL;
    if (g->n_bufs == GOLDEN_MAX_BUFFERS) {
        cf_fail(g->r, "test bug: too many buffers");
        return NULL;
    }
    if (seqnn_buffer_alloc(g->ctx, dtype, count > 0 ? count : 1, &b) != SEQNN_OK ||
        seqnn_buffer_fill(g->ctx, b, 0, count > 0 ? count : 1, value) != SEQNN_OK) {
        cf_fail(g->r, "buffer of %lld elements: %s", (long long)count, seqnn_last_error());
        if (b)
            seqnn_buffer_free(g->ctx, b);
        return NULL;
    }
    g->bufs[g->n_bufs++] = b;
    return b;
}

static seqnn_buffer *golden_out(golden *g, int64_t count)
{
    return golden_buffer(g, SEQNN_F32, count, NAN);
}

static seqnn_buffer *golden_zeros(golden *g, int64_t count)
{
    return golden_buffer(g, SEQNN_F32, count, 0.0);
}

/* The float input `name` (count elements) in a new device buffer. */
static seqnn_buffer *golden_in(golden *g, const char *name, int64_t count)
{
    float *h = golden_host(g, (size_t)count * sizeof *h);
    seqnn_buffer *b = h ? golden_buffer(g, SEQNN_F32, count, 0.0) : NULL;
    if (!b)
        return NULL;
    if (seqnn_safetensors_read_f32(g->st, name, h, count) != SEQNN_OK) {
        cf_fail(g->r, "golden file: %s", seqnn_last_error());
        return NULL;
    }
    if (seqnn_buffer_write(g->ctx, b, 0, h, count) != SEQNN_OK) {
        cf_fail(g->r, "writing %s: %s", name, seqnn_last_error());
        return NULL;
    }
    return b;
}

/* The int32 tensor `name` on the host (count elements). */
static int32_t *golden_ints(golden *g, const char *name, int64_t count)
{
    int32_t *h = golden_host(g, (size_t)count * sizeof *h);
    if (h && seqnn_safetensors_read_i32(g->st, name, h, count) != SEQNN_OK) {
        cf_fail(g->r, "golden file: %s", seqnn_last_error());
        return NULL;
    }
    return h;
}

/* The int32 tensor `name` in a new device buffer. */
static seqnn_buffer *golden_in_int(golden *g, const char *name, int64_t count)
{
    int32_t *h = golden_ints(g, name, count);
    seqnn_buffer *b = h ? golden_buffer(g, SEQNN_I32, count, 0.0) : NULL;
    if (b && seqnn_buffer_write(g->ctx, b, 0, h, count) != SEQNN_OK) {
        cf_fail(g->r, "writing %s: %s", name, seqnn_last_error());
        return NULL;
    }
    return b;
}

/* Holds count elements of buf from offset off against the expected tensor `name`. */
static void golden_expect(golden *g, const char *name, seqnn_buffer *buf, int64_t off, int64_t count,
                          double k)
{
    if (cf_failed(g->r) || !buf)
        return;
    float *got = malloc((size_t)(count > 0 ? count : 1) * sizeof *got);
    double *want = malloc((size_t)(count > 0 ? count : 1) * sizeof *want);
    if (!got || !want) {
        cf_fail(g->r, "out of host memory");
    } else if (seqnn_safetensors_read_f64(g->st, name, want, count) != SEQNN_OK) {
        cf_fail(g->r, "golden file: %s", seqnn_last_error());
    } else if (seqnn_buffer_read(g->ctx, buf, off, got, count) != SEQNN_OK) {
        cf_fail(g->r, "reading %s back: %s", name, seqnn_last_error());
    } else {
        cf_expect(g->r, name, got, want, count, k);
    }
    free(got);
    free(want);
}

/* int32 results must match exactly. */
static void golden_expect_ints(golden *g, const char *name, seqnn_buffer *buf, int64_t count)
{
    if (cf_failed(g->r) || !buf)
        return;
    int32_t *want = golden_ints(g, name, count);
    int32_t *got = golden_host(g, (size_t)count * sizeof *got);
    if (!want || !got)
        return;
    if (seqnn_buffer_read(g->ctx, buf, 0, got, count) != SEQNN_OK) {
        cf_fail(g->r, "reading %s back: %s", name, seqnn_last_error());
        return;
    }
    for (int64_t i = 0; i < count; i++)
        if (got[i] != want[i]) {
            cf_fail(g->r, "%s[%lld]: got %d, PyTorch %d", name, (long long)i, got[i], want[i]);
            return;
        }
}

/* Runs kernel id; a failure status fails the check with the message; a
 * kernel the plugin lacks makes the check absent (cf_require), a call its
 * capability query declines makes it declined (cf_declined). */
static int golden_run(golden *g, seqnn_kernel_id id, const void *args)
{
    if (cf_failed(g->r) || !cf_require(g->r, id) || cf_declined(g->r, id, args))
        return 0;
    seqnn_status s = cf_plugin_run(g->r, id, args);
    if (s != SEQNN_OK) {
        cf_fail(g->r, "%s: %s%s: %s", seqnn_kernel_name(id),
                s == SEQNN_ERR_UNSUPPORTED ? "UNSUPPORTED " : "", seqnn_status_name(s), seqnn_last_error());
        return 0;
    }
    return 1;
}

static seqnn_tref golden_at(seqnn_buffer *b, int64_t off)
{
    return seqnn_at(b, off);
}

/* An absent tensor. */
static seqnn_tref golden_none(void)
{
    return seqnn_at(NULL, 0);
}

/* -------------------------------------------------------------- recurrent */
static seqnn_cell golden_cell(golden *g, const char *name)
{
    static const char *const names[] = {"rnn_tanh", "rnn_relu", "lstm", "gru"};
    static const seqnn_cell cells[] = {SEQNN_CELL_RNN_TANH, SEQNN_CELL_RNN_RELU, SEQNN_CELL_LSTM,
                                       SEQNN_CELL_GRU};
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, names[i]))
            return cells[i];
    cf_fail(g->r, "golden file: unknown cell '%s'", name);
    return SEQNN_CELL_RNN_TANH;
}

#define GOLDEN_MAX_LAYERS 4

/* A recurrent stack ("rnn": L layers, D directions, optionally packed; an
 * LSTM with proj_size P when the metadata has "proj") or one cell step
 * ("cell"): forward, backward, and every output and gradient. */
static void golden_recurrent(golden *g, int is_cell)
{
    seqnn_cell cell = golden_cell(g, golden_meta_str(g, "cell"));
    const int64_t T = is_cell ? 1 : golden_meta_int(g, "T");
    const int64_t B = golden_meta_int(g, "B"), I = golden_meta_int(g, "I"), H = golden_meta_int(g, "H");
    const int64_t L = is_cell ? 1 : golden_meta_int(g, "layers");
    const int64_t D = is_cell ? 1 : golden_meta_int(g, "bidirectional") + 1;
    const int bias = is_cell ? 1 : golden_meta_int(g, "bias") != 0;
    const int packed = is_cell ? 0 : golden_meta_int(g, "packed") != 0;
    const int lstm = cell == SEQNN_CELL_LSTM;
    const int64_t P = seqnn_safetensors_metadata(g->st, "proj") ? golden_meta_int(g, "proj") : 0;
    const int64_t R = P > 0 ? P : H;     /* width of h */
    const int64_t G = seqnn_cell_gates(cell), BH = B * H, BR = B * R, DH = D * R;
    const int np = P > 0 ? 5 : 4;        /* parameters per layer and direction */
    if (cf_failed(g->r))
        return;
    if (L < 1 || L > GOLDEN_MAX_LAYERS || D < 1 || D > 2 || T < 1 || B < 1 || I < 1 || H < 1 || P < 0 ||
        P >= H || (P > 0 && (!lstm || is_cell))) {
        cf_fail(g->r, "golden file: bad shape metadata");
        return;
    }
    const seqnn_kernel_id fwd = P > 0 ? SEQNN_KERNEL_lstm_variant_forward
                              : is_cell ? SEQNN_KERNEL_cell_forward : SEQNN_KERNEL_rnn_forward;
    const seqnn_kernel_id bwd = P > 0 ? SEQNN_KERNEL_lstm_variant_backward
                              : is_cell ? SEQNN_KERNEL_cell_backward : SEQNN_KERNEL_rnn_backward;
    /* budget: per step and layer a gate reduction over I_l + H inputs and, in
     * backward, over G*H gates; T steps through L layers; the weight gradients'
     * sums over T*B */
    const int64_t I_max = I > DH ? I : DH;
    const double k = (double)(T * L * (I_max + H + G * H + (P > 0 ? H + P : 0)) + T * B);

    const int32_t *lengths = packed ? golden_ints(g, "lengths", B) : NULL;
    seqnn_buffer *x = golden_in(g, "x", T * B * I);
    seqnn_buffer *h0 = golden_in(g, "h0", L * D * BR);
    seqnn_buffer *c0 = lstm ? golden_in(g, "c0", L * D * BH) : NULL;
    seqnn_buffer *dh_n = golden_in(g, "dh_n", L * D * BR);
    seqnn_buffer *dc_n = lstm ? golden_in(g, "dc_n", L * D * BH) : NULL;
    seqnn_buffer *h_n = golden_out(g, L * D * BR);
    seqnn_buffer *c_n = lstm ? golden_out(g, L * D * BH) : NULL;
    seqnn_buffer *dh0 = golden_out(g, L * D * BR);
    seqnn_buffer *dc0 = lstm ? golden_out(g, L * D * BH) : NULL;
    /* y[l]: output of layer l [T, B, D*H]; dx[l]: gradient of layer l's input */
    seqnn_buffer *y[GOLDEN_MAX_LAYERS], *dx[GOLDEN_MAX_LAYERS];
    seqnn_buffer *dy_top = is_cell ? NULL : golden_in(g, "dy", T * B * DH);
    seqnn_lstm_variant_args args[GOLDEN_MAX_LAYERS][2];
    static const char *const pnames[5] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"};
    /* parameter buffers and their gradients, [layer][direction][w_ih, w_hh, b_ih, b_hh (, w_hr)] */
    seqnn_buffer *par[GOLDEN_MAX_LAYERS][2][5], *dpar[GOLDEN_MAX_LAYERS][2][5];
    char pname[GOLDEN_MAX_LAYERS][2][5][64];
    for (int64_t l = 0; l < L; l++) {
        const int64_t Il = l == 0 ? I : DH;
        y[l] = is_cell ? NULL : golden_out(g, T * B * DH);
        dx[l] = golden_out(g, T * B * Il);
        for (int64_t d = 0; d < D; d++) {
            const int64_t counts[5] = {G * H * Il, G * H * R, G * H, G * H, P * H};
            for (int p = 0; p < np; p++) {
                if (is_cell)
                    snprintf(pname[l][d][p], sizeof pname[l][d][p], "%s", pnames[p]);
                else
                    snprintf(pname[l][d][p], sizeof pname[l][d][p], "%s_l%lld%s", pnames[p], (long long)l,
                             d ? "_reverse" : "");
                int present = p < 2 || bias;
                par[l][d][p] = present ? golden_in(g, pname[l][d][p], counts[p]) : NULL;
                /* the forward direction overwrites (NaN-poisoned), the reverse accumulates onto 0 */
                dpar[l][d][p] = present ? golden_buffer(g, SEQNN_F32, counts[p], d ? 0.0 : NAN) : NULL;
            }
            seqnn_rnn_args *a = &args[l][d].rnn;
            memset(&args[l][d], 0, sizeof args[l][d]);
            args[l][d].proj_size = P;
            args[l][d].w_hr = P > 0 ? golden_at(par[l][d][4], 0) : golden_none();
            a->cell = cell;
            a->seq_len = T;
            a->batch = B;
            a->input_size = Il;
            a->hidden_size = H;
            a->reverse = (int)d;
            a->lengths = lengths;
            a->x = golden_at(l == 0 ? x : y[l - 1], 0);
            a->ldx = Il;
            a->w_ih = golden_at(par[l][d][0], 0);
            a->w_hh = golden_at(par[l][d][1], 0);
            a->b_ih = bias ? golden_at(par[l][d][2], 0) : golden_none();
            a->b_hh = bias ? golden_at(par[l][d][3], 0) : golden_none();
            const int64_t so = (l * D + d) * BH, sr = (l * D + d) * BR;   /* this layer and direction's state */
            a->h0 = golden_at(h0, sr);
            a->c0 = lstm ? golden_at(c0, so) : golden_none();
            a->y = is_cell ? golden_none() : golden_at(y[l], d * R);
            a->ldy = DH;
            a->h_n = golden_at(h_n, sr);
            a->c_n = lstm ? golden_at(c_n, so) : golden_none();
            a->reserve = golden_at(golden_out(g, P > 0 ? seqnn_lstm_variant_reserve_count(0, T, B, H)
                                                       : seqnn_rnn_reserve_count(cell, T, B, H)), 0);
        }
    }
    if (cf_failed(g->r))
        return;
    if (packed)
        for (int64_t b = 0; b < B; b++)
            if (lengths[b] < 0 || lengths[b] > T) {
                cf_fail(g->r, "golden file: bad length");
                return;
            }
    /* forward, bottom layer first */
    for (int64_t l = 0; l < L; l++)
        for (int64_t d = 0; d < D; d++)
            if (!golden_run(g, fwd, P > 0 ? (const void *)&args[l][d] : (const void *)&args[l][d].rnn))
                return;
    if (!is_cell)
        golden_expect(g, "y", y[L - 1], 0, T * B * DH, k);
    golden_expect(g, "h_n", h_n, 0, L * D * BR, k);
    if (lstm)
        golden_expect(g, "c_n", c_n, 0, L * D * BH, k);

    /* backward, top layer first; dy of layer l is dx of layer l+1 */
    for (int64_t l = L - 1; l >= 0; l--) {
        for (int64_t d = 0; d < D; d++) {
            seqnn_rnn_args *a = &args[l][d].rnn;
            const int64_t so = (l * D + d) * BH, sr = (l * D + d) * BR;
            if (!is_cell)
                a->dy = golden_at(l == L - 1 ? dy_top : dx[l + 1], d * R);
            a->dh_n = golden_at(dh_n, sr);
            a->dc_n = lstm ? golden_at(dc_n, so) : golden_none();
            a->dx = golden_at(dx[l], 0);
            a->dw_ih = golden_at(dpar[l][d][0], 0);
            a->dw_hh = golden_at(dpar[l][d][1], 0);
            a->db_ih = bias ? golden_at(dpar[l][d][2], 0) : golden_none();
            a->db_hh = bias ? golden_at(dpar[l][d][3], 0) : golden_none();
            a->dh0 = golden_at(dh0, sr);
            a->dc0 = lstm ? golden_at(dc0, so) : golden_none();
            args[l][d].dw_hr = P > 0 ? golden_at(dpar[l][d][4], 0) : golden_none();
            if (d == 1) {
                /* accumulating: this direction's slices of dh0/dc0 start at 0 */
                if (seqnn_buffer_fill(g->ctx, dh0, sr, BR, 0.0) != SEQNN_OK ||
                    (lstm && seqnn_buffer_fill(g->ctx, dc0, so, BH, 0.0) != SEQNN_OK)) {
                    cf_fail(g->r, "fill: %s", seqnn_last_error());
                    return;
                }
            }
            a->flags = d == 0 ? SEQNN_FLAG_OVERWRITE : 0;
            if (!golden_run(g, bwd, P > 0 ? (const void *)&args[l][d] : (const void *)a))
                return;
        }
    }
    golden_expect(g, "grad.x", dx[0], 0, T * B * I, k);
    golden_expect(g, "grad.h0", dh0, 0, L * D * BR, k);
    if (lstm)
        golden_expect(g, "grad.c0", dc0, 0, L * D * BH, k);
    for (int64_t l = 0; l < L; l++)
        for (int64_t d = 0; d < D; d++)
            for (int p = 0; p < np; p++) {
                char gname[80];
                if (!dpar[l][d][p])
                    continue;
                snprintf(gname, sizeof gname, "grad.%s", pname[l][d][p]);
                const int64_t Il = l == 0 ? I : DH;
                const int64_t counts[5] = {G * H * Il, G * H * R, G * H, G * H, P * H};
                golden_expect(g, gname, dpar[l][d][p], 0, counts[p], k);
            }
}

static void golden_rnn(golden *g)
{
    golden_recurrent(g, 0);
}

static void golden_cell_step(golden *g)
{
    golden_recurrent(g, 1);
}

/* ------------------------------------------------------------ conv, pool */
static void golden_conv1d(golden *g)
{
    seqnn_conv1d_args a;
    memset(&a, 0, sizeof a);
    a.batch = golden_meta_int(g, "B");
    a.in_channels = golden_meta_int(g, "C_in");
    a.out_channels = golden_meta_int(g, "C_out");
    a.in_len = golden_meta_int(g, "L");
    a.kernel_size = golden_meta_int(g, "K");
    a.stride = golden_meta_int(g, "stride");
    a.padding = golden_meta_int(g, "padding");
    a.dilation = golden_meta_int(g, "dilation");
    const int bias = golden_meta_int(g, "bias") != 0;
    const int blc = !strcmp(golden_meta_str(g, "layout"), "blc");
    if (cf_failed(g->r))
        return;
    const int64_t Bn = a.batch, Ci = a.in_channels, Co = a.out_channels, Li = a.in_len, K = a.kernel_size;
    const int64_t Lo = seqnn_conv1d_out_len(&a);
    if (Lo < 1) {
        cf_fail(g->r, "golden file: bad conv shape");
        return;
    }
    /* [B, C, L] or [B, L, C] */
    a.x_sb = Ci * Li;
    a.x_sc = blc ? 1 : Li;
    a.x_sl = blc ? Ci : 1;
    a.y_sb = Co * Lo;
    a.y_sc = blc ? 1 : Lo;
    a.y_sl = blc ? Co : 1;
    seqnn_buffer *x = golden_in(g, "x", Bn * Ci * Li), *w = golden_in(g, "weight", Co * Ci * K);
    seqnn_buffer *b = bias ? golden_in(g, "bias", Co) : NULL;
    seqnn_buffer *y = golden_out(g, Bn * Co * Lo), *dy = golden_in(g, "dy", Bn * Co * Lo);
    seqnn_buffer *dx = golden_out(g, Bn * Ci * Li), *dw = golden_out(g, Co * Ci * K);
    seqnn_buffer *db = bias ? golden_out(g, Co) : NULL;
    if (cf_failed(g->r))
        return;
    a.x = golden_at(x, 0);
    a.weight = golden_at(w, 0);
    a.bias = bias ? golden_at(b, 0) : golden_none();
    a.y = golden_at(y, 0);
    const double k = (double)(Ci * K + Co * K + Bn * Lo);
    if (!golden_run(g, SEQNN_KERNEL_conv1d_forward, &a))
        return;
    golden_expect(g, "y", y, 0, Bn * Co * Lo, k);
    a.dy = golden_at(dy, 0);
    a.dx = golden_at(dx, 0);
    a.dweight = golden_at(dw, 0);
    a.dbias = bias ? golden_at(db, 0) : golden_none();
    a.flags = SEQNN_FLAG_OVERWRITE;
    if (!golden_run(g, SEQNN_KERNEL_conv1d_backward, &a))
        return;
    golden_expect(g, "grad.x", dx, 0, Bn * Ci * Li, k);
    golden_expect(g, "grad.weight", dw, 0, Co * Ci * K, k);
    if (bias)
        golden_expect(g, "grad.bias", db, 0, Co, k);
}

static void golden_maxpool(golden *g)
{
    seqnn_maxpool_args a;
    memset(&a, 0, sizeof a);
    a.batch = golden_meta_int(g, "B");
    a.channels = golden_meta_int(g, "C");
    a.len = golden_meta_int(g, "L");
    if (cf_failed(g->r))
        return;
    const int64_t BC = a.batch * a.channels, n = BC * a.len;
    seqnn_buffer *x = golden_in(g, "x", n), *y = golden_out(g, BC), *dy = golden_in(g, "dy", BC);
    seqnn_buffer *am = golden_buffer(g, SEQNN_I32, BC, -7.0), *dx = golden_out(g, n);
    if (cf_failed(g->r))
        return;
    a.x = golden_at(x, 0);
    a.x_sb = a.channels * a.len;
    a.x_sc = a.len;
    a.x_sl = 1;
    a.y = golden_at(y, 0);
    a.y_sb = a.channels;
    a.y_sc = 1;
    a.argmax = golden_at(am, 0);
    if (!golden_run(g, SEQNN_KERNEL_maxpool_forward, &a))
        return;
    golden_expect(g, "y", y, 0, BC, 1);
    golden_expect_ints(g, "argmax", am, BC);
    a.dy = golden_at(dy, 0);
    a.dx = golden_at(dx, 0);
    a.flags = SEQNN_FLAG_OVERWRITE;
    if (!golden_run(g, SEQNN_KERNEL_maxpool_backward, &a))
        return;
    golden_expect(g, "grad.x", dx, 0, n, 1);
}

/* -------------------------------------------------------------- attention */
static void golden_attention(golden *g)
{
    seqnn_attention_args a;
    memset(&a, 0, sizeof a);
    const char *score = golden_meta_str(g, "score");
    a.score = !strcmp(score, "dot") ? SEQNN_SCORE_DOT : SEQNN_SCORE_SCALED_DOT;
    if (strcmp(score, "dot") && strcmp(score, "scaled_dot"))
        cf_fail(g->r, "golden file: unknown score '%s'", score);
    a.batch = golden_meta_int(g, "B");
    a.heads = golden_meta_int(g, "heads");
    a.q_len = golden_meta_int(g, "q_len");
    a.k_len = golden_meta_int(g, "k_len");
    a.q_dim = a.k_dim = golden_meta_int(g, "d");
    a.v_dim = golden_meta_int(g, "v_dim");
    a.scale = golden_meta(g, "scale");
    a.causal = golden_meta_int(g, "causal") != 0;
    const int masked = golden_meta_int(g, "masked") != 0;
    const int bthd = !strcmp(golden_meta_str(g, "layout"), "bthd");
    if (cf_failed(g->r))
        return;
    const int64_t Bn = a.batch, h = a.heads, Lq = a.q_len, Lk = a.k_len, d = a.q_dim, dv = a.v_dim;
    /* strides of [B, heads, T, dim] or [B, T, heads, dim] */
#define GOLDEN_STRIDES(sb, sh, st, T, dim)                  \
    do {                                                    \
        sb = h * (T) * (dim);                               \
        sh = bthd ? (dim) : (T) * (dim);                    \
        st = bthd ? h * (dim) : (dim);                      \
    } while (0)
    GOLDEN_STRIDES(a.q_sb, a.q_sh, a.q_st, Lq, d);
    GOLDEN_STRIDES(a.k_sb, a.k_sh, a.k_st, Lk, d);
    GOLDEN_STRIDES(a.v_sb, a.v_sh, a.v_st, Lk, dv);
    GOLDEN_STRIDES(a.o_sb, a.o_sh, a.o_st, Lq, dv);
#undef GOLDEN_STRIDES
    const int64_t nq = Bn * h * Lq * d, nk = Bn * h * Lk * d, nv = Bn * h * Lk * dv, no = Bn * h * Lq * dv;
    const int64_t nw = Bn * h * Lq * Lk;
    seqnn_buffer *q = golden_in(g, "q", nq), *kb = golden_in(g, "k", nk), *v = golden_in(g, "v", nv);
    seqnn_buffer *out = golden_out(g, no), *w = golden_out(g, nw), *dout = golden_in(g, "dout", no);
    seqnn_buffer *dq = golden_out(g, nq), *dk = golden_out(g, nk), *dvb = golden_out(g, nv);
    a.key_lengths = masked ? golden_ints(g, "key_lengths", Bn) : NULL;
    if (cf_failed(g->r))
        return;
    a.q = golden_at(q, 0);
    a.k = golden_at(kb, 0);
    a.v = golden_at(v, 0);
    a.out = golden_at(out, 0);
    a.weights = golden_at(w, 0);
    /* scores reduce over d, outputs over k_len; backward adds q_len and dv */
    const double k = (double)(d + Lk + Lq + dv);
    if (!golden_run(g, SEQNN_KERNEL_attention_forward, &a))
        return;
    golden_expect(g, "out", out, 0, no, k);
    golden_expect(g, "weights", w, 0, nw, k);
    a.dout = golden_at(dout, 0);
    a.dq = golden_at(dq, 0);
    a.dk = golden_at(dk, 0);
    a.dv = golden_at(dvb, 0);
    a.flags = SEQNN_FLAG_OVERWRITE;
    if (!golden_run(g, SEQNN_KERNEL_attention_backward, &a))
        return;
    golden_expect(g, "grad.q", dq, 0, nq, k);
    golden_expect(g, "grad.k", dk, 0, nk, k);
    golden_expect(g, "grad.v", dvb, 0, nv, k);
}

/* -------------------------------------------------------------- embedding */
static void golden_embedding(golden *g)
{
    seqnn_embedding_args a;
    memset(&a, 0, sizeof a);
    a.vocab = golden_meta_int(g, "vocab");
    a.dim = golden_meta_int(g, "dim");
    a.n = golden_meta_int(g, "n");
    a.padding_idx = (int32_t)golden_meta_int(g, "padding_idx");
    if (cf_failed(g->r))
        return;
    const int64_t nw = a.vocab * a.dim, ny = a.n * a.dim;
    seqnn_buffer *idx = golden_in_int(g, "idx", a.n), *w = golden_in(g, "weight", nw);
    seqnn_buffer *y = golden_out(g, ny), *dy = golden_in(g, "dy", ny);
    seqnn_buffer *dw = golden_in(g, "grad_init.weight", nw);   /* backward always accumulates */
    if (cf_failed(g->r))
        return;
    a.idx = golden_at(idx, 0);
    a.weight = golden_at(w, 0);
    a.y = golden_at(y, 0);
    a.ldy = a.dim;
    if (!golden_run(g, SEQNN_KERNEL_embedding_forward, &a))
        return;
    golden_expect(g, "y", y, 0, ny, 1);
    a.dy = golden_at(dy, 0);
    a.dweight = golden_at(dw, 0);
    if (!golden_run(g, SEQNN_KERNEL_embedding_backward, &a))
        return;
    golden_expect(g, "grad.weight", dw, 0, nw, (double)a.n);
}

/* ------------------------------------------------------------------ losses */
static seqnn_reduction golden_reduction(golden *g)
{
    const char *red = golden_meta_str(g, "reduction");
    if (!strcmp(red, "sum"))
        return SEQNN_REDUCE_SUM;
    if (!strcmp(red, "none"))
        return SEQNN_REDUCE_NONE;
    if (strcmp(red, "mean"))
        cf_fail(g->r, "golden file: unknown reduction '%s'", red);
    return SEQNN_REDUCE_MEAN;
}

static void golden_xent(golden *g)
{
    seqnn_xent_args a;
    memset(&a, 0, sizeof a);
    a.rows = golden_meta_int(g, "rows");
    a.cols = golden_meta_int(g, "cols");
    a.ignore_index = (int32_t)golden_meta_int(g, "ignore_index");
    a.reduction = golden_reduction(g);
    a.dloss = golden_meta(g, "dloss");
    if (cf_failed(g->r))
        return;
    const int64_t n = a.rows * a.cols;
    seqnn_buffer *logits = golden_in(g, "logits", n), *target = golden_in_int(g, "target", a.rows);
    seqnn_buffer *loss = golden_out(g, 1), *dl = golden_out(g, n);
    if (cf_failed(g->r))
        return;
    a.logits = golden_at(logits, 0);
    a.target = golden_at(target, 0);
    a.loss = golden_at(loss, 0);
    if (!golden_run(g, SEQNN_KERNEL_xent_forward, &a))
        return;
    golden_expect(g, "loss", loss, 0, 1, (double)n);
    a.dlogits = golden_at(dl, 0);
    a.flags = SEQNN_FLAG_OVERWRITE;
    if (!golden_run(g, SEQNN_KERNEL_xent_backward, &a))
        return;
    golden_expect(g, "grad.logits", dl, 0, n, (double)a.cols);
}

/* "xent_ext": class weights (weighted = 1), label smoothing, reduction mean,
 * sum or none (per-row losses, upstream dlosses) */
static void golden_xent_ext(golden *g)
{
    seqnn_xent_ext_args a;
    memset(&a, 0, sizeof a);
    a.rows = golden_meta_int(g, "rows");
    a.cols = golden_meta_int(g, "cols");
    a.ignore_index = (int32_t)golden_meta_int(g, "ignore_index");
    a.reduction = golden_reduction(g);
    a.smoothing = golden_meta(g, "smoothing");
    a.dloss = golden_meta(g, "dloss");
    const int weighted = (int)golden_meta_int(g, "weighted"), none = a.reduction == SEQNN_REDUCE_NONE;
    if (cf_failed(g->r))
        return;
    const int64_t n = a.rows * a.cols;
    seqnn_buffer *logits = golden_in(g, "logits", n), *target = golden_in_int(g, "target", a.rows);
    seqnn_buffer *weight = weighted ? golden_in(g, "weight", a.cols) : NULL;
    seqnn_buffer *dlosses = none ? golden_in(g, "dlosses", a.rows) : NULL;
    seqnn_buffer *loss = golden_out(g, none ? a.rows : 1), *dl = golden_out(g, n);
    if (cf_failed(g->r))
        return;
    a.logits = golden_at(logits, 0);
    a.target = golden_at(target, 0);
    a.weight = weighted ? golden_at(weight, 0) : golden_none();
    if (none)
        a.losses = golden_at(loss, 0);
    else
        a.loss = golden_at(loss, 0);
    if (!cf_require(g->r, SEQNN_KERNEL_xent_ext_forward) || !golden_run(g, SEQNN_KERNEL_xent_ext_forward, &a))
        return;
    golden_expect(g, none ? "losses" : "loss", loss, 0, none ? a.rows : 1, (double)(none ? 2 * a.cols : 2 * n));
    a.dlosses = none ? golden_at(dlosses, 0) : golden_none();
    a.dlogits = golden_at(dl, 0);
    a.flags = SEQNN_FLAG_OVERWRITE;
    if (!cf_require(g->r, SEQNN_KERNEL_xent_ext_backward) || !golden_run(g, SEQNN_KERNEL_xent_ext_backward, &a))
        return;
    golden_expect(g, "grad.logits", dl, 0, n, (double)(a.cols + a.rows));
}

/* "mse" and "bce" (with logits) */
static void golden_pointwise_loss(golden *g, seqnn_kernel_id fwd, seqnn_kernel_id bwd)
{
    seqnn_loss_args a;
    memset(&a, 0, sizeof a);
    a.n = golden_meta_int(g, "n");
    a.reduction = golden_reduction(g);
    a.dloss = golden_meta(g, "dloss");
    if (cf_failed(g->r))
        return;
    seqnn_buffer *x = golden_in(g, "x", a.n), *t = golden_in(g, "target", a.n);
    seqnn_buffer *loss = golden_out(g, 1), *dx = golden_out(g, a.n);
    if (cf_failed(g->r))
        return;
    a.x = golden_at(x, 0);
    a.target = golden_at(t, 0);
    a.loss = golden_at(loss, 0);
    if (!golden_run(g, fwd, &a))
        return;
    golden_expect(g, "loss", loss, 0, 1, (double)a.n);
    a.dx = golden_at(dx, 0);
    a.flags = SEQNN_FLAG_OVERWRITE;
    if (!golden_run(g, bwd, &a))
        return;
    golden_expect(g, "grad.x", dx, 0, a.n, 1);
}

static void golden_mse(golden *g)
{
    golden_pointwise_loss(g, SEQNN_KERNEL_mse_forward, SEQNN_KERNEL_mse_backward);
}

static void golden_bce(golden *g)
{
    golden_pointwise_loss(g, SEQNN_KERNEL_bce_forward, SEQNN_KERNEL_bce_backward);
}

/* ------------------------------------------------ softmax and activations */
static void golden_softmax(golden *g)
{
    seqnn_softmax_args a;
    memset(&a, 0, sizeof a);
    a.rows = golden_meta_int(g, "rows");
    a.cols = golden_meta_int(g, "cols");
    a.log = golden_meta_int(g, "log") != 0;
    if (cf_failed(g->r))
        return;
    const int64_t n = a.rows * a.cols;
    seqnn_buffer *x = golden_in(g, "x", n), *y = golden_out(g, n), *dy = golden_in(g, "dy", n);
    seqnn_buffer *dx = golden_out(g, n);
    if (cf_failed(g->r))
        return;
    a.x = golden_at(x, 0);
    a.y = golden_at(y, 0);
    if (!golden_run(g, SEQNN_KERNEL_softmax_forward, &a))
        return;
    golden_expect(g, "y", y, 0, n, (double)a.cols);
    a.dy = golden_at(dy, 0);
    a.dx = golden_at(dx, 0);
    a.flags = SEQNN_FLAG_OVERWRITE;
    if (!golden_run(g, SEQNN_KERNEL_softmax_backward, &a))
        return;
    golden_expect(g, "grad.x", dx, 0, n, (double)a.cols);
}

static void golden_act(golden *g)
{
    static const char *const names[SEQNN_ACT_COUNT] = {"sigmoid", "tanh", "hardtanh", "relu", "leaky_relu",
                                                       "swish"};
    seqnn_act_args a;
    memset(&a, 0, sizeof a);
    const char *act = golden_meta_str(g, "act");
    int kind = -1;
    for (int i = 0; i < SEQNN_ACT_COUNT; i++)
        if (!strcmp(act, names[i]))
            kind = i;
    if (kind < 0)
        cf_fail(g->r, "golden file: unknown activation '%s'", act);
    a.kind = (seqnn_act)kind;
    a.alpha = golden_meta(g, "alpha");
    const seqnn_st_tensor *xt = seqnn_safetensors_find(g->st, "x");
    a.n = xt ? xt->count : 0;
    if (cf_failed(g->r))
        return;
    seqnn_buffer *x = golden_in(g, "x", a.n), *y = golden_out(g, a.n), *dy = golden_in(g, "dy", a.n);
    seqnn_buffer *dx = golden_out(g, a.n);
    if (cf_failed(g->r))
        return;
    a.x = golden_at(x, 0);
    a.y = golden_at(y, 0);
    if (!golden_run(g, SEQNN_KERNEL_act_forward, &a))
        return;
    golden_expect(g, "y", y, 0, a.n, 1);
    a.dy = golden_at(dy, 0);
    a.dx = golden_at(dx, 0);
    a.flags = SEQNN_FLAG_OVERWRITE;
    if (!golden_run(g, SEQNN_KERNEL_act_backward, &a))
        return;
    golden_expect(g, "grad.x", dx, 0, a.n, 1);
}

/* ------------------------------------------------------- gemm and linear */
static seqnn_gemm_args golden_gemm_args(int ta, int tb, int64_t m, int64_t n, int64_t k, seqnn_buffer *a,
                                        int64_t lda, seqnn_buffer *b, int64_t ldb, seqnn_buffer *c, int64_t ldc)
{
    seqnn_gemm_args gm;
    memset(&gm, 0, sizeof gm);
    gm.trans_a = ta;
    gm.trans_b = tb;
    gm.m = m;
    gm.n = n;
    gm.k = k;
    gm.alpha = 1.0;
    gm.beta = 0.0;
    gm.a = golden_at(a, 0);
    gm.lda = lda;
    gm.b = golden_at(b, 0);
    gm.ldb = ldb;
    gm.c = golden_at(c, 0);
    gm.ldc = ldc;
    gm.batch = 1;
    return gm;
}

/* torch.nn.Linear as a frontend composes it from gemm and bias kernels. */
static void golden_linear(golden *g)
{
    const int64_t N = golden_meta_int(g, "N"), I = golden_meta_int(g, "I"), O = golden_meta_int(g, "O");
    if (cf_failed(g->r))
        return;
    seqnn_buffer *x = golden_in(g, "x", N * I), *w = golden_in(g, "weight", O * I);
    seqnn_buffer *b = golden_in(g, "bias", O), *dy = golden_in(g, "dy", N * O);
    seqnn_buffer *y = golden_out(g, N * O), *dx = golden_out(g, N * I), *dw = golden_out(g, O * I);
    seqnn_buffer *db = golden_out(g, O);
    if (cf_failed(g->r))
        return;
    const double k = (double)(I + N + O);
    /* y [N, O] = x [N, I] W^T (W [O, I]); y += b */
    seqnn_gemm_args gm = golden_gemm_args(0, 1, N, O, I, x, I, w, I, y, O);
    seqnn_bias_args ba;
    memset(&ba, 0, sizeof ba);
    ba.rows = N;
    ba.cols = O;
    ba.y = golden_at(y, 0);
    ba.ldy = O;
    ba.b = golden_at(b, 0);
    if (!golden_run(g, SEQNN_KERNEL_gemm, &gm) || !golden_run(g, SEQNN_KERNEL_bias_add, &ba))
        return;
    golden_expect(g, "y", y, 0, N * O, k);
    /* dx [N, I] = dy [N, O] W;  dW [O, I] = dy^T x;  db = sum_rows dy */
    gm = golden_gemm_args(0, 0, N, I, O, dy, O, w, I, dx, I);
    seqnn_gemm_args gw = golden_gemm_args(1, 0, O, I, N, dy, O, x, I, dw, I);
    memset(&ba, 0, sizeof ba);
    ba.rows = N;
    ba.cols = O;
    ba.dy = golden_at(dy, 0);
    ba.ldy = O;
    ba.db = golden_at(db, 0);
    ba.flags = SEQNN_FLAG_OVERWRITE;
    if (!golden_run(g, SEQNN_KERNEL_gemm, &gm) || !golden_run(g, SEQNN_KERNEL_gemm, &gw) ||
        !golden_run(g, SEQNN_KERNEL_bias_backward, &ba))
        return;
    golden_expect(g, "grad.x", dx, 0, N * I, k);
    golden_expect(g, "grad.weight", dw, 0, O * I, k);
    golden_expect(g, "grad.bias", db, 0, O, k);
}

/* torch.baddbmm */
static void golden_gemm(golden *g)
{
    const int64_t batch = golden_meta_int(g, "batch"), m = golden_meta_int(g, "m");
    const int64_t n = golden_meta_int(g, "n"), k = golden_meta_int(g, "k");
    const int ta = golden_meta_int(g, "trans_a") != 0, tb = golden_meta_int(g, "trans_b") != 0;
    const double alpha = golden_meta(g, "alpha"), beta = golden_meta(g, "beta");
    if (cf_failed(g->r))
        return;
    seqnn_buffer *a = golden_in(g, "a", batch * m * k), *b = golden_in(g, "b", batch * k * n);
    seqnn_buffer *c = golden_in(g, "c", batch * m * n);
    if (cf_failed(g->r))
        return;
    seqnn_gemm_args gm = golden_gemm_args(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, c, n);
    gm.alpha = alpha;
    gm.beta = beta;
    gm.batch = batch;
    gm.stride_a = m * k;
    gm.stride_b = k * n;
    gm.stride_c = m * n;
    if (!golden_run(g, SEQNN_KERNEL_gemm, &gm))
        return;
    golden_expect(g, "out", c, 0, batch * m * n, (double)k);
}

/* -------------------------------------------------------------- optimizers */
typedef struct golden_state {
    const char *name;                    /* "state.<PyTorch state key>" */
    seqnn_buffer *buf;
} golden_state;

/* STEPS steps of one optimizer on the stored gradient sequence; the parameter
 * after every step and the final state against torch.optim. */
static void golden_optim(golden *g)
{
    const char *opt = golden_meta_str(g, "opt");
    const int64_t n = golden_meta_int(g, "n"), steps = golden_meta_int(g, "steps");
    if (cf_failed(g->r))
        return;
    if (n < 1 || steps < 1) {
        cf_fail(g->r, "golden file: bad n or steps");
        return;
    }
    seqnn_buffer *p = golden_in(g, "param0", n), *grads = golden_in(g, "grads", steps * n);
    golden_state st[4];
    int nst = 0;
    seqnn_sgd_args sgd;
    seqnn_rmsprop_args rms;
    seqnn_adam_args adam;
    seqnn_adagrad_args ada;
    memset(&sgd, 0, sizeof sgd);
    memset(&rms, 0, sizeof rms);
    memset(&adam, 0, sizeof adam);
    memset(&ada, 0, sizeof ada);
    seqnn_kernel_id id;
    void *args;
    seqnn_tref *grad_ref;
    int64_t *step_ref = NULL;
    if (!strcmp(opt, "sgd")) {
        id = SEQNN_KERNEL_sgd_step;
        args = &sgd;
        sgd.n = n;
        sgd.param = golden_at(p, 0);
        sgd.lr = golden_meta(g, "lr");
        sgd.momentum = golden_meta(g, "momentum");
        sgd.dampening = golden_meta(g, "dampening");
        sgd.weight_decay = golden_meta(g, "weight_decay");
        sgd.nesterov = golden_meta_int(g, "nesterov") != 0;
        if (sgd.momentum != 0) {
            /* NaN: step 1 must set the buffer to the gradient without reading it */
            st[nst].name = "state.momentum_buffer";
            st[nst].buf = golden_out(g, n);
            sgd.momentum_buf = golden_at(st[nst++].buf, 0);
        }
        grad_ref = &sgd.grad;
        step_ref = &sgd.step;
    } else if (!strcmp(opt, "rmsprop")) {
        id = SEQNN_KERNEL_rmsprop_step;
        args = &rms;
        rms.n = n;
        rms.param = golden_at(p, 0);
        rms.lr = golden_meta(g, "lr");
        rms.alpha = golden_meta(g, "alpha");
        rms.eps = golden_meta(g, "eps");
        rms.weight_decay = golden_meta(g, "weight_decay");
        rms.momentum = golden_meta(g, "momentum");
        rms.centered = golden_meta_int(g, "centered") != 0;
        st[nst].name = "state.square_avg";
        st[nst].buf = golden_zeros(g, n);
        rms.square_avg = golden_at(st[nst++].buf, 0);
        if (rms.momentum != 0) {
            st[nst].name = "state.momentum_buffer";
            st[nst].buf = golden_zeros(g, n);
            rms.momentum_buf = golden_at(st[nst++].buf, 0);
        }
        if (rms.centered) {
            st[nst].name = "state.grad_avg";
            st[nst].buf = golden_zeros(g, n);
            rms.grad_avg = golden_at(st[nst++].buf, 0);
        }
        grad_ref = &rms.grad;
    } else if (!strcmp(opt, "adam") || !strcmp(opt, "adamw")) {
        id = SEQNN_KERNEL_adam_step;
        args = &adam;
        adam.n = n;
        adam.param = golden_at(p, 0);
        adam.lr = golden_meta(g, "lr");
        adam.beta1 = golden_meta(g, "beta1");
        adam.beta2 = golden_meta(g, "beta2");
        adam.eps = golden_meta(g, "eps");
        adam.weight_decay = golden_meta(g, "weight_decay");
        adam.amsgrad = golden_meta_int(g, "amsgrad") != 0;
        adam.decoupled = !strcmp(opt, "adamw");
        st[nst].name = "state.exp_avg";
        st[nst].buf = golden_zeros(g, n);
        adam.exp_avg = golden_at(st[nst++].buf, 0);
        st[nst].name = "state.exp_avg_sq";
        st[nst].buf = golden_zeros(g, n);
        adam.exp_avg_sq = golden_at(st[nst++].buf, 0);
        if (adam.amsgrad) {
            st[nst].name = "state.max_exp_avg_sq";
            st[nst].buf = golden_zeros(g, n);
            adam.max_exp_avg_sq = golden_at(st[nst++].buf, 0);
        }
        grad_ref = &adam.grad;
        step_ref = &adam.step;
    } else if (!strcmp(opt, "adagrad")) {
        id = SEQNN_KERNEL_adagrad_step;
        args = &ada;
        ada.n = n;
        ada.param = golden_at(p, 0);
        ada.lr = golden_meta(g, "lr");
        ada.lr_decay = golden_meta(g, "lr_decay");
        ada.weight_decay = golden_meta(g, "weight_decay");
        ada.eps = golden_meta(g, "eps");
        if (golden_meta(g, "initial_accumulator_value") != 0)
            cf_fail(g->r, "golden file: initial_accumulator_value != 0 is not supported here");
        st[nst].name = "state.sum";
        st[nst].buf = golden_zeros(g, n);
        ada.sum = golden_at(st[nst++].buf, 0);
        grad_ref = &ada.grad;
        step_ref = &ada.step;
    } else {
        cf_fail(g->r, "golden file: unknown optimizer '%s'", opt);
        return;
    }
    if (golden_meta_int(g, "maximize") != 0)
        cf_fail(g->r, "golden file: maximize is not a kernel option");
    if (cf_failed(g->r))
        return;
    /* every state tensor of the file must be one we keep */
    for (int64_t i = 0; i < seqnn_safetensors_count(g->st); i++) {
        const char *tn = seqnn_safetensors_tensor(g->st, i)->name;
        int known = strncmp(tn, "state.", 6) != 0;
        for (int s = 0; s < nst && !known; s++)
            known = !strcmp(tn, st[s].name);
        if (!known) {
            cf_fail(g->r, "golden file: PyTorch keeps %s, which the kernel arguments lack", tn);
            return;
        }
    }
    double *want = golden_host(g, (size_t)(steps * n) * sizeof *want);
    float *got = golden_host(g, (size_t)n * sizeof *got);
    if (!want || !got || cf_failed(g->r))
        return;
    if (seqnn_safetensors_read_f64(g->st, "param", want, steps * n) != SEQNN_OK) {
        cf_fail(g->r, "golden file: %s", seqnn_last_error());
        return;
    }
    for (int64_t t = 0; t < steps; t++) {
        *grad_ref = golden_at(grads, t * n);
        if (step_ref)
            *step_ref = t + 1;
        if (!golden_run(g, id, args))
            return;
        if (seqnn_buffer_read(g->ctx, p, 0, got, n) != SEQNN_OK) {
            cf_fail(g->r, "reading param back: %s", seqnn_last_error());
            return;
        }
        char what[48];
        snprintf(what, sizeof what, "param after step %lld", (long long)(t + 1));
        cf_expect(g->r, what, got, want + t * n, n, (double)(t + 1));
    }
    for (int s = 0; s < nst; s++)
        golden_expect(g, st[s].name, st[s].buf, 0, n, (double)steps);
}

/* ------------------------------------------------------- gradient clipping */
static void golden_clip(golden *g)
{
    const int64_t count = golden_meta_int(g, "count");
    const double max_norm = golden_meta(g, "max_norm");
    if (cf_failed(g->r))
        return;
    if (count < 1 || count > 16) {
        cf_fail(g->r, "golden file: bad count");
        return;
    }
    seqnn_buffer *grads[16];
    int64_t sizes[16], total = 0;
    seqnn_buffer *sumsq = golden_out(g, 1);
    for (int64_t i = 0; i < count; i++) {
        char name[32];
        snprintf(name, sizeof name, "grad%lld", (long long)i);
        const seqnn_st_tensor *t = seqnn_safetensors_find(g->st, name);
        sizes[i] = t ? t->count : 0;
        total += sizes[i];
        grads[i] = golden_in(g, name, sizes[i]);
    }
    if (cf_failed(g->r))
        return;
    /* the total squared norm: the first tensor overwrites, the others accumulate */
    for (int64_t i = 0; i < count; i++) {
        seqnn_sumsq_args a;
        memset(&a, 0, sizeof a);
        a.n = sizes[i];
        a.x = golden_at(grads[i], 0);
        a.result = golden_at(sumsq, 0);
        a.flags = i == 0 ? SEQNN_FLAG_OVERWRITE : 0;
        if (!golden_run(g, SEQNN_KERNEL_sumsq, &a))
            return;
    }
    float ss;
    if (seqnn_buffer_read(g->ctx, sumsq, 0, &ss, 1) != SEQNN_OK) {
        cf_fail(g->r, "reading sumsq back: %s", seqnn_last_error());
        return;
    }
    double want_norm;
    if (seqnn_safetensors_read_f64(g->st, "total_norm", &want_norm, 1) != SEQNN_OK) {
        cf_fail(g->r, "golden file: %s", seqnn_last_error());
        return;
    }
    const float norm = (float)sqrt((double)ss);
    cf_expect(g->r, "total_norm", &norm, &want_norm, 1, (double)total);
    for (int64_t i = 0; i < count; i++) {
        seqnn_clip_args a;
        memset(&a, 0, sizeof a);
        a.n = sizes[i];
        a.x = golden_at(grads[i], 0);
        a.sumsq = golden_at(sumsq, 0);
        a.max_norm = max_norm;
        if (!golden_run(g, SEQNN_KERNEL_clip_scale, &a))
            return;
    }
    for (int64_t i = 0; i < count; i++) {
        char name[32];
        snprintf(name, sizeof name, "clipped%lld", (long long)i);
        golden_expect(g, name, grads[i], 0, sizes[i], (double)total);
    }
}

/* ------------------------------------------------------------------- entry */
typedef struct golden_kind {
    const char *kind;
    void (*run)(golden *g);
} golden_kind;

static const golden_kind golden_kinds[] = {
    {"rnn", golden_rnn},         {"cell", golden_cell_step}, {"conv1d", golden_conv1d},
    {"maxpool", golden_maxpool}, {"attention", golden_attention}, {"embedding", golden_embedding},
    {"xent", golden_xent},       {"mse", golden_mse},         {"bce", golden_bce},
    {"softmax", golden_softmax}, {"act", golden_act},         {"linear", golden_linear},
    {"gemm", golden_gemm},       {"optim", golden_optim},     {"clip", golden_clip},
    {"xent_ext", golden_xent_ext},
};

void cf_golden_test(cf_run *r, int i)
{
    golden g;
    memset(&g, 0, sizeof g);
    g.r = r;
    g.ctx = cf_context(r);
    g.name = cf_golden_name(i);
    cf_begin(r, "%s", g.name);
    if (i < 0 || i >= cf_golden_count()) {
        cf_fail(r, "no golden file %d", i);
        cf_end(r);
        return;
    }
    const seqnn_embedded_file *f = &seqnn_golden_files[i];
    if (seqnn_safetensors_parse(f->data, f->size, 1, f->name, &g.st) != SEQNN_OK) {
        cf_fail(r, "%s", seqnn_last_error());
        cf_end(r);
        return;
    }
    const char *kind = seqnn_safetensors_metadata(g.st, "kind");
    size_t k;
    for (k = 0; k < sizeof golden_kinds / sizeof golden_kinds[0]; k++)
        if (kind && !strcmp(kind, golden_kinds[k].kind))
            break;
    if (k == sizeof golden_kinds / sizeof golden_kinds[0])
        cf_fail(r, "golden file %s: unknown kind '%s'", f->name, kind ? kind : "(none)");
    else
        golden_kinds[k].run(&g);
    for (int b = 0; b < g.n_bufs; b++)
        seqnn_buffer_free(g.ctx, g.bufs[b]);
    for (int h = 0; h < g.n_host; h++)
        free(g.host[h]);
    seqnn_safetensors_close(g.st);
    cf_end(r);
}

/* Kim (2014) convolution bank: one nn.Conv1d(E, filters, width) per width over
 * a time-major sequence [T, B, E] (read in place through conv1d's strides), an
 * activation, max over time (the windows inside each sequence when the batch
 * has lengths), and the pooled features of every width concatenated into [B,
 * n_widths * filters] (each width writes its slice of each row). Forward: one
 * conv1d_max_forward per width (conv, activation and max in one call, the [B,
 * L_out, F] activations never written), or, where no device has it (a plugin
 * of ABI 1.2 or older) or the plugin answers SEQNN_ERR_UNSUPPORTED (a device
 * that declines the call), conv1d_forward, act_forward and
 * maxpool(_lengths)_forward. Backward of the fused path: act_backward at the
 * maxima only ([B, n_widths * F], from the pre-activations the kernel kept),
 * then per width conv1d_max_backward (the conv's gradients from those maxima
 * alone), or, where no device has it or it answers SEQNN_ERR_UNSUPPORTED,
 * maxpool_backward's scatter and conv1d_backward; the same numbers as the
 * unfused path's act_backward over every position and conv1d_backward
 * (docs/kernels/conv.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "fe.h"

/* Per width i: conv output, activation output (unfused path only), the
 * gradient of the conv output, argmax. Every [B, Lout, F] tensor has element
 * (b, f, l) at b*Lout*F + l*F + f. Fused path: pre_max, the conv output at
 * each maximum, and g, the gradient there, both [B, n_widths*F] like L->y.
 * With lengths, row b of width w pools its valid windows only: valid[b] =
 * max(1, length - w + 1), a host scratch reused by every width. */
typedef struct conv_priv {
    fe_tensor pre[FE_MAX_WIDTHS], act[FE_MAX_WIDTHS], dact[FE_MAX_WIDTHS], argmax[FE_MAX_WIDTHS];
    fe_tensor pre_max, g;
    int fused;                           /* the last forward took the fused path */
    int unfused_only;                    /* the plugin answered UNSUPPORTED to the fused forward */
    int dense_only;                      /* ... to the fused backward (conv1d_max_backward) */
    int32_t *valid;
    int64_t valid_cap;
} conv_priv;

static void conv_destroy(seqnn_model *m, fe_layer *L)
{
    conv_priv *p = L->priv;
    if (!p)
        return;
    for (int i = 0; i < FE_MAX_WIDTHS; i++) {
        fe_tensor_free(m, &p->pre[i]);
        fe_tensor_free(m, &p->act[i]);
        fe_tensor_free(m, &p->dact[i]);
        fe_tensor_free(m, &p->argmax[i]);
    }
    fe_tensor_free(m, &p->pre_max);
    fe_tensor_free(m, &p->g);
    free(p->valid);
    free(p);
    L->priv = NULL;
}

static seqnn_status conv_build(seqnn_model *m, fe_layer *L)
{
    FE_TRY(fe_need_floats(L));
    if (!L->in.seq)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "a conv1d bank reads a sequence [T, B, E]; its input is [B, %lld]",
                               (long long)L->in.n);
    if (L->conv.n_widths < 1 || L->conv.n_widths > FE_MAX_WIDTHS)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "a conv1d bank needs 1 to %d widths", FE_MAX_WIDTHS);
    conv_priv *p = calloc(1, sizeof *p);
    if (!p)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    L->priv = p;
    int64_t E = L->in.n, F = L->conv.filters;
    for (int i = 0; i < L->conv.n_widths; i++) {
        int64_t w = L->conv.widths[i];
        double bound = 1.0 / sqrt((double)(E * w));  /* nn.Conv1d's default: fan_in = E*w */
        int64_t ws[3] = {F, E, w}, bs[1] = {F};
        char name[32];
        snprintf(name, sizeof name, "%d.weight", i);
        FE_TRY(fe_param_new(m, L, name, 3, ws, FE_INIT_UNIFORM, bound, NULL));
        snprintf(name, sizeof name, "%d.bias", i);
        FE_TRY(fe_param_new(m, L, name, 1, bs, FE_INIT_UNIFORM, bound, NULL));
    }
    /* The bank's API has no slope: leaky relu uses nn.LeakyReLU's default. */
    L->conv.alpha = L->conv.act == SEQNN_ACT_LEAKY_RELU ? 0.01 : 0.0;
    L->out.seq = 0;
    L->out.tokens = 0;
    L->out.n = (int64_t)L->conv.n_widths * F;
    return SEQNN_OK;
}

/* Conv arguments of width i: x [T, B, E] time-major, y = pre[i] [B, Lout, F]. */
static seqnn_conv1d_args conv_args(const seqnn_model *m, const fe_layer *L, int i, const fe_tensor *x,
                                   int64_t T)
{
    int64_t B = m->B, E = L->in.n, F = L->conv.filters, w = L->conv.widths[i], lout = T - w + 1;
    conv_priv *p = L->priv;
    seqnn_conv1d_args a = {.batch = B, .in_channels = E, .out_channels = F, .in_len = T, .kernel_size = w,
                           .stride = 1, .padding = 0, .dilation = 1,
                           .x = fe_at(x, 0), .x_sb = E, .x_sc = 1, .x_sl = B * E,
                           .weight = fe_param_ref(m, L->param0 + 2 * i),
                           .bias = fe_param_ref(m, L->param0 + 2 * i + 1),
                           .y = fe_at(&p->pre[i], 0), .y_sb = lout * F, .y_sc = 1, .y_sl = F};
    return a;
}

/* Max-over-time arguments of width i: x = act[i] [B, F, Lout] (strided),
 * y = the i-th F-column slice of L->y [B, n_widths*F]. */
static seqnn_maxpool_args pool_args(const seqnn_model *m, const fe_layer *L, int i, int64_t T)
{
    int64_t F = L->conv.filters, lout = T - L->conv.widths[i] + 1;
    conv_priv *p = L->priv;
    seqnn_maxpool_args a = {.batch = m->B, .channels = F, .len = lout, .x = fe_at(&p->act[i], 0),
                            .x_sb = lout * F, .x_sc = 1, .x_sl = F,
                            .y = fe_at(&L->y, i * F), .y_sb = L->conv.n_widths * F, .y_sc = 1,
                            .argmax = fe_at(&p->argmax[i], 0)};
    return a;
}

/* Windows of width w that lie inside each sequence (at least the first, so
 * every sequence has a max), or NULL when the batch has no lengths. */
static seqnn_status valid_windows(conv_priv *p, const int32_t *len, int64_t B, int64_t w, const int32_t **out)
{
    *out = NULL;
    if (!len)
        return SEQNN_OK;
    if (B > p->valid_cap) {
        int32_t *v = realloc(p->valid, (size_t)B * sizeof *v);
        if (!v)
            return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
        p->valid = v;
        p->valid_cap = B;
    }
    for (int64_t b = 0; b < B; b++)
        p->valid[b] = len[b] - w + 1 < 1 ? 1 : (int32_t)(len[b] - w + 1);
    *out = p->valid;
    return SEQNN_OK;
}

/* Width i in one call: conv, activation and max over time (valid windows
 * only). SEQNN_ERR_UNSUPPORTED when the plugin lacks or declines the kernel. */
static seqnn_status conv_forward_fused(seqnn_model *m, fe_layer *L, int i, const fe_tensor *x, int64_t T,
                                       const int32_t *valid)
{
    conv_priv *p = L->priv;
    int64_t F = L->conv.filters;
    seqnn_conv1d_max_args a = {.conv = conv_args(m, L, i, x, T), .act = (int32_t)L->conv.act,
                               .alpha = L->conv.alpha, .y = fe_at(&L->y, i * F),
                               .y_sb = L->conv.n_widths * F, .y_sc = 1, .pre = fe_at(&p->pre_max, i * F),
                               .argmax = fe_at(&p->argmax[i], 0), .lengths = valid};
    a.conv.y = (seqnn_tref){0};
    return seqnn_conv1d_max_forward(m->ctx, &a);
}

/* Width i in three calls: conv into pre[i], activation into act[i], max over
 * time (without lengths the plain kernel, which plugins of ABI 1.0 have). */
static seqnn_status conv_forward_unfused(seqnn_model *m, fe_layer *L, int i, const fe_tensor *x, int64_t T,
                                         const int32_t *valid)
{
    conv_priv *p = L->priv;
    int64_t B = m->B, F = L->conv.filters, lout = T - L->conv.widths[i] + 1, n = B * lout * F;
    FE_TRY(fe_tensor_ensure(m, &p->pre[i], B * lout, F));
    FE_TRY(fe_tensor_ensure(m, &p->act[i], B * lout, F));
    seqnn_conv1d_args c = conv_args(m, L, i, x, T);
    FE_TRY(seqnn_conv1d_forward(m->ctx, &c));
    seqnn_act_args a = {.kind = L->conv.act, .alpha = L->conv.alpha, .n = n, .x = fe_at(&p->pre[i], 0),
                        .y = fe_at(&p->act[i], 0)};
    FE_TRY(seqnn_act_forward(m->ctx, &a));
    seqnn_maxpool_lengths_args mp = {.pool = pool_args(m, L, i, T), .lengths = valid};
    if (mp.lengths)
        return seqnn_maxpool_lengths_forward(m->ctx, &mp);
    return seqnn_maxpool_forward(m->ctx, &mp.pool);
}

static seqnn_status conv_forward(seqnn_model *m, fe_layer *L, const fe_tensor *x, int train)
{
    (void)train;
    conv_priv *p = L->priv;
    int64_t T = fe_steps(m, L), B = m->B, F = L->conv.filters;
    const int32_t *len = fe_lengths(m, L);
    for (int i = 0; i < L->conv.n_widths; i++)
        if (T < L->conv.widths[i])
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                                   "the batch has %lld steps, fewer than the filter width %lld "
                                   "(pad the batch to at least the widest filter)",
                                   (long long)T, (long long)L->conv.widths[i]);
    FE_TRY(fe_tensor_ensure(m, &L->y, B, L->conv.n_widths * F));
    /* (asked first, so that a plan of the calls sees the path taken) */
    p->fused = !p->unfused_only && seqnn_kernel_available(m->ctx, SEQNN_KERNEL_conv1d_max_forward);
    if (p->fused)
        FE_TRY(fe_tensor_ensure(m, &p->pre_max, B, L->conv.n_widths * F));
    for (int i = 0; i < L->conv.n_widths; i++) {
        const int32_t *valid = NULL;
        FE_TRY(fe_tensor_ensure_i32(m, &p->argmax[i], B, F));
        FE_TRY(valid_windows(p, len, B, L->conv.widths[i], &valid));
        if (p->fused) {
            seqnn_status st = conv_forward_fused(m, L, i, x, T, valid);
            if (st != SEQNN_ERR_UNSUPPORTED) {
                FE_TRY(st);
                continue;
            }
            /* from now on the three calls, every width alike (the backward
             * follows one path): start again from the first width */
            p->fused = 0;
            p->unfused_only = 1;
            i = -1;
            continue;
        }
        FE_TRY(conv_forward_unfused(m, L, i, x, T, valid));
    }
    return SEQNN_OK;
}

/* dact[i] = the gradient of width i's conv output [B, Lout, F]: dy placed
 * at each argmax, 0 elsewhere, through the activation (its derivative at
 * every position, unfused; at the maxima only, fused: g). */
static seqnn_status conv_backward_dact(seqnn_model *m, fe_layer *L, int i, int64_t T)
{
    conv_priv *p = L->priv;
    int64_t B = m->B, F = L->conv.filters, lout = T - L->conv.widths[i] + 1, n = B * lout * F;
    FE_TRY(fe_tensor_ensure(m, &p->dact[i], B * lout, F));
    seqnn_maxpool_args mp = pool_args(m, L, i, T);
    mp.dy = fe_at(p->fused ? &p->g : &L->dy, i * F);
    mp.dx = fe_at(&p->dact[i], 0);
    mp.flags = SEQNN_FLAG_OVERWRITE;
    FE_TRY(seqnn_maxpool_backward(m->ctx, &mp));
    if (p->fused)
        return SEQNN_OK;
    /* through the activation, in place */
    seqnn_act_args a = {.kind = L->conv.act, .alpha = L->conv.alpha, .n = n, .x = fe_at(&p->pre[i], 0),
                        .y = fe_at(&p->act[i], 0), .dy = fe_at(&p->dact[i], 0),
                        .dx = fe_at(&p->dact[i], 0), .flags = SEQNN_FLAG_OVERWRITE};
    return seqnn_act_backward(m->ctx, &a);
}

/* Width i's conv gradients from g at its maxima in one call (the zeros of
 * the scattered gradient skipped); SEQNN_ERR_UNSUPPORTED (nothing written)
 * when the plugin lacks or declines the kernel. */
static seqnn_status conv_backward_sparse(seqnn_model *m, fe_layer *L, int i, const fe_tensor *x, fe_tensor *dx,
                                         int64_t T)
{
    conv_priv *p = L->priv;
    int64_t F = L->conv.filters;
    seqnn_conv1d_max_args a = {.conv = conv_args(m, L, i, x, T), .y_sb = L->conv.n_widths * F, .y_sc = 1,
                               .argmax = fe_at(&p->argmax[i], 0), .dy = fe_at(&p->g, i * F)};
    a.conv.y = (seqnn_tref){0};
    if (dx)
        a.conv.dx = fe_at(dx, 0);
    a.conv.dweight = fe_grad_ref(m, L->param0 + 2 * i);
    a.conv.dbias = fe_grad_ref(m, L->param0 + 2 * i + 1);
    return seqnn_conv1d_max_backward(m->ctx, &a);
}

static seqnn_status conv_backward(seqnn_model *m, fe_layer *L, const fe_tensor *x, fe_tensor *dx)
{
    conv_priv *p = L->priv;
    int64_t T = fe_steps(m, L), B = m->B, NF = L->conv.n_widths * L->conv.filters;
    if (dx)                              /* every width adds its part */
        FE_TRY(fe_tensor_zero(m, dx));
    if (p->fused) {
        /* g = dy * f'(pre) at the maxima of every width at once */
        FE_TRY(fe_tensor_ensure(m, &p->g, B, NF));
        seqnn_act_args a = {.kind = L->conv.act, .alpha = L->conv.alpha, .n = B * NF,
                            .x = fe_at(&p->pre_max, 0), .y = fe_at(&L->y, 0), .dy = fe_at(&L->dy, 0),
                            .dx = fe_at(&p->g, 0), .flags = SEQNN_FLAG_OVERWRITE};
        FE_TRY(seqnn_act_backward(m->ctx, &a));
    }
    for (int i = 0; i < L->conv.n_widths; i++) {
        if (p->fused && !p->dense_only && seqnn_kernel_available(m->ctx, SEQNN_KERNEL_conv1d_max_backward)) {
            seqnn_status st = conv_backward_sparse(m, L, i, x, dx, T);
            if (st != SEQNN_ERR_UNSUPPORTED) {
                FE_TRY(st);
                continue;
            }
            p->dense_only = 1;           /* from now on the scatter and conv1d_backward */
        }
        FE_TRY(conv_backward_dact(m, L, i, T));
        /* dx += conv^T(dact), dW += ..., db += ... */
        seqnn_conv1d_args c = conv_args(m, L, i, x, T);
        c.y.buf = NULL;
        c.dy = fe_at(&p->dact[i], 0);
        if (dx)
            c.dx = fe_at(dx, 0);
        c.dweight = fe_grad_ref(m, L->param0 + 2 * i);
        c.dbias = fe_grad_ref(m, L->param0 + 2 * i + 1);
        FE_TRY(seqnn_conv1d_backward(m->ctx, &c));
    }
    return SEQNN_OK;
}

const fe_layer_ops fe_conv1d_bank_ops = {
    .kind = "conv1d_bank",
    .build = conv_build,
    .forward = conv_forward,
    .backward = conv_backward,
    .destroy = conv_destroy,
};

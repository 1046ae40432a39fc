/* `seqnn bench`, our side: sets up a case's buffers and arguments on one
 * plugin through the public API (deterministic values, filled in chunks),
 * runs it to completion (seqnn_sync), and times it within the --budget. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"
#include "bench_data.h"
#include "bench_timer.h"
#include "seqnn/seqnn.h"

typedef struct ours {
    seqnn_context *ctx;
    const bench_case *c;
    seqnn_buffer *bufs[BENCH_MAX_BUFS];
    int nbufs;
    seqnn_status st;
    /* gemm */
    seqnn_gemm_args gemm;
    /* rnn: per (layer, direction) */
    seqnn_rnn_args rnn[BENCH_MAX_LAYERS * 2];
    int nrnn;
    /* conv bank */
    seqnn_conv1d_args conv[BENCH_MAX_WIDTHS];
    seqnn_maxpool_args pool[BENCH_MAX_WIDTHS];
    int conv_fused;                      /* the plugin has conv1d_max_forward and _backward */
    /* attention */
    seqnn_attention_args attn;
    /* optimizers */
    seqnn_adam_args adam;
    seqnn_sgd_args sgd;
    seqnn_sumsq_args sumsq;
    seqnn_clip_args clip;
    seqnn_dropout_args dropout;
    int64_t step;
} ours;

static seqnn_buffer *ours_buf(ours *o, seqnn_dtype dt, int64_t count, unsigned seed, float scale)
{
    seqnn_buffer *b = NULL;
    if (o->st != SEQNN_OK || o->nbufs >= BENCH_MAX_BUFS)
        return NULL;
    if (count < 1)
        count = 1;
    o->st = seqnn_buffer_alloc(o->ctx, dt, count, &b);
    if (o->st != SEQNN_OK)
        return NULL;
    o->bufs[o->nbufs++] = b;
    if (dt == SEQNN_F32)
        o->st = bench_fill_uniform(o->ctx, b, count, seed, scale);
    else
        o->st = seqnn_buffer_fill(o->ctx, b, 0, count, 0.0);
    return b;
}

static void ours_free(ours *o)
{
    for (int i = 0; i < o->nbufs; i++)
        seqnn_buffer_free(o->ctx, o->bufs[i]);
    o->nbufs = 0;
}

static void ours_setup_rnn(ours *o, const bench_case *c)
{
    seqnn_cell cell = !strcmp(c->name, "lstm") ? SEQNN_CELL_LSTM
                      : !strcmp(c->name, "gru") ? SEQNN_CELL_GRU
                                                : SEQNN_CELL_RNN_TANH;
    int64_t G = seqnn_cell_gates(cell), D = c->bidir ? 2 : 1, H = c->hidden, T = c->seq, B = c->batch;
    seqnn_buffer *x = ours_buf(o, SEQNN_F32, T * B * c->input, 1, 1.0f);
    seqnn_buffer *dx = c->train ? ours_buf(o, SEQNN_F32, T * B * c->input, 2, 1.0f) : NULL;
    seqnn_buffer *prev_y = x, *prev_dy = dx;
    unsigned seed = 10;
    o->nrnn = 0;
    for (int64_t l = 0; l < c->layers && o->st == SEQNN_OK; l++) {
        int64_t in = l == 0 ? c->input : D * H;
        seqnn_buffer *y = ours_buf(o, SEQNN_F32, T * B * D * H, seed++, 0.1f);
        seqnn_buffer *dy = c->train ? ours_buf(o, SEQNN_F32, T * B * D * H, seed++, 0.1f) : NULL;
        for (int64_t d = 0; d < D && o->st == SEQNN_OK; d++) {
            seqnn_rnn_args *a = &o->rnn[o->nrnn++];
            memset(a, 0, sizeof *a);
            a->cell = cell;
            a->seq_len = T;
            a->batch = B;
            a->input_size = in;
            a->hidden_size = H;
            a->reverse = (int)d;
            a->x = seqnn_at(prev_y, 0);
            a->ldx = in;
            float ws = (float)(1.0 / sqrt((double)H));
            a->w_ih = seqnn_at(ours_buf(o, SEQNN_F32, G * H * in, seed++, ws), 0);
            a->w_hh = seqnn_at(ours_buf(o, SEQNN_F32, G * H * H, seed++, ws), 0);
            a->b_ih = seqnn_at(ours_buf(o, SEQNN_F32, G * H, seed++, ws), 0);
            a->b_hh = seqnn_at(ours_buf(o, SEQNN_F32, G * H, seed++, ws), 0);
            a->y = seqnn_at(y, d * H);
            a->ldy = D * H;
            if (c->train) {
                a->reserve = seqnn_at(ours_buf(o, SEQNN_F32, seqnn_rnn_reserve_count(cell, T, B, H), 0, 0.0f), 0);
                a->dy = seqnn_at(dy, d * H);
                a->dx = seqnn_at(prev_dy, 0);
                a->dw_ih = seqnn_at(ours_buf(o, SEQNN_F32, G * H * in, 0, 0.0f), 0);
                a->dw_hh = seqnn_at(ours_buf(o, SEQNN_F32, G * H * H, 0, 0.0f), 0);
                a->db_ih = seqnn_at(ours_buf(o, SEQNN_F32, G * H, 0, 0.0f), 0);
                a->db_hh = seqnn_at(ours_buf(o, SEQNN_F32, G * H, 0, 0.0f), 0);
                /* the first direction writes dx, the second adds to it (weight gradients:
                 * each direction its own; accumulating as a training loop between zero_grads) */
                a->flags = d == 0 ? SEQNN_FLAG_OVERWRITE : 0;
            }
        }
        prev_y = y;
        prev_dy = dy;
    }
}

static void ours_setup_conv(ours *o, const bench_case *c)
{
    int64_t B = c->batch, T = c->seq, E = c->embed, F = c->filters, NW = c->nwidths;
    seqnn_buffer *x = ours_buf(o, SEQNN_F32, B * T * E, 1, 0.1f);
    seqnn_buffer *dx = c->train ? ours_buf(o, SEQNN_F32, B * T * E, 2, 0.0f) : NULL;
    seqnn_buffer *pooled = ours_buf(o, SEQNN_F32, B * NW * F, 3, 0.0f);
    seqnn_buffer *dpooled = c->train ? ours_buf(o, SEQNN_F32, B * NW * F, 4, 1.0f) : NULL;
    for (int i = 0; i < c->nwidths && o->st == SEQNN_OK; i++) {
        int64_t K = c->widths[i], L = T - K + 1;
        seqnn_conv1d_args *a = &o->conv[i];
        memset(a, 0, sizeof *a);
        a->batch = B;
        a->in_channels = E;
        a->out_channels = F;
        a->in_len = T;
        a->kernel_size = K;
        a->stride = 1;
        a->dilation = 1;
        a->x = seqnn_at(x, 0);
        a->x_sb = T * E;
        a->x_sc = c->channels_last ? 1 : T;
        a->x_sl = c->channels_last ? E : 1;
        a->weight = seqnn_at(ours_buf(o, SEQNN_F32, F * E * K, 10u + (unsigned)i, 0.05f), 0);
        a->bias = seqnn_at(ours_buf(o, SEQNN_F32, F, 20u + (unsigned)i, 0.05f), 0);
        seqnn_buffer *y = ours_buf(o, SEQNN_F32, B * F * L, 0, 0.0f);
        a->y = seqnn_at(y, 0);
        a->y_sb = F * L;
        a->y_sc = L;
        a->y_sl = 1;
        seqnn_maxpool_args *p = &o->pool[i];
        memset(p, 0, sizeof *p);
        p->batch = B;
        p->channels = F;
        p->len = L;
        p->x = a->y;
        p->x_sb = F * L;
        p->x_sc = L;
        p->x_sl = 1;
        p->y = seqnn_at(pooled, i * F);
        p->y_sb = NW * F;
        p->y_sc = 1;
        p->argmax = seqnn_at(ours_buf(o, SEQNN_I32, B * F, 0, 0.0f), 0);
        if (c->train) {
            seqnn_buffer *dy = ours_buf(o, SEQNN_F32, B * F * L, 0, 0.0f);
            p->dy = seqnn_at(dpooled, i * F);
            p->dx = seqnn_at(dy, 0);
            p->flags = SEQNN_FLAG_OVERWRITE;
            a->dy = seqnn_at(dy, 0);
            a->dx = seqnn_at(dx, 0);
            a->dweight = seqnn_at(ours_buf(o, SEQNN_F32, F * E * K, 0, 0.0f), 0);
            a->dbias = seqnn_at(ours_buf(o, SEQNN_F32, F, 0, 0.0f), 0);
            a->flags = i == 0 ? SEQNN_FLAG_OVERWRITE : 0;   /* dx: written by the first width, summed after */
        }
    }
}

static void ours_setup_attention(ours *o, const bench_case *c)
{
    int64_t B = c->batch, h = c->heads, T = c->seq, d = c->dim, n = B * h * T * d;
    seqnn_attention_args *a = &o->attn;
    memset(a, 0, sizeof *a);
    a->score = SEQNN_SCORE_SCALED_DOT;
    a->batch = B;
    a->heads = h;
    a->q_len = a->k_len = T;
    a->q_dim = a->k_dim = a->v_dim = d;
    a->q = seqnn_at(ours_buf(o, SEQNN_F32, n, 1, 1.0f), 0);
    a->k = seqnn_at(ours_buf(o, SEQNN_F32, n, 2, 1.0f), 0);
    a->v = seqnn_at(ours_buf(o, SEQNN_F32, n, 3, 1.0f), 0);
    a->out = seqnn_at(ours_buf(o, SEQNN_F32, n, 0, 0.0f), 0);
    a->q_sb = a->k_sb = a->v_sb = a->o_sb = h * T * d;
    a->q_sh = a->k_sh = a->v_sh = a->o_sh = T * d;
    a->q_st = a->k_st = a->v_st = a->o_st = d;
    if (c->train) {
        /* the backward needs the weights the forward wrote */
        a->weights = seqnn_at(ours_buf(o, SEQNN_F32, B * h * T * T, 0, 0.0f), 0);
        a->dout = seqnn_at(ours_buf(o, SEQNN_F32, n, 4, 1.0f), 0);
        a->dq = seqnn_at(ours_buf(o, SEQNN_F32, n, 0, 0.0f), 0);
        a->dk = seqnn_at(ours_buf(o, SEQNN_F32, n, 0, 0.0f), 0);
        a->dv = seqnn_at(ours_buf(o, SEQNN_F32, n, 0, 0.0f), 0);
        a->flags = SEQNN_FLAG_OVERWRITE;
    }
}

static void ours_setup_optim(ours *o, const bench_case *c)
{
    int64_t n = c->params;
    seqnn_buffer *p = ours_buf(o, SEQNN_F32, n, 1, 0.1f), *g = ours_buf(o, SEQNN_F32, n, 2, 0.01f);
    if (!strcmp(c->name, "adam")) {
        seqnn_adam_args *a = &o->adam;
        memset(a, 0, sizeof *a);
        a->n = n;
        a->param = seqnn_at(p, 0);
        a->grad = seqnn_at(g, 0);
        a->exp_avg = seqnn_at(ours_buf(o, SEQNN_F32, n, 0, 0.0f), 0);
        a->exp_avg_sq = seqnn_at(ours_buf(o, SEQNN_F32, n, 0, 0.0f), 0);
        a->lr = 1e-3;
        a->beta1 = 0.9;
        a->beta2 = 0.999;
        a->eps = 1e-8;
    } else if (!strcmp(c->name, "sgd")) {
        seqnn_sgd_args *a = &o->sgd;
        memset(a, 0, sizeof *a);
        a->n = n;
        a->param = seqnn_at(p, 0);
        a->grad = seqnn_at(g, 0);
        a->momentum_buf = seqnn_at(ours_buf(o, SEQNN_F32, n, 0, 0.0f), 0);
        a->lr = 1e-3;
        a->momentum = 0.9;
    } else if (!strcmp(c->name, "dropout")) {   /* p, g as x, dy; the main job's p */
        seqnn_dropout_args *a = &o->dropout;
        memset(a, 0, sizeof *a);
        a->n = n;
        a->p = 0.1;
        a->seed = 1;
        a->x = seqnn_at(p, 0);
        a->y = seqnn_at(ours_buf(o, SEQNN_F32, n, 0, 0.0f), 0);
        a->dy = seqnn_at(g, 0);
        a->dx = seqnn_at(ours_buf(o, SEQNN_F32, n, 0, 0.0f), 0);
        a->flags = SEQNN_FLAG_OVERWRITE;
    } else {
        seqnn_buffer *r = ours_buf(o, SEQNN_F32, 1, 0, 0.0f);
        memset(&o->sumsq, 0, sizeof o->sumsq);
        o->sumsq.n = n;
        o->sumsq.x = seqnn_at(g, 0);
        o->sumsq.result = seqnn_at(r, 0);
        o->sumsq.flags = SEQNN_FLAG_OVERWRITE;
        memset(&o->clip, 0, sizeof o->clip);
        o->clip.n = n;
        o->clip.x = seqnn_at(g, 0);
        o->clip.sumsq = seqnn_at(r, 0);
        o->clip.max_norm = 1.0;
    }
}

static seqnn_status ours_setup(ours *o, seqnn_context *ctx, const bench_case *c)
{
    memset(o, 0, sizeof *o);
    o->ctx = ctx;
    o->c = c;
    switch (c->op) {
    case OP_GEMM:
        o->gemm.m = c->m;
        o->gemm.n = c->n;
        o->gemm.k = c->k;
        o->gemm.alpha = 1.0;
        o->gemm.a = seqnn_at(ours_buf(o, SEQNN_F32, c->m * c->k, 1, 1.0f), 0);
        o->gemm.lda = c->k;
        o->gemm.b = seqnn_at(ours_buf(o, SEQNN_F32, c->k * c->n, 2, 1.0f), 0);
        o->gemm.ldb = c->n;
        o->gemm.c = seqnn_at(ours_buf(o, SEQNN_F32, c->m * c->n, 0, 0.0f), 0);
        o->gemm.ldc = c->n;
        o->gemm.batch = 1;
        break;
    case OP_RNN: ours_setup_rnn(o, c); break;
    case OP_CONV:
        ours_setup_conv(o, c);
        o->conv_fused = seqnn_kernel_available(o->ctx, SEQNN_KERNEL_conv1d_max_forward) &&
                        seqnn_kernel_available(o->ctx, SEQNN_KERNEL_conv1d_max_backward);
        break;
    case OP_ATTENTION: ours_setup_attention(o, c); break;
    case OP_OPTIM: ours_setup_optim(o, c); break;
    case OP_MODEL: break;                /* cli/bench_model.c */
    }
    return o->st;
}

/* one iteration, completed (seqnn_sync) */
static seqnn_status ours_run(ours *o)
{
    const bench_case *c = o->c;
    seqnn_status st = SEQNN_OK;
    switch (c->op) {
    case OP_GEMM:
        st = seqnn_gemm(o->ctx, &o->gemm);
        break;
    case OP_RNN:
        for (int i = 0; i < o->nrnn && st == SEQNN_OK; i++) {
            seqnn_rnn_args f = o->rnn[i];
            f.flags = 0;                 /* the flags are the backward's */
            st = seqnn_rnn_forward(o->ctx, &f);
        }
        for (int i = o->nrnn - 1; c->train && i >= 0 && st == SEQNN_OK; i--) {
            /* layers backwards; within a layer the direction that writes dx first */
            int j = c->bidir ? (i % 2 ? i - 1 : i + 1) : i;
            st = seqnn_rnn_backward(o->ctx, &o->rnn[j]);
        }
        break;
    case OP_CONV:
        for (int i = 0; i < c->nwidths && st == SEQNN_OK; i++) {
            seqnn_conv1d_args f = o->conv[i];
            seqnn_maxpool_args pf = o->pool[i];
            f.flags = pf.flags = 0;      /* the flags are the backward's */
            if (o->conv_fused) {         /* conv and max over time in one call (ABI 1.3) */
                seqnn_conv1d_max_args fm = {.conv = f, .act = SEQNN_CONV_MAX_NO_ACT, .y = pf.y, .y_sb = pf.y_sb,
                                            .y_sc = pf.y_sc, .argmax = pf.argmax};
                fm.conv.y = (seqnn_tref){0};
                st = seqnn_conv1d_max_forward(o->ctx, &fm);
                continue;
            }
            st = seqnn_conv1d_forward(o->ctx, &f);
            if (st == SEQNN_OK)
                st = seqnn_maxpool_forward(o->ctx, &pf);
        }
        for (int i = 0; c->train && i < c->nwidths && st == SEQNN_OK; i++) {
            if (o->conv_fused) {         /* the conv's gradients from the maxima alone */
                const seqnn_maxpool_args *p = &o->pool[i];
                seqnn_conv1d_max_args bm = {.conv = o->conv[i], .y_sb = p->y_sb, .y_sc = p->y_sc,
                                            .argmax = p->argmax, .dy = p->dy, .flags = o->conv[i].flags};
                bm.conv.flags = 0;
                st = seqnn_conv1d_max_backward(o->ctx, &bm);
                continue;
            }
            st = seqnn_maxpool_backward(o->ctx, &o->pool[i]);
            if (st == SEQNN_OK)
                st = seqnn_conv1d_backward(o->ctx, &o->conv[i]);
        }
        break;
    case OP_ATTENTION: {
        seqnn_attention_args f = o->attn;
        f.flags = 0;
        st = seqnn_attention_forward(o->ctx, &f);
        if (st == SEQNN_OK && c->train)
            st = seqnn_attention_backward(o->ctx, &o->attn);
        break;
    }
    case OP_OPTIM:
        o->step++;
        if (!strcmp(c->name, "adam")) {
            o->adam.step = o->step;
            st = seqnn_adam_step(o->ctx, &o->adam);
        } else if (!strcmp(c->name, "sgd")) {
            o->sgd.step = o->step;
            st = seqnn_sgd_step(o->ctx, &o->sgd);
        } else if (!strcmp(c->name, "dropout")) {   /* a fresh mask each run */
            seqnn_dropout_args f = o->dropout;
            o->dropout.offset = f.offset = (uint64_t)o->step * (uint64_t)o->dropout.n;
            f.flags = 0;                 /* the flag is backward's */
            st = seqnn_dropout_forward(o->ctx, &f);
            if (st == SEQNN_OK)
                st = seqnn_dropout_backward(o->ctx, &o->dropout);
        } else {
            st = seqnn_sumsq(o->ctx, &o->sumsq);
            if (st == SEQNN_OK)
                st = seqnn_clip_scale(o->ctx, &o->clip);
        }
        break;
    case OP_MODEL:
        break;
    }
    if (st == SEQNN_OK)
        st = seqnn_sync(o->ctx);
    return st;
}

/* Times one plugin on the case; -1 (with r->note) when it cannot. */
int bench_run_plugin(const char *plugin, const bench_case *c, const bench_opts *o, bench_result *r)
{
    if (c->op == OP_MODEL)
        return bench_model_run_plugin(plugin, c, o, r);
    seqnn_context *ctx = NULL;
    seqnn_status st = seqnn_context_create(plugin, &ctx);
    if (st != SEQNN_OK) {
        snprintf(r->note, sizeof r->note, "%s", seqnn_last_error());
        return -1;
    }
    seqnn_device_record dev;
    if (seqnn_context_device(ctx, &dev) == SEQNN_OK)
        snprintf(r->isa, sizeof r->isa, "seqnn %.32s plugin: %.400s", dev.plugin_name, dev.name);
    ours *w = calloc(1, sizeof *w);
    if (!w) {
        seqnn_context_destroy(ctx);
        snprintf(r->note, sizeof r->note, "out of memory");
        return -1;
    }
    st = ours_setup(w, ctx, c);
    double warm = 0;
    for (int i = 0; i < o->warmup && st == SEQNN_OK; i++) {
        double t0 = bench_now(0);
        st = ours_run(w);
        warm = bench_now(0) - t0;
    }
    int reps = o->reps;
    if (st == SEQNN_OK && warm > 0 && warm * reps > o->budget) {
        reps = (int)(o->budget / warm);
        if (reps < 1)
            reps = 1;
        snprintf(r->note, sizeof r->note, "reps cut to %d by --budget %.0f s", reps, o->budget);
    }
    for (int rep = 0; rep < reps && st == SEQNN_OK && r->n < BENCH_MAX_SAMPLES; rep++) {
        double t0 = bench_now(o->cpu_clock);
        st = ours_run(w);
        r->samples[r->n++] = bench_now(o->cpu_clock) - t0;
    }
    if (st != SEQNN_OK) {
        snprintf(r->note, sizeof r->note, "%s: %s", seqnn_status_name(st), seqnn_context_error(ctx));
        r->n = 0;
    }
    ours_free(w);
    free(w);
    seqnn_context_destroy(ctx);
    return r->n > 0 ? 0 : -1;
}

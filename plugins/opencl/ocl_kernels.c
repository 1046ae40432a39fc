/* Host side of the element-wise, loss, embedding, dropout, optimizer and
 * clipping kernels (convolution and pooling: ocl_conv.c): argument marshalling for
 * the kernels/ .cl files and, for reductions, the partial-then-final launches. */
#include <math.h>
#include <string.h>
#include "seqnn/philox.h"
#include "ocl.h"

/* ------------------------------------------------------------ elementwise */
seqnn_status ocl_k_bias_add(const seqnn_call *call, const seqnn_bias_args *a)
{
    ocl_launch L = ocl_begin(call, OCL_K_bias_add);
    ocl_arg_t(&L, a->y);
    ocl_arg_long(&L, a->ldy);
    ocl_arg_t(&L, a->b);
    ocl_arg_long(&L, a->rows);
    ocl_arg_long(&L, a->cols);
    return ocl_run(&L, a->rows * a->cols);
}

seqnn_status ocl_k_bias_backward(const seqnn_call *call, const seqnn_bias_args *a)
{
    return ocl_colsum(call, a->rows, a->cols, ocl_tref(a->dy), a->ldy, ocl_tref(a->db), OCL_ACC(a));
}

seqnn_status ocl_k_act_forward(const seqnn_call *call, const seqnn_act_args *a)
{
    ocl_launch L = ocl_begin(call, OCL_K_act_forward);
    ocl_arg_t(&L, a->x);
    ocl_arg_t(&L, a->y);
    ocl_arg_long(&L, a->n);
    ocl_arg_int(&L, (int)a->kind);
    ocl_arg_float(&L, a->alpha);
    return ocl_run(&L, a->n);
}

seqnn_status ocl_k_act_backward(const seqnn_call *call, const seqnn_act_args *a)
{
    ocl_launch L = ocl_begin(call, OCL_K_act_backward);
    ocl_arg_t(&L, a->x);
    ocl_arg_t(&L, a->y);
    ocl_arg_t(&L, a->dy);
    ocl_arg_t(&L, a->dx);
    ocl_arg_long(&L, a->n);
    ocl_arg_int(&L, (int)a->kind);
    ocl_arg_float(&L, a->alpha);
    ocl_arg_int(&L, OCL_ACC(a));
    return ocl_run(&L, a->n);
}

static seqnn_status ocl_ew(const seqnn_call *call, ocl_kernel_id id, const seqnn_ew_args *a)
{
    ocl_launch L = ocl_begin(call, id);
    ocl_arg_t(&L, a->x);
    if (id != OCL_K_ew_scale)
        ocl_arg_t(&L, a->y);
    ocl_arg_t(&L, a->z);
    ocl_arg_long(&L, a->n);
    ocl_arg_float(&L, a->alpha);
    if (id != OCL_K_ew_scale)
        ocl_arg_float(&L, a->beta);
    return ocl_run(&L, a->n);
}

seqnn_status ocl_k_add(const seqnn_call *call, const seqnn_ew_args *a)
{
    return ocl_ew(call, OCL_K_ew_add, a);
}

seqnn_status ocl_k_mul(const seqnn_call *call, const seqnn_ew_args *a)
{
    return ocl_ew(call, OCL_K_ew_mul, a);
}

seqnn_status ocl_k_scale(const seqnn_call *call, const seqnn_ew_args *a)
{
    return ocl_ew(call, OCL_K_ew_scale, a);
}

/* y[r, :cols] = x[r, :cols]: one work-item per element copied */
seqnn_status ocl_k_copy2d(const seqnn_call *call, const seqnn_copy2d_args *a)
{
    const int64_t n = a->rows * a->cols;
    if (n == 0)
        return SEQNN_OK;
    ocl_launch L = ocl_begin(call, OCL_K_copy2d);
    ocl_arg_t(&L, a->x);
    ocl_arg_long(&L, a->ldx);
    ocl_arg_t(&L, a->y);
    ocl_arg_long(&L, a->ldy);
    ocl_arg_long(&L, a->cols);
    ocl_arg_long(&L, n);
    return ocl_run(&L, n);
}

seqnn_status ocl_k_softmax_forward(const seqnn_call *call, const seqnn_softmax_args *a)
{
    ocl_launch L = ocl_begin(call, OCL_K_softmax_forward);
    ocl_arg_t(&L, a->x);
    ocl_arg_t(&L, a->y);
    ocl_arg_long(&L, a->cols);
    ocl_arg_int(&L, a->log);
    ocl_arg_local(&L);
    return ocl_run_groups(&L, a->rows, ocl_group_size(L.dev, L.id, a->cols));
}

seqnn_status ocl_k_softmax_backward(const seqnn_call *call, const seqnn_softmax_args *a)
{
    ocl_launch L = ocl_begin(call, OCL_K_softmax_backward);
    ocl_arg_t(&L, a->y);
    ocl_arg_t(&L, a->dy);
    ocl_arg_t(&L, a->dx);
    ocl_arg_long(&L, a->cols);
    ocl_arg_int(&L, a->log);
    ocl_arg_int(&L, OCL_ACC(a));
    ocl_arg_local(&L);
    return ocl_run_groups(&L, a->rows, ocl_group_size(L.dev, L.id, a->cols));
}

/* ------------------------------------------------------------------ losses */
/* ------------------------------------------------------------------ losses */
/* The cross-entropy's row losses (into losses when given, else scratch E)
 * and the counted rows' target weights (scratch F; 1 each without weights). */
static seqnn_status ocl_xent_ext_rows(const seqnn_call *call, const seqnn_xent_ext_args *a, ocl_ref *loss,
                                      ocl_ref *cnt)
{
    if (a->losses.buf)
        *loss = ocl_tref(a->losses);
    else
        OCL_TRY(ocl_scratch(call, OCL_S_E, (size_t)a->rows * 4, loss));
    OCL_TRY(ocl_scratch(call, OCL_S_F, (size_t)a->rows * 4, cnt));
    ocl_launch L = ocl_begin(call, OCL_K_xent_ext_rows);
    ocl_arg_t(&L, a->logits);
    ocl_arg_t(&L, a->target);
    ocl_arg_int(&L, a->ignore_index);
    ocl_arg_long(&L, a->cols);
    ocl_arg_t(&L, a->weight);
    ocl_arg_float(&L, a->smoothing);
    ocl_arg_ref(&L, *loss);
    ocl_arg_ref(&L, *cnt);
    ocl_arg_local(&L);
    return ocl_run_groups(&L, a->rows, ocl_group_size(L.dev, L.id, a->cols));
}

seqnn_status ocl_k_xent_ext_forward(const seqnn_call *call, const seqnn_xent_ext_args *a)
{
    const int none = a->reduction == SEQNN_REDUCE_NONE;
    if (a->rows <= 0)
        return none ? SEQNN_OK : ocl_fill(call, ocl_tref(a->loss), 1, 0);
    ocl_ref rl, rc, p1, p2;
    int64_t g1, g2;
    OCL_TRY(ocl_xent_ext_rows(call, a, &rl, &rc));
    if (none)
        return SEQNN_OK;
    OCL_TRY(ocl_reduce_partial(call, OCL_RED_PLAIN, rl, (ocl_ref){ NULL, -1 }, a->rows, OCL_S_G, &p1, &g1));
    OCL_TRY(ocl_reduce_partial(call, OCL_RED_PLAIN, rc, (ocl_ref){ NULL, -1 }, a->rows, OCL_S_H, &p2, &g2));
    ocl_launch L = ocl_begin(call, OCL_K_reduce_final_mean);
    ocl_arg_ref(&L, p1);
    ocl_arg_long(&L, g1);
    ocl_arg_ref(&L, p2);
    ocl_arg_long(&L, g2);
    ocl_arg_ref(&L, ocl_tref(a->loss));
    ocl_arg_int(&L, a->reduction == SEQNN_REDUCE_MEAN);
    ocl_arg_local(&L);
    return ocl_run_groups(&L, 1, ocl_group_size(L.dev, L.id, g1 > g2 ? g1 : g2));
}

seqnn_status ocl_k_xent_ext_backward(const seqnn_call *call, const seqnn_xent_ext_args *a)
{
    if (a->rows <= 0)
        return SEQNN_OK;
    ocl_ref divisor = { NULL, -1 };
    if (a->reduction == SEQNN_REDUCE_MEAN) {
        /* W, the counted rows' target weights, on the device: no round trip */
        ocl_ref rl, rc, p;
        int64_t g;
        seqnn_xent_ext_args rows = *a;
        rows.losses = (seqnn_tref){ NULL, 0 };   /* the backward writes dlogits only */
        OCL_TRY(ocl_xent_ext_rows(call, &rows, &rl, &rc));
        OCL_TRY(ocl_reduce_partial(call, OCL_RED_PLAIN, rc, (ocl_ref){ NULL, -1 }, a->rows, OCL_S_G, &p, &g));
        OCL_TRY(ocl_scratch(call, OCL_S_H, 4, &divisor));
        OCL_TRY(ocl_reduce_final(call, p, g, divisor, 1.0, 0));
    }
    ocl_launch L = ocl_begin(call, OCL_K_xent_ext_backward);
    ocl_arg_t(&L, a->logits);
    ocl_arg_t(&L, a->target);
    ocl_arg_int(&L, a->ignore_index);
    ocl_arg_long(&L, a->cols);
    ocl_arg_t(&L, a->weight);
    ocl_arg_float(&L, a->smoothing);
    ocl_arg_ref(&L, divisor);
    ocl_arg_t(&L, a->reduction == SEQNN_REDUCE_NONE ? a->dlosses : (seqnn_tref){ NULL, 0 });
    ocl_arg_float(&L, a->dloss);
    ocl_arg_t(&L, a->dlogits);
    ocl_arg_int(&L, OCL_ACC(a));
    ocl_arg_local(&L);
    return ocl_run_groups(&L, a->rows, ocl_group_size(L.dev, L.id, a->cols));
}

/* xent is xent_ext without weights or smoothing: the same kernels */
static seqnn_xent_ext_args ocl_xent_as_ext(const seqnn_xent_args *a)
{
    seqnn_xent_ext_args e;
    memset(&e, 0, sizeof e);
    e.rows = a->rows;
    e.cols = a->cols;
    e.logits = a->logits;
    e.target = a->target;
    e.ignore_index = a->ignore_index;
    e.reduction = a->reduction;
    e.loss = a->loss;
    e.dloss = a->dloss;
    e.dlogits = a->dlogits;
    e.flags = a->flags;
    return e;
}

seqnn_status ocl_k_xent_forward(const seqnn_call *call, const seqnn_xent_args *a)
{
    seqnn_xent_ext_args e = ocl_xent_as_ext(a);
    return ocl_k_xent_ext_forward(call, &e);
}

seqnn_status ocl_k_xent_backward(const seqnn_call *call, const seqnn_xent_args *a)
{
    seqnn_xent_ext_args e = ocl_xent_as_ext(a);
    return ocl_k_xent_ext_backward(call, &e);
}

static seqnn_status ocl_loss_forward(const seqnn_call *call, int mode, const seqnn_loss_args *a)
{
    ocl_ref out = ocl_tref(a->loss);
    if (a->n <= 0)
        return ocl_fill(call, out, 1, 0);
    ocl_ref p;
    int64_t g;
    OCL_TRY(ocl_reduce_partial(call, mode, ocl_tref(a->x), ocl_tref(a->target), a->n, OCL_S_G, &p, &g));
    return ocl_reduce_final(call, p, g, out, a->reduction == SEQNN_REDUCE_MEAN ? (double)a->n : 1.0, 0);
}

static seqnn_status ocl_loss_backward(const seqnn_call *call, int mode, const seqnn_loss_args *a)
{
    double count = a->reduction == SEQNN_REDUCE_MEAN ? (double)a->n : 1.0;
    ocl_launch L = ocl_begin(call, OCL_K_loss_backward);
    ocl_arg_int(&L, mode);
    ocl_arg_t(&L, a->x);
    ocl_arg_t(&L, a->target);
    ocl_arg_t(&L, a->dx);
    ocl_arg_long(&L, a->n);
    ocl_arg_float(&L, a->dloss / (count > 0 ? count : 1.0));
    ocl_arg_int(&L, OCL_ACC(a));
    return ocl_run(&L, a->n);
}

seqnn_status ocl_k_mse_forward(const seqnn_call *call, const seqnn_loss_args *a)
{
    return ocl_loss_forward(call, OCL_RED_MSE, a);
}

seqnn_status ocl_k_mse_backward(const seqnn_call *call, const seqnn_loss_args *a)
{
    return ocl_loss_backward(call, OCL_RED_MSE, a);
}

seqnn_status ocl_k_bce_forward(const seqnn_call *call, const seqnn_loss_args *a)
{
    return ocl_loss_forward(call, OCL_RED_BCE, a);
}

seqnn_status ocl_k_bce_backward(const seqnn_call *call, const seqnn_loss_args *a)
{
    return ocl_loss_backward(call, OCL_RED_BCE, a);
}

/* ------------------------------------------------------- embedding, dropout */
seqnn_status ocl_k_embedding_forward(const seqnn_call *call, const seqnn_embedding_args *a)
{
    ocl_launch L = ocl_begin(call, OCL_K_embedding_forward);
    ocl_arg_t(&L, a->idx);
    ocl_arg_t(&L, a->weight);
    ocl_arg_t(&L, a->y);
    ocl_arg_long(&L, a->ldy);
    ocl_arg_long(&L, a->n);
    ocl_arg_long(&L, a->vocab);
    ocl_arg_long(&L, a->dim);
    return ocl_run(&L, a->n * a->dim);
}

seqnn_status ocl_k_embedding_backward(const seqnn_call *call, const seqnn_embedding_args *a)
{
    if (a->dim <= 0 || a->vocab <= 0)
        return SEQNN_OK;
    ocl_device *dev = ocl_dev(call);
    /* vocabulary split into parts so that dim*parts items fill the device */
    int64_t items = (int64_t)dev->compute_units * (int64_t)dev->wg[OCL_K_embedding_backward] * 4;
    int64_t parts = items / a->dim;
    if (parts < 1)
        parts = 1;
    if (parts > a->vocab)
        parts = a->vocab;
    int64_t chunk = (a->vocab + parts - 1) / parts;
    parts = (a->vocab + chunk - 1) / chunk;
    ocl_launch L = ocl_begin(call, OCL_K_embedding_backward);
    ocl_arg_t(&L, a->idx);
    ocl_arg_t(&L, a->dy);
    ocl_arg_long(&L, a->ldy);
    ocl_arg_t(&L, a->dweight);
    ocl_arg_long(&L, a->n);
    ocl_arg_long(&L, a->vocab);
    ocl_arg_long(&L, a->dim);
    ocl_arg_int(&L, a->padding_idx);
    ocl_arg_long(&L, chunk);
    ocl_arg_long(&L, parts);
    return ocl_run(&L, parts * a->dim);
}

/* Work items of a dropout call: one per Philox block (four stream positions)
 * that holds one of its elements. */
static int64_t dropout_blocks(const seqnn_dropout_args *a)
{
    return a->n > 0 ? ((int64_t)(a->offset & 3) + a->n + 3) / 4 : 0;
}

seqnn_status ocl_k_dropout_forward(const seqnn_call *call, const seqnn_dropout_args *a)
{
    ocl_launch L = ocl_begin(call, OCL_K_dropout_forward);
    ocl_arg_t(&L, a->x);
    ocl_arg_t(&L, a->y);
    ocl_arg_long(&L, a->n);
    ocl_arg_ulong(&L, a->seed);
    ocl_arg_ulong(&L, a->offset);
    ocl_arg_uint(&L, seqnn_dropout_threshold(a->p));
    ocl_arg_float(&L, 1.0 - a->p);
    return ocl_run(&L, dropout_blocks(a));
}

seqnn_status ocl_k_dropout_backward(const seqnn_call *call, const seqnn_dropout_args *a)
{
    ocl_launch L = ocl_begin(call, OCL_K_dropout_backward);
    ocl_arg_t(&L, a->dy);
    ocl_arg_t(&L, a->dx);
    ocl_arg_long(&L, a->n);
    ocl_arg_ulong(&L, a->seed);
    ocl_arg_ulong(&L, a->offset);
    ocl_arg_uint(&L, seqnn_dropout_threshold(a->p));
    ocl_arg_float(&L, 1.0 - a->p);
    ocl_arg_int(&L, OCL_ACC(a));
    return ocl_run(&L, dropout_blocks(a));
}

/* ------------------------------------------------------------- optimizers */
seqnn_status ocl_k_sgd_step(const seqnn_call *call, const seqnn_sgd_args *a)
{
    ocl_launch L = ocl_begin(call, OCL_K_sgd_step);
    ocl_arg_t(&L, a->param);
    ocl_arg_t(&L, a->grad);
    ocl_arg_t(&L, a->momentum_buf);
    ocl_arg_long(&L, a->n);
    ocl_arg_float(&L, a->lr);
    ocl_arg_float(&L, a->momentum);
    ocl_arg_float(&L, 1.0 - a->dampening);
    ocl_arg_float(&L, a->weight_decay);
    ocl_arg_int(&L, a->nesterov);
    ocl_arg_int(&L, a->step <= 1);
    return ocl_run(&L, a->n);
}

seqnn_status ocl_k_rmsprop_step(const seqnn_call *call, const seqnn_rmsprop_args *a)
{
    ocl_launch L = ocl_begin(call, OCL_K_rmsprop_step);
    ocl_arg_t(&L, a->param);
    ocl_arg_t(&L, a->grad);
    ocl_arg_t(&L, a->square_avg);
    ocl_arg_t(&L, a->momentum_buf);
    ocl_arg_t(&L, a->grad_avg);
    ocl_arg_long(&L, a->n);
    ocl_arg_float(&L, a->lr);
    ocl_arg_float(&L, a->alpha);
    ocl_arg_float(&L, 1.0 - a->alpha);
    ocl_arg_float(&L, a->eps);
    ocl_arg_float(&L, a->weight_decay);
    ocl_arg_float(&L, a->momentum);
    ocl_arg_int(&L, a->centered);
    return ocl_run(&L, a->n);
}

seqnn_status ocl_k_adam_step(const seqnn_call *call, const seqnn_adam_args *a)
{
    double bc1 = 1.0 - pow(a->beta1, (double)a->step);
    double bc2 = 1.0 - pow(a->beta2, (double)a->step);
    ocl_launch L = ocl_begin(call, OCL_K_adam_step);
    ocl_arg_t(&L, a->param);
    ocl_arg_t(&L, a->grad);
    ocl_arg_t(&L, a->exp_avg);
    ocl_arg_t(&L, a->exp_avg_sq);
    ocl_arg_t(&L, a->max_exp_avg_sq);
    ocl_arg_long(&L, a->n);
    ocl_arg_float(&L, a->lr);
    ocl_arg_float(&L, a->beta1);
    ocl_arg_float(&L, a->beta2);
    ocl_arg_float(&L, 1.0 - a->beta1);
    ocl_arg_float(&L, 1.0 - a->beta2);
    ocl_arg_float(&L, a->eps);
    ocl_arg_float(&L, a->weight_decay);
    ocl_arg_int(&L, a->decoupled);
    ocl_arg_int(&L, a->amsgrad);
    ocl_arg_float(&L, a->lr / bc1);
    ocl_arg_float(&L, sqrt(bc2));
    return ocl_run(&L, a->n);
}

seqnn_status ocl_k_adagrad_step(const seqnn_call *call, const seqnn_adagrad_args *a)
{
    ocl_launch L = ocl_begin(call, OCL_K_adagrad_step);
    ocl_arg_t(&L, a->param);
    ocl_arg_t(&L, a->grad);
    ocl_arg_t(&L, a->sum);
    ocl_arg_long(&L, a->n);
    ocl_arg_float(&L, a->lr / (1.0 + (double)(a->step - 1) * a->lr_decay));
    ocl_arg_float(&L, a->weight_decay);
    ocl_arg_float(&L, a->eps);
    return ocl_run(&L, a->n);
}

/* ------------------------------------------------------- gradient clipping */
seqnn_status ocl_k_sumsq(const seqnn_call *call, const seqnn_sumsq_args *a)
{
    int acc = OCL_ACC(a);
    ocl_ref out = ocl_tref(a->result);
    if (a->n <= 0)
        return acc ? SEQNN_OK : ocl_fill(call, out, 1, 0);
    ocl_ref p;
    int64_t g;
    OCL_TRY(ocl_reduce_partial(call, OCL_RED_SQUARE, ocl_tref(a->x), (ocl_ref){ NULL, -1 }, a->n,
                               OCL_S_G, &p, &g));
    return ocl_reduce_final(call, p, g, out, 1.0, acc);
}

seqnn_status ocl_k_clip_scale(const seqnn_call *call, const seqnn_clip_args *a)
{
    ocl_launch L = ocl_begin(call, OCL_K_clip_scale);
    ocl_arg_t(&L, a->x);
    ocl_arg_t(&L, a->sumsq);
    ocl_arg_long(&L, a->n);
    ocl_arg_float(&L, a->max_norm);
    return ocl_run(&L, a->n);
}

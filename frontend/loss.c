/* Cross-entropy options of a model: class weights and label smoothing
 * (torch.nn.CrossEntropyLoss's weight and label_smoothing), run through the
 * xent_ext kernels, and the per-row losses of an evaluation. train.c calls
 * it for XENT models whose options need more than xent_forward/backward. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fe.h"

seqnn_status seqnn_model_set_xent_options(seqnn_model *m, const seqnn_xent_options *o)
{
    if (!m || !o)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_set_xent_options: NULL argument");
    if (!isfinite(o->label_smoothing) || o->label_smoothing < 0 || o->label_smoothing > 1)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "cross-entropy: label smoothing %g must be in [0, 1]",
                               o->label_smoothing);
    if (o->n_weights < 0 || (o->n_weights > 0) != (o->class_weights != NULL))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "cross-entropy: class_weights and n_weights must be given together");
    for (int64_t i = 0; i < o->n_weights; i++)
        if (!isfinite(o->class_weights[i]) || o->class_weights[i] < 0)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                                   "cross-entropy: class weight %lld is %g; weights must be finite and >= 0",
                                   (long long)i, (double)o->class_weights[i]);
    float *w = NULL;
    if (o->n_weights > 0) {
        w = malloc((size_t)o->n_weights * sizeof *w);
        if (!w)
            return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "cross-entropy: out of memory");
        memcpy(w, o->class_weights, (size_t)o->n_weights * sizeof *w);
    }
    free(m->xent.weights);
    m->xent.weights = w;
    m->xent.n_weights = o->n_weights;
    m->xent.smoothing = o->label_smoothing;
    m->xent.wdev_stale = 1;
    return SEQNN_OK;
}

int fe_xent_ext_active(const seqnn_model *m)
{
    return m->xent.weights != NULL || m->xent.smoothing != 0;
}

void fe_loss_release(seqnn_model *m)
{
    if (m->ctx) {
        fe_tensor_free(m, &m->xent.wdev);
        fe_tensor_free(m, &m->xent.losses);
    }
    free(m->xent.weights);
    m->xent.weights = NULL;
}

/* The arguments of the last layer's cross-entropy: weights uploaded when
 * they changed (their count checked against the output's classes). */
static seqnn_status xent_ext_args(seqnn_model *m, seqnn_xent_ext_args *a)
{
    const fe_layer *L = &m->layers[m->n_layers - 1];
    memset(a, 0, sizeof *a);
    a->rows = L->y.rows;
    a->cols = L->y.cols;
    a->logits = fe_at(&L->y, 0);
    a->target = fe_at(&m->targets, 0);
    a->ignore_index = SEQNN_IGNORE_INDEX;
    a->reduction = SEQNN_REDUCE_MEAN;
    a->smoothing = m->xent.smoothing;
    if (!m->xent.weights)
        return SEQNN_OK;
    if (m->xent.n_weights != L->y.cols)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "cross-entropy: %lld class weights given, the output has %lld classes",
                               (long long)m->xent.n_weights, (long long)L->y.cols);
    if (m->xent.wdev_stale || !m->xent.wdev.buf) {
        FE_TRY(fe_tensor_ensure(m, &m->xent.wdev, 1, m->xent.n_weights));
        FE_TRY(seqnn_buffer_write(m->ctx, m->xent.wdev.buf, 0, m->xent.weights, m->xent.n_weights));
        m->xent.wdev_stale = 0;
    }
    a->weight = fe_at(&m->xent.wdev, 0);
    return SEQNN_OK;
}

seqnn_status fe_xent_ext_forward(seqnn_model *m, seqnn_tref loss, int per_row)
{
    seqnn_xent_ext_args a;
    FE_TRY(xent_ext_args(m, &a));
    a.loss = loss;
    if (per_row) {
        FE_TRY(fe_tensor_ensure(m, &m->xent.losses, a.rows, 1));
        a.losses = fe_at(&m->xent.losses, 0);
    }
    return seqnn_xent_ext_forward(m->ctx, &a);
}

seqnn_status fe_xent_ext_backward(seqnn_model *m, seqnn_tref dlogits)
{
    seqnn_xent_ext_args a;
    FE_TRY(xent_ext_args(m, &a));
    a.dloss = 1.0;
    a.dlogits = dlogits;
    a.flags = SEQNN_FLAG_OVERWRITE;
    return seqnn_xent_ext_backward(m->ctx, &a);
}

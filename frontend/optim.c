/* Optimizers of a model: defaults and checks of the hyperparameters, a new
 * learning rate that keeps the optimizer's state, the
 * state slots each optimizer keeps (named as PyTorch's state_dict names them,
 * the checkpoint suffixes), and one update step over the flat parameter
 * buffer. A leaf of the frontend: model.c and train.c call it. */
#include <math.h>
#include <string.h>
#include "fe.h"

seqnn_optim_desc seqnn_optim_defaults(seqnn_optim_kind kind)
{
    seqnn_optim_desc o;
    memset(&o, 0, sizeof o);
    o.kind = kind;
    switch (kind) {
    case SEQNN_OPTIM_SGD: o.lr = 0.01; break;
    case SEQNN_OPTIM_RMSPROP: o.lr = 0.01; o.alpha = 0.99; o.eps = 1e-8; break;
    case SEQNN_OPTIM_ADAM: o.lr = 0.001; o.beta1 = 0.9; o.beta2 = 0.999; o.eps = 1e-8; break;
    case SEQNN_OPTIM_ADAGRAD: o.lr = 0.01; o.eps = 1e-10; break;
    default: break;
    }
    return o;
}

static seqnn_status optim_check(const seqnn_optim_desc *o)
{
    if ((int)o->kind < 0 || o->kind >= SEQNN_OPTIM_COUNT)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "optimizer: unknown kind %d", (int)o->kind);
    const double v[] = {o->lr, o->momentum, o->dampening, o->alpha, o->beta1, o->beta2, o->lr_decay,
                        o->eps, o->weight_decay, o->clip_norm};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (!isfinite(v[i]) || v[i] < 0)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                                   "optimizer: every hyperparameter must be finite and >= 0");
    if (!(o->lr > 0))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "optimizer: lr must be > 0");
    if (o->kind == SEQNN_OPTIM_ADAM && (o->beta1 >= 1 || o->beta2 >= 1))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "optimizer: Adam's betas must be in [0, 1)");
    if (o->kind == SEQNN_OPTIM_RMSPROP && o->alpha > 1)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "optimizer: RMSprop's alpha must be in [0, 1]");
    if (o->kind == SEQNN_OPTIM_SGD && o->nesterov && (o->momentum <= 0 || o->dampening != 0))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "optimizer: Nesterov momentum needs momentum > 0 and dampening 0");
    return SEQNN_OK;
}

seqnn_status seqnn_model_set_learning_rate(seqnn_model *m, double lr)
{
    if (!m)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_set_learning_rate: model is NULL");
    if (!isfinite(lr) || !(lr > 0))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "learning rate %g must be finite and > 0", lr);
    m->optim.lr = lr;                    /* state slots and step count stay */
    return SEQNN_OK;
}

seqnn_status seqnn_model_set_optimizer(seqnn_model *m, const seqnn_optim_desc *o)
{
    if (!m || !o)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_set_optimizer: NULL argument");
    FE_TRY(optim_check(o));
    seqnn_optim_desc desc = *o;
    if (!m->built && !m->ctx) {          /* a description: kept for build */
        m->optim = desc;
        return SEQNN_OK;
    }
    const char *names[3] = {NULL, NULL, NULL};
    int n = 0;
    switch (desc.kind) {
    case SEQNN_OPTIM_SGD:
        if (desc.momentum > 0)
            names[n++] = "momentum_buffer";
        break;
    case SEQNN_OPTIM_RMSPROP:
        names[n++] = "square_avg";
        if (desc.momentum > 0)
            names[n++] = "momentum_buffer";
        if (desc.centered)
            names[n++] = "grad_avg";
        break;
    case SEQNN_OPTIM_ADAM:
        names[n++] = "exp_avg";
        names[n++] = "exp_avg_sq";
        if (desc.amsgrad)
            names[n++] = "max_exp_avg_sq";
        break;
    case SEQNN_OPTIM_ADAGRAD: names[n++] = "sum"; break;
    default: break;
    }
    fe_optim_slot slots[3];
    memset(slots, 0, sizeof slots);
    seqnn_status s = SEQNN_OK;
    for (int i = 0; i < n && s == SEQNN_OK && m->total > 0; i++) {
        slots[i].name = names[i];
        s = seqnn_buffer_alloc(m->ctx, SEQNN_F32, m->total, &slots[i].buf);
        if (s == SEQNN_OK)
            s = seqnn_buffer_fill(m->ctx, slots[i].buf, 0, m->total, 0.0);
    }
    if (s != SEQNN_OK) {
        for (int i = 0; i < n; i++)
            if (slots[i].buf)
                seqnn_buffer_free(m->ctx, slots[i].buf);
        return s;
    }
    for (int i = 0; i < m->n_slots; i++)
        if (m->slots[i].buf)
            seqnn_buffer_free(m->ctx, m->slots[i].buf);
    memcpy(m->slots, slots, sizeof slots);
    m->n_slots = m->total > 0 ? n : 0;
    m->optim = desc;
    m->step = 0;
    return SEQNN_OK;
}

/* The whole state slot called name (a NULL buffer if the optimizer has none). */
static seqnn_tref slot(const seqnn_model *m, const char *name)
{
    for (int i = 0; i < m->n_slots; i++)
        if (!strcmp(m->slots[i].name, name))
            return seqnn_at(m->slots[i].buf, 0);
    return seqnn_at(NULL, 0);
}

seqnn_status fe_optim_step(seqnn_model *m, int64_t step)
{
    const seqnn_optim_desc *o = &m->optim;
    const double lr = fe_schedule_lr(m, step);     /* the base o->lr, scheduled */
    seqnn_tref p = seqnn_at(m->pbuf, 0), g = seqnn_at(m->gbuf, 0);
    seqnn_tref none = {NULL, 0};
    switch (o->kind) {
    case SEQNN_OPTIM_SGD: {
        seqnn_sgd_args a = {.n = m->total, .param = p, .grad = g,
                            .momentum_buf = o->momentum > 0 ? slot(m, "momentum_buffer") : none,
                            .lr = lr, .momentum = o->momentum, .dampening = o->dampening,
                            .weight_decay = o->weight_decay, .nesterov = o->nesterov, .step = step};
        return seqnn_sgd_step(m->ctx, &a);
    }
    case SEQNN_OPTIM_RMSPROP: {
        seqnn_rmsprop_args a = {.n = m->total, .param = p, .grad = g, .square_avg = slot(m, "square_avg"),
                                .momentum_buf = o->momentum > 0 ? slot(m, "momentum_buffer") : none,
                                .grad_avg = o->centered ? slot(m, "grad_avg") : none,
                                .lr = lr, .alpha = o->alpha, .eps = o->eps, .weight_decay = o->weight_decay,
                                .momentum = o->momentum, .centered = o->centered};
        return seqnn_rmsprop_step(m->ctx, &a);
    }
    case SEQNN_OPTIM_ADAM: {
        seqnn_adam_args a = {.n = m->total, .param = p, .grad = g, .exp_avg = slot(m, "exp_avg"),
                             .exp_avg_sq = slot(m, "exp_avg_sq"),
                             .max_exp_avg_sq = o->amsgrad ? slot(m, "max_exp_avg_sq") : none,
                             .lr = lr, .beta1 = o->beta1, .beta2 = o->beta2, .eps = o->eps,
                             .weight_decay = o->weight_decay, .decoupled = o->decoupled,
                             .amsgrad = o->amsgrad, .step = step};
        return seqnn_adam_step(m->ctx, &a);
    }
    case SEQNN_OPTIM_ADAGRAD: {
        seqnn_adagrad_args a = {.n = m->total, .param = p, .grad = g, .sum = slot(m, "sum"),
                                .lr = lr, .lr_decay = o->lr_decay, .weight_decay = o->weight_decay,
                                .eps = o->eps, .step = step};
        return seqnn_adagrad_step(m->ctx, &a);
    }
    default:
        return seqnn_set_error(NULL, SEQNN_ERR_INTERNAL, "unknown optimizer");
    }
}

int64_t seqnn_model_step_count(const seqnn_model *m)
{
    return m ? m->step : 0;
}

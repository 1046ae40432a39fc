/* Template kernels, optimizer family: one step of SGD, RMSprop, Adam/AdamW
 * and Adagrad (torch.optim's formulas), and the two halves of clip-by-norm
 * (sumsq, clip_scale). Contracts: seqnn/kernels.h (seqnn_*_args of this
 * family). Each element is updated in double and stored as float. */
#include <math.h>
#include "../template.h"

/* grad + wd * param (PyTorch's L2 weight decay, skipped when wd is 0) */
static double tpl_decayed(const float *grad, const float *p, int64_t i, double wd)
{
    return wd != 0 ? grad[i] + wd * p[i] : grad[i];
}

seqnn_status tpl_sgd_step(const seqnn_call *call, const seqnn_sgd_args *a)
{
    (void)call;
    float *p = TPL_F(a->param);                             /* [n] */
    const float *grad = TPL_F(a->grad);                     /* [n] */
    float *buf = a->momentum != 0 ? TPL_F(a->momentum_buf) : NULL;   /* [n] */
    for (int64_t i = 0; i < a->n; i++) {
        double g = tpl_decayed(grad, p, i, a->weight_decay);
        if (buf) {
            /* step 1 starts the buffer at g (its old contents are not read) */
            double m = a->step == 1 ? g : a->momentum * buf[i] + (1 - a->dampening) * g;
            buf[i] = (float)m;
            g = a->nesterov ? g + a->momentum * m : m;
        }
        p[i] = (float)(p[i] - a->lr * g);
    }
    return SEQNN_OK;
}

seqnn_status tpl_rmsprop_step(const seqnn_call *call, const seqnn_rmsprop_args *a)
{
    (void)call;
    float *p = TPL_F(a->param), *sq = TPL_F(a->square_avg);          /* [n] */
    const float *grad = TPL_F(a->grad);                              /* [n] */
    float *buf = a->momentum > 0 ? TPL_F(a->momentum_buf) : NULL;    /* [n] */
    float *ga = a->centered ? TPL_F(a->grad_avg) : NULL;             /* [n] */
    for (int64_t i = 0; i < a->n; i++) {
        double g = tpl_decayed(grad, p, i, a->weight_decay);
        double s = a->alpha * sq[i] + (1 - a->alpha) * g * g;
        double var = s;
        sq[i] = (float)s;
        if (ga) {
            double m = a->alpha * ga[i] + (1 - a->alpha) * g;
            ga[i] = (float)m;
            var = s - m * m;
        }
        double avg = sqrt(var) + a->eps;
        if (buf) {
            double m = a->momentum * buf[i] + g / avg;
            buf[i] = (float)m;
            p[i] = (float)(p[i] - a->lr * m);
        } else {
            p[i] = (float)(p[i] - a->lr * g / avg);
        }
    }
    return SEQNN_OK;
}

seqnn_status tpl_adam_step(const seqnn_call *call, const seqnn_adam_args *a)
{
    (void)call;
    float *p = TPL_F(a->param), *m = TPL_F(a->exp_avg), *v = TPL_F(a->exp_avg_sq);   /* [n] */
    const float *grad = TPL_F(a->grad);                                             /* [n] */
    float *vmax = a->amsgrad ? TPL_F(a->max_exp_avg_sq) : NULL;                     /* [n] */
    const double bc1 = 1 - pow(a->beta1, (double)a->step), bc2 = 1 - pow(a->beta2, (double)a->step);
    for (int64_t i = 0; i < a->n; i++) {
        double pi = p[i];
        if (a->decoupled)
            pi *= 1 - a->lr * a->weight_decay;        /* AdamW: decay first */
        double g = tpl_decayed(grad, p, i, a->decoupled ? 0 : a->weight_decay);
        double mi = a->beta1 * m[i] + (1 - a->beta1) * g;
        double vi = a->beta2 * v[i] + (1 - a->beta2) * g * g;
        m[i] = (float)mi;
        v[i] = (float)vi;
        if (vmax) {
            /* torch.maximum: NaN if either is NaN */
            vi = (vmax[i] > vi || isnan(vmax[i])) ? vmax[i] : vi;
            vmax[i] = (float)vi;
        }
        p[i] = (float)(pi - a->lr / bc1 * mi / (sqrt(vi) / sqrt(bc2) + a->eps));
    }
    return SEQNN_OK;
}

seqnn_status tpl_adagrad_step(const seqnn_call *call, const seqnn_adagrad_args *a)
{
    (void)call;
    float *p = TPL_F(a->param), *sum = TPL_F(a->sum);       /* [n] */
    const float *grad = TPL_F(a->grad);                     /* [n] */
    const double clr = a->lr / (1 + (double)(a->step - 1) * a->lr_decay);
    for (int64_t i = 0; i < a->n; i++) {
        double g = tpl_decayed(grad, p, i, a->weight_decay);
        double s = sum[i] + g * g;
        sum[i] = (float)s;
        p[i] = (float)(p[i] - clr * g / (sqrt(s) + a->eps));
    }
    return SEQNN_OK;
}

/* result[0] (+)= sum x^2 */
seqnn_status tpl_sumsq(const seqnn_call *call, const seqnn_sumsq_args *a)
{
    (void)call;
    const float *x = TPL_F(a->x);        /* [n] */
    tpl_store(TPL_F(a->result), tpl_dot(x, 1, x, 1, a->n), TPL_ACC(a));
    return SEQNN_OK;
}

/* x *= min(1, max_norm / (sqrt(sumsq) + 1e-6)), the norm read on the device */
seqnn_status tpl_clip_scale(const seqnn_call *call, const seqnn_clip_args *a)
{
    (void)call;
    float *x = TPL_F(a->x);              /* [n] */
    double coef = a->max_norm / (sqrt(TPL_F(a->sumsq)[0]) + 1e-6);
    if (coef > 1)
        coef = 1;
    for (int64_t i = 0; i < a->n; i++)
        x[i] = (float)(x[i] * coef);
    return SEQNN_OK;
}

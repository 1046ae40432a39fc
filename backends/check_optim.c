/* Argument checks of the optimizer family (sgd, rmsprop, adam, adagrad
 * steps, sumsq, clip_scale), run by the core before a plugin sees the call:
 * n, flags, step, hyper-parameter ranges (those torch.optim enforces, plus
 * finiteness), boolean options, the state tensors each option needs, and that
 * parameters, gradients and state are distinct (include/seqnn/kernels.h,
 * docs/kernels/optim.md). */
#include <float.h>
#include "check.h"

/* a finite value >= 0 */
static seqnn_status optim_check_nonneg(const seqnn_checker *c, const char *name, double v)
{
    return seqnn_check_range(c, name, v, 0.0, DBL_MAX);
}

/* a finite value in [0, 1) (Adam's betas) */
static seqnn_status optim_check_beta(const seqnn_checker *c, const char *name, double v)
{
    SEQNN_CHECK(seqnn_check_range(c, name, v, 0.0, 1.0));
    if (v == 1.0)
        return seqnn_check_fail(c, "%s = 1, must be in [0, 1)", name);
    return SEQNN_OK;
}

/* a boolean option: 0 or 1 */
static seqnn_status optim_check_bool(const seqnn_checker *c, const char *name, int v)
{
    if (v != 0 && v != 1)
        return seqnn_check_fail(c, "%s = %d, must be 0 or 1", name, v);
    return SEQNN_OK;
}

/* Tensors of one optimizer step: each [n] float32, required or optional as
 * given, and no two present ones sharing an element (every one is written or
 * read element-wise alongside the others). */
typedef struct optim_tensor {
    const char *name;
    seqnn_tref t;
    int required;
} optim_tensor;

static seqnn_status optim_check_tensors(const seqnn_checker *c, int64_t n,
                                        const optim_tensor *ts, int count)
{
    int i, j;
    for (i = 0; i < count; i++)
        SEQNN_CHECK(seqnn_check_tensor(c, ts[i].name, ts[i].t, SEQNN_F32, n, ts[i].required));
    for (i = 0; i < count; i++)
        for (j = i + 1; j < count; j++) {
            SEQNN_CHECK(seqnn_check_disjoint(c, ts[i].name, ts[i].t, n, ts[j].name, ts[j].t, n));
        }
    return SEQNN_OK;
}

/* n >= 0, no flags, and, where the optimizer counts steps, step >= 1 */
static seqnn_status optim_check_common(const seqnn_checker *c, int64_t n, uint32_t flags,
                                       int has_step, int64_t step)
{
    SEQNN_CHECK(seqnn_check_flags(c, flags, 0));
    SEQNN_CHECK(seqnn_check_min(c, "n", n, 0));
    if (has_step)
        SEQNN_CHECK(seqnn_check_min(c, "step", step, 1));
    return SEQNN_OK;
}

seqnn_status seqnn_check_sgd_step(const seqnn_checker *c, const seqnn_sgd_args *a)
{
    optim_tensor ts[3];
    SEQNN_CHECK(optim_check_common(c, a->n, a->flags, 1, a->step));
    SEQNN_CHECK(optim_check_nonneg(c, "lr", a->lr));
    SEQNN_CHECK(optim_check_nonneg(c, "momentum", a->momentum));
    SEQNN_CHECK(seqnn_check_range(c, "dampening", a->dampening, -DBL_MAX, DBL_MAX));
    SEQNN_CHECK(optim_check_nonneg(c, "weight_decay", a->weight_decay));
    SEQNN_CHECK(optim_check_bool(c, "nesterov", a->nesterov));
    /* torch.optim.SGD: "Nesterov momentum requires a momentum and zero dampening" */
    if (a->nesterov && (a->momentum <= 0 || a->dampening != 0))
        return seqnn_check_fail(c, "nesterov needs momentum > 0 (got %g) and dampening 0 (got %g)",
                                a->momentum, a->dampening);
    ts[0].name = "param"; ts[0].t = a->param; ts[0].required = 1;
    ts[1].name = "grad"; ts[1].t = a->grad; ts[1].required = 1;
    ts[2].name = "momentum_buf"; ts[2].t = a->momentum_buf; ts[2].required = a->momentum != 0;
    return optim_check_tensors(c, a->n, ts, 3);
}

seqnn_status seqnn_check_rmsprop_step(const seqnn_checker *c, const seqnn_rmsprop_args *a)
{
    optim_tensor ts[5];
    SEQNN_CHECK(optim_check_common(c, a->n, a->flags, 0, 0));
    SEQNN_CHECK(optim_check_nonneg(c, "lr", a->lr));
    SEQNN_CHECK(optim_check_nonneg(c, "alpha", a->alpha));
    SEQNN_CHECK(optim_check_nonneg(c, "eps", a->eps));
    SEQNN_CHECK(optim_check_nonneg(c, "weight_decay", a->weight_decay));
    SEQNN_CHECK(optim_check_nonneg(c, "momentum", a->momentum));
    SEQNN_CHECK(optim_check_bool(c, "centered", a->centered));
    ts[0].name = "param"; ts[0].t = a->param; ts[0].required = 1;
    ts[1].name = "grad"; ts[1].t = a->grad; ts[1].required = 1;
    ts[2].name = "square_avg"; ts[2].t = a->square_avg; ts[2].required = 1;
    ts[3].name = "momentum_buf"; ts[3].t = a->momentum_buf; ts[3].required = a->momentum != 0;
    ts[4].name = "grad_avg"; ts[4].t = a->grad_avg; ts[4].required = a->centered;
    return optim_check_tensors(c, a->n, ts, 5);
}

seqnn_status seqnn_check_adam_step(const seqnn_checker *c, const seqnn_adam_args *a)
{
    optim_tensor ts[5];
    SEQNN_CHECK(optim_check_common(c, a->n, a->flags, 1, a->step));
    SEQNN_CHECK(optim_check_nonneg(c, "lr", a->lr));
    SEQNN_CHECK(optim_check_beta(c, "beta1", a->beta1));
    SEQNN_CHECK(optim_check_beta(c, "beta2", a->beta2));
    SEQNN_CHECK(optim_check_nonneg(c, "eps", a->eps));
    SEQNN_CHECK(optim_check_nonneg(c, "weight_decay", a->weight_decay));
    SEQNN_CHECK(optim_check_bool(c, "decoupled", a->decoupled));
    SEQNN_CHECK(optim_check_bool(c, "amsgrad", a->amsgrad));
    ts[0].name = "param"; ts[0].t = a->param; ts[0].required = 1;
    ts[1].name = "grad"; ts[1].t = a->grad; ts[1].required = 1;
    ts[2].name = "exp_avg"; ts[2].t = a->exp_avg; ts[2].required = 1;
    ts[3].name = "exp_avg_sq"; ts[3].t = a->exp_avg_sq; ts[3].required = 1;
    ts[4].name = "max_exp_avg_sq"; ts[4].t = a->max_exp_avg_sq; ts[4].required = a->amsgrad;
    return optim_check_tensors(c, a->n, ts, 5);
}

seqnn_status seqnn_check_adagrad_step(const seqnn_checker *c, const seqnn_adagrad_args *a)
{
    optim_tensor ts[3];
    SEQNN_CHECK(optim_check_common(c, a->n, a->flags, 1, a->step));
    SEQNN_CHECK(optim_check_nonneg(c, "lr", a->lr));
    SEQNN_CHECK(optim_check_nonneg(c, "lr_decay", a->lr_decay));
    SEQNN_CHECK(optim_check_nonneg(c, "weight_decay", a->weight_decay));
    SEQNN_CHECK(optim_check_nonneg(c, "eps", a->eps));
    ts[0].name = "param"; ts[0].t = a->param; ts[0].required = 1;
    ts[1].name = "grad"; ts[1].t = a->grad; ts[1].required = 1;
    ts[2].name = "sum"; ts[2].t = a->sum; ts[2].required = 1;
    return optim_check_tensors(c, a->n, ts, 3);
}

/* The one-element tensor `name` is not one of x's n elements. */
static seqnn_status optim_check_scalar_apart(const seqnn_checker *c, const char *name,
                                            seqnn_tref scalar, seqnn_tref x, int64_t n)
{
    if (x.buf == scalar.buf && scalar.off >= x.off && scalar.off < x.off + n)
        return seqnn_check_fail(c, "%s overlaps x (element %lld of x's buffer)", name,
                                (long long)scalar.off);
    return SEQNN_OK;
}

seqnn_status seqnn_check_sumsq(const seqnn_checker *c, const seqnn_sumsq_args *a)
{
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, SEQNN_FLAG_OVERWRITE));
    SEQNN_CHECK(seqnn_check_min(c, "n", a->n, 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "x", a->x, SEQNN_F32, a->n, 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "result", a->result, SEQNN_F32, 1, 1));
    return optim_check_scalar_apart(c, "result", a->result, a->x, a->n);
}

seqnn_status seqnn_check_clip_scale(const seqnn_checker *c, const seqnn_clip_args *a)
{
    SEQNN_CHECK(optim_check_common(c, a->n, a->flags, 0, 0));
    SEQNN_CHECK(seqnn_check_range(c, "max_norm", a->max_norm, 0.0, DBL_MAX));
    if (a->max_norm == 0)
        return seqnn_check_fail(c, "max_norm = 0, must be > 0");
    SEQNN_CHECK(seqnn_check_tensor(c, "x", a->x, SEQNN_F32, a->n, 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "sumsq", a->sumsq, SEQNN_F32, 1, 1));
    return optim_check_scalar_apart(c, "sumsq", a->sumsq, a->x, a->n);
}

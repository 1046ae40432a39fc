/* Learning-rate schedules of a model (torch.optim.lr_scheduler's LinearLR
 * warm-up, StepLR, CosineAnnealingLR and ReduceLROnPlateau): defaults and
 * checks, the rate of each optimizer step, validation reports for
 * reduce-on-plateau, and the schedule's state as a checkpoint metadata line.
 * The rate is a function of the step count (saved in checkpoints) and of
 * the plateau state (saved here), so a resumed run continues the schedule. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "fe.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* In seqnn_lr_kind order. */
static const char *const sched_names[] = {"constant", "step", "cosine", "plateau"};

seqnn_lr_schedule seqnn_lr_schedule_defaults(seqnn_lr_kind kind)
{
    seqnn_lr_schedule s;
    memset(&s, 0, sizeof s);
    s.kind = kind;
    s.step_size = 1000;
    s.gamma = 0.1;
    s.cosine_steps = 10000;
    s.factor = 0.1;
    s.patience = 10;
    s.threshold = 1e-4;
    return s;
}

static seqnn_status sched_check(const seqnn_lr_schedule *s)
{
    if ((int)s->kind < 0 || s->kind >= SEQNN_LR_COUNT)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "lr schedule: unknown kind %d", (int)s->kind);
    const double v[] = {s->warmup_start, s->gamma, s->min_lr, s->factor, s->threshold};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (!isfinite(v[i]) || v[i] < 0)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "lr schedule: every value must be finite and >= 0");
    if (s->warmup_steps < 0 || s->warmup_start > 1)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "lr schedule: warm-up needs warmup_steps >= 0 and warmup_start in [0, 1]");
    if (s->kind == SEQNN_LR_STEP && (s->step_size < 1 || !(s->gamma > 0) || s->gamma > 1))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "lr schedule: step needs step_size >= 1 and gamma in (0, 1]");
    if (s->kind == SEQNN_LR_COSINE && s->cosine_steps < 1)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "lr schedule: cosine needs cosine_steps >= 1");
    if (s->kind == SEQNN_LR_PLATEAU && (!(s->factor > 0) || s->factor >= 1 || s->patience < 0))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "lr schedule: plateau needs factor in (0, 1) and patience >= 0");
    return SEQNN_OK;
}

/* the plateau state of a fresh schedule */
static void sched_reset(fe_schedule *f)
{
    f->plateau_best = INFINITY;
    f->plateau_bad = 0;
    f->plateau_scale = 1;
}

seqnn_status seqnn_model_set_lr_schedule(seqnn_model *m, const seqnn_lr_schedule *s)
{
    if (!m)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_set_lr_schedule: model is NULL");
    if (!s) {
        m->sched.set = 0;
        return SEQNN_OK;
    }
    FE_TRY(sched_check(s));
    m->sched.desc = *s;
    m->sched.set = 1;
    sched_reset(&m->sched);
    return SEQNN_OK;
}

double fe_schedule_lr(const seqnn_model *m, int64_t step)
{
    const fe_schedule *f = &m->sched;
    const seqnn_lr_schedule *s = &f->desc;
    const double base = m->optim.lr;
    if (!f->set)
        return base;
    double warm = 1, lr = base;
    if (step <= s->warmup_steps)
        warm = s->warmup_start + (1 - s->warmup_start) * (double)(step - 1) / (double)s->warmup_steps;
    int64_t after = step - s->warmup_steps;        /* decay steps, from 1 */
    if (after < 1)
        after = 1;
    switch (s->kind) {
    case SEQNN_LR_STEP:
        lr = base * pow(s->gamma, (double)((after - 1) / s->step_size));
        break;
    case SEQNN_LR_COSINE: {
        int64_t t = after - 1 < s->cosine_steps ? after - 1 : s->cosine_steps;
        lr = s->min_lr + (base - s->min_lr) * (1 + cos(M_PI * (double)t / (double)s->cosine_steps)) / 2;
        break;
    }
    case SEQNN_LR_PLATEAU:
        lr = fmax(base * f->plateau_scale, s->min_lr);
        break;
    default:
        break;
    }
    return warm * lr;
}

double seqnn_model_learning_rate(const seqnn_model *m)
{
    return m ? fe_schedule_lr(m, m->step + 1) : 0;
}

/* ReduceLROnPlateau (mode min, relative threshold): a loss below best * (1 -
 * threshold) is an improvement; more than patience validations without one
 * multiply the rate by factor (floored at min_lr) and start counting again. */
seqnn_status seqnn_model_report_validation(seqnn_model *m, double loss, int *reduced)
{
    if (!m)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_report_validation: model is NULL");
    if (reduced)
        *reduced = 0;
    fe_schedule *f = &m->sched;
    if (!f->set || f->desc.kind != SEQNN_LR_PLATEAU)
        return SEQNN_OK;
    if (isnan(loss))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_report_validation: the loss is NaN");
    if (loss < f->plateau_best * (1 - f->desc.threshold) || isinf(f->plateau_best)) {
        f->plateau_best = loss;
        f->plateau_bad = 0;
        return SEQNN_OK;
    }
    if (++f->plateau_bad > f->desc.patience) {
        if (m->optim.lr * f->plateau_scale > f->desc.min_lr) {
            f->plateau_scale *= f->desc.factor;
            if (reduced)
                *reduced = 1;
        }
        f->plateau_bad = 0;
    }
    return SEQNN_OK;
}

void fe_schedule_format(const seqnn_model *m, char *out, size_t size)
{
    const fe_schedule *f = &m->sched;
    const seqnn_lr_schedule *s = &f->desc;
    if (!f->set) {
        snprintf(out, size, "none");
        return;
    }
    snprintf(out, size,
             "%s warmup=%lld warmup_start=%.17g step_size=%lld gamma=%.17g cosine_steps=%lld min_lr=%.17g "
             "factor=%.17g patience=%lld threshold=%.17g best=%.17g bad=%lld scale=%.17g",
             sched_names[s->kind], (long long)s->warmup_steps, s->warmup_start, (long long)s->step_size, s->gamma,
             (long long)s->cosine_steps, s->min_lr, s->factor, (long long)s->patience, s->threshold,
             f->plateau_best, (long long)f->plateau_bad, f->plateau_scale);
}

seqnn_status fe_schedule_parse(seqnn_model *m, const char *text, const char *path)
{
    char kind[16];
    long long warm, step_size, cos_steps, patience, bad;
    seqnn_lr_schedule s;
    double best, scale;
    int k;
    if (!strcmp(text, "none")) {
        m->sched.set = 0;
        return SEQNN_OK;
    }
    memset(&s, 0, sizeof s);
    if (sscanf(text,
               "%15s warmup=%lld warmup_start=%lg step_size=%lld gamma=%lg cosine_steps=%lld min_lr=%lg "
               "factor=%lg patience=%lld threshold=%lg best=%lg bad=%lld scale=%lg",
               kind, &warm, &s.warmup_start, &step_size, &s.gamma, &cos_steps, &s.min_lr, &s.factor, &patience,
               &s.threshold, &best, &bad, &scale) != 13)
        return seqnn_set_error(NULL, SEQNN_ERR_FORMAT, "%s: metadata 'seqnn.lr_schedule' = '%s' is malformed", path,
                               text);
    for (k = 0; k < SEQNN_LR_COUNT && strcmp(kind, sched_names[k]); k++)
        ;
    s.kind = (seqnn_lr_kind)k;
    s.warmup_steps = warm;
    s.step_size = step_size;
    s.cosine_steps = cos_steps;
    s.patience = patience;
    if (k == SEQNN_LR_COUNT || sched_check(&s) != SEQNN_OK || bad < 0 || !(scale > 0) || isnan(best))
        return seqnn_set_error(NULL, SEQNN_ERR_FORMAT, "%s: metadata 'seqnn.lr_schedule' = '%s' is not a valid schedule",
                               path, text);
    m->sched.desc = s;
    m->sched.set = 1;
    m->sched.plateau_best = best;
    m->sched.plateau_bad = bad;
    m->sched.plateau_scale = scale;
    return SEQNN_OK;
}

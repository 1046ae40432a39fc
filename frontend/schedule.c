/* Learning-rate schedules of a model (torch.optim.lr_scheduler's LinearLR
 * warm-up, StepLR, CosineAnnealingLR and ReduceLROnPlateau): defaults and
 * checks, the rate of each optimizer step, validation reports for
 * reduce-on-plateau, the schedule's state as a checkpoint metadata line, and
 * the "KIND key=value ..." spec of the command line.
 * The rate is a function of the step count (saved in checkpoints) and of
 * the plateau state (saved here), so a resumed run continues the schedule. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
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

seqnn_status fe_schedule_parse(fe_schedule *out, const char *text, const char *path)
{
    char kind[16];
    long long warm, step_size, cos_steps, patience, bad;
    seqnn_lr_schedule s;
    double best, scale;
    int k;
    memset(out, 0, sizeof *out);
    if (!strcmp(text, "none"))
        return SEQNN_OK;
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
    out->desc = s;
    out->set = 1;
    out->plateau_best = best;
    out->plateau_bad = bad;
    out->plateau_scale = scale;
    return SEQNN_OK;
}

/* the same schedule (field by field: the structs may differ in padding) */
static int sched_same(const seqnn_lr_schedule *a, const seqnn_lr_schedule *b)
{
    return a->kind == b->kind && a->warmup_steps == b->warmup_steps && a->warmup_start == b->warmup_start &&
           a->step_size == b->step_size && a->gamma == b->gamma && a->cosine_steps == b->cosine_steps &&
           a->min_lr == b->min_lr && a->factor == b->factor && a->patience == b->patience &&
           a->threshold == b->threshold;
}

void fe_schedule_restore(seqnn_model *m, const fe_schedule *saved)
{
    if (!saved->set)
        return;
    if (!m->sched.set || sched_same(&m->sched.desc, &saved->desc))
        m->sched = *saved;               /* adopted, or the same one continued */
}

/* The keys of a schedule spec: name, offset in seqnn_lr_schedule, integer or
 * real, and the kinds it applies to (bit per seqnn_lr_kind; 0: every kind). */
typedef struct sched_key {
    const char *name;
    size_t off;
    int integer;
    unsigned only;
} sched_key;

#define SK_BIT(k) (1u << (k))
static const sched_key sched_keys[] = {
    {"warmup", offsetof(seqnn_lr_schedule, warmup_steps), 1, 0},
    {"warmup_start", offsetof(seqnn_lr_schedule, warmup_start), 0, 0},
    {"step_size", offsetof(seqnn_lr_schedule, step_size), 1, SK_BIT(SEQNN_LR_STEP)},
    {"gamma", offsetof(seqnn_lr_schedule, gamma), 0, SK_BIT(SEQNN_LR_STEP)},
    {"cosine_steps", offsetof(seqnn_lr_schedule, cosine_steps), 1, SK_BIT(SEQNN_LR_COSINE)},
    {"min_lr", offsetof(seqnn_lr_schedule, min_lr), 0, SK_BIT(SEQNN_LR_COSINE) | SK_BIT(SEQNN_LR_PLATEAU)},
    {"factor", offsetof(seqnn_lr_schedule, factor), 0, SK_BIT(SEQNN_LR_PLATEAU)},
    {"patience", offsetof(seqnn_lr_schedule, patience), 1, SK_BIT(SEQNN_LR_PLATEAU)},
    {"threshold", offsetof(seqnn_lr_schedule, threshold), 0, SK_BIT(SEQNN_LR_PLATEAU)},
};

/* One "key=value" of spec into *s. */
static seqnn_status sched_parse_key(const char *item, size_t len, seqnn_lr_schedule *s)
{
    const char *eq = memchr(item, '=', len);
    char value[64];
    size_t klen = eq ? (size_t)(eq - item) : len, vlen = eq ? len - klen - 1 : 0;
    for (size_t i = 0; i < sizeof sched_keys / sizeof sched_keys[0]; i++) {
        const sched_key *k = &sched_keys[i];
        if (strlen(k->name) != klen || strncmp(k->name, item, klen))
            continue;
        if (k->only && !(k->only & SK_BIT(s->kind)))
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "lr schedule: '%s' does not apply to %s", k->name,
                                   sched_names[s->kind]);
        char *end = NULL;
        if (!eq || vlen == 0 || vlen >= sizeof value)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "lr schedule: '%s' needs a value (%s=...)",
                                   k->name, k->name);
        memcpy(value, eq + 1, vlen);
        value[vlen] = '\0';
        if (k->integer) {
            long long v = strtoll(value, &end, 10);
            *(int64_t *)((char *)s + k->off) = v;
        } else {
            *(double *)((char *)s + k->off) = strtod(value, &end);
        }
        if (*end)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "lr schedule: %s=%s is not %s", k->name, value,
                                   k->integer ? "an integer" : "a number");
        return SEQNN_OK;
    }
    return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                           "lr schedule: unknown key '%.*s' (keys: warmup, warmup_start, step_size, gamma, "
                           "cosine_steps, min_lr, factor, patience, threshold)", (int)klen, item);
}

seqnn_status seqnn_lr_schedule_parse(const char *spec, seqnn_lr_schedule *out)
{
    if (!spec || !out)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_lr_schedule_parse: NULL argument");
    const char *p = spec + strspn(spec, " \t");
    size_t n = strcspn(p, " \t");
    int k;
    for (k = 0; k < SEQNN_LR_COUNT && (strlen(sched_names[k]) != n || strncmp(p, sched_names[k], n)); k++)
        ;
    if (k == SEQNN_LR_COUNT)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "lr schedule: unknown kind '%.*s' (constant, step, cosine, plateau)", (int)n, p);
    seqnn_lr_schedule s = seqnn_lr_schedule_defaults((seqnn_lr_kind)k);
    for (p += n; *(p += strspn(p, " \t")); p += n) {
        n = strcspn(p, " \t");
        FE_TRY(sched_parse_key(p, n, &s));
    }
    FE_TRY(sched_check(&s));
    *out = s;
    return SEQNN_OK;
}

/* Checkpoints: a model's parameters under their PyTorch state_dict names and,
 * optionally, the optimizer state ("optim.<param>.<slot>") and counters, as a
 * safetensors file written atomically. Loading validates the whole file
 * against the model before anything is changed. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fe.h"
#include "seqnn/safetensors.h"

static const char *optim_names[SEQNN_OPTIM_COUNT] = {"sgd", "rmsprop", "adam", "adagrad"};

seqnn_status seqnn_model_save(seqnn_model *m, const char *path, int optimizer, const char *const *metadata)
{
    if (!m || !m->built || !path)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_save: model not built or path NULL");
    seqnn_safetensors_writer *w = NULL;
    FE_TRY(seqnn_safetensors_writer_create(&w));
    float *host = NULL;
    int64_t biggest = 1;
    for (int64_t i = 0; i < m->n_params; i++)
        if (m->params[i].count > biggest)
            biggest = m->params[i].count;
    host = malloc((size_t)biggest * sizeof *host);
    seqnn_status s = host ? SEQNN_OK : seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "save: out of memory");
    for (int64_t i = 0; i < m->n_params && s == SEQNN_OK; i++) {
        const fe_param *p = &m->params[i];
        s = seqnn_buffer_read(m->ctx, m->pbuf, p->off, host, p->count);
        if (s == SEQNN_OK)
            s = seqnn_safetensors_writer_add(w, p->name, SEQNN_ST_F32, p->ndim, p->shape, host);
        for (int k = 0; optimizer && k < m->n_slots && s == SEQNN_OK; k++) {
            char name[FE_NAME + 80];
            snprintf(name, sizeof name, "optim.%s.%s", p->name, m->slots[k].name);
            s = seqnn_buffer_read(m->ctx, m->slots[k].buf, p->off, host, p->count);
            if (s == SEQNN_OK)
                s = seqnn_safetensors_writer_add(w, name, SEQNN_ST_F32, p->ndim, p->shape, host);
        }
    }
    char num[32];
    if (s == SEQNN_OK)
        s = seqnn_safetensors_writer_metadata(w, "format", "pt");
    if (s == SEQNN_OK && optimizer) {
        s = seqnn_safetensors_writer_metadata(w, "seqnn.optimizer", optim_names[m->optim.kind]);
        snprintf(num, sizeof num, "%" PRId64, m->step);
        if (s == SEQNN_OK)
            s = seqnn_safetensors_writer_metadata(w, "seqnn.step", num);
        snprintf(num, sizeof num, "%" PRIu64, m->dropout_counter);
        if (s == SEQNN_OK)
            s = seqnn_safetensors_writer_metadata(w, "seqnn.dropout_counter", num);
        char sched[512];
        fe_schedule_format(m, sched, sizeof sched);
        if (s == SEQNN_OK)
            s = seqnn_safetensors_writer_metadata(w, "seqnn.lr_schedule", sched);
    }
    for (int k = 0; metadata && metadata[k] && s == SEQNN_OK; k += 2) {
        if (!metadata[k + 1])
            s = seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "save: metadata key '%s' has no value", metadata[k]);
        else
            s = seqnn_safetensors_writer_metadata(w, metadata[k], metadata[k + 1]);
    }
    if (s == SEQNN_OK)
        s = seqnn_safetensors_writer_save(w, path);
    free(host);
    seqnn_safetensors_writer_destroy(w);
    return s;
}

static seqnn_status parse_u64(const char *v, const char *path, const char *key, uint64_t *out)
{
    char *end;
    if (!v || !*v || *v == '-')
        return seqnn_set_error(NULL, SEQNN_ERR_FORMAT, "%s: metadata '%s' is missing or negative", path, key);
    unsigned long long x = strtoull(v, &end, 10);
    if (*end)
        return seqnn_set_error(NULL, SEQNN_ERR_FORMAT, "%s: metadata '%s' = '%s' is not a number", path, key, v);
    *out = x;
    return SEQNN_OK;
}

/* Everything is checked before the model changes: names, shapes, and that
 * every tensor of the file is used. */
static seqnn_status load_checked(seqnn_model *m, const seqnn_safetensors *st, const char *path)
{
    int with_optim = 0;
    for (int64_t i = 0; i < seqnn_safetensors_count(st); i++) {
        const char *name = seqnn_safetensors_tensor(st, i)->name;
        int known = 0;
        for (int64_t k = 0; k < m->n_params && !known; k++)
            known = !strcmp(name, m->params[k].name);
        if (!known && !strncmp(name, "optim.", 6))
            with_optim = known = 1;
        if (!known)
            return seqnn_set_error(NULL, SEQNN_ERR_FORMAT,
                                   "%s: tensor '%s' is not a parameter of this model (a checkpoint of another model?)",
                                   path, name);
    }
    for (int64_t k = 0; k < m->n_params; k++) {
        const fe_param *p = &m->params[k];
        seqnn_status s = seqnn_safetensors_expect_shape(st, p->name, p->ndim, p->shape);
        if (s != SEQNN_OK)              /* its message names the file and the tensor */
            return s;
        for (int j = 0; with_optim && j < m->n_slots; j++) {
            char name[FE_NAME + 80];
            snprintf(name, sizeof name, "optim.%s.%s", p->name, m->slots[j].name);
            s = seqnn_safetensors_expect_shape(st, name, p->ndim, p->shape);
            if (s != SEQNN_OK)
                return seqnn_set_error(NULL, SEQNN_ERR_FORMAT,
                                       "%s: optimizer state '%s' is missing or misshapen (saved with another optimizer?)",
                                       path, name);
        }
    }
    if (with_optim) {
        const char *kind = seqnn_safetensors_metadata(st, "seqnn.optimizer");
        if (!kind || strcmp(kind, optim_names[m->optim.kind]))
            return seqnn_set_error(NULL, SEQNN_ERR_FORMAT, "%s: optimizer state of '%s', the model uses '%s'", path,
                                   kind ? kind : "?", optim_names[m->optim.kind]);
        /* Slots the file has beyond ours (e.g. amsgrad) mean another configuration. */
        int64_t expect = m->n_params * (1 + m->n_slots);
        if (seqnn_safetensors_count(st) != expect)
            return seqnn_set_error(NULL, SEQNN_ERR_FORMAT,
                                   "%s: the optimizer state has other slots than this optimizer's configuration", path);
    }
    return SEQNN_OK;
}

seqnn_status seqnn_model_load(seqnn_model *m, const char *path)
{
    if (!m || !m->built || !path)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_load: model not built or path NULL");
    seqnn_safetensors *st = NULL;
    FE_TRY(seqnn_safetensors_open(path, &st));
    seqnn_status s = load_checked(m, st, path);
    int with_optim = s == SEQNN_OK && seqnn_safetensors_count(st) > m->n_params;
    /* An optimizer without state slots (SGD without momentum) saves only its
     * kind and step: the step still resumes when the kinds agree. */
    const char *kind = s == SEQNN_OK ? seqnn_safetensors_metadata(st, "seqnn.optimizer") : NULL;
    int with_step = with_optim || (m->n_slots == 0 && kind && !strcmp(kind, optim_names[m->optim.kind]));
    uint64_t step = 0, dropout_counter = m->dropout_counter;
    /* the learning-rate schedule and its state (older files have none) */
    const char *sched = NULL;
    fe_schedule saved;
    memset(&saved, 0, sizeof saved);
    if (s == SEQNN_OK && with_step) {
        s = parse_u64(seqnn_safetensors_metadata(st, "seqnn.step"), path, "seqnn.step", &step);
        if (s == SEQNN_OK)
            s = parse_u64(seqnn_safetensors_metadata(st, "seqnn.dropout_counter"), path, "seqnn.dropout_counter",
                          &dropout_counter);
        sched = seqnn_safetensors_metadata(st, "seqnn.lr_schedule");
        if (s == SEQNN_OK && sched)
            s = fe_schedule_parse(&saved, sched, path);
    }
    /* Stage every value on the host first, so a read error changes nothing. */
    float *all = NULL;
    int64_t per = m->total, nbuf = with_optim ? 1 + m->n_slots : 1;
    if (s == SEQNN_OK && per > 0) {
        all = calloc((size_t)(per * nbuf), sizeof *all);
        if (!all)
            s = seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "load: out of memory");
    }
    for (int64_t k = 0; k < m->n_params && s == SEQNN_OK; k++) {
        const fe_param *p = &m->params[k];
        s = seqnn_safetensors_read_f32(st, p->name, all + p->off, p->count);
        for (int64_t j = 0; s == SEQNN_OK && j < p->count; j++)
            if (!isfinite(all[p->off + j]))
                s = seqnn_set_error(NULL, SEQNN_ERR_FORMAT,
                                    "%s: tensor '%s' holds a non-finite value at element %lld (a diverged run?)", path,
                                    p->name, (long long)j);
        for (int j = 0; j + 1 < nbuf && s == SEQNN_OK; j++) {
            char name[FE_NAME + 80];
            snprintf(name, sizeof name, "optim.%s.%s", p->name, m->slots[j].name);
            s = seqnn_safetensors_read_f32(st, name, all + (j + 1) * per + p->off, p->count);
        }
    }
    seqnn_safetensors_close(st);
    if (s == SEQNN_OK && per > 0) {
        s = seqnn_buffer_write(m->ctx, m->pbuf, 0, all, per);
        for (int j = 0; j + 1 < nbuf && s == SEQNN_OK; j++)
            s = seqnn_buffer_write(m->ctx, m->slots[j].buf, 0, all + (j + 1) * per, per);
    }
    free(all);
    if (s == SEQNN_OK && with_step) {
        m->step = (int64_t)step;
        m->dropout_counter = dropout_counter;
        fe_schedule_restore(m, &saved);
    }
    return s;
}

/* Data-parallel training over MPI: seqnn_model_set_distributed, each rank's
 * shard of a global batch, the exchange after backward (status, loss, one
 * in-place allreduce of the flat gradient buffer) and the periodic checksum
 * of the parameters. Built without MPI (SEQNN_HAVE_MPI undefined), the
 * public functions say so and the frontend's hooks are never reached. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dist.h"
#include "seqnn/distributed.h"
#include "versioned.h"
#ifdef SEQNN_HAVE_MPI
#include <mpi.h>
#endif

#define DIST_CHECK_EVERY 100             /* the checksum's default period, in steps */
#define DIST_CHUNK ((int64_t)1 << 28)    /* floats per MPI call (an int count) */
#define DIST_FIGURES 5                   /* doubles a rank gives the loss exchange */
/* The bytes of the options' first version: size 0 stands for it. */
#define DIST_OPTIONS_V1 FE_FIELD_END(seqnn_distributed_options, check_every)

/* The end of the last field this library knows (update it with each field
 * appended): no padding follows, so every byte of a caller's larger struct
 * past it belongs to a newer field. */
#define DIST_OPTIONS_END FE_FIELD_END(seqnn_distributed_options, stop)
_Static_assert(DIST_OPTIONS_END == sizeof(seqnn_distributed_options),
               "seqnn_distributed_options: DIST_OPTIONS_END must name its last field");

void seqnn_distributed_options_init(seqnn_distributed_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = (uint32_t)sizeof *o;
    o->check_every = DIST_CHECK_EVERY;
}

/* *out = the caller's options o (NULL: the defaults) as this library's
 * struct: the fields both know, zeros for those the caller's lacks. */
static seqnn_status dist_options_read(const seqnn_distributed_options *o, seqnn_distributed_options *out)
{
    memset(out, 0, sizeof *out);
    if (!o)
        return SEQNN_OK;
    size_t n;
    seqnn_status st = fe_versioned_size(o, DIST_OPTIONS_V1, DIST_OPTIONS_END, "seqnn_model_set_distributed: the options",
                                        "seqnn_distributed_options_init", &n);
    if (st)
        return st;
    memcpy(out, o, n < sizeof *out ? n : sizeof *out);
    out->size = (uint32_t)sizeof *out;
    return SEQNN_OK;
}

#ifdef SEQNN_HAVE_MPI
/* Host scratch of one array of the shard, grown as needed. */
typedef struct dist_array {
    void *p;
    size_t cap;
} dist_array;

struct fe_dist {
    MPI_Comm comm;
    int rank, size;
    int64_t check_every;
    int local_batches;                   /* the batches given are this rank's shards */
    const volatile sig_atomic_t *stop_flag;   /* the caller's, or NULL */
    int stop;                            /* the largest flag value the training exchanges carried */
    float *host;                         /* the gradients or parameters, m->total floats */
    float *parts;                        /* every rank's copy of this rank's share of a chunk */
    int *counts, *displs, *rcounts, *rdispls;   /* [size] each: the exchange's layout */
    double *figures;                     /* [size, DIST_FIGURES]: every rank's loss weight, loss, count,
                                            correct and stop flag */
    double seconds;                      /* in the gradient exchange */
    int64_t exchanges;                   /* gradient exchanges (training steps) */
    dist_array tokens[FE_MAX_INPUTS], features[FE_MAX_INPUTS], lengths[FE_MAX_INPUTS];
    dist_array targets, values, dec_tokens, dec_lengths, trees;
    seqnn_batch_input in[FE_MAX_INPUTS];
};

static seqnn_status mpi_error(int rc, const char *what)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    return seqnn_set_error(NULL, SEQNN_ERR_DEVICE, "distributed: %s: %s", what, msg);
}
#define DIST_MPI(call, what)                                                                                    \
    do {                                                                                                       \
        int rc_ = (call);                                                                                      \
        if (rc_ != MPI_SUCCESS)                                                                                \
            return mpi_error(rc_, what);                                                                       \
    } while (0)

/* dst[T, Bl, w] = src[T, B, w] columns [c0, c0 + Bl) (elem bytes each);
 * NULL stays NULL. */
static seqnn_status shard_cols(dist_array *a, const void *src, int64_t T, int64_t B, int64_t w, size_t elem,
                               int64_t c0, int64_t Bl, const void **dst)
{
    *dst = NULL;
    if (!src)
        return SEQNN_OK;
    size_t row = (size_t)(Bl * w) * elem, need = (size_t)T * row;
    if (need > a->cap) {
        void *p = realloc(a->p, need);
        if (!p)
            return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "distributed: out of memory");
        a->p = p;
        a->cap = need;
    }
    for (int64_t t = 0; t < T; t++)
        memcpy((char *)a->p + (size_t)t * row, (const char *)src + ((size_t)(t * B + c0) * (size_t)w) * elem, row);
    *dst = a->p;
    return SEQNN_OK;
}

/* Input k of the global batch (the single-input fields or inputs[k]). */
static seqnn_batch_input global_input(const seqnn_batch *b, int k)
{
    if (b->n_inputs > k && b->inputs)
        return b->inputs[k];
    seqnn_batch_input in = {b->seq_len, b->tokens, b->features, b->lengths};
    return in;
}

seqnn_status fe_dist_shard(seqnn_model *m, const seqnn_batch *b, seqnn_batch *shard)
{
    struct fe_dist *d = m->dist;
    if (!b)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "batch is NULL");
    if (d->local_batches) {              /* the caller gave this rank's shard */
        *shard = *b;
        return b->batch >= 1 ? SEQNN_OK
                             : seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "distributed: no sequences in this "
                                               "rank's shard of the batch (a batch of at least %d sequences gives "
                                               "every rank one)", d->size);
    }
    int64_t B = b->batch;
    for (int r = 0; B >= 1 && B < d->size && r < d->size; r++)  /* every rank sees B: all fail alike */
        if ((int64_t)(r + 1) * B / d->size == (int64_t)r * B / d->size)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                                   "distributed: a batch of %lld sequences leaves rank %d of %d without any (give a "
                                   "batch of at least %d)", (long long)B, r, d->size, d->size);
    /* Rank r: columns [r B / size, (r + 1) B / size), sizes differing by at most one. */
    int64_t c0 = (int64_t)d->rank * B / d->size, Bl = (int64_t)(d->rank + 1) * B / d->size - c0;
    *shard = *b;
    shard->batch = Bl;
    for (int k = 0; k < m->n_inputs; k++) {
        seqnn_batch_input g = global_input(b, k), *s = &d->in[k];
        s->seq_len = g.seq_len;
        int64_t w = m->inputs[k].shape.tokens ? 1 : m->inputs[k].shape.n;
        FE_TRY(shard_cols(&d->tokens[k], g.tokens, g.seq_len, B, 1, sizeof(int32_t), c0, Bl,
                          (const void **)&s->tokens));
        FE_TRY(shard_cols(&d->features[k], g.features, g.seq_len, B, w, sizeof(float), c0, Bl,
                          (const void **)&s->features));
        FE_TRY(shard_cols(&d->lengths[k], g.lengths, 1, B, 1, sizeof(int32_t), c0, Bl, (const void **)&s->lengths));
    }
    if (b->n_inputs > 0 && b->inputs) {
        shard->inputs = d->in;
    } else {
        shard->tokens = d->in[0].tokens;
        shard->features = d->in[0].features;
        shard->lengths = d->in[0].lengths;
    }
    const fe_layer *out = &m->layers[m->n_layers - 1];
    int64_t Tout = m->decoder_start >= 0 ? b->dec_len : global_input(b, out->stream).seq_len;
    int64_t T = out->out.seq ? Tout : 1;
    FE_TRY(shard_cols(&d->targets, b->targets, T, B, 1, sizeof(int32_t), c0, Bl, (const void **)&shard->targets));
    FE_TRY(shard_cols(&d->values, b->values, T, B, out->out.n, sizeof(float), c0, Bl, (const void **)&shard->values));
    FE_TRY(shard_cols(&d->dec_tokens, b->dec_tokens, b->dec_len, B, 1, sizeof(int32_t), c0, Bl,
                      (const void **)&shard->dec_tokens));
    if (b->trees && b->seq_len >= 2)     /* [B, 2 (T - 1)]: rows of the shard's sequences */
        FE_TRY(shard_cols(&d->trees, b->trees, 1, B, 2 * (b->seq_len - 1), sizeof(int32_t), c0, Bl,
                          (const void **)&shard->trees));
    return shard_cols(&d->dec_lengths, b->dec_lengths, 1, B, 1, sizeof(int32_t), c0, Bl,
                      (const void **)&shard->dec_lengths);
}

/* The weight of this rank's mean loss in the global mean: the targets it
 * counted, or (class-weighted cross-entropy) the sum of their weights, as
 * the mean's denominator is. */
static double loss_weight(const seqnn_model *m, int64_t count)
{
    if (m->loss != SEQNN_LOSS_XENT || !m->xent.weights)
        return (double)count;
    const fe_layer *out = &m->layers[m->n_layers - 1];
    int64_t rows = out->y.rows;
    double w = 0;
    for (int64_t r = 0; r < rows; r++)
        if (m->host_targets[r] != SEQNN_IGNORE_INDEX)
            w += m->xent.weights[m->host_targets[r]];
    return w;
}

/* Sums x[n] floats across ranks in place, in an order of our own: rank r
 * owns the elements [r c / size, (r + 1) c / size) of each chunk of c <=
 * DIST_CHUNK floats; MPI_Alltoallv hands the owner every rank's copy of
 * them, the owner adds them up in rank order, ((x_0 + x_1) + x_2) + ...,
 * and MPI_Allgatherv hands every rank the sums. MPI only moves bytes, so
 * whichever algorithms it picks for a size, the same number of ranks gives
 * the same bits (MPI_Allreduce's order of additions depends on its
 * algorithm, which Open MPI chooses by size and may be told to change).
 * Each rank sends and receives 2 (size - 1) / size of the buffer, as a ring
 * allreduce does. */
static seqnn_status allreduce_floats(struct fe_dist *d, float *x, int64_t n)
{
    int N = d->size;
    for (int64_t i = 0; i < n; i += DIST_CHUNK) {
        int64_t c = n - i < DIST_CHUNK ? n - i : DIST_CHUNK;
        for (int r = 0; r < N; r++) {
            d->displs[r] = (int)((int64_t)r * c / N);
            d->counts[r] = (int)((int64_t)(r + 1) * c / N) - d->displs[r];
        }
        int mine = d->counts[d->rank], off = d->displs[d->rank];
        for (int r = 0; r < N; r++) {
            d->rcounts[r] = mine;
            d->rdispls[r] = r * mine;
        }
        DIST_MPI(MPI_Alltoallv(x + i, d->counts, d->displs, MPI_FLOAT, d->parts, d->rcounts, d->rdispls, MPI_FLOAT,
                               d->comm), "gradient reduce-scatter");
        float *out = x + i + off;
        for (int64_t e = 0; e < mine; e++) {
            float s = d->parts[e];
            for (int r = 1; r < N; r++)
                s += d->parts[(int64_t)r * mine + e];
            out[e] = s;
        }
        DIST_MPI(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, x + i, d->counts, d->displs, MPI_FLOAT, d->comm),
                 "gradient allgather");
    }
    return SEQNN_OK;
}

static seqnn_status grow_host(seqnn_model *m)
{
    struct fe_dist *d = m->dist;
    int64_t chunk = m->total < DIST_CHUNK ? m->total : DIST_CHUNK;   /* the owner's parts: size x its share */
    if (!d->host && m->total > 0 && !(d->host = malloc((size_t)m->total * sizeof *d->host)))
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "distributed: out of memory");
    if (!d->parts && m->total > 0 && !(d->parts = malloc(((size_t)chunk + (size_t)d->size) * sizeof *d->parts)))
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "distributed: out of memory");
    return SEQNN_OK;
}

/* m->gbuf = sum over ranks of its gradient * scale (this rank's share of
 * the global mean): read to the host, scaled, allreduced, written back. */
static seqnn_status sum_gradients(seqnn_model *m, double scale)
{
    struct fe_dist *d = m->dist;
    if (m->total <= 0)
        return SEQNN_OK;
    FE_TRY(grow_host(m));
    FE_TRY(seqnn_buffer_read(m->ctx, m->gbuf, 0, d->host, m->total));
    float s = (float)scale;
    for (int64_t i = 0; i < m->total; i++)
        d->host[i] *= s;
    FE_TRY(allreduce_floats(d, d->host, m->total));
    return seqnn_buffer_write(m->ctx, m->gbuf, 0, d->host, m->total);
}

seqnn_status fe_dist_reduce(seqnn_model *m, seqnn_status local, seqnn_step_result *res, int grads)
{
    struct fe_dist *d = m->dist;
    char why[1024];
    snprintf(why, sizeof why, "%s", local == SEQNN_OK ? "" : seqnn_last_error());
    int first_bad = local == SEQNN_OK ? d->size : d->rank, bad;
    DIST_MPI(MPI_Allreduce(&first_bad, &bad, 1, MPI_INT, MPI_MIN, d->comm), "status exchange");
    if (bad < d->size) {                 /* every rank fails with the first failing rank's message */
        int status = local;
        DIST_MPI(MPI_Bcast(&status, 1, MPI_INT, bad, d->comm), "status exchange");
        DIST_MPI(MPI_Bcast(why, (int)sizeof why, MPI_CHAR, bad, d->comm), "status exchange");
        return seqnn_set_error(NULL, (seqnn_status)status, "rank %d of %d: %s", bad, d->size, why);
    }
    double w = loss_weight(m, res->count);
    int flag = grads && d->stop_flag ? (int)*d->stop_flag : 0;   /* read once: a handler may set it any time */
    double v[DIST_FIGURES] = {w, w > 0 ? res->loss * w : 0, (double)res->count, (double)res->correct, flag};
    double g[DIST_FIGURES] = {0, 0, 0, 0, 0};
    DIST_MPI(MPI_Allgather(v, DIST_FIGURES, MPI_DOUBLE, d->figures, DIST_FIGURES, MPI_DOUBLE, d->comm),
             "loss exchange");
    for (int r = 0; r < d->size; r++) {  /* in rank order: the same bits on every rank and every run */
        for (int k = 0; k < 4; k++)
            g[k] += d->figures[DIST_FIGURES * r + k];
        if (d->figures[DIST_FIGURES * r + 4] > d->stop)
            d->stop = (int)d->figures[DIST_FIGURES * r + 4];
    }
    res->loss = g[0] > 0 ? g[1] / g[0] : res->loss;
    res->count = (int64_t)g[2];
    res->correct = (int64_t)g[3];
    double t0 = MPI_Wtime();             /* the ranks are in step here: what follows is the exchange itself */
    if (grads)
        FE_TRY(sum_gradients(m, g[0] > 0 ? w / g[0] : 0));
    if (grads) {
        d->seconds += MPI_Wtime() - t0;
        d->exchanges++;
    }
    return SEQNN_OK;
}

/* FNV-1a over the parameters' bytes. */
static uint64_t checksum(const float *x, int64_t n)
{
    uint64_t h = 1469598103934665603ull;
    const unsigned char *p = (const unsigned char *)x;
    for (size_t i = 0; i < (size_t)n * sizeof *x; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

seqnn_status fe_dist_check(seqnn_model *m)
{
    struct fe_dist *d = m->dist;
    if (d->check_every <= 0 || m->step % d->check_every != 0 || m->total <= 0)
        return SEQNN_OK;
    FE_TRY(grow_host(m));
    FE_TRY(seqnn_buffer_read(m->ctx, m->pbuf, 0, d->host, m->total));
    uint64_t h = checksum(d->host, m->total);
    uint64_t *all = malloc((size_t)d->size * sizeof *all);
    if (!all)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "distributed: out of memory");
    int rc = MPI_Allgather(&h, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, d->comm);
    if (rc != MPI_SUCCESS) {
        free(all);
        return mpi_error(rc, "parameter checksum");
    }
    char ranks[256] = "";
    size_t len = 0;
    int n_bad = 0;
    for (int r = 1; r < d->size; r++)
        if (all[r] != all[0] && len + 16 < sizeof ranks) {
            len += (size_t)snprintf(ranks + len, sizeof ranks - len, "%s%d", n_bad ? ", " : "", r);
            n_bad++;
        }
    free(all);
    if (n_bad)
        return seqnn_set_error(NULL, SEQNN_ERR_NUMERIC,
                               "distributed: the parameters diverged at step %lld: rank%s %s differ%s from rank 0 "
                               "(checked every %lld steps)", (long long)m->step, n_bad > 1 ? "s" : "", ranks,
                               n_bad > 1 ? "" : "s", (long long)d->check_every);
    return SEQNN_OK;
}

void fe_dist_free(seqnn_model *m)
{
    struct fe_dist *d = m ? m->dist : NULL;
    if (!d)
        return;
    seqnn_log(SEQNN_LOG_INFO, "distributed: rank %d of %d: %lld gradient exchanges of %lld floats, %.3f s in them",
              d->rank, d->size, (long long)d->exchanges, (long long)m->total, d->seconds);
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized)
        MPI_Comm_free(&d->comm);
    for (int k = 0; k < FE_MAX_INPUTS; k++) {
        free(d->tokens[k].p);
        free(d->features[k].p);
        free(d->lengths[k].p);
    }
    free(d->targets.p);
    free(d->values.p);
    free(d->dec_tokens.p);
    free(d->dec_lengths.p);
    free(d->trees.p);
    free(d->host);
    free(d->parts);
    free(d->counts);
    free(d->figures);
    free(d);
    m->dist = NULL;
}

int seqnn_distributed_available(void)
{
    return 1;
}

seqnn_status seqnn_model_set_distributed(seqnn_model *m, const seqnn_distributed_options *opts)
{
    if (!m || !m->built)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_set_distributed: model not built");
    seqnn_distributed_options ov;
    const seqnn_distributed_options *o = &ov;
    seqnn_status st = dist_options_read(opts, &ov);
    if (st != SEQNN_OK)
        return st;
    int init = 0;
    MPI_Initialized(&init);
    if (!init)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_set_distributed: MPI is not initialised "
                                                            "(call MPI_Init first)");
    struct fe_dist *d = calloc(1, sizeof *d);
    if (!d)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "seqnn_model_set_distributed: out of memory");
    MPI_Comm comm = o->mpi_comm ? *(const MPI_Comm *)o->mpi_comm : MPI_COMM_WORLD;
    int rc = MPI_Comm_dup(comm, &d->comm);
    if (rc != MPI_SUCCESS) {
        free(d);
        return mpi_error(rc, "seqnn_model_set_distributed");
    }
    MPI_Comm_rank(d->comm, &d->rank);
    MPI_Comm_size(d->comm, &d->size);
    d->counts = malloc(4 * (size_t)d->size * sizeof *d->counts);
    d->figures = malloc(DIST_FIGURES * (size_t)d->size * sizeof *d->figures);
    if (!d->counts || !d->figures) {
        MPI_Comm_free(&d->comm);
        free(d->counts);
        free(d->figures);
        free(d);
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "seqnn_model_set_distributed: out of memory");
    }
    d->displs = d->counts + d->size;
    d->rcounts = d->displs + d->size;
    d->rdispls = d->rcounts + d->size;
    d->check_every = o->check_every == 0 ? DIST_CHECK_EVERY : o->check_every;
    d->local_batches = o->local_batches != 0;
    d->stop_flag = o->stop;
    fe_dist_free(m);
    m->dist = d;
    seqnn_log(SEQNN_LOG_INFO, "distributed: rank %d of %d, parameter checksum every %lld steps", d->rank, d->size,
              (long long)d->check_every);
    return SEQNN_OK;
}

seqnn_status seqnn_model_distributed_rank(const seqnn_model *m, int *rank, int *size)
{
    if (!m || !rank || !size)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_distributed_rank: NULL argument");
    *rank = m->dist ? m->dist->rank : 0;
    *size = m->dist ? m->dist->size : 1;
    return SEQNN_OK;
}

double seqnn_model_distributed_seconds(const seqnn_model *m)
{
    return m && m->dist ? m->dist->seconds : 0;
}

int seqnn_model_distributed_stop(const seqnn_model *m)
{
    return m && m->dist ? m->dist->stop : 0;
}

#else /* built without MPI: m->dist is never set */

seqnn_status fe_dist_shard(seqnn_model *m, const seqnn_batch *b, seqnn_batch *shard)
{
    (void)m;
    *shard = *b;
    return SEQNN_OK;
}

seqnn_status fe_dist_reduce(seqnn_model *m, seqnn_status local, seqnn_step_result *res, int grads)
{
    (void)m, (void)res, (void)grads;
    return local;
}

seqnn_status fe_dist_check(seqnn_model *m)
{
    (void)m;
    return SEQNN_OK;
}

void fe_dist_free(seqnn_model *m)
{
    (void)m;
}

int seqnn_distributed_available(void)
{
    return 0;
}

seqnn_status seqnn_model_set_distributed(seqnn_model *m, const seqnn_distributed_options *o)
{
    seqnn_distributed_options ov;
    seqnn_status st = dist_options_read(o, &ov);
    (void)m;
    if (st != SEQNN_OK)
        return st;
    return seqnn_set_error(NULL, SEQNN_ERR_UNSUPPORTED,
                           "seqnn_model_set_distributed: this libseqnn was built without MPI (install Open MPI, "
                           "e.g. Debian's libopenmpi-dev openmpi-bin, and configure again: docs/distributed.md)");
}

seqnn_status seqnn_model_distributed_rank(const seqnn_model *m, int *rank, int *size)
{
    if (!m || !rank || !size)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_distributed_rank: NULL argument");
    *rank = 0;
    *size = 1;
    return SEQNN_OK;
}

double seqnn_model_distributed_seconds(const seqnn_model *m)
{
    (void)m;
    return 0;
}

int seqnn_model_distributed_stop(const seqnn_model *m)
{
    (void)m;
    return 0;
}
#endif

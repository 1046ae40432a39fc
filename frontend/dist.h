/* Data-parallel training inside the frontend (dist.c): a distributed model's
 * shard of a global batch, the exchange after backward (status, loss, the
 * summed gradients) and the periodic parameter checksum. Without MPI the
 * hooks compile to stand-ins that are never reached (m->dist stays NULL). */
#ifndef SEQNN_FE_DIST_H
#define SEQNN_FE_DIST_H

#include "fe.h"

/* *shard = this rank's columns of the global batch b (arrays owned by
 * m->dist, valid until the next call). */
seqnn_status fe_dist_shard(seqnn_model *m, const seqnn_batch *b, seqnn_batch *shard);
/* After this rank's forward and backward (local: their status; res: the
 * shard's loss and count): agrees on the status across ranks (a failure
 * anywhere fails every rank, naming the first failing rank), then makes
 * res the global batch's loss and count and, when grads, m->gbuf the
 * gradient of the global mean loss on every rank. */
seqnn_status fe_dist_reduce(seqnn_model *m, seqnn_status local, seqnn_step_result *res, int grads);
/* After the optimizer step: every check_every steps, the ranks compare a
 * checksum of the parameters; a difference fails every rank naming the ranks
 * that differ from rank 0. */
seqnn_status fe_dist_check(seqnn_model *m);
/* Frees m->dist (the duplicated communicator included). */
void fe_dist_free(seqnn_model *m);

#endif

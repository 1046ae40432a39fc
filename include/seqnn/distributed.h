/* Data-parallel training over MPI (docs/distributed.md): every process (rank)
 * holds the same model, gives seqnn_model_train_step the same global batch,
 * trains on its own shard of it, and the ranks sum their gradients with one
 * allreduce per step before the same optimizer step. This header does not
 * include <mpi.h>: a communicator is passed by address (an MPI_Comm *). */
#ifndef SEQNN_DISTRIBUTED_H
#define SEQNN_DISTRIBUTED_H

#include <signal.h>
#include <stdint.h>
#include "seqnn/export.h"
#include "seqnn/model.h"
#include "seqnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Versioned like the plugin vtable: size, first, is sizeof(the struct) as
 * the caller's header declares it (seqnn_distributed_options_init sets it),
 * and fields are only ever appended after it, without padding between
 * them. The library reads the fields that both it and the caller know; a
 * caller's struct from a newer header is accepted when every field this
 * library does not know is zero, and refused (SEQNN_ERR_UNSUPPORTED)
 * otherwise. size 0 stands for the first version (the first four fields),
 * so a zero-initialised struct stays valid: {.check_every = 10} works. */
typedef struct seqnn_distributed_options {
    uint32_t size;                       /* sizeof(seqnn_distributed_options); 0: the first version */
    int local_batches;                   /* 1: train_step and evaluate take this rank's own shard (its
                                            sequences of the global batch, which is the shards in rank
                                            order), not the global batch; 0: the global batch */
    const void *mpi_comm;                /* an MPI_Comm * (duplicated); NULL: MPI_COMM_WORLD */
    int64_t check_every;                 /* parameter checksum across ranks every N steps; 0: 100, < 0: never */
    /* Added after the first version: */
    const volatile sig_atomic_t *stop;   /* NULL, or a flag the caller may set at any time (e.g. from a signal
                                            handler, for Ctrl-C); each training step's exchange carries its
                                            value, so all ranks learn of it at the same step
                                            (seqnn_model_distributed_stop) */
} seqnn_distributed_options;

/* *o = the defaults (MPI_COMM_WORLD, a checksum every 100 steps, global
 * batches) with o->size set: the way to start a struct that later fields
 * will extend. */
SEQNN_API void seqnn_distributed_options_init(seqnn_distributed_options *o);

/* 1 when this libseqnn was built with MPI, else 0. */
SEQNN_API int seqnn_distributed_available(void);

/* Makes m (built) train data-parallel over the communicator's ranks (MPI
 * must be initialised; a collective call: every rank calls it). From then
 * on, seqnn_model_train_step and seqnn_model_evaluate take the global batch
 * on every rank, each rank runs its contiguous shard of the sequences
 * (rank r: [r B / size, (r + 1) B / size), and those rows of the trees; a
 * batch of fewer sequences than ranks fails), and the loss, count and
 * gradients are reduced across ranks as one process would compute them, the
 * gradients summed in rank order (the same bits for the same number of
 * ranks); a failure on one rank makes the step fail on every rank, naming
 * that rank. o may be NULL (the defaults); a size between 1 and the first
 * version's is SEQNN_ERR_INVALID_ARG. SEQNN_ERR_UNSUPPORTED when built
 * without MPI. */
SEQNN_API seqnn_status seqnn_model_set_distributed(seqnn_model *m, const seqnn_distributed_options *o);

/* This rank and the number of ranks (0 and 1 when m is not distributed). */
SEQNN_API seqnn_status seqnn_model_distributed_rank(const seqnn_model *m, int *rank, int *size);

/* 0, or once a training step's exchange found a rank's stop flag set
 * (seqnn_distributed_options.stop), the largest value a rank's flag held
 * then, from that step on: the same on every rank after the same step, so
 * that all stop there (that step itself completed on every rank). 0 when m
 * is not distributed. */
SEQNN_API int seqnn_model_distributed_stop(const seqnn_model *m);

/* Seconds spent summing the gradients across ranks (the host copies
 * included; not the wait for the slowest rank, which the status exchange
 * before it absorbs) since seqnn_model_set_distributed (0 when not
 * distributed). */
SEQNN_API double seqnn_model_distributed_seconds(const seqnn_model *m);

#ifdef __cplusplus
}
#endif
#endif

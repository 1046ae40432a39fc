/* `seqnn train` under mpirun (cli/dist.c): MPI started and ended, the rank's
 * device among those its backend spec matches, what ranks other than 0 show
 * (nothing unless they fail), and the job ended when one rank fails. */
#ifndef SEQNN_CLI_DIST_H
#define SEQNN_CLI_DIST_H

#include <signal.h>
#include "seqnn/model.h"
#ifdef SEQNN_HAVE_MPI
#include <mpi.h>
#endif

typedef struct cli_dist {
    int launched;                        /* started by an MPI launcher (MPI initialised here) */
    int rank, size, local_rank;
    int saved_err;                       /* ranks > 0: the real standard error (-1: none) */
    int agreed;                          /* the ranks agreed to stop (cli_dist_agree) */
    char spec[512];                      /* the backend spec this rank uses */
#ifdef SEQNN_HAVE_MPI
    MPI_Comm end_comm;                   /* the ranks' statuses at the end (cli_dist_end) */
#endif
} cli_dist;

/* Under an MPI launcher: MPI initialised, this rank's standard output
 * discarded and its standard error held back (ranks > 0). Built without MPI
 * and launched by one with more than one process: says how to build with
 * MPI and returns 2. 0 otherwise. */
int cli_dist_begin(cli_dist *d);
/* The backend spec of this rank (spec: the user's, NULL: SEQNN_BACKEND or
 * the best): when it names a plugin but no device and that plugin has several
 * devices, the one at local rank modulo their count (SEQNN_LOG=info says). */
const char *cli_dist_backend(cli_dist *d, const char *spec);
/* Makes the model data-parallel over MPI_COMM_WORLD, taking each rank's
 * shard of the batches (cli_data_shard), with stop (an interrupt handler's
 * flag) carried by every step's exchange: 0, or 1 after a message. */
int cli_dist_attach(cli_dist *d, seqnn_model *m, const volatile sig_atomic_t *stop);
/* Every rank, with its status so far (rc: 0, or its exit status after its
 * message): when any rank failed, rank 0 says which (the lowest failing
 * rank and its message, the last line it held back) and every rank returns
 * that rank's status, to end without aborting; else 0. Nothing when not
 * launched (returns rc). A collective: every rank calls it once, before
 * cli_dist_attach. */
int cli_dist_agree(cli_dist *d, int rc);
/* Every rank waits for the others (nothing when not launched). */
void cli_dist_barrier(const cli_dist *d);
/* The end: the ranks compare their statuses; when they all got here (a
 * failure of one step fails every rank at that step), rank 0 says which
 * rank failed and why, once, and every rank returns that status after
 * MPI_Finalize. A rank that failed alone shows what it held back and aborts
 * the whole job. Returns the exit status. */
int cli_dist_end(cli_dist *d, int rc);

#endif

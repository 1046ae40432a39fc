/* What overlapping the gradient exchange with backward gains on this
 * machine: each rank computes for about COMPUTE_MS (a stand-in for backward:
 * float arithmetic in SLICES slices, as layers finish) and exchanges N
 * floats as seqnn does (MPI_Alltoallv to each element's owner, the sum,
 * MPI_Allgatherv), either all after the compute (what seqnn does) or with
 * the first FRACTION of them posted non-blocking before the compute and
 * driven by MPI_Test after every slice, the rest after it (buckets: the
 * gradients of the layers whose backward ends early; FRACTION 1 is more than
 * any bucketing reaches). Prints the median over REPS of each way's wall
 * time and of the exchange alone, on rank 0. Built and run by
 * bench/mpi_scaling.sh with mpicc and mpirun -np 2.
 * usage: mpi_overlap N FRACTION COMPUTE_MS SLICES REPS */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank, size;

typedef struct piece {                   /* floats [off, off + n) of the buffer and their exchange */
    float *x, *parts;
    int *counts, *displs, *rcounts, *rdispls;
    MPI_Request q;
    int phase;                           /* 0: alltoallv posted, 1: allgatherv posted, 2: done */
} piece;

static float work(double ms, float acc)  /* about ms of arithmetic (calibrated below) */
{
    static double per_ms = 1e5;
    double t0 = MPI_Wtime();
    long n = (long)(ms * per_ms);
    for (long i = 0; i < n; i++)
        acc = acc * 0.999999f + 1e-7f;
    double took = (MPI_Wtime() - t0) * 1e3;
    if (took > 0.5)
        per_ms = 0.8 * per_ms + 0.2 * (double)n / took;
    return acc;
}

static void piece_init(piece *p, float *x, int n)
{
    p->x = x;
    p->parts = malloc(((size_t)n + (size_t)size) * sizeof *p->parts);
    p->counts = malloc(4 * (size_t)size * sizeof *p->counts);
    p->displs = p->counts + size, p->rcounts = p->displs + size, p->rdispls = p->rcounts + size;
    for (int r = 0; r < size; r++) {
        p->displs[r] = (int)((long)r * n / size);
        p->counts[r] = (int)((long)(r + 1) * n / size) - p->displs[r];
    }
    for (int r = 0; r < size; r++) {
        p->rcounts[r] = p->counts[rank];
        p->rdispls[r] = r * p->counts[rank];
    }
}

static void sum_parts(piece *p)
{
    int mine = p->counts[rank];
    for (int e = 0; e < mine; e++) {
        float s = p->parts[e];
        for (int r = 1; r < size; r++)
            s += p->parts[r * mine + e];
        p->x[p->displs[rank] + e] = s;
    }
}

static void post(piece *p)
{
    MPI_Ialltoallv(p->x, p->counts, p->displs, MPI_FLOAT, p->parts, p->rcounts, p->rdispls, MPI_FLOAT,
                   MPI_COMM_WORLD, &p->q);
    p->phase = 0;
}

/* Moves p on when its request is done (wait: until it is). */
static void drive(piece *p, int wait)
{
    while (p->phase < 2) {
        int done = 0;
        if (wait)
            MPI_Wait(&p->q, MPI_STATUS_IGNORE), done = 1;
        else
            MPI_Test(&p->q, &done, MPI_STATUS_IGNORE);
        if (!done)
            return;
        if (p->phase++ == 0) {
            sum_parts(p);
            MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, p->x, p->counts, p->displs, MPI_FLOAT,
                            MPI_COMM_WORLD, &p->q);
        }
    }
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc != 6) {
        if (rank == 0)
            fprintf(stderr, "usage: mpi_overlap N FRACTION COMPUTE_MS SLICES REPS\n");
        MPI_Finalize();
        return 2;
    }
    int n = atoi(argv[1]), slices = atoi(argv[4]), reps = atoi(argv[5]);
    double frac = atof(argv[2]), ms = atof(argv[3]);
    int na = (int)(frac * n);
    float *x = calloc((size_t)n, sizeof *x);
    piece whole, early, late;
    piece_init(&whole, x, n);
    piece_init(&early, x, na);
    piece_init(&late, x + na, n - na);
    double *t[3];
    for (int k = 0; k < 3; k++)
        t[k] = malloc((size_t)reps * sizeof *t[k]);
    float acc = 1;
    for (int i = 0; i < 20; i++)         /* calibrate the arithmetic's rate */
        acc = work(ms / slices, acc);
    for (int i = 0; i < reps; i++) {
        MPI_Barrier(MPI_COMM_WORLD);     /* 0: compute, then the exchange */
        double t0 = MPI_Wtime();
        for (int s = 0; s < slices; s++)
            acc = work(ms / slices, acc);
        double t1 = MPI_Wtime();
        post(&whole);
        drive(&whole, 1);
        t[0][i] = MPI_Wtime() - t0;
        t[2][i] = MPI_Wtime() - t1;
        MPI_Barrier(MPI_COMM_WORLD);     /* 1: the early part posted first, driven between slices */
        t0 = MPI_Wtime();
        if (na > 0)
            post(&early);
        for (int s = 0; s < slices; s++) {
            acc = work(ms / slices, acc);
            if (na > 0)
                drive(&early, 0);
        }
        if (na > 0)                      /* collectives in the same order on every rank: early's first */
            drive(&early, 1);
        if (na < n) {
            post(&late);
            drive(&late, 1);
        }
        t[1][i] = MPI_Wtime() - t0;
    }
    for (int k = 0; k < 3; k++)
        qsort(t[k], (size_t)reps, sizeof *t[k], cmp);
    if (rank == 0)
        printf("overlap: %d floats, %.1f%% of them early, %.0f ms of compute in %d slices, %d ranks, median "
               "(min-max) of %d: compute then exchange %.1f ms (%.1f-%.1f; the exchange %.1f), overlapped %.1f ms "
               "(%.1f-%.1f): %.1f%% saved (%g)\n", n, 100 * frac, ms, slices, size, reps, 1e3 * t[0][reps / 2],
               1e3 * t[0][0], 1e3 * t[0][reps - 1], 1e3 * t[2][reps / 2], 1e3 * t[1][reps / 2], 1e3 * t[1][0],
               1e3 * t[1][reps - 1], 100 * (t[0][reps / 2] - t[1][reps / 2]) / t[0][reps / 2], (double)acc);
    for (int k = 0; k < 3; k++)
        free(t[k]);
    piece *all[] = {&whole, &early, &late};
    for (int k = 0; k < 3; k++)
        free(all[k]->parts), free(all[k]->counts);
    free(x);
    MPI_Finalize();
    return 0;
}

/* `seqnn train` under mpirun: tells a launch by an MPI launcher from the
 * environment, starts and ends MPI, picks the rank's device by its local
 * rank, keeps ranks other than 0 quiet unless they fail, and ends the whole
 * job when one rank fails (docs/distributed.md). */
#define _POSIX_C_SOURCE 200809L
#include "dist.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "seqnn/distributed.h"
#include "seqnn/seqnn.h"
#ifdef SEQNN_HAVE_MPI
#include <mpi.h>
#endif

/* The first of the launchers' variables that is set (Open MPI, PMI, PMIx,
 * MPICH's Hydra), as an integer; -1 when none is. */
static long env_first(const char *const *names)
{
    for (int i = 0; names[i]; i++) {
        const char *v = getenv(names[i]);
        if (v && *v)
            return strtol(v, NULL, 10);
    }
    return -1;
}

static const char *const size_vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS", NULL};

static int log_info(void)
{
    const char *v = getenv("SEQNN_LOG");
    return v && (!strcmp(v, "info") || !strcmp(v, "debug"));
}

/* The real standard error of this rank (ranks > 0 hold theirs back). */
static FILE *real_stderr(const cli_dist *d)
{
    static FILE *f;
    if (d->saved_err < 0)
        return stderr;
    if (!f)
        f = fdopen(dup(d->saved_err), "w");
    return f ? f : stderr;
}

#ifdef SEQNN_HAVE_MPI
static const char *const local_vars[] = {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "PMI_LOCAL_RANK",
                                         "PMIX_LOCAL_RANK", NULL};

/* Ranks > 0: standard output discarded, standard error into an unlinked
 * temporary file shown only if the rank fails. */
static void quiet(cli_dist *d)
{
    char path[] = "/tmp/seqnn-rank-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return;
    unlink(path);
    fflush(stdout);
    fflush(stderr);
    if (!freopen("/dev/null", "w", stdout))
        fprintf(stderr, "seqnn: rank %d: cannot discard standard output\n", d->rank);
    d->saved_err = dup(2);
    dup2(fd, 2);
    close(fd);
}

int cli_dist_begin(cli_dist *d)
{
    *d = (cli_dist){.saved_err = -1};
    if (env_first(size_vars) < 1)
        return 0;
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        fprintf(stderr, "seqnn train: started by an MPI launcher, but MPI_Init failed\n");
        return 1;
    }
    d->launched = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    MPI_Comm_dup(MPI_COMM_WORLD, &d->end_comm);
    long lr = env_first(local_vars);
    d->local_rank = lr >= 0 ? (int)lr : d->rank;
    if (d->rank > 0)
        quiet(d);
    return 0;
}

int cli_dist_attach(cli_dist *d, seqnn_model *m, const volatile sig_atomic_t *stop)
{
    if (!d->launched)
        return 0;
    seqnn_distributed_options o;
    seqnn_distributed_options_init(&o);
    o.local_batches = 1;                 /* the data gives each rank its shard */
    o.stop = stop;                       /* an interrupt stops every rank after the same step */
    const char *every = getenv("SEQNN_DIST_CHECK_EVERY");
    if (every && *every)
        o.check_every = strtoll(every, NULL, 10);
    if (seqnn_model_set_distributed(m, &o) != SEQNN_OK) {
        fprintf(stderr, "seqnn train: %s\n", seqnn_last_error());
        return 1;
    }
    return 0;
}

void cli_dist_barrier(const cli_dist *d)
{
    if (d->launched)
        MPI_Barrier(MPI_COMM_WORLD);
}

/* The last line this rank held back on its standard error (ranks > 0: the
 * error of a failing rank; the banner before it is rank 0's too) into buf,
 * without its newline; "" when there is none. */
static void last_held_line(cli_dist *d, char *buf, size_t size)
{
    buf[0] = 0;
    fflush(stderr);
    off_t end = d->saved_err < 0 ? -1 : lseek(2, 0, SEEK_END);
    char tail[2048];
    if (end <= 0)
        return;
    off_t from = end > (off_t)sizeof tail - 1 ? end - (off_t)sizeof tail + 1 : 0;
    ssize_t n = pread(2, tail, (size_t)(end - from), from);
    if (n <= 0)
        return;
    tail[n] = 0;
    while (n > 0 && tail[n - 1] == '\n')
        tail[--n] = 0;
    char *p = strrchr(tail, '\n');
    snprintf(buf, size, "%s", p ? p + 1 : tail);
}

/* A failing rank's held-back error, on its real standard error, naming it. */
static void show_held(cli_dist *d)
{
    char line[2048];
    last_held_line(d, line, sizeof line);
    if (*line)
        fprintf(real_stderr(d), "rank %d: %s\n", d->rank, line);
}

/* Once the ranks know that rank bad failed: its exit status (at least 1),
 * and its reason into why[1024] on every rank (rank 0: "", its message is
 * on the terminal already). A collective over comm. */
static int failure_of(cli_dist *d, MPI_Comm comm, int bad, int rc, char *why)
{
    int status = rc;
    why[0] = 0;
    if (d->rank == bad)
        last_held_line(d, why, 1024);
    MPI_Bcast(&status, 1, MPI_INT, bad, comm);
    MPI_Bcast(why, 1024, MPI_CHAR, bad, comm);
    return status ? status : 1;
}

int cli_dist_agree(cli_dist *d, int rc)
{
    if (!d->launched)
        return rc;
    int mine = rc ? d->rank : d->size, bad = d->size;
    if (MPI_Allreduce(&mine, &bad, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD) != MPI_SUCCESS)
        return rc ? rc : 1;              /* the error handler has ended the job by now */
    if (bad == d->size)
        return 0;
    char why[1024];
    int status = failure_of(d, MPI_COMM_WORLD, bad, rc, why);
    int failed = 0;                      /* how many ranks failed */
    MPI_Reduce(&(int){rc != 0}, &failed, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
    if (d->rank == 0) {
        char others[64] = "";
        if (failed > 1)
            snprintf(others, sizeof others, " (and %d other rank%s)", failed - 1, failed > 2 ? "s" : "");
        if (bad == 0)
            fprintf(stderr, "seqnn train: rank 0 of %d could not start%s: the reason is above; all %d ranks stop\n",
                    d->size, others, d->size);
        else
            fprintf(stderr, "seqnn train: rank %d of %d could not start%s: %s; all %d ranks stop\n", bad, d->size,
                    others, *why ? why : "(no message)", d->size);
    }
    d->agreed = 1;
    return status;
}

/* At the end, the ranks' statuses compared on their own communicator: 1
 * when every rank took part (a failing rank waits END_WAIT_S for the
 * others, which fail at the same step when the failure was agreed, then
 * gives up: 0), *rc then the lowest failing rank's status, and rank 0 said
 * which rank failed and why unless it failed itself (its own message names
 * that rank). */
#define END_WAIT_S 3.0
static int end_agreed(cli_dist *d, int *rc)
{
    int mine = *rc ? d->rank : d->size, bad = d->size, done = 0;
    MPI_Request q;
    if (MPI_Iallreduce(&mine, &bad, 1, MPI_INT, MPI_MIN, d->end_comm, &q) != MPI_SUCCESS)
        return 0;
    double until = MPI_Wtime() + END_WAIT_S;
    while (!done && (*rc == 0 || MPI_Wtime() < until)) {
        MPI_Test(&q, &done, MPI_STATUS_IGNORE);
        if (!done)
            nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    if (!done)
        return 0;
    if (bad == d->size)
        return 1;
    char why[1024];
    int status = failure_of(d, d->end_comm, bad, *rc, why);
    if (d->rank == 0 && *rc == 0)
        fprintf(stderr, "seqnn train: rank %d of %d failed: %s\n", bad, d->size, *why ? why : "(no message)");
    *rc = *rc ? *rc : status;
    return 1;
}

int cli_dist_end(cli_dist *d, int rc)
{
    if (!d->launched)
        return rc;
    fflush(stdout);
    if (!d->agreed && end_agreed(d, &rc))
        d->agreed = 1;
    if (rc != 0 && !d->agreed) {
        show_held(d);
        fprintf(real_stderr(d), "seqnn train: rank %d of %d stops the job (exit status %d)\n", d->rank, d->size, rc);
        fflush(real_stderr(d));
        MPI_Abort(MPI_COMM_WORLD, rc);
    }
    MPI_Comm_free(&d->end_comm);
    MPI_Finalize();
    return rc;
}

#else /* built without MPI */

int cli_dist_begin(cli_dist *d)
{
    *d = (cli_dist){.saved_err = -1};
    if (env_first(size_vars) > 1) {
        fprintf(stderr, "seqnn train: started by an MPI launcher (%ld processes), but this seqnn was built without "
                        "MPI: each process would train its own copy. Install Open MPI (Debian: libopenmpi-dev "
                        "openmpi-bin) and configure and build again (cmake finds it; see docs/distributed.md), or "
                        "run seqnn train without mpirun.\n", env_first(size_vars));
        return 2;
    }
    return 0;
}

int cli_dist_attach(cli_dist *d, seqnn_model *m, const volatile sig_atomic_t *stop)
{
    (void)d, (void)m, (void)stop;
    return 0;
}

void cli_dist_barrier(const cli_dist *d)
{
    (void)d;
}

int cli_dist_agree(cli_dist *d, int rc)
{
    (void)d;
    return rc;
}

int cli_dist_end(cli_dist *d, int rc)
{
    (void)d;
    return rc;
}
#endif

/* The plugin a spec names (its part before ':'), or the best device's. */
static int spec_plugin(seqnn_registry *reg, const char *spec, char *plugin, size_t size)
{
    int64_t dev;
    seqnn_device_record r;
    if (seqnn_registry_select(reg, spec, &dev, NULL, 0) != SEQNN_OK || seqnn_registry_device(reg, dev, &r) != SEQNN_OK)
        return 0;
    snprintf(plugin, size, "%s", r.plugin_name);
    return 1;
}

const char *cli_dist_backend(cli_dist *d, const char *spec)
{
    if (!d->launched)
        return spec;
    const char *s = spec ? spec : getenv("SEQNN_BACKEND");
    seqnn_registry *reg = NULL;
    char plugin[128];
    const char *out = spec;
    if ((s && (strchr(s, ':') || strchr(s, ','))) || seqnn_registry_open(&reg) != SEQNN_OK ||
        !spec_plugin(reg, s, plugin, sizeof plugin)) {
        seqnn_registry_close(reg);
        return spec;                     /* pinned by the user, or the failure is the context's to report */
    }
    int64_t n = 0, pick = -1, same = 0;
    seqnn_device_record r, chosen = {0};
    for (int64_t i = 0; i < seqnn_registry_device_count(reg); i++)
        if (seqnn_registry_device(reg, i, &r) == SEQNN_OK && !strcmp(r.plugin_name, plugin) && r.score > 0)
            n++;
    for (int64_t i = 0, k = 0; n > 1 && i < seqnn_registry_device_count(reg); i++)
        if (seqnn_registry_device(reg, i, &r) == SEQNN_OK && !strcmp(r.plugin_name, plugin) && r.score > 0 &&
            k++ == d->local_rank % n) {
            pick = i;
            chosen = r;
        }
    for (int64_t i = 0; pick >= 0 && i < seqnn_registry_device_count(reg); i++)
        if (seqnn_registry_device(reg, i, &r) == SEQNN_OK && !strcmp(r.plugin_name, plugin) &&
            strstr(r.name, chosen.name))
            same++;
    if (pick >= 0 && same == 1) {
        snprintf(d->spec, sizeof d->spec, "%s:%s", plugin, chosen.name);
        out = d->spec;
    } else if (pick >= 0) {
        fprintf(real_stderr(d), "seqnn warn: rank %d: %lld devices of %s, but their names do not tell them "
                                "apart: every rank takes the first (name the device in --backend)\n", d->rank,
                (long long)n, plugin);
    }
    if (log_info())
        fprintf(real_stderr(d), "seqnn info: rank %d of %d (local rank %d): backend %s, %lld device%s of %s%s%s\n",
                d->rank, d->size, d->local_rank, out ? out : plugin, (long long)n, n == 1 ? "" : "s", plugin,
                pick >= 0 ? ", this rank's: " : "", pick >= 0 ? chosen.name : "");
    seqnn_registry_close(reg);
    return out;
}

/* `seqnn bench`, the peers: runs a peer program of bench/ (found next to
 * this program, or in SEQNN_BENCH_PEERS) with the case as key=value
 * arguments, and reads its answer in the line protocol of
 * bench/peer_common.h (isa, note, sample, unavailable). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

static void self_dir(char *dir, size_t n)
{
    const char *env = getenv("SEQNN_BENCH_PEERS");
    if (env && *env) {
        snprintf(dir, n, "%s", env);
        return;
    }
    ssize_t len = readlink("/proc/self/exe", dir, n - 1);
    if (len <= 0) {
        snprintf(dir, n, ".");
        return;
    }
    dir[len] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
}

/* whether peer `name` has an implementation of the case */
int bench_peer_applies(const char *name, const bench_case *c)
{
    if (!strcmp(name, "openblas") || !strcmp(name, "openblas-haswell"))
        return c->op == OP_GEMM;
    if (!strcmp(name, "torch-passive"))
        return c->op == OP_MODEL;
    if (!strcmp(name, "onednn") || !strcmp(name, "onednn-avx2"))
        return c->op == OP_GEMM || c->op == OP_RNN;
    if (!strcmp(name, "torch") || !strcmp(name, "torch-avx2") || !strcmp(name, "torch-cuda"))
        return 1;
    if (!strcmp(name, "triad"))
        return c->op == OP_OPTIM;
    return 0;
}

#define PEER_ARG_LEN 1100

static void case_peer_args(const bench_case *c, int threads, const bench_opts *o, char args[][PEER_ARG_LEN],
                           int *nargs)
{
    int n = 0;
#define ARG(...) snprintf(args[n++], PEER_ARG_LEN, __VA_ARGS__)
    switch (c->op) {
    case OP_GEMM:
        ARG("gemm");
        ARG("m=%lld", (long long)c->m);
        ARG("n=%lld", (long long)c->n);
        ARG("k=%lld", (long long)c->k);
        break;
    case OP_RNN:
        ARG("rnn");
        ARG("cell=%s", c->name);
        ARG("hidden=%lld", (long long)c->hidden);
        ARG("batch=%lld", (long long)c->batch);
        ARG("seq=%lld", (long long)c->seq);
        ARG("input=%lld", (long long)c->input);
        ARG("layers=%lld", (long long)c->layers);
        ARG("bidir=%d", c->bidir);
        break;
    case OP_CONV: {
        char w[40] = "";
        for (int i = 0; i < c->nwidths; i++)
            snprintf(w + strlen(w), sizeof w - strlen(w), "%s%d", i ? "," : "", c->widths[i]);
        ARG("conv");
        ARG("batch=%lld", (long long)c->batch);
        ARG("seq=%lld", (long long)c->seq);
        ARG("embed=%lld", (long long)c->embed);
        ARG("filters=%lld", (long long)c->filters);
        ARG("widths=%s", w);
        break;
    }
    case OP_ATTENTION:
        ARG("attention");
        ARG("batch=%lld", (long long)c->batch);
        ARG("heads=%lld", (long long)c->heads);
        ARG("seq=%lld", (long long)c->seq);
        ARG("dim=%lld", (long long)c->dim);
        break;
    case OP_OPTIM:
        ARG("optim");
        ARG("which=%s", c->name);
        ARG("params=%lld", (long long)c->params);
        break;
    case OP_MODEL:
        ARG("model");
        ARG("path=%s", c->model);
        ARG("vocab=%lld", (long long)c->vocab);
        ARG("batch=%lld", (long long)c->batch);
        ARG("seq=%lld", (long long)c->seq);
        break;
    }
    ARG("train=%d", c->train);
    ARG("reps=%d", o->reps);
    ARG("warmup=%d", o->warmup);
    ARG("clock=%s", o->cpu_clock ? "cpu" : "wall");
    ARG("threads=%d", threads);
#undef ARG
    *nargs = n;
}

/* the peer's program (and its interpreter, "" for none); -1 (with r->note)
 * when it is missing */
static int peer_locate(const char *name, char *prog, size_t nprog, char *interp, size_t ninterp, bench_result *r)
{
    char dir[1024];
    self_dir(dir, sizeof dir);
    interp[0] = '\0';
    if (!strncmp(name, "openblas", 8))
        snprintf(prog, nprog, "%s/seqnn-peer-openblas", dir);
    else if (!strcmp(name, "onednn") || !strcmp(name, "onednn-avx2"))
        snprintf(prog, nprog, "%s/seqnn-peer-onednn", dir);
    else {
        const char *py = getenv("SEQNN_BENCH_PYTHON");
        snprintf(interp, ninterp, "%s", py && *py ? py : "/usr/bin/python3");
        snprintf(prog, nprog, "%s/seqnn-peer-torch.py", dir);
        if (access(interp, X_OK) != 0) {
            snprintf(r->note, sizeof r->note, "%.200s not found", interp);
            return -1;
        }
    }
    if (access(prog, interp[0] ? R_OK : X_OK) != 0) {
        snprintf(r->note, sizeof r->note, "%.180s not built (%s)", prog,
                 !strncmp(name, "openblas", 8) ? "libopenblas-dev was missing at configure time"
                 : strncmp(name, "torch", 5) ? "libdnnl-dev was missing at configure time"
                                           : "bench/ not configured");
        return -1;
    }
    return 0;
}

/* The ISA cap of a peer, as environment variables read when its libraries
 * load (hence a separate process per peer): the "-avx2" / "-haswell" peers
 * are capped at AVX2, the others run uncapped whatever the caller's
 * environment says. ATen's kernels: ATEN_CPU_CAPABILITY; oneDNN (oneDNN's
 * own primitives, PyTorch's mkldnn ops): DNNL_MAX_CPU_ISA; OpenBLAS (also
 * PyTorch's BLAS): OPENBLAS_CORETYPE selects the kernel. */
static void peer_isa_env(const char *name)
{
    const int dnnl_avx2 = !strcmp(name, "onednn-avx2") || !strcmp(name, "torch-avx2");
    const int blas_haswell = !strcmp(name, "openblas-haswell") || !strcmp(name, "torch-avx2");
    if (dnnl_avx2)
        setenv("DNNL_MAX_CPU_ISA", "AVX2", 1);
    else
        unsetenv("DNNL_MAX_CPU_ISA");
    if (blas_haswell)
        setenv("OPENBLAS_CORETYPE", "Haswell", 1);
    else
        unsetenv("OPENBLAS_CORETYPE");
    if (!strcmp(name, "torch-avx2"))
        setenv("ATEN_CPU_CAPABILITY", "avx2", 1);
    else
        unsetenv("ATEN_CPU_CAPABILITY");
}

/* in the child: the peer's thread count and ISA cap, stdout and stderr into
 * the pipe, then the program; never returns */
static void peer_exec(const char *name, int threads, int fds[2], char **argv)
{
    char t[16];
    snprintf(t, sizeof t, "%d", threads);
    setenv("OMP_NUM_THREADS", t, 1);
    setenv("OPENBLAS_NUM_THREADS", t, 1);
    setenv("MKL_NUM_THREADS", t, 1);
    peer_isa_env(name);
    /* torch-passive: OpenMP threads sleep when idle instead of spinning */
    if (!strcmp(name, "torch-passive"))
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    else
        unsetenv("OMP_WAIT_POLICY");
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    execv(argv[0], argv);
    printf("unavailable cannot run %s: %s\n", argv[0], strerror(errno));
    fflush(stdout);
    _exit(127);
}

/* reads the peer's answer: samples, isa and note into r; its reason when
 * unavailable, and the last other line it printed */
static void peer_read(FILE *in, bench_result *r, char *unavailable, size_t nu, char *other, size_t no)
{
    char line[1024];
    while (in && fgets(line, sizeof line, in)) {
        line[strcspn(line, "\n")] = '\0';
        if (!strncmp(line, "sample ", 7)) {
            if (r->n < BENCH_MAX_SAMPLES)
                r->samples[r->n++] = strtod(line + 7, NULL);
        } else if (!strncmp(line, "isa ", 4)) {
            bench_copy_str(r->isa, sizeof r->isa, line + 4);
        } else if (!strncmp(line, "note ", 5)) {
            bench_copy_str(r->note, sizeof r->note, line + 5);
        } else if (!strncmp(line, "unavailable ", 12)) {
            bench_copy_str(unavailable, nu, line + 12);
        } else if (line[0]) {
            bench_copy_str(other, no, line);
        }
    }
}

/* Runs a peer program and reads its answer; -1 (with r->note) when it cannot run. */
int bench_run_peer(const char *name, const bench_case *c, int threads, const bench_opts *o, bench_result *r)
{
    char prog[1200], interp[256];
    if (peer_locate(name, prog, sizeof prog, interp, sizeof interp, r) != 0)
        return -1;
    static char args[24][PEER_ARG_LEN];
    int nargs;
    case_peer_args(c, threads, o, args, &nargs);
    if (!strcmp(name, "torch-cuda"))
        snprintf(args[nargs++], PEER_ARG_LEN, "device=cuda");
    char *argv[32];
    int ac = 0;
    if (interp[0])
        argv[ac++] = interp;
    argv[ac++] = prog;
    for (int i = 0; i < nargs; i++)
        argv[ac++] = args[i];
    argv[ac] = NULL;

    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(r->note, sizeof r->note, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(r->note, sizeof r->note, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0)
        peer_exec(name, threads, fds, argv);
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    char other[256] = "", unavailable[256] = "";
    peer_read(in, r, unavailable, sizeof unavailable, other, sizeof other);
    if (in)
        fclose(in);
    int status = 0;
    waitpid(pid, &status, 0);
    if (r->n == 0) {
        snprintf(r->note, sizeof r->note, "%s",
                 unavailable[0] ? unavailable : other[0] ? other : "it printed no timing");
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(r->note, sizeof r->note, "exited abnormally: %.200s", other);
        r->n = 0;
        return -1;
    }
    return 0;
}

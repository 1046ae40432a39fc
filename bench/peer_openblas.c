/* OpenBLAS peer of `seqnn bench gemm`: cblas_sgemm, row-major, no transposes,
 * C = A B (alpha 1, beta 0), on OPENBLAS_NUM_THREADS threads (set by the
 * caller). Protocol: bench/peer_common.h. */
#include "peer_common.h"
#include <cblas.h>

typedef struct {
    int m, n, k;
    float *a, *b, *c;
} gemm_case;

static void gemm_run(void *p)
{
    gemm_case *g = p;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->m, g->n, g->k, 1.0f, g->a, g->k, g->b, g->n, 0.0f,
                g->c, g->n);
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "gemm") != 0) {
        printf("unavailable OpenBLAS peer runs gemm only\n");
        return 0;
    }
    const char *core = getenv("OPENBLAS_CORETYPE");
    printf("isa OpenBLAS sgemm, kernel %s (%s; OPENBLAS_CORETYPE=%s), %d thread(s)\n", openblas_get_corename(),
           openblas_get_config(), core && *core ? core : "unset", openblas_get_num_threads());
    gemm_case g;
    g.m = (int)peer_int(argc, argv, "m", 1024);
    g.n = (int)peer_int(argc, argv, "n", 1024);
    g.k = (int)peer_int(argc, argv, "k", 1024);
    g.a = peer_alloc((size_t)g.m * g.k);
    g.b = peer_alloc((size_t)g.k * g.n);
    g.c = peer_alloc((size_t)g.m * g.n);
    peer_fill(g.a, (size_t)g.m * g.k, 1, 1.0f);
    peer_fill(g.b, (size_t)g.k * g.n, 2, 1.0f);
    peer_time(argc, argv, gemm_run, &g);
    free(g.a);
    free(g.b);
    free(g.c);
    return 0;
}

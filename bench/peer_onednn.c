/* oneDNN peer of `seqnn bench`: recurrent layers (LSTM, linear-before-reset
 * GRU = PyTorch's GRU, vanilla RNN tanh), one or more layers, one direction or
 * bidirectional (concatenated), inference (forward_inference) or training
 * (forward_training + backward), and gemm (dnnl_sgemm). Threads: oneDNN's
 * OpenMP runtime, OMP_NUM_THREADS (set by the caller); the ISA cap is
 * DNNL_MAX_CPU_ISA (the caller runs it once uncapped, once with AVX2).
 *
 * Layers are chained primitives of one layer each (the input width of a
 * layer after a bidirectional one differs from the first's). Weights are in
 * the layout oneDNN picks (format any): for inference they are put there once,
 * outside the timing, as a user who keeps the weights would; in training they
 * change every step, so the reorders from the user layout (ldigo) to the
 * forward and backward layouts are timed with the step. Zero initial states,
 * as PyTorch without h0. Protocol: bench/peer_common.h. */
#include "peer_common.h"
#include <dnnl.h>

#define CHECK(call)                                                                  \
    do {                                                                             \
        dnnl_status_t st_ = (call);                                                  \
        if (st_ != dnnl_success) {                                                   \
            printf("unavailable oneDNN call failed (status %d): %s\n", (int)st_, #call); \
            exit(0);                                                                 \
        }                                                                            \
    } while (0)

static dnnl_engine_t eng;
static dnnl_stream_t strm;

static const char *isa_name(dnnl_cpu_isa_t isa)
{
    switch ((int)isa) {
    case dnnl_cpu_isa_sse41: return "SSE4.1";
    case dnnl_cpu_isa_avx: return "AVX";
    case dnnl_cpu_isa_avx2: return "AVX2";
    case dnnl_cpu_isa_avx512_mic: return "AVX-512 MIC";
    case dnnl_cpu_isa_avx512_core: return "AVX-512";
    case dnnl_cpu_isa_avx512_core_vnni: return "AVX-512 VNNI";
    case dnnl_cpu_isa_avx512_core_bf16: return "AVX-512 BF16";
    case dnnl_cpu_isa_avx512_core_amx: return "AVX-512 AMX";
    case dnnl_cpu_isa_avx2_vnni: return "AVX2 VNNI";
    default: return "other";
    }
}

static dnnl_memory_t mem_new(const dnnl_memory_desc_t *md, unsigned seed)
{
    dnnl_memory_t m;
    void *p;
    CHECK(dnnl_memory_create(&m, md, eng, DNNL_MEMORY_ALLOCATE));
    CHECK(dnnl_memory_get_data_handle(m, &p));
    peer_fill(p, dnnl_memory_desc_get_size(md) / sizeof(float), seed, 0.1f);
    return m;
}

static void md_tag(dnnl_memory_desc_t *md, int nd, const dnnl_dim_t *dims, dnnl_format_tag_t tag)
{
    CHECK(dnnl_memory_desc_init_by_tag(md, nd, dims, dnnl_f32, tag));
}

static const dnnl_memory_desc_t *pd_md(const_dnnl_primitive_desc_t pd, dnnl_query_t what)
{
    return dnnl_primitive_desc_query_md(pd, what, 0);
}

/* a reorder primitive from src to dst memory */
static dnnl_primitive_t reorder_new(dnnl_memory_t src, dnnl_memory_t dst)
{
    const dnnl_memory_desc_t *s, *d;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t p;
    CHECK(dnnl_memory_get_memory_desc(src, &s));
    CHECK(dnnl_memory_get_memory_desc(dst, &d));
    CHECK(dnnl_reorder_primitive_desc_create(&pd, s, eng, d, eng, NULL));
    CHECK(dnnl_primitive_create(&p, pd));
    dnnl_primitive_desc_destroy(pd);
    return p;
}

static void reorder_run(dnnl_primitive_t r, dnnl_memory_t src, dnnl_memory_t dst)
{
    dnnl_exec_arg_t args[2] = { { DNNL_ARG_FROM, src }, { DNNL_ARG_TO, dst } };
    CHECK(dnnl_primitive_execute(r, strm, 2, args));
}

enum { CELL_LSTM, CELL_GRU, CELL_RNN };

typedef struct {
    dnnl_primitive_t fwd, bwd;
    dnnl_memory_t src, dst, bias, wl, wi;        /* forward (weights in the forward layout) */
    dnnl_memory_t user_wl, user_wi;              /* training: weights in ldigo */
    dnnl_memory_t bwl, bwi;                      /* training: weights in the backward layout */
    dnnl_primitive_t r_fl, r_fi, r_bl, r_bi;     /* training: reorders user -> fwd / bwd */
    dnnl_memory_t ws, dsrc, ddst, dwl, dwi, dbias;
} rnn_layer;

typedef struct {
    int layers, train;
    rnn_layer *l;
} rnn_net;

static void rnn_desc(dnnl_rnn_desc_t *d, int cell, int backward, dnnl_prop_kind_t prop, dnnl_rnn_direction_t dir,
                     dnnl_memory_desc_t *mds /* src wl wi bias dst, then their diffs */)
{
    dnnl_memory_desc_t *s = &mds[0], *wl = &mds[1], *wi = &mds[2], *b = &mds[3], *y = &mds[4];
    dnnl_memory_desc_t *ds = &mds[5], *dwl = &mds[6], *dwi = &mds[7], *db = &mds[8], *dy = &mds[9];
    if (!backward) {
        if (cell == CELL_LSTM)
            CHECK(dnnl_lstm_forward_desc_init(d, prop, dir, s, NULL, NULL, wl, wi, b, y, NULL, NULL, 0));
        else if (cell == CELL_GRU)
            CHECK(dnnl_lbr_gru_forward_desc_init(d, prop, dir, s, NULL, wl, wi, b, y, NULL, 0));
        else
            CHECK(dnnl_vanilla_rnn_forward_desc_init(d, prop, dnnl_eltwise_tanh, dir, s, NULL, wl, wi, b, y, NULL,
                                                     0, 0.0f, 0.0f));
    } else {
        if (cell == CELL_LSTM)
            CHECK(dnnl_lstm_backward_desc_init(d, dnnl_backward, dir, s, NULL, NULL, wl, wi, b, y, NULL, NULL, ds,
                                               NULL, NULL, dwl, dwi, db, dy, NULL, NULL, 0));
        else if (cell == CELL_GRU)
            CHECK(dnnl_lbr_gru_backward_desc_init(d, dnnl_backward, dir, s, NULL, wl, wi, b, y, NULL, ds, NULL, dwl,
                                                  dwi, db, dy, NULL, 0));
        else
            CHECK(dnnl_vanilla_rnn_backward_desc_init(d, dnnl_backward, dnnl_eltwise_tanh, dir, s, NULL, wl, wi, b,
                                                      y, NULL, ds, NULL, dwl, dwi, db, dy, NULL, 0, 0.0f, 0.0f));
    }
}

static void rnn_run(void *p)
{
    rnn_net *n = p;
    for (int i = 0; i < n->layers; i++) {
        rnn_layer *L = &n->l[i];
        if (n->train) {
            reorder_run(L->r_fl, L->user_wl, L->wl);
            reorder_run(L->r_fi, L->user_wi, L->wi);
        }
        dnnl_exec_arg_t a[] = { { DNNL_ARG_SRC_LAYER, L->src }, { DNNL_ARG_WEIGHTS_LAYER, L->wl },
                                { DNNL_ARG_WEIGHTS_ITER, L->wi }, { DNNL_ARG_BIAS, L->bias },
                                { DNNL_ARG_DST_LAYER, L->dst }, { DNNL_ARG_WORKSPACE, L->ws } };
        CHECK(dnnl_primitive_execute(L->fwd, strm, n->train ? 6 : 5, a));
    }
    if (n->train)
        for (int i = n->layers - 1; i >= 0; i--) {
            rnn_layer *L = &n->l[i];
            reorder_run(L->r_bl, L->user_wl, L->bwl);
            reorder_run(L->r_bi, L->user_wi, L->bwi);
            dnnl_exec_arg_t a[] = { { DNNL_ARG_SRC_LAYER, L->src },       { DNNL_ARG_WEIGHTS_LAYER, L->bwl },
                                    { DNNL_ARG_WEIGHTS_ITER, L->bwi },    { DNNL_ARG_BIAS, L->bias },
                                    { DNNL_ARG_DST_LAYER, L->dst },       { DNNL_ARG_WORKSPACE, L->ws },
                                    { DNNL_ARG_DIFF_SRC_LAYER, L->dsrc }, { DNNL_ARG_DIFF_DST_LAYER, L->ddst },
                                    { DNNL_ARG_DIFF_WEIGHTS_LAYER, L->dwl },
                                    { DNNL_ARG_DIFF_WEIGHTS_ITER, L->dwi }, { DNNL_ARG_DIFF_BIAS, L->dbias } };
            CHECK(dnnl_primitive_execute(L->bwd, strm, 11, a));
        }
    CHECK(dnnl_stream_wait(strm));
}

static int rnn_main(int argc, char **argv)
{
    const char *cname = peer_arg(argc, argv, "cell", "lstm");
    int cell = !strcmp(cname, "lstm") ? CELL_LSTM : !strcmp(cname, "gru") ? CELL_GRU : CELL_RNN;
    int64_t H = peer_int(argc, argv, "hidden", 512), B = peer_int(argc, argv, "batch", 64);
    int64_t T = peer_int(argc, argv, "seq", 50), I = peer_int(argc, argv, "input", H);
    int nl = (int)peer_int(argc, argv, "layers", 1), D = peer_int(argc, argv, "bidir", 0) ? 2 : 1;
    int G = cell == CELL_LSTM ? 4 : cell == CELL_GRU ? 3 : 1, GB = cell == CELL_GRU ? 4 : G;
    rnn_net net = { nl, (int)peer_int(argc, argv, "train", 0), calloc((size_t)nl, sizeof(rnn_layer)) };
    dnnl_rnn_direction_t dir = D == 2 ? dnnl_bidirectional_concat : dnnl_unidirectional_left2right;
    const char *impl = "?";
    dnnl_memory_t prev_dst = NULL, prev_ddst = NULL;
    for (int i = 0; i < nl; i++) {
        rnn_layer *L = &net.l[i];
        int64_t in = i == 0 ? I : D * H;
        dnnl_dims_t ds = { T, B, in }, dd = { T, B, D * H }, dwl = { 1, D, in, G, H }, dwi = { 1, D, H, G, H },
                    db = { 1, D, GB, H };
        dnnl_memory_desc_t m[10];
        md_tag(&m[0], 3, ds, dnnl_tnc);
        md_tag(&m[1], 5, dwl, dnnl_format_tag_any);
        md_tag(&m[2], 5, dwi, dnnl_format_tag_any);
        md_tag(&m[3], 4, db, dnnl_ldgo);
        md_tag(&m[4], 3, dd, dnnl_tnc);
        m[5] = m[0];
        m[6] = m[1];
        m[7] = m[2];
        m[8] = m[3];
        m[9] = m[4];
        dnnl_rnn_desc_t d;
        dnnl_primitive_desc_t fpd, bpd = NULL;
        rnn_desc(&d, cell, 0, net.train ? dnnl_forward_training : dnnl_forward_inference, dir, m);
        CHECK(dnnl_primitive_desc_create(&fpd, &d, NULL, eng, NULL));
        CHECK(dnnl_primitive_create(&L->fwd, fpd));
        CHECK(dnnl_primitive_desc_query(fpd, dnnl_query_impl_info_str, 0, &impl));
        L->src = prev_dst ? prev_dst : mem_new(&m[0], 11);
        L->dst = mem_new(&m[4], 12);
        L->bias = mem_new(&m[3], 13);
        L->wl = mem_new(pd_md(fpd, dnnl_query_weights_md), 14);
        L->wi = mem_new(dnnl_primitive_desc_query_md(fpd, dnnl_query_weights_md, 1), 15);
        /* weights are made in the user layout and reordered into oneDNN's (a packed
         * layout carries a header: it must come from a reorder, not from raw data) */
        dnnl_memory_desc_t u;
        md_tag(&u, 5, dwl, dnnl_ldigo);
        L->user_wl = mem_new(&u, 17);
        md_tag(&u, 5, dwi, dnnl_ldigo);
        L->user_wi = mem_new(&u, 18);
        L->r_fl = reorder_new(L->user_wl, L->wl);
        L->r_fi = reorder_new(L->user_wi, L->wi);
        reorder_run(L->r_fl, L->user_wl, L->wl);
        reorder_run(L->r_fi, L->user_wi, L->wi);
        CHECK(dnnl_stream_wait(strm));
        if (net.train) {
            L->ws = mem_new(pd_md(fpd, dnnl_query_workspace_md), 16);
            rnn_desc(&d, cell, 1, dnnl_backward, dir, m);
            CHECK(dnnl_primitive_desc_create(&bpd, &d, NULL, eng, fpd));
            CHECK(dnnl_primitive_create(&L->bwd, bpd));
            L->bwl = mem_new(pd_md(bpd, dnnl_query_weights_md), 19);
            L->bwi = mem_new(dnnl_primitive_desc_query_md(bpd, dnnl_query_weights_md, 1), 20);
            L->r_bl = reorder_new(L->user_wl, L->bwl);
            L->r_bi = reorder_new(L->user_wi, L->bwi);
            L->dsrc = mem_new(pd_md(bpd, dnnl_query_diff_src_md), 21);
            L->ddst = mem_new(pd_md(bpd, dnnl_query_diff_dst_md), 22);
            L->dwl = mem_new(pd_md(bpd, dnnl_query_diff_weights_md), 23);
            L->dwi = mem_new(dnnl_primitive_desc_query_md(bpd, dnnl_query_diff_weights_md, 1), 24);
            L->dbias = mem_new(dnnl_primitive_desc_query_md(bpd, dnnl_query_diff_weights_md, 2), 25);
            if (prev_ddst)                   /* this layer's input gradient is the previous layer's output gradient */
                net.l[i - 1].ddst = L->dsrc;
            prev_ddst = L->dsrc;
        }
        prev_dst = L->dst;
    }
    const dnnl_version_t *v = dnnl_version();
    const char *cap = getenv("DNNL_MAX_CPU_ISA"), *omp = getenv("OMP_NUM_THREADS");
    printf("isa oneDNN %d.%d.%d %s, effective ISA %s (DNNL_MAX_CPU_ISA=%s), OMP_NUM_THREADS=%s\n", v->major,
           v->minor, v->patch, impl, isa_name(dnnl_get_effective_cpu_isa()), cap && *cap ? cap : "unset",
           omp && *omp ? omp : "unset");
    peer_time(argc, argv, rnn_run, &net);
    return 0;
}

typedef struct {
    int64_t m, n, k;
    float *a, *b, *c;
} gemm_case;

static void gemm_run(void *p)
{
    gemm_case *g = p;
    /* dnnl_sgemm is row-major */
    CHECK(dnnl_sgemm('N', 'N', g->m, g->n, g->k, 1.0f, g->a, g->k, g->b, g->n, 0.0f, g->c, g->n));
}

static int gemm_main(int argc, char **argv)
{
    gemm_case g;
    g.m = peer_int(argc, argv, "m", 1024);
    g.n = peer_int(argc, argv, "n", 1024);
    g.k = peer_int(argc, argv, "k", 1024);
    g.a = peer_alloc((size_t)(g.m * g.k));
    g.b = peer_alloc((size_t)(g.k * g.n));
    g.c = peer_alloc((size_t)(g.m * g.n));
    peer_fill(g.a, (size_t)(g.m * g.k), 1, 1.0f);
    peer_fill(g.b, (size_t)(g.k * g.n), 2, 1.0f);
    const dnnl_version_t *v = dnnl_version();
    const char *cap = getenv("DNNL_MAX_CPU_ISA"), *omp = getenv("OMP_NUM_THREADS");
    printf("isa oneDNN %d.%d.%d dnnl_sgemm, effective ISA %s (DNNL_MAX_CPU_ISA=%s), OMP_NUM_THREADS=%s\n",
           v->major, v->minor, v->patch, isa_name(dnnl_get_effective_cpu_isa()), cap && *cap ? cap : "unset",
           omp && *omp ? omp : "unset");
    peer_time(argc, argv, gemm_run, &g);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("unavailable usage: seqnn-peer-onednn rnn|gemm key=value...\n");
        return 0;
    }
    CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&strm, eng, dnnl_stream_default_flags));
    if (!strcmp(argv[1], "rnn"))
        return rnn_main(argc, argv);
    if (!strcmp(argv[1], "gemm"))
        return gemm_main(argc, argv);
    printf("unavailable oneDNN peer runs rnn and gemm only, not %s\n", argv[1]);
    return 0;
}

/* The simple layers: embedding (nn.Embedding), dense (nn.Linear), element-wise
 * activations and dropout. Each is a forward and a backward made of kernel
 * calls through the context. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fe.h"

static const seqnn_tref no_tensor = {NULL, 0};

/* ------------------------------------------------------------ embedding --- */
static seqnn_status embedding_build(seqnn_model *m, fe_layer *L)
{
    if (!L->in.tokens)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "an embedding reads token ids; its input here is a float tensor");
    if (L->emb.padding_idx >= L->in.n)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "padding index %d is outside the vocabulary [0, %lld)",
                               (int)L->emb.padding_idx, (long long)L->in.n);
    L->out.seq = L->in.seq;
    L->out.tokens = 0;
    L->out.n = L->emb.dim;
    int64_t shape[2] = {L->in.n, L->emb.dim}, idx;
    FE_TRY(fe_param_new(m, L, "weight", 2, shape, FE_INIT_NORMAL, 1.0, &idx));
    m->params[idx].zero_row = L->emb.padding_idx;   /* nn.Embedding zeroes the padding row */
    return SEQNN_OK;
}

static seqnn_embedding_args embedding_args(const seqnn_model *m, const fe_layer *L, const fe_tensor *x)
{
    seqnn_embedding_args a = {.n = x->rows, .vocab = L->in.n, .dim = L->emb.dim, .idx = fe_at(x, 0),
                              .padding_idx = L->emb.padding_idx, .weight = fe_param_ref(m, L->param0),
                              .ldy = L->emb.dim};
    return a;
}

static seqnn_status embedding_forward(seqnn_model *m, fe_layer *L, const fe_tensor *x, int train)
{
    (void)train;
    FE_TRY(fe_tensor_ensure(m, &L->y, x->rows, L->emb.dim));
    seqnn_embedding_args a = embedding_args(m, L, x);
    a.y = fe_at(&L->y, 0);
    return seqnn_embedding_forward(m->ctx, &a);
}

static seqnn_status embedding_backward(seqnn_model *m, fe_layer *L, const fe_tensor *x, fe_tensor *dx)
{
    (void)dx;                            /* token ids have no gradient */
    seqnn_embedding_args a = embedding_args(m, L, x);
    a.dy = fe_at(&L->dy, 0);
    a.dweight = fe_grad_ref(m, L->param0);
    return seqnn_embedding_backward(m->ctx, &a);
}

const fe_layer_ops fe_embedding_ops = {
    .kind = "embedding",
    .build = embedding_build,
    .forward = embedding_forward,
    .backward = embedding_backward,
};

/* ---------------------------------------------------------------- dense --- */
static seqnn_status dense_build(seqnn_model *m, fe_layer *L)
{
    FE_TRY(fe_need_floats(L));
    L->out = L->in;
    L->out.n = L->dense.out;
    double bound = 1.0 / sqrt((double)L->in.n);  /* nn.Linear's default */
    int64_t w[2] = {L->dense.out, L->in.n}, b[1] = {L->dense.out};
    FE_TRY(fe_param_new(m, L, "weight", 2, w, FE_INIT_UNIFORM, bound, NULL));
    FE_TRY(fe_param_new(m, L, "bias", 1, b, FE_INIT_UNIFORM, bound, NULL));
    return SEQNN_OK;
}

/* y[rows, out] = x[rows, in] W^T + b */
static seqnn_status dense_forward(seqnn_model *m, fe_layer *L, const fe_tensor *x, int train)
{
    (void)train;
    int64_t rows = x->rows, in = L->in.n, out = L->dense.out;
    FE_TRY(fe_tensor_ensure(m, &L->y, rows, out));
    seqnn_gemm_args g = {.trans_b = 1, .m = rows, .n = out, .k = in, .alpha = 1, .beta = 0,
                         .a = fe_at(x, 0), .lda = in, .b = fe_param_ref(m, L->param0), .ldb = in,
                         .c = fe_at(&L->y, 0), .ldc = out, .batch = 1};
    FE_TRY(seqnn_gemm(m->ctx, &g));
    seqnn_bias_args b = {.rows = rows, .cols = out, .y = fe_at(&L->y, 0), .ldy = out,
                         .b = fe_param_ref(m, L->param0 + 1)};
    return seqnn_bias_add(m->ctx, &b);
}

static seqnn_status dense_backward(seqnn_model *m, fe_layer *L, const fe_tensor *x, fe_tensor *dx)
{
    int64_t rows = x->rows, in = L->in.n, out = L->dense.out;
    if (dx) {                            /* dx[rows, in] = dy[rows, out] W[out, in] */
        seqnn_gemm_args g = {.m = rows, .n = in, .k = out, .alpha = 1, .beta = 0, .a = fe_at(&L->dy, 0),
                             .lda = out, .b = fe_param_ref(m, L->param0), .ldb = in, .c = fe_at(dx, 0),
                             .ldc = in, .batch = 1};
        FE_TRY(seqnn_gemm(m->ctx, &g));
    }
    /* dW[out, in] += dy^T x */
    seqnn_gemm_args g = {.trans_a = 1, .m = out, .n = in, .k = rows, .alpha = 1, .beta = 1,
                         .a = fe_at(&L->dy, 0), .lda = out, .b = fe_at(x, 0), .ldb = in,
                         .c = fe_grad_ref(m, L->param0), .ldc = in, .batch = 1};
    FE_TRY(seqnn_gemm(m->ctx, &g));
    seqnn_bias_args b = {.rows = rows, .cols = out, .dy = fe_at(&L->dy, 0), .ldy = out,
                         .db = fe_grad_ref(m, L->param0 + 1)};
    return seqnn_bias_backward(m->ctx, &b);
}

const fe_layer_ops fe_dense_ops = {
    .kind = "dense",
    .build = dense_build,
    .forward = dense_forward,
    .backward = dense_backward,
};

/* ----------------------------------------------------------- activation --- */
static seqnn_status same_shape_build(seqnn_model *m, fe_layer *L)
{
    (void)m;
    FE_TRY(fe_need_floats(L));
    L->out = L->in;
    return SEQNN_OK;
}

static seqnn_status activation_forward(seqnn_model *m, fe_layer *L, const fe_tensor *x, int train)
{
    (void)train;
    FE_TRY(fe_tensor_ensure(m, &L->y, x->rows, x->cols));
    seqnn_act_args a = {.kind = L->act.kind, .alpha = L->act.alpha, .n = x->rows * x->cols, .x = fe_at(x, 0),
                        .y = fe_at(&L->y, 0)};
    return seqnn_act_forward(m->ctx, &a);
}

static seqnn_status activation_backward(seqnn_model *m, fe_layer *L, const fe_tensor *x, fe_tensor *dx)
{
    if (!dx)
        return SEQNN_OK;
    seqnn_act_args a = {.kind = L->act.kind, .alpha = L->act.alpha, .n = x->rows * x->cols, .x = fe_at(x, 0),
                        .y = fe_at(&L->y, 0), .dy = fe_at(&L->dy, 0), .dx = fe_at(dx, 0),
                        .flags = SEQNN_FLAG_OVERWRITE};
    return seqnn_act_backward(m->ctx, &a);
}

const fe_layer_ops fe_activation_ops = {
    .kind = "activation",
    .build = same_shape_build,
    .forward = activation_forward,
    .backward = activation_backward,
};

/* -------------------------------------------------------------- dropout --- */
static seqnn_status dropout_forward(seqnn_model *m, fe_layer *L, const fe_tensor *x, int train)
{
    int64_t n = x->rows * x->cols;
    FE_TRY(fe_tensor_ensure(m, &L->y, x->rows, x->cols));
    L->drop.rng_offset = UINT64_MAX;          /* identity unless a mask is drawn */
    if (!train || L->drop.p == 0)
        return seqnn_buffer_copy(m->ctx, L->y.buf, 0, x->buf, 0, n);
    L->drop.rng_offset = m->dropout_counter;
    m->dropout_counter += (uint64_t)n;
    seqnn_dropout_args a = {.n = n, .p = L->drop.p, .seed = fe_dropout_seed(m), .offset = L->drop.rng_offset,
                            .x = fe_at(x, 0), .y = fe_at(&L->y, 0)};
    return seqnn_dropout_forward(m->ctx, &a);
}

static seqnn_status dropout_backward(seqnn_model *m, fe_layer *L, const fe_tensor *x, fe_tensor *dx)
{
    if (!dx)
        return SEQNN_OK;
    int64_t n = x->rows * x->cols;
    if (L->drop.rng_offset == UINT64_MAX)
        return seqnn_buffer_copy(m->ctx, dx->buf, 0, L->dy.buf, 0, n);
    seqnn_dropout_args a = {.n = n, .p = L->drop.p, .seed = fe_dropout_seed(m), .offset = L->drop.rng_offset,
                            .x = no_tensor, .y = no_tensor, .dy = fe_at(&L->dy, 0), .dx = fe_at(dx, 0),
                            .flags = SEQNN_FLAG_OVERWRITE};
    return seqnn_dropout_backward(m->ctx, &a);
}

const fe_layer_ops fe_dropout_ops = {
    .kind = "dropout",
    .build = same_shape_build,
    .forward = dropout_forward,
    .backward = dropout_backward,
};

/* --------------------------------------------------------------- merges --- */
/* Concatenation copies each part into its columns of y (and back out for
 * the gradient) with copy2d, bit for bit. A plugin built before copy2d
 * (ABI 1.2 and older) gets the same copy row by row through the buffer
 * copy every device has: slower, equally exact. */
typedef struct merge_priv {
    int rowwise;                         /* -1 not yet known, 0 copy2d, 1 row by row */
} merge_priv;

static void merge_destroy(seqnn_model *m, fe_layer *L)
{
    (void)m;
    free(L->priv);
    L->priv = NULL;
}

static seqnn_status merge_build(seqnn_model *m, fe_layer *L)
{
    static const char *verbs[] = {"concatenates", "adds", "multiplies"};
    fe_shape first = L->in;
    int64_t total = 0;
    for (int k = 0; k < L->n_from; k++) {
        int node = L->from[k];
        fe_shape s = fe_node_shape(m, node);
        const char *name = fe_node_name(m, node);
        int stream = node >= 0 ? m->layers[node].stream : FE_INPUT_NODE(node);
        if (s.tokens)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "'%s' is token ids: a merge %s vectors (embed it first)",
                                   name, verbs[L->merge.kind]);
        if (s.seq != first.seq)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                                   "'%s' is %s and '%s' %s: a merge needs both sequences or both vectors (last=1)",
                                   fe_node_name(m, L->from[0]), first.seq ? "a sequence" : "a vector", name,
                                   s.seq ? "a sequence" : "a vector");
        if (s.seq && stream != L->stream)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                                   "'%s' runs over input '%s' and '%s' over input '%s': sequences of different "
                                   "inputs have different steps (take last=1 vectors first)",
                                   fe_node_name(m, L->from[0]), m->inputs[L->stream].name, name, m->inputs[stream].name);
        if (L->merge.kind != SEQNN_MERGE_CONCAT && s.n != first.n)
            return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                                   "'%s' has size %lld and '%s' %lld: %s needs equal sizes (concat joins any)",
                                   fe_node_name(m, L->from[0]), (long long)first.n, name, (long long)s.n,
                                   L->ops->kind);
        total += s.n;
    }
    L->out = first;
    if (L->merge.kind == SEQNN_MERGE_CONCAT) {
        L->out.n = total;
        merge_priv *p = calloc(1, sizeof *p);
        if (!p)
            return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
        p->rowwise = -1;
        L->priv = p;
    }
    return SEQNN_OK;
}

/* dst[rows, n] (row stride ldd) = src[rows, n] (row stride lds): copy2d when
 * the context runs it (asked once per layer), else one buffer copy per row. */
static seqnn_status merge_copy(seqnn_model *m, merge_priv *p, int64_t rows, int64_t n, seqnn_tref src,
                               int64_t lds, seqnn_tref dst, int64_t ldd)
{
    seqnn_copy2d_args c = {.rows = rows, .cols = n, .x = src, .ldx = lds, .y = dst, .ldy = ldd};
    if (p->rowwise < 0) {
        int device;
        p->rowwise = seqnn_kernel_route(m->ctx, SEQNN_KERNEL_copy2d, &c, &device) == SEQNN_ERR_UNSUPPORTED;
    }
    if (!p->rowwise)
        return seqnn_copy2d(m->ctx, &c);
    for (int64_t r = 0; r < rows; r++)
        FE_TRY(seqnn_buffer_copy(m->ctx, dst.buf, dst.off + r * ldd, src.buf, src.off + r * lds, n));
    return SEQNN_OK;
}

static seqnn_status merge_forward(seqnn_model *m, fe_layer *L, const fe_tensor *x, int train)
{
    (void)train;
    int64_t rows = x->rows, n = L->out.n;
    FE_TRY(fe_tensor_ensure(m, &L->y, rows, n));
    if (L->merge.kind == SEQNN_MERGE_CONCAT) {
        merge_priv *p = L->priv;
        int64_t col = 0;
        for (int k = 0; k < L->n_from; k++) {
            const fe_tensor *xk = fe_node_output(m, L->from[k]);
            FE_TRY(merge_copy(m, p, rows, xk->cols, fe_at(xk, 0), xk->cols, fe_at(&L->y, col), n));
            col += xk->cols;
        }
        return SEQNN_OK;
    }
    for (int k = 1; k < L->n_from; k++) {   /* y = x0 (+ or *) x1, then y (+ or *) xk */
        const fe_tensor *xk = fe_node_output(m, L->from[k]);
        seqnn_ew_args a = {.n = rows * n, .alpha = 1, .beta = L->merge.kind == SEQNN_MERGE_ADD,
                           .x = fe_at(k == 1 ? x : &L->y, 0), .y = fe_at(xk, 0), .z = fe_at(&L->y, 0)};
        FE_TRY(L->merge.kind == SEQNN_MERGE_ADD ? seqnn_add(m->ctx, &a) : seqnn_mul(m->ctx, &a));
    }
    return SEQNN_OK;
}

static seqnn_status merge_backward(seqnn_model *m, fe_layer *L, fe_tensor *const *dx)
{
    int64_t rows = L->dy.rows, n = L->out.n, col = 0;
    for (int k = 0; k < L->n_from; k++) {
        const fe_tensor *xk = fe_node_output(m, L->from[k]);
        if (L->merge.kind == SEQNN_MERGE_CONCAT) {   /* dx_k = dy[:, col:col + n_k] */
            if (dx[k])
                FE_TRY(merge_copy(m, L->priv, rows, xk->cols, fe_at(&L->dy, col), n, fe_at(dx[k], 0), xk->cols));
            col += xk->cols;
        } else if (dx[k] && L->merge.kind == SEQNN_MERGE_ADD) {   /* dx_k = dy */
            FE_TRY(seqnn_buffer_copy(m->ctx, dx[k]->buf, 0, L->dy.buf, 0, rows * n));
        } else if (dx[k]) {              /* dx_k = dy * prod_{j != k} x_j */
            int first = 1;
            for (int j = 0; j < L->n_from; j++) {
                if (j == k)
                    continue;
                seqnn_ew_args a = {.n = rows * n, .alpha = 1, .x = fe_at(first ? &L->dy : dx[k], 0),
                                   .y = fe_at(fe_node_output(m, L->from[j]), 0), .z = fe_at(dx[k], 0)};
                FE_TRY(seqnn_mul(m->ctx, &a));
                first = 0;
            }
        }
    }
    return SEQNN_OK;
}

#define MERGE_OPS(kind_name) {.kind = kind_name, .build = merge_build, .forward = merge_forward, \
                               .destroy = merge_destroy, .backward_merge = merge_backward}
/* In seqnn_merge order. */
const fe_layer_ops fe_merge_ops[SEQNN_MERGE_COUNT] = {MERGE_OPS("concat"), MERGE_OPS("add"), MERGE_OPS("multiply")};

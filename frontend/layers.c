/* The simple layers: embedding (nn.Embedding), dense (nn.Linear), element-wise
 * activations and dropout. Each is a forward and a backward made of kernel
 * calls through the context. */
#include <math.h>
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

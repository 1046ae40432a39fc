/* Argument checks of the conv family (conv1d_forward, conv1d_backward,
 * maxpool_forward, maxpool_backward, maxpool_lengths_forward,
 * conv1d_max_forward, conv1d_max_backward), run by the core before any plugin.
 * The rules are those of include/seqnn/kernels.h; docs/kernels/conv.md. */
#include <stdint.h>
#include "check.h"

/* a + b for non-negative a, b, saturating at INT64_MAX */
static int64_t conv_add_sat(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* Extent of a strided [n0, n1, n2] box with strides s0, s1, s2. */
static int64_t conv_extent3(int64_t n0, int64_t n1, int64_t n2, int64_t s0, int64_t s1, int64_t s2)
{
    const int64_t dims[3] = {n0, n1, n2}, strides[3] = {s0, s1, s2};
    return seqnn_extent(3, dims, strides);
}

/* Sizes and hyper-parameters of a conv1d; *out_len receives the output
 * length (>= 1 when this succeeds). */
static seqnn_status conv_check_sizes(const seqnn_checker *c, const seqnn_conv1d_args *a,
                                     int64_t *out_len)
{
    int64_t padded, span;
    SEQNN_CHECK(seqnn_check_min(c, "batch", a->batch, 0));
    SEQNN_CHECK(seqnn_check_min(c, "in_channels", a->in_channels, 1));
    SEQNN_CHECK(seqnn_check_min(c, "out_channels", a->out_channels, 1));
    SEQNN_CHECK(seqnn_check_min(c, "in_len", a->in_len, 1));
    SEQNN_CHECK(seqnn_check_min(c, "kernel_size", a->kernel_size, 1));
    SEQNN_CHECK(seqnn_check_min(c, "stride", a->stride, 1));
    SEQNN_CHECK(seqnn_check_min(c, "padding", a->padding, 0));
    SEQNN_CHECK(seqnn_check_min(c, "dilation", a->dilation, 1));
    /* out_len = (in_len + 2*padding - (dilation*(K-1) + 1)) / stride + 1 >= 1 */
    padded = conv_add_sat(a->in_len, seqnn_mul_sat(2, a->padding));
    span = conv_add_sat(seqnn_mul_sat(a->dilation, a->kernel_size - 1), 1);
    if (padded == INT64_MAX || span == INT64_MAX)
        return seqnn_check_fail(c, "in_len, padding, dilation or kernel_size too large (overflow)");
    if (padded < span)
        return seqnn_check_fail(c, "in_len %lld + 2*padding %lld is shorter than the kernel's span "
                                "dilation*(kernel_size-1)+1 = %lld: out_len would be < 1",
                                (long long)a->in_len, (long long)a->padding, (long long)span);
    *out_len = (padded - span) / a->stride + 1;
    return SEQNN_OK;
}

static int64_t conv_x_extent(const seqnn_conv1d_args *a)
{
    return conv_extent3(a->batch, a->in_channels, a->in_len, a->x_sb, a->x_sc, a->x_sl);
}

static int64_t conv_y_extent(const seqnn_conv1d_args *a, int64_t out_len)
{
    return conv_extent3(a->batch, a->out_channels, out_len, a->y_sb, a->y_sc, a->y_sl);
}

static int64_t conv_weight_count(const seqnn_conv1d_args *a)
{
    return seqnn_mul_sat(seqnn_mul_sat(a->out_channels, a->in_channels), a->kernel_size);
}

seqnn_status seqnn_check_conv1d_forward(const seqnn_checker *c, const seqnn_conv1d_args *a)
{
    int64_t out_len = 0;
    SEQNN_CHECK(conv_check_sizes(c, a, &out_len));
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "x", a->x, SEQNN_F32, conv_x_extent(a), 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "weight", a->weight, SEQNN_F32, conv_weight_count(a), 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "bias", a->bias, SEQNN_F32, a->out_channels, 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "y", a->y, SEQNN_F32, conv_y_extent(a, out_len), 1));
    return SEQNN_OK;
}

seqnn_status seqnn_check_conv1d_backward(const seqnn_checker *c, const seqnn_conv1d_args *a)
{
    int64_t out_len = 0;
    const int has_dx = a->dx.buf != NULL, has_dweight = a->dweight.buf != NULL;
    SEQNN_CHECK(conv_check_sizes(c, a, &out_len));
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, SEQNN_FLAG_OVERWRITE));
    SEQNN_CHECK(seqnn_check_tensor(c, "dy", a->dy, SEQNN_F32, conv_y_extent(a, out_len), 1));
    /* x feeds dweight, weight feeds dx: each is required only then */
    SEQNN_CHECK(seqnn_check_tensor(c, "x", a->x, SEQNN_F32, conv_x_extent(a), has_dweight));
    SEQNN_CHECK(seqnn_check_tensor(c, "weight", a->weight, SEQNN_F32, conv_weight_count(a), has_dx));
    SEQNN_CHECK(seqnn_check_tensor(c, "dx", a->dx, SEQNN_F32, conv_x_extent(a), 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "dweight", a->dweight, SEQNN_F32, conv_weight_count(a), 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "dbias", a->dbias, SEQNN_F32, a->out_channels, 0));
    return SEQNN_OK;
}

/* Sizes of a max-over-time pooling: argmax is int32, so len must fit. */
static seqnn_status conv_check_pool_sizes(const seqnn_checker *c, const seqnn_maxpool_args *a)
{
    SEQNN_CHECK(seqnn_check_min(c, "batch", a->batch, 0));
    SEQNN_CHECK(seqnn_check_min(c, "channels", a->channels, 1));
    SEQNN_CHECK(seqnn_check_min(c, "len", a->len, 1));
    if (a->len > INT32_MAX)
        return seqnn_check_fail(c, "len = %lld does not fit the int32 argmax", (long long)a->len);
    return SEQNN_OK;
}

static int64_t conv_pool_x_extent(const seqnn_maxpool_args *a)
{
    return conv_extent3(a->batch, a->channels, a->len, a->x_sb, a->x_sc, a->x_sl);
}

static int64_t conv_pool_y_extent(const seqnn_maxpool_args *a)
{
    const int64_t dims[2] = {a->batch, a->channels}, strides[2] = {a->y_sb, a->y_sc};
    return seqnn_extent(2, dims, strides);
}

seqnn_status seqnn_check_maxpool_forward(const seqnn_checker *c, const seqnn_maxpool_args *a)
{
    SEQNN_CHECK(conv_check_pool_sizes(c, a));
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "x", a->x, SEQNN_F32, conv_pool_x_extent(a), 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "y", a->y, SEQNN_F32, conv_pool_y_extent(a), 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "argmax", a->argmax, SEQNN_I32,
                                   seqnn_mul_sat(a->batch, a->channels), 1));
    return SEQNN_OK;
}

/* backward reads argmax and dy and writes dx; x and y are not touched. */
seqnn_status seqnn_check_maxpool_backward(const seqnn_checker *c, const seqnn_maxpool_args *a)
{
    SEQNN_CHECK(conv_check_pool_sizes(c, a));
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, SEQNN_FLAG_OVERWRITE));
    SEQNN_CHECK(seqnn_check_tensor(c, "argmax", a->argmax, SEQNN_I32,
                                   seqnn_mul_sat(a->batch, a->channels), 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "dy", a->dy, SEQNN_F32, conv_pool_y_extent(a), 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "dx", a->dx, SEQNN_F32, conv_pool_x_extent(a), 1));
    return SEQNN_OK;
}

/* Every one of the batch lengths (host, or NULL: none) in [1, len]. */
static seqnn_status conv_check_lengths(const seqnn_checker *c, const int32_t *lengths, int64_t batch,
                                       const char *len_name, int64_t len)
{
    for (int64_t b = 0; lengths && b < batch; b++)
        if (lengths[b] < 1 || lengths[b] > len)
            return seqnn_check_fail(c, "lengths[%lld] = %ld, must be in [1, %s = %lld]", (long long)b,
                                    (long)lengths[b], len_name, (long long)len);
    return SEQNN_OK;
}

/* maxpool_forward's rules for pool, and every row keeps 1 to len positions. */
seqnn_status seqnn_check_maxpool_lengths_forward(const seqnn_checker *c, const seqnn_maxpool_lengths_args *a)
{
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, 0));
    SEQNN_CHECK(seqnn_check_maxpool_forward(c, &a->pool));
    return conv_check_lengths(c, a->lengths, a->pool.batch, "len", a->pool.len);
}

/* conv1d_forward's rules for conv (without y), maxpool_lengths_forward's for
 * the pooled outputs over out_len positions, an activation kind or none. */
seqnn_status seqnn_check_conv1d_max_forward(const seqnn_checker *c, const seqnn_conv1d_max_args *a)
{
    const seqnn_conv1d_args *cv = &a->conv;
    int64_t out_len = 0;
    const int64_t dims[2] = {cv->batch, cv->out_channels}, strides[2] = {a->y_sb, a->y_sc};
    const int64_t y_extent = seqnn_extent(2, dims, strides);
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, SEQNN_FLAG_OVERWRITE));   /* the backward's: ignored here */
    SEQNN_CHECK(seqnn_check_flags(c, cv->flags, 0));
    SEQNN_CHECK(conv_check_sizes(c, cv, &out_len));
    if (out_len > INT32_MAX)
        return seqnn_check_fail(c, "out_len = %lld does not fit the int32 argmax", (long long)out_len);
    if (a->act != SEQNN_CONV_MAX_NO_ACT && (a->act < 0 || a->act >= SEQNN_ACT_COUNT))
        return seqnn_check_fail(c, "act %ld is neither a seqnn_act nor SEQNN_CONV_MAX_NO_ACT", (long)a->act);
    SEQNN_CHECK(seqnn_check_tensor(c, "x", cv->x, SEQNN_F32, conv_x_extent(cv), 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "weight", cv->weight, SEQNN_F32, conv_weight_count(cv), 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "bias", cv->bias, SEQNN_F32, cv->out_channels, 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "y", a->y, SEQNN_F32, y_extent, 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "pre", a->pre, SEQNN_F32, y_extent, 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "argmax", a->argmax, SEQNN_I32,
                                   seqnn_mul_sat(cv->batch, cv->out_channels), 1));
    /* the outputs overlap neither the inputs nor each other */
    const char *const in_names[3] = {"x", "weight", "bias"};
    const seqnn_tref ins[3] = {cv->x, cv->weight, cv->bias};
    const int64_t in_ext[3] = {conv_x_extent(cv), conv_weight_count(cv), cv->out_channels};
    for (int i = 0; i < 3; i++) {
        SEQNN_CHECK(seqnn_check_disjoint(c, "y", a->y, y_extent, in_names[i], ins[i], in_ext[i]));
        SEQNN_CHECK(seqnn_check_disjoint(c, "pre", a->pre, y_extent, in_names[i], ins[i], in_ext[i]));
    }
    SEQNN_CHECK(seqnn_check_disjoint(c, "pre", a->pre, y_extent, "y", a->y, y_extent));
    return conv_check_lengths(c, a->lengths, cv->batch, "out_len", out_len);
}

/* conv1d_backward's rules for the conv's sizes and gradients, dy and argmax
 * [B, C_out] (dy with y's strides), and the gradients overlapping none of
 * what is read. Every argmax in [0, out_len) is the plugin's to check. */
seqnn_status seqnn_check_conv1d_max_backward(const seqnn_checker *c, const seqnn_conv1d_max_args *a)
{
    const seqnn_conv1d_args *cv = &a->conv;
    int64_t out_len = 0;
    const int64_t dims[2] = {cv->batch, cv->out_channels}, strides[2] = {a->y_sb, a->y_sc};
    const int64_t dy_extent = seqnn_extent(2, dims, strides);
    const int has_dx = cv->dx.buf != NULL, has_dweight = cv->dweight.buf != NULL;
    SEQNN_CHECK(seqnn_check_flags(c, a->flags, SEQNN_FLAG_OVERWRITE));
    SEQNN_CHECK(seqnn_check_flags(c, cv->flags, 0));
    SEQNN_CHECK(conv_check_sizes(c, cv, &out_len));
    SEQNN_CHECK(seqnn_check_tensor(c, "dy", a->dy, SEQNN_F32, dy_extent, 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "argmax", a->argmax, SEQNN_I32,
                                   seqnn_mul_sat(cv->batch, cv->out_channels), 1));
    SEQNN_CHECK(seqnn_check_tensor(c, "x", cv->x, SEQNN_F32, conv_x_extent(cv), has_dweight));
    SEQNN_CHECK(seqnn_check_tensor(c, "weight", cv->weight, SEQNN_F32, conv_weight_count(cv), has_dx));
    SEQNN_CHECK(seqnn_check_tensor(c, "dx", cv->dx, SEQNN_F32, conv_x_extent(cv), 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "dweight", cv->dweight, SEQNN_F32, conv_weight_count(cv), 0));
    SEQNN_CHECK(seqnn_check_tensor(c, "dbias", cv->dbias, SEQNN_F32, cv->out_channels, 0));
    const char *const out_names[3] = {"dx", "dweight", "dbias"}, *const in_names[3] = {"dy", "x", "weight"};
    const seqnn_tref outs[3] = {cv->dx, cv->dweight, cv->dbias}, ins[3] = {a->dy, cv->x, cv->weight};
    const int64_t out_ext[3] = {conv_x_extent(cv), conv_weight_count(cv), cv->out_channels};
    const int64_t in_ext[3] = {dy_extent, conv_x_extent(cv), conv_weight_count(cv)};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            SEQNN_CHECK(seqnn_check_disjoint(c, out_names[i], outs[i], out_ext[i], in_names[j], ins[j], in_ext[j]));
    return SEQNN_OK;
}

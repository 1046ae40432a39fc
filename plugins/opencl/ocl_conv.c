/* Host side of the conv1d and max-over-time pooling kernels (kernels/conv.cl):
 * the direct kernels (one work-item per output element) for small convs,
 * and from 2^20 multiply-adds per call (ocl_device.gemm_path_min) the GEMM
 * path: the input unfolded into col [B*out_len, cin*ks] (im2col), one
 * CLBlast GEMM z = col w^T, and small kernels for the bias, the layout and
 * the max over time; backward gathers dy into z's layout, then dW = d^T col
 * and dcol = d w as GEMMs, db as column sums and dx from dcol (col2im). The
 * fused max backward stays direct (one window per (b, o): no GEMM to form). */
#include "ocl.h"

/* --------------------------------------------------------- conv1d, maxpool */
/* The shape arguments shared by the conv1d kernels, after their tensors. */
static void ocl_conv_shape(ocl_launch *L, const seqnn_conv1d_args *a, int64_t out_len)
{
    ocl_arg_long(L, a->batch);
    ocl_arg_long(L, a->in_channels);
    ocl_arg_long(L, a->out_channels);
    ocl_arg_long(L, a->in_len);
    ocl_arg_long(L, out_len);
    ocl_arg_long(L, a->kernel_size);
    ocl_arg_long(L, a->stride);
    ocl_arg_long(L, a->padding);
    ocl_arg_long(L, a->dilation);
}

static void ocl_strided(ocl_launch *L, seqnn_tref t, int64_t sb, int64_t sc, int64_t sl)
{
    ocl_arg_t(L, t);
    ocl_arg_long(L, sb);
    ocl_arg_long(L, sc);
    ocl_arg_long(L, sl);
}

/* A [B, C] tensor of pooled values (one per channel) with its strides. */
static void ocl_pooled(ocl_launch *L, seqnn_tref t, int64_t sb, int64_t sc)
{
    ocl_arg_t(L, t);
    ocl_arg_long(L, sb);
    ocl_arg_long(L, sc);
}

/* lengths [batch] uploaded to the device, or absent (offset -1) without. */
static seqnn_status ocl_pool_lengths(const seqnn_call *call, const int32_t *lengths, int64_t batch, ocl_ref *lens)
{
    lens->mem = NULL;
    lens->off = -1;
    return lengths ? ocl_upload_ints(call, OCL_S_LENGTHS, lengths, batch, lens) : SEQNN_OK;
}

/* ---- the GEMM path */
/* Whether a conv runs on the GEMM path: a non-empty output, at least the
 * device's threshold of multiply-adds, and col, z and dcol within the
 * device's largest allocation. */
static int ocl_conv_gemm_path(const seqnn_call *call, const seqnn_conv1d_args *a, int64_t out_len)
{
    const ocl_device *dev = ocl_dev(call);
    int64_t rows = a->batch * out_len, K = a->in_channels * a->kernel_size;
    if (rows <= 0 || K <= 0 || a->out_channels <= 0 ||
        (double)rows * (double)K * (double)a->out_channels < (double)dev->gemm_path_min)
        return 0;
    double widest = (double)(K > a->out_channels ? K : a->out_channels);
    return (double)rows * widest * 4.0 <= (double)dev->max_alloc;
}

/* col [B*out_len, cin*ks] (slot A) = im2col(x) */
static seqnn_status ocl_conv_col(const seqnn_call *call, const seqnn_conv1d_args *a, int64_t out_len, ocl_ref *col)
{
    int64_t n = a->batch * out_len * a->in_channels * a->kernel_size;
    OCL_TRY(ocl_scratch(call, OCL_S_A, (size_t)n * 4, col));
    ocl_launch L = ocl_begin(call, OCL_K_conv1d_im2col);
    ocl_strided(&L, a->x, a->x_sb, a->x_sc, a->x_sl);
    ocl_arg_ref(&L, *col);
    ocl_conv_shape(&L, a, out_len);
    return ocl_run(&L, n);
}

/* z [B*out_len, cout] (slot B) = col w^T: the conv without its bias */
static seqnn_status ocl_conv_z(const seqnn_call *call, const seqnn_conv1d_args *a, int64_t out_len, ocl_ref *z)
{
    int64_t rows = a->batch * out_len, K = a->in_channels * a->kernel_size;
    ocl_ref col;
    OCL_TRY(ocl_conv_col(call, a, out_len, &col));
    OCL_TRY(ocl_scratch(call, OCL_S_B, (size_t)(rows * a->out_channels) * 4, z));
    return ocl_gemm(call, 0, 1, rows, a->out_channels, K, 1.0, col, K, ocl_tref(a->weight), K, 0.0, *z,
                    a->out_channels, 1, 0, 0, 0);
}

static seqnn_status ocl_conv_gemm_forward(const seqnn_call *call, const seqnn_conv1d_args *a, int64_t out_len)
{
    ocl_ref z;
    OCL_TRY(ocl_conv_z(call, a, out_len, &z));
    ocl_launch L = ocl_begin(call, OCL_K_conv1d_gemm_out);
    ocl_arg_ref(&L, z);
    ocl_arg_t(&L, a->bias);
    ocl_strided(&L, a->y, a->y_sb, a->y_sc, a->y_sl);
    ocl_arg_long(&L, a->batch);
    ocl_arg_long(&L, a->out_channels);
    ocl_arg_long(&L, out_len);
    return ocl_run(&L, a->batch * a->out_channels * out_len);
}

/* d [B*out_len, cout] (slot B) = dy; db (+)= its column sums, dW (+)= d^T col,
 * dcol (slot C) = d w, dx (+)= col2im(dcol) */
static seqnn_status ocl_conv_gemm_backward(const seqnn_call *call, const seqnn_conv1d_args *a, int64_t out_len)
{
    int64_t rows = a->batch * out_len, K = a->in_channels * a->kernel_size, C = a->out_channels;
    int acc = OCL_ACC(a);
    ocl_ref d, col, dcol;
    OCL_TRY(ocl_scratch(call, OCL_S_B, (size_t)(rows * C) * 4, &d));
    ocl_launch G = ocl_begin(call, OCL_K_conv1d_gather_dy);
    ocl_strided(&G, a->dy, a->y_sb, a->y_sc, a->y_sl);
    ocl_arg_ref(&G, d);
    ocl_arg_long(&G, a->batch);
    ocl_arg_long(&G, C);
    ocl_arg_long(&G, out_len);
    OCL_TRY(ocl_run(&G, rows * C));
    if (OCL_HAS(a->dbias))
        OCL_TRY(ocl_colsum(call, rows, C, d, C, ocl_tref(a->dbias), acc));
    if (OCL_HAS(a->dweight)) {
        OCL_TRY(ocl_conv_col(call, a, out_len, &col));
        OCL_TRY(ocl_gemm(call, 1, 0, C, K, rows, 1.0, d, C, col, K, acc ? 1.0 : 0.0, ocl_tref(a->dweight), K,
                         1, 0, 0, 0));
    }
    if (OCL_HAS(a->dx)) {
        OCL_TRY(ocl_scratch(call, OCL_S_C, (size_t)(rows * K) * 4, &dcol));
        OCL_TRY(ocl_gemm(call, 0, 0, rows, K, C, 1.0, d, C, ocl_tref(a->weight), K, 0.0, dcol, K, 1, 0, 0, 0));
        ocl_launch L = ocl_begin(call, OCL_K_conv1d_col2im);
        ocl_arg_ref(&L, dcol);
        ocl_strided(&L, a->dx, a->x_sb, a->x_sc, a->x_sl);
        ocl_conv_shape(&L, a, out_len);
        ocl_arg_int(&L, acc);
        OCL_TRY(ocl_run(&L, a->batch * a->in_channels * a->in_len));
    }
    return SEQNN_OK;
}

/* conv1d_max_forward on the GEMM path: z, then the max over time of each (b, o) */
static seqnn_status ocl_conv_gemm_max_forward(const seqnn_call *call, const seqnn_conv1d_max_args *a, ocl_ref lens,
                                              int64_t out_len)
{
    const seqnn_conv1d_args *c = &a->conv;
    ocl_ref z;
    OCL_TRY(ocl_conv_z(call, c, out_len, &z));
    ocl_launch L = ocl_begin(call, OCL_K_conv1d_max_gemm);
    ocl_arg_ref(&L, z);
    ocl_arg_t(&L, c->bias);
    ocl_pooled(&L, a->y, a->y_sb, a->y_sc);
    ocl_arg_t(&L, a->pre);
    ocl_arg_t(&L, a->argmax);
    ocl_arg_ref(&L, lens);
    ocl_arg_int(&L, (int)a->act);
    ocl_arg_float(&L, a->alpha);
    ocl_arg_long(&L, c->batch);
    ocl_arg_long(&L, c->out_channels);
    ocl_arg_long(&L, out_len);
    return ocl_run(&L, c->batch * c->out_channels);
}

/* ---- the kernels of the plugin ABI */
seqnn_status ocl_k_conv1d_forward(const seqnn_call *call, const seqnn_conv1d_args *a)
{
    int64_t out_len = seqnn_conv1d_out_len(a);
    if (ocl_conv_gemm_path(call, a, out_len))
        return ocl_conv_gemm_forward(call, a, out_len);
    ocl_launch L = ocl_begin(call, OCL_K_conv1d_forward);
    ocl_strided(&L, a->x, a->x_sb, a->x_sc, a->x_sl);
    ocl_arg_t(&L, a->weight);
    ocl_arg_t(&L, a->bias);
    ocl_strided(&L, a->y, a->y_sb, a->y_sc, a->y_sl);
    ocl_conv_shape(&L, a, out_len);
    return ocl_run(&L, a->batch * a->out_channels * out_len);
}

seqnn_status ocl_k_conv1d_backward(const seqnn_call *call, const seqnn_conv1d_args *a)
{
    int64_t out_len = seqnn_conv1d_out_len(a);
    int acc = OCL_ACC(a);
    if (ocl_conv_gemm_path(call, a, out_len))
        return ocl_conv_gemm_backward(call, a, out_len);
    if (OCL_HAS(a->dx)) {
        ocl_launch L = ocl_begin(call, OCL_K_conv1d_backward_x);
        ocl_strided(&L, a->dy, a->y_sb, a->y_sc, a->y_sl);
        ocl_arg_t(&L, a->weight);
        ocl_strided(&L, a->dx, a->x_sb, a->x_sc, a->x_sl);
        ocl_conv_shape(&L, a, out_len);
        ocl_arg_int(&L, acc);
        OCL_TRY(ocl_run(&L, a->batch * a->in_channels * a->in_len));
    }
    if (OCL_HAS(a->dweight)) {
        ocl_launch L = ocl_begin(call, OCL_K_conv1d_backward_w);
        ocl_strided(&L, a->x, a->x_sb, a->x_sc, a->x_sl);
        ocl_strided(&L, a->dy, a->y_sb, a->y_sc, a->y_sl);
        ocl_arg_t(&L, a->dweight);
        ocl_conv_shape(&L, a, out_len);
        ocl_arg_int(&L, acc);
        OCL_TRY(ocl_run(&L, a->out_channels * a->in_channels * a->kernel_size));
    }
    if (OCL_HAS(a->dbias)) {
        ocl_launch L = ocl_begin(call, OCL_K_conv1d_backward_b);
        ocl_strided(&L, a->dy, a->y_sb, a->y_sc, a->y_sl);
        ocl_arg_t(&L, a->dbias);
        ocl_arg_long(&L, a->batch);
        ocl_arg_long(&L, a->out_channels);
        ocl_arg_long(&L, out_len);
        ocl_arg_int(&L, acc);
        OCL_TRY(ocl_run(&L, a->out_channels));
    }
    return SEQNN_OK;
}

seqnn_status ocl_k_maxpool_forward(const seqnn_call *call, const seqnn_maxpool_args *a)
{
    ocl_launch L = ocl_begin(call, OCL_K_maxpool_forward);
    ocl_strided(&L, a->x, a->x_sb, a->x_sc, a->x_sl);
    ocl_pooled(&L, a->y, a->y_sb, a->y_sc);
    ocl_arg_t(&L, a->argmax);
    ocl_arg_long(&L, a->batch);
    ocl_arg_long(&L, a->channels);
    ocl_arg_long(&L, a->len);
    return ocl_run(&L, a->batch * a->channels);
}

/* maxpool_forward over the first lengths[b] positions of row b (uploaded) */
seqnn_status ocl_k_maxpool_lengths_forward(const seqnn_call *call, const seqnn_maxpool_lengths_args *a)
{
    const seqnn_maxpool_args *p = &a->pool;
    ocl_ref lens;
    OCL_TRY(ocl_pool_lengths(call, a->lengths, p->batch, &lens));
    ocl_launch L = ocl_begin(call, OCL_K_maxpool_lengths_forward);
    ocl_strided(&L, p->x, p->x_sb, p->x_sc, p->x_sl);
    ocl_pooled(&L, p->y, p->y_sb, p->y_sc);
    ocl_arg_t(&L, p->argmax);
    ocl_arg_ref(&L, lens);
    ocl_arg_long(&L, p->batch);
    ocl_arg_long(&L, p->channels);
    ocl_arg_long(&L, p->len);
    return ocl_run(&L, p->batch * p->channels);
}

/* conv1d, activation and max over time: on the direct path in one launch,
 * one item per (b, o); the lengths (when given) are uploaded */
seqnn_status ocl_k_conv1d_max_forward(const seqnn_call *call, const seqnn_conv1d_max_args *a)
{
    const seqnn_conv1d_args *c = &a->conv;
    ocl_ref lens;
    OCL_TRY(ocl_pool_lengths(call, a->lengths, c->batch, &lens));
    int64_t out_len = seqnn_conv1d_out_len(c);
    if (ocl_conv_gemm_path(call, c, out_len))
        return ocl_conv_gemm_max_forward(call, a, lens, out_len);
    ocl_launch L = ocl_begin(call, OCL_K_conv1d_max_forward);
    ocl_strided(&L, c->x, c->x_sb, c->x_sc, c->x_sl);
    ocl_arg_t(&L, c->weight);
    ocl_arg_t(&L, c->bias);
    ocl_pooled(&L, a->y, a->y_sb, a->y_sc);
    ocl_arg_t(&L, a->pre);
    ocl_arg_t(&L, a->argmax);
    ocl_arg_ref(&L, lens);
    ocl_arg_int(&L, (int)a->act);
    ocl_arg_float(&L, a->alpha);
    ocl_conv_shape(&L, c, out_len);
    return ocl_run(&L, c->batch * c->out_channels);
}

/* the gradients of conv1d_max_forward's conv from dy at the maxima: one
 * launch per gradient asked for (an argmax out of range is skipped), on
 * every device (one window per (b, o): no GEMM to form) */
seqnn_status ocl_k_conv1d_max_backward(const seqnn_call *call, const seqnn_conv1d_max_args *m)
{
    const seqnn_conv1d_args *a = &m->conv;
    int64_t out_len = seqnn_conv1d_out_len(a);
    int acc = OCL_ACC(m);
    if (OCL_HAS(a->dweight)) {
        ocl_launch L = ocl_begin(call, OCL_K_conv1d_max_backward_w);
        ocl_strided(&L, a->x, a->x_sb, a->x_sc, a->x_sl);
        ocl_pooled(&L, m->dy, m->y_sb, m->y_sc);
        ocl_arg_t(&L, m->argmax);
        ocl_arg_t(&L, a->dweight);
        ocl_conv_shape(&L, a, out_len);
        ocl_arg_int(&L, acc);
        OCL_TRY(ocl_run(&L, a->out_channels * a->in_channels * a->kernel_size));
    }
    if (OCL_HAS(a->dbias)) {
        ocl_launch L = ocl_begin(call, OCL_K_conv1d_max_backward_b);
        ocl_pooled(&L, m->dy, m->y_sb, m->y_sc);
        ocl_arg_t(&L, a->dbias);
        ocl_arg_long(&L, a->batch);
        ocl_arg_long(&L, a->out_channels);
        ocl_arg_int(&L, acc);
        OCL_TRY(ocl_run(&L, a->out_channels));
    }
    if (OCL_HAS(a->dx)) {
        ocl_launch L = ocl_begin(call, OCL_K_conv1d_max_backward_x);
        ocl_pooled(&L, m->dy, m->y_sb, m->y_sc);
        ocl_arg_t(&L, m->argmax);
        ocl_arg_t(&L, a->weight);
        ocl_strided(&L, a->dx, a->x_sb, a->x_sc, a->x_sl);
        ocl_conv_shape(&L, a, out_len);
        ocl_arg_int(&L, acc);
        OCL_TRY(ocl_run(&L, a->batch * a->in_channels * a->in_len));
    }
    return SEQNN_OK;
}

seqnn_status ocl_k_maxpool_backward(const seqnn_call *call, const seqnn_maxpool_args *a)
{
    ocl_launch L = ocl_begin(call, OCL_K_maxpool_backward);
    ocl_pooled(&L, a->dy, a->y_sb, a->y_sc);
    ocl_arg_t(&L, a->argmax);
    ocl_strided(&L, a->dx, a->x_sb, a->x_sc, a->x_sl);
    ocl_arg_long(&L, a->batch);
    ocl_arg_long(&L, a->channels);
    ocl_arg_long(&L, a->len);
    ocl_arg_int(&L, OCL_ACC(a));
    return ocl_run(&L, a->batch * a->channels);
}


/* The template plugin's private header: how its kernels reach buffer memory,
 * small helpers shared by the kernel files, and the prototypes of every
 * kernel (kernels/ (one file per family)) and of the device and buffer
 * functions (device.c).
 *
 * Nothing here is part of seqnn: a vendor's plugin includes only the
 * installed public headers (<seqnn/plugin.h> pulls in kernels.h and status.h;
 * <seqnn/philox.h> is needed for dropout). */
#ifndef TPL_TEMPLATE_H
#define TPL_TEMPLATE_H

#include <stdint.h>
#include "seqnn/plugin.h"

/* VENDOR: this template keeps buffers in host memory, so a buffer's handle is
 * the memory itself and a kernel forms element pointers directly, as below.
 * A device plugin's handle is its own object (a cl_mem, a device pointer, a
 * struct of yours); its kernels translate (handle, element offset) into what
 * the device needs and never dereference the handle on the host. Offsets
 * (tref.off) are counted in elements, not bytes. */
#define TPL_F(ref) ((float *)(ref).buf->handle + (ref).off)      /* float32 tensor */
#define TPL_I(ref) ((int32_t *)(ref).buf->handle + (ref).off)    /* int32 tensor */
#define TPL_HAS(ref) ((ref).buf != NULL)                          /* optional tensor given? */
#define TPL_FOPT(ref) (TPL_HAS(ref) ? TPL_F(ref) : (float *)0)    /* optional float32 tensor */

/* Backward kernels accumulate into gradients unless flags has OVERWRITE. */
#define TPL_ACC(args) (((args)->flags & SEQNN_FLAG_OVERWRITE) == 0)

/* The device record handed out by device_open (call->device in every call). */
typedef struct tpl_device {
    int64_t index;                       /* which device of this plugin */
    int64_t live_buffers;                /* allocations not yet freed */
} tpl_device;

/* dst = dst + v (accumulate) or dst = v (overwrite: dst is never read) */
static inline void tpl_store(float *dst, double v, int accumulate)
{
    *dst = accumulate ? (float)(*dst + v) : (float)v;
}

/* Sets n floats, `stride` apart, to 0. */
void tpl_zero(float *p, int64_t n, int64_t stride);
double tpl_sigmoid(double x);
/* f(x) of activation kind (act_forward's; kernels/elementwise.c) */
double tpl_act(seqnn_act kind, double alpha, double x);
/* sum_i x[i*incx] * y[i*incy], in double */
double tpl_dot(const float *x, int64_t incx, const float *y, int64_t incy, int64_t n);

/* The plugin's one matrix product, on float32 arrays in row-major order:
 * C [m, n] = alpha * op(A) * op(B) + beta * C, op(A) [m, k] (A[i*lda + p], or
 * A[p*lda + i] when trans_a), op(B) [k, n] likewise; beta == 0: C is not
 * read; k == 0: A and B are not read. The gemm kernel and the recurrent,
 * convolution and attention kernels go through it (kernels/blas.c).
 * VENDOR: put your device's GEMM here and every kernel that multiplies
 * matrices gets faster. */
void tpl_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, double alpha, const float *A,
               int64_t lda, const float *B, int64_t ldb, double beta, float *C, int64_t ldc);

/* Fills every member of the vtable but the kernels: the ABI header, name,
 * version, description, init, devices, buffers, the structure query
 * (device.c). The kernel slots are left NULL. */
void tpl_api_shell(seqnn_plugin_api *api, const char *name, const char *version, const char *description);

/* Buffer functions of the plugin ABI (device.c). */
seqnn_status tpl_buffer_alloc(const seqnn_call *call, size_t bytes, void **handle);
void tpl_buffer_free(void *device, void *handle);
seqnn_status tpl_buffer_write(const seqnn_call *call, void *handle, size_t offset, const void *src,
                              size_t bytes);
seqnn_status tpl_buffer_read(const seqnn_call *call, void *handle, size_t offset, void *dst,
                             size_t bytes);
seqnn_status tpl_buffer_copy(const seqnn_call *call, void *dst, size_t dst_offset, void *src,
                             size_t src_offset, size_t bytes);
seqnn_status tpl_buffer_fill(const seqnn_call *call, void *handle, size_t offset, size_t bytes,
                             uint32_t pattern);
seqnn_status tpl_sync(const seqnn_call *call);

/* One function per kernel of the catalogue: tpl_gemm, tpl_bias_add, ... */
#define SEQNN_KERNEL(name, args, doc) seqnn_status tpl_##name(const seqnn_call *call, const args *a);
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL

#endif /* TPL_TEMPLATE_H */

/* Internal interface of the OpenCL plugin: the open-device record, buffers,
 * error translation, the embedded program and its disk cache, the kernel
 * launch helpers and the GEMM wrapper shared by every kernel family
 * (ocl_<family>.c). Nothing here is exported from the plugin. */
#ifndef SEQNN_OCL_H
#define SEQNN_OCL_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>
#include <stdint.h>
#include "seqnn/plugin.h"

/* Every kernel function of the kernels/ .cl files, created once per opened device. */
#define OCL_KERNEL_LIST(X) \
    X(gemm_scale_c) X(bias_add) X(colsum_partial) X(colsum_final) X(act_forward) X(act_backward) \
    X(ew_add) X(ew_mul) X(ew_scale) X(acc_copy) \
    X(softmax_forward) X(softmax_backward) \
    X(reduce_partial) X(reduce_final) X(reduce_final_mean) \
    X(loss_backward) \
    X(embedding_forward) X(embedding_backward) X(dropout_forward) X(dropout_backward) \
    X(rnn_fwd_step) X(rnn_classic_rz) X(rnn_bwd_step) X(rnn_classic_bwd_n) \
    X(conv1d_forward) X(conv1d_backward_x) X(conv1d_backward_w) X(conv1d_backward_b) \
    X(maxpool_forward) X(maxpool_backward) \
    X(attn_project) X(attn_scores) X(attn_contract) X(attn_outer) X(attn_ds) \
    X(attn_additive_du) X(attn_additive_dk) X(attn_additive_dwv) \
    X(sgd_step) X(rmsprop_step) X(adam_step) X(adagrad_step) X(clip_scale) \
    X(maxpool_lengths_forward) X(xent_ext_rows) X(xent_ext_backward) \
    X(lstmv_fwd_step) X(lstmv_fwd_emit) X(lstmv_bwd_dh) X(lstmv_bwd_step) X(lstmv_peep_grad) \
    X(conv1d_max_forward) X(conv1d_max_backward_w) X(conv1d_max_backward_b) X(conv1d_max_backward_x) \
    X(copy2d) \
    X(conv1d_im2col) X(conv1d_gemm_out) X(conv1d_max_gemm) X(conv1d_gather_dy) X(conv1d_col2im) \
    X(attn_softmax) X(attn_ds_rows)

typedef enum ocl_kernel_id {
#define OCL_KID(name) OCL_K_##name,
    OCL_KERNEL_LIST(OCL_KID)
#undef OCL_KID
    OCL_K_COUNT
} ocl_kernel_id;

/* Scratch buffers kept per open device and grown on demand; a kernel uses
 * distinct slots for what it needs at the same time. The queue is in order,
 * so a later call reusing a slot runs after the earlier call's work. */
typedef enum ocl_scratch_slot {
    OCL_S_A, OCL_S_B, OCL_S_C, OCL_S_D, OCL_S_E, OCL_S_F, OCL_S_G, OCL_S_H,
    OCL_S_SUM,                           /* partial column sums (ocl_colsum) */
    OCL_S_LENGTHS, OCL_S_COUNT
} ocl_scratch_slot;

typedef struct ocl_device {
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    cl_program program;
    cl_kernel kernels[OCL_K_COUNT];
    size_t wg[OCL_K_COUNT];              /* local size per kernel: power of two, from its limits */
    size_t max_alloc, global_mem;        /* CL_DEVICE_MAX_MEM_ALLOC_SIZE, CL_DEVICE_GLOBAL_MEM_SIZE */
    cl_uint compute_units;
    int rnn_units;                       /* units per work-item of the rnn.cl cell kernels (build
                                          * option SEQNN_RNN_UNITS): 8 on CPU devices, 1 on
                                          * others, SEQNN_OPENCL_RNN_UNITS overrides; 0: 8 */
    int64_t gemm_path_min;               /* conv1d (ocl_conv.c) and attention (ocl_attention.c)
                                          * through CLBlast GEMMs from this many multiply-adds
                                          * per call: 2^20, or 0 (SEQNN_OPENCL_GEMM_PATH=always),
                                          * INT64_MAX (=never) */
    cl_mem dummy;                        /* bound where an optional tensor is absent */
    cl_mem scratch[OCL_S_COUNT];
    size_t scratch_bytes[OCL_S_COUNT];
    int32_t *ints_host[OCL_S_COUNT];     /* what ocl_upload_ints last put in the slot ... */
    int64_t ints_count[OCL_S_COUNT];     /* ... and how many (0: nothing known) */
    double program_seconds;              /* time spent getting the program (build or cache) */
    int program_from_cache;
    char name[256];
} ocl_device;

/* A buffer: the seqnn_buffer handle of this plugin. */
typedef struct ocl_buffer {
    cl_mem mem;
    size_t bytes;
} ocl_buffer;

/* A device tensor as kernels see it: memory and element offset (off < 0: absent). */
typedef struct ocl_ref {
    cl_mem mem;
    int64_t off;
} ocl_ref;

static inline ocl_ref ocl_tref(seqnn_tref t)
{
    ocl_ref r;
    r.mem = t.buf ? ((ocl_buffer *)t.buf->handle)->mem : NULL;
    r.off = t.buf ? t.off : -1;
    return r;
}

static inline ocl_ref ocl_at(ocl_ref r, int64_t delta)
{
    r.off += delta;
    return r;
}

static inline ocl_device *ocl_dev(const seqnn_call *call)
{
    return (ocl_device *)call->device;
}

/* ---- errors (ocl_errors.c) */
const char *ocl_error_name(cl_int err);
/* Fails the call with "<what>: <CL error name> (<code>)"; allocation errors
 * become SEQNN_ERR_NO_MEMORY, the rest SEQNN_ERR_DEVICE. */
seqnn_status ocl_fail(const seqnn_call *call, const char *what, cl_int err);
/* The same into a plain message buffer (device_open, init). */
seqnn_status ocl_fail_msg(char *msg, size_t msg_size, const char *what, cl_int err);

/* ---- devices and buffers (ocl_device.c) */
seqnn_status ocl_open(cl_platform_id platform, cl_device_id device, ocl_device **out,
                      char *msg, size_t msg_size);
void ocl_close(ocl_device *dev);
/* Scratch memory of at least `bytes` for a slot, as a tensor at offset 0. */
seqnn_status ocl_scratch(const seqnn_call *call, ocl_scratch_slot slot, size_t bytes, ocl_ref *out);
/* Fills count floats (or int32s) of r with a 32-bit pattern (0: zeros). */
seqnn_status ocl_fill(const seqnn_call *call, ocl_ref r, int64_t count, uint32_t pattern);
/* Copies count elements (4 bytes each). */
seqnn_status ocl_copy(const seqnn_call *call, ocl_ref dst, ocl_ref src, int64_t count);
seqnn_status ocl_buffer_alloc(const seqnn_call *call, size_t bytes, void **handle);
void ocl_buffer_free(void *device, void *handle);
seqnn_status ocl_buffer_write(const seqnn_call *call, void *handle, size_t offset,
                              const void *src, size_t bytes);
seqnn_status ocl_buffer_read(const seqnn_call *call, void *handle, size_t offset,
                             void *dst, size_t bytes);
seqnn_status ocl_buffer_copy(const seqnn_call *call, void *dst, size_t dst_offset,
                             void *src, size_t src_offset, size_t bytes);
seqnn_status ocl_buffer_fill(const seqnn_call *call, void *handle, size_t offset,
                             size_t bytes, uint32_t pattern);
seqnn_status ocl_sync(const seqnn_call *call);

/* ---- the program: embedded sources, disk cache (ocl_program.c) */
/* Builds (or loads from the cache) the program of all the kernels/ .cl files for dev. */
seqnn_status ocl_program_get(ocl_device *dev, char *msg, size_t msg_size);
/* Whether SEQNN_LOG=debug: the plugin then tells stderr how it built and set up a device. */
int ocl_log_debug(void);
/* The cache directory ($XDG_CACHE_HOME/seqnn or ~/.cache/seqnn) into buf; 0 if none. */
int ocl_cache_dir(char *buf, size_t size);

/* ---- launching our kernels (ocl_launch.c) */
typedef struct ocl_launch {
    const seqnn_call *call;
    ocl_device *dev;
    ocl_kernel_id id;
    cl_uint next;                        /* next argument index */
    cl_int err;                          /* first clSetKernelArg failure */
} ocl_launch;

ocl_launch ocl_begin(const seqnn_call *call, ocl_kernel_id id);
/* A tensor: two arguments, the memory and the element offset (long, -1 when absent). */
void ocl_arg_ref(ocl_launch *L, ocl_ref r);
void ocl_arg_t(ocl_launch *L, seqnn_tref t);
void ocl_arg_long(ocl_launch *L, int64_t v);
/* A bare buffer (no offset argument). */
void ocl_arg_mem(ocl_launch *L, cl_mem m);
void ocl_arg_int(ocl_launch *L, int v);
void ocl_arg_uint(ocl_launch *L, uint32_t v);
void ocl_arg_ulong(ocl_launch *L, uint64_t v);
void ocl_arg_float(ocl_launch *L, double v);
/* Sets argument `index` again (a step counter in a loop of launches). */
void ocl_arg_set_long(ocl_launch *L, cl_uint index, int64_t v);
/* __local float[n] where n is the launch's local size */
void ocl_arg_local(ocl_launch *L);
/* n work-items over a flat range (rounded up to the kernel's local size;
 * kernels check their bound). n == 0 launches nothing. */
seqnn_status ocl_run(ocl_launch *L, int64_t n);
/* groups work-groups of `local` items each (local: ocl_group_size). */
seqnn_status ocl_run_groups(ocl_launch *L, int64_t groups, size_t local);
/* Local size for a group reduction over `len` elements: a power of two no
 * larger than the kernel's limit nor than needed. */
size_t ocl_group_size(const ocl_device *dev, ocl_kernel_id id, int64_t len);

/* ---- shared numeric helpers (ocl_blas.c, ocl_loss.c) */
/* Row-major batched C = alpha op(A) op(B) + beta C through CLBlast (k == 0
 * handled; with beta == 0, C is not read). */
seqnn_status ocl_gemm(const seqnn_call *call, int ta, int tb, int64_t m, int64_t n, int64_t k,
                      double alpha, ocl_ref a, int64_t lda, ocl_ref b, int64_t ldb,
                      double beta, ocl_ref c, int64_t ldc,
                      int64_t batch, int64_t sa, int64_t sb, int64_t sc);
/* db (+)= column sums of dy [rows, cols] (row stride ld). */
seqnn_status ocl_colsum(const seqnn_call *call, int64_t rows, int64_t cols, ocl_ref dy,
                        int64_t ld, ocl_ref db, int accumulate);
/* dst (+)= src over n elements. */
seqnn_status ocl_acc_copy(const seqnn_call *call, ocl_ref dst, ocl_ref src, int64_t n, int accumulate);
/* Reduction modes of reduce_partial (kernels/reduce.cl). */
enum { OCL_RED_SQUARE = 0, OCL_RED_MSE = 1, OCL_RED_BCE = 2, OCL_RED_PLAIN = 3 };
/* Deterministic sum over n elements of mode(a, b) into partial sums in `slot`;
 * *groups receives their number. */
seqnn_status ocl_reduce_partial(const seqnn_call *call, int mode, ocl_ref a, ocl_ref b, int64_t n,
                                ocl_scratch_slot slot, ocl_ref *partial, int64_t *groups);
/* out[0] = (accumulate ? out[0] : 0) + (sum of the partials) / divisor */
seqnn_status ocl_reduce_final(const seqnn_call *call, ocl_ref partial, int64_t groups,
                              ocl_ref out, double divisor, int accumulate);
/* A host int32 array on the device, in a scratch slot, without waiting for
 * the queue: the same contents as the slot's last upload reuse it; others
 * go into a new buffer created from the host copy (CL_MEM_COPY_HOST_PTR),
 * the old one being released once the work queued on it is done. */
seqnn_status ocl_upload_ints(const seqnn_call *call, ocl_scratch_slot slot, const int32_t *v,
                             int64_t n, ocl_ref *out);

/* ---- recurrent helpers (ocl_rnn.c), shared with ocl_lstm_variant.c */
/* The sizes of one recurrent call: G gates of H units, a projection of
 * width P (0: none) and the state h of width R (P, or H without one). */
typedef struct ocl_rnn_shape {
    int64_t T, B, I, H, G, GH, P, R;
    int64_t steps;                       /* max length: steps past it need no GEMM */
    ocl_ref lens;                        /* device int32 [B] or absent */
} ocl_rnn_shape;
/* Fills s from a, G and P; uploads the lengths (when given). */
seqnn_status ocl_rnn_shape_of(const seqnn_call *call, const seqnn_rnn_args *a, int64_t G, int64_t P,
                              ocl_rnn_shape *s);
/* Scratch of at least n floats (one at least) in slot. */
seqnn_status ocl_rnn_scratch(const seqnn_call *call, ocl_scratch_slot slot, int64_t n, ocl_ref *out);
/* state (n floats) = init, or zeros when init is absent */
seqnn_status ocl_rnn_init_state(const seqnn_call *call, ocl_ref state, seqnn_tref init, int64_t n);
/* The time arguments of a step kernel: the step (0 here; the index it
 * returns is the one to set per launch), T, B, H when with_h, reverse and
 * the lengths. */
cl_uint ocl_rnn_arg_steps(ocl_launch *L, const ocl_rnn_shape *s, int with_h, int reverse);
/* xg [T*B, G*H] = x W_ih^T for every step at once (biases: in the cell kernels) */
seqnn_status ocl_rnn_project_input(const seqnn_call *call, const seqnn_rnn_args *a, const ocl_rnn_shape *s,
                                   ocl_ref xg);
/* From the gate gradients dxg [T*B, G*H] of every step: dw_ih (+)= dxg^T x,
 * db_ih (+)= column sums of dxg, dx (+)= dxg W_ih (each when asked for). */
seqnn_status ocl_rnn_input_grads(const seqnn_call *call, const seqnn_rnn_args *a, const ocl_rnn_shape *s,
                                 ocl_ref dxg);
/* out_h (+)= h [nh] and out_c (+)= c [nc], each when both are present (the
 * final states, or the initial states' gradients). */
seqnn_status ocl_rnn_put_states(const seqnn_call *call, seqnn_tref out_h, ocl_ref h, int64_t nh, seqnn_tref out_c,
                                ocl_ref c, int64_t nc, int accumulate);

/* ---- kernel families: one function per catalogue entry */
#define SEQNN_KERNEL(name, args, doc) seqnn_status ocl_k_##name(const seqnn_call *call, const args *a);
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL

#define OCL_TRY(expr) do { seqnn_status s_ = (expr); if (s_ != SEQNN_OK) return s_; } while (0)
#define OCL_ACC(args) (((args)->flags & SEQNN_FLAG_OVERWRITE) == 0)
#define OCL_HAS(t) ((t).buf != NULL)

#endif /* SEQNN_OCL_H */

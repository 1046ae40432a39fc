/* seqnn plugin ABI: what a plugin (a shared object loaded with dlopen) exports
 * and what the core calls. docs/plugin-guide.md explains it for vendors.
 *
 * A plugin exports one function, SEQNN_PLUGIN_ENTRY_SYMBOL, returning a
 * pointer to a static seqnn_plugin_api. The struct begins with abi_major,
 * abi_minor and struct_size: the loader refuses another major version and
 * treats every slot lying beyond struct_size as missing (so a plugin built for
 * an older minor version, with a shorter vtable, still loads). New members are
 * only ever appended. A NULL kernel slot means "not implemented": the core
 * answers SEQNN_ERR_UNSUPPORTED without calling the plugin.
 *
 * ABI 1.1 appended two optional queries (below): structure, the boundaries of
 * the device's code paths, from which the conformance suite derives its
 * shapes; and accepts, the capability query with which a device declines a
 * call of a kernel it has (a chain of devices then runs it on the next one).
 * ABI 1.2 appended the cross-entropy kernels with class weights, label
 * smoothing and per-row losses (xent_ext_forward, xent_ext_backward) and the
 * LSTM variants (lstm_variant_forward, lstm_variant_backward).
 * ABI 1.3 appended conv1d_max_forward and conv1d_max_backward (a convolution,
 * its activation and the max over time in one call, and its gradients from
 * the maxima alone) and copy2d (a bit-exact copy of a block of rows between
 * row strides).
 *
 * Threading: the core never calls one device from two threads at once; calls
 * on different devices (or different opens of a device) may run concurrently.
 * A plugin file is initialised once per process however many registries load
 * it (and finalised by the last to close), and its plugin-wide entry points
 * (init, fini, device enumeration) are never called concurrently.
 */
#ifndef SEQNN_PLUGIN_H
#define SEQNN_PLUGIN_H

#include <stdarg.h>
#include <stdio.h>
#include "seqnn/kernels.h"
#include "seqnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SEQNN_ABI_MAJOR 1
#define SEQNN_ABI_MINOR 3
#define SEQNN_PLUGIN_ENTRY_SYMBOL "seqnn_plugin_entry"

/* Kinds of device, as a score hint and for `seqnn info`. */
typedef enum seqnn_device_kind {
    SEQNN_DEVICE_CPU = 0,
    SEQNN_DEVICE_GPU = 1,
    SEQNN_DEVICE_ACCELERATOR = 2
} seqnn_device_kind;

/* Conventional scores (higher wins; 0 = cannot run here). */
#define SEQNN_SCORE_REF          10
#define SEQNN_SCORE_CPU_OPENCL   50
#define SEQNN_SCORE_AVX2        100
#define SEQNN_SCORE_AVX512      150
#define SEQNN_SCORE_GPU         200

typedef struct seqnn_device_info {
    char name[256];                      /* e.g. "Portable Computing Language: cpu-haswell" */
    seqnn_device_kind kind;
    int score;                           /* 0: cannot run here (reason says why) */
    char reason[256];                    /* why this score */
    uint64_t memory_bytes;               /* 0 if unknown */
} seqnn_device_info;

/* Passed to every call on an open device: the device and where to put a
 * message when the call fails (always NUL-terminated by the plugin). */
typedef struct seqnn_call {
    void *device;                        /* what device_open returned */
    char *msg;
    size_t msg_size;
} seqnn_call;

/* The sizes a boundary is about (seqnn_boundary.dim). */
typedef enum seqnn_boundary_dim {
    SEQNN_DIM_M = 0,                     /* gemm: rows of C (m) */
    SEQNN_DIM_N = 1,                     /* gemm: columns of C (n) */
    SEQNN_DIM_K = 2,                     /* gemm: depth (k) */
    SEQNN_DIM_NK = 3,                    /* gemm: n*k, e.g. floats of packed B per column block */
    SEQNN_DIM_MNK = 4,                   /* gemm: m*n*k, e.g. a switch to another algorithm */
    SEQNN_DIM_LANES = 5,                 /* vector width in floats: sizes just off its multiples
                                          * leave tails (kernel -1: every kernel) */
    SEQNN_DIM_BATCH = 6,                 /* batch (rnn, cell, conv1d, attention) */
    SEQNN_DIM_HIDDEN = 7,                /* rnn, cell: hidden_size */
    SEQNN_DIM_INPUT = 8,                 /* rnn, cell: input_size */
    SEQNN_DIM_ROWS = 9,                  /* rnn: seq_len*batch (rows of the GEMMs over all steps) */
    SEQNN_DIM_QUERIES = 10,              /* attention: q_len */
    SEQNN_DIM_KEYS = 11,                 /* attention: k_len */
    SEQNN_DIM_FEATURES = 12,             /* attention: q_dim and v_dim; conv1d: in_channels*kernel_size */
    SEQNN_DIM_CHANNELS = 13,             /* conv1d: out_channels */
    SEQNN_DIM_LENGTH = 14,               /* conv1d: output length */
    SEQNN_DIM_ELEMENTS = 15,             /* element-wise kernels: elements */
    SEQNN_DIM_COUNT
} seqnn_boundary_dim;

/* One boundary of a device's code paths: sizes `dim` of kernel `kernel` up
 * to `value` take one path, sizes above it another (a second cache block, one
 * more task, another algorithm). A block size B is declared as B: sizes B and
 * B + 1 differ; a vector width W as W (dim SEQNN_DIM_LANES). */
typedef struct seqnn_boundary {
    int32_t kernel;                      /* seqnn_kernel_id, or -1: every kernel */
    int32_t dim;                         /* seqnn_boundary_dim */
    int64_t value;                       /* the last size on the near side (>= 1) */
    const char *what;                    /* one line: "KC, depth of a packed block of A and B" */
} seqnn_boundary;

typedef struct seqnn_plugin_api {
    uint32_t abi_major;                  /* SEQNN_ABI_MAJOR */
    uint32_t abi_minor;                  /* SEQNN_ABI_MINOR */
    uint64_t struct_size;                /* sizeof(seqnn_plugin_api) as built */
    const char *name;                    /* short name, used by SEQNN_BACKEND: "ref" */
    const char *version;                 /* the plugin's own version */
    const char *description;

    /* Plugin-wide state: init once after loading, fini before unloading. */
    seqnn_status (*init)(void **state, char *msg, size_t msg_size);
    void (*fini)(void *state);

    /* Devices: indexes 0 .. device_count-1. */
    int64_t (*device_count)(void *state);
    seqnn_status (*device_info)(void *state, int64_t index, seqnn_device_info *info);
    seqnn_status (*device_open)(void *state, int64_t index, void **device,
                                char *msg, size_t msg_size);
    void (*device_close)(void *device);

    /* Buffers: bytes and byte offsets. Work may be asynchronous; read and sync
     * complete everything enqueued before them. fill repeats a 4-byte pattern. */
    seqnn_status (*buffer_alloc)(const seqnn_call *call, size_t bytes, void **handle);
    void (*buffer_free)(void *device, void *handle);
    seqnn_status (*buffer_write)(const seqnn_call *call, void *handle, size_t offset,
                                 const void *src, size_t bytes);
    seqnn_status (*buffer_read)(const seqnn_call *call, void *handle, size_t offset,
                                void *dst, size_t bytes);
    seqnn_status (*buffer_copy)(const seqnn_call *call, void *dst, size_t dst_offset,
                                void *src, size_t src_offset, size_t bytes);
    seqnn_status (*buffer_fill)(const seqnn_call *call, void *handle, size_t offset,
                                size_t bytes, uint32_t pattern);
    seqnn_status (*sync)(const seqnn_call *call);

    /* Kernels, in catalogue order (kernels.def). Arguments have been checked
     * by the core (shapes, extents, flags) before a plugin sees them. */
#define SEQNN_KERNEL(name, args, doc) seqnn_status (*name)(const seqnn_call *call, const args *a);
    /* Queries, at their place in the catalogue's order (kernels.def):
     *
     * structure (ABI 1.1, optional): *list receives the boundaries of the open
     * device call->device (an array of *count entries that stays valid while
     * the device is open) in any order. It is cheap and has no side effects:
     * it neither allocates, nor compiles, nor touches the device's queue. A
     * boundary that depends on the thread count is declared for the count the
     * device runs with. A plugin without the slot (or with a NULL one) gets
     * the core's default set (seqnn_context_structure).
     *
     * accepts (ABI 1.1, optional): whether the open device call->device takes
     * this call of kernel id (args points to that kernel's argument struct,
     * already checked by the core). It answers SEQNN_OK, or
     * SEQNN_ERR_UNSUPPORTED with a one-line reason in call->msg ("hidden_size
     * 2048 is above the 1024 the bitstream holds"). It must be cheap and free of
     * side effects: it looks at sizes, flags and modes only, never at tensor
     * contents (the buffers' handles may still belong to another device when it
     * is asked), allocates nothing and enqueues nothing. Asked only for kernels
     * whose slot the plugin has. A device that accepted a call must run it: an
     * SEQNN_ERR_UNSUPPORTED from the kernel afterwards fails the call, naming
     * the plugin. A plugin without the slot (or a NULL one) accepts every call
     * of the kernels it has. */
#define SEQNN_SLOT(declaration, summary) declaration;
#include "seqnn/kernels.def"
#undef SEQNN_SLOT
#undef SEQNN_KERNEL
} seqnn_plugin_api;

/* The exported entry point's type. */
typedef const seqnn_plugin_api *(*seqnn_plugin_entry_fn)(void);

/* Writes a printf-style message into call->msg and returns status: the usual
 * way for a plugin to fail. */
static inline seqnn_status seqnn_plugin_fail(const seqnn_call *call, seqnn_status status,
                                             const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static inline seqnn_status seqnn_plugin_fail(const seqnn_call *call, seqnn_status status,
                                             const char *fmt, ...)
{
    if (call && call->msg && call->msg_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(call->msg, call->msg_size, fmt, ap);
        va_end(ap);
    }
    return status;
}

#ifdef __cplusplus
}
#endif

#endif /* SEQNN_PLUGIN_H */

/* seqnn public API: plugin registry and backend selection, contexts (one open
 * device), buffers, and one dispatch function per kernel of the catalogue.
 *
 * Errors: every function returns a seqnn_status; seqnn_last_error() gives the
 * message of the last failure on the calling thread (contexts also keep their
 * own, seqnn_context_error()). The library never exits the process and never
 * writes to stdout; diagnostics go to stderr as SEQNN_LOG allows.
 *
 * Threading: a registry or a context is used by one thread at a time;
 * different contexts may be used from different threads at once.
 */
#ifndef SEQNN_SEQNN_H
#define SEQNN_SEQNN_H

#include <stddef.h>
#include <stdint.h>
#include "seqnn/export.h"
#include "seqnn/kernels.h"
#include "seqnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SEQNN_VERSION "0.1.0"

/* Message of the last failing call on this thread ("" if none). */
SEQNN_API const char *seqnn_last_error(void);

/* Name of kernel id ("gemm", ...) or NULL; id of a name or -1. */
SEQNN_API const char *seqnn_kernel_name(seqnn_kernel_id id);
SEQNN_API int seqnn_kernel_find(const char *name);

/* ------------------------------------------------------------ registry ---
 * Discovery (docs/backends.md, "Discovery"): directories of SEQNN_PLUGIN_PATH
 * first, then the install plugin directory, then the build tree next to the
 * running executable. Every file that looks like a plugin (libseqnn-*.so) is
 * tried and kept with its outcome, loaded or rejected with the reason. */
typedef struct seqnn_registry seqnn_registry;

typedef struct seqnn_plugin_record {
    const char *path;                    /* file */
    const char *name;                    /* plugin's name, or NULL if rejected before knowing it */
    int loaded;                          /* 1 loaded, 0 rejected */
    const char *reason;                  /* why rejected, or "" */
    unsigned abi_major, abi_minor;       /* as the plugin declared (0 if unknown) */
    int kernels_present;                 /* vtable slots present and non-NULL */
    const char *version;                 /* the plugin's own version, or "" */
    const char *description;             /* one line, or "" */
} seqnn_plugin_record;

typedef struct seqnn_device_record {
    int64_t plugin;                      /* index of its plugin record */
    const char *plugin_name;
    int64_t index;                       /* index within the plugin */
    const char *name;
    int kind;                            /* seqnn_device_kind */
    int score;
    const char *reason;
    uint64_t memory_bytes;
} seqnn_device_record;

/* Scans the search path. Always succeeds unless out of memory: problems are
 * recorded per file. */
SEQNN_API seqnn_status seqnn_registry_open(seqnn_registry **reg);
/* An empty registry; add files with seqnn_registry_add_file. */
SEQNN_API seqnn_status seqnn_registry_open_empty(seqnn_registry **reg);
/* Loads one plugin file explicitly; its outcome is recorded either way.
 * Returns the failure reason's status when it is rejected. */
SEQNN_API seqnn_status seqnn_registry_add_file(seqnn_registry *reg, const char *path);
SEQNN_API void seqnn_registry_close(seqnn_registry *reg);

SEQNN_API int64_t seqnn_registry_plugin_count(const seqnn_registry *reg);
SEQNN_API seqnn_status seqnn_registry_plugin(const seqnn_registry *reg, int64_t i, seqnn_plugin_record *out);
SEQNN_API int64_t seqnn_registry_device_count(const seqnn_registry *reg);
SEQNN_API seqnn_status seqnn_registry_device(const seqnn_registry *reg, int64_t i, seqnn_device_record *out);

/* Chooses a device. spec is SEQNN_BACKEND's syntax: "ref", "avx2", "opencl",
 * a plugin path, each optionally followed by ":DEVICE-SUBSTRING"; NULL reads
 * SEQNN_BACKEND, and when that is unset too, the best score wins. An explicit
 * request that cannot be met fails with the reason (never falls back).
 * A chain, "A,B,..." (see seqnn_context_create), is checked whole and its
 * first device is chosen.
 * why (may be NULL) receives one line saying why this device. */
SEQNN_API seqnn_status seqnn_registry_select(seqnn_registry *reg, const char *spec, int64_t *device,
                                             char *why, size_t why_size);

/* ------------------------------------------------------------ contexts --- */
typedef struct seqnn_context seqnn_context;

/* Opens device `device` (a registry index). The registry must outlive it. */
SEQNN_API seqnn_status seqnn_context_open(seqnn_registry *reg, int64_t device, seqnn_context **ctx);
/* Scans, selects with spec (NULL: SEQNN_BACKEND or best) and opens; the
 * context owns its registry. spec may be a chain of devices, entries of the
 * one-device syntax joined by commas ("vendor,avx2"): each kernel call then
 * runs on the first device of the chain whose plugin has the kernel and
 * accepts the call, and buffers are copied between the devices as the calls
 * need them (docs/backends.md, "Chains"). A single entry keeps its strict
 * meaning: a kernel its plugin lacks fails. An unknown plugin or device, an
 * empty entry or a device named twice fails, naming the entry. */
SEQNN_API seqnn_status seqnn_context_create(const char *spec, seqnn_context **ctx);
SEQNN_API void seqnn_context_destroy(seqnn_context *ctx);
SEQNN_API const char *seqnn_context_error(const seqnn_context *ctx);
/* The device record and the plugin name of this context. */
SEQNN_API seqnn_status seqnn_context_device(const seqnn_context *ctx, seqnn_device_record *out);
/* The boundaries of the device's code paths (cache blocks, thread split
 * points, vector width, tile sizes) as its plugin declares them through the
 * optional structure query of plugin ABI 1.1, for tests that must cross them.
 * A plugin without the query gets a default set that crosses typical
 * boundaries; *declared (may be NULL) is 1 for the plugin's own list, 0 for
 * the default. The list stays valid while ctx is open. The entry type,
 * seqnn_boundary, is defined in seqnn/plugin.h. */
typedef struct seqnn_boundary seqnn_boundary;
SEQNN_API seqnn_status seqnn_context_structure(seqnn_context *ctx, const seqnn_boundary **list, int64_t *count,
                                               int *declared);
/* The devices of a context: 1, or the length of its chain; device i's record. */
SEQNN_API int seqnn_context_device_count(const seqnn_context *ctx);
SEQNN_API seqnn_status seqnn_context_device_at(const seqnn_context *ctx, int i, seqnn_device_record *out);
/* What a context's chain did since it was opened: the kernel calls each of
 * its devices ran and the copies of buffers between devices (a context of
 * one device runs every call on device 0 and copies nothing). */
#define SEQNN_CHAIN_STATS_MAX 8
typedef struct seqnn_chain_stats {
    int devices;
    int64_t calls[SEQNN_CHAIN_STATS_MAX];  /* counted for chains only (0 for one device) */
    int64_t copies;
    int64_t bytes;
    double seconds;                        /* spent copying */
} seqnn_chain_stats;
SEQNN_API seqnn_status seqnn_context_chain_stats(const seqnn_context *ctx, seqnn_chain_stats *out);
/* Completes all work enqueued on the device (every device of a chain). */
SEQNN_API seqnn_status seqnn_sync(seqnn_context *ctx);

/* ------------------------------------------------------------- buffers ---
 * count elements of dtype (F32 or I32); offsets and counts in elements. */
SEQNN_API seqnn_status seqnn_buffer_alloc(seqnn_context *ctx, seqnn_dtype dtype, int64_t count,
                                          seqnn_buffer **out);
SEQNN_API void seqnn_buffer_free(seqnn_context *ctx, seqnn_buffer *buf);
SEQNN_API seqnn_status seqnn_buffer_write(seqnn_context *ctx, seqnn_buffer *buf, int64_t offset,
                                          const void *src, int64_t count);
SEQNN_API seqnn_status seqnn_buffer_read(seqnn_context *ctx, seqnn_buffer *buf, int64_t offset,
                                         void *dst, int64_t count);
SEQNN_API seqnn_status seqnn_buffer_copy(seqnn_context *ctx, seqnn_buffer *dst, int64_t dst_offset,
                                         seqnn_buffer *src, int64_t src_offset, int64_t count);
/* Sets count elements to value (converted to the buffer's type). */
SEQNN_API seqnn_status seqnn_buffer_fill(seqnn_context *ctx, seqnn_buffer *buf, int64_t offset,
                                         int64_t count, double value);
/* A tensor reference to element `off` of buf. */
static inline seqnn_tref seqnn_at(seqnn_buffer *buf, int64_t off)
{
    seqnn_tref r;
    r.buf = buf;
    r.off = off;
    return r;
}

/* ------------------------------------------------------------- kernels ---
 * seqnn_gemm(ctx, &args), ... one per catalogue entry. Arguments are checked
 * first (shapes, extents against buffer sizes, buffers of this context, flags);
 * a bad argument fails with SEQNN_ERR_INVALID_ARG naming it and nothing is
 * written. A kernel the plugin lacks fails with SEQNN_ERR_UNSUPPORTED. */
#define SEQNN_KERNEL(name, args, doc) SEQNN_API seqnn_status seqnn_##name(seqnn_context *ctx, const args *a);
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL

/* The same through a kernel id (args points to that kernel's struct). */
SEQNN_API seqnn_status seqnn_kernel_run(seqnn_context *ctx, seqnn_kernel_id id, const void *args);
/* Checks a kernel's arguments without running it (msg receives the reason). */
SEQNN_API seqnn_status seqnn_kernel_check(seqnn_kernel_id id, const void *args, char *msg, size_t msg_size);
/* Which device of ctx (an index for seqnn_context_device_at) would run this
 * call, without running it: checks the arguments, then asks each device of a
 * chain as a call would (a device of one context: its plugin must have the
 * kernel). Fails like the call would when no device runs it, naming each
 * device's answer. The building block of placing a model's calls. */
SEQNN_API seqnn_status seqnn_kernel_route(seqnn_context *ctx, seqnn_kernel_id id, const void *args, int *device);
/* Whether device `device` of ctx (0 for a context of one device) would take
 * this call if a chain asked it: the arguments are checked, then its plugin
 * must have the kernel and its capability query (if any) accept the call.
 * SEQNN_ERR_UNSUPPORTED when it lacks the kernel or declines the call, with
 * the plugin's reason in why (why_size bytes; may be NULL). The conformance
 * suite counts the calls a plugin declines this way. */
SEQNN_API seqnn_status seqnn_kernel_accepts(seqnn_context *ctx, int device, seqnn_kernel_id id, const void *args,
                                            char *why, size_t why_size);
/* 1 if the context's plugin (any device of a chain) has kernel id. */
SEQNN_API int seqnn_kernel_available(const seqnn_context *ctx, seqnn_kernel_id id);

/* ------------------------------------------------------ placement plans ---
 * docs/backends.md, "Placement plans". A model built on a chain of devices
 * is planned once at build: every kernel call of one training step (forward,
 * loss, backward, clipping, optimizer update) and of one inference forward is
 * routed as it would run, without running it, so that each call has a device,
 * each tensor a home, and the copies between devices are counted. A call that
 * no device runs fails the build, naming the layer, the kernel and each
 * device's answer. seqnn_model_plan makes the same plan on request (on any
 * context, one device included). */
typedef struct seqnn_model seqnn_model;

/* The batch a plan is made for: batch, seq_len (and dec_len for an
 * encoder-decoder model, 0: seq_len); lengths 1 if batches carry
 * per-sequence lengths (they choose some kernels: maxpool_lengths_forward). */
typedef struct seqnn_plan_shape {
    int64_t batch, seq_len, dec_len;
    int lengths;
} seqnn_plan_shape;

/* Sets the shape the plan at build uses (default: batch 4, seq_len 8 or the
 * widest filter); call before seqnn_model_build. NULL: the default. */
SEQNN_API seqnn_status seqnn_model_set_plan_shape(seqnn_model *m, const seqnn_plan_shape *shape);

typedef enum seqnn_plan_phase {
    SEQNN_PLAN_FORWARD = 0,              /* a layer's forward in training */
    SEQNN_PLAN_BACKWARD,                 /* a layer's backward */
    SEQNN_PLAN_LOSS,                     /* the loss and its gradient (layer -1) */
    SEQNN_PLAN_CLIP,                     /* the gradient's norm and clipping (layer -1) */
    SEQNN_PLAN_UPDATE,                   /* the optimizer (layer -1) */
    SEQNN_PLAN_INFERENCE,                /* a layer's forward in inference */
    SEQNN_PLAN_PHASE_COUNT
} seqnn_plan_phase;

/* One row of a plan: the calls of one kernel that one layer makes in one
 * phase, all routed to one device. */
typedef struct seqnn_plan_call {
    int layer;                           /* index in the model, or -1 for the model's own calls */
    const char *layer_name;              /* "" for -1 */
    seqnn_plan_phase phase;
    seqnn_kernel_id kernel;
    int device;                          /* index in the chain (seqnn_context_device_at), or -1: none runs it */
    int64_t calls;                       /* per training step (inference: per forward) */
    int64_t copies, bytes;               /* copied between devices before these calls, per step */
    const char *answers;                 /* device -1: each device's answer; else "" */
} seqnn_plan_call;

/* Where a layer's tensors live after a training step: bit d of a mask set
 * when device d holds the current contents (a tensor copied to another device
 * for a call has two bits); 0 when the layer has no such tensor. */
typedef enum seqnn_plan_tensor_kind {
    SEQNN_PLAN_OUTPUT = 0, SEQNN_PLAN_OUTPUT_GRAD, SEQNN_PLAN_PARAMS, SEQNN_PLAN_GRADS, SEQNN_PLAN_OPTIM_STATE,
    SEQNN_PLAN_TENSOR_KINDS
} seqnn_plan_tensor_kind;

/* Copies between devices: their number and bytes, and the kernel calls each
 * device ran. host_bytes: part of bytes copied for a read by the host. */
typedef struct seqnn_plan_traffic {
    int64_t copies, bytes, host_bytes;
    int64_t calls[SEQNN_CHAIN_STATS_MAX];
} seqnn_plan_traffic;

typedef struct seqnn_plan {
    seqnn_plan_shape shape;              /* what it was made for */
    int devices;                         /* of the context (1 or the chain's length) */
    const char *device_names[SEQNN_CHAIN_STATS_MAX];   /* each device's plugin name */
    seqnn_plan_call *rows;               /* training step rows, then inference rows */
    int64_t n_rows;
    int64_t unplaced;                    /* rows with device -1 */
    int n_layers;
    const char **layer_names;            /* [n_layers] (the model's: valid while it lives) */
    uint32_t (*homes)[SEQNN_PLAN_TENSOR_KINDS];   /* [n_layers]: device masks */
    /* the first training step (from the state at build), every later step
     * (the steady state), one inference forward after training */
    seqnn_plan_traffic first_step, step, inference;
} seqnn_plan;

/* Plans a built model for shape (NULL: the shape of the plan at build). Runs
 * no kernel and changes no parameter, optimizer state, step count or carried
 * recurrent state; the model's activations are allocated for the shape, as a
 * step of it would, and left uncomputed. A call that no device runs is a row
 * with device -1, not an error. */
SEQNN_API seqnn_status seqnn_model_plan(seqnn_model *m, const seqnn_plan_shape *shape, seqnn_plan **out);
SEQNN_API void seqnn_plan_free(seqnn_plan *plan);
/* The name of a phase: "forward", "backward", "loss", "clipping", "update", "inference". */
SEQNN_API const char *seqnn_plan_phase_name(seqnn_plan_phase phase);
/* One line: the calls of a training step per device and the copies per step
 * with their bytes, e.g. "plan (batch 8, 25 steps): a training step runs 5
 * calls on vpart, 11 calls on avx2; 22 copies between devices, 5287008 bytes
 * per step". */
SEQNN_API seqnn_status seqnn_plan_summary(const seqnn_plan *plan, char *out, size_t size);
/* Where layer i runs in training, each device with its kernels: "avx2
 * (embedding_forward, embedding_backward)", "vpart (gemm), avx2 (bias_add,
 * bias_backward)"; "NO DEVICE (...)" first for calls none runs; "" for a
 * layer that makes no kernel call. */
SEQNN_API seqnn_status seqnn_plan_layer_devices(const seqnn_plan *plan, int layer, char *out, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* SEQNN_SEQNN_H */

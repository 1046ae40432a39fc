/* Internal declarations of the core (backends/): the registry of plugins and
 * devices, contexts, error reporting and logging. Not installed. */
#ifndef SEQNN_BACKENDS_INTERNAL_H
#define SEQNN_BACKENDS_INTERNAL_H

#include "seqnn/plugin.h"
#include "seqnn/seqnn.h"

#define SEQNN_MSG_SIZE 2048

/* ---- errors and logging (status.c) */
/* Sets the thread's last error (and ctx's, if not NULL); returns status. */
seqnn_status seqnn_set_error(seqnn_context *ctx, seqnn_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
typedef enum { SEQNN_LOG_ERROR = 0, SEQNN_LOG_WARN, SEQNN_LOG_INFO, SEQNN_LOG_DEBUG } seqnn_log_level;
void seqnn_log(seqnn_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- registry (registry.c) */
typedef struct seqnn_plugin_entry {
    char *path;
    char *real_path;                     /* realpath, to recognise the same file twice */
    char *name;                          /* copied from the plugin, or NULL */
    int loaded;
    char reason[512];
    unsigned abi_major, abi_minor;
    void *dl;                            /* dlopen handle (loaded plugins) */
    void *state;                         /* the plugin's init state */
    seqnn_plugin_api api;                /* the plugin's vtable, slots past its struct_size NULL */
    int kernels_present;
} seqnn_plugin_entry;

typedef struct seqnn_device_entry {
    int64_t plugin;
    int64_t index;
    seqnn_device_info info;
} seqnn_device_entry;

struct seqnn_registry {
    seqnn_plugin_entry *plugins;
    int64_t n_plugins, cap_plugins;
    seqnn_device_entry *devices;
    int64_t n_devices, cap_devices;
    char searched[2048];                 /* directories searched, for messages */
};

/* Serialises the plugin-wide calls (entry, init, fini, device_count,
 * device_info, device_open, device_close) of all registries (registry.c). */
void seqnn_plugin_lock(void);
void seqnn_plugin_unlock(void);

/* ---- contexts (context.c) and chains of devices (chain.c) */
#define SEQNN_CHAIN_MAX 8                /* devices in one chain */

/* One open device of a context. */
typedef struct seqnn_chain_device {
    int64_t device;                      /* registry device index */
    const seqnn_plugin_api *api;
    void *dev;                           /* plugin's device handle */
    const char *plugin;                  /* the plugin's name */
} seqnn_chain_device;

/* What a chain moved between its devices (seqnn_context_chain_stats). */
typedef struct seqnn_chain_counters {
    int64_t calls[SEQNN_CHAIN_MAX];      /* kernel calls run on each device */
    int64_t copies;                      /* buffers copied from one device to another */
    int64_t bytes;                       /* their bytes */
    double seconds;                      /* time spent copying */
} seqnn_chain_counters;

struct seqnn_context {
    seqnn_registry *reg;
    int owns_registry;
    int64_t device;                      /* registry device index (the chain's first) */
    const seqnn_plugin_api *api;         /* the chain's first device: */
    void *dev;                           /* ... its plugin's device handle */
    int check_numerics;                  /* SEQNN_CHECK_NUMERICS=1: find the first non-finite result */
    int n_chain;                         /* devices; more than 1: a chain (chain.c) */
    seqnn_chain_device chain[SEQNN_CHAIN_MAX];
    seqnn_chain_counters counters;
    struct seqnn_planner *planner;       /* planning mode (plan.c), or NULL */
    char error[SEQNN_MSG_SIZE];
};

/* Element ranges [lo, hi) of a buffer: sorted, disjoint, not adjacent. */
typedef struct seqnn_ranges {
    int64_t (*r)[2];
    int n, cap;
} seqnn_ranges;

/* A buffer of a chain context: the public struct first (its handle is the
 * one of the device that last used it), then one handle per device of the
 * chain (NULL until the buffer is first needed there) and, per device, the
 * element ranges whose copy there holds the current contents. Elements
 * current nowhere have never been written. */
typedef struct seqnn_chain_buffer {
    seqnn_buffer pub;
    void *handle[SEQNN_CHAIN_MAX];
    seqnn_ranges valid[SEQNN_CHAIN_MAX];
    int reserve_dev;                     /* device that wrote it as an rnn reserve, or -1 */
} seqnn_chain_buffer;

struct seqnn_tensor_log;
seqnn_status seqnn_chain_open(seqnn_registry *reg, const int64_t *devices, int n, seqnn_context **out);
seqnn_status seqnn_chain_buffer_alloc(seqnn_context *ctx, seqnn_buffer *b, size_t bytes);
void seqnn_chain_buffer_free(seqnn_context *ctx, seqnn_buffer *b);
/* Makes elements [off, off + count) of b current on chain device `want`
 * (copying what is not, unless `overwrite`: the range is about to be
 * written) and returns want; with want -1, a device where the whole range is
 * current, else the chain's first. Sets b->handle to that device's copy.
 * Returns -1 with *s on failure. */
int seqnn_chain_buffer_place(seqnn_context *ctx, seqnn_buffer *b, int want, int64_t off, int64_t count,
                             int overwrite, seqnn_status *s);
/* After elements [off, off + count) of b were written on device d: only d's
 * copy of them is current. */
seqnn_status seqnn_chain_buffer_written(seqnn_context *ctx, seqnn_buffer *b, int d, int64_t off, int64_t count);
/* The chain device that would run this call (arguments checked; log: its
 * tensors), or UNSUPPORTED naming each device's answer. */
seqnn_status seqnn_chain_route(seqnn_context *ctx, seqnn_kernel_id id, const struct seqnn_tensor_log *log,
                               const void *args, int *device);
/* Whether chain device d (of any context) runs this call: it has the kernel,
 * can read the call's recurrent reserve (reserve: the device that wrote it,
 * or -1) and its capability query accepts the call; when not and why is not
 * NULL, why (why_size bytes) says so. */
int seqnn_chain_device_takes(seqnn_context *ctx, int d, seqnn_kernel_id id, const void *args, int reserve,
                             char *why, size_t why_size);
/* Runs kernel id, its arguments checked (log: every tensor the check saw),
 * on the first device of the chain that has it and accepts the call. */
seqnn_status seqnn_chain_run(seqnn_context *ctx, seqnn_kernel_id id, const struct seqnn_tensor_log *log,
                             const void *args);
/* The automatic choice: when the best device `best` belongs to a plugin
 * that lacks kernels, the best device of a plugin that has them all, to
 * stand behind it in a chain (why, if not NULL, is extended to say so), or
 * -1 (best's plugin is complete, or no complete plugin can run here). */
int64_t seqnn_registry_complete_after(const seqnn_registry *reg, int64_t best, char *why, size_t why_size);
/* SEQNN_LOG=info: one line of what the chain ran where and copied. */
void seqnn_chain_log_stats(const seqnn_context *ctx);
/* Calls the plugin slot of kernel id of api (UNSUPPORTED for a NULL slot). */
seqnn_status seqnn_plugin_call_kernel(const seqnn_plugin_api *api, const seqnn_call *call, seqnn_kernel_id id,
                                      const void *args);
/* Places the tensors of a call routed to chain device d there (copying what
 * is not current there), then marks what it will write as current on d only
 * (its reserve as d's): the bookkeeping of a call around running it. */
seqnn_status seqnn_chain_place_call(seqnn_context *ctx, seqnn_kernel_id id, const struct seqnn_tensor_log *log,
                                    int d);
seqnn_status seqnn_chain_mark_written(seqnn_context *ctx, seqnn_kernel_id id, const struct seqnn_tensor_log *log,
                                      int d);
/* Parses a chain "A,B,..." (or one entry) into registry device indexes. */
seqnn_status seqnn_registry_select_chain(seqnn_registry *reg, const char *spec, const char *source,
                                         int64_t *devices, int *n, char *why, size_t why_size);

/* ---- planning mode (plan.c): docs/backends.md, "Placement plans". While a
 * context plans, kernel calls are checked and routed but not run; each is
 * recorded under the label the frontend set (layer, phase). For a chain,
 * every buffer has a shadow of its placement (seqnn_chain_buffer: ranges and
 * which devices have a copy), taken from the real one when first touched, on
 * which the same placement code runs; a copy between devices is counted
 * instead of made. Host writes and fills are done for real (and shadowed),
 * host reads answer zeros, device-to-device buffer copies are shadowed only. */
typedef struct seqnn_planner seqnn_planner;
/* Traffic buckets: the first training step, the steady one, an inference
 * forward, and what is not reported (warming up). */
enum { SEQNN_PLAN_FIRST = 0, SEQNN_PLAN_STEADY, SEQNN_PLAN_INFER, SEQNN_PLAN_UNCOUNTED, SEQNN_PLAN_BUCKETS };

seqnn_status seqnn_plan_begin(seqnn_context *ctx);
/* Leaves planning mode; returns the recording (free it with seqnn_planner_free). */
seqnn_planner *seqnn_plan_end(seqnn_context *ctx);
void seqnn_planner_free(seqnn_planner *p);
/* The label of the calls that follow: a layer index (-1: the model's own
 * calls, whose phase follows from the kernel) and a seqnn_plan_phase. */
void seqnn_plan_label(seqnn_context *ctx, int layer, int phase);
/* Where the following calls' traffic is counted (SEQNN_PLAN_FIRST, ...);
 * rows are recorded from SEQNN_PLAN_STEADY on. */
void seqnn_plan_bucket(seqnn_context *ctx, int bucket);
/* Planning mode: records a checked call (log: its tensors) and returns OK
 * when no device runs it (a row with device -1). */
seqnn_status seqnn_plan_kernel(seqnn_context *ctx, seqnn_kernel_id id, const struct seqnn_tensor_log *log,
                               const void *args);
/* The shadow placement of b in planning mode (NULL: out of memory). */
seqnn_chain_buffer *seqnn_plan_shadow(seqnn_context *ctx, seqnn_buffer *b);
/* A buffer freed while planning: its shadow goes too. */
void seqnn_plan_forget(seqnn_context *ctx, seqnn_buffer *b);
/* A copy of `bytes` between two devices, counted instead of made. */
void seqnn_plan_count_copy(seqnn_context *ctx, int64_t bytes);
/* Host access in planning mode: a write or fill done (shadowed), a read
 * (placed in the shadow), a device-to-device copy (shadowed). */
seqnn_status seqnn_plan_host_write(seqnn_context *ctx, seqnn_buffer *b, int64_t off, int64_t count);
seqnn_status seqnn_plan_host_read(seqnn_context *ctx, seqnn_buffer *b, int64_t off, int64_t count);
seqnn_status seqnn_plan_buffer_copy(seqnn_context *ctx, seqnn_buffer *dst, int64_t dst_off, seqnn_buffer *src,
                                    int64_t src_off, int64_t count);
/* Devices (bit d) whose copy of [off, off + count) of b is current in the
 * plan's shadow (a context of one device: 1). */
uint32_t seqnn_plan_where(seqnn_context *ctx, seqnn_buffer *b, int64_t off, int64_t count);

/* A recorded row, and the recording's rows and traffic. */
typedef struct seqnn_planner_row {
    int layer, phase, device;
    seqnn_kernel_id kernel;
    int64_t calls, copies, bytes;
    char *answers;                       /* device -1: each device's answer */
} seqnn_planner_row;
int64_t seqnn_planner_rows(const seqnn_planner *p, const seqnn_planner_row **rows);
const seqnn_plan_traffic *seqnn_planner_traffic(const seqnn_planner *p, int bucket);

#endif

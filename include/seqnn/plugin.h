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
#define SEQNN_ABI_MINOR 1
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
#include "seqnn/kernels.def"
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

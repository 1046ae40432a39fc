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

/* ---- contexts (context.c) */
struct seqnn_context {
    seqnn_registry *reg;
    int owns_registry;
    int64_t device;                      /* registry device index */
    const seqnn_plugin_api *api;
    void *dev;                           /* plugin's device handle */
    int check_numerics;                  /* SEQNN_CHECK_NUMERICS=1: find the first non-finite result */
    char error[SEQNN_MSG_SIZE];
};

#endif

/* A plugin as built against ABI 1.0, an OLDER minor version of the plugin
 * ABI: its vtable ends where ABI 1.1 appended the structure query and the
 * kernel maxpool_lengths_forward (struct_size = offsetof(seqnn_plugin_api,
 * structure)). It must still load, `seqnn info` must report the 36 kernels
 * it has, every slot beyond its struct_size must answer
 * SEQNN_ERR_UNSUPPORTED without being called, the structure query must give
 * the core's default set (tests/test_old_minor.c), and the conformance suite
 * certifies it as partial with maxpool_lengths_forward absent.
 *
 * The slots past struct_size are NOT left zero: they hold functions that
 * fail loudly ("called beyond struct_size"), standing for whatever bytes
 * follow a shorter struct in a real old plugin. A loader that read past
 * struct_size would call them. The kernels it has are the reference ones. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "host_device.h"
#include "ref_kernels.h"

/* The ABI minor version this plugin claims: 1.0. */
#ifndef OLD_MINOR
#define OLD_MINOR 0
/* The first slot its vtable lacks: the first one ABI 1.1 appended. */
#define OLD_VTABLE_END offsetof(seqnn_plugin_api, structure)
#define OLD_NAME "oldminor"
#endif
/* (tests/plugins/minor2_plugin.c defines the three above and includes this
 * file: a plugin of ABI 1.2.) */

static int old_token;

static seqnn_status old_init(void **state, char *msg, size_t msg_size)
{
    (void)msg;
    (void)msg_size;
    *state = &old_token;
    return SEQNN_OK;
}

static void old_fini(void *state) { (void)state; }
static int64_t old_device_count(void *state) { (void)state; return 1; }

static seqnn_status old_device_info(void *state, int64_t index, seqnn_device_info *info)
{
    (void)state;
    if (index != 0)
        return SEQNN_ERR_NOT_FOUND;
    memset(info, 0, sizeof *info);
    snprintf(info->name, sizeof info->name, "old-minor test device");
    info->kind = SEQNN_DEVICE_CPU;
    info->score = 1;
    snprintf(info->reason, sizeof info->reason, "test plugin with a vtable of ABI minor %d", OLD_MINOR);
    return SEQNN_OK;
}

static seqnn_status old_device_open(void *state, int64_t index, void **device, char *msg, size_t msg_size)
{
    (void)state;
    (void)index;
    (void)msg;
    (void)msg_size;
    *device = &old_token;
    return SEQNN_OK;
}

static void old_device_close(void *device) { (void)device; }

/* One loud stand-in per kernel, for the slots past struct_size. */
#define SEQNN_KERNEL(name, args, doc)                                                                   \
    static seqnn_status old_beyond_##name(const seqnn_call *call, const args *a)                      \
    {                                                                                                  \
        (void)a;                                                                                       \
        return seqnn_plugin_fail(call, SEQNN_ERR_INTERNAL, "%s was called beyond struct_size", #name); \
    }
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL

/* and for the structure query of ABI 1.1 */
static seqnn_status old_beyond_structure(const seqnn_call *call, const seqnn_boundary **list, int64_t *count)
{
    *list = NULL;
    *count = 0;
    return seqnn_plugin_fail(call, SEQNN_ERR_INTERNAL, "structure was called beyond struct_size");
}

/* and for the capability query of ABI 1.1: a loader that called it would see every call declined */
static seqnn_status old_beyond_accepts(const seqnn_call *call, seqnn_kernel_id id, const void *args)
{
    (void)id;
    (void)args;
    return seqnn_plugin_fail(call, SEQNN_ERR_UNSUPPORTED, "accepts was called beyond struct_size");
}

static seqnn_plugin_api old_api;

__attribute__((visibility("default"))) const seqnn_plugin_api *seqnn_plugin_entry(void);

const seqnn_plugin_api *seqnn_plugin_entry(void)
{
    seqnn_plugin_api *api = &old_api;
    api->abi_major = SEQNN_ABI_MAJOR;
    api->abi_minor = OLD_MINOR;
    api->struct_size = OLD_VTABLE_END;
    api->name = OLD_NAME;
    api->version = "0";
    api->description = "test plugin built for an older ABI minor version (shorter vtable)";
    api->init = old_init;
    api->fini = old_fini;
    api->device_count = old_device_count;
    api->device_info = old_device_info;
    api->device_open = old_device_open;
    api->device_close = old_device_close;
    seqnn_host_device_fill_api(api);
    /* slots inside struct_size: the reference kernels; beyond it: the stand-ins */
#define SEQNN_KERNEL(name, args, doc)                                                          \
    api->name = offsetof(seqnn_plugin_api, name) < OLD_VTABLE_END ? seqnn_ref_f32_##name \
                                                                  : old_beyond_##name;
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
    api->structure = old_beyond_structure;
    api->accepts = old_beyond_accepts;
    return api;
}

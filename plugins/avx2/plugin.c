/* Entry point, device and vtable of a SIMD plugin ("avx2" here; the AVX-512
 * plugin builds this same file with its own isa_*.c). Compiled WITHOUT ISA
 * flags: it must load and report "score 0, because ..." on a CPU that cannot
 * run the kernels, which are only reached through an opened device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "host_device.h"
#include "seqnn/plugin.h"
#include "simd_device.h"
#include "simd_isa.h"
#include "simd_kernels.h"
#include "threads.h"

static int plugin_state_token;           /* no plugin-wide state besides the thread pool */

static seqnn_status plugin_init(void **state, char *msg, size_t msg_size)
{
    (void)msg;
    (void)msg_size;
    *state = &plugin_state_token;
    return SEQNN_OK;
}

static void plugin_fini(void *state)
{
    (void)state;
    simd_threads_stop();
}

static int64_t plugin_device_count(void *state)
{
    (void)state;
    return 1;
}

static seqnn_status plugin_device_info(void *state, int64_t index, seqnn_device_info *info)
{
    char brand[64];
    (void)state;
    if (index != 0)
        return SEQNN_ERR_NOT_FOUND;
    memset(info, 0, sizeof *info);
    int ok = simd_isa_supported(info->reason, sizeof info->reason, brand, sizeof brand);
    snprintf(info->name, sizeof info->name, "%s (%s)", simd_isa.device_prefix, brand);
    info->kind = SEQNN_DEVICE_CPU;
    info->score = ok ? simd_isa.score : 0;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    info->memory_bytes = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
    return SEQNN_OK;
}

static seqnn_status plugin_device_open(void *state, int64_t index, void **device, char *msg,
                                       size_t msg_size)
{
    char reason[256], brand[64];
    (void)state;
    if (index != 0) {
        snprintf(msg, msg_size, "%s has one device, not %lld", simd_isa.name, (long long)index);
        return SEQNN_ERR_NOT_FOUND;
    }
    if (!simd_isa_supported(reason, sizeof reason, brand, sizeof brand)) {
        snprintf(msg, msg_size, "%s cannot run on this CPU: %s", simd_isa.name, reason);
        return SEQNN_ERR_UNSUPPORTED;
    }
    simd_device *dev = calloc(1, sizeof *dev);
    if (!dev) {
        snprintf(msg, msg_size, "out of memory opening the %s device", simd_isa.name);
        return SEQNN_ERR_NO_MEMORY;
    }
    simd_threads_start();                /* fewer workers than asked is not an error */
    simd_structure_fill(dev);
    *device = dev;
    return SEQNN_OK;
}

static void plugin_device_close(void *device)
{
    simd_device *dev = device;
    if (!dev)
        return;
    simd_device_free_scratch(dev);
    free(dev);
}

static seqnn_plugin_api plugin_api;

__attribute__((visibility("default"))) const seqnn_plugin_api *seqnn_plugin_entry(void);

const seqnn_plugin_api *seqnn_plugin_entry(void)
{
    seqnn_plugin_api *api = &plugin_api;
    api->abi_major = SEQNN_ABI_MAJOR;
    api->abi_minor = SEQNN_ABI_MINOR;
    api->struct_size = sizeof *api;
    api->name = simd_isa.name;
    api->version = "0.1.0";
    api->description = simd_isa.description;
    api->init = plugin_init;
    api->fini = plugin_fini;
    api->device_count = plugin_device_count;
    api->device_info = plugin_device_info;
    api->device_open = plugin_device_open;
    api->device_close = plugin_device_close;
    seqnn_host_device_fill_api(api);
#define SEQNN_KERNEL(name, args, doc) api->name = simd_##name;
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
    api->structure = simd_structure;
    return api;
}

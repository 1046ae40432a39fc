/* The reference plugin ("ref"): the portable C kernels of ref_impl.h
 * instantiated for float, on one host device. Slow and plain by design: it is
 * the oracle every other plugin is held to, and the fallback on any CPU. */
#include <stdio.h>
#include <string.h>
#include "seqnn/plugin.h"
#include "host_device.h"
#include "ref_kernels.h"

static int ref_state_token;              /* the plugin has no state; init hands out its address */
static int ref_device_token;

static seqnn_status ref_init(void **state, char *msg, size_t msg_size)
{
    (void)msg;
    (void)msg_size;
    *state = &ref_state_token;
    return SEQNN_OK;
}

static void ref_fini(void *state)
{
    (void)state;
}

static int64_t ref_device_count(void *state)
{
    (void)state;
    return 1;
}

static seqnn_status ref_device_info(void *state, int64_t index, seqnn_device_info *info)
{
    (void)state;
    if (index != 0)
        return SEQNN_ERR_NOT_FOUND;
    memset(info, 0, sizeof *info);
    snprintf(info->name, sizeof info->name, "reference C (portable, scalar)");
    info->kind = SEQNN_DEVICE_CPU;
    info->score = SEQNN_SCORE_REF;
    snprintf(info->reason, sizeof info->reason, "portable C, runs on any CPU (the slowest choice)");
    return SEQNN_OK;
}

static seqnn_status ref_device_open(void *state, int64_t index, void **device, char *msg, size_t msg_size)
{
    (void)state;
    if (index != 0) {
        snprintf(msg, msg_size, "ref has one device, not %lld", (long long)index);
        return SEQNN_ERR_NOT_FOUND;
    }
    *device = &ref_device_token;
    return SEQNN_OK;
}

static void ref_device_close(void *device)
{
    (void)device;
}

/* The structure query: the reference kernels are plain loops, with no
 * blocking, threads or vectors, so there is no boundary to declare (and the
 * conformance suite's large shapes, which would only time the oracle
 * against itself, are left out). */
static seqnn_status ref_structure(const seqnn_call *call, const seqnn_boundary **list, int64_t *count)
{
    (void)call;
    *list = NULL;
    *count = 0;
    return SEQNN_OK;
}

static seqnn_plugin_api ref_api;

__attribute__((visibility("default"))) const seqnn_plugin_api *seqnn_plugin_entry(void);

const seqnn_plugin_api *seqnn_plugin_entry(void)
{
    seqnn_plugin_api *api = &ref_api;
    api->abi_major = SEQNN_ABI_MAJOR;
    api->abi_minor = SEQNN_ABI_MINOR;
    api->struct_size = sizeof *api;
    api->name = "ref";
    api->version = "0.1.0";
    api->description = "reference kernels in portable C (the conformance oracle, in float)";
    api->init = ref_init;
    api->fini = ref_fini;
    api->device_count = ref_device_count;
    api->device_info = ref_device_info;
    api->device_open = ref_device_open;
    api->device_close = ref_device_close;
    seqnn_host_device_fill_api(api);
#define SEQNN_KERNEL(name, args, doc) api->name = seqnn_ref_f32_##name;
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
    api->structure = ref_structure;
    return api;
}

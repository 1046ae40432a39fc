/* The template plugin's shell: plugin state, device enumeration, buffers,
 * the structure query, and tpl_api_shell, which fills every member of the
 * vtable but the kernels (plugin.c sets those). Change every place marked
 * VENDOR: (docs/plugin-guide.md in the seqnn sources explains each rule used
 * here). As shipped: one device, buffers in host memory, synchronous. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "template.h"

/* Plugin-wide state, created by init and destroyed by fini.
 * VENDOR: keep here what you discover once per process: the driver handle,
 * the list of devices, their properties. */
typedef struct tpl_state {
    int64_t device_count;
} tpl_state;

static seqnn_status tpl_init(void **state, char *msg, size_t msg_size)
{
    tpl_state *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(msg, msg_size, "out of host memory");
        return SEQNN_ERR_NO_MEMORY;
    }
    /* VENDOR: open your driver and enumerate devices here. If the driver is
     * missing, prefer success with zero devices, or devices that score 0 with
     * a reason (seqnn info shows it), over a failing init; fail (with a message
     * in msg) only when the plugin cannot work at all. */
    s->device_count = 1;
    *state = s;
    return SEQNN_OK;
}

static void tpl_fini(void *state)
{
    free(state);                         /* VENDOR: release the driver */
}

static int64_t tpl_device_count(void *state)
{
    return ((const tpl_state *)state)->device_count;
}

static seqnn_status tpl_device_info(void *state, int64_t index, seqnn_device_info *info)
{
    if (index < 0 || index >= tpl_device_count(state))
        return SEQNN_ERR_NOT_FOUND;
    memset(info, 0, sizeof *info);
    /* VENDOR: a name users can pick with SEQNN_BACKEND=<plugin>:<substring>
     * (include the model, so that two cards can be told apart), the kind,
     * and the score: the conventional values are in seqnn/plugin.h
     * (SEQNN_SCORE_GPU 200 for an accelerator). A score of 0 means "cannot run
     * here"; say why in reason. The template scores just above ref so that
     * selection by score is visible, and below every optimised plugin. */
    snprintf(info->name, sizeof info->name, "template device %lld (plain C on the host)", (long long)index);
    info->kind = SEQNN_DEVICE_CPU;
    info->score = SEQNN_SCORE_REF + 1;
    snprintf(info->reason, sizeof info->reason, "the vendor template: portable C loops, runs anywhere");
    info->memory_bytes = 0;              /* VENDOR: the device's memory, 0 if unknown */
    return SEQNN_OK;
}

static seqnn_status tpl_device_open(void *state, int64_t index, void **device, char *msg, size_t msg_size)
{
    if (index < 0 || index >= tpl_device_count(state)) {
        snprintf(msg, msg_size, "no device %lld", (long long)index);
        return SEQNN_ERR_NOT_FOUND;
    }
    /* VENDOR: create the device context and its command queue here. */
    tpl_device *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(msg, msg_size, "out of host memory");
        return SEQNN_ERR_NO_MEMORY;
    }
    d->index = index;
    *device = d;
    return SEQNN_OK;
}

static void tpl_device_close(void *device)
{
    /* VENDOR: wait for pending work, then destroy the queue and context.
     * Buffers the application never freed may still be live here (the core
     * calls device_close without freeing them first): release them with the
     * device if you track them. The template only counts them. */
    free(device);
}

/* ---------------------------------------------------------------- buffers ---
 * Sizes and offsets are in BYTES here (the core converts elements). Buffers
 * hold float32 or int32 elements.
 * VENDOR: allocate device memory and return your own handle; write/read/copy/
 * fill move bytes between host and device. Work may be asynchronous (queued):
 * buffer_read and sync must return only after everything enqueued before them
 * has completed, and buffer_write must have consumed `src` when it returns
 * (or copy it), because the caller may reuse that memory at once. */
#define TPL_ALIGN 64

seqnn_status tpl_buffer_alloc(const seqnn_call *call, size_t bytes, void **handle)
{
    tpl_device *d = call->device;
    size_t rounded = (bytes + TPL_ALIGN - 1) / TPL_ALIGN * TPL_ALIGN;
    if (rounded < bytes)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "a buffer of %zu bytes is too large", bytes);
    void *p = aligned_alloc(TPL_ALIGN, rounded ? rounded : TPL_ALIGN);   /* never 0 bytes */
    if (!p)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "cannot allocate %zu bytes", bytes);
    d->live_buffers++;
    *handle = p;
    return SEQNN_OK;
}

void tpl_buffer_free(void *device, void *handle)
{
    ((tpl_device *)device)->live_buffers--;
    free(handle);
}

seqnn_status tpl_buffer_write(const seqnn_call *call, void *handle, size_t offset, const void *src,
                              size_t bytes)
{
    (void)call;
    if (bytes)
        memcpy((char *)handle + offset, src, bytes);
    return SEQNN_OK;
}

seqnn_status tpl_buffer_read(const seqnn_call *call, void *handle, size_t offset, void *dst, size_t bytes)
{
    (void)call;                          /* VENDOR: finish queued work first */
    if (bytes)
        memcpy(dst, (const char *)handle + offset, bytes);
    return SEQNN_OK;
}

/* dst and src may be the same buffer with overlapping ranges */
seqnn_status tpl_buffer_copy(const seqnn_call *call, void *dst, size_t dst_offset, void *src,
                             size_t src_offset, size_t bytes)
{
    (void)call;
    if (bytes)
        memmove((char *)dst + dst_offset, (const char *)src + src_offset, bytes);
    return SEQNN_OK;
}

/* repeats the 4-byte pattern (a float or int32 value) over `bytes` bytes */
seqnn_status tpl_buffer_fill(const seqnn_call *call, void *handle, size_t offset, size_t bytes,
                             uint32_t pattern)
{
    (void)call;
    for (size_t i = 0; i + 4 <= bytes; i += 4)
        memcpy((char *)handle + offset + i, &pattern, 4);
    return SEQNN_OK;
}

seqnn_status tpl_sync(const seqnn_call *call)
{
    (void)call;                          /* VENDOR: wait for the device's queue */
    return SEQNN_OK;
}

/* ----------------------------------------------------------------- vtable --- */
/* The structure query (optional): where your kernels change code path
 * (cache blocks, the sizes at which work is split over more threads or
 * work-groups, the vector width, tiles), so that certification tests both
 * sides of each; docs/plugin-guide.md, section 4.1. The template's kernels
 * are plain loops: nothing to declare. VENDOR: list your device's boundaries,
 * from the same constants your kernels use, e.g.
 *     {SEQNN_KERNEL_gemm, SEQNN_DIM_K, 256, "depth per block"},
 * or leave the slot NULL for the suite's default set. */
static seqnn_status tpl_structure(const seqnn_call *call, const seqnn_boundary **list, int64_t *count)
{
    (void)call;
    *list = NULL;
    *count = 0;
    return SEQNN_OK;
}

void tpl_api_shell(seqnn_plugin_api *api, const char *name, const char *version, const char *description)
{
    memset(api, 0, sizeof *api);         /* every kernel slot NULL until plugin.c sets it */
    /* The header: the ABI of the headers this file was compiled with. Never
     * write other numbers here; rebuild against a newer seqnn to move on. */
    api->abi_major = SEQNN_ABI_MAJOR;
    api->abi_minor = SEQNN_ABI_MINOR;
    api->struct_size = sizeof *api;
    api->name = name;
    api->version = version;
    api->description = description;
    api->init = tpl_init;
    api->fini = tpl_fini;
    api->device_count = tpl_device_count;
    api->device_info = tpl_device_info;
    api->device_open = tpl_device_open;
    api->device_close = tpl_device_close;
    api->buffer_alloc = tpl_buffer_alloc;
    api->buffer_free = tpl_buffer_free;
    api->buffer_write = tpl_buffer_write;
    api->buffer_read = tpl_buffer_read;
    api->buffer_copy = tpl_buffer_copy;
    api->buffer_fill = tpl_buffer_fill;
    api->sync = tpl_sync;
    api->structure = tpl_structure;      /* a query of ABI 1.1 */
}

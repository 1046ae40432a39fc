/* The template plugin's shell: the exported entry symbol, plugin state,
 * device enumeration, buffers, and the vtable that points at the kernels of
 * kernels/ (one file per family). Copy this directory, then change every place marked VENDOR:
 * (docs/plugin-guide.md in the seqnn sources explains each rule used here).
 *
 * As shipped it is a complete CPU plugin in plain C: one device, buffers in
 * host memory, every kernel of the catalogue, synchronous. It passes
 * `seqnn conformance --plugin /path/to/libseqnn-template.so`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "template.h"

/* VENDOR: your plugin's short name. Users select it with SEQNN_BACKEND=<name>
 * and it must differ from every other plugin's (the first one found wins).
 * Name the built file libseqnn-<name>.so (CMakeLists.txt, Makefile) so that
 * discovery finds it. */
#define TPL_NAME "template"
#define TPL_VERSION "0.1.0"              /* VENDOR: your plugin's own version */

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

static seqnn_plugin_api tpl_api;

/* The one exported symbol (the build hides every other one). */
__attribute__((visibility("default"))) const seqnn_plugin_api *seqnn_plugin_entry(void);

const seqnn_plugin_api *seqnn_plugin_entry(void)
{
    seqnn_plugin_api *api = &tpl_api;
    memset(api, 0, sizeof *api);
    /* The header: the ABI of the headers this file was compiled with. Never
     * write other numbers here; rebuild against a newer seqnn to move on. */
    api->abi_major = SEQNN_ABI_MAJOR;
    api->abi_minor = SEQNN_ABI_MINOR;
    api->struct_size = sizeof *api;
    api->name = TPL_NAME;
    api->version = TPL_VERSION;
    /* VENDOR: one line shown by seqnn info */
    api->description = "vendor template: every kernel in plain C loops (copy me)";

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

    /* Kernels. VENDOR: replace each by your device's version as you write it.
     * A slot left NULL is "not implemented": the core answers
     * SEQNN_ERR_UNSUPPORTED without calling you, and certification counts the
     * kernel as not certified. A kernel that handles only some cases returns
     * seqnn_plugin_fail(call, SEQNN_ERR_UNSUPPORTED, "why") for the others. */
    api->gemm = tpl_gemm;                              /* kernels/blas.c */
    api->bias_add = tpl_bias_add;
    api->bias_backward = tpl_bias_backward;
    api->act_forward = tpl_act_forward;                /* kernels/elementwise.c */
    api->act_backward = tpl_act_backward;
    api->add = tpl_add;
    api->mul = tpl_mul;
    api->scale = tpl_scale;
    api->softmax_forward = tpl_softmax_forward;
    api->softmax_backward = tpl_softmax_backward;
    api->xent_forward = tpl_xent_forward;              /* kernels/loss.c */
    api->xent_backward = tpl_xent_backward;
    api->mse_forward = tpl_mse_forward;
    api->mse_backward = tpl_mse_backward;
    api->bce_forward = tpl_bce_forward;
    api->bce_backward = tpl_bce_backward;
    api->embedding_forward = tpl_embedding_forward;    /* kernels/elementwise.c */
    api->embedding_backward = tpl_embedding_backward;
    api->dropout_forward = tpl_dropout_forward;
    api->dropout_backward = tpl_dropout_backward;
    api->rnn_forward = tpl_rnn_forward;                /* kernels/rnn.c */
    api->rnn_backward = tpl_rnn_backward;
    api->cell_forward = tpl_cell_forward;
    api->cell_backward = tpl_cell_backward;
    api->conv1d_forward = tpl_conv1d_forward;          /* kernels/conv.c */
    api->conv1d_backward = tpl_conv1d_backward;
    api->maxpool_forward = tpl_maxpool_forward;
    api->maxpool_backward = tpl_maxpool_backward;
    api->attention_forward = tpl_attention_forward;    /* kernels/attention.c */
    api->attention_backward = tpl_attention_backward;
    api->sgd_step = tpl_sgd_step;                      /* kernels/optim.c */
    api->rmsprop_step = tpl_rmsprop_step;
    api->adam_step = tpl_adam_step;
    api->adagrad_step = tpl_adagrad_step;
    api->sumsq = tpl_sumsq;
    api->clip_scale = tpl_clip_scale;
    api->maxpool_lengths_forward = tpl_maxpool_lengths_forward;   /* kernels/conv.c */

    /* Queries (ABI 1.1). */
    api->structure = tpl_structure;
    return api;
}

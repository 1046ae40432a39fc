/* Host memory buffers shared by the CPU plugins (see host_device.h). */
#include "host_device.h"

#include <stdlib.h>
#include <string.h>

#define HOST_ALIGN 64

seqnn_status seqnn_host_buffer_alloc(const seqnn_call *call, size_t bytes, void **handle)
{
    /* aligned_alloc wants a multiple of the alignment; never 0 bytes */
    size_t rounded = (bytes + HOST_ALIGN - 1) / HOST_ALIGN * HOST_ALIGN;
    if (rounded < bytes)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "buffer of %zu bytes is too large", bytes);
    void *p = aligned_alloc(HOST_ALIGN, rounded ? rounded : HOST_ALIGN);
    if (!p)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "cannot allocate %zu bytes of host memory", bytes);
    *handle = p;
    return SEQNN_OK;
}

void seqnn_host_buffer_free(void *device, void *handle)
{
    (void)device;
    free(handle);
}

seqnn_status seqnn_host_buffer_write(const seqnn_call *call, void *handle, size_t offset,
                                     const void *src, size_t bytes)
{
    (void)call;
    if (bytes)
        memcpy((char *)handle + offset, src, bytes);
    return SEQNN_OK;
}

seqnn_status seqnn_host_buffer_read(const seqnn_call *call, void *handle, size_t offset,
                                    void *dst, size_t bytes)
{
    (void)call;
    if (bytes)
        memcpy(dst, (const char *)handle + offset, bytes);
    return SEQNN_OK;
}

seqnn_status seqnn_host_buffer_copy(const seqnn_call *call, void *dst, size_t dst_offset,
                                    void *src, size_t src_offset, size_t bytes)
{
    (void)call;
    if (bytes)
        memmove((char *)dst + dst_offset, (const char *)src + src_offset, bytes);
    return SEQNN_OK;
}

seqnn_status seqnn_host_buffer_fill(const seqnn_call *call, void *handle, size_t offset,
                                    size_t bytes, uint32_t pattern)
{
    (void)call;
    char *p = (char *)handle + offset;
    for (size_t i = 0; i + 4 <= bytes; i += 4)
        memcpy(p + i, &pattern, 4);
    return SEQNN_OK;
}

seqnn_status seqnn_host_sync(const seqnn_call *call)
{
    (void)call;
    return SEQNN_OK;
}

void seqnn_host_device_fill_api(seqnn_plugin_api *api)
{
    api->buffer_alloc = seqnn_host_buffer_alloc;
    api->buffer_free = seqnn_host_buffer_free;
    api->buffer_write = seqnn_host_buffer_write;
    api->buffer_read = seqnn_host_buffer_read;
    api->buffer_copy = seqnn_host_buffer_copy;
    api->buffer_fill = seqnn_host_buffer_fill;
    api->sync = seqnn_host_sync;
}

/* Host memory for CPU plugins (ref, avx2, ...): buffers are 64-byte aligned
 * host allocations whose handle is the memory itself, so kernels address
 * elements as (type *)tref.buf->handle + tref.off. One implementation of the
 * plugin ABI's buffer functions shared by every CPU plugin. */
#ifndef SEQNN_HOST_DEVICE_H
#define SEQNN_HOST_DEVICE_H

#include "seqnn/plugin.h"

seqnn_status seqnn_host_buffer_alloc(const seqnn_call *call, size_t bytes, void **handle);
void seqnn_host_buffer_free(void *device, void *handle);
seqnn_status seqnn_host_buffer_write(const seqnn_call *call, void *handle, size_t offset,
                                     const void *src, size_t bytes);
seqnn_status seqnn_host_buffer_read(const seqnn_call *call, void *handle, size_t offset,
                                    void *dst, size_t bytes);
seqnn_status seqnn_host_buffer_copy(const seqnn_call *call, void *dst, size_t dst_offset,
                                    void *src, size_t src_offset, size_t bytes);
seqnn_status seqnn_host_buffer_fill(const seqnn_call *call, void *handle, size_t offset,
                                    size_t bytes, uint32_t pattern);
/* Host work is synchronous: nothing to wait for. */
seqnn_status seqnn_host_sync(const seqnn_call *call);

/* Fills the buffer members of a vtable with the functions above. */
void seqnn_host_device_fill_api(seqnn_plugin_api *api);

#endif

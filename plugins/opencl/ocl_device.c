/* Opened OpenCL devices (context, in-order queue, program, kernels, scratch)
 * and the buffer functions of the plugin ABI on cl_mem objects. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ocl.h"

/* The value of the environment variable `name` as the index of one of the
 * n choices (-1: unset or empty); another value fails with a message. */
static seqnn_status ocl_env_choice(const char *name, const char *const *choices, int n, int *index,
                                   char *msg, size_t msg_size)
{
    const char *env = getenv(name);
    *index = -1;
    if (!env || !env[0])
        return SEQNN_OK;
    for (int i = 0; i < n; i++)
        if (strcmp(env, choices[i]) == 0) {
            *index = i;
            return SEQNN_OK;
        }
    int used = snprintf(msg, msg_size, "%s=\"%.32s\": expected", name, env);
    for (int i = 0; i < n && used > 0 && (size_t)used < msg_size; i++)
        used += snprintf(msg + used, msg_size - used, "%s %s", i ? (i == n - 1 ? " or" : ",") : "", choices[i]);
    return SEQNN_ERR_INVALID_ARG;
}

/* The per-device variants: on CPU devices eight units per work-item of the
 * cell kernels (their compilers vectorise a float8 item, not eight items),
 * elsewhere (GPUs) one (B*H work-items, the neighbouring ones reading
 * neighbouring floats); SEQNN_OPENCL_RNN_UNITS (1, 2, 4 or 8) overrides it.
 * conv1d and attention run through GEMMs from 2^20 multiply-adds per call
 * (below, the direct conv kernels were faster on POCL);
 * SEQNN_OPENCL_GEMM_PATH=always or never forces one path. */
static seqnn_status ocl_choose_variants(ocl_device *dev, char *msg, size_t msg_size)
{
    static const char *const units[] = { "1", "2", "4", "8" }, *const path[] = { "never", "always" };
    int u, c;
    OCL_TRY(ocl_env_choice("SEQNN_OPENCL_RNN_UNITS", units, 4, &u, msg, msg_size));
    OCL_TRY(ocl_env_choice("SEQNN_OPENCL_GEMM_PATH", path, 2, &c, msg, msg_size));
    cl_device_type type = 0;
    clGetDeviceInfo(dev->device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    int cpu = (type & CL_DEVICE_TYPE_CPU) != 0;
    dev->rnn_units = u >= 0 ? 1 << u : (cpu ? 8 : 1);
    dev->gemm_path_min = c == 0 ? INT64_MAX : (c == 1 ? 0 : (int64_t)1 << 20);
    if (ocl_log_debug())
        fprintf(stderr, "seqnn opencl: %s: cell kernels %d units per work-item; GEMM path (conv1d, attention) %s%s\n",
                dev->name, dev->rnn_units, c == 0 ? "never" : (c == 1 ? "always" : "from "),
                c < 0 ? "1048576 multiply-adds per call" : "");
    return SEQNN_OK;
}

seqnn_status ocl_open(cl_platform_id platform, cl_device_id device, ocl_device **out,
                      char *msg, size_t msg_size)
{
    cl_int err;
    ocl_device *dev = calloc(1, sizeof *dev);
    if (!dev) {
        snprintf(msg, msg_size, "out of host memory");
        return SEQNN_ERR_NO_MEMORY;
    }
    dev->platform = platform;
    dev->device = device;
    seqnn_status st = SEQNN_OK;
    cl_ulong v64 = 0;
    {   /* the seqnn device name, "platform: device", for messages */
        char pname[128] = "", dname[128] = "";
        clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof pname - 1, pname, NULL);
        clGetDeviceInfo(device, CL_DEVICE_NAME, sizeof dname - 1, dname, NULL);
        snprintf(dev->name, sizeof dev->name, "%.120s: %.127s", pname, dname);
    }
    if ((err = clGetDeviceInfo(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof v64, &v64, NULL)) != CL_SUCCESS) {
        st = ocl_fail_msg(msg, msg_size, "clGetDeviceInfo(CL_DEVICE_MAX_MEM_ALLOC_SIZE)", err);
        goto fail;
    }
    dev->max_alloc = (size_t)v64;
    v64 = 0;
    clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof v64, &v64, NULL);
    dev->global_mem = (size_t)v64;
    clGetDeviceInfo(device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof dev->compute_units, &dev->compute_units, NULL);
    if (dev->compute_units == 0)
        dev->compute_units = 1;

    cl_context_properties props[] = { CL_CONTEXT_PLATFORM, (cl_context_properties)platform, 0 };
    dev->context = clCreateContext(props, 1, &device, NULL, NULL, &err);
    if (!dev->context) {
        st = ocl_fail_msg(msg, msg_size, "clCreateContext", err);
        goto fail;
    }
    dev->queue = clCreateCommandQueue(dev->context, device, 0, &err);
    if (!dev->queue) {
        st = ocl_fail_msg(msg, msg_size, "clCreateCommandQueue", err);
        goto fail;
    }
    dev->dummy = clCreateBuffer(dev->context, CL_MEM_READ_WRITE, 64, NULL, &err);
    if (!dev->dummy) {
        st = ocl_fail_msg(msg, msg_size, "clCreateBuffer (placeholder buffer)", err);
        goto fail;
    }
    if ((st = ocl_choose_variants(dev, msg, msg_size)) != SEQNN_OK ||
        (st = ocl_program_get(dev, msg, msg_size)) != SEQNN_OK)
        goto fail;
    static const char *const names[] = {
#define OCL_KNAME(name) #name,
        OCL_KERNEL_LIST(OCL_KNAME)
#undef OCL_KNAME
    };
    for (int i = 0; i < OCL_K_COUNT; i++) {
        dev->kernels[i] = clCreateKernel(dev->program, names[i], &err);
        if (!dev->kernels[i]) {
            char what[128];
            snprintf(what, sizeof what, "clCreateKernel(%s)", names[i]);
            st = ocl_fail_msg(msg, msg_size, what, err);
            goto fail;
        }
        size_t wg = 1;
        clGetKernelWorkGroupInfo(dev->kernels[i], device, CL_KERNEL_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
        /* a power of two, at most 256: enough to fill a compute unit, small
         * enough for the local memory of reductions on every device */
        size_t p = 1;
        while (p * 2 <= wg && p * 2 <= 256)
            p *= 2;
        dev->wg[i] = p;
    }
    *out = dev;
    return SEQNN_OK;
fail:
    ocl_close(dev);
    return st;
}

void ocl_close(ocl_device *dev)
{
    if (!dev)
        return;
    if (dev->queue)
        clFinish(dev->queue);
    for (int i = 0; i < OCL_S_COUNT; i++) {
        if (dev->scratch[i])
            clReleaseMemObject(dev->scratch[i]);
        free(dev->ints_host[i]);
    }
    for (int i = 0; i < OCL_K_COUNT; i++)
        if (dev->kernels[i])
            clReleaseKernel(dev->kernels[i]);
    if (dev->program)
        clReleaseProgram(dev->program);
    if (dev->dummy)
        clReleaseMemObject(dev->dummy);
    if (dev->queue)
        clReleaseCommandQueue(dev->queue);
    if (dev->context)
        clReleaseContext(dev->context);
    free(dev);
}

/* Creates a cl_mem of `bytes` (at least 64), with a clean NO_MEMORY error past
 * the device's limits. */
static seqnn_status ocl_create(const seqnn_call *call, size_t bytes, cl_mem *out)
{
    ocl_device *dev = ocl_dev(call);
    if (bytes > dev->max_alloc)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY,
                                 "clCreateBuffer: %zu bytes exceed the largest allocation of %s "
                                 "(CL_DEVICE_MAX_MEM_ALLOC_SIZE = %zu, global memory %zu)",
                                 bytes, dev->name, dev->max_alloc, dev->global_mem);
    cl_int err;
    cl_mem m = clCreateBuffer(dev->context, CL_MEM_READ_WRITE, bytes < 64 ? 64 : bytes, NULL, &err);
    if (!m) {
        if (err == CL_OUT_OF_RESOURCES)
            return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "clCreateBuffer(%zu bytes): %s (%d)",
                                     bytes, ocl_error_name(err), (int)err);
        char what[96];
        snprintf(what, sizeof what, "clCreateBuffer(%zu bytes)", bytes);
        return ocl_fail(call, what, err);
    }
    *out = m;
    return SEQNN_OK;
}

seqnn_status ocl_scratch(const seqnn_call *call, ocl_scratch_slot slot, size_t bytes, ocl_ref *out)
{
    ocl_device *dev = ocl_dev(call);
    if (!dev->scratch[slot] || dev->scratch_bytes[slot] < bytes) {
        if (dev->scratch[slot])
            clReleaseMemObject(dev->scratch[slot]);   /* freed once queued work is done */
        dev->scratch[slot] = NULL;
        dev->scratch_bytes[slot] = 0;
        dev->ints_count[slot] = 0;
        size_t grown = bytes + bytes / 4;
        if (grown > dev->max_alloc)
            grown = bytes;
        OCL_TRY(ocl_create(call, grown, &dev->scratch[slot]));
        dev->scratch_bytes[slot] = grown;
    }
    out->mem = dev->scratch[slot];
    out->off = 0;
    return SEQNN_OK;
}

seqnn_status ocl_fill(const seqnn_call *call, ocl_ref r, int64_t count, uint32_t pattern)
{
    if (count <= 0)
        return SEQNN_OK;
    cl_int err = clEnqueueFillBuffer(ocl_dev(call)->queue, r.mem, &pattern, 4, (size_t)r.off * 4,
                                     (size_t)count * 4, 0, NULL, NULL);
    return err == CL_SUCCESS ? SEQNN_OK : ocl_fail(call, "clEnqueueFillBuffer", err);
}

seqnn_status ocl_copy(const seqnn_call *call, ocl_ref dst, ocl_ref src, int64_t count)
{
    if (count <= 0)
        return SEQNN_OK;
    cl_int err = clEnqueueCopyBuffer(ocl_dev(call)->queue, src.mem, dst.mem, (size_t)src.off * 4,
                                     (size_t)dst.off * 4, (size_t)count * 4, 0, NULL, NULL);
    return err == CL_SUCCESS ? SEQNN_OK : ocl_fail(call, "clEnqueueCopyBuffer", err);
}

seqnn_status ocl_upload_ints(const seqnn_call *call, ocl_scratch_slot slot, const int32_t *v,
                             int64_t n, ocl_ref *out)
{
    ocl_device *dev = ocl_dev(call);
    if (n <= 0)
        return ocl_scratch(call, slot, 4, out);
    size_t bytes = (size_t)n * 4;
    out->off = 0;
    if (dev->scratch[slot] && dev->ints_count[slot] == n && memcmp(dev->ints_host[slot], v, bytes) == 0) {
        out->mem = dev->scratch[slot];
        return SEQNN_OK;
    }
    int32_t *copy = realloc(dev->ints_host[slot], bytes);
    if (!copy)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "out of host memory");
    dev->ints_host[slot] = copy;
    dev->ints_count[slot] = 0;
    /* a blocking write would wait for everything queued before it: a new
     * buffer takes the values when it is created instead */
    cl_int err;
    cl_mem m = clCreateBuffer(dev->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes, (void *)v, &err);
    if (!m)
        return ocl_fail(call, "clCreateBuffer (lengths)", err);
    if (dev->scratch[slot])
        clReleaseMemObject(dev->scratch[slot]);   /* freed once queued work is done */
    dev->scratch[slot] = m;
    dev->scratch_bytes[slot] = bytes;
    memcpy(copy, v, bytes);
    dev->ints_count[slot] = n;
    out->mem = m;
    return SEQNN_OK;
}

seqnn_status ocl_buffer_alloc(const seqnn_call *call, size_t bytes, void **handle)
{
    ocl_buffer *b = calloc(1, sizeof *b);
    if (!b)
        return seqnn_plugin_fail(call, SEQNN_ERR_NO_MEMORY, "out of host memory");
    seqnn_status st = ocl_create(call, bytes, &b->mem);
    if (st != SEQNN_OK) {
        free(b);
        return st;
    }
    b->bytes = bytes;
    *handle = b;
    return SEQNN_OK;
}

void ocl_buffer_free(void *device, void *handle)
{
    (void)device;
    ocl_buffer *b = handle;
    if (!b)
        return;
    clReleaseMemObject(b->mem);
    free(b);
}

seqnn_status ocl_buffer_write(const seqnn_call *call, void *handle, size_t offset,
                              const void *src, size_t bytes)
{
    if (!bytes)
        return SEQNN_OK;
    /* blocking: the caller may reuse src as soon as we return */
    cl_int err = clEnqueueWriteBuffer(ocl_dev(call)->queue, ((ocl_buffer *)handle)->mem, CL_TRUE,
                                      offset, bytes, src, 0, NULL, NULL);
    return err == CL_SUCCESS ? SEQNN_OK : ocl_fail(call, "clEnqueueWriteBuffer", err);
}

seqnn_status ocl_buffer_read(const seqnn_call *call, void *handle, size_t offset,
                             void *dst, size_t bytes)
{
    if (!bytes)
        return ocl_sync(call);
    cl_int err = clEnqueueReadBuffer(ocl_dev(call)->queue, ((ocl_buffer *)handle)->mem, CL_TRUE,
                                     offset, bytes, dst, 0, NULL, NULL);
    return err == CL_SUCCESS ? SEQNN_OK : ocl_fail(call, "clEnqueueReadBuffer", err);
}

seqnn_status ocl_buffer_copy(const seqnn_call *call, void *dst, size_t dst_offset,
                             void *src, size_t src_offset, size_t bytes)
{
    if (!bytes)
        return SEQNN_OK;
    cl_command_queue q = ocl_dev(call)->queue;
    cl_mem s = ((ocl_buffer *)src)->mem, d = ((ocl_buffer *)dst)->mem;
    cl_int err;
    if (s == d && src_offset < dst_offset + bytes && dst_offset < src_offset + bytes) {
        /* overlapping ranges (memmove semantics): OpenCL refuses them, so
         * go through scratch memory */
        ocl_ref tmp;
        OCL_TRY(ocl_scratch(call, OCL_S_H, bytes, &tmp));
        err = clEnqueueCopyBuffer(q, s, tmp.mem, src_offset, 0, bytes, 0, NULL, NULL);
        if (err == CL_SUCCESS)
            err = clEnqueueCopyBuffer(q, tmp.mem, d, 0, dst_offset, bytes, 0, NULL, NULL);
    } else {
        err = clEnqueueCopyBuffer(q, s, d, src_offset, dst_offset, bytes, 0, NULL, NULL);
    }
    return err == CL_SUCCESS ? SEQNN_OK : ocl_fail(call, "clEnqueueCopyBuffer", err);
}

seqnn_status ocl_buffer_fill(const seqnn_call *call, void *handle, size_t offset,
                             size_t bytes, uint32_t pattern)
{
    bytes &= ~(size_t)3;
    if (!bytes)
        return SEQNN_OK;
    cl_int err = clEnqueueFillBuffer(ocl_dev(call)->queue, ((ocl_buffer *)handle)->mem, &pattern, 4,
                                     offset, bytes, 0, NULL, NULL);
    return err == CL_SUCCESS ? SEQNN_OK : ocl_fail(call, "clEnqueueFillBuffer", err);
}

seqnn_status ocl_sync(const seqnn_call *call)
{
    cl_int err = clFinish(ocl_dev(call)->queue);
    return err == CL_SUCCESS ? SEQNN_OK : ocl_fail(call, "clFinish", err);
}

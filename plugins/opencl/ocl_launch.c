/* Kernel launches: argument setting with deferred error checks, flat 1-D
 * ranges rounded up to each kernel's local size, and work-group launches for
 * reductions. Local sizes come from each kernel's CL_KERNEL_WORK_GROUP_SIZE
 * (ocl_device.c), never from a constant that suits one device only. */
#include <stdio.h>
#include "ocl.h"

static const char *const ocl_kernel_names[] = {
#define OCL_KNAME(name) #name,
    OCL_KERNEL_LIST(OCL_KNAME)
#undef OCL_KNAME
};

ocl_launch ocl_begin(const seqnn_call *call, ocl_kernel_id id)
{
    ocl_launch L;
    L.call = call;
    L.dev = ocl_dev(call);
    L.id = id;
    L.next = 0;
    L.err = CL_SUCCESS;
    return L;
}

static void ocl_arg(ocl_launch *L, size_t size, const void *value)
{
    cl_int err = clSetKernelArg(L->dev->kernels[L->id], L->next++, size, value);
    if (err != CL_SUCCESS && L->err == CL_SUCCESS)
        L->err = err;
}

void ocl_arg_ref(ocl_launch *L, ocl_ref r)
{
    cl_mem m = r.mem ? r.mem : L->dev->dummy;
    cl_long off = r.mem ? (cl_long)r.off : -1;
    ocl_arg(L, sizeof m, &m);
    ocl_arg(L, sizeof off, &off);
}

void ocl_arg_mem(ocl_launch *L, cl_mem m)
{
    ocl_arg(L, sizeof m, &m);
}

void ocl_arg_t(ocl_launch *L, seqnn_tref t)
{
    ocl_arg_ref(L, ocl_tref(t));
}

void ocl_arg_long(ocl_launch *L, int64_t v)
{
    cl_long x = v;
    ocl_arg(L, sizeof x, &x);
}

void ocl_arg_set_long(ocl_launch *L, cl_uint index, int64_t v)
{
    cl_uint next = L->next;
    L->next = index;
    ocl_arg_long(L, v);
    L->next = next;
}

void ocl_arg_int(ocl_launch *L, int v)
{
    cl_int x = v;
    ocl_arg(L, sizeof x, &x);
}

void ocl_arg_uint(ocl_launch *L, uint32_t v)
{
    cl_uint x = v;
    ocl_arg(L, sizeof x, &x);
}

void ocl_arg_ulong(ocl_launch *L, uint64_t v)
{
    cl_ulong x = v;
    ocl_arg(L, sizeof x, &x);
}

void ocl_arg_float(ocl_launch *L, double v)
{
    cl_float x = (cl_float)v;
    ocl_arg(L, sizeof x, &x);
}

void ocl_arg_local(ocl_launch *L)
{
    /* sized by the launch: every reduction uses at most the kernel's wg */
    ocl_arg(L, L->dev->wg[L->id] * sizeof(cl_float), NULL);
}

static seqnn_status ocl_enqueue(ocl_launch *L, size_t global, size_t local)
{
    char what[96];
    if (L->err != CL_SUCCESS) {
        snprintf(what, sizeof what, "clSetKernelArg(%s)", ocl_kernel_names[L->id]);
        return ocl_fail(L->call, what, L->err);
    }
    cl_int err = clEnqueueNDRangeKernel(L->dev->queue, L->dev->kernels[L->id], 1, NULL, &global,
                                        &local, 0, NULL, NULL);
    if (err != CL_SUCCESS) {
        snprintf(what, sizeof what, "clEnqueueNDRangeKernel(%s)", ocl_kernel_names[L->id]);
        return ocl_fail(L->call, what, err);
    }
    return SEQNN_OK;
}

seqnn_status ocl_run(ocl_launch *L, int64_t n)
{
    if (n <= 0)
        return SEQNN_OK;
    size_t local = L->dev->wg[L->id];
    /* small ranges: a smaller group so that the launch is not mostly idle */
    while (local > 1 && (int64_t)(local / 2) >= n)
        local /= 2;
    size_t global = ((size_t)n + local - 1) / local * local;
    return ocl_enqueue(L, global, local);
}

seqnn_status ocl_run_groups(ocl_launch *L, int64_t groups, size_t local)
{
    if (groups <= 0)
        return SEQNN_OK;
    return ocl_enqueue(L, (size_t)groups * local, local);
}

size_t ocl_group_size(const ocl_device *dev, ocl_kernel_id id, int64_t len)
{
    size_t local = dev->wg[id];
    while (local > 1 && (int64_t)(local / 2) >= len)
        local /= 2;
    return local;
}

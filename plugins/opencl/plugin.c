/* The OpenCL plugin ("opencl"): every device of every OpenCL platform is a
 * seqnn device named "platform: device". GPUs and accelerators score above
 * the CPU plugins, CPU OpenCL devices (POCL, ...) below avx2. GEMM runs
 * through CLBlast, every other kernel in our OpenCL C (the kernels/ .cl files, embedded
 * at build time, programs cached on disk: ocl_program.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ocl.h"

typedef struct ocl_entry {
    cl_platform_id platform;
    cl_device_id device;
    seqnn_device_info info;
} ocl_entry;

typedef struct ocl_state {
    int64_t count;
    ocl_entry *entries;
} ocl_state;

/* Score and reason of a device. */
static void ocl_rate(ocl_entry *e)
{
    seqnn_device_info *in = &e->info;
    cl_device_type type = 0;
    cl_bool avail = CL_FALSE, compiler = CL_FALSE;
    char cver[128] = "";
    cl_ulong mem = 0;
    clGetDeviceInfo(e->device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    clGetDeviceInfo(e->device, CL_DEVICE_AVAILABLE, sizeof avail, &avail, NULL);
    clGetDeviceInfo(e->device, CL_DEVICE_COMPILER_AVAILABLE, sizeof compiler, &compiler, NULL);
    clGetDeviceInfo(e->device, CL_DEVICE_OPENCL_C_VERSION, sizeof cver - 1, cver, NULL);
    clGetDeviceInfo(e->device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof mem, &mem, NULL);
    in->memory_bytes = mem;
    in->kind = (type & CL_DEVICE_TYPE_GPU) ? SEQNN_DEVICE_GPU
             : (type & (CL_DEVICE_TYPE_ACCELERATOR | CL_DEVICE_TYPE_CUSTOM)) ? SEQNN_DEVICE_ACCELERATOR
             : SEQNN_DEVICE_CPU;
    int major = 0, minor = 0;
    sscanf(cver, "OpenCL C %d.%d", &major, &minor);
    if (!avail) {
        in->score = 0;
        snprintf(in->reason, sizeof in->reason, "device not available (CL_DEVICE_AVAILABLE is false)");
    } else if (!compiler) {
        in->score = 0;
        snprintf(in->reason, sizeof in->reason, "no OpenCL C compiler for this device");
    } else if (major * 10 + minor < 12) {
        in->score = 0;
        snprintf(in->reason, sizeof in->reason, "needs OpenCL C 1.2, device has \"%s\"", cver);
    } else if (in->kind == SEQNN_DEVICE_CPU) {
        in->score = SEQNN_SCORE_CPU_OPENCL;
        snprintf(in->reason, sizeof in->reason, "CPU OpenCL device (%s): below the native CPU plugins", cver);
    } else {
        in->score = SEQNN_SCORE_GPU;
        snprintf(in->reason, sizeof in->reason, "%s (%s, CLBlast GEMM)",
                 in->kind == SEQNN_DEVICE_GPU ? "GPU" : "accelerator", cver);
    }
}

static seqnn_status ocl_init(void **state, char *msg, size_t msg_size)
{
    (void)msg;
    (void)msg_size;
    ocl_state *st = calloc(1, sizeof *st);
    if (!st)
        return SEQNN_ERR_NO_MEMORY;
    cl_uint np = 0;
    cl_int err = clGetPlatformIDs(0, NULL, &np);
    cl_platform_id *plats = NULL;
    if (err == CL_SUCCESS && np > 0) {
        plats = calloc(np, sizeof *plats);
        if (!plats || clGetPlatformIDs(np, plats, NULL) != CL_SUCCESS)
            np = 0;
    }
    for (cl_uint p = 0; p < np; p++) {
        char pname[128] = "";
        clGetPlatformInfo(plats[p], CL_PLATFORM_NAME, sizeof pname - 1, pname, NULL);
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 0, NULL, &nd) != CL_SUCCESS || nd == 0)
            continue;
        cl_device_id *devs = calloc(nd, sizeof *devs);
        ocl_entry *grown = realloc(st->entries, (size_t)(st->count + nd) * sizeof *grown);
        if (!devs || !grown) {
            free(devs);
            if (grown)
                st->entries = grown;
            break;
        }
        st->entries = grown;
        clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, nd, devs, NULL);
        for (cl_uint d = 0; d < nd; d++) {
            ocl_entry *e = &st->entries[st->count++];
            memset(e, 0, sizeof *e);
            e->platform = plats[p];
            e->device = devs[d];
            char dname[128] = "";
            clGetDeviceInfo(devs[d], CL_DEVICE_NAME, sizeof dname - 1, dname, NULL);
            /* "platform: device", cut to the record's size (names are short in practice) */
            size_t used = (size_t)snprintf(e->info.name, sizeof e->info.name, "%.120s: ", pname);
            snprintf(e->info.name + used, sizeof e->info.name - used, "%.127s", dname);
            ocl_rate(e);
        }
        free(devs);
    }
    free(plats);
    if (st->count == 0) {
        /* one placeholder that says why nothing can run here */
        st->entries = calloc(1, sizeof *st->entries);
        if (!st->entries) {
            free(st);
            return SEQNN_ERR_NO_MEMORY;
        }
        st->count = 1;
        seqnn_device_info *in = &st->entries[0].info;
        snprintf(in->name, sizeof in->name, "no OpenCL device");
        in->kind = SEQNN_DEVICE_GPU;
        in->score = 0;
        if (err != CL_SUCCESS)
            snprintf(in->reason, sizeof in->reason, "no OpenCL platform (clGetPlatformIDs: %s (%d))",
                     ocl_error_name(err), (int)err);
        else
            snprintf(in->reason, sizeof in->reason, "%u OpenCL platform(s) without any device", np);
    }
    *state = st;
    return SEQNN_OK;
}

static void ocl_fini(void *state)
{
    ocl_state *st = state;
    if (!st)
        return;
    free(st->entries);
    free(st);
}

static int64_t ocl_device_count(void *state)
{
    return ((ocl_state *)state)->count;
}

static seqnn_status ocl_device_info(void *state, int64_t index, seqnn_device_info *info)
{
    ocl_state *st = state;
    if (index < 0 || index >= st->count)
        return SEQNN_ERR_NOT_FOUND;
    *info = st->entries[index].info;
    return SEQNN_OK;
}

static seqnn_status ocl_device_open(void *state, int64_t index, void **device, char *msg, size_t msg_size)
{
    ocl_state *st = state;
    if (index < 0 || index >= st->count || !st->entries[index].device) {
        snprintf(msg, msg_size, "opencl: no device %lld%s%s", (long long)index,
                 st->count ? ": " : "", st->count ? st->entries[0].info.reason : "");
        return SEQNN_ERR_NOT_FOUND;
    }
    ocl_device *dev = NULL;
    seqnn_status s = ocl_open(st->entries[index].platform, st->entries[index].device, &dev, msg, msg_size);
    if (s != SEQNN_OK)
        return s;
    *device = dev;
    return SEQNN_OK;
}

static void ocl_device_close(void *device)
{
    ocl_close(device);
}

/* The structure query: where CLBlast's GEMM (1.5, its default tuning database,
 * which is what a device without a tuned entry gets, POCL's CPU device
 * among them) changes path. Below m*n*k = 512^3 one direct kernel in tiles
 * of 32 x 32 rows and columns, 32 deep; from there on the indirect kernel,
 * with operands padded and transposed to whole tiles by helper kernels. The
 * own OpenCL C kernels run flat ranges rounded up to each kernel's local size,
 * with no blocking of their own to cross. */
static const seqnn_boundary ocl_boundaries[] = {
    {SEQNN_KERNEL_gemm, SEQNN_DIM_MNK, 512LL * 512 * 512 - 1, "CLBlast: direct kernel below 512^3, indirect from there"},
    {SEQNN_KERNEL_gemm, SEQNN_DIM_M, 32, "CLBlast direct kernel: MWGD, rows per work-group tile"},
    {SEQNN_KERNEL_gemm, SEQNN_DIM_N, 32, "CLBlast direct kernel: NWGD, columns per work-group tile"},
    {SEQNN_KERNEL_gemm, SEQNN_DIM_K, 32, "CLBlast direct kernel: KWGD, depth per local-memory step"},
};

static seqnn_status ocl_structure(const seqnn_call *call, const seqnn_boundary **list, int64_t *count)
{
    (void)call;
    *list = ocl_boundaries;
    *count = (int64_t)(sizeof ocl_boundaries / sizeof ocl_boundaries[0]);
    return SEQNN_OK;
}

static seqnn_plugin_api ocl_api;

__attribute__((visibility("default"))) const seqnn_plugin_api *seqnn_plugin_entry(void);

const seqnn_plugin_api *seqnn_plugin_entry(void)
{
    seqnn_plugin_api *api = &ocl_api;
    api->abi_major = SEQNN_ABI_MAJOR;
    api->abi_minor = SEQNN_ABI_MINOR;
    api->struct_size = sizeof *api;
    api->name = "opencl";
    api->version = "0.1.0";
    api->description = "OpenCL devices: CLBlast GEMM, own OpenCL C 1.2 kernels, programs cached on disk";
    api->init = ocl_init;
    api->fini = ocl_fini;
    api->device_count = ocl_device_count;
    api->device_info = ocl_device_info;
    api->device_open = ocl_device_open;
    api->device_close = ocl_device_close;
    api->buffer_alloc = ocl_buffer_alloc;
    api->buffer_free = ocl_buffer_free;
    api->buffer_write = ocl_buffer_write;
    api->buffer_read = ocl_buffer_read;
    api->buffer_copy = ocl_buffer_copy;
    api->buffer_fill = ocl_buffer_fill;
    api->sync = ocl_sync;
#define SEQNN_KERNEL(name, args, doc) api->name = ocl_k_##name;
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
    api->structure = ocl_structure;
    return api;
}

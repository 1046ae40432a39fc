/* Error paths of the OpenCL plugin on the POCL device (docs/opencl.md, "Errors"):
 *  1. every OpenCL and CLBlast error code has a name, and a failure message
 *     names the call and the error; allocation errors are SEQNN_ERR_NO_MEMORY;
 *  2. a program that fails to build reports its build log, with the error
 *     (file and line) within the 512 bytes that device_open's message has (white box: plugins/opencl/ocl_program.c
 *     and ocl_errors.c are compiled into this test with the sources below in
 *     place of kernels/);
 *  3. through the public API: an allocation beyond the device's memory is a
 *     clean SEQNN_ERR_NO_MEMORY naming the limit, an absurd one fails cleanly
 *     too, and the context still works afterwards (a GEMM through CLBlast);
 *  4. none of it writes to stdout (the library never does).
 * Exit 0 when all hold, 1 when one fails, 77 when there is no POCL device
 * (tests/test_opencl_pocl.sh decides whether that may be skipped). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ocl.h"
#include "seqnn/seqnn.h"
#include "seqnn_embed.h"

#define POCL "Portable Computing Language"

/* The "kernels/" of this test: a warning-only file, then one with 24
 * #warning lines (about 1.5 KB of log) before an error on line 26. */
#define PAD "#warning this line only pads the build log before the error\n"
#define PAD4 PAD PAD PAD PAD
static const char good_cl[] = "__kernel void fine(__global float *x) { x[get_global_id(0)] += 1.0f; }\n";
static const char broken_cl[] = PAD4 PAD4 PAD4 PAD4 PAD4 PAD4
    "\n__kernel void broken(__global float *x) { x[get_global_id(0)] *= undefined_thing; }\n";
const seqnn_embedded_file ocl_cl_files[] = {
    { "common.cl", (const unsigned char *)good_cl, sizeof good_cl - 1 },
    { "broken.cl", (const unsigned char *)broken_cl, sizeof broken_cl - 1 },
};
const int ocl_cl_count = 2;

static int failures;

static void report(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s ", ok ? "ok  " : "FAIL");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    if (!ok)
        failures++;
}

/* 1. names and statuses */
static void test_names(void)
{
    char msg[256];
    int unnamed = 0;
    /* OpenCL 1.2 defines -1..-19 and -30..-68; CLBlast its own codes */
    for (int c = -1; c >= -72; c--) {
        if (c < -19 && c > -30)
            continue;
        if (!strcmp(ocl_error_name(c), "unknown OpenCL error")) {
            fprintf(stderr, "     no name for %d\n", c);
            unnamed++;
        }
    }
    static const int clblast[] = { -1024, -1022, -1021, -1020, -1019, -1018, -1017, -1016, -1015, -1014,
                                   -1013, -1012, -1011, -1010, -1009, -1008, -1007, -2050, -2049, -2048,
                                   -2047, -2046, -2045, -2044, -2043, -2042, -2041, -2040, -2039 };
    for (size_t i = 0; i < sizeof clblast / sizeof clblast[0]; i++)
        if (strncmp(ocl_error_name(clblast[i]), "CLBlast", 7) != 0) {
            fprintf(stderr, "     no name for CLBlast code %d\n", clblast[i]);
            unnamed++;
        }
    report(unnamed == 0, "every OpenCL 1.2/2.x and CLBlast error code has a name (%d without)", unnamed);

    seqnn_status s = ocl_fail_msg(msg, sizeof msg, "clEnqueueNDRangeKernel(rnn_fwd_step)", CL_OUT_OF_RESOURCES);
    report(s == SEQNN_ERR_DEVICE && !strcmp(msg, "clEnqueueNDRangeKernel(rnn_fwd_step): CL_OUT_OF_RESOURCES (-5)"),
           "a device error names the call and the error: \"%s\"", msg);
    s = ocl_fail_msg(msg, sizeof msg, "clEnqueueWriteBuffer", CL_MEM_OBJECT_ALLOCATION_FAILURE);
    report(s == SEQNN_ERR_NO_MEMORY && strstr(msg, "CL_MEM_OBJECT_ALLOCATION_FAILURE (-4)"),
           "an allocation failure is SEQNN_ERR_NO_MEMORY: \"%s\"", msg);
    s = ocl_fail_msg(msg, sizeof msg, "CLBlastSgemm(m=3 n=5 k=7 batch=1)", -2050);
    report(s == SEQNN_ERR_NO_MEMORY && strstr(msg, "CLBlastInsufficientMemoryTemp (-2050)"),
           "CLBlast's temporary-buffer failure is SEQNN_ERR_NO_MEMORY: \"%s\"", msg);
    s = ocl_fail_msg(msg, sizeof msg, "clFinish", -12345);
    report(s == SEQNN_ERR_DEVICE && !strcmp(msg, "clFinish: unknown OpenCL error (-12345)"),
           "an unknown code still shows its number: \"%s\"", msg);
}

/* The POCL platform and its first device, or 0. */
static int find_pocl(cl_platform_id *platform, cl_device_id *device)
{
    cl_uint n = 0;
    cl_platform_id ids[16];
    if (clGetPlatformIDs(16, ids, &n) != CL_SUCCESS)
        return 0;
    for (cl_uint i = 0; i < n && i < 16; i++) {
        char name[256] = "";
        clGetPlatformInfo(ids[i], CL_PLATFORM_NAME, sizeof name - 1, name, NULL);
        if (strstr(name, POCL) && clGetDeviceIDs(ids[i], CL_DEVICE_TYPE_ALL, 1, device, NULL) == CL_SUCCESS) {
            *platform = ids[i];
            return 1;
        }
    }
    return 0;
}

/* 2. a build failure's message */
static void test_build_log(cl_platform_id platform, cl_device_id device)
{
    ocl_device dev;
    memset(&dev, 0, sizeof dev);
    dev.platform = platform;
    dev.device = device;
    snprintf(dev.name, sizeof dev.name, "test device");
    cl_int err;
    dev.context = clCreateContext(NULL, 1, &device, NULL, NULL, &err);
    if (!dev.context) {
        report(0, "clCreateContext on POCL: %s (%d)", ocl_error_name(err), (int)err);
        return;
    }
    char msg[512] = "";                  /* the size of device_open's message (backends/context.c) */
    seqnn_status s = ocl_program_get(&dev, msg, sizeof msg);
    report(s == SEQNN_ERR_DEVICE, "a program that fails to build fails device_open (%s)", seqnn_status_name(s));
    report(strstr(msg, "clBuildProgram (kernels/<family>.cl): CL_BUILD_PROGRAM_FAILURE (-11)") == msg,
           "the message names the call and the error");
    /* (POCL puts errors before warnings; other compilers keep source order,
     * and the plugin then starts the excerpt at the first error) */
    report(strstr(msg, "build log") && strstr(msg, "broken.cl:26") && strstr(msg, "undefined_thing"),
           "the message holds the build log's error (file and line of kernels/): \"%s\"", msg);
    if (dev.program)
        clReleaseProgram(dev.program);
    clReleaseContext(dev.context);
}

/* 3. allocations and a working context afterwards, through the public API */
static void test_public_api(void)
{
    seqnn_context *ctx = NULL;
    seqnn_status s = seqnn_context_create("opencl:" POCL, &ctx);
    report(s == SEQNN_OK, "open the POCL device through the API: %s", s == SEQNN_OK ? "" : seqnn_last_error());
    if (s != SEQNN_OK)
        return;
    seqnn_device_record d;
    seqnn_context_device(ctx, &d);
    report(!strncmp(d.name, POCL ": ", strlen(POCL) + 2) && !strcmp(d.plugin_name, "opencl"),
           "the context runs on %s %s", d.plugin_name, d.name);

    seqnn_buffer *big = NULL;
    int64_t count = (int64_t)(d.memory_bytes / 4) * 2;      /* twice the device's memory */
    s = seqnn_buffer_alloc(ctx, SEQNN_F32, count, &big);
    const char *msg = seqnn_last_error();
    report(s == SEQNN_ERR_NO_MEMORY && strstr(msg, "CL_DEVICE_MAX_MEM_ALLOC_SIZE") && strstr(msg, POCL) && !big,
           "%lld floats (twice the device's memory) -> %s \"%s\"", (long long)count, seqnn_status_name(s), msg);
    s = seqnn_buffer_alloc(ctx, SEQNN_F32, INT64_MAX, &big);
    msg = seqnn_last_error();
    report(s != SEQNN_OK && msg[0] && !big, "INT64_MAX floats -> %s \"%s\"", seqnn_status_name(s), msg);

    /* still usable: C = A B through CLBlast, A [2,3] B [3,2] */
    seqnn_buffer *a = NULL, *b = NULL, *c = NULL;
    const float av[6] = { 1, 2, 3, 4, 5, 6 }, bv[6] = { 7, 8, 9, 10, 11, 12 };
    float cv[4] = { 0, 0, 0, 0 };
    s = seqnn_buffer_alloc(ctx, SEQNN_F32, 6, &a);
    if (s == SEQNN_OK) s = seqnn_buffer_alloc(ctx, SEQNN_F32, 6, &b);
    if (s == SEQNN_OK) s = seqnn_buffer_alloc(ctx, SEQNN_F32, 4, &c);
    if (s == SEQNN_OK) s = seqnn_buffer_write(ctx, a, 0, av, 6);
    if (s == SEQNN_OK) s = seqnn_buffer_write(ctx, b, 0, bv, 6);
    if (s == SEQNN_OK) {
        seqnn_gemm_args g;
        memset(&g, 0, sizeof g);
        g.m = 2; g.n = 2; g.k = 3; g.alpha = 1; g.beta = 0; g.batch = 1;
        g.a = seqnn_at(a, 0); g.lda = 3;
        g.b = seqnn_at(b, 0); g.ldb = 2;
        g.c = seqnn_at(c, 0); g.ldc = 2;
        s = seqnn_gemm(ctx, &g);
    }
    if (s == SEQNN_OK) s = seqnn_buffer_read(ctx, c, 0, cv, 4);
    report(s == SEQNN_OK && cv[0] == 58 && cv[1] == 64 && cv[2] == 139 && cv[3] == 154,
           "after the failed allocations a GEMM still runs: %s [%g %g %g %g]",
           s == SEQNN_OK ? "" : seqnn_last_error(), cv[0], cv[1], cv[2], cv[3]);
    seqnn_buffer_free(ctx, a);
    seqnn_buffer_free(ctx, b);
    seqnn_buffer_free(ctx, c);
    seqnn_context_destroy(ctx);
}

int main(void)
{
    /* 4. stdout goes to a file that must stay empty */
    char path[4096];
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/seqnn-opencl-stdout-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    int fd = mkstemp(path);
    int saved = dup(1);
    if (fd < 0 || saved < 0 || dup2(fd, 1) < 0) {
        fprintf(stderr, "FAIL cannot redirect stdout to %s\n", path);
        return 1;
    }

    test_names();
    cl_platform_id platform;
    cl_device_id device;
    int have_pocl = find_pocl(&platform, &device);
    if (have_pocl) {
        test_build_log(platform, device);
        test_public_api();
    }

    fflush(stdout);
    off_t written = lseek(fd, 0, SEEK_END);
    dup2(saved, 1);
    close(saved);
    close(fd);
    unlink(path);
    if (!have_pocl) {
        fprintf(stderr, "no POCL device (no OpenCL platform named \"" POCL "\")\n");
        return failures ? 1 : 77;
    }
    report(written == 0, "nothing was written to stdout (%lld bytes)", (long long)written);
    fprintf(stderr, "%d failed\n", failures);
    return failures ? 1 : 0;
}

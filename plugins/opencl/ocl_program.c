/* The program of our OpenCL C kernels (the kernels/ .cl files, embedded at build time)
 * and its disk cache: built binaries under $XDG_CACHE_HOME/seqnn (else
 * ~/.cache/seqnn), one file per key (platform, device, driver version, source
 * hash, build options). A file holds a header with the full key, the binary's
 * length and a checksum; an entry that fails any check, or that the driver
 * refuses, is rebuilt from source and rewritten. Files are written to a
 * temporary name and renamed, so readers never see half a file; a missing or
 * read-only cache directory only costs the build time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "ocl.h"
#include "seqnn_embed.h"

extern const seqnn_embedded_file ocl_cl_files[];
extern const int ocl_cl_count;

#define OCL_BUILD_OPTIONS "-cl-std=CL1.2"
#define OCL_CACHE_MAGIC "SEQNNCLB"
#define OCL_CACHE_FORMAT 1u

typedef struct ocl_cache_header {
    char magic[8];
    uint32_t format;
    uint32_t key_len;
    uint64_t bin_len;
    uint64_t checksum;                   /* FNV-1a 64 over key then binary */
} ocl_cache_header;

static uint64_t ocl_fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
#define OCL_FNV_INIT 0xcbf29ce484222325ull

static double ocl_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int ocl_log_debug(void)
{
    const char *l = getenv("SEQNN_LOG");
    return l && strcmp(l, "debug") == 0;
}

/* The concatenated sources, each file introduced by a #line for build logs. */
static char *ocl_source(void)
{
    size_t total = 1;
    for (int i = 0; i < ocl_cl_count; i++)
        total += ocl_cl_files[i].size + strlen(ocl_cl_files[i].name) + 32;
    char *s = malloc(total), *p = s;
    if (!s)
        return NULL;
    for (int i = 0; i < ocl_cl_count; i++) {
        p += sprintf(p, "#line 1 \"%s\"\n", ocl_cl_files[i].name);
        memcpy(p, ocl_cl_files[i].data, ocl_cl_files[i].size);
        p += ocl_cl_files[i].size;
        *p++ = '\n';
    }
    *p = 0;
    return s;
}

int ocl_cache_dir(char *buf, size_t size)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    int n;
    if (xdg && xdg[0])
        n = snprintf(buf, size, "%s/seqnn", xdg);
    else {
        const char *home = getenv("HOME");
        if (!home || !home[0])
            return 0;
        n = snprintf(buf, size, "%s/.cache/seqnn", home);
    }
    return n > 0 && (size_t)n < size;
}

/* mkdir -p; failures are noticed when the file is written. */
static void ocl_mkdirs(const char *dir)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0700);
            *p = '/';
        }
    mkdir(tmp, 0700);
}

static void ocl_info_str(cl_device_id d, cl_platform_id p, int dev_param, cl_uint param,
                         char *buf, size_t size)
{
    buf[0] = 0;
    if (dev_param)
        clGetDeviceInfo(d, param, size - 1, buf, NULL);
    else
        clGetPlatformInfo(p, param, size - 1, buf, NULL);
    buf[size - 1] = 0;
}

/* The build options of dev's program: the language version, and the units
 * per work-item of the cell kernels when chosen (kernels/rnn.cl). */
static void ocl_build_options(const ocl_device *dev, char *buf, size_t size)
{
    if (dev->rnn_units > 0)
        snprintf(buf, size, "%s -DSEQNN_RNN_UNITS=%d", OCL_BUILD_OPTIONS, dev->rnn_units);
    else
        snprintf(buf, size, "%s", OCL_BUILD_OPTIONS);
}

/* The cache key (a text) of this device and source. */
static char *ocl_cache_key(const ocl_device *dev, const char *source)
{
    char options[128];
    ocl_build_options(dev, options, sizeof options);
    char pn[256], pv[256], dn[256], dv[256], drv[256];
    ocl_info_str(dev->device, dev->platform, 0, CL_PLATFORM_NAME, pn, sizeof pn);
    ocl_info_str(dev->device, dev->platform, 0, CL_PLATFORM_VERSION, pv, sizeof pv);
    ocl_info_str(dev->device, dev->platform, 1, CL_DEVICE_NAME, dn, sizeof dn);
    ocl_info_str(dev->device, dev->platform, 1, CL_DEVICE_VERSION, dv, sizeof dv);
    ocl_info_str(dev->device, dev->platform, 1, CL_DRIVER_VERSION, drv, sizeof drv);
    uint64_t sh = ocl_fnv(OCL_FNV_INIT, source, strlen(source));
    size_t n = 2048;
    char *key = malloc(n);
    if (key)
        snprintf(key, n, "seqnn opencl program\nplatform=%s|%s\ndevice=%s|%s\ndriver=%s\n"
                 "options=%s\nsource=%016llx\n", pn, pv, dn, dv, drv, options,
                 (unsigned long long)sh);
    return key;
}

static void ocl_cache_path(const char *dir, const char *key, char *path, size_t size)
{
    snprintf(path, size, "%s/opencl-%016llx.bin", dir,
             (unsigned long long)ocl_fnv(OCL_FNV_INIT, key, strlen(key)));
}

/* Reads and validates a cache file: returns the binary (malloc) or NULL. */
static unsigned char *ocl_cache_read(const char *path, const char *key, size_t *bin_len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    ocl_cache_header h;
    unsigned char *bin = NULL;
    char *k = NULL;
    size_t key_len = strlen(key);
    if (fread(&h, sizeof h, 1, f) != 1 || memcmp(h.magic, OCL_CACHE_MAGIC, 8) != 0 ||
        h.format != OCL_CACHE_FORMAT || h.key_len != key_len || h.bin_len == 0 ||
        h.bin_len > (uint64_t)1 << 32)
        goto bad;
    k = malloc(key_len);
    bin = malloc((size_t)h.bin_len);
    if (!k || !bin || fread(k, 1, key_len, f) != key_len || memcmp(k, key, key_len) != 0 ||
        fread(bin, 1, (size_t)h.bin_len, f) != (size_t)h.bin_len || fgetc(f) != EOF)
        goto bad;
    if (ocl_fnv(ocl_fnv(OCL_FNV_INIT, key, key_len), bin, (size_t)h.bin_len) != h.checksum)
        goto bad;
    free(k);
    fclose(f);
    *bin_len = (size_t)h.bin_len;
    return bin;
bad:
    free(k);
    free(bin);
    fclose(f);
    return NULL;
}

/* Writes a cache file atomically (temporary file + rename); failures only
 * cost the next start its build time. */
static void ocl_cache_write(const char *dir, const char *path, const char *key,
                            const unsigned char *bin, size_t bin_len)
{
    ocl_mkdirs(dir);
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s/.opencl-XXXXXX", dir);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(tmp);
        return;
    }
    ocl_cache_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, OCL_CACHE_MAGIC, 8);
    h.format = OCL_CACHE_FORMAT;
    h.key_len = (uint32_t)strlen(key);
    h.bin_len = bin_len;
    h.checksum = ocl_fnv(ocl_fnv(OCL_FNV_INIT, key, h.key_len), bin, bin_len);
    int ok = fwrite(&h, sizeof h, 1, f) == 1 && fwrite(key, 1, h.key_len, f) == h.key_len &&
             fwrite(bin, 1, bin_len, f) == bin_len && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0)
        unlink(tmp);
}

/* Builds dev->program; on failure writes the build log into msg. */
static seqnn_status ocl_build(ocl_device *dev, const char *what, char *msg, size_t msg_size)
{
    char options[128];
    ocl_build_options(dev, options, sizeof options);
    cl_int err = clBuildProgram(dev->program, 1, &dev->device, options, NULL, NULL);
    if (err == CL_SUCCESS) {
        if (ocl_log_debug()) {           /* warnings of a successful build */
            char log[8192] = "";
            clGetProgramBuildInfo(dev->program, dev->device, CL_PROGRAM_BUILD_LOG, sizeof log - 1, log, NULL);
            if (strspn(log, " \n\r\t") < strlen(log))
                fprintf(stderr, "seqnn opencl: %s: build log of %s:\n%s\n", dev->name, what, log);
        }
        return SEQNN_OK;
    }
    seqnn_status st = ocl_fail_msg(msg, msg_size, what, err);
    size_t used = strlen(msg), log_size = 0;
    cl_int lerr = clGetProgramBuildInfo(dev->program, dev->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &log_size);
    char *log = lerr == CL_SUCCESS && log_size > 1 ? malloc(log_size + 1) : NULL;
    if (log && clGetProgramBuildInfo(dev->program, dev->device, CL_PROGRAM_BUILD_LOG, log_size, log, NULL) == CL_SUCCESS) {
        log[log_size] = 0;
        if (ocl_log_debug())
            fprintf(stderr, "seqnn opencl: %s: build log of %s:\n%s\n", dev->name, what, log);
        /* The message is short (device_open's buffer): start the excerpt at
         * the line of the first error, where warnings before it would
         * otherwise crowd it out. */
        const char *from = log, *e = strstr(log, "error:");
        if (e) {
            while (e > log && e[-1] != '\n')
                e--;
            from = e;
        }
        if (from > log)
            snprintf(msg + used, msg_size - used, "; build log from its first error (%zu bytes before it left out, "
                     "whole log with SEQNN_LOG=debug):\n%s", (size_t)(from - log), from);
        else
            snprintf(msg + used, msg_size - used, "; build log:\n%s", log);
    } else if (lerr != CL_SUCCESS) {
        snprintf(msg + used, msg_size - used, "; no build log (clGetProgramBuildInfo: %s (%d))",
                 ocl_error_name(lerr), (int)lerr);
    } else if (log_size <= 1) {
        snprintf(msg + used, msg_size - used, "; the build log is empty");
    }
    free(log);
    return st;
}

seqnn_status ocl_program_get(ocl_device *dev, char *msg, size_t msg_size)
{
    double t0 = ocl_now();
    char *source = ocl_source();
    char *key = source ? ocl_cache_key(dev, source) : NULL;
    if (!source || !key) {
        free(source);
        free(key);
        snprintf(msg, msg_size, "out of host memory");
        return SEQNN_ERR_NO_MEMORY;
    }
    char dir[1024] = "", path[1100] = "";
    int have_dir = ocl_cache_dir(dir, sizeof dir);
    if (have_dir)
        ocl_cache_path(dir, key, path, sizeof path);
    seqnn_status st = SEQNN_OK;
    cl_int err;

    /* 1. the cache */
    size_t bin_len = 0;
    unsigned char *bin = have_dir ? ocl_cache_read(path, key, &bin_len) : NULL;
    if (bin) {
        const unsigned char *bins[1] = { bin };
        cl_int bstatus = CL_SUCCESS;
        dev->program = clCreateProgramWithBinary(dev->context, 1, &dev->device, &bin_len, bins,
                                                 &bstatus, &err);
        free(bin);
        char ignored[256];
        if (dev->program && bstatus == CL_SUCCESS &&
            ocl_build(dev, "clBuildProgram (cached binary)", ignored, sizeof ignored) == SEQNN_OK) {
            dev->program_from_cache = 1;
            goto done;
        }
        if (dev->program)                /* stale or refused: rebuild from source */
            clReleaseProgram(dev->program);
        dev->program = NULL;
    }

    /* 2. the source */
    {
        const char *src = source;
        dev->program = clCreateProgramWithSource(dev->context, 1, &src, NULL, &err);
        if (!dev->program) {
            st = ocl_fail_msg(msg, msg_size, "clCreateProgramWithSource", err);
            goto out;
        }
        if ((st = ocl_build(dev, "clBuildProgram (kernels/<family>.cl)", msg, msg_size)) != SEQNN_OK)
            goto out;
        size_t size = 0;
        if (have_dir &&
            clGetProgramInfo(dev->program, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) == CL_SUCCESS &&
            size > 0) {
            unsigned char *out = malloc(size);
            unsigned char *outs[1] = { out };
            if (out && clGetProgramInfo(dev->program, CL_PROGRAM_BINARIES, sizeof outs, outs, NULL) == CL_SUCCESS)
                ocl_cache_write(dir, path, key, out, size);
            free(out);
        }
    }
done:
    dev->program_seconds = ocl_now() - t0;
    if (ocl_log_debug()) {
        char options[128];
        ocl_build_options(dev, options, sizeof options);
        fprintf(stderr, "seqnn opencl: %s: program %s in %.3f s (%s; options %s)\n", dev->name,
                dev->program_from_cache ? "loaded from cache" : "built from source",
                dev->program_seconds, have_dir ? path : "no cache directory", options);
    }
out:
    free(source);
    free(key);
    return st;
}

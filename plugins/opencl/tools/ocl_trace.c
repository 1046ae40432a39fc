/* Interposed OpenCL and CLBlast entry points (see ocl_trace.h): each counts
 * the call and forwards it to the real function found with dlsym(RTLD_NEXT);
 * the CLBlast GEMMs are also recorded on request, for a replay of the same
 * calls without anything else. The prototypes are those of CL/cl.h and
 * clblast_c.h, so the compiler checks that they match. One thread. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <clblast_c.h>
#include "ocl_trace.h"

static ocl_trace_counts trace;

void ocl_trace_get(ocl_trace_counts *out)
{
    *out = trace;
}

long ocl_trace_round_trips(const ocl_trace_counts *c)
{
    return c->waits + c->blocking;
}

/* The next definition of `name` after this program (libOpenCL, libclblast);
 * a tool without it cannot run at all. */
static void *trace_next(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);
    if (!p) {
        fprintf(stderr, "ocl_trace: %s not found after the program (%s)\n", name, dlerror());
        abort();
    }
    return p;
}

/* A list of *cap elements of `size` bytes grown to twice (64 at first). */
static void *trace_grow(void *list, long *cap, size_t size)
{
    long grown_cap = *cap ? 2 * *cap : 64;
    void *grown = realloc(list, (size_t)grown_cap * size);
    if (!grown) {
        fprintf(stderr, "ocl_trace: out of memory\n");
        abort();
    }
    *cap = grown_cap;
    return grown;
}

#define REAL(fp, name) \
    do { \
        if (!(fp)) { \
            void *p_ = trace_next(name); \
            memcpy(&(fp), &p_, sizeof p_); \
        } \
    } while (0)

/* ---- profiling: events kept per launch while on */

typedef struct trace_event {
    cl_event event;
    char name[48];
} trace_event;

static struct {
    int queues, on;
    long count, cap;
    trace_event *events;
} prof;

void ocl_trace_profile_queues(int on)
{
    prof.queues = on;
}

void ocl_trace_profile(int on)
{
    prof.on = on;
}

static void trace_event_keep(cl_event e, const char *name)
{
    if (prof.count == prof.cap)
        prof.events = trace_grow(prof.events, &prof.cap, sizeof *prof.events);
    prof.events[prof.count].event = e;
    snprintf(prof.events[prof.count].name, sizeof prof.events[0].name, "%s", name);
    prof.count++;
}

/* The event pointer to pass on: the caller's, or ours while profiling;
 * *keep: whether to keep the event afterwards (then *kept says which). */
static cl_event *trace_event_ptr(cl_event *ev, cl_event *slot, int *keep, cl_event **kept)
{
    *keep = prof.on;
    *kept = ev ? ev : slot;
    return prof.on ? *kept : ev;
}

/* After a launch: keeps the event, retained when it is the caller's. */
static void trace_event_after(cl_int err, int keep, cl_event *kept, cl_event *slot, const char *name)
{
    if (!keep || err != CL_SUCCESS || !*kept)
        return;
    if (kept != slot)
        clRetainEvent(*kept);
    trace_event_keep(*kept, name);
}


CL_API_ENTRY cl_int CL_API_CALL clFinish(cl_command_queue q)
{
    static cl_int (CL_API_CALL *real)(cl_command_queue);
    REAL(real, "clFinish");
    trace.waits++;
    return real(q);
}

CL_API_ENTRY cl_int CL_API_CALL clWaitForEvents(cl_uint n, const cl_event *list)
{
    static cl_int (CL_API_CALL *real)(cl_uint, const cl_event *);
    REAL(real, "clWaitForEvents");
    trace.waits++;
    return real(n, list);
}

CL_API_ENTRY cl_int CL_API_CALL clGetEventInfo(cl_event e, cl_event_info what, size_t size, void *value,
                                               size_t *size_ret)
{
    static cl_int (CL_API_CALL *real)(cl_event, cl_event_info, size_t, void *, size_t *);
    REAL(real, "clGetEventInfo");
    trace.polls++;
    return real(e, what, size, value, size_ret);
}

static cl_int (CL_API_CALL *real_profiling_info)(cl_event, cl_profiling_info, size_t, void *, size_t *);

CL_API_ENTRY cl_int CL_API_CALL clGetEventProfilingInfo(cl_event e, cl_profiling_info what, size_t size,
                                                        void *value, size_t *size_ret)
{
    REAL(real_profiling_info, "clGetEventProfilingInfo");
    trace.polls++;
    return real_profiling_info(e, what, size, value, size_ret);
}

CL_API_ENTRY cl_command_queue CL_API_CALL clCreateCommandQueue(cl_context ctx, cl_device_id dev,
                                                               cl_command_queue_properties props, cl_int *err)
{
    static cl_command_queue (CL_API_CALL *real)(cl_context, cl_device_id, cl_command_queue_properties, cl_int *);
    REAL(real, "clCreateCommandQueue");
    return real(ctx, dev, prof.queues ? props | CL_QUEUE_PROFILING_ENABLE : props, err);
}

typedef struct trace_total {
    char name[48];
    long count;
    double seconds;
} trace_total;

static int trace_total_cmp(const void *a, const void *b)
{
    double x = ((const trace_total *)a)->seconds, y = ((const trace_total *)b)->seconds;
    return x > y ? -1 : x < y;
}

void ocl_trace_profile_report(FILE *out, const char *title)
{
    trace_total *tot = calloc((size_t)(prof.count > 0 ? prof.count : 1), sizeof *tot);
    long n = 0;
    double all = 0.0;
    REAL(real_profiling_info, "clGetEventProfilingInfo");
    for (long i = 0; tot && i < prof.count; i++) {
        cl_ulong t0 = 0, t1 = 0;
        real_profiling_info(prof.events[i].event, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
        real_profiling_info(prof.events[i].event, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
        long j = 0;
        while (j < n && strcmp(tot[j].name, prof.events[i].name) != 0)
            j++;
        if (j == n)
            memcpy(tot[n++].name, prof.events[i].name, sizeof tot[0].name);
        tot[j].count++;
        tot[j].seconds += (double)(t1 - t0) * 1e-9;
        all += (double)(t1 - t0) * 1e-9;
    }
    if (tot)
        qsort(tot, (size_t)n, sizeof *tot, trace_total_cmp);
    fprintf(out, "%s: device time %.2f ms in %ld commands\n", title, all * 1e3, prof.count);
    for (long j = 0; tot && j < n; j++)
        fprintf(out, "  %-32s %6ld x  %9.3f ms  %5.1f%%\n", tot[j].name, tot[j].count, tot[j].seconds * 1e3,
                all > 0 ? 100.0 * tot[j].seconds / all : 0.0);
    for (long i = 0; i < prof.count; i++)
        clReleaseEvent(prof.events[i].event);
    free(tot);
    free(prof.events);
    prof.events = NULL;
    prof.count = prof.cap = 0;
}

static void trace_transfer(cl_bool blocking)
{
    trace.transfers++;
    if (blocking)
        trace.blocking++;
}

CL_API_ENTRY cl_int CL_API_CALL clEnqueueReadBuffer(cl_command_queue q, cl_mem m, cl_bool blocking, size_t off,
                                                    size_t size, void *ptr, cl_uint nw, const cl_event *wl,
                                                    cl_event *ev)
{
    static cl_int (CL_API_CALL *real)(cl_command_queue, cl_mem, cl_bool, size_t, size_t, void *, cl_uint,
                                      const cl_event *, cl_event *);
    REAL(real, "clEnqueueReadBuffer");
    trace_transfer(blocking);
    return real(q, m, blocking, off, size, ptr, nw, wl, ev);
}

CL_API_ENTRY cl_int CL_API_CALL clEnqueueWriteBuffer(cl_command_queue q, cl_mem m, cl_bool blocking, size_t off,
                                                     size_t size, const void *ptr, cl_uint nw, const cl_event *wl,
                                                     cl_event *ev)
{
    static cl_int (CL_API_CALL *real)(cl_command_queue, cl_mem, cl_bool, size_t, size_t, const void *, cl_uint,
                                      const cl_event *, cl_event *);
    REAL(real, "clEnqueueWriteBuffer");
    trace_transfer(blocking);
    return real(q, m, blocking, off, size, ptr, nw, wl, ev);
}

CL_API_ENTRY cl_int CL_API_CALL clEnqueueReadBufferRect(cl_command_queue q, cl_mem m, cl_bool blocking,
                                                        const size_t *bo, const size_t *ho, const size_t *region,
                                                        size_t brp, size_t bsp, size_t hrp, size_t hsp, void *ptr,
                                                        cl_uint nw, const cl_event *wl, cl_event *ev)
{
    static cl_int (CL_API_CALL *real)(cl_command_queue, cl_mem, cl_bool, const size_t *, const size_t *,
                                      const size_t *, size_t, size_t, size_t, size_t, void *, cl_uint,
                                      const cl_event *, cl_event *);
    REAL(real, "clEnqueueReadBufferRect");
    trace_transfer(blocking);
    return real(q, m, blocking, bo, ho, region, brp, bsp, hrp, hsp, ptr, nw, wl, ev);
}

CL_API_ENTRY cl_int CL_API_CALL clEnqueueWriteBufferRect(cl_command_queue q, cl_mem m, cl_bool blocking,
                                                         const size_t *bo, const size_t *ho, const size_t *region,
                                                         size_t brp, size_t bsp, size_t hrp, size_t hsp,
                                                         const void *ptr, cl_uint nw, const cl_event *wl,
                                                         cl_event *ev)
{
    static cl_int (CL_API_CALL *real)(cl_command_queue, cl_mem, cl_bool, const size_t *, const size_t *,
                                      const size_t *, size_t, size_t, size_t, size_t, const void *, cl_uint,
                                      const cl_event *, cl_event *);
    REAL(real, "clEnqueueWriteBufferRect");
    trace_transfer(blocking);
    return real(q, m, blocking, bo, ho, region, brp, bsp, hrp, hsp, ptr, nw, wl, ev);
}

CL_API_ENTRY void *CL_API_CALL clEnqueueMapBuffer(cl_command_queue q, cl_mem m, cl_bool blocking,
                                                  cl_map_flags flags, size_t off, size_t size, cl_uint nw,
                                                  const cl_event *wl, cl_event *ev, cl_int *err)
{
    static void *(CL_API_CALL *real)(cl_command_queue, cl_mem, cl_bool, cl_map_flags, size_t, size_t, cl_uint,
                                     const cl_event *, cl_event *, cl_int *);
    REAL(real, "clEnqueueMapBuffer");
    trace_transfer(blocking);
    return real(q, m, blocking, flags, off, size, nw, wl, ev, err);
}

CL_API_ENTRY cl_mem CL_API_CALL clCreateBuffer(cl_context ctx, cl_mem_flags flags, size_t size, void *host,
                                               cl_int *err)
{
    static cl_mem (CL_API_CALL *real)(cl_context, cl_mem_flags, size_t, void *, cl_int *);
    REAL(real, "clCreateBuffer");
    trace.buffers++;
    if (flags & CL_MEM_COPY_HOST_PTR)    /* a transfer at creation, not queued */
        trace.transfers++;
    return real(ctx, flags, size, host, err);
}

CL_API_ENTRY cl_int CL_API_CALL clEnqueueNDRangeKernel(cl_command_queue q, cl_kernel k, cl_uint dim,
                                                       const size_t *offset, const size_t *global,
                                                       const size_t *local, cl_uint nw, const cl_event *wl,
                                                       cl_event *ev)
{
    static cl_int (CL_API_CALL *real)(cl_command_queue, cl_kernel, cl_uint, const size_t *, const size_t *,
                                      const size_t *, cl_uint, const cl_event *, cl_event *);
    REAL(real, "clEnqueueNDRangeKernel");
    trace.launches++;
    cl_event slot = NULL, *kept;
    int keep;
    cl_int err = real(q, k, dim, offset, global, local, nw, wl, trace_event_ptr(ev, &slot, &keep, &kept));
    char name[48] = "?";
    if (keep)
        clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, sizeof name - 1, name, NULL);
    trace_event_after(err, keep, kept, &slot, name);
    return err;
}

CL_API_ENTRY cl_int CL_API_CALL clEnqueueCopyBuffer(cl_command_queue q, cl_mem src, cl_mem dst, size_t so,
                                                    size_t doff, size_t size, cl_uint nw, const cl_event *wl,
                                                    cl_event *ev)
{
    static cl_int (CL_API_CALL *real)(cl_command_queue, cl_mem, cl_mem, size_t, size_t, size_t, cl_uint,
                                      const cl_event *, cl_event *);
    REAL(real, "clEnqueueCopyBuffer");
    trace.copies++;
    cl_event slot = NULL, *kept;
    int keep;
    cl_int err = real(q, src, dst, so, doff, size, nw, wl, trace_event_ptr(ev, &slot, &keep, &kept));
    trace_event_after(err, keep, kept, &slot, "(copy)");
    return err;
}

CL_API_ENTRY cl_int CL_API_CALL clEnqueueFillBuffer(cl_command_queue q, cl_mem m, const void *pattern,
                                                    size_t psize, size_t off, size_t size, cl_uint nw,
                                                    const cl_event *wl, cl_event *ev)
{
    static cl_int (CL_API_CALL *real)(cl_command_queue, cl_mem, const void *, size_t, size_t, size_t, cl_uint,
                                      const cl_event *, cl_event *);
    REAL(real, "clEnqueueFillBuffer");
    trace.copies++;
    cl_event slot = NULL, *kept;
    int keep;
    cl_int err = real(q, m, pattern, psize, off, size, nw, wl, trace_event_ptr(ev, &slot, &keep, &kept));
    trace_event_after(err, keep, kept, &slot, "(fill)");
    return err;
}

CL_API_ENTRY cl_kernel CL_API_CALL clCreateKernel(cl_program p, const char *name, cl_int *err)
{
    static cl_kernel (CL_API_CALL *real)(cl_program, const char *, cl_int *);
    REAL(real, "clCreateKernel");
    trace.kernel_objects++;
    return real(p, name, err);
}

/* ---- CLBlast GEMMs: counted, and recorded while recording is on */

typedef struct trace_gemm {
    int batched;                         /* CLBlastSgemmStridedBatched, else CLBlastSgemm */
    CLBlastLayout layout;
    CLBlastTranspose ta, tb;
    size_t m, n, k, batch;
    float alpha, beta;
    cl_mem a, b, c;
    size_t a_off, a_ld, a_stride, b_off, b_ld, b_stride, c_off, c_ld, c_stride;
    cl_command_queue queue;
} trace_gemm;

static struct {
    int on;
    long count, cap;
    trace_gemm *calls;
} rec;

void ocl_trace_record(int on)
{
    rec.on = on;
    if (on)
        rec.count = 0;
}

long ocl_trace_recorded(void)
{
    return rec.count;
}

void ocl_trace_clear(void)
{
    free(rec.calls);
    memset(&rec, 0, sizeof rec);
}

static void trace_keep(const trace_gemm *g)
{
    if (!rec.on)
        return;
    if (rec.count == rec.cap)
        rec.calls = trace_grow(rec.calls, &rec.cap, sizeof *rec.calls);
    rec.calls[rec.count++] = *g;
}

typedef CLBlastStatusCode (*trace_sgemm_fn)(const CLBlastLayout, const CLBlastTranspose, const CLBlastTranspose,
                                            const size_t, const size_t, const size_t, const float, const cl_mem,
                                            const size_t, const size_t, const cl_mem, const size_t, const size_t,
                                            const float, cl_mem, const size_t, const size_t, cl_command_queue *,
                                            cl_event *);
typedef CLBlastStatusCode (*trace_batched_fn)(const CLBlastLayout, const CLBlastTranspose, const CLBlastTranspose,
                                              const size_t, const size_t, const size_t, const float, const cl_mem,
                                              const size_t, const size_t, const size_t, const cl_mem, const size_t,
                                              const size_t, const size_t, const float, cl_mem, const size_t,
                                              const size_t, const size_t, const size_t, cl_command_queue *,
                                              cl_event *);
static trace_sgemm_fn real_sgemm;
static trace_batched_fn real_batched;

/* The real call for a recorded (or interposed) GEMM. */
static CLBlastStatusCode trace_run(const trace_gemm *g, cl_command_queue *queue, cl_event *event)
{
    if (!g->batched) {
        REAL(real_sgemm, "CLBlastSgemm");
        return real_sgemm(g->layout, g->ta, g->tb, g->m, g->n, g->k, g->alpha, g->a, g->a_off, g->a_ld, g->b,
                          g->b_off, g->b_ld, g->beta, g->c, g->c_off, g->c_ld, queue, event);
    }
    REAL(real_batched, "CLBlastSgemmStridedBatched");
    return real_batched(g->layout, g->ta, g->tb, g->m, g->n, g->k, g->alpha, g->a, g->a_off, g->a_ld,
                        g->a_stride, g->b, g->b_off, g->b_ld, g->b_stride, g->beta, g->c, g->c_off, g->c_ld,
                        g->c_stride, g->batch, queue, event);
}

CLBlastStatusCode CLBlastSgemm(const CLBlastLayout layout, const CLBlastTranspose ta, const CLBlastTranspose tb,
                               const size_t m, const size_t n, const size_t k, const float alpha, const cl_mem a,
                               const size_t a_off, const size_t a_ld, const cl_mem b, const size_t b_off,
                               const size_t b_ld, const float beta, cl_mem c, const size_t c_off,
                               const size_t c_ld, cl_command_queue *queue, cl_event *event)
{
    trace_gemm g = { 0, layout, ta, tb, m, n, k, 1, alpha, beta, a, b, c,
                     a_off, a_ld, 0, b_off, b_ld, 0, c_off, c_ld, 0, queue ? *queue : NULL };
    trace.gemms++;
    trace_keep(&g);
    return trace_run(&g, queue, event);
}

CLBlastStatusCode CLBlastSgemmStridedBatched(const CLBlastLayout layout, const CLBlastTranspose ta,
                                             const CLBlastTranspose tb, const size_t m, const size_t n,
                                             const size_t k, const float alpha, const cl_mem a, const size_t a_off,
                                             const size_t a_ld, const size_t a_stride, const cl_mem b,
                                             const size_t b_off, const size_t b_ld, const size_t b_stride,
                                             const float beta, cl_mem c, const size_t c_off, const size_t c_ld,
                                             const size_t c_stride, const size_t batch, cl_command_queue *queue,
                                             cl_event *event)
{
    trace_gemm g = { 1, layout, ta, tb, m, n, k, batch, alpha, beta, a, b, c,
                     a_off, a_ld, a_stride, b_off, b_ld, b_stride, c_off, c_ld, c_stride, queue ? *queue : NULL };
    trace.gemms++;
    trace_keep(&g);
    return trace_run(&g, queue, event);
}

int ocl_trace_replay(void)
{
    for (long i = 0; i < rec.count; i++) {
        trace_gemm g = rec.calls[i];
        CLBlastStatusCode st = trace_run(&g, &g.queue, NULL);
        if (st != CLBlastSuccess)
            return (int)st;
    }
    return 0;
}

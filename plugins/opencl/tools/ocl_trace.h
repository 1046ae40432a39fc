/* Counting the OpenCL host calls of the OpenCL plugin and of CLBlast, and
 * replaying the CLBlast GEMMs a kernel call made (ocl_trace.c). A program
 * linked with ocl_trace.c and exporting its symbols (CMake ENABLE_EXPORTS)
 * interposes the OpenCL and CLBlast entry points: the plugin, loaded later
 * with dlopen, and libclblast resolve them to the program's definitions,
 * which count and forward to the real ones (dlsym RTLD_NEXT; the program
 * links libOpenCL and libclblast itself so that they are found). */
#ifndef SEQNN_OCL_TRACE_H
#define SEQNN_OCL_TRACE_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>
#include <stdio.h>

/* Counters since the program started (monotonic; callers take differences). */
typedef struct ocl_trace_counts {
    long waits;          /* clFinish, clWaitForEvents: the host waits for the device */
    long blocking;       /* reads, writes and maps with blocking = CL_TRUE */
    long transfers;      /* every read, write and map, blocking or not, and
                            buffers created from host memory */
    long polls;          /* clGetEventInfo, clGetEventProfilingInfo */
    long buffers;        /* clCreateBuffer */
    long launches;       /* clEnqueueNDRangeKernel */
    long copies;         /* clEnqueueCopyBuffer, clEnqueueFillBuffer */
    long kernel_objects; /* clCreateKernel */
    long gemms;          /* CLBlastSgemm, CLBlastSgemmStridedBatched */
} ocl_trace_counts;

void ocl_trace_get(ocl_trace_counts *out);
/* The host round trips among counts: waits + blocking transfers. */
long ocl_trace_round_trips(const ocl_trace_counts *c);

/* Recording: while on, every CLBlast GEMM call is kept (arguments and
 * queue) as well as run; ocl_trace_record(1) starts a new list. */
void ocl_trace_record(int on);
long ocl_trace_recorded(void);
/* Enqueues the recorded GEMMs again, in order, on their queues (the same
 * buffers: they must still exist). 0 on success, else the CLBlast status. */
int ocl_trace_replay(void);
/* Frees the recorded list. */
void ocl_trace_clear(void);

/* Device time per kernel: ocl_trace_profile_queues(1) before the context is
 * created makes its queues profiling ones; between ocl_trace_profile(1) and
 * ocl_trace_profile(0) every launch, fill and copy gets an event; after the
 * work is done, ocl_trace_profile_report prints the time per kernel name
 * (fills and copies as "(fill)", "(copy)"), most first, and forgets them. */
void ocl_trace_profile_queues(int on);
void ocl_trace_profile(int on);
void ocl_trace_profile_report(FILE *out, const char *title);

#endif

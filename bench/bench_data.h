/* The input values of seqnn's timing programs that run kernels through the
 * public API (`seqnn bench`'s own runs, cli/bench_ours.c, and the OpenCL
 * plugin's seqnn-ocl-rnn-probe): deterministic, the same in every program,
 * written in chunks so that a big buffer needs little host memory.
 * Header-only, like bench_timer.h beside it. */
#ifndef SEQNN_BENCH_DATA_H
#define SEQNN_BENCH_DATA_H

#include "seqnn/seqnn.h"

/* b[0, count) of a float32 buffer = uniform values in [-scale, scale) drawn
 * from a 32-bit linear congruential generator started at seed. */
static inline seqnn_status bench_fill_uniform(seqnn_context *ctx, seqnn_buffer *b, int64_t count, unsigned seed,
                                              float scale)
{
    float tmp[4096];
    seqnn_status st = SEQNN_OK;
    for (int64_t off = 0; off < count && st == SEQNN_OK; off += 4096) {
        int64_t len = count - off < 4096 ? count - off : 4096;
        for (int64_t i = 0; i < len; i++) {
            seed = seed * 1664525u + 1013904223u;
            tmp[i] = (float)(((double)(seed >> 8) * (1.0 / 16777216.0) * 2.0 - 1.0) * scale);
        }
        st = seqnn_buffer_write(ctx, b, off, tmp, len);
    }
    return st;
}

#endif

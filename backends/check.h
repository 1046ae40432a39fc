/* Argument checks run by the core before a kernel reaches a plugin: one
 * seqnn_check_<kernel>() per catalogue entry (backends/check_*.c) built from
 * the helpers below. A failed check writes a message naming the argument
 * ("gemm: c: needs 35 elements from offset 0, buffer has 30") and returns
 * SEQNN_ERR_INVALID_ARG; nothing has been written by then. */
#ifndef SEQNN_BACKENDS_CHECK_H
#define SEQNN_BACKENDS_CHECK_H

#include <stddef.h>
#include "seqnn/kernels.h"
#include "seqnn/status.h"

/* The tensors a check saw, of any type, with the elements they touch
 * (SEQNN_CHECK_NUMERICS looks at the float ones; a chain of devices copies
 * each to the device that runs the call). overflow: more tensors than fit
 * (the log is then incomplete). */
#define SEQNN_TENSOR_LOG_MAX 32
typedef struct seqnn_tensor_log {
    int n;
    int overflow;
    struct {
        const char *name;
        seqnn_tref t;
        int64_t extent;
        seqnn_dtype dtype;
    } t[SEQNN_TENSOR_LOG_MAX];
} seqnn_tensor_log;

typedef struct seqnn_checker {
    const char *kernel;                  /* kernel name, prefixes messages */
    char *msg;
    size_t msg_size;
    const void *owner;                   /* buffers must have this owner (NULL: any) */
    seqnn_tensor_log *log;               /* NULL, or where seqnn_check_tensor lists float tensors */
} seqnn_checker;

/* Returns from the enclosing function when a check fails. */
#define SEQNN_CHECK(expr) do { seqnn_status s_ = (expr); if (s_ != SEQNN_OK) return s_; } while (0)

/* printf-style failure: "<kernel>: <message>", returns SEQNN_ERR_INVALID_ARG. */
seqnn_status seqnn_check_fail(const seqnn_checker *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A tensor the kernel touches at element offsets [0, extent) from t.off.
 * required: absent (t.buf == NULL) is an error; otherwise absent is fine.
 * Checks: buffer alive (magic), owner, dtype, off >= 0, off + extent <= count.
 * extent 0 touches nothing (still checks the buffer when present). */
seqnn_status seqnn_check_tensor(const seqnn_checker *c, const char *name, seqnn_tref t,
                                seqnn_dtype dtype, int64_t extent, int required);
/* The element ranges [a.off, a.off + extent_a) and [b.off, b.off + extent_b)
 * do not share an element (trivially so in different buffers or when either
 * is absent or empty); fails with "<name_a> overlaps <name_b> (...)". */
seqnn_status seqnn_check_disjoint(const seqnn_checker *c, const char *name_a, seqnn_tref a, int64_t extent_a,
                                  const char *name_b, seqnn_tref b, int64_t extent_b);
/* value >= min */
seqnn_status seqnn_check_min(const seqnn_checker *c, const char *name, int64_t value, int64_t min);
/* only bits of `allowed` in flags */
seqnn_status seqnn_check_flags(const seqnn_checker *c, uint32_t flags, uint32_t allowed);
/* a finite double in [lo, hi] */
seqnn_status seqnn_check_range(const seqnn_checker *c, const char *name, double value,
                               double lo, double hi);

/* Extent (highest touched index + 1) of a strided box: dims[i] elements with
 * stride strides[i]; 0 if any dim is 0; INT64_MAX on overflow or a negative
 * stride (so that the extent check fails). */
int64_t seqnn_extent(int n, const int64_t *dims, const int64_t *strides);
/* rows x cols with row stride ld */
int64_t seqnn_extent_2d(int64_t rows, int64_t cols, int64_t ld);
/* The same, counting every row's start even when cols is 0: kernels form a
 * pointer to each row (x + r*ld), which must stay inside the buffer. */
int64_t seqnn_extent_rows(int64_t rows, int64_t cols, int64_t ld);
/* a * b, saturating at INT64_MAX (for negative inputs: INT64_MAX too) */
int64_t seqnn_mul_sat(int64_t a, int64_t b);

/* One per kernel. */
#define SEQNN_KERNEL(name, args, doc) seqnn_status seqnn_check_##name(const seqnn_checker *c, const args *a);
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL

#endif

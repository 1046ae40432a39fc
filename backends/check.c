/* Helpers of the argument checks (check.h): tensors, dimensions, flags. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include "check.h"

seqnn_status seqnn_check_fail(const seqnn_checker *c, const char *fmt, ...)
{
    if (c->msg && c->msg_size) {
        int n = snprintf(c->msg, c->msg_size, "%s: ", c->kernel ? c->kernel : "kernel");
        if (n < 0 || (size_t)n >= c->msg_size)
            n = 0;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->msg + n, c->msg_size - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return SEQNN_ERR_INVALID_ARG;
}

static const char *dtype_name(seqnn_dtype t)
{
    switch (t) {
    case SEQNN_F32: return "float32";
    case SEQNN_I32: return "int32";
    case SEQNN_F64: return "float64";
    }
    return "unknown";
}

seqnn_status seqnn_check_tensor(const seqnn_checker *c, const char *name, seqnn_tref t,
                                seqnn_dtype dtype, int64_t extent, int required)
{
    if (!t.buf) {
        if (required)
            return seqnn_check_fail(c, "%s: required tensor is missing (NULL buffer)", name);
        return SEQNN_OK;
    }
    if (t.buf->magic != SEQNN_BUFFER_MAGIC)
        return seqnn_check_fail(c, "%s: not a live seqnn buffer (freed or corrupt)", name);
    if (c->owner && t.buf->owner != c->owner)
        return seqnn_check_fail(c, "%s: buffer belongs to another context", name);
    if (t.buf->dtype != dtype)
        return seqnn_check_fail(c, "%s: buffer holds %s, the kernel needs %s", name,
                                dtype_name(t.buf->dtype), dtype_name(dtype));
    if (t.off < 0)
        return seqnn_check_fail(c, "%s: negative offset %lld", name, (long long)t.off);
    if (extent < 0 || extent == INT64_MAX)
        return seqnn_check_fail(c, "%s: shape or strides overflow or are negative", name);
    if (t.off > t.buf->count || extent > t.buf->count - t.off)
        return seqnn_check_fail(c, "%s: needs %lld elements from offset %lld, buffer has %lld", name,
                                (long long)extent, (long long)t.off, (long long)t.buf->count);
    if (c->log && extent > 0) {
        if (c->log->n == SEQNN_TENSOR_LOG_MAX) {
            c->log->overflow = 1;
        } else {
            c->log->t[c->log->n].name = name;
            c->log->t[c->log->n].t = t;
            c->log->t[c->log->n].extent = extent;
            c->log->t[c->log->n].dtype = dtype;
            c->log->n++;
        }
    }
    return SEQNN_OK;
}

seqnn_status seqnn_check_disjoint(const seqnn_checker *c, const char *name_a, seqnn_tref a, int64_t extent_a,
                                  const char *name_b, seqnn_tref b, int64_t extent_b)
{
    if (a.buf && a.buf == b.buf && extent_a > 0 && extent_b > 0 && a.off < b.off + extent_b &&
        b.off < a.off + extent_a)
        return seqnn_check_fail(c, "%s overlaps %s (elements [%lld, %lld) and [%lld, %lld) of one buffer)", name_a,
                                name_b, (long long)a.off, (long long)(a.off + extent_a), (long long)b.off,
                                (long long)(b.off + extent_b));
    return SEQNN_OK;
}

seqnn_status seqnn_check_min(const seqnn_checker *c, const char *name, int64_t value, int64_t min)
{
    if (value < min)
        return seqnn_check_fail(c, "%s = %lld, must be >= %lld", name, (long long)value, (long long)min);
    return SEQNN_OK;
}

seqnn_status seqnn_check_flags(const seqnn_checker *c, uint32_t flags, uint32_t allowed)
{
    if (flags & ~allowed)
        return seqnn_check_fail(c, "flags: unknown bits 0x%x", (unsigned)(flags & ~allowed));
    return SEQNN_OK;
}

seqnn_status seqnn_check_range(const seqnn_checker *c, const char *name, double value,
                               double lo, double hi)
{
    if (!isfinite(value) || value < lo || value > hi)
        return seqnn_check_fail(c, "%s = %g, must be a finite value in [%g, %g]", name, value, lo, hi);
    return SEQNN_OK;
}

int64_t seqnn_mul_sat(int64_t a, int64_t b)
{
    if (a < 0 || b < 0)
        return INT64_MAX;
    if (a != 0 && b > INT64_MAX / a)
        return INT64_MAX;
    return a * b;
}

int64_t seqnn_extent(int n, const int64_t *dims, const int64_t *strides)
{
    int64_t last = 0;
    for (int i = 0; i < n; i++) {
        if (dims[i] < 0 || strides[i] < 0)
            return INT64_MAX;
        if (dims[i] == 0)
            return 0;
    }
    for (int i = 0; i < n; i++) {
        int64_t span = seqnn_mul_sat(dims[i] - 1, strides[i]);
        if (span == INT64_MAX || last >= INT64_MAX - span)   /* last + span + 1 must fit */
            return INT64_MAX;
        last += span;
    }
    return last + 1;
}

int64_t seqnn_extent_2d(int64_t rows, int64_t cols, int64_t ld)
{
    int64_t dims[2] = {rows, cols}, strides[2] = {ld, 1};
    return seqnn_extent(2, dims, strides);
}

int64_t seqnn_extent_rows(int64_t rows, int64_t cols, int64_t ld)
{
    return seqnn_extent_2d(rows, cols > 0 ? cols : 1, ld);
}

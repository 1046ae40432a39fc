/* Status names, the per-thread last error, and logging to stderr (SEQNN_LOG). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static _Thread_local char last_error[SEQNN_MSG_SIZE];

const char *seqnn_status_name(seqnn_status status)
{
    switch (status) {
    case SEQNN_OK: return "SEQNN_OK";
    case SEQNN_ERR_INVALID_ARG: return "SEQNN_ERR_INVALID_ARG";
    case SEQNN_ERR_UNSUPPORTED: return "SEQNN_ERR_UNSUPPORTED";
    case SEQNN_ERR_NO_MEMORY: return "SEQNN_ERR_NO_MEMORY";
    case SEQNN_ERR_DEVICE: return "SEQNN_ERR_DEVICE";
    case SEQNN_ERR_NOT_FOUND: return "SEQNN_ERR_NOT_FOUND";
    case SEQNN_ERR_ABI: return "SEQNN_ERR_ABI";
    case SEQNN_ERR_IO: return "SEQNN_ERR_IO";
    case SEQNN_ERR_FORMAT: return "SEQNN_ERR_FORMAT";
    case SEQNN_ERR_NUMERIC: return "SEQNN_ERR_NUMERIC";
    case SEQNN_ERR_INTERNAL: return "SEQNN_ERR_INTERNAL";
    }
    return "unknown status";
}

const char *seqnn_last_error(void)
{
    return last_error;
}

seqnn_status seqnn_set_error(seqnn_context *ctx, seqnn_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    if (ctx)
        memcpy(ctx->error, last_error, sizeof ctx->error);
    seqnn_log(SEQNN_LOG_DEBUG, "%s: %s", seqnn_status_name(status), last_error);
    return status;
}

/* SEQNN_LOG: error, warn (the default), info or debug; another value is
 * warned about once and read as warn. */
static seqnn_log_level log_threshold(void)
{
    static atomic_int warned;
    const char *v = secure_getenv("SEQNN_LOG");
    if (!v || !*v || !strcmp(v, "warn")) return SEQNN_LOG_WARN;
    if (!strcmp(v, "error")) return SEQNN_LOG_ERROR;
    if (!strcmp(v, "info")) return SEQNN_LOG_INFO;
    if (!strcmp(v, "debug")) return SEQNN_LOG_DEBUG;
    if (!atomic_exchange(&warned, 1))
        fprintf(stderr, "seqnn warn: SEQNN_LOG=%s is not a log level (error, warn, info, debug): using warn\n", v);
    return SEQNN_LOG_WARN;
}

void seqnn_log(seqnn_log_level level, const char *fmt, ...)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    if (level > log_threshold())
        return;
    char line[SEQNN_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "seqnn %s: %s\n", names[level], line);
}

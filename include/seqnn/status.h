/* seqnn status codes, shared by the public API and the plugin ABI. */
#ifndef SEQNN_STATUS_H
#define SEQNN_STATUS_H

#include "seqnn/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum seqnn_status {
    SEQNN_OK = 0,
    SEQNN_ERR_INVALID_ARG = 1,   /* a null pointer, a bad shape, an extent past a buffer, unknown flags */
    SEQNN_ERR_UNSUPPORTED = 2,   /* the plugin lacks this kernel or this case of it */
    SEQNN_ERR_NO_MEMORY = 3,     /* host or device allocation failed */
    SEQNN_ERR_DEVICE = 4,        /* the device or its driver failed (OpenCL error, ...) */
    SEQNN_ERR_NOT_FOUND = 5,     /* no such plugin, device, file or name */
    SEQNN_ERR_ABI = 6,           /* a plugin of another ABI major version or a broken plugin */
    SEQNN_ERR_IO = 7,            /* reading or writing a file failed */
    SEQNN_ERR_FORMAT = 8,        /* a malformed file (model, checkpoint, data) */
    SEQNN_ERR_NUMERIC = 9,       /* NaN or infinity where checking is on */
    SEQNN_ERR_INTERNAL = 10      /* a bug in seqnn */
} seqnn_status;

/* "SEQNN_ERR_INVALID_ARG", ... ("unknown status" for other values). */
SEQNN_API const char *seqnn_status_name(seqnn_status status);

#ifdef __cplusplus
}
#endif

#endif /* SEQNN_STATUS_H */

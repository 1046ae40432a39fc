/* Caller-allocated structs that grow by appending fields (seqnn_distributed_options,
 * seqnn_onnx_info): the first field is `uint32_t size`, sizeof(the struct) as the
 * caller's header declared it, 0 standing for the first version. */
#ifndef SEQNN_FE_VERSIONED_H
#define SEQNN_FE_VERSIONED_H

#include <stddef.h>
#include "seqnn/status.h"

/* The end of a struct's field (offset + size): a version's byte count. */
#define FE_FIELD_END(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/* *n = the bytes of the caller's struct s: its size field, or `first` (the
 * first version's bytes) when that is 0. Refuses a size between 1 and first
 * (SEQNN_ERR_INVALID_ARG: uninitialised, not a version) and a larger struct
 * with a nonzero byte past `known`, the bytes this library knows
 * (SEQNN_ERR_UNSUPPORTED: a newer header sets a field this library would
 * ignore). `what` names the struct in messages ("seqnn_model_set_distributed:
 * the options"), `init` its init function. */
seqnn_status fe_versioned_size(const void *s, size_t first, size_t known, const char *what, const char *init,
                               size_t *n);

#endif

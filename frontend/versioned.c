/* The size check of caller-allocated, versioned structs (versioned.h). */
#include <stdint.h>
#include <string.h>
#include "internal.h"
#include "versioned.h"

seqnn_status fe_versioned_size(const void *s, size_t first, size_t known, const char *what, const char *init,
                               size_t *n)
{
    uint32_t size;
    memcpy(&size, s, sizeof size);
    *n = size ? size : first;
    if (*n < first)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "%s: size %zu is below the first version's %zu (set it with %s, or leave it 0)", what,
                               *n, first, init);
    const unsigned char *tail = s;
    for (size_t i = known; i < *n; i++)
        if (tail[i])
            return seqnn_set_error(NULL, SEQNN_ERR_UNSUPPORTED,
                                   "%s (%zu bytes) set a field this libseqnn does not know (at byte %zu; it knows "
                                   "%zu bytes): a newer header than the library", what, *n, i, known);
    return SEQNN_OK;
}

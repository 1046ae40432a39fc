/* A plugin as built against ABI 1.2: old_minor_plugin.c with a vtable that
 * ends after the last kernel of 1.2 (lstm_variant_backward), so that it lacks
 * the kernels of 1.3 (conv1d_max_forward). Its kernels are the reference
 * ones; tests/test_conv_fused.c trains the same conv bank here (the unfused
 * calls) and on the ref plugin (the fused kernel) and compares the bits. */
#include <stddef.h>
#include "seqnn/plugin.h"

#define OLD_MINOR 2
#define OLD_VTABLE_END \
    (offsetof(seqnn_plugin_api, lstm_variant_backward) + sizeof(((seqnn_plugin_api *)0)->lstm_variant_backward))
#define OLD_NAME "minor2"
#include "old_minor_plugin.c"

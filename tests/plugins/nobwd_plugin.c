/* A plugin of ABI 1.3 that has conv1d_max_forward but not
 * conv1d_max_backward: old_minor_plugin.c with a vtable that ends before
 * conv1d_max_backward (the reference kernels). tests/test_conv_fused.c trains
 * conv banks on it through the fused forward and the backward's fallback
 * (maxpool_backward's scatter and conv1d_backward). */
#include <stddef.h>
#include "seqnn/plugin.h"

#define OLD_MINOR 3
#define OLD_VTABLE_END offsetof(seqnn_plugin_api, conv1d_max_backward)
#define OLD_NAME "nobwd"
#include "old_minor_plugin.c"

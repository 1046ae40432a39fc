/* The reference kernels instantiated for float: the "ref" plugin's kernels. */
#define real float
#define REF(name) seqnn_ref_f32_##name
#include "ref_kernels.h"
#include "ref_impl.h"

/* The reference kernels instantiated for double: the conformance oracle. */
#define real double
#define REF(name) seqnn_ref_f64_##name
#include "ref_kernels.h"
#include "ref_impl.h"

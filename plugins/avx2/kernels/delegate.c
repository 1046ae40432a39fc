/* Kernels of the SIMD plugins that are not vectorised (none at present): each delegates to
 * the float reference kernel (seqnn_ref_f32_<kernel>, plugins/ref), so the
 * vtable has no NULL slot and results are the reference's. docs/avx2.md lists
 * them; simd_delegated_kernels names them at run time. */
#include <stddef.h>
#include "ref_kernels.h"
#include "simd_kernels.h"

/* Every kernel is vectorised now; the list stays for kernels added to the
 * catalogue later (X(name, args_type) per kernel). attention_backward still
 * calls the reference for bilinear and additive scores (kernels/attention.c). */
#define SIMD_DELEGATED_LIST(X)

#define SIMD_DELEGATE(name, args) \
    seqnn_status simd_##name(const seqnn_call *call, const args *a) \
    { \
        return seqnn_ref_f32_##name(call, a); \
    }
SIMD_DELEGATED_LIST(SIMD_DELEGATE)
#undef SIMD_DELEGATE

#define SIMD_DELEGATE_NAME(name, args) #name,
const char *const simd_delegated_kernels[] = { SIMD_DELEGATED_LIST(SIMD_DELEGATE_NAME) NULL };
#undef SIMD_DELEGATE_NAME

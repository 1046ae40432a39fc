/* Development aid only (-DSEQNN_DEV_WEAK=ON, never in CI): weak stand-ins so
 * that a tree with some kernel families still unwritten links. Each stand-in
 * fails loudly: kernels answer SEQNN_ERR_UNSUPPORTED, checks refuse, and tests
 * fail, so the conformance suite counts every one of them as a failure. */
#include "seqnn/plugin.h"
#include "../backends/check.h"
#include "../plugins/ref/ref_kernels.h"

typedef struct cf_run cf_run;
void cf_fail(cf_run *r, const char *fmt, ...);

#if defined(SEQNN_WEAK_CHECKS)
#define SEQNN_KERNEL(name, args, doc) \
    __attribute__((weak)) seqnn_status seqnn_check_##name(const seqnn_checker *c, const args *a) \
    { (void)a; return seqnn_check_fail(c, "no argument check written yet"); }
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
#endif

#if defined(SEQNN_WEAK_REF)
#define SEQNN_KERNEL(name, args, doc) \
    __attribute__((weak)) seqnn_status seqnn_ref_f32_##name(const seqnn_call *call, const args *a) \
    { (void)a; return seqnn_plugin_fail(call, SEQNN_ERR_UNSUPPORTED, "not written yet"); } \
    __attribute__((weak)) seqnn_status seqnn_ref_f64_##name(const seqnn_call *call, const args *a) \
    { (void)a; return seqnn_plugin_fail(call, SEQNN_ERR_UNSUPPORTED, "not written yet"); }
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
#endif

#if defined(SEQNN_WEAK_TESTS)
#define SEQNN_KERNEL(name, args, doc) \
    void cf_test_##name(cf_run *r); \
    __attribute__((weak)) void cf_test_##name(cf_run *r) { cf_fail(r, "no conformance test written yet"); }
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
#endif

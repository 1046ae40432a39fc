/* An example partial plugin: a vendor's first day. It implements only what
 * dominates training time on a recurrent model, GEMM and the recurrent layer
 * forward and backward (gemm, rnn_forward, rnn_backward), and leaves every
 * other kernel slot NULL. It is the template (plugins/template) with a
 * shorter kernel list: the same device and buffer code (device.c) and the
 * same kernels (kernels/blas.c, kernels/rnn.c), whose recurrent cells go
 * through the template's one GEMM helper, so a vendor who puts a device GEMM
 * there speeds up the cells too.
 *
 * `seqnn conformance --plugin PATH/libseqnn-partial.so` certifies it as
 * "partial: 3 of 37 kernels, all passed" with the other kernels listed as
 * absent. Built with -DPARTIAL_DEFECT=1 (tests only) its rnn_backward is
 * deliberately wrong, and certification must fail it. */
#include "template.h"

#ifdef PARTIAL_DEFECT
/* rnn_backward with dW_hh off by a relative 1e-3 (test builds only) */
static seqnn_status partial_wrong_rnn_backward(const seqnn_call *call, const seqnn_rnn_args *a)
{
    seqnn_status s = tpl_rnn_backward(call, a);
    const int64_t n = seqnn_cell_gates(a->cell) * a->hidden_size * a->hidden_size;
    for (int64_t i = 0; s == SEQNN_OK && TPL_HAS(a->dw_hh) && i < n; i++)
        TPL_F(a->dw_hh)[i] *= 1.001f;
    return s;
}
#endif

static seqnn_plugin_api partial_api;

/* The one exported symbol (the build hides every other one). */
__attribute__((visibility("default"))) const seqnn_plugin_api *seqnn_plugin_entry(void);

const seqnn_plugin_api *seqnn_plugin_entry(void)
{
    seqnn_plugin_api *api = &partial_api;
    tpl_api_shell(api, "partial", "0.1.0", "example partial plugin: gemm and the recurrent layer only");
    api->gemm = tpl_gemm;                /* kernels/blas.c: the GEMM helper every product goes through */
    api->rnn_forward = tpl_rnn_forward;  /* kernels/rnn.c */
#ifdef PARTIAL_DEFECT
    api->rnn_backward = partial_wrong_rnn_backward;
#else
    api->rnn_backward = tpl_rnn_backward;
#endif
    return api;
}

/* The template plugin's entry: the exported symbol and the vtable that
 * points at the kernels of kernels/ (one file per family); the rest of the
 * vtable (devices, buffers) comes from device.c. Copy this directory, then
 * change every place marked VENDOR: (docs/plugin-guide.md in the seqnn
 * sources explains each rule used here).
 *
 * As shipped it is a complete CPU plugin in plain C: one device, buffers in
 * host memory, every kernel of the catalogue, synchronous. It passes
 * `seqnn conformance --plugin /path/to/libseqnn-template.so`. */
#include "template.h"

/* VENDOR: your plugin's short name. Users select it with SEQNN_BACKEND=<name>
 * and it must differ from every other plugin's (the first one found wins).
 * Name the built file libseqnn-<name>.so (CMakeLists.txt, Makefile) so that
 * discovery finds it. */
#define TPL_NAME "template"
#define TPL_VERSION "0.1.0"              /* VENDOR: your plugin's own version */

static seqnn_plugin_api tpl_api;

/* The one exported symbol (the build hides every other one). */
__attribute__((visibility("default"))) const seqnn_plugin_api *seqnn_plugin_entry(void);

const seqnn_plugin_api *seqnn_plugin_entry(void)
{
    seqnn_plugin_api *api = &tpl_api;
    /* VENDOR: one line shown by seqnn info */
    tpl_api_shell(api, TPL_NAME, TPL_VERSION, "vendor template: every kernel in plain C loops (copy me)");

    /* Kernels. VENDOR: replace each by your device's version as you write it.
     * A slot left NULL is "not implemented": the core answers
     * SEQNN_ERR_UNSUPPORTED without calling you, and certification lists the
     * kernel as absent: start with the kernels that matter on your device
     * and add the others as you go (plugins/partial in the seqnn sources has
     * only gemm and the recurrent kernels). A kernel that handles only some
     * cases returns seqnn_plugin_fail(call, SEQNN_ERR_UNSUPPORTED, "why") for
     * the others. */
    api->gemm = tpl_gemm;                              /* kernels/blas.c */
    api->bias_add = tpl_bias_add;
    api->bias_backward = tpl_bias_backward;
    api->act_forward = tpl_act_forward;                /* kernels/elementwise.c */
    api->act_backward = tpl_act_backward;
    api->add = tpl_add;
    api->mul = tpl_mul;
    api->scale = tpl_scale;
    api->softmax_forward = tpl_softmax_forward;
    api->softmax_backward = tpl_softmax_backward;
    api->xent_forward = tpl_xent_forward;              /* kernels/loss.c */
    api->xent_backward = tpl_xent_backward;
    api->mse_forward = tpl_mse_forward;
    api->mse_backward = tpl_mse_backward;
    api->bce_forward = tpl_bce_forward;
    api->bce_backward = tpl_bce_backward;
    api->embedding_forward = tpl_embedding_forward;    /* kernels/elementwise.c */
    api->embedding_backward = tpl_embedding_backward;
    api->dropout_forward = tpl_dropout_forward;
    api->dropout_backward = tpl_dropout_backward;
    api->rnn_forward = tpl_rnn_forward;                /* kernels/rnn.c */
    api->rnn_backward = tpl_rnn_backward;
    api->cell_forward = tpl_cell_forward;
    api->cell_backward = tpl_cell_backward;
    api->conv1d_forward = tpl_conv1d_forward;          /* kernels/conv.c */
    api->conv1d_backward = tpl_conv1d_backward;
    api->maxpool_forward = tpl_maxpool_forward;
    api->maxpool_backward = tpl_maxpool_backward;
    api->attention_forward = tpl_attention_forward;    /* kernels/attention.c */
    api->attention_backward = tpl_attention_backward;
    api->sgd_step = tpl_sgd_step;                      /* kernels/optim.c */
    api->rmsprop_step = tpl_rmsprop_step;
    api->adam_step = tpl_adam_step;
    api->adagrad_step = tpl_adagrad_step;
    api->sumsq = tpl_sumsq;
    api->clip_scale = tpl_clip_scale;
    api->maxpool_lengths_forward = tpl_maxpool_lengths_forward;   /* kernels/conv.c */
    api->xent_ext_forward = tpl_xent_ext_forward;      /* kernels/loss.c */
    api->xent_ext_backward = tpl_xent_ext_backward;
    api->lstm_variant_forward = tpl_lstm_variant_forward;     /* kernels/lstm_variant.c */
    api->lstm_variant_backward = tpl_lstm_variant_backward;
    api->conv1d_max_forward = tpl_conv1d_max_forward;        /* kernels/conv.c */
    api->conv1d_max_backward = tpl_conv1d_max_backward;
    api->copy2d = tpl_copy2d;                          /* kernels/elementwise.c */
    return api;
}

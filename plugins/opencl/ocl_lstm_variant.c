/* LSTM variants on the device (peepholes, coupled gates, projection). */
#include "ocl.h"

seqnn_status ocl_k_lstm_variant_forward(const seqnn_call *call, const seqnn_lstm_variant_args *a)
{
    (void)a;
    return seqnn_plugin_fail(call, SEQNN_ERR_UNSUPPORTED, "lstm_variant_forward: not implemented on OpenCL yet");
}

seqnn_status ocl_k_lstm_variant_backward(const seqnn_call *call, const seqnn_lstm_variant_args *a)
{
    (void)a;
    return seqnn_plugin_fail(call, SEQNN_ERR_UNSUPPORTED, "lstm_variant_backward: not implemented on OpenCL yet");
}

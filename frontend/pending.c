/* Development placeholder: layer kinds and entry points still being written
 * (conv1d bank, attention, encoder-decoder decoding). Each reports
 * SEQNN_ERR_UNSUPPORTED; this file goes away as they land. */
#include "fe.h"

static seqnn_status pending_build(seqnn_model *m, fe_layer *L)
{
    (void)m;
    return seqnn_set_error(NULL, SEQNN_ERR_UNSUPPORTED, "layer kind '%s' is not implemented yet", L->ops->kind);
}

const fe_layer_ops fe_conv1d_bank_ops = {"conv1d_bank", pending_build, NULL, NULL, NULL, NULL};
const fe_layer_ops fe_attention_ops = {"attention", pending_build, NULL, NULL, NULL, NULL};

seqnn_status seqnn_model_attention_weights(seqnn_model *m, const char *layer, float *out, int64_t count,
                                           int64_t dims[4])
{
    (void)m; (void)layer; (void)out; (void)count; (void)dims;
    return seqnn_set_error(NULL, SEQNN_ERR_UNSUPPORTED, "attention weights: not implemented yet");
}

seqnn_status seqnn_model_translate(seqnn_model *m, const int32_t *src, int64_t src_len, int32_t bos,
                                   int32_t eos, int64_t max_len, int32_t *out, int64_t *out_len)
{
    (void)m; (void)src; (void)src_len; (void)bos; (void)eos; (void)max_len; (void)out; (void)out_len;
    return seqnn_set_error(NULL, SEQNN_ERR_UNSUPPORTED, "translate: not implemented yet");
}

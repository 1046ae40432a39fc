/* Line-oriented data formats (classify, tag, translate, regress): being
 * written; reports SEQNN_ERR_UNSUPPORTED until then. */
#include "data.h"

seqnn_status seqnn_set_error(void *ctx, seqnn_status status, const char *fmt, ...);

seqnn_status cli_data_open_lines(const char *format, const char *path, int words,
                                 const seqnn_train_config *cfg, const cli_vocab *vocab,
                                 const cli_vocab *tgt_vocab, cli_data **out)
{
    (void)path; (void)words; (void)cfg; (void)vocab; (void)tgt_vocab;
    *out = NULL;
    return seqnn_set_error(NULL, SEQNN_ERR_UNSUPPORTED, "data format '%s' is not implemented yet", format);
}

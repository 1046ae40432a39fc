/* Every example's model file parses and builds on the reference plugin
 * (the sizes the data would give stand in as $vocab, $classes, ...).
 * usage: test_example_models MODEL_FILE... */
#include <stdio.h>
#include "seqnn/model.h"
#include "seqnn/modelfile.h"

int main(int argc, char **argv)
{
    seqnn_modelfile_var vars[] = {{"vocab", 50}, {"src_vocab", 50}, {"classes", 5}, {"tgt_vocab", 20}};
    seqnn_context *ctx = NULL;
    if (seqnn_context_create("ref", &ctx) != SEQNN_OK) {
        printf("FAIL: the ref plugin: %s\n", seqnn_last_error());
        return 1;
    }
    int fails = 0;
    for (int i = 1; i < argc; i++) {
        seqnn_model *m = NULL;
        seqnn_train_config cfg;
        if (seqnn_modelfile_load(argv[i], vars, 4, &m, &cfg) != SEQNN_OK ||
            seqnn_model_build(m, ctx, cfg.seed) != SEQNN_OK) {
            printf("FAIL: %s: %s\n", argv[i], seqnn_last_error());
            fails++;
        } else {
            printf("ok: %s (%lld parameters)\n", argv[i], (long long)seqnn_model_param_total(m));
        }
        seqnn_model_destroy(m);
    }
    seqnn_context_destroy(ctx);
    printf("%d model files, %d failed\n", argc - 1, fails);
    return fails ? 1 : 0;
}

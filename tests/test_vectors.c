/* Pretrained word vectors into an embedding (seqnn_model_load_vectors): the
 * rows of known tokens are replaced (word2vec header or GloVe style), the
 * others and the padding row are kept, and bad files fail naming the line
 * with the embedding unchanged. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "seqnn/model.h"

static int failures;

static void expect(int cond, const char *what)
{
    printf("%s: %s\n", cond ? "ok" : "FAIL", what);
    failures += !cond;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    char path[1024];
    snprintf(path, sizeof path, "%s/vectors.txt", dir);
    seqnn_context *ctx;
    seqnn_model *m;
    if (seqnn_context_create("ref", &ctx) || seqnn_model_create(&m) || seqnn_model_input_tokens(m, 5) ||
        seqnn_model_add_embedding(m, "embed", 3, 0) || seqnn_model_add_dense(m, "fc", 2) ||
        seqnn_model_build(m, ctx, 1)) {
        fprintf(stderr, "%s\n", seqnn_last_error());
        return 1;
    }
    const char *tokens[5] = {"<pad>", "<unk>", "cat", "dog", "fish"};
    float before[15], after[15];
    seqnn_model_param_read(m, 0, before, 15);
    write_file(path, "4 3\ncat 1 2 3\nbird 7 7 7\n<pad> 9 9 9\nfish -1 0.5 2e-1\n");
    int64_t found = -1;
    expect(seqnn_model_load_vectors(m, NULL, path, tokens, 5, &found) == SEQNN_OK, "word2vec file loads");
    seqnn_model_param_read(m, 0, after, 15);
    expect(found == 2, "two rows found (cat, fish; not the padding row)");
    expect(after[6] == 1 && after[7] == 2 && after[8] == 3, "cat's row replaced");
    expect(after[12] == -1 && after[13] == 0.5f && after[14] == 0.2f, "fish's row replaced");
    expect(!memcmp(after, before, 6 * sizeof *after) && !memcmp(after + 9, before + 9, 3 * sizeof *after),
           "padding, <unk> and dog rows kept");
    write_file(path, "dog 4 5 6\n");
    expect(seqnn_model_load_vectors(m, "embed", path, tokens, 5, &found) == SEQNN_OK && found == 1,
           "GloVe style (no header), by layer name");
    seqnn_model_param_read(m, 0, before, 15);
    write_file(path, "dog 1 1 1\ncat 1 2\n");
    expect(seqnn_model_load_vectors(m, NULL, path, tokens, 5, &found) == SEQNN_ERR_FORMAT &&
               strstr(seqnn_last_error(), "vectors.txt:2:"),
           "a short vector fails naming line 2");
    printf("  %s\n", seqnn_last_error());
    write_file(path, "dog 1 x 1\n");
    expect(seqnn_model_load_vectors(m, NULL, path, tokens, 5, &found) == SEQNN_ERR_FORMAT &&
               strstr(seqnn_last_error(), "vectors.txt:1:"),
           "a non-number fails naming line 1");
    seqnn_model_param_read(m, 0, after, 15);
    expect(!memcmp(after, before, sizeof after), "a failed load leaves the embedding unchanged");
    expect(seqnn_model_load_vectors(m, NULL, "/nonexistent/v.txt", tokens, 5, &found) == SEQNN_ERR_IO,
           "a missing file fails");
    expect(seqnn_model_load_vectors(m, "fc", path, tokens, 5, &found) == SEQNN_ERR_NOT_FOUND,
           "a layer that is not an embedding is refused");
    expect(seqnn_model_load_vectors(m, NULL, path, tokens, 4, &found) == SEQNN_ERR_INVALID_ARG,
           "a vocabulary of another size is refused");
    seqnn_model_destroy(m);
    seqnn_context_destroy(ctx);
    remove(path);
    return failures != 0;
}

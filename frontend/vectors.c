/* Pretrained word vectors (word2vec or GloVe text format) into an embedding
 * layer: each line "TOKEN v1 ... vD" (word2vec files start with a "COUNT D"
 * line); rows of tokens of the model's vocabulary are replaced, the others
 * keep their initial values. The file is streamed, so large ones are fine. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fe.h"

static const char *const *sort_tokens;

static int by_token(const void *a, const void *b)
{
    return strcmp(sort_tokens[*(const int64_t *)a], sort_tokens[*(const int64_t *)b]);
}

static int64_t find_token(const char *const *tokens, const int64_t *order, int64_t n, const char *tok)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = strcmp(tokens[order[mid]], tok);
        if (c == 0)
            return order[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Parses one line into tok and vec[dim]; 0 ok, 1 a word2vec header, -1 malformed. */
static int parse_line(char *line, int64_t dim, char **tok, float *vec, int first)
{
    char *save = NULL, *t = strtok_r(line, " \t\r\n", &save);
    if (!t)
        return -1;
    *tok = t;
    int64_t k = 0;
    char *f;
    while ((f = strtok_r(NULL, " \t\r\n", &save))) {
        char *end;
        errno = 0;
        double v = strtod(f, &end);
        if (*end || errno == ERANGE || !isfinite(v))
            return -1;
        if (k < dim)
            vec[k] = (float)v;
        k++;
    }
    if (first && k == 1) {               /* "COUNT DIM" */
        char *end;
        strtoll(t, &end, 10);
        if (!*end)
            return 1;
    }
    return k == dim ? 0 : -2;
}

seqnn_status seqnn_model_load_vectors(seqnn_model *m, const char *layer, const char *path,
                                      const char *const *tokens, int64_t n_tokens, int64_t *found)
{
    if (!m || !m->built || !path || (!tokens && n_tokens > 0) || n_tokens < 0)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_load_vectors: bad argument");
    fe_layer *L = NULL;
    for (int i = 0; i < m->n_layers && !L; i++)
        if (m->layers[i].ops == &fe_embedding_ops && (!layer || !strcmp(m->layers[i].name, layer)))
            L = &m->layers[i];
    if (!L)
        return seqnn_set_error(NULL, SEQNN_ERR_NOT_FOUND, "word vectors: the model has no embedding%s%s",
                               layer ? " named " : "", layer ? layer : "");
    const fe_param *p = &m->params[L->param0];
    int64_t vocab = p->shape[0], dim = p->shape[1];
    if (n_tokens != vocab)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "word vectors: %lld tokens given for an embedding of %lld rows", (long long)n_tokens,
                               (long long)vocab);
    FILE *f = fopen(path, "r");
    if (!f)
        return seqnn_set_error(NULL, SEQNN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    float *w = malloc((size_t)(vocab * dim) * sizeof *w), *vec = malloc((size_t)dim * sizeof *vec);
    int64_t *order = malloc((size_t)(vocab ? vocab : 1) * sizeof *order);
    char *line = NULL;
    size_t cap = 0;
    seqnn_status s = (w && vec && order) ? SEQNN_OK : seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "%s: out of memory", path);
    if (s == SEQNN_OK)
        s = seqnn_model_param_read(m, L->param0, w, vocab * dim);
    for (int64_t i = 0; s == SEQNN_OK && i < vocab; i++)
        order[i] = i;
    if (s == SEQNN_OK) {
        sort_tokens = tokens;
        qsort(order, (size_t)vocab, sizeof *order, by_token);
        sort_tokens = NULL;
    }
    int64_t lineno = 0, hits = 0;
    while (s == SEQNN_OK && getline(&line, &cap, f) >= 0) {
        lineno++;
        if (strspn(line, " \t\r\n") == strlen(line))
            continue;
        char *tok;
        int r = parse_line(line, dim, &tok, vec, lineno == 1);
        if (r == 1)
            continue;
        if (r < 0) {
            if (r == -2)
                s = seqnn_set_error(NULL, SEQNN_ERR_FORMAT, "%s:%lld: a vector of another length than the embedding's %lld",
                                    path, (long long)lineno, (long long)dim);
            else
                s = seqnn_set_error(NULL, SEQNN_ERR_FORMAT, "%s:%lld: expected a token and finite numbers", path,
                                    (long long)lineno);
            break;
        }
        int64_t id = find_token(tokens, order, vocab, tok);
        if (id >= 0 && id != L->emb.padding_idx) {
            memcpy(w + id * dim, vec, (size_t)dim * sizeof *vec);
            hits++;
        }
    }
    if (s == SEQNN_OK && ferror(f))
        s = seqnn_set_error(NULL, SEQNN_ERR_IO, "%s: read error", path);
    fclose(f);
    if (s == SEQNN_OK)
        s = seqnn_model_param_write(m, L->param0, w, vocab * dim);
    if (s == SEQNN_OK && found)
        *found = hits;
    free(line);
    free(w);
    free(vec);
    free(order);
    return s;
}

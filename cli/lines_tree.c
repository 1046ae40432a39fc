/* The tree format of the CLI: "LABEL<TAB>BRACKETED TEXT" per line, the
 * classify format whose text carries a parse. "(" and ")" are brackets
 * wherever they stand; every other run of non-space characters is a leaf
 * (a word token). A bracket with k > 2 items is made binary left-branching,
 * ((a b) c) ..., as items outside any bracket are; one with a single item is
 * that item. A line without brackets gets a balanced tree (the library's
 * rule for a row of -1), as does a line truncated to seq_len.
 *
 * The first pass reads a line's brackets into the children pairs of
 * seqnn_batch.trees (appended to t->trees) and then blanks them in the text,
 * so the rest of the reader sees the leaves alone, as classify --words would.
 * Batches copy each example's pairs into the [B, 2*(T-1)] rows. */
#include <stdlib.h>
#include <string.h>
#include "cli_error.h"
#include "lines.h"

#define NONE INT32_MIN

typedef struct tree_parse {
    int32_t *acc;                        /* per open bracket: the items so far, joined (NONE: none) */
    int32_t n_leaves, n_nodes;
    lines_data *t;
} tree_parse;

/* Adds item c to the bracket at depth d: the first item is kept, each later
 * one joins it in a new internal node (provisional id -(k + 1)). */
static int add_item(tree_parse *p, int64_t d, int32_t c)
{
    if (p->acc[d] == NONE) {
        p->acc[d] = c;
        return 1;
    }
    lines_data *t = p->t;
    if (!cli_grow(&t->trees, &t->cap_trees, t->n_trees + 2, sizeof *t->trees))
        return 0;
    t->trees[t->n_trees++] = p->acc[d];
    t->trees[t->n_trees++] = c;
    p->acc[d] = -(++p->n_nodes);
    return 1;
}

seqnn_status lines_tree_scan(lines_reader *r, example *e)
{
    lines_data *t = r->t;
    char *s = t->text + e->in;
    size_t n = e->in_len;
    tree_parse p = {.acc = malloc((n + 1) * sizeof *p.acc), .t = t};
    if (!p.acc)
        return cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", r->path);
    int64_t start = t->n_trees, depth = 0, brackets = 0;
    seqnn_status st = SEQNN_OK;
    p.acc[0] = NONE;
    for (size_t i = 0; i < n && st == SEQNN_OK; i++) {
        if (s[i] == '(') {
            p.acc[++depth] = NONE;
            brackets++;
            s[i] = ' ';
        } else if (s[i] == ')') {
            if (depth == 0 || p.acc[depth] == NONE)
                st = cli_error(SEQNN_ERR_FORMAT, "%s:%lld: character %zu of the text: %s", r->path,
                               (long long)e->line, i + 1, depth == 0 ? "')' closes no bracket" : "'( )' holds no leaf");
            else if (!add_item(&p, depth - 1, p.acc[depth]))
                st = cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", r->path);
            depth--;
            s[i] = ' ';
        } else if (!cli_is_space(s[i])) {
            if (!add_item(&p, depth, p.n_leaves++))
                st = cli_error(SEQNN_ERR_NO_MEMORY, "%s: out of memory", r->path);
            while (i + 1 < n && s[i + 1] != '(' && s[i + 1] != ')' && !cli_is_space(s[i + 1]))
                i++;
        }
    }
    free(p.acc);
    if (st == SEQNN_OK && depth > 0)
        st = cli_error(SEQNN_ERR_FORMAT, "%s:%lld: %lld bracket%s left open", r->path, (long long)e->line,
                       (long long)depth, depth == 1 ? "" : "s");
    if (st != SEQNN_OK || !brackets || p.n_leaves < 2) {
        t->n_trees = start;              /* balanced (or no tree at all) */
        return st;
    }
    for (int64_t k = start; k < t->n_trees; k++)   /* internal node k: id n_leaves + k */
        if (t->trees[k] < 0)
            t->trees[k] = p.n_leaves - t->trees[k] - 1;
    e->tree = start;
    e->tree_leaves = p.n_leaves;
    return SEQNN_OK;
}

int lines_tree_fill(lines_data *t, const int64_t *idx, int64_t B, int64_t T, seqnn_batch *b)
{
    int64_t P = 2 * (T - 1);
    if (!cli_grow(&t->b_trees, &t->b_trees_cap, B * P + 1, sizeof *t->b_trees))
        return 0;
    for (int64_t k = 0; k < B && P > 0; k++) {
        const example *e = &t->ex[idx[k]];
        int32_t *row = t->b_trees + k * P;
        row[0] = -1;                     /* balanced, unless the line's own tree fits */
        if (e->tree_leaves > 1 && e->src_len == e->tree_leaves)
            memcpy(row, t->trees + e->tree, (size_t)(2 * (e->src_len - 1)) * sizeof *row);
    }
    b->trees = t->b_trees;
    return 1;
}

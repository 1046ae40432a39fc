/* Binary trees for the tests of tree layers, in the layout of
 * seqnn_batch.trees (include/seqnn/model.h): over leaves [lo, hi) of a
 * sequence of n leaves, internal nodes numbered from *k in post-order
 * (children first), pairs[2k], pairs[2k + 1] their children; each returns
 * its root's id. split(lo, hi) picks where the left subtree ends. The
 * balanced rule is written here again, apart from the library's, as the
 * tests' own reading of the documented rule. */
#ifndef SEQNN_TESTS_TREE_SHAPES_H
#define SEQNN_TESTS_TREE_SHAPES_H

#include <stdint.h>

static inline int32_t tree_split_balanced(int32_t lo, int32_t hi, double (*urand)(void))
{
    (void)urand;
    return lo + (hi - lo + 1) / 2;       /* the left subtree takes ceil(n / 2) */
}

static inline int32_t tree_split_random(int32_t lo, int32_t hi, double (*urand)(void))
{
    return lo + 1 + (int32_t)(urand() * (double)(hi - lo - 1));
}

static inline int32_t tree_make(int32_t lo, int32_t hi, int32_t n, int32_t *pairs, int32_t *k,
                         int32_t (*split)(int32_t, int32_t, double (*)(void)), double (*urand)(void))
{
    if (hi - lo == 1)
        return lo;
    int32_t mid = split(lo, hi, urand);
    int32_t left = tree_make(lo, mid, n, pairs, k, split, urand);
    int32_t right = tree_make(mid, hi, n, pairs, k, split, urand);
    pairs[2 * *k] = left;
    pairs[2 * *k + 1] = right;
    return n + (*k)++;
}

#endif /* SEQNN_TESTS_TREE_SHAPES_H */

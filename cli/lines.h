/* Inside the line formats of the CLI (classify, tag, translate, regress),
 * shared by their three files:
 *   cli/data_lines.c   opening a data file: the steps, the split, the vocabularies; accessors
 *   cli/lines_parse.c  one line per format: its structure and numbers (first pass), its ids (second)
 *   cli/lines_batch.c  the Philox shuffler, the order of a pass, and its batches
 *   cli/lines_multi.c  the multi format: several named inputs per line
 * data.h has the formats; cli/data_lines.c's header comment the rules. */
#ifndef SEQNN_CLI_LINES_H
#define SEQNN_CLI_LINES_H

#include <stddef.h>
#include <stdint.h>
#include "data.h"

enum { F_CLASSIFY, F_TAG, F_TRANSLATE, F_REGRESS, F_MULTI };

/* multi: the fields (inputs) its header names, in order. */
#define LINES_MAX_FIELDS 8
typedef struct lines_field {
    char name[64];
    int tokens;                          /* 1: tokens, 0: feature vectors */
    int64_t dim;                         /* features per step */
    int64_t max;                         /* longest after truncation */
} lines_field;

typedef struct example {
    int64_t line;                        /* 1-based line number in the file */
    size_t in, in_len;                   /* input text: offset and bytes in the file */
    size_t out, out_len;                 /* output text */
    int64_t src, tgt;                    /* offsets into ids / tids (regress: feats, values) */
    int32_t src_len, tgt_len;            /* after truncation (regress: src_len steps) */
    int32_t label;                       /* classify */
    int64_t tree;                        /* tree format: offset of its children pairs in trees */
    int32_t tree_leaves;                 /* ... over this many leaves (0: a balanced tree) */
} example;

typedef struct pass {
    int64_t *order;                      /* examples of the pass, batch after batch */
    int64_t *start;                      /* batch b is order[start[b] .. start[b] + size[b]) */
    int32_t *size;
    int64_t n_batches, cursor, B;
    int planned;
    uint64_t seed;
} pass;

typedef struct lines_data {
    int kind;
    const char *path;
    char *text;                          /* the file, during reading */
    example *ex;
    int64_t n, cap_ex;
    int64_t *split[2];                   /* example indices of each split */
    int64_t n_split[2];
    int32_t *ids, *tids;                 /* token pools */
    int64_t n_ids, n_tids, cap_ids, cap_tids;
    float *feats, *values;               /* regress: steps' features, lines' values */
    int64_t n_feats, cap_feats, n_vals, cap_vals;
    int64_t dim, n_values;               /* regress: features per step, values per line */
    int64_t max_src, max_tgt;            /* longest sequences after truncation */
    pass passes[2];
    /* the current batch */
    int32_t *b_tokens, *b_lengths, *b_targets, *b_dec, *b_dec_lengths;
    float *b_features, *b_values;
    int64_t b_cap;                       /* batch size the buffers hold */
    /* tree format (cli/lines_tree.c): classify with a parse per line */
    int tree_format;
    int32_t *trees, *b_trees;            /* the lines' children pairs; the batch's rows */
    int64_t n_trees, cap_trees, b_trees_cap;
    /* multi: field j of example i is [i * n_fields + j] of these */
    int n_fields;
    lines_field fields[LINES_MAX_FIELDS];
    size_t *f_in, *f_in_len;             /* its text (token fields, until the second pass) */
    int64_t *f_src;                      /* its offset in ids (tokens) or feats (features) */
    int32_t *f_len;                      /* its steps, after truncation */
    int64_t cap_f[4];                    /* their capacities */
    int use[LINES_MAX_FIELDS];           /* the fields the model reads, in its inputs' order */
    int n_use;                           /* 0: every field, in order */
    seqnn_batch_input b_inputs[LINES_MAX_FIELDS];
    int32_t *bf_tokens[LINES_MAX_FIELDS], *bf_lengths[LINES_MAX_FIELDS];
    float *bf_feats[LINES_MAX_FIELDS];
} lines_data;

/* What reading a file needs besides lines_data: the options, the labels or
 * tags of every line, and the truncation count for the note on stderr. */
typedef struct lines_reader {
    lines_data *t;
    cli_data *d;
    const char *path;
    int kind, words;
    int64_t max_len;                     /* seq_len, 0: no truncation */
    cli_tokset labels;                   /* classify labels, tag tags */
    int64_t truncated, longest;          /* sequences cut, and the longest before cutting */
} lines_reader;

/* Grows the array *a of elem-byte elements (capacity *cap) to hold need:
 * doubling from 4096; 1, or 0 when out of memory (*a is kept). */
int cli_grow(void *a, int64_t *cap, int64_t need, size_t elem);

/* cli/lines_parse.c. The first pass over one nonblank line (len bytes at ls,
 * without its newline): its structure, the labels and tags, regress numbers;
 * appends the example. */
seqnn_status lines_parse_line(lines_reader *r, const char *ls, size_t len, int64_t line);
/* The second pass over example e, once the vocabularies are built: its ids. */
seqnn_status lines_encode(lines_reader *r, example *e);

/* cli/lines_tree.c. The first pass over a tree line's text (e->in): its
 * brackets into children pairs, then blanked. */
seqnn_status lines_tree_scan(lines_reader *r, example *e);
/* The batch's trees [B, 2*(T-1)] into b->trees: 1, or 0 when out of memory. */
int lines_tree_fill(lines_data *t, const int64_t *idx, int64_t B, int64_t T, seqnn_batch *b);
/* cli/lines_multi.c: the multi format, hooked into the others' steps. */
/* First pass: the header (the first line) or one example line. */
seqnn_status multi_parse_line(lines_reader *r, const char *ls, size_t len, int64_t line);
/* The tokens of the training split's token fields into set. */
seqnn_status multi_training_tokens(lines_reader *r, cli_tokset *set);
/* Second pass: example e's token fields into ids, its label's id. */
seqnn_status multi_encode(lines_reader *r, example *e);
/* Batch buffers for B examples (1, or 0 when out of memory), freeing them, filling them. */
int multi_buffers(lines_data *t, int64_t B);
void multi_free(lines_data *t);
void multi_fill(lines_data *t, const int64_t *idx, int64_t B, seqnn_batch *b);
/* lines_parse.c's helpers multi shares: features of a step sequence (into
 * t->feats; *dim set by the first step), tokens into ids. */
seqnn_status lines_features(lines_data *t, const char *s, size_t n, int64_t line, int64_t max_steps,
                            int64_t *dim, int64_t *steps, int64_t *truncated);
seqnn_status lines_tokens_encode(const cli_vocab *v, const char *s, size_t n, int words, int64_t max,
                                 int32_t **pool, int64_t *len, int64_t *cap, int32_t *count, const char *path);

/* cli/lines_batch.c */
void lines_shuffle_split(int64_t *perm, int64_t n, uint64_t seed);
/* The passes' orders and the batch buffers for batch size B: 1, or 0 when out of memory. */
int lines_batch_alloc(lines_data *t, int64_t B);
void lines_batch_free(lines_data *t);
seqnn_status lines_begin(cli_data *d, int split, uint64_t seed);
int64_t lines_count(cli_data *d, int split, const seqnn_train_config *cfg);
int lines_next(cli_data *d, int split, const seqnn_train_config *cfg, seqnn_batch *b);

#endif /* SEQNN_CLI_LINES_H */

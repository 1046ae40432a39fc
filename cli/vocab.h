/* Vocabularies of the seqnn CLI and what they are built from: whole-file
 * reading, the tokenizer of the data formats (characters, or words split on
 * whitespace), a set of tokens, and a vocabulary from such a set. A
 * vocabulary is kept in checkpoint metadata, so eval and generate need
 * nothing else. A leaf: the data formats (cli/data_text.c, cli/data_lines.c)
 * call it, it calls none of them. */
#ifndef SEQNN_CLI_VOCAB_H
#define SEQNN_CLI_VOCAB_H

#include <stddef.h>
#include <stdint.h>
#include "seqnn/status.h"

/* Token ids of the line formats: 0 <pad>, 1 <unk>, then the tokens sorted;
 * translate targets add 2 <bos> and 3 <eos>. */
#define CLI_PAD 0
#define CLI_UNK 1
#define CLI_BOS 2
#define CLI_EOS 3

/* A vocabulary: id -> token (bytes, not NUL-terminated for characters). */
typedef struct cli_vocab {
    int64_t n;
    char **tok;                          /* n NUL-terminated strings */
    int chars;                           /* 1: character tokens (decoded text joins them without spaces) */
    int64_t *order;                      /* ids sorted by token, for cli_vocab_find (cli_vocab_finish) */
} cli_vocab;

/* Reads a whole file (refusing directories and files over max bytes); NUL-terminated. */
seqnn_status cli_read_file(const char *path, size_t max, char **out, size_t *size);

/* Vocabularies in checkpoint metadata (one string; tokens escaped). */
char *cli_vocab_serialize(const cli_vocab *v);
seqnn_status cli_vocab_parse(const char *s, cli_vocab *v);
void cli_vocab_free(cli_vocab *v);
/* Adds a copy of token (len bytes) as the next id; then, once all are in,
 * cli_vocab_finish builds the lookup index. */
seqnn_status cli_vocab_add(cli_vocab *v, const char *tok, size_t len);
seqnn_status cli_vocab_finish(cli_vocab *v);
/* Id of a token (len bytes), or -1 when absent (O(log n)). */
int64_t cli_vocab_find(const cli_vocab *v, const char *tok, size_t len);
/* A finished copy of from into to (freed on failure). */
seqnn_status cli_vocab_copy(const cli_vocab *from, cli_vocab *to);

/* ---------------------------------------------------------- tokens --- */
/* Whitespace between word tokens: space, TAB, CR, VT, FF (not newline: lines
 * are split before). */
int cli_is_space(char c);
/* The next token of s[0..n) from *pos: 1 and its start and length, or 0.
 * words = 0: every byte is a token. */
int cli_next_token(const char *s, size_t n, size_t *pos, int words, size_t *start, size_t *len);
int64_t cli_count_tokens(const char *s, size_t n, int words);

/* A set of byte strings (pointers into text that outlives it): open
 * addressing, FNV-1a. A zeroed cli_tokset is empty. */
typedef struct cli_tokset {
    const char **p;
    size_t *len;
    size_t cap, n;
} cli_tokset;

/* Adds s[0..n) (a no-op when present): 1, or 0 when out of memory. */
int cli_tokset_add(cli_tokset *set, const char *s, size_t n);
void cli_tokset_free(cli_tokset *set);

/* A finished vocabulary of the first n_specials of <pad> <unk> <bos> <eos>,
 * then the members of set in byte order (special tokens among them are not
 * repeated); path names the data in an out-of-memory message. */
seqnn_status cli_vocab_from_set(const cli_tokset *set, int n_specials, int chars, cli_vocab *v, const char *path);

#endif /* SEQNN_CLI_VOCAB_H */

/* Decoding from the command line, shared by `seqnn generate` and `seqnn
 * predict` (cli/generate.c): the decoding options and their checks, text
 * to token ids (unknown tokens reported), and decoding with the output
 * streamed token by token (raw, or escaped for TSV and JSON). */
#ifndef SEQNN_CLI_GENERATE_H
#define SEQNN_CLI_GENERATE_H

#include <stdint.h>
#include <stdio.h>
#include "seqnn/model.h"
#include "vocab.h"

#define CLI_MAX_LENGTH 100000            /* the most tokens --length may ask for */

/* The decoding options and which of them the command line gave. */
typedef struct cli_decode_opts {
    int64_t length;                      /* most tokens decoded (default 500) */
    double temperature;                  /* default: 0.8 language models, 0 (greedy) translation */
    int64_t top_k;                       /* 0: all */
    double top_p;                        /* 1: all */
    int64_t beam;                        /* 0: none */
    double length_norm;                  /* beam: log p / tokens^length_norm (default 1) */
    uint64_t seed;
    int has_length, has_temperature, has_top_k, has_top_p, has_beam, has_length_norm, has_seed;
} cli_decode_opts;

/* How a streamed output is written: as is, escaped for a TSV field (\t \n
 * \r \\), or for the inside of a JSON string. */
enum { CLI_RAW, CLI_TSV, CLI_JSON };

void cli_decode_opts_init(cli_decode_opts *o);
/* If argv[*i] is a decoding option, reads it (and its value, advancing *i):
 * 1; 0 when it is not one; -1 after a message about its value. */
int cli_decode_opt(int argc, char **argv, int *i, cli_decode_opts *o);
/* Checks the options against the model kind (translation = 1: an
 * encoder-decoder), fills the defaults, and picks a random seed when
 * sampling without --seed: 0, or 2 after a message prefixed by cmd. */
int cli_decode_finish(cli_decode_opts *o, int translation, const char *cmd);
/* The random seed picked, on stderr with how to repeat the run (nothing when
 * --seed was given or nothing is sampled). */
void cli_decode_announce(const cli_decode_opts *o, const char *cmd);
/* The config seqnn_model_decode takes for o (eos, no callback). */
seqnn_decode_config cli_decode_config(const cli_decode_opts *o, int32_t eos);

/* Token ids of text[0..n) in v (words or characters), into ids (room for n):
 * unknown tokens become unk, or are skipped when unk < 0; they are listed on
 * stderr as "CMD: warning: WHAT ..." unless what is NULL. How many ids. */
int64_t cli_text_ids(const cli_vocab *v, const char *text, size_t n, int words, int32_t unk, int32_t *ids,
                     const char *cmd, const char *what);
/* Writes token ids[0..n) of v to f (characters joined, words spaced; a space
 * first when after > 0 tokens were written before), escaped as mode says. */
void cli_print_tokens(FILE *f, const cli_vocab *v, const int32_t *ids, int64_t n, int64_t after, int mode);
/* Writes s[0..n) to f escaped as mode says. */
void cli_print_escaped(FILE *f, const char *s, size_t n, int mode);

/* Decodes with o (src NULL for a language model; prime the start of the
 * decoded stream), writing each token of out_vocab to f as it is chosen
 * (after `after` tokens already written, escaped as mode says). 0, or 1
 * after the error. */
int cli_decode_print(seqnn_model *m, const cli_vocab *out_vocab, const int32_t *src, int64_t ns,
                     const int32_t *prime, int64_t np, const cli_decode_opts *o, int32_t eos, FILE *f, int64_t after,
                     int mode);

#endif /* SEQNN_CLI_GENERATE_H */

/* The seqnn command-line tool's subcommands, one function each. */
#ifndef SEQNN_CLI_H
#define SEQNN_CLI_H
int seqnn_cli_info(int argc, char **argv);
#endif

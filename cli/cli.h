/* The seqnn command-line tool's subcommands, one function each. */
#ifndef SEQNN_CLI_H
#define SEQNN_CLI_H
int seqnn_cli_info(int argc, char **argv);
int seqnn_cli_train(int argc, char **argv);
int seqnn_cli_eval(int argc, char **argv);
int seqnn_cli_generate(int argc, char **argv);
int seqnn_cli_plot(int argc, char **argv);
int seqnn_cli_bench(int argc, char **argv);
int seqnn_cli_data(int argc, char **argv);       /* cli/datagen.c: the examples' data sets */
int seqnn_cli_predict(int argc, char **argv);    /* cli/predict.c: a checkpoint on unlabelled lines */
int seqnn_cli_plan(int argc, char **argv);       /* cli/plan.c: where a model's calls run */
int seqnn_cli_import(int argc, char **argv);     /* cli/import.c: an ONNX model as a checkpoint */
int seqnn_cli_export(int argc, char **argv);     /* cli/export.c: a checkpoint as an ONNX model */
#endif

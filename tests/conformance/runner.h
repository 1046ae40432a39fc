/* Entry point of the conformance suite, called by `seqnn conformance`. */
#ifndef SEQNN_CONFORMANCE_RUNNER_H
#define SEQNN_CONFORMANCE_RUNNER_H
/* argv[0] is "conformance"; returns the process exit status. */
int seqnn_conformance_main(int argc, char **argv);
#endif

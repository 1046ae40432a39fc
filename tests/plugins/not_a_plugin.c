/* A shared object without the seqnn entry symbol: the loader must reject it. */
int seqnn_test_not_a_plugin(void);
int seqnn_test_not_a_plugin(void) { return 42; }

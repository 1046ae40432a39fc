#!/bin/sh
# Installs the peers of `seqnn bench` (not needed to build or test seqnn):
# OpenBLAS (sgemm), oneDNN 2.6 (LSTM/GRU/RNN), PyTorch CPU and NumPy for
# Debian's /usr/bin/python3, perf for the counter measurements of
# docs/performance.md. Reconfigure afterwards (sh scripts/build.sh) so that
# bench/ builds the OpenBLAS and oneDNN harnesses.
set -eu
exec sh "$(dirname "$0")/install-deps.sh" bench

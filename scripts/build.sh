#!/bin/sh
# Configures and builds seqnn into BUILD_DIR (default: build), warnings as
# errors. Extra arguments go to cmake's configure step.
set -eu
cd "$(dirname "$0")/.."
dir=${BUILD_DIR:-build}
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEQNN_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"

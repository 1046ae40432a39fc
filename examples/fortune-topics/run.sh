#!/bin/sh
# Topic classification of fortunes: writes the data set (5 categories of
# Debian's fortunes package, word tokens) and trains Kim's CNN and a
# bidirectional LSTM; each prints its held-out accuracy and the majority-class
# baseline. usage: sh examples/fortune-topics/run.sh [WORK_DIR]
# (SEQNN: the seqnn binary, default build/bin/seqnn)
set -eu
ex=$(cd "$(dirname "$0")" && pwd)
seqnn=${SEQNN:-$ex/../../build/bin/seqnn}
work=${1:-.}
mkdir -p "$work" && cd "$work"
"$seqnn" data fortunes fortunes.txt --tokenize
for m in kim-cnn bilstm; do
    echo "== $m"
    "$seqnn" train "$ex/$m.seqnn" --data fortunes.txt --format classify --words --out "$m.safetensors"
done

#!/bin/sh
# The adding problem at T = 100: vanilla RNN, IRNN, LSTM and GRU on the same
# data; each prints its held-out MSE and the predict-the-mean baseline.
# usage: sh examples/adding/run.sh [WORK_DIR] [T]   (SEQNN: the seqnn binary)
set -eu
ex=$(cd "$(dirname "$0")" && pwd)
seqnn=${SEQNN:-$ex/../../build/bin/seqnn}
work=${1:-.}
T=${2:-100}
mkdir -p "$work" && cd "$work"
"$seqnn" data adding "adding$T.txt" --steps "$T"
for cell in rnn irnn lstm gru; do
    echo "== $cell, T=$T"
    "$seqnn" train "$ex/$cell.seqnn" --data "adding$T.txt" --format regress --out "adding$T-$cell.safetensors"
done

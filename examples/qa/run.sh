#!/bin/sh
# Question answering over a scene: the two-branch model (question words and
# scene objects, each through its own LSTM, concatenated, an MLP) against the
# two single-branch baselines, on the same data; each prints its held-out
# accuracy and the majority-class baseline.
# usage: sh examples/qa/run.sh [WORK_DIR] [N]   (SEQNN: the seqnn binary)
set -eu
ex=$(cd "$(dirname "$0")" && pwd)
seqnn=${SEQNN:-$ex/../../build/bin/seqnn}
work=${1:-.}
n=${2:-20000}
mkdir -p "$work" && cd "$work"
"$seqnn" data qa "qa$n.txt" --n "$n"
for model in two-branch question-only scene-only; do
    echo "== $model"
    "$seqnn" train "$ex/$model.seqnn" --data "qa$n.txt" --format multi --words --out "qa$n-$model.safetensors" \
        2> "qa$n-$model.log"
    tail -1 "qa$n-$model.log"
done

#!/bin/sh
# Measuring a spike delay (Gers, Schraudolph & Schmidhuber 2002): a plain LSTM
# and a peephole LSTM, the same size and training, on the same data (delays of
# 10 to 50 steps). Prints each model's held-out MSE against the
# predict-the-mean baseline and writes curves.tsv, the validation MSE of both
# every 250 steps (the learning curves of examples/README.md).
# usage: sh examples/peephole/run.sh [WORK_DIR] [SEED]   (SEQNN: the seqnn binary)
set -eu
ex=$(cd "$(dirname "$0")" && pwd)
seqnn=${SEQNN:-$ex/../../build/bin/seqnn}
work=${1:-.}
seed=${2:-1}
mkdir -p "$work" && cd "$work"
"$seqnn" data timing timing100.txt --steps 100
for m in lstm peephole; do
    echo "== $m, seed $seed"
    "$seqnn" train "$ex/$m.seqnn" --data timing100.txt --format regress --seed "$seed" \
        --out "timing-$m.safetensors" > "timing-$m.log" 2>&1 || { cat "timing-$m.log"; exit 1; }
    grep -E '^(trained|validation|baseline)' "timing-$m.log"
done
# one row per evaluation: step, then each model's validation MSE
awk '/^step [0-9]+ validation: loss/ { v[FILENAME, $2] = $5; if (!($2 in seen)) { seen[$2] = 1; order[n++] = $2 } }
     END { print "step\tlstm\tpeephole"
           for (i = 0; i < n; i++) print order[i] "\t" v["timing-lstm.log", order[i]] "\t" v["timing-peephole.log", order[i]] }' \
    timing-lstm.log timing-peephole.log > curves.tsv
cat curves.tsv

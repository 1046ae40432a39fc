#!/bin/sh
# Recursive networks on nested max/min expressions (seqnn data listops): a
# Tree-LSTM and a tanh recursive network over each line's brackets, a
# Tree-LSTM over balanced trees (no parse), and a sequential LSTM that reads
# the leaves alone or the leaves and the brackets. Each trains on expressions
# nested up to 3 deep and is evaluated on its held-out split and on new sets
# nested exactly 1 to 6 deep. Writes accuracy.csv (model, held-out, depth
# 1..6, training seconds), prints it as a table, and with gnuplot draws
# accuracy.png.
# usage: sh examples/tree/run.sh [WORK_DIR]   (SEQNN: the seqnn binary)
set -eu
ex=$(cd "$(dirname "$0")" && pwd)
seqnn=${SEQNN:-$ex/../../build/bin/seqnn}
work=${1:-.}
depths="1 2 3 4 5 6"
mkdir -p "$work" && cd "$work"
"$seqnn" data listops listops.txt --n 20000 --depth 3
sed 's/[()]//g' listops.txt > listops-flat.txt           # the same lines without a parse
for d in $depths; do
    "$seqnn" data listops "depth$d.txt" --n 2000 --depth "$d" --exact --seed $((100 + d))
    sed 's/[()]//g' "depth$d.txt" > "depth$d-flat.txt"
done
echo "model,held_out,$(echo $depths | sed 's/\([0-9]\)/depth\1/g; s/ /,/g'),train_s" > accuracy.csv

# run NAME MODEL_FILE DATA(listops or listops-flat) FORMAT [OPTIONS]
run() {
    name=$1 model=$2 data=$3 format=$4
    shift 4
    t0=$(date +%s)
    "$seqnn" train "$ex/$model" --data "$data.txt" --format "$format" --out "$name.safetensors" "$@" > "$name.log" 2>&1
    t1=$(date +%s)
    row="$name,$(sed -n 's/^validation: .*accuracy \([0-9.]*\)%.*/\1/p' "$name.log" | tail -n 1)"
    for d in $depths; do
        test=$(echo "$data" | sed "s/listops/depth$d/")
        acc=$("$seqnn" eval "$name.safetensors" --data "$test.txt" --all 2>/dev/null |
              sed -n 's/^all: .*accuracy \([0-9.]*\)%.*/\1/p')
        row="$row,$acc"
    done
    echo "$row,$((t1 - t0))" >> accuracy.csv
}
run tree-lstm tree-lstm.seqnn listops tree
run tree-tanh tree-tanh.seqnn listops tree
run tree-lstm-balanced tree-lstm.seqnn listops-flat tree
run lstm-leaves lstm.seqnn listops tree
run lstm-brackets lstm.seqnn listops classify --words

sed 's/,/ | /g; s/^/| /; s/$/ |/' accuracy.csv
if command -v gnuplot > /dev/null; then
    awk -F, 'NR > 1 { n++; name[n] = $1; for (d = 1; d <= 6; d++) a[n, d] = $(d + 2) }
             END { printf "depth"; for (i = 1; i <= n; i++) printf " %s", name[i]; print "";
                   for (d = 1; d <= 6; d++) { printf "%d", d; for (i = 1; i <= n; i++) printf " %s", a[i, d]; print "" } }' \
        accuracy.csv > accuracy.dat
    gnuplot <<'GP'
set terminal pngcairo size 760,440
set output 'accuracy.png'
set key autotitle columnhead bottom left
set xlabel 'nesting depth of the test expressions (training: up to 3)'
set ylabel 'accuracy (%)'
set yrange [0:100]
set xtics 1
set grid
plot for [i=2:6] 'accuracy.dat' using 1:i with linespoints lw 2
GP
fi

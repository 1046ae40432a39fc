#!/bin/sh
# Training steps per CPU second of whole `seqnn train` runs, for one or more
# seqnn binaries (e.g. two builds of different commits) on the same model
# file and data, in alternating rounds so that the load of a shared machine
# falls on all of them alike. One thread, a fixed backend, a fixed seed; the
# CPU time (user + system) of the whole command, start-up and the small
# validation included, divided into the step count. Prints per binary the
# median steps/s with min-max over the rounds, then each binary's median
# ratio to the first one (> 1: faster).
#
# usage: sh bench/train_rate.sh [-r ROUNDS] [-s STEPS] [-b BACKEND] MODEL DATA BIN...
#   e.g. sh bench/train_rate.sh -s 40 examples/charlm/model.seqnn fortunes.txt \
#            /tmp/old/bin/seqnn build/bin/seqnn
set -eu
. "$(dirname "$0")/common.sh"
rounds=5 steps=30 backend=avx2
usage="usage: train_rate.sh [-r ROUNDS] [-s STEPS] [-b BACKEND] MODEL DATA BIN..."
bench_opts "r=rounds s=steps b=backend" "$usage" "$@"
shift "$bench_shift"
[ $# -ge 3 ] || { echo "$usage" >&2; exit 2; }
model=$1 data=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grep -m1 'model name' /proc/cpuinfo | sed 's/^[^:]*: */cpu: /'
echo "model: $model  data: $data  backend: $backend  steps: $steps  rounds: $rounds  threads: 1"
r=1
while [ "$r" -le "$rounds" ]; do
    i=0
    for bin in "$@"; do
        i=$((i + 1))
        SEQNN_NUM_THREADS=1 /usr/bin/time -f "%U %S" -o "$tmp/time" "$bin" train "$model" --data "$data" \
            --backend "$backend" --steps "$steps" --val 0.002 --eval-every 1000000 --sample 0 --seed 7 \
            --out "$tmp/ckpt.safetensors" >/dev/null 2>"$tmp/err" ||
            { cat "$tmp/err" >&2; echo "train_rate.sh: $bin failed" >&2; exit 1; }
        awk -v s="$steps" '{ print s / ($1 + $2) }' "$tmp/time" >>"$tmp/rate.$i"
    done
    r=$((r + 1))
done
i=0
for bin in "$@"; do
    i=$((i + 1))
    bench_stats "$tmp/rate.$i" | { read -r m lo hi n
        printf "%-40s %8.3f steps/s  (min %.3f, max %.3f, %d rounds)\n" "$bin" "$m" "$lo" "$hi" "$n"
        echo "$m" > "$tmp/median.$i"; }
done
i=0
for bin in "$@"; do
    i=$((i + 1))
    [ "$i" -eq 1 ] && continue
    awk -v bin="$bin" -v first="$1" 'NR == FNR { a = $1; next } { printf "ratio %s / %s = %.3f\n", bin, first, $1 / a }' \
        "$tmp/median.1" "$tmp/median.$i"
done

#!/bin/sh
# The bit-reversal problems 1-4 (examples/README.md): writes each data set
# and trains its model (problem 4 also without memory, as a control).
# usage: sh examples/bits/run.sh [WORK_DIR]   (SEQNN: the seqnn binary)
set -eu
ex=$(cd "$(dirname "$0")" && pwd)
seqnn=${SEQNN:-$ex/../../build/bin/seqnn}
work=${1:-.}
mkdir -p "$work" && cd "$work"
"$seqnn" data bits bits1.txt --problem 1 --n 1000
"$seqnn" data bits bits2.txt --problem 2
"$seqnn" data bits bits3.txt --problem 3 --len 20
"$seqnn" data bits bits4.txt --problem 4 --len 20
for run in "1 problem1 tag --words" "2 problem2 regress" "3 problem3 tag --words" "4 problem4 tag --words" \
           "4 problem4-feedforward tag --words"; do
    set -- $run
    p=$1 m=$2
    shift 2
    echo "== $m"
    "$seqnn" train "$ex/$m.seqnn" --data "bits$p.txt" --format "$@" --out "$m.safetensors"
done

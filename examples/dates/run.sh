#!/bin/sh
# Date-format translation with attention: writes 20000 pairs, trains the
# encoder-decoder (prints exact-match accuracy of greedy decoding on the
# held-out pairs), translates one date and plots its attention weights.
# usage: sh examples/dates/run.sh [WORK_DIR]   (SEQNN: the seqnn binary)
set -eu
ex=$(cd "$(dirname "$0")" && pwd)
seqnn=${SEQNN:-$ex/../../build/bin/seqnn}
work=${1:-.}
mkdir -p "$work" && cd "$work"
"$seqnn" data dates dates.txt
"$seqnn" train "$ex/model.seqnn" --data dates.txt --format translate --out dates.safetensors
"$seqnn" generate dates.safetensors --input "Tuesday, March 5, 2019" --attention attention.csv
"$seqnn" plot --attention attention.csv -o attention.png

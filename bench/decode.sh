#!/bin/sh
# Decoding speed of two seqnn binaries (say, before and after a change):
#   dates   greedy translation of a held-out dates test set (seqnn data dates
#           --seed 7, 1000 pairs) with `seqnn eval --all`, whose exact-match
#           figure decodes every line (both binaries have it), and with
#           `seqnn predict` where the binary has it; decoder steps per second,
#           a step per output character and one for <eos>, counted from the
#           reference targets (the exact-match figure printed shows they are
#           what was decoded);
#   charlm  10,000 characters from the character LSTM at temperature 0.8,
#           seed 1: (10000 - 1) / (time of --length 10000 - time of --length 1),
#           so loading the checkpoint is not counted.
# Process CPU time (user + system, /usr/bin/time: robust on a shared
# machine), one thread (SEQNN_NUM_THREADS, default 1: batch-1 decoding is
# latency-bound); the binaries alternate within each of REPEATS rounds
# (default 5), so a busy moment falls on both; medians with the range. The
# data and the checkpoints are made once in WORK_DIR with NEW (the dates
# model as its example trains it, about a minute; the charlm model for 60 s)
# and reused.
# usage: sh bench/decode.sh NEW_SEQNN OLD_SEQNN [WORK_DIR] [REPEATS]
#        BACKEND=avx2 THREADS=2 sh bench/decode.sh ...   (default: the best backend, 1 thread)
set -eu
new=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
old=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
work=${3:-bench-decode}
reps=${4:-5}
ex=$(cd "$(dirname "$0")/../examples" && pwd)
backend=${BACKEND:+--backend $BACKEND}
mkdir -p "$work"
cd "$work"

if [ ! -f dates.safetensors ]; then
    "$new" data dates dates.txt > /dev/null
    "$new" train "$ex/dates/model.seqnn" --data dates.txt --format translate --out dates.safetensors \
        > dates.train.log 2>&1
fi
[ -f test.txt ] || "$new" data dates test.txt --n 1000 --seed 7 > /dev/null
cut -f1 test.txt > test.src
if [ ! -f charlm.safetensors ]; then
    sh "$ex/charlm/prepare.sh" fortunes.txt
    "$new" train "$ex/charlm/model.seqnn" --data fortunes.txt --time 60 --out charlm.safetensors \
        > charlm.train.log 2>&1
fi
steps=$(awk -F'\t' '{ n += length($2) + 1 } END { print n }' test.txt)

export SEQNN_NUM_THREADS=${THREADS:-1}
# secs CMD...: the CPU time of CMD, user + system (its output discarded)
secs() {
    /usr/bin/time -f '%U %S' -o time.txt "$@" > /dev/null 2>&1 || { echo "bench/decode.sh: failed: $*" >&2; exit 1; }
    awk '{ printf "%.6f\n", $1 + $2 }' time.txt
}
# summary: "median (min - max)" of the numbers on stdin
summary() { sort -g | awk '{ a[NR] = $1 } END { m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
                                                printf "%.0f (%.0f - %.0f)", m, a[1], a[NR] }'; }

# dates BIN eval|predict: decoder steps per second
dates() {
    if [ "$2" = eval ]; then
        t=$(secs "$1" eval dates.safetensors --data test.txt --all $backend)
    else
        t=$(secs "$1" predict dates.safetensors --data test.src $backend)
    fi
    awk -v n="$steps" -v t="$t" 'BEGIN { print n / t }'
}
# charlm BIN: characters per second
charlm() {
    t1=$(secs "$1" generate charlm.safetensors --length 1 --seed 1 --temperature 0.8 $backend)
    tn=$(secs "$1" generate charlm.safetensors --length 10000 --seed 1 --temperature 0.8 $backend)
    awk -v a="$t1" -v b="$tn" 'BEGIN { print 9999 / (b - a) }'
}

has_predict=0
"$new" predict --help > /dev/null 2>&1 && has_predict=1
: > rates.txt
i=0
while [ $i -lt "$reps" ]; do                 # rounds: every measurement in turn
    echo "dates_old $(dates "$old" eval)" >> rates.txt
    echo "dates_new $(dates "$new" eval)" >> rates.txt
    [ $has_predict = 0 ] || echo "dates_predict $(dates "$new" predict)" >> rates.txt
    echo "charlm_old $(charlm "$old")" >> rates.txt
    echo "charlm_new $(charlm "$new")" >> rates.txt
    i=$((i + 1))
done
row() { printf '  %-44s %s %s\n' "$2" "$(awk -v k="$1" '$1 == k { print $2 }' rates.txt | summary)" "$3"; }
exact() { "$1" eval dates.safetensors --data test.txt --all $backend 2>/dev/null |
          sed -n 's/^exact match[^:]*: \([0-9.]*%\).*/\1/p'; }
echo "decoding speed: median (min - max) of $reps rounds; CPU time; backend ${BACKEND:-the best}," \
     "SEQNN_NUM_THREADS=$SEQNN_NUM_THREADS"
echo "dates: $(wc -l < test.txt) translations, $steps decoder steps; exact match: old $(exact "$old"), new $(exact "$new")"
row dates_old "old: seqnn eval --all" "steps/s"
row dates_new "new: seqnn eval --all" "steps/s"
[ $has_predict = 0 ] || row dates_predict "new: seqnn predict" "steps/s"
echo "charlm: 10,000 characters, temperature 0.8, seed 1"
row charlm_old "old: seqnn generate" "characters/s"
row charlm_new "new: seqnn generate" "characters/s"

#!/bin/sh
# Data-parallel scaling of `seqnn train` on one machine: for each model, the
# same global batch trained as 1 process x 1 thread, 1 process x 2 threads
# and 2 ranks x 1 thread (mpirun -np 2), in alternating rounds so that the
# load of a shared machine falls on all three alike. Per run: steps per
# second of training (steps / the log's elapsed_s at the last step: start-up,
# data reading and validation not included) and, for 2 ranks, the share of
# that time rank 0 spent in the gradient exchange (SEQNN_LOG=info's
# "gradient exchanges ... s in them": host copies, scaling, the reduction).
# Prints per model and configuration the median with min-max over the
# rounds, the load average before and after, and the figures the scaling
# model of docs/distributed.md takes: parameters (gradient bytes = 4 x
# parameters) and the 1 x 1 step time.
#
# Then what overlapping the exchange with backward (buckets allreduced as
# layers finish) would gain: bench/mpi_overlap.c (built here with mpicc) on
# each model's gradient size, with the share of it that a bucketing could
# send before backward ends (the layers after the recurrent one: their
# backward ends first; the recurrent layer's gradient is complete only when
# backward through all its steps is, and only the embedding's backward
# follows), with all of it (the unreachable ideal) and with none of it (the
# control: both ways the same, so the difference is noise), around a compute of
# a third of the 1 x 1 step (about one rank's backward on half the batch).
#
# Models: the main job's (examples/charlm/model.seqnn, LSTM H=256, batch 32
# x 100) and the LSTM H=512 case (embedding 512, LSTM 512, batch 64 x 50).
#
# usage: sh bench/mpi_scaling.sh [-r ROUNDS] [-b BACKEND] [-s STEPS_MAIN] [-t STEPS_512] SEQNN DATA
#   e.g. sh examples/charlm/prepare.sh fortunes.txt
#        sh bench/mpi_scaling.sh build/bin/seqnn fortunes.txt
set -eu
. "$(dirname "$0")/common.sh"
rounds=3 backend=avx512 steps_main=30 steps_512=6
usage="usage: mpi_scaling.sh [-r ROUNDS] [-b BACKEND] [-s STEPS_MAIN] [-t STEPS_512] SEQNN DATA"
bench_opts "r=rounds b=backend s=steps_main t=steps_512" "$usage" "$@"
shift "$bench_shift"
[ $# -eq 2 ] || { echo "$usage" >&2; exit 2; }
seqnn=$1 data=$2
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cp "$here/examples/charlm/model.seqnn" "$tmp/main.seqnn"
cat > "$tmp/lstm512.seqnn" <<'M'
seqnn 1
input tokens vocab=$vocab
embedding dim=512
lstm hidden=512 layers=1
dense out=$vocab
loss xent
optimizer adam lr=0.001 clip=5
train batch=64 seq_len=50 epochs=1 seed=1
M

# run MODEL STEPS CONFIG: appends "steps_per_s exchange_share" to $tmp/MODEL.CONFIG
run() {
    model=$1 steps=$2 config=$3
    set -- train "$tmp/$model.seqnn" --data "$data" --backend "$backend" --steps "$steps" --eval-every "$steps" \
        --val 0.002 --sample 0 --seed 7 --out "$tmp/ckpt.safetensors" --log "$tmp/log.csv"
    case $config in
    1x1) SEQNN_NUM_THREADS=1 "$seqnn" "$@" > /dev/null 2> "$tmp/err" ;;
    1x2) SEQNN_NUM_THREADS=2 "$seqnn" "$@" > /dev/null 2> "$tmp/err" ;;
    2x1) SEQNN_NUM_THREADS=1 SEQNN_LOG=info mpirun --oversubscribe -np 2 -x SEQNN_NUM_THREADS -x SEQNN_LOG \
             "$seqnn" "$@" > /dev/null 2> "$tmp/err" ;;
    esac || { tail -5 "$tmp/err" >&2; echo "mpi_scaling.sh: $model $config failed" >&2; exit 1; }
    el=$(tail -1 "$tmp/log.csv" | cut -d, -f7)
    ex=$(sed -n 's/.*rank 0 of 2: [0-9]* gradient exchanges of [0-9]* floats, \([0-9.]*\) s in them.*/\1/p' "$tmp/err")
    awk -v s="$steps" -v el="$el" -v ex="${ex:-0}" 'BEGIN { printf "%.4f %.4f\n", s / el, ex / el }' \
        >> "$tmp/$model.$config"
    sed -n 's/^total \([0-9]*\) parameters.*/\1/p' "$tmp/err" | head -1 > "$tmp/$model.params"
    grep -B1 '^total' "$tmp/err" | head -1 | awk '{ print $(NF - 1) }' > "$tmp/$model.last"   # the output layer's
}

# scaling_model NAME PARAMS STEP_MS BATCH: a model of N nodes of one rank
# each: the gradient G = 4 PARAMS bytes, compute c = STEP_MS / BATCH a
# sequence (one core), a ring allreduce A = 2 (N-1)/N G / bw + 2 (N-1) alpha
# (alpha = 10 us: Ethernet), no overlap; efficiency b c / (b c + A) for b
# sequences a node, >= 90% from b = 9 A / c.
scaling_model() {
    awk -v m="$1" -v p="$2" -v t="$3" -v B="$4" 'BEGIN {
        G = 4 * p; c = t / B; alpha = 0.010
        printf "%s: G = %.3f MB a step, compute c = %.2f ms a sequence (1 x 1: %.1f ms for %d)\n", m, G / 1e6, c, t, B
        printf "| %s | 10 Gb/s, N = 8 | 10 Gb/s, N = 64 | 100 Gb/s, N = 8 | 100 Gb/s, N = 64 |\n|---|---|---|---|---|\n", m
        split("10 10 100 100", bw); split("8 64 8 64", nn)
        for (i = 1; i <= 4; i++) { N = nn[i]; bwt[i] = 2 * (N - 1) / N * G * 8 / (bw[i] * 1e9) * 1e3; lat[i] = 2 * (N - 1) * alpha
            a[i] = bwt[i] + lat[i]; need[i] = 9 * a[i]; seqs[i] = need[i] / c; s[i] = int(seqs[i]) + (seqs[i] > int(seqs[i])); if (s[i] < 1) s[i] = 1
            gb[i] = s[i] * N; eff[i] = s[i] * c / (s[i] * c + a[i]) }
        printf "| bandwidth term 2 (N-1)/N G / bw |"; for (i = 1; i <= 4; i++) printf " %.2f ms |", bwt[i]; print ""
        printf "| latency term 2 (N-1) alpha |"; for (i = 1; i <= 4; i++) printf " %.2f ms |", lat[i]; print ""
        printf "| allreduce A |"; for (i = 1; i <= 4; i++) printf " %.2f ms |", a[i]; print ""
        printf "| compute per node for >= 90%% (9 A) |"; for (i = 1; i <= 4; i++) printf " %.1f ms |", need[i]; print ""
        printf "| sequences per node (9 A / c, rounded up) |"; for (i = 1; i <= 4; i++) printf " %d |", s[i]; print ""
        printf "| **global batch for >= 90%%** |"; for (i = 1; i <= 4; i++) printf " **%d** |", gb[i]; print ""
        printf "| efficiency at the measured global batch (%d) |", B; for (i = 1; i <= 4; i++) { b = B / nn[i]; printf " %s |", b < 1 ? "-" : sprintf("%.0f%%", 100 * b * c / (b * c + a[i])) }; print ""
    }'
}

# median min max of column C of FILE, to three decimals
stats() {
    bench_stats "$1" "$2" | awk '{ printf "%.3f %.3f %.3f", $1, $2, $3 }'
}

grep -m1 'model name' /proc/cpuinfo | sed 's/^[^:]*: */cpu: /'
echo "cores: $(nproc)  backend: $backend  rounds: $rounds  commit: $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo ?)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
r=1
while [ "$r" -le "$rounds" ]; do
    for config in 1x1 1x2 2x1; do
        run main "$steps_main" $config
        run lstm512 "$steps_512" $config
    done
    r=$((r + 1))
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '\n| model | run | steps/s median (min - max) | exchange share of the step, median (min - max) |\n|---|---|---|---|\n'
for model in main lstm512; do
    for config in 1x1 1x2 2x1; do
        set -- $(stats "$tmp/$model.$config" 1)
        line="| $model | $config | $1 ($2 - $3) |"
        if [ $config = 2x1 ]; then
            set -- $(stats "$tmp/$model.$config" 2)
            line="$line $(awk -v a="$1" -v b="$2" -v c="$3" 'BEGIN { printf "%.1f%% (%.1f - %.1f%%)", 100 * a, 100 * b, 100 * c }') |"
        else
            line="$line |"
        fi
        echo "$line"
    done
done
echo
for model in main lstm512; do
    p=$(cat "$tmp/$model.params")
    set -- $(stats "$tmp/$model.1x1" 1)
    awk -v m="$model" -v p="$p" -v r="$1" 'BEGIN { printf "%s: %d parameters, gradient %.3f MB a step; 1 x 1: %.1f ms a step\n",
        m, p, 4 * p / 1e6, 1000 / r }'
done
echo
echo "the scaling model, from each model's fastest 1 x 1 run (the load only slows a run down):"
scaling_model main "$(cat "$tmp/main.params")" "$(stats "$tmp/main.1x1" 1 | awk '{ print 1000 / $3 }')" 32
scaling_model lstm512 "$(cat "$tmp/lstm512.params")" "$(stats "$tmp/lstm512.1x1" 1 | awk '{ print 1000 / $3 }')" 64
echo
if ! mpicc -O2 -o "$tmp/overlap" "$here/bench/mpi_overlap.c" 2> "$tmp/cc.err"; then
    echo "overlap: not measured (mpicc failed: $(head -1 "$tmp/cc.err"))"
    exit 0
fi
for model in main lstm512; do
    p=$(cat "$tmp/$model.params")
    early=$(awk -v a="$(cat "$tmp/$model.last")" -v p="$p" 'BEGIN { printf "%.4f", a / p }')
    set -- $(stats "$tmp/$model.1x1" 1)
    ms=$(awk -v r="$1" 'BEGIN { printf "%.0f", 1000 / r / 3 }')
    for f in 0 "$early" 1; do            # 0: the same twice, the noise of the comparison
        printf '%s: ' "$model"
        mpirun --oversubscribe -np 2 "$tmp/overlap" "$p" "$f" "$ms" 4 15
    done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

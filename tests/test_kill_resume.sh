#!/bin/sh
# Crash-safe training: starts `seqnn train`, kills it with SIGKILL at random
# moments, checks that every checkpoint left behind is loadable, resumes from
# the last one, and repeats until the run completes; the final checkpoint must
# equal, byte for byte, that of a run never interrupted (same seed, same
# plugin).
#
# The run lasts about 3 s (60 to 600 steps, from a short calibration run).
# The kill moments come from the uninterrupted run's measured duration D: the
# k-th kill (of CYCLES) falls at a uniformly random moment in the first part of
# what is left of the run, at most (left)/(kills left + 1) after the process
# starts, where "left" is D times the fraction of steps not yet logged. So
# kills land anywhere in a process's life (loading, training steps, evaluation,
# checkpoint writes) and leave time for the kills still to come. A kill counts
# as delivered only when the process died of it (exit status 128 + 9): one that
# came after the process had finished would not. Every one of the CYCLES kills
# must be delivered.
# usage: test_kill_resume.sh SEQNN_BINARY WORK_DIR [CYCLES]
set -u
seqnn=$1
work=$2
cycles=${3:-12}
case $seqnn in /*) ;; *) seqnn=$PWD/$seqnn ;; esac
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
i=0
while [ $i -lt 80 ]; do
    echo "pack my box with five dozen liquor jugs; how vexingly quick daft zebras jump $i"
    i=$((i + 1))
done > text.txt
model() {    # model STEPS > lm.seqnn
    cat <<M
seqnn 1
input tokens vocab=\$vocab
embedding dim=8
gru hidden=48 layers=2 dropout=0.1
dense out=\$vocab
optimizer adam lr=0.01 clip=1
train batch=4 seq_len=16 epochs=100 steps=$1 eval_every=6 val=0.1 seed=11
M
}
common="--data text.txt --backend ref --sample 0"
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# the run's length: about 3 s of this build's training (a sanitizer build is
# many times slower), from the training time (elapsed_s of its log, start-up
# not included) of a 24-step calibration run; 60 to 600 steps
model 24 > lm.seqnn
"$seqnn" train lm.seqnn $common --out calibration.safetensors --log calibration.csv > /dev/null 2>&1 ||
    { echo "FAIL: calibration run"; exit 1; }
steps=$(awk -F, 'END { ms = $7 * 1000; if (ms < 10) ms = 10; s = int(3000 * 24 / ms / 6) * 6;
                       print (s < 60 ? 60 : (s > 600 ? 600 : s)) }' calibration.csv)
model "$steps" > lm.seqnn
t0=$(now_ms)
"$seqnn" train lm.seqnn $common --out straight.safetensors > /dev/null 2>&1 || { echo "FAIL: straight run"; exit 1; }
duration=$(( $(now_ms) - t0 ))
echo "uninterrupted run: $steps steps in $duration ms"

fails=0 kills=0 resumes=0 late=0 n=0
seed=7
rm -f run-last.safetensors log.csv
while [ $n -lt 200 ]; do
    n=$((n + 1))
    if [ -f run-last.safetensors ]; then
        set -- --resume run-last.safetensors
        resumes=$((resumes + 1))
    else
        set --
    fi
    "$seqnn" train lm.seqnn $common --out run.safetensors --log log.csv "$@" > /dev/null 2> train.err &
    pid=$!
    killing=0
    if [ $kills -lt "$cycles" ]; then
        done_steps=$(tail -n 1 log.csv 2> /dev/null | cut -d, -f1)
        case $done_steps in '' | *[!0-9]*) done_steps=0 ;; esac
        left=$(( duration * (steps - done_steps) / steps ))
        window=$(( left / (cycles - kills + 1) ))
        seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
        delay=$(( window / 10 + seed % (window - window / 10 + 1) ))    # in [window/10, window] ms
        sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
        kill -9 "$pid" 2> /dev/null
        killing=1
    fi
    wait "$pid"
    rc=$?
    if [ $rc -eq 0 ]; then
        [ $killing -eq 1 ] && late=$((late + 1))
        break                                               # finished
    fi
    if [ $killing -eq 1 ] && [ $rc -eq 137 ]; then
        kills=$((kills + 1))
        echo "kill $kills: ${delay} ms after the start (window $window ms, $done_steps of $steps steps logged before)"
    else
        echo "FAIL: the run ended with status $rc: $(tail -n 3 train.err)"
        fails=$((fails + 1))
        break
    fi
    # every checkpoint there must load
    for f in run.safetensors run-last.safetensors; do
        [ -f "$f" ] || continue
        if ! "$seqnn" eval "$f" --data text.txt --backend ref > /dev/null 2> eval.err; then
            echo "FAIL: $f unloadable after kill $kills: $(cat eval.err)"
            fails=$((fails + 1))
        fi
    done
    ls | grep -q '\.tmp\.' && rm -f ./*.tmp.*              # a killed writer's temp file: never the checkpoint itself
done
echo "kills delivered: $kills of $cycles, resumes: $resumes"
if cmp -s straight-last.safetensors run-last.safetensors; then
    echo "ok: killed $kills times and resumed, the final checkpoint equals the uninterrupted run's"
else
    echo "FAIL: the resumed run's final checkpoint differs from the uninterrupted run's"
    fails=$((fails + 1))
fi
if [ $kills -ne "$cycles" ]; then
    echo "FAIL: $kills of $cycles kills reached a live training process ($late came after it had finished)"
    fails=$((fails + 1))
fi
[ $fails -eq 0 ]

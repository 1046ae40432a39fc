#!/bin/sh
# Crash-safe training: starts `seqnn train`, kills it with SIGKILL at
# pseudo-random moments, checks that whatever checkpoint exists is loadable,
# resumes from the last one, and repeats until the run completes; the final
# checkpoint must equal, byte for byte, that of a run never interrupted (same
# seed, same plugin). usage: test_kill_resume.sh SEQNN_BINARY WORK_DIR [CYCLES]
set -u
seqnn=$1
work=$2
cycles=${3:-12}
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
i=0
while [ $i -lt 80 ]; do
    echo "pack my box with five dozen liquor jugs; how vexingly quick daft zebras jump $i"
    i=$((i + 1))
done > text.txt
cat > lm.seqnn <<'M'
seqnn 1
input tokens vocab=$vocab
embedding dim=8
gru hidden=48 layers=2 dropout=0.1
dense out=$vocab
optimizer adam lr=0.01 clip=1
train batch=4 seq_len=16 steps=120 eval_every=4 val=0.1 seed=11
M
common="--data text.txt --backend ref --sample 0"
"$seqnn" train lm.seqnn $common --out straight.safetensors > /dev/null 2>&1 || { echo "FAIL: straight run"; exit 1; }

fails=0 kills=0 resumes=0 n=0
seed=7
rm -f run-last.safetensors
while [ $n -lt 200 ]; do
    n=$((n + 1))
    if [ -f run-last.safetensors ]; then
        set -- --resume run-last.safetensors
        resumes=$((resumes + 1))
    else
        set --
    fi
    "$seqnn" train lm.seqnn $common --out run.safetensors "$@" > /dev/null 2> train.err &
    pid=$!
    if [ $kills -lt "$cycles" ]; then
        seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
        delay=$(( seed % 900 + 100 ))                       # 0.1 to 1.0 s
        sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
        if kill -9 "$pid" 2> /dev/null; then
            kills=$((kills + 1))
        fi
    fi
    if wait "$pid"; then
        break                                               # finished
    fi
    # killed (or failed): every checkpoint there must load
    for f in run.safetensors run-last.safetensors; do
        [ -f "$f" ] || continue
        if ! "$seqnn" eval "$f" --data text.txt --backend ref > /dev/null 2> eval.err; then
            echo "FAIL: $f unloadable after kill $kills: $(cat eval.err)"
            fails=$((fails + 1))
        fi
    done
    ls | grep -q '\.tmp\.' && rm -f ./*.tmp.*              # a killed writer's temp file: never the checkpoint itself
done
echo "kills: $kills, resumes: $resumes"
if cmp -s straight-last.safetensors run-last.safetensors; then
    echo "ok: killed $kills times and resumed, the final checkpoint equals the uninterrupted run's"
else
    echo "FAIL: the resumed run's final checkpoint differs from the uninterrupted run's"
    fails=$((fails + 1))
fi
[ $kills -ge 1 ] || { echo "FAIL: never managed to kill the run (too fast?)"; fails=$((fails + 1)); }
[ $fails -eq 0 ]

#!/bin/sh
# examples/qa as a test, sampled: 3000 examples (the example uses 20000) and
# 12 epochs (25), seconds per model. The two-branch model must beat both
# single-branch baselines by 15 points of held-out accuracy. Measured (data
# seeds 1, 2, 3 via QA_SEED): two-branch 66.3 / 66.7 / 65.3%, question only
# 38.0 / 41.0 / 41.3%, scene only 18.7 / 19.7 / 21.7%: the margin is at
# least 24 points. Also: seqnn eval of the checkpoint agrees with training.
# usage: test_qa.sh SEQNN EXAMPLES_QA_DIR WORK_DIR
set -u
seqnn=$1 ex=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
"$seqnn" data qa qa.txt --n 3000 --seed "${QA_SEED:-1}" 2> data.err || { cat data.err; exit 1; }
for m in two-branch question-only scene-only; do
    if ! "$seqnn" train "$ex/$m.seqnn" --data qa.txt --format multi --words --epochs 12 --out "$m.safetensors" \
            > "$m.out" 2> "$m.err"; then
        echo "FAIL: $m: training failed: $(tail -5 "$m.err")"
        exit 1
    fi
    acc=$(sed -n 's/^validation: .*accuracy \([0-9.]*\)%.*/\1/p' "$m.out")
    echo "$m: held-out accuracy $acc%"
    eval "acc_$(echo "$m" | tr - _)=\$acc"
done
# eval reads the checkpoint and the same file, and agrees with training
again=$("$seqnn" eval two-branch.safetensors --data qa.txt | sed -n 's/^validation: .*accuracy \([0-9.]*\)%.*/\1/p')
[ "$again" = "$acc_two_branch" ] || { echo "FAIL: eval says $again%, training said $acc_two_branch%"; exit 1; }
if awk "BEGIN { exit !($acc_two_branch >= $acc_question_only + 15 && $acc_two_branch >= $acc_scene_only + 15) }"; then
    echo "ok: two-branch $acc_two_branch% beats question-only $acc_question_only% and scene-only $acc_scene_only% by 15 points"
else
    echo "FAIL: two-branch $acc_two_branch% does not beat question-only $acc_question_only% and scene-only $acc_scene_only% by 15 points"
    exit 1
fi

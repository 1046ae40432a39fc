#!/bin/sh
# `seqnn train --lr-schedule`: the log's lr column follows the schedule step
# by step (warm-up then step decay), a run stopped at step 4 and resumed with
# --resume logs the same rates and ends with the same checkpoint as one run
# straight through, the model file's schedule line is used without the option,
# and a bad spec is refused before training.
# usage: test_cli_schedule.sh SEQNN_BINARY WORK_DIR
set -u
seqnn=$1
work=$2
case $seqnn in /*) ;; *) seqnn=$PWD/$seqnn ;; esac
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
i=0
while [ $i -lt 40 ]; do
    echo "pack my box with five dozen liquor jugs $i"
    i=$((i + 1))
done > text.txt
model() {    # model STEPS [SCHEDULE LINE]
    printf 'seqnn 1\ninput tokens vocab=$vocab\nembedding dim=8\ngru hidden=16\ndense out=$vocab\n'
    printf 'optimizer sgd lr=0.4\ntrain batch=4 seq_len=8 epochs=100 steps=%s eval_every=1 val=0.1 seed=3\n' "$1"
    [ -n "${2:-}" ] && printf '%s\n' "$2"
    return 0
}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
common="--data text.txt --backend ref --sample 0"
spec="step warmup=2 warmup_start=0.5 step_size=2 gamma=0.5"
# lr of steps 1..8: warm-up 0.2, 0.3; then 0.4, 0.4, 0.2, 0.2, 0.1, 0.1
expect="0.2 0.3 0.4 0.4 0.2 0.2 0.1 0.1"
lrs() { tail -n +2 "$1" | cut -d, -f8 | tr '\n' ' ' | sed 's/ $//'; }

model 8 > lm.seqnn
"$seqnn" train lm.seqnn $common --lr-schedule "$spec" --out straight.safetensors --log straight.csv \
    > /dev/null 2> straight.err || fail "straight run: $(cat straight.err)"
[ "$(head -n 1 straight.csv | cut -d, -f8)" = lr ] || fail "the log has no lr column: $(head -n 1 straight.csv)"
[ "$(lrs straight.csv)" = "$expect" ] || fail "lr column '$(lrs straight.csv)', expected '$expect'"

# stopped after step 4, resumed to 8: the same rates and the same last checkpoint
model 4 > lm4.seqnn
"$seqnn" train lm4.seqnn $common --lr-schedule "$spec" --out part.safetensors --log part.csv \
    > /dev/null 2> part.err || fail "first half: $(cat part.err)"
"$seqnn" train lm.seqnn $common --lr-schedule "$spec" --out part.safetensors --log part.csv \
    --resume part-last.safetensors > /dev/null 2> resume.err || fail "resumed half: $(cat resume.err)"
[ "$(lrs part.csv)" = "$expect" ] || fail "resumed lr column '$(lrs part.csv)', expected '$expect'"
cmp -s straight-last.safetensors part-last.safetensors || fail "the resumed run's last checkpoint differs"

# the model file's line, no option
model 8 "schedule $spec" > lm_sched.seqnn
"$seqnn" train lm_sched.seqnn $common --out file.safetensors --log file.csv > /dev/null 2> file.err ||
    fail "model-file schedule: $(cat file.err)"
[ "$(lrs file.csv)" = "$expect" ] || fail "model-file schedule: lr column '$(lrs file.csv)'"

# a bad spec: refused with the reason, nothing trained
if "$seqnn" train lm.seqnn $common --lr-schedule "step gamma=2" --out bad.safetensors > /dev/null 2> bad.err; then
    fail "gamma=2 accepted"
fi
grep -q "gamma" bad.err || fail "the error does not name gamma: $(cat bad.err)"
[ ! -e bad.safetensors ] || fail "a refused run wrote a checkpoint"
if "$seqnn" train lm.seqnn $common --lr-schedule "cosine patience=3" > /dev/null 2> bad2.err; then
    fail "patience accepted for cosine"
fi
grep -q "does not apply" bad2.err || fail "patience for cosine: $(cat bad2.err)"

[ $fails -eq 0 ] && echo "PASS" || echo "FAIL: $fails"
exit $fails

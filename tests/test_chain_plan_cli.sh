#!/bin/sh
# `seqnn plan` (docs/backends.md, "Placement plans"): the main job's model
# (examples/charlm/model.seqnn) planned on the example partial plugin before
# avx2 lists each layer's kernels on the right device and bytes copied per
# step; on avx2 alone nothing is copied; on the partial plugin alone (a single
# entry: strict) the calls it lacks have no device, each named with the
# plugin's answer, and the exit status is 1.
# usage: test_chain_plan_cli.sh SEQNN PARTIAL_PLUGIN MODEL WORK_DIR
set -u
seqnn=$1 partial=$2 model=$3 dir=$4
mkdir -p "$dir" || exit 1
fail=0
expect() {   # description file regex
    grep -Eq "$3" "$2" || { echo "FAIL: $1: no line matching /$3/ in $2:"; cat "$2"; fail=1; }
}
"$seqnn" plan "$model" --backend "$partial,avx2" --batch 8 --seq-len 20 > "$dir/chain.txt" 2>&1 ||
    { echo "FAIL: seqnn plan on the chain exited $?"; cat "$dir/chain.txt"; fail=1; }
expect "the header" "$dir/chain.txt" "^plan of .* for batches of 8 x 20 steps on partial then avx2$"
expect "the lstm on the partial plugin" "$dir/chain.txt" "^lstm +forward +rnn_forward +partial +1 "
expect "its backward too" "$dir/chain.txt" "^lstm +backward +rnn_backward +partial +1 "
expect "the embedding on avx2" "$dir/chain.txt" "^embed +forward +embedding_forward +avx2 +1 "
expect "the update on avx2" "$dir/chain.txt" "^\(model\) +update +adam_step +avx2 +1 "
expect "inference rows" "$dir/chain.txt" "^fc +inference +gemm +partial +1 "
expect "the parameters' home" "$dir/chain.txt" "^  lstm +output partial\+avx2; .*parameters avx2; gradients avx2; optimizer state avx2;$"
expect "bytes per step" "$dir/chain.txt" \
    "^every later training step: [1-9][0-9]* calls on partial, [1-9][0-9]* calls on avx2; [1-9][0-9]* copies between devices, [1-9][0-9]* bytes"
"$seqnn" plan "$model" --backend avx2 --batch 8 --seq-len 20 > "$dir/one.txt" 2>&1 ||
    { echo "FAIL: seqnn plan on avx2 exited $?"; cat "$dir/one.txt"; fail=1; }
expect "nothing copied on one device" "$dir/one.txt" "^every later training step: [0-9]+ calls on avx2; 0 copies between devices, 0 bytes$"
"$seqnn" plan "$model" --backend "$partial" --batch 8 --seq-len 20 > "$dir/alone.txt" 2>&1
rc=$?
[ $rc = 1 ] || { echo "FAIL: seqnn plan on the partial plugin alone exited $rc, not 1"; fail=1; }
expect "a call without a device" "$dir/alone.txt" "^embed +forward +embedding_forward +NONE +1 "
expect "the plugin's answer" "$dir/alone.txt" "^    no device runs it: 'partial' does not implement it$"
[ $fail = 0 ] && echo "seqnn plan: all expectations met"
exit $fail

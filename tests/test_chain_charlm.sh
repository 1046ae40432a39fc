#!/bin/sh
# The main job's model (examples/charlm/model.seqnn) trained through the CLI
# for a few short steps on the reference plugin alone and on a chain of a
# partial plugin (gemm and the recurrent layers) before avx2: the chain's loss
# and validation loss at each logged step stay within the loss-curve budget of
# test_backends_agree (|loss - loss_ref| <= 1e-4 + 1e-3 |loss_ref|), and the
# chain reports the calls each device ran and the bytes copied.
# usage: test_chain_charlm.sh SEQNN PARTIAL_PLUGIN MODEL TEXT_DIR WORK_DIR
set -u
seqnn=$1 partial=$2 model=$3 text_dir=$4 dir=$5
mkdir -p "$dir" || exit 1
cat "$text_dir"/*.md > "$dir/text.txt" || exit 1
train() {   # backend log
    SEQNN_LOG=info "$seqnn" train "$model" --data "$dir/text.txt" --backend "$1" --steps 4 --batch 8 \
        --seq-len 25 --eval-every 2 --sample 0 --log "$2" --out "$dir/model.safetensors" > "$2.out" 2>&1
    rc=$?
    grep -E "chain:|trained" "$2.out"
    [ $rc = 0 ] || { cat "$2.out"; echo "FAIL: training on $1 exited with $rc"; exit 1; }
}
train ref "$dir/ref.csv"
train "$partial,avx2" "$dir/chain.csv"
grep -q "chain: kernel calls [1-9][0-9]* on testpartial, [1-9][0-9]* on avx2" "$dir/chain.csv.out" ||
    { echo "FAIL: the chain did not run calls on both devices"; exit 1; }
grep -q "^placement: lstm runs on testpartial (rnn_forward, rnn_backward)$" "$dir/chain.csv.out" &&
    grep -q "^placement: embed runs on avx2 (embedding_forward, embedding_backward)$" "$dir/chain.csv.out" ||
    { echo "FAIL: seqnn train did not say where each layer runs"; cat "$dir/chain.csv.out"; exit 1; }
grep -q "plan (batch 8, 25 steps): a training step runs" "$dir/chain.csv.out" ||
    { echo "FAIL: no plan summary at model build (SEQNN_LOG=info)"; exit 1; }
awk -F, 'NR == FNR { if (FNR > 1) { t[$1] = $3; v[$1] = $4 }; next }
         FNR > 1 {
             n++
             dt = $3 - t[$1]; if (dt < 0) dt = -dt
             dv = $4 - v[$1]; if (dv < 0) dv = -dv
             bt = 1e-4 + 1e-3 * t[$1]; bv = 1e-4 + 1e-3 * v[$1]
             printf "step %s: train loss %s (ref %s), validation loss %s (ref %s)\n", $1, $3, t[$1], $4, v[$1]
             if (!($1 in t) || dt > bt || dv > bv) { print "FAIL: outside the budget"; bad = 1 }
         }
         END { if (!n) { print "FAIL: no logged step"; bad = 1 }; exit bad }' "$dir/ref.csv" "$dir/chain.csv"

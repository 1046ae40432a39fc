#!/bin/sh
# `seqnn export` (part of CTest onnx_export, after test_onnx_export wrote
# checkpoints into WORK): exports of checkpoints (a softmax and a
# log_softmax appended, for export_check.py: lines "NAME cli SOURCE FINAL"
# added to WORK/manifest.txt), re-import with `seqnn import`, and the
# errors: an export's key mask edited for other heads (import), not a checkpoint, an unwritable output, layers without an ONNX
# form, bad options. Every failure: exit status 1 (2: options), a message,
# no output file and no temporary file left.
# usage: export_cli.sh SEQNN WORK
seqnn=$1 top=$2
work=$top/cli
. "$(dirname "$0")/../cli_helpers.sh"

# fails NAME PATTERN CMD...: expect_fail, and no sanitizer report (a leak on
# an error path of a sanitizer build also exits non-zero)
fails() {
    expect_fail "$@"
    if grep -q "Sanitizer\|runtime error" err.txt; then bad "$1: sanitizer report: $(head -3 err.txt)"; fi
}

# nothing NAME: no file NAME, nor NAME.tmp.*
nothing() {
    if ls "$1" "$1".tmp.* > /dev/null 2>&1; then bad "$2: left $(ls "$1"*)"; else ok "$2: nothing written"; fi
}

for spec in "bits_problem3 softmax 14" "fortune-topics_bilstm log_softmax 13" "qa_two-branch raw 17" \
    "export_models_seq2seq raw 13" "export_models_attention log_softmax 17"; do
    set -- $spec
    if "$seqnn" export "$top/$1.safetensors" -o "cli_$1.onnx" --final "$2" --opset "$3" 2> err.txt; then
        ok "export $1 --final $2 --opset $3: $(cat err.txt)"
        echo "cli/cli_$1 cli $1 $2" >> "$top/manifest.txt"
    else
        bad "export $1 --final $2 --opset $3: $(cat err.txt)"
    fi
done
# --lengths: the graph takes the lengths the test ran with (export_check.py feeds them)
if "$seqnn" export "$top/fortune-topics_kim-cnn.safetensors" -o cli_kim_len.onnx --lengths 2> err.txt &&
    grep -q "with lengths" err.txt; then
    ok "export --lengths: $(cat err.txt)"
    echo "cli/cli_kim_len cli fortune-topics_kim-cnn.len raw" >> "$top/manifest.txt"
else
    bad "export --lengths: $(cat err.txt)"
fi
# an export re-imported, and the import's checkpoint exported again
if "$seqnn" import cli_bits_problem3.onnx -o back.safetensors 2> err.txt &&
    "$seqnn" export back.safetensors -o cli_again.onnx 2>> err.txt &&
    grep -q "then softmax" err.txt; then
    ok "import of an export, exported again with the softmax it ended in"
    echo "cli/cli_again cli bits_problem3 softmax" >> "$top/manifest.txt"
else
    bad "import then export: $(cat err.txt)"
fi

# a key mask whose lengths are repeated for one head more than the scores have (the first
# Expand(., [1, h]) of an export with lengths made [1, h + 1]): refused by `seqnn import`
for src in export_models_mha.len export_models_encdec.len; do
    /usr/bin/python3 -c "
import sys, onnx
from onnx import numpy_helper as nh
m = onnx.load(sys.argv[1])
inits = {t.name: t for t in m.graph.initializer}
t = inits[next(n for n in m.graph.node if n.op_type == 'Expand').input[1]]
a = nh.to_array(t).copy()
a[1] += 1
t.CopyFrom(nh.from_array(a, t.name))
onnx.save(m, sys.argv[2])" "$top/$src.ref.onnx" "heads_$src.onnx" || bad "heads_$src: not written"
    fails "key mask of other heads ($src)" "expanded for 3 heads meets scores of 2" \
        "$seqnn" import "heads_$src.onnx" -o heads.safetensors
    nothing heads.safetensors "key mask of other heads ($src)"
done

printf 'not a checkpoint\n' > text.safetensors
fails "not a checkpoint" "text.safetensors" "$seqnn" export text.safetensors -o a.onnx
nothing a.onnx "not a checkpoint"
fails "missing checkpoint" "missing.safetensors" "$seqnn" export missing.safetensors -o a.onnx
nothing a.onnx "missing checkpoint"
fails "unwritable output" "cannot write" "$seqnn" export "$top/bits_problem3.safetensors" -o no/such/dir/a.onnx
nothing no/such/dir/a.onnx "unwritable output"
fails "tree layer" "layer 'tree' (tree): a recursive network" \
    "$seqnn" export "$top/tree_tree-lstm.safetensors" -o tree.onnx
nothing tree.onnx "tree layer"
fails "projection" "an LSTM with a projection has no ONNX form" \
    "$seqnn" export "$top/export_models_refuse-proj.safetensors" -o proj.onnx
nothing proj.onnx "projection"
fails "opset 12" "opset 12 (the exporter writes 13 to 17)" \
    "$seqnn" export "$top/bits_problem3.safetensors" -o a.onnx --opset 12
nothing a.onnx "opset 12"
fails "--final" "--final is raw, softmax or log_softmax" \
    "$seqnn" export "$top/bits_problem3.safetensors" -o a.onnx --final sigmoid
fails "output is the input" "is the input" \
    "$seqnn" export "$top/bits_problem3.safetensors" -o "$top/bits_problem3.safetensors"
"$seqnn" export > /dev/null 2>&1
[ $? = 2 ] && ok "no arguments: exit status 2" || bad "no arguments: not exit status 2"
echo "export_cli: $fails failures"
[ $fails = 0 ]

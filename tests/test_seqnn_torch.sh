#!/bin/sh
# scripts/seqnn_torch.py, both ways, on a classifier trained by `seqnn train`:
# its parameters load into the equivalent torch.nn.Module (strict); weights
# set in PyTorch come back into a seqnn checkpoint that seqnn evaluates (all
# zeros: the loss of uniform logits, ln 2); a round trip changes nothing;
# other attribute names with --rename; a missing or misshapen tensor is
# refused with its name. Skipped (77) without /usr/bin/python3 and torch,
# a failure instead under CI=true.
# usage: test_seqnn_torch.sh SEQNN SCRIPT WORK_DIR
set -u
seqnn=$1 script=$2 work=$3
py=/usr/bin/python3
if ! "$py" -c "import torch, numpy" > /dev/null 2>&1; then
    echo "skipped: $py cannot import torch and numpy (apt-get install python3-torch python3-numpy)"
    [ "${CI:-}" = true ] && { echo "CI=true: failing"; exit 1; }
    exit 77
fi
. "$(dirname "$0")/cli_helpers.sh"
i=0
while [ $i -lt 30 ]; do echo "pos	good fine $i"; echo "neg	bad poor $i"; i=$((i + 1)); done > cls.txt
cat > cls.seqnn <<'M'
seqnn 1
input tokens vocab=$vocab
embedding dim=6
lstm hidden=5 last=1
dense out=$classes
train batch=8 steps=20 val=0.2
M
"$seqnn" train cls.seqnn --format classify --data cls.txt --out c.safetensors > /dev/null 2> train.err \
    || { bad "training: $(cat train.err)"; exit 1; }
V=$(grep -o "vocabulary [0-9]*" train.err | grep -o "[0-9]*")

"$py" "$script" to-torch c.safetensors c.pt 2> to.err && ok "to-torch: $(cat to.err)" || bad "to-torch: $(cat to.err)"
cat > module.py <<P
import sys, torch, torch.nn as nn
class Classifier(nn.Module):
    def __init__(self, names=("embedding", "lstm", "fc")):
        super().__init__()
        self.names = names
        setattr(self, names[0], nn.Embedding($V, 6))
        setattr(self, names[1], nn.LSTM(6, 5))
        setattr(self, names[2], nn.Linear(5, 2))
P
PYTHONPATH=. "$py" - <<'P' 2> load.err && ok "the state_dict loads into the nn.Module (strict)" || bad "load_state_dict: $(cat load.err)"
import torch
from module import Classifier
m = Classifier()
m.load_state_dict(torch.load("c.pt", weights_only=True), strict=True)
torch.save({k: torch.zeros_like(v) for k, v in m.state_dict().items()}, "zero.pt")
P
"$py" "$script" from-torch zero.pt c.safetensors z.safetensors 2> from.err && ok "from-torch: $(cat from.err)" \
    || bad "from-torch: $(cat from.err)"
"$seqnn" eval z.safetensors --data cls.txt --all > z.out 2> z.err
grep -q "loss 0.6931," z.out && ok "zero weights from PyTorch: seqnn's loss is ln 2 ($(head -1 z.out))" \
    || bad "zero weights: $(cat z.out z.err)"
"$py" "$script" from-torch c.pt c.safetensors back.safetensors 2> back.err || bad "round trip: $(cat back.err)"
"$seqnn" eval c.safetensors --data cls.txt > c.out 2>&1
"$seqnn" eval back.safetensors --data cls.txt > back.out 2>&1
[ -s c.out ] && cmp -s c.out back.out && ok "round trip: the same figures ($(head -1 c.out))" \
    || bad "round trip differs: $(cat c.out back.out)"
# other attribute names
"$py" "$script" to-torch c.safetensors r.pt --rename embedding=embed --rename lstm=rnn --rename fc=out 2> /dev/null
PYTHONPATH=. "$py" - <<'P' 2> rename.err && ok "--rename: loads into a module named otherwise" || bad "--rename: $(cat rename.err)"
import torch
from module import Classifier
m = Classifier(("embed", "rnn", "out"))
m.load_state_dict(torch.load("r.pt", weights_only=True), strict=True)
P
"$py" "$script" from-torch r.pt c.safetensors r.safetensors --rename embedding=embed --rename lstm=rnn \
    --rename fc=out 2> /dev/null
"$seqnn" eval r.safetensors --data cls.txt > r.out 2>&1
cmp -s c.out r.out && ok "--rename: back into seqnn, the same figures" || bad "--rename back: $(cat r.out)"
# refused: a tensor missing, a shape that differs
"$py" - <<'P'
import torch
s = torch.load("c.pt", weights_only=True)
t = dict(s); del t["fc.bias"]; torch.save(t, "missing.pt")
t = dict(s); t["fc.weight"] = torch.zeros(3, 5); torch.save(t, "shape.pt")
P
expect_fail "from-torch: a missing tensor" "missing fc.bias" "$py" "$script" from-torch missing.pt c.safetensors m.safetensors
expect_fail "from-torch: another shape" "'fc.weight' is \[3, 5\]" "$py" "$script" from-torch shape.pt c.safetensors s.safetensors
ls m.safetensors* s.safetensors* > /dev/null 2>&1 && bad "a refused import left a file" || ok "refused imports leave no file"
echo "$fails failure(s)"
[ "$fails" -eq 0 ]

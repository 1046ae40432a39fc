#!/bin/sh
# The CLI end to end on a small text: train a character-level LSTM for a few
# steps, evaluate, generate, resume; then bad input: each must fail with a
# clear message (checked by pattern), a non-zero exit, and no partial output.
# usage: test_cli.sh SEQNN_BINARY WORK_DIR
set -u
seqnn=$1
work=$2
golden=$(cd "$(dirname "$0")/golden" && pwd)
. "$(dirname "$0")/cli_helpers.sh"

make_text text.txt
cat > lm.seqnn <<'M'
seqnn 1
input tokens vocab=$vocab
embedding dim=8
lstm hidden=32 layers=2 dropout=0.1
dense out=$vocab
optimizer adam lr=0.01 clip=5
train batch=4 seq_len=20 steps=40 eval_every=20 val=0.1 seed=3
M

# --- the happy path
if "$seqnn" train lm.seqnn --data text.txt --out lm.safetensors --log loss.csv --backend ref \
        --sample 40 > train.out 2> train.err; then
    ok "train"
else
    bad "train: $(cat train.err)"
fi
grep -q "bits per character" train.out && ok "train reports bits per character" || bad "no bpc line: $(cat train.out)"
[ -s lm.safetensors ] && ok "checkpoint written" || bad "no checkpoint"
[ "$(wc -l < loss.csv)" -eq 3 ] && ok "loss log has a header and 2 rows" || bad "loss log: $(cat loss.csv)"
ls | grep -q '\.tmp' && bad "temporary files left: $(ls)" || ok "no temporary files left"
first=$(sed -n 2p loss.csv | cut -d, -f4)
last=$(sed -n 3p loss.csv | cut -d, -f4)
awk "BEGIN { exit !($last < $first) }" && ok "validation loss falls ($first -> $last)" \
    || bad "validation loss does not fall ($first -> $last)"
"$seqnn" eval lm.safetensors --data text.txt --backend ref > eval.out 2> eval.err \
    && grep -q "bits per character" eval.out && ok "eval" || bad "eval: $(cat eval.err)"
# eval reproduces train's final validation figure exactly (same plugin, same split)
[ "$(grep '^validation' train.out)" = "$(grep '^validation' eval.out)" ] && ok "eval = train's figure" \
    || bad "eval differs: $(grep '^validation' train.out) / $(cat eval.out)"
"$seqnn" generate lm.safetensors --prime "the " --length 30 --seed 5 --backend ref > gen1.out 2> gen.err \
    && [ "$(wc -c < gen1.out)" -ge 30 ] && ok "generate" || bad "generate: $(cat gen.err)"
"$seqnn" generate lm.safetensors --prime "the " --length 30 --seed 5 --backend ref > gen2.out 2>/dev/null
cmp -s gen1.out gen2.out && ok "generate is deterministic" || bad "generate differs run to run"
"$seqnn" train lm.seqnn --data text.txt --out lm2.safetensors --backend ref --resume lm.safetensors \
    --steps 45 --sample 0 > resume.out 2> resume.err && ok "resume" || bad "resume: $(cat resume.err)"
# same seed, same plugin: the same checkpoint
"$seqnn" train lm.seqnn --data text.txt --out again.safetensors --backend ref --sample 0 > /dev/null 2>&1
cmp -s lm.safetensors again.safetensors && ok "training is deterministic" || bad "two runs differ"

# options that change the split (--val, --seed) are remembered by the checkpoint
"$seqnn" train lm.seqnn --data text.txt --out split.safetensors --backend ref --steps 10 --val 0.3 --seed 9 \
    --sample 0 > split.out 2>/dev/null
"$seqnn" eval split.safetensors --data text.txt --backend ref > split_eval.out 2>/dev/null
[ -s split.out ] && [ "$(grep '^validation' split.out)" = "$(grep '^validation' split_eval.out)" ] \
    && ok "eval splits as training did (--val, --seed)" || bad "eval split differs: $(cat split.out split_eval.out)"

# interrupted and resumed = uninterrupted: the last checkpoints are identical
"$seqnn" train lm.seqnn --data text.txt --out half.safetensors --backend ref --steps 20 --sample 0 \
    > /dev/null 2>&1 &&
"$seqnn" train lm.seqnn --data text.txt --out resumed.safetensors --backend ref --sample 0 \
    --resume half-last.safetensors > /dev/null 2> resumed.err || bad "resumed run: $(cat resumed.err)"
cmp -s lm-last.safetensors resumed-last.safetensors && ok "resumed training = uninterrupted training" \
    || bad "resumed training differs from uninterrupted training"

# --- bad input
printf 'seqnn 1\ninput tokens vocab=$vocab\nlstn hidden=3\n' > typo.seqnn
expect_fail "unknown layer" "typo.seqnn:3:" "$seqnn" train typo.seqnn --data text.txt --out x.safetensors
expect_fail "missing data" "nope.txt" "$seqnn" train lm.seqnn --data nope.txt --out x.safetensors
: > empty.txt
expect_fail "empty data" "empty" "$seqnn" train lm.seqnn --data empty.txt --out x.safetensors
printf 'abc\000def' > binary.txt
expect_fail "binary data" "binary" "$seqnn" train lm.seqnn --data binary.txt --out x.safetensors
printf 'seqnn 1\ninput tokens vocab=$vocab\nembedding dim=8\nlstm hidden=0\n' > zero.seqnn
expect_fail "impossible shape" "zero.seqnn:4:" "$seqnn" train zero.seqnn --data text.txt --out x.safetensors
[ -e x.safetensors ] && bad "a failed run left x.safetensors" || ok "failed runs leave no checkpoint"
head -c 1000 lm.safetensors > truncated.safetensors
expect_fail "truncated checkpoint" "truncated.safetensors" "$seqnn" eval truncated.safetensors --data text.txt
sed 's/hidden=32/hidden=16/' lm.seqnn > small.seqnn
expect_fail "checkpoint of another model" "lstm.weight_ih_l0" \
    "$seqnn" train small.seqnn --data text.txt --out y.safetensors --resume lm.safetensors
expect_fail "not a seqnn checkpoint" "not a checkpoint" "$seqnn" eval "$golden/act_tanh.safetensors" --data text.txt
# a diverging run stops at the first kernel producing a non-finite value
sed 's/lr=0.01/lr=1e30/' lm.seqnn > diverge.seqnn
expect_fail "numerics check" "SEQNN_CHECK_NUMERICS: .* produced" env SEQNN_CHECK_NUMERICS=1 \
    "$seqnn" train diverge.seqnn --data text.txt --out diverge.safetensors --backend ref --eval-every 1
expect_fail "non-finite loss" "the loss is\\|validation loss is" "$seqnn" train diverge.seqnn \
    --data text.txt --out diverge.safetensors --backend ref --eval-every 1
[ -e diverge-last.safetensors ] && bad "a diverged run wrote a checkpoint" || ok "no poisoned checkpoint"
expect_fail "bad option value" "--steps" "$seqnn" train lm.seqnn --data text.txt --steps -3
expect_fail "unknown backend" "backend" "$seqnn" train lm.seqnn --data text.txt --backend nosuch

echo "$fails failure(s)"
[ "$fails" -eq 0 ]

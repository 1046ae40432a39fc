#!/bin/sh
# `seqnn predict` and `seqnn generate`'s decoding options, end to end on tiny
# data sets trained for a few steps on the reference plugin: predict for
# every format (TSV and JSON lines, stdin and --data, one output line per
# input line), generate's greedy / beam / sampling options, the seed printed
# and repeated, word-level language models (--words for the text format), and
# the errors: options that do not apply, labelled lines, --length over the
# cap, prime characters outside the vocabulary.
# usage: test_predict.sh SEQNN_BINARY WORK_DIR
set -u
seqnn=$1
work=$2
. "$(dirname "$0")/cli_helpers.sh"   # a fresh $work; ok, bad, expect_fail

# train NAME FORMAT MODEL_TEXT [train options]: NAME.safetensors from NAME.txt
train() {
    name=$1 fmt=$2
    printf '%s\n' "$3" > "$name.seqnn"
    shift 3
    if "$seqnn" train "$name.seqnn" --data "$name.txt" --format "$fmt" --out "$name.safetensors" --backend ref \
        --sample 0 "$@" > "$name.train" 2>&1; then
        ok "train $name"
    else
        bad "train $name: $(tail -3 "$name.train")"
    fi
}

# --- data: 40 lines per format
i=0
while [ $i -lt 40 ]; do
    case $((i % 2)) in 0) l=pos t="good fine nice day $i" ;; *) l=neg t="bad awful poor day $i" ;; esac
    printf '%s\t%s\n' "$l" "$t" >> cls.txt
    printf 'the cat sat\tD N V\n' >> tag.txt
    printf '0.%d,1 0.5,0.%d\t%d.5\n' $((i % 10)) $((i % 7)) $((i % 3)) >> reg.txt
    printf 'ab%d\t%dba\n' $((i % 10)) $((i % 10)) >> tr.txt
    echo "the quick brown fox jumps over the lazy dog and the cat $i" >> lm.txt
    i=$((i + 1))
done
cp lm.txt words.txt
run="train batch=4 steps=30 epochs=100 eval_every=10 val=0.1 seed=1"
train cls classify "seqnn 1
input tokens vocab=\$vocab
embedding dim=8
lstm hidden=8 last=1
dense out=\$classes
optimizer adam lr=0.03
$run" --words
train tag tag "seqnn 1
input tokens vocab=\$vocab
embedding dim=8
lstm hidden=8
dense out=\$classes
optimizer adam lr=0.03
$run" --words
train reg regress "seqnn 1
input features dim=2
gru hidden=8 last=1
dense out=1
loss mse
optimizer adam lr=0.03
$run"
train tr translate "seqnn 1
input tokens vocab=\$src_vocab
embedding dim=8
gru hidden=8
decoder vocab=\$tgt_vocab
embedding dim=8
gru hidden=8
attention encoder=1 score=bilinear
dense out=\$tgt_vocab
optimizer adam lr=0.03
$run"
lm_model="seqnn 1
input tokens vocab=\$vocab
embedding dim=8
lstm hidden=16
dense out=\$vocab
optimizer adam lr=0.03
train batch=4 seq_len=16 steps=30 eval_every=10 val=0.1 seed=1"
train lm text "$lm_model"
train words text "$lm_model" --words --seq-len 8

# --- predict, every format
printf 'good nice day\nawful poor day\n' > cls.in
"$seqnn" predict cls.safetensors --data cls.in --backend ref > cls.out 2> cls.err || bad "predict classify: $(cat cls.err)"
[ "$(wc -l < cls.out)" -eq 2 ] && awk -F'\t' 'NF != 3 || ($1 != "pos" && $1 != "neg") || $2 !~ /^(pos|neg):/ \
    { exit 1 }' cls.out && ok "classify TSV: label, then class:probability ($(head -1 cls.out))" \
    || bad "classify TSV: $(cat cls.out)"
awk -F'\t' '{ split($2, a, ":"); split($3, b, ":"); s = a[2] + b[2]; if (s < 0.9999 || s > 1.0001 || a[2] < b[2]) exit 1 }' \
    cls.out && ok "classify probabilities sum to 1, likeliest first" || bad "classify probabilities: $(cat cls.out)"
"$seqnn" predict cls.safetensors --json --backend ref < cls.in > cls.json 2> cls.err
grep -c '^{"label": "\(pos\|neg\)", "probabilities": {"\(pos\|neg\)": [0-9.e-]*, "\(pos\|neg\)": [0-9.e-]*}}$' \
    cls.json | grep -qx 2 && ok "classify JSON lines from stdin" || bad "classify JSON: $(cat cls.json) $(cat cls.err)"
printf 'the cat sat\nthe cat\n' | "$seqnn" predict tag.safetensors --backend ref > tag.out 2> tag.err
[ "$(awk '{ print NF }' tag.out | tr '\n' ' ')" = "3 2 " ] && ! grep -qv '^[DNV ]*$' tag.out \
    && ok "tag: a tag per token ($(head -1 tag.out))" || bad "tag: $(cat tag.out) $(cat tag.err)"
printf 'the cat sat\n' | "$seqnn" predict tag.safetensors --json --backend ref | grep -q '^{"tags": \["[DNV]", "[DNV]", "[DNV]"\]}$' \
    && ok "tag JSON" || bad "tag JSON"
printf '0.1,1 0.5,0.2\n0.3,1\n' | "$seqnn" predict reg.safetensors --backend ref > reg.out 2> reg.err
[ "$(wc -l < reg.out)" -eq 2 ] && awk '$1 + 0 != $1 { exit 1 }' reg.out && ok "regress: values ($(head -1 reg.out))" \
    || bad "regress: $(cat reg.out) $(cat reg.err)"
printf '0.1,1,3\n' | "$seqnn" predict reg.safetensors --backend ref > /dev/null 2> reg.err
grep -q "line 1: step 1 has 3 features; the model reads 2" reg.err && ok "regress: a step of the wrong size" \
    || bad "regress wrong size: $(cat reg.err)"
printf 'ab3\nab7\n' | "$seqnn" predict tr.safetensors --backend ref > tr.out 2> tr.err
[ "$(wc -l < tr.out)" -eq 2 ] && ok "translate: one line per source ($(head -1 tr.out | tr '\n' ' '))" \
    || bad "translate: $(cat tr.out) $(cat tr.err)"
printf 'ab3\n' | "$seqnn" predict tr.safetensors --backend ref --beam 3 --json | grep -q '^{"input": "ab3", "output": ".*"}$' \
    && ok "translate JSON with --beam" || bad "translate JSON"
"$seqnn" generate tr.safetensors --input ab3 --backend ref > gen_tr.out 2>/dev/null
[ "$(cat gen_tr.out)" = "$(head -1 tr.out)" ] && ok "predict translates as generate does" \
    || bad "predict '$(head -1 tr.out)' vs generate '$(cat gen_tr.out)'"
printf 'the \nthe lazy\n' | "$seqnn" predict lm.safetensors --backend ref --length 20 --seed 4 > lm.out 2> lm.err
[ "$(wc -l < lm.out)" -eq 2 ] && ! grep -q seed lm.err && ok "text: a continuation per line, TSV-escaped" \
    || bad "text: $(cat lm.out) $(cat lm.err)"
"$seqnn" generate lm.safetensors --prime "the " --length 20 --seed 4 --backend ref > gen_lm.out 2>/dev/null
esc=$(sed 's/\\/\\\\/g; s/\t/\\t/g' gen_lm.out | awk 'NR > 1 { printf "\\n" } { printf "%s", $0 }')
[ "the $(head -1 lm.out)" = "$esc" ] && ok "line 1 continues as generate --seed does" \
    || bad "predict 'the $(head -1 lm.out)' vs generate '$esc'"
# streamed: the answer to a line comes before the next line is written
mkfifo lines.fifo
: > stream.out                           # exists before the job opens it (it waits for the fifo's writer first)
"$seqnn" predict cls.safetensors --backend ref > stream.out 2> stream.err < lines.fifo &
pid=$!
exec 3> lines.fifo
printf 'good nice day\n' >&3
n=0
while [ "$(wc -l < stream.out)" -lt 1 ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
[ "$(wc -l < stream.out)" -eq 1 ] && ok "an answer per line as it comes (stdin still open)" \
    || bad "no answer before the end of the input: $(cat stream.err)"
printf 'awful day\n' >&3
exec 3>&-
wait $pid
[ "$(wc -l < stream.out)" -eq 2 ] || bad "stream: $(cat stream.out stream.err)"
printf 'pos\tgood day\n' | "$seqnn" predict cls.safetensors --backend ref > /dev/null 2> lab.err
grep -q "line 1: has a TAB: predict reads unlabelled lines" lab.err && ok "labelled line refused" \
    || bad "labelled line: $(cat lab.err)"
expect_fail "decoding option on a classifier" "apply to translate and text models" \
    "$seqnn" predict cls.safetensors --data cls.in --beam 2
expect_fail "missing input file" "nope.txt: cannot open" "$seqnn" predict cls.safetensors --data nope.txt
"$seqnn" predict --help > help.out && grep -q -- "--json" help.out && ok "predict --help" || bad "predict --help"

# --- generate: options and what does not apply
"$seqnn" generate lm.safetensors --prime "the " --length 30 --backend ref > s1.out 2> s1.err
seed=$(sed -n 's/.*--seed \([0-9]*\) repeats.*/\1/p' s1.err)
[ -n "$seed" ] && ok "a random seed by default, printed ($seed)" || bad "no seed printed: $(cat s1.err)"
"$seqnn" generate lm.safetensors --prime "the " --length 30 --backend ref --seed "$seed" > s2.out 2> s2.err
cmp -s s1.out s2.out && [ ! -s s2.err ] && ok "--seed $seed repeats the run" || bad "--seed $seed differs"
"$seqnn" generate lm.safetensors --prime "the " --length 30 --backend ref --temperature 0 > g0.out 2>/dev/null
"$seqnn" generate lm.safetensors --prime "the " --length 30 --backend ref --beam 1 > b1.out 2>/dev/null
"$seqnn" generate lm.safetensors --prime "the " --length 30 --backend ref --temperature 1 --top-k 1 > k1.out 2>/dev/null
cmp -s g0.out b1.out && cmp -s g0.out k1.out && ok "temperature 0 = beam 1 = top-k 1" || bad "greedy forms differ"
"$seqnn" generate lm.safetensors --prime "the " --length 30 --backend ref --beam 4 > b4.out 2> b4.err \
    && [ "$(head -c 4 b4.out)" = "the " ] && ok "beam 4" || bad "beam 4: $(cat b4.err)"
"$seqnn" generate lm.safetensors --prime "the " --length 30 --backend ref --temperature 1 --top-p 0.5 --seed 2 \
    > p.out 2> p.err && ok "top-p" || bad "top-p: $(cat p.err)"
"$seqnn" generate lm.safetensors --prime "thé " --length 5 --backend ref --seed 1 > /dev/null 2> w.err
grep -q "warning: 2 characters of --prime are not in the model's vocabulary ('\\\\xc3', '\\\\xa9'); skipped" w.err \
    && ok "prime characters outside the vocabulary: warned" || bad "no warning: $(cat w.err)"
expect_fail "--input on a language model" "--input is for translation models" \
    "$seqnn" generate lm.safetensors --input x
expect_fail "--prime on a translation model" "--prime is for language models" \
    "$seqnn" generate tr.safetensors --prime x --input ab1
expect_fail "--beam with --temperature" "--temperature does not apply" \
    "$seqnn" generate lm.safetensors --beam 3 --temperature 1
expect_fail "--length-norm without --beam" "--length-norm" "$seqnn" generate lm.safetensors --length-norm 0.5
expect_fail "--top-k when greedy" "--top-k applies to sampling" "$seqnn" generate tr.safetensors --input ab1 --top-k 2
expect_fail "--attention with --beam" "--attention shows greedy" \
    "$seqnn" generate tr.safetensors --input ab1 --beam 2 --attention a.csv
expect_fail "--length over the cap" "more than the most, 100000" "$seqnn" generate lm.safetensors --length 100001
expect_fail "generate on a classifier" "use seqnn predict" "$seqnn" generate cls.safetensors
"$seqnn" generate --help > help.out && grep -q -- "--top-p" help.out && grep -q -- "--attention" help.out \
    && ok "generate --help lists the options" || bad "generate --help"

# --- word-level language models
grep -q "text format, vocabulary [0-9]*, [0-9]* training and [0-9]* validation words" words.train && ok "--words: a vocabulary of words ($(grep -o 'vocabulary [0-9]*' words.train))" \
    || bad "--words vocabulary: $(grep vocab words.train)"
"$seqnn" generate words.safetensors --prime "the quick" --length 12 --seed 1 --backend ref > words.out 2> words.err
n=$(wc -w < words.out)
[ "$n" -eq 14 ] && tr ' ' '\n' < words.out | grep -v '^$' | while read -r w; do grep -qw -- "$w" lm.txt || exit 1; done \
    && ok "--words: generate joins 12 words with spaces ($(cat words.out))" || bad "--words generate: $n words: $(cat words.out) $(cat words.err)"
"$seqnn" eval words.safetensors --data lm.txt --backend ref > words_eval.out 2>&1 && grep -q "per word" words_eval.out \
    && ok "--words: eval reports per word" || bad "--words eval: $(cat words_eval.out)"

echo "$fails failure(s)"
[ "$fails" -eq 0 ]

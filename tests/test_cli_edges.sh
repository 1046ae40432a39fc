#!/bin/sh
# The CLI's rough edges, each checked against the behaviour a new user met:
# the progress display in an 80-column pseudo-terminal, model/data mismatches
# named when training starts, output paths checked before training, `seqnn
# plot` input and output, --version, --help of every command, "did you mean",
# environment warnings, the device-choice log line, a plugin named by path.
# usage: test_cli_edges.sh SEQNN_BINARY WORK_DIR
set -u
seqnn=$1
work=$2
. "$(dirname "$0")/cli_helpers.sh"

make_text text.txt
cat > lm.seqnn <<'M'
seqnn 1
input tokens vocab=$vocab
embedding dim=8
lstm hidden=16
dense out=$vocab
train batch=4 seq_len=20 steps=6 eval_every=3 val=0.1 seed=3
M

# --- --version, --help, did you mean
"$seqnn" --version > v.out 2>&1 && grep -q "^seqnn [0-9]*\.[0-9]*\.[0-9]*" v.out && ok "--version: $(cat v.out)" \
    || bad "--version: $(cat v.out)"
# each command's --help exits 0 on stdout and names every option it takes
check_help() {
    cmd=$1
    shift
    if "$seqnn" "$cmd" --help > help.out 2> help.err; then
        for opt in "$@"; do
            grep -q -- "$opt\\b" help.out || bad "$cmd --help does not list $opt"
        done
        ok "$cmd --help exits 0 and lists $#"
    else
        bad "$cmd --help exits non-zero: $(cat help.err)"
    fi
}
check_help train --data --format --words --out --log --backend --resume --vectors --steps --epochs --time \
    --batch --seq-len --lr --seed --eval-every --patience --val --clip --pad-to --lr-schedule --sample --temperature
check_help eval --data --all --backend
check_help generate --prime --length --temperature --top-k --top-p --seed --beam --length-norm --input --attention \
    --backend
check_help predict --data --json --backend --length --temperature --top-k --top-p --seed --beam --length-norm
check_help plan --backend --data --format --words --batch --seq-len
check_help plot -o --attention
check_help conformance --plugin --device --kernel --seed --report --verbose --list --structure
check_help data --categories --dir --tokenize --n --seed --steps --len --problem --fixed --depth --args --exact
check_help info
# defaults are stated: every option line of train, eval and generate that takes a value says its default
for cmd in train eval generate predict; do
    "$seqnn" $cmd --help | grep '^  --[a-z-]* [A-Z]' | grep -v 'default\|required\|--.* --' > nodefault.out
    [ -s nodefault.out ] && bad "$cmd --help: options without a default: $(cat nodefault.out)" \
        || ok "$cmd --help states every default"
done
expect_fail "did you mean (command)" "did you mean 'train'" "$seqnn" trian lm.seqnn
expect_fail "did you mean (option)" "did you mean '--steps'" "$seqnn" train lm.seqnn --data text.txt --step 3
expect_fail "did you mean (prefix)" "did you mean '--temperature'" "$seqnn" generate x.safetensors --temp 1

# --- environment values that are not understood are warned about
SEQNN_LOG=verbose "$seqnn" info > /dev/null 2> env.err
grep -q "SEQNN_LOG=verbose" env.err && ok "bad SEQNN_LOG warned" || bad "bad SEQNN_LOG silently ignored"
SEQNN_NUM_THREADS=two "$seqnn" info > /dev/null 2> env.err
grep -q "SEQNN_NUM_THREADS=two" env.err && ok "bad SEQNN_NUM_THREADS warned" \
    || bad "bad SEQNN_NUM_THREADS silently ignored"
SEQNN_SPIN_US=-1 "$seqnn" info > /dev/null 2> env.err
grep -q "SEQNN_SPIN_US=-1" env.err && ok "bad SEQNN_SPIN_US warned" || bad "bad SEQNN_SPIN_US silently ignored"
SEQNN_NUM_THREADS=2 SEQNN_SPIN_US=0 SEQNN_LOG=warn "$seqnn" info > /dev/null 2> env.err
[ -s env.err ] && bad "good values warned about: $(cat env.err)" || ok "good values: no warning"

# --- the device choice is logged once, in full
SEQNN_LOG=info "$seqnn" train lm.seqnn --data text.txt --out log.safetensors --steps 1 --sample 0 \
    > /dev/null 2> info.err
n=$(grep -c "seqnn info: selected" info.err)
[ "$n" -eq 1 ] && ok "train logs the device choice once" || bad "train logs the device choice $n times"
grep "seqnn info: selected" info.err | grep -q "devices: .*(.*)$" && ok "the choice line is whole" \
    || bad "the choice line is cut: $(grep 'seqnn info: selected' info.err)"

# --- conformance --kernel matching nothing
expect_fail "conformance --kernel matching nothing" "matches no kernel" "$seqnn" conformance --plugin ref \
    --kernel '^no_such_kernel$'

# --- a plugin named by path wins over a loaded plugin of the same name
plugdir=$(dirname "$seqnn")/../lib/seqnn
if [ -f "$plugdir/libseqnn-ref.so" ]; then
    mkdir -p copy && chmod 755 copy && cp "$plugdir/libseqnn-ref.so" copy/
    if "$seqnn" train lm.seqnn --data text.txt --out path.safetensors --steps 1 --sample 0 \
            --backend "$PWD/copy/libseqnn-ref.so" > /dev/null 2> path.err; then
        grep -q "copy/libseqnn-ref.so" path.err && ok "a plugin named by path is used" \
            || bad "named by path, but: $(head -1 path.err)"
    else
        bad "a plugin named by path refused: $(cat path.err)"
    fi
else
    ok "no ref plugin next to $seqnn: plugin-path check skipped"
fi

# --- seqnn data: counts it cannot meet are refused; a killed run leaves no .tmp
expect_fail "seqnn data: more distinct dates than exist" "only 322516 distinct" "$seqnn" data dates d.txt --n 400000
[ -e d.txt ] || [ -e d.txt.tmp ] && bad "a refused count left a file" || ok "a refused count leaves no file"
for sig in INT TERM; do
    "$seqnn" data adding big.txt --n 1000000 --steps 1000 2> /dev/null &
    pid=$!
    n=0
    while [ ! -s big.txt.tmp ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
    kill -$sig $pid
    wait $pid
    [ -e big.txt.tmp ] && bad "SIG$sig left big.txt.tmp" || ok "SIG$sig: no big.txt.tmp left"
    [ -e big.txt ] && bad "SIG$sig left big.txt" || ok "SIG$sig: no partial big.txt"
done

# --- eval --all: the whole file is not called validation
"$seqnn" data dates dates.txt --n 120 2> /dev/null
cat > tr.seqnn <<'M'
seqnn 1
input tokens vocab=$src_vocab
embedding dim=8
gru name=encoder hidden=8
decoder vocab=$tgt_vocab
embedding name=dec_embedding dim=8
gru name=decoder hidden=8
attention encoder=1
dense out=$tgt_vocab
train batch=16 seq_len=0 steps=2 val=0.25
M
if "$seqnn" train tr.seqnn --format translate --data dates.txt --out tr.safetensors > /dev/null 2> tr.err; then
    "$seqnn" eval tr.safetensors --data dates.txt --all > all.out 2> all.err
    grep -qi validation all.out && bad "eval --all says validation: $(cat all.out)" \
        || ok "eval --all: $(grep -v '^ ' all.out | tr '\n' ' ')"
else
    bad "translation training: $(cat tr.err)"
fi

# --- the progress line in a pseudo-terminal: fits 80 (and 40) columns, is
# rewritten in place (a handful of lines, not one per step), and under --time
# its percentage and step count agree
pty_run=$(dirname "$0")/pty_run.py
if [ -x /usr/bin/python3 ]; then
    case $pty_run in /*) ;; *) pty_run=$OLDPWD/$pty_run ;; esac
    # segments SEP FILE: the text between carriage returns and newlines, escapes removed
    segments() { tr '\r' '\n' < "$1" | sed 's/\x1b\[K//g'; }
    for cols in 80 40; do
        /usr/bin/python3 "$pty_run" $cols pty$cols.out "$seqnn" train lm.seqnn --data text.txt \
            --out pty.safetensors --steps 40 --eval-every 20 --sample 0 --backend ref > /dev/null 2>&1 \
            || bad "training in a pseudo-terminal failed: $(tail -3 pty$cols.out)"
        widest=$(segments pty$cols.out | grep 'ETA' | awk '{ if (length($0) > n) n = length($0) } END { print n + 0 }')
        [ "$widest" -gt 0 ] && [ "$widest" -lt $cols ] && ok "$cols columns: the progress line is $widest wide" \
            || bad "$cols columns: a progress line of $widest characters: $(segments pty$cols.out | grep 'ETA' | tail -1)"
        lines=$(grep -c '' pty$cols.out)
        [ "$lines" -le 15 ] && ok "$cols columns: $lines lines for 40 steps (updated in place)" \
            || bad "$cols columns: $lines lines for 40 steps"
    done
    /usr/bin/python3 "$pty_run" 80 ptytime.out "$seqnn" train lm.seqnn --data text.txt --out ptytime.safetensors \
        --steps 0 --epochs 1000 --time 2 --eval-every 0 --sample 0 --backend ref > /dev/null 2>&1
    segments ptytime.out | grep -o '[0-9]*% [0-9]*/[0-9]*' | tr '%/' '  ' > pct.txt
    if [ -s pct.txt ] && awk '{ d = $1 - 100 * $2 / $3; if (d > 1.5 || d < -1.5) bad = 1 } END { exit bad }' pct.txt; then
        ok "--time: percentage and steps agree ($(tail -1 pct.txt))"
    else
        bad "--time: percentage and steps disagree: $(sort -u pct.txt | head -5)"
    fi
else
    ok "no /usr/bin/python3: progress display checks skipped"
fi

# --- output safety: --out and --log checked before training; the data file is never overwritten
cp text.txt keep.txt
expect_fail "--out = the data file" "is the --data file" "$seqnn" train lm.seqnn --data text.txt --out text.txt
ln -s text.txt alias.txt
expect_fail "--out = the data file by another name" "the same file" "$seqnn" train lm.seqnn --data alias.txt \
    --out text.txt
expect_fail "--log = the data file" "is the --data file" "$seqnn" train lm.seqnn --data text.txt --log text.txt
cmp -s text.txt keep.txt && ok "the data file is intact" || bad "the data file was overwritten"
mkdir -p outdir
expect_fail "--out a directory" "is a directory" "$seqnn" train lm.seqnn --data text.txt --out outdir
expect_fail "--out in a missing directory" "cannot write in directory" "$seqnn" train lm.seqnn --data text.txt \
    --out nodir/x.safetensors
expect_fail "--log in a missing directory" "cannot write in directory" "$seqnn" train lm.seqnn --data text.txt \
    --log nodir/loss.csv
grep -q "^backend:" err.txt && bad "a bad --log was found after training started" || ok "bad paths fail before training"

# --- Ctrl-C says which checkpoints are on disk
"$seqnn" train lm.seqnn --data text.txt --out int.safetensors --steps 0 --epochs 100000 --eval-every 5 \
    --backend ref --sample 0 > /dev/null 2> int.err &
pid=$!
n=0
while [ ! -s int-last.safetensors ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] && ok "SIGINT: exit status 130" || bad "SIGINT: exit status $rc"
grep -q "interrupted at step .*int.safetensors (step [0-9]*).*--resume int-last.safetensors" int.err \
    && ok "SIGINT: $(grep interrupted int.err)" || bad "SIGINT does not say what is on disk: $(tail -2 int.err)"

# --- model/data mismatches named when training starts, in the model file's terms and line
sed 's/out=\$vocab/out=7/' lm.seqnn > lm7.seqnn
expect_fail "LM output size" "has 39 symbols, but the last layer (lm7.seqnn:5: 'dense out=7')" \
    "$seqnn" train lm7.seqnn --data text.txt --out m7.safetensors
grep -q "^backend:\|step" err.txt && bad "the LM size mismatch surfaced after training started" \
    || ok "the LM size mismatch is found before training"
printf 'seqnn 1\ninput features dim=2\nlstm hidden=4 last=1\ndense out=1\nloss mse\n' > reg.seqnn
expect_fail "features model on text" "reg.seqnn:2: 'input features dim=2'" \
    "$seqnn" train reg.seqnn --data text.txt --out r.safetensors
i=0
while [ $i -lt 20 ]; do echo "pos	good fine $i"; echo "neg	bad $i"; i=$((i + 1)); done > short.txt
printf 'seqnn 1\ninput tokens vocab=$vocab\nembedding dim=4\nlstm hidden=4 last=1\ndense out=$classes\nloss mse\n' \
    > mse.seqnn
expect_fail "regression loss on class data" "mse.seqnn:6: 'loss mse': the classify data" \
    "$seqnn" train mse.seqnn --format classify --words --data short.txt --out c.safetensors
cat > cnn.seqnn <<'M'
seqnn 1
input tokens vocab=$vocab
embedding dim=4
conv1d_bank filters=4 widths=3,4,5 act=relu
dense out=$classes
train batch=8 steps=2 val=0.2
M
expect_fail "--pad-to below the widest filter" "pad to at least 5" \
    "$seqnn" train cnn.seqnn --format classify --words --data short.txt --out cnn.safetensors --pad-to 3
if "$seqnn" train cnn.seqnn --format classify --words --data short.txt --out cnn.safetensors \
        > cnn.out 2> cnn.err; then
    grep -q "fewer than the widest convolution filter (5, cnn.seqnn:4): every batch is padded to 5 steps" cnn.err \
        && ok "lines shorter than a filter: padded, with a note" || bad "no padding note: $(cat cnn.err)"
    "$seqnn" eval cnn.safetensors --data short.txt > cnn_eval.out 2>&1
    [ "$(grep '^validation' cnn.out)" = "$(grep '^validation' cnn_eval.out)" ] \
        && ok "eval pads as training did" || bad "padding: eval differs: $(cat cnn_eval.out)"
else
    bad "lines shorter than a filter: $(cat cnn.err)"
fi
"$seqnn" train cnn.seqnn --format classify --words --data short.txt --out cnn7.safetensors --pad-to 7 \
    > /dev/null 2> cnn7.err && ok "--pad-to 7 trains" || bad "--pad-to 7: $(cat cnn7.err)"

# --- seqnn plot: input checked, no partial picture, nothing on stdout, gnuplot's absence explained
printf 'step,epoch,train_loss,val_loss,val_accuracy,tokens_per_s,elapsed_s\n5,0,3.1,3.0,0.1,100,1\n10,0,2.9,2.8,0.2,100,2\n' \
    > loss.csv
: > empty.csv
printf 'step,epoch,train_loss,val_loss\n5,0,x,1\n' > malformed.csv
printf ',a,b\n1,0.9,0.1\n2,0.2\n' > ragged.csv
expect_fail "plot: empty CSV" "empty" "$seqnn" plot empty.csv -o empty.png
expect_fail "plot: malformed CSV" "row 2: 'x' is not a number" "$seqnn" plot malformed.csv -o malformed.png
expect_fail "plot: ragged attention matrix" "row 3 has 2 fields" "$seqnn" plot --attention ragged.csv -o ragged.png
expect_fail "plot: loss log given as attention" "not a loss log" "$seqnn" plot ragged.csv -o ragged.png
expect_fail "plot: bad -o directory" "cannot write in directory" "$seqnn" plot loss.csv -o nodir/loss.png
[ -s out.txt ] && bad "plot: bytes on stdout for a bad -o" || ok "plot: nothing on stdout for a bad -o"
expect_fail "plot: unknown picture type" "name a .png or an .svg" "$seqnn" plot loss.csv -o loss.jpg
expect_fail "plot: no gnuplot" "apt-get install gnuplot-nox" env PATH=/nonexistent "$seqnn" plot loss.csv -o loss.png
# a gnuplot that writes half a picture (and bytes on its stdout), then fails
mkdir -p fakebin
cat > fakebin/gnuplot <<'G'
#!/bin/sh
out=$(sed -n "s/^set output '\(.*\)'$/\1/p")
printf 'PNG partial' > "$out"
printf 'PNG bytes'
echo "gnuplot: line 9: simulated failure" >&2
exit 1
G
chmod +x fakebin/gnuplot
expect_fail "plot: gnuplot failing" "simulated failure" env PATH="$PWD/fakebin:$PATH" "$seqnn" plot loss.csv -o half.png
[ -s out.txt ] && bad "plot: gnuplot's bytes reached stdout" || ok "plot: gnuplot's output kept off stdout"
ls | grep -q 'half\.png' && bad "plot: a partial picture was left: $(ls | grep half)" || ok "plot: no partial picture left"
for f in empty malformed ragged; do [ -e $f.png ] && bad "plot: $f.png left behind"; done
if command -v gnuplot > /dev/null 2>&1; then
    "$seqnn" plot loss.csv -o loss.svg 2> plot.err && grep -q '<svg' loss.svg && ok "plot: .svg honoured" \
        || bad "plot .svg: $(cat plot.err)"
    printf ',M,a,"""",","\n2,0.7,0.1,0.1,0.1\n0,0.1,0.7,0.1,0.1\n<eos>,0.1,0.1,0.1,0.7\n' > att.csv
    "$seqnn" plot --attention att.csv -o att.svg 2> plot.err && grep -q '>M<' att.svg && grep -q '&lt;eos' att.svg \
        && ok "plot: attention axes carry the tokens" || bad "plot --attention: $(cat plot.err)"
    "$seqnn" plot --attention att.csv -o att.png 2> plot.err && [ -s att.png ] && ok "plot: attention PNG" \
        || bad "plot --attention PNG: $(cat plot.err)"
else
    ok "gnuplot not installed: pictures not drawn (apt-get install gnuplot-nox)"
fi

echo "$fails failure(s)"
[ "$fails" -eq 0 ]

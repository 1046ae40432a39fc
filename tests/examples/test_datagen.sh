#!/bin/sh
# `seqnn data`: every generator runs, writes the number of lines asked for in
# the format its example reads (checked by opening it with `seqnn train` for
# one step), writes the same bytes twice for the same seed and other bytes for
# another; bad options fail with a message and leave no file.
# usage: test_datagen.sh SEQNN WORK_DIR
set -u
seqnn=$1 work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
fails=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fails=$((fails + 1)); }

gen() {   # gen FILE ARGS...: runs seqnn data ARGS with FILE as OUT
    f=$1
    shift
    task=$1
    shift
    if "$seqnn" data "$task" "$f" "$@" 2> "$f.err"; then ok "seqnn data $task $*"; else bad "seqnn data $task: $(cat "$f.err")"; fi
}
lines() { [ "$(wc -l < "$1")" -eq "$2" ] && ok "$1 has $2 lines" || bad "$1 has $(wc -l < "$1") lines, not $2"; }

gen dates.txt dates --n 300 --seed 1
gen dates2.txt dates --n 300 --seed 1
gen dates3.txt dates --n 300 --seed 2
lines dates.txt 300
cmp -s dates.txt dates2.txt && ok "dates: same seed, same file" || bad "dates: same seed, different files"
cmp -s dates.txt dates3.txt && bad "dates: another seed, the same file" || ok "dates: another seed, another file"
# every target is the ISO form of a real date
awk -F'\t' '$2 !~ /^(19[5-9][0-9]|20[0-4][0-9])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/ { bad = 1 } END { exit bad }' \
    dates.txt && ok "dates: targets are YYYY-MM-DD" || bad "dates: a malformed target"
grep -q '^February 29, 19[0-9][13579]' dates.txt && bad "dates: February 29 of an odd year" || ok "dates: no impossible date"

gen adding.txt adding --n 50 --steps 30 --seed 1
lines adding.txt 50
awk -F'\t' '{ n = split($1, s, " "); m = 0; sum = 0
              for (i = 1; i <= n; i++) { split(s[i], v, ","); if (v[2] == 1) { m++; sum += v[1] } }
              if (n != 30 || m != 2 || (sum - $2) > 0.0005 || ($2 - sum) > 0.0005) bad = 1 } END { exit bad }' \
    adding.txt && ok "adding: 30 steps, two markers, target = their sum" || bad "adding: a malformed line"

gen timing.txt timing --n 60 --steps 40 --seed 1
lines timing.txt 60
awk -F'\t' '{ n = split($1, s, " "); k = 0; first = 0
              for (i = 1; i <= n; i++) if (s[i] == 1) { k++; if (!first) first = i } else if (s[i] != 0) bad = 1
              d = n - first
              if (k != 2 || s[n] != 1 || first > 10 || d < 4 || d > 20 || (d / 10 - $2) > 1e-9 || ($2 - d / 10) > 1e-9) bad = 1 }
            END { exit bad }' timing.txt && ok "timing: two spikes, the second last, target = delay / 10" \
    || bad "timing: a malformed line"

for p in 1 2 3 4; do
    gen bits$p.txt bits --problem $p --n 40 --len 8 --seed 1
    lines bits$p.txt 40
done
awk -F'\t' '{ n = split($1, a, " "); split($2, b, " "); for (i = 1; i <= n; i++) if (a[i] + b[i] != 1) bad = 1 }
            END { exit bad }' bits3.txt && ok "bits 3: every output bit is the complement" || bad "bits 3: wrong"
awk -F'\t' '{ n = split($1, a, " "); split($2, b, " "); prev = -1
              for (i = 1; i <= n; i++) { want = (i == 1 || a[i] == prev) ? 1 - a[i] : a[i]; if (b[i] != want) bad = 1; prev = b[i] } }
            END { exit bad }' bits4.txt && ok "bits 4: the problem's rule" || bad "bits 4: wrong"
awk -F'\t' '{ n = split($1, a, ","); split($2, b, ",")
              for (i = 1; i <= n; i++) if ((a[i] == -1 && b[i] != -1) || (a[i] != -1 && a[i] + b[i] != 1)) bad = 1
              if (n != 8) bad = 1 } END { exit bad }' bits2.txt && ok "bits 2: complements, -1 padding" || bad "bits 2: wrong"

if [ -d /usr/share/games/fortunes ]; then
    gen fortunes.txt fortunes --tokenize
    [ "$(cut -f1 fortunes.txt | sort -u | wc -l)" -eq 5 ] && ok "fortunes: 5 categories" || bad "fortunes: categories"
    awk -F'\t' 'NF < 2 || $2 == "" { bad = 1 } END { exit bad }' fortunes.txt && ok "fortunes: label TAB text" \
        || bad "fortunes: a malformed line"
else
    echo "skip: fortunes (Debian package fortunes not installed)"
fi
mkdir -p fake
printf 'first one\nline two\n%%\nsecond\n%%\n\n%%\nfirst one\nline two\n' > fake/alpha
printf 'third\n' > fake/beta
gen fake.txt fortunes --dir fake --categories alpha,beta
printf 'alpha\tfirst one line two\nalpha\tsecond\nbeta\tthird\n' > fake.want
cmp -s fake.txt fake.want && ok "fortunes: separators, flattening, repeats left out" || bad "fortunes: $(cat fake.txt)"

gen qa.txt qa --n 300 --seed 1
gen qa2.txt qa --n 300 --seed 1
gen qa3.txt qa --n 300 --seed 2
lines qa.txt 301
cmp -s qa.txt qa2.txt && ok "qa: same seed, same file" || bad "qa: same seed, different files"
cmp -s qa.txt qa3.txt && bad "qa: another seed, the same file" || ok "qa: another seed, another file"
# every answer is right for its scene: colours red green blue yellow, shapes square circle triangle
awk -F'\t' 'NR == 1 { if ($0 != "#inputs question=tokens scene=features") bad = 1; next }
    { split("red green blue yellow", C, " "); split("square circle triangle", S, " ")
      n = split($3, o, " "); if (n < 2 || n > 6) bad = 1
      for (i = 1; i <= n; i++) { split(o[i], f, ","); for (k = 1; k <= 4; k++) if (f[k] == 1) col[i] = C[k]
                                 for (k = 5; k <= 7; k++) if (f[k] == 1) sh[i] = S[k - 4] }
      split($2, w, " ")
      if ($2 ~ /^is there a /) { want = "no"; for (i = 1; i <= n; i++) if (col[i] == w[4] && sh[i] == w[5]) want = "yes" }
      else if ($2 ~ /^what colour is the /) { m = 0; for (i = 1; i <= n; i++) if (sh[i] == w[5]) { m++; want = col[i] }
                                              if (m != 1) bad = 1 }
      else if ($2 ~ /^how many /) { want = 0; for (i = 1; i <= n; i++) want += col[i] == w[3] }
      else bad = 1
      if ($1 != want) bad = 1 }
    END { exit bad }' qa.txt && ok "qa: every answer is right for its scene" || bad "qa: a wrong answer"

# Each file opens in its example's format (one training step on a tiny model).
printf 'seqnn 1\ninput tokens vocab=$vocab\nembedding dim=4\nlstm hidden=4 last=1\ndense out=$classes\ntrain batch=4 steps=1\n' > cls.seqnn
printf 'seqnn 1\ninput tokens vocab=$vocab\nembedding dim=4\nrnn hidden=4\ndense out=$classes\ntrain batch=4 steps=1\n' > tag.seqnn
printf 'seqnn 1\ninput features dim=2\nlstm hidden=4 last=1\ndense out=1\nloss mse\ntrain batch=4 steps=1 seq_len=0\n' > reg.seqnn
printf 'seqnn 1\ninput features dim=8\ndense out=8\nloss mse\ntrain batch=4 steps=1\n' > reg2.seqnn
for run in "cls.seqnn fake.txt classify" "tag.seqnn bits3.txt tag --words" "tag.seqnn bits4.txt tag --words" \
           "tag.seqnn bits1.txt tag --words" "reg.seqnn adding.txt regress" "reg2.seqnn bits2.txt regress"; do
    set -- $run
    m=$1 d=$2
    shift 2
    "$seqnn" train "$m" --data "$d" --format "$@" --out x.safetensors --backend ref > run.out 2> run.err \
        && ok "$d reads as $*" || bad "$d as $*: $(tail -3 run.err)"
done

# Bad options: a message, exit status 2, no file.
for args in "bits out.txt" "bits out.txt --problem 5" "dates out.txt --n 0" "adding out.txt --steps x" \
            "nope out.txt" "dates out.txt --tokenize" "qa out.txt --steps 3"; do
    set -- $args
    "$seqnn" data "$@" > /dev/null 2> err.txt
    rc=$?
    [ $rc -eq 2 ] && [ -s err.txt ] && [ ! -e out.txt ] && ok "seqnn data $args: $(head -1 err.txt)" \
        || bad "seqnn data $args: exit $rc, $(cat err.txt)"
done
"$seqnn" data fortunes out.txt --dir fake --categories gamma > /dev/null 2> err.txt
[ $? -ne 0 ] && grep -q 'fake/gamma' err.txt && [ ! -e out.txt ] && [ ! -e out.txt.tmp ] \
    && ok "missing category: $(head -1 err.txt)" || bad "missing category: $(cat err.txt)"
[ $fails -eq 0 ] && echo PASS || echo "FAIL: $fails"
exit $fails
